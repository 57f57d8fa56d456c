//! Verified phones (issue 18) through the API, with the `log` SMS provider: registration, sign-in
//! and password reset by code, the limits, claiming a squatted number, and prizes for verified
//! phones only. On every database and live store.

mod common;

use common::{TestApp, VILLAGE};
use rocket::http::Status;
use serde_json::{Value, json};

on_every_backend!(
    a_resident_registers_signs_in_and_resets_with_codes,
    five_wrong_codes_burn_the_right_one_and_a_resend_waits_a_minute,
    the_owner_claims_a_number_someone_else_registered,
    an_unverified_account_verifies_its_phone_and_the_result_says_why_it_matters,
);

fn registration(phone: &str, code: Option<&str>) -> Value {
    let mut body = json!({"phone": phone, "password": "steppe-wind-1", "display_name": "其其格",
        "region_code": VILLAGE, "consent": true});
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    body
}

/// Acceptance 1: request a code, register with it and `/me` says verified; sign in by code; a
/// reset by code ends the old tokens.
async fn a_resident_registers_signs_in_and_resets_with_codes(app: TestApp) {
    let phone = "13912340001";
    // The answer to a code request is the same for a registered and an unknown number.
    let unknown = app.post("/api/v1/auth/codes", json!({"phone": phone, "purpose": "login"}), None).await;
    assert_eq!(
        (unknown.status, unknown.body["resend_after_secs"].as_u64()),
        (Status::Accepted, Some(60)),
        "{}",
        unknown.body
    );
    app.clock.advance(chrono::Duration::seconds(61));

    let code = app.request_sms_code(phone, "register").await;
    let registered = app.post("/api/v1/auth/register", registration(phone, Some(&code)), None).await;
    assert_eq!(registered.status, Status::Created, "{}", registered.body);
    assert_eq!(registered.body["user"]["phone_verified"], true);
    let first = registered.body["token"].as_str().expect("token").to_owned();
    let me = app.get("/api/v1/me", Some(&first)).await;
    assert_eq!(me.body["phone_verified"], true, "{}", me.body);
    // A code serves once.
    let again = app.post("/api/v1/auth/register", registration(phone, Some(&code)), None).await;
    assert_eq!((again.status, again.error_code()), (Status::UnprocessableEntity, "code_expired"));

    app.clock.advance(chrono::Duration::seconds(61));
    let code = app.request_sms_code(phone, "login").await;
    let by_code = app.post("/api/v1/auth/login", json!({"phone": phone, "code": code}), None).await;
    assert_eq!(by_code.status, Status::Ok, "{}", by_code.body);
    let second = by_code.body["token"].as_str().expect("token").to_owned();
    assert_eq!(app.get("/api/v1/me", Some(&second)).await.status, Status::Ok);
    // A code for one purpose does not serve another.
    app.clock.advance(chrono::Duration::seconds(61));
    let login_code = app.request_sms_code(phone, "login").await;
    let wrong_purpose = app
        .post(
            "/api/v1/auth/password-reset",
            json!({"phone": phone, "code": login_code, "new_password": "new-grass-2027"}),
            None,
        )
        .await;
    assert_eq!(wrong_purpose.error_code(), "code_expired", "{}", wrong_purpose.body);

    app.clock.advance(chrono::Duration::seconds(61));
    let code = app.request_sms_code(phone, "reset").await;
    let weak = app
        .post("/api/v1/auth/password-reset", json!({"phone": phone, "code": code, "new_password": "password"}), None)
        .await;
    assert_eq!((weak.status, weak.error_code()), (Status::UnprocessableEntity, "weak_password"));
    let reset = app
        .post(
            "/api/v1/auth/password-reset",
            json!({"phone": phone, "code": code, "new_password": "new-grass-2027"}),
            None,
        )
        .await;
    assert_eq!(reset.status, Status::Ok, "{}", reset.body);
    let third = reset.body["token"].as_str().expect("token").to_owned();
    for old in [&first, &second] {
        assert_eq!(app.get("/api/v1/me", Some(old)).await.status, Status::Unauthorized, "earlier sign-ins end");
    }
    assert_eq!(app.get("/api/v1/me", Some(&third)).await.status, Status::Ok);
    assert_eq!(app.login(phone, "steppe-wind-1").await.status, Status::Unauthorized);
    assert_eq!(app.login(phone, "new-grass-2027").await.status, Status::Ok);

    // A right code for a number nobody registered signs nobody in.
    app.clock.advance(chrono::Duration::seconds(61));
    let stranger = "13912349999";
    let code = app.request_sms_code(stranger, "login").await;
    let nobody = app.post("/api/v1/auth/login", json!({"phone": stranger, "code": code}), None).await;
    assert_eq!((nobody.status, nobody.error_code()), (Status::Unauthorized, "invalid_credentials"));
    let neither = app.post("/api/v1/auth/login", json!({"phone": phone}), None).await;
    assert_eq!((neither.status, neither.error_code()), (Status::UnprocessableEntity, "invalid_body"));
}

