//! `seed` (residents and their tokens straight into SQL) and `verify` (answers stored in SQL).

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;
use pufa::accounts::{Password, PasswordHasher, Phone, Regions, Token};
use pufa::db::entity::{auth_token, campaign, quiz_session, region, session_question, user};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use crate::Error;

/// Rows per INSERT: 500 users × 7 columns stays far below SQLite's and PostgreSQL's bind limits.
const CHUNK: usize = 500;

pub struct SeedArgs {
    pub database_url: String,
    pub users: u64,
    pub tokens_out: PathBuf,
    pub password: String,
    pub phone_base: u64,
    pub admin_phone: String,
    pub regions_file: PathBuf,
    pub token_days: i64,
}

/// One line of a tokens file: `user_id<TAB>phone<TAB>token`.
#[derive(Debug, Clone)]
pub struct TokenLine {
    pub user_id: i64,
    pub phone: String,
    pub token: String,
}

pub fn read_tokens(path: &Path) -> Result<Vec<TokenLine>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split('\t');
        let (Some(id), Some(phone), Some(token), None) = (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(format!("{}:{}: expected user_id<TAB>phone<TAB>token", path.display(), n + 1).into());
        };
        let user_id = id.parse().map_err(|_| format!("{}:{}: bad user id {id:?}", path.display(), n + 1))?;
        if Token::parse(token).is_none() {
            return Err(format!("{}:{}: malformed token", path.display(), n + 1).into());
        }
        lines.push(TokenLine { user_id, phone: phone.to_owned(), token: token.to_owned() });
    }
    if lines.is_empty() {
        return Err(format!("{}: no tokens", path.display()).into());
    }
    Ok(lines)
}

async fn active_regions(db: &impl ConnectionTrait, level: &str) -> Result<Vec<String>, Error> {
    Ok(region::Entity::find()
        .select_only()
        .column(region::Column::Code)
        .filter(region::Column::Level.eq(level))
        .filter(region::Column::Active.eq(true))
        .order_by_asc(region::Column::Position)
        .into_tuple::<String>()
        .all(db)
        .await?)
}

/// phone → user id for the phones that exist already.
async fn existing_users(txn: &DatabaseTransaction, phones: &[String]) -> Result<HashMap<String, i64>, Error> {
    let mut found = HashMap::new();
    for chunk in phones.chunks(CHUNK) {
        let rows: Vec<(i64, String)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::Phone)
            .filter(user::Column::Phone.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(txn)
            .await?;
        found.extend(rows.into_iter().map(|(id, phone)| (phone, id)));
    }
    Ok(found)
}

