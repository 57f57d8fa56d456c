//! The authorization matrix: every route, called as nobody, as the resident who owns the
//! resources in the path, as another resident, as the bureau's admin, as a township's staff and
//! as a village liaison, against the status each must get. A route mounted without a row here
//! fails the test, so no new route ships unreviewed.
//!
//! A row names the first four answers; the township staff and the village liaison get 403 on
//! /api/v1/admin/ routes and the stranger's answer elsewhere, unless the row says otherwise with
//! `.scoped(township, liaison)`.

mod common;

use common::{TestApp, bearer};
use rocket::http::{ContentType, Method, Status};
use serde_json::{Value, json};

const DEMO: &str = "2023-civil-code-month";

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Anonymous,
    /// The resident whose session, mistakes and rank the path names.
    Owner,
    /// Another resident poking at the owner's things.
    Stranger,
    /// The bureau's admin.
    Staff,
    /// `township_staff` of the owner's township.
    Township,
    /// `village_liaison` of the owner's village.
    Liaison,
}

use Caller::{Anonymous, Liaison, Owner, Staff, Stranger, Township};

/// One row: the route as mounted, a concrete request for it, and the status for each caller
/// (anonymous, owner, stranger, staff; then township staff and village liaison, see `expected`).
struct Row {
    method: Method,
    route: &'static str,
    path: String,
    body: Option<Value>,
    expect: [u16; 4],
    scoped: Option<[u16; 2]>,
}

fn row(method: Method, route: &'static str, path: impl Into<String>, body: Option<Value>, expect: [u16; 4]) -> Row {
    Row { method, route, path: path.into(), body, expect, scoped: None }
}

impl Row {
    /// What township staff and a village liaison get, where it is not the default.
    fn scoped(mut self, township: u16, liaison: u16) -> Row {
        self.scoped = Some([township, liaison]);
        self
    }

    /// The status for each of the six callers.
    fn expected(&self) -> [u16; 6] {
        let [anonymous, owner, stranger, staff] = self.expect;
        let default = if self.path.starts_with("/api/v1/admin/") { 403 } else { stranger };
        let [township, liaison] = self.scoped.unwrap_or([default, default]);
        [anonymous, owner, stranger, staff, township, liaison]
    }
}

struct World {
    owner: String,
    stranger: String,
    staff: String,
    township: String,
    liaison: String,
    session: String,
    bank: String,
    question: String,
    target_user: i64,
    /// A valid answer to the session's first question.
    choice: Value,
    /// The owner's 你点我讲 request.
    lesson_request: i64,
}

async fn world(app: &TestApp) -> World {
    let owner = app.register("13812348801", "password-1").await;
    let stranger = app.register("13812348802", "password-1").await;
    let staff = app.admin_token().await;
    let session = app.post(&format!("/api/v1/campaigns/{DEMO}/sessions"), json!(null), Some(&owner)).await;
    assert_eq!(session.status, Status::Created, "{}", session.body);
    let banks = app.get("/api/v1/admin/banks", Some(&staff)).await.body;
    let bank = banks[0]["key"].as_str().expect("a bank").to_owned();
    let questions = app.get(&format!("/api/v1/admin/banks/{bank}/questions?limit=1"), Some(&staff)).await.body;
    let question = questions[0]["key"].as_str().or(questions["questions"][0]["key"].as_str()).expect("a question");
    // Staff actions on accounts act on a bystander, so the matrix does not lock its own callers out.
    app.register("13812348803", "password-1").await;
    let found = app.get("/api/v1/admin/users?q=13812348803", Some(&staff)).await.body;
    let target_user = found[0]["id"].as_i64().or(found["users"][0]["id"].as_i64()).expect("the bystander");
    let first = &session.body["questions"][0];
    let choice = if first["kind"] == "judge" { json!(true) } else { json!("A") };
    let asked = app.post("/api/v1/lesson-requests", json!({"topic": "草场流转"}), Some(&owner)).await;
    let lesson_request = asked.body["id"].as_i64().expect("a lesson request");
    let township = scoped_staff(
        app,
        &staff,
        TOWNSHIP_STAFF_PHONE,
        json!({"role": "township_staff", "region_code": common::TOWNSHIP}),
    )
    .await;
    let liaison =
        scoped_staff(app, &staff, LIAISON_PHONE, json!({"role": "village_liaison", "region_code": common::VILLAGE}))
            .await;
    World {
        township,
        liaison,
        lesson_request,
        choice,
        owner,
        stranger,
        staff,
        session: session.body["id"].as_str().expect("id").to_owned(),
        bank,
        question: question.to_owned(),
        target_user,
    }
}

