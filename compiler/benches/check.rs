//! Compiler speed, with CPython's `ast.parse` on the same text as the
//! baseline measured in the same run (the goal: a full PxL check — parse,
//! evaluate, type-check, plan — is faster than CPython merely parsing).
//!
//! `cargo bench -p pxl-compiler --bench check`

use criterion::Criterion;

/// The same allocator as the `pxl` binary, so the numbers are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use pxl_compiler::{CompileOptions, check_script, check_source};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const REALISTIC: &str = include_str!("data/realistic.pxl");

/// `analysis: false` is what `pxl check` and `pxl run` compile with;
/// `analysis: true` adds the editor's symbol table, as `pxl lsp` does.
fn opts(analysis: bool) -> CompileOptions {
    CompileOptions {
        args: Vec::new(),
        now_ns: 1_700_000_000_000_000_000,
        analysis,
    }
}

/// Every `ok` case of the conformance corpus: (pxl, vis.json).
fn corpus() -> Vec<(String, Option<String>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conformance/check/ok");
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|x| x == "pxl"))
    {
        let vis = p.with_extension("vis.json");
        out.push((
            std::fs::read_to_string(p).unwrap(),
            std::fs::read_to_string(&vis).ok(),
        ));
    }
    out
}

fn check_corpus(corpus: &[(String, Option<String>)]) {
    for (pxl, vis) in corpus {
        black_box(check_script(pxl, vis.as_deref(), &opts(false)));
    }
}

/// Median wall time of `f` over `n` runs.
fn median(n: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[n / 2]
}

/// CPython's ast.parse on the same texts: median seconds per pass, measured by python itself.
fn cpython_parse(files: &[&Path]) -> Option<f64> {
    let list: Vec<String> = files
        .iter()
        .map(|p| format!("{:?}", p.display().to_string()))
        .collect();
    let code = format!(
        "import ast, time\nsrcs=[open(p).read() for p in [{}]]\nts=[]\nfor _ in range(51):\n    t=time.perf_counter()\n    for s in srcs:\n        try: ast.parse(s)\n        except SyntaxError: pass\n    ts.append(time.perf_counter()-t)\nts.sort()\nprint(ts[len(ts)//2])\n",
        list.join(", ")
    );
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(code)
        .output()
        .ok()?;
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

fn main() {
    let corpus = corpus();
    let mut c = Criterion::default().configure_from_args();
    c.bench_function("check realistic 457-line script", |b| {
        b.iter(|| check_source(black_box(REALISTIC), &opts(false)))
    });
    c.bench_function("check realistic 457-line script, editor analysis", |b| {
        b.iter(|| check_source(black_box(REALISTIC), &opts(true)))
    });
    c.bench_function(
        &format!("check conformance ok/ corpus ({} scripts)", corpus.len()),
        |b| b.iter(|| check_corpus(&corpus)),
    );
    c.final_summary();

    // Ratios against CPython, measured now on this machine.
    let realistic_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/data/realistic.pxl");
    let corpus_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../conformance/check/ok");
    let mut corpus_files: Vec<PathBuf> = std::fs::read_dir(&corpus_dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pxl"))
        .collect();
    corpus_files.sort();
    let ours = median(201, || {
        black_box(check_source(REALISTIC, &opts(false)));
    });
    let ours_editor = median(201, || {
        black_box(check_source(REALISTIC, &opts(true)));
    });
    let ours_corpus = median(21, || check_corpus(&corpus));
    println!("\n== ratios (median, this run) ==");
    println!(
        "pxl check, realistic script: {:.3} ms (target < 1 ms)",
        ours.as_secs_f64() * 1e3
    );
    println!(
        "same with the editor's symbol table (pxl lsp): {:.3} ms",
        ours_editor.as_secs_f64() * 1e3
    );
    println!(
        "pxl check, ok/ corpus ({} scripts): {:.2} ms (target < 100 ms)",
        corpus.len(),
        ours_corpus.as_secs_f64() * 1e3
    );
    match (
        cpython_parse(&[&realistic_path]),
        cpython_parse(
            &corpus_files
                .iter()
                .map(PathBuf::as_path)
                .collect::<Vec<_>>(),
        ),
    ) {
        (Some(py), Some(py_corpus)) => {
            println!("CPython ast.parse, realistic script: {:.3} ms", py * 1e3);
            println!("CPython ast.parse, ok/ corpus: {:.2} ms", py_corpus * 1e3);
            println!(
                "ratio pxl-check / cpython-parse, realistic: {:.2}",
                ours.as_secs_f64() / py
            );
            println!(
                "ratio pxl-check / cpython-parse, corpus: {:.2}",
                ours_corpus.as_secs_f64() / py_corpus
            );
        }
        _ => println!("CPython baseline skipped: python3 not found or failed"),
    }
}
