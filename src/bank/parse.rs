//! Question files in four formats, read into one raw shape and validated by one function,
//! so a TOML file and the spreadsheet a clerk filled in obey exactly the same rules.
//! Every problem is collected (with its place) before anything is stored.

use std::collections::{BTreeMap, HashSet};

use super::model::{Answer, BankFile, Difficulty, LETTERS, Question, QuestionKind};

/// One problem in a file: where, which field, what is wrong (Chinese first, for clerks).
pub use crate::problems::PlacedProblem as Problem;

/// The format of a question file (`format=` of an upload; case does not matter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Format {
    Toml,
    Json,
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "toml" => Some(Self::Toml),
            "json" => Some(Self::Json),
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    pub fn of_path(path: &std::path::Path) -> Option<Self> {
        path.extension().and_then(|e| e.to_str()).and_then(Self::parse)
    }

    /// Spreadsheets carry no `[bank]` header: the bank key comes from elsewhere.
    pub fn has_header(self) -> bool {
        matches!(self, Self::Toml | Self::Json)
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
    fn take(&mut self, field: &str) -> Option<(RawVal, String)> {
        self.fields.remove(field)
    }
}

const FIELDS: [&str; 9] =
    ["key", "kind", "category", "difficulty", "stem", "options", "answer", "explanation", "basis"];

/// Parses a whole file. `bank_key`/`title` are used for spreadsheets (and override nothing else).
pub fn parse_bank(
    bytes: &[u8],
    format: Format,
    name: &str,
    bank_key: Option<&str>,
    title: Option<&str>,
) -> Result<BankFile, Vec<Problem>> {
    let (header, rows, mut problems) = match format {
        Format::Toml => super::formats::read_toml(bytes, name),
        Format::Json => super::formats::read_json(bytes, name),
        Format::Csv => super::formats::read_csv(bytes, name),
        Format::Xlsx => super::formats::read_xlsx(bytes, name),
    };
    let (key, title) = match (header, bank_key) {
        (Some((key, title)), _) => (key, title),
        (None, Some(key)) => (key.to_owned(), title.unwrap_or(key).to_owned()),
        (None, None) => {
            if !format.has_header() || problems.is_empty() {
                problems.push(Problem::new(format!("{name}:1"), "bank", "缺少题库编号 (bank key is missing)"));
            }
            (String::new(), String::new())
        }
    };
    if !key.is_empty() && !valid_key(&key) {
        problems.push(Problem::new(
            format!("{name}:1"),
            "bank.key",
            "题库编号只能用字母、数字、- 和 _，最长64个字符 (letters, digits, - and _ only)",
        ));
    }
    if title.trim().is_empty() && !key.is_empty() {
        problems.push(Problem::new(format!("{name}:1"), "bank.title", "题库名称不能为空 (title is empty)"));
    }
    let mut questions = Vec::with_capacity(rows.len());
    let mut seen = HashSet::new();
    for row in rows {
        let place = row.place.clone();
        match validate_row(row) {
            Ok(q) => {
                if !seen.insert(q.key.clone()) {
                    problems.push(Problem::new(place, "key", format!("编号 {} 重复出现 (duplicate key)", q.key)));
                }
                questions.push(q);
            }
            Err(mut found) => problems.append(&mut found),
        }
    }
    if questions.is_empty() && problems.is_empty() {
        problems.push(Problem::new(format!("{name}:1"), "questions", "文件里没有题目 (the file has no questions)"));
    }
    if problems.is_empty() { Ok(BankFile { key, title: title.trim().to_owned(), questions }) } else { Err(problems) }
}

pub fn valid_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

fn text(val: RawVal) -> Option<String> {
    match val {
        RawVal::Text(s) => Some(s.trim().to_owned()),
        RawVal::Int(i) => Some(i.to_string()),
        RawVal::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(format!("{f:.0}")),
        _ => None,
    }
}

fn type_name(val: &RawVal) -> &'static str {
    match val {
        RawVal::Text(_) => "文字 text",
        RawVal::Int(_) | RawVal::Float(_) => "数字 number",
        RawVal::Bool(_) => "true/false",
        RawVal::List(_) => "列表 list",
        RawVal::Other(name) => name,
    }
}

