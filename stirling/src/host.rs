//! Host-level metadata: what the metadata functions (`upid_to_pod_name`,
//! `upid_to_service_name`, ...) and `df.ctx['pod']`, `df.ctx['service']`
//! answer on a machine without Kubernetes.
//!
//! [`HostMetadata`] learns processes from /proc (and from exec and exit
//! events, for processes that may be gone already) and maps them onto
//! Pixie's Kubernetes model, so that scripts written for a cluster give
//! useful answers on a single host:
//!
//! - **Cluster**: none. `vizier_name()` is empty and there are no CIDRs.
//! - **Node**: the host. Its name is the host name passed to
//!   [`HostMetadata::new`]. Its IP is the host's primary IPv4 address: a
//!   local address in the subnet of the default route's interface, else the
//!   first non-loopback one, else empty (see [`procfs::primary_ipv4`]).
//! - **Namespace**: one, `host` (id `host`).
//! - **Process**: every process observed, keyed by its UPID (asid, pid,
//!   start time in clock ticks exactly as field 22 of /proc/PID/stat shows
//!   it). `cmdline` is its NUL-separated arguments joined by spaces, or its
//!   `comm` if that is empty (kernel threads, zombies, processes known only
//!   from an exec event). `hostname` is the node name.
//! - **Container**: a process whose /proc/PID/cgroup path carries a 64-hex
//!   container id (Docker, containerd, CRI-O, Podman) belongs to that
//!   container, together with the other processes of it. Any other process
//!   gets a container of its own with the synthetic id
//!   `host-<pid>-<start_ticks>`. The container name is its pod's name. State
//!   is `Running` while one of its processes runs, else `Terminated`.
//! - **Pod**: exactly one per container, with the same id as the container.
//!   Its name is `<comm>-<pid>` for a host process (unique among running
//!   processes) and `<comm>-<first 12 hex digits of the id>` for a real
//!   container, `<comm>` being that of the first of its processes observed.
//!   In a `comm`, `/` and white space become `_`. So `df.ctx['pod']` reads
//!   e.g. `host/python3-4121`. The node is the host, the pod IP is empty
//!   (every process shares the host's addresses, so `ip_to_pod_id` answers
//!   nothing), labels are `comm` (and `pid` for a host process), QoS is
//!   empty. The start time is the process start (boot time + start ticks;
//!   boot time has whole-second precision), the stop time 0 while it runs.
//! - **Phase**: `Running`; after an exit event ([`HostMetadata::observe_exit`])
//!   `Succeeded` (exit code 0) or `Failed` (any other code: a signal death
//!   must be passed as non-zero), stopping at the event's time; `Unknown` for
//!   a process that [`HostMetadata::refresh`] finds gone (or a zombie)
//!   without an exit event, stopping at the time of that refresh. A
//!   container's pod takes the phase of its last process to stop.
//! - **Service**: one per distinct name, in namespace `host`, id
//!   `host-svc-<name>`, no cluster IP. A pod whose processes listen on TCP
//!   ports belongs to service `<comm>:<lowest listening port>`; any other
//!   pod to service `<comm>`. So on a host running three `python3` servers
//!   on ports 8000, 8001 and 8002, `df.ctx['service']` tells them apart
//!   (`host/python3:8000`, ...), pre-forked workers sharing one listening
//!   socket (nginx, gunicorn) form one service, and clients group by
//!   program (`host/curl`).
//!
//! Listening ports are TCP sockets in state LISTEN, IPv4 or IPv6, found by
//! matching the `socket:[inode]` links of /proc/PID/fd against
//! /proc/PID/net/tcp{,6} (the process's own network namespace). They are
//! read when a process is first observed, so a short-lived server observed
//! at its first connect or accept is seen with its port; again by
//! [`HostMetadata::observe_process`] (at most once a second) and by every
//! [`HostMetadata::refresh`] for a running process with no known port yet;
//! and again after an exec. Once a process has a known port its ports are
//! not re-read, so its service name stays put; a process observed before it
//! started listening moves from service `<comm>` to `<comm>:<port>` when the
//! port is found. Another user's process can only be inspected with
//! CAP_SYS_PTRACE; without it it has no ports.
//!
//! Exited processes stay in the snapshot for the retention period (10
//! minutes unless [`HostMetadata::with_retention`] says otherwise) after
//! they were seen to stop, so that recent rows still resolve; `refresh`
//! then drops them.

