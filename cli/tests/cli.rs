//! `pxl` as a process: exit codes, formats, stdin, explain-error.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn pxl(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pxl"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pxl starts");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn examples() -> String {
    format!("{}/../examples", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn examples_check_cleanly() {
    let out = pxl(&["check", &examples()], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("checked 2 scripts: 0 errors, 0 warnings"),
        "{err}"
    );
}

#[test]
fn errors_exit_1_with_rendered_source() {
    let out = pxl(
        &["check", "-"],
        Some(
            "import px\ndf = px.DataFrame('http_events')\ndf = df[df.latncy > 1]\npx.display(df)\n",
        ),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("E0302"), "{err}");
    assert!(err.contains("did you mean `latency`?"), "{err}");
    assert!(
        err.contains("df = df[df.latncy > 1]"),
        "source line shown: {err}"
    );
}

#[test]
fn json_format_is_machine_readable() {
    let out = pxl(
        &["check", "--format", "json", "-"],
        Some("import px\nx = px.nope(1)\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    let d = &v.as_array().unwrap()[0];
    assert_eq!(d["code"], "E0204");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["line"], 2);
    assert_eq!(d["column"], 8);
    assert_eq!(d["file"], "<stdin>");
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(
        pxl(&["check", "/nonexistent/file.pxl"], None).status.code(),
        Some(2)
    );
    assert_eq!(pxl(&["check"], None).status.code(), Some(2));
    assert_eq!(
        pxl(&["check", "x.pxl", "--arg", "novalue"], None)
            .status
            .code(),
        Some(2)
    );
    let out = pxl(&["explain-error", "E9998"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn vis_arguments() {
    let dir = format!("{}/http_stats", examples());
    assert_eq!(
        pxl(&["check", &dir, "--arg", "min_requests=5"], None)
            .status
            .code(),
        Some(0)
    );
    let out = pxl(&["check", &dir, "--arg", "min_requests=many"], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("E0605"));
    let out = pxl(&["check", &dir, "--arg", "min_request=5"], None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `min_requests`?"));
}

#[test]
fn explain_error_prints_the_explanation() {
    let out = pxl(&["explain-error", "e0302"], None);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("E0302: column not found"));
}

#[test]
fn not_utf8_is_a_clear_io_error() {
    let dir = std::env::temp_dir().join(format!("pxl-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.pxl");
    std::fs::write(&f, [0xff, 0xfe, 0x00]).unwrap();
    let out = pxl(&["check", f.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not UTF-8"));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pxl-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn manifest_problems_are_reported() {
    let dir = temp_dir("manifest");
    std::fs::write(
        dir.join("s.pxl"),
        "import px\npx.display(px.DataFrame('http_events'))\n",
    )
    .unwrap();
    std::fs::write(dir.join("manifest.yaml"), "short: x\nlong: y\nauthor: me\n").unwrap();
    let out = pxl(&["check", dir.to_str().unwrap()], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("W0604") && err.contains("author"), "{err}");
    std::fs::write(dir.join("manifest.yaml"), "short: [unclosed\n").unwrap();
    let out = pxl(&["check", dir.to_str().unwrap()], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("E0609"), "{err}");
    std::fs::write(dir.join("manifest.yaml"), "hidden: maybe\n").unwrap();
    let out = pxl(&["check", dir.to_str().unwrap()], None);
    assert!(String::from_utf8_lossy(&out.stderr).contains("E0609"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn script_directory_needs_exactly_one_pxl() {
    let dir = temp_dir("layout");
    for f in ["a.pxl", "b.pxl"] {
        std::fs::write(
            dir.join(f),
            "import px\npx.display(px.DataFrame('http_events'))\n",
        )
        .unwrap();
    }
    std::fs::write(dir.join("vis.json"), "{}").unwrap();
    let out = pxl(&["check", dir.to_str().unwrap()], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("E0610") && err.contains("2 .pxl files"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
