//! Tests of the HTTP/1.x parser and stitcher through the public API.

use proptest::prelude::*;

use super::*;
use MessageKind::{Request as Q, Response as R};

fn chunk(ts: u64, data: &[u8]) -> Chunk {
    Chunk {
        ts_ns: ts,
        len: data.len() as u64,
        data: data.to_vec(),
    }
}

/// A chunk of `len` bytes of which only `data` was captured.
fn partial(ts: u64, data: &[u8], len: u64) -> Chunk {
    Chunk {
        ts_ns: ts,
        len,
        data: data.to_vec(),
    }
}

/// Direction carrying `kind` for a connection whose traced process is the
/// client (`client_side`) or the server.
fn dir(kind: MessageKind, client_side: bool) -> Direction {
    match (kind, client_side) {
        (Q, true) | (R, false) => Direction::Egress,
        (Q, false) | (R, true) => Direction::Ingress,
    }
}

/// Feed segments (each split into the given pieces, all with the segment's
/// timestamp `1000 * (index + 1)`), then close at 1e6. Returns all records.
fn run_pieces(
    role: Role,
    client_side: bool,
    segments: &[(MessageKind, Vec<Vec<u8>>)],
) -> (Vec<HttpRecord>, HttpStats, HttpConn) {
    let mut conn = HttpConn::new(role, HttpConfig::default());
    let mut out = Vec::new();
    for (i, (kind, pieces)) in segments.iter().enumerate() {
        let ts = 1000 * (i as u64 + 1);
        for piece in pieces {
            out.extend(conn.push(dir(*kind, client_side), &chunk(ts, piece)));
        }
    }
    out.extend(conn.close(1_000_000));
    let stats = conn.stats();
    (out, stats, conn)
}

fn whole(segments: &[(MessageKind, &[u8])]) -> Vec<(MessageKind, Vec<Vec<u8>>)> {
    segments
        .iter()
        .map(|(k, b)| (*k, vec![b.to_vec()]))
        .collect()
}

/// Run a scenario whole, check it, then check that every split of every
/// segment into two, and byte-by-byte feeding, give the same records, for
/// every role setting and both sides.
fn check_scenario(segments: &[(MessageKind, &[u8])], check: impl Fn(&[HttpRecord], &HttpStats)) {
    let (base, stats, _) = run_pieces(Role::Client, true, &whole(segments));
    check(&base, &stats);
    assert_eq!(stats.parse_errors, 0, "{stats:?}");
    assert_eq!(stats.resyncs, 0, "{stats:?}");
    for (role, client_side) in [
        (Role::Client, true),
        (Role::Server, false),
        (Role::Unknown, true),
        (Role::Unknown, false),
    ] {
        let (got, st, conn) = run_pieces(role, client_side, &whole(segments));
        assert_eq!(got, base, "role {role:?}");
        assert_eq!(st, stats, "role {role:?}");
        let want_role = if client_side {
            Role::Client
        } else {
            Role::Server
        };
        assert_eq!(conn.role(), want_role);
        for i in 0..segments.len() {
            let bytes = segments[i].1;
            for k in 1..bytes.len() {
                let mut split = whole(segments);
                split[i].1 = vec![bytes[..k].to_vec(), bytes[k..].to_vec()];
                let (got, st, _) = run_pieces(role, client_side, &split);
                assert_eq!(got, base, "role {role:?}, segment {i} split at {k}");
                assert_eq!(st, stats, "role {role:?}, segment {i} split at {k}");
            }
        }
        let bytewise: Vec<_> = segments
            .iter()
            .map(|(kind, b)| (*kind, b.iter().map(|&x| vec![x]).collect()))
            .collect();
        let (got, st, _) = run_pieces(role, client_side, &bytewise);
        assert_eq!(got, base, "role {role:?}, byte by byte");
        assert_eq!(st, stats, "role {role:?}, byte by byte");
    }
}

fn header<'a>(r: &'a [(String, String)], name: &str) -> Option<&'a str> {
    r.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

