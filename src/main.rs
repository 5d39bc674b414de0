use std::io::Read;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use mediadesk::Config;
use mediadesk::auth::{AccountService, Role};

/// Mediadesk: a self-hosted admin for images and audio.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web admin (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account.
    Add(AddUser),
    /// Set a new password (ends the account's sessions).
    Passwd {
        name: String,
        /// Read the password from standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Disable an account (ends its sessions).
    Disable { name: String },
    /// Enable a disabled account.
    Enable { name: String },
}

#[derive(Args)]
struct AddUser {
    name: String,
    #[arg(long, default_value = "user")]
    role: String,
    /// Read the password from standard input (one line).
    #[arg(long)]
    password_stdin: bool,
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    anyhow::ensure!(from_stdin, "pass the password on standard input with --password-stdin");
    let mut buf = String::new();
    std::io::stdin().read_to_string(&mut buf)?;
    let password = buf.lines().next().unwrap_or("").to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(password)
}

async fn accounts(config: &Config) -> anyhow::Result<AccountService> {
    tokio::fs::create_dir_all(&config.data_dir).await?;
    let db = mediadesk::db::Db::connect(&config.database_url, 2).await?;
    Ok(AccountService::new(db))
}

async fn user_command(config: &Config, cmd: UserCommand) -> anyhow::Result<()> {
    let accounts = accounts(config).await?;
    match cmd {
        UserCommand::Add(add) => {
            let role: Role = add.role.parse().map_err(anyhow::Error::msg)?;
            let password = read_password(add.password_stdin)?;
            let account = accounts.create(&add.name, &password, role).await?;
            println!("created {} ({})", account.username, account.role);
        }
        UserCommand::Passwd { name, password_stdin } => {
            let account = accounts.by_username(&name).await?;
            accounts.reset_password(None, account.id, &read_password(password_stdin)?).await?;
            println!("password of {} changed", account.username);
        }
        UserCommand::List => {
            for a in accounts.list().await? {
                let status = if a.disabled { "disabled" } else { "active" };
                println!("{}\t{}\t{}", a.username, a.role, status);
            }
        }
        UserCommand::Disable { name } => {
            let account = accounts.by_username(&name).await?;
            accounts.set_disabled(None, account.id, true).await?;
            println!("{} disabled", account.username);
        }
        UserCommand::Enable { name } => {
            let account = accounts.by_username(&name).await?;
            accounts.set_disabled(None, account.id, false).await?;
            println!("{} enabled", account.username);
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MEDIADESK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = async {
        let config = Config::from_env()?;
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => mediadesk::serve(config).await,
            Command::Migrate => {
                mediadesk::db::Db::connect(&config.database_url, 1).await?;
                println!("migrations applied to {}", config.database_display());
                Ok(())
            }
            Command::User(cmd) => user_command(&config, cmd).await,
        }
    }
    .await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the outermost context and its causes.
            eprintln!("mediadesk: {e:#}");
            ExitCode::FAILURE
        }
    }
}
