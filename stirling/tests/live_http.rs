//! Real capture: a test HTTP server and client in this process make a known
//! set of requests while the eBPF collectors run, and `http_events` /
//! `conn_stats` must describe exactly those requests.
//!
//! Loading eBPF needs root (or CAP_BPF + CAP_PERFMON); without it each test
//! prints why it skipped.

use datafusion::arrow::array::{Array, AsArray, FixedSizeBinaryArray, RecordBatch};
use datafusion::arrow::datatypes::Int64Type;
use parking_lot::Mutex;
use pxl_stirling::{Collectors, Config, Sink};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Default)]
struct MemSink(Mutex<HashMap<String, Vec<RecordBatch>>>);

impl Sink for MemSink {
    fn push(&self, table: &str, batch: RecordBatch) -> Result<(), String> {
        self.0
            .lock()
            .entry(table.to_string())
            .or_default()
            .push(batch);
        Ok(())
    }
}

fn can_trace() -> bool {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped: capturing with eBPF needs root (or CAP_BPF + CAP_PERFMON)");
        return false;
    }
    true
}

const BIG: usize = 1 << 20;

/// A small HTTP/1.1 server: keep-alive, pipelining, chunked request bodies.
fn serve(listener: TcpListener) {
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        std::thread::spawn(move || {
            let _ = handle(conn);
        });
    }
}

// One descriptor per connection: the tracer follows a connection by its
// descriptor, and descriptors made with dup(2) are not followed yet.
fn handle(conn: TcpStream) -> std::io::Result<()> {
    let mut r = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let path = parts.next().unwrap_or("").to_string();
        let mut len = 0usize;
        let mut close = false;
        loop {
            let mut h = String::new();
            r.read_line(&mut h)?;
            let h = h.trim_end().to_ascii_lowercase();
            if h.is_empty() {
                break;
            }
            if let Some(v) = h.strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
            if h == "connection: close" {
                close = true;
            }
        }
        let mut body = vec![0u8; len];
        r.read_exact(&mut body)?;
        let _ = method;
        match path.as_str() {
            "/chunked" => {
                r.get_mut().write_all(
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n\
                      5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n",
                )?;
            }
            "/big" => {
                let mut resp =
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {BIG}\r\n\r\n").into_bytes();
                resp.extend(std::iter::repeat_n(b'x', BIG));
                r.get_mut().write_all(&resp)?;
            }
            "/missing" => r
                .get_mut()
                .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found")?,
            "/error" => r.get_mut().write_all(
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops",
            )?,
            "/cut" => {
                r.get_mut()
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")?;
                r.get_mut().shutdown(Shutdown::Both)?;
                return Ok(());
            }
            "/echo" => {
                let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
                r.get_mut().write_all(head.as_bytes())?;
                r.get_mut().write_all(&body)?;
            }
            _ => r
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")?,
        }
        if close {
            return Ok(());
        }
    }
}

/// Reads one response (Content-Length or chunked) from `r`; returns status.
fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<u16> {
    let mut line = String::new();
    r.read_line(&mut line)?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut len = None;
    let mut chunked = false;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h)? == 0 {
            return Ok(status);
        }
        let h = h.trim_end().to_ascii_lowercase();
        if h.is_empty() {
            break;
        }
        if let Some(v) = h.strip_prefix("content-length:") {
            len = v.trim().parse().ok();
        }
        if h == "transfer-encoding: chunked" {
            chunked = true;
        }
    }
    if chunked {
        loop {
            let mut size = String::new();
            r.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
            let mut data = vec![0u8; n + 2];
            r.read_exact(&mut data)?;
            if n == 0 {
                break;
            }
        }
    } else if let Some(n) = len {
        let mut data = vec![0u8; n];
        let _ = r.read_exact(&mut data);
    }
    Ok(status)
}

fn connect(port: u16) -> BufReader<TcpStream> {
    BufReader::new(TcpStream::connect(("127.0.0.1", port)).unwrap())
}

fn request(r: &mut BufReader<TcpStream>, raw: &str) -> u16 {
    r.get_mut().write_all(raw.as_bytes()).unwrap();
    read_response(r).unwrap()
}

struct Row {
    role: i64,
    method: String,
    path: String,
    status: i64,
    req_body: String,
    req_body_size: i64,
    resp_body: String,
    resp_body_size: i64,
    latency: i64,
}

