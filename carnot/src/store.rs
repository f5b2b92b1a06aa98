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
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, RecordBatch, StringArray, StringBuilder, UInt32Array, UInt32Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{HashMap, Result, exec_err, plan_err};
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
    /// Per column: the codes of its values, when the column is coded.
    codes: Vec<Option<ArrayRef>>,
    bytes: usize,
}

/// A string column's dictionary holds at most this many distinct values,
/// and at most [`dictionary_bytes`] bytes of them; a column that outgrows
/// either is no longer coded and its dictionary is freed.
const DICTIONARY_VALUES: usize = 1 << 16;

/// The byte limit of each dictionary of a table with budget `budget`:
/// 1/64 of the budget (dictionaries are not evicted with the batches, so
/// they must stay small beside them), between 64 KiB and 16 MiB.
fn dictionary_bytes(budget: usize) -> usize {
    (budget / 64).clamp(64 << 10, 16 << 20)
}

/// The distinct values of one string column of a table, each with its
/// code (see [`pxl_exec::dictgroup`]). Codes are given out in order of
/// first appearance and never change.
#[derive(Debug, Default)]
pub struct Dictionary {
    inner: RwLock<DictionaryInner>,
}

#[derive(Debug, Default)]
struct DictionaryInner {
    ids: HashMap<Arc<str>, u32>,
    values: Vec<Arc<str>>,
    bytes: usize,
}

impl Dictionary {
    /// The codes of `strings`, adding new values; `None` when the values
    /// would outgrow the limits (the dictionary is then left as it was).
    fn encode(&self, strings: &StringArray, max_bytes: usize) -> Option<UInt32Array> {
        let mut d = self.inner.write();
        let (values_before, bytes_before) = (d.values.len(), d.bytes);
        let mut out = UInt32Builder::with_capacity(strings.len());
        for v in strings.iter() {
            let Some(v) = v else {
                out.append_null();
                continue;
            };
            if let Some(&id) = d.ids.get(v) {
                out.append_value(id);
                continue;
            }
            if d.values.len() >= DICTIONARY_VALUES || d.bytes + v.len() > max_bytes {
                // Undo this batch's additions: a dictionary only ever holds
                // values that some stored batch has codes for.
                let DictionaryInner { ids, values, bytes } = &mut *d;
                for gone in values.drain(values_before..) {
                    ids.remove(&gone);
                }
                *bytes = bytes_before;
                return None;
            }
            let id = d.values.len() as u32;
            let value: Arc<str> = Arc::from(v);
            d.ids.insert(value.clone(), id);
            d.values.push(value);
            d.bytes += v.len();
            out.append_value(id);
        }
        Some(out.finish())
    }
}

impl pxl_exec::dictgroup::StringDictionary for Dictionary {
    fn decode(&self, codes: &UInt32Array) -> Result<StringArray> {
        let d = self.inner.read();
        let mut out = StringBuilder::with_capacity(codes.len(), codes.len() * 16);
        for c in codes.iter() {
            match c {
                None => out.append_null(),
                Some(c) => match d.values.get(c as usize) {
                    Some(v) => out.append_value(v),
                    None => return exec_err!("string code {c} was never given out"),
                },
            }
        }
        Ok(out.finish())
    }

    fn code(&self, value: &str) -> Option<u32> {
        self.inner.read().ids.get(value).copied()
    }
}

/// A coded column: its dictionary and the id the optimizer finds it by.
#[derive(Debug, Clone)]
struct Coding {
    dictionary: Arc<Dictionary>,
    id: u64,
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
    /// Per column, its dictionary while it is coded (string columns start
    /// coded; one that outgrows the limits stops for good). Written only
    /// under `write`.
    codings: RwLock<Vec<Option<Coding>>>,
    /// Serialises writers so that eviction and append are one step.
    write: Mutex<()>,
}

fn oldest_time(batches: &VecDeque<Arc<StoredBatch>>) -> Option<i64> {
    batches
        .iter()
        .filter_map(|b| b.time.map(|(lo, _)| lo))
        .min()
}

