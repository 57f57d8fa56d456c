//! The in-memory index of active questions by category and difficulty, rebuilt after every
//! import, so drawing a quiz never scans the questions table.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;

use super::import::ACTIVE;
use super::model::{Answer, QuestionKind};
use crate::db::entity::{question, question_revision};

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
        for row in question_revision::Entity::find().all(db).await? {
            if current.get(&(row.bank_key.clone(), row.key.clone())) != Some(&row.revision) {
                continue;
            }
            let Some(q) = IndexedQuestion::from_row(row) else { continue };
            snapshot
                .by_slot
                .entry((q.bank_key.clone(), q.category.clone(), q.difficulty))
                .or_default()
                .push(q.revision_id);
            snapshot.by_identity.insert((q.bank_key.clone(), q.key.clone()), q.revision_id);
            snapshot.by_revision.insert(q.revision_id, Arc::new(q));
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

    /// Active revision ids matching the filters (`None` = any), from the chosen banks (empty = all).
    pub fn select(&self, banks: &[String], category: Option<&str>, difficulty: Option<u8>) -> Vec<i64> {
        let snapshot = self.snapshot();
        snapshot
            .by_slot
            .iter()
            .filter(|((bank, cat, diff), _)| {
                (banks.is_empty() || banks.contains(bank))
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
            if (banks.is_empty() || banks.contains(bank))
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

    /// Active questions per category: the seven 编 in the Code's order, then any others.
    pub fn categories(&self) -> Vec<CategoryCount> {
        let snapshot = self.snapshot();
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for ((_, category, _), ids) in &snapshot.by_slot {
            *counts.entry(category.as_str()).or_default() += ids.len();
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
