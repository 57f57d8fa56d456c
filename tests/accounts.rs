//! A resident's account story, on every database and live-store pairing.

mod common;

use common::{Reply, TestApp, VILLAGE};
use pufa::db::entity::{auth_token, user};
use rocket::http::Status;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::json;

on_every_backend!(
    resident_registers_signs_in_and_signs_out,
    registration_refuses_bad_details_and_taken_phones,
    six_wrong_passwords_lock_that_phone_only,
    passwords_and_tokens_are_stored_only_as_hashes,
    public_views_never_show_a_full_phone,
    an_expired_token_is_refused,
    the_first_start_creates_one_admin_and_residents_are_not_admins,
);

async fn resident_registers_signs_in_and_signs_out(app: TestApp) {
    let first_token = app.register("13812345678", "草原上的羊群很多啊").await;

    let me = app.get("/api/v1/me", Some(&first_token)).await;
    assert_eq!(me.status, Status::Ok);
    assert_eq!(me.body["display_name"], "牧民");
    assert_eq!(me.body["phone_masked"], "138****5678");
    assert_eq!(me.body["region"], json!({"code": VILLAGE, "name": "巴音敖包嘎查"}));
    assert_eq!(me.body["role"], "resident");

    let login = app.login("138 1234 5678", "草原上的羊群很多啊").await;
    assert_eq!(login.status, Status::Ok, "{}", login.body);
    let second_token = login.body["token"].as_str().expect("token").to_owned();
    assert_ne!(second_token, first_token);

    let logout = app.post("/api/v1/auth/logout", json!(null), Some(&second_token)).await;
    assert_eq!(logout.status, Status::NoContent);

    let after = app.get("/api/v1/me", Some(&second_token)).await;
    assert_eq!(after.status, Status::Unauthorized);
    assert_eq!(after.error_code(), "unauthorized");
    // Signing out on one phone does not sign out the others.
    assert_eq!(app.get("/api/v1/me", Some(&first_token)).await.status, Status::Ok);
}

async fn registration_refuses_bad_details_and_taken_phones(app: TestApp) {
    // Nothing is collected before the resident agreed to the privacy notice.
    let unconsented =
        json!({"phone": "13912345670", "password": "steppe-wind-1", "display_name": "乌日娜", "region_code": VILLAGE});
    let reply = app.post("/api/v1/auth/register", unconsented, None).await;
    assert_eq!((reply.status, reply.error_code()), (Status::UnprocessableEntity, "consent_required"), "{}", reply.body);
    assert!(
        pufa::db::entity::user::Entity::find()
            .all(app.db())
            .await
            .expect("users")
            .iter()
            .all(|u| u.phone != "13912345670"),
        "no account without consent"
    );
    let attempt = |phone: &str, password: &str, region: &str| json!({"phone": phone, "password": password, "display_name": "乌日娜", "region_code": region, "consent": true});
    let cases: [(serde_json::Value, Status, &str); 6] = [
        (attempt("1381234567", "steppe-wind-1", VILLAGE), Status::UnprocessableEntity, "invalid_phone"),
        (attempt("12812345678", "steppe-wind-1", VILLAGE), Status::UnprocessableEntity, "invalid_phone"),
        (attempt("13912345678", "short", VILLAGE), Status::UnprocessableEntity, "weak_password"),
        (attempt("13912345678", "steppe-wind-1", "999999999999"), Status::UnprocessableEntity, "unknown_region"),
        // A township is not a place one lives in for the boards: a village must be chosen.
        (attempt("13912345678", "steppe-wind-1", "150824202000"), Status::UnprocessableEntity, "unknown_region"),
        (attempt("13912345678", "steppe-wind-1", VILLAGE), Status::Created, ""),
    ];
    for (body, status, code) in cases {
        let reply = app.post("/api/v1/auth/register", body.clone(), None).await;
        assert_eq!(reply.status, status, "{body} -> {}", reply.body);
        if !code.is_empty() {
            assert_eq!(reply.error_code(), code, "{body}");
        }
    }
    let again = app.post("/api/v1/auth/register", attempt("139-1234-5678", "another1", VILLAGE), None).await;
    assert_eq!(again.status, Status::Conflict);
    assert_eq!(again.error_code(), "phone_taken");

    // Several bad fields are all named at once.
    let many = app.post("/api/v1/auth/register", attempt("1", "2", VILLAGE), None).await;
    let fields: Vec<&str> =
        many.body["error"]["fields"].as_array().expect("fields").iter().filter_map(|f| f["field"].as_str()).collect();
    assert_eq!(fields, ["phone", "password"]);
}

