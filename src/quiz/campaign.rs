//! Campaigns: what a campaign is, how its settings are checked, and its state over time.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use super::draw::{DrawRule, Quota};
use crate::clock::{shanghai_day, shanghai_midnight};
use crate::db::entity::campaign;
pub use crate::prize::{Prize, PrizeMode};
use crate::problems::FieldProblem;
pub use crate::scores::Ranking;
use crate::scores::{LiveMeasure, Scoring};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reveal {
    /// Right answer and explanation right after each answer: for learning.
    AfterEach,
    /// Only when the session finishes: for competitions.
    AtEnd,
}

/// A campaign as an admin sends it (API body or campaign file).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignSpec {
    #[schema(pattern = r"^[a-z0-9-]{3,64}$", example = "2026-spring-quiz")]
    pub slug: String,
    /// 1 to 100 characters after trimming.
    #[schema(min_length = 1, max_length = 100)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: String,
    /// Required through the API; a campaign file may leave the dates out to open on the day it is
    /// first loaded and run `days` days (the demo campaign does).
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    pub opens_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    #[schema(required = true, nullable = false)]
    pub closes_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub days: Option<u32>,
    #[schema(minimum = 1, maximum = 100)]
    pub question_count: u32,
    #[serde(default)]
    pub quotas: Vec<Quota>,
    #[serde(default)]
    pub banks: Vec<String>,
    #[schema(minimum = 30, maximum = 7200)]
    pub time_limit_secs: u32,
    #[schema(minimum = 1, maximum = 100)]
    pub attempts_per_day: u32,
    /// 0 = no limit in all (only per day).
    #[serde(default)]
    pub max_attempts: u32,
    #[serde(default = "default_points")]
    #[schema(minimum = 1, maximum = 100)]
    pub points_per_question: u32,
    /// The least time a person needs for an answer, in seconds (from the previous answer, or the
    /// start); a session with three answers faster than this is kept off the boards and out of the
    /// draw until staff look at it. 0 turns the check off.
    #[serde(default = "default_min_secs_per_answer")]
    #[schema(minimum = 0, maximum = 60)]
    pub min_secs_per_answer: f64,
    pub reveal: Reveal,
    pub ranking: Ranking,
    pub prize: Prize,
    #[serde(default)]
    pub published: bool,
}

fn default_points() -> u32 {
    5
}

/// Measured on the shipped bank: the shortest judge stem is about 20 characters, which an adult
/// reads at 5–8 characters a second, and a tap takes half a second; 2 s is below any person who
/// reads the question at all, and far above a script (tens of milliseconds).
pub const DEFAULT_MIN_SECS_PER_ANSWER: f64 = 2.0;

fn default_min_secs_per_answer() -> f64 {
    DEFAULT_MIN_SECS_PER_ANSWER
}

/// A checked campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub question_count: u32,
    pub quotas: Vec<Quota>,
    pub banks: Vec<String>,
    pub time_limit_secs: u32,
    pub attempts_per_day: u32,
    pub max_attempts: u32,
    pub points_per_question: u32,
    /// Answers faster than this after the previous one count as quick (see `quiz::plausibility`).
    pub min_ms_per_answer: u32,
    pub reveal: Reveal,
    pub ranking: Ranking,
    pub prize: Prize,
    pub published: bool,
    /// The prize draw's commitment (SHA-256 of its secret seed), public once published.
    pub draw_commitment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CampaignState {
    Upcoming,
    Open,
    Closed,
}

impl Campaign {
    pub fn state(&self, now: DateTime<Utc>) -> CampaignState {
        if now < self.opens_at {
            CampaignState::Upcoming
        } else if now < self.closes_at {
            CampaignState::Open
        } else {
            CampaignState::Closed
        }
    }

    pub fn rule(&self) -> DrawRule {
        DrawRule { banks: self.banks.clone(), quotas: self.quotas.clone(), count: self.question_count }
    }

    /// What the boards need to know of this campaign.
    pub fn scoring(&self) -> Scoring {
        Scoring {
            id: self.id,
            slug: self.slug.clone(),
            ranking: self.ranking,
            opens_at: self.opens_at,
            closes_at: self.closes_at,
            live_by: if self.reveal == Reveal::AtEnd { LiveMeasure::Answered } else { LiveMeasure::Points },
        }
    }

