//! What staff browse: banks with their counts and visibility, a bank's questions with answers,
//! a question's revisions, and exports.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::import::ACTIVE;
use super::model::{QuestionKind, Source, Visibility};
use super::parse::Format;
use super::{BankError, Banks, export};
use crate::db::entity::{bank, question, question_revision};

/// A bank as the admin list shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct BankSummary {
    pub key: String,
    pub title: String,
    pub visibility: Visibility,
    pub questions: usize,
    pub active: usize,
}

/// A question with its answer, for staff.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AdminQuestion {
    pub key: String,
    pub revision: i32,
    pub status: String,
    pub kind: QuestionKind,
    pub category: String,
    pub difficulty: i16,
    pub stem: String,
    pub options: Vec<String>,
    pub answer: String,
    pub explanation: String,
    pub basis: Vec<String>,
    /// Where this revision came from.
    pub source: Source,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl AdminQuestion {
    fn from_row(row: question_revision::Model, status: &str) -> Self {
        Self {
            kind: QuestionKind::parse(&row.kind).unwrap_or(QuestionKind::Single),
            options: serde_json::from_str(&row.options).unwrap_or_default(),
            basis: serde_json::from_str(&row.basis).unwrap_or_default(),
            key: row.key,
            revision: row.revision,
            status: status.to_owned(),
            category: row.category,
            difficulty: row.difficulty,
            stem: row.stem,
            answer: row.answer,
            explanation: row.explanation,
            source: Source::parse(&row.source),
            created_at: row.created_at,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct QuestionFilter {
    pub category: Option<String>,
    pub kind: Option<QuestionKind>,
    pub offset: usize,
    pub limit: usize,
}

impl Banks {
    pub async fn list(&self) -> Result<Vec<BankSummary>, BankError> {
        let banks = bank::Entity::find().order_by_asc(bank::Column::Key).all(&self.db).await?;
        let questions = question::Entity::find().all(&self.db).await?;
        Ok(banks
            .into_iter()
            .map(|b| {
                let of_bank = questions.iter().filter(|q| q.bank_key == b.key);
                let (all, active) = of_bank.fold((0, 0), |(n, a), q| (n + 1, a + usize::from(q.status == ACTIVE)));
                let visibility = Visibility::parse(&b.visibility).unwrap_or(Visibility::Sealed);
                BankSummary { key: b.key, title: b.title, visibility, questions: all, active }
            })
            .collect())
    }

    /// The current revision of every question of a bank (retired ones too), filtered and paged.
    pub async fn questions(&self, bank_key: &str, filter: &QuestionFilter) -> Result<Vec<AdminQuestion>, BankError> {
        bank::Entity::find_by_id(bank_key.to_owned()).one(&self.db).await?.ok_or(BankError::NotFound)?;
        let identities = question::Entity::find()
            .filter(question::Column::BankKey.eq(bank_key))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|q| ((q.key, q.revision), q.status))
            .collect::<std::collections::HashMap<_, _>>();
        let mut rows: Vec<AdminQuestion> = question_revision::Entity::find()
            .filter(question_revision::Column::BankKey.eq(bank_key))
            .order_by_asc(question_revision::Column::Key)
            .all(&self.db)
            .await?
            .into_iter()
            .filter_map(|row| {
                let status = identities.get(&(row.key.clone(), row.revision))?.clone();
                Some(AdminQuestion::from_row(row, &status))
            })
            .filter(|q| filter.category.as_ref().is_none_or(|c| *c == q.category))
            .filter(|q| filter.kind.is_none_or(|k| k == q.kind))
            .collect();
        let limit = if filter.limit == 0 { 100 } else { filter.limit.min(1000) };
        rows = rows.into_iter().skip(filter.offset).take(limit).collect();
        Ok(rows)
    }

    /// Every revision of one question, oldest first: what earlier quizzes asked.
    pub async fn revisions(&self, bank_key: &str, key: &str) -> Result<Vec<AdminQuestion>, BankError> {
        let identity = question::Entity::find()
            .filter(question::Column::BankKey.eq(bank_key))
            .filter(question::Column::Key.eq(key))
            .one(&self.db)
            .await?
            .ok_or(BankError::NotFound)?;
        let rows = question_revision::Entity::find()
            .filter(question_revision::Column::BankKey.eq(bank_key))
            .filter(question_revision::Column::Key.eq(key))
            .order_by_asc(question_revision::Column::Revision)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let status = if row.revision == identity.revision { identity.status.as_str() } else { "superseded" };
                AdminQuestion::from_row(row, status)
            })
            .collect())
    }

    /// The active questions of a bank, as a file that imports back to the same questions.
    pub async fn export(&self, bank_key: &str, format: Format) -> Result<Vec<u8>, BankError> {
        let bank = bank::Entity::find_by_id(bank_key.to_owned()).one(&self.db).await?.ok_or(BankError::NotFound)?;
        let questions = self.index.of_bank(&bank.key);
        let visibility = Visibility::parse(&bank.visibility).unwrap_or(Visibility::Sealed);
        Ok(export::render(&bank.key, &bank.title, visibility, &questions, format))
    }
}
