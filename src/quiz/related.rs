//! 相关案例: the published lessons whose Civil Code articles overlap a question's basis, shown
//! with practice outcomes, reviews, the daily question and the mistake book.

use super::Quiz;
use crate::bank::citation::Citation;
use crate::lessons::LessonLink;

impl Quiz {
    pub(super) fn related_lessons(&self, basis: &[String]) -> Vec<LessonLink> {
        let articles: Vec<u32> =
            basis.iter().filter_map(|item| Citation::parse(item).ok()?.civil_code_article()).collect();
        self.lessons.related(&articles)
    }
}
