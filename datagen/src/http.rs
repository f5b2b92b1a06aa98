//! `http_events`: requests of the [`ENDPOINTS`] between the services, both
//! sides of every in-cluster call, with headers, bodies, statuses and
//! latencies.

use crate::catalog::Runtime;
use crate::columns::{Clock, Cols, HttpDate, SockCols, Str, i64s, part_hex16};
use crate::endpoints::{ENDPOINTS, Endpoint, INCIDENT, flows, reason};
use crate::http_bodies::{Bodies, Body, Text, object_id};
use crate::rng::{Cdf, Rng};
use crate::traffic::{Exchange, Peer, Traffic};
use crate::world::{EXT_MAIL, EXT_PAYMENT_GW, MS, World};
use crate::{Events, Window};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Agent {
    Browser,
    Locust,
    Kubelet,
    Node,
    Go,
    Java,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Server {
    Express,
    Go,
    Spring,
    Grpc,
    Gateway,
}

/// Per-endpoint data resolved against the world.
struct Resolved {
    path: Vec<Piece>,
    host: String,
    server: Server,
    /// Error bodies, parallel to `Endpoint::errors`.
    error_bodies: Vec<Text>,
    health: Option<Text>,
}

#[derive(Clone, Copy)]
enum Piece {
    Lit(&'static str),
    Sock,
    Customer,
    Address,
    Card,
    Order,
    Session,
}

fn parse_path(p: &'static str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = p;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Piece::Lit(&rest[..open]));
        }
        let close = open + rest[open..].find('}').expect("closed placeholder");
        out.push(match &rest[open + 1..close] {
            "sock" => Piece::Sock,
            "customer" => Piece::Customer,
            "address" => Piece::Address,
            "card" => Piece::Card,
            "order" => Piece::Order,
            "session" => Piece::Session,
            other => panic!("unknown placeholder {other} in {p}"),
        });
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Lit(rest));
    }
    out
}

