//! /healthz, /readyz, /metrics: for the load balancer and the monitoring.

use rocket::http::{ContentType, Status};
use rocket::serde::json::Json;
use rocket::{State, get, routes};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::metrics::Metrics;
use crate::quiz::Quiz;
use crate::store::LiveStore;

pub fn routes() -> Vec<rocket::Route> {
    routes![healthz, readyz, metrics]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Liveness {
    Ok,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Health {
    pub status: Liveness,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Readiness {
    Ok,
    Unavailable,
}

/// One dependency's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Ok,
    Error,
    NotConfigured,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ready {
    pub status: Readiness,
    pub sql: Check,
    /// `not_configured` with the in-process store.
    pub redis: Check,
    /// Where live scores are kept: `redis` or `memory`.
    #[schema(example = "memory")]
    pub live_scores: &'static str,
}

/// Liveness: answers while the process serves.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "system",
    responses((status = 200, description = "the process serves", body = Health))
)]
#[get("/healthz")]
fn healthz() -> Json<Health> {
    Json(Health { status: Liveness::Ok })
}

/// Readiness: SQL and (when configured) Redis answer.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "system",
    responses(
        (status = 200, description = "ready", body = Ready),
        (status = 503, description = "SQL or Redis does not answer", body = Ready),
    )
)]
#[get("/readyz")]
async fn readyz(db: &State<DatabaseConnection>, live: &State<LiveStore>) -> (Status, Json<Ready>) {
    let sql = crate::db::ping(db).await;
    let redis = live.ping().await;
    let ready = sql && redis != Some(false);
    let check = |ok: bool| if ok { Check::Ok } else { Check::Error };
    let body = Ready {
        status: if ready { Readiness::Ok } else { Readiness::Unavailable },
        sql: check(sql),
        redis: redis.map_or(Check::NotConfigured, check),
        live_scores: live.kind(),
    };
    (if ready { Status::Ok } else { Status::ServiceUnavailable }, Json(body))
}

/// Prometheus text: requests by route and status, latency, live sessions, answers accepted.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "system",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
async fn metrics(metrics: &State<Metrics>, quiz: &State<Quiz>) -> (ContentType, String) {
    let live = quiz.live_sessions().await.ok();
    (ContentType::new("text", "plain").with_params(("version", "0.0.4")), metrics.render(live))
}
