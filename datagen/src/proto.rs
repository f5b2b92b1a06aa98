//! Shared machinery of the protocol tables: a generator that samples
//! exchanges from flows and lets a [`Payload`] fill the table's own
//! columns, weighted operation sets, and text templates with `%var%`
//! placeholders (braces are left to JSON).

use crate::columns::{Clock, Cols, SockCols, Str};
use crate::rng::{Cdf, Rng};
use crate::traffic::{Exchange, Flow, Traffic};
use crate::world::{MS, World};
use crate::{Events, Window, table};

/// The protocol-specific columns of a table.
pub(crate) trait Payload {
    fn table(&self) -> &'static str;
    fn row(&mut self, rng: &mut Rng, row: &Row);
    fn finish(&mut self) -> Cols;
}

/// What a payload knows about the row it fills.
pub(crate) struct Row<'a> {
    pub win: Window,
    pub flow: &'a Flow,
    pub ex: &'a Exchange<'a>,
}

impl Row<'_> {
    /// Latency of an operation with the given median: the server's time,
    /// plus the network round trip when seen from the client.
    #[inline]
    pub(crate) fn latency(&self, rng: &mut Rng, median_ms: f64, sigma: f64) -> i64 {
        let mut ns = rng.lognormal(median_ms * MS as f64, sigma);
        if self.ex.role == 1 {
            ns += rng.lognormal(0.2 * MS as f64, 0.4);
        }
        ns.max(5_000.0) as i64
    }
}

pub(crate) struct ProtoGen<'w, P> {
    traffic: Traffic<'w>,
    clock: Clock,
    win: Window,
    payload: P,
}

impl<'w, P: Payload> ProtoGen<'w, P> {
    pub(crate) fn new(
        w: &'w World,
        win: Window,
        rows: usize,
        flows: Vec<Flow>,
        payload: P,
    ) -> Self {
        ProtoGen {
            traffic: Traffic::new(w, flows),
            clock: Clock::new(win.end, win.span, rows),
            win,
            payload,
        }
    }
}

impl<P: Payload> Events for ProtoGen<'_, P> {
    fn rows(&mut self, rng: &mut Rng, n: usize) -> Cols {
        let mut sock = SockCols::new(n);
        for _ in 0..n {
            let t = self.clock.next(rng);
            let ex = self.traffic.next(rng, t);
            sock.push(&ex);
            let row = Row {
                win: self.win,
                flow: &self.traffic.flows[ex.flow],
                ex: &ex,
            };
            self.payload.row(rng, &row);
        }
        let mut cols = sock.finish(table(self.payload.table()));
        cols.extend(self.payload.finish());
        cols
    }
}

/// One kind of request of a protocol.
#[derive(Debug)]
pub(crate) struct Op<C: 'static> {
    pub weight: f64,
    pub cmd: C,
    pub req: &'static str,
    pub resp: &'static str,
    pub median_ms: f64,
    pub sigma: f64,
    /// Probability that the request fails, answered with `err_resp`.
    pub err: f64,
    pub err_resp: &'static str,
}

pub(crate) const fn op<C>(
    weight: f64,
    cmd: C,
    req: &'static str,
    resp: &'static str,
    median_ms: f64,
) -> Op<C> {
    Op {
        weight,
        cmd,
        req,
        resp,
        median_ms,
        sigma: 0.5,
        err: 0.0,
        err_resp: "",
    }
}

/// A weighted set of operations with parsed templates.
pub(crate) struct OpSet<C: 'static> {
    pub ops: &'static [Op<C>],
    cdf: Cdf,
    pub req: Vec<Template>,
    pub resp: Vec<Template>,
    pub err_resp: Vec<Template>,
}

impl<C> OpSet<C> {
    pub(crate) fn new(ops: &'static [Op<C>]) -> Self {
        OpSet {
            ops,
            cdf: Cdf::new(ops.iter().map(|o| o.weight)),
            req: ops.iter().map(|o| Template::parse(o.req)).collect(),
            resp: ops.iter().map(|o| Template::parse(o.resp)).collect(),
            err_resp: ops.iter().map(|o| Template::parse(o.err_resp)).collect(),
        }
    }

