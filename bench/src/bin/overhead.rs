//! Overhead of the eBPF collectors on a keep-alive HTTP server on loopback,
//! measured against the same server without them in the same run:
//!
//! 1. latency at a fixed, open-loop 10,000 requests/s (p50/p99 increase),
//! 2. collector CPU per request (process CPU with minus without),
//! 3. saturation throughput ratio,
//! 4. the kernel → user pipeline: events/s a core decodes and tracks, and
//!    loss at 100,000 events/s,
//! 5. idle resident memory of the collectors.
//!
//! Latency, CPU and saturation are measured in alternating rounds (without,
//! then with) and reported as medians over rounds, because the latency tail
//! of a shared VM moves by milliseconds between seconds.
//!
//! `cargo run --release -p pxl-bench --bin overhead [-- --secs N --rounds R]`
//! as root; `-- --decode-only` measures only the user-space pipeline (no
//! root needed); `-- --only fixed|saturate|fixed-base|saturate-base` runs one
//! load with (or without, `-base`) the collectors, for profiling, and prints
//! what each eBPF probe cost.

use pxl_carnot::TableStore;
use pxl_stirling::{Collectors, Config};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const BODY: &str = "{\"ok\":true,\"items\":[1,2,3]}";

fn serve(listener: TcpListener) {
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let _ = conn.set_nodelay(true);
        std::thread::spawn(move || {
            let mut r = BufReader::new(conn);
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{BODY}",
                BODY.len()
            );
            loop {
                let mut line = String::new();
                match r.read_line(&mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).unwrap_or(0) == 0 {
                        return;
                    }
                    if h == "\r\n" {
                        break;
                    }
                }
                if r.get_mut().write_all(resp.as_bytes()).is_err() {
                    return;
                }
            }
        });
    }
}

fn request(r: &mut BufReader<TcpStream>, req: &[u8]) -> bool {
    if r.get_mut().write_all(req).is_err() {
        return false;
    }
    let mut len = 0;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 {
            return false;
        }
        if let Some(v) = h.strip_prefix("Content-Length: ") {
            len = v.trim().parse().unwrap_or(0);
        }
        if h == "\r\n" {
            break;
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).is_ok()
}

fn connect(port: u16) -> BufReader<TcpStream> {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let _ = s.set_nodelay(true);
    BufReader::new(s)
}

const REQ: &[u8] =
    b"GET /api/items?page=2 HTTP/1.1\r\nHost: bench\r\nUser-Agent: pxl-bench\r\n\r\n";

/// Open loop: `conns` connections share `rate` requests/s; latency is from
/// the scheduled send time (no coordinated omission). Returns sorted
/// latencies in µs.
fn fixed_rate(port: u16, rate: u64, secs: u64, conns: u64) -> Vec<f64> {
    let per_conn_gap = Duration::from_nanos(1_000_000_000 * conns / rate);
    let n = rate * secs / conns;
    let handles: Vec<_> = (0..conns)
        .map(|c| {
            std::thread::spawn(move || {
                let mut r = connect(port);
                let mut lat = Vec::with_capacity(n as usize);
                let start = Instant::now() + per_conn_gap * c as u32 / conns as u32;
                for i in 0..n {
                    let due = start + per_conn_gap * i as u32;
                    if let Some(w) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(w);
                    }
                    if !request(&mut r, REQ) {
                        break;
                    }
                    lat.push(due.elapsed().as_secs_f64() * 1e6);
                }
                lat
            })
        })
        .collect();
    let mut all: Vec<f64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap_or_default())
        .collect();
    all.sort_by(f64::total_cmp);
    all
}

fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    pct(&v, 0.5)
}

fn list(v: &[f64]) -> String {
    let prec = if v.iter().all(|x| x.abs() < 10.0) {
        2
    } else {
        0
    };
    let items: Vec<String> = v.iter().map(|x| format!("{x:.prec$}")).collect();
    items.join(" ")
}

fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() - 1) as f64 * p) as usize]
}

