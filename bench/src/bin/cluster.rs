//! Distributed execution benchmark (issue 5): 3 PEMs × N `http_events`
//! rows, a broker and a Kelvin, all real agents talking Arrow Flight over
//! loopback (in one process, each with its own server and port).
//!
//! Prints, measured in the same run:
//! - bytes the Kelvin received from the PEMs for a group-by query vs for
//!   shipping the filtered rows the same query reads (target ≤ 1/1000);
//! - end-to-end p50 of the cluster query vs the single-process run over
//!   the union of the three datasets (targets: < 100 ms, ≤ 1.5×).
//!
//! `cargo run --release -p pxl-bench --bin cluster -- --rows 1000000`

use futures::StreamExt;
use pxl_carnot::agent::Agent;
use pxl_carnot::agent::config::{AgentConfig, FileConfig};
use pxl_carnot::{TableStore, load_dir};
use pxl_exec::Engine;
use pxl_exec::dist::gather::{Dialer, raw_do_get};
use pxl_exec::dist::wire::{Control, RunRequest, encode_run_ticket};
use std::path::Path;
use std::time::{Duration, Instant};

/// The allocator `pxl agent` runs with.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const END_NS: i64 = 1_795_000_000_000_000_000;
const SPAN_NS: i64 = 3_600_000_000_000;

const GROUP_BY: &str = "import px
df = px.DataFrame(table='http_events', start_time='-1h')
df = df[df.resp_status >= 200]
df = df.groupby('req_path').agg(
    n=('latency', px.count),
    mean=('latency', px.mean),
    p99=('latency', px.quantiles(0.99)),
)
px.display(df)
";

const COUNT_ALL: &str = "import px
df = px.DataFrame(table='http_events', start_time='-1h')
df = df.agg(n=('latency', px.count))
px.display(df)
";

const FILTERED_ROWS: &str = "import px
df = px.DataFrame(table='http_events', start_time='-1h')
df = df[df.resp_status >= 200]
df = df[['req_path', 'latency']]
px.display(df)
";

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").to_string()
}

fn agent(role: &str, id: &str, broker: Option<&str>, data: Option<&Path>) -> (Agent, String) {
    let listen = free_addr();
    let cfg = AgentConfig::check(FileConfig {
        role: Some(role.into()),
        id: Some(id.into()),
        listen: Some(listen.clone()),
        broker: broker.map(String::from),
        data: data.map(Path::to_path_buf),
        heartbeat_ms: Some(200),
        query_memory_mb: Some(4096),
        partitions: Some(arg("--partitions", 2)),
        ..FileConfig::default()
    })
    .expect("config");
    (Agent::start(cfg).expect("agent"), listen)
}

/// Runs a script on the cluster: (rows, bytes PEM → Kelvin, agents whose
/// data is missing from the result).
async fn run(broker: &str, pxl: &str) -> (usize, u64, Vec<String>) {
    let mut client = Dialer::default()
        .connect(broker, Duration::from_secs(5))
        .await
        .expect("connect");
    let req = RunRequest {
        query: "bench".into(),
        name: "bench".into(),
        pxl: pxl.into(),
        now_ns: Some(END_NS),
        ..RunRequest::default()
    };
    let stream = raw_do_get(&mut client, encode_run_ticket(&req))
        .await
        .expect("run");
    let mut dec = arrow_flight::decode::FlightDataDecoder::new(
        stream.map(|r| r.map_err(arrow_flight::error::FlightError::from)),
    );
    let (mut rows, mut bytes, mut missing) = (0, 0, Vec::new());
    while let Some(d) = dec.next().await {
        let d = d.expect("stream");
        if let Some(Control::End {
            bytes_from_pems,
            missing: m,
            ..
        }) = Control::from_app_metadata(&d.app_metadata())
        {
            bytes += bytes_from_pems;
            missing.extend(m.into_iter().map(|(agent, why)| format!("{agent}: {why}")));
        }
        if let arrow_flight::decode::DecodedPayload::RecordBatch(b) = d.payload {
            rows += b.num_rows();
        }
    }
    (rows, bytes, missing)
}

