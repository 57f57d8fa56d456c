//! The start-up import of question-bank/lessons/: the lesson files (`<slug>.md`) and the 每日一法
//! items (`daily-law.toml`). Idempotent, and never undoing staff work: a lesson or item whose
//! current version came from the file follows the file; one staff edited keeps the staff version.
//! A broken file (or item) is reported with its place and skipped; the rest is imported.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait, TransactionTrait};
use serde::Deserialize;

use super::content::{LessonFile, parse_file};
use super::daily::check_item;
use super::store::{Source, add_revision, by_slug, insert};
use super::{Lessons, LessonsError};
use crate::db::entity::daily_law_item;
use crate::problems::PlacedProblem;

/// The daily items' file, in question-bank/lessons/.
pub const DAILY_LAW_FILE: &str = "daily-law.toml";
/// Far more than any lesson or the daily file: a larger file is refused unread.
const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// Lesson files read at start.
const MAX_LESSON_FILES: usize = 2000;

/// What one start-up import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Edited by staff: the file was not applied.
    pub kept_staff: usize,
    /// Daily items no longer in the file, taken out of the rotation.
    pub retired: usize,
    pub problems: Vec<PlacedProblem>,
}

fn read(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!("文件有{size}字节，超过{MAX_FILE_BYTES}字节"));
    }
    std::fs::read_to_string(path).map_err(|_| "文件无法读取，或不是UTF-8编码".to_owned())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DailyFile {
    items: Vec<DailyFileItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DailyFileItem {
    article: i64,
    title: String,
    gloss: String,
}

impl Lessons {
    /// Imports the lesson files of `dir`.
    pub async fn import_lessons(&self, dir: &Path) -> Result<ImportReport, LessonsError> {
        let mut report = ImportReport::default();
        let Ok(entries) = std::fs::read_dir(dir) else { return Ok(report) };
        let mut paths: Vec<_> =
            entries.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "md")).collect();
        paths.sort();
        paths.truncate(MAX_LESSON_FILES);
        let mut seen = HashSet::new();
        for path in paths {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let lesson = read(&path)
                .map_err(|p| vec![PlacedProblem::new(name.clone(), "file", p)])
                .and_then(|text| parse_file(&name, &text));
            match lesson {
                Ok(lesson) if seen.insert(lesson.slug.clone()) => self.import_lesson(&lesson, &mut report).await?,
                Ok(_) => report.problems.push(PlacedProblem::new(name, "slug", "课程标识重复了")),
                Err(problems) => report.problems.extend(problems),
            }
        }
        self.after_write().await;
        Ok(report)
    }

    async fn import_lesson(&self, file: &LessonFile, report: &mut ImportReport) -> Result<(), LessonsError> {
        let now = self.clock.now();
        let written = match by_slug(&self.db, file.slug.as_str()).await? {
            None => insert(&self.db, &file.slug, &file.content, Source::File, None, true, now).await.map(|_| {
                report.created += 1;
            }),
            Some(row) if row.source == Source::Staff.as_str() => {
                report.kept_staff += 1;
                Ok(())
            }
            Some(row) if row.content_hash == file.content.content_hash() => {
                report.unchanged += 1;
                Ok(())
            }
            Some(row) => add_revision(&self.db, row, &file.content, Source::File, None, now).await.map(|_| {
                report.updated += 1;
            }),
        };
        match written {
            // Another pufa starting at the same time imported it first.
            Err(LessonsError::SlugTaken | LessonsError::EditConflict) => {
                report.unchanged += 1;
                Ok(())
            }
            other => other,
        }
    }

    /// Imports the daily items of `file`, in one transaction.
    pub async fn import_daily_law(&self, file: &Path) -> Result<ImportReport, LessonsError> {
        let mut report = ImportReport::default();
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !file.exists() {
            return Ok(report);
        }
        let parsed = read(file)
            .and_then(|text| toml::from_str::<DailyFile>(&text).map_err(|e| format!("文件写法不对：{}", e.message())));
        let items = match parsed {
            Ok(parsed) => parsed.items,
            Err(problem) => {
                report.problems.push(PlacedProblem::new(name, "file", problem));
                return Ok(report);
            }
        };
        let mut wanted = Vec::new();
        let mut seen = HashSet::new();
        // An item with a problem is skipped, not retired: it stays as it was until it is fixed.
        let mut broken = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            let place = format!("{name}: 第{}个条目", i + 1);
            match check_item(item.article, &item.title, &item.gloss) {
                Ok(content) if seen.insert(content.article) => {
                    wanted.push((i32::try_from(i + 1).unwrap_or(0), content))
                }
                Ok(content) => {
                    report.problems.push(PlacedProblem::new(place, "article", format!("第{}条重复了", content.article)))
                }
                Err(problems) => {
                    broken.insert(i32::try_from(item.article).unwrap_or(0));
                    report
                        .problems
                        .extend(problems.into_iter().map(|p| PlacedProblem::new(place.clone(), &p.field, p.problem)));
                }
            }
        }
        let now = self.clock.now();
        let txn = self.db.begin().await?;
        let stored: HashMap<i32, daily_law_item::Model> =
            daily_law_item::Entity::find().all(&txn).await?.into_iter().map(|r| (r.article, r)).collect();
        for (position, content) in &wanted {
            let article = i32::try_from(content.article).unwrap_or(0);
            match stored.get(&article) {
                None => {
                    daily_law_item::ActiveModel {
                        article: Set(article),
                        title: Set(content.title.clone()),
                        gloss: Set(content.gloss.clone()),
                        position: Set(*position),
                        in_rotation: Set(true),
                        source: Set(Source::File.as_str().to_owned()),
                        updated_at: Set(now),
                        updated_by: Set(None),
                        ..Default::default()
                    }
                    .insert(&txn)
                    .await?;
                    report.created += 1;
                }
                Some(row) if row.source == Source::Staff.as_str() => report.kept_staff += 1,
                Some(row)
                    if row.title == content.title
                        && row.gloss == content.gloss
                        && row.position == *position
                        && row.in_rotation =>
                {
                    report.unchanged += 1;
                }
                Some(row) => {
                    let mut model: daily_law_item::ActiveModel = row.clone().into();
                    model.title = Set(content.title.clone());
                    model.gloss = Set(content.gloss.clone());
                    model.position = Set(*position);
                    model.in_rotation = Set(true);
                    model.updated_at = Set(now);
                    model.update(&txn).await?;
                    report.updated += 1;
                }
            }
        }
        let mut listed: HashSet<i32> = wanted.iter().map(|(_, c)| i32::try_from(c.article).unwrap_or(0)).collect();
        listed.extend(broken);
        for row in stored.into_values() {
            if row.source == Source::File.as_str() && row.in_rotation && !listed.contains(&row.article) {
                let mut model: daily_law_item::ActiveModel = row.into();
                model.in_rotation = Set(false);
                model.updated_at = Set(now);
                model.update(&txn).await?;
                report.retired += 1;
            }
        }
        txn.commit().await?;
        Ok(report)
    }
}
