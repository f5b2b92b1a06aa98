//! Small helpers that turn per-value Rust closures into Arrow kernels.
//! Every helper propagates nulls: a null argument gives a null result.

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, FixedSizeBinaryArray, Float64Array, Int64Array,
    StringArray,
};
use datafusion::arrow::datatypes::Int64Type;
use datafusion::common::{Result, exec_err};
use std::sync::Arc;

pub fn str_arg(a: &ArrayRef) -> Result<&StringArray> {
    match a.as_string_opt::<i32>() {
        Some(s) => Ok(s),
        None => exec_err!("expected a STRING argument, got {}", a.data_type()),
    }
}

pub fn int_arg(a: &ArrayRef) -> Result<&Int64Array> {
    match a.as_primitive_opt::<Int64Type>() {
        Some(s) => Ok(s),
        None => exec_err!("expected an INT64 argument, got {}", a.data_type()),
    }
}

pub fn float_arg(a: &ArrayRef) -> Result<&Float64Array> {
    match a.as_primitive_opt::<datafusion::arrow::datatypes::Float64Type>() {
        Some(s) => Ok(s),
        None => exec_err!("expected a FLOAT64 argument, got {}", a.data_type()),
    }
}

pub fn uint128_arg(a: &ArrayRef) -> Result<&FixedSizeBinaryArray> {
    match a.as_fixed_size_binary_opt() {
        Some(s) if s.value_length() == 16 => Ok(s),
        _ => exec_err!("expected a UINT128 argument, got {}", a.data_type()),
    }
}

/// The UINT128 at row `i`.
pub fn u128_at(a: &FixedSizeBinaryArray, i: usize) -> u128 {
    let mut b = [0u8; 16];
    b.copy_from_slice(a.value(i));
    u128::from_be_bytes(b)
}

fn opt<T: Array + ?Sized>(a: &T, i: usize) -> bool {
    a.is_valid(i)
}

macro_rules! collect_into {
    (str, $it:expr) => {
        Arc::new($it.collect::<StringArray>()) as ArrayRef
    };
    (int, $it:expr) => {
        Arc::new($it.collect::<Int64Array>()) as ArrayRef
    };
    (float, $it:expr) => {
        Arc::new($it.collect::<Float64Array>()) as ArrayRef
    };
    (bool, $it:expr) => {
        Arc::new($it.collect::<BooleanArray>()) as ArrayRef
    };
}

/// STRING → STRING.
pub fn s_s(args: &[ArrayRef], f: impl Fn(&str) -> String) -> Result<ArrayRef> {
    let a = str_arg(&args[0])?;
    Ok(collect_into!(str, a.iter().map(|v| v.map(&f))))
}

/// STRING → INT64.
pub fn s_i(args: &[ArrayRef], f: impl Fn(&str) -> i64) -> Result<ArrayRef> {
    let a = str_arg(&args[0])?;
    Ok(collect_into!(int, a.iter().map(|v| v.map(&f))))
}

/// STRING → BOOLEAN.
pub fn s_b(args: &[ArrayRef], f: impl Fn(&str) -> bool) -> Result<ArrayRef> {
    let a = str_arg(&args[0])?;
    Ok(collect_into!(bool, a.iter().map(|v| v.map(&f))))
}

/// (STRING, STRING) → STRING.
pub fn ss_s(args: &[ArrayRef], f: impl Fn(&str, &str) -> String) -> Result<ArrayRef> {
    let (a, b) = (str_arg(&args[0])?, str_arg(&args[1])?);
    Ok(collect_into!(
        str,
        a.iter().zip(b.iter()).map(|(x, y)| Some(f(x?, y?)))
    ))
}

/// (STRING, STRING) → BOOLEAN.
pub fn ss_b(args: &[ArrayRef], f: impl Fn(&str, &str) -> bool) -> Result<ArrayRef> {
    let (a, b) = (str_arg(&args[0])?, str_arg(&args[1])?);
    Ok(collect_into!(
        bool,
        a.iter().zip(b.iter()).map(|(x, y)| Some(f(x?, y?)))
    ))
}

/// (STRING, STRING) → INT64.
pub fn ss_i(args: &[ArrayRef], f: impl Fn(&str, &str) -> i64) -> Result<ArrayRef> {
    let (a, b) = (str_arg(&args[0])?, str_arg(&args[1])?);
    Ok(collect_into!(
        int,
        a.iter().zip(b.iter()).map(|(x, y)| Some(f(x?, y?)))
    ))
}

