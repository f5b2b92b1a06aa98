//! The brokers (Kafka, NATS, AMQP), Finagle Mux and TLS handshakes.

use crate::Window;
use crate::columns::{Cols, Str, i64s};
use crate::proto::{Op, OpSet, Payload, ProtoGen, Row, Template, Vars, op};
use crate::rng::{Cdf, Rng};
use crate::traffic::Flow;
use crate::world::{EXT_MAIL, EXT_PAYMENT_GW, SEC, World};

// ------------------------------------------------- operation-set payloads

/// The command part of an operation of a broker/RPC table.
pub(crate) trait Command: Sized + 'static {
    const TABLE: &'static str;
    /// Names of the request and response text columns, if any.
    const REQ: Option<&'static str>;
    const RESP: Option<&'static str>;
    const LATENCY: bool = true;
    fn push(&self, cols: &mut CmdCols, failed: bool);
    fn finish(cols: &mut CmdCols) -> Cols;
}

/// Command columns collected for one batch.
#[derive(Default)]
pub(crate) struct CmdCols {
    ints: [Vec<i64>; 6],
    text: Option<Str>,
}

impl CmdCols {
    fn text(&mut self) -> &mut Str {
        self.text.get_or_insert_with(|| Str::new(0, 0))
    }
}

/// A payload driven by op sets, one per flow `op`.
pub(crate) struct Ops<'w, C: 'static> {
    w: &'w World,
    sets: Vec<OpSet<C>>,
    socks: Cdf,
    customers: Cdf,
    /// Per flow `op`: the client id (Kafka).
    client_ids: &'static [&'static str],
    cmd: CmdCols,
    client_id: Str,
    req: Str,
    resp: Str,
    latency: Vec<i64>,
    /// Offsets and delivery tags grow by this many per second.
    seq_rate: f64,
}

impl<'w, C: Command> Ops<'w, C> {
    fn new(
        w: &'w World,
        sets: &[&'static [Op<C>]],
        client_ids: &'static [&'static str],
        seq_rate: f64,
    ) -> Self {
        Ops {
            w,
            sets: sets.iter().map(|s| OpSet::new(s)).collect(),
            socks: Cdf::zipf(w.socks.len(), 1.1),
            customers: Cdf::zipf(w.customers.len(), 0.8),
            client_ids,
            cmd: CmdCols::default(),
            client_id: Str::new(0, 0),
            req: Str::new(0, 0),
            resp: Str::new(0, 0),
            latency: Vec::new(),
            seq_rate,
        }
    }
}

impl<C: Command> Payload for Ops<'_, C> {
    fn table(&self) -> &'static str {
        C::TABLE
    }

    fn row(&mut self, rng: &mut Rng, row: &Row) {
        let set = &self.sets[row.flow.op];
        let i = set.pick(rng);
        let op = &set.ops[i];
        let secs = (row.ex.t - row.win.start()) as f64 / SEC as f64;
        let seq = 1_200_000 + (secs * self.seq_rate) as i64;
        let vars = Vars::sample(self.w, rng, &self.socks, &self.customers, seq);
        let failed = op.err > 0.0 && rng.chance(op.err);
        op.cmd.push(&mut self.cmd, failed);
        if !self.client_ids.is_empty() {
            self.client_id.push(self.client_ids[row.flow.op]);
        }
        if C::REQ.is_some() {
            set.req[i].render(&mut self.req, &vars);
        }
        if C::RESP.is_some() {
            let t: &Template = if failed {
                &set.err_resp[i]
            } else {
                &set.resp[i]
            };
            t.render(&mut self.resp, &vars);
        }
        if C::LATENCY {
            // Messages nobody answers have no latency.
            let l = if op.median_ms == 0.0 {
                0
            } else {
                row.latency(rng, op.median_ms, op.sigma)
            };
            self.latency.push(l);
        }
    }

    fn finish(&mut self) -> Cols {
        let mut cols = C::finish(&mut self.cmd);
        if !self.client_ids.is_empty() {
            cols.push(("client_id", self.client_id.finish()));
        }
        if let Some(name) = C::REQ {
            cols.push((name, self.req.finish()));
        }
        if let Some(name) = C::RESP {
            cols.push((name, self.resp.finish()));
        }
        if C::LATENCY {
            cols.push(("latency", i64s(&mut self.latency)));
        }
        cols
    }
}

// ---------------------------------------------------------------- Kafka

pub(crate) struct KafkaCmd(i64);

