//! The heart of the product: campaigns, fair random quizzes against a server clock, answers that
//! are never lost, and learning from each explanation.

mod common;

use std::collections::{HashMap, HashSet};

use common::{Reply, TestApp};
use pufa::quiz::{Quiz, draw_questions};
use rocket::http::Status;
use serde_json::{Value, json};

const DEMO: &str = "2023-civil-code-month";

async fn start(app: &TestApp, token: &str) -> Reply {
    app.post(&format!("/api/v1/campaigns/{DEMO}/sessions"), json!(null), Some(token)).await
}

/// Answers every question of a session with "A" (or true) and returns how many were right.
async fn answer_all(app: &TestApp, session: &Value, token: &str) -> u64 {
    let id = session["id"].as_str().expect("id");
    let mut right = 0;
    for q in session["questions"].as_array().expect("questions") {
        let choice = if q["kind"] == "judge" { json!(true) } else { json!("A") };
        let position = q["position"].as_u64().expect("position");
        // A person reads each question before answering (`plausibility`).
        app.clock.advance(chrono::Duration::seconds(3));
        let reply =
            app.put(&format!("/api/v1/sessions/{id}/answers/{position}"), json!({"choice": choice}), Some(token)).await;
        assert_eq!(reply.status, Status::Ok, "{}", reply.body);
        assert_eq!(reply.body["accepted"], true);
        if reply.body["correct"] == true {
            right += 1;
        }
    }
    right
}

on_every_database!(
    a_resident_plays_the_whole_campaign_story,
    answers_are_final_idempotent_and_checked,
    twenty_concurrent_starts_yield_exactly_one_session,
    two_instances_share_one_session_and_sql_settles_every_race,
    a_burst_of_answers_lands_in_shared_commits_and_each_question_keeps_one_answer,
    a_finish_sent_among_answers_and_starts_counts_exactly_the_answers_it_acknowledged,
);

async fn a_resident_plays_the_whole_campaign_story(app: TestApp) {
    let token = app.register("13812340001", "password-1").await;

    let campaigns = app.get("/api/v1/campaigns", None).await;
    let demo =
        campaigns.body.as_array().expect("list").iter().find(|c| c["slug"] == DEMO).expect("demo campaign").clone();
    assert_eq!((demo["state"].as_str(), demo["question_count"].as_u64()), (Some("open"), Some(20)));
    let detail = app.get(&format!("/api/v1/campaigns/{DEMO}"), Some(&token)).await;
    assert_eq!(detail.body["me"]["attempts_left"], 3);

    // Start, then "reload" the page: the same quiz comes back.
    let started = start(&app, &token).await;
    assert_eq!(started.status, Status::Created, "{}", started.body);
    let session = started.body;
    let questions = session["questions"].as_array().expect("questions");
    assert_eq!(questions.len(), 20);
    let categories: HashSet<&str> = questions.iter().filter_map(|q| q["category"].as_str()).collect();
    assert_eq!(categories.len(), 7, "all seven 编 are mixed in");
    let id = session["id"].as_str().expect("id").to_owned();
    let reloaded = app.get(&format!("/api/v1/sessions/{id}"), Some(&token)).await;
    assert_eq!(reloaded.body["questions"], session["questions"]);
    let again = start(&app, &token).await;
    assert_eq!((again.status, again.error_code()), (Status::Conflict, "session_in_progress"));
    assert_eq!(again.body["error"]["session_id"], id.as_str());

    let right = answer_all(&app, &session, &token).await;
    let metrics = app.get("/metrics", None).await.text;
    assert!(
        metrics.contains("pufa_answers_accepted_total 20") && metrics.contains("pufa_live_sessions 1"),
        "{metrics}"
    );
    let result = app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(&token)).await;
    assert_eq!(result.status, Status::Ok, "{}", result.body);
    assert_eq!((result.body["total"].as_u64(), result.body["correct"].as_u64()), (Some(20), Some(right)));
    assert_eq!(result.body["score"].as_u64(), Some(right * 5));
    assert_eq!(result.body["rank"], 1);
    let review = result.body["review"].as_array().expect("review");
    assert_eq!(review.len(), 20);
    assert!(review.iter().all(|r| r["explanation"].as_str().is_some_and(|e| !e.is_empty()) && r["basis"].is_array()));
    let twice = app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(&token)).await;
    assert_eq!(twice.body, result.body, "finishing twice returns the same result");

    // Second and third attempts today work; the fourth is refused.
    for attempt in 2..=3 {
        let next = start(&app, &token).await;
        assert_eq!(next.status, Status::Created, "attempt {attempt}: {}", next.body);
        assert_eq!(next.body["attempt"], attempt);
        let next_id = next.body["id"].as_str().expect("id");
        app.post(&format!("/api/v1/sessions/{next_id}/finish"), json!(null), Some(&token)).await;
    }
    let fourth = start(&app, &token).await;
    assert_eq!((fourth.status, fourth.error_code()), (Status::Conflict, "attempt_limit_reached"));
    let detail = app.get(&format!("/api/v1/campaigns/{DEMO}"), Some(&token)).await;
    assert_eq!(
        (detail.body["me"]["attempts_left"].as_u64(), detail.body["me"]["best"].as_u64()),
        (Some(0), Some(right * 5))
    );

    // A new Asia/Shanghai day brings new attempts.
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(start(&app, &token).await.status, Status::Created);
}

