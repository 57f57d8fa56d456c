//! The verifiable prize draw: what is public, and how anyone re-runs it.
//!
//! 1. At publication pufa fixes a secret `seed` and publishes its `commitment`, SHA-256 of the
//!    seed's hex text.
//! 2. Once every session of the campaign could have finished, the `eligible` list is fixed and its
//!    SHA-256 published (`eligible_sha256`): entrants by pseudonym, with what the rule looks at.
//! 3. At the draw staff enter a `beacon`: a public random value nobody knew when the list was
//!    fixed (the numbers of the first 福利彩票 draw after that, or a drand round). The draw's
//!    randomness is SHA-256 of `seed:beacon:eligible_sha256`, so neither the list nor the secret
//!    alone decides the winners, and an insider who knows the seed still cannot steer them.
//! 4. Lottery winners: a partial Fisher–Yates shuffle of the entrants (ascending pseudonym) driven
//!    by ChaCha20 with that randomness. Top prizes: the first N in board order. With `per_day`, one
//!    lottery a day over that day's qualifiers who have not won yet, with randomness SHA-256 of
//!    `randomness:day`.
//!
//! `verify` checks a public record from the bytes alone: the commitment, the eligible list against
//! its hash, every entry against the published rule, and the winners.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use super::eligibility::{EligibleList, Entrant, RuleBreak, check_entry, contact_digest};
use super::{Prize, PrizeMode};
use crate::digest::{bytes32_from_hex, sha256_hex};

/// A fresh secret seed (hex) and its public commitment.
pub fn new_commitment() -> (String, String) {
    let seed = crate::digest::hex(&rand::random::<[u8; 32]>());
    let commitment = commitment_of(&seed);
    (seed, commitment)
}

pub fn commitment_of(seed_hex: &str) -> String {
    sha256_hex(seed_hex.as_bytes())
}

/// The draw's randomness (hex): the secret, the beacon and the fixed list together.
pub fn randomness(seed_hex: &str, beacon: &str, eligible_sha256: &str) -> String {
    sha256_hex(format!("{seed_hex}:{beacon}:{eligible_sha256}").as_bytes())
}

/// The randomness of one day's lottery.
pub fn day_randomness(randomness_hex: &str, day: &str) -> String {
    sha256_hex(format!("{randomness_hex}:{day}").as_bytes())
}

/// Picks `count` of `entrants` (in the order given) with ChaCha20 seeded by `randomness_hex`.
pub fn pick<'a>(randomness_hex: &str, entrants: &[&'a str], count: usize) -> Option<Vec<&'a str>> {
    let seed = bytes32_from_hex(randomness_hex)?;
    let mut rng = ChaCha20Rng::from_seed(seed);
    let mut pool = entrants.to_vec();
    let k = count.min(pool.len());
    for i in 0..k {
        // random_range is unbiased (no modulo bias).
        let j = rng.random_range(i..pool.len());
        pool.swap(i, j);
    }
    pool.truncate(k);
    Some(pool)
}

/// A winner as the public sees them: the pseudonym the list carries, a nickname and a masked phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Winner {
    pub entrant: String,
    pub display_name: String,
    pub phone_masked: String,
    pub score: i64,
    /// Opens the entry's `contact`: SHA-256 of `contact:{nonce}:{display_name}:{phone_masked}`.
    pub contact_nonce: String,
    /// With `per_day`: the day won.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub day: Option<String>,
}

/// Where a draw is: committed (published), eligible list fixed, or drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DrawState {
    Committed,
    EligibleFixed,
    Drawn,
}

