//! Grouping by a function of the UPID, one UPID at a time.
//!
//! `df.groupby(df.ctx['service'])` and its kin group by a metadata function
//! of the `upid` column. Evaluated row by row, the function (a hash lookup
//! and a string per row) and the grouping on its string result (a string
//! hash per row) cost far more than the aggregation itself, while a table
//! holds the rows of only a few hundred processes. This rule rewrites such an
//! aggregation so that the function runs once per distinct UPID:
//!
//! ```text
//! Aggregate(mode, by=[f(upid) as k, ...], aggs)      (Partial, or Single
//!   input                                              on one partition)
//! ```
//! becomes
//! ```text
//! Aggregate(merge mode, by=[k, ...], aggs)            states in
//!   Projection(f(k) as k, ...)                        once per UPID group
//!     Aggregate(Partial, by=[upid as k, ...], aggs)   fixed-width keys
//!       input
//! ```
//! where the merge mode is PartialReduce for a Partial aggregation (so the
//! plan above still sees partial states) and Final for a single-partition
//! Single one. Rows with the same UPID have the same `f(upid)`, so every
//! UPID group falls wholly in one group of the original key.
//!
//! Every aggregate is merged from its partial state, as on a cluster: exact
//! for counts, integer sums, min and max; floating-point sums may differ in
//! their last bits (another order of addition, as with several partitions),
//! and `quantiles` digests are merged, within the digest's own error.
//!
//! The function may sit in the grouping expression itself or in the
//! projection just below the aggregation (where PxL's `df.k = f(df.upid)`
//! puts it); in the second case the projection passes the UPID through in
//! its place. The rewrite applies only when the function is deterministic,
//! takes exactly one UINT128 column, and nothing but the grouping reads its
//! result.
//!
//! The inner aggregation groups by the UPID reinterpreted as a 128-bit
//! integer ([`UPID_KEY`]), which DataFusion groups with its primitive hash
//! table instead of its general byte-key one; [`UPID_FROM_KEY`] turns the
//! key back before the function is applied.
//!
//! It runs after DataFusion's own rules, so the distribution checks those
//! make are not repeated on the rewritten subtree; the modes above keep each
//! partition's meaning as it was.

use datafusion::arrow::array::{Array, ArrayRef, Decimal128Array, FixedSizeBinaryArray};
use datafusion::arrow::buffer::ScalarBuffer;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::utils::collect_columns;
use datafusion::physical_expr::{PhysicalExpr, ScalarFunctionExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode, PhysicalGroupBy};
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};
use datafusion::physical_plan::{ExecutionPlan, ExecutionPlanProperties, InputOrderMode};
use std::sync::{Arc, LazyLock};

/// The physical optimizer rule; see the module documentation.
#[derive(Debug, Default)]
pub struct PregroupByUpid;

