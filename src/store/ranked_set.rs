//! A sorted set that answers "what is my rank" in O(√N)-ish time instead of BTreeSet's O(N)
//! count: the entries live in sorted blocks of at most `2 * BLOCK` entries, so a rank is the
//! sizes of the blocks before (a short sum) plus a binary search inside one block. At 1M entries
//! that is about 2,000 block sizes to add up, a microsecond or two.

const BLOCK: usize = 256;

#[derive(Debug, Clone)]
pub struct RankedSet<T> {
    blocks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for RankedSet<T> {
    fn default() -> Self {
        Self { blocks: Vec::new(), len: 0 }
    }
}

impl<T: Ord> RankedSet<T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The block that holds (or would hold) `value`: the first whose last entry is >= value.
    fn block_of(&self, value: &T) -> usize {
        let found = self.blocks.partition_point(|b| b.last().is_some_and(|last| last < value));
        found.min(self.blocks.len().saturating_sub(1))
    }

    /// Inserts; false if it was there already.
    pub fn insert(&mut self, value: T) -> bool {
        if self.blocks.is_empty() {
            self.blocks.push(vec![value]);
            self.len = 1;
            return true;
        }
        let b = self.block_of(&value);
        let block = &mut self.blocks[b];
        match block.binary_search(&value) {
            Ok(_) => false,
            Err(at) => {
                block.insert(at, value);
                self.len += 1;
                if block.len() > 2 * BLOCK {
                    let tail = block.split_off(BLOCK);
                    self.blocks.insert(b + 1, tail);
                }
                true
            }
        }
    }

    /// Removes; false if it was not there.
    pub fn remove(&mut self, value: &T) -> bool {
        if self.is_empty() {
            return false;
        }
        let b = self.block_of(value);
        let block = &mut self.blocks[b];
        match block.binary_search(value) {
            Ok(at) => {
                block.remove(at);
                self.len -= 1;
                if block.is_empty() {
                    self.blocks.remove(b);
                }
                true
            }
            Err(_) => false,
        }
    }

    /// How many entries sort before `value` (its 0-based rank), if it is present.
    pub fn rank(&self, value: &T) -> Option<usize> {
        if self.is_empty() {
            return None;
        }
        let b = self.block_of(value);
        let within = self.blocks[b].binary_search(value).ok()?;
        Some(self.blocks[..b].iter().map(Vec::len).sum::<usize>() + within)
    }

    /// The entries from 0-based position `offset` on, in order.
    pub fn iter_from(&self, offset: usize) -> impl Iterator<Item = &T> {
        let mut skip = offset;
        let mut first = self.blocks.len();
        for (i, block) in self.blocks.iter().enumerate() {
            if skip < block.len() {
                first = i;
                break;
            }
            skip -= block.len();
        }
        self.blocks.get(first..).unwrap_or_default().iter().flatten().skip(skip)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use rand::{RngExt as _, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::RankedSet;

    #[test]
    fn agrees_with_a_btreeset_under_random_inserts_and_removes() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut ours = RankedSet::default();
        let mut model = BTreeSet::new();
        for step in 0..60_000 {
            let value: u32 = rng.random_range(0..5_000);
            if rng.random_bool(0.6) {
                assert_eq!(ours.insert(value), model.insert(value));
            } else {
                assert_eq!(ours.remove(&value), model.remove(&value));
            }
            if step % 997 == 0 {
                assert_eq!(ours.len(), model.len());
                let probe: u32 = rng.random_range(0..5_000);
                assert_eq!(ours.rank(&probe), model.contains(&probe).then(|| model.range(..probe).count()));
                let offset = rng.random_range(0..model.len() + 3);
                let got: Vec<u32> = ours.iter_from(offset).take(40).copied().collect();
                let want: Vec<u32> = model.iter().skip(offset).take(40).copied().collect();
                assert_eq!(got, want);
            }
        }
        assert!(ours.len() > 2 * super::BLOCK, "the test must exercise block splits");
    }
}
