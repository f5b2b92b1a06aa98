//! The table store: per-table Arrow batches under a byte budget.
//!
//! - Writers append whole record batches. When a table goes over its budget,
//!   the oldest batches are dropped first and counted in [`TableStats`].
//! - Readers take a snapshot of the batch list (an `Arc` clone under a lock
//!   held for a few instructions), so a long query never blocks ingest and
//!   sees a consistent set of batches.
//! - Each batch remembers the min/max of its `time_` column; a scan with a
//!   time range skips batches outside it.
//! - A table is a DataFusion [`TableProvider`]; the time range comes from
//!   the `time_` comparisons DataFusion pushes into the scan.

use async_trait::async_trait;
use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Int64Type, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{Result, plan_err};
use datafusion::datasource::TableType;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::datasource::source::DataSourceExec;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_plan::ExecutionPlan;
use parking_lot::{Mutex, RwLock};
use pxl_stdlib::runtime::{time_bounds, time_filter_pushdown};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Default byte budget of one table.
pub const DEFAULT_TABLE_BUDGET: usize = 256 * 1024 * 1024;

#[derive(Debug)]
struct StoredBatch {
    batch: RecordBatch,
    /// Inclusive `time_` range; `None` when the table has no `time_`.
    time: Option<(i64, i64)>,
    bytes: usize,
}

/// Counters of one table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableStats {
    pub rows: u64,
    pub bytes: u64,
    pub batches: u64,
    pub evicted_rows: u64,
    pub evicted_bytes: u64,
    pub evicted_batches: u64,
}

#[derive(Debug, Default)]
struct Inner {
    batches: Arc<VecDeque<Arc<StoredBatch>>>,
    stats: TableStats,
}

/// One table of the store.
#[derive(Debug)]
pub struct Table {
    name: String,
    schema: SchemaRef,
    budget: AtomicUsize,
    time_index: Option<usize>,
    inner: RwLock<Inner>,
    /// Serialises writers so that eviction and append are one step.
    write: Mutex<()>,
}

fn time_range(batch: &RecordBatch, idx: Option<usize>) -> Option<(i64, i64)> {
    let col = batch.column(idx?);
    let times = col.as_primitive_opt::<Int64Type>()?;
    let min = datafusion::arrow::compute::min(times)?;
    let max = datafusion::arrow::compute::max(times)?;
    Some((min, max))
}

