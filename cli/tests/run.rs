//! `pxl datagen`, `pxl run`, `pxl explain` and `pxl scripts` as processes:
//! real files, exit codes, and one clear line for every kind of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pxl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pxl"))
        .args(args)
        .output()
        .expect("pxl starts")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh directory under the target dir, removed first if present.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Generated data shared by the tests of this file (made once per test
/// that needs it; datagen is deterministic and fast).
fn data(name: &str, format: &str) -> PathBuf {
    let dir = scratch(name);
    let out = pxl(&[
        "datagen",
        "--out",
        dir.to_str().unwrap(),
        "--rows",
        "3000",
        "--seed",
        "3",
        "--format",
        format,
        "--end",
        "2026-11-21T07:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn datagen_then_every_bundled_script_runs() {
    let dir = data("run_all", "parquet");
    let list = pxl(&["scripts", "list"]);
    let names: Vec<String> = text(&list.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect();
    assert!(names.len() >= 13, "{names:?}");
    for name in names {
        let out = pxl(&["run", &name, "--data", path(&dir)]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out.stderr));
        assert!(stdout.contains("Table ID: "), "{name}: {stdout}");
        assert!(
            !stdout.contains("(no rows)"),
            "{name} has an empty output:\n{stdout}"
        );
    }
}

#[test]
fn formats_and_row_limit() {
    let dir = data("formats", "arrow");
    let out = pxl(&[
        "run",
        "px/http_data",
        "--data",
        path(&dir),
        "--format",
        "json",
        "--max-rows",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(rows.len(), 2);
    assert!(rows[0]["_table"].is_string());
    assert!(
        text(&out.stderr).contains("only the first 2 are shown"),
        "a cut must be reported: {}",
        text(&out.stderr)
    );
    let csv = pxl(&[
        "run",
        "px/service_stats",
        "--data",
        path(&dir),
        "--format",
        "csv",
    ]);
    assert_eq!(csv.status.code(), Some(0));
    assert!(text(&csv.stdout).starts_with("# table: "));
}

#[test]
fn explain_shows_time_range_and_columns() {
    let out = pxl(&[
        "explain",
        "px/http_stats",
        "--now",
        "2026-11-21T07:00:00Z",
        "--verbose",
    ]);
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(s.contains("Source table=http_events"), "{s}");
    assert!(s.contains("time=[2026-11-21T06:"), "{s}");
    assert!(s.contains("DataFusion physical plan"), "{s}");
}

/// `pxl explain` of `script` over a generated data directory: stdout.
fn explain_over_data(name: &str, script: &str) -> String {
    let dir = data(name, "parquet");
    let file = dir.join("script.pxl");
    std::fs::write(&file, script).unwrap();
    let out = pxl(&["explain", path(&file), "--data", path(&dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
}

#[test]
fn explain_names_the_pregrouped_keys() {
    let s = explain_over_data(
        "explain_pregroup",
        "import px\ndf = px.DataFrame('http_events', start_time='-5m')\n\
         df.service = df.ctx['service']\n\
         df = df.groupby('service').agg(n=('latency', px.count))\npx.display(df)\n",
    );
    assert!(
        s.contains("pre-grouped by UPID") && s.contains("service = upid_to_service_name(upid)"),
        "{s}"
    );
}

#[test]
fn explain_names_the_columns_grouped_and_compared_by_string_codes() {
    let s = explain_over_data(
        "explain_codes",
        "import px\ndf = px.DataFrame('http_events', start_time='-5m')\n\
         df = df[df.req_method == 'GET']\n\
         df = df.groupby('req_path').agg(n=('latency', px.count))\npx.display(df)\n",
    );
    assert!(
        s.contains("grouped by the table store's string codes (decoded once per group): req_path"),
        "{s}"
    );
    assert!(
        s.contains("compared with literals through the table store's string codes: req_method"),
        "{s}"
    );
    assert!(
        s.contains("groups found by indexing the codes, not by hashing: req_path"),
        "{s}"
    );
}

#[test]
fn bad_inputs_give_one_clear_error() {
    let good = data("bad_inputs", "parquet");
    // Missing directory.
    let out = pxl(&["run", "px/http_data", "--data", "/nonexistent/pxl"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("does not exist"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());

    // Corrupted Parquet.
    let bad = scratch("corrupt");
    std::fs::write(bad.join("http_events.parquet"), b"PAR1 not really").unwrap();
    let out = pxl(&["run", "px/http_data", "--data", path(&bad)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("http_events.parquet"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());

    // A file whose schema is another table's.
    let wrong = scratch("wrong_schema");
    std::fs::copy(
        good.join("dns_events.parquet"),
        wrong.join("http_events.parquet"),
    )
    .unwrap();
    let out = pxl(&["run", "px/http_data", "--data", path(&wrong)]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("does not match table `http_events`"), "{err}");

    // A file named after no table.
    let unknown = scratch("unknown_table");
    std::fs::copy(
        good.join("dns_events.parquet"),
        unknown.join("dns_event.parquet"),
    )
    .unwrap();
    let out = pxl(&["run", "px/http_data", "--data", path(&unknown)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("did you mean `dns_events`"),
        "{}",
        text(&out.stderr)
    );

    // A table with no data.
    let only_dns = scratch("only_dns");
    std::fs::copy(
        good.join("dns_events.parquet"),
        only_dns.join("dns_events.parquet"),
    )
    .unwrap();
    let out = pxl(&["run", "px/http_data", "--data", path(&only_dns)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("`http_events` has no data"),
        "{}",
        text(&out.stderr)
    );

    // An argument of the wrong kind.
    let out = pxl(&[
        "run",
        "px/http_data",
        "--data",
        path(&good),
        "--arg",
        "start_time=yesterday",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("start_time"),
        "{}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty());

    // A bad --now is a usage error.
    let out = pxl(&[
        "run",
        "px/http_data",
        "--data",
        path(&good),
        "--now",
        "soon",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

/// Rows of `pxl run --format json` output: one JSON object per line.
fn json_rows(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON row"))
        .collect()
}

/// The `_Heap*` table functions describe the binary's allocator, mimalloc
/// (the library tests, without it, check the error instead).
#[test]
fn heap_functions_report_mimalloc() {
    let data = data("heap_functions", "arrow");
    let dir = scratch("heap_functions_script");
    let script = dir.join("heap.pxl");
    std::fs::write(
        &script,
        "import px\n\
         n = px._HeapStatsNumeric()\n\
         n.backed = n.heap_size_bytes > n.pageheap_unmapped_bytes\n\
         n.unmapped = n.pageheap_unmapped_bytes >= 0\n\
         n.at_least_allocated = n.heap_size_bytes >= n.current_allocated_bytes\n\
         n.not_counted = n.current_allocated_bytes + n.pageheap_free_bytes + \
         n.central_cache_free_bytes + n.transfer_cache_free_bytes + n.thread_cache_free_bytes == 0\n\
         px.display(n[['backed', 'unmapped', 'at_least_allocated', 'not_counted']], 'numeric')\n\
         s = px._HeapStats()\n\
         s.mimalloc = px.substring(s.heap, 0, 9) == 'mimalloc '\n\
         s.committed = px.contains(s.heap, 'committed')\n\
         px.display(s[['mimalloc', 'committed']], 'stats')\n\
         px.display(px._HeapReleaseFreeMemory(), 'release')\n",
    )
    .expect("write script");
    let out = pxl(&[
        "run",
        path(&script),
        "--data",
        path(&data),
        "--format",
        "json",
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rows = json_rows(&stdout);
    assert_eq!(rows.len(), 3, "{stdout}");
    for row in &rows {
        let obj = row.as_object().expect("object");
        for (k, v) in obj {
            if k != "_table" && k != "asid" {
                assert_eq!(v, &serde_json::Value::Bool(true), "{k} in {row}");
            }
        }
    }
    assert!(rows[2].get("asid").is_some(), "{stdout}");
}
