//! What the bureau does with a campaign: statistics, results, the prize draw, accounts, audit.

mod common;

use std::collections::HashMap;

use common::{Sql, TestApp};
use pufa::db::entity::{audit_entry, question_revision, quiz_session, session_question, user};
use rocket::http::Status;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

fn campaign(slug: &str, banks: Value, count: u32, closes_at: &str, prize: Value) -> Value {
    json!({
        "slug": slug, "title": "测试活动", "description": "",
        "opens_at": "2020-01-01T00:00:00+08:00", "closes_at": closes_at,
        "question_count": count, "quotas": [], "banks": banks,
        "time_limit_secs": 600, "attempts_per_day": 3, "max_attempts": 0, "points_per_question": 10,
        "reveal": "after_each", "ranking": "best", "prize": prize, "published": true
    })
}

/// Four residents (two in one village, two elsewhere) and one in-progress attempt: known answers.
async fn seeded_campaign(app: &TestApp, admin: &str) -> (i64, HashMap<&'static str, i64>) {
    let template =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/template.toml")).expect("fixture");
    assert_eq!(app.upload("format=toml", template, admin).await.status, Status::Ok);
    let created = app
        .post(
            "/api/v1/admin/campaigns",
            campaign(
                "fixture",
                json!(["template"]),
                2,
                "2099-01-01T00:00:00+08:00",
                json!({"mode": "top", "winners": 2}),
            ),
            Some(admin),
        )
        .await;
    assert_eq!(created.status, Status::Created, "{}", created.body);
    let campaign_id = app.state::<pufa::quiz::Quiz>().published("fixture").await.expect("campaign").id;
    let revisions: HashMap<String, i64> = question_revision::Entity::find()
        .all(app.db())
        .await
        .expect("revisions")
        .into_iter()
        .filter(|r| r.bank_key == "template")
        .map(|r| (r.key, r.id))
        .collect();
    let village_a = common::VILLAGE; // 巴音敖包嘎查, 巴音乌兰苏木
    let village_b = "150824100201"; // 巴仁宝勒格村, 海流图镇
    let mut users = HashMap::new();
    for (name, phone, village) in [
        ("u1", "13000000001", village_a),
        ("u2", "13000000002", village_a),
        ("u3", "13000000003", village_b),
        ("u4", "13000000004", village_b),
    ] {
        let row = user::ActiveModel {
            phone: Set(phone.into()),
            display_name: Set(name.into()),
            region_code: Set(village.into()),
            role: Set("resident".into()),
            password_hash: Set("$argon2id$x".into()),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(app.db())
        .await
        .expect("user");
        users.insert(name, row.id);
    }
    let t0 = chrono::DateTime::parse_from_rfc3339("2026-11-01T10:00:00+08:00").expect("t").with_timezone(&chrono::Utc);
    // (session, user, q1 choice, q1 right, q2 choice, q2 right, duration s, finished)
    let plays = [
        ("s1", "u1", "AB", true, "T", true, 100, true),
        ("s2", "u2", "A", false, "T", true, 200, true),
        ("s3", "u3", "AC", false, "F", false, 300, true),
        ("s4", "u4", "A", false, "T", true, 150, true),
        ("s5", "u1", "A", false, "T", true, 50, false),
    ];
    for (i, (id, who, c1, r1, c2, r2, secs, finished)) in plays.into_iter().enumerate() {
        let started = t0 + chrono::Duration::minutes(i as i64 * 20);
        let end = started + chrono::Duration::seconds(secs);
        let session_id = format!("{:0>32}", id);
        quiz_session::ActiveModel {
            id: Set(session_id.clone()),
            user_id: Set(users[who]),
            campaign_id: Set(campaign_id),
            attempt: Set(1),
            seed: Set("0".repeat(64)),
            started_at: Set(started),
            started_day: Set("2026-11-01".into()),
            deadline: Set(started + chrono::Duration::minutes(10)),
            finished_at: Set(finished.then_some(end)),
            score: Set(10 * (i32::from(r1) + i32::from(r2))),
            correct: Set(i32::from(r1) + i32::from(r2)),
            total: Set(2),
            duration_ms: Set(finished.then_some(secs * 1000)),
            in_progress_key: Set((!finished).then(|| format!("{}:{campaign_id}", users[who]))),
            ..Default::default()
        }
        .insert(app.db())
        .await
        .expect("session");
        for (position, key, choice, right, order) in [(1, "hy-001", c1, r1, "0123"), (2, "hy-002", c2, r2, "")] {
            session_question::ActiveModel {
                session_id: Set(session_id.clone()),
                position: Set(position),
                revision_id: Set(revisions[key]),
                permutation: Set(order.into()),
                choice: Set(Some(choice.into())),
                correct: Set(Some(right)),
                answered_at: Set(Some(end)),
            }
            .insert(app.db())
            .await
            .expect("answer");
        }
    }
    (campaign_id, users)
}

#[rocket::async_test]
async fn statistics_on_a_seeded_campaign_equal_the_hand_computed_values() {
    let app = TestApp::plain().await;
    let admin = app.admin_token().await;
    seeded_campaign(&app, &admin).await;
    let stats = app.get("/api/v1/admin/campaigns/fixture/stats", Some(&admin)).await;
    assert_eq!(stats.status, Status::Ok, "{}", stats.body);
    let s = &stats.body;
    assert_eq!(
        (s["participants"].as_u64(), s["sessions_started"].as_u64(), s["sessions_finished"].as_u64()),
        (Some(4), Some(5), Some(4))
    );
    assert_eq!(s["completion_rate"], 0.8);
    assert_eq!(s["score_histogram"], json!([1, 0, 0, 0, 0, 2, 0, 0, 0, 1]));
    let q = |key: &str| {
        s["questions"].as_array().expect("questions").iter().find(|q| q["key"] == key).expect("question").clone()
    };
    let (q1, q2) = (q("hy-001"), q("hy-002"));
    // q1 right only in s1; item [1,0,0,0] vs rest [1,1,0,1]: r = 0.25 / 0.75.
    assert_eq!(
        (q1["attempts"].as_u64(), q1["facility"].as_f64(), q1["discrimination"].as_f64()),
        (Some(4), Some(0.25), Some(0.3333))
    );
    assert_eq!((q2["facility"].as_f64(), q2["discrimination"].as_f64()), (Some(0.75), Some(0.3333)));
    assert_eq!(q1["most_chosen_wrong"], "A. 丈夫外出打工挣的工资", "two of three wrong answers chose A alone");
    assert_eq!(q2["most_chosen_wrong"], "错误");
    assert_eq!(s["hardest"][0]["key"], "hy-001");
    assert_eq!(s["categories"], json!([{"name": "婚姻家庭", "answered": 8, "correct": 4, "accuracy": 0.5}]));
    let article = |name: &str| {
        s["articles"].as_array().expect("articles").iter().find(|a| a["name"] == name).expect("article").clone()
    };
    assert_eq!(
        (article("民法典第1062条")["answered"].as_u64(), article("民法典第1062条")["correct"].as_u64()),
        (Some(4), Some(1))
    );
    assert_eq!(article("民法典第1077条")["accuracy"], 0.75);
    let by_township = s["articles_by_township"].as_array().expect("rows");
    let bayin =
        by_township.iter().find(|r| r["article"] == "民法典第1077条" && r["township"] == "巴音乌兰苏木").expect("row");
    assert_eq!((bayin["answered"].as_u64(), bayin["correct"].as_u64()), (Some(2), Some(2)));
    let township = s["townships"]
        .as_array()
        .expect("townships")
        .iter()
        .find(|t| t["code"] == "150824202000")
        .expect("巴音乌兰苏木")
        .clone();
    assert_eq!((township["participants"].as_u64(), township["average_best_score"].as_f64()), (Some(2), Some(15.0)));

    let csv = app.get("/api/v1/admin/campaigns/fixture/stats.csv", Some(&admin)).await;
    assert!(csv.text.starts_with('\u{feff}') && csv.text.contains("hy-001") && csv.text.contains("0.3333"));
}

#[rocket::async_test]
async fn results_csv_lists_every_ranked_participant_in_board_order_for_staff_only() {
    let app = TestApp::plain().await;
    let admin = app.admin_token().await;
    seeded_campaign(&app, &admin).await;
    let reply =
        app.client.get("/api/v1/admin/campaigns/fixture/results.csv").header(common::bearer(&admin)).dispatch().await;
    assert_eq!(reply.status(), Status::Ok);
    assert_eq!(reply.content_type().map(|c| c.to_string()), Some("text/csv; charset=utf-8".into()));
    let bytes = reply.into_bytes().await.expect("body");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM for Excel");
    let text = String::from_utf8(bytes).expect("utf-8");
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    // u1 20 points; u4 and u2 10 points (u4 faster); u3 0.
    let names: Vec<&str> = rows.iter().map(|r| r[1]).collect();
    assert_eq!(names, ["u1", "u4", "u2", "u3"]);
    assert_eq!(rows[0][2], "13000000001", "staff see the full phone to reach winners");
    assert_eq!(rows[0][3], "巴音乌兰苏木巴音敖包嘎查");
    assert_eq!((rows[0][0], rows[0][4], rows[0][5]), ("1", "20", "100.0"));

    let resident = app.register("13900000099", "password-1").await;
    let refused = app.get("/api/v1/admin/campaigns/fixture/results.csv", Some(&resident)).await;
    assert_eq!((refused.status, refused.error_code()), (Status::Forbidden, "forbidden"));
}

#[rocket::async_test]
async fn the_draw_is_committed_before_close_run_after_and_verifiable_by_anyone() {
    let app = TestApp::plain().await;
    let admin = app.admin_token().await;
    let closes = (app.clock.now_for_tests() + chrono::Duration::hours(1)).to_rfc3339();
    let body = campaign("lucky", json!([]), 5, &closes, json!({"mode": "lottery", "winners": 2, "min_score": 0}));
    assert_eq!(app.post("/api/v1/admin/campaigns", body, Some(&admin)).await.status, Status::Created);
    let before = app.get("/api/v1/campaigns/lucky/draw", None).await;
    let commitment = before.body["commitment"].as_str().expect("commitment published at once").to_owned();
    assert_eq!((before.body["drawn"].as_bool(), before.body.get("seed")), (Some(false), None));
    let early = app.post("/api/v1/admin/campaigns/lucky/draw", json!(null), Some(&admin)).await;
    assert_eq!((early.status, early.error_code()), (Status::Conflict, "campaign_still_open"));

    for i in 0..6 {
        let token = app.register(&format!("1380000{i:04}"), "password-1").await;
        let session = app.post("/api/v1/campaigns/lucky/sessions", json!(null), Some(&token)).await.body;
        let id = session["id"].as_str().expect("id");
        app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(&token)).await;
    }
    app.clock.advance(chrono::Duration::hours(2));
    let drawn = app.post("/api/v1/admin/campaigns/lucky/draw", json!(null), Some(&admin)).await;
    assert_eq!(drawn.status, Status::Ok, "{}", drawn.body);
    assert_eq!(
        (drawn.body["eligible"].as_array().map(Vec::len), drawn.body["winners"].as_array().map(Vec::len)),
        (Some(6), Some(2))
    );
    assert_eq!(
        app.post("/api/v1/admin/campaigns/lucky/draw", json!(null), Some(&admin)).await.body,
        drawn.body,
        "the same draw again"
    );

    let public = app.get("/api/v1/campaigns/lucky/draw", None).await;
    assert_eq!(public.body["commitment"], commitment.as_str());
    assert!(!public.text.contains("1380000"), "eligible phones are masked");
    let record: pufa::prize::draw::DrawRecord = serde_json::from_value(public.body.clone()).expect("record");
    assert!(pufa::prize::draw::verify(&record).is_ok());

    // The command line re-runs it from the public JSON alone; tampering makes it fail.
    let dir = tempfile::tempdir().expect("dir");
    let verify = |record: &pufa::prize::draw::DrawRecord| {
        let path = dir.path().join("draw.json");
        std::fs::write(&path, serde_json::to_vec(record).expect("json")).expect("write");
        std::process::Command::new(env!("CARGO_BIN_EXE_pufa"))
            .args(["draw", "verify"])
            .arg(&path)
            .output()
            .expect("run")
    };
    let ok = verify(&record);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    let winner = record.winners[0].user_id.to_string();
    assert!(String::from_utf8_lossy(&ok.stdout).contains(&winner));
    let mut other_seed = record.clone();
    other_seed.seed = "1".repeat(64);
    assert!(!verify(&other_seed).status.success());
    let mut fewer = record.clone();
    fewer.eligible.retain(|e| e.user_id != record.winners[0].user_id);
    assert!(!verify(&fewer).status.success());
}

