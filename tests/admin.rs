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

/// A resident who reads each question (3 s) and answers the judge question `judge`, the multiple
/// choice one "A" (always wrong: its answer is AB). Returns the points.
async fn play_template(app: &TestApp, slug: &str, token: &str, judge: bool) -> i64 {
    let session = app.post(&format!("/api/v1/campaigns/{slug}/sessions"), json!(null), Some(token)).await;
    assert_eq!(session.status, Status::Created, "{}", session.body);
    let id = session.body["id"].as_str().expect("id").to_owned();
    for q in session.body["questions"].as_array().expect("questions") {
        let choice = if q["kind"] == "judge" { json!(judge) } else { json!("A") };
        app.clock.advance(chrono::Duration::seconds(3));
        let path = format!("/api/v1/sessions/{id}/answers/{}", q["position"]);
        assert_eq!(app.put(&path, json!({"choice": choice}), Some(token)).await.status, Status::Ok);
    }
    let result = app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(token)).await;
    result.body["score"].as_i64().expect("score")
}

/// `pufa draw verify` on `record`'s bytes: (exit success, what it printed).
fn verify_file(dir: &std::path::Path, record: &Value) -> (bool, String) {
    let path = dir.join("tampered.json");
    std::fs::write(&path, serde_json::to_vec(record).expect("json")).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pufa"))
        .args(["draw", "verify"])
        .arg(&path)
        .env("PUFA_LOG", "off")
        .output()
        .expect("run pufa");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The real server on `app`'s SQLite database, until dropped.
struct Served(std::process::Child, u16);

impl Served {
    fn start(app: &TestApp) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pufa"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("PUFA_DATABASE_URL", app.database_url())
            .env("PUFA_LIVE_SCORES", "memory")
            .env("PUFA_IMPORT_ON_START", "false")
            .env("PUFA_ADDRESS", "127.0.0.1")
            .env("PUFA_PORT", port.to_string())
            .env("PUFA_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start pufa");
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self(child, port);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("pufa did not start on port {port}");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Issue 17, acceptance 5: the list is fixed and its hash public before anyone can know the
/// beacon; the draw mixes the committed seed with the beacon; the bytes the server serves verify
/// as they are, and each kind of tampering fails with its reason.
#[rocket::async_test]
async fn a_draw_insiders_cannot_steer_verifies_from_the_served_bytes_and_tampering_fails() {
    let app = TestApp::plain().await;
    let admin = app.admin_token().await;
    let template =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/template.toml")).expect("fixture");
    assert_eq!(app.upload("format=toml", template, &admin).await.status, Status::Ok);
    let closes = (app.clock.now_for_tests() + chrono::Duration::hours(1)).to_rfc3339();
    let body =
        campaign("lucky", json!(["template"]), 2, &closes, json!({"mode": "lottery", "winners": 2, "min_score": 10}));
    assert_eq!(app.post("/api/v1/admin/campaigns", body, Some(&admin)).await.status, Status::Created);

    let before = app.get("/api/v1/campaigns/lucky/draw", None).await;
    assert_eq!(before.body["state"], "committed");
    let commitment = before.body["commitment"].as_str().expect("commitment published at once").to_owned();
    assert_eq!((&before.body["seed"], &before.body["eligible_sha256"]), (&Value::Null, &Value::Null));
    let early = app.post("/api/v1/admin/campaigns/lucky/draw", json!({"beacon": "x"}), Some(&admin)).await;
    assert_eq!((early.status, early.error_code()), (Status::Conflict, "campaign_still_open"));

    // Eight residents: the even ones answer the judge question right (10 points), the odd ones
    // wrong (0). Staff play too, and one qualifier's account is disabled before the close.
    let mut tokens = Vec::new();
    for i in 0..8 {
        // Phones verified by SMS: the prize is for verified phones (the default).
        let token = app.register_verified(&format!("1380000{i:04}"), "steppe-wind-1").await;
        assert_eq!(play_template(&app, "lucky", &token, i % 2 == 0).await, if i % 2 == 0 { 10 } else { 0 });
        tokens.push(token);
    }
    assert_eq!(play_template(&app, "lucky", &admin, true).await, 10);
    // Right answers from a phone nobody verified: on the board, not in the draw.
    let unverified = app.register("13800000099", "steppe-wind-1").await;
    assert_eq!(play_template(&app, "lucky", &unverified, true).await, 10);
    let disabled = app.get("/api/v1/me", Some(&tokens[6])).await.body["id"].as_i64().expect("id");
    let off = app.post(&format!("/api/v1/admin/users/{disabled}/disable"), json!(null), Some(&admin)).await;
    assert_eq!(off.status, Status::NoContent);

    // Closed, but a session started at the last minute may still finish: no list, no draw.
    app.clock.advance(chrono::Duration::hours(1));
    let unsettled = app.post("/api/v1/admin/campaigns/lucky/draw", json!({"beacon": "x"}), Some(&admin)).await;
    assert_eq!(
        (unsettled.status, unsettled.error_code()),
        (Status::Conflict, "eligible_not_fixed"),
        "{}",
        unsettled.text
    );
    assert!(unsettled.body["error"]["message"].as_str().is_some_and(|m| m.contains("名单")), "{}", unsettled.text);

    // The upkeep fixes the list once every session has settled and publishes its hash.
    app.clock.advance(chrono::Duration::minutes(15));
    let ops = app.state::<pufa::admin::AdminOps>();
    assert_eq!(ops.fix_due_eligible_lists().await.expect("fixed"), 1);
    assert_eq!(ops.fix_due_eligible_lists().await.expect("once"), 0);
    let fixed = app.get("/api/v1/campaigns/lucky/draw", None).await;
    assert_eq!(
        (fixed.body["state"].as_str(), fixed.body["eligible_count"].as_u64()),
        (Some("eligible_fixed"), Some(3))
    );
    let list: pufa::prize::eligibility::EligibleList =
        serde_json::from_value(fixed.body["eligible"].clone()).expect("list");
    assert_eq!(fixed.body["eligible_sha256"].as_str(), Some(list.sha256().as_str()), "anyone can hash the list");
    assert_eq!((&fixed.body["seed"], fixed.body["winners"].as_array().map(Vec::len)), (&Value::Null, Some(0)));
    assert!(!fixed.text.contains("1380000") && !fixed.text.contains("****"), "no phones in the public list");

    let no_beacon = app.post("/api/v1/admin/campaigns/lucky/draw", json!({}), Some(&admin)).await;
    assert_eq!((no_beacon.status, no_beacon.error_code()), (Status::UnprocessableEntity, "beacon_required"));
    let beacon = "双色球2026140期 03 07 12 19 25 31 + 09";
    let drawn = app.post("/api/v1/admin/campaigns/lucky/draw", json!({"beacon": beacon}), Some(&admin)).await;
    assert_eq!(drawn.status, Status::Ok, "{}", drawn.body);
    assert_eq!((drawn.body["state"].as_str(), drawn.body["beacon"].as_str()), (Some("drawn"), Some(beacon)));
    assert_eq!(drawn.body["eligible_sha256"], fixed.body["eligible_sha256"], "the list published before the beacon");
    let winners = drawn.body["winners"].as_array().expect("winners");
    assert_eq!(winners.len(), 2);
    for w in winners {
        assert!(w["phone_masked"].as_str().is_some_and(|p| p.contains("****")), "masked: {w}");
        assert_eq!(w["score"], 10);
    }
    let again = app.post("/api/v1/admin/campaigns/lucky/draw", json!({"beacon": "another"}), Some(&admin)).await;
    assert_eq!(again.body, drawn.body, "the same draw again, whatever beacon comes later");

    // Staff get the full list to reach winners; residents do not.
    let csv = app
        .client
        .get("/api/v1/admin/campaigns/lucky/draw/eligible.csv")
        .header(common::bearer(&admin))
        .dispatch()
        .await;
    assert_eq!(csv.status(), Status::Ok);
    let csv = csv.into_string().await.expect("csv");
    let mut qualified: Vec<String> = phones_of(&csv).into_iter().map(str::to_owned).collect();
    qualified.sort();
    assert_eq!(qualified, ["13800000000", "13800000002", "13800000004"], "even, not disabled, not staff");
    let refused = app.get("/api/v1/admin/campaigns/lucky/draw/eligible.csv", Some(&tokens[0])).await;
    assert_eq!(refused.status, Status::Forbidden);

    // The README's procedure on the real server: curl the record to a file, verify the file.
    let dir = tempfile::tempdir().expect("dir");
    let server = Served::start(&app);
    let script = format!(
        "curl -sf http://127.0.0.1:{}/api/v1/campaigns/lucky/draw > draw.json && {} draw verify draw.json",
        server.1,
        env!("CARGO_BIN_EXE_pufa")
    );
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env("PUFA_LOG", "off")
        .output()
        .expect("sh");
    drop(server);
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{script}\n{printed}{}", String::from_utf8_lossy(&out.stderr));
    assert!(printed.contains("OK") && printed.contains(&commitment) && printed.contains(beacon), "{printed}");
    let served: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("draw.json")).expect("file")).expect("json");

    // Each tampering fails, and says why.
    let tamper = |edit: &dyn Fn(&mut Value), reason: &str| {
        let mut record = served.clone();
        edit(&mut record);
        let (ok, printed) = verify_file(dir.path(), &record);
        assert!(!ok, "tampering passed; expected {reason}: {printed}");
        assert!(printed.contains(reason), "expected {reason:?}, got {printed}");
    };
    tamper(&|r| r["winners"][0]["display_name"] = json!("张三"), "a name or phone");
    tamper(&|r| r["winners"][0]["phone_masked"] = json!("139****0000"), "a name or phone");
    let loser = list
        .entrants
        .iter()
        .map(|e| e.entrant.clone())
        .find(|e| !winners.iter().any(|w| w["entrant"] == e.as_str()))
        .expect("a qualifier who did not win");
    tamper(&|r| r["winners"][1]["entrant"] = json!(loser), "other winners");
    tamper(&|r| r["seed"] = json!("1".repeat(64)), "commitment");
    tamper(&|r| r["beacon"] = json!("双色球2026141期 01 02 03 04 05 06 + 07"), "randomness");
    tamper(&|r| r["eligible"]["entrants"][0]["score"] = json!(5), "below the minimum 10");
    tamper(&|r| r["eligible"]["entrants"][0]["verified"] = json!(false), "not verified");
    tamper(
        &|r| {
            let mut staff = r["eligible"]["entrants"][0].clone();
            staff["entrant"] = json!("ffffffffffffffff");
            staff["role"] = json!("admin");
            r["eligible"]["entrants"].as_array_mut().expect("entrants").push(staff);
        },
        "staff account",
    );
    tamper(
        &|r| {
            let mut extra = r["eligible"]["entrants"][0].clone();
            extra["entrant"] = json!("ffffffffffffffff");
            r["eligible"]["entrants"].as_array_mut().expect("entrants").push(extra);
        },
        "hash was published",
    );
    tamper(&|r| r["eligible_count"] = json!(4), "eligible_count");

    // After the draw nothing about the campaign changes.
    let edit =
        campaign("lucky", json!(["template"]), 2, "2099-01-01T00:00:00+08:00", json!({"mode": "top", "winners": 1}));
    let locked = app.put("/api/v1/admin/campaigns/lucky", edit, Some(&admin)).await;
    assert_eq!((locked.status, locked.error_code()), (Status::Conflict, "campaign_locked"));
}

