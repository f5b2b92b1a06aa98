//! Implementations of the registry's scalar functions that are not plain
//! operators (the planner lowers `+`, `==`, `and`, math functions ... to
//! DataFusion's own expressions). Each entry of [`implementations`] pairs a
//! registry name with its kernel.

use super::kernels::*;
use super::metadata::{self, MetadataProvider};
use super::names;
use super::sql;
use super::udf::{Kernel, PxlUdf};
use datafusion::arrow::array::{Array, ArrayRef, BooleanArray, FixedSizeBinaryArray, Int64Array};
use datafusion::arrow::datatypes::DataType as ArrowType;
use datafusion::common::{Result, exec_err};
use datafusion::logical_expr::ScalarUDF;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Reverse DNS for `nslookup`: tests hand in a fixed table, `pxl run` uses
/// [`HostsResolver`].
pub trait Resolver: Send + Sync + std::fmt::Debug {
    /// The name of `addr`, or `None` when it has none.
    fn reverse(&self, addr: &str) -> Option<String>;
}

/// Reverse lookups from a fixed table (and /etc/hosts for [`Self::system`]).
#[derive(Debug, Default, Clone)]
pub struct HostsResolver {
    names: HashMap<String, String>,
}

impl HostsResolver {
    pub fn new(names: HashMap<String, String>) -> Self {
        HostsResolver { names }
    }

    /// The entries of /etc/hosts (first name per address wins).
    pub fn system() -> Self {
        let mut names = HashMap::new();
        if let Ok(text) = std::fs::read_to_string("/etc/hosts") {
            for line in text.lines() {
                let line = line.split('#').next().unwrap_or("");
                let mut parts = line.split_whitespace();
                if let (Some(addr), Some(name)) = (parts.next(), parts.next()) {
                    names
                        .entry(addr.to_string())
                        .or_insert_with(|| name.to_string());
                }
            }
        }
        HostsResolver { names }
    }
}

impl Resolver for HostsResolver {
    fn reverse(&self, addr: &str) -> Option<String> {
        self.names.get(addr).cloned()
    }
}

/// What the functions know about where they run.
#[derive(Debug, Clone)]
pub struct ExecEnv {
    pub metadata: Arc<dyn MetadataProvider>,
    pub resolver: Arc<dyn Resolver>,
    pub hostname: String,
    pub asid: u32,
    pub num_cpus: i64,
    pub vizier_id: String,
    pub vizier_namespace: String,
}

impl ExecEnv {
    /// An environment for this host with the given metadata.
    pub fn local(metadata: Arc<dyn MetadataProvider>) -> Self {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "localhost".to_string());
        ExecEnv {
            metadata,
            resolver: Arc::new(HostsResolver::system()),
            hostname,
            asid: 0,
            num_cpus: std::thread::available_parallelism().map_or(1, |n| n.get() as i64),
            vizier_id: String::new(),
            vizier_namespace: String::new(),
        }
    }
}

fn k(f: impl Fn(&[ArrayRef], usize) -> Result<ArrayRef> + Send + Sync + 'static) -> Kernel {
    Arc::new(f)
}

/// Every scalar function implemented as a UDF (the operators and math
/// functions the planner lowers natively are not in this list).
pub fn scalar_udfs(env: &Arc<ExecEnv>) -> Result<Vec<ScalarUDF>> {
    let mut out = Vec::new();
    for (name, kernel) in implementations(env) {
        out.push(PxlUdf::new(name, kernel)?.into_udf());
    }
    out.extend(super::metadata_fns::metadata_udfs(env)?);
    Ok(out)
}

fn json_value_to_string(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn pluck(json: &str, key: &str) -> Option<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(json).ok()?;
    v.get(key).cloned()
}

/// `bin(x, size)`: `x - x % size` with C's truncating `%`, as Pixie does
/// (so negative values move toward zero); size <= 0 leaves x.
pub fn bin(x: i64, size: i64) -> i64 {
    if size <= 0 {
        return x;
    }
    x - x % size
}