async fn answers_are_final_idempotent_and_checked(app: TestApp) {
    let token = app.register("13812340002", "password-1").await;
    let session = start(&app, &token).await.body;
    let id = session["id"].as_str().expect("id");
    let single = session["questions"].as_array().expect("qs").iter().find(|q| q["kind"] == "single").expect("a single");
    let path = format!("/api/v1/sessions/{id}/answers/{}", single["position"]);

    let first = app.put(&path, json!({"choice": "B"}), Some(&token)).await;
    assert_eq!(first.status, Status::Ok);
    let replay = app.put(&path, json!({"choice": "B"}), Some(&token)).await;
    assert_eq!((replay.status, &replay.body), (Status::Ok, &first.body), "a replayed answer is answered the same");
    let changed = app.put(&path, json!({"choice": "C"}), Some(&token)).await;
    assert_eq!((changed.status, changed.error_code()), (Status::Conflict, "already_answered"));

    for bad in [json!({"choice": "AB"}), json!({"choice": "Z"}), json!({"choice": true}), json!({"choice": ""})] {
        let other = session["questions"]
            .as_array()
            .expect("qs")
            .iter()
            .find(|q| q["kind"] == "single" && q["position"] != single["position"])
            .expect("another single");
        let reply =
            app.put(&format!("/api/v1/sessions/{id}/answers/{}", other["position"]), bad.clone(), Some(&token)).await;
        assert_eq!((reply.status, reply.error_code()), (Status::UnprocessableEntity, "invalid_choice"), "{bad}");
    }
    let nowhere = app.put(&format!("/api/v1/sessions/{id}/answers/99"), json!({"choice": "A"}), Some(&token)).await;
    assert_eq!(nowhere.status, Status::NotFound);
    let malformed = app.send_raw(rocket::http::Method::Put, &path, b"{\"choice\":".to_vec(), Some(&token)).await;
    assert_eq!(malformed.error_code(), "malformed_json");

    // The stored answer is in SQL: a new app instance over the same rows would see it.
    let stored = pufa::db::entity::session_question::Entity::find_by_id((
        id.to_owned(),
        i32::try_from(single["position"].as_i64().expect("pos")).expect("i32"),
    ))
    .one(app.db())
    .await
    .expect("query")
    .expect("row");
    assert_eq!(stored.choice.as_deref(), Some("B"));
}

use sea_orm::EntityTrait;

async fn twenty_concurrent_starts_yield_exactly_one_session(app: TestApp) {
    let token = app.register("13812340003", "password-1").await;
    let path = format!("/api/v1/campaigns/{DEMO}/sessions");
    let requests = (0..20).map(|_| app.client.post(path.clone()).header(common::bearer(&token)).dispatch());
    let replies = rocket::futures::future::join_all(requests).await;
    let mut created = 0;
    let mut conflicts = HashSet::new();
    for reply in replies {
        match reply.status() {
            Status::Created => created += 1,
            Status::Conflict => {
                let body: Value = serde_json::from_str(&reply.into_string().await.unwrap_or_default()).expect("json");
                assert_eq!(body["error"]["code"], "session_in_progress");
                conflicts.insert(body["error"]["session_id"].as_str().expect("id").to_owned());
            }
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 1);
    assert!(conflicts.len() <= 1, "every refusal names the one session: {conflicts:?}");
    let sessions = pufa::db::entity::quiz_session::Entity::find().all(app.db()).await.expect("sessions");
    assert_eq!(sessions.len(), 1);
}

fn at_end_campaign(slug: &str) -> Value {
    json!({
        "slug": slug, "title": "现场知识竞赛", "description": "",
        "opens_at": "2020-01-01T00:00:00+08:00", "closes_at": "2099-01-01T00:00:00+08:00",
        "question_count": 10, "quotas": [], "banks": ["civil-code-marriage", "civil-code-succession"],
        "time_limit_secs": 300, "attempts_per_day": 1, "max_attempts": 1, "points_per_question": 10,
        "reveal": "at_end", "ranking": "best", "prize": {"mode": "top", "winners": 3}, "published": true
    })
}

#[rocket::async_test]
async fn an_unfinished_at_end_session_never_shows_a_key_and_strangers_see_nothing() {
    let app = TestApp::plain().await;
    let admin = app.admin_token().await;
    let created = app.post("/api/v1/admin/campaigns", at_end_campaign("live-contest"), Some(&admin)).await;
    assert_eq!(created.status, Status::Created, "{}", created.body);

    let token = app.register("13812340004", "password-1").await;
    let started = app.post("/api/v1/campaigns/live-contest/sessions", json!(null), Some(&token)).await;
    let id = started.body["id"].as_str().expect("id").to_owned();
    let quiz = app.state::<Quiz>();
    let mut raw = vec![started.text.clone()];
    for q in started.body["questions"].as_array().expect("qs") {
        let choice = if q["kind"] == "judge" { json!(false) } else { json!("B") };
        raw.push(
            app.put(
                &format!("/api/v1/sessions/{id}/answers/{}", q["position"]),
                json!({"choice": choice}),
                Some(&token),
            )
            .await
            .text,
        );
        raw.push(app.get(&format!("/api/v1/sessions/{id}"), Some(&token)).await.text);
    }
    raw.push(app.get("/api/v1/campaigns/live-contest", Some(&token)).await.text);
    // The explanations of the drawn questions, from the bank itself.
    let drawn = pufa::db::entity::session_question::Entity::find().all(app.db()).await.expect("rows");
    let banks = app.state::<pufa::bank::Banks>();
    let explanations: Vec<String> =
        drawn.iter().filter_map(|r| banks.index().get(r.revision_id)).map(|q| q.explanation.clone()).collect();
    assert_eq!(explanations.len(), 10);
    for text in &raw {
        for key in ["\"answer\"", "\"explanation\"", "\"correct\"", "\"basis\""] {
            assert!(!text.contains(key), "{key} leaked before the end: {text}");
        }
        for explanation in &explanations {
            assert!(!text.contains(explanation.as_str()), "an explanation leaked");
        }
        assert!(!text.contains("\"score\":0") && !text.contains("\"score\":10"), "the running score leaked: {text}");
    }
    let _ = quiz;

    let stranger = app.register("13812340005", "password-1").await;
    assert_eq!(app.get(&format!("/api/v1/sessions/{id}"), Some(&stranger)).await.status, Status::NotFound);
    let answer = app.put(&format!("/api/v1/sessions/{id}/answers/1"), json!({"choice": "A"}), Some(&stranger)).await;
    assert_eq!(answer.status, Status::NotFound);
    let finish = app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(&stranger)).await;
    assert_eq!(finish.status, Status::NotFound);

    let result = app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(&token)).await;
    assert!(result.body["review"].as_array().expect("review").iter().all(|r| r["explanation"].is_string()));
}

