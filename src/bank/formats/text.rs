//! TOML and JSON question files: the shapes DESIGN.md gives, with each question's line as its place.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{FileHeader, Lines, Read, line_of, utf8};
use crate::bank::parse::{MAX_ROWS, Problem, Problems, RawRow, RawVal, header_visibility, too_many_rows};

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
    visibility: Option<String>,
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

/// Whether a text file is too large to parse whole: the parsers build a value per table, field or
/// object, so a file of millions of tiny ones would cost far more memory than its bytes. Counted
/// before parsing: question tables (TOML), lines (TOML, about 12 per question), objects (JSON; a
/// brace inside a text counts too, which only a file near the limit could notice).
fn too_big(text: &str, name: &str, toml: bool) -> Option<Read> {
    let (units, lines) = if toml {
        (text.lines().filter(|l| l.trim_start().starts_with("[[")).count(), text.lines().count())
    } else {
        (text.bytes().filter(|b| *b == b'{').count().saturating_sub(1_000), 0)
    };
    (units > MAX_ROWS || lines > MAX_ROWS * 40).then(|| Read::refused(too_many_rows(format!("{name}:1"))))
}

pub fn read_toml(bytes: &[u8], name: &str) -> Read {
    let text = match utf8(bytes, name) {
        Ok(text) => text,
        Err(problem) => return Read::refused(problem),
    };
    if let Some(refused) = too_big(text, name, true) {
        return refused;
    }
    let file: TomlFile = match toml::from_str(text) {
        Ok(file) => file,
        Err(e) => {
            let line = e.span().map_or(1, |s| line_of(text, s.start));
            return Read::refused(Problem::new(
                format!("{name}:{line}"),
                "file",
                "TOML格式错误：请检查这一行的引号、方括号、等号和字段名",
            ));
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
    let mut problems = Problems::default();
    let header = file.bank.map(|b| {
        let visibility = header_visibility(b.visibility.as_deref(), &format!("{name}:1")).unwrap_or_else(|p| {
            problems.push(p);
            None
        });
        FileHeader { key: b.key, title: b.title, visibility }
    });
    Read { header, rows, problems, warnings: Vec::new() }
}

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
        Err(problem) => return Read::refused(problem),
    };
    if let Some(refused) = too_big(text, name, false) {
        return refused;
    }
    let value: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return Read::refused(Problem::new(
                format!("{name}:{}", e.line()),
                "file",
                "JSON格式错误：请检查这一行的引号、括号和逗号",
            ));
        }
    };
    let serde_json::Value::Object(mut root) = value else {
        return Read::refused(Problem::new(
            format!("{name}:1"),
            "file",
            "应为一个对象 {\"bank\":…, \"questions\":[…]}",
        ));
    };
    let mut problems = Problems::default();
    let header = match root.remove("bank") {
        Some(serde_json::Value::Object(bank)) => match (bank.get("key"), bank.get("title"), bank.get("visibility")) {
            (Some(serde_json::Value::String(k)), Some(serde_json::Value::String(t)), v) => {
                let raw = match v {
                    None => None,
                    Some(serde_json::Value::String(v)) => Some(v.as_str()),
                    Some(_) => Some(""),
                };
                let visibility = header_visibility(raw, &format!("{name}:1")).unwrap_or_else(|p| {
                    problems.push(p);
                    None
                });
                Some(FileHeader { key: k.clone(), title: t.clone(), visibility })
            }
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
                        problems.push(Problem::new(place.clone(), "questions", "每道题应为一个对象"));
                        BTreeMap::new()
                    }
                };
                RawRow { place, fields }
            })
            .filter(|row| !row.fields.is_empty())
            .collect(),
        Some(_) => {
            problems.push(Problem::new(format!("{name}:1"), "questions", "questions 应为列表"));
            Vec::new()
        }
        None => Vec::new(),
    };
    for key in root.keys() {
        problems.push(Problem::new(format!("{name}:1"), key, format!("不认识的字段“{key}”")));
    }
    Read { header, rows, problems, warnings: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_question_lines_follow_the_objects() {
        let text = "{\n \"bank\": {\"key\": \"b\", \"title\": \"t\"},\n \"questions\": [\n  {\"key\": \"a\"},\n  {\n   \"key\": \"b\", \"x\": {\"y\": 1}\n  }\n ]\n}";
        assert_eq!(json_question_lines(text), [4, 5]);
    }
}
