//! Sealed banks (issue 17): a bank uploaded for a final is drawn only by campaigns that name it,
//! and nothing a resident can reach outside a campaign session shows one of its questions.

mod common;

use chrono::Duration;
use common::TestApp;
use pufa::db::entity::{bank as bank_row, question as question_row, question_revision as revision_row};
use rocket::http::Status;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

/// Every sealed stem carries this, so a harvest only has to search for it.
const MARK: &str = "决赛保密题";
const SEALED: &str = "final-2026";
const FINAL: &str = "2026-final";

/// A sealed bank: 20 single-choice questions of 婚姻家庭 (a category study banks have) and 10
/// judge questions of a category of its own, whose answer is always 对.
fn sealed_bank() -> Vec<u8> {
    let mut text = format!("[bank]\nkey = \"{SEALED}\"\ntitle = \"决赛专用题库（保密）\"\nvisibility = \"sealed\"\n");
    for i in 0..20 {
        text.push_str(&format!(
            "\n[[questions]]\nkey = \"s-{i:02}\"\nkind = \"single\"\ncategory = \"婚姻家庭\"\ndifficulty = 2\n\
             stem = \"{MARK}{i}：结婚年龄？\"\noptions = [\"甲{i}\", \"乙\", \"丙\"]\nanswer = \"B\"\n\
             explanation = \"解析{i}\"\nbasis = [\"民法典第1047条\"]\n"
        ));
    }
    for i in 20..30 {
        text.push_str(&format!(
            "\n[[questions]]\nkey = \"s-{i:02}\"\nkind = \"judge\"\ncategory = \"决赛专题\"\ndifficulty = 3\n\
             stem = \"{MARK}{i}：离婚冷静期是三十日。\"\nanswer = true\nexplanation = \"解析{i}\"\n\
             basis = [\"民法典第1077条\"]\n"
        ));
    }
    text.into_bytes()
}

/// A published campaign, open now for a day, that draws 5 judge questions from the sealed bank.
async fn final_campaign(app: &TestApp, admin: &str) {
    let now = app.clock.now_for_tests();
    let campaign = json!({
        "slug": FINAL, "title": "2026年决赛", "question_count": 5,
        "opens_at": (now - Duration::hours(1)).to_rfc3339(), "closes_at": (now + Duration::days(1)).to_rfc3339(),
        "quotas": [{"category": "决赛专题", "count": 5}], "banks": [SEALED], "time_limit_secs": 600,
        "attempts_per_day": 3, "max_attempts": 0, "points_per_question": 5, "reveal": "at_end", "ranking": "best",
        "prize": {"mode": "top", "winners": 1}, "published": true
    });
    let reply = app.post("/api/v1/admin/campaigns", campaign, Some(admin)).await;
    assert_eq!(reply.status, Status::Created, "{}", reply.body);
}

/// A resident plays the final and answers every question wrong (错 where 对 is right).
async fn play_the_final_wrongly(app: &TestApp, resident: &str) {
    let started = app.post(&format!("/api/v1/campaigns/{FINAL}/sessions"), json!({}), Some(resident)).await;
    assert_eq!(started.status, Status::Created, "{}", started.body);
    assert!(started.text.contains(MARK), "the final draws from the sealed bank it names");
    let id = started.body["id"].as_str().expect("id").to_owned();
    for position in 1..=5 {
        let reply = app
            .put(&format!("/api/v1/sessions/{id}/answers/{position}"), json!({"choice": false}), Some(resident))
            .await;
        assert_eq!(reply.status, Status::Ok, "{}", reply.body);
    }
    let finished = app.post(&format!("/api/v1/sessions/{id}/finish"), json!({}), Some(resident)).await;
    assert_eq!(finished.status, Status::Ok, "{}", finished.body);
}

on_every_database!(
    nothing_sealed_leaks_anywhere_a_resident_can_look,
    a_sealed_bank_is_released_only_when_its_campaigns_closed
);

