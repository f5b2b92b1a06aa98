//! The PxL reference, generated from the registry as markdown. The files in
//! `docs/reference/` are this output; a test fails when they are stale.

use crate::functions::{
    CompileTimeSpec, DATAFRAME_METHODS, Family, FnKind, MODULE_FUNCTIONS, MODULES, TYPE_OBJECTS,
    registry,
};
use crate::tables::tables;
use std::fmt::Write;

const HEADER: &str = "<!-- Generated from the pxl-stdlib registry; do not edit. Regenerate with `UPDATE_DOCS=1 cargo test -p pxl-stdlib --test reference`. -->\n\n";

/// `docs/reference/functions.md`: every function with its overloads.
pub fn render_functions() -> String {
    let mut out = String::from(HEADER);
    out.push_str("# PxL functions\n\nScalar functions compute one value per row, aggregates one value per group inside `.agg()`, and table-valued functions produce a DataFrame. Call them as `px.<name>(...)`; they take positional arguments only. Overloads are chosen by the exact argument types — there is no implicit conversion.\n\n");
    let mut families: Vec<Family> = registry()
        .functions()
        .iter()
        .map(|f| f.spec.family)
        .collect();
    families.sort();
    families.dedup();
    out.push_str("## Contents\n\n");
    for fam in &families {
        let _ = writeln!(out, "- [{}](#{})", fam.title(), anchor(fam.title()));
    }
    out.push('\n');
    for fam in families {
        let _ = writeln!(out, "## {}\n", fam.title());
        let mut fns: Vec<_> = registry()
            .functions()
            .iter()
            .filter(|f| f.spec.family == fam)
            .collect();
        fns.sort_by_key(|f| f.name());
        for f in fns {
            let _ = writeln!(out, "### `px.{}`\n", f.name());
            let _ = writeln!(out, "{}\n", f.spec.brief);
            if !f.spec.doc.is_empty() {
                let _ = writeln!(out, "{}\n", f.spec.doc.trim());
            }
            out.push_str("| arguments | returns |\n|---|---|\n");
            for o in &f.overloads {
                let args: Vec<String> = o
                    .params
                    .iter()
                    .map(|p| match &p.default {
                        Some(d) => format!("{}: {} = {d}", p.name, p.ty),
                        None => format!("{}: {}", p.name, p.ty),
                    })
                    .collect();
                let ret = if f.kind() == FnKind::TableValued {
                    let cols: Vec<String> =
                        o.columns.iter().map(|(n, t)| format!("{n}: {t}")).collect();
                    format!("DataFrame[{}]", cols.join(", "))
                } else {
                    match o.ret_semantic {
                        Some(s) => format!("{} ({})", o.ret, s.name()),
                        None => o.ret.to_string(),
                    }
                };
                let _ = writeln!(out, "| ({}) | {} |", args.join(", "), ret);
            }
            out.push('\n');
            if f.spec.init_args > 0 {
                let _ = writeln!(
                    out,
                    "The first {} argument(s) must be literals.\n",
                    f.spec.init_args
                );
            }
            examples(&mut out, f.spec.examples);
        }
    }
    out
}

/// `docs/reference/language.md`: modules, compile-time functions, DataFrame methods, types.
pub fn render_language() -> String {
    let mut out = String::from(HEADER);
    out.push_str("# PxL compile-time API\n\nThese run while the script compiles: they build the query plan and compute literals.\n\n## Modules\n\n");
    for m in MODULES {
        let _ = writeln!(out, "- `{}` — {}", m.name, m.brief);
    }
    out.push_str("\n## Module functions\n\n");
    for s in MODULE_FUNCTIONS {
        spec(&mut out, s);
    }
    out.push_str("## DataFrame and column methods\n\n");
    for s in DATAFRAME_METHODS {
        spec(&mut out, s);
    }
    out.push_str("## Types\n\nUsable as parameter annotations (vis.json converts argument text by them) and, called on an expression, as semantic-type casts that keep the data type.\n\n| type | data type | semantic type | meaning |\n|---|---|---|---|\n");
    for t in TYPE_OBJECTS {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            t.path,
            t.ty,
            t.semantic.name(),
            t.brief
        );
    }
    out
}

/// `docs/reference/tables.md`: every table with its columns.
pub fn render_tables() -> String {
    let mut out = String::from(HEADER);
    out.push_str("# Tables\n\nRead a table with `px.DataFrame('name', start_time='-5m')`. `time_` is nanoseconds since the epoch. Columns marked *pxl* are extensions not present in Pixie.\n\n");
    for t in tables() {
        let _ = writeln!(
            out,
            "## `{}`{}\n",
            t.name,
            if t.default {
                ""
            } else {
                " (not collected by default)"
            }
        );
        let _ = writeln!(out, "{}\n", t.desc);
        out.push_str(
            "| column | type | semantic type | pattern | description |\n|---|---|---|---|---|\n",
        );
        for c in t.columns {
            let ext = if c.extension { " *pxl*" } else { "" };
            let _ = writeln!(
                out,
                "| `{}`{ext} | {} | {} | {} | {} |",
                c.name,
                c.ty,
                c.semantic.name(),
                c.pattern.name(),
                c.desc.replace('|', "\\|")
            );
        }
        for (alias, target) in t.aliases {
            let _ = writeln!(out, "\n`{alias}` *(pxl)* is another name for `{target}`.");
        }
        out.push('\n');
    }
    out
}

fn spec(out: &mut String, s: &CompileTimeSpec) {
    let _ = writeln!(out, "### `{}({})`\n", s.path, s.params);
    let _ = writeln!(out, "{} Returns: {}.\n", s.brief, s.returns);
    if !s.doc.is_empty() {
        let _ = writeln!(out, "{}\n", s.doc.trim());
    }
    examples(out, s.examples);
}

fn examples(out: &mut String, examples: &[&str]) {
    for e in examples {
        let _ = writeln!(out, "```python\n{}\n```\n", e.trim());
    }
}

fn anchor(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
        .collect::<String>()
        .replace(' ', "-")
}
