//! Byte-level pieces of HTTP/1.x: line scanning, message-start plausibility,
//! start lines, header lines, chunk-size lines and framing headers.
//!
//! Everything here works on borrowed slices and never indexes out of range.

use super::MessageKind;

/// Request methods we recognise anywhere in a byte stream while resyncing
/// (with the space that must follow them). Any other uppercase token is
/// accepted only where a message is expected to start.
const METHODS: [&[u8]; 9] = [
    b"GET ",
    b"POST ",
    b"PUT ",
    b"DELETE ",
    b"HEAD ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
    b"TRACE ",
];

/// How every response starts.
const RESPONSE_PREFIX: &[u8] = b"HTTP/1.";

/// Longest method token we accept.
const MAX_METHOD_LEN: usize = 20;

/// Longest hex digit run in a chunk-size line.
const MAX_CHUNK_HEX_DIGITS: usize = 16;

/// Position of the first `needle` in `hay`, eight bytes at a time.
pub(super) fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO.wrapping_mul(u64::from(needle));
    let mut words = hay.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(word);
        let x = u64::from_le_bytes(bytes) ^ pattern;
        if x.wrapping_sub(LO) & !x & HI != 0 {
            return word.iter().position(|&b| b == needle).map(|i| base + i);
        }
        base += 8;
    }
    words
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|i| base + i)
}

/// Incremental line finder over a growing buffer. Positions are relative to
/// the start of the unconsumed bytes; `scan` remembers how far we already
/// looked for `\n` so nothing is searched twice.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct LineScan {
    /// Where the current (incomplete) line starts.
    pub line_start: usize,
    /// Bytes before this hold no `\n` after `line_start`.
    pub scan: usize,
}

impl LineScan {
    /// The next complete line of `data` as `(start, end)`, `end` excluding
    /// the `\r\n` (or bare `\n`); afterwards `line_start` is just past it.
    pub fn next(&mut self, data: &[u8]) -> Option<(usize, usize)> {
        let from = self.scan.max(self.line_start);
        let Some(rest) = data.get(from..) else {
            self.scan = data.len();
            return None;
        };
        let Some(i) = find_byte(rest, b'\n') else {
            self.scan = data.len();
            return None;
        };
        let newline = from + i;
        let start = self.line_start;
        let mut end = newline;
        if end > start && data.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        self.line_start = newline + 1;
        self.scan = newline + 1;
        Some((start, end))
    }
}

/// Whether bytes can start a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Plausible {
    No,
    /// Too few bytes to tell.
    Maybe,
    Yes,
}

fn prefix(data: &[u8], pattern: &[u8]) -> Plausible {
    let n = data.len().min(pattern.len());
    if data.get(..n) != pattern.get(..n) {
        Plausible::No
    } else if n == pattern.len() {
        Plausible::Yes
    } else {
        Plausible::Maybe
    }
}

fn is_method_byte(b: u8, index: usize) -> bool {
    b.is_ascii_uppercase() || (index > 0 && (b == b'-' || b == b'_'))
}

/// An uppercase token followed by a space.
fn token_then_space(data: &[u8]) -> Plausible {
    for (i, &b) in data.iter().enumerate().take(MAX_METHOD_LEN + 1) {
        if b == b' ' {
            return if i > 0 { Plausible::Yes } else { Plausible::No };
        }
        if !is_method_byte(b, i) {
            return Plausible::No;
        }
    }
    if data.len() > MAX_METHOD_LEN {
        Plausible::No
    } else {
        Plausible::Maybe
    }
}

/// Could `data` start a message of `kind` (`None`: either)? `weak` accepts
/// any uppercase method token, otherwise only the well-known methods.
pub(super) fn plausible(data: &[u8], kind: Option<MessageKind>, weak: bool) -> Plausible {
    let mut best = Plausible::No;
    if kind != Some(MessageKind::Request) {
        best = best.max(prefix(data, RESPONSE_PREFIX));
    }
    if kind != Some(MessageKind::Response) && best != Plausible::Yes {
        if weak {
            best = best.max(token_then_space(data));
        } else {
            for method in METHODS {
                best = best.max(prefix(data, method));
                if best == Plausible::Yes {
                    break;
                }
            }
        }
    }
    best
}