#[test]
fn get_keep_alive() {
    check_scenario(
        &[
            (
                Q,
                b"GET /a HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t\r\n\r\n",
            ),
            (
                R,
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello",
            ),
            (Q, b"GET /b?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"),
            (R, b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
        ],
        |r, st| {
            assert_eq!(r.len(), 2);
            assert_eq!(st.records, 2);
            assert_eq!(
                (r[0].req_method.as_str(), r[0].req_path.as_str()),
                ("GET", "/a")
            );
            assert_eq!(r[0].req_headers.len(), 2);
            assert_eq!(header(&r[0].req_headers, "Host"), Some("example.com"));
            assert_eq!((r[0].resp_status, r[0].resp_message.as_str()), (200, "OK"));
            assert_eq!((r[0].resp_body.as_str(), r[0].resp_body_size), ("hello", 5));
            assert_eq!((r[0].req_start_ns, r[0].resp_end_ns), (1000, 2000));
            assert_eq!((r[0].major_version, r[0].minor_version), (1, 1));
            assert_eq!(r[0].content_type, 0);
            assert_eq!(r[1].req_path, "/b?x=1");
            assert_eq!((r[1].resp_body.as_str(), r[1].resp_body_size), ("", 0));
            assert_eq!((r[1].req_start_ns, r[1].resp_end_ns), (3000, 4000));
            assert_eq!(st.unmatched_requests + st.unmatched_responses, 0);
        },
    );
}

#[test]
fn post_with_body() {
    check_scenario(
        &[
            (
                Q,
                b"POST /api HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"a\":[1,2,3]}",
            ),
            (R, b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"),
        ],
        |r, _| {
            assert_eq!(r.len(), 1);
            assert_eq!(r[0].req_method, "POST");
            assert_eq!((r[0].req_body.as_str(), r[0].req_body_size), ("{\"a\":[1,2,3]}", 13));
            assert_eq!((r[0].resp_status, r[0].resp_message.as_str()), (201, "Created"));
            assert_eq!(r[0].resp_body, "ok");
            assert_eq!(r[0].content_type, 1);
        },
    );
}

#[test]
fn pipelined_requests_in_one_chunk() {
    check_scenario(
        &[
            (Q, b"GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nPOST /3 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"),
            (
                R,
                b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n22",
            ),
            (R, b"HTTP/1.1 202 Accepted\r\nContent-Length: 3\r\n\r\n333"),
        ],
        |r, st| {
            let paths: Vec<_> = r.iter().map(|x| x.req_path.as_str()).collect();
            assert_eq!(paths, ["/1", "/2", "/3"]);
            let bodies: Vec<_> = r.iter().map(|x| x.resp_body.as_str()).collect();
            assert_eq!(bodies, ["1", "22", "333"]);
            assert_eq!(r[2].req_body, "abc");
            assert_eq!(r[2].resp_status, 202);
            assert!(r.iter().all(|x| x.req_start_ns == 1000));
            assert_eq!(r[2].resp_end_ns, 3000);
            assert_eq!(st.unmatched_requests, 0);
        },
    );
}

#[test]
fn chunked_response_with_extensions_and_trailer() {
    check_scenario(
        &[
            (Q, b"GET /wiki HTTP/1.1\r\nTE: trailers\r\n\r\n"),
            (
                R,
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n\
                  4;ext=1\r\nWiki\r\n5 ; a=\"b\"\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n\
                  0\r\nExpires: never\r\n\r\n",
            ),
            (Q, b"GET /next HTTP/1.1\r\n\r\n"),
            (R, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ],
        |r, _| {
            assert_eq!(r.len(), 2);
            assert_eq!(r[0].resp_body, "Wikipedia in\r\n\r\nchunks.");
            assert_eq!(r[0].resp_body_size, 23);
            assert_eq!(header(&r[0].resp_headers, "Expires"), Some("never"));
            assert_eq!(r[1].req_path, "/next");
            assert_eq!((r[1].resp_body.as_str(), r[1].resp_body_size), ("", 0));
        },
    );
}

#[test]
fn chunked_request() {
    check_scenario(
        &[
            (
                Q,
                b"POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            ),
            (R, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ],
        |r, _| {
            assert_eq!(r.len(), 1);
            assert_eq!((r[0].req_body.as_str(), r[0].req_body_size), ("abc", 3));
        },
    );
}

#[test]
fn head_response_has_no_body() {
    check_scenario(
        &[
            (Q, b"HEAD /h HTTP/1.1\r\n\r\n"),
            (R, b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"),
            (Q, b"GET /g HTTP/1.1\r\n\r\n"),
            (R, b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx"),
        ],
        |r, _| {
            assert_eq!(r.len(), 2);
            assert_eq!((r[0].req_method.as_str(), r[0].resp_body_size), ("HEAD", 0));
            assert_eq!(header(&r[0].resp_headers, "Content-Length"), Some("1234"));
            assert_eq!(
                (r[1].req_path.as_str(), r[1].resp_body.as_str()),
                ("/g", "x")
            );
        },
    );
}

#[test]
fn no_content_204() {
    check_scenario(
        &[
            (Q, b"DELETE /d/1 HTTP/1.1\r\n\r\n"),
            (R, b"HTTP/1.1 204 No Content\r\n\r\n"),
            (Q, b"GET /after HTTP/1.1\r\n\r\n"),
            (R, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
        ],
        |r, _| {
            assert_eq!(r.len(), 2);
            assert_eq!((r[0].resp_status, r[0].resp_body_size), (204, 0));
            assert_eq!(r[0].resp_message, "No Content");
            assert_eq!(r[1].resp_body, "hi");
        },
    );
}

#[test]
fn not_modified_304() {
    check_scenario(
        &[
            (Q, b"GET /c HTTP/1.1\r\nIf-None-Match: \"x\"\r\n\r\n"),
            (
                R,
                b"HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\nETag: \"x\"\r\n\r\n",
            ),
            (Q, b"GET /d HTTP/1.1\r\n\r\n"),
            (R, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi"),
        ],
        |r, _| {
            assert_eq!(r.len(), 2);
            assert_eq!((r[0].resp_status, r[0].resp_body_size), (304, 0));
            assert_eq!(
                (r[1].req_path.as_str(), r[1].resp_body.as_str()),
                ("/d", "hi")
            );
        },
    );
}

#[test]
fn continue_100_is_skipped() {
    check_scenario(
        &[
            (
                Q,
                b"PUT /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
            ),
            (R, b"HTTP/1.1 100 Continue\r\n\r\n"),
            (Q, b"data"),
            (R, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ],
        |r, st| {
            assert_eq!(r.len(), 1);
            assert_eq!((r[0].resp_status, r[0].req_body.as_str()), (200, "data"));
            assert_eq!((r[0].req_start_ns, r[0].resp_end_ns), (1000, 4000));
            assert_eq!(st.unmatched_responses, 0);
        },
    );
}

#[test]
fn response_until_close() {
    check_scenario(
        &[
            (Q, b"GET /stream HTTP/1.0\r\n\r\n"),
            (
                R,
                b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"k\":1}",
            ),
            (R, b" more"),
        ],
        |r, _| {
            assert_eq!(r.len(), 1);
            assert_eq!(r[0].minor_version, 0);
            assert_eq!(
                (r[0].resp_body.as_str(), r[0].resp_body_size),
                ("{\"k\":1} more", 12)
            );
            assert_eq!(r[0].resp_end_ns, 3000);
            assert_eq!(r[0].content_type, 1);
        },
    );
}

#[test]
fn errors_404_and_500() {
    check_scenario(
        &[
            (Q, b"GET /missing HTTP/1.1\r\n\r\n"),
            (
                R,
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found",
            ),
            (Q, b"POST /boom HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
            (
                R,
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops",
            ),
        ],
        |r, _| {
            assert_eq!(r.len(), 2);
            assert_eq!(
                (r[0].resp_status, r[0].resp_message.as_str()),
                (404, "Not Found")
            );
            assert_eq!(r[0].resp_body, "not found");
            assert_eq!(r[1].resp_status, 500);
            assert_eq!(r[1].resp_message, "Internal Server Error");
            assert_eq!((r[1].req_body_size, r[1].resp_body.as_str()), (0, "oops"));
        },
    );
}

#[test]
fn timestamps_come_from_first_and_last_byte_chunks() {
    let req = b"GET /t HTTP/1.1\r\n\r\n";
    let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc";
    let mut conn = HttpConn::new(Role::Client, HttpConfig::default());
    let mut out = Vec::new();
    for (i, b) in req.iter().enumerate() {
        out.extend(conn.push(Direction::Egress, &chunk(100 + i as u64, &[*b])));
    }
    for (i, b) in resp.iter().enumerate() {
        out.extend(conn.push(Direction::Ingress, &chunk(500 + i as u64, &[*b])));
    }
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].req_start_ns, 100);
    assert_eq!(out[0].resp_end_ns, 500 + resp.len() as u64 - 1);
}

fn body_byte(i: usize) -> u8 {
    b'a' + (i % 26) as u8
}

/// A 1 MiB Content-Length body written in 64 KiB syscalls of which only the
/// first 16 KiB were captured each; then another exchange.
#[test]
fn gaps_in_content_length_body() {
    const SIZE: usize = 1 << 20;
    const WRITE: usize = 64 * 1024;
    const CAPTURE: usize = 16 * 1024;
    let body: Vec<u8> = (0..SIZE).map(body_byte).collect();
    let cfg = HttpConfig::default();
    let mut conn = HttpConn::new(Role::Client, cfg);
    let mut out = Vec::new();
    out.extend(conn.push(Direction::Egress, &chunk(10, b"GET /big HTTP/1.1\r\n\r\n")));
    out.extend(conn.push(
        Direction::Ingress,
        &chunk(20, b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n"),
    ));
    for (i, piece) in body.chunks(WRITE).enumerate() {
        let c = partial(30 + i as u64, &piece[..CAPTURE], piece.len() as u64);
        out.extend(conn.push(Direction::Ingress, &c));
        assert!(conn.buffered_bytes(Direction::Ingress) == 0);
    }
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].resp_body_size, SIZE as i64);
    assert_eq!(out[0].resp_body.as_bytes(), &body[..cfg.max_body_bytes]);
    assert_eq!(out[0].resp_end_ns, 30 + (SIZE / WRITE) as u64 - 1);
    out.extend(conn.push(
        Direction::Egress,
        &chunk(100, b"GET /next HTTP/1.1\r\n\r\n"),
    ));
    out.extend(conn.push(
        Direction::Ingress,
        &chunk(110, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    ));
    assert_eq!(out.len(), 2);
    assert_eq!(
        (out[1].req_path.as_str(), out[1].resp_body.as_str()),
        ("/next", "ok")
    );
    let st = conn.stats();
    assert_eq!((st.resyncs, st.parse_errors, st.dropped_bytes), (0, 0, 0));
}

/// Headers and a 1 MiB body in one write, 16 KiB captured; a large POST body
/// the same way on the request side.
#[test]
fn gap_in_single_large_write() {
    let mut conn = HttpConn::new(Role::Server, HttpConfig::default());
    let mut req = b"POST /upload HTTP/1.1\r\nContent-Length: 1048576\r\n\r\n".to_vec();
    let head = req.len();
    req.extend((0..16 * 1024 - head).map(body_byte));
    let mut out = conn.push(
        Direction::Ingress,
        &partial(1, &req, (head + (1 << 20)) as u64),
    );
    let mut resp = b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n".to_vec();
    let rhead = resp.len();
    resp.resize(16 * 1024, b'z');
    out.extend(conn.push(
        Direction::Egress,
        &partial(2, &resp, (rhead + (1 << 20)) as u64),
    ));
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].req_body_size, out[0].resp_body_size),
        (1 << 20, 1 << 20)
    );
    assert_eq!(out[0].req_body.len(), 4096);
    assert_eq!(out[0].req_body.as_bytes()[0], b'a');
    assert_eq!(out[0].resp_end_ns, 2);
    // Still in sync on both sides.
    out.extend(conn.push(Direction::Ingress, &chunk(3, b"GET /x HTTP/1.1\r\n\r\n")));
    out.extend(conn.push(
        Direction::Egress,
        &chunk(4, b"HTTP/1.1 204 No Content\r\n\r\n"),
    ));
    assert_eq!(out.len(), 2);
    assert_eq!(conn.stats().resyncs, 0);
}

/// A gap inside response headers: that response is lost, the direction
/// resyncs, and the next exchange pairs correctly.
#[test]
fn gap_in_headers_resyncs() {
    let mut conn = HttpConn::new(Role::Client, HttpConfig::default());
    let mut out = conn.push(Direction::Egress, &chunk(1, b"GET /1 HTTP/1.1\r\n\r\n"));
    let head = b"HTTP/1.1 200 OK\r\nX-Big: aaaaaaaa";
    out.extend(conn.push(Direction::Ingress, &partial(2, head, 40_000)));
    out.extend(conn.push(
        Direction::Ingress,
        &chunk(3, b"aaaa\r\nContent-Length: 3\r\n\r\nabc"),
    ));
    out.extend(conn.push(Direction::Egress, &chunk(4, b"GET /2 HTTP/1.1\r\n\r\n")));
    out.extend(conn.push(
        Direction::Ingress,
        &chunk(5, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    ));
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].req_path.as_str(), out[0].resp_body.as_str()),
        ("/2", "ok")
    );
    let st = conn.stats();
    assert_eq!((st.resyncs, st.unmatched_requests), (1, 1));
    assert!(st.dropped_bytes >= 40_000 - head.len() as u64);
}

/// Gaps in chunked bodies: inside chunk data they are counted; across the
/// chunk framing the response is lost and the direction resyncs.
#[test]
fn gaps_in_chunked_body() {
    let mut conn = HttpConn::new(Role::Client, HttpConfig::default());
    let mut out = conn.push(Direction::Egress, &chunk(1, b"GET /1 HTTP/1.1\r\n\r\n"));
    let start = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2710\r\nabc";
    // 0x2710 = 10000 data bytes, 3 captured, then 9000 not captured.
    out.extend(conn.push(
        Direction::Ingress,
        &partial(2, start, start.len() as u64 + 9000),
    ));
    let rest = vec![b'q'; 10_000 - 3 - 9000];
    out.extend(conn.push(Direction::Ingress, &chunk(3, &rest)));
    out.extend(conn.push(Direction::Ingress, &chunk(4, b"\r\n0\r\n\r\n")));
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].resp_body.as_str(), out[0].resp_body_size),
        ("abc", 10_000)
    );
    // Now a gap running past the chunk's data into the framing.
    out.extend(conn.push(Direction::Egress, &chunk(5, b"GET /2 HTTP/1.1\r\n\r\n")));
    let start = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc";
    out.extend(conn.push(
        Direction::Ingress,
        &partial(6, start, start.len() as u64 + 100),
    ));
    assert_eq!(conn.stats().resyncs, 1);
    out.extend(conn.push(Direction::Egress, &chunk(7, b"GET /3 HTTP/1.1\r\n\r\n")));
    out.extend(conn.push(
        Direction::Ingress,
        &chunk(8, b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n3"),
    ));
    assert_eq!(out.len(), 2);
    assert_eq!(
        (out[1].req_path.as_str(), out[1].resp_body.as_str()),
        ("/3", "3")
    );
    assert_eq!(conn.stats().unmatched_requests, 1);
}

/// Deterministic pseudo-random bytes.
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn binary_then_http() {
    for role in [Role::Client, Role::Unknown] {
        let cfg = HttpConfig {
            max_body_bytes: 4096,
            max_buffered_bytes: 4096,
        };
        let mut conn = HttpConn::new(role, cfg);
        let mut out = Vec::new();
        // A TLS ClientHello-like prefix, then lots of noise both ways.
        out.extend(conn.push(
            Direction::Egress,
            &chunk(1, b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
        ));
        for i in 0..64u64 {
            let d = if i % 2 == 0 {
                Direction::Egress
            } else {
                Direction::Ingress
            };
            out.extend(conn.push(d, &chunk(2 + i, &noise(i + 7, 3000))));
            assert!(conn.buffered_bytes(d) <= cfg.max_buffered_bytes);
        }
        assert!(out.is_empty());
        assert!(conn.stats().dropped_bytes > 0);
        out.extend(conn.push(Direction::Egress, &chunk(100, b"GET /ok HTTP/1.1\r\n\r\n")));
        out.extend(conn.push(
            Direction::Ingress,
            &chunk(101, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        ));
        assert_eq!(out.len(), 1, "role {role:?}");
        assert_eq!(out[0].req_path, "/ok");
        assert_eq!(conn.role(), Role::Client);
    }
}

#[test]
fn garbage_between_messages() {
    let mut conn = HttpConn::new(Role::Client, HttpConfig::default());
    let mut out = conn.push(Direction::Egress, &chunk(1, b"GET /1 HTTP/1.1\r\n\r\n"));
    out.extend(conn.push(
        Direction::Ingress,
        &chunk(2, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ));
    // Garbage glued to the next request in one chunk, no line break.
    out.extend(conn.push(
        Direction::Egress,
        &chunk(3, b"\x00\x01junk\xffGET /2 HTTP/1.1\r\n\r\n"),
    ));
    out.extend(conn.push(
        Direction::Ingress,
        &chunk(4, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ));
    // Garbage lines (not a request line, not headers) then a request.
    out.extend(conn.push(Direction::Egress, &chunk(5, b"hello world\r\n\r\nPUT\r\n")));
    out.extend(conn.push(Direction::Egress, &chunk(6, b"GET /3 HTTP/1.1\r\n\r\n")));
    out.extend(conn.push(
        Direction::Ingress,
        &chunk(
            7,
            b"\xde\xad\xbe\xefHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        ),
    ));
    let paths: Vec<_> = out.iter().map(|r| r.req_path.as_str()).collect();
    assert_eq!(paths, ["/1", "/2", "/3"]);
    let st = conn.stats();
    assert_eq!(st.parse_errors, 3);
    assert_eq!(st.unmatched_requests + st.unmatched_responses, 0);
}

#[test]
fn a_long_line_without_newline_is_bounded_and_fast() {
    let cfg = HttpConfig {
        max_body_bytes: 4096,
        max_buffered_bytes: 64 * 1024,
    };
    let mut conn = HttpConn::new(Role::Server, cfg);
    let junk = b"GET ".repeat(16 * 1024);
    for i in 0..16 {
        assert!(conn.push(Direction::Ingress, &chunk(i, &junk)).is_empty());
        assert!(conn.buffered_bytes(Direction::Ingress) <= cfg.max_buffered_bytes);
    }
    let huge_headers = [
        b"GET / HTTP/1.1\r\n".as_slice(),
        &b"X: y\r\n".repeat(20_000),
    ]
    .concat();
    assert!(
        conn.push(Direction::Ingress, &chunk(20, &huge_headers))
            .is_empty()
    );
    assert!(conn.buffered_bytes(Direction::Ingress) <= cfg.max_buffered_bytes);
    assert!(conn.stats().resyncs >= 1);
    let mut out = conn.push(
        Direction::Ingress,
        &chunk(30, b"\r\n\r\nGET /after HTTP/1.1\r\n\r\n"),
    );
    out.extend(conn.push(
        Direction::Egress,
        &chunk(31, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].req_path, "/after");
}

#[test]
fn role_inferred_from_ingress_request() {
    let mut conn = HttpConn::new(Role::Unknown, HttpConfig::default());
    let mut out = conn.push(Direction::Ingress, &chunk(1, b"OPTIONS * HTTP/1.1\r\n\r\n"));
    assert_eq!(conn.role(), Role::Server);
    out.extend(conn.push(
        Direction::Egress,
        &chunk(2, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ));
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].req_method.as_str(), out[0].req_path.as_str()),
        ("OPTIONS", "*")
    );
    // A response seen first also decides.
    let mut conn = HttpConn::new(Role::Unknown, HttpConfig::default());
    conn.push(
        Direction::Ingress,
        &chunk(1, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    );
    assert_eq!(conn.role(), Role::Client);
    assert_eq!(conn.stats().unmatched_responses, 1);
}

#[test]
fn compressed_bodies_are_not_text() {
    let mut conn = HttpConn::new(Role::Client, HttpConfig::default());
    let mut out = conn.push(
        Direction::Egress,
        &chunk(1, b"GET /z HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n"),
    );
    let mut resp =
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 6\r\n\r\n".to_vec();
    resp.extend_from_slice(b"\x1f\x8b\x08\x00\xff\x00");
    out.extend(conn.push(Direction::Ingress, &chunk(2, &resp)));
    out.extend(conn.push(Direction::Egress, &chunk(3, b"GET /b HTTP/1.1\r\n\r\n")));
    out.extend(conn.push(
        Direction::Ingress,
        &chunk(4, b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n\x00\r\n0\r\n\r\n"),
    ));
    assert_eq!(out.len(), 2);
    assert_eq!(
        (out[0].resp_body.as_str(), out[0].resp_body_size),
        ("<gzip-compressed body>", 6)
    );
    assert_eq!(
        (out[1].resp_body.as_str(), out[1].resp_body_size),
        ("<br-compressed body>", 1)
    );
}

#[test]
fn body_text_is_truncated_but_size_exact() {
    let cfg = HttpConfig {
        max_body_bytes: 4,
        max_buffered_bytes: 1024,
    };
    let mut conn = HttpConn::new(Role::Client, cfg);
    let mut out = conn.push(
        Direction::Egress,
        &chunk(
            1,
            b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789",
        ),
    );
    out.extend(conn.push(
        Direction::Ingress,
        &chunk(2, b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabcdef"),
    ));
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].req_body.as_str(), out[0].req_body_size),
        ("0123", 10)
    );
    assert_eq!(
        (out[0].resp_body.as_str(), out[0].resp_body_size),
        ("abcd", 6)
    );
}

#[test]
fn unmatched_messages_are_counted() {
    let mut conn = HttpConn::new(Role::Client, HttpConfig::default());
    let out = conn.push(
        Direction::Ingress,
        &chunk(1, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    );
    assert!(out.is_empty());
    conn.push(
        Direction::Egress,
        &chunk(2, b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n"),
    );
    // A half-sent response is dropped at close.
    conn.push(
        Direction::Ingress,
        &chunk(3, b"HTTP/1.1 200 OK\r\nContent-Len"),
    );
    assert!(conn.close(4).is_empty());
    let st = conn.stats();
    assert_eq!(
        (st.records, st.unmatched_responses, st.unmatched_requests),
        (0, 1, 2)
    );
    assert_eq!(conn.buffered_bytes(Direction::Ingress), 0);
}

#[test]
fn response_older_than_request_is_not_paired() {
    // The response to a lost request arrives before the next request started.
    let mut conn = HttpConn::new(Role::Client, HttpConfig::default());
    conn.push(Direction::Egress, &partial(1, b"GET /lost HT", 5000));
    let mut out = conn.push(Direction::Egress, &chunk(3, b"GET /new HTTP/1.1\r\n\r\n"));
    out.extend(conn.push(
        Direction::Ingress,
        &chunk(2, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ));
    out.extend(conn.push(
        Direction::Ingress,
        &chunk(4, b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
    ));
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].req_path.as_str(), out[0].resp_status),
        ("/new", 201)
    );
    assert_eq!(conn.stats().unmatched_responses, 1);
}

#[test]
fn switching_protocols_stops_parsing_quietly() {
    let mut conn = HttpConn::new(Role::Client, HttpConfig::default());
    let mut out = conn.push(
        Direction::Egress,
        &chunk(
            1,
            b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        ),
    );
    out.extend(conn.push(
        Direction::Ingress,
        &chunk(
            2,
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
        ),
    ));
    out.extend(conn.push(
        Direction::Egress,
        &chunk(3, b"\x81\x85\x00\x00\x00\x00hello"),
    ));
    out.extend(conn.push(Direction::Ingress, &chunk(4, b"\x81\x02hi")));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].resp_status, 101);
    assert_eq!(conn.stats().parse_errors, 0);
}

#[test]
fn obsolete_line_folding_and_bare_lf() {
    let mut conn = HttpConn::new(Role::Client, HttpConfig::default());
    let mut out = conn.push(
        Direction::Egress,
        &chunk(1, b"GET /f HTTP/1.1\nX-Long: a\n  b\n\n"),
    );
    out.extend(conn.push(
        Direction::Ingress,
        &chunk(2, b"HTTP/1.1 200\nContent-Length: 1\n\nx"),
    ));
    assert_eq!(out.len(), 1);
    assert_eq!(header(&out[0].req_headers, "X-Long"), Some("a b"));
    assert_eq!(
        (out[0].resp_message.as_str(), out[0].resp_body.as_str()),
        ("", "x")
    );
}

#[test]
fn protocol_inference() {
    assert_eq!(
        looks_like_http(b"GET / HTTP/1.1\r\nHost: a\r\n"),
        Some(MessageKind::Request)
    );
    assert_eq!(looks_like_http(b"POST /x"), Some(MessageKind::Request));
    assert_eq!(
        looks_like_http(b"HTTP/1.1 200 OK\r\n"),
        Some(MessageKind::Response)
    );
    assert_eq!(looks_like_http(b"HTTP/1.0 30"), Some(MessageKind::Response));
    assert_eq!(looks_like_http(b"HTTP/2.0 200 OK\r\n"), None);
    assert_eq!(looks_like_http(b"GET / HTTP/2\r\n"), None);
    assert_eq!(looks_like_http(b"GETX / HTTP/1.1\r\n"), None);
    assert_eq!(looks_like_http(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), None);
    assert_eq!(looks_like_http(b"\x16\x03\x01\x00"), None);
    assert_eq!(looks_like_http(b""), None);
}

const FRAGMENTS: &[&str] = &[
    "GET / HTTP/1.1\r\n",
    "HTTP/1.1 200 OK\r\n",
    "HTTP/1.1 100 Continue\r\n\r\n",
    "HEAD /h HTTP/1.0\r\n\r\n",
    "Content-Length: 5\r\n",
    "Content-Length: 99999999999\r\n",
    "Transfer-Encoding: chunked\r\n",
    "Content-Encoding: gzip\r\n",
    "\r\n",
    "\r\n\r\n",
    "5;x=y\r\nhello\r\n",
    "0\r\n\r\n",
    "fffffffff\r\n",
    "Expires: x\r\n",
    "HTTP/1.",
    "POST ",
    "\n",
];

fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..48),
        prop::sample::select(FRAGMENTS).prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn scenario_bytes() -> Vec<(MessageKind, &'static [u8])> {
    vec![
        (Q, b"GET /1 HTTP/1.1\r\n\r\nPOST /2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2;e\r\nab\r\n0\r\nT: 1\r\n\r\n"),
        (R, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 100 Continue\r\n\r\n"),
        (R, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n"),
        (Q, b"HEAD /3 HTTP/1.1\r\n\r\n"),
        (R, b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"),
        (Q, b"GET /4 HTTP/1.0\r\n\r\n"),
        (R, b"HTTP/1.0 200 OK\r\n\r\nto the end"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random bytes, splits and gaps: no panic, bounded buffers.
    #[test]
    fn random_input_is_harmless(
        ops in prop::collection::vec(
            (any::<bool>(), piece(), prop_oneof![4 => Just(0u64), 1 => 0u64..5000]),
            0..60,
        ),
        max_buffered in 0usize..300,
        max_body in 0usize..40,
        role in 0u8..3,
    ) {
        let role = match role { 0 => Role::Unknown, 1 => Role::Client, _ => Role::Server };
        let cfg = HttpConfig { max_body_bytes: max_body, max_buffered_bytes: max_buffered };
        let mut conn = HttpConn::new(role, cfg);
        for (i, (egress, data, gap)) in ops.iter().enumerate() {
            let d = if *egress { Direction::Egress } else { Direction::Ingress };
            let c = Chunk { ts_ns: i as u64, len: data.len() as u64 + gap, data: data.clone() };
            for r in conn.push(d, &c) {
                prop_assert!(r.req_body.len() <= max_body.max(32) * 3);
                prop_assert!(r.req_body_size >= 0 && r.resp_body_size >= 0);
            }
            prop_assert!(conn.buffered_bytes(Direction::Egress) <= max_buffered);
            prop_assert!(conn.buffered_bytes(Direction::Ingress) <= max_buffered);
        }
        conn.close(ops.len() as u64);
        prop_assert_eq!(conn.buffered_bytes(Direction::Egress), 0);
        prop_assert_eq!(conn.buffered_bytes(Direction::Ingress), 0);
        let st = conn.stats();
        prop_assert!(st.parse_errors <= st.resyncs);
    }

    /// A valid exchange cut at random places gives the same records as whole.
    #[test]
    fn random_splits_give_same_records(cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..40)) {
        let segs = scenario_bytes();
        let (base, _, _) = run_pieces(Role::Client, true, &whole(&segs));
        prop_assert_eq!(base.len(), 4);
        let mut split = whole(&segs);
        for cut in cuts {
            let total: usize = segs.iter().map(|s| s.1.len()).sum();
            let mut at = cut.index(total);
            for (i, (_, b)) in segs.iter().enumerate() {
                if at < b.len() {
                    let mut points: Vec<usize> = split[i].1.iter().scan(0, |acc, p| { *acc += p.len(); Some(*acc) }).collect();
                    points.push(at);
                    points.sort_unstable();
                    points.dedup();
                    let mut pieces = Vec::new();
                    let mut prev = 0;
                    for p in points {
                        if p > prev { pieces.push(b[prev..p].to_vec()); prev = p; }
                    }
                    if prev < b.len() { pieces.push(b[prev..].to_vec()); }
                    split[i].1 = pieces;
                    break;
                }
                at -= b.len();
            }
        }
        let (got, st, _) = run_pieces(Role::Unknown, true, &split);
        prop_assert_eq!(got, base);
        prop_assert_eq!(st.resyncs, 0);
    }
}
