//! vis.json: variables, global functions and widgets. Running a vis script
//! calls its functions with the variables' values (defaults or `--arg`),
//! converting each string by the parameter's annotation, exactly as Pixie's
//! client does.

use crate::diagnostic::{Diagnostic, Origin, closest};
use crate::eval::{Evaluator, Value};
use crate::ir::{Literal, Op, SinkKind};
use crate::span::Span;
use serde_json::Value as Json;

#[derive(Debug, Clone)]
pub(crate) struct Variable {
    name: String,
    default: Option<String>,
    valid: Vec<String>,
}

#[derive(Debug, Clone)]
enum ArgSource {
    Variable(String),
    Value(String),
}

#[derive(Debug, Clone)]
struct FuncCall {
    /// Output name prefix: the globalFunc's outputName or the widget's name.
    prefix: String,
    name: String,
    args: Vec<(String, ArgSource)>,
}

#[derive(Debug, Clone)]
pub(crate) struct VisSpec {
    text: String,
    variables: Vec<Variable>,
    calls: Vec<FuncCall>,
}

const VAR_TYPES: &[&str] = &[
    "PX_STRING",
    "PX_INT64",
    "PX_FLOAT64",
    "PX_BOOLEAN",
    "PX_SERVICE",
    "PX_POD",
    "PX_CONTAINER",
    "PX_NAMESPACE",
    "PX_NODE",
    "PX_LIST",
    "PX_STRING_LIST",
];

fn err(code: &'static str, span: Span, msg: impl Into<String>) -> Diagnostic {
    Diagnostic::error(code, span, msg).in_origin(Origin::VisJson)
}

/// Span of the first occurrence of `"needle"` in the JSON text (after `after`).
fn find(text: &str, needle: &str, after: usize) -> Span {
    let quoted = format!("\"{needle}\"");
    match text.get(after..).and_then(|t| t.find(&quoted)) {
        Some(i) => Span::new(after + i, after + i + quoted.len()),
        None => Span::new(after.min(text.len()), after.min(text.len())),
    }
}

fn str_field<'a>(v: &'a Json, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Json::as_str)
}

