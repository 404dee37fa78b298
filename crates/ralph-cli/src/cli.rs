//! The command-line definition: static options from clap's derive, backend options generated
//! from each backend's settings struct.

use std::path::PathBuf;

use clap::builder::PossibleValuesParser;
use clap::parser::ValueSource;
use clap::{
    Arg, ArgAction, ArgMatches, Args, Command, CommandFactory, Parser, Subcommand, ValueEnum,
};
use ralph_core::registry::{BackendEntry, Capabilities, Registry};
use ralph_core::schema::{FieldKind, SettingField};

/// ralph: move, extract, validate and convert learning-analytics tracking events.
///
/// Commands read JSON lines on standard input and write them on standard output, so they
/// compose with Unix pipes. Logs go to standard error.
#[derive(Debug, Parser)]
#[command(
    name = "ralph",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Log level on standard error.
    #[arg(
        short = 'v',
        long,
        global = true,
        value_enum,
        ignore_case = true,
        default_value = "INFO",
        value_name = "LVL"
    )]
    pub verbosity: Verbosity,

    /// Settings file (TOML); default: `ralph.toml` in the app directory (`RALPH_APP_DIR`, else
    /// `~/.config/ralph`).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// The command.
    #[command(subcommand)]
    pub command: Commands,
}

/// Log levels, with Ralph's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "UPPER")]
pub enum Verbosity {
    /// Only failures that stop ralph.
    Critical,
    /// Errors.
    Error,
    /// Warnings (skipped records, empty results).
    Warning,
    /// Summaries.
    Info,
    /// Everything.
    Debug,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Commands {
    /// List available documents from a configured data backend.
    List(ListArgs),
    /// Read records matching the QUERY (JSON or string) from a configured backend.
    #[command(visible_alias = "fetch")]
    Read(ReadArgs),
    /// Write standard input to a configured backend.
    #[command(visible_alias = "push")]
    Write(WriteArgs),
    /// Extract input events from a container format using a dedicated parser.
    Extract(ExtractArgs),
    /// Validate input events of the given format, printing them normalised.
    Validate(ValidateArgs),
    /// Convert input events from one format to another (edX to xAPI, xAPI to CSV).
    Convert(ConvertArgs),
    /// Run the xAPI LRS server.
    Runserver(crate::commands::runserver::RunserverArgs),
    /// Generate credentials for LRS HTTP basic authentication.
    Auth(crate::commands::auth::AuthArgs),
    /// Delete, purge or pseudonymise statements in an LRS store (privacy requests, retention).
    Lrs(crate::commands::lrs::LrsArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// Options of `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Backend.
    #[arg(short = 'b', long, value_name = "BACKEND")]
    pub backend: String,
    /// Container to list documents from (a directory, an index, a bucket).
    #[arg(short = 't', long)]
    pub target: Option<String>,
    /// List only documents not read yet (from the history file).
    #[arg(short = 'n', long, overrides_with = "all")]
    pub new: bool,
    /// List all documents (the default).
    #[arg(short = 'a', long, overrides_with = "new")]
    pub all: bool,
    /// Print details of each document as JSON.
    #[arg(short = 'D', long, overrides_with = "ids")]
    pub details: bool,
    /// Print document ids only (the default).
    #[arg(short = 'I', long, overrides_with = "details")]
    pub ids: bool,
}

/// Options of `read`.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Backend.
    #[arg(short = 'b', long, value_name = "BACKEND")]
    pub backend: String,
    /// What to read: a glob for fs, a JSON query for databases.
    pub query: Option<String>,
    /// Records (or bytes, for files) fetched per request.
    #[arg(short = 's', long, value_name = "SIZE")]
    pub chunk_size: Option<usize>,
    /// Container to read from (a directory, an index, a bucket).
    #[arg(short = 't', long)]
    pub target: Option<String>,
    /// Report and skip records that cannot be decoded.
    #[arg(short = 'I', long)]
    pub ignore_errors: bool,
    /// Ralph 5.1's spelling of `--ignore-errors`, taking a value.
    #[arg(
        short = 'i',
        long = "ignore_errors",
        value_name = "BOOLEAN",
        hide_short_help = true
    )]
    pub ignore_errors_value: Option<bool>,
    /// Stop after this many records.
    #[arg(short = 'm', long, value_name = "N")]
    pub max_statements: Option<u64>,
}

