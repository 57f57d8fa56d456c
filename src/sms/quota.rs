//! Send quotas in SQL: per subject (a phone, or a client address), a fixed window that opens at the
//! first send and counts sends, and the earliest time of the next send.
//!
//! `claim` is one conditional UPDATE: it passes only if the subject's spacing has run out and its
//! window has room (or has ended), and it counts the send in the same statement. Two processes
//! racing for the last send cannot both get it, on SQLite and PostgreSQL alike. `release` gives a
//! claimed send back when the provider failed, so a failure costs the resident nothing.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use crate::db::entity::sms_quota::{self, Column};

/// A quota rule for one kind of subject.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rule {
    /// How long a window lasts from its first send.
    pub window: Duration,
    /// Sends allowed in one window.
    pub cap: u32,
    /// The least time between two sends (zero: none).
    pub spacing: Duration,
}

/// Past the quota: seconds until the subject may be sent a code again (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Exhausted {
    pub retry_after_secs: u64,
}

/// Counts one send for `subject` if its rule allows it now.
pub(super) async fn claim(
    db: &impl ConnectionTrait,
    subject: &str,
    rule: Rule,
    now: DateTime<Utc>,
) -> Result<Result<(), Exhausted>, DbErr> {
    // The upkeep's sweep may delete a fresh row (it looks long expired) between the insert and the
    // update; the row is then simply made again. Three rounds settle any such race.
    for _ in 0..3 {
        if let Some(outcome) = try_claim(db, subject, rule, now).await? {
            return Ok(outcome);
        }
    }
    Ok(Err(Exhausted { retry_after_secs: 1 }))
}

/// One round of `claim`; `None` when the row vanished under it.
async fn try_claim(
    db: &impl ConnectionTrait,
    subject: &str,
    rule: Rule,
    now: DateTime<Utc>,
) -> Result<Option<Result<(), Exhausted>>, DbErr> {
    let never = DateTime::<Utc>::UNIX_EPOCH;
    let fresh = sms_quota::ActiveModel {
        subject: Set(subject.to_owned()),
        window_started_at: Set(never),
        sends: Set(0),
        next_send_at: Set(never),
    };
    sms_quota::Entity::insert(fresh).on_conflict_do_nothing().exec_without_returning(db).await?;

    let window_ended = now - rule.window;
    let window_open = Column::WindowStartedAt.gt(window_ended);
    let cap = i32::try_from(rule.cap).unwrap_or(i32::MAX);
    let claimed = sms_quota::Entity::update_many()
        // Both SET expressions read the row as it was before the statement.
        .col_expr(Column::Sends, Expr::case(window_open.clone(), Expr::col(Column::Sends).add(1)).finally(1).into())
        .col_expr(
            Column::WindowStartedAt,
            Expr::case(window_open, Expr::col(Column::WindowStartedAt)).finally(Expr::val(now)).into(),
        )
        .col_expr(Column::NextSendAt, Expr::val(now + rule.spacing))
        .filter(Column::Subject.eq(subject))
        .filter(Column::NextSendAt.lte(now))
        .filter(Condition::any().add(Column::WindowStartedAt.lte(window_ended)).add(Column::Sends.lt(cap)))
        .exec(db)
        .await?;
    if claimed.rows_affected == 1 {
        return Ok(Some(Ok(())));
    }
    let Some(row) = sms_quota::Entity::find_by_id(subject.to_owned()).one(db).await? else {
        // Swept away between the statements: nothing holds the subject back; try again.
        return Ok(None);
    };
    let free_at = if row.next_send_at > now { row.next_send_at } else { row.window_started_at + rule.window };
    if free_at <= now {
        // The row was swept and made again by another request in between: try again.
        return Ok(None);
    }
    Ok(Some(Err(Exhausted { retry_after_secs: seconds_until(free_at, now) })))
}

/// Gives back a send claimed at `claimed_at`: one send fewer, and the spacing lifted if nothing was
/// claimed since.
pub(super) async fn release(
    db: &impl ConnectionTrait,
    subject: &str,
    rule: Rule,
    claimed_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut update = sms_quota::Entity::update_many()
        .col_expr(Column::Sends, Expr::col(Column::Sends).sub(1))
        .filter(Column::Subject.eq(subject))
        .filter(Column::Sends.gt(0));
    if rule.spacing > Duration::zero() {
        update = update.col_expr(
            Column::NextSendAt,
            Expr::case(Column::NextSendAt.eq(claimed_at + rule.spacing), Expr::val(claimed_at))
                .finally(Expr::col(Column::NextSendAt))
                .into(),
        );
    }
    update.exec(db).await.map(drop)
}

/// Forgets quotas whose window and spacing have both run out (they hold nothing back).
pub(super) async fn sweep(
    db: &impl ConnectionTrait,
    longest_window: Duration,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let deleted = sms_quota::Entity::delete_many()
        .filter(Column::WindowStartedAt.lte(now - longest_window))
        .filter(Column::NextSendAt.lte(now))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

/// Whole seconds from `now` until `at`, rounded up, at least 1 (a Retry-After of 0 invites a storm).
pub(super) fn seconds_until(at: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let millis = u64::try_from((at - now).num_milliseconds()).unwrap_or(0);
    std::cmp::max(millis.div_ceil(1000), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_rounds_up_and_is_never_zero() {
        let now = Utc::now();
        assert_eq!(seconds_until(now + Duration::milliseconds(59_001), now), 60);
        assert_eq!(seconds_until(now + Duration::seconds(60), now), 60);
        assert_eq!(seconds_until(now, now), 1);
        assert_eq!(seconds_until(now - Duration::seconds(5), now), 1);
    }
}
