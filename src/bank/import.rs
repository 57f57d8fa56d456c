//! Import by (bank, key): unchanged stays, changed gets a new revision, and what the file does not
//! list is retired only when asked (`replace`), never deleted. Every revision, and every change of
//! a question's state, records its source. The start-up import (source `file`) touches only what a
//! file made: a question staff retired, edited or uploaded stays as they left it, while one whose
//! current revision came from the shipped file follows the file when the content team changes it.
//! One transaction; a failure, a dry run or a refused check changes nothing.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait, sea_query::Expr,
};
use serde::Serialize;

use super::index::{IndexedQuestion, QuestionIndex};
use super::model::{BankFile, ImportMode, Question, Source, Visibility};
use super::preview::{PREVIEWED, PreviewQuestion};
use crate::db::entity::{bank, question, question_revision};
use crate::problems::PlacedProblem;

/// How to import a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    pub mode: ImportMode,
    pub source: Source,
    /// Asked for by the upload (`visibility=`); a file's `[bank]` header is used otherwise.
    pub visibility: Option<Visibility>,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct BankRef {
    pub key: String,
    pub title: String,
    pub visibility: Visibility,
}

/// A question an import retires (or, in a dry run, would).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RetiredQuestion {
    pub key: String,
    pub stem: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ImportReport {
    pub bank: BankRef,
    pub mode: ImportMode,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub retired: usize,
    /// Questions of the bank that staff changed and the start-up import therefore left alone.
    pub kept: usize,
    /// The questions retired (the first 200; `retired` counts them all).
    pub retiring: Vec<RetiredQuestion>,
    pub dry_run: bool,
    /// What the file has that was ignored, such as an unknown column.
    pub warnings: Vec<PlacedProblem>,
    /// The file's first questions as a resident will see them.
    pub preview: Vec<PreviewQuestion>,
}

pub const ACTIVE: &str = "active";
pub const RETIRED: &str = "retired";

/// Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bind-parameter limits.
const CHUNK: usize = 500;
const LISTED_RETIRING: usize = 200;

/// The writes an import makes, decided before any of them.
#[derive(Default)]
struct Plan<'f> {
    /// A bank to create, with its title and visibility.
    new_bank: Option<(String, Visibility)>,
    title: Option<String>,
    visibility: Option<Visibility>,
    created: Vec<&'f Question>,
    revised: Vec<(i64, i32, &'f Question)>,
    reactivated: Vec<i64>,
    retired: Vec<i64>,
    /// The bank's active questions afterwards, as the index will hold them.
    after: Vec<Arc<IndexedQuestion>>,
}

/// Imports `file`; `check` sees the report and the index as it would be afterwards, and may refuse.
pub(super) async fn import<E: From<DbErr>>(
    db: &DatabaseConnection,
    index: &QuestionIndex,
    file: &BankFile,
    options: ImportOptions,
    check: impl FnOnce(&ImportReport, &QuestionIndex) -> Result<(), E>,
) -> Result<ImportReport, E> {
    let txn = db.begin().await?;
    let (report, plan) = plan(&txn, index, file, options).await?;
    check(&report, &index.with_bank(&file.key, report.bank.visibility, plan.after.clone()))?;
    if options.dry_run {
        txn.rollback().await?;
    } else {
        apply(&txn, file, &plan, options.source).await?;
        txn.commit().await?;
    }
    Ok(report)
}

