//! Aggregation keyed by one column of table-store string codes, with the
//! filter below it folded in.
//!
//! [`crate::dictgroup`] turns `groupby(s)` into a grouping by the `UInt32`
//! codes the table store keeps for `s`. Codes are small and dense (a
//! dictionary holds at most 65,536 values), so the group of a code can be
//! found by indexing an array instead of hashing the code: that is what
//! [`DenseCodeAggregateExec`] does in place of DataFusion's hash
//! aggregation. When the aggregation reads a filter, the filter is folded
//! in too, so the rows that pass are never copied into new batches: the
//! rows it drops are sent to a trash group whose results are cut off at
//! the end (see [`Groups`]).
//!
//! ```text
//! Aggregate(mode, by=[code], aggs)          DenseCodeAggregate(mode, by=[code], aggs,
//!   Filter(p)                        →                         filter=p)
//!     input                                   input
//! ```
//!
//! The output is what the aggregation would give, row for row: the same
//! schema, groups in the order their first passing row arrived, and every
//! real group's accumulator fed the same rows in the same order. It applies to `Partial` aggregations
//! and to `Single` ones over one partition, with exactly one grouping key
//! (the code column), when every aggregate has a `GroupsAccumulator` and
//! is neither distinct nor ordered. The filter is folded in when it has no
//! limit and every aggregate's arguments are columns, literals or casts of
//! numbers to floats (folded,
//! arguments are evaluated on the dropped rows too, and `a % b` under a
//! filter `b != 0` must not be).
//!
//! Memory is reserved from the session's pool as the accumulators grow. A
//! `Partial` aggregation that cannot grow its reservation emits what it
//! holds and starts again (the merge above it combines the pieces, as with
//! DataFusion's own early emission); a `Single` one fails with the pool's
//! error.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch, UInt32Array};
use datafusion::arrow::compute::prep_null_mask_filter;
use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef, UInt32Type};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{Result, exec_err};
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryReservation};
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
use datafusion::physical_expr::PhysicalExpr;
use datafusion::physical_expr::expressions::{CastExpr, Column, Literal};
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode};
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::metrics::{
    BaselineMetrics, Count, ExecutionPlanMetricsSet, MetricBuilder, MetricsSet,
};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    ChildrenPropertiesMode, DisplayAs, DisplayFormatType, ExecutionPlan, ExecutionPlanProperties,
    PlanProperties, ReplaceChildrenOptions,
};
use futures::StreamExt;
use std::collections::VecDeque;
use std::sync::Arc;

/// A slot of no group yet.
const NONE: u32 = u32::MAX;
/// Codes above this are not table-store codes (dictionaries stop at
/// 65,536 values); the rule's array would be too large for them.
const MAX_CODE: u32 = 1 << 24;

/// See the module documentation.
#[derive(Debug)]
pub struct DenseCodeAggregateExec {
    /// The aggregation this runs: its mode, expressions, schema and
    /// properties. Its input is `filter` when there is one.
    agg: Arc<AggregateExec>,
    /// The folded filter; `input` is its input.
    filter: Option<Arc<FilterExec>>,
    input: Arc<dyn ExecutionPlan>,
    metrics: ExecutionPlanMetricsSet,
}

impl DenseCodeAggregateExec {
    /// `agg` run by this operator, or `None` when it does not qualify (see
    /// the module documentation).
    pub fn try_new(agg: Arc<AggregateExec>) -> Option<Self> {
        let mode = *agg.mode();
        let one_partition = agg.input().output_partitioning().partition_count() == 1;
        if !(mode == AggregateMode::Partial || (mode == AggregateMode::Single && one_partition)) {
            return None;
        }
        let group = agg.group_expr();
        let [(key, _)] = group.expr() else {
            return None;
        };
        let input_schema = agg.input().schema();
        let key_is_code = key
            .downcast_ref::<Column>()
            .and_then(|c| input_schema.fields().get(c.index()))
            .is_some_and(|f| f.data_type() == &DataType::UInt32);
        let plain = group.is_single()
            && key_is_code
            && agg.filter_expr().iter().all(Option::is_none)
            && agg.limit_options().is_none()
            && agg.aggr_expr().iter().all(|a| {
                a.groups_accumulator_supported() && !a.is_distinct() && a.order_bys().is_empty()
            });
        if !plain {
            return None;
        }
        // Folded, the filter no longer guards the aggregates' arguments:
        // they are evaluated on the rows it drops too, so only arguments
        // that cannot fail ([`cannot_fail`]) allow it. `sum(a % b)` under
        // `b != 0` keeps its FilterExec.
        let safe_arguments = agg.aggr_expr().iter().all(|a| {
            a.expressions()
                .iter()
                .all(|e| cannot_fail(e, &input_schema))
        });
        let filter = agg
            .input()
            .downcast_ref::<FilterExec>()
            .filter(|f| f.fetch().is_none() && safe_arguments)
            .map(|f| Arc::new(f.clone()));
        let input = filter
            .as_ref()
            .map_or_else(|| agg.input().clone(), |f| f.input().clone());
        Some(DenseCodeAggregateExec {
            agg,
            filter,
            input,
            metrics: ExecutionPlanMetricsSet::new(),
        })
    }

