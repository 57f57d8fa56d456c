//! What staff do with accounts: search, reset a password, disable or enable, promote, and the
//! first admin created at start.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use super::{AccountError, Accounts, DisplayName, Password, Phone, RegionRef, Role, insert_user};
use crate::db::entity::{auth_token, user};

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
            model.display_name = Set(name.as_str().to_owned());
            model.password_hash = Set(hash);
            let updated = model.update(&self.db).await?;
            self.signed_in.forget_user(updated.id);
            return Ok(updated.id);
        }
        let root = self.regions.root_code().ok_or(AccountError::NoRegions)?;
        Ok(insert_user(&self.db, phone, name.as_str(), &root, Role::Admin, hash, None).await?.id)
    }

    /// At first start there is no staff account: create one with a random password that the
    /// caller prints once. Returns `None` when an admin exists already.
    /// At first start, with no admin yet: an admin on `phone` (a setting) or, when none is set, on
    /// a random number, with a random password that must be changed at the first sign-in. Returns
    /// the phone and password for the caller to print once; `None` when an admin exists.
    pub async fn ensure_admin(&self, phone: Option<&Phone>) -> Result<Option<(Phone, Password)>, AccountError> {
        let any_admin =
            user::Entity::find().filter(user::Column::Role.eq(Role::Admin.as_str())).one(&self.db).await?.is_some();
        if any_admin {
            return Ok(None);
        }
        let phone = match phone {
            Some(phone) => phone.clone(),
            None => Phone::random_for_bootstrap(),
        };
        let password = Password::generate();
        let name = DisplayName::for_staff("管理员").map_err(|_| AccountError::NoRegions)?;
        let id = self.create_admin(&phone, &name, &password).await?;
        self.require_password_change(id).await?;
        Ok(Some((phone, password)))
    }

    /// The account's next sign-in may only change the password.
    pub async fn require_password_change(&self, user_id: i64) -> Result<(), AccountError> {
        let row = self.user_row(user_id).await?;
        let mut model: user::ActiveModel = row.into();
        model.must_change_password = Set(true);
        model.update(&self.db).await?;
        self.signed_in.forget_user(user_id);
        Ok(())
    }

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
        let password = Password::generate_code();
        let hash = self.hasher.hash(&password).await?;
        let mut model: user::ActiveModel = row.into();
        model.password_hash = Set(hash);
        // A password a clerk read out over the phone is changed at the next sign-in.
        model.must_change_password = Set(true);
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
