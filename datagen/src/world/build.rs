//! Drawing the [`World`]: names, ids, addresses, pids and start times from
//! the seed, the OOM-killed JVM and the short-lived processes that exit.

use super::{
    Customer, ExitW, ExternalW, MS, NodeW, PodW, ProcRole, ProcW, SEC, Sock, SvcW, TICKS_PER_SEC,
    World,
};
use crate::catalog::{
    CITIES, FIRST_NAMES, LAST_NAMES, NAMESPACES, Runtime, SERVICES, SOCKS, STREETS, ServiceSpec,
};
use crate::rng::Rng;
use pxl_stdlib::runtime::metadata::{
    Container, Deployment, Metadata, Namespace, Node, Pod, Process, ReplicaSet, Service,
};
use pxl_stdlib::runtime::{u128_bytes, upid};
use std::collections::{BTreeSet, HashMap};

pub(super) struct Builder {
    rng: Rng,
    end_ns: i64,
    span_ns: i64,
    seed: u64,
    used_pids: Vec<BTreeSet<u32>>,
    used_ips: BTreeSet<String>,
    md: Metadata,
    nodes: Vec<NodeW>,
    services: Vec<SvcW>,
    pods: Vec<PodW>,
    procs: Vec<ProcW>,
    exits: Vec<ExitW>,
    /// Main container id of every pod (index = pod).
    containers: Vec<String>,
}

impl Builder {
    pub(super) fn new(seed: u64, end_ns: i64, span_ns: i64) -> Self {
        Builder {
            rng: Rng::new(seed, "world"),
            end_ns,
            span_ns,
            seed,
            used_pids: Vec::new(),
            used_ips: BTreeSet::new(),
            md: Metadata::default(),
            nodes: Vec::new(),
            services: Vec::new(),
            pods: Vec::new(),
            procs: Vec::new(),
            exits: Vec::new(),
            containers: Vec::new(),
        }
    }

    fn start(&self) -> i64 {
        self.end_ns - self.span_ns
    }

    pub(super) fn build(mut self) -> World {
        self.md.cluster_name = "pxl-demo".into();
        self.md.service_cidr = "10.96.0.0/12".into();
        self.nodes();
        // Each node hands its pods addresses from its own /24 (see `pod`).
        self.md.pod_cidrs = (1..=self.nodes.len())
            .map(|n| format!("10.244.{n}.0/24"))
            .collect();
        for ns in NAMESPACES {
            let id = self.rng.uuid();
            self.md.namespaces.push(Namespace {
                id,
                name: (*ns).into(),
            });
        }
        self.used_ips.insert("10.96.0.1".into());
        self.used_ips.insert("10.96.0.10".into());
        let kubernetes = Service {
            id: self.rng.uuid(),
            name: "kubernetes".into(),
            namespace: "default".into(),
            cluster_ip: "10.96.0.1".into(),
            external_ips: vec![],
        };
        self.md.services.push(kubernetes);
        for spec in SERVICES {
            self.service(spec);
        }
        self.restart_carts();
        self.transients();
        let externals = self.externals();
        let socks = self.socks();
        let customers = self.customers();
        World {
            seed: self.seed,
            end_ns: self.end_ns,
            span_ns: self.span_ns,
            nodes: self.nodes,
            services: self.services,
            pods: self.pods,
            procs: self.procs,
            exits: self.exits,
            externals,
            socks,
            customers,
            metadata: self.md,
        }
    }

    fn nodes(&mut self) {
        let pool = self.rng.hex(8);
        for i in 0..2u32 {
            let name = format!(
                "gke-pxl-demo-default-pool-{pool}-{}",
                self.rng.k8s_suffix(4)
            );
            let ip = format!("10.128.0.{}", 10 + i * 7 + self.rng.below(5) as u32);
            let boot_ns = self.start()
                - self.rng.range(12 * 86_400, 30 * 86_400) * SEC
                - self.rng.range(0, SEC);
            self.md.nodes.push(Node {
                name: name.clone(),
                asid: i + 1,
                ip: ip.clone(),
            });
            self.nodes.push(NodeW {
                name,
                ip,
                asid: i + 1,
                boot_ns,
            });
            self.used_pids.push(BTreeSet::new());
        }
    }

    fn fresh_ip(&mut self, prefix: &str, lo: i64, hi: i64) -> String {
        loop {
            let ip = format!("{prefix}{}", self.rng.range(lo, hi));
            if self.used_ips.insert(ip.clone()) {
                return ip;
            }
        }
    }

