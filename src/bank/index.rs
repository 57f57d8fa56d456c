//! The in-memory index of active questions by category and difficulty, rebuilt after every
//! import, so drawing a quiz never scans the questions table. It also knows each bank's
//! visibility: asked for "every bank" (an empty list), it answers with the `study` banks only, so
//! practice, the pack, the daily question, categories and campaigns with `banks = []` never see a
//! sealed question; a campaign that names a sealed bank draws from it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;

use super::import::ACTIVE;
use super::model::{Answer, Question, QuestionKind, Visibility};
use crate::db::entity::{bank, question, question_revision};

/// The seven 编 of the Civil Code, in the Code's order: categories are listed this way first.
pub const CODE_BOOKS: [&str; 7] = ["总则", "物权", "合同", "人格权", "婚姻家庭", "继承", "侵权责任"];

/// The articles of each 编 of the Civil Code (附则 is 1259–1260).
pub const CODE_BOOK_ARTICLES: [(&str, u32, u32); 7] = [
    ("总则", 1, 204),
    ("物权", 205, 462),
    ("合同", 463, 988),
    ("人格权", 989, 1039),
    ("婚姻家庭", 1040, 1118),
    ("继承", 1119, 1163),
    ("侵权责任", 1164, 1258),
];

/// The 编 a Civil Code article belongs to.
pub fn book_of_article(article: u32) -> Option<&'static str> {
    CODE_BOOK_ARTICLES.iter().find(|(_, first, last)| (*first..=*last).contains(&article)).map(|(book, _, _)| *book)
}

/// One active question revision, ready to serve.
#[derive(Debug, Clone)]
pub struct IndexedQuestion {
    pub revision_id: i64,
    pub bank_key: String,
    pub key: String,
    pub revision: i32,
    pub kind: QuestionKind,
    pub category: String,
    pub difficulty: u8,
    pub stem: String,
    pub options: Vec<String>,
    pub answer: Answer,
    pub explanation: String,
    pub basis: Vec<String>,
}

impl IndexedQuestion {
    pub fn from_row(row: question_revision::Model) -> Option<Self> {
        let kind = QuestionKind::parse(&row.kind)?;
        Some(Self {
            revision_id: row.id,
            answer: Answer::from_code(kind, &row.answer)?,
            options: serde_json::from_str(&row.options).ok()?,
            basis: serde_json::from_str(&row.basis).ok()?,
            bank_key: row.bank_key,
            key: row.key,
            revision: row.revision,
            kind,
            category: row.category,
            difficulty: u8::try_from(row.difficulty).ok()?,
            stem: row.stem,
            explanation: row.explanation,
        })
    }