/// Turns one raw row into a `Question`, or every problem it has.
pub fn validate_row(mut row: RawRow) -> Result<Question, Vec<Problem>> {
    let mut problems = Vec::new();
    let base = row.place.clone();
    for field in row.fields.keys() {
        if !FIELDS.contains(&field.as_str()) {
            let place = row.fields.get(field).map_or(base.clone(), |(_, p)| p.clone());
            problems.push(Problem::new(place, field, "不认识的字段 (unknown field)"));
        }
    }
    let mut bad = |field: &str, place: &str, problem: String| problems.push(Problem::new(place, field, problem));
    let required_text =
        |row: &mut RawRow, field: &str, max: usize, bad: &mut dyn FnMut(&str, &str, String)| match row.take(field) {
            None => {
                bad(field, &base, "必填，不能为空 (required)".into());
                None
            }
            Some((val, place)) => {
                let kind = type_name(&val);
                match text(val) {
                    Some(s) if s.is_empty() => {
                        bad(field, &place, "必填，不能为空 (required)".into());
                        None
                    }
                    Some(s) if s.chars().count() > max => {
                        bad(field, &place, format!("太长，最多{max}个字 (at most {max} characters)"));
                        None
                    }
                    Some(s) => Some(s),
                    None => {
                        bad(field, &place, format!("应为文字，这里是{kind} (expected text)"));
                        None
                    }
                }
            }
        };

    let key = required_text(&mut row, "key", 64, &mut bad);
    let key = key.filter(|k| {
        let ok = valid_key(k);
        if !ok {
            bad("key", &base, "编号只能用字母、数字、-、_ 和 . (letters, digits, - _ . only)".into());
        }
        ok
    });
    let kind = required_text(&mut row, "kind", 16, &mut bad).and_then(|k| {
        let kind = QuestionKind::parse(&k);
        if kind.is_none() {
            bad("kind", &base, format!("题型“{k}”不对，应为 单选/多选/判断 (single/multiple/judge)"));
        }
        kind
    });
    let category = required_text(&mut row, "category", 20, &mut bad);
    let stem = required_text(&mut row, "stem", 1000, &mut bad);
    let explanation = required_text(&mut row, "explanation", 2000, &mut bad);

    let difficulty = match row.take("difficulty") {
        None => {
            bad("difficulty", &base, "必填：1（易）、2（中）或3（难）(required: 1, 2 or 3)".into());
            None
        }
        Some((val, place)) => {
            let level = match &val {
                RawVal::Int(i) => Some(*i),
                RawVal::Float(f) if f.fract() == 0.0 => Some(*f as i64),
                RawVal::Text(s) => match s.trim() {
                    "1" | "易" | "简单" | "容易" => Some(1),
                    "2" | "中" | "中等" | "一般" => Some(2),
                    "3" | "难" | "困难" | "较难" => Some(3),
                    _ => None,
                },
                _ => None,
            };
            let difficulty = level.and_then(Difficulty::new);
            if difficulty.is_none() {
                bad("difficulty", &place, "难度应为1（易）、2（中）或3（难）(must be 1, 2 or 3)".into());
            }
            difficulty
        }
    };

    let options = match row.take("options") {
        None => Vec::new(),
        Some((RawVal::List(items), place)) => {
            let mut options = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                match text(item) {
                    Some(s) if !s.is_empty() && s.chars().count() <= 500 => options.push(s),
                    _ => bad(
                        "options",
                        &place,
                        format!("选项{}应为不超过500字的文字 (option {} must be text)", letter_at(i), letter_at(i)),
                    ),
                }
            }
            options
        }
        Some((val, place)) => {
            bad("options", &place, format!("选项应为列表，这里是{} (expected a list)", type_name(&val)));
            Vec::new()
        }
    };
    let unique: HashSet<&String> = options.iter().collect();
    if unique.len() != options.len() {
        bad("options", &base, "有两个选项完全相同 (two options are the same)".into());
    }

    let answer = match (kind, row.take("answer")) {
        (_, None) => {
            bad("answer", &base, "必填 (required)".into());
            None
        }
        (None, Some(_)) => None,
        (Some(kind), Some((val, place))) => {
            match kind {
                QuestionKind::Judge if !options.is_empty() => {
                    bad("options", &place, "判断题不要填选项 (a judge question has no options)".into());
                }
                QuestionKind::Single | QuestionKind::Multiple if !(2..=8).contains(&options.len()) => {
                    bad("options", &place, format!("选择题要有2到8个选项，这里有{}个 (2 to 8 options)", options.len()));
                }
                _ => {}
            }
            let answer = parse_answer(kind, &val, options.len());
            if let Err(problem) = &answer {
                bad("answer", &place, problem.clone());
            }
            answer.ok()
        }
    };

    let basis = match row.take("basis") {
        None => {
            bad("basis", &base, "必填：写明依据的法条，如 民法典第1047条 (cite the article)".into());
            Vec::new()
        }
        Some((val, place)) => {
            let items: Vec<String> = match val {
                RawVal::List(items) => items.into_iter().filter_map(text).collect(),
                RawVal::Text(s) => s
                    .split([';', '；', '、', ',', '，', '\n'])
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect(),
                other => {
                    bad("basis", &place, format!("依据应为文字或列表，这里是{}", type_name(&other)));
                    Vec::new()
                }
            };
            if items.is_empty() {
                bad("basis", &place, "至少写一条依据，如 民法典第1047条 (at least one citation)".into());
            }
            for item in &items {
                if let Err(problem) = check_citation(item) {
                    bad("basis", &place, problem);
                }
            }
            items
        }
    };

    match (key, category, difficulty, stem, answer, explanation) {
        (Some(key), Some(category), Some(difficulty), Some(stem), Some(answer), Some(explanation))
            if problems.is_empty() =>
        {
            Ok(Question { key, category, difficulty, stem, options, answer, explanation, basis })
        }
        _ => Err(problems),
    }
}

