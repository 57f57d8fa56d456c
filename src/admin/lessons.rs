//! Staff writes on lessons, 每日一法 and 你点我讲 requests, each recorded in the audit log.

use serde_json::json;

use super::{AdminError, AdminOps};
use crate::lessons::{DailyLawEdit, DailyLawItem, LessonEdit, LessonView, NewLesson, StaffLessonRequest};

impl AdminOps {
    pub async fn create_lesson(&self, actor: i64, new: NewLesson) -> Result<LessonView, AdminError> {
        let lesson = self.lessons.create(actor, new).await?;
        let details = json!({"revision": lesson.revision, "published": lesson.published, "title": lesson.title});
        self.record(Some(actor), "lesson.create", &lesson.slug, details).await?;
        Ok(lesson)
    }

    /// A new revision of a lesson's content (nothing recorded when nothing changed).
    pub async fn update_lesson(&self, actor: i64, slug: &str, edit: &LessonEdit) -> Result<LessonView, AdminError> {
        let (lesson, changed) = self.lessons.update(actor, slug, edit).await?;
        if changed {
            let details = json!({"revision": lesson.revision, "title": lesson.title});
            self.record(Some(actor), "lesson.update", &lesson.slug, details).await?;
        }
        Ok(lesson)
    }

    pub async fn publish_lesson(&self, actor: i64, slug: &str, published: bool) -> Result<LessonView, AdminError> {
        let lesson = self.lessons.set_published(slug, published).await?;
        let action = if published { "lesson.publish" } else { "lesson.unpublish" };
        self.record(Some(actor), action, &lesson.slug, json!({"revision": lesson.revision})).await?;
        Ok(lesson)
    }

    pub async fn save_daily_law_item(
        &self,
        actor: i64,
        article: &str,
        edit: &DailyLawEdit,
    ) -> Result<DailyLawItem, AdminError> {
        let (item, created) = self.lessons.save_daily_law_item(actor, article, edit).await?;
        let action = if created { "daily_law.create" } else { "daily_law.update" };
        let details = json!({"title": item.title, "in_rotation": item.in_rotation});
        self.record(Some(actor), action, &item.article.to_string(), details).await?;
        Ok(item)
    }

    pub async fn answer_lesson_request(
        &self,
        actor: i64,
        id: &str,
        slug: &str,
    ) -> Result<StaffLessonRequest, AdminError> {
        let request = self.lessons.answer_request(actor, id, slug).await?;
        let target = request.request.id.to_string();
        self.record(Some(actor), "lesson_request.answer", &target, json!({"lesson": slug})).await?;
        Ok(request)
    }

    pub async fn decline_lesson_request(
        &self,
        actor: i64,
        id: &str,
        reason: &str,
    ) -> Result<StaffLessonRequest, AdminError> {
        let request = self.lessons.decline_request(actor, id, reason).await?;
        let target = request.request.id.to_string();
        self.record(Some(actor), "lesson_request.decline", &target, json!({"reason": request.request.reason})).await?;
        Ok(request)
    }
}
