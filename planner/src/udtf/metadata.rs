//! `_DebugMDState()` and `_DebugMDGetWithPrefix()`: the metadata the
//! process holds, as a text dump and as key/value rows.
//!
//! Keys (pxl's own scheme; Pixie's metadata store keys its protobufs by
//! UID instead):
//!
//! | key | value (JSON) |
//! |---|---|
//! | `/cluster` | `{"name", "pod_cidrs", "service_cidr"}` |
//! | `/namespace/<name>` | the namespace |
//! | `/node/<name>` | the node |
//! | `/pod/<namespace>/<name>` | the pod |
//! | `/service/<namespace>/<name>` | the service |
//! | `/replicaset/<namespace>/<name>` | the replica set |
//! | `/deployment/<namespace>/<name>` | the deployment |
//! | `/container/<id>` | the container |
//! | `/upid/<UPID as UUID text>` | the process |
//!
//! A value is the entity's fields as `metadata.json` spells them, as
//! compact JSON with the object keys in name order.

use pxl_stdlib::runtime::metadata::{Metadata, Process};
use serde_json::json;
use std::collections::HashMap;
use std::fmt::Write;

use pxl_stdlib::runtime::uuid;

fn upid_text(p: &Process) -> String {
    uuid(pxl_stdlib::runtime::upid(p.asid, p.pid, p.start_ticks))
}

fn value(v: impl serde::Serialize) -> String {
    // Through `Value`, whose objects keep their keys in name order, so
    // that a pod's labels (a hash map) print the same in every run.
    serde_json::to_value(v).map_or_else(|e| format!("\"{e}\""), |v| v.to_string())
}

/// Every entry of `md`, sorted by key (then value, for equal keys).
pub(super) fn entries(md: &Metadata) -> Vec<(String, String)> {
    let mut out = vec![(
        "/cluster".to_string(),
        value(json!({
            "name": md.cluster_name,
            "pod_cidrs": md.pod_cidrs,
            "service_cidr": md.service_cidr,
        })),
    )];
    out.extend(
        md.namespaces
            .iter()
            .map(|n| (format!("/namespace/{}", n.name), value(n))),
    );
    out.extend(
        md.nodes
            .iter()
            .map(|n| (format!("/node/{}", n.name), value(n))),
    );
    out.extend(
        md.pods
            .iter()
            .map(|p| (format!("/pod/{}/{}", p.namespace, p.name), value(p))),
    );
    out.extend(
        md.services
            .iter()
            .map(|s| (format!("/service/{}/{}", s.namespace, s.name), value(s))),
    );
    out.extend(
        md.replicasets
            .iter()
            .map(|r| (format!("/replicaset/{}/{}", r.namespace, r.name), value(r))),
    );
    out.extend(
        md.deployments
            .iter()
            .map(|d| (format!("/deployment/{}/{}", d.namespace, d.name), value(d))),
    );
    out.extend(
        md.containers
            .iter()
            .map(|c| (format!("/container/{}", c.id), value(c))),
    );
    out.extend(
        md.processes
            .iter()
            .map(|p| (format!("/upid/{}", upid_text(p)), value(p))),
    );
    out.sort();
    out
}

/// Field 22 of a `/proc/PID/stat` line: the start time in clock ticks.
/// The command name (field 2) may hold spaces and parentheses, so fields
/// are counted from the last `)`.
fn stat_start_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    // `rest` starts at field 3.
    rest.split_whitespace().nth(22 - 3)?.parse().ok()
}

/// The pod (`namespace/name`) of the process with this pid and start time,
/// or empty when the metadata does not know it.
fn pod_of(md: &Metadata, pid: u32, start_ticks: u64) -> String {
    let Some(p) = md
        .processes
        .iter()
        .find(|p| p.pid == pid && p.start_ticks == start_ticks)
    else {
        return String::new();
    };
    md.containers
        .iter()
        .find(|c| c.id == p.container_id)
        .and_then(|c| md.pods.iter().find(|pod| pod.id == c.pod_id))
        .map_or_else(String::new, |pod| format!("{}/{}", pod.namespace, pod.name))
}

/// The pod this process runs in, if the metadata knows it (on a host, the
/// pxl process's own host-level pod).
pub(super) fn own_pod(md: &Metadata) -> String {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| stat_start_ticks(&s))
        .map_or_else(String::new, |ticks| pod_of(md, std::process::id(), ticks))
}

fn or_none(s: &str) -> &str {
    if s.is_empty() { "(none)" } else { s }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".into()
    } else {
        items.join(",")
    }
}

/// A section: its title with the count, then one sorted line per item.
fn section(out: &mut String, title: &str, mut lines: Vec<String>) {
    lines.sort();
    let _ = writeln!(out, "{title} ({}):", lines.len());
    for l in lines {
        let _ = writeln!(out, "  {l}");
    }
}