    /// The folded filter's predicate, if there is one.
    pub fn predicate(&self) -> Option<&Arc<dyn PhysicalExpr>> {
        self.filter.as_ref().map(|f| f.predicate())
    }

    /// The name of the grouping key's output column.
    pub fn key_name(&self) -> &str {
        &self.agg.group_expr().expr()[0].1
    }
}

/// Whether evaluating `e` can fail on no row: a column, a literal, or a
/// cast of one from a number to a float (as `mean` casts its integers).
fn cannot_fail(e: &Arc<dyn PhysicalExpr>, schema: &Schema) -> bool {
    if e.downcast_ref::<Column>().is_some() || e.downcast_ref::<Literal>().is_some() {
        return true;
    }
    let Some(cast) = e.downcast_ref::<CastExpr>() else {
        return false;
    };
    let from = cast.expr().data_type(schema);
    matches!(cast.cast_type(), DataType::Float64)
        && from.is_ok_and(|t| t.is_numeric())
        && cannot_fail(cast.expr(), schema)
}

impl DisplayAs for DenseCodeAggregateExec {
    fn fmt_as(&self, t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "DenseCodeAggregateExec: mode={:?}", self.agg.mode())?;
        let keys: Vec<String> = self
            .agg
            .group_expr()
            .expr()
            .iter()
            .map(|(e, name)| format!("{e} as {name}"))
            .collect();
        write!(f, ", gby=[{}]", keys.join(", "))?;
        let aggs: Vec<&str> = self.agg.aggr_expr().iter().map(|a| a.name()).collect();
        write!(f, ", aggr=[{}]", aggs.join(", "))?;
        if let Some(filter) = &self.filter {
            write!(f, ", filter={}", filter.predicate())?;
            if matches!(t, DisplayFormatType::Verbose)
                && let Some(p) = filter.projection()
            {
                write!(f, ", filter projection={p:?}")?;
            }
        }
        Ok(())
    }
}

impl ExecutionPlan for DenseCodeAggregateExec {
    fn name(&self) -> &str {
        "DenseCodeAggregateExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        self.agg.properties()
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn apply_expressions(
        &self,
        f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        if let Some(filter) = &self.filter
            && f(filter.predicate())? == TreeNodeRecursion::Stop
        {
            return Ok(TreeNodeRecursion::Stop);
        }
        self.agg.apply_expressions(f)
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let [child] = &children[..] else {
            return exec_err!("DenseCodeAggregateExec takes one child");
        };
        let options = ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute);
        let agg_input = match &self.filter {
            Some(filter) => (filter.clone() as Arc<dyn ExecutionPlan>)
                .replace_children(vec![child.clone()], options)?,
            None => child.clone(),
        };
        let agg = (self.agg.clone() as Arc<dyn ExecutionPlan>)
            .replace_children(vec![agg_input], options)?;
        let Some(rebuilt) = agg.downcast_ref::<AggregateExec>() else {
            return exec_err!("DenseCodeAggregateExec: the aggregation did not rebuild");
        };
        // A child this cannot run over (a Single aggregation's input that
        // is no longer one partition) gets DataFusion's aggregation.
        Ok(
            match DenseCodeAggregateExec::try_new(Arc::new(rebuilt.clone())) {
                Some(dense) => Arc::new(dense),
                None => agg,
            },
        )
    }

