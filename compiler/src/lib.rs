//! `pxl-compiler`: the PxL front end.
//!
//! Text → tokens (logos + a layout pass for indentation) → syntax tree
//! (LALRPOP, with error recovery) → compile-time evaluation (PxL is staged:
//! module code runs at compile time and DataFrame calls build a plan) → type
//! checking against `pxl-stdlib` → the PxL IR, a typed operator graph.
//!
//! Architecture invariant: this crate knows nothing of DataFusion, gRPC or
//! eBPF; it depends only on the pure part of `pxl-stdlib`. It never panics on
//! any input: every problem is a [`Diagnostic`].
//!
//! Entry points: [`syntax::parse`], [`check_source`], [`check_script`].

pub mod diagnostic;
pub mod span;
pub mod syntax;

pub use diagnostic::{Diagnostic, Severity};
pub use span::Span;

pub mod analysis;
pub mod codes;
mod compile;
mod eval;
pub mod ir;
pub mod script;
mod vis;

pub use compile::{Compilation, CompileOptions, check_script, check_source, now_ns};