const TOWNSHIP_STAFF_PHONE: &str = "13812348804";
const LIAISON_PHONE: &str = "13812348805";

/// A resident made staff of the owner's township or village by the admin, signed in again.
async fn scoped_staff(app: &TestApp, admin: &str, phone: &str, role: Value) -> String {
    app.register(phone, "password-1").await;
    let found = app.get(&format!("/api/v1/admin/users?q={phone}"), Some(admin)).await.body;
    let id = found[0]["id"].as_i64().expect("the account");
    let made = app.post(&format!("/api/v1/admin/users/{id}/role"), role, Some(admin)).await;
    assert_eq!(made.status, Status::Ok, "{}", made.body);
    let signed_in = app.login(phone, "password-1").await;
    signed_in.body["token"].as_str().expect("token").to_owned()
}

fn table(w: &World) -> Vec<Row> {
    use Method::{Delete, Get, Post, Put};
    let s = &w.session;
    let campaign = json!({
        "slug": "authz-check", "title": "权限检查", "question_count": 5,
        "opens_at": "2026-12-01T00:00:00+08:00", "closes_at": "2026-12-31T00:00:00+08:00",
        "quotas": [{"count": 5}], "banks": [w.bank], "time_limit_secs": 300, "attempts_per_day": 1,
        "max_attempts": 0, "points_per_question": 5, "reveal": "after_each", "ranking": "best",
        "prize": {"mode": "top", "winners": 1}, "published": false
    });
    let lesson = json!({
        "title": "权限检查课程", "summary": "权限检查。", "articles": [679], "tags": ["民间借贷与担保"],
        "author": "乌拉特中旗司法局", "body": "## 案例\n\n正文。"
    });
    let mut new_lesson = lesson.clone();
    new_lesson["slug"] = json!("authz-lesson");
    let request = w.lesson_request;
    vec![
        // system
        row(Get, "/healthz", "/healthz", None, [200, 200, 200, 200]),
        row(Get, "/readyz", "/readyz", None, [200, 200, 200, 200]),
        row(Get, "/metrics", "/metrics", None, [200, 200, 200, 200]),
        row(Get, "/api/openapi.json", "/api/openapi.json", None, [200, 200, 200, 200]),
        // accounts
        row(Post, "/api/v1/auth/register", "/api/v1/auth/register", Some(json!({})), [422, 422, 422, 422]),
        row(
            Post,
            "/api/v1/auth/login",
            "/api/v1/auth/login",
            Some(json!({"phone": "13812348809", "password": "wrong-pass"})),
            [401, 401, 401, 401],
        )
        // The sixth wrong password for one phone from one address in the window is throttled.
        .scoped(401, 429),
        row(Post, "/api/v1/auth/logout", "/api/v1/auth/logout", None, [401, 204, 204, 204]),
        // SMS codes: open to all (the same phone again within a minute waits).
        row(
            Post,
            "/api/v1/auth/codes",
            "/api/v1/auth/codes",
            Some(json!({"phone": "13812348810", "purpose": "login"})),
            [202, 429, 429, 429],
        ),
        row(
            Post,
            "/api/v1/auth/password-reset",
            "/api/v1/auth/password-reset",
            Some(json!({"phone": "13812348811", "code": "123456", "new_password": "a-new-steppe-pass-7"})),
            [422, 422, 422, 422],
        ),
        row(
            Post,
            "/api/v1/me/phone-verification",
            "/api/v1/me/phone-verification",
            Some(json!({"code": "123456"})),
            [401, 422, 422, 422],
        ),
        row(Get, "/api/v1/admin/claimed-accounts", "/api/v1/admin/claimed-accounts", None, [401, 403, 403, 200]),
        row(Get, "/api/v1/me", "/api/v1/me", None, [401, 200, 200, 200]),
        row(Get, "/api/v1/regions", "/api/v1/regions", None, [200, 200, 200, 200]),
        row(
            Post,
            "/api/v1/me/password",
            "/api/v1/me/password",
            Some(json!({"current_password": "not-the-password", "new_password": "a-new-steppe-pass-7"})),
            [401, 422, 422, 422],
        ),
        // question banks
        row(
            Post,
            "/api/v1/admin/banks?<format>&<dry_run>&<bank>&<title>&<mode>&<visibility>",
            "/api/v1/admin/banks?format=toml&dry_run=true",
            Some(json!("not toml")),
            [401, 403, 403, 422],
        ),
        row(
            Put,
            "/api/v1/admin/banks/<key>/visibility",
            format!("/api/v1/admin/banks/{}/visibility", w.bank),
            Some(json!({"visibility": "study"})),
            [401, 403, 403, 200],
        ),
        row(Get, "/api/v1/admin/banks", "/api/v1/admin/banks", None, [401, 403, 403, 200]),
        row(
            Get,
            "/api/v1/admin/banks/<key>/questions?<category>&<kind>&<offset>&<limit>",
            format!("/api/v1/admin/banks/{}/questions", w.bank),
            None,
            [401, 403, 403, 200],
        ),
        row(
            Get,
            "/api/v1/admin/banks/<key>/questions/<question>/revisions",
            format!("/api/v1/admin/banks/{}/questions/{}/revisions", w.bank, w.question),
            None,
            [401, 403, 403, 200],
        ),
        row(Get, "/api/v1/categories", "/api/v1/categories", None, [200, 200, 200, 200]),
        // campaigns
        row(Post, "/api/v1/admin/campaigns", "/api/v1/admin/campaigns", Some(campaign.clone()), [401, 403, 403, 201]),
        row(
            Put,
            "/api/v1/admin/campaigns/<slug>",
            "/api/v1/admin/campaigns/authz-check",
            Some(campaign),
            [401, 403, 403, 200],
        ),
        row(Get, "/api/v1/admin/campaigns", "/api/v1/admin/campaigns", None, [401, 403, 403, 200]),
        row(Get, "/api/v1/campaigns", "/api/v1/campaigns", None, [200, 200, 200, 200]),
        row(Get, "/api/v1/campaigns/<slug>", format!("/api/v1/campaigns/{DEMO}"), None, [200, 200, 200, 200]),
        // sessions: the owner's session is nobody else's business (404, not 403: no hint it exists)
        row(
            Post,
            "/api/v1/campaigns/<slug>/sessions",
            format!("/api/v1/campaigns/{DEMO}/sessions"),
            None,
            [401, 409, 201, 201],
        ),
        row(Get, "/api/v1/sessions/<id>", format!("/api/v1/sessions/{s}"), None, [401, 200, 404, 404]),
        row(
            Put,
            "/api/v1/sessions/<id>/answers/<position>",
            format!("/api/v1/sessions/{s}/answers/1"),
            Some(json!({"choice": w.choice})),
            [401, 200, 404, 404],
        ),
        row(Post, "/api/v1/sessions/<id>/finish", format!("/api/v1/sessions/{s}/finish"), None, [401, 200, 404, 404]),
        // education
        row(Get, "/api/v1/practice?<category>&<difficulty>&<count>", "/api/v1/practice", None, [200, 200, 200, 200]),
        row(Get, "/api/v1/practice/pack?<category>&<count>", "/api/v1/practice/pack", None, [200, 200, 200, 200]),
        row(
            Post,
            "/api/v1/practice/answers",
            "/api/v1/practice/answers",
            Some(json!({"question_id": "nope", "choice": "A"})),
            [404, 404, 404, 404],
        ),
        row(Get, "/api/v1/daily", "/api/v1/daily", None, [200, 200, 200, 200]),
        row(Get, "/api/v1/me/mistakes", "/api/v1/me/mistakes", None, [401, 200, 200, 200]),
        // boards
        row(
            Get,
            "/api/v1/campaigns/<slug>/leaderboard?<region>&<day>&<live>&<limit>&<offset>",
            format!("/api/v1/campaigns/{DEMO}/leaderboard"),
            None,
            [200, 200, 200, 200],
        ),
        row(
            Get,
            "/api/v1/campaigns/<slug>/leaderboard/around-me?<radius>&<region>&<day>",
            format!("/api/v1/campaigns/{DEMO}/leaderboard/around-me"),
            None,
            [401, 200, 200, 200],
        ),
        row(
            Get,
            "/api/v1/campaigns/<slug>/regions?<level>",
            format!("/api/v1/campaigns/{DEMO}/regions"),
            None,
            [200, 200, 200, 200],
        ),
        row(Get, "/api/v1/campaigns/<slug>/live", format!("/api/v1/campaigns/{DEMO}/live"), None, [200, 200, 200, 200]),
        row(
            Post,
            "/api/v1/admin/campaigns/<slug>/scores/rebuild",
            format!("/api/v1/admin/campaigns/{DEMO}/scores/rebuild"),
            None,
            [401, 403, 403, 200],
        ),
        // admin operations (the demo campaign is open: a draw must wait for the close)
        row(
            Get,
            "/api/v1/admin/campaigns/<slug>/stats",
            format!("/api/v1/admin/campaigns/{DEMO}/stats"),
            None,
            [401, 403, 403, 200],
        ),
        row(
            Get,
            "/api/v1/admin/campaigns/<slug>/stats.csv",
            format!("/api/v1/admin/campaigns/{DEMO}/stats.csv"),
            None,
            [401, 403, 403, 200],
        ),
        row(
            Get,
            "/api/v1/admin/campaigns/<slug>/results.csv",
            format!("/api/v1/admin/campaigns/{DEMO}/results.csv"),
            None,
            [401, 403, 403, 200],
        ),
        row(
            Post,
            "/api/v1/admin/campaigns/<slug>/draw",
            format!("/api/v1/admin/campaigns/{DEMO}/draw"),
            None,
            [401, 403, 403, 409],
        ),
        row(
            Get,
            "/api/v1/admin/campaigns/<slug>/draw/eligible.csv",
            format!("/api/v1/admin/campaigns/{DEMO}/draw/eligible.csv"),
            None,
            [401, 403, 403, 200],
        ),
        row(Get, "/api/v1/campaigns/<slug>/draw", format!("/api/v1/campaigns/{DEMO}/draw"), None, [200, 200, 200, 200]),
        row(
            Get,
            "/api/v1/admin/campaigns/<slug>/flagged",
            format!("/api/v1/admin/campaigns/{DEMO}/flagged"),
            None,
            [401, 403, 403, 200],
        ),
        // The owner's session is running, not flagged: staff get 409 `not_flagged`.
        row(
            Post,
            "/api/v1/admin/sessions/<id>/clear-flag",
            format!("/api/v1/admin/sessions/{}/clear-flag", w.session),
            None,
            [401, 403, 403, 409],
        ),
        row(Get, "/api/v1/admin/audit?<offset>&<limit>", "/api/v1/admin/audit", None, [401, 403, 403, 200]),
        row(Get, "/api/v1/admin/users?<q>&<offset>&<limit>", "/api/v1/admin/users", None, [401, 403, 403, 200]),
        row(
            Post,
            "/api/v1/admin/users/<id>/password-reset",
            format!("/api/v1/admin/users/{}/password-reset", w.target_user),
            None,
            [401, 403, 403, 200],
        ),
        row(
            Post,
            "/api/v1/admin/users/<id>/disable",
            format!("/api/v1/admin/users/{}/disable", w.target_user),
            None,
            [401, 403, 403, 204],
        ),
        row(
            Post,
            "/api/v1/admin/users/<id>/enable",
            format!("/api/v1/admin/users/{}/enable", w.target_user),
            None,
            [401, 403, 403, 204],
        ),
        row(
            Post,
            "/api/v1/admin/users/<id>/promote",
            format!("/api/v1/admin/users/{}/promote", w.target_user),
            None,
            [401, 403, 403, 204],
        ),
        row(
            Post,
            "/api/v1/admin/users/<id>/role",
            format!("/api/v1/admin/users/{}/role", w.target_user),
            Some(json!({"role": "admin"})),
            [401, 403, 403, 200],
        ),
        // the Code's text, lessons, 每日一法, 你点我讲
        row(Get, "/api/v1/articles/<number>", "/api/v1/articles/1047", None, [200, 200, 200, 200]),
        row(Get, "/api/v1/lessons?<article>&<tag>&<offset>&<limit>", "/api/v1/lessons", None, [200, 200, 200, 200]),
        row(Get, "/api/v1/lessons/<slug>", "/api/v1/lessons/loan-no-iou", None, [200, 200, 200, 200]),
        row(Get, "/api/v1/lesson-tags", "/api/v1/lesson-tags", None, [200, 200, 200, 200]),
        row(Get, "/api/v1/daily-law?<date>", "/api/v1/daily-law", None, [200, 200, 200, 200]),
        row(
            Post,
            "/api/v1/lesson-requests",
            "/api/v1/lesson-requests",
            Some(json!({"topic": "彩礼返还"})),
            [401, 201, 201, 201],
        ),
        row(
            Get,
            "/api/v1/me/lesson-requests?<offset>&<limit>",
            "/api/v1/me/lesson-requests",
            None,
            [401, 200, 200, 200],
        ),
        row(Get, "/api/v1/admin/lessons?<offset>&<limit>", "/api/v1/admin/lessons", None, [401, 403, 403, 200]),
        row(Post, "/api/v1/admin/lessons", "/api/v1/admin/lessons", Some(new_lesson), [401, 403, 403, 201]),
        row(
            Post,
            "/api/v1/admin/lessons/preview",
            "/api/v1/admin/lessons/preview",
            Some(json!({"body": "正文"})),
            [401, 403, 403, 200],
        ),
        row(Get, "/api/v1/admin/lessons/<slug>", "/api/v1/admin/lessons/authz-lesson", None, [401, 403, 403, 200]),
        row(
            Put,
            "/api/v1/admin/lessons/<slug>",
            "/api/v1/admin/lessons/authz-lesson",
            Some(lesson),
            [401, 403, 403, 200],
        ),
        row(
            Post,
            "/api/v1/admin/lessons/<slug>/publish",
            "/api/v1/admin/lessons/authz-lesson/publish",
            None,
            [401, 403, 403, 200],
        ),
        row(
            Post,
            "/api/v1/admin/lessons/<slug>/unpublish",
            "/api/v1/admin/lessons/authz-lesson/unpublish",
            None,
            [401, 403, 403, 200],
        ),
        row(
            Get,
            "/api/v1/admin/lessons/<slug>/revisions",
            "/api/v1/admin/lessons/authz-lesson/revisions",
            None,
            [401, 403, 403, 200],
        ),
        row(Get, "/api/v1/admin/daily-law", "/api/v1/admin/daily-law", None, [401, 403, 403, 200]),
        row(
            Put,
            "/api/v1/admin/daily-law/<article>",
            "/api/v1/admin/daily-law/679",
            Some(json!({"title": "借钱要有凭据", "gloss": "借给别人钱，最好通过银行转账，并写一张借条。"})),
            [401, 403, 403, 200],
        ),
        row(
            Get,
            "/api/v1/admin/lesson-requests?<state>&<offset>&<limit>",
            "/api/v1/admin/lesson-requests",
            None,
            [401, 403, 403, 200],
        ),
        row(
            Post,
            "/api/v1/admin/lesson-requests/<id>/answer",
            format!("/api/v1/admin/lesson-requests/{request}/answer"),
            Some(json!({"slug": "loan-no-iou"})),
            [401, 403, 403, 200],
        ),
        row(
            Post,
            "/api/v1/admin/lesson-requests/<id>/decline",
            format!("/api/v1/admin/lesson-requests/{request}/decline"),
            Some(json!({"reason": "已有相关课程"})),
            [401, 403, 403, 200],
        ),
        // personal data (erasure last: it ends the owner's and the stranger's accounts)
        row(Get, "/api/v1/privacy", "/api/v1/privacy", None, [200, 200, 200, 200]),
        row(Get, "/api/v1/me/export", "/api/v1/me/export", None, [401, 200, 200, 200]),
        // Staff of every kind keep their accounts (409): an admin takes their role away first.
        row(Delete, "/api/v1/me", "/api/v1/me", None, [401, 200, 200, 409]).scoped(409, 409),
    ]
}

