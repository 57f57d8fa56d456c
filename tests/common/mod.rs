//! Test helpers: the real app over a fresh SQLite file or PostgreSQL database, with the
//! in-process store or Redis under a fresh key prefix, driven through Rocket's local client.
//!
//! Services: `PUFA_TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/test),
//! `PUFA_TEST_REDIS_URL` (default redis://127.0.0.1:6379) and `PUFA_TEST_REDIS_CLUSTER_URL`
//! (comma-separated nodes of a Redis Cluster, e.g. from tests/cluster/start.sh; no default). When
//! one does not answer or is not set, its tests print a notice and pass, unless
//! `PUFA_REQUIRE_SERVICES=1` (CI), where they fail.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sql {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Live {
    Memory,
    Redis,
    /// A Redis Cluster: `PUFA_TEST_REDIS_CLUSTER_URL`.
    RedisCluster,
}

pub struct TestApp {
    pub client: Client,
    /// The app's clock: frozen at start, moved by tests.
    pub clock: pufa::clock::ManualClock,
    pub sql: Sql,
    pub live: Live,
    _dir: tempfile::TempDir,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

fn postgres_url() -> String {
    std::env::var("PUFA_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn redis_url() -> String {
    std::env::var("PUFA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// The nodes of the test Redis Cluster, comma-separated; `None` when not set.
pub fn redis_cluster_url() -> Option<String> {
    std::env::var("PUFA_TEST_REDIS_CLUSTER_URL").ok().filter(|u| !u.trim().is_empty())
}

/// What a cluster test reports when `PUFA_TEST_REDIS_CLUSTER_URL` is not set.
pub const NO_CLUSTER: &str =
    "PUFA_TEST_REDIS_CLUSTER_URL is not set (start a local cluster with tests/cluster/start.sh)";

pub fn services_required() -> bool {
    std::env::var("PUFA_REQUIRE_SERVICES").is_ok_and(|v| v == "1" || v == "true")
}

/// A missing service: fail in CI, skip with a notice elsewhere.
pub fn unavailable<T>(what: &str, err: &dyn std::fmt::Display) -> Option<T> {
    if services_required() {
        panic!("{what} is required (PUFA_REQUIRE_SERVICES=1) but is not available: {err}");
    }
    eprintln!("NOTICE: skipping a {what} test: {what} is not available ({err})");
    None
}

/// A fresh PostgreSQL database for one test; databases left by dead test processes are dropped.
async fn fresh_postgres_database() -> Result<String, sea_orm::DbErr> {
    let base = postgres_url();
    let admin: DatabaseConnection = Database::connect(base.as_str()).await?;
    let pid = std::process::id();
    let rows = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'pufa_t_%'",
        ))
        .await?;
    for row in rows {
        let name: String = row.try_get("", "datname")?;
        let owner_pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        let alive = owner_pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
    }
    let name = format!("pufa_t_{pid}_{}", NEXT.fetch_add(1, Ordering::Relaxed));
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
    let (prefix, _) = base.rsplit_once('/').unwrap_or((base.as_str(), ""));
    Ok(format!("{prefix}/{name}"))
}

/// A migrated database of its own, for tests of a domain module without the app: a SQLite file in
/// the returned directory, or a fresh PostgreSQL database (`None` when PostgreSQL is away and not
/// required).
pub async fn fresh_database(sql: Sql) -> Option<(DatabaseConnection, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = match sql {
        Sql::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("pufa.db").display()),
        Sql::Postgres => match fresh_postgres_database().await {
            Ok(url) => url,
            Err(err) => return unavailable("PostgreSQL", &err),
        },
    };
    let db = pufa::db::connect(&url).await.expect("database connects and migrates");
    Some((db, dir))
}

impl TestApp {
    /// The app with SQLite and the in-process store: needs no services.
    pub async fn plain() -> TestApp {
        Self::start(Sql::Sqlite, Live::Memory).await.expect("sqlite + memory needs no services")
    }