async fn nothing_sealed_leaks_anywhere_a_resident_can_look(app: TestApp) {
    let admin = app.admin_token().await;
    let uploaded = app.upload("format=toml", sealed_bank(), &admin).await;
    assert_eq!(uploaded.status, Status::Ok, "{}", uploaded.body);
    assert_eq!(uploaded.body["bank"]["visibility"], "sealed");
    // `visibility=sealed` on an upload seals a spreadsheet bank too.
    let template =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/question-bank/templates/template.csv")).expect("csv");
    let sheet = app.upload("format=csv&bank=final-sheet&visibility=sealed", template, &admin).await;
    assert_eq!(sheet.body["bank"]["visibility"], "sealed", "{}", sheet.body);
    // A retired and a superseded revision in a study bank.
    let study = |stem: &str, keys: &[&str]| {
        let mut text = String::from("[bank]\nkey = \"study-x\"\ntitle = \"练习\"\n");
        for key in keys {
            text.push_str(&format!(
                "\n[[questions]]\nkey = \"{key}\"\nkind = \"judge\"\ncategory = \"总则\"\ndifficulty = 1\nstem = \"{stem}{key}\"\n\
                 answer = true\nexplanation = \"解析\"\nbasis = [\"民法典第1条\"]\n"
            ));
        }
        text.into_bytes()
    };
    app.upload("format=toml", study("旧的", &["x1", "x2"]), &admin).await;
    let replaced = app.upload("format=toml&mode=replace", study("新的", &["x1"]), &admin).await;
    assert_eq!((replaced.body["updated"].as_u64(), replaced.body["retired"].as_u64()), (Some(1), Some(1)));
    final_campaign(&app, &admin).await;
    let resident = app.register("13900000021", "password-21").await;
    play_the_final_wrongly(&app, &resident).await;

    let mut harvest = String::new();
    let categories = app.get("/api/v1/categories", None).await;
    // Study banks only: the 52 shipped questions of each 编, and study-x's one of 总则; not the
    // sealed bank's 20 of 婚姻家庭 nor its own category.
    let counts: Vec<(&str, u64)> = categories
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|c| (c["name"].as_str().unwrap_or(""), c["questions"].as_u64().unwrap_or(0)))
        .collect();
    let expected: Vec<(&str, u64)> =
        pufa::bank::CODE_BOOKS.iter().map(|b| (*b, if *b == "总则" { 53 } else { 52 })).collect();
    assert_eq!(counts, expected, "categories count study banks only");
    harvest.push_str(&categories.text);
    let mut names: Vec<String> = categories
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect();
    names.push("决赛专题".into());
    for token in [None, Some(resident.as_str())] {
        for name in &names {
            let category = urlencode(name);
            for _ in 0..5 {
                harvest.push_str(&app.get(&format!("/api/v1/practice?category={category}&count=50"), token).await.text);
            }
            harvest
                .push_str(&app.get(&format!("/api/v1/practice/pack?category={category}&count=200"), token).await.text);
        }
        for _ in 0..10 {
            harvest.push_str(&app.get("/api/v1/practice?count=50", token).await.text);
            harvest.push_str(&app.get("/api/v1/practice/pack?count=200", token).await.text);
        }
    }
    for _ in 0..40 {
        harvest.push_str(&app.get("/api/v1/daily", None).await.text);
        app.clock.advance(Duration::days(1));
    }
    let mistakes = app.get("/api/v1/me/mistakes", Some(&resident)).await;
    assert_eq!(mistakes.status, Status::Ok);
    harvest.push_str(&mistakes.text);
    assert!(!harvest.contains(MARK), "a sealed question leaked outside its campaign");
    assert!(harvest.contains("新的x1") && !harvest.contains("旧的"), "the harvest reached the study banks");

    // Every revision ever stored, graded as practice: only current, active revisions of study banks.
    let db = app.db();
    let banks = bank_row::Entity::find().all(db).await.expect("banks");
    let current: std::collections::HashMap<(String, String), (i32, String)> = question_row::Entity::find()
        .all(db)
        .await
        .expect("questions")
        .into_iter()
        .map(|q| ((q.bank_key, q.key), (q.revision, q.status)))
        .collect();
    let revisions = revision_row::Entity::find().all(db).await.expect("revisions");
    let mut graded = 0;
    for row in &revisions {
        let options: Vec<String> = serde_json::from_str(&row.options).expect("options");
        let order: String = (0..options.len()).map(|i| char::from(b'0' + i as u8)).collect();
        let choice = if options.is_empty() { json!(true) } else { json!("A") };
        let reply = app
            .post(
                "/api/v1/practice/answers",
                json!({"question_id": format!("{}-{order}", row.id), "choice": choice}),
                None,
            )
            .await;
        let sealed = banks.iter().any(|b| b.key == row.bank_key && b.visibility == "sealed");
        let live = current.get(&(row.bank_key.clone(), row.key.clone())) == Some(&(row.revision, "active".to_owned()));
        let expected = if sealed || !live { Status::NotFound } else { Status::Ok };
        assert_eq!(reply.status, expected, "revision {} of {} ({}): {}", row.id, row.bank_key, row.key, reply.text);
        assert!(!reply.text.contains(MARK));
        graded += usize::from(reply.status == Status::Ok);
    }
    assert!(graded >= 364, "the study banks were graded: {graded}");
    assert!(revisions.iter().filter(|r| r.bank_key == SEALED).count() == 30);
}

