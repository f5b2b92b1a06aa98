//! `pxl run`, `pxl explain` and `pxl scripts`.

use crate::check::parse_arg;
use crate::render::{Format as DiagFormat, Renderer};
use datafusion::catalog::TableProvider;
use pxl_carnot::{TableStore, load_dir};
use pxl_compiler::ir::{Op, SinkKind};
use pxl_compiler::script::{ScriptInput, compile_input, discover};
use pxl_compiler::{CompileOptions, Severity};
use pxl_exec::Engine;
use pxl_exec::format::{Format, render, truncation_notes};
use pxl_planner::{Functions, lower};
use pxl_stdlib::runtime::metadata::{Metadata, MetadataIndex};
use pxl_stdlib::runtime::{ExecEnv, table_schema};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The script: a .pxl file, a script directory (with vis.json), a
    /// bundled script name such as `px/http_data`, or `-` for stdin.
    #[arg(value_name = "SCRIPT")]
    script: String,
    /// Directory of recorded tables (`<table>.parquet` or `<table>.arrow`,
    /// plus `metadata.json`), e.g. made by `pxl datagen`. Repeat it to run
    /// over the union of several directories.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["live", "cluster"])]
    data: Vec<PathBuf>,
    /// Run on a cluster: send the script to the broker at ADDR (default
    /// 127.0.0.1:7450, where `pxl agent` listens) and print what it
    /// returns. Ctrl-C cancels the query on every agent.
    #[arg(long, value_name = "ADDR", num_args = 0..=1,
          default_missing_value = crate::cluster::DEFAULT_BROKER, conflicts_with = "live")]
    cluster: Option<String>,
    /// Bearer token for the broker (--cluster).
    #[arg(long, env = "PXL_TOKEN", hide_env_values = true, requires = "cluster")]
    token: Option<String>,
    #[command(flatten)]
    tls: crate::cluster::TlsArgs,
    /// Give up on a cluster query after this long (e.g. 30s).
    #[arg(long, value_name = "DURATION", requires = "cluster")]
    timeout: Option<String>,
    /// Collect live data on this host for DURATION (e.g. 15s, 2m) with the
    /// eBPF socket tracer and the /proc collectors, then run the script on
    /// it. Ctrl-C ends the collection early. eBPF needs root (or CAP_BPF and
    /// CAP_PERFMON); without it only the /proc tables are filled.
    #[arg(long, value_name = "DURATION")]
    live: Option<String>,
    /// Set a vis.json variable: `--arg start_time=-30m` (repeatable).
    #[arg(long = "arg", value_name = "NAME=VALUE", value_parser = parse_arg)]
    args: Vec<(String, String)>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutFormat::Table)]
    format: OutFormat,
    /// Print at most this many rows per output table; a note on stderr says
    /// when rows were cut. 0 means no limit.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    max_rows: usize,
    /// What relative times (`-5m`) are measured from: RFC 3339
    /// (`2026-11-21T07:00:00Z`), `YYYY-MM-DD HH:MM:SS` (UTC) or integer
    /// nanoseconds. Default: now, or the newest `time_` in DIR when the data
    /// is older.
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// The OpenTelemetry collector (OTLP over gRPC) for `px.export` calls
    /// that name no `px.otel.Endpoint`: `host:4317` (TLS) or
    /// `http://host:4317` (plain text).
    #[arg(long, value_name = "URL")]
    otel_endpoint: Option<String>,
}

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// The script, as for `pxl run`.
    #[arg(value_name = "SCRIPT")]
    script: String,
    /// Plan against this data directory (default: empty tables). Repeat
    /// it to plan over the union of several, as `pxl run` does.
    #[arg(long, value_name = "DIR")]
    data: Vec<PathBuf>,
    /// Set a vis.json variable (repeatable).
    #[arg(long = "arg", value_name = "NAME=VALUE", value_parser = parse_arg)]
    args: Vec<(String, String)>,
    /// What relative times are measured from (as for `pxl run`).
    #[arg(long, value_name = "TIME")]
    now: Option<String>,
    /// Also print DataFusion's physical plan.
    #[arg(long, short)]
    verbose: bool,
    /// Show how the plan is cut for a cluster of N PEMs: what runs on
    /// every PEM next to its data and what the Kelvin merges. With --data,
    /// each PEM fragment is run over the data to show the rows and bytes
    /// that would cross the network.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1000))]
    nodes: Option<u16>,
    /// Show how the broker at ADDR (default 127.0.0.1:7450) would run the
    /// script on its live agents: the Kelvin's merge, each PEM fragment
    /// with the PEMs it asks and those pruned by the script's filters, and
    /// at most how many rows and bytes cross the network, from the sizes
    /// the PEMs report. Nothing is run.
    #[arg(long, value_name = "ADDR", num_args = 0..=1,
          default_missing_value = crate::cluster::DEFAULT_BROKER,
          conflicts_with_all = ["nodes", "data", "verbose"])]
    cluster: Option<String>,
    /// Bearer token for the broker (--cluster).
    #[arg(long, env = "PXL_TOKEN", hide_env_values = true, requires = "cluster")]
    token: Option<String>,
    #[command(flatten)]
    tls: crate::cluster::TlsArgs,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutFormat {
    Table,
    Json,
    Csv,
}

