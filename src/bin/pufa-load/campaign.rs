//! `campaign`: creates (or replaces) an open, published campaign to benchmark against.

use std::path::PathBuf;

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::Error;
use crate::http::{Conn, Method, Target, encode_segment};
use crate::seed::read_tokens;

pub struct CampaignArgs {
    pub url: String,
    pub admin_token_file: PathBuf,
    pub slug: String,
    pub questions: u32,
}

pub async fn campaign(args: CampaignArgs) -> Result<(), Error> {
    let target = Target::parse(&args.url)?;
    let admin = read_tokens(&args.admin_token_file)?.into_iter().next().ok_or("no admin token")?;
    let token = admin.token.as_str();
    let mut conn = Conn::new(target);

    let banks = conn.request(Method::Get, "/api/v1/admin/banks", Some(token), None).await?;
    if banks.status != 200 {
        return Err(
            format!("GET /api/v1/admin/banks: {} {}", banks.status, String::from_utf8_lossy(&banks.body)).into()
        );
    }
    let banks: Value = serde_json::from_slice(&banks.body)?;
    let keys: Vec<String> = banks
        .as_array()
        .map(|list| {
            list.iter()
                .filter(|b| b.get("active").and_then(Value::as_bool).unwrap_or(true))
                .filter_map(|b| b.get("key").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    if keys.is_empty() {
        return Err("the server has no active question bank".into());
    }

    let now = Utc::now();
    let body = json!({
        "slug": args.slug,
        "title": format!("压测 {}", args.slug),
        "description": "pufa-load benchmark campaign",
        "opens_at": (now - Duration::hours(1)).to_rfc3339(),
        "closes_at": (now + Duration::days(30)).to_rfc3339(),
        "question_count": args.questions,
        "quotas": [{"count": args.questions}],
        "banks": keys,
        "time_limit_secs": 3600,
        // The most the validation allows per day; 0 = no overall limit.
        "attempts_per_day": 100,
        "max_attempts": 0,
        "points_per_question": 5,
        // The generator's residents answer back to back: no per-answer floor (`plausibility`).
        "min_secs_per_answer": 0,
        "reveal": "after_each",
        "ranking": "best",
        "prize": {"mode": "lottery", "winners": 1},
        "published": true,
    });
    let body = serde_json::to_vec(&body)?;

    let created = conn.request(Method::Post, "/api/v1/admin/campaigns", Some(token), Some(&body)).await?;
    let (verb, response) = if created.status == 409 {
        let path = format!("/api/v1/admin/campaigns/{}", encode_segment(&args.slug));
        ("updated", conn.request(Method::Put, &path, Some(token), Some(&body)).await?)
    } else {
        ("created", created)
    };
    if !(200..300).contains(&response.status) {
        return Err(
            format!("campaign not saved: {} {}", response.status, String::from_utf8_lossy(&response.body)).into()
        );
    }
    let view: Value = serde_json::from_slice(&response.body)?;
    println!(
        "{verb} campaign {} ({} questions from {} bank(s): {}), state {}, open until {}",
        args.slug,
        args.questions,
        keys.len(),
        keys.join(", "),
        view.get("state").and_then(Value::as_str).unwrap_or("?"),
        view.get("closes_at").and_then(Value::as_str).unwrap_or("?"),
    );
    Ok(())
}
