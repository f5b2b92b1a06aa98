//! Deterministic, realistic data for every default PxL table, with the
//! metadata (pods, services, processes, ...) that the data refers to.
//!
//! **Owns**: a small simulated Kubernetes cluster ([`World`]: a sock shop in
//! `px-sock-shop` with its databases and brokers, a load generator in
//! `default`, DNS in `kube-system`, the agent in `pxl`), traffic between
//! its services, and the tables that traffic would produce: one generator
//! per table, each streaming Arrow batches in time order.
//!
//! **Never knows**: the query engine, the table store or the CLI. Schemas
//! come from the registry ([`pxl_stdlib::runtime::table_schema`]), never
//! from this crate; a generator only names the columns it fills.
//!
//! **Entry points**: [`generate`] (every default table, in memory),
//! [`generate_table`] (one table as a stream of batches, for benchmarks),
//! [`write`] (Parquet or Arrow IPC files plus `metadata.json`).
//!
//! **Invariants** (tested): every batch has the registry schema of its
//! table; `time_` ascends and lies in `[end_ns - span_ns, end_ns]`; every
//! upid is a process of the metadata whose container, pod, service,
//! replicaset and deployment resolve; the same inputs give the same bytes
//! (on one platform: latencies go through `exp`/`sin` of the system libm).
//!
//! **What the data shows** (for demos and tests): requests come in slow
//! waves; `POST /orders` is the slow endpoint and `POST /paymentAuth` fails
//! about one time in nine. From 62% to 70% of the span an incident makes
//! payment, the payment gateway and orders fail more and slow down threefold,
//! health probes of payment fail and the socket tracer loses events. A
//! little after the middle of the span the first carts JVM, whose heap has
//! grown all along, is OOM-killed (signal 9) and restarted as a new process.
//! Outside names are looked up through the search domains first (NXDOMAIN).

mod agent;
mod catalog;
mod columns;
mod conn_stats;
mod dns;
mod endpoints;
mod http;
mod http_bodies;
mod messaging;
mod proto;
mod rng;
mod sql;
mod stats;
mod traffic;
mod world;
mod write;

pub use world::{DEFAULT_SPAN_NS, World};
pub use write::{Format, write};

use columns::{Cols, assemble};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use pxl_stdlib::runtime::metadata::Metadata;
use pxl_stdlib::runtime::table_schema;
use pxl_stdlib::tables::Table;
use rng::Rng;
use std::path::PathBuf;

/// Rows per batch that [`generate`] produces.
pub const BATCH_ROWS: usize = 8_192;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Number of `http_events` rows; the other tables are sized from it
    /// (see [`default_rows`]).
    pub rows: usize,
    pub seed: u64,
    /// End of the data, in nanoseconds since the epoch.
    pub end_ns: i64,
    /// Length of the data; rows lie in `[end_ns - span_ns, end_ns]`.
    pub span_ns: i64,
}

impl Options {
    /// `rows` http_events rows over the hour that ends at `end_ns`.
    pub fn new(rows: usize, seed: u64, end_ns: i64) -> Self {
        Options {
            rows,
            seed,
            end_ns,
            span_ns: DEFAULT_SPAN_NS,
        }
    }
}

/// Every default table and the metadata its upids, pod ids and addresses
/// refer to.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// (table name, batches in time order), in registry order.
    pub tables: Vec<(String, Vec<RecordBatch>)>,
    pub metadata: Metadata,
}

impl Dataset {
    /// The batches of one table.
    pub fn table(&self, name: &str) -> Option<&[RecordBatch]> {
        self.tables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }

