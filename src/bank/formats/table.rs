//! What every spreadsheet shares: the header row, found among the first `HEADER_ROWS` rows (a
//! clerk's title row may sit above it); its columns in Chinese or English, full-width or not; one
//! raw row per non-blank row beneath it, placed by the row number the clerk sees. Columns pufa does
//! not know (序号, 备注) are ignored and reported as warnings. Rows are fed one at a time, so a
//! reader can stop at `MAX_ROWS` without holding more.

use std::collections::BTreeMap;

use super::Read;
use crate::bank::parse::{MAX_ROWS, Problem, Problems, RawRow, RawVal, too_many_rows};
use crate::bank::validate::{label, nfkc};

/// The header row is looked for in rows 1 to this.
pub(super) const HEADER_ROWS: u32 = 10;

/// What a header cell means: a field, or option N (0 = A).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Field(&'static str),
    Option(usize),
}

const REQUIRED: [&str; 4] = ["key", "kind", "stem", "answer"];

fn column(header: &str) -> Option<Column> {
    let plain: String = nfkc(header).chars().filter(|c| !c.is_whitespace() && *c != '\u{feff}' && *c != '*').collect();
    let lower = plain.to_lowercase();
    let lower = lower.trim_end_matches("(必填)").trim_end_matches("(选填)");
    let field = match lower {
        "编号" | "题号" | "试题编号" | "题目编号" | "key" => "key",
        "题型" | "类型" | "题目类型" | "试题类型" | "kind" | "type" => "kind",
        "分类" | "类别" | "所属编" | "category" => "category",
        "难度" | "难易程度" | "难易度" | "difficulty" => "difficulty",
        "题干" | "题目" | "试题" | "题目内容" | "试题内容" | "stem" | "question" => "stem",
        "答案" | "正确答案" | "参考答案" | "标准答案" | "answer" => "answer",
        "解析" | "答案解析" | "试题解析" | "explanation" => "explanation",
        "依据" | "法律依据" | "法条" | "法条依据" | "basis" => "basis",
        _ => {
            let letter = lower
                .strip_prefix("选项")
                .or_else(|| lower.strip_prefix("option_"))
                .or_else(|| lower.strip_prefix("option"))
                .unwrap_or(lower);
            let mut chars = letter.chars();
            return match (chars.next(), chars.next()) {
                (Some(c @ 'a'..='h'), None) => Some(Column::Option(c as usize - 'a' as usize)),
                _ => None,
            };
        }
    };
    Some(Column::Field(field))
}

fn cell_text(cell: &RawVal) -> String {
    match cell {
        RawVal::Text(s) => s.clone(),
        RawVal::Int(i) => i.to_string(),
        RawVal::Float(f) => f.to_string(),
        RawVal::Bool(b) => b.to_string(),
        RawVal::List(_) | RawVal::Other(_) => String::new(),
    }
}

fn blank(cell: &RawVal) -> bool {
    matches!(cell, RawVal::Text(s) if s.trim().is_empty())
}

/// How a row is named in a problem: `upload.csv:7` (CSV) or `题目!7` (a workbook's sheet).
pub(super) enum Places {
    Lines(String),
    Sheet(String),
}

impl Places {
    pub(super) fn at(&self, row: u32) -> String {
        match self {
            Self::Lines(name) => format!("{name}:{row}"),
            Self::Sheet(sheet) => format!("{sheet}!{row}"),
        }
    }
}

/// Whether a reader should go on feeding rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    More,
    Stop,
}

/// A sheet being read: looking for its header, then turning rows into raw rows.
pub(super) struct Table {
    places: Places,
    columns: Option<Vec<Option<Column>>>,
    /// The row with the most known column names, while the header is not found.
    best_guess: Option<(u32, Vec<Option<Column>>)>,
    saw_content: bool,
    data_rows: usize,
    rows: Vec<RawRow>,
    problems: Problems,
    warnings: Vec<Problem>,
}

impl Table {
    pub(super) fn new(places: Places) -> Self {
        Self {
            places,
            columns: None,
            best_guess: None,
            saw_content: false,
            data_rows: 0,
            rows: Vec::new(),
            problems: Problems::default(),
            warnings: Vec::new(),
        }
    }

    pub(super) fn header_found(&self) -> bool {
        self.columns.is_some()
    }

    /// Feeds row `row` (numbered as the spreadsheet shows it, from 1).
    pub(super) fn push(&mut self, row: u32, cells: Vec<RawVal>) -> Flow {
        if cells.iter().all(blank) {
            return Flow::More;
        }
        self.saw_content = true;
        match &self.columns {
            None if row > HEADER_ROWS => Flow::Stop,
            None => {
                self.try_header(row, &cells);
                Flow::More
            }
            Some(_) => self.data(row, cells),
        }
    }