    /// What the prize draw needs to know of this campaign.
    /// `grace`: how long past its deadline an answer still counts (so the last session settles then).
    pub fn prize_campaign(&self, grace: chrono::Duration) -> crate::prize::PrizeCampaign {
        crate::prize::PrizeCampaign {
            id: self.id,
            slug: self.slug.clone(),
            ranking: self.ranking,
            prize: self.prize.clone(),
            commitment: self.draw_commitment.clone(),
            settles_at: self.closes_at + chrono::Duration::seconds(i64::from(self.time_limit_secs)) + grace,
        }
    }

    pub fn max_score(&self) -> u32 {
        self.question_count * self.points_per_question
    }

    pub fn from_row(row: campaign::Model) -> Self {
        let count = |v: i32| u32::try_from(v).unwrap_or(0);
        Self {
            id: row.id,
            quotas: serde_json::from_str(&row.quotas).unwrap_or_default(),
            banks: serde_json::from_str(&row.banks).unwrap_or_default(),
            prize: serde_json::from_str(&row.prize).unwrap_or(Prize {
                mode: PrizeMode::Top,
                winners: 0,
                min_score: None,
                per_day: None,
                verified_only: false,
            }),
            reveal: if row.reveal == "at_end" { Reveal::AtEnd } else { Reveal::AfterEach },
            ranking: Ranking::parse(&row.ranking),
            slug: row.slug,
            title: row.title,
            description: row.description,
            opens_at: row.opens_at,
            closes_at: row.closes_at,
            question_count: count(row.question_count),
            time_limit_secs: count(row.time_limit_secs),
            attempts_per_day: count(row.attempts_per_day),
            max_attempts: count(row.max_attempts),
            points_per_question: count(row.points_per_question),
            min_ms_per_answer: count(row.min_ms_per_answer),
            published: row.published,
            draw_commitment: row.draw_commitment,
        }
    }
}

fn slug_ok(slug: &str) -> bool {
    (3..=64).contains(&slug.len()) && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl CampaignSpec {
    /// Checks every rule that does not need the question bank; the dates default for files.
    /// `existing` dates are kept when a file leaves them out (re-loading must not move them).
    pub fn check(
        self,
        now: DateTime<Utc>,
        from_file: bool,
        existing: Option<(DateTime<Utc>, DateTime<Utc>)>,
    ) -> Result<Campaign, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let mut bad = |field: &str, problem: &str| {
            problems.push(FieldProblem { field: field.to_owned(), problem: problem.to_owned() });
        };
        if !slug_ok(&self.slug) {
            bad("slug", "3–64 lowercase letters, digits or '-'");
        }
        let title_len = self.title.trim().chars().count();
        if !(1..=100).contains(&title_len) {
            bad("title", "1–100 characters");
        }
        if self.description.chars().count() > 5000 {
            bad("description", "at most 5000 characters");
        }
        let mut dates_missing = false;
        let (opens_at, closes_at) = match (self.opens_at, self.closes_at, existing) {
            (Some(o), Some(c), _) => (o.with_timezone(&Utc), c.with_timezone(&Utc)),
            (None, None, Some(dates)) if from_file => dates,
            (None, None, None) if from_file => {
                let opens = shanghai_midnight(shanghai_day(now));
                (opens, opens + chrono::Duration::days(i64::from(self.days.unwrap_or(30).clamp(1, 366))))
            }
            _ => {
                dates_missing = true;
                bad("opens_at", "opens_at and closes_at are required (RFC 3339, e.g. 2026-12-01T00:00:00+08:00)");
                (now, now)
            }
        };
        // A file may write `{year}` in its title and text: the year the campaign opens in
        // (Asia/Shanghai), so a demo loaded in any year says the year it actually runs in.
        let year = shanghai_day(opens_at).format("%Y").to_string();
        let (title, description) = if from_file {
            (self.title.replace("{year}", &year), self.description.replace("{year}", &year))
        } else {
            (self.title.clone(), self.description.clone())
        };
        if closes_at <= opens_at && !dates_missing {
            bad("closes_at", "must be after opens_at");
        }
        if !(1..=100).contains(&self.question_count) {
            bad("question_count", "1–100 questions");
        }
        for quota in &self.quotas {
            if quota.count == 0 {
                bad("quotas", "every quota needs a count of at least 1");
            }
            if quota.difficulty.is_some_and(|d| !(1..=3).contains(&d)) {
                bad("quotas", "difficulty is 1, 2 or 3");
            }
        }
        // Wide sums: counts near u32::MAX must be refused, not overflow.
        let quota_sum: u64 = self.quotas.iter().map(|q| u64::from(q.count)).sum();
        if !self.quotas.is_empty() && quota_sum != u64::from(self.question_count) {
            bad("quotas", &format!("the quotas add up to {quota_sum}, not question_count {}", self.question_count));
        }
        if !(30..=7200).contains(&self.time_limit_secs) {
            bad("time_limit_secs", "30 seconds to 2 hours");
        }
        if !(1..=100).contains(&self.attempts_per_day) {
            bad("attempts_per_day", "1–100");
        }
        if !(1..=100).contains(&self.points_per_question) {
            bad("points_per_question", "1–100");
        }
        if !(0.0..=60.0).contains(&self.min_secs_per_answer) {
            bad("min_secs_per_answer", "0–60 seconds");
        }
        if self.prize.per_day.is_some_and(|n| n == 0 || n > 10_000)
            || (self.prize.per_day.is_some() && self.prize.mode != PrizeMode::Lottery)
        {
            bad("prize.per_day", "1–10000, and only with mode lottery");
        }
        if !(1..=10_000).contains(&self.prize.winners) {
            bad("prize.winners", "1–10000");
        }
        let most_points = u64::from(self.question_count) * u64::from(self.points_per_question);
        if self.prize.min_score.is_some_and(|s| u64::from(s) > most_points) {
            bad("prize.min_score", "higher than the most points a quiz can give");
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Campaign {
            id: 0,
            slug: self.slug,
            title: title.trim().to_owned(),
            description,
            opens_at,
            closes_at,
            question_count: self.question_count,
            quotas: self.quotas,
            banks: self.banks,
            time_limit_secs: self.time_limit_secs,
            attempts_per_day: self.attempts_per_day,
            max_attempts: self.max_attempts,
            points_per_question: self.points_per_question,
            min_ms_per_answer: (self.min_secs_per_answer * 1000.0).round() as u32,
            reveal: self.reveal,
            ranking: self.ranking,
            prize: self.prize,
            published: self.published,
            draw_commitment: None,
        })
    }
}

