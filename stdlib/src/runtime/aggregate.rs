//! Aggregate functions that DataFusion does not have in PxL's form.
//!
//! `count`, `sum`, `mean`, `min`, `max` and `any` are lowered by the planner
//! to DataFusion's own aggregates (all of which have mergeable state for
//! partial/final aggregation). `quantiles` is here: a t-digest, shipped in
//! a compact binary state ([`encode_digest`]) and finalised into Pixie's
//! JSON summary.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::utils::format_state_name;
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, TypeSignature, Volatility,
};
use datafusion_functions_aggregate_common::tdigest::{Centroid, TDigest};
use std::sync::Arc;

/// The quantiles of Pixie's summary, with their JSON keys.
pub const SUMMARY: [(&str, f64); 7] = [
    ("p01", 0.01),
    ("p10", 0.10),
    ("p25", 0.25),
    ("p50", 0.50),
    ("p75", 0.75),
    ("p90", 0.90),
    ("p99", 0.99),
];

const MAX_CENTROIDS: usize = 100;

/// `quantiles(x)` (the JSON summary) or, with `single`, `quantile(x, q)`
/// (one quantile as FLOAT64, what `px.quantiles(q)` lowers to). Both use
/// the same digest, updated and merged the same way, so that
/// `px.quantiles(0.5)` equals the summary's `p50` exactly, on one node or
/// many.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Quantiles {
    signature: Signature,
    single: bool,
}

impl Quantiles {
    fn new(single: bool) -> Self {
        let arg = |t: DataType| {
            if single {
                TypeSignature::Exact(vec![t, DataType::Float64])
            } else {
                TypeSignature::Exact(vec![t])
            }
        };
        Quantiles {
            signature: Signature::one_of(
                vec![arg(DataType::Int64), arg(DataType::Float64)],
                Volatility::Immutable,
            ),
            single,
        }
    }

    /// `quantile(x, q)`'s q (a literal in [0, 1]); None for the summary.
    fn at(&self, args: &AccumulatorArgs) -> Result<Option<f64>> {
        if !self.single {
            return Ok(None);
        }
        let q = args
            .exprs
            .get(1)
            .and_then(|e| e.downcast_ref::<datafusion::physical_expr::expressions::Literal>())
            .and_then(|l| match l.value() {
                ScalarValue::Float64(Some(q)) => Some(*q),
                _ => None,
            });
        match q {
            Some(q) if (0.0..=1.0).contains(&q) => Ok(Some(q)),
            _ => exec_err!("quantile: the quantile must be a number in [0, 1]"),
        }
    }
}

/// `quantiles` as a DataFusion aggregate.
pub fn quantiles_udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(Quantiles::new(false))
}

/// `quantile(x, q)` as a DataFusion aggregate; `q` must be a literal in
/// [0, 1].
pub fn quantile_udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(Quantiles::new(true))
}

impl AggregateUDFImpl for Quantiles {
    fn name(&self) -> &str {
        if self.single { "quantile" } else { "quantiles" }
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(if self.single {
            DataType::Float64
        } else {
            DataType::Utf8
        })
    }
    fn accumulator(&self, args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(QuantilesAccumulator {
            digest: TDigest::new(MAX_CENTROIDS),
            at: self.at(&args)?,
        }))
    }
    fn groups_accumulator_supported(&self, _args: AccumulatorArgs) -> bool {
        true
    }
    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs,
    ) -> Result<Box<dyn datafusion::logical_expr::GroupsAccumulator>> {
        Ok(Box::new(QuantilesGroups {
            at: self.at(&args)?,
            digests: Vec::new(),
            pending: Vec::new(),
            pending_total: 0,
            pending_limit: PENDING_LIMIT,
            histogram_of: Vec::new(),
            histograms: Vec::new(),
            free_histograms: Vec::new(),
            histogram_bytes: 0,
            scratch: Default::default(),
        }))
    }
    fn state_fields(&self, args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            format_state_name(args.name, "digest"),
            DataType::Binary,
            false,
        ))])
    }
}

#[derive(Debug)]
struct QuantilesAccumulator {
    digest: TDigest,
    /// `quantile(x, q)`: only this quantile, as FLOAT64.
    at: Option<f64>,
}

/// Significant bits kept of a centroid mean (f32 has 24).
const MEAN_BITS: u32 = 12;
/// Low bits of a mean's f32 order key that are not shipped.
const MEAN_SHIFT: u32 = 24 - MEAN_BITS;
/// Width of a shipped mean key.
const KEY_BITS: u32 = 32 - MEAN_SHIFT;
/// Significant bits of a shipped weight step (see [`weight_code`]).
const WEIGHT_BITS: u32 = 7;
/// Version byte of [`encode_digest`]'s format.
const DIGEST_FORMAT: u8 = 2;
/// Flag: every centroid weight is a whole number.
const WHOLE_WEIGHTS: u8 = 1;

