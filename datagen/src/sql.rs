//! Request/response tables of the shop's data stores: mysql_events
//! (catalogue), pgsql_events (users), redis_events (sessions), cql_events
//! (shipments in Cassandra) and mongodb_events (carts, orders). Each store
//! also gets traffic from its metrics exporter sidecar over loopback.

use crate::Window;
use crate::columns::{Cols, Str, i64s};
use crate::proto::{Op, OpSet, Payload, ProtoGen, Row, Vars, op};
use crate::rng::{Cdf, Rng};
use crate::traffic::Flow;
use crate::world::{SEC, World};
use std::marker::PhantomData;

/// The command column of an operation.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cmd {
    I(i64),
    S(&'static str),
    /// CQL (request opcode, response opcode).
    Cql(i64, i64),
}

use Cmd::{Cql, I, S};

// The operation tables below keep one operation per line (rustfmt::skip):
// they read as tables of statements.

/// How one table lays out the generic columns.
pub(crate) trait Shape {
    const TABLE: &'static str;
    const CMD: &'static str;
    const REQ: &'static str;
    const RESP: &'static str;
    /// Name of the status column, if any.
    const STATUS: Option<&'static str>;
}

pub(crate) struct MysqlShape;
impl Shape for MysqlShape {
    const TABLE: &'static str = "mysql_events";
    const CMD: &'static str = "req_cmd";
    const REQ: &'static str = "req_body";
    const RESP: &'static str = "resp_body";
    const STATUS: Option<&'static str> = Some("resp_status");
}
pub(crate) struct PgsqlShape;
impl Shape for PgsqlShape {
    const TABLE: &'static str = "pgsql_events";
    const CMD: &'static str = "req_cmd";
    const REQ: &'static str = "req";
    const RESP: &'static str = "resp";
    const STATUS: Option<&'static str> = None;
}
pub(crate) struct RedisShape;
impl Shape for RedisShape {
    const TABLE: &'static str = "redis_events";
    const CMD: &'static str = "req_cmd";
    const REQ: &'static str = "req_args";
    const RESP: &'static str = "resp";
    const STATUS: Option<&'static str> = None;
}
pub(crate) struct CqlShape;
impl Shape for CqlShape {
    const TABLE: &'static str = "cql_events";
    const CMD: &'static str = "req_op";
    const REQ: &'static str = "req_body";
    const RESP: &'static str = "resp_body";
    const STATUS: Option<&'static str> = Some("resp_op");
}
pub(crate) struct MongoShape;
impl Shape for MongoShape {
    const TABLE: &'static str = "mongodb_events";
    const CMD: &'static str = "req_cmd";
    const REQ: &'static str = "req_body";
    const RESP: &'static str = "resp_body";
    const STATUS: Option<&'static str> = Some("resp_status");
}

/// A request/response payload: command, request text, status, response
/// text and latency, with op sets chosen by the flow's `op`.
pub(crate) struct Generic<'w, S> {
    w: &'w World,
    sets: Vec<OpSet<Cmd>>,
    socks: Cdf,
    customers: Cdf,
    cmd_i: Vec<i64>,
    cmd_s: Str,
    req: Str,
    status_i: Vec<i64>,
    status_s: Str,
    resp: Str,
    latency: Vec<i64>,
    shape: PhantomData<S>,
}

impl<'w, S: Shape> Generic<'w, S> {
    fn new(w: &'w World, sets: &[&'static [Op<Cmd>]]) -> Self {
        Generic {
            w,
            sets: sets.iter().map(|s| OpSet::new(s)).collect(),
            socks: Cdf::zipf(w.socks.len(), 1.1),
            customers: Cdf::zipf(w.customers.len(), 0.8),
            cmd_i: Vec::new(),
            cmd_s: Str::new(0, 0),
            req: Str::new(0, 0),
            status_i: Vec::new(),
            status_s: Str::new(0, 0),
            resp: Str::new(0, 0),
            latency: Vec::new(),
            shape: PhantomData,
        }
    }
}

