//! results.csv: every ranked participant in board order, with the phone (staff only), streamed
//! in batches so a campaign of any size never sits in memory as one big string.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use crate::accounts::Regions;
use crate::clock::shanghai;
use crate::db::entity::user;
use crate::quiz::Campaign;
use crate::scores::board::{Entry, board_order, entries_by_user};
use crate::scores::finished_sessions;

const BATCH: usize = 1000;

/// The board, from SQL, ready to be written out batch by batch.
pub struct ResultsExport {
    db: DatabaseConnection,
    regions: Regions,
    order: Vec<(i64, Entry)>,
    next: usize,
}

pub const HEADER: &str =
    "\u{feff}名次 rank,姓名 name,手机 phone,地区 region,得分 score,用时(秒) duration_s,交卷时间 finished_at\r\n";

/// Per-question statistics as CSV (UTF-8 with BOM, CRLF), for Excel.
pub fn stats_csv(stats: &super::stats::CampaignStats) -> String {
    let mut out = String::from(
        "\u{feff}题库 bank,编号 key,分类 category,依据 basis,作答次数 attempts,难度系数 facility,区分度 discrimination,最常见错误答案 most_chosen_wrong,题干 stem\r\n",
    );
    let num = |x: Option<f64>| x.map_or(String::new(), |v| v.to_string());
    for q in &stats.questions {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\r\n",
            csv_field(&q.bank),
            csv_field(&q.key),
            csv_field(&q.category),
            csv_field(&q.basis.join("；")),
            q.attempts,
            num(q.facility),
            num(q.discrimination),
            csv_field(q.most_chosen_wrong.as_deref().unwrap_or("")),
            csv_field(&q.stem)
        ));
    }
    out
}

/// A village as staff read it: township then village (the code if the tree no longer has it).
pub fn region_label(regions: &Regions, code: &str) -> String {
    regions.get(code).map_or_else(
        || code.to_owned(),
        |village| {
            let township = village.parent.as_deref().and_then(|t| regions.get(t)).map(|t| t.name).unwrap_or_default();
            format!("{township}{}", village.name)
        },
    )
}

/// The fixed eligible list with contacts (UTF-8 with BOM, CRLF), for staff to reach winners.
pub fn eligible_csv(rows: &[super::draws::EligibleRow]) -> String {
    let mut out = String::from("\u{feff}编号 entrant,日期 day,姓名 name,手机 phone,地区 region,得分 score\r\n");
    for row in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{}\r\n",
            row.entrant,
            row.day.as_deref().unwrap_or(""),
            csv_field(&row.display_name),
            row.phone,
            csv_field(&row.region),
            row.score
        ));
    }
    out
}

fn csv_field(value: &str) -> String {
    // Formula characters are neutralised so a display name cannot run code in Excel.
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

impl ResultsExport {
    pub async fn new(db: DatabaseConnection, regions: Regions, campaign: &Campaign) -> Result<Self, DbErr> {
        let sessions = finished_sessions(&db, campaign.id, None).await?;
        let order = board_order(entries_by_user(campaign.ranking, sessions.iter()));
        Ok(Self { db, regions, order, next: 0 })
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The next up to 1,000 rows as CSV text, or None at the end.
    pub async fn next_batch(&mut self) -> Result<Option<String>, DbErr> {
        if self.next >= self.order.len() {
            return Ok(None);
        }
        let batch = &self.order[self.next..(self.next + BATCH).min(self.order.len())];
        let ids: Vec<i64> = batch.iter().map(|(u, _)| *u).collect();
        let users: HashMap<i64, user::Model> = user::Entity::find()
            .filter(user::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let mut out = String::new();
        for (i, (user_id, entry)) in batch.iter().enumerate() {
            let Some(user) = users.get(user_id) else { continue };
            let region = region_label(&self.regions, &user.region_code);
            let finished = chrono::DateTime::from_timestamp_millis(entry.at_ms)
                .map(|t| t.with_timezone(&shanghai()).format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default();
            out.push_str(&format!(
                "{},{},{},{},{},{:.1},{}\r\n",
                self.next + i + 1,
                csv_field(&user.display_name),
                user.phone,
                csv_field(&region),
                entry.points,
                entry.duration_ms as f64 / 1000.0,
                finished
            ));
        }
        self.next += batch.len();
        Ok(Some(out))
    }
}