/// The digest as partial aggregation ships it between nodes. It is most
/// of what a PEM sends for a group-by with quantiles (DataFusion's own
/// state is six columns with a list of f64 pairs, about 1.6 KB for a full
/// digest; this is about 245 bytes).
///
/// - bytes: the format, flags, varint `max_size` and centroid count, and
///   for a non-empty digest min and max as f64 (exact), the count (a
///   varint when weights are whole, else f64) and the two Exp-Golomb
///   orders of the bit stream that follows;
/// - centroid means rounded to 12 significant bits (within 1 part in
///   8,192; exact for zero and whole numbers up to 4,096), as
///   order-preserving keys: the first in full, then the differences to the
///   previous one (means are sorted), Exp-Golomb coded with the order that
///   makes the digest smallest;
/// - whole weights as their running total rounded down to 7 significant
///   bits of each step (the error at each centroid boundary stays below
///   1/64 of a centroid's weight and never accumulates; weights under 128
///   are exact; the last weight is whatever makes the total the exact
///   count), coded as differences of consecutive codes. Other weights are
///   raw f64.
///
/// The digest places a quantile's rank to within half a centroid's weight
/// and interpolates between means, so both roundings together move an
/// estimate by at most 0.2% (0.13% measured at p99.9, against the digest's
/// own error of 0.1-6% there; see the tests), while a digest of 100
/// centroids takes about 245 bytes instead of 420 for varints of the
/// exact values. Re-encoding a decoded digest gives the same
/// bytes. `sum` is not shipped: estimates never read it, and merging
/// recomputes it from the centroids.
pub fn encode_digest(d: &TDigest) -> Vec<u8> {
    let centroids = d.centroids();
    let whole = centroids
        .iter()
        .all(|c| c.weight().fract() == 0.0 && c.weight() >= 1.0 && c.weight() < 2f64.powi(53));
    let mut out = Vec::with_capacity(48 + centroids.len() * 3);
    out.push(DIGEST_FORMAT);
    out.push(if whole { WHOLE_WEIGHTS } else { 0 });
    put_varint(&mut out, d.max_size() as u64);
    put_varint(&mut out, centroids.len() as u64);
    if centroids.is_empty() {
        return out;
    }
    out.extend_from_slice(&d.min().to_le_bytes());
    out.extend_from_slice(&d.max().to_le_bytes());
    // Rounded to nearest in key space: monotone, so keys stay sorted (the
    // running max only guards NaN payloads, whose order f32 may not keep).
    let mut keys: Vec<u32> = Vec::with_capacity(centroids.len());
    for c in centroids {
        let key = f32_key(c.mean() as f32).saturating_add(1 << (MEAN_SHIFT - 1)) >> MEAN_SHIFT;
        keys.push(key.max(keys.last().copied().unwrap_or(0)));
    }
    let mean_deltas: Vec<u64> = keys.windows(2).map(|w| u64::from(w[1] - w[0])).collect();
    let weight_deltas: Vec<u64> = if whole {
        let total: u64 = centroids.iter().map(|c| c.weight() as u64).sum();
        put_varint(&mut out, total);
        // Codes of all weights but the last (implied by the count).
        let (mut exact, mut shipped, mut prev) = (0u64, 0u64, 0i64);
        let mut deltas = Vec::with_capacity(centroids.len());
        for c in &centroids[..centroids.len() - 1] {
            exact += c.weight() as u64;
            // Rounded down, so the shipped total never passes the exact
            // one and the last weight stays at least its exact value.
            let code = weight_code(exact - shipped);
            shipped += weight_from_code(code).unwrap_or(0);
            deltas.push(zigzag(i64::from(code) - prev));
            prev = i64::from(code);
        }
        deltas
    } else {
        out.extend_from_slice(&d.count().to_le_bytes());
        Vec::new()
    };
    let (k_mean, k_weight) = (best_order(&mean_deltas), best_order(&weight_deltas));
    out.push(k_mean);
    out.push(k_weight);
    let mut bits = BitWriter::new(out);
    bits.put(u64::from(keys[0]), KEY_BITS);
    for &d in &mean_deltas {
        bits.exp_golomb(d, k_mean);
    }
    if whole {
        for &d in &weight_deltas {
            bits.exp_golomb(d, k_weight);
        }
    } else {
        for c in centroids {
            bits.put(c.weight().to_bits(), 64);
        }
    }
    bits.finish()
}

/// Reads [`encode_digest`]'s format; malformed bytes (state can come from
/// another node) are an error naming what is wrong, never a panic.
pub fn decode_digest(bytes: &[u8]) -> std::result::Result<TDigest, String> {
    let mut r = Reader { bytes, at: 0 };
    let format = r.byte()?;
    if format != DIGEST_FORMAT {
        return Err(format!("unknown digest format {format}"));
    }
    let flags = r.byte()?;
    if flags & !WHOLE_WEIGHTS != 0 {
        return Err(format!("unknown digest flags {flags:#x}"));
    }
    let whole = flags & WHOLE_WEIGHTS != 0;
    let max_size = usize::try_from(r.varint()?).map_err(|_| "max_size out of range")?;
    let n = usize::try_from(r.varint()?).map_err(|_| "centroid count out of range")?;
    if n == 0 {
        if r.at != bytes.len() {
            return Err(format!("{} bytes after the digest", bytes.len() - r.at));
        }
        return Ok(TDigest::new(max_size));
    }
    let (min, max) = (r.f64()?, r.f64()?);
    let count = if whole {
        let c = r.varint()?;
        if c >= 1 << 53 {
            return Err(format!("count {c} out of range"));
        }
        c as f64
    } else {
        r.f64()?
    };
    let (k_mean, k_weight) = (r.byte()?, r.byte()?);
    let mut bits = BitReader::new(&bytes[r.at..]);
    // Every centroid after the first takes at least two bits: a count
    // that promises more than the bytes hold is corrupt (and must not
    // size an allocation).
    if n - 1 > bits.remaining() / 2 {
        return Err(format!("{n} centroids cannot fit in {} bytes", bytes.len()));
    }
    let mut key = bits.get(KEY_BITS)?;
    let mut means = Vec::with_capacity(n);
    means.push(mean_from_key(key as u32));
    for _ in 1..n {
        key = key
            .checked_add(bits.exp_golomb(k_mean)?)
            .filter(|k| *k < 1 << KEY_BITS)
            .ok_or("mean out of range")?;
        means.push(mean_from_key(key as u32));
    }
    let mut weights = Vec::with_capacity(n);
    if whole {
        let (mut code, mut total) = (0i64, 0u64);
        for _ in 1..n {
            code = code
                .checked_add(unzigzag(bits.exp_golomb(k_weight)?))
                .ok_or("weight out of range")?;
            let w = u32::try_from(code)
                .ok()
                .and_then(weight_from_code)
                .filter(|w| *w >= 1)
                .ok_or_else(|| format!("weight code {code} out of range"))?;
            total = total.checked_add(w).ok_or("weights overflow")?;
            weights.push(w as f64);
        }
        let last = (count as u64)
            .checked_sub(total)
            .filter(|w| *w >= 1)
            .ok_or("weights add up to more than the count")?;
        weights.push(last as f64);
    } else {
        for _ in 0..n {
            weights.push(f64::from_bits(bits.get(64)?));
        }
    }
    bits.end()?;
    let sum = means.iter().zip(&weights).map(|(m, w)| m * w).sum();
    let centroids = means
        .into_iter()
        .zip(weights)
        .map(|(m, w)| Centroid::new(m, w))
        .collect();
    TDigest::try_from_parts(max_size, sum, count, max, min, centroids).map_err(|e| e.to_string())
}

fn mean_from_key(key: u32) -> f64 {
    f64::from(f32_from_key(key << MEAN_SHIFT))
}

/// A whole weight as a code of [`WEIGHT_BITS`] significant bits, rounded
/// down: `v` itself below 128, else `64·e + m` for `m·2^e` with `m` in
/// 64..128 (monotone, so codes of similar weights are close).
fn weight_code(v: u64) -> u32 {
    let top = 1u64 << WEIGHT_BITS;
    if v < top {
        return v as u32;
    }
    let e = (63 - v.leading_zeros()) - (WEIGHT_BITS - 1);
    let m = (v >> e) as u32;
    (e << (WEIGHT_BITS - 1)) + m
}