/// The number of `http_events` rows the cluster answers for.
async fn count_all(broker: &str) -> (i64, Vec<String>) {
    let mut client = Dialer::default()
        .connect(broker, Duration::from_secs(5))
        .await
        .expect("connect");
    let req = RunRequest {
        query: "bench-count".into(),
        name: "bench-count".into(),
        pxl: COUNT_ALL.into(),
        now_ns: Some(END_NS),
        ..RunRequest::default()
    };
    // Before the PEMs register, the broker refuses the query.
    let stream = match raw_do_get(&mut client, encode_run_ticket(&req)).await {
        Ok(s) => s,
        Err(e) => return (0, vec![e.to_string()]),
    };
    let mut dec = arrow_flight::decode::FlightDataDecoder::new(
        stream.map(|r| r.map_err(arrow_flight::error::FlightError::from)),
    );
    let (mut n, mut missing) = (0, Vec::new());
    while let Some(d) = dec.next().await {
        let d = d.expect("stream");
        if let Some(Control::End { missing: m, .. }) = Control::from_app_metadata(&d.app_metadata())
        {
            missing.extend(m.into_keys());
        }
        if let arrow_flight::decode::DecodedPayload::RecordBatch(b) = d.payload {
            use datafusion::arrow::array::AsArray;
            let col = b
                .column(0)
                .as_primitive::<datafusion::arrow::datatypes::Int64Type>();
            n += col.iter().flatten().sum::<i64>();
        }
    }
    (n, missing)
}

/// Runs a script, failing the benchmark when some PEM's data is missing:
/// a figure measured on two of the three PEMs is not the figure.
async fn run_all(broker: &str, pxl: &str) -> (usize, u64) {
    let (rows, bytes, missing) = run(broker, pxl).await;
    assert!(
        missing.is_empty(),
        "agents missing from the result: {missing:?}"
    );
    (rows, bytes)
}

/// The workload of the issue groups by `req_path` with about 100 groups;
/// generated paths carry ids (thousands of distinct paths), so each is
/// mapped to one of 100 endpoints.
fn endpoints(b: &datafusion::arrow::array::RecordBatch) -> datafusion::arrow::array::RecordBatch {
    use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
    let Ok(i) = b.schema().index_of("req_path") else {
        return b.clone();
    };
    let paths = b.column(i).as_string::<i32>();
    let mapped: StringArray = (0..paths.len())
        .map(|r| {
            let mut h: u32 = 2166136261;
            for byte in paths.value(r).bytes() {
                h = (h ^ u32::from(byte)).wrapping_mul(16777619);
            }
            Some(format!("/api/v1/endpoint-{:02}", h % 100))
        })
        .collect();
    let mut cols: Vec<ArrayRef> = b.columns().to_vec();
    cols[i] = std::sync::Arc::new(mapped);
    datafusion::arrow::array::RecordBatch::try_new(b.schema(), cols).expect("same schema")
}