fn pid_of(upid: &[u8]) -> u32 {
    u32::from_be_bytes([upid[4], upid[5], upid[6], upid[7]])
}

/// http_events rows of this process on `port` (server side: local port;
/// client side: remote port).
fn rows(sink: &MemSink, port: u16) -> Vec<Row> {
    let me = std::process::id();
    let mut out = Vec::new();
    for b in sink.0.lock().get("http_events").into_iter().flatten() {
        let col = |n: &str| b.column_by_name(n).unwrap().clone();
        let upid = col("upid");
        let upid = upid
            .as_any()
            .downcast_ref::<FixedSizeBinaryArray>()
            .unwrap();
        let i64s = |n: &str| col(n).as_primitive::<Int64Type>().clone();
        let strs = |n: &str| col(n).as_string::<i32>().clone();
        let (role, lport, rport) = (i64s("trace_role"), i64s("local_port"), i64s("remote_port"));
        let (method, path, status) = (strs("req_method"), strs("req_path"), i64s("resp_status"));
        let (qb, qs, pb, ps, lat) = (
            strs("req_body"),
            i64s("req_body_size"),
            strs("resp_body"),
            i64s("resp_body_size"),
            i64s("latency"),
        );
        for i in 0..b.num_rows() {
            if pid_of(upid.value(i)) != me {
                continue;
            }
            let on_port = match role.value(i) {
                1 => rport.value(i) == port as i64,
                2 => lport.value(i) == port as i64,
                _ => false,
            };
            if !on_port {
                if std::env::var("PXL_TEST_DEBUG").is_ok() {
                    eprintln!(
                        "other row: role {} lport {} rport {} path {}",
                        role.value(i),
                        lport.value(i),
                        rport.value(i),
                        path.value(i)
                    );
                }
                continue;
            }
            out.push(Row {
                role: role.value(i),
                method: method.value(i).to_string(),
                path: path.value(i).to_string(),
                status: status.value(i),
                req_body: qb.value(i).to_string(),
                req_body_size: qs.value(i),
                resp_body: pb.value(i).to_string(),
                resp_body_size: ps.value(i),
                latency: lat.value(i),
            });
        }
    }
    out
}

fn start() -> (Arc<MemSink>, Collectors) {
    let sink = Arc::new(MemSink::default());
    let cfg = Config {
        sample_interval: Duration::from_millis(200),
        ..Config::default()
    };
    let c = Collectors::start(cfg, sink.clone());
    assert!(c.ebpf_error.is_none(), "tracer failed: {:?}", c.ebpf_error);
    (sink, c)
}

/// Collectors, then the test server on a free loopback port.
fn start_with_server() -> (Arc<MemSink>, Collectors, u16) {
    let (sink, collectors) = start();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || serve(listener));
    (sink, collectors, port)
}

