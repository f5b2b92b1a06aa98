//! Who talks to whom. A [`Flow`] is traffic of one kind from a client to a
//! server; [`Traffic`] turns a weighted set of flows into [`Exchange`]s —
//! one traced side of one request, with the process, addresses and ports
//! as that side's socket sees them. Both sides of in-cluster traffic are
//! traced (trace_role 1 = client, 2 = server); traffic with the outside
//! world only on the side that is in the cluster.

use crate::rng::{Cdf, Rng, mix};
use crate::world::{EXT_CLIENTS, World};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Peer {
    /// The main processes of a service's pods.
    Svc(usize),
    /// An address outside the cluster (`World::externals`).
    Ext(usize),
    /// The kubelet of the server pod's node (health probes; not traced).
    Kubelet,
}

#[derive(Debug, Clone)]
pub(crate) struct Flow {
    pub client: Peer,
    pub server: Peer,
    /// Port the server process listens on.
    pub port: u16,
    /// Port of the server's Kubernetes service (what clients dial).
    pub svc_port: u16,
    /// Relative rate of requests.
    pub weight: f64,
    /// Meaning depends on the table (the endpoint or operation family).
    pub op: usize,
    /// The client is the server pod's sidecar, over loopback.
    pub loopback: bool,
    pub encrypted: bool,
    /// Share of client-side rows that show the service's cluster IP (no
    /// conntrack translation) instead of the server pod's IP.
    pub via_cluster_ip: f64,
}

impl Flow {
    /// Traffic from service `client` to service `server` (by name; `server`
    /// may also be an external peer via [`Flow::to_ext`]).
    pub(crate) fn new(world: &World, client: &str, server: &str, weight: f64) -> Flow {
        let s = world.svc(server);
        let spec = world.services[s].spec;
        Flow {
            client: match client {
                "kubelet" => Peer::Kubelet,
                "external" => Peer::Ext(EXT_CLIENTS),
                c => Peer::Svc(world.svc(c)),
            },
            server: Peer::Svc(s),
            port: spec.port,
            svc_port: spec.svc_port,
            weight,
            op: 0,
            loopback: false,
            encrypted: false,
            via_cluster_ip: VIA_CLUSTER_IP,
        }
    }

    pub(crate) fn to_ext(world: &World, client: &str, ext: usize, weight: f64) -> Flow {
        let port = world.externals[ext].port;
        Flow {
            client: Peer::Svc(world.svc(client)),
            server: Peer::Ext(ext),
            port,
            svc_port: port,
            weight,
            op: 0,
            loopback: false,
            encrypted: port == 443,
            via_cluster_ip: 0.0,
        }
    }

    pub(crate) fn op(mut self, op: usize) -> Self {
        self.op = op;
        self
    }

    pub(crate) fn port(mut self, port: u16) -> Self {
        self.port = port;
        self.svc_port = port;
        self
    }

    pub(crate) fn via_cluster_ip(mut self, p: f64) -> Self {
        self.via_cluster_ip = p;
        self
    }

    /// From the server pod's own sidecar over 127.0.0.1.
    pub(crate) fn loopback(mut self) -> Self {
        self.loopback = true;
        self
    }

    /// (client traced, server traced).
    pub(crate) fn sides(&self) -> (bool, bool) {
        (
            matches!(self.client, Peer::Svc(_)),
            matches!(self.server, Peer::Svc(_)),
        )
    }
}

/// One traced side of one request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Exchange<'w> {
    pub t: i64,
    pub flow: usize,
    /// 1 = client side, 2 = server side.
    pub role: i64,
    pub upid: &'w [u8; 16],
    pub local_addr: &'w str,
    pub local_port: i64,
    pub remote_addr: &'w str,
    pub remote_port: i64,
    pub encrypted: bool,
}

/// Connections kept open between a client pod and a server pod.
pub(crate) const CONNS_PER_PAIR: u64 = 4;
/// Default of [`Flow::via_cluster_ip`].
const VIA_CLUSTER_IP: f64 = 0.15;

/// Samples exchanges of a set of flows.
pub(crate) struct Traffic<'w> {
    pub world: &'w World,
    pub flows: Vec<Flow>,
    sides: Vec<(usize, i64)>,
    cdf: Cdf,
    ext_clients: Cdf,
}