/// An error of `pxl run`: printed as one line, exit code 1 (or 2 for usage).
struct Failure {
    message: String,
    code: u8,
}

fn fail(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: 1,
    }
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code: 2,
    }
}

fn wall_clock_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// Days since 1970-01-01 of a civil date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Parses `--now`: integer ns, RFC 3339 or `YYYY-MM-DD HH:MM:SS[.frac]`
/// (UTC unless an offset `Z`/`+hh:mm` is given).
pub fn parse_time(s: &str) -> Result<i64, String> {
    let t = s.trim();
    if let Ok(ns) = t.parse::<i64>() {
        return Ok(ns);
    }
    let bad =
        || format!("`{s}` is not a time (use RFC 3339 like 2026-11-21T07:00:00Z, or nanoseconds)");
    if t.len() < 19 {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| t.get(r).and_then(|x| x.parse::<i64>().ok());
    let (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(sec)) = (
        num(0..4),
        num(5..7),
        num(8..10),
        num(11..13),
        num(14..16),
        num(17..19),
    ) else {
        return Err(bad());
    };
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return Err(bad());
    }
    let mut rest = &t[19..];
    let mut frac_ns = 0i64;
    if let Some(r) = rest.strip_prefix('.') {
        let digits: String = r.chars().take_while(char::is_ascii_digit).collect();
        rest = &r[digits.len()..];
        let mut padded = digits.clone();
        padded.truncate(9);
        while padded.len() < 9 {
            padded.push('0');
        }
        frac_ns = padded.parse().map_err(|_| bad())?;
    }
    let offset_s = match rest.trim() {
        "" | "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let oh: i64 = o[1..3].parse().map_err(|_| bad())?;
            let om: i64 = o[4..6].parse().map_err(|_| bad())?;
            sign * (oh * 3600 + om * 60)
        }
        _ => return Err(bad()),
    };
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset_s;
    Ok(secs * 1_000_000_000 + frac_ns)
}

/// The script named on the command line.
fn load_script(spec: &str) -> Result<ScriptInput, Failure> {
    if spec == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| usage(format!("cannot read standard input: {e}")))?;
        return Ok(ScriptInput {
            name: "<stdin>".into(),
            pxl_path: "<stdin>".into(),
            pxl: text,
            vis: None,
            manifest: None,
        });
    }
    let path = Path::new(spec);
    if path.exists() {
        let found = discover(path).map_err(|e| usage(e.to_string()))?;
        if let Some(p) = found.problems.first() {
            return Err(fail(format!("{}: {}", p.path.display(), p.message)));
        }
        let mut scripts = found.scripts;
        return match scripts.len() {
            1 => Ok(scripts.remove(0)),
            0 => Err(usage(format!("no .pxl script found at {spec}"))),
            n => Err(usage(format!(
                "{spec} holds {n} scripts; `pxl run` runs one (name its directory or file)"
            ))),
        };
    }
    match pxl_stdlib::scripts::find(spec) {
        Some(b) => Ok(ScriptInput {
            name: b.name.into(),
            pxl_path: format!("{}.pxl", b.name).into(),
            pxl: b.pxl.into(),
            vis: b
                .vis
                .map(|v| (PathBuf::from(format!("{}/vis.json", b.name)), v.into())),
            manifest: b
                .manifest
                .map(|m| (PathBuf::from(format!("{}/manifest.yaml", b.name)), m.into())),
        }),
        None => Err(usage(format!(
            "`{spec}` is neither a file nor a bundled script (see `pxl scripts list`)"
        ))),
    }
}

