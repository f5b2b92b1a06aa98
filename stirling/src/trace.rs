//! The socket tracer's user space: turns decoded kernel events into rows of
//! `http_events`, `conn_stats` and `proc_exit_events`.
//!
//! - One [`Conn`] per tracked socket (process, fd). Its protocol is inferred
//!   from the first captured bytes; connections that are not HTTP are
//!   disabled in the kernel (their data stops there, their bytes are still
//!   counted).
//! - The tracker has a hard cap on connections and on the bytes its parsers
//!   buffer; past either it evicts the connections idle longest and counts
//!   them.
//! - `conn_stats` is kept per (process, remote address, remote port, role),
//!   counted from the start of tracing, and emitted at every sample. An
//!   endpoint's counters are dropped once none of its connections has been
//!   tracked for [`RETIRE_AFTER_NS`] (a server sees a new remote port with
//!   every client connection, so keeping them all would grow without end); a
//!   later connection to it counts from zero again.

use crate::bpf::{Event, Head};
use crate::host::HostMetadata;
use crate::http::{HttpConfig, HttpConn, HttpRecord, looks_like_http};
use crate::tables::{TableRows, Value};
use crate::{Chunk, Direction, Role, procfs};
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

/// Limits of the tracker.
#[derive(Debug, Clone, Copy)]
pub struct TrackerConfig {
    pub http: HttpConfig,
    /// Connections tracked at most.
    pub max_conns: usize,
    /// Bytes all parsers together may buffer.
    pub max_buffered_bytes: usize,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            http: HttpConfig::default(),
            max_conns: 16_384,
            max_buffered_bytes: 64 << 20,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Proto {
    Unknown,
    Http,
    Other,
}

#[derive(Debug)]
struct Conn {
    upid: u128,
    role: Role,
    remote: Option<(IpAddr, u16)>,
    local: Option<SocketAddr>,
    /// `remote` and `local`'s addresses as rows show them.
    remote_text: String,
    local_text: String,
    proto: Proto,
    http: Option<HttpConn>,
    last_ns: u64,
    /// The local address was looked up again at the first data.
    local_retried: bool,
    /// Index of its endpoint's counters in `Tracker::counters`.
    stats: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct StatsKey {
    upid: u128,
    remote_addr: String,
    remote_port: i64,
    role: i64,
}

#[derive(Debug, Default, Clone)]
struct ConnCounters {
    family: i64,
    protocol: i64,
    open: i64,
    close: i64,
    sent: i64,
    recv: i64,
    dirty: bool,
    /// Tracked connections counting into these counters.
    live: u32,
    /// Sample time (ns) since which no connection has counted here.
    idle_since: Option<i64>,
    /// Dropped; the slot waits in `Tracker::free_counters` for reuse.
    retired: bool,
}

/// How long an endpoint's `conn_stats` counters outlive its last tracked
/// connection.
pub const RETIRE_AFTER_NS: i64 = 60_000_000_000;

/// What the tracker asks of the kernel side (implemented by the loaded
/// tracer; tests use a stand-in).
pub trait Kernel {
    /// Stop sending this connection's data.
    fn disable(&mut self, tgid: u32, fd: i32);
    /// Forget the connection (its process exited).
    fn forget(&mut self, tgid: u32, fd: i32);
}

/// Counters for the closing report.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TrackerStats {
    pub events: u64,
    pub http_records: u64,
    pub conns_opened: u64,
    pub conns_evicted: u64,
    pub disabled: u64,
    pub decode_errors: u64,
}

/// Connection tracking and row building for the socket tracer.
#[derive(Debug)]
pub struct Tracker {
    cfg: TrackerConfig,
    /// CLOCK_REALTIME − CLOCK_MONOTONIC, to put kernel times on the wall clock.
    mono_to_real: i64,
    ticks_ns: u64,
    conns: FxHashMap<(u32, i32), Conn>,
    /// `conn_stats` counters per endpoint. A slot keeps its index while any
    /// connection refers to it; retired slots are reused.
    counters: Vec<(StatsKey, ConnCounters)>,
    counter_index: FxHashMap<StatsKey, usize>,
    free_counters: Vec<usize>,
    /// The TCP table and the CLOCK_MONOTONIC time it was read.
    tcp_cache: (u64, HashMap<u64, procfs::TcpSock>),
    pub stats: TrackerStats,
    pub http_events: TableRows,
    pub conn_stats: TableRows,
    pub proc_exit_events: TableRows,
}

fn mono_now_ns() -> u64 {
    use nix::time::{ClockId, clock_gettime};
    clock_gettime(ClockId::CLOCK_MONOTONIC)
        .map_or(0, |t| (t.tv_sec() * 1_000_000_000 + t.tv_nsec()) as u64)
}

/// CLOCK_REALTIME − CLOCK_MONOTONIC in nanoseconds.
pub fn mono_to_real_offset() -> i64 {
    use nix::time::{ClockId, clock_gettime};
    let ns = |c| clock_gettime(c).map_or(0, |t| t.tv_sec() * 1_000_000_000 + t.tv_nsec());
    let m1 = ns(ClockId::CLOCK_MONOTONIC);
    let r = ns(ClockId::CLOCK_REALTIME);
    let m2 = ns(ClockId::CLOCK_MONOTONIC);
    r - (m1 + (m2 - m1) / 2)
}

fn family_of(remote: Option<(IpAddr, u16)>, local: Option<SocketAddr>) -> i64 {
    match remote.map(|r| r.0).or(local.map(|l| l.ip())) {
        Some(IpAddr::V4(_)) => 1,
        Some(IpAddr::V6(_)) => 2,
        None => 0,
    }
}

/// One `http_events` row, written straight into the column builders.
fn http_row(rows: &mut TableRows, conn: &Conn, r: HttpRecord) {
    let latency = r.resp_end_ns.saturating_sub(r.req_start_ns) as i64;
    let (mut json, mut joined) = (Vec::new(), String::new());
    let mut w = rows.row();
    w.i64("time_", r.resp_end_ns as i64)
        .u128("upid", conn.upid)
        .str("remote_addr", &conn.remote_text)
        .i64("remote_port", conn.remote.map_or(0, |a| a.1 as i64))
        .str("local_addr", &conn.local_text)
        .i64("local_port", conn.local.map_or(0, |a| a.port() as i64))
        .i64("trace_role", conn.role as i64)
        .bool("encrypted", false)
        .i64("major_version", r.major_version)
        .i64("minor_version", r.minor_version)
        .i64("content_type", r.content_type);
    headers_json(&r.req_headers, &mut json, &mut joined);
    w.str("req_headers", std::str::from_utf8(&json).unwrap_or("{}"))
        .str("req_method", &r.req_method)
        .str("req_path", &r.req_path)
        .str("req_body", &r.req_body)
        .i64("req_body_size", r.req_body_size);
    headers_json(&r.resp_headers, &mut json, &mut joined);
    w.str("resp_headers", std::str::from_utf8(&json).unwrap_or("{}"))
        .i64("resp_status", r.resp_status)
        .str("resp_message", &r.resp_message)
        .str("resp_body", &r.resp_body)
        .i64("resp_body_size", r.resp_body_size)
        .i64("latency", latency);
}

/// Headers as a JSON object into `out` (cleared first), keys in sorted
/// order; repeated headers are joined with `, `, as HTTP allows. Strings
/// are escaped by serde_json; `joined` is scratch space.
fn headers_json(h: &[(String, String)], out: &mut Vec<u8>, joined: &mut String) {
    out.clear();
    let mut order: Vec<usize> = (0..h.len()).collect();
    // Stable, so repeated headers keep their order.
    order.sort_by(|&a, &b| h[a].0.cmp(&h[b].0));
    out.push(b'{');
    let mut i = 0;
    while i < order.len() {
        let key = &h[order[i]].0;
        let same = order[i..].iter().take_while(|&&j| h[j].0 == *key).count();
        let value = if same == 1 {
            h[order[i]].1.as_str()
        } else {
            joined.clear();
            for (n, &j) in order[i..i + same].iter().enumerate() {
                if n > 0 {
                    joined.push_str(", ");
                }
                joined.push_str(&h[j].1);
            }
            joined.as_str()
        };
        if i > 0 {
            out.push(b',');
        }
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut *out, key);
        out.push(b':');
        let _ = serde_json::to_writer(&mut *out, value);
        i += same;
    }
    out.push(b'}');
}