fn hex_to_ascii(h: &str) -> String {
    let h = h.trim();
    if !h.len().is_multiple_of(2) {
        return String::new();
    }
    let mut bytes = Vec::with_capacity(h.len() / 2);
    for i in (0..h.len()).step_by(2) {
        match h.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()) {
            Some(b) => bytes.push(b),
            None => return String::new(),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

fn cidr_contains(cidr: &str, ip: &IpAddr) -> bool {
    let (net, len) = match cidr.trim().split_once('/') {
        Some((n, l)) => (n, l.parse::<u32>().ok()),
        None => (cidr.trim(), None),
    };
    let Ok(net) = net.parse::<IpAddr>() else {
        return false;
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let len = len.unwrap_or(32).min(32);
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(n) & mask == u32::from(*a) & mask
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let len = len.unwrap_or(128).min(128);
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(n) & mask == u128::from(*a) & mask
        }
        _ => false,
    }
}

/// The CIDRs of a `cidrs_contain_ip` argument: a JSON array of strings
/// (anything else contains nothing, as in Pixie).
fn parse_cidrs(s: &str) -> Vec<String> {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

fn uri_parse(uri: &str) -> String {
    let fail = || ordered_json(&[("error", "Failed to parse URI".into())]);
    let (rest, fragment) = match uri.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (uri, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (scheme, rest) = match rest.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, rest),
    };
    let (authority, path) = if scheme.is_some() {
        match rest.find('/') {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (Some(rest), ""),
        }
    } else {
        (None, rest.strip_prefix('/').unwrap_or(rest))
    };
    let mut fields: Vec<(&str, serde_json::Value)> = Vec::new();
    if let Some(s) = scheme {
        fields.push(("scheme", s.into()));
    }
    if let Some(a) = authority {
        let (user, hostport) = match a.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, a),
        };
        if let Some(u) = user {
            fields.push(("userInfo", u.into()));
        }
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || p.chars().all(|c| c.is_ascii_digit()) => {
                match p.parse::<u16>() {
                    Ok(port) => (h, Some(port)),
                    Err(_) if p.is_empty() => (h, None),
                    Err(_) => return fail(),
                }
            }
            _ => (hostport, None),
        };
        fields.push(("host", host.into()));
        if let Some(p) = port {
            fields.push(("port", i64::from(p).into()));
        }
    }
    if !path.is_empty() {
        fields.push(("path", path.into()));
    }
    if let Some(q) = query {
        fields.push(("query", q.into()));
    }
    if let Some(f) = fragment {
        fields.push(("fragment", f.into()));
    }
    ordered_json(&fields)
}

/// The shared libraries mapped by a process of this host, as a JSON array
/// (from /proc/PID/maps); "" for processes of other hosts or that ended.
fn shared_libraries(local_asid: u32, upid: u128) -> String {
    let (asid, pid, start) = super::upid_parts(upid);
    if asid != local_asid {
        return String::new();
    }
    // The start time must match, or the pid was reused.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let started = stat
        .rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().nth(19))
        .and_then(|t| t.parse::<u64>().ok());
    if started != Some(start) {
        return String::new();
    }
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let mut libs: Vec<&str> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|p| p.contains(".so"))
        .collect();
    libs.sort_unstable();
    libs.dedup();
    serde_json::to_string(&libs).unwrap_or_default()
}

/// JSON text of an object whose keys keep the given order.
fn ordered_json(fields: &[(&str, serde_json::Value)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}:{v}", serde_json::Value::from(*k)))
        .collect();
    format!("{{{}}}", body.join(","))
}

fn script_reference(parts: &[&str]) -> String {
    let args: Vec<String> = parts[2..]
        .chunks(2)
        .filter_map(|kv| match kv {
            [k, v] => Some(format!(
                "{}:{}",
                serde_json::Value::from(*k),
                serde_json::Value::from(*v)
            )),
            _ => None,
        })
        .collect();
    format!(
        "{{\"label\":{},\"script\":{},\"args\":{{{}}}}}",
        serde_json::Value::from(parts[0]),
        serde_json::Value::from(parts[1]),
        args.join(",")
    )
}

