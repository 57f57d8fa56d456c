//! CSV as Excel and WPS save it: UTF-8 (with or without BOM), UTF-16 ("Unicode text", tab
//! separated) or GBK; comma or tab separated. A row's place is the row Excel shows for it: the first
//! line is row 1, a quoted cell with line breaks stays one row, and CRLF, LF and CR all end a row.

use super::Read;
use super::table::{Flow, Places, Table};
use crate::bank::parse::{Problem, RawVal};

/// Decodes a CSV as Excel saves it: UTF-8 (with or without BOM), UTF-16 ("Unicode text"), or GBK.
pub fn decode_csv(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    if bytes.starts_with(b"\xFF\xFE") {
        return encoding_rs::UTF_16LE.decode(bytes).0.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        // GB18030 is the superset of GBK that Chinese Windows Excel writes.
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

/// Counts the rows Excel would show up to a byte offset, reading the text once from start to end.
/// A line break inside a quoted cell (a quote that opens a cell) does not start a row.
struct RowCounter<'a> {
    text: &'a [u8],
    delimiter: u8,
    pos: usize,
    row: u32,
    state: State,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    CellStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted cell: `""` (a quote) or the cell's end.
    QuoteInQuoted,
}

impl<'a> RowCounter<'a> {
    fn new(text: &'a [u8], delimiter: u8) -> Self {
        Self { text, delimiter, pos: 0, row: 1, state: State::CellStart }
    }

    /// The row of the record that starts at `offset` (offsets must not go backwards).
    fn row_at(&mut self, offset: usize) -> u32 {
        while self.pos < offset.min(self.text.len()) {
            let b = self.text[self.pos];
            self.state = match (self.state, b) {
                (State::Quoted, b'"') => State::QuoteInQuoted,
                (State::Quoted, _) => State::Quoted,
                (State::QuoteInQuoted, b'"') => State::Quoted,
                (State::CellStart, b'"') => State::Quoted,
                (_, b'\r') => {
                    if self.text.get(self.pos + 1) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    self.row += 1;
                    State::CellStart
                }
                (_, b'\n') => {
                    self.row += 1;
                    State::CellStart
                }
                (_, d) if d == self.delimiter => State::CellStart,
                _ => State::Unquoted,
            };
            self.pos += 1;
        }
        self.row
    }
}

fn looks_like_html(text: &str) -> bool {
    let head: String = text.trim_start().chars().take(2048).collect::<String>().to_lowercase();
    head.starts_with('<') && (head.contains("<table") || head.contains("<html"))
}

fn delimiter(text: &str) -> u8 {
    let head = text.lines().take(10);
    let (tabs, commas) =
        head.fold((0, 0), |(t, c), line| (t + line.matches('\t').count(), c + line.matches(',').count()));
    if tabs > commas { b'\t' } else { b',' }
}

pub fn read_csv(bytes: &[u8], name: &str) -> Read {
    let text = decode_csv(bytes);
    if looks_like_html(&text) {
        return Read::refused(Problem::new(
            format!("{name}:1"),
            "file",
            "这是网页（HTML）格式的表格，不是真正的Excel文件：请用Excel或WPS打开，另存为 .xlsx 后再上传",
        ));
    }
    let delimiter = delimiter(&text);
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(false).from_reader(text.as_bytes());
    let mut rows = RowCounter::new(text.as_bytes(), delimiter);
    let mut table = Table::new(Places::Lines(name.to_owned()));
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                // A record starts at its first byte; blank lines the reader skipped come before it.
                let mut start = record.position().map_or(0, |p| p.byte() as usize);
                while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
                    start += 1;
                }
                let row = rows.row_at(start);
                // A line break inside a cell is LF, as Excel writes it, whatever ends the rows.
                let cells = record.iter().map(|c| RawVal::Text(c.replace("\r\n", "\n"))).collect();
                if table.push(row, cells) == Flow::Stop {
                    break;
                }
            }
            Err(e) => {
                let start = e.position().map_or(0, |p| p.byte() as usize);
                let row = rows.row_at(start);
                return Read::refused(Problem::new(
                    format!("{name}:{row}"),
                    "file",
                    "CSV格式错误：这一行的引号没有配对",
                ));
            }
        }
    }
    table.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_csv_is_decoded() {
        let (gbk, _, _) = encoding_rs::GBK.encode("编号,题干\n1,结婚年龄\n");
        assert_eq!(decode_csv(&gbk), "编号,题干\n1,结婚年龄\n");
        assert_eq!(decode_csv("\u{feff}编号".as_bytes()), "编号");
    }

    /// Row numbers of the records, as `read_csv` computes them.
    fn rows_of(text: &str) -> Vec<u32> {
        let mut reader = csv::ReaderBuilder::new().flexible(true).has_headers(false).from_reader(text.as_bytes());
        let mut rows = RowCounter::new(text.as_bytes(), b',');
        let mut out = Vec::new();
        for record in reader.records() {
            let record = record.expect("record");
            let mut start = record.position().map_or(0, |p| p.byte() as usize);
            while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
                start += 1;
            }
            out.push(rows.row_at(start));
        }
        out
    }

    #[test]
    fn rows_are_what_excel_shows_whatever_the_line_endings() {
        for eol in ["\n", "\r\n", "\r"] {
            let text = ["a,b", "\"one", "cell\",x", "", "c,\"d\"\"e\"", "f,g"].join(eol);
            // The multi-line cell is one row (2); the blank line is row 3.
            assert_eq!(rows_of(&text), [1, 2, 4, 5], "{eol:?}");
        }
        assert_eq!(rows_of("a,b\r\n\"x\r\ny\r\nz\",1\r\nq,\"\"\r\nr,s"), [1, 2, 3, 4]);
        assert_eq!(rows_of("a,b\"c\nd,e"), [1, 2], "a quote inside an unquoted cell is a character");
    }
}
