//! `cargo run --release -p pxl-bench -- [--rows N] [--iters K] [--query Q] [--pxl-only]`
//!
//! `--query`, `--pxl-only` (skip the SQL side) and `--analyze` (print each
//! PxL query's physical plan with DataFusion's per-operator metrics, from
//! one extra run) are for profiling; `--ceiling` measures what integer
//! codes for `req_path` could give Q1 (see [`Ceiling`]).
//!
//! Generates N `http_events` rows (default 10M) into the table store, then
//! measures, in this one run:
//! - table-store ingest (rows/s per core) and resident memory of a full
//!   table against its byte budget;
//! - Q1 time filter + method filter + group by req_path with
//!   count/mean/max/p99, Q2 scan + filter + sum, Q3 group by service name:
//!   each as a PxL script end to end (compile, plan, run) and as the same
//!   query hand-written in DataFusion SQL over the same table provider.
//!
//! Every figure is a median of K runs; ratios compare numbers measured here,
//! so a noisy machine affects both sides alike.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use datafusion::catalog::TableProvider;
use datafusion::prelude::SessionContext;
use pxl_carnot::TableStore;
use pxl_compiler::CompileOptions;
use pxl_planner::{Functions, lower};
use pxl_stdlib::runtime::metadata::MetadataIndex;
use pxl_stdlib::runtime::{ExecEnv, table_schema};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const END_NS: i64 = 1_700_000_000_000_000_000;
const SPAN_NS: i64 = 3_600_000_000_000;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

struct Query {
    name: &'static str,
    pxl: &'static str,
    sql: String,
    target_rows_per_core: f64,
}

