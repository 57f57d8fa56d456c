//! Who may win a prize: the rule, in one place, used both when the eligible list is fixed and when
//! anyone verifies a published draw.
//!
//! An entrant is a resident with a counted attempt on the campaign board (finished, plausible, of
//! an account not erased), once; staff never win, nor disabled accounts; a lottery also asks for
//! its `min_score`, and with `verified_only` a phone verified by SMS. The public list names
//! entrants by a pseudonym (`entrant`), never by name or phone; each entry's `contact` commits to
//! the name and masked phone it will be announced with, under a random nonce that only a winner's
//! record reveals, so a winner cannot be renamed after the list is published and nobody can test a
//! guess of who the others are.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::{Prize, PrizeMode};
use crate::accounts::{Role, mask_phone};
use crate::db::entity::user;
use crate::scores::Entry;

/// What the rule needs to know of a person.
#[derive(Debug, Clone)]
pub struct Person {
    pub display_name: String,
    pub phone: String,
    pub role: Role,
    pub disabled: bool,
    pub verified: bool,
}

impl Person {
    pub fn from_row(row: user::Model) -> Self {
        Self {
            role: Role::from_stored(&row.role),
            display_name: row.display_name,
            phone: row.phone,
            disabled: row.disabled,
            verified: row.phone_verified_at.is_some(),
        }
    }
}

/// One entry of the eligible list as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Entrant {
    /// A pseudonym: the first 16 hex characters of SHA-256 of `entrant:{commitment}:{user id}`.
    pub entrant: String,
    /// The entrant's standing: points, then time taken, then when it was reached (board order).
    pub score: i64,
    pub duration_ms: i64,
    pub at_ms: i64,
    /// `resident` (anything else breaks the rule).
    pub role: Role,
    /// The phone was verified by an SMS code.
    pub verified: bool,
    /// SHA-256 of `contact:{nonce}:{display name}:{masked phone}`.
    pub contact: String,
}

/// The private half of an entry (staff only): who it is, and what opens its `contact`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub user_id: i64,
    pub display_name: String,
    pub phone_masked: String,
    /// 32 random hex characters.
    pub nonce: String,
}

impl Contact {
    pub fn digest(&self) -> String {
        contact_digest(&self.nonce, &self.display_name, &self.phone_masked)
    }
}

pub fn contact_digest(nonce: &str, display_name: &str, phone_masked: &str) -> String {
    crate::digest::sha256_hex(format!("contact:{nonce}:{display_name}:{phone_masked}").as_bytes())
}

/// With `per_day`: one day's qualifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DayList {
    /// Asia/Shanghai `YYYY-MM-DD`.
    pub day: String,
    pub entrants: Vec<Entrant>,
}

/// The eligible list as fixed: `entrants` (ascending pseudonym), or with `per_day` one list a day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EligibleList {
    #[serde(default)]
    pub entrants: Vec<Entrant>,
    #[serde(default)]
    pub days: Vec<DayList>,
}

impl EligibleList {
    /// The canonical bytes the published hash covers: this list as compact JSON, fields in the
    /// order above.
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn sha256(&self) -> String {
        crate::digest::sha256_hex(self.canonical().as_bytes())
    }

    /// The entry of `entrant` (on `day`'s list with `per_day`).
    pub fn entry(&self, entrant: &str, day: Option<&str>) -> Option<&Entrant> {
        let entrants = match day {
            Some(day) => &self.days.iter().find(|d| d.day == day)?.entrants,
            None => &self.entrants,
        };
        entrants.iter().find(|e| e.entrant == entrant)
    }

    /// Entries in all (a person qualifying on two days counts twice).
    pub fn count(&self) -> u64 {
        (self.entrants.len() + self.days.iter().map(|d| d.entrants.len()).sum::<usize>()) as u64
    }
}

/// How an entry breaks the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleBreak {
    #[error("a staff account ({0}) cannot win")]
    Staff(String),
    #[error("scored {score}, below the minimum {min}")]
    BelowMinimum { score: i64, min: i64 },
    #[error("the phone is not verified, and this prize is for verified phones only")]
    NotVerified,
}