    /// A question of a file, as it would be served once imported (`revision_id` is a stand-in).
    pub fn of_file(bank_key: &str, q: &Question, revision_id: i64) -> Self {
        Self {
            revision_id,
            bank_key: bank_key.to_owned(),
            key: q.key.clone(),
            revision: 0,
            kind: q.kind(),
            category: q.category.clone(),
            difficulty: q.difficulty.get(),
            stem: q.stem.clone(),
            options: q.options.clone(),
            answer: q.answer.clone(),
            explanation: q.explanation.clone(),
            basis: q.basis.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct CategoryCount {
    pub name: String,
    pub questions: usize,
}

#[derive(Default)]
struct Snapshot {
    by_revision: HashMap<i64, Arc<IndexedQuestion>>,
    /// (bank, category, difficulty) -> revision ids, in a stable order.
    by_slot: BTreeMap<(String, String, u8), Vec<i64>>,
    /// (bank, key) -> current revision id.
    by_identity: HashMap<(String, String), i64>,
    /// Every bank's visibility (a bank missing here is `study`).
    visibility: HashMap<String, Visibility>,
}

impl Snapshot {
    fn add(&mut self, q: Arc<IndexedQuestion>) {
        self.by_slot.entry((q.bank_key.clone(), q.category.clone(), q.difficulty)).or_default().push(q.revision_id);
        self.by_identity.insert((q.bank_key.clone(), q.key.clone()), q.revision_id);
        self.by_revision.insert(q.revision_id, q);
    }

    fn visibility(&self, bank: &str) -> Visibility {
        self.visibility.get(bank).copied().unwrap_or_default()
    }

    /// Whether a slot's bank is one of `banks`, or, for "every bank" (empty), a study bank.
    fn serves(&self, banks: &[String], bank: &str) -> bool {
        if banks.is_empty() { self.visibility(bank) == Visibility::Study } else { banks.iter().any(|b| b == bank) }
    }
}

#[derive(Clone, Default)]
pub struct QuestionIndex {
    snapshot: Arc<RwLock<Arc<Snapshot>>>,
}

impl QuestionIndex {
    /// Reloads every active question's current revision from SQL and swaps the index at once.
    pub async fn refresh(&self, db: &DatabaseConnection) -> Result<usize, DbErr> {
        let active = question::Entity::find().filter(question::Column::Status.eq(ACTIVE)).all(db).await?;
        let current: HashMap<(String, String), i32> =
            active.into_iter().map(|q| ((q.bank_key, q.key), q.revision)).collect();
        let mut snapshot = Snapshot::default();
        for b in bank::Entity::find().all(db).await? {
            snapshot.visibility.insert(b.key, Visibility::parse(&b.visibility).unwrap_or(Visibility::Sealed));
        }
        for row in question_revision::Entity::find().all(db).await? {
            if current.get(&(row.bank_key.clone(), row.key.clone())) != Some(&row.revision) {
                continue;
            }
            let Some(q) = IndexedQuestion::from_row(row) else { continue };
            snapshot.add(Arc::new(q));
        }
        for ids in snapshot.by_slot.values_mut() {
            ids.sort_unstable();
        }
        let count = snapshot.by_revision.len();
        *self.snapshot.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(snapshot);
        Ok(count)
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn len(&self) -> usize {
        self.snapshot().by_revision.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, revision_id: i64) -> Option<Arc<IndexedQuestion>> {
        self.snapshot().by_revision.get(&revision_id).cloned()
    }

    /// An active, current revision of a study bank: what practice may grade.
    pub fn get_for_study(&self, revision_id: i64) -> Option<Arc<IndexedQuestion>> {
        let snapshot = self.snapshot();
        snapshot
            .by_revision
            .get(&revision_id)
            .filter(|q| snapshot.visibility(&q.bank_key) == Visibility::Study)
            .cloned()
    }

    /// A bank's visibility (`study` for a bank pufa does not know).
    pub fn visibility(&self, bank: &str) -> Visibility {
        self.snapshot().visibility(bank)
    }

    /// The active questions of one bank.
    pub fn of_bank(&self, bank: &str) -> Vec<Arc<IndexedQuestion>> {
        let snapshot = self.snapshot();
        let mut questions: Vec<_> = snapshot.by_revision.values().filter(|q| q.bank_key == bank).cloned().collect();
        questions.sort_by(|a, b| a.key.cmp(&b.key));
        questions
    }

    /// This index as it would be with `bank` holding exactly `questions` at `visibility`: what an
    /// import or a change of visibility would leave, for checking campaigns before it happens.
    pub fn with_bank(&self, bank: &str, visibility: Visibility, questions: Vec<Arc<IndexedQuestion>>) -> Self {
        let current = self.snapshot();
        let mut snapshot = Snapshot { visibility: current.visibility.clone(), ..Snapshot::default() };
        snapshot.visibility.insert(bank.to_owned(), visibility);
        for q in current.by_revision.values().filter(|q| q.bank_key != bank) {
            snapshot.add(Arc::clone(q));
        }
        for q in questions {
            snapshot.add(q);
        }
        for ids in snapshot.by_slot.values_mut() {
            ids.sort_unstable();
        }
        Self { snapshot: Arc::new(RwLock::new(Arc::new(snapshot))) }
    }

    /// Active revision ids matching the filters (`None` = any), from the chosen banks (empty =
    /// every study bank).
    pub fn select(&self, banks: &[String], category: Option<&str>, difficulty: Option<u8>) -> Vec<i64> {
        let snapshot = self.snapshot();
        snapshot
            .by_slot
            .iter()
            .filter(|((bank, cat, diff), _)| {
                snapshot.serves(banks, bank)
                    && category.is_none_or(|c| c == cat)
                    && difficulty.is_none_or(|d| d == *diff)
            })
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect()
    }

    /// The questions matching the filters, as a view over the index: no copy, so drawing from
    /// it costs the same with 100 or 100,000 questions in the bank.
    pub fn pool(&self, banks: &[String], category: Option<&str>, difficulty: Option<u8>) -> Pool {
        let snapshot = self.snapshot();
        let mut slots = Vec::new();
        let mut ends = Vec::new();
        let mut len = 0;
        for (slot, ids) in &snapshot.by_slot {
            let (bank, cat, diff) = slot;
            if snapshot.serves(banks, bank)
                && category.is_none_or(|c| c == cat)
                && difficulty.is_none_or(|d| d == *diff)
                && !ids.is_empty()
            {
                len += ids.len();
                slots.push(slot.clone());
                ends.push(len);
            }
        }
        Pool { snapshot, slots, ends }
    }

    /// The current revision of a question identity, if it is active.
    pub fn current_revision(&self, bank: &str, key: &str) -> Option<i64> {
        self.snapshot().by_identity.get(&(bank.to_owned(), key.to_owned())).copied()
    }

    /// Active questions of study banks per category: the seven 编 in the Code's order, then any others.
    pub fn categories(&self) -> Vec<CategoryCount> {
        let snapshot = self.snapshot();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for ((bank, category, _), ids) in &snapshot.by_slot {
            if snapshot.visibility(bank) == Visibility::Study {
                *counts.entry(category.as_str()).or_default() += ids.len();
            }
        }
        let rank = |name: &str| CODE_BOOKS.iter().position(|b| *b == name).unwrap_or(CODE_BOOKS.len());
        let mut list: Vec<CategoryCount> =
            counts.into_iter().map(|(name, questions)| CategoryCount { name: name.to_owned(), questions }).collect();
        list.sort_by(|a, b| rank(&a.name).cmp(&rank(&b.name)).then_with(|| a.name.cmp(&b.name)));
        list
    }
}

/// A filtered view of the index: position `i` of the concatenated matching slots.
pub struct Pool {
    snapshot: Arc<Snapshot>,
    slots: Vec<(String, String, u8)>,
    /// Running totals of slot lengths.
    ends: Vec<usize>,
}

impl Pool {
    pub fn len(&self) -> usize {
        self.ends.last().copied().unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The revision id at `position` (< len).
    pub fn get(&self, position: usize) -> Option<i64> {
        let slot = self.ends.partition_point(|end| *end <= position);
        let start = if slot == 0 { 0 } else { self.ends[slot - 1] };
        self.snapshot.by_slot.get(self.slots.get(slot)?)?.get(position - start).copied()
    }

    /// Whether the pool holds this revision.
    pub fn contains(&self, revision_id: i64) -> bool {
        self.snapshot.by_revision.get(&revision_id).is_some_and(|q| {
            self.slots
                .iter()
                .any(|(bank, cat, diff)| *bank == q.bank_key && *cat == q.category && *diff == q.difficulty)
        })
    }

    /// Every revision id, in pool order (used when most of the pool is excluded).
    pub fn ids(&self) -> Vec<i64> {
        self.slots.iter().filter_map(|slot| self.snapshot.by_slot.get(slot)).flatten().copied().collect()
    }
}
