//! What an editor needs from a compiled file: every definition and use of a
//! name, and the type of expressions and DataFrames at each point. Recording
//! is cheap (no strings are formatted while compiling); [`Analysis::describe`]
//! renders an entry on demand.

use crate::ir::{NodeId, Relation};
use crate::span::Span;
use pxl_stdlib::{DataType, SemanticType};
use rustc_hash::FxHashMap as HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    Variable,
    Function,
    Parameter,
    Module,
    Column,
}

/// What a value is, recorded at a span.
#[derive(Debug, Clone, PartialEq)]
pub enum Info {
    /// A DataFrame: the node whose relation it has.
    DataFrame(NodeId),
    /// A typed column expression.
    Typed(DataType, Option<SemanticType>),
    /// A literal of this type.
    Literal(DataType),
    /// An untyped column reference (typed where an operator consumed it).
    Column(String),
    /// Any other compile-time object, by kind name.
    Object(&'static str),
    /// A function signature.
    Signature(String),
}

#[derive(Debug, Clone)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    pub definition: Span,
    pub info: Info,
    pub uses: Vec<Span>,
}

#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub symbols: Vec<Symbol>,
    /// Spans with what the expression there is, in recording order.
    pub types: Vec<(Span, Info)>,
    /// The relation of every DataFrame the script built, by node id.
    pub frames: Vec<std::sync::Arc<Relation>>,
    pub(crate) enabled: bool,
    /// Symbol indices by name, in definition order.
    by_name: HashMap<String, Vec<usize>>,
    /// Symbol index by (name, definition span): a function called twice
    /// defines its parameters once.
    by_definition: HashMap<(String, Span), usize>,
}

impl Analysis {
    pub(crate) fn new(enabled: bool) -> Analysis {
        Analysis {
            enabled,
            ..Analysis::default()
        }
    }

    pub(crate) fn define(&mut self, name: &str, span: Span, kind: SymbolKind, info: Info) {
        if !self.enabled {
            return;
        }
        let key = (name.to_string(), span);
        if let Some(&i) = self.by_definition.get(&key) {
            self.symbols[i].info = info;
            return;
        }
        self.by_definition.insert(key, self.symbols.len());
        self.by_name
            .entry(name.to_string())
            .or_default()
            .push(self.symbols.len());
        self.symbols.push(Symbol {
            name: name.to_string(),
            kind,
            definition: span,
            info,
            uses: Vec::new(),
        });
    }

    pub(crate) fn use_name(&mut self, name: &str, span: Span) {
        if !self.enabled {
            return;
        }
        let Some(ids) = self.by_name.get(name) else {
            return;
        };
        // The latest definition before this use (or the latest at all, for
        // functions called before their text position).
        let idx = ids
            .iter()
            .rev()
            .find(|&&i| self.symbols[i].definition.start <= span.start)
            .or(ids.last())
            .copied();
        if let Some(i) = idx
            && self.symbols[i].uses.last() != Some(&span)
            && !self.symbols[i].uses.contains(&span)
        {
            self.symbols[i].uses.push(span);
        }
    }

    pub(crate) fn record(&mut self, span: Span, info: Info) {
        if self.enabled {
            self.types.push((span, info));
        }
    }

    /// The symbol defined or used at a byte offset.
    pub fn symbol_at(&self, offset: usize) -> Option<&Symbol> {
        self.symbols
            .iter()
            .find(|s| s.definition.contains(offset) || s.uses.iter().any(|u| u.contains(offset)))
    }

    /// The innermost recorded expression at a byte offset.
    pub fn info_at(&self, offset: usize) -> Option<(Span, &Info)> {
        self.types
            .iter()
            .filter(|(s, _)| s.contains(offset))
            .min_by_key(|(s, _)| s.end - s.start)
            .map(|(s, i)| (*s, i))
    }

    /// Render an [`Info`] for a hover or a listing.
    pub fn describe(&self, info: &Info) -> String {
        match info {
            Info::DataFrame(id) => match self.frames.get(*id) {
                Some(rel) => {
                    let cols: Vec<String> = rel
                        .columns
                        .iter()
                        .map(|c| format!("{}: {}", c.name, c.ty))
                        .collect();
                    format!("DataFrame[{}]", cols.join(", "))
                }
                None => "DataFrame".to_string(),
            },
            Info::Typed(t, Some(s))
                if !matches!(s, SemanticType::None | SemanticType::Unspecified) =>
            {
                format!("{t} ({})", s.name())
            }
            Info::Typed(t, _) => t.to_string(),
            Info::Literal(t) => format!("{t} literal"),
            Info::Column(c) => format!("column `{c}`"),
            Info::Object(k) => (*k).to_string(),
            Info::Signature(s) => s.clone(),
        }
    }
}