impl Table {
    pub fn new(name: &str, schema: SchemaRef, budget: usize) -> Self {
        let time_index = schema.index_of("time_").ok();
        Table {
            name: name.to_string(),
            schema,
            budget: AtomicUsize::new(budget),
            time_index,
            inner: RwLock::new(Inner::default()),
            write: Mutex::new(()),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn budget(&self) -> usize {
        self.budget.load(Ordering::Relaxed)
    }

    /// Raises the budget to at least `min` bytes.
    pub fn grow_budget(&self, min: usize) {
        self.budget.fetch_max(min, Ordering::Relaxed);
    }

    /// Appends a batch whose columns match the table's schema (names and
    /// types; field metadata may differ). Evicts the oldest batches while
    /// the table is over budget.
    pub fn append(&self, batch: RecordBatch) -> Result<()> {
        if batch.num_columns() != self.schema.fields().len()
            || batch
                .schema()
                .fields()
                .iter()
                .zip(self.schema.fields())
                .any(|(a, b)| a.name() != b.name() || a.data_type() != b.data_type())
        {
            return plan_err!("batch for table `{}` does not match its schema", self.name);
        }
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let batch = batch.with_schema(self.schema.clone())?;
        let stored = Arc::new(StoredBatch {
            time: time_range(&batch, self.time_index),
            bytes: batch.get_array_memory_size(),
            batch,
        });
        let _w = self.write.lock();
        let mut inner = self.inner.write();
        let inner = &mut *inner;
        let batches = Arc::make_mut(&mut inner.batches);
        inner.stats.rows += stored.batch.num_rows() as u64;
        inner.stats.bytes += stored.bytes as u64;
        inner.stats.batches += 1;
        batches.push_back(stored);
        let budget = self.budget() as u64;
        while inner.stats.bytes > budget && batches.len() > 1 {
            let Some(old) = batches.pop_front() else {
                break;
            };
            let rows = old.batch.num_rows() as u64;
            inner.stats.rows -= rows;
            inner.stats.bytes -= old.bytes as u64;
            inner.stats.batches -= 1;
            inner.stats.evicted_rows += rows;
            inner.stats.evicted_bytes += old.bytes as u64;
            inner.stats.evicted_batches += 1;
        }
        Ok(())
    }

    pub fn stats(&self) -> TableStats {
        self.inner.read().stats
    }

    /// The oldest `time_` held, if the table has a time column and rows.
    pub fn min_time(&self) -> Option<i64> {
        self.inner
            .read()
            .batches
            .iter()
            .filter_map(|b| b.time.map(|(lo, _)| lo))
            .min()
    }

    /// The batches overlapping `[start, end]` (inclusive; `None` = open).
    pub fn snapshot(&self, start: Option<i64>, end: Option<i64>) -> Vec<RecordBatch> {
        let batches = self.inner.read().batches.clone();
        batches
            .iter()
            .filter(|b| match b.time {
                Some((lo, hi)) => start.is_none_or(|s| hi >= s) && end.is_none_or(|e| lo <= e),
                None => true,
            })
            .map(|b| b.batch.clone())
            .collect()
    }
}

#[async_trait]
impl TableProvider for Table {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        Ok(time_filter_pushdown(filters, self.time_index.is_some()))
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let (start, end) = time_bounds(filters);
        let batches = self.snapshot(start, end);
        // Spread the batches over the session's partitions, keeping each
        // partition's batches in time order.
        let n = state.config().target_partitions().max(1);
        let mut partitions: Vec<Vec<RecordBatch>> = vec![Vec::new(); n.min(batches.len()).max(1)];
        let per = batches.len().div_ceil(partitions.len()).max(1);
        for (i, b) in batches.into_iter().enumerate() {
            partitions[i / per].push(b);
        }
        let source =
            MemorySourceConfig::try_new(&partitions, self.schema.clone(), projection.cloned())?;
        Ok(DataSourceExec::from_data_source(source))
    }
}

/// Every table of a node.
#[derive(Debug, Default)]
pub struct TableStore {
    tables: RwLock<BTreeMap<String, Arc<Table>>>,
}

impl TableStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Creates the table if needed and returns it.
    pub fn create(&self, name: &str, schema: SchemaRef, budget: usize) -> Arc<Table> {
        self.tables
            .write()
            .entry(name.to_string())
            .or_insert_with(|| Arc::new(Table::new(name, schema, budget)))
            .clone()
    }

    pub fn get(&self, name: &str) -> Option<Arc<Table>> {
        self.tables.read().get(name).cloned()
    }

    pub fn names(&self) -> Vec<String> {
        self.tables.read().keys().cloned().collect()
    }

    /// The newest `time_` of any table, if any table has rows.
    pub fn max_time(&self) -> Option<i64> {
        self.tables
            .read()
            .values()
            .flat_map(|t| {
                t.inner
                    .read()
                    .batches
                    .iter()
                    .filter_map(|b| b.time.map(|(_, hi)| hi))
                    .max()
            })
            .max()
    }
}

