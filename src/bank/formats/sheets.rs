//! Spreadsheets a clerk fills in (CSV and XLSX): a header row names the columns, in Chinese or
//! English; every other row is a question, placed by its row.

use std::collections::BTreeMap;
use std::io::Cursor;

use super::Read;
use crate::bank::parse::{Problem, RawRow, RawVal};

/// What a header cell means: a field, or option N (0 = A).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Field(&'static str),
    Option(usize),
}

fn column(header: &str) -> Option<Column> {
    let h: String = header.trim().trim_start_matches('\u{feff}').chars().filter(|c| !c.is_whitespace()).collect();
    let lower = h.to_lowercase();
    let field = match lower.as_str() {
        "编号" | "题号" | "key" => "key",
        "题型" | "类型" | "kind" | "type" => "kind",
        "分类" | "类别" | "category" => "category",
        "难度" | "difficulty" => "difficulty",
        "题干" | "题目" | "stem" | "question" => "stem",
        "答案" | "正确答案" | "answer" => "answer",
        "解析" | "答案解析" | "explanation" => "explanation",
        "依据" | "法律依据" | "basis" => "basis",
        _ => {
            let letter = lower
                .strip_prefix("选项")
                .or_else(|| lower.strip_prefix("option_"))
                .or_else(|| lower.strip_prefix("option"))
                .unwrap_or(&lower);
            let mut chars = letter.chars();
            return match (chars.next(), chars.next()) {
                (Some(c @ 'a'..='h'), None) => Some(Column::Option(c as usize - 'a' as usize)),
                _ => None,
            };
        }
    };
    Some(Column::Field(field))
}

/// Builds rows from a header and records of cells; `place(n)` names record n's place.
fn rows_from_table(
    name: &str,
    header_place: &str,
    headers: &[String],
    records: Vec<(String, Vec<RawVal>)>,
) -> (Vec<RawRow>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut columns = Vec::with_capacity(headers.len());
    for header in headers {
        let col = column(header);
        if col.is_none() && !header.trim().is_empty() {
            problems.push(Problem::new(header_place, header, "不认识的列名 (unknown column)"));
        }
        if let Some(c) = col
            && columns.contains(&Some(c))
        {
            problems.push(Problem::new(header_place, header, "这一列重复了 (duplicate column)"));
        }
        columns.push(col);
    }
    for needed in ["key", "kind", "stem", "answer"] {
        if !columns.contains(&Some(Column::Field(needed))) {
            problems.push(Problem::new(
                header_place,
                needed,
                format!("缺少“{}”列 (missing column)", chinese_header(needed)),
            ));
        }
    }
    if !problems.is_empty() {
        return (Vec::new(), problems);
    }
    let _ = name;
    let mut rows = Vec::new();
    for (place, cells) in records {
        let blank = |v: &RawVal| matches!(v, RawVal::Text(s) if s.trim().is_empty());
        if cells.iter().all(blank) {
            continue;
        }
        let mut row = RawRow { place: place.clone(), fields: BTreeMap::new() };
        let mut options: BTreeMap<usize, RawVal> = BTreeMap::new();
        for (col, cell) in columns.iter().zip(cells) {
            if blank(&cell) {
                continue;
            }
            match col {
                Some(Column::Field(f)) => {
                    row.fields.insert((*f).to_owned(), (cell, place.clone()));
                }
                Some(Column::Option(i)) => {
                    options.insert(*i, cell);
                }
                None => {}
            }
        }
        if let Some(last) = options.keys().max().copied() {
            if options.len() != last + 1 {
                problems.push(Problem::new(
                    place.clone(),
                    "options",
                    "选项中间有空格子，请从A开始连续填写 (options must be filled from A without gaps)",
                ));
            }
            row.fields.insert("options".into(), (RawVal::List(options.into_values().collect()), place.clone()));
        }
        rows.push(row);
    }
    (rows, problems)
}

