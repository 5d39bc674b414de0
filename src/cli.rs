//! The command line: `serve` (the default) and the operator's tools. Every command ends with a
//! non-zero exit and one clear line when it fails.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::auth::Role;
use crate::domain::{AuditFilter, Owner, OwnerFilter, Quota};
use crate::{App, Config};

/// Mediadesk: a self-hosted admin for images and audio.
#[derive(Parser)]
#[command(version, about)]
pub struct Cli {
    /// Log as JSON lines instead of human-readable text.
    #[arg(long, global = true, env = "MEDIADESK_LOG_JSON")]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the web admin (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage an account's access tokens (for provisioning scripts without a browser).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Upload every file of a folder (recursively) through the same checks as the web.
    Import {
        /// The folder whose files to upload (every file under it).
        #[arg(required_unless_present = "links", conflicts_with = "links")]
        dir: Option<PathBuf>,
        /// Instead of a folder: a file listing links, one a line (`-`: standard input), whose
        /// files are fetched as the upload page's "Add from links" fetches them.
        #[arg(long, value_name = "FILE")]
        links: Option<PathBuf>,
        /// An account name, or `system`.
        #[arg(long)]
        owner: String,
    },
    /// Add generated demo images and audio as system media (--demo), or a large set for load
    /// tests (--load N: one real file in a hundred, the rest synthetic rows that
    /// `reconcile --fix` removes again).
    Seed {
        #[arg(long, conflicts_with = "load")]
        demo: bool,
        #[arg(long, value_name = "N")]
        load: Option<usize>,
        /// With --load: also 5 000 collections and about 20 000 tags on the items.
        #[arg(long, requires = "load")]
        organize: bool,
    },
    /// Compare database and object store; report (and with --fix repair) what disagrees.
    Reconcile {
        #[arg(long)]
        fix: bool,
        /// Objects younger than this may belong to an upload in progress and are left alone.
        #[arg(long, default_value_t = 15)]
        grace_minutes: u64,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Finish media stored by an older Mediadesk: measure audio's loudness and health, give ALAC
    /// its playable FLAC copy, images their placeholder and look and pictures in S3 their
    /// caching advice (run once after upgrading; running it again finds nothing to do). Exits
    /// with 1 if an item could not be read.
    Backfill {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the audit log, newest first: who did what, to what, when, from where.
    Audit {
        /// From when: a date (2026-12-01), a date and time (2026-12-01T09:30, in --offset's
        /// time), or a span back from now (30m, 24h, 7d).
        #[arg(long)]
        since: Option<String>,
        /// Until when (same forms).
        #[arg(long)]
        until: Option<String>,
        /// Only this action (sign_in, upload, trash, restore, purge, replace, role, quota, …).
        #[arg(long)]
        action: Option<String>,
        /// Only what this account did.
        #[arg(long)]
        actor: Option<String>,
        /// Only what concerns this item, as kind:id (image:12).
        #[arg(long)]
        item: Option<String>,
        /// At most this many rows.
        #[arg(long, default_value_t = 1000)]
        limit: i64,
        /// The time the moments are shown and dates read in: an offset from UTC (+05:30,
        /// -08:00), UTC (the default), or `local` (this machine's). JSON stays UTC.
        #[arg(long, default_value = "UTC")]
        offset: String,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Print how the database runs the gallery's queries (each should walk an index).
    Explain {
        /// An account name, or `system`; everything (the staff view) by default.
        #[arg(long)]
        owner: Option<String>,
        /// Only the items of this collection (its id, as in `/collections/{id}`).
        #[arg(long)]
        collection: Option<i64>,
        /// Plans for this search (then also ranked by relevance).
        #[arg(long)]
        search: Option<String>,
        /// With a Show filter: missing-alt, missing-transcript, animated, location, quiet,
        /// clipped, mostly-silent.
        #[arg(long)]
        only: Option<String>,
        /// Instead: the trash, version and duplicate queries (as --owner, a user, and as staff).
        #[arg(long)]
        lifecycle: bool,
    },
    /// Print where webhook delivery stands; with --from, send the events from that audit row
    /// on again (a running server picks it up within seconds).
    Webhooks {
        /// The first audit row (event `evt_ID`) to send again.
        #[arg(long)]
        from: Option<i64>,
    },
    /// Exit 0 when the local server answers /healthz (for container health checks).
    Healthcheck,
    /// Print what an upload would record about a file, from its headers, as JSON.
    Probe { file: PathBuf },
    /// Make an image's thumbnail as an upload does (fit SIZE×SIZE, JPEG); with --display, its
    /// display rendition too, exactly as an upload makes both from one decode.
    Thumbnail {
        input: PathBuf,
        output: PathBuf,
        #[arg(long, default_value_t = crate::media::file::thumbnail::THUMB_MAX)]
        size: u32,
        /// Also write the display rendition (images over 2048 px, GIFs aside) to this file.
        #[arg(long)]
        display: Option<PathBuf>,
    },
    /// Decode an audio file exactly as an upload does; print its metadata, waveform, loudness
    /// and sound print as JSON.
    Waveform {
        file: PathBuf,
        /// Write the FLAC rendition an upload would store (only for a codec not every browser
        /// plays: ALAC) to this file.
        #[arg(long)]
        rendition: Option<PathBuf>,
        /// Skip the loudness measurement (to time what it adds).
        #[arg(long)]
        without_loudness: bool,
        /// Skip the sound print (to time what it adds).
        #[arg(long)]
        without_print: bool,
    },
}

impl Cli {
    /// `probe`, `thumbnail`, `waveform`: one file, no configuration, no logging.
    pub fn is_one_file_command(&self) -> bool {
        matches!(
            self.command,
            Some(Command::Probe { .. } | Command::Thumbnail { .. } | Command::Waveform { .. })
        )
    }
}

/// `probe`: the upload's header checks on one file, as JSON.
fn probe(file: &std::path::Path) -> anyhow::Result<()> {
    let probe = crate::media::file::inspect::probe_file(file).with_context(|| file.display().to_string())?;
    println!("{}", serde_json::to_string(&probe)?);
    Ok(())
}

/// `thumbnail`: the upload's decode and thumbnail of one image (and its display rendition).
fn thumbnail(
    input: &std::path::Path,
    output: &std::path::Path,
    size: u32,
    display: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let (info, made) = crate::media::file::inspect::thumbnail_file(input, size, display.is_some())
        .with_context(|| input.display().to_string())?;
    let thumb = &made.thumbnail;
    std::fs::write(output, &thumb.jpeg).with_context(|| format!("cannot write {}", output.display()))?;
    println!("{}x{} -> {}x{}", info.width, info.height, thumb.width, thumb.height);
    if let (Some(path), Some(source)) = (display, made.display) {
        let d = source.render().with_context(|| input.display().to_string())?;
        std::fs::write(path, &d.bytes).with_context(|| format!("cannot write {}", path.display()))?;
        println!("display {}x{} {}", d.width, d.height, d.format.mime());
    }
    Ok(())
}

/// `waveform`: the upload's full decode of one audio file, with its peaks, as JSON.
fn waveform(
    file: &std::path::Path,
    rendition: Option<&std::path::Path>,
    loudness: bool,
    print: bool,
) -> anyhow::Result<()> {
    use crate::media::file::probe_audio::Wanted;
    let analysis = crate::media::file::inspect::waveform_file(file, Wanted { loudness, print, rendition })
        .with_context(|| file.display().to_string())?;
    let info = &analysis.info;
    let pairs: Vec<[i8; 2]> = analysis.peaks.chunks_exact(2).map(|p| [p[0] as i8, p[1] as i8]).collect();
    let json = serde_json::json!({
        "codec": info.codec, "duration_ms": info.duration_ms, "bitrate": info.bitrate,
        "sample_rate": info.sample_rate, "channels": info.channels, "peaks": pairs,
        "loudness": analysis.loudness, "rendition_bytes": analysis.rendition,
        "print": analysis.print,
    });
    println!("{json}");
    Ok(())
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an account.
    Add(AddUser),
    /// Set a new password (ends the account's sessions).
    Passwd {
        name: String,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts: name, role, state, quota and last sign-in, a line each (tab-separated),
    /// or as JSON.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Disable an account (ends its sessions).
    Disable { name: String },
    /// Enable a disabled account.
    Enable { name: String },
    /// Give an account a role: admin, staff or user (never leaving no active admin).
    Role { name: String, role: String },
    /// Set how much an account may store: a size such as `5 GiB` or `500 MB`, `unlimited`, or
    /// `default` (`MEDIADESK_DEFAULT_QUOTA`).
    Quota { name: String, quota: String },
    /// List who an account signs on as at the single sign-on provider.
    SignOns { name: String },
    /// Unlink every single sign-on of an account (it keeps its password and sessions).
    UnlinkSignOns { name: String },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make a token for an account; prints only the token, once (to capture it:
    /// `TOKEN=$(mediadesk token add nightly --user amy)`).
    Add {
        /// What will use it.
        name: String,
        #[arg(long)]
        user: String,
        /// Days it works (until revoked without it).
        #[arg(long)]
        days: Option<u32>,
        /// What it may do, comma-separated: `upload` (files, by form post or tus), `read` (the
        /// JSON API), `edit` (describe, tag, turn, crop and keep collections through it; with
        /// `upload`, replace files), `delete` (delete through it), `share` (make, list and
        /// revoke share links through it).
        #[arg(long, default_value = "upload")]
        scope: String,
    },
    /// List an account's tokens, newest first: id, state, name, made, last used.
    List {
        #[arg(long)]
        user: String,
    },
    /// Revoke one of an account's tokens by its id.
    Revoke {
        id: i64,
        #[arg(long)]
        user: String,
    },
}

#[derive(Args)]
pub struct AddUser {
    pub name: String,
    #[arg(long, default_value = "user")]
    pub role: String,
    /// Read the password from standard input (one line).
    #[arg(long)]
    pub password_stdin: bool,
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    anyhow::ensure!(from_stdin, "pass the password on standard input with --password-stdin");
    let mut buf = String::new();
    std::io::stdin().read_to_string(&mut buf)?;
    let password = buf.lines().next().unwrap_or("").to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(password)
}

/// `system`, or the account of that name.
async fn owner_named(app: &App, name: &str) -> anyhow::Result<Owner> {
    if name == "system" {
        return Ok(Owner::System);
    }
    let account =
        app.accounts.by_username(name).await.with_context(|| format!("--owner: no account {name:?}"))?;
    Ok(Owner::User(account.id))
}

/// Runs a command. Those that look at one file, as an upload would, need neither configuration
/// nor an async runtime, so they start as fast and as small as the tools they are timed against.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    // Everything this process creates — the database and its journal, objects, spool files,
    // keys — is for its own user alone: folders 0700, files 0600.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    match cli.command.unwrap_or(Command::Serve) {
        Command::Probe { file } => probe(&file),
        Command::Thumbnail { input, output, size, display } => {
            thumbnail(&input, &output, size, display.as_deref())
        }
        Command::Waveform { file, rendition, without_loudness, without_print } => {
            waveform(&file, rendition.as_deref(), !without_loudness, !without_print)
        }
        other => {
            let config = Config::from_env()?;
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            runtime.block_on(run_configured(other, config))
        }
    }
}

async fn run_configured(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => crate::serve(config).await,
        Command::Migrate => {
            App::migrate(&config).await?;
            println!("migrations applied to {}", config.database_display());
            Ok(())
        }
        Command::User(cmd) => user(&config, cmd).await,
        Command::Token(cmd) => token(&config, cmd).await,
        Command::Import { dir: Some(dir), owner, .. } => import(&config, &dir, &owner).await,
        Command::Import { links: Some(list), owner, .. } => import_links(&config, &list, &owner).await,
        Command::Import { .. } => anyhow::bail!("import: name a folder or --links FILE"),
        Command::Seed { demo: true, .. } => {
            let app = App::build(&config).await?;
            let n = crate::ops::seed::seed_demo(&app.media).await?;
            println!("added {n} demo items as system media");
            Ok(())
        }
        Command::Seed { load: Some(count), organize, .. } => {
            let app = App::build(&config).await?;
            let bar = indicatif::ProgressBar::new(count as u64);
            let n =
                crate::ops::seed::seed_load(&app.media, &app.db, count, |done| bar.set_position(done as u64))
                    .await?;
            bar.finish_and_clear();
            println!("added {n} load-test items as system media");
            if organize {
                crate::db::repo::LoadRepo::organize(&app.db).await?;
                println!(
                    "added {} collections and their items, and tags",
                    crate::db::repo::LOAD_COLLECTIONS + 1
                );
            }
            Ok(())
        }
        Command::Seed { .. } => anyhow::bail!("say what to seed: --demo, or --load N"),
        Command::Reconcile { fix, grace_minutes, json } => {
            let app = App::build(&config).await?;
            let report = app.media.reconcile(fix, Duration::from_secs(grace_minutes * 60)).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                let verb = if fix { "fixed" } else { "found" };
                println!("objects without a row ({verb}): {}", report.orphan_objects.len());
                for k in &report.orphan_objects {
                    println!("  {k}");
                }
                println!("rows without their object ({verb}): {}", report.rows_without_object.len());
                for r in &report.rows_without_object {
                    println!("  {r}");
                }
                println!("missing thumbnails/waveforms ({verb}): {}", report.missing_derivatives.len());
                println!(
                    "pending deletions ({}): {}",
                    if fix { "retried" } else { "waiting" },
                    report.pending_deletions.len()
                );
                println!("items in the trash: {}", report.trashed);
                println!(
                    "derived sizes that differ from the store ({}): {}",
                    if fix { "recorded" } else { "found" },
                    report.sizes_corrected.len()
                );
                let lost = &report.trash_without_object;
                println!(
                    "trashed items whose file is gone ({}): {}",
                    if fix { "purged" } else { "found" },
                    lost.len()
                );
                for r in lost {
                    println!("  {r}");
                }
                if !fix && !report.is_clean() {
                    println!("run `mediadesk reconcile --fix` to repair");
                }
            }
            Ok(())
        }
        Command::Backfill { json } => {
            let app = App::build(&config).await?;
            let done = app.media.backfill().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&done)?);
            } else {
                println!("audio measured: {}", done.measured);
                println!("playable copies made: {}", done.copies);
                println!("sounds given their print: {}", done.printed);
                println!("images given their placeholder and look: {}", done.placeholders);
                println!("photos read for how they were taken: {}", done.shots);
                println!("stored pictures given caching advice: {}", done.advised);
                println!("could not be read: {}", done.failed.len());
                for f in &done.failed {
                    println!("  {}:{}: {}", f.kind, f.id, f.error);
                }
            }
            let n = done.failed.len();
            if n > 0 {
                anyhow::bail!("could not read {n} item{}; left as they were", if n == 1 { "" } else { "s" });
            }
            Ok(())
        }
        Command::Healthcheck => healthcheck(&config),
        Command::Webhooks { from } => {
            let app = App::build(&config).await?;
            if config.webhook.is_none() {
                println!("webhooks are off (MEDIADESK_WEBHOOK_URL is not set)");
            }
            if let Some(from) = from {
                anyhow::ensure!(from >= 1, "--from: an audit row's id, 1 or more");
                crate::webhooks::send_again_from(&app.db, from).await?;
                println!("events from evt_{from} on will be sent again");
            }
            match crate::webhooks::status(&app.db).await? {
                None => println!("nothing sent yet"),
                Some(s) => {
                    let last = s.last_sent_at.map_or(String::new(), |t| format!(" (last sent {t} UTC)"));
                    println!("delivered through evt_{}{last}", s.through);
                    if let Some((n, why, at)) = s.failing {
                        println!("the next event was refused {n} times, last: {why}; next try {at} UTC");
                    }
                }
            }
            Ok(())
        }
        Command::Audit { since, until, action, actor, item, limit, offset, json } => {
            let zone = fixed_offset(&offset)?;
            let app = App::build(&config).await?;
            let mut filter = AuditFilter {
                since: since.as_deref().map(|t| when_in(t, zone)).transpose()?,
                until: until.as_deref().map(|t| when_in(t, zone)).transpose()?,
                action: action.as_deref().map(str::parse).transpose().map_err(anyhow::Error::msg)?,
                ..AuditFilter::default()
            };
            if let Some(name) = actor {
                filter.actor = Some(app.accounts.by_username(&name).await?.id);
            }
            if let Some(item) = item {
                let (kind, id) = item.split_once(':').ok_or_else(|| anyhow::anyhow!("--item is kind:id"))?;
                let kind = kind.parse().map_err(|_| anyhow::anyhow!("--item: image or audio"))?;
                filter.item = Some((kind, id.parse()?));
            }
            let page = app.accounts.audit(None, &filter, None, limit.clamp(1, 100_000)).await?;
            for e in &page.entries {
                if json {
                    println!("{}", serde_json::to_string(e)?);
                } else {
                    println!(
                        "{}{}  {:<14} {:<9} {:<12} {:<14} {:<16} {}",
                        (e.at + zone_delta(zone)).format("%Y-%m-%d %H:%M:%S"),
                        zone,
                        e.action,
                        e.outcome,
                        e.actor.as_deref().unwrap_or("(operator)"),
                        e.item.as_deref().or(e.subject.as_deref()).unwrap_or("-"),
                        e.client.as_deref().unwrap_or("-"),
                        e.detail.as_deref().unwrap_or(""),
                    );
                }
            }
            Ok(())
        }
        Command::Explain { owner, collection, search, only, lifecycle } => {
            let only = match only.as_deref() {
                None => None,
                Some(word) => Some(
                    crate::domain::Only::parse(word)
                        .ok_or_else(|| anyhow::anyhow!("unknown --only {word:?}"))?,
                ),
            };
            let app = App::build(&config).await?;
            if lifecycle {
                let user = match owner.as_deref() {
                    Some(name) => owner_named(&app, name).await?.id().unwrap_or(1),
                    None => 1,
                };
                for (what, plan) in app.media.lifecycle_plans(user).await? {
                    println!("== {what}\n{plan}");
                }
                return Ok(());
            }
            let scope = match owner.as_deref() {
                None => OwnerFilter::Any,
                Some(name) => match owner_named(&app, name).await? {
                    Owner::System => OwnerFilter::System,
                    Owner::User(id) => OwnerFilter::User(id),
                },
            };
            for shape in app.media.gallery_plans(scope, collection, search, only).await? {
                println!("== {}", shape.page);
                for plan in shape.plans {
                    println!("{plan}");
                }
            }
            Ok(())
        }
        Command::Probe { file } => probe(&file),
        Command::Thumbnail { input, output, size, display } => {
            thumbnail(&input, &output, size, display.as_deref())
        }
        Command::Waveform { file, rendition, without_loudness, without_print } => {
            waveform(&file, rendition.as_deref(), !without_loudness, !without_print)
        }
    }
}

