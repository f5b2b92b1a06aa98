//! `dns_events`: every pod resolves the services it calls through the
//! cluster DNS (A and AAAA); names outside the cluster first walk the
//! search domains (NXDOMAIN) and are forwarded upstream, which now and
//! then fails (SERVFAIL).

use crate::Window;
use crate::catalog::SHOP;
use crate::columns::{Cols, Str, i64s};
use crate::proto::{Payload, ProtoGen, Row};
use crate::rng::Rng;
use crate::traffic::Flow;
use crate::world::{EXT_DNS, EXT_MAIL, EXT_PAYMENT_GW, SEC, World};

/// One question and the answer the cluster DNS gives.
struct Query {
    name: String,
    qtype: &'static str,
    /// (name, type, value) of each answer record.
    answers: Vec<(String, &'static str, String)>,
    rcode: i64,
    authoritative: bool,
    median_ms: f64,
}

/// Which services and outside hosts each client looks up.
const LOOKUPS: &[(&str, &[&str], &[&str])] = &[
    (
        "frontend",
        &["catalogue", "carts", "orders", "users", "session-db"],
        &[],
    ),
    ("catalogue", &["catalogue-db"], &[]),
    ("carts", &["carts-db"], &[]),
    (
        "orders",
        &[
            "orders-db",
            "payment",
            "users",
            "carts",
            "shipping",
            "kafka",
            "nats",
        ],
        &["api.mail.example"],
    ),
    ("payment", &["nats"], &["api.payment-gw.example"]),
    ("users", &["user-db"], &[]),
    ("shipping", &["rabbitmq", "cassandra", "kafka"], &[]),
    ("queue-master", &["rabbitmq", "cassandra"], &[]),
    ("load-test", &["frontend"], &[]),
];

fn queries_and_flows(w: &World) -> (Vec<Query>, Vec<Flow>) {
    let mut queries = Vec::new();
    let mut flows = Vec::new();
    let mut add = |q: Query, client: &str, weight: f64, flows: &mut Vec<Flow>| {
        let f = if client == "upstream" {
            Flow::to_ext(w, "kube-dns", EXT_DNS, weight)
        } else {
            Flow::new(w, client, "kube-dns", weight).via_cluster_ip(0.95)
        };
        flows.push(f.op(queries.len()));
        queries.push(q);
    };
    for &(client, services, hosts) in LOOKUPS {
        for &svc in services {
            let s = &w.services[w.svc(svc)];
            let name = format!("{svc}.{}.svc.cluster.local", s.spec.namespace);
            let a = Query {
                name: name.clone(),
                qtype: "A",
                answers: vec![(name.clone(), "A", s.cluster_ip.clone())],
                rcode: 0,
                authoritative: true,
                median_ms: 0.3,
            };
            add(a, client, 1.0, &mut flows);
            let aaaa = Query {
                name,
                qtype: "AAAA",
                answers: vec![],
                rcode: 0,
                authoritative: true,
                median_ms: 0.3,
            };
            add(aaaa, client, 0.6, &mut flows);
        }
        for &host in hosts {
            // ndots:5 makes the resolver try the search domains first.
            for suffix in [
                format!(".{SHOP}.svc.cluster.local"),
                ".svc.cluster.local".into(),
                ".cluster.local".into(),
            ] {
                let nx = Query {
                    name: format!("{host}{suffix}"),
                    qtype: "A",
                    answers: vec![],
                    rcode: 3,
                    authoritative: true,
                    median_ms: 0.25,
                };
                add(nx, client, 0.5, &mut flows);
            }
            let ext = &w.externals[if host.starts_with("api.mail") {
                EXT_MAIL
            } else {
                EXT_PAYMENT_GW
            }];
            let mut answers = Vec::new();
            let mut target = host.to_string();
            if host.starts_with("api.mail") {
                answers.push((host.to_string(), "CNAME", "mail-lb.example.net".to_string()));
                target = "mail-lb.example.net".into();
            }
            for ip in &ext.ips {
                answers.push((target.clone(), "A", ip.clone()));
            }
            let q = |answers| Query {
                name: host.to_string(),
                qtype: "A",
                answers,
                rcode: 0,
                authoritative: false,
                median_ms: 6.0,
            };
            add(q(answers.clone()), client, 0.5, &mut flows);
            add(q(answers), "upstream", 0.2, &mut flows);
        }
    }
    // A client with a stale service name in its configuration.
    let typo = Query {
        name: format!("catalog.{SHOP}.svc.cluster.local"),
        qtype: "A",
        answers: vec![],
        rcode: 3,
        authoritative: true,
        median_ms: 0.25,
    };
    add(typo, "frontend", 0.08, &mut flows);
    (queries, flows)
}

/// The rendered texts of one query.
struct QueryText {
    req_body: String,
    /// Response header after `{"txid":N`.
    resp_header_tail: String,
    resp_body: String,
    answers: String,
}

fn render(q: &Query, rcode: i64) -> QueryText {
    let answers: &[(String, &str, String)] = if rcode == 0 { &q.answers } else { &[] };
    let records: Vec<String> = answers
        .iter()
        .map(|(name, ty, value)| {
            let key = if *ty == "CNAME" { "cname" } else { "addr" };
            format!(r#"{{"name":"{name}","type":"{ty}","{key}":"{value}"}}"#)
        })
        .collect();
    QueryText {
        req_body: format!(
            r#"{{"queries":[{{"name":"{}","type":"{}"}}]}}"#,
            q.name, q.qtype
        ),
        resp_header_tail: format!(
            r#","qr":1,"opcode":0,"aa":{},"tc":0,"rd":1,"ra":1,"ad":0,"cd":0,"rcode":{rcode},"num_queries":1,"num_answers":{},"num_auth":{},"num_addl":0}}"#,
            i64::from(q.authoritative && rcode != 2),
            records.len(),
            i64::from(rcode == 3 || (rcode == 0 && records.is_empty())),
        ),
        resp_body: format!(r#"{{"answers":[{}]}}"#, records.join(",")),
        answers: answers
            .iter()
            .map(|(_, _, v)| v.as_str())
            .collect::<Vec<_>>()
            .join(","),
    }
}

pub(crate) struct Dns {
    queries: Vec<Query>,
    ok: Vec<QueryText>,
    servfail: Vec<QueryText>,
    req_header: Str,
    req_body: Str,
    resp_header: Str,
    resp_body: Str,
    latency: Vec<i64>,
    query_name: Str,
    query_type: Str,
    resp_code: Vec<i64>,
    answers: Str,
}

const DNS_REQ_HEADER_TAIL: &str = r#","qr":0,"opcode":0,"aa":0,"tc":0,"rd":1,"ra":0,"ad":0,"cd":0,"rcode":0,"num_queries":1,"num_answers":0,"num_auth":0,"num_addl":0}"#;

impl Payload for Dns {
    fn table(&self) -> &'static str {
        "dns_events"
    }

    fn row(&mut self, rng: &mut Rng, row: &Row) {
        let qi = row.flow.op;
        let q = &self.queries[qi];
        // Lookups forwarded upstream sometimes time out.
        let servfail = !q.authoritative && rng.chance(0.004);
        let (text, rcode) = if servfail {
            (&self.servfail[qi], 2)
        } else {
            (&self.ok[qi], q.rcode)
        };
        let txid = rng.below(65_536) as i64;
        for h in [&mut self.req_header, &mut self.resp_header] {
            h.part(r#"{"txid":"#);
            h.int(txid);
        }
        self.req_header.part(DNS_REQ_HEADER_TAIL);
        self.req_header.end();
        self.resp_header.part(&text.resp_header_tail);
        self.resp_header.end();
        self.req_body.push(&text.req_body);
        self.resp_body.push(&text.resp_body);
        self.query_name.push(&q.name);
        self.query_type.push(q.qtype);
        self.resp_code.push(rcode);
        self.answers.push(&text.answers);
        let latency = if servfail {
            (2 * SEC) as f64 / 1e6
        } else {
            q.median_ms
        };
        self.latency.push(row.latency(rng, latency, 0.6));
    }

    fn finish(&mut self) -> Cols {
        vec![
            ("req_header", self.req_header.finish()),
            ("req_body", self.req_body.finish()),
            ("resp_header", self.resp_header.finish()),
            ("resp_body", self.resp_body.finish()),
            ("latency", i64s(&mut self.latency)),
            ("query_name", self.query_name.finish()),
            ("query_type", self.query_type.finish()),
            ("resp_code", i64s(&mut self.resp_code)),
            ("answers", self.answers.finish()),
        ]
    }
}

pub(crate) fn dns(w: &World, win: Window, rows: usize) -> ProtoGen<'_, Dns> {
    let (queries, flows) = queries_and_flows(w);
    let payload = Dns {
        ok: queries.iter().map(|q| render(q, q.rcode)).collect(),
        servfail: queries.iter().map(|q| render(q, 2)).collect(),
        queries,
        req_header: Str::new(0, 0),
        req_body: Str::new(0, 0),
        resp_header: Str::new(0, 0),
        resp_body: Str::new(0, 0),
        latency: Vec::new(),
        query_name: Str::new(0, 0),
        query_type: Str::new(0, 0),
        resp_code: Vec::new(),
        answers: Str::new(0, 0),
    };
    ProtoGen::new(w, win, rows, flows, payload)
}

/// The flows of dns_events (op = index of the query).
pub(crate) fn flows(w: &World) -> Vec<Flow> {
    queries_and_flows(w).1
}
