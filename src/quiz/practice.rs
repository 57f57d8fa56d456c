//! Self-study: practice by 编 and difficulty, the offline pack, and grading a practice answer
//! (the daily question is `daily`, the mistake book `mistakes`). All of it draws from study banks
//! only (the index's "every bank"); a sealed bank's questions are seen only inside campaign sessions.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use super::draw::shuffle;
use super::grading::{Choice, Permutation, RawChoice, grade};
use super::session::{OptionView, options_shown};
use super::{Quiz, QuizError};
use crate::bank::{IndexedQuestion, QuestionKind};
use crate::lessons::LessonLink;

/// A question to practise: options shuffled, no answer. `id` carries the option order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PracticeQuestion {
    pub id: String,
    pub kind: QuestionKind,
    pub category: String,
    pub difficulty: u8,
    pub stem: String,
    pub options: Vec<OptionView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PracticeOutcome {
    pub correct: bool,
    pub answer: String,
    pub explanation: String,
    pub basis: Vec<String>,
    /// Whether the question is (still) in the caller's mistake book.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub in_mistake_book: Option<bool>,
    /// 相关案例: lessons on the articles of `basis`.
    pub lessons: Vec<LessonLink>,
}

/// A practice question with its answer, for the offline practice pack (practice only: campaign
/// answer keys never leave the server before they may).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PackQuestion {
    #[serde(flatten)]
    pub question: PracticeQuestion,
    pub answer: String,
    pub explanation: String,
    pub basis: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PracticePack {
    pub generated_at: chrono::DateTime<chrono::Utc>,
    pub questions: Vec<PackQuestion>,
}

pub(super) fn practice_question(q: &IndexedQuestion, order: &Permutation) -> PracticeQuestion {
    let options = options_shown(q, order);
    PracticeQuestion {
        id: format!("{}-{}", q.revision_id, order.code()),
        kind: q.kind,
        category: q.category.clone(),
        difficulty: q.difficulty,
        stem: q.stem.clone(),
        options,
    }
}

pub(super) fn shuffled_order(q: &IndexedQuestion, rng: &mut ChaCha20Rng) -> Permutation {
    let n = if q.kind == QuestionKind::Judge { 0 } else { q.options.len() };
    let mut order = Permutation::identity(n);
    shuffle(rng, &mut order.0);
    order
}

/// `"{revision}-{order}"` back into its parts.
fn parse_practice_id(id: &str) -> Option<(i64, Permutation)> {
    let (revision, order) = id.split_once('-')?;
    Some((revision.parse().ok()?, Permutation::from_code(order)?))
}

impl Quiz {
    /// Up to `count` (1–50) random active questions of a category and/or difficulty.
    pub fn practice(&self, category: Option<&str>, difficulty: Option<u8>, count: usize) -> Vec<PracticeQuestion> {
        let mut rng = ChaCha20Rng::from_seed(super::draw::fresh_seed());
        let mut ids = self.banks.index().select(&[], category, difficulty);
        shuffle(&mut rng, &mut ids);
        ids.into_iter()
            .take(count.clamp(1, 50))
            .filter_map(|id| self.banks.index().get(id))
            .map(|q| {
                let order = shuffled_order(&q, &mut rng);
                practice_question(&q, &order)
            })
            .collect()
    }

    /// Up to `count` (1–200) questions with answers, to practise with no network.
    pub fn practice_pack(&self, category: Option<&str>, count: usize) -> PracticePack {
        let mut rng = ChaCha20Rng::from_seed(super::draw::fresh_seed());
        let mut ids = self.banks.index().select(&[], category, None);
        shuffle(&mut rng, &mut ids);
        let questions = ids
            .into_iter()
            .take(count.clamp(1, 200))
            .filter_map(|id| self.banks.index().get(id))
            .map(|q| {
                let order = shuffled_order(&q, &mut rng);
                PackQuestion {
                    question: practice_question(&q, &order),
                    answer: order.shown_answer(&q.answer),
                    explanation: q.explanation.clone(),
                    basis: q.basis.clone(),
                }
            })
            .collect();
        PracticePack { generated_at: self.now(), questions }
    }

    /// Grades a practice (or daily) answer; signed-in users' mistake books follow it.
    pub async fn practice_answer(
        &self,
        user_id: Option<i64>,
        id: &str,
        raw: &RawChoice,
    ) -> Result<PracticeOutcome, QuizError> {
        let (revision, order) = parse_practice_id(id).ok_or(QuizError::NotFound)?;
        // Only what practice serves is graded here: a current revision of a study bank. A sealed
        // bank's, a retired or superseded revision's key stays with the campaigns.
        let q = self.banks.index().get_for_study(revision).ok_or(QuizError::NotFound)?;
        let shown = if q.kind == QuestionKind::Judge { 0 } else { q.options.len() };
        if order.0.len() != shown {
            return Err(QuizError::NotFound);
        }
        let choice = Choice::parse(raw, q.kind, shown).map_err(QuizError::InvalidChoice)?;
        let correct = grade(&q.answer, &order, &choice);
        let in_book = match user_id {
            Some(user) => {
                self.note_daily_answer(user, &q, &choice.code(), correct).await;
                Some(self.note_for_mistake_book(user, &q, correct).await)
            }
            None => None,
        };
        Ok(PracticeOutcome {
            correct,
            answer: order.shown_answer(&q.answer),
            explanation: q.explanation.clone(),
            basis: q.basis.clone(),
            in_mistake_book: in_book,
            lessons: self.related_lessons(&q.basis),
        })
    }
}
