//! Table scans of a distributed plan.
//!
//! The broker plans against [`RemoteTable`]s: they have a table's schema but
//! no data, and scan into a [`StoreScanExec`] leaf that names the table, the
//! projected columns and the time range. The leaf travels inside a PEM's
//! fragment; on the PEM the codec binds it to the node's own table store (a
//! [`ScanSource`]), so the scan reads what that node collected.

use async_trait::async_trait;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::TableType;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown};
use datafusion::physical_expr::{EquivalenceProperties, Partitioning, PhysicalExpr};
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SendableRecordBatchStream,
};
use pxl_stdlib::runtime::{time_bounds, time_filter_pushdown};
use std::sync::Arc;

/// Where a PEM's scans read from (the node's table store).
pub trait ScanSource: Send + Sync + std::fmt::Debug {
    /// The batches of `table` that may hold rows with `time_` in
    /// `[start, end]` (all batches for tables without `time_`), or `None`
    /// when this node has no such table.
    fn scan_batches(
        &self,
        table: &str,
        start: Option<i64>,
        end: Option<i64>,
    ) -> Option<Vec<RecordBatch>>;
}

/// A table known by schema only: what the broker plans against.
#[derive(Debug)]
pub struct RemoteTable {
    name: String,
    schema: SchemaRef,
    partitions: usize,
}

impl RemoteTable {
    /// `partitions` is how many parallel streams each PEM scans with.
    pub fn new(name: &str, schema: SchemaRef, partitions: usize) -> Self {
        RemoteTable {
            name: name.to_string(),
            schema,
            partitions: partitions.max(1),
        }
    }
}

#[async_trait]
impl TableProvider for RemoteTable {
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
        // A PEM's scan prunes batches only; the filter stays above it.
        Ok(time_filter_pushdown(
            filters,
            self.schema.index_of("time_").is_ok(),
            false,
        ))
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        _limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let (start, end) = time_bounds(filters);
        Ok(Arc::new(StoreScanExec::try_new(
            ScanSpec {
                table: self.name.clone(),
                projection: projection.cloned(),
                start,
                end,
                partitions: self.partitions,
            },
            self.schema.clone(),
            None,
        )?))
    }
}

/// What a [`StoreScanExec`] reads; this is what crosses the wire.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScanSpec {
    pub table: String,
    pub projection: Option<Vec<usize>>,
    pub start: Option<i64>,
    pub end: Option<i64>,
    pub partitions: usize,
}

/// A scan of one table of a node's table store.
#[derive(Debug)]
pub struct StoreScanExec {
    spec: ScanSpec,
    /// The table's full schema.
    table_schema: SchemaRef,
    source: Option<Arc<dyn ScanSource>>,
    props: Arc<PlanProperties>,
}

impl StoreScanExec {
    pub fn try_new(
        spec: ScanSpec,
        table_schema: SchemaRef,
        source: Option<Arc<dyn ScanSource>>,
    ) -> Result<Self> {
        let projected = match &spec.projection {
            Some(p) => Arc::new(table_schema.project(p)?),
            None => table_schema.clone(),
        };
        let props = PlanProperties::new(
            EquivalenceProperties::new(projected),
            Partitioning::UnknownPartitioning(spec.partitions.max(1)),
            EmissionType::Incremental,
            Boundedness::Bounded,
        );
        Ok(StoreScanExec {
            spec,
            table_schema,
            source,
            props: Arc::new(props),
        })
    }

    pub fn spec(&self) -> &ScanSpec {
        &self.spec
    }
}

impl DisplayAs for StoreScanExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "StoreScanExec: table={}", self.spec.table)?;
        if let Some(p) = &self.spec.projection {
            let names: Vec<&str> = p
                .iter()
                .filter_map(|&i| self.table_schema.fields().get(i).map(|f| f.name().as_str()))
                .collect();
            write!(f, ", columns=[{}]", names.join(", "))?;
        }
        if self.spec.start.is_some() || self.spec.end.is_some() {
            let b = |v: Option<i64>| v.map_or_else(|| "-".to_string(), |x| x.to_string());
            write!(f, ", time_=[{}, {}]", b(self.spec.start), b(self.spec.end))?;
        }
        Ok(())
    }
}

impl ExecutionPlan for StoreScanExec {
    fn name(&self) -> &str {
        "StoreScanExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.props
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }

    fn apply_expressions(
        &self,
        _f: &mut dyn FnMut(&Arc<dyn PhysicalExpr>) -> Result<TreeNodeRecursion>,
    ) -> Result<TreeNodeRecursion> {
        Ok(TreeNodeRecursion::Continue)
    }

    fn with_new_children(
        self: Arc<Self>,
        _children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(self)
    }

    fn execute(
        &self,
        partition: usize,
        _context: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let source = self.source.as_ref().ok_or_else(|| {
            DataFusionError::Execution(format!(
                "the scan of `{}` runs on a PEM (a node agent with a table store)",
                self.spec.table
            ))
        })?;
        let parts = self.spec.partitions.max(1);
        let batches = source
            .scan_batches(&self.spec.table, self.spec.start, self.spec.end)
            .unwrap_or_default();
        let projection = self.spec.projection.clone();
        let mine: Vec<Result<RecordBatch>> = batches
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % parts == partition)
            .map(|(_, b)| match &projection {
                Some(p) => b.project(p).map_err(DataFusionError::from),
                None => Ok(b),
            })
            .collect();
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            self.schema(),
            futures::stream::iter(mine),
        )))
    }
}