async fn six_wrong_passwords_lock_that_phone_only(app: TestApp) {
    app.register("13700000001", "right-password").await;
    app.register("13700000002", "right-password").await;

    for attempt in 1..=5 {
        let reply = app.login("13700000001", "wrong-password").await;
        assert_eq!(reply.status, Status::Unauthorized, "attempt {attempt}");
        assert_eq!(reply.error_code(), "invalid_credentials");
    }
    let sixth = app.login("13700000001", "wrong-password").await;
    assert_eq!(sixth.status, Status::TooManyRequests);
    assert_eq!(sixth.error_code(), "too_many_attempts");
    let retry_after: u64 = sixth.header("Retry-After").expect("Retry-After").parse().expect("seconds");
    assert!((1..=900).contains(&retry_after), "Retry-After {retry_after}");
    // Even the right password waits out the window: guessing cannot continue.
    assert_eq!(app.login("13700000001", "right-password").await.status, Status::TooManyRequests);

    // Another resident's phone is unaffected.
    assert_eq!(app.login("13700000002", "right-password").await.status, Status::Ok);
}

async fn passwords_and_tokens_are_stored_only_as_hashes(app: TestApp) {
    let token = app.register("13600000001", "my-secret-pass").await;
    let users = user::Entity::find().all(app.db()).await.expect("users");
    let resident = users.iter().find(|u| u.phone == "13600000001").expect("stored");
    assert!(resident.password_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{}", resident.password_hash);
    for u in &users {
        assert!(!u.password_hash.contains("my-secret-pass"));
    }
    let tokens = auth_token::Entity::find().all(app.db()).await.expect("tokens");
    assert_eq!(tokens.len(), 1);
    assert_ne!(tokens[0].token_hash, token);
    assert!(!tokens[0].token_hash.contains(&token));
}

async fn public_views_never_show_a_full_phone(app: TestApp) {
    let phone = "15912348765";
    let register = app
        .post(
            "/api/v1/auth/register",
            json!({"phone": phone, "password": "password-1", "display_name": "萨仁", "region_code": VILLAGE, "consent": true}),
            None,
        )
        .await;
    let token = register.body["token"].as_str().expect("token").to_owned();
    let replies: Vec<Reply> = vec![
        register,
        app.login(phone, "password-1").await,
        app.get("/api/v1/me", Some(&token)).await,
        app.get("/api/v1/regions", None).await,
    ];
    for reply in replies {
        assert!(!reply.text.contains(phone), "full phone in {}", reply.text);
        assert!(!reply.text.contains("12348765"));
    }
}

async fn an_expired_token_is_refused(app: TestApp) {
    let token = app.register("13500000001", "password-1").await;
    let stored = auth_token::Entity::find().one(app.db()).await.expect("query").expect("token row");
    let mut expired: auth_token::ActiveModel = stored.into();
    expired.expires_at = Set(chrono::Utc::now() - chrono::Duration::seconds(1));
    expired.update(app.db()).await.expect("expire");

    let reply = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(reply.status, Status::Unauthorized);
    assert_eq!(reply.error_code(), "unauthorized");
}

async fn the_first_start_creates_one_admin_and_residents_are_not_admins(app: TestApp) {
    let users = user::Entity::find().all(app.db()).await.expect("users");
    let admins: Vec<_> = users.iter().filter(|u| u.role == "admin").collect();
    assert_eq!(admins.len(), 1);
    assert_eq!(admins[0].region_code, "150824000000");
    // No fixed, documented phone: a random 199 number, whose password must be changed first.
    assert!(admins[0].phone.starts_with("199") && admins[0].phone != "19900000000", "{}", admins[0].phone);
    assert!(admins[0].must_change_password);

    let accounts = app.state::<pufa::accounts::Accounts>();
    let phone = pufa::accounts::Phone::parse("19900000000").expect("phone");
    assert!(accounts.ensure_admin(Some(&phone)).await.expect("ensure").is_none(), "a second admin was created");

    // The admin command promotes a known phone and sets its password.
    let name = pufa::accounts::DisplayName::for_staff("司法所小王").expect("name");
    let password = pufa::accounts::Password::parse("staff-password".into()).expect("password");
    let staff_phone = pufa::accounts::Phone::parse("13300000009").expect("phone");
    accounts.create_admin(&staff_phone, &name, &password).await.expect("create admin");
    let login = app.login("13300000009", "staff-password").await;
    assert_eq!(login.status, Status::Ok);
    assert_eq!(login.body["user"]["role"], "admin");
    assert_eq!(login.body["user"]["region"]["name"], "乌拉特中旗");
}

/// A wrong-password sign-in for `phone` from the TCP peer `peer`, claiming `claimed` in both
/// address headers.
async fn wrong_login_claiming(app: &TestApp, phone: &str, peer: &str, claimed: &str) -> Status {
    app.client
        .post("/api/v1/auth/login")
        .remote(format!("{peer}:40000").parse().expect("peer"))
        .header(rocket::http::ContentType::JSON)
        .header(rocket::http::Header::new("X-Real-IP", claimed.to_owned()))
        .header(rocket::http::Header::new("X-Forwarded-For", claimed.to_owned()))
        .body(json!({"phone": phone, "password": "not-the-password"}).to_string())
        .dispatch()
        .await
        .status()
}

/// Issue 17, acceptance 6: a client cannot choose its own address for the limits; behind a
/// trusted proxy, the address the proxy forwards counts. On the in-process store and on Redis.
#[rocket::async_test]
async fn spoofed_address_headers_count_as_one_address_unless_a_trusted_proxy_sent_them() {
    for live in [common::Live::Memory, common::Live::Redis] {
        let Some(app) = TestApp::start(common::Sql::Sqlite, live).await else { return };
        let mut statuses = Vec::new();
        for i in 0..60 {
            statuses
                .push(wrong_login_claiming(&app, &format!("1370000{i:04}"), "192.0.2.7", &format!("10.9.{i}.1")).await);
        }
        let first_refused = statuses.iter().position(|s| *s == Status::TooManyRequests).map(|i| i + 1);
        assert_eq!(first_refused, Some(51), "{live:?}: one address, whatever the headers say: {statuses:?}");
        assert!(statuses[50..].iter().all(|s| *s == Status::TooManyRequests), "{live:?}");

        let Some(proxied) =
            TestApp::start_with(common::Sql::Sqlite, live, |f| f.merge(("trusted_proxies", vec!["127.0.0.1/32"])))
                .await
        else {
            return;
        };
        for i in 0..60 {
            let status =
                wrong_login_claiming(&proxied, &format!("1370000{i:04}"), "127.0.0.1", &format!("10.9.{i}.1")).await;
            assert_eq!(status, Status::Unauthorized, "{live:?}: behind the proxy each forwarded address counts ({i})");
        }
        // The same forwarded address 51 times is one client.
        let mut last = Status::Ok;
        for i in 0..51 {
            last = wrong_login_claiming(&proxied, &format!("1371000{i:04}"), "127.0.0.1", "10.8.0.1").await;
        }
        assert_eq!(last, Status::TooManyRequests, "{live:?}");
        // A peer that is not the proxy cannot borrow its trust.
        let mut direct = Vec::new();
        for i in 0..51 {
            direct.push(
                wrong_login_claiming(&proxied, &format!("1372000{i:04}"), "192.0.2.9", &format!("10.7.{i}.1")).await,
            );
        }
        assert_eq!(direct[50], Status::TooManyRequests, "{live:?}");
    }
}

/// Issue 17, acceptance 7: wrong passwords for a phone arriving from two hundred addresses (behind
/// the trusted proxy) slow that phone a little; its owner, from an address of their own, signs in
/// within a minute, while the attack goes on.
#[rocket::async_test]
async fn the_owner_signs_in_while_their_phone_is_attacked_from_many_addresses() {
    let app = TestApp::start_with(common::Sql::Sqlite, common::Live::Memory, |f| {
        f.merge(("trusted_proxies", vec!["127.0.0.1/32"]))
    })
    .await
    .expect("sqlite + memory");
    app.register("13766660000", "steppe-wind-1").await;
    let attack = |from: usize| {
        let app = &app;
        rocket::futures::future::join_all((from..from + 100).map(move |i| async move {
            wrong_login_claiming(app, "13766660000", "127.0.0.1", &format!("10.{}.{}.1", i / 200, i % 200)).await
        }))
    };
    let first = attack(0).await;
    assert!(first.iter().all(|s| *s == Status::Unauthorized), "a flood on one phone takes turns: {first:?}");
    let owner = async {
        let started = std::time::Instant::now();
        let reply = app
            .client
            .post("/api/v1/auth/login")
            .remote("127.0.0.1:40000".parse().expect("peer"))
            .header(rocket::http::ContentType::JSON)
            .header(rocket::http::Header::new("X-Forwarded-For", "203.0.113.50"))
            .body(json!({"phone": "13766660000", "password": "steppe-wind-1"}).to_string())
            .dispatch()
            .await;
        (reply.status(), started.elapsed())
    };
    let ((status, took), during) = rocket::tokio::join!(owner, attack(100));
    assert_eq!(status, Status::Ok, "the owner gets in");
    assert!(took < std::time::Duration::from_secs(60), "within a minute: {took:?}");
    assert!(during.iter().all(|s| *s == Status::Unauthorized), "{during:?}");
    eprintln!("owner signed in after {took:?} with 200 wrong passwords for the phone from 200 addresses");
}