/// (STRING, STRING) → FLOAT64.
pub fn ss_f(args: &[ArrayRef], f: impl Fn(&str, &str) -> f64) -> Result<ArrayRef> {
    let (a, b) = (str_arg(&args[0])?, str_arg(&args[1])?);
    Ok(collect_into!(
        float,
        a.iter().zip(b.iter()).map(|(x, y)| Some(f(x?, y?)))
    ))
}

/// (STRING, INT64) → STRING.
pub fn si_s(args: &[ArrayRef], f: impl Fn(&str, i64) -> String) -> Result<ArrayRef> {
    let (a, b) = (str_arg(&args[0])?, int_arg(&args[1])?);
    Ok(collect_into!(
        str,
        a.iter().zip(b.iter()).map(|(x, y)| Some(f(x?, y?)))
    ))
}

/// (STRING, INT64) → INT64.
pub fn si_i(args: &[ArrayRef], f: impl Fn(&str, i64) -> i64) -> Result<ArrayRef> {
    let (a, b) = (str_arg(&args[0])?, int_arg(&args[1])?);
    Ok(collect_into!(
        int,
        a.iter().zip(b.iter()).map(|(x, y)| Some(f(x?, y?)))
    ))
}

/// INT64 → STRING.
pub fn i_s(args: &[ArrayRef], f: impl Fn(i64) -> String) -> Result<ArrayRef> {
    let a = int_arg(&args[0])?;
    Ok(collect_into!(str, a.iter().map(|v| v.map(&f))))
}

/// (INT64, INT64) → STRING.
pub fn ii_s(args: &[ArrayRef], f: impl Fn(i64, i64) -> String) -> Result<ArrayRef> {
    let (a, b) = (int_arg(&args[0])?, int_arg(&args[1])?);
    Ok(collect_into!(
        str,
        a.iter().zip(b.iter()).map(|(x, y)| Some(f(x?, y?)))
    ))
}

/// (FLOAT64, INT64) → STRING.
pub fn fi_s(args: &[ArrayRef], f: impl Fn(f64, i64) -> String) -> Result<ArrayRef> {
    let (a, b) = (float_arg(&args[0])?, int_arg(&args[1])?);
    Ok(collect_into!(
        str,
        a.iter().zip(b.iter()).map(|(x, y)| Some(f(x?, y?)))
    ))
}

/// UINT128 → STRING.
pub fn u_s(args: &[ArrayRef], f: impl Fn(u128) -> String) -> Result<ArrayRef> {
    let a = uint128_arg(&args[0])?;
    Ok(collect_into!(
        str,
        (0..a.len()).map(|i| opt(a, i).then(|| f(u128_at(a, i))))
    ))
}

/// UINT128 → INT64.
pub fn u_i(args: &[ArrayRef], f: impl Fn(u128) -> i64) -> Result<ArrayRef> {
    let a = uint128_arg(&args[0])?;
    Ok(collect_into!(
        int,
        (0..a.len()).map(|i| opt(a, i).then(|| f(u128_at(a, i))))
    ))
}

/// Zero arguments → one constant per row. `n` is the batch length, which a
/// nullary UDF receives as an empty argument list; callers pass it in.
pub fn constant_str(n: usize, v: &str) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(std::iter::repeat_n(v, n)))
}

pub fn constant_int(n: usize, v: i64) -> ArrayRef {
    Arc::new(Int64Array::from_iter_values(std::iter::repeat_n(v, n)))
}

/// Rows of any number of STRING arguments → STRING (null if any is null).
pub fn strs_s(args: &[ArrayRef], f: impl Fn(&[&str]) -> String) -> Result<ArrayRef> {
    let arrays = args.iter().map(str_arg).collect::<Result<Vec<_>>>()?;
    let n = arrays.first().map_or(0, |a| a.len());
    let mut row: Vec<&str> = Vec::with_capacity(arrays.len());
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        row.clear();
        if arrays.iter().any(|a| a.is_null(i)) {
            out.push(None);
            continue;
        }
        row.extend(arrays.iter().map(|a| a.value(i)));
        out.push(Some(f(&row)));
    }
    Ok(Arc::new(StringArray::from(out)))
}

/// The single value of a literal argument (an init argument such as a regex
/// pattern): PxL requires it to be the same on every row.
pub fn literal_str(a: &ArrayRef, what: &str) -> Result<Option<String>> {
    let s = str_arg(a)?;
    if s.is_empty() {
        return Ok(None);
    }
    if s.is_null(0) {
        return exec_err!("{what} must not be null");
    }
    Ok(Some(s.value(0).to_string()))
}
