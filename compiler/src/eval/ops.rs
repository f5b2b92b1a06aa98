//! Operators, attribute access, subscripts and calls on compile-time values.

use super::binding::stdlib_params;
use super::value::{LambdaFn, Object, UKind, UNode};
use super::{Evaluator, ModuleKind, Scope, Value, method_spec, module_function, registry_function};
use crate::diagnostic::{Diagnostic, closest};
use crate::ir::{Literal, NodeId};
use crate::span::Span;
use crate::syntax::ast::{BinOp, CmpOp, UnaryOp};
use pxl_stdlib::DataType;
use pxl_stdlib::functions::{
    DATAFRAME_METHODS, FnKind, Function, MODULE_FUNCTIONS, TYPE_OBJECTS, registry,
};
use std::cell::RefCell;
use std::rc::Rc;

impl Evaluator {
    pub(crate) fn binary(&mut self, op: BinOp, l: Value, r: Value, span: Span) -> Value {
        let name = match op {
            BinOp::Add => "add",
            BinOp::Sub => "subtract",
            BinOp::Mul => "multiply",
            BinOp::Div => "divide",
            BinOp::Mod => "modulo",
            other => {
                let help = match other {
                    BinOp::FloorDiv => "use `px.floor(a / b)`",
                    BinOp::Pow => "use `px.pow(a, b)`",
                    BinOp::BitAnd => {
                        "for a logical AND of conditions write `and`: `(a > 1) and (b < 2)`"
                    }
                    BinOp::BitOr => {
                        "for a logical OR of conditions write `or`: `(a > 1) or (b < 2)`"
                    }
                    BinOp::MatMul => "matrix multiplication has no meaning in PxL",
                    _ => "bitwise operators are not available in PxL",
                };
                return self.unsupported_operator(other.symbol(), help, span);
            }
        };
        self.apply_op(name, vec![l, r], span)
    }

    fn unsupported_operator(&mut self, symbol: &str, help: &str, span: Span) -> Value {
        self.push(
            Diagnostic::error(
                "E0103",
                span,
                format!("operator `{symbol}` is not supported in PxL"),
            )
            .help(help),
        )
    }

    pub(crate) fn unary(&mut self, op: UnaryOp, v: Value, span: Span) -> Value {
        match op {
            UnaryOp::Pos => v,
            UnaryOp::Neg => self.apply_op("negate", vec![v], span),
            UnaryOp::Not => self.apply_op("logicalNot", vec![v], span),
            UnaryOp::Invert => self.apply_op("invert", vec![v], span),
        }
    }

    pub(crate) fn compare(&mut self, op: CmpOp, l: Value, r: Value, span: Span) -> Value {
        let name = match op {
            CmpOp::Eq => "equal",
            CmpOp::NotEq => "notEqual",
            CmpOp::Lt => "lessThan",
            CmpOp::LtE => "lessThanEqual",
            CmpOp::Gt => "greaterThan",
            CmpOp::GtE => "greaterThanEqual",
            other => {
                let help = match other {
                    CmpOp::In | CmpOp::NotIn => {
                        "use `px.equals_any(value, [a, b])` or `px.contains(text, part)`"
                    }
                    _ => "compare with `==` / `!=`",
                };
                return self.unsupported_operator(other.symbol(), help, span);
            }
        };
        self.apply_op(name, vec![l, r], span)
    }

    /// Apply an operator function to expression operands, folding literals.
    pub(crate) fn apply_op(&mut self, name: &str, args: Vec<Value>, span: Span) -> Value {
        let Some(func) = registry_function(name) else {
            return self.error(
                "E9999",
                span,
                format!("internal error: operator function `{name}` missing from the stdlib"),
            );
        };
        let mut nodes = Vec::with_capacity(args.len());
        for a in args {
            match a {
                Value::Expr(e) => nodes.push(e),
                Value::Error => return Value::Error,
                other => {
                    return self.push(
                        Diagnostic::error(
                            "E0404",
                            span,
                            format!(
                                "expected an expression operand, found `{}`",
                                other.type_name()
                            ),
                        )
                        .help(if matches!(other, Value::DataFrame(_)) {
                            "operators work on columns: write `df.column`, not `df`"
                        } else {
                            "operators work on columns, literals and function results"
                        }),
                    );
                }
            }
        }
        self.call_scalar(func, nodes, span)
    }

