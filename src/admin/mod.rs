//! Staff operations: statistics, exports, the verifiable prize draw, account management and the
//! audit log. Every admin write goes through `AdminOps`, which does it and records it.

pub mod audit;
pub mod draw;
pub mod exports;
pub mod stats;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr};
use serde::Serialize;
use serde_json::json;

use self::audit::AuditLog;
use self::draw::{DrawRecord, Eligible, pick_winners};
use crate::accounts::{AccountError, Accounts, Password, mask_phone};
use crate::bank::{BankError, Banks, Format, ImportReport};
use crate::db::entity::{campaign as campaign_row, user};
use crate::quiz::{CampaignSpec, CampaignView, Quiz, QuizError};
use crate::scores::RebuildReport;
use crate::scores::board::{board_order, entries_by_user};
use crate::scores::service::{ScoresError, finished_sessions};

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Quiz(#[from] QuizError),
    #[error(transparent)]
    Bank(#[from] BankError),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Scores(#[from] ScoresError),
    #[error(transparent)]
    Db(#[from] DbErr),
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

pub const DRAW_METHOD: &str = "eligible = finished participants (staff excluded) by the prize rule, one entry per person, \
in ascending user_id; lottery winners = the first `winners_wanted` of a partial Fisher-Yates shuffle of that list driven by \
ChaCha20 seeded with the 32 bytes of `seed` (j = uniform in i..n, swap i and j); top = the first N on the board; \
with per_day, one such lottery per Asia/Shanghai day (in day order) over that day's qualifiers who have not won yet, seeded with SHA-256 of \"{seed}:{day}\"; commitment = SHA-256 of the seed's 64 hex characters. `pufa draw verify FILE` re-runs it.";

#[derive(Clone)]
pub struct AdminOps {
    db: DatabaseConnection,
    audit: AuditLog,
    accounts: Accounts,
    banks: Banks,
    quiz: Quiz,
}

impl AdminOps {
    pub fn new(db: DatabaseConnection, accounts: Accounts, banks: Banks, quiz: Quiz) -> Self {
        Self { audit: AuditLog::new(db.clone()), db, accounts, banks, quiz }
    }

    pub fn audit(&self) -> &AuditLog {
        &self.audit
    }

    async fn record(
        &self,
        actor: Option<i64>,
        action: &str,
        target: &str,
        details: serde_json::Value,
    ) -> Result<(), AdminError> {
        self.audit.record(actor, action, target, details).await?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn import_bank(
        &self,
        actor: i64,
        bytes: &[u8],
        format: Format,
        name: &str,
        bank: Option<&str>,
        title: Option<&str>,
        dry_run: bool,
    ) -> Result<ImportReport, AdminError> {
        let report = self.banks.import_bytes(bytes, format, name, bank, title, dry_run).await?;
        if !dry_run {
            self.record(Some(actor), "bank.import", &report.bank.key, json!(report)).await?;
        }
        Ok(report)
    }

    pub async fn save_campaign(
        &self,
        actor: i64,
        spec: CampaignSpec,
        slug: Option<&str>,
    ) -> Result<CampaignView, AdminError> {
        let action = if slug.is_some() { "campaign.update" } else { "campaign.create" };
        let view = self.quiz.save_campaign(spec, slug, false).await?;
        self.record(
            Some(actor),
            action,
            &view.slug,
            json!({"published": view.published, "opens_at": view.opens_at, "closes_at": view.closes_at}),
        )
        .await?;
        Ok(view)
    }

    pub async fn rebuild_boards(&self, actor: i64, slug: &str) -> Result<RebuildReport, AdminError> {
        let campaign = self.quiz.published(slug).await?;
        let report = self.quiz.scores().rebuild(&campaign).await?;
        self.record(Some(actor), "scores.rebuild", slug, json!(report)).await?;
        Ok(report)
    }

    pub async fn reset_password(&self, actor: i64, user_id: i64) -> Result<Password, AdminError> {
        let password = self.accounts.reset_password(user_id).await?;
        self.record(Some(actor), "account.reset_password", &user_id.to_string(), json!({})).await?;
        Ok(password)
    }

    pub async fn set_disabled(&self, actor: i64, user_id: i64, disabled: bool) -> Result<(), AdminError> {
        self.accounts.set_disabled(user_id, disabled).await?;
        let action = if disabled { "account.disable" } else { "account.enable" };
        self.record(Some(actor), action, &user_id.to_string(), json!({})).await
    }

    pub async fn promote(&self, actor: i64, user_id: i64) -> Result<(), AdminError> {
        self.accounts.promote(user_id).await?;
        self.record(Some(actor), "account.promote", &user_id.to_string(), json!({})).await
    }

    /// An admin created from the command line (no signed-in actor).
    pub async fn create_admin_from_cli(
        &self,
        phone: &crate::accounts::Phone,
        name: &crate::accounts::DisplayName,
        password: &Password,
    ) -> Result<i64, AdminError> {
        let id = self.accounts.create_admin(phone, name, password).await?;
        self.record(None, "account.create_admin", &id.to_string(), json!({"phone": phone.masked()})).await?;
        Ok(id)
    }

    /// Runs the prize draw once, after the campaign closed; later calls return the same record.
    pub async fn run_draw(&self, actor: i64, slug: &str) -> Result<DrawRecord, AdminError> {
        let row = self.quiz.campaign_row_by_slug(slug).await?;
        if let Some(done) = row.draw_result.as_deref().and_then(|r| serde_json::from_str::<DrawRecord>(r).ok()) {
            return Ok(done);
        }
        let campaign = self.quiz.published(slug).await?;
        if self.quiz.now() < campaign.closes_at {
            return Err(QuizError::CampaignStillOpen.into());
        }
        let (Some(seed), Some(commitment)) = (row.draw_seed.clone(), row.draw_commitment.clone()) else {
            return Err(QuizError::NotFound.into());
        };
        let sessions = finished_sessions(&self.db, campaign.id, None).await?;
        let order = board_order(entries_by_user(campaign.ranking, sessions.iter()));
        let users: std::collections::HashMap<i64, user::Model> = {
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
            user::Entity::find()
                .filter(user::Column::Id.is_in(order.iter().map(|(u, _)| *u)))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|u| (u.id, u))
                .collect()
        };
        // Staff and disabled accounts never win; each person appears once (one board row each).
        let candidates: Vec<Eligible> = order
            .iter()
            .filter_map(|(user_id, entry)| {
                let u = users.get(user_id)?;
                (u.role != "admin" && !u.disabled).then(|| Eligible {
                    user_id: *user_id,
                    display_name: u.display_name.clone(),
                    phone_masked: mask_phone(&u.phone),
                    score: entry.points,
                })
            })
            .collect();
        let wanted = campaign.prize.winners as usize;
        let mut days = Vec::new();
        let (mode, mut eligible, winners) = match campaign.prize.mode {
            crate::quiz::campaign::PrizeMode::Lottery if campaign.prize.per_day.is_some() => {
                let per_day = campaign.prize.per_day.unwrap_or(1);
                let min = i64::from(campaign.prize.min_score.unwrap_or(0));
                let allowed: std::collections::HashMap<i64, &Eligible> =
                    candidates.iter().map(|e| (e.user_id, e)).collect();
                let mut by_day: std::collections::BTreeMap<String, std::collections::BTreeSet<i64>> =
                    Default::default();
                for s in sessions.iter().filter(|s| i64::from(s.score) >= min && allowed.contains_key(&s.user_id)) {
                    by_day
                        .entry(crate::quiz::clock::shanghai_day(s.finished_at).to_string())
                        .or_default()
                        .insert(s.user_id);
                }
                let mut all_winners = Vec::new();
                let mut won: std::collections::HashSet<i64> = Default::default();
                for (day, users) in by_day {
                    // One prize per person: who won on an earlier day is not in later lotteries.
                    let ids: Vec<i64> = users.into_iter().filter(|u| !won.contains(u)).collect();
                    let picked = pick_winners(&draw::day_seed(&seed, &day), &ids, per_day as usize).unwrap_or_default();
                    let show = |id: &i64| allowed.get(id).map(|e| Eligible { score: e.score, ..(*e).clone() });
                    let day_winners: Vec<Eligible> = picked.iter().filter_map(show).collect();
                    won.extend(&picked);
                    all_winners.extend(day_winners.clone());
                    days.push(draw::DayDraw {
                        day,
                        winners_wanted: per_day,
                        eligible: ids.iter().filter_map(show).collect(),
                        winners: day_winners,
                    });
                }
                ("lottery", Vec::new(), all_winners)
            }
            crate::quiz::campaign::PrizeMode::Top => {
                let top: Vec<Eligible> = candidates.into_iter().take(wanted).collect();
                ("top", top.clone(), top)
            }
            crate::quiz::campaign::PrizeMode::Lottery => {
                let min = i64::from(campaign.prize.min_score.unwrap_or(0));
                let mut pool: Vec<Eligible> = candidates.into_iter().filter(|e| e.score >= min).collect();
                pool.sort_by_key(|e| e.user_id);
                let ids: Vec<i64> = pool.iter().map(|e| e.user_id).collect();
                let picked = pick_winners(&seed, &ids, wanted).unwrap_or_default();
                let winners = picked.iter().filter_map(|id| pool.iter().find(|e| e.user_id == *id).cloned()).collect();
                ("lottery", pool, winners)
            }
        };
        eligible.sort_by_key(|e| e.user_id);
        let record = DrawRecord {
            campaign: campaign.slug.clone(),
            mode: mode.to_owned(),
            winners_wanted: campaign.prize.winners,
            min_score: campaign.prize.min_score,
            commitment,
            seed,
            eligible,
            winners,
            drawn_at: self.quiz.now(),
            days,
        };
        let mut model: campaign_row::ActiveModel = row.into();
        model.draw_result = Set(Some(serde_json::to_string(&record).unwrap_or_default()));
        model.update(&self.db).await?;
        let winner_ids: Vec<i64> = record.winners.iter().map(|w| w.user_id).collect();
        self.record(Some(actor), "draw.run", slug, json!({"eligible": record.eligible.len(), "winners": winner_ids}))
            .await?;
        Ok(record)
    }

    /// The commitment (from publication on) and, after the draw, the whole public record.
    pub async fn public_draw(&self, slug: &str) -> Result<PublicDraw, AdminError> {
        let row = self.quiz.campaign_row_by_slug(slug).await?;
        if !row.published {
            return Err(QuizError::NotFound.into());
        }
        let record = row.draw_result.as_deref().and_then(|r| serde_json::from_str::<DrawRecord>(r).ok());
        Ok(PublicDraw {
            campaign: row.slug,
            commitment: row.draw_commitment,
            drawn: record.is_some(),
            method: DRAW_METHOD,
            record,
        })
    }

    pub async fn stats(&self, slug: &str) -> Result<stats::CampaignStats, AdminError> {
        let campaign = self.quiz.published(slug).await?;
        Ok(stats::campaign_stats(&self.db, self.accounts.regions(), &campaign).await?)
    }

    pub async fn results(&self, slug: &str) -> Result<exports::ResultsExport, AdminError> {
        let campaign = self.quiz.published(slug).await?;
        Ok(exports::ResultsExport::new(self.db.clone(), self.accounts.regions().clone(), &campaign).await?)
    }
}
