//! The metadata functions (`upid_to_*`, `pod_id_to_*`, `pod_name_to_*`,
//! `service_*`, `replicaset_*`, `deployment_*`, `container_*`, `ip_to_*`,
//! `has_*`). They answer from the [`MetadataProvider`] of the execution
//! environment; unknown keys give "" (or 0 for times), as in Pixie.

use super::kernels::*;
use super::metadata::{MetadataProvider, Pod};
use super::scalar::ExecEnv;
use super::udf::{Kernel, PxlUdf};
use datafusion::arrow::array::{Array, ArrayRef, Int64Array, StringBuilder};
use datafusion::common::Result;
use datafusion::logical_expr::ScalarUDF;
use std::sync::Arc;

type Md = dyn MetadataProvider;

fn pod_name(p: &Pod) -> String {
    format!("{}/{}", p.namespace, p.name)
}

fn upid_pod(m: &Md, upid: u128) -> Option<&Pod> {
    let (asid, pid, ts) = super::upid_parts(upid);
    let proc = m.process(asid, pid, ts)?;
    let c = m.container(&proc.container_id)?;
    m.pod(&c.pod_id)
}

/// One value or, when there are several, a JSON array (Pixie's convention
/// for pods that belong to several services).
fn one_or_array(values: Vec<String>) -> String {
    match values.len() {
        0 => String::new(),
        1 => values.into_iter().next().unwrap_or_default(),
        _ => serde_json::to_string(&values).unwrap_or_default(),
    }
}

fn pod_services(m: &Md, p: &Pod, f: impl Fn(&super::metadata::Service) -> String) -> String {
    one_or_array(
        p.service_ids
            .iter()
            .filter_map(|id| m.service(id))
            .map(f)
            .collect(),
    )
}

fn pod_replicaset<'a>(m: &'a Md, p: &Pod) -> Option<&'a super::metadata::ReplicaSet> {
    m.replicaset(&p.replicaset_id)
}

fn owner_refs(kind: &str, name: &str, uid: &str) -> String {
    if uid.is_empty() {
        return "[]".into();
    }
    serde_json::json!([{"kind": kind, "name": name, "uid": uid}]).to_string()
}

fn pod_fields(m: &Md, p: &Pod, field: &str) -> String {
    let rs = pod_replicaset(m, p);
    let dep = rs.and_then(|r| m.deployment(&r.deployment_id));
    match field {
        "pod_id" => p.id.clone(),
        "pod_name" => pod_name(p),
        "namespace" => p.namespace.clone(),
        "node_name" => p.node.clone(),
        "pod_ip" => p.ip.clone(),
        "qos" => p.qos.clone(),
        "labels" => {
            let mut labels: Vec<_> = p.labels.iter().collect();
            labels.sort();
            let map: serde_json::Map<String, serde_json::Value> = labels
                .into_iter()
                .map(|(k, v)| (k.clone(), v.clone().into()))
                .collect();
            serde_json::Value::Object(map).to_string()
        }
        "status" => serde_json::json!({
            "phase": p.phase, "message": "", "reason": "", "ready": p.phase == "Running"
        })
        .to_string(),
        "service_id" => pod_services(m, p, |s| s.id.clone()),
        "service_name" => pod_services(m, p, |s| format!("{}/{}", s.namespace, s.name)),
        "replicaset_id" => rs.map(|r| r.id.clone()).unwrap_or_default(),
        "replicaset_name" => rs
            .map(|r| format!("{}/{}", r.namespace, r.name))
            .unwrap_or_default(),
        "deployment_id" => dep.map(|d| d.id.clone()).unwrap_or_default(),
        "deployment_name" => dep
            .map(|d| format!("{}/{}", d.namespace, d.name))
            .unwrap_or_default(),
        "owner_references" => {
            rs.map_or_else(|| "[]".into(), |r| owner_refs("ReplicaSet", &r.name, &r.id))
        }
        _ => String::new(),
    }
}

fn s_t(args: &[ArrayRef], f: impl Fn(&str) -> i64) -> Result<ArrayRef> {
    let a = str_arg(&args[0])?;
    Ok(Arc::new(
        a.iter().map(|v| v.map(&f)).collect::<Int64Array>(),
    ))
}