fn weight_from_code(code: u32) -> Option<u64> {
    let half = 1u32 << (WEIGHT_BITS - 1);
    if code < 2 * half {
        return Some(u64::from(code));
    }
    let (e, m) = (code / half - 1, code % half + half);
    u64::from(m)
        .checked_shl(e)
        .filter(|v| v >> e == u64::from(m))
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// The Exp-Golomb order that codes `values` in the fewest bits. The best
/// order is near the log of the mean, so only orders around it are tried
/// (this runs for every group's state).
fn best_order(values: &[u64]) -> u8 {
    if values.is_empty() {
        return 0;
    }
    let mean = values.iter().map(|&v| u128::from(v)).sum::<u128>() / values.len() as u128;
    let around = (128 - mean.leading_zeros()).saturating_sub(1).min(40) as u8;
    (around.saturating_sub(3)..=(around + 1).min(40))
        .min_by_key(|&k| {
            values
                .iter()
                .map(|&v| 2 * u64::from(63 - ((v >> k) + 1).leading_zeros()) + 1 + u64::from(k))
                .sum::<u64>()
        })
        .unwrap_or(0)
}

/// Bits appended least significant first.
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl BitWriter {
    fn new(out: Vec<u8>) -> Self {
        BitWriter { out, acc: 0, n: 0 }
    }

    /// The low `width` (≤ 64) bits of `v`.
    fn put(&mut self, v: u64, width: u32) {
        for i in 0..width {
            self.acc |= ((v >> i) & 1) << self.n;
            self.n += 1;
            if self.n == 8 {
                self.out.push(self.acc as u8);
                self.acc = 0;
                self.n = 0;
            }
        }
    }

    /// Exp-Golomb of order `k`: `(v >> k) + 1` in Elias gamma (its length
    /// in unary, then its bits below the top one), then `v`'s low `k` bits.
    fn exp_golomb(&mut self, v: u64, k: u8) {
        let k = u32::from(k);
        let x = (v >> k) + 1;
        let len = 63 - x.leading_zeros();
        self.put(0, len);
        self.put(1, 1);
        self.put(x, len);
        self.put(v, k);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

struct BitReader<'a> {
    bytes: &'a [u8],
    /// Bits read so far.
    at: usize,
}

impl<'a> BitReader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, at: 0 }
    }

    fn remaining(&self) -> usize {
        self.bytes.len() * 8 - self.at
    }

    fn get(&mut self, width: u32) -> std::result::Result<u64, String> {
        if (width as usize) > self.remaining() {
            return Err(format!("digest ends at byte {}", self.bytes.len()));
        }
        let mut v = 0u64;
        for i in 0..width {
            let bit = (self.bytes[self.at / 8] >> (self.at % 8)) & 1;
            v |= u64::from(bit) << i;
            self.at += 1;
        }
        Ok(v)
    }

    fn exp_golomb(&mut self, k: u8) -> std::result::Result<u64, String> {
        let mut len = 0u32;
        while self.get(1)? == 0 {
            len += 1;
            if len > 63 {
                return Err("Exp-Golomb code longer than 64 bits".into());
            }
        }
        let x = (1u64 << len) | self.get(len)?;
        let k = u32::from(k);
        if k > 63 {
            return Err(format!("Exp-Golomb order {k} out of range"));
        }
        let high = (x - 1)
            .checked_shl(k)
            .filter(|h| h >> k == x - 1)
            .ok_or("Exp-Golomb value out of range")?;
        Ok(high | self.get(k)?)
    }

    /// The stream must end here, but for the last byte's padding.
    fn end(&self) -> std::result::Result<(), String> {
        let padding = self.remaining();
        if padding >= 8 {
            return Err(format!("{} bytes after the digest", padding / 8));
        }
        if padding > 0 && self.bytes[self.bytes.len() - 1] >> (8 - padding) != 0 {
            return Err("non-zero padding after the digest".into());
        }
        Ok(())
    }
}

/// f32 bits mapped so that unsigned order is numeric order.
fn f32_key(v: f32) -> u32 {
    let bits = v.to_bits();
    if bits & 0x8000_0000 != 0 {
        !bits
    } else {
        bits | 0x8000_0000
    }
}

fn f32_from_key(key: u32) -> f32 {
    f32::from_bits(if key & 0x8000_0000 != 0 {
        key & 0x7fff_ffff
    } else {
        !key
    })
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> std::result::Result<u8, String> {
        let b = *self
            .bytes
            .get(self.at)
            .ok_or_else(|| format!("digest ends at byte {}", self.at))?;
        self.at += 1;
        Ok(b)
    }

    fn varint(&mut self) -> std::result::Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(format!("varint longer than 10 bytes at byte {}", self.at))
    }

    fn f64(&mut self) -> std::result::Result<f64, String> {
        let end = self.at + 8;
        let b = self
            .bytes
            .get(self.at..end)
            .ok_or_else(|| format!("digest ends at byte {}", self.bytes.len()))?;
        self.at = end;
        Ok(f64::from_le_bytes(b.try_into().map_err(|_| "short f64")?))
    }
}

impl Accumulator for QuantilesAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        // Only the first argument is data; `quantile`'s second is q.
        let v = cast(&values[0], &DataType::Float64)?;
        let mut keys: Vec<u64> = v
            .as_primitive::<Float64Type>()
            .iter()
            .flatten()
            .map(order_key)
            .collect();
        let (mut scratch, mut sorted) = (Vec::new(), Vec::new());
        sorted_run(&mut keys, &mut scratch, &mut sorted);
        self.digest = self.digest.merge_sorted_f64(&sorted);
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(finish(&self.digest, self.at))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.digest.size() - size_of_val(&self.digest)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Binary(Some(encode_digest(&self.digest)))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let mut digests = decode_states(states)?;
        digests.push(std::mem::replace(
            &mut self.digest,
            TDigest::new(MAX_CENTROIDS),
        ));
        self.digest = TDigest::merge_digests(&digests);
        Ok(())
    }
}

/// A digest's result: the one quantile as FLOAT64 (null for no values),
/// or Pixie's JSON summary (empty for no values).
fn finish(digest: &TDigest, at: Option<f64>) -> ScalarValue {
    if let Some(q) = at {
        return ScalarValue::Float64((digest.count() > 0.0).then(|| digest.estimate_quantile(q)));
    }
    if digest.count() == 0.0 {
        return ScalarValue::Utf8(Some(String::new()));
    }
    let mut m = serde_json::Map::new();
    for (key, q) in SUMMARY {
        let v = digest.estimate_quantile(q);
        m.insert(
            key.into(),
            serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into),
        );
    }
    ScalarValue::Utf8(Some(serde_json::Value::Object(m).to_string()))
}

/// The digests of a column of [`encode_digest`] states.
fn decode_states(states: &[ArrayRef]) -> Result<Vec<TDigest>> {
    let Some(first) = states.first() else {
        return Ok(Vec::new());
    };
    let Some(states) = first.as_binary_opt::<i32>() else {
        return exec_err!("quantiles state is {}, not Binary", first.data_type());
    };
    let mut digests = Vec::with_capacity(states.len() + 1);
    for row in 0..states.len() {
        if states.is_null(row) {
            return exec_err!("malformed quantiles state in row {row}: null");
        }
        match decode_digest(states.value(row)) {
            Ok(d) => digests.push(d),
            Err(e) => return exec_err!("malformed quantiles state in row {row}: {e}"),
        }
    }
    Ok(digests)
}

