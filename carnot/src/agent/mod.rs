//! Agent roles: PEM, Kelvin and broker, served over one Arrow Flight
//! service per process.
//!
//! - A **PEM** owns a table store (filled by the collectors, or loaded from
//!   `--data`) and runs PEM fragments over it.
//! - A **Kelvin** runs merge fragments: their gathers pull the PEM
//!   fragments from every PEM.
//! - The **broker** serves clients: it compiles a script, plans it against
//!   the tables the PEMs reported, cuts each output into PEM fragments and
//!   a Kelvin fragment, sends the Kelvin fragment to a live Kelvin and
//!   forwards the Kelvin's Arrow stream to the client as received.
//!
//! PEMs and Kelvins register with the broker and send a heartbeat every
//! interval (which also re-registers them after a broker restart). See
//! `docs/cluster.md`.

pub mod config;
pub mod registry;

use crate::store::TableStore;
use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::error::FlightError;
use arrow_flight::flight_service_server::{FlightService, FlightServiceServer};
use arrow_flight::{
    Action, ActionType, Criteria, Empty, FlightData, FlightDescriptor, FlightInfo,
    HandshakeRequest, HandshakeResponse, PollInfo, PutResult, SchemaResult, Ticket,
};
use bytes::Bytes;
use config::AgentConfig;
use datafusion::arrow::array::RecordBatch;
use datafusion::common::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::physical_plan::execute_stream;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use parking_lot::{Mutex, RwLock};
use pxl_compiler::script::ScriptInput;
use pxl_compiler::{CompileOptions, Severity};
use pxl_exec::dist::gather::{Dialer, flight_message, is_unavailable, json_action, raw_do_get};
use pxl_exec::dist::wire::actions::{self, AgentInfo, Health, RegisterReply, Role, TableSize};
use pxl_exec::dist::wire::{
    Control, FragmentHeader, Holdings, Peer, RunRequest, TicketKind, decode_ticket,
    encode_fragment_ticket,
};
use pxl_exec::dist::{PxlCodec, QueryContext, ScanSource, remote_catalog, split};
use pxl_planner::{Functions, lower};
use pxl_stdlib::runtime::ExecEnv;
use pxl_stdlib::runtime::metadata::{Metadata, MetadataIndex};
use registry::Registry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tonic::{Request, Response, Status, Streaming};

impl ScanSource for TableStore {
    fn scan_batches(
        &self,
        table: &str,
        start: Option<i64>,
        end: Option<i64>,
    ) -> Option<Vec<RecordBatch>> {
        self.get(table).map(|t| t.snapshot(start, end))
    }
}

/// A PEM's own metadata and the functions bound to it.
#[derive(Debug)]
struct Local {
    version: u64,
    metadata: Metadata,
    functions: Functions,
}

fn functions_for(metadata: Metadata, cfg: &AgentConfig) -> Result<Functions, String> {
    let env = Arc::new(ExecEnv::local(Arc::new(MetadataIndex::new(metadata))));
    Ok(Functions::new(env)
        .map_err(|e| format!("cannot set up the runtime functions: {e}"))?
        .with_heap(cfg.heap.clone()))
}

fn metadata_version(md: &Metadata) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(md).unwrap_or_default().hash(&mut h);
    h.finish()
}

/// A script's plan as the broker would run it now.
struct Planned {
    kelvin: Peer,
    metadata: Metadata,
    /// Each output's plan, cut for the live PEMs.
    cuts: Vec<(String, pxl_exec::dist::Split)>,
    codec: PxlCodec,
    /// The live PEMs by id, with what they last reported.
    pems: BTreeMap<String, AgentInfo>,
}