fn error_body(server: Server, status: i64, svc: &str) -> Text {
    let r = reason(status);
    Text::new(match (server, status) {
        (Server::Gateway, 402) => {
            r#"{"error":{"code":"card_declined","message":"Your card was declined.","type":"card_error"}}"#.into()
        }
        (Server::Gateway, _) => {
            r#"{"error":{"message":"An unexpected error occurred.","type":"api_error"}}"#.into()
        }
        (Server::Spring, 406) => format!(
            r#"{{"error":"{r}","message":"Payment declined: amount exceeds 100.00","status":406}}"#
        ),
        (Server::Spring, _) => format!(
            r#"{{"error":"{r}","exception":"org.springframework.web.client.HttpServerErrorException","message":"{status} {r}","status":{status}}}"#
        ),
        (Server::Express, _) => format!(r#"{{"error":{{}},"message":"{r}","status_code":{status}}}"#),
        (Server::Go, 500) if svc == "payment" => {
            r#"{"error":"payment gateway: upstream returned 500","status_code":500,"status_text":"Internal Server Error"}"#.into()
        }
        _ => format!(r#"{{"error":"{r}","status_code":{status},"status_text":"{r}"}}"#),
    })
}

pub(crate) struct HttpGen<'w> {
    traffic: Traffic<'w>,
    clock: Clock,
    win: Window,
    bodies: Bodies,
    resolved: Vec<Resolved>,
    socks: Cdf,
    customers: Cdf,
    date: HttpDate,
    agents: Vec<Agent>,
}

impl<'w> HttpGen<'w> {
    pub(crate) fn new(w: &'w World, win: Window, rows: usize) -> Self {
        let resolved = ENDPOINTS
            .iter()
            .map(|e| {
                let (server, host) = match e.server {
                    "ext:payment-gw" => (Server::Gateway, w.externals[EXT_PAYMENT_GW].host.to_string()),
                    "ext:mail" => (Server::Gateway, w.externals[EXT_MAIL].host.to_string()),
                    s => {
                        let spec = w.services[w.svc(s)].spec;
                        let server = match (e.grpc, spec.runtime) {
                            (true, _) => Server::Grpc,
                            (_, Runtime::Node) => Server::Express,
                            (_, Runtime::Jvm) => Server::Spring,
                            _ => Server::Go,
                        };
                        (server, s.to_string())
                    }
                };
                let health = (e.resp == Body::Health && server == Server::Go).then(|| {
                    Text::new(format!(
                        r#"{{"health":[{{"service":"{}","status":"OK"}},{{"service":"{}-db","status":"OK"}}]}}"#,
                        e.server, e.server
                    ))
                });
                Resolved {
                    path: parse_path(e.path),
                    host,
                    server,
                    error_bodies: e.errors.iter().map(|&(s, _)| error_body(server, s, e.server)).collect(),
                    health,
                }
            })
            .collect();
        let traffic = Traffic::new(w, flows(w));
        let agents = traffic
            .flows
            .iter()
            .map(|f| match f.client {
                Peer::Ext(_) => Agent::Browser,
                Peer::Kubelet => Agent::Kubelet,
                Peer::Svc(s) => match w.services[s].spec.runtime {
                    Runtime::Python => Agent::Locust,
                    Runtime::Node => Agent::Node,
                    Runtime::Jvm => Agent::Java,
                    _ => Agent::Go,
                },
            })
            .collect();
        HttpGen {
            clock: Clock::new(win.end, win.span, rows),
            win,
            bodies: Bodies::new(w),
            resolved,
            socks: Cdf::zipf(w.socks.len(), 1.1),
            customers: Cdf::zipf(w.customers.len(), 0.8),
            date: HttpDate::new(),
            agents,
            traffic,
        }
    }
}

/// The columns of http_events after [SOCK8].
struct Out {
    sock: SockCols,
    major: Vec<i64>,
    minor: Vec<i64>,
    content_type: Vec<i64>,
    req_headers: Str,
    req_method: Str,
    req_path: Str,
    req_body: Str,
    req_body_size: Vec<i64>,
    resp_headers: Str,
    resp_status: Vec<i64>,
    resp_message: Str,
    resp_body: Str,
    resp_body_size: Vec<i64>,
    latency: Vec<i64>,
}

impl Events for HttpGen<'_> {
    fn rows(&mut self, rng: &mut Rng, n: usize) -> Cols {
        let mut o = Out {
            sock: SockCols::new(n),
            major: Vec::with_capacity(n),
            minor: Vec::with_capacity(n),
            content_type: Vec::with_capacity(n),
            req_headers: Str::new(n, 200),
            req_method: Str::new(n, 4),
            req_path: Str::new(n, 32),
            req_body: Str::new(n, 40),
            req_body_size: Vec::with_capacity(n),
            resp_headers: Str::new(n, 160),
            resp_status: Vec::with_capacity(n),
            resp_message: Str::new(n, 3),
            resp_body: Str::new(n, 200),
            resp_body_size: Vec::with_capacity(n),
            latency: Vec::with_capacity(n),
        };
        for _ in 0..n {
            let t = self.clock.next(rng);
            let ex = self.traffic.next(rng, t);
            self.row(rng, &ex, &mut o);
        }
        let mut cols = o.sock.finish(crate::table("http_events"));
        cols.extend([
            ("major_version", i64s(&mut o.major)),
            ("minor_version", i64s(&mut o.minor)),
            ("content_type", i64s(&mut o.content_type)),
            ("req_headers", o.req_headers.finish()),
            ("req_method", o.req_method.finish()),
            ("req_path", o.req_path.finish()),
            ("req_body", o.req_body.finish()),
            ("req_body_size", i64s(&mut o.req_body_size)),
            ("resp_headers", o.resp_headers.finish()),
            ("resp_status", i64s(&mut o.resp_status)),
            ("resp_message", o.resp_message.finish()),
            ("resp_body", o.resp_body.finish()),
            ("resp_body_size", i64s(&mut o.resp_body_size)),
            ("latency", i64s(&mut o.latency)),
        ]);
        cols
    }
}