    pub async fn start(sql: Sql, live: Live) -> Option<TestApp> {
        Self::start_with(sql, live, |f| f).await
    }

    pub async fn start_with(
        sql: Sql,
        live: Live,
        tweak: impl FnOnce(rocket::figment::Figment) -> rocket::figment::Figment,
    ) -> Option<TestApp> {
        Self::start_full(sql, live, tweak, true).await
    }

    /// SQLite + in-process store with a client that keeps no cookies: every request carries
    /// only the credentials the test gives it (as a script or another phone would).
    pub async fn without_cookies() -> TestApp {
        Self::start_full(Sql::Sqlite, Live::Memory, |f| f, false).await.expect("sqlite + memory needs no services")
    }

    async fn start_full(
        sql: Sql,
        live: Live,
        tweak: impl FnOnce(rocket::figment::Figment) -> rocket::figment::Figment,
        keep_cookies: bool,
    ) -> Option<TestApp> {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = match sql {
            Sql::Sqlite => format!("sqlite://{}?mode=rwc", dir.path().join("pufa.db").display()),
            Sql::Postgres => match fresh_postgres_database().await {
                Ok(url) => url,
                Err(err) => return unavailable("PostgreSQL", &err),
            },
        };
        let live_url = match live {
            Live::Memory => redis_url(),
            Live::Redis => match ping_redis().await {
                Ok(()) => redis_url(),
                Err(err) => return unavailable("Redis", &err),
            },
            Live::RedisCluster => {
                let Some(url) = redis_cluster_url() else { return unavailable("Redis Cluster", &NO_CLUSTER) };
                if let Err(err) = ping_redis_cluster(&url).await {
                    return unavailable("Redis Cluster", &err);
                }
                url
            }
        };
        let prefix = format!("pufa_test:{}:{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let figment = pufa::config::figment()
            .merge(("database_url", database_url))
            .merge(("live_scores", if live == Live::Memory { "memory" } else { "redis" }))
            .merge(("redis_url", live_url))
            .merge(("redis_prefix", prefix))
            .merge(("regions_file", concat!(env!("CARGO_MANIFEST_DIR"), "/question-bank/regions.toml")))
            .merge(("question_bank_dir", concat!(env!("CARGO_MANIFEST_DIR"), "/question-bank")))
            .merge(("log_level", "off"));
        let clock = pufa::clock::ManualClock::new(chrono::Utc::now());
        let rocket = pufa::rocket_with_clock(tweak(figment), std::sync::Arc::new(clock.clone()));
        let client = if keep_cookies { Client::tracked(rocket).await } else { Client::untracked(rocket).await };
        let client = client.expect("pufa starts");
        Some(TestApp { client, clock, sql, live, _dir: dir })
    }

    /// The SQLite database's files (the database, its write-ahead log and shared memory).
    pub fn sqlite_files(&self) -> Vec<std::path::PathBuf> {
        ["pufa.db", "pufa.db-wal", "pufa.db-shm"].iter().map(|f| self._dir.path().join(f)).collect()
    }

    pub fn db(&self) -> &DatabaseConnection {
        self.client.rocket().state::<DatabaseConnection>().expect("database is managed")
    }

    pub fn state<T: Send + Sync + 'static>(&self) -> &T {
        self.client.rocket().state::<T>().expect("state is managed")
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let mut req = self.client.get(path.to_owned());
        if let Some(token) = token {
            req = req.header(bearer(token));
        }
        Reply::from(req.dispatch().await).await
    }

    pub async fn put(&self, path: &str, body: Value, token: Option<&str>) -> Reply {
        self.send_raw(rocket::http::Method::Put, path, body.to_string().into_bytes(), token).await
    }

    pub async fn post(&self, path: &str, body: Value, token: Option<&str>) -> Reply {
        self.send_raw(rocket::http::Method::Post, path, body.to_string().into_bytes(), token).await
    }