/// Compiles a script and prints its diagnostics; fails when it has errors.
fn compile_reported(
    script: &ScriptInput,
    opts: &CompileOptions,
) -> Result<pxl_compiler::Compilation, Failure> {
    let c = compile_input(script, opts);
    let errors = c
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    if !c.diagnostics.is_empty() {
        let mut r = Renderer::new(DiagFormat::Human);
        r.diagnostics(script, &c.diagnostics);
        r.finish();
    }
    if errors > 0 {
        return Err(fail(format!(
            "{} has {errors} error{}; nothing was run",
            script.name,
            if errors == 1 { "" } else { "s" }
        )));
    }
    Ok(c)
}

struct Prepared {
    plan: pxl_compiler::ir::Plan,
    outputs: Vec<pxl_planner::Output>,
    now_ns: i64,
}

/// Compiles and plans a script against a store; prints diagnostics.
fn prepare(
    script: &ScriptInput,
    args: &[(String, String)],
    store: &Arc<TableStore>,
    metadata: Metadata,
    now: Option<&str>,
) -> Result<Prepared, Failure> {
    let now_ns = match now {
        Some(t) => parse_time(t).map_err(usage)?,
        None => {
            let wall = wall_clock_ns();
            match store.max_time() {
                Some(newest) if newest < wall => newest,
                _ => wall,
            }
        }
    };
    let opts = CompileOptions {
        args: args.to_vec(),
        now_ns,
        analysis: false,
    };
    let c = compile_reported(script, &opts)?;
    let env = Arc::new(ExecEnv::local(Arc::new(MetadataIndex::new(metadata))));
    let functions = Functions::new(env)
        .map_err(|e| fail(e.to_string()))?
        .with_tables(store.clone())
        .with_heap(crate::heap::source());
    let catalog: HashMap<String, Arc<dyn TableProvider>> = store
        .names()
        .into_iter()
        .filter_map(|n| store.get(&n).map(|t| (n, t as Arc<dyn TableProvider>)))
        .collect();
    let outputs = lower(&c.plan, &catalog, &functions, now_ns).map_err(|e| match e {
        pxl_planner::PlanError::NoData(t) => fail(format!(
            "{}: table `{t}` has no data in the data directory",
            script.name
        )),
        other => fail(format!("{}: {other}", script.name)),
    })?;
    if outputs.is_empty() {
        return Err(fail(format!(
            "{} produces no output (add px.display(df) or use a vis.json)",
            script.name
        )));
    }
    Ok(Prepared {
        plan: c.plan,
        outputs,
        now_ns,
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(format!("cannot start the executor: {e}")))
}

fn finish(r: Result<(), Failure>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

pub fn run(args: &RunArgs) -> ExitCode {
    finish(run_inner(args))
}

fn run_inner(args: &RunArgs) -> Result<(), Failure> {
    let script = load_script(&args.script)?;
    if let Some(broker) = &args.cluster {
        return run_cluster(args, &script, broker);
    }
    let (store, metadata) = match (args.data.is_empty(), &args.live) {
        (false, _) => {
            let store = TableStore::new();
            let mut metadata = Metadata::default();
            for dir in &args.data {
                let loaded = load_dir(dir, &store).map_err(|e| fail(e.to_string()))?;
                pxl_carnot::agent::registry::merge_metadata(&mut metadata, &loaded.metadata);
            }
            (Arc::new(store), metadata)
        }
        (true, Some(d)) => {
            let duration = crate::live::parse_duration(d).map_err(usage)?;
            let interrupted = crate::live::interrupt_flag();
            eprintln!(
                "collecting for {} on this host (Ctrl-C to stop early)...",
                humantime(duration)
            );
            let c = crate::live::collect(duration, &interrupted, |_| {}, |_| {});
            if let Some(e) = &c.ebpf_error {
                eprintln!("note: no network data: {e}");
            }
            (c.store, c.metadata)
        }
        (true, None) => {
            return Err(usage(
                "say where the data comes from: --data DIR (recorded), --live DURATION (this \
                 host) or --cluster [ADDR] (a running `pxl agent`)",
            ));
        }
    };
    let now = match (&args.now, &args.live) {
        (None, Some(_)) => Some(wall_clock_ns().to_string()),
        (n, _) => n.clone(),
    };
    let p = prepare(&script, &args.args, &store, metadata, now.as_deref())?;
    let max_rows = (args.max_rows > 0).then_some(args.max_rows);
    let rt = runtime()?;
    let engine = Engine::new();
    // Exports get every row; --max-rows is about what is printed.
    let (exports, shown): (Vec<_>, Vec<_>) = p
        .outputs
        .iter()
        .cloned()
        .partition(|o| matches!(o.kind, SinkKind::OtelExport(_)));
    let results = rt
        .block_on(engine.run(&shown, max_rows))
        .map_err(|e| fail(format!("{}: query failed: {e}", script.name)))?;
    let exported = rt
        .block_on(engine.run(&exports, None))
        .map_err(|e| fail(format!("{}: query failed: {e}", script.name)))?;
    let format = match args.format {
        OutFormat::Table => Format::Table,
        OutFormat::Json => Format::Json,
        OutFormat::Csv => Format::Csv,
    };
    if !shown.is_empty() {
        print!("{}", render(&results, format));
    }
    for note in truncation_notes(&results, max_rows) {
        eprintln!("{note}");
    }
    export_all(&rt, &p.plan, &exported, args, p.now_ns, &script.name)
}

/// The OpenTelemetry export of output `name`, when it is one.
fn export_spec<'a>(
    plan: &'a pxl_compiler::ir::Plan,
    name: &str,
) -> Option<&'a pxl_compiler::ir::OtelExport> {
    plan.sinks().find_map(|n| match &n.op {
        Op::Sink {
            name: sink,
            kind: SinkKind::OtelExport(e),
        } if sink == name => Some(e),
        _ => None,
    })
}

