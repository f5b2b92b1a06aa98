//! One direction of a connection: a resumable HTTP/1.x message parser.
//!
//! Bytes are parsed as they arrive. Only an incomplete unit (a start line and
//! header block, a chunk-size line, trailers, or a candidate message start
//! while resyncing) is ever buffered; body bytes are counted and the first
//! `max_body_bytes` copied, straight from the caller's chunk when possible.

use std::collections::VecDeque;

use super::parse::{
    LineScan, Plausible, StartLine, framing, parse_chunk_size, parse_header_line, parse_start_line,
    plausible, strong_first_byte,
};
use super::{HttpConfig, MessageKind, parse::HeaderLine, parse::lossy, stitch::Stitcher};

/// A start line longer than this is not HTTP (capped by the buffer limit).
const MAX_START_LINE: usize = 8 * 1024;
/// A chunk-size line longer than this is malformed.
const MAX_CHUNK_LINE: usize = 1024;

/// A parsed message, ready for stitching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Message {
    /// Timestamp of the chunk holding the first byte.
    pub start_ts: u64,
    /// Timestamp of the chunk holding the last byte.
    pub end_ts: u64,
    pub minor: i64,
    pub line: StartLine,
    pub headers: Vec<(String, String)>,
    /// The first `max_body_bytes` of the body (stops at the first gap).
    pub body: Vec<u8>,
    /// Exact body size, gaps included.
    pub body_size: u64,
    pub encoding: Option<&'static str>,
}

/// A message whose start line has been parsed.
#[derive(Debug)]
struct InProgress {
    msg: Message,
    /// Body text still being collected (no gap seen yet).
    text_open: bool,
}

impl InProgress {
    fn add_body(&mut self, bytes: &[u8], max: usize) {
        self.msg.body_size = self.msg.body_size.saturating_add(bytes.len() as u64);
        if self.text_open && self.msg.encoding.is_none() {
            let room = max.saturating_sub(self.msg.body.len());
            self.msg
                .body
                .extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or_default());
        }
    }

    fn add_gap(&mut self, n: u64) {
        self.msg.body_size = self.msg.body_size.saturating_add(n);
        self.text_open = false;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// `Content-Length` bytes still to come.
    Length(u64),
    /// Waiting for a chunk-size line.
    ChunkSize,
    /// Data bytes of the current chunk still to come.
    ChunkData(u64),
    /// The CRLF after chunk data.
    ChunkDataEnd,
    /// Trailer lines up to an empty line.
    Trailers,
    /// Everything until the connection closes.
    UntilClose,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At a message start. `tentative`: found while resyncing, not yet
    /// confirmed by a valid start line.
    Start {
        tentative: bool,
    },
    /// Searching for a plausible message start.
    Resync,
    Body(Body),
}

enum Step {
    /// The head of the input was used up (possibly 0 bytes on a state change).
    Consumed(usize),
    /// The unit at the head is incomplete.
    NeedMore,
}

/// Parser state apart from the buffer (so it can parse the buffer in place).
#[derive(Debug)]
struct Parser {
    cfg: HttpConfig,
    /// What this direction carries; `None` until inferred.
    kind: Option<MessageKind>,
    state: State,
    /// Line scanning, relative to the first unconsumed byte.
    lines: LineScan,
    /// No `\n` among the first `no_newline` unconsumed bytes (saves
    /// rescanning when candidate starts are rejected one after another).
    no_newline: usize,
    cur: Option<InProgress>,
    /// `(stream offset, ts)` where each buffered or current chunk starts.
    segments: VecDeque<(u64, u64)>,
    /// Stream offset (captured bytes only) of the first unconsumed byte.
    head: u64,
    /// Stream offset just past the last captured byte.
    end: u64,
    /// Timestamp of the last chunk.
    last_ts: u64,
}

impl Parser {
    fn new(cfg: HttpConfig, kind: Option<MessageKind>) -> Self {
        Parser {
            cfg,
            kind,
            state: State::Start { tentative: true },
            lines: LineScan::default(),
            no_newline: 0,
            cur: None,
            segments: VecDeque::new(),
            head: 0,
            end: 0,
            last_ts: 0,
        }
    }

    fn note_chunk(&mut self, captured: usize, ts: u64) {
        if captured > 0 {
            self.segments.push_back((self.end, ts));
            self.end += captured as u64;
        }
        self.last_ts = ts;
    }

