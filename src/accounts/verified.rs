//! Verified phones: an SMS code (`crate::sms`) proves that a number is the resident's. A code
//! signs in without a password, resets a forgotten password, verifies an account registered with
//! a password only, and makes a registration verified. A registration with a code may claim a
//! number that someone else registered without one: that account loses the number, is disabled,
//! and is listed for staff (`claimed_accounts`). Asking for a code never tells whether a number is
//! registered; what a code is used for afterwards may, since its holder owns the number.

use std::net::IpAddr;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::{AccountError, Accounts, CurrentUser, Password, Phone, SignedIn};
use crate::db::entity::{auth_token, user};
use crate::sms::{CodeSent, OneTimeCode, Purpose};

/// An account whose number its true owner claimed, as staff see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClaimedAccount {
    pub id: i64,
    pub display_name: String,
    /// The number it held (staff only).
    pub phone: String,
    pub region_code: String,
    pub created_at: chrono::DateTime<Utc>,
    pub claimed_at: chrono::DateTime<Utc>,
}

impl Accounts {
    /// Sends a code for `purpose` to `phone`, whether or not it is registered.
    pub async fn request_code(
        &self,
        phone: &Phone,
        purpose: Purpose,
        address: Option<IpAddr>,
    ) -> Result<CodeSent, AccountError> {
        Ok(self.verification.codes.request(phone.mobile(), purpose, address).await?)
    }

    /// Checks `code` for `purpose` (it is used up if right).
    pub(super) async fn check_code(
        &self,
        phone: &Phone,
        purpose: Purpose,
        code: &OneTimeCode,
    ) -> Result<(), AccountError> {
        Ok(self.verification.codes.verify(phone.mobile(), purpose, code).await?)
    }

    /// Signs in with a code instead of a password; the number is verified by it.
    pub async fn login_with_code(&self, phone: &Phone, code: &OneTimeCode) -> Result<SignedIn, AccountError> {
        self.check_code(phone, Purpose::Login, code).await?;
        let user = self.usable_account(phone).await?;
        let user = self.mark_verified(user).await?;
        self.sign_in(user).await
    }

    /// Sets a new password with a code, ends every earlier sign-in, and signs in.
    pub async fn reset_password_with_code(
        &self,
        phone: &Phone,
        code: &OneTimeCode,
        new_password: &Password,
    ) -> Result<SignedIn, AccountError> {
        self.check_code(phone, Purpose::Reset, code).await?;
        let user = self.usable_account(phone).await?;
        let hash = self.hasher.hash(new_password).await?;
        let mut model: user::ActiveModel = user.into();
        model.password_hash = Set(hash);
        model.must_change_password = Set(false);
        model.phone_verified_at = Set(Some(Utc::now()));
        let user = model.update(&self.db).await?;
        self.end_every_sign_in(user.id).await?;
        self.sign_in(user).await
    }

    /// Verifies the number of a signed-in account with a code sent to it (purpose `login`).
    pub async fn verify_phone(&self, current: &CurrentUser, code: &OneTimeCode) -> Result<(), AccountError> {
        let phone = Phone::parse(&current.phone).map_err(|_| AccountError::Unauthorized)?;
        self.check_code(&phone, Purpose::Login, code).await?;
        let user = user::Entity::find_by_id(current.id).one(&self.db).await?.ok_or(AccountError::Unauthorized)?;
        self.mark_verified(user).await?;
        self.signed_in.forget_user(current.id);
        Ok(())
    }

    /// Whether an account's number is verified.
    pub async fn phone_verified(&self, user_id: i64) -> Result<bool, AccountError> {
        let user = user::Entity::find_by_id(user_id).one(&self.db).await?.ok_or(AccountError::NoSuchUser)?;
        Ok(user.phone_verified_at.is_some())
    }

    /// Takes `phone` from the account that registered it without proving it: the account keeps its
    /// history but not the number, is disabled, and every sign-in of it ends. Called by a
    /// registration that proved the number with a code. A verified holder keeps it (`PhoneTaken`).
    pub(super) async fn claim_number(&self, phone: &Phone) -> Result<(), AccountError> {
        let Some(holder) = self.find_by_phone(phone).await? else { return Ok(()) };
        if holder.phone_verified_at.is_some() || holder.role != "resident" {
            return Err(AccountError::PhoneTaken);
        }
        let id = holder.id;
        let mut model: user::ActiveModel = holder.into();
        model.phone = Set(format!("claimed:{id}"));
        model.claimed_phone = Set(Some(phone.as_str().to_owned()));
        model.claimed_at = Set(Some(Utc::now()));
        model.disabled = Set(true);
        model.update(&self.db).await?;
        self.end_every_sign_in(id).await?;
        tracing::info!(user = id, "a number was claimed by its verified owner; the account that held it is disabled");
        Ok(())
    }

    /// Accounts whose number was claimed, the most recent first (at most 500), for staff.
    pub async fn claimed_accounts(&self) -> Result<Vec<ClaimedAccount>, AccountError> {
        let rows = user::Entity::find()
            .filter(user::Column::ClaimedAt.is_not_null())
            .order_by_desc(user::Column::ClaimedAt)
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .take(500)
            .filter_map(|u| {
                Some(ClaimedAccount {
                    id: u.id,
                    display_name: u.display_name,
                    phone: u.claimed_phone?,
                    region_code: u.region_code,
                    created_at: u.created_at,
                    claimed_at: u.claimed_at?,
                })
            })
            .collect())
    }

    /// The account of `phone` that may sign in; the same error as a wrong password otherwise.
    async fn usable_account(&self, phone: &Phone) -> Result<user::Model, AccountError> {
        self.find_by_phone(phone)
            .await?
            .filter(|u| !u.disabled && u.erased_at.is_none())
            .ok_or(AccountError::NoAccountForCode)
    }

    pub(super) async fn mark_verified(&self, user: user::Model) -> Result<user::Model, AccountError> {
        let mut model: user::ActiveModel = user.into();
        model.phone_verified_at = Set(Some(Utc::now()));
        Ok(model.update(&self.db).await?)
    }

    async fn end_every_sign_in(&self, user_id: i64) -> Result<(), AccountError> {
        auth_token::Entity::delete_many().filter(auth_token::Column::UserId.eq(user_id)).exec(&self.db).await?;
        self.signed_in.forget_user(user_id);
        Ok(())
    }
}
