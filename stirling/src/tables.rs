//! Turning collected rows into Arrow record batches with the schemas of the
//! stdlib registry, and the sink they are pushed into.

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, FixedSizeBinaryBuilder, Float64Builder, Int64Builder, StringBuilder,
};
use datafusion::arrow::datatypes::{DataType as ArrowType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use std::sync::Arc;

/// Where collectors put their rows (the table store implements it).
pub trait Sink: Send + Sync {
    /// Appends a batch to `table`. On an error the batch is dropped and
    /// counted in the collectors' `Report::sink_errors`.
    fn push(&self, table: &str, batch: RecordBatch) -> Result<(), String>;
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    I64(i64),
    F64(f64),
    Bool(bool),
    Str(String),
    U128(u128),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::I64(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_string())
    }
}
impl From<u128> for Value {
    fn from(v: u128) -> Self {
        Value::U128(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::F64(v)
    }
}

enum Col {
    I64(Int64Builder),
    F64(Float64Builder),
    Bool(BooleanBuilder),
    Str(StringBuilder),
    U128(FixedSizeBinaryBuilder),
}

/// Accumulates rows of one table.
pub struct TableRows {
    pub name: &'static str,
    schema: SchemaRef,
    cols: Vec<Col>,
    rows: usize,
}

impl std::fmt::Debug for TableRows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TableRows({}, {} rows)", self.name, self.rows)
    }
}

impl TableRows {
    /// Rows for a table of the stdlib registry.
    ///
    /// # Panics
    /// When `name` is not a registry table (a programming error).
    pub fn new(name: &'static str) -> Self {
        let table =
            pxl_stdlib::tables::table(name).unwrap_or_else(|| panic!("unknown table {name}"));
        let schema = pxl_stdlib::runtime::table_schema(table);
        let cols = schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                ArrowType::Int64 => Col::I64(Int64Builder::new()),
                ArrowType::Float64 => Col::F64(Float64Builder::new()),
                ArrowType::Boolean => Col::Bool(BooleanBuilder::new()),
                ArrowType::FixedSizeBinary(16) => Col::U128(FixedSizeBinaryBuilder::new(16)),
                _ => Col::Str(StringBuilder::new()),
            })
            .collect();
        TableRows {
            name,
            schema,
            cols,
            rows: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// Appends one row; `values` follow the schema's column order. A value
    /// of the wrong kind is stored as the column type's default.
    pub fn push(&mut self, values: Vec<Value>) {
        debug_assert_eq!(values.len(), self.cols.len(), "row width of {}", self.name);
        let mut values = values.into_iter();
        for col in &mut self.cols {
            let v = values.next();
            match col {
                Col::I64(b) => b.append_value(match v {
                    Some(Value::I64(x)) => x,
                    _ => 0,
                }),
                Col::F64(b) => b.append_value(match v {
                    Some(Value::F64(x)) => x,
                    _ => 0.0,
                }),
                Col::Bool(b) => b.append_value(matches!(v, Some(Value::Bool(true)))),
                Col::Str(b) => match v {
                    Some(Value::Str(s)) => b.append_value(s),
                    _ => b.append_value(""),
                },
                Col::U128(b) => {
                    let x = match v {
                        Some(Value::U128(x)) => x,
                        _ => 0,
                    };
                    // 16 bytes always fit a width-16 builder.
                    let _ = b.append_value(x.to_be_bytes());
                }
            }
        }
        self.rows += 1;
    }

    /// Appends one row, asking `value` for each column by name; columns it
    /// has no value for get their type's default.
    pub fn push_with(&mut self, mut value: impl FnMut(&str) -> Option<Value>) {
        let names: Vec<Option<Value>> = self
            .schema
            .fields()
            .iter()
            .map(|f| value(f.name()))
            .collect();
        let row = names
            .into_iter()
            .map(|v| v.unwrap_or(Value::Str(String::new())))
            .collect();
        self.push(row);
    }

    /// Appends one row column by column, in schema order, without building
    /// intermediate values (the collectors' hot path). Each call names its
    /// column; debug builds check the name and kind against the schema.
    pub fn row(&mut self) -> RowWriter<'_> {
        RowWriter { t: self, col: 0 }
    }

    /// Takes the rows gathered so far as a batch (None when there are none).
    pub fn take(&mut self) -> Option<RecordBatch> {
        if self.rows == 0 {
            return None;
        }
        let arrays: Vec<ArrayRef> = self
            .cols
            .iter_mut()
            .map(|c| -> ArrayRef {
                match c {
                    Col::I64(b) => Arc::new(b.finish()),
                    Col::F64(b) => Arc::new(b.finish()),
                    Col::Bool(b) => Arc::new(b.finish()),
                    Col::Str(b) => Arc::new(b.finish()),
                    Col::U128(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), arrays).ok()
    }
}

/// Writes one row of a [`TableRows`]; see [`TableRows::row`]. The row is
/// complete when the writer is dropped: columns not written get their
/// type's default.
pub struct RowWriter<'a> {
    t: &'a mut TableRows,
    col: usize,
}