/// Values a group buffers before they are sorted into its digest: merging
/// a sorted run costs about the digest's size plus the run's, so longer
/// runs cost less per value.
const GROUP_RUN: usize = 4096;
/// Values all groups together may buffer (8 MiB) beyond the short runs
/// before the long runs are merged into their digests, so that many
/// groups do not hold many long buffers.
const PENDING_LIMIT: usize = 1 << 20;
/// A run this short stays buffered when the buffers are over their limit:
/// it takes no more memory than the digest it would be merged into (a
/// digest holds up to [`MAX_CENTROIDS`] centroids of two f64 each), and
/// merging many short runs again and again is what made a grouping by a
/// column with tens of thousands of values (request paths) slow: every
/// merge walks the whole digest for a handful of values.
const SHORT_RUN: usize = 2 * MAX_CENTROIDS;

/// Order-key bits a [`Histogram`] bucket keeps: the sign, the exponent and
/// the top 7 bits of the mantissa, so 128 buckets per power of two, each
/// at most 1/128 of its values wide.
const BUCKET_SHIFT: u32 = 64 - 1 - 11 - 7;
/// Most buckets one group's histogram spans (512 powers of two, 256 KiB);
/// a value further out is kept exactly instead.
const MAX_BUCKETS: usize = 1 << 16;

/// No histogram: see [`QuantilesGroups::histogram_of`].
const NO_HISTOGRAM: u32 = u32::MAX;

/// The values of a group with more than [`GROUP_RUN`] of them, counted in
/// log-linear buckets (128 per power of two) instead of being sorted:
/// counting is a few nanoseconds a value, sorting them for the digest was
/// most of a grouped quantile's time. At the end the buckets become the
/// digest's input, each as one centroid at its midpoint, so a quantile is
/// off by at most half a bucket (0.4%) beyond the digest's own error; the
/// exact minimum and maximum are kept.
#[derive(Debug, Clone)]
struct Histogram {
    /// Bucket number (order key >> [`BUCKET_SHIFT`]) of `counts[0]`.
    first: u32,
    counts: Vec<u32>,
    min: f64,
    max: f64,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            first: 0,
            counts: Vec::new(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Counts finite `v`, whose order key is `key`, adding what the
    /// buckets grow by to `bytes`; false (nothing counted) when its bucket
    /// is too far from the others.
    #[inline]
    fn add(&mut self, key: u64, v: f64, bytes: &mut usize) -> bool {
        let bucket = (key >> BUCKET_SHIFT) as u32;
        let i = bucket.wrapping_sub(self.first) as usize;
        if i >= self.counts.len() {
            let before = self.bytes();
            if !self.reach(bucket) {
                return false;
            }
            *bytes += self.bytes() - before;
        }
        let count = &mut self.counts[bucket.wrapping_sub(self.first) as usize];
        if *count == u32::MAX {
            return false;
        }
        *count += 1;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
        true
    }

    /// Widens the buckets to include `bucket`, with a power of two to
    /// spare on the side it grows; false when that would pass
    /// [`MAX_BUCKETS`].
    #[cold]
    fn reach(&mut self, bucket: u32) -> bool {
        const SPARE: u32 = 128;
        if self.counts.is_empty() {
            let first = bucket.saturating_sub(SPARE / 2);
            let last = bucket.saturating_add(SPARE / 2);
            self.first = first;
            self.counts = vec![0; (last - first) as usize + 1];
            return true;
        }
        // Bucket numbers have 19 bits, so none of this overflows.
        let (lo, hi) = (
            bucket.min(self.first),
            bucket.max(self.first + (self.counts.len() as u32 - 1)),
        );
        let most = MAX_BUCKETS as u32 - 1;
        if hi - lo > most {
            return false;
        }
        let (first, last) = if bucket < self.first {
            (lo.saturating_sub(SPARE).max(hi.saturating_sub(most)), hi)
        } else {
            (lo, (hi + SPARE).min(lo + most))
        };
        self.widen(first, (last - first) as usize + 1);
        true
    }

    /// Moves the buckets into a window of `span` starting at bucket
    /// `first` (at or below the current first).
    fn widen(&mut self, first: u32, span: usize) {
        let mut counts = vec![0; span];
        let at = (self.first - first) as usize;
        counts[at..at + self.counts.len()].copy_from_slice(&self.counts);
        self.counts = counts;
        self.first = first;
    }

    fn bytes(&self) -> usize {
        self.counts.capacity() * size_of::<u32>()
    }

    /// The counted values as a digest: one centroid per bucket, at its
    /// midpoint (kept within the exact minimum and maximum).
    fn digest(&self) -> Result<TDigest> {
        let mask = (1u64 << BUCKET_SHIFT) - 1;
        let (mut sum, mut count) = (0.0, 0.0);
        let mut centroids = Vec::new();
        for (i, &n) in self.counts.iter().enumerate() {
            if n == 0 {
                continue;
            }
            let key = u64::from(self.first + i as u32) << BUCKET_SHIFT;
            let (lo, hi) = (from_order_key(key), from_order_key(key | mask));
            let mid = (lo / 2.0 + hi / 2.0).clamp(self.min, self.max);
            let w = n as f64;
            sum += mid * w;
            count += w;
            centroids.push(Centroid::new(mid, w));
        }
        TDigest::try_from_parts(MAX_CENTROIDS, sum, count, self.max, self.min, centroids)
    }
}

/// `quantiles` for a group-by: every group's digest, fed from a buffer of
/// the group's values that is sorted and merged in runs, and for a group
/// past [`GROUP_RUN`] values from a [`Histogram`]. (DataFusion's generic
/// adapter instead copies each group's rows out of every batch and sorts
/// them separately, which was most of a grouped quantile's time.)
#[derive(Debug)]
struct QuantilesGroups {
    at: Option<f64>,
    digests: Vec<TDigest>,
    /// Each group's buffered values as [`order_key`]s.
    pending: Vec<Vec<u64>>,
    /// Each group's index in `histograms`, or [`NO_HISTOGRAM`]: a small
    /// index per group, and the few histograms together, keep the lookup
    /// every value makes in cache.
    histogram_of: Vec<u32>,
    histograms: Vec<Histogram>,
    /// Slots of `histograms` whose group has been emitted.
    free_histograms: Vec<u32>,
    histogram_bytes: usize,
    pending_total: usize,
    /// `pending_total` above which the long runs are merged:
    /// [`PENDING_LIMIT`] beyond what the short runs held at the last merge.
    pending_limit: usize,
    /// Reused by [`Self::flush`].
    scratch: (Vec<u64>, Vec<f64>),
}

impl QuantilesGroups {
    fn grow(&mut self, groups: usize) {
        if self.digests.len() < groups {
            self.digests.resize(groups, TDigest::new(MAX_CENTROIDS));
            self.pending.resize_with(groups, Vec::new);
            self.histogram_of.resize(groups, NO_HISTOGRAM);
        }
    }

