//! Property-based fuzzing of everything that parses outside input: the six question-file
//! readers (TOML, JSON, CSV, XLSX, XLS, ODS), the search for a spreadsheet's header row, and the
//! answer (choice) parser. Clerks upload whatever Excel or a text editor made;
//! phones send whatever a broken client sends. None of it may panic, and every refusal must say
//! where the problem is.
//!
//! Bounded for CI (`PROPTEST_CASES` raises it: `PROPTEST_CASES=100000 cargo test --release --test
//! fuzz`). Failing inputs proptest finds are kept under `proptest-regressions/` and replayed first.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use pufa::bank::{Format, QuestionKind, parse_bank};
use pufa::quiz::{Choice, RawChoice};

const TEMPLATE_TOML: &[u8] = include_bytes!("fixtures/template.toml");
const TEMPLATE_CSV: &[u8] = include_bytes!("../question-bank/templates/template.csv");
const TEMPLATE_XLSX: &[u8] = include_bytes!("../question-bank/templates/template.xlsx");
const TEMPLATE_XLS: &[u8] = include_bytes!("../question-bank/templates/template.xls");
const CLERK_ODS: &[u8] = include_bytes!("fixtures/clerk/libreoffice.ods");

fn template_json() -> Vec<u8> {
    serde_json::json!({
        "bank": {"key": "template", "title": "template"},
        "questions": [{
            "key": "hy-002", "kind": "judge", "category": "婚姻家庭", "difficulty": 1,
            "stem": "夫妻到婚姻登记机关申请离婚后，三十日内任何一方不想离了，可以撤回离婚登记申请。",
            "answer": true, "explanation": "离婚冷静期。", "basis": ["民法典第1077条"]
        }]
    })
    .to_string()
    .into_bytes()
}

/// The checks every parse must pass, whatever the input.
fn assert_sound(bytes: &[u8], format: Format) {
    match parse_bank(bytes, format, "upload", Some("fuzz"), Some("fuzz")) {
        Ok(file) => {
            assert!(!file.questions.is_empty(), "an accepted file has questions");
            for q in &file.questions {
                assert!(pufa::bank::valid_key(&q.key), "accepted key {:?}", q.key);
            }
        }
        Err(problems) => {
            assert!(!problems.is_empty(), "a refusal names at least one problem");
            for p in &problems {
                // `file:line` (or the file for a whole-file problem); `sheet!row` for spreadsheets.
                let placed = p.place.starts_with("upload") || p.place.contains('!');
                assert!(placed, "every problem has a place: {p:?}");
                assert!(!p.problem.is_empty(), "every problem says what is wrong: {p:?}");
            }
        }
    }
}

/// A valid file with a few bytes flipped, inserted or cut: the inputs most likely to reach deep.
fn mutated(seed: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let len = seed.len();
    prop::collection::vec((0..len.max(1), any::<u8>(), 0u8..3), 1..8).prop_map(move |edits| {
        let mut bytes = seed.clone();
        for (at, byte, op) in edits {
            let at = at.min(bytes.len().saturating_sub(1));
            match op {
                0 if !bytes.is_empty() => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ if !bytes.is_empty() => {
                    bytes.truncate(at.max(1));
                }
                _ => {}
            }
        }
        bytes
    })
}

