//! Pure-Rust readers of the /proc files the host collectors need.
//!
//! Processes come and go while we read: every reader treats a missing file,
//! a permission error or a malformed line as "not there" (`None`, an empty
//! list, a skipped row) and never panics. Process-level readers take a
//! process (thread-group) id; `/proc/net/*` files describe the network
//! namespace of the reader, `/proc/PID/net/*` that of process `PID`.
//!
//! Addresses in `/proc/net/tcp{,6}` and `/proc/net/route` are printed as
//! hex 32-bit words in host byte order; the parsers here assume they run on
//! the machine that wrote the file.

use nix::unistd::{SysconfVar, sysconf};
use pxl_stdlib::runtime::upid;
use std::collections::HashMap;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::OnceLock;

/// TCP state number of a listening socket in `/proc/net/tcp` (`0A`).
pub const TCP_LISTEN: u8 = 0x0A;
/// TCP state number of an established connection in `/proc/net/tcp` (`01`).
pub const TCP_ESTABLISHED: u8 = 0x01;

const NS_PER_SEC: u128 = 1_000_000_000;

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, the unit of the times
/// in `/proc/PID/stat`); 100 if the system does not say.
pub fn clock_ticks_per_sec() -> u64 {
    static HZ: OnceLock<u64> = OnceLock::new();
    *HZ.get_or_init(|| match sysconf(SysconfVar::CLK_TCK) {
        Ok(Some(v)) if v > 0 => u64::try_from(v).unwrap_or(100),
        _ => 100,
    })
}

/// Bytes per memory page (the unit of `rss` in `/proc/PID/stat`); 4096 if
/// the system does not say.
pub fn page_size() -> u64 {
    static PAGE: OnceLock<u64> = OnceLock::new();
    *PAGE.get_or_init(|| match sysconf(SysconfVar::PAGE_SIZE) {
        Ok(Some(v)) if v > 0 => u64::try_from(v).unwrap_or(4096),
        _ => 4096,
    })
}

/// Clock ticks as nanoseconds (saturating).
pub fn ticks_to_ns(ticks: u64) -> u64 {
    let ns = u128::from(ticks) * NS_PER_SEC / u128::from(clock_ticks_per_sec());
    u64::try_from(ns).unwrap_or(u64::MAX)
}

fn read_text(path: &str) -> Option<String> {
    let bytes = fs::read(path).ok()?;
    Some(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// The fields of `/proc/PID/stat` the collectors use.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcStat {
    pub pid: u32,
    /// Command name (at most 15 bytes; may contain spaces and parentheses).
    pub comm: String,
    /// State letter: `R`, `S`, `D`, `Z` (zombie), `T`, `I`, ...
    pub state: char,
    pub ppid: u32,
    pub minflt: u64,
    pub majflt: u64,
    /// User-mode CPU time, in clock ticks.
    pub utime: u64,
    /// Kernel-mode CPU time, in clock ticks.
    pub stime: u64,
    pub num_threads: u64,
    /// Start time in clock ticks since boot (field 22): the UPID start time.
    pub starttime: u64,
    /// Virtual memory size in bytes (0 for kernel threads).
    pub vsize: u64,
    /// Resident set size in pages.
    pub rss: u64,
}

impl ProcStat {
    /// Parses the text of `/proc/PID/stat`. The command name is everything
    /// between the first `(` and the LAST `)`, so names with spaces and
    /// parentheses parse; `None` if the line is truncated or malformed.
    pub fn parse(text: &str) -> Option<ProcStat> {
        let open = text.find('(')?;
        let close = text.rfind(')')?;
        if close < open {
            return None;
        }
        let pid = text[..open].trim().parse().ok()?;
        let comm = text[open + 1..close].to_string();
        // rest[0] is field 3 (state); field N is rest[N - 3].
        let rest: Vec<&str> = text[close + 1..].split_ascii_whitespace().collect();
        if rest.len() < 22 {
            return None;
        }
        let unsigned = |i: usize| rest[i].parse::<u64>().ok();
        // Fields printed as signed (%d / %ld): clamp negatives to 0.
        let signed = |i: usize| {
            rest[i]
                .parse::<i64>()
                .ok()
                .map(|v| u64::try_from(v).unwrap_or(0))
        };
        Some(ProcStat {
            pid,
            comm,
            state: rest[0].chars().next()?,
            ppid: u32::try_from(signed(1)?).ok()?,
            minflt: unsigned(7)?,
            majflt: unsigned(9)?,
            utime: unsigned(11)?,
            stime: unsigned(12)?,
            num_threads: signed(17)?,
            starttime: unsigned(19)?,
            vsize: unsigned(20)?,
            rss: signed(21)?,
        })
    }
}

/// I/O counters from `/proc/PID/io` (bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProcIo {
    pub rchar: u64,
    pub wchar: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
}

