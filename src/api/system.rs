//! /healthz, /readyz, /metrics: for the load balancer and the monitoring.

use rocket::http::{ContentType, Status};
use rocket::serde::json::{Json, Value, json};
use rocket::{State, get, routes};
use sea_orm::DatabaseConnection;

use crate::metrics::Metrics;
use crate::quiz::Quiz;
use crate::scores::LiveStore;

pub fn routes() -> Vec<rocket::Route> {
    routes![healthz, readyz, metrics]
}

#[get("/healthz")]
fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

#[get("/readyz")]
async fn readyz(db: &State<DatabaseConnection>, live: &State<LiveStore>) -> (Status, Json<Value>) {
    let sql = crate::db::ping(db).await;
    let redis = live.ping().await;
    let ready = sql && redis != Some(false);
    let word = |ok: bool| if ok { "ok" } else { "error" };
    let body = json!({
        "status": if ready { "ok" } else { "unavailable" },
        "sql": word(sql),
        "redis": redis.map_or("not_configured", word),
        "live_scores": live.kind(),
    });
    (if ready { Status::Ok } else { Status::ServiceUnavailable }, Json(body))
}

#[get("/metrics")]
async fn metrics(metrics: &State<Metrics>, quiz: &State<Quiz>) -> (ContentType, String) {
    let live = quiz.live_sessions().await.ok();
    (ContentType::new("text", "plain").with_params(("version", "0.0.4")), metrics.render(live))
}
