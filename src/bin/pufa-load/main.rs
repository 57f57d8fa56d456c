//! pufa-load: seeds residents, creates a benchmark campaign, and drives the resident story
//! (start, 20 answers, finish, board) against a running pufa, closed or open loop.
//!
//! It is built from the crates pufa already depends on and nothing else: tokio for the
//! runtime and sockets, a hand-written HTTP/1.1 keep-alive client (see `http`), serde_json,
//! clap, rand, chrono, and the `pufa` library itself for seeding through SeaORM. Fewest crates,
//! and a client that costs little CPU, because it shares the machine's two cores with the
//! server it measures: by default it runs on one tokio worker thread (`--threads`).
//!
//! ```sh
//! pufa-load seed --database-url 'sqlite://pufa.db?mode=rwc' --users 2000 --tokens-out tokens.tsv
//! pufa-load campaign --url http://127.0.0.1:8000 --admin-token-file tokens.tsv.admin --slug bench
//! pufa-load run --url http://127.0.0.1:8000 --tokens tokens.tsv --campaign bench --concurrency 64 --duration 20
//! pufa-load run --url http://127.0.0.1:8000 --tokens tokens.tsv --campaign bench --rate 20 --duration 20
//! pufa-load verify --database-url 'sqlite://pufa.db?mode=rwc' --campaign bench --from-json run.json
//! ```
//!
//! Fault tests (tests/faults/) run with `--ack-log acks.tsv` and check it with
//! `verify --ack-log acks.tsv`: every answer the server acknowledged must be in SQL.

