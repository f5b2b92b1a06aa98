//! `pxl-exec`: runs planned PxL outputs on DataFusion and formats results.
//!
//! [`Engine`] owns the DataFusion session. [`Engine::run`] executes every
//! output of a script (each stops after `max_rows + 1` rows so that a cut
//! can be reported), [`format`] prints results the PxL way (TIME64NS as
//! RFC 3339, UINT128 as UUID text), and [`explain`] renders plans.

pub mod densegroup;
pub mod dictgroup;
pub mod dist;
pub mod explain;
pub mod format;
pub mod pregroup;

use datafusion::arrow::array::RecordBatch;
use datafusion::common::DataFusionError;
use datafusion::execution::SessionStateBuilder;
use datafusion::execution::config::SessionConfig;
use datafusion::execution::runtime_env::RuntimeEnv;
use datafusion::logical_expr::LogicalPlanBuilder;
use datafusion::prelude::SessionContext;
use pxl_compiler::ir::Relation;
use pxl_planner::Output;
use std::sync::Arc;

/// One result table.
#[derive(Debug, Clone)]
pub struct ResultTable {
    pub name: String,
    pub relation: Arc<Relation>,
    pub batches: Vec<RecordBatch>,
    /// More rows existed than the limit allowed.
    pub truncated: bool,
}

impl ResultTable {
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// A DataFusion session configured for PxL.
#[derive(Clone)]
pub struct Engine {
    ctx: SessionContext,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Default for Engine {
    fn default() -> Self {
        Self::new()
    }
}

impl Engine {
    pub fn new() -> Self {
        Self::with_partitions(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// A session that splits scans into `partitions` parts (1 gives
    /// deterministic row order, which the conformance suite relies on).
    pub fn with_partitions(partitions: usize) -> Self {
        let cores = partitions.max(1);
        let config = SessionConfig::new()
            .with_target_partitions(cores)
            .with_batch_size(8192)
            .with_information_schema(false);
        Engine {
            ctx: session(config, Arc::new(RuntimeEnv::default())),
        }
    }

    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// Runs every output; `max_rows` limits each (None = no limit).
    pub async fn run(
        &self,
        outputs: &[Output],
        max_rows: Option<usize>,
    ) -> Result<Vec<ResultTable>, DataFusionError> {
        let mut results = Vec::with_capacity(outputs.len());
        for o in outputs {
            let plan = match max_rows {
                Some(n) => LogicalPlanBuilder::from(o.plan.clone())
                    .limit(0, Some(n.saturating_add(1)))?
                    .build()?,
                None => o.plan.clone(),
            };
            let mut batches = self.ctx.execute_logical_plan(plan).await?.collect().await?;
            let mut truncated = false;
            if let Some(n) = max_rows {
                let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
                if total > n {
                    truncated = true;
                    batches = cut(batches, n);
                }
            }
            results.push(ResultTable {
                name: o.name.clone(),
                relation: o.relation.clone(),
                batches,
                truncated,
            });
        }
        Ok(results)
    }
}

/// A DataFusion session with PxL's physical optimizer rules added after
/// DataFusion's own (see [`pregroup`]).
pub fn session(config: SessionConfig, runtime: Arc<RuntimeEnv>) -> SessionContext {
    let state = SessionStateBuilder::new()
        .with_config(config)
        .with_runtime_env(runtime)
        .with_default_features()
        .with_physical_optimizer_rule(Arc::new(pregroup::PregroupByUpid))
        .with_physical_optimizer_rule(Arc::new(dictgroup::FilterByStringCodes))
        .with_physical_optimizer_rule(Arc::new(dictgroup::GroupByStringCodes))
        .build();
    SessionContext::new_with_state(state)
}

/// The first `n` rows of `batches`.
pub fn cut(batches: Vec<RecordBatch>, n: usize) -> Vec<RecordBatch> {
    let mut left = n;
    let mut out = Vec::new();
    for b in batches {
        if left == 0 {
            break;
        }
        let take = b.num_rows().min(left);
        out.push(b.slice(0, take));
        left -= take;
    }
    out
}
