//! Writing a bank back out as TOML, JSON or CSV (UTF-8 with BOM, opens in Excel).

use serde::Serialize;

use super::index::IndexedQuestion;
use super::model::{Answer, QuestionKind, Visibility};
use super::parse::Format;

#[derive(Serialize)]
struct FileOut<'a> {
    bank: BankOut<'a>,
    questions: Vec<QuestionOut<'a>>,
}

#[derive(Serialize)]
struct BankOut<'a> {
    key: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "is_study")]
    visibility: Visibility,
}

fn is_study(v: &Visibility) -> bool {
    *v == Visibility::Study
}

#[derive(Serialize)]
#[serde(untagged)]
enum AnswerOut {
    Letters(String),
    Judge(bool),
}

#[derive(Serialize)]
struct QuestionOut<'a> {
    key: &'a str,
    kind: &'static str,
    category: &'a str,
    difficulty: u8,
    stem: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    options: &'a [String],
    answer: AnswerOut,
    explanation: &'a str,
    basis: &'a [String],
}

pub fn render(
    key: &str,
    title: &str,
    visibility: Visibility,
    questions: &[std::sync::Arc<IndexedQuestion>],
    format: Format,
) -> Vec<u8> {
    let out = FileOut {
        bank: BankOut { key, title, visibility },
        questions: questions
            .iter()
            .map(|q| QuestionOut {
                key: &q.key,
                kind: q.kind.as_str(),
                category: &q.category,
                difficulty: q.difficulty,
                stem: &q.stem,
                options: &q.options,
                answer: match q.answer {
                    Answer::Judge(b) => AnswerOut::Judge(b),
                    ref other => AnswerOut::Letters(other.code()),
                },
                explanation: &q.explanation,
                basis: &q.basis,
            })
            .collect(),
    };
    match format {
        Format::Toml => toml::to_string_pretty(&out).unwrap_or_default().into_bytes(),
        Format::Json => serde_json::to_vec_pretty(&out).unwrap_or_default(),
        Format::Csv | Format::Xlsx | Format::Xls | Format::Ods => csv(questions),
    }
}

fn csv(questions: &[std::sync::Arc<IndexedQuestion>]) -> Vec<u8> {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut bytes);
        let mut header = vec!["编号", "题型", "分类", "难度", "题干"];
        let option_headers = ["选项A", "选项B", "选项C", "选项D", "选项E", "选项F", "选项G", "选项H"];
        header.extend(option_headers);
        header.extend(["答案", "解析", "依据"]);
        let _ = writer.write_record(&header);
        for q in questions {
            let mut record = vec![
                q.key.clone(),
                q.kind.label().to_owned(),
                q.category.clone(),
                q.difficulty.to_string(),
                q.stem.clone(),
            ];
            record.extend((0..8).map(|i| q.options.get(i).cloned().unwrap_or_default()));
            record.push(match (&q.kind, &q.answer) {
                (QuestionKind::Judge, Answer::Judge(true)) => "对".to_owned(),
                (QuestionKind::Judge, _) => "错".to_owned(),
                (_, answer) => answer.code(),
            });
            record.push(q.explanation.clone());
            record.push(q.basis.join("；"));
            let _ = writer.write_record(&record);
        }
        let _ = writer.flush();
    }
    bytes
}
