//! Readers for the question file formats. Each turns bytes into raw rows with places;
//! `validate::validate_row` then applies the one set of rules. `text`: TOML and JSON; `table`: the
//! header search and columns every spreadsheet shares; `csv` and `workbook` (XLSX, XLS, ODS through
//! calamine); `guard`: the checks that keep a hostile workbook from costing more than a clerk's.
//!
//! What a file is comes from its bytes (`sniff`): clerks' files are often misnamed (an .xls that is
//! an .xlsx, a CSV saved as .xls), so the declared format only tells the text formats apart.

mod csv;
mod guard;
mod table;
mod text;
mod workbook;

pub use self::csv::decode_csv;

use super::model::Visibility;
use super::parse::{Format, Problem, Problems, RawRow};

/// A TOML or JSON file's `[bank]` header.
pub(super) struct FileHeader {
    pub key: String,
    pub title: String,
    pub visibility: Option<Visibility>,
}

/// What a reader found: the header (TOML/JSON), the rows, the problems, and what it ignored.
#[derive(Default)]
pub(super) struct Read {
    pub header: Option<FileHeader>,
    pub rows: Vec<RawRow>,
    pub problems: Problems,
    pub warnings: Vec<Problem>,
}

impl Read {
    pub(super) fn refused(problem: Problem) -> Self {
        Self { problems: problem.into(), ..Self::default() }
    }
}

/// Reads a file of the `declared` format, or of the format its bytes show.
pub(super) fn read(bytes: &[u8], declared: Format, name: &str) -> Read {
    match sniff(bytes, Some(declared)) {
        Format::Toml => text::read_toml(bytes, name),
        Format::Json => text::read_json(bytes, name),
        Format::Csv => csv::read_csv(bytes, name),
        Format::Xlsx => workbook::read_xlsx(bytes, name),
        Format::Xls => workbook::read_xls(bytes, name),
        Format::Ods => workbook::read_ods(bytes, name),
    }
}

const ZIP: &[u8] = b"PK\x03\x04";
const EMPTY_ZIP: &[u8] = b"PK\x05\x06";
/// The signature of an OLE compound file: .xls, and also a password-protected .xlsx.
const COMPOUND_FILE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";

/// The format the bytes show: a zip is an XLSX (or an ODS, whose first entry says so), a compound
/// file an XLS; text is the declared text format, or guessed from its first characters.
pub(super) fn sniff(bytes: &[u8], declared: Option<Format>) -> Format {
    if bytes.starts_with(ZIP) || bytes.starts_with(EMPTY_ZIP) {
        let head = &bytes[..bytes.len().min(120)];
        let ods = head.get(30..38) == Some(b"mimetype") && head.windows(24).any(|w| w == b"opendocument.spreadsheet");
        return if ods { Format::Ods } else { Format::Xlsx };
    }
    if bytes.starts_with(COMPOUND_FILE) {
        return Format::Xls;
    }
    match declared {
        Some(text @ (Format::Toml | Format::Json | Format::Csv)) => text,
        _ => {
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
            let text = text.trim_start_matches('\u{feff}').trim_start();
            if text.starts_with('{') {
                Format::Json
            } else if text.lines().any(|l| matches!(l.trim(), "[bank]" | "[[questions]]")) {
                Format::Toml
            } else {
                Format::Csv
            }
        }
    }
}

pub(super) fn line_of(text: &str, offset: usize) -> usize {
    Lines::new(text).line_of(offset)
}

/// Byte offsets of line starts, so a span's line is a binary search, not a rescan of the file.
pub(super) struct Lines(Vec<usize>);

impl Lines {
    pub(super) fn new(text: &str) -> Self {
        Self(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i).collect())
    }

    pub(super) fn line_of(&self, offset: usize) -> usize {
        self.0.partition_point(|newline| *newline < offset) + 1
    }
}

pub(super) fn utf8<'a>(bytes: &'a [u8], name: &str) -> Result<&'a str, Problem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        Problem::new(
            format!("{name}:{}", line_of(&String::from_utf8_lossy(&bytes[..e.valid_up_to()]), usize::MAX)),
            "file",
            "文件不是UTF-8编码，请用UTF-8保存",
        )
    })
}