/// `pxl explain --cluster`: each output's Kelvin plan and PEM fragments,
/// which PEMs each fragment asks and which it prunes, and an upper bound
/// on what crosses the network from the PEMs' reported table sizes.
fn explain_planned(p: &Planned) -> String {
    use datafusion::physical_plan::{ExecutionPlan, displayable};
    use pxl_exec::dist::{GatherExec, StoreScanExec};
    use std::fmt::Write;
    fn walk<'a>(plan: &'a Arc<dyn ExecutionPlan>, out: &mut Vec<&'a Arc<dyn ExecutionPlan>>) {
        out.push(plan);
        for c in plan.children() {
            walk(c, out);
        }
    }
    let indent = |plan: &Arc<dyn ExecutionPlan>, out: &mut String| {
        for l in displayable(plan.as_ref()).indent(true).to_string().lines() {
            let _ = writeln!(out, "    {l}");
        }
    };
    let mut out = String::new();
    for (name, cut) in &p.cuts {
        let _ = writeln!(out, "output `{name}`");
        let _ = writeln!(
            out,
            "  on the Kelvin {} ({}), which merges what the PEMs send:",
            p.kelvin.id, p.kelvin.addr
        );
        indent(&cut.kelvin, &mut out);
        let mut nodes = Vec::new();
        walk(&cut.kelvin, &mut nodes);
        let gathers: Vec<&GatherExec> = nodes
            .iter()
            .filter_map(|n| n.downcast_ref::<GatherExec>())
            .collect();
        for (i, fragment) in cut.fragments.iter().enumerate() {
            let Some(g) = gathers.iter().find(|g| g.label() == i) else {
                continue;
            };
            let asked: Vec<&str> = g.agents().iter().map(|a| a.id.as_str()).collect();
            let _ = write!(
                out,
                "  fragment #{i}, on {} of the {} PEMs ({}) next to their data",
                asked.len(),
                p.pems.len(),
                asked.join(", ")
            );
            if g.skipped().is_empty() {
                let _ = writeln!(out, ":");
            } else {
                let _ = writeln!(
                    out,
                    "; not asked, as they hold no rows its filters keep: {}",
                    g.skipped().join(", ")
                );
            }
            indent(fragment, &mut out);
            let mut inner = Vec::new();
            walk(fragment, &mut inner);
            let tables: BTreeSet<&str> = inner
                .iter()
                .filter_map(|n| n.downcast_ref::<StoreScanExec>())
                .map(|s| s.spec().table.as_str())
                .collect();
            let (mut rows, mut bytes) = (0u64, 0u64);
            for id in &asked {
                for t in p.pems.get(*id).map_or(&[][..], |i| &i.tables[..]) {
                    if tables.contains(t.name.as_str()) {
                        rows += t.rows;
                        bytes += t.bytes;
                    }
                }
            }
            let grouped = inner.iter().any(|n| {
                n.downcast_ref::<datafusion::physical_plan::aggregates::AggregateExec>()
                    .is_some()
            });
            let tables: Vec<&str> = tables.into_iter().collect();
            let _ = writeln!(
                out,
                "    reads {}: the asked PEMs hold {rows} rows ({bytes} bytes) of it",
                tables.join(", ")
            );
            let _ = if grouped {
                writeln!(
                    out,
                    "    crosses the network: one partial row per group from each PEM \
                     (at most {rows} rows; typically far fewer)"
                )
            } else {
                writeln!(
                    out,
                    "    crosses the network: the rows its filters keep, at most {rows} rows \
                     ({bytes} bytes)"
                )
            };
        }
        if cut.fragments.is_empty() {
            let _ = writeln!(out, "  (no table scans: runs on the Kelvin only)");
        }
        out.push('\n');
    }
    out
}

struct Inner {
    cfg: AgentConfig,
    store: Option<Arc<TableStore>>,
    local: RwLock<Arc<Local>>,
    collectors: Mutex<Option<pxl_stirling::Collectors>>,
    registry: Option<Registry>,
    /// How this agent reaches the others (token, certificate).
    dialer: Dialer,
    /// PEM: the pods, services and nodes it holds rows
    /// of (computed once, on the first heartbeat).
    holdings: tokio::sync::OnceCell<Option<Holdings>>,
    running: Mutex<BTreeMap<String, usize>>,
    cancels: Mutex<HashMap<String, Arc<tokio::sync::Notify>>>,
    next_kelvin: AtomicUsize,
}

/// A running agent process.
#[derive(Clone)]
pub struct Agent {
    inner: Arc<Inner>,
}

/// Decrements an agent's count of a running query when dropped.
struct Running {
    inner: Arc<Inner>,
    query: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let mut r = self.inner.running.lock();
        if let Some(n) = r.get_mut(&self.query) {
            *n -= 1;
            if *n == 0 {
                r.remove(&self.query);
            }
        }
    }
}

type FlightStream<T> = BoxStream<'static, Result<T, Status>>;

fn df_status(e: DataFusionError, memory_mb: usize) -> Status {
    match e.find_root() {
        DataFusionError::ResourcesExhausted(m) => Status::resource_exhausted(format!(
            "the query needs more memory than the {memory_mb} MB an agent allows per query \
             (query_memory_mb): {m}"
        )),
        _ => Status::internal(e.to_string()),
    }
}

fn flight_status(e: FlightError) -> Status {
    match e {
        FlightError::Tonic(s) => *s,
        other => Status::internal(other.to_string()),
    }
}

