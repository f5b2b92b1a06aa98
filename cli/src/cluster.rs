//! `pxl agent`, `pxl agents` and the client side of `pxl run --cluster`.

use arrow_flight::Action;
use arrow_flight::decode::{DecodedPayload, FlightDataDecoder};
use arrow_flight::error::FlightError;
use futures::StreamExt;
use pxl_carnot::agent::Agent;
use pxl_carnot::agent::config::{AgentConfig, FileConfig};
use pxl_compiler::ir::{Op, Relation};
use pxl_exec::ResultTable;
use pxl_exec::dist::gather::{Dialer, flight_message, json_action, raw_do_get};
use pxl_exec::dist::tls::{Tls, TlsFiles};
use pxl_exec::dist::wire::actions::{self, AgentStatus};
use pxl_exec::dist::wire::{Control, RunRequest, encode_run_ticket};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The address `pxl run --cluster` and `pxl agents` use by default.
pub const DEFAULT_BROKER: &str = "127.0.0.1:7450";

/// TLS flags, shared by agents and clients.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TlsArgs {
    /// CA certificate (PEM) that agents' certificates are signed by; turns
    /// TLS on. `pxl certs DIR` makes a CA and an agent certificate.
    #[arg(long, value_name = "FILE", env = "PXL_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// Certificate (PEM) to present: required for agents, optional for
    /// clients.
    #[arg(long, value_name = "FILE", env = "PXL_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", env = "PXL_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
}

impl TlsArgs {
    /// A client's dialer: the token, and TLS when --tls-ca is given.
    pub fn dialer(&self, token: Option<String>) -> Result<Dialer, String> {
        let tls = match &self.tls_ca {
            Some(ca) => Some(Tls::load(&TlsFiles {
                cert: self.tls_cert.clone(),
                key: self.tls_key.clone(),
                ca: ca.clone(),
            })?),
            None if self.tls_cert.is_some() || self.tls_key.is_some() => {
                return Err(
                    "--tls-cert and --tls-key need --tls-ca (the CA of the cluster)".into(),
                );
            }
            None => None,
        };
        Dialer::new(token, tls.as_ref())
    }
}

