//! `pxl-carnot`: the node runtime: the in-memory table store ([`store`]),
//! loading recorded data into it ([`load`]), the collectors' sink
//! ([`live`]) and the agent roles (PEM, Kelvin, broker) with their Arrow
//! Flight service ([`agent`]).

pub mod agent;
pub mod live;
pub mod load;
pub mod store;

pub use load::{LoadError, Loaded, load_dir};
pub use store::{DEFAULT_TABLE_BUDGET, Table, TableStats, TableStore};
