//! `px.export` to OpenTelemetry: `pxl run` sends OTLP over gRPC to a real
//! collector endpoint (a tonic server in this test process, another
//! process than `pxl`), and what arrives matches the rows the script
//! displays.

use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value::Value as Any};
use opentelemetry_proto::tonic::metrics::v1::{metric::Data, number_data_point::Value as Number};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

const END: &str = "2026-11-21T08:00:00Z";
const END_NS: u64 = 1_795_248_000_000_000_000;

#[derive(Default)]
struct Received {
    metrics: Vec<ExportMetricsServiceRequest>,
    traces: Vec<ExportTraceServiceRequest>,
    keys: Vec<String>,
}

#[derive(Clone, Default)]
struct Collector(Arc<Mutex<Received>>);

#[tonic::async_trait]
impl MetricsService for Collector {
    async fn export(
        &self,
        req: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        let mut r = self.0.lock().unwrap();
        if let Some(k) = req.metadata().get("api-key") {
            r.keys.push(k.to_str().unwrap_or("").to_string());
        }
        r.metrics.push(req.into_inner());
        Ok(tonic::Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        req: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        self.0.lock().unwrap().traces.push(req.into_inner());
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

/// A collector listening on loopback: (its address, what it received, the
/// runtime serving it).
fn collector() -> (String, Collector, tokio::runtime::Runtime) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let c = Collector::default();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let svc = c.clone();
    rt.spawn(async move {
        tonic::transport::Server::builder()
            .add_service(MetricsServiceServer::new(svc.clone()))
            .add_service(TraceServiceServer::new(svc))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
            .unwrap();
    });
    (addr, c, rt)
}

/// The test data, generated once (tests run in parallel).
fn data() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(generate).clone()
}

fn generate() -> PathBuf {
    // The data of earlier runs, whose processes are gone (the tests share
    // one directory, so none of them can remove it at the end).
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for e in entries.flatten() {
            let name = e.file_name();
            let pid = name.to_str().and_then(|n| n.strip_prefix("pxl-otel-"));
            if pid.is_some_and(|p| !Path::new("/proc").join(p).exists()) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    let dir = std::env::temp_dir().join(format!("pxl-otel-{}", std::process::id()));
    {
        let out = pxl(&[
            "datagen",
            "--out",
            dir.to_str().unwrap(),
            "--rows",
            "3000",
            "--end",
            END,
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    dir
}

fn pxl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pxl"))
        .args(args)
        .output()
        .expect("run pxl")
}

fn run(dir: &Path, name: &str, script: &str) -> (Output, Vec<Value>) {
    run_with(dir, name, script, &[])
}

/// [`run`] with more command-line arguments.
fn run_with(dir: &Path, name: &str, script: &str, more: &[&str]) -> (Output, Vec<Value>) {
    let path = dir.join(name);
    std::fs::write(&path, script).unwrap();
    let mut args = vec![
        "run",
        path.to_str().unwrap(),
        "--data",
        dir.to_str().unwrap(),
        "--now",
        END,
        "--format",
        "json",
    ];
    args.extend_from_slice(more);
    let out = pxl(&args);
    let rows = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (out, rows)
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Any> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

fn text(v: Option<&Any>) -> String {
    match v {
        Some(Any::StringValue(s)) => s.clone(),
        other => panic!("not a string: {other:?}"),
    }
}

#[test]
fn metrics_reach_the_collector_with_the_displayed_values() {
    let dir = data();
    let (addr, c, _rt) = collector();
    let script = format!(
        "import px\n\
         df = px.DataFrame('http_events', start_time='-10m')\n\
         df.service = df.ctx['service']\n\
         df = df.groupby(['service', 'req_method']).agg(n=('latency', px.count), total=('latency', px.sum), q=('latency', px.quantiles))\n\
         df.p50 = px.pluck_float64(df.q, 'p50')\n\
         df.p99 = px.pluck_float64(df.q, 'p99')\n\
         df.total = px.DurationNanos(df.total)\n\
         df.time_ = px.int64_to_time(px.now())\n\
         df = df.drop('q')\n\
         px.display(df)\n\
         px.export(df, px.otel.Data(\n\
           endpoint=px.otel.Endpoint(url='{addr}', insecure=True, headers={{'api-key': 's3cret'}}),\n\
           resource={{'service.name': df.service, 'deployment.environment': 'test'}},\n\
           data=[\n\
             px.otel.metric.Gauge(name='http.requests', value=df.n, description='requests', attributes={{'method': df.req_method}}),\n\
             px.otel.metric.Summary(name='http.latency', count=df.n, sum=df.total, quantile_values={{0.5: df.p50, 0.99: df.p99}}, unit='ns'),\n\
           ]))\n"
    );
    let (out, rows) = run(&dir, "metrics.pxl", &script);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(rows.len() >= 4, "{rows:?}");
    assert!(
        err.contains(&format!(
            "exported `otel_export` to http://{addr}: {} rows",
            rows.len()
        )),
        "{err}"
    );
    let r = c.0.lock().unwrap();
    assert_eq!(r.keys, ["s3cret"]);
    assert!(r.traces.is_empty());
    assert_eq!(r.metrics.len(), 1);
    let services: BTreeSet<String> = rows
        .iter()
        .map(|row| row["service"].as_str().unwrap().to_string())
        .collect();
    let resources = &r.metrics[0].resource_metrics;
    assert_eq!(resources.len(), services.len());

    let mut gauges = 0;
    let mut summaries = 0;
    for rm in resources {
        let res = &rm.resource.as_ref().unwrap().attributes;
        let service = text(attr(res, "service.name"));
        assert_eq!(text(attr(res, "deployment.environment")), "test");
        let metrics = &rm.scope_metrics[0].metrics;
        assert_eq!(rm.scope_metrics[0].scope.as_ref().unwrap().name, "pxl");
        for m in metrics {
            match (m.name.as_str(), m.data.as_ref().unwrap()) {
                ("http.requests", Data::Gauge(g)) => {
                    assert_eq!(m.description, "requests");
                    for p in &g.data_points {
                        gauges += 1;
                        assert_eq!(p.time_unix_nano, END_NS);
                        let method = text(attr(&p.attributes, "method"));
                        let row = rows
                            .iter()
                            .find(|r| {
                                r["service"] == service.as_str()
                                    && r["req_method"] == method.as_str()
                            })
                            .unwrap_or_else(|| panic!("no row for {service} {method}"));
                        assert_eq!(p.value, Some(Number::AsInt(row["n"].as_i64().unwrap())));
                    }
                }
                ("http.latency", Data::Summary(s)) => {
                    assert_eq!(m.unit, "ns");
                    for p in &s.data_points {
                        summaries += 1;
                        let row = rows
                            .iter()
                            .find(|r| {
                                r["service"] == service.as_str()
                                    && r["n"].as_u64() == Some(p.count)
                                    && r["total"].as_f64() == Some(p.sum)
                            })
                            .unwrap_or_else(|| panic!("no row for {service} {p:?}"));
                        let q: Vec<(f64, f64)> = p
                            .quantile_values
                            .iter()
                            .map(|v| (v.quantile, v.value))
                            .collect();
                        assert_eq!(
                            q,
                            [
                                (0.5, row["p50"].as_f64().unwrap()),
                                (0.99, row["p99"].as_f64().unwrap())
                            ]
                        );
                    }
                }
                (name, _) => panic!("unexpected metric {name}"),
            }
        }
    }
    assert_eq!(gauges, rows.len());
    assert_eq!(summaries, rows.len());
}

#[test]
fn spans_and_the_default_gauges() {
    let dir = data();
    let (addr, c, _rt) = collector();
    let script = format!(
        "import px\n\
         df = px.DataFrame('http_events', start_time='-10m')\n\
         df = df.head(25)\n\
         df.start = df.time_ - df.latency\n\
         df.svc = 'frontend'\n\
         df = df[['time_', 'start', 'req_path', 'resp_status', 'latency', 'svc']]\n\
         px.display(df)\n\
         px.export(df, px.otel.Data(endpoint=px.otel.Endpoint(url='http://{addr}'),\n\
           resource={{'service.name': df.svc}},\n\
           data=[px.otel.trace.Span(name=df.req_path, start_time=df.start, end_time=df.time_,\n\
             attributes={{'http.status_code': df.resp_status}}, kind=px.otel.trace.SPAN_KIND_CLIENT)]))\n\
         px.export(df, px.otel.Data(endpoint=px.otel.Endpoint(url='http://{addr}'), resource={{'service.name': 'pxl'}}))\n"
    );
    let (out, rows) = run(&dir, "spans.pxl", &script);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(rows.len(), 25, "{err}");
    let r = c.0.lock().unwrap();

    // Spans: one per row, IDs generated and distinct.
    assert_eq!(r.traces.len(), 1);
    let rs = &r.traces[0].resource_spans;
    assert_eq!(rs.len(), 1);
    let spans = &rs[0].scope_spans[0].spans;
    assert_eq!(spans.len(), 25);
    let ids: BTreeSet<&[u8]> = spans.iter().map(|s| s.span_id.as_slice()).collect();
    assert_eq!(ids.len(), 25);
    for s in spans {
        assert_eq!(s.kind, 3);
        assert_eq!(s.trace_id.len(), 16);
        assert_eq!(s.span_id.len(), 8);
        assert!(s.parent_span_id.is_empty());
        let latency = s.end_time_unix_nano - s.start_time_unix_nano;
        assert!(
            rows.iter().any(|r| r["req_path"] == s.name.as_str()
                && r["latency"].as_u64() == Some(latency)),
            "{s:?}"
        );
        assert!(matches!(
            attr(&s.attributes, "http.status_code"),
            Some(Any::IntValue(_))
        ));
    }

    // Without data=: a gauge per numeric column, the string columns as
    // attributes.
    assert_eq!(r.metrics.len(), 1);
    let metrics = &r.metrics[0].resource_metrics[0].scope_metrics[0].metrics;
    let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["resp_status", "latency"]);
    assert_eq!(metrics[1].unit, "ns");
    let Some(Data::Gauge(g)) = &metrics[1].data else {
        panic!("{metrics:?}")
    };
    assert_eq!(g.data_points.len(), 25);
    assert_eq!(text(attr(&g.data_points[0].attributes, "svc")), "frontend");
    assert!(attr(&g.data_points[0].attributes, "req_path").is_some());
}

#[test]
fn an_unreachable_collector_is_a_clear_error() {
    let dir = data();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = format!(
        "import px\n\
         df = px.DataFrame('http_events', start_time='-10m')\n\
         df = df.agg(n=('latency', px.count))\n\
         df.time_ = px.int64_to_time(px.now())\n\
         px.export(df, px.otel.Data(endpoint=px.otel.Endpoint(url='127.0.0.1:{port}', insecure=True, timeout=2), resource={{'service.name': 'x'}}))\n"
    );
    let (out, _) = run(&dir, "down.pxl", &script);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!(
            "cannot reach the collector at http://127.0.0.1:{port}"
        )),
        "{err}"
    );

    // No endpoint in the script and none on the command line.
    let (out, _) = run(
        &dir,
        "none.pxl",
        "import px\ndf = px.DataFrame('http_events', start_time='-10m')\n\
         df = df.agg(n=('latency', px.count))\ndf.time_ = px.int64_to_time(px.now())\n\
         px.export(df, px.otel.Data(resource={'service.name': 'x'}))\n",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("--otel-endpoint"), "{err}");

    // An endpoint on the command line for a script that exports nothing.
    let (out, rows) = run_with(
        &dir,
        "shown.pxl",
        "import px\npx.display(px.DataFrame('http_events', start_time='-10m').head(1))\n",
        &["--otel-endpoint", "127.0.0.1:4317"],
    );
    assert_eq!(rows.len(), 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("--otel-endpoint 127.0.0.1:4317 is not used")
            && err.contains("no px.export output"),
        "{err}"
    );
}
