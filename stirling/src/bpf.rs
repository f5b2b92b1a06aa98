//! Loading the socket tracer (`bpf/socket_trace.bpf.c`) with aya, and
//! decoding what it sends through its ring buffer.
//!
//! The compiled object is committed (`bpf/socket_trace.bpf.o`) so that
//! building pxl needs only the Rust toolchain; `bpf/build.sh --check`
//! rebuilds it with clang and CI compares the two.

use aya::maps::{HashMap as BpfHashMap, MapData, PerCpuArray, RingBuf};
use aya::programs::TracePoint;
use aya::{Btf, Ebpf, EbpfLoader};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// The compiled socket tracer.
pub static OBJECT: &[u8] = include_bytes!("../bpf/socket_trace.bpf.o");
/// SHA-256 of the source the committed object was built from.
pub static SOURCE_SHA256: &str = include_str!("../bpf/socket_trace.bpf.c.sha256");

/// Largest capture per system call the kernel side supports.
pub const MAX_CAPTURE: u32 = 16384;

const HEADER_LEN: usize = 104;

/// Every tracepoint the tracer attaches: (program, category, tracepoint).
pub const PROBES: &[(&str, &str, &str)] = &[
    ("exit_read", "syscalls", "sys_exit_read"),
    ("exit_write", "syscalls", "sys_exit_write"),
    ("exit_readv", "syscalls", "sys_exit_readv"),
    ("exit_writev", "syscalls", "sys_exit_writev"),
    ("exit_recvfrom", "syscalls", "sys_exit_recvfrom"),
    ("exit_sendto", "syscalls", "sys_exit_sendto"),
    ("exit_recvmsg", "syscalls", "sys_exit_recvmsg"),
    ("exit_sendmsg", "syscalls", "sys_exit_sendmsg"),
    ("enter_connect", "syscalls", "sys_enter_connect"),
    ("exit_connect", "syscalls", "sys_exit_connect"),
    ("enter_accept", "syscalls", "sys_enter_accept"),
    ("exit_accept", "syscalls", "sys_exit_accept"),
    ("enter_accept4", "syscalls", "sys_enter_accept4"),
    ("exit_accept4", "syscalls", "sys_exit_accept4"),
    ("enter_close", "syscalls", "sys_enter_close"),
    ("process_exec", "sched", "sched_process_exec"),
    ("process_exit", "sched", "sched_process_exit"),
];

/// What one ring-buffer record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A socket was connected (`role` 1) or accepted (`role` 2).
    Open {
        head: Head,
        role: u8,
        remote: Option<(IpAddr, u16)>,
        local: Option<(IpAddr, u16)>,
    },
    /// Bytes moved on a tracked socket.
    Data {
        head: Head,
        ingress: bool,
        /// Bytes the call moved for this piece.
        len: u64,
        data: Vec<u8>,
    },
    /// A tracked socket was closed; `sent`/`recv` are the bytes the kernel
    /// counted while the connection's data was disabled.
    Close { head: Head, sent: u64, recv: u64 },
    /// A process called exec.
    Exec { head: Head, comm: String },
    /// A process (its thread-group leader) exited with wait status `status`.
    Exit {
        head: Head,
        status: u32,
        comm: String,
    },
}

/// Fields every event has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// CLOCK_MONOTONIC nanoseconds.
    pub mono_ns: u64,
    /// The process's start time, nanoseconds since boot.
    pub start_ns: u64,
    pub tgid: u32,
    pub pid: u32,
    pub fd: i32,
}

impl Event {
    pub fn head(&self) -> &Head {
        match self {
            Event::Open { head, .. }
            | Event::Data { head, .. }
            | Event::Close { head, .. }
            | Event::Exec { head, .. }
            | Event::Exit { head, .. } => head,
        }
    }
}

