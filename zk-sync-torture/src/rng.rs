//! A small seeded generator (SplitMix64): the same seed gives the same faults on every build,
//! which a library generator whose algorithm may change between versions would not promise.

/// SplitMix64.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }

    /// `true` with probability `percent` / 100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn a_seed_always_gives_the_same_sequence() {
        let first: Vec<u64> = (0..4)
            .map({
                let mut rng = Rng::new(42);
                move |_| rng.between(1, 100)
            })
            .collect();
        let again: Vec<u64> = (0..4)
            .map({
                let mut rng = Rng::new(42);
                move |_| rng.between(1, 100)
            })
            .collect();
        assert_eq!(first, again);
        assert!(first.iter().all(|n| (1..=100).contains(n)));
    }
}
