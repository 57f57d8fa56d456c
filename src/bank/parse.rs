//! Question files in six formats (TOML, JSON, CSV, XLSX, XLS, ODS), read into one raw shape and
//! validated by one function (`validate::validate_row`), so a TOML file and the spreadsheet a clerk
//! filled in obey exactly the same rules. Every problem is collected with its place before anything
//! is stored; the first `LISTED` are listed and all are counted, and no file has more than
//! `MAX_ROWS` questions, so a hostile file costs a bounded answer.

use std::collections::{BTreeMap, HashSet};

use super::model::{BankFile, Visibility};
pub use super::validate::validate_row;

/// One problem in a file: where, which field, what is wrong (in Chinese, for clerks).
pub use crate::problems::PlacedProblem as Problem;

/// The most questions (data rows) one file may hold.
pub const MAX_ROWS: usize = 20_000;
/// The most problems an answer lists; the rest are only counted.
pub const LISTED: usize = 200;

/// A file's problems in file order: the first `LISTED` kept, every one counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    listed: Vec<Problem>,
    total: usize,
}

impl Problems {
    pub fn push(&mut self, problem: Problem) {
        self.total += 1;
        if self.listed.len() < LISTED {
            self.listed.push(problem);
        }
    }

    pub fn extend(&mut self, problems: impl IntoIterator<Item = Problem>) {
        for problem in problems {
            self.push(problem);
        }
    }

    pub fn append(&mut self, other: Problems) {
        let unlisted = other.total - other.listed.len();
        self.extend(other.listed);
        self.total += unlisted;
    }

    /// How many problems the file has (more than are listed when over `LISTED`).
    pub fn total(&self) -> usize {
        self.total
    }

    pub fn into_listed(self) -> Vec<Problem> {
        self.listed
    }
}

impl From<Problem> for Problems {
    fn from(problem: Problem) -> Self {
        Self { listed: vec![problem], total: 1 }
    }
}

impl From<Vec<Problem>> for Problems {
    fn from(problems: Vec<Problem>) -> Self {
        let mut all = Self::default();
        all.extend(problems);
        all
    }
}

impl<'a> IntoIterator for &'a Problems {
    type Item = &'a Problem;
    type IntoIter = std::slice::Iter<'a, Problem>;

    fn into_iter(self) -> Self::IntoIter {
        self.listed.iter()
    }
}

impl std::ops::Deref for Problems {
    type Target = [Problem];

    fn deref(&self) -> &[Problem] {
        &self.listed
    }
}

/// The format of a question file (`format=` of an upload, or a file's extension; case does not
/// matter). For spreadsheets it is only a hint: the bytes decide (`formats::detect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Format {
    Toml,
    Json,
    Csv,
    Xlsx,
    Xls,
    Ods,
}

impl Format {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "toml" => Some(Self::Toml),
            "json" => Some(Self::Json),
            "csv" => Some(Self::Csv),
            "xlsx" | "xlsm" => Some(Self::Xlsx),
            "xls" | "et" => Some(Self::Xls),
            "ods" => Some(Self::Ods),
            _ => None,
        }
    }

    pub fn of_path(path: &std::path::Path) -> Option<Self> {
        path.extension().and_then(|e| e.to_str()).and_then(Self::parse)
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Toml => "toml",
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Xls => "xls",
            Self::Ods => "ods",
        }
    }

    /// Spreadsheets carry no `[bank]` header: the bank key comes from elsewhere.
    pub fn has_header(self) -> bool {
        matches!(self, Self::Toml | Self::Json)
    }

    /// The format the bytes show, for an upload that does not say.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        super::formats::sniff(bytes, None)
    }
}

/// A cell or value before validation.
#[derive(Debug, Clone, PartialEq)]
pub enum RawVal {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    List(Vec<RawVal>),
    Other(&'static str),
}

/// One question's fields before validation, each with the place it came from.
#[derive(Debug, Default)]
pub struct RawRow {
    pub place: String,
    pub fields: BTreeMap<String, (RawVal, String)>,
}

impl RawRow {
    pub(super) fn take(&mut self, field: &str) -> Option<(RawVal, String)> {
        self.fields.remove(field)
    }
}

pub(super) const FIELDS: [&str; 9] =
    ["key", "kind", "category", "difficulty", "stem", "options", "answer", "explanation", "basis"];

/// Parses a whole file. `bank_key`/`title` name the bank of a spreadsheet (a TOML or JSON file's
/// `[bank]` header wins).
pub fn parse_bank(
    bytes: &[u8],
    format: Format,
    name: &str,
    bank_key: Option<&str>,
    title: Option<&str>,
) -> Result<BankFile, Problems> {
    let super::formats::Read { header, rows, mut problems, warnings } = super::formats::read(bytes, format, name);
    let (key, title, visibility) = match (header, bank_key) {
        (Some(header), _) => (header.key, Some(header.title), header.visibility),
        (None, Some(key)) => (key.to_owned(), title.map(str::to_owned), None),
        (None, None) => {
            if !format.has_header() || problems.total() == 0 {
                problems.push(Problem::new(format!("{name}:1"), "bank", "缺少题库编号"));
            }
            (String::new(), None, None)
        }
    };
    if !key.is_empty() && !valid_key(&key) {
        problems.push(Problem::new(
            format!("{name}:1"),
            "bank.key",
            "题库编号只能用字母、数字、-、_ 和 .，最长64个字符",
        ));
    }
    let title = title.map(|t| t.trim().to_owned());
    if title.as_ref().is_some_and(|t| t.is_empty() || t.chars().count() > 200) && !key.is_empty() {
        problems.push(Problem::new(format!("{name}:1"), "bank.title", "题库名称不能为空，最长200个字"));
    }
    if rows.len() > MAX_ROWS {
        problems.push(too_many_rows(format!("{name}:1")));
        return Err(problems);
    }
    let mut questions = Vec::with_capacity(rows.len());
    let mut seen = HashSet::new();
    for row in rows {
        let place = row.place.clone();
        match validate_row(row) {
            Ok(q) => {
                if !seen.insert(q.key.clone()) {
                    problems.push(Problem::new(place, "key", format!("编号 {} 重复出现", q.key)));
                }
                questions.push(q);
            }
            Err(found) => problems.extend(found),
        }
    }
    if questions.is_empty() && problems.total() == 0 {
        problems.push(Problem::new(format!("{name}:1"), "questions", "文件里没有题目"));
    }
    if problems.total() == 0 { Ok(BankFile { key, title, visibility, questions, warnings }) } else { Err(problems) }
}

pub(super) fn too_many_rows(place: String) -> Problem {
    Problem::new(place, "file", format!("一个文件最多{MAX_ROWS}道题，请分成几个文件上传"))
}

pub fn valid_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// The visibility a file's `[bank]` header names, or the problem with it.
pub(super) fn header_visibility(raw: Option<&str>, place: &str) -> Result<Option<Visibility>, Problem> {
    match raw {
        None => Ok(None),
        Some(v) => Visibility::parse(v).map(Some).ok_or_else(|| {
            Problem::new(place, "bank.visibility", "visibility 只能是 study（练习可见）或 sealed（只用于活动）")
        }),
    }
}
