//! Self-study: practice by 编 and difficulty, the daily question, and the mistake book
//! (a question leaves it after two right answers in a row).

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::draw::shuffle;
use super::grading::{Choice, Permutation, RawChoice, grade};
use super::session::{OptionView, options_shown};
use super::{Quiz, QuizError};
use crate::bank::{IndexedQuestion, QuestionKind};
use crate::clock::shanghai_day;
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
pub struct DailyQuestion {
    /// The Asia/Shanghai day this question belongs to.
    pub date: String,
    #[serde(flatten)]
    pub question: PracticeQuestion,
    /// 相关案例: lessons on the articles of the question's basis.
    pub lessons: Vec<LessonLink>,
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

    /// The same question for everyone on a given Asia/Shanghai day, derived from the date.
    pub fn daily(&self) -> Result<DailyQuestion, QuizError> {
        let day = shanghai_day(self.now()).to_string();
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
        Ok(DailyQuestion {
            date: day,
            question: practice_question(&q, &order),
            lessons: self.related_lessons(&q.basis),
        })
    }

    /// Grades a practice (or daily) answer; signed-in users' mistake books follow it.
    pub async fn practice_answer(
        &self,
        user_id: Option<i64>,
        id: &str,
        raw: &RawChoice,
    ) -> Result<PracticeOutcome, QuizError> {
        let (revision, order) = parse_practice_id(id).ok_or(QuizError::NotFound)?;
        let questions = self.questions_for(std::iter::once(revision)).await?;
        let q = questions.get(&revision).ok_or(QuizError::NotFound)?.clone();
        let shown = if q.kind == QuestionKind::Judge { 0 } else { q.options.len() };
        if order.0.len() != shown {
            return Err(QuizError::NotFound);
        }
        let choice = Choice::parse(raw, q.kind, shown).map_err(QuizError::InvalidChoice)?;
        let correct = grade(&q.answer, &order, &choice);
        let in_book = match user_id {
            Some(user) => Some(self.note_for_mistake_book(user, &q, correct).await),
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