/// Why a record could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("event of {0} bytes is shorter than its {HEADER_LEN}-byte header")]
    Short(usize),
    #[error("unknown event kind {0}")]
    Kind(u8),
    #[error("event says {said} data bytes follow but {have} do")]
    Length { said: usize, have: usize },
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn comm(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

/// Decodes one ring-buffer record (layout: `struct event_header` in the C
/// source, then `captured` data bytes).
pub fn decode(b: &[u8]) -> Result<Event, DecodeError> {
    if b.len() < HEADER_LEN {
        return Err(DecodeError::Short(b.len()));
    }
    let head = Head {
        mono_ns: u64_at(b, 0),
        start_ns: u64_at(b, 8),
        tgid: u32_at(b, 24),
        pid: u32_at(b, 28),
        fd: u32_at(b, 32) as i32,
    };
    let len = u64_at(b, 16);
    let captured = u32_at(b, 36) as usize;
    let kind = b[40];
    let dir = b[41];
    let family = u16_at(b, 42);
    let port = u16_at(b, 44);
    let addr = &b[48..64];
    let comm_bytes = &b[64..80];
    let laddr = &b[80..96];
    let lport = u16_at(b, 96);
    let ip = |addr: &[u8]| match family {
        2 => Some(IpAddr::V4(Ipv4Addr::new(
            addr[0], addr[1], addr[2], addr[3],
        ))),
        10 => {
            let mut a = [0u8; 16];
            a.copy_from_slice(addr);
            let v6 = Ipv6Addr::from(a);
            Some(match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => IpAddr::V6(v6),
            })
        }
        _ => None,
    };
    Ok(match kind {
        1 => Event::Open {
            head,
            role: dir,
            remote: ip(addr).map(|ip| (ip, port)),
            local: ip(laddr).filter(|_| lport != 0).map(|ip| (ip, lport)),
        },
        2 => {
            let have = b.len() - HEADER_LEN;
            if captured > have {
                return Err(DecodeError::Length {
                    said: captured,
                    have,
                });
            }
            Event::Data {
                head,
                ingress: dir == 1,
                len: len.max(captured as u64),
                data: b[HEADER_LEN..HEADER_LEN + captured].to_vec(),
            }
        }
        3 => Event::Close {
            head,
            sent: len,
            recv: u64_at(addr, 0),
        },
        4 => Event::Exec {
            head,
            comm: comm(comm_bytes),
        },
        5 => Event::Exit {
            head,
            status: len as u32,
            comm: comm(comm_bytes),
        },
        k => return Err(DecodeError::Kind(k)),
    })
}

/// Why the tracer could not start.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "eBPF needs root or the CAP_BPF and CAP_PERFMON capabilities (running as uid {0}); \
         run with sudo to capture network traffic"
    )]
    Privileges(u32),
    #[error("could not load the eBPF object: {0}")]
    Load(String),
    #[error("eBPF program {0} is missing from the object")]
    Missing(&'static str),
    #[error("eBPF map {0} is missing from the object")]
    MissingMap(&'static str),
}

/// One probe's attach result (for `probe_status`).
#[derive(Debug, Clone)]
pub struct ProbeResult {
    pub program: &'static str,
    pub tracepoint: String,
    pub error: Option<String>,
}

/// What one of our probes has cost the kernel so far.
#[derive(Debug, Clone)]
pub struct ProbeCost {
    /// Program name.
    pub program: String,
    /// Times it ran.
    pub runs: u64,
    /// Time spent in it.
    pub time: std::time::Duration,
}

/// Run counts and run time of every loaded program named like one of ours,
/// summed by name. The kernel only counts while `kernel.bpf_stats_enabled`
/// is 1 (it costs two clock reads per run, so it is off by default).
pub fn probe_costs() -> Vec<ProbeCost> {
    let mut out: Vec<ProbeCost> = Vec::new();
    for info in aya::programs::loaded_programs().flatten() {
        let Some(name) = info.name_as_str() else {
            continue;
        };
        // (The kernel keeps 15 bytes of a name; ours are all shorter.)
        if !PROBES.iter().any(|p| p.0 == name) {
            continue;
        }
        match out.iter_mut().find(|c| c.program == name) {
            Some(c) => {
                c.runs += info.run_count();
                c.time += info.run_time();
            }
            None => out.push(ProbeCost {
                program: name.to_string(),
                runs: info.run_count(),
                time: info.run_time(),
            }),
        }
    }
    out
}

/// The loaded tracer. Dropping it detaches every probe (nothing is pinned,
/// so the kernel also detaches them if the process dies).
pub struct Tracer {
    ebpf: Ebpf,
    pub events: RingBuf<MapData>,
    lost: PerCpuArray<MapData, u64>,
    pub probes: Vec<ProbeResult>,
}

impl std::fmt::Debug for Tracer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer")
            .field("probes", &self.probes.len())
            .finish()
    }
}

