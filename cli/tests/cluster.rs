//! A real cluster on loopback: one broker, one Kelvin and three PEMs, each
//! its own `pxl agent` process serving a different part of the same
//! datagen world (`pxl datagen --nodes 3`). Every bundled script must give
//! the same answer on the cluster as `pxl run` over the union of the three
//! directories; agents that die must be reported, not hidden.

use pxl_exec::dist::gather::json_action;
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

/// A fresh directory with `pxl datagen --nodes 3` output in it.
fn world(name: &str) -> PathBuf {
    let tmp = std::env::temp_dir().join(format!("pxl-cluster-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    datagen(&tmp);
    tmp
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

/// Runs `pxl run SCRIPT --format json --max-rows 0 EXTRA...` over the
/// union of `dirs` and on the cluster at `broker`: (local, cluster). The
/// exit statuses must agree.
fn run_both(script: &str, extra: &[String], dirs: &[PathBuf], broker: &str) -> (Output, Output) {
    let mut args: Vec<String> = ["run", script, "--format", "json", "--max-rows", "0"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().cloned());
    let mut local_args = args.clone();
    local_args.extend(data_args(dirs));
    args.extend(["--cluster".to_string(), broker.to_string()]);
    let run = |v: &[String]| {
        let refs: Vec<&str> = v.iter().map(String::as_str).collect();
        pxl(&refs)
    };
    let (local, remote) = (run(&local_args), run(&args));
    assert_eq!(
        local.status.success(),
        remote.status.success(),
        "{script}: local {:?} / cluster {:?}\nlocal: {}\ncluster: {}",
        local.status,
        remote.status,
        String::from_utf8_lossy(&local.stderr),
        String::from_utf8_lossy(&remote.stderr)
    );
    (local, remote)
}

fn data_args(dirs: &[PathBuf]) -> Vec<String> {
    dirs.iter()
        .flat_map(|d| ["--data".to_string(), d.to_string_lossy().to_string()])
        .collect()
}

/// Every execution conformance case (`conformance/run/*.pxl`): the
/// cluster's answer equals the single-process answer over the union. Where
/// a script takes any row of a group or the first rows in no set order
/// (`px.any`, `px.sample`, `head` without `sort`), the row counts must
/// match.
fn compare_conformance_cases(broker: &str, dirs: &[PathBuf]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance/run");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("conformance/run")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pxl"))
        .filter(|p| !root.join(format!("{}.vis.json", stem(p))).exists())
        // Cases about the process that runs the query (its table store,
        // its /proc) describe a different process on a cluster.
        .filter(|p| {
            !std::fs::read_to_string(p)
                .unwrap_or_default()
                .lines()
                .any(|l| l.starts_with("# local-only:"))
        })
        .collect();
    cases.sort();
    assert!(cases.len() > 100, "{} cases", cases.len());
    let mut exact = 0;
    for case in &cases {
        let mut extra = vec!["--now".to_string(), END.to_string()];
        let arg_file = std::fs::read_to_string(root.join(format!("{}.args", stem(case))));
        for line in arg_file.iter().flat_map(|t| t.lines()) {
            if !line.trim().is_empty() {
                extra.extend(["--arg".to_string(), line.to_string()]);
            }
        }
        let name = stem(case);
        let (local, remote) = run_both(&case.to_string_lossy(), &extra, dirs, broker);
        let (l, r) = (tables(&local.stdout), tables(&remote.stdout));
        if l == r {
            exact += 1;
            continue;
        }
        let text = std::fs::read_to_string(case).unwrap_or_default();
        let arbitrary = text.contains("px.any")
            || text.contains("px.sample")
            || (text.contains(".head(") && !text.contains(".sort("));
        assert!(
            arbitrary,
            "{name}: cluster and single process differ\nlocal: {:?}\ncluster: {:?}",
            l.iter()
                .map(|(k, v)| (k, v.len(), v.first()))
                .collect::<Vec<_>>(),
            r.iter()
                .map(|(k, v)| (k, v.len(), v.first()))
                .collect::<Vec<_>>()
        );
        let counts = |t: &BTreeMap<String, Vec<String>>| -> Vec<(String, usize)> {
            t.iter().map(|(k, v)| (k.clone(), v.len())).collect()
        };
        assert_eq!(counts(&l), counts(&r), "{name}: row counts differ");
    }
    eprintln!(
        "{} conformance cases: {exact} identical, {} with arbitrary rows (counts equal)",
        cases.len(),
        cases.len() - exact
    );
}

/// A script that keeps one pod's rows asks only the PEM that holds them
/// (datagen splits by process, so each pod lives on one PEM), and gets the
/// same answer.
fn pruning_by_pod(broker: &str, dirs: &[PathBuf], tmp: &Path) {
    let pods = tmp.join("pods.pxl");
    std::fs::write(
        &pods,
        "import px\ndf = px.DataFrame('http_events', start_time='-30d')\n\
         df.pod = df.ctx['pod']\ndf = df.groupby('pod').agg(n=('latency', px.count))\n\
         px.display(df)\n",
    )
    .unwrap();
    let out = pxl(&[
        "run",
        pods.to_str().unwrap(),
        "--now",
        END,
        "--data",
        dirs[0].to_str().unwrap(),
        "--format",
        "json",
    ]);
    let first: Value = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .expect("pem-1 has pods");
    let pod = first["pod"].as_str().expect("pod").to_string();
    let script = tmp.join("one_pod.pxl");
    std::fs::write(
        &script,
        format!(
            "import px\ndf = px.DataFrame('http_events', start_time='-30d')\n\
             df = df[df.ctx['pod'] == '{pod}']\n\
             df = df.groupby('req_path').agg(n=('latency', px.count), p50=('latency', px.quantiles(0.5)))\n\
             px.display(df)\n"
        ),
    )
    .unwrap();
    let (local, remote) = run_both(
        &script.to_string_lossy(),
        &["--now".to_string(), END.to_string()],
        dirs,
        broker,
    );
    let err = String::from_utf8_lossy(&remote.stderr);
    assert!(remote.status.success(), "{err}");
    assert!(
        err.contains("PEMs not asked") && err.contains("pem-2, pem-3"),
        "pod {pod}: {err}"
    );
    let l = tables(&local.stdout);
    assert!(!l.is_empty(), "pod {pod} has rows");
    assert_eq!(l, tables(&remote.stdout), "pod {pod}");

    // `explain --cluster` shows the same cut, from the broker's own plan.
    let out = pxl(&[
        "explain",
        &script.to_string_lossy(),
        "--cluster",
        broker,
        "--now",
        END,
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("on the Kelvin kelvin"), "{text}");
    let fragment = text
        .lines()
        .find(|l| l.starts_with("  fragment #0"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        fragment.contains("on 1 of the 3 PEMs (pem-1)")
            && fragment.contains("not asked, as they hold no rows its filters keep: pem-2, pem-3"),
        "{fragment}"
    );
    // An upper bound from the rows pem-1 reported: the partial groups.
    let crossing = text
        .lines()
        .find(|l| l.contains("crosses the network: one partial row per group"))
        .unwrap_or_else(|| panic!("{text}"));
    let held: u64 = crossing
        .split("at most ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{crossing}"));
    assert!(held > 0, "{crossing}");
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

#[test]
fn cluster_matches_single_process_and_reports_failures() {
    let tmp = world("main");
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
        let (local, remote) = run_both(s, &[], &dirs, &broker.addr);
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
    compare_conformance_cases(&broker.addr, &dirs);
    pruning_by_pod(&broker.addr, &dirs, &tmp);

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
    let tmp = world("token");
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

/// The queries an agent is running, from the agent itself (`health`).
fn running_on(addr: &str) -> Result<Vec<String>, String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let mut c = pxl_exec::dist::Dialer::default()
            .connect(addr, Duration::from_secs(5))
            .await?;
        let h: pxl_exec::dist::wire::actions::Health = json_action(
            &mut c,
            pxl_exec::dist::wire::actions::HEALTH,
            Default::default(),
        )
        .await?;
        Ok(h.running)
    })
}

fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Slow PEMs (every batch held for a while) so that things can happen
/// while a query runs: Ctrl-C frees the query on every agent; a PEM killed
/// mid-query is named and the others' rows come back; a Kelvin over its
/// memory limit says which setting to raise.
#[test]
fn mid_query_cancel_and_kill() {
    let tmp = world("mid");
    let dirs: Vec<PathBuf> = (1..=3).map(|i| tmp.join(format!("pem-{i}"))).collect();
    let broker = AgentProc::start("broker", "broker", None, None, &[]);
    let kelvin = AgentProc::start("kelvin", "kelvin", Some(&broker.addr), None, &[]);
    let mut pems: Vec<AgentProc> = dirs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            AgentProc::start(
                "pem",
                &format!("pem-{}", i + 1),
                Some(&broker.addr),
                Some(d),
                &["--debug-batch-delay-ms", "1500"],
            )
        })
        .collect();
    wait_for(&broker.addr, None, &["kelvin", "pem-1", "pem-2", "pem-3"]);
    let script = tmp.join("all_rows.pxl");
    std::fs::write(
        &script,
        "import px\ndf = px.DataFrame('http_events', start_time='-30d')\n\
         df = df[['time_', 'req_path', 'latency']]\npx.display(df, 'rows')\n",
    )
    .unwrap();
    let everyone: Vec<&str> = pems
        .iter()
        .map(|p| p.addr.as_str())
        .chain([kelvin.addr.as_str()])
        .collect();
    let all_busy = |addrs: &[&str]| {
        addrs
            .iter()
            .all(|a| running_on(a).is_ok_and(|r| !r.is_empty()))
    };

    // Ctrl-C: the CLI cancels, and every agent lets go of the query long
    // before the slow PEMs would have finished.
    let child = Command::new(env!("CARGO_BIN_EXE_pxl"))
        .args(["run", script.to_str().unwrap(), "--now", END])
        .args(["--cluster", &broker.addr, "--max-rows", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pxl run");
    wait_until(
        "every agent runs the query",
        Duration::from_secs(20),
        || all_busy(&everyone),
    );
    let cancelled_at = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let out = child.wait_with_output().expect("pxl run ends");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("cancelled"), "{err}");
    wait_until(
        "every agent freed the query",
        Duration::from_secs(5),
        || {
            everyone
                .iter()
                .all(|a| running_on(a).is_ok_and(|r| r.is_empty()))
        },
    );
    assert!(cancelled_at.elapsed() < Duration::from_secs(5));

    // A PEM killed while the query runs: the others' rows, and its name.
    let expected: usize = (0..2)
        .map(|i| {
            let out = pxl(&[
                "run",
                script.to_str().unwrap(),
                "--now",
                END,
                "--data",
                dirs[i].to_str().unwrap(),
                "--format",
                "json",
                "--max-rows",
                "0",
            ]);
            String::from_utf8_lossy(&out.stdout).lines().count()
        })
        .sum();
    let child = Command::new(env!("CARGO_BIN_EXE_pxl"))
        .args(["run", script.to_str().unwrap(), "--now", END])
        .args(["--cluster", &broker.addr, "--max-rows", "0"])
        .args(["--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pxl run");
    wait_until("pem-3 runs the query", Duration::from_secs(20), || {
        running_on(&pems[2].addr).is_ok_and(|r| !r.is_empty())
    });
    pems[2].kill();
    let out = child.wait_with_output().expect("pxl run ends");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("no data from agent pem-3"), "{err}");
    let got = String::from_utf8_lossy(&out.stdout).lines().count();
    assert_eq!(got, expected, "rows of pem-1 and pem-2");
    drop(pems);
    drop(kelvin);

    // A Kelvin with too little memory for a sort of every row.
    let kelvin = AgentProc::start(
        "kelvin",
        "small-kelvin",
        Some(&broker.addr),
        None,
        &["--query-memory-mb", "1"],
    );
    let pem = AgentProc::start("pem", "pem-big", Some(&broker.addr), Some(&dirs[0]), &[]);
    wait_for(&broker.addr, None, &["small-kelvin", "pem-big"]);
    wait_until("the old agents are gone", Duration::from_secs(30), || {
        let alive = alive_agents(&broker.addr, None);
        alive.len() == 2
    });
    let sort = tmp.join("sort.pxl");
    std::fs::write(
        &sort,
        "import px\ndf = px.DataFrame('http_events', start_time='-30d')\n\
         df = df.sort('req_body')\npx.display(df, 'sorted')\n",
    )
    .unwrap();
    let out = pxl(&[
        "run",
        sort.to_str().unwrap(),
        "--now",
        END,
        "--cluster",
        &broker.addr,
        "--max-rows",
        "0",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("query_memory_mb"), "{err}");
    drop(pem);
    drop(kelvin);
    let _ = std::fs::remove_dir_all(&tmp);
}

/// Mutual TLS between agents and TLS + token for the client.
#[test]
fn tls_cluster() {
    let tmp = world("tls");
    let certs = tmp.join("certs");
    let other = tmp.join("other-ca");
    for d in [&certs, &other] {
        let out = pxl(&["certs", d.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let tls = |d: &Path| -> Vec<String> {
        [
            ("--tls-ca", "ca.pem"),
            ("--tls-cert", "agent.pem"),
            ("--tls-key", "agent.key"),
        ]
        .iter()
        .flat_map(|(f, n)| [f.to_string(), d.join(n).to_string_lossy().to_string()])
        .collect()
    };
    let mut good = tls(&certs);
    good.extend(["--token".to_string(), "t0ken".to_string()]);
    let good: Vec<&str> = good.iter().map(String::as_str).collect();
    let broker = AgentProc::start("broker", "broker", None, None, &good);
    let addr = broker.addr.clone();
    let _kelvin = AgentProc::start("kelvin", "kelvin", Some(&addr), None, &good);
    let _pem = AgentProc::start("pem", "pem-1", Some(&addr), Some(&tmp.join("pem-1")), &good);
    // A PEM whose certificate is from another CA.
    let mut bad = tls(&other);
    bad.extend(["--token".to_string(), "t0ken".to_string()]);
    let bad: Vec<&str> = bad.iter().map(String::as_str).collect();
    let _rogue = AgentProc::start("pem", "rogue", Some(&addr), Some(&tmp.join("pem-2")), &bad);
    let ca = certs.join("ca.pem");
    let ca = ca.to_str().unwrap();
    let client = |extra: &[&str]| {
        let mut a = vec!["run", "px/service_stats", "--cluster", &addr];
        a.extend(extra);
        pxl(&a)
    };
    let start = Instant::now();
    loop {
        let out = pxl(&[
            "agents",
            "--json",
            "--cluster",
            &addr,
            "--tls-ca",
            ca,
            "--token",
            "t0ken",
        ]);
        let list: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let ids: Vec<&str> = list.iter().filter_map(|a| a["id"].as_str()).collect();
        if ids.contains(&"kelvin") && ids.contains(&"pem-1") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "agents did not register over TLS: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Queries work, with exactly pem-1's data.
    let out = client(&["--tls-ca", ca, "--token", "t0ken", "--format", "json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let local = pxl(&[
        "run",
        "px/service_stats",
        "--data",
        tmp.join("pem-1").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(tables(&out.stdout), tables(&local.stdout));
    // The rogue PEM never got in.
    let out = pxl(&[
        "agents",
        "--json",
        "--cluster",
        &addr,
        "--tls-ca",
        ca,
        "--token",
        "t0ken",
    ]);
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("rogue"),
        "a PEM with a foreign certificate registered"
    );
    // No token; no TLS; the wrong CA.
    let out = client(&["--tls-ca", ca]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bearer token"));
    let out = client(&["--token", "t0ken"]);
    assert_eq!(out.status.code(), Some(1));
    let out = client(&[
        "--tls-ca",
        other.join("ca.pem").to_str().unwrap(),
        "--token",
        "t0ken",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot connect"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // An agent with a token but without its certificate cannot register
    // (it is a client, not an agent).
    let out = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let tls = pxl_exec::dist::tls::Tls::load(&pxl_exec::dist::tls::TlsFiles {
                cert: None,
                key: None,
                ca: certs.join("ca.pem"),
            })
            .unwrap();
            let mut c = pxl_exec::dist::Dialer::new(Some("t0ken".into()), Some(&tls))
                .unwrap()
                .connect(&addr, Duration::from_secs(5))
                .await
                .unwrap();
            json_action::<Value>(
                &mut c,
                pxl_exec::dist::wire::actions::REGISTER,
                b"{}".to_vec().into(),
            )
            .await
            .err()
            .unwrap_or_default()
        })
    };
    assert!(out.contains("certificate"), "{out}");
    // A non-loopback listen is allowed with TLS and a token.
    let flags = tls(&certs);
    let mut args = vec!["agent", "--listen", "0.0.0.0:1", "--advertise", "h:1"];
    args.extend(flags.iter().map(String::as_str));
    let out = pxl(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("without a --token"), "{err}");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// `pxl explain --nodes N --data DIR` runs each PEM fragment over the data
/// and says what would cross the network.
#[test]
fn explain_nodes_measures_what_crosses_the_network() {
    let tmp = world("explain");
    let data = tmp.join("pem-1");
    let out = pxl(&[
        "explain",
        "px/service_stats",
        "--nodes",
        "3",
        "--data",
        data.to_str().unwrap(),
        "--now",
        END,
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("crosses the network:"))
        .collect();
    assert!(!lines.is_empty(), "{text}");
    // Grouped fragments: some rows over the data, three times as many at
    // most over 3 PEMs.
    let numbers = |l: &str| -> Vec<u64> {
        l.split(|c: char| !c.is_ascii_digit())
            .filter_map(|w| w.parse().ok())
            .collect()
    };
    let grouped = lines
        .iter()
        .find(|l| l.contains("every PEM may hold every group"))
        .unwrap_or_else(|| panic!("{text}"));
    let n = numbers(grouped);
    assert!(n[0] > 0 && n.contains(&(n[0] * 3)), "{grouped}");
    let out = pxl(&["explain", "px/service_stats", "--nodes", "3"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("give --data DIR"));
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The first fragment line of `pxl explain SCRIPT --cluster BROKER`.
fn explained_fragment(script: &Path, broker: &str) -> String {
    let out = pxl(&[
        "explain",
        &script.to_string_lossy(),
        "--cluster",
        broker,
        "--now",
        END,
    ]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .find(|l| l.starts_with("  fragment #0"))
        .unwrap_or_else(|| panic!("{text}"))
        .to_string()
}

/// A PEM running collectors promises only its node: a filter on another
/// node skips it, a filter on its own host name skips the recorded PEM,
/// and a filter on a pod or service asks it (its processes come and go).
#[test]
fn live_pem_is_pruned_by_node_only() {
    let tmp = world("live");
    let data = tmp.join("pem-1");
    let broker = AgentProc::start("broker", "broker", None, None, &[]);
    let _kelvin = AgentProc::start("kelvin", "kelvin", Some(&broker.addr), None, &[]);
    let _pem = AgentProc::start("pem", "pem-1", Some(&broker.addr), Some(&data), &[]);
    let _live = AgentProc::start("pem", "live", Some(&broker.addr), None, &[]);
    wait_for(&broker.addr, None, &["kelvin", "pem-1", "live"]);

    // A node and a pod of the recorded PEM's rows.
    let probe = tmp.join("probe.pxl");
    std::fs::write(
        &probe,
        "import px\ndf = px.DataFrame('http_events', start_time='-30d')\n\
         df.node = df.ctx['node']\ndf.pod = df.ctx['pod']\n\
         df = df.groupby(['node', 'pod']).agg(n=('latency', px.count))\npx.display(df)\n",
    )
    .unwrap();
    let out = pxl(&[
        "run",
        probe.to_str().unwrap(),
        "--now",
        END,
        "--data",
        data.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let first: Value = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .expect("pem-1 has rows");
    let node = first["node"].as_str().expect("node").to_string();
    let pod = first["pod"].as_str().expect("pod").to_string();
    assert!(!node.is_empty() && !pod.is_empty(), "{first}");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("host name")
        .trim()
        .to_string();
    assert_ne!(host, node, "the recorded node must not be this host");

    let filtered = |name: &str, table: &str, cond: &str| {
        let path = tmp.join(name);
        std::fs::write(
            &path,
            format!(
                "import px\ndf = px.DataFrame('{table}', start_time='-30d')\n\
                 df = df[{cond}]\ndf = df.groupby('upid').agg(n=('time_', px.count))\n\
                 px.display(df)\n"
            ),
        )
        .unwrap();
        path
    };

    // The recorded node: the live PEM is not asked, and the answer is
    // pem-1's alone.
    let by_node = filtered(
        "node.pxl",
        "http_events",
        &format!("df.ctx['node'] == '{node}'"),
    );
    let fragment = explained_fragment(&by_node, &broker.addr);
    assert!(
        fragment.contains("on 1 of the 2 PEMs (pem-1)") && fragment.ends_with(": live"),
        "{fragment}"
    );
    let (local, remote) = run_both(
        &by_node.to_string_lossy(),
        &["--now".to_string(), END.to_string()],
        std::slice::from_ref(&data),
        &broker.addr,
    );
    let err = String::from_utf8_lossy(&remote.stderr);
    assert!(remote.status.success(), "{err}");
    assert!(
        err.contains("PEMs not asked") && err.contains("live"),
        "{err}"
    );
    let l = tables(&local.stdout);
    assert!(!l.is_empty(), "node {node} has rows");
    assert_eq!(l, tables(&remote.stdout), "node {node}");

    // This host: only the live PEM is asked, and it answers from /proc.
    let by_host = filtered(
        "host.pxl",
        "process_stats",
        &format!("df.ctx['node'] == '{host}'"),
    );
    let fragment = explained_fragment(&by_host, &broker.addr);
    assert!(
        fragment.contains("on 1 of the 2 PEMs (live)") && fragment.ends_with(": pem-1"),
        "{fragment}"
    );

    wait_until(
        "process_stats rows of this host",
        Duration::from_secs(30),
        || {
            let out = pxl(&[
                "run",
                &by_host.to_string_lossy(),
                "--cluster",
                &broker.addr,
                "--format",
                "json",
            ]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{err}");
            assert!(
                err.contains("PEMs not asked") && err.contains("pem-1"),
                "{err}"
            );
            !tables(&out.stdout).is_empty()
        },
    );

    // A pod or a service: the live PEM may meet it at any time, the
    // recorded PEM only if it holds rows of it.
    let by_pod = filtered(
        "pod.pxl",
        "http_events",
        &format!("df.ctx['pod'] == '{pod}'"),
    );
    let fragment = explained_fragment(&by_pod, &broker.addr);
    assert!(
        fragment.contains("on 2 of the 2 PEMs") && !fragment.contains("not asked"),
        "{fragment}"
    );
    let by_service = filtered(
        "service.pxl",
        "http_events",
        "df.ctx['service'] == 'host/python3:8000'",
    );
    let fragment = explained_fragment(&by_service, &broker.addr);
    assert!(
        fragment.contains("on 1 of the 2 PEMs (live)") && fragment.ends_with(": pem-1"),
        "{fragment}"
    );
    let _ = std::fs::remove_dir_all(&tmp);
}
