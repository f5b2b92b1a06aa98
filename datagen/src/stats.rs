//! Periodic tables: process_stats and jvm_stats (per process),
//! network_stats (per pod) and tcp_stats_events; the sampler they share
//! with conn_stats.
//! Each samples its keys every interval; counters start from the process
//! start (process_stats, jvm_stats, network_stats) or from the start of
//! tracing (conn_stats, tcp_stats_events) and only grow.

use crate::catalog::Runtime;
use crate::columns::{Cols, Str, i64s, interval, upids};
use crate::rng::Rng;
use crate::world::{ProcRole, SEC, World};
use crate::{Gen, Window};

/// Walks the sample slots of `keys` keys: every `interval` from the start
/// of the window, keys spread evenly inside the interval (so time ascends).
pub(crate) struct Sampler {
    keys: usize,
    interval: i64,
    start: i64,
    end: i64,
    tick: i64,
    key: usize,
}

impl Sampler {
    pub(crate) fn new(win: Window, keys: usize, target: usize) -> Self {
        Sampler {
            keys,
            interval: interval(target, keys, win.span),
            start: win.start(),
            end: win.end,
            tick: 0,
            key: 0,
        }
    }

    /// The next (time, key) slot.
    pub(crate) fn next(&mut self) -> Option<(i64, usize)> {
        if self.keys == 0 {
            return None;
        }
        if self.key == self.keys {
            self.key = 0;
            self.tick += 1;
        }
        let step = self.interval / (self.keys as i64 + 1);
        let t = self.start + self.tick * self.interval + (self.key as i64 + 1) * step;
        if t > self.end {
            return None;
        }
        self.key += 1;
        Some((t, self.key - 1))
    }
}

/// Load of the cluster at `t` relative to its mean (the request waves of
/// the event tables).
pub(crate) fn load(win: Window, t: i64) -> f64 {
    let x = win.frac(t);
    1.0 / (1.0 - 0.35 * (std::f64::consts::TAU * 3.0 * x).cos())
}

// ---------------------------------------------------------------- per process

/// The processes whose runtime reports jvm_stats.
pub(crate) fn jvm_procs(w: &World) -> Vec<usize> {
    (0..w.procs.len())
        .filter(|&p| w.procs[p].runtime == Runtime::Jvm && w.procs[p].role == ProcRole::Main)
        .collect()
}

/// How far a process that will be OOM-killed is into its leak (0..1); 0
/// for every other process.
fn leak(w: &World, win: Window, proc: usize, t: i64) -> f64 {
    let p = &w.procs[proc];
    if p.stop_ns == i64::MAX || p.role != ProcRole::Main {
        return 0.0;
    }
    let from = win.start().max(p.start_ns);
    ((t - from) as f64 / (p.stop_ns - from).max(1) as f64).clamp(0.0, 1.0)
}

/// Cumulative counters of one key and when they were last advanced.
#[derive(Clone, Default)]
struct Counters {
    proc: Option<usize>,
    last: i64,
    v: [f64; 8],
}

impl Counters {
    /// Advances the counters to `t` at the given rates (per second). The
    /// first call starts them at `since` (a process or pod start).
    fn advance(&mut self, key: usize, since: i64, t: i64, rates: &[f64; 8], rng: &mut Rng) {
        if self.proc != Some(key) {
            *self = Counters {
                proc: Some(key),
                last: since.min(t),
                v: [0.0; 8],
            };
        }
        let dt = (t - self.last) as f64 / SEC as f64;
        self.last = t;
        for (v, r) in self.v.iter_mut().zip(rates) {
            *v += r * dt * rng.jitter(1.0, 0.3);
        }
    }

    fn get(&self, i: usize) -> i64 {
        self.v[i] as i64
    }
}

/// A periodic table over a fixed list of keys with counter state.
struct Periodic<'w> {
    w: &'w World,
    win: Window,
    keys: Vec<usize>,
    state: Vec<Counters>,
    sampler: Sampler,
}

impl<'w> Periodic<'w> {
    fn new(w: &'w World, win: Window, keys: Vec<usize>, target: usize) -> Self {
        Periodic {
            w,
            win,
            state: vec![Counters::default(); keys.len()],
            sampler: Sampler::new(win, keys.len(), target),
            keys,
        }
    }

    /// The next sample of a process alive at its slot: (time, key index).
    fn next_proc(&mut self) -> Option<(i64, usize)> {
        loop {
            let (t, i) = self.sampler.next()?;
            if self.w.procs[self.keys[i]].alive(t) {
                return Some((t, i));
            }
        }
    }
}

pub(crate) struct ProcessStats<'w>(Periodic<'w>);

impl<'w> ProcessStats<'w> {
    pub(crate) fn new(w: &'w World, win: Window, target: usize) -> Self {
        ProcessStats(Periodic::new(w, win, w.sampled_procs(), target))
    }
}