impl<S: Shape> Payload for Generic<'_, S> {
    fn table(&self) -> &'static str {
        S::TABLE
    }

    fn row(&mut self, rng: &mut Rng, row: &Row) {
        let set = &self.sets[row.flow.op];
        let i = set.pick(rng);
        let op = &set.ops[i];
        let seq = (row.ex.t - row.win.start()) / SEC + 431_000;
        let vars = Vars::sample(self.w, rng, &self.socks, &self.customers, seq);
        let failed = op.err > 0.0 && rng.chance(op.err);
        match op.cmd {
            I(c) | Cql(c, _) => self.cmd_i.push(c),
            S(s) => self.cmd_s.push(s),
        }
        set.req[i].render(&mut self.req, &vars);
        if failed {
            set.err_resp[i].render(&mut self.resp, &vars);
        } else {
            set.resp[i].render(&mut self.resp, &vars);
        }
        match (S::TABLE, op.cmd) {
            ("mysql_events", _) => self.status_i.push(if failed { 3 } else { 2 }),
            (_, Cql(_, resp_op)) => self.status_i.push(if failed { 0 } else { resp_op }),
            ("mongodb_events", _) => self.status_s.push(if failed { "error" } else { "ok" }),
            _ => {}
        }
        let factor = if failed { 1.8 } else { 1.0 };
        self.latency
            .push(row.latency(rng, op.median_ms * factor, op.sigma));
    }

    fn finish(&mut self) -> Cols {
        let cmd = if self.cmd_is_text() {
            self.cmd_s.finish()
        } else {
            i64s(&mut self.cmd_i)
        };
        let mut cols: Cols = vec![
            (S::CMD, cmd),
            (S::REQ, self.req.finish()),
            (S::RESP, self.resp.finish()),
            ("latency", i64s(&mut self.latency)),
        ];
        if let Some(status) = S::STATUS {
            let arr = if S::TABLE == "mongodb_events" {
                self.status_s.finish()
            } else {
                i64s(&mut self.status_i)
            };
            cols.push((status, arr));
        }
        cols
    }
}

impl<S: Shape> Generic<'_, S> {
    /// Whether the table's command column is text.
    fn cmd_is_text(&self) -> bool {
        matches!(self.sets[0].ops[0].cmd, S(_))
    }
}

fn make<'w, S: Shape>(
    w: &'w World,
    win: Window,
    rows: usize,
    flows: Vec<Flow>,
    sets: &[&'static [Op<Cmd>]],
) -> ProtoGen<'w, Generic<'w, S>> {
    ProtoGen::new(w, win, rows, flows, Generic::new(w, sets))
}

#[rustfmt::skip]
const MYSQL_APP: &[Op<Cmd>] = &[
    Op { sigma: 0.4, ..op(30.0, I(23), "query=[SELECT s.sock_id, s.name, s.description, s.price, s.count FROM sock s WHERE s.sock_id = ?] params=[%sock%]", "Resultset rows = 1", 0.45) },
    Op { sigma: 0.7, ..op(20.0, I(3), "SELECT s.sock_id, s.name, s.price, s.count, GROUP_CONCAT(t.name) AS tags FROM sock s JOIN sock_tag st ON s.sock_id = st.sock_id JOIN tag t ON st.tag_id = t.tag_id GROUP BY s.sock_id ORDER BY s.name LIMIT 6 OFFSET 0", "Resultset rows = 6", 2.8) },
    op(5.0, I(3), "SELECT COUNT(DISTINCT s.sock_id) FROM sock s JOIN sock_tag st ON s.sock_id = st.sock_id JOIN tag t ON st.tag_id = t.tag_id WHERE t.name IN ('blue', 'sport')", "Resultset rows = 1", 0.9),
    op(4.0, I(3), "SELECT name FROM tag ORDER BY name", "Resultset rows = 14", 0.3),
    Op {
        err: 0.015, err_resp: "Deadlock found when trying to get lock; try restarting transaction",
        ..op(3.0, I(3), "UPDATE sock SET count = count - %num% WHERE sock_id = '%sock%' AND count >= %num%", "", 1.4)
    },
    op(6.0, I(3), "INSERT INTO sock_view (sock_id, customer_id, viewed_at) VALUES ('%sock%', '%cust%', NOW())", "", 0.8),
    op(2.0, I(22), "SELECT s.sock_id, s.name, s.description, s.price, s.count FROM sock s WHERE s.sock_id = ?", "", 0.2),
    op(1.0, I(14), "", "", 0.08),
    Op {
        err: 1.0, err_resp: "Table 'socksdb.sock_review' doesn't exist",
        ..op(0.5, I(3), "SELECT rating, comment FROM sock_review WHERE sock_id = '%sock%'", "", 0.15)
    },
];

#[rustfmt::skip]
const MYSQL_EXPORTER: &[Op<Cmd>] = &[
    op(3.0, I(3), "SHOW GLOBAL STATUS", "Resultset rows = 487", 1.6),
    op(1.0, I(3), "SHOW GLOBAL VARIABLES", "Resultset rows = 631", 2.1),
    op(1.0, I(3), "SELECT * FROM information_schema.PROCESSLIST WHERE COMMAND != 'Sleep'", "Resultset rows = 3", 0.5),
    op(1.0, I(14), "", "", 0.05),
];

