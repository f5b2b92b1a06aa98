//! The metadata the metadata functions (`upid_to_pod_name`, `pod_id_to_*`,
//! `ip_to_pod_id`, ...) and `df.ctx[...]` read.
//!
//! A [`Metadata`] snapshot is plain data: `pxl datagen` writes one as
//! `metadata.json` beside the tables, the host collectors build one from
//! /proc, and a Kubernetes watcher will fill one from the API server. The
//! functions only see it through [`MetadataProvider`], so tests can hand in
//! whatever they need. Unknown keys give Pixie's answer: an empty string
//! (or 0 for times).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One snapshot of everything the metadata functions can answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Metadata {
    /// Name of the cluster (`vizier_name()`); empty on a single host.
    pub cluster_name: String,
    /// The pods' address ranges, `address/prefix_length` (one per node on
    /// most clusters).
    pub pod_cidrs: Vec<String>,
    /// The range services' cluster IPs come from; empty when unknown.
    pub service_cidr: String,
    pub nodes: Vec<Node>,
    pub namespaces: Vec<Namespace>,
    pub processes: Vec<Process>,
    pub containers: Vec<Container>,
    pub pods: Vec<Pod>,
    pub services: Vec<Service>,
    pub replicasets: Vec<ReplicaSet>,
    pub deployments: Vec<Deployment>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Node {
    pub name: String,
    pub asid: u32,
    pub ip: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Namespace {
    pub id: String,
    pub name: String,
}

/// A process, keyed by its UPID parts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Process {
    pub asid: u32,
    pub pid: u32,
    /// Start time in clock ticks since boot, as /proc/PID/stat shows it.
    pub start_ticks: u64,
    pub cmdline: String,
    pub hostname: String,
    /// Empty when the process is not in a container.
    pub container_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Container {
    pub id: String,
    pub name: String,
    pub pod_id: String,
    /// `Running`, `Terminated`, `Waiting`.
    pub state: String,
    pub start_time_ns: i64,
    pub stop_time_ns: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pod {
    pub id: String,
    /// Bare name; functions answer `namespace/name`.
    pub name: String,
    pub namespace: String,
    pub node: String,
    pub ip: String,
    pub labels: HashMap<String, String>,
    /// `Running`, `Pending`, `Succeeded`, `Failed`.
    pub phase: String,
    pub qos: String,
    pub start_time_ns: i64,
    pub stop_time_ns: i64,
    pub service_ids: Vec<String>,
    pub replicaset_id: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Service {
    pub id: String,
    pub name: String,
    pub namespace: String,
    pub cluster_ip: String,
    pub external_ips: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReplicaSet {
    pub id: String,
    pub name: String,
    pub namespace: String,
    pub deployment_id: String,
    pub start_time_ns: i64,
    pub stop_time_ns: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Deployment {
    pub id: String,
    pub name: String,
    pub namespace: String,
    pub start_time_ns: i64,
    pub stop_time_ns: i64,
}

/// What the metadata functions ask. Implemented by [`MetadataIndex`]; other
/// implementations (a live Kubernetes watcher) can answer the same way.
pub trait MetadataProvider: Send + Sync + std::fmt::Debug {
    fn process(&self, asid: u32, pid: u32, start_ticks: u64) -> Option<&Process>;
    fn container(&self, id: &str) -> Option<&Container>;
    fn container_by_name(&self, name: &str) -> Option<&Container>;
    fn pod(&self, id: &str) -> Option<&Pod>;
    /// By `namespace/name`.
    fn pod_by_name(&self, qualified: &str) -> Option<&Pod>;
    fn pod_by_ip(&self, ip: &str) -> Option<&Pod>;
    fn service(&self, id: &str) -> Option<&Service>;
    /// By `namespace/name`.
    fn service_by_name(&self, qualified: &str) -> Option<&Service>;
    fn service_by_ip(&self, ip: &str) -> Option<&Service>;
    fn replicaset(&self, id: &str) -> Option<&ReplicaSet>;
    fn replicaset_by_name(&self, qualified: &str) -> Option<&ReplicaSet>;
    fn deployment(&self, id: &str) -> Option<&Deployment>;
    fn deployment_by_name(&self, qualified: &str) -> Option<&Deployment>;
    fn namespace_id(&self, name: &str) -> Option<&str>;
    fn node_by_asid(&self, asid: u32) -> Option<&Node>;
    fn cluster_name(&self) -> &str;
    fn pod_cidrs(&self) -> &[String];
    /// Empty when unknown.
    fn service_cidr(&self) -> &str;
    /// Everything held, for the debugging dumps (`px._DebugMDState()`,
    /// `px._DebugMDGetWithPrefix()`); `None` for a provider that can only
    /// answer lookups.
    fn snapshot(&self) -> Option<&Metadata> {
        None
    }
}

/// What `get_cidrs()` answers, as Pixie does: every pod CIDR, for each IPv4
/// one also the /32 of its CNI bridge (the range's address with the last
/// octet 1), and the service CIDR; without duplicates and sorted as text.
pub fn cluster_cidrs(md: &dyn MetadataProvider) -> Vec<String> {
    let mut all = std::collections::BTreeSet::new();
    for cidr in md.pod_cidrs() {
        // Ranges that do not parse are left out.
        let Some((addr, len)) = cidr.trim().split_once('/') else {
            continue;
        };
        let Ok(ip) = addr.parse::<std::net::IpAddr>() else {
            continue;
        };
        if !len
            .parse::<u8>()
            .is_ok_and(|l| l <= if ip.is_ipv4() { 32 } else { 128 })
        {
            continue;
        }
        all.insert(format!("{ip}/{len}"));
        if let std::net::IpAddr::V4(v4) = ip {
            let [a, b, c, _] = v4.octets();
            all.insert(format!("{a}.{b}.{c}.1/32"));
        }
    }
    if !md.service_cidr().trim().is_empty() {
        all.insert(md.service_cidr().trim().to_string());
    }
    all.into_iter().collect()
}

/// A [`Metadata`] snapshot with hash indexes over it.
#[derive(Debug, Default)]
pub struct MetadataIndex {
    md: Metadata,
    processes: HashMap<(u32, u32, u64), usize>,
    containers: HashMap<String, usize>,
    container_names: HashMap<String, usize>,
    pods: HashMap<String, usize>,
    pod_names: HashMap<String, usize>,
    pod_ips: HashMap<String, usize>,
    services: HashMap<String, usize>,
    service_names: HashMap<String, usize>,
    service_ips: HashMap<String, usize>,
    replicasets: HashMap<String, usize>,
    replicaset_names: HashMap<String, usize>,
    deployments: HashMap<String, usize>,
    deployment_names: HashMap<String, usize>,
}

fn qualified(ns: &str, name: &str) -> String {
    format!("{ns}/{name}")
}

impl MetadataIndex {
    pub fn new(md: Metadata) -> Self {
        let index = |keys: &mut dyn Iterator<Item = String>| {
            keys.enumerate()
                .map(|(i, k)| (k, i))
                .collect::<HashMap<_, _>>()
        };
        MetadataIndex {
            processes: md
                .processes
                .iter()
                .enumerate()
                .map(|(i, p)| ((p.asid, p.pid, p.start_ticks), i))
                .collect(),
            containers: index(&mut md.containers.iter().map(|c| c.id.clone())),
            container_names: index(&mut md.containers.iter().map(|c| c.name.clone())),
            pods: index(&mut md.pods.iter().map(|p| p.id.clone())),
            pod_names: index(&mut md.pods.iter().map(|p| qualified(&p.namespace, &p.name))),
            // Pods that are not running may share an IP with a newer one: the
            // running pod wins because later entries overwrite earlier ones
            // only when the earlier one is not running.
            pod_ips: {
                let mut m = HashMap::new();
                for (i, p) in md.pods.iter().enumerate() {
                    if p.ip.is_empty() {
                        continue;
                    }
                    let keep_old = m.get(&p.ip).is_some_and(|&j: &usize| {
                        md.pods[j].phase == "Running" && p.phase != "Running"
                    });
                    if !keep_old {
                        m.insert(p.ip.clone(), i);
                    }
                }
                m
            },
            services: index(&mut md.services.iter().map(|s| s.id.clone())),
            service_names: index(&mut md.services.iter().map(|s| qualified(&s.namespace, &s.name))),
            service_ips: index(
                &mut md
                    .services
                    .iter()
                    .filter(|s| !s.cluster_ip.is_empty())
                    .map(|s| s.cluster_ip.clone()),
            ),
            replicasets: index(&mut md.replicasets.iter().map(|r| r.id.clone())),
            replicaset_names: index(
                &mut md
                    .replicasets
                    .iter()
                    .map(|r| qualified(&r.namespace, &r.name)),
            ),
            deployments: index(&mut md.deployments.iter().map(|d| d.id.clone())),
            deployment_names: index(
                &mut md
                    .deployments
                    .iter()
                    .map(|d| qualified(&d.namespace, &d.name)),
            ),
            md,
        }
    }

    pub fn metadata(&self) -> &Metadata {
        &self.md
    }
}

impl MetadataProvider for MetadataIndex {
    fn process(&self, asid: u32, pid: u32, start_ticks: u64) -> Option<&Process> {
        self.processes
            .get(&(asid, pid, start_ticks))
            .map(|&i| &self.md.processes[i])
    }
    fn container(&self, id: &str) -> Option<&Container> {
        self.containers.get(id).map(|&i| &self.md.containers[i])
    }
    fn container_by_name(&self, name: &str) -> Option<&Container> {
        self.container_names
            .get(name)
            .map(|&i| &self.md.containers[i])
    }
    fn pod(&self, id: &str) -> Option<&Pod> {
        self.pods.get(id).map(|&i| &self.md.pods[i])
    }
    fn pod_by_name(&self, q: &str) -> Option<&Pod> {
        self.pod_names.get(q).map(|&i| &self.md.pods[i])
    }
    fn pod_by_ip(&self, ip: &str) -> Option<&Pod> {
        self.pod_ips.get(ip).map(|&i| &self.md.pods[i])
    }
    fn service(&self, id: &str) -> Option<&Service> {
        self.services.get(id).map(|&i| &self.md.services[i])
    }
    fn service_by_name(&self, q: &str) -> Option<&Service> {
        self.service_names.get(q).map(|&i| &self.md.services[i])
    }
    fn service_by_ip(&self, ip: &str) -> Option<&Service> {
        self.service_ips.get(ip).map(|&i| &self.md.services[i])
    }
    fn replicaset(&self, id: &str) -> Option<&ReplicaSet> {
        self.replicasets.get(id).map(|&i| &self.md.replicasets[i])
    }
    fn replicaset_by_name(&self, q: &str) -> Option<&ReplicaSet> {
        self.replicaset_names
            .get(q)
            .map(|&i| &self.md.replicasets[i])
    }
    fn deployment(&self, id: &str) -> Option<&Deployment> {
        self.deployments.get(id).map(|&i| &self.md.deployments[i])
    }
    fn deployment_by_name(&self, q: &str) -> Option<&Deployment> {
        self.deployment_names
            .get(q)
            .map(|&i| &self.md.deployments[i])
    }
    fn namespace_id(&self, name: &str) -> Option<&str> {
        self.md
            .namespaces
            .iter()
            .find(|n| n.name == name)
            .map(|n| n.id.as_str())
    }
    fn node_by_asid(&self, asid: u32) -> Option<&Node> {
        self.md.nodes.iter().find(|n| n.asid == asid)
    }
    fn cluster_name(&self) -> &str {
        &self.md.cluster_name
    }
    fn pod_cidrs(&self) -> &[String] {
        &self.md.pod_cidrs
    }
    fn service_cidr(&self) -> &str {
        &self.md.service_cidr
    }
    fn snapshot(&self) -> Option<&Metadata> {
        Some(&self.md)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidrs(pods: &[&str], service: &str) -> Vec<String> {
        cluster_cidrs(&MetadataIndex::new(Metadata {
            pod_cidrs: pods.iter().map(|s| s.to_string()).collect(),
            service_cidr: service.into(),
            ..Metadata::default()
        }))
    }

    #[test]
    fn cluster_cidrs_add_the_bridge_and_sort_as_text() {
        assert_eq!(
            cidrs(&["10.0.0.20/32"], "10.1.40.0/24"),
            ["10.0.0.1/32", "10.0.0.20/32", "10.1.40.0/24"]
        );
        // Text order, not numeric; an IPv6 range has no bridge entry.
        assert_eq!(
            cidrs(&["10.244.2.0/24", "fd00::/64"], ""),
            ["10.244.2.0/24", "10.244.2.1/32", "fd00::/64"]
        );
        assert!(cidrs(&[], "").is_empty());
    }

    #[test]
    fn cluster_cidrs_leave_out_ranges_that_do_not_parse() {
        assert_eq!(
            cidrs(&["garbage", "10.0.0.0/33", "FD00:0::/64"], ""),
            ["fd00::/64"]
        );
    }
}