impl Agent {
    /// Prepares an agent: loads its data or starts its collectors. Nothing
    /// listens yet.
    pub fn start(cfg: AgentConfig) -> Result<Agent, String> {
        let mut metadata = Metadata::default();
        let mut collectors = None;
        let store = if cfg.roles.pem {
            match &cfg.data {
                Some(dir) => {
                    let store = TableStore::new();
                    let loaded = crate::load_dir(dir, &store).map_err(|e| e.to_string())?;
                    metadata = loaded.metadata;
                    Some(Arc::new(store))
                }
                None => {
                    let store = Arc::new(TableStore::for_collectors());
                    let c = pxl_stirling::Collectors::start(
                        pxl_stirling::Config::default(),
                        store.clone(),
                    );
                    if let Some(e) = &c.ebpf_error {
                        eprintln!("pxl agent: no network data on this node: {e}");
                    }
                    metadata = c.metadata();
                    collectors = Some(c);
                    Some(store)
                }
            }
        } else {
            None
        };
        let local = Local {
            version: metadata_version(&metadata),
            functions: functions_for(metadata.clone(), &cfg)?,
            metadata,
        };
        let registry = cfg
            .roles
            .broker
            .then(|| Registry::new(cfg.heartbeat, cfg.forget_after));
        let dialer = Dialer::new(cfg.token.clone(), cfg.tls.as_ref())?;
        Ok(Agent {
            inner: Arc::new(Inner {
                cfg,
                store,
                local: RwLock::new(Arc::new(local)),
                collectors: Mutex::new(collectors),
                registry,
                dialer,
                holdings: tokio::sync::OnceCell::new(),
                running: Mutex::new(BTreeMap::new()),
                cancels: Mutex::new(HashMap::new()),
                next_kelvin: AtomicUsize::new(0),
            }),
        })
    }

    pub fn config(&self) -> &AgentConfig {
        &self.inner.cfg
    }

    /// Binds, registers with the broker and serves until `shutdown`.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), String> {
        let cfg = &self.inner.cfg;
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", cfg.listen))?;
        let incoming =
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true));
        if cfg.roles.pem || cfg.roles.kelvin {
            tokio::spawn(heartbeats(self.inner.clone()));
        }
        let svc = FlightServiceServer::new(Service {
            inner: self.inner.clone(),
        })
        .max_decoding_message_size(pxl_exec::dist::gather::MAX_MESSAGE)
        .max_encoding_message_size(pxl_exec::dist::gather::MAX_MESSAGE);
        let mut server = tonic::transport::Server::builder();
        if let Some(tls) = &cfg.tls {
            server = server
                .tls_config(tls.server()?)
                .map_err(|e| format!("TLS: {e}"))?;
        }
        let r = server
            .add_service(svc)
            .serve_with_incoming_shutdown(incoming, shutdown)
            .await
            .map_err(|e| format!("agent server failed: {e}"));
        if let Some(c) = self.inner.collectors.lock().take() {
            c.stop();
        }
        r
    }
}

impl Inner {
    fn track(self: &Arc<Self>, query: &str) -> Running {
        *self.running.lock().entry(query.to_string()).or_default() += 1;
        Running {
            inner: self.clone(),
            query: query.to_string(),
        }
    }

    fn local(&self) -> Arc<Local> {
        self.local.read().clone()
    }

    /// Takes the collectors' current metadata (once per heartbeat, not per
    /// query: building it walks the process table).
    fn refresh_local(&self) {
        if let Some(c) = self.collectors.lock().as_ref() {
            let md = c.metadata();
            let version = metadata_version(&md);
            if version != self.local.read().version
                && let Ok(functions) = functions_for(md.clone(), &self.cfg)
            {
                *self.local.write() = Arc::new(Local {
                    version,
                    metadata: md,
                    functions,
                });
            }
        }
    }

