//! Compile-time functions of the `px`, `px.otel`, `px.vis`, `pxtrace` and
//! `pxconfig` modules, and table-valued functions.

use super::binding::Bound;
use super::time;
use super::value::{Object, UKind, UNode};
use super::{Evaluator, Value};
use crate::diagnostic::{Diagnostic, closest};
use crate::ir::{
    ColumnType, Literal, Op, OtelEndpoint, OtelExport, OtelValue, Relation, SinkKind, TimeBound,
};
use crate::span::Span;
use pxl_stdlib::functions::{CompileTimeSpec, Function};
use pxl_stdlib::tables;
use std::rc::Rc;

impl Evaluator {
    pub(crate) fn call_builtin(
        &mut self,
        spec: &'static CompileTimeSpec,
        b: Bound,
        span: Span,
    ) -> Value {
        let v = &b.values;
        let s = &b.spans;
        match spec.path {
            "px.DataFrame" => self.dataframe(v, s, span),
            "px.display" | "px.debug" => {
                let Some(df) = self.df_node(&v[0], s[0], spec.path) else {
                    return Value::Error;
                };
                let Some(name) = self.string_arg(&v[1], s[1], "the result name") else {
                    return Value::Error;
                };
                let debug = spec.path == "px.debug";
                if !debug && !self.display_enabled {
                    return Value::None;
                }
                let name = if debug { format!("_{name}") } else { name };
                let name = self.sink_name(&name, span);
                let rel = self.relation(df);
                let origin = self.origin_rc(df);
                let kind = if debug {
                    SinkKind::Debug
                } else {
                    SinkKind::Display
                };
                let id = self.add_node(Op::Sink { name, kind }, vec![df], rel, origin);
                self.sinks.push(id);
                Value::None
            }
            "px.export" => self.export(v, s, span),
            "px.now" => Value::lit(Literal::Int(self.now_ns), span),
            "px.minutes" | "px.hours" | "px.seconds" | "px.days" | "px.milliseconds"
            | "px.microseconds" => {
                let scale: i64 = match spec.path {
                    "px.minutes" => 60_000_000_000,
                    "px.hours" => 3_600_000_000_000,
                    "px.seconds" => 1_000_000_000,
                    "px.days" => 86_400_000_000_000,
                    "px.milliseconds" => 1_000_000,
                    _ => 1_000,
                };
                match v[0].as_int() {
                    Some(n) => match n.checked_mul(scale) {
                        Some(ns) => Value::lit(Literal::Int(ns), span),
                        None => self.error("E0207", s[0], "duration overflows INT64 nanoseconds"),
                    },
                    None => self.error(
                        "E0207",
                        s[0],
                        format!("{}() takes an integer literal", spec.path),
                    ),
                }
            }
            "px.parse_duration" => {
                let Some(text) = self.string_arg(&v[0], s[0], "a duration") else {
                    return Value::Error;
                };
                match time::parse_duration(&text).or_else(|| time::find_relative(&text)) {
                    Some(ns) => Value::lit(Literal::Int(ns), span),
                    None => self.bad_time(&text, s[0]),
                }
            }
            "px.format_duration" => match v[0].as_int() {
                Some(ns) => Value::lit(Literal::Str(time::format_duration(ns)), span),
                None => self.error(
                    "E0207",
                    s[0],
                    "px.format_duration() takes an integer literal of nanoseconds",
                ),
            },
            "px.parse_time" => match self.time_bound(&v[0], s[0]) {
                Some(TimeBound::Absolute(ns)) => Value::lit(Literal::Time(ns), span),
                Some(TimeBound::Relative(off)) => {
                    Value::lit(Literal::Time(self.now_ns.saturating_add(off)), span)
                }
                None => Value::Error,
            },
            "px.strptime" => {
                let (Some(text), Some(_fmt)) = (
                    self.string_arg(&v[0], s[0], "a date"),
                    self.string_arg(&v[1], s[1], "a format"),
                ) else {
                    return Value::Error;
                };
                match time::parse_absolute(&text) {
                    Some(ns) => Value::lit(Literal::Int(ns), span),
                    None => self.error(
                        "E0306",
                        s[0],
                        format!("cannot parse `{text}` as a date and time"),
                    ),
                }
            }
            "px.uint128" => {
                let Some(text) = self.string_arg(&v[0], s[0], "a UUID") else {
                    return Value::Error;
                };
                let hex: String = text.chars().filter(|c| *c != '-').collect();
                match (hex.len() == 32)
                    .then(|| u128::from_str_radix(&hex, 16).ok())
                    .flatten()
                {
                    Some(u) => Value::lit(Literal::Uint128(u), span),
                    None => self.error(
                        "E0207",
                        s[0],
                        format!("`{text}` is not a UUID (8-4-4-4-12 hex digits)"),
                    ),
                }
            }
            "px.make_upid" => {
                let (Some(asid), Some(pid), Some(ts)) =
                    (v[0].as_int(), v[1].as_int(), v[2].as_int())
                else {
                    return self.error(
                        "E0207",
                        span,
                        "px.make_upid() takes three integer literals",
                    );
                };
                if u32::try_from(asid).is_err() || u32::try_from(pid).is_err() {
                    return self.error("E0207", span, "asid and pid must fit in 32 bits");
                }
                let hi = ((asid as u128) << 32) | pid as u128;
                let upid = UNode::new(
                    UKind::Lit(Literal::Uint128((hi << 64) | (ts as u64 as u128))),
                    span,
                );
                match pxl_stdlib::functions::TYPE_OBJECTS
                    .iter()
                    .find(|t| t.path == "px.UPID")
                {
                    Some(to) => Value::Expr(UNode::new(UKind::Cast { to, expr: upid }, span)),
                    None => Value::Expr(upid),
                }
            }
            "px.equals_any" => {
                let items = match &v[1] {
                    Value::List(i) | Value::Tuple(i) if !i.is_empty() => i.clone(),
                    _ => {
                        return self.error(
                            "E0207",
                            s[1],
                            "px.equals_any() needs a non-empty list of values to compare with",
                        );
                    }
                };
                let mut acc: Option<Value> = None;
                for item in items.iter() {
                    let eq = self.apply_op("equal", vec![v[0].clone(), item.clone()], span);
                    acc = Some(match acc {
                        None => eq,
                        Some(prev) => self.apply_op("logicalOr", vec![prev, eq], span),
                    });
                }
                acc.unwrap_or(Value::Error)
            }
            "px.script_reference" => self.script_reference(v, s, span),
            "px.vis.vega" => Value::Object(Rc::new(Object {
                kind: "vega decorator",
                fields: vec![("spec".into(), v[0].clone())],
            })),
            "px.otel.Data"
            | "px.otel.Endpoint"
            | "px.otel.metric.Gauge"
            | "px.otel.metric.Summary"
            | "px.otel.trace.Span" => self.otel_object(spec, &b, span),
            path if path.starts_with("pxtrace.") || path.starts_with("pxconfig.") => {
                let mut fields: Vec<(String, Value)> = spec_param_names(spec)
                    .into_iter()
                    .zip(b.values.iter().cloned())
                    .collect();
                fields.extend(b.kwargs.iter().map(|(k, v, _)| (k.clone(), v.clone())));
                if path == "pxtrace.probe" {
                    return Value::Object(Rc::new(Object {
                        kind: "pxtrace probe decorator",
                        fields,
                    }));
                }
                let kind: &'static str = spec.path;
                Value::Object(Rc::new(Object { kind, fields }))
            }
            other => self.error(
                "E9999",
                span,
                format!("internal error: compile-time function `{other}` has no implementation"),
            ),
        }
    }