async fn a_sealed_bank_is_released_only_when_its_campaigns_closed(app: TestApp) {
    let admin = app.admin_token().await;
    app.upload("format=toml", sealed_bank(), &admin).await;
    final_campaign(&app, &admin).await;
    let resident = app.register("13900000022", "password-22").await;
    play_the_final_wrongly(&app, &resident).await;
    let mistakes = app.get("/api/v1/me/mistakes", Some(&resident)).await;
    assert!(!mistakes.text.contains(MARK), "kept, but not shown while sealed: {}", mistakes.text);

    let path = format!("/api/v1/admin/banks/{SEALED}/visibility");
    let refused = app.put(&path, json!({"visibility": "study"}), Some(&admin)).await;
    assert_eq!((refused.status, refused.error_code()), (Status::Conflict, "bank_in_use"), "{}", refused.body);
    assert_eq!(refused.body["error"]["campaign"], FINAL);

    // Sealing a bank the running demo campaign (banks = []) needs would starve it.
    let seal = app
        .put("/api/v1/admin/banks/civil-code-marriage/visibility", json!({"visibility": "sealed"}), Some(&admin))
        .await;
    assert_eq!((seal.status, seal.error_code()), (Status::Conflict, "bank_in_use"), "{}", seal.body);
    assert_eq!(seal.body["error"]["campaign"], "2023-civil-code-month");
    let unknown = app.put("/api/v1/admin/banks/nope/visibility", json!({"visibility": "study"}), Some(&admin)).await;
    assert_eq!(unknown.status, Status::NotFound);
    let bad = app.put(&path, json!({"visibility": "public"}), Some(&admin)).await;
    assert_eq!(bad.status, Status::UnprocessableEntity);

    app.clock.advance(Duration::days(2));
    let released = app.put(&path, json!({"visibility": "study"}), Some(&admin)).await;
    assert_eq!(released.status, Status::Ok, "{}", released.body);
    assert_eq!(released.body, json!({"key": SEALED, "visibility": "study"}));
    let audit = app.get("/api/v1/admin/audit?limit=100", Some(&admin)).await;
    let entry = audit.body.as_array().into_iter().flatten().find(|e| e["action"] == "bank.visibility").cloned();
    let entry: Value = entry.unwrap_or_else(|| panic!("no audit entry: {}", audit.body));
    assert_eq!(
        (entry["target"].as_str(), entry["details"].clone()),
        (Some(SEALED), json!({"before": "sealed", "after": "study"}))
    );
    let categories = app.get("/api/v1/categories", None).await;
    assert!(categories.text.contains("决赛专题"), "released: {}", categories.text);
    let mistakes = app.get("/api/v1/me/mistakes", Some(&resident)).await;
    assert!(mistakes.text.contains(MARK), "the kept mistakes show once released: {}", mistakes.text);
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}
