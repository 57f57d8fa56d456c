//! Prizes: the campaign's prize rule, who may win (`eligibility`), and the verifiable draw (`draw`).
//! `fix_eligible` fixes the list once every session of a campaign could have finished; `draw`
//! runs the rule over that list with the staff's beacon. Staff operations (`admin`) call both,
//! store what they return and audit it.

pub mod draw;
pub mod eligibility;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use self::draw::{DrawState, PublicDraw, Winner, randomness, winners_of};
use self::eligibility::{Contact, EligibleList, Person, eligible_list};
use crate::clock::shanghai_day;
use crate::db::entity::user;
use crate::scores::{FinishedSession, Ranking, entries_by_user, finished_sessions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrizeMode {
    Top,
    Lottery,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Prize {
    pub mode: PrizeMode,
    #[schema(minimum = 1, maximum = 10000)]
    pub winners: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_score: Option<u32>,
    /// Lottery only: draw this many winners for each Asia/Shanghai day among that day's
    /// qualifiers (a session finished that day meeting `min_score`), instead of `winners` overall.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 10000)]
    pub per_day: Option<u32>,
    /// Only residents whose phone was verified by an SMS code may win (the default: one entry per
    /// real phone is what makes a lottery fair).
    #[serde(default = "verified_only_by_default")]
    pub verified_only: bool,
}

fn verified_only_by_default() -> bool {
    true
}

/// What a draw needs to know of its campaign.
#[derive(Debug, Clone)]
pub struct PrizeCampaign {
    pub id: i64,
    pub slug: String,
    pub ranking: Ranking,
    pub prize: Prize,
    pub commitment: Option<String>,
    /// When every session could have finished: the eligible list is fixed from then on.
    pub settles_at: DateTime<Utc>,
}

pub const DRAW_METHOD: &str = "entrants = residents with a counted attempt (finished, plausible, account kept), once each, \
no staff, meeting min_score (and a verified phone with verified_only), named by pseudonym = first 16 hex of \
SHA-256(\"entrant:{commitment}:{user id}\"), in ascending pseudonym order; eligible_sha256 = SHA-256 of the list's compact \
JSON, published when the list was fixed; randomness = SHA-256(\"{seed}:{beacon}:{eligible_sha256}\") where the beacon is a \
public random value drawn after the list was fixed; lottery winners = the first `winners` of a partial Fisher-Yates shuffle \
of the entrants driven by ChaCha20 seeded with the 32 bytes of the randomness (j = uniform in i..n, swap i and j); top = \
the first `winners` by points, then shorter time, then earlier finish, then pseudonym; per_day = one such lottery a day in \
day order, randomness SHA-256(\"{randomness}:{day}\"), over that day's entrants who have not won yet; commitment = SHA-256 \
of the seed's 64 hex characters; each entry's contact = SHA-256(\"contact:{nonce}:{display_name}:{phone_masked}\"), the \
nonce revealed for winners only (contact_nonce), so a winner's name is fixed with the list. `pufa draw verify FILE` re-runs all of it from the published JSON.";

/// A fixed eligible list, and each pseudonym's private half (for staff only).
#[derive(Debug, Clone)]
pub struct FixedList {
    pub list: EligibleList,
    pub contacts: HashMap<String, Contact>,
}

async fn people(db: &DatabaseConnection, ids: impl Iterator<Item = i64>) -> Result<HashMap<i64, Person>, DbErr> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, Person::from_row(u)))
        .collect())
}

/// The eligible list of a campaign as SQL holds it now, each contact under a fresh random nonce.
pub async fn fix_eligible(db: &DatabaseConnection, campaign: &PrizeCampaign) -> Result<FixedList, DbErr> {
    let sessions = finished_sessions(db, campaign.id, None).await?;
    let standings = entries_by_user(campaign.ranking, sessions.iter());
    let mut by_day: BTreeMap<String, Vec<&FinishedSession>> = BTreeMap::new();
    for s in &sessions {
        by_day.entry(shanghai_day(s.finished_at).to_string()).or_default().push(s);
    }
    let days: BTreeMap<String, _> =
        by_day.into_iter().map(|(day, list)| (day, entries_by_user(campaign.ranking, list.into_iter()))).collect();
    let people = people(db, standings.keys().copied()).await?;
    let commitment = campaign.commitment.clone().unwrap_or_default();
    let mut nonce = || crate::digest::hex(&rand::random::<[u8; 16]>());
    let (list, contacts) = eligible_list(&campaign.prize, &commitment, &standings, &days, &people, &mut nonce);
    Ok(FixedList { list, contacts })
}

/// Runs the draw over the fixed list with `beacon`: the public record, winners announced with the
/// name and masked phone fixed with the list, each with the nonce that opens its `contact`.
pub fn draw(
    campaign: &PrizeCampaign,
    fixed: &FixedList,
    fixed_at: DateTime<Utc>,
    seed: &str,
    beacon: &str,
    now: DateTime<Utc>,
) -> PublicDraw {
    let hash = fixed.list.sha256();
    let randomness = randomness(seed, beacon, &hash);
    let picked = winners_of(&campaign.prize, &fixed.list, &randomness).unwrap_or_default();
    let winners = picked
        .into_iter()
        .filter_map(|(entrant, day)| {
            let entry = fixed.list.entry(&entrant, day.as_deref())?;
            let contact = fixed.contacts.get(&entrant)?;
            Some(Winner {
                score: entry.score,
                display_name: contact.display_name.clone(),
                phone_masked: contact.phone_masked.clone(),
                contact_nonce: contact.nonce.clone(),
                entrant,
                day,
            })
        })
        .collect();
    PublicDraw {
        campaign: campaign.slug.clone(),
        state: DrawState::Drawn,
        rule: campaign.prize.clone(),
        method: DRAW_METHOD.to_owned(),
        commitment: campaign.commitment.clone(),
        eligible_fixed_at: Some(fixed_at),
        eligible_count: Some(fixed.list.count()),
        eligible_sha256: Some(hash),
        eligible: Some(fixed.list.clone()),
        beacon: Some(beacon.to_owned()),
        randomness: Some(randomness),
        seed: Some(seed.to_owned()),
        winners,
        drawn_at: Some(now),
    }
}
