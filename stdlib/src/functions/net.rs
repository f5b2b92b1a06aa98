//! Networking helpers (IPs, CIDRs, DNS), protocol code -> name tables, PII
//! redaction and request-path clustering.

use super::{Family, FnKind, FunctionSpec, SemRule};

const fn scalar(
    name: &'static str,
    family: Family,
    sigs: &'static [&'static str],
    brief: &'static str,
    doc: &'static str,
    examples: &'static [&'static str],
) -> FunctionSpec {
    FunctionSpec {
        name,
        kind: FnKind::Scalar,
        family,
        sigs,
        semantic: SemRule::Fixed,
        init_args: 0,
        brief,
        doc,
        examples,
    }
}

pub(super) const FUNCTIONS: &[FunctionSpec] = &[
    scalar(
        "nslookup",
        Family::Net,
        &["(addr: STRING) -> STRING"],
        "Reverse DNS lookup of an IP address (experimental).",
        "Returns a host name for the IP address `addr`, found by a reverse DNS query from the \
         node that runs the function. Answers are cached, since the same addresses repeat \
         across rows. Experimental: prefer `px.ip_to_pod_id` and the other metadata \
         functions for addresses inside the cluster.",
        &["df.remote_host = px.nslookup(df.remote_addr)"],
    ),
    scalar(
        "cidrs_contain_ip",
        Family::Net,
        &["(cidrs: STRING, ip: STRING) -> BOOLEAN"],
        "Whether an IP address falls in any of a list of CIDR ranges.",
        "`cidrs` is a JSON array of ranges written `address/prefix_length`, such as \
         `'[\"10.0.0.0/8\", \"fd00::/8\"]'`; IPv4 and IPv6 both work. The result is true when \
         `ip` lies in at least one of them. Entries that are not valid ranges are skipped; \
         invalid JSON or an invalid `ip` gives false.",
        &[
            "df.in_cluster = px.cidrs_contain_ip(px.get_cidrs(), df.remote_addr)",
            "df.private = px.cidrs_contain_ip('[\"10.0.0.0/8\", \"192.168.0.0/16\"]', \
             df.remote_addr)",
        ],
    ),
    scalar(
        "get_cidrs",
        Family::Net,
        &["() -> STRING"],
        "The cluster's pod and service CIDR ranges, as a JSON array.",
        "Returns the address ranges the Kubernetes cluster uses, as a JSON array of \
         `address/prefix_length` strings: the pod CIDRs, a `/32` for the CNI bridge address \
         of each IPv4 pod range (its address with the last number 1), and the service CIDR \
         when it is known, sorted as text. On a single host without Kubernetes it is `[]`. \
         Feed it to \
         `px.cidrs_contain_ip` to tell in-cluster traffic from external traffic.",
        &["df.in_cluster = px.cidrs_contain_ip(px.get_cidrs(), df.remote_addr)"],
    ),
    scalar(
        "ip_to_pod_id",
        Family::Net,
        &[
            "(ip: STRING) -> STRING",
            "(ip: STRING, time: TIME64NS) -> STRING",
        ],
        "ID of the pod that owns an IP address.",
        "Looks up which pod has the IP address `ip` and returns its Kubernetes UID, or an \
         empty string when no pod has it (for example an address outside the cluster). Pod \
         IPs are reused, so pass the row's `time_` as second argument to get the pod that \
         held the address at that moment. Chain it with `px.pod_id_to_pod_name` or \
         `px.pod_id_to_service_name` to get readable names.",
        &[
            "df.remote_pod_id = px.ip_to_pod_id(df.remote_addr, df.time_)",
            "df.remote_pod = px.pod_id_to_pod_name(px.ip_to_pod_id(df.remote_addr))",
        ],
    ),
    scalar(
        "ip_to_service_id",
        Family::Net,
        &["(ip: STRING) -> STRING"],
        "ID of the service behind an IP address.",
        "Returns the Kubernetes UID of the service whose cluster IP is `ip`; when `ip` is a \
         pod address instead, returns the services of that pod (a JSON array when there are \
         several). The result is an empty string when no service matches.",
        &["df.remote_service = px.service_id_to_service_name(px.ip_to_service_id(df.remote_addr))"],
    ),
    scalar(
        "protocol_name",
        Family::Protocol,
        &["(protocol: INT64) -> STRING"],
        "Name of a traced protocol, from its numeric code.",
        "Turns the protocol numbers found in columns such as `conn_stats.protocol` into \
         names: 0 `Unknown`, 1 `HTTP`, 2 `HTTP2`, 3 `MySQL`, 4 `CQL`, 5 `PGSQL`, 6 `DNS`, \
         7 `Redis`, 8 `NATS`, 9 `Mongo`, 10 `Kafka`, 12 `AMQP`. Any other number gives \
         `Invalid (n)`.",
        &["df.protocol_name = px.protocol_name(df.protocol)"],
    ),
    scalar(
        "http_resp_message",
        Family::Protocol,
        &["(code: INT64) -> STRING:HTTP_RESP_MESSAGE"],
        "Standard reason phrase of an HTTP status code.",
        "Returns the registered reason phrase for an HTTP status code, such as `OK` for 200 \
         or `Not Found` for 404. Codes without a registered phrase give `Unassigned`.",
        &["df.resp_message = px.http_resp_message(df.resp_status)"],
    ),
    scalar(
        "grpc_status_code_to_str",
        Family::Protocol,
        &["(code: INT64) -> STRING"],
        "Name of a gRPC status code.",
        "Returns the canonical upper-case name of a gRPC status code: 0 is `OK`, 5 is \
         `NOT_FOUND`, 14 is `UNAVAILABLE`, and so on. A number that is not a gRPC code gives \
         `unknown code`.",
        &["df.grpc_status = px.grpc_status_code_to_str(\
             px.atoi(px.pluck(df.resp_headers, 'grpc-status'), -1))"],
    ),
    scalar(
        "kafka_api_key_name",
        Family::Protocol,
        &["(api_key: INT64) -> STRING"],
        "Name of a Kafka request type, from its API key.",
        "Turns a Kafka API key (the `req_cmd` column of `kafka_events.beta`) into the request \
         name, e.g. 0 `Produce`, 1 `Fetch`, 3 `Metadata`. Keys the function does not know \
         come back as their number, written as text.",
        &["df.request = px.kafka_api_key_name(df.req_cmd)"],
    ),
    scalar(
        "mysql_command_name",
        Family::Protocol,
        &["(cmd: INT64) -> STRING"],
        "Name of a MySQL command, from its code.",
        "Turns a MySQL command byte (the `req_cmd` column of `mysql_events`) into its name, \
         e.g. 3 `Query`, 22 `StmtPrepare`, 23 `StmtExecute`. Unknown codes come back as \
         their number, written as text.",
        &["df.command = px.mysql_command_name(df.req_cmd)"],
    ),
    scalar(
        "cql_opcode_name",
        Family::Protocol,
        &["(opcode: INT64) -> STRING"],
        "Name of a Cassandra (CQL) frame opcode.",
        "Turns a CQL opcode (the `req_op` or `resp_op` column of `cql_events`) into its \
         name, e.g. 7 `Query`, 9 `Prepare`, 10 `Execute`, 8 `Result`. Unknown opcodes come \
         back as their number, written as text.",
        &["df.request = px.cql_opcode_name(df.req_op)"],
    ),
    scalar(
        "amqp_frame_type_name",
        Family::Protocol,
        &["(frame_type: INT64) -> STRING"],
        "Name of an AMQP frame type.",
        "Turns an AMQP frame type number into a name: 1 `Frame method`, 2 `Content Header`, \
         3 `Content Body`, 8 `Heartbeat`. Other numbers come back as text.",
        &["df.frame = px.amqp_frame_type_name(df.frame_type)"],
    ),
    scalar(
        "amqp_method_name",
        Family::Protocol,
        &["(class_id: INT64, method_id: INT64) -> STRING"],
        "Name of an AMQP method, from its class and method IDs.",
        "Combines an AMQP class ID and method ID into the method name, e.g. class 60 method \
         40 is `BasicPublish` and class 10 method 10 is `ConnectionStart`. A method ID of 0 \
         gives just the class name (`Basic`, `Channel`, ...). Unknown pairs give `Unknown`.",
        &["df.method = px.amqp_method_name(df.req_class_id, df.req_method_id)"],
    ),
    scalar(
        "mux_frame_type_name",
        Family::Protocol,
        &["(frame_type: INT64) -> STRING"],
        "Name of a Mux (Finagle) frame type.",
        "Turns a Mux message type into its name: positive numbers are requests (`Treq`, \
         `Tdispatch`, `Tping`, ...) and their negatives the matching replies (`Rreq`, \
         `Rdispatch`, `Rping`, ...). Unknown numbers give `Unknown (n)`.",
        &["df.frame = px.mux_frame_type_name(df.req_type)"],
    ),
    scalar(
        "dns_rcode_name",
        Family::Protocol,
        &["(rcode: INT64) -> STRING"],
        "Name of a DNS response code.",
        "Turns a DNS RCODE into its mnemonic: 0 `NOERROR`, 2 `SERVFAIL`, 3 `NXDOMAIN`, 5 \
         `REFUSED`, and so on. Codes without a name come back as their number, written as \
         text.",
        &["df.rcode_name = px.dns_rcode_name(px.pluck_int64(df.resp_header, 'rcode'))"],
    ),
    scalar(
        "redact_pii_best_effort",
        Family::Pii,
        &["(s: STRING) -> STRING"],
        "Masks personal data such as emails and IP addresses in a string.",
        "Returns `s` with the personal data it recognises replaced by a tag naming its kind, \
         such as `<REDACTED_EMAIL>`. It looks for IBANs (`<REDACTED_IBAN>`, checked with \
         mod 97), email addresses, IPv6 and IPv4 addresses (`<REDACTED_IPV6>`, \
         `<REDACTED_IPV4>`), MAC addresses (`<REDACTED_MAC_ADDR>`), IMEI numbers \
         (`<REDACTED_IMEI>`), credit card numbers that pass the Luhn check \
         (`<REDACTED_CC_NUMBER>`) and US social security numbers (`<REDACTED_SSN>`). Where \
         matches overlap the longest wins. Detection is heuristic, so \
         it can both miss data and mask harmless text: do not rely on it where privacy must \
         be guaranteed.",
        &["df.req_body = px.redact_pii_best_effort(df.req_body)"],
    ),
    scalar(
        "_predict_request_path_cluster",
        Family::RequestPath,
        &["(path: STRING, clustering: STRING) -> STRING"],
        "Templated form of a request path, from a learned clustering (internal).",
        "`clustering` is the JSON produced by the `px._build_request_path_clusters` \
         aggregate. The function finds the cluster closest to `path` (ignoring its query \
         string) and returns that cluster's template, where varying segments are `*`, e.g. \
         `/api/users/*`; paths of a cluster with few distinct members come back unchanged. \
         If `clustering` cannot be parsed, the result is an error message.",
        &["df.endpoint = px._predict_request_path_cluster(df.req_path, df.clustering)"],
    ),
    scalar(
        "_match_endpoint",
        Family::RequestPath,
        &["(path: STRING, endpoint: STRING) -> BOOLEAN"],
        "Whether a request path fits an endpoint template (internal).",
        "True when `path` has as many segments as `endpoint` and every segment is equal, \
         except where the template has `*`, which matches any single segment. The query \
         string of either argument is ignored, and a missing leading `/` makes no \
         difference.",
        &["df = df[px._match_endpoint(df.req_path, '/api/users/*')]"],
    ),
];
