//! The leaderboards in Redis: a few Lua scripts, each touching one campaign's keys (one cluster slot).
//!
//! Keys of campaign 42 (all in one Redis Cluster slot thanks to the hash tag `{c42}`):
//!   {prefix}:{c42}:z:<board>   sorted set: score -points, member duration|time|user (see board.rs)
//!   {prefix}:{c42}:w:<board>   hash user -> member (to move or drop a user's row)
//!   {prefix}:{c42}:sum         hash board -> sum of points (averages per region)
//!   {prefix}:{c42}:cards       hash user -> "display name \x1f village code" (public fields only)
//!   {prefix}:{c42}:built       "1" once the boards were rebuilt from SQL (gone after FLUSHALL)
//!   {prefix}:{c42}:keys        set of every z:/w: key above that PUT wrote: what `clear` drops
//!                              (SCAN would see one node of a cluster only)

use std::collections::BTreeMap;

use redis::RedisError;

use super::RedisStore;
use crate::store::{Board, BoardUpdate, Entry, LiveError, LiveScores, Put, Ranked};

/// One user's updates on several boards, atomically, in one round trip.
/// KEYS: sum, cards, the key registry, then (z, w) per board; every z and w written is registered.
const PUT: &str = r"
local user = ARGV[1]
redis.call('HSET', KEYS[2], user, ARGV[2])
local n = (#KEYS - 3) / 2
for i = 1, n do
  local z = KEYS[2 + 2 * i]
  local w = KEYS[3 + 2 * i]
  local base = 2 + 4 * (i - 1)
  local name, op, score, member = ARGV[base + 1], ARGV[base + 2], ARGV[base + 3], ARGV[base + 4]
  local old = redis.call('HGET', w, user)
  if old then
    local oldscore = redis.call('ZSCORE', z, old)
    redis.call('ZREM', z, old)
    redis.call('HDEL', w, user)
    if oldscore then redis.call('HINCRBY', KEYS[1], name, string.format('%d', tonumber(oldscore))) end
  end
  if op == 'set' then
    redis.call('ZADD', z, score, member)
    redis.call('HSET', w, user, member)
    redis.call('SADD', KEYS[3], z, w)
    redis.call('HINCRBY', KEYS[1], name, string.format('%d', 0 - tonumber(score)))
  end
end
return n
";

/// A page of a board with each row's card, and the board's size, in one round trip.
/// KEYS: z, cards; ARGV: start, stop. Returns {total, {{member, score, card or nil}, ...}}.
const PAGE: &str = r"
local rows = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[2], 'WITHSCORES')
local out = {}
for i = 1, #rows, 2 do
  local user = string.match(string.sub(rows[i], 29), '^0*(%d+)$')
  local card = false
  if user then card = redis.call('HGET', KEYS[2], user) end
  out[#out + 1] = {rows[i], rows[i + 1], card}
end
return {redis.call('ZCARD', KEYS[1]), out}
";

/// A user's rank (0-based), score, member and card on one board.
/// KEYS: z, w, cards; ARGV: user.
const RANK: &str = r"
local m = redis.call('HGET', KEYS[2], ARGV[1])
if not m then return false end
local r = redis.call('ZRANK', KEYS[1], m)
if not r then return false end
return {r, redis.call('ZSCORE', KEYS[1], m), m, redis.call('HGET', KEYS[3], ARGV[1])}
";

/// Drops the given keys of a campaign and takes them off its registry (KEYS[1]); returns how
/// many registered keys are left (written by a PUT since the caller read the registry).
const CLEAR: &str = r"
for i = 2, #KEYS do
  redis.call('UNLINK', KEYS[i])
  redis.call('SREM', KEYS[1], KEYS[i])
end
return redis.call('SCARD', KEYS[1])
";

/// Registered keys dropped per `CLEAR` call, and calls before `clear` gives up.
const CLEAR_BATCH: usize = 512;
const CLEAR_PASSES: usize = 256;

static PUT_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| redis::Script::new(PUT));
static PAGE_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| redis::Script::new(PAGE));
static RANK_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| redis::Script::new(RANK));
/// How long a rebuild in progress keeps other processes from starting their own.
const REBUILDING_TTL_MS: u64 = 120_000;