#[rocket::async_test]
async fn every_admin_write_is_audited_and_an_edited_entry_breaks_the_chain() {
    let Some(app) = TestApp::start(Sql::Sqlite, common::Live::Memory).await else { return };
    let admin = app.admin_token().await;
    let template =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/template.toml")).expect("fixture");
    assert_eq!(app.upload("format=toml", template, &admin).await.status, Status::Ok);
    let body = campaign("audited", json!([]), 5, "2099-01-01T00:00:00+08:00", json!({"mode": "top", "winners": 1}));
    assert_eq!(app.post("/api/v1/admin/campaigns", body.clone(), Some(&admin)).await.status, Status::Created);
    assert_eq!(app.put("/api/v1/admin/campaigns/audited", body, Some(&admin)).await.status, Status::Ok);
    assert_eq!(
        app.post("/api/v1/admin/campaigns/audited/scores/rebuild", json!(null), Some(&admin)).await.status,
        Status::Ok
    );
    let resident_token = app.register("13700007777", "password-1").await;
    let resident_id = app.get("/api/v1/me", Some(&resident_token)).await.body["id"].as_i64().expect("id");
    let reset = app.post(&format!("/api/v1/admin/users/{resident_id}/password-reset"), json!(null), Some(&admin)).await;
    let new_password = reset.body["password"].as_str().expect("password").to_owned();
    assert_eq!(app.get("/api/v1/me", Some(&resident_token)).await.status, Status::Unauthorized, "reset signs out");
    assert_eq!(app.login("13700007777", &new_password).await.status, Status::Ok);
    let token = app.login("13700007777", &new_password).await.body["token"].as_str().expect("t").to_owned();
    assert_eq!(
        app.post(&format!("/api/v1/admin/users/{resident_id}/disable"), json!(null), Some(&admin)).await.status,
        Status::NoContent
    );
    assert_eq!(
        app.get("/api/v1/me", Some(&token)).await.status,
        Status::Unauthorized,
        "a disabled account's token stops at once"
    );
    // The right password of a disabled account gets the same answer as a wrong one (issue 17).
    let refused = app.login("13700007777", &new_password).await;
    assert_eq!(refused.error_code(), "invalid_credentials", "{} {}", refused.status, refused.text);
    assert_eq!(
        app.post(&format!("/api/v1/admin/users/{resident_id}/enable"), json!(null), Some(&admin)).await.status,
        Status::NoContent
    );
    assert_eq!(
        app.post(&format!("/api/v1/admin/users/{resident_id}/promote"), json!(null), Some(&admin)).await.status,
        Status::NoContent
    );
    app.clock
        .set(chrono::DateTime::parse_from_rfc3339("2099-02-01T00:00:00+08:00").expect("t").with_timezone(&chrono::Utc));
    assert_eq!(app.post("/api/v1/admin/campaigns/audited/draw", json!(null), Some(&admin)).await.status, Status::Ok);
    let found = app.get("/api/v1/admin/users?q=7777", Some(&admin)).await;
    assert_eq!((found.body[0]["phone"].as_str(), found.body[0]["role"].as_str()), (Some("13700007777"), Some("admin")));
    let resident = app.register("13700008888", "password-1").await;
    assert_eq!(app.get("/api/v1/admin/users", Some(&resident)).await.status, Status::Forbidden);

    let log = app.get("/api/v1/admin/audit?limit=100", Some(&admin)).await;
    let actions: Vec<&str> =
        log.body.as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    for action in [
        "bank.import",
        "campaign.create",
        "campaign.update",
        "scores.rebuild",
        "account.reset_password",
        "account.disable",
        "account.enable",
        "account.promote",
        "draw.run",
    ] {
        assert!(actions.contains(&action), "{action} not audited: {actions:?}");
    }
    let ops = app.state::<pufa::admin::AdminOps>();
    let entries = ops.audit().verify().await.expect("verify").expect("intact");
    assert_eq!(entries, actions.len());

    // Someone edits an entry in SQL: verification names it, here and from the command line.
    let rows = audit_entry::Entity::find().all(app.db()).await.expect("rows");
    let victim = rows[2].clone();
    let mut edited: audit_entry::ActiveModel = victim.clone().into();
    edited.target = Set("someone-else".into());
    edited.update(app.db()).await.expect("edit");
    let broken = ops.audit().verify().await.expect("verify").expect_err("broken");
    assert_eq!(broken.id, victim.id);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pufa"))
        .args(["audit", "verify"])
        .env("PUFA_DATABASE_URL", app.database_url())
        .env("PUFA_LIVE_SCORES", "memory")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("audit entry {}", victim.id)),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[rocket::async_test]