    fn execute(
        &self,
        partition: usize,
        context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = self.input.execute(partition, context.clone())?;
        let accumulators = self.accumulators()?;
        let agg = &self.agg;
        let key = agg.group_expr().expr()[0].0.clone();
        let arguments: Vec<Vec<Arc<dyn PhysicalExpr>>> =
            agg.aggr_expr().iter().map(|a| a.expressions()).collect();
        let reservation = MemoryConsumer::new(format!("DenseCodeAggregateExec[{partition}]"))
            .register(context.memory_pool());
        let state = State {
            input,
            predicate: self.filter.as_ref().map(|f| f.predicate().clone()),
            projection: self
                .filter
                .as_ref()
                .and_then(|f| f.projection().as_ref().map(|p| p.as_ref().to_vec())),
            key,
            arguments,
            accumulators,
            masked: agg
                .aggr_expr()
                .iter()
                .map(|a| MASKED.contains(&a.fun().name()))
                .collect(),
            partial: *agg.mode() == AggregateMode::Partial,
            schema: self.schema(),
            batch_size: context.session_config().batch_size().max(1),
            groups: Groups::new(self.filter.is_some()),
            indices: Vec::new(),
            reservation,
            pending: VecDeque::new(),
            done: false,
            metrics: BaselineMetrics::new(&self.metrics, partition),
            early_emissions: MetricBuilder::new(&self.metrics)
                .counter("early_emissions", partition),
        };
        let stream = futures::stream::try_unfold(state, |mut state| async move {
            let batch = state.next().await?;
            Ok(batch.map(|b| (b, state)))
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema(),
            stream,
        )))
    }

    fn metrics(&self) -> Option<MetricsSet> {
        Some(self.metrics.clone_inner())
    }
}

impl DenseCodeAggregateExec {
    fn accumulators(&self) -> Result<Vec<Box<dyn GroupsAccumulator>>> {
        self.agg
            .aggr_expr()
            .iter()
            .map(|a| a.create_groups_accumulator())
            .collect()
    }
}

/// Group indexes by code.
///
/// With a filter folded in, group 0 is the trash group: the rows the
/// filter drops go there, so that every accumulator runs its plain loop
/// over every row (DataFusion's accumulators are several times slower
/// through a mask), and the trash group's results are cut off when the
/// groups are emitted. Accumulators that skip masked rows cheaply
/// ([`MASKED`]) get the mask too, and never see a dropped row.
#[derive(Default)]
struct Groups {
    /// The group of each code, [`NONE`] for none yet.
    slots: Vec<u32>,
    /// The group of null codes.
    null_group: Option<u32>,
    /// Each group's code, in group order (the trash group's is `None`).
    keys: Vec<Option<u32>>,
    /// Whether group 0 is the trash group.
    trash: bool,
}

impl Groups {
    fn new(trash: bool) -> Self {
        Groups {
            keys: if trash { vec![None] } else { Vec::new() },
            trash,
            ..Groups::default()
        }
    }

    /// Groups, the trash group included.
    fn len(&self) -> usize {
        self.keys.len()
    }

    /// Groups made by rows.
    fn real(&self) -> usize {
        self.keys.len() - usize::from(self.trash)
    }

    fn size(&self) -> usize {
        self.slots.capacity() * size_of::<u32>() + self.keys.capacity() * size_of::<Option<u32>>()
    }

    #[inline(always)]
    fn code(&mut self, code: u32) -> Result<usize> {
        match self.slots.get(code as usize) {
            Some(&g) if g != NONE => Ok(g as usize),
            _ => self.new_code(code),
        }
    }

    /// The group of a code that has none yet.
    #[cold]
    #[inline(never)]
    fn new_code(&mut self, code: u32) -> Result<usize> {
        let c = code as usize;
        if c >= self.slots.len() {
            if code >= MAX_CODE {
                return exec_err!("string code {code} is past what a table store gives out");
            }
            self.slots
                .resize((c + 1).next_power_of_two().max(1024), NONE);
        }
        let g = self.keys.len();
        self.slots[c] = g as u32;
        self.keys.push(Some(code));
        Ok(g)
    }

    fn null(&mut self) -> usize {
        *self.null_group.get_or_insert_with(|| {
            self.keys.push(None);
            (self.keys.len() - 1) as u32
        }) as usize
    }