    fn try_header(&mut self, row: u32, cells: &[RawVal]) {
        let columns: Vec<Option<Column>> = cells.iter().map(|c| column(&cell_text(c))).collect();
        let known = columns.iter().flatten().count();
        if !REQUIRED.iter().all(|f| columns.contains(&Some(Column::Field(f)))) {
            if known > 0 && self.best_guess.as_ref().is_none_or(|(_, best)| best.iter().flatten().count() < known) {
                self.best_guess = Some((row, columns));
            }
            return;
        }
        let place = self.places.at(row);
        for (i, (col, cell)) in columns.iter().zip(cells).enumerate() {
            let name = cell_text(cell);
            match col {
                None if !name.trim().is_empty() => self.warnings.push(Problem::new(
                    place.clone(),
                    name.trim(),
                    format!("不认识的列“{}”，这一列没有导入", name.trim()),
                )),
                Some(c) if columns[..i].contains(&Some(*c)) => {
                    self.problems.push(Problem::new(place.clone(), name.trim(), "这一列重复了"));
                }
                _ => {}
            }
        }
        self.columns = Some(columns);
    }

    fn data(&mut self, row: u32, cells: Vec<RawVal>) -> Flow {
        let place = self.places.at(row);
        self.data_rows += 1;
        if self.data_rows > MAX_ROWS {
            self.problems.push(too_many_rows(place));
            return Flow::Stop;
        }
        let Some(columns) = &self.columns else { return Flow::More };
        let mut fields = BTreeMap::new();
        let mut options: BTreeMap<usize, RawVal> = BTreeMap::new();
        for (col, cell) in columns.iter().zip(cells) {
            if blank(&cell) {
                continue;
            }
            match col {
                Some(Column::Field(f)) => {
                    fields.insert((*f).to_owned(), (cell, place.clone()));
                }
                Some(Column::Option(i)) => {
                    options.insert(*i, cell);
                }
                None => {}
            }
        }
        if let Some(last) = options.keys().max().copied() {
            if options.len() != last + 1 {
                self.problems.push(Problem::new(place.clone(), "options", "选项中间有空格子，请从选项A开始连续填写"));
            }
            fields.insert("options".into(), (RawVal::List(options.into_values().collect()), place.clone()));
        }
        self.rows.push(RawRow { place, fields });
        Flow::More
    }

    /// The rows, or why the sheet could not be read.
    pub(super) fn finish(mut self) -> Read {
        if self.columns.is_none() {
            if !self.saw_content {
                self.problems.push(Problem::new(self.places.at(1), "file", "表格是空的"));
            } else if let Some((row, columns)) = &self.best_guess {
                for needed in REQUIRED.iter().filter(|f| !columns.contains(&Some(Column::Field(f)))) {
                    self.problems.push(Problem::new(
                        self.places.at(*row),
                        needed,
                        format!("这一行像是列名行，但缺少“{}”列", label(needed)),
                    ));
                }
            } else {
                self.problems.push(Problem::new(
                    self.places.at(1),
                    "file",
                    format!("前{HEADER_ROWS}行里没有找到列名行：需要“编号”“题型”“题干”“答案”等列"),
                ));
            }
        }
        Read { header: None, rows: self.rows, problems: self.problems, warnings: self.warnings }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(cells: &[&str]) -> Vec<RawVal> {
        cells.iter().map(|c| RawVal::Text((*c).to_owned())).collect()
    }

    #[test]
    fn chinese_english_and_full_width_headers_are_understood() {
        assert_eq!(column("选项C"), Some(Column::Option(2)));
        assert_eq!(column("选项Ｃ"), Some(Column::Option(2)));
        assert_eq!(column("option_h"), Some(Column::Option(7)));
        assert_eq!(column(" 题 干 "), Some(Column::Field("stem")));
        assert_eq!(column("*答案（必填）"), Some(Column::Field("answer")));
        assert_eq!(column("Answer"), Some(Column::Field("answer")));
        assert_eq!(column("ＫＥＹ"), Some(Column::Field("key")));
        assert_eq!(column("选项I"), None);
        assert_eq!(column("序号"), None);
    }

    #[test]
    fn the_header_is_found_below_title_rows_and_unknown_columns_are_warnings() {
        let mut table = Table::new(Places::Lines("f.csv".into()));
        assert_eq!(table.push(1, texts(&["乌拉特中旗司法局 民法典题库（2026年第一批）"])), Flow::More);
        table.push(2, texts(&["", "", ""]));
        table.push(3, texts(&["序号", "编号", "题型", "题干", "选项A", "选项B", "答案", "备注"]));
        assert!(table.header_found());
        table.push(4, texts(&["1", "q1", "单选", "问？", "甲", "乙", "A", "x"]));
        let read = table.finish();
        assert_eq!(read.problems.total(), 0, "{:?}", read.problems);
        assert_eq!(read.rows.len(), 1);
        assert_eq!(read.rows[0].place, "f.csv:4");
        let warned: Vec<&str> = read.warnings.iter().map(|w| w.field.as_str()).collect();
        assert_eq!(warned, ["序号", "备注"]);
    }

    #[test]
    fn no_header_in_the_first_ten_rows_says_what_is_missing() {
        let mut table = Table::new(Places::Sheet("题目".into()));
        table.push(1, texts(&["编号", "题型", "题干"]));
        let read = table.finish();
        assert_eq!(read.problems.len(), 1);
        assert_eq!((read.problems[0].place.as_str(), read.problems[0].field.as_str()), ("题目!1", "answer"));

        let mut table = Table::new(Places::Sheet("题目".into()));
        for row in 1..=11 {
            if table.push(row, texts(&["说明文字"])) == Flow::Stop {
                break;
            }
        }
        assert!(table.finish().problems[0].problem.contains("前10行"));
    }
}
