//! The OpenAPI 3 document of the whole HTTP API, generated from the route annotations, served at
//! `GET /api/openapi.json`.

use std::sync::OnceLock;

use rocket::http::ContentType;
use rocket::{get, routes};
use serde_json::json;
use utoipa::openapi::RefOr;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{accounts, admin, banks, codes, lesson_admin, lessons, privacy, quiz, scores, system, users};

pub fn routes() -> Vec<rocket::Route> {
    routes![openapi_json]
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pufa",
        description = "普法答题: Civil Code quiz campaigns. Every error on /api is \
            `{\"error\": {\"code\", \"message\", \"fields\"?, \"problems\"?}}` with a stable code.",
        license(name = "MIT"),
    ),
    paths(
        system::healthz,
        system::readyz,
        system::metrics,
        openapi_json,
        accounts::register,
        accounts::login,
        accounts::logout,
        accounts::me,
        accounts::regions,
        accounts::change_password,
        banks::upload_bank,
        banks::set_visibility,
        banks::list_banks,
        banks::list_questions,
        banks::question_revisions,
        banks::categories,
        quiz::create_campaign,
        quiz::update_campaign,
        quiz::list_all_campaigns,
        quiz::list_campaigns,
        quiz::get_campaign,
        quiz::start_session,
        quiz::get_session,
        quiz::submit_answer,
        quiz::finish_session,
        quiz::practice,
        quiz::practice_pack,
        quiz::practice_answer,
        quiz::daily,
        quiz::my_mistakes,
        scores::leaderboard,
        scores::around_me,
        scores::region_stats,
        scores::live,
        scores::rebuild_boards,
        admin::campaign_stats,
        admin::stats_csv,
        admin::results_csv,
        admin::run_draw,
        admin::public_draw,
        admin::eligible_csv,
        admin::flagged_attempts,
        admin::clear_flag,
        admin::audit_log,
        users::list_users,
        users::reset_password,
        users::disable_user,
        users::enable_user,
        users::promote_user,
        users::set_role,
        codes::request_code,
        codes::reset_password,
        codes::verify_phone,
        codes::claimed_accounts,
        privacy::privacy_notice,
        privacy::export_my_data,
        privacy::erase_me,
        lessons::article,
        lessons::list_lessons,
        lessons::get_lesson,
        lessons::lesson_tags,
        lessons::daily_law,
        lessons::ask_lesson,
        lessons::my_lesson_requests,
        lesson_admin::staff_lessons,
        lesson_admin::create_lesson,
        lesson_admin::preview_lesson,
        lesson_admin::staff_lesson,
        lesson_admin::update_lesson,
        lesson_admin::publish_lesson,
        lesson_admin::unpublish_lesson,
        lesson_admin::lesson_revisions,
        lesson_admin::daily_law_items,
        lesson_admin::save_daily_law_item,
        lesson_admin::staff_lesson_requests,
        lesson_admin::answer_lesson_request,
        lesson_admin::decline_lesson_request,
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::bank::Format,
        crate::bank::ImportMode,
        crate::bank::Visibility,
        crate::scores::RegionLevel,
        crate::scores::live::LiveSnapshot,
        crate::prize::draw::Winner,
        crate::prize::draw::DrawState,
        crate::prize::eligibility::EligibleList,
        crate::prize::eligibility::DayList,
        crate::prize::eligibility::Entrant,
    )),
    modifiers(&BearerToken, &SharedResponses, &Links),
    tags(
        (name = "system", description = "liveness, readiness, metrics, this document"),
        (name = "accounts", description = "registration, sign-in, the region tree"),
        (name = "banks", description = "question banks (staff) and categories"),
        (name = "campaigns", description = "quiz campaigns"),
        (name = "sessions", description = "quiz sessions: start, resume, answer, finish"),
        (name = "practice", description = "practice, the daily question, the mistake book"),
        (name = "leaderboards", description = "boards, regional participation, the live stream"),
        (name = "admin", description = "statistics, exports, the prize draw, accounts, the audit log"),
        (name = "lessons", description = "the Civil Code's text, 以案释法 lessons, 每日一法, 你点我讲 requests"),
    ),
)]
struct ApiDoc;

/// `Authorization: Bearer <token>` (the token of register or login).
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "the `token` of register or login; the browser app may use the HttpOnly cookie instead",
                    ))
                    .build(),
            ),
        );
    }
}

