//! PxL expressions → DataFusion expressions.

use crate::{Functions, PlanError, ucol};
use datafusion::arrow::datatypes::DataType as ArrowType;
use datafusion::common::ScalarValue;
use datafusion::functions::math::expr_fn as math;
use datafusion::functions_aggregate::expr_fn as agg;
use datafusion::logical_expr::{Expr, Operator, binary_expr, case, cast, lit, not};
use pxl_compiler::ir::{AggExpr, Literal, ScalarExpr, TypedExpr};
use pxl_stdlib::DataType;

fn literal(l: &Literal) -> Expr {
    match l {
        Literal::Bool(b) => lit(*b),
        Literal::Int(i) | Literal::Time(i) => lit(*i),
        Literal::Float(f) => lit(*f),
        Literal::Str(s) => lit(s.clone()),
        Literal::Uint128(u) => lit(ScalarValue::FixedSizeBinary(
            16,
            Some(u.to_be_bytes().to_vec()),
        )),
    }
}

/// The value Pixie uses where a value is missing: 0, 0.0, "", false.
pub fn default_value(ty: DataType) -> Expr {
    match ty {
        DataType::Boolean => lit(false),
        DataType::Int64 | DataType::Time64Ns => lit(0i64),
        DataType::Float64 => lit(0.0f64),
        DataType::String => lit(""),
        DataType::Uint128 => lit(ScalarValue::FixedSizeBinary(16, Some(vec![0; 16]))),
    }
}

fn to_float(e: Expr, ty: DataType) -> Expr {
    match ty {
        DataType::Float64 => e,
        _ => cast(e, ArrowType::Float64),
    }
}

fn to_int(e: Expr, ty: DataType) -> Expr {
    match ty {
        DataType::Boolean => cast(e, ArrowType::Int64),
        _ => e,
    }
}

fn truthy(e: Expr, ty: DataType) -> Expr {
    match ty {
        DataType::Boolean => e,
        _ => e.not_eq(lit(0i64)),
    }
}

/// `a op b` after bringing both sides to one type the way PxL's overloads do:
/// INT64 with FLOAT64 → FLOAT64, BOOLEAN with INT64 → INT64.
fn numeric(op: Operator, a: Expr, at: DataType, b: Expr, bt: DataType) -> Expr {
    use DataType::*;
    let (a, b) = match (at, bt) {
        (Float64, Int64 | Time64Ns) | (Int64 | Time64Ns, Float64) => {
            (to_float(a, at), to_float(b, bt))
        }
        (Boolean, Int64) | (Int64, Boolean) => (to_int(a, at), to_int(b, bt)),
        (Boolean, Float64) | (Float64, Boolean) => (to_float(a, at), to_float(b, bt)),
        _ => (a, b),
    };
    binary_expr(a, op, b)
}

pub fn lower(e: &TypedExpr, f: &Functions) -> Result<Expr, PlanError> {
    match &e.expr {
        ScalarExpr::Column { name, .. } => Ok(ucol(name)),
        ScalarExpr::Literal(l) => Ok(literal(l)),
        ScalarExpr::Call { func, args } => call(func, args, f),
    }
}

