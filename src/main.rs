//! The pufa command line: `serve` (default) and operator commands.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pufa::accounts::{DisplayName, Password, Phone};
use pufa::bank::{self, Format};
use pufa::config::{self, Settings};

#[derive(Parser)]
#[command(name = "pufa", version, about = "普法答题: Civil Code quiz campaigns")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API and the phone app (the default).
    Serve,
    /// Question banks: check, import and export question files.
    Bank {
        #[command(subcommand)]
        command: BankCommand,
    },
    /// Leaderboards: rebuild the live boards exactly from SQL.
    Scores {
        #[command(subcommand)]
        command: ScoresCommand,
    },
    /// Prize draws: check a published draw from its public record alone.
    Draw {
        #[command(subcommand)]
        command: DrawCommand,
    },
    /// The audit log of admin writes.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Staff accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum BankCommand {
    /// Check question files (or folders of them); exit 1 with every problem listed.
    Validate {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Import question files into the database (all or nothing). Adds and updates; with
    /// --replace also retires the questions of each bank that its file does not list.
    Import {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long)]
        replace: bool,
    },
    /// Write banks out as files that import back to the same questions.
    Export {
        #[arg(long, value_parser = ["toml", "json", "csv"])]
        format: String,
        /// One bank to stdout; without it, every bank into --out.
        #[arg(long)]
        bank: Option<String>,
        #[arg(long, default_value = "export")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum ScoresCommand {
    /// Rebuild every board of one campaign (by slug), or of all published campaigns.
    Rebuild { campaign: Option<String> },
}

#[derive(Subcommand)]
enum DrawCommand {
    /// Re-run a draw from the JSON of GET /api/v1/campaigns/{slug}/draw (a file, or - for stdin).
    Verify { file: PathBuf },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain; exit 1 naming the first entry that was edited or follows a removed one.
    Verify,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a staff account (or make an existing one staff); the password is read from stdin.
    Create {
        #[arg(long)]
        phone: String,
        #[arg(long)]
        name: String,
    },
}

/// mimalloc instead of glibc malloc: under load glibc's arenas spent a fifth of the server's CPU
/// in malloc/free (perf, bench/rush.sh) and kept Argon2's 19 MiB buffers per thread arena.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PUFA_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let figment = config::figment();
    // Validate before anything starts, so a bad setting is one clear line.
    if let Err(err) = Settings::from_figment(&figment) {
        eprintln!("pufa: {err}");
        return ExitCode::from(2);
    }
    // rocket::execute builds the runtime Rocket's settings ask for (workers, etc.).
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => rocket::execute(serve(figment)),
        Command::Bank { command: BankCommand::Validate { paths } } => validate_banks(&paths),
        Command::Bank { command: BankCommand::Import { paths, replace } } => {
            rocket::execute(import_banks(figment, &paths, replace))
        }
        Command::Bank { command: BankCommand::Export { format, bank, out } } => {
            rocket::execute(export_banks(figment, &format, bank.as_deref(), &out))
        }
        Command::Scores { command: ScoresCommand::Rebuild { campaign } } => {
            rocket::execute(rebuild_scores(figment, campaign.as_deref()))
        }
        Command::Draw { command: DrawCommand::Verify { file } } => verify_draw(&file),
        Command::Audit { command: AuditCommand::Verify } => rocket::execute(verify_audit(figment)),
        Command::Admin { command: AdminCommand::Create { phone, name } } => {
            rocket::execute(create_admin(figment, &phone, &name))
        }
    }
}

