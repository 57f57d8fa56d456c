//! Rules do not change under a running campaign. Before it opens, anything may change; once it
//! opens only the title, the description and a later close (while the close has not passed) may;
//! after the prize draw nothing may. Every change is described field by field for the audit log.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::campaign::{Campaign, CampaignView};

/// One field that changed, its value before and after (as the API shows it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// Why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Locked {
    #[error("活动已经开始，这些设置不能再改：{}", .0.join("、"))]
    WhileOpen(Vec<String>),
    #[error("活动已经抽奖，不能再做任何修改")]
    AfterDraw,
}

/// The fields a campaign is compared on: everything a resident or the draw depends on.
fn comparable(c: &Campaign, now: DateTime<Utc>) -> serde_json::Map<String, Value> {
    let mut view = match serde_json::to_value(CampaignView::new(c, now, None)) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    };
    for derived in ["state", "server_time", "me", "draw_commitment", "max_score"] {
        view.remove(derived);
    }
    view
}

/// The changes from `before` to `after`, field by field.
pub fn changes(before: &Campaign, after: &Campaign, now: DateTime<Utc>) -> Vec<FieldChange> {
    let (a, b) = (comparable(before, now), comparable(after, now));
    a.iter()
        .filter(|(field, value)| b.get(*field) != Some(value))
        .map(|(field, value)| FieldChange {
            field: field.clone(),
            before: value.clone(),
            after: b.get(field).cloned().unwrap_or(Value::Null),
        })
        .collect()
}

/// Whether `changes` of `before` are allowed now; `drawn`: the prize draw has run.
pub fn allowed(before: &Campaign, changes: &[FieldChange], now: DateTime<Utc>, drawn: bool) -> Result<(), Locked> {
    if changes.is_empty() {
        return Ok(());
    }
    if drawn {
        return Err(Locked::AfterDraw);
    }
    // A draft is not running, whatever its dates say.
    if !before.published || now < before.opens_at {
        return Ok(());
    }
    let locked: Vec<String> = changes
        .iter()
        .filter(|c| match c.field.as_str() {
            "title" | "description" => false,
            // A later close, decided before the close passes.
            "closes_at" => !(now < before.closes_at && c.after.as_str() > c.before.as_str()),
            _ => true,
        })
        .map(|c| label(&c.field).to_owned())
        .collect();
    if locked.is_empty() { Ok(()) } else { Err(Locked::WhileOpen(locked)) }
}

/// A field as the staff console labels it.
pub fn label(field: &str) -> &str {
    match field {
        "slug" => "活动编号",
        "title" => "标题",
        "description" => "说明",
        "opens_at" => "开始时间",
        "closes_at" => "结束时间",
        "question_count" => "每次题数",
        "quotas" => "各编题数",
        "banks" => "题库",
        "time_limit_secs" => "答题时限",
        "attempts_per_day" => "每天次数",
        "max_attempts" => "总次数",
        "points_per_question" => "每题分数",
        "min_secs_per_answer" => "每题最短用时",
        "reveal" => "公布答案的时机",
        "ranking" => "排名方式",
        "prize" => "奖励规则",
        "published" => "发布状态",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quiz::campaign::CampaignSpec;

    fn campaign(title: &str, count: u32, closes: &str) -> Campaign {
        let spec: CampaignSpec = serde_json::from_value(serde_json::json!({
            "slug": "frozen", "title": title, "question_count": count, "opens_at": "2026-12-01T00:00:00+08:00",
            "closes_at": closes, "time_limit_secs": 600, "attempts_per_day": 3, "reveal": "after_each",
            "ranking": "best", "prize": {"mode": "top", "winners": 3}, "published": true
        }))
        .expect("spec");
        spec.check(Utc::now(), false, None).expect("valid")
    }

    #[test]
    fn once_open_only_words_and_a_later_close_may_change_and_after_the_draw_nothing() {
        let before = campaign("甲", 20, "2026-12-31T00:00:00+08:00");
        let upcoming = DateTime::parse_from_rfc3339("2026-11-30T00:00:00+08:00").expect("t").with_timezone(&Utc);
        let open = DateTime::parse_from_rfc3339("2026-12-10T00:00:00+08:00").expect("t").with_timezone(&Utc);
        let more = campaign("甲", 25, "2026-12-31T00:00:00+08:00");
        assert!(allowed(&before, &changes(&before, &more, upcoming), upcoming, false).is_ok());
        let refused = allowed(&before, &changes(&before, &more, open), open, false);
        assert_eq!(refused, Err(Locked::WhileOpen(vec!["每次题数".into()])));
        let renamed = campaign("乙", 20, "2027-01-10T00:00:00+08:00");
        let diff = changes(&before, &renamed, open);
        assert_eq!(diff.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(), ["closes_at", "title"]);
        assert!(allowed(&before, &diff, open, false).is_ok(), "a new title and a later close");
        let earlier = campaign("甲", 20, "2026-12-20T00:00:00+08:00");
        assert!(allowed(&before, &changes(&before, &earlier, open), open, false).is_err(), "an earlier close");
        assert_eq!(allowed(&before, &diff, open, true), Err(Locked::AfterDraw));
        assert!(allowed(&before, &[], open, true).is_ok(), "saving it unchanged is fine");
    }
}