#[rocket::async_test]
async fn past_the_deadline_an_answer_is_refused_and_earlier_answers_count() {
    let app = TestApp::plain().await;
    let token = app.register("13812340006", "password-1").await;
    let session = start(&app, &token).await.body;
    let id = session["id"].as_str().expect("id");
    let qs = session["questions"].as_array().expect("qs");
    let answer = |q: &Value| {
        let choice = if q["kind"] == "judge" { json!(true) } else { json!("A") };
        (format!("/api/v1/sessions/{id}/answers/{}", q["position"]), json!({"choice": choice}))
    };
    let mut right = 0;
    for q in &qs[..2] {
        let (path, body) = answer(q);
        let reply = app.put(&path, body, Some(&token)).await;
        right += u64::from(reply.body["correct"] == true);
    }
    // Inside the grace period an answer still counts (a slow network must not cost a point).
    app.clock.advance(chrono::Duration::seconds(600 + 3));
    let (path, body) = answer(&qs[2]);
    let late_but_graced = app.put(&path, body, Some(&token)).await;
    assert_eq!(late_but_graced.status, Status::Ok);
    right += u64::from(late_but_graced.body["correct"] == true);

    app.clock.advance(chrono::Duration::seconds(3));
    let (path, body) = answer(&qs[3]);
    let too_late = app.put(&path, body, Some(&token)).await;
    assert_eq!((too_late.status, too_late.error_code()), (Status::Gone, "session_expired"));

    let view = app.get(&format!("/api/v1/sessions/{id}"), Some(&token)).await;
    assert_eq!(view.body["finished"], true);
    assert_eq!(view.body["result"]["correct"].as_u64(), Some(right));
    assert_eq!(view.body["result"]["duration_ms"], 600_000, "the clock stops at the deadline");
    assert_eq!(view.body["questions"].as_array().expect("qs").iter().filter(|q| q["answered"] == true).count(), 3);
}

#[rocket::async_test]
async fn the_sweeper_finishes_abandoned_sessions() {
    let app = TestApp::plain().await;
    let token = app.register("13812340007", "password-1").await;
    start(&app, &token).await;
    let quiz = app.state::<Quiz>();
    assert_eq!(quiz.sweep_expired().await.expect("sweep"), 0);
    app.clock.advance(chrono::Duration::minutes(11));
    assert_eq!(quiz.sweep_expired().await.expect("sweep"), 1);
    let sessions = pufa::db::entity::quiz_session::Entity::find().all(app.db()).await.expect("sessions");
    assert!(sessions[0].finished_at.is_some() && sessions[0].in_progress_key.is_none());
}

async fn demo_rule(app: &TestApp) -> pufa::quiz::DrawRule {
    app.state::<Quiz>().published(DEMO).await.expect("demo").rule()
}

