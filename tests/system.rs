//! Errors, readiness, metrics and start-up: what operators and client developers meet.

mod common;

use common::{Live, Sql, TestApp, VILLAGE, bearer};
use rocket::http::{ContentType, Header, Method, Status};
use serde_json::json;

fn register_body(phone: serde_json::Value, password: serde_json::Value, name: serde_json::Value) -> Vec<u8> {
    json!({"phone": phone, "password": password, "display_name": name, "region_code": VILLAGE, "consent": true})
        .to_string()
        .into_bytes()
}

/// One malformed request and what it must get.
struct Case {
    what: &'static str,
    method: Method,
    path: String,
    body: Vec<u8>,
    auth: Option<String>,
    status: Status,
    code: &'static str,
}

fn case(
    what: &'static str,
    method: Method,
    path: &str,
    body: impl Into<Vec<u8>>,
    status: Status,
    code: &'static str,
) -> Case {
    Case { what, method, path: path.to_owned(), body: body.into(), auth: None, status, code }
}

fn authed(what: &'static str, method: Method, path: &str, auth: &str) -> Case {
    Case {
        what,
        method,
        path: path.to_owned(),
        body: Vec::new(),
        auth: Some(auth.to_owned()),
        status: Status::Unauthorized,
        code: "unauthorized",
    }
}

