//! The exchange from PEMs to the Kelvin: [`GatherExec`].
//!
//! A gather is the leaf of a Kelvin fragment that stands for one PEM
//! fragment. Executing it asks every PEM for that fragment over Arrow Flight
//! (`DoGet` with a fragment ticket) and yields the Arrow batches as they
//! arrive, undecoded beyond Arrow IPC. HTTP/2 flow control gives
//! backpressure: a PEM produces only as fast as the Kelvin consumes.
//!
//! A PEM that cannot be reached, breaks its stream or stays silent longer
//! than the agent timeout is recorded in the query's [`QueryContext`] as
//! missing and the query goes on with the others; an error the PEM reports
//! about the query itself (a failing function, a bad plan) fails the query.

use super::wire::{FragmentHeader, Peer, encode_fragment_ticket};
use arrow_flight::Ticket;
use arrow_flight::decode::{DecodedPayload, FlightDataDecoder};
use arrow_flight::error::FlightError;
use bytes::Bytes;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::physical_expr::{EquivalenceProperties, Partitioning, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SendableRecordBatchStream,
};
use futures::{Stream, StreamExt};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Per-query state on the agent that runs a Kelvin fragment.
#[derive(Debug)]
pub struct QueryContext {
    pub id: String,
    /// Agent id → why its data is missing.
    missing: Mutex<BTreeMap<String, String>>,
    /// PEMs pruned from some gather of the query.
    skipped: Mutex<std::collections::BTreeSet<String>>,
    /// How long a PEM may take to start answering, and to send its next
    /// message.
    pub agent_timeout: Duration,
    /// How to reach the PEMs (token, TLS).
    pub dialer: Dialer,
    /// Arrow IPC bytes received from PEMs.
    bytes_in: std::sync::atomic::AtomicU64,
}

impl QueryContext {
    pub fn new(id: &str, agent_timeout: Duration, dialer: Dialer) -> Self {
        QueryContext {
            id: id.to_string(),
            missing: Mutex::new(BTreeMap::new()),
            skipped: Mutex::new(Default::default()),
            agent_timeout,
            dialer,
            bytes_in: std::sync::atomic::AtomicU64::new(0),
        }
    }

    fn count_bytes(&self, n: usize) {
        self.bytes_in
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
    }

    /// Arrow IPC bytes received from PEMs so far.
    pub fn bytes_in(&self) -> u64 {
        self.bytes_in.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn mark_missing(&self, agent: &str, why: String) {
        self.missing.lock().entry(agent.to_string()).or_insert(why);
    }

    pub fn missing(&self) -> BTreeMap<String, String> {
        self.missing.lock().clone()
    }

    pub fn mark_skipped(&self, agents: &[String]) {
        self.skipped.lock().extend(agents.iter().cloned());
    }

    pub fn skipped(&self) -> std::collections::BTreeSet<String> {
        self.skipped.lock().clone()
    }
}

/// The largest gRPC message agents accept (plans with metadata, big
/// batches).
pub const MAX_MESSAGE: usize = 256 << 20;

/// How an agent or a client reaches agents: the bearer token it sends and
/// the TLS it speaks (none, or the CA to check the server against plus,
/// for agents, the certificate to present).
#[derive(Debug, Clone, Default)]
pub struct Dialer {
    pub token: Option<String>,
    pub tls: Option<tonic::transport::ClientTlsConfig>,
}

impl Dialer {
    pub fn new(token: Option<String>, tls: Option<&super::tls::Tls>) -> Result<Dialer, String> {
        Ok(Dialer {
            token,
            tls: tls.map(|t| t.client()).transpose()?,
        })
    }