    fn fresh_pid(&mut self, node: usize, lo: i64, hi: i64) -> u32 {
        loop {
            let pid = self.rng.range(lo, hi) as u32;
            if self.used_pids[node].insert(pid) {
                return pid;
            }
        }
    }

    fn service(&mut self, spec: &'static ServiceSpec) {
        let svc_idx = self.services.len();
        let id = self.rng.uuid();
        let cluster_ip = match spec.cluster_ip {
            Some(ip) => ip.to_string(),
            None => {
                let third = self.rng.range(0, 255);
                self.fresh_ip(&format!("10.96.{third}."), 2, 254)
            }
        };
        self.md.services.push(Service {
            id: id.clone(),
            name: spec.name.into(),
            namespace: spec.namespace.into(),
            cluster_ip: cluster_ip.clone(),
            external_ips: if spec.name == "frontend" {
                vec!["34.120.16.88".into()]
            } else {
                vec![]
            },
        });
        let deploy_start = self.start() - self.rng.range(8 * 86_400, 40 * 86_400) * SEC;
        let deployment_id = self.rng.uuid();
        self.md.deployments.push(Deployment {
            id: deployment_id.clone(),
            name: spec.deployment.into(),
            namespace: spec.namespace.into(),
            start_time_ns: deploy_start,
            stop_time_ns: 0,
        });
        let hash = self.rng.k8s_suffix(10);
        let rs_name = format!("{}-{hash}", spec.deployment);
        let rs_id = self.rng.uuid();
        let rs_start = deploy_start + self.rng.range(86_400, 6 * 86_400) * SEC;
        self.md.replicasets.push(ReplicaSet {
            id: rs_id.clone(),
            name: rs_name.clone(),
            namespace: spec.namespace.into(),
            deployment_id,
            start_time_ns: rs_start,
            stop_time_ns: 0,
        });
        let first_node = self.rng.below(self.nodes.len());
        let mut pods = Vec::new();
        for r in 0..spec.replicas {
            let node = (first_node + r) % self.nodes.len();
            let node = if spec.name == "pxl-agent" { r } else { node };
            let pod = self.pod(spec, svc_idx, node, &rs_name, &rs_id, &hash, &id);
            pods.push(pod);
        }
        self.services.push(SvcW {
            spec,
            cluster_ip,
            pods,
        });
    }

    // The pod's place in its deployment: service, node and replicaset.
    #[allow(clippy::too_many_arguments)]
    fn pod(
        &mut self,
        spec: &'static ServiceSpec,
        svc: usize,
        node: usize,
        rs_name: &str,
        rs_id: &str,
        hash: &str,
        svc_id: &str,
    ) -> usize {
        let pod_idx = self.pods.len();
        let name = format!("{rs_name}-{}", self.rng.k8s_suffix(5));
        let id = self.rng.uuid();
        let ip = self.fresh_ip(&format!("10.244.{}.", node + 1), 2, 250);
        let agent = spec.name == "pxl-agent";
        let pod_start = if agent {
            self.start() - 20 * SEC - self.rng.range(0, SEC)
        } else {
            self.start() - self.rng.range(3_600, 6 * 86_400) * SEC - self.rng.range(0, SEC)
        };
        let labels = HashMap::from([
            ("app".to_string(), spec.deployment.to_string()),
            ("name".to_string(), spec.deployment.to_string()),
            ("pod-template-hash".to_string(), hash.to_string()),
        ]);
        self.md.pods.push(Pod {
            id: id.clone(),
            name: name.clone(),
            namespace: spec.namespace.into(),
            node: self.nodes[node].name.clone(),
            ip: ip.clone(),
            labels,
            phase: "Running".into(),
            qos: if spec.runtime == Runtime::Jvm {
                "Guaranteed"
            } else {
                "Burstable"
            }
            .into(),
            start_time_ns: pod_start,
            stop_time_ns: 0,
            service_ids: vec![svc_id.to_string()],
            replicaset_id: rs_id.to_string(),
        });
        self.pods.push(PodW {
            name: name.clone(),
            id: id.clone(),
            ip,
            node,
            svc,
            main: vec![],
            sidecar: None,
        });
        // Containers start a few seconds after the pod; the agent's process
        // starts just before the data does.
        let c_start = if agent {
            self.start() - 2 * SEC - self.rng.range(0, 500) * MS
        } else {
            pod_start + self.rng.range(2_000, 9_000) * MS
        };
        let container = self.container(spec.deployment_container(), &id, c_start);
        let p_start = c_start + self.rng.range(20, 400) * MS;
        let main = self.process(
            pod_idx,
            &container,
            &name,
            spec.comm,
            spec.cmdline,
            p_start,
            ProcRole::Main,
            spec.runtime,
        );
        self.set_profile(main, spec.rss_mib, spec.cpu, spec.threads);
        self.pods[pod_idx].main.push(main);
        self.containers.push(container);
        if let Some(sc) = &spec.sidecar {
            let c2_start = c_start + self.rng.range(5, 300) * MS;
            let c2 = self.container(sc.container, &id, c2_start);
            let start = c_start + self.rng.range(400, 1_500) * MS;
            let p = self.process(
                pod_idx,
                &c2,
                &name,
                sc.comm,
                sc.cmdline,
                start,
                ProcRole::Sidecar,
                sc.runtime,
            );
            self.set_profile(p, 14.0, 0.004, 7);
            self.pods[pod_idx].sidecar = Some(p);
        }
        pod_idx
    }

