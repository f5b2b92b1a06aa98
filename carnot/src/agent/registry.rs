//! The broker's view of the cluster: agents by registration and heartbeat.

use parking_lot::Mutex;
use pxl_exec::dist::wire::Peer;
use pxl_exec::dist::wire::actions::{AgentInfo, AgentStatus, RegisterReply, Role};
use pxl_stdlib::runtime::metadata::Metadata;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

#[derive(Debug)]
struct Entry {
    info: AgentInfo,
    last: Instant,
    metadata: Option<(u64, Metadata)>,
}

/// Registered agents. An agent that has not sent a heartbeat for three
/// intervals is `silent` (no new query uses it); after `forget_after` it is
/// forgotten.
#[derive(Debug)]
pub struct Registry {
    agents: Mutex<BTreeMap<String, Entry>>,
    heartbeat: Duration,
    forget_after: Duration,
}

impl Registry {
    pub fn new(heartbeat: Duration, forget_after: Duration) -> Self {
        Registry {
            agents: Mutex::new(BTreeMap::new()),
            heartbeat,
            forget_after,
        }
    }

    /// Records a registration or heartbeat.
    pub fn register(&self, mut info: AgentInfo) -> RegisterReply {
        let mut agents = self.agents.lock();
        let now = Instant::now();
        let version = info.metadata_version;
        let sent = info.metadata.take();
        let entry = agents.entry(info.id.clone()).or_insert_with(|| Entry {
            info: info.clone(),
            last: now,
            metadata: None,
        });
        entry.info = info;
        entry.last = now;
        if let Some(md) = sent {
            entry.metadata = Some((version, md));
        }
        let have = entry.metadata.as_ref().map(|(v, _)| *v);
        RegisterReply {
            send_metadata: have != Some(version),
        }
    }

    fn prune(&self, agents: &mut BTreeMap<String, Entry>) {
        let forget = self.forget_after;
        agents.retain(|_, e| e.last.elapsed() < forget);
    }

    fn alive(&self, e: &Entry) -> bool {
        e.last.elapsed() < self.heartbeat * 3
    }

    /// The live agents with `role`, in id order.
    pub fn live(&self, role: &Role) -> Vec<(Peer, AgentInfo)> {
        let mut agents = self.agents.lock();
        self.prune(&mut agents);
        agents
            .values()
            .filter(|e| self.alive(e) && e.info.roles.contains(role))
            .map(|e| {
                (
                    Peer {
                        id: e.info.id.clone(),
                        addr: e.info.addr.clone(),
                    },
                    e.info.clone(),
                )
            })
            .collect()
    }

    /// Every PEM's metadata, merged.
    pub fn cluster_metadata(&self) -> Metadata {
        let agents = self.agents.lock();
        let mut out = Metadata::default();
        for e in agents.values() {
            if let Some((_, md)) = &e.metadata {
                merge_metadata(&mut out, md);
            }
        }
        out
    }

    pub fn status(&self) -> Vec<AgentStatus> {
        let mut agents = self.agents.lock();
        self.prune(&mut agents);
        agents
            .values()
            .map(|e| AgentStatus {
                id: e.info.id.clone(),
                roles: e.info.roles.clone(),
                addr: e.info.addr.clone(),
                state: if self.alive(e) { "alive" } else { "silent" }.into(),
                last_heartbeat_ms_ago: e.last.elapsed().as_millis() as u64,
                tables: e.info.tables.clone(),
            })
            .collect()
    }
}

/// Adds `b`'s entries to `a`, skipping ones `a` already has.
pub fn merge_metadata(a: &mut Metadata, b: &Metadata) {
    fn add<T: Clone, K: PartialEq>(into: &mut Vec<T>, from: &[T], key: impl Fn(&T) -> K) {
        for x in from {
            let k = key(x);
            if !into.iter().any(|y| key(y) == k) {
                into.push(x.clone());
            }
        }
    }
    if a.cluster_name.is_empty() {
        a.cluster_name = b.cluster_name.clone();
    }
    add(&mut a.pod_cidrs, &b.pod_cidrs, |c| c.clone());
    if a.service_cidr.is_empty() {
        a.service_cidr = b.service_cidr.clone();
    }
    add(&mut a.nodes, &b.nodes, |n| n.name.clone());
    add(&mut a.namespaces, &b.namespaces, |n| n.id.clone());
    add(&mut a.processes, &b.processes, |p| {
        (p.asid, p.pid, p.start_ticks)
    });
    add(&mut a.containers, &b.containers, |c| c.id.clone());
    add(&mut a.pods, &b.pods, |p| p.id.clone());
    add(&mut a.services, &b.services, |s| s.id.clone());
    add(&mut a.replicasets, &b.replicasets, |r| r.id.clone());
    add(&mut a.deployments, &b.deployments, |d| d.id.clone());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(id: &str, version: u64, md: Option<Metadata>) -> AgentInfo {
        AgentInfo {
            id: id.into(),
            roles: vec![Role::Pem],
            addr: "127.0.0.1:1".into(),
            tables: vec![],
            max_time_ns: None,
            metadata_version: version,
            metadata: md,
            holds: None,
        }
    }

    #[test]
    fn metadata_is_asked_for_until_sent() {
        let r = Registry::new(Duration::from_millis(100), Duration::from_millis(300));
        assert!(r.register(info("a", 7, None)).send_metadata);
        let md = Metadata {
            cluster_name: "c".into(),
            ..Metadata::default()
        };
        assert!(!r.register(info("a", 7, Some(md))).send_metadata);
        assert!(!r.register(info("a", 7, None)).send_metadata);
        assert!(r.register(info("a", 8, None)).send_metadata);
        assert_eq!(r.cluster_metadata().cluster_name, "c");
    }

    #[test]
    fn silent_agents_are_skipped_then_forgotten() {
        let r = Registry::new(Duration::from_millis(20), Duration::from_millis(200));
        r.register(info("a", 0, None));
        assert_eq!(r.live(&Role::Pem).len(), 1);
        assert!(r.live(&Role::Kelvin).is_empty());
        std::thread::sleep(Duration::from_millis(80));
        assert!(r.live(&Role::Pem).is_empty());
        assert_eq!(r.status()[0].state, "silent");
        std::thread::sleep(Duration::from_millis(150));
        assert!(r.status().is_empty());
    }
}