    /// Connects a Flight client to `addr` (`host:port` or a URL).
    pub async fn connect(
        &self,
        addr: &str,
        timeout: Duration,
    ) -> std::result::Result<arrow_flight::FlightClient, String> {
        let url = match (addr.split_once("://"), &self.tls) {
            (Some(("http", _)), Some(_)) => {
                return Err(format!(
                    "`{addr}` is a plain-text address, but TLS is configured (use https:// or HOST:PORT)"
                ));
            }
            (Some(_), _) => addr.to_string(),
            (None, Some(_)) => format!("https://{addr}"),
            (None, None) => format!("http://{addr}"),
        };
        let mut endpoint = tonic::transport::Endpoint::from_shared(url.clone())
            .map_err(|e| format!("`{addr}` is not a valid address: {e}"))?
            .connect_timeout(timeout)
            .tcp_nodelay(true);
        if let Some(tls) = &self.tls {
            endpoint = endpoint
                .tls_config(tls.clone())
                .map_err(|e| format!("TLS settings for {addr}: {}", source_chain(&e)))?;
        }
        let channel = tokio::time::timeout(timeout, endpoint.connect())
            .await
            .map_err(|_| format!("no answer from {addr} within {} ms", timeout.as_millis()))?
            .map_err(|e| format!("cannot connect to {addr}: {}", source_chain(&e)))?;
        let inner = arrow_flight::flight_service_client::FlightServiceClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        let mut client = arrow_flight::FlightClient::new_from_inner(inner);
        if let Some(t) = &self.token {
            client
                .add_header("authorization", &format!("Bearer {t}"))
                .map_err(|e| format!("bad token: {e}"))?;
        }
        Ok(client)
    }
}

/// A `DoAction` whose answer is one JSON message (every agent action).
pub async fn json_action<T: serde::de::DeserializeOwned>(
    client: &mut arrow_flight::FlightClient,
    action: &str,
    body: Bytes,
) -> std::result::Result<T, String> {
    let mut answers = client
        .do_action(arrow_flight::Action {
            r#type: action.into(),
            body,
        })
        .await
        .map_err(|e| flight_message(&e))?;
    let first = answers
        .next()
        .await
        .ok_or_else(|| format!("no answer to `{action}`"))?
        .map_err(|e| flight_message(&e))?;
    serde_json::from_slice(&first).map_err(|e| format!("bad answer to `{action}`: {e}"))
}

/// A raw `DoGet` (FlightData as sent, not decoded) with the client's
/// headers (the bearer token).
pub async fn raw_do_get(
    client: &mut arrow_flight::FlightClient,
    ticket: Bytes,
) -> std::result::Result<tonic::Streaming<arrow_flight::FlightData>, tonic::Status> {
    let mut req = tonic::Request::new(Ticket { ticket });
    *req.metadata_mut() = client.metadata().clone();
    Ok(client.inner_mut().do_get(req).await?.into_inner())
}

/// An error with its causes, one line.
pub fn source_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// Whether a Flight error means the agent is gone (rather than the query
/// being wrong).
pub fn is_unavailable(e: &FlightError) -> bool {
    match e {
        FlightError::Tonic(s) => matches!(
            s.code(),
            tonic::Code::Unavailable
                | tonic::Code::Unknown
                | tonic::Code::Cancelled
                | tonic::Code::DeadlineExceeded
                | tonic::Code::Aborted
        ),
        FlightError::ExternalError(_) => true,
        _ => false,
    }
}

/// A Flight error as one line (the status message, without tonic's noise).
pub fn flight_message(e: &FlightError) -> String {
    match e {
        FlightError::Tonic(s) => s.message().to_string(),
        other => source_chain(other),
    }
}

/// The leaf of a Kelvin fragment that pulls one PEM fragment from every PEM.
#[derive(Debug)]
pub struct GatherExec {
    /// The PEM fragment, encoded.
    fragment: Bytes,
    agents: Vec<Peer>,
    /// 1: all PEMs merged into one stream; otherwise one partition per PEM.
    merged: bool,
    /// Which PEM fragment of the plan this is (for `explain`).
    label: usize,
    /// PEMs pruned by the planner: they hold no rows this fragment keeps.
    skipped: Vec<String>,
    query: Option<Arc<QueryContext>>,
    props: Arc<PlanProperties>,
}

impl GatherExec {
    pub fn new(
        schema: SchemaRef,
        fragment: Bytes,
        agents: Vec<Peer>,
        merged: bool,
        label: usize,
        query: Option<Arc<QueryContext>>,
    ) -> Self {
        let parts = if merged { 1 } else { agents.len().max(1) };
        let props = PlanProperties::new(
            EquivalenceProperties::new(schema),
            Partitioning::UnknownPartitioning(parts),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        GatherExec {
            fragment,
            agents,
            merged,
            label,
            skipped: Vec::new(),
            query,
            props: Arc::new(props),
        }
    }

    /// Records PEMs the planner did not ask (reported with the result).
    pub fn with_skipped(mut self, skipped: Vec<String>) -> Self {
        self.skipped = skipped;
        self
    }

    pub fn skipped(&self) -> &[String] {
        &self.skipped
    }

    pub fn fragment(&self) -> &Bytes {
        &self.fragment
    }

    pub fn agents(&self) -> &[Peer] {
        &self.agents
    }

    pub fn merged(&self) -> bool {
        self.merged
    }

    pub fn label(&self) -> usize {
        self.label
    }
}

impl DisplayAs for GatherExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        let ids: Vec<&str> = self.agents.iter().map(|a| a.id.as_str()).collect();
        write!(
            f,
            "GatherExec: fragment #{} from [{}], {}",
            self.label,
            ids.join(", "),
            if self.merged {
                "merged"
            } else {
                "one partition per agent"
            }
        )?;
        if !self.skipped.is_empty() {
            write!(
                f,
                "; skipped [{}] (no rows the filters keep)",
                self.skipped.join(", ")
            )?;
        }
        Ok(())
    }
}