static CLEAR_SCRIPT: std::sync::LazyLock<redis::Script> = std::sync::LazyLock::new(|| redis::Script::new(CLEAR));

impl RedisStore {
    fn campaign_key(&self, campaign: i64, rest: &str) -> String {
        format!("{}:{{c{campaign}}}:{rest}", self.prefix)
    }
}

fn parse_score(raw: &str) -> f64 {
    raw.parse().unwrap_or(0.0)
}

impl RedisStore {
    fn put_call(
        &self,
        campaign: i64,
        user: i64,
        card: &str,
        updates: &[BoardUpdate],
    ) -> redis::ScriptInvocation<'static> {
        let mut call = PUT_SCRIPT.prepare_invoke();
        call.key(self.campaign_key(campaign, "sum"))
            .key(self.campaign_key(campaign, "cards"))
            .key(self.campaign_key(campaign, "keys"));
        call.arg(user).arg(card);
        for update in updates {
            let name = update.board.name();
            call.key(self.campaign_key(campaign, &format!("z:{name}")))
                .key(self.campaign_key(campaign, &format!("w:{name}")));
            match update.entry {
                Some(entry) => call.arg(name).arg("set").arg(-entry.points).arg(entry.member(user)),
                None => call.arg(name).arg("del").arg(0).arg(""),
            };
        }
        call
    }
}

impl RedisStore {
    /// One server only: drops keys of a campaign that are not in its registry, written before
    /// the registry existed (an older pufa) or by a tool that writes boards directly.
    async fn sweep_unregistered(&self, campaign: i64) -> Result<(), LiveError> {
        let pattern = self.campaign_key(campaign, "*");
        let rebuilding = self.campaign_key(campaign, "rebuilding"); // outlives a clear
        let mut conn = self.conn.clone();
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await?;
            let keys: Vec<String> = keys.into_iter().filter(|k| *k != rebuilding).collect();
            if !keys.is_empty() {
                redis::cmd("UNLINK").arg(&keys).query_async::<i64>(&mut conn).await?;
            }
            cursor = next;
            if cursor == 0 {
                return Ok(());
            }
        }
    }
}

impl LiveScores for RedisStore {
    async fn put(&self, campaign: i64, user: i64, card: &str, updates: &[BoardUpdate]) -> Result<(), LiveError> {
        self.put_call(campaign, user, card, updates).invoke_async::<i64>(&mut self.conn.clone()).await?;
        Ok(())
    }