    /// Build (or fold) a call of a registry scalar function.
    pub(crate) fn call_scalar(
        &mut self,
        func: &'static Function,
        args: Vec<Rc<UNode>>,
        span: Span,
    ) -> Value {
        let lits: Option<Vec<&Literal>> = args.iter().map(|a| a.lit()).collect();
        if let Some(lits) = lits {
            let types: Vec<DataType> = lits.iter().map(|l| l.data_type()).collect();
            if func.resolve(&types).is_none() {
                return self.no_overload(func, &types, span);
            }
            if let Some(folded) = fold(func.name(), &lits) {
                return Value::lit(folded, span);
            }
        }
        Value::Expr(UNode::new(UKind::Call { func, args }, span))
    }

    pub(crate) fn no_overload(&mut self, func: &Function, types: &[DataType], span: Span) -> Value {
        let given: Vec<&str> = types.iter().map(|t| t.name()).collect();
        let accepted: Vec<String> = func
            .overloads
            .iter()
            .map(|o| {
                format!(
                    "({})",
                    o.params
                        .iter()
                        .map(|p| p.ty.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        let what = operator_symbol(func.name()).map_or(format!("`px.{}`", func.name()), |s| {
            format!("operator `{s}`")
        });
        let mut d = Diagnostic::error(
            "E0401",
            span,
            format!("{what} cannot be applied to ({})", given.join(", ")),
        )
        .note(format!("it accepts {}", accepted.join(", ")));
        let numeric = given.iter().any(|g| *g == "INT64" || *g == "FLOAT64");
        let is_operator = operator_symbol(func.name()).is_some();
        if is_operator && given.contains(&"STRING") && numeric {
            d = d.help(if func.name() == "add" {
                "to build text, convert the number with `px.itoa(n)`; to add numbers, convert the text with `px.atoi(s, default)`"
            } else {
                "convert text with `px.atoi(s, default)`, or compare against a string literal"
            });
        } else if given.contains(&"TIME64NS") && given.contains(&"INT64") {
            d = d.help("convert with `px.time_to_int64(t)` or `px.int64_to_time(n)` so both sides have the same type");
        }
        self.push(d)
    }

    pub(crate) fn get_attr(&mut self, v: Value, name: &str, span: Span) -> Value {
        match v {
            Value::Error => Value::Error,
            Value::DataFrame(df) => {
                if name == "ctx" {
                    return Value::Ctx;
                }
                if let Some(spec) = method_spec(&format!("DataFrame.{name}")) {
                    return Value::Method { recv: Box::new(Value::DataFrame(df)), spec };
                }
                Value::Expr(UNode::new(UKind::Column(name.to_string()), span))
            }
            Value::GroupBy { .. } => match name {
                "agg" | "rolling" => Value::Method { recv: Box::new(v), spec: method_spec(&format!("DataFrame.{name}")).expect("stdlib has agg/rolling") },
                other => self.push(
                    Diagnostic::error("E0501", span, format!("`groupby()` must be followed by `.agg()` or `.rolling()`, not `.{other}`"))
                        .help("aggregate the groups: `df.groupby('col').agg(n=('col', px.count))`"),
                ),
            },
            Value::Expr(ref e) => {
                if let Some(spec) = method_spec(&format!("Column.{name}")) {
                    return Value::Method { recv: Box::new(v), spec };
                }
                let what = match &e.kind {
                    UKind::Column(c) => format!("column `{c}`"),
                    _ => "an expression".to_string(),
                };
                let methods = DATAFRAME_METHODS.iter().filter_map(|m| m.path.strip_prefix("Column."));
                let mut d = Diagnostic::error("E0204", span, format!("{what} has no attribute `{name}`"));
                if let Some(s) = closest(name, methods) {
                    d = d.help(format!("did you mean `.{s}()`?")).suggest(s);
                } else {
                    d = d.note("columns have the string methods contains, startswith, endswith, lower, upper and strip");
                }
                self.push(d)
            }
            Value::Module(m) => self.module_attr(m, name, span),
            Value::Object(ref o) => match o.fields.iter().find(|(k, _)| k == name) {
                Some((_, v)) => v.clone(),
                None => self.error("E0204", span, format!("`{}` object has no attribute `{name}`", o.kind)),
            },
            other => self.error("E0204", span, format!("`{}` object has no attribute `{name}`", other.type_name())),
        }
    }

    fn module_attr(&mut self, m: ModuleKind, name: &str, span: Span) -> Value {
        let path = format!("{}.{name}", m.path());
        if let Some(spec) = module_function(&path) {
            return Value::Builtin(spec);
        }
        match (m, name) {
            (ModuleKind::Px, "otel") => return Value::Module(ModuleKind::Otel),
            (ModuleKind::Px, "vis") => return Value::Module(ModuleKind::Vis),
            (ModuleKind::Px, "plugin") => return Value::Module(ModuleKind::Plugin),
            (ModuleKind::Otel, "metric") => return Value::Module(ModuleKind::OtelMetric),
            (ModuleKind::Otel, "trace") => return Value::Module(ModuleKind::OtelTrace),
            (ModuleKind::OtelTrace, kind) if kind.starts_with("SPAN_KIND_") => {
                let v = match kind {
                    "SPAN_KIND_UNSPECIFIED" => Some(0),
                    "SPAN_KIND_INTERNAL" => Some(1),
                    "SPAN_KIND_SERVER" => Some(2),
                    "SPAN_KIND_CLIENT" => Some(3),
                    "SPAN_KIND_PRODUCER" => Some(4),
                    "SPAN_KIND_CONSUMER" => Some(5),
                    _ => None,
                };
                if let Some(v) = v {
                    return Value::lit(Literal::Int(v), span);
                }
            }
            (ModuleKind::Plugin, "start_time" | "end_time") => {
                return self.push(
                    Diagnostic::error(
                        "E0204",
                        span,
                        format!(
                            "`px.plugin.{name}` is only available when a script runs as a plugin"
                        ),
                    )
                    .help("pass the time window as a script argument instead"),
                );
            }
            (ModuleKind::PxViews, _) => return self.pxviews_attr(name, span),
            _ => {}
        }
        if m == ModuleKind::Px {
            if let Some(t) = TYPE_OBJECTS.iter().find(|t| t.path == path) {
                return Value::TypeObject(t);
            }
            if let Some(f) = registry().get(name) {
                return Value::Function(f);
            }
        }
        // Unknown: suggest the closest name in this module.
        let prefix = format!("{}.", m.path());
        let mut candidates: Vec<String> = MODULE_FUNCTIONS
            .iter()
            .filter_map(|f| f.path.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('.'))
            .map(String::from)
            .collect();
        if m == ModuleKind::Px {
            candidates.extend(
                registry()
                    .names()
                    .filter(|n| !n.starts_with('_'))
                    .map(String::from),
            );
            candidates.extend(
                TYPE_OBJECTS
                    .iter()
                    .filter_map(|t| t.path.strip_prefix("px."))
                    .map(String::from),
            );
            candidates.extend(["otel", "vis", "plugin"].map(String::from));
        }
        let mut d = Diagnostic::error(
            "E0204",
            span,
            format!("module `{}` has no attribute `{name}`", m.path()),
        );
        if let Some(s) = closest(name, candidates.iter().map(String::as_str)) {
            d = d
                .help(format!("did you mean `{}.{s}`?", m.path()))
                .suggest(s);
        }
        self.push(d)
    }

    pub(crate) fn subscript(
        &mut self,
        v: Value,
        index: Value,
        span: Span,
        index_span: Span,
    ) -> Value {
        match (v, index) {
            (Value::Error, _) | (_, Value::Error) => Value::Error,
            (Value::DataFrame(df), idx) => self.df_subscript(df, idx, span, index_span),
            (Value::Ctx, idx) => match idx.as_str() {
                Some(key) => {
                    let key = key.to_string();
                    self.metadata_key(&key, index_span)
                }
                None => self.error(
                    "E0304",
                    index_span,
                    "metadata keys are strings: `df.ctx['pod']`",
                ),
            },
            (Value::List(items) | Value::Tuple(items), idx) => match idx.as_int() {
                Some(i) => {
                    let len = items.len() as i64;
                    let j = if i < 0 { i + len } else { i };
                    match usize::try_from(j).ok().and_then(|j| items.get(j)) {
                        Some(v) => v.clone(),
                        None => self.error(
                            "E0208",
                            index_span,
                            format!("index {i} is out of range for a list of {len} items"),
                        ),
                    }
                }
                None => self.error(
                    "E0208",
                    index_span,
                    format!(
                        "list indices must be integer literals, not `{}`",
                        idx.type_name()
                    ),
                ),
            },
            (Value::Dict(_), _) => self.push(
                Diagnostic::error("E0208", span, "dicts cannot be indexed in PxL").help(
                    "dicts only pass options to functions such as px.script_reference and px.otel",
                ),
            ),
            (other, _) => self.error(
                "E0208",
                span,
                format!("`{}` objects cannot be indexed", other.type_name()),
            ),
        }
    }

    /// Call any callable value with evaluated arguments.
    pub(crate) fn call_value(
        &mut self,
        f: Value,
        args: Vec<(Option<String>, Value, Span)>,
        span: Span,
        _scope: &Rc<RefCell<Scope>>,
    ) -> Value {
        if args.iter().any(|a| matches!(a.1, Value::Error)) && !matches!(f, Value::UserFn(_)) {
            return Value::Error;
        }
        match f {
            Value::Error => Value::Error,
            Value::Builtin(spec) => {
                let params = stdlib_params(spec.params);
                let Some(bound) = self.bind_full(spec.path, &params, args, span) else {
                    return Value::Error;
                };
                self.call_builtin(spec, bound, span)
            }
            Value::Method { recv, spec } => {
                let params = stdlib_params(spec.params);
                let name = spec.path.rsplit('.').next().unwrap_or(spec.path);
                let Some(bound) = self.bind_full(name, &params, args, span) else {
                    return Value::Error;
                };
                self.call_method(*recv, spec, bound, span)
            }
            Value::Function(func) => self.call_registry(func, args, span),
            Value::UserFn(f) => self.call_user(&f, args, span),
            Value::TypeObject(t) => {
                if args.len() != 1 || args[0].0.is_some() {
                    return self.error(
                        "E0206",
                        span,
                        format!("{}() takes exactly one positional argument", t.path),
                    );
                }
                match args.into_iter().next().map(|a| a.1) {
                    Some(Value::Expr(e)) => {
                        Value::Expr(UNode::new(UKind::Cast { to: t, expr: e }, span))
                    }
                    Some(Value::Error) => Value::Error,
                    Some(other) => self.error(
                        "E0404",
                        span,
                        format!(
                            "{}() casts an expression, not `{}`",
                            t.path,
                            other.type_name()
                        ),
                    ),
                    None => Value::Error,
                }
            }
            Value::Lambda(l) => self.lambda_misuse(&l),
            Value::Object(o)
                if o.kind == "vega decorator" || o.kind == "pxtrace probe decorator" =>
            {
                self.apply_decorator(&o, args, span)
            }
            Value::Expr(e) => match &e.kind {
                UKind::Column(c) => {
                    let methods = DATAFRAME_METHODS
                        .iter()
                        .filter_map(|m| m.path.strip_prefix("DataFrame."));
                    let mut d =
                        Diagnostic::error("E0205", span, format!("DataFrame has no method `{c}`"));
                    if let Some(s) = closest(c, methods.filter(|m| !m.contains('.'))) {
                        d = d.help(format!("did you mean `.{s}()`?")).suggest(s);
                    } else {
                        d = d.note("a DataFrame attribute that is not a method is a column; columns are not callable");
                    }
                    self.push(d)
                }
                UKind::Lit(l) => {
                    let t = Value::lit(l.clone(), span).type_name();
                    self.error("E0205", span, format!("a `{t}` literal is not callable"))
                }
                _ => self.error("E0205", span, "an expression is not callable"),
            },
            Value::AggWithParam { .. } => self.error(
                "E0205",
                span,
                "`px.quantiles(q)` is already bound to its quantile",
            ),
            other => self.error(
                "E0205",
                span,
                format!("`{}` object is not callable", other.type_name()),
            ),
        }
    }

    /// `@px.vis.vega(spec)` and `@pxtrace.probe(name)` applied to a function.
    fn apply_decorator(
        &mut self,
        dec: &Object,
        args: Vec<(Option<String>, Value, Span)>,
        span: Span,
    ) -> Value {
        let f = match args.into_iter().next() {
            Some((None, f @ Value::UserFn(_), _)) => f,
            _ => {
                return self.error(
                    "E0205",
                    span,
                    format!("a {} decorates a function defined with `def`", dec.kind),
                );
            }
        };
        if dec.kind == "vega decorator" {
            // The Vega spec is display metadata; the function stays callable.
            return f;
        }
        let mut fields = dec.fields.clone();
        fields.push(("function".to_string(), f));
        Value::Object(Rc::new(Object {
            kind: "pxtrace probe",
            fields,
        }))
    }

    fn lambda_misuse(&mut self, l: &LambdaFn) -> Value {
        self.push(Diagnostic::error(
            "E0105",
            l.span,
            "a lambda can only be used as the aggregate of an agg spec",
        ))
    }

    /// `px.f(args)` for a registry function.
    fn call_registry(
        &mut self,
        func: &'static Function,
        args: Vec<(Option<String>, Value, Span)>,
        span: Span,
    ) -> Value {
        if let Some((Some(k), _, s)) = args.iter().find(|a| a.0.is_some()) {
            return self.error(
                "E0206",
                *s,
                format!(
                    "px.{}() takes positional arguments only; remove `{k}=`",
                    func.name()
                ),
            );
        }
        let arity_ok = |n: usize| func.overloads.iter().any(|o| o.params.len() == n);
        match func.kind() {
            FnKind::TableValued => self.call_udtf(func, args, span),
            FnKind::Aggregate => {
                // `px.quantiles(0.99)`: a parametrised aggregate for agg specs.
                if func.name() == "quantiles"
                    && args.len() == 1
                    && let Some(q) = float_lit(&args[0].1)
                {
                    return self.quantile_param(func, q, args[0].2);
                }
                let mut nodes = Vec::new();
                let mut quantile = None;
                for (i, (_, v, s)) in args.into_iter().enumerate() {
                    match v {
                        Value::Expr(e) if func.name() == "quantiles" && i == 1 => match e.lit() {
                            Some(Literal::Float(q)) => quantile = Some(*q),
                            _ => return self.error("E0406", s, "the quantile of `px.quantiles(expr, q)` must be a float literal such as 0.99"),
                        },
                        Value::Expr(e) => nodes.push(e),
                        other => return self.error("E0404", s, format!("px.{}() takes expressions, not `{}`", func.name(), other.type_name())),
                    }
                }
                if let Some(q) = quantile {
                    if !(0.0..=1.0).contains(&q) {
                        return self.error("E0406", span, format!("quantile {q} is outside 0..1"));
                    }
                } else if !arity_ok(nodes.len()) {
                    return self.arity_error(func, nodes.len(), span);
                }
                Value::Expr(UNode::new(
                    UKind::AggCall {
                        func,
                        args: nodes,
                        quantile,
                    },
                    span,
                ))
            }
            FnKind::Scalar => {
                if !arity_ok(args.len()) {
                    return self.arity_error(func, args.len(), span);
                }
                let mut nodes = Vec::new();
                for (i, (_, v, s)) in args.into_iter().enumerate() {
                    match v {
                        Value::Expr(e) => {
                            if i < func.spec.init_args && e.lit().is_none() {
                                return self.error("E0407", s, format!("argument {} of px.{}() must be a literal (it is compiled once, e.g. a regex pattern)", i + 1, func.name()));
                            }
                            nodes.push(e);
                        }
                        other => {
                            return self.push(
                                Diagnostic::error(
                                    "E0404",
                                    s,
                                    format!(
                                        "argument to px.{}() must be an expression, not `{}`",
                                        func.name(),
                                        other.type_name()
                                    ),
                                )
                                .help(
                                    if matches!(other, Value::DataFrame(_)) {
                                        "pass a column: `df.column`"
                                    } else {
                                        "pass a column, literal or function result"
                                    },
                                ),
                            );
                        }
                    }
                }
                self.call_scalar(func, nodes, span)
            }
        }
    }

    fn arity_error(&mut self, func: &Function, n: usize, span: Span) -> Value {
        let mut counts: Vec<usize> = func.overloads.iter().map(|o| o.params.len()).collect();
        counts.sort_unstable();
        counts.dedup();
        let counts: Vec<String> = counts.iter().map(usize::to_string).collect();
        self.error(
            "E0206",
            span,
            format!(
                "px.{}() takes {} argument(s) but {n} were given",
                func.name(),
                counts.join(" or ")
            ),
        )
    }

    fn quantile_param(&mut self, func: &'static Function, q: f64, span: Span) -> Value {
        if !(0.0..=1.0).contains(&q) {
            return self.error(
                "E0406",
                span,
                format!("quantile {q} is outside 0..1; write 0.99 for the 99th percentile"),
            );
        }
        Value::AggWithParam { func, quantile: q }
    }

    pub(crate) fn df_node(&mut self, v: &Value, span: Span, what: &str) -> Option<NodeId> {
        match v {
            Value::DataFrame(id) => Some(*id),
            Value::Error => None,
            other => {
                let mut d = Diagnostic::error(
                    "E0404",
                    span,
                    format!("{what} expects a DataFrame, found `{}`", other.type_name()),
                );
                d = match other {
                    Value::GroupBy { .. } => d.help("finish the groupby with `.agg(...)`"),
                    Value::None => d.help(
                        "this value is None: does the function it comes from `return` a DataFrame?",
                    ),
                    _ => d,
                };
                self.push(d);
                None
            }
        }
    }
}

fn float_lit(v: &Value) -> Option<f64> {
    match v {
        Value::Expr(e) => match e.lit() {
            Some(Literal::Float(f)) => Some(*f),
            _ => None,
        },
        _ => None,
    }
}

fn operator_symbol(name: &str) -> Option<&'static str> {
    Some(match name {
        "add" => "+",
        "subtract" => "-",
        "multiply" => "*",
        "divide" => "/",
        "modulo" => "%",
        "equal" => "==",
        "notEqual" => "!=",
        "lessThan" => "<",
        "lessThanEqual" => "<=",
        "greaterThan" => ">",
        "greaterThanEqual" => ">=",
        "logicalAnd" => "and",
        "logicalOr" => "or",
        "logicalNot" => "not",
        "negate" => "unary -",
        "invert" => "~",
        _ => return None,
    })
}

/// Constant folding of operators over literals (Pixie folds the same set).
fn fold(name: &str, args: &[&Literal]) -> Option<Literal> {
    use Literal::*;
    let f = |l: &Literal| match l {
        Int(i) => Some(*i as f64),
        Float(f) => Some(*f),
        _ => None,
    };
    Some(match (name, args) {
        ("add", [Int(a), Int(b)]) => Int(a.wrapping_add(*b)),
        ("add", [Str(a), Str(b)]) => Str(format!("{a}{b}")),
        ("add", [Time(a), Int(b)]) | ("add", [Int(b), Time(a)]) => Time(a.wrapping_add(*b)),
        ("add", [a, b]) => Float(f(a)? + f(b)?),
        ("subtract", [Int(a), Int(b)]) => Int(a.wrapping_sub(*b)),
        ("subtract", [Time(a), Int(b)]) => Time(a.wrapping_sub(*b)),
        ("subtract", [Time(a), Time(b)]) => Int(a.wrapping_sub(*b)),
        ("subtract", [a, b]) => Float(f(a)? - f(b)?),
        ("multiply", [Int(a), Int(b)]) => Int(a.wrapping_mul(*b)),
        ("multiply", [a, b]) => Float(f(a)? * f(b)?),
        ("divide", [a, b]) => Float(f(a)? / f(b)?),
        ("modulo", [Int(a), Int(b)]) if *b != 0 => Int(a.wrapping_rem(*b)),
        ("negate", [Int(a)]) => Int(a.wrapping_neg()),
        ("negate", [Float(a)]) => Float(-a),
        ("logicalNot", [Bool(a)]) => Bool(!a),
        ("logicalAnd", [Bool(a), Bool(b)]) => Bool(*a && *b),
        ("logicalOr", [Bool(a), Bool(b)]) => Bool(*a || *b),
        ("equal", [Str(a), Str(b)]) => Bool(a == b),
        ("notEqual", [Str(a), Str(b)]) => Bool(a != b),
        ("equal", [Bool(a), Bool(b)]) => Bool(a == b),
        ("notEqual", [Bool(a), Bool(b)]) => Bool(a != b),
        ("equal", [Int(a), Int(b)]) => Bool(a == b),
        ("notEqual", [Int(a), Int(b)]) => Bool(a != b),
        ("lessThan", [Int(a), Int(b)]) => Bool(a < b),
        ("lessThanEqual", [Int(a), Int(b)]) => Bool(a <= b),
        ("greaterThan", [Int(a), Int(b)]) => Bool(a > b),
        ("greaterThanEqual", [Int(a), Int(b)]) => Bool(a >= b),
        ("lessThan", [Str(a), Str(b)]) => Bool(a < b),
        ("lessThanEqual", [Str(a), Str(b)]) => Bool(a <= b),
        ("greaterThan", [Str(a), Str(b)]) => Bool(a > b),
        ("greaterThanEqual", [Str(a), Str(b)]) => Bool(a >= b),
        ("equal", [Time(a), Time(b)]) => Bool(a == b),
        ("notEqual", [Time(a), Time(b)]) => Bool(a != b),
        ("lessThan", [Time(a), Time(b)]) => Bool(a < b),
        ("greaterThan", [Time(a), Time(b)]) => Bool(a > b),
        ("equal", [Bool(a), Int(b)]) | ("equal", [Int(b), Bool(a)]) => Bool(i64::from(*a) == *b),
        ("notEqual", [Bool(a), Int(b)]) | ("notEqual", [Int(b), Bool(a)]) => {
            Bool(i64::from(*a) != *b)
        }
        ("equal", [a, b]) => Bool(f(a)? == f(b)?),
        ("notEqual", [a, b]) => Bool(f(a)? != f(b)?),
        ("lessThan", [a, b]) => Bool(f(a)? < f(b)?),
        ("lessThanEqual", [a, b]) => Bool(f(a)? <= f(b)?),
        ("greaterThan", [a, b]) => Bool(f(a)? > f(b)?),
        ("greaterThanEqual", [a, b]) => Bool(f(a)? >= f(b)?),
        ("logicalNot", [Int(a)]) => Bool(*a == 0),
        ("logicalAnd", [Int(a), Int(b)]) => Bool(*a != 0 && *b != 0),
        ("logicalOr", [Int(a), Int(b)]) => Bool(*a != 0 || *b != 0),
        ("invert", [Int(a)]) => Int(!a),
        _ => return None,
    })
}