/// Whether one published entry meets the published rule.
pub fn check_entry(rule: &Prize, entry: &Entrant) -> Result<(), RuleBreak> {
    if entry.role.is_staff() {
        return Err(RuleBreak::Staff(entry.role.as_str().to_owned()));
    }
    let min = i64::from(rule.min_score.unwrap_or(0));
    if entry.score < min {
        return Err(RuleBreak::BelowMinimum { score: entry.score, min });
    }
    if rule.verified_only && !entry.verified {
        return Err(RuleBreak::NotVerified);
    }
    Ok(())
}

/// The pseudonym of `user_id` in the draw committed to by `commitment`.
pub fn pseudonym(commitment: &str, user_id: i64) -> String {
    crate::digest::sha256_hex(format!("entrant:{commitment}:{user_id}").as_bytes())[..16].to_owned()
}

/// A person's entry under the contact commitment `contact`.
fn entrant(entrant: String, entry: &Entry, person: &Person, contact: &Contact) -> Entrant {
    Entrant {
        entrant,
        score: entry.points,
        duration_ms: entry.duration_ms,
        at_ms: entry.at_ms,
        role: person.role,
        verified: person.verified,
        contact: contact.digest(),
    }
}

/// Whether a person may be on the list at all (the rule's part that is not public: a disabled
/// account is left out; staff are left out and would break the public rule anyway).
fn may_enter(person: &Person) -> bool {
    !person.role.is_staff() && !person.disabled
}

/// The eligible list of a board (`standings`: each person's entry under the campaign's ranking) or,
/// with `per_day`, of each day's standings; and each pseudonym's private half, for staff.
/// `new_nonce` gives each person's contact nonce (random in use).
pub fn eligible_list(
    rule: &Prize,
    commitment: &str,
    standings: &HashMap<i64, Entry>,
    days: &BTreeMap<String, HashMap<i64, Entry>>,
    people: &HashMap<i64, Person>,
    new_nonce: &mut dyn FnMut() -> String,
) -> (EligibleList, HashMap<String, Contact>) {
    let mut contacts: HashMap<String, Contact> = HashMap::new();
    let mut list_of = |standings: &HashMap<i64, Entry>| -> Vec<Entrant> {
        let mut entrants: Vec<Entrant> = standings
            .iter()
            .filter_map(|(user_id, entry)| {
                let person = people.get(user_id).filter(|p| may_enter(p))?;
                let name = pseudonym(commitment, *user_id);
                // One nonce a person, whichever days they qualify on.
                let contact = contacts.get(&name).cloned().unwrap_or_else(|| Contact {
                    user_id: *user_id,
                    display_name: person.display_name.clone(),
                    phone_masked: mask_phone(&person.phone),
                    nonce: new_nonce(),
                });
                let e = entrant(name.clone(), entry, person, &contact);
                check_entry(rule, &e).ok()?;
                contacts.insert(name, contact);
                Some(e)
            })
            .collect();
        entrants.sort_by(|a, b| a.entrant.cmp(&b.entrant));
        entrants
    };
    let list = match (rule.mode, rule.per_day) {
        (PrizeMode::Lottery, Some(_)) => EligibleList {
            entrants: Vec::new(),
            days: days.iter().map(|(day, s)| DayList { day: day.clone(), entrants: list_of(s) }).collect(),
        },
        _ => EligibleList { entrants: list_of(standings), days: Vec::new() },
    };
    (list, contacts)
}

/// Whether one finished attempt takes part in the prize, said in the words a resident reads on the
/// result screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PrizeNote {
    pub eligible: bool,
    pub note: String,
    /// The prize is for verified phones and this resident's is not: the app offers verification.
    pub verify_phone: bool,
}

impl PrizeNote {
    /// For an attempt that scored `score` with the resident now at `rank` on the board, whose
    /// phone is `verified` or not.
    pub fn for_result(prize: &Prize, score: i64, rank: Option<u64>, verified: bool) -> Self {
        let mut note = Self::by_score(prize, score, rank);
        if prize.verified_only && !verified {
            note.eligible = false;
            note.verify_phone = true;
            note.note = format!(
                "{}不过，奖品只发给验证过手机号的居民：用短信验证码验证您的手机号，这次成绩就能参加评奖。",
                note.note
            );
        }
        note
    }