/// Options of `write`.
#[derive(Debug, Args)]
pub struct WriteArgs {
    /// Backend.
    #[arg(short = 'b', long, value_name = "BACKEND")]
    pub backend: String,
    /// Where to write: a file name for fs, an index or collection for databases.
    #[arg(short = 't', long)]
    pub target: Option<String>,
    /// Records (or bytes, for files) sent per request.
    #[arg(short = 's', long, value_name = "SIZE")]
    pub chunk_size: Option<usize>,
    /// Report and skip bad records, write the others.
    #[arg(short = 'I', long)]
    pub ignore_errors: bool,
    /// Either index, create, delete, update or append (default: the backend's).
    #[arg(short = 'o', long, value_name = "OP_TYPE", value_parser = ["index", "create", "delete", "update", "append"])]
    pub operation_type: Option<String>,
    /// Number of chunks written concurrently (backends that support it).
    #[arg(short = 'c', long, value_name = "N")]
    pub concurrency: Option<usize>,
}

/// Options of `extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Container format of the input.
    #[arg(short = 'p', long, value_enum)]
    pub parser: ParserName,
}

/// Parsers of `extract`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ParserName {
    /// GELF messages: the event is `short_message`.
    Gelf,
    /// Elasticsearch hits: the event is `_source`.
    Es,
}

/// Options of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Format of the input events.
    #[arg(short = 'f', long, value_enum)]
    pub format: EventFormat,
    /// Report and skip invalid events instead of stopping at the first.
    #[arg(short = 'I', long)]
    pub ignore_errors: bool,
    /// Fail on an event that matches no known event type (by default it is reported and skipped).
    #[arg(short = 'F', long)]
    pub fail_on_unknown: bool,
    /// Accept any event valid by the base specification, even when it matches no known event
    /// type (xAPI: any valid statement).
    #[arg(long)]
    pub generic: bool,
}

/// Options of `convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Namespace of the statement ids (uuid5 of it and the input line); default:
    /// `RALPH_CONVERTER_EDX_XAPI_UUID_NAMESPACE`.
    #[arg(
        short = 'u',
        long,
        value_name = "UUID",
        help_heading = "From edX to xAPI converter options"
    )]
    pub uuid_namespace: Option<String>,
    /// URL of the platform the events come from (actor `homePage`, activity ids); required
    /// from edX.
    #[arg(
        short = 'p',
        long,
        value_name = "URL",
        required_if_eq("from", "edx"),
        help_heading = "From edX to xAPI converter options"
    )]
    pub platform_url: Option<String>,
    /// How statements name the learner (`actor.account.name`): `user_id` (the LMS user id,
    /// Ralph's default), `username`, or `anonymous-id-file PATH` (the anonymous id a CSV of
    /// `user_id,anonymous_id` lines maps the user id to).
    #[arg(
        long,
        value_name = "MODE [PATH]",
        num_args = 1..=2,
        help_heading = "From edX to xAPI converter options"
    )]
    pub actor_id: Option<Vec<String>>,
    /// Print the edX to xAPI conversions (edX event → statement, verb, activity type, profile)
    /// and exit.
    #[arg(long, exclusive = true)]
    pub list: bool,
    /// Format of the input events.
    #[arg(
        short = 'f',
        long = "from",
        value_enum,
        required_unless_present = "list"
    )]
    pub from: Option<FromFormat>,
    /// Format of the output events.
    #[arg(short = 't', long = "to", value_enum, required_unless_present = "list")]
    pub to: Option<ToFormat>,
    /// Report and skip events that cannot be converted instead of stopping.
    #[arg(short = 'I', long)]
    pub ignore_errors: bool,
    /// Fail on an event of no known type or without a conversion (by default: reported, skipped).
    #[arg(short = 'F', long)]
    pub fail_on_unknown: bool,
}

/// Input formats of `convert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FromFormat {
    /// Open edX tracking logs.
    Edx,
    /// xAPI statements (to `csv`).
    Xapi,
}

/// Output formats of `convert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ToFormat {
    /// xAPI statements (from `edx`).
    Xapi,
    /// CSV rows with a header, one per statement (from `xapi`; columns in docs/cli.md).
    Csv,
}

/// Event formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EventFormat {
    /// Open edX tracking logs.
    Edx,
    /// xAPI statements.
    Xapi,
}

