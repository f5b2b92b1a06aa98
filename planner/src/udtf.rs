//! Table-valued functions that make sense on one node: the schemas and
//! function lists (from the registry), the version, the agent status and the
//! Linux-headers status. Each becomes an in-memory table whose columns are
//! the registry's output relation.

use crate::{Functions, PlanError};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, FixedSizeBinaryArray, Int64Array, RecordBatch, StringArray,
};
use datafusion::arrow::datatypes::Schema;
use datafusion::catalog::TableProvider;
use datafusion::common::DataFusionError;
use datafusion::datasource::MemTable;
use pxl_compiler::ir::Literal;
use pxl_stdlib::DataType;
use pxl_stdlib::functions::{FnKind, registry};
use pxl_stdlib::runtime::field;
use std::sync::Arc;

/// One column of a function's output, as values.
enum Values {
    Str(Vec<String>),
    Int(Vec<i64>),
    Bool(Vec<bool>),
    U128(Vec<u128>),
}

fn strs(v: impl IntoIterator<Item = impl Into<String>>) -> Values {
    Values::Str(v.into_iter().map(Into::into).collect())
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// The in-memory table for a call of `func`.
pub fn provider(
    func: &str,
    _args: &[(String, Literal)],
    f: &Functions,
) -> Result<Arc<dyn TableProvider>, PlanError> {
    let spec = registry()
        .get(func)
        .ok_or_else(|| PlanError::MissingFunction(func.to_string()))?;
    let columns = spec
        .overloads
        .first()
        .map(|o| o.columns.clone())
        .unwrap_or_default();
    let reg = registry();
    let values: Vec<Values> = match func {
        "GetTables" => {
            let t = pxl_stdlib::tables::tables();
            vec![
                strs(t.iter().map(|t| t.name)),
                strs(t.iter().map(|t| t.desc)),
            ]
        }
        "GetSchemas" => {
            let rows: Vec<_> = pxl_stdlib::tables::tables()
                .iter()
                .flat_map(|t| t.columns.iter().map(move |c| (t, c)))
                .collect();
            vec![
                strs(rows.iter().map(|(t, _)| t.name)),
                strs(rows.iter().map(|(_, c)| c.name)),
                strs(rows.iter().map(|(_, c)| c.ty.name())),
                strs(rows.iter().map(|(_, c)| c.pattern.name())),
                strs(rows.iter().map(|(_, c)| c.desc)),
            ]
        }
        "GetUDFList" | "GetUDAList" => {
            let kind = if func == "GetUDFList" {
                FnKind::Scalar
            } else {
                FnKind::Aggregate
            };
            let rows: Vec<(String, String, String)> = reg
                .functions()
                .iter()
                .filter(|x| x.spec.kind == kind)
                .flat_map(|x| {
                    x.overloads.iter().map(move |o| {
                        let args: Vec<&str> = o.params.iter().map(|p| p.ty.name()).collect();
                        (
                            x.name().to_string(),
                            o.ret.name().to_string(),
                            args.join(","),
                        )
                    })
                })
                .collect();
            vec![
                strs(rows.iter().map(|r| r.0.clone())),
                strs(rows.iter().map(|r| r.1.clone())),
                strs(rows.iter().map(|r| r.2.clone())),
            ]
        }
        "GetUDTFList" => {
            let rows: Vec<_> = reg
                .functions()
                .iter()
                .filter(|x| x.spec.kind == FnKind::TableValued)
                .collect();
            vec![
                strs(rows.iter().map(|x| x.name())),
                strs(rows.iter().map(|_| "UDTF_ONE_KELVIN")),
                strs(rows.iter().map(|x| {
                    x.overloads
                        .first()
                        .map(|o| {
                            o.params
                                .iter()
                                .map(|p| format!("{}:{}", p.name, p.ty.name()))
                                .collect::<Vec<_>>()
                                .join(",")
                        })
                        .unwrap_or_default()
                })),
                strs(rows.iter().map(|x| {
                    x.overloads
                        .first()
                        .map(|o| {
                            o.columns
                                .iter()
                                .map(|(n, t)| format!("{n}:{}", t.name()))
                                .collect::<Vec<_>>()
                                .join(",")
                        })
                        .unwrap_or_default()
                })),
            ]
        }
        "Version" => vec![
            Values::Int(vec![i64::from(f.env.asid)]),
            strs([concat!("pxl ", env!("CARGO_PKG_VERSION"))]),
        ],
        "GetAgentStatus" => {
            let env = &f.env;
            let now = now_ns();
            vec![
                Values::U128(vec![u128::from(env.asid)]),
                Values::Int(vec![i64::from(env.asid)]),
                strs([env.hostname.clone()]),
                strs([String::new()]),
                strs(["AGENT_STATE_HEALTHY"]),
                Values::Int(vec![now]),
                Values::Int(vec![0]),
                Values::Bool(vec![
                    std::path::Path::new("/sys/kernel/btf/vmlinux").exists(),
                ]),
            ]
        }
        // No tracepoints can be deployed on one node: an empty table.
        "GetTracepointStatus" => vec![
            Values::U128(Vec::new()),
            strs(Vec::<String>::new()),
            strs(Vec::<String>::new()),
            strs(Vec::<String>::new()),
            strs(Vec::<String>::new()),
        ],
        "GetLinuxHeadersStatus" => vec![
            Values::Int(vec![i64::from(f.env.asid)]),
            Values::Bool(vec![
                std::path::Path::new("/sys/kernel/btf/vmlinux").exists(),
            ]),
        ],
        other => {
            return Err(PlanError::Unsupported(format!(
                "table function `{other}` is not available when running on one node"
            )));
        }
    };
    if values.len() != columns.len() {
        return Err(PlanError::Unsupported(format!(
            "table function `{func}`: {} columns produced for {} declared",
            values.len(),
            columns.len()
        )));
    }
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, t)| field(n, *t, None))
            .collect::<Vec<_>>(),
    ));
    let arrays: Vec<ArrayRef> = values
        .into_iter()
        .zip(&columns)
        .map(|(v, (_, t))| -> Result<ArrayRef, PlanError> {
            Ok(match v {
                Values::Str(s) => Arc::new(StringArray::from(s)) as ArrayRef,
                Values::Int(i) => Arc::new(Int64Array::from(i)),
                Values::Bool(b) => Arc::new(BooleanArray::from(b)),
                Values::U128(u) => Arc::new(
                    FixedSizeBinaryArray::try_from_sparse_iter_with_size(
                        u.into_iter().map(|x| Some(x.to_be_bytes())),
                        16,
                    )
                    .map_err(DataFusionError::from)?,
                ),
            })
            .and_then(|a| {
                if pxl_stdlib::runtime::arrow_type(*t) == *a.data_type() || *t == DataType::Time64Ns
                {
                    Ok(a)
                } else {
                    Err(PlanError::Unsupported(format!(
                        "table function `{func}` produced the wrong type"
                    )))
                }
            })
        })
        .collect::<Result<_, _>>()?;
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(DataFusionError::from)?;
    Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
}