fn main() {
    let rows = arg("--rows", 10_000_000);
    let iters = arg("--iters", 5).max(1);
    // Only query number Q (1-3), for profiling; 0 runs them all.
    let only = arg("--query", 0);
    let pxl_only = std::env::args().any(|a| a == "--pxl-only");
    let analyze = std::env::args().any(|a| a == "--analyze");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("machine: {cores} cores; {rows} http_events rows; median of {iters} runs");

    // Generate, then ingest (timed separately from generation).
    let world = pxl_datagen::World::with_span(7, END_NS, SPAN_NS);
    let t0 = Instant::now();
    let batches: Vec<_> =
        pxl_datagen::generate_table(&world, "http_events", rows, 7, END_NS, SPAN_NS, 64 * 1024)
            .expect("http_events is generated")
            .collect();
    let gen_time = t0.elapsed();
    let bytes: usize = batches.iter().map(|b| b.get_array_memory_size()).sum();
    println!(
        "generated in {:.2}s ({:.1} bytes/row)",
        gen_time.as_secs_f64(),
        bytes as f64 / rows.max(1) as f64
    );
    let schema = table_schema(pxl_stdlib::tables::table("http_events").expect("table"));
    let store = TableStore::new();
    let table = store.create("http_events", schema.clone(), bytes * 2);
    let t0 = Instant::now();
    for b in &batches {
        table.append(b.clone()).expect("append");
    }
    let ingest = t0.elapsed();
    let ingest_rate = rows as f64 / ingest.as_secs_f64();
    println!(
        "ingest: {:.1}M rows/s ({:.1}M rows/s per core; target >= 1M)",
        ingest_rate / 1e6,
        ingest_rate / 1e6 / cores as f64
    );

    // Memory of a full table against its budget: fill a second table with
    // twice its budget of data and measure the resident-set growth.
    {
        let budget = (bytes / 4).max(1);
        let before = rss_bytes();
        let full = Table::new("mem", schema.clone(), budget);
        let stream = pxl_datagen::generate_table(
            &world,
            "http_events",
            rows / 2,
            11,
            END_NS,
            SPAN_NS,
            64 * 1024,
        )
        .expect("http_events is generated");
        for b in stream {
            full.append(b).expect("append");
        }
        let after = rss_bytes();
        let stats = full.stats();
        println!(
            "memory: budget {:.0} MiB, table holds {:.0} MiB, RSS grew {:.0} MiB ({:.2}x budget; target <= 1.1x); evicted {} rows",
            budget as f64 / 1048576.0,
            stats.bytes as f64 / 1048576.0,
            after.saturating_sub(before) as f64 / 1048576.0,
            after.saturating_sub(before) as f64 / budget as f64,
            stats.evicted_rows
        );
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let env = Arc::new(ExecEnv::local(Arc::new(MetadataIndex::new(
        world.metadata(),
    ))));
    let functions = Functions::new(env).expect("functions");
    let provider: Arc<dyn TableProvider> = table.clone();
    let catalog: HashMap<String, Arc<dyn TableProvider>> =
        [("http_events".to_string(), provider.clone())].into();
    let engine = pxl_exec::Engine::new();
    let sql_ctx: &SessionContext = engine.context();
    sql_ctx
        .register_table("http_events", provider)
        .expect("register");
    for udf in functions.scalar.values() {
        sql_ctx.register_udf(udf.as_ref().clone());
    }
    // The whole span: the time filter is evaluated on every row but prunes
    // nothing, so rows/s counts every row of the table.
    let start = END_NS - SPAN_NS;
    if std::env::args().any(|a| a == "--ceiling") {
        let ctx = Ceiling {
            sql: sql_ctx,
            rt: &rt,
            iters,
            per_core_rows: rows as f64 / cores as f64,
        };
        ctx.run(&batches, &schema, &functions, start);
        return;
    }
    let queries = [
        Query {
            name: "Q1 filter + group by req_path, count/mean/max/p99",
            pxl: "import px\n\
                  df = px.DataFrame('http_events', start_time='-60m')\n\
                  df = df[df.req_method == 'GET']\n\
                  df = df.groupby('req_path').agg(n=('latency', px.count), avg=('latency', px.mean), mx=('latency', px.max), p99=('latency', px.quantiles(0.99)))\n\
                  px.display(df)\n",
            sql: format!(
                "SELECT req_path, count(latency) AS n, avg(CAST(latency AS DOUBLE)) AS avg, max(latency) AS mx, \
                 approx_percentile_cont(CAST(latency AS DOUBLE), 0.99) AS p99 FROM http_events \
                 WHERE time_ >= {start} AND req_method = 'GET' GROUP BY req_path"
            ),
            target_rows_per_core: 40e6,
        },
        Query {
            name: "Q2 scan + filter + sum",
            pxl: "import px\n\
                  df = px.DataFrame('http_events')\n\
                  df = df[df.resp_status >= 400]\n\
                  df = df.agg(total=('resp_body_size', px.sum))\n\
                  px.display(df)\n",
            sql: "SELECT sum(resp_body_size) AS total FROM http_events WHERE resp_status >= 400".into(),
            target_rows_per_core: 500e6,
        },
        Query {
            name: "Q3 group by service name",
            pxl: "import px\n\
                  df = px.DataFrame('http_events')\n\
                  df.service = df.ctx['service']\n\
                  df = df.groupby('service').agg(n=('latency', px.count))\n\
                  px.display(df)\n",
            sql: "SELECT upid_to_service_name(upid) AS service, count(latency) AS n FROM http_events GROUP BY 1".into(),
            target_rows_per_core: 100e6,
        },
    ];
    // Compile and plan a query as `pxl run` does.
    let plan = |q: &Query| {
        let c = pxl_compiler::check_source(
            q.pxl,
            &CompileOptions {
                now_ns: END_NS,
                ..CompileOptions::default()
            },
        );
        assert!(!c.has_errors(), "{}: {:?}", q.name, c.diagnostics);
        lower(&c.plan, &catalog, &functions, END_NS).expect("plan")
    };
    println!();
    println!(
        "| query | PxL end to end | DataFusion SQL | PxL / SQL | PxL rows/s per core | target |"
    );
    println!("|---|---|---|---|---|---|");
    for (i, q) in queries.iter().enumerate() {
        if only != 0 && only != i + 1 {
            continue;
        }
        let mut pxl_times = Vec::new();
        let mut sql_times = Vec::new();
        let mut pxl_rows = 0;
        let mut sql_rows = 0;
        for _ in 0..iters {
            let t0 = Instant::now();
            let outputs = plan(q);
            let res = rt.block_on(engine.run(&outputs, None)).expect("run");
            pxl_times.push(t0.elapsed());
            pxl_rows = res[0].num_rows();
            if pxl_only {
                continue;
            }

            let t0 = Instant::now();
            let batches = rt
                .block_on(async { sql_ctx.sql(&q.sql).await?.collect().await })
                .expect("sql");
            sql_times.push(t0.elapsed());
            sql_rows = batches.iter().map(|b| b.num_rows()).sum::<usize>();
        }
        if analyze {
            let outputs = plan(q);
            let shown = rt.block_on(async {
                let state = sql_ctx.state();
                let plan = state.create_physical_plan(&outputs[0].plan).await?;
                datafusion::physical_plan::collect(plan.clone(), sql_ctx.task_ctx()).await?;
                Ok::<_, datafusion::error::DataFusionError>(
                    datafusion::physical_plan::display::DisplayableExecutionPlan::with_metrics(
                        plan.as_ref(),
                    )
                    .indent(true)
                    .to_string(),
                )
            });
            println!("{}:\n{}", q.name, shown.expect("analyze"));
        }
        if pxl_only {
            let p = median(pxl_times);
            println!(
                "| {} | {:.1} ms | - | - | - | - |",
                q.name,
                p.as_secs_f64() * 1e3
            );
            continue;
        }
        assert_eq!(
            pxl_rows, sql_rows,
            "{}: PxL and SQL disagree on row count",
            q.name
        );
        let (p, s) = (median(pxl_times), median(sql_times));
        let per_core = rows as f64 / p.as_secs_f64() / cores as f64;
        println!(
            "| {} | {:.1} ms | {:.1} ms | {:.2} | {:.0}M | {:.0}M{} |",
            q.name,
            p.as_secs_f64() * 1e3,
            s.as_secs_f64() * 1e3,
            p.as_secs_f64() / s.as_secs_f64(),
            per_core / 1e6,
            q.target_rows_per_core / 1e6,
            if per_core >= q.target_rows_per_core {
                " (met)"
            } else {
                " (NOT met)"
            }
        );
    }
}

use pxl_carnot::Table;

/// `--ceiling`: Q1's grouping by `req_path` strings against grouping by an
/// integer code per distinct `req_path` (interned here, as a table store
/// could at ingest), with and without the p99, all in SQL over the same
/// rows. It bounds what dictionary-coded string keys could give Q1.
struct Ceiling<'a> {
    sql: &'a SessionContext,
    rt: &'a tokio::runtime::Runtime,
    iters: usize,
    per_core_rows: f64,
}