#[rocket::async_test]
async fn ten_thousand_draws_are_uniform_meet_quotas_and_place_answers_evenly() {
    let app = TestApp::plain().await;
    let banks = app.state::<pufa::bank::Banks>();
    let index = banks.index();
    let rule = demo_rule(&app).await;
    let draws = 10_000u32;
    let mut frequency: HashMap<i64, u32> = HashMap::new();
    let mut answer_position = [0u32; 4];
    let mut singles = 0u32;
    for _ in 0..draws {
        let drawn = draw_questions(index, &rule, &HashSet::new(), pufa::quiz::draw::fresh_seed()).expect("draw");
        let mut per_category: HashMap<String, u32> = HashMap::new();
        for d in &drawn {
            let q = index.get(d.revision_id).expect("indexed");
            *frequency.entry(d.revision_id).or_default() += 1;
            *per_category.entry(q.category.clone()).or_default() += 1;
            if let pufa::bank::Answer::Single(original) = q.answer
                && q.options.len() == 4
            {
                answer_position[usize::from(d.order.shown_at(original).expect("shown"))] += 1;
                singles += 1;
            }
        }
        for quota in &rule.quotas {
            assert_eq!(
                per_category.get(quota.category.as_deref().expect("category")),
                Some(&quota.count),
                "quota missed"
            );
        }
        assert_eq!(drawn.iter().map(|d| d.revision_id).collect::<HashSet<_>>().len(), 20, "drawn twice in one quiz");
    }
    let mut checked = 0;
    for quota in &rule.quotas {
        let pool = index.select(&[], quota.category.as_deref(), None);
        let p = f64::from(quota.count) / pool.len() as f64;
        let expected = f64::from(draws) * p;
        let sigma = (f64::from(draws) * p * (1.0 - p)).sqrt();
        for id in pool {
            let seen = f64::from(frequency.get(&id).copied().unwrap_or(0));
            assert!((seen - expected).abs() <= 5.0 * sigma, "question {id}: {seen} vs {expected:.0} ± {sigma:.1}");
            checked += 1;
        }
    }
    assert_eq!(checked, index.len(), "every eligible question was checked");
    let expected = f64::from(singles) / 4.0;
    let sigma = (f64::from(singles) * 0.25 * 0.75).sqrt();
    for (position, n) in answer_position.iter().enumerate() {
        assert!((f64::from(*n) - expected).abs() <= 5.0 * sigma, "right answer at {position}: {n} vs {expected:.0}");
    }
}

#[rocket::async_test]
async fn the_stored_seed_recreates_the_same_quiz() {
    let app = TestApp::plain().await;
    let token = app.register("13812340008", "password-1").await;
    let session = start(&app, &token).await.body;
    let id = session["id"].as_str().expect("id").to_owned();
    let stored =
        pufa::db::entity::quiz_session::Entity::find_by_id(id.clone()).one(app.db()).await.expect("q").expect("row");
    let rows = pufa::db::entity::session_question::Entity::find().all(app.db()).await.expect("rows");
    let mut rows: Vec<_> = rows.into_iter().filter(|r| r.session_id == id).collect();
    rows.sort_by_key(|r| r.position);

    let seed = pufa::quiz::draw::seed_from_hex(&stored.seed).expect("seed");
    let banks = app.state::<pufa::bank::Banks>();
    let rule = demo_rule(&app).await;
    let redrawn = draw_questions(banks.index(), &rule, &HashSet::new(), seed).expect("draw");
    let recorded: Vec<(i64, String)> = rows.iter().map(|r| (r.revision_id, r.permutation.clone())).collect();
    let audited: Vec<(i64, String)> = redrawn.iter().map(|d| (d.revision_id, d.order.code())).collect();
    assert_eq!(audited, recorded);
    let other = draw_questions(banks.index(), &rule, &HashSet::new(), [7; 32]).expect("draw");
    assert_ne!(other, redrawn, "another seed gives another quiz");
}

#[rocket::async_test]
async fn repeat_attempts_prefer_questions_not_seen_yet() {
    let app = TestApp::plain().await;
    let token = app.register("13812340009", "password-1").await;
    let mut seen = HashSet::new();
    for _ in 0..2 {
        let session = start(&app, &token).await.body;
        let id = session["id"].as_str().expect("id");
        for q in session["questions"].as_array().expect("qs") {
            assert!(
                seen.insert(q["stem"].as_str().expect("stem").to_owned()),
                "a question came back while unseen ones remained"
            );
        }
        app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(&token)).await;
    }
}