async fn user(config: &Config, cmd: UserCommand) -> anyhow::Result<()> {
    // An account made in the wrong folder is an account the server never sees: say which
    // folder this is, and warn when the embedded database did not exist before.
    let sqlite = config.database_url.trim_start_matches("sqlite://");
    let fresh = crate::db::Backend::from_url(&config.database_url) == crate::db::Backend::Sqlite
        && !std::path::Path::new(sqlite).exists();
    let accounts = App::accounts(config).await?;
    let folder = std::path::absolute(&config.data_dir).unwrap_or_else(|_| config.data_dir.clone());
    user_command(&accounts, cmd, (fresh, &folder), config.default_quota).await?;
    // On standard error, after the fact: standard output stays what scripts read, and a
    // failure stays one line.
    eprintln!("data folder: {}", folder.display());
    Ok(())
}

fn quota_words(quota: Quota) -> String {
    match quota {
        Quota::Default => "the default".to_owned(),
        Quota::Unlimited => "unlimited".to_owned(),
        Quota::Bytes(n) => crate::domain::human_size(n),
    }
}

/// `user list`: what the accounts page lists but storage used (which needs the store), for
/// scripts that audit who may sign in and store how much.
async fn list_users(
    accounts: &crate::auth::AccountService,
    default_quota: Option<u64>,
    json: bool,
) -> anyhow::Result<()> {
    let utc = |at: chrono::NaiveDateTime| at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let all = accounts.list().await?;
    if json {
        let rows: Vec<_> = all
            .iter()
            .map(|a| {
                serde_json::json!({
                    "id": a.id,
                    "username": a.username,
                    "role": a.role.as_str(),
                    "disabled": a.disabled,
                    "quota_bytes": a.quota.limit(default_quota),
                    "quota_is_default": a.quota == Quota::Default,
                    "created_at": utc(a.created_at),
                    "last_sign_in_at": a.last_sign_in_at.map(utc),
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    for a in all {
        let state = if a.disabled { "disabled" } else { "active" };
        let quota = match a.quota {
            Quota::Default => {
                format!(
                    "default ({})",
                    default_quota.map_or("unlimited".to_owned(), crate::domain::human_size)
                )
            }
            other => quota_words(other),
        };
        let last =
            a.last_sign_in_at.map_or("never signed in".to_owned(), |at| format!("signed in {}", utc(at)));
        println!("{}\t{}\t{state}\t{quota}\t{last}", a.username, a.role);
    }
    Ok(())
}

async fn token(config: &Config, cmd: TokenCommand) -> anyhow::Result<()> {
    let accounts = App::accounts(config).await?;
    let named = async |name: &str| {
        accounts.by_username(name).await.with_context(|| format!("--user: no account {name:?}"))
    };
    match cmd {
        TokenCommand::Add { name, user, days, scope } => {
            anyhow::ensure!(days.is_none_or(|d| (1..=3650).contains(&d)), "--days: 1 to 3650");
            let scopes = crate::auth::Scopes::parse(&scope)
                .context("--scope: upload, read, edit, delete or share, comma-separated")?;
            let account = named(&user).await?;
            let made = accounts.create_token(None, &account, &name, scopes, days).await?;
            println!("{}", made.secret);
        }
        TokenCommand::List { user } => {
            let account = named(&user).await?;
            for t in accounts.tokens(account.id).await? {
                let last = t.last_used_at.map_or("never used".to_owned(), |at| format!("last used {at} UTC"));
                let (id, scope, made) = (t.id, t.scopes.names().replace(' ', ","), t.created_at);
                println!("{id}\t{:?}\t{scope}\t{}\tmade {made} UTC\t{last}", t.state, t.name);
            }
        }
        TokenCommand::Revoke { id, user } => {
            let account = named(&user).await?;
            accounts
                .revoke_token(None, &account, id)
                .await
                .with_context(|| format!("no live token {id} of {user}"))?;
            println!("token {id} of {} revoked", account.username);
        }
    }
    Ok(())
}

async fn user_command(
    accounts: &crate::auth::AccountService,
    cmd: UserCommand,
    (fresh, folder): (bool, &std::path::Path),
    default_quota: Option<u64>,
) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add(add) => {
            let role: Role = add.role.parse().map_err(anyhow::Error::msg)?;
            let password = read_password(add.password_stdin)?;
            let account = accounts.create(&add.name, &password, role).await?;
            println!("created {} ({})", account.username, account.role);
            if fresh {
                eprintln!(
                    "warning: a new, empty database was created in {}; if the server runs from \
                     another folder or with another MEDIADESK_DATA_DIR or DATABASE_URL, it will not \
                     see this account",
                    folder.display()
                );
            }
        }
        UserCommand::Passwd { name, password_stdin } => {
            let account = accounts.by_username(&name).await.with_context(|| format!("account {name:?}"))?;
            accounts.reset_password(None, account.id, &read_password(password_stdin)?).await?;
            println!("password of {} changed", account.username);
        }
        UserCommand::List { json } => list_users(accounts, default_quota, json).await?,
        UserCommand::Disable { name } => {
            let account = accounts.by_username(&name).await.with_context(|| format!("account {name:?}"))?;
            accounts.set_disabled(None, account.id, true).await?;
            println!("{} disabled", account.username);
        }
        UserCommand::Enable { name } => {
            let account = accounts.by_username(&name).await.with_context(|| format!("account {name:?}"))?;
            accounts.set_disabled(None, account.id, false).await?;
            println!("{} enabled", account.username);
        }
        UserCommand::Role { name, role } => {
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            let account = accounts.by_username(&name).await.with_context(|| format!("account {name:?}"))?;
            let changed = accounts.set_role(None, account.id, role).await?;
            println!("{} is now {}", changed.username, changed.role);
        }
        UserCommand::Quota { name, quota } => {
            let quota = Quota::parse(&quota).map_err(|e| anyhow::anyhow!("quota: {e}"))?;
            let account = accounts.by_username(&name).await.with_context(|| format!("account {name:?}"))?;
            let changed = accounts.set_quota(None, account.id, quota).await?;
            println!("quota of {}: {}", changed.username, quota_words(changed.quota));
        }
        UserCommand::SignOns { name } => {
            let account = accounts.by_username(&name).await.with_context(|| format!("account {name:?}"))?;
            for l in accounts.sign_ons(account.id).await? {
                let last = l.last_used_at.map_or("never used".to_owned(), |at| format!("last used {at} UTC"));
                println!("{}\t{}\tlinked {} UTC\t{last}", l.id, l.known_as, l.created_at);
            }
        }
        UserCommand::UnlinkSignOns { name } => {
            let account = accounts.by_username(&name).await.with_context(|| format!("account {name:?}"))?;
            let n = accounts.unlink_sign_ons_of(None, account.id).await?;
            println!("{n} single sign-on link(s) of {} removed", account.username);
        }
    }
    Ok(())
}

async fn import(config: &Config, dir: &std::path::Path, owner: &str) -> anyhow::Result<()> {
    anyhow::ensure!(dir.is_dir(), "{} is not a folder", dir.display());
    let app = App::build(config).await?;
    let owner = owner_named(&app, owner).await?;
    let files = crate::ops::import::files_in(dir)?;
    let bar = indicatif::ProgressBar::new(files.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let summary = crate::ops::import::import_files(&app.media, &files, owner, |path, _| {
        bar.set_message(path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
        bar.inc(1);
    })
    .await;
    bar.finish_and_clear();
    report(&summary, files.len(), "files", |path| path.display().to_string())
}

/// Prints what an import did and fails, saying how many, when anything was refused.
fn report<T>(
    summary: &crate::ops::import::ImportSummary<T>,
    total: usize,
    noun: &str,
    name: impl Fn(&T) -> String,
) -> anyhow::Result<()> {
    println!("imported {} of {total} {noun}", summary.imported.len());
    for (item, reason) in &summary.refused {
        println!("  refused {}: {reason}", name(item));
    }
    anyhow::ensure!(summary.refused.is_empty(), "{} of {total} {noun} were refused", summary.refused.len());
    Ok(())
}

async fn import_links(config: &Config, list: &std::path::Path, owner: &str) -> anyhow::Result<()> {
    let text = if list == std::path::Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("--links -: standard input")?
    } else {
        std::fs::read_to_string(list).with_context(|| format!("--links: cannot read {}", list.display()))?
    };
    let links = crate::ops::import::links_in(&text);
    anyhow::ensure!(!links.is_empty(), "--links: {} lists no link", list.display());
    let app = App::build(config).await?;
    let owner = owner_named(&app, owner).await?;
    let bar = indicatif::ProgressBar::new(links.len() as u64);
    let summary = crate::ops::import::import_links(&app.media, &links, owner, |_, _| bar.inc(1)).await;
    bar.finish_and_clear();
    report(&summary, links.len(), "links", String::clone)
}

/// Plain HTTP/1.1 over a socket: the runtime image has no curl.
fn healthcheck(config: &Config) -> anyhow::Result<()> {
    use std::io::Write;
    let mut addr = config.bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let mut stream = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(3))
        .with_context(|| format!("nothing listens on {addr}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(3)))?;
    stream.write_all(
        format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.lines().next().unwrap_or("");
    anyhow::ensure!(status.contains(" 200 "), "unhealthy: {status}");
    println!("ok");
    Ok(())
}

/// `--offset`: `+05:30`, `-08:00`, `UTC` (or `Z`), or `local`, this machine's offset now.
fn fixed_offset(text: &str) -> anyhow::Result<chrono::FixedOffset> {
    use chrono::Offset;
    let bad = || anyhow::anyhow!("--offset: not an offset: {text:?} (+05:30, -08:00, UTC, local)");
    let text = text.trim();
    if text.eq_ignore_ascii_case("utc") || text == "Z" {
        return Ok(chrono::Utc.fix());
    }
    if text.eq_ignore_ascii_case("local") {
        return Ok(chrono::Local::now().offset().fix());
    }
    let (sign, rest) = match text.split_at_checked(1).ok_or_else(bad)? {
        ("+", rest) => (1, rest),
        ("-", rest) => (-1, rest),
        _ => return Err(bad()),
    };
    let (h, m) = rest.split_once(':').ok_or_else(bad)?;
    let (h, m): (i32, i32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if !(0..=14).contains(&h) || !(0..=59).contains(&m) {
        return Err(bad());
    }
    chrono::FixedOffset::east_opt(sign * (h * 3600 + m * 60)).ok_or_else(bad)
}

fn zone_delta(zone: chrono::FixedOffset) -> chrono::TimeDelta {
    chrono::TimeDelta::seconds(i64::from(zone.local_minus_utc()))
}

/// `2026-12-01` or `2026-12-01T09:30[:00]`, read in `zone`, or a span back from now: `30m`,
/// `24h`, `7d`.
fn when_in(text: &str, zone: chrono::FixedOffset) -> anyhow::Result<chrono::NaiveDateTime> {
    let text = text.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).expect("midnight exists") - zone_delta(zone));
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Ok(t - zone_delta(zone));
        }
    }
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = number.parse().map_err(|_| anyhow::anyhow!("not a time: {text:?} (2026-12-01, 24h, 7d)"))?;
    let span = match unit {
        "m" => chrono::TimeDelta::minutes(n),
        "h" => chrono::TimeDelta::hours(n),
        "d" => chrono::TimeDelta::days(n),
        _ => anyhow::bail!("not a time: {text:?} (2026-12-01, 24h, 7d)"),
    };
    Ok(crate::db::now() - span)
}
