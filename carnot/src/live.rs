//! The table store as the collectors' sink: what `pxl run --live` and
//! `pxl demo` collect into.

use crate::store::{DEFAULT_TABLE_BUDGET, TableStore};
use datafusion::arrow::record_batch::RecordBatch;
use pxl_stirling::Sink;

impl TableStore {
    /// Creates every default table (and the collectors' status tables),
    /// empty, each with `budget` bytes.
    pub fn with_default_tables(budget: usize) -> TableStore {
        let store = TableStore::new();
        for t in pxl_stdlib::tables::tables() {
            if t.default || matches!(t.name, "stirling_error" | "probe_status") {
                store.create(t.name, pxl_stdlib::runtime::table_schema(t), budget);
            }
        }
        store
    }

    /// A store for live collection with the default budget per table.
    pub fn for_collectors() -> TableStore {
        Self::with_default_tables(DEFAULT_TABLE_BUDGET)
    }
}

impl Sink for TableStore {
    fn push(&self, table: &str, batch: RecordBatch) -> Result<(), String> {
        let t = self
            .get(table)
            .ok_or_else(|| format!("no table `{table}` in the store"))?;
        t.append(batch).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collectors_fill_the_store() {
        let store = std::sync::Arc::new(TableStore::for_collectors());
        assert!(store.get("http_events").is_some());
        assert!(store.get("process_stats").is_some());
        let mut rows = pxl_stirling::tables::TableRows::new("process_stats");
        rows.push_with(|n| (n == "time_").then_some(pxl_stirling::tables::Value::I64(5)));
        store.push("process_stats", rows.take().unwrap()).unwrap();
        assert_eq!(store.max_time(), Some(5));
        let err = store
            .push("nope", {
                let mut r = pxl_stirling::tables::TableRows::new("process_stats");
                r.push_with(|_| None);
                r.take().unwrap()
            })
            .unwrap_err();
        assert!(err.contains("nope"));
    }
}
