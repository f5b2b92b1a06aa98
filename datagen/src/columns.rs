//! Column builders, batch assembly against the registry schema, the row
//! clock and small formatting helpers shared by every table.

use crate::rng::Rng;
use crate::traffic::Exchange;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, FixedSizeBinaryArray, Int64Array, StringBuilder, new_null_array,
};
use datafusion::arrow::buffer::Buffer;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use pxl_stdlib::tables::Table;
use std::fmt::Write as _;
use std::sync::Arc;

/// Named columns of one batch, in any order.
pub(crate) type Cols = Vec<(&'static str, ArrayRef)>;

/// Puts `cols` in the order and with the types of `schema` (the registry's
/// schema of the table). A schema column nobody produced becomes all nulls,
/// which the tests catch; a produced column the schema lacks is a bug.
pub(crate) fn assemble(table: &Table, schema: &SchemaRef, mut cols: Cols) -> RecordBatch {
    let rows = cols.first().map_or(0, |(_, a)| a.len());
    let arrays: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| match cols.iter().position(|(n, _)| *n == f.name()) {
            Some(i) => cols.swap_remove(i).1,
            None => new_null_array(f.data_type(), rows),
        })
        .collect();
    assert!(
        cols.is_empty(),
        "datagen produced columns {:?} that {} does not have",
        cols.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
        table.name
    );
    RecordBatch::try_new(schema.clone(), arrays).unwrap_or_else(|e| {
        panic!(
            "datagen built a batch of {} that does not match its schema: {e}",
            table.name
        )
    })
}

pub(crate) fn i64s(v: &mut Vec<i64>) -> ArrayRef {
    Arc::new(Int64Array::from(std::mem::take(v)))
}

pub(crate) fn upids(v: &mut Vec<u8>) -> ArrayRef {
    Arc::new(FixedSizeBinaryArray::new(
        16,
        Buffer::from_vec(std::mem::take(v)),
        None,
    ))
}

/// A string column that can be written piece by piece.
pub(crate) struct Str(StringBuilder);

impl Str {
    pub(crate) fn new(rows: usize, avg_len: usize) -> Self {
        Str(StringBuilder::with_capacity(rows, rows * avg_len))
    }

    /// Appends a whole value.
    #[inline]
    pub(crate) fn push(&mut self, s: &str) {
        self.0.append_value(s);
    }

    /// Appends text to the value being built; [`Str::end`] finishes it.
    #[inline]
    pub(crate) fn part(&mut self, s: &str) {
        let _ = self.0.write_str(s);
    }

    #[inline]
    pub(crate) fn int(&mut self, v: i64) {
        let mut buf = [0u8; 20];
        self.part(itoa(&mut buf, v));
    }

    /// Finishes the value built by [`Str::part`].
    #[inline]
    pub(crate) fn end(&mut self) {
        self.0.append_value("");
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        Arc::new(self.0.finish())
    }
}

impl std::fmt::Write for Str {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.part(s);
        Ok(())
    }
}

/// Decimal text of `v` in `buf`.
pub(crate) fn itoa(buf: &mut [u8; 20], v: i64) -> &str {
    let neg = v < 0;
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if neg {
        // |i64::MIN| has 19 digits, so there is room for the sign.
        i -= 1;
        buf[i] = b'-';
    }
    std::str::from_utf8(&buf[i..]).expect("digits are ASCII")
}

/// 16 hex digits of `v`.
pub(crate) fn hex16(v: u64) -> [u8; 16] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = HEX[((v >> (60 - 4 * i)) & 0xf) as usize];
    }
    out
}

/// Appends 16 hex digits of `v` to `s`.
#[inline]
pub(crate) fn part_hex16(s: &mut Str, v: u64) {
    let h = hex16(v);
    s.part(std::str::from_utf8(&h).expect("hex is ASCII"));
}

/// The eight columns every protocol table starts with ([SOCK8]).
pub(crate) struct SockCols {
    pub time: Vec<i64>,
    upid: Vec<u8>,
    remote_addr: Str,
    remote_port: Vec<i64>,
    local_addr: Str,
    local_port: Vec<i64>,
    trace_role: Vec<i64>,
    encrypted: BooleanBuilder,
}

