//! Residents and staff: registration, sign-in with throttling, tokens, roles, regions.

mod password;
mod phone;
pub mod regions;
mod role;
mod token;
mod token_cache;

use std::net::IpAddr;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, SqlErr,
};
use serde::Serialize;

pub use self::password::{HashError, InvalidPassword, Password, PasswordHasher};
pub use self::phone::{InvalidPhone, Phone, mask as mask_phone};
pub use self::regions::{RegionNode, RegionRef, Regions, RegionsError};
pub use self::role::Role;
pub use self::token::Token;
use crate::db::entity::{auth_token, user};
use crate::store::{Counters, LiveStore};

/// A display name: 1–20 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("昵称应为1到20个字符 (1 to 20 characters, no control characters)")]
pub struct InvalidDisplayName;

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, InvalidDisplayName> {
        let name = raw.trim();
        let len = name.chars().count();
        if (1..=20).contains(&len) && !name.chars().any(char::is_control) {
            Ok(Self(name.to_owned()))
        } else {
            Err(InvalidDisplayName)
        }
    }
}

/// Everything a registration needs, already parsed.
#[derive(Debug)]
pub struct NewResident {
    pub phone: Phone,
    pub password: Password,
    pub display_name: DisplayName,
    pub region_code: String,
}

/// The signed-in user, as guards hand it to handlers.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub display_name: String,
    pub phone: String,
    pub region_code: String,
    pub role: Role,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// The public view of an account: the phone only masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub display_name: String,
    pub phone_masked: String,
    pub region: RegionRef,
    pub role: Role,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    pub token: String,
    pub user: UserView,
    pub expires_at: chrono::DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("this phone number is already registered")]
    PhoneTaken,
    #[error("choose a village, community or 嘎查 from the region list")]
    UnknownRegion,
    #[error("wrong phone number or password")]
    InvalidCredentials,
    #[error("too many failed sign-ins")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("not signed in or the session has ended")]
    Unauthorized,
    #[error("no region tree is loaded")]
    NoRegions,
    #[error("this account is disabled")]
    Disabled,
    #[error("no such user")]
    NoSuchUser,
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error(transparent)]
    Hash(#[from] HashError),
}

/// Throttling limits for sign-in.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub per_phone: u32,
    pub per_address: u32,
    pub window_secs: u64,
    pub registrations_per_address_per_hour: u32,
}

/// The accounts service: every account rule lives here.
#[derive(Clone)]
pub struct Accounts {
    db: DatabaseConnection,
    hasher: PasswordHasher,
    live: LiveStore,
    regions: Regions,
    limits: LoginLimits,
    token_ttl: chrono::Duration,
    signed_in: std::sync::Arc<token_cache::TokenCache>,
}

impl Accounts {
    pub fn new(
        db: DatabaseConnection,
        hasher: PasswordHasher,
        live: LiveStore,
        regions: Regions,
        limits: LoginLimits,
        token_ttl: chrono::Duration,
    ) -> Self {
        Self { db, hasher, live, regions, limits, token_ttl, signed_in: Default::default() }
    }

    pub fn regions(&self) -> &Regions {
        &self.regions
    }

    pub fn view(&self, user: &CurrentUser) -> UserView {
        UserView {
            id: user.id,
            display_name: user.display_name.clone(),
            phone_masked: mask_phone(&user.phone),
            region: self.regions.reference(&user.region_code),
            role: user.role,
        }
    }

    pub async fn register(&self, new: NewResident, address: Option<IpAddr>) -> Result<SignedIn, AccountError> {
        if let Some(address) = address {
            // Counted before the work: a script creating accounts is stopped before Argon2 runs.
            let key = throttle_key("register", &address.to_string());
            match self.live.hit(&key, 3600).await {
                Ok(count) if count.hits > self.limits.registrations_per_address_per_hour => {
                    return Err(AccountError::TooManyAttempts { retry_after_secs: count.resets_in_secs });
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "registration counter unavailable; allowing it"),
            }
        }
        let region = self.regions.village_for_registration(&new.region_code).ok_or(AccountError::UnknownRegion)?;
        if self.find_by_phone(&new.phone).await?.is_some() {
            return Err(AccountError::PhoneTaken);
        }
        let hash = self.hasher.hash(&new.password).await?;
        let user = insert_user(&self.db, &new.phone, &new.display_name.0, &region.code, Role::Resident, hash).await?;
        self.sign_in(user).await
    }

