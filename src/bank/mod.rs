//! Question banks: file formats, validation, idempotent import, export, and the in-memory index.

pub mod citation;
mod formats;
mod import;
mod index;
mod model;
mod parse;

use std::path::{Path, PathBuf};

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

pub use self::formats::decode_csv;
pub use self::import::{ACTIVE, BankRef, ImportReport, RETIRED};
pub use self::index::{
    CODE_BOOK_ARTICLES, CODE_BOOKS, CategoryCount, IndexedQuestion, Pool, QuestionIndex, book_of_article,
};
pub use self::model::{Answer, BankFile, Difficulty, Question, QuestionKind, letter};
pub use self::parse::{Format, Problem, parse_bank, valid_key};
use crate::db::entity::{bank, question, question_revision};

#[derive(Debug, thiserror::Error)]
pub enum BankError {
    #[error("the question file has {} problem(s)", .0.len())]
    Invalid(Vec<Problem>),
    #[error("no such bank")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A bank as the admin list shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct BankSummary {
    pub key: String,
    pub title: String,
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

/// The question-bank service.
#[derive(Clone)]
pub struct Banks {
    db: DatabaseConnection,
    index: QuestionIndex,
}

impl Banks {
    pub async fn new(db: DatabaseConnection) -> Result<Self, DbErr> {
        let banks = Self { db, index: QuestionIndex::default() };
        banks.index.refresh(&banks.db).await?;
        Ok(banks)
    }

    pub fn index(&self) -> &QuestionIndex {
        &self.index
    }

    /// Validates a file (all problems at once) and, unless `dry_run`, imports it in one transaction.
    pub async fn import_bytes(
        &self,
        bytes: &[u8],
        format: Format,
        name: &str,
        bank_key: Option<&str>,
        title: Option<&str>,
        dry_run: bool,
    ) -> Result<ImportReport, BankError> {
        let file = parse_bank(bytes, format, name, bank_key, title).map_err(BankError::Invalid)?;
        self.import_file(&file, dry_run).await
    }

    pub async fn import_file(&self, file: &BankFile, dry_run: bool) -> Result<ImportReport, BankError> {
        let report = import::import(&self.db, file, dry_run).await?;
        if !dry_run {
            self.index.refresh(&self.db).await?;
        }
        Ok(report)
    }

    /// Imports every bank file under `dir`, but only if all of them are valid.
    pub async fn import_dir(&self, dir: &Path) -> Result<Vec<ImportReport>, BankError> {
        let files = read_paths(&[dir.to_path_buf()]).map_err(BankError::Invalid)?;
        let mut reports = Vec::with_capacity(files.len());
        for file in &files {
            reports.push(import::import(&self.db, file, false).await?);
        }
        self.index.refresh(&self.db).await?;
        Ok(reports)
    }

    pub fn categories(&self) -> Vec<CategoryCount> {
        self.index.categories()
    }

    pub async fn list(&self) -> Result<Vec<BankSummary>, BankError> {
        let banks = bank::Entity::find().order_by_asc(bank::Column::Key).all(&self.db).await?;
        let questions = question::Entity::find().all(&self.db).await?;
        Ok(banks
            .into_iter()
            .map(|b| {
                let of_bank = questions.iter().filter(|q| q.bank_key == b.key);
                let (all, active) = of_bank.fold((0, 0), |(n, a), q| (n + 1, a + usize::from(q.status == ACTIVE)));
                BankSummary { key: b.key, title: b.title, questions: all, active }
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
        let mut questions: Vec<_> = self
            .index
            .select(std::slice::from_ref(&bank.key), None, None)
            .into_iter()
            .filter_map(|id| self.index.get(id))
            .collect();
        questions.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(export::render(&bank.key, &bank.title, &questions, format))
    }
}

mod export;

/// Bank files under the given paths (files as given; folders walked, skipping regions.toml,
/// campaigns/ and templates/), sorted for a stable import order.
pub fn bank_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(name.as_str(), "campaigns" | "templates" | "lessons") && !name.starts_with('.') {
                    walk(&path, out);
                }
            } else if name != "regions.toml" && Format::of_path(&path).is_some() {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() { walk(path, &mut out) } else { out.push(path.clone()) }
    }
    out.sort();
    out
}

/// Reads and validates every bank file under `paths`; every problem of every file, or the banks.
/// A spreadsheet's bank key is its file name (without extension).
pub fn read_paths(paths: &[PathBuf]) -> Result<Vec<BankFile>, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut files: Vec<BankFile> = Vec::new();
    for path in bank_paths(paths) {
        let name = path.display().to_string();
        let Some(format) = Format::of_path(&path) else {
            problems.push(Problem::new(name, "file", "只支持 .toml .json .csv .xlsx 文件"));
            continue;
        };
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) => {
                problems.push(Problem::new(name, "file", format!("读不出文件 (cannot read): {e}")));
                continue;
            }
        };
        let stem = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned);
        match parse_bank(&bytes, format, &name, stem.as_deref(), None) {
            Ok(file) => {
                if files.iter().any(|f| f.key == file.key) {
                    problems.push(Problem::new(
                        &name,
                        "bank.key",
                        format!("题库编号 {} 在另一个文件里也用了", file.key),
                    ));
                }
                files.push(file);
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    if problems.is_empty() { Ok(files) } else { Err(problems) }
}