pub async fn seed(args: SeedArgs) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let db = pufa::db::connect(&args.database_url).await?;

    // Villages round-robin; the region table is filled at server start, or here from the file.
    let mut villages = active_regions(&db, "village").await?;
    if villages.is_empty() {
        eprintln!("no regions in the database yet: loading {}", args.regions_file.display());
        Regions::default().load(&db, &args.regions_file).await.map_err(|e| e.to_string())?;
        villages = active_regions(&db, "village").await?;
    }
    if villages.is_empty() {
        return Err("the region table has no active village".into());
    }
    let banner = active_regions(&db, "banner").await?.into_iter().next().unwrap_or_else(|| villages[0].clone());

    // One Argon2id hash with pufa's own parameters, shared by every seeded user.
    let password = Password::parse(args.password.clone()).map_err(|e| format!("--password: {e}"))?;
    let hash =
        PasswordHasher::new(1).await.map_err(|e| e.to_string())?.hash(&password).await.map_err(|e| e.to_string())?;

    let last = args.phone_base.checked_add(args.users.saturating_sub(1)).ok_or("--phone-base + --users overflows")?;
    let mut phones = Vec::with_capacity(usize::try_from(args.users).unwrap_or(0));
    for n in [args.phone_base, last] {
        Phone::parse(&n.to_string())
            .map_err(|_| format!("{n} is not a mobile number pufa accepts (1[3-9]xxxxxxxxx)"))?;
    }
    for i in 0..args.users {
        phones.push((args.phone_base + i).to_string());
    }
    let admin_phone = Phone::parse(&args.admin_phone)
        .map_err(|_| format!("--admin-phone {}: not a mobile number", args.admin_phone))?;
    if phones.iter().any(|p| p == admin_phone.as_str()) {
        return Err("--admin-phone lies inside the residents' phone range".into());
    }

    let now = Utc::now();
    let expires_at = now + chrono::Duration::days(args.token_days);
    let txn = db.begin().await?;

    let existing = existing_users(&txn, &phones).await?;
    let missing: Vec<(usize, &String)> =
        phones.iter().enumerate().filter(|(_, p)| !existing.contains_key(*p)).collect();
    for chunk in missing.chunks(CHUNK) {
        let models = chunk.iter().map(|(i, phone)| user::ActiveModel {
            phone: Set((*phone).clone()),
            display_name: Set(format!("压测{}", i + 1)),
            region_code: Set(villages[i % villages.len()].clone()),
            role: Set("resident".to_owned()),
            password_hash: Set(hash.clone()),
            created_at: Set(now),
            disabled: Set(false),
            ..Default::default()
        });
        user::Entity::insert_many(models).exec_without_returning(&txn).await?;
    }
    let ids = existing_users(&txn, &phones).await?;

    let mut lines = Vec::with_capacity(phones.len());
    for phone in &phones {
        let id = *ids.get(phone).ok_or_else(|| format!("user {phone} missing after insert"))?;
        lines.push((TokenLine { user_id: id, phone: phone.clone(), token: String::new() }, Token::generate()));
    }
    for chunk in lines.chunks(CHUNK) {
        let models = chunk.iter().map(|(line, token)| auth_token::ActiveModel {
            token_hash: Set(token.digest()),
            user_id: Set(line.user_id),
            created_at: Set(now),
            expires_at: Set(expires_at),
        });
        auth_token::Entity::insert_many(models).exec_without_returning(&txn).await?;
    }

    // The staff account that creates the benchmark campaign.
    let admin_id = match user::Entity::find().filter(user::Column::Phone.eq(admin_phone.as_str())).one(&txn).await? {
        Some(found) => {
            let id = found.id;
            let mut model: user::ActiveModel = found.into();
            model.role = Set("admin".to_owned());
            model.disabled = Set(false);
            model.update(&txn).await?;
            id
        }
        None => {
            user::ActiveModel {
                phone: Set(admin_phone.as_str().to_owned()),
                display_name: Set("压测管理员".to_owned()),
                region_code: Set(banner),
                role: Set("admin".to_owned()),
                password_hash: Set(hash.clone()),
                created_at: Set(now),
                disabled: Set(false),
                ..Default::default()
            }
            .insert(&txn)
            .await?
            .id
        }
    };
    let admin_token = Token::generate();
    auth_token::ActiveModel {
        token_hash: Set(admin_token.digest()),
        user_id: Set(admin_id),
        created_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;

    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&args.tokens_out).map_err(|e| format!("{}: {e}", args.tokens_out.display()))?,
    );
    for (line, token) in &lines {
        writeln!(out, "{}\t{}\t{}", line.user_id, line.phone, token.as_str())?;
    }
    out.flush()?;
    let admin_path = admin_file(&args.tokens_out);
    std::fs::write(&admin_path, format!("{admin_id}\t{}\t{}\n", admin_phone.as_str(), admin_token.as_str()))
        .map_err(|e| format!("{}: {e}", admin_path.display()))?;

    println!(
        "seeded {} users ({} new, {} reused) over {} villages, one token each, and admin {} (id {admin_id}) in {:.1} s",
        phones.len(),
        missing.len(),
        phones.len() - missing.len(),
        villages.len(),
        admin_phone.as_str(),
        started.elapsed().as_secs_f64()
    );
    println!("tokens: {}  admin token: {}", args.tokens_out.display(), admin_path.display());
    if !existing.is_empty() {
        println!("note: reused accounts keep their old password; --password applies to new ones");
    }
    Ok(())
}

/// `FILE.admin` beside the tokens file.
pub fn admin_file(tokens: &Path) -> PathBuf {
    let mut name = tokens.as_os_str().to_owned();
    name.push(".admin");
    PathBuf::from(name)
}

pub struct VerifyArgs {
    pub database_url: String,
    pub campaign: String,
    pub expect: Option<u64>,
    pub from_json: Option<PathBuf>,
    pub ack_log: Vec<PathBuf>,
}

