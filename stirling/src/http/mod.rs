//! HTTP/1.x parsing and request/response stitching (Pixie's `http_events`).
//!
//! An [`HttpConn`] takes the captured bytes of both directions of one
//! connection, as [`Chunk`]s in order per direction, and returns one
//! [`HttpRecord`] per request/response pair.
//!
//! - Bytes may be split anywhere; a message is parsed as its bytes arrive
//!   and only incomplete header blocks / framing lines are buffered (at most
//!   [`HttpConfig::max_buffered_bytes`] per direction).
//! - Uncaptured bytes (`len > data.len()`) inside a `Content-Length` body,
//!   chunk data or a body running to the close are counted in the body size.
//!   Anywhere else the message cannot be parsed: the direction resyncs at the
//!   next plausible message start (a well-known method or `HTTP/1.` anywhere,
//!   any uppercase method token at the start of a chunk).
//! - Bytes that are not HTTP are skipped the same way, never buffered beyond
//!   the limit and never an error beyond a counter.
//! - Responses pair with requests first in, first out, with guards against
//!   a lost message shifting every later pair (see `stitch.rs`).

mod parse;
mod stitch;
mod stream;

#[cfg(test)]
mod tests;

use crate::{Chunk, Direction, Role};
use stitch::Stitcher;
use stream::Stream;

/// Limits for one connection's parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpConfig {
    /// Body bytes kept as text per message (sizes are always exact).
    pub max_body_bytes: usize,
    /// Unparsed bytes buffered per direction at most; a header block or
    /// framing line longer than this is dropped and the direction resyncs.
    pub max_buffered_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            max_body_bytes: 4096,
            max_buffered_bytes: 256 * 1024,
        }
    }
}

/// One request with its response: a row of `http_events`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpRecord {
    /// Timestamp of the chunk holding the request's first byte.
    pub req_start_ns: u64,
    /// Timestamp of the chunk holding the response's last byte.
    pub resp_end_ns: u64,
    pub major_version: i64,
    /// Minor version of the response.
    pub minor_version: i64,
    pub req_method: String,
    pub req_path: String,
    /// Request headers in order with their original names (trailers of a
    /// chunked body are appended).
    pub req_headers: Vec<(String, String)>,
    /// The first `max_body_bytes` of the body as lossy UTF-8 (up to the first
    /// uncaptured byte), or `<gzip-compressed body>` and the like.
    pub req_body: String,
    /// Exact body size in bytes (de-chunked), captured or not.
    pub req_body_size: i64,
    pub resp_status: i64,
    pub resp_message: String,
    pub resp_headers: Vec<(String, String)>,
    pub resp_body: String,
    pub resp_body_size: i64,
    /// From Content-Type (response first, else request): 0 unknown, 1 JSON,
    /// 2 gRPC.
    pub content_type: i64,
}

/// Counters of one connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HttpStats {
    /// Records returned.
    pub records: u64,
    /// Malformed bytes where a message was expected or being parsed.
    pub parse_errors: u64,
    /// Times a direction lost sync (parse errors, uncaptured bytes in
    /// headers or chunk framing, oversized header blocks).
    pub resyncs: u64,
    /// Requests that never got a response.
    pub unmatched_requests: u64,
    /// Responses without a request (not returned).
    pub unmatched_responses: u64,
    /// Bytes (captured or not) skipped without being part of a message.
    pub dropped_bytes: u64,
}

/// Which kind of message bytes start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    Request,
    Response,
}

impl MessageKind {
    fn opposite(self) -> Self {
        match self {
            MessageKind::Request => MessageKind::Response,
            MessageKind::Response => MessageKind::Request,
        }
    }
}

/// Protocol inference: do the first bytes of a connection direction look
/// like the start of an HTTP/1.x request (a well-known method) or response?
/// A complete first line must be a valid start line.
pub fn looks_like_http(first: &[u8]) -> Option<MessageKind> {
    parse::classify(first)
}

/// One connection's HTTP/1.x state.
#[derive(Debug)]
pub struct HttpConn {
    role: Role,
    egress: Stream,
    ingress: Stream,
    stitcher: Stitcher,
}

/// What a direction carries for a role, `None` if not yet known.
fn kind_of(role: Role, dir: Direction) -> Option<MessageKind> {
    match (role, dir) {
        (Role::Unknown, _) => None,
        (Role::Client, Direction::Egress) | (Role::Server, Direction::Ingress) => {
            Some(MessageKind::Request)
        }
        (Role::Client, Direction::Ingress) | (Role::Server, Direction::Egress) => {
            Some(MessageKind::Response)
        }
    }
}

impl HttpConn {
    /// `Role::Unknown`: the role is inferred from the first start line seen
    /// in either direction.
    pub fn new(role: Role, cfg: HttpConfig) -> Self {
        HttpConn {
            role,
            egress: Stream::new(cfg, kind_of(role, Direction::Egress)),
            ingress: Stream::new(cfg, kind_of(role, Direction::Ingress)),
            stitcher: Stitcher::default(),
        }
    }

    /// Feed one chunk of `dir`; returns the request/response pairs it
    /// completed.
    pub fn push(&mut self, dir: Direction, chunk: &Chunk) -> Vec<HttpRecord> {
        let (this, other) = match dir {
            Direction::Egress => (&mut self.egress, &mut self.ingress),
            Direction::Ingress => (&mut self.ingress, &mut self.egress),
        };
        let gap = chunk.len.saturating_sub(chunk.data.len() as u64);
        this.push(&chunk.data, gap, chunk.ts_ns, &mut self.stitcher);
        if self.role == Role::Unknown
            && let Some(kind) = this.kind()
        {
            self.role = match (dir, kind) {
                (Direction::Egress, MessageKind::Request)
                | (Direction::Ingress, MessageKind::Response) => Role::Client,
                (Direction::Egress, MessageKind::Response)
                | (Direction::Ingress, MessageKind::Request) => Role::Server,
            };
            other.set_kind(kind.opposite(), &mut self.stitcher);
        }
        if self.stitcher.switched {
            self.stitcher.switched = false;
            for stream in [&mut self.egress, &mut self.ingress] {
                if stream.kind() == Some(MessageKind::Request) {
                    stream.quiet_resync();
                }
            }
        }
        std::mem::take(&mut self.stitcher.out)
    }

    /// The connection closed at `ts_ns`: a response whose body runs to the
    /// close is finished (ending at its direction's last chunk), half
    /// messages are dropped and waiting requests counted unmatched.
    pub fn close(&mut self, ts_ns: u64) -> Vec<HttpRecord> {
        self.egress.close(ts_ns, &mut self.stitcher);
        self.ingress.close(ts_ns, &mut self.stitcher);
        self.stitcher.close();
        std::mem::take(&mut self.stitcher.out)
    }

    pub fn stats(&self) -> HttpStats {
        self.stitcher.stats
    }

    /// The role given, or inferred from the traffic.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Unparsed bytes held for `dir` (never above `max_buffered_bytes`).
    pub fn buffered_bytes(&self, dir: Direction) -> usize {
        match dir {
            Direction::Egress => self.egress.buffered(),
            Direction::Ingress => self.ingress.buffered(),
        }
    }
}
