//! Board read latency at 10k and 1M entries, for the Redis and in-process stores.
//!
//!     cargo run --release --example board_bench [redis://127.0.0.1:6379]
//!     cargo run --release --example board_bench redis://127.0.0.1:7000,redis://127.0.0.1:7001   # a cluster
//!
//! Fills one campaign board per size (Redis: pipelined writes in the same key layout that
//! `LiveScores::put` keeps, boards registered in the campaign's `keys` set; in-process: `put`),
//! then times 1,000 rank look-ups of random users and 1,000 reads of the top-50 page through the
//! `LiveScores` interface. Cleans up its keys (`LiveScores::clear`).

use std::time::{Duration, Instant};

use pufa::store::{Board, BoardUpdate, Entry, LiveScores, LiveStore, MemoryStore, RedisConnection, RedisStore};
use rand::RngExt;

fn entry(i: i64) -> Entry {
    Entry { points: (i * 7919) % 101, duration_ms: (i * 104_729) % 600_000, at_ms: 1_700_000_000_000 + i }
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort_unstable();
    samples[((samples.len() as f64 - 1.0) * p) as usize]
}

async fn measure(store: &LiveStore, campaign: i64, size: i64) -> (Duration, Duration, Duration) {
    let mut rng = rand::rng();
    let mut ranks = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let user = rng.random_range(1..=size);
        let started = Instant::now();
        let row = store.rank(campaign, &Board::All, user).await.expect("rank").expect("ranked");
        ranks.push(started.elapsed());
        assert!(row.rank >= 1);
    }
    let mut pages = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let started = Instant::now();
        store.page(campaign, &Board::All, 0, 50).await.expect("page");
        pages.push(started.elapsed());
    }
    (percentile(&mut ranks, 0.5), percentile(&mut ranks, 0.99), percentile(&mut pages, 0.5))
}

async fn fill_redis(url: &str, prefix: &str, campaign: i64, size: i64) {
    // Every key below is in the campaign's slot, so each pipeline also suits a cluster.
    let mut conn = RedisConnection::connect(url).await.expect("redis");
    let z = format!("{prefix}:{{c{campaign}}}:z:all");
    let w = format!("{prefix}:{{c{campaign}}}:w:all");
    let cards = format!("{prefix}:{{c{campaign}}}:cards");
    let registry = format!("{prefix}:{{c{campaign}}}:keys");
    redis::cmd("SADD").arg(&registry).arg(&z).arg(&w).query_async::<()>(&mut conn).await.expect("register");
    for chunk in (1..=size).collect::<Vec<_>>().chunks(10_000) {
        let mut pipe = redis::pipe();
        for user in chunk {
            let e = entry(*user);
            pipe.cmd("ZADD").arg(&z).arg(-e.points).arg(e.member(*user)).ignore();
            pipe.cmd("HSET").arg(&w).arg(user).arg(e.member(*user)).ignore();
            pipe.cmd("HSET").arg(&cards).arg(user).arg(format!("居民{user}\u{1f}150824202201")).ignore();
        }
        pipe.query_async::<()>(&mut conn).await.expect("fill");
    }
}

#[tokio::main]
async fn main() {
    let url = std::env::args().nth(1).unwrap_or_else(|| "redis://127.0.0.1:6379".into());
    let prefix = format!("pufa_bench:{}", std::process::id());
    println!("| store | entries | rank p50 | rank p99 | top-50 page p50 |");
    println!("|---|---|---|---|---|");
    match RedisStore::connect(&url, &prefix).await {
        Ok(store) => {
            let store = LiveStore::Redis(store);
            for (campaign, size) in [(1, 10_000), (2, 1_000_000)] {
                fill_redis(&url, &prefix, campaign, size).await;
                let (p50, p99, page) = measure(&store, campaign, size).await;
                println!("| redis | {size} | {p50:?} | {p99:?} | {page:?} |");
                store.clear(campaign).await.expect("clean up");
            }
        }
        Err(e) => eprintln!("Redis at {url} does not answer ({e}); in-process store only"),
    }
    let store = LiveStore::Memory(MemoryStore::default());
    for (campaign, size) in [(1, 10_000), (2, 1_000_000)] {
        for user in 1..=size {
            let update = [BoardUpdate { board: Board::All, entry: Some(entry(user)) }];
            store.put(campaign, user, "居民\u{1f}150824202201", &update).await.expect("put");
        }
        let (p50, p99, page) = measure(&store, campaign, size).await;
        println!("| in-process | {size} | {p50:?} | {p99:?} | {page:?} |");
        store.clear(campaign).await.expect("clean up");
    }
}