/// The regex of a literal pattern argument; `full` anchors it at both ends
/// (RE2's FullMatch). `.` matches newlines, as in RE2's default for Pixie.
/// An invalid pattern is `Err(message)`.
fn literal_regex(
    a: &ArrayRef,
    what: &str,
    full: bool,
) -> Result<Option<std::result::Result<regex::Regex, String>>> {
    let Some(p) = literal_str(a, what)? else {
        return Ok(None);
    };
    let source = if full {
        format!("(?s)^(?:{p})$")
    } else {
        format!("(?s){p}")
    };
    Ok(Some(
        regex::Regex::new(&source).map_err(|e| format!("Invalid regex expr: {e}")),
    ))
}

/// An RE2 rewrite string (`\1` is group 1, `\\` a backslash, everything
/// else literal) in the regex crate's syntax.
fn re2_rewrite(sub: &str) -> String {
    let mut out = String::with_capacity(sub.len());
    let mut chars = sub.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.peek() {
                Some(d) if d.is_ascii_digit() => {
                    out.push_str(&format!("${{{d}}}"));
                    chars.next();
                }
                Some('\\') => {
                    out.push('\\');
                    chars.next();
                }
                _ => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

/// The rules of `_match_regex_rule`: a JSON object of name → pattern, in
/// the order written.
fn ordered_rules(json: &str) -> std::result::Result<Vec<(String, String)>, String> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Vec<(String, String)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object of rule name to pattern")
        }
        fn visit_map<M: serde::de::MapAccess<'de>>(
            self,
            mut m: M,
        ) -> std::result::Result<Self::Value, M::Error> {
            let mut out = Vec::new();
            while let Some((k, v)) = m.next_entry::<String, String>()? {
                out.push((k, v));
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(json);
    serde::Deserializer::deserialize_map(&mut de, V).map_err(|e| e.to_string())
}

#[allow(clippy::too_many_lines, reason = "one table of every function")]
fn implementations(env: &Arc<ExecEnv>) -> Vec<(&'static str, Kernel)> {
    let e = env.clone();
    let e2 = env.clone();
    let e3 = env.clone();
    let e4 = env.clone();
    let e5 = env.clone();
    let e6 = env.clone();
    let e7 = env.clone();
    let e8 = env.clone();
    let e9 = env.clone();
    let e10 = env.clone();
    vec![
        (
            "round",
            k(|a, _| fi_s(a, |v, d| format!("{:.*}", d.clamp(0, 17) as usize, v))),
        ),
        (
            "bin",
            k(|a, _| {
                let (x, s) = (&a[0], &a[1]);
                let s = int_arg(s)?;
                let out: Int64Array = match x.data_type() {
                    ArrowType::Float64 => float_arg(x)?
                        .iter()
                        .zip(s.iter())
                        .map(|(x, s)| Some(bin(x? as i64, s?)))
                        .collect(),
                    _ => int_arg(x)?
                        .iter()
                        .zip(s.iter())
                        .map(|(x, s)| Some(bin(x?, s?)))
                        .collect(),
                };
                Ok(Arc::new(out) as ArrayRef)
            }),
        ),
        ("contains", k(|a, _| ss_b(a, |s, sub| s.contains(sub)))),
        ("length", k(|a, _| s_i(a, |s| s.len() as i64))),
        (
            "find",
            k(|a, _| ss_i(a, |s, sub| s.find(sub).map_or(-1, |i| i as i64))),
        ),
        (
            "substring",
            k(|a, _| {
                let (s, p, l) = (str_arg(&a[0])?, int_arg(&a[1])?, int_arg(&a[2])?);
                let out: datafusion::arrow::array::StringArray = (0..s.len())
                    .map(|i| {
                        if s.is_null(i) || p.is_null(i) || l.is_null(i) {
                            return None;
                        }
                        let (s, pos, len) = (s.value(i).as_bytes(), p.value(i), l.value(i));
                        if pos < 0 || len < 0 || pos as usize > s.len() {
                            return Some(String::new());
                        }
                        let end = (pos as usize).saturating_add(len as usize).min(s.len());
                        Some(String::from_utf8_lossy(&s[pos as usize..end]).into_owned())
                    })
                    .collect();
                Ok(Arc::new(out) as ArrayRef)
            }),
        ),
        ("tolower", k(|a, _| s_s(a, |s| s.to_ascii_lowercase()))),
        ("toupper", k(|a, _| s_s(a, |s| s.to_ascii_uppercase()))),
        (
            "trim",
            k(|a, _| {
                s_s(a, |s| {
                    s.trim_matches(|c: char| c.is_ascii_whitespace()).into()
                })
            }),
        ),
        (
            "strip_prefix",
            k(|a, _| ss_s(a, |p, s| s.strip_prefix(p).unwrap_or(s).to_string())),
        ),
        (
            "split",
            k(|a, _| {
                ss_s(a, |s, d| {
                    let parts: Vec<&str> = if d.is_empty() {
                        vec![s]
                    } else {
                        s.split(d).collect()
                    };
                    serde_json::to_string(&parts).unwrap_or_default()
                })
            }),
        ),
        ("hex_to_ascii", k(|a, _| s_s(a, hex_to_ascii))),
        (
            "bytes_to_hex",
            k(|a, _| {
                s_s(a, |s| {
                    s.bytes().fold(String::new(), |mut acc, b| {
                        use std::fmt::Write;
                        let _ = write!(acc, "\\x{b:02X}");
                        acc
                    })
                })
            }),
        ),
        (
            "atoi",
            k(|a, _| si_i(a, |s, d| s.trim().parse::<i64>().unwrap_or(d))),
        ),
        ("itoa", k(|a, _| i_s(a, |v| v.to_string()))),
        (
            "regex_match",
            k(|a, _| {
                let Some(re) = literal_regex(&a[0], "the regex_match pattern", true)? else {
                    return Ok(Arc::new(BooleanArray::from(Vec::<bool>::new())) as ArrayRef);
                };
                // An invalid pattern matches nothing.
                s_b(&a[1..], |s| re.as_ref().is_ok_and(|r| r.is_match(s)))
            }),
        ),
        (
            "replace",
            k(|a, _| {
                let Some(re) = literal_regex(&a[0], "the replace pattern", false)? else {
                    return Ok(Arc::new(datafusion::arrow::array::StringArray::from(
                        Vec::<String>::new(),
                    )) as ArrayRef);
                };
                ss_s(&a[1..], |s, sub| match &re {
                    Ok(re) => re.replace_all(s, re2_rewrite(sub).as_str()).into_owned(),
                    Err(e) => e.clone(),
                })
            }),
        ),
        (
            "_match_regex_rule",
            k(|a, _| {
                let rules = literal_str(&a[0], "the rules")?.unwrap_or_default();
                let parsed: Vec<(String, regex::Regex)> = match ordered_rules(&rules) {
                    Ok(m) => m
                        .into_iter()
                        .filter_map(|(k, v)| {
                            Some((k, regex::Regex::new(&format!("(?s)^(?:{v})$")).ok()?))
                        })
                        .collect(),
                    Err(e) => return exec_err!("invalid rules JSON: {e}"),
                };
                s_s(&a[1..], |s| {
                    parsed
                        .iter()
                        .find(|(_, r)| r.is_match(s))
                        .map(|(n, _)| n.clone())
                        .unwrap_or_default()
                })
            }),
        ),
        (
            "pluck",
            k(|a, _| {
                ss_s(a, |j, key| {
                    pluck(j, key)
                        .map(|v| json_value_to_string(&v))
                        .unwrap_or_default()
                })
            }),
        ),
        (
            "pluck_int64",
            k(|a, _| {
                ss_i(a, |j, key| {
                    match pluck(j, key) {
                        Some(serde_json::Value::Number(n)) => n.as_i64(),
                        _ => None,
                    }
                    .unwrap_or(0)
                })
            }),
        ),
        (
            "pluck_float64",
            k(|a, _| {
                ss_f(a, |j, key| {
                    // Only JSON numbers written as floats, as Pixie's IsDouble.
                    match pluck(j, key) {
                        Some(serde_json::Value::Number(n)) if n.is_f64() => n.as_f64(),
                        _ => None,
                    }
                    .unwrap_or(0.0)
                })
            }),
        ),
        (
            "pluck_array",
            k(|a, _| {
                si_s(a, |j, idx| {
                    match serde_json::from_str::<serde_json::Value>(j) {
                        Ok(serde_json::Value::Array(items)) if idx >= 0 => items
                            .get(idx as usize)
                            .map(json_value_to_string)
                            .unwrap_or_default(),
                        _ => String::new(),
                    }
                })
            }),
        ),
        ("uri_parse", k(|a, _| s_s(a, uri_parse))),
        (
            "uri_recompose",
            k(|a, _| {
                let port = int_arg(&a[3])?;
                let strs: Vec<ArrayRef> = a
                    .iter()
                    .enumerate()
                    .map(|(i, x)| {
                        if i == 3 {
                            Arc::new(
                                port.iter()
                                    .map(|p| p.map(|p| p.to_string()))
                                    .collect::<datafusion::arrow::array::StringArray>(),
                            ) as ArrayRef
                        } else {
                            x.clone()
                        }
                    })
                    .collect();
                strs_s(&strs, |p| {
                    let (scheme, user, host, port, path, query, frag) =
                        (p[0], p[1], p[2], p[3], p[4], p[5], p[6]);
                    let port: i64 = port.parse().unwrap_or(0);
                    if !(0..=65_535).contains(&port) {
                        return "Failed to recompose URI".to_string();
                    }
                    let mut out = String::new();
                    if !scheme.is_empty() {
                        out.push_str(scheme);
                        out.push_str("://");
                    }
                    if !user.is_empty() {
                        out.push_str(user);
                        out.push('@');
                    }
                    out.push_str(host);
                    if port != 0 {
                        out.push(':');
                        out.push_str(&port.to_string());
                    }
                    if !path.is_empty() || !query.is_empty() || !frag.is_empty() {
                        out.push('/');
                    }
                    out.push_str(path.strip_prefix('/').unwrap_or(path));
                    if !query.is_empty() {
                        out.push('?');
                        out.push_str(query);
                    }
                    if !frag.is_empty() {
                        out.push('#');
                        out.push_str(frag);
                    }
                    out
                })
            }),
        ),
        ("normalize_mysql", k(|a, _| si_s(a, sql::normalize_mysql))),
        ("normalize_pgsql", k(|a, _| ss_s(a, sql::normalize_pgsql))),
        (
            "nslookup",
            k(move |a, _| {
                s_s(a, |s| {
                    e.resolver.reverse(s).unwrap_or_else(|| s.to_string())
                })
            }),
        ),
        (
            "cidrs_contain_ip",
            k(|a, _| {
                ss_b(a, |cidrs, ip| {
                    let Ok(ip) = ip.trim().parse::<IpAddr>() else {
                        return false;
                    };
                    parse_cidrs(cidrs).iter().any(|c| cidr_contains(c, &ip))
                })
            }),
        ),
        (
            "get_cidrs",
            k(move |_, n| {
                Ok(constant_str(
                    n,
                    &serde_json::to_string(&metadata::cluster_cidrs(e2.metadata.as_ref()))
                        .unwrap_or_default(),
                ))
            }),
        ),
        ("protocol_name", k(|a, _| i_s(a, names::protocol_name))),
        (
            "http_resp_message",
            k(|a, _| i_s(a, |c| names::http_resp_message(c).to_string())),
        ),
        (
            "grpc_status_code_to_str",
            k(|a, _| i_s(a, names::grpc_status)),
        ),
        ("kafka_api_key_name", k(|a, _| i_s(a, names::kafka_api_key))),
        ("mysql_command_name", k(|a, _| i_s(a, names::mysql_command))),
        ("cql_opcode_name", k(|a, _| i_s(a, names::cql_opcode))),
        (
            "amqp_frame_type_name",
            k(|a, _| i_s(a, names::amqp_frame_type)),
        ),
        ("amqp_method_name", k(|a, _| ii_s(a, names::amqp_method))),
        (
            "mux_frame_type_name",
            k(|a, _| i_s(a, names::mux_frame_type)),
        ),
        ("dns_rcode_name", k(|a, _| i_s(a, names::dns_rcode))),
        (
            "redact_pii_best_effort",
            k(|a, _| {
                let r = super::pii::Redactor::new();
                s_s(a, |s| r.redact(s))
            }),
        ),
        (
            "_match_endpoint",
            k(|a, _| ss_b(a, super::paths::match_endpoint)),
        ),
        (
            "_exec_hostname",
            k(move |_, n| Ok(constant_str(n, &e3.hostname))),
        ),
        (
            "_exec_host_num_cpus",
            k(move |_, n| Ok(constant_int(n, e4.num_cpus))),
        ),
        (
            "vizier_id",
            k(move |_, n| Ok(constant_str(n, &e5.vizier_id))),
        ),
        (
            "vizier_name",
            k(move |_, n| Ok(constant_str(n, e6.metadata.cluster_name()))),
        ),
        (
            "vizier_namespace",
            k(move |_, n| Ok(constant_str(n, &e7.vizier_namespace))),
        ),
        (
            "asid",
            k(move |_, n| Ok(constant_int(n, i64::from(e8.asid)))),
        ),
        (
            "shared_libraries",
            k(move |a, _| u_s(a, |u| shared_libraries(e10.asid, u))),
        ),
        ("_script_reference", k(|a, _| strs_s(a, script_reference))),
        (
            "upid",
            k(move |a, _| {
                let ints = a.iter().map(int_arg).collect::<Result<Vec<_>>>()?;
                let n = ints.first().map_or(0, |x| x.len());
                let vals = (0..n).map(|i| {
                    if ints.iter().any(|x| x.is_null(i)) {
                        return None;
                    }
                    let v: Vec<i64> = ints.iter().map(|x| x.value(i)).collect();
                    let (asid, pid, ts) = match v.as_slice() {
                        [pid, ts] => (i64::from(e9.asid), *pid, *ts),
                        [asid, pid, ts] => (*asid, *pid, *ts),
                        _ => return None,
                    };
                    Some(super::upid(asid as u32, pid as u32, ts as u64).to_be_bytes())
                });
                let out = FixedSizeBinaryArray::try_from_sparse_iter_with_size(vals, 16)?;
                Ok(Arc::new(out) as ArrayRef)
            }),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_floors_negative_values() {
        assert_eq!(bin(17, 5), 15);
        assert_eq!(bin(-17, 5), -15);
        assert_eq!(bin(10, 0), 10);
    }

    #[test]
    fn cidrs() {
        let ip: IpAddr = "10.1.2.3".parse().unwrap();
        assert!(cidr_contains("10.0.0.0/8", &ip));
        assert!(!cidr_contains("10.2.0.0/16", &ip));
        assert_eq!(parse_cidrs(r#"["a/1","b/2"]"#), vec!["a/1", "b/2"]);
        assert!(parse_cidrs("10.0.0.0/8").is_empty());
    }

    #[test]
    fn uri_round_trip_fields() {
        let j = uri_parse("https://u@example.com:8443/a/b?x=1#top");
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["scheme"], "https");
        assert_eq!(v["userInfo"], "u");
        assert_eq!(v["host"], "example.com");
        assert_eq!(v["port"], 8443);
        assert_eq!(v["path"], "a/b");
        assert_eq!(v["query"], "x=1");
        assert_eq!(v["fragment"], "top");
    }

    #[test]
    fn hex() {
        assert_eq!(hex_to_ascii("4869"), "Hi");
        assert_eq!(hex_to_ascii("4"), "");
        assert_eq!(hex_to_ascii("zz"), "");
    }
}
