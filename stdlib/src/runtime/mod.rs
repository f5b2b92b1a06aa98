//! The runtime half of the standard library (feature `runtime`): Arrow
//! schemas of the tables, the metadata the metadata functions read, and
//! every function as a DataFusion UDF/UDAF.
//!
//! Physical representation of PxL types in Arrow:
//!
//! | PxL      | Arrow                          |
//! |----------|--------------------------------|
//! | BOOLEAN  | Boolean                        |
//! | INT64    | Int64                          |
//! | FLOAT64  | Float64                        |
//! | STRING   | Utf8                           |
//! | TIME64NS | Int64 (nanoseconds since the epoch; field metadata says TIME64NS) |
//! | UINT128  | FixedSizeBinary(16), big-endian (high 64 bits first) |
//!
//! TIME64NS stays a plain Int64 so that PxL's time arithmetic (`time_ - x`,
//! `px.bin(time_, ...)`) is integer arithmetic, exactly as in Pixie; the PxL
//! type and semantic type of each column travel as field metadata
//! ([`PXL_TYPE_KEY`], [`PXL_SEMANTIC_KEY`]).

pub mod aggregate;
pub mod kernels;
pub mod metadata;
mod metadata_fns;
pub mod names;
mod paths;
mod pii;
pub mod scalar;
pub mod sql;
pub mod udf;

pub use scalar::{ExecEnv, HostsResolver, Resolver, scalar_udfs};

use crate::datatype::{DataType, SemanticType};
use crate::tables::Table;
use datafusion::arrow::datatypes::{DataType as ArrowType, Field, Schema, SchemaRef};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};
use std::collections::HashMap;
use std::sync::Arc;

/// Field metadata key holding the PxL data type name (`TIME64NS`, ...).
pub const PXL_TYPE_KEY: &str = "pxl.type";
/// Field metadata key holding the semantic type name (`ST_DURATION_NS`, ...).
pub const PXL_SEMANTIC_KEY: &str = "pxl.semantic";

/// The Arrow type that carries values of a PxL type.
pub fn arrow_type(ty: DataType) -> ArrowType {
    match ty {
        DataType::Boolean => ArrowType::Boolean,
        DataType::Int64 | DataType::Time64Ns => ArrowType::Int64,
        DataType::Float64 => ArrowType::Float64,
        DataType::String => ArrowType::Utf8,
        DataType::Uint128 => ArrowType::FixedSizeBinary(16),
    }
}

/// An Arrow field for a PxL column, with its types as metadata.
pub fn field(name: &str, ty: DataType, semantic: Option<SemanticType>) -> Field {
    let mut md = HashMap::new();
    md.insert(PXL_TYPE_KEY.to_string(), ty.name().to_string());
    if let Some(s) = semantic
        && !matches!(s, SemanticType::None | SemanticType::Unspecified)
    {
        md.insert(PXL_SEMANTIC_KEY.to_string(), s.name().to_string());
    }
    Field::new(name, arrow_type(ty), true).with_metadata(md)
}

/// The PxL type of an Arrow field: from its metadata when present, else
/// from the Arrow type (Int64 is INT64, never TIME64NS, without metadata).
pub fn pxl_type(f: &Field) -> Option<DataType> {
    if let Some(name) = f.metadata().get(PXL_TYPE_KEY) {
        return DataType::ALL.into_iter().find(|t| t.name() == name);
    }
    match f.data_type() {
        ArrowType::Boolean => Some(DataType::Boolean),
        ArrowType::Int64 => Some(DataType::Int64),
        ArrowType::Float64 => Some(DataType::Float64),
        ArrowType::Utf8 => Some(DataType::String),
        ArrowType::FixedSizeBinary(16) => Some(DataType::Uint128),
        _ => None,
    }
}

/// The Arrow schema of a table, in the registry's column order.
pub fn table_schema(table: &Table) -> SchemaRef {
    Arc::new(Schema::new(
        table
            .columns
            .iter()
            .map(|c| field(c.name, c.ty, Some(c.semantic)))
            .collect::<Vec<_>>(),
    ))
}

/// A UINT128 as the 16 big-endian bytes of its Arrow representation.
pub fn u128_bytes(v: u128) -> [u8; 16] {
    v.to_be_bytes()
}