async fn per_day_lotteries_draw_each_days_qualifiers_and_nobody_wins_twice() {
    let app = TestApp::plain().await;
    let admin = app.admin_token().await;
    let closes = (app.clock.now_for_tests() + chrono::Duration::days(3)).to_rfc3339();
    let body = campaign(
        "daily-prizes",
        json!([]),
        5,
        &closes,
        json!({"mode": "lottery", "winners": 1, "min_score": 0, "per_day": 1}),
    );
    assert_eq!(app.post("/api/v1/admin/campaigns", body, Some(&admin)).await.status, Status::Created);
    let mut tokens = Vec::new();
    for i in 0..3 {
        tokens.push(app.register(&format!("1355555{i:04}"), "password-1").await);
    }
    let play = async |token: &str| {
        let session = app.post("/api/v1/campaigns/daily-prizes/sessions", json!(null), Some(token)).await.body;
        let id = session["id"].as_str().expect("id").to_owned();
        app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(token)).await;
    };
    play(&tokens[0]).await;
    play(&tokens[1]).await;
    app.clock.advance(chrono::Duration::days(1));
    play(&tokens[0]).await;
    play(&tokens[2]).await;
    app.clock.advance(chrono::Duration::days(3));

    let drawn = app.post("/api/v1/admin/campaigns/daily-prizes/draw", json!(null), Some(&admin)).await;
    assert_eq!(drawn.status, Status::Ok, "{}", drawn.body);
    let record: pufa::prize::draw::DrawRecord = serde_json::from_value(drawn.body).expect("record");
    assert_eq!(record.days.len(), 2);
    assert!(record.days.iter().all(|d| d.winners.len() == 1));
    let winners: std::collections::HashSet<i64> = record.winners.iter().map(|w| w.user_id).collect();
    assert_eq!(winners.len(), 2, "one prize per person");
    assert!(!record.days[1].eligible.iter().any(|e| e.user_id == record.days[0].winners[0].user_id));
    assert!(pufa::prize::draw::verify(&record).is_ok());
    let mut forged = record.clone();
    forged.days[1].winners = forged.days[1]
        .eligible
        .iter()
        .filter(|e| e.user_id != record.days[1].winners[0].user_id)
        .take(1)
        .cloned()
        .collect();
    if !forged.days[1].winners.is_empty() {
        assert!(pufa::prize::draw::verify(&forged).is_err(), "a swapped winner is caught");
    }
}

