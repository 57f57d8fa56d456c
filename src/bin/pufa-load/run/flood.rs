//! A sign-in flood beside the run (`--login-rate`): open loop, reported on its own, to see what it
//! does to the answers.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use super::drive::{ConnPool, InFlight};
use super::report::{Latency, LoginReport, error_rows};
use crate::http::{Method, Target};
use crate::stats::{Recorder, StatusCounts, Window};

/// An open-loop flood of sign-ins, reported on its own.
pub(super) async fn login_flood(
    target: Target,
    phones: Vec<String>,
    password: String,
    rate: f64,
    window: Window,
) -> LoginReport {
    let period = Duration::from_secs_f64(1.0 / rate);
    let begin = Instant::now();
    let mut ticker = tokio::time::interval_at(begin.into(), period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let pool = ConnPool::new(target);
    let inflight = Arc::new(InFlight::default());
    let results: Arc<Mutex<(Recorder, StatusCounts)>> = Arc::default();
    let mut sent = 0u64;
    let mut dropped = 0u64;
    let mut tasks = JoinSet::new();
    let mut next_phone = 0usize;
    loop {
        let scheduled = ticker.tick().await.into_std();
        if scheduled >= window.end {
            break;
        }
        while tasks.try_join_next().is_some() {}
        // A server that stops answering must not make the flood hold unbounded connections.
        if inflight.now.load(Ordering::Relaxed) >= 1000 {
            dropped += u64::from(window.contains(scheduled));
            continue;
        }
        let phone = phones.get(next_phone % phones.len().max(1)).cloned().unwrap_or_default();
        next_phone += 1;
        sent += u64::from(window.contains(scheduled));
        let body = serde_json::to_vec(&json!({"phone": phone, "password": password})).unwrap_or_default();
        let (pool, inflight, results) = (pool.clone(), inflight.clone(), results.clone());
        inflight.enter();
        tasks.spawn(async move {
            let mut conn = pool.take();
            let sent_at = Instant::now();
            let outcome = conn.request(Method::Post, "/api/v1/auth/login", None, Some(&body)).await;
            let took = sent_at.elapsed();
            inflight.leave();
            pool.give(conn);
            if !window.contains(sent_at) {
                return;
            }
            let mut guard = results.lock().unwrap_or_else(PoisonError::into_inner);
            let (rec, statuses) = &mut *guard;
            match outcome {
                Ok(response) => {
                    rec.latency("login", took);
                    *statuses.entry(response.status).or_default() += 1;
                    if !matches!(response.status, 200 | 401 | 429 | 503) {
                        rec.http_error("login", &response);
                    }
                }
                Err(err) => {
                    *statuses.entry(0).or_default() += 1;
                    rec.transport_error("login", err);
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let mut guard = results.lock().unwrap_or_else(PoisonError::into_inner);
    let (rec, statuses) = &mut *guard;
    let secs = window.secs();
    let s = rec.summary("login");
    LoginReport {
        rate,
        sent,
        dropped_over_1000_in_flight: dropped,
        latency: Latency::of(&s, secs),
        statuses: statuses.iter().map(|(status, n)| (status.to_string(), *n)).collect::<BTreeMap<_, _>>(),
        unexpected: error_rows(rec),
    }
}