/// Everything public about a campaign's prize draw; `pufa draw verify` reads exactly these bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PublicDraw {
    pub campaign: String,
    pub state: DrawState,
    pub rule: Prize,
    /// How to check it, in words.
    pub method: String,
    #[schema(required = true)]
    pub commitment: Option<String>,
    #[serde(default)]
    #[schema(required = true)]
    pub eligible_fixed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    #[schema(required = true)]
    pub eligible_count: Option<u64>,
    #[serde(default)]
    #[schema(required = true)]
    pub eligible_sha256: Option<String>,
    /// The fixed list: pseudonyms and what the rule looks at, no names or phones.
    #[serde(default)]
    #[schema(required = true)]
    pub eligible: Option<EligibleList>,
    #[serde(default)]
    #[schema(required = true)]
    pub beacon: Option<String>,
    /// SHA-256 of `seed:beacon:eligible_sha256`: what picked the winners.
    #[serde(default)]
    #[schema(required = true)]
    pub randomness: Option<String>,
    /// The secret seed, public once drawn.
    #[serde(default)]
    #[schema(required = true)]
    pub seed: Option<String>,
    #[serde(default)]
    pub winners: Vec<Winner>,
    #[serde(default)]
    #[schema(required = true)]
    pub drawn_at: Option<DateTime<Utc>>,
}