impl ProcIo {
    /// Parses the text of `/proc/PID/io`; `None` if none of the four
    /// counters is there. Missing counters are 0.
    pub fn parse(text: &str) -> Option<ProcIo> {
        let mut io = ProcIo::default();
        let mut found = false;
        for line in text.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let Ok(value) = value.trim().parse::<u64>() else {
                continue;
            };
            let slot = match key.trim() {
                "rchar" => &mut io.rchar,
                "wchar" => &mut io.wchar,
                "read_bytes" => &mut io.read_bytes,
                "write_bytes" => &mut io.write_bytes,
                _ => continue,
            };
            *slot = value;
            found = true;
        }
        found.then_some(io)
    }
}

/// One interface row of `/proc/net/dev`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetDev {
    pub iface: String,
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errs: u64,
    pub rx_drop: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errs: u64,
    pub tx_drop: u64,
}

impl NetDev {
    /// Parses the text of `/proc/net/dev`: the two header lines and
    /// malformed rows are skipped.
    pub fn parse_all(text: &str) -> Vec<NetDev> {
        text.lines().filter_map(NetDev::parse_line).collect()
    }

    fn parse_line(line: &str) -> Option<NetDev> {
        // Interface names cannot contain ':' (dev_valid_name), so the first
        // one ends the name; old kernels print no space after it.
        let (iface, counters) = line.split_once(':')?;
        let iface = iface.trim();
        if iface.is_empty() || iface.contains('|') {
            return None;
        }
        let v: Vec<u64> = counters
            .split_ascii_whitespace()
            .map(|s| s.parse::<u64>().ok())
            .collect::<Option<_>>()?;
        if v.len() < 16 {
            return None;
        }
        // Receive: bytes packets errs drop fifo frame compressed multicast;
        // transmit: bytes packets errs drop fifo colls carrier compressed.
        Some(NetDev {
            iface: iface.to_string(),
            rx_bytes: v[0],
            rx_packets: v[1],
            rx_errs: v[2],
            rx_drop: v[3],
            tx_bytes: v[8],
            tx_packets: v[9],
            tx_errs: v[10],
            tx_drop: v[11],
        })
    }
}

/// Interface counters of the reader's network namespace (`/proc/net/dev`).
pub fn read_net_dev() -> Vec<NetDev> {
    read_text("/proc/net/dev")
        .map(|t| NetDev::parse_all(&t))
        .unwrap_or_default()
}

/// Interface counters of the network namespace of process `pid`
/// (`/proc/PID/net/dev`); `None` if the process is gone.
pub fn read_net_dev_of(pid: u32) -> Option<Vec<NetDev>> {
    read_text(&format!("/proc/{pid}/net/dev")).map(|t| NetDev::parse_all(&t))
}

/// Inode of the network namespace of process `pid` (`/proc/PID/ns/net`,
/// `net:[N]`): processes with equal inodes share interfaces and sockets.
pub fn net_ns_inode(pid: u32) -> Option<u64> {
    let link = fs::read_link(format!("/proc/{pid}/ns/net")).ok()?;
    bracketed_inode(link.to_str()?, "net:[")
}

fn bracketed_inode(link: &str, prefix: &str) -> Option<u64> {
    link.strip_prefix(prefix)?.strip_suffix(']')?.parse().ok()
}

/// Ids of all processes (thread groups) now in /proc, ascending.
pub fn list_pids() -> Vec<u32> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut pids: Vec<u32> = dir
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    pids
}

/// `/proc/PID/stat`; `None` if the process is gone or the text is odd.
pub fn read_stat(pid: u32) -> Option<ProcStat> {
    ProcStat::parse(&read_text(&format!("/proc/{pid}/stat"))?)
}