    /// One value of `group`: into its histogram when it has one that takes
    /// the value, else into its buffer.
    #[inline(always)]
    fn add(&mut self, group: usize, value: f64) {
        let key = order_key(value);
        let slot = self.histogram_of[group];
        if slot != NO_HISTOGRAM
            && value.is_finite()
            && self.histograms[slot as usize].add(key, value, &mut self.histogram_bytes)
        {
            return;
        }
        let run = &mut self.pending[group];
        run.push(key);
        self.pending_total += 1;
        if run.len() >= GROUP_RUN {
            self.overflow(group);
        }
    }

    /// A group's buffer is full: its values go to its histogram (made now
    /// if it has none); what the histogram cannot take (values that are
    /// not finite or too far out) is sorted into the digest.
    fn overflow(&mut self, group: usize) {
        if self.histogram_of[group] == NO_HISTOGRAM {
            self.histogram_of[group] = match self.free_histograms.pop() {
                Some(slot) => slot,
                None => {
                    self.histograms.push(Histogram::new());
                    (self.histograms.len() - 1) as u32
                }
            };
        }
        let h = &mut self.histograms[self.histogram_of[group] as usize];
        let bytes = &mut self.histogram_bytes;
        let run = &mut self.pending[group];
        let n = run.len();
        run.retain(|&key| {
            let v = from_order_key(key);
            !(v.is_finite() && h.add(key, v, bytes))
        });
        self.pending_total -= n - run.len();
        if run.len() >= GROUP_RUN / 2 {
            self.flush(group);
        }
    }

    /// Merges a group's buffer and histogram into its digest.
    fn complete(&mut self, group: usize) -> Result<()> {
        self.flush(group);
        let slot = self.histogram_of[group];
        if slot != NO_HISTOGRAM {
            self.histogram_of[group] = NO_HISTOGRAM;
            self.free_histograms.push(slot);
            let h = std::mem::replace(&mut self.histograms[slot as usize], Histogram::new());
            self.histogram_bytes -= h.bytes();
            let counted = h.digest()?;
            self.digests[group] = TDigest::merge_digests([&self.digests[group], &counted]);
        }
        Ok(())
    }

    fn flush(&mut self, group: usize) {
        let run = &mut self.pending[group];
        if run.is_empty() {
            return;
        }
        let (keys, values) = &mut self.scratch;
        sorted_run(run, keys, values);
        self.digests[group] = self.digests[group].merge_sorted_f64(values);
        self.pending_total -= run.len();
        run.clear();
    }

    /// Merges every run longer than [`SHORT_RUN`] and frees its buffer.
    fn flush_long(&mut self) {
        for g in 0..self.pending.len() {
            if self.pending[g].len() > SHORT_RUN {
                self.flush(g);
                self.pending[g] = Vec::new();
            }
        }
        self.pending_limit = self.pending_total + PENDING_LIMIT;
    }

