//! Argon2id hashing on a few threads of its own at the lowest CPU priority, behind a semaphore:
//! a login flood queues for a few hashing slots, and what it hashes runs only on CPU time quiz
//! traffic leaves over.

use std::sync::{Arc, Mutex, PoisonError, mpsc};

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// A password as typed: 8–128 characters. Never logged, never stored.
pub struct Password(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidPassword {
    #[error("密码至少8个字符")]
    TooShort,
    #[error("密码最多128个字符")]
    TooLong,
    #[error("密码不能用手机号，别人一猜就中")]
    IsPhone,
    #[error("这个密码太常见了，很容易被猜中，请换一个")]
    Common,
}

/// The 10,000 most common passwords (SecLists; see common-passwords.LICENSE), lowercase.
static COMMON: std::sync::LazyLock<std::collections::HashSet<&'static str>> = std::sync::LazyLock::new(|| {
    include_str!("common-passwords.txt").lines().map(str::trim).filter(|l| !l.is_empty()).collect()
});

/// Whether `raw` is one of the most common passwords (letters compared without case).
pub fn is_common(raw: &str) -> bool {
    COMMON.contains(raw) || COMMON.contains(raw.to_lowercase().as_str())
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

    /// A new password for the account of `phone`: long enough, not the phone number, not one of
    /// the most common passwords.
    pub fn parse_new(raw: String, phone: &super::Phone) -> Result<Self, InvalidPassword> {
        let password = Self::parse(raw)?;
        if password.0.contains(phone.as_str()) {
            return Err(InvalidPassword::IsPhone);
        }
        if is_common(&password.0) {
            return Err(InvalidPassword::Common);
        }
        Ok(password)
    }

    /// Only the length rule (staff created from the command line; a password being checked).
    pub fn parse(raw: String) -> Result<Self, InvalidPassword> {
        match raw.chars().count() {
            n if n < Self::MIN_CHARS => Err(InvalidPassword::TooShort),
            n if n > Self::MAX_CHARS => Err(InvalidPassword::TooLong),
            _ => Ok(Self(raw)),
        }
    }

    /// For login: any length up to the maximum is checked against the hash (a short
    /// password simply does not match), so the rule cannot be probed.
    pub fn for_login(raw: String) -> Self {
        Self(raw.chars().take(Self::MAX_CHARS + 1).collect())
    }

    /// A fresh random password (bootstrap admin): 16 characters from an unambiguous alphabet.
    pub fn generate() -> Self {
        use rand::RngExt;
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";
        let mut rng = rand::rng();
        Self((0..16).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect())
    }

    /// A code a clerk can read out over the phone (a staff reset): 8 random digits, to be
    /// changed at the next sign-in.
    pub fn generate_code() -> Self {
        use rand::RngExt;
        let mut rng = rand::rng();
        Self((0..8).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("argon2: {0}")]
    Argon2(String),
    #[error("hashing pool closed")]
    Closed,
    #[error("too many sign-ins waiting for the password check")]
    Busy,
}

/// Sign-ins allowed to wait per hashing slot; past that a flood is turned away at once (503)
/// instead of queueing for seconds while residents mid-quiz wait behind it.
const WAITING_PER_SLOT: usize = 16;

#[derive(Clone)]
pub struct PasswordHasher {
    threads: HashThreads,
    permits: Arc<Semaphore>,
    max_waiting: usize,
    waiting: Arc<std::sync::atomic::AtomicUsize>,
    /// Verified when the phone is unknown, so timing does not tell which phones are registered.
    dummy_hash: Arc<str>,
}

fn argon2() -> Argon2<'static> {
    // OWASP: Argon2id, m = 19456 KiB, t = 2, p = 1.
    let params = Params::new(19_456, 2, 1, None).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &str) -> Result<String, HashError> {
    argon2().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| HashError::Argon2(e.to_string()))
}

type HashJob = Box<dyn FnOnce() + Send>;

/// The hashing threads: as many as there are slots, each at niceness 19 (SCHED_BATCH), so the
/// kernel runs quiz requests first whenever both want a core. Measured before (Argon2 on
/// Tokio's blocking pool at normal priority): 200 sign-ins/s beside 800 answers/s took the
/// answers' p99 from 4.9 to 14.3 ms.
#[derive(Clone)]
struct HashThreads {
    jobs: mpsc::Sender<HashJob>,
}

impl HashThreads {
    fn spawn(count: usize) -> Result<Self, HashError> {
        let (jobs, queue) = mpsc::channel::<HashJob>();
        let queue = Arc::new(Mutex::new(queue));
        for i in 0..count {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || {
                    lower_own_priority();
                    loop {
                        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                        match job {
                            Ok(job) => job(),
                            Err(_) => break, // every sender is gone: the hasher was dropped
                        }
                    }
                })
                .map_err(|e| HashError::Argon2(format!("cannot start a hashing thread: {e}")))?;
        }
        Ok(Self { jobs })
    }

    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Result<T, HashError> {
        let (reply, result) = tokio::sync::oneshot::channel();
        let job: HashJob = Box::new(move || {
            let _ = reply.send(work());
        });
        self.jobs.send(job).map_err(|_| HashError::Closed)?;
        result.await.map_err(|_| HashError::Closed)
    }
}