/// Checks the campaign's answers in SQL; `Ok(false)` when any check failed: fewer stored than
/// expected, an acknowledged answer missing or different, a session whose score is not its answers.
pub async fn verify(args: VerifyArgs) -> Result<bool, Error> {
    let mut expect = args.expect;
    // With a run report: also the answers stored during the run's own time span, against every 200 it got.
    let mut span: Option<(chrono::DateTime<Utc>, chrono::DateTime<Utc>, u64)> = None;
    if let Some(path) = &args.from_json {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let report: crate::run::RunReport =
            serde_json::from_str(&text).map_err(|e| format!("{}: not a run report: {e}", path.display()))?;
        expect = Some(expect.map_or(report.answers_ok, |e| e.max(report.answers_ok)));
        let time = |text: &str| chrono::DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc));
        if let (Some(from), Some(to)) = (time(&report.run_started_at), time(&report.run_ended_at)) {
            span = Some((from, to, report.answers_ok_all));
        }
    }
    if expect.is_none() && args.ack_log.is_empty() {
        return Err("give --expect N, --from-json REPORT or --ack-log FILE".into());
    }
    let acks = read_acks(&args.ack_log)?;
    // At least every distinct acknowledged answer must be stored.
    let expect = expect.unwrap_or(0).max(acks.len() as u64);

    let db = pufa::db::connect(&args.database_url).await?;
    let found = campaign::Entity::find().filter(campaign::Column::Slug.eq(args.campaign.as_str())).one(&db).await?;
    let campaign = found.ok_or_else(|| format!("no campaign {}", args.campaign))?;
    let sessions_of_campaign = Query::select()
        .column(quiz_session::Column::Id)
        .from(quiz_session::Entity)
        .and_where(quiz_session::Column::CampaignId.eq(campaign.id))
        .to_owned();
    let answered = || {
        session_question::Entity::find()
            .filter(session_question::Column::Choice.is_not_null())
            .filter(session_question::Column::SessionId.in_subquery(sessions_of_campaign.clone()))
    };
    let count = answered().count(&db).await?;
    let mut ok = count >= expect;
    println!(
        "campaign {}: {count} answers stored in SQL; expected at least {expect}: {}",
        args.campaign,
        if ok { "OK" } else { "MISSING ANSWERS" }
    );
    if let Some((from, to, all)) = span {
        // Answers stored between the run's first and last request (1 s of slack each side).
        let from = from - chrono::Duration::seconds(1);
        let to = to + chrono::Duration::seconds(1);
        let in_run = answered()
            .filter(session_question::Column::AnsweredAt.gte(from))
            .filter(session_question::Column::AnsweredAt.lte(to))
            .count(&db)
            .await?;
        let span_ok = in_run >= all;
        println!(
            "during the run ({} .. {}): {in_run} stored; the run got {all} answer 200s (warmup included): {}",
            from.to_rfc3339(),
            to.to_rfc3339(),
            if span_ok { "OK" } else { "MISSING ANSWERS" }
        );
        ok &= span_ok;
    }
    if !args.ack_log.is_empty() {
        ok &= check_acks(&db, &acks).await?;
    }
    ok &= check_sessions(&db, &campaign).await?;
    Ok(ok)
}

/// (session id, position) → the choice the server acknowledged.
type Acks = std::collections::BTreeMap<(String, i32), String>;

/// Reads `--ack-log` files; the same answer acknowledged twice (an idempotent repeat) counts once.
fn read_acks(paths: &[PathBuf]) -> Result<Acks, Error> {
    let mut acks = Acks::new();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for (n, line) in text.lines().enumerate() {
            let bad = || format!("{}:{}: expected session_id<TAB>position<TAB>choice", path.display(), n + 1);
            let mut fields = line.split('\t');
            let (Some(session), Some(position), Some(choice), None) =
                (fields.next(), fields.next(), fields.next(), fields.next())
            else {
                return Err(bad().into());
            };
            let position: i32 = position.parse().map_err(|_| bad())?;
            if let Some(before) = acks.insert((session.to_owned(), position), choice.to_owned())
                && before != choice
            {
                return Err(format!(
                    "{}:{}: {session} #{position} acknowledged as {before} and as {choice}",
                    path.display(),
                    n + 1
                )
                .into());
            }
        }
    }
    Ok(acks)
}

