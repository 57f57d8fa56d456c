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
}

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
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
        Ok(Self { permits: Arc::new(Semaphore::new(concurrency.max(1))), dummy_hash: dummy.into() })
    }

    pub async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let _permit = self.permits.acquire().await.map_err(|_| HashError::Closed)?;
        let password = password.0.clone();
        tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
    }

    /// Checks `password` against `stored` (or against a dummy hash when there is no account).
    pub async fn verify(&self, password: &Password, stored: Option<&str>) -> Result<bool, HashError> {
        let _permit = self.permits.acquire().await.map_err(|_| HashError::Closed)?;
        let exists = stored.is_some();
        let hash = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.0.clone();
        let matches =
            tokio::task::spawn_blocking(move || argon2().verify_password(password.as_bytes(), hash.as_str()).is_ok())
                .await?;
        Ok(exists && matches)
    }
}