    fn bad_time(&mut self, text: &str, span: Span) -> Value {
        self.push(
            Diagnostic::error("E0306", span, format!("`{text}` is neither a relative time nor an absolute date"))
                .help("use a relative time such as '-5m' or '-1h30m', or an absolute one such as '2024-01-02 15:04:05 -0700'"),
        )
    }

    /// `start_time`/`end_time`: relative string, absolute string, INT64 ns or a time literal.
    pub(crate) fn time_bound(&mut self, v: &Value, span: Span) -> Option<TimeBound> {
        match v {
            Value::None => None,
            Value::Error => None,
            Value::Expr(e) => match e.lit() {
                Some(Literal::Int(ns)) => Some(TimeBound::Absolute(*ns)),
                Some(Literal::Time(ns)) => Some(TimeBound::Absolute(*ns)),
                Some(Literal::Str(text)) => {
                    if let Some(ns) = time::parse_duration(text) {
                        return Some(TimeBound::Relative(ns));
                    }
                    if let Some(ns) = time::parse_absolute(text) {
                        return Some(TimeBound::Absolute(ns));
                    }
                    if let Some(ns) = time::find_relative(text) {
                        return Some(TimeBound::Relative(ns));
                    }
                    let text = text.clone();
                    self.bad_time(&text, span);
                    None
                }
                _ => {
                    self.error("E0306", span, "a time bound must be a literal: a string like '-5m', an integer of nanoseconds, or px.parse_time(...)");
                    None
                }
            },
            other => {
                self.error(
                    "E0306",
                    span,
                    format!("a time bound cannot be a `{}`", other.type_name()),
                );
                None
            }
        }
    }

