//! What the API shows of boards and regions (never a phone).

use serde::Serialize;

use super::LiveMeasure;
use crate::accounts::RegionRef;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct LeaderboardEntry {
    pub rank: u64,
    pub display_name: String,
    pub region: RegionRef,
    pub score: i64,
    pub duration_ms: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct MyRank {
    pub rank: u64,
    pub score: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Leaderboard {
    pub board: String,
    /// What `score` is on this board: points, or (the live board of a campaign that keeps
    /// correctness secret until the end) questions answered.
    pub measure: LiveMeasure,
    pub entries: Vec<LeaderboardEntry>,
    pub total: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub me: Option<MyRank>,
}

/// The level of `GET /campaigns/{slug}/regions?level=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum RegionLevel {
    Township,
    Village,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RegionStat {
    pub code: String,
    pub name: String,
    pub participants: u64,
    pub residents: u32,
    /// participants / registered residents; null while the bureau has not filled in residents.
    #[schema(required = true)]
    pub participation_rate: Option<f64>,
    #[schema(required = true)]
    pub average_score: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RebuildReport {
    pub campaign: String,
    pub users: usize,
    pub finished_sessions: usize,
    pub sessions_in_progress: usize,
}

/// Public fields of a user on boards: never the phone.
pub(super) fn card(display_name: &str, region_code: &str) -> String {
    format!("{display_name}\u{1f}{region_code}")
}

pub(super) fn parse_card(card: Option<&str>) -> (String, String) {
    card.and_then(|c| c.split_once('\u{1f}'))
        .map_or_else(|| ("?".into(), String::new()), |(n, r)| (n.to_owned(), r.to_owned()))
}
