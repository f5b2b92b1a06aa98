//! Encoding plan fragments: DataFusion's physical-plan protobuf plus our
//! own nodes ([`StoreScanExec`], [`GatherExec`]), with the stdlib's
//! functions resolved by name on the receiving side.

use super::gather::{GatherExec, QueryContext};
use super::scan::{ScanSource, ScanSpec, StoreScanExec};
use super::wire::Peer;
use bytes::{Buf, BufMut, Bytes};
use datafusion::arrow::datatypes::Schema;
use datafusion::common::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use datafusion_proto::protobuf;
use prost::Message;
use pxl_planner::Functions;
use pxl_stdlib::runtime::table_schema;
use std::collections::HashMap;
use std::sync::Arc;

const SCAN: u8 = 1;
const GATHER: u8 = 2;
/// The payload that marks a function as the stdlib's.
const PXL_FUNCTION: &[u8] = b"pxl";

/// Encodes and decodes fragments. Which side it is on decides what our
/// nodes are bound to: a PEM's codec has the node's table store, a Kelvin's
/// has the query (for its gathers), the broker's has neither.
#[derive(Debug, Clone)]
pub struct PxlCodec {
    scalar: Arc<HashMap<String, Arc<ScalarUDF>>>,
    quantiles: Arc<AggregateUDF>,
    quantile: Arc<AggregateUDF>,
    source: Option<Arc<dyn ScanSource>>,
    query: Option<Arc<QueryContext>>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct GatherHeader {
    agents: Vec<Peer>,
    merged: bool,
    label: usize,
    #[serde(default)]
    skipped: Vec<String>,
}

fn ext(e: impl std::error::Error + Send + Sync + 'static) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

impl PxlCodec {
    pub fn new(functions: &Functions) -> Self {
        PxlCodec {
            scalar: Arc::new(functions.scalar.clone()),
            quantiles: functions.quantiles.clone(),
            quantile: functions.quantile.clone(),
            source: None,
            query: None,
        }
    }

    /// Binds decoded scans to this node's tables.
    pub fn with_source(mut self, source: Arc<dyn ScanSource>) -> Self {
        self.source = Some(source);
        self
    }

    /// Binds decoded gathers to this query.
    pub fn with_query(mut self, query: Arc<QueryContext>) -> Self {
        self.query = Some(query);
        self
    }

    pub fn encode(&self, plan: Arc<dyn ExecutionPlan>) -> Result<Bytes> {
        datafusion_proto::bytes::physical_plan_to_bytes_with_extension_codec(plan, self)
    }

    pub fn decode(&self, bytes: &[u8], ctx: &TaskContext) -> Result<Arc<dyn ExecutionPlan>> {
        datafusion_proto::bytes::physical_plan_from_bytes_with_extension_codec(bytes, ctx, self)
    }
}

fn put_block(buf: &mut Vec<u8>, block: &[u8]) {
    buf.put_u32(block.len() as u32);
    buf.put_slice(block);
}

fn take_block(buf: &mut &[u8]) -> Result<Vec<u8>> {
    if buf.remaining() < 4 {
        return Err(DataFusionError::Internal("truncated plan node".into()));
    }
    let n = buf.get_u32() as usize;
    if buf.remaining() < n {
        return Err(DataFusionError::Internal("truncated plan node".into()));
    }
    let v = buf[..n].to_vec();
    buf.advance(n);
    Ok(v)
}

impl PhysicalExtensionCodec for PxlCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        _inputs: &[Arc<dyn ExecutionPlan>],
        _ctx: &TaskContext,
        _proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some((&tag, mut rest)) = buf.split_first() else {
            return Err(DataFusionError::Internal("empty plan node".into()));
        };
        match tag {
            SCAN => {
                let spec: ScanSpec = serde_json::from_slice(rest).map_err(ext)?;
                let table = pxl_stdlib::tables::table(&spec.table).ok_or_else(|| {
                    DataFusionError::Plan(format!("unknown table `{}` in a fragment", spec.table))
                })?;
                Ok(Arc::new(StoreScanExec::try_new(
                    spec,
                    table_schema(table),
                    self.source.clone(),
                )?))
            }
            GATHER => {
                let header: GatherHeader =
                    serde_json::from_slice(&take_block(&mut rest)?).map_err(ext)?;
                let schema =
                    protobuf::Schema::decode(take_block(&mut rest)?.as_slice()).map_err(ext)?;
                let schema: Schema = (&schema).try_into().map_err(ext)?;
                Ok(Arc::new(
                    GatherExec::new(
                        Arc::new(schema),
                        Bytes::copy_from_slice(rest),
                        header.agents,
                        header.merged,
                        header.label,
                        self.query.clone(),
                    )
                    .with_skipped(header.skipped),
                ))
            }
            other => Err(DataFusionError::Internal(format!(
                "unknown plan node kind {other}"
            ))),
        }
    }

    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        _proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        if let Some(scan) = node.downcast_ref::<StoreScanExec>() {
            buf.push(SCAN);
            buf.extend(serde_json::to_vec(scan.spec()).map_err(ext)?);
            return Ok(());
        }
        if let Some(g) = node.downcast_ref::<GatherExec>() {
            buf.push(GATHER);
            let header = GatherHeader {
                agents: g.agents().to_vec(),
                merged: g.merged(),
                label: g.label(),
                skipped: g.skipped().to_vec(),
            };
            put_block(buf, &serde_json::to_vec(&header).map_err(ext)?);
            let schema: protobuf::Schema = g.schema().as_ref().try_into().map_err(ext)?;
            put_block(buf, &schema.encode_to_vec());
            buf.extend_from_slice(g.fragment());
            return Ok(());
        }
        Err(DataFusionError::NotImplemented(format!(
            "`{}` cannot be sent to another agent",
            node.name()
        )))
    }

    // Our functions are marked so the receiver resolves them to the stdlib's
    // implementation even where DataFusion has a built-in of the same name
    // (`replace`, `pow`, ...) with other arguments.
    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        if self
            .scalar
            .get(node.name())
            .is_some_and(|u| u.as_ref() == node)
        {
            buf.extend_from_slice(PXL_FUNCTION);
        }
        Ok(())
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        if self.quantiles.as_ref() == node || self.quantile.as_ref() == node {
            buf.extend_from_slice(PXL_FUNCTION);
        }
        Ok(())
    }

    fn try_decode_udf(&self, name: &str, _buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        self.scalar
            .get(name)
            .cloned()
            .or_else(|| crate::pregroup::internal_udf(name))
            .ok_or_else(|| {
                DataFusionError::Plan(format!("function `{name}` is not known on this agent"))
            })
    }

    fn try_decode_udaf(&self, name: &str, _buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        if name == self.quantiles.name() {
            Ok(self.quantiles.clone())
        } else if name == self.quantile.name() {
            Ok(self.quantile.clone())
        } else {
            Err(DataFusionError::Plan(format!(
                "aggregate `{name}` is not known on this agent"
            )))
        }
    }
}
