//! The prize draw as staff run it, and the attempts staff review before it (flagged as too quick): the eligible list fixed (by the upkeep, or at the draw) once
//! every session of a closed campaign could have finished, its hash published; then the draw with
//! the staff's beacon, stored once and public from then on. The rule and the mathematics are
//! `prize`'s; this file stores, audits and shows.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use super::{AdminError, AdminOps};
use crate::db::entity::{campaign as campaign_row, user};
use crate::prize::draw::{DrawState, PublicDraw};
use crate::prize::eligibility::{Contact, EligibleList};
use crate::prize::{self, DRAW_METHOD, FixedList, PrizeCampaign};
use crate::quiz::{Campaign, FlaggedAttempt, QuizError};

/// A beacon as staff type it: 1–200 characters after trimming.
fn beacon(raw: &str) -> Result<String, AdminError> {
    let text = raw.trim();
    if (1..=200).contains(&text.chars().count()) && !text.chars().any(char::is_control) {
        Ok(text.to_owned())
    } else {
        Err(AdminError::NoBeacon)
    }
}

/// One row of the staff's full eligible list.
#[derive(Debug, Clone)]
pub struct EligibleRow {
    pub entrant: String,
    pub day: Option<String>,
    pub display_name: String,
    pub phone: String,
    /// Township and village.
    pub region: String,
    pub score: i64,
}

impl AdminOps {
    /// The stored list of a campaign row, if fixed.
    fn stored_list(row: &campaign_row::Model) -> Option<(EligibleList, DateTime<Utc>)> {
        let list = serde_json::from_str(row.eligible_json.as_deref()?).ok()?;
        Some((list, row.eligible_fixed_at?))
    }

    /// The stored private half of a fixed list (empty before).
    fn stored_contacts(row: &campaign_row::Model) -> HashMap<String, Contact> {
        row.eligible_contacts.as_deref().and_then(|c| serde_json::from_str(c).ok()).unwrap_or_default()
    }

    /// Fixes and stores the eligible list of `row` (audited), once.
    async fn fix_list(
        &self,
        row: campaign_row::Model,
        campaign: &PrizeCampaign,
    ) -> Result<campaign_row::Model, AdminError> {
        if row.eligible_fixed_at.is_some() {
            return Ok(row);
        }
        // Sessions whose time ran out are finished first, so each is on the list or not for good.
        self.quiz.sweep_expired().await?;
        let fixed = prize::fix_eligible(&self.db, campaign).await?;
        let now = self.quiz.now();
        let hash = fixed.list.sha256();
        let mut model: campaign_row::ActiveModel = row.into();
        model.eligible_json = Set(Some(fixed.list.canonical()));
        model.eligible_contacts = Set(Some(serde_json::to_string(&fixed.contacts).unwrap_or_default()));
        model.eligible_sha256 = Set(Some(hash.clone()));
        model.eligible_fixed_at = Set(Some(now));
        let stored = model.update(&self.db).await?;
        self.record(None, "draw.eligible_fixed", &campaign.slug, json!({"count": fixed.list.count(), "sha256": hash}))
            .await?;
        Ok(stored)
    }

    /// The upkeep: fixes the lists of campaigns whose last session has settled. Returns how many.
    pub async fn fix_due_eligible_lists(&self) -> Result<usize, AdminError> {
        let due = campaign_row::Entity::find()
            .filter(campaign_row::Column::Published.eq(true))
            .filter(campaign_row::Column::EligibleFixedAt.is_null())
            .filter(campaign_row::Column::ClosesAt.lt(self.quiz.now()))
            .all(&self.db)
            .await?;
        let mut fixed = 0;
        for row in due {
            let campaign = self.quiz.prize_campaign(&Campaign::from_row(row.clone()));
            if self.quiz.now() >= campaign.settles_at {
                self.fix_list(row, &campaign).await?;
                fixed += 1;
            }
        }
        Ok(fixed)
    }

