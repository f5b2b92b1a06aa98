//! `pxl demo` and `pxl run --live` as a user runs them. Capturing network
//! traffic needs root (or CAP_BPF + CAP_PERFMON): without it these tests
//! check the documented fallback (one note, /proc tables only) instead.

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

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

#[test]
fn demo_shows_captured_http_traffic() {
    let out = pxl(&["demo", "--duration", "4s", "--max-rows", "200"]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("=== px/process_stats ==="), "{stdout}");
    if !is_root() {
        eprintln!("not root: checking the /proc-only fallback");
        assert!(stderr.contains("network capture is off"), "{stderr}");
        return;
    }
    for script in [
        "px/http_data",
        "px/service_stats",
        "px/slow_endpoints",
        "px/errors_by_service",
        "px/service_map",
    ] {
        assert!(
            stdout.contains(&format!("=== {script} ===")),
            "{script} missing"
        );
    }
    // Server-side rows of every demo service, with real paths and statuses.
    for needle in [
        "host/frontend:",
        "host/catalog:",
        "host/payments:",
        "/items/search",
        "/checkout",
        "Internal Server Error",
        "Not Found",
    ] {
        assert!(
            stdout.contains(needle),
            "`{needle}` not in the demo output:\n{stdout}"
        );
    }
    // The slow endpoint is the slowest one.
    let slow = stdout
        .split("=== px/slow_endpoints ===")
        .nth(1)
        .and_then(|s| s.lines().nth(3))
        .unwrap_or("");
    assert!(slow.contains("search"), "slowest endpoint line: {slow}");
}

#[test]
fn run_live_collects_then_runs_the_script() {
    let out = pxl(&[
        "run",
        "px/process_stats",
        "--live",
        "2s",
        "--format",
        "json",
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("collecting for 2 s"));
    // Our own process was sampled.
    assert!(stdout.contains("\"_table\""), "{stdout}");
    assert!(stdout.contains("host/pxl-"), "{stdout}");
}

/// `_DebugMDState` over this host's metadata names the pxl process's own
/// host-level pod, and `_DebugMDGetWithPrefix` lists that pod.
#[test]
fn debug_metadata_knows_its_own_pod() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("debug_md");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let script = dir.join("md.pxl");
    std::fs::write(
        &script,
        "import px\n\
         st = px._DebugMDState()\n\
         st.has_processes = px.contains(st.debug_state, '\\nprocesses (')\n\
         px.display(st[['pod_name', 'has_processes']], 'state')\n\
         kv = px._DebugMDGetWithPrefix('/pod/host/pxl-', '')\n\
         px.display(kv[['key']], 'pods')\n",
    )
    .expect("write script");
    let child = Command::new(env!("CARGO_BIN_EXE_pxl"))
        .args([
            "run",
            script.to_str().expect("path"),
            "--live",
            "1s",
            "--format",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("pxl starts");
    let pid = child.id();
    let out = child.wait_with_output().expect("pxl ends");
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let own = format!("host/pxl-{pid}");
    assert!(
        stdout.contains(&format!(
            "{{\"_table\":\"state\",\"pod_name\":\"{own}\",\"has_processes\":true}}"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("\"key\":\"/pod/{own}\"")),
        "{stdout}"
    );
}

#[test]
fn run_needs_a_data_source() {
    let out = pxl(&["run", "px/http_data"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--data DIR"));
    let out = pxl(&["run", "px/http_data", "--live", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not a duration"));
    let out = pxl(&["run", "px/http_data", "--live", "1s", "--data", "x"]);
    assert_eq!(out.status.code(), Some(2));
}