/// Options of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The full command: the derive definition, plus `-b` choices and one option per backend setting
/// on the commands that take a backend.
pub fn command(registry: &Registry) -> Command {
    let mut cmd = Cli::command();
    type Capable = fn(&Capabilities) -> bool;
    let commands: [(&str, Capable); 3] = [
        ("list", |c| c.list),
        ("read", |c| c.read),
        ("write", |c| c.write),
    ];
    for (name, capable) in commands {
        let backends = registry.with(capable);
        let mut names: Vec<&'static str> = Vec::new();
        for b in &backends {
            names.push(b.name);
            names.extend(b.aliases);
        }
        cmd = cmd.mut_subcommand(name, |sub| {
            let mut sub = sub.mut_arg("backend", |a| {
                a.value_parser(PossibleValuesParser::new(names.clone()))
                    .help(format!(
                        "Backend: {}",
                        backends
                            .iter()
                            .map(|b| b.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
            });
            for b in &backends {
                sub = sub.args(backend_args(b));
            }
            sub
        });
    }
    crate::commands::runserver::augment(cmd)
}

fn arg_id(backend: &str, field: &str) -> String {
    format!("{backend}.{field}")
}

fn backend_args(entry: &BackendEntry) -> Vec<Arg> {
    let heading = format!("{} backend", entry.name);
    let mut args = Vec::new();
    for field in entry.fields() {
        let flag = field.flag(entry.name);
        let long = flag.trim_start_matches("--").to_owned();
        let help = help_line(&field);
        let arg = Arg::new(arg_id(entry.name, &field.name))
            .long(long.clone())
            .aliases(
                field
                    .alias_flags(entry.name)
                    .into_iter()
                    .map(|f| f.trim_start_matches("--").to_owned()),
            )
            .help(help)
            .help_heading(heading.clone());
        match field.kind {
            FieldKind::Boolean => {
                args.push(
                    arg.action(ArgAction::SetTrue)
                        .overrides_with(format!("no.{}", arg_id(entry.name, &field.name))),
                );
                args.push(
                    Arg::new(format!("no.{}", arg_id(entry.name, &field.name)))
                        .long(format!("no-{long}"))
                        .action(ArgAction::SetTrue)
                        .help(format!("Unset --{long}"))
                        .help_heading(heading.clone())
                        .hide_short_help(true),
                );
            }
            FieldKind::Integer => args.push(
                arg.value_name("INTEGER")
                    .value_parser(clap::value_parser!(i64))
                    .action(ArgAction::Set),
            ),
            FieldKind::Number => args.push(
                arg.value_name("NUMBER")
                    .value_parser(clap::value_parser!(f64))
                    .action(ArgAction::Set),
            ),
            kind => {
                let mut arg = arg.value_name(kind.value_name()).action(ArgAction::Set);
                if !field.choices.is_empty() {
                    arg = arg.value_parser(PossibleValuesParser::new(field.choices.clone()));
                }
                if kind == FieldKind::Path {
                    arg = arg.value_hint(clap::ValueHint::AnyPath);
                }
                args.push(arg);
            }
        }
    }
    args
}

fn help_line(field: &SettingField) -> String {
    let mut help = field.summary();
    if let Some(default) = &field.default
        && !field.secret
    {
        let shown = match default {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        help.push_str(&format!(" [default: {shown}]"));
    }
    help
}

/// The settings given on the command line, as `(key path, raw value)` pairs for the settings
/// loader: `("backends.data.fs.default_directory_path", "/data")`.
pub fn backend_overrides(registry: &Registry, matches: &ArgMatches) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in registry.entries() {
        for field in entry.fields() {
            let id = arg_id(entry.name, &field.name);
            let key = format!("{}.{}", entry.section(), field.name);
            let given = |id: &str| {
                matches.try_contains_id(id).unwrap_or(false)
                    && matches.value_source(id) == Some(ValueSource::CommandLine)
            };
            match field.kind {
                FieldKind::Boolean => {
                    if given(&id) && matches.get_flag(&id) {
                        out.push((key, "true".to_owned()));
                    } else if given(&format!("no.{id}")) && matches.get_flag(&format!("no.{id}")) {
                        out.push((key, "false".to_owned()));
                    }
                }
                FieldKind::Integer if given(&id) => {
                    if let Some(v) = matches.get_one::<i64>(&id) {
                        out.push((key, v.to_string()));
                    }
                }
                FieldKind::Number if given(&id) => {
                    if let Some(v) = matches.get_one::<f64>(&id) {
                        out.push((key, v.to_string()));
                    }
                }
                FieldKind::Map if given(&id) => {
                    if let Some(v) = matches.get_one::<String>(&id) {
                        for pair in v.split(',').filter(|p| !p.is_empty()) {
                            let (k, val) = pair.split_once('=').unwrap_or((pair, ""));
                            out.push((format!("{key}.{}", k.trim()), val.trim().to_owned()));
                        }
                    }
                }
                _ if given(&id) => {
                    if let Some(v) = matches.get_one::<String>(&id) {
                        out.push((key, v.clone()));
                    }
                }
                _ => {}
            }
        }
    }
    out
}