#[rocket::async_test]
async fn campaigns_are_validated_against_the_bank() {
    let app = TestApp::plain().await;
    let admin = app.admin_token().await;
    let mut too_many = at_end_campaign("too-many");
    too_many["quotas"] = json!([{"category": "继承", "count": 60}]);
    too_many["question_count"] = json!(60);
    let reply = app.post("/api/v1/admin/campaigns", too_many, Some(&admin)).await;
    assert_eq!((reply.status, reply.error_code()), (Status::UnprocessableEntity, "invalid_campaign"), "{}", reply.body);

    let mut backwards = at_end_campaign("backwards");
    backwards["closes_at"] = json!("2019-01-01T00:00:00+08:00");
    assert_eq!(app.post("/api/v1/admin/campaigns", backwards, Some(&admin)).await.error_code(), "invalid_campaign");
    let mut unknown_bank = at_end_campaign("unknown-bank");
    unknown_bank["banks"] = json!(["nope"]);
    assert_eq!(app.post("/api/v1/admin/campaigns", unknown_bank, Some(&admin)).await.error_code(), "invalid_campaign");

    let mut draft = at_end_campaign("draft-one");
    draft["published"] = json!(false);
    assert_eq!(app.post("/api/v1/admin/campaigns", draft.clone(), Some(&admin)).await.status, Status::Created);
    assert_eq!(app.get("/api/v1/campaigns/draft-one", None).await.status, Status::NotFound, "drafts are not public");
    assert_eq!(app.post("/api/v1/admin/campaigns", draft.clone(), Some(&admin)).await.error_code(), "slug_taken");
    draft["published"] = json!(true);
    assert_eq!(app.put("/api/v1/admin/campaigns/draft-one", draft, Some(&admin)).await.status, Status::Ok);
    assert_eq!(app.get("/api/v1/campaigns/draft-one", None).await.body["state"], "open");

    let resident = app.register("13812340010", "password-1").await;
    assert_eq!(
        app.post("/api/v1/admin/campaigns", at_end_campaign("x-y-z"), Some(&resident)).await.status,
        Status::Forbidden
    );
    let mut future = at_end_campaign("future-one");
    future["opens_at"] = json!("2098-01-01T00:00:00+08:00");
    app.post("/api/v1/admin/campaigns", future, Some(&admin)).await;
    let refused = app.post("/api/v1/campaigns/future-one/sessions", json!(null), Some(&resident)).await;
    assert_eq!((refused.status, refused.error_code()), (Status::Forbidden, "campaign_not_open"));
}

#[rocket::async_test]
async fn practice_the_daily_question_and_the_mistake_book() {
    let app = TestApp::plain().await;
    // (Before signing in: the test client keeps cookies as a browser does.)
    assert_eq!(app.get("/api/v1/me/mistakes", None).await.status, Status::Unauthorized);
    let token = app.register("13812340011", "password-1").await;
    let practice = app.get("/api/v1/practice?category=%E7%BB%A7%E6%89%BF&count=5", None).await;
    let questions = practice.body.as_array().expect("questions");
    assert_eq!(questions.len(), 5);
    assert!(questions.iter().all(|q| q["category"] == "继承"));
    assert!(!practice.text.contains("\"answer\"") && !practice.text.contains("explanation"));

    let daily = app.get("/api/v1/daily", None).await;
    assert_eq!(daily.body, app.get("/api/v1/daily", Some(&token)).await.body, "the same for everyone");
    app.clock.advance(chrono::Duration::days(1));
    let tomorrow = app.get("/api/v1/daily", None).await;
    assert_ne!(tomorrow.body["date"], daily.body["date"]);

    // Answer a question wrong: it enters the mistake book; two right answers take it out.
    let q = &questions[0];
    let id = q["id"].as_str().expect("id");
    let probe = app
        .post(
            "/api/v1/practice/answers",
            json!({"question_id": id, "choice": if q["kind"] == "judge" { json!(true) } else { json!("A") }}),
            None,
        )
        .await;
    let right: Value =
        if q["kind"] == "judge" { json!(probe.body["answer"] == "T") } else { probe.body["answer"].clone() };
    let wrong: Value = if q["kind"] == "judge" {
        json!(probe.body["answer"] != "T")
    } else {
        let shown = q["options"].as_array().expect("options").len();
        let letters = ["A", "B", "C", "D", "E", "F", "G", "H"];
        json!(
            letters[..shown]
                .iter()
                .find(|l| **l != probe.body["answer"].as_str().unwrap_or(""))
                .expect("a wrong letter")
        )
    };
    let miss = app.post("/api/v1/practice/answers", json!({"question_id": id, "choice": wrong}), Some(&token)).await;
    assert_eq!(
        (miss.body["correct"].as_bool(), miss.body["in_mistake_book"].as_bool()),
        (Some(false), Some(true)),
        "{}",
        miss.body
    );
    assert!(miss.body["explanation"].is_string() && miss.body["basis"].is_array());
    let book = app.get("/api/v1/me/mistakes", Some(&token)).await;
    assert_eq!(book.body.as_array().expect("book").len(), 1);
    assert_eq!(book.body[0]["question"]["stem"], q["stem"]);

    let once =
        app.post("/api/v1/practice/answers", json!({"question_id": id, "choice": right.clone()}), Some(&token)).await;
    assert_eq!(once.body["in_mistake_book"], true, "one right answer is not enough");
    let twice = app.post("/api/v1/practice/answers", json!({"question_id": id, "choice": right}), Some(&token)).await;
    assert_eq!(twice.body["in_mistake_book"], false);
    assert_eq!(app.get("/api/v1/me/mistakes", Some(&token)).await.body, json!([]));
    let forged = app.post("/api/v1/practice/answers", json!({"question_id": "999999-0123", "choice": "A"}), None).await;
    assert_eq!(forged.status, Status::NotFound);
}