use crate::procfs::{self, ProcStat};
use pxl_stdlib::runtime::metadata::{Container, Metadata, Namespace, Node, Pod, Process, Service};
use pxl_stdlib::runtime::upid;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The namespace of every host pod and service.
pub const NAMESPACE: &str = "host";

/// How long a listening-socket table is reused for other processes of the
/// same network namespace.
const LISTEN_TABLE_TTL: Duration = Duration::from_millis(100);
/// How often `observe_process` may re-read the ports of a process that has
/// none yet.
const PORT_RECHECK: Duration = Duration::from_secs(1);
const DEFAULT_RETENTION: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, Copy)]
struct Exit {
    phase: &'static str,
    stop_ns: i64,
    /// When we learnt it (for retention).
    at: Instant,
}

#[derive(Debug, Clone)]
struct ProcInfo {
    comm: String,
    cmdline: String,
    /// The real container id from the cgroup, if any.
    container: Option<String>,
    /// Listening TCP ports, ascending, without duplicates.
    ports: Vec<u16>,
    ports_checked: Instant,
    exit: Option<Exit>,
}

/// Builds [`Metadata`] snapshots for one host from /proc; see the module
/// documentation for how processes map to containers, pods and services.
#[derive(Debug)]
pub struct HostMetadata {
    asid: u32,
    hostname: String,
    node_ip: String,
    retention: Duration,
    procs: HashMap<(u32, u64), ProcInfo>,
    /// Real containers: id → comm of the first of its processes observed.
    containers: HashMap<String, String>,
    /// Network namespace inode → (read at, listening socket inode → port).
    listen_cache: HashMap<u64, (Instant, HashMap<u64, u16>)>,
}