fn chinese_header(field: &str) -> &'static str {
    match field {
        "key" => "编号",
        "kind" => "题型",
        "stem" => "题干",
        "answer" => "答案",
        _ => "?",
    }
}

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

pub fn read_csv(bytes: &[u8], name: &str) -> Read {
    let text = decode_csv(bytes);
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') { b'\t' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(false).from_reader(text.as_bytes());
    let mut records = Vec::new();
    let mut headers = None;
    for record in reader.records() {
        match record {
            Ok(record) => {
                let line = record.position().map_or(0, csv::Position::line);
                let cells: Vec<String> = record.iter().map(str::to_owned).collect();
                if headers.is_none() {
                    headers = Some((line, cells));
                } else {
                    records.push((format!("{name}:{line}"), cells.into_iter().map(RawVal::Text).collect()));
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                return (
                    None,
                    Vec::new(),
                    vec![Problem::new(format!("{name}:{line}"), "file", format!("CSV格式错误 (CSV syntax): {e}"))],
                );
            }
        }
    }
    let Some((header_line, headers)) = headers else {
        return (None, Vec::new(), vec![Problem::new(format!("{name}:1"), "file", "文件是空的 (the file is empty)")]);
    };
    let (rows, problems) = rows_from_table(name, &format!("{name}:{header_line}"), &headers, records);
    (None, rows, problems)
}

fn cell(data: &calamine::Data) -> RawVal {
    use calamine::Data;
    match data {
        Data::Int(i) => RawVal::Int(*i),
        Data::Float(f) => RawVal::Float(*f),
        Data::String(s) => RawVal::Text(s.clone()),
        Data::Bool(b) => RawVal::Bool(*b),
        Data::Empty => RawVal::Text(String::new()),
        other => RawVal::Text(other.to_string()),
    }
}

pub fn read_xlsx(bytes: &[u8], name: &str) -> Read {
    use calamine::{Reader, Xlsx};
    let mut workbook: Xlsx<_> = match calamine::open_workbook_from_rs(Cursor::new(bytes)) {
        Ok(w) => w,
        Err(e) => {
            return (
                None,
                Vec::new(),
                vec![Problem::new(name, "file", format!("不是有效的xlsx文件 (not a valid .xlsx file): {e}"))],
            );
        }
    };
    let Some(sheet) = workbook.sheet_names().first().cloned() else {
        return (None, Vec::new(), vec![Problem::new(name, "file", "工作簿里没有工作表 (no sheet)")]);
    };
    let range = match workbook.worksheet_range(&sheet) {
        Ok(range) => range,
        Err(e) => {
            return (
                None,
                Vec::new(),
                vec![Problem::new(format!("{sheet}!1"), "file", format!("读不出工作表 (cannot read the sheet): {e}"))],
            );
        }
    };
    let first_row = range.start().map_or(0, |(row, _)| row) as usize + 1;
    let mut rows = range.rows().enumerate();
    let Some((_, header_cells)) = rows.next() else {
        return (
            None,
            Vec::new(),
            vec![Problem::new(format!("{sheet}!1"), "file", "工作表是空的 (the sheet is empty)")],
        );
    };
    let headers: Vec<String> = header_cells.iter().map(|c| c.to_string()).collect();
    let records =
        rows.map(|(i, cells)| (format!("{sheet}!{}", first_row + i), cells.iter().map(cell).collect())).collect();
    let (rows, problems) = rows_from_table(name, &format!("{sheet}!{first_row}"), &headers, records);
    (None, rows, problems)
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

    #[test]
    fn chinese_and_english_headers_are_understood() {
        assert_eq!(column("选项C"), Some(Column::Option(2)));
        assert_eq!(column("option_h"), Some(Column::Option(7)));
        assert_eq!(column(" 题 干 "), Some(Column::Field("stem")));
        assert_eq!(column("Answer"), Some(Column::Field("answer")));
        assert_eq!(column("选项I"), None);
    }
}
