//! Property-based fuzzing of what reads lessons: the Markdown a staff member types and the lesson
//! files of question-bank/lessons. No input may panic; what is accepted carries no markup into the
//! text the app shows, and every refusal names its place.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use pufa::lessons::content::parse_file;
use pufa::lessons::markdown::render;

const LESSON: &str = include_str!("../question-bank/lessons/loan-no-iou.md");

/// Characters that mean something in Markdown or HTML, mixed with Chinese text and line breaks.
fn markdownish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("## ".to_owned()),
        Just("- ".to_owned()),
        Just("**".to_owned()),
        Just("*".to_owned()),
        Just("\n".to_owned()),
        Just("\n\n".to_owned()),
        Just("<b>".to_owned()),
        Just("[x](y)".to_owned()),
        Just("`".to_owned()),
        Just("\u{3000}".to_owned()),
        Just("1. ".to_owned()),
        Just("借条".to_owned()),
        "[a-z ]{0,6}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/fuzz_lessons.txt"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn accepted_markdown_leaves_no_markup_in_the_text(body in markdownish()) {
        match render(&body) {
            Ok(blocks) => {
                prop_assert!(!blocks.is_empty());
                for block in blocks {
                    let joined: String = block.spans.iter().map(|s| s.text.as_str()).collect();
                    prop_assert_eq!(&joined, &block.text);
                    prop_assert!(!block.text.is_empty());
                    prop_assert!(!block.text.contains('*') && !block.text.contains('`'), "{:?}", block.text);
                    prop_assert!(!block.text.contains("]("), "{:?}", block.text);
                }
            }
            Err(problems) => {
                prop_assert!(!problems.is_empty() && problems.len() <= 20);
                let lines = body.lines().count().max(1);
                prop_assert!(problems.iter().all(|p| (1..=lines).contains(&p.line)), "{:?}", problems);
            }
        }
    }

    #[test]
    fn a_damaged_lesson_file_is_refused_with_places_or_read_whole(
        at in 0usize..2000,
        cut in 0usize..40,
        insert in markdownish(),
    ) {
        let mut text: Vec<char> = LESSON.chars().collect();
        let at = at.min(text.len());
        let end = (at + cut).min(text.len());
        text.splice(at..end, insert.chars());
        let text: String = text.into_iter().collect();
        match parse_file("loan-no-iou.md", &text) {
            Ok(lesson) => prop_assert!(!lesson.content.blocks.is_empty()),
            Err(problems) => {
                prop_assert!(!problems.is_empty());
                prop_assert!(problems.iter().all(|p| p.place.starts_with("loan-no-iou.md")), "{:?}", problems);
            }
        }
    }
}