/// The host name of this machine (`gethostname`), else
/// /proc/sys/kernel/hostname, else `localhost`.
pub fn local_hostname() -> String {
    if let Ok(name) = nix::unistd::gethostname()
        && let Some(name) = name.to_str()
        && !name.is_empty()
    {
        return name.to_string();
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn wall_start_ns(start_ticks: u64) -> i64 {
    procfs::start_time_ns(start_ticks).map_or(0, |v| i64::try_from(v).unwrap_or(i64::MAX))
}

/// A `comm` as used in pod and service names: `/` and white space → `_`.
fn name_part(comm: &str) -> String {
    comm.chars()
        .map(|c| {
            if c == '/' || c.is_whitespace() {
                '_'
            } else {
                c
            }
        })
        .collect()
}

/// The synthetic container (and pod) id of a process outside containers.
pub fn synthetic_container_id(pid: u32, start_ticks: u64) -> String {
    format!("host-{pid}-{start_ticks}")
}

/// The service name of a pod: `<comm>:<lowest port>` or `<comm>`.
fn service_name(comm: &str, lowest_port: Option<u16>) -> String {
    match lowest_port {
        Some(port) => format!("{}:{port}", name_part(comm)),
        None => name_part(comm),
    }
}

fn service_id(name: &str) -> String {
    format!("{NAMESPACE}-svc-{name}")
}

/// One pod being assembled by `snapshot`.
struct PodAcc {
    name: String,
    comm: String,
    pid_label: Option<u32>,
    ports: BTreeSet<u16>,
    start_ticks: u64,
    running: bool,
    last_exit: Option<Exit>,
}

impl HostMetadata {
    /// Metadata of the host `hostname` whose agent has id `asid`.
    pub fn new(asid: u32, hostname: String) -> Self {
        HostMetadata {
            asid,
            hostname,
            node_ip: procfs::primary_ipv4().map_or_else(String::new, |ip| ip.to_string()),
            retention: DEFAULT_RETENTION,
            procs: HashMap::new(),
            containers: HashMap::new(),
            listen_cache: HashMap::new(),
        }
    }

    /// Metadata of this machine, named by [`local_hostname`].
    pub fn for_this_host(asid: u32) -> Self {
        Self::new(asid, local_hostname())
    }

    /// How long exited processes stay in snapshots (default 10 minutes).
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// Overrides the node IP found at construction.
    pub fn with_node_ip(mut self, ip: String) -> Self {
        self.node_ip = ip;
        self
    }

    pub fn asid(&self) -> u32 {
        self.asid
    }

    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    pub fn node_ip(&self) -> &str {
        &self.node_ip
    }

    /// Processes known, running or exited.
    pub fn len(&self) -> usize {
        self.procs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    /// The UPID of the process now running as `pid`, learning it (command
    /// line, container, listening ports) if it is new. `None` if there is no
    /// such process (gone). `pid` must be a process (thread-group) id.
    pub fn observe_process(&mut self, pid: u32) -> Option<u128> {
        let stat = procfs::read_stat(pid)?;
        let key = (pid, stat.starttime);
        match self.procs.get(&key) {
            None => self.learn_live(pid, &stat),
            Some(p)
                if p.exit.is_none()
                    && p.ports.is_empty()
                    && p.ports_checked.elapsed() >= PORT_RECHECK =>
            {
                self.recheck_ports(key);
            }
            Some(_) => {}
        }
        Some(upid(self.asid, pid, stat.starttime))
    }

    /// Observes every process now in /proc; returns how many were there.
    pub fn observe_all(&mut self) -> usize {
        procfs::list_pids()
            .into_iter()
            .filter_map(|pid| self.observe_process(pid))
            .count()
    }

    /// A process that called exec (learnt from an event; it may be gone
    /// already). `start_ticks` must be in the unit and origin of field 22 of
    /// /proc/PID/stat. Exec replaces the program, so what was known of the
    /// process is read again from /proc if it is still there; otherwise
    /// `comm` stands in for its command line. Returns its UPID.
    pub fn observe_exec(&mut self, pid: u32, start_ticks: u64, comm: &str) -> u128 {
        let key = (pid, start_ticks);
        let comm = comm.trim_end_matches('\0');
        match procfs::read_stat(pid) {
            Some(stat) if stat.starttime == start_ticks => {
                let exit = self.procs.get(&key).and_then(|p| p.exit);
                self.learn_live(pid, &stat);
                if let (Some(exit), Some(p)) = (exit, self.procs.get_mut(&key)) {
                    p.exit = Some(exit);
                }
            }
            _ => {
                let p = self.procs.entry(key).or_insert_with(|| ProcInfo {
                    comm: String::new(),
                    cmdline: String::new(),
                    container: None,
                    ports: Vec::new(),
                    ports_checked: Instant::now(),
                    exit: None,
                });
                if p.comm != comm {
                    p.comm = comm.to_string();
                    p.cmdline = comm.to_string();
                    p.ports.clear();
                }
            }
        }
        upid(self.asid, pid, start_ticks)
    }

    /// A process ended (`ts_ns`: when, ns since the epoch). Exit code 0
    /// makes its pod `Succeeded`, anything else `Failed`. A process not
    /// known yet is learnt from /proc if it is still there (a zombie), else
    /// the event is ignored. Returns whether the process is known.
    pub fn observe_exit(&mut self, pid: u32, start_ticks: u64, exit_code: i64, ts_ns: i64) -> bool {
        let key = (pid, start_ticks);
        if !self.procs.contains_key(&key) {
            match procfs::read_stat(pid) {
                Some(stat) if stat.starttime == start_ticks => self.learn_live(pid, &stat),
                _ => return false,
            }
        }
        let Some(p) = self.procs.get_mut(&key) else {
            return false;
        };
        p.exit = Some(Exit {
            phase: if exit_code == 0 {
                "Succeeded"
            } else {
                "Failed"
            },
            stop_ns: ts_ns,
            at: Instant::now(),
        });
        true
    }

    /// Periodic upkeep: marks processes that are gone (or zombies) without
    /// an exit event as stopped (`Unknown`), looks again for listening
    /// ports of running processes that have none yet, and drops processes
    /// that stopped more than the retention period ago.
    pub fn refresh(&mut self) {
        let now = Instant::now();
        let wall = now_ns();
        let running: Vec<(u32, u64)> = self
            .procs
            .iter()
            .filter(|(_, p)| p.exit.is_none())
            .map(|(k, _)| *k)
            .collect();
        for key in running {
            let alive = procfs::read_stat(key.0)
                .is_some_and(|s| s.starttime == key.1 && !matches!(s.state, 'Z' | 'X'));
            if !alive {
                if let Some(p) = self.procs.get_mut(&key) {
                    p.exit = Some(Exit {
                        phase: "Unknown",
                        stop_ns: wall,
                        at: now,
                    });
                }
            } else if self.procs.get(&key).is_some_and(|p| p.ports.is_empty()) {
                self.recheck_ports(key);
            }
        }
        let retention = self.retention;
        self.procs
            .retain(|_, p| p.exit.is_none_or(|e| now.duration_since(e.at) < retention));
        let used: HashSet<&str> = self
            .procs
            .values()
            .filter_map(|p| p.container.as_deref())
            .collect();
        self.containers.retain(|id, _| used.contains(id.as_str()));
        self.listen_cache
            .retain(|_, (t, _)| t.elapsed() < LISTEN_TABLE_TTL);
    }

    /// Everything known now, as metadata the metadata functions read
    /// (through `MetadataIndex::new`). Processes are listed by start time.
    pub fn snapshot(&self) -> Metadata {
        let mut keys: Vec<(u32, u64)> = self.procs.keys().copied().collect();
        keys.sort_by_key(|&(pid, start)| (start, pid));

        let mut md = Metadata {
            nodes: vec![Node {
                name: self.hostname.clone(),
                asid: self.asid,
                ip: self.node_ip.clone(),
            }],
            namespaces: vec![Namespace {
                id: NAMESPACE.to_string(),
                name: NAMESPACE.to_string(),
            }],
            ..Metadata::default()
        };
        let mut order: Vec<String> = Vec::new();
        let mut pods: HashMap<String, PodAcc> = HashMap::new();
        for (pid, start) in keys {
            let p = &self.procs[&(pid, start)];
            let container_id = p
                .container
                .clone()
                .unwrap_or_else(|| synthetic_container_id(pid, start));
            md.processes.push(Process {
                asid: self.asid,
                pid,
                start_ticks: start,
                cmdline: if p.cmdline.is_empty() {
                    p.comm.clone()
                } else {
                    p.cmdline.clone()
                },
                hostname: self.hostname.clone(),
                container_id: container_id.clone(),
            });
            let acc = pods.entry(container_id.clone()).or_insert_with(|| {
                order.push(container_id.clone());
                let (comm, name, pid_label) = match &p.container {
                    Some(id) => {
                        let comm = self.containers.get(id).unwrap_or(&p.comm).clone();
                        let name = format!("{}-{}", name_part(&comm), &id[..id.len().min(12)]);
                        (comm, name, None)
                    }
                    None => (
                        p.comm.clone(),
                        format!("{}-{pid}", name_part(&p.comm)),
                        Some(pid),
                    ),
                };
                PodAcc {
                    name,
                    comm,
                    pid_label,
                    ports: BTreeSet::new(),
                    start_ticks: start,
                    running: false,
                    last_exit: None,
                }
            });
            acc.ports.extend(p.ports.iter().copied());
            acc.start_ticks = acc.start_ticks.min(start);
            match p.exit {
                None => acc.running = true,
                Some(e) => {
                    if acc.last_exit.is_none_or(|l| e.stop_ns >= l.stop_ns) {
                        acc.last_exit = Some(e);
                    }
                }
            }
        }

        let mut services: BTreeMap<String, Service> = BTreeMap::new();
        for id in order {
            let Some(acc) = pods.remove(&id) else {
                continue;
            };
            let svc_name = service_name(&acc.comm, acc.ports.first().copied());
            let svc_id = service_id(&svc_name);
            services.entry(svc_name.clone()).or_insert_with(|| Service {
                id: svc_id.clone(),
                name: svc_name,
                namespace: NAMESPACE.to_string(),
                ..Service::default()
            });
            let stopped = if acc.running { None } else { acc.last_exit };
            let start_time_ns = wall_start_ns(acc.start_ticks);
            let stop_time_ns = stopped.map_or(0, |e| e.stop_ns);
            md.containers.push(Container {
                id: id.clone(),
                name: acc.name.clone(),
                pod_id: id.clone(),
                state: if stopped.is_some() {
                    "Terminated"
                } else {
                    "Running"
                }
                .to_string(),
                start_time_ns,
                stop_time_ns,
            });
            let mut labels = HashMap::from([("comm".to_string(), acc.comm.clone())]);
            if let Some(pid) = acc.pid_label {
                labels.insert("pid".to_string(), pid.to_string());
            }
            md.pods.push(Pod {
                id,
                name: acc.name,
                namespace: NAMESPACE.to_string(),
                node: self.hostname.clone(),
                labels,
                phase: stopped.map_or("Running", |e| e.phase).to_string(),
                start_time_ns,
                stop_time_ns,
                service_ids: vec![svc_id],
                ..Pod::default()
            });
        }
        md.services = services.into_values().collect();
        md
    }

    fn learn_live(&mut self, pid: u32, stat: &ProcStat) {
        let mut cmdline = procfs::read_cmdline(pid).unwrap_or_default();
        let mut container = procfs::read_cgroup(pid);
        let mut ports = self.listening_ports(pid);
        // If the pid was reused while we read, what we read is someone else's.
        if procfs::read_stat(pid).is_some_and(|s| s.starttime != stat.starttime) {
            cmdline.clear();
            container = None;
            ports.clear();
        }
        if cmdline.is_empty() {
            cmdline = stat.comm.clone();
        }
        if let Some(id) = &container {
            self.containers
                .entry(id.clone())
                .or_insert_with(|| stat.comm.clone());
        }
        self.procs.insert(
            (pid, stat.starttime),
            ProcInfo {
                comm: stat.comm.clone(),
                cmdline,
                container,
                ports,
                ports_checked: Instant::now(),
                exit: None,
            },
        );
    }

    fn recheck_ports(&mut self, key: (u32, u64)) {
        let ports = self.listening_ports(key.0);
        if let Some(p) = self.procs.get_mut(&key) {
            p.ports = ports;
            p.ports_checked = Instant::now();
        }
    }

    /// TCP ports process `pid` listens on, ascending.
    fn listening_ports(&mut self, pid: u32) -> Vec<u16> {
        let inodes = procfs::socket_inodes(pid);
        if inodes.is_empty() {
            return Vec::new();
        }
        let ns = procfs::net_ns_inode(pid).unwrap_or(0);
        let fresh = self
            .listen_cache
            .get(&ns)
            .is_some_and(|(t, _)| t.elapsed() < LISTEN_TABLE_TTL);
        let fetched;
        let table = if fresh {
            &self.listen_cache[&ns].1
        } else {
            fetched = procfs::listening_tcp_ports_of(pid);
            if !fetched.is_empty() {
                self.listen_cache
                    .insert(ns, (Instant::now(), fetched.clone()));
            }
            &fetched
        };
        let mut ports: Vec<u16> = inodes
            .iter()
            .filter_map(|(_, inode)| table.get(inode).copied())
            .collect();
        ports.sort_unstable();
        ports.dedup();
        ports
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pxl_stdlib::runtime::metadata::{MetadataIndex, MetadataProvider};
    use pxl_stdlib::runtime::upid_parts;
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;
    use std::process::{Command, Stdio};

    fn field22(pid: u32) -> u64 {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        let after = &text[text.rfind(')').unwrap() + 1..];
        after.split_whitespace().nth(19).unwrap().parse().unwrap()
    }

    /// Follows process → container → pod → service through the index.
    fn chain(idx: &MetadataIndex, upid: u128) -> (Process, Container, Pod, Service) {
        let (asid, pid, start) = upid_parts(upid);
        let p = idx.process(asid, pid, start).expect("process").clone();
        let c = idx.container(&p.container_id).expect("container").clone();
        let pod = idx.pod(&c.pod_id).expect("pod").clone();
        let svc = idx.service(&pod.service_ids[0]).expect("service").clone();
        (p, c, pod, svc)
    }

    #[test]
    fn observe_self_resolves_through_the_index() {
        let mut h = HostMetadata::new(3, "testhost".into());
        let pid = std::process::id();
        let upid = h.observe_process(pid).unwrap();
        assert_eq!(upid_parts(upid), (3, pid, field22(pid)));
        // Cached: the same UPID again.
        assert_eq!(h.observe_process(pid), Some(upid));
        assert_eq!(h.len(), 1);

        let idx = MetadataIndex::new(h.snapshot());
        let (p, c, pod, svc) = chain(&idx, upid);
        let comm = procfs::read_comm(pid).unwrap();
        assert_eq!(p.hostname, "testhost");
        assert_eq!(p.cmdline, procfs::read_cmdline(pid).unwrap());
        match procfs::read_cgroup(pid) {
            Some(id) => {
                assert_eq!(c.id, id);
                assert_eq!(pod.name, format!("{}-{}", name_part(&comm), &id[..12]));
            }
            None => {
                assert_eq!(c.id, format!("host-{pid}-{}", field22(pid)));
                assert_eq!(pod.name, format!("{}-{pid}", name_part(&comm)));
                assert_eq!(pod.labels["pid"], pid.to_string());
            }
        }
        assert_eq!(c.name, pod.name);
        assert_eq!(c.state, "Running");
        assert_eq!(pod.id, c.id);
        assert_eq!(pod.namespace, "host");
        assert_eq!(pod.node, "testhost");
        assert_eq!(pod.phase, "Running");
        assert_eq!(pod.stop_time_ns, 0);
        assert!(pod.start_time_ns > 1_000_000_000_000_000_000);
        assert!(pod.start_time_ns <= now_ns());
        assert!(svc.name.starts_with(&name_part(&comm)));
        assert_eq!(svc.namespace, "host");
        assert_eq!(svc.id, format!("host-svc-{}", svc.name));
        let by_name = idx.pod_by_name(&format!("host/{}", pod.name)).unwrap();
        assert_eq!(by_name.id, pod.id);
        let svc2 = idx.service_by_name(&format!("host/{}", svc.name)).unwrap();
        assert_eq!(svc2.id, svc.id);
        assert_eq!(idx.node_by_asid(3).unwrap().name, "testhost");
        assert_eq!(idx.namespace_id("host"), Some("host"));
        assert_eq!(idx.container_by_name(&pod.name).unwrap().id, c.id);
        assert_eq!(idx.cluster_name(), "");

        // A vanished pid is not observed.
        assert_eq!(h.observe_process(u32::MAX - 1), None);
    }

    #[test]
    fn own_listening_port_names_the_service() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let mut h = HostMetadata::new(1, "h".into());
        let pid = std::process::id();
        let upid = h.observe_process(pid).unwrap();
        let info = &h.procs[&(pid, upid_parts(upid).2)];
        // Other tests of this binary may listen too: ours is among them and
        // the lowest one names the service.
        assert!(info.ports.contains(&port), "{:?} lacks {port}", info.ports);
        let lowest = info.ports[0];
        let idx = MetadataIndex::new(h.snapshot());
        let (_, _, _, svc) = chain(&idx, upid);
        let comm = procfs::read_comm(pid).unwrap();
        assert_eq!(svc.name, format!("{}:{lowest}", name_part(&comm)));
        drop(listener);
    }

    #[test]
    fn child_server_port_names_the_service() {
        let script = "import socket,sys\n\
                      s=socket.socket(socket.AF_INET6)\n\
                      s.bind(('::',0))\n\
                      s.listen()\n\
                      print(s.getsockname()[1],flush=True)\n\
                      sys.stdin.read()\n";
        let Ok(mut child) = Command::new("python3")
            .args(["-c", script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
        else {
            eprintln!("python3 not available; skipping");
            return;
        };
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line.trim().parse().unwrap();
        let pid = child.id();

        let mut h = HostMetadata::new(1, "h".into());
        let upid = h.observe_process(pid).unwrap();
        let comm = procfs::read_comm(pid).unwrap();
        let idx = MetadataIndex::new(h.snapshot());
        let (p, _, pod, svc) = chain(&idx, upid);
        assert!(
            p.cmdline.contains("python3 -c import socket"),
            "{}",
            p.cmdline
        );
        assert_eq!(svc.name, format!("{comm}:{port}"));
        assert_eq!(pod.phase, "Running");

        // It ends without an exit event: refresh finds it gone.
        child.kill().unwrap();
        child.wait().unwrap();
        h.refresh();
        let idx = MetadataIndex::new(h.snapshot());
        let (_, c, pod, svc2) = chain(&idx, upid);
        assert_eq!(pod.phase, "Unknown");
        assert_eq!(c.state, "Terminated");
        assert!(pod.stop_time_ns > 0);
        assert_eq!(svc2.name, svc.name);

        // An exit event later says how it ended.
        assert!(h.observe_exit(pid, upid_parts(upid).2, 137, 42));
        let idx = MetadataIndex::new(h.snapshot());
        let (_, _, pod, _) = chain(&idx, upid);
        assert_eq!((pod.phase.as_str(), pod.stop_time_ns), ("Failed", 42));

        // Past retention it is dropped.
        let mut h = h.with_retention(Duration::ZERO);
        h.refresh();
        assert!(h.is_empty());
        assert!(h.snapshot().pods.is_empty());
    }

    #[test]
    fn exec_of_a_gone_process() {
        let mut h = HostMetadata::new(2, "h".into());
        let pid = u32::MAX - 7;
        let upid = h.observe_exec(pid, 12345, "ghost\0\0");
        assert_eq!(upid_parts(upid), (2, pid, 12345));
        let idx = MetadataIndex::new(h.snapshot());
        let (p, c, pod, svc) = chain(&idx, upid);
        assert_eq!(p.cmdline, "ghost");
        assert_eq!(c.id, format!("host-{pid}-12345"));
        assert_eq!(pod.name, format!("ghost-{pid}"));
        assert_eq!(pod.phase, "Running");
        assert_eq!(svc.name, "ghost");
        assert!(!h.observe_exit(pid, 99, 0, 1), "unknown and gone");
        assert!(h.observe_exit(pid, 12345, 0, 7));
        let idx = MetadataIndex::new(h.snapshot());
        assert_eq!(chain(&idx, upid).2.phase, "Succeeded");
    }

    fn fake(h: &mut HostMetadata, pid: u32, comm: &str, container: Option<&str>, ports: &[u16]) {
        if let Some(id) = container {
            h.containers
                .entry(id.to_string())
                .or_insert_with(|| comm.to_string());
        }
        h.procs.insert(
            (pid, 1000 + u64::from(pid)),
            ProcInfo {
                comm: comm.to_string(),
                cmdline: String::new(),
                container: container.map(str::to_string),
                ports: ports.to_vec(),
                ports_checked: Instant::now(),
                exit: None,
            },
        );
    }

    fn service_of(idx: &MetadataIndex, asid: u32, pid: u32) -> String {
        let (_, _, pod, svc) = chain(idx, upid(asid, pid, 1000 + u64::from(pid)));
        format!("{}|{}", pod.name, svc.name)
    }

    #[test]
    fn naming_scheme() {
        let mut h = HostMetadata::new(9, "h".into()).with_node_ip("10.0.0.9".into());
        fake(&mut h, 10, "python3", None, &[8000]);
        fake(&mut h, 11, "python3", None, &[8002, 8001]);
        fake(&mut h, 12, "python3", None, &[]);
        fake(&mut h, 13, "gunicorn", None, &[9000]);
        fake(&mut h, 14, "gunicorn", None, &[9000]);
        fake(&mut h, 15, "kworker/0:1 x", None, &[]);
        let id = "ab".repeat(32);
        fake(&mut h, 20, "nginx", Some(&id), &[]);
        fake(&mut h, 21, "worker", Some(&id), &[443, 80]);
        let md = h.snapshot();
        assert_eq!(md.nodes[0].ip, "10.0.0.9");
        assert_eq!(md.processes.len(), 8);
        assert_eq!(md.pods.len(), 7);
        let idx = MetadataIndex::new(md.clone());
        assert_eq!(service_of(&idx, 9, 10), "python3-10|python3:8000");
        assert_eq!(service_of(&idx, 9, 11), "python3-11|python3:8001");
        assert_eq!(service_of(&idx, 9, 12), "python3-12|python3");
        assert_eq!(service_of(&idx, 9, 13), "gunicorn-13|gunicorn:9000");
        assert_eq!(service_of(&idx, 9, 14), "gunicorn-14|gunicorn:9000");
        assert_eq!(service_of(&idx, 9, 15), "kworker_0:1_x-15|kworker_0:1_x");
        assert_eq!(service_of(&idx, 9, 20), "nginx-abababababab|nginx:80");
        assert_eq!(service_of(&idx, 9, 21), "nginx-abababababab|nginx:80");
        // Workers sharing a port share one service.
        let names: Vec<&str> = md.services.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "gunicorn:9000",
                "kworker_0:1_x",
                "nginx:80",
                "python3",
                "python3:8000",
                "python3:8001"
            ]
        );
        let c = idx.container(&id).unwrap();
        assert_eq!(
            (c.pod_id.as_str(), c.name.as_str()),
            (id.as_str(), "nginx-abababababab")
        );
        // Processes keep a container id; the pod has one of them exiting.
        assert!(h.observe_exit(20, 1020, 0, 5));
        let md = h.snapshot();
        let pod = md.pods.iter().find(|p| p.id == id).unwrap();
        assert_eq!(pod.phase, "Running");
        assert!(h.observe_exit(21, 1021, 1, 6));
        let md = h.snapshot();
        let pod = md.pods.iter().find(|p| p.id == id).unwrap();
        assert_eq!((pod.phase.as_str(), pod.stop_time_ns), ("Failed", 6));
    }
}
