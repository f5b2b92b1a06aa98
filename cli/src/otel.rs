//! `px.export(df, px.otel.Data(...))`: turns an output's rows into OTLP
//! metrics and spans and sends them to an OpenTelemetry collector over
//! gRPC.
//!
//! - Rows are grouped into one OTLP resource per distinct combination of
//!   the resource attributes' values (first appearance order).
//! - Gauges and summaries: one data point per row, stamped with the row's
//!   `time_` (or the export time when the DataFrame has none, which only
//!   the `data`-less form allows). A row whose value is null gives no point.
//! - Spans: one span per row and span configuration. Missing or malformed
//!   trace and span IDs are generated; a missing parent leaves a root span.

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType as ArrowType, TimeUnit, TimestampNanosecondType};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, metrics_service_client::MetricsServiceClient,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, trace_service_client::TraceServiceClient,
};
use opentelemetry_proto::tonic::common::v1::{
    AnyValue, InstrumentationScope, KeyValue, any_value::Value as Any,
};
use opentelemetry_proto::tonic::metrics::v1::{
    Gauge, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Summary, SummaryDataPoint,
    metric::Data, number_data_point::Value as Number, summary_data_point::ValueAtQuantile,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use pxl_compiler::ir::{Literal, OtelEndpoint, OtelExport, OtelValue, Relation};
use pxl_stdlib::SemanticType;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::time::Duration;

/// What one export sent.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sent {
    pub metrics: usize,
    pub points: usize,
    pub spans: usize,
    pub resources: usize,
}

/// A cell of the exported rows.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

impl Cell {
    fn any(&self) -> Option<AnyValue> {
        let v = match self {
            Cell::Str(s) => Any::StringValue(s.clone()),
            Cell::Int(i) => Any::IntValue(*i),
            Cell::Float(f) => Any::DoubleValue(*f),
            Cell::Bool(b) => Any::BoolValue(*b),
            Cell::Null => return None,
        };
        Some(AnyValue { value: Some(v) })
    }

    fn text(&self) -> Option<String> {
        match self {
            Cell::Str(s) => Some(s.clone()),
            Cell::Int(i) => Some(i.to_string()),
            Cell::Float(f) => Some(f.to_string()),
            Cell::Bool(b) => Some(b.to_string()),
            Cell::Null => None,
        }
    }

    fn int(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            Cell::Float(f) if f.is_finite() => Some(*f as i64),
            _ => None,
        }
    }

    fn float(&self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(*i as f64),
            Cell::Float(f) => Some(*f),
            _ => None,
        }
    }
}

/// The rows, by column name.
struct Rows<'a> {
    batch: &'a RecordBatch,
}

impl Rows<'_> {
    fn cell(&self, value: &OtelValue, row: usize) -> Result<Cell, String> {
        match value {
            OtelValue::Column(c) => {
                let col = self
                    .batch
                    .column_by_name(c)
                    .ok_or_else(|| format!("column `{c}` is not in the exported rows"))?;
                if col.is_null(row) {
                    return Ok(Cell::Null);
                }
                Ok(match col.data_type() {
                    ArrowType::Utf8 => Cell::Str(col.as_string::<i32>().value(row).to_string()),
                    ArrowType::Int64 => Cell::Int(
                        col.as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                            .value(row),
                    ),
                    ArrowType::Float64 => Cell::Float(
                        col.as_primitive::<datafusion::arrow::datatypes::Float64Type>()
                            .value(row),
                    ),
                    ArrowType::Boolean => Cell::Bool(col.as_boolean().value(row)),
                    ArrowType::Timestamp(TimeUnit::Nanosecond, _) => {
                        Cell::Int(col.as_primitive::<TimestampNanosecondType>().value(row))
                    }
                    _ => Cell::Str(
                        datafusion::arrow::util::display::array_value_to_string(col, row)
                            .map_err(|e| format!("column `{c}`: {e}"))?,
                    ),
                })
            }
            OtelValue::Literal(l) => Ok(match l {
                Literal::Str(s) => Cell::Str(s.clone()),
                Literal::Int(i) | Literal::Time(i) => Cell::Int(*i),
                Literal::Float(f) => Cell::Float(*f),
                Literal::Bool(b) => Cell::Bool(*b),
                Literal::Uint128(u) => Cell::Str(format!("{u:032x}")),
            }),
            OtelValue::Map(_) | OtelValue::None => Ok(Cell::Null),
        }
    }

    fn attributes(&self, value: Option<&OtelValue>, row: usize) -> Result<Vec<KeyValue>, String> {
        let Some(OtelValue::Map(items)) = value else {
            return Ok(Vec::new());
        };
        let mut out = Vec::with_capacity(items.len());
        for (k, v) in items {
            if let Some(value) = self.cell(v, row)?.any() {
                out.push(KeyValue {
                    key: k.clone(),
                    value: Some(value),
                });
            }
        }
        Ok(out)
    }
}

