//! Small helpers that turn per-value Rust closures into Arrow kernels.
//! Every helper propagates nulls: a null argument gives a null result.

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, FixedSizeBinaryArray, Float64Array, Int64Array,
    StringArray, StringBuilder,
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
///
/// `f` is called once per distinct UPID of the batch (see [`UpidMemo`]).
pub fn u_s(args: &[ArrayRef], f: impl Fn(u128) -> String) -> Result<ArrayRef> {
    let a = uint128_arg(&args[0])?;
    let n = a.len();
    let mut memo = UpidMemo::default();
    let picks: Vec<Option<usize>> = (0..n)
        .map(|i| opt(a, i).then(|| memo.index(u128_at(a, i), &f)))
        .collect();
    let values = memo.values;
    let bytes: usize = picks.iter().flatten().map(|&at| values[at].len()).sum();
    let mut out = StringBuilder::with_capacity(n, bytes);
    for p in picks {
        match p {
            Some(at) => out.append_value(&values[at]),
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// Answers of a function of a UPID, worked out once per distinct UPID. A
/// batch holds the rows of few processes (often in runs), while the
/// metadata functions chase several maps and build a string per call.
pub struct UpidMemo<V> {
    pub values: Vec<V>,
    seen: datafusion::common::HashMap<u128, usize>,
    last: Option<(u128, usize)>,
}

impl<V> Default for UpidMemo<V> {
    fn default() -> Self {
        UpidMemo {
            values: Vec::new(),
            seen: Default::default(),
            last: None,
        }
    }
}

impl<V> UpidMemo<V> {
    /// The index in `values` of `f(u)`, calling `f` only for a new `u`.
    pub fn index(&mut self, u: u128, f: impl FnOnce(u128) -> V) -> usize {
        if let Some((l, at)) = self.last
            && l == u
        {
            return at;
        }
        let values = &mut self.values;
        let at = *self.seen.entry(u).or_insert_with(|| {
            values.push(f(u));
            values.len() - 1
        });
        self.last = Some((u, at));
        at
    }

    /// `f(u)`, calling `f` only for a new `u`.
    pub fn get(&mut self, u: u128, f: impl FnOnce(u128) -> V) -> &V {
        let at = self.index(u, f);
        &self.values[at]
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::FixedSizeBinaryBuilder;
    use std::cell::Cell;

    fn upids(values: &[Option<u128>]) -> ArrayRef {
        let mut b = FixedSizeBinaryBuilder::with_capacity(values.len(), 16);
        for v in values {
            match v {
                Some(u) => b.append_value(u.to_be_bytes()).unwrap(),
                None => b.append_null(),
            }
        }
        Arc::new(b.finish())
    }

    #[test]
    fn upid_strings_are_worked_out_once_per_distinct_upid() {
        let input = [
            Some(7),
            Some(7),
            None,
            Some(u128::MAX),
            Some(7),
            Some(3 << 64),
            Some(u128::MAX),
            None,
        ];
        let calls = Cell::new(0);
        let out = u_s(&[upids(&input)], |u| {
            calls.set(calls.get() + 1);
            format!("p{u:x}")
        })
        .unwrap();
        let out = out.as_string::<i32>();
        let got: Vec<Option<String>> = out.iter().map(|v| v.map(String::from)).collect();
        let want: Vec<Option<String>> =
            input.iter().map(|u| u.map(|u| format!("p{u:x}"))).collect();
        assert_eq!(got, want);
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn upid_memo_keeps_answers_apart() {
        let mut m = UpidMemo::default();
        assert_eq!(*m.get(1, |_| "a"), "a");
        assert_eq!(*m.get(2, |_| "b"), "b");
        assert_eq!(*m.get(1, |_| "wrong"), "a");
        assert_eq!(*m.get(2, |_| "wrong"), "b");
        assert_eq!(m.values, ["a", "b"]);
    }
}