fn k(f: impl Fn(&[ArrayRef], usize) -> Result<ArrayRef> + Send + Sync + 'static) -> Kernel {
    Arc::new(f)
}

/// Every metadata function as a UDF over `env`'s metadata.
#[allow(clippy::too_many_lines, reason = "one table of every function")]
pub fn metadata_udfs(env: &Arc<ExecEnv>) -> Result<Vec<ScalarUDF>> {
    let mut fns: Vec<(String, Kernel)> = Vec::new();
    let md = || env.metadata.clone();

    // upid → parts.
    fns.push((
        "upid_to_asid".into(),
        k(|a, _| u_i(a, |u| i64::from(super::upid_parts(u).0))),
    ));
    fns.push((
        "upid_to_pid".into(),
        k(|a, _| u_i(a, |u| i64::from(super::upid_parts(u).1))),
    ));
    fns.push((
        "upid_to_start_ts".into(),
        k(|a, _| u_i(a, |u| super::upid_parts(u).2 as i64)),
    ));
    fns.push((
        "upid_to_string".into(),
        k(|a, _| {
            u_s(a, |u| {
                let (asid, pid, ts) = super::upid_parts(u);
                format!("{asid}:{pid}:{ts}")
            })
        }),
    ));
    // upid → process fields.
    for field in ["cmdline", "hostname", "container_id", "container_name"] {
        let m = md();
        fns.push((
            format!("upid_to_{field}"),
            k(move |a, _| {
                u_s(a, |u| {
                    let (asid, pid, ts) = super::upid_parts(u);
                    let Some(p) = m.process(asid, pid, ts) else {
                        return String::new();
                    };
                    match field {
                        "cmdline" => p.cmdline.clone(),
                        "hostname" => p.hostname.clone(),
                        "container_id" => p.container_id.clone(),
                        _ => m
                            .container(&p.container_id)
                            .map(|c| c.name.clone())
                            .unwrap_or_default(),
                    }
                })
            }),
        ));
    }
    // upid → pod fields.
    for (suffix, field) in [
        ("namespace", "namespace"),
        ("node_name", "node_name"),
        ("pod_id", "pod_id"),
        ("pod_name", "pod_name"),
        ("pod_qos", "qos"),
        ("pod_status", "status"),
        ("service_id", "service_id"),
        ("service_name", "service_name"),
        ("replicaset_id", "replicaset_id"),
        ("replicaset_name", "replicaset_name"),
        ("deployment_id", "deployment_id"),
        ("deployment_name", "deployment_name"),
    ] {
        let m = md();
        fns.push((
            format!("upid_to_{suffix}"),
            k(move |a, _| {
                u_s(a, |u| {
                    upid_pod(m.as_ref(), u)
                        .map(|p| pod_fields(m.as_ref(), p, field))
                        .unwrap_or_default()
                })
            }),
        ));
    }
    // pod id / pod name → fields.
    for (prefix, by_name) in [("pod_id", false), ("pod_name", true)] {
        for (suffix, field) in [
            ("pod_name", "pod_name"),
            ("pod_id", "pod_id"),
            ("pod_ip", "pod_ip"),
            ("pod_labels", "labels"),
            ("namespace", "namespace"),
            ("node_name", "node_name"),
            ("replicaset_id", "replicaset_id"),
            ("replicaset_name", "replicaset_name"),
            ("deployment_id", "deployment_id"),
            ("deployment_name", "deployment_name"),
            ("service_id", "service_id"),
            ("service_name", "service_name"),
            ("owner_references", "owner_references"),
            ("status", "status"),
        ] {
            let name = format!("{prefix}_to_{suffix}");
            if super::super::functions::registry().get(&name).is_none() {
                continue;
            }
            let m = md();
            fns.push((
                name,
                k(move |a, _| {
                    s_s(a, |key| {
                        let p = if by_name {
                            m.pod_by_name(key)
                        } else {
                            m.pod(key)
                        };
                        p.map(|p| pod_fields(m.as_ref(), p, field))
                            .unwrap_or_default()
                    })
                }),
            ));
        }
        for (suffix, stop) in [("start_time", false), ("stop_time", true)] {
            let m = md();
            fns.push((
                format!("{prefix}_to_{suffix}"),
                k(move |a, _| {
                    s_t(a, |key| {
                        let p = if by_name {
                            m.pod_by_name(key)
                        } else {
                            m.pod(key)
                        };
                        p.map_or(0, |p| {
                            if stop {
                                p.stop_time_ns
                            } else {
                                p.start_time_ns
                            }
                        })
                    })
                }),
            ));
        }
    }
    // IPs.
    {
        let m = md();
        fns.push((
            "ip_to_pod_id".into(),
            k(move |a, _| {
                // The (ip, time) overload answers with the pod that had the
                // IP at that time; one snapshot of metadata has one answer.
                s_s(&a[..1], |ip| {
                    m.pod_by_ip(ip).map(|p| p.id.clone()).unwrap_or_default()
                })
            }),
        ));
        let m = md();
        fns.push((
            "ip_to_service_id".into(),
            k(move |a, _| {
                s_s(a, |ip| {
                    m.service_by_ip(ip)
                        .map(|s| s.id.clone())
                        .or_else(|| {
                            m.pod_by_ip(ip)
                                .map(|p| pod_services(m.as_ref(), p, |s| s.id.clone()))
                        })
                        .unwrap_or_default()
                })
            }),
        ));
        let m = md();
        fns.push((
            "_upid_to_podname_local_addr_fallback".into(),
            k(move |a, _| {
                let u = uint128_arg(&a[0])?;
                let ip = str_arg(&a[1])?;
                let mut by_upid = UpidMemo::default();
                let mut out = StringBuilder::with_capacity(u.len(), 0);
                for i in 0..u.len() {
                    if u.is_null(i) || ip.is_null(i) {
                        out.append_null();
                        continue;
                    }
                    let named =
                        by_upid.get(u128_at(u, i), |v| upid_pod(m.as_ref(), v).map(pod_name));
                    match named {
                        Some(name) => out.append_value(name),
                        None => out.append_value(
                            m.pod_by_ip(ip.value(i)).map(pod_name).unwrap_or_default(),
                        ),
                    }
                }
                let out = out.finish();
                Ok(Arc::new(out) as ArrayRef)
            }),
        ));
    }
    // Services.
    for (name, field) in [
        ("service_id_to_service_name", "name"),
        ("service_id_to_cluster_ip", "cluster_ip"),
        ("service_id_to_external_ips", "external_ips"),
        ("service_name_to_service_id", "id"),
        ("service_name_to_namespace", "namespace"),
    ] {
        let m = md();
        let by_name = name.starts_with("service_name");
        fns.push((
            name.into(),
            k(move |a, _| {
                s_s(a, |key| {
                    let s = if by_name {
                        m.service_by_name(key)
                    } else {
                        m.service(key)
                    };
                    s.map(|s| match field {
                        "name" => format!("{}/{}", s.namespace, s.name),
                        "cluster_ip" => s.cluster_ip.clone(),
                        "external_ips" => {
                            serde_json::to_string(&s.external_ips).unwrap_or_default()
                        }
                        "id" => s.id.clone(),
                        _ => s.namespace.clone(),
                    })
                    .unwrap_or_default()
                })
            }),
        ));
    }
    // ReplicaSets.
    for prefix in ["replicaset_id", "replicaset_name"] {
        let by_name = prefix == "replicaset_name";
        for field in [
            "replicaset_id",
            "replicaset_name",
            "namespace",
            "deployment_id",
            "deployment_name",
            "owner_references",
            "status",
        ] {
            let name = format!("{prefix}_to_{field}");
            if super::super::functions::registry().get(&name).is_none() {
                continue;
            }
            let m = md();
            fns.push((
                name,
                k(move |a, _| {
                    s_s(a, |key| {
                        let r = if by_name {
                            m.replicaset_by_name(key)
                        } else {
                            m.replicaset(key)
                        };
                        let Some(r) = r else { return String::new() };
                        let d = m.deployment(&r.deployment_id);
                        match field {
                            "replicaset_id" => r.id.clone(),
                            "replicaset_name" => format!("{}/{}", r.namespace, r.name),
                            "namespace" => r.namespace.clone(),
                            "deployment_id" => r.deployment_id.clone(),
                            "deployment_name" => d
                                .map(|d| format!("{}/{}", d.namespace, d.name))
                                .unwrap_or_default(),
                            "owner_references" => d.map_or_else(
                                || "[]".into(),
                                |d| owner_refs("Deployment", &d.name, &d.id),
                            ),
                            _ => serde_json::json!({"running": r.stop_time_ns == 0}).to_string(),
                        }
                    })
                }),
            ));
        }
        for (suffix, stop) in [("start_time", false), ("stop_time", true)] {
            let m = md();
            fns.push((
                format!("{prefix}_to_{suffix}"),
                k(move |a, _| {
                    s_t(a, |key| {
                        let r = if by_name {
                            m.replicaset_by_name(key)
                        } else {
                            m.replicaset(key)
                        };
                        r.map_or(0, |r| {
                            if stop {
                                r.stop_time_ns
                            } else {
                                r.start_time_ns
                            }
                        })
                    })
                }),
            ));
        }
    }
    // Deployments.
    for prefix in ["deployment_id", "deployment_name"] {
        let by_name = prefix == "deployment_name";
        for field in ["deployment_id", "deployment_name", "namespace", "status"] {
            let name = format!("{prefix}_to_{field}");
            if super::super::functions::registry().get(&name).is_none() {
                continue;
            }
            let m = md();
            fns.push((
                name,
                k(move |a, _| {
                    s_s(a, |key| {
                        let d = if by_name {
                            m.deployment_by_name(key)
                        } else {
                            m.deployment(key)
                        };
                        let Some(d) = d else { return String::new() };
                        match field {
                            "deployment_id" => d.id.clone(),
                            "deployment_name" => format!("{}/{}", d.namespace, d.name),
                            "namespace" => d.namespace.clone(),
                            _ => serde_json::json!({"running": d.stop_time_ns == 0}).to_string(),
                        }
                    })
                }),
            ));
        }
        for (suffix, stop) in [("start_time", false), ("stop_time", true)] {
            let m = md();
            fns.push((
                format!("{prefix}_to_{suffix}"),
                k(move |a, _| {
                    s_t(a, |key| {
                        let d = if by_name {
                            m.deployment_by_name(key)
                        } else {
                            m.deployment(key)
                        };
                        d.map_or(0, |d| {
                            if stop {
                                d.stop_time_ns
                            } else {
                                d.start_time_ns
                            }
                        })
                    })
                }),
            ));
        }
    }
    // Containers.
    {
        let m = md();
        fns.push((
            "container_id_to_status".into(),
            k(move |a, _| {
                s_s(a, |id| {
                    m.container(id)
                        .map(|c| {
                            serde_json::json!({"state": c.state, "message": "", "reason": ""})
                                .to_string()
                        })
                        .unwrap_or_default()
                })
            }),
        ));
        let m = md();
        fns.push((
            "container_name_to_container_id".into(),
            k(move |a, _| {
                s_s(a, |n| {
                    m.container_by_name(n)
                        .map(|c| c.id.clone())
                        .unwrap_or_default()
                })
            }),
        ));
        for prefix in ["container_id", "container_name"] {
            for (suffix, stop) in [("start_time", false), ("stop_time", true)] {
                let m = md();
                fns.push((
                    format!("{prefix}_to_{suffix}"),
                    k(move |a, _| {
                        s_t(a, |key| {
                            let c = if prefix == "container_name" {
                                m.container_by_name(key)
                            } else {
                                m.container(key)
                            };
                            c.map_or(0, |c| {
                                if stop {
                                    c.stop_time_ns
                                } else {
                                    c.start_time_ns
                                }
                            })
                        })
                    }),
                ));
            }
        }
        let m = md();
        fns.push((
            "namespace_name_to_namespace_id".into(),
            k(move |a, _| s_s(a, |n| m.namespace_id(n).unwrap_or_default().to_string())),
        ));
    }
    // Membership tests.
    let has = |arr: &str, v: &str| -> bool {
        match serde_json::from_str::<serde_json::Value>(arr) {
            Ok(serde_json::Value::Array(items)) => items.iter().any(|i| i.as_str() == Some(v)),
            _ => arr == v,
        }
    };
    for name in ["has_service_name", "has_service_id", "has_value"] {
        fns.push((name.into(), k(move |a, _| ss_b(a, has))));
    }

    fns.into_iter()
        .map(|(name, kernel)| Ok(PxlUdf::new(&name, kernel)?.into_udf()))
        .collect()
}
