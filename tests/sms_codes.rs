//! SMS one-time codes on SQLite and PostgreSQL: expiry, five wrong tries, one use, the limits and
//! their Retry-After, only a keyed hash stored, nothing recorded when the provider fails.

mod common;

use std::net::IpAddr;
use std::sync::Arc;

use chrono::Duration;
use common::{Sql, fresh_database};
use pufa::clock::ManualClock;
use pufa::db::entity::sms_code;
use pufa::sms::{
    CodeSent, Codes, MobileNumber, OneTimeCode, Provider, Purpose, Secret, SendLimits, SmsError, TencentClient,
    TencentSettings,
};
use sea_orm::{DatabaseConnection, EntityTrait};

const SECRET: &str = "a server secret of thirty-two characters or more";

struct Setup {
    db: DatabaseConnection,
    clock: ManualClock,
    codes: Codes,
    _dir: tempfile::TempDir,
}

impl Setup {
    /// The databases this machine offers: SQLite always, PostgreSQL when it answers.
    async fn each(limits: SendLimits) -> Vec<Setup> {
        let mut setups = Vec::new();
        for sql in [Sql::Sqlite, Sql::Postgres] {
            if let Some((db, dir)) = fresh_database(sql).await {
                let clock = ManualClock::new(chrono::Utc::now());
                let codes = codes_with(&db, &clock, Provider::Log(Default::default()), limits, SECRET);
                setups.push(Setup { db, clock, codes, _dir: dir });
            }
        }
        setups
    }

    /// The code the log provider last "sent" to `phone`.
    fn last_code(&self, phone: &MobileNumber) -> OneTimeCode {
        match self.codes.provider() {
            Provider::Log(log) => log.last_code_to(phone).expect("a code was sent"),
            _ => panic!("tests send through the log provider"),
        }
    }

    fn advance(&self, secs: i64) {
        self.clock.advance(Duration::seconds(secs));
    }
}

fn codes_with(
    db: &DatabaseConnection,
    clock: &ManualClock,
    provider: Provider,
    limits: SendLimits,
    secret: &str,
) -> Codes {
    Codes::new(db.clone(), Arc::new(clock.clone()), provider, limits, Secret::new(secret))
}

fn phone(digits: &str) -> MobileNumber {
    MobileNumber::parse(digits).expect("a valid phone")
}

fn address(text: &str) -> Option<IpAddr> {
    Some(text.parse().expect("an address"))
}

/// A six-digit code that is not `code`.
fn other_than(code: &OneTimeCode) -> OneTimeCode {
    let n: u32 = code.as_str().parse().expect("digits");
    OneTimeCode::parse(&format!("{:06}", (n + 1) % 1_000_000)).expect("six digits")
}

fn retry_after(result: Result<CodeSent, SmsError>) -> u64 {
    match result {
        Err(SmsError::TooManyRequests { retry_after_secs }) => retry_after_secs,
        other => panic!("expected a refusal past the limit, got {other:?}"),
    }
}

#[rocket::async_test]
async fn a_code_is_stored_only_as_a_keyed_hash_and_works_once() {
    for s in Setup::each(SendLimits::default()).await {
        let to = phone("13812345678");
        let sent = s.codes.request(&to, Purpose::Register, address("10.0.0.1")).await.expect("sent");
        assert_eq!(sent, CodeSent { resend_after_secs: 60 });
        let code = s.last_code(&to);

        let rows = sms_code::Entity::find().all(&s.db).await.expect("rows");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].code_hash.len(), 64);
        assert!(!rows[0].code_hash.contains(code.as_str()), "the code itself is not stored");
        assert_ne!(rows[0].code_hash, pufa::digest::sha256_hex(code.as_str().as_bytes()));

        // Whoever has the table but not the secret cannot check a guess against it.
        let leaked = codes_with(
            &s.db,
            &s.clock,
            Provider::Log(Default::default()),
            SendLimits::default(),
            "x".repeat(40).as_str(),
        );
        assert!(matches!(
            leaked.verify(&to, Purpose::Register, &code).await,
            Err(SmsError::WrongCode { tries_left: 4 })
        ));

        // The purpose is part of the code: a registration code does not sign in.
        assert!(matches!(s.codes.verify(&to, Purpose::Login, &code).await, Err(SmsError::NoValidCode)));
        s.codes.verify(&to, Purpose::Register, &code).await.expect("the right code, once");
        assert!(matches!(s.codes.verify(&to, Purpose::Register, &code).await, Err(SmsError::NoValidCode)));
        assert!(sms_code::Entity::find().all(&s.db).await.expect("rows").is_empty(), "a used code is gone");
    }
}

