//! Drawing a quiz: without replacement, uniformly within each quota, preferring questions the
//! resident has not seen in this campaign; then question order and option order shuffled.
//! Pure over (seed, rule, index, seen): the same seed re-creates the same quiz (audits).

use std::collections::HashSet;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use super::grading::Permutation;
use crate::bank::{QuestionIndex, QuestionKind};

/// Part of a campaign's draw: `count` questions of a category and/or difficulty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 3)]
    pub difficulty: Option<u8>,
    #[schema(minimum = 1)]
    pub count: u32,
}

/// What a campaign draws: from `banks` (empty = all), by `quotas` (empty = `count` from anything).
#[derive(Debug, Clone)]
pub struct DrawRule {
    pub banks: Vec<String>,
    pub quotas: Vec<Quota>,
    pub count: u32,
}

impl DrawRule {
    fn effective_quotas(&self) -> Vec<Quota> {
        if self.quotas.is_empty() {
            vec![Quota { category: None, difficulty: None, count: self.count }]
        } else {
            self.quotas.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrawnQuestion {
    pub revision_id: i64,
    pub order: Permutation,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("第{}项出题要求要{wanted}道题，题库里只有{available}道", quota + 1)]
pub struct NotEnoughQuestions {
    pub quota: usize,
    pub wanted: u32,
    pub available: usize,
}

pub type Seed = [u8; 32];

/// A fresh seed from the operating system's CSPRNG (via the thread RNG).
pub fn fresh_seed() -> Seed {
    rand::random()
}

/// `seen` holds (bank, key) of questions this resident met in earlier attempts.
pub fn draw_questions(
    index: &QuestionIndex,
    rule: &DrawRule,
    seen: &HashSet<(String, String)>,
    seed: Seed,
) -> Result<Vec<DrawnQuestion>, NotEnoughQuestions> {
    let mut rng = ChaCha20Rng::from_seed(seed);
    // Seen questions as current revision ids (a retired one cannot be drawn anyway).
    let seen: HashSet<i64> = seen.iter().filter_map(|(bank, key)| index.current_revision(bank, key)).collect();
    let mut taken: HashSet<i64> = HashSet::new();
    let mut picked: Vec<i64> = Vec::new();
    for (n, quota) in rule.effective_quotas().iter().enumerate() {
        let pool = index.pool(&rule.banks, quota.category.as_deref(), quota.difficulty);
        let wanted = quota.count as usize;
        let taken_here = taken.iter().filter(|id| pool.contains(**id)).count();
        let available = pool.len() - taken_here;
        if available < wanted {
            return Err(NotEnoughQuestions { quota: n, wanted: quota.count, available });
        }
        let met: Vec<i64> = seen.iter().copied().filter(|id| pool.contains(*id) && !taken.contains(id)).collect();
        let fresh = available - met.len();
        let excluded = |id: &i64, taken: &HashSet<i64>| taken.contains(id) || seen.contains(id);
        let from_fresh = wanted.min(fresh);
        if fresh * 2 >= pool.len() {
            // Most of the pool is eligible: rejection sampling over positions touches only
            // about 2 entries per pick, whatever the bank's size, and stays exactly uniform.
            let mut chosen = 0;
            while chosen < from_fresh {
                let Some(id) = pool.get(rng.random_range(0..pool.len())) else { continue };
                if !excluded(&id, &taken) {
                    taken.insert(id);
                    picked.push(id);
                    chosen += 1;
                }
            }
        } else {
            let mut candidates: Vec<i64> = pool.ids().into_iter().filter(|id| !excluded(id, &taken)).collect();
            let chosen = sample(&mut rng, &mut candidates, from_fresh).to_vec();
            taken.extend(&chosen);
            picked.extend(chosen);
        }
        // Not enough unseen ones: top up, uniformly, from those seen before.
        let mut met = met;
        met.sort_unstable();
        let rest = sample(&mut rng, &mut met, wanted - from_fresh).to_vec();
        taken.extend(&rest);
        picked.extend(rest);
    }
    shuffle(&mut rng, &mut picked);
    Ok(picked
        .into_iter()
        .map(|revision_id| {
            let options =
                index.get(revision_id).map_or(0, |q| if q.kind == QuestionKind::Judge { 0 } else { q.options.len() });
            let mut order = Permutation::identity(options);
            shuffle(&mut rng, &mut order.0);
            DrawnQuestion { revision_id, order }
        })
        .collect())
}

/// The first `k` items of a partial Fisher–Yates shuffle: a uniform sample without replacement.
fn sample<'a, T>(rng: &mut ChaCha20Rng, items: &'a mut [T], k: usize) -> &'a [T] {
    let n = items.len();
    for i in 0..k.min(n) {
        // random_range is unbiased (no modulo bias).
        let j = rng.random_range(i..n);
        items.swap(i, j);
    }
    &items[..k.min(n)]
}

pub fn shuffle<T>(rng: &mut ChaCha20Rng, items: &mut [T]) {
    let n = items.len();
    sample(rng, items, n);
}

pub fn seed_hex(seed: &Seed) -> String {
    crate::digest::hex(seed)
}

pub fn seed_from_hex(hex: &str) -> Option<Seed> {
    crate::digest::bytes32_from_hex(hex)
}
