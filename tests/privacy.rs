//! A resident's data (个人信息保护法): the notice, consent, the export of every row, and erasure
//! that leaves no phone or name behind while the campaign's statistics stay true.

mod common;

use common::{Sql, TestApp, VILLAGE};
use rocket::http::Status;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

const DEMO: &str = "2023-civil-code-month";
const PHONE: &str = "13912340001";
const NAME: &str = "娜仁其木格";

/// Registers, plays one whole quiz of the demo campaign and one practice question; returns the token.
async fn resident_with_history(app: &TestApp) -> String {
    let reply = app
        .post(
            "/api/v1/auth/register",
            json!({"phone": PHONE, "password": "grass-and-sheep-9", "display_name": NAME, "region_code": VILLAGE, "consent": true}),
            None,
        )
        .await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
    let token = reply.body["token"].as_str().expect("token").to_owned();
    let session = app.post(&format!("/api/v1/campaigns/{DEMO}/sessions"), json!(null), Some(&token)).await;
    assert_eq!(session.status, Status::Created, "{}", session.body);
    let id = session.body["id"].as_str().expect("id").to_owned();
    for q in session.body["questions"].as_array().expect("questions") {
        let choice = if q["kind"] == "judge" { json!(true) } else { json!("A") };
        // A person reads each question (`plausibility`).
        app.clock.advance(chrono::Duration::seconds(3));
        let path = format!("/api/v1/sessions/{id}/answers/{}", q["position"]);
        assert_eq!(app.put(&path, json!({"choice": choice}), Some(&token)).await.status, Status::Ok);
    }
    assert_eq!(app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(&token)).await.status, Status::Ok);
    let practice = app.get("/api/v1/practice?count=1", Some(&token)).await;
    let q = &practice.body[0];
    let choice = if q["kind"] == "judge" { json!(false) } else { json!("B") };
    let answered =
        app.post("/api/v1/practice/answers", json!({"question_id": q["id"], "choice": choice}), Some(&token)).await;
    assert_eq!(answered.status, Status::Ok, "{}", answered.body);
    token
}

async fn the_export_lists_every_row_and_erasure_keeps_statistics_but_not_the_person(app: TestApp) {
    let admin = app.admin_token().await;
    let token = resident_with_history(&app).await;
    let asked =
        app.post("/api/v1/lesson-requests", json!({"topic": "我家草场流转合同到期了怎么办"}), Some(&token)).await;
    assert_eq!(asked.status, Status::Created, "{}", asked.body);

    // The export: every row stored about the caller.
    let export = app.get("/api/v1/me/export", Some(&token)).await;
    assert_eq!(export.status, Status::Ok, "{}", export.body);
    let e = &export.body;
    assert_eq!((e["account"]["phone"].as_str(), e["account"]["display_name"].as_str()), (Some(PHONE), Some(NAME)));
    assert_eq!(e["account"]["consent_version"], "2026-12-02");
    assert!(e["account"]["consent_at"].is_string());
    assert!(e["account"].get("password_hash").is_none(), "no password hash in an export");
    assert_eq!(e["sign_ins"].as_array().map(Vec::len), Some(1));
    let sessions = e["quiz_sessions"].as_array().expect("sessions");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["questions"].as_array().map(Vec::len), Some(20));
    assert!(sessions[0]["questions"].as_array().expect("q").iter().all(|q| q["choice"].is_string()));
    let user_id = e["account"]["id"].as_i64().expect("id");
    let mistakes_in_sql = pufa::db::entity::mistake::Entity::find()
        .filter(pufa::db::entity::mistake::Column::UserId.eq(user_id))
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(e["mistakes"].as_array().map(Vec::len), Some(mistakes_in_sql as usize));
    assert!(mistakes_in_sql > 0, "a quiz of 20 answered all A/true leaves mistakes");
    assert_eq!(e["lesson_requests"][0]["topic"], "我家草场流转合同到期了怎么办");

    let board_path = format!("/api/v1/campaigns/{DEMO}/leaderboard?limit=200");
    let stats_path = format!("/api/v1/admin/campaigns/{DEMO}/stats");
    let before = app.get(&stats_path, Some(&admin)).await.body;
    let board_before = app.get(&board_path, None).await.body;
    assert!(board_before["entries"].as_array().expect("entries").iter().any(|r| r["display_name"] == NAME));

    // Erasure.
    let erased = app.client.delete("/api/v1/me").header(common::bearer(&token)).dispatch().await;
    assert_eq!(erased.status(), Status::Ok);
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status, Status::Unauthorized, "every sign-in ends");
    let login = app.login(PHONE, "grass-and-sheep-9").await;
    assert_eq!((login.status, login.error_code()), (Status::Unauthorized, "invalid_credentials"));

    // The statistics still count the sessions; the boards no longer show the person.
    let after = app.get(&stats_path, Some(&admin)).await.body;
    for field in ["participants", "sessions_started", "sessions_finished", "score_histogram", "categories"] {
        assert_eq!(before[field], after[field], "{field}");
    }
    let board_after = app.get(&board_path, None).await.body;
    assert!(!board_after["entries"].as_array().expect("entries").iter().any(|r| r["display_name"] == NAME));
    assert_eq!(board_after["total"].as_u64(), board_before["total"].as_u64().map(|t| t - 1));
    let mistakes_left = pufa::db::entity::mistake::Entity::find()
        .filter(pufa::db::entity::mistake::Column::UserId.eq(user_id))
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(mistakes_left, 0);
    let requests_left = pufa::db::entity::lesson_request::Entity::find()
        .filter(pufa::db::entity::lesson_request::Column::UserId.eq(user_id))
        .count(app.db())
        .await
        .expect("count");
    assert_eq!(requests_left, 0, "a 你点我讲 topic goes with the person");
    // The number is free again for its owner.
    let again = app
        .post(
            "/api/v1/auth/register",
            json!({"phone": PHONE, "password": "new-start-2027", "display_name": "新账号", "region_code": VILLAGE, "consent": true}),
            None,
        )
        .await;
    assert_eq!(again.status, Status::Created, "{}", again.body);
}

