//! 你点我讲 through the API: a resident asks for a lesson on a topic, sees the request received,
//! staff answer it with a lesson (or decline it with a reason), and the resident sees the answer.

mod common;

use common::TestApp;
use rocket::http::Status;
use serde_json::json;

async fn the_lesson_request_story(app: TestApp) {
    let resident = app.register("13812346001", "password-1").await;
    let neighbour = app.register("13812346002", "password-1").await;
    let staff = app.admin_token().await;

    let asked =
        app.post("/api/v1/lesson-requests", json!({"topic": "  草场被别人  占了怎么办 "}), Some(&resident)).await;
    assert_eq!(asked.status, Status::Created, "{}", asked.body);
    assert_eq!(
        (asked.body["state"].as_str(), asked.body["topic"].as_str()),
        (Some("received"), Some("草场被别人 占了怎么办"))
    );
    let id = asked.body["id"].as_i64().expect("id");
    let mine = app.get("/api/v1/me/lesson-requests", Some(&resident)).await.body;
    assert_eq!(mine, json!([asked.body]));
    assert_eq!(app.get("/api/v1/me/lesson-requests", Some(&neighbour)).await.body, json!([]), "only one's own");
    app.post("/api/v1/lesson-requests", json!({"topic": "草场被别人 占了怎么办"}), Some(&neighbour)).await;
    let declined_one =
        app.post("/api/v1/lesson-requests", json!({"topic": "邻居家的狗咬了我家孩子"}), Some(&neighbour)).await;

    // Staff see what residents ask most.
    let list = app.get("/api/v1/admin/lesson-requests?state=received", Some(&staff)).await.body;
    assert_eq!((list["total"].as_u64(), list["received"].as_u64()), (Some(3), Some(3)), "{list}");
    assert_eq!(list["topics"][0], json!({"topic": "草场被别人 占了怎么办", "requests": 2}));
    let me = app.get("/api/v1/me", Some(&resident)).await.body;
    assert_eq!(list["items"][0]["user_id"], me["id"], "staff see who asked");
    let bad_state = app.get("/api/v1/admin/lesson-requests?state=done", Some(&staff)).await;
    assert_eq!((bad_state.status, bad_state.error_code()), (Status::UnprocessableEntity, "invalid_query"));

    // Answering needs a lesson the public can read.
    let path = format!("/api/v1/admin/lesson-requests/{id}/answer");
    let unknown = app.post(&path, json!({"slug": "no-such-lesson"}), Some(&staff)).await;
    assert_eq!((unknown.status, unknown.error_code()), (Status::UnprocessableEntity, "unknown_lesson"));
    app.post("/api/v1/admin/lessons/grassland-transfer-expiry/unpublish", json!(null), Some(&staff)).await;
    let hidden = app.post(&path, json!({"slug": "grassland-transfer-expiry"}), Some(&staff)).await;
    assert_eq!((hidden.status, hidden.error_code()), (Status::Conflict, "lesson_not_published"));
    app.post("/api/v1/admin/lessons/grassland-transfer-expiry/publish", json!(null), Some(&staff)).await;
    assert_eq!(
        app.post(&path, json!({"slug": "grassland-transfer-expiry"}), Some(&resident)).await.status,
        Status::Forbidden
    );
    let answered = app.post(&path, json!({"slug": "grassland-transfer-expiry"}), Some(&staff)).await;
    assert_eq!(answered.status, Status::Ok, "{}", answered.body);

    let mine = app.get("/api/v1/me/lesson-requests", Some(&resident)).await.body;
    assert_eq!(mine[0]["state"], "answered");
    assert_eq!(
        mine[0]["lesson"],
        json!({"slug": "grassland-transfer-expiry", "title": "草场流转到期，对方不走怎么办？"})
    );
    assert!(mine[0]["decided_at"].is_string());
    let lesson = app.get("/api/v1/lessons/grassland-transfer-expiry", None).await;
    assert_eq!(lesson.status, Status::Ok, "the answer is a lesson the resident can open");

    // Declining says why.
    let other = declined_one.body["id"].as_i64().expect("id");
    let decline = format!("/api/v1/admin/lesson-requests/{other}/decline");
    let no_reason = app.post(&decline, json!({"reason": " "}), Some(&staff)).await;
    assert_eq!((no_reason.status, no_reason.error_code()), (Status::UnprocessableEntity, "invalid_reason"));
    let reason = "已有相关课程《被牧羊犬咬伤，狗主人要赔吗？》，请在学法中查看";
    assert_eq!(app.post(&decline, json!({"reason": reason}), Some(&staff)).await.status, Status::Ok);
    let theirs = app.get("/api/v1/me/lesson-requests", Some(&neighbour)).await.body;
    assert_eq!((theirs[0]["state"].as_str(), theirs[0]["reason"].as_str()), (Some("declined"), Some(reason)));
    assert!(theirs[0].get("lesson").is_none());

    let counts = app.get("/api/v1/admin/lesson-requests", Some(&staff)).await.body;
    assert_eq!(
        (
            counts["total"].as_u64(),
            counts["received"].as_u64(),
            counts["answered"].as_u64(),
            counts["declined"].as_u64()
        ),
        (Some(3), Some(1), Some(1), Some(1))
    );
    let missing =
        app.post("/api/v1/admin/lesson-requests/999999/answer", json!({"slug": "loan-no-iou"}), Some(&staff)).await;
    assert_eq!(missing.status, Status::NotFound);

    let audit = app.get("/api/v1/admin/audit?limit=2", Some(&staff)).await.body;
    assert_eq!(
        (audit[0]["action"].as_str(), audit[0]["target"].as_str()),
        (Some("lesson_request.decline"), Some(other.to_string().as_str()))
    );
    assert_eq!(audit[1]["action"], "lesson_request.answer");
    assert_eq!(audit[1]["details"]["lesson"], "grassland-transfer-expiry");
}