    pub(crate) fn string_arg(&mut self, v: &Value, span: Span, what: &str) -> Option<String> {
        match v {
            Value::Error => None,
            _ => match v.as_str() {
                Some(s) => Some(s.to_string()),
                None => {
                    self.error(
                        "E0207",
                        span,
                        format!(
                            "expected a string literal for {what}, found `{}`",
                            v.type_name()
                        ),
                    );
                    None
                }
            },
        }
    }

    fn dataframe(&mut self, v: &[Value], s: &[Span], _span: Span) -> Value {
        let Some(table_name) = self.string_arg(&v[0], s[0], "the table name") else {
            return Value::Error;
        };
        let Some(table) = tables::table(&table_name) else {
            let mut d = Diagnostic::error(
                "E0301",
                s[0],
                format!("table `{table_name}` does not exist"),
            );
            if let Some(c) = closest(&table_name, tables::tables().iter().map(|t| t.name)) {
                d = d
                    .help(format!("did you mean `{c}`?"))
                    .suggest(format!("'{c}'"));
            } else {
                d = d.note(
                    "`px.GetTables()` lists the tables; `pxl check` knows the default Pixie tables",
                );
            }
            return self.push(d);
        };
        let select: Vec<(String, Span)> = match &v[1] {
            Value::List(items) | Value::Tuple(items) => {
                let mut out = Vec::new();
                for item in items.iter() {
                    match item.as_str() {
                        Some(c) => out.push((c.to_string(), s[1])),
                        None => {
                            self.error("E0207", s[1], "`select` must list column names as strings");
                            return Value::Error;
                        }
                    }
                }
                out
            }
            other => match other.as_str() {
                Some(c) => vec![(c.to_string(), s[1])],
                None => {
                    return self.error(
                        "E0207",
                        s[1],
                        "`select` must be a column name or a list of column names",
                    );
                }
            },
        };
        let start = self.time_bound(&v[2], s[2]);
        let end = self.time_bound(&v[3], s[3]);
        let mut columns = Vec::new();
        let mut ok = true;
        let wanted: Vec<&str> = if select.is_empty() {
            table.columns.iter().map(|c| c.name).collect()
        } else {
            select.iter().map(|(c, _)| c.as_str()).collect()
        };
        for name in &wanted {
            match table.resolve(name) {
                Some(c) => columns.push(ColumnType {
                    name: (*name).to_string(),
                    ty: c.ty,
                    semantic: Some(c.semantic),
                }),
                None => {
                    let mut d = Diagnostic::error(
                        "E0302",
                        s[1],
                        format!("column `{name}` not found in `{}`", table.name),
                    );
                    if let Some(c) = closest(name, table.columns.iter().map(|c| c.name)) {
                        d = d.help(format!("did you mean `{c}`?")).suggest(c);
                    }
                    self.push(d);
                    ok = false;
                }
            }
        }
        if !ok {
            return Value::Error;
        }
        let select_names = select.into_iter().map(|(c, _)| c).collect();
        let op = Op::MemorySource {
            table: table.name.to_string(),
            columns: select_names,
            start,
            end,
            streaming: false,
        };
        let id = self.add_node(op, vec![], Relation { columns }, table.name.to_string());
        Value::DataFrame(id)
    }