/// Found by schemathesis: numbers at the edges of their types are refused or clamped, never a 500.
#[rocket::async_test]
async fn extreme_numbers_in_queries_paths_and_campaigns_never_fail_the_server() {
    let app = TestApp::plain().await;
    let ids = ["/api/v1/admin/users/9223372036854775808/disable", "/api/v1/admin/users/abc/promote"];
    for path in ids {
        assert_eq!(app.post(path, json!(null), None).await.status, Status::Unauthorized, "{path}");
    }
    let admin = app.admin_token().await;
    // OFFSET past i64::MAX (the databases' limit) skips everything.
    for path in ["/api/v1/admin/audit?offset=9223372036854775808", "/api/v1/admin/users?offset=18446744073709551615"] {
        let reply = app.get(path, Some(&admin)).await;
        assert_eq!(reply.status, Status::Ok, "{path}: {}", reply.body);
        assert_eq!(reply.body, json!([]), "{path}");
    }
    // A user id or answer position that is no number of its type names nothing: 404 (after the auth check).
    for path in ids {
        let reply = app.post(path, json!(null), Some(&admin)).await;
        assert_eq!((reply.status, reply.error_code()), (Status::NotFound, "not_found"), "{path}");
    }
    let reply = app.put("/api/v1/sessions/abc/answers/4294967296", json!({"choice": "A"}), Some(&admin)).await;
    assert_eq!((reply.status, reply.error_code()), (Status::NotFound, "not_found"));
    // Points and quota counts whose product or sum overflows 32 bits are a 422, not an overflow.
    let mut body = campaign("huge", json!([]), 2, "2099-01-01T00:00:00+08:00", json!({"mode": "top", "winners": 1}));
    body["points_per_question"] = json!(2_147_483_648_u64);
    body["prize"]["min_score"] = json!(1);
    let reply = app.post("/api/v1/admin/campaigns", body.clone(), Some(&admin)).await;
    assert_eq!((reply.status, reply.error_code()), (Status::UnprocessableEntity, "invalid_campaign"), "{}", reply.body);
    body["points_per_question"] = json!(10);
    body["quotas"] = json!([{"count": 4_294_967_295_u64}, {"count": 3}]);
    let reply = app.post("/api/v1/admin/campaigns", body, Some(&admin)).await;
    assert_eq!((reply.status, reply.error_code()), (Status::UnprocessableEntity, "invalid_campaign"), "{}", reply.body);
}

/// Two pufa processes (two audit logs over one database, each with its own in-process turn)
/// appending at the same moment must still leave one unbroken chain.
async fn two_processes_appending_at_once_keep_one_chain(app: TestApp) {
    use pufa::admin::audit::AuditLog;
    let first = AuditLog::new(app.db().clone());
    let second = AuditLog::new(app.db().clone());
    let appends = (0..40).map(|i| {
        let log = if i % 2 == 0 { first.clone() } else { second.clone() };
        async move { log.record(None, "test.append", &format!("item {i}"), serde_json::json!({"i": i})).await }
    });
    for result in rocket::futures::future::join_all(appends).await {
        result.expect("every append lands");
    }
    let verified = first.verify().await.expect("verify").expect("one unbroken chain");
    assert!(verified >= 40, "all 40 entries are in the chain: {verified}");
}

on_every_database!(two_processes_appending_at_once_keep_one_chain);
