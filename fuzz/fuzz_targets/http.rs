//! HTTP/1.x parser and stitcher on arbitrary bytes, cut into chunks of both
//! directions with gaps. Any panic, or a buffer above its limit, is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pxl_stirling::http::{HttpConfig, HttpConn};
use pxl_stirling::{Chunk, Direction, Role};

fuzz_target!(|data: &[u8]| {
    // Header: role, limits. Then records of [control, length, bytes...]:
    // control bit 0 = direction, bits 1..3 = gap size class.
    let [role, max_body, max_buf, rest @ ..] = data else {
        return;
    };
    let role = match role % 3 {
        0 => Role::Unknown,
        1 => Role::Client,
        _ => Role::Server,
    };
    let cfg = HttpConfig {
        max_body_bytes: usize::from(*max_body),
        max_buffered_bytes: usize::from(*max_buf) * 16,
    };
    let mut conn = HttpConn::new(role, cfg);
    let mut input = rest;
    let mut ts = 0u64;
    while let [control, len, tail @ ..] = input {
        let n = usize::from(*len).min(tail.len());
        let (bytes, next) = tail.split_at(n);
        input = next;
        let dir = if control & 1 == 0 {
            Direction::Egress
        } else {
            Direction::Ingress
        };
        let gap = match (control >> 1) & 3 {
            0 | 1 => 0,
            2 => u64::from(control >> 3),
            _ => u64::from(control >> 3) * 4096,
        };
        ts += u64::from(control >> 5);
        let chunk = Chunk {
            ts_ns: ts,
            len: bytes.len() as u64 + gap,
            data: bytes.to_vec(),
        };
        for r in conn.push(dir, &chunk) {
            assert!(r.req_body_size >= 0 && r.resp_body_size >= 0);
        }
        assert!(conn.buffered_bytes(Direction::Egress) <= cfg.max_buffered_bytes);
        assert!(conn.buffered_bytes(Direction::Ingress) <= cfg.max_buffered_bytes);
    }
    let _ = conn.close(ts + 1);
    assert_eq!(conn.buffered_bytes(Direction::Egress), 0);
    assert_eq!(conn.buffered_bytes(Direction::Ingress), 0);
});
