//! The compiler's entry points: source (and optional vis.json) in, IR plan,
//! diagnostics and analysis out.

use crate::analysis::Analysis;
use crate::diagnostic::{Diagnostic, Origin, Severity};
use crate::eval::Evaluator;
use crate::ir::{Node, Op, Plan};
use crate::span::Span;
use crate::syntax::{self, ast};

/// Most diagnostics reported for one script.
pub const MAX_DIAGNOSTICS: usize = 1000;

/// How to compile.
#[derive(Debug, Clone)]
pub struct CompileOptions {
    /// `--arg NAME=VALUE` values for vis.json variables.
    pub args: Vec<(String, String)>,
    /// What `px.now()` returns, ns since the epoch.
    pub now_ns: i64,
    /// Record the symbol table and expression types (for the editor).
    pub analysis: bool,
}

impl Default for CompileOptions {
    fn default() -> CompileOptions {
        CompileOptions {
            args: Vec::new(),
            now_ns: now_ns(),
            analysis: true,
        }
    }
}

pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// The result of compiling one script.
#[derive(Debug, Clone)]
pub struct Compilation {
    /// The plan; only meaningful when there is no error.
    pub plan: Plan,
    /// Every diagnostic, sorted by input and position.
    pub diagnostics: Vec<Diagnostic>,
    pub analysis: Analysis,
    /// The syntax tree (kept for the editor).
    pub module: ast::Module,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.severity == Severity::Error)
    }
}

/// Compile a `.pxl` source on its own (module-level `px.display` calls).
pub fn check_source(src: &str, opts: &CompileOptions) -> Compilation {
    compile(src, None, opts)
}

/// Compile a script with its `vis.json` (functions driven by its variables).
pub fn check_script(src: &str, vis_json: Option<&str>, opts: &CompileOptions) -> Compilation {
    compile(src, vis_json, opts)
}

fn compile(src: &str, vis_json: Option<&str>, opts: &CompileOptions) -> Compilation {
    let parsed = syntax::parse(src);
    let mut ev = Evaluator::new(opts.now_ns);
    ev.analysis.enabled = opts.analysis;
    let vis = vis_json.map(|text| crate::vis::VisSpec::parse(text, &mut ev.diags));
    let vis = vis.flatten();
    let has_funcs = vis.as_ref().is_some_and(|v| v.has_functions());
    if has_funcs {
        ev.display_enabled = false;
    }
    if let Some(v) = &vis {
        ev.reserved_names = v.output_names().map(String::from).collect();
    }
    if parsed.module.body.is_empty() && parsed.diagnostics.is_empty() {
        ev.diags.push(
            Diagnostic::error("E0602", Span::default(), "the script is empty")
                .help("read a table and show it: `import px` then `px.display(px.DataFrame('http_events', start_time='-5m'))`"),
        );
    } else {
        ev.run_module(&parsed.module);
        if !opts.args.is_empty() && vis.is_none() {
            ev.diags.push(
                Diagnostic::error(
                    "E0607",
                    Span::default(),
                    "--arg was given but the script has no vis.json declaring variables",
                )
                .in_origin(Origin::Arguments),
            );
        }
        if let Some(vis) = &vis {
            vis.run(&mut ev, &opts.args);
        }
    }
    let mut diagnostics = parsed.diagnostics;
    let flags = query_flags(src, &mut diagnostics);
    let eval_had_errors = ev.diags.iter().any(Diagnostic::is_error);
    diagnostics.append(&mut ev.diags);
    let syntax_errors = diagnostics.iter().any(Diagnostic::is_error);
    if ev.sinks.is_empty() && !syntax_errors && !eval_had_errors && !parsed.module.body.is_empty() {
        let help = if vis_json.is_some() {
            "vis.json names no function that returns a DataFrame; add a globalFunc or widget func"
        } else {
            "add `px.display(df)` for each table the script should output"
        };
        diagnostics.push(
            Diagnostic::error("E0601", Span::default(), "the script produces no output").help(help),
        );
    }
    diagnostics.sort_by_key(|d| (d.origin as u8, d.span.start, d.span.end));
    // A function called twice reports its errors once.
    diagnostics.dedup_by(|a, b| {
        a.code == b.code && a.span == b.span && a.message == b.message && a.origin == b.origin
    });
    if diagnostics.len() > MAX_DIAGNOSTICS {
        diagnostics.truncate(MAX_DIAGNOSTICS);
        let end = src.len();
        diagnostics.push(
            Diagnostic::error(
                "E0008",
                Span::new(end, end),
                format!("too many problems; only the first {MAX_DIAGNOSTICS} are shown"),
            )
            .help("fix these and check again"),
        );
    }
    let mut analysis = std::mem::take(&mut ev.analysis);
    if analysis.enabled {
        analysis.frames = ev.nodes.iter().map(|n| n.relation.clone()).collect();
    }
    let mut plan = ev.finish_plan();
    if let Some(n) = flags.max_output_rows {
        limit_outputs(&mut plan, n);
    }
    Compilation {
        plan,
        diagnostics,
        analysis,
        module: parsed.module,
    }
}

/// Query flags set by `#px:set key=value` comment lines.
#[derive(Debug, Default)]
struct QueryFlags {
    max_output_rows: Option<i64>,
}

/// Reads the `#px:set` lines of `src`. Pixie's `explain` and `analyze`
/// flags are accepted and have no effect here (`pxl explain` shows plans);
/// unknown flags and bad values are warned about and ignored.
fn query_flags(src: &str, diags: &mut Vec<Diagnostic>) -> QueryFlags {
    let mut flags = QueryFlags::default();
    let mut offset = 0;
    for line in src.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim();
        let Some(rest) = trimmed.strip_prefix("#px:set") else {
            continue;
        };
        let lead = line.len() - line.trim_start().len();
        let span = Span::new(start + lead, start + lead + trimmed.len());
        for setting in rest.split_whitespace() {
            let (key, value) = setting.split_once('=').unwrap_or((setting, ""));
            match key {
                "max_output_rows_per_table" => match value.parse::<i64>() {
                    Ok(n) if n > 0 => flags.max_output_rows = Some(n),
                    _ => diags.push(
                        Diagnostic::warning(
                            "W0605",
                            span,
                            format!("`max_output_rows_per_table` needs a positive whole number, not `{value}`; the flag is ignored"),
                        ),
                    ),
                },
                "explain" | "analyze" => {}
                other => diags.push(
                    Diagnostic::warning("W0605", span, format!("unknown query flag `{other}`; it is ignored"))
                        .help("pxl knows `max_output_rows_per_table`, `explain` and `analyze`"),
                ),
            }
        }
    }
    flags
}

/// Puts a limit of `n` rows in front of every output that is shown.
fn limit_outputs(plan: &mut Plan, n: i64) {
    let mut next = plan.nodes.iter().map(|n| n.id).max().map_or(0, |m| m + 1);
    let mut added = Vec::new();
    for node in &mut plan.nodes {
        let Op::Sink { kind, .. } = &node.op else {
            continue;
        };
        if matches!(kind, crate::ir::SinkKind::OtelExport(_)) {
            continue;
        }
        let Some(&input) = node.inputs.first() else {
            continue;
        };
        added.push(Node {
            id: next,
            op: Op::Limit { n, pem_only: false },
            inputs: vec![input],
            relation: node.relation.clone(),
        });
        node.inputs[0] = next;
        next += 1;
    }
    plan.nodes.extend(added);
}