    async fn put_many(&self, puts: &[Put]) -> Result<(), LiveError> {
        // One pipeline per campaign: a pipeline goes to one node, and on a cluster only the keys
        // of one slot (one campaign) are sure to live there. In order within a campaign; campaigns
        // share no keys. Every campaign is tried; the first error is returned.
        let mut by_campaign: BTreeMap<i64, Vec<&Put>> = BTreeMap::new();
        for put in puts {
            by_campaign.entry(put.campaign).or_default().push(put);
        }
        let mut first_error = None;
        for group in by_campaign.values() {
            // SCRIPT LOAD first: after a Redis restart the script cache is empty, and a pipeline
            // cannot fall back from EVALSHA to EVAL the way a single invocation does. Keyless, it
            // travels with the pipeline to the node that owns the campaign's slot.
            let mut pipe = redis::pipe();
            pipe.load_script(&PUT_SCRIPT).ignore();
            let calls: Vec<_> = group.iter().map(|p| self.put_call(p.campaign, p.user, &p.card, &p.updates)).collect();
            for call in &calls {
                pipe.invoke_script(call).ignore();
            }
            if let Err(e) = pipe.query_async::<()>(&mut self.conn.clone()).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), |e| Err(e.into()))
    }

    async fn page(
        &self,
        campaign: i64,
        board: &Board,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<Ranked>, u64), LiveError> {
        let stop = (offset + limit).saturating_sub(1);
        let (total, rows): (u64, Vec<(String, String, Option<String>)>) = PAGE_SCRIPT
            .key(self.campaign_key(campaign, &format!("z:{}", board.name())))
            .key(self.campaign_key(campaign, "cards"))
            .arg(offset)
            .arg(stop)
            .invoke_async(&mut self.conn.clone())
            .await?;
        if limit == 0 {
            return Ok((Vec::new(), total));
        }
        let ranked = rows
            .into_iter()
            .filter_map(|(member, score, card)| Entry::parse(parse_score(&score), &member).map(|row| (row, card)))
            .enumerate()
            .map(|(i, ((user_id, entry), card))| Ranked { rank: offset + i as u64 + 1, user_id, entry, card })
            .collect();
        Ok((ranked, total))
    }

    async fn rank(&self, campaign: i64, board: &Board, user: i64) -> Result<Option<Ranked>, LiveError> {
        let name = board.name();
        let found: Option<(u64, String, String, Option<String>)> = RANK_SCRIPT
            .key(self.campaign_key(campaign, &format!("z:{name}")))
            .key(self.campaign_key(campaign, &format!("w:{name}")))
            .key(self.campaign_key(campaign, "cards"))
            .arg(user)
            .invoke_async(&mut self.conn.clone())
            .await?;
        let Some((rank, score, member, card)) = found else { return Ok(None) };
        let Some((user_id, entry)) = Entry::parse(parse_score(&score), &member) else { return Ok(None) };
        Ok(Some(Ranked { rank: rank + 1, user_id, entry, card }))
    }

    async fn tallies(&self, campaign: i64, boards: &[Board]) -> Result<Vec<(u64, i64)>, LiveError> {
        if boards.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for board in boards {
            pipe.cmd("ZCARD").arg(self.campaign_key(campaign, &format!("z:{}", board.name())));
            pipe.cmd("HGET").arg(self.campaign_key(campaign, "sum")).arg(board.name());
        }
        let raw: Vec<Option<i64>> = pipe.query_async(&mut self.conn.clone()).await?;
        Ok(raw
            .chunks(2)
            .map(|pair| (u64::try_from(pair[0].unwrap_or(0)).unwrap_or(0), pair.get(1).copied().flatten().unwrap_or(0)))
            .collect())
    }

    async fn clear(&self, campaign: i64) -> Result<(), LiveError> {
        // The registry names every board key PUT wrote; it lives in the campaign's slot, so this
        // works on a cluster, where SCAN would walk one node only. Fixed keys go on every pass;
        // passes repeat while PUTs running meanwhile register new boards.
        let registry = self.campaign_key(campaign, "keys");
        let mut conn = self.conn.clone();
        let mut cleared = false;
        for _ in 0..CLEAR_PASSES {
            let registered: Vec<String> =
                redis::cmd("SRANDMEMBER").arg(&registry).arg(CLEAR_BATCH).query_async(&mut conn).await?;
            let mut call = CLEAR_SCRIPT.prepare_invoke();
            call.key(&registry);
            for fixed in ["sum", "cards", "built"] {
                call.key(self.campaign_key(campaign, fixed));
            }
            call.key(&registered);
            let left: u64 = call.invoke_async(&mut conn).await?;
            if left == 0 {
                cleared = true;
                break;
            }
        }
        if !cleared {
            let message = "boards kept appearing while clearing a campaign";
            return Err(RedisError::from((redis::ErrorKind::Client, message)).into());
        }
        if !self.conn.is_cluster() {
            self.sweep_unregistered(campaign).await?;
        }
        Ok(())
    }

    async fn mark_rebuilding(&self, campaign: i64) -> Result<(), LiveError> {
        // Expires: a process that dies mid-rebuild leaves the boards to the next one.
        redis::cmd("SET")
            .arg(self.campaign_key(campaign, "rebuilding"))
            .arg(1)
            .arg("PX")
            .arg(REBUILDING_TTL_MS)
            .query_async::<()>(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    async fn mark_built(&self, campaign: i64) -> Result<(), LiveError> {
        // Both keys share the campaign's slot: one pipeline, one node.
        redis::pipe()
            .cmd("SET")
            .arg(self.campaign_key(campaign, "built"))
            .arg(1)
            .ignore()
            .cmd("DEL")
            .arg(self.campaign_key(campaign, "rebuilding"))
            .ignore()
            .query_async::<()>(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    async fn is_built(&self, campaign: i64) -> Result<bool, LiveError> {
        // Built, or being rebuilt by some process.
        let n: i64 = redis::cmd("EXISTS")
            .arg(self.campaign_key(campaign, "built"))
            .arg(self.campaign_key(campaign, "rebuilding"))
            .query_async(&mut self.conn.clone())
            .await?;
        Ok(n >= 1)
    }
}