/// Sends the rows of every `px.export` output to its collector, with a
/// note per output on stderr.
fn export_all(
    rt: &tokio::runtime::Runtime,
    plan: &pxl_compiler::ir::Plan,
    tables: &[pxl_exec::ResultTable],
    args: &RunArgs,
    now_ns: i64,
    script: &str,
) -> Result<(), Failure> {
    if let Some(url) = &args.otel_endpoint
        && !tables
            .iter()
            .any(|t| export_spec(plan, &t.name).is_some_and(|s| s.endpoint.is_none()))
    {
        eprintln!(
            "note: --otel-endpoint {url} is not used: no px.export output of {script} \
             goes to it (none, or each names its own endpoint)"
        );
    }
    for t in tables {
        let Some(spec) = export_spec(plan, &t.name) else {
            continue;
        };
        let endpoint = match (&spec.endpoint, &args.otel_endpoint) {
            (Some(e), _) => e.clone(),
            (None, Some(url)) => pxl_compiler::ir::OtelEndpoint {
                url: url.clone(),
                headers: Vec::new(),
                insecure: url.starts_with("http://"),
                timeout_s: 5,
            },
            (None, None) => {
                return Err(fail(format!(
                    "{script}: output `{}` exports to OpenTelemetry but names no collector: \
                     give px.otel.Data(endpoint=px.otel.Endpoint(url=...)) or --otel-endpoint URL",
                    t.name
                )));
            }
        };
        if t.truncated {
            eprintln!(
                "note: output `{}`: only the first {} rows were exported (raise --max-rows)",
                t.name,
                t.num_rows()
            );
        }
        let sent = rt
            .block_on(crate::otel::export(
                spec,
                &t.relation,
                &t.batches,
                &endpoint,
                now_ns,
            ))
            .map_err(|e| fail(format!("{script}: output `{}`: {e}", t.name)))?;
        eprintln!(
            "exported `{}` to {}: {} rows as {} metric points ({} metrics) and {} spans, in {} resources",
            t.name,
            crate::otel::endpoint_uri(&endpoint),
            t.num_rows(),
            sent.points,
            sent.metrics,
            sent.spans,
            sent.resources
        );
    }
    Ok(())
}

