//! Board reads: a page of a board with the caller's rank, the rows around the caller, and
//! participation per region.

use chrono::{DateTime, Utc};

use super::board::Board;
use super::regions::{average_score, participation_rate};
use super::views::{Leaderboard, LeaderboardEntry, MyRank, RegionLevel, RegionStat, parse_card};
use super::{Scores, ScoresError, Scoring};
use crate::clock::shanghai_day;
use crate::store::{LiveScores, Ranked};

impl Scores {
    fn entry_view(&self, row: Ranked) -> LeaderboardEntry {
        let (display_name, region) = parse_card(row.card.as_deref());
        LeaderboardEntry {
            rank: row.rank,
            display_name,
            region: self.regions.reference(&region),
            score: row.entry.points,
            duration_ms: row.entry.duration_ms,
        }
    }

    /// Which board a request means: a region (township or village), an Asia/Shanghai day
    /// (`today` or `YYYY-MM-DD`), the sessions in progress, or the whole campaign.
    pub fn board_for(
        &self,
        region: Option<&str>,
        day: Option<&str>,
        live: bool,
        now: DateTime<Utc>,
    ) -> Result<Board, ScoresError> {
        use crate::accounts::regions::Level;
        if live {
            return Ok(Board::Live);
        }
        if let Some(day) = day.filter(|d| !d.is_empty()) {
            let day = if day == "today" {
                shanghai_day(now)
            } else {
                chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| ScoresError::BadDay)?
            };
            return Ok(Board::Day(day.to_string()));
        }
        match region.filter(|r| !r.is_empty()) {
            None => Ok(Board::All),
            Some(code) => match self.regions.get(code).map(|r| r.level) {
                Some(Level::Township) => Ok(Board::Township(code.to_owned())),
                Some(Level::Village) => Ok(Board::Village(code.to_owned())),
                Some(Level::Banner) => Ok(Board::All),
                None => Err(ScoresError::UnknownRegion),
            },
        }
    }

    /// A page of a board, with the caller's own rank when signed in.
    pub async fn leaderboard(
        &self,
        campaign: &Scoring,
        board: &Board,
        offset: u64,
        limit: u64,
        me: Option<i64>,
    ) -> Result<Leaderboard, ScoresError> {
        // Both at once: on Redis they travel together, one round trip instead of two.
        let page = self.store.page(campaign.id, board, offset, limit.clamp(1, 200));
        let mine = async {
            match me {
                Some(user) => self.store.rank(campaign.id, board, user).await,
                None => Ok(None),
            }
        };
        let ((rows, total), mine) = tokio::try_join!(page, mine)?;
        let me = mine.map(|r| MyRank { rank: r.rank, score: r.entry.points });
        Ok(Leaderboard {
            board: board.name(),
            measure: campaign.measure_of(board),
            entries: rows.into_iter().map(|r| self.entry_view(r)).collect(),
            total,
            me,
        })
    }

    /// The entries around the caller (`radius` above and below).
    pub async fn around(
        &self,
        campaign: &Scoring,
        board: &Board,
        user: i64,
        radius: u64,
    ) -> Result<Leaderboard, ScoresError> {
        let radius = radius.clamp(1, 50);
        let mine = self.store.rank(campaign.id, board, user).await?;
        let Some(mine) = mine else {
            let (_, total) = self.store.page(campaign.id, board, 0, 0).await?;
            return Ok(Leaderboard {
                board: board.name(),
                measure: campaign.measure_of(board),
                entries: Vec::new(),
                total,
                me: None,
            });
        };
        let offset = (mine.rank - 1).saturating_sub(radius);
        let (rows, total) = self.store.page(campaign.id, board, offset, radius * 2 + 1).await?;
        Ok(Leaderboard {
            board: board.name(),
            measure: campaign.measure_of(board),
            entries: rows.into_iter().map(|r| self.entry_view(r)).collect(),
            total,
            me: Some(MyRank { rank: mine.rank, score: mine.entry.points }),
        })
    }

    /// The user's rank on the campaign board.
    pub async fn rank(&self, campaign: &Scoring, user: i64) -> Result<Option<u64>, ScoresError> {
        Ok(self.store.rank(campaign.id, &Board::All, user).await?.map(|r| r.rank))
    }

    /// Participants, participation and average score per township (or per village).
    pub async fn region_stats(&self, campaign: &Scoring, level: RegionLevel) -> Result<Vec<RegionStat>, ScoresError> {
        let regions: Vec<crate::accounts::RegionNode> = self
            .regions
            .tree()
            .into_iter()
            .flat_map(|banner| banner.children)
            .flat_map(|township| match level {
                RegionLevel::Township => vec![township],
                RegionLevel::Village => township.children,
            })
            .collect();
        let boards: Vec<Board> = regions
            .iter()
            .map(|r| match level {
                RegionLevel::Township => Board::Township(r.code.clone()),
                RegionLevel::Village => Board::Village(r.code.clone()),
            })
            .collect();
        let tallies = self.store.tallies(campaign.id, &boards).await?;
        Ok(regions
            .into_iter()
            .zip(tallies)
            .map(|(region, (participants, sum))| RegionStat {
                participation_rate: participation_rate(participants, region.residents),
                average_score: average_score(participants, sum),
                code: region.code,
                name: region.name,
                participants,
                residents: region.residents,
            })
            .collect())
    }
}