    pub async fn login(
        &self,
        phone: &Phone,
        password: &Password,
        address: Option<IpAddr>,
    ) -> Result<SignedIn, AccountError> {
        let phone_key = throttle_key("phone", phone.as_str());
        let address_key = address.map(|a| throttle_key("addr", &a.to_string()));
        self.refuse_if_throttled(&phone_key, self.limits.per_phone).await?;
        if let Some(key) = &address_key {
            self.refuse_if_throttled(key, self.limits.per_address).await?;
        }

        let found = self.find_by_phone(phone).await?;
        let matches = self.hasher.verify(password, found.as_ref().map(|u| u.password_hash.as_str())).await?;
        match found {
            Some(user) if matches => {
                self.live
                    .reset(&phone_key)
                    .await
                    .unwrap_or_else(|e| tracing::warn!(error = %e, "throttle reset failed"));
                if user.disabled {
                    return Err(AccountError::Disabled);
                }
                self.sign_in(user).await
            }
            _ => {
                for key in std::iter::once(&phone_key).chain(address_key.as_ref()) {
                    if let Err(e) = self.live.hit(key, self.limits.window_secs).await {
                        tracing::warn!(error = %e, "throttle counter unavailable; sign-in limited by hashing slots only");
                    }
                }
                Err(AccountError::InvalidCredentials)
            }
        }
    }

    async fn refuse_if_throttled(&self, key: &str, limit: u32) -> Result<(), AccountError> {
        match self.live.peek(key).await {
            Ok(count) if count.hits >= limit => {
                Err(AccountError::TooManyAttempts { retry_after_secs: count.resets_in_secs.max(1) })
            }
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::warn!(error = %e, "throttle counter unavailable; allowing the attempt");
                Ok(())
            }
        }
    }

    /// Ends the session of `token` at once.
    pub async fn logout(&self, token: &Token) -> Result<(), AccountError> {
        auth_token::Entity::delete_by_id(token.digest()).exec(&self.db).await?;
        self.signed_in.forget_token(&token.digest());
        Ok(())
    }

    /// The user behind a token that exists and has not expired.
    pub async fn authenticate(&self, token: &Token) -> Result<CurrentUser, AccountError> {
        let digest = token.digest();
        let now = Utc::now();
        if let Some(user) = self.signed_in.get(&digest, now) {
            return Ok(user);
        }
        let found = auth_token::Entity::find_by_id(digest.clone()).one(&self.db).await?;
        let row = found.filter(|t| t.expires_at > now).ok_or(AccountError::Unauthorized)?;
        let user = user::Entity::find_by_id(row.user_id)
            .one(&self.db)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(AccountError::Unauthorized)?;
        let user = current(user);
        self.signed_in.keep(digest, user.clone(), row.expires_at);
        Ok(user)
    }

    async fn find_by_phone(&self, phone: &Phone) -> Result<Option<user::Model>, DbErr> {
        user::Entity::find().filter(user::Column::Phone.eq(phone.as_str())).one(&self.db).await
    }

    async fn sign_in(&self, user: user::Model) -> Result<SignedIn, AccountError> {
        let now = Utc::now();
        // Expired tokens of this user go when they sign in again; nothing else needs them.
        auth_token::Entity::delete_many()
            .filter(auth_token::Column::UserId.eq(user.id))
            .filter(auth_token::Column::ExpiresAt.lte(now))
            .exec(&self.db)
            .await?;
        let token = Token::generate();
        let expires_at = now + self.token_ttl;
        auth_token::ActiveModel {
            token_hash: Set(token.digest()),
            user_id: Set(user.id),
            created_at: Set(now),
            expires_at: Set(expires_at),
        }
        .insert(&self.db)
        .await?;
        let current = current(user);
        Ok(SignedIn { token: token.as_str().to_owned(), user: self.view(&current), expires_at })
    }

    /// Creates a staff account, or makes an existing account staff with the new password.
    pub async fn create_admin(
        &self,
        phone: &Phone,
        name: &DisplayName,
        password: &Password,
    ) -> Result<i64, AccountError> {
        let hash = self.hasher.hash(password).await?;
        if let Some(existing) = self.find_by_phone(phone).await? {
            let mut model: user::ActiveModel = existing.into();
            model.role = Set(Role::Admin.as_str().to_owned());
            model.display_name = Set(name.0.clone());
            model.password_hash = Set(hash);
            let updated = model.update(&self.db).await?;
            self.signed_in.forget_user(updated.id);
            return Ok(updated.id);
        }
        let root = self.regions.root_code().ok_or(AccountError::NoRegions)?;
        Ok(insert_user(&self.db, phone, &name.0, &root, Role::Admin, hash).await?.id)
    }

    /// At first start there is no staff account: create one with a random password that the
    /// caller prints once. Returns `None` when an admin exists already.
    pub async fn ensure_admin(&self, phone: &Phone) -> Result<Option<Password>, AccountError> {
        let any_admin =
            user::Entity::find().filter(user::Column::Role.eq(Role::Admin.as_str())).one(&self.db).await?.is_some();
        if any_admin {
            return Ok(None);
        }
        let password = Password::generate();
        let name = DisplayName::parse("管理员").map_err(|_| AccountError::NoRegions)?;
        self.create_admin(phone, &name, &password).await?;
        Ok(Some(password))
    }
}

