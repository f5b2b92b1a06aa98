//! `pxl-planner`: lowers the PxL IR to DataFusion logical plans.
//!
//! Every sink of a compiled script becomes one [`Output`]: a DataFusion
//! [`LogicalPlan`] that ends in a projection whose columns are exactly the
//! sink's PxL relation, plus that relation (for PxL-aware formatting).
//! Operators map as follows:
//!
//! | PxL IR        | DataFusion |
//! |---------------|------------|
//! | Source        | TableScan (+ a `time_` range filter that the table store prunes on) |
//! | Map / Drop    | Projection |
//! | Filter        | Filter |
//! | Agg           | Aggregate (+ Projection into PxL's column order) |
//! | Join          | Join of the two inputs under the aliases `__l`/`__r` (+ Projection with Pixie's output names) |
//! | Union         | Union (the right side reordered to the left's columns) |
//! | Sort / Limit  | Sort / Limit |
//! | TableFunction | an in-memory table built by [`udtf`] |
//!
//! Operators (`+`, `==`, `and` ...) and math functions become DataFusion's
//! own expressions with the casts PxL's overloads imply (so DataFusion's
//! optimiser and vectorised kernels apply); every other function is a UDF
//! from `pxl_stdlib::runtime`.

mod expr;
pub mod udtf;

use datafusion::catalog::TableProvider;
use datafusion::common::{Column, DataFusionError};
use datafusion::datasource::provider_as_source;
use datafusion::functions::core::expr_fn::coalesce;
use datafusion::logical_expr::{
    AggregateUDF, Expr, JoinType as DfJoinType, LogicalPlan, LogicalPlanBuilder, ScalarUDF, col,
    lit,
};
use pxl_compiler::ir::{self, NodeId, Op, Relation, SinkKind, TimeBound};
use pxl_stdlib::runtime::ExecEnv;
use std::collections::HashMap;
use std::sync::Arc;

/// Why a compiled script cannot be planned.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("table `{0}` has no data")]
    NoData(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("function `{0}` has no runtime implementation yet")]
    MissingFunction(String),
    #[error("internal planning error: {0}")]
    DataFusion(#[from] DataFusionError),
}

/// Where the tables come from.
pub trait Catalog {
    /// The provider of a table, or `None` when there is no data for it.
    fn provider(&self, table: &str) -> Option<Arc<dyn TableProvider>>;
}

impl Catalog for HashMap<String, Arc<dyn TableProvider>> {
    fn provider(&self, table: &str) -> Option<Arc<dyn TableProvider>> {
        self.get(table).cloned()
    }
}

/// The runtime functions, by registry name.
#[derive(Debug, Clone)]
pub struct Functions {
    pub scalar: HashMap<String, Arc<ScalarUDF>>,
    pub quantiles: Arc<AggregateUDF>,
    pub quantile: Arc<AggregateUDF>,
    pub env: Arc<ExecEnv>,
    /// The local table store, for `px._DebugTableInfo()`; `None` where
    /// there is none (a Kelvin, which holds no tables).
    pub tables: Option<Arc<dyn TableInfoSource>>,
    /// This process's memory allocator, for `px._HeapStats()` and the
    /// other `_Heap*` functions; `None` where the process's allocator
    /// gives no statistics (library tests, which use the system allocator).
    pub heap: Option<Arc<dyn HeapSource>>,
}

/// What `px._DebugTableInfo()` reports about one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    pub name: String,
    pub batches_added: i64,
    pub batches_expired: i64,
    pub bytes_added: i64,
    pub num_batches: i64,
    /// Bytes held now.
    pub size: i64,
    /// The table's byte budget.
    pub max_table_size: i64,
    /// The oldest `time_` held.
    pub min_time: Option<i64>,
}

/// A table store that can describe its tables.
pub trait TableInfoSource: Send + Sync + std::fmt::Debug {
    /// One entry per table, in name order.
    fn table_info(&self) -> Vec<TableInfo>;
}

/// What `px._HeapStatsNumeric()` reports, under tcmalloc's names (Pixie's
/// agents use tcmalloc). A figure the allocator does not keep is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeapNumbers {
    /// Bytes the program has allocated and not freed.
    pub current_allocated_bytes: i64,
    /// Bytes of address space the allocator holds from the OS.
    pub heap_size_bytes: i64,
    pub central_cache_free_bytes: i64,
    pub transfer_cache_free_bytes: i64,
    pub thread_cache_free_bytes: i64,
    /// Free bytes the allocator keeps backed by memory.
    pub pageheap_free_bytes: i64,
    /// Bytes of the heap handed back to the OS (address space kept).
    pub pageheap_unmapped_bytes: i64,
}