/// Every acknowledged answer must be in SQL with the acknowledged choice.
async fn check_acks(db: &sea_orm::DatabaseConnection, acks: &Acks) -> Result<bool, Error> {
    let sessions: Vec<String> = {
        let mut ids: Vec<String> = acks.keys().map(|(s, _)| s.clone()).collect();
        ids.dedup();
        ids
    };
    let mut stored: HashMap<(String, i32), Option<String>> = HashMap::with_capacity(acks.len());
    for chunk in sessions.chunks(CHUNK) {
        let rows: Vec<(String, i32, Option<String>)> = session_question::Entity::find()
            .select_only()
            .column(session_question::Column::SessionId)
            .column(session_question::Column::Position)
            .column(session_question::Column::Choice)
            .filter(session_question::Column::SessionId.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(db)
            .await?;
        stored.extend(rows.into_iter().map(|(s, p, c)| ((s, p), c)));
    }
    let mut missing = Vec::new();
    let mut different = Vec::new();
    for ((session, position), choice) in acks {
        match stored.get(&(session.clone(), *position)) {
            Some(Some(found)) if found == choice => {}
            Some(Some(found)) => {
                different.push(format!("{session} #{position}: acknowledged {choice}, stored {found}"))
            }
            _ => missing.push(format!("{session} #{position} ({choice})")),
        }
    }
    let ok = missing.is_empty() && different.is_empty();
    println!(
        "acknowledged answers: {} in {} sessions; {} stored with the same choice, {} missing, {} different: {}",
        acks.len(),
        sessions.len(),
        acks.len() - missing.len() - different.len(),
        missing.len(),
        different.len(),
        if ok { "OK" } else { "LOST ACKNOWLEDGED ANSWERS" }
    );
    for line in missing.iter().chain(&different).take(10) {
        println!("  {line}");
    }
    Ok(ok)
}

/// Nothing half-written: in every session of the campaign, `correct` is the number of its
/// questions answered right, `score` is that times the campaign's points, and each question
/// row has a choice, a verdict and a time together or none of them.
async fn check_sessions(db: &sea_orm::DatabaseConnection, campaign: &campaign::Model) -> Result<bool, Error> {
    use sea_orm::{DbBackend, FromQueryResult, Statement};
    #[derive(FromQueryResult)]
    struct Broken {
        id: String,
        score: i32,
        correct: i32,
        right: i64,
        torn: i64,
    }
    let backend = db.get_database_backend();
    let (p1, p2) = if backend == DbBackend::Postgres { ("$1", "$2") } else { ("?", "?") };
    let right = "SUM(CASE WHEN q.correct THEN 1 ELSE 0 END)";
    let torn = "SUM(CASE WHEN (q.choice IS NULL) <> (q.correct IS NULL) \
                OR (q.choice IS NULL) <> (q.answered_at IS NULL) THEN 1 ELSE 0 END)";
    let sql = format!(
        "SELECT s.id AS id, s.score AS score, s.correct AS correct, \
         CAST(COALESCE({right}, 0) AS BIGINT) AS \"right\", CAST(COALESCE({torn}, 0) AS BIGINT) AS torn \
         FROM quiz_sessions s LEFT JOIN session_questions q ON q.session_id = s.id \
         WHERE s.campaign_id = {p1} GROUP BY s.id, s.score, s.correct \
         HAVING s.correct <> COALESCE({right}, 0) OR s.score <> s.correct * {p2} OR COALESCE({torn}, 0) > 0"
    );
    let values = [campaign.id.into(), campaign.points_per_question.into()];
    let broken = Broken::find_by_statement(Statement::from_sql_and_values(backend, sql, values)).all(db).await?;
    let sessions =
        quiz_session::Entity::find().filter(quiz_session::Column::CampaignId.eq(campaign.id)).count(db).await?;
    let ok = broken.is_empty();
    println!(
        "sessions: {sessions}; score and correct count equal to their answers in {} of them: {}",
        sessions - broken.len() as u64,
        if ok { "OK" } else { "HALF-WRITTEN SESSIONS" }
    );
    for b in broken.iter().take(10) {
        println!(
            "  {}: score {} correct {}, but {} answers right (x{} points), {} torn question rows",
            b.id, b.score, b.correct, b.right, campaign.points_per_question, b.torn
        );
    }
    Ok(ok)
}
