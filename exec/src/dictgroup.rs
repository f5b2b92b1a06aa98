//! Grouping by a string column through the integer codes the table store
//! keeps for it.
//!
//! The table store interns the values of its low-cardinality string
//! columns as they arrive (`req_path`, `req_method`, addresses, ...): every
//! distinct value gets a `UInt32` code, kept beside the batch. A scan
//! exposes those codes as hidden columns named [`CODE_PREFIX`]`<column>`,
//! which no query reads unless this rule asks for them. Grouping by a
//! string hashes and compares the string of every row; grouping by its code
//! is a primitive hash, and the string is looked up once per group:
//!
//! ```text
//! Aggregate(mode, by=[s, ...], aggs)              (Partial, or Single on
//!   Filter / Projection / Repartition ...          one partition)
//!     Scan(..., s)
//! ```
//! becomes
//! ```text
//! Aggregate(merge mode, by=[s, ...], aggs)         states in
//!   Projection(decode(code) as s, ...)             once per group
//!     Aggregate(Partial, by=[code as s, ...], aggs)
//!       Filter / Projection / Repartition ...      code passed through
//!         Scan(..., s, code)
//! ```
//! with the merge modes of [`crate::pregroup`] (PartialReduce above a
//! Partial aggregation, Final above a single-partition Single one), and its
//! merge semantics: exact for counts, integer sums, min and max; float sums
//! may differ in their last bits and `quantiles` digests are merged.
//!
//! A code stands for exactly one string of its table, so the groups are
//! the same. The rewrite applies only when every batch the scan read has
//! codes for the column (a column whose distinct values outgrew the store's
//! dictionary limit has none), the column reaches the aggregation unchanged
//! through filters, plain column projections and repartitions, and no
//! aggregate or other grouping key reads it.
//!
//! Codes are local to one table store: the rule only sees local scans
//! (`DataSourceExec` over memory), never a cluster's remote scans, so no
//! code ever leaves the process that made it.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
use datafusion::arrow::datatypes::{DataType, UInt32Type};
use datafusion::common::config::ConfigOptions;
use datafusion::common::{Result, exec_err};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::source::{DataSource, DataSourceExec};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{PhysicalExpr, ScalarFunctionExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::{AggregateExec, AggregateMode, PhysicalGroupBy};
use datafusion::physical_plan::filter::{FilterExec, FilterExecBuilder};
use datafusion::physical_plan::projection::{ProjectionExec, ProjectionExpr};
use datafusion::physical_plan::repartition::RepartitionExec;
use datafusion::physical_plan::{ChildrenPropertiesMode, ExecutionPlan, ReplaceChildrenOptions};
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, Weak};

/// Name prefix of a hidden code column: `__pxl_code:req_path`.
pub const CODE_PREFIX: &str = "__pxl_code:";
/// Field metadata key of a hidden code column: its dictionary's id.
pub const DICTIONARY_KEY: &str = "pxl.dictionary";
/// Name of the function that turns codes back into strings.
pub const DECODE: &str = "__pxl_decode_codes";

/// The strings behind a column's codes.
pub trait StringDictionary: Send + Sync + std::fmt::Debug {
    /// The string of every code (null for null); an error for a code the
    /// dictionary never gave out.
    fn decode(&self, codes: &datafusion::arrow::array::UInt32Array) -> Result<StringArray>;
}

/// The last id given out, and the dictionaries by id.
type Registry = (u64, HashMap<u64, Weak<dyn StringDictionary>>);

static DICTIONARIES: LazyLock<Mutex<Registry>> = LazyLock::new(|| Mutex::new((0, HashMap::new())));

/// Makes `dictionary` findable by the rule; the id goes in the hidden
/// column's [`DICTIONARY_KEY`] metadata. Dropped dictionaries are
/// forgotten.
pub fn register(dictionary: &Arc<dyn StringDictionary>) -> u64 {
    let mut guard = DICTIONARIES.lock().unwrap_or_else(|e| e.into_inner());
    let (next, map) = &mut *guard;
    map.retain(|_, d| d.strong_count() > 0);
    *next += 1;
    map.insert(*next, Arc::downgrade(dictionary));
    *next
}

fn dictionary(id: u64) -> Option<Arc<dyn StringDictionary>> {
    let guard = DICTIONARIES.lock().unwrap_or_else(|e| e.into_inner());
    guard.1.get(&id).and_then(Weak::upgrade)
}

/// The physical optimizer rule; see the module documentation.
#[derive(Debug, Default)]
pub struct GroupByStringCodes;