/// `/proc/PID/io`; `None` if gone or unreadable (it needs ptrace access to
/// the process, i.e. the same user or CAP_SYS_PTRACE).
pub fn read_io(pid: u32) -> Option<ProcIo> {
    ProcIo::parse(&read_text(&format!("/proc/{pid}/io"))?)
}

/// `/proc/PID/comm` without its newline.
pub fn read_comm(pid: u32) -> Option<String> {
    let text = read_text(&format!("/proc/{pid}/comm"))?;
    Some(text.strip_suffix('\n').unwrap_or(&text).to_string())
}

/// The command line: the NUL-separated arguments of `/proc/PID/cmdline`
/// joined by spaces. Empty for kernel threads and zombies; `None` if gone.
pub fn read_cmdline(pid: u32) -> Option<String> {
    let bytes = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(join_cmdline(&bytes))
}

/// NUL-separated arguments joined by spaces (trailing NULs dropped).
pub fn join_cmdline(bytes: &[u8]) -> String {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let joined: Vec<u8> = bytes[..end]
        .iter()
        .map(|&b| if b == 0 { b' ' } else { b })
        .collect();
    String::from_utf8_lossy(&joined).into_owned()
}

/// The container id in `/proc/PID/cgroup`, if the process runs in a
/// container; `None` if it does not or is gone.
pub fn read_cgroup(pid: u32) -> Option<String> {
    parse_cgroup_container_id(&read_text(&format!("/proc/{pid}/cgroup"))?)
}

/// The first 64-hex-digit container id in the cgroup paths of a
/// `/proc/PID/cgroup` text, lower-cased. Recognises the cgroupfs style
/// (`/docker/<id>`, `/kubepods/burstable/pod<uid>/<id>`), systemd scopes
/// (`docker-<id>.scope`, `cri-containerd-<id>.scope`, `crio-<id>.scope`,
/// `libpod-<id>.scope`) and containerd's `...slice:cri-containerd:<id>`.
/// Conmon scopes (`crio-conmon-<id>.scope`) are the runtime's monitor, not
/// the container, and are skipped.
pub fn parse_cgroup_container_id(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|line| line.splitn(3, ':').nth(2))
        .find_map(container_id_in_path)
}

fn container_id_in_path(path: &str) -> Option<String> {
    path.rsplit('/')
        .filter(|comp| !comp.contains("conmon"))
        .find_map(|comp| {
            let comp = comp.strip_suffix(".scope").unwrap_or(comp);
            let id = comp.rsplit(['-', ':']).next().unwrap_or(comp);
            (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| id.to_ascii_lowercase())
        })
}

/// Boot time in nanoseconds since the Unix epoch, from `btime` in
/// /proc/stat (whole seconds, so wall times derived from it are exact to
/// about a second). Read once and cached.
pub fn boot_time_ns() -> Option<u64> {
    static BOOT: OnceLock<Option<u64>> = OnceLock::new();
    *BOOT.get_or_init(|| parse_btime_ns(&read_text("/proc/stat")?))
}

/// `btime` of a /proc/stat text, in nanoseconds.
pub fn parse_btime_ns(text: &str) -> Option<u64> {
    let secs: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    secs.checked_mul(1_000_000_000)
}

/// Wall-clock start time (ns since the epoch) of a process that started
/// `start_ticks` after boot; `None` if the boot time is unknown.
pub fn start_time_ns(start_ticks: u64) -> Option<u64> {
    boot_time_ns()?.checked_add(ticks_to_ns(start_ticks))
}

/// One socket of `/proc/net/tcp` or `/proc/net/tcp6`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSock {
    /// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are given as IPv4.
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// Kernel TCP state number: 1 = ESTABLISHED, 10 = LISTEN ([`TCP_LISTEN`]).
    pub state: u8,
}

/// The sockets of a `/proc/net/tcp` or `/proc/net/tcp6` text, keyed by
/// socket inode. Sockets without an inode (0: TIME_WAIT, orphans) and
/// malformed lines are skipped.
pub fn parse_tcp_table(text: &str) -> Vec<(u64, TcpSock)> {
    text.lines()
        .filter_map(parse_tcp_line)
        .filter(|&(inode, _)| inode != 0)
        .collect()
}

