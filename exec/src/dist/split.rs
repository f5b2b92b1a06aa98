//! The distributed planner: cuts a physical plan into the fragments that
//! run next to the data on every PEM and the fragment that merges them on a
//! Kelvin.
//!
//! A subtree runs on the PEMs when all its leaves are table-store scans and
//! every operator in it works on any subset of the rows: filters,
//! projections (including metadata functions, which then read the PEM's own
//! metadata), partial aggregation, round-robin repartitioning, per-node
//! limits, unions and merging a node's partitions. The highest such
//! subtrees are replaced by [`GatherExec`]s; everything above (final
//! aggregation, joins, sorts, global limits, table functions) runs on the
//! Kelvin.

use super::codec::PxlCodec;
use super::gather::GatherExec;
use super::scan::StoreScanExec;
use super::wire::Peer;
use datafusion::common::Result;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, ExecutionPlan, ExecutionPlanProperties, Partitioning,
    ReplaceChildrenOptions,
};
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
        "AggregateExec" => plan
            .downcast_ref::<AggregateExec>()
            .is_some_and(|a| matches!(a.mode(), AggregateMode::Partial)),
        _ => false,
    };
    op_ok && children.into_iter().all(is_local)
}

/// Cuts `plan`; each PEM fragment is gathered from `agents`.
pub fn split(plan: Arc<dyn ExecutionPlan>, agents: &[Peer], codec: &PxlCodec) -> Result<Split> {
    let mut fragments = Vec::new();
    let kelvin = rewrite(plan, agents, codec, &mut fragments)?;
    Ok(Split { kelvin, fragments })
}

fn rewrite(
    plan: Arc<dyn ExecutionPlan>,
    agents: &[Peer],
    codec: &PxlCodec,
    fragments: &mut Vec<Arc<dyn ExecutionPlan>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    if is_local(&plan) {
        let merged = plan.output_partitioning().partition_count() <= 1;
        let bytes = codec.encode(plan.clone())?;
        let label = fragments.len();
        fragments.push(plan.clone());
        return Ok(Arc::new(GatherExec::new(
            plan.schema(),
            bytes,
            agents.to_vec(),
            merged,
            label,
            None,
        )));
    }
    let children: Vec<Arc<dyn ExecutionPlan>> = plan.children().into_iter().cloned().collect();
    if children.is_empty() {
        return Ok(plan);
    }
    let new_children = children
        .into_iter()
        .map(|c| rewrite(c, agents, codec, fragments))
        .collect::<Result<Vec<_>>>()?;
    plan.replace_children(
        new_children,
        ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
    )
}