mod campaign;
mod http;
mod reads;
mod run;
mod seed;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Parser, Subcommand};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Parser)]
#[command(name = "pufa-load", version, about = "Load generator for pufa: seed, campaign, run, reads, starts, verify")]
struct Cli {
    /// tokio worker threads (the server needs the other core).
    #[arg(long, global = true, default_value_t = 1)]
    threads: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write N residents (one shared Argon2id hash) and one token each straight into SQL.
    Seed {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        users: u64,
        /// Lines `user_id<TAB>phone<TAB>token`; the admin's line goes to FILE.admin.
        #[arg(long)]
        tokens_out: PathBuf,
        #[arg(long, default_value = "bench-pass-2026")]
        password: String,
        /// Phones are PHONE_BASE, PHONE_BASE+1, …; existing ones are reused (new tokens only).
        #[arg(long, default_value_t = 17_000_000_000)]
        phone_base: u64,
        #[arg(long, default_value = "16900000000")]
        admin_phone: String,
        /// Loaded only when the database has no regions yet (the server was never started on it).
        #[arg(long, default_value = "question-bank/regions.toml")]
        regions_file: PathBuf,
        #[arg(long, default_value_t = 30)]
        token_days: i64,
    },
    /// Create (or replace) an open, published campaign drawing from every active bank.
    Campaign {
        #[arg(long)]
        url: String,
        #[arg(long)]
        admin_token_file: PathBuf,
        #[arg(long)]
        slug: String,
        #[arg(long, default_value_t = 20)]
        questions: u32,
    },
    /// The resident story under load, then the /healthz ceiling; a table and a JSON report.
    #[command(group(ArgGroup::new("load").required(true).args(["concurrency", "rate"])))]
    Run {
        #[arg(long, default_value = "http://127.0.0.1:8000")]
        url: String,
        #[arg(long)]
        tokens: PathBuf,
        #[arg(long)]
        campaign: String,
        /// Closed loop: this many virtual users repeat the story back to back.
        #[arg(long)]
        concurrency: Option<usize>,
        /// Open loop: start this many stories per second at fixed times.
        #[arg(long)]
        rate: Option<f64>,
        /// Measured seconds.
        #[arg(long)]
        duration: f64,
        /// Seconds run first and not counted.
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
        /// Seconds of closed-loop GET /healthz afterwards (0: none).
        #[arg(long, default_value_t = 10.0)]
        ceiling_secs: f64,
        /// Sample this process's RSS every 500 ms.
        #[arg(long)]
        server_pid: Option<u32>,
        #[arg(long)]
        json: Option<PathBuf>,
        #[arg(long)]
        label: Option<String>,
        /// Also an open-loop flood of this many sign-ins per second (phones from --tokens).
        #[arg(long)]
        login_rate: Option<f64>,
        #[arg(long)]
        login_password: Option<String>,
        /// Write one line per answer that got 200 (`session_id<TAB>position<TAB>choice`), for
        /// `verify --ack-log`. Errors never stop a run: it keeps going through a server outage.
        #[arg(long)]
        ack_log: Option<PathBuf>,
    },
    /// Closed-loop board reads: GET leaderboard?limit=50 and leaderboard/around-me.
    Reads {
        #[arg(long, default_value = "http://127.0.0.1:8000")]
        url: String,
        #[arg(long)]
        tokens: PathBuf,
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        concurrency: usize,
        #[arg(long)]
        duration: f64,
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
        #[arg(long)]
        json: Option<PathBuf>,
        #[arg(long)]
        label: Option<String>,
    },
    /// Session starts only: each virtual user starts and at once finishes, COUNT in all.
    Starts {
        #[arg(long, default_value = "http://127.0.0.1:8000")]
        url: String,
        #[arg(long)]
        tokens: PathBuf,
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        concurrency: usize,
        #[arg(long)]
        count: u64,
        #[arg(long)]
        json: Option<PathBuf>,
        #[arg(long)]
        label: Option<String>,
    },
    /// Check the campaign's answers in SQL: at least as many as expected, every acknowledged one
    /// stored with its choice (`--ack-log`), and every session's score equal to its answers.
    /// Exit 1 on any violation.
    #[command(group(ArgGroup::new("expected").required(true).multiple(true).args(["expect", "from_json", "ack_log"])))]
    Verify {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        expect: Option<u64>,
        /// A `run` report: its `answers_ok` (and the answers stored during its time span).
        #[arg(long)]
        from_json: Option<PathBuf>,
        /// The `--ack-log` of one or more runs: each (session, position, choice) must be in SQL.
        #[arg(long)]
        ack_log: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(cli.threads.max(1)).enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => {
                eprintln!("pufa-load: cannot start the runtime: {e}");
                return ExitCode::FAILURE;
            }
        };
    match runtime.block_on(dispatch(cli.command, cli.threads.max(1))) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("pufa-load: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `Ok(false)`: ran, but the check failed (verify).
async fn dispatch(command: Command, threads: usize) -> Result<bool, Error> {
    match command {
        Command::Seed {
            database_url,
            users,
            tokens_out,
            password,
            phone_base,
            admin_phone,
            regions_file,
            token_days,
        } => {
            let args = seed::SeedArgs {
                database_url,
                users,
                tokens_out,
                password,
                phone_base,
                admin_phone,
                regions_file,
                token_days,
            };
            seed::seed(args).await?;
        }
        Command::Campaign { url, admin_token_file, slug, questions } => {
            campaign::campaign(campaign::CampaignArgs { url, admin_token_file, slug, questions }).await?;
        }
        Command::Run {
            url,
            tokens,
            campaign,
            concurrency,
            rate,
            duration,
            warmup,
            ceiling_secs,
            server_pid,
            json,
            label,
            login_rate,
            login_password,
            ack_log,
        } => {
            let args = run::RunArgs {
                url,
                tokens,
                campaign,
                concurrency,
                rate,
                duration,
                warmup,
                ceiling_secs,
                server_pid,
                json,
                label,
                login_rate,
                login_password,
                threads,
                ack_log,
            };
            run::run(args).await?;
        }
        Command::Reads { url, tokens, campaign, concurrency, duration, warmup, json, label } => {
            let args = reads::ReadsArgs { url, tokens, campaign, concurrency, duration, warmup, json, label };
            reads::reads(args).await?;
        }
        Command::Starts { url, tokens, campaign, concurrency, count, json, label } => {
            reads::starts(reads::StartsArgs { url, tokens, campaign, concurrency, count, json, label }).await?;
        }
        Command::Verify { database_url, campaign, expect, from_json, ack_log } => {
            return seed::verify(seed::VerifyArgs { database_url, campaign, expect, from_json, ack_log }).await;
        }
    }
    Ok(true)
}
