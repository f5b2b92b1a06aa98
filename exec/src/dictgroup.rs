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
//! Projection(decode(code) as s, ...)               once per group
//!   Aggregate(mode, by=[code as s, ...], aggs)
//!     Filter / Projection / Repartition ...        code passed through
//!       Scan(..., s, code)
//! ```
//! Nothing is merged: a code stands for exactly one string of its table
//! and one string has exactly one code, so the groups by code are the
//! groups by string, one for one, and every aggregate sees the same rows
//! in the same order — results are identical, floats and digests included.
//!
//! The rewrite applies only when every batch the scan read has
//! codes for the column (a column whose distinct values outgrew the store's
//! dictionary limit has none), the column reaches the aggregation unchanged
//! through filters, plain column projections and repartitions, and no
//! aggregate or other grouping key reads it.
//!
//! [`FilterByStringCodes`] does the same for filters: `s = 'GET'` and
//! `s != 'GET'` compare the code column with the literal's code (a literal
//! the dictionary does not hold gets a code no value has, so nulls and
//! negation behave as before). The scan's batches all predate the plan, so
//! a value missing from the dictionary when the plan is made is in none of
//! them.
//!
//! Codes are local to one table store: the rule only sees local scans
//! (`DataSourceExec` over memory), never a cluster's remote scans, so no
//! code ever leaves the process that made it.

use crate::densegroup::DenseCodeAggregateExec;
use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
use datafusion::arrow::datatypes::{DataType, UInt32Type};
use datafusion::common::ScalarValue;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{Result, exec_err};
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::source::{DataSource, DataSourceExec};
use datafusion::logical_expr::Operator;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::physical_expr::expressions::{BinaryExpr, Column, Literal};
use datafusion::physical_expr::{PhysicalExpr, ScalarFunctionExpr};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::aggregates::{AggregateExec, PhysicalGroupBy};
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
    /// The code of `value`, if the dictionary holds it.
    fn code(&self, value: &str) -> Option<u32>;
}

/// The code a comparison uses for a literal the dictionary does not hold:
/// dictionaries stop far below it, so no value has it.
const NO_CODE: u32 = u32::MAX;

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

/// The physical optimizer rule for filters; see the module documentation.
#[derive(Debug, Default)]
pub struct FilterByStringCodes;

impl PhysicalOptimizerRule for FilterByStringCodes {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        crate::pregroup::rewrite_each(plan, config, rewrite_filter)
    }

    fn name(&self) -> &str {
        "pxl_filter_by_string_codes"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

/// `e` as `column = 'literal'` or `column != 'literal'` (either way
/// round) over a string column of `schema`: the column, whether the
/// comparison is `=`, and the literal.
fn string_comparison<'a>(
    e: &'a Arc<dyn PhysicalExpr>,
    schema: &datafusion::arrow::datatypes::Schema,
) -> Option<(&'a Column, bool, &'a str)> {
    let b = e.downcast_ref::<BinaryExpr>()?;
    let eq = match b.op() {
        Operator::Eq => true,
        Operator::NotEq => false,
        _ => return None,
    };
    let (col, lit) = match (
        b.left().downcast_ref::<Column>(),
        b.right().downcast_ref::<Literal>(),
    ) {
        (Some(c), Some(l)) => (c, l),
        _ => (
            b.right().downcast_ref::<Column>()?,
            b.left().downcast_ref::<Literal>()?,
        ),
    };
    let ScalarValue::Utf8(Some(value)) = lit.value() else {
        return None;
    };
    (schema.fields().get(col.index())?.data_type() == &DataType::Utf8).then_some((
        col,
        eq,
        value.as_str(),
    ))
}

fn rewrite_filter(
    node: &Arc<dyn ExecutionPlan>,
    _config: &Arc<ConfigOptions>,
) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let Some(filter) = node.downcast_ref::<FilterExec>() else {
        return Ok(None);
    };
    let schema = filter.input().schema();
    let mut columns = Vec::new();
    filter.predicate().apply(|e| {
        if let Some((c, _, _)) = string_comparison(e, &schema)
            && !columns.contains(&c.index())
        {
            columns.push(c.index());
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    let mut input = filter.input().clone();
    let mut predicate = filter.predicate().clone();
    let mut changed = false;
    for col in columns {
        // Each column's codes are appended after the columns before, so
        // the predicate's column indexes stay valid.
        let Some(coded) = with_codes(&input, col)? else {
            continue;
        };
        let code_name = coded.plan.schema().field(coded.code).name().clone();
        predicate = predicate
            .transform_up(|e| {
                let Some((c, eq, value)) = string_comparison(&e, &schema) else {
                    return Ok(Transformed::no(e));
                };
                if c.index() != col {
                    return Ok(Transformed::no(e));
                }
                let code = coded.dictionary.code(value).unwrap_or(NO_CODE);
                let op = if eq { Operator::Eq } else { Operator::NotEq };
                Ok(Transformed::yes(Arc::new(BinaryExpr::new(
                    Arc::new(Column::new(&code_name, coded.code)),
                    op,
                    Arc::new(Literal::new(ScalarValue::UInt32(Some(code)))),
                ))
                    as Arc<dyn PhysicalExpr>))
            })?
            .data;
        input = coded.plan;
        changed = true;
    }
    if !changed {
        return Ok(None);
    }
    // The same output as before: the code columns are not passed on.
    let projection = filter.projection().as_ref().map_or_else(
        || (0..schema.fields().len()).collect(),
        |p| p.as_ref().to_vec(),
    );
    let new = FilterExecBuilder::new(predicate, input)
        .with_default_selectivity(filter.default_selectivity())
        .with_fetch(filter.fetch())
        .apply_projection(Some(projection))?
        .build()?;
    Ok(Some(Arc::new(new)))
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
    // The split preconditions of [`crate::pregroup`]; the merge mode it
    // would use is not needed here.
    let Some((agg, _)) = crate::pregroup::splittable(node) else {
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
        *agg.mode(),
        PhysicalGroupBy::new_single(inner_group),
        agg.aggr_expr().to_vec(),
        agg.filter_expr().to_vec(),
        coded.plan.clone(),
        coded.plan.schema(),
    )?);
    // Codes are dense: index groups by code, folding in a filter below.
    let inner: Arc<dyn ExecutionPlan> = match DenseCodeAggregateExec::try_new(inner.clone()) {
        Some(dense) => Arc::new(dense),
        None => inner,
    };

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
    Ok(Some(Arc::new(ProjectionExec::try_new(exprs, inner)?)))
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