/// Text a hostile or careless uploader might put in a field.
fn nasty_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("'; DROP TABLE questions; --".to_owned()),
        Just("<script>alert(1)</script>".to_owned()),
        Just("=HYPERLINK(\"http://x\")".to_owned()),
        Just("\u{0}\u{1b}[31m\u{202e}".to_owned()),
        ".{0,40}",
        "\\PC{0,200}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/fuzz.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_break_any_reader(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        for format in [Format::Toml, Format::Json, Format::Csv, Format::Xlsx, Format::Xls, Format::Ods] {
            assert_sound(&bytes, format);
        }
        // The same bytes behind each workbook's signature, so the XLS and ODS readers see them.
        for magic in [&b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"[..], &b"PK\x03\x04"[..]] {
            let disguised: Vec<u8> = magic.iter().chain(&bytes).copied().collect();
            assert_sound(&disguised, Format::Xls);
        }
    }

    #[test]
    fn a_damaged_toml_file_is_refused_with_places_or_read(bytes in mutated(TEMPLATE_TOML.to_vec())) {
        assert_sound(&bytes, Format::Toml);
    }

    #[test]
    fn a_damaged_json_file_is_refused_with_places_or_read(bytes in mutated(template_json())) {
        assert_sound(&bytes, Format::Json);
    }

    #[test]
    fn a_damaged_csv_file_is_refused_with_places_or_read(bytes in mutated(TEMPLATE_CSV.to_vec())) {
        assert_sound(&bytes, Format::Csv);
    }

    #[test]
    fn a_damaged_xlsx_file_is_refused_with_places_or_read(bytes in mutated(TEMPLATE_XLSX.to_vec())) {
        assert_sound(&bytes, Format::Xlsx);
    }

    #[test]
    fn a_damaged_xls_file_is_refused_with_places_or_read(bytes in mutated(TEMPLATE_XLS.to_vec())) {
        assert_sound(&bytes, Format::Xls);
    }

    #[test]
    fn a_damaged_ods_file_is_refused_with_places_or_read(bytes in mutated(CLERK_ODS.to_vec())) {
        assert_sound(&bytes, Format::Ods);
    }

    /// Title rows above the header (up to nine), unknown columns anywhere, any line ending: the
    /// header is found, the extra columns ignored, and the questions read as the template's.
    #[test]
    fn the_header_row_is_found_below_title_rows_and_beside_extra_columns(
        titles in prop::collection::vec("[^,\"\r\n]{0,20}", 0..10),
        extra in prop::collection::vec(("[\u{4e00}-\u{4e5f}]{1,3}", 0usize..13), 0..3),
        eol in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
    ) {
        let template = pufa::bank::decode_csv(TEMPLATE_CSV);
        let mut lines: Vec<Vec<String>> =
            template.lines().map(|l| l.split(',').map(str::to_owned).collect()).collect();
        for (name, at) in &extra {
            for (i, line) in lines.iter_mut().enumerate() {
                let cell = if i == 0 { name.clone() } else { "备用".to_owned() };
                line.insert((*at).min(line.len()), cell);
            }
        }
        let mut text: Vec<String> = titles.iter().map(|t| format!("\"{t}\"")).collect();
        text.extend(lines.iter().map(|l| l.join(",")));
        let bytes = text.join(eol).into_bytes();
        let expected = parse_bank(TEMPLATE_TOML, Format::Toml, "t.toml", None, None).expect("toml").questions;
        let file = parse_bank(&bytes, Format::Csv, "upload.csv", Some("fuzz"), None);
        let file = file.unwrap_or_else(|p| panic!("{:?}", &p[..]));
        prop_assert_eq!(&file.questions, &expected);
        prop_assert_eq!(file.warnings.len(), extra.len());
    }

    #[test]
    fn hostile_text_in_any_field_is_kept_as_text_or_refused(
        stem in nasty_text(), option in nasty_text(), explanation in nasty_text(), key in nasty_text(),
    ) {
        let file = serde_json::json!({
            "bank": {"key": "fuzz", "title": "fuzz"},
            "questions": [{
                "key": key, "kind": "single", "category": "合同编", "difficulty": 2, "stem": stem,
                "options": [option, "乙", "丙"], "answer": "A", "explanation": explanation,
                "basis": ["民法典第465条"]
            }]
        });
        let bytes = file.to_string().into_bytes();
        assert_sound(&bytes, Format::Json);
        if let Ok(parsed) = parse_bank(&bytes, Format::Json, "upload", None, None) {
            // Accepted text is stored as it was given (trimmed): never rewritten into markup.
            prop_assert_eq!(parsed.questions[0].stem.as_str(), stem.trim());
        }
    }

    #[test]
    fn any_choice_parses_or_is_refused_and_round_trips(
        text in "\\PC{0,12}", flag in any::<bool>(), as_text in any::<bool>(), kind in 0u8..3, options in 2usize..=8,
    ) {
        let kind = [QuestionKind::Single, QuestionKind::Multiple, QuestionKind::Judge][usize::from(kind)];
        let raw = if as_text { RawChoice::Text(text) } else { RawChoice::Bool(flag) };
        if let Ok(choice) = Choice::parse(&raw, kind, options) {
            let again = Choice::from_code(&choice.code(), kind, options);
            prop_assert_eq!(again, Some(choice));
        }
    }
}