    /// Splits the rows over `n` nodes, as a cluster's PEMs would hold them:
    /// rows with a `upid` go to the node chosen by a hash of the upid (so a
    /// process's rows stay together), other rows round-robin. Every part
    /// keeps the whole metadata (it describes the cluster). The union of
    /// the parts is the dataset.
    pub fn split(&self, n: usize) -> Vec<Dataset> {
        use datafusion::arrow::array::{Array, BooleanArray, FixedSizeBinaryArray};
        use datafusion::arrow::compute::filter_record_batch;
        let n = n.max(1);
        let mut parts: Vec<Dataset> = (0..n)
            .map(|_| Dataset {
                tables: Vec::new(),
                metadata: self.metadata.clone(),
            })
            .collect();
        for (name, batches) in &self.tables {
            let mut out: Vec<Vec<RecordBatch>> = vec![Vec::new(); n];
            let mut row = 0usize;
            for b in batches {
                let upids = b
                    .column_by_name("upid")
                    .and_then(|c| c.as_any().downcast_ref::<FixedSizeBinaryArray>().cloned());
                let node_of: Vec<usize> = (0..b.num_rows())
                    .map(|i| match &upids {
                        Some(u) if u.is_valid(i) => {
                            let h = u.value(i).iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &x| {
                                (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3)
                            });
                            (h % n as u64) as usize
                        }
                        _ => (row + i) % n,
                    })
                    .collect();
                row += b.num_rows();
                for (k, o) in out.iter_mut().enumerate() {
                    let mask: BooleanArray = node_of.iter().map(|&x| Some(x == k)).collect();
                    if let Ok(part) = filter_record_batch(b, &mask)
                        && part.num_rows() > 0
                    {
                        o.push(part);
                    }
                }
            }
            for (k, o) in out.into_iter().enumerate() {
                parts[k].tables.push((name.clone(), o));
            }
        }
        parts
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{name}` is not a table datagen can generate")]
    UnknownTable { name: String },
    #[error("cannot create directory {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Parquet {
        path: PathBuf,
        source: datafusion::parquet::errors::ParquetError,
    },
    #[error("cannot write {}: {source}", path.display())]
    Arrow {
        path: PathBuf,
        source: datafusion::arrow::error::ArrowError,
    },
    #[error("cannot write {}: {source}", path.display())]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// Names of the default tables, in registry order.
pub fn default_tables() -> Vec<&'static str> {
    pxl_stdlib::tables::tables()
        .iter()
        .filter(|t| t.default)
        .map(|t| t.name)
        .collect()
}

/// Generates every default table: `opts.rows` http_events rows and the
/// other tables sized by [`default_rows`], in batches of [`BATCH_ROWS`].
pub fn generate(opts: &Options) -> Dataset {
    let world = World::with_span(opts.seed, opts.end_ns, opts.span_ns);
    let tables = default_tables()
        .into_iter()
        .map(|name| {
            let rows = default_rows(&world, name, opts.rows, opts.span_ns);
            let batches = generate_table(
                &world,
                name,
                rows,
                opts.seed,
                opts.end_ns,
                opts.span_ns,
                BATCH_ROWS,
            )
            .expect("default tables are generated")
            .collect();
            (name.to_string(), batches)
        })
        .collect();
    Dataset {
        tables,
        metadata: world.metadata(),
    }
}

/// How many rows [`generate`] asks of `table` for `http_rows` http_events
/// rows. Periodic tables (process_stats, network_stats, jvm_stats) get one
/// sample per key every 10 s; the event tables of the agent
/// (proc_exit_events, stirling_error, probe_status) have what the world
/// holds, whatever the number.
pub fn default_rows(world: &World, table: &str, http_rows: usize, span_ns: i64) -> usize {
    let every_10s = (span_ns / (10 * world::SEC)).max(1) as usize;
    let (div, min) = match table {
        "http_events" => return http_rows,
        "process_stats" | "tcp_stats_events" => {
            return world.sampled_procs().len() * every_10s;
        }
        "network_stats" => return world.pods.len() * every_10s,
        "jvm_stats" => return stats::jvm_procs(world).len() * every_10s,
        "proc_exit_events" | "stirling_error" | "probe_status" => return usize::MAX,
        "conn_stats" => (4, 50),
        "dns_events" => (5, 20),
        "mysql_events" => (4, 20),
        "redis_events" => (3, 20),
        "pgsql_events" | "stack_traces.beta" => (8, 20),
        "mongodb_events" => (5, 20),
        "kafka_events.beta" => (12, 10),
        "cql_events" | "nats_events.beta" | "amqp_events" => (20, 10),
        "mux_events" => (25, 10),
        "tls_events" => (60, 5),
        _ => (10, 5),
    };
    (http_rows / div).max(min)
}

/// Generates one table as a stream of batches of at most `batch_rows` rows,
/// in time order over `[end_ns - span_ns, end_ns]`.
///
/// `rows` is the number of rows of an event table (http_events, ...); for
/// periodic tables it is a target that sets the sampling interval (never
/// under one second), and for the agent's own event tables it is a cap.
/// `world` should be built for the same `end_ns` and `span_ns`
/// ([`World::with_span`]). The rows do not depend on `batch_rows`.
///
/// Errors with [`Error::UnknownTable`] for a table name datagen does not know.
pub fn generate_table<'w>(
    world: &'w World,
    table: &str,
    rows: usize,
    seed: u64,
    end_ns: i64,
    span_ns: i64,
    batch_rows: usize,
) -> Result<TableStream<'w>, Error> {
    let unknown = || Error::UnknownTable {
        name: table.to_string(),
    };
    let t = pxl_stdlib::tables::table(table).ok_or_else(unknown)?;
    let win = Window {
        end: end_ns,
        span: span_ns.max(world::SEC),
    };
    let source: Box<dyn Gen + 'w> = match t.name {
        "http_events" => counted(http::HttpGen::new(world, win, rows), rows),
        "dns_events" => counted(dns::dns(world, win, rows), rows),
        "kafka_events.beta" => counted(messaging::kafka(world, win, rows), rows),
        "nats_events.beta" => counted(messaging::nats(world, win, rows), rows),
        "amqp_events" => counted(messaging::amqp(world, win, rows), rows),
        "mux_events" => counted(messaging::mux(world, win, rows), rows),
        "tls_events" => counted(messaging::tls(world, win, rows), rows),
        "mysql_events" => counted(sql::mysql(world, win, rows), rows),
        "pgsql_events" => counted(sql::pgsql(world, win, rows), rows),
        "redis_events" => counted(sql::redis(world, win, rows), rows),
        "cql_events" => counted(sql::cql(world, win, rows), rows),
        "mongodb_events" => counted(sql::mongodb(world, win, rows), rows),
        "conn_stats" => Box::new(conn_stats::ConnStats::new(world, win, rows)),
        "process_stats" => Box::new(stats::ProcessStats::new(world, win, rows)),
        "network_stats" => Box::new(stats::NetworkStats::new(world, win, rows)),
        "jvm_stats" => Box::new(stats::JvmStats::new(world, win, rows)),
        "tcp_stats_events" => Box::new(stats::TcpStats::new(world, win, rows)),
        "stack_traces.beta" => counted(agent::StackTraces::new(world, win, rows), rows),
        "proc_exit_events" => Box::new(agent::ProcExits::new(world, win, rows)),
        "stirling_error" => Box::new(agent::StirlingErrors::new(world, win, rows)),
        "probe_status" => Box::new(agent::ProbeStatus::new(world, win, rows)),
        _ => return Err(unknown()),
    };
    Ok(TableStream {
        source,
        rng: Rng::new(seed, t.name),
        table: t,
        schema: table_schema(t),
        batch_rows: batch_rows.max(1),
    })
}

/// The batches of one generated table (see [`generate_table`]).
pub struct TableStream<'w> {
    source: Box<dyn Gen + 'w>,
    rng: Rng,
    table: &'static Table,
    schema: SchemaRef,
    batch_rows: usize,
}

impl TableStream<'_> {
    /// The registry schema of the table.
    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

impl Iterator for TableStream<'_> {
    type Item = RecordBatch;

    fn next(&mut self) -> Option<RecordBatch> {
        let cols = self.source.next(&mut self.rng, self.batch_rows)?;
        let batch = assemble(self.table, &self.schema, cols);
        (batch.num_rows() > 0).then_some(batch)
    }
}

/// The data window of a generator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub end: i64,
    pub span: i64,
}

impl Window {
    pub(crate) fn start(&self) -> i64 {
        self.end - self.span
    }

    /// Where `t` falls in the window, 0..1.
    pub(crate) fn frac(&self, t: i64) -> f64 {
        (t - self.start()) as f64 / self.span as f64
    }

    pub(crate) fn contains(&self, t: i64) -> bool {
        self.start() <= t && t <= self.end
    }
}

/// A table generator: the next at most `max` rows, `None` when complete.
pub(crate) trait Gen {
    fn next(&mut self, rng: &mut Rng, max: usize) -> Option<Cols>;
}

/// A generator of any number of independent events.
pub(crate) trait Events {
    fn rows(&mut self, rng: &mut Rng, n: usize) -> Cols;
}

struct Counted<E> {
    events: E,
    remaining: usize,
}

impl<E: Events> Gen for Counted<E> {
    fn next(&mut self, rng: &mut Rng, max: usize) -> Option<Cols> {
        if self.remaining == 0 {
            return None;
        }
        let n = self.remaining.min(max);
        self.remaining -= n;
        Some(self.events.rows(rng, n))
    }
}

fn counted<'w, E: Events + 'w>(events: E, rows: usize) -> Box<dyn Gen + 'w> {
    Box::new(Counted {
        events,
        remaining: rows,
    })
}

/// A registry table by name (generators only ask for tables that exist).
pub(crate) fn table(name: &str) -> &'static Table {
    pxl_stdlib::tables::table(name).unwrap_or_else(|| panic!("table {name} is in the registry"))
}
