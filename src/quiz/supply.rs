//! Whether the banks can fill the campaigns. Before an import or a change of a bank's visibility
//! the admin module asks which open or upcoming campaigns the change would leave unable to draw a
//! quiz, and which campaigns still name a bank (a sealed bank is released only when they closed).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::campaign::{Campaign, CampaignState};
use super::draw::draw_questions;
use super::{Quiz, QuizError};
use crate::bank::QuestionIndex;
use crate::db::entity::campaign as campaign_row;

/// A campaign a change would leave unable to fill its quiz, or that still uses a bank.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct CampaignUse {
    pub slug: String,
    pub title: String,
    pub state: CampaignState,
    /// What the campaign would lack, in Chinese.
    pub problem: String,
}

/// The campaigns that have not closed, as they stand now.
pub struct Supply {
    campaigns: Vec<Campaign>,
    now: DateTime<Utc>,
}

impl Quiz {
    /// Every campaign that has not closed yet (drafts included).
    pub async fn supply(&self) -> Result<Supply, QuizError> {
        let now = self.now();
        let rows = campaign_row::Entity::find()
            .filter(campaign_row::Column::ClosesAt.gt(now))
            .order_by_asc(campaign_row::Column::OpensAt)
            .all(&self.db)
            .await?;
        Ok(Supply { campaigns: rows.into_iter().map(Campaign::from_row).collect(), now })
    }
}

/// Why a campaign cannot draw its quiz from `index`, if it cannot.
fn shortfall(campaign: &Campaign, index: &QuestionIndex) -> Option<String> {
    draw_questions(index, &campaign.rule(), &HashSet::new(), [0; 32]).err().map(|e| {
        let quota = campaign.quotas.get(e.quota).and_then(|q| q.category.clone());
        let which = quota.map_or_else(|| format!("第{}组", e.quota + 1), |c| format!("“{c}”"));
        format!("{which}要抽{}道题，只剩{}道可抽", e.wanted, e.available)
    })
}

impl Supply {
    /// Published campaigns, open or upcoming, that can draw a quiz from `before` but not `after`.
    pub fn starved_by(&self, before: &QuestionIndex, after: &QuestionIndex) -> Vec<CampaignUse> {
        self.campaigns
            .iter()
            .filter(|c| c.published && shortfall(c, before).is_none())
            .filter_map(|c| {
                let problem = shortfall(c, after)?;
                Some(CampaignUse { slug: c.slug.clone(), title: c.title.clone(), state: c.state(self.now), problem })
            })
            .collect()
    }

    /// Campaigns not closed (drafts too) that name `bank` in their `banks`.
    pub fn naming(&self, bank: &str) -> Vec<CampaignUse> {
        self.campaigns
            .iter()
            .filter(|c| c.banks.iter().any(|b| b == bank))
            .map(|c| CampaignUse {
                slug: c.slug.clone(),
                title: c.title.clone(),
                state: c.state(self.now),
                problem: "这个活动指定从该题库抽题，活动结束前题库不能公开".to_owned(),
            })
            .collect()
    }
}