    /// Runs the draw once, after the close, with `beacon`; later calls return the same record.
    pub async fn run_draw(&self, actor: i64, slug: &str, raw_beacon: &str) -> Result<PublicDraw, AdminError> {
        let row = self.quiz.campaign_row_by_slug(slug).await?;
        if let Some(done) = row.draw_result.as_deref().and_then(|r| serde_json::from_str::<PublicDraw>(r).ok()) {
            return Ok(done);
        }
        let campaign = self.quiz.published(slug).await?;
        let now = self.quiz.now();
        if now < campaign.closes_at {
            return Err(QuizError::CampaignStillOpen.into());
        }
        let prize_campaign = self.quiz.prize_campaign(&campaign);
        if now < prize_campaign.settles_at {
            return Err(AdminError::ListNotFixedYet(prize_campaign.settles_at));
        }
        let beacon = beacon(raw_beacon)?;
        let Some(seed) = row.draw_seed.clone() else { return Err(QuizError::NotFound.into()) };
        let row = self.fix_list(row, &prize_campaign).await?;
        let (list, fixed_at) = Self::stored_list(&row).ok_or(QuizError::NotFound)?;
        let fixed = FixedList { list, contacts: Self::stored_contacts(&row) };
        let record = prize::draw(&prize_campaign, &fixed, fixed_at, &seed, &beacon, now);
        let winner_ids: Vec<i64> =
            record.winners.iter().filter_map(|w| fixed.contacts.get(&w.entrant).map(|c| c.user_id)).collect();
        let mut model: campaign_row::ActiveModel = row.into();
        model.draw_result = Set(Some(serde_json::to_string(&record).unwrap_or_default()));
        model.update(&self.db).await?;
        self.record(
            Some(actor),
            "draw.run",
            slug,
            json!({"beacon": beacon, "eligible": record.eligible_count, "eligible_sha256": record.eligible_sha256, "winners": winner_ids}),
        )
        .await?;
        Ok(record)
    }

    /// A campaign's flagged attempts.
    pub async fn flagged(&self, slug: &str) -> Result<Vec<FlaggedAttempt>, AdminError> {
        Ok(self.quiz.flagged(slug).await?)
    }

    /// Clears a flagged attempt (staff looked and found a person): it counts again. Refused once
    /// the campaign's eligible list is fixed, since the list is public from then on.
    pub async fn clear_flag(&self, actor: i64, session_id: &str) -> Result<FlaggedAttempt, AdminError> {
        let (session, campaign) = self.quiz.flagged_attempt(session_id).await?;
        let row = self.quiz.campaign_row_by_slug(&campaign.slug).await?;
        if let Some(at) = row.eligible_fixed_at
            && session.flag_cleared_at.is_none()
        {
            return Err(AdminError::ListFixed(at));
        }
        let was_cleared = session.flag_cleared_at.is_some();
        let cleared = self.quiz.clear_flag(session, &campaign, actor).await?;
        if !was_cleared {
            self.record(
                Some(actor),
                "session.clear_flag",
                session_id,
                json!({"campaign": campaign.slug, "user": cleared.user_id, "quick_answers": cleared.quick_answers, "score": cleared.score}),
            )
            .await?;
        }
        Ok(cleared)
    }

    /// Everything public of a campaign's draw so far.
    pub async fn public_draw(&self, slug: &str) -> Result<PublicDraw, AdminError> {
        let row = self.quiz.campaign_row_by_slug(slug).await?;
        if !row.published {
            return Err(QuizError::NotFound.into());
        }
        if let Some(done) = row.draw_result.as_deref().and_then(|r| serde_json::from_str::<PublicDraw>(r).ok()) {
            return Ok(done);
        }
        let campaign = Campaign::from_row(row.clone());
        let list = Self::stored_list(&row);
        Ok(PublicDraw {
            campaign: row.slug,
            state: if list.is_some() { DrawState::EligibleFixed } else { DrawState::Committed },
            rule: campaign.prize,
            method: DRAW_METHOD.to_owned(),
            commitment: row.draw_commitment,
            eligible_fixed_at: list.as_ref().map(|(_, at)| *at),
            eligible_count: list.as_ref().map(|(l, _)| l.count()),
            eligible_sha256: row.eligible_sha256,
            eligible: list.map(|(l, _)| l),
            beacon: None,
            randomness: None,
            seed: None,
            winners: Vec::new(),
            drawn_at: None,
        })
    }

    /// The full eligible list with contacts, for staff (the public sees pseudonyms only).
    pub async fn eligible_rows(&self, slug: &str) -> Result<Vec<EligibleRow>, AdminError> {
        let row = self.quiz.campaign_row_by_slug(slug).await?;
        let Some((list, _)) = Self::stored_list(&row) else { return Ok(Vec::new()) };
        let contacts = Self::stored_contacts(&row);
        let people: HashMap<i64, user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(contacts.values().map(|c| c.user_id)))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let entries = list
            .entrants
            .iter()
            .map(|e| (None, e))
            .chain(list.days.iter().flat_map(|d| d.entrants.iter().map(move |e| (Some(d.day.clone()), e))));
        Ok(entries
            .filter_map(|(day, e)| {
                let contact = contacts.get(&e.entrant)?;
                // An account erased since keeps its entry, with the name it was fixed with.
                let person = people.get(&contact.user_id);
                Some(EligibleRow {
                    entrant: e.entrant.clone(),
                    day,
                    display_name: contact.display_name.clone(),
                    phone: person.map_or_else(|| contact.phone_masked.clone(), |p| p.phone.clone()),
                    region: person
                        .map(|p| super::exports::region_label(self.accounts.regions(), &p.region_code))
                        .unwrap_or_default(),
                    score: e.score,
                })
            })
            .collect())
    }
}