/// `pxl run --cluster`: compile here (for diagnostics and the outputs'
/// types), run on the cluster, print the same way.
fn run_cluster(args: &RunArgs, script: &ScriptInput, broker: &str) -> Result<(), Failure> {
    let now_ns = match &args.now {
        Some(t) => Some(parse_time(t).map_err(usage)?),
        None => None,
    };
    let timeout_ms = match &args.timeout {
        Some(t) => Some(crate::live::parse_duration(t).map_err(usage)?.as_millis() as u64),
        None => None,
    };
    let (c, mut req) = cluster_request(script, &args.args, now_ns)?;
    let relations = crate::cluster::output_relations(&c.plan);
    let max_rows = (args.max_rows > 0).then_some(args.max_rows);
    req.max_rows = max_rows;
    req.timeout_ms = timeout_ms;
    let dialer = args.tls.dialer(args.token.clone()).map_err(usage)?;
    let interrupted = crate::live::interrupt_flag();
    let r = crate::cluster::run_remote(broker, &dialer, req, &relations, &interrupted)
        .map_err(|e| fail(format!("{}: {e}", script.name)))?;
    let format = match args.format {
        OutFormat::Table => Format::Table,
        OutFormat::Json => Format::Json,
        OutFormat::Csv => Format::Csv,
    };
    let (exported, shown): (Vec<_>, Vec<_>) = r
        .tables
        .into_iter()
        .partition(|t| export_spec(&c.plan, &t.name).is_some());
    if !shown.is_empty() {
        print!("{}", render(&shown, format));
    }
    for note in truncation_notes(&shown, max_rows) {
        eprintln!("{note}");
    }
    for (table, missing) in &r.missing {
        for (agent, why) in missing {
            eprintln!("note: output `{table}` has no data from agent {agent}: {why}");
        }
    }
    for (table, skipped) in &r.skipped {
        if !skipped.is_empty() {
            let list: Vec<&str> = skipped.iter().map(String::as_str).collect();
            eprintln!(
                "note: output `{table}`: PEMs not asked, as they hold no rows of the pod, \
                 service or node the script keeps: {}",
                list.join(", ")
            );
        }
    }
    let rt = runtime()?;
    let now = now_ns.unwrap_or_else(wall_clock_ns);
    export_all(&rt, &c.plan, &exported, args, now, &script.name)
}

fn humantime(d: std::time::Duration) -> String {
    if d.subsec_millis() != 0 {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs())
    }
}

#[derive(clap::Args, Debug)]
pub struct DemoArgs {
    /// How long to collect before running the scripts.
    #[arg(long, default_value = "15s", value_name = "DURATION")]
    duration: String,
    /// Rows printed per output table; 0 means no limit.
    #[arg(long, default_value_t = 12, value_name = "N")]
    max_rows: usize,
}

/// The scripts `pxl demo` runs, in order (each over the collection window).
const DEMO_SCRIPTS: &[&str] = &[
    "px/http_data",
    "px/service_stats",
    "px/slow_endpoints",
    "px/errors_by_service",
    "px/service_map",
    "px/process_stats",
];

pub fn demo(args: &DemoArgs) -> ExitCode {
    finish(demo_inner(args))
}

fn demo_inner(args: &DemoArgs) -> Result<(), Failure> {
    let duration = crate::live::parse_duration(&args.duration).map_err(usage)?;
    let interrupted = crate::live::interrupt_flag();
    eprintln!(
        "pxl demo: collecting for {} while a small HTTP workload runs on 127.0.0.1\n  \
         (loadgen -> frontend -> catalog, payments; catalog /items/search is slow, \
         payments fails 1 in 5 charges). Ctrl-C stops early.",
        humantime(duration)
    );
    let mut workload = None;
    let mut start_error = None;
    let c = crate::live::collect(
        duration,
        &interrupted,
        |collectors| {
            if let Some(e) = &collectors.ebpf_error {
                eprintln!(
                    "note: network capture is off: {e}\n  \
                     showing the /proc tables only (try: sudo pxl demo)"
                );
            }
            match crate::demo::start_workload() {
                Ok(w) => workload = Some(w),
                Err(e) => start_error = Some(e),
            }
        },
        |elapsed| eprint!("\r  collecting... {:>2} s", elapsed.as_secs()),
    );
    eprintln!();
    drop(workload);
    if let Some(e) = start_error {
        return Err(fail(format!("cannot start the demo workload: {e}")));
    }
    let scripts: Vec<_> = if c.ebpf_error.is_some() {
        DEMO_SCRIPTS
            .iter()
            .filter(|n| **n == "px/process_stats")
            .collect()
    } else {
        DEMO_SCRIPTS.iter().collect()
    };
    let now = wall_clock_ns().to_string();
    let rt = runtime()?;
    // The window the data was collected in, so that rates are per second of
    // collection.
    let window = format!("-{}s", duration.as_secs() + 2);
    let max_rows = (args.max_rows > 0).then_some(args.max_rows);
    for name in scripts {
        let script = load_script(name)?;
        let script_args = vec![("start_time".to_string(), window.clone())];
        let p = prepare(
            &script,
            &script_args,
            &c.store,
            c.metadata.clone(),
            Some(&now),
        )?;
        let results = rt
            .block_on(Engine::new().run(&p.outputs, max_rows))
            .map_err(|e| fail(format!("{name}: query failed: {e}")))?;
        println!("\n=== {name} ===");
        print!("{}", render(&results, Format::Table));
        for note in truncation_notes(&results, max_rows) {
            println!("{note}");
        }
    }
    Ok(())
}

