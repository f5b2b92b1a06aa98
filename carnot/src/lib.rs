//! `pxl-carnot`: the node runtime. For now: the in-memory table store
//! ([`store`]) and loading recorded data into it ([`load`]). Agent roles,
//! services and live metadata arrive with the distributed runtime.

pub mod live;
pub mod load;
pub mod store;

pub use load::{LoadError, Loaded, load_dir};
pub use store::{DEFAULT_TABLE_BUDGET, Table, TableStats, TableStore};
