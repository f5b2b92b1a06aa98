//! Stirling: pxl's data collectors.
//!
//! eBPF programs (C, in `bpf/`) see socket system calls of every process on
//! the host; user space tracks connections, infers protocols, parses and
//! stitches messages into rows, and samples /proc. Rows leave as Arrow
//! record batches through a sink.

#[cfg(feature = "collect")]
pub mod bpf;
pub mod http;

#[cfg(feature = "collect")]
pub mod collector;
#[cfg(feature = "collect")]
pub mod host;
#[cfg(feature = "collect")]
pub mod procfs;
#[cfg(feature = "collect")]
pub mod tables;
#[cfg(feature = "collect")]
pub mod trace;
#[cfg(feature = "collect")]
pub use collector::{Collectors, Config, Report};
#[cfg(feature = "collect")]
pub use tables::Sink;

/// Which way bytes moved on a socket, seen from the traced process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The process wrote (sent) them.
    Egress,
    /// The process read (received) them.
    Ingress,
}

/// The traced process's side of a connection (`trace_role`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Role {
    #[default]
    Unknown = 0,
    /// It sends requests (it called `connect`).
    Client = 1,
    /// It answers requests (it called `accept`).
    Server = 2,
}

/// A piece of one direction of a connection's byte stream, as one system
/// call moved it. The kernel copies at most a configured number of bytes per
/// call: `data` holds that prefix and the remaining `len - data.len()` bytes
/// were moved but not seen (a gap the parsers must step over).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// When the system call returned, in nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    /// Bytes the system call moved in all.
    pub len: u64,
    /// The captured prefix (`data.len() <= len`).
    pub data: Vec<u8>,
}