impl SockCols {
    pub(crate) fn new(rows: usize) -> Self {
        SockCols {
            time: Vec::with_capacity(rows),
            upid: Vec::with_capacity(rows * 16),
            remote_addr: Str::new(rows, 11),
            remote_port: Vec::with_capacity(rows),
            local_addr: Str::new(rows, 11),
            local_port: Vec::with_capacity(rows),
            trace_role: Vec::with_capacity(rows),
            encrypted: BooleanBuilder::with_capacity(rows),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, ex: &Exchange) {
        self.time.push(ex.t);
        self.upid.extend_from_slice(ex.upid);
        self.remote_addr.push(ex.remote_addr);
        self.remote_port.push(ex.remote_port);
        self.local_addr.push(ex.local_addr);
        self.local_port.push(ex.local_port);
        self.trace_role.push(ex.role);
        self.encrypted.append_value(ex.encrypted);
    }

    /// The columns; `encrypted` only when the table has it.
    pub(crate) fn finish(&mut self, table: &Table) -> Cols {
        let mut cols: Cols = vec![
            ("time_", i64s(&mut self.time)),
            ("upid", upids(&mut self.upid)),
            ("remote_addr", self.remote_addr.finish()),
            ("remote_port", i64s(&mut self.remote_port)),
            ("local_addr", self.local_addr.finish()),
            ("local_port", i64s(&mut self.local_port)),
            ("trace_role", i64s(&mut self.trace_role)),
        ];
        let encrypted: ArrayRef = Arc::new(self.encrypted.finish());
        if table.column("encrypted").is_some() {
            cols.push(("encrypted", encrypted));
        }
        cols
    }
}

/// Hands out `n` increasing timestamps spread over `[end - span, end)`.
/// The request rate follows a few slow waves over the span so the data is
/// not flat; the order is always ascending.
pub(crate) struct Clock {
    start: i64,
    end: i64,
    span: f64,
    n: f64,
    i: u64,
    prev: i64,
}

const WAVES: f64 = 3.0;
const WAVE_DEPTH: f64 = 0.35;

impl Clock {
    pub(crate) fn new(end_ns: i64, span_ns: i64, n: usize) -> Self {
        Clock {
            start: end_ns - span_ns,
            end: end_ns,
            span: span_ns as f64,
            n: n.max(1) as f64,
            i: 0,
            prev: end_ns - span_ns,
        }
    }

    #[inline]
    pub(crate) fn next(&mut self, rng: &mut Rng) -> i64 {
        let x = (self.i as f64 + rng.f64()) / self.n;
        self.i += 1;
        let w = std::f64::consts::TAU * WAVES;
        let g = x - WAVE_DEPTH * (w * x).sin() / w;
        let t = (self.start + (g * self.span) as i64).clamp(self.prev, self.end);
        self.prev = t;
        t
    }
}

/// The sample ticks of a periodic table: `keys` samples every `interval`
/// from the start of the span, interval chosen so that the table gets about
/// `target` rows (never more often than every second).
pub(crate) fn interval(target: usize, keys: usize, span_ns: i64) -> i64 {
    let per_key = (target / keys.max(1)).max(1) as i64;
    (span_ns / per_key).max(crate::world::SEC)
}

/// RFC 7231 date (`Tue, 14 Nov 2023 22:13:20 GMT`) of a time in ns,
/// cached per second (rows come in time order).
pub(crate) struct HttpDate {
    sec: i64,
    text: String,
}

impl HttpDate {
    pub(crate) fn new() -> Self {
        HttpDate {
            sec: i64::MIN,
            text: String::new(),
        }
    }

    pub(crate) fn get(&mut self, t_ns: i64) -> &str {
        let sec = t_ns.div_euclid(crate::world::SEC);
        if sec != self.sec {
            self.sec = sec;
            self.text = http_date(sec);
        }
        &self.text
    }
}

fn http_date(sec: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = sec.div_euclid(86_400);
    let rem = sec.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[(days + 4).rem_euclid(7) as usize],
        d,
        MONTHS[(m - 1) as usize],
        y,
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Escapes `s` for use inside a JSON string.
pub(crate) fn json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn itoa_and_dates() {
        let mut b = [0u8; 20];
        assert_eq!(itoa(&mut b, 0), "0");
        assert_eq!(itoa(&mut b, -42), "-42");
        assert_eq!(itoa(&mut b, i64::MIN), "-9223372036854775808");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_700_000_000), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(http_date(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(
            std::str::from_utf8(&hex16(0xab)).unwrap(),
            "00000000000000ab"
        );
    }
}
