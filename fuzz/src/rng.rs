//! A tiny seeded PRNG (SplitMix64) for the deterministic `cargo test` runs:
//! seed `n` always yields the same input bytes, on every machine.

/// SplitMix64: one 64-bit state, good enough statistics for fuzz inputs.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed ^ 0x5851_f42d_4c95_7f2d)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let x = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&x[..chunk.len()]);
        }
    }
}

/// The input bytes of seed `seed`: a length drawn from the seed (up to
/// `max_len`, at least `max_len / 4`), then that many random bytes.
pub fn seed_bytes(seed: u64, max_len: usize) -> Vec<u8> {
    let mut r = SplitMix64::new(seed);
    let min = max_len / 4;
    let len = min + (r.next_u64() as usize) % (max_len - min + 1);
    let mut v = vec![0; len];
    r.fill(&mut v);
    v
}

/// Runs `f` on the input bytes of every seed in `seeds`. Used by the tests in `fuzz/tests/` and the non-libFuzzer mode of the
/// target binaries.
pub fn for_seeds(seeds: std::ops::Range<u64>, max_len: usize, mut f: impl FnMut(u64, &[u8])) {
    for seed in seeds {
        let data = seed_bytes(seed, max_len);
        f(seed, &data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_are_stable_and_distinct() {
        assert_eq!(seed_bytes(7, 64), seed_bytes(7, 64));
        assert_ne!(seed_bytes(7, 64), seed_bytes(8, 64));
        let v = seed_bytes(3, 100);
        assert!(v.len() >= 25 && v.len() <= 100);
    }
}
