//! Whether an attempt is one a person made. A person reads a question before answering it: the
//! server measures each answer from the previous one (or the start of the attempt), and an answer
//! faster than the campaign's `min_secs_per_answer` is *quick*. An attempt with `QUICK_LIMIT` quick
//! answers is implausible: it stays in the resident's history and counts in the statistics, but
//! is kept off every board and out of every prize draw, and is listed for staff, who may clear it
//! (audited). One quick answer is not enough: a resident may know an answer at a glance.

use chrono::Duration;

/// Quick answers that make an attempt implausible.
pub const QUICK_LIMIT: i32 = 3;

/// Whether an answer `since_previous` after the previous one (or the start) is quick under a
/// floor of `min_ms` (0: no floor).
pub fn is_quick(since_previous: Duration, min_ms: u32) -> bool {
    min_ms > 0 && since_previous.num_milliseconds() < i64::from(min_ms)
}

/// Whether an attempt with `quick` quick answers is implausible (unless staff cleared it).
pub fn implausible(quick: i32) -> bool {
    quick >= QUICK_LIMIT
}

/// Why, in the words staff and the resident read.
pub fn reason(quick: i32, min_ms: u32) -> String {
    let secs = f64::from(min_ms) / 1000.0;
    format!(
        "有{quick}道题从上一题到作答不到{secs}秒，快得不像人在读题，这次成绩不计入排行榜和抽奖，工作人员核实后可以恢复。"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_answers_faster_than_a_reader_make_an_attempt_implausible() {
        assert!(is_quick(Duration::milliseconds(50), 2000));
        assert!(!is_quick(Duration::milliseconds(3000), 2000));
        assert!(!is_quick(Duration::milliseconds(5), 0), "0 turns the floor off");
        assert!(!implausible(2) && implausible(3));
        assert!(reason(20, 2000).contains("20道题") && reason(20, 2000).contains("2秒"));
    }
}