/// A campaign as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CampaignView {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub opens_at: DateTime<FixedOffset>,
    pub closes_at: DateTime<FixedOffset>,
    pub state: CampaignState,
    pub question_count: u32,
    pub quotas: Vec<Quota>,
    pub banks: Vec<String>,
    pub time_limit_secs: u32,
    pub attempts_per_day: u32,
    pub max_attempts: u32,
    pub points_per_question: u32,
    pub min_secs_per_answer: f64,
    pub max_score: u32,
    pub reveal: Reveal,
    pub ranking: Ranking,
    pub prize: Prize,
    pub published: bool,
    /// SHA-256 commitment to the prize draw's seed (see GET /campaigns/{slug}/draw).
    #[schema(required = true)]
    pub draw_commitment: Option<String>,
    /// The server's clock now: a phone counts down against it, not against its own clock.
    pub server_time: DateTime<FixedOffset>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub me: Option<MyCampaign>,
}

/// The signed-in resident's standing in a campaign.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyCampaign {
    pub attempts_today: u32,
    pub attempts_left: u32,
    pub attempts: u32,
    #[schema(required = true)]
    pub best: Option<i32>,
    #[schema(required = true)]
    pub in_progress: Option<String>,
}

impl CampaignView {
    pub fn new(c: &Campaign, now: DateTime<Utc>, me: Option<MyCampaign>) -> Self {
        let tz = crate::clock::shanghai();
        Self {
            slug: c.slug.clone(),
            title: c.title.clone(),
            description: c.description.clone(),
            opens_at: c.opens_at.with_timezone(&tz),
            closes_at: c.closes_at.with_timezone(&tz),
            state: c.state(now),
            question_count: c.question_count,
            quotas: c.quotas.clone(),
            banks: c.banks.clone(),
            time_limit_secs: c.time_limit_secs,
            attempts_per_day: c.attempts_per_day,
            max_attempts: c.max_attempts,
            points_per_question: c.points_per_question,
            min_secs_per_answer: f64::from(c.min_ms_per_answer) / 1000.0,
            max_score: c.max_score(),
            reveal: c.reveal,
            ranking: c.ranking,
            prize: c.prize.clone(),
            published: c.published,
            draw_commitment: c.draw_commitment.clone(),
            server_time: now.with_timezone(&tz),
            me,
        }
    }
}
