//! Seeded randomness: one [`Rng`] per table (or per world), so every table is
//! reproducible on its own and adding rows to one table never changes another.

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng};
use rand_distr::StandardNormal;

/// FNV-1a, used to derive stream seeds and stable ids from names.
pub(crate) fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A 64-bit finaliser (SplitMix64) for cheap, well-spread hashes of numbers.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The random source of one stream. ChaCha-based [`StdRng`] gives the same
/// sequence on every platform for a given rand version.
pub(crate) struct Rng(StdRng);

impl Rng {
    /// A stream named `stream` derived from `seed`.
    pub(crate) fn new(seed: u64, stream: &str) -> Self {
        Rng(StdRng::seed_from_u64(mix(seed ^ fnv(stream.as_bytes()))))
    }

    /// Uniform in [0, 1).
    #[inline]
    pub(crate) fn f64(&mut self) -> f64 {
        self.0.random::<f64>()
    }

    #[inline]
    pub(crate) fn u64(&mut self) -> u64 {
        self.0.random::<u64>()
    }

    /// Uniform in [0, n). `n` must be > 0.
    #[inline]
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n)
    }

    /// Uniform in [lo, hi].
    #[inline]
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        self.0.random_range(lo..=hi)
    }

    #[inline]
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Standard normal.
    #[inline]
    pub(crate) fn normal(&mut self) -> f64 {
        self.0.sample(StandardNormal)
    }

    /// Log-normal with the given median and shape.
    #[inline]
    pub(crate) fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// `v` scaled by a factor in [1 - spread, 1 + spread].
    #[inline]
    pub(crate) fn jitter(&mut self, v: f64, spread: f64) -> f64 {
        v * (1.0 + spread * (2.0 * self.f64() - 1.0))
    }

    /// One element of a non-empty slice.
    #[inline]
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// `n` lowercase hex digits.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        (0..n)
            .map(|_| HEX[self.below(16)] as char)
            .collect::<String>()
    }

    /// A random (version 4 layout) UUID.
    pub(crate) fn uuid(&mut self) -> String {
        let h = self.hex(32);
        format!(
            "{}-{}-4{}-{}{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            ["8", "9", "a", "b"][self.below(4)],
            &h[17..20],
            &h[20..32]
        )
    }

    /// Kubernetes-style random suffix (`x7k2p`).
    pub(crate) fn k8s_suffix(&mut self, n: usize) -> String {
        const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..n)
            .map(|_| ALPHA[self.below(ALPHA.len())] as char)
            .collect()
    }
}

/// A discrete distribution over indexes, sampled by binary search on the
/// cumulative weights.
#[derive(Debug, Clone)]
pub(crate) struct Cdf(Vec<f64>);

impl Cdf {
    pub(crate) fn new(weights: impl IntoIterator<Item = f64>) -> Self {
        let mut acc = 0.0;
        let cum: Vec<f64> = weights
            .into_iter()
            .map(|w| {
                acc += w.max(0.0);
                acc
            })
            .collect();
        assert!(acc > 0.0, "a distribution needs a positive weight");
        Cdf(cum.into_iter().map(|c| c / acc).collect())
    }

    /// Zipf-like weights `1 / (rank + 1)^s` over `n` items.
    pub(crate) fn zipf(n: usize, s: f64) -> Self {
        Cdf::new((0..n).map(|i| 1.0 / ((i + 1) as f64).powf(s)))
    }

    #[inline]
    pub(crate) fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.f64();
        self.0.partition_point(|&c| c <= u).min(self.0.len() - 1)
    }
}