fn field<'a>(fields: &'a [(String, OtelValue)], name: &str) -> Option<&'a OtelValue> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .filter(|v| **v != OtelValue::None)
}

fn literal_text(fields: &[(String, OtelValue)], name: &str) -> String {
    match field(fields, name) {
        Some(OtelValue::Literal(Literal::Str(s))) => s.clone(),
        _ => String::new(),
    }
}

/// The unit OTLP expects for a column's semantic type.
fn unit_of(rel: &Relation, value: Option<&OtelValue>) -> String {
    let Some(OtelValue::Column(c)) = value else {
        return String::new();
    };
    let semantic = rel.get(c).and_then(|col| col.semantic);
    match semantic {
        Some(SemanticType::DurationNs) => "ns",
        Some(SemanticType::Bytes) => "By",
        Some(SemanticType::Percent) => "%",
        _ => "",
    }
    .to_string()
}

fn unit(fields: &[(String, OtelValue)], rel: &Relation, derive_from: Option<&OtelValue>) -> String {
    match field(fields, "unit") {
        Some(OtelValue::Literal(Literal::Str(s))) => s.clone(),
        _ => unit_of(rel, derive_from),
    }
}

/// Random bytes for generated trace and span IDs.
fn random_bytes(n: usize, counter: &mut u64) -> Vec<u8> {
    let state = std::collections::hash_map::RandomState::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        *counter += 1;
        out.extend_from_slice(&state.hash_one(*counter).to_le_bytes());
    }
    out.truncate(n);
    out
}

/// `n` bytes from a hex column value, when it is exactly that and not all
/// zero (OTLP's "no ID").
fn hex_id(cell: &Cell, n: usize) -> Option<Vec<u8>> {
    let Cell::Str(s) = cell else {
        return None;
    };
    if s.len() != 2 * n || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..n)
        .map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    bytes.filter(|b| b.iter().any(|&x| x != 0))
}