/// The readable dump `_DebugMDState()` shows.
pub(super) fn state_text(md: &Metadata, asid: u32) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "metadata held by asid {asid}");
    let _ = writeln!(
        out,
        "cluster: {}; pod CIDRs: {}; service CIDR: {}",
        or_none(&md.cluster_name),
        list(&md.pod_cidrs),
        or_none(&md.service_cidr)
    );
    let pod_names: HashMap<&str, String> = md
        .pods
        .iter()
        .map(|p| (p.id.as_str(), format!("{}/{}", p.namespace, p.name)))
        .collect();
    let pod = |id: &str| pod_names.get(id).cloned().unwrap_or_else(|| id.to_string());
    section(
        &mut out,
        "nodes",
        md.nodes
            .iter()
            .map(|n| format!("{} asid={} ip={}", n.name, n.asid, or_none(&n.ip)))
            .collect(),
    );
    section(
        &mut out,
        "namespaces",
        md.namespaces
            .iter()
            .map(|n| format!("{} id={}", n.name, n.id))
            .collect(),
    );
    section(
        &mut out,
        "pods",
        md.pods
            .iter()
            .map(|p| {
                format!(
                    "{}/{} id={} phase={} node={} ip={} services={} replicaset={}",
                    p.namespace,
                    p.name,
                    p.id,
                    or_none(&p.phase),
                    or_none(&p.node),
                    or_none(&p.ip),
                    list(&p.service_ids),
                    or_none(&p.replicaset_id)
                )
            })
            .collect(),
    );
    section(
        &mut out,
        "services",
        md.services
            .iter()
            .map(|s| {
                format!(
                    "{}/{} id={} cluster_ip={} external_ips={}",
                    s.namespace,
                    s.name,
                    s.id,
                    or_none(&s.cluster_ip),
                    list(&s.external_ips)
                )
            })
            .collect(),
    );
    section(
        &mut out,
        "replicasets",
        md.replicasets
            .iter()
            .map(|r| {
                format!(
                    "{}/{} id={} deployment={}",
                    r.namespace,
                    r.name,
                    r.id,
                    or_none(&r.deployment_id)
                )
            })
            .collect(),
    );
    section(
        &mut out,
        "deployments",
        md.deployments
            .iter()
            .map(|d| format!("{}/{} id={}", d.namespace, d.name, d.id))
            .collect(),
    );
    section(
        &mut out,
        "containers",
        md.containers
            .iter()
            .map(|c| {
                format!(
                    "{} name={} pod={} state={}",
                    c.id,
                    c.name,
                    or_none(&pod(&c.pod_id)),
                    or_none(&c.state)
                )
            })
            .collect(),
    );
    section(
        &mut out,
        "processes",
        md.processes
            .iter()
            .map(|p| {
                format!(
                    "{} asid={} pid={} start_ticks={} container={} cmdline={}",
                    upid_text(p),
                    p.asid,
                    p.pid,
                    p.start_ticks,
                    or_none(&p.container_id),
                    p.cmdline
                )
            })
            .collect(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pxl_stdlib::runtime::metadata::{Container, Namespace, Pod};

    fn world() -> Metadata {
        Metadata {
            namespaces: vec![Namespace {
                id: "ns-1".into(),
                name: "shop".into(),
            }],
            pods: vec![Pod {
                id: "pod-1".into(),
                name: "cart-0".into(),
                namespace: "shop".into(),
                phase: "Running".into(),
                labels: [("b", "2"), ("a", "1"), ("c", "3")]
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..Pod::default()
            }],
            containers: vec![Container {
                id: "c1".into(),
                name: "cart".into(),
                pod_id: "pod-1".into(),
                ..Container::default()
            }],
            processes: vec![Process {
                asid: 1,
                pid: 42,
                start_ticks: 7,
                cmdline: "cart --port 80".into(),
                container_id: "c1".into(),
                ..Process::default()
            }],
            ..Metadata::default()
        }
    }

    #[test]
    fn entries_are_keyed_and_sorted() {
        let e = entries(&world());
        let keys: Vec<&str> = e.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "/cluster",
                "/container/c1",
                "/namespace/shop",
                "/pod/shop/cart-0",
                "/upid/00000001-0000-002a-0000-000000000007",
            ]
        );
        // Values are JSON with keys in name order (labels included).
        let pod = &e[3].1;
        assert!(
            pod.starts_with(
                "{\"id\":\"pod-1\",\"ip\":\"\",\"labels\":{\"a\":\"1\",\"b\":\"2\",\"c\":\"3\"},"
            ),
            "{pod}"
        );
        let v: serde_json::Value = serde_json::from_str(&e[4].1).expect("JSON");
        assert_eq!(v["pid"], 42);
        assert_eq!(v["cmdline"], "cart --port 80");
        assert_eq!(e[0].1, r#"{"name":"","pod_cidrs":[],"service_cidr":""}"#);
    }

    #[test]
    fn state_lists_counts_and_items() {
        let text = state_text(&world(), 3);
        assert!(
            text.starts_with("metadata held by asid 3\ncluster: (none);"),
            "{text}"
        );
        assert!(text.contains("\nnodes (0):\n"), "{text}");
        assert!(
            text.contains("\npods (1):\n  shop/cart-0 id=pod-1 phase=Running node=(none)"),
            "{text}"
        );
        assert!(
            text.contains("\ncontainers (1):\n  c1 name=cart pod=shop/cart-0 state=(none)\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "\nprocesses (1):\n  00000001-0000-002a-0000-000000000007 asid=1 pid=42 \
                 start_ticks=7 container=c1 cmdline=cart --port 80\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn start_ticks_count_fields_after_the_command_name() {
        let stat = "4121 (my (odd) prog) S 1 4121 4121 0 -1 4194560 500 0 0 0 3 1 0 0 20 0 1 0 \
                    987654 10000000 300";
        assert_eq!(stat_start_ticks(stat), Some(987654));
        assert_eq!(stat_start_ticks("4121 (short) S 1"), None);
        assert_eq!(stat_start_ticks("no parenthesis"), None);
    }

    #[test]
    fn own_pod_goes_through_the_container() {
        let md = world();
        assert_eq!(pod_of(&md, 42, 7), "shop/cart-0");
        // Same pid, another start time: another process.
        assert_eq!(pod_of(&md, 42, 8), "");
        let mut orphan = md.clone();
        orphan.containers.clear();
        assert_eq!(pod_of(&orphan, 42, 7), "");
    }
}
