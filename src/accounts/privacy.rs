//! What the personal-information law (个人信息保护法) gives a resident over their account: a notice
//! that says who collects what, why, for how long and how to delete it (第17条), consent before
//! anything is collected (第13、14条), and erasure (第47条): the phone, name and password are
//! overwritten at once and every sign-in ends, while the row stays so that anonymous statistics of
//! the sessions stay true. Export of everything stored is `crate::privacy` (it spans every table).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;

use super::{AccountError, Accounts};
use crate::db::entity::{auth_token, user};

/// The version of the notice below; stored with each consent. Change it when the text changes.
pub const NOTICE_VERSION: &str = "2026-12-02";

/// The privacy notice a resident reads before registering.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PrivacyNotice {
    pub version: &'static str,
    pub organiser: String,
    pub contact: String,
    pub sections: Vec<NoticeSection>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NoticeSection {
    pub title: &'static str,
    pub text: String,
}

impl PrivacyNotice {
    /// The notice for `organiser`, who answers questions at `contact`.
    pub fn new(organiser: &str, contact: &str) -> Self {
        let section = |title, text: String| NoticeSection { title, text };
        Self {
            version: NOTICE_VERSION,
            organiser: organiser.to_owned(),
            contact: contact.to_owned(),
            sections: vec![
                section("谁收集", format!("本答题活动由{organiser}组织，您的信息由{organiser}负责保管。联系方式：{contact}。")),
                section(
                    "收集什么",
                    "手机号、昵称、所在的苏木镇和嘎查/村/社区，以及您的答题记录（每次答了哪些题、选了什么、得了多少分）。".into(),
                ),
                section(
                    "用来做什么",
                    "手机号用来登录、找回账号和联系中奖的人；昵称和所在地区显示在排行榜上（手机号不公开，只显示成138****5678这样）；\
                     答题记录用来排名、抽奖和统计各地参与普法的情况。不用于其他用途，不提供给其他单位或个人。"
                        .into(),
                ),
                section(
                    "保存多久",
                    "保存到您注销账号为止。注销后，手机号、昵称和密码立即删除，登录全部失效；答题记录只以不含个人信息的方式\
                     留作统计。已经公布的中奖公示只保留当时已公开的内容（昵称和遮挡后的手机号）。"
                        .into(),
                ),
                section(
                    "您的权利",
                    format!(
                        "您可以随时在“我的”里查看、下载我们保存的您的全部数据，也可以随时注销账号。有疑问或要求更正，请联系{contact}。"
                    ),
                ),
                section("依据", "《中华人民共和国个人信息保护法》第十三条、第十四条、第十七条、第四十五条、第四十七条。".into()),
            ],
        }
    }
}

/// A resident agreed to the privacy notice. The only way to make one is `Consent::given`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent(&'static str);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("请先阅读并同意个人信息保护说明")]
pub struct ConsentRequired;

impl Consent {
    /// Consent to the current notice, if `agreed`.
    pub fn given(agreed: bool) -> Result<Self, ConsentRequired> {
        if agreed { Ok(Self(NOTICE_VERSION)) } else { Err(ConsentRequired) }
    }

    pub fn version(&self) -> &'static str {
        self.0
    }
}

/// What an erased account's personal fields become: nothing that was the person's.
pub fn erased_phone(user_id: i64) -> String {
    format!("erased-{user_id}")
}
pub const ERASED_NAME: &str = "已注销";

impl Accounts {
    /// Overwrites the account's phone, name and password, ends every sign-in and disables it.
    /// The region stays (anonymous statistics by village stay true).
    pub async fn erase(&self, user_id: i64) -> Result<(), AccountError> {
        let row = user::Entity::find_by_id(user_id).one(&self.db).await?.ok_or(AccountError::NoSuchUser)?;
        let mut model: user::ActiveModel = row.into();
        model.phone = Set(erased_phone(user_id));
        model.display_name = Set(ERASED_NAME.to_owned());
        // No Argon2 hash: nothing verifies against it, so nobody can sign in.
        model.password_hash = Set(String::new());
        model.disabled = Set(true);
        model.erased_at = Set(Some(Utc::now()));
        model.update(&self.db).await?;
        auth_token::Entity::delete_many().filter(auth_token::Column::UserId.eq(user_id)).exec(&self.db).await?;
        self.signed_in.forget_user(user_id);
        Ok(())
    }
}