impl PhysicalOptimizerRule for PregroupByUpid {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        rewrite_each(plan, config, rewrite)
    }

    fn name(&self) -> &str {
        "pxl_pregroup_by_upid"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// The input columns `agg`'s aggregates read, and its grouping keys but
/// those `skip` names (by position).
pub(crate) fn columns_read(agg: &AggregateExec, skip: impl Fn(usize) -> bool) -> Vec<usize> {
    let aggregates = agg
        .aggr_expr()
        .iter()
        .flat_map(|a| a.expressions())
        .flat_map(|e| collect_columns(&e));
    let keys = agg
        .group_expr()
        .expr()
        .iter()
        .enumerate()
        .filter(|(i, _)| !skip(*i))
        .flat_map(|(_, (e, _))| collect_columns(e));
    aggregates.chain(keys).map(|c| c.index()).collect()
}

/// A rewrite of one plan node: the new node, or `None` to keep it.
pub(crate) type Rewrite =
    fn(&Arc<dyn ExecutionPlan>, &Arc<ConfigOptions>) -> Result<Option<Arc<dyn ExecutionPlan>>>;

/// `plan` with `rewrite` applied to every node, bottom up. A subtree the
/// rewrite cannot build stays as it was planned.
pub(crate) fn rewrite_each(
    plan: Arc<dyn ExecutionPlan>,
    config: &ConfigOptions,
    rewrite: Rewrite,
) -> Result<Arc<dyn ExecutionPlan>> {
    let config = Arc::new(config.clone());
    plan.transform_up(|node| {
        Ok(match rewrite(&node, &config) {
            Ok(Some(new)) => Transformed::yes(new),
            Ok(None) | Err(_) => Transformed::no(node),
        })
    })
    .map(|t| t.data)
}

/// `e` as a deterministic function of exactly one UINT128 column: the
/// function and that column.
fn upid_function(e: &Arc<dyn PhysicalExpr>) -> Option<(&ScalarFunctionExpr, &Column)> {
    let f = e.downcast_ref::<ScalarFunctionExpr>()?;
    if f.fun().signature().volatility == Volatility::Volatile || internal_udf(f.name()).is_some() {
        return None;
    }
    let [arg] = f.args() else { return None };
    let col = arg.downcast_ref::<Column>()?;
    Some((f, col))
}

fn is_uint128(plan: &Arc<dyn ExecutionPlan>, c: &Column) -> bool {
    plan.schema()
        .fields()
        .get(c.index())
        .is_some_and(|f| f.data_type() == &DataType::FixedSizeBinary(16))
}

/// Where a grouping key's function is evaluated.
enum Site {
    /// In the grouping expression: group by the argument column instead.
    Group,
    /// In projection output `i` below the aggregation: project the
    /// argument column there instead.
    Projection(usize),
}

/// A grouping key that is a function of a UPID: where it is evaluated, and
/// the function's expression.
type Key = (Site, Arc<dyn PhysicalExpr>);

/// `f(arg)` for one of the key functions.
fn call(
    to_key: bool,
    arg: Arc<dyn PhysicalExpr>,
    config: &Arc<ConfigOptions>,
) -> Arc<dyn PhysicalExpr> {
    let f = KEY_FNS[usize::from(!to_key)].clone();
    let ret = if to_key { KEY_TYPE } else { UPID_TYPE };
    let field = Arc::new(Field::new(f.name(), ret, true));
    Arc::new(ScalarFunctionExpr::new(
        f.name(),
        f.clone(),
        vec![arg],
        field,
        config.clone(),
    ))
}

/// `node` as an aggregation these rewrites may split into an inner
/// Partial aggregation and a merge, with the merge's mode: PartialReduce
/// for a Partial aggregation, Final for a Single one over one partition.
/// Grouping sets, aggregate filters, ordered aggregates, limits and ordered
/// input are left alone. [`crate::dictgroup`] splits nothing (codes map one
/// to one onto strings) but takes the same aggregations, ignoring the mode.
pub(crate) fn splittable(node: &Arc<dyn ExecutionPlan>) -> Option<(&AggregateExec, AggregateMode)> {
    let agg = node.downcast_ref::<AggregateExec>()?;
    let merge_mode = match agg.mode() {
        AggregateMode::Partial => AggregateMode::PartialReduce,
        AggregateMode::Single if agg.input().output_partitioning().partition_count() == 1 => {
            AggregateMode::Final
        }
        // SinglePartitioned is left alone: its rewrite could not declare the
        // hash partitioning a partitioned join above relies on.
        _ => return None,
    };
    let group = agg.group_expr();
    let plain = group.is_single()
        && !group.expr().is_empty()
        && agg.filter_expr().iter().all(Option::is_none)
        && agg.aggr_expr().iter().all(|a| a.order_bys().is_empty())
        && agg.limit_options().is_none()
        && matches!(agg.input_order_mode(), InputOrderMode::Linear);
    plain.then_some((agg, merge_mode))
}

fn rewrite(
    node: &Arc<dyn ExecutionPlan>,
    config: &Arc<ConfigOptions>,
) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some((agg, merge_mode)) = splittable(node) else {
        return Ok(None);
    };
    let input = agg.input().clone();
    let group = agg.group_expr();
    let projection = input.downcast_ref::<ProjectionExec>();

    // Which grouping keys are functions of a UPID, and where.
    let mut sites: Vec<Option<Key>> = Vec::with_capacity(group.expr().len());
    for (e, _) in group.expr() {
        let site = if upid_function(e).is_some_and(|(_, c)| is_uint128(&input, c)) {
            Some((Site::Group, e.clone()))
        } else if let (Some(c), Some(p)) = (e.downcast_ref::<Column>(), projection) {
            p.expr()
                .get(c.index())
                .filter(|pe| upid_function(&pe.expr).is_some_and(|(_, a)| is_uint128(p.input(), a)))
                .map(|pe| (Site::Projection(c.index()), pe.expr.clone()))
        } else {
            None
        };
        sites.push(site);
    }
    if sites.iter().all(Option::is_none) {
        return Ok(None);
    }
    // A projected function result must be read by its grouping key only.
    let replaced: Vec<usize> = sites
        .iter()
        .filter_map(|s| match s {
            Some((Site::Projection(i), _)) => Some(*i),
            _ => None,
        })
        .collect();
    if !replaced.is_empty() {
        let reads = columns_read(agg, |i| {
            matches!(sites.get(i), Some(Some((Site::Projection(_), _))))
        });
        let mut keys = replaced.clone();
        keys.sort_unstable();
        if keys.windows(2).any(|w| w[0] == w[1]) || reads.iter().any(|r| keys.contains(r)) {
            return Ok(None);
        }
    }

    // The inner aggregation's input: the projection with each replaced
    // function swapped for its UPID argument, or the input unchanged.
    let inner_input: Arc<dyn ExecutionPlan> = match projection {
        Some(p) if !replaced.is_empty() => {
            let exprs: Vec<ProjectionExpr> = p
                .expr()
                .iter()
                .enumerate()
                .map(|(i, pe)| {
                    let expr = match upid_function(&pe.expr) {
                        Some((_, arg)) if replaced.contains(&i) => {
                            call(true, Arc::new(arg.clone()), config)
                        }
                        _ => pe.expr.clone(),
                    };
                    ProjectionExpr {
                        expr,
                        alias: pe.alias.clone(),
                    }
                })
                .collect();
            Arc::new(ProjectionExec::try_new(exprs, p.input().clone())?)
        }
        _ => input.clone(),
    };
    let inner_group: Vec<(Arc<dyn PhysicalExpr>, String)> = group
        .expr()
        .iter()
        .zip(&sites)
        .map(|((e, name), site)| match (site, upid_function(e)) {
            (Some((Site::Group, _)), Some((_, arg))) => {
                (call(true, Arc::new(arg.clone()), config), name.clone())
            }
            _ => (e.clone(), name.clone()),
        })
        .collect();
    let inner = Arc::new(AggregateExec::try_new(
        AggregateMode::Partial,
        PhysicalGroupBy::new_single(inner_group),
        agg.aggr_expr().to_vec(),
        agg.filter_expr().to_vec(),
        inner_input.clone(),
        inner_input.schema(),
    )?);

    // Apply each function to its UPID group key; pass the rest through.
    let inner_schema = inner.schema();
    let mut exprs: Vec<ProjectionExpr> = Vec::with_capacity(inner_schema.fields().len());
    for (i, field) in inner_schema.fields().iter().enumerate() {
        let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(field.name(), i));
        let expr = match sites.get(i) {
            Some(Some((_, f))) => f
                .clone()
                .with_new_children(vec![call(false, column, config)])?,
            _ => column,
        };
        exprs.push(ProjectionExpr {
            expr,
            alias: field.name().clone(),
        });
    }
    merged(agg, merge_mode, exprs, inner).map(Some)
}