/// The winners' pseudonyms for `list` under `rule`, with `randomness`, in the order drawn (days in
/// order for `per_day`).
pub fn winners_of(rule: &Prize, list: &EligibleList, randomness_hex: &str) -> Option<Vec<(String, Option<String>)>> {
    let wanted = rule.winners as usize;
    match (rule.mode, rule.per_day) {
        (PrizeMode::Top, _) => {
            let mut ordered: Vec<&Entrant> = list.entrants.iter().collect();
            ordered.sort_by(|a, b| {
                b.score
                    .cmp(&a.score)
                    .then(a.duration_ms.cmp(&b.duration_ms))
                    .then(a.at_ms.cmp(&b.at_ms))
                    .then(a.entrant.cmp(&b.entrant))
            });
            Some(ordered.into_iter().take(wanted).map(|e| (e.entrant.clone(), None)).collect())
        }
        (PrizeMode::Lottery, None) => {
            let ids: Vec<&str> = list.entrants.iter().map(|e| e.entrant.as_str()).collect();
            Some(pick(randomness_hex, &ids, wanted)?.into_iter().map(|e| (e.to_owned(), None)).collect())
        }
        (PrizeMode::Lottery, Some(per_day)) => {
            let mut won: HashSet<String> = HashSet::new();
            let mut all = Vec::new();
            for day in &list.days {
                // One prize per person: who won on an earlier day is not in later lotteries.
                let ids: Vec<&str> =
                    day.entrants.iter().map(|e| e.entrant.as_str()).filter(|e| !won.contains(*e)).collect();
                for winner in pick(&day_randomness(randomness_hex, &day.day), &ids, per_day as usize)? {
                    won.insert(winner.to_owned());
                    all.push((winner.to_owned(), Some(day.day.clone())));
                }
            }
            Some(all)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the draw has not been run yet (state {0:?})")]
    NotDrawn(DrawState),
    #[error("the seed does not match the commitment published before the draw")]
    CommitmentMismatch,
    #[error("the seed is not 64 hex characters")]
    BadSeed,
    #[error("no beacon: the draw's public randomness is missing")]
    NoBeacon,
    #[error("the randomness is not SHA-256 of this seed, this beacon and the list's hash")]
    RandomnessMismatch,
    #[error("entrant {entrant} breaks the published rule: {problem}")]
    RuleBroken { entrant: String, problem: RuleBreak },
    #[error("entrant {0} is on the eligible list twice")]
    Repeated(String),
    #[error("the eligible list is not the one whose hash was published when it was fixed")]
    ListChanged,
    #[error("eligible_count says {said}, the list has {counted}")]
    CountDiffers { said: u64, counted: u64 },
    #[error("re-running the draw with this seed and beacon gives other winners: {expected:?}")]
    WinnersDiffer { expected: Vec<String> },
    #[error("winner {entrant} is published with {what} other than the fixed eligible list holds")]
    WinnerAltered { entrant: String, what: &'static str },
}

/// Re-runs a public draw record from its bytes alone; the winners' pseudonyms when it holds.
pub fn verify(record: &PublicDraw) -> Result<Vec<String>, VerifyError> {
    if record.state != DrawState::Drawn {
        return Err(VerifyError::NotDrawn(record.state));
    }
    let seed = record.seed.as_deref().ok_or(VerifyError::BadSeed)?;
    if bytes32_from_hex(seed).is_none() {
        return Err(VerifyError::BadSeed);
    }
    if record.commitment.as_deref() != Some(commitment_of(seed).as_str()) {
        return Err(VerifyError::CommitmentMismatch);
    }
    let beacon = record.beacon.as_deref().filter(|b| !b.trim().is_empty()).ok_or(VerifyError::NoBeacon)?;
    let list = record.eligible.as_ref().ok_or(VerifyError::ListChanged)?;
    // The rule first: a reader learns what is wrong with an entry, not only that bytes differ.
    for entrants in std::iter::once(&list.entrants).chain(list.days.iter().map(|d| &d.entrants)) {
        let mut seen = HashSet::new();
        for entry in entrants {
            check_entry(&record.rule, entry)
                .map_err(|problem| VerifyError::RuleBroken { entrant: entry.entrant.clone(), problem })?;
            if !seen.insert(entry.entrant.as_str()) {
                return Err(VerifyError::Repeated(entry.entrant.clone()));
            }
        }
    }
    let hash = list.sha256();
    if record.eligible_sha256.as_deref() != Some(hash.as_str()) {
        return Err(VerifyError::ListChanged);
    }
    let counted = list.count();
    if let Some(said) = record.eligible_count
        && said != counted
    {
        return Err(VerifyError::CountDiffers { said, counted });
    }
    let randomness = randomness(seed, beacon, &hash);
    if record.randomness.as_deref() != Some(randomness.as_str()) {
        return Err(VerifyError::RandomnessMismatch);
    }
    let expected = winners_of(&record.rule, list, &randomness).ok_or(VerifyError::BadSeed)?;
    let expected: Vec<String> = expected.into_iter().map(|(e, _)| e).collect();
    let published: Vec<String> = record.winners.iter().map(|w| w.entrant.clone()).collect();
    if expected != published {
        return Err(VerifyError::WinnersDiffer { expected });
    }
    for winner in &record.winners {
        let altered = |what| VerifyError::WinnerAltered { entrant: winner.entrant.clone(), what };
        let entry = list.entry(&winner.entrant, winner.day.as_deref()).ok_or_else(|| altered("a day"))?;
        if entry.score != winner.score {
            return Err(altered("a score"));
        }
        if contact_digest(&winner.contact_nonce, &winner.display_name, &winner.phone_masked) != entry.contact {
            return Err(altered("a name or phone"));
        }
    }
    Ok(expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_randomness_and_list_pick_the_same_winners_and_any_change_moves_them() {
        let (seed, commitment) = new_commitment();
        assert_eq!(commitment_of(&seed), commitment);
        let names: Vec<String> = (0..50).map(|i| format!("{i:016x}")).collect();
        let ids: Vec<&str> = names.iter().map(String::as_str).collect();
        let r = randomness(&seed, "福彩3D 2026340期 5 8 1", &"0".repeat(64));
        let a = pick(&r, &ids, 5).expect("picked");
        assert_eq!(Some(a.clone()), pick(&r, &ids, 5));
        assert_eq!(a.iter().collect::<HashSet<_>>().len(), 5, "one prize per person");
        let other = randomness(&seed, "福彩3D 2026340期 5 8 2", &"0".repeat(64));
        assert_ne!(pick(&other, &ids, 5), Some(a), "another beacon, other winners");
        assert_eq!(pick(&r, &ids[..3], 5).map(|w| w.len()), Some(3));
    }
}