    #[inline]
    fn row(&mut self, codes: &UInt32Array, row: usize) -> Result<usize> {
        if codes.is_null(row) {
            Ok(self.null())
        } else {
            self.code(codes.value(row))
        }
    }

    /// The group of every row of `codes` into `out`; with `mask` (which
    /// needs the trash group), only the rows it passes make groups and the
    /// others go to the trash group. `false` when the mask passes no row.
    fn index(
        &mut self,
        codes: &UInt32Array,
        mask: Option<&BooleanArray>,
        out: &mut Vec<usize>,
    ) -> Result<bool> {
        out.clear();
        let n = codes.len();
        match mask {
            None if codes.null_count() == 0 => {
                out.reserve(n);
                for &c in codes.values().iter() {
                    out.push(self.code(c)?);
                }
            }
            None => {
                out.reserve(n);
                for row in 0..n {
                    out.push(self.row(codes, row)?);
                }
            }
            Some(mask) => {
                debug_assert!(self.trash);
                if mask.true_count() == 0 {
                    return Ok(false);
                }
                out.resize(n, 0);
                if codes.null_count() == 0 {
                    let values = codes.values();
                    for row in mask.values().set_indices() {
                        out[row] = self.code(values[row])?;
                    }
                } else {
                    for row in mask.values().set_indices() {
                        out[row] = self.row(codes, row)?;
                    }
                }
            }
        }
        Ok(true)
    }

    /// The codes of the groups made by rows; the state starts again.
    fn emit(&mut self) -> ArrayRef {
        let skip = usize::from(self.trash);
        let keys: UInt32Array = self.keys.drain(..).skip(skip).collect();
        if self.trash {
            self.keys.push(None);
        }
        self.slots.iter_mut().for_each(|s| *s = NONE);
        self.null_group = None;
        Arc::new(keys)
    }
}

/// Aggregates that skip masked rows one by one at little cost: they get
/// the filter's mask (see [`Groups`]).
const MASKED: [&str; 2] = ["quantile", "quantiles"];

struct State {
    input: SendableRecordBatchStream,
    predicate: Option<Arc<dyn PhysicalExpr>>,
    /// The folded filter's output columns, which the key and the
    /// aggregates' arguments are expressed over.
    projection: Option<Vec<usize>>,
    key: Arc<dyn PhysicalExpr>,
    arguments: Vec<Vec<Arc<dyn PhysicalExpr>>>,
    accumulators: Vec<Box<dyn GroupsAccumulator>>,
    /// Which accumulators get the filter's mask.
    masked: Vec<bool>,
    partial: bool,
    schema: SchemaRef,
    batch_size: usize,
    groups: Groups,
    indices: Vec<usize>,
    reservation: MemoryReservation,
    pending: VecDeque<RecordBatch>,
    done: bool,
    metrics: BaselineMetrics,
    /// Times the memory pool made a partial aggregation emit early.
    early_emissions: Count,
}

impl State {
    async fn next(&mut self) -> Result<Option<RecordBatch>> {
        loop {
            if let Some(b) = self.pending.pop_front() {
                self.metrics.record_output(b.num_rows());
                return Ok(Some(b));
            }
            if self.done {
                return Ok(None);
            }
            match self.input.next().await {
                Some(batch) => {
                    let batch = batch?;
                    let elapsed = self.metrics.elapsed_compute().clone();
                    let timer = elapsed.timer();
                    self.update(&batch)?;
                    self.reserve()?;
                    drop(timer);
                }
                None => {
                    let elapsed = self.metrics.elapsed_compute().clone();
                    let timer = elapsed.timer();
                    self.done = true;
                    self.emit()?;
                    self.reservation.free();
                    drop(timer);
                }
            }
        }
    }