/// The reference `headers_json` is checked against.
#[cfg(test)]
fn headers_json_serde(h: &[(String, String)]) -> String {
    let mut m = serde_json::Map::new();
    for (k, v) in h {
        match m.get_mut(k) {
            // Repeated headers are joined, as HTTP allows.
            Some(serde_json::Value::String(old)) => {
                old.push_str(", ");
                old.push_str(v);
            }
            _ => {
                m.insert(k.clone(), serde_json::Value::String(v.clone()));
            }
        }
    }
    serde_json::Value::Object(m).to_string()
}

impl Tracker {
    pub fn new(cfg: TrackerConfig) -> Self {
        Tracker {
            cfg,
            mono_to_real: mono_to_real_offset(),
            ticks_ns: 1_000_000_000 / procfs::clock_ticks_per_sec().max(1),
            conns: FxHashMap::default(),
            counters: Vec::new(),
            free_counters: Vec::new(),
            counter_index: FxHashMap::default(),
            tcp_cache: (0, HashMap::new()),
            stats: TrackerStats::default(),
            http_events: TableRows::new("http_events"),
            conn_stats: TableRows::new("conn_stats"),
            proc_exit_events: TableRows::new("proc_exit_events"),
        }
    }

    /// Re-reads the clock offset (the wall clock may be stepped).
    pub fn resync_clock(&mut self) {
        self.mono_to_real = mono_to_real_offset();
    }