impl Command for KafkaCmd {
    const TABLE: &'static str = "kafka_events.beta";
    const REQ: Option<&'static str> = Some("req_body");
    const RESP: Option<&'static str> = Some("resp");
    fn push(&self, c: &mut CmdCols, _: bool) {
        c.ints[0].push(self.0);
    }
    fn finish(c: &mut CmdCols) -> Cols {
        vec![("req_cmd", i64s(&mut c.ints[0]))]
    }
}

const KAFKA_METADATA: Op<KafkaCmd> = op(
    1.0,
    KafkaCmd(3),
    r#"{"topics":[{"topic_id":"AAAAAAAAAAAAAAAAAAAAAA","name":"orders"}],"allow_auto_topic_creation":true,"include_cluster_authorized_operations":false,"include_topic_authorized_operations":false}"#,
    r#"{"throttle_time_ms":0,"brokers":[{"node_id":0,"host":"kafka-0.kafka.px-sock-shop.svc.cluster.local","port":9092,"rack":""}],"cluster_id":"Vq3xJ5cKQeGm8vR2sT1wZA","controller_id":0,"topics":[{"error_code":0,"name":"orders","topic_id":"pQ0mXz3vT9uJ6c2ZkLrE4w","is_internal":false,"partitions":[{"error_code":0,"partition_index":0,"leader_id":0,"leader_epoch":0,"replica_nodes":[0],"isr_nodes":[0],"offline_replicas":[]},{"error_code":0,"partition_index":1,"leader_id":0},{"error_code":0,"partition_index":2,"leader_id":0}],"topic_authorized_operations":-2147483648}],"cluster_authorized_operations":-2147483648}"#,
    0.8,
);

const KAFKA_PRODUCER: &[Op<KafkaCmd>] = &[
    Op {
        err: 0.002,
        err_resp: r#"{"topics":[{"name":"orders","partitions":[{"index":%part%,"error_code":6,"base_offset":-1,"log_append_time_ms":-1,"log_start_offset":-1,"record_errors":[],"error_message":""}]}],"throttle_time_ms":0}"#,
        ..op(
            20.0,
            KafkaCmd(0),
            r#"{"transactional_id":"","acks":-1,"timeout_ms":30000,"topics":[{"name":"orders","partitions":[{"index":%part%,"message_set":{"size":%num%41}}]}]}"#,
            r#"{"topics":[{"name":"orders","partitions":[{"index":%part%,"error_code":0,"base_offset":%seq%,"log_append_time_ms":-1,"log_start_offset":0,"record_errors":[],"error_message":""}]}],"throttle_time_ms":0}"#,
            2.5,
        )
    },
    Op {
        weight: 2.0,
        ..KAFKA_METADATA
    },
    op(
        0.3,
        KafkaCmd(18),
        r#"{"client_software_name":"apache-kafka-java","client_software_version":"3.6.1"}"#,
        r#"{"error_code":0,"api_keys":[{"api_key":0,"min_version":0,"max_version":9},{"api_key":1,"min_version":0,"max_version":15},{"api_key":3,"min_version":0,"max_version":12}],"throttle_time_ms":0}"#,
        0.3,
    ),
];

const KAFKA_CONSUMER: &[Op<KafkaCmd>] = &[
    Op {
        sigma: 0.35,
        ..op(
            12.0,
            KafkaCmd(1),
            r#"{"replica_id":-1,"max_wait_ms":500,"min_bytes":1,"max_bytes":52428800,"isolation_level":0,"session_id":0,"session_epoch":-1,"topics":[{"name":"orders","partitions":[{"index":%part%,"current_leader_epoch":0,"fetch_offset":%seq%,"log_start_offset":-1,"partition_max_bytes":1048576}]}],"forgotten_topics":[],"rack_id":""}"#,
            r#"{"throttle_time_ms":0,"error_code":0,"session_id":0,"topics":[{"name":"orders","partitions":[{"index":%part%,"error_code":0,"high_watermark":%seq%,"last_stable_offset":%seq%,"log_start_offset":0,"aborted_transactions":[],"preferred_read_replica":-1,"message_set":{"size":%num%41}}]}]}"#,
            380.0,
        )
    },
    op(
        3.0,
        KafkaCmd(8),
        r#"{"group_id":"shipping","generation_id":3,"member_id":"consumer-shipping-1-%hex%","retention_time_ms":-1,"topics":[{"name":"orders","partitions":[{"partition_index":%part%,"committed_offset":%seq%,"committed_metadata":""}]}]}"#,
        r#"{"throttle_time_ms":0,"topics":[{"name":"orders","partitions":[{"partition_index":%part%,"error_code":0}]}]}"#,
        1.4,
    ),
    Op {
        err: 0.01,
        err_resp: r#"{"throttle_time_ms":0,"error_code":27}"#,
        ..op(
            4.0,
            KafkaCmd(12),
            r#"{"group_id":"shipping","generation_id":3,"member_id":"consumer-shipping-1-%hex%","group_instance_id":null}"#,
            r#"{"throttle_time_ms":0,"error_code":0}"#,
            0.6,
        )
    },
    Op {
        weight: 0.5,
        ..KAFKA_METADATA
    },
];

