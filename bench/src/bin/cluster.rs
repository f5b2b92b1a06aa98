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

use pxl_bench::{agent_config, arg, free_addr, run, wait_for_rows};
use pxl_carnot::agent::Agent;
use pxl_carnot::{TableStore, load_dir};
use pxl_exec::Engine;
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

fn agent(role: &str, id: &str, broker: Option<&str>, data: Option<&Path>) -> (Agent, String) {
    let listen = free_addr();
    let cfg = agent_config(role, id, &listen, broker, data, arg("--partitions", 2));
    (Agent::start(cfg).expect("agent"), listen)
}

/// Runs a script, failing the benchmark when some PEM's data is missing:
/// a figure measured on two of the three PEMs is not the figure.
async fn run_all(broker: &str, pxl: &str) -> (usize, u64) {
    let a = run(broker, pxl, END_NS).await.expect("run");
    assert!(
        a.missing.is_empty(),
        "agents missing from the result: {:?}",
        a.missing
    );
    (a.rows, a.bytes_from_pems)
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
    let scratch = pxl_bench::ScratchDir::new("pxl-bench-cluster");
    let dir = scratch.0.clone();
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
        wait_for_rows(&broker_addr, COUNT_ALL, END_NS, 3 * rows as i64).await;

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
    drop(scratch);
}