    /// Timestamp of the chunk holding stream offset `pos`.
    fn ts_at(&self, pos: u64) -> u64 {
        let i = self.segments.partition_point(|s| s.0 <= pos);
        i.checked_sub(1)
            .and_then(|i| self.segments.get(i))
            .map_or(self.last_ts, |s| s.1)
    }

    fn is_chunk_start(&self, pos: u64) -> bool {
        self.segments.binary_search_by_key(&pos, |s| s.0).is_ok()
    }

    fn advance(&mut self, n: usize) {
        self.head += n as u64;
        self.no_newline = self.no_newline.saturating_sub(n);
        while self.segments.get(1).is_some_and(|s| s.0 <= self.head) {
            self.segments.pop_front();
        }
    }

    fn enter_resync(&mut self) {
        self.state = State::Resync;
        self.cur = None;
        self.lines = LineScan::default();
    }

    /// Lost sync for a reason worth counting.
    fn lose_sync(&mut self, st: &mut Stitcher) {
        st.stats.resyncs += 1;
        if self.kind == Some(MessageKind::Response) {
            st.lost_response();
        }
        self.enter_resync();
    }

    /// Malformed bytes at the head: count, drop one byte and resync.
    fn fail(&mut self, st: &mut Stitcher) -> Step {
        st.stats.parse_errors += 1;
        st.stats.dropped_bytes += 1;
        self.lose_sync(st);
        Step::Consumed(1)
    }

    /// The head does not start a message.
    fn reject(&mut self, tentative: bool, st: &mut Stitcher) -> Step {
        if tentative {
            st.stats.dropped_bytes += 1;
            self.enter_resync();
            Step::Consumed(1)
        } else {
            self.fail(st)
        }
    }

    /// Parse as much of `data` (the unconsumed bytes) as possible; returns how
    /// many bytes were used. The rest is an incomplete unit to keep.
    fn process(&mut self, data: &[u8], st: &mut Stitcher) -> usize {
        let mut done = 0;
        let mut idle = 0;
        while let Some(rest) = data.get(done..).filter(|r| !r.is_empty()) {
            let step = match self.state {
                State::Resync => self.step_resync(rest, st),
                State::Start { tentative } => self.step_start(rest, tentative, st),
                State::Body(Body::Length(n)) => self.step_data(rest, n, false, st),
                State::Body(Body::ChunkData(n)) => self.step_data(rest, n, true, st),
                State::Body(Body::ChunkSize) => self.step_chunk_size(rest, st),
                State::Body(Body::ChunkDataEnd) => self.step_chunk_end(rest, st),
                State::Body(Body::Trailers) => self.step_trailers(rest, st),
                State::Body(Body::UntilClose) => {
                    if let Some(cur) = self.cur.as_mut() {
                        cur.add_body(rest, self.cfg.max_body_bytes);
                    }
                    Step::Consumed(rest.len())
                }
            };
            match step {
                Step::NeedMore => break,
                Step::Consumed(n) => {
                    // A zero-byte step only changes state; two in a row would
                    // mean no progress (never expected, but never loop).
                    idle = if n == 0 { idle + 1 } else { 0 };
                    if idle > 2 {
                        break;
                    }
                    done += n;
                    self.advance(n);
                }
            }
        }
        done
    }

    fn step_resync(&mut self, data: &[u8], st: &mut Stitcher) -> Step {
        for (p, &b) in data.iter().enumerate() {
            let weak = b.is_ascii_uppercase() && self.is_chunk_start(self.head + p as u64);
            if !weak && !strong_first_byte(b, self.kind) {
                continue;
            }
            if plausible(data.get(p..).unwrap_or_default(), self.kind, weak) != Plausible::No {
                st.stats.dropped_bytes += p as u64;
                self.state = State::Start { tentative: true };
                self.lines = LineScan::default();
                return Step::Consumed(p);
            }
        }
        st.stats.dropped_bytes += data.len() as u64;
        Step::Consumed(data.len())
    }

    fn start_line_limit(&self) -> usize {
        MAX_START_LINE.min(self.cfg.max_buffered_bytes)
    }