    fn container(&mut self, name: &str, pod_id: &str, start: i64) -> String {
        let id = self.rng.hex(64);
        self.md.containers.push(Container {
            id: id.clone(),
            name: name.into(),
            pod_id: pod_id.into(),
            state: "Running".into(),
            start_time_ns: start,
            stop_time_ns: 0,
        });
        id
    }

    // Everything the metadata records about a process.
    #[allow(clippy::too_many_arguments)]
    fn process(
        &mut self,
        pod: usize,
        container: &str,
        hostname: &str,
        comm: &'static str,
        cmdline: &str,
        start_ns: i64,
        role: ProcRole,
        runtime: Runtime,
    ) -> usize {
        let node = self.pods[pod].node;
        let pid = match role {
            ProcRole::Transient => self.fresh_pid(node, 60_000, 400_000),
            _ => self.fresh_pid(node, 1_200, 59_999),
        };
        let boot = self.nodes[node].boot_ns;
        let start_ticks = ((start_ns - boot) / (SEC / TICKS_PER_SEC)) as u64;
        let asid = self.nodes[node].asid;
        self.md.processes.push(Process {
            asid,
            pid,
            start_ticks,
            cmdline: cmdline.into(),
            hostname: hostname.into(),
            container_id: container.into(),
        });
        self.procs.push(ProcW {
            upid: u128_bytes(upid(asid, pid, start_ticks)),
            pid,
            pod,
            comm,
            runtime,
            role,
            start_ns,
            stop_ns: i64::MAX,
            rss: 0.0,
            cpu: 0.0,
            threads: 1,
        });
        self.procs.len() - 1
    }

    fn set_profile(&mut self, p: usize, rss_mib: f64, cpu: f64, threads: i64) {
        let rss = self.rng.jitter(rss_mib, 0.15) * 1_048_576.0;
        let cpu = self.rng.jitter(cpu, 0.25);
        let proc = &mut self.procs[p];
        proc.rss = rss;
        proc.cpu = cpu;
        proc.threads = threads;
    }

    /// The first carts pod's JVM is OOM-killed a little after the middle
    /// of the span; the kubelet restarts its container.
    fn restart_carts(&mut self) {
        let svc = self
            .services
            .iter()
            .position(|s| s.spec.name == "carts")
            .expect("carts");
        let spec = self.services[svc].spec;
        let pod = self.services[svc].pods[0];
        let old = self.pods[pod].main[0];
        let kill = self.start() + self.span_ns * 11 / 20 + self.rng.range(0, SEC);
        self.procs[old].stop_ns = kill;
        let old_cid = self.containers[pod].clone();
        if let Some(c) = self.md.containers.iter_mut().find(|c| c.id == old_cid) {
            c.state = "Terminated".into();
            c.stop_time_ns = kill;
        }
        self.exits.push(ExitW {
            t: kill,
            proc: old,
            exit_code: 0,
            signal: 9,
        });
        let pod_id = self.pods[pod].id.clone();
        let name = self.pods[pod].name.clone();
        let c_start = kill + self.rng.range(1_000, 2_500) * MS;
        let cid = self.container(spec.name, &pod_id, c_start);
        let p_start = c_start + self.rng.range(50, 200) * MS;
        let p = self.process(
            pod,
            &cid,
            &name,
            spec.comm,
            spec.cmdline,
            p_start,
            ProcRole::Main,
            spec.runtime,
        );
        self.set_profile(p, spec.rss_mib * 0.7, spec.cpu, spec.threads);
        self.pods[pod].main.push(p);
        self.containers[pod] = cid;
    }