    /// Takes the digests of the groups `emit_to` names, complete.
    fn take(&mut self, emit_to: datafusion::logical_expr::EmitTo) -> Result<Vec<TDigest>> {
        let n = match emit_to {
            datafusion::logical_expr::EmitTo::All => self.digests.len(),
            datafusion::logical_expr::EmitTo::First(n) => n.min(self.digests.len()),
        };
        for g in 0..n {
            self.complete(g)?;
        }
        let _ = emit_to.take_needed(&mut self.pending);
        let _ = emit_to.take_needed(&mut self.histogram_of);
        Ok(emit_to.take_needed(&mut self.digests))
    }
}

/// f64 bits mapped so that unsigned order is `f64::total_cmp`'s order.
fn order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

fn from_order_key(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

/// `keys` sorted (reusing `scratch`), as the values `merge_sorted_f64`
/// takes, in `out`.
fn sorted_run(keys: &mut Vec<u64>, scratch: &mut Vec<u64>, out: &mut Vec<f64>) {
    radix_sort(keys, scratch);
    out.clear();
    out.extend(keys.iter().map(|&k| from_order_key(k)));
}

/// Sorts `keys`: least-significant-digit radix sort on bytes, skipping
/// the bytes all keys share (latencies in ns share their sign, most of
/// their exponent and their low mantissa bytes). Several times faster
/// than a comparison sort of f64, which was a third of a grouped
/// quantile's time.
fn radix_sort(keys: &mut Vec<u64>, scratch: &mut Vec<u64>) {
    let n = keys.len();
    if n < 64 {
        keys.sort_unstable();
        return;
    }
    let mut counts = [[0u32; 256]; 8];
    for &k in keys.iter() {
        for (d, c) in counts.iter_mut().enumerate() {
            c[((k >> (8 * d)) & 0xff) as usize] += 1;
        }
    }
    scratch.clear();
    scratch.resize(n, 0);
    for (d, c) in counts.iter_mut().enumerate() {
        if c.iter().any(|&x| x as usize == n) {
            continue;
        }
        let mut start = 0;
        for x in c.iter_mut() {
            let count = *x;
            *x = start;
            start += count;
        }
        for &k in keys.iter() {
            let b = ((k >> (8 * d)) & 0xff) as usize;
            scratch[c[b] as usize] = k;
            c[b] += 1;
        }
        std::mem::swap(keys, scratch);
    }
}

impl datafusion::logical_expr::GroupsAccumulator for QuantilesGroups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&datafusion::arrow::array::BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        let v = cast(&values[0], &DataType::Float64)?;
        let v = v.as_primitive::<Float64Type>();
        // The rows to take: not null, and passed by the filter (a null
        // filter value passes nothing), as one bitmap; none when all are.
        let mut keep = v.nulls().map(|n| n.inner().clone());
        if let Some(f) = opt_filter {
            let passed = match f.nulls() {
                Some(n) => f.values() & n.inner(),
                None => f.values().clone(),
            };
            keep = Some(match keep {
                Some(k) => &k & &passed,
                None => passed,
            });
        }
        let values = v.values();
        match keep {
            None => {
                for (&g, &value) in group_indices.iter().zip(values.iter()) {
                    self.add(g, value);
                }
            }
            Some(keep) => {
                for row in keep.set_indices() {
                    self.add(group_indices[row], values[row]);
                }
            }
        }
        if self.pending_total > self.pending_limit {
            self.flush_long();
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: datafusion::logical_expr::EmitTo) -> Result<ArrayRef> {
        let results: Vec<ScalarValue> = self
            .take(emit_to)?
            .iter()
            .map(|d| finish(d, self.at))
            .collect();
        if results.is_empty() {
            return Ok(datafusion::arrow::array::new_empty_array(
                &if self.at.is_some() {
                    DataType::Float64
                } else {
                    DataType::Utf8
                },
            ));
        }
        ScalarValue::iter_to_array(results)
    }

    fn state(&mut self, emit_to: datafusion::logical_expr::EmitTo) -> Result<Vec<ArrayRef>> {
        let states: datafusion::arrow::array::BinaryArray = self
            .take(emit_to)?
            .iter()
            .map(|d| Some(encode_digest(d)))
            .collect();
        Ok(vec![Arc::new(states)])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.grow(total_num_groups);
        let decoded = decode_states(values)?;
        let mut incoming: std::collections::BTreeMap<usize, Vec<TDigest>> = Default::default();
        for (d, &g) in decoded.into_iter().zip(group_indices) {
            incoming.entry(g).or_default().push(d);
        }
        for (g, mut ds) in incoming {
            ds.push(std::mem::replace(
                &mut self.digests[g],
                TDigest::new(MAX_CENTROIDS),
            ));
            self.digests[g] = TDigest::merge_digests(&ds);
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&datafusion::arrow::array::BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        // Each row its own group: a digest of its one value (or none).
        let v = cast(&values[0], &DataType::Float64)?;
        let v = v.as_primitive::<Float64Type>();
        let states: datafusion::arrow::array::BinaryArray = (0..v.len())
            .map(|row| {
                let keep =
                    !v.is_null(row) && opt_filter.is_none_or(|f| f.is_valid(row) && f.value(row));
                let d = if keep {
                    TDigest::new(MAX_CENTROIDS).merge_sorted_f64(&[v.value(row)])
                } else {
                    TDigest::new(MAX_CENTROIDS)
                };
                Some(encode_digest(&d))
            })
            .collect();
        Ok(vec![Arc::new(states)])
    }

    fn size(&self) -> usize {
        size_of_val(self)
            + self.digests.capacity() * (size_of::<TDigest>() + MAX_CENTROIDS * 16)
            + self.pending.capacity() * size_of::<Vec<u64>>()
            + self.pending_total * size_of::<u64>()
            + self.histogram_of.capacity() * size_of::<u32>()
            + self.histograms.capacity() * size_of::<Histogram>()
            + self.histogram_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(values: &[f64]) -> TDigest {
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        TDigest::new(MAX_CENTROIDS).merge_sorted_f64(&sorted)
    }

    /// Lognormal latencies in ns (median 5 ms), digested the way a PEM
    /// does: sorted batches of 840 rows into two partitions' digests, then
    /// merged.
    fn pem_digest(rows: usize, seed: u64) -> TDigest {
        let mut s = seed | 1;
        let mut uniform = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut parts = [TDigest::new(MAX_CENTROIDS), TDigest::new(MAX_CENTROIDS)];
        for (b, start) in (0..rows).step_by(840).enumerate() {
            let mut v: Vec<f64> = (start..rows.min(start + 840))
                .map(|_| {
                    let (u1, u2) = (uniform().max(1e-12), uniform());
                    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                    (5e6 * (0.8 * z).exp()).max(20_000.0).round()
                })
                .collect();
            v.sort_by(f64::total_cmp);
            parts[b % 2] = parts[b % 2].merge_sorted_f64(&v);
        }
        TDigest::merge_digests(&parts)
    }

    /// Checks a decoded digest against the original: exact count, min,
    /// max and centroid count; means within 12 significant bits; running
    /// weight totals within 1/64 of a centroid's weight.
    fn assert_close(back: &TDigest, d: &TDigest) {
        assert_eq!(back.max_size(), d.max_size());
        assert_eq!(
            (back.count(), back.min(), back.max()),
            (d.count(), d.min(), d.max())
        );
        assert_eq!(back.centroids().len(), d.centroids().len());
        let (mut exact, mut shipped) = (0.0, 0.0);
        for (a, b) in back.centroids().iter().zip(d.centroids()) {
            let rel = (a.mean() - b.mean()).abs() / b.mean().abs().max(f64::MIN_POSITIVE);
            assert!(rel <= 1.0 / 4096.0, "{} vs {}", a.mean(), b.mean());
            exact += b.weight();
            shipped += a.weight();
            assert!(
                (exact - shipped).abs() <= b.weight() / 64.0 + 1.0,
                "running total {shipped} vs {exact} at weight {}",
                b.weight()
            );
        }
        assert_eq!(exact, shipped);
        let sum = (back.sum() - d.sum()).abs() / d.sum().abs().max(1.0);
        assert!(sum <= 1e-3, "sum {} vs {}", back.sum(), d.sum());
    }

    #[test]
    fn digest_state_round_trips() {
        // Latencies in ns over six orders of magnitude, and negative values.
        let values: Vec<f64> = (0..10_000)
            .map(|i| ((i * 7919) % 10_000) as f64 * 1e3 + (i % 13) as f64 * 1e5)
            .chain((0..50).map(|i| -(i as f64) * 0.5))
            .collect();
        let d = digest(&values);
        let bytes = encode_digest(&d);
        let back = decode_digest(&bytes).unwrap();
        assert_close(&back, &d);
        for q in [0.01, 0.5, 0.99] {
            let (x, y) = (back.estimate_quantile(q), d.estimate_quantile(q));
            assert!((x - y).abs() <= y.abs() * 1e-3, "q={q}: {x} vs {y}");
        }
        // Re-encoding what was decoded loses nothing more.
        assert_eq!(encode_digest(&back), bytes);
    }

    #[test]
    fn a_pem_digest_is_small_and_estimates_the_same_quantiles() {
        for (rows, seed) in [(336_000, 7), (33_600, 8), (1_000_000, 9)] {
            let d = pem_digest(rows, seed);
            let bytes = encode_digest(&d);
            let back = decode_digest(&bytes).unwrap();
            assert_close(&back, &d);
            // What the bytes-shipped target of a group-by with quantiles
            // rests on: under 2.5 bytes a centroid (DataFusion's state
            // takes 16, the varint form of the first version 4).
            assert!(
                bytes.len() <= 40 + d.centroids().len() * 5 / 2,
                "{rows} rows: {} bytes for {} centroids",
                bytes.len(),
                d.centroids().len()
            );
            // Shipping moves an estimate by at most 0.2% (0.13% measured,
            // at p99.9); the digest's own error on these data, against the
            // exact quantiles, is 0.1-0.9% up to p99 and up to 6% at p99.9.
            for q in [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999] {
                let (x, y) = (back.estimate_quantile(q), d.estimate_quantile(q));
                assert!((x - y).abs() <= y.abs() * 2e-3, "q={q}: {x} vs {y}");
            }
            assert_eq!(encode_digest(&back), bytes);
        }
    }

    fn groups(at: Option<f64>) -> QuantilesGroups {
        QuantilesGroups {
            at,
            digests: Vec::new(),
            pending: Vec::new(),
            pending_total: 0,
            pending_limit: PENDING_LIMIT,
            histogram_of: Vec::new(),
            histograms: Vec::new(),
            free_histograms: Vec::new(),
            histogram_bytes: 0,
            scratch: Default::default(),
        }
    }

    /// Feeds rows `range` of: value `i` (null every 97th row) in group
    /// `i % 3`, in batches of 1,000.
    fn feed(acc: &mut QuantilesGroups, range: std::ops::Range<usize>) {
        use datafusion::arrow::array::Int64Array;
        use datafusion::logical_expr::GroupsAccumulator;
        for start in range.clone().step_by(1000) {
            let rows = start..range.end.min(start + 1000);
            let v: Int64Array = rows
                .clone()
                .map(|i| (i % 97 != 0).then_some(i as i64))
                .collect();
            let g: Vec<usize> = rows.map(|i| i % 3).collect();
            acc.update_batch(&[Arc::new(v)], &g, None, 3).unwrap();
        }
    }

    fn medians(acc: &mut QuantilesGroups) -> Vec<f64> {
        use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
        let out = acc.evaluate(EmitTo::All).unwrap();
        out.as_primitive::<Float64Type>().values().to_vec()
    }

    #[test]
    fn grouped_quantiles_are_right_and_merge_through_their_state() {
        use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
        let n = 60_000;
        let mut all = groups(Some(0.5));
        feed(&mut all, 0..n);
        let whole = medians(&mut all);
        for (g, m) in whole.iter().enumerate() {
            let mut exact: Vec<f64> = (0..n)
                .filter(|i| i % 3 == g && i % 97 != 0)
                .map(|i| i as f64)
                .collect();
            exact.sort_by(f64::total_cmp);
            let e = exact[exact.len() / 2];
            assert!((m - e).abs() <= e * 0.005, "group {g}: {m} vs {e}");
        }
        // Two partial accumulators, merged through their encoded states.
        let (mut a, mut b) = (groups(Some(0.5)), groups(Some(0.5)));
        feed(&mut a, 0..n / 2);
        feed(&mut b, n / 2..n);
        let mut merged = groups(Some(0.5));
        for part in [&mut a, &mut b] {
            let state = part.state(EmitTo::All).unwrap();
            merged.merge_batch(&state, &[0, 1, 2], 3).unwrap();
        }
        for (m, w) in medians(&mut merged).iter().zip(&whole) {
            assert!((m - w).abs() <= w * 0.005, "{m} vs {w}");
        }
        // Emitting the first groups leaves the others, renumbered.
        let mut acc = groups(Some(0.5));
        feed(&mut acc, 0..n);
        let first = acc.evaluate(EmitTo::First(1)).unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(medians(&mut acc), whole[1..]);
    }

    #[test]
    fn short_runs_stay_buffered_past_the_limit_and_long_ones_merge() {
        use datafusion::arrow::array::Float64Array;
        use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
        // 20,000 groups of 60 values each, and group 0 with 300 values per
        // batch: together past the buffer limit.
        let groups_n = 20_000;
        let mut acc = groups(Some(0.5));
        for batch in 0..60 {
            let mut idx: Vec<usize> = (0..groups_n).collect();
            idx.extend(std::iter::repeat_n(0, 300));
            let values: Float64Array = idx
                .iter()
                .enumerate()
                .map(|(i, &g)| Some((g * 1000 + batch * 400 + i % 400) as f64))
                .collect();
            acc.update_batch(&[Arc::new(values)], &idx, None, groups_n)
                .unwrap();
        }
        assert!(60 * (groups_n + 300) > PENDING_LIMIT);
        // The limit was passed once: group 0's long run was merged, the
        // short runs were not, and the limit moved past them.
        assert!(acc.pending[0].len() < 300 * 60);
        assert!(acc.digests[0].count() > 0.0);
        assert!((1..groups_n).all(|g| acc.pending[g].len() == 60));
        assert!((1..groups_n).all(|g| acc.digests[g].count() == 0.0));
        assert!(acc.pending_limit > acc.pending_total);
        let medians = acc.evaluate(EmitTo::All).unwrap();
        let medians = medians.as_primitive::<Float64Type>();
        for g in [1, 777, groups_n - 1] {
            let mut exact: Vec<f64> = (0..60)
                .map(|b| (g * 1000 + b * 400 + g % 400) as f64)
                .collect();
            exact.sort_by(f64::total_cmp);
            let m = medians.value(g);
            assert!((exact[29]..=exact[30]).contains(&m), "group {g}: {m}");
        }
    }

    /// One group of `values`, fed in batches of 1000; the accumulator
    /// before evaluation.
    fn one_group(at: f64, values: &[f64]) -> QuantilesGroups {
        use datafusion::arrow::array::Float64Array;
        use datafusion::logical_expr::GroupsAccumulator;
        let mut acc = groups(Some(at));
        for chunk in values.chunks(1000) {
            let batch: Float64Array = chunk.iter().map(|&v| Some(v)).collect();
            acc.update_batch(&[Arc::new(batch)], &vec![0; chunk.len()], None, 1)
                .unwrap();
        }
        acc
    }

    fn estimate(mut acc: QuantilesGroups) -> f64 {
        use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
        let out = acc.evaluate(EmitTo::All).unwrap();
        out.as_primitive::<Float64Type>().value(0)
    }

    #[test]
    fn a_large_group_is_counted_in_a_histogram_and_stays_accurate() {
        // 200,000 lognormal-ish latencies in ns, from a fixed generator.
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let values: Vec<f64> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let u = (x >> 11) as f64 / (1u64 << 53) as f64;
                (1e5 * (8.0 * u * u * u).exp()).round()
            })
            .collect();
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.01, 0.5, 0.9, 0.99, 0.999] {
            let acc = one_group(q, &values);
            assert_ne!(acc.histogram_of[0], NO_HISTOGRAM);
            assert!(acc.pending[0].len() < GROUP_RUN);
            let exact = sorted[(q * sorted.len() as f64) as usize];
            let got = estimate(acc);
            assert!(
                (got - exact).abs() <= exact * 0.01,
                "p{q}: {got} vs {exact}"
            );
        }
        // The ends are exact.
        assert_eq!(estimate(one_group(0.0, &values)), sorted[0]);
        assert_eq!(estimate(one_group(1.0, &values)), sorted[sorted.len() - 1]);
    }

