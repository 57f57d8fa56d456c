//! Idempotent import by (bank, key): unchanged stays, changed gets a new revision, missing is
//! retired (never deleted). One transaction: a failure changes nothing.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait, sea_query::Expr,
};
use serde::Serialize;

use super::model::{BankFile, Question};
use crate::db::entity::{bank, question, question_revision};

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct BankRef {
    pub key: String,
    pub title: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ImportReport {
    pub bank: BankRef,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub retired: usize,
    pub dry_run: bool,
}

pub const ACTIVE: &str = "active";
pub const RETIRED: &str = "retired";

/// Rows per multi-row INSERT: well under SQLite's and PostgreSQL's bind-parameter limits.
const CHUNK: usize = 500;

pub async fn import(db: &DatabaseConnection, file: &BankFile, dry_run: bool) -> Result<ImportReport, DbErr> {
    let txn = db.begin().await?;
    let report = import_in(&txn, file, dry_run).await?;
    if dry_run {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    Ok(report)
}

async fn import_in<C: ConnectionTrait>(db: &C, file: &BankFile, dry_run: bool) -> Result<ImportReport, DbErr> {
    let now = Utc::now();
    match bank::Entity::find_by_id(file.key.clone()).one(db).await? {
        Some(existing) if existing.title == file.title => {}
        Some(_) => {
            bank::Entity::update_many()
                .col_expr(bank::Column::Title, Expr::value(file.title.clone()))
                .col_expr(bank::Column::UpdatedAt, Expr::value(now))
                .filter(bank::Column::Key.eq(file.key.clone()))
                .exec(db)
                .await?;
        }
        None => {
            bank::Entity::insert(bank::ActiveModel {
                key: Set(file.key.clone()),
                title: Set(file.title.clone()),
                created_at: Set(now),
                updated_at: Set(now),
            })
            .exec(db)
            .await?;
        }
    }

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
        bank: BankRef { key: file.key.clone(), title: file.title.clone() },
        created: 0,
        updated: 0,
        unchanged: 0,
        retired: 0,
        dry_run,
    };
    let mut new_questions = Vec::new();
    let mut new_revisions = Vec::new();
    let mut bumped: Vec<(i64, i32)> = Vec::new();
    let mut reactivated: Vec<i64> = Vec::new();
    for q in &file.questions {
        let hash = q.content_hash();
        match existing.get(&q.key) {
            None => {
                report.created += 1;
                new_questions.push(question::ActiveModel {
                    bank_key: Set(file.key.clone()),
                    key: Set(q.key.clone()),
                    revision: Set(1),
                    status: Set(ACTIVE.to_owned()),
                    updated_at: Set(now),
                    ..Default::default()
                });
                new_revisions.push(revision_row(&file.key, q, 1, hash, now));
            }
            Some(current) if hashes.get(&(q.key.clone(), current.revision)) == Some(&hash) => {
                if current.status == ACTIVE {
                    report.unchanged += 1;
                } else {
                    report.updated += 1;
                    reactivated.push(current.id);
                }
            }
            Some(current) => {
                report.updated += 1;
                let next = current.revision + 1;
                bumped.push((current.id, next));
                new_revisions.push(revision_row(&file.key, q, next, hash, now));
            }
        }
    }
    for chunk in new_questions.chunks(CHUNK) {
        question::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    for chunk in new_revisions.chunks(CHUNK) {
        question_revision::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    for (id, revision) in bumped {
        question::Entity::update_many()
            .col_expr(question::Column::Revision, Expr::value(revision))
            .col_expr(question::Column::Status, Expr::value(ACTIVE))
            .col_expr(question::Column::UpdatedAt, Expr::value(now))
            .filter(question::Column::Id.eq(id))
            .exec(db)
            .await?;
    }
    for chunk in reactivated.chunks(CHUNK) {
        set_status(db, chunk, ACTIVE, now).await?;
    }
    let listed: HashSet<&str> = file.questions.iter().map(|q| q.key.as_str()).collect();
    let to_retire: Vec<i64> =
        existing.values().filter(|q| q.status == ACTIVE && !listed.contains(q.key.as_str())).map(|q| q.id).collect();
    report.retired = to_retire.len();
    for chunk in to_retire.chunks(CHUNK) {
        set_status(db, chunk, RETIRED, now).await?;
    }
    Ok(report)
}

async fn set_status<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
    status: &str,
    now: chrono::DateTime<Utc>,
) -> Result<(), DbErr> {
    question::Entity::update_many()
        .col_expr(question::Column::Status, Expr::value(status))
        .col_expr(question::Column::UpdatedAt, Expr::value(now))
        .filter(question::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(())
}

fn revision_row(
    bank_key: &str,
    q: &Question,
    revision: i32,
    hash: String,
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
        content_hash: Set(hash),
        created_at: Set(now),
        ..Default::default()
    }
}
