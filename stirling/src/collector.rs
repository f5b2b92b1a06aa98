//! Running the collectors: the eBPF socket tracer on one thread, the /proc
//! samplers on another, both pushing Arrow batches into a [`Sink`].

use crate::bpf::{self, Tracer};
use crate::host::HostMetadata;
use crate::procfs;
use crate::tables::{Sink, TableRows, Value};
use crate::trace::{Kernel, Tracker, TrackerConfig, TrackerStats};
use parking_lot::Mutex;
use pxl_stdlib::runtime::metadata::Metadata;
use std::collections::HashMap;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Settings of the collectors.
#[derive(Debug, Clone)]
pub struct Config {
    /// Agent id (the `asid` part of every upid).
    pub asid: u32,
    /// Data bytes the kernel copies per system call (at most 16 KiB).
    pub capture_bytes: u32,
    pub tracker: TrackerConfig,
    /// How often process_stats, network_stats and conn_stats are sampled.
    pub sample_interval: Duration,
    /// How often collected rows are pushed to the sink.
    pub flush_interval: Duration,
    /// Run the eBPF socket tracer (else only the /proc collectors).
    pub ebpf: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            asid: 1,
            capture_bytes: bpf::MAX_CAPTURE,
            tracker: TrackerConfig::default(),
            sample_interval: Duration::from_secs(1),
            flush_interval: Duration::from_millis(200),
            ebpf: true,
        }
    }
}

/// What the collectors did, for the closing report.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub tracker: TrackerStats,
    pub lost_events: u64,
    pub lost_bytes: u64,
    pub rows: HashMap<String, u64>,
    pub sink_errors: u64,
}

/// Running collectors. [`Collectors::stop`] (or dropping) stops them and
/// detaches every probe.
pub struct Collectors {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    host: Arc<Mutex<HostMetadata>>,
    report: Arc<Mutex<Report>>,
    /// Why the eBPF tracer is not running, if it is not.
    pub ebpf_error: Option<String>,
}

impl std::fmt::Debug for Collectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collectors")
            .field("ebpf_error", &self.ebpf_error)
            .finish()
    }
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

/// Pushes rows to the sink and counts them.
struct Out {
    sink: Arc<dyn Sink>,
    report: Arc<Mutex<Report>>,
}

impl Out {
    fn flush(&self, rows: &mut TableRows) {
        let Some(batch) = rows.take() else {
            return;
        };
        let n = batch.num_rows() as u64;
        let mut r = self.report.lock();
        match self.sink.push(rows.name, batch) {
            Ok(()) => *r.rows.entry(rows.name.to_string()).or_default() += n,
            Err(_) => r.sink_errors += 1,
        }
    }
}

fn status_row(rows: &mut TableRows, connector: &str, status: i64, error: &str, context: &str) {
    let ts = now_ns();
    rows.push_with(|name| {
        Some(match name {
            "time_" => Value::I64(ts),
            "source_connector" => Value::Str(connector.to_string()),
            "status" => Value::I64(status),
            "error" => Value::Str(error.to_string()),
            "context" => Value::Str(context.to_string()),
            _ => return None,
        })
    });
}

impl Collectors {
    /// Starts the collectors. The eBPF tracer is tried first; when it cannot
    /// run (no privileges, no BPF), `ebpf_error` says why and the /proc
    /// collectors run alone.
    pub fn start(cfg: Config, sink: Arc<dyn Sink>) -> Collectors {
        let stop = Arc::new(AtomicBool::new(false));
        let host = Arc::new(Mutex::new(HostMetadata::for_this_host(cfg.asid)));
        host.lock().observe_all();
        let report = Arc::new(Mutex::new(Report::default()));
        let out = Arc::new(Out {
            sink,
            report: report.clone(),
        });
        let mut errors = TableRows::new("stirling_error");
        let mut threads = Vec::new();

        let tracer = if cfg.ebpf {
            Tracer::load(cfg.capture_bytes).map_err(|e| e.to_string())
        } else {
            Err("the eBPF socket tracer was switched off".to_string())
        };
        let ebpf_error = tracer.as_ref().err().cloned();
        match tracer {
            Ok(tracer) => {
                let mut probes = TableRows::new("probe_status");
                let ts = now_ns();
                for p in &tracer.probes {
                    probes.push_with(|name| {
                        Some(match name {
                            "time_" => Value::I64(ts),
                            "source_connector" => Value::Str("socket_tracer".into()),
                            "tracepoint" => Value::Str(p.tracepoint.clone()),
                            "status" => Value::I64(i64::from(p.error.is_some())),
                            "error" => Value::Str(p.error.clone().unwrap_or_default()),
                            "info" => Value::Str(format!("program {}", p.program)),
                            _ => return None,
                        })
                    });
                }
                out.flush(&mut probes);
                status_row(
                    &mut errors,
                    "socket_tracer",
                    0,
                    "",
                    "eBPF socket tracer running",
                );
                let (stop2, host2, out2, cfg2) =
                    (stop.clone(), host.clone(), out.clone(), cfg.clone());
                threads.push(
                    std::thread::Builder::new()
                        .name("pxl-socket-tracer".into())
                        .spawn(move || trace_loop(tracer, cfg2, stop2, host2, out2))
                        .expect("spawn the tracer thread"),
                );
            }
            Err(e) => status_row(
                &mut errors,
                "socket_tracer",
                1,
                &e,
                "eBPF socket tracer not running",
            ),
        }
        status_row(&mut errors, "proc_stats", 0, "", "/proc collectors running");
        out.flush(&mut errors);

        let (stop2, host2, out2) = (stop.clone(), host.clone(), out.clone());
        let interval = cfg.sample_interval;
        let asid = cfg.asid;
        threads.push(
            std::thread::Builder::new()
                .name("pxl-proc-sampler".into())
                .spawn(move || proc_loop(asid, interval, stop2, host2, out2))
                .expect("spawn the sampler thread"),
        );
        Collectors {
            stop,
            threads,
            host,
            report,
            ebpf_error,
        }
    }

