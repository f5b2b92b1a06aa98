//! What crosses the wire between agents and clients, besides Arrow data.
//!
//! Every agent serves one Arrow Flight service. `DoGet` tickets start with
//! one byte that says what they are:
//!
//! - `F` a plan fragment: a JSON [`FragmentHeader`] (length-prefixed) and
//!   the fragment as DataFusion physical-plan protobuf;
//! - `R` a script to run (client → broker): a JSON [`RunRequest`].
//!
//! A result stream is Arrow Flight's IPC stream with control messages
//! riding on schema messages' `app_metadata` (a JSON [`Control`]): each
//! output table starts with a schema message carrying `Begin` and ends with
//! one carrying `End` (which says which agents' data is missing). Batches in
//! between are forwarded from agent to agent as received, never re-encoded.
//!
//! Actions (`DoAction`) take and return JSON: see [`actions`].

use arrow_flight::FlightData;
use arrow_flight::SchemaAsIpc;
use bytes::{BufMut, Bytes, BytesMut};
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::ipc::writer::IpcWriteOptions;
use datafusion::common::{DataFusionError, Result};
use pxl_stdlib::runtime::metadata::Metadata;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Another agent: its id and the address its Flight service listens on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peer {
    pub id: String,
    pub addr: String,
}

/// What a PEM holds rows of: the values `upid_to_pod_name` (also through
/// the local-address fallback of `df.ctx['pod']`), `upid_to_service_name`
/// and `upid_to_node_name` take over its rows. The broker skips a PEM for a
/// fragment that keeps only rows of a pod, service or node the PEM does not
/// hold. `None` means "any": a PEM whose collectors keep meeting new
/// processes cannot say in advance which pods and services its rows will
/// belong to, only which node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holdings {
    pub pods: Option<std::collections::BTreeSet<String>>,
    pub services: Option<std::collections::BTreeSet<String>>,
    pub nodes: Option<std::collections::BTreeSet<String>>,
}

impl Holdings {
    /// Holds rows of exactly these (nothing yet).
    pub fn known() -> Self {
        Holdings {
            pods: Some(Default::default()),
            services: Some(Default::default()),
            nodes: Some(Default::default()),
        }
    }
}

/// The header of a fragment ticket.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FragmentHeader {
    /// The query this fragment belongs to.
    pub query: String,
    /// The cluster's metadata, for the metadata functions of a Kelvin
    /// fragment (PEMs use their own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Metadata>,
}

/// A script to run on the cluster.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunRequest {
    /// Query id chosen by the client (so that it can cancel it).
    pub query: String,
    pub name: String,
    pub pxl: String,
    #[serde(default)]
    pub vis: Option<String>,
    #[serde(default)]
    pub args: Vec<(String, String)>,
    /// What relative times are measured from (default: the broker's clock,
    /// or the newest data when the data is older).
    #[serde(default)]
    pub now_ns: Option<i64>,
    /// Rows per output (the broker sends one more so a cut can be seen).
    #[serde(default)]
    pub max_rows: Option<usize>,
    /// Whole-query timeout.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// A control message of a result stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Control {
    /// The start of output `index`, named `name` (the name is empty on the
    /// Kelvin → broker hop; the broker fills it in).
    Begin { name: String, index: usize },
    /// The end of the current output; `missing` maps each agent whose data
    /// is not in it to the reason.
    End {
        #[serde(default)]
        missing: BTreeMap<String, String>,
        /// Arrow IPC bytes the Kelvin received from the PEMs for this
        /// output.
        #[serde(default)]
        bytes_from_pems: u64,
        /// PEMs not asked: they hold no rows the output's filters keep.
        #[serde(default)]
        skipped: std::collections::BTreeSet<String>,
    },
}

impl Control {
    /// A message carrying this control: a schema message of the empty
    /// schema (readers take each output's schema from its first message;
    /// repeating it here would add hundreds of bytes to every stream,
    /// which is a noticeable share of what a PEM ships for a group-by).
    pub fn to_flight_data(&self) -> FlightData {
        let opts = IpcWriteOptions::default();
        let data: FlightData = SchemaAsIpc::new(&Schema::empty(), &opts).into();
        let meta = serde_json::to_vec(self).unwrap_or_default();
        data.with_app_metadata(meta)
    }

    /// The control a message carries, if any.
    pub fn from_app_metadata(meta: &[u8]) -> Option<Control> {
        if meta.is_empty() {
            return None;
        }
        serde_json::from_slice(meta).ok()
    }
}

