//! A question as the bank holds it: every field already checked, so nothing deeper re-checks.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum QuestionKind {
    Single,
    Multiple,
    Judge,
}

impl QuestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Single => "single",
            Self::Multiple => "multiple",
            Self::Judge => "judge",
        }
    }

    /// English or Chinese, as clerks write it in a spreadsheet.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_lowercase().as_str() {
            "single" | "单选" | "单选题" | "单项选择" | "单项选择题" => Some(Self::Single),
            "multiple" | "多选" | "多选题" | "多项选择" | "多项选择题" => Some(Self::Multiple),
            "judge" | "判断" | "判断题" | "true_false" => Some(Self::Judge),
            _ => None,
        }
    }

    /// Chinese label for spreadsheets.
    pub fn label(self) -> &'static str {
        match self {
            Self::Single => "单选",
            Self::Multiple => "多选",
            Self::Judge => "判断",
        }
    }
}

/// The right answer. Choice letters index `options` (A = 0).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Answer {
    Single(u8),
    /// Two or more, ascending.
    Multiple(Vec<u8>),
    Judge(bool),
}

pub const LETTERS: &[u8; 8] = b"ABCDEFGH";

impl Answer {
    pub fn kind(&self) -> QuestionKind {
        match self {
            Self::Single(_) => QuestionKind::Single,
            Self::Multiple(_) => QuestionKind::Multiple,
            Self::Judge(_) => QuestionKind::Judge,
        }
    }

    /// `C`, `ABD`, `T` or `F`: how SQL stores it and how a file writes it.
    pub fn code(&self) -> String {
        match self {
            Self::Single(i) => letter(*i).to_string(),
            Self::Multiple(list) => list.iter().map(|i| letter(*i)).collect(),
            Self::Judge(true) => "T".to_owned(),
            Self::Judge(false) => "F".to_owned(),
        }
    }

    /// Reads back what `code` wrote for a question of `kind`.
    pub fn from_code(kind: QuestionKind, code: &str) -> Option<Self> {
        match kind {
            QuestionKind::Judge => match code {
                "T" => Some(Self::Judge(true)),
                "F" => Some(Self::Judge(false)),
                _ => None,
            },
            QuestionKind::Single => {
                let [b] = code.as_bytes() else { return None };
                index_of(*b).map(Self::Single)
            }
            QuestionKind::Multiple => {
                let list: Option<Vec<u8>> = code.bytes().map(index_of).collect();
                list.filter(|l| l.len() >= 2).map(Self::Multiple)
            }
        }
    }
}

pub fn letter(index: u8) -> char {
    char::from(LETTERS.get(usize::from(index)).copied().unwrap_or(b'?'))
}

fn index_of(b: u8) -> Option<u8> {
    LETTERS.iter().position(|l| *l == b).and_then(|i| u8::try_from(i).ok())
}

/// Difficulty 1 (easy) to 3 (hard).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Difficulty(u8);

impl Difficulty {
    pub fn new(level: i64) -> Option<Self> {
        u8::try_from(level).ok().filter(|l| (1..=3).contains(l)).map(Self)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// A validated question, as a file describes it (no database identity yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub key: String,
    pub category: String,
    pub difficulty: Difficulty,
    pub stem: String,
    /// Empty for judge questions.
    pub options: Vec<String>,
    pub answer: Answer,
    pub explanation: String,
    pub basis: Vec<String>,
}

impl Question {
    pub fn kind(&self) -> QuestionKind {
        self.answer.kind()
    }

    /// A digest of everything a resident sees or is graded on: equal digests, same question.
    pub fn content_hash(&self) -> String {
        let canonical = serde_json::json!([
            self.kind().as_str(),
            self.category,
            self.difficulty.get(),
            self.stem,
            self.options,
            self.answer.code(),
            self.explanation,
            self.basis,
        ]);
        crate::digest::sha256_hex(canonical.to_string().as_bytes())
    }
}

/// A bank as a file describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankFile {
    pub key: String,
    /// From a TOML/JSON `[bank]` header or the upload's `title=`; a spreadsheet without one keeps
    /// the bank's stored title (or takes its key, for a new bank).
    pub title: Option<String>,
    /// From `[bank] visibility = "sealed"`; `None` keeps the stored one (`study` for a new bank).
    pub visibility: Option<Visibility>,
    pub questions: Vec<Question>,
    /// What the file has that pufa ignored (an unknown column such as 序号): shown in the dry run.
    pub warnings: Vec<crate::problems::PlacedProblem>,
}

/// Who sees a bank's questions. `study` banks serve practice, the offline pack, the daily question,
/// categories and campaigns that draw from every study bank; a `sealed` bank's questions are drawn
/// only by campaigns that name it, and never shown outside a campaign session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Study,
    Sealed,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Study => "study",
            Self::Sealed => "sealed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "study" => Some(Self::Study),
            "sealed" => Some(Self::Sealed),
            _ => None,
        }
    }
}

/// Where a question's current state came from: the shipped files imported at start, a staff
/// upload, or the staff question editor. The start-up import changes only what a file made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    File,
    Upload,
    Editor,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::File => "file",
            Self::Upload => "upload",
            Self::Editor => "editor",
        }
    }

    pub fn parse(raw: &str) -> Self {
        match raw {
            "upload" => Self::Upload,
            "editor" => Self::Editor,
            _ => Self::File,
        }
    }
}

/// What an upload does with the bank's questions that the file does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// Adds and updates; never retires anything.
    #[default]
    Merge,
    /// Also retires every active question the file does not list.
    Replace,
}

impl ImportMode {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "merge" => Some(Self::Merge),
            "replace" => Some(Self::Replace),
            _ => None,
        }
    }
}
