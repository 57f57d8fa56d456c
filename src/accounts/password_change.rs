//! Changing one's own password: with the current one, to a new one that passes the same rules as a
//! registration's; every other sign-in ends, and a required change is done.

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::{AccountError, Accounts, CurrentUser, Password, Token};
use crate::db::entity::{auth_token, user};

impl Accounts {
    /// Sets `new` for `user`, who proves the current password; keeps only the sign-in `kept`.
    pub async fn change_password(
        &self,
        user: &CurrentUser,
        current: &Password,
        new: &Password,
        kept: &Token,
    ) -> Result<(), AccountError> {
        let row = user::Entity::find_by_id(user.id).one(&self.db).await?.ok_or(AccountError::Unauthorized)?;
        if !self.hasher.verify(current, Some(&row.password_hash)).await? {
            return Err(AccountError::WrongCurrentPassword);
        }
        let hash = self.hasher.hash(new).await?;
        let mut model: user::ActiveModel = row.into();
        model.password_hash = Set(hash);
        model.must_change_password = Set(false);
        model.update(&self.db).await?;
        auth_token::Entity::delete_many()
            .filter(auth_token::Column::UserId.eq(user.id))
            .filter(auth_token::Column::TokenHash.ne(kept.digest()))
            .exec(&self.db)
            .await?;
        self.signed_in.forget_user(user.id);
        Ok(())
    }
}