    fn wall(&self, mono_ns: u64) -> u64 {
        (mono_ns as i64 + self.mono_to_real).max(0) as u64
    }

    /// The process's start time in clock ticks, as /proc/PID/stat shows it.
    pub fn start_ticks(&self, head: &Head) -> u64 {
        head.start_ns / self.ticks_ns
    }

    fn upid(&self, host: &HostMetadata, head: &Head) -> u128 {
        pxl_stdlib::runtime::upid(host.asid(), head.tgid, self.start_ticks(head))
    }

    pub fn conns(&self) -> usize {
        self.conns.len()
    }

    /// Local (and remote) address of a process's socket, from /proc.
    /// `event_mono_ns` is when the kernel saw the socket: a table read
    /// before then may not have it yet.
    fn socket_addrs(&mut self, tgid: u32, fd: i32, event_mono_ns: u64) -> Option<procfs::TcpSock> {
        let link = std::fs::read_link(format!("/proc/{tgid}/fd/{fd}"));
        let link = link.ok()?;
        let link = link.to_str()?;
        let inode: u64 = link
            .strip_prefix("socket:[")?
            .strip_suffix(']')?
            .parse()
            .ok()?;
        if let Some(s) = self.tcp_cache.1.get(&inode) {
            return Some(*s);
        }
        // Re-read the table on a miss only if it was read before the socket
        // appeared: a burst of new connections shares one read.
        if self.tcp_cache.0 <= event_mono_ns {
            self.tcp_cache = (mono_now_ns(), procfs::tcp_sockets_of(tgid));
        }
        self.tcp_cache.1.get(&inode).copied()
    }

