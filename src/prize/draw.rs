//! The verifiable prize draw's mathematics. When a campaign is published pufa fixes a secret seed and publishes
//! its commitment, SHA-256 of the seed's hex text. After the campaign closes the draw runs once:
//! the eligible list is put in a canonical order (ascending user id), and winners are picked by a
//! partial Fisher–Yates shuffle driven by ChaCha20 seeded with the seed. The seed, the eligible list
//! (masked) and the winners then become public, so anyone can re-run `pick_winners` and get the
//! same winners (`pufa draw verify`), and nobody could have chosen the seed after seeing the list.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

/// A fresh secret seed (hex) and its public commitment.
pub fn new_commitment() -> (String, String) {
    let seed = crate::digest::hex(&rand::random::<[u8; 32]>());
    let commitment = commitment_of(&seed);
    (seed, commitment)
}

pub fn commitment_of(seed_hex: &str) -> String {
    crate::digest::sha256_hex(seed_hex.as_bytes())
}

/// One eligible participant as the public sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Eligible {
    pub user_id: i64,
    pub display_name: String,
    pub phone_masked: String,
    pub score: i64,
}

/// Everything public about a draw once it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DrawRecord {
    pub campaign: String,
    pub mode: String,
    pub winners_wanted: u32,
    #[schema(required = true)]
    pub min_score: Option<u32>,
    pub commitment: String,
    pub seed: String,
    /// In canonical order: ascending user id.
    pub eligible: Vec<Eligible>,
    pub winners: Vec<Eligible>,
    pub drawn_at: chrono::DateTime<chrono::Utc>,
    /// With `per_day`: one lottery a day, in day order, each over that day's qualifiers who had not
    /// won on an earlier day, seeded by `day_seed(seed, day)`. `winners` is then all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub days: Vec<DayDraw>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DayDraw {
    pub day: String,
    pub winners_wanted: u32,
    /// Ascending user id.
    pub eligible: Vec<Eligible>,
    pub winners: Vec<Eligible>,
}

/// The seed of one day's lottery: SHA-256 of `"{seed}:{day}"`, hex.
pub fn day_seed(seed_hex: &str, day: &str) -> String {
    crate::digest::sha256_hex(format!("{seed_hex}:{day}").as_bytes())
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the seed does not match the commitment published before the draw")]
    CommitmentMismatch,
    #[error("the seed is not 64 hex characters")]
    BadSeed,
    #[error("re-running the draw gives other winners: {0:?}")]
    WinnersDiffer(Vec<i64>),
    #[error("the eligible list is not in canonical order (ascending user id, no repeats)")]
    NotCanonical,
}

/// Picks `count` of `eligible` (canonical order) with ChaCha20 seeded by `seed`: for lottery draws.
pub fn pick_winners(seed_hex: &str, eligible: &[i64], count: usize) -> Option<Vec<i64>> {
    let seed = crate::digest::bytes32_from_hex(seed_hex)?;
    let mut rng = ChaCha20Rng::from_seed(seed);
    let mut pool = eligible.to_vec();
    let k = count.min(pool.len());
    for i in 0..k {
        let j = rng.random_range(i..pool.len());
        pool.swap(i, j);
    }
    pool.truncate(k);
    Some(pool)
}

/// Re-runs a published draw from its public record alone.
pub fn verify(record: &DrawRecord) -> Result<Vec<i64>, VerifyError> {
    if commitment_of(&record.seed) != record.commitment {
        return Err(VerifyError::CommitmentMismatch);
    }
    if !record.days.is_empty() {
        return verify_days(record);
    }
    let ids: Vec<i64> = record.eligible.iter().map(|e| e.user_id).collect();
    if ids.windows(2).any(|w| w[0] >= w[1]) {
        return Err(VerifyError::NotCanonical);
    }
    let expected = if record.mode == "top" {
        // Top-N prizes: the eligible list *is* the top N, in board order; no randomness.
        record.eligible.iter().map(|e| e.user_id).collect::<Vec<_>>()
    } else {
        pick_winners(&record.seed, &ids, record.winners_wanted as usize).ok_or(VerifyError::BadSeed)?
    };
    let published: Vec<i64> = record.winners.iter().map(|w| w.user_id).collect();
    let mut a = expected.clone();
    let mut b = published.clone();
    if record.mode == "top" {
        a.sort_unstable();
        b.sort_unstable();
    }
    if a == b { Ok(expected) } else { Err(VerifyError::WinnersDiffer(expected)) }
}

fn verify_days(record: &DrawRecord) -> Result<Vec<i64>, VerifyError> {
    let mut won: Vec<i64> = Vec::new();
    for day in &record.days {
        let ids: Vec<i64> = day.eligible.iter().map(|e| e.user_id).collect();
        if ids.windows(2).any(|w| w[0] >= w[1]) || ids.iter().any(|id| won.contains(id)) {
            return Err(VerifyError::NotCanonical);
        }
        let expected = pick_winners(&day_seed(&record.seed, &day.day), &ids, day.winners_wanted as usize)
            .ok_or(VerifyError::BadSeed)?;
        let published: Vec<i64> = day.winners.iter().map(|w| w.user_id).collect();
        if expected != published {
            return Err(VerifyError::WinnersDiffer(expected));
        }
        won.extend(expected);
    }
    let all: Vec<i64> = record.winners.iter().map(|w| w.user_id).collect();
    if all != won {
        return Err(VerifyError::WinnersDiffer(won));
    }
    Ok(won)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_and_list_pick_the_same_winners() {
        let (seed, commitment) = new_commitment();
        assert_eq!(commitment_of(&seed), commitment);
        let eligible: Vec<i64> = (1..=50).collect();
        let a = pick_winners(&seed, &eligible, 5).expect("seed");
        assert_eq!(Some(a.clone()), pick_winners(&seed, &eligible, 5));
        assert_eq!(a.iter().collect::<std::collections::HashSet<_>>().len(), 5, "one prize per person");
        assert_eq!(pick_winners(&seed, &eligible[..3], 5).map(|w| w.len()), Some(3));
    }
}