fn call(func: &str, args: &[TypedExpr], f: &Functions) -> Result<Expr, PlanError> {
    let lowered = args
        .iter()
        .map(|a| lower(a, f))
        .collect::<Result<Vec<_>, _>>()?;
    let tys: Vec<DataType> = args.iter().map(|a| a.ty).collect();
    let two = || -> Result<(Expr, DataType, Expr, DataType), PlanError> {
        match (lowered.first(), lowered.get(1)) {
            (Some(a), Some(b)) => Ok((a.clone(), tys[0], b.clone(), tys[1])),
            _ => Err(PlanError::Unsupported(format!(
                "`{func}` needs two arguments"
            ))),
        }
    };
    let one = || -> Result<(Expr, DataType), PlanError> {
        match lowered.first() {
            Some(a) => Ok((a.clone(), tys[0])),
            None => Err(PlanError::Unsupported(format!(
                "`{func}` needs an argument"
            ))),
        }
    };
    let cmp = |op| -> Result<Expr, PlanError> {
        let (a, at, b, bt) = two()?;
        Ok(numeric(op, a, at, b, bt))
    };
    Ok(match func {
        "add" => {
            let (a, at, b, bt) = two()?;
            if at == DataType::String {
                binary_expr(a, Operator::StringConcat, b)
            } else {
                numeric(Operator::Plus, a, at, b, bt)
            }
        }
        "subtract" => cmp(Operator::Minus)?,
        "multiply" => cmp(Operator::Multiply)?,
        "divide" => {
            let (a, at, b, bt) = two()?;
            binary_expr(to_float(a, at), Operator::Divide, to_float(b, bt))
        }
        "modulo" => cmp(Operator::Modulo)?,
        "equal" => cmp(Operator::Eq)?,
        "notEqual" => cmp(Operator::NotEq)?,
        "lessThan" => cmp(Operator::Lt)?,
        "lessThanEqual" => cmp(Operator::LtEq)?,
        "greaterThan" => cmp(Operator::Gt)?,
        "greaterThanEqual" => cmp(Operator::GtEq)?,
        "approxEqual" => {
            let (a, _, b, _) = two()?;
            math::abs(a - b).lt(lit(1e-6f64))
        }
        "logicalAnd" => {
            let (a, at, b, bt) = two()?;
            truthy(a, at).and(truthy(b, bt))
        }
        "logicalOr" => {
            let (a, at, b, bt) = two()?;
            truthy(a, at).or(truthy(b, bt))
        }
        "logicalNot" => {
            let (a, at) = one()?;
            not(truthy(a, at))
        }
        "negate" => {
            let (a, _) = one()?;
            Expr::Negative(Box::new(a))
        }
        "invert" => {
            let (a, _) = one()?;
            binary_expr(a, Operator::BitwiseXor, lit(-1i64))
        }
        "abs" => {
            let (a, _) = one()?;
            math::abs(a)
        }
        "sqrt" => {
            // power(x, 0.5) is NaN for negative x, as in Pixie; DataFusion's
            // sqrt fails the query instead.
            let (a, at) = one()?;
            math::power(to_float(a, at), lit(0.5f64))
        }
        "exp" => {
            let (a, at) = one()?;
            math::exp(to_float(a, at))
        }
        "ln" => {
            let (a, at) = one()?;
            math::ln(to_float(a, at))
        }
        "log2" => {
            let (a, at) = one()?;
            math::log2(to_float(a, at))
        }
        "log10" => {
            let (a, at) = one()?;
            math::log10(to_float(a, at))
        }
        "log" => {
            let (b, bt, v, vt) = two()?;
            math::ln(to_float(v, vt)) / math::ln(to_float(b, bt))
        }
        "pow" => {
            let (b, bt, e, et) = two()?;
            math::power(to_float(b, bt), to_float(e, et))
        }
        "ceil" => {
            let (a, at) = one()?;
            cast(math::ceil(to_float(a, at)), ArrowType::Int64)
        }
        "floor" => {
            let (a, at) = one()?;
            cast(math::floor(to_float(a, at)), ArrowType::Int64)
        }
        "select" => {
            if lowered.len() != 3 {
                return Err(PlanError::Unsupported(
                    "`select` needs three arguments".into(),
                ));
            }
            case(lowered[0].clone())
                .when(lit(true), lowered[1].clone())
                .otherwise(lowered[2].clone())?
        }
        "time_to_int64" | "int64_to_time" => one()?.0,
        _ => {
            let udf = f
                .scalar
                .get(func)
                .ok_or_else(|| PlanError::MissingFunction(func.to_string()))?;
            udf.call(lowered)
        }
    })
}

/// One aggregate of an `agg()` call.
pub fn aggregate(a: &AggExpr, f: &Functions) -> Result<Expr, PlanError> {
    let arg = a
        .args
        .first()
        .ok_or_else(|| PlanError::Unsupported(format!("`{}` needs an argument", a.func)))?;
    let e = lower(arg, f)?;
    let ty = arg.ty;
    Ok(match a.func.as_str() {
        "count" => agg::count(e),
        // Sums of nothing are 0, not null (fixed up in `finish_aggregate`).
        "sum" => match ty {
            DataType::Boolean => agg::sum(cast(e, ArrowType::Int64)),
            _ => agg::sum(e),
        },
        "mean" => agg::avg(to_float(e, ty)),
        "min" => agg::min(e),
        "max" => agg::max(e),
        "any" => agg::any_value(e),
        // A sample of one value per group; DataFusion's any_value keeps one
        // arbitrary value, which is what a reservoir of size one gives.
        "sample" => agg::any_value(e),
        "quantiles" => match a.quantile {
            Some(q) => f.quantile.call(vec![e, lit(q)]),
            None => f.quantiles.call(vec![e]),
        },
        other => {
            return Err(PlanError::MissingFunction(other.to_string()));
        }
    })
}
