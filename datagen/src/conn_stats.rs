//! `conn_stats`: one key per connection endpoint seen by a process (the
//! client side per server pod and port, the server side per client
//! connection), derived from the flows of every protocol table, with
//! counters that run from the start of tracing.

use crate::columns::{Cols, Str, i64s, upids};
use crate::rng::{Rng, mix};
use crate::stats::{Sampler, load};
use crate::traffic::{CONNS_PER_PAIR, Flow, Peer, ephemeral_port};
use crate::world::{SEC, World};
use crate::{Gen, Window};
use datafusion::arrow::array::BooleanBuilder;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug)]
struct ConnKey {
    pod: usize,
    sidecar: bool,
    remote_addr: String,
    remote_port: i64,
    role: i64,
    protocol: i64,
    ssl: bool,
    /// Requests per second, bytes per request and per response.
    rate: f64,
    req_bytes: f64,
    resp_bytes: f64,
    /// Connections kept open (0: one connection per request).
    conns: i64,
}

/// (requests/s per unit of flow weight, request bytes, response bytes) of
/// each protocol.
fn protocol_scale(protocol: i64) -> (f64, f64, f64) {
    match protocol {
        1 => (1.0, 450.0, 1_400.0),
        3 => (60.0, 180.0, 900.0),
        4 => (8.0, 200.0, 250.0),
        5 => (25.0, 150.0, 300.0),
        6 => (2.0, 60.0, 120.0),
        7 => (80.0, 70.0, 150.0),
        8 => (15.0, 180.0, 20.0),
        9 => (30.0, 300.0, 600.0),
        10 => (8.0, 300.0, 400.0),
        11 => (20.0, 250.0, 400.0),
        _ => (10.0, 200.0, 60.0),
    }
}