impl RowWriter<'_> {
    fn next(&mut self, name: &str) -> Option<&mut Col> {
        debug_assert_eq!(
            self.t
                .schema
                .fields()
                .get(self.col)
                .map(|f| f.name().as_str()),
            Some(name),
            "column {} of {}",
            self.col,
            self.t.name
        );
        let col = self.t.cols.get_mut(self.col);
        self.col += 1;
        col
    }

    pub fn i64(&mut self, name: &str, v: i64) -> &mut Self {
        match self.next(name) {
            Some(Col::I64(b)) => b.append_value(v),
            Some(c) => c.wrong_kind(),
            None => {}
        }
        self
    }

    pub fn bool(&mut self, name: &str, v: bool) -> &mut Self {
        match self.next(name) {
            Some(Col::Bool(b)) => b.append_value(v),
            Some(c) => c.wrong_kind(),
            None => {}
        }
        self
    }

    pub fn str(&mut self, name: &str, v: &str) -> &mut Self {
        match self.next(name) {
            Some(Col::Str(b)) => b.append_value(v),
            Some(c) => c.wrong_kind(),
            None => {}
        }
        self
    }

    pub fn u128(&mut self, name: &str, v: u128) -> &mut Self {
        match self.next(name) {
            // 16 bytes always fit a width-16 builder.
            Some(Col::U128(b)) => {
                let _ = b.append_value(v.to_be_bytes());
            }
            Some(c) => c.wrong_kind(),
            None => {}
        }
        self
    }
}

impl Drop for RowWriter<'_> {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            debug_assert_eq!(self.col, self.t.cols.len(), "row width of {}", self.t.name);
        }
        for c in self.t.cols.iter_mut().skip(self.col) {
            c.append_default();
        }
        self.t.rows += 1;
    }
}

impl Col {
    fn wrong_kind(&mut self) {
        debug_assert!(false, "a value of the wrong kind");
        self.append_default();
    }

    fn append_default(&mut self) {
        match self {
            Col::I64(b) => b.append_value(0),
            Col::F64(b) => b.append_value(0.0),
            Col::Bool(b) => b.append_value(false),
            Col::Str(b) => b.append_value(""),
            Col::U128(b) => {
                let _ = b.append_value([0u8; 16]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_batches_with_registry_schema() {
        let mut t = TableRows::new("proc_exit_events");
        assert!(t.take().is_none());
        t.push(vec![
            Value::I64(5),
            Value::U128(7),
            Value::I64(1),
            Value::I64(9),
            Value::from("sh"),
        ]);
        let b = t.take().unwrap();
        assert_eq!(b.num_rows(), 1);
        assert_eq!(b.schema().field(4).name(), "comm");
        assert!(t.is_empty());
    }
}
