//! The Civil Code's own text, shipped as question-bank/reference/civil-code.jsonl (one article a
//! line) and loaded once at start. A law's text is not covered by copyright (著作权法第五条).

use std::path::Path;

use serde::{Deserialize, Serialize};

/// How many articles the Civil Code has.
pub const ARTICLES: u32 = 1260;

/// Far more than the shipped file (about 0.5 MB): a larger file is not the Code.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// One article as the API shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ArticleView {
    /// 1–1260.
    #[schema(example = 1047)]
    pub number: u32,
    /// The number as the Code writes it.
    #[schema(example = "第一千零四十七条")]
    pub title: String,
    /// The 编.
    #[schema(example = "第五编 婚姻家庭")]
    pub part: String,
    /// The 章 (none for the two articles of 附则).
    #[schema(required = true, example = "第二章 结婚")]
    pub chapter: Option<String>,
    /// The article's text; paragraphs and enumerated items are separated by `\n`.
    pub text: String,
}

/// A line of the shipped file.
#[derive(Deserialize)]
struct Line {
    article: u32,
    title: String,
    part: String,
    chapter: Option<String>,
    text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CodeFileError {
    #[error("{file}: {problem}")]
    Unreadable { file: String, problem: String },
    #[error("{file}:{line}: {problem}")]
    Invalid { file: String, line: usize, problem: String },
}

/// The whole Code, article `n` at index `n - 1`.
#[derive(Debug, Default)]
pub struct CivilCode {
    articles: Vec<ArticleView>,
}

impl CivilCode {
    /// Reads the shipped file; anything but the 1260 articles in order is refused.
    pub fn load(path: &Path) -> Result<Self, CodeFileError> {
        let file = path.display().to_string();
        let unreadable = |problem: String| CodeFileError::Unreadable { file: file.clone(), problem };
        let size = std::fs::metadata(path).map_err(|e| unreadable(e.to_string()))?.len();
        if size > MAX_FILE_BYTES {
            return Err(unreadable(format!("{size} bytes, more than {MAX_FILE_BYTES}")));
        }
        let text = std::fs::read_to_string(path).map_err(|e| unreadable(e.to_string()))?;
        Self::parse(&text).map_err(|(line, problem)| CodeFileError::Invalid { file, line, problem })
    }

    /// The articles from JSON Lines text; an error names its line.
    pub fn parse(text: &str) -> Result<Self, (usize, String)> {
        let mut articles = Vec::with_capacity(ARTICLES as usize);
        for (i, raw) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let line: Line = serde_json::from_str(raw).map_err(|e| (i + 1, e.to_string()))?;
            let expected = u32::try_from(articles.len()).unwrap_or(u32::MAX) + 1;
            if line.article != expected {
                return Err((i + 1, format!("article {} where article {expected} belongs", line.article)));
            }
            if line.text.trim().is_empty() {
                return Err((i + 1, "empty text".to_owned()));
            }
            articles.push(ArticleView {
                number: line.article,
                title: line.title,
                part: line.part,
                chapter: line.chapter,
                text: line.text,
            });
        }
        if articles.len() != ARTICLES as usize {
            return Err((text.lines().count(), format!("{} articles, not {ARTICLES}", articles.len())));
        }
        Ok(Self { articles })
    }

    pub fn article(&self, number: u32) -> Option<&ArticleView> {
        let index = usize::try_from(number.checked_sub(1)?).ok()?;
        self.articles.get(index)
    }

    pub fn len(&self) -> usize {
        self.articles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.articles.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_whole_code_in_order_loads() {
        let line = |n: u32| format!(r#"{{"article": {n}, "title": "第{n}条", "part": "编", "text": "条文"}}"#);
        let whole: Vec<String> = (1..=ARTICLES).map(line).collect();
        let code = CivilCode::parse(&whole.join("\n")).expect("the whole code");
        assert_eq!(code.article(1260).map(|a| a.number), Some(1260));
        assert!(code.article(0).is_none() && code.article(1261).is_none());
        let mut swapped = whole.clone();
        swapped.swap(3, 4);
        assert_eq!(CivilCode::parse(&swapped.join("\n")).err().map(|e| e.0), Some(4));
        assert!(CivilCode::parse(&whole[..1259].join("\n")).is_err());
        assert!(CivilCode::parse("not json").is_err());
    }
}