/// A UINT128 as UUID text, as Pixie shows UPIDs.
pub fn uuid(v: u128) -> String {
    let h = format!("{v:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// A UPID from its parts: high 64 bits = asid << 32 | pid, low = start time
/// in clock ticks (as /proc/PID/stat shows it).
pub fn upid(asid: u32, pid: u32, start_ticks: u64) -> u128 {
    ((((asid as u64) << 32) | pid as u64) as u128) << 64 | start_ticks as u128
}

/// The parts of a UPID: (asid, pid, start time).
pub fn upid_parts(v: u128) -> (u32, u32, u64) {
    let high = (v >> 64) as u64;
    ((high >> 32) as u32, high as u32, v as u64)
}

/// How a scan takes `filters`: only `time_` bounds ([`is_time_filter`]) are
/// pushed. A scan that only prunes whole batches by them takes them as
/// `Inexact` (DataFusion keeps the filter above it); one that also drops
/// the rows outside [`time_bounds`] from the batches it keeps, as `exact`.
/// Other filters are not pushed.
pub fn time_filter_pushdown(
    filters: &[&Expr],
    has_time: bool,
    exact: bool,
) -> Vec<datafusion::logical_expr::TableProviderFilterPushDown> {
    use datafusion::logical_expr::TableProviderFilterPushDown as P;
    filters
        .iter()
        .map(|f| {
            if has_time && is_time_filter(f) {
                if exact { P::Exact } else { P::Inexact }
            } else {
                P::Unsupported
            }
        })
        .collect()
}

/// Whether a filter only bounds `time_` by integer literals (what a table
/// store can prune batches on).
pub fn is_time_filter(e: &Expr) -> bool {
    match e {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::And => is_time_filter(left) && is_time_filter(right),
            Operator::Gt | Operator::GtEq | Operator::Lt | Operator::LtEq => matches!(
                (left.as_ref(), right.as_ref()),
                (Expr::Column(c), Expr::Literal(ScalarValue::Int64(Some(_)), _))
                | (Expr::Literal(ScalarValue::Int64(Some(_)), _), Expr::Column(c))
                if c.name == "time_"
            ),
            _ => false,
        },
        _ => false,
    }
}

/// The `time_` range implied by pushed-down filters: `time_ >= x`,
/// `time_ > x`, `time_ <= x`, `time_ < x` (either side), joined by AND.
pub fn time_bounds(filters: &[Expr]) -> (Option<i64>, Option<i64>) {
    let mut start: Option<i64> = None;
    let mut end: Option<i64> = None;
    let mut visit = Vec::from_iter(filters.iter());
    while let Some(e) = visit.pop() {
        let Expr::BinaryExpr(BinaryExpr { left, op, right }) = e else {
            continue;
        };
        if *op == Operator::And {
            visit.push(left);
            visit.push(right);
            continue;
        }
        let (op, value) = match (left.as_ref(), right.as_ref()) {
            (Expr::Column(c), Expr::Literal(v, _)) if c.name == "time_" => (*op, v),
            (Expr::Literal(v, _), Expr::Column(c)) if c.name == "time_" => match op.swap() {
                Some(o) => (o, v),
                None => continue,
            },
            _ => continue,
        };
        let ScalarValue::Int64(Some(v)) = value else {
            continue;
        };
        // `time_ > i64::MAX` and `time_ < i64::MIN` hold for no row.
        let (first, last) = match op {
            Operator::GtEq => (Some(*v), None),
            Operator::Gt => (
                Some(v.checked_add(1).unwrap_or(i64::MAX)),
                v.checked_add(1).map_or(Some(i64::MIN), |_| None),
            ),
            Operator::LtEq => (None, Some(*v)),
            Operator::Lt => (
                v.checked_sub(1).map_or(Some(i64::MAX), |_| None),
                Some(v.checked_sub(1).unwrap_or(i64::MIN)),
            ),
            _ => (None, None),
        };
        if let Some(f) = first {
            start = Some(start.map_or(f, |s| s.max(f)));
        }
        if let Some(l) = last {
            end = Some(end.map_or(l, |e| e.min(l)));
        }
    }
    (start, end)
}
