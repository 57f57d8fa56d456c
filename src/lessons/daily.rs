//! 每日一法: an article a day with a title and a plain-language gloss. The items come from
//! question-bank/lessons/daily-law.toml (imported at start, in the file's order) and staff may
//! edit them, add more or take them out of the rotation. A day's item is the rotation's item at
//! the day's number modulo its length: the same for everyone that day, and every item in turn.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::code::{ARTICLES, ArticleView};
use super::index::LessonLink;
use super::store::Source;
use super::{Lessons, LessonsError};
use crate::db::entity::daily_law_item;
use crate::problems::FieldProblem;

pub const MAX_DAILY_TITLE_CHARS: usize = 30;
pub const MAX_GLOSS_CHARS: usize = 400;
/// Day 0 of the rotation.
const ROTATION_EPOCH: (i32, u32, u32) = (2026, 1, 1);

/// The day's article.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DailyLaw {
    /// The Asia/Shanghai day, `YYYY-MM-DD`.
    #[schema(example = "2026-12-02")]
    pub date: String,
    pub article: ArticleView,
    #[schema(example = "私人借钱，钱给了才算数")]
    pub title: String,
    /// The article in plain words.
    pub gloss: String,
    /// A published lesson citing the article, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub lesson: Option<LessonLink>,
}

/// An item as staff manage it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DailyLawItem {
    pub article: u32,
    pub title: String,
    pub gloss: String,
    /// Its place in the rotation.
    pub position: i32,
    pub in_rotation: bool,
    /// `file` (question-bank/lessons/daily-law.toml) or `staff`.
    #[schema(example = "file")]
    pub source: String,
    pub updated_at: DateTime<Utc>,
}

impl DailyLawItem {
    fn new(row: daily_law_item::Model) -> Self {
        Self {
            article: u32::try_from(row.article).unwrap_or(0),
            title: row.title,
            gloss: row.gloss,
            position: row.position,
            in_rotation: row.in_rotation,
            source: row.source,
            updated_at: row.updated_at,
        }
    }
}

/// A staff member's item for an article.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DailyLawEdit {
    /// 2–30 characters.
    #[schema(example = "私人借钱，钱给了才算数")]
    pub title: String,
    /// 10–400 characters of plain words.
    pub gloss: String,
    /// Whether the item is shown in turn (default true).
    #[serde(default = "in_rotation_by_default")]
    pub in_rotation: bool,
}

fn in_rotation_by_default() -> bool {
    true
}

/// An item's content, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyItemContent {
    pub article: u32,
    pub title: String,
    pub gloss: String,
}

/// Checks an item (from the file or from staff), naming every problem.
pub fn check_item(article: i64, title: &str, gloss: &str) -> Result<DailyItemContent, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let article = u32::try_from(article).ok().filter(|n| (1..=ARTICLES).contains(n));
    if article.is_none() {
        problems.push(FieldProblem::new("article", format!("民法典只有第1条到第{ARTICLES}条")));
    }
    let mut bounded = |field: &str, raw: &str, min: usize, max: usize, what: &str| {
        let value = raw.trim();
        let count = value.chars().count();
        if value.chars().any(char::is_control) {
            problems.push(FieldProblem::new(field, format!("{what}不能含换行或控制字符")));
        } else if !(min..=max).contains(&count) {
            problems.push(FieldProblem::new(field, format!("{what}要写{min}到{max}个字，现在是{count}个字")));
        }
        value.to_owned()
    };
    let title = bounded("title", title, 2, MAX_DAILY_TITLE_CHARS, "标题");
    let gloss = bounded("gloss", gloss, 10, MAX_GLOSS_CHARS, "解读");
    match article {
        Some(article) if problems.is_empty() => Ok(DailyItemContent { article, title, gloss }),
        _ => Err(problems),
    }
}

/// A day as the query gives it.
pub fn parse_day(raw: &str) -> Result<NaiveDate, LessonsError> {
    super::content::parse_day("date", raw).map_err(LessonsError::InvalidQuery)
}

/// The rotation's index for a day, for a rotation of `len` items.
fn rotation_index(day: NaiveDate, len: u64) -> u64 {
    let (y, m, d) = ROTATION_EPOCH;
    let epoch = NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
    let days = (day - epoch).num_days();
    u64::try_from(days.rem_euclid(i64::try_from(len.max(1)).unwrap_or(i64::MAX))).unwrap_or(0)
}

