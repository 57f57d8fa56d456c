//! Readers for the four file formats. Each turns bytes into raw rows with places;
//! `parse::validate_row` then applies the one set of rules.

use std::collections::BTreeMap;
use std::io::Cursor;

use serde::Deserialize;

use super::parse::{Problem, RawRow, RawVal};

type Header = Option<(String, String)>;
type Read = (Header, Vec<RawRow>, Vec<Problem>);

fn line_of(text: &str, offset: usize) -> usize {
    Lines::new(text).line_of(offset)
}

/// Byte offsets of line starts, so a span's line is a binary search, not a rescan of the file.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        Self(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i).collect())
    }

    fn line_of(&self, offset: usize) -> usize {
        self.0.partition_point(|newline| *newline < offset) + 1
    }
}

fn utf8<'a>(bytes: &'a [u8], name: &str) -> Result<&'a str, Problem> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        Problem::new(
            format!("{name}:{}", line_of(&String::from_utf8_lossy(&bytes[..e.valid_up_to()]), usize::MAX)),
            "file",
            "文件不是UTF-8编码 (the file is not UTF-8)",
        )
    })
}

// ---------- TOML ----------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlFile {
    bank: Option<TomlBank>,
    #[serde(default)]
    questions: Vec<toml::Spanned<BTreeMap<String, toml::Spanned<toml::Value>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TomlBank {
    key: String,
    title: String,
}

fn toml_value(value: toml::Value) -> RawVal {
    match value {
        toml::Value::String(s) => RawVal::Text(s),
        toml::Value::Integer(i) => RawVal::Int(i),
        toml::Value::Float(f) => RawVal::Float(f),
        toml::Value::Boolean(b) => RawVal::Bool(b),
        toml::Value::Array(items) => RawVal::List(items.into_iter().map(toml_value).collect()),
        toml::Value::Datetime(_) => RawVal::Other("日期 date"),
        toml::Value::Table(_) => RawVal::Other("表 table"),
    }
}

pub fn read_toml(bytes: &[u8], name: &str) -> Read {
    let text = match utf8(bytes, name) {
        Ok(text) => text,
        Err(problem) => return (None, Vec::new(), vec![problem]),
    };
    let file: TomlFile = match toml::from_str(text) {
        Ok(file) => file,
        Err(e) => {
            let line = e.span().map_or(1, |s| line_of(text, s.start));
            let message = e.message().to_owned();
            return (
                None,
                Vec::new(),
                vec![Problem::new(format!("{name}:{line}"), "file", format!("TOML格式错误 (TOML syntax): {message}"))],
            );
        }
    };
    let lines = Lines::new(text);
    let rows = file
        .questions
        .into_iter()
        .map(|q| {
            let place = format!("{name}:{}", lines.line_of(q.span().start));
            let fields = q
                .into_inner()
                .into_iter()
                .map(|(k, v)| {
                    let field_place = format!("{name}:{}", lines.line_of(v.span().start));
                    (k, (toml_value(v.into_inner()), field_place))
                })
                .collect();
            RawRow { place, fields }
        })
        .collect();
    (file.bank.map(|b| (b.key, b.title)), rows, Vec::new())
}

// ---------- JSON ----------

fn json_value(value: serde_json::Value) -> RawVal {
    match value {
        serde_json::Value::String(s) => RawVal::Text(s),
        serde_json::Value::Number(n) => {
            n.as_i64().map_or_else(|| RawVal::Float(n.as_f64().unwrap_or(f64::NAN)), RawVal::Int)
        }
        serde_json::Value::Bool(b) => RawVal::Bool(b),
        serde_json::Value::Array(items) => RawVal::List(items.into_iter().map(json_value).collect()),
        serde_json::Value::Null => RawVal::Other("null"),
        serde_json::Value::Object(_) => RawVal::Other("对象 object"),
    }
}

/// Lines where each object of the top-level `"questions"` array starts (serde_json keeps no spans).
fn json_question_lines(text: &str) -> Vec<usize> {
    let (mut depth, mut line, mut lines) = (0usize, 1usize, Vec::new());
    let (mut in_string, mut escaped, mut current) = (false, false, String::new());
    let (mut last_key, mut questions_depth) = (String::new(), None::<usize>);
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                (false, c) => current.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                current.clear();
            }
            ':' if depth == 1 => last_key = current.clone(),
            '[' => {
                depth += 1;
                if depth == 2 && last_key == "questions" {
                    questions_depth = Some(depth);
                }
            }
            '{' => {
                depth += 1;
                if questions_depth.is_some_and(|d| depth == d + 1) {
                    lines.push(line);
                }
            }
            ']' | '}' => {
                if questions_depth == Some(depth) && c == ']' {
                    questions_depth = None;
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
    }
    lines
}

pub fn read_json(bytes: &[u8], name: &str) -> Read {
    let text = match utf8(bytes, name) {
        Ok(text) => text,
        Err(problem) => return (None, Vec::new(), vec![problem]),
    };
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return (
                None,
                Vec::new(),
                vec![Problem::new(format!("{name}:{}", e.line()), "file", format!("JSON格式错误 (JSON syntax): {e}"))],
            );
        }
    };
    let serde_json::Value::Object(mut root) = value else {
        return (
            None,
            Vec::new(),
            vec![Problem::new(format!("{name}:1"), "file", "应为一个对象 {\"bank\":…, \"questions\":[…]}")],
        );
    };
    let mut problems = Vec::new();
    let header = match root.remove("bank") {
        Some(serde_json::Value::Object(bank)) => match (bank.get("key"), bank.get("title")) {
            (Some(serde_json::Value::String(k)), Some(serde_json::Value::String(t))) => Some((k.clone(), t.clone())),
            _ => {
                problems.push(Problem::new(format!("{name}:1"), "bank", "bank 需要 key 和 title 两项文字"));
                None
            }
        },
        _ => None,
    };
    let lines = json_question_lines(text);
    let rows = match root.remove("questions") {
        Some(serde_json::Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| {
                let place = format!("{name}:{}", lines.get(i).copied().unwrap_or(1));
                let fields = match item {
                    serde_json::Value::Object(map) => {
                        map.into_iter().map(|(k, v)| (k, (json_value(v), place.clone()))).collect()
                    }
                    _ => {
                        problems.push(Problem::new(
                            place.clone(),
                            "questions",
                            "每道题应为一个对象 (each question is an object)",
                        ));
                        BTreeMap::new()
                    }
                };
                RawRow { place, fields }
            })
            .filter(|row| !row.fields.is_empty())
            .collect(),
        Some(_) => {
            problems.push(Problem::new(format!("{name}:1"), "questions", "questions 应为列表 (a list)"));
            Vec::new()
        }
        None => Vec::new(),
    };
    for key in root.keys() {
        problems.push(Problem::new(format!("{name}:1"), key, "不认识的字段 (unknown field)"));
    }
    (header, rows, problems)
}

// ---------- spreadsheets (CSV, XLSX) ----------

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
    fn json_question_lines_follow_the_objects() {
        let text = "{\n \"bank\": {\"key\": \"b\", \"title\": \"t\"},\n \"questions\": [\n  {\"key\": \"a\"},\n  {\n   \"key\": \"b\", \"x\": {\"y\": 1}\n  }\n ]\n}";
        assert_eq!(json_question_lines(text), [4, 5]);
    }

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