/// An account as staff see it: the full phone, for contacting prize winners.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub phone: String,
    pub display_name: String,
    pub region: RegionRef,
    pub role: Role,
    pub disabled: bool,
    pub created_at: chrono::DateTime<Utc>,
}

impl Accounts {
    /// Staff search: by phone digits or name, newest first.
    pub async fn search(&self, query: Option<&str>, offset: u64, limit: u64) -> Result<Vec<AccountView>, AccountError> {
        use sea_orm::{Condition, QueryOrder, QuerySelect};
        let mut find = user::Entity::find().order_by_desc(user::Column::Id);
        if let Some(q) = query.map(str::trim).filter(|q| !q.is_empty()) {
            find = find.filter(
                Condition::any().add(user::Column::Phone.contains(q)).add(user::Column::DisplayName.contains(q)),
            );
        }
        let rows = find.offset(offset.min(crate::db::MAX_OFFSET)).limit(limit.clamp(1, 200)).all(&self.db).await?;
        Ok(rows
            .into_iter()
            .map(|u| AccountView {
                region: self.regions.reference(&u.region_code),
                role: Role::from_stored(&u.role),
                id: u.id,
                phone: u.phone,
                display_name: u.display_name,
                disabled: u.disabled,
                created_at: u.created_at,
            })
            .collect())
    }

    async fn user_row(&self, user_id: i64) -> Result<user::Model, AccountError> {
        user::Entity::find_by_id(user_id).one(&self.db).await?.ok_or(AccountError::NoSuchUser)
    }

    /// Sets a new random password (returned once, for staff to pass on) and signs the user out.
    pub async fn reset_password(&self, user_id: i64) -> Result<Password, AccountError> {
        let row = self.user_row(user_id).await?;
        let password = Password::generate();
        let hash = self.hasher.hash(&password).await?;
        let mut model: user::ActiveModel = row.into();
        model.password_hash = Set(hash);
        model.update(&self.db).await?;
        auth_token::Entity::delete_many().filter(auth_token::Column::UserId.eq(user_id)).exec(&self.db).await?;
        self.signed_in.forget_user(user_id);
        Ok(password)
    }

    /// Disables (or enables) an account; a disabled account's tokens stop working at once.
    pub async fn set_disabled(&self, user_id: i64, disabled: bool) -> Result<(), AccountError> {
        let row = self.user_row(user_id).await?;
        let mut model: user::ActiveModel = row.into();
        model.disabled = Set(disabled);
        model.update(&self.db).await?;
        if disabled {
            auth_token::Entity::delete_many().filter(auth_token::Column::UserId.eq(user_id)).exec(&self.db).await?;
        }
        self.signed_in.forget_user(user_id);
        Ok(())
    }

    pub async fn promote(&self, user_id: i64) -> Result<(), AccountError> {
        let row = self.user_row(user_id).await?;
        let mut model: user::ActiveModel = row.into();
        model.role = Set(Role::Admin.as_str().to_owned());
        model.update(&self.db).await?;
        self.signed_in.forget_user(user_id);
        Ok(())
    }
}

async fn insert_user(
    db: &DatabaseConnection,
    phone: &Phone,
    display_name: &str,
    region_code: &str,
    role: Role,
    password_hash: String,
) -> Result<user::Model, AccountError> {
    let model = user::ActiveModel {
        phone: Set(phone.as_str().to_owned()),
        display_name: Set(display_name.to_owned()),
        region_code: Set(region_code.to_owned()),
        role: Set(role.as_str().to_owned()),
        password_hash: Set(password_hash),
        created_at: Set(Utc::now()),
        ..Default::default()
    };
    model.insert(db).await.map_err(|e| match e.sql_err() {
        // Two registrations of one phone racing: the unique index decides.
        Some(SqlErr::UniqueConstraintViolation(_)) => AccountError::PhoneTaken,
        _ => AccountError::Db(e),
    })
}

fn current(user: user::Model) -> CurrentUser {
    CurrentUser {
        id: user.id,
        display_name: user.display_name,
        phone: user.phone,
        region_code: user.region_code,
        role: Role::from_stored(&user.role),
    }
}

/// Throttle keys carry a hash, not the phone or address itself.
fn throttle_key(kind: &str, value: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(value.as_bytes());
    format!("throttle:login:{kind}:{}", crate::digest::hex(&digest[..12]))
}
