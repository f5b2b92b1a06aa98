//! A real cluster on loopback: one broker, one Kelvin and three PEMs, each
//! its own `pxl agent` process serving a different part of the same
//! datagen world (`pxl datagen --nodes 3`). Every bundled script must give
//! the same answer on the cluster as `pxl run` over the union of the three
//! directories; agents that die must be reported, not hidden.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const END: &str = "2026-11-21T08:00:00Z";

fn pxl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pxl"))
        .args(args)
        .output()
        .expect("run pxl")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// An agent process, killed when dropped.
struct AgentProc {
    child: Child,
    addr: String,
}

impl AgentProc {
    fn start(
        role: &str,
        id: &str,
        broker: Option<&str>,
        data: Option<&Path>,
        extra: &[&str],
    ) -> Self {
        let addr = format!("127.0.0.1:{}", free_port());
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pxl"));
        cmd.args(["agent", "--role", role, "--id", id, "--listen", &addr])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(b) = broker {
            cmd.args(["--broker", b]);
        }
        if let Some(d) = data {
            cmd.arg("--data").arg(d);
        }
        let child = cmd.spawn().expect("start agent");
        AgentProc { child, addr }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for AgentProc {
    fn drop(&mut self) {
        self.kill();
    }
}

fn alive_agents(broker: &str, token: Option<&str>) -> Vec<String> {
    let mut args = vec!["agents", "--json", "--cluster", broker];
    if let Some(t) = token {
        args.extend(["--token", t]);
    }
    let out = pxl(&args);
    if !out.status.success() {
        return Vec::new();
    }
    let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
    list.iter()
        .filter(|a| a["state"] == "alive")
        .filter_map(|a| a["id"].as_str().map(String::from))
        .collect()
}

fn wait_for(broker: &str, token: Option<&str>, want: &[&str]) {
    let start = Instant::now();
    loop {
        let alive = alive_agents(broker, token);
        if want.iter().all(|w| alive.iter().any(|a| a == w)) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "agents {want:?} did not register; alive: {alive:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn datagen(dir: &Path) {
    let out = pxl(&[
        "datagen",
        "--out",
        dir.to_str().unwrap(),
        "--rows",
        "20000",
        "--end",
        END,
        "--nodes",
        "3",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A JSON value with floats rounded to 9 significant digits (partial
/// aggregation adds in a different order).
fn normalize(v: &Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => {
            let f = n.as_f64().unwrap_or(0.0);
            Value::String(format!("{f:.9e}"))
        }
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), normalize(v))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(normalize).collect()),
        other => other.clone(),
    }
}

/// Columns a script fills with `px.any` / `px.sample`: any value of the
/// group is a right answer, so which one depends on how rows were split.
fn arbitrary_columns(script: &str) -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../stdlib/scripts")
        .join(script);
    let mut cols = Vec::new();
    for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines() {
            let l = line.trim();
            if (l.contains("px.any)") || l.contains("px.sample)"))
                && let Some((name, _)) = l.split_once('=')
            {
                cols.push(name.trim().to_string());
            }
        }
    }
    cols
}

/// Output JSON lines → table → sorted rows, without the `skip` columns.
fn tables_without(stdout: &[u8], skip: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut t: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(stdout).lines() {
        let mut v: Value = serde_json::from_str(line).expect("json line");
        if let Value::Object(m) = &mut v {
            for c in skip {
                m.remove(c);
            }
        }
        let name = v["_table"].as_str().unwrap_or("").to_string();
        t.entry(name).or_default().push(normalize(&v).to_string());
    }
    for rows in t.values_mut() {
        rows.sort();
    }
    t
}

fn tables(stdout: &[u8]) -> BTreeMap<String, Vec<String>> {
    tables_without(stdout, &[])
}

fn data_args(dirs: &[PathBuf]) -> Vec<String> {
    dirs.iter()
        .flat_map(|d| ["--data".to_string(), d.to_string_lossy().to_string()])
        .collect()
}

#[test]
fn cluster_matches_single_process_and_reports_failures() {
    let tmp = std::env::temp_dir().join(format!("pxl-cluster-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    datagen(&tmp);
    let dirs: Vec<PathBuf> = (1..=3).map(|i| tmp.join(format!("pem-{i}"))).collect();

    let broker = AgentProc::start("broker", "broker", None, None, &[]);
    let mut kelvin = AgentProc::start("kelvin", "kelvin", Some(&broker.addr), None, &[]);
    let mut pems: Vec<AgentProc> = dirs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            AgentProc::start(
                "pem",
                &format!("pem-{}", i + 1),
                Some(&broker.addr),
                Some(d),
                &[],
            )
        })
        .collect();
    wait_for(&broker.addr, None, &["kelvin", "pem-1", "pem-2", "pem-3"]);

    // Every bundled script: cluster == single process over the union.
    let list = pxl(&["scripts", "list"]);
    let scripts: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect();
    assert!(scripts.len() >= 10, "{scripts:?}");
    let mut compared = 0;
    for s in &scripts {
        let mut local_args = vec!["run", s.as_str(), "--format", "json", "--max-rows", "0"];
        let data = data_args(&dirs);
        local_args.extend(data.iter().map(String::as_str));
        let local = pxl(&local_args);
        let remote = pxl(&[
            "run",
            s,
            "--cluster",
            &broker.addr,
            "--format",
            "json",
            "--max-rows",
            "0",
        ]);
        assert_eq!(
            local.status.success(),
            remote.status.success(),
            "{s}: local {:?} / cluster {:?}\nlocal: {}\ncluster: {}",
            local.status,
            remote.status,
            String::from_utf8_lossy(&local.stderr),
            String::from_utf8_lossy(&remote.stderr)
        );
        if !local.status.success() {
            continue;
        }
        let skip = arbitrary_columns(s);
        let (l, r) = (
            tables_without(&local.stdout, &skip),
            tables_without(&remote.stdout, &skip),
        );
        assert!(!l.is_empty(), "{s}: no output");
        for (name, rows) in &l {
            let got = r
                .get(name)
                .unwrap_or_else(|| panic!("{s}: cluster lacks `{name}`"));
            assert_eq!(rows.len(), got.len(), "{s}/{name}: row counts differ");
            for (a, b) in rows.iter().zip(got) {
                assert_eq!(a, b, "{s}/{name}: rows differ");
            }
        }
        assert_eq!(l.len(), r.len(), "{s}: table sets differ");
        compared += 1;
    }
    assert!(compared >= 10, "only {compared} scripts ran");

    // A dead PEM: the query finishes with the others and names it.
    pems[2].kill();
    let out = pxl(&["run", "px/service_stats", "--cluster", &broker.addr]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("no data from agent pem-3"), "{err}");
    // Once forgotten... well, once silent, it is not asked any more.
    let start = Instant::now();
    loop {
        let alive = alive_agents(&broker.addr, None);
        if !alive.iter().any(|a| a == "pem-3") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "pem-3 still alive"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = pxl(&["run", "px/service_stats", "--cluster", &broker.addr]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !err.contains("no data from agent"),
        "{err}"
    );

    // A restarted PEM re-registers and its data is back.
    pems[2] = AgentProc::start("pem", "pem-3", Some(&broker.addr), Some(&dirs[2]), &[]);
    wait_for(&broker.addr, None, &["pem-3"]);
    let out = pxl(&[
        "run",
        "px/service_stats",
        "--cluster",
        &broker.addr,
        "--format",
        "json",
        "--max-rows",
        "0",
    ]);
    let mut local_args = vec![
        "run",
        "px/service_stats",
        "--format",
        "json",
        "--max-rows",
        "0",
    ];
    let data = data_args(&dirs);
    local_args.extend(data.iter().map(String::as_str));
    assert_eq!(tables(&out.stdout), tables(&pxl(&local_args).stdout));

    // A dead Kelvin: a clear error, and the next query after a restart works.
    kelvin.kill();
    let out = pxl(&["run", "px/service_stats", "--cluster", &broker.addr]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("Kelvin kelvin") || err.contains("no Kelvin is registered"),
        "{err}"
    );
    kelvin = AgentProc::start("kelvin", "kelvin", Some(&broker.addr), None, &[]);
    wait_for(&broker.addr, None, &["kelvin"]);
    let out = pxl(&["run", "px/service_stats", "--cluster", &broker.addr]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(kelvin);
    drop(pems);
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn token_is_required_when_set() {
    let tmp = std::env::temp_dir().join(format!("pxl-cluster-token-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    datagen(&tmp);
    let agent = AgentProc::start(
        "all",
        "solo",
        None,
        Some(&tmp.join("pem-1")),
        &["--token", "s3cret"],
    );
    wait_for(&agent.addr, Some("s3cret"), &["solo"]);
    let out = pxl(&["run", "px/service_stats", "--cluster", &agent.addr]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("bearer token"), "{err}");
    let out = pxl(&[
        "run",
        "px/service_stats",
        "--cluster",
        &agent.addr,
        "--token",
        "s3cret",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

#[test]
fn agent_settings_are_checked_before_listening() {
    let out = pxl(&["agent", "--role", "pem"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--broker"));
    let out = pxl(&["agent", "--listen", "0.0.0.0:7999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--insecure"));
    let out = pxl(&[
        "agent",
        "--role",
        "pem",
        "--broker",
        "127.0.0.1:1",
        "--data",
        "/nonexistent",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent"));
    let out = pxl(&["run", "px/service_stats", "--cluster", "127.0.0.1:1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot connect"));
}
