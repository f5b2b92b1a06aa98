//! The distributed planner: cuts a physical plan into the fragments that
//! run next to the data on every PEM and the fragment that merges them on a
//! Kelvin.
//!
//! A subtree runs on the PEMs when all its leaves are table-store scans and
//! every operator in it works on any subset of the rows: filters,
//! projections (including metadata functions, which then read the PEM's own
//! metadata), partial aggregation (and merging partial states, as the
//! pre-grouping by UPID of [`crate::pregroup`] does), round-robin repartitioning, per-node
//! limits, unions and merging a node's partitions (without a limit: a
//! limit over all rows runs on the Kelvin). The highest such
//! subtrees are replaced by [`GatherExec`]s; everything above (final
//! aggregation, joins, sorts, global limits, table functions) runs on the
//! Kelvin.

use super::codec::PxlCodec;
use super::gather::GatherExec;
use super::scan::StoreScanExec;
use super::wire::{Holdings, Peer};
use datafusion::common::{Result, ScalarValue};
use datafusion::logical_expr::Operator;
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::ScalarFunctionExpr;
use datafusion::physical_expr::expressions::BinaryExpr;
use datafusion::physical_expr::expressions::Literal;
use datafusion::physical_expr::split_conjunction;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, ExecutionPlan, ExecutionPlanProperties, Partitioning,
    ReplaceChildrenOptions,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A plan cut for the cluster.
#[derive(Debug)]
pub struct Split {
    /// The Kelvin's plan; its gathers carry the PEM fragments.
    pub kelvin: Arc<dyn ExecutionPlan>,
    /// The PEM fragments, in gather label order (for `explain`).
    pub fragments: Vec<Arc<dyn ExecutionPlan>>,
}

/// Whether `plan` may run on every PEM over that PEM's rows only.
pub fn is_local(plan: &Arc<dyn ExecutionPlan>) -> bool {
    if plan.downcast_ref::<StoreScanExec>().is_some() {
        return true;
    }
    let children = plan.children();
    if children.is_empty() {
        return false;
    }
    // A limit over all of a node's rows (DataFusion folds a global limit
    // into the operator that merges partitions) must see every node's rows:
    // it runs on the Kelvin. Per-partition limits below it stay local.
    if plan.fetch().is_some() && plan.output_partitioning().partition_count() <= 1 {
        return false;
    }
    let op_ok = match plan.name() {
        "FilterExec"
        | "ProjectionExec"
        | "CoalesceBatchesExec"
        | "CoalescePartitionsExec"
        | "LocalLimitExec"
        | "UnionExec"
        | "CooperativeExec" => true,
        "RepartitionExec" => plan
            .downcast_ref::<RepartitionExec>()
            .is_some_and(|r| matches!(r.partitioning(), Partitioning::RoundRobinBatch(_))),
        "AggregateExec" => plan.downcast_ref::<AggregateExec>().is_some_and(|a| {
            matches!(
                a.mode(),
                AggregateMode::Partial | AggregateMode::PartialReduce
            )
        }),
        _ => false,
    };
    op_ok && children.into_iter().all(is_local)
}

/// A fragment that ends in a partial aggregation over several partitions
/// merges them on the PEM (DataFusion's partial-reduce mode: states in,
/// states out), so that each PEM sends one state per group instead of one
/// per group and partition.
fn reduce_partials(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    let Some(agg) = plan.downcast_ref::<AggregateExec>() else {
        return Ok(plan);
    };
    if !matches!(
        agg.mode(),
        AggregateMode::Partial | AggregateMode::PartialReduce
    ) || plan.output_partitioning().partition_count() <= 1
    {
        return Ok(plan);
    }
    let reduce = AggregateExec::try_new(
        AggregateMode::PartialReduce,
        agg.group_expr().as_final(),
        agg.aggr_expr().to_vec(),
        agg.filter_expr().to_vec(),
        Arc::new(CoalescePartitionsExec::new(plan.clone())),
        agg.input_schema(),
    )?;
    Ok(Arc::new(reduce))
}

/// Cuts `plan`; each PEM fragment is gathered from those of `agents` that
/// can hold rows it keeps (`holdings`: what each PEM holds, by agent id;
/// a PEM without an entry is always asked).
pub fn split(
    plan: Arc<dyn ExecutionPlan>,
    agents: &[Peer],
    holdings: &BTreeMap<String, Holdings>,
    codec: &PxlCodec,
) -> Result<Split> {
    let mut fragments = Vec::new();
    let kelvin = rewrite(plan, agents, holdings, codec, &mut fragments)?;
    Ok(Split { kelvin, fragments })
}

/// What a fragment's filters require of a row's pod, service or node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    Pod(String),
    Service(String),
    Node(String),
}