/// Cheap filter for resync scanning: can a message of `kind` start with `b`
/// where only well-known starts are accepted?
pub(super) fn strong_first_byte(b: u8, kind: Option<MessageKind>) -> bool {
    match kind {
        Some(MessageKind::Response) => b == b'H',
        _ => matches!(b, b'G' | b'P' | b'D' | b'H' | b'O' | b'C' | b'T'),
    }
}

/// The first line of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum StartLine {
    Request { method: String, target: String },
    Response { status: u16, reason: String },
}

/// A parsed first line with its `HTTP/1.x` minor version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Start {
    pub line: StartLine,
    pub minor: i64,
}

impl Start {
    pub fn kind(&self) -> MessageKind {
        match self.line {
            StartLine::Request { .. } => MessageKind::Request,
            StartLine::Response { .. } => MessageKind::Response,
        }
    }
}

pub(super) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn parse_version(v: &[u8]) -> Option<i64> {
    match v {
        b"HTTP/1.0" => Some(0),
        b"HTTP/1.1" => Some(1),
        _ => None,
    }
}

/// Parse a start line (without its line end) of `kind` (`None`: either).
pub(super) fn parse_start_line(line: &[u8], kind: Option<MessageKind>) -> Option<Start> {
    if line.starts_with(RESPONSE_PREFIX) {
        if kind == Some(MessageKind::Request) {
            return None;
        }
        parse_status_line(line)
    } else {
        if kind == Some(MessageKind::Response) {
            return None;
        }
        parse_request_line(line)
    }
}

fn parse_request_line(line: &[u8]) -> Option<Start> {
    let sp1 = find_byte(line, b' ')?;
    let method = line.get(..sp1)?;
    if method.is_empty()
        || method.len() > MAX_METHOD_LEN
        || !method
            .iter()
            .enumerate()
            .all(|(i, &b)| is_method_byte(b, i))
    {
        return None;
    }
    let rest = line.get(sp1 + 1..)?;
    let sp2 = rest.iter().rposition(|&b| b == b' ')?;
    let target = rest.get(..sp2)?;
    let minor = parse_version(rest.get(sp2 + 1..)?)?;
    if target.is_empty() || !target.iter().all(|&b| b > b' ' && b != 0x7f) {
        return None;
    }
    Some(Start {
        line: StartLine::Request {
            method: lossy(method),
            target: lossy(target),
        },
        minor,
    })
}

fn parse_status_line(line: &[u8]) -> Option<Start> {
    let minor = parse_version(line.get(..8)?)?;
    if line.get(8) != Some(&b' ') {
        return None;
    }
    let code = line.get(9..12)?;
    if !code.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let status = code
        .iter()
        .fold(0u16, |acc, &d| acc * 10 + u16::from(d - b'0'));
    if status < 100 {
        return None;
    }
    let reason = match line.get(12) {
        None => &[][..],
        Some(b' ') => line.get(13..)?,
        Some(_) => return None,
    };
    if !reason.iter().all(|&b| is_value_byte(b)) {
        return None;
    }
    Some(Start {
        line: StartLine::Response {
            status,
            reason: lossy(reason.trim_ascii()),
        },
        minor,
    })
}

/// One line of a header (or trailer) block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HeaderLine<'a> {
    Field(&'a [u8], &'a [u8]),
    /// Obsolete line folding: more of the previous field's value.
    Continuation(&'a [u8]),
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_value_byte(b: u8) -> bool {
    b == b'\t' || (b >= 0x20 && b != 0x7f)
}

/// Parse a header line (without its line end); `None` if malformed.
pub(super) fn parse_header_line(line: &[u8]) -> Option<HeaderLine<'_>> {
    if matches!(line.first(), Some(b' ' | b'\t')) {
        let value = line.trim_ascii();
        return value
            .iter()
            .all(|&b| is_value_byte(b))
            .then_some(HeaderLine::Continuation(value));
    }
    let colon = find_byte(line, b':')?;
    let name = line.get(..colon)?;
    if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
        return None;
    }
    let value = line.get(colon + 1..)?.trim_ascii();
    value
        .iter()
        .all(|&b| is_value_byte(b))
        .then_some(HeaderLine::Field(name, value))
}

