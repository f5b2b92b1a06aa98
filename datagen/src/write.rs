//! Writing a [`Dataset`] to a directory: one file per table plus
//! `metadata.json`.

use crate::{Dataset, Error};
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::ipc::writer::FileWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use serde_json::Value;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// File format of the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `<table>.parquet`, zstd-compressed, row groups of 65,536 rows.
    Parquet,
    /// `<table>.arrow`, the Arrow IPC file format.
    Arrow,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Arrow => "arrow",
        }
    }
}

/// Writes every table of `ds` to `dir/<table>.<parquet|arrow>` and the
/// metadata to `dir/metadata.json` (pretty JSON, object keys sorted so the
/// bytes are reproducible). Creates `dir` if needed.
pub fn write(ds: &Dataset, dir: &Path, format: Format) -> Result<(), Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::CreateDir {
        path: dir.to_path_buf(),
        source,
    })?;
    for (name, batches) in &ds.tables {
        let path = dir.join(format!("{name}.{}", format.extension()));
        let schema = match (batches.first(), pxl_stdlib::tables::table(name)) {
            (Some(b), _) => b.schema(),
            (None, Some(t)) => pxl_stdlib::runtime::table_schema(t),
            (None, None) => return Err(Error::UnknownTable { name: name.clone() }),
        };
        match format {
            Format::Parquet => write_parquet(&path, &schema, batches)?,
            Format::Arrow => write_arrow(&path, &schema, batches)?,
        }
    }
    let path = dir.join("metadata.json");
    let json = serde_json::to_value(&ds.metadata).map_err(|source| Error::Json {
        path: path.clone(),
        source,
    })?;
    let file = create(&path)?;
    let mut out = BufWriter::new(file);
    serde_json::to_writer_pretty(&mut out, &sorted(json)).map_err(|source| Error::Json {
        path: path.clone(),
        source,
    })?;
    out.write_all(b"\n")
        .and_then(|()| out.flush())
        .map_err(|source| Error::Io { path, source })
}

fn create(path: &Path) -> Result<File, Error> {
    File::create(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write_parquet(path: &Path, schema: &Schema, batches: &[RecordBatch]) -> Result<(), Error> {
    let err = |source| Error::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(65_536))
        .build();
    let file = create(path)?;
    let mut w = ArrowWriter::try_new(file, std::sync::Arc::new(schema.clone()), Some(props))
        .map_err(err)?;
    for b in batches {
        w.write(b).map_err(err)?;
    }
    w.close().map_err(err)?;
    Ok(())
}

fn write_arrow(path: &Path, schema: &Schema, batches: &[RecordBatch]) -> Result<(), Error> {
    let err = |source| Error::Arrow {
        path: path.to_path_buf(),
        source,
    };
    let file = BufWriter::new(create(path)?);
    let mut w = FileWriter::try_new(file, schema).map_err(err)?;
    for b in batches {
        w.write(b).map_err(err)?;
    }
    w.finish().map_err(err)?;
    Ok(())
}

/// `v` with the keys of every object in sorted order (label maps are hash
/// maps, whose order differs between runs).
fn sorted(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(String, Value)> = map.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}