fn parse_tcp_line(line: &str) -> Option<(u64, TcpSock)> {
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    let f: Vec<&str> = line.split_ascii_whitespace().take(10).collect();
    if f.len() < 10 || !f[0].ends_with(':') {
        return None;
    }
    let state = u8::from_str_radix(f[3], 16).ok()?;
    let inode = f[9].parse().ok()?;
    Some((
        inode,
        TcpSock {
            local: parse_hex_sockaddr(f[1])?,
            remote: parse_hex_sockaddr(f[2])?,
            state,
        },
    ))
}

/// `ADDR:PORT` as /proc/net/tcp prints it: the address as 32-bit words in
/// host byte order (8 or 32 hex digits), the port as 4 hex digits.
fn parse_hex_sockaddr(s: &str) -> Option<SocketAddr> {
    let (addr, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    Some(SocketAddr::new(parse_hex_ip(addr)?, port))
}

fn parse_hex_words(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(8) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut bytes = Vec::with_capacity(hex.len() / 2);
    for i in (0..hex.len()).step_by(8) {
        let word = u32::from_str_radix(&hex[i..i + 8], 16).ok()?;
        bytes.extend_from_slice(&word.to_ne_bytes());
    }
    Some(bytes)
}

fn parse_hex_ip(hex: &str) -> Option<IpAddr> {
    let bytes = parse_hex_words(hex)?;
    match bytes.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::new(
            bytes[0], bytes[1], bytes[2], bytes[3],
        ))),
        16 => {
            let octets: [u8; 16] = bytes.try_into().ok()?;
            let v6 = Ipv6Addr::from(octets);
            Some(match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            })
        }
        _ => None,
    }
}

fn read_tcp_tables(base: &str) -> HashMap<u64, TcpSock> {
    let mut out = HashMap::new();
    for file in ["tcp", "tcp6"] {
        if let Some(text) = read_text(&format!("{base}/{file}")) {
            out.extend(parse_tcp_table(&text));
        }
    }
    out
}

fn listening(table: HashMap<u64, TcpSock>) -> HashMap<u64, u16> {
    table
        .into_iter()
        .filter(|(_, s)| s.state == TCP_LISTEN)
        .map(|(inode, s)| (inode, s.local.port()))
        .collect()
}

/// TCP sockets (IPv4 and IPv6) of the reader's network namespace, by inode.
pub fn tcp_sockets() -> HashMap<u64, TcpSock> {
    read_tcp_tables("/proc/net")
}

/// TCP sockets of the network namespace of process `pid`, by inode
/// (empty if the process is gone).
pub fn tcp_sockets_of(pid: u32) -> HashMap<u64, TcpSock> {
    read_tcp_tables(&format!("/proc/{pid}/net"))
}

/// Listening TCP sockets of the reader's network namespace: socket inode →
/// local port.
pub fn listening_tcp_ports() -> HashMap<u64, u16> {
    listening(tcp_sockets())
}

/// Listening TCP sockets of the network namespace of process `pid`:
/// socket inode → local port.
pub fn listening_tcp_ports_of(pid: u32) -> HashMap<u64, u16> {
    listening(tcp_sockets_of(pid))
}

/// The sockets process `pid` has open: (fd, socket inode) from the
/// `socket:[N]` links in `/proc/PID/fd`, by fd. Empty if the process is
/// gone or its fds are not readable (other users' processes need
/// CAP_SYS_PTRACE).
pub fn socket_inodes(pid: u32) -> Vec<(i32, u64)> {
    let Ok(dir) = fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    let mut out: Vec<(i32, u64)> = dir
        .filter_map(|e| {
            let e = e.ok()?;
            let fd: i32 = e.file_name().to_str()?.parse().ok()?;
            let link = fs::read_link(e.path()).ok()?;
            Some((fd, bracketed_inode(link.to_str()?, "socket:[")?))
        })
        .collect();
    out.sort_unstable();
    out
}

/// The IPv4 address of this host that other machines most likely reach it
/// by: a local address inside a subnet routed through the interface of the
/// default route, else the first local non-loopback IPv4 address. Read from
/// /proc/net/route and /proc/net/fib_trie (no sockets, no ioctls).
pub fn primary_ipv4() -> Option<Ipv4Addr> {
    let routes = parse_routes(&read_text("/proc/net/route").unwrap_or_default());
    let locals = parse_fib_trie_local(&read_text("/proc/net/fib_trie")?);
    choose_primary_ipv4(&routes, &locals)
}

/// One row of /proc/net/route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub iface: String,
    pub dest: Ipv4Addr,
    pub mask: Ipv4Addr,
    pub metric: u32,
}