    fn step_start(&mut self, data: &[u8], tentative: bool, st: &mut Stitcher) -> Step {
        if self.cur.is_none() {
            let weak = !tentative || self.is_chunk_start(self.head);
            match plausible(data, self.kind, weak) {
                Plausible::No => return self.reject(tentative, st),
                Plausible::Maybe => return Step::NeedMore,
                Plausible::Yes => {}
            }
            if self.lines.line_start == 0 {
                self.lines.scan = self.lines.scan.max(self.no_newline.min(data.len()));
            }
            let Some((s, e)) = self.lines.next(data) else {
                self.no_newline = self.no_newline.max(self.lines.scan);
                if self.lines.scan > self.start_line_limit() {
                    return self.reject(tentative, st);
                }
                return Step::NeedMore;
            };
            // No `\n` before this line's end: later candidates inside the line
            // need not search again.
            self.no_newline = self.no_newline.max(e);
            let Some(start) = data.get(s..e).and_then(|l| parse_start_line(l, self.kind)) else {
                return self.reject(tentative, st);
            };
            self.kind = Some(start.kind());
            self.cur = Some(InProgress {
                msg: Message {
                    start_ts: self.ts_at(self.head),
                    end_ts: 0,
                    minor: start.minor,
                    line: start.line,
                    headers: Vec::new(),
                    body: Vec::new(),
                    body_size: 0,
                    encoding: None,
                },
                text_open: true,
            });
            self.state = State::Start { tentative: false };
        }
        loop {
            let Some((s, e)) = self.lines.next(data) else {
                return Step::NeedMore;
            };
            if s == e {
                return self.headers_done(self.lines.line_start, st);
            }
            let Some(cur) = self.cur.as_mut() else {
                return self.fail(st);
            };
            match data.get(s..e).and_then(parse_header_line) {
                Some(HeaderLine::Field(name, value)) => {
                    cur.msg.headers.push((lossy(name), lossy(value)));
                }
                Some(HeaderLine::Continuation(more)) => match cur.msg.headers.last_mut() {
                    Some((_, value)) => {
                        if !more.is_empty() {
                            value.push(' ');
                            value.push_str(&String::from_utf8_lossy(more));
                        }
                    }
                    None => return self.fail(st),
                },
                None => return self.fail(st),
            }
        }
    }

    /// The header block ends `end` bytes into the unconsumed data.
    fn headers_done(&mut self, end: usize, st: &mut Stitcher) -> Step {
        let Some(mut cur) = self.cur.take() else {
            return self.fail(st);
        };
        let Some(fr) = framing(&cur.msg.headers) else {
            return self.fail(st);
        };
        cur.msg.encoding = fr.encoding;
        self.lines = LineScan::default();
        let last_ts = self.ts_at((self.head + end as u64).saturating_sub(1));
        let length = |n: u64| (n > 0).then_some(Body::Length(n));
        let body = match &cur.msg.line {
            StartLine::Request { .. } => {
                if fr.chunked {
                    Some(Body::ChunkSize)
                } else {
                    fr.content_length.and_then(length)
                }
            }
            StartLine::Response { status, .. } => {
                let status = *status;
                let method = st.request_method_for(cur.msg.start_ts);
                let bodyless = (100..200).contains(&status)
                    || status == 204
                    || status == 304
                    || method == Some("HEAD")
                    || (method == Some("CONNECT") && (200..300).contains(&status));
                if bodyless {
                    None
                } else if fr.chunked {
                    Some(Body::ChunkSize)
                } else if let Some(n) = fr.content_length {
                    length(n)
                } else {
                    Some(Body::UntilClose)
                }
            }
        };
        match body {
            None => self.complete(cur, last_ts, st),
            Some(body) => {
                self.cur = Some(cur);
                self.state = State::Body(body);
            }
        }
        Step::Consumed(end)
    }

    /// A message is done: hand it over and expect the next one.
    fn complete(&mut self, mut cur: InProgress, end_ts: u64, st: &mut Stitcher) {
        cur.msg.end_ts = end_ts;
        self.state = State::Start { tentative: false };
        self.lines = LineScan::default();
        let switched = match cur.msg.line {
            StartLine::Request { .. } => {
                st.on_request(cur.msg);
                false
            }
            StartLine::Response { .. } => st.on_response(cur.msg),
        };
        if switched {
            // Upgraded or tunnelled: what follows is not HTTP/1.x.
            self.enter_resync();
        }
    }

