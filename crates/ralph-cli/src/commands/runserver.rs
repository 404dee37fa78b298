//! `ralph runserver`: serves the xAPI LRS (`ralph-lrs`) on a statement store.

use std::sync::Arc;

use anyhow::Context;
use clap::builder::PossibleValuesParser;
use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Args, Command};
use ralph_core::lrs::{LrsRegistry, LrsStore};
use ralph_core::registry::BackendContext;
use ralph_core::schema::FieldKind;
use ralph_core::settings::Settings;
use ralph_lrs::{LrsConfig, LrsState};

/// Options of `runserver`.
#[derive(Debug, Args)]
#[command(disable_help_flag = true)]
pub struct RunserverArgs {
    /// Statement store [default: `RALPH_RUNSERVER_BACKEND`, else sqlite].
    #[arg(short = 'b', long, value_name = "BACKEND")]
    pub backend: Option<String>,
    /// Address to listen on; `0.0.0.0` listens on all interfaces [default:
    /// `RALPH_RUNSERVER_HOST`, else 127.0.0.1].
    #[arg(short = 'h', long)]
    pub host: Option<String>,
    /// Port to listen on [default: `RALPH_RUNSERVER_PORT`, else 8100].
    #[arg(short = 'p', long)]
    pub port: Option<u16>,
    /// Print help.
    #[arg(long, action = ArgAction::Help)]
    pub help: Option<bool>,
}

/// The LRS stores this binary was built with (one cargo feature each).
pub fn lrs_registry() -> LrsRegistry {
    let mut registry = LrsRegistry::new();
    #[cfg(feature = "clickhouse")]
    registry.register::<ralph_backend_clickhouse::ClickHouseLrsFactory>();
    #[cfg(feature = "es")]
    registry.register::<ralph_backend_es::EsLrsFactory>();
    #[cfg(feature = "fs")]
    registry.register::<ralph_backend_fs::FsLrsFactory>();
    #[cfg(feature = "mongo")]
    registry.register::<ralph_backend_mongo::MongoLrsFactory>();
    #[cfg(feature = "postgres")]
    registry.register::<ralph_backend_postgres::PostgresLrsFactory>();
    #[cfg(feature = "sqlite")]
    registry.register::<ralph_backend_sqlite::SqliteLrsFactory>();
    registry
}

fn arg_id(store: &str, field: &str) -> String {
    format!("lrs.{store}.{field}")
}

/// The commands that open a statement store: `runserver` and `lrs delete|purge|pseudonymize`.
const STORE_COMMANDS: [&[&str]; 4] = [
    &["runserver"],
    &["lrs", "delete"],
    &["lrs", "purge"],
    &["lrs", "pseudonymize"],
];

/// Adds `-b` choices and one option per store setting (`--sqlite-path`, ...) to `runserver`
/// and the `lrs` commands.
pub fn augment(mut cmd: Command) -> Command {
    let registry = lrs_registry();
    for path in STORE_COMMANDS {
        cmd = match path {
            [one] => cmd.mut_subcommand(one, |sub| store_args(sub, &registry)),
            [outer, inner] => cmd.mut_subcommand(outer, |sub| {
                sub.mut_subcommand(inner, |sub| store_args(sub, &registry))
            }),
            _ => cmd,
        };
    }
    cmd
}

fn store_args(mut sub: Command, registry: &LrsRegistry) -> Command {
    let names: Vec<&'static str> = registry
        .entries()
        .iter()
        .flat_map(|e| std::iter::once(e.name).chain(e.aliases.iter().copied()))
        .collect();
    sub = sub.mut_arg("backend", |a| {
        a.value_parser(PossibleValuesParser::new(names.clone()))
    });
    for entry in registry.entries() {
        let heading = format!("{} backend", entry.name);
        for field in entry.fields() {
            let id = arg_id(entry.name, &field.name);
            let long = field.flag(entry.name).trim_start_matches("--").to_owned();
            let arg = Arg::new(id.clone())
                .long(long.clone())
                .help(field.summary())
                .help_heading(heading.clone());
            sub = match field.kind {
                FieldKind::Boolean => sub.arg(arg.action(ArgAction::SetTrue)).arg(
                    Arg::new(format!("no.{id}"))
                        .long(format!("no-{long}"))
                        .action(ArgAction::SetTrue)
                        .help(format!("Unset --{long}"))
                        .help_heading(heading.clone())
                        .hide_short_help(true),
                ),
                kind => sub.arg(
                    arg.value_name(kind.value_name())
                        .action(ArgAction::Set)
                        .value_parser(clap::builder::NonEmptyStringValueParser::new()),
                ),
            };
        }
    }
    sub
}

/// The matches of the store-opening command given, if any.
fn store_command(matches: &ArgMatches) -> Option<&ArgMatches> {
    match matches.subcommand()? {
        ("runserver", sub) => Some(sub),
        ("lrs", lrs) => lrs.subcommand().map(|(_, sub)| sub),
        _ => None,
    }
}

/// The store settings given on the `runserver` (or `lrs ...`) command line, as `(key path, raw value)` pairs
/// for the settings loader: `("backends.lrs.sqlite.path", "/data/lrs.sqlite3")`.
pub fn store_overrides(matches: &ArgMatches) -> Vec<(String, String)> {
    let Some(sub) = store_command(matches) else {
        return Vec::new();
    };
    let given = |id: &str| {
        sub.try_contains_id(id).unwrap_or(false)
            && sub.value_source(id) == Some(ValueSource::CommandLine)
    };
    let mut out = Vec::new();
    for entry in lrs_registry().entries() {
        for field in entry.fields() {
            let id = arg_id(entry.name, &field.name);
            let key = format!("{}.{}", entry.section(), field.name);
            if field.kind == FieldKind::Boolean {
                if given(&id) {
                    out.push((key, "true".to_owned()));
                } else if given(&format!("no.{id}")) {
                    out.push((key, "false".to_owned()));
                }
            } else if given(&id)
                && let Some(value) = sub.get_one::<String>(&id)
            {
                out.push((key, value.clone()));
            }
        }
    }
    out
}

/// Opens the store and serves the LRS until Ctrl-C or SIGTERM; requests in flight finish first.
pub async fn run(settings: Settings, args: RunserverArgs) -> anyhow::Result<()> {
    let config = LrsConfig::from_settings(&settings)?;
    let name = args
        .backend
        .unwrap_or_else(|| config.runserver_backend.clone());
    let registry = lrs_registry();
    let entry = registry.get(&name)?;
    let context = BackendContext::new(settings)?;
    let store: Arc<dyn LrsStore> = Arc::from(
        entry
            .open(&context)
            .await
            .with_context(|| format!("opening the `{name}` statement store"))?,
    );
    let host = args.host.unwrap_or_else(|| config.runserver_host.clone());
    let port = args.port.unwrap_or(config.runserver_port);
    let listener = tokio::net::TcpListener::bind((host.as_str(), port))
        .await
        .with_context(|| format!("listening on `{host}:{port}`"))?;
    let address = listener.local_addr()?;
    tracing::info!(
        "LRS listening on http://{address} (store `{name}`, credentials `{}`)",
        config.auth_file_path().display()
    );
    let state = LrsState::new(store.clone(), config);
    ralph_lrs::serve(listener, state, ralph_lrs::shutdown_signal()).await?;
    store.close().await?;
    Ok(())
}
