//! `pxl check`.

use crate::render::{Format, Renderer};
use pxl_compiler::script::{ScriptInput, compile_input, discover};
use pxl_compiler::{CompileOptions, Severity};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Scripts to check: .pxl files, script directories, trees, or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Set a vis.json variable: `--arg start_time=-30m` (repeatable).
    #[arg(long = "arg", value_name = "NAME=VALUE", value_parser = parse_arg)]
    args: Vec<(String, String)>,
    /// Output format for diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Do not print the summary line.
    #[arg(long, short)]
    quiet: bool,
}

pub fn parse_arg(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("`{s}` is not NAME=VALUE")),
    }
}

pub fn run(args: &CheckArgs) -> ExitCode {
    let mut scripts: Vec<ScriptInput> = Vec::new();
    let mut renderer = Renderer::new(args.format);
    let mut layout_errors = 0;
    for path in &args.paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut text) {
                eprintln!("error: cannot read standard input: {e}");
                return ExitCode::from(2);
            }
            scripts.push(ScriptInput {
                name: "<stdin>".into(),
                pxl_path: "<stdin>".into(),
                pxl: text,
                vis: None,
                manifest: None,
            });
            continue;
        }
        match discover(path) {
            Ok(found) => {
                for p in found.problems {
                    layout_errors += 1;
                    renderer.problem(&p.path.display().to_string(), "E0610", &p.message);
                }
                scripts.extend(found.scripts);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let opts = CompileOptions {
        args: args.args.clone(),
        analysis: false,
        ..CompileOptions::default()
    };
    let (mut errors, mut warnings) = (layout_errors, 0);
    for script in &scripts {
        let c = compile_input(script, &opts);
        errors += c
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        warnings += c
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count();
        renderer.diagnostics(script, &c.diagnostics);
    }
    renderer.finish();
    if !args.quiet && args.format == Format::Human {
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        eprintln!(
            "checked {}: {}, {}",
            plural(scripts.len(), "script"),
            plural(errors, "error"),
            plural(warnings, "warning")
        );
    }
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