    #[test]
    fn values_a_histogram_cannot_take_stay_exact() {
        // Mostly ordinary values, with infinities and values hundreds of
        // powers of two away, negative ones too.
        let mut values: Vec<f64> = (0..10_000).map(|i| 1000.0 + f64::from(i)).collect();
        values.extend([f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e300, 1e-300]);
        values.extend((0..10_000).map(|i| 1000.0 + f64::from(i)));
        let acc = one_group(0.5, &values);
        let h = &acc.histograms[acc.histogram_of[0] as usize];
        assert!(h.counts.len() <= MAX_BUCKETS);
        let median = estimate(acc);
        assert!((median - 6000.0).abs() < 6000.0 * 0.01, "{median}");
        assert_eq!(estimate(one_group(1.0, &values)), f64::INFINITY);
        assert_eq!(estimate(one_group(0.0, &values)), f64::NEG_INFINITY);
        // A NaN is no error.
        values.push(f64::NAN);
        let median = estimate(one_group(0.5, &values));
        assert!((median - 6000.0).abs() < 6000.0 * 0.01, "{median}");
    }

    #[test]
    fn radix_sort_orders_like_total_cmp() {
        let mut x: u64 = 88172645463325252;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let special = [
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            -f64::NAN,
            f64::MIN_POSITIVE,
            -1e300,
            5e6,
        ];
        for n in [0, 1, 63, 64, 1000, 4096] {
            let mut values: Vec<f64> = (0..n)
                .map(|i| match i % 5 {
                    0 => (next() % 10_000_000) as f64,
                    1 => f64::from_bits(next()),
                    2 => special[(next() % special.len() as u64) as usize],
                    // Many keys with the same upper half, in any order.
                    3 => 1e9 + (next() % 4096) as f64,
                    _ => -((next() % 1000) as f64) * 0.25,
                })
                .collect();
            let mut keys: Vec<u64> = values.iter().map(|&v| order_key(v)).collect();
            radix_sort(&mut keys, &mut Vec::new());
            values.sort_by(f64::total_cmp);
            let back: Vec<u64> = keys.iter().map(|&k| from_order_key(k).to_bits()).collect();
            let want: Vec<u64> = values.iter().map(|v| v.to_bits()).collect();
            assert_eq!(back, want, "n = {n}");
        }
    }

