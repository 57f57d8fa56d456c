//! What staff do with accounts: search, reset a password, disable or enable, roles (with the
//! region a scoped role needs), and the first admin created at start. The bureau never loses its
//! last active admin: a demotion or a disable that would leave none is refused.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
};
use serde::Serialize;

use super::{AccountError, Accounts, DisplayName, Password, Phone, RegionRef, Role, RoleAssignment, insert_user};
use crate::db::entity::{auth_token, user};

/// An account as staff see it: the full phone, for contacting prize winners.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AccountView {
    pub id: i64,
    pub phone: String,
    pub display_name: String,
    pub region: RegionRef,
    pub role: Role,
    /// The township or village a scoped role covers.
    #[schema(required = true)]
    pub scope_region: Option<RegionRef>,
    pub disabled: bool,
    /// The next sign-in must change the password (after a reset).
    pub must_change_password: bool,
    pub created_at: chrono::DateTime<Utc>,
}

/// A role and the region it is scoped to, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoleHeld {
    pub role: Role,
    pub region_code: Option<String>,
}

/// A role change: what the account held before and holds now.
#[derive(Debug, Clone, Serialize)]
pub struct RoleChange {
    pub before: RoleHeld,
    pub after: RoleHeld,
}

/// Whether an account other than `user_id` is an active admin. On PostgreSQL the admins' rows are
/// locked until the caller's transaction ends, so two changes cannot both count on each other.
async fn another_active_admin(db: &impl ConnectionTrait, user_id: i64) -> Result<bool, sea_orm::DbErr> {
    let others = user::Entity::find()
        .filter(user::Column::Role.eq(Role::Admin.as_str()))
        .filter(user::Column::Disabled.eq(false))
        .filter(user::Column::ErasedAt.is_null())
        .filter(user::Column::Id.ne(user_id))
        .lock_exclusive()
        .all(db)
        .await?;
    Ok(!others.is_empty())
}

fn is_active_admin(row: &user::Model) -> bool {
    Role::from_stored(&row.role) == Role::Admin && !row.disabled && row.erased_at.is_none()
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
            model.scope_region = Set(None);
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
        Ok(rows.into_iter().map(|u| self.account_view(u)).collect())
    }

    fn account_view(&self, u: user::Model) -> AccountView {
        AccountView {
            region: self.regions.reference(&u.region_code),
            role: Role::from_stored(&u.role),
            scope_region: u.scope_region.as_deref().map(|code| self.regions.reference(code)),
            id: u.id,
            phone: u.phone,
            display_name: u.display_name,
            disabled: u.disabled,
            must_change_password: u.must_change_password,
            created_at: u.created_at,
        }
    }

    /// One account as staff see it.
    pub async fn account(&self, user_id: i64) -> Result<AccountView, AccountError> {
        Ok(self.account_view(self.user_row(user_id).await?))
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

    /// Disables (or enables) an account; a disabled account's tokens stop working at once. The last
    /// active admin cannot be disabled (`LastAdmin`).
    pub async fn set_disabled(&self, user_id: i64, disabled: bool) -> Result<(), AccountError> {
        let _turn = self.admin_changes.lock().await;
        let row = self.user_row(user_id).await?;
        let leaves_admins = disabled && is_active_admin(&row);
        // The write comes first in the transaction: SQLite takes its write lock at once, and the
        // count of the other admins (locked on PostgreSQL) sees this change.
        let txn = self.db.begin().await?;
        user::Entity::update_many()
            .col_expr(user::Column::Disabled, Expr::value(disabled))
            .filter(user::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        if leaves_admins && !another_active_admin(&txn, user_id).await? {
            return Err(AccountError::LastAdmin);
        }
        if disabled {
            auth_token::Entity::delete_many().filter(auth_token::Column::UserId.eq(user_id)).exec(&txn).await?;
        }
        txn.commit().await?;
        self.signed_in.forget_user(user_id);
        Ok(())
    }

    /// Gives an account a role (with its region). The account's sign-ins end, so the next one
    /// carries the new role's powers and token lifetime. Demoting the last active admin is
    /// refused (`LastAdmin`).
    pub async fn set_role(&self, user_id: i64, assignment: &RoleAssignment) -> Result<RoleChange, AccountError> {
        let _turn = self.admin_changes.lock().await;
        let row = self.user_row(user_id).await?;
        let before = RoleHeld { role: Role::from_stored(&row.role), region_code: row.scope_region.clone() };
        let after = RoleHeld { role: assignment.role(), region_code: assignment.region().map(str::to_owned) };
        if before == after {
            return Ok(RoleChange { before, after });
        }
        let txn = self.db.begin().await?;
        user::Entity::update_many()
            .col_expr(user::Column::Role, Expr::value(after.role.as_str()))
            .col_expr(user::Column::ScopeRegion, Expr::value(after.region_code.clone()))
            .filter(user::Column::Id.eq(user_id))
            .exec(&txn)
            .await?;
        if is_active_admin(&row) && after.role != Role::Admin && !another_active_admin(&txn, user_id).await? {
            return Err(AccountError::LastAdmin);
        }
        auth_token::Entity::delete_many().filter(auth_token::Column::UserId.eq(user_id)).exec(&txn).await?;
        txn.commit().await?;
        self.signed_in.forget_user(user_id);
        Ok(RoleChange { before, after })
    }

    pub async fn promote(&self, user_id: i64) -> Result<RoleChange, AccountError> {
        self.set_role(user_id, &RoleAssignment::Admin).await
    }
}