/// Acceptance 1: five wrong codes burn the right one; a resend within 60 s gets 429.
async fn five_wrong_codes_burn_the_right_one_and_a_resend_waits_a_minute(app: TestApp) {
    let phone = "13912340002";
    app.register(phone, "steppe-wind-1").await;
    let code = app.request_sms_code(phone, "login").await;
    let soon = app.post("/api/v1/auth/codes", json!({"phone": phone, "purpose": "login"}), None).await;
    assert_eq!((soon.status, soon.error_code()), (Status::TooManyRequests, "too_many_attempts"));
    let retry: u64 = soon.header("Retry-After").expect("Retry-After").parse().expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (0..5).rev() {
        let reply = app.post("/api/v1/auth/login", json!({"phone": phone, "code": wrong}), None).await;
        assert_eq!((reply.status, reply.error_code()), (Status::UnprocessableEntity, "invalid_code"));
        let message = reply.body["error"]["message"].as_str().expect("message");
        if left > 0 {
            assert!(message.contains(&format!("还可以再试{left}次")), "{message}");
        } else {
            assert!(message.contains("失效"), "{message}");
        }
    }
    let burned = app.post("/api/v1/auth/login", json!({"phone": phone, "code": code}), None).await;
    assert_eq!((burned.status, burned.error_code()), (Status::UnprocessableEntity, "code_expired"), "{}", burned.body);
    let malformed = app.post("/api/v1/auth/login", json!({"phone": phone, "code": "12ab"}), None).await;
    assert_eq!(malformed.error_code(), "invalid_code");
    // After a minute a new code comes, and works. (A second more: PostgreSQL keeps microseconds,
    // rounded, so the claim may sit a hair later than the clock that made it.)
    app.clock.advance(chrono::Duration::seconds(61));
    let code = app.request_sms_code(phone, "login").await;
    assert_eq!(app.post("/api/v1/auth/login", json!({"phone": phone, "code": code}), None).await.status, Status::Ok);
}

/// Someone registered a resident's number with a password; the owner proves the number with a
/// code and gets it: the squatting account is disabled, signed out, and listed for staff.
async fn the_owner_claims_a_number_someone_else_registered(app: TestApp) {
    let phone = "13912340003";
    let squatter = app.register(phone, "not-my-number-1").await;
    let taken = app.post("/api/v1/auth/register", registration(phone, None), None).await;
    assert_eq!((taken.status, taken.error_code()), (Status::Conflict, "phone_taken"));

    let code = app.request_sms_code(phone, "register").await;
    let claimed = app.post("/api/v1/auth/register", registration(phone, Some(&code)), None).await;
    assert_eq!(claimed.status, Status::Created, "{}", claimed.body);
    assert_eq!(claimed.body["user"]["phone_verified"], true);
    assert_eq!(app.get("/api/v1/me", Some(&squatter)).await.status, Status::Unauthorized, "the squatter is out");
    assert_eq!(app.login(phone, "not-my-number-1").await.status, Status::Unauthorized);
    assert_eq!(app.login(phone, "steppe-wind-1").await.status, Status::Ok, "the owner's password works");

    let admin = app.admin_token().await;
    let listed = app.get("/api/v1/admin/claimed-accounts", Some(&admin)).await;
    assert_eq!(listed.status, Status::Ok);
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1), "{}", listed.body);
    assert_eq!(listed.body[0]["phone"], phone);
    let owner = claimed.body["token"].as_str().expect("token");
    assert_eq!(app.get("/api/v1/admin/claimed-accounts", Some(owner)).await.status, Status::Forbidden);

    // A verified holder keeps the number.
    app.clock.advance(chrono::Duration::seconds(61));
    let code = app.request_sms_code(phone, "register").await;
    let second = app.post("/api/v1/auth/register", registration(phone, Some(&code)), None).await;
    assert_eq!((second.status, second.error_code()), (Status::Conflict, "phone_taken"));
}