/// The merge of `agg`'s split: `exprs` over the inner aggregation's output
/// (each key turned back into `agg`'s), then `agg`'s aggregates merged from
/// their states in `merge_mode`.
fn merged(
    agg: &AggregateExec,
    merge_mode: AggregateMode,
    exprs: Vec<ProjectionExpr>,
    inner: Arc<AggregateExec>,
) -> Result<Arc<dyn ExecutionPlan>> {
    let apply = Arc::new(ProjectionExec::try_new(exprs, inner)?);
    Ok(Arc::new(AggregateExec::try_new(
        merge_mode,
        agg.group_expr().as_final(),
        agg.aggr_expr().to_vec(),
        agg.filter_expr().to_vec(),
        apply,
        agg.input_schema(),
    )?))
}

/// Name of the function that turns a UPID into its grouping key.
pub const UPID_KEY: &str = "__pxl_upid_key";
/// Name of the function that turns a grouping key back into its UPID.
pub const UPID_FROM_KEY: &str = "__pxl_upid_from_key";

/// The key type: the UPID's 128 bits as a signed integer. Precision is not
/// checked anywhere the key travels (it is never shown or cast).
const KEY_TYPE: DataType = DataType::Decimal128(38, 0);
const UPID_TYPE: DataType = DataType::FixedSizeBinary(16);