#[rocket::async_test]
async fn fifty_malformed_requests_each_get_their_documented_json_error() {
    use Method::{Get, Post, Put};
    let app = TestApp::plain().await;
    let register = "/api/v1/auth/register";
    let login = "/api/v1/auth/login";
    let huge = vec![b'x'; 10 * 1024 * 1024];
    let mut huge_json = b"{\"phone\":\"".to_vec();
    huge_json.extend(std::iter::repeat_n(b'1', 10 * 1024 * 1024));
    huge_json.extend(b"\"}");
    let deep = "[".repeat(10_000);
    let (bad, unproc, unauth, missing) =
        (Status::BadRequest, Status::UnprocessableEntity, Status::Unauthorized, Status::NotFound);
    let cases = vec![
        case("not JSON at all", Post, register, "phone=1&password=2", bad, "malformed_json"),
        case("truncated JSON", Post, register, "{\"phone\": \"138", bad, "malformed_json"),
        case("empty body", Post, register, "", bad, "malformed_json"),
        case("whitespace body", Post, register, "  \n ", bad, "malformed_json"),
        case("an array", Post, register, "[]", unproc, "invalid_body"),
        case("null", Post, register, "null", unproc, "invalid_body"),
        case("a number", Post, register, "42", unproc, "invalid_body"),
        case("a string", Post, register, "\"13812345678\"", unproc, "invalid_body"),
        case("empty object", Post, register, "{}", unproc, "invalid_body"),
        case(
            "missing password",
            Post,
            register,
            r#"{"phone":"13812345678","display_name":"a","region_code":"x"}"#,
            unproc,
            "invalid_body",
        ),
        case(
            "missing display_name",
            Post,
            register,
            r#"{"phone":"13812345678","password":"steppe-wind-1","region_code":"x"}"#,
            unproc,
            "invalid_body",
        ),
        case(
            "missing region_code",
            Post,
            register,
            r#"{"phone":"13812345678","password":"steppe-wind-1","display_name":"a"}"#,
            unproc,
            "invalid_body",
        ),
        case(
            "phone as a number",
            Post,
            register,
            register_body(json!(13812345678u64), json!("steppe-wind-1"), json!("a")),
            unproc,
            "invalid_body",
        ),
        case(
            "password as an array",
            Post,
            register,
            register_body(json!("13812345678"), json!(["p"]), json!("a")),
            unproc,
            "invalid_body",
        ),
        case(
            "name as an object",
            Post,
            register,
            register_body(json!("13812345678"), json!("steppe-wind-1"), json!({"n": 1})),
            unproc,
            "invalid_body",
        ),
        case(
            "name as null",
            Post,
            register,
            register_body(json!("13812345678"), json!("steppe-wind-1"), json!(null)),
            unproc,
            "invalid_body",
        ),
        case(
            "region as a boolean",
            Post,
            register,
            r#"{"phone":"13812345678","password":"steppe-wind-1","display_name":"a","region_code":true}"#,
            unproc,
            "invalid_body",
        ),
        case(
            "unknown field",
            Post,
            register,
            r#"{"phone":"13812345678","password":"steppe-wind-1","display_name":"a","region_code":"x","admin":true}"#,
            unproc,
            "invalid_body",
        ),
        case(
            "duplicate field",
            Post,
            register,
            r#"{"phone":"13812345678","phone":"13812345679","password":"steppe-wind-1","display_name":"a","region_code":"x"}"#,
            unproc,
            "invalid_body",
        ),
        case(
            "trailing garbage",
            Post,
            register,
            format!(
                "{} x",
                String::from_utf8_lossy(&register_body(json!("13812345678"), json!("steppe-wind-1"), json!("a")))
            ),
            bad,
            "malformed_json",
        ),
        case(
            "invalid UTF-8",
            Post,
            register,
            vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'],
            bad,
            "malformed_json",
        ),
        case("10 MB of junk", Post, register, huge.clone(), Status::PayloadTooLarge, "payload_too_large"),
        case("10 MB JSON string", Post, register, huge_json.clone(), Status::PayloadTooLarge, "payload_too_large"),
        case("10,000 nested arrays", Post, register, deep.clone(), unproc, "invalid_body"),
        case("10,000 nested arrays in a field", Post, register, format!("{{\"phone\":{deep}"), unproc, "invalid_body"),
        case(
            "letters for a phone",
            Post,
            register,
            register_body(json!("138abcd5678"), json!("steppe-wind-1"), json!("a")),
            unproc,
            "invalid_phone",
        ),
        case(
            "landline phone",
            Post,
            register,
            register_body(json!("04788888888"), json!("steppe-wind-1"), json!("a")),
            unproc,
            "invalid_phone",
        ),
        case(
            "short password",
            Post,
            register,
            register_body(json!("13812345678"), json!("1234567"), json!("a")),
            unproc,
            "weak_password",
        ),
        case(
            "200-char password",
            Post,
            register,
            register_body(json!("13812345678"), json!("p".repeat(200)), json!("a")),
            unproc,
            "weak_password",
        ),
        case(
            "blank name",
            Post,
            register,
            register_body(json!("13812345678"), json!("steppe-wind-1"), json!("   ")),
            unproc,
            "invalid_display_name",
        ),
        case(
            "50-char name",
            Post,
            register,
            register_body(json!("13812345678"), json!("steppe-wind-1"), json!("名".repeat(50))),
            unproc,
            "invalid_display_name",
        ),
        case(
            "control chars in name",
            Post,
            register,
            register_body(json!("13812345678"), json!("steppe-wind-1"), json!("a\u{0007}b")),
            unproc,
            "invalid_display_name",
        ),
        case("login: not JSON", Post, login, "<xml/>", bad, "malformed_json"),
        case("login: empty object", Post, login, "{}", unproc, "invalid_body"),
        case("login: phone as number", Post, login, r#"{"phone":13812345678,"password":"x"}"#, unproc, "invalid_body"),
        case(
            "login: malformed phone",
            Post,
            login,
            r#"{"phone":"138","password":"steppe-wind-1"}"#,
            unproc,
            "invalid_phone",
        ),
        case(
            "login: unknown phone",
            Post,
            login,
            r#"{"phone":"13812345670","password":"steppe-wind-1"}"#,
            unauth,
            "invalid_credentials",
        ),
        case("login: 10 MB", Post, login, huge.clone(), Status::PayloadTooLarge, "payload_too_large"),
        case("me without a token", Get, "/api/v1/me", "", unauth, "unauthorized"),
        authed("empty bearer", Get, "/api/v1/me", "Bearer "),
        authed("short bearer", Get, "/api/v1/me", "Bearer abc123"),
        authed("basic auth", Get, "/api/v1/me", "Basic dXNlcjpwYXNz"),
        authed("upper-case hex token", Get, "/api/v1/me", &format!("Bearer {}", "A".repeat(64))),
        authed("well-formed unknown token", Get, "/api/v1/me", &format!("Bearer {}", "0".repeat(64))),
        authed("token with a quote", Get, "/api/v1/me", &format!("Bearer {}'", "a".repeat(63))),
        authed("SQL in the token", Get, "/api/v1/me", "Bearer ' OR 1=1 --"),
        authed("logout with a forged token", Post, "/api/v1/auth/logout", &format!("Bearer {}", "f".repeat(64))),
        case("logout without a token", Post, "/api/v1/auth/logout", "", unauth, "unauthorized"),
        case("unknown API route", Get, "/api/v1/nope", "", missing, "not_found"),
        case("unknown API version", Get, "/api/v2/me", "", missing, "not_found"),
        case("wrong method on me", Put, "/api/v1/me", "", missing, "not_found"),
        case("GET on register", Get, register, "", missing, "not_found"),
        case("PUT on login", Put, login, r#"{"phone":"13812345678","password":"x"}"#, missing, "not_found"),
        case("unknown route with 10 MB", Post, "/api/v1/upload-everything", huge, missing, "not_found"),
        case("path traversal", Get, "/api/v1/regions/../../etc/passwd", "", missing, "not_found"),
        case("very long path", Get, &format!("/api/v1/{}", "a".repeat(8000)), "", missing, "not_found"),
    ];
    assert!(cases.len() >= 50, "only {} cases", cases.len());
    for case in cases {
        let mut req = app.client.req(case.method, case.path.clone()).header(ContentType::JSON).body(case.body);
        if let Some(auth) = case.auth {
            req = req.header(Header::new("Authorization", auth));
        }
        let res = req.dispatch().await;
        let status = res.status();
        let content_type = res.content_type();
        let body: serde_json::Value = serde_json::from_str(&res.into_string().await.unwrap_or_default())
            .unwrap_or_else(|_| panic!("{}: body is not JSON", case.what));
        assert_eq!(status, case.status, "{}: {body}", case.what);
        assert_eq!(content_type, Some(ContentType::JSON), "{}", case.what);
        assert_eq!(body["error"]["code"], case.code, "{}: {body}", case.what);
        assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{}: no message", case.what);
    }
    // Nothing above was stored.
    let users = pufa::db::entity::user::Entity::find().all(app.db()).await.expect("users");
    assert_eq!(users.len(), 1, "only the bootstrap admin");
}

use sea_orm::EntityTrait;

#[rocket::get("/boom")]
fn boom() -> &'static str {
    panic!("a bug in a handler")
}

#[rocket::async_test]
async fn a_panicking_handler_answers_a_json_500_and_the_server_goes_on() {
    let dir = tempfile::tempdir().expect("dir");
    let figment = pufa::config::figment()
        .merge(("database_url", format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display())))
        .merge(("live_scores", "memory"))
        .merge(("regions_file", concat!(env!("CARGO_MANIFEST_DIR"), "/question-bank/regions.toml")))
        .merge(("log_level", "off"));
    let rocket = pufa::rocket(figment).mount("/api/test", rocket::routes![boom]);
    let client = rocket::local::asynchronous::Client::tracked(rocket).await.expect("starts");
    let res = client.get("/api/test/boom").dispatch().await;
    assert_eq!(res.status(), Status::InternalServerError);
    let body: serde_json::Value = serde_json::from_str(&res.into_string().await.unwrap_or_default()).expect("json");
    assert_eq!(body["error"]["code"], "internal");
    assert_eq!(client.get("/healthz").dispatch().await.status(), Status::Ok);
}