#[rocket::async_test]
async fn a_code_lasts_five_minutes_and_another_process_can_check_it() {
    for s in Setup::each(SendLimits::default()).await {
        let to = phone("13912345678");
        s.codes.request(&to, Purpose::Login, None).await.expect("sent");
        let login = s.last_code(&to);
        s.advance(299);
        // A second process (or this one after a restart) with the same secret and database.
        let other = codes_with(&s.db, &s.clock, Provider::Log(Default::default()), SendLimits::default(), SECRET);
        other.verify(&to, Purpose::Login, &login).await.expect("valid for just under five minutes");

        s.codes.request(&to, Purpose::Reset, None).await.expect("sent");
        let reset = s.last_code(&to);
        s.advance(300);
        assert!(matches!(s.codes.verify(&to, Purpose::Reset, &reset).await, Err(SmsError::NoValidCode)));
        assert_eq!(s.codes.sweep().await.expect("sweep"), 1, "the expired code is swept");
    }
}

#[rocket::async_test]
async fn five_wrong_tries_burn_the_code() {
    for s in Setup::each(SendLimits::default()).await {
        let to = phone("13700000001");
        s.codes.request(&to, Purpose::Login, None).await.expect("sent");
        let code = s.last_code(&to);
        let wrong = other_than(&code);
        for left in [4, 3, 2, 1] {
            match s.codes.verify(&to, Purpose::Login, &wrong).await {
                Err(SmsError::WrongCode { tries_left }) => assert_eq!(tries_left, left),
                other => panic!("expected a wrong code, got {other:?}"),
            }
        }
        // The fifth try may still be the right one.
        s.codes.verify(&to, Purpose::Login, &code).await.expect("right on the fifth try");

        s.advance(60);
        s.codes.request(&to, Purpose::Login, None).await.expect("sent");
        let code = s.last_code(&to);
        let wrong = other_than(&code);
        for _ in 0..4 {
            assert!(matches!(s.codes.verify(&to, Purpose::Login, &wrong).await, Err(SmsError::WrongCode { .. })));
        }
        assert!(matches!(
            s.codes.verify(&to, Purpose::Login, &wrong).await,
            Err(SmsError::WrongCode { tries_left: 0 })
        ));
        assert!(
            matches!(s.codes.verify(&to, Purpose::Login, &code).await, Err(SmsError::NoValidCode)),
            "burned: even the right code fails now"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_wrong_tries_cannot_exceed_five() {
    for s in Setup::each(SendLimits::default()).await {
        let to = phone("13700000002");
        s.codes.request(&to, Purpose::Login, None).await.expect("sent");
        let code = s.last_code(&to);
        let wrong = other_than(&code);
        let tries: Vec<_> = (0..12)
            .map(|_| {
                let (codes, to, wrong) = (s.codes.clone(), to.clone(), wrong.clone());
                tokio::spawn(async move { codes.verify(&to, Purpose::Login, &wrong).await })
            })
            .collect();
        let mut wrong_answers = 0;
        for t in tries {
            match t.await.expect("task") {
                Err(SmsError::WrongCode { .. }) => wrong_answers += 1,
                Err(SmsError::NoValidCode) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(wrong_answers, 5, "exactly five tries were counted");
        assert!(matches!(s.codes.verify(&to, Purpose::Login, &code).await, Err(SmsError::NoValidCode)));
    }
}

#[rocket::async_test]
async fn one_code_per_phone_per_minute_and_a_new_code_replaces_the_old() {
    for s in Setup::each(SendLimits::default()).await {
        let to = phone("13600000001");
        s.codes.request(&to, Purpose::Login, address("10.0.0.2")).await.expect("sent");
        let first = s.last_code(&to);
        s.advance(20);
        // Any purpose, any address: the phone waits.
        assert_eq!(retry_after(s.codes.request(&to, Purpose::Register, address("10.9.9.9")).await), 40);
        s.advance(39);
        assert_eq!(retry_after(s.codes.request(&to, Purpose::Login, None).await), 1);
        s.advance(1);
        s.codes.request(&to, Purpose::Login, address("10.0.0.2")).await.expect("a minute later");
        let second = s.last_code(&to);
        if first != second {
            assert!(matches!(s.codes.verify(&to, Purpose::Login, &first).await, Err(SmsError::WrongCode { .. })));
        }
        s.codes.verify(&to, Purpose::Login, &second).await.expect("the newest code works");
    }
}

#[rocket::async_test]
async fn a_phone_gets_its_daily_cap_then_waits_for_the_window() {
    let limits = SendLimits { per_phone_per_day: 3, per_address_per_hour: 30 };
    for s in Setup::each(limits).await {
        let to = phone("13500000001");
        for _ in 0..3 {
            s.codes.request(&to, Purpose::Login, None).await.expect("within the cap");
            s.advance(60);
        }
        // The window opened with the first code, 180 s ago.
        assert_eq!(retry_after(s.codes.request(&to, Purpose::Login, None).await), 86_400 - 180);
        assert_eq!(retry_after(s.codes.request(&to, Purpose::Reset, None).await), 86_400 - 180);
        s.advance(86_400 - 180);
        s.codes.request(&to, Purpose::Login, None).await.expect("a new day's window");
        s.codes.request(&phone("13500000002"), Purpose::Login, None).await.expect("other phones are not held");
    }
}

#[rocket::async_test]
async fn a_client_address_gets_its_hourly_cap() {
    let limits = SendLimits { per_phone_per_day: 10, per_address_per_hour: 2 };
    for s in Setup::each(limits).await {
        let here = address("2001:db8:1:2::10");
        s.codes.request(&phone("13400000001"), Purpose::Register, here).await.expect("first");
        s.advance(10);
        // The same /64 is the same subscriber.
        s.codes.request(&phone("13400000002"), Purpose::Register, address("2001:db8:1:2::99")).await.expect("second");
        let refused = phone("13400000003");
        assert_eq!(retry_after(s.codes.request(&refused, Purpose::Register, here).await), 3600 - 10);
        // The refusal did not take the phone's minute: from elsewhere it gets its code at once.
        s.codes.request(&refused, Purpose::Register, address("10.0.0.3")).await.expect("another address");
        s.advance(3600 - 10);
        s.codes.request(&phone("13400000004"), Purpose::Register, here).await.expect("the hour is over");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_requests_for_one_phone_send_one_code() {
    for s in Setup::each(SendLimits::default()).await {
        let to = phone("13300000001");
        let requests: Vec<_> = (0..6)
            .map(|_| {
                let (codes, to) = (s.codes.clone(), to.clone());
                tokio::spawn(async move { codes.request(&to, Purpose::Login, address("10.0.0.4")).await })
            })
            .collect();
        let mut sent = 0;
        for r in requests {
            match r.await.expect("task") {
                Ok(_) => sent += 1,
                Err(SmsError::TooManyRequests { .. }) => {}
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(sent, 1);
        let Provider::Log(log) = s.codes.provider() else { panic!("log provider") };
        assert_eq!(log.sent().len(), 1, "one SMS paid for");
    }
}

#[rocket::async_test]
async fn a_failed_send_records_nothing() {
    let limits = SendLimits { per_phone_per_day: 2, per_address_per_hour: 30 };
    for s in Setup::each(limits).await {
        let to = phone("13200000001");
        s.codes.request(&to, Purpose::Login, None).await.expect("sent");
        let earlier = s.last_code(&to);
        s.advance(60);

        // A provider nobody answers for (a closed port on this machine).
        let broken = TencentClient::new(TencentSettings {
            secret_id: Secret::new("AKIDtest"),
            secret_key: Secret::new("test-key"),
            sdk_app_id: "1400006666".into(),
            sign_name: "普法".into(),
            template_id: "1110".into(),
            region: "ap-guangzhou".into(),
            endpoint: reqwest::Url::parse("http://127.0.0.1:1/").expect("url"),
            timeout: std::time::Duration::from_secs(2),
        })
        .expect("client");
        let failing = codes_with(&s.db, &s.clock, Provider::Tencent(broken), limits, SECRET);
        for _ in 0..3 {
            assert!(matches!(
                failing.request(&to, Purpose::Login, address("10.0.0.5")).await,
                Err(SmsError::Unavailable(_))
            ));
        }
        // The earlier code still works, and the failures took neither the minute nor the cap.
        s.codes.verify(&to, Purpose::Login, &earlier).await.expect("the earlier code is kept");
        s.codes.request(&to, Purpose::Login, None).await.expect("the second of two codes today");
        assert_eq!(sms_code::Entity::find().all(&s.db).await.expect("rows").len(), 1);
    }
}