/// Rocket's own listing of what is mounted: `METHOD /path` with `<params>` as written.
fn mounted(app: &TestApp) -> Vec<(Method, String)> {
    app.client
        .rocket()
        .routes()
        .filter(|r| !r.uri.as_str().contains("<path..>"))
        .map(|r| (r.method, r.uri.as_str().to_owned()))
        .collect()
}

#[rocket::async_test]
async fn every_route_answers_each_kind_of_caller_as_the_table_says() {
    let app = TestApp::without_cookies().await;
    let w = world(&app).await;
    let rows = table(&w);

    let mut missing: Vec<String> = mounted(&app)
        .into_iter()
        .filter(|(method, uri)| !rows.iter().any(|r| r.method == *method && r.route == uri))
        .map(|(method, uri)| format!("{method} {uri}"))
        .collect();
    missing.sort();
    assert!(missing.is_empty(), "routes without a row in the authorization table: {missing:#?}");

    // And every operation of the published OpenAPI document (`{id}` there is `<id>` here).
    let doc = serde_json::to_value(pufa::api::openapi::document()).expect("document");
    let as_documented = |route: &str| -> String {
        let path = route.split('?').next().unwrap_or(route);
        path.replace('<', "{").replace('>', "}")
    };
    let mut undocumented_rows = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_none() {
                continue;
            }
            let covered =
                rows.iter().any(|r| r.method.as_str().eq_ignore_ascii_case(method) && as_documented(r.route) == *path);
            if !covered {
                undocumented_rows.push(format!("{method} {path}"));
            }
        }
    }
    assert!(undocumented_rows.is_empty(), "OpenAPI operations without a row: {undocumented_rows:#?}");

    let mut wrong = Vec::new();
    for row in &rows {
        let expect = row.expected();
        for (i, caller) in [Anonymous, Owner, Stranger, Staff, Township, Liaison].into_iter().enumerate() {
            let token = match caller {
                Anonymous => None,
                // Signing out ends the caller's token: use a token of its own for that row.
                _ if row.route == "/api/v1/auth/logout" => Some(fresh_token(&app, caller).await),
                Owner => Some(w.owner.clone()),
                Stranger => Some(w.stranger.clone()),
                Staff => Some(w.staff.clone()),
                Township => Some(w.township.clone()),
                Liaison => Some(w.liaison.clone()),
            };
            let mut req = app.client.req(row.method, row.path.clone());
            if let Some(token) = &token {
                req = req.header(bearer(token));
            }
            if let Some(body) = &row.body {
                let bytes = match body {
                    Value::String(raw) => raw.clone().into_bytes(),
                    other => other.to_string().into_bytes(),
                };
                req = req.header(ContentType::JSON).body(bytes);
            }
            let res = req.dispatch().await;
            let status = res.status().code;
            let is_stream = row.route.ends_with("/live");
            let body = if is_stream { String::new() } else { res.into_string().await.unwrap_or_default() };
            if status != expect[i] {
                wrong.push(format!(
                    "{} {} as {caller:?}: {status}, table says {} {body}",
                    row.method, row.path, expect[i]
                ));
            }
            if !is_stream && (400..600).contains(&status) {
                let error: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                assert!(
                    error["error"]["code"].is_string(),
                    "{} {}: error without a JSON code: {body}",
                    row.method,
                    row.path
                );
            }
        }
    }
    assert!(wrong.is_empty(), "{} cells differ:\n{}", wrong.len(), wrong.join("\n"));
}

async fn fresh_token(app: &TestApp, caller: Caller) -> String {
    let phone = match caller {
        Owner => "13812348801",
        Stranger => "13812348802",
        Township => TOWNSHIP_STAFF_PHONE,
        Liaison => LIAISON_PHONE,
        _ => "13300000001",
    };
    let password = if caller == Staff { "admin-password" } else { "password-1" };
    let reply = app.login(phone, password).await;
    reply.body["token"].as_str().expect("token").to_owned()
}
