//! Execution conformance: runs every `run/*.pxl` over the fixed dataset and
//! compares the outputs with the snapshot next to it; also runs every
//! bundled script and requires a non-empty result.
//! Accept new or changed output with `INSTA_UPDATE=always cargo test -p pxl-conformance`.

use pxl_compiler::script::ScriptInput;
use pxl_conformance::exec::run_script;
use pxl_conformance::read_args;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("run")
}

struct RunCase {
    name: String,
    input: ScriptInput,
    args: Vec<(String, String)>,
}

fn cases() -> Vec<RunCase> {
    let dir = root();
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir)
        .expect("conformance/run exists")
        .flatten()
    {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "pxl") {
            continue;
        }
        let name = p
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let pxl = std::fs::read_to_string(&p).expect("read case");
        let vis_path = dir.join(format!("{name}.vis.json"));
        let vis = std::fs::read_to_string(&vis_path)
            .ok()
            .map(|v| (vis_path, v));
        let args = read_args(&dir.join(format!("{name}.args")));
        out.push(RunCase {
            input: ScriptInput {
                name: name.clone(),
                pxl_path: p.clone(),
                pxl,
                vis,
                manifest: None,
            },
            name,
            args,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

#[test]
fn corpus() {
    let cases = cases();
    assert!(!cases.is_empty(), "no execution cases found");
    let mut failures = Vec::new();
    for case in &cases {
        let expect_error = case.name.contains("_error_");
        let output = match run_script(&case.input, &case.args) {
            Ok(text) if expect_error => {
                failures.push(format!("{}: expected an error, got:\n{text}", case.name));
                continue;
            }
            Ok(text) => text,
            Err(e) if expect_error => format!("error: {e}\n"),
            Err(e) => {
                failures.push(format!("{}: {e}", case.name));
                continue;
            }
        };
        let result = std::panic::catch_unwind(|| {
            insta::with_settings!({
                snapshot_path => root(),
                prepend_module_to_snapshot => false,
                omit_expression => true,
                input_file => root().join(format!("{}.pxl", case.name)),
            }, {
                insta::assert_snapshot!(case.name.clone(), output);
            });
        });
        if result.is_err() {
            failures.push(format!("{}: snapshot differs (see above)", case.name));
        }
    }
    println!("execution conformance: {} cases", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// A snapshot without its case is stale and fails the run.
#[test]
fn no_unreferenced_snapshots() {
    let mut stale = Vec::new();
    for e in std::fs::read_dir(root()).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
            stale.push(format!(
                "{name}: pending snapshot (review and accept or delete it)"
            ));
        } else if let Some(stem) = name.strip_suffix(".snap")
            && !root().join(format!("{stem}.pxl")).exists()
        {
            stale.push(format!("{name}: no case {stem}.pxl"));
        }
    }
    assert!(stale.is_empty(), "stale snapshots:\n{}", stale.join("\n"));
}

/// Every bundled script runs on generated data and every output has rows.
#[test]
fn bundled_scripts_run() {
    let mut failures = Vec::new();
    for s in pxl_stdlib::scripts::bundled() {
        let input = ScriptInput {
            name: s.name.into(),
            pxl_path: format!("{}.pxl", s.name).into(),
            pxl: s.pxl.into(),
            vis: s.vis.map(|v| (PathBuf::from("vis.json"), v.into())),
            manifest: None,
        };
        match run_script(&input, &[]) {
            Ok(text) => {
                for line in text.lines().filter(|l| l.starts_with("== ")) {
                    if line.ends_with("(0 rows)") {
                        failures.push(format!("{}: empty output {line}", s.name));
                    }
                }
            }
            Err(e) => failures.push(format!("{}: {e}", s.name)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