pub fn explain(args: &ExplainArgs) -> ExitCode {
    finish(explain_inner(args))
}

fn explain_inner(args: &ExplainArgs) -> Result<(), Failure> {
    let script = load_script(&args.script)?;
    if let Some(broker) = &args.cluster {
        return explain_on_cluster(args, &script, broker);
    }
    let store = Arc::new(TableStore::new());
    let mut metadata = Metadata::default();
    for dir in &args.data {
        let loaded = load_dir(dir, &store).map_err(|e| fail(e.to_string()))?;
        pxl_carnot::agent::registry::merge_metadata(&mut metadata, &loaded.metadata);
    }
    if args.data.is_empty() {
        for t in pxl_stdlib::tables::tables() {
            store.create(t.name, table_schema(t), 0);
        }
    }
    let p = prepare(
        &script,
        &args.args,
        &store,
        metadata.clone(),
        args.now.as_deref(),
    )?;
    let rt = runtime()?;
    if let Some(n) = args.nodes {
        let measure = (!args.data.is_empty()).then_some(metadata);
        let text = rt
            .block_on(explain_cluster(&p, &store, n as usize, measure))
            .map_err(|e| fail(format!("{}: {e}", script.name)))?;
        print!("{text}");
        return Ok(());
    }
    let engine = Engine::new();
    let text = rt
        .block_on(pxl_exec::explain::explain(
            &engine,
            &p.plan,
            &p.outputs,
            p.now_ns,
            args.verbose,
        ))
        .map_err(|e| fail(format!("{}: {e}", script.name)))?;
    print!("{text}");
    Ok(())
}

/// Compiles a script here (so that errors read as with `pxl check`) and
/// makes the request the broker runs or explains.
fn cluster_request(
    script: &ScriptInput,
    args: &[(String, String)],
    now_ns: Option<i64>,
) -> Result<(pxl_compiler::Compilation, pxl_exec::dist::wire::RunRequest), Failure> {
    let opts = CompileOptions {
        args: args.to_vec(),
        now_ns: now_ns.unwrap_or_else(wall_clock_ns),
        analysis: false,
    };
    let c = compile_reported(script, &opts)?;
    let req = pxl_exec::dist::wire::RunRequest {
        query: String::new(),
        name: script.name.clone(),
        pxl: script.pxl.clone(),
        vis: script.vis.as_ref().map(|(_, v)| v.clone()),
        args: args.to_vec(),
        now_ns,
        max_rows: None,
        timeout_ms: None,
    };
    Ok((c, req))
}

/// `pxl explain --cluster ADDR`: the broker plans the script for its live
/// agents and says how (the script is compiled here first, so that errors
/// read as with `pxl check`).
fn explain_on_cluster(
    args: &ExplainArgs,
    script: &ScriptInput,
    broker: &str,
) -> Result<(), Failure> {
    let now_ns = match &args.now {
        Some(t) => Some(parse_time(t).map_err(usage)?),
        None => None,
    };
    let (_, req) = cluster_request(script, &args.args, now_ns)?;
    let body = serde_json::to_vec(&req).map_err(|e| fail(e.to_string()))?;
    let dialer = args.tls.dialer(args.token.clone()).map_err(usage)?;
    let text: String = runtime()?
        .block_on(async {
            let mut c = dialer
                .connect(broker, std::time::Duration::from_secs(5))
                .await?;
            pxl_exec::dist::gather::json_action(
                &mut c,
                pxl_exec::dist::wire::actions::EXPLAIN,
                body.into(),
            )
            .await
        })
        .map_err(|e| fail(format!("{}: {broker}: {e}", script.name)))?;
    print!("{text}");
    Ok(())
}