fn mount_tracefs() {
    let dir = Path::new("/sys/kernel/tracing");
    let mounted = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
    if !mounted && dir.exists() {
        // Best effort: aya reports a clear error if this did not work.
        let _ = nix::mount::mount(
            Some("tracefs"),
            dir,
            Some("tracefs"),
            nix::mount::MsFlags::empty(),
            None::<&str>,
        );
    }
}

impl Tracer {
    /// Loads the tracer and attaches every probe. Probes that fail to attach
    /// are reported in `probes`; the tracer fails only when nothing useful
    /// could be loaded.
    pub fn load(capture_bytes: u32) -> Result<Tracer, LoadError> {
        let uid = nix::unistd::geteuid().as_raw();
        mount_tracefs();
        let capture = capture_bytes.clamp(1, MAX_CAPTURE);
        let btf = Btf::from_sys_fs().ok();
        let mut ebpf = EbpfLoader::new()
            .btf(btf.as_ref())
            .override_global("capture_bytes", &capture, true)
            .load(OBJECT)
            .map_err(|e| {
                let text = error_chain(&e);
                if uid != 0 && (text.contains("Operation not permitted") || text.contains("EPERM"))
                {
                    LoadError::Privileges(uid)
                } else {
                    LoadError::Load(text)
                }
            })?;
        let mut probes = Vec::new();
        for &(program, category, name) in PROBES {
            let prog = ebpf
                .program_mut(program)
                .ok_or(LoadError::Missing(program))?;
            let result: Result<(), String> = (|| {
                let tp: &mut TracePoint = prog.try_into().map_err(|e| error_chain(&e))?;
                tp.load().map_err(|e| error_chain(&e))?;
                tp.attach(category, name).map_err(|e| error_chain(&e))?;
                Ok(())
            })();
            probes.push(ProbeResult {
                program,
                tracepoint: format!("{category}/{name}"),
                error: result.err(),
            });
        }
        if probes.iter().all(|p| p.error.is_some()) {
            let first = probes[0].error.clone().unwrap_or_default();
            if uid != 0 {
                return Err(LoadError::Privileges(uid));
            }
            return Err(LoadError::Load(format!(
                "no probe could be attached: {first}"
            )));
        }
        let events = RingBuf::try_from(
            ebpf.take_map("events")
                .ok_or(LoadError::MissingMap("events"))?,
        )
        .map_err(|e| LoadError::Load(error_chain(&e)))?;
        let lost =
            PerCpuArray::try_from(ebpf.take_map("lost").ok_or(LoadError::MissingMap("lost"))?)
                .map_err(|e| LoadError::Load(error_chain(&e)))?;
        Ok(Tracer {
            ebpf,
            events,
            lost,
            probes,
        })
    }

    fn conns(&mut self) -> Option<BpfHashMap<&mut MapData, u64, [u64; 3]>> {
        BpfHashMap::try_from(self.ebpf.map_mut("conns")?).ok()
    }

    /// Starts tracking a socket that was open before the tracer started.
    pub fn track(&mut self, tgid: u32, fd: i32) {
        if let Some(mut m) = self.conns() {
            let _ = m.insert(conn_key(tgid, fd), [0u64; 3], 0);
        }
    }

    /// Stops the kernel sending this connection's data (it still counts its
    /// bytes).
    pub fn disable(&mut self, tgid: u32, fd: i32) {
        if let Some(mut m) = self.conns() {
            let key = conn_key(tgid, fd);
            if let Ok(mut v) = m.get(&key, 0) {
                v[0] |= 1;
                let _ = m.insert(key, v, 0);
            }
        }
    }

    /// Forgets a socket (its process exited without closing it).
    pub fn forget(&mut self, tgid: u32, fd: i32) {
        if let Some(mut m) = self.conns() {
            let _ = m.remove(&conn_key(tgid, fd));
        }
    }