/// Builds a fragment ticket.
pub fn encode_fragment_ticket(header: &FragmentHeader, plan: &[u8]) -> Result<Bytes> {
    let h = serde_json::to_vec(header).map_err(|e| DataFusionError::External(Box::new(e)))?;
    let mut b = BytesMut::with_capacity(1 + 4 + h.len() + plan.len());
    b.put_u8(b'F');
    b.put_u32(h.len() as u32);
    b.put_slice(&h);
    b.put_slice(plan);
    Ok(b.freeze())
}

/// Builds a run ticket.
pub fn encode_run_ticket(req: &RunRequest) -> Bytes {
    let mut v = vec![b'R'];
    v.extend(serde_json::to_vec(req).unwrap_or_default());
    Bytes::from(v)
}

/// A decoded ticket.
#[derive(Debug)]
pub enum TicketKind {
    Fragment(FragmentHeader, Bytes),
    Run(RunRequest),
}

/// Decodes a ticket; the error says what is wrong with it.
pub fn decode_ticket(t: &Bytes) -> std::result::Result<TicketKind, String> {
    match t.first() {
        Some(b'F') => {
            if t.len() < 5 {
                return Err("fragment ticket is truncated".into());
            }
            let n = u32::from_be_bytes([t[1], t[2], t[3], t[4]]) as usize;
            let end = 5usize
                .checked_add(n)
                .filter(|&e| e <= t.len())
                .ok_or("fragment ticket header is truncated")?;
            let header: FragmentHeader = serde_json::from_slice(&t[5..end])
                .map_err(|e| format!("bad fragment header: {e}"))?;
            Ok(TicketKind::Fragment(header, t.slice(end..)))
        }
        Some(b'R') => serde_json::from_slice(&t[1..])
            .map(TicketKind::Run)
            .map_err(|e| format!("bad run request: {e}")),
        Some(other) => Err(format!("unknown ticket kind 0x{other:02x}")),
        None => Err("empty ticket".into()),
    }
}

/// The actions of an agent's Flight service (`DoAction` type names) and
/// their JSON bodies.
pub mod actions {
    use super::*;

    /// PEM/Kelvin → broker, every heartbeat interval: body [`AgentInfo`],
    /// answer [`RegisterReply`].
    pub const REGISTER: &str = "register";
    /// → broker: answer a JSON array of [`AgentStatus`].
    pub const AGENTS: &str = "agents";
    /// → broker: body a [`RunRequest`](super::RunRequest); answer a JSON
    /// string, the plan as `pxl explain --cluster` prints it.
    pub const EXPLAIN: &str = "explain";
    /// → any agent: answer [`Health`].
    pub const HEALTH: &str = "health";
    /// → broker: body the query id; cancels it everywhere.
    pub const CANCEL: &str = "cancel";

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "lowercase")]
    pub enum Role {
        Pem,
        Kelvin,
        Broker,
    }

    impl std::fmt::Display for Role {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(match self {
                Role::Pem => "pem",
                Role::Kelvin => "kelvin",
                Role::Broker => "broker",
            })
        }
    }

    /// One table of a PEM.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    pub struct TableSize {
        pub name: String,
        pub rows: u64,
        pub bytes: u64,
    }

    /// What an agent tells the broker about itself.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct AgentInfo {
        pub id: String,
        pub roles: Vec<Role>,
        pub addr: String,
        #[serde(default)]
        pub tables: Vec<TableSize>,
        /// The newest `time_` in the agent's tables.
        #[serde(default)]
        pub max_time_ns: Option<i64>,
        /// Changes whenever `metadata` does.
        #[serde(default)]
        pub metadata_version: u64,
        /// Sent when the broker asked for it (first registration, or after
        /// a change).
        #[serde(default)]
        pub metadata: Option<Metadata>,
        /// What this PEM holds data of, when it knows (for pruning).
        #[serde(default)]
        pub holds: Option<Holdings>,
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct RegisterReply {
        /// The broker wants the metadata (it has not got this version).
        pub send_metadata: bool,
    }

    /// An agent as the broker sees it.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct AgentStatus {
        pub id: String,
        pub roles: Vec<Role>,
        pub addr: String,
        /// `alive`, or `silent` (no heartbeat for a while; it is forgotten
        /// soon).
        pub state: String,
        pub last_heartbeat_ms_ago: u64,
        pub tables: Vec<TableSize>,
    }

    /// An agent's own state.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct Health {
        pub id: String,
        pub roles: Vec<Role>,
        /// Ids of the queries this agent is working on right now.
        pub running: Vec<String>,
    }
}
