//! How an answer is graded: one pure function over (question, the session's option order, choice).

use crate::bank::{Answer, QuestionKind, letter};

/// An answer as the resident gave it, in the letters they were shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// Displayed option indices, ascending, no repeats.
    Letters(Vec<u8>),
    Judge(bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidChoice {
    #[error("单选题只能选一个答案")]
    NotOneLetter,
    #[error("只能在A到{0}的选项里选")]
    NoSuchOption(char),
    #[error("判断题只能答“对”或“错”")]
    NotJudge,
    #[error("请至少选一个答案")]
    Empty,
    #[error("同一个选项选了两次")]
    Repeated,
}

/// The raw JSON value of `choice`: a string of letters or a boolean.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum RawChoice {
    Text(String),
    Bool(bool),
}

/// Written by hand: the derive cannot put a pattern on the string variant.
impl utoipa::PartialSchema for RawChoice {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        let letters = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^[A-Ha-hTtFf][A-Ha-h ,]*$"))
            .description(Some("option letters as shown, in any order (case, spaces and commas do not matter), or T/F"));
        let judge = ObjectBuilder::new().schema_type(Type::Boolean).description(Some("a true/false question's answer"));
        OneOfBuilder::new()
            .item(letters)
            .item(judge)
            .description(Some("the raw JSON value of `choice`: a string of letters or a boolean"))
            .into()
    }
}

impl utoipa::ToSchema for RawChoice {}

impl Choice {
    /// Parses `raw` for a question of `kind` showing `option_count` options.
    pub fn parse(raw: &RawChoice, kind: QuestionKind, option_count: usize) -> Result<Self, InvalidChoice> {
        match (kind, raw) {
            (QuestionKind::Judge, RawChoice::Bool(b)) => Ok(Self::Judge(*b)),
            (QuestionKind::Judge, RawChoice::Text(t)) => match t.trim() {
                "T" | "t" => Ok(Self::Judge(true)),
                "F" | "f" => Ok(Self::Judge(false)),
                _ => Err(InvalidChoice::NotJudge),
            },
            (_, RawChoice::Bool(_)) => Err(InvalidChoice::NoSuchOption(letter(last(option_count)))),
            (kind, RawChoice::Text(t)) => {
                let mut picked = Vec::new();
                for c in t.chars().filter(|c| !matches!(c, ' ' | ',')) {
                    let c = c.to_ascii_uppercase();
                    let index = (0..option_count).find(|i| letter(u8::try_from(*i).unwrap_or(u8::MAX)) == c);
                    let index = index.ok_or(InvalidChoice::NoSuchOption(letter(last(option_count))))?;
                    let index = u8::try_from(index).map_err(|_| InvalidChoice::NoSuchOption('H'))?;
                    if picked.contains(&index) {
                        return Err(InvalidChoice::Repeated);
                    }
                    picked.push(index);
                }
                picked.sort_unstable();
                match (kind, picked.len()) {
                    (_, 0) => Err(InvalidChoice::Empty),
                    (QuestionKind::Single, n) if n > 1 => Err(InvalidChoice::NotOneLetter),
                    _ => Ok(Self::Letters(picked)),
                }
            }
        }
    }

    /// `B`, `ACD`, `T` or `F`: how SQL stores it.
    pub fn code(&self) -> String {
        match self {
            Self::Letters(list) => list.iter().map(|i| letter(*i)).collect(),
            Self::Judge(true) => "T".into(),
            Self::Judge(false) => "F".into(),
        }
    }

    pub fn from_code(code: &str, kind: QuestionKind, option_count: usize) -> Option<Self> {
        Self::parse(&RawChoice::Text(code.to_owned()), kind, option_count).ok()
    }
}

fn last(option_count: usize) -> u8 {
    u8::try_from(option_count.saturating_sub(1)).unwrap_or(7)
}

/// A session's option order: displayed option `i` is original option `order[i]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permutation(pub Vec<u8>);

impl Permutation {
    pub fn identity(n: usize) -> Self {
        Self((0..n).filter_map(|i| u8::try_from(i).ok()).collect())
    }

    /// Stored as digits, e.g. `2031`.
    pub fn code(&self) -> String {
        self.0.iter().map(|i| char::from(b'0' + i)).collect()
    }

    pub fn from_code(code: &str) -> Option<Self> {
        code.bytes().map(|b| b.checked_sub(b'0').filter(|d| *d < 8)).collect::<Option<Vec<u8>>>().map(Self)
    }

    /// The displayed index of original option `original`.
    pub fn shown_at(&self, original: u8) -> Option<u8> {
        self.0.iter().position(|o| *o == original).and_then(|i| u8::try_from(i).ok())
    }