/// The rows of `batches` whose `time_` (column `idx`) is in
/// `[start, end]`: the table store takes time filters as exact pushdown, so
/// DataFusion evaluates them nowhere else. A batch wholly inside (by its
/// time range `times`, with no null time) is kept as it is, one wholly outside or
/// left with no rows is dropped, and one that straddles a bound is filtered.
fn within(
    batches: Vec<RecordBatch>,
    times: &[TimeRange],
    idx: Option<usize>,
    start: Option<i64>,
    end: Option<i64>,
) -> Result<Vec<RecordBatch>> {
    let Some(idx) = idx else {
        return Ok(batches);
    };
    if start.is_none() && end.is_none() {
        return Ok(batches);
    }
    let (lo, hi) = (start.unwrap_or(i64::MIN), end.unwrap_or(i64::MAX));
    let mut out = Vec::with_capacity(batches.len());
    for (batch, range) in batches.into_iter().zip(times) {
        let Some(times) = batch.column(idx).as_primitive_opt::<Int64Type>() else {
            return exec_err!("time_ is {}, not Int64", batch.column(idx).data_type());
        };
        let inside = times.null_count() == 0 && range.is_some_and(|(a, b)| a >= lo && b <= hi);
        if inside {
            out.push(batch);
            continue;
        }
        let keep: datafusion::arrow::array::BooleanArray = times
            .iter()
            .map(|t| Some(t.is_some_and(|t| t >= lo && t <= hi)))
            .collect();
        if keep.true_count() > 0 {
            out.push(datafusion::arrow::compute::filter_record_batch(
                &batch, &keep,
            )?);
        }
    }
    Ok(out)
}

/// A batch's smallest and largest `time_`; `None` without times.
type TimeRange = Option<(i64, i64)>;

fn time_range(batch: &RecordBatch, idx: Option<usize>) -> TimeRange {
    let col = batch.column(idx?);
    let times = col.as_primitive_opt::<Int64Type>()?;
    let min = datafusion::arrow::compute::min(times)?;
    let max = datafusion::arrow::compute::max(times)?;
    Some((min, max))
}

