//! Readers for the question file formats. Each turns bytes into raw rows with places;
//! `parse::validate_row` then applies the one set of rules. `text`: TOML and JSON; `sheets`: CSV
//! and workbooks, whose columns are found by their headers.

mod sheets;
mod text;

pub use self::sheets::{decode_csv, read_csv, read_xlsx};
pub use self::text::{read_json, read_toml};

use super::parse::{Problem, RawRow};

pub(super) type Header = Option<(String, String)>;
pub(super) type Read = (Header, Vec<RawRow>, Vec<Problem>);

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
            "文件不是UTF-8编码 (the file is not UTF-8)",
        )
    })
}
