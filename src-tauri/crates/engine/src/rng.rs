//! A tiny deterministic PRNG (SplitMix64) for `sim` agents and retry
//! jitter. Hand-rolled on purpose: its sequence is fixed by this file, not
//! by a dependency's version, so a seeded rehearsal replays identically
//! across Braid releases.

#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// Seeds from several parts (e.g. seed, step id hash, attempt).
    pub fn from_parts(parts: &[u64]) -> Self {
        let mut rng = Self(0x9E37_79B9_7F4A_7C15);
        for &p in parts {
            rng.0 ^= p;
            rng.next_u64();
        }
        rng
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in [-1, 1).
    pub fn next_signed(&mut self) -> f64 {
        self.next_f64() * 2.0 - 1.0
    }
}

/// FNV-1a: a stable hash of a string (std's hasher is randomly keyed).
pub fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_are_fixed_and_in_range() {
        let mut a = SplitMix64::from_parts(&[7, stable_hash("legal"), 1]);
        let mut b = SplitMix64::from_parts(&[7, stable_hash("legal"), 1]);
        for _ in 0..1000 {
            let x = a.next_f64();
            assert_eq!(x, b.next_f64());
            assert!((0.0..1.0).contains(&x));
        }
        assert_ne!(
            SplitMix64::from_parts(&[1]).next_u64(),
            SplitMix64::from_parts(&[2]).next_u64()
        );
    }
}