/// The answers many operations share, written once here instead of on every route: 401 on every
/// operation that needs a token, 403 on every staff operation, 503 on every /api/v1 operation
/// (the database or Redis away, or sign-ins overloaded; `Retry-After` says when to try again).
/// A route's own description of one of these statuses is kept.
struct SharedResponses;

impl SharedResponses {
    fn error(description: &str) -> RefOr<utoipa::openapi::Response> {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        RefOr::T(ResponseBuilder::new().description(description).content("application/json", content).build())
    }
}

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                // A token is required unless an empty requirement (`()`) makes it optional.
                let requirements: Vec<serde_json::Value> =
                    operation.security.iter().flatten().map(|r| serde_json::to_value(r).unwrap_or_default()).collect();
                let needs_token = !requirements.is_empty()
                    && !requirements.iter().any(|r| r.as_object().is_some_and(serde_json::Map::is_empty));
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, description: &str| {
                    responses.entry(status.to_owned()).or_insert_with(|| Self::error(description));
                };
                if needs_token {
                    add("401", "`unauthorized`: no valid token");
                }
                if path.starts_with("/api/v1/admin/") {
                    add("403", "`forbidden`: staff only, or not this staff role");
                }
                if path.starts_with("/api/v1/") {
                    add(
                        "503",
                        "`unavailable`: the database or the live store is unreachable; try again after `Retry-After`",
                    );
                }
            }
        }
    }
}

/// Links between operations: the id one answer gives is what another operation takes (for
/// clients, and for schemathesis' stateful tests). Written as raw JSON in the response's map:
/// utoipa 5's `Link` serializes its fields in snake_case (`operation_id`), which OpenAPI does not
/// know (fixed in utoipa 6).
struct Links;

impl Modify for Links {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let session = json!({
            "resume": {"operationId": "get_session", "parameters": {"id": "$response.body#/id"}},
            "answer": {
                "operationId": "submit_answer",
                "parameters": {"id": "$response.body#/id", "position": "$response.body#/questions/0/position"},
            },
            "finish": {"operationId": "finish_session", "parameters": {"id": "$response.body#/id"}},
        });
        // 409 `session_in_progress` names the session to go on with.
        let in_progress = json!({
            "resume": {"operationId": "get_session", "parameters": {"id": "$response.body#/error/session_id"}},
            "answer": {
                "operationId": "submit_answer",
                "parameters": {"id": "$response.body#/error/session_id", "position": 1},
            },
            "finish": {"operationId": "finish_session", "parameters": {"id": "$response.body#/error/session_id"}},
        });
        let practice = |id: &str| json!({"answer": {"operationId": "practice_answer", "requestBody": {"question_id": id, "choice": "A"}}});
        let links = [
            ("/api/v1/campaigns/{slug}/sessions", "post", "201", session.clone()),
            ("/api/v1/campaigns/{slug}/sessions", "post", "409", in_progress),
            ("/api/v1/sessions/{id}", "get", "200", session),
            ("/api/v1/practice", "get", "200", practice("$response.body#/0/id")),
            ("/api/v1/daily", "get", "200", practice("$response.body#/id")),
            (
                "/api/v1/admin/banks/{key}/questions",
                "get",
                "200",
                json!({"revisions": {
                    "operationId": "question_revisions",
                    "parameters": {"key": "$request.path.key", "question": "$response.body#/0/key"},
                }}),
            ),
        ];
        for (path, method, status, links) in links {
            let item = openapi.paths.paths.get_mut(path);
            let operation = item.and_then(|item| match method {
                "get" => item.get.as_mut(),
                _ => item.post.as_mut(),
            });
            let response = operation.and_then(|op| op.responses.responses.get_mut(status));
            if let Some(RefOr::T(response)) = response {
                response.extensions.get_or_insert_with(Default::default).insert("links".into(), links);
            }
        }
    }
}

/// The OpenAPI document of every route pufa mounts.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "system",
    responses((status = 200, description = "the OpenAPI 3.1 document", content_type = "application/json", body = Object))
)]
#[get("/api/openapi.json")]
fn openapi_json() -> (ContentType, &'static str) {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| document().to_json().unwrap_or_else(|_| "{}".to_owned()));
    (ContentType::JSON, json.as_str())
}
