//! Streaming benchmark (issue 5): a 10M-row result streams from the PEMs
//! through the Kelvin and the broker to a client, and the broker's and the
//! Kelvin's resident memory must stay under 256 MB.
//!
//! Every agent is its own process (this binary re-run as `stream agent
//! ...`, which starts the same `Agent` as `pxl agent`), so that each
//! one's peak resident memory (`VmHWM` in /proc/PID/status) is its own.
//! Five PEMs each hold 2.01M `network_stats` rows (the table store's default
//! budget is 256 MB a table); the client counts the rows and drops them.
//!
//! `cargo run --release -p pxl-bench --bin stream [-- --rows-per-pem N]`

use pxl_bench::{agent_config, arg, free_addr, run, wait_for_rows};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Instant;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const END_NS: i64 = 1_795_000_000_000_000_000;
/// A day: network_stats has a row per pod every 10 s, so 2M rows a PEM
/// need about 20 hours of it.
const SPAN_NS: i64 = 24 * 3_600_000_000_000;
const PEMS: usize = 5;

const ALL_ROWS: &str = "import px
df = px.DataFrame(table='network_stats', start_time='-25h')
px.display(df)
";

const COUNT: &str = "import px
df = px.DataFrame(table='network_stats', start_time='-25h')
df = df.agg(n=('rx_bytes', px.count))
px.display(df)
";

/// `stream agent ROLE ID LISTEN [BROKER [DATA]]`: one agent, until killed.
fn agent_main(args: &[String]) {
    let (role, id, listen) = (&args[0], &args[1], &args[2]);
    let broker = args.get(3).map(String::as_str);
    let data = args.get(4).map(Path::new);
    let cfg = agent_config(role, id, listen, broker, data, 2);
    let agent = pxl_carnot::agent::Agent::start(cfg).expect("agent");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(agent.serve(std::future::pending()))
        .expect("serve");
}

/// Child agent processes, killed when dropped (also when the bench fails).
struct Agents(Vec<(String, Child)>);

impl Drop for Agents {
    fn drop(&mut self) {
        for (_, c) in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Agents {
    fn spawn(&mut self, id: &str, args: &[&str]) -> u32 {
        let child = Command::new(std::env::current_exe().expect("exe"))
            .arg("agent")
            .args(args)
            .spawn()
            .expect("spawn agent");
        let pid = child.id();
        self.0.push((id.to_string(), child));
        pid
    }
}

/// (current, peak) resident memory of `pid` in MB.
fn rss_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("agent") {
        return agent_main(&args[1..]);
    }
    let per_pem = arg("--rows-per-pem", 2_010_000);
    let scratch = pxl_bench::ScratchDir::new("pxl-bench-stream");
    let dir = scratch.0.clone();
    let world = pxl_datagen::World::with_span(7, END_NS, SPAN_NS);
    let t0 = Instant::now();
    let mut total = 0;
    let dirs: Vec<PathBuf> = (0..PEMS)
        .map(|i| {
            let batches: Vec<_> = pxl_datagen::generate_table(
                &world,
                "network_stats",
                per_pem,
                21 + i as u64,
                END_NS,
                SPAN_NS,
                64 * 1024,
            )
            .expect("network_stats")
            .collect();
            total += batches.iter().map(|b| b.num_rows()).sum::<usize>();
            let ds = pxl_datagen::Dataset {
                tables: vec![("network_stats".into(), batches)],
                metadata: world.metadata(),
            };
            let d = dir.join(format!("pem-{}", i + 1));
            pxl_datagen::write(&ds, &d, pxl_datagen::Format::Arrow).expect("write");
            d
        })
        .collect();
    println!(
        "{PEMS} PEMs, {total} network_stats rows generated in {:.1}s",
        t0.elapsed().as_secs_f64()
    );

    let mut agents = Agents(Vec::new());
    let broker = free_addr();
    let broker_pid = agents.spawn("broker", &["broker", "broker", &broker]);
    let kelvin = free_addr();
    let kelvin_pid = agents.spawn("kelvin", &["kelvin", "kelvin", &kelvin, &broker]);
    for (i, d) in dirs.iter().enumerate() {
        let id = format!("pem-{}", i + 1);
        let listen = free_addr();
        let data = d.to_string_lossy();
        agents.spawn(&id, &["pem", &id, &listen, &broker, &data]);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        wait_for_rows(&broker, COUNT, END_NS, total as i64).await;
        let idle = (rss_mb(broker_pid).0, rss_mb(kelvin_pid).0);
        let t = Instant::now();
        let a = run(&broker, ALL_ROWS, END_NS).await.expect("run");
        let took = t.elapsed();
        assert!(a.missing.is_empty(), "agents missing: {:?}", a.missing);
        assert_eq!(a.rows, total, "rows streamed");
        let (broker_peak, kelvin_peak) = (rss_mb(broker_pid).1, rss_mb(kelvin_pid).1);
        println!(
            "{} rows streamed to the client in {:.1}s ({:.1}M rows/s)",
            a.rows,
            took.as_secs_f64(),
            a.rows as f64 / took.as_secs_f64() / 1e6
        );
        for (who, idle, peak) in [
            ("broker", idle.0, broker_peak),
            ("kelvin", idle.1, kelvin_peak),
        ] {
            println!(
                "{who}: resident {idle:.0} MB idle, peak {peak:.0} MB (target < 256 MB: {})",
                if peak < 256.0 { "met" } else { "NOT met" }
            );
        }
    });
    drop(agents);
    drop(scratch);
}
