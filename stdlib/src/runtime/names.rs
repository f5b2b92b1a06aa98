//! Enum values of the protocols → their names.

pub fn protocol_name(p: i64) -> String {
    match p {
        0 => "Unknown",
        1 => "HTTP",
        2 => "HTTP2",
        3 => "MySQL",
        4 => "CQL",
        5 => "PGSQL",
        6 => "DNS",
        7 => "Redis",
        8 => "NATS",
        9 => "Mongo",
        10 => "Kafka",
        12 => "AMQP",
        _ => return format!("Invalid ({p})"),
    }
    .to_string()
}

pub fn http_resp_message(code: i64) -> &'static str {
    match code {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        418 => "I'm a teapot",
        422 => "Unprocessable Entity",
        425 => "Too Early",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "Unassigned",
    }
}

fn table(v: i64, names: &[(i64, &str)]) -> String {
    names
        .iter()
        .find(|(k, _)| *k == v)
        .map_or_else(|| v.to_string(), |(_, n)| (*n).to_string())
}

pub fn grpc_status(c: i64) -> String {
    if !(-1..=16).contains(&c) {
        return "unknown code".into();
    }
    table(
        c,
        &[
            (-1, "DO_NOT_USE"),
            (0, "OK"),
            (1, "CANCELLED"),
            (2, "UNKNOWN"),
            (3, "INVALID_ARGUMENT"),
            (4, "DEADLINE_EXCEEDED"),
            (5, "NOT_FOUND"),
            (6, "ALREADY_EXISTS"),
            (7, "PERMISSION_DENIED"),
            (8, "RESOURCE_EXHAUSTED"),
            (9, "FAILED_PRECONDITION"),
            (10, "ABORTED"),
            (11, "OUT_OF_RANGE"),
            (12, "UNIMPLEMENTED"),
            (13, "INTERNAL"),
            (14, "UNAVAILABLE"),
            (15, "DATA_LOSS"),
            (16, "UNAUTHENTICATED"),
        ],
    )
}

pub fn kafka_api_key(k: i64) -> String {
    table(
        k,
        &[
            (0, "Produce"),
            (1, "Fetch"),
            (2, "ListOffsets"),
            (3, "Metadata"),
            (4, "LeaderAndIsr"),
            (5, "StopReplica"),
            (6, "UpdateMetadata"),
            (7, "ControlledShutdown"),
            (8, "OffsetCommit"),
            (9, "OffsetFetch"),
            (10, "FindCoordinator"),
            (11, "JoinGroup"),
            (12, "Heartbeat"),
            (13, "LeaveGroup"),
            (14, "SyncGroup"),
            (15, "DescribeGroups"),
            (16, "ListGroups"),
            (17, "SaslHandshake"),
            (18, "ApiVersions"),
            (19, "CreateTopics"),
            (20, "DeleteTopics"),
            (21, "DeleteRecords"),
            (22, "InitProducerId"),
            (23, "OffsetForLeaderEpoch"),
            (24, "AddPartitionsToTxn"),
            (25, "AddOffsetsToTxn"),
            (26, "EndTxn"),
            (32, "DescribeConfigs"),
            (33, "AlterConfigs"),
            (36, "SaslAuthenticate"),
            (37, "CreatePartitions"),
            (42, "DeleteGroups"),
            (47, "OffsetDelete"),
        ],
    )
}

pub fn mysql_command(c: i64) -> String {
    table(
        c,
        &[
            (0x00, "Sleep"),
            (0x01, "Quit"),
            (0x02, "InitDB"),
            (0x03, "Query"),
            (0x04, "FieldList"),
            (0x05, "CreateDB"),
            (0x06, "DropDB"),
            (0x07, "Refresh"),
            (0x08, "Shutdown"),
            (0x09, "Statistics"),
            (0x0a, "ProcessInfo"),
            (0x0b, "Connect"),
            (0x0c, "ProcessKill"),
            (0x0d, "Debug"),
            (0x0e, "Ping"),
            (0x0f, "Time"),
            (0x10, "DelayedInsert"),
            (0x11, "ChangeUser"),
            (0x12, "BinlogDump"),
            (0x13, "TableDump"),
            (0x14, "ConnectOut"),
            (0x15, "RegisterSlave"),
            (0x16, "StmtPrepare"),
            (0x17, "StmtExecute"),
            (0x18, "StmtSendLongData"),
            (0x19, "StmtClose"),
            (0x1a, "StmtReset"),
            (0x1b, "SetOption"),
            (0x1c, "StmtFetch"),
            (0x1d, "Daemon"),
            (0x1e, "BinlogDumpGTID"),
            (0x1f, "ResetConnection"),
        ],
    )
}

