//! The PxL IR: a typed operator graph, the compiler's output.
//!
//! Every node knows its output [`Relation`]; every expression is typed and
//! refers to input columns by name and position. The planner lowers this to
//! DataFusion; `pxl explain` and the conformance snapshots print it with
//! [`Plan::render`].

use pxl_stdlib::{DataType, SemanticType};
use std::fmt::Write;
use std::sync::Arc;

pub type NodeId = usize;

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnType {
    pub name: String,
    pub ty: DataType,
    pub semantic: Option<SemanticType>,
}

/// The columns an operator produces, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Relation {
    pub columns: Vec<ColumnType>,
}

impl Relation {
    pub fn index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn get(&self, name: &str) -> Option<&ColumnType> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// Nanoseconds since the epoch.
    Time(i64),
    Uint128(u128),
}

impl Literal {
    pub fn data_type(&self) -> DataType {
        match self {
            Literal::Bool(_) => DataType::Boolean,
            Literal::Int(_) => DataType::Int64,
            Literal::Float(_) => DataType::Float64,
            Literal::Str(_) => DataType::String,
            Literal::Time(_) => DataType::Time64Ns,
            Literal::Uint128(_) => DataType::Uint128,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ScalarExpr {
    /// An input column by name and position.
    Column {
        name: String,
        index: usize,
    },
    Literal(Literal),
    /// A registry function with its chosen overload's argument types.
    Call {
        func: String,
        args: Vec<TypedExpr>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct TypedExpr {
    pub expr: ScalarExpr,
    pub ty: DataType,
    pub semantic: Option<SemanticType>,
}

impl TypedExpr {
    /// A reference to column `index` of `rel`.
    pub fn column(rel: &Relation, index: usize) -> TypedExpr {
        let c = &rel.columns[index];
        TypedExpr {
            expr: ScalarExpr::Column {
                name: c.name.clone(),
                index,
            },
            ty: c.ty,
            semantic: c.semantic,
        }
    }
}

/// One output of an aggregation.
#[derive(Debug, Clone, PartialEq)]
pub struct AggExpr {
    pub name: String,
    /// Registry name of the aggregate (`count`, `quantiles`, ...).
    pub func: String,
    pub args: Vec<TypedExpr>,
    /// `px.quantiles(0.99)`: one quantile as FLOAT64 instead of the JSON summary.
    pub quantile: Option<f64>,
    pub ty: DataType,
    pub semantic: Option<SemanticType>,
}

/// A time bound of a table scan.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeBound {
    /// Nanoseconds since the epoch.
    Absolute(i64),
    /// Nanoseconds relative to the query's "now" (negative = in the past).
    Relative(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinType {
    Inner,
    Left,
    Right,
    Outer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq)]
pub struct JoinOutput {
    pub side: Side,
    pub index: usize,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SinkKind {
    Display,
    /// `px.debug`: the name already carries its `_` prefix.
    Debug,
    /// `px.export` to OpenTelemetry.
    OtelExport(OtelExport),
}

#[derive(Debug, Clone, PartialEq)]
pub struct OtelExport {
    pub endpoint: Option<OtelEndpoint>,
    /// Resource attributes (one resource per distinct combination of the
    /// column values).
    pub resource: Vec<(String, OtelValue)>,
    /// Metric and span configurations: their kind (`px.otel.metric.Gauge`,
    /// `px.otel.metric.Summary`, `px.otel.trace.Span`) and their fields by
    /// parameter name.
    pub data: Vec<(String, Vec<(String, OtelValue)>)>,
}

/// `px.otel.Endpoint(url, headers={}, insecure=False, timeout=5)`.
#[derive(Debug, Clone, PartialEq)]
pub struct OtelEndpoint {
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub insecure: bool,
    pub timeout_s: i64,
}

/// A field of an OpenTelemetry configuration.
#[derive(Debug, Clone, PartialEq)]
pub enum OtelValue {
    /// A column of the exported DataFrame.
    Column(String),
    Literal(Literal),
    /// A dict (attributes, quantile values): keys as written (a float key
    /// such as `0.99` in its shortest form).
    Map(Vec<(String, OtelValue)>),
    None,
}

impl std::fmt::Display for OtelValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OtelValue::Column(c) => write!(f, "{c}"),
            OtelValue::Literal(Literal::Str(s)) => write!(f, "{s:?}"),
            OtelValue::Literal(l) => write!(f, "{l:?}"),
            OtelValue::Map(items) => {
                let parts: Vec<String> = items.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(f, "{{{}}}", parts.join(", "))
            }
            OtelValue::None => write!(f, "None"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    MemorySource {
        table: String,
        columns: Vec<String>,
        start: Option<TimeBound>,
        end: Option<TimeBound>,
        streaming: bool,
    },
    UdtfSource {
        func: String,
        args: Vec<(String, Literal)>,
    },
    /// Computes every output column from the input row.
    Map {
        exprs: Vec<(String, TypedExpr)>,
    },
    Filter {
        predicate: TypedExpr,
    },
    Limit {
        n: i64,
        pem_only: bool,
    },
    Agg {
        groups: Vec<(String, usize)>,
        values: Vec<AggExpr>,
    },
    Join {
        how: JoinType,
        left_on: Vec<usize>,
        right_on: Vec<usize>,
        output: Vec<JoinOutput>,
    },
    Union,
    Sort {
        keys: Vec<(String, usize, bool)>,
    },
    Drop {
        columns: Vec<String>,
    },
    Rolling {
        window_ns: i64,
        on: String,
    },
    Sink {
        name: String,
        kind: SinkKind,
    },
}

impl Op {
    pub fn name(&self) -> &'static str {
        match self {
            Op::MemorySource { .. } => "Source",
            Op::UdtfSource { .. } => "TableFunction",
            Op::Map { .. } => "Map",
            Op::Filter { .. } => "Filter",
            Op::Limit { .. } => "Limit",
            Op::Agg { .. } => "Agg",
            Op::Join { .. } => "Join",
            Op::Union => "Union",
            Op::Sort { .. } => "Sort",
            Op::Drop { .. } => "Drop",
            Op::Rolling { .. } => "Rolling",
            Op::Sink { .. } => "Sink",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub id: NodeId,
    pub op: Op,
    pub inputs: Vec<NodeId>,
    /// Output columns; shared by operators that do not change them.
    pub relation: Arc<Relation>,
}

/// The operator graph of one compiled script. Only nodes that reach a sink
/// are kept.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub nodes: Vec<Node>,
}

impl Plan {
    pub fn sinks(&self) -> impl Iterator<Item = &Node> {
        self.nodes
            .iter()
            .filter(|n| matches!(n.op, Op::Sink { .. }))
    }

    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// An indented tree per sink, one line per operator, with output columns.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for sink in self.sinks() {
            self.render_node(sink.id, 0, &mut out);
        }
        out
    }

    /// The tree under one node (usually a sink), indented by `depth` levels.
    pub fn render_from(&self, id: NodeId, depth: usize) -> String {
        let mut out = String::new();
        self.render_node(id, depth, &mut out);
        out
    }

    fn render_node(&self, id: NodeId, depth: usize, out: &mut String) {
        let Some(node) = self.node(id) else { return };
        let pad = "  ".repeat(depth);
        let _ = writeln!(
            out,
            "{pad}{} {}",
            node.op.name(),
            describe_op(&node.op, self, node)
        );
        let fmt = |c: &ColumnType| match c.semantic {
            Some(s) if !matches!(s, SemanticType::None | SemanticType::Unspecified) => {
                format!(
                    "{}:{}[{}]",
                    c.name,
                    c.ty,
                    s.name().trim_start_matches("ST_")
                )
            }
            _ => format!("{}:{}", c.name, c.ty),
        };
        // Output columns: omitted when unchanged, `+ ...` when only appended to.
        let input = node
            .inputs
            .first()
            .and_then(|&i| self.node(i))
            .map(|n| &n.relation);
        match input {
            Some(inp) if *inp == node.relation => {}
            Some(inp)
                if node.relation.columns.len() > inp.columns.len()
                    && node.relation.columns[..inp.columns.len()] == inp.columns[..] =>
            {
                let added: Vec<String> = node.relation.columns[inp.columns.len()..]
                    .iter()
                    .map(fmt)
                    .collect();
                let _ = writeln!(out, "{pad}  -> + {}", added.join(", "));
            }
            _ => {
                let cols: Vec<String> = node.relation.columns.iter().map(fmt).collect();
                let _ = writeln!(out, "{pad}  -> {}", cols.join(", "));
            }
        }
        for &input in &node.inputs {
            self.render_node(input, depth + 1, out);
        }
    }
}

fn describe_op(op: &Op, plan: &Plan, node: &Node) -> String {
    let input_rel = |i: usize| {
        node.inputs
            .get(i)
            .and_then(|&id| plan.node(id))
            .map(|n| &n.relation)
    };
    match op {
        Op::MemorySource {
            table,
            columns,
            start,
            end,
            streaming,
        } => {
            let mut s = format!("table={table}");
            if !columns.is_empty() {
                let _ = write!(s, " select=[{}]", columns.join(", "));
            }
            if let Some(b) = start {
                let _ = write!(s, " start={}", describe_bound(*b));
            }
            if let Some(b) = end {
                let _ = write!(s, " end={}", describe_bound(*b));
            }
            if *streaming {
                s.push_str(" streaming");
            }
            s
        }
        Op::UdtfSource { func, args } => {
            let args: Vec<String> = args
                .iter()
                .map(|(k, v)| format!("{k}={}", describe_lit(v)))
                .collect();
            format!("{func}({})", args.join(", "))
        }
        Op::Map { exprs } => {
            let parts: Vec<String> = exprs
                .iter()
                .filter(
                    |(name, e)| !matches!(&e.expr, ScalarExpr::Column { name: n, .. } if n == name),
                )
                .map(|(name, e)| format!("{name}={}", describe_expr(e)))
                .collect();
            if parts.is_empty() {
                "(projection)".to_string()
            } else {
                parts.join(", ")
            }
        }
        Op::Filter { predicate } => describe_expr(predicate),
        Op::Limit { n, pem_only } => format!("n={n}{}", if *pem_only { " pem_only" } else { "" }),
        Op::Agg { groups, values } => {
            let g: Vec<&str> = groups.iter().map(|(n, _)| n.as_str()).collect();
            let v: Vec<String> = values
                .iter()
                .map(|a| {
                    let args: Vec<String> = a.args.iter().map(describe_expr).collect();
                    match a.quantile {
                        Some(q) => format!("{}={}({}, q={q})", a.name, a.func, args.join(", ")),
                        None => format!("{}={}({})", a.name, a.func, args.join(", ")),
                    }
                })
                .collect();
            format!("by=[{}] {}", g.join(", "), v.join(", "))
        }
        Op::Join {
            how,
            left_on,
            right_on,
            ..
        } => {
            let name = |side: usize, idx: &usize| {
                input_rel(side)
                    .and_then(|r| r.columns.get(*idx))
                    .map_or("?".to_string(), |c| c.name.clone())
            };
            let l: Vec<String> = left_on.iter().map(|i| name(0, i)).collect();
            let r: Vec<String> = right_on.iter().map(|i| name(1, i)).collect();
            format!(
                "how={how:?} left_on=[{}] right_on=[{}]",
                l.join(", "),
                r.join(", ")
            )
            .to_lowercase()
        }
        Op::Union => String::new(),
        Op::Sort { keys } => {
            let k: Vec<String> = keys
                .iter()
                .map(|(n, _, asc)| format!("{n} {}", if *asc { "asc" } else { "desc" }))
                .collect();
            k.join(", ")
        }
        Op::Drop { columns } => columns.join(", "),
        Op::Rolling { window_ns, on } => format!("window={window_ns}ns on={on}"),
        Op::Sink { name, kind } => match kind {
            SinkKind::Display => format!("display name={name}"),
            SinkKind::Debug => format!("debug name={name}"),
            SinkKind::OtelExport(e) => format!(
                "otel_export endpoint={} metrics={}",
                e.endpoint.as_ref().map_or("(default)", |e| e.url.as_str()),
                e.data.len()
            ),
        },
    }
}

fn describe_bound(b: TimeBound) -> String {
    match b {
        TimeBound::Absolute(ns) => format!("{ns}ns"),
        TimeBound::Relative(ns) => {
            let mag = ns.unsigned_abs();
            let units = [
                (86_400_000_000_000u64, "d"),
                (3_600_000_000_000, "h"),
                (60_000_000_000, "m"),
                (1_000_000_000, "s"),
                (1_000_000, "ms"),
            ];
            let text = units
                .iter()
                .find(|(u, _)| mag >= *u && mag % u == 0)
                .map_or(format!("{mag}ns"), |(u, n)| format!("{}{n}", mag / u));
            format!("now{}{text}", if ns < 0 { "-" } else { "+" })
        }
    }
}

fn describe_lit(l: &Literal) -> String {
    match l {
        Literal::Bool(b) => if *b { "True" } else { "False" }.to_string(),
        Literal::Int(i) => i.to_string(),
        Literal::Float(f) => format!("{f:?}"),
        Literal::Str(s) => format!("{s:?}"),
        Literal::Time(t) => format!("time({t})"),
        Literal::Uint128(u) => format!("uint128({u})"),
    }
}

/// Expression in PxL-like notation: `px.contains(req_path, "/api")`.
pub fn describe_expr(e: &TypedExpr) -> String {
    match &e.expr {
        ScalarExpr::Column { name, .. } => name.clone(),
        ScalarExpr::Literal(l) => describe_lit(l),
        ScalarExpr::Call { func, args } => {
            let a: Vec<String> = args.iter().map(describe_expr).collect();
            format!("{func}({})", a.join(", "))
        }
    }
}