    fn export(&mut self, v: &[Value], s: &[Span], span: Span) -> Value {
        let Some(df) = self.df_node(&v[0], s[0], "px.export") else {
            return Value::Error;
        };
        let Value::Object(spec) = &v[1] else {
            return self.error(
                "E0608",
                s[1],
                "px.export() needs an exporter such as `px.otel.Data(...)`",
            );
        };
        if spec.kind != "px.otel.Data" {
            return self.error(
                "E0608",
                s[1],
                format!("px.export() needs `px.otel.Data(...)`, not `{}`", spec.kind),
            );
        }
        let rel = self.relation(df);
        let field = |name: &str| {
            spec.fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let mut resource = Vec::new();
        match field("resource") {
            Some(Value::Dict(items)) => {
                for (k, val) in items.iter() {
                    let Some(k) = k.as_str() else {
                        return self.error("E0608", s[1], "resource attribute names must be string literals");
                    };
                    resource.push((k.to_string(), self.otel_value(val, &rel)));
                }
                if !resource.iter().any(|(k, _)| k == "service.name") {
                    return self.error("E0608", s[1], "the otel resource must contain 'service.name'");
                }
            }
            _ => return self.error("E0608", s[1], "px.otel.Data(resource=...) must be a dict of attribute names to columns or strings"),
        }
        let endpoint = match field("endpoint") {
            Some(Value::Object(e)) if e.kind == "px.otel.Endpoint" => {
                let get = |name: &str| {
                    e.fields
                        .iter()
                        .find(|(k, _)| k == name)
                        .map(|(_, v)| v.clone())
                };
                let Some(url) = get("url").and_then(|v| v.as_str().map(String::from)) else {
                    return self.error(
                        "E0608",
                        s[1],
                        "px.otel.Endpoint(url=...) must be a string literal",
                    );
                };
                let mut headers = Vec::new();
                match get("headers") {
                    Some(Value::Dict(items)) => {
                        for (k, v) in items.iter() {
                            let (Some(k), Some(v)) = (k.as_str(), v.as_str()) else {
                                return self.error(
                                    "E0608",
                                    s[1],
                                    "px.otel.Endpoint(headers=...) must map strings to strings",
                                );
                            };
                            headers.push((k.to_string(), v.to_string()));
                        }
                    }
                    Some(Value::None) | None => {}
                    Some(_) => {
                        return self.error(
                            "E0608",
                            s[1],
                            "px.otel.Endpoint(headers=...) must be a dict of strings",
                        );
                    }
                }
                let insecure = match get("insecure") {
                    None | Some(Value::None) => false,
                    Some(v) => match v.as_bool() {
                        Some(b) => b,
                        None => {
                            return self.error(
                                "E0608",
                                s[1],
                                "px.otel.Endpoint(insecure=...) must be True or False",
                            );
                        }
                    },
                };
                let timeout_s = match get("timeout") {
                    None | Some(Value::None) => 5,
                    Some(v) => match v.as_int().filter(|t| *t > 0) {
                        Some(t) => t,
                        None => return self.error(
                            "E0608",
                            s[1],
                            "px.otel.Endpoint(timeout=...) must be a positive number of seconds",
                        ),
                    },
                };
                Some(OtelEndpoint {
                    url,
                    headers,
                    insecure,
                    timeout_s,
                })
            }
            Some(Value::None) | None => None,
            Some(_) => {
                return self.error(
                    "E0608",
                    s[1],
                    "px.otel.Data(endpoint=...) must be a px.otel.Endpoint(...)",
                );
            }
        };
        let mut data = Vec::new();
        match field("data") {
            Some(Value::List(items)) if !items.is_empty() => {
                for item in items.iter() {
                    let Value::Object(o) = item else {
                        return self.error(
                            "E0608",
                            s[1],
                            "every item of `data` must be a px.otel.metric or px.otel.trace spec",
                        );
                    };
                    let mut cols = Vec::new();
                    for (k, val) in &o.fields {
                        let v = self.otel_value(val, &rel);
                        cols.push((k.clone(), v));
                    }
                    data.push((o.kind.to_string(), cols));
                }
                if data.iter().any(|(k, _)| k.starts_with("px.otel.metric"))
                    && rel.get("time_").is_none()
                {
                    return self.error(
                        "E0608",
                        s[0],
                        "exporting metrics needs a `time_` column in the DataFrame",
                    );
                }
            }
            Some(Value::None) | None => {
                // pxl extension: every numeric column becomes a gauge, with
                // the string columns as attributes.
                let attributes = OtelValue::Map(
                    rel.columns
                        .iter()
                        .filter(|c| c.ty == pxl_stdlib::DataType::String)
                        .map(|c| (c.name.clone(), OtelValue::Column(c.name.clone())))
                        .collect(),
                );
                for c in rel
                    .columns
                    .iter()
                    .filter(|c| c.ty.is_numeric() && c.name != "time_")
                {
                    data.push((
                        "px.otel.metric.Gauge".to_string(),
                        vec![
                            (
                                "name".into(),
                                OtelValue::Literal(Literal::Str(c.name.clone())),
                            ),
                            ("value".into(), OtelValue::Column(c.name.clone())),
                            ("attributes".into(), attributes.clone()),
                        ],
                    ));
                }
                if data.is_empty() {
                    return self.error(
                        "E0608",
                        s[0],
                        "nothing to export: the DataFrame has no numeric column",
                    );
                }
            }
            Some(_) => {
                return self.error(
                    "E0608",
                    s[1],
                    "`data` must be a non-empty list of metric or span specs",
                );
            }
        }
        let origin = self.origin_rc(df);
        let name = self.sink_name("otel_export", span);
        let id = self.add_node(
            Op::Sink {
                name,
                kind: SinkKind::OtelExport(OtelExport {
                    endpoint,
                    resource,
                    data,
                }),
            },
            vec![df],
            rel,
            origin,
        );
        self.sinks.push(id);
        Value::None
    }

    /// A value in an otel spec: a column (must exist), a literal or a dict
    /// of them.
    fn otel_value(&mut self, v: &Value, rel: &Relation) -> OtelValue {
        match v {
            Value::Expr(e) => match &e.kind {
                UKind::Column(c) => {
                    if rel.get(c).is_none() {
                        let mut d = Diagnostic::error(
                            "E0302",
                            e.span,
                            format!("column `{c}` not found in the exported DataFrame"),
                        );
                        if let Some(s) = closest(c, rel.names()) {
                            d = d.help(format!("did you mean `{s}`?")).suggest(s);
                        }
                        self.push(d);
                    }
                    OtelValue::Column(c.clone())
                }
                UKind::Lit(l) => OtelValue::Literal(l.clone()),
                _ => {
                    self.error("E0608", e.span, "otel fields take a column (`df.col`) or a literal; compute expressions into a column first");
                    OtelValue::None
                }
            },
            Value::Dict(items) => OtelValue::Map(
                items
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            Value::Expr(e) => match &e.kind {
                                UKind::Lit(Literal::Str(s)) => s.clone(),
                                UKind::Lit(Literal::Float(f)) => f.to_string(),
                                UKind::Lit(Literal::Int(i)) => i.to_string(),
                                _ => "?".into(),
                            },
                            _ => "?".into(),
                        };
                        (key, self.otel_value(v, rel))
                    })
                    .collect(),
            ),
            _ => OtelValue::None,
        }
    }

    fn otel_object(&mut self, spec: &'static CompileTimeSpec, b: &Bound, span: Span) -> Value {
        let names = spec_param_names(spec);
        let fields: Vec<(String, Value)> =
            names.into_iter().zip(b.values.iter().cloned()).collect();
        if spec.path.starts_with("px.otel.metric")
            && let Some(name) = fields.first().and_then(|(_, v)| v.as_str())
        {
            {
                let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
                if !valid {
                    return self.error(
                        "E0608",
                        b.spans[0],
                        format!("metric name `{name}` must match [A-Za-z][A-Za-z0-9_.-]*"),
                    );
                }
            }
        }
        let _ = span;
        Value::Object(Rc::new(Object {
            kind: spec.path,
            fields,
        }))
    }

    fn script_reference(&mut self, v: &[Value], s: &[Span], span: Span) -> Value {
        let mut args = vec![v[0].clone(), v[1].clone()];
        match &v[2] {
            Value::Dict(items) => {
                if items.len() > 8 {
                    return self.error(
                        "E0207",
                        s[2],
                        "px.script_reference() takes at most 8 arguments",
                    );
                }
                for (k, val) in items.iter() {
                    if k.as_str().is_none() {
                        return self.error(
                            "E0207",
                            s[2],
                            "script argument names must be string literals",
                        );
                    }
                    args.push(k.clone());
                    args.push(val.clone());
                }
            }
            Value::Error => return Value::Error,
            other => {
                return self.error(
                    "E0207",
                    s[2],
                    format!("`args` must be a dict, not `{}`", other.type_name()),
                );
            }
        }
        let Some(func) = super::registry_function("_script_reference") else {
            return self.error(
                "E9999",
                span,
                "internal error: _script_reference missing from the stdlib",
            );
        };
        let mut nodes = Vec::new();
        for (a, sp) in args
            .into_iter()
            .zip([s[0], s[1]].into_iter().chain(std::iter::repeat(s[2])))
        {
            match a {
                Value::Expr(e) => nodes.push(e),
                Value::Error => return Value::Error,
                other => {
                    return self.error(
                        "E0404",
                        sp,
                        format!(
                            "script reference values must be columns or literals, not `{}`",
                            other.type_name()
                        ),
                    );
                }
            }
        }
        Value::Expr(UNode::new(UKind::Call { func, args: nodes }, span))
    }

    pub(crate) fn call_udtf(
        &mut self,
        func: &'static Function,
        args: Vec<(Option<String>, Value, Span)>,
        span: Span,
    ) -> Value {
        let Some(overload) = func.overloads.first() else {
            return Value::Error;
        };
        let params: Vec<super::binding::Param> = overload
            .params
            .iter()
            .map(|p| super::binding::Param {
                name: p.name.clone(),
                default: p.default.clone(),
                kwargs: false,
            })
            .collect();
        let name = format!("px.{}", func.name());
        let Some(b) = self.bind_full(&name, &params, args, span) else {
            return Value::Error;
        };
        let mut lits = Vec::new();
        for ((p, v), s) in overload.params.iter().zip(&b.values).zip(&b.spans) {
            match v {
                Value::Expr(e) => match e.lit() {
                    Some(l) if l.data_type() == p.ty => lits.push((p.name.clone(), l.clone())),
                    Some(Literal::Str(u)) if p.ty == pxl_stdlib::DataType::Uint128 => {
                        lits.push((p.name.clone(), Literal::Str(u.clone())))
                    }
                    Some(l) => {
                        return self.error(
                            "E0401",
                            *s,
                            format!(
                                "argument `{}` of {name}() must be {}, not {}",
                                p.name,
                                p.ty,
                                l.data_type()
                            ),
                        );
                    }
                    None => {
                        return self.error(
                            "E0407",
                            *s,
                            format!("arguments of {name}() must be literals"),
                        );
                    }
                },
                Value::Error => return Value::Error,
                other => {
                    return self.error(
                        "E0407",
                        *s,
                        format!(
                            "arguments of {name}() must be literals, not `{}`",
                            other.type_name()
                        ),
                    );
                }
            }
        }
        let columns = overload
            .columns
            .iter()
            .map(|(n, t)| ColumnType {
                name: n.clone(),
                ty: *t,
                semantic: None,
            })
            .collect();
        let id = self.add_node(
            Op::UdtfSource {
                func: func.name().to_string(),
                args: lits,
            },
            vec![],
            Relation { columns },
            name,
        );
        Value::DataFrame(id)
    }
}

fn spec_param_names(spec: &CompileTimeSpec) -> Vec<String> {
    super::binding::parse_params(spec.params)
        .into_iter()
        .filter(|p| !p.kwargs)
        .map(|p| p.name)
        .collect()
}
