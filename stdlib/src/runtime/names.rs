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
        102 => "Processing",
        103 => "Early Hints",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        207 => "Multi-Status",
        208 => "Already Reported",
        226 => "IM Used",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        306 => "(Unused)",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Entity",
        423 => "Locked",
        424 => "Failed Dependency",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        506 => "Variant Also Negotiates",
        507 => "Insufficient Storage",
        508 => "Loop Detected",
        510 => "Not Extended",
        511 => "Network Authentication Required",
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
            (27, "WriteTxnMarkers"),
            (28, "TxnOffsetCommit"),
            (29, "DescribeAcls"),
            (30, "CreateAcls"),
            (31, "DeleteAcls"),
            (32, "DescribeConfigs"),
            (33, "AlterConfigs"),
            (34, "AlterReplicaLogDirs"),
            (35, "DescribeLogDirs"),
            (36, "SaslAuthenticate"),
            (37, "CreatePartitions"),
            (38, "CreateDelegationToken"),
            (39, "RenewDelegationToken"),
            (40, "ExpireDelegationToken"),
            (41, "DescribeDelegationToken"),
            (42, "DeleteGroups"),
            (43, "ElectLeaders"),
            (44, "IncrementalAlterConfigs"),
            (45, "AlterPartitionReassignments"),
            (46, "ListPartitionReassignments"),
            (47, "OffsetDelete"),
            (48, "DescribeClientQuotas"),
            (49, "AlterClientQuotas"),
            (50, "DescribeUserScramCredentials"),
            (51, "AlterUserScramCredentials"),
            (56, "AlterIsr"),
            (57, "UpdateFeatures"),
            (60, "DescribeCluster"),
            (61, "DescribeProducers"),
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

/// AMQP 0-9-1 frame types, spelled as Pixie spells them; others give their number.
pub fn amqp_frame_type(t: i64) -> String {
    table(
        t,
        &[
            (1, "Frame method"),
            (2, "Content Header"),
            (3, "Content Body"),
            (8, "Heartbeat"),
        ],
    )
}

/// AMQP 0-9-1 methods as `<Class><Method>` in CamelCase (`BasicPublish`,
/// `ConnectionStart-ok`); method 0 of a known class gives the class name and
/// anything else `Unknown`. Both ids are 16-bit on the wire, so they wrap.
pub fn amqp_method(class: i64, method: i64) -> String {
    let (class, method) = (class as u16, method as u16);
    let (cname, methods): (&str, &[(u16, &str)]) = match class {
        10 => (
            "Connection",
            &[
                (10, "Start"),
                (11, "Start-ok"),
                (20, "Secure"),
                (21, "Secure-ok"),
                (30, "Tune"),
                (31, "Tune-ok"),
                (40, "Open"),
                (41, "Open-ok"),
                (50, "Close"),
                (51, "Close-ok"),
            ],
        ),
        20 => (
            "Channel",
            &[
                (10, "Open"),
                (11, "Open-ok"),
                (20, "Flow"),
                (21, "Flow-ok"),
                (40, "Close"),
                (41, "Close-ok"),
            ],
        ),
        40 => (
            "Exchange",
            &[
                (10, "Declare"),
                (11, "Declare-ok"),
                (20, "Delete"),
                (21, "Delete-ok"),
            ],
        ),
        50 => (
            "Queue",
            &[
                (10, "Declare"),
                (11, "Declare-ok"),
                (20, "Bind"),
                (21, "Bind-ok"),
                (30, "Purge"),
                (31, "Purge-ok"),
                (40, "Delete"),
                (41, "Delete-ok"),
                (50, "Unbind"),
                (51, "Unbind-ok"),
            ],
        ),
        60 => (
            "Basic",
            &[
                (10, "Qos"),
                (11, "Qos-ok"),
                (20, "Consume"),
                (21, "Consume-ok"),
                (30, "Cancel"),
                (31, "Cancel-ok"),
                (40, "Publish"),
                (50, "Return"),
                (60, "Deliver"),
                (70, "Get"),
                (71, "Get-ok"),
                (72, "Get-empty"),
                (80, "Ack"),
                (90, "Reject"),
                (100, "Recover-async"),
                (110, "Recover"),
                (111, "Recover-ok"),
            ],
        ),
        90 => (
            "Tx",
            &[
                (10, "Select"),
                (11, "Select-ok"),
                (20, "Commit"),
                (21, "Commit-ok"),
                (30, "Rollback"),
                (31, "Rollback-ok"),
            ],
        ),
        _ => return "Unknown".into(),
    };
    if method == 0 {
        return cname.into();
    }
    match methods.iter().find(|(m, _)| *m == method) {
        Some((_, m)) => format!("{cname}{m}"),
        None => "Unknown".into(),
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
            (-66, "Rdiscarded"),
            (-62, "Tdiscarded (legacy)"),
            (67, "Tlease"),
            (68, "Tinit"),
            (-68, "Rinit"),
            (-128, "Rerr"),
            (127, "Rerr (legacy)"),
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
            (11, "DSOTYPENI"),
            (16, "BADVERS"),
            (17, "BADKEY"),
            (18, "BADTIME"),
            (19, "BADMODE"),
            (20, "BADNAME"),
            (21, "BADALG"),
            (22, "BADTRUNC"),
            (23, "BADCOOKIE"),
        ],
    )
}