    /// Tracks a socket found open in /proc when tracing started.
    pub fn adopt(&mut self, host: &mut HostMetadata, tgid: u32, fd: i32, sock: procfs::TcpSock) {
        let Some(upid) = host.observe_process(tgid) else {
            return;
        };
        let remote = Some((sock.remote.ip(), sock.remote.port()));
        self.insert_conn(
            tgid,
            fd,
            upid,
            Role::Unknown,
            remote,
            Some(sock.local),
            0,
            false,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn insert_conn(
        &mut self,
        tgid: u32,
        fd: i32,
        upid: u128,
        role: Role,
        remote: Option<(IpAddr, u16)>,
        local: Option<SocketAddr>,
        ts: u64,
        count_open: bool,
    ) {
        let remote_text = remote.map(|r| r.0.to_string()).unwrap_or_default();
        let key = StatsKey {
            upid,
            remote_addr: remote_text.clone(),
            remote_port: remote.map_or(0, |r| r.1 as i64),
            role: role as i64,
        };
        let stats = match self.counter_index.get(&key) {
            Some(&i) => i,
            None => {
                let slot = (key.clone(), ConnCounters::default());
                let i = match self.free_counters.pop() {
                    Some(i) => {
                        self.counters[i] = slot;
                        i
                    }
                    None => {
                        self.counters.push(slot);
                        self.counters.len() - 1
                    }
                };
                self.counter_index.insert(key, i);
                i
            }
        };
        let c = &mut self.counters[stats].1;
        c.live += 1;
        c.idle_since = None;
        c.family = family_of(remote, local);
        if count_open {
            c.open += 1;
            self.stats.conns_opened += 1;
        }
        c.dirty = true;
        let replaced = self.conns.insert(
            (tgid, fd),
            Conn {
                upid,
                role,
                remote,
                local,
                remote_text,
                local_text: local.map(|a| a.ip().to_string()).unwrap_or_default(),
                proto: Proto::Unknown,
                http: None,
                last_ns: ts,
                local_retried: false,
                stats,
            },
        );
        if let Some(old) = replaced {
            self.release_counters(old.stats);
        }
    }

    /// A connection stops counting into counters slot `i`.
    fn release_counters(&mut self, i: usize) {
        if let Some((_, c)) = self.counters.get_mut(i) {
            c.live = c.live.saturating_sub(1);
        }
    }

    /// Endpoints with `conn_stats` counters (for tests and the report).
    pub fn counter_endpoints(&self) -> usize {
        self.counter_index.len()
    }

    /// Handles one kernel event.
    pub fn handle(&mut self, ev: Event, host: &mut HostMetadata, kernel: &mut dyn Kernel) {
        self.stats.events += 1;
        match ev {
            Event::Open {
                head,
                role,
                remote,
                local,
            } => {
                let upid = host
                    .observe_process(head.tgid)
                    .unwrap_or_else(|| self.upid(host, &head));
                // The kernel gives both ends; /proc is the fallback.
                let sock = if local.is_none() {
                    self.socket_addrs(head.tgid, head.fd, head.mono_ns)
                } else {
                    None
                };
                let local = local
                    .map(|(ip, port)| SocketAddr::new(ip, port))
                    .or(sock.map(|s| s.local));
                let remote = remote
                    .filter(|r| r.1 != 0 || !r.0.is_unspecified())
                    .or(sock.map(|s| (s.remote.ip(), s.remote.port())));
                let role = if role == 1 {
                    Role::Client
                } else {
                    Role::Server
                };
                let ts = self.wall(head.mono_ns);
                if let Some(old) = self.conns.remove(&(head.tgid, head.fd)) {
                    // The fd was reused without us seeing its close.
                    self.finish(old, ts);
                }
                if self.conns.len() >= self.cfg.max_conns {
                    self.evict_oldest(ts);
                }
                self.insert_conn(head.tgid, head.fd, upid, role, remote, local, ts, true);
            }
            Event::Data {
                head,
                ingress,
                len,
                data,
            } => {
                let ts = self.wall(head.mono_ns);
                if !self.conns.contains_key(&(head.tgid, head.fd)) {
                    // A socket the kernel tracks but we evicted: stop its data.
                    kernel.disable(head.tgid, head.fd);
                    return;
                }
                let dir = if ingress {
                    Direction::Ingress
                } else {
                    Direction::Egress
                };
                let cfg = self.cfg.http;
                let retry = self
                    .conns
                    .get(&(head.tgid, head.fd))
                    .is_some_and(|c| c.local.is_none() && !c.local_retried);
                let sock = if retry {
                    self.socket_addrs(head.tgid, head.fd, head.mono_ns)
                } else {
                    None
                };
                let Some(conn) = self.conns.get_mut(&(head.tgid, head.fd)) else {
                    return;
                };
                conn.last_ns = ts;
                if retry {
                    conn.local_retried = true;
                    conn.local = sock.map(|s| s.local);
                    conn.local_text = conn.local.map(|a| a.ip().to_string()).unwrap_or_default();
                }
                if let Some((_, c)) = self.counters.get_mut(conn.stats) {
                    if ingress {
                        c.recv += len as i64;
                    } else {
                        c.sent += len as i64;
                    }
                    c.dirty = true;
                }
                if conn.proto == Proto::Unknown && !data.is_empty() {
                    if looks_like_http(&data).is_some() {
                        conn.proto = Proto::Http;
                        conn.http = Some(HttpConn::new(conn.role, cfg));
                        if let Some((_, c)) = self.counters.get_mut(conn.stats) {
                            c.protocol = 1;
                        }
                    } else {
                        conn.proto = Proto::Other;
                        self.stats.disabled += 1;
                        kernel.disable(head.tgid, head.fd);
                    }
                }
                let Some(http) = conn.http.as_mut() else {
                    return;
                };
                let chunk = Chunk {
                    ts_ns: ts,
                    len,
                    data,
                };
                let records = http.push(dir, &chunk);
                if conn.role == Role::Unknown {
                    conn.role = http.role();
                }
                for r in records {
                    self.stats.http_records += 1;
                    http_row(&mut self.http_events, conn, r);
                }
            }
            Event::Close { head, sent, recv } => {
                let ts = self.wall(head.mono_ns);
                if let Some(conn) = self.conns.remove(&(head.tgid, head.fd)) {
                    if let Some((_, c)) = self.counters.get_mut(conn.stats) {
                        c.sent += sent as i64;
                        c.recv += recv as i64;
                    }
                    self.finish(conn, ts);
                }
            }
            Event::Exec { head, comm } => {
                host.observe_exec(head.tgid, self.start_ticks(&head), &comm);
            }
            Event::Exit { head, status, comm } => {
                let ts = self.wall(head.mono_ns);
                let ticks = self.start_ticks(&head);
                let exit_code = ((status >> 8) & 0xff) as i64;
                let signal = (status & 0x7f) as i64;
                host.observe_exit(head.tgid, ticks, exit_code, ts as i64);
                if exit_code != 0 || signal != 0 {
                    let upid = pxl_stdlib::runtime::upid(host.asid(), head.tgid, ticks);
                    self.proc_exit_events.push_with(|name| {
                        Some(match name {
                            "time_" => Value::I64(ts as i64),
                            "upid" => Value::U128(upid),
                            "exit_code" => Value::I64(exit_code),
                            "signal" => Value::I64(signal),
                            "comm" => Value::Str(comm.clone()),
                            _ => return None,
                        })
                    });
                }
                // Its sockets closed without close(2) calls.
                let fds: Vec<_> = self
                    .conns
                    .keys()
                    .filter(|k| k.0 == head.tgid)
                    .copied()
                    .collect();
                for key in fds {
                    if let Some(conn) = self.conns.remove(&key) {
                        kernel.forget(key.0, key.1);
                        self.finish(conn, ts);
                    }
                }
            }
        }
    }

    fn buffered(&self) -> usize {
        self.conns
            .values()
            .filter_map(|c| c.http.as_ref())
            .map(|h| h.buffered_bytes(Direction::Egress) + h.buffered_bytes(Direction::Ingress))
            .sum()
    }

    /// Enforces both caps; called at every sample (the byte total is a
    /// scan over all connections, too costly per event; between samples a
    /// connection's parsers are bounded by their own per-direction limit).
    pub fn enforce_caps(&mut self, ts: u64) {
        while self.conns.len() >= self.cfg.max_conns
            || (!self.conns.is_empty() && self.buffered() > self.cfg.max_buffered_bytes)
        {
            self.evict_oldest(ts);
        }
    }

    /// Evicts the eighth of the connections idle longest (at least one), so
    /// that the sort is rare.
    fn evict_oldest(&mut self, ts: u64) {
        let mut by_age: Vec<_> = self.conns.iter().map(|(k, c)| (c.last_ns, *k)).collect();
        by_age.sort_unstable();
        let n = (self.conns.len() / 8).max(1);
        for (_, key) in by_age.into_iter().take(n) {
            if let Some(conn) = self.conns.remove(&key) {
                self.stats.conns_evicted += 1;
                self.finish(conn, ts);
            }
        }
    }

    fn finish(&mut self, mut conn: Conn, ts: u64) {
        if let Some((_, c)) = self.counters.get_mut(conn.stats) {
            c.close += 1;
            c.dirty = true;
        }
        self.release_counters(conn.stats);
        if let Some(mut http) = conn.http.take() {
            let records = http.close(ts);
            for r in records {
                self.stats.http_records += 1;
                http_row(&mut self.http_events, &conn, r);
            }
        }
    }

    /// Appends a `conn_stats` row for every endpoint that saw activity since
    /// the last sample or still has open connections, and retires counters
    /// whose connections have all been gone for [`RETIRE_AFTER_NS`].
    pub fn sample_conn_stats(&mut self, now_ns: i64) {
        for (i, (k, c)) in self.counters.iter_mut().enumerate() {
            if c.retired {
                continue;
            }
            let active = c.open - c.close;
            if c.live == 0 && !c.dirty {
                let since = *c.idle_since.get_or_insert(now_ns);
                if now_ns - since >= RETIRE_AFTER_NS {
                    c.retired = true;
                    self.counter_index.remove(k);
                    self.free_counters.push(i);
                    continue;
                }
            }
            if !c.dirty && active <= 0 {
                continue;
            }
            c.dirty = false;
            let c = c.clone();
            self.conn_stats.push_with(|name| {
                Some(match name {
                    "time_" => Value::I64(now_ns),
                    "upid" => Value::U128(k.upid),
                    "remote_addr" => Value::Str(k.remote_addr.clone()),
                    "remote_port" => Value::I64(k.remote_port),
                    "trace_role" => Value::I64(k.role),
                    "addr_family" => Value::I64(c.family),
                    "protocol" => Value::I64(c.protocol),
                    "ssl" => Value::Bool(false),
                    "conn_open" => Value::I64(c.open),
                    "conn_close" => Value::I64(c.close),
                    "conn_active" => Value::I64(active.max(0)),
                    "bytes_sent" => Value::I64(c.sent),
                    "bytes_recv" => Value::I64(c.recv),
                    _ => return None,
                })
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_json_writes_what_serde_json_writes() {
        let h = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let cases = [
            h(&[]),
            h(&[("Host", "a")]),
            h(&[("b", "1"), ("A", "2"), ("b", "3"), ("a", "4"), ("b", "5")]),
            h(&[
                ("q\"uote", "back\\slash"),
                ("ctl", "\u{1}\u{1f}\t\n\r\u{8}\u{c}\u{7f}"),
            ]),
            h(&[("ünï", "cødé ✓"), ("", "")]),
        ];
        let (mut out, mut joined) = (b"stale".to_vec(), String::from("stale"));
        for c in &cases {
            headers_json(c, &mut out, &mut joined);
            let out = std::str::from_utf8(&out).unwrap();
            assert_eq!(out, headers_json_serde(c), "{c:?}");
            let _: serde_json::Value = serde_json::from_str(out).unwrap();
        }
    }
    use std::os::fd::AsRawFd;

    #[test]
    fn finds_local_address_of_accepted_and_connected_sockets() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let c = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (a, _) = l.accept().unwrap();
        let mut t = Tracker::new(TrackerConfig::default());
        let me = std::process::id();
        let s = t
            .socket_addrs(me, a.as_raw_fd(), mono_now_ns())
            .expect("accepted socket found");
        assert_eq!(s.local.port(), port);
        let s = t
            .socket_addrs(me, c.as_raw_fd(), mono_now_ns())
            .expect("connected socket found");
        assert_eq!(s.remote.port(), port);
    }

    struct NoKernel;
    impl Kernel for NoKernel {
        fn disable(&mut self, _: u32, _: i32) {}
        fn forget(&mut self, _: u32, _: i32) {}
    }

    #[test]
    fn connection_cap_evicts_the_idle_longest_and_counts_them() {
        let mut t = Tracker::new(TrackerConfig {
            max_conns: 8,
            ..TrackerConfig::default()
        });
        let mut host = HostMetadata::new(1, "h".into());
        let me = std::process::id();
        for fd in 0..20 {
            let head = Head {
                mono_ns: 1000 + fd as u64,
                start_ns: 0,
                tgid: me,
                pid: me,
                fd,
            };
            let remote = Some((IpAddr::from([10, 0, 0, 1]), 80));
            let local = Some((IpAddr::from([10, 0, 0, 2]), 5000 + fd as u16));
            let ev = Event::Open {
                head,
                role: 1,
                remote,
                local,
            };
            t.handle(ev, &mut host, &mut NoKernel);
            assert!(t.conns() <= 8, "{} connections tracked", t.conns());
        }
        assert!(t.stats.conns_evicted >= 12);
        // The newest connection survived.
        assert!(t.conns.contains_key(&(me, 19)));
        assert!(!t.conns.contains_key(&(me, 0)));
        t.enforce_caps(0);
        assert!(t.conns() < 8);
    }

    #[test]
    fn conn_stats_counters_of_closed_endpoints_are_retired_and_reused() {
        let mut t = Tracker::new(TrackerConfig::default());
        let mut host = HostMetadata::new(1, "h".into());
        let me = std::process::id();
        let head = |fd: i32| Head {
            mono_ns: 1000,
            start_ns: 0,
            tgid: me,
            pid: me,
            fd,
        };
        // A server accepts 100 clients, each from its own port; 99 close.
        let accept = |t: &mut Tracker, host: &mut HostMetadata, fd: i32, port: u16| {
            let ev = Event::Open {
                head: head(fd),
                role: 2,
                remote: Some((IpAddr::from([10, 0, 0, 1]), port)),
                local: Some((IpAddr::from([10, 0, 0, 2]), 80)),
            };
            t.handle(ev, host, &mut NoKernel);
        };
        for fd in 0..100 {
            accept(&mut t, &mut host, fd, 40000 + fd as u16);
            if fd != 7 {
                let ev = Event::Close {
                    head: head(fd),
                    sent: 0,
                    recv: 0,
                };
                t.handle(ev, &mut host, &mut NoKernel);
            }
        }
        assert_eq!(t.counter_endpoints(), 100);
        let rows = |t: &Tracker| t.conn_stats.len();
        let s = 1_000_000_000i64;
        t.sample_conn_stats(10 * s);
        assert_eq!(
            rows(&t),
            100,
            "every endpoint that saw activity is reported"
        );
        t.sample_conn_stats(11 * s);
        assert_eq!(rows(&t), 101, "then only the one still open");
        t.sample_conn_stats(11 * s + RETIRE_AFTER_NS - 1);
        assert_eq!(
            t.counter_endpoints(),
            100,
            "kept until the grace period ends"
        );
        t.sample_conn_stats(11 * s + RETIRE_AFTER_NS);
        assert_eq!(
            t.counter_endpoints(),
            1,
            "only the open connection's counters stay"
        );
        assert!(t.counter_index.values().all(|&i| t.counters[i].1.live == 1));
        // New endpoints take the retired slots instead of growing the table.
        let slots = t.counters.len();
        for fd in 100..150 {
            accept(&mut t, &mut host, fd, 50000 + fd as u16);
        }
        assert_eq!(t.counters.len(), slots);
        assert_eq!(t.counter_endpoints(), 51);
        let before = rows(&t);
        t.sample_conn_stats(200 * s);
        assert_eq!(
            rows(&t) - before,
            51,
            "reused slots report their new endpoints"
        );
    }
}