/// Two pufa processes behind one load balancer: a resident's requests land on either. Each keeps
/// its own cache of sessions in progress; SQL must settle every disagreement.
async fn two_instances_share_one_session_and_sql_settles_every_race(a: TestApp) {
    let database = a.database_url();
    let b = TestApp::start_with(a.sql, a.live, |f| f.merge(("database_url", database))).await.expect("second instance");
    let token = a.register("13812340031", "password-1").await;
    let session = start(&a, &token).await.body;
    let id = session["id"].as_str().expect("id");
    let singles: Vec<&Value> =
        session["questions"].as_array().expect("qs").iter().filter(|q| q["kind"] == "single").collect();
    let path = |q: &Value| format!("/api/v1/sessions/{id}/answers/{}", q["position"]);

    // Instance A has the session cached as unanswered; the answer arrives at B.
    let on_b = b.put(&path(singles[0]), json!({"choice": "B"}), Some(&token)).await;
    assert_eq!(on_b.status, Status::Ok, "{}", on_b.body);
    let changed_on_a = a.put(&path(singles[0]), json!({"choice": "C"}), Some(&token)).await;
    assert_eq!((changed_on_a.status, changed_on_a.error_code()), (Status::Conflict, "already_answered"));
    let replay_on_a = a.put(&path(singles[0]), json!({"choice": "B"}), Some(&token)).await;
    assert_eq!((replay_on_a.status, &replay_on_a.body), (Status::Ok, &on_b.body), "A now knows B's answer");

    // A wrong answer enters the mistake book whichever instance took it.
    let on_a = a.put(&path(singles[1]), json!({"choice": "A"}), Some(&token)).await;
    assert_eq!(on_a.status, Status::Ok);
    let wrong = [&on_b, &on_a].iter().filter(|r| r.body["correct"] == false).count();
    let mistakes = b.get("/api/v1/me/mistakes", Some(&token)).await;
    assert_eq!(mistakes.body.as_array().expect("list").len(), wrong, "{}", mistakes.body);

    // B finishes; A, whose cache still says "in progress", must not count a late answer.
    let result = b.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(&token)).await;
    assert_eq!(result.status, Status::Ok);
    let late = a.put(&path(singles[2]), json!({"choice": "A"}), Some(&token)).await;
    assert_eq!(late.status, Status::Conflict, "{}", late.body);
    let again = a.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(&token)).await;
    assert_eq!(again.body["score"], result.body["score"]);
    let answered = pufa::db::entity::session_question::Entity::find()
        .all(a.db())
        .await
        .expect("rows")
        .into_iter()
        .filter(|q| q.session_id == id && q.choice.is_some())
        .count();
    assert_eq!(answered, 2, "exactly the two acknowledged answers are stored");
}

/// Answers arriving together are committed together; a question still takes exactly one answer,
/// whether its copies arrive in one commit or several, and the running score counts each once.
async fn a_burst_of_answers_lands_in_shared_commits_and_each_question_keeps_one_answer(app: TestApp) {
    let token = app.register("13812340041", "password-1").await;
    let session = start(&app, &token).await.body;
    let id = session["id"].as_str().expect("id");
    let questions = session["questions"].as_array().expect("qs");
    // The raced question needs options B and C; the four others may be of any kind (a random
    // draw of 20 need not hold five single-choice questions).
    let raced = questions.iter().find(|q| q["kind"] != "judge").expect("a question with options");
    let others: Vec<&Value> = questions.iter().filter(|q| q["position"] != raced["position"]).take(4).collect();
    let put = |position: &Value, choice: Value| {
        app.client
            .put(format!("/api/v1/sessions/{id}/answers/{position}"))
            .header(common::bearer(&token))
            .header(rocket::http::ContentType::JSON)
            .body(json!({ "choice": choice }).to_string())
            .dispatch()
    };
    // Ten copies of "B" and ten of "C" for one question, and one answer to each of 4 others,
    // all at once.
    let mut burst: Vec<_> =
        (0..20).map(|i| put(&raced["position"], json!(if i % 2 == 0 { "B" } else { "C" }))).collect();
    burst.extend(
        others.iter().map(|q| put(&q["position"], if q["kind"] == "judge" { json!(true) } else { json!("A") })),
    );
    let replies = rocket::futures::future::join_all(burst).await;
    let mut first_question = HashMap::new();
    for (i, reply) in replies.into_iter().enumerate() {
        let status = reply.status();
        if i < 20 {
            *first_question.entry((if i % 2 == 0 { "B" } else { "C" }, status)).or_insert(0) += 1;
        } else {
            assert_eq!(status, Status::Ok, "a different question is not held up by the race");
        }
    }
    let b_won = first_question.get(&("B", Status::Ok)) == Some(&10);
    let (winner, loser) = if b_won { ("B", "C") } else { ("C", "B") };
    assert_eq!(first_question.get(&(winner, Status::Ok)), Some(&10), "{first_question:?}");
    assert_eq!(first_question.get(&(loser, Status::Conflict)), Some(&10), "{first_question:?}");

    let rows = pufa::db::entity::session_question::Entity::find().all(app.db()).await.expect("rows");
    let answered: Vec<_> = rows.iter().filter(|q| q.session_id == id && q.choice.is_some()).collect();
    assert_eq!(answered.len(), 5);
    let stored = pufa::db::entity::quiz_session::Entity::find_by_id(id.to_owned())
        .one(app.db())
        .await
        .expect("query")
        .expect("session");
    let right = answered.iter().filter(|q| q.correct == Some(true)).count();
    assert_eq!(stored.correct as usize, right, "each stored answer counted once");
    let finished = app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(&token)).await;
    assert_eq!(finished.body["correct"], json!(right));
}