async fn topics_are_checked_and_five_a_day_is_the_limit(app: TestApp) {
    let resident = app.register("13812346003", "password-1").await;
    let ask = |topic: serde_json::Value| app.post("/api/v1/lesson-requests", json!({"topic": topic}), Some(&resident));
    for bad in [json!("彩"), json!("   "), json!("彩".repeat(201)), json!("彩礼\n要退吗"), json!("彩礼\u{0}")]
    {
        let reply = ask(bad.clone()).await;
        assert_eq!((reply.status, reply.error_code()), (Status::UnprocessableEntity, "invalid_topic"), "{bad}");
        let message = reply.body["error"]["message"].as_str().expect("message");
        assert!(!message.is_ascii() && !message.contains("topic"), "Chinese only: {message}");
    }
    assert_eq!(ask(json!(42)).await.error_code(), "invalid_body");
    assert_eq!(ask(json!("彩".repeat(200))).await.status, Status::Created, "200 characters are allowed");
    for i in 1..5 {
        assert_eq!(ask(json!(format!("第{i}个问题"))).await.status, Status::Created);
    }
    let sixth = ask(json!("第六个问题")).await;
    assert_eq!((sixth.status, sixth.error_code()), (Status::TooManyRequests, "too_many_requests"));
    let retry: i64 = sixth.header("Retry-After").expect("Retry-After").parse().expect("seconds");
    assert!((1..=86_400).contains(&retry), "{retry}");
    assert_eq!(app.get("/api/v1/me/lesson-requests", Some(&resident)).await.body.as_array().map(Vec::len), Some(5));

    // The next day in Asia/Shanghai, the resident may ask again.
    app.clock.advance(chrono::Duration::seconds(retry));
    assert_eq!(ask(json!("第二天的问题")).await.status, Status::Created);
}

on_every_database!(the_lesson_request_story, topics_are_checked_and_five_a_day_is_the_limit);

/// Several phones of one resident asking at once still store at most five.
#[rocket::async_test]
async fn a_burst_of_requests_stores_exactly_five() {
    let app = TestApp::plain().await;
    let resident = app.register("13812346004", "password-1").await;
    let requests = (0..12).map(|i| {
        app.client
            .post("/api/v1/lesson-requests")
            .header(common::bearer(&resident))
            .header(rocket::http::ContentType::JSON)
            .body(json!({"topic": format!("同时问的第{i}个问题")}).to_string())
            .dispatch()
    });
    let replies = rocket::futures::future::join_all(requests).await;
    let statuses: Vec<Status> = replies.iter().map(|r| r.status()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == Status::Created).count(), 5, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == Status::TooManyRequests).count(), 7, "{statuses:?}");
    assert_eq!(app.get("/api/v1/me/lesson-requests", Some(&resident)).await.body.as_array().map(Vec::len), Some(5));
}