/// Rows of a /proc/net/route text that are up (flag RTF_UP).
pub fn parse_routes(text: &str) -> Vec<Route> {
    let ip = |hex: &str| match parse_hex_ip(hex)? {
        IpAddr::V4(v4) => Some(v4),
        IpAddr::V6(_) => None,
    };
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_ascii_whitespace().collect();
            if f.len() < 8 {
                return None;
            }
            let flags = u32::from_str_radix(f[3], 16).ok()?;
            if flags & 1 == 0 {
                return None;
            }
            Some(Route {
                iface: f[0].to_string(),
                dest: ip(f[1])?,
                mask: ip(f[7])?,
                metric: f[6].parse().ok()?,
            })
        })
        .collect()
}

/// The local (`/32 host LOCAL`) addresses of a /proc/net/fib_trie text, in
/// order of appearance, without duplicates.
pub fn parse_fib_trie_local(text: &str) -> Vec<Ipv4Addr> {
    let mut out = Vec::new();
    let mut last: Option<Ipv4Addr> = None;
    for line in text.lines() {
        let t = line.trim_start_matches([' ', '|', '+', '-']).trim();
        if let Ok(addr) = t.parse::<Ipv4Addr>() {
            last = Some(addr);
        } else if t.starts_with("/32 host LOCAL")
            && let Some(addr) = last
            && !out.contains(&addr)
        {
            out.push(addr);
        }
    }
    out
}

fn choose_primary_ipv4(routes: &[Route], locals: &[Ipv4Addr]) -> Option<Ipv4Addr> {
    let usable: Vec<Ipv4Addr> = locals
        .iter()
        .copied()
        .filter(|a| !a.is_loopback() && !a.is_unspecified())
        .collect();
    let default_iface = routes
        .iter()
        .filter(|r| r.dest.is_unspecified() && r.mask.is_unspecified())
        .min_by_key(|r| r.metric)
        .map(|r| r.iface.as_str());
    if let Some(iface) = default_iface {
        let in_subnet = |a: &Ipv4Addr| {
            routes.iter().any(|r| {
                r.iface == iface
                    && !r.mask.is_unspecified()
                    && (a.to_bits() & r.mask.to_bits()) == (r.dest.to_bits() & r.mask.to_bits())
            })
        };
        if let Some(a) = usable.iter().find(|a| in_subnet(a)) {
            return Some(*a);
        }
    }
    usable.first().copied()
}

/// One `process_stats` row (without `time_`), counters as Arrow Int64
/// values (saturating).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProcessSample {
    pub upid: u128,
    pub pid: u32,
    pub major_faults: i64,
    pub minor_faults: i64,
    pub cpu_utime_ns: i64,
    pub cpu_ktime_ns: i64,
    pub num_threads: i64,
    pub vsize_bytes: i64,
    pub rss_bytes: i64,
    /// The four I/O counters are 0 when `/proc/PID/io` is not readable.
    pub rchar_bytes: i64,
    pub wchar_bytes: i64,
    pub read_bytes: i64,
    pub write_bytes: i64,
}

fn int64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl ProcessSample {
    /// A sample from already-read stat and io (io `None` gives zeros).
    pub fn from_parts(asid: u32, stat: &ProcStat, io: Option<ProcIo>) -> ProcessSample {
        let io = io.unwrap_or_default();
        ProcessSample {
            upid: upid(asid, stat.pid, stat.starttime),
            pid: stat.pid,
            major_faults: int64(stat.majflt),
            minor_faults: int64(stat.minflt),
            cpu_utime_ns: int64(ticks_to_ns(stat.utime)),
            cpu_ktime_ns: int64(ticks_to_ns(stat.stime)),
            num_threads: int64(stat.num_threads),
            vsize_bytes: int64(stat.vsize),
            rss_bytes: int64(stat.rss.saturating_mul(page_size())),
            rchar_bytes: int64(io.rchar),
            wchar_bytes: int64(io.wchar),
            read_bytes: int64(io.read_bytes),
            write_bytes: int64(io.write_bytes),
        }
    }
}

