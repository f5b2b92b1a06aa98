//! JSON access (`pluck*`), URI parsing and SQL normalisation.
//!
//! PxL has no structured types, so lists and objects travel as JSON text in
//! STRING columns; these functions read them. None of them fails a query on bad
//! input: they return an empty value instead.

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
        "pluck",
        Family::Json,
        &["(json: STRING, key: STRING) -> STRING"],
        "Reads one field of a JSON object, as a string.",
        "Parses `json` as a JSON object and returns the value stored under the top-level \
         `key`. A string value comes back without its quotes; numbers, booleans, arrays and \
         nested objects come back as compact JSON text. The result is an empty string when \
         `json` is not a valid object, the key is missing, or its value is `null`. Use \
         `px.pluck_int64` / `px.pluck_float64` to get numbers.",
        &[
            "df.user_agent = px.pluck(df.req_headers, 'User-Agent')",
            "df.phase = px.pluck(px.pod_name_to_status(df.pod), 'phase')",
        ],
    ),
    scalar(
        "pluck_int64",
        Family::Json,
        &["(json: STRING, key: STRING) -> INT64"],
        "Reads one integer field of a JSON object.",
        "Like `px.pluck`, but returns the value under `key` as an INT64. Every failure gives \
         0: invalid JSON, a missing key, `null`, or a value that is not a JSON integer (a \
         string such as `\"200\"` or a number with a fraction such as `5.1`).",
        &["df.code = px.pluck_int64(df.resp_body, 'code')"],
    ),
    scalar(
        "pluck_float64",
        Family::Json,
        &["(json: STRING, key: STRING) -> FLOAT64"],
        "Reads one floating-point field of a JSON object.",
        "Like `px.pluck`, but returns the value under `key` as a FLOAT64. Every failure gives \
         0.0: invalid JSON, a missing key, `null`, or a value that is not a floating-point \
         number. As in Pixie, a number written without a fraction or exponent (`200`) counts \
         as an integer and also gives 0.0. Its main use is reading the percentiles produced \
         by `px.quantiles`.",
        &[
            "df.p99 = px.pluck_float64(df.latency_quantiles, 'p99')",
            "df.p50_ms = px.pluck_float64(df.latency_quantiles, 'p50') / 1000000",
        ],
    ),
    scalar(
        "pluck_array",
        Family::Json,
        &["(json: STRING, index: INT64) -> STRING"],
        "Reads one element of a JSON array, as a string.",
        "Parses `json` as a JSON array and returns the element at 0-based position `index`: \
         strings without their quotes, anything else as compact JSON. The result is an \
         empty string when `json` is not a valid array, the index is negative or past the \
         end, or the element is `null`. Pairs well with `px.split`.",
        &["df.second = px.pluck_array(px.split(df.req_path, '/'), 2)"],
    ),
    scalar(
        "uri_parse",
        Family::Json,
        &["(uri: STRING) -> STRING"],
        "Splits a URI into its parts, returned as a JSON object.",
        "Parses `uri` and returns a JSON object with the components it has among `scheme`, \
         `userInfo`, `host`, `port` (a number), `path`, `query` and `fragment`; absent parts \
         are left out. Read them with `px.pluck`. When the URI cannot be parsed, the result \
         is the text `Failed to parse URI` rather than JSON.",
        &["df.host = px.pluck(px.uri_parse(df.url), 'host')"],
    ),
    scalar(
        "uri_recompose",
        Family::Json,
        &[
            "(scheme: STRING, user_info: STRING, host: STRING, port: INT64, path: STRING, \
             query: STRING, fragment: STRING) -> STRING",
        ],
        "Builds a URI from its parts.",
        "The inverse of `px.uri_parse`: assembles a URI from its components. Empty strings \
         leave their part out, and a port of 0 is omitted. A negative port gives the text \
         `Failed to recompose URI`.",
        &["df.url = px.uri_recompose('https', '', df.host, 0, df.req_path, '', '')"],
    ),
    scalar(
        "normalize_mysql",
        Family::Sql,
        &["(sql: STRING, cmd_code: INT64) -> STRING"],
        "Replaces the literals of a MySQL query with `?` placeholders.",
        "Normalises the MySQL statement `sql`, sent with the command code `cmd_code` (the \
         `req_cmd` column of `mysql_events`): 3 is a plain query, 23 the execution of a \
         prepared statement, written `query=[SQL] params=[v1, v2]`. Returns the JSON object \
         `{\"query\": ..., \"params\": [...]}`: `query` is the statement with every constant \
         (string, number, `TRUE`/`FALSE`, `NULL`, hex) and every `?` replaced by `?`, spacing \
         and comments kept, and `params` the values taken out, as written (`'abcd'` keeps its \
         quotes), in order. A prepared statement's `?` take its parameter values. Any other \
         command code, or a statement that cannot be read, gives `{\"error\": ...}` instead, \
         so `px.pluck(..., 'query')` is empty. Grouping by the normalised query counts \
         queries that only differ by their values together.",
        &["df.query = px.pluck(px.normalize_mysql(df.req_body, df.req_cmd), 'query')"],
    ),
    scalar(
        "normalize_pgsql",
        Family::Sql,
        &["(sql: STRING, cmd_tag: STRING) -> STRING"],
        "Replaces the literals of a PostgreSQL query with `$n` placeholders.",
        "Normalises the PostgreSQL statement `sql`, sent with the message tag `cmd_tag` (the \
         `req_cmd` column of `pgsql_events`): `Query` for a simple query, `Execute` for a \
         prepared statement, written `query=[SQL] params=[v1, v2]` (the tag is \
         case-sensitive). Returns the JSON object `{\"query\": ..., \"params\": [...]}`: \
         `query` is the statement with its constants (strings, numbers, `TRUE`/`FALSE`) and \
         its `$n` placeholders numbered afresh `$1`, `$2`, ... in order, and `params` the \
         values, as written, in that order; `$n` takes the n-th parameter of a prepared \
         statement. `NULL` and a leading `-` stay in the query. Other tags, or a statement \
         that cannot be read, give `{\"error\": ...}`. Read the parts with `px.pluck`.",
        &["df.query = px.pluck(px.normalize_pgsql(df.req, df.req_cmd), 'query')"],
    ),
];