impl HttpGen<'_> {
    #[inline]
    fn row(&mut self, rng: &mut Rng, ex: &Exchange, o: &mut Out) {
        let w = self.traffic.world;
        let flow = &self.traffic.flows[ex.flow];
        let e = &ENDPOINTS[flow.op];
        let r = &self.resolved[flow.op];
        let sock = self.socks.sample(rng);
        let customer = self.customers.sample(rng);
        let in_incident = e.incident && {
            let f = self.win.frac(ex.t);
            f >= INCIDENT.0 && f < INCIDENT.1
        };

        // Status and latency.
        let mut status = e.ok;
        let mut err = None;
        let mut u = rng.f64();
        for (i, &(s, p)) in e.errors.iter().enumerate() {
            let p = if in_incident { (p * 5.0).min(0.45) } else { p };
            if u < p {
                status = s;
                err = Some(i);
                break;
            }
            u -= p;
        }
        let mut median = e.median_ms * MS as f64;
        if in_incident {
            median *= 3.0;
        }
        median *= match status {
            404 | 401 | 409 => 0.5,
            500 => 0.7,
            503 if rng.chance(0.7) => 0.05,
            _ => 1.0,
        };
        let mut latency = rng.lognormal(median, e.sigma);
        if ex.role == 1 {
            latency += rng.lognormal(0.25 * MS as f64, 0.4);
        }
        o.latency.push(latency.max(20_000.0) as i64);

        // Request line and bodies.
        o.sock.push(ex);
        o.major.push(if e.grpc { 2 } else { 1 });
        o.minor.push(if e.grpc { 0 } else { 1 });
        o.req_method.push(e.method);
        let cu = &w.customers[customer];
        for piece in &r.path {
            match *piece {
                Piece::Lit(s) => o.req_path.part(s),
                Piece::Sock => o.req_path.part(&w.socks[sock].id),
                Piece::Customer => o.req_path.part(&cu.id),
                Piece::Address => o.req_path.part(&cu.address_id),
                Piece::Card => o.req_path.part(&cu.card_id),
                Piece::Order => o
                    .req_path
                    .part(&object_id(w.seed, 100_000 + customer as u64 * 16)),
                Piece::Session => part_hex16(&mut o.req_path, rng.u64()),
            }
        }
        o.req_path.end();
        let req = self.bodies.get(e.req, sock, customer);
        o.req_body.push(&req.text);
        o.req_body_size.push(req.size);
        let resp = match err {
            Some(i) => &r.error_bodies[i],
            None => match &r.health {
                Some(h) => h,
                None => self.bodies.get(e.resp, sock, customer),
            },
        };
        o.resp_body.push(&resp.text);
        o.resp_body_size.push(resp.size);
        o.resp_status.push(status);
        o.resp_message.push(reason(status));
        let json_resp =
            err.is_some() || !matches!(e.resp, Body::Empty | Body::Html | Body::Css | Body::Js);
        o.content_type.push(if e.grpc {
            2
        } else if json_resp || req.size > 0 {
            1
        } else {
            0
        });

        // Headers.
        let agent = self.agents[ex.flow];
        req_headers(&mut o.req_headers, rng, agent, e, r, ex, req.size);
        let date = self.date.get(ex.t);
        let ctype = match (err, e.resp) {
            (None, Body::Html) => "text/html; charset=UTF-8",
            (None, Body::Css) => "text/css; charset=UTF-8",
            (None, Body::Js) => "application/javascript; charset=UTF-8",
            _ => "application/json; charset=utf-8",
        };
        resp_headers(
            &mut o.resp_headers,
            rng,
            r.server,
            ctype,
            resp.size,
            date,
            status,
        );
    }
}