    /// The pods, services and nodes of this PEM's rows, through the same
    /// functions scripts filter with (so that equal means equal). `None`
    /// when it cannot be worked out: the PEM is then never skipped.
    async fn compute_holdings(&self) -> Option<Holdings> {
        use datafusion::prelude::col;
        let store = self.store.as_ref()?;
        let functions = self.local().functions.clone();
        let udf = |n: &str| functions.scalar.get(n).cloned();
        let (pod, fallback, service, node) = (
            udf("upid_to_pod_name")?,
            udf("_upid_to_podname_local_addr_fallback")?,
            udf("upid_to_service_name")?,
            udf("upid_to_node_name")?,
        );
        let ctx = SessionContext::new();
        let mut h = Holdings::known();
        for name in store.names() {
            let table = store.get(&name)?;
            let schema = datafusion::catalog::TableProvider::schema(table.as_ref());
            let has = |c: &str| schema.index_of(c).is_ok();
            if !has("upid") {
                continue;
            }
            let mut exprs = vec![
                pod.call(vec![col("upid")]).alias("pod"),
                service.call(vec![col("upid")]).alias("service"),
                node.call(vec![col("upid")]).alias("node"),
            ];
            if has("local_addr") && has("time_") {
                exprs.push(
                    fallback
                        .call(vec![col("upid"), col("local_addr"), col("time_")])
                        .alias("pod_fallback"),
                );
            }
            let batches = ctx
                .read_table(table)
                .and_then(|t| t.select(exprs))
                .and_then(|t| t.distinct())
                .ok()?
                .collect()
                .await
                .ok()?;
            for b in batches {
                for (i, f) in b.schema().fields().iter().enumerate() {
                    let set = match f.name().as_str() {
                        "pod" | "pod_fallback" => &mut h.pods,
                        "service" => &mut h.services,
                        _ => &mut h.nodes,
                    }
                    .get_or_insert_default();
                    let col = datafusion::arrow::compute::cast(
                        b.column(i),
                        &datafusion::arrow::datatypes::DataType::Utf8,
                    )
                    .ok()?;
                    let strings = col
                        .as_any()
                        .downcast_ref::<datafusion::arrow::array::StringArray>()?;
                    set.extend(strings.iter().flatten().map(String::from));
                }
            }
        }
        Some(h)
    }

    fn info(&self, with_metadata: bool) -> AgentInfo {
        let mut roles = Vec::new();
        if self.cfg.roles.pem {
            roles.push(Role::Pem);
        }
        if self.cfg.roles.kelvin {
            roles.push(Role::Kelvin);
        }
        if self.cfg.roles.broker {
            roles.push(Role::Broker);
        }
        let local = self.local();
        let (tables, max_time_ns) = match &self.store {
            Some(s) => (
                s.names()
                    .into_iter()
                    .filter_map(|n| {
                        let st = s.get(&n)?.stats();
                        Some(TableSize {
                            name: n,
                            rows: st.rows,
                            bytes: st.bytes,
                        })
                    })
                    .collect(),
                s.max_time(),
            ),
            None => (Vec::new(), None),
        };
        AgentInfo {
            id: self.cfg.id.clone(),
            roles,
            addr: self.cfg.advertise.clone(),
            tables,
            max_time_ns,
            metadata_version: local.version,
            metadata: (with_metadata && self.cfg.roles.pem).then(|| local.metadata.clone()),
            holds: self.holdings.get().cloned().flatten(),
        }
    }

    fn authorize<T>(&self, req: &Request<T>) -> Result<(), Status> {
        let Some(token) = &self.cfg.token else {
            return Ok(());
        };
        let got = req
            .metadata()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if got == Some(token.as_str()) {
            Ok(())
        } else {
            Err(Status::unauthenticated(
                "this agent needs a bearer token (--token), and the request had none or a wrong one",
            ))
        }
    }

    /// Agent-to-agent calls (registration, fragments): with TLS, the
    /// caller must have presented a certificate of the cluster CA (rustls
    /// has already checked the chain during the handshake).
    fn authorize_agent<T>(&self, req: &Request<T>) -> Result<(), Status> {
        self.authorize(req)?;
        if self.cfg.tls.is_some() && req.peer_certs().is_none_or(|c| c.is_empty()) {
            return Err(Status::unauthenticated(
                "only agents may call this, and the caller presented no certificate of the \
                 cluster CA (start agents with --tls-cert, --tls-key and --tls-ca)",
            ));
        }
        Ok(())
    }

    fn memory_mb(&self) -> usize {
        self.cfg.query_memory_bytes >> 20
    }

    fn session(&self) -> Result<SessionContext, Status> {
        let config = SessionConfig::new()
            .with_target_partitions(self.cfg.partitions)
            .with_batch_size(8192)
            .with_information_schema(false);
        let rt = RuntimeEnvBuilder::new()
            .with_memory_limit(self.cfg.query_memory_bytes, 1.0)
            .build_arc()
            .map_err(|e| Status::internal(e.to_string()))?;
        Ok(pxl_exec::session(config, rt))
    }