/// Closed loop, as fast as possible: requests/s.
fn saturate(port: u16, secs: u64, conns: usize) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..conns)
        .map(|_| {
            let (stop, done) = (stop.clone(), done.clone());
            std::thread::spawn(move || {
                let mut r = connect(port);
                while !stop.load(Ordering::Relaxed) {
                    if !request(&mut r, REQ) {
                        return;
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let t = Instant::now();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    let n = done.load(Ordering::Relaxed);
    let el = t.elapsed().as_secs_f64();
    for h in handles {
        let _ = h.join();
    }
    n as f64 / el
}

/// User + system CPU seconds of this process.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |x| x.1);
    let f: Vec<u64> = after
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the comm.
    let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
    ticks as f64 / 100.0
}

fn rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0)
        * 1024
}

fn start_collectors() -> Collectors {
    let store = Arc::new(TableStore::for_collectors());
    let c = Collectors::start(Config::default(), store);
    if let Some(e) = &c.ebpf_error {
        eprintln!("cannot measure: {e}");
        std::process::exit(1);
    }
    c
}

fn main() {
    let mut secs = 3u64;
    let mut rounds = 5usize;
    let mut decode_only = false;
    let mut only = String::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--secs" => secs = args.next().and_then(|s| s.parse().ok()).unwrap_or(secs),
            "--rounds" => {
                rounds = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(rounds)
                    .max(1)
            }
            // Only the user-space pipeline on replayed events, for `secs`
            // seconds (no root needed; for profiling).
            "--decode-only" => decode_only = true,
            // Only one run with the collectors, for `secs` seconds, with
            // the kernel's per-probe costs (for profiling under load):
            // `--only fixed` (10,000 req/s) or `--only saturate`.
            "--only" => only = args.next().unwrap_or_default(),
            _ => {}
        }
    }
    if decode_only {
        let until = Instant::now() + Duration::from_secs(secs);
        let events = replay_events();
        let mut rates = Vec::new();
        while Instant::now() < until {
            rates.push(decode_rate(&events));
        }
        rates.sort_by(f64::total_cmp);
        println!(
            "pipeline: one core decodes and tracks {:.0} events/s (median of {} runs; target >= 1,000,000)",
            rates[rates.len() / 2],
            rates.len()
        );
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || serve(listener));
    let rate = 10_000;
    let conns = 20;
    if !only.is_empty() {
        profile_one(port, &only, secs);
        return;
    }

    // Warm up.
    fixed_rate(port, rate, 1, conns);

    // 1 + 2: fixed rate, without and with the collectors, in alternating
    // rounds: this VM's own latency tail moves by milliseconds from one
    // second to the next, so one long run of each says little. Each figure
    // is the median over rounds of (with - without) in the same round.
    let mut d50 = Vec::new();
    let mut d99 = Vec::new();
    let mut dcpu = Vec::new();
    let (mut base50, mut base99, mut with50, mut with99) = (vec![], vec![], vec![], vec![]);
    let mut idle_rss = 0;
    let (mut rows, mut requests, mut lost) = (0, 0, 0);
    for round in 0..rounds {
        let c0 = cpu_secs();
        let base = fixed_rate(port, rate, secs, conns);
        let base_cpu = cpu_secs() - c0;
        let rss_before = rss_bytes();
        let collectors = start_collectors();
        std::thread::sleep(Duration::from_secs(1));
        if round == 0 {
            idle_rss = rss_bytes().saturating_sub(rss_before);
        }
        let c1 = cpu_secs();
        let with = fixed_rate(port, rate, secs, conns);
        let with_cpu = cpu_secs() - c1;
        let report = collectors.stop();
        d50.push(pct(&with, 0.5) - pct(&base, 0.5));
        d99.push(pct(&with, 0.99) - pct(&base, 0.99));
        dcpu.push((with_cpu - base_cpu) * 1e6 / (with.len() as f64).max(1.0));
        base50.push(pct(&base, 0.5));
        base99.push(pct(&base, 0.99));
        with50.push(pct(&with, 0.5));
        with99.push(pct(&with, 0.99));
        rows += report.rows.get("http_events").copied().unwrap_or(0);
        requests += with.len();
        lost += report.lost_events;
    }
    println!(
        "fixed rate {rate} req/s, {conns} keep-alive connections, {rounds} rounds of {secs} s \
         without then {secs} s with the collectors (medians over rounds):"
    );
    println!(
        "  p50 latency: {:.1} µs without, {:.1} µs with: +{:.1} µs (target <= 20; per round {})",
        median(&base50),
        median(&with50),
        median(&d50),
        list(&d50)
    );
    println!(
        "  p99 latency: {:.1} µs without, {:.1} µs with: +{:.1} µs (target <= 50; per round {})",
        median(&base99),
        median(&with99),
        median(&d99),
        list(&d99)
    );
    println!(
        "  collector CPU (process CPU with minus without): {:.1} µs per request \
         (target <= 15; per round {})",
        median(&dcpu),
        list(&dcpu)
    );
    println!("  http_events rows {rows} (both sides of {requests} requests), lost events {lost}");
    println!(
        "idle resident memory of the collectors: {:.1} MB (target < 100)",
        idle_rss as f64 / 1e6
    );

    // 3: saturation, again in alternating rounds.
    let sat_conns = 8;
    let mut ratios = Vec::new();
    let (mut bases, mut withs) = (vec![], vec![]);
    let mut lost = 0;
    for _ in 0..rounds {
        let sat_base = saturate(port, secs.min(3), sat_conns);
        let collectors = start_collectors();
        std::thread::sleep(Duration::from_millis(500));
        let sat_with = saturate(port, secs.min(3), sat_conns);
        lost += collectors.stop().lost_events;
        ratios.push(sat_with / sat_base);
        bases.push(sat_base);
        withs.push(sat_with);
    }
    println!(
        "saturation ({sat_conns} connections): {:.0} req/s without, {:.0} with: ratio {:.3} \
         (target >= 0.95; per round {}), lost events {lost}",
        median(&bases),
        median(&withs),
        median(&ratios),
        list(&ratios)
    );

    // 4: the pipeline. Every request is 4 events (client write, server
    // read, server write, client read): first at a fixed 25,000 requests/s
    // = 100,000 events/s, where nothing may be lost, then as fast as 4
    // keep-alive connections go, to see where loss starts.
    let collectors = start_collectors();
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let done = fixed_rate(port, 25_000, secs.min(3), conns);
    let el = t.elapsed().as_secs_f64();
    let report = collectors.stop();
    println!(
        "pipeline at 100k events/s: {:.0} events/s for {el:.1} s ({} requests), {} events tracked, \
         lost {} (target: 0 lost)",
        report.tracker.events as f64 / el,
        done.len(),
        report.tracker.events,
        report.lost_events
    );
    let collectors = start_collectors();
    std::thread::sleep(Duration::from_millis(300));
    let t = Instant::now();
    let sent = pipeline_load(port, Duration::from_secs(secs.min(3)));
    let el = t.elapsed().as_secs_f64();
    let report = collectors.stop();
    let ev = report.tracker.events;
    println!(
        "pipeline flat out: {:.0} events/s for {el:.1} s ({sent} requests), {} events tracked, lost {}",
        ev as f64 / el,
        ev,
        report.lost_events
    );
    let per_core = decode_rate(&replay_events());
    println!("pipeline: one core decodes and tracks {per_core:.0} events/s (target >= 1,000,000)");
}

