use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub phone: String,
    pub display_name: String,
    pub region_code: String,
    /// `resident`, `admin`, `township_staff` or `village_liaison` (see `accounts::Role`).
    pub role: String,
    /// The township (`township_staff`) or village (`village_liaison`) code the role is scoped to.
    pub scope_region: Option<String>,
    /// Argon2id PHC string; never a plain password.
    pub password_hash: String,
    pub created_at: DateTimeUtc,
    /// A disabled account cannot sign in; its tokens were revoked when it was disabled.
    pub disabled: bool,
    /// When the resident agreed to the privacy notice, and to which version of it.
    pub consent_at: Option<DateTimeUtc>,
    pub consent_version: Option<String>,
    /// Set when the account was erased: phone, name and password are gone, the row stays so that
    /// anonymous statistics of its sessions stay true.
    pub erased_at: Option<DateTimeUtc>,
    /// Set for the bootstrap admin and after a staff reset: the next sign-in may only change it.
    pub must_change_password: bool,
    /// When the resident proved with an SMS code that the number is theirs (last time).
    pub phone_verified_at: Option<DateTimeUtc>,
    /// Set when the number's true owner claimed it with a code: the number this account held (its
    /// `phone` then becomes `claimed:{id}`, and the account is disabled), for staff to look at.
    pub claimed_phone: Option<String>,
    pub claimed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