    /// Body bytes with `remaining` left (of `Content-Length` or a chunk).
    fn step_data(&mut self, data: &[u8], remaining: u64, chunked: bool, st: &mut Stitcher) -> Step {
        let take = usize::try_from(remaining)
            .unwrap_or(usize::MAX)
            .min(data.len());
        let Some(cur) = self.cur.as_mut() else {
            return self.fail(st);
        };
        cur.add_body(
            data.get(..take).unwrap_or_default(),
            self.cfg.max_body_bytes,
        );
        let left = remaining - take as u64;
        if left > 0 {
            self.state = State::Body(if chunked {
                Body::ChunkData(left)
            } else {
                Body::Length(left)
            });
        } else if chunked {
            self.state = State::Body(Body::ChunkDataEnd);
        } else if let Some(cur) = self.cur.take() {
            let ts = self.ts_at((self.head + take as u64).saturating_sub(1));
            self.complete(cur, ts, st);
        }
        Step::Consumed(take)
    }

    fn step_chunk_size(&mut self, data: &[u8], st: &mut Stitcher) -> Step {
        let Some((s, e)) = self.lines.next(data) else {
            if self.lines.scan > MAX_CHUNK_LINE {
                return self.fail(st);
            }
            return Step::NeedMore;
        };
        let Some(size) = data.get(s..e).and_then(parse_chunk_size) else {
            return self.fail(st);
        };
        let used = self.lines.line_start;
        self.lines = LineScan::default();
        self.state = State::Body(if size == 0 {
            Body::Trailers
        } else {
            Body::ChunkData(size)
        });
        Step::Consumed(used)
    }

    fn step_chunk_end(&mut self, data: &[u8], st: &mut Stitcher) -> Step {
        let used = match data {
            [b'\n', ..] => 1,
            [b'\r', b'\n', ..] => 2,
            [b'\r'] => return Step::NeedMore,
            _ => return self.fail(st),
        };
        self.state = State::Body(Body::ChunkSize);
        Step::Consumed(used)
    }

    fn step_trailers(&mut self, data: &[u8], st: &mut Stitcher) -> Step {
        loop {
            let Some((s, e)) = self.lines.next(data) else {
                return Step::NeedMore;
            };
            if s == e {
                let used = self.lines.line_start;
                let ts = self.ts_at((self.head + used as u64).saturating_sub(1));
                if let Some(cur) = self.cur.take() {
                    self.complete(cur, ts, st);
                }
                return Step::Consumed(used);
            }
            let (Some(HeaderLine::Field(name, value)), Some(cur)) = (
                data.get(s..e).and_then(parse_header_line),
                self.cur.as_mut(),
            ) else {
                return self.fail(st);
            };
            cur.msg.headers.push((lossy(name), lossy(value)));
        }
    }

    /// `n` bytes after the captured data were not seen; `buffered` unparsed
    /// bytes are held. Returns whether the buffer must be dropped.
    fn on_gap(&mut self, n: u64, buffered: usize, st: &mut Stitcher) -> bool {
        if buffered == 0 {
            match self.state {
                State::Body(Body::UntilClose) => {
                    if let Some(cur) = self.cur.as_mut() {
                        cur.add_gap(n);
                    }
                    return false;
                }
                State::Body(Body::Length(r) | Body::ChunkData(r)) => {
                    let chunked = matches!(self.state, State::Body(Body::ChunkData(_)));
                    let Some(cur) = self.cur.as_mut() else {
                        self.lose_sync(st);
                        return true;
                    };
                    cur.add_gap(n.min(r));
                    if n < r {
                        self.state = State::Body(if chunked {
                            Body::ChunkData(r - n)
                        } else {
                            Body::Length(r - n)
                        });
                        return false;
                    }
                    if chunked {
                        self.state = State::Body(Body::ChunkDataEnd);
                    } else if let Some(cur) = self.cur.take() {
                        let ts = self.last_ts;
                        self.complete(cur, ts, st);
                    }
                    if n == r {
                        return false;
                    }
                    // The gap also swallowed what came next.
                    if self.state != State::Resync {
                        self.lose_sync(st);
                    }
                    st.stats.dropped_bytes += n - r;
                    return true;
                }
                _ => {}
            }
        }
        st.stats.dropped_bytes += n + buffered as u64;
        match self.state {
            State::Resync | State::Start { tentative: true } => self.enter_resync(),
            _ => self.lose_sync(st),
        }
        self.advance(buffered);
        true
    }