    fn by_score(prize: &Prize, score: i64, rank: Option<u64>) -> Self {
        let note = |eligible, note: String| Self { eligible, note, verify_phone: false };
        match prize.mode {
            PrizeMode::Lottery => {
                let min = i64::from(prize.min_score.unwrap_or(0));
                if score >= min {
                    let how = if prize.per_day.is_some() {
                        "按天抽取幸运奖"
                    } else {
                        "活动结束后统一抽取幸运奖"
                    };
                    note(true, format!("本次{score}分，达到{min}分，可以参加抽奖（{how}，共{}名）。", prize.winners))
                } else {
                    note(false, format!("抽奖要求{min}分以上，本次{score}分，还差{}分。可以再答一次。", min - score))
                }
            }
            PrizeMode::Top => match rank {
                Some(rank) if rank <= u64::from(prize.winners) => note(
                    true,
                    format!("排名前{}名获奖。您现在第{rank}名，在获奖名次内，活动结束时的排名为准。", prize.winners),
                ),
                Some(rank) => {
                    note(false, format!("排名前{}名获奖。您现在第{rank}名，还没进入获奖名次。", prize.winners))
                }
                None => note(false, format!("排名前{}名获奖。交卷后按最好成绩排名。", prize.winners)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(role: Role, disabled: bool) -> Person {
        Person { display_name: "x".into(), phone: "13800001111".into(), role, disabled, verified: false }
    }

    #[test]
    fn staff_disabled_and_low_scores_are_left_out_and_entrants_are_pseudonyms() {
        let entry = |points| Entry { points, duration_ms: 1, at_ms: 1 };
        let standings = HashMap::from([(1, entry(90)), (2, entry(100)), (3, entry(100)), (4, entry(100))]);
        let people = HashMap::from([
            (1, person(Role::Resident, false)),
            (2, person(Role::Admin, false)),
            (3, person(Role::Resident, false)),
            (4, person(Role::Resident, true)),
        ]);
        let rule =
            Prize { mode: PrizeMode::Lottery, winners: 2, min_score: Some(100), per_day: None, verified_only: false };
        let mut n = 0;
        let mut nonce = || {
            n += 1;
            format!("{n:032x}")
        };
        let (list, contacts) = eligible_list(&rule, "c", &standings, &BTreeMap::new(), &people, &mut nonce);
        assert_eq!(list.entrants.len(), 1);
        let contact = &contacts[&list.entrants[0].entrant];
        assert_eq!(contact.user_id, 3);
        assert_eq!(contact.phone_masked, "138****1111");
        assert_eq!(list.entrants[0].contact, contact_digest(&contact.nonce, "x", "138****1111"));
        assert!(!list.canonical().contains("1111"), "no phone, masked or not, in the public list");
        assert_eq!(list.entrants[0].entrant, pseudonym("c", 3));
        assert!(!list.canonical().contains("13800001111"));
        let staff = Entrant { role: Role::Admin, ..list.entrants[0].clone() };
        assert!(matches!(check_entry(&rule, &staff), Err(RuleBreak::Staff(_))));
        let low = Entrant { score: 95, ..list.entrants[0].clone() };
        assert_eq!(check_entry(&rule, &low), Err(RuleBreak::BelowMinimum { score: 95, min: 100 }));
    }

    #[test]
    fn a_result_says_whether_it_enters_the_prize_and_why_not() {
        let lottery =
            Prize { mode: PrizeMode::Lottery, winners: 20, min_score: Some(100), per_day: None, verified_only: true };
        assert!(PrizeNote::for_result(&lottery, 100, Some(3), true).eligible);
        let unverified = PrizeNote::for_result(&lottery, 100, Some(3), false);
        assert!(
            !unverified.eligible && unverified.verify_phone && unverified.note.contains("验证"),
            "{}",
            unverified.note
        );
        let short = PrizeNote::for_result(&lottery, 85, Some(3), true);
        assert!(!short.eligible && short.note.contains("还差15分"), "{}", short.note);
        let top = Prize { mode: PrizeMode::Top, winners: 10, min_score: None, per_day: None, verified_only: false };
        assert!(PrizeNote::for_result(&top, 60, Some(10), false).eligible);
        assert!(!PrizeNote::for_result(&top, 60, Some(11), false).eligible);
    }
}
