//! Result formatting: `table` (aligned text, like Pixie's CLI), `json` (one
//! object per row with a `"_table"` key) and `csv` (one header per table).

use crate::ResultTable;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Float64Type, Int64Type};
use pxl_stdlib::DataType;
use std::fmt::Write;

/// Output format of `pxl run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// One cell, typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Time(i64),
    Uint128(u128),
}

impl Cell {
    /// The cell as text (no quoting).
    pub fn text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Bool(b) => b.to_string(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => format_float(*f),
            Cell::Str(s) => s.clone(),
            Cell::Time(t) => rfc3339(*t),
            Cell::Uint128(u) => uuid(*u),
        }
    }

    fn json(&self) -> serde_json::Value {
        match self {
            Cell::Null => serde_json::Value::Null,
            Cell::Bool(b) => (*b).into(),
            Cell::Int(i) => (*i).into(),
            Cell::Float(f) => serde_json::Number::from_f64(*f)
                .map_or_else(|| format_float(*f).into(), serde_json::Value::Number),
            Cell::Str(s) => s.clone().into(),
            Cell::Time(t) => rfc3339(*t).into(),
            Cell::Uint128(u) => uuid(*u).into(),
        }
    }
}

fn format_float(f: f64) -> String {
    if f.is_finite() && f == f.trunc() && f.abs() < 1e15 {
        format!("{f:.1}")
    } else {
        format!("{f}")
    }
}

/// `2026-11-21T07:05:03.123456789Z` (UTC, nanoseconds).
pub fn rfc3339(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub use pxl_stdlib::runtime::uuid;

/// The cell at `row` of column `col`, typed by the PxL type `ty`.
pub fn cell(batch: &RecordBatch, col: usize, row: usize, ty: DataType) -> Cell {
    let a = batch.column(col);
    if a.is_null(row) {
        return Cell::Null;
    }
    match ty {
        DataType::Boolean => a
            .as_boolean_opt()
            .map_or(Cell::Null, |b| Cell::Bool(b.value(row))),
        DataType::Int64 => a
            .as_primitive_opt::<Int64Type>()
            .map_or(Cell::Null, |v| Cell::Int(v.value(row))),
        DataType::Time64Ns => a
            .as_primitive_opt::<Int64Type>()
            .map_or(Cell::Null, |v| Cell::Time(v.value(row))),
        DataType::Float64 => a
            .as_primitive_opt::<Float64Type>()
            .map_or(Cell::Null, |v| Cell::Float(v.value(row))),
        DataType::String => a
            .as_string_opt::<i32>()
            .map_or(Cell::Null, |v| Cell::Str(v.value(row).to_string())),
        DataType::Uint128 => a.as_fixed_size_binary_opt().map_or(Cell::Null, |v| {
            let mut b = [0u8; 16];
            b.copy_from_slice(v.value(row));
            Cell::Uint128(u128::from_be_bytes(b))
        }),
    }
}

/// Every row of a result as cells.
pub fn rows(t: &ResultTable) -> Vec<Vec<Cell>> {
    let mut out = Vec::with_capacity(t.num_rows());
    for b in &t.batches {
        for r in 0..b.num_rows() {
            out.push(
                t.relation
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| cell(b, i, r, c.ty))
                    .collect(),
            );
        }
    }
    out
}

const MAX_CELL: usize = 60;

fn clip(s: &str) -> String {
    let s = s.replace(['\n', '\r', '\t'], " ");
    if s.chars().count() <= MAX_CELL {
        return s;
    }
    let mut t: String = s.chars().take(MAX_CELL - 1).collect();
    t.push('…');
    t
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Renders every result in `format` (cut results are reported separately by
/// [`truncation_notes`]).
pub fn render(results: &[ResultTable], format: Format) -> String {
    let mut out = String::new();
    for t in results {
        let rows = rows(t);
        match format {
            Format::Table => {
                let _ = writeln!(out, "Table ID: {}", t.name);
                let headers: Vec<String> = t
                    .relation
                    .columns
                    .iter()
                    .map(|c| c.name.to_uppercase())
                    .collect();
                let cells: Vec<Vec<String>> = rows
                    .iter()
                    .map(|r| r.iter().map(|c| clip(&c.text())).collect())
                    .collect();
                let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
                for r in &cells {
                    for (w, c) in widths.iter_mut().zip(r) {
                        *w = (*w).max(c.chars().count());
                    }
                }
                let line = |vals: &[String]| {
                    let parts: Vec<String> = vals
                        .iter()
                        .zip(&widths)
                        .map(|(v, w)| format!("{v:<w$}", w = *w))
                        .collect();
                    parts.join("  ").trim_end().to_string()
                };
                let _ = writeln!(out, "  {}", line(&headers));
                for r in &cells {
                    let _ = writeln!(out, "  {}", line(r));
                }
                if rows.is_empty() {
                    let _ = writeln!(out, "  (no rows)");
                }
                out.push('\n');
            }
            Format::Json => {
                // Keys in column order, `_table` first.
                let key = |k: &str| serde_json::Value::from(k).to_string();
                for r in &rows {
                    let mut line = format!("{{{}:{}", key("_table"), key(&t.name));
                    for (c, v) in t.relation.columns.iter().zip(r) {
                        let _ = write!(line, ",{}:{}", key(&c.name), v.json());
                    }
                    line.push('}');
                    let _ = writeln!(out, "{line}");
                }
            }
            Format::Csv => {
                let _ = writeln!(out, "# table: {}", t.name);
                let h: Vec<String> = t
                    .relation
                    .columns
                    .iter()
                    .map(|c| csv_field(&c.name))
                    .collect();
                let _ = writeln!(out, "{}", h.join(","));
                for r in &rows {
                    let v: Vec<String> = r.iter().map(|c| csv_field(&c.text())).collect();
                    let _ = writeln!(out, "{}", v.join(","));
                }
            }
        }
    }
    out
}

/// A note per cut table, for stderr.
pub fn truncation_notes(results: &[ResultTable], max_rows: Option<usize>) -> Vec<String> {
    results
        .iter()
        .filter(|t| t.truncated)
        .map(|t| {
            format!(
                "note: `{}` has more than {} rows; only the first {} are shown (raise --max-rows)",
                t.name,
                max_rows.unwrap_or(0),
                max_rows.unwrap_or(0)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            rfc3339(1_795_230_303_123_456_789),
            "2026-11-21T03:05:03.123456789Z"
        );
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999999999Z");
        // A leap day (checked against Python's datetime).
        assert_eq!(
            rfc3339(1_709_164_800_000_000_000),
            "2024-02-29T00:00:00.000000000Z"
        );
    }

    #[test]
    fn uuids() {
        assert_eq!(uuid(1), "00000000-0000-0000-0000-000000000001");
    }

    #[test]
    fn csv_quotes() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("x\"y"), "\"x\"\"y\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}
