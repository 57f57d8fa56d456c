//! Live scores and leaderboards: one contract for every store (in-process, Redis, Redis Cluster),
//! boards equal to SQL, and boards that survive Redis losing everything.

mod common;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use common::{Live, OwnRedis, Sql, TestApp};
use pufa::quiz::{Campaign, Quiz, Ranking};
use pufa::store::{Board, BoardUpdate, Counters, Entry, LiveScores, LiveStore, Put, RedisStore};
use rand::{RngExt, SeedableRng};
use rocket::http::Status;
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::json;

// ---------- the contract, run against every store ----------

async fn redis_store_at(what: &str, url: &str) -> Option<LiveStore> {
    let prefix = format!("pufa_test:contract:{}:{}", std::process::id(), rand::random::<u32>());
    match RedisStore::connect(url, &prefix).await {
        Ok(store) => Some(LiveStore::Redis(store)),
        Err(err) => common::unavailable(what, &err),
    }
}

async fn redis_store() -> Option<LiveStore> {
    redis_store_at("Redis", &common::redis_url()).await
}

/// The store on the Redis Cluster of `PUFA_TEST_REDIS_CLUSTER_URL`.
async fn redis_cluster_store() -> Option<LiveStore> {
    let Some(url) = common::redis_cluster_url() else {
        return common::unavailable("Redis Cluster", &common::NO_CLUSTER);
    };
    let store = redis_store_at("Redis Cluster", &url).await?;
    let LiveStore::Redis(redis) = &store else { unreachable!("a Redis store") };
    assert!(redis.is_cluster(), "PUFA_TEST_REDIS_CLUSTER_URL names one node; list the cluster's nodes");
    Some(store)
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod memory_store { $( #[rocket::async_test] async fn $name() { super::$name(pufa::store::LiveStore::Memory(pufa::store::MemoryStore::default())).await } )* }
        mod redis_store { $( #[rocket::async_test] async fn $name() { if let Some(store) = super::redis_store().await { super::$name(store).await } } )* }
        mod redis_cluster_store { $( #[rocket::async_test] async fn $name() { if let Some(store) = super::redis_cluster_store().await { super::$name(store).await } } )* }
    };
}

contract!(
    more_points_then_shorter_time_then_earlier_finish_rank_first,
    a_users_new_entry_replaces_the_old_one_and_removal_frees_the_row,
    boards_are_separate_and_tally_participants_and_points,
    pages_and_ranks_agree_on_a_large_board,
    clearing_forgets_a_campaign_and_the_built_mark,
    a_rebuild_under_way_counts_as_built_for_other_instances,
    clearing_drops_every_board_of_one_campaign_only,
    put_many_applies_puts_of_several_campaigns_in_order,
    counters_count_hits_in_a_window_until_reset,
);

fn entry(points: i64, duration_ms: i64, at_ms: i64) -> Entry {
    Entry { points, duration_ms, at_ms }
}

async fn set(store: &LiveStore, user: i64, board: Board, e: Option<Entry>) {
    store.put(1, user, &format!("u{user}\u{1f}150824202201"), &[BoardUpdate { board, entry: e }]).await.expect("put");
}

async fn order(store: &LiveStore, board: &Board) -> Vec<i64> {
    store.page(1, board, 0, 1000).await.expect("page").0.iter().map(|r| r.user_id).collect()
}

async fn more_points_then_shorter_time_then_earlier_finish_rank_first(store: LiveStore) {
    set(&store, 1, Board::All, Some(entry(80, 300_000, 5_000))).await;
    set(&store, 2, Board::All, Some(entry(90, 500_000, 9_000))).await;
    set(&store, 3, Board::All, Some(entry(80, 200_000, 9_000))).await;
    set(&store, 4, Board::All, Some(entry(80, 200_000, 4_000))).await;
    set(&store, 5, Board::All, Some(entry(0, 1, 1))).await;
    assert_eq!(order(&store, &Board::All).await, [2, 4, 3, 1, 5]);
    let row = store.rank(1, &Board::All, 3).await.expect("rank").expect("ranked");
    assert_eq!(
        (row.rank, row.entry, row.card.as_deref()),
        (3, entry(80, 200_000, 9_000), Some("u3\u{1f}150824202201"))
    );
    assert_eq!(store.rank(1, &Board::All, 99).await.expect("rank"), None);
}

async fn a_users_new_entry_replaces_the_old_one_and_removal_frees_the_row(store: LiveStore) {
    set(&store, 1, Board::All, Some(entry(50, 1000, 1))).await;
    set(&store, 2, Board::All, Some(entry(60, 1000, 1))).await;
    set(&store, 1, Board::All, Some(entry(70, 1000, 2))).await;
    assert_eq!(order(&store, &Board::All).await, [1, 2]);
    assert_eq!(store.page(1, &Board::All, 0, 10).await.expect("page").1, 2, "one row per user");
    set(&store, 1, Board::All, None).await;
    assert_eq!(order(&store, &Board::All).await, [2]);
    assert_eq!(store.tallies(1, &[Board::All]).await.expect("tallies"), [(1, 60)]);
}

async fn boards_are_separate_and_tally_participants_and_points(store: LiveStore) {
    let village = Board::Village("150824202201".into());
    store
        .put(
            1,
            7,
            "x\u{1f}v",
            &[
                BoardUpdate { board: Board::All, entry: Some(entry(40, 10, 10)) },
                BoardUpdate { board: village.clone(), entry: Some(entry(40, 10, 10)) },
            ],
        )
        .await
        .expect("put");
    set(&store, 8, Board::All, Some(entry(30, 10, 10))).await;
    set(&store, 9, Board::Day("2026-11-27".into()), Some(entry(25, 10, 10))).await;
    assert_eq!(
        store
            .tallies(1, &[Board::All, village.clone(), Board::Day("2026-11-27".into()), Board::Live])
            .await
            .expect("t"),
        [(2, 70), (1, 40), (1, 25), (0, 0)]
    );
    assert_eq!(order(&store, &village).await, [7]);
    assert!(store.page(2, &Board::All, 0, 10).await.expect("other campaign").0.is_empty());
}

async fn pages_and_ranks_agree_on_a_large_board(store: LiveStore) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut expected = Vec::new();
    for user in 1..=500 {
        let e = entry(rng.random_range(0..=20) * 5, rng.random_range(1_000..600_000), rng.random_range(0..1_000_000));
        set(&store, user, Board::All, Some(e)).await;
        expected.push((user, e));
    }
    expected.sort_by_key(|(user, e)| (std::cmp::Reverse(e.points), e.duration_ms, e.at_ms, *user));
    let mut seen = Vec::new();
    for page in 0..5 {
        let (rows, total) = store.page(1, &Board::All, page * 100, 100).await.expect("page");
        assert_eq!(total, 500);
        for row in rows {
            assert_eq!(row.rank as usize, seen.len() + 1);
            seen.push((row.user_id, row.entry));
        }
    }
    assert_eq!(seen, expected);
    for (i, (user, _)) in expected.iter().enumerate().step_by(37) {
        assert_eq!(store.rank(1, &Board::All, *user).await.expect("rank").expect("row").rank as usize, i + 1);
    }
}

async fn clearing_forgets_a_campaign_and_the_built_mark(store: LiveStore) {
    set(&store, 1, Board::All, Some(entry(5, 5, 5))).await;
    store.mark_built(1).await.expect("mark");
    assert!(store.is_built(1).await.expect("built"));
    store.clear(1).await.expect("clear");
    assert!(!store.is_built(1).await.expect("built"));
    assert!(order(&store, &Board::All).await.is_empty());
}

/// Another instance must not see the boards a rebuild has just cleared as lost, and clear them again
/// halfway through (its own rebuild would empty the boards under the first one).
async fn a_rebuild_under_way_counts_as_built_for_other_instances(store: LiveStore) {
    store.mark_rebuilding(1).await.expect("rebuilding");
    store.clear(1).await.expect("clear");
    assert!(store.is_built(1).await.expect("built"), "a rebuild under way looks lost");
    assert!(!store.is_built(2).await.expect("built"), "another campaign looks built");
    store.mark_built(1).await.expect("mark");
    store.clear(1).await.expect("clear");
    assert!(!store.is_built(1).await.expect("built"), "the finished rebuild still counts after a clear");
}

async fn clearing_drops_every_board_of_one_campaign_only(store: LiveStore) {
    let village = Board::Village("150824202201".into());
    let township = Board::Township("150824202000".into());
    let day = Board::Day("2026-11-27".into());
    let boards = [Board::All, village.clone(), township.clone(), day.clone(), Board::Live];
    // Campaigns 1..=6: on a cluster their hash tags fall in different slots, on several nodes.
    for campaign in 1..=6 {
        for user in 1..=20 {
            let updates: Vec<BoardUpdate> =
                boards.iter().map(|b| BoardUpdate { board: b.clone(), entry: Some(entry(user, 10, 10)) }).collect();
            store.put(campaign, user, "x\u{1f}v", &updates).await.expect("put");
        }
        store.mark_built(campaign).await.expect("mark");
    }
    for campaign in [1, 4] {
        store.clear(campaign).await.expect("clear");
        assert!(!store.is_built(campaign).await.expect("built"));
        assert_eq!(store.tallies(campaign, &boards).await.expect("tallies"), [(0, 0); 5], "campaign {campaign}");
        assert_eq!(store.rank(campaign, &village, 3).await.expect("rank"), None);
        assert_eq!(store.page(campaign, &Board::All, 0, 10).await.expect("page").0, []);
    }
    for campaign in [2, 3, 5, 6] {
        assert!(store.is_built(campaign).await.expect("built"), "campaign {campaign} kept");
        assert_eq!(store.tallies(campaign, &boards).await.expect("tallies"), [(20, 210); 5], "campaign {campaign}");
        let row = store.rank(campaign, &day, 20).await.expect("rank").expect("row");
        assert_eq!((row.rank, row.card.as_deref()), (1, Some("x\u{1f}v")));
    }
    // A cleared campaign fills up again from nothing: no stale sums or rows.
    store.put(1, 7, "y\u{1f}v", &[BoardUpdate { board: Board::All, entry: Some(entry(3, 1, 1)) }]).await.expect("put");
    assert_eq!(store.tallies(1, &[Board::All, village]).await.expect("tallies"), [(1, 3), (0, 0)]);
}

async fn put_many_applies_puts_of_several_campaigns_in_order(store: LiveStore) {
    let put = |campaign: i64, user: i64, points: i64, board: Board| Put {
        campaign,
        user,
        card: format!("u{user}\u{1f}150824202201"),
        updates: vec![BoardUpdate { board, entry: Some(entry(points, 100, 100)) }],
    };
    let mut puts = Vec::new();
    for round in 0..3 {
        for campaign in 11..=16 {
            for user in 1..=5 {
                // Later rounds replace earlier ones: the last put of a user wins.
                puts.push(put(campaign, user, campaign * 100 + user * 10 + round, Board::Live));
            }
        }
    }
    puts.push(put(13, 9, 1, Board::All));
    store.put_many(&puts).await.expect("put_many");
    for campaign in 11..=16 {
        let rows = store.page(campaign, &Board::Live, 0, 10).await.expect("page").0;
        let got: Vec<(i64, i64)> = rows.iter().map(|r| (r.user_id, r.entry.points)).collect();
        let want: Vec<(i64, i64)> = (1..=5).rev().map(|u| (u, campaign * 100 + u * 10 + 2)).collect();
        assert_eq!(got, want, "campaign {campaign}");
    }
    assert_eq!(store.tallies(13, &[Board::All]).await.expect("tallies"), [(1, 1)]);
    store.put_many(&[]).await.expect("nothing to put");
}

async fn counters_count_hits_in_a_window_until_reset(store: LiveStore) {
    for expected in 1..=3 {
        let count = store.hit("throttle:test:a", 60).await.expect("hit");
        assert_eq!(count.hits, expected);
        assert!((1..=60).contains(&count.resets_in_secs), "{count:?}");
    }
    assert_eq!(store.hit("throttle:test:b", 60).await.expect("hit").hits, 1, "keys count apart");
    let peeked = store.peek("throttle:test:a").await.expect("peek");
    assert_eq!(peeked.hits, 3);
    assert!((1..=60).contains(&peeked.resets_in_secs), "{peeked:?}");
    store.reset("throttle:test:a").await.expect("reset");
    assert_eq!(store.peek("throttle:test:a").await.expect("peek").hits, 0);
    assert_eq!(store.hit("throttle:test:a", 60).await.expect("hit").hits, 1, "a new window");
}

// ---------- boards against SQL ----------

/// Users spread over every village, inserted directly (no Argon2 per user).
async fn seed_users(app: &TestApp, n: usize) -> Vec<(i64, String)> {
    use pufa::db::entity::user;
    let regions = app.state::<pufa::accounts::Accounts>().regions().tree();
    let villages: Vec<String> =
        regions.iter().flat_map(|b| &b.children).flat_map(|t| &t.children).map(|v| v.code.clone()).collect();
    let rows: Vec<user::ActiveModel> = (0..n)
        .map(|i| user::ActiveModel {
            phone: Set(format!("150{:08}", i)),
            display_name: Set(format!("居民{i}")),
            region_code: Set(villages[i % villages.len()].clone()),
            role: Set("resident".into()),
            password_hash: Set("$argon2id$not-a-real-hash".into()),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(500) {
        user::Entity::insert_many(chunk.to_vec()).exec(app.db()).await.expect("users");
    }
    user::Entity::find()
        .all(app.db())
        .await
        .expect("users")
        .into_iter()
        .filter(|u| u.role == "resident")
        .map(|u| (u.id, u.region_code))
        .collect()
}

/// Finishes `n` sessions with random scores and durations, each through the live path.
async fn finish_random_sessions(app: &TestApp, users: &[(i64, String)], n: usize, seed: u64) -> Campaign {
    store_random_sessions(app, users, n, seed, true).await
}

/// `n` finished sessions stored in SQL; on the boards too if `to_boards`, else as a process
/// killed between its commit and its board write left them.
async fn store_random_sessions(
    app: &TestApp,
    users: &[(i64, String)],
    n: usize,
    seed: u64,
    to_boards: bool,
) -> Campaign {
    use pufa::db::entity::quiz_session;
    let quiz = app.state::<Quiz>();
    let campaign = quiz.published("2023-civil-code-month").await.expect("demo");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let start = campaign.opens_at;
    for i in 0..n {
        let (user_id, _) = &users[rng.random_range(0..users.len())];
        let started = start + chrono::Duration::seconds(rng.random_range(0..10 * 86_400));
        let duration = rng.random_range(1_000..600_000);
        let finished = started + chrono::Duration::milliseconds(duration);
        let session = quiz_session::Model {
            id: format!("{:032x}", u128::from(seed) << 64 | i as u128),
            user_id: *user_id,
            campaign_id: campaign.id,
            attempt: 1,
            seed: "0".repeat(64),
            started_at: started,
            started_day: pufa::clock::shanghai_day(started).to_string(),
            deadline: started + chrono::Duration::minutes(10),
            finished_at: Some(finished),
            score: rng.random_range(0..=20) * 5,
            correct: 0,
            total: 20,
            duration_ms: Some(duration),
            in_progress_key: None,
            quick_answers: 0,
            flag_reason: None,
            flag_cleared_at: None,
            flag_cleared_by: None,
        };
        quiz_session::Entity::insert(quiz_session::ActiveModel::from(session.clone()))
            .exec(app.db())
            .await
            .expect("insert");
        if to_boards {
            quiz.scores().record_finish(&session, &campaign.scoring()).await;
        }
    }
    Campaign::clone(&campaign)
}

/// The expected order of a board, computed here from raw SQL rows, independently of pufa's code.
async fn oracle(app: &TestApp, campaign: &Campaign, keep: impl Fn(&str) -> bool) -> Vec<(String, i64, i64)> {
    use pufa::db::entity::{quiz_session, user};
    let users: HashMap<i64, (String, String)> = user::Entity::find()
        .all(app.db())
        .await
        .expect("users")
        .into_iter()
        .map(|u| (u.id, (u.display_name, u.region_code)))
        .collect();
    type Best = (i64, i64, DateTime<Utc>);
    let mut best: HashMap<i64, Best> = HashMap::new();
    for s in quiz_session::Entity::find().all(app.db()).await.expect("sessions") {
        let Some(finished) = s.finished_at else { continue };
        if s.campaign_id != campaign.id || !keep(&users[&s.user_id].1) {
            continue;
        }
        let candidate = (i64::from(s.score), s.duration_ms.unwrap_or(0), finished);
        let slot = best.entry(s.user_id).or_insert(candidate);
        if (std::cmp::Reverse(candidate.0), candidate.1, candidate.2) < (std::cmp::Reverse(slot.0), slot.1, slot.2) {
            *slot = candidate;
        }
    }
    assert_eq!(campaign.ranking, Ranking::Best);
    let mut rows: Vec<(i64, Best)> = best.into_iter().collect();
    rows.sort_by_key(|(user, (points, duration, at))| (std::cmp::Reverse(*points), *duration, *at, *user));
    rows.into_iter().map(|(user, (points, duration, _))| (users[&user].0.clone(), points, duration)).collect()
}

async fn board_rows(app: &TestApp, campaign: &Campaign, board: &Board) -> Vec<(String, i64, i64)> {
    let scores = app.state::<Quiz>().scores();
    let mut rows = Vec::new();
    loop {
        let page = scores.leaderboard(&campaign.scoring(), board, rows.len() as u64, 200, None).await.expect("board");
        let done = page.entries.len() < 200;
        rows.extend(page.entries.into_iter().map(|e| (e.display_name, e.score, e.duration_ms)));
        if done {
            return rows;
        }
    }
}

/// Every board (all, each township, each village) equals the order computed from SQL.
async fn assert_boards_equal_sql(app: &TestApp, campaign: &Campaign) -> usize {
    let accounts = app.state::<pufa::accounts::Accounts>();
    let tree = accounts.regions().tree();
    let mut compared = 0;
    assert_eq!(
        board_rows(app, campaign, &Board::All).await,
        oracle(app, campaign, |_| true).await,
        "the campaign board"
    );
    compared += 1;
    for township in tree.iter().flat_map(|b| &b.children) {
        let villages: Vec<&str> = township.children.iter().map(|v| v.code.as_str()).collect();
        let expected = oracle(app, campaign, |code| villages.contains(&code)).await;
        assert_eq!(
            board_rows(app, campaign, &Board::Township(township.code.clone())).await,
            expected,
            "{}",
            township.name
        );
        compared += 1;
        for village in &township.children {
            let expected = oracle(app, campaign, |code| code == village.code).await;
            assert_eq!(
                board_rows(app, campaign, &Board::Village(village.code.clone())).await,
                expected,
                "{}",
                village.name
            );
            compared += 1;
        }
    }
    compared
}

#[rocket::async_test]
async fn two_thousand_finished_sessions_leave_every_board_equal_to_sql() {
    for (sql, live) in [
        (Sql::Sqlite, Live::Memory),
        (Sql::Sqlite, Live::Redis),
        (Sql::Postgres, Live::Redis),
        (Sql::Sqlite, Live::RedisCluster),
    ] {
        let Some(app) = TestApp::start(sql, live).await else { continue };
        eprintln!("boards against SQL: {sql:?} + {live:?}");
        let users = seed_users(&app, 700).await;
        let campaign = finish_random_sessions(&app, &users, 2_000, 42).await;
        let boards = assert_boards_equal_sql(&app, &campaign).await;
        assert!(boards > 100, "compared {boards} boards");

        // The rebuild from SQL gives the very same boards.
        app.state::<Quiz>().scores().rebuild(&campaign.scoring()).await.expect("rebuild");
        assert_boards_equal_sql(&app, &campaign).await;

        // Participation per township adds up to everyone.
        let stats = app
            .state::<Quiz>()
            .scores()
            .region_stats(&campaign.scoring(), pufa::scores::RegionLevel::Township)
            .await
            .expect("stats");
        let participants: u64 = stats.iter().map(|s| s.participants).sum();
        assert_eq!(participants as usize, oracle(&app, &campaign, |_| true).await.len());
    }
}

#[rocket::async_test]
async fn after_redis_loses_everything_a_restarted_pufa_serves_the_same_boards() {
    let Some(redis) = OwnRedis::start() else { return };
    let Some(first) = TestApp::start_with(Sql::Sqlite, Live::Redis, |f| f.merge(("redis_url", redis.url()))).await
    else {
        return;
    };
    let users = seed_users(&first, 300).await;
    let campaign = finish_random_sessions(&first, &users, 600, 9).await;
    let before = board_rows(&first, &campaign, &Board::All).await;
    let before_village = board_rows(&first, &campaign, &Board::Village(users[0].1.clone())).await;
    assert!(!before.is_empty());

    redis::cmd("FLUSHALL")
        .query_async::<()>(
            &mut redis::Client::open(redis.url()).expect("url").get_multiplexed_async_connection().await.expect("conn"),
        )
        .await
        .expect("flushall");
    assert!(board_rows(&first, &campaign, &Board::All).await.is_empty(), "Redis really lost the boards");

    let (database, prefix) = (first.database_url(), first.redis_prefix());
    let second = TestApp::start_with(Sql::Sqlite, Live::Redis, |f| {
        f.merge(("redis_url", redis.url())).merge(("database_url", database)).merge(("redis_prefix", prefix))
    })
    .await
    .expect("restart");
    assert_eq!(board_rows(&second, &campaign, &Board::All).await, before);
    assert_eq!(board_rows(&second, &campaign, &Board::Village(users[0].1.clone())).await, before_village);
    assert_boards_equal_sql(&second, &campaign).await;
}

/// kill -9 between a commit and its board write: Redis keeps its boards (and its built mark), so
/// nothing looks lost; the next pufa to start must put what SQL holds on the boards itself.
#[rocket::async_test]
async fn finishes_a_killed_instance_committed_but_never_posted_reach_the_boards_at_the_next_start() {
    let Some(first) = TestApp::start(Sql::Sqlite, Live::Redis).await else { return };
    let users = seed_users(&first, 200).await;
    let campaign = finish_random_sessions(&first, &users, 300, 11).await;
    store_random_sessions(&first, &users, 100, 12, false).await;
    let served = board_rows(&first, &campaign, &Board::All).await;
    assert_ne!(served, oracle(&first, &campaign, |_| true).await, "the unposted finishes are missing at first");

    let (database, prefix) = (first.database_url(), first.redis_prefix());
    let second = TestApp::start_with(Sql::Sqlite, Live::Redis, |f| {
        f.merge(("database_url", database)).merge(("redis_prefix", prefix))
    })
    .await
    .expect("restart");
    assert_boards_equal_sql(&second, &campaign).await;
}

#[rocket::async_test]
async fn with_redis_stopped_answers_still_succeed_and_boards_catch_up() {
    let Some(mut redis) = OwnRedis::start() else { return };
    let Some(app) = TestApp::start_with(Sql::Sqlite, Live::Redis, |f| f.merge(("redis_url", redis.url()))).await else {
        return;
    };
    let demo = "/api/v1/campaigns/2023-civil-code-month/sessions";
    let mut sessions = Vec::new();
    for i in 0..5 {
        let token = app.register(&format!("1371234{i:04}"), "password-1").await;
        let session = app.post(demo, json!(null), Some(&token)).await;
        assert_eq!(session.status, Status::Created);
        sessions.push((token, session.body));
    }

    redis.stop();
    let mut accepted = 0;
    for (token, session) in &sessions {
        let id = session["id"].as_str().expect("id");
        for q in session["questions"].as_array().expect("qs") {
            let choice = if q["kind"] == "judge" { json!(true) } else { json!("A") };
            // A person reads each question (`plausibility`).
            app.clock.advance(chrono::Duration::seconds(3));
            let reply = app
                .put(
                    &format!("/api/v1/sessions/{id}/answers/{}", q["position"]),
                    json!({"choice": choice}),
                    Some(token),
                )
                .await;
            assert_eq!(reply.status, Status::Ok, "{}", reply.body);
            accepted += 1;
        }
        let finish = app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(token)).await;
        assert_eq!(finish.status, Status::Ok, "{}", finish.body);
        assert!(finish.body["rank"].as_u64().is_some(), "rank falls back to SQL");
    }
    assert_eq!(accepted, 100);
    let down = app.get("/api/v1/campaigns/2023-civil-code-month/leaderboard", None).await;
    assert_eq!((down.status, down.error_code()), (Status::ServiceUnavailable, "unavailable"));

    redis.spawn().expect("Redis comes back (empty)");
    let quiz = app.state::<Quiz>();
    let campaign = quiz.published("2023-civil-code-month").await.expect("demo");
    let expected = oracle(&app, &campaign, |_| true).await;
    assert_eq!(expected.len(), 5);
    // The background upkeep notices within seconds; no test sleeps longer than it must.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Ok(page) = quiz.scores().leaderboard(&campaign.scoring(), &Board::All, 0, 50, None).await {
            let rows: Vec<(String, i64, i64)> =
                page.entries.into_iter().map(|e| (e.display_name, e.score, e.duration_ms)).collect();
            if rows == expected {
                break;
            }
        }
        assert!(std::time::Instant::now() < deadline, "boards did not catch up");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[rocket::async_test]
async fn the_api_shows_boards_regions_and_my_rank_without_phones() {
    the_api_shows_boards_regions_and_my_rank(TestApp::plain().await).await;
}

/// The same story with the live store on a Redis Cluster: register, play, live board, finish,
/// boards, regions, rebuild.
#[rocket::async_test]
async fn on_a_redis_cluster_the_api_shows_boards_regions_and_my_rank() {
    if let Some(app) = TestApp::start(Sql::Sqlite, Live::RedisCluster).await {
        the_api_shows_boards_regions_and_my_rank(app).await;
    }
}

async fn the_api_shows_boards_regions_and_my_rank(app: TestApp) {
    let demo = "2023-civil-code-month";
    let mut tokens = Vec::new();
    for i in 0..3 {
        let token = app.register(&format!("1391111{i:04}"), "password-1").await;
        let session = app.post(&format!("/api/v1/campaigns/{demo}/sessions"), json!(null), Some(&token)).await.body;
        let id = session["id"].as_str().expect("id");
        for q in session["questions"].as_array().expect("qs").iter().take(i * 5 + 1) {
            let choice = if q["kind"] == "judge" { json!(true) } else { json!("A") };
            app.clock.advance(chrono::Duration::seconds(3));
            app.put(
                &format!("/api/v1/sessions/{id}/answers/{}", q["position"]),
                json!({"choice": choice}),
                Some(&token),
            )
            .await;
        }
        // The live board is written just after the answer's reply: it shows within moments.
        let mut live = app.get(&format!("/api/v1/campaigns/{demo}/leaderboard?live=true"), None).await;
        for _ in 0..50 {
            if live.body["total"] == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            live = app.get(&format!("/api/v1/campaigns/{demo}/leaderboard?live=true"), None).await;
        }
        // Earlier players finished (and left the live board); this one is answering now.
        assert_eq!(live.body["total"], 1, "in-progress scores show on the live board");
        assert_eq!(live.body["entries"][0]["display_name"], "牧民");
        app.clock.advance(chrono::Duration::seconds(30));
        app.post(&format!("/api/v1/sessions/{id}/finish"), json!(null), Some(&token)).await;
        tokens.push(token);
    }
    let board = app.get(&format!("/api/v1/campaigns/{demo}/leaderboard?limit=2"), Some(&tokens[0])).await;
    assert_eq!(board.status, Status::Ok, "{}", board.body);
    assert_eq!((board.body["total"].as_u64(), board.body["entries"].as_array().map(Vec::len)), (Some(3), Some(2)));
    assert_eq!(board.body["entries"][0]["rank"], 1);
    assert!(board.body["me"]["rank"].as_u64().is_some());
    assert!(!board.text.contains("1391111"), "no phone on a public board");
    assert_eq!(board.body["entries"][0]["region"]["name"], "巴音敖包嘎查");

    let village = app.get(&format!("/api/v1/campaigns/{demo}/leaderboard?region={}", common::VILLAGE), None).await;
    assert_eq!(village.body["total"], 3);
    let township = app.get(&format!("/api/v1/campaigns/{demo}/leaderboard?region=150824202000"), None).await;
    assert_eq!(township.body["total"], 3);
    let other = app.get(&format!("/api/v1/campaigns/{demo}/leaderboard?region=150824100000"), None).await;
    assert_eq!(other.body["total"], 0);
    let today = app.get(&format!("/api/v1/campaigns/{demo}/leaderboard?day=today"), None).await;
    assert_eq!(today.body["total"], 3);
    let unknown = app.get(&format!("/api/v1/campaigns/{demo}/leaderboard?region=nope"), None).await;
    assert_eq!(unknown.error_code(), "unknown_region");

    let around = app.get(&format!("/api/v1/campaigns/{demo}/leaderboard/around-me?radius=1"), Some(&tokens[1])).await;
    assert!(around.body["entries"].as_array().expect("entries").len() >= 2);

    let regions = app.get(&format!("/api/v1/campaigns/{demo}/regions"), None).await;
    let bayin = regions
        .body
        .as_array()
        .expect("list")
        .iter()
        .find(|r| r["code"] == "150824202000")
        .expect("巴音乌兰苏木")
        .clone();
    assert_eq!(bayin["participants"], 3);
    assert!(bayin["average_score"].is_number());
    let villages = app.get(&format!("/api/v1/campaigns/{demo}/regions?level=village"), None).await;
    assert!(villages.body.as_array().expect("list").len() > 100);

    let admin = app.admin_token().await;
    let rebuilt = app.post(&format!("/api/v1/admin/campaigns/{demo}/scores/rebuild"), json!(null), Some(&admin)).await;
    assert_eq!((rebuilt.status, rebuilt.body["users"].as_u64()), (Status::Ok, Some(3)));
    let after = app.get(&format!("/api/v1/campaigns/{demo}/leaderboard?limit=2"), None).await;
    assert_eq!(after.body["entries"], board.body["entries"]);
}

#[rocket::async_test]
async fn the_live_stream_shows_a_new_top_score_within_a_second() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let dir = tempfile::tempdir().expect("dir");
    let figment = pufa::config::figment()
        .merge(("database_url", format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display())))
        .merge(("live_scores", "memory"))
        .merge(("port", port))
        .merge(("regions_file", concat!(env!("CARGO_MANIFEST_DIR"), "/question-bank/regions.toml")))
        .merge(("question_bank_dir", concat!(env!("CARGO_MANIFEST_DIR"), "/question-bank")))
        .merge(("log_level", "off"));
    let server = tokio::spawn(pufa::rocket(figment).launch());

    async fn http(port: u16, method: &str, path: &str, body: &str, token: &str) -> (u16, serde_json::Value) {
        let mut stream = loop {
            match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                Ok(s) => break s,
                Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
            }
        };
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut raw = String::new();
        stream.read_to_string(&mut raw).await.expect("read");
        let status = raw[9..12].parse().expect("status");
        let body = raw.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        (status, serde_json::from_str(body).unwrap_or(serde_json::Value::Null))
    }

    let (status, registered) = http(port, "POST", "/api/v1/auth/register", &json!({"phone": "13600001111", "password": "password-1", "display_name": "大屏选手", "region_code": common::VILLAGE, "consent": true}).to_string(), "").await;
    assert_eq!(status, 201);
    let token = registered["token"].as_str().expect("token").to_owned();

    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
    stream
        .write_all(b"GET /api/v1/campaigns/2023-civil-code-month/live HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
        .await
        .expect("write");
    let mut lines = BufReader::new(stream).lines();
    let mut next_board = async || -> serde_json::Value {
        loop {
            let line = lines.next_line().await.expect("read").expect("stream open");
            if let Some(data) = line.strip_prefix("data:") {
                return serde_json::from_str(data.trim()).expect("json event");
            }
        }
    };
    let first = next_board().await;
    assert_eq!(first["in_progress"], json!([]));

    let (_, session) = http(port, "POST", "/api/v1/campaigns/2023-civil-code-month/sessions", "", &token).await;
    let id = session["id"].as_str().expect("id");
    let q = &session["questions"][0];
    let choice = if q["kind"] == "judge" { "true" } else { "\"A\"" };
    let (status, _) =
        http(port, "PUT", &format!("/api/v1/sessions/{id}/answers/1"), &format!("{{\"choice\":{choice}}}"), &token)
            .await;
    assert_eq!(status, 200);
    let answered = std::time::Instant::now();
    let event =
        tokio::time::timeout(std::time::Duration::from_secs(1), next_board()).await.expect("an event within 1 s");
    assert_eq!(event["in_progress"][0]["display_name"], "大屏选手");
    eprintln!("FIGURE: live event {:?} after the answer", answered.elapsed());
    server.abort();
}
