//! The tables the collectors fill, with Pixie's names, column types and
//! semantic types, plus the extension columns of LANGUAGE.md §2.

use crate::datatype::{DataType, Pattern, SemanticType};

/// One table a script can read with `px.DataFrame`.
#[derive(Debug, Clone, Copy)]
pub struct Table {
    pub name: &'static str,
    pub desc: &'static str,
    pub columns: &'static [Column],
    /// Shipped by default (Pixie's production source group).
    pub default: bool,
    /// Extra names that resolve to an existing column (`resp_latency` → `latency`).
    pub aliases: &'static [(&'static str, &'static str)],
}

/// One column of a [`Table`].
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub ty: DataType,
    pub semantic: SemanticType,
    pub pattern: Pattern,
    pub desc: &'static str,
    /// Added by pxl (not in Pixie's schema).
    pub extension: bool,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The column a name refers to, following aliases.
    pub fn resolve(&self, name: &str) -> Option<&'static Column> {
        self.column(name).or_else(|| {
            self.aliases
                .iter()
                .find(|(alias, _)| *alias == name)
                .and_then(|(_, target)| self.column(target))
        })
    }
}

/// Every table, default ones first.
pub fn tables() -> &'static [Table] {
    crate::table_data::TABLES
}

pub fn table(name: &str) -> Option<&'static Table> {
    tables().iter().find(|t| t.name == name)
}

/// Shorthand used by the table data.
pub(crate) const fn col(
    name: &'static str,
    ty: DataType,
    semantic: SemanticType,
    pattern: Pattern,
    desc: &'static str,
) -> Column {
    Column {
        name,
        ty,
        semantic,
        pattern,
        desc,
        extension: false,
    }
}

/// Shorthand for a pxl extension column.
pub(crate) const fn ext(
    name: &'static str,
    ty: DataType,
    semantic: SemanticType,
    pattern: Pattern,
    desc: &'static str,
) -> Column {
    Column {
        name,
        ty,
        semantic,
        pattern,
        desc,
        extension: true,
    }
}
