//! `pxl`: check, run and explain PxL scripts.
//!
//! The binary is a thin shell over the library crates: argument parsing,
//! file discovery and rendering of diagnostics happen here; compiling
//! happens in `pxl-compiler`.

mod check;
mod cluster;
mod demo;
mod heap;
mod live;
mod otel;
mod render;
mod run;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// mimalloc: the compiler allocates many small nodes and glibc's malloc was
/// a third of `pxl check`'s time (measured with callgrind: 404M to 295M instructions for 30 checks of the benchmark script).
/// `heap::source()` reports this allocator: keep the two together.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(name = "pxl", version, about = "PxL: query what your services do, without instrumenting them", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compile and type-check PxL scripts, reporting every error at once.
    ///
    /// PATH is a .pxl file, a script directory (one .pxl, optional vis.json
    /// and manifest.yaml), a directory tree searched for both, or `-` to read
    /// a script from standard input. Exit status: 0 when there is no error,
    /// 1 when a script has an error, 2 on a usage or I/O error.
    Check(check::CheckArgs),
    /// Run a script over recorded data (--data), over data collected live
    /// on this host (--live) or on a cluster of `pxl agent`s (--cluster),
    /// and print its output tables.
    ///
    /// Exit status: 0 on success, 1 when the script, the data or the query
    /// fails (with one line saying why), 2 on a usage error.
    Run(run::RunArgs),
    /// Show how a script runs: each output's operators with their columns
    /// and types, and what every table scan reads (columns, time range,
    /// pushed-down filters).
    Explain(run::ExplainArgs),
    /// Generate deterministic, realistic data for every default table (plus
    /// the matching metadata) to use with `pxl run --data`.
    Datagen(run::DatagenArgs),
    /// See pxl work on this machine in under a minute: start the collectors
    /// and a small HTTP workload on loopback, collect for ~15 s, then run the
    /// bundled scripts (HTTP data, service stats, slow endpoints, errors,
    /// service map, process stats) on what was captured.
    ///
    /// Capturing network traffic needs root (or CAP_BPF and CAP_PERFMON);
    /// without it the demo says so and shows the /proc tables only.
    Demo(run::DemoArgs),
    /// One process of the demo workload (used by `pxl demo`).
    #[command(hide = true)]
    DemoService(demo::ServiceArgs),
    /// Run an agent: a PEM (node agent), a Kelvin (aggregator), a broker
    /// (client API) or all three (the default: a single-host cluster on
    /// 127.0.0.1:7450). `pxl run SCRIPT --cluster` sends scripts to it.
    ///
    /// Settings are checked before any port is bound. A non-loopback
    /// --listen needs TLS (--tls-cert, --tls-key, --tls-ca: agents then
    /// authenticate each other by certificate) and a --token for clients,
    /// or --insecure.
    Agent(cluster::AgentArgs),
    /// Make a certificate authority and an agent certificate for TLS
    /// between agents: DIR/ca.pem, ca.key, agent.pem, agent.key.
    ///
    /// The agent certificate is valid for localhost, 127.0.0.1, ::1 and
    /// every --host, for serving and for connecting. Start each agent with
    /// `--tls-ca DIR/ca.pem --tls-cert DIR/agent.pem --tls-key
    /// DIR/agent.key`; clients need only `--tls-ca DIR/ca.pem` (and the
    /// token). Existing files are never overwritten.
    Certs(cluster::CertsArgs),
    /// List the agents registered with a broker, with their state and
    /// table sizes.
    Agents(cluster::AgentsArgs),
    /// Work with the bundled scripts (`px/http_data`, ...).
    Scripts {
        #[command(subcommand)]
        command: ScriptsCommand,
    },
    /// Explain a diagnostic code, e.g. `pxl explain-error E0302`.
    ExplainError {
        /// The code, as printed in brackets after `error`/`warning`.
        code: String,
    },
}

#[derive(Subcommand, Debug)]
enum ScriptsCommand {
    /// List the bundled scripts with a one-line description each.
    List,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Run(args) => run::run(&args),
        Command::Explain(args) => run::explain(&args),
        Command::Datagen(args) => run::datagen(&args),
        Command::Demo(args) => run::demo(&args),
        Command::Agent(args) => cluster::agent(&args),
        Command::Agents(args) => cluster::agents(&args),
        Command::Certs(args) => cluster::certs(&args),
        Command::DemoService(args) => demo::service(&args),
        Command::Scripts {
            command: ScriptsCommand::List,
        } => run::list_scripts(),
        Command::ExplainError { code } => match pxl_compiler::codes::lookup(&code) {
            Some(c) => {
                println!("{}: {}\n\n{}", c.code, c.title, c.explanation);
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "error: `{code}` is not a pxl diagnostic code (codes look like E0302 or W0001)"
                );
                ExitCode::from(2)
            }
        },
    }
}
