//! The published lessons, held in memory: the public list (by article and tag), the tag counts,
//! and the lessons related to a question's articles (asked on every practice outcome, review and
//! mistake-book entry, so never a query of its own). This process's lesson writes refresh it at
//! once; another process's are seen within `MAX_AGE`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;

use crate::db::entity::lesson;

/// How old the snapshot may get before a read loads it again.
const MAX_AGE: Duration = Duration::from_secs(30);
/// Related lessons shown with one question.
const MAX_RELATED: usize = 3;
/// The most lessons one page of the list gives.
pub const MAX_PAGE: u64 = 100;

/// A lesson in lists.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct LessonSummary {
    #[schema(example = "loan-no-iou")]
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// Civil Code article numbers.
    pub articles: Vec<u32>,
    pub tags: Vec<String>,
    /// `YYYY-MM-DD`.
    #[schema(example = "2026-11-10")]
    pub published_on: String,
}

impl LessonSummary {
    pub fn from_row(row: &lesson::Model) -> Self {
        Self {
            slug: row.slug.clone(),
            title: row.title.clone(),
            summary: row.summary.clone(),
            articles: serde_json::from_str(&row.articles).unwrap_or_default(),
            tags: serde_json::from_str(&row.tags).unwrap_or_default(),
            published_on: row.published_on.clone(),
        }
    }
}

/// A lesson named where a question or a request links to it (相关案例).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct LessonLink {
    #[schema(example = "loan-no-iou")]
    pub slug: String,
    #[schema(example = "借钱没写借条，还能要回来吗？")]
    pub title: String,
}

/// One page of the public list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LessonPage {
    pub items: Vec<LessonSummary>,
    /// How many lessons match, on every page.
    pub total: usize,
}

/// A topic tag and how many published lessons carry it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct TagCount {
    #[schema(example = "民间借贷与担保")]
    pub tag: String,
    pub lessons: usize,
}

/// The published lessons, newest first, as loaded at one moment.
pub struct Snapshot {
    lessons: Vec<LessonSummary>,
    loaded: Instant,
}

impl Snapshot {
    /// The lessons citing `article` and/or tagged `tag`, `offset..offset + limit` of them.
    pub fn page(&self, article: Option<u32>, tag: Option<&str>, offset: u64, limit: u64) -> LessonPage {
        let matching: Vec<&LessonSummary> = self
            .lessons
            .iter()
            .filter(|l| article.is_none_or(|a| l.articles.contains(&a)))
            .filter(|l| tag.is_none_or(|t| l.tags.iter().any(|x| x == t)))
            .collect();
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(limit.clamp(1, MAX_PAGE)).unwrap_or(1);
        LessonPage { total: matching.len(), items: matching.into_iter().skip(offset).take(limit).cloned().collect() }
    }

    /// Every tag with its count, most used first.
    pub fn tags(&self) -> Vec<TagCount> {
        let mut counts: Vec<TagCount> = Vec::new();
        for tag in self.lessons.iter().flat_map(|l| &l.tags) {
            match counts.iter_mut().find(|c| &c.tag == tag) {
                Some(count) => count.lessons += 1,
                None => counts.push(TagCount { tag: tag.clone(), lessons: 1 }),
            }
        }
        counts.sort_by(|a, b| b.lessons.cmp(&a.lessons).then_with(|| a.tag.cmp(&b.tag)));
        counts
    }

    /// Lessons sharing articles with `articles`: most shared first, then the newest.
    pub fn related(&self, articles: &[u32]) -> Vec<LessonLink> {
        if articles.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<(usize, &LessonSummary)> = self
            .lessons
            .iter()
            .map(|l| (l.articles.iter().filter(|a| articles.contains(a)).count(), l))
            .filter(|(shared, _)| *shared > 0)
            .collect();
        // `lessons` is newest first already; a stable sort keeps that among equals.
        found.sort_by_key(|(shared, _)| std::cmp::Reverse(*shared));
        found
            .into_iter()
            .take(MAX_RELATED)
            .map(|(_, l)| LessonLink { slug: l.slug.clone(), title: l.title.clone() })
            .collect()
    }
}

struct Inner {
    snapshot: RwLock<Arc<Snapshot>>,
    refreshing: AtomicBool,
}

/// The shared handle; cheap to clone.
#[derive(Clone)]
pub struct LessonIndex {
    db: DatabaseConnection,
    inner: Arc<Inner>,
}

