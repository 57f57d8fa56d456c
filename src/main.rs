//! The pufa command line: `serve` (default) and operator commands.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pufa::accounts::{DisplayName, Password, Phone};
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
    /// Staff accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
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
    let (phone, name) = match (Phone::parse(phone), DisplayName::parse(name)) {
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
    let state = match pufa::State::build(&figment).await {
        Ok(state) => state,
        Err(e) => return fail(&e.to_string()),
    };
    match state.accounts.create_admin(&phone, &name, &password).await {
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