    /// Runs a fragment (PEM or Kelvin) and streams its result.
    fn fragment(
        self: &Arc<Self>,
        header: FragmentHeader,
        plan: Bytes,
    ) -> Result<FlightStream<FlightData>, Status> {
        if !self.cfg.roles.pem && !self.cfg.roles.kelvin {
            return Err(Status::failed_precondition(
                "this agent is only a broker; it runs no fragments",
            ));
        }
        let query = Arc::new(QueryContext::new(
            &header.query,
            self.cfg.agent_timeout,
            self.dialer.clone(),
        ));
        let functions = match header.metadata {
            Some(md) => functions_for(md, &self.cfg).map_err(Status::internal)?,
            None => self.local().functions.clone(),
        };
        let mut codec = PxlCodec::new(&functions).with_query(query.clone());
        if let Some(store) = &self.store {
            codec = codec.with_source(store.clone());
        }
        let ctx = self.session()?;
        let task = ctx.task_ctx();
        let plan = codec
            .decode(&plan, &task)
            .map_err(|e| Status::invalid_argument(format!("cannot decode the fragment: {e}")))?;
        let schema = plan.schema();
        let mb = self.memory_mb();
        let batches = execute_stream(plan, task)
            .map_err(|e| df_status(e, mb))?
            .map_err(move |e| FlightError::from(df_status(e, mb)));
        let batches = match self.cfg.debug_batch_delay {
            Some(d) => batches
                .then(move |b| async move {
                    tokio::time::sleep(d).await;
                    b
                })
                .boxed(),
            None => batches.boxed(),
        };
        let guard = self.track(&header.query);
        let encoded = FlightDataEncoderBuilder::new()
            .with_schema(schema.clone())
            .build(batches)
            .map_err(flight_status);
        let end = futures::stream::once(async move {
            Ok(Control::End {
                missing: query.missing(),
                bytes_from_pems: query.bytes_in(),
                skipped: query.skipped(),
            }
            .to_flight_data())
        });
        Ok(encoded
            .chain(end)
            .map(move |x| {
                let _running = &guard;
                x
            })
            .boxed())
    }