fn mysql_flows(w: &World) -> Vec<Flow> {
    vec![
        Flow::new(w, "catalogue", "catalogue-db", 1.0),
        Flow::new(w, "catalogue-db", "catalogue-db", 0.08)
            .loopback()
            .op(1),
    ]
}

pub(crate) fn mysql(w: &World, win: Window, rows: usize) -> ProtoGen<'_, Generic<'_, MysqlShape>> {
    let flows = mysql_flows(w);
    make(w, win, rows, flows, &[MYSQL_APP, MYSQL_EXPORTER])
}

#[rustfmt::skip]
const PGSQL_APP: &[Op<Cmd>] = &[
    op(30.0, S("Query"), "SELECT customer_id, first_name, last_name, username FROM customers WHERE customer_id = '%cust%'", "customer_id,first_name,last_name,username\n%cust%,%first%,%last%,%user%\nSELECT 1", 0.5),
    op(10.0, S("Execute"), "query=[SELECT password_hash FROM customers WHERE username = $1] params=[%user%]", "password_hash\n$2a$10$%hex%\nSELECT 1", 0.4),
    op(10.0, S("Query"), "SELECT card_id, long_num, expires FROM cards WHERE customer_id = '%cust%'", "card_id,long_num,expires\n%hex%,************%num%%num%%num%%num%,08/27\nSELECT 1", 0.45),
    Op {
        err: 0.05,
        err_resp: "ERROR:  duplicate key value violates unique constraint \"customers_username_key\"\nDETAIL:  Key (username)=(%user%) already exists.",
        ..op(1.0, S("Query"), "INSERT INTO customers (customer_id, first_name, last_name, username) VALUES ('%hex%', '%first%', '%last%', '%user%')", "INSERT 0 1", 1.2)
    },
    op(6.0, S("Query"), "UPDATE customers SET last_login = now() WHERE customer_id = '%cust%'", "UPDATE 1", 0.9),
    op(4.0, S("Query"), "BEGIN", "BEGIN", 0.05),
    op(4.0, S("Query"), "COMMIT", "COMMIT", 0.6),
];

#[rustfmt::skip]
const PGSQL_EXPORTER: &[Op<Cmd>] = &[
    op(2.0, S("Query"), "SELECT pg_database.datname, pg_database_size(pg_database.datname) FROM pg_database", "datname,pg_database_size\npostgres,7631663\nusers,10221359\ntemplate1,7553839\ntemplate0,7553839\nSELECT 4", 1.1),
    op(2.0, S("Query"), "SELECT datname, numbackends, xact_commit, xact_rollback, blks_read, blks_hit FROM pg_stat_database WHERE datname = 'users'", "datname,numbackends,xact_commit,xact_rollback,blks_read,blks_hit\nusers,%num%,%seq%,12,4410,%seq%\nSELECT 1", 0.7),
    op(1.0, S("Query"), "SELECT version()", "version\nPostgreSQL 16.2 on x86_64-pc-linux-gnu\nSELECT 1", 0.1),
];

fn pgsql_flows(w: &World) -> Vec<Flow> {
    vec![
        Flow::new(w, "users", "user-db", 1.0),
        Flow::new(w, "user-db", "user-db", 0.08).loopback().op(1),
    ]
}

pub(crate) fn pgsql(w: &World, win: Window, rows: usize) -> ProtoGen<'_, Generic<'_, PgsqlShape>> {
    let flows = pgsql_flows(w);
    make(w, win, rows, flows, &[PGSQL_APP, PGSQL_EXPORTER])
}