    #[test]
    fn grouped_quantiles_of_no_values_and_single_rows() {
        use datafusion::arrow::array::{BooleanArray, Float64Array};
        use datafusion::logical_expr::{EmitTo, GroupsAccumulator};
        let mut acc = groups(None);
        let v: Float64Array = vec![None, Some(2.0), Some(3.0)].into_iter().collect();
        let keep = BooleanArray::from(vec![true, true, false]);
        acc.update_batch(&[Arc::new(v.clone())], &[0, 1, 1], Some(&keep), 2)
            .unwrap();
        let out = acc.evaluate(EmitTo::All).unwrap();
        let out = out.as_string::<i32>();
        // Group 0 saw only a null: Pixie's empty summary.
        assert_eq!(out.value(0), "");
        assert!(out.value(1).contains("\"p50\":2.0"), "{}", out.value(1));
        // Rows as their own groups' states (partial aggregation skipped).
        let states = acc.convert_to_state(&[Arc::new(v)], Some(&keep)).unwrap();
        let digests = decode_states(&states).unwrap();
        let counts: Vec<f64> = digests.iter().map(|d| d.count()).collect();
        assert_eq!(counts, [0.0, 1.0, 0.0]);
    }

    #[test]
    fn zero_and_small_whole_means_are_exact() {
        let d = digest(&[0.0, 0.0, 1.0, 7.0, 1000.0, 4096.0]);
        let back = decode_digest(&encode_digest(&d)).unwrap();
        let means: Vec<f64> = back.centroids().iter().map(|c| c.mean()).collect();
        assert_eq!(means, [0.0, 0.0, 1.0, 7.0, 1000.0, 4096.0]);
        assert_eq!(back.estimate_quantile(0.01), 0.0);
        // Weights under 128 are exact.
        let mut values: Vec<f64> = (0..127).map(|_| 5.0).collect();
        values.extend((0..40).map(|_| 9.0));
        let d = TDigest::merge_digests(&[digest(&values[..127]), digest(&values[127..])]);
        let back = decode_digest(&encode_digest(&d)).unwrap();
        let weights: Vec<f64> = back.centroids().iter().map(|c| c.weight()).collect();
        let exact: Vec<f64> = d.centroids().iter().map(|c| c.weight()).collect();
        assert_eq!(weights, exact);
    }

    #[test]
    fn weight_codes_round_down_to_seven_significant_bits() {
        for v in (1..5000u64).chain([1 << 40, (1 << 53) - 1, u64::MAX]) {
            let w = weight_from_code(weight_code(v)).unwrap();
            assert!(w <= v && (v - w) * 64 < v.max(64), "{v} -> {w}");
            // Codes are monotone and representable weights map to themselves.
            assert!(weight_code(v) >= weight_code(v - 1));
            assert_eq!(weight_code(w), weight_code(v));
            assert_eq!(weight_from_code(weight_code(w)), Some(w));
        }
        assert_eq!(weight_from_code(u32::MAX), None);
    }

    #[test]
    fn fractional_weights_and_empty_digests_round_trip() {
        let d = TDigest::try_from_parts(
            100,
            3.75,
            2.5,
            2.0,
            1.0,
            vec![Centroid::new(1.0, 1.25), Centroid::new(2.0, 1.25)],
        )
        .unwrap();
        let back = decode_digest(&encode_digest(&d)).unwrap();
        assert_eq!(back.centroids()[1].weight(), 1.25);
        let empty = TDigest::new(MAX_CENTROIDS);
        let back = decode_digest(&encode_digest(&empty)).unwrap();
        assert_eq!(back.count(), 0.0);
        assert!(back.centroids().is_empty());
    }

    #[test]
    fn malformed_digest_state_is_an_error() {
        let bytes = encode_digest(&digest(&[1.0, 2.0, 3.0, 1e9]));
        // Every truncation, every extension and every single-byte change is
        // an error or a valid digest, never a panic.
        for len in 0..bytes.len() {
            assert!(decode_digest(&bytes[..len]).is_err(), "truncated to {len}");
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(decode_digest(&long).is_err());
        for i in 0..bytes.len() {
            for v in [0u8, 1, 0x7f, 0x80, 0xff] {
                let mut b = bytes.clone();
                b[i] = v;
                let _ = decode_digest(&b);
            }
        }
        assert!(decode_digest(&[9]).unwrap_err().contains("format"));
        // A huge centroid count must not allocate.
        let mut huge = vec![DIGEST_FORMAT, WHOLE_WEIGHTS, 100];
        put_varint(&mut huge, u64::MAX >> 1);
        huge.extend_from_slice(&[0; 16]);
        huge.extend_from_slice(&[5, 3, 3, 0xff, 0xff, 0xff]);
        assert!(decode_digest(&huge).unwrap_err().contains("cannot fit"));
        // Weights that add up to more than the count.
        let mut d = encode_digest(&digest(&[1.0, 2.0, 3.0]));
        let at = 3 + 1 + 16;
        assert_eq!(d[at], 3);
        d[at] = 2;
        assert!(
            decode_digest(&d)
                .unwrap_err()
                .contains("more than the count")
        );
    }
}