#[rocket::async_test]
async fn sqlite_the_phone_and_name_of_an_erased_resident_are_nowhere_in_the_database_files() {
    let app = TestApp::plain().await;
    let token = resident_with_history(&app).await;
    let contains = |needle: &[u8]| {
        app.sqlite_files()
            .iter()
            .filter_map(|f| std::fs::read(f).ok())
            .any(|bytes| bytes.windows(needle.len()).any(|w| w == needle))
    };
    assert!(contains(PHONE.as_bytes()) && contains(NAME.as_bytes()), "the check must be able to find them");
    let erased = app.client.delete("/api/v1/me").header(common::bearer(&token)).dispatch().await;
    assert_eq!(erased.status(), Status::Ok);
    assert!(!contains(PHONE.as_bytes()), "the phone is still in the database files");
    assert!(!contains(NAME.as_bytes()), "the name is still in the database files");
}

#[rocket::async_test]
async fn staff_cannot_erase_themselves_and_the_notice_names_the_organiser() {
    let app = TestApp::plain().await;
    let admin = app.admin_token().await;
    let reply = app.client.delete("/api/v1/me").header(common::bearer(&admin)).dispatch().await;
    assert_eq!(reply.status(), Status::Conflict);
    let notice = app.get("/api/v1/privacy", None).await;
    assert_eq!(notice.status, Status::Ok);
    assert_eq!(notice.body["organiser"], "乌拉特中旗司法局");
    let text: String = notice.body["sections"]
        .as_array()
        .expect("sections")
        .iter()
        .map(|s| format!("{}{}", s["title"], s["text"]))
        .collect();
    for needed in ["手机号", "昵称", "保存", "注销", "12348"] {
        assert!(text.contains(needed), "the notice does not say {needed}: {text}");
    }
    // Personal data is never stored by a browser or a proxy.
    let me = app.client.get("/api/v1/me").header(common::bearer(&admin)).dispatch().await;
    assert_eq!(me.headers().get_one("Cache-Control"), Some("no-store"));
}

async fn run(sql: Sql) {
    let Some(app) = TestApp::start(sql, common::Live::Memory).await else { return };
    the_export_lists_every_row_and_erasure_keeps_statistics_but_not_the_person(app).await;
}

#[rocket::async_test]
async fn sqlite_export_and_erasure() {
    run(Sql::Sqlite).await;
}

#[rocket::async_test]
async fn postgres_export_and_erasure() {
    run(Sql::Postgres).await;
}