async fn plan<'f, C: ConnectionTrait>(
    db: &C,
    index: &QuestionIndex,
    file: &'f BankFile,
    options: ImportOptions,
) -> Result<(ImportReport, Plan<'f>), DbErr> {
    let mut plan = Plan::default();
    let stored = bank::Entity::find_by_id(file.key.clone()).one(db).await?;
    let asked = options.visibility.or(file.visibility);
    let (title, visibility) = match &stored {
        None => {
            let created = (file.title.clone().unwrap_or_else(|| file.key.clone()), asked.unwrap_or_default());
            plan.new_bank = Some(created.clone());
            created
        }
        Some(row) => {
            let current = Visibility::parse(&row.visibility).unwrap_or(Visibility::Sealed);
            plan.title = file.title.clone().filter(|t| *t != row.title);
            // The shipped files set a bank's visibility when they create it; after that staff decide.
            plan.visibility = asked.filter(|v| *v != current && options.source != Source::File);
            (plan.title.clone().unwrap_or_else(|| row.title.clone()), plan.visibility.unwrap_or(current))
        }
    };
    let existing: HashMap<String, question::Model> = question::Entity::find()
        .filter(question::Column::BankKey.eq(file.key.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|q| (q.key.clone(), q))
        .collect();
    let hashes: HashMap<(String, i32), String> = question_revision::Entity::find()
        .select_only()
        .column(question_revision::Column::Key)
        .column(question_revision::Column::Revision)
        .column(question_revision::Column::ContentHash)
        .filter(question_revision::Column::BankKey.eq(file.key.clone()))
        .into_tuple::<(String, i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(k, r, h)| ((k, r), h))
        .collect();

    let mut report = ImportReport {
        bank: BankRef { key: file.key.clone(), title, visibility },
        mode: options.mode,
        created: 0,
        updated: 0,
        unchanged: 0,
        retired: 0,
        kept: 0,
        retiring: Vec::new(),
        dry_run: options.dry_run,
        warnings: file.warnings.clone(),
        preview: file.questions.iter().take(PREVIEWED).map(PreviewQuestion::of).collect(),
    };
    let as_indexed = |q: &Question, n: usize| Arc::new(IndexedQuestion::of_file(&file.key, q, -1 - n as i64));
    let current = |key: &str| index.current_revision(&file.key, key).and_then(|id| index.get(id));
    let staff_made = |q: &question::Model| options.source == Source::File && Source::parse(&q.source) != Source::File;
    for (n, q) in file.questions.iter().enumerate() {
        match existing.get(&q.key) {
            None => {
                report.created += 1;
                plan.created.push(q);
                plan.after.push(as_indexed(q, n));
            }
            Some(row) if staff_made(row) => {
                report.kept += 1;
                plan.after.extend(current(&q.key));
            }
            Some(row) if hashes.get(&(q.key.clone(), row.revision)) == Some(&q.content_hash()) => {
                if row.status == ACTIVE {
                    report.unchanged += 1;
                } else {
                    report.updated += 1;
                    plan.reactivated.push(row.id);
                }
                plan.after.push(as_indexed(q, n));
            }
            Some(row) => {
                report.updated += 1;
                plan.revised.push((row.id, row.revision + 1, q));
                plan.after.push(as_indexed(q, n));
            }
        }
    }
    let listed: HashSet<&str> = file.questions.iter().map(|q| q.key.as_str()).collect();
    let mut unlisted: Vec<&question::Model> =
        existing.values().filter(|q| q.status == ACTIVE && !listed.contains(q.key.as_str())).collect();
    unlisted.sort_by(|a, b| a.key.cmp(&b.key));
    for row in unlisted {
        let retire = match options.source {
            // At start the file's own questions follow the file; staff's stay.
            Source::File => !staff_made(row),
            _ => options.mode == ImportMode::Replace,
        };
        if !retire {
            report.kept += usize::from(staff_made(row));
            plan.after.extend(current(&row.key));
            continue;
        }
        report.retired += 1;
        plan.retired.push(row.id);
        if report.retiring.len() < LISTED_RETIRING {
            let stem = current(&row.key).map(|q| q.stem.clone()).unwrap_or_default();
            report.retiring.push(RetiredQuestion { key: row.key.clone(), stem });
        }
    }
    Ok((report, plan))
}

async fn apply<C: ConnectionTrait>(db: &C, file: &BankFile, plan: &Plan<'_>, source: Source) -> Result<(), DbErr> {
    let now = Utc::now();
    if let Some((title, visibility)) = &plan.new_bank {
        bank::Entity::insert(bank::ActiveModel {
            key: Set(file.key.clone()),
            title: Set(title.clone()),
            visibility: Set(visibility.as_str().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
        })
        .exec(db)
        .await?;
    } else if plan.title.is_some() || plan.visibility.is_some() {
        let mut update = bank::Entity::update_many().col_expr(bank::Column::UpdatedAt, Expr::value(now));
        if let Some(title) = &plan.title {
            update = update.col_expr(bank::Column::Title, Expr::value(title.clone()));
        }
        if let Some(visibility) = plan.visibility {
            update = update.col_expr(bank::Column::Visibility, Expr::value(visibility.as_str()));
        }
        update.filter(bank::Column::Key.eq(file.key.clone())).exec(db).await?;
    }
    let new_questions: Vec<question::ActiveModel> = plan
        .created
        .iter()
        .map(|q| question::ActiveModel {
            bank_key: Set(file.key.clone()),
            key: Set(q.key.clone()),
            revision: Set(1),
            status: Set(ACTIVE.to_owned()),
            source: Set(source.as_str().to_owned()),
            updated_at: Set(now),
            ..Default::default()
        })
        .collect();
    let new_revisions: Vec<question_revision::ActiveModel> = plan
        .created
        .iter()
        .map(|q| (1, *q))
        .chain(plan.revised.iter().map(|(_, revision, q)| (*revision, *q)))
        .map(|(revision, q)| revision_row(&file.key, q, revision, source, now))
        .collect();
    for chunk in new_questions.chunks(CHUNK) {
        question::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    for chunk in new_revisions.chunks(CHUNK) {
        question_revision::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    for (id, revision, _) in &plan.revised {
        question::Entity::update_many()
            .col_expr(question::Column::Revision, Expr::value(*revision))
            .col_expr(question::Column::Status, Expr::value(ACTIVE))
            .col_expr(question::Column::Source, Expr::value(source.as_str()))
            .col_expr(question::Column::UpdatedAt, Expr::value(now))
            .filter(question::Column::Id.eq(*id))
            .exec(db)
            .await?;
    }
    for (ids, status) in [(&plan.reactivated, ACTIVE), (&plan.retired, RETIRED)] {
        for chunk in ids.chunks(CHUNK) {
            question::Entity::update_many()
                .col_expr(question::Column::Status, Expr::value(status))
                .col_expr(question::Column::Source, Expr::value(source.as_str()))
                .col_expr(question::Column::UpdatedAt, Expr::value(now))
                .filter(question::Column::Id.is_in(chunk.iter().copied()))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

fn revision_row(
    bank_key: &str,
    q: &Question,
    revision: i32,
    source: Source,
    now: chrono::DateTime<Utc>,
) -> question_revision::ActiveModel {
    question_revision::ActiveModel {
        bank_key: Set(bank_key.to_owned()),
        key: Set(q.key.clone()),
        revision: Set(revision),
        kind: Set(q.kind().as_str().to_owned()),
        category: Set(q.category.clone()),
        difficulty: Set(i16::from(q.difficulty.get())),
        stem: Set(q.stem.clone()),
        options: Set(serde_json::to_string(&q.options).unwrap_or_else(|_| "[]".into())),
        answer: Set(q.answer.code()),
        explanation: Set(q.explanation.clone()),
        basis: Set(serde_json::to_string(&q.basis).unwrap_or_else(|_| "[]".into())),
        content_hash: Set(q.content_hash()),
        source: Set(source.as_str().to_owned()),
        created_at: Set(now),
        ..Default::default()
    }
}

/// Sets a bank's visibility (the caller checked that the campaigns allow it).
pub(super) async fn set_visibility(db: &DatabaseConnection, key: &str, visibility: Visibility) -> Result<(), DbErr> {
    bank::Entity::update_many()
        .col_expr(bank::Column::Visibility, Expr::value(visibility.as_str()))
        .col_expr(bank::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(bank::Column::Key.eq(key))
        .exec(db)
        .await?;
    Ok(())
}