impl VisSpec {
    pub(crate) fn parse(text: &str, diags: &mut Vec<Diagnostic>) -> Option<VisSpec> {
        let json: Json = match serde_json::from_str(text) {
            Ok(j) => j,
            Err(e) => {
                let index = crate::span::LineIndex::new(text);
                let off = index.offset(
                    text,
                    e.line().saturating_sub(1),
                    e.column().saturating_sub(1),
                );
                diags.push(err(
                    "E0603",
                    Span::new(off, off + 1),
                    format!("vis.json is not valid JSON: {e}"),
                ));
                return None;
            }
        };
        let mut spec = VisSpec {
            text: text.to_string(),
            variables: Vec::new(),
            calls: Vec::new(),
        };
        let before = diags.len();
        for v in json
            .get("variables")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = str_field(v, "name") else {
                diags.push(err(
                    "E0603",
                    find(text, "variables", 0),
                    "every vis.json variable needs a \"name\"",
                ));
                continue;
            };
            let ty = str_field(v, "type").unwrap_or("PX_STRING").to_string();
            if !VAR_TYPES.contains(&ty.as_str()) {
                let mut d = err(
                    "E0603",
                    find(text, &ty, 0),
                    format!("variable `{name}` has unknown type `{ty}`"),
                );
                if let Some(s) = closest(&ty, VAR_TYPES.iter().copied()) {
                    d = d.help(format!("did you mean `{s}`?")).suggest(s);
                }
                diags.push(d);
            }
            let default = v.get("defaultValue").map(|d| match d {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            });
            let valid = v
                .get("validValues")
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();
            spec.variables.push(Variable {
                name: name.to_string(),
                default,
                valid,
            });
        }
        let mut global_outputs = Vec::new();
        for g in json
            .get("globalFuncs")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let prefix = str_field(g, "outputName").unwrap_or("output").to_string();
            global_outputs.push(prefix.clone());
            if let Some(call) = parse_func(g.get("func"), prefix, text, diags) {
                spec.calls.push(call);
            }
        }
        for w in json
            .get("widgets")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(out) = str_field(w, "globalFuncOutputName") {
                if !global_outputs.iter().any(|g| g == out) {
                    diags.push(err("E0603", find(text, out, 0), format!("widget refers to global function output `{out}`, which no globalFunc defines")));
                }
                continue;
            }
            if w.get("func").is_some() {
                let prefix = str_field(w, "name")
                    .filter(|n| !n.is_empty())
                    .unwrap_or("widget")
                    .to_string();
                if let Some(call) = parse_func(w.get("func"), prefix, text, diags) {
                    spec.calls.push(call);
                }
            }
        }
        (diags.len() == before).then_some(spec)
    }

    /// The output names the functions will produce (single-DataFrame form).
    pub(crate) fn output_names(&self) -> impl Iterator<Item = &str> {
        self.calls.iter().map(|c| c.prefix.as_str())
    }

    pub(crate) fn has_functions(&self) -> bool {
        !self.calls.is_empty()
    }

    /// Call every function of the spec and turn the results into sinks.
    pub(crate) fn run(&self, ev: &mut Evaluator, args: &[(String, String)]) {
        let mut values = std::collections::HashMap::new();
        for v in &self.variables {
            if let Some(d) = &v.default {
                values.insert(v.name.clone(), d.clone());
            }
        }
        for (name, value) in args {
            match self.variables.iter().find(|v| v.name == *name) {
                Some(var) => {
                    if !var.valid.is_empty() && !var.valid.contains(value) {
                        ev.diags.push(
                            Diagnostic::error(
                                "E0607",
                                Span::default(),
                                format!("`{value}` is not a valid value for `{name}`"),
                            )
                            .note(format!("valid values: {}", var.valid.join(", ")))
                            .in_origin(Origin::Arguments),
                        );
                    }
                    values.insert(name.clone(), value.clone());
                }
                None => {
                    let mut d = Diagnostic::error(
                        "E0607",
                        Span::default(),
                        format!("the script has no variable `{name}`"),
                    )
                    .in_origin(Origin::Arguments);
                    if let Some(s) = closest(name, self.variables.iter().map(|v| v.name.as_str())) {
                        d = d.help(format!("did you mean `{s}`?"));
                    } else if !self.variables.is_empty() {
                        let names: Vec<&str> =
                            self.variables.iter().map(|v| v.name.as_str()).collect();
                        d = d.note(format!("its variables are: {}", names.join(", ")));
                    }
                    ev.diags.push(d);
                }
            }
        }
        for call in &self.calls {
            self.run_call(ev, call, &values);
        }
    }

    fn run_call(
        &self,
        ev: &mut Evaluator,
        call: &FuncCall,
        values: &std::collections::HashMap<String, String>,
    ) {
        let fspan = find(&self.text, &call.name, 0);
        let Some(Value::UserFn(f)) = ev.globals.borrow().lookup(&call.name) else {
            let names: Vec<String> = ev
                .globals
                .borrow()
                .vars
                .iter()
                .filter(|(_, v)| matches!(v, Value::UserFn(_)))
                .map(|(k, _)| k.clone())
                .collect();
            let mut d = err(
                "E0604",
                fspan,
                format!(
                    "vis.json calls `{}`, but the script defines no such function",
                    call.name
                ),
            );
            if let Some(s) = closest(&call.name, names.iter().map(String::as_str)) {
                d = d.help(format!("did you mean `{s}`?")).suggest(s);
            }
            ev.diags.push(d);
            return;
        };
        let missing: Vec<&str> = f
            .def
            .params
            .iter()
            .map(|p| p.name.name.as_str())
            .filter(|p| !call.args.iter().any(|(a, _)| a == p))
            .collect();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|m| format!("`{m}`")).collect();
            ev.diags.push(
                err("E0605", fspan, format!("vis.json calls `{}` without its parameter(s) {}", call.name, list.join(", ")))
                    .help("add an entry to the func's \"args\" for each parameter, from a variable or a literal value"),
            );
            return;
        }
        let mut kwargs = Vec::new();
        for (arg, source) in &call.args {
            let aspan = find(&self.text, arg, fspan.start as usize);
            let raw = match source {
                ArgSource::Value(v) => v.clone(),
                ArgSource::Variable(var) => match values.get(var) {
                    Some(v) => v.clone(),
                    None => {
                        let known = self.variables.iter().any(|v| v.name == *var);
                        let msg = if known {
                            format!(
                                "variable `{var}` has no default value; pass it with --arg {var}=VALUE"
                            )
                        } else {
                            format!(
                                "argument `{arg}` uses variable `{var}`, which vis.json does not declare"
                            )
                        };
                        ev.diags.push(err("E0607", find(&self.text, var, 0), msg));
                        return;
                    }
                },
            };
            let Some(pos) = f.def.params.iter().position(|p| p.name.name == *arg) else {
                ev.diags.push(err(
                    "E0605",
                    aspan,
                    format!("function `{}` has no parameter `{arg}`", call.name),
                ));
                return;
            };
            let Some(annotation) = f.annotations[pos].clone() else {
                ev.diags.push(
                    Diagnostic::error(
                        "E0605",
                        f.def.params[pos].span,
                        format!(
                            "parameter `{arg}` needs a type annotation so vis.json can pass it"
                        ),
                    )
                    .help(format!(
                        "write `{arg}: str` (or int, float, bool, px.Service, ...)"
                    )),
                );
                return;
            };
            let Some(value) = convert_arg(ev, &raw, &annotation, arg, aspan) else {
                return;
            };
            kwargs.push((Some(arg.clone()), value, aspan));
        }
        // A call made from vis.json has no span in the script.
        let result = ev.call_user(&f, kwargs, Span::default());
        let outputs: Vec<(String, Value)> = match result {
            Value::DataFrame(_) => vec![(call.prefix.clone(), result)],
            Value::List(items) | Value::Tuple(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{}[{i}]", call.prefix), v.clone()))
                .collect(),
            Value::Error => return,
            other => {
                ev.diags.push(
                    Diagnostic::error(
                        "E0606",
                        f.def.name.span,
                        format!(
                            "function `{}` returns a `{}` but vis.json needs a DataFrame",
                            call.name,
                            other.type_name()
                        ),
                    )
                    .help("end the function with `return df`"),
                );
                return;
            }
        };
        for (name, v) in outputs {
            let Value::DataFrame(df) = v else {
                ev.diags.push(Diagnostic::error("E0606", f.def.name.span, format!("function `{}` returns a list that holds a `{}`; every item must be a DataFrame", call.name, v.type_name())));
                continue;
            };
            let rel = ev.relation(df);
            let origin = ev.origin_rc(df);
            ev.reserved_names.remove(&name);
            let name = ev.sink_name_in(&name, fspan, Origin::VisJson);
            let id = ev.add_node(
                Op::Sink {
                    name,
                    kind: SinkKind::Display,
                },
                vec![df],
                rel,
                origin,
            );
            ev.sinks.push(id);
        }
    }
}