impl Requirement {
    fn met_by(&self, h: &Holdings) -> bool {
        match self {
            Requirement::Pod(p) => h.pods.as_ref().is_none_or(|s| s.contains(p)),
            Requirement::Service(s) => h.services.as_ref().is_none_or(|v| v.contains(s)),
            Requirement::Node(n) => h.nodes.as_ref().is_none_or(|s| s.contains(n)),
        }
    }
}

/// The pod/service/node equalities every row of `plan`'s output satisfies:
/// conjuncts `f(upid...) == 'literal'` of the filters on the fragment's
/// single-input spine (a union's branches are not looked into: a filter
/// on one branch says nothing of the other).
pub fn requirements(plan: &Arc<dyn ExecutionPlan>) -> Vec<Requirement> {
    let mut out = Vec::new();
    let mut node = plan.clone();
    loop {
        if let Some(f) = node.downcast_ref::<FilterExec>() {
            for c in split_conjunction(f.predicate()) {
                if let Some(r) = requirement(c) {
                    out.push(r);
                }
            }
        }
        let children = node.children();
        if children.len() != 1 {
            return out;
        }
        node = children[0].clone();
    }
}

fn requirement(e: &Arc<dyn PhysicalExpr>) -> Option<Requirement> {
    let b = e.downcast_ref::<BinaryExpr>()?;
    if *b.op() != Operator::Eq {
        return None;
    }
    let (call, value) = match (
        b.left().downcast_ref::<ScalarFunctionExpr>(),
        b.right().downcast_ref::<Literal>(),
    ) {
        (Some(c), Some(l)) => (c, l),
        _ => (
            b.right().downcast_ref::<ScalarFunctionExpr>()?,
            b.left().downcast_ref::<Literal>()?,
        ),
    };
    let value = match value.value() {
        ScalarValue::Utf8(Some(v))
        | ScalarValue::LargeUtf8(Some(v))
        | ScalarValue::Utf8View(Some(v)) => v.clone(),
        _ => return None,
    };
    match call.name() {
        "upid_to_pod_name" | "_upid_to_podname_local_addr_fallback" => {
            Some(Requirement::Pod(value))
        }
        "upid_to_service_name" => Some(Requirement::Service(value)),
        "upid_to_node_name" => Some(Requirement::Node(value)),
        _ => None,
    }
}

fn rewrite(
    plan: Arc<dyn ExecutionPlan>,
    agents: &[Peer],
    holdings: &BTreeMap<String, Holdings>,
    codec: &PxlCodec,
    fragments: &mut Vec<Arc<dyn ExecutionPlan>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    if is_local(&plan) {
        let needs = requirements(&plan);
        let (asked, skipped): (Vec<Peer>, Vec<Peer>) = agents.iter().cloned().partition(|a| {
            holdings
                .get(&a.id)
                .is_none_or(|h| needs.iter().all(|r| r.met_by(h)))
        });
        let skipped: Vec<String> = skipped.into_iter().map(|p| p.id).collect();
        let plan = reduce_partials(plan)?;
        let merged = plan.output_partitioning().partition_count() <= 1;
        // Rows without columns (e.g. a count of a table) cannot cross Arrow
        // Flight, which needs a column to know a batch's length: the PEMs
        // add one and the Kelvin drops it.
        let padded = plan.schema().fields().is_empty();
        let fragment: Arc<dyn ExecutionPlan> = if padded {
            let marker: Arc<dyn PhysicalExpr> =
                Arc::new(Literal::new(ScalarValue::Boolean(Some(true))));
            Arc::new(ProjectionExec::try_new(
                [(marker, "__row".to_string())],
                plan.clone(),
            )?)
        } else {
            plan.clone()
        };
        let bytes = codec.encode(fragment.clone())?;
        let label = fragments.len();
        fragments.push(fragment.clone());
        let gather: Arc<dyn ExecutionPlan> = Arc::new(
            GatherExec::new(fragment.schema(), bytes, asked, merged, label, None)
                .with_skipped(skipped),
        );
        return Ok(if padded {
            Arc::new(ProjectionExec::try_new(
                Vec::<(Arc<dyn PhysicalExpr>, String)>::new(),
                gather,
            )?)
        } else {
            gather
        });
    }
    let children: Vec<Arc<dyn ExecutionPlan>> = plan.children().into_iter().cloned().collect();
    if children.is_empty() {
        return Ok(plan);
    }
    let new_children = children
        .into_iter()
        .map(|c| rewrite(c, agents, holdings, codec, fragments))
        .collect::<Result<Vec<_>>>()?;
    plan.replace_children(
        new_children,
        ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
    )
}