/// Niceness 19 for the calling thread. Where the system refuses, hashing still works, only
/// without the priority.
fn lower_own_priority() {
    #[cfg(target_os = "linux")]
    {
        use thread_priority::unix::{
            NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy, thread_native_id,
        };
        let policy = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch);
        if let Err(e) = set_thread_priority_and_policy(thread_native_id(), thread_priority::ThreadPriority::Min, policy)
        {
            tracing::warn!(error = ?e, "password hashing runs at normal priority");
        }
    }
}

impl PasswordHasher {
    pub async fn new(concurrency: usize) -> Result<Self, HashError> {
        let concurrency = concurrency.max(1);
        let threads = HashThreads::spawn(concurrency)?;
        let dummy = threads.run(|| hash_blocking("pufa-dummy-password")).await??;
        Ok(Self {
            threads,
            permits: Arc::new(Semaphore::new(concurrency)),
            max_waiting: concurrency * WAITING_PER_SLOT,
            waiting: Arc::default(),
            dummy_hash: dummy.into(),
        })
    }

    /// A hashing slot; `Busy` when too many are already waiting for one.
    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, HashError> {
        use std::sync::atomic::Ordering;
        if let Ok(permit) = self.permits.try_acquire() {
            return Ok(permit);
        }
        let ahead = self.waiting.fetch_add(1, Ordering::AcqRel);
        let permit = if ahead >= self.max_waiting {
            Err(HashError::Busy)
        } else {
            self.permits.acquire().await.map_err(|_| HashError::Closed)
        };
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        permit
    }

    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let _slot = self.slot().await?;
        let password = password.0.clone();
        self.threads.run(move || hash_blocking(&password)).await?
    }

    /// Checks `password` against `stored` (or against a dummy hash when there is no account).
    pub async fn verify(&self, password: &Password, stored: Option<&str>) -> Result<bool, HashError> {
        let _slot = self.slot().await?;
        let exists = stored.is_some();
        let hash = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.0.clone();
        let matches =
            self.threads.run(move || argon2().verify_password(password.as_bytes(), hash.as_str()).is_ok()).await?;
        Ok(exists && matches)
    }
}

#[cfg(test)]
mod tests {
    use super::{HashError, Password, PasswordHasher, WAITING_PER_SLOT};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sign_in_flood_past_the_queue_is_turned_away_at_once() {
        let hasher = PasswordHasher::new(1).await.expect("hasher");
        let password = Password::parse("flood-password-1".into()).expect("password");
        let stored = hasher.hash(&password).await.expect("hash");
        let attempts: Vec<_> = (0..60)
            .map(|_| {
                let (hasher, password, stored) = (hasher.clone(), Password(password.0.clone()), stored.clone());
                tokio::spawn(async move {
                    let started = std::time::Instant::now();
                    (hasher.verify(&password, Some(&stored)).await, started.elapsed())
                })
            })
            .collect();
        let (mut verified, mut busy) = (0, 0);
        for attempt in attempts {
            match attempt.await.expect("task") {
                (Ok(true), _) => verified += 1,
                (Err(HashError::Busy), waited) => {
                    busy += 1;
                    assert!(waited.as_millis() < 500, "a turned-away sign-in must not wait: {waited:?}");
                }
                (other, _) => panic!("unexpected {other:?}"),
            }
        }
        assert!(verified > WAITING_PER_SLOT, "the queue must serve at least its own length: {verified}");
        assert!(busy > 0, "60 at once on one slot must turn some away");
        assert_eq!(verified + busy, 60);
    }

    /// Sign-ins must not take the CPU from residents mid-quiz: the hashing threads run at the
    /// lowest priority (niceness 19), which the kernel shows in /proc.
    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn password_hashing_runs_on_threads_of_the_lowest_priority() {
        let hasher = PasswordHasher::new(2).await.expect("hasher");
        let hashed = hasher.hash(&Password::parse("nice-password-1".into()).expect("password")).await;
        assert!(hashed.is_ok());
        let mut niceness = Vec::new();
        for task in std::fs::read_dir("/proc/self/task").expect("tasks").flatten() {
            let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
            if comm.trim().starts_with("argon2-") {
                let stat = std::fs::read_to_string(task.path().join("stat")).expect("stat");
                // Fields after the parenthesised name: state is field 3, nice is field 19.
                let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
                niceness.push(after_name.split_whitespace().nth(16).unwrap_or_default().to_owned());
            }
        }
        assert!(niceness.len() >= 2, "hashing threads: {niceness:?}");
        assert!(niceness.iter().all(|n| n == "19"), "niceness of the hashing threads: {niceness:?}");
    }
}