#[rustfmt::skip]
const REDIS_APP: &[Op<Cmd>] = &[
    Op {
        err: 0.08, err_resp: "[NULL]",
        ..op(40.0, S("GET"), r#"{"key":"sess:%hex%"}"#, r#"{"cookie":{"originalMaxAge":86400000,"httpOnly":true,"path":"/"},"customerId":"%cust%"}"#, 0.12)
    },
    op(15.0, S("SET"), r#"{"key":"sess:%hex%","value":"{\"cookie\":{\"originalMaxAge\":86400000,\"httpOnly\":true,\"path\":\"/\"},\"customerId\":\"%cust%\"}","options":["EX 86400"]}"#, "OK", 0.15),
    op(10.0, S("EXPIRE"), r#"{"key":"sess:%hex%","seconds":"86400"}"#, "1", 0.1),
    op(8.0, S("HGETALL"), r#"{"key":"cart:%cust%"}"#, r#"["%sock%", "%num%"]"#, 0.14),
    op(4.0, S("HINCRBY"), r#"{"key":"cart:%cust%","field":"%sock%","increment":"1"}"#, "%num%", 0.12),
    op(5.0, S("INCR"), r#"{"key":"ratelimit:%hex%"}"#, "%num%", 0.09),
    op(2.0, S("DEL"), r#"{"key":["sess:%hex%"]}"#, "1", 0.1),
    Op {
        err: 1.0, err_resp: "-WRONGTYPE Operation against a key holding the wrong kind of value",
        ..op(0.2, S("GET"), r#"{"key":"cart:%cust%"}"#, "", 0.1)
    },
];

#[rustfmt::skip]
const REDIS_EXPORTER: &[Op<Cmd>] = &[
    op(3.0, S("INFO"), r#"{"section":["all"]}"#, "# Server\nredis_version:7.2.4\nredis_mode:standalone\nos:Linux 6.1.0-18-cloud-amd64 x86_64\narch_bits:64\ntcp_port:6379\nuptime_in_seconds:%seq%\n# Clients\nconnected_clients:%num%\nblocked_clients:0\n# Memory\nused_memory:1834216\nused_memory_human:1.75M\nmaxmemory:0\n# Stats\ntotal_connections_received:%seq%\ntotal_commands_processed:%seq%%num%", 0.3),
    op(1.0, S("PING"), "[]", "PONG", 0.05),
    op(1.0, S("CONFIG GET"), r#"{"parameter":["maxmemory"]}"#, r#"["maxmemory", "0"]"#, 0.08),
    op(1.0, S("SLOWLOG LEN"), "[]", "%num%", 0.05),
];

fn redis_flows(w: &World) -> Vec<Flow> {
    vec![
        Flow::new(w, "frontend", "session-db", 1.0),
        Flow::new(w, "session-db", "session-db", 0.05)
            .loopback()
            .op(1),
    ]
}

pub(crate) fn redis(w: &World, win: Window, rows: usize) -> ProtoGen<'_, Generic<'_, RedisShape>> {
    let flows = redis_flows(w);
    make(w, win, rows, flows, &[REDIS_APP, REDIS_EXPORTER])
}

#[rustfmt::skip]
const CQL_SHIPPING: &[Op<Cmd>] = &[
    Op {
        err: 0.004, err_resp: "[4352] Operation timed out - received only 0 responses.",
        ..op(10.0, Cql(7, 8), "INSERT INTO shipping.shipments (order_id, customer_id, status, created_at) VALUES ('%order%', '%cust%', 'PENDING', toTimestamp(now()))", "Response type = VOID", 1.1)
    },
    op(12.0, Cql(10, 8), "SELECT status, carrier, tracking_no FROM shipping.shipments WHERE order_id = ?", "Response type = ROWS\nNumber of columns = 3\n[\"status\", \"carrier\", \"tracking_no\"]\nNumber of rows = 1", 0.8),
    op(6.0, Cql(7, 8), "UPDATE shipping.shipments SET status = 'SHIPPED', tracking_no = 'TRK%hex%' WHERE order_id = '%order%'", "Response type = VOID", 0.9),
    op(1.0, Cql(9, 8), "SELECT status, carrier, tracking_no FROM shipping.shipments WHERE order_id = ?", "Response type = PREPARED\nquery_id = %hex%", 0.7),
    op(2.0, Cql(7, 8), "SELECT peer, data_center, host_id, rack, release_version, rpc_address, schema_version, tokens FROM system.peers", "Response type = ROWS\nNumber of columns = 8\n[\"peer\", \"data_center\", \"host_id\", \"rack\", \"release_version\", \"rpc_address\", \"schema_version\", \"tokens\"]\nNumber of rows = 0", 0.6),
    op(0.5, Cql(5, 6), "", r#"{"COMPRESSION":["lz4","snappy"],"CQL_VERSION":["3.4.7"],"PROTOCOL_VERSIONS":["3/v3","4/v4","5/v5"]}"#, 0.1),
];

fn cql_flows(w: &World) -> Vec<Flow> {
    vec![
        Flow::new(w, "shipping", "cassandra", 1.0),
        Flow::new(w, "queue-master", "cassandra", 0.4),
    ]
}

pub(crate) fn cql(w: &World, win: Window, rows: usize) -> ProtoGen<'_, Generic<'_, CqlShape>> {
    let flows = cql_flows(w);
    make(w, win, rows, flows, &[CQL_SHIPPING])
}

#[rustfmt::skip]
const MONGO_CARTS: &[Op<Cmd>] = &[
    Op {
        err: 0.002, err_resp: r#"{"ok":0,"errmsg":"operation exceeded time limit","code":50,"codeName":"MaxTimeMSExpired"}"#,
        ..op(20.0, S("find"), r#"{"find":"cart","filter":{"customerId":"%cust%"},"limit":1,"singleBatch":true,"$db":"data","lsid":{"id":{"$uuid":"%hex%"}}}"#, r#"{"cursor":{"firstBatch":[{"_id":{"$oid":"%hex%"},"customerId":"%cust%","items":[{"itemId":"%sock%","quantity":%num%,"unitPrice":%price%}]}],"id":0,"ns":"data.cart"},"ok":1}"#, 0.6)
    },
    op(8.0, S("update"), r#"{"update":"cart","updates":[{"q":{"customerId":"%cust%"},"u":{"$push":{"items":{"itemId":"%sock%","quantity":1,"unitPrice":%price%}}},"upsert":true}],"ordered":true,"$db":"data"}"#, r#"{"n":1,"nModified":1,"ok":1}"#, 1.1),
    op(3.0, S("delete"), r#"{"delete":"item","deletes":[{"q":{"itemId":"%sock%"},"limit":1}],"ordered":true,"$db":"data"}"#, r#"{"n":1,"ok":1}"#, 0.9),
    op(2.0, S("hello"), r#"{"hello":1,"helloOk":true,"$db":"admin"}"#, r#"{"helloOk":true,"isWritablePrimary":true,"maxBsonObjectSize":16777216,"maxWireVersion":21,"ok":1}"#, 0.1),
];

#[rustfmt::skip]
const MONGO_ORDERS: &[Op<Cmd>] = &[
    Op {
        err: 0.003,
        err_resp: r#"{"n":0,"writeErrors":[{"index":0,"code":11000,"errmsg":"E11000 duplicate key error collection: data.customerOrder index: _id_ dup key: { _id: ObjectId('%order%') }"}],"ok":1}"#,
        ..op(6.0, S("insert"), r#"{"insert":"customerOrder","documents":[{"_id":{"$oid":"%order%"},"customerId":"%cust%","items":[{"itemId":"%sock%","quantity":%num%}],"total":%price%}],"ordered":true,"$db":"data"}"#, r#"{"n":1,"ok":1}"#, 1.6)
    },
    Op {
        sigma: 0.8,
        ..op(8.0, S("find"), r#"{"find":"customerOrder","filter":{"customerId":"%cust%"},"sort":{"date":-1},"$db":"data"}"#, r#"{"cursor":{"firstBatch":[{"_id":{"$oid":"%order%"},"customerId":"%cust%","status":"PAID","total":%price%}],"id":0,"ns":"data.customerOrder"},"ok":1}"#, 2.4)
    },
    op(2.0, S("hello"), r#"{"hello":1,"helloOk":true,"$db":"admin"}"#, r#"{"helloOk":true,"isWritablePrimary":true,"maxBsonObjectSize":16777216,"maxWireVersion":21,"ok":1}"#, 0.1),
    op(1.0, S("getMore"), r#"{"getMore":%seq%,"collection":"customerOrder","$db":"data"}"#, r#"{"cursor":{"nextBatch":[],"id":0,"ns":"data.customerOrder"},"ok":1}"#, 0.4),
];

fn mongodb_flows(w: &World) -> Vec<Flow> {
    vec![
        Flow::new(w, "carts", "carts-db", 1.0),
        Flow::new(w, "orders", "orders-db", 0.5).op(1),
    ]
}

pub(crate) fn mongodb(
    w: &World,
    win: Window,
    rows: usize,
) -> ProtoGen<'_, Generic<'_, MongoShape>> {
    let flows = mongodb_flows(w);
    make(w, win, rows, flows, &[MONGO_CARTS, MONGO_ORDERS])
}

/// The flows of every table in this module with their protocol code
/// (conn_stats' `protocol` column).
pub(crate) fn flows(w: &World) -> Vec<(i64, Vec<Flow>)> {
    vec![
        (3, mysql_flows(w)),
        (5, pgsql_flows(w)),
        (7, redis_flows(w)),
        (4, cql_flows(w)),
        (9, mongodb_flows(w)),
    ]
}
