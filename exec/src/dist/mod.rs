//! Distributed execution: the pieces of a plan that run on other agents.
//!
//! - [`scan`]: the table-store scan leaf and the schema-only tables the
//!   broker plans against;
//! - [`split`]: the distributed planner (PEM fragments vs Kelvin fragment);
//! - [`gather`]: the Arrow Flight exchange from PEMs to the Kelvin;
//! - [`codec`]: plan (de)serialisation with DataFusion's protobuf;
//! - [`wire`]: tickets, control messages and actions;
//! - [`tls`]: certificates and TLS settings.

pub mod codec;
pub mod gather;
pub mod scan;
pub mod split;
pub mod tls;
pub mod wire;

pub use codec::PxlCodec;
pub use gather::{Dialer, GatherExec, QueryContext};
pub use scan::{RemoteTable, ScanSource, StoreScanExec};
pub use split::{Split, split};

use datafusion::catalog::TableProvider;
use pxl_stdlib::runtime::table_schema;
use std::collections::HashMap;
use std::sync::Arc;

/// Schema-only providers for `tables` (names of the registry's tables;
/// unknown names are skipped).
pub fn remote_catalog<'a>(
    tables: impl IntoIterator<Item = &'a str>,
    partitions: usize,
) -> HashMap<String, Arc<dyn TableProvider>> {
    tables
        .into_iter()
        .filter_map(|name| {
            let t = pxl_stdlib::tables::table(name)?;
            let provider: Arc<dyn TableProvider> =
                Arc::new(RemoteTable::new(t.name, table_schema(t), partitions));
            Some((t.name.to_string(), provider))
        })
        .collect()
}