fn kafka_flows(w: &World) -> Vec<Flow> {
    vec![
        Flow::new(w, "orders", "kafka", 1.0),
        Flow::new(w, "shipping", "kafka", 0.9).op(1),
    ]
}

pub(crate) fn kafka(w: &World, win: Window, rows: usize) -> ProtoGen<'_, Ops<'_, KafkaCmd>> {
    let ops = Ops::new(
        w,
        &[KAFKA_PRODUCER, KAFKA_CONSUMER],
        &["orders-producer-1", "consumer-shipping-1"],
        1.6,
    );
    ProtoGen::new(w, win, rows, kafka_flows(w), ops)
}

// ---------------------------------------------------------------- NATS

pub(crate) struct NatsCmd(&'static str);

impl Command for NatsCmd {
    const TABLE: &'static str = "nats_events.beta";
    const REQ: Option<&'static str> = Some("body");
    const RESP: Option<&'static str> = Some("resp");
    const LATENCY: bool = false;
    fn push(&self, c: &mut CmdCols, _: bool) {
        c.text().push(self.0);
    }
    fn finish(c: &mut CmdCols) -> Cols {
        vec![("cmd", c.text().finish())]
    }
}

const NATS_PUBLISHER: &[Op<NatsCmd>] = &[
    Op {
        err: 0.002,
        err_resp: "ERR",
        ..op(
            85.0,
            NatsCmd("PUB"),
            concat!(
                r#"{"subject":"payments.authorized","reply_to":"","payload":""#,
                r#"{\"orderId\":\"%order%\",\"customerId\":\"%cust%\",\"amount\":%price%}"#,
                r#""}"#
            ),
            "OK",
            0.0,
        )
    },
    op(10.0, NatsCmd("PING"), "{}", "OK", 0.0),
    op(
        1.0,
        NatsCmd("CONNECT"),
        r#"{"verbose":false,"pedantic":false,"tls_required":false,"name":"payment","lang":"go","version":"1.33.1","protocol":1,"echo":true,"headers":true,"no_responders":true}"#,
        "OK",
        0.0,
    ),
    op(
        1.0,
        NatsCmd("INFO"),
        r#"{"server_id":"NDJWE4SHYBUYDAPFQYTDYJQZSP3MQUQ6QUAAP5BSUVFVFHHTLBUEJYRZ","server_name":"nats-0","version":"2.10.12","proto":1,"go":"go1.21.8","host":"0.0.0.0","port":4222,"headers":true,"max_payload":1048576}"#,
        "OK",
        0.0,
    ),
];

const NATS_SUBSCRIBER: &[Op<NatsCmd>] = &[
    op(
        85.0,
        NatsCmd("MSG"),
        concat!(
            r#"{"subject":"payments.authorized","sid":"1","reply_to":"","payload":""#,
            r#"{\"orderId\":\"%order%\",\"customerId\":\"%cust%\",\"amount\":%price%}"#,
            r#""}"#
        ),
        "OK",
        0.0,
    ),
    op(10.0, NatsCmd("PING"), "{}", "OK", 0.0),
    op(
        2.0,
        NatsCmd("SUB"),
        r#"{"subject":"payments.>","queue_group":"orders","sid":"1"}"#,
        "OK",
        0.0,
    ),
];

fn nats_flows(w: &World) -> Vec<Flow> {
    vec![
        Flow::new(w, "payment", "nats", 1.0),
        Flow::new(w, "orders", "nats", 1.0).op(1),
    ]
}

pub(crate) fn nats(w: &World, win: Window, rows: usize) -> ProtoGen<'_, Ops<'_, NatsCmd>> {
    let ops = Ops::new(w, &[NATS_PUBLISHER, NATS_SUBSCRIBER], &[], 1.0);
    ProtoGen::new(w, win, rows, nats_flows(w), ops)
}

// ---------------------------------------------------------------- AMQP

/// frame type, channel, request class/method, response class/method.
pub(crate) struct AmqpCmd(i64, i64, i64, i64, i64, i64);

impl Command for AmqpCmd {
    const TABLE: &'static str = "amqp_events";
    const REQ: Option<&'static str> = Some("req_msg");
    const RESP: Option<&'static str> = Some("resp_msg");
    fn push(&self, c: &mut CmdCols, _: bool) {
        for (col, v) in c
            .ints
            .iter_mut()
            .zip([self.0, self.1, self.2, self.3, self.4, self.5])
        {
            col.push(v);
        }
    }
    fn finish(c: &mut CmdCols) -> Cols {
        let [a, b, d, e, f, g] = &mut c.ints;
        vec![
            ("frame_type", i64s(a)),
            ("channel", i64s(b)),
            ("req_class_id", i64s(d)),
            ("req_method_id", i64s(e)),
            ("resp_class_id", i64s(f)),
            ("resp_method_id", i64s(g)),
        ]
    }
}

const AMQP_HEARTBEAT: Op<AmqpCmd> = op(3.0, AmqpCmd(8, 0, 0, 0, 0, 0), "", "", 0.0);

const AMQP_PUBLISHER: &[Op<AmqpCmd>] = &[
    op(
        45.0,
        AmqpCmd(1, 1, 60, 40, 60, 80),
        r#"{"ticket":0,"exchange":"","routing_key":"shipping-task","mandatory":0,"immediate":0}"#,
        r#"{"delivery_tag":%seq%,"multiple":0}"#,
        1.2,
    ),
    op(
        25.0,
        AmqpCmd(2, 1, 60, 0, 0, 0),
        r#"{"body_size":%num%8,"property_flags":37376,"content_type":"application/json","delivery_mode":2}"#,
        "",
        0.0,
    ),
    op(
        25.0,
        AmqpCmd(3, 1, 0, 0, 0, 0),
        r#"{"id":"%order%","name":"%cust%"}"#,
        "",
        0.0,
    ),
    AMQP_HEARTBEAT,
    op(
        2.0,
        AmqpCmd(1, 1, 85, 10, 85, 11),
        r#"{"nowait":0}"#,
        "{}",
        0.4,
    ),
];

const AMQP_CONSUMER: &[Op<AmqpCmd>] = &[
    op(
        45.0,
        AmqpCmd(1, 1, 60, 60, 0, 0),
        r#"{"consumer_tag":"amq.ctag-%hex%","delivery_tag":%seq%,"redelivered":0,"exchange":"","routing_key":"shipping-task"}"#,
        "",
        0.0,
    ),
    op(
        45.0,
        AmqpCmd(1, 1, 60, 80, 0, 0),
        r#"{"delivery_tag":%seq%,"multiple":0}"#,
        "",
        0.0,
    ),
    AMQP_HEARTBEAT,
    op(
        2.0,
        AmqpCmd(1, 1, 50, 10, 50, 11),
        r#"{"ticket":0,"queue":"shipping-task","passive":0,"durable":1,"exclusive":0,"auto_delete":0,"nowait":0}"#,
        r#"{"queue":"shipping-task","message_count":%num%,"consumer_count":1}"#,
        0.9,
    ),
    op(
        2.0,
        AmqpCmd(1, 1, 60, 10, 60, 11),
        r#"{"prefetch_size":0,"prefetch_count":10,"global":0}"#,
        "{}",
        0.3,
    ),
    op(
        2.0,
        AmqpCmd(1, 1, 60, 20, 60, 21),
        r#"{"ticket":0,"queue":"shipping-task","consumer_tag":"","no_local":0,"no_ack":0,"exclusive":0,"nowait":0}"#,
        r#"{"consumer_tag":"amq.ctag-%hex%"}"#,
        0.5,
    ),
];

fn amqp_flows(w: &World) -> Vec<Flow> {
    vec![
        Flow::new(w, "shipping", "rabbitmq", 1.0),
        Flow::new(w, "queue-master", "rabbitmq", 0.9).op(1),
    ]
}

pub(crate) fn amqp(w: &World, win: Window, rows: usize) -> ProtoGen<'_, Ops<'_, AmqpCmd>> {
    let ops = Ops::new(w, &[AMQP_PUBLISHER, AMQP_CONSUMER], &[], 1.5);
    ProtoGen::new(w, win, rows, amqp_flows(w), ops)
}

// ---------------------------------------------------------------- Mux

pub(crate) struct MuxCmd(i64);

impl Command for MuxCmd {
    const TABLE: &'static str = "mux_events";
    const REQ: Option<&'static str> = None;
    const RESP: Option<&'static str> = None;
    fn push(&self, c: &mut CmdCols, _: bool) {
        c.ints[0].push(self.0);
    }
    fn finish(c: &mut CmdCols) -> Cols {
        vec![("req_type", i64s(&mut c.ints[0]))]
    }
}

const MUX_OPS: &[Op<MuxCmd>] = &[
    Op {
        sigma: 0.7,
        ..op(93.0, MuxCmd(2), "", "", 6.0)
    },
    op(5.0, MuxCmd(65), "", "", 0.3),
    op(1.0, MuxCmd(68), "", "", 0.5),
    op(1.0, MuxCmd(66), "", "", 0.2),
];

/// Finagle thrift-mux between orders and shipping's admin/RPC port.
const MUX_PORT: u16 = 9990;

fn mux_flows(w: &World) -> Vec<Flow> {
    vec![Flow::new(w, "orders", "shipping", 1.0).port(MUX_PORT)]
}

pub(crate) fn mux(w: &World, win: Window, rows: usize) -> ProtoGen<'_, Ops<'_, MuxCmd>> {
    let ops = Ops::new(w, &[MUX_OPS], &[], 1.0);
    ProtoGen::new(w, win, rows, mux_flows(w), ops)
}

// ---------------------------------------------------------------- TLS

pub(crate) struct TlsCmd(i64);

impl Command for TlsCmd {
    const TABLE: &'static str = "tls_events";
    const REQ: Option<&'static str> = Some("req_body");
    const RESP: Option<&'static str> = Some("resp_body");
    fn push(&self, c: &mut CmdCols, _: bool) {
        c.ints[0].push(self.0);
    }
    fn finish(c: &mut CmdCols) -> Cols {
        vec![("req_type", i64s(&mut c.ints[0]))]
    }
}

macro_rules! tls_ops {
    ($name:ident, $sni:literal) => {
        const $name: &[Op<TlsCmd>] = &[
            Op {
                sigma: 0.4,
                ..op(
                    90.0,
                    TlsCmd(22),
                    concat!(
                        r#"{"handshake_type":"ClientHello","version":"TLS 1.2","cipher_suites":["TLS_AES_128_GCM_SHA256","TLS_AES_256_GCM_SHA384","TLS_CHACHA20_POLY1305_SHA256","TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],"extensions":{"server_name":[""#,
                        $sni,
                        r#""],"alpn":["h2","http/1.1"],"supported_versions":["TLS 1.3","TLS 1.2"]}}"#
                    ),
                    r#"{"handshake_type":"ServerHello","version":"TLS 1.2","cipher_suite":"TLS_AES_128_GCM_SHA256","extensions":{"alpn":"http/1.1","supported_versions":"TLS 1.3"}}"#,
                    24.0,
                )
            },
            op(6.0, TlsCmd(21), r#"{"level":"warning","description":"close_notify"}"#, "", 0.0),
            op(4.0, TlsCmd(20), r#"{"change_cipher_spec":1}"#, "", 0.0),
        ];
    };
}

tls_ops!(TLS_PAYMENT_GW, "api.payment-gw.example");
tls_ops!(TLS_MAIL, "api.mail.example");

fn tls_flows(w: &World) -> Vec<Flow> {
    vec![
        Flow::to_ext(w, "payment", EXT_PAYMENT_GW, 1.0),
        Flow::to_ext(w, "orders", EXT_MAIL, 0.9).op(1),
    ]
}

pub(crate) fn tls(w: &World, win: Window, rows: usize) -> ProtoGen<'_, Ops<'_, TlsCmd>> {
    let ops = Ops::new(w, &[TLS_PAYMENT_GW, TLS_MAIL], &[], 1.0);
    ProtoGen::new(w, win, rows, tls_flows(w), ops)
}

/// The flows of every table in this module with their protocol code
/// (conn_stats' `protocol` column). TLS connections carry HTTP and are
/// counted with http_events.
pub(crate) fn flows(w: &World) -> Vec<(i64, Vec<Flow>)> {
    vec![
        (6, crate::dns::flows(w)),
        (10, kafka_flows(w)),
        (8, nats_flows(w)),
        (12, amqp_flows(w)),
        (11, mux_flows(w)),
    ]
}
