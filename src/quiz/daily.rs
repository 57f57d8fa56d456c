//! The daily question: the same for everyone on an Asia/Shanghai day, derived from the date. A
//! signed-in resident's first answer of the day is kept, so the question shows as answered after a
//! reload, and the days answered in a row make a streak.

use chrono::NaiveDate;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::practice::{PracticeQuestion, practice_question, shuffled_order};
use super::{Quiz, QuizError};
use crate::bank::IndexedQuestion;
use crate::clock::shanghai_day;
use crate::db::entity::daily_answer;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DailyQuestion {
    /// The Asia/Shanghai day this question belongs to.
    pub date: String,
    #[serde(flatten)]
    pub question: PracticeQuestion,
    /// The caller's answer today and streak, when signed in.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub me: Option<MyDaily>,
    /// 相关案例: lessons on the articles of the question's basis.
    pub lessons: Vec<crate::lessons::LessonLink>,
}

/// A signed-in resident's daily question: today's answer (with the key, once answered) and streak.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MyDaily {
    pub answered: bool,
    /// As shown on today's question (`B`, `AC`, `T`/`F`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub choice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub correct: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub answer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub explanation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub basis: Option<Vec<String>>,
    /// Days in a row with a daily answer, up to today (or yesterday, while today's is open).
    pub streak: u32,
}

/// Days in a row ending today, or yesterday if today is not answered yet. `days` newest first.
pub fn streak(days: &[NaiveDate], today: NaiveDate) -> u32 {
    let mut expected = match days.first() {
        Some(first) if *first == today => today,
        Some(first) if Some(*first) == today.pred_opt() => *first,
        _ => return 0,
    };
    let mut count = 0;
    for day in days {
        if *day != expected {
            break;
        }
        count += 1;
        match expected.pred_opt() {
            Some(previous) => expected = previous,
            None => break,
        }
    }
    count
}

impl Quiz {
    /// Today's question (its revision and option order), from the date alone.
    fn daily_pick(
        &self,
        day: &str,
    ) -> Result<(std::sync::Arc<IndexedQuestion>, super::grading::Permutation), QuizError> {
        let mut ids = self.banks.index().select(&[], None, None);
        if ids.is_empty() {
            return Err(QuizError::NotFound);
        }
        ids.sort_unstable();
        let seed: [u8; 32] = Sha256::digest(format!("pufa-daily:{day}").as_bytes()).into();
        let mut rng = ChaCha20Rng::from_seed(seed);
        let id = ids[rng.random_range(0..ids.len())];
        let q = self.banks.index().get(id).ok_or(QuizError::NotFound)?;
        let order = shuffled_order(&q, &mut rng);
        Ok((q, order))
    }

    /// The same question for everyone today; with the caller's answer and streak when signed in.
    pub async fn daily(&self, user_id: Option<i64>) -> Result<DailyQuestion, QuizError> {
        let today = shanghai_day(self.now());
        let day = today.to_string();
        let (q, order) = self.daily_pick(&day)?;
        let me = match user_id {
            Some(user) => {
                let rows = daily_answer::Entity::find()
                    .filter(daily_answer::Column::UserId.eq(user))
                    .order_by_desc(daily_answer::Column::Day)
                    .limit(400)
                    .all(&self.db)
                    .await?;
                let days: Vec<NaiveDate> = rows.iter().filter_map(|r| r.day.parse().ok()).collect();
                let mine = rows.iter().find(|r| r.day == day && r.revision_id == q.revision_id);
                Some(MyDaily {
                    answered: mine.is_some(),
                    choice: mine.map(|r| r.choice.clone()),
                    correct: mine.map(|r| r.correct),
                    answer: mine.map(|_| order.shown_answer(&q.answer)),
                    explanation: mine.map(|_| q.explanation.clone()),
                    basis: mine.map(|_| q.basis.clone()),
                    streak: streak(&days, today),
                })
            }
            None => None,
        };
        Ok(DailyQuestion {
            date: day,
            question: practice_question(&q, &order),
            me,
            lessons: self.related_lessons(&q.basis),
        })
    }

    /// Keeps a resident's first answer to today's daily question (other practice answers pass by).
    /// Never fails the answer itself: the record is a convenience.
    pub(super) async fn note_daily_answer(&self, user_id: i64, q: &IndexedQuestion, choice: &str, correct: bool) {
        let now = self.now();
        let day = shanghai_day(now).to_string();
        let Ok((today, _)) = self.daily_pick(&day) else { return };
        if today.revision_id != q.revision_id {
            return;
        }
        let row = daily_answer::ActiveModel {
            user_id: Set(user_id),
            day: Set(day),
            revision_id: Set(q.revision_id),
            choice: Set(choice.to_owned()),
            correct: Set(correct),
            answered_at: Set(now),
        };
        let first_only = [daily_answer::Column::UserId, daily_answer::Column::Day];
        if let Err(e) = daily_answer::Entity::insert(row).on_conflict_do_nothing_on(first_only).exec(&self.db).await {
            tracing::warn!(error = %e, "daily answer not kept");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn a_streak_counts_days_in_a_row_up_to_today_or_yesterday() {
        let today = d("2026-12-10");
        assert_eq!(streak(&[d("2026-12-10"), d("2026-12-09"), d("2026-12-08"), d("2026-12-06")], today), 3);
        assert_eq!(streak(&[d("2026-12-09"), d("2026-12-08")], today), 2, "today still open");
        assert_eq!(streak(&[d("2026-12-08")], today), 0, "a day was missed");
        assert_eq!(streak(&[], today), 0);
    }
}