/// The OTLP requests for `spec` over `batch` (the output's rows).
pub fn build(
    spec: &OtelExport,
    rel: &Relation,
    batch: &RecordBatch,
    now_ns: i64,
) -> Result<(ExportMetricsServiceRequest, ExportTraceServiceRequest, Sent), String> {
    let rows = Rows { batch };
    let has_time = batch.column_by_name("time_").is_some();
    let scope = || InstrumentationScope {
        name: "pxl".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        ..Default::default()
    };
    // Rows by resource, in order of first appearance.
    let mut groups: Vec<(Vec<KeyValue>, Vec<usize>)> = Vec::new();
    let mut index: HashMap<Vec<Option<String>>, usize> = HashMap::new();
    for row in 0..batch.num_rows() {
        let mut key = Vec::with_capacity(spec.resource.len());
        let mut attrs = Vec::with_capacity(spec.resource.len());
        for (k, v) in &spec.resource {
            let cell = rows.cell(v, row)?;
            key.push(cell.text());
            if let Some(value) = cell.any() {
                attrs.push(KeyValue {
                    key: k.clone(),
                    value: Some(value),
                });
            }
        }
        let at = *index.entry(key).or_insert_with(|| {
            groups.push((attrs, Vec::new()));
            groups.len() - 1
        });
        groups[at].1.push(row);
    }

    let mut sent = Sent {
        resources: groups.len(),
        ..Sent::default()
    };
    let mut metrics_req = ExportMetricsServiceRequest::default();
    let mut trace_req = ExportTraceServiceRequest::default();
    let mut counter = 0u64;
    for (attrs, members) in &groups {
        let resource = Resource {
            attributes: attrs.clone(),
            ..Default::default()
        };
        let time_of = |row: usize| -> Result<u64, String> {
            if has_time {
                let t = rows
                    .cell(&OtelValue::Column("time_".into()), row)?
                    .int()
                    .unwrap_or(now_ns);
                Ok(u64::try_from(t).unwrap_or(0))
            } else {
                Ok(u64::try_from(now_ns).unwrap_or(0))
            }
        };
        let mut metrics = Vec::new();
        let mut spans = Vec::new();
        for (kind, fields) in &spec.data {
            match kind.as_str() {
                "px.otel.metric.Gauge" => {
                    let value = field(fields, "value")
                        .ok_or_else(|| "a gauge needs `value`".to_string())?;
                    let mut points = Vec::new();
                    for &row in members {
                        let v = match rows.cell(value, row)? {
                            Cell::Int(i) => Number::AsInt(i),
                            Cell::Float(f) => Number::AsDouble(f),
                            Cell::Bool(b) => Number::AsInt(i64::from(b)),
                            Cell::Null => continue,
                            Cell::Str(_) => {
                                return Err(format!(
                                    "gauge `{}`: the value must be a number",
                                    literal_text(fields, "name")
                                ));
                            }
                        };
                        points.push(NumberDataPoint {
                            attributes: rows.attributes(field(fields, "attributes"), row)?,
                            time_unix_nano: time_of(row)?,
                            value: Some(v),
                            ..Default::default()
                        });
                    }
                    sent.points += points.len();
                    metrics.push(Metric {
                        name: literal_text(fields, "name"),
                        description: literal_text(fields, "description"),
                        unit: unit(fields, rel, Some(value)),
                        data: Some(Data::Gauge(Gauge {
                            data_points: points,
                        })),
                        ..Default::default()
                    });
                }
                "px.otel.metric.Summary" => {
                    let count = field(fields, "count")
                        .ok_or_else(|| "a summary needs `count`".to_string())?;
                    let sum =
                        field(fields, "sum").ok_or_else(|| "a summary needs `sum`".to_string())?;
                    let quantiles: Vec<(f64, &OtelValue)> = match field(fields, "quantile_values") {
                        Some(OtelValue::Map(items)) => items
                            .iter()
                            .map(|(k, v)| {
                                k.parse::<f64>()
                                    .ok()
                                    .filter(|q| (0.0..=1.0).contains(q))
                                    .map(|q| (q, v))
                                    .ok_or_else(|| {
                                        format!(
                                            "summary quantile `{k}` must be a number from 0 to 1"
                                        )
                                    })
                            })
                            .collect::<Result<_, _>>()?,
                        _ => Vec::new(),
                    };
                    let mut points = Vec::new();
                    for &row in members {
                        let (Some(n), Some(total)) =
                            (rows.cell(count, row)?.int(), rows.cell(sum, row)?.float())
                        else {
                            continue;
                        };
                        let mut values = Vec::new();
                        for (q, col) in &quantiles {
                            if let Some(v) = rows.cell(col, row)?.float() {
                                values.push(ValueAtQuantile {
                                    quantile: *q,
                                    value: v,
                                });
                            }
                        }
                        points.push(SummaryDataPoint {
                            attributes: rows.attributes(field(fields, "attributes"), row)?,
                            time_unix_nano: time_of(row)?,
                            count: u64::try_from(n).unwrap_or(0),
                            sum: total,
                            quantile_values: values,
                            ..Default::default()
                        });
                    }
                    sent.points += points.len();
                    metrics.push(Metric {
                        name: literal_text(fields, "name"),
                        description: literal_text(fields, "description"),
                        unit: unit(fields, rel, quantiles.first().map(|(_, v)| *v)),
                        data: Some(Data::Summary(Summary {
                            data_points: points,
                        })),
                        ..Default::default()
                    });
                }
                "px.otel.trace.Span" => {
                    let name =
                        field(fields, "name").ok_or_else(|| "a span needs `name`".to_string())?;
                    let start = field(fields, "start_time")
                        .ok_or_else(|| "a span needs `start_time`".to_string())?;
                    let end = field(fields, "end_time")
                        .ok_or_else(|| "a span needs `end_time`".to_string())?;
                    let kind = match field(fields, "kind") {
                        Some(OtelValue::Literal(Literal::Int(k))) if (0..=5).contains(k) => {
                            *k as i32
                        }
                        None => 2,
                        Some(other) => {
                            return Err(format!(
                                "span kind `{other}` must be one of px.otel.trace.SPAN_KIND_*"
                            ));
                        }
                    };
                    for &row in members {
                        let (Some(s), Some(e)) =
                            (rows.cell(start, row)?.int(), rows.cell(end, row)?.int())
                        else {
                            continue;
                        };
                        let id = |f: &str, n: usize| -> Result<Option<Vec<u8>>, String> {
                            Ok(match field(fields, f) {
                                Some(v) => hex_id(&rows.cell(v, row)?, n),
                                None => None,
                            })
                        };
                        let trace_id = match id("trace_id", 16)? {
                            Some(t) => t,
                            None => random_bytes(16, &mut counter),
                        };
                        let span_id = match id("span_id", 8)? {
                            Some(t) => t,
                            None => random_bytes(8, &mut counter),
                        };
                        spans.push(Span {
                            trace_id,
                            span_id,
                            parent_span_id: id("parent_span_id", 8)?.unwrap_or_default(),
                            name: rows.cell(name, row)?.text().unwrap_or_default(),
                            kind,
                            start_time_unix_nano: u64::try_from(s).unwrap_or(0),
                            end_time_unix_nano: u64::try_from(e).unwrap_or(0),
                            attributes: rows.attributes(field(fields, "attributes"), row)?,
                            ..Default::default()
                        });
                    }
                }
                other => return Err(format!("`{other}` cannot be exported")),
            }
        }
        if !metrics.is_empty() {
            sent.metrics += metrics.len();
            metrics_req.resource_metrics.push(ResourceMetrics {
                resource: Some(resource.clone()),
                scope_metrics: vec![ScopeMetrics {
                    scope: Some(scope()),
                    metrics,
                    ..Default::default()
                }],
                ..Default::default()
            });
        }
        if !spans.is_empty() {
            sent.spans += spans.len();
            trace_req.resource_spans.push(ResourceSpans {
                resource: Some(resource),
                scope_spans: vec![ScopeSpans {
                    scope: Some(scope()),
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            });
        }
    }
    Ok((metrics_req, trace_req, sent))
}

/// `url` with a scheme: as given, else `http://` for an insecure endpoint
/// and `https://` otherwise.
pub fn endpoint_uri(e: &OtelEndpoint) -> String {
    if e.url.contains("://") {
        e.url.clone()
    } else if e.insecure {
        format!("http://{}", e.url)
    } else {
        format!("https://{}", e.url)
    }
}

fn request<T>(msg: T, e: &OtelEndpoint) -> Result<tonic::Request<T>, String> {
    let mut req = tonic::Request::new(msg);
    req.set_timeout(Duration::from_secs(e.timeout_s.max(1) as u64));
    for (k, v) in &e.headers {
        let key = tonic::metadata::MetadataKey::from_bytes(k.to_ascii_lowercase().as_bytes())
            .map_err(|_| format!("header name `{k}` is not valid in a gRPC request"))?;
        let value = tonic::metadata::MetadataValue::try_from(v.as_str())
            .map_err(|_| format!("the value of header `{k}` is not valid in a gRPC request"))?;
        req.metadata_mut().insert(key, value);
    }
    Ok(req)
}

/// Exports `batches` (the rows of one output) as `spec` says.
pub async fn export(
    spec: &OtelExport,
    rel: &Relation,
    batches: &[RecordBatch],
    endpoint: &OtelEndpoint,
    now_ns: i64,
) -> Result<Sent, String> {
    let schema = match batches.first() {
        Some(b) => b.schema(),
        None => return Ok(Sent::default()),
    };
    let batch =
        datafusion::arrow::compute::concat_batches(&schema, batches).map_err(|e| e.to_string())?;
    let (metrics, traces, sent) = build(spec, rel, &batch, now_ns)?;
    let uri = endpoint_uri(endpoint);
    let mut ep = tonic::transport::Endpoint::from_shared(uri.clone())
        .map_err(|e| format!("`{uri}` is not a valid collector address: {e}"))?
        .connect_timeout(Duration::from_secs(endpoint.timeout_s.max(1) as u64));
    if uri.starts_with("https://") {
        ep = ep
            .tls_config(tonic::transport::ClientTlsConfig::new().with_webpki_roots())
            .map_err(|e| format!("TLS for {uri}: {e}"))?;
    }
    let channel = ep.connect().await.map_err(|e| {
        format!(
            "cannot reach the collector at {uri}: {}",
            pxl_exec::dist::gather::source_chain(&e)
        )
    })?;
    if !metrics.resource_metrics.is_empty() {
        let reply = MetricsServiceClient::new(channel.clone())
            .export(request(metrics, endpoint)?)
            .await
            .map_err(|s| {
                format!(
                    "the collector at {uri} refused the metrics: {}",
                    s.message()
                )
            })?
            .into_inner();
        if let Some(p) = reply.partial_success
            && p.rejected_data_points > 0
        {
            return Err(format!(
                "the collector at {uri} rejected {} of {} metric points: {}",
                p.rejected_data_points, sent.points, p.error_message
            ));
        }
    }
    if !traces.resource_spans.is_empty() {
        let reply = TraceServiceClient::new(channel)
            .export(request(traces, endpoint)?)
            .await
            .map_err(|s| format!("the collector at {uri} refused the spans: {}", s.message()))?
            .into_inner();
        if let Some(p) = reply.partial_success
            && p.rejected_spans > 0
        {
            return Err(format!(
                "the collector at {uri} rejected {} of {} spans: {}",
                p.rejected_spans, sent.spans, p.error_message
            ));
        }
    }
    Ok(sent)
}