impl PhysicalOptimizerRule for GroupByStringCodes {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        crate::pregroup::rewrite_each(plan, config, rewrite)
    }

    fn name(&self) -> &str {
        "pxl_group_by_string_codes"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// A subtree rebuilt to carry the codes of one of its string columns as
/// an extra last column.
struct Coded {
    plan: Arc<dyn ExecutionPlan>,
    /// Index of the code column in `plan`'s output.
    code: usize,
    dictionary: Arc<dyn StringDictionary>,
}

/// `plan` rebuilt so that its output also carries the codes of output
/// column `col`, appended after its columns; `None` when the column does
/// not come unchanged from a coded scan.
fn with_codes(plan: &Arc<dyn ExecutionPlan>, col: usize) -> Result<Option<Coded>> {
    if let Some(source) = plan.downcast_ref::<DataSourceExec>() {
        let Some(mem) = source.data_source().downcast_ref::<MemorySourceConfig>() else {
            return Ok(None);
        };
        let schema = mem.original_schema();
        let projection: Vec<usize> = mem
            .projection()
            .clone()
            .unwrap_or_else(|| (0..schema.fields().len()).collect());
        let Some(&original) = projection.get(col) else {
            return Ok(None);
        };
        let name = format!("{CODE_PREFIX}{}", schema.field(original).name());
        let Ok(hidden) = schema.index_of(&name) else {
            return Ok(None);
        };
        let Some(dict) = schema
            .field(hidden)
            .metadata()
            .get(DICTIONARY_KEY)
            .and_then(|id| id.parse().ok())
            .and_then(dictionary)
        else {
            return Ok(None);
        };
        let mut new_projection = projection.clone();
        new_projection.push(hidden);
        let config = MemorySourceConfig::try_new(mem.partitions(), schema, Some(new_projection))?
            .with_limit(mem.fetch())
            .with_show_sizes(mem.show_sizes())
            .try_with_sort_information(mem.sort_information().to_vec())?;
        return Ok(Some(Coded {
            plan: DataSourceExec::from_data_source(config),
            code: projection.len(),
            dictionary: dict,
        }));
    }
    if let Some(filter) = plan.downcast_ref::<FilterExec>() {
        return coded_filter(filter, col, false);
    }
    if let Some(p) = plan.downcast_ref::<ProjectionExec>() {
        let Some(source) = p
            .expr()
            .get(col)
            .and_then(|pe| pe.expr.downcast_ref::<Column>())
        else {
            return Ok(None);
        };
        let Some(inner) = with_codes(p.input(), source.index())? else {
            return Ok(None);
        };
        let mut exprs: Vec<ProjectionExpr> = p.expr().to_vec();
        let code_name = format!("{CODE_PREFIX}{}", p.expr()[col].alias);
        let input_name = inner.plan.schema().field(inner.code).name().clone();
        exprs.push(ProjectionExpr {
            expr: Arc::new(Column::new(&input_name, inner.code)),
            alias: code_name,
        });
        let code = exprs.len() - 1;
        return Ok(Some(Coded {
            plan: Arc::new(ProjectionExec::try_new(exprs, inner.plan)?),
            code,
            dictionary: inner.dictionary,
        }));
    }
    if plan.downcast_ref::<RepartitionExec>().is_some() {
        return coded_repartition(plan, col, with_codes);
    }
    Ok(None)
}

/// A repartition over its child rebuilt by `rebuild` to carry codes.
fn coded_repartition(
    plan: &Arc<dyn ExecutionPlan>,
    col: usize,
    rebuild: fn(&Arc<dyn ExecutionPlan>, usize) -> Result<Option<Coded>>,
) -> Result<Option<Coded>> {
    let [child] = plan.children()[..] else {
        return Ok(None);
    };
    let Some(inner) = rebuild(child, col)? else {
        return Ok(None);
    };
    Ok(Some(Coded {
        plan: plan.clone().replace_children(
            vec![inner.plan],
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )?,
        code: inner.code,
        dictionary: inner.dictionary,
    }))
}

/// `filter` over an input that carries the codes of its output column
/// `col`; they are output in the column's place (`in_place`) or appended.
fn coded_filter(filter: &FilterExec, col: usize, in_place: bool) -> Result<Option<Coded>> {
    let input_cols = filter.input().schema().fields().len();
    let mut projection: Vec<usize> = filter
        .projection()
        .as_ref()
        .map_or_else(|| (0..input_cols).collect(), |p| p.as_ref().to_vec());
    let Some(&input_col) = projection.get(col) else {
        return Ok(None);
    };
    let Some(inner) = with_codes(filter.input(), input_col)? else {
        return Ok(None);
    };
    let code = if in_place {
        projection[col] = inner.code;
        col
    } else {
        projection.push(inner.code);
        projection.len() - 1
    };
    let new = FilterExecBuilder::new(filter.predicate().clone(), inner.plan)
        .with_default_selectivity(filter.default_selectivity())
        .with_fetch(filter.fetch())
        .apply_projection(Some(projection))?
        .build()?;
    Ok(Some(Coded {
        plan: Arc::new(new),
        code,
        dictionary: inner.dictionary,
    }))
}

/// [`with_codes`], but where the aggregation's input is a filter (under
/// repartitions only) the filter outputs the codes in place of the strings,
/// which then are not copied for every row that passes: nothing above it
/// but the grouping reads the column.
fn with_codes_in_place(plan: &Arc<dyn ExecutionPlan>, col: usize) -> Result<Option<Coded>> {
    if plan.downcast_ref::<RepartitionExec>().is_some() {
        return coded_repartition(plan, col, with_codes_in_place);
    }
    if let Some(filter) = plan.downcast_ref::<FilterExec>() {
        return coded_filter(filter, col, true);
    }
    with_codes(plan, col)
}

fn rewrite(
    node: &Arc<dyn ExecutionPlan>,
    config: &Arc<ConfigOptions>,
) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some((agg, merge_mode)) = crate::pregroup::splittable(node) else {
        return Ok(None);
    };
    let input = agg.input().clone();
    let group = agg.group_expr();
    // The first grouping key that is a plain string column read by nothing
    // else.
    let schema = input.schema();
    let Some((key, col)) = group.expr().iter().enumerate().find_map(|(i, (e, _))| {
        let c = e.downcast_ref::<Column>()?;
        let string = schema.field(c.index()).data_type() == &DataType::Utf8;
        (string && !crate::pregroup::columns_read(agg, |k| k == i).contains(&c.index()))
            .then_some((i, c.index()))
    }) else {
        return Ok(None);
    };
    let Some(coded) = with_codes_in_place(&input, col)? else {
        return Ok(None);
    };
    let inner_group: Vec<(Arc<dyn PhysicalExpr>, String)> = group
        .expr()
        .iter()
        .enumerate()
        .map(|(i, (e, name))| {
            if i == key {
                let field = coded.plan.schema().field(coded.code).name().clone();
                (
                    Arc::new(Column::new(&field, coded.code)) as Arc<dyn PhysicalExpr>,
                    name.clone(),
                )
            } else {
                (e.clone(), name.clone())
            }
        })
        .collect();
    let inner = Arc::new(AggregateExec::try_new(
        AggregateMode::Partial,
        PhysicalGroupBy::new_single(inner_group),
        agg.aggr_expr().to_vec(),
        agg.filter_expr().to_vec(),
        coded.plan.clone(),
        coded.plan.schema(),
    )?);

    // Decode the key once per group; pass the rest through.
    let decode = Arc::new(ScalarUDF::new_from_impl(Decode {
        dictionary: coded.dictionary,
        signature: Signature::exact(vec![DataType::UInt32], Volatility::Immutable),
    }));
    // The decoded key keeps the string column's field (nullability and
    // the semantic type in its metadata).
    let original = schema.fields()[col].clone();
    let inner_schema = inner.schema();
    let mut exprs: Vec<ProjectionExpr> = Vec::with_capacity(inner_schema.fields().len());
    for (i, field) in inner_schema.fields().iter().enumerate() {
        let column: Arc<dyn PhysicalExpr> = Arc::new(Column::new(field.name(), i));
        let expr: Arc<dyn PhysicalExpr> = if i == key {
            Arc::new(ScalarFunctionExpr::new(
                DECODE,
                decode.clone(),
                vec![column],
                Arc::new(original.as_ref().clone().with_name(field.name())),
                config.clone(),
            ))
        } else {
            column
        };
        exprs.push(ProjectionExpr {
            expr,
            alias: field.name().clone(),
        });
    }
    crate::pregroup::merged(agg, merge_mode, exprs, inner).map(Some)
}

/// Codes → strings through one dictionary.
#[derive(Debug)]
struct Decode {
    dictionary: Arc<dyn StringDictionary>,
    signature: Signature,
}

impl PartialEq for Decode {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.dictionary, &other.dictionary)
    }
}

impl Eq for Decode {}

impl std::hash::Hash for Decode {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::ptr::hash(Arc::as_ptr(&self.dictionary).cast::<()>(), state);
    }
}

impl ScalarUDFImpl for Decode {
    fn name(&self) -> &str {
        DECODE
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [arg] = &args.args[..] else {
            return exec_err!("{DECODE} takes one argument");
        };
        let codes = arg.to_array(args.number_rows)?;
        let Some(codes) = codes.as_primitive_opt::<UInt32Type>() else {
            return exec_err!("{DECODE} takes UInt32 codes, not {}", codes.data_type());
        };
        let strings: ArrayRef = Arc::new(self.dictionary.decode(codes)?);
        debug_assert_eq!(strings.len(), codes.len());
        Ok(ColumnarValue::Array(strings))
    }
}