fn p50(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// min / p10 / p50 / p90 / max of a set of runs, in ms.
fn spread(v: &[Duration]) -> String {
    let mut v = v.to_vec();
    v.sort();
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    format!(
        "min {:.1} / p10 {:.1} / p50 {:.1} / p90 {:.1} / max {:.1} ms",
        at(0.0),
        at(0.1),
        at(0.5),
        at(0.9),
        at(1.0)
    )
}

fn main() {
    let rows = arg("--rows", 1_000_000);
    let iters = arg("--iters", 21).max(1);
    let dir = std::env::temp_dir().join(format!("pxl-bench-cluster-{}", std::process::id()));
    let world = pxl_datagen::World::with_span(7, END_NS, SPAN_NS);
    let t0 = Instant::now();
    for i in 0..3u64 {
        let batches: Vec<_> = pxl_datagen::generate_table(
            &world,
            "http_events",
            rows,
            11 + i,
            END_NS,
            SPAN_NS,
            64 * 1024,
        )
        .expect("http_events")
        .map(|b| endpoints(&b))
        .collect();
        let ds = pxl_datagen::Dataset {
            tables: vec![("http_events".into(), batches)],
            metadata: world.metadata(),
        };
        pxl_datagen::write(
            &ds,
            &dir.join(format!("pem-{}", i + 1)),
            pxl_datagen::Format::Arrow,
        )
        .expect("write");
    }
    println!(
        "3 PEMs x {rows} http_events rows generated in {:.1}s",
        t0.elapsed().as_secs_f64()
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let (broker, broker_addr) = agent("broker", "broker", None, None);
        tokio::spawn(broker.serve(std::future::pending()));
        let (kelvin, _) = agent("kelvin", "kelvin", Some(&broker_addr), None);
        tokio::spawn(kelvin.serve(std::future::pending()));
        for i in 1..=3 {
            let d = dir.join(format!("pem-{i}"));
            let (pem, _) = agent("pem", &format!("pem-{i}"), Some(&broker_addr), Some(&d));
            tokio::spawn(pem.serve(std::future::pending()));
        }
        // Wait until all three PEMs have registered and answer with all
        // their rows (loading 1M rows each takes a while in a debug build).
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            let (n, missing) = count_all(&broker_addr).await;
            if missing.is_empty() && n == 3 * rows as i64 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "PEMs not ready: {n} of {} rows, missing {missing:?}",
                3 * rows
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }

        let (groups, agg_bytes) = run_all(&broker_addr, GROUP_BY).await;
        let (filtered, row_bytes) = run_all(&broker_addr, FILTERED_ROWS).await;
        let ratio = agg_bytes as f64 / row_bytes.max(1) as f64;
        println!(
            "bytes PEM->Kelvin: group-by {agg_bytes} B ({groups} groups) vs filtered rows \
             {row_bytes} B ({filtered} rows): 1/{:.0} (target <= 1/1000: {})",
            1.0 / ratio.max(f64::MIN_POSITIVE),
            if ratio <= 0.001 { "met" } else { "NOT met" }
        );

        let mut cluster = Vec::new();
        for _ in 0..iters {
            let t = Instant::now();
            let (n, _) = run_all(&broker_addr, GROUP_BY).await;
            cluster.push(t.elapsed());
            assert_eq!(n, groups);
        }

        // Single process over the union of the three directories.
        let store = TableStore::new();
        let mut metadata = Default::default();
        for i in 1..=3 {
            metadata = load_dir(&dir.join(format!("pem-{i}")), &store)
                .expect("load")
                .metadata;
        }
        let engine = Engine::with_partitions(2);
        let mut single = Vec::new();
        for _ in 0..iters {
            let t = Instant::now();
            let script = pxl_compiler::script::ScriptInput {
                name: "bench".into(),
                pxl_path: "bench.pxl".into(),
                pxl: GROUP_BY.into(),
                vis: None,
                manifest: None,
            };
            let c = pxl_compiler::script::compile_input(
                &script,
                &pxl_compiler::CompileOptions {
                    args: vec![],
                    now_ns: END_NS,
                    analysis: false,
                },
            );
            let env =
                std::sync::Arc::new(pxl_stdlib::runtime::ExecEnv::local(std::sync::Arc::new(
                    pxl_stdlib::runtime::metadata::MetadataIndex::new(metadata.clone()),
                )));
            let functions = pxl_planner::Functions::new(env).expect("functions");
            let catalog: std::collections::HashMap<
                String,
                std::sync::Arc<dyn datafusion::catalog::TableProvider>,
            > = store
                .names()
                .into_iter()
                .filter_map(|n| {
                    store.get(&n).map(|t| {
                        (
                            n,
                            t as std::sync::Arc<dyn datafusion::catalog::TableProvider>,
                        )
                    })
                })
                .collect();
            let outputs = pxl_planner::lower(&c.plan, &catalog, &functions, END_NS).expect("plan");
            let r = engine.run(&outputs, None).await.expect("run");
            single.push(t.elapsed());
            assert_eq!(r[0].num_rows(), groups);
        }
        println!("cluster runs: {}", spread(&cluster));
        println!("single-process runs: {}", spread(&single));
        let (c, s) = (p50(cluster.clone()), p50(single.clone()));
        println!(
            "end to end p50: cluster {:.1} ms (target < 100 ms: {}), single process {:.1} ms; \
             cluster / single = {:.2} (target <= 1.5: {})",
            c.as_secs_f64() * 1e3,
            if c < Duration::from_millis(100) {
                "met"
            } else {
                "NOT met"
            },
            s.as_secs_f64() * 1e3,
            c.as_secs_f64() / s.as_secs_f64(),
            if c.as_secs_f64() <= 1.5 * s.as_secs_f64() {
                "met"
            } else {
                "NOT met"
            }
        );
    });
    let _ = std::fs::remove_dir_all(&dir);
}