/// A password-only account verifies later; the result of a verified-only prize quiz says what is
/// missing until then, and the app can offer it (`verify_phone`).
async fn an_unverified_account_verifies_its_phone_and_the_result_says_why_it_matters(app: TestApp) {
    let phone = "13912340004";
    let token = app.register(phone, "steppe-wind-1").await;
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.body["phone_verified"], false);
    let session = app.post("/api/v1/campaigns/2023-civil-code-month/sessions", json!(null), Some(&token)).await;
    let id = session.body["id"].as_str().expect("id").to_owned();
    let result = app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(&token)).await;
    assert_eq!(
        (result.body["prize"]["eligible"].as_bool(), result.body["prize"]["verify_phone"].as_bool()),
        (Some(false), Some(true))
    );
    assert!(result.body["prize"]["note"].as_str().is_some_and(|n| n.contains("验证")), "{}", result.body);

    let code = app.request_sms_code(phone, "login").await;
    let bad = app.post("/api/v1/me/phone-verification", json!({"code": "1234567"}), Some(&token)).await;
    assert_eq!(bad.error_code(), "invalid_code");
    let verified = app.post("/api/v1/me/phone-verification", json!({"code": code}), Some(&token)).await;
    assert_eq!(verified.status, Status::NoContent, "{}", verified.body);
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.body["phone_verified"], true);
    let again = app.get(&format!("/api/v1/sessions/{id}"), Some(&token)).await;
    assert_eq!(again.body["result"]["prize"]["verify_phone"], false, "{}", again.body);
}

/// Acceptance 3: a lottery with `verified_only` draws only among verified phones, and the public
/// record proves it (every entry carries `verified: true`; `pufa draw verify` checks the rule).
#[rocket::async_test]
async fn a_verified_only_lottery_draws_only_verified_phones_and_the_record_proves_it() {
    let app = TestApp::plain().await;
    let admin = app.admin_token().await;
    let closes = (app.clock.now_for_tests() + chrono::Duration::hours(1)).to_rfc3339();
    let campaign = json!({
        "slug": "verified-lottery", "title": "验证手机号抽奖", "description": "",
        "opens_at": "2020-01-01T00:00:00+08:00", "closes_at": closes,
        "question_count": 2, "quotas": [], "banks": [], "time_limit_secs": 600, "attempts_per_day": 3,
        "max_attempts": 0, "points_per_question": 10, "reveal": "after_each", "ranking": "best",
        "prize": {"mode": "lottery", "winners": 10, "min_score": 0}, "published": true
    });
    let created = app.post("/api/v1/admin/campaigns", campaign, Some(&admin)).await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    assert_eq!(created.body["prize"]["verified_only"], true, "verified phones only, by default");
    let mut verified = 0;
    for i in 0..12 {
        let phone = format!("1391235{i:04}");
        let token = if i % 3 == 0 {
            verified += 1;
            app.register_verified(&phone, "steppe-wind-1").await
        } else {
            app.register(&phone, "steppe-wind-1").await
        };
        let session = app.post("/api/v1/campaigns/verified-lottery/sessions", json!(null), Some(&token)).await;
        let id = session.body["id"].as_str().expect("id").to_owned();
        app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(&token)).await;
    }
    app.clock.advance(chrono::Duration::hours(2));
    app.state::<pufa::admin::AdminOps>().fix_due_eligible_lists().await.expect("fixed");
    let drawn =
        app.post("/api/v1/admin/campaigns/verified-lottery/draw", json!({"beacon": "drand 99"}), Some(&admin)).await;
    assert_eq!(drawn.status, Status::Ok, "{}", drawn.body);
    assert_eq!(drawn.body["eligible_count"], verified, "only the verified phones");
    assert_eq!(drawn.body["winners"].as_array().map(Vec::len), Some(verified));
    let record: pufa::prize::draw::PublicDraw =
        serde_json::from_value(app.get("/api/v1/campaigns/verified-lottery/draw", None).await.body).expect("record");
    assert!(record.rule.verified_only);
    assert!(record.eligible.as_ref().expect("list").entrants.iter().all(|e| e.verified));
    assert!(pufa::prize::draw::verify(&record).is_ok());
    let mut forged = record.clone();
    if let Some(list) = forged.eligible.as_mut() {
        list.entrants[0].verified = false;
    }
    assert!(matches!(
        pufa::prize::draw::verify(&forged),
        Err(pufa::prize::draw::VerifyError::RuleBroken {
            problem: pufa::prize::eligibility::RuleBreak::NotVerified,
            ..
        })
    ));
}
