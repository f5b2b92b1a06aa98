//! Python-style argument binding with Pixie's error wording.

use super::{Evaluator, Value};
use crate::diagnostic::{Diagnostic, closest};
use crate::span::Span;
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub name: String,
    /// PxL source of the default value.
    pub default: Option<String>,
    /// `**kwargs`: collects every unknown keyword argument.
    pub kwargs: bool,
}

/// The parameters of a stdlib signature, parsed once per thread.
pub(crate) fn stdlib_params(text: &'static str) -> Rc<[Param]> {
    thread_local! {
        static PARSED: RefCell<FxHashMap<&'static str, Rc<[Param]>>> = RefCell::default();
    }
    PARSED.with(|cache| {
        Rc::clone(
            cache
                .borrow_mut()
                .entry(text)
                .or_insert_with(|| parse_params(text).into()),
        )
    })
}

/// Parse a stdlib parameter list: `"table, select=[], start_time=None"`.
pub(crate) fn parse_params(text: &str) -> Vec<Param> {
    let mut params = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut current = String::new();
    let mut flush = |s: &mut String| {
        let p = s.trim();
        if !p.is_empty() {
            if let Some(name) = p.strip_prefix("**") {
                params.push(Param {
                    name: name.trim().to_string(),
                    default: None,
                    kwargs: true,
                });
            } else if let Some((name, default)) = p.split_once('=') {
                params.push(Param {
                    name: name.trim().to_string(),
                    default: Some(default.trim().to_string()),
                    kwargs: false,
                });
            } else {
                params.push(Param {
                    name: p.to_string(),
                    default: None,
                    kwargs: false,
                });
            }
        }
        s.clear();
    };
    for c in text.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '[' | '(' | '{') => depth += 1,
            (None, ']' | ')' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                flush(&mut current);
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    flush(&mut current);
    params
}

/// Bound arguments: one value per declared parameter (kwargs collected apart).
pub(crate) struct Bound {
    pub values: Vec<Value>,
    pub spans: Vec<Span>,
    pub kwargs: Vec<(String, Value, Span)>,
}

impl Evaluator {
    /// Bind call arguments to parameters; reports errors like Python does.
    pub(crate) fn bind(
        &mut self,
        fname: &str,
        params: &[Param],
        args: Vec<(Option<String>, Value, Span)>,
        call: Span,
    ) -> Option<Vec<Value>> {
        self.bind_full(fname, params, args, call).map(|b| b.values)
    }

    pub(crate) fn bind_full(
        &mut self,
        fname: &str,
        params: &[Param],
        args: Vec<(Option<String>, Value, Span)>,
        call: Span,
    ) -> Option<Bound> {
        let positional: Vec<&Param> = params.iter().filter(|p| !p.kwargs).collect();
        let takes_kwargs = params.iter().any(|p| p.kwargs);
        let mut slots: Vec<Option<(Value, Span)>> = vec![None; positional.len()];
        let mut kwargs = Vec::new();
        let mut ok = true;
        let given_positional = args.iter().filter(|a| a.0.is_none()).count();
        for (i, (kw, value, span)) in args.into_iter().enumerate() {
            match kw {
                None => {
                    if i >= positional.len() {
                        if ok {
                            self.push(
                                Diagnostic::error(
                                    "E0206",
                                    span,
                                    format!(
                                        "{fname}() takes {} positional argument{} but {given_positional} were given",
                                        positional.len(),
                                        if positional.len() == 1 { "" } else { "s" }
                                    ),
                                )
                                .label(call, "in this call"),
                            );
                        }
                        ok = false;
                        continue;
                    }
                    slots[i] = Some((value, span));
                }
                Some(name) => match positional.iter().position(|p| p.name == name) {
                    Some(idx) if slots[idx].is_some() => {
                        self.error(
                            "E0206",
                            span,
                            format!("{fname}() got multiple values for argument `{name}`"),
                        );
                        ok = false;
                    }
                    Some(idx) => slots[idx] = Some((value, span)),
                    None if takes_kwargs => kwargs.push((name, value, span)),
                    None => {
                        let mut d = Diagnostic::error(
                            "E0206",
                            span,
                            format!("{fname}() got an unexpected keyword argument `{name}`"),
                        );
                        if let Some(s) = closest(&name, positional.iter().map(|p| p.name.as_str()))
                        {
                            d = d.help(format!("did you mean `{s}`?")).suggest(s);
                        } else if !positional.is_empty() {
                            let names: Vec<&str> =
                                positional.iter().map(|p| p.name.as_str()).collect();
                            d = d.note(format!("{fname}() takes: {}", names.join(", ")));
                        }
                        self.push(d);
                        ok = false;
                    }
                },
            }
        }
        let missing: Vec<&str> = positional
            .iter()
            .zip(&slots)
            .filter(|(p, s)| s.is_none() && p.default.is_none())
            .map(|(p, _)| p.name.as_str())
            .collect();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
            self.error(
                "E0206",
                call,
                format!(
                    "{fname}() missing {} required argument{}: {}",
                    missing.len(),
                    if missing.len() == 1 { "" } else { "s" },
                    list.join(", ")
                ),
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        let mut values = Vec::with_capacity(slots.len());
        let mut spans = Vec::with_capacity(slots.len());
        for (p, slot) in positional.iter().zip(slots) {
            match slot {
                Some((v, s)) => {
                    values.push(v);
                    spans.push(s);
                }
                None => {
                    values.push(self.eval_default(p.default.as_deref().unwrap_or(""), call));
                    spans.push(call);
                }
            }
        }
        Some(Bound {
            values,
            spans,
            kwargs,
        })
    }
}
