//! Aggregate functions that DataFusion does not have in PxL's form.
//!
//! `count`, `sum`, `mean`, `min`, `max` and `any` are lowered by the planner
//! to DataFusion's own aggregates (all of which have mergeable state for
//! partial/final aggregation). `quantiles` is here: a t-digest, shipped in
//! a compact binary state ([`encode_digest`]) and finalised into Pixie's
//! JSON summary.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::{cast, filter, is_not_null, sort};
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
        let at = if self.single {
            let q = args
                .exprs
                .get(1)
                .and_then(|e| e.downcast_ref::<datafusion::physical_expr::expressions::Literal>())
                .and_then(|l| match l.value() {
                    ScalarValue::Float64(Some(q)) => Some(*q),
                    _ => None,
                });
            match q {
                Some(q) if (0.0..=1.0).contains(&q) => Some(q),
                _ => return exec_err!("quantile: the quantile must be a number in [0, 1]"),
            }
        } else {
            None
        };
        Ok(Box::new(QuantilesAccumulator {
            digest: TDigest::new(MAX_CENTROIDS),
            at,
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

/// Low bits of a mean's f32 key that are not shipped.
const MEAN_SHIFT: u32 = 8;
/// Version byte of [`encode_digest`]'s format.
const DIGEST_FORMAT: u8 = 1;
/// Flag: every centroid weight is a whole number, written as a varint.
const WHOLE_WEIGHTS: u8 = 1;

/// The digest as partial aggregation ships it between nodes: about a third
/// of DataFusion's own state (six columns with a list of f64 pairs), since
/// this is most of what a PEM sends for a group-by with quantiles.
///
/// - the format byte, a flags byte, varint `max_size` and centroid count;
/// - sum, count, min and max as f64, exactly;
/// - centroid means rounded to 16 significant bits (within 1 part in 65,536
///   of the mean, exact for zero and small whole numbers; a digest of 100 centroids places a quantile's rank only to a few
///   parts in a thousand, so this changes no estimate measurably), as
///   order-preserving keys: the first in full, then the differences to the
///   previous one (means are sorted), as varints;
/// - weights as varints when all are whole numbers (they are unless a
///   digest was built from weighted input), else as f64.
pub fn encode_digest(d: &TDigest) -> Vec<u8> {
    let centroids = d.centroids();
    let whole = centroids
        .iter()
        .all(|c| c.weight().fract() == 0.0 && c.weight() >= 1.0 && c.weight() < 2f64.powi(53));
    let mut out = Vec::with_capacity(48 + centroids.len() * 5);
    out.push(DIGEST_FORMAT);
    out.push(if whole { WHOLE_WEIGHTS } else { 0 });
    put_varint(&mut out, d.max_size() as u64);
    put_varint(&mut out, centroids.len() as u64);
    for v in [d.sum(), d.count(), d.min(), d.max()] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    let mut prev = 0u32;
    for c in centroids {
        // Round to nearest in key space (monotone, so means stay sorted).
        let key = f32_key(c.mean() as f32).saturating_add(1 << (MEAN_SHIFT - 1)) >> MEAN_SHIFT;
        put_varint(&mut out, u64::from(key.wrapping_sub(prev)));
        prev = key;
    }
    for c in centroids {
        if whole {
            put_varint(&mut out, c.weight() as u64);
        } else {
            out.extend_from_slice(&c.weight().to_le_bytes());
        }
    }
    out
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
    let max_size = usize::try_from(r.varint()?).map_err(|_| "max_size out of range")?;
    let n = usize::try_from(r.varint()?).map_err(|_| "centroid count out of range")?;
    // Each centroid takes at least two bytes: a count that promises more
    // than the bytes hold is corrupt (and must not size an allocation).
    if n > bytes.len() / 2 {
        return Err(format!("{n} centroids cannot fit in {} bytes", bytes.len()));
    }
    let [sum, count, min, max] = [r.f64()?, r.f64()?, r.f64()?, r.f64()?];
    let mut means = Vec::with_capacity(n);
    let mut key = 0u32;
    for _ in 0..n {
        let delta = u32::try_from(r.varint()?).map_err(|_| "mean out of range")?;
        key = key.wrapping_add(delta);
        let bits = key
            .checked_shl(MEAN_SHIFT)
            .filter(|_| key >> (32 - MEAN_SHIFT) == 0)
            .ok_or("mean out of range")?;
        means.push(f64::from(f32_from_key(bits)));
    }
    let mut centroids = Vec::with_capacity(n);
    for mean in means {
        let weight = if flags & WHOLE_WEIGHTS != 0 {
            r.varint()? as f64
        } else {
            r.f64()?
        };
        centroids.push(Centroid::new(mean, weight));
    }
    if r.at != bytes.len() {
        return Err(format!("{} bytes after the digest", bytes.len() - r.at));
    }
    TDigest::try_from_parts(max_size, sum, count, max, min, centroids).map_err(|e| e.to_string())
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
        let mut v = cast(&values[0], &DataType::Float64)?;
        if v.null_count() > 0 {
            v = filter(&v, &is_not_null(&v)?)?;
        }
        let sorted = sort(&v, None)?;
        let floats: Vec<f64> = sorted.as_primitive::<Float64Type>().values().to_vec();
        self.digest = self.digest.merge_sorted_f64(&floats);
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        if let Some(q) = self.at {
            return Ok(ScalarValue::Float64(
                (self.digest.count() > 0.0).then(|| self.digest.estimate_quantile(q)),
            ));
        }
        if self.digest.count() == 0.0 {
            return Ok(ScalarValue::Utf8(Some(String::new())));
        }
        let mut m = serde_json::Map::new();
        for (key, q) in SUMMARY {
            let v = self.digest.estimate_quantile(q);
            m.insert(
                key.into(),
                serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, Into::into),
            );
        }
        Ok(ScalarValue::Utf8(Some(
            serde_json::Value::Object(m).to_string(),
        )))
    }

    fn size(&self) -> usize {
        size_of_val(self) + self.digest.size() - size_of_val(&self.digest)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![ScalarValue::Binary(Some(encode_digest(&self.digest)))])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(first) = states.first() else {
            return Ok(());
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
        digests.push(std::mem::replace(
            &mut self.digest,
            TDigest::new(MAX_CENTROIDS),
        ));
        self.digest = TDigest::merge_digests(&digests);
        Ok(())
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

    #[test]
    fn digest_state_round_trips() {
        // Latencies in ns over six orders of magnitude, and negative values.
        let values: Vec<f64> = (0..10_000)
            .map(|i| ((i * 7919) % 10_000) as f64 * 1e3 + (i % 13) as f64 * 1e5)
            .chain((0..50).map(|i| -(i as f64) * 0.5))
            .collect();
        let d = digest(&values);
        let back = decode_digest(&encode_digest(&d)).unwrap();
        assert_eq!(back.max_size(), d.max_size());
        assert_eq!(
            (back.sum(), back.count(), back.min(), back.max()),
            (d.sum(), d.count(), d.min(), d.max())
        );
        assert_eq!(back.centroids().len(), d.centroids().len());
        for (a, b) in back.centroids().iter().zip(d.centroids()) {
            assert_eq!(a.weight(), b.weight());
            let rel = (a.mean() - b.mean()).abs() / b.mean().abs().max(f64::MIN_POSITIVE);
            assert!(rel <= 1.0 / 65_536.0, "{} vs {}", a.mean(), b.mean());
        }
        for q in [0.01, 0.5, 0.99] {
            let (x, y) = (back.estimate_quantile(q), d.estimate_quantile(q));
            assert!((x - y).abs() <= y.abs() * 1e-4, "q={q}: {x} vs {y}");
        }
        // The point of the format: far smaller than DataFusion's state
        // (16 bytes per centroid plus 40).
        let plain = 40 + 16 * d.centroids().len();
        assert!(
            encode_digest(&d).len() * 2 < plain,
            "{} vs {plain}",
            encode_digest(&d).len()
        );
    }

    #[test]
    fn zero_and_small_whole_means_are_exact() {
        let d = digest(&[0.0, 0.0, 1.0, 7.0, 1000.0, 65_535.0]);
        let back = decode_digest(&encode_digest(&d)).unwrap();
        let means: Vec<f64> = back.centroids().iter().map(|c| c.mean()).collect();
        assert_eq!(means, [0.0, 0.0, 1.0, 7.0, 1000.0, 65_535.0]);
        assert_eq!(back.estimate_quantile(0.01), 0.0);
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
        let mut huge = vec![DIGEST_FORMAT, 0, 100];
        put_varint(&mut huge, u64::MAX >> 1);
        assert!(decode_digest(&huge).is_err());
    }
}
