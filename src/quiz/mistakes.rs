//! The mistake book: the questions a resident got wrong, kept to study until they are answered right
//! `CLEARS_AFTER` times in a row. Quiz and practice answers follow one rule (`note_mistakes`); quiz
//! answers are noted in the same transaction that stores them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sea_orm::sea_query::Value;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::commit::sql::Sql;
use super::practice::{PracticeQuestion, practice_question, shuffled_order};
use super::{Quiz, QuizError};
use crate::bank::{IndexedQuestion, Visibility};
use crate::db::entity::{mistake, question};
use crate::lessons::LessonLink;

/// Right answers in a row that take a question out of the mistake book.
pub const CLEARS_AFTER: i32 = 2;

/// An entry of the mistake book, shown with its answer for study.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Mistake {
    pub question: PracticeQuestion,
    pub answer: String,
    pub explanation: String,
    pub basis: Vec<String>,
    pub wrong_count: i32,
    pub right_streak: i32,
    pub last_wrong_at: chrono::DateTime<chrono::Utc>,
    /// 相关案例: lessons on the articles of `basis`.
    pub lessons: Vec<LessonLink>,
}

/// One answered question, as the mistake book sees it.
#[derive(Debug, Clone)]
pub(crate) struct MistakeNote {
    pub user_id: i64,
    pub bank_key: String,
    pub key: String,
    pub revision_id: i64,
    pub correct: bool,
    pub at: DateTime<Utc>,
}

/// The mistake book's rule, for quiz and practice answers alike: a wrong answer enters the
/// question (or keeps it, its right-streak reset); `CLEARS_AFTER` right answers in a row clear it.
pub(crate) async fn note_mistakes(conn: &impl ConnectionTrait, notes: &[MistakeNote]) -> Result<(), DbErr> {
    let backend = conn.get_database_backend();
    // One statement may touch a (user, question) once: keep the last note of each.
    let mut last: HashMap<(i64, &str, &str), &MistakeNote> = HashMap::new();
    for note in notes {
        last.insert((note.user_id, note.bank_key.as_str(), note.key.as_str()), note);
    }
    let (right, wrong): (Vec<&MistakeNote>, Vec<&MistakeNote>) = last.into_values().partition(|n| n.correct);
    let identity = |n: &&MistakeNote| -> Vec<Value> {
        vec![n.user_id.into(), n.bank_key.clone().into(), n.key.clone().into(), n.at.into()]
    };
    if !right.is_empty() {
        let matching = |sql: &mut Sql| {
            sql.push("(user_id, question_id) IN (SELECT v.column1, q.id FROM ");
            sql.values_table(&right, identity);
            sql.push(" JOIN questions q ON q.bank_key = v.column2 AND q.key = v.column3)");
        };
        let mut clear = Sql::new(backend);
        clear.push("DELETE FROM mistakes WHERE right_streak + 1 >= ").param(CLEARS_AFTER).push(" AND ");
        matching(&mut clear);
        conn.execute_raw(clear.statement()).await?;
        let mut streak = Sql::new(backend);
        streak.push("UPDATE mistakes SET right_streak = right_streak + 1, updated_at = ").param(right[0].at);
        streak.push(" WHERE ");
        matching(&mut streak);
        conn.execute_raw(streak.statement()).await?;
    }
    if !wrong.is_empty() {
        let mut enter = Sql::new(backend);
        enter.push(
            "INSERT INTO mistakes (user_id, question_id, revision_id, wrong_count, right_streak, last_wrong_at, \
             updated_at) SELECT v.column1, q.id, v.column5, 1, 0, v.column4, v.column4 FROM ",
        );
        enter.values_table(&wrong, |n| {
            let mut row = identity(n);
            row.push(n.revision_id.into());
            row
        });
        enter.push(
            " JOIN questions q ON q.bank_key = v.column2 AND q.key = v.column3 WHERE true \
             ON CONFLICT (user_id, question_id) DO UPDATE SET wrong_count = mistakes.wrong_count + 1, \
             right_streak = 0, revision_id = excluded.revision_id, last_wrong_at = excluded.last_wrong_at, \
             updated_at = excluded.updated_at",
        );
        conn.execute_raw(enter.statement()).await?;
    }
    Ok(())
}

impl Quiz {
    /// Updates the mistake book; returns whether the question is in it afterwards. Never fails
    /// the answer that triggered it (the book is a study aid, not a record).
    pub(super) async fn note_for_mistake_book(&self, user_id: i64, q: &IndexedQuestion, correct: bool) -> bool {
        match self.update_mistake_book(user_id, q, correct).await {
            Ok(in_book) => in_book,
            Err(e) => {
                tracing::warn!(error = %e, "mistake book not updated");
                !correct
            }
        }
    }

    async fn update_mistake_book(&self, user_id: i64, q: &IndexedQuestion, correct: bool) -> Result<bool, DbErr> {
        let note = MistakeNote {
            user_id,
            bank_key: q.bank_key.clone(),
            key: q.key.clone(),
            revision_id: q.revision_id,
            correct,
            at: self.now(),
        };
        note_mistakes(&self.db, std::slice::from_ref(&note)).await?;
        let Some(identity) = question::Entity::find()
            .filter(question::Column::BankKey.eq(q.bank_key.clone()))
            .filter(question::Column::Key.eq(q.key.clone()))
            .one(&self.db)
            .await?
        else {
            return Ok(false);
        };
        Ok(mistake::Entity::find_by_id((user_id, identity.id)).one(&self.db).await?.is_some())
    }

    /// The caller's mistake book, most recent first, each with a fresh shuffle to practise on.
    /// Questions of a sealed bank stay in the book but are not shown while it is sealed.
    pub async fn mistakes(&self, user_id: i64) -> Result<Vec<Mistake>, QuizError> {
        let rows = mistake::Entity::find()
            .filter(mistake::Column::UserId.eq(user_id))
            .order_by_desc(mistake::Column::LastWrongAt)
            .all(&self.db)
            .await?;
        let questions = self.questions_for(rows.iter().map(|r| r.revision_id)).await?;
        let mut rng = ChaCha20Rng::from_seed(super::draw::fresh_seed());
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let q = questions.get(&row.revision_id)?;
                // Kept, but not shown while its bank is sealed.
                if self.banks.index().visibility(&q.bank_key) == Visibility::Sealed {
                    return None;
                }
                let order = shuffled_order(q, &mut rng);
                Some(Mistake {
                    question: practice_question(q, &order),
                    answer: order.shown_answer(&q.answer),
                    explanation: q.explanation.clone(),
                    basis: q.basis.clone(),
                    wrong_count: row.wrong_count,
                    right_streak: row.right_streak,
                    last_wrong_at: row.last_wrong_at,
                    lessons: self.related_lessons(&q.basis),
                })
            })
            .collect())
    }
}
