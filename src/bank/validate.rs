//! The one set of rules a question obeys, whatever file it came from: `validate_row` turns a raw
//! row into a `Question` or every problem it has, in Chinese a clerk can act on. What clerks type
//! on a Chinese input method (full-width `Ｃ`, `１`, `，`) is read through Unicode NFKC where it
//! names something (answer, type, difficulty, key); stems and explanations stay as written.

use std::collections::HashSet;

use unicode_normalization::UnicodeNormalization;

use super::model::{Answer, Difficulty, LETTERS, Question, QuestionKind};
use super::parse::{FIELDS, Problem, RawRow, RawVal, valid_key};

/// Full-width letters, digits and punctuation as their ordinary forms (`Ｃ` → `C`, `，` → `,`).
pub(super) fn nfkc(raw: &str) -> String {
    raw.nfkc().collect()
}

/// What a column or field is called on the template.
pub(super) fn label(field: &str) -> &'static str {
    match field {
        "key" => "编号",
        "kind" => "题型",
        "category" => "分类",
        "difficulty" => "难度",
        "stem" => "题干",
        "options" => "选项",
        "answer" => "答案",
        "explanation" => "解析",
        "basis" => "依据",
        _ => "这一项",
    }
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
        RawVal::Text(_) => "文字",
        RawVal::Int(_) | RawVal::Float(_) => "数字",
        RawVal::Bool(_) => "真假值",
        RawVal::List(_) => "列表",
        RawVal::Other(name) => name,
    }
}

/// A question kind as clerks write it: 单选, 单选题, 单项选择题, single (full-width too).
pub(super) fn parse_kind(raw: &str) -> Option<QuestionKind> {
    let plain: String = nfkc(raw).chars().filter(|c| !c.is_whitespace()).collect();
    QuestionKind::parse(&plain)
}

fn parse_difficulty(val: &RawVal) -> Option<Difficulty> {
    let level = match val {
        RawVal::Int(i) => Some(*i),
        RawVal::Float(f) if f.fract() == 0.0 => Some(*f as i64),
        RawVal::Text(s) => match nfkc(s).trim() {
            "1" | "易" | "简单" | "容易" | "低" => Some(1),
            "2" | "中" | "中等" | "一般" | "适中" => Some(2),
            "3" | "难" | "困难" | "较难" | "高" => Some(3),
            _ => None,
        },
        _ => None,
    };
    level.and_then(Difficulty::new)
}