impl Gen for ProcessStats<'_> {
    fn next(&mut self, rng: &mut Rng, max: usize) -> Option<Cols> {
        let g = &mut self.0;
        let mut time = Vec::new();
        let mut upid = Vec::new();
        let mut cols: [Vec<i64>; 11] = Default::default();
        while time.len() < max {
            let Some((t, i)) = g.next_proc() else {
                break;
            };
            let p = g.keys[i];
            let proc = &g.w.procs[p];
            let load = load(g.win, t);
            let db = proc.runtime == Runtime::Native;
            let cpu = proc.cpu * load * 1e9;
            let rates = [
                0.002,                               // major faults
                30.0 + 4e-7 * proc.rss,              // minor faults
                cpu * 0.78,                          // user time
                cpu * 0.22,                          // kernel time
                proc.cpu * 2e6 * load,               // rchar
                proc.cpu * 8e5 * load,               // wchar
                if db { 60e3 } else { 600.0 },       // read_bytes
                if db { 150e3 * load } else { 4e3 }, // write_bytes
            ];
            g.state[i].advance(p, proc.start_ns, t, &rates, rng);
            let c = &g.state[i];
            let leak = leak(g.w, g.win, p, t);
            let wobble = 1.0 + 0.04 * (t as f64 / (600.0 * SEC as f64) + p as f64).sin();
            let rss = proc.rss * wobble * (1.0 + 1.6 * leak * leak) * rng.jitter(1.0, 0.01);
            let vsize = match proc.runtime {
                Runtime::Go => 1.2e9 + rss,
                Runtime::Jvm => rss * 7.5,
                Runtime::Node => rss * 8.0,
                Runtime::Native => rss * 2.5,
                Runtime::Erlang => rss * 4.0,
                Runtime::Python => rss * 3.0,
            };
            time.push(t);
            upid.extend_from_slice(&proc.upid);
            let values = [
                c.get(0),
                c.get(1),
                c.get(2),
                c.get(3),
                proc.threads + rng.below(3) as i64,
                (vsize / 4096.0) as i64 * 4096,
                (rss / 4096.0) as i64 * 4096,
                c.get(4),
                c.get(5),
                c.get(6) / 4096 * 4096,
                c.get(7) / 4096 * 4096,
            ];
            for (col, v) in cols.iter_mut().zip(values) {
                col.push(v);
            }
        }
        if time.is_empty() {
            return None;
        }
        const NAMES: [&str; 11] = [
            "major_faults",
            "minor_faults",
            "cpu_utime_ns",
            "cpu_ktime_ns",
            "num_threads",
            "vsize_bytes",
            "rss_bytes",
            "rchar_bytes",
            "wchar_bytes",
            "read_bytes",
            "write_bytes",
        ];
        let mut out: Cols = vec![("time_", i64s(&mut time)), ("upid", upids(&mut upid))];
        out.extend(
            NAMES
                .iter()
                .zip(cols.iter_mut())
                .map(|(n, c)| (*n, i64s(c))),
        );
        Some(out)
    }
}

/// `-Xmx` of a Java command line, in bytes.
fn xmx(cmdline: &str) -> f64 {
    cmdline
        .split_whitespace()
        .find_map(|a| a.strip_prefix("-Xmx"))
        .and_then(|v| {
            let (num, unit) = v.split_at(v.len() - 1);
            let n: f64 = num.parse().ok()?;
            Some(match unit {
                "g" | "G" => n * 1_073_741_824.0,
                "m" | "M" => n * 1_048_576.0,
                _ => n,
            })
        })
        .unwrap_or(256.0 * 1_048_576.0)
}

pub(crate) struct JvmStats<'w>(Periodic<'w>);

impl<'w> JvmStats<'w> {
    pub(crate) fn new(w: &'w World, win: Window, target: usize) -> Self {
        JvmStats(Periodic::new(w, win, jvm_procs(w), target))
    }
}

