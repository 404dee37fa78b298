//! `ralph lrs delete|purge|pseudonymize`: privacy requests run against a statement store
//! directly, with the store settings of `ralph runserver`.

use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};
use ralph_core::lrs::LrsStore;
use ralph_core::registry::BackendContext;
use ralph_core::settings::Settings;
use ralph_lrs::admin::DeleteRequest;
use ralph_lrs::{LrsConfig, LrsState};

/// Options of `lrs`.
#[derive(Debug, Args)]
#[command(
    after_help = "Each command prints a JSON report on standard output and logs who ran it, \
                  the filter (agent redacted) and the counts on standard error. Run with \
                  --dry-run first: it counts and changes nothing."
)]
pub struct LrsArgs {
    /// The privacy command.
    #[command(subcommand)]
    pub command: LrsCommand,
}

/// The `lrs` commands.
#[derive(Debug, Subcommand)]
pub enum LrsCommand {
    /// Delete the statements matching a filter (e.g. everything about one learner), with the
    /// attachments nothing else references; prints `{"matched": N, "deleted": M}`.
    Delete(DeleteArgs),
    /// Delete the statements stored before a given age, in every target (retention);
    /// prints `{"matched": N, "deleted": M}`.
    Purge(PurgeArgs),
    /// Replace an agent by its pseudonymous account (`RALPH_LRS_PSEUDONYM_KEY`,
    /// `RALPH_LRS_PSEUDONYM_HOMEPAGE`) in every statement, keeping statement ids.
    Pseudonymize(PseudonymizeArgs),
}

/// Which store, as `ralph runserver` opens it.
#[derive(Debug, Args)]
pub struct StoreArgs {
    /// Statement store [default: `RALPH_RUNSERVER_BACKEND`, else sqlite]; its settings are
    /// those of runserver (`RALPH_BACKENDS__LRS__<NAME>__...` or `--<name>-...`).
    #[arg(short = 'b', long, value_name = "BACKEND")]
    pub backend: Option<String>,
    /// The target (a user's own set of statements, as in the credentials file); default: the
    /// store's default one.
    #[arg(short = 't', long)]
    pub target: Option<String>,
    /// Count what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Options of `lrs delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Agent as xAPI JSON with one IFI (`{"mbox":"mailto:a@example.org"}`): statements where it
    /// appears anywhere (actor, object, authority, instructor, team, group member,
    /// sub-statement) or in the statement a `StatementRef` targets.
    #[arg(long, value_name = "JSON")]
    pub agent: Option<String>,
    /// Verb id.
    #[arg(long, value_name = "IRI")]
    pub verb: Option<String>,
    /// Object activity id.
    #[arg(long, value_name = "IRI")]
    pub activity: Option<String>,
    /// Registration (UUID).
    #[arg(long, value_name = "UUID")]
    pub registration: Option<String>,
    /// Only statements stored strictly after this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only statements stored at or before this RFC 3339 time.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Also delete the agent's state and agent-profile documents (needs --agent).
    #[arg(long)]
    pub documents: bool,
}

/// Options of `lrs purge`.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Age of the statements to delete: `30d`, `12h`, `90m`, `3600s` (a bare number is days).
    #[arg(long, value_name = "AGE", value_parser = parse_age)]
    pub older_than: chrono::Duration,
}

/// Options of `lrs pseudonymize`.
#[derive(Debug, Args)]
pub struct PseudonymizeArgs {
    /// The store.
    #[command(flatten)]
    pub store: StoreArgs,
    /// Agent as xAPI JSON with one IFI (`{"mbox":"mailto:a@example.org"}`).
    #[arg(long, value_name = "JSON")]
    pub agent: String,
}