impl Ceiling<'_> {
    fn run(
        &self,
        batches: &[datafusion::arrow::array::RecordBatch],
        schema: &datafusion::arrow::datatypes::SchemaRef,
        functions: &Functions,
        start: i64,
    ) {
        use datafusion::arrow::array::{AsArray, RecordBatch, UInt32Array};
        use datafusion::arrow::datatypes::{DataType, Field, Schema};
        let idx = schema.index_of("req_path").expect("req_path");
        let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        fields.push(Field::new("req_path_code", DataType::UInt32, true));
        let coded_schema = Arc::new(Schema::new(fields));
        let mut codes: HashMap<String, u32> = HashMap::new();
        let coded: Vec<RecordBatch> = batches
            .iter()
            .map(|b| {
                let paths = b.column(idx).as_string::<i32>();
                let c: UInt32Array = paths
                    .iter()
                    .map(|v| {
                        v.map(|v| {
                            let next = codes.len() as u32;
                            *codes.entry(v.to_string()).or_insert(next)
                        })
                    })
                    .collect();
                let mut cols = b.columns().to_vec();
                cols.push(Arc::new(c));
                RecordBatch::try_new(coded_schema.clone(), cols).expect("coded batch")
            })
            .collect();
        let per = coded.len().div_ceil(2).max(1);
        let parts: Vec<Vec<RecordBatch>> = coded.chunks(per).map(<[RecordBatch]>::to_vec).collect();
        let table = datafusion::datasource::MemTable::try_new(coded_schema, parts).expect("table");
        self.sql
            .register_table("coded", Arc::new(table))
            .expect("register");
        self.sql.register_udaf(functions.quantile.as_ref().clone());
        println!("| Q1 variant (SQL, same rows) | time | rows/s per core |");
        println!("|---|---|---|");
        for (name, key, p99) in [
            ("strings, with p99", "req_path", true),
            ("codes, with p99", "req_path_code", true),
            ("strings, no p99", "req_path", false),
            ("codes, no p99", "req_path_code", false),
        ] {
            let q = format!(
                "SELECT {key}, count(latency) AS n, avg(latency) AS avg, max(latency) AS mx{} \
                 FROM coded WHERE time_ >= {start} AND req_method = 'GET' GROUP BY {key}",
                if p99 {
                    ", quantile(latency, 0.99) AS p99"
                } else {
                    ""
                }
            );
            let mut times = Vec::new();
            for _ in 0..self.iters {
                let t0 = Instant::now();
                self.rt
                    .block_on(async { self.sql.sql(&q).await?.collect().await })
                    .expect("sql");
                times.push(t0.elapsed());
            }
            let m = median(times);
            println!(
                "| {name} | {:.1} ms | {:.1}M |",
                m.as_secs_f64() * 1e3,
                self.per_core_rows / m.as_secs_f64() / 1e6
            );
        }
    }
}