    /// The right answer as this session shows it (`C` → the letter it sits under here).
    pub fn shown_answer(&self, answer: &Answer) -> String {
        match answer {
            Answer::Judge(true) => "T".into(),
            Answer::Judge(false) => "F".into(),
            Answer::Single(i) => self.shown_at(*i).map(letter).map(String::from).unwrap_or_default(),
            Answer::Multiple(list) => {
                let mut shown: Vec<u8> = list.iter().filter_map(|i| self.shown_at(*i)).collect();
                shown.sort_unstable();
                shown.into_iter().map(letter).collect()
            }
        }
    }
}

/// Whether `choice` is right. Multiple choice is all-or-nothing: exactly the right set.
pub fn grade(answer: &Answer, order: &Permutation, choice: &Choice) -> bool {
    match (answer, choice) {
        (Answer::Judge(right), Choice::Judge(given)) => right == given,
        (Answer::Single(right), Choice::Letters(shown)) => {
            matches!(shown.as_slice(), [one] if order.0.get(usize::from(*one)) == Some(right))
        }
        (Answer::Multiple(right), Choice::Letters(shown)) => {
            let mut originals: Vec<u8> = shown.iter().filter_map(|i| order.0.get(usize::from(*i)).copied()).collect();
            originals.sort_unstable();
            originals.len() == shown.len() && &originals == right
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letters(s: &str, kind: QuestionKind, n: usize) -> Choice {
        Choice::parse(&RawChoice::Text(s.into()), kind, n).expect("valid choice")
    }

    #[test]
    fn single_choice_is_graded_through_the_sessions_option_order() {
        // Original options A B C D shown as C A D B: the right answer C is shown as A.
        let order = Permutation(vec![2, 0, 3, 1]);
        let answer = Answer::Single(2);
        assert!(grade(&answer, &order, &letters("A", QuestionKind::Single, 4)));
        assert!(!grade(&answer, &order, &letters("C", QuestionKind::Single, 4)));
        assert_eq!(order.shown_answer(&answer), "A");
    }

    #[test]
    fn multiple_choice_is_all_or_nothing() {
        let order = Permutation(vec![3, 2, 1, 0]); // D C B A
        let answer = Answer::Multiple(vec![0, 1, 3]); // A B D, shown as D C A -> letters A C D
        assert_eq!(order.shown_answer(&answer), "ACD");
        assert!(grade(&answer, &order, &letters("ACD", QuestionKind::Multiple, 4)));
        assert!(grade(&answer, &order, &letters("d,c,a", QuestionKind::Multiple, 4)));
        assert!(!grade(&answer, &order, &letters("AC", QuestionKind::Multiple, 4)), "missing one");
        assert!(!grade(&answer, &order, &letters("ABCD", QuestionKind::Multiple, 4)), "one too many");
    }

    #[test]
    fn judge_takes_booleans_or_t_and_f() {
        let order = Permutation(Vec::new());
        let answer = Answer::Judge(false);
        assert!(grade(&answer, &order, &Choice::parse(&RawChoice::Bool(false), QuestionKind::Judge, 0).expect("ok")));
        assert!(grade(
            &answer,
            &order,
            &Choice::parse(&RawChoice::Text("F".into()), QuestionKind::Judge, 0).expect("ok")
        ));
        assert!(!grade(
            &answer,
            &order,
            &Choice::parse(&RawChoice::Text("T".into()), QuestionKind::Judge, 0).expect("ok")
        ));
    }

    #[test]
    fn malformed_choices_are_refused() {
        let parse = |raw: RawChoice, kind, n| Choice::parse(&raw, kind, n);
        assert_eq!(parse(RawChoice::Text("AB".into()), QuestionKind::Single, 4), Err(InvalidChoice::NotOneLetter));
        assert_eq!(parse(RawChoice::Text("E".into()), QuestionKind::Single, 4), Err(InvalidChoice::NoSuchOption('D')));
        assert_eq!(parse(RawChoice::Text("".into()), QuestionKind::Multiple, 4), Err(InvalidChoice::Empty));
        assert_eq!(parse(RawChoice::Text("AA".into()), QuestionKind::Multiple, 4), Err(InvalidChoice::Repeated));
        assert_eq!(parse(RawChoice::Text("对".into()), QuestionKind::Judge, 0), Err(InvalidChoice::NotJudge));
        assert!(parse(RawChoice::Bool(true), QuestionKind::Single, 4).is_err());
    }

    #[test]
    fn permutations_round_trip_through_their_code() {
        let order = Permutation(vec![2, 0, 3, 1]);
        assert_eq!(Permutation::from_code(&order.code()), Some(order));
        assert_eq!(Permutation::from_code("9"), None);
    }
}