fn phones_of(csv: &str) -> Vec<&str> {
    csv.lines().skip(1).filter_map(|l| l.split(',').nth(3)).collect()
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
    let drawn = app.post("/api/v1/admin/campaigns/audited/draw", json!({"beacon": "drand 1"}), Some(&admin)).await;
    assert_eq!(drawn.status, Status::Ok, "{}", drawn.body);
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
        json!({"mode": "lottery", "winners": 1, "min_score": 0, "per_day": 1, "verified_only": false}),
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

    let drawn =
        app.post("/api/v1/admin/campaigns/daily-prizes/draw", json!({"beacon": "drand 5000000"}), Some(&admin)).await;
    assert_eq!(drawn.status, Status::Ok, "{}", drawn.body);
    let record: pufa::prize::draw::PublicDraw = serde_json::from_value(drawn.body).expect("record");
    let list = record.eligible.clone().expect("list");
    assert_eq!(list.days.len(), 2);
    let days: Vec<Option<&str>> = record.winners.iter().map(|w| w.day.as_deref()).collect();
    assert_eq!(days, [Some(list.days[0].day.as_str()), Some(list.days[1].day.as_str())], "one winner a day");
    let winners: std::collections::HashSet<&str> = record.winners.iter().map(|w| w.entrant.as_str()).collect();
    assert_eq!(winners.len(), 2, "one prize per person");
    assert!(pufa::prize::draw::verify(&record).is_ok());
    // Another of day two's qualifiers put in as its winner is caught.
    let mut forged = record.clone();
    if let Some(other) = list.days[1].entrants.iter().find(|e| e.entrant != record.winners[1].entrant) {
        forged.winners[1].entrant = other.entrant.clone();
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

/// Answers every question of a new session of `slug`, `gap` after the previous answer, then
/// finishes it. Returns the result.
async fn play_with_gap(app: &TestApp, slug: &str, token: &str, gap: chrono::Duration) -> Value {
    let session = app.post(&format!("/api/v1/campaigns/{slug}/sessions"), json!(null), Some(token)).await;
    assert_eq!(session.status, Status::Created, "{}", session.body);
    let id = session.body["id"].as_str().expect("id").to_owned();
    for q in session.body["questions"].as_array().expect("questions") {
        let choice = if q["kind"] == "judge" { json!(true) } else { json!("A") };
        app.clock.advance(gap);
        let path = format!("/api/v1/sessions/{id}/answers/{}", q["position"]);
        assert_eq!(app.put(&path, json!({"choice": choice}), Some(token)).await.status, Status::Ok);
    }
    app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(token)).await.body
}

/// The names on a board, once the board writer has caught up with `expected` entries.
async fn board_names(app: &TestApp, path: &str, expected: usize) -> Vec<String> {
    let mut names = Vec::new();
    for _ in 0..40 {
        let board = app.get(path, None).await.body;
        names = board["entries"]
            .as_array()
            .map(|e| e.iter().filter_map(|x| x["display_name"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        if names.len() == expected {
            break;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    names.sort();
    names
}

/// Issue 17, acceptance 3: a script answering within 50 ms finishes but is on no board and in no
/// draw, and its result says why; a resident who reads (3 s an answer) is. Staff see the flagged
/// attempt, and clearing one (audited) puts it on the boards, until the list is fixed.
#[rocket::async_test]
async fn a_bot_is_on_no_board_and_in_no_draw_and_a_paced_resident_is() {
    let app = TestApp::plain().await;
    let admin = app.admin_token().await;
    let closes = (app.clock.now_for_tests() + chrono::Duration::hours(1)).to_rfc3339();
    let banks = json!(["civil-code-marriage", "civil-code-succession"]);
    let prize = json!({"mode": "lottery", "winners": 5, "min_score": 0, "verified_only": false});
    let body = campaign("bot-watch", banks, 5, &closes, prize);
    assert_eq!(app.post("/api/v1/admin/campaigns", body, Some(&admin)).await.status, Status::Created);
    let mut names = Vec::new();
    for (phone, name) in [("13811110001", "读题的牧民"), ("13811110002", "脚本甲"), ("13811110003", "脚本乙")]
    {
        let body = json!({"phone": phone, "password": "steppe-wind-1", "display_name": name,
            "region_code": common::VILLAGE, "consent": true});
        let registered = app.post("/api/v1/auth/register", body, None).await;
        assert_eq!(registered.status, Status::Created, "{}", registered.body);
        names.push(registered.body["token"].as_str().expect("token").to_owned());
    }
    let paced = play_with_gap(&app, "bot-watch", &names[0], chrono::Duration::seconds(3)).await;
    assert!(paced.get("flagged").is_none() && paced["prize"]["eligible"] == true, "{paced}");
    for bot in &names[1..] {
        let result = play_with_gap(&app, "bot-watch", bot, chrono::Duration::milliseconds(50)).await;
        assert!(result["flagged"].as_str().is_some_and(|r| r.contains("不计入排行榜")), "{result}");
        assert_eq!(result["prize"]["eligible"], false, "{result}");
        assert_eq!(result["rank"], Value::Null, "not on the board: {result}");
    }
    assert_eq!(board_names(&app, "/api/v1/campaigns/bot-watch/leaderboard", 1).await, ["读题的牧民"]);
    assert_eq!(board_names(&app, "/api/v1/campaigns/bot-watch/leaderboard?day=today", 1).await, ["读题的牧民"]);

    // Staff see both scripts, and clear one after checking (say, a fast reader they know).
    let flagged = app.get("/api/v1/admin/campaigns/bot-watch/flagged", Some(&admin)).await;
    let listed = flagged.body.as_array().expect("list");
    assert_eq!(listed.len(), 2, "{}", flagged.body);
    assert!(
        listed
            .iter()
            .all(|f| f["quick_answers"] == 5 && f["phone_masked"].as_str().is_some_and(|p| p.contains("****")))
    );
    let second = listed.iter().find(|f| f["display_name"] == "脚本乙").expect("listed");
    let id = second["session_id"].as_str().expect("id");
    let resident = app.post(&format!("/api/v1/admin/sessions/{id}/clear-flag"), json!(null), Some(&names[0])).await;
    assert_eq!(resident.status, Status::Forbidden);
    let cleared = app.post(&format!("/api/v1/admin/sessions/{id}/clear-flag"), json!(null), Some(&admin)).await;
    assert_eq!(cleared.status, Status::Ok, "{}", cleared.body);
    assert!(cleared.body["cleared_at"].is_string());
    assert_eq!(board_names(&app, "/api/v1/campaigns/bot-watch/leaderboard", 2).await, ["脚本乙", "读题的牧民"]);
    let paced_id: String = pufa::db::entity::quiz_session::Entity::find()
        .all(app.db())
        .await
        .expect("sessions")
        .into_iter()
        .find(|s| s.quick_answers == 0)
        .expect("the paced attempt")
        .id;
    let not_flagged =
        app.post(&format!("/api/v1/admin/sessions/{paced_id}/clear-flag"), json!(null), Some(&admin)).await;
    assert_eq!((not_flagged.status, not_flagged.error_code()), (Status::Conflict, "not_flagged"));
    let log = app.get("/api/v1/admin/audit?limit=100", Some(&admin)).await;
    assert!(log.body.as_array().expect("log").iter().any(|e| e["action"] == "session.clear_flag" && e["target"] == id));

    // The draw: the paced resident and the cleared script, never the other script.
    app.clock.advance(chrono::Duration::hours(2));
    app.state::<pufa::admin::AdminOps>().fix_due_eligible_lists().await.expect("fixed");
    let drawn = app.post("/api/v1/admin/campaigns/bot-watch/draw", json!({"beacon": "drand 42"}), Some(&admin)).await;
    assert_eq!(drawn.status, Status::Ok, "{}", drawn.body);
    assert_eq!(drawn.body["eligible_count"], 2);
    let won: Vec<&str> =
        drawn.body["winners"].as_array().expect("winners").iter().filter_map(|w| w["display_name"].as_str()).collect();
    assert!(!won.contains(&"脚本甲") && won.len() == 2, "{won:?}");
    // Once the list is public, a flag stays.
    let first = listed.iter().find(|f| f["display_name"] == "脚本甲").expect("listed");
    let late = app
        .post(
            &format!("/api/v1/admin/sessions/{}/clear-flag", first["session_id"].as_str().expect("id")),
            json!(null),
            Some(&admin),
        )
        .await;
    assert_eq!((late.status, late.error_code()), (Status::Conflict, "eligible_fixed"));
}

/// Issue 17, acceptance 4: once open, a locked field is refused with 409 `campaign_locked` in
/// words a clerk reads; the title and a later close may change; after the draw nothing may; and
/// the audit log holds each change before and after.
#[rocket::async_test]
async fn rules_stay_frozen_while_open_and_after_the_draw_and_the_audit_log_shows_the_diffs() {
    let app = TestApp::plain().await;
    let admin = app.admin_token().await;
    let now = app.clock.now_for_tests();
    let closes = (now + chrono::Duration::hours(1)).to_rfc3339();
    let body = campaign("frozen", json!([]), 5, &closes, json!({"mode": "lottery", "winners": 1, "min_score": 0}));
    assert_eq!(app.post("/api/v1/admin/campaigns", body.clone(), Some(&admin)).await.status, Status::Created);
    for (field, value) in [
        ("question_count", json!(6)),
        ("points_per_question", json!(20)),
        ("prize", json!({"mode": "lottery", "winners": 1, "min_score": 50})),
        ("opens_at", json!("2020-01-02T00:00:00+08:00")),
        ("closes_at", json!((now + chrono::Duration::minutes(30)).to_rfc3339())),
    ] {
        let mut edit = body.clone();
        edit[field] = value;
        let refused = app.put("/api/v1/admin/campaigns/frozen", edit, Some(&admin)).await;
        assert_eq!((refused.status, refused.error_code()), (Status::Conflict, "campaign_locked"), "{field}");
        let message = refused.body["error"]["message"].as_str().expect("message");
        assert!(!message.contains(field) && message.contains("活动已经开始"), "{field}: {message}");
    }
    let mut words = body.clone();
    words["title"] = json!("民法典知识答题（延长一天）");
    words["closes_at"] = json!((now + chrono::Duration::hours(25)).to_rfc3339());
    let saved = app.put("/api/v1/admin/campaigns/frozen", words.clone(), Some(&admin)).await;
    assert_eq!(saved.status, Status::Ok, "{}", saved.body);

    app.clock.advance(chrono::Duration::hours(26));
    app.state::<pufa::admin::AdminOps>().fix_due_eligible_lists().await.expect("fixed");
    let drawn = app.post("/api/v1/admin/campaigns/frozen/draw", json!({"beacon": "drand 7"}), Some(&admin)).await;
    assert_eq!(drawn.status, Status::Ok, "{}", drawn.body);
    let mut reopen = words.clone();
    reopen["closes_at"] = json!("2099-01-01T00:00:00+08:00");
    let after = app.put("/api/v1/admin/campaigns/frozen", reopen, Some(&admin)).await;
    assert_eq!((after.status, after.error_code()), (Status::Conflict, "campaign_locked"));
    let mut retitled = words.clone();
    retitled["title"] = json!("改个名");
    assert_eq!(app.put("/api/v1/admin/campaigns/frozen", retitled, Some(&admin)).await.status, Status::Conflict);
    assert_eq!(
        app.get("/api/v1/campaigns/frozen", None).await.body["state"],
        "closed",
        "the draw's campaign stays closed"
    );

    let log = app.get("/api/v1/admin/audit?limit=100", Some(&admin)).await;
    let update =
        log.body.as_array().expect("log").iter().find(|e| e["action"] == "campaign.update").expect("audited").clone();
    let changes = update["details"]["changes"].as_array().expect("changes");
    let title = changes.iter().find(|c| c["field"] == "title").expect("title diff");
    assert_eq!(
        (title["before"].as_str(), title["after"].as_str()),
        (Some("测试活动"), Some("民法典知识答题（延长一天）"))
    );
    assert!(changes.iter().any(|c| c["field"] == "closes_at"), "{changes:?}");
    assert_eq!(changes.len(), 2, "only what changed: {changes:?}");
}