pub fn cql_opcode(o: i64) -> String {
    table(
        o,
        &[
            (0x00, "Error"),
            (0x01, "Startup"),
            (0x02, "Ready"),
            (0x03, "Authenticate"),
            (0x05, "Options"),
            (0x06, "Supported"),
            (0x07, "Query"),
            (0x08, "Result"),
            (0x09, "Prepare"),
            (0x0a, "Execute"),
            (0x0b, "Register"),
            (0x0c, "Event"),
            (0x0d, "Batch"),
            (0x0e, "AuthChallenge"),
            (0x0f, "AuthResponse"),
            (0x10, "AuthSuccess"),
        ],
    )
}

pub fn amqp_frame_type(t: i64) -> String {
    table(
        t,
        &[(1, "Method"), (2, "Header"), (3, "Body"), (8, "Heartbeat")],
    )
}

pub fn amqp_method(class: i64, method: i64) -> String {
    let (cname, methods): (&str, &[(i64, &str)]) = match class {
        10 => (
            "connection",
            &[
                (10, "start"),
                (11, "start-ok"),
                (20, "secure"),
                (21, "secure-ok"),
                (30, "tune"),
                (31, "tune-ok"),
                (40, "open"),
                (41, "open-ok"),
                (50, "close"),
                (51, "close-ok"),
            ],
        ),
        20 => (
            "channel",
            &[
                (10, "open"),
                (11, "open-ok"),
                (20, "flow"),
                (21, "flow-ok"),
                (40, "close"),
                (41, "close-ok"),
            ],
        ),
        40 => (
            "exchange",
            &[
                (10, "declare"),
                (11, "declare-ok"),
                (20, "delete"),
                (21, "delete-ok"),
                (30, "bind"),
                (31, "bind-ok"),
                (40, "unbind"),
                (51, "unbind-ok"),
            ],
        ),
        50 => (
            "queue",
            &[
                (10, "declare"),
                (11, "declare-ok"),
                (20, "bind"),
                (21, "bind-ok"),
                (30, "purge"),
                (31, "purge-ok"),
                (40, "delete"),
                (41, "delete-ok"),
                (50, "unbind"),
                (51, "unbind-ok"),
            ],
        ),
        60 => (
            "basic",
            &[
                (10, "qos"),
                (11, "qos-ok"),
                (20, "consume"),
                (21, "consume-ok"),
                (30, "cancel"),
                (31, "cancel-ok"),
                (40, "publish"),
                (50, "return"),
                (60, "deliver"),
                (70, "get"),
                (71, "get-ok"),
                (72, "get-empty"),
                (80, "ack"),
                (90, "reject"),
                (100, "recover-async"),
                (110, "recover"),
                (111, "recover-ok"),
                (120, "nack"),
            ],
        ),
        85 => ("confirm", &[(10, "select"), (11, "select-ok")]),
        90 => (
            "tx",
            &[
                (10, "select"),
                (11, "select-ok"),
                (20, "commit"),
                (21, "commit-ok"),
                (30, "rollback"),
                (31, "rollback-ok"),
            ],
        ),
        _ => return format!("{class}.{method}"),
    };
    match methods.iter().find(|(m, _)| *m == method) {
        Some((_, m)) => format!("{cname}.{m}"),
        None => format!("{cname}.{method}"),
    }
}

pub fn mux_frame_type(t: i64) -> String {
    let name = table(
        t,
        &[
            (1, "Treq"),
            (-1, "Rreq"),
            (2, "Tdispatch"),
            (-2, "Rdispatch"),
            (64, "Tdrain"),
            (-64, "Rdrain"),
            (65, "Tping"),
            (-65, "Rping"),
            (66, "Tdiscarded"),
            (-62, "Tdiscarded"),
            (67, "Tlease"),
            (68, "Tinit"),
            (-68, "Rinit"),
            (-128, "Rerr"),
            (127, "Rerr"),
        ],
    );
    if name == t.to_string() {
        format!("Unknown ({t})")
    } else {
        name
    }
}

pub fn dns_rcode(rc: i64) -> String {
    table(
        rc,
        &[
            (0, "NOERROR"),
            (1, "FORMERR"),
            (2, "SERVFAIL"),
            (3, "NXDOMAIN"),
            (4, "NOTIMP"),
            (5, "REFUSED"),
            (6, "YXDOMAIN"),
            (7, "YXRRSET"),
            (8, "NXRRSET"),
            (9, "NOTAUTH"),
            (10, "NOTZONE"),
        ],
    )
}