/// Starts, answers and finishes share the writer's commits. A phone that sends its finish while
/// answers are still on the way, beside other residents starting: every answer acknowledged is
/// in the result, every answer refused is not, and both finishes report the same score.
async fn a_finish_sent_among_answers_and_starts_counts_exactly_the_answers_it_acknowledged(app: TestApp) {
    let token = app.register("13812340051", "password-1").await;
    let others: Vec<String> = [
        app.register("13812340052", "password-1").await,
        app.register("13812340053", "password-1").await,
        app.register("13812340054", "password-1").await,
    ]
    .into();
    let session = start(&app, &token).await.body;
    let id = session["id"].as_str().expect("id");
    let send = |method: rocket::http::Method, path: String, token: &str, body: Value| {
        app.client
            .req(method, path)
            .header(common::bearer(token))
            .header(rocket::http::ContentType::JSON)
            .body(body.to_string())
            .dispatch()
    };
    let answers = session["questions"].as_array().expect("qs").iter().take(12).map(|q| {
        let choice = if q["kind"] == "judge" { json!(true) } else { json!("A") };
        let path = format!("/api/v1/sessions/{id}/answers/{}", q["position"]);
        send(rocket::http::Method::Put, path, &token, json!({ "choice": choice }))
    });
    let finish = || send(rocket::http::Method::Post, format!("/api/v1/sessions/{id}/finish"), &token, json!(null));
    let starts = others
        .iter()
        .map(|t| send(rocket::http::Method::Post, format!("/api/v1/campaigns/{DEMO}/sessions"), t, json!(null)));
    let mut burst: Vec<_> = answers.collect();
    burst.insert(6, finish());
    burst.push(finish());
    let (replies, started) =
        tokio::join!(rocket::futures::future::join_all(burst), rocket::futures::future::join_all(starts));
    for reply in started {
        assert_eq!(reply.status(), Status::Created, "another resident's start is not held up");
    }

    let mut accepted = 0;
    let mut finishes = Vec::new();
    for (i, reply) in replies.into_iter().enumerate() {
        let status = reply.status();
        let body: Value = serde_json::from_str(&reply.into_string().await.unwrap_or_default()).expect("json");
        if i == 6 || i == 13 {
            assert_eq!(status, Status::Ok, "{body}");
            finishes.push(body);
        } else if status == Status::Ok {
            accepted += 1;
        } else {
            assert_eq!(
                (status, body["error"]["code"].as_str()),
                (Status::Conflict, Some("session_finished")),
                "{body}"
            );
        }
    }
    assert_eq!(finishes[0]["score"], finishes[1]["score"], "finishing twice reports one result");
    let review = finishes[0]["review"].as_array().expect("review");
    let answered_in_result = review.iter().filter(|item| item["choice"].is_string()).count();
    assert_eq!(answered_in_result, accepted, "the result holds exactly the acknowledged answers");
    let rows = pufa::db::entity::session_question::Entity::find().all(app.db()).await.expect("rows");
    let stored: Vec<_> = rows.iter().filter(|q| q.session_id == id && q.choice.is_some()).collect();
    assert_eq!(stored.len(), accepted, "SQL holds exactly the acknowledged answers");
    let right = stored.iter().filter(|q| q.correct == Some(true)).count();
    assert_eq!(finishes[0]["correct"], json!(right));
}

/// The choice for question `q` of session `id` that is right (or wrong), from the bank itself.
async fn choice_for(app: &TestApp, id: &str, q: &Value, right: bool) -> Value {
    use sea_orm::{ColumnTrait, QueryFilter};
    let position = q["position"].as_i64().expect("position") as i32;
    let row = pufa::db::entity::session_question::Entity::find()
        .filter(pufa::db::entity::session_question::Column::SessionId.eq(id))
        .filter(pufa::db::entity::session_question::Column::Position.eq(position))
        .one(app.db())
        .await
        .expect("row")
        .expect("drawn");
    let question = app.state::<pufa::bank::Banks>().index().get(row.revision_id).expect("indexed").clone();
    let correct_texts: Vec<&str> = match &question.answer {
        pufa::bank::Answer::Judge(truth) => return json!(if right { *truth } else { !*truth }),
        pufa::bank::Answer::Single(i) => vec![question.options[usize::from(*i)].as_str()],
        pufa::bank::Answer::Multiple(list) => list.iter().map(|i| question.options[usize::from(*i)].as_str()).collect(),
    };
    let letters: String = q["options"]
        .as_array()
        .expect("options")
        .iter()
        .filter(|o| correct_texts.contains(&o["text"].as_str().unwrap_or("")) == right)
        .filter_map(|o| o["key"].as_str())
        .collect();
    // Wrong: one option that is not an answer.
    json!(if right { letters } else { letters[..1].to_owned() })
}