/// Small HTTP requests as fast as 4 keep-alive connections go.
fn pipeline_load(port: u16, d: Duration) -> u64 {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (stop, count) = (stop.clone(), count.clone());
            std::thread::spawn(move || {
                let mut r = connect(port);
                while !stop.load(Ordering::Relaxed) {
                    if !request(&mut r, REQ) {
                        return;
                    }
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(d);
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let _ = h.join();
    }
    count.load(Ordering::Relaxed)
}

/// Recorded-like kernel events of 50,000 keep-alive requests on one
/// connection: the open, then each request and its response.
fn replay_events() -> Vec<Vec<u8>> {
    let pid = std::process::id();
    let head = |kind: u8, dir: u8, fd: i32, data: &[u8], mono: u64| {
        let mut b = vec![0u8; 104];
        b[0..8].copy_from_slice(&mono.to_le_bytes());
        b[16..24].copy_from_slice(&(data.len() as u64).to_le_bytes());
        b[24..28].copy_from_slice(&pid.to_le_bytes());
        b[28..32].copy_from_slice(&pid.to_le_bytes());
        b[32..36].copy_from_slice(&fd.to_le_bytes());
        b[36..40].copy_from_slice(&(data.len() as u32).to_le_bytes());
        b[40] = kind;
        b[41] = dir;
        b[42..44].copy_from_slice(&2u16.to_le_bytes());
        b[44..46].copy_from_slice(&8080u16.to_le_bytes());
        b[48..52].copy_from_slice(&[127, 0, 0, 1]);
        b[80..84].copy_from_slice(&[127, 0, 0, 1]);
        b[96..98].copy_from_slice(&40000u16.to_le_bytes());
        b.extend_from_slice(data);
        b
    };
    let resp = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let mut events = vec![head(1, 1, 7, b"", 1)];
    for i in 0..50_000u64 {
        events.push(head(2, 0, 7, REQ, 10 + 2 * i));
        events.push(head(2, 1, 7, resp.as_bytes(), 11 + 2 * i));
    }
    events
}

/// Events/s one core turns into rows: decode + track + parse, on recorded
/// event bytes replayed in memory (no kernel involved).
fn decode_rate(events: &[Vec<u8>]) -> f64 {
    use pxl_stirling::bpf::decode;
    use pxl_stirling::host::HostMetadata;
    use pxl_stirling::trace::{Kernel, Tracker, TrackerConfig};
    struct NoKernel;
    impl Kernel for NoKernel {
        fn disable(&mut self, _: u32, _: i32) {}
        fn forget(&mut self, _: u32, _: i32) {}
    }
    let mut host = HostMetadata::for_this_host(1);
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut k = NoKernel;
    let t = Instant::now();
    let mut n = 0u64;
    for b in events {
        if let Ok(ev) = decode(b) {
            tracker.handle(ev, &mut host, &mut k);
            n += 1;
        }
        if tracker.http_events.len() >= 8192 {
            let _ = tracker.http_events.take();
        }
    }
    let _ = tracker.http_events.take();
    n as f64 / t.elapsed().as_secs_f64()
}

/// One run with the collectors (`fixed`: 10,000 req/s open loop;
/// `saturate`: closed loop on 8 connections), then what each probe cost.
fn profile_one(port: u16, only: &str, secs: u64) {
    // The kernel counts probe run time only while bpf_stats_enabled is
    // set; it costs two clock reads per run, so only this mode sets it.
    const STATS: &str = "/proc/sys/kernel/bpf_stats_enabled";
    let old = std::fs::read_to_string(STATS).unwrap_or_default();
    let stats = std::fs::write(STATS, "1").is_ok();
    // `--only fixed-base` / `saturate-base`: the same run without them.
    let base = only.ends_with("-base");
    let collectors = (!base).then(start_collectors);
    std::thread::sleep(Duration::from_millis(500));
    let c0 = cpu_secs();
    let t = Instant::now();
    let requests = match only.trim_end_matches("-base") {
        "fixed" => {
            let lat = fixed_rate(port, 10_000, secs, 20);
            println!(
                "fixed rate 10000 req/s: p50 {:.1} µs, p99 {:.1} µs",
                pct(&lat, 0.5),
                pct(&lat, 0.99)
            );
            lat.len() as f64
        }
        "saturate" => {
            let with = saturate(port, secs, 8);
            println!("saturation (8 connections): {with:.0} req/s");
            with * secs as f64
        }
        other => {
            eprintln!("--only takes fixed, saturate, fixed-base or saturate-base, not {other:?}");
            std::process::exit(2);
        }
    };
    let el = t.elapsed().as_secs_f64();
    let cpu = cpu_secs() - c0;
    let costs = pxl_stirling::bpf::probe_costs();
    let report = collectors.map(|c| c.stop()).unwrap_or_default();
    if stats {
        let _ = std::fs::write(STATS, old.trim());
    }
    println!(
        "  process CPU {:.2} cores, {:.1} µs per request; {} events tracked, lost {}",
        cpu / el,
        cpu * 1e6 / requests.max(1.0),
        report.tracker.events,
        report.lost_events
    );
    if base {
        return;
    }
    if !stats {
        println!("  (probe costs need root: {STATS})");
        return;
    }
    let mut total = 0.0;
    for c in costs.iter().filter(|c| c.runs > 0) {
        let ns = c.time.as_nanos() as f64;
        total += ns;
        println!(
            "  {:<16} {:>10} runs {:>7.0} ns/run",
            c.program,
            c.runs,
            ns / c.runs as f64
        );
    }
    println!(
        "  eBPF probes: {:.3} cores, {:.2} µs per request",
        total / 1e9 / el,
        total / 1e3 / requests.max(1.0)
    );
}