fn parse_func(
    func: Option<&Json>,
    prefix: String,
    text: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<FuncCall> {
    let func = func?;
    let Some(name) = str_field(func, "name") else {
        diags.push(err(
            "E0603",
            find(text, "func", 0),
            "a vis.json func needs a \"name\"",
        ));
        return None;
    };
    let mut args = Vec::new();
    for a in func
        .get("args")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
    {
        let Some(arg) = str_field(a, "name") else {
            diags.push(err(
                "E0603",
                find(text, name, 0),
                format!("an argument of `{name}` in vis.json has no \"name\""),
            ));
            return None;
        };
        let source = if let Some(var) = str_field(a, "variable") {
            ArgSource::Variable(var.to_string())
        } else if let Some(v) = a.get("value") {
            ArgSource::Value(match v {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            })
        } else {
            diags.push(err(
                "E0603",
                find(text, arg, 0),
                format!("argument `{arg}` of `{name}` needs a \"variable\" or a \"value\""),
            ));
            return None;
        };
        args.push((arg.to_string(), source));
    }
    Some(FuncCall {
        prefix,
        name: name.to_string(),
        args,
    })
}

/// Turn an argument string into a value by the parameter's annotation.
fn convert_arg(
    ev: &mut Evaluator,
    raw: &str,
    annotation: &Value,
    arg: &str,
    span: Span,
) -> Option<Value> {
    let bad = |ev: &mut Evaluator, what: &str| {
        ev.diags.push(err(
            "E0605",
            span,
            format!("argument `{arg}`: `{raw}` is not {what}"),
        ));
        None
    };
    match annotation {
        Value::TypeObject(t) => match t.path {
            "int" => match raw.trim().parse::<i64>() {
                Ok(i) => Some(Value::lit(Literal::Int(i), span)),
                Err(_) => bad(ev, "an integer"),
            },
            "float" => match raw.trim().parse::<f64>() {
                Ok(f) => Some(Value::lit(Literal::Float(f), span)),
                Err(_) => bad(ev, "a number"),
            },
            "bool" => match raw.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "t" | "y" => Some(Value::lit(Literal::Bool(true), span)),
                "false" | "0" | "no" | "f" | "n" => Some(Value::lit(Literal::Bool(false), span)),
                _ => bad(ev, "a boolean (true/false)"),
            },
            "px.Time" => match raw.trim().parse::<i64>() {
                Ok(ns) => Some(Value::lit(Literal::Time(ns), span)),
                Err(_) => bad(ev, "a time in nanoseconds"),
            },
            _ => Some(Value::lit(Literal::Str(raw.to_string()), span)),
        },
        Value::Error => None,
        _ => {
            // Non-scalar annotations (list, ...): the text is a PxL expression.
            let parsed = crate::syntax::parse(&format!("{raw}\n"));
            match parsed.module.body.first().map(|s| &s.kind) {
                Some(crate::syntax::ast::StmtKind::Expr(e)) if parsed.diagnostics.is_empty() => {
                    let globals = ev.globals.clone();
                    let before = ev.diags.len();
                    let v = ev.eval(e, &globals);
                    for d in &mut ev.diags[before..] {
                        d.span = span;
                        d.origin = Origin::VisJson;
                    }
                    Some(v)
                }
                _ => bad(ev, "a valid PxL expression"),
            }
        }
    }
}