/// One sample of every process now in /proc, by pid; kernel threads (and
/// zombies), whose vsize is 0, and processes that vanish mid-read are left
/// out.
///
/// It yields the CPU every 16 processes, so that a sample of a busy host
/// comes in short pieces rather than one burst the applications wait for.
pub fn sample_processes(asid: u32) -> Vec<ProcessSample> {
    list_pids()
        .into_iter()
        .enumerate()
        .filter_map(|(i, pid)| {
            if i % 16 == 15 {
                std::thread::yield_now();
            }
            let stat = read_stat(pid)?;
            if stat.vsize == 0 {
                return None;
            }
            Some(ProcessSample::from_parts(asid, &stat, read_io(pid)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    const STAT_ODD_COMM: &str = "4242 (my (odd) prog) name)) S 1 4242 4242 0 -1 4194560 \
        1500 0 7 0 250 120 0 0 20 0 3 0 987654 123456789 2048 18446744073709551615 1 1 0 0 0 \
        0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

    #[test]
    fn stat_with_spaces_and_parens_in_comm() {
        let s = ProcStat::parse(STAT_ODD_COMM).unwrap();
        assert_eq!(s.pid, 4242);
        assert_eq!(s.comm, "my (odd) prog) name)");
        assert_eq!(s.state, 'S');
        assert_eq!(s.ppid, 1);
        assert_eq!((s.minflt, s.majflt), (1500, 7));
        assert_eq!((s.utime, s.stime), (250, 120));
        assert_eq!(s.num_threads, 3);
        assert_eq!(s.starttime, 987654);
        assert_eq!(s.vsize, 123456789);
        assert_eq!(s.rss, 2048);
    }

    #[test]
    fn stat_kernel_thread_and_garbage() {
        let kthread = "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 5 0 0 20 0 1 0 2 0 0 \
            18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 1 0 0 0 0 0";
        let s = ProcStat::parse(kthread).unwrap();
        assert_eq!(
            (s.pid, s.ppid, s.vsize, s.rss, s.starttime),
            (2, 0, 0, 0, 2)
        );
        assert_eq!(s.comm, "kthreadd");
        // Truncated (process vanished mid-write of the fixture), garbage, empty.
        assert_eq!(ProcStat::parse(&STAT_ODD_COMM[..60]), None);
        assert_eq!(ProcStat::parse("garbage"), None);
        assert_eq!(ProcStat::parse(")x( 1 2 3"), None);
        assert_eq!(ProcStat::parse(""), None);
        // Non-ASCII comm.
        let s = ProcStat::parse(&STAT_ODD_COMM.replace("my (odd)", "ünï")).unwrap();
        assert_eq!(s.comm, "ünï prog) name)");
        // Negative rss clamps.
        let neg = STAT_ODD_COMM.replace(" 2048 ", " -5 ");
        assert_eq!(ProcStat::parse(&neg).unwrap().rss, 0);
    }

    #[test]
    fn io_parses_and_tolerates() {
        let text = "rchar: 323934931\nwchar: 323929600\nsyscr: 632687\nsyscw: 632675\n\
                    read_bytes: 4096\nwrite_bytes: 323932160\ncancelled_write_bytes: 0\n";
        let io = ProcIo::parse(text).unwrap();
        assert_eq!(
            io,
            ProcIo {
                rchar: 323934931,
                wchar: 323929600,
                read_bytes: 4096,
                write_bytes: 323932160
            }
        );
        assert_eq!(ProcIo::parse(""), None);
        assert_eq!(ProcIo::parse("rchar: x\n"), None);
    }

    #[test]
    fn net_dev_rows() {
        let text = "Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0:98765432 54321    1    2    0     0          0         3  1234567    7654    4    5    0     0       0          0
 broken: 1 2 3
";
        let rows = NetDev::parse_all(text);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].iface, "lo");
        assert_eq!(
            rows[1],
            NetDev {
                iface: "eth0".into(),
                rx_bytes: 98765432,
                rx_packets: 54321,
                rx_errs: 1,
                rx_drop: 2,
                tx_bytes: 1234567,
                tx_packets: 7654,
                tx_errs: 4,
                tx_drop: 5,
            }
        );
    }

    #[test]
    fn cmdline_joins_arguments() {
        assert_eq!(
            join_cmdline(b"python3\0-m\0http.server\08000\0"),
            "python3 -m http.server 8000"
        );
        assert_eq!(
            join_cmdline(b"nginx: master process\0\0\0"),
            "nginx: master process"
        );
        assert_eq!(join_cmdline(b""), "");
        assert_eq!(join_cmdline(b"\0\0"), "");
        assert_eq!(join_cmdline(b"a\0\0b"), "a  b");
        assert_eq!(join_cmdline(b"x\xff\0"), "x\u{fffd}");
    }

    #[test]
    fn cgroup_container_ids() {
        let id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let upper = id.to_ascii_uppercase();
        let cases = [
            format!("12:pids:/docker/{id}\n11:cpu,cpuacct:/docker/{id}\n"),
            format!("0::/system.slice/docker-{id}.scope\n"),
            format!("4:memory:/kubepods/burstable/pod1f2e3d4c-aaaa-bbbb-cccc-0123456789ab/{id}\n"),
            format!(
                "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f2e3d4c_aaaa\
                 _bbbb_cccc_0123456789ab.slice/cri-containerd-{id}.scope\n"
            ),
            format!("0::/kubepods.slice/kubepods-besteffort.slice/x.slice/crio-{id}.scope\n"),
            format!("0::/machine.slice/libpod-{upper}.scope/container\n"),
            format!(
                "0::/system.slice/containerd.service/kubepods-pod1.slice:cri-containerd:{id}\n"
            ),
        ];
        for c in &cases {
            assert_eq!(parse_cgroup_container_id(c).as_deref(), Some(id), "{c}");
        }
        let none = [
            "0::/user.slice/user-1000.slice/session-2.scope\n".to_string(),
            "0::/\n".to_string(),
            format!("0::/machine.slice/crio-conmon-{id}.scope\n"),
            format!("0::/docker/{}\n", &id[..63]),
            "garbage\n\n:::\n".to_string(),
            String::new(),
        ];
        for c in &none {
            assert_eq!(parse_cgroup_container_id(c), None, "{c}");
        }
    }

    #[test]
    fn btime() {
        let text = "cpu  1 2 3 4\nintr 5\nctxt 6\nbtime 1700000000\nprocesses 7\n";
        assert_eq!(parse_btime_ns(text), Some(1_700_000_000_000_000_000));
        assert_eq!(parse_btime_ns("cpu 1\n"), None);
        assert_eq!(parse_btime_ns("btime x\n"), None);
    }

    // /proc/net/tcp prints 32-bit words in host byte order: the fixtures
    // below are what a little-endian machine writes.
    #[cfg(target_endian = "little")]
    #[test]
    fn tcp_tables() {
        let v4 = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0
   1: 0501A8C0:D431 0101A8C0:01BB 01 00000000:00000000 02:000A7D8F 00000000  1000        0 222 2 0000000000000000 20 4 30 10 -1
   2: 0100007F:9C40 0100007F:1F90 06 00000000:00000000 03:00000F2A 00000000     0        0 0 3 0000000000000000
   3: zz
";
        let rows = parse_tcp_table(v4);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0],
            (
                111,
                TcpSock {
                    local: "127.0.0.1:8080".parse().unwrap(),
                    remote: "0.0.0.0:0".parse().unwrap(),
                    state: TCP_LISTEN
                }
            )
        );
        assert_eq!(rows[1].1.local, "192.168.1.5:54321".parse().unwrap());
        assert_eq!(rows[1].1.remote, "192.168.1.1:443".parse().unwrap());
        assert_eq!(rows[1].1.state, TCP_ESTABLISHED);

        let v6 = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 333 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:0016 00000000000000000000000001000000:C350 01 00000000:00000000 00:00000000 00000000     0        0 444 1 0000000000000000 20 4 1 10 -1
   2: 0000000000000000FFFF00000100007F:1F92 0000000000000000FFFF00000501A8C0:E000 01 00000000:00000000 00:00000000 00000000     0        0 555 1 0000000000000000 20 4 1 10 -1
   3: B80D0120000000000000000001000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 666 1 0000000000000000 100 0 0 10 0
";
        let rows: HashMap<u64, TcpSock> = parse_tcp_table(v6).into_iter().collect();
        assert_eq!(rows[&333].local, "[::]:8081".parse().unwrap());
        assert_eq!(rows[&444].local, "[::1]:22".parse().unwrap());
        assert_eq!(rows[&444].remote, "[::1]:50000".parse().unwrap());
        // IPv4-mapped addresses come out as IPv4.
        assert_eq!(rows[&555].local, "127.0.0.1:8082".parse().unwrap());
        assert_eq!(rows[&555].remote, "192.168.1.5:57344".parse().unwrap());
        assert_eq!(rows[&666].local, "[2001:db8::1]:80".parse().unwrap());
        let listen = listening(rows);
        assert_eq!(listen, HashMap::from([(333, 8081), (666, 80)]));
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn primary_ipv4_prefers_default_route_subnet() {
        let route =
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
docker0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0
wlan0\t0001A8C0\t00000000\t0001\t0\t0\t600\t00FFFFFF\t0\t0\t0
";
        let trie = "Main:
  +-- 0.0.0.0/0 3 0 5
     |-- 0.0.0.0
        /0 universe UNICAST
     +-- 127.0.0.0/8 2 0 2
        |-- 127.0.0.1
           /32 host LOCAL
     |-- 172.17.0.1
        /32 host LOCAL
     |-- 192.168.1.0
        /24 link UNICAST
     |-- 192.168.1.23
        /32 host LOCAL
Local:
     |-- 172.17.0.1
        /32 host LOCAL
";
        let routes = parse_routes(route);
        assert_eq!(routes.len(), 3);
        let locals = parse_fib_trie_local(trie);
        assert_eq!(
            locals,
            vec![
                Ipv4Addr::new(127, 0, 0, 1),
                Ipv4Addr::new(172, 17, 0, 1),
                Ipv4Addr::new(192, 168, 1, 23)
            ]
        );
        assert_eq!(
            choose_primary_ipv4(&routes, &locals),
            Some(Ipv4Addr::new(192, 168, 1, 23))
        );
        // No default route: the first non-loopback address.
        assert_eq!(
            choose_primary_ipv4(&routes[1..], &locals),
            Some(Ipv4Addr::new(172, 17, 0, 1))
        );
        assert_eq!(choose_primary_ipv4(&[], &locals[..1]), None);
    }

    #[test]
    fn real_proc_self() {
        let pid = std::process::id();
        assert!(list_pids().contains(&pid));
        let stat = read_stat(pid).unwrap();
        assert_eq!(stat.pid, pid);
        assert_eq!(Some(&stat.comm), read_comm(pid).as_ref());
        assert!(stat.starttime > 0 && stat.vsize > 0 && stat.rss > 0 && stat.num_threads >= 1);
        // Field 22, read independently.
        let text = fs::read_to_string("/proc/self/stat").unwrap();
        let after = &text[text.rfind(')').unwrap() + 1..];
        let field22: u64 = after.split_whitespace().nth(19).unwrap().parse().unwrap();
        assert_eq!(stat.starttime, field22);
        assert!(!read_cmdline(pid).unwrap().is_empty());
        assert!(clock_ticks_per_sec() > 0 && page_size() >= 4096);
        let boot = boot_time_ns().unwrap();
        let start = start_time_ns(stat.starttime).unwrap();
        assert!(boot > 1_000_000_000_000_000_000 && start >= boot);

        let sample = sample_processes(7)
            .into_iter()
            .find(|s| s.pid == pid)
            .unwrap();
        assert_eq!(
            pxl_stdlib::runtime::upid_parts(sample.upid),
            (7, pid, stat.starttime)
        );
        assert!(sample.rss_bytes > 0 && sample.vsize_bytes > 0);

        // A listening socket shows up in our fds and the listening table.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let listen = listening_tcp_ports();
        let ours: Vec<u16> = socket_inodes(pid)
            .into_iter()
            .filter_map(|(_, inode)| listen.get(&inode).copied())
            .collect();
        assert!(ours.contains(&port), "{ours:?} lacks {port}");
        let sockets = tcp_sockets_of(pid);
        assert!(
            sockets
                .values()
                .any(|s| s.state == TCP_LISTEN
                    && s.local == SocketAddr::from(([127, 0, 0, 1], port)))
        );
        assert!(net_ns_inode(pid).is_some());
        assert!(read_net_dev().iter().any(|d| d.iface == "lo"));
        assert!(read_net_dev_of(pid).is_some());

        // A pid that does not exist is "gone", not an error.
        let gone = u32::MAX - 1;
        assert_eq!(read_stat(gone), None);
        assert_eq!(read_io(gone), None);
        assert_eq!(read_cmdline(gone), None);
        assert_eq!(read_cgroup(gone), None);
        assert!(socket_inodes(gone).is_empty());
        assert!(tcp_sockets_of(gone).is_empty());
    }
}