    /// Events and bytes lost so far because the ring buffer was full.
    pub fn lost(&self) -> (u64, u64) {
        let sum = |i: u32| {
            self.lost
                .get(&i, 0)
                .map(|v| v.iter().sum::<u64>())
                .unwrap_or(0)
        };
        (sum(0), sum(1))
    }
}

fn conn_key(tgid: u32, fd: i32) -> u64 {
    ((tgid as u64) << 32) | (fd as u32 as u64)
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind: u8, dir: u8, captured: u32) -> Vec<u8> {
        let mut b = vec![0u8; HEADER_LEN];
        b[0..8].copy_from_slice(&5u64.to_le_bytes());
        b[8..16].copy_from_slice(&7u64.to_le_bytes());
        b[16..24].copy_from_slice(&100u64.to_le_bytes());
        b[24..28].copy_from_slice(&42u32.to_le_bytes());
        b[28..32].copy_from_slice(&43u32.to_le_bytes());
        b[32..36].copy_from_slice(&9i32.to_le_bytes());
        b[36..40].copy_from_slice(&captured.to_le_bytes());
        b[40] = kind;
        b[41] = dir;
        b
    }

    #[test]
    fn decodes_data_and_rejects_bad_lengths() {
        let mut b = header(2, 1, 3);
        b.extend_from_slice(b"abc");
        let e = decode(&b).unwrap();
        assert_eq!(
            e,
            Event::Data {
                head: Head {
                    mono_ns: 5,
                    start_ns: 7,
                    tgid: 42,
                    pid: 43,
                    fd: 9
                },
                ingress: true,
                len: 100,
                data: b"abc".to_vec()
            }
        );
        assert_eq!(decode(&b[..10]), Err(DecodeError::Short(10)));
        let b = header(2, 0, 5);
        assert_eq!(decode(&b), Err(DecodeError::Length { said: 5, have: 0 }));
        assert_eq!(decode(&header(9, 0, 0)), Err(DecodeError::Kind(9)));
    }

    #[test]
    fn decodes_open_with_v4_mapped_v6() {
        let mut b = header(1, 2, 0);
        b[42..44].copy_from_slice(&10u16.to_le_bytes());
        b[44..46].copy_from_slice(&8080u16.to_le_bytes());
        b[48 + 10] = 0xff;
        b[48 + 11] = 0xff;
        b[48 + 12..48 + 16].copy_from_slice(&[127, 0, 0, 1]);
        b[96..98].copy_from_slice(&9000u16.to_le_bytes());
        let Event::Open {
            role,
            remote,
            local,
            ..
        } = decode(&b).unwrap()
        else {
            panic!("not an open event");
        };
        assert_eq!(role, 2);
        assert_eq!(remote, Some((IpAddr::V4(Ipv4Addr::LOCALHOST), 8080)));
        assert_eq!(local, Some((IpAddr::V6(Ipv6Addr::UNSPECIFIED), 9000)));
    }

    #[test]
    fn committed_object_matches_recorded_source_hash() {
        // build.sh records the hash of the source it compiled; a source edit
        // without a rebuild is caught here (CI also rebuilds with clang).
        let src = include_bytes!("../bpf/socket_trace.bpf.c");
        assert_eq!(sha256_hex(src), SOURCE_SHA256.trim());
    }

    fn sha256_hex(data: &[u8]) -> String {
        use sha2::Digest;
        sha2::Sha256::digest(data)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

#[cfg(test)]
mod kernel_tests {
    use super::*;

    /// Loads the real object into the running kernel: checks that the
    /// verifier accepts every program and every probe attaches.
    #[test]
    fn loads_and_attaches_every_probe() {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("skipped: loading eBPF needs root (CAP_BPF + CAP_PERFMON)");
            return;
        }
        let t = Tracer::load(MAX_CAPTURE).expect("tracer loads");
        let failed: Vec<_> = t.probes.iter().filter(|p| p.error.is_some()).collect();
        assert!(failed.is_empty(), "probes failed: {failed:#?}");
        assert_eq!(t.lost(), (0, 0));
    }
}