#[test]
fn captures_a_known_set_of_requests_on_both_sides() {
    if !can_trace() {
        return;
    }
    let (sink, collectors, port) = start_with_server();

    // (method, path, status, request body, response body prefix, response body size)
    let mut expected: Vec<(&str, &str, i64, &str, String, i64)> = Vec::new();
    let mut conns = 0;

    // Keep-alive: three requests on one connection.
    let mut r = connect(port);
    conns += 1;
    for path in ["/a", "/b", "/c"] {
        let raw = format!("GET {path} HTTP/1.1\r\nHost: t\r\n\r\n");
        assert_eq!(request(&mut r, &raw), 200);
        expected.push(("GET", path, 200, "", "hello".into(), 5));
    }
    // 404 and 500 on the same connection.
    assert_eq!(
        request(&mut r, "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n"),
        404
    );
    expected.push(("GET", "/missing", 404, "", "not found".into(), 9));
    assert_eq!(
        request(&mut r, "GET /error HTTP/1.1\r\nHost: t\r\n\r\n"),
        500
    );
    expected.push(("GET", "/error", 500, "", "oops".into(), 4));
    drop(r);

    // Not keep-alive: POST with a body, Connection: close.
    let mut r = connect(port);
    conns += 1;
    let raw =
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 8\r\nConnection: close\r\n\r\nname=pxl";
    assert_eq!(request(&mut r, raw), 200);
    expected.push(("POST", "/echo", 200, "name=pxl", "name=pxl".into(), 8));
    drop(r);

    // Pipelined: three requests in one write.
    let mut r = connect(port);
    conns += 1;
    r.get_mut().write_all(
        b"GET /p1 HTTP/1.1\r\nHost: t\r\n\r\nGET /p2 HTTP/1.1\r\nHost: t\r\n\r\nGET /p3 HTTP/1.1\r\nHost: t\r\n\r\n",
    )
    .unwrap();
    for path in ["/p1", "/p2", "/p3"] {
        assert_eq!(read_response(&mut r).unwrap(), 200);
        expected.push(("GET", path, 200, "", "hello".into(), 5));
    }
    // Chunked response and a 1 MiB body on the same connection.
    assert_eq!(
        request(&mut r, "GET /chunked HTTP/1.1\r\nHost: t\r\n\r\n"),
        200
    );
    expected.push(("GET", "/chunked", 200, "", "hello, world".into(), 12));
    assert_eq!(request(&mut r, "GET /big HTTP/1.1\r\nHost: t\r\n\r\n"), 200);
    expected.push(("GET", "/big", 200, "", "x".repeat(64), BIG as i64));
    drop(r);

    // A connection closed in the middle of the response.
    let mut r = connect(port);
    conns += 1;
    let _ = request(&mut r, "GET /cut HTTP/1.1\r\nHost: t\r\n\r\n");
    expected.push(("GET", "/cut", 200, "", "partial".into(), 7));
    drop(r);

    std::thread::sleep(Duration::from_millis(500));
    let report = collectors.stop();
    assert_eq!(report.lost_events, 0, "ring buffer lost events");

    let got = rows(&sink, port);
    eprintln!("report: {report:?}; rows on port {port}: {}", got.len());
    for role in [1, 2] {
        let side: Vec<_> = got.iter().filter(|r| r.role == role).collect();
        let mut missing = Vec::new();
        for (method, path, status, req_body, resp_prefix, resp_size) in &expected {
            let hits: Vec<_> = side.iter().filter(|r| r.path == *path).collect();
            if hits.len() != 1 {
                missing.push(format!("{path}: {} rows on side {role}", hits.len()));
                continue;
            }
            let h = hits[0];
            assert_eq!(h.method, *method, "{path}");
            assert_eq!(h.status, *status, "{path}");
            assert_eq!(h.req_body, *req_body, "{path}");
            assert_eq!(h.req_body_size, req_body.len() as i64, "{path}");
            assert!(
                h.resp_body.starts_with(resp_prefix.as_str()),
                "{path}: {:?}",
                h.resp_body
            );
            assert_eq!(h.resp_body_size, *resp_size, "{path}");
            assert!(h.latency > 0, "{path}: latency {}", h.latency);
        }
        assert!(missing.is_empty(), "{missing:?}");
        assert_eq!(side.len(), expected.len(), "rows on side {role}");
    }

    // conn_stats: the client side opened `conns` connections to the port.
    let me = std::process::id();
    let mut opened = 0;
    let mut closed = 0;
    for b in sink.0.lock().get("conn_stats").into_iter().flatten() {
        let upid = b.column_by_name("upid").unwrap();
        let upid = upid
            .as_any()
            .downcast_ref::<FixedSizeBinaryArray>()
            .unwrap();
        let rport = b
            .column_by_name("remote_port")
            .unwrap()
            .as_primitive::<Int64Type>()
            .clone();
        let role = b
            .column_by_name("trace_role")
            .unwrap()
            .as_primitive::<Int64Type>()
            .clone();
        let open = b
            .column_by_name("conn_open")
            .unwrap()
            .as_primitive::<Int64Type>()
            .clone();
        let close = b
            .column_by_name("conn_close")
            .unwrap()
            .as_primitive::<Int64Type>()
            .clone();
        for i in 0..b.num_rows() {
            if pid_of(upid.value(i)) == me && role.value(i) == 1 && rport.value(i) == port as i64 {
                // Counters are cumulative: keep the newest.
                opened = opened.max(open.value(i));
                closed = closed.max(close.value(i));
            }
        }
    }
    assert_eq!(opened, conns, "client connections opened");
    assert_eq!(closed, conns, "client connections closed");
}

