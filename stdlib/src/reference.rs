//! Generated reference docs (markdown).