impl LessonIndex {
    pub async fn load(db: DatabaseConnection) -> Result<Self, DbErr> {
        let snapshot = Self::read(&db).await?;
        Ok(Self {
            db,
            inner: Arc::new(Inner { snapshot: RwLock::new(Arc::new(snapshot)), refreshing: AtomicBool::new(false) }),
        })
    }

    async fn read(db: &DatabaseConnection) -> Result<Snapshot, DbErr> {
        let rows = lesson::Entity::find().filter(lesson::Column::Published.eq(true)).all(db).await?;
        let mut lessons: Vec<LessonSummary> = rows.iter().map(LessonSummary::from_row).collect();
        lessons.sort_by(|a, b| b.published_on.cmp(&a.published_on).then_with(|| a.slug.cmp(&b.slug)));
        Ok(Snapshot { lessons, loaded: Instant::now() })
    }

    /// Loads the published lessons again (after a write, or when the snapshot is old).
    pub async fn refresh(&self) -> Result<(), DbErr> {
        let snapshot = Arc::new(Self::read(&self.db).await?);
        *self.inner.snapshot.write().unwrap_or_else(PoisonError::into_inner) = snapshot;
        Ok(())
    }

    fn current(&self) -> Arc<Snapshot> {
        Arc::clone(&self.inner.snapshot.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The snapshot, loaded again first when it is old (a failed load serves the old one; while
    /// another request loads it, the old one answers).
    pub async fn fresh(&self) -> Arc<Snapshot> {
        if self.current().loaded.elapsed() > MAX_AGE && !self.inner.refreshing.swap(true, Ordering::AcqRel) {
            if let Err(e) = self.refresh().await {
                tracing::warn!(error = %e, "lesson index not refreshed");
            }
            self.inner.refreshing.store(false, Ordering::Release);
        }
        self.current()
    }

    /// The published lessons related to a question's Civil Code articles. Never waits for SQL:
    /// an old snapshot answers and is loaded again in the background.
    pub fn related(&self, articles: &[u32]) -> Vec<LessonLink> {
        let snapshot = self.current();
        if snapshot.loaded.elapsed() > MAX_AGE && !self.inner.refreshing.swap(true, Ordering::AcqRel) {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let index = self.clone();
                runtime.spawn(async move {
                    if let Err(e) = index.refresh().await {
                        tracing::warn!(error = %e, "lesson index not refreshed");
                    }
                    index.inner.refreshing.store(false, Ordering::Release);
                });
            } else {
                self.inner.refreshing.store(false, Ordering::Release);
            }
        }
        snapshot.related(articles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lesson(slug: &str, day: &str, articles: &[u32], tags: &[&str]) -> LessonSummary {
        LessonSummary {
            slug: slug.into(),
            title: slug.into(),
            summary: String::new(),
            articles: articles.to_vec(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            published_on: day.into(),
        }
    }

    #[test]
    fn lists_filter_and_related_lessons_prefer_more_shared_articles_then_newer() {
        let snapshot = Snapshot {
            lessons: vec![
                lesson("newest", "2026-12-01", &[1245], &["饲养动物致人损害"]),
                lesson("middle", "2026-11-20", &[1245, 1251], &["饲养动物致人损害", "相邻关系"]),
                lesson("oldest", "2026-11-01", &[679], &["民间借贷与担保"]),
            ],
            loaded: Instant::now(),
        };
        let slugs = |links: Vec<LessonLink>| links.into_iter().map(|l| l.slug).collect::<Vec<_>>();
        assert_eq!(slugs(snapshot.related(&[1245, 1251])), ["middle", "newest"]);
        assert_eq!(slugs(snapshot.related(&[1245])), ["newest", "middle"]);
        assert!(snapshot.related(&[1]).is_empty());
        let page = snapshot.page(Some(1245), None, 1, 10);
        assert_eq!((page.total, page.items.len(), page.items[0].slug.as_str()), (2, 1, "middle"));
        assert_eq!(snapshot.page(None, Some("相邻关系"), 0, 10).total, 1);
        assert_eq!(snapshot.page(None, None, u64::MAX, 0).items.len(), 0);
        assert_eq!(snapshot.tags()[0], TagCount { tag: "饲养动物致人损害".into(), lessons: 2 });
    }
}