#[test]
fn no_loss_at_2000_requests_per_second() {
    if !can_trace() {
        return;
    }
    let (sink, collectors, port) = start_with_server();
    // 4 keep-alive clients, 500 requests/s each, for 2 s, paced open-loop.
    let per_client = 1000;
    let clients: Vec<_> = (0..4)
        .map(|c| {
            std::thread::spawn(move || {
                let mut r = connect(port);
                let start = Instant::now();
                for i in 0..per_client {
                    let due = start + Duration::from_micros(2000 * i as u64);
                    if let Some(wait) = due.checked_duration_since(Instant::now()) {
                        std::thread::sleep(wait);
                    }
                    let raw = format!("GET /load/{c}/{i} HTTP/1.1\r\nHost: t\r\n\r\n");
                    assert_eq!(request(&mut r, &raw), 200);
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    let report = collectors.stop();
    assert_eq!(report.lost_events, 0);
    let got = rows(&sink, port);
    for role in [1, 2] {
        let n = got
            .iter()
            .filter(|r| r.role == role && r.path.starts_with("/load/"))
            .count();
        assert_eq!(n, 4 * per_client, "rows on side {role}");
    }
}

/// Reads `want` bytes with `read`, each call into two buffers, the first
/// `first` bytes long.
fn read_scattered(
    want: usize,
    first: usize,
    mut read: impl FnMut(&mut [std::io::IoSliceMut]) -> usize,
) -> Vec<u8> {
    let mut got = Vec::new();
    while got.len() < want {
        let (mut a, mut b) = (vec![0u8; first], [0u8; 64]);
        let n = read(&mut [
            std::io::IoSliceMut::new(&mut a),
            std::io::IoSliceMut::new(&mut b),
        ]);
        assert!(n > 0, "connection closed early");
        got.extend(a.iter().chain(b.iter()).take(n));
    }
    got
}

/// The vector and message calls are traced like read and write: one request
/// written with writev and read back with readv, one sent with sendmsg and
/// read back with recvmsg, each spread over several buffers.
#[test]
fn captures_vectored_and_message_calls() {
    use nix::sys::socket::{MsgFlags, recvmsg, sendmsg};
    use std::io::IoSlice;
    use std::os::fd::AsRawFd;
    if !can_trace() {
        return;
    }
    let (sink, collectors, port) = start_with_server();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

    let req = [
        IoSlice::new(b"GET /vec HTTP/1.1\r\n"),
        IoSlice::new(b"Host: t\r\n"),
        IoSlice::new(b"\r\n"),
    ];
    let want: usize = req.iter().map(|b| b.len()).sum();
    assert_eq!(
        s.write_vectored(&req).unwrap(),
        want,
        "writev wrote everything"
    );
    let got = read_scattered(RESPONSE.len(), 16, |bufs| s.read_vectored(bufs).unwrap());
    assert_eq!(got, RESPONSE);

    let fd = s.as_raw_fd();
    let req = [
        IoSlice::new(b"GET /msg HTTP/1.1\r\n"),
        IoSlice::new(b"Host: t\r\n\r\n"),
    ];
    let want: usize = req.iter().map(|b| b.len()).sum();
    assert_eq!(
        sendmsg::<()>(fd, &req, &[], MsgFlags::empty(), None).unwrap(),
        want,
        "sendmsg sent everything"
    );
    let got = read_scattered(RESPONSE.len(), 10, |bufs| {
        recvmsg::<()>(fd, bufs, None, MsgFlags::empty())
            .unwrap()
            .bytes
    });
    assert_eq!(got, RESPONSE);
    drop(s);

    std::thread::sleep(Duration::from_millis(300));
    let report = collectors.stop();
    assert_eq!(report.lost_events, 0);
    let rows = rows(&sink, port);
    for path in ["/vec", "/msg"] {
        for role in [1, 2] {
            let r: Vec<&Row> = rows
                .iter()
                .filter(|r| r.role == role && r.path == path)
                .collect();
            assert_eq!(r.len(), 1, "{path} on side {role}");
            assert_eq!(r[0].method, "GET");
            assert_eq!(r[0].status, 200, "{path} on side {role}");
            assert_eq!(r[0].resp_body, "hello", "{path} on side {role}");
            assert_eq!(r[0].resp_body_size, 5);
            assert!(r[0].latency > 0);
        }
    }
}