/// Size from a chunk-size line (`1a;ext=x`), without its line end.
pub(super) fn parse_chunk_size(line: &[u8]) -> Option<u64> {
    let line = line.trim_ascii();
    let digits = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    if digits == 0 || digits > MAX_CHUNK_HEX_DIGITS {
        return None;
    }
    let mut size: u64 = 0;
    for &b in line.get(..digits)? {
        let d = char::from(b).to_digit(16)?;
        size = size.checked_mul(16)?.checked_add(u64::from(d))?;
    }
    let rest = line.get(digits..)?.trim_ascii_start();
    match rest.first() {
        None | Some(b';') if rest.iter().all(|&b| is_value_byte(b)) => Some(size),
        _ => None,
    }
}

/// What the headers say about the body.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Framing {
    pub chunked: bool,
    pub content_length: Option<u64>,
    /// A known compression from `Content-Encoding`.
    pub encoding: Option<&'static str>,
}

fn split_list(value: &str) -> impl DoubleEndedIterator<Item = &str> {
    value.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn content_length(value: &str) -> Option<u64> {
    let mut found = None;
    for part in split_list(value) {
        if part.is_empty() || part.len() > 19 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: u64 = part.parse().ok()?;
        if found.is_some_and(|f| f != n) {
            return None;
        }
        found = Some(n);
    }
    found
}

fn compression(value: &str) -> Option<&'static str> {
    let coding = split_list(value)
        .rev()
        .find(|c| !c.eq_ignore_ascii_case("identity"))?;
    let known: [(&str, &'static str); 7] = [
        ("gzip", "gzip"),
        ("x-gzip", "gzip"),
        ("deflate", "deflate"),
        ("br", "br"),
        ("zstd", "zstd"),
        ("compress", "compress"),
        ("x-compress", "compress"),
    ];
    known
        .iter()
        .find(|(name, _)| coding.eq_ignore_ascii_case(name))
        .map(|&(_, label)| label)
}

/// Read framing from a header list; `None` on conflicting or malformed
/// `Content-Length`.
pub(super) fn framing(headers: &[(String, String)]) -> Option<Framing> {
    let mut f = Framing::default();
    for (name, value) in headers {
        if name.eq_ignore_ascii_case("content-length") {
            let n = content_length(value)?;
            if f.content_length.is_some_and(|old| old != n) {
                return None;
            }
            f.content_length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            f.chunked = split_list(value)
                .next_back()
                .is_some_and(|c| c.eq_ignore_ascii_case("chunked"));
        } else if name.eq_ignore_ascii_case("content-encoding") {
            f.encoding = compression(value);
        }
    }
    Some(f)
}

/// `content_type` column value from a header list, if it has Content-Type:
/// 1 for JSON, 2 for gRPC, 0 otherwise.
pub(super) fn content_type(headers: &[(String, String)]) -> Option<i64> {
    let (_, value) = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))?;
    let lower = value.to_ascii_lowercase();
    Some(if lower.starts_with("application/grpc") {
        2
    } else if lower.contains("json") {
        1
    } else {
        0
    })
}

