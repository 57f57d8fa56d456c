//! Question banks: the file formats (`formats/`: TOML, JSON, CSV, XLSX, XLS, ODS, with the checks
//! that bound what a hostile file costs), the one validation (`validate.rs`), import with revisions,
//! modes and sources (`import.rs`), each bank's visibility (study or sealed), the in-memory index,
//! previews of a file as residents will see it, and what staff browse and export.

mod browse;
pub mod citation;
mod export;
mod formats;
mod import;
mod index;
mod model;
mod parse;
mod preview;
mod validate;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

pub use self::browse::{AdminQuestion, BankSummary, QuestionFilter};
pub use self::formats::decode_csv;
pub use self::import::{ACTIVE, BankRef, ImportOptions, ImportReport, RETIRED, RetiredQuestion};
pub use self::index::{
    CODE_BOOK_ARTICLES, CODE_BOOKS, CategoryCount, IndexedQuestion, Pool, QuestionIndex, book_of_article,
};
pub use self::model::{Answer, BankFile, Difficulty, ImportMode, Question, QuestionKind, Source, Visibility, letter};
pub use self::parse::{Format, LISTED, MAX_ROWS, Problem, Problems, parse_bank, valid_key};
pub use self::preview::{PREVIEWED, PreviewOption, PreviewQuestion};
use crate::db::entity::bank;

#[derive(Debug, thiserror::Error)]
pub enum BankError {
    #[error("the question file has {} problem(s)", .0.total())]
    Invalid(Problems),
    #[error("no such bank")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// An uploaded file and what the upload says about it.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    pub bytes: &'a [u8],
    /// The declared format (for spreadsheets only a hint: the bytes decide).
    pub format: Format,
    /// How places name the file: `upload.csv`.
    pub name: &'a str,
    /// The bank of a spreadsheet (a TOML or JSON file names its own).
    pub bank: Option<&'a str>,
    pub title: Option<&'a str>,
}

impl Upload<'_> {
    /// Reads and validates the file: every problem (the first `LISTED`), or the bank it describes.
    pub fn parse(&self) -> Result<BankFile, BankError> {
        parse_bank(self.bytes, self.format, self.name, self.bank, self.title).map_err(BankError::Invalid)
    }
}

/// The question-bank service.
#[derive(Clone)]
pub struct Banks {
    db: DatabaseConnection,
    index: QuestionIndex,
    /// Imports and visibility changes take turns, so each checks the campaigns against what it
    /// will really leave behind.
    changes: Arc<tokio::sync::Mutex<()>>,
}

impl Banks {
    pub async fn new(db: DatabaseConnection) -> Result<Self, DbErr> {
        let banks = Self { db, index: QuestionIndex::default(), changes: Arc::default() };
        banks.index.refresh(&banks.db).await?;
        Ok(banks)
    }

    pub fn index(&self) -> &QuestionIndex {
        &self.index
    }

    /// Validates a file and, unless a dry run, imports it in one transaction.
    pub async fn import_upload(&self, upload: Upload<'_>, options: ImportOptions) -> Result<ImportReport, BankError> {
        self.import_file(&upload.parse()?, options).await
    }

    pub async fn import_file(&self, file: &BankFile, options: ImportOptions) -> Result<ImportReport, BankError> {
        self.import_checked(file, options, |_, _| Ok::<(), BankError>(())).await
    }

    /// Imports a file after `check` has seen the report and the index as the import would leave
    /// it (the admin module refuses an import that would starve a running campaign). A refusal,
    /// like a dry run, changes nothing.
    pub async fn import_checked<E: From<DbErr>>(
        &self,
        file: &BankFile,
        options: ImportOptions,
        check: impl FnOnce(&ImportReport, &QuestionIndex) -> Result<(), E>,
    ) -> Result<ImportReport, E> {
        let _turn = self.changes.lock().await;
        let report = import::import(&self.db, &self.index, file, options, check).await?;
        if !options.dry_run {
            self.index.refresh(&self.db).await?;
        }
        Ok(report)
    }

    /// Imports every bank file under `dir` as the shipped files (source `file`), but only if all
    /// of them are valid. What staff changed in those banks is left as it is.
    pub async fn import_dir(&self, dir: &Path) -> Result<Vec<ImportReport>, BankError> {
        let files = read_paths(&[dir.to_path_buf()]).map_err(BankError::Invalid)?;
        let options =
            ImportOptions { mode: ImportMode::Replace, source: Source::File, visibility: None, dry_run: false };
        let mut reports = Vec::with_capacity(files.len());
        for file in &files {
            reports.push(self.import_file(file, options).await?);
        }
        Ok(reports)
    }

    /// Changes a bank's visibility once `check` (given the index as the change would leave it)
    /// allows it; returns the visibility it had.
    pub async fn set_visibility<E: From<BankError>>(
        &self,
        key: &str,
        visibility: Visibility,
        check: impl FnOnce(Visibility, &QuestionIndex) -> Result<(), E>,
    ) -> Result<Visibility, E> {
        let _turn = self.changes.lock().await;
        let row = bank::Entity::find_by_id(key.to_owned()).one(&self.db).await.map_err(BankError::from)?;
        let before = Visibility::parse(&row.ok_or(BankError::NotFound)?.visibility).unwrap_or(Visibility::Sealed);
        if before == visibility {
            return Ok(before);
        }
        check(before, &self.index.with_bank(key, visibility, self.index.of_bank(key)))?;
        import::set_visibility(&self.db, key, visibility).await.map_err(BankError::from)?;
        self.index.refresh(&self.db).await.map_err(BankError::from)?;
        Ok(before)
    }

    pub fn categories(&self) -> Vec<CategoryCount> {
        self.index.categories()
    }
}

/// Bank files under the given paths (files as given; folders walked, skipping regions.toml,
/// campaigns/ and templates/), sorted for a stable import order.
pub fn bank_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !matches!(name.as_str(), "campaigns" | "templates" | "lessons") && !name.starts_with('.') {
                    walk(&path, out);
                }
            } else if name != "regions.toml" && Format::of_path(&path).is_some() {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() { walk(path, &mut out) } else { out.push(path.clone()) }
    }
    out.sort();
    out
}

/// Reads and validates every bank file under `paths`; every problem of every file, or the banks.
/// A spreadsheet's bank key is its file name (without extension).
pub fn read_paths(paths: &[PathBuf]) -> Result<Vec<BankFile>, Problems> {
    let mut problems = Problems::default();
    let mut files: Vec<BankFile> = Vec::new();
    for path in bank_paths(paths) {
        let name = path.display().to_string();
        let Some(format) = Format::of_path(&path) else {
            problems.push(Problem::new(name, "file", "只支持 .toml .json .csv .xlsx .xls .ods 文件"));
            continue;
        };
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(_) => {
                problems.push(Problem::new(name, "file", "读不出文件"));
                continue;
            }
        };
        let stem = path.file_stem().and_then(|s| s.to_str()).map(str::to_owned);
        match parse_bank(&bytes, format, &name, stem.as_deref(), None) {
            Ok(file) => {
                if files.iter().any(|f| f.key == file.key) {
                    problems.push(Problem::new(
                        &name,
                        "bank.key",
                        format!("题库编号 {} 在另一个文件里也用了", file.key),
                    ));
                }
                files.push(file);
            }
            Err(found) => problems.append(found),
        }
    }
    if problems.total() == 0 { Ok(files) } else { Err(problems) }
}