impl<'w> Traffic<'w> {
    pub(crate) fn new(world: &'w World, flows: Vec<Flow>) -> Self {
        let mut sides = Vec::new();
        let mut weights = Vec::new();
        for (i, f) in flows.iter().enumerate() {
            let (c, s) = f.sides();
            if c {
                sides.push((i, 1));
                weights.push(f.weight);
            }
            if s {
                sides.push((i, 2));
                weights.push(f.weight);
            }
        }
        let ext_clients = Cdf::zipf(world.externals[EXT_CLIENTS].ips.len(), 0.9);
        Traffic {
            world,
            flows,
            sides,
            cdf: Cdf::new(weights),
            ext_clients,
        }
    }

    /// The exchange of one request at `t`.
    #[inline]
    pub(crate) fn next(&self, rng: &mut Rng, t: i64) -> Exchange<'w> {
        let w = self.world;
        let (fi, role) = self.sides[self.cdf.sample(rng)];
        let f = &self.flows[fi];
        let hint = rng.below(64);
        let server = match f.server {
            Peer::Svc(s) => Some(w.serving(s, hint, t)),
            _ => None,
        };
        let client = match f.client {
            Peer::Svc(_) if f.loopback => {
                let (pod, _) = server.expect("loopback flows have a server pod");
                w.pods[pod].sidecar.map(|p| (pod, p))
            }
            Peer::Svc(c) => Some(w.serving(c, rng.below(64), t)),
            _ => None,
        };
        let conn = rng.below(CONNS_PER_PAIR as usize) as u64;
        let eph = match client {
            Some((cpod, _)) => ephemeral_port(
                w.seed,
                cpod,
                server.map_or(usize::MAX, |s| s.0),
                f.port,
                conn,
            ),
            // Outside clients and the kubelet open connections freely.
            None => rng.range(32_768, 60_999),
        };
        // Addresses of the client and the server as the *other* side sees them.
        let client_addr: &'w str = match (f.client, client) {
            _ if f.loopback => "127.0.0.1",
            (_, Some((pod, _))) => &w.pods[pod].ip,
            (Peer::Ext(e), _) => {
                let ips = &w.externals[e].ips;
                if e == EXT_CLIENTS {
                    &ips[self.ext_clients.sample(rng)]
                } else {
                    &ips[rng.below(ips.len())]
                }
            }
            // The kubelet probes from its node's address.
            _ => &w.nodes[w.pods[server.expect("kubelet probes a pod").0].node].ip,
        };
        let encrypted = f.encrypted;
        if role == 1 {
            let (_, cproc) = client.expect("client side is traced only in the cluster");
            let (remote_addr, remote_port): (&'w str, i64) = match (f.server, server) {
                _ if f.loopback => ("127.0.0.1", i64::from(f.port)),
                (Peer::Svc(s), Some((spod, _))) => {
                    if rng.chance(f.via_cluster_ip) {
                        (&w.services[s].cluster_ip, i64::from(f.svc_port))
                    } else {
                        (&w.pods[spod].ip, i64::from(f.port))
                    }
                }
                (Peer::Ext(e), _) => {
                    let ips = &w.externals[e].ips;
                    (&ips[(conn as usize) % ips.len()], i64::from(f.port))
                }
                _ => unreachable!("servers are services or external"),
            };
            Exchange {
                t,
                flow: fi,
                role,
                upid: &w.procs[cproc].upid,
                local_addr: client_addr,
                local_port: eph,
                remote_addr,
                remote_port,
                encrypted,
            }
        } else {
            let (spod, sproc) = server.expect("server side is traced only in the cluster");
            Exchange {
                t,
                flow: fi,
                role,
                upid: &w.procs[sproc].upid,
                local_addr: if f.loopback {
                    "127.0.0.1"
                } else {
                    &w.pods[spod].ip
                },
                local_port: i64::from(f.port),
                remote_addr: client_addr,
                remote_port: eph,
                encrypted,
            }
        }
    }
}

/// The client port of connection `conn` from a client pod to a server pod's
/// port (Linux's default ephemeral range 32768-60999).
pub(crate) fn ephemeral_port(
    seed: u64,
    client_pod: usize,
    server_pod: usize,
    port: u16,
    conn: u64,
) -> i64 {
    let h = mix(seed
        ^ mix((client_pod as u64) << 40 ^ (server_pod as u64) << 24 ^ u64::from(port) << 4 ^ conn));
    32_768 + (h % 28_232) as i64
}