impl Table {
    pub fn new(name: &str, schema: SchemaRef, budget: usize) -> Self {
        let time_index = schema.index_of("time_").ok();
        let codings = schema
            .fields()
            .iter()
            .map(|f| {
                (f.data_type() == &DataType::Utf8).then(|| {
                    let dictionary = Arc::new(Dictionary::default());
                    let shared: Arc<dyn pxl_exec::dictgroup::StringDictionary> = dictionary.clone();
                    Coding {
                        id: pxl_exec::dictgroup::register(&shared),
                        dictionary,
                    }
                })
            })
            .collect();
        Table {
            name: name.to_string(),
            schema,
            budget: AtomicUsize::new(budget),
            time_index,
            inner: RwLock::new(Inner::default()),
            codings: RwLock::new(codings),
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
        let _w = self.write.lock();
        let codes = self.encode(&batch);
        let bytes = batch.get_array_memory_size()
            + codes
                .iter()
                .flatten()
                .map(|c| c.get_array_memory_size())
                .sum::<usize>();
        let stored = Arc::new(StoredBatch {
            time: time_range(&batch, self.time_index),
            codes,
            bytes,
            batch,
        });
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

    /// The codes of `batch`'s coded columns; a column that outgrows its
    /// dictionary stops being coded. Called with `write` held.
    fn encode(&self, batch: &RecordBatch) -> Vec<Option<ArrayRef>> {
        let max_bytes = dictionary_bytes(self.budget());
        let mut codings = self.codings.write();
        codings
            .iter_mut()
            .zip(batch.columns())
            .map(|(coding, column)| {
                let c = coding.as_ref()?;
                let strings = column.as_string_opt::<i32>()?;
                match c.dictionary.encode(strings, max_bytes) {
                    Some(codes) => Some(Arc::new(codes) as ArrayRef),
                    None => {
                        *coding = None;
                        None
                    }
                }
            })
            .collect()
    }

    /// The oldest `time_` held, if the table has a time column and rows.
    pub fn min_time(&self) -> Option<i64> {
        oldest_time(&self.inner.read().batches)
    }

    /// The batches overlapping `[start, end]` (inclusive; `None` = open).
    pub fn snapshot(&self, start: Option<i64>, end: Option<i64>) -> Vec<RecordBatch> {
        self.stored(start, end)
            .iter()
            .map(|b| b.batch.clone())
            .collect()
    }

    fn stored(&self, start: Option<i64>, end: Option<i64>) -> Vec<Arc<StoredBatch>> {
        let batches = self.inner.read().batches.clone();
        batches
            .iter()
            .filter(|b| match b.time {
                Some((lo, hi)) => start.is_none_or(|s| hi >= s) && end.is_none_or(|e| lo <= e),
                None => true,
            })
            .cloned()
            .collect()
    }

    /// The batches overlapping `[start, end]`, each with a hidden code
    /// column appended for every column that is still coded and has codes
    /// in all of them ([`pxl_exec::dictgroup`]); the schema of those
    /// batches; and each batch's `time_` range.
    fn coded_snapshot(
        &self,
        start: Option<i64>,
        end: Option<i64>,
    ) -> Result<(Vec<RecordBatch>, SchemaRef, Vec<TimeRange>)> {
        let stored = self.stored(start, end);
        let times: Vec<TimeRange> = stored.iter().map(|b| b.time).collect();
        let codings = self.codings.read().clone();
        let coded: Vec<(usize, u64)> = codings
            .iter()
            .enumerate()
            .filter_map(|(i, c)| Some((i, c.as_ref()?.id)))
            .filter(|(i, _)| !stored.is_empty() && stored.iter().all(|b| b.codes[*i].is_some()))
            .collect();
        if coded.is_empty() {
            return Ok((
                stored.iter().map(|b| b.batch.clone()).collect(),
                self.schema.clone(),
                times,
            ));
        }
        let mut fields: Vec<Field> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        for (i, id) in &coded {
            fields.push(
                Field::new(
                    format!(
                        "{}{}",
                        pxl_exec::dictgroup::CODE_PREFIX,
                        self.schema.field(*i).name()
                    ),
                    DataType::UInt32,
                    true,
                )
                .with_metadata(
                    [(
                        pxl_exec::dictgroup::DICTIONARY_KEY.to_string(),
                        id.to_string(),
                    )]
                    .into(),
                ),
            );
        }
        let schema = Arc::new(Schema::new(fields));
        let batches = stored
            .iter()
            .map(|b| {
                let mut columns = b.batch.columns().to_vec();
                columns.extend(coded.iter().filter_map(|(i, _)| b.codes[*i].clone()));
                RecordBatch::try_new(schema.clone(), columns)
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok((batches, schema, times))
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
        // Exact: the scan also drops the rows of the batches that straddle
        // the bounds (see `within`).
        Ok(time_filter_pushdown(
            filters,
            self.time_index.is_some(),
            true,
        ))
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let (start, end) = time_bounds(filters);
        let (batches, schema, times) = self.coded_snapshot(start, end)?;
        let batches = within(batches, &times, self.time_index, start, end)?;
        // Hidden code columns are only read when the optimizer asks.
        let projection = projection
            .cloned()
            .unwrap_or_else(|| (0..self.schema.fields().len()).collect());
        // Spread the batches over the session's partitions, keeping each
        // partition's batches in time order.
        let n = state.config().target_partitions().max(1);
        let mut partitions: Vec<Vec<RecordBatch>> = vec![Vec::new(); n.min(batches.len()).max(1)];
        let per = batches.len().div_ceil(partitions.len()).max(1);
        for (i, b) in batches.into_iter().enumerate() {
            partitions[i / per].push(b);
        }
        let source = MemorySourceConfig::try_new(&partitions, schema, Some(projection))?;
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
                // Counters and the oldest time of one moment.
                let (s, min_time) = {
                    let inner = t.inner.read();
                    (inner.stats, oldest_time(&inner.batches))
                };
                let i = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
                pxl_planner::TableInfo {
                    name: t.name().to_string(),
                    batches_added: i(s.batches + s.evicted_batches),
                    batches_expired: i(s.evicted_batches),
                    bytes_added: i(s.bytes + s.evicted_bytes),
                    num_batches: i(s.batches),
                    size: i(s.bytes),
                    max_table_size: i(t.budget() as u64),
                    min_time,
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
        // What one batch takes in the store, with its string codes.
        let probe = Table::new("probe", schema(), usize::MAX);
        probe.append(batch(0..100)).unwrap();
        let one = probe.stats().bytes as usize;
        assert!(one > batch(0..100).get_array_memory_size());
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
    fn string_columns_are_coded_until_they_outgrow_the_dictionary() {
        use pxl_exec::dictgroup::{CODE_PREFIX, StringDictionary};
        let t = Table::new("t", schema(), usize::MAX);
        for i in 0..3 {
            t.append(batch(i * 100..(i + 1) * 100)).unwrap();
        }
        let (batches, with_codes, _) = t.coded_snapshot(None, None).unwrap();
        let hidden = with_codes.index_of(&format!("{CODE_PREFIX}v")).unwrap();
        let dictionary = t.codings.read()[1].clone().unwrap().dictionary;
        for b in &batches {
            let codes = b
                .column(hidden)
                .as_primitive::<datafusion::arrow::datatypes::UInt32Type>();
            let decoded = dictionary.decode(codes).unwrap();
            assert_eq!(&decoded, b.column(1).as_string::<i32>());
        }
        // "row 0" .. "row 99" repeat in every batch: 100 codes in all.
        assert_eq!(dictionary.inner.read().values.len(), 100);
        assert!(dictionary.decode(&UInt32Array::from(vec![100])).is_err());

        // A batch of more distinct values than a dictionary holds: the
        // column stops being coded, and scans no longer offer its codes.
        let n = DICTIONARY_VALUES as i64 + 10;
        let wide = RecordBatch::try_new(
            schema(),
            vec![
                Arc::new(Int64Array::from_iter_values(1000..1000 + n)),
                Arc::new(StringArray::from_iter_values(
                    (0..n).map(|i| format!("v{i}")),
                )),
            ],
        )
        .unwrap();
        t.append(wide).unwrap();
        assert!(t.codings.read()[1].is_none());
        let (_, schema, _) = t.coded_snapshot(None, None).unwrap();
        assert!(schema.index_of(&format!("{CODE_PREFIX}v")).is_err());
        // The rejected batch's values were not kept.
        assert_eq!(dictionary.inner.read().values.len(), 100);
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
    fn scans_drop_the_rows_outside_the_time_bounds() {
        let t = Table::new("t", schema(), usize::MAX);
        t.append(batch(0..10)).unwrap();
        t.append(batch(10..20)).unwrap();
        t.append(batch(20..30)).unwrap();
        let times = |start, end| -> Vec<i64> {
            let (batches, _, ranges) = t.coded_snapshot(start, end).unwrap();
            let batches = within(batches, &ranges, t.time_index, start, end).unwrap();
            batches
                .iter()
                .flat_map(|b| {
                    b.column(t.time_index.unwrap())
                        .as_primitive::<Int64Type>()
                        .values()
                        .to_vec()
                })
                .collect()
        };
        assert_eq!(times(Some(5), Some(12)), (5..=12).collect::<Vec<_>>());
        assert_eq!(times(Some(10), Some(19)), (10..20).collect::<Vec<_>>());
        assert_eq!(times(None, Some(2)), vec![0, 1, 2]);
        assert_eq!(times(Some(29), None), vec![29]);
        assert!(times(Some(30), None).is_empty());
        assert_eq!(times(None, None).len(), 30);
        // An impossible bound (as `time_ > i64::MAX` gives): no row.
        assert!(times(Some(i64::MAX), Some(i64::MIN)).is_empty());
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
        // Bounds no row can meet, without overflowing.
        let (s, e) = time_bounds(&[col("time_").gt(lit(i64::MAX))]);
        assert!(s > e, "{s:?} {e:?}");
        let (s, e) = time_bounds(&[col("time_").lt(lit(i64::MIN))]);
        assert!(s > e, "{s:?} {e:?}");
        assert!(pxl_stdlib::runtime::is_time_filter(
            &col("time_").gt(lit(1i64))
        ));
        assert!(!pxl_stdlib::runtime::is_time_filter(
            &col("v").gt(lit(1i64))
        ));
    }
}
