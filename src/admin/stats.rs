//! What the bureau reports: participation by region, scores, and which rules of law residents
//! get wrong (per question, per category, per cited article, per township).
//!
//! Item statistics follow Moodle's quiz report: over finished attempts that drew the question,
//! facility = share answered right; discrimination = the point-biserial correlation between the
//! item (1/0) and the rest of the attempt's score (correct answers on the other questions).

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;

use crate::accounts::Regions;
use crate::bank::{IndexedQuestion, QuestionKind, letter};
use crate::db::entity::{question_revision, quiz_session, session_question, user};
use crate::quiz::{Campaign, Permutation};
use crate::scores::regions::{average_score, participation_rate};
use crate::scores::{FinishedSession, entries_by_user};

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct RegionParticipation {
    pub code: String,
    pub name: String,
    /// Residents of the region with a finished attempt (see `scores::regions`).
    pub participants: u64,
    pub residents: u32,
    #[schema(required = true)]
    pub participation_rate: Option<f64>,
    /// The mean of the participants' standings (best attempt, or the total under `ranking: total`).
    #[schema(required = true)]
    pub average_best_score: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Accuracy {
    pub name: String,
    pub answered: u64,
    pub correct: u64,
    #[schema(required = true)]
    pub accuracy: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ItemStats {
    pub bank: String,
    pub key: String,
    pub stem: String,
    pub category: String,
    pub basis: Vec<String>,
    pub attempts: u64,
    #[schema(required = true)]
    pub facility: Option<f64>,
    #[schema(required = true)]
    pub discrimination: Option<f64>,
    /// The wrong answer chosen most often (option text; for a multiple, the chosen texts joined).
    #[schema(required = true)]
    pub most_chosen_wrong: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ArticleRegionAccuracy {
    pub article: String,
    pub township: String,
    pub answered: u64,
    pub correct: u64,
    #[schema(required = true)]
    pub accuracy: Option<f64>,
}

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct CampaignStats {
    pub campaign: String,
    pub participants: u64,
    pub sessions_started: u64,
    pub sessions_finished: u64,
    #[schema(required = true)]
    pub completion_rate: Option<f64>,
    /// Finished sessions per tenth of the maximum score: bucket i holds scores in
    /// [i·max/10, (i+1)·max/10), the last bucket also the maximum itself.
    pub score_histogram: Vec<u64>,
    pub max_score: u32,
    pub townships: Vec<RegionParticipation>,
    pub villages: Vec<RegionParticipation>,
    pub categories: Vec<Accuracy>,
    pub questions: Vec<ItemStats>,
    pub hardest: Vec<ItemStats>,
    pub articles: Vec<Accuracy>,
    pub articles_by_township: Vec<ArticleRegionAccuracy>,
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| round4(part as f64 / whole as f64))
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Pearson correlation of two series (the point-biserial when `xs` is 0/1); None without variance.
pub fn correlation(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let n = xs.len() as f64;
    if xs.len() < 2 || xs.len() != ys.len() {
        return None;
    }
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let cov: f64 = xs.iter().zip(ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let vx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    let vy: f64 = ys.iter().map(|y| (y - my).powi(2)).sum();
    (vx > 0.0 && vy > 0.0).then(|| round4(cov / (vx * vy).sqrt()))
}

/// The original options a displayed choice stands for, as text.
fn chosen_text(q: &IndexedQuestion, order: &Permutation, choice: &str) -> String {
    match q.kind {
        QuestionKind::Judge => if choice == "T" { "正确" } else { "错误" }.to_owned(),
        _ => {
            let mut originals: Vec<u8> = choice
                .bytes()
                .filter_map(|b| (0..8u8).find(|i| letter(*i) == char::from(b)))
                .filter_map(|shown| order.0.get(usize::from(shown)).copied())
                .collect();
            originals.sort_unstable();
            originals
                .iter()
                .filter_map(|i| q.options.get(usize::from(*i)).map(|t| format!("{}. {t}", letter(*i))))
                .collect::<Vec<_>>()
                .join(" + ")
        }
    }
}

pub async fn campaign_stats(
    db: &DatabaseConnection,
    regions: &Regions,
    campaign: &Campaign,
) -> Result<CampaignStats, DbErr> {
    let sessions =
        quiz_session::Entity::find().filter(quiz_session::Column::CampaignId.eq(campaign.id)).all(db).await?;
    let user_ids: HashSet<i64> = sessions.iter().map(|s| s.user_id).collect();
    let users: HashMap<i64, user::Model> = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    let finished: Vec<&quiz_session::Model> = sessions.iter().filter(|s| s.finished_at.is_some()).collect();
    let finished_ids: Vec<String> = finished.iter().map(|s| s.id.clone()).collect();
    let rows = session_question::Entity::find()
        .filter(session_question::Column::SessionId.is_in(finished_ids))
        .all(db)
        .await?;
    let revision_ids: HashSet<i64> = rows.iter().map(|r| r.revision_id).collect();
    let questions: HashMap<i64, IndexedQuestion> = question_revision::Entity::find()
        .filter(question_revision::Column::Id.is_in(revision_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(IndexedQuestion::from_row)
        .map(|q| (q.revision_id, q))
        .collect();

    // Scores and participation (a region's figures by the one definition in `scores::regions`).
    let max_score = campaign.max_score();
    let mut histogram = vec![0u64; 10];
    for s in &finished {
        let bucket = if max_score == 0 {
            0
        } else {
            (u64::try_from(s.score).unwrap_or(0) * 10 / u64::from(max_score)).min(9) as usize
        };
        histogram[bucket] += 1;
    }
    let finished_rows: Vec<FinishedSession> = finished
        .iter()
        .filter_map(|s| {
            Some(FinishedSession {
                user_id: s.user_id,
                score: s.score,
                duration_ms: s.duration_ms.unwrap_or(0),
                finished_at: s.finished_at?,
            })
        })
        .collect();
    let standings = entries_by_user(campaign.ranking, finished_rows.iter());
    let village_of = |user_id: &i64| users.get(user_id).map(|u| u.region_code.clone()).unwrap_or_default();
    let township_of = |village: &str| regions.get(village).and_then(|r| r.parent).unwrap_or_default();
    let participation = |level_village: bool| -> Vec<RegionParticipation> {
        regions
            .tree()
            .into_iter()
            .flat_map(|b| b.children)
            .flat_map(|t| if level_village { t.children } else { vec![t] })
            .map(|region| {
                let in_region = |user: &i64| {
                    let village = village_of(user);
                    if level_village { village == region.code } else { township_of(&village) == region.code }
                };
                let points: Vec<i64> =
                    standings.iter().filter(|(user, _)| in_region(user)).map(|(_, entry)| entry.points).collect();
                let participants = points.len() as u64;
                RegionParticipation {
                    participation_rate: participation_rate(participants, region.residents),
                    average_best_score: average_score(participants, points.iter().sum()),
                    code: region.code,
                    name: region.name,
                    participants,
                    residents: region.residents,
                }
            })
            .collect()
    };

    // Items: per finished session, each drawn question right (1) or not (0; unanswered counts as wrong).
    let mut by_session: HashMap<&str, Vec<&session_question::Model>> = HashMap::new();
    for row in &rows {
        by_session.entry(row.session_id.as_str()).or_default().push(row);
    }
    #[derive(Default)]
    struct Item {
        scores: Vec<f64>,
        rests: Vec<f64>,
        wrong: BTreeMap<String, u64>,
    }
    let mut items: BTreeMap<(String, String), (Item, i64)> = BTreeMap::new();
    let mut categories: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut articles: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut article_township: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    let session_user: HashMap<&str, i64> = finished.iter().map(|s| (s.id.as_str(), s.user_id)).collect();
    for (session_id, drawn) in &by_session {
        let total: f64 = drawn.iter().filter(|r| r.correct == Some(true)).count() as f64;
        let township = session_user.get(session_id).map(|u| township_of(&village_of(u))).unwrap_or_default();
        for row in drawn {
            let Some(q) = questions.get(&row.revision_id) else { continue };
            let right = row.correct == Some(true);
            let (item, _) =
                items.entry((q.bank_key.clone(), q.key.clone())).or_insert_with(|| (Item::default(), row.revision_id));
            item.scores.push(if right { 1.0 } else { 0.0 });
            item.rests.push(total - if right { 1.0 } else { 0.0 });
            if let (false, Some(choice)) = (right, &row.choice) {
                let order = Permutation::from_code(&row.permutation).unwrap_or_else(|| Permutation::identity(0));
                *item.wrong.entry(chosen_text(q, &order, choice)).or_default() += 1;
            }
            let tally = |t: &mut (u64, u64)| {
                t.0 += 1;
                t.1 += u64::from(right);
            };
            tally(categories.entry(q.category.clone()).or_default());
            for article in &q.basis {
                tally(articles.entry(article.clone()).or_default());
                tally(article_township.entry((article.clone(), township.clone())).or_default());
            }
        }
    }
    let item_stats: Vec<ItemStats> = items
        .into_iter()
        .filter_map(|((bank, key), (item, revision))| {
            let q = questions.get(&revision)?;
            let correct = item.scores.iter().filter(|s| **s > 0.5).count() as u64;
            Some(ItemStats {
                bank,
                key,
                stem: q.stem.clone(),
                category: q.category.clone(),
                basis: q.basis.clone(),
                attempts: item.scores.len() as u64,
                facility: ratio(correct, item.scores.len() as u64),
                discrimination: correlation(&item.scores, &item.rests),
                most_chosen_wrong: item
                    .wrong
                    .iter()
                    .max_by_key(|(text, n)| (**n, std::cmp::Reverse((*text).clone())))
                    .map(|(t, _)| t.clone()),
            })
        })
        .collect();
    let mut hardest = item_stats.clone();
    hardest.sort_by(|a, b| {
        a.facility.unwrap_or(1.0).total_cmp(&b.facility.unwrap_or(1.0)).then(b.attempts.cmp(&a.attempts))
    });
    hardest.truncate(10);
    let accuracy = |(name, (answered, correct)): (String, (u64, u64))| Accuracy {
        name,
        answered,
        correct,
        accuracy: ratio(correct, answered),
    };

    Ok(CampaignStats {
        campaign: campaign.slug.clone(),
        participants: user_ids.len() as u64,
        sessions_started: sessions.len() as u64,
        sessions_finished: finished.len() as u64,
        completion_rate: ratio(finished.len() as u64, sessions.len() as u64),
        score_histogram: histogram,
        max_score,
        townships: participation(false),
        villages: participation(true),
        categories: categories.into_iter().map(accuracy).collect(),
        questions: item_stats,
        hardest,
        articles: articles.into_iter().map(accuracy).collect(),
        articles_by_township: article_township
            .into_iter()
            .map(|((article, township), (answered, correct))| ArticleRegionAccuracy {
                article,
                township: regions.get(&township).map_or(township, |r| r.name),
                answered,
                correct,
                accuracy: ratio(correct, answered),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_biserial_matches_a_hand_computation() {
        // Items 1 1 0 0 with rest scores 4 3 2 1: r = 2 / sqrt(1 * 5) = 0.8944.
        assert_eq!(correlation(&[1.0, 1.0, 0.0, 0.0], &[4.0, 3.0, 2.0, 1.0]), Some(0.8944));
        assert_eq!(correlation(&[1.0, 1.0], &[3.0, 4.0]), None, "no variance in the item");
    }
}