    #[inline]
    pub(crate) fn pick(&self, rng: &mut Rng) -> usize {
        self.cdf.sample(rng)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Var {
    /// A sock id, its name and price.
    Sock,
    SockName,
    Price,
    /// A customer id, names and username.
    Cust,
    First,
    Last,
    User,
    /// An order id of the customer.
    Order,
    /// 16 random hex digits.
    Hex,
    /// A small number (quantities, counts).
    Num,
    /// A large growing number (offsets, delivery tags).
    Seq,
    /// A partition number, 0-2.
    Part,
}

#[derive(Debug, Clone, Copy)]
enum Piece {
    Lit(&'static str),
    Var(Var),
}

/// Text with `%var%` placeholders.
#[derive(Debug, Clone)]
pub(crate) struct Template(Vec<Piece>);

impl Template {
    pub(crate) fn parse(s: &'static str) -> Self {
        let mut out = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find('%') {
            let close = open + 1 + rest[open + 1..].find('%').expect("closed placeholder");
            if open > 0 {
                out.push(Piece::Lit(&rest[..open]));
            }
            out.push(Piece::Var(match &rest[open + 1..close] {
                "sock" => Var::Sock,
                "sock_name" => Var::SockName,
                "price" => Var::Price,
                "cust" => Var::Cust,
                "first" => Var::First,
                "last" => Var::Last,
                "user" => Var::User,
                "order" => Var::Order,
                "hex" => Var::Hex,
                "num" => Var::Num,
                "seq" => Var::Seq,
                "part" => Var::Part,
                v => panic!("unknown placeholder %{v}% in {s}"),
            }));
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            out.push(Piece::Lit(rest));
        }
        Template(out)
    }

    /// Writes the text and finishes the value.
    #[inline]
    pub(crate) fn render(&self, out: &mut Str, v: &Vars) {
        self.write(out, v);
        out.end();
    }

    /// Writes the text without finishing the value.
    pub(crate) fn write(&self, out: &mut Str, v: &Vars) {
        for p in &self.0 {
            match *p {
                Piece::Lit(s) => out.part(s),
                Piece::Var(var) => v.write(out, var),
            }
        }
    }
}

/// The values placeholders take in one row.
pub(crate) struct Vars<'a> {
    pub w: &'a World,
    pub sock: usize,
    pub cust: usize,
    pub hex: u64,
    pub num: i64,
    pub seq: i64,
}

impl<'a> Vars<'a> {
    /// Fresh values: a popular sock and customer, random hex and number.
    pub(crate) fn sample(
        w: &'a World,
        rng: &mut Rng,
        socks: &Cdf,
        customers: &Cdf,
        seq: i64,
    ) -> Self {
        Vars {
            w,
            sock: socks.sample(rng),
            cust: customers.sample(rng),
            hex: rng.u64(),
            num: 1 + rng.below(9) as i64,
            seq,
        }
    }

    fn write(&self, out: &mut Str, var: Var) {
        let w = self.w;
        let c = &w.customers[self.cust];
        match var {
            Var::Sock => out.part(&w.socks[self.sock].id),
            Var::SockName => out.part(w.socks[self.sock].name),
            Var::Price => {
                let p = w.socks[self.sock].price;
                out.int(p.trunc() as i64);
                out.part(".");
                let cents = ((p.fract() * 100.0).round() as i64).clamp(0, 99);
                if cents < 10 {
                    out.part("0");
                }
                out.int(cents);
            }
            Var::Cust => out.part(&c.id),
            Var::First => out.part(c.first),
            Var::Last => out.part(c.last),
            Var::User => out.part(&c.username),
            Var::Order => out.part(&crate::http_bodies::order_id(w, self.cust, self.hex & 3)),
            Var::Hex => crate::columns::part_hex16(out, self.hex),
            Var::Num => out.int(self.num),
            Var::Seq => out.int(self.seq),
            Var::Part => out.int(self.num % 3),
        }
    }
}