    /// The unit at the head outgrew the buffer limit: drop its first byte
    /// and resync.
    fn overflow(&mut self, st: &mut Stitcher) {
        st.stats.dropped_bytes += 1;
        match self.state {
            State::Resync | State::Start { tentative: true } => self.enter_resync(),
            _ => self.lose_sync(st),
        }
        self.advance(1);
    }

    fn close(&mut self, ts: u64, st: &mut Stitcher) {
        // A response whose body runs to the close is complete; one cut short
        // (its headers arrived, not all of its body) is still reported, with
        // the body size that actually arrived: a request that got a broken
        // answer is worth seeing. Half requests are dropped.
        let cut_response = matches!(self.state, State::Body(_))
            && self
                .cur
                .as_ref()
                .is_some_and(|c| matches!(c.msg.line, StartLine::Response { .. }));
        if (self.state == State::Body(Body::UntilClose) || cut_response)
            && let Some(cur) = self.cur.take()
        {
            let end = if self.last_ts == 0 { ts } else { self.last_ts };
            self.complete(cur, end, st);
        }
        *self = Parser::new(self.cfg, self.kind);
    }
}

/// One direction of a connection: parser plus the bytes it still needs.
#[derive(Debug)]
pub(super) struct Stream {
    buf: Vec<u8>,
    /// Bytes of `buf` before this are consumed.
    start: usize,
    parser: Parser,
}

impl Stream {
    pub fn new(cfg: HttpConfig, kind: Option<MessageKind>) -> Self {
        Stream {
            buf: Vec::new(),
            start: 0,
            parser: Parser::new(cfg, kind),
        }
    }

    pub fn buffered(&self) -> usize {
        self.buf.len().saturating_sub(self.start)
    }

    pub fn kind(&self) -> Option<MessageKind> {
        self.parser.kind
    }

    fn clear_buf(&mut self) {
        self.buf.clear();
        self.start = 0;
    }

    /// Feed one chunk: `data` captured, then `gap` bytes not captured.
    pub fn push(&mut self, data: &[u8], gap: u64, ts: u64, st: &mut Stitcher) {
        self.parser.note_chunk(data.len(), ts);
        let cap = self.parser.cfg.max_buffered_bytes;
        let mut rest = data;
        while !rest.is_empty() {
            if self.buffered() == 0 {
                // Parse straight from the caller's bytes.
                self.clear_buf();
                let n = self.parser.process(rest, st);
                rest = rest.get(n..).unwrap_or_default();
                if rest.is_empty() {
                    break;
                }
                if rest.len() <= cap {
                    self.buf.extend_from_slice(rest);
                    break;
                }
                self.parser.overflow(st);
                rest = rest.get(1..).unwrap_or_default();
            } else {
                if self.buffered() >= cap {
                    self.parser.overflow(st);
                    self.start += 1;
                } else {
                    if self.start > 0 {
                        self.buf.drain(..self.start);
                        self.start = 0;
                    }
                    let take = cap.saturating_sub(self.buf.len()).min(rest.len());
                    self.buf
                        .extend_from_slice(rest.get(..take).unwrap_or_default());
                    rest = rest.get(take..).unwrap_or_default();
                }
                let n = self
                    .parser
                    .process(self.buf.get(self.start..).unwrap_or_default(), st);
                self.start += n;
            }
        }
        if gap > 0 && self.parser.on_gap(gap, self.buffered(), st) {
            self.clear_buf();
        }
        if self.buffered() == 0 {
            self.clear_buf();
        }
    }

    /// The other side is no longer speaking HTTP/1.x: stop expecting a
    /// message at the next byte.
    pub fn quiet_resync(&mut self) {
        if self.parser.cur.is_none() && matches!(self.parser.state, State::Start { .. }) {
            self.parser.enter_resync();
        }
    }

    /// The direction's kind became known from the other direction.
    pub fn set_kind(&mut self, kind: MessageKind, st: &mut Stitcher) {
        match self.parser.kind {
            Some(k) if k == kind => {}
            Some(_) => {
                self.parser.kind = Some(kind);
                self.parser.lose_sync(st);
            }
            None => self.parser.kind = Some(kind),
        }
    }

    pub fn close(&mut self, ts: u64, st: &mut Stitcher) {
        self.parser.close(ts, st);
        self.clear_buf();
    }
}