impl Gen for JvmStats<'_> {
    fn next(&mut self, rng: &mut Rng, max: usize) -> Option<Cols> {
        let g = &mut self.0;
        let mut time = Vec::new();
        let mut upid = Vec::new();
        let mut cols: [Vec<i64>; 5] = Default::default();
        while time.len() < max {
            let Some((t, i)) = g.next_proc() else {
                break;
            };
            let p = g.keys[i];
            let proc = &g.w.procs[p];
            let spec = g.w.services[g.w.pods[proc.pod].svc].spec;
            let max_heap = xmx(spec.cmdline);
            let leak = leak(g.w, g.win, p, t);
            let load = load(g.win, t);
            // Young collections take ~0.4% of the time; full ones are rare
            // until the heap fills up.
            let full_rate = if leak > 0.6 { 0.05 * leak } else { 0.0002 };
            let mut rates = [0.0; 8];
            rates[0] = 4e6 * load;
            rates[1] = full_rate * 1e9;
            g.state[i].advance(p, proc.start_ns, t, &rates, rng);
            let c = &g.state[i];
            let total = max_heap * (0.55 + 0.45 * leak.max(0.3 * (p % 3) as f64 / 2.0));
            // A sawtooth: the young generation fills and is collected.
            let phase = ((t / SEC + p as i64 * 7) % 45) as f64 / 45.0;
            let floor = 0.25 + 0.7 * leak;
            let used = total * (floor + (0.92 - floor) * phase).min(0.98) * rng.jitter(1.0, 0.02);
            time.push(t);
            upid.extend_from_slice(&proc.upid);
            for (col, v) in cols.iter_mut().zip([
                c.get(0),
                c.get(1),
                used.min(total) as i64,
                total as i64,
                max_heap as i64,
            ]) {
                col.push(v);
            }
        }
        if time.is_empty() {
            return None;
        }
        let [a, b, d, e, f] = &mut cols;
        Some(vec![
            ("time_", i64s(&mut time)),
            ("upid", upids(&mut upid)),
            ("young_gc_time", i64s(a)),
            ("full_gc_time", i64s(b)),
            ("used_heap_size", i64s(d)),
            ("total_heap_size", i64s(e)),
            ("max_heap_size", i64s(f)),
        ])
    }
}

pub(crate) struct TcpStats<'w>(Periodic<'w>);

impl<'w> TcpStats<'w> {
    pub(crate) fn new(w: &'w World, win: Window, target: usize) -> Self {
        TcpStats(Periodic::new(w, win, w.sampled_procs(), target))
    }
}

impl Gen for TcpStats<'_> {
    fn next(&mut self, rng: &mut Rng, max: usize) -> Option<Cols> {
        let g = &mut self.0;
        let mut time = Vec::new();
        let mut upid = Vec::new();
        let mut cols: [Vec<i64>; 3] = Default::default();
        while time.len() < max {
            let Some((t, i)) = g.next_proc() else {
                break;
            };
            let p = g.keys[i];
            let proc = &g.w.procs[p];
            let bytes = proc.cpu * 3e6 * load(g.win, t);
            let mut rates = [0.0; 8];
            rates[0] = bytes * 1.3;
            rates[1] = bytes;
            rates[2] = 0.02 + bytes * 1e-8;
            // Counted from the start of tracing.
            g.state[i].advance(p, g.win.start().max(proc.start_ns), t, &rates, rng);
            let c = &g.state[i];
            time.push(t);
            upid.extend_from_slice(&proc.upid);
            for (col, v) in cols.iter_mut().zip([c.get(0), c.get(1), c.get(2)]) {
                col.push(v);
            }
        }
        if time.is_empty() {
            return None;
        }
        let [a, b, d] = &mut cols;
        Some(vec![
            ("time_", i64s(&mut time)),
            ("upid", upids(&mut upid)),
            ("tx", i64s(a)),
            ("rx", i64s(b)),
            ("retransmits", i64s(d)),
        ])
    }
}

// ---------------------------------------------------------------- per pod

pub(crate) struct NetworkStats<'w>(Periodic<'w>);

impl<'w> NetworkStats<'w> {
    pub(crate) fn new(w: &'w World, win: Window, target: usize) -> Self {
        NetworkStats(Periodic::new(w, win, (0..w.pods.len()).collect(), target))
    }
}

impl Gen for NetworkStats<'_> {
    fn next(&mut self, rng: &mut Rng, max: usize) -> Option<Cols> {
        let g = &mut self.0;
        let mut time = Vec::new();
        let mut pod_id = Str::new(0, 0);
        let mut cols: [Vec<i64>; 8] = Default::default();
        while time.len() < max {
            let Some((t, i)) = g.sampler.next() else {
                break;
            };
            let pod = &g.w.pods[g.keys[i]];
            let spec = g.w.services[pod.svc].spec;
            let since = g.w.procs[pod.main[0]].start_ns;
            let rx = 35e3 * (spec.cpu / 0.05) * load(g.win, t);
            let tx = rx * if spec.name == "frontend" { 2.4 } else { 1.5 };
            let rates = [rx, rx / 720.0, 0.0, 0.0005, tx, tx / 910.0, 0.0, 0.0002];
            g.state[i].advance(g.keys[i], since, t, &rates, rng);
            let c = &g.state[i];
            time.push(t);
            pod_id.push(&pod.id);
            for (j, col) in cols.iter_mut().enumerate() {
                col.push(c.get(j));
            }
        }
        if time.is_empty() {
            return None;
        }
        const NAMES: [&str; 8] = [
            "rx_bytes",
            "rx_packets",
            "rx_errors",
            "rx_drops",
            "tx_bytes",
            "tx_packets",
            "tx_errors",
            "tx_drops",
        ];
        let mut out: Cols = vec![("time_", i64s(&mut time)), ("pod_id", pod_id.finish())];
        out.extend(
            NAMES
                .iter()
                .zip(cols.iter_mut())
                .map(|(n, c)| (*n, i64s(c))),
        );
        Some(out)
    }
}
