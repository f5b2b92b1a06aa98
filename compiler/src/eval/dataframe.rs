//! DataFrame methods and indexing: each call adds an operator to the graph.

use super::binding::Bound;
use super::metadata::IMPLICIT;
use super::value::{LambdaFn, UKind, UNode};
use super::{Evaluator, Scope, Value, registry_function};
use crate::diagnostic::{Diagnostic, closest};
use crate::ir::{
    AggExpr, ColumnType, JoinOutput, JoinType, Literal, NodeId, Op, Relation, ScalarExpr, Side,
    TypedExpr,
};
use crate::span::Span;
use pxl_stdlib::functions::{CompileTimeSpec, FnKind};
use pxl_stdlib::{DataType, SemanticType};
use rustc_hash::FxHashMap as HashMap;
use std::cell::RefCell;
use std::rc::Rc;

impl Evaluator {
    pub(crate) fn df_subscript(
        &mut self,
        df: NodeId,
        idx: Value,
        span: Span,
        index_span: Span,
    ) -> Value {
        if let Some(name) = idx.as_str() {
            return Value::Expr(UNode::new(UKind::Column(name.to_string()), index_span));
        }
        match idx {
            Value::List(items) | Value::Tuple(items) => {
                let mut names = Vec::new();
                for item in items.iter() {
                    match item.as_str() {
                        Some(n) => names.push((n.to_string(), item_span(item, index_span))),
                        None => {
                            return self.error("E0207", index_span, format!("to keep columns, list their names as strings; found `{}`", item.type_name()));
                        }
                    }
                }
                self.keep(df, &names, span)
            }
            Value::Expr(e) => self.filter(df, &e, span),
            other => self.push(
                Diagnostic::error("E0208", index_span, format!("a DataFrame cannot be indexed with a `{}`", other.type_name()))
                    .help("use df['col'] for a column, df[['a', 'b']] to keep columns, or df[condition] to filter"),
            ),
        }
    }

    fn filter(&mut self, df: NodeId, e: &UNode, span: Span) -> Value {
        let rel = self.relation(df);
        let origin = self.origin_rc(df);
        // On error, go on with the unfiltered input (same columns) so that
        // later statements are still checked.
        let Some(pred) = self.type_expr(e, &rel, &origin) else {
            return Value::DataFrame(df);
        };
        if pred.ty != DataType::Boolean {
            self.push(
                Diagnostic::error(
                    "E0402",
                    e.span,
                    format!(
                        "a filter condition must be BOOLEAN, but this is {}",
                        pred.ty
                    ),
                )
                .help("compare it: `df[df.col > 0]` or `df[df.col != '']`"),
            );
            return Value::DataFrame(df);
        }
        let _ = span;
        Value::DataFrame(self.add_node(Op::Filter { predicate: pred }, vec![df], rel, origin))
    }

    /// Keep exactly these columns, in this order.
    fn keep(&mut self, df: NodeId, names: &[(String, Span)], span: Span) -> Value {
        let rel = self.relation(df);
        let origin = self.origin_rc(df);
        let mut exprs = Vec::new();
        let mut seen = HashMap::default();
        let mut ok = true;
        for (name, s) in names {
            if let Some(prev) = seen.insert(name.clone(), *s) {
                self.push(
                    Diagnostic::error("E0303", *s, format!("column `{name}` is listed twice"))
                        .label(prev, "first listed here"),
                );
                ok = false;
                continue;
            }
            let node = UNode::new(UKind::Column(name.clone()), *s);
            match self.resolve_column(name, &rel, &origin, &node) {
                Some(t) => exprs.push((name.clone(), t)),
                None => ok = false,
            }
        }
        if !ok {
            return Value::Error;
        }
        let _ = span;
        self.map_node(df, exprs, origin)
    }

    fn map_node(&mut self, df: NodeId, exprs: Vec<(String, TypedExpr)>, origin: Rc<str>) -> Value {
        let columns = exprs
            .iter()
            .map(|(n, e)| ColumnType {
                name: n.clone(),
                ty: e.ty,
                semantic: e.semantic,
            })
            .collect();
        Value::DataFrame(self.add_node(Op::Map { exprs }, vec![df], Relation { columns }, origin))
    }

