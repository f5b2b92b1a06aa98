//! Rendering diagnostics: ariadne for people, JSON for tools.

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind, Source};
use pxl_compiler::diagnostic::{Diagnostic, Origin, Severity};
use pxl_compiler::script::ScriptInput;
use pxl_compiler::span::LineIndex;
use serde::Serialize;
use std::io::IsTerminal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Annotated source snippets.
    Human,
    /// One JSON array of diagnostics on stdout.
    Json,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    severity: Severity,
    message: &'a str,
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    labels: Vec<JsonLabel<'a>>,
    notes: &'a [String],
    help: Option<&'a str>,
    suggestions: &'a [String],
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    message: &'a str,
    line: usize,
    column: usize,
}

pub struct Renderer {
    format: Format,
    color: bool,
    json: Vec<serde_json::Value>,
}

impl Renderer {
    pub fn new(format: Format) -> Renderer {
        let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        Renderer {
            format,
            color,
            json: Vec::new(),
        }
    }

    /// A problem with a whole path (no source to point into).
    pub fn problem(&mut self, path: &str, code: &'static str, message: &str) {
        match self.format {
            Format::Human => eprintln!("error[{code}]: {path}: {message}"),
            Format::Json => self.json.push(serde_json::json!({
                "code": code, "severity": "error", "message": message, "file": path,
                "line": 1, "column": 1, "end_line": 1, "end_column": 1,
                "labels": [], "notes": [], "help": null, "suggestions": [],
            })),
        }
    }

    pub fn diagnostics(&mut self, script: &ScriptInput, diags: &[Diagnostic]) {
        for d in diags {
            let (file, text) = source_of(script, d.origin);
            match self.format {
                Format::Human => self.human(d, &file, text),
                Format::Json => {
                    let index = LineIndex::new(text);
                    let (line, column) = index.line_col(text, d.span.start as usize);
                    let (end_line, end_column) = index.line_col(text, d.span.end as usize);
                    let labels = d
                        .labels
                        .iter()
                        .map(|l| {
                            let (line, column) = index.line_col(text, l.span.start as usize);
                            JsonLabel {
                                message: &l.message,
                                line,
                                column,
                            }
                        })
                        .collect();
                    let j = JsonDiagnostic {
                        code: d.code,
                        severity: d.severity,
                        message: &d.message,
                        file,
                        line,
                        column,
                        end_line,
                        end_column,
                        labels,
                        notes: &d.notes,
                        help: d.help.as_deref(),
                        suggestions: &d.suggestions,
                    };
                    self.json.push(serde_json::to_value(j).unwrap_or_default());
                }
            }
        }
    }

    fn human(&self, d: &Diagnostic, file: &str, text: &str) {
        if d.origin == Origin::Arguments {
            let kind = if d.severity == Severity::Error {
                "error"
            } else {
                "warning"
            };
            eprintln!("{kind}[{}]: {}", d.code, d.message);
            for n in &d.notes {
                eprintln!("  = note: {n}");
            }
            if let Some(h) = &d.help {
                eprintln!("  = help: {h}");
            }
            return;
        }
        let kind = if d.severity == Severity::Error {
            ReportKind::Error
        } else {
            ReportKind::Warning
        };
        let color = if d.severity == Severity::Error {
            Color::Red
        } else {
            Color::Yellow
        };
        let len = text.len();
        let range = |s: pxl_compiler::Span| {
            let a = (s.start as usize).min(len);
            let b = (s.end as usize).clamp(a, len);
            a..b
        };
        let primary = range(d.span);
        // The primary label carries the help ("did you mean ...") when there is no
        // label text of its own, the way rustc puts it under the code.
        let own = d
            .labels
            .iter()
            .find(|l| l.span == d.span)
            .map(|l| l.message.as_str());
        let primary_text = own.or(d.help.as_deref()).unwrap_or("");
        let help_in_label = own.is_none() && d.help.is_some();
        let mut report = Report::build(kind, (file, primary.clone()))
            .with_config(
                Config::default()
                    .with_index_type(IndexType::Byte)
                    .with_color(self.color),
            )
            .with_code(d.code)
            .with_message(&d.message)
            .with_label(
                Label::new((file, primary))
                    .with_color(color)
                    .with_message(primary_text),
            );
        for l in d.labels.iter().filter(|l| l.span != d.span) {
            report = report.with_label(
                Label::new((file, range(l.span)))
                    .with_message(&l.message)
                    .with_color(Color::Blue),
            );
        }
        for n in &d.notes {
            report = report.with_note(n);
        }
        if let Some(h) = d.help.as_ref().filter(|_| !help_in_label) {
            report = report.with_help(h);
        }
        let mut out = Vec::new();
        let _ = report.finish().write((file, Source::from(text)), &mut out);
        eprint!("{}", String::from_utf8_lossy(&out));
    }

    pub fn finish(&mut self) {
        if self.format == Format::Json {
            println!(
                "{}",
                serde_json::to_string_pretty(&self.json).unwrap_or_else(|_| "[]".into())
            );
        }
    }
}

fn source_of(script: &ScriptInput, origin: Origin) -> (String, &str) {
    match origin {
        Origin::VisJson => script
            .vis
            .as_ref()
            .map_or((script.name.clone(), ""), |(p, t)| {
                (p.display().to_string(), t.as_str())
            }),
        Origin::Manifest => script
            .manifest
            .as_ref()
            .map_or((script.name.clone(), ""), |(p, t)| {
                (p.display().to_string(), t.as_str())
            }),
        Origin::Script | Origin::Arguments => {
            (script.pxl_path.display().to_string(), script.pxl.as_str())
        }
    }
}