/// `pxl explain --nodes N`: each output cut into PEM fragments and the
/// Kelvin's merge.
async fn explain_cluster(
    p: &Prepared,
    store: &Arc<TableStore>,
    nodes: usize,
    measure: Option<Metadata>,
) -> Result<String, String> {
    use datafusion::physical_plan::displayable;
    use std::fmt::Write;
    let functions = Functions::new(Arc::new(ExecEnv::local(Arc::new(MetadataIndex::new(
        measure.clone().unwrap_or_default(),
    )))))
    .map_err(|e| e.to_string())?
    .with_heap(crate::heap::source());
    let names = store.names();
    let catalog = pxl_exec::dist::remote_catalog(names.iter().map(String::as_str), 2);
    let outputs = lower(&p.plan, &catalog, &functions, p.now_ns).map_err(|e| e.to_string())?;
    let peers: Vec<pxl_exec::dist::wire::Peer> = (1..=nodes)
        .map(|i| pxl_exec::dist::wire::Peer {
            id: format!("pem-{i}"),
            addr: String::new(),
        })
        .collect();
    let codec = pxl_exec::dist::PxlCodec::new(&functions);
    let engine = Engine::with_partitions(2);
    let mut out = String::new();
    for o in &outputs {
        let physical = engine
            .context()
            .state()
            .create_physical_plan(&o.plan)
            .await
            .map_err(|e| e.to_string())?;
        let cut = pxl_exec::dist::split(physical, &peers, &Default::default(), &codec)
            .map_err(|e| e.to_string())?;
        let _ = writeln!(out, "output `{}`", o.name);
        let _ = writeln!(out, "  on the Kelvin (merges what the PEMs send):");
        for l in displayable(cut.kelvin.as_ref())
            .indent(true)
            .to_string()
            .lines()
        {
            let _ = writeln!(out, "    {l}");
        }
        for (i, f) in cut.fragments.iter().enumerate() {
            let _ = writeln!(
                out,
                "  fragment #{i}, on each of the {nodes} PEMs (next to the data; its output \
                 crosses the network):"
            );
            for l in displayable(f.as_ref()).indent(true).to_string().lines() {
                let _ = writeln!(out, "    {l}");
            }
            if measure.is_some() {
                let (rows, bytes) = fragment_size(f, &codec, store, &engine).await?;
                let _ = writeln!(out, "    {}", crossing(f, rows, bytes, nodes));
            }
        }
        if measure.is_none() && !cut.fragments.is_empty() {
            let _ = writeln!(
                out,
                "  (give --data DIR to see how many rows and bytes cross the network)"
            );
        }
        if cut.fragments.is_empty() {
            let _ = writeln!(out, "  (no table scans: runs on the Kelvin only)");
        }
        out.push('\n');
    }
    Ok(out)
}

/// Runs a PEM fragment over all the recorded data (as one PEM holding it
/// all): its output rows and Arrow IPC bytes.
async fn fragment_size(
    fragment: &Arc<dyn datafusion::physical_plan::ExecutionPlan>,
    codec: &pxl_exec::dist::PxlCodec,
    store: &Arc<TableStore>,
    engine: &Engine,
) -> Result<(u64, u64), String> {
    use futures::StreamExt;
    let task = engine.context().task_ctx();
    let bytes = codec.encode(fragment.clone()).map_err(|e| e.to_string())?;
    let bound = codec
        .clone()
        .with_source(store.clone())
        .decode(&bytes, &task)
        .map_err(|e| e.to_string())?;
    let schema = bound.schema();
    let mut stream =
        datafusion::physical_plan::execute_stream(bound, task).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut writer = datafusion::arrow::ipc::writer::StreamWriter::try_new(&mut buf, &schema)
        .map_err(|e| e.to_string())?;
    let mut rows = 0u64;
    while let Some(b) = stream.next().await {
        let b = b.map_err(|e| e.to_string())?;
        rows += b.num_rows() as u64;
        writer.write(&b).map_err(|e| e.to_string())?;
    }
    writer.finish().map_err(|e| e.to_string())?;
    drop(writer);
    Ok((rows, buf.len() as u64))
}

