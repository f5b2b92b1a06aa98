//! The distributed planner: cuts a physical plan into the fragments that
//! run next to the data on every PEM and the fragment that merges them on a
//! Kelvin.
//!
//! A subtree runs on the PEMs when all its leaves are table-store scans and
//! every operator in it works on any subset of the rows: filters,
//! projections (including metadata functions, which then read the PEM's own
//! metadata), partial aggregation, round-robin repartitioning, per-node
//! limits, unions and merging a node's partitions (without a limit: a
//! limit over all rows runs on the Kelvin). The highest such
//! subtrees are replaced by [`GatherExec`]s; everything above (final
//! aggregation, joins, sorts, global limits, table functions) runs on the
//! Kelvin.

use super::codec::PxlCodec;
use super::gather::GatherExec;
use super::scan::StoreScanExec;
use super::wire::Peer;
use datafusion::common::{Result, ScalarValue};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::Literal;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::coalesce_partitions::CoalescePartitionsExec;
use datafusion::physical_plan::projection::ProjectionExec;
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
        "AggregateExec" => plan
            .downcast_ref::<AggregateExec>()
            .is_some_and(|a| matches!(a.mode(), AggregateMode::Partial)),
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
    if !matches!(agg.mode(), AggregateMode::Partial)
        || plan.output_partitioning().partition_count() <= 1
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
        let gather: Arc<dyn ExecutionPlan> = Arc::new(GatherExec::new(
            fragment.schema(),
            bytes,
            agents.to_vec(),
            merged,
            label,
            None,
        ));
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
        .map(|c| rewrite(c, agents, codec, fragments))
        .collect::<Result<Vec<_>>>()?;
    plan.replace_children(
        new_children,
        ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
    )
}