    /// Short-lived processes (health probes, scripts) that exit with an
    /// error during the span.
    fn transients(&mut self) {
        const EXITS: &[(&str, &str, &str, i64, i64, f64)] = &[
            (
                "orders",
                "sh",
                "/bin/sh -c curl -sf http://localhost:80/health || exit 1",
                1,
                0,
                0.12,
            ),
            (
                "frontend",
                "node",
                "node /usr/src/app/scripts/warm-cache.js",
                1,
                0,
                0.21,
            ),
            (
                "user-db",
                "pg_isready",
                "pg_isready -U postgres -h 127.0.0.1",
                2,
                0,
                0.31,
            ),
            (
                "catalogue-db",
                "mysqladmin",
                "mysqladmin ping -h 127.0.0.1 --silent",
                1,
                0,
                0.64,
            ),
            (
                "payment",
                "wget",
                "wget -q -T 1 -O- http://localhost:80/health",
                1,
                0,
                0.655,
            ),
            (
                "payment",
                "wget",
                "wget -q -T 1 -O- http://localhost:80/health",
                1,
                0,
                0.675,
            ),
            ("session-db", "redis-cli", "redis-cli ping", 1, 0, 0.83),
            (
                "load-test",
                "python",
                "python /config/report.py --out /tmp/report.html",
                0,
                15,
                0.91,
            ),
        ];
        for &(svc_name, comm, cmdline, exit_code, signal, at) in EXITS {
            let svc = self
                .services
                .iter()
                .position(|s| s.spec.name == svc_name)
                .expect("svc");
            let pod = self.services[svc].pods[0];
            let t = self.start() + (self.span_ns as f64 * at) as i64 + self.rng.range(0, SEC);
            let start = t - self.rng.range(30, 2_000) * MS;
            let cid = self.containers[pod].clone();
            let host = self.pods[pod].name.clone();
            let runtime = self.services[svc].spec.runtime;
            let p = self.process(
                pod,
                &cid,
                &host,
                comm,
                cmdline,
                start,
                ProcRole::Transient,
                runtime,
            );
            self.procs[p].stop_ns = t;
            self.exits.push(ExitW {
                t,
                proc: p,
                exit_code,
                signal,
            });
        }
        self.exits.sort_by_key(|e| e.t);
    }

    fn externals(&mut self) -> Vec<ExternalW> {
        let mut clients = Vec::new();
        for _ in 0..24 {
            let prefix = *self.rng.pick(&["203.0.113.", "198.51.100."]);
            clients.push(format!("{prefix}{}", self.rng.range(2, 254)));
        }
        vec![
            ExternalW {
                host: "",
                ips: clients,
                port: 0,
            },
            ExternalW {
                host: "api.payment-gw.example",
                ips: vec!["192.0.2.10".into(), "192.0.2.11".into()],
                port: 443,
            },
            ExternalW {
                host: "api.mail.example",
                ips: vec!["192.0.2.45".into()],
                port: 443,
            },
            ExternalW {
                host: "dns.google",
                ips: vec!["8.8.8.8".into(), "8.8.4.4".into()],
                port: 53,
            },
        ]
    }

    fn socks(&mut self) -> Vec<Sock> {
        SOCKS
            .iter()
            .map(|&(name, description, price, tags)| Sock {
                id: self.rng.uuid(),
                name,
                description,
                price,
                count: self.rng.range(0, 400),
                tags,
            })
            .collect()
    }

    fn customers(&mut self) -> Vec<Customer> {
        (0..48)
            .map(|_| {
                let first = *self.rng.pick(FIRST_NAMES);
                let last = *self.rng.pick(LAST_NAMES);
                let &(city, country) = self.rng.pick(CITIES);
                Customer {
                    id: self.mongo_id(),
                    first,
                    last,
                    username: format!(
                        "{}_{}{}",
                        first.to_lowercase(),
                        last.to_lowercase(),
                        self.rng.below(90) + 10
                    ),
                    address_id: self.mongo_id(),
                    card_id: self.mongo_id(),
                    street: STREETS[self.rng.below(STREETS.len())],
                    number: self.rng.range(1, 240),
                    city,
                    country,
                    card_end: format!("{:04}", self.rng.below(10_000)),
                }
            })
            .collect()
    }

    /// A MongoDB ObjectId: 4 bytes of seconds, then random bytes.
    fn mongo_id(&mut self) -> String {
        let secs = (self.start() / SEC - self.rng.range(86_400, 400 * 86_400)) as u32;
        format!("{secs:08x}{}", self.rng.hex(16))
    }
}
