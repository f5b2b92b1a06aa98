//! Pairing requests with responses into [`HttpRecord`]s.
//!
//! Responses answer requests in order (HTTP/1.x has no other way), so the
//! oldest waiting request gets the next response. Two guards keep a lost
//! message from shifting every later pair: a request that started after the
//! response started cannot be its request, and after the response side lost
//! sync the latest request that started before the response is taken (the
//! ones before it are counted unmatched).

use std::collections::VecDeque;

use super::parse::{StartLine, content_type};
use super::stream::Message;
use super::{HttpRecord, HttpStats};

/// Requests waiting for responses beyond this are counted unmatched.
const MAX_PENDING: usize = 1024;

#[derive(Debug, Default)]
pub(super) struct Stitcher {
    pub stats: HttpStats,
    pending: VecDeque<Message>,
    pub out: Vec<HttpRecord>,
    /// The response direction lost sync since the last pair.
    lost_response: bool,
    /// A response switched the connection away from HTTP/1.x.
    pub switched: bool,
}

impl Stitcher {
    pub fn lost_response(&mut self) {
        self.lost_response = true;
    }

    fn match_index(&self, resp_start: u64) -> Option<usize> {
        if self.lost_response {
            self.pending.iter().rposition(|r| r.start_ts <= resp_start)
        } else {
            self.pending
                .front()
                .filter(|r| r.start_ts <= resp_start)
                .map(|_| 0)
        }
    }

    /// Method of the request a response starting at `resp_start` answers.
    pub fn request_method_for(&self, resp_start: u64) -> Option<&str> {
        let req = self.pending.get(self.match_index(resp_start)?)?;
        match &req.line {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    pub fn on_request(&mut self, msg: Message) {
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
            self.stats.unmatched_requests += 1;
        }
        self.pending.push_back(msg);
    }

    /// Pair a response; returns whether it switched protocols (101, or a
    /// successful CONNECT).
    pub fn on_response(&mut self, resp: Message) -> bool {
        let StartLine::Response { status, .. } = resp.line else {
            return false;
        };
        if (100..200).contains(&status) && status != 101 {
            // Interim response (100 Continue, 103 Early Hints): not paired.
            return false;
        }
        let Some(i) = self.match_index(resp.start_ts) else {
            self.stats.unmatched_responses += 1;
            return false;
        };
        for _ in 0..i {
            self.pending.pop_front();
            self.stats.unmatched_requests += 1;
        }
        let Some(req) = self.pending.pop_front() else {
            self.stats.unmatched_responses += 1;
            return false;
        };
        self.lost_response = false;
        let connect = matches!(&req.line, StartLine::Request { method, .. } if method == "CONNECT");
        let switched = status == 101 || (connect && (200..300).contains(&status));
        self.out.push(record(req, resp));
        self.stats.records += 1;
        self.switched |= switched;
        switched
    }

    /// The connection closed: whatever still waits is unmatched.
    pub fn close(&mut self) {
        self.stats.unmatched_requests += self.pending.len() as u64;
        self.pending.clear();
        self.lost_response = false;
        self.switched = false;
    }
}

fn size(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Body text: what was kept, or a marker for compressed bodies.
fn body_text(body: Vec<u8>, size: u64, encoding: Option<&str>) -> String {
    match encoding {
        Some(enc) if size > 0 => format!("<{enc}-compressed body>"),
        _ => String::from_utf8(body)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn record(req: Message, resp: Message) -> HttpRecord {
    let content_type = content_type(&resp.headers).or_else(|| content_type(&req.headers));
    let (req_method, req_path) = match req.line {
        StartLine::Request { method, target } => (method, target),
        StartLine::Response { .. } => (String::new(), String::new()),
    };
    let (resp_status, resp_message) = match resp.line {
        StartLine::Response { status, reason } => (i64::from(status), reason),
        StartLine::Request { .. } => (0, String::new()),
    };
    HttpRecord {
        req_start_ns: req.start_ts,
        resp_end_ns: resp.end_ts,
        major_version: 1,
        minor_version: resp.minor,
        req_method,
        req_path,
        req_headers: req.headers,
        req_body: body_text(req.body, req.body_size, req.encoding),
        req_body_size: size(req.body_size),
        resp_status,
        resp_message,
        resp_headers: resp.headers,
        resp_body: body_text(resp.body, resp.body_size, resp.encoding),
        resp_body_size: size(resp.body_size),
        content_type: content_type.unwrap_or(0),
    }
}