#[rocket::async_test]
async fn health_readiness_and_metrics_answer() {
    for (sql, live) in [(Sql::Sqlite, Live::Memory), (Sql::Postgres, Live::Redis)] {
        let Some(app) = TestApp::start(sql, live).await else { continue };
        let health = app.get("/healthz", None).await;
        assert_eq!((health.status, health.body.clone()), (Status::Ok, json!({"status": "ok"})));

        let ready = app.get("/readyz", None).await;
        assert_eq!(ready.status, Status::Ok, "{}", ready.body);
        assert_eq!(ready.body["sql"], "ok");
        assert_eq!(ready.body["redis"], if live == Live::Redis { "ok" } else { "not_configured" });

        app.get("/api/v1/regions", None).await;
        app.get("/api/v1/me", None).await;
        let metrics = app.get("/metrics", None).await;
        assert_eq!(metrics.status, Status::Ok);
        assert!(
            metrics.text.contains(r#"pufa_http_requests_total{method="GET",route="/api/v1/regions",status="200"} 1"#),
            "{}",
            metrics.text
        );
        assert!(metrics.text.contains(r#"route="/api/v1/me",status="401"} 1"#), "{}", metrics.text);
        assert!(
            metrics
                .text
                .contains(r#"pufa_http_request_duration_seconds_bucket{route="GET /api/v1/regions",le="+Inf"} 1"#)
        );
    }
}

#[rocket::async_test]
async fn redis_mode_refuses_to_start_without_redis_and_auto_mode_falls_back() {
    let dir = tempfile::tempdir().expect("dir");
    let base = pufa::config::figment()
        .merge(("database_url", format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display())))
        .merge(("regions_file", concat!(env!("CARGO_MANIFEST_DIR"), "/question-bank/regions.toml")))
        .merge(("redis_url", "redis://127.0.0.1:1"))
        .merge(("log_level", "off"));

    let strict =
        rocket::local::asynchronous::Client::tracked(pufa::rocket(base.clone().merge(("live_scores", "redis")))).await;
    match strict {
        // Rocket wants its launch errors looked at before they are dropped.
        Err(err) => assert!(matches!(err.kind(), rocket::error::ErrorKind::FailedFairings(_))),
        Ok(_) => panic!("started without Redis in redis mode"),
    }

    let client = rocket::local::asynchronous::Client::tracked(pufa::rocket(base.merge(("live_scores", "auto"))))
        .await
        .expect("auto mode starts without Redis");
    let ready = client.get("/readyz").dispatch().await;
    assert_eq!(ready.status(), Status::Ok);
    let body: serde_json::Value = serde_json::from_str(&ready.into_string().await.unwrap_or_default()).expect("json");
    assert_eq!(body["live_scores"], "memory");
}

#[rocket::async_test]
async fn reloading_regions_never_loses_a_residents_village() {
    let app = TestApp::plain().await;
    let token = app.register("13800000077", "password-1").await;

    // The bureau removes the village from the file and renames a township.
    let original =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/question-bank/regions.toml")).expect("file");
    let edited = original
        .replace(
            &format!("code = \"{VILLAGE}\"\nname = \"巴音敖包嘎查\""),
            "code = \"150824202299\"\nname = \"新嘎查\"",
        )
        .replace("name = \"川井苏木\"", "name = \"川井苏木（新）\"");
    assert_ne!(edited, original);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("regions.toml");
    std::fs::write(&path, edited).expect("write");
    let accounts = app.state::<pufa::accounts::Accounts>();
    accounts.regions().load(app.db(), &path).await.expect("reload");

    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.body["region"], json!({"code": VILLAGE, "name": "巴音敖包嘎查"}));
    let tree = app.get("/api/v1/regions", None).await.text;
    assert!(!tree.contains(VILLAGE), "a removed village is still offered");
    assert!(tree.contains("150824202299") && tree.contains("川井苏木（新）"));
    let late = app
        .post(
            "/api/v1/auth/register",
            json!({"phone": "13800000078", "password": "password-1", "display_name": "x", "region_code": VILLAGE, "consent": true}),
            None,
        )
        .await;
    assert_eq!(late.error_code(), "unknown_region");
    let _ = bearer;
}

#[rocket::async_test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::plain().await;
    let token = app.register("13812349901", "password-1").await;
    let replies = [
        ("the app shell", app.get("/", None).await),
        ("a script", app.get("/app.js?v=2", None).await),
        ("health", app.get("/healthz", None).await),
        ("an API read", app.get("/api/v1/me", Some(&token)).await),
        ("a 401", app.get("/api/v1/admin/banks", None).await),
        ("a 404", app.get("/api/v1/nothing-here", None).await),
        ("a 422", app.post("/api/v1/auth/register", json!({"phone": 1}), None).await),
    ];
    for (what, reply) in &replies {
        let csp = reply.header("Content-Security-Policy").unwrap_or_default();
        assert!(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"), "{what}: CSP {csp:?}");
        assert_eq!(reply.header("X-Content-Type-Options"), Some("nosniff"), "{what}");
        assert_eq!(reply.header("X-Frame-Options"), Some("DENY"), "{what}");
        assert_eq!(reply.header("Referrer-Policy"), Some("no-referrer"), "{what}");
    }
}

#[rocket::async_test]
async fn one_address_creating_accounts_in_bulk_is_slowed_and_answers_keep_a_human_pace() {
    let app = TestApp::start_with(Sql::Sqlite, Live::Memory, |f| {
        f.merge(("registrations_per_address_per_hour", 3)).merge(("answers_per_minute", 6))
    })
    .await
    .expect("app");
    let register_from = |phone: &'static str, address: &'static str| {
        let body = register_body(json!(phone), json!("password-1"), json!("居民"));
        app.client
            .post("/api/v1/auth/register")
            .header(ContentType::JSON)
            .remote(address.parse().expect("address"))
            .body(body)
            .dispatch()
    };
    for phone in ["13812349911", "13812349912", "13812349913"] {
        assert_eq!(register_from(phone, "10.1.1.1:4000").await.status(), Status::Created);
    }
    let fourth = register_from("13812349914", "10.1.1.1:4001").await;
    assert_eq!(fourth.status(), Status::TooManyRequests);
    assert!(fourth.headers().get_one("Retry-After").is_some());
    assert_eq!(register_from("13812349915", "10.2.2.2:4000").await.status(), Status::Created, "another address");

    // Six answers a minute, bursts of two: the third answer at once must wait.
    let token = app.login("13812349915", "password-1").await.body["token"].as_str().expect("token").to_owned();
    let session = app.post("/api/v1/campaigns/2023-civil-code-month/sessions", json!(null), Some(&token)).await.body;
    let id = session["id"].as_str().expect("id");
    let mut statuses = Vec::new();
    for q in session["questions"].as_array().expect("qs").iter().take(3) {
        let choice = if q["kind"] == "judge" { json!(true) } else { json!("A") };
        let path = format!("/api/v1/sessions/{id}/answers/{}", q["position"]);
        let reply = app.put(&path, json!({ "choice": choice }), Some(&token)).await;
        statuses.push((reply.status, reply.header("Retry-After").map(str::to_owned)));
    }
    assert_eq!(statuses[..2], [(Status::Ok, None), (Status::Ok, None)]);
    assert_eq!(statuses[2], (Status::TooManyRequests, Some("10".to_owned())));
}

#[rocket::async_test]
async fn hostile_text_is_stored_and_shown_as_plain_text() {
    let app = TestApp::without_cookies().await;
    // Display names are at most 20 characters.
    let names = ["<svg onload=alert()>", "'; DROP TABLE users;", "\" OR 1=1 --"];
    for (i, name) in names.iter().enumerate() {
        let body = register_body(json!(format!("1381234995{i}")), json!("password-1"), json!(name));
        let reply = app.send_raw(Method::Post, "/api/v1/auth/register", body, None).await;
        assert_eq!(reply.status, Status::Created, "{name}: {}", reply.body);
        let token = reply.body["token"].as_str().expect("token").to_owned();
        let me = app.get("/api/v1/me", Some(&token)).await;
        assert_eq!(me.body["display_name"], *name, "kept exactly as typed, as data");
        assert_eq!(me.content_type, Some(ContentType::JSON), "never served as HTML");
    }
    // The injection attempts did nothing to the tables: every account is there and can sign in.
    for i in 0..names.len() {
        assert_eq!(app.login(&format!("1381234995{i}"), "password-1").await.status, Status::Ok);
    }
    let search = app.get("/api/v1/regions", None).await;
    assert_eq!(search.status, Status::Ok);
}

#[rocket::async_test]
async fn large_json_answers_travel_gzipped_and_small_ones_as_they_are() {
    use std::io::Read;
    let app = TestApp::plain().await;
    let token = app.register("13800000091", "password-1").await;
    let session = app.post("/api/v1/campaigns/2023-civil-code-month/sessions", json!(null), Some(&token)).await;
    let id = session.body["id"].as_str().expect("id").to_owned();
    let gzip = Header::new("Accept-Encoding", "gzip, deflate, br");
    let res =
        app.client.get(format!("/api/v1/sessions/{id}")).header(bearer(&token)).header(gzip.clone()).dispatch().await;
    assert_eq!(res.headers().get_one("Content-Encoding"), Some("gzip"));
    let bytes = res.into_bytes().await.expect("body");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..]).read_to_string(&mut text).expect("gzip");
    let view: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(view["id"], id.as_str());
    assert!(bytes.len() * 4 < text.len() * 3, "{} bytes for {} of JSON", bytes.len(), text.len());
    let small = app.client.get("/api/v1/me").header(bearer(&token)).header(gzip).dispatch().await;
    assert_eq!(small.headers().get_one("Content-Encoding"), None, "a small answer is not worth compressing");
}
