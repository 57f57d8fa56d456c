//! Staff operations: statistics, exports, the verifiable prize draw, account management, lessons
//! (`lessons.rs`) and the audit log. Every admin write goes through `AdminOps`, which does it and
//! records it.

pub mod audit;
pub mod exports;
mod lessons;
pub mod stats;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, DatabaseConnection, DbErr};
use serde_json::json;

use self::audit::AuditLog;
use crate::accounts::{AccountError, Accounts, Password};
use crate::bank::{BankError, Banks, Format, ImportReport};
use crate::db::entity::campaign as campaign_row;
use crate::lessons::{Lessons, LessonsError};
use crate::prize::{self, DRAW_METHOD, PublicDraw, draw::DrawRecord};
use crate::quiz::{CampaignSpec, CampaignView, Quiz, QuizError};
use crate::scores::RebuildReport;
use crate::scores::ScoresError;

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
    Lessons(#[from] LessonsError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

#[derive(Clone)]
pub struct AdminOps {
    db: DatabaseConnection,
    audit: AuditLog,
    accounts: Accounts,
    banks: Banks,
    quiz: Quiz,
    lessons: Lessons,
}

impl AdminOps {
    pub fn new(db: DatabaseConnection, accounts: Accounts, banks: Banks, quiz: Quiz, lessons: Lessons) -> Self {
        Self { audit: AuditLog::new(db.clone()), db, accounts, banks, quiz, lessons }
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
        let report = self.quiz.scores().rebuild(&campaign.scoring()).await?;
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
        let record = prize::run_draw(&self.db, &campaign.prize_campaign(), seed, commitment, self.quiz.now()).await?;
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