impl pxl_planner::TableInfoSource for TableStore {
    fn table_info(&self) -> Vec<pxl_planner::TableInfo> {
        let tables: Vec<Arc<Table>> = self.tables.read().values().cloned().collect();
        tables
            .iter()
            .map(|t| {
                let s = t.stats();
                let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
                pxl_planner::TableInfo {
                    name: t.name().to_string(),
                    batches_added: i(s.batches + s.evicted_batches),
                    batches_expired: i(s.evicted_batches),
                    bytes_added: i(s.bytes + s.evicted_bytes),
                    num_batches: i(s.batches),
                    size: i(s.bytes),
                    max_table_size: i(t.budget() as u64),
                    min_time: t.min_time(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::logical_expr::{col, lit};

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("time_", DataType::Int64, true),
            Field::new("v", DataType::Utf8, true),
        ]))
    }

    fn batch(times: std::ops::Range<i64>) -> RecordBatch {
        let n = times.end - times.start;
        RecordBatch::try_new(
            schema(),
            vec![
                Arc::new(Int64Array::from_iter_values(times)),
                Arc::new(StringArray::from_iter_values(
                    (0..n).map(|i| format!("row {i}")),
                )),
            ],
        )
        .unwrap()
    }

    #[test]
    fn evicts_oldest_first_and_counts() {
        let one = batch(0..100).get_array_memory_size();
        let t = Table::new("t", schema(), one * 3 + one / 2);
        for i in 0..5 {
            t.append(batch(i * 100..(i + 1) * 100)).unwrap();
        }
        let s = t.stats();
        assert_eq!(s.batches, 3);
        assert_eq!(s.evicted_rows, 200);
        assert_eq!(s.rows, 300);
        let first = t.snapshot(None, None)[0].clone();
        let times = first.column(0).as_primitive::<Int64Type>();
        assert_eq!(times.value(0), 200, "the oldest batches went first");
        assert_eq!(s.evicted_batches, 2);
        assert_eq!(t.min_time(), Some(200));
        let store = TableStore::new();
        let u = store.create("u", schema(), one * 3 + one / 2);
        for i in 0..5 {
            u.append(batch(i * 100..(i + 1) * 100)).unwrap();
        }
        let info = pxl_planner::TableInfoSource::table_info(&store);
        assert_eq!(info.len(), 1);
        let i = &info[0];
        assert_eq!(
            (i.batches_added, i.batches_expired, i.num_batches),
            (5, 2, 3)
        );
        assert_eq!(i.bytes_added, 5 * one as i64);
        assert_eq!(i.size, 3 * one as i64);
        assert_eq!(i.min_time, Some(200));
    }

    #[test]
    fn prunes_by_time() {
        let t = Table::new("t", schema(), usize::MAX);
        for i in 0..4 {
            t.append(batch(i * 100..(i + 1) * 100)).unwrap();
        }
        assert_eq!(t.snapshot(Some(150), Some(250)).len(), 2);
        assert_eq!(t.snapshot(Some(400), None).len(), 0);
        assert_eq!(t.snapshot(None, Some(99)).len(), 1);
    }

    #[test]
    fn snapshot_is_stable_while_writing() {
        let t = Table::new("t", schema(), usize::MAX);
        t.append(batch(0..10)).unwrap();
        let snap = t.snapshot(None, None);
        t.append(batch(10..20)).unwrap();
        assert_eq!(snap.len(), 1);
        assert_eq!(t.snapshot(None, None).len(), 2);
    }

    #[test]
    fn rejects_wrong_schema() {
        let t = Table::new("t", schema(), usize::MAX);
        let other = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)])),
            vec![Arc::new(Int64Array::from(vec![1]))],
        )
        .unwrap();
        assert!(t.append(other).is_err());
    }

    #[test]
    fn time_bounds_from_filters() {
        let f = col("time_")
            .gt_eq(lit(10i64))
            .and(col("time_").lt(lit(20i64)));
        assert_eq!(time_bounds(&[f]), (Some(10), Some(19)));
        assert_eq!(
            time_bounds(&[lit(5i64).lt_eq(col("time_"))]),
            (Some(5), None)
        );
        assert!(pxl_stdlib::runtime::is_time_filter(
            &col("time_").gt(lit(1i64))
        ));
        assert!(!pxl_stdlib::runtime::is_time_filter(
            &col("v").gt(lit(1i64))
        ));
    }
}