    fn passthrough(rel: &Relation, skip: &dyn Fn(&str) -> bool) -> Vec<(String, TypedExpr)> {
        rel.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| !skip(&c.name))
            .map(|(i, c)| {
                (
                    c.name.clone(),
                    TypedExpr {
                        expr: ScalarExpr::Column {
                            name: c.name.clone(),
                            index: i,
                        },
                        ty: c.ty,
                        semantic: c.semantic,
                    },
                )
            })
            .collect()
    }

    /// `df.col = value`: all input columns except `col`, then `col` at the end.
    pub(crate) fn map_column(
        &mut self,
        df: NodeId,
        column: &str,
        column_span: Span,
        v: &Value,
        value_span: Span,
    ) -> Value {
        let node = match v {
            Value::Expr(e) => e.clone(),
            Value::Error => return Value::Error,
            other => {
                return self.push(
                    Diagnostic::error(
                        "E0404",
                        value_span,
                        format!(
                            "a column must be assigned an expression, not `{}`",
                            other.type_name()
                        ),
                    )
                    .help(if matches!(other, Value::DataFrame(_)) {
                        "to combine DataFrames use merge() or append()"
                    } else {
                        "assign a column, literal or function result"
                    }),
                );
            }
        };
        let rel = self.relation(df);
        let origin = self.origin_rc(df);
        let Some(typed) = self.type_expr(&node, &rel, &origin) else {
            return Value::Error;
        };
        let mut exprs = Self::passthrough(&rel, &|n| n == column);
        exprs.push((column.to_string(), typed));
        let _ = column_span;
        self.map_node(df, exprs, origin)
    }

    pub(crate) fn call_method(
        &mut self,
        recv: Value,
        spec: &'static CompileTimeSpec,
        b: Bound,
        span: Span,
    ) -> Value {
        let v = &b.values;
        let s = &b.spans;
        if let Value::Expr(col) = &recv {
            return self.column_method(col.clone(), spec.path, v, s, span);
        }
        let (df, groups) = match &recv {
            Value::DataFrame(d) => (*d, None),
            Value::GroupBy { df, by } => (*df, Some(by.clone())),
            _ => return Value::Error,
        };
        let origin = self.origin_rc(df);
        match spec.path {
            "DataFrame.filter" => match &v[0] {
                Value::Expr(e) => {
                    let e = e.clone();
                    self.filter(df, &e, span)
                }
                Value::Error => Value::Error,
                other => self.error(
                    "E0402",
                    s[0],
                    format!(
                        "filter() takes a boolean expression, not `{}`",
                        other.type_name()
                    ),
                ),
            },
            "DataFrame.drop" => {
                let Some(cols) = self.names_arg(&v[0], s[0], "drop()") else {
                    return Value::Error;
                };
                let rel = self.relation(df);
                let mut ok = true;
                for (c, cs) in &cols {
                    if rel.index(c).is_none() {
                        self.column_not_found(c, &rel, &origin, *cs);
                        ok = false;
                    }
                }
                if !ok {
                    return Value::Error;
                }
                let names: Vec<String> = cols.into_iter().map(|(c, _)| c).collect();
                let columns = rel
                    .columns
                    .iter()
                    .filter(|c| !names.contains(&c.name))
                    .cloned()
                    .collect();
                Value::DataFrame(self.add_node(
                    Op::Drop { columns: names },
                    vec![df],
                    Relation { columns },
                    origin,
                ))
            }
            "DataFrame.head" => {
                let Some(n) = v[0].as_int().filter(|n| *n >= 0) else {
                    self.error(
                        "E0505",
                        s[0],
                        format!(
                            "head() takes a non-negative integer literal, not `{}`",
                            v[0].type_name()
                        ),
                    );
                    return Value::DataFrame(df);
                };
                let pem_only = v[1].as_bool().unwrap_or(false);
                let rel = self.relation(df);
                Value::DataFrame(self.add_node(Op::Limit { n, pem_only }, vec![df], rel, origin))
            }
            "DataFrame.groupby" => {
                let Some(cols) = self.names_arg(&v[0], s[0], "groupby()") else {
                    return Value::Error;
                };
                if cols.is_empty() {
                    return self.error("E0501", s[0], "groupby() needs at least one column");
                }
                let Some(df) = self.materialize(df, &cols) else {
                    return Value::Error;
                };
                Value::GroupBy {
                    df,
                    by: Rc::new(cols),
                }
            }
            "DataFrame.agg" => {
                let by = groups.map(|g| (*g).clone()).unwrap_or_default();
                self.agg(df, &by, b.kwargs, span)
            }
            "DataFrame.merge" => self.merge(df, v, s, span),
            "DataFrame.append" => self.append(df, &v[0], s[0]),
            "DataFrame.sort" => self.sort(df, v, s),
            "DataFrame.rolling" => {
                let window = match (&v[0], v[0].as_int(), v[0].as_str()) {
                    (_, Some(n), _) => Some(n),
                    (_, None, Some(text)) => super::time::parse_duration(text),
                    _ => None,
                };
                let Some(window) = window.filter(|w| *w > 0) else {
                    return self.error("E0509", s[0], "rolling() needs a positive window: a duration string like '1m' or nanoseconds");
                };
                let on = v[1].as_str().unwrap_or("").to_string();
                if on != "time_" {
                    return self.error(
                        "E0509",
                        s[1],
                        "rolling() windows are only supported on `time_`",
                    );
                }
                let rel = self.relation(df);
                if rel.index("time_").is_none() {
                    return self.error("E0509", span, "rolling() needs a `time_` column");
                }
                // Rows are grouped by window (keyed by `time_`) within any
                // groups of a preceding groupby; `.agg()` finishes it.
                let node = self.add_node(
                    Op::Rolling {
                        window_ns: window,
                        on,
                    },
                    vec![df],
                    rel,
                    origin,
                );
                let mut by = groups.map(|g| (*g).clone()).unwrap_or_default();
                if !by.iter().any(|(c, _)| c == "time_") {
                    by.push(("time_".to_string(), span));
                }
                Value::GroupBy {
                    df: node,
                    by: Rc::new(by),
                }
            }
            "DataFrame.stream" => {
                let mut stack = vec![df];
                while let Some(id) = stack.pop() {
                    if let Op::MemorySource { streaming, .. } = &mut self.nodes[id].op {
                        *streaming = true;
                    }
                    stack.extend(self.nodes[id].inputs.iter().copied());
                }
                Value::DataFrame(df)
            }
            "DataFrame.map" => self.push(
                Diagnostic::error("E0507", span, "DataFrame.map() is not supported")
                    .help("assign a column instead: `df.new_col = expression`"),
            ),
            other => self.error(
                "E9999",
                span,
                format!("internal error: method `{other}` has no implementation"),
            ),
        }
    }

    /// A string or list of strings.
    fn names_arg(&mut self, v: &Value, span: Span, what: &str) -> Option<Vec<(String, Span)>> {
        if let Some(s) = v.as_str() {
            return Some(vec![(s.to_string(), item_span(v, span))]);
        }
        match v {
            Value::List(items) | Value::Tuple(items) => {
                let mut out = Vec::new();
                for i in items.iter() {
                    match i.as_str() {
                        Some(s) => out.push((s.to_string(), item_span(i, span))),
                        None => {
                            self.error(
                                "E0207",
                                item_span(i, span),
                                format!(
                                    "{what} takes column names as strings, found `{}`",
                                    i.type_name()
                                ),
                            );
                            return None;
                        }
                    }
                }
                Some(out)
            }
            Value::Error => None,
            other => {
                self.error(
                    "E0207",
                    span,
                    format!(
                        "{what} takes a column name or a list of names, not `{}`",
                        other.type_name()
                    ),
                );
                None
            }
        }
    }

    /// Make sure each named column exists, computing implicit metadata columns.
    fn materialize(&mut self, df: NodeId, cols: &[(String, Span)]) -> Option<NodeId> {
        let rel = self.relation(df);
        let origin = self.origin_rc(df);
        let mut extra = Vec::new();
        let mut ok = true;
        for (c, s) in cols {
            if rel.index(c).is_some() {
                continue;
            }
            let node = UNode::new(UKind::Column(c.clone()), *s);
            if IMPLICIT.contains(&c.as_str()) || c == "resp_latency" {
                match self.resolve_column(c, &rel, &origin, &node) {
                    Some(t) => extra.push((c.clone(), t)),
                    None => ok = false,
                }
            } else {
                self.column_not_found(c, &rel, &origin, *s);
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        if extra.is_empty() {
            return Some(df);
        }
        let mut exprs = Self::passthrough(&rel, &|_| false);
        exprs.extend(extra);
        match self.map_node(df, exprs, origin) {
            Value::DataFrame(id) => Some(id),
            _ => None,
        }
    }

    fn agg(
        &mut self,
        df: NodeId,
        groups: &[(String, Span)],
        kwargs: Vec<(String, Value, Span)>,
        span: Span,
    ) -> Value {
        let rel = self.relation(df);
        let origin = self.origin_rc(df);
        let mut group_cols = Vec::new();
        let mut columns = Vec::new();
        for (g, gs) in groups {
            let Some(i) = rel.index(g) else {
                self.column_not_found(g, &rel, &origin, *gs);
                return Value::Error;
            };
            group_cols.push((g.clone(), i));
            columns.push(rel.columns[i].clone());
        }
        let mut values: Vec<AggExpr> = Vec::new();
        // Final outputs: (name, post expression over the agg outputs, if any).
        let mut finals: Vec<(String, Option<Rc<UNode>>)> = Vec::new();
        let mut ok = true;
        for (name, spec, s) in kwargs {
            if group_cols.iter().any(|(g, _)| *g == name) || finals.iter().any(|(f, _)| *f == name)
            {
                self.error(
                    "E0502",
                    s,
                    format!("output column `{name}` is defined twice"),
                );
                ok = false;
                continue;
            }
            match self.agg_spec(&name, &spec, s, &rel, &origin, &mut values) {
                Some(post) => finals.push((name, post)),
                None => ok = false,
            }
        }
        if !ok {
            return Value::Error;
        }
        columns.extend(values.iter().map(|a| ColumnType {
            name: a.name.clone(),
            ty: a.ty,
            semantic: a.semantic,
        }));
        let agg_rel = Relation { columns };
        let agg = self.add_node(
            Op::Agg {
                groups: group_cols.clone(),
                values,
            },
            vec![df],
            agg_rel.clone(),
            origin.clone(),
        );
        if finals.iter().all(|(_, p)| p.is_none()) {
            return Value::DataFrame(agg);
        }
        // Lambdas with arithmetic around aggregates: finish with a Map.
        let mut exprs = Self::passthrough(
            &Relation {
                columns: agg_rel.columns[..group_cols.len()].to_vec(),
            },
            &|_| false,
        );
        for (name, post) in finals {
            let typed = match post {
                None => {
                    let i = agg_rel.index(&name).unwrap_or(0);
                    let c = &agg_rel.columns[i];
                    TypedExpr {
                        expr: ScalarExpr::Column {
                            name: name.clone(),
                            index: i,
                        },
                        ty: c.ty,
                        semantic: c.semantic,
                    }
                }
                Some(p) => match self.type_expr(&p, &agg_rel, &origin) {
                    Some(t) => t,
                    None => return Value::Error,
                },
            };
            exprs.push((name, typed));
        }
        let _ = span;
        self.map_node(agg, exprs, origin)
    }

    /// One `name=('col', px.fn)` spec. Returns the post-aggregation
    /// expression when the spec is a lambda with arithmetic around aggregates.
    fn agg_spec(
        &mut self,
        name: &str,
        spec: &Value,
        span: Span,
        rel: &Relation,
        origin: &str,
        values: &mut Vec<AggExpr>,
    ) -> Option<Option<Rc<UNode>>> {
        let items = match spec {
            Value::Tuple(items) | Value::List(items) if items.len() >= 2 => items.clone(),
            Value::Error => return None,
            Value::Tuple(items) | Value::List(items) if items.len() == 1 => {
                self.push(
                    Diagnostic::error(
                        "E0502",
                        span,
                        format!("agg spec `{name}` names no column to aggregate"),
                    )
                    .help(format!(
                        "put the column before the aggregate: `{name}=('column', ...)`"
                    )),
                );
                return None;
            }
            _ => {
                self.push(
                    Diagnostic::error(
                        "E0502",
                        span,
                        format!(
                            "agg spec `{name}` must be a tuple of column name(s) and an aggregate"
                        ),
                    )
                    .help(format!("write `{name}=('column', px.count)`")),
                );
                return None;
            }
        };
        let (func, cols) = items.split_last()?;
        let mut col_nodes = Vec::new();
        for c in cols {
            match c.as_str() {
                Some(n) => {
                    col_nodes.push(UNode::new(UKind::Column(n.to_string()), item_span(c, span)))
                }
                None => {
                    self.error("E0502", span, format!("agg spec `{name}`: every item before the aggregate must be a column name string, found `{}`", c.type_name()));
                    return None;
                }
            }
        }
        match func {
            Value::Function(f) if f.kind() == FnKind::Aggregate => {
                let mut args = Vec::new();
                for n in &col_nodes {
                    args.push(self.type_expr(n, rel, origin)?);
                }
                values.push(self.make_agg(name, f, args, None, span)?);
                Some(None)
            }
            Value::AggWithParam { func: f, quantile } => {
                if col_nodes.len() != 1 {
                    self.error(
                        "E0502",
                        span,
                        "px.quantiles(q) aggregates exactly one column",
                    );
                    return None;
                }
                let arg = self.type_expr(&col_nodes[0], rel, origin)?;
                values.push(self.make_agg(name, f, vec![arg], Some(*quantile), span)?);
                Some(None)
            }
            Value::Lambda(l) => self.agg_lambda(name, l, &col_nodes, span, rel, origin, values),
            Value::Function(f) => {
                self.push(
                    Diagnostic::error("E0406", span, format!("`px.{}` is not an aggregate function", f.name()))
                        .help("aggregates are count, sum, mean, min, max, any, quantiles, sample; use a lambda to aggregate an expression: `('col', lambda x: px.mean(px.f(x)))`"),
                );
                None
            }
            Value::Error => None,
            other => {
                self.error(
                    "E0502",
                    span,
                    format!(
                        "agg spec `{name}` must end with an aggregate such as px.count, not `{}`",
                        other.type_name()
                    ),
                );
                None
            }
        }
    }

    fn make_agg(
        &mut self,
        name: &str,
        f: &pxl_stdlib::functions::Function,
        args: Vec<TypedExpr>,
        quantile: Option<f64>,
        span: Span,
    ) -> Option<AggExpr> {
        let types: Vec<DataType> = args.iter().map(|a| a.ty).collect();
        let Some(o) = f.resolve(&types) else {
            let given: Vec<&str> = types.iter().map(|t| t.name()).collect();
            let accepted: Vec<String> = f
                .overloads
                .iter()
                .map(|o| {
                    o.params
                        .iter()
                        .map(|p| p.ty.name())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .collect();
            self.push(
                Diagnostic::error(
                    "E0406",
                    span,
                    format!(
                        "aggregate `px.{}` cannot aggregate ({})",
                        f.name(),
                        given.join(", ")
                    ),
                )
                .note(format!("it accepts ({})", accepted.join("), ("))),
            );
            return None;
        };
        let sems: Vec<_> = args.iter().map(|a| a.semantic).collect();
        let (ty, semantic) = match quantile {
            Some(_) => (
                DataType::Float64,
                sems.first()
                    .copied()
                    .flatten()
                    .filter(|s| !matches!(s, SemanticType::None)),
            ),
            None => (o.ret, f.result_semantic(o, &sems)),
        };
        Some(AggExpr {
            name: name.to_string(),
            func: f.name().to_string(),
            args,
            quantile,
            ty,
            semantic,
        })
    }

    #[allow(clippy::too_many_arguments, reason = "the agg spec's context")]
    fn agg_lambda(
        &mut self,
        name: &str,
        l: &Rc<LambdaFn>,
        cols: &[Rc<UNode>],
        span: Span,
        rel: &Relation,
        origin: &str,
        values: &mut Vec<AggExpr>,
    ) -> Option<Option<Rc<UNode>>> {
        if l.params.len() != cols.len() {
            self.error(
                "E0502",
                l.span,
                format!(
                    "this lambda takes {} parameter(s) but the spec names {} column(s)",
                    l.params.len(),
                    cols.len()
                ),
            );
            return None;
        }
        let scope = Rc::new(RefCell::new(Scope {
            vars: HashMap::default(),
            parent: Some(l.scope.clone()),
        }));
        for (p, c) in l.params.iter().zip(cols) {
            scope
                .borrow_mut()
                .vars
                .insert(p.name.clone(), Value::Expr(c.clone()));
        }
        let body = match self.eval(&l.body, &scope) {
            Value::Expr(e) => e,
            Value::Error => return None,
            other => {
                self.error(
                    "E0502",
                    l.body.span,
                    format!(
                        "the lambda must return an aggregate expression, not `{}`",
                        other.type_name()
                    ),
                );
                return None;
            }
        };
        if let UKind::AggCall {
            func,
            args,
            quantile,
        } = &body.kind
        {
            let args = self.type_agg_args(args, rel, origin)?;
            values.push(self.make_agg(name, func, args, *quantile, body.span)?);
            return Some(None);
        }
        if !contains_agg(&body) {
            self.push(
                Diagnostic::error(
                    "E0502",
                    l.body.span,
                    "the lambda does not call an aggregate",
                )
                .help("wrap the column in an aggregate: `lambda x: px.mean(x >= 400)`"),
            );
            return None;
        }
        let mut counter = 0;
        let post = self.extract_aggs(&body, name, &mut counter, rel, origin, values)?;
        let _ = span;
        Some(Some(post))
    }

    fn type_agg_args(
        &mut self,
        args: &[Rc<UNode>],
        rel: &Relation,
        origin: &str,
    ) -> Option<Vec<TypedExpr>> {
        let mut out = Vec::new();
        for a in args {
            if contains_agg(a) {
                self.error("E0406", a.span, "aggregates cannot be nested");
                return None;
            }
            out.push(self.type_expr(a, rel, origin)?);
        }
        Some(out)
    }

    /// Replace each aggregate call in a lambda body by a column of the agg output.
    fn extract_aggs(
        &mut self,
        node: &Rc<UNode>,
        name: &str,
        counter: &mut usize,
        rel: &Relation,
        origin: &str,
        values: &mut Vec<AggExpr>,
    ) -> Option<Rc<UNode>> {
        match &node.kind {
            UKind::AggCall {
                func,
                args,
                quantile,
            } => {
                let args = self.type_agg_args(args, rel, origin)?;
                let temp = format!("_{name}_agg{}", *counter);
                *counter += 1;
                values.push(self.make_agg(&temp, func, args, *quantile, node.span)?);
                Some(UNode::new(UKind::Column(temp), node.span))
            }
            UKind::Call { func, args } => {
                let mut new_args = Vec::new();
                for a in args {
                    new_args.push(self.extract_aggs(a, name, counter, rel, origin, values)?);
                }
                Some(UNode::new(
                    UKind::Call {
                        func,
                        args: new_args,
                    },
                    node.span,
                ))
            }
            UKind::Cast { to, expr } => {
                let e = self.extract_aggs(expr, name, counter, rel, origin, values)?;
                Some(UNode::new(UKind::Cast { to, expr: e }, node.span))
            }
            UKind::Lit(_) => Some(node.clone()),
            UKind::Column(c) => {
                self.push(
                    Diagnostic::error("E0502", node.span, format!("column `{c}` is used outside an aggregate in this lambda"))
                        .help("every use of the column must be inside px.sum, px.mean, ...: `lambda x: px.mean(x) / 1000`"),
                );
                None
            }
            UKind::Metadata(_) => {
                self.error(
                    "E0502",
                    node.span,
                    "metadata can only be used inside an aggregate in a lambda",
                );
                None
            }
        }
    }

    fn merge(&mut self, left: NodeId, v: &[Value], s: &[Span], span: Span) -> Value {
        let Some(right) = self.df_node(&v[0], s[0], "merge()") else {
            return Value::Error;
        };
        let Some(how) = self.string_arg(&v[1], s[1], "`how`") else {
            return Value::Error;
        };
        let how = match how.as_str() {
            "inner" => JoinType::Inner,
            "left" => JoinType::Left,
            "right" => JoinType::Right,
            "outer" => JoinType::Outer,
            other => {
                let mut d = Diagnostic::error(
                    "E0503",
                    s[1],
                    format!("`{other}` is not a join type; use inner, left, right or outer"),
                );
                if let Some(c) = closest(other, ["inner", "left", "right", "outer"]) {
                    d = d.suggest(format!("'{c}'"));
                }
                return self.push(d);
            }
        };
        if matches!(v[2], Value::None) || matches!(v[3], Value::None) {
            return self.error("E0503", span, "merge() needs both `left_on` and `right_on`");
        }
        let (Some(lk), Some(rk)) = (
            self.names_arg(&v[2], s[2], "left_on"),
            self.names_arg(&v[3], s[3], "right_on"),
        ) else {
            return Value::Error;
        };
        if lk.len() != rk.len() {
            return self.error(
                "E0503",
                span,
                format!(
                    "merge() has {} left key(s) but {} right key(s)",
                    lk.len(),
                    rk.len()
                ),
            );
        }
        let suffixes = match &v[4] {
            Value::List(i) | Value::Tuple(i) if i.len() == 2 => {
                match (i[0].as_str(), i[1].as_str()) {
                    (Some(a), Some(b)) => (a.to_string(), b.to_string()),
                    _ => return self.error("E0503", s[4], "suffixes must be two strings"),
                }
            }
            _ => {
                return self.error(
                    "E0503",
                    s[4],
                    "suffixes must be a list of two strings, e.g. ['', '_x']",
                );
            }
        };
        let lrel = self.relation(left);
        let rrel = self.relation(right);
        let (lo, ro) = (
            self.origin(left).to_string(),
            self.origin(right).to_string(),
        );
        let mut left_on = Vec::new();
        let mut right_on = Vec::new();
        let mut ok = true;
        for ((l, ls), (r, rs)) in lk.iter().zip(&rk) {
            let (li, ri) = (lrel.index(l), rrel.index(r));
            if li.is_none() {
                self.column_not_found(l, &lrel, &lo, *ls);
                ok = false;
            }
            if ri.is_none() {
                self.column_not_found(r, &rrel, &ro, *rs);
                ok = false;
            }
            if let (Some(li), Some(ri)) = (li, ri) {
                let (lt, rt) = (lrel.columns[li].ty, rrel.columns[ri].ty);
                if lt != rt {
                    self.push(Diagnostic::error(
                        "E0503",
                        *rs,
                        format!("join keys `{l}` ({lt}) and `{r}` ({rt}) have different types"),
                    ));
                    ok = false;
                }
                left_on.push(li);
                right_on.push(ri);
            }
        }
        if !ok {
            return Value::Error;
        }
        let mut output = Vec::new();
        let mut columns = Vec::new();
        for (side, rel, suffix, other) in [
            (Side::Left, &lrel, &suffixes.0, &rrel),
            (Side::Right, &rrel, &suffixes.1, &lrel),
        ] {
            for (i, c) in rel.columns.iter().enumerate() {
                let name = if other.index(&c.name).is_some() {
                    format!("{}{suffix}", c.name)
                } else {
                    c.name.clone()
                };
                output.push(JoinOutput {
                    side,
                    index: i,
                    name: name.clone(),
                });
                columns.push(ColumnType { name, ..c.clone() });
            }
        }
        let mut seen = HashMap::default();
        for c in &columns {
            if seen.insert(c.name.clone(), ()).is_some() {
                return self.push(
                    Diagnostic::error("E0503", s[4], format!("after applying the suffixes, both sides have a column `{}`", c.name))
                        .help("choose suffixes that keep the names apart, e.g. ['_l', '_r'], or drop one of the columns first"),
                );
            }
        }
        let origin = if lo == ro {
            lo
        } else {
            format!("{lo} ⋈ {ro}")
        };
        Value::DataFrame(self.add_node(
            Op::Join {
                how,
                left_on,
                right_on,
                output,
            },
            vec![left, right],
            Relation { columns },
            origin,
        ))
    }

    fn append(&mut self, first: NodeId, objs: &Value, span: Span) -> Value {
        let others: Vec<Value> = match objs {
            Value::List(i) | Value::Tuple(i) => i.iter().cloned().collect(),
            other => vec![other.clone()],
        };
        let rel = self.relation(first);
        let mut inputs = vec![first];
        for o in &others {
            let Some(id) = self.df_node(o, span, "append()") else {
                return Value::Error;
            };
            let orel = self.relation(id);
            let same = orel.columns.len() == rel.columns.len()
                && rel
                    .columns
                    .iter()
                    .all(|c| orel.get(&c.name).is_some_and(|oc| oc.ty == c.ty));
            if !same {
                let describe = |r: &Relation| {
                    r.columns
                        .iter()
                        .map(|c| format!("{}: {}", c.name, c.ty))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                return self.push(
                    Diagnostic::error(
                        "E0504",
                        span,
                        "append() needs DataFrames with the same columns and types",
                    )
                    .note(format!("first: [{}]", describe(&rel)))
                    .note(format!("other: [{}]", describe(&orel))),
                );
            }
            inputs.push(id);
        }
        let origin = self.origin_rc(first);
        Value::DataFrame(self.add_node(Op::Union, inputs, rel, origin))
    }

    fn sort(&mut self, df: NodeId, v: &[Value], s: &[Span]) -> Value {
        let Some(cols) = self.names_arg(&v[0], s[0], "sort()") else {
            return Value::Error;
        };
        let asc: Vec<bool> = match &v[1] {
            Value::List(i) | Value::Tuple(i) => {
                let bools: Option<Vec<bool>> = i.iter().map(|b| b.as_bool()).collect();
                match bools {
                    Some(b) if b.len() == cols.len() => b,
                    _ => {
                        return self.error(
                            "E0506",
                            s[1],
                            format!(
                                "`ascending` must be one bool or a list of {} bools",
                                cols.len()
                            ),
                        );
                    }
                }
            }
            other => match other.as_bool() {
                Some(b) => vec![b; cols.len()],
                None => return self.error("E0506", s[1], "`ascending` must be True or False"),
            },
        };
        let rel = self.relation(df);
        let origin = self.origin_rc(df);
        let mut keys = Vec::new();
        for ((c, cs), a) in cols.iter().zip(asc) {
            match rel.index(c) {
                Some(i) => keys.push((c.clone(), i, a)),
                None => {
                    self.column_not_found(c, &rel, &origin, *cs);
                    return Value::Error;
                }
            }
        }
        Value::DataFrame(self.add_node(Op::Sort { keys }, vec![df], rel, origin))
    }

    fn column_method(
        &mut self,
        col: Rc<UNode>,
        path: &str,
        v: &[Value],
        s: &[Span],
        span: Span,
    ) -> Value {
        let arg = |i: usize| -> Option<Rc<UNode>> {
            match v.get(i) {
                Some(Value::Expr(e)) => Some(e.clone()),
                _ => None,
            }
        };
        let call = |ev: &mut Evaluator, name: &str, args: Vec<Rc<UNode>>| -> Value {
            match registry_function(name) {
                Some(f) => ev.call_scalar(f, args, span),
                None => ev.error(
                    "E9999",
                    span,
                    format!("internal error: `{name}` missing from the stdlib"),
                ),
            }
        };
        let lit_int = |i: i64| UNode::new(UKind::Lit(Literal::Int(i)), span);
        match path {
            "Column.lower" => call(self, "tolower", vec![col]),
            "Column.upper" => call(self, "toupper", vec![col]),
            "Column.strip" => call(self, "trim", vec![col]),
            "Column.contains" | "Column.startswith" | "Column.endswith" => {
                let Some(part) = arg(0) else {
                    return self.error(
                        "E0404",
                        s[0],
                        format!("{}() takes a string", path.trim_start_matches("Column.")),
                    );
                };
                if path == "Column.contains" {
                    return call(self, "contains", vec![col, part]);
                }
                let len_part = match part.lit() {
                    Some(Literal::Str(p)) => lit_int(p.len() as i64),
                    _ => match call(self, "length", vec![part.clone()]) {
                        Value::Expr(e) => e,
                        other => return other,
                    },
                };
                let start = if path == "Column.startswith" {
                    lit_int(0)
                } else {
                    let Value::Expr(len_col) = call(self, "length", vec![col.clone()]) else {
                        return Value::Error;
                    };
                    match call(self, "subtract", vec![len_col, len_part.clone()]) {
                        Value::Expr(e) => e,
                        other => return other,
                    }
                };
                let Value::Expr(sub) = call(self, "substring", vec![col, start, len_part]) else {
                    return Value::Error;
                };
                call(self, "equal", vec![sub, part])
            }
            other => self.error(
                "E9999",
                span,
                format!("internal error: column method `{other}` has no implementation"),
            ),
        }
    }

    pub(crate) fn pxviews_attr(&mut self, name: &str, span: Span) -> Value {
        let scope = self.pxviews_scope();
        let found = scope.borrow().vars.get(name).cloned();
        match found {
            Some(v) if !name.starts_with('_') => v,
            _ => {
                let names: Vec<String> = scope
                    .borrow()
                    .vars
                    .iter()
                    .filter(|(k, v)| !k.starts_with('_') && matches!(v, Value::UserFn(_)))
                    .map(|(k, _)| k.clone())
                    .collect();
                let mut d = Diagnostic::error(
                    "E0204",
                    span,
                    format!("module `pxviews` has no function `{name}`"),
                );
                if let Some(s) = closest(name, names.iter().map(String::as_str)) {
                    d = d.help(format!("did you mean `pxviews.{s}`?")).suggest(s);
                }
                self.push(d)
            }
        }
    }

    /// The bundled pxviews library, evaluated once per compilation in its own
    /// module scope. Its own diagnostics are internal errors.
    fn pxviews_scope(&mut self) -> Rc<RefCell<Scope>> {
        if let Some(s) = &self.pxviews {
            return s.clone();
        }
        thread_local! {
            /// The library's tree, parsed once per thread: its functions
            /// share their definitions with it.
            static PARSED: Rc<crate::syntax::Parsed> =
                Rc::new(crate::syntax::parse(pxl_stdlib::PXVIEWS_SOURCE));
        }
        let parsed = PARSED.with(Rc::clone);
        let scope = Rc::new(RefCell::new(Scope::default()));
        self.pxviews = Some(scope.clone());
        let before = self.diags.len();
        let saved = std::mem::replace(&mut self.analysis.enabled, false);
        self.defining_library = Some("pxviews");
        for stmt in &parsed.module.body {
            self.exec_library(stmt, &scope);
        }
        self.defining_library = None;
        self.analysis.enabled = saved;
        let library_errors: Vec<String> = parsed
            .diagnostics
            .iter()
            .chain(self.diags[before..].iter())
            .filter(|d| d.is_error())
            .map(|d| d.message.clone())
            .collect();
        self.diags.truncate(before);
        if !library_errors.is_empty() {
            self.error(
                "E9999",
                Span::default(),
                format!(
                    "internal error: the bundled pxviews library does not compile: {}",
                    library_errors.join("; ")
                ),
            );
        }
        scope
    }
}

fn contains_agg(n: &UNode) -> bool {
    match &n.kind {
        UKind::AggCall { .. } => true,
        UKind::Call { args, .. } => args.iter().any(|a| contains_agg(a)),
        UKind::Cast { expr, .. } => contains_agg(expr),
        _ => false,
    }
}

fn item_span(v: &Value, fallback: Span) -> Span {
    match v {
        Value::Expr(e) if e.span != Span::default() => e.span,
        _ => fallback,
    }
}
