//! The PxL conformance corpus and its runner.
//!
//! `check/ok/NNN_name.pxl` must compile without error; `check/err/NNN_name.pxl`
//! must produce at least one error. A case may have `NNN_name.vis.json` (run
//! as a vis script) and `NNN_name.args` (one `NAME=VALUE` per line). Each
//! case's outcome — diagnostics in a compact plain form, and for `ok` cases
//! the IR plan — is an insta snapshot next to it (`NNN_name.snap`).

pub mod exec;

use pxl_compiler::diagnostic::{Diagnostic, Origin, Severity};
use pxl_compiler::span::LineIndex;
use pxl_compiler::{Compilation, CompileOptions, check_script};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The fixed "now" of every conformance run: 2023-11-14 22:13:20 UTC.
pub const NOW_NS: i64 = 1_700_000_000_000_000_000;

#[derive(Debug)]
pub struct Case {
    pub name: String,
    pub dir: PathBuf,
    pub expect_ok: bool,
    pub pxl: String,
    pub vis: Option<String>,
    pub args: Vec<(String, String)>,
}

/// The `NAME=VALUE` lines of a case's `.args` file (none when it is absent).
pub fn read_args(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .filter(|l| !l.trim().is_empty())
                .filter_map(|l| {
                    l.split_once('=')
                        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Every case under `root/{ok,err}`, sorted by name.
pub fn cases(root: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    for (sub, expect_ok) in [("ok", true), ("err", false)] {
        let dir = root.join(sub);
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.filter_map(Result::ok) {
            let p = e.path();
            if p.extension().is_none_or(|x| x != "pxl") {
                continue;
            }
            let name = p
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            let pxl =
                std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            let vis = std::fs::read_to_string(dir.join(format!("{name}.vis.json"))).ok();
            let args = read_args(&dir.join(format!("{name}.args")));
            out.push(Case {
                name,
                dir: dir.clone(),
                expect_ok,
                pxl,
                vis,
                args,
            });
        }
    }
    out.sort_by(|a, b| (a.expect_ok, &a.name).cmp(&(b.expect_ok, &b.name)));
    out
}

pub fn compile(case: &Case) -> Compilation {
    let opts = CompileOptions {
        args: case.args.clone(),
        now_ns: NOW_NS,
        analysis: true,
    };
    check_script(&case.pxl, case.vis.as_deref(), &opts)
}

/// The snapshot text of a case.
pub fn render(case: &Case, c: &Compilation) -> String {
    let mut out = String::new();
    for d in &c.diagnostics {
        let text = match d.origin {
            Origin::VisJson => case.vis.as_deref().unwrap_or(""),
            _ => case.pxl.as_str(),
        };
        out.push_str(&render_plain(d, text));
    }
    if !c.has_errors() {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&c.plan.render());
    }
    out
}

/// `error[E0302] 4:12-4:18: message` plus labels, notes, help and suggestions.
pub fn render_plain(d: &Diagnostic, text: &str) -> String {
    let index = LineIndex::new(text);
    let pos = |o: u32| {
        let (l, c) = index.line_col(text, o as usize);
        format!("{l}:{c}")
    };
    let sev = if d.severity == Severity::Error {
        "error"
    } else {
        "warning"
    };
    let file = match d.origin {
        Origin::Script => "",
        Origin::VisJson => "vis.json ",
        Origin::Manifest => "manifest.yaml ",
        Origin::Arguments => "args ",
    };
    let mut s = format!(
        "{sev}[{}] {file}{}-{}: {}\n",
        d.code,
        pos(d.span.start),
        pos(d.span.end),
        d.message
    );
    for l in &d.labels {
        let _ = writeln!(
            s,
            "  label {}-{}: {}",
            pos(l.span.start),
            pos(l.span.end),
            l.message
        );
    }
    for n in &d.notes {
        let _ = writeln!(s, "  note: {n}");
    }
    if let Some(h) = &d.help {
        let _ = writeln!(s, "  help: {h}");
    }
    for sug in &d.suggestions {
        let _ = writeln!(s, "  suggestion: {sug}");
    }
    s
}