    /// Compiles a script and cuts each output's plan for the live agents
    /// (broker): what `run` dispatches and `explain` shows.
    async fn plan(&self, req: &RunRequest) -> Result<Planned, Status> {
        let registry = self.registry.as_ref().ok_or_else(|| {
            Status::failed_precondition("this agent is not a broker; send scripts to the broker")
        })?;
        let pems = registry.live(&Role::Pem);
        if pems.is_empty() {
            return Err(Status::unavailable(
                "no PEM is registered with this broker (start `pxl agent --role pem --broker ADDR`)",
            ));
        }
        let kelvins = registry.live(&Role::Kelvin);
        if kelvins.is_empty() {
            return Err(Status::unavailable(
                "no Kelvin is registered with this broker (start `pxl agent --role kelvin --broker ADDR`)",
            ));
        }
        let kelvin = kelvins[self.next_kelvin.fetch_add(1, Ordering::Relaxed) % kelvins.len()]
            .0
            .clone();
        let metadata = registry.cluster_metadata();
        let tables: BTreeSet<String> = pems
            .iter()
            .flat_map(|(_, i)| i.tables.iter().map(|t| t.name.clone()))
            .collect();
        let now_ns = req.now_ns.unwrap_or_else(|| {
            let wall = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as i64);
            match pems.iter().filter_map(|(_, i)| i.max_time_ns).max() {
                Some(newest) if newest < wall => newest,
                _ => wall,
            }
        });
        let script = ScriptInput {
            name: req.name.clone(),
            pxl_path: format!("{}.pxl", req.name).into(),
            pxl: req.pxl.clone(),
            vis: req
                .vis
                .clone()
                .map(|v| (format!("{}/vis.json", req.name).into(), v)),
            manifest: None,
        };
        let opts = CompileOptions {
            args: req.args.clone(),
            now_ns,
            analysis: false,
        };
        let c = pxl_compiler::script::compile_input(&script, &opts);
        let errors: Vec<String> = c
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| format!("[{}] {}", d.code, d.message))
            .collect();
        if !errors.is_empty() {
            return Err(Status::invalid_argument(format!(
                "{} does not compile: {}",
                req.name,
                errors.join("; ")
            )));
        }
        let functions = functions_for(metadata.clone(), &self.cfg).map_err(Status::internal)?;
        let catalog = remote_catalog(tables.iter().map(String::as_str), self.cfg.partitions);
        let outputs = lower(&c.plan, &catalog, &functions, now_ns).map_err(|e| match e {
            pxl_planner::PlanError::NoData(t) => Status::failed_precondition(format!(
                "{}: table `{t}` has no data on any PEM",
                req.name
            )),
            other => Status::invalid_argument(format!("{}: {other}", req.name)),
        })?;
        if outputs.is_empty() {
            return Err(Status::invalid_argument(format!(
                "{} produces no output (add px.display(df) or use a vis.json)",
                req.name
            )));
        }
        let peers: Vec<Peer> = pems.iter().map(|(p, _)| p.clone()).collect();
        let holdings: BTreeMap<String, Holdings> = pems
            .iter()
            .filter_map(|(p, i)| Some((p.id.clone(), i.holds.clone()?)))
            .collect();
        let codec = PxlCodec::new(&functions);
        let ctx = self.session()?;
        let mut cuts = Vec::new();
        for o in &outputs {
            let lp = match req.max_rows {
                Some(n) => LogicalPlanBuilder::from(o.plan.clone())
                    .limit(0, Some(n.saturating_add(1)))
                    .and_then(|b| b.build())
                    .map_err(|e| Status::internal(e.to_string()))?,
                None => o.plan.clone(),
            };
            let physical = ctx
                .state()
                .create_physical_plan(&lp)
                .await
                .map_err(|e| Status::internal(format!("{}: {e}", o.name)))?;
            let cut = split(physical, &peers, &holdings, &codec)
                .map_err(|e| Status::internal(format!("{}: {e}", o.name)))?;
            cuts.push((o.name.clone(), cut));
        }
        Ok(Planned {
            kelvin,
            metadata,
            cuts,
            codec,
            pems: pems.into_iter().map(|(p, i)| (p.id, i)).collect(),
        })
    }

    /// Compiles, plans and dispatches a script (broker).
    async fn run(
        self: &Arc<Self>,
        mut req: RunRequest,
    ) -> Result<FlightStream<FlightData>, Status> {
        if req.query.is_empty() {
            static NEXT: AtomicUsize = AtomicUsize::new(0);
            req.query = format!("{}-{}", self.cfg.id, NEXT.fetch_add(1, Ordering::Relaxed));
        }
        let Planned {
            kelvin,
            metadata,
            cuts,
            codec,
            ..
        } = self.plan(&req).await?;
        let mut planned = Vec::new();
        for (name, cut) in cuts {
            let bytes = codec
                .encode(cut.kelvin)
                .map_err(|e| Status::internal(format!("{name}: {e}")))?;
            planned.push((name, bytes));
        }
        let header = FragmentHeader {
            query: req.query.clone(),
            metadata: Some(metadata),
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<FlightData, Status>>(4);
        let cancel = Arc::new(tokio::sync::Notify::new());
        self.cancels
            .lock()
            .insert(req.query.clone(), cancel.clone());
        let inner = self.clone();
        let guard = self.track(&req.query);
        let timeout = req
            .timeout_ms
            .map(std::time::Duration::from_millis)
            .unwrap_or(self.cfg.query_timeout)
            .min(self.cfg.query_timeout);
        let query_id = req.query.clone();
        tokio::spawn(async move {
            let _running = guard;
            let work = dispatch(&inner, &kelvin, &header, planned, &tx);
            let outcome = tokio::select! {
                r = tokio::time::timeout(timeout, work) => match r {
                    Ok(r) => r,
                    Err(_) => Err(Status::deadline_exceeded(format!(
                        "the query timed out after {} ms", timeout.as_millis()
                    ))),
                },
                _ = cancel.notified() => Err(Status::cancelled("the query was cancelled")),
                _ = tx.closed() => Ok(()),
            };
            if let Err(s) = outcome {
                let _ = tx.send(Err(s)).await;
            }
            inner.cancels.lock().remove(&query_id);
        });
        Ok(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed())
    }
}

