//! `df.ctx['key']` and implicit metadata columns: which conversion function
//! computes a metadata property from the columns a DataFrame has.

use super::value::{UKind, UNode};
use super::{Evaluator, Value, registry_function};
use crate::diagnostic::{Diagnostic, closest};
use crate::ir::{Relation, ScalarExpr, TypedExpr};
use crate::span::Span;

/// (property, aliases, candidate key columns in order of preference)
const KEYS: &[(&str, &[&str], &[&str])] = &[
    ("container_id", &[], &["upid"]),
    (
        "service_id",
        &[],
        &["upid", "service_name", "pod_id", "pod_name"],
    ),
    ("pod_id", &[], &["upid", "pod_name"]),
    (
        "deployment_id",
        &[],
        &[
            "upid",
            "deployment_name",
            "pod_id",
            "pod_name",
            "replicaset_id",
            "replicaset_name",
        ],
    ),
    (
        "replicaset_id",
        &["replica_set_id"],
        &["upid", "pod_id", "pod_name", "replicaset_name"],
    ),
    (
        "service_name",
        &["service"],
        &["upid", "service_id", "pod_id", "pod_name"],
    ),
    ("pod_name", &["pod"], &["upid", "pod_id"]),
    (
        "deployment_name",
        &["deployment"],
        &[
            "upid",
            "deployment_id",
            "pod_id",
            "pod_name",
            "replicaset_id",
            "replicaset_name",
        ],
    ),
    (
        "namespace",
        &[],
        &["upid", "pod_id", "pod_name", "service_name"],
    ),
    (
        "replicaset_name",
        &["replica_set", "replicaset"],
        &["upid", "pod_id", "pod_name", "replicaset_id"],
    ),
    ("node_name", &["node"], &["upid", "pod_id"]),
    ("hostname", &["host"], &["upid"]),
    ("container_name", &["container"], &["upid"]),
    ("cmdline", &["cmd"], &["upid"]),
    ("asid", &[], &["upid"]),
    ("pid", &[], &["upid"]),
];

/// Names that mean a metadata column when a DataFrame has no column of that name.
pub(crate) const IMPLICIT: &[&str] = &[
    "service",
    "pod",
    "namespace",
    "node",
    "container",
    "deployment",
];

pub(crate) fn property(key: &str) -> Option<(&'static str, &'static [&'static str])> {
    KEYS.iter()
        .find(|(p, aliases, _)| *p == key || aliases.contains(&key))
        .map(|(p, _, c)| (*p, *c))
}

fn all_keys() -> impl Iterator<Item = &'static str> {
    KEYS.iter()
        .flat_map(|(p, a, _)| std::iter::once(*p).chain(a.iter().copied()))
}

impl Evaluator {
    /// Validate a `ctx[...]` key now; resolution waits for the consuming operator.
    pub(crate) fn metadata_key(&mut self, key: &str, span: Span) -> Value {
        if property(key).is_none() {
            let mut d = Diagnostic::error("E0304", span, format!("`{key}` is not a metadata key"));
            if let Some(s) = closest(key, all_keys()) {
                d = d
                    .help(format!("did you mean `{s}`?"))
                    .suggest(format!("'{s}'"));
            } else {
                d = d.note("keys include pod, service, namespace, node, container, deployment, pid and cmdline");
            }
            return self.push(d);
        }
        Value::Expr(UNode::new(UKind::Metadata(key.to_string()), span))
    }

    /// The conversion call that computes `key` from `rel`'s columns.
    pub(crate) fn resolve_metadata(
        &mut self,
        key: &str,
        rel: &Relation,
        span: Span,
    ) -> Option<TypedExpr> {
        let (prop, candidates) = property(key)?;
        for cand in candidates {
            let Some(index) = rel.index(cand) else {
                continue;
            };
            let col = &rel.columns[index];
            let mut fname = if prop == "asid" || prop == "pid" {
                format!("upid_to_{prop}")
            } else {
                format!("{cand}_to_{prop}")
            };
            let mut args = vec![TypedExpr {
                expr: ScalarExpr::Column {
                    name: col.name.clone(),
                    index,
                },
                ty: col.ty,
                semantic: col.semantic,
            }];
            if fname == "upid_to_pod_name"
                && let (Some(la), Some(t)) = (rel.index("local_addr"), rel.index("time_"))
            {
                fname = "_upid_to_podname_local_addr_fallback".to_string();
                for i in [la, t] {
                    let c = &rel.columns[i];
                    args.push(TypedExpr {
                        expr: ScalarExpr::Column {
                            name: c.name.clone(),
                            index: i,
                        },
                        ty: c.ty,
                        semantic: c.semantic,
                    });
                }
            }
            let Some(func) = registry_function(&fname) else {
                continue;
            };
            let types: Vec<_> = args.iter().map(|a| a.ty).collect();
            let Some(overload) = func.resolve(&types) else {
                continue;
            };
            let sems: Vec<_> = args.iter().map(|a| a.semantic).collect();
            let semantic = func.result_semantic(overload, &sems);
            return Some(TypedExpr {
                ty: overload.ret,
                semantic,
                expr: ScalarExpr::Call { func: fname, args },
            });
        }
        let cands: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
        self.push(
            Diagnostic::error("E0305", span, format!("cannot compute metadata `{key}`: the DataFrame has none of the columns it is derived from"))
                .note(if cands.len() == 1 {
                    format!("`{key}` is derived from {}", cands[0])
                } else {
                    format!("`{key}` can be derived from any of {}", cands.join(", "))
                })
                .help(if rel.index("upid").is_none() && candidates.contains(&"upid") {
                    "read metadata before an aggregation or selection removes its key column, or keep the key column in the groupby"
                } else {
                    "keep one of those columns in the DataFrame"
                }),
        );
        None
    }
}
