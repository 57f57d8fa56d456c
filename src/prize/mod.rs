//! Prizes: the campaign's prize rule, who may win (`eligibility`), and the verifiable draw
//! (`draw`). `run_draw` applies them to what SQL holds once a campaign has closed; staff
//! operations (`admin`) call it, store its record and audit it.

pub mod draw;
pub mod eligibility;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use self::draw::{DayDraw, DrawRecord, Eligible, day_seed, pick_winners};
use self::eligibility::{Person, candidates};
use crate::clock::shanghai_day;
use crate::db::entity::user;
use crate::scores::{Ranking, board_order, entries_by_user, finished_sessions};

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
}

/// What anyone may see of a campaign's prize draw.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PublicDraw {
    pub campaign: String,
    #[schema(required = true)]
    pub commitment: Option<String>,
    pub drawn: bool,
    /// How to check it: the algorithm, in words.
    pub method: &'static str,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = draw_record_fields)]
    pub record: Option<DrawRecord>,
}

/// The fields a run draw adds to `PublicDraw` (those of `DrawRecord` it does not have already),
/// none required: before the draw they are absent.
fn draw_record_fields() -> utoipa::openapi::Object {
    use utoipa::openapi::{RefOr, Schema};
    let mut fields = match <DrawRecord as utoipa::PartialSchema>::schema() {
        RefOr::T(Schema::Object(object)) => object,
        _ => utoipa::openapi::Object::new(),
    };
    fields.properties.retain(|name, _| name != "campaign" && name != "commitment");
    fields.required.clear();
    fields
}

/// What a draw needs to know of its campaign.
#[derive(Debug, Clone)]
pub struct PrizeCampaign {
    pub id: i64,
    pub slug: String,
    pub ranking: Ranking,
    pub prize: Prize,
}

pub const DRAW_METHOD: &str = "eligible = finished participants (staff excluded) by the prize rule, one entry per person, \
in ascending user_id; lottery winners = the first `winners_wanted` of a partial Fisher-Yates shuffle of that list driven by \
ChaCha20 seeded with the 32 bytes of `seed` (j = uniform in i..n, swap i and j); top = the first N on the board; \
with per_day, one such lottery per Asia/Shanghai day (in day order) over that day's qualifiers who have not won yet, seeded with SHA-256 of \"{seed}:{day}\"; commitment = SHA-256 of the seed's 64 hex characters. `pufa draw verify FILE` re-runs it.";

/// Runs a campaign's prize rule over what SQL holds: the candidates in board order, then the
/// top N, one lottery, or a lottery a day. The caller checks the campaign has closed.
pub async fn run_draw(
    db: &DatabaseConnection,
    campaign: &PrizeCampaign,
    seed: String,
    commitment: String,
    now: DateTime<Utc>,
) -> Result<DrawRecord, DbErr> {
    let sessions = finished_sessions(db, campaign.id, None).await?;
    let order = board_order(entries_by_user(campaign.ranking, sessions.iter()));
    let people: HashMap<i64, Person> = user::Entity::find()
        .filter(user::Column::Id.is_in(order.iter().map(|(u, _)| *u)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, Person::from_row(u)))
        .collect();
    let candidates = candidates(&order, &people);
    let rule = &campaign.prize;
    let wanted = rule.winners as usize;
    let min = i64::from(rule.min_score.unwrap_or(0));
    let mut days = Vec::new();
    let (mode, mut eligible, winners) = match (rule.mode, rule.per_day) {
        (PrizeMode::Lottery, Some(per_day)) => {
            let allowed: HashMap<i64, &Eligible> = candidates.iter().map(|e| (e.user_id, e)).collect();
            let mut by_day: BTreeMap<String, BTreeSet<i64>> = BTreeMap::new();
            for s in sessions.iter().filter(|s| i64::from(s.score) >= min && allowed.contains_key(&s.user_id)) {
                by_day.entry(shanghai_day(s.finished_at).to_string()).or_default().insert(s.user_id);
            }
            let mut all_winners = Vec::new();
            let mut won: HashSet<i64> = HashSet::new();
            for (day, users) in by_day {
                // One prize per person: who won on an earlier day is not in later lotteries.
                let ids: Vec<i64> = users.into_iter().filter(|u| !won.contains(u)).collect();
                let picked = pick_winners(&day_seed(&seed, &day), &ids, per_day as usize).unwrap_or_default();
                let show = |id: &i64| allowed.get(id).map(|e| (*e).clone());
                let day_winners: Vec<Eligible> = picked.iter().filter_map(show).collect();
                won.extend(&picked);
                all_winners.extend(day_winners.clone());
                days.push(DayDraw {
                    day,
                    winners_wanted: per_day,
                    eligible: ids.iter().filter_map(show).collect(),
                    winners: day_winners,
                });
            }
            ("lottery", Vec::new(), all_winners)
        }
        (PrizeMode::Top, _) => {
            let top: Vec<Eligible> = candidates.into_iter().take(wanted).collect();
            ("top", top.clone(), top)
        }
        (PrizeMode::Lottery, None) => {
            let mut pool: Vec<Eligible> = candidates.into_iter().filter(|e| e.score >= min).collect();
            pool.sort_by_key(|e| e.user_id);
            let ids: Vec<i64> = pool.iter().map(|e| e.user_id).collect();
            let picked = pick_winners(&seed, &ids, wanted).unwrap_or_default();
            let winners = picked.iter().filter_map(|id| pool.iter().find(|e| e.user_id == *id).cloned()).collect();
            ("lottery", pool, winners)
        }
    };
    eligible.sort_by_key(|e| e.user_id);
    Ok(DrawRecord {
        campaign: campaign.slug.clone(),
        mode: mode.to_owned(),
        winners_wanted: rule.winners,
        min_score: rule.min_score,
        commitment,
        seed,
        eligible,
        winners,
        drawn_at: now,
        days,
    })
}