async fn serve(figment: rocket::figment::Figment) -> ExitCode {
    match pufa::rocket(figment).launch().await {
        Ok(_) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pufa: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn create_admin(figment: rocket::figment::Figment, phone: &str, name: &str) -> ExitCode {
    let (phone, name) = match (Phone::parse(phone), DisplayName::for_staff(name)) {
        (Ok(phone), Ok(name)) => (phone, name),
        (Err(e), _) => return fail(&format!("--phone: {e}")),
        (_, Err(e)) => return fail(&format!("--name: {e}")),
    };
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        print!("Password for {} (at least 8 characters): ", phone.masked());
        let _ = std::io::stdout().flush();
    }
    let mut line = String::new();
    if stdin.lock().read_line(&mut line).is_err() {
        return fail("cannot read the password from stdin");
    }
    let password = match Password::parse(line.trim_end_matches(['\r', '\n']).to_owned()) {
        Ok(p) => p,
        Err(e) => return fail(&format!("password: {e}")),
    };
    let state = match operator_state(figment).await {
        Ok(state) => state,
        Err(code) => return code,
    };
    match state.admin.create_admin_from_cli(&phone, &name, &password).await {
        Ok(id) => {
            println!("admin account {} ready (user id {id})", phone.masked());
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("pufa: {message}");
    ExitCode::FAILURE
}

fn validate_banks(paths: &[PathBuf]) -> ExitCode {
    match bank::read_paths(paths) {
        Ok(files) => {
            let total: usize = files.iter().map(|f| f.questions.len()).sum();
            for f in &files {
                println!("ok  {:<28} {:>5} questions  {}", f.key, f.questions.len(), f.title.as_deref().unwrap_or(""));
            }
            println!("{} bank(s), {total} questions, no problems", files.len());
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for p in problems.iter() {
                println!("{p}");
            }
            eprintln!("{} problem(s); nothing would be imported", problems.total());
            ExitCode::FAILURE
        }
    }
}

async fn import_banks(figment: rocket::figment::Figment, paths: &[PathBuf], replace: bool) -> ExitCode {
    let files = match bank::read_paths(paths) {
        Ok(files) => files,
        Err(problems) => {
            for p in problems.iter() {
                println!("{p}");
            }
            return fail(&format!("{} problem(s); nothing was imported", problems.total()));
        }
    };
    let state = match operator_state(figment).await {
        Ok(state) => state,
        Err(code) => return code,
    };
    for file in &files {
        let mode = if replace { bank::ImportMode::Replace } else { bank::ImportMode::Merge };
        let options = bank::ImportOptions { mode, source: bank::Source::Upload, visibility: None, dry_run: false };
        match state.banks.import_file(file, options).await {
            Ok(r) => println!(
                "{}: created {}, updated {}, unchanged {}, retired {}",
                r.bank.key, r.created, r.updated, r.unchanged, r.retired
            ),
            Err(e) => return fail(&format!("{}: {e}", file.key)),
        }
    }
    ExitCode::SUCCESS
}

async fn export_banks(figment: rocket::figment::Figment, format: &str, bank: Option<&str>, out: &Path) -> ExitCode {
    let Some(format) = Format::parse(format) else { return fail("--format must be toml, json or csv") };
    let state = match operator_state(figment).await {
        Ok(state) => state,
        Err(code) => return code,
    };
    let keys = match bank {
        Some(key) => vec![key.to_owned()],
        None => match state.banks.list().await {
            Ok(list) => list.into_iter().map(|b| b.key).collect(),
            Err(e) => return fail(&e.to_string()),
        },
    };
    if bank.is_none() && std::fs::create_dir_all(out).is_err() {
        return fail(&format!("cannot create {}", out.display()));
    }
    for key in keys {
        let bytes = match state.banks.export(&key, format).await {
            Ok(bytes) => bytes,
            Err(e) => return fail(&format!("{key}: {e}")),
        };
        if bank.is_some() {
            let _ = std::io::stdout().write_all(&bytes);
        } else {
            let ext = format!("{format:?}").to_lowercase();
            let path = out.join(format!("{key}.{ext}"));
            if let Err(e) = std::fs::write(&path, bytes) {
                return fail(&format!("{}: {e}", path.display()));
            }
            println!("wrote {}", path.display());
        }
    }
    ExitCode::SUCCESS
}

async fn rebuild_scores(figment: rocket::figment::Figment, slug: Option<&str>) -> ExitCode {
    let state = match operator_state(figment).await {
        Ok(state) => state,
        Err(code) => return code,
    };
    let campaigns = match slug {
        Some(slug) => match state.quiz.published(slug).await {
            Ok(c) => vec![c.scoring()],
            Err(e) => return fail(&format!("{slug}: {e}")),
        },
        None => match state.quiz.published_scorings().await {
            Ok(list) => list,
            Err(e) => return fail(&e.to_string()),
        },
    };
    for campaign in &campaigns {
        match state.quiz.scores().rebuild(campaign).await {
            Ok(r) => println!(
                "{}: {} users, {} finished sessions, {} in progress",
                r.campaign, r.users, r.finished_sessions, r.sessions_in_progress
            ),
            Err(e) => return fail(&format!("{}: {e}", campaign.slug)),
        }
    }
    ExitCode::SUCCESS
}

/// The application state for an operator command: no import of question-bank/ on the side.
async fn operator_state(figment: rocket::figment::Figment) -> Result<pufa::State, ExitCode> {
    let clock = std::sync::Arc::new(pufa::clock::SystemClock);
    pufa::State::build(&figment.merge(("import_on_start", false)), clock, Default::default())
        .await
        .map_err(|e| fail(&e.to_string()))
}

fn verify_draw(file: &Path) -> ExitCode {
    let text = if file == Path::new("-") {
        let mut text = String::new();
        match std::io::Read::read_to_string(&mut std::io::stdin(), &mut text) {
            Ok(_) => text,
            Err(e) => return fail(&format!("stdin: {e}")),
        }
    } else {
        match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) => return fail(&format!("{}: {e}", file.display())),
        }
    };
    let record: pufa::prize::draw::PublicDraw = match serde_json::from_str(&text) {
        Ok(r) => r,
        Err(e) => {
            return fail(&format!("not a public draw record (save GET /api/v1/campaigns/<slug>/draw as it is): {e}"));
        }
    };
    match pufa::prize::draw::verify(&record) {
        Ok(_) => {
            println!(
                "campaign {}: the seed matches the commitment {}",
                record.campaign,
                record.commitment.unwrap_or_default()
            );
            println!(
                "the eligible list ({} entries) matches its published SHA-256 {} and every entry meets the rule",
                record.eligible_count.unwrap_or_default(),
                record.eligible_sha256.unwrap_or_default()
            );
            println!("beacon: {}", record.beacon.unwrap_or_default());
            for w in &record.winners {
                let day = w.day.as_deref().map(|d| format!(" {d}")).unwrap_or_default();
                println!("  {}{day} {} ({}) {} points", w.entrant, w.display_name, w.phone_masked, w.score);
            }
            println!("OK: the published winners are exactly what the seed, the beacon and the list give");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("MISMATCH: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn verify_audit(figment: rocket::figment::Figment) -> ExitCode {
    let state = match operator_state(figment).await {
        Ok(state) => state,
        Err(code) => return code,
    };
    match state.admin.audit().verify().await {
        Ok(Ok(n)) => {
            println!("OK: {n} audit entries, chain intact");
            ExitCode::SUCCESS
        }
        Ok(Err(broken)) => {
            println!("BROKEN: {broken}");
            ExitCode::FAILURE
        }
        Err(e) => fail(&e.to_string()),
    }
}
