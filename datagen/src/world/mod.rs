//! The generated cluster: nodes, namespaces, services, deployments,
//! replicasets, pods, containers and processes, with everything random drawn
//! from the seed. Tables only ever reference processes and addresses of the
//! [`World`], so every upid resolves through the [`Metadata`] it produces.

mod build;

use crate::catalog::{Runtime, ServiceSpec};
use build::Builder;
use pxl_stdlib::runtime::metadata::Metadata;

/// One hour, the default span of generated data.
pub const DEFAULT_SPAN_NS: i64 = 3_600 * SEC;
pub(crate) const SEC: i64 = 1_000_000_000;
pub(crate) const MS: i64 = 1_000_000;
/// Linux clock ticks per second (USER_HZ), the unit of upid start times.
const TICKS_PER_SEC: i64 = 100;

#[derive(Debug)]
pub(crate) struct NodeW {
    pub name: String,
    pub ip: String,
    pub asid: u32,
    pub boot_ns: i64,
}

#[derive(Debug)]
pub(crate) struct SvcW {
    pub spec: &'static ServiceSpec,
    pub cluster_ip: String,
    pub pods: Vec<usize>,
}

#[derive(Debug)]
pub(crate) struct PodW {
    pub name: String,
    pub id: String,
    pub ip: String,
    pub node: usize,
    pub svc: usize,
    /// Main processes, oldest first (a restarted container adds one).
    pub main: Vec<usize>,
    pub sidecar: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProcRole {
    Main,
    Sidecar,
    /// Short-lived (probes, scripts): only appears in proc_exit_events.
    Transient,
}

#[derive(Debug)]
pub(crate) struct ProcW {
    pub upid: [u8; 16],
    pub pid: u32,
    pub pod: usize,
    pub comm: &'static str,
    pub runtime: Runtime,
    pub role: ProcRole,
    pub start_ns: i64,
    /// `i64::MAX` while running.
    pub stop_ns: i64,
    /// Typical resident memory (bytes) and CPU use (cores).
    pub rss: f64,
    pub cpu: f64,
    pub threads: i64,
}

impl ProcW {
    pub(crate) fn alive(&self, t: i64) -> bool {
        self.start_ns <= t && t < self.stop_ns
    }
}

/// A process that ended abnormally.
#[derive(Debug)]
pub(crate) struct ExitW {
    pub t: i64,
    pub proc: usize,
    pub exit_code: i64,
    pub signal: i64,
}

/// A peer outside the cluster.
#[derive(Debug)]
pub(crate) struct ExternalW {
    pub host: &'static str,
    pub ips: Vec<String>,
    pub port: u16,
}

pub(crate) const EXT_CLIENTS: usize = 0;
pub(crate) const EXT_PAYMENT_GW: usize = 1;
pub(crate) const EXT_MAIL: usize = 2;
pub(crate) const EXT_DNS: usize = 3;

#[derive(Debug)]
pub(crate) struct Sock {
    pub id: String,
    pub name: &'static str,
    pub description: &'static str,
    pub price: f64,
    pub count: i64,
    pub tags: &'static [&'static str],
}

#[derive(Debug)]
pub(crate) struct Customer {
    pub id: String,
    pub first: &'static str,
    pub last: &'static str,
    pub username: String,
    pub address_id: String,
    pub card_id: String,
    pub street: &'static str,
    pub number: i64,
    pub city: &'static str,
    pub country: &'static str,
    pub card_end: String,
}

/// The services, pods and processes of the generated cluster. Built from a
/// seed and the end (and span) of the data, so that processes start before
/// the data does and restarts happen inside it.
#[derive(Debug)]
pub struct World {
    pub(crate) seed: u64,
    pub(crate) end_ns: i64,
    pub(crate) span_ns: i64,
    pub(crate) nodes: Vec<NodeW>,
    pub(crate) services: Vec<SvcW>,
    pub(crate) pods: Vec<PodW>,
    pub(crate) procs: Vec<ProcW>,
    pub(crate) exits: Vec<ExitW>,
    pub(crate) externals: Vec<ExternalW>,
    pub(crate) socks: Vec<Sock>,
    pub(crate) customers: Vec<Customer>,
    metadata: Metadata,
}

impl World {
    /// The world for data spanning the default hour that ends at `end_ns`.
    pub fn new(seed: u64, end_ns: i64) -> Self {
        World::with_span(seed, end_ns, DEFAULT_SPAN_NS)
    }

    /// The world for data spanning `[end_ns - span_ns, end_ns]`: every
    /// long-running process starts before the span, the agent starts at its
    /// beginning, and the restarts and process exits fall inside it.
    pub fn with_span(seed: u64, end_ns: i64, span_ns: i64) -> Self {
        Builder::new(seed, end_ns, span_ns.max(SEC)).build()
    }

    /// A copy of the metadata snapshot describing this world.
    pub fn metadata(&self) -> Metadata {
        self.metadata.clone()
    }

    pub(crate) fn start_ns(&self) -> i64 {
        self.end_ns - self.span_ns
    }

    pub(crate) fn svc(&self, name: &str) -> usize {
        self.services
            .iter()
            .position(|s| s.spec.name == name)
            .unwrap_or_else(|| panic!("no service {name} in the catalog"))
    }

    /// The main process of `pod` running at `t`, if any.
    pub(crate) fn pod_proc(&self, pod: usize, t: i64) -> Option<usize> {
        self.pods[pod]
            .main
            .iter()
            .copied()
            .find(|&p| self.procs[p].alive(t))
    }

    /// A pod of `svc` whose main process runs at `t`, starting the search
    /// at the pod `hint` picks; with its process.
    pub(crate) fn serving(&self, svc: usize, hint: usize, t: i64) -> (usize, usize) {
        let pods = &self.services[svc].pods;
        for k in 0..pods.len() {
            let pod = pods[(hint + k) % pods.len()];
            if let Some(p) = self.pod_proc(pod, t) {
                return (pod, p);
            }
        }
        // Every service keeps a pod up; fall back to the newest process.
        let pod = pods[hint % pods.len()];
        (
            pod,
            *self.pods[pod].main.last().expect("pods have a process"),
        )
    }

    /// Long-running processes (main and sidecar), the keys of process_stats.
    pub(crate) fn sampled_procs(&self) -> Vec<usize> {
        (0..self.procs.len())
            .filter(|&p| self.procs[p].role != ProcRole::Transient)
            .collect()
    }
}

impl ServiceSpec {
    /// The container name of the service's main process.
    pub(crate) fn deployment_container(&self) -> &'static str {
        match self.name {
            "kube-dns" => "coredns",
            "pxl-agent" => "pxl",
            n => n,
        }
    }
}