/// Sends each output's Kelvin fragment to the Kelvin and forwards its
/// stream, marking where each output begins.
async fn dispatch(
    inner: &Arc<Inner>,
    kelvin: &Peer,
    header: &FragmentHeader,
    planned: Vec<(String, Bytes)>,
    tx: &tokio::sync::mpsc::Sender<Result<FlightData, Status>>,
) -> Result<(), Status> {
    let lost = |why: String| {
        Status::unavailable(format!(
            "the Kelvin {} ({}) failed: {why}; the query was stopped",
            kelvin.id, kelvin.addr
        ))
    };
    let mut client = inner
        .dialer
        .connect(&kelvin.addr, inner.cfg.agent_timeout)
        .await
        .map_err(lost)?;
    for (index, (name, plan)) in planned.into_iter().enumerate() {
        let ticket =
            encode_fragment_ticket(header, &plan).map_err(|e| Status::internal(e.to_string()))?;
        let mut stream = raw_do_get(&mut client, ticket).await.map_err(|s| {
            if is_unavailable(&FlightError::from(s.clone())) {
                lost(s.message().to_string())
            } else {
                s
            }
        })?;
        let mut first = true;
        loop {
            let msg = match stream.message().await {
                Ok(Some(m)) => m,
                Ok(None) => break,
                Err(s) if is_unavailable(&FlightError::from(s.clone())) => {
                    return Err(lost(flight_message(&FlightError::from(s))));
                }
                Err(s) => return Err(s),
            };
            let msg = if first {
                first = false;
                let begin = Control::Begin {
                    name: name.clone(),
                    index,
                };
                msg.with_app_metadata(serde_json::to_vec(&begin).unwrap_or_default())
            } else {
                msg
            };
            if tx.send(Ok(msg)).await.is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// What a PEM running collectors can promise of its rows: every one of
/// them is of a process of this host, so `upid_to_node_name` gives the
/// host's name (or nothing, for a process the metadata has already
/// forgotten). Pods and services come and go with the processes, so they
/// are left open: such a PEM is skipped for a filter on another node, never
/// for one on a pod or service.
fn live_holdings(metadata: &Metadata) -> Holdings {
    let mut nodes: BTreeSet<String> = metadata.nodes.iter().map(|n| n.name.clone()).collect();
    nodes.extend(metadata.pods.iter().map(|p| p.node.clone()));
    nodes.insert(String::new());
    Holdings {
        pods: None,
        services: None,
        nodes: Some(nodes),
    }
}

/// Registers with the broker and keeps sending heartbeats.
async fn heartbeats(inner: Arc<Inner>) {
    let mut client: Option<arrow_flight::FlightClient> = None;
    let mut send_metadata = true;
    let mut failing = false;
    if inner.cfg.roles.pem {
        let h = if inner.cfg.data.is_some() {
            inner.compute_holdings().await
        } else {
            Some(live_holdings(&inner.local().metadata))
        };
        let _ = inner.holdings.set(h);
    }
    loop {
        inner.refresh_local();
        let info = inner.info(send_metadata);
        let r: Result<RegisterReply, String> = async {
            if client.is_none() {
                client = Some(
                    inner
                        .dialer
                        .connect(&inner.cfg.broker, inner.cfg.agent_timeout)
                        .await?,
                );
            }
            let c = client.as_mut().ok_or("no client")?;
            let body = serde_json::to_vec(&info).map_err(|e| e.to_string())?;
            json_action(c, actions::REGISTER, body.into()).await
        }
        .await;
        match r {
            Ok(reply) => {
                if failing {
                    eprintln!(
                        "pxl agent {}: registered with the broker at {}",
                        inner.cfg.id, inner.cfg.broker
                    );
                }
                failing = false;
                send_metadata = reply.send_metadata;
            }
            Err(e) => {
                if !failing {
                    eprintln!(
                        "pxl agent {}: cannot register with the broker at {}: {e} (retrying)",
                        inner.cfg.id, inner.cfg.broker
                    );
                }
                failing = true;
                client = None;
                send_metadata = true;
            }
        }
        if !send_metadata {
            tokio::time::sleep(inner.cfg.heartbeat).await;
        }
    }
}

struct Service {
    inner: Arc<Inner>,
}

fn json_result<T: serde::Serialize>(v: &T) -> FlightStream<arrow_flight::Result> {
    let body = serde_json::to_vec(v).unwrap_or_default();
    futures::stream::once(async move { Ok(arrow_flight::Result { body: body.into() }) }).boxed()
}

#[tonic::async_trait]
impl FlightService for Service {
    type HandshakeStream = FlightStream<HandshakeResponse>;
    type ListFlightsStream = FlightStream<FlightInfo>;
    type DoGetStream = FlightStream<FlightData>;
    type DoPutStream = FlightStream<PutResult>;
    type DoExchangeStream = FlightStream<FlightData>;
    type DoActionStream = FlightStream<arrow_flight::Result>;
    type ListActionsStream = FlightStream<ActionType>;

    async fn handshake(
        &self,
        _request: Request<Streaming<HandshakeRequest>>,
    ) -> Result<Response<Self::HandshakeStream>, Status> {
        Err(Status::unimplemented(
            "pxl agents use bearer tokens, not handshakes",
        ))
    }

    async fn list_flights(
        &self,
        _request: Request<Criteria>,
    ) -> Result<Response<Self::ListFlightsStream>, Status> {
        Err(Status::unimplemented("list_flights"))
    }

    async fn get_flight_info(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        Err(Status::unimplemented("get_flight_info"))
    }

    async fn poll_flight_info(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<PollInfo>, Status> {
        Err(Status::unimplemented("poll_flight_info"))
    }

    async fn get_schema(
        &self,
        _request: Request<FlightDescriptor>,
    ) -> Result<Response<SchemaResult>, Status> {
        Err(Status::unimplemented("get_schema"))
    }

    async fn do_get(
        &self,
        request: Request<Ticket>,
    ) -> Result<Response<Self::DoGetStream>, Status> {
        self.inner.authorize(&request)?;
        let ticket = decode_ticket(&request.get_ref().ticket).map_err(Status::invalid_argument)?;
        if matches!(ticket, TicketKind::Fragment(..)) {
            self.inner.authorize_agent(&request)?;
        }
        let stream = match ticket {
            TicketKind::Fragment(header, plan) => self.inner.fragment(header, plan)?,
            TicketKind::Run(req) => self.inner.run(req).await?,
        };
        Ok(Response::new(stream))
    }

    async fn do_put(
        &self,
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoPutStream>, Status> {
        Err(Status::unimplemented("do_put"))
    }

    async fn do_exchange(
        &self,
        _request: Request<Streaming<FlightData>>,
    ) -> Result<Response<Self::DoExchangeStream>, Status> {
        Err(Status::unimplemented("do_exchange"))
    }

    async fn do_action(
        &self,
        request: Request<Action>,
    ) -> Result<Response<Self::DoActionStream>, Status> {
        self.inner.authorize(&request)?;
        if request.get_ref().r#type == actions::REGISTER {
            self.inner.authorize_agent(&request)?;
        }
        let action = request.into_inner();
        let broker = || {
            self.inner.registry.as_ref().ok_or_else(|| {
                Status::failed_precondition(format!(
                    "`{}` goes to the broker; this agent is not one",
                    action.r#type
                ))
            })
        };
        let out = match action.r#type.as_str() {
            actions::REGISTER => {
                let info: AgentInfo = serde_json::from_slice(&action.body)
                    .map_err(|e| Status::invalid_argument(format!("bad registration: {e}")))?;
                json_result(&broker()?.register(info))
            }
            actions::AGENTS => json_result(&broker()?.status()),
            actions::EXPLAIN => {
                broker()?;
                let req: RunRequest = serde_json::from_slice(&action.body)
                    .map_err(|e| Status::invalid_argument(format!("bad explain request: {e}")))?;
                let planned = self.inner.plan(&req).await?;
                json_result(&explain_planned(&planned))
            }
            actions::HEALTH => {
                let info = self.inner.info(false);
                json_result(&Health {
                    id: info.id,
                    roles: info.roles,
                    running: self.inner.running.lock().keys().cloned().collect(),
                })
            }
            actions::CANCEL => {
                broker()?;
                let id = String::from_utf8_lossy(&action.body).to_string();
                let found = self.inner.cancels.lock().get(&id).cloned();
                match found {
                    Some(n) => {
                        n.notify_one();
                        json_result(&true)
                    }
                    None => json_result(&false),
                }
            }
            other => {
                return Err(Status::invalid_argument(format!(
                    "unknown action `{other}` (known: register, agents, explain, health, cancel)"
                )));
            }
        };
        Ok(Response::new(out))
    }

    async fn list_actions(
        &self,
        _request: Request<Empty>,
    ) -> Result<Response<Self::ListActionsStream>, Status> {
        let list = [
            (
                actions::REGISTER,
                "PEM/Kelvin registration and heartbeat (broker)",
            ),
            (actions::AGENTS, "the registered agents (broker)"),
            (
                actions::EXPLAIN,
                "how a script would be cut and run on the live agents (broker)",
            ),
            (
                actions::HEALTH,
                "this agent's id, roles and running queries",
            ),
            (actions::CANCEL, "cancel a query by id (broker)"),
        ];
        let items: Vec<Result<ActionType, Status>> = list
            .iter()
            .map(|(t, d)| {
                Ok(ActionType {
                    r#type: t.to_string(),
                    description: d.to_string(),
                })
            })
            .collect();
        Ok(Response::new(futures::stream::iter(items).boxed()))
    }
}