/// Parses `30d`, `12h`, `90m`, `3600s` or a bare number of days.
pub fn parse_age(text: &str) -> Result<chrono::Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "d"),
    };
    let n: i64 = number
        .parse()
        .map_err(|_| format!("`{text}`: expected a number and a unit, like `30d`"))?;
    match unit {
        "d" => Ok(chrono::Duration::days(n)),
        "h" => Ok(chrono::Duration::hours(n)),
        "m" => Ok(chrono::Duration::minutes(n)),
        "s" => Ok(chrono::Duration::seconds(n)),
        other => Err(format!(
            "`{text}`: unknown unit `{other}`; expected d, h, m or s"
        )),
    }
}

fn parse_agent(text: &str) -> anyhow::Result<serde_json::Value> {
    serde_json::from_str(text).with_context(|| format!("--agent `{text}`: invalid JSON"))
}

async fn open(
    settings: Settings,
    store: &StoreArgs,
) -> anyhow::Result<(Arc<dyn LrsStore>, LrsConfig)> {
    let config = LrsConfig::from_settings(&settings)?;
    let name = store
        .backend
        .clone()
        .unwrap_or_else(|| config.runserver_backend.clone());
    let registry = super::runserver::lrs_registry();
    let entry = registry.get(&name)?;
    let context = BackendContext::new(settings)?;
    let opened = entry
        .open(&context)
        .await
        .with_context(|| format!("opening the `{name}` statement store"))?;
    Ok((Arc::from(opened), config))
}

/// Who runs the command, for the logs.
fn who() -> String {
    let user = std::env::var("USER").unwrap_or_default();
    format!("cli:{user}")
}

fn print(value: serde_json::Value) -> anyhow::Result<()> {
    println!("{value}");
    Ok(())
}

/// Runs one `lrs` command.
pub async fn run(settings: Settings, args: LrsArgs) -> anyhow::Result<()> {
    match args.command {
        LrsCommand::Delete(args) => {
            let request = DeleteRequest {
                agent: args.agent.as_deref().map(parse_agent).transpose()?,
                verb: args.verb,
                activity: args.activity,
                registration: args.registration,
                since: args.since,
                until: args.until,
                dry_run: args.store.dry_run,
                documents: args.documents,
            };
            // Refuse a bad filter before connecting.
            request.filter()?;
            let (store, _) = open(settings, &args.store).await?;
            let report = ralph_lrs::admin::execute_delete(
                store.as_ref(),
                &who(),
                args.store.target.as_deref(),
                &request,
            )
            .await;
            store.close().await?;
            print(serde_json::to_value(report?)?)
        }
        LrsCommand::Purge(args) => {
            let (store, config) = open(settings, &args.store).await?;
            let targets = args.store.target.clone().map(|t| vec![Some(t)]);
            let state = LrsState::new(store.clone(), config);
            let report = ralph_lrs::admin::purge_older_than(
                &state,
                args.older_than,
                targets,
                args.store.dry_run,
            )
            .await;
            store.close().await?;
            print(serde_json::to_value(report?)?)
        }
        LrsCommand::Pseudonymize(args) => {
            let agent = parse_agent(&args.agent)?;
            ralph_lrs::admin::agent_ifi(&agent)?;
            let config = LrsConfig::from_settings(&settings)?;
            let pseudonymizer = ralph_lrs::admin::pseudonymizer(&config)?;
            let (store, _) = open(settings, &args.store).await?;
            let answer = ralph_lrs::admin::execute_pseudonymize(
                store.as_ref(),
                &pseudonymizer,
                &who(),
                args.store.target.as_deref(),
                &agent,
                args.store.dry_run,
            )
            .await;
            store.close().await?;
            print(answer?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_age;

    #[test]
    fn ages_have_units() {
        assert_eq!(parse_age("30d"), Ok(chrono::Duration::days(30)));
        assert_eq!(parse_age("30"), Ok(chrono::Duration::days(30)));
        assert_eq!(parse_age("12h"), Ok(chrono::Duration::hours(12)));
        assert_eq!(parse_age("90m"), Ok(chrono::Duration::minutes(90)));
        assert_eq!(parse_age("5s"), Ok(chrono::Duration::seconds(5)));
        assert!(parse_age("5y").is_err());
        assert!(parse_age("d").is_err());
    }
}