type BatchStream = Pin<Box<dyn Stream<Item = Result<RecordBatch>> + Send>>;

impl ExecutionPlan for GatherExec {
    fn name(&self) -> &str {
        "GatherExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.props
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let query = self.query.clone().ok_or_else(|| {
            DataFusionError::Execution("a gather runs only inside a cluster query".into())
        })?;
        query.mark_skipped(&self.skipped);
        let header = FragmentHeader {
            query: query.id.clone(),
            metadata: None,
        };
        let ticket = encode_fragment_ticket(&header, &self.fragment)?;
        let agents: Vec<Peer> = if self.merged {
            self.agents.clone()
        } else {
            self.agents.get(partition).cloned().into_iter().collect()
        };
        let schema = self.schema();
        let streams: Vec<BatchStream> = agents
            .into_iter()
            .map(|a| pull(a, ticket.clone(), query.clone(), schema.clone()))
            .collect();
        let merged = futures::stream::select_all(streams);
        Ok(Box::pin(RecordBatchStreamAdapter::new(schema, merged)))
    }
}

/// The batches of one PEM, ending early (and marking it missing) when it
/// cannot be reached or stops answering.
fn pull(agent: Peer, ticket: Bytes, query: Arc<QueryContext>, schema: SchemaRef) -> BatchStream {
    let timeout = query.agent_timeout;
    let start = async move {
        let mut client = match query.dialer.connect(&agent.addr, timeout).await {
            Ok(c) => c,
            Err(e) => {
                query.mark_missing(&agent.id, e);
                return None;
            }
        };
        let request = raw_do_get(&mut client, ticket);
        let stream = match tokio::time::timeout(timeout, request)
            .await
            .map(|r| r.map_err(FlightError::from))
        {
            Err(_) => {
                query.mark_missing(
                    &agent.id,
                    format!("did not answer within {} ms", timeout.as_millis()),
                );
                return None;
            }
            Ok(Err(e)) if is_unavailable(&e) => {
                query.mark_missing(&agent.id, flight_message(&e));
                return None;
            }
            Ok(Err(e)) => {
                return Some(
                    futures::stream::once(futures::future::ready(Err(DataFusionError::Execution(
                        format!("agent {}: {}", agent.id, flight_message(&e)),
                    ))))
                    .boxed(),
                );
            }
            Ok(Ok(s)) => s,
        };
        let counter = query.clone();
        let decoder = FlightDataDecoder::new(stream.map(move |r| {
            if let Ok(d) = &r {
                counter.count_bytes(d.data_header.len() + d.data_body.len());
            }
            r.map_err(FlightError::from)
        }));
        let state = (decoder, agent, query, schema, false);
        let batches =
            futures::stream::unfold(state, |(mut dec, agent, query, schema, done)| async move {
                if done {
                    return None;
                }
                loop {
                    let next = tokio::time::timeout(query.agent_timeout, dec.next()).await;
                    let item = match next {
                        Err(_) => {
                            query.mark_missing(
                                &agent.id,
                                format!(
                                    "stopped answering for {} ms",
                                    query.agent_timeout.as_millis()
                                ),
                            );
                            return None;
                        }
                        Ok(None) => return None,
                        Ok(Some(Err(e))) if is_unavailable(&e) => {
                            query.mark_missing(&agent.id, flight_message(&e));
                            return None;
                        }
                        Ok(Some(Err(e))) => Err(DataFusionError::Execution(format!(
                            "agent {}: {}",
                            agent.id,
                            flight_message(&e)
                        ))),
                        Ok(Some(Ok(d))) => match d.payload {
                            DecodedPayload::RecordBatch(b) => {
                                RecordBatch::try_new(schema.clone(), b.columns().to_vec())
                                    .map_err(DataFusionError::from)
                            }
                            _ => continue,
                        },
                    };
                    let failed = item.is_err();
                    return Some((item, (dec, agent, query, schema, failed)));
                }
            });
        Some(batches.boxed())
    };
    futures::stream::once(start)
        .filter_map(futures::future::ready)
        .flatten()
        .boxed()
}