    fn update(&mut self, batch: &RecordBatch) -> Result<()> {
        let mask = match &self.predicate {
            Some(p) => {
                let m = p.evaluate(batch)?.into_array(batch.num_rows())?;
                let Some(m) = m.as_boolean_opt() else {
                    return exec_err!("filter predicate gave {}, not booleans", m.data_type());
                };
                Some(if m.null_count() > 0 {
                    prep_null_mask_filter(m)
                } else {
                    m.clone()
                })
            }
            None => None,
        };
        let projected;
        let batch = match &self.projection {
            Some(p) => {
                projected = batch.project(p)?;
                &projected
            }
            None => batch,
        };
        let codes = self.key.evaluate(batch)?.into_array(batch.num_rows())?;
        let Some(codes) = codes.as_primitive_opt::<UInt32Type>() else {
            return exec_err!("grouping codes are {}, not UInt32", codes.data_type());
        };
        if !self.groups.index(codes, mask.as_ref(), &mut self.indices)? {
            return Ok(());
        }
        let total = self.groups.len();
        let accumulators = self.accumulators.iter_mut().zip(&self.masked);
        for ((acc, &masked), args) in accumulators.zip(&self.arguments) {
            let values = args
                .iter()
                .map(|e| e.evaluate(batch)?.into_array(batch.num_rows()))
                .collect::<Result<Vec<ArrayRef>>>()?;
            let filter = if masked { mask.as_ref() } else { None };
            acc.update_batch(&values, &self.indices, filter, total)?;
        }
        Ok(())
    }

    fn size(&self) -> usize {
        self.groups.size()
            + self.indices.capacity() * size_of::<usize>()
            + self.accumulators.iter().map(|a| a.size()).sum::<usize>()
    }

    /// Grows the reservation to what the state holds; a partial
    /// aggregation that cannot emits early instead.
    fn reserve(&mut self) -> Result<()> {
        match self.reservation.try_resize(self.size()) {
            Ok(()) => Ok(()),
            Err(_) if self.partial => {
                self.early_emissions.add(1);
                self.emit()?;
                self.reservation.try_resize(self.size())
            }
            Err(e) => Err(e),
        }
    }