/// What crosses the network for a fragment measured over all the data:
/// rows that are only filtered or mapped are split over the PEMs; an
/// aggregate's groups can be on every PEM, so each may send all of them.
fn crossing(
    fragment: &Arc<dyn datafusion::physical_plan::ExecutionPlan>,
    rows: u64,
    bytes: u64,
    nodes: usize,
) -> String {
    let grouped = fragment.name() == "AggregateExec";
    let human = |b: u64| -> String {
        match b {
            b if b >= 10 << 20 => format!("{} MiB", b >> 20),
            b if b >= 10 << 10 => format!("{} KiB", b >> 10),
            b => format!("{b} B"),
        }
    };
    if grouped {
        format!(
            "crosses the network: {rows} rows, {} over the recorded data; over {nodes} PEMs \
             at most {} rows, {} (every PEM may hold every group)",
            human(bytes),
            rows * nodes as u64,
            human(bytes * nodes as u64)
        )
    } else {
        format!(
            "crosses the network: {rows} rows, {} over the recorded data (split over the \
             {nodes} PEMs)",
            human(bytes)
        )
    }
}

/// `pxl scripts list`.
pub fn list_scripts() -> ExitCode {
    let scripts = pxl_stdlib::scripts::bundled();
    let width = scripts.iter().map(|s| s.name.len()).max().unwrap_or(0);
    for s in scripts {
        println!("{:<width$}  {}", s.name, s.short());
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times() {
        assert_eq!(parse_time("0"), Ok(0));
        assert_eq!(parse_time("1970-01-01T00:00:01Z"), Ok(1_000_000_000));
        assert_eq!(parse_time("1970-01-01 00:00:01.5"), Ok(1_500_000_000));
        assert_eq!(
            parse_time("2026-11-21T07:00:00+01:00"),
            parse_time("2026-11-21T06:00:00Z")
        );
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("2026-13-01T00:00:00Z").is_err());
    }
}

#[derive(clap::Args, Debug)]
pub struct DatagenArgs {
    /// Directory to write (created if needed); existing table files in it
    /// are overwritten.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Number of http_events rows; the other tables are sized from it.
    #[arg(long, default_value_t = 100_000, value_name = "N")]
    rows: usize,
    /// Seed: the same seed, rows and end give the same files.
    #[arg(long, default_value_t = 1, value_name = "S")]
    seed: u64,
    /// File format of the tables.
    #[arg(long, value_enum, default_value_t = DataFormat::Parquet)]
    format: DataFormat,
    /// Where the hour of data ends (as for `pxl run --now`); default: now.
    #[arg(long, value_name = "TIME")]
    end: Option<String>,
    /// Split the rows over N nodes: write OUT/pem-1 ... OUT/pem-N, one
    /// directory per PEM (`pxl agent --role pem --data OUT/pem-1`). A
    /// process's rows stay on one node; each directory has the whole
    /// metadata.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1000))]
    nodes: Option<u16>,
}

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFormat {
    Parquet,
    Arrow,
}

/// `pxl datagen`.
pub fn datagen(args: &DatagenArgs) -> ExitCode {
    finish(datagen_inner(args))
}

fn datagen_inner(args: &DatagenArgs) -> Result<(), Failure> {
    let end = match &args.end {
        Some(t) => parse_time(t).map_err(usage)?,
        None => wall_clock_ns(),
    };
    let t0 = std::time::Instant::now();
    let ds = pxl_datagen::generate(&pxl_datagen::Options::new(args.rows, args.seed, end));
    let format = match args.format {
        DataFormat::Parquet => pxl_datagen::Format::Parquet,
        DataFormat::Arrow => pxl_datagen::Format::Arrow,
    };
    match args.nodes {
        Some(n) => {
            for (i, part) in ds.split(n as usize).iter().enumerate() {
                let dir = args.out.join(format!("pem-{}", i + 1));
                pxl_datagen::write(part, &dir, format).map_err(|e| fail(e.to_string()))?;
            }
        }
        None => pxl_datagen::write(&ds, &args.out, format).map_err(|e| fail(e.to_string()))?,
    }
    let total: usize = ds
        .tables
        .iter()
        .map(|(_, b)| b.iter().map(|b| b.num_rows()).sum::<usize>())
        .sum();
    let split = match args.nodes {
        Some(n) => format!(", split over {n} directories pem-1 ... pem-{n},"),
        None => String::new(),
    };
    eprintln!(
        "wrote {} tables ({total} rows) and metadata.json{split} to {} in {:.1}s; data ends at {}",
        ds.tables.len(),
        args.out.display(),
        t0.elapsed().as_secs_f64(),
        pxl_exec::format::rfc3339(end)
    );
    Ok(())
}