#[derive(clap::Args, Debug)]
pub struct AgentArgs {
    /// What this process does: `pem` (node agent: owns a table store and
    /// runs fragments next to its data), `kelvin` (merges the PEMs'
    /// partial results), `broker` (client API, planning, agent registry) or
    /// `all` (the three in one process: the single-host setup).
    #[arg(long, value_name = "ROLE")]
    role: Option<String>,
    /// YAML file with any of: role, id, listen, advertise, broker, data,
    /// token, tls_cert, tls_key, tls_ca, insecure, heartbeat_ms, forget_after_ms, agent_timeout_ms,
    /// query_timeout_ms, query_memory_mb, partitions. Flags override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// This agent's id (default: `<role>-<hostname>-<port>`).
    #[arg(long)]
    id: Option<String>,
    /// Address to listen on [default: 127.0.0.1:7450].
    #[arg(long, value_name = "HOST:PORT")]
    listen: Option<String>,
    /// Address other agents reach this one at (default: --listen).
    #[arg(long, value_name = "HOST:PORT")]
    advertise: Option<String>,
    /// The broker to register with (PEM and Kelvin roles).
    #[arg(long, value_name = "HOST:PORT")]
    broker: Option<String>,
    /// PEM: serve these recorded tables (e.g. `pxl datagen --nodes 3`
    /// output) instead of running the collectors.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Bearer token every request to this agent must carry; agents send it
    /// to each other too.
    #[arg(long, env = "PXL_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(flatten)]
    tls: TlsArgs,
    /// Allow listening on a non-loopback address without TLS and a token.
    #[arg(long)]
    insecure: bool,
    /// Kelvin: memory one query may use, in MiB.
    #[arg(long, value_name = "MIB")]
    query_memory_mb: Option<u64>,
    /// How long a PEM may stay silent before a query goes on without it.
    #[arg(long, value_name = "MS")]
    agent_timeout_ms: Option<u64>,
    /// Broker: the longest a query may run.
    #[arg(long, value_name = "MS")]
    query_timeout_ms: Option<u64>,
    /// Heartbeat interval.
    #[arg(long, value_name = "MS")]
    heartbeat_ms: Option<u64>,
    /// Fault injection for tests: hold each batch this agent sends.
    #[arg(long, value_name = "MS", hide = true)]
    debug_batch_delay_ms: Option<u64>,
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

/// `pxl agent`.
pub fn agent(args: &AgentArgs) -> ExitCode {
    let mut fc = match &args.config {
        Some(p) => match FileConfig::load(p) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        None => FileConfig::default(),
    };
    macro_rules! over {
        ($($f:ident),*) => { $( if args.$f.is_some() { fc.$f = args.$f.clone(); } )* };
    }
    over!(
        role,
        id,
        listen,
        advertise,
        broker,
        data,
        token,
        query_memory_mb,
        agent_timeout_ms,
        query_timeout_ms,
        heartbeat_ms
    );
    if args.insecure {
        fc.insecure = Some(true);
    }
    if let Some(p) = &args.tls.tls_ca {
        fc.tls_ca = Some(p.clone());
    }
    if let Some(p) = &args.tls.tls_cert {
        fc.tls_cert = Some(p.clone());
    }
    if let Some(p) = &args.tls.tls_key {
        fc.tls_key = Some(p.clone());
    }
    let cfg = match AgentConfig::check(fc) {
        Ok(mut c) => {
            c.debug_batch_delay = args.debug_batch_delay_ms.map(Duration::from_millis);
            c.heap = crate::heap::source();
            c
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let rt = match runtime() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let agent = match Agent::start(cfg.clone()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stop = crate::live::interrupt_flag();
    eprintln!(
        "pxl agent {} ({}) listening on {}{}",
        cfg.id,
        cfg.roles.names().join("+"),
        cfg.listen,
        if cfg.roles.broker {
            String::new()
        } else {
            format!("; broker {}", cfg.broker)
        }
    );
    let shutdown = async move {
        while !stop.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    match rt.block_on(agent.serve(shutdown)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct CertsArgs {
    /// Directory to write the files to (created if needed).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// Another name or IP address the agents are reached at (repeatable).
    #[arg(long = "host", value_name = "NAME")]
    hosts: Vec<String>,
}

/// `pxl certs`.
pub fn certs(args: &CertsArgs) -> ExitCode {
    match pxl_exec::dist::tls::generate(&args.dir, &args.hosts) {
        Ok(files) => {
            for f in files {
                println!("{}", f.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct AgentsArgs {
    /// The broker.
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_BROKER)]
    cluster: String,
    /// Bearer token for the broker.
    #[arg(long, env = "PXL_TOKEN", hide_env_values = true)]
    token: Option<String>,
    #[command(flatten)]
    tls: TlsArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// `pxl agents`.
pub fn agents(args: &AgentsArgs) -> ExitCode {
    let r: Result<Vec<AgentStatus>, String> = runtime().and_then(|rt| {
        rt.block_on(async {
            let mut c = args
                .tls
                .dialer(args.token.clone())?
                .connect(&args.cluster, Duration::from_secs(5))
                .await?;
            json_action(&mut c, actions::AGENTS, Default::default()).await
        })
    });
    match r {
        Ok(list) if args.json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&list).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Ok(list) => {
            println!(
                "{:<28} {:<18} {:<22} {:<7} {:>10} {:>12}",
                "ID", "ROLES", "ADDRESS", "STATE", "ROWS", "BYTES"
            );
            for a in list {
                let roles: Vec<String> = a.roles.iter().map(ToString::to_string).collect();
                let rows: u64 = a.tables.iter().map(|t| t.rows).sum();
                let bytes: u64 = a.tables.iter().map(|t| t.bytes).sum();
                println!(
                    "{:<28} {:<18} {:<22} {:<7} {:>10} {:>12}",
                    a.id,
                    roles.join("+"),
                    a.addr,
                    a.state,
                    rows,
                    bytes
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", args.cluster);
            ExitCode::FAILURE
        }
    }
}

/// The result of a cluster query.
pub struct ClusterResult {
    pub tables: Vec<ResultTable>,
    /// Per output: agent → why its data is missing.
    pub missing: Vec<(String, BTreeMap<String, String>)>,
    /// Per output: PEMs the planner did not ask.
    pub skipped: Vec<(String, std::collections::BTreeSet<String>)>,
}

/// Runs a compiled script on the cluster; `relations` are the outputs'
/// relations by name (from the local compile).
pub fn run_remote(
    broker: &str,
    dialer: &Dialer,
    mut req: RunRequest,
    relations: &BTreeMap<String, Arc<Relation>>,
    interrupted: &AtomicBool,
) -> Result<ClusterResult, String> {
    let rt = runtime()?;
    req.query = format!(
        "q-{:x}-{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    );
    let max_rows = req.max_rows;
    rt.block_on(async {
        let mut client = dialer.connect(broker, Duration::from_secs(5)).await?;
        let ticket = encode_run_ticket(&req);
        let stream = raw_do_get(&mut client, ticket)
            .await
            .map_err(|s| s.message().to_string())?;
        let mut dec = FlightDataDecoder::new(stream.map(|r| r.map_err(FlightError::from)));
        let mut tables: Vec<ResultTable> = Vec::new();
        let mut missing = Vec::new();
        let mut skipped = Vec::new();
        loop {
            let next = tokio::select! {
                n = dec.next() => n,
                _ = wait_for(interrupted) => {
                    let _ = client.do_action(Action {
                        r#type: actions::CANCEL.into(),
                        body: req.query.clone().into_bytes().into(),
                    }).await;
                    return Err("cancelled".to_string());
                }
            };
            let Some(item) = next else { break };
            let d = item.map_err(|e| flight_message(&e))?;
            match Control::from_app_metadata(&d.app_metadata()) {
                Some(Control::Begin { name, .. }) => {
                    let relation = relations.get(&name).cloned().unwrap_or_default();
                    tables.push(ResultTable {
                        name,
                        relation,
                        batches: Vec::new(),
                        truncated: false,
                    });
                    continue;
                }
                Some(Control::End {
                    missing: m,
                    skipped: s,
                    ..
                }) => {
                    if let Some(t) = tables.last() {
                        missing.push((t.name.clone(), m));
                        skipped.push((t.name.clone(), s));
                    }
                    continue;
                }
                None => {}
            }
            if let DecodedPayload::RecordBatch(b) = d.payload
                && let Some(t) = tables.last_mut()
            {
                t.batches.push(b);
            }
        }
        if let Some(n) = max_rows {
            for t in &mut tables {
                if t.num_rows() > n {
                    t.truncated = true;
                    t.batches = pxl_exec::cut(std::mem::take(&mut t.batches), n);
                }
            }
        }
        Ok(ClusterResult {
            tables,
            missing,
            skipped,
        })
    })
}

async fn wait_for(flag: &AtomicBool) {
    while !flag.load(Ordering::SeqCst) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The relations of a compiled plan's outputs, by name.
pub fn output_relations(plan: &pxl_compiler::ir::Plan) -> BTreeMap<String, Arc<Relation>> {
    plan.sinks()
        .filter_map(|n| match &n.op {
            Op::Sink { name, .. } => Some((name.clone(), n.relation.clone())),
            _ => None,
        })
        .collect()
}
