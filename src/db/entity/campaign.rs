use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub title: String,
    pub description: String,
    pub opens_at: DateTimeUtc,
    pub closes_at: DateTimeUtc,
    pub question_count: i32,
    /// JSON: `[{category?, difficulty?, count}]`.
    pub quotas: String,
    /// JSON: bank keys.
    pub banks: String,
    pub time_limit_secs: i32,
    pub attempts_per_day: i32,
    pub max_attempts: i32,
    pub points_per_question: i32,
    pub reveal: String,
    pub ranking: String,
    /// JSON: `{mode, winners, min_score?}`.
    pub prize: String,
    pub published: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The prize draw's secret seed (hex), fixed when the campaign is published; public after the draw.
    pub draw_seed: Option<String>,
    /// SHA-256 of the seed's hex text, public from publication on.
    pub draw_commitment: Option<String>,
    /// JSON of the draw once run: the public record (`prize::draw::PublicDraw`).
    pub draw_result: Option<String>,
    /// A person needs at least this long for an answer; faster answers count as quick.
    pub min_ms_per_answer: i32,
    /// The eligible list, fixed once every session of the campaign could have finished (canonical JSON).
    pub eligible_json: Option<String>,
    /// SHA-256 of `eligible_json`, public from then on, before the draw.
    pub eligible_sha256: Option<String>,
    pub eligible_fixed_at: Option<DateTimeUtc>,
    /// Staff only, JSON: each pseudonym's user id, the name and masked phone fixed with the list,
    /// and the nonce that opens its public `contact` (revealed for winners).
    pub eligible_contacts: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