    /// The host metadata learnt so far.
    pub fn metadata(&self) -> Metadata {
        self.host.lock().snapshot()
    }

    /// Stops the collectors, pushes what they hold and detaches the probes.
    pub fn stop(mut self) -> Report {
        self.shutdown();
        self.report.lock().clone()
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Collectors {
    fn drop(&mut self) {
        self.shutdown();
    }
}

struct TracerKernel<'a>(&'a mut Tracer);

impl Kernel for TracerKernel<'_> {
    fn disable(&mut self, tgid: u32, fd: i32) {
        self.0.disable(tgid, fd);
    }
    fn forget(&mut self, tgid: u32, fd: i32) {
        self.0.forget(tgid, fd);
    }
}

/// Events the tracer thread handles between two yields of the CPU.
const YIELD_EVERY: usize = 32;

fn trace_loop(
    mut tracer: Tracer,
    cfg: Config,
    stop: Arc<AtomicBool>,
    host: Arc<Mutex<HostMetadata>>,
    out: Arc<Out>,
) {
    let mut tracker = Tracker::new(cfg.tracker);
    let mut errors = TableRows::new("stirling_error");
    // Sockets already open when tracing started.
    {
        let mut h = host.lock();
        for pid in procfs::list_pids() {
            let socks = procfs::tcp_sockets_of(pid);
            for (fd, inode) in procfs::socket_inodes(pid) {
                if let Some(s) = socks.get(&inode)
                    && s.state == 1
                {
                    tracer.track(pid, fd);
                    tracker.adopt(&mut h, pid, fd, *s);
                }
            }
        }
    }
    let mut last_flush = Instant::now();
    let mut last_sample = Instant::now();
    let mut lost_seen = (0u64, 0u64);
    let mut decode_errors_seen = 0;
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        // Wait for a wake-up (the kernel wakes us only when a lot is
        // waiting) or 10 ms, then drain everything there is.
        {
            use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
            let mut fds = [PollFd::new(tracer.events.as_fd(), PollFlags::POLLIN)];
            let _ = poll(&mut fds, PollTimeout::from(10u16));
        }
        let mut drained = Vec::new();
        let full;
        {
            while let Some(item) = tracer.events.next() {
                drained.push(bpf::decode(&item));
                if drained.len() >= 4096 {
                    break;
                }
            }
            full = drained.len() >= 4096;
        }
        // Work in short pieces and give the CPU back between them: a
        // runnable thread of the traced applications then waits at most one
        // piece (tens of µs) for this thread, not a whole drain.
        let mut pending = drained.into_iter().peekable();
        while pending.peek().is_some() {
            {
                let mut h = host.lock();
                let mut k = TracerKernel(&mut tracer);
                for ev in pending.by_ref().take(YIELD_EVERY) {
                    match ev {
                        Ok(ev) => tracker.handle(ev, &mut h, &mut k),
                        Err(_) => tracker.stats.decode_errors += 1,
                    }
                }
            }
            std::thread::yield_now();
        }
        let sample = stopping || last_sample.elapsed() >= cfg.sample_interval;
        if sample {
            last_sample = Instant::now();
            tracker.resync_clock();
            tracker.enforce_caps(now_ns() as u64);
            tracker.sample_conn_stats(now_ns());
            let lost = tracer.lost();
            if lost.0 > lost_seen.0 {
                status_row(
                    &mut errors,
                    "socket_tracer",
                    1,
                    &format!(
                        "ring buffer full: lost {} events ({} bytes)",
                        lost.0 - lost_seen.0,
                        lost.1 - lost_seen.1
                    ),
                    "events",
                );
                lost_seen = lost;
            }
            if tracker.stats.decode_errors > decode_errors_seen {
                status_row(
                    &mut errors,
                    "socket_tracer",
                    1,
                    &format!(
                        "{} kernel events could not be decoded",
                        tracker.stats.decode_errors - decode_errors_seen
                    ),
                    "events",
                );
                decode_errors_seen = tracker.stats.decode_errors;
            }
        }
        if stopping || last_flush.elapsed() >= cfg.flush_interval {
            last_flush = Instant::now();
            out.flush(&mut tracker.http_events);
            out.flush(&mut tracker.conn_stats);
            out.flush(&mut tracker.proc_exit_events);
            out.flush(&mut errors);
            let mut r = out.report.lock();
            r.tracker = tracker.stats;
            r.lost_events = lost_seen.0;
            r.lost_bytes = lost_seen.1;
        }
        // On stop, drain what the kernel still holds before leaving.
        if stopping && !full {
            break;
        }
    }
    // Dropping the tracer detaches every probe.
    drop(tracer);
}