fn letter_at(i: usize) -> char {
    LETTERS.get(i).map_or('?', |b| char::from(*b))
}

fn parse_answer(kind: QuestionKind, val: &RawVal, option_count: usize) -> Result<Answer, String> {
    if kind == QuestionKind::Judge {
        return match val {
            RawVal::Bool(b) => Ok(Answer::Judge(*b)),
            RawVal::Text(s) => match s.trim().to_lowercase().as_str() {
                "对" | "√" | "✓" | "✔" | "正确" | "是" | "true" | "t" | "yes" | "y" => {
                    Ok(Answer::Judge(true))
                }
                "错" | "×" | "✗" | "✘" | "x" | "错误" | "否" | "false" | "f" | "no" | "n" => {
                    Ok(Answer::Judge(false))
                }
                other => Err(format!("判断题答案“{other}”不对，应为 对/错 (true/false)")),
            },
            other => Err(format!("判断题答案应为 对/错 (true/false)，这里是{}", type_name(other))),
        };
    }
    let RawVal::Text(raw) = val else {
        return Err(format!("答案应为字母，如 C 或 ABD (letters)，这里是{}", type_name(val)));
    };
    let mut picked = Vec::new();
    for c in raw.chars().filter(|c| !matches!(c, ' ' | ',' | '，' | '、' | ';' | '；')) {
        let c = c.to_ascii_uppercase();
        let Some(i) = LETTERS.iter().position(|l| char::from(*l) == c) else {
            return Err(format!("答案里的“{c}”不是选项字母 (not an option letter)"));
        };
        if i >= option_count {
            return Err(format!(
                "答案{c}超出了选项范围A-{} (no such option)",
                letter_at(option_count.saturating_sub(1))
            ));
        }
        let i = u8::try_from(i).unwrap_or(0);
        if picked.contains(&i) {
            return Err(format!("答案里{c}重复了 (letter repeated)"));
        }
        picked.push(i);
    }
    picked.sort_unstable();
    match (kind, picked.as_slice()) {
        (_, []) => Err("答案不能为空 (required)".into()),
        (QuestionKind::Single, [one]) => Ok(Answer::Single(*one)),
        (QuestionKind::Single, _) => Err(format!("单选题只能有一个答案，这里是{raw} (single: one letter)")),
        (QuestionKind::Multiple, [_]) => Err(format!("多选题至少两个答案，这里是{raw}；只有一个对的请改成单选")),
        (_, _) => Ok(Answer::Multiple(picked)),
    }
}

/// A citation's form and, for a law pufa knows, its article's existence (see `citation`).
fn check_citation(item: &str) -> Result<(), String> {
    super::citation::Citation::parse(item).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fields: &[(&str, RawVal)]) -> RawRow {
        RawRow {
            place: "t.toml:1".into(),
            fields: fields.iter().map(|(k, v)| ((*k).to_owned(), (v.clone(), "t.toml:1".to_owned()))).collect(),
        }
    }

    fn t(s: &str) -> RawVal {
        RawVal::Text(s.to_owned())
    }

    fn single(answer: RawVal) -> RawRow {
        row(&[
            ("key", t("q1")),
            ("kind", t("单选")),
            ("category", t("婚姻家庭")),
            ("difficulty", RawVal::Int(1)),
            ("stem", t("男性法定婚龄？")),
            ("options", RawVal::List(vec![t("十八"), t("二十"), t("二十二")])),
            ("answer", answer),
            ("explanation", t("男不得早于二十二周岁。")),
            ("basis", t("民法典第1047条")),
        ])
    }

    #[test]
    fn a_good_single_question_validates() {
        let q = validate_row(single(t("c"))).expect("valid");
        assert_eq!(q.answer, Answer::Single(2));
        assert_eq!(q.basis, ["民法典第1047条"]);
    }

    #[test]
    fn answers_outside_the_options_or_of_the_wrong_count_are_refused() {
        for bad in [t("D"), t("AB"), t(""), t("Z"), RawVal::Bool(true)] {
            let problems = validate_row(single(bad.clone())).expect_err("invalid");
            assert!(problems.iter().any(|p| p.field == "answer"), "{bad:?}: {problems:?}");
        }
    }

    #[test]
    fn judge_answers_accept_what_clerks_type() {
        for (raw, expected) in [("对", true), ("√", true), ("错", false), ("×", false), ("正确", true)] {
            assert_eq!(parse_answer(QuestionKind::Judge, &t(raw), 0), Ok(Answer::Judge(expected)), "{raw}");
        }
    }

    #[test]
    fn citations_must_name_a_real_article() {
        assert!(check_citation("民法典第1260条").is_ok());
        assert!(check_citation("个人信息保护法第13条").is_ok());
        for bad in ["民法典第1261条", "民法典第0条", "民法典1047条", "第1047条", "民法典第一千条", "民法典第1047"]
        {
            assert!(check_citation(bad).is_err(), "{bad}");
        }
    }
}
