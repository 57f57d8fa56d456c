//! pufa (普法): Civil Code quiz campaigns. `rocket()` is the one place that wires everything.

pub mod accounts;
pub mod admin;
pub mod api;
pub mod bank;
pub mod clock;
pub mod config;
pub mod db;
pub mod digest;
pub mod error;
pub mod lessons;
pub mod metrics;
pub mod plausibility;
pub mod privacy;
pub mod prize;
pub mod problems;
pub mod quiz;
pub mod scores;
pub mod sms;
pub mod store;

use rocket::fairing::AdHoc;
use rocket::figment::Figment;
use rocket::{Build, Rocket, catchers};

use crate::accounts::{Accounts, LoginLimits, PasswordHasher, Regions};
use crate::bank::Banks;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::lessons::{CivilCode, Lessons};
use crate::metrics::Metrics;
use crate::quiz::Quiz;
use crate::store::LiveStore;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// Builds the application from a configuration; tests pass their own database and Redis prefix.
pub fn rocket(figment: Figment) -> Rocket<Build> {
    rocket_with_clock(figment, Arc::new(SystemClock))
}

/// `rocket` with a clock of the caller's choosing (tests move time instead of sleeping).
pub fn rocket_with_clock(figment: Figment, clock: Arc<dyn Clock>) -> Rocket<Build> {
    let metrics = Metrics::default();
    // Where the phone app lives (a setting of its own, read here because routes mount before ignite).
    let static_dir: std::path::PathBuf = figment.extract_inner("static_dir").unwrap_or_else(|_| "static".into());
    let answers_accepted = metrics.answers_accepted();
    rocket::custom(figment)
        .attach(AdHoc::try_on_ignite("pufa state", |rocket| async move {
            match State::build(rocket.figment(), clock, answers_accepted).await {
                Ok(state) => Ok(state.manage(rocket)),
                Err(err) => {
                    tracing::error!("pufa cannot start: {err}");
                    eprintln!("pufa cannot start: {err}");
                    Err(rocket)
                }
            }
        }))
        .attach(metrics.clone())
        .manage(metrics)
        .mount("/", api::system::routes())
        .mount("/", api::openapi::routes())
        .mount("/api/v1", api::accounts::routes())
        .mount("/api/v1", api::banks::routes())
        .mount("/api/v1", api::quiz::routes())
        .mount("/api/v1", api::scores::routes())
        .mount("/api/v1", api::admin::routes())
        .mount("/api/v1", api::users::routes())
        .mount("/api/v1", api::privacy::routes())
        .mount("/api/v1", api::codes::routes())
        .mount("/api/v1", api::lessons::routes())
        .mount("/api/v1", api::lesson_admin::routes())
        .mount(
            "/",
            rocket::fs::FileServer::new(static_dir, rocket::fs::Options::Index | rocket::fs::Options::Missing).rank(20),
        )
        .attach(api::static_files::StaticDelivery::default())
        .attach(
            rocket::shield::Shield::default()
                .enable(rocket::shield::Frame::Deny)
                .enable(rocket::shield::Referrer::NoReferrer),
        )
        .attach(api::headers::ContentSecurityPolicy)
        .attach(api::headers::NoStore)
        .attach(api::compression::JsonCompression)
        .attach(AdHoc::on_liftoff("upkeep", |rocket| {
            Box::pin(async move {
                if let (Some(quiz), Some(admin), Some(codes)) = (
                    rocket.state::<Quiz>().cloned(),
                    rocket.state::<admin::AdminOps>().cloned(),
                    rocket.state::<sms::Codes>().cloned(),
                ) {
                    tokio::spawn(upkeep(quiz.clone(), admin, codes));
                    tokio::spawn(keep_boards_in_step(quiz));
                }
            })
        }))
        .register("/", catchers![error::json_catcher])
}