    pub async fn send_raw(
        &self,
        method: rocket::http::Method,
        path: &str,
        body: Vec<u8>,
        token: Option<&str>,
    ) -> Reply {
        let mut req = self.client.req(method, path.to_owned()).header(ContentType::JSON).body(body);
        if let Some(token) = token {
            req = req.header(bearer(token));
        }
        Reply::from(req.dispatch().await).await
    }

    /// Registers a resident of 巴音乌兰苏木's 巴音敖包嘎查 and returns the token.
    pub async fn register(&self, phone: &str, password: &str) -> String {
        let reply = self
            .post(
                "/api/v1/auth/register",
                json!({"phone": phone, "password": password, "display_name": "牧民", "region_code": VILLAGE, "consent": true}),
                None,
            )
            .await;
        assert_eq!(reply.status, Status::Created, "register {phone}: {}", reply.body);
        reply.body["token"].as_str().expect("token").to_owned()
    }

    pub async fn login(&self, phone: &str, password: &str) -> Reply {
        self.post("/api/v1/auth/login", json!({"phone": phone, "password": password}), None).await
    }

    /// The last SMS code the `log` provider "sent" to `phone`.
    pub fn sms_code(&self, phone: &str) -> String {
        let codes = self.state::<pufa::sms::Codes>();
        let pufa::sms::Provider::Log(log) = codes.provider() else { panic!("tests send with the log provider") };
        let to = pufa::sms::MobileNumber::parse(phone).expect("a mobile number");
        log.last_code_to(&to).expect("a code was sent").as_str().to_owned()
    }

    /// Asks for a code for `purpose` and returns it as the resident reads it from the SMS.
    pub async fn request_sms_code(&self, phone: &str, purpose: &str) -> String {
        let sent = self.post("/api/v1/auth/codes", json!({"phone": phone, "purpose": purpose}), None).await;
        assert_eq!(sent.status, Status::Accepted, "code for {phone}: {}", sent.body);
        self.sms_code(phone)
    }

    /// Registers a resident whose phone is verified by an SMS code and returns the token.
    pub async fn register_verified(&self, phone: &str, password: &str) -> String {
        let code = self.request_sms_code(phone, "register").await;
        let body = json!({"phone": phone, "password": password, "display_name": "牧民", "region_code": VILLAGE,
            "consent": true, "code": code});
        let reply = self.post("/api/v1/auth/register", body, None).await;
        assert_eq!(reply.status, Status::Created, "register {phone}: {}", reply.body);
        reply.body["token"].as_str().expect("token").to_owned()
    }
}

/// A real village from regions.toml.
pub const VILLAGE: &str = "150824202201";
/// `VILLAGE`'s township (巴音乌兰苏木).
pub const TOWNSHIP: &str = "150824202000";

pub fn bearer(token: &str) -> Header<'static> {
    Header::new("Authorization", format!("Bearer {token}"))
}

async fn ping_redis() -> redis::RedisResult<()> {
    let client = redis::Client::open(redis_url())?;
    let mut conn = tokio::time::timeout(std::time::Duration::from_secs(2), client.get_multiplexed_async_connection())
        .await
        .map_err(|_| redis::RedisError::from((redis::ErrorKind::Io, "timed out")))??;
    redis::cmd("PING").query_async::<String>(&mut conn).await.map(|_| ())
}

/// Connects to every node of the cluster at `url` (comma-separated nodes) and PINGs the masters.
async fn ping_redis_cluster(url: &str) -> redis::RedisResult<()> {
    let mut conn = tokio::time::timeout(std::time::Duration::from_secs(5), pufa::store::RedisConnection::connect(url))
        .await
        .map_err(|_| redis::RedisError::from((redis::ErrorKind::Io, "timed out")))??;
    if !conn.is_cluster() {
        return Err(redis::RedisError::from((
            redis::ErrorKind::InvalidClientConfig,
            "PUFA_TEST_REDIS_CLUSTER_URL names one node; list the cluster's nodes, comma-separated",
        )));
    }
    redis::cmd("PING").query_async::<String>(&mut conn).await.map(|_| ())
}