/// Turns one raw row into a `Question`, or every problem it has.
pub fn validate_row(mut row: RawRow) -> Result<Question, Vec<Problem>> {
    let mut problems = Vec::new();
    let base = row.place.clone();
    for (field, (_, place)) in &row.fields {
        if !FIELDS.contains(&field.as_str()) {
            problems.push(Problem::new(place.clone(), field, format!("不认识的字段“{field}”")));
        }
    }
    let mut bad = |field: &str, place: &str, problem: String| problems.push(Problem::new(place, field, problem));
    let required_text =
        |row: &mut RawRow, field: &str, max: usize, bad: &mut dyn FnMut(&str, &str, String)| match row.take(field) {
            None => {
                bad(field, &base, format!("“{}”必填，不能为空", label(field)));
                None
            }
            Some((val, place)) => {
                let kind = type_name(&val);
                match text(val) {
                    Some(s) if s.is_empty() => {
                        bad(field, &place, format!("“{}”必填，不能为空", label(field)));
                        None
                    }
                    Some(s) if s.chars().count() > max => {
                        bad(field, &place, format!("“{}”太长，最多{max}个字", label(field)));
                        None
                    }
                    Some(s) => Some(s),
                    None => {
                        bad(field, &place, format!("“{}”应为文字，这里是{kind}", label(field)));
                        None
                    }
                }
            }
        };

    let key = required_text(&mut row, "key", 64, &mut bad).map(|k| nfkc(&k)).filter(|k| {
        let ok = valid_key(k);
        if !ok {
            bad("key", &base, format!("编号“{k}”只能用字母、数字、-、_ 和 .，最长64个字符"));
        }
        ok
    });
    let kind = required_text(&mut row, "kind", 16, &mut bad).and_then(|k| {
        let kind = parse_kind(&k);
        if kind.is_none() {
            bad("kind", &base, format!("题型“{k}”不对，应为 单选、多选 或 判断"));
        }
        kind
    });
    let category = required_text(&mut row, "category", 20, &mut bad);
    let stem = required_text(&mut row, "stem", 1000, &mut bad);
    let explanation = required_text(&mut row, "explanation", 2000, &mut bad);

    let difficulty = match row.take("difficulty") {
        None => {
            bad("difficulty", &base, "“难度”必填：1（易）、2（中）或 3（难）".into());
            None
        }
        Some((val, place)) => {
            let difficulty = parse_difficulty(&val);
            if difficulty.is_none() {
                bad("difficulty", &place, "难度应为 1（易）、2（中）或 3（难）".into());
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
                    _ => bad("options", &place, format!("选项{}应为不超过500字的文字", letter_at(i))),
                }
            }
            options
        }
        Some((val, place)) => {
            bad("options", &place, format!("选项应为列表，这里是{}", type_name(&val)));
            Vec::new()
        }
    };
    let unique: HashSet<&String> = options.iter().collect();
    if unique.len() != options.len() {
        bad("options", &base, "有两个选项完全相同".into());
    }

    let answer = match (kind, row.take("answer")) {
        (_, None) => {
            bad("answer", &base, "“答案”必填，不能为空".into());
            None
        }
        (None, Some(_)) => None,
        (Some(kind), Some((val, place))) => {
            match kind {
                QuestionKind::Judge if !options.is_empty() => {
                    bad("options", &place, "判断题不要填选项".into());
                }
                QuestionKind::Single | QuestionKind::Multiple if !(2..=8).contains(&options.len()) => {
                    bad("options", &place, format!("选择题要有2到8个选项，这里有{}个", options.len()));
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
            bad("basis", &base, "“依据”必填：写明依据的法条，如 民法典第1047条".into());
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
                bad("basis", &place, "至少写一条依据，如 民法典第1047条".into());
            }
            for item in &items {
                if let Err(problem) = super::citation::Citation::parse(item) {
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

/// Judge answers as clerks write them (after NFKC, lowercase).
fn judge(raw: &str) -> Option<bool> {
    match raw {
        "对" | "√" | "✓" | "✔" | "正确" | "是" | "true" | "t" | "yes" | "y" => Some(true),
        "错" | "×" | "✗" | "✘" | "x" | "错误" | "否" | "false" | "f" | "no" | "n" => Some(false),
        _ => None,
    }
}

fn parse_answer(kind: QuestionKind, val: &RawVal, option_count: usize) -> Result<Answer, String> {
    if kind == QuestionKind::Judge {
        return match val {
            RawVal::Bool(b) => Ok(Answer::Judge(*b)),
            RawVal::Text(s) => {
                let plain = nfkc(s).trim().to_lowercase();
                judge(&plain).map(Answer::Judge).ok_or_else(|| {
                    format!("判断题答案“{}”不对，应为 对/错（也认 √ ×、正确 错误、是 否、T F）", s.trim())
                })
            }
            other => Err(format!("判断题答案应为 对 或 错，这里是{}", type_name(other))),
        };
    }
    let RawVal::Text(raw) = val else {
        return Err(format!("答案应为选项字母，如 C 或 ABD，这里是{}", type_name(val)));
    };
    let full_width = raw.chars().any(|c| ('\u{ff01}'..='\u{ff5e}').contains(&c));
    let plain = nfkc(raw);
    let mut picked = Vec::new();
    for c in plain.chars().filter(|c| !matches!(c, ' ' | ',' | '、' | ';' | '.' | '/')) {
        let c = c.to_ascii_uppercase();
        let Some(i) = LETTERS.iter().position(|l| char::from(*l) == c) else {
            return Err(format!("答案里的“{c}”不是选项字母（A到H）"));
        };
        if i >= option_count {
            let width = if full_width { "（全角字母已按半角读）" } else { "" };
            return Err(format!("答案{c}超出了选项范围A-{}{width}", letter_at(option_count.saturating_sub(1))));
        }
        let i = u8::try_from(i).unwrap_or(0);
        if picked.contains(&i) {
            return Err(format!("答案里{c}重复了"));
        }
        picked.push(i);
    }
    picked.sort_unstable();
    match (kind, picked.as_slice()) {
        (_, []) => Err("“答案”必填，不能为空".into()),
        (QuestionKind::Single, [one]) => Ok(Answer::Single(*one)),
        (QuestionKind::Single, _) => Err(format!("单选题只能有一个答案，这里是{}", raw.trim())),
        (QuestionKind::Multiple, [_]) => {
            Err(format!("多选题至少两个答案，这里是{}；只有一个对的请改成单选", raw.trim()))
        }
        (_, _) => Ok(Answer::Multiple(picked)),
    }
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
    fn full_width_answers_kinds_difficulties_and_keys_read_as_half_width() {
        assert_eq!(validate_row(single(t("Ｃ"))).expect("valid").answer, Answer::Single(2));
        assert_eq!(parse_answer(QuestionKind::Multiple, &t("Ａ，Ｃ"), 3), Ok(Answer::Multiple(vec![0, 2])));
        assert_eq!(parse_answer(QuestionKind::Multiple, &t("A、B、C"), 3), Ok(Answer::Multiple(vec![0, 1, 2])));
        assert_eq!(parse_kind("单选题"), Some(QuestionKind::Single));
        assert_eq!(parse_kind("ｊｕｄｇｅ"), Some(QuestionKind::Judge));
        assert_eq!(parse_difficulty(&t("２")), Difficulty::new(2));
        assert_eq!(parse_difficulty(&t("中等")), Difficulty::new(2));
        let mut r = single(t("C"));
        r.fields.insert("key".into(), (t("ｈｙ－００１"), "t.toml:1".into()));
        assert_eq!(validate_row(r).expect("valid").key, "hy-001");
    }

    #[test]
    fn answers_outside_the_options_or_of_the_wrong_count_are_refused_in_chinese() {
        for bad in [t("D"), t("AB"), t(""), t("Z"), RawVal::Bool(true), t("Ｄ")] {
            let problems = validate_row(single(bad.clone())).expect_err("invalid");
            let answer = problems.iter().find(|p| p.field == "answer").unwrap_or_else(|| panic!("{bad:?}"));
            assert!(!answer.problem.contains('('), "Chinese only: {answer:?}");
        }
        let problems = validate_row(single(t("Ｄ"))).expect_err("invalid");
        assert!(problems.iter().any(|p| p.problem.contains("全角")), "{problems:?}");
    }

    #[test]
    fn judge_answers_accept_what_clerks_type() {
        for (raw, expected) in [
            ("对", true),
            ("√", true),
            ("错", false),
            ("×", false),
            ("正确", true),
            ("是", true),
            ("否", false),
            ("T", true),
            ("Ｆ", false),
            ("f", false),
        ] {
            assert_eq!(parse_answer(QuestionKind::Judge, &t(raw), 0), Ok(Answer::Judge(expected)), "{raw}");
        }
    }

    #[test]
    fn citations_must_name_a_real_article() {
        let check = |item: &str| super::super::citation::Citation::parse(item).map(|_| ());
        assert!(check("民法典第1260条").is_ok());
        assert!(check("个人信息保护法第13条").is_ok());
        for bad in ["民法典第1261条", "民法典第0条", "民法典1047条", "第1047条", "民法典第一千条", "民法典第1047"]
        {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