impl Lessons {
    /// The item of a day (today in Asia/Shanghai when none is given), with its article's text.
    pub async fn daily_law(&self, day: Option<NaiveDate>) -> Result<DailyLaw, LessonsError> {
        let day = day.unwrap_or_else(|| self.today());
        let in_rotation = || {
            daily_law_item::Entity::find()
                .filter(daily_law_item::Column::InRotation.eq(true))
                .order_by_asc(daily_law_item::Column::Position)
                .order_by_asc(daily_law_item::Column::Article)
        };
        let len = in_rotation().count(&self.db).await?;
        if len == 0 {
            return Err(LessonsError::NotFound);
        }
        let row = in_rotation()
            .offset(rotation_index(day, len))
            .limit(1)
            .one(&self.db)
            .await?
            .ok_or(LessonsError::NotFound)?;
        let number = u32::try_from(row.article).unwrap_or(0);
        let article = self.code.article(number).cloned().ok_or(LessonsError::NotFound)?;
        let lesson = self.index.fresh().await.related(&[number]).into_iter().next();
        Ok(DailyLaw { date: day.to_string(), article, title: row.title, gloss: row.gloss, lesson })
    }

    /// Every item, in rotation order (staff).
    pub async fn daily_law_items(&self) -> Result<Vec<DailyLawItem>, LessonsError> {
        let rows = daily_law_item::Entity::find()
            .order_by_asc(daily_law_item::Column::Position)
            .order_by_asc(daily_law_item::Column::Article)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(DailyLawItem::new).collect())
    }

    /// Creates or replaces the item of an article (staff); a new one joins the end of the
    /// rotation. Returns the item and whether it was new. The start-up import keeps it as it is.
    pub async fn save_daily_law_item(
        &self,
        actor: i64,
        article: &str,
        edit: &DailyLawEdit,
    ) -> Result<(DailyLawItem, bool), LessonsError> {
        let number: i64 = article.parse().map_err(|_| LessonsError::NotFound)?;
        if !(1..=i64::from(ARTICLES)).contains(&number) {
            return Err(LessonsError::NotFound);
        }
        let content = check_item(number, &edit.title, &edit.gloss).map_err(LessonsError::InvalidDailyLaw)?;
        let article = i32::try_from(content.article).unwrap_or(0);
        let existing =
            daily_law_item::Entity::find().filter(daily_law_item::Column::Article.eq(article)).one(&self.db).await?;
        let now = self.clock.now();
        let created = existing.is_none();
        let mut model = match existing {
            Some(row) => row.into(),
            None => {
                let last = daily_law_item::Entity::find()
                    .order_by_desc(daily_law_item::Column::Position)
                    .one(&self.db)
                    .await?
                    .map_or(0, |r| r.position);
                daily_law_item::ActiveModel {
                    article: Set(article),
                    position: Set(last.saturating_add(1)),
                    ..Default::default()
                }
            }
        };
        model.title = Set(content.title);
        model.gloss = Set(content.gloss);
        model.in_rotation = Set(edit.in_rotation);
        model.source = Set(Source::Staff.as_str().to_owned());
        model.updated_at = Set(now);
        model.updated_by = Set(Some(actor));
        let row = if created { model.insert(&self.db).await } else { model.update(&self.db).await };
        let row = row.map_err(|e| match e.sql_err() {
            // Another staff member created the same article's item meanwhile.
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => LessonsError::EditConflict,
            _ => LessonsError::Db(e),
        })?;
        Ok((DailyLawItem::new(row), created))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_day_takes_the_next_item_and_the_rotation_wraps() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day");
        assert_eq!(rotation_index(day("2026-01-01"), 156), 0);
        assert_eq!(rotation_index(day("2026-01-02"), 156), 1);
        assert_eq!(rotation_index(day("2026-06-06"), 156), 0, "day 156 starts the rotation again");
        assert_eq!(rotation_index(day("2025-12-31"), 156), 155, "days before the epoch wrap too");
        assert_eq!(rotation_index(day("2026-03-01"), 1), 0);
    }

    #[test]
    fn items_are_bounded() {
        assert!(check_item(679, "私人借钱", "自然人之间的借款合同，自出借人提供借款时成立。").is_ok());
        let problems = check_item(1261, "x", "短").expect_err("bad");
        assert_eq!(problems.iter().map(|p| p.field.as_str()).collect::<Vec<_>>(), ["article", "title", "gloss"]);
    }
}