/// The memory allocator of the process that plans the query.
pub trait HeapSource: Send + Sync + std::fmt::Debug {
    /// The allocator's own human-readable statistics report.
    fn report(&self) -> String;
    fn numbers(&self) -> HeapNumbers;
    /// Asks the allocator to return the memory it holds free to the OS.
    fn release_free_memory(&self);
}

impl Functions {
    /// With `tables` answering `px._DebugTableInfo()`.
    pub fn with_tables(mut self, tables: Arc<dyn TableInfoSource>) -> Self {
        self.tables = Some(tables);
        self
    }

    /// With `heap` answering `px._HeapStats()` and the other `_Heap*`
    /// functions. Only a process whose global allocator `heap` describes
    /// should set it.
    pub fn with_heap(mut self, heap: Option<Arc<dyn HeapSource>>) -> Self {
        self.heap = heap;
        self
    }

    pub fn new(env: Arc<ExecEnv>) -> Result<Self, PlanError> {
        let scalar = pxl_stdlib::runtime::scalar_udfs(&env)?
            .into_iter()
            .map(|u| (u.name().to_string(), Arc::new(u)))
            .collect();
        Ok(Functions {
            scalar,
            quantiles: Arc::new(pxl_stdlib::runtime::aggregate::quantiles_udaf()),
            quantile: Arc::new(pxl_stdlib::runtime::aggregate::quantile_udaf()),
            env,
            tables: None,
            heap: None,
        })
    }
}

/// One result table of a script.
#[derive(Debug, Clone)]
pub struct Output {
    pub name: String,
    /// The sink's node in the IR plan.
    pub sink: NodeId,
    pub kind: SinkKind,
    pub plan: LogicalPlan,
    pub relation: Arc<Relation>,
}

/// Plans every sink of `plan`. `now_ns` is what relative times are measured
/// from.
pub fn lower(
    plan: &ir::Plan,
    catalog: &dyn Catalog,
    functions: &Functions,
    now_ns: i64,
) -> Result<Vec<Output>, PlanError> {
    let mut l = Lowering {
        plan,
        catalog,
        functions,
        now_ns,
        memo: HashMap::new(),
    };
    let mut outputs = Vec::new();
    for sink in plan.sinks() {
        let Op::Sink { name, kind } = &sink.op else {
            continue;
        };
        let input = sink
            .inputs
            .first()
            .copied()
            .ok_or_else(|| PlanError::Unsupported(format!("output `{name}` has no input")))?;
        let lp = l.node(input)?;
        let lp = project_to(lp, &sink.relation)?;
        outputs.push(Output {
            name: name.clone(),
            sink: sink.id,
            kind: kind.clone(),
            plan: lp,
            relation: sink.relation.clone(),
        });
    }
    Ok(outputs)
}

/// The absolute nanosecond time of a bound.
pub fn resolve_bound(b: TimeBound, now_ns: i64) -> i64 {
    match b {
        TimeBound::Absolute(t) => t,
        TimeBound::Relative(d) => now_ns.saturating_add(d),
    }
}

fn ucol(name: &str) -> Expr {
    Expr::Column(Column::new_unqualified(name))
}

/// A projection onto exactly `rel`'s columns, by name.
fn project_to(lp: LogicalPlan, rel: &Relation) -> Result<LogicalPlan, PlanError> {
    let same = lp.schema().fields().len() == rel.columns.len()
        && lp
            .schema()
            .fields()
            .iter()
            .zip(&rel.columns)
            .all(|(f, c)| f.name() == &c.name);
    if same {
        return Ok(lp);
    }
    Ok(LogicalPlanBuilder::from(lp)
        .project(rel.columns.iter().map(|c| ucol(&c.name)))?
        .build()?)
}

struct Lowering<'a> {
    plan: &'a ir::Plan,
    catalog: &'a dyn Catalog,
    functions: &'a Functions,
    now_ns: i64,
    memo: HashMap<NodeId, LogicalPlan>,
}