fn conn_keys(w: &World) -> Vec<ConnKey> {
    let mut groups = vec![(1, crate::endpoints::flows(w))];
    groups.extend(crate::sql::flows(w));
    groups.extend(crate::messaging::flows(w));
    let mut keys: BTreeMap<(usize, bool, String, i64, i64), ConnKey> = BTreeMap::new();
    let mut add = |pod: usize,
                   sidecar: bool,
                   addr: &str,
                   port: i64,
                   role: i64,
                   p: i64,
                   f: &Flow,
                   rate: f64,
                   conns: i64| {
        let (_, rb, pb) = protocol_scale(p);
        let k = keys
            .entry((pod, sidecar, addr.to_string(), port, role))
            .or_insert_with(|| ConnKey {
                pod,
                sidecar,
                remote_addr: addr.to_string(),
                remote_port: port,
                role,
                protocol: if f.port == 53 { 6 } else { p },
                ssl: f.encrypted,
                rate: 0.0,
                req_bytes: rb,
                resp_bytes: pb,
                conns,
            });
        k.rate += rate;
    };
    for (p, flows) in groups {
        let scale = protocol_scale(p).0;
        for f in &flows {
            let rate = f.weight * scale;
            let port = i64::from(f.port);
            match (f.client, f.server) {
                (Peer::Svc(_), Peer::Svc(s)) if f.loopback => {
                    for &sp in &w.services[s].pods {
                        add(sp, true, "127.0.0.1", port, 1, p, f, rate, 1);
                        let eph = ephemeral_port(w.seed, sp, sp, f.port, 0);
                        add(sp, false, "127.0.0.1", eph, 2, p, f, rate, 1);
                    }
                }
                (Peer::Svc(c), Peer::Svc(s)) => {
                    let (cpods, spods) = (&w.services[c].pods, &w.services[s].pods);
                    let pair = rate / (cpods.len() * spods.len()) as f64;
                    for &cp in cpods {
                        for &sp in spods {
                            let direct = pair * (1.0 - f.via_cluster_ip);
                            add(
                                cp,
                                false,
                                &w.pods[sp].ip,
                                port,
                                1,
                                p,
                                f,
                                direct,
                                CONNS_PER_PAIR as i64,
                            );
                            if f.via_cluster_ip > 0.0 {
                                let ip = &w.services[s].cluster_ip;
                                let via = pair * f.via_cluster_ip;
                                add(cp, false, ip, i64::from(f.svc_port), 1, p, f, via, 1);
                            }
                            for conn in 0..CONNS_PER_PAIR {
                                let eph = ephemeral_port(w.seed, cp, sp, f.port, conn);
                                let r = pair / CONNS_PER_PAIR as f64;
                                add(sp, false, &w.pods[cp].ip, eph, 2, p, f, r, 1);
                            }
                        }
                    }
                }
                (Peer::Ext(e), Peer::Svc(s)) => {
                    let spods = &w.services[s].pods;
                    let ips = &w.externals[e].ips;
                    let total: f64 = (1..=ips.len()).map(|j| 1.0 / (j as f64).powf(0.9)).sum();
                    for &sp in spods {
                        for (j, ip) in ips.iter().enumerate() {
                            let share = 1.0 / ((j + 1) as f64).powf(0.9) / total;
                            let eph = 32_768
                                + (mix(w.seed ^ (sp as u64) << 20 ^ j as u64) % 28_232) as i64;
                            let r = rate * share / spods.len() as f64;
                            add(sp, false, ip, eph, 2, p, f, r, 1);
                        }
                    }
                }
                (Peer::Kubelet, Peer::Svc(s)) => {
                    for &sp in &w.services[s].pods {
                        let node_ip = &w.nodes[w.pods[sp].node].ip;
                        let eph = 32_768 + (mix(w.seed ^ 0xcafe ^ sp as u64) % 28_232) as i64;
                        add(sp, false, node_ip, eph, 2, p, f, rate, 0);
                    }
                }
                (Peer::Svc(c), Peer::Ext(e)) => {
                    let cpods = &w.services[c].pods;
                    let ips = &w.externals[e].ips;
                    for &cp in cpods {
                        for ip in ips {
                            let r = rate / (cpods.len() * ips.len()) as f64;
                            add(cp, false, ip, port, 1, p, f, r, 2);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    keys.into_values().collect()
}

#[derive(Default, Clone)]
struct ConnState {
    proc: Option<usize>,
    last: i64,
    open: f64,
    sent: f64,
    recv: f64,
}

pub(crate) struct ConnStats<'w> {
    w: &'w World,
    win: Window,
    keys: Vec<ConnKey>,
    state: Vec<ConnState>,
    sampler: Sampler,
}

impl<'w> ConnStats<'w> {
    pub(crate) fn new(w: &'w World, win: Window, target: usize) -> Self {
        let keys = conn_keys(w);
        ConnStats {
            w,
            win,
            state: vec![ConnState::default(); keys.len()],
            sampler: Sampler::new(win, keys.len(), target),
            keys,
        }
    }
}

impl Gen for ConnStats<'_> {
    fn next(&mut self, rng: &mut Rng, max: usize) -> Option<Cols> {
        let mut time = Vec::new();
        let mut upid = Vec::new();
        let mut addr = Str::new(0, 0);
        let mut ssl = BooleanBuilder::new();
        let [mut port, mut role, mut family, mut protocol] = [(); 4].map(|_| Vec::new());
        let [mut open, mut close, mut active, mut sent, mut recv] = [(); 5].map(|_| Vec::new());
        while time.len() < max {
            let Some((t, i)) = self.sampler.next() else {
                break;
            };
            let k = &self.keys[i];
            let proc = if k.sidecar {
                self.w.pods[k.pod].sidecar
            } else {
                self.w.pod_proc(k.pod, t)
            };
            let Some(proc) = proc else {
                continue;
            };
            let s = &mut self.state[i];
            if s.proc != Some(proc) {
                // Counters start when tracing (or the process) starts.
                *s = ConnState {
                    proc: Some(proc),
                    last: self.win.start().max(self.w.procs[proc].start_ns),
                    open: k.conns as f64,
                    ..ConnState::default()
                };
            }
            let dt = (t - s.last) as f64 / SEC as f64;
            s.last = t;
            let reqs = k.rate * dt * load(self.win, t) * rng.jitter(1.0, 0.3);
            let (out_b, in_b) = if k.role == 1 {
                (k.req_bytes, k.resp_bytes)
            } else {
                (k.resp_bytes, k.req_bytes)
            };
            s.sent += reqs * rng.jitter(out_b, 0.2);
            s.recv += reqs * rng.jitter(in_b, 0.2);
            // Kept-open connections are replaced now and then; the others
            // are opened and closed for every request.
            s.open += if k.conns == 0 {
                reqs
            } else {
                dt / 300.0 * rng.f64() * 2.0
            };
            let opened = s.open.floor() as i64;
            time.push(t);
            upid.extend_from_slice(&self.w.procs[proc].upid);
            addr.push(&k.remote_addr);
            port.push(k.remote_port);
            role.push(k.role);
            family.push(1);
            protocol.push(k.protocol);
            ssl.append_value(k.ssl);
            open.push(opened);
            close.push(opened - k.conns);
            active.push(k.conns);
            sent.push(s.sent as i64);
            recv.push(s.recv as i64);
        }
        if time.is_empty() {
            return None;
        }
        Some(vec![
            ("time_", i64s(&mut time)),
            ("upid", upids(&mut upid)),
            ("remote_addr", addr.finish()),
            ("remote_port", i64s(&mut port)),
            ("trace_role", i64s(&mut role)),
            ("addr_family", i64s(&mut family)),
            ("protocol", i64s(&mut protocol)),
            ("ssl", Arc::new(ssl.finish())),
            ("conn_open", i64s(&mut open)),
            ("conn_close", i64s(&mut close)),
            ("conn_active", i64s(&mut active)),
            ("bytes_sent", i64s(&mut sent)),
            ("bytes_recv", i64s(&mut recv)),
        ])
    }
}