pub struct Reply {
    pub status: Status,
    pub body: Value,
    pub text: String,
    pub content_type: Option<ContentType>,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    async fn from(res: LocalResponse<'_>) -> Reply {
        let status = res.status();
        let content_type = res.content_type();
        let headers = res.headers().iter().map(|h| (h.name().to_string(), h.value().to_string())).collect();
        let text = res.into_string().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, body, text, content_type, headers }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("<no error code>")
    }
}

/// Runs each named `async fn(TestApp)` on every backend pair: SQLite and PostgreSQL,
/// each with the in-process store and with Redis. The same test code for all four.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        $crate::on_backend!(sqlite_memory, Sqlite, Memory, $($name),*);
        $crate::on_backend!(sqlite_redis, Sqlite, Redis, $($name),*);
        $crate::on_backend!(postgres_memory, Postgres, Memory, $($name),*);
        $crate::on_backend!(postgres_redis, Postgres, Redis, $($name),*);
    };
}

#[macro_export]
macro_rules! on_backend {
    ($module:ident, $sql:ident, $live:ident, $($name:ident),*) => {
        mod $module {
            $(
                #[rocket::async_test]
                async fn $name() {
                    if let Some(app) = $crate::common::TestApp::start(
                        $crate::common::Sql::$sql,
                        $crate::common::Live::$live,
                    ).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}

impl TestApp {
    /// Signs in a fresh staff account and returns its token.
    pub async fn admin_token(&self) -> String {
        let accounts = self.state::<pufa::accounts::Accounts>();
        let phone = pufa::accounts::Phone::parse("13300000001").expect("phone");
        let name = pufa::accounts::DisplayName::for_staff("司法局管理员").expect("name");
        let password = pufa::accounts::Password::parse("admin-password".into()).expect("password");
        accounts.create_admin(&phone, &name, &password).await.expect("admin");
        let reply = self.login("13300000001", "admin-password").await;
        assert_eq!(reply.status, Status::Ok, "{}", reply.body);
        reply.body["token"].as_str().expect("token").to_owned()
    }

    /// Uploads a question file as raw bytes.
    pub async fn upload(&self, query: &str, bytes: Vec<u8>, token: &str) -> Reply {
        let req = self.client.post(format!("/api/v1/admin/banks?{query}")).header(bearer(token)).body(bytes);
        Reply::from(req.dispatch().await).await
    }
}

/// Like `on_every_backend!`, for tests that touch only SQL: SQLite and PostgreSQL.
#[macro_export]
macro_rules! on_every_database {
    ($($name:ident),* $(,)?) => {
        $crate::on_backend!(sqlite, Sqlite, Memory, $($name),*);
        $crate::on_backend!(postgres, Postgres, Memory, $($name),*);
    };
}

/// A Redis server of the test's own, on a free port, so a test may stop, restart or flush it
/// without touching the shared server other tests use.
pub struct OwnRedis {
    pub port: u16,
    child: Option<std::process::Child>,
}

impl OwnRedis {
    pub fn start() -> Option<OwnRedis> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let mut redis = OwnRedis { port, child: None };
        match redis.spawn() {
            Ok(()) => Some(redis),
            Err(err) => {
                unavailable::<()>("redis-server (binary)", &err);
                None
            }
        }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn spawn(&mut self) -> std::io::Result<()> {
        let child = std::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .spawn()?;
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Err(std::io::Error::other("redis-server did not start"))
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

impl TestApp {
    pub fn database_url(&self) -> String {
        self.state::<pufa::config::Settings>().database_url.clone()
    }

    pub fn redis_prefix(&self) -> String {
        self.state::<pufa::config::Settings>().redis_prefix.clone()
    }
}