fn req_headers(
    h: &mut Str,
    rng: &mut Rng,
    agent: Agent,
    e: &Endpoint,
    r: &Resolved,
    ex: &Exchange,
    body: i64,
) {
    if e.grpc {
        h.part(r#"{":authority":""#);
        h.part(&r.host);
        h.part(r#":80",":method":"POST",":path":""#);
        h.part(e.path);
        h.part(r#"",":scheme":"http","content-type":"application/grpc","grpc-accept-encoding":"gzip","grpc-timeout":"4999m","te":"trailers","user-agent":"grpc-java-netty/1.58.0","x-b3-traceid":""#);
        part_hex16(h, rng.u64());
        h.part(r#""}"#);
        h.end();
        return;
    }
    h.part("{");
    match agent {
        Agent::Browser => h.part(
            r#""Accept":"text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8","Accept-Encoding":"gzip, deflate, br","Accept-Language":"en-GB,en;q=0.9","Connection":"keep-alive","#,
        ),
        Agent::Locust => h.part(r#""Accept":"*/*","Accept-Encoding":"gzip, deflate","Connection":"keep-alive","#),
        Agent::Kubelet => h.part(r#""Accept":"*/*","Connection":"close","#),
        Agent::Node => h.part(r#""Accept":"application/json","Connection":"keep-alive","#),
        Agent::Java => h.part(r#""Accept":"application/json, application/*+json","Connection":"keep-alive","#),
        Agent::Go => h.part(r#""Accept-Encoding":"gzip","#),
    }
    if body > 0 {
        h.part(r#""Content-Length":""#);
        h.int(body);
        h.part(r#"","Content-Type":"application/json","#);
    }
    h.part(r#""Host":""#);
    match agent {
        Agent::Browser => h.part("socks.example.com"),
        Agent::Locust => h.part("frontend.px-sock-shop"),
        Agent::Kubelet => {
            h.part(ex.local_addr);
            h.part(":");
            h.int(ex.local_port);
        }
        _ => h.part(&r.host),
    }
    h.part(r#"","User-Agent":""#);
    h.part(match agent {
        Agent::Browser => "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        Agent::Locust => "python-requests/2.32.3",
        Agent::Kubelet => "kube-probe/1.29",
        Agent::Node => "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
        Agent::Java => "Java/17.0.9",
        Agent::Go => "Go-http-client/1.1",
    });
    if agent != Agent::Kubelet {
        h.part(r#"","X-B3-Traceid":""#);
        part_hex16(h, rng.u64());
    }
    h.part(r#""}"#);
    h.end();
}

fn resp_headers(
    h: &mut Str,
    rng: &mut Rng,
    server: Server,
    ctype: &str,
    size: i64,
    date: &str,
    status: i64,
) {
    match server {
        Server::Grpc => {
            h.part(r#"{":status":"200","content-type":"application/grpc","grpc-encoding":"identity","grpc-status":"0"}"#);
        }
        Server::Express => {
            h.part(r#"{"Connection":"keep-alive","Content-Length":""#);
            h.int(size);
            h.part(r#"","Content-Type":""#);
            h.part(ctype);
            h.part(r#"","Date":""#);
            h.part(date);
            h.part(r#"","ETag":"W/\""#);
            part_hex16(h, rng.u64());
            h.part(r#"\"","X-Powered-By":"Express"}"#);
        }
        Server::Go => {
            h.part(r#"{"Content-Length":""#);
            h.int(size);
            h.part(r#"","Content-Type":""#);
            h.part(ctype);
            h.part(r#"","Date":""#);
            h.part(date);
            h.part(r#""}"#);
        }
        Server::Spring => {
            h.part(r#"{"Content-Type":""#);
            h.part(if status < 400 {
                "application/hal+json;charset=UTF-8"
            } else {
                "application/json;charset=UTF-8"
            });
            h.part(r#"","Date":""#);
            h.part(date);
            h.part(r#"","Transfer-Encoding":"chunked","X-Application-Context":"application:80"}"#);
        }
        Server::Gateway => {
            h.part(r#"{"Content-Length":""#);
            h.int(size);
            h.part(r#"","Content-Type":"application/json","Date":""#);
            h.part(date);
            h.part(r#"","Request-Id":"req_"#);
            part_hex16(h, rng.u64());
            h.part(r#"","Server":"nginx","Strict-Transport-Security":"max-age=63072000"}"#);
        }
    }
    h.end();
}
