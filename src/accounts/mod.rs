//! Residents and staff: registration (`register`), sign-in with throttling (`login`), tokens,
//! roles, regions, staff management of accounts (`staff`), and what the privacy law gives a
//! resident over their account (`privacy`).

mod display_name;
mod login;
mod password;
mod password_change;
mod phone;
pub mod privacy;
pub mod regions;
mod register;
mod role;
mod scope;
mod staff;
mod token;
mod token_cache;
mod verified;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, SqlErr,
};
use serde::Serialize;

pub use self::display_name::{DisplayName, InvalidDisplayName};
pub use self::password::{HashError, InvalidPassword, Password, PasswordHasher};
pub use self::phone::{InvalidPhone, Phone, mask as mask_phone};
pub use self::privacy::{Consent, ConsentRequired, PrivacyNotice};
pub use self::regions::{RegionNode, RegionRef, Regions, RegionsError};
pub use self::register::NewResident;
pub use self::role::Role;
pub use self::scope::{InvalidAssignment, RoleAssignment, StaffScope};
pub use self::staff::{AccountView, RoleChange, RoleHeld};
pub use self::token::Token;
pub use self::verified::ClaimedAccount;
use crate::db::entity::{auth_token, user};
use crate::store::LiveStore;

/// The signed-in user, as guards hand it to handlers.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub display_name: String,
    pub phone: String,
    pub region_code: String,
    pub role: Role,
    /// The township (township staff) or village (village liaison) the role is scoped to.
    pub scope_region: Option<String>,
    /// This sign-in may only change the password (the bootstrap admin, or after a staff reset).
    pub must_change_password: bool,
    /// The number was proved with an SMS code.
    pub phone_verified: bool,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Which residents' figures this user may see (`None`: a resident, who sees no one's).
    pub fn scope(&self) -> Option<StaffScope> {
        StaffScope::of(self)
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
    /// The number was proved with an SMS code (prizes may ask for it).
    pub phone_verified: bool,
    /// The township (`township_staff`) or village (`village_liaison`) whose figures this account
    /// sees; null for residents and the bureau's admins.
    #[schema(required = true)]
    pub scope_region: Option<RegionRef>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    pub token: String,
    pub user: UserView,
    pub expires_at: chrono::DateTime<Utc>,
    /// The password must be changed before anything else (`POST /api/v1/me/password`).
    pub must_change_password: bool,
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
    #[error("the current password is wrong")]
    WrongCurrentPassword,
    /// A right code, but no account that may sign in has this number.
    #[error("no account for this number")]
    NoAccountForCode,
    /// Registration needs a code (`require_verified_phone`).
    #[error("a code is required")]
    CodeRequired,
    #[error(transparent)]
    Sms(#[from] crate::sms::SmsError),
    /// The change would leave the bureau without an active admin.
    #[error("this is the last active admin")]
    LastAdmin,
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
    /// One password check at a time per phone (`login::PhoneLanes`).
    lanes: std::sync::Arc<login::PhoneLanes>,
    verification: Verification,
    /// Role changes and disables take turns, so two of them cannot both remove "the other" admin.
    admin_changes: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// How phones are verified: the SMS codes, and whether registration needs one (setting
/// `require_verified_phone`).
#[derive(Clone)]
pub struct Verification {
    pub codes: crate::sms::Codes,
    pub required: bool,
}

impl Accounts {
    pub fn new(
        db: DatabaseConnection,
        hasher: PasswordHasher,
        live: LiveStore,
        regions: Regions,
        limits: LoginLimits,
        token_ttl: chrono::Duration,
        verification: Verification,
    ) -> Self {
        Self {
            db,
            hasher,
            live,
            regions,
            limits,
            token_ttl,
            signed_in: Default::default(),
            lanes: Default::default(),
            verification,
            admin_changes: Default::default(),
        }
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
            phone_verified: user.phone_verified,
            scope_region: user.scope_region.as_deref().map(|code| self.regions.reference(code)),
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
        Ok(SignedIn {
            token: token.as_str().to_owned(),
            user: self.view(&current),
            expires_at,
            must_change_password: current.must_change_password,
        })
    }
}

async fn insert_user(
    db: &DatabaseConnection,
    phone: &Phone,
    display_name: &str,
    region_code: &str,
    role: Role,
    password_hash: String,
    consent: Option<&Consent>,
) -> Result<user::Model, AccountError> {
    let now = Utc::now();
    let model = user::ActiveModel {
        phone: Set(phone.as_str().to_owned()),
        display_name: Set(display_name.to_owned()),
        region_code: Set(region_code.to_owned()),
        role: Set(role.as_str().to_owned()),
        password_hash: Set(password_hash),
        created_at: Set(now),
        consent_at: Set(consent.map(|_| now)),
        consent_version: Set(consent.map(|c| c.version().to_owned())),
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
        scope_region: user.scope_region,
        must_change_password: user.must_change_password,
        phone_verified: user.phone_verified_at.is_some(),
    }
}

/// Throttle keys carry a hash, not the phone or address itself.
fn throttle_key(kind: &str, value: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(value.as_bytes());
    format!("throttle:login:{kind}:{}", crate::digest::hex(&digest[..12]))
}