    /// Every group so far as output batches; the state starts again empty.
    fn emit(&mut self) -> Result<()> {
        if self.groups.real() == 0 {
            return Ok(());
        }
        let skip = usize::from(self.groups.trash);
        let mut columns = vec![self.groups.emit()];
        for acc in &mut self.accumulators {
            let arrays = if self.partial {
                acc.state(EmitTo::All)?
            } else {
                vec![acc.evaluate(EmitTo::All)?]
            };
            // The trash group's results are dropped.
            columns.extend(arrays.into_iter().map(|a| a.slice(skip, a.len() - skip)));
        }
        let batch = RecordBatch::try_new(self.schema.clone(), columns)?;
        let mut offset = 0;
        while offset < batch.num_rows() {
            let len = self.batch_size.min(batch.num_rows() - offset);
            self.pending.push_back(batch.slice(offset, len));
            offset += len;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_in_first_seen_order_with_a_null_group() {
        let mut g = Groups::new(false);
        let mut out = Vec::new();
        let codes = UInt32Array::from(vec![Some(7), None, Some(3), Some(7), None, Some(5000)]);
        assert!(g.index(&codes, None, &mut out).expect("index"));
        assert_eq!(out, [0, 1, 2, 0, 1, 3]);
        assert_eq!(g.keys, [Some(7), None, Some(3), Some(5000)]);
        let codes = UInt32Array::from(vec![3, 9]);
        assert!(g.index(&codes, None, &mut out).expect("index"));
        assert_eq!(out, [2, 4]);
        let keys = g.emit();
        assert_eq!(keys.len(), 5);
        assert_eq!(keys.null_count(), 1);
        assert_eq!(g.len(), 0);
        // After an emission the slots are free again.
        assert!(g.index(&codes, None, &mut out).expect("index"));
        assert_eq!(out, [0, 1]);
    }

    #[test]
    fn a_mask_sends_the_rows_it_drops_to_the_trash_group() {
        let mut g = Groups::new(true);
        let mut out = Vec::new();
        let codes = UInt32Array::from(vec![Some(1), Some(2), None, Some(3), Some(2)]);
        let mask = BooleanArray::from(vec![false, true, false, true, true]);
        assert!(g.index(&codes, Some(&mask), &mut out).expect("index"));
        // Code 1 and the null are only in dropped rows: no group for them.
        assert_eq!(g.keys, [None, Some(2), Some(3)]);
        assert_eq!(out, [0, 1, 0, 2, 1]);
        assert_eq!(g.real(), 2);
        let none = BooleanArray::from(vec![false; 5]);
        assert!(!g.index(&codes, Some(&none), &mut out).expect("index"));
        let keys = g.emit();
        let keys = keys.as_primitive::<UInt32Type>();
        assert_eq!(keys.values().to_vec(), [2, 3]);
        assert_eq!(keys.null_count(), 0);
        // The trash group stays group 0 after an emission.
        assert_eq!(g.keys, [None]);
        assert!(g.index(&codes, Some(&mask), &mut out).expect("index"));
        assert_eq!(out, [0, 1, 0, 2, 1]);
    }

    #[test]
    fn codes_past_a_table_store_are_an_error() {
        let mut g = Groups::new(false);
        let mut out = Vec::new();
        let codes = UInt32Array::from(vec![MAX_CODE]);
        let err = g.index(&codes, None, &mut out).expect_err("too large");
        assert!(err.to_string().contains("past what a table store"), "{err}");
    }

    /// A partial aggregation whose pool will not let it grow emits what
    /// it holds and starts again: groups repeat in the output, and their
    /// counts add up to the rows.
    #[test]
    fn a_partial_aggregation_emits_early_when_the_pool_is_full() {
        use datafusion::arrow::array::Int64Array;
        use datafusion::arrow::datatypes::{Field, Schema};
        use datafusion::datasource::memory::MemorySourceConfig;
        use datafusion::execution::runtime_env::RuntimeEnvBuilder;
        use datafusion::functions_aggregate::count::count_udaf;
        use datafusion::physical_expr::aggregate::AggregateExprBuilder;
        use datafusion::physical_plan::aggregates::PhysicalGroupBy;
        use datafusion::prelude::SessionConfig;

        let schema = Arc::new(Schema::new(vec![
            Field::new("code", DataType::UInt32, true),
            Field::new("v", DataType::Int64, true),
        ]));
        let batches: Vec<RecordBatch> = (0..8u32)
            .map(|b| {
                let codes = UInt32Array::from_iter_values((0..512).map(|i| (i * 7 + b) % 4096));
                let v = Int64Array::from_iter_values(0..512);
                RecordBatch::try_new(schema.clone(), vec![Arc::new(codes), Arc::new(v)])
                    .expect("batch")
            })
            .collect();
        let input = datafusion::datasource::source::DataSourceExec::from_data_source(
            MemorySourceConfig::try_new(&[batches], schema.clone(), None).expect("source"),
        );
        let count = AggregateExprBuilder::new(
            count_udaf(),
            vec![Arc::new(Column::new("v", 1)) as Arc<dyn PhysicalExpr>],
        )
        .schema(schema.clone())
        .alias("n")
        .build()
        .expect("count");
        let agg = AggregateExec::try_new(
            AggregateMode::Partial,
            PhysicalGroupBy::new_single(vec![(
                Arc::new(Column::new("code", 0)) as Arc<dyn PhysicalExpr>,
                "code".to_string(),
            )]),
            vec![Arc::new(count)],
            vec![None],
            input,
            schema,
        )
        .expect("aggregate");
        let dense = Arc::new(DenseCodeAggregateExec::try_new(Arc::new(agg)).expect("dense"));
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_limit(24 << 10, 1.0)
            .build_arc()
            .expect("runtime");
        let ctx = Arc::new(
            TaskContext::default()
                .with_session_config(SessionConfig::new().with_batch_size(1000))
                .with_runtime(runtime),
        );
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let out = rt
            .block_on(datafusion::physical_plan::collect(dense.clone(), ctx))
            .expect("collect");
        let rows: usize = out.iter().map(RecordBatch::num_rows).sum();
        let counted: i64 = out
            .iter()
            .map(|b| {
                b.column(1)
                    .as_primitive::<datafusion::arrow::datatypes::Int64Type>()
                    .values()
                    .iter()
                    .sum::<i64>()
            })
            .sum();
        assert_eq!(counted, 8 * 512);
        let distinct: std::collections::HashSet<u32> = out
            .iter()
            .flat_map(|b| b.column(0).as_primitive::<UInt32Type>().values().to_vec())
            .collect();
        assert!(rows > distinct.len(), "no group repeated: {rows} rows");
        assert!(out.iter().all(|b| b.num_rows() <= 1000));
        let early = dense
            .metrics()
            .and_then(|m| m.sum_by_name("early_emissions"))
            .map(|v| v.as_usize());
        assert!(early.is_some_and(|n| n > 0), "{early:?}");
    }
}