/// Does `first` look like the start of an HTTP/1.x message?
pub(super) fn classify(first: &[u8]) -> Option<MessageKind> {
    if plausible(first, None, false) != Plausible::Yes {
        return None;
    }
    let line_end = find_byte(first, b'\n');
    let line = match line_end {
        Some(end) => {
            let line = first.get(..end)?;
            line.strip_suffix(b"\r").unwrap_or(line)
        }
        None => first,
    };
    if line_end.is_some() {
        return parse_start_line(line, None).map(|s| s.kind());
    }
    // An incomplete first line: check what is there.
    if let Some(rest) = line.strip_prefix(RESPONSE_PREFIX) {
        let ok = rest.iter().enumerate().take(6).all(|(i, &b)| match i {
            0 => b == b'0' || b == b'1',
            1 | 5 => b == b' ',
            _ => b.is_ascii_digit(),
        });
        return ok.then_some(MessageKind::Response);
    }
    let sp = find_byte(line, b' ')?;
    let target = line.get(sp + 1..)?;
    let ok = target
        .iter()
        .take_while(|&&b| b != b' ')
        .all(|&b| b > b' ' && b != 0x7f)
        && target.first().is_none_or(|&b| b != b' ');
    ok.then_some(MessageKind::Request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_byte_matches_position() {
        let hay: Vec<u8> = (0..40u8).collect();
        for n in 0..42u8 {
            assert_eq!(find_byte(&hay, n), hay.iter().position(|&b| b == n));
        }
        assert_eq!(find_byte(b"", b'\n'), None);
        assert_eq!(find_byte(b"\xff\x80\n", b'\n'), Some(2));
    }

    #[test]
    fn line_scan_resumes() {
        let mut ls = LineScan::default();
        assert_eq!(ls.next(b"GET / HT"), None);
        assert_eq!(ls.scan, 8);
        assert_eq!(ls.next(b"GET / HTTP/1.1\r\nA"), Some((0, 14)));
        assert_eq!(ls.next(b"GET / HTTP/1.1\r\nA\n"), Some((16, 17)));
    }

    #[test]
    fn start_lines() {
        let r = parse_start_line(b"GET /a?b HTTP/1.1", None).unwrap();
        assert_eq!(r.minor, 1);
        assert_eq!(
            r.line,
            StartLine::Request {
                method: "GET".into(),
                target: "/a?b".into()
            }
        );
        let r = parse_start_line(b"HTTP/1.0 404 Not Found", None).unwrap();
        assert_eq!(
            r.line,
            StartLine::Response {
                status: 404,
                reason: "Not Found".into()
            }
        );
        assert!(parse_start_line(b"HTTP/1.1 200", Some(MessageKind::Response)).is_some());
        assert!(parse_start_line(b"HTTP/1.1 200", Some(MessageKind::Request)).is_none());
        assert!(parse_start_line(b"get / HTTP/1.1", None).is_none());
        assert!(parse_start_line(b"GET  HTTP/1.1", None).is_none());
        assert!(parse_start_line(b"GET / HTTP/2.0", None).is_none());
        assert!(parse_start_line(b"HTTP/1.1 20x OK", None).is_none());
        assert!(parse_start_line(b"HTTP/1.1 200OK", None).is_none());
    }

    #[test]
    fn chunk_sizes() {
        assert_eq!(parse_chunk_size(b"1a"), Some(26));
        assert_eq!(parse_chunk_size(b"1A;name=value"), Some(26));
        assert_eq!(parse_chunk_size(b"0 ; x"), Some(0));
        assert_eq!(parse_chunk_size(b""), None);
        assert_eq!(parse_chunk_size(b"zz"), None);
        assert_eq!(parse_chunk_size(b"1 2"), None);
        assert_eq!(parse_chunk_size(b"fffffffffffffffff"), None);
    }

    #[test]
    fn header_lines_and_framing() {
        assert_eq!(
            parse_header_line(b"Content-Length:  12 "),
            Some(HeaderLine::Field(b"Content-Length", b"12"))
        );
        assert_eq!(
            parse_header_line(b" more"),
            Some(HeaderLine::Continuation(b"more"))
        );
        assert_eq!(parse_header_line(b"Bad Name: x"), None);
        assert_eq!(parse_header_line(b"NoColon"), None);
        assert_eq!(parse_header_line(b"X: a\x00b"), None);
        let h = |n: &str, v: &str| (n.to_string(), v.to_string());
        let f = framing(&[h("content-length", "5, 5"), h("Content-Encoding", "gzip")]).unwrap();
        assert_eq!(f.content_length, Some(5));
        assert_eq!(f.encoding, Some("gzip"));
        assert!(framing(&[h("Content-Length", "5"), h("Content-Length", "6")]).is_none());
        assert!(framing(&[h("Content-Length", "-1")]).is_none());
        assert!(
            framing(&[h("Transfer-Encoding", "gzip, Chunked")])
                .unwrap()
                .chunked
        );
        assert_eq!(
            content_type(&[h("Content-Type", "application/JSON; x")]),
            Some(1)
        );
        assert_eq!(
            content_type(&[h("content-type", "application/grpc+proto")]),
            Some(2)
        );
        assert_eq!(content_type(&[h("content-type", "text/html")]), Some(0));
    }

    #[test]
    fn plausibility() {
        assert_eq!(plausible(b"GE", None, false), Plausible::Maybe);
        assert_eq!(plausible(b"GET ", None, false), Plausible::Yes);
        assert_eq!(plausible(b"FOO ", None, false), Plausible::No);
        assert_eq!(plausible(b"FOO ", None, true), Plausible::Yes);
        assert_eq!(
            plausible(b"HTT", Some(MessageKind::Response), false),
            Plausible::Maybe
        );
        assert_eq!(
            plausible(b"HTTP/1.1", Some(MessageKind::Request), true),
            Plausible::No
        );
        assert_eq!(plausible(b"\x16\x03\x01", None, true), Plausible::No);
    }
}