fn proc_loop(
    asid: u32,
    interval: Duration,
    stop: Arc<AtomicBool>,
    host: Arc<Mutex<HostMetadata>>,
    out: Arc<Out>,
) {
    let mut process_stats = TableRows::new("process_stats");
    let mut network_stats = TableRows::new("network_stats");
    let mut next = Instant::now();
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        if stopping || Instant::now() >= next {
            next = Instant::now() + interval;
            let ts = now_ns();
            let samples = procfs::sample_processes(asid);
            {
                let mut h = host.lock();
                for s in &samples {
                    h.observe_process(s.pid);
                }
                h.refresh();
            }
            for s in samples {
                process_stats.push_with(|name| {
                    Some(match name {
                        "time_" => Value::I64(ts),
                        "upid" => Value::U128(s.upid),
                        "major_faults" => Value::I64(s.major_faults),
                        "minor_faults" => Value::I64(s.minor_faults),
                        "cpu_utime_ns" => Value::I64(s.cpu_utime_ns),
                        "cpu_ktime_ns" => Value::I64(s.cpu_ktime_ns),
                        "num_threads" => Value::I64(s.num_threads),
                        "vsize_bytes" => Value::I64(s.vsize_bytes),
                        "rss_bytes" => Value::I64(s.rss_bytes),
                        "rchar_bytes" => Value::I64(s.rchar_bytes),
                        "wchar_bytes" => Value::I64(s.wchar_bytes),
                        "read_bytes" => Value::I64(s.read_bytes),
                        "write_bytes" => Value::I64(s.write_bytes),
                        _ => return None,
                    })
                });
            }
            sample_network(&host, ts, &mut network_stats);
            out.flush(&mut process_stats);
            out.flush(&mut network_stats);
        }
        if stopping {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One `network_stats` row per network namespace: the host's own namespace
/// has an empty `pod_id`; a container's namespace carries the pod id of its
/// lowest-numbered process. Loopback is left out.
fn sample_network(host: &Mutex<HostMetadata>, ts: i64, rows: &mut TableRows) {
    let own = procfs::net_ns_inode(std::process::id());
    let mut seen: HashMap<u64, u32> = HashMap::new();
    for (i, pid) in procfs::list_pids().into_iter().enumerate() {
        if i % 16 == 15 {
            std::thread::yield_now();
        }
        if let Some(ns) = procfs::net_ns_inode(pid) {
            seen.entry(ns).or_insert(pid);
        }
    }
    let md = host.lock().snapshot();
    for (ns, pid) in seen {
        let devs = if Some(ns) == own {
            procfs::read_net_dev()
        } else {
            match procfs::read_net_dev_of(pid) {
                Some(d) => d,
                None => continue,
            }
        };
        let pod_id = if Some(ns) == own {
            String::new()
        } else {
            md.processes
                .iter()
                .find(|p| p.pid == pid)
                .and_then(|p| md.containers.iter().find(|c| c.id == p.container_id))
                .map(|c| c.pod_id.clone())
                .unwrap_or_default()
        };
        let mut sum = [0u64; 8];
        for d in devs.iter().filter(|d| d.iface != "lo") {
            let v = [
                d.rx_bytes,
                d.rx_packets,
                d.rx_errs,
                d.rx_drop,
                d.tx_bytes,
                d.tx_packets,
                d.tx_errs,
                d.tx_drop,
            ];
            for (s, x) in sum.iter_mut().zip(v) {
                *s = s.saturating_add(x);
            }
        }
        let v = |i: usize| Value::I64(i64::try_from(sum[i]).unwrap_or(i64::MAX));
        rows.push_with(|name| {
            Some(match name {
                "time_" => Value::I64(ts),
                "pod_id" => Value::Str(pod_id.clone()),
                "rx_bytes" => v(0),
                "rx_packets" => v(1),
                "rx_errors" => v(2),
                "rx_drops" => v(3),
                "tx_bytes" => v(4),
                "tx_packets" => v(5),
                "tx_errors" => v(6),
                "tx_drops" => v(7),
                _ => return None,
            })
        });
    }
}
