//! `pxl-stdlib`: every PxL builtin in one place.
//!
//! This crate owns the *facts* of the language's standard library: the tables
//! scripts can read ([`tables`]), data and semantic types ([`datatype`]),
//! every function with its overloads and documentation ([`functions`]), and
//! the generated reference ([`reference`]). It is pure data and must never
//! depend on an execution engine: the compiler and the LSP link it, and stay
//! small because of that. Runtime implementations will live behind a
//! `runtime` feature.
//!
//! Entry points: [`functions::registry()`], [`tables::table()`],
//! [`reference::render_functions()`].

pub mod datatype;
pub mod functions;
pub mod reference;
pub mod scripts;
mod table_data;
pub mod tables;

pub use datatype::{DataType, Pattern, SemanticType};

/// Source of the `pxviews` library, imported by scripts with `import pxviews`.
pub const PXVIEWS_SOURCE: &str = include_str!("../pxl/pxviews.pxl");

#[cfg(feature = "runtime")]
pub mod runtime;
