//! Staff operations: statistics, exports, the verifiable prize draw, account management, lessons
//! (`lessons.rs`) and the audit log. Every admin write goes through `AdminOps`, which does it and
//! records it.

pub mod audit;
mod draws;
pub mod exports;
mod lessons;
pub mod stats;

use sea_orm::{DatabaseConnection, DbErr};
use serde_json::json;

use self::audit::AuditLog;
use crate::accounts::{AccountError, AccountView, Accounts, Password, RoleAssignment};
use crate::bank::{BankError, Banks, ImportOptions, ImportReport, Upload, Visibility};
use crate::lessons::{Lessons, LessonsError};
use crate::quiz::{CampaignSpec, CampaignState, CampaignUse, CampaignView, Quiz, QuizError};
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
    /// A bank change that would leave a running campaign unable to fill its quiz, or release a
    /// sealed bank that a campaign still names.
    #[error("the bank is in use by campaign {}", .0.slug)]
    BankInUse(CampaignUse),
    /// The draw waits for the eligible list, fixed once every session could have finished.
    #[error("the eligible list is fixed at {0}")]
    ListNotFixedYet(chrono::DateTime<chrono::Utc>),
    #[error("a beacon is needed: a public random value drawn after the eligible list was fixed")]
    NoBeacon,
    /// The eligible list is public since then: who is on it no longer changes.
    #[error("the eligible list was fixed at {0}")]
    ListFixed(chrono::DateTime<chrono::Utc>),
    #[error(transparent)]
    Lessons(#[from] LessonsError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// An upload's report, with the open or upcoming campaigns it leaves (or would leave) unable to
/// fill their quiz: a dry run lists them; a real import refuses if one of them is open.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct UploadReport {
    #[serde(flatten)]
    pub import: ImportReport,
    pub starves: Vec<CampaignUse>,
}

/// A bank's visibility after a change.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BankVisibility {
    pub key: String,
    pub visibility: Visibility,
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

    /// Imports an uploaded bank. Merge never retires; a replace that would leave an open campaign
    /// unable to fill its quiz, or a release of a sealed bank a campaign still names, is refused
    /// with `BankInUse`; a dry run reports the campaigns it would starve instead.
    pub async fn import_bank(
        &self,
        actor: i64,
        upload: Upload<'_>,
        options: ImportOptions,
    ) -> Result<UploadReport, AdminError> {
        let file = &upload.parse()?;
        let supply = self.quiz.supply().await?;
        let current = self.banks.index().visibility(&file.key);
        let releasing =
            current == Visibility::Sealed && options.visibility.or(file.visibility) == Some(Visibility::Study);
        if releasing && let Some(campaign) = supply.naming(&file.key).into_iter().next() {
            return Err(AdminError::BankInUse(campaign));
        }
        let mut starves = Vec::new();
        let import = self
            .banks
            .import_checked(file, options, |_, after| {
                starves = supply.starved_by(self.banks.index(), after);
                match starves.iter().find(|c| c.state == CampaignState::Open) {
                    Some(open) if !options.dry_run => Err(AdminError::BankInUse(open.clone())),
                    _ => Ok(()),
                }
            })
            .await?;
        if !options.dry_run {
            let details = json!({
                "mode": import.mode, "visibility": {"before": current, "after": import.bank.visibility},
                "created": import.created, "updated": import.updated, "unchanged": import.unchanged,
                "retired": import.retired,
            });
            self.record(Some(actor), "bank.import", &import.bank.key, details).await?;
        }
        Ok(UploadReport { import, starves })
    }

    /// Makes a bank `study` or `sealed`, audited with before and after. Release (sealed to study)
    /// waits until every campaign naming the bank has closed; sealing must not starve an open one.
    pub async fn set_bank_visibility(
        &self,
        actor: i64,
        key: &str,
        visibility: Visibility,
    ) -> Result<BankVisibility, AdminError> {
        let supply = self.quiz.supply().await?;
        let before = self
            .banks
            .set_visibility(key, visibility, |before, after| {
                if before == Visibility::Sealed
                    && let Some(campaign) = supply.naming(key).into_iter().next()
                {
                    return Err(AdminError::BankInUse(campaign));
                }
                let starved = supply.starved_by(self.banks.index(), after);
                match starved.into_iter().find(|c| c.state == CampaignState::Open) {
                    Some(open) => Err(AdminError::BankInUse(open)),
                    None => Ok(()),
                }
            })
            .await?;
        if before != visibility {
            let details = json!({"before": before, "after": visibility});
            self.record(Some(actor), "bank.visibility", key, details).await?;
        }
        Ok(BankVisibility { key: key.to_owned(), visibility })
    }

    pub async fn save_campaign(
        &self,
        actor: i64,
        spec: CampaignSpec,
        slug: Option<&str>,
    ) -> Result<CampaignView, AdminError> {
        let action = if slug.is_some() { "campaign.update" } else { "campaign.create" };
        let saved = self.quiz.save_campaign(spec, slug, false).await?;
        let view = saved.view;
        let details = if slug.is_some() {
            json!({"changes": saved.changes})
        } else {
            json!({"published": view.published, "opens_at": view.opens_at, "closes_at": view.closes_at})
        };
        self.record(Some(actor), action, &view.slug, details).await?;
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
        let change = self.accounts.promote(user_id).await?;
        if change.before != change.after {
            self.record(Some(actor), "account.promote", &user_id.to_string(), json!(change)).await?;
        }
        Ok(())
    }

    /// Gives an account a role and its region, audited with before and after; the last active
    /// admin cannot be demoted.
    pub async fn set_role(
        &self,
        actor: i64,
        user_id: i64,
        assignment: &RoleAssignment,
    ) -> Result<AccountView, AdminError> {
        let change = self.accounts.set_role(user_id, assignment).await?;
        if change.before != change.after {
            self.record(Some(actor), "account.role", &user_id.to_string(), json!(change)).await?;
        }
        Ok(self.accounts.account(user_id).await?)
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

    pub async fn stats(&self, slug: &str) -> Result<stats::CampaignStats, AdminError> {
        let campaign = self.quiz.published(slug).await?;
        Ok(stats::campaign_stats(&self.db, self.accounts.regions(), &campaign).await?)
    }

    pub async fn results(&self, slug: &str) -> Result<exports::ResultsExport, AdminError> {
        let campaign = self.quiz.published(slug).await?;
        Ok(exports::ResultsExport::new(self.db.clone(), self.accounts.regions().clone(), &campaign).await?)
    }
}
