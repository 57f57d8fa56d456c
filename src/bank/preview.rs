//! A question of an uploaded file as a resident will see it: options lettered from A (a judge
//! question shows 正确 and 错误), then the answer, explanation and basis shown after answering.
//! The dry run returns the first `PREVIEWED` for the staff console to show before importing.

use serde::Serialize;

use super::model::{Answer, Question, QuestionKind, letter};

/// How many questions a dry run previews.
pub const PREVIEWED: usize = 20;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PreviewOption {
    pub key: String,
    pub text: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PreviewQuestion {
    pub key: String,
    pub kind: QuestionKind,
    /// 单选, 多选 or 判断.
    pub kind_label: &'static str,
    pub category: String,
    pub difficulty: u8,
    pub stem: String,
    pub options: Vec<PreviewOption>,
    /// As a resident reads it after answering: `C`, `ABD`, 正确 or 错误.
    pub answer: String,
    pub explanation: String,
    pub basis: Vec<String>,
}

impl PreviewQuestion {
    pub fn of(q: &Question) -> Self {
        let options = match q.kind() {
            QuestionKind::Judge => vec![
                PreviewOption { key: "T".into(), text: "正确".into() },
                PreviewOption { key: "F".into(), text: "错误".into() },
            ],
            _ => q
                .options
                .iter()
                .enumerate()
                .map(|(i, text)| PreviewOption {
                    key: letter(u8::try_from(i).unwrap_or(7)).to_string(),
                    text: text.clone(),
                })
                .collect(),
        };
        let answer = match &q.answer {
            Answer::Judge(true) => "正确".to_owned(),
            Answer::Judge(false) => "错误".to_owned(),
            other => other.code(),
        };
        Self {
            key: q.key.clone(),
            kind: q.kind(),
            kind_label: q.kind().label(),
            category: q.category.clone(),
            difficulty: q.difficulty.get(),
            stem: q.stem.clone(),
            options,
            answer,
            explanation: q.explanation.clone(),
            basis: q.basis.clone(),
        }
    }
}
