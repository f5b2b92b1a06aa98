//! Compile-time values. PxL is staged: module code runs in the compiler, and
//! these are the objects it computes with. Column expressions stay untyped
//! ([`UNode`]) until an operator consumes them, because a column reference
//! resolves against the operator that uses it, not the DataFrame it was read
//! from.

use crate::ir::{Literal, NodeId};
use crate::span::Span;
use crate::syntax::ast::{Expr, FunctionDef, Ident};
use pxl_stdlib::functions::{CompileTimeSpec, Function, TypeObject};
use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// Deepest compile-time expression tree the compiler builds.
pub const MAX_EXPR_DEPTH: usize = 200;

#[derive(Debug, Clone)]
pub(crate) enum UKind {
    Column(String),
    Lit(Literal),
    /// A registry function applied to expressions.
    Call {
        func: &'static Function,
        args: Vec<Rc<UNode>>,
    },
    /// An aggregate called inside an agg-spec lambda.
    AggCall {
        func: &'static Function,
        args: Vec<Rc<UNode>>,
        quantile: Option<f64>,
    },
    /// `df.ctx['key']` or an implicit metadata column.
    Metadata(String),
    /// `px.DurationNanos(e)` and friends: a semantic-type relabel.
    Cast {
        to: &'static TypeObject,
        expr: Rc<UNode>,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct UNode {
    pub kind: UKind,
    pub span: Span,
    pub depth: usize,
}

impl UNode {
    pub fn new(kind: UKind, span: Span) -> Rc<UNode> {
        let depth = match &kind {
            UKind::Call { args, .. } | UKind::AggCall { args, .. } => {
                1 + args.iter().map(|a| a.depth).max().unwrap_or(0)
            }
            UKind::Cast { expr, .. } => 1 + expr.depth,
            _ => 1,
        };
        Rc::new(UNode { kind, span, depth })
    }

    pub fn lit(&self) -> Option<&Literal> {
        match &self.kind {
            UKind::Lit(l) => Some(l),
            _ => None,
        }
    }
}

/// A module object (`px`, `px.otel.metric`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModuleKind {
    Px,
    PxTrace,
    PxConfig,
    PxViews,
    Otel,
    OtelMetric,
    OtelTrace,
    Vis,
    Plugin,
}

impl ModuleKind {
    pub fn path(self) -> &'static str {
        match self {
            ModuleKind::Px => "px",
            ModuleKind::PxTrace => "pxtrace",
            ModuleKind::PxConfig => "pxconfig",
            ModuleKind::PxViews => "pxviews",
            ModuleKind::Otel => "px.otel",
            ModuleKind::OtelMetric => "px.otel.metric",
            ModuleKind::OtelTrace => "px.otel.trace",
            ModuleKind::Vis => "px.vis",
            ModuleKind::Plugin => "px.plugin",
        }
    }
}

/// A function defined with `def` (or a lambda in an agg spec).
#[derive(Debug)]
pub(crate) struct UserFn {
    pub def: Arc<FunctionDef>,
    pub scope: Rc<RefCell<Scope>>,
    /// Evaluated annotation of each parameter (for vis.json argument conversion).
    pub annotations: Vec<Option<Value>>,
    /// The bundled library it comes from (`pxviews`), if any: its spans are
    /// not in the user's script.
    pub library: Option<&'static str>,
}

#[derive(Debug)]
pub(crate) struct LambdaFn {
    pub params: Vec<Ident>,
    pub body: Expr,
    pub span: Span,
    pub scope: Rc<RefCell<Scope>>,
}

/// An object with named fields: exporters, otel metric specs, tracepoints.
#[derive(Debug)]
pub(crate) struct Object {
    pub kind: &'static str,
    pub fields: Vec<(String, Value)>,
}

#[derive(Debug, Clone)]
pub(crate) enum Value {
    None,
    /// A literal or column expression.
    Expr(Rc<UNode>),
    List(Rc<Vec<Value>>),
    Tuple(Rc<Vec<Value>>),
    Dict(Rc<Vec<(Value, Value)>>),
    DataFrame(NodeId),
    GroupBy {
        df: NodeId,
        by: Rc<Vec<(String, Span)>>,
    },
    Ctx,
    Module(ModuleKind),
    /// A compile-time function (`px.DataFrame`, `px.otel.metric.Gauge`, ...).
    Builtin(&'static CompileTimeSpec),
    /// A bound DataFrame or column method.
    Method {
        recv: Box<Value>,
        spec: &'static CompileTimeSpec,
    },
    /// A registry function used as a value (`px.count`, `px.contains`).
    Function(&'static Function),
    /// `px.quantiles(0.99)`: an aggregate with its parameter bound.
    AggWithParam {
        func: &'static Function,
        quantile: f64,
    },
    TypeObject(&'static TypeObject),
    /// `list` and other annotation-only types.
    Type(&'static str),
    UserFn(Rc<UserFn>),
    Lambda(Rc<LambdaFn>),
    Object(Rc<Object>),
    /// The result of an expression that already produced an error.
    Error,
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::None => "None",
            Value::Expr(e) => match &e.kind {
                UKind::Lit(l) => match l {
                    Literal::Bool(_) => "bool",
                    Literal::Int(_) => "int",
                    Literal::Float(_) => "float",
                    Literal::Str(_) => "str",
                    Literal::Time(_) => "Time",
                    Literal::Uint128(_) => "UINT128",
                },
                UKind::Column(_) => "Column",
                _ => "Expression",
            },
            Value::List(_) => "list",
            Value::Tuple(_) => "tuple",
            Value::Dict(_) => "dict",
            Value::DataFrame(_) => "DataFrame",
            Value::GroupBy { .. } => "GroupBy",
            Value::Ctx => "metadata context",
            Value::Module(_) => "module",
            Value::Builtin(_) | Value::Method { .. } | Value::UserFn(_) | Value::Lambda(_) => {
                "function"
            }
            Value::Function(_) | Value::AggWithParam { .. } => "px function",
            Value::TypeObject(_) => "type",
            Value::Type(name) => name,
            Value::Object(o) => o.kind,
            Value::Error => "<error>",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Expr(e) => match &e.kind {
                UKind::Lit(Literal::Str(s)) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Expr(e) => match &e.kind {
                UKind::Lit(Literal::Int(i)) => Some(*i),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Expr(e) => match &e.kind {
                UKind::Lit(Literal::Bool(b)) => Some(*b),
                UKind::Lit(Literal::Int(i)) => Some(*i != 0),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn lit(l: Literal, span: Span) -> Value {
        Value::Expr(UNode::new(UKind::Lit(l), span))
    }
}

/// Names visible at one level; function calls get a child of the scope they
/// were defined in.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    pub vars: HashMap<String, Value>,
    pub parent: Option<Rc<RefCell<Scope>>>,
}

impl Scope {
    pub fn lookup(&self, name: &str) -> Option<Value> {
        match self.vars.get(name) {
            Some(v) => Some(v.clone()),
            None => self.parent.as_ref().and_then(|p| p.borrow().lookup(name)),
        }
    }

    /// Every visible name, for suggestions.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.vars.keys().cloned().collect();
        if let Some(p) = &self.parent {
            names.extend(p.borrow().names());
        }
        names
    }
}
