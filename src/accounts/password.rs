//! Argon2id hashing on the blocking pool, behind a semaphore so a login flood
//! queues for a few hashing slots instead of starving quiz traffic.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// A password as typed: 8–128 characters. Never logged, never stored.
pub struct Password(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidPassword {
    #[error("密码至少8个字符 (at least 8 characters)")]
    TooShort,
    #[error("密码最多128个字符 (at most 128 characters)")]
    TooLong,
}

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 128;

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
    #[error("hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
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

impl PasswordHasher {
    pub async fn new(concurrency: usize) -> Result<Self, HashError> {
        let dummy = tokio::task::spawn_blocking(|| hash_blocking("pufa-dummy-password")).await??;
        let concurrency = concurrency.max(1);
        Ok(Self {
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
        tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
    }

    /// Checks `password` against `stored` (or against a dummy hash when there is no account).
    pub async fn verify(&self, password: &Password, stored: Option<&str>) -> Result<bool, HashError> {
        let _slot = self.slot().await?;
        let exists = stored.is_some();
        let hash = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.0.clone();
        let matches =
            tokio::task::spawn_blocking(move || argon2().verify_password(password.as_bytes(), hash.as_str()).is_ok())
                .await?;
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
}
