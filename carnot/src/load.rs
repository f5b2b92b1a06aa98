//! Loading recorded data (`pxl run --data DIR`) into a [`TableStore`].
//!
//! DIR holds one file per table, named after it: `http_events.parquet` or
//! `http_events.arrow` (Arrow IPC file format), and optionally
//! `metadata.json` (a serialised [`Metadata`]). Each file's columns must
//! match the table's registry schema by name and type; extra columns, a
//! missing column or a wrong type is an error naming the file and column.

use crate::store::{DEFAULT_TABLE_BUDGET, TableStore};
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::ipc::reader::FileReader;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use pxl_stdlib::runtime::metadata::Metadata;
use pxl_stdlib::runtime::table_schema;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("data directory `{0}` does not exist")]
    Missing(PathBuf),
    #[error("`{0}` is not a directory")]
    NotADirectory(PathBuf),
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{path}`: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("`{path}` does not match table `{table}`: {message}")]
    Schema {
        path: PathBuf,
        table: String,
        message: String,
    },
    #[error("`{path}` is named after no PxL table (`{name}`); {hint}")]
    UnknownTable {
        path: PathBuf,
        name: String,
        hint: String,
    },
    #[error("`{path}` and `{other}` are both data for table `{table}`")]
    Duplicate {
        path: PathBuf,
        other: PathBuf,
        table: String,
    },
    #[error("`{0}` holds no table files (*.parquet or *.arrow)")]
    Empty(PathBuf),
}

/// What was loaded.
#[derive(Debug, Default)]
pub struct Loaded {
    pub tables: Vec<(String, u64)>,
    pub metadata: Metadata,
}

fn check_schema(path: &Path, table: &str, file: &Schema, want: &Schema) -> Result<(), LoadError> {
    let err = |message: String| LoadError::Schema {
        path: path.to_path_buf(),
        table: table.to_string(),
        message,
    };
    for f in want.fields() {
        match file.field_with_name(f.name()) {
            Ok(got) if got.data_type() == f.data_type() => {}
            Ok(got) => {
                return Err(err(format!(
                    "column `{}` has type {}, expected {}",
                    f.name(),
                    got.data_type(),
                    f.data_type()
                )));
            }
            Err(_) => return Err(err(format!("column `{}` is missing", f.name()))),
        }
    }
    if let Some(extra) = file
        .fields()
        .iter()
        .find(|f| want.field_with_name(f.name()).is_err())
    {
        return Err(err(format!("unexpected column `{}`", extra.name())));
    }
    Ok(())
}

/// Reorders a file's batch into the registry's column order.
fn conform(batch: &RecordBatch, want: &Schema) -> Result<RecordBatch, String> {
    let cols = want
        .fields()
        .iter()
        .map(|f| {
            batch
                .column_by_name(f.name())
                .cloned()
                .ok_or_else(|| format!("column `{}` is missing", f.name()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(std::sync::Arc::new(want.clone()), cols).map_err(|e| e.to_string())
}

fn read_batches(path: &Path) -> Result<(Schema, Vec<RecordBatch>), LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let corrupt = |message: String| LoadError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    if path.extension().is_some_and(|e| e == "parquet") {
        let builder = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| corrupt(format!("not a valid Parquet file: {e}")))?;
        let schema = builder.schema().as_ref().clone();
        let reader = builder
            .with_batch_size(64 * 1024)
            .build()
            .map_err(|e| corrupt(e.to_string()))?;
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| corrupt(format!("corrupted Parquet data: {e}")))?;
        Ok((schema, batches))
    } else {
        let reader = FileReader::try_new(std::io::BufReader::new(file), None)
            .map_err(|e| corrupt(format!("not a valid Arrow IPC file: {e}")))?;
        let schema = reader.schema().as_ref().clone();
        let batches = reader
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| corrupt(format!("corrupted Arrow data: {e}")))?;
        Ok((schema, batches))
    }
}

/// Loads every table file of `dir` into `store`. Nothing is added to the
/// store unless every file loads.
pub fn load_dir(dir: &Path, store: &TableStore) -> Result<Loaded, LoadError> {
    if !dir.exists() {
        return Err(LoadError::Missing(dir.to_path_buf()));
    }
    if !dir.is_dir() {
        return Err(LoadError::NotADirectory(dir.to_path_buf()));
    }
    let io = |source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(io)?;
    files.sort();
    let mut metadata = Metadata::default();
    let mut pending: Vec<(String, PathBuf, Vec<RecordBatch>)> = Vec::new();
    for path in &files {
        let Some(fname) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if fname == "metadata.json" {
            let text = std::fs::read_to_string(path).map_err(|source| LoadError::Io {
                path: path.clone(),
                source,
            })?;
            metadata = serde_json::from_str(&text).map_err(|e| LoadError::Corrupt {
                path: path.clone(),
                message: format!("not valid metadata JSON: {e}"),
            })?;
            continue;
        }
        let table_name = match fname
            .strip_suffix(".parquet")
            .or_else(|| fname.strip_suffix(".arrow"))
        {
            Some(t) => t,
            None => continue,
        };
        let Some(table) = pxl_stdlib::tables::table(table_name) else {
            let names: Vec<&str> = pxl_stdlib::tables::tables()
                .iter()
                .map(|t| t.name)
                .collect();
            let hint = match pxl_compiler::diagnostic::closest(table_name, names.iter().copied()) {
                Some(c) => format!("did you mean `{c}`?"),
                None => "table files are named `<table>.parquet` or `<table>.arrow`".into(),
            };
            return Err(LoadError::UnknownTable {
                path: path.clone(),
                name: table_name.to_string(),
                hint,
            });
        };
        if let Some((_, other, _)) = pending.iter().find(|(t, _, _)| t == table.name) {
            return Err(LoadError::Duplicate {
                path: path.clone(),
                other: other.clone(),
                table: table.name.to_string(),
            });
        }
        let want = table_schema(table);
        let (schema, batches) = read_batches(path)?;
        check_schema(path, table.name, &schema, &want)?;
        let batches = batches
            .iter()
            .map(|b| conform(b, &want))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|message| LoadError::Corrupt {
                path: path.clone(),
                message,
            })?;
        pending.push((table.name.to_string(), path.clone(), batches));
    }
    if pending.is_empty() {
        return Err(LoadError::Empty(dir.to_path_buf()));
    }
    let mut loaded = Loaded {
        tables: Vec::new(),
        metadata,
    };
    for (name, path, batches) in pending {
        let table = pxl_stdlib::tables::table(&name).map(table_schema);
        let Some(schema) = table else { continue };
        let bytes: usize = batches.iter().map(RecordBatch::get_array_memory_size).sum();
        let t = store.create(&name, schema, DEFAULT_TABLE_BUDGET.max(bytes + bytes / 8));
        // Loading several directories into one store keeps all their rows.
        let have = t.stats().bytes as usize;
        t.grow_budget((have + bytes) + (have + bytes) / 8);
        let mut rows = 0u64;
        for b in batches {
            rows += b.num_rows() as u64;
            t.append(b).map_err(|e| LoadError::Corrupt {
                path: path.clone(),
                message: e.to_string(),
            })?;
        }
        loaded.tables.push((name, rows));
    }
    Ok(loaded)
}