/// Issue 17, acceptance 2: an `at_end` session half answered, wrongly, shows nothing about
/// correctness anywhere (mistake book, live board, /live, session view) until it finishes; a
/// resident who answered as many questions rightly looks the same. After the finish the review
/// shows everything and the mistake book has the misses.
#[rocket::async_test]
async fn at_end_stays_secret_in_the_mistake_book_the_live_board_and_live_until_the_finish() {
    let app = TestApp::plain().await;
    let admin = app.admin_token().await;
    assert_eq!(
        app.post("/api/v1/admin/campaigns", at_end_campaign("secret"), Some(&admin)).await.status,
        Status::Created
    );
    let mut sessions = Vec::new();
    for (phone, right) in [("13812349001", false), ("13812349002", true)] {
        let token = app.register(phone, "steppe-wind-1").await;
        let started = app.post("/api/v1/campaigns/secret/sessions", json!(null), Some(&token)).await.body;
        let id = started["id"].as_str().expect("id").to_owned();
        let mut seen = Vec::new();
        for q in &started["questions"].as_array().expect("questions")[..5] {
            let choice = choice_for(&app, &id, q, right).await;
            app.clock.advance(chrono::Duration::seconds(3));
            let reply = app
                .put(
                    &format!("/api/v1/sessions/{id}/answers/{}", q["position"]),
                    json!({"choice": choice}),
                    Some(&token),
                )
                .await;
            assert_eq!(reply.status, Status::Ok, "{}", reply.body);
            seen.push(reply.text);
        }
        seen.push(app.get(&format!("/api/v1/sessions/{id}"), Some(&token)).await.text);
        let mistakes = app.get("/api/v1/me/mistakes", Some(&token)).await;
        assert_eq!(mistakes.status, Status::Ok);
        assert_eq!(mistakes.body.as_array().map(Vec::len), Some(0), "no mistakes before the finish: {}", mistakes.body);
        for text in &seen {
            for key in ["\"correct\"", "\"answer\"", "\"explanation\"", "\"basis\""] {
                assert!(!text.contains(key), "{key} before the finish: {text}");
            }
            let value: Value = serde_json::from_str(text).expect("json");
            assert!(value.get("score").is_none_or(Value::is_null), "a running score before the finish: {text}");
        }
        sessions.push((token, id));
    }
    // Boards are written a moment after the answer (the writer batches for 50 ms).
    let mut live = app.get("/api/v1/campaigns/secret/leaderboard?live=true", None).await;
    for _ in 0..40 {
        if live.body["total"] == 2 && live.body["entries"][1]["score"] == 5 {
            break;
        }
        rocket::tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        live = app.get("/api/v1/campaigns/secret/leaderboard?live=true", None).await;
    }
    assert_eq!(live.status, Status::Ok, "{}", live.body);
    let scores: Vec<&Value> = live.body["entries"].as_array().expect("entries").iter().map(|e| &e["score"]).collect();
    assert_eq!(scores, [&json!(5), &json!(5)], "questions answered, not points: {}", live.body);
    assert_eq!(live.body["measure"], "answered");

    // /live, as a browser's EventSource reads its first event.
    let mut stream = app.client.get("/api/v1/campaigns/secret/live").dispatch().await;
    let mut first = Vec::new();
    let mut buf = [0u8; 4096];
    while !first.windows(2).any(|w| w == b"\n\n") {
        let n = rocket::tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await.expect("read");
        assert!(n > 0, "the stream ended");
        first.extend_from_slice(&buf[..n]);
    }
    let event = String::from_utf8(first).expect("utf-8");
    let data: Value =
        serde_json::from_str(event.lines().find_map(|l| l.strip_prefix("data:")).expect("data").trim()).expect("json");
    assert_eq!(data["in_progress_measure"], "answered", "{event}");
    let live_scores: Vec<&Value> =
        data["in_progress"].as_array().expect("in progress").iter().map(|e| &e["score"]).collect();
    assert_eq!(live_scores, [&json!(5), &json!(5)], "{event}");

    // After the finish: everything, and the misses in the mistake book.
    let (token, id) = &sessions[0];
    let result = app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(token)).await;
    let review = result.body["review"].as_array().expect("review");
    assert!(review.iter().all(|r| r["explanation"].is_string() && r.get("answer").is_some()), "{}", result.body);
    assert_eq!(result.body["correct"], 0);
    let mistakes = app.get("/api/v1/me/mistakes", Some(token)).await;
    assert_eq!(mistakes.body.as_array().map(Vec::len), Some(5), "{}", mistakes.body);
}
