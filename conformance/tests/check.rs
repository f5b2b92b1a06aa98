//! Runs every case of conformance/check and compares with its snapshot.
//! Accept new or changed output with `INSTA_UPDATE=always cargo test -p pxl-conformance`.

use pxl_conformance::{cases, compile, render};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("check")
}

#[test]
fn corpus() {
    let cases = cases(&root());
    assert!(!cases.is_empty(), "no conformance cases found");
    let mut failures = Vec::new();
    for case in &cases {
        let c = compile(case);
        let has_errors = c.has_errors();
        if case.expect_ok && has_errors {
            failures.push(format!(
                "ok/{}: expected no error, got:\n{}",
                case.name,
                render(case, &c)
            ));
            continue;
        }
        if !case.expect_ok && !has_errors {
            failures.push(format!(
                "err/{}: expected an error, compiled cleanly",
                case.name
            ));
            continue;
        }
        let output = render(case, &c);
        let result = std::panic::catch_unwind(|| {
            insta::with_settings!({
                snapshot_path => case.dir.clone(),
                prepend_module_to_snapshot => false,
                omit_expression => true,
                input_file => case.dir.join(format!("{}.pxl", case.name)),
            }, {
                insta::assert_snapshot!(case.name.clone(), output);
            });
        });
        if result.is_err() {
            failures.push(format!("{}: snapshot differs (see above)", case.name));
        }
    }
    let (ok, err) = (
        cases.iter().filter(|c| c.expect_ok).count(),
        cases.iter().filter(|c| !c.expect_ok).count(),
    );
    println!("conformance: {ok} ok cases, {err} err cases");
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
    for sub in ["ok", "err"] {
        let dir = root().join(sub);
        for e in std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
        {
            let p = e.path();
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if name.ends_with(".snap.new") {
                stale.push(p.display().to_string());
            } else if let Some(stem) = name.strip_suffix(".snap")
                && !dir.join(format!("{stem}.pxl")).is_file()
            {
                stale.push(p.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale or pending snapshots:\n{}",
        stale.join("\n")
    );
}