/// Everything a request may need, built once at ignite.
pub struct State {
    pub settings: Settings,
    pub db: sea_orm::DatabaseConnection,
    pub live: LiveStore,
    pub accounts: Accounts,
    pub banks: Banks,
    pub quiz: Quiz,
    pub lessons: Lessons,
    pub admin: admin::AdminOps,
    pub privacy: privacy::Privacy,
    pub codes: sms::Codes,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Redis(#[from] store::RedisRequired),
    #[error("regions: {0}")]
    Regions(#[from] accounts::RegionsError),
    #[error("password hashing: {0}")]
    Hash(#[from] accounts::HashError),
    #[error("accounts: {0}")]
    Accounts(#[from] accounts::AccountError),
    #[error("the Civil Code's text: {0}")]
    CivilCode(#[from] lessons::CodeFileError),
    #[error("SMS provider: {0}")]
    Sms(#[from] sms::ProviderError),
}

impl State {
    pub async fn build(
        figment: &Figment,
        clock: Arc<dyn Clock>,
        answers_accepted: Arc<AtomicU64>,
    ) -> Result<Self, StartError> {
        let settings = Settings::from_figment(figment)?;
        let db = db::connect(&settings.database_url).await?;
        let live =
            LiveStore::connect(settings.live_scores, settings.redis_url.as_deref(), &settings.redis_prefix).await?;
        let regions = Regions::default();
        regions.load(&db, &settings.regions_file).await?;
        let hasher = PasswordHasher::new(settings.password_hash_concurrency).await?;
        let limits = LoginLimits {
            per_phone: settings.login_max_failures_per_phone,
            per_address: settings.login_max_failures_per_address,
            window_secs: settings.login_window_secs,
            registrations_per_address_per_hour: settings.registrations_per_address_per_hour,
        };
        let codes = sms::Codes::from_settings(db.clone(), Arc::clone(&clock), &settings.sms)?;
        let accounts = Accounts::new(
            db.clone(),
            hasher,
            live.clone(),
            regions,
            limits,
            settings.token_ttl,
            accounts::Verification { codes: codes.clone(), required: settings.require_verified_phone },
        );
        if let Some((phone, password)) = accounts.ensure_admin(settings.bootstrap_admin_phone.as_ref()).await? {
            tracing::warn!(
                "no admin account existed: created admin {} with password {} (shown once; it must be \
                 changed at the first sign-in at /admin/; or make your own with `pufa admin create`)",
                phone.as_str(),
                password.expose()
            );
        }
        let banks = Banks::new(db.clone()).await?;
        if settings.import_on_start {
            import_question_bank(&banks, &settings.question_bank_dir).await;
        }
        let code = CivilCode::load(&settings.question_bank_dir.join("reference").join("civil-code.jsonl"))?;
        let lessons = Lessons::new(db.clone(), code, Arc::clone(&clock)).await?;
        if settings.import_on_start {
            import_lessons(&lessons, &settings.question_bank_dir.join("lessons")).await;
        }
        let scores = scores::Scores::new(db.clone(), live.clone(), accounts.regions().clone());
        let quiz = Quiz::new(
            db.clone(),
            banks.clone(),
            scores.clone(),
            lessons.index().clone(),
            clock,
            settings.answer_grace_secs,
            settings.answers_per_minute,
            answers_accepted,
        );
        if settings.import_on_start {
            import_campaigns(&quiz, &settings.question_bank_dir.join("campaigns")).await;
        }
        // Boards lost while pufa was down (Redis keeps nothing on disk here) are rebuilt before
        // serving; those of running campaigns are refreshed, in case the last process died
        // between a commit and its board write.
        if let Ok(campaigns) = quiz.published_scorings().await {
            scores.refresh_after_start(&campaigns, quiz.now()).await;
        }
        tracing::info!(database = %db.get_database_backend().as_str(), live_scores = live.kind(), "pufa state ready");
        let admin = admin::AdminOps::new(db.clone(), accounts.clone(), banks.clone(), quiz.clone(), lessons.clone());
        let privacy = privacy::Privacy::new(db.clone(), accounts.clone(), quiz.clone());
        Ok(Self { settings, db, live, accounts, banks, quiz, lessons, admin, privacy, codes })
    }

    fn manage(self, rocket: Rocket<Build>) -> Rocket<Build> {
        rocket
            .manage(self.settings)
            .manage(self.db)
            .manage(self.live)
            .manage(self.accounts)
            .manage(self.banks)
            .manage(self.quiz)
            .manage(self.lessons)
            .manage(self.admin)
            .manage(self.privacy)
            .manage(self.codes)
    }
}

/// Imports question-bank/ at start. A broken file is reported and nothing of it is imported;
/// the server still starts with the questions it already had. What staff changed in a shipped
/// bank (retired, edited or uploaded) is left as it is, and the log says so.
async fn import_question_bank(banks: &Banks, dir: &std::path::Path) {
    match banks.import_dir(dir).await {
        Ok(reports) => {
            for r in reports {
                tracing::info!(
                    bank = %r.bank.key, created = r.created, updated = r.updated, unchanged = r.unchanged,
                    retired = r.retired, kept_as_staff_left_them = r.kept, "question bank imported"
                );
            }
        }
        Err(bank::BankError::Invalid(problems)) => {
            tracing::error!("question bank in {} NOT imported: {} problem(s)", dir.display(), problems.total());
            for p in problems.iter() {
                tracing::error!("  {p}");
            }
        }
        Err(err) => tracing::error!("question bank in {} NOT imported: {err}", dir.display()),
    }
}

/// Imports question-bank/lessons/ at start: the lesson files and the 每日一法 items. A broken file
/// is reported with its place and skipped; staff versions are kept.
async fn import_lessons(lessons: &Lessons, dir: &std::path::Path) {
    let log = |what: &str, result: Result<lessons::ImportReport, lessons::LessonsError>| match result {
        Ok(r) => {
            tracing::info!(
                created = r.created,
                updated = r.updated,
                unchanged = r.unchanged,
                kept_staff_version = r.kept_staff,
                retired = r.retired,
                "{what} imported from {}",
                dir.display()
            );
            for p in r.problems {
                tracing::error!("{what} NOT imported: {p}");
            }
        }
        Err(err) => tracing::error!("{what} in {} NOT imported: {err}", dir.display()),
    };
    log("lessons", lessons.import_lessons(dir).await);
    log("daily law items", lessons.import_daily_law(&dir.join(lessons::DAILY_LAW_FILE)).await);
}

/// Loads question-bank/campaigns/*.toml; a broken file is reported and skipped.
async fn import_campaigns(quiz: &Quiz, dir: &std::path::Path) {
    for (file, result) in quiz.import_campaign_files(dir).await {
        match result {
            Ok(view) => tracing::info!(campaign = %view.slug, state = ?view.state, "campaign loaded from {file}"),
            Err(quiz::QuizError::InvalidCampaign(fields)) => {
                let problems: Vec<String> = fields.iter().map(|f| format!("{}: {}", f.field, f.problem)).collect();
                tracing::error!("campaign file {file} NOT loaded: {}", problems.join("; "));
            }
            Err(err) => tracing::error!("campaign file {file} NOT loaded: {err}"),
        }
    }
}

/// Every 30 s: finishes sessions whose time ran out even if nobody reads them again, then fixes
/// (and publishes the hash of) the eligible list of every campaign whose last session has settled,
/// so the list is fixed before anyone can know the beacon; and drops SMS codes and send records no
/// limit needs any more.
async fn upkeep(quiz: Quiz, admin: admin::AdminOps, codes: sms::Codes) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
    loop {
        tick.tick().await;
        match quiz.sweep_expired().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "finished expired sessions"),
            Err(err) => tracing::warn!(error = %err, "session sweep failed"),
        }
        match admin.fix_due_eligible_lists().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(campaigns = n, "fixed eligible lists"),
            Err(err) => tracing::warn!(error = %err, "fixing eligible lists failed"),
        }
        if let Err(err) = codes.sweep().await {
            tracing::warn!(error = %err, "sweeping SMS codes failed");
        }
    }
}

/// Rebuilds boards that missed updates (live store was unreachable) or vanished (Redis restarted
/// empty) as soon as the store answers again.
async fn keep_boards_in_step(quiz: Quiz) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
    loop {
        tick.tick().await;
        if let Ok(campaigns) = quiz.published_scorings().await {
            quiz.scores().catch_up(&campaigns).await;
        }
    }
}
