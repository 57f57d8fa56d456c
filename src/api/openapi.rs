//! The OpenAPI 3 document of the whole HTTP API, generated from the route annotations, served at
//! `GET /api/openapi.json`.

use std::sync::OnceLock;

use rocket::http::ContentType;
use rocket::{get, routes};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{accounts, admin, banks, quiz, scores, system};

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
        banks::upload_bank,
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
        admin::audit_log,
        admin::list_users,
        admin::reset_password,
        admin::disable_user,
        admin::enable_user,
        admin::promote_user,
    ),
    components(schemas(
        crate::error::ErrorBody,
        crate::bank::Format,
        crate::scores::RegionLevel,
        crate::scores::live::LiveSnapshot,
        crate::admin::draw::Eligible,
        crate::admin::draw::DayDraw,
    )),
    modifiers(&BearerToken),
    tags(
        (name = "system", description = "liveness, readiness, metrics, this document"),
        (name = "accounts", description = "registration, sign-in, the region tree"),
        (name = "banks", description = "question banks (staff) and categories"),
        (name = "campaigns", description = "quiz campaigns"),
        (name = "sessions", description = "quiz sessions: start, resume, answer, finish"),
        (name = "practice", description = "practice, the daily question, the mistake book"),
        (name = "leaderboards", description = "boards, regional participation, the live stream"),
        (name = "admin", description = "statistics, exports, the prize draw, accounts, the audit log"),
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