/// UINT128 ⇄ grouping key, a bit-for-bit reinterpretation either way.
#[derive(Debug, PartialEq, Eq, Hash)]
struct UpidKey {
    to_key: bool,
    signature: Signature,
}

static KEY_FNS: LazyLock<[Arc<ScalarUDF>; 2]> = LazyLock::new(|| {
    [true, false].map(|to_key| {
        let from = if to_key { UPID_TYPE } else { KEY_TYPE };
        Arc::new(ScalarUDF::new_from_impl(UpidKey {
            to_key,
            signature: Signature::exact(vec![from], Volatility::Immutable),
        }))
    })
});

/// The planner-internal function named `name` (for decoding plans that
/// carry one), if there is one.
pub fn internal_udf(name: &str) -> Option<Arc<ScalarUDF>> {
    KEY_FNS.iter().find(|f| f.name() == name).cloned()
}

impl ScalarUDFImpl for UpidKey {
    fn name(&self) -> &str {
        if self.to_key { UPID_KEY } else { UPID_FROM_KEY }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(if self.to_key { KEY_TYPE } else { UPID_TYPE })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = args.args.as_slice() else {
            return exec_err!("{} takes one argument", self.name());
        };
        let array = arg.to_array(args.number_rows)?;
        let out = if self.to_key {
            upid_to_key(&array)?
        } else {
            key_to_upid(&array)?
        };
        Ok(ColumnarValue::Array(out))
    }
}

fn upid_to_key(array: &ArrayRef) -> Result<ArrayRef> {
    let Some(a) = array.as_any().downcast_ref::<FixedSizeBinaryArray>() else {
        return exec_err!("{UPID_KEY} expects UINT128, got {}", array.data_type());
    };
    if a.value_length() != 16 {
        return exec_err!("{UPID_KEY} expects 16-byte values");
    }
    // The key is the 16 bytes read as a native integer: any bijection
    // serves, and this one shares the UPIDs' buffer when it is aligned.
    let data = a.to_data();
    let buffer = data.buffers()[0].slice_with_length(data.offset() * 16, a.len() * 16);
    let values = if buffer.as_ptr().align_offset(align_of::<i128>()) == 0 {
        ScalarBuffer::<i128>::new(buffer, 0, a.len())
    } else {
        buffer
            .chunks_exact(16)
            .map(|c| i128::from_ne_bytes(c.try_into().unwrap_or([0; 16])))
            .collect()
    };
    let out = Decimal128Array::new(values, a.nulls().cloned()).with_data_type(KEY_TYPE);
    Ok(Arc::new(out))
}

fn key_to_upid(array: &ArrayRef) -> Result<ArrayRef> {
    let Some(a) = array.as_any().downcast_ref::<Decimal128Array>() else {
        return exec_err!("{UPID_FROM_KEY} expects a key, got {}", array.data_type());
    };
    let bytes = a.values().inner().clone();
    let out = FixedSizeBinaryArray::try_new(16, bytes, a.nulls().cloned())?;
    Ok(Arc::new(out))
}