impl Lowering<'_> {
    fn input(&mut self, node: &ir::Node, i: usize) -> Result<LogicalPlan, PlanError> {
        let id = node.inputs.get(i).copied().ok_or_else(|| {
            PlanError::Unsupported(format!("{} has no input {i}", node.op.name()))
        })?;
        self.node(id)
    }

    fn input_relation(&self, node: &ir::Node, i: usize) -> Arc<Relation> {
        node.inputs
            .get(i)
            .and_then(|&id| self.plan.node(id))
            .map(|n| n.relation.clone())
            .unwrap_or_default()
    }

    fn node(&mut self, id: NodeId) -> Result<LogicalPlan, PlanError> {
        if let Some(lp) = self.memo.get(&id) {
            return Ok(lp.clone());
        }
        let node = self
            .plan
            .node(id)
            .ok_or_else(|| PlanError::Unsupported(format!("missing plan node {id}")))?;
        let lp = self.lower_node(node)?;
        self.memo.insert(id, lp.clone());
        Ok(lp)
    }

    fn expr(&self, e: &ir::TypedExpr) -> Result<Expr, PlanError> {
        expr::lower(e, self.functions)
    }

    fn lower_node(&mut self, node: &ir::Node) -> Result<LogicalPlan, PlanError> {
        Ok(match &node.op {
            Op::MemorySource {
                table, start, end, ..
            } => self.source(table, *start, *end, &node.relation)?,
            Op::UdtfSource { func, args } => {
                let provider = udtf::provider(func, args, self.functions)?;
                LogicalPlanBuilder::scan(func.as_str(), provider_as_source(provider), None)?
                    .build()?
            }
            Op::Map { exprs } => {
                let input = self.input(node, 0)?;
                let exprs = exprs
                    .iter()
                    .map(|(name, e)| Ok(self.expr(e)?.alias(name)))
                    .collect::<Result<Vec<_>, PlanError>>()?;
                LogicalPlanBuilder::from(input).project(exprs)?.build()?
            }
            Op::Filter { predicate } => {
                let input = self.input(node, 0)?;
                let p = self.expr(predicate)?;
                LogicalPlanBuilder::from(input).filter(p)?.build()?
            }
            Op::Limit { n, .. } => {
                let input = self.input(node, 0)?;
                LogicalPlanBuilder::from(input)
                    .limit(0, Some((*n).max(0) as usize))?
                    .build()?
            }
            Op::Agg { groups, values } => {
                let input = self.input(node, 0)?;
                let group_exprs: Vec<Expr> = groups.iter().map(|(n, _)| ucol(n)).collect();
                let aggs = values
                    .iter()
                    .map(|a| Ok(expr::aggregate(a, self.functions)?.alias(&a.name)))
                    .collect::<Result<Vec<_>, PlanError>>()?;
                let lp = LogicalPlanBuilder::from(input)
                    .aggregate(group_exprs, aggs)?
                    .build()?;
                // A sum over no rows is 0 in PxL (DataFusion says null).
                let proj = node.relation.columns.iter().map(|c| {
                    let is_sum = values.iter().any(|a| a.name == c.name && a.func == "sum");
                    if is_sum {
                        coalesce(vec![ucol(&c.name), expr::default_value(c.ty)]).alias(&c.name)
                    } else {
                        ucol(&c.name)
                    }
                });
                LogicalPlanBuilder::from(lp).project(proj)?.build()?
            }
            Op::Join {
                how,
                left_on,
                right_on,
                output,
            } => {
                let left = self.input(node, 0)?;
                let right = self.input(node, 1)?;
                let (lrel, rrel) = (self.input_relation(node, 0), self.input_relation(node, 1));
                let name = |rel: &Relation, i: usize| -> Result<String, PlanError> {
                    rel.columns
                        .get(i)
                        .map(|c| c.name.clone())
                        .ok_or_else(|| PlanError::Unsupported(format!("join key {i} out of range")))
                };
                let lkeys = left_on
                    .iter()
                    .map(|&i| Ok(Column::new(Some("__l"), name(&lrel, i)?)))
                    .collect::<Result<Vec<_>, PlanError>>()?;
                let rkeys = right_on
                    .iter()
                    .map(|&i| Ok(Column::new(Some("__r"), name(&rrel, i)?)))
                    .collect::<Result<Vec<_>, PlanError>>()?;
                let jt = match how {
                    ir::JoinType::Inner => DfJoinType::Inner,
                    ir::JoinType::Left => DfJoinType::Left,
                    ir::JoinType::Right => DfJoinType::Right,
                    ir::JoinType::Outer => DfJoinType::Full,
                };
                let right = LogicalPlanBuilder::from(right).alias("__r")?.build()?;
                let joined = LogicalPlanBuilder::from(left)
                    .alias("__l")?
                    .join(right, jt, (lkeys, rkeys), None)?
                    .build()?;
                // Pixie fills the columns of an unmatched side with their
                // type's default (0, "", false), never null.
                let nullable = |side: ir::Side| match (how, side) {
                    (ir::JoinType::Inner, _) => false,
                    (ir::JoinType::Outer, _) => true,
                    (ir::JoinType::Left, s) => s == ir::Side::Right,
                    (ir::JoinType::Right, s) => s == ir::Side::Left,
                };
                let proj = output
                    .iter()
                    .map(|o| {
                        let (q, rel) = match o.side {
                            ir::Side::Left => ("__l", &lrel),
                            ir::Side::Right => ("__r", &rrel),
                        };
                        let c = Expr::Column(Column::new(Some(q), name(rel, o.index)?));
                        let c = match rel.columns.get(o.index) {
                            Some(col) if nullable(o.side) => {
                                coalesce(vec![c, expr::default_value(col.ty)])
                            }
                            _ => c,
                        };
                        Ok(c.alias(&o.name))
                    })
                    .collect::<Result<Vec<_>, PlanError>>()?;
                LogicalPlanBuilder::from(joined).project(proj)?.build()?
            }
            Op::Union => {
                let mut parts = Vec::new();
                for i in 0..node.inputs.len() {
                    let p = self.input(node, i)?;
                    parts.push(project_to(p, &node.relation)?);
                }
                let mut it = parts.into_iter();
                let first = it
                    .next()
                    .ok_or_else(|| PlanError::Unsupported("append without inputs".into()))?;
                let mut b = LogicalPlanBuilder::from(first);
                for p in it {
                    b = b.union(p)?;
                }
                b.build()?
            }
            Op::Sort { keys } => {
                let input = self.input(node, 0)?;
                let sort = keys
                    .iter()
                    .map(|(n, _, asc)| ucol(n).sort(*asc, false))
                    .collect::<Vec<_>>();
                LogicalPlanBuilder::from(input).sort(sort)?.build()?
            }
            Op::Drop { .. } => {
                let input = self.input(node, 0)?;
                project_to(input, &node.relation)?
            }
            Op::Rolling { window_ns, on } => {
                // Tumbling windows aligned on multiples of the window since
                // the epoch: each row's `on` becomes the start of its
                // window, which the `.agg()` that must follow groups by.
                let input = self.input(node, 0)?;
                let rel = &node.relation;
                let exprs = rel
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        if c.name != *on {
                            return Ok(ucol(&c.name));
                        }
                        let column = ir::TypedExpr::column(rel, i);
                        let start = ir::TypedExpr {
                            ty: column.ty,
                            semantic: column.semantic,
                            expr: ir::ScalarExpr::Call {
                                func: "bin".into(),
                                args: vec![
                                    column,
                                    ir::TypedExpr {
                                        expr: ir::ScalarExpr::Literal(ir::Literal::Int(*window_ns)),
                                        ty: pxl_stdlib::DataType::Int64,
                                        semantic: None,
                                    },
                                ],
                            },
                        };
                        Ok(self.expr(&start)?.alias(&c.name))
                    })
                    .collect::<Result<Vec<_>, PlanError>>()?;
                LogicalPlanBuilder::from(input).project(exprs)?.build()?
            }
            Op::Sink { .. } => self.input(node, 0)?,
        })
    }

    fn source(
        &mut self,
        table: &str,
        start: Option<TimeBound>,
        end: Option<TimeBound>,
        rel: &Relation,
    ) -> Result<LogicalPlan, PlanError> {
        let provider = self
            .catalog
            .provider(table)
            .ok_or_else(|| PlanError::NoData(table.to_string()))?;
        let schema = provider.schema();
        let spec = pxl_stdlib::tables::table(table);
        // Physical columns to read: each relation column, through aliases.
        let mut physical: Vec<String> = Vec::new();
        let mut select: Vec<Expr> = Vec::new();
        for c in &rel.columns {
            let target = if schema.index_of(&c.name).is_ok() {
                c.name.clone()
            } else {
                match spec.and_then(|t| t.resolve(&c.name)) {
                    Some(col) => col.name.to_string(),
                    None => {
                        return Err(PlanError::Unsupported(format!(
                            "the data of table `{table}` has no column `{}`",
                            c.name
                        )));
                    }
                }
            };
            if !physical.contains(&target) {
                physical.push(target.clone());
            }
            select.push(ucol(&target).alias(&c.name));
        }
        let has_time = schema.index_of("time_").is_ok();
        if has_time && (start.is_some() || end.is_some()) && !physical.iter().any(|p| p == "time_")
        {
            physical.push("time_".into());
        }
        let projection: Vec<usize> = physical
            .iter()
            .filter_map(|p| schema.index_of(p).ok())
            .collect();
        let mut b =
            LogicalPlanBuilder::scan(table, provider_as_source(provider), Some(projection))?;
        if has_time {
            let mut pred: Option<Expr> = None;
            if let Some(s) = start {
                pred = Some(col("time_").gt_eq(lit(resolve_bound(s, self.now_ns))));
            }
            if let Some(e) = end {
                let p = col("time_").lt_eq(lit(resolve_bound(e, self.now_ns)));
                pred = Some(match pred {
                    Some(x) => x.and(p),
                    None => p,
                });
            }
            if let Some(p) = pred {
                b = b.filter(p)?;
            }
        }
        Ok(b.project(select)?.build()?)
    }
}
