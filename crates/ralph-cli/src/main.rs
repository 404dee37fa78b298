//! The `ralph` binary.

use std::process::ExitCode;

use clap::FromArgMatches;
use ralph_cli::cli::{Cli, Commands, Verbosity, backend_overrides, command};
use ralph_core::ErrorKind;
use ralph_core::settings::SettingsLoader;

/// mimalloc rather than the system allocator: `validate` and `convert` build and drop many small
/// values per line, and the system allocator took a fifth of their time.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let registry = ralph_cli::registry();
    let mut cmd = command(&registry);
    let matches = match cmd.try_get_matches_from_mut(std::env::args_os()) {
        Ok(m) => m,
        Err(err) => {
            // --help and --version print and exit 0; usage errors exit 2.
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.format(&mut cmd).print();
            return ExitCode::from(2);
        }
    };
    init_logging(cli.verbosity);
    let overrides = matches
        .subcommand()
        .map(|(_, sub)| backend_overrides(&registry, sub))
        .unwrap_or_default();
    let overrides = [
        overrides,
        ralph_cli::commands::runserver::store_overrides(&matches),
    ]
    .concat();
    match run(cli, cmd, registry, overrides) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => report(&err),
    }
}

fn run(
    cli: Cli,
    mut cmd: clap::Command,
    registry: ralph_core::registry::Registry,
    overrides: Vec<(String, String)>,
) -> anyhow::Result<()> {
    let settings = || {
        let mut loader = SettingsLoader::new();
        if let Some(path) = &cli.config {
            loader = loader.config_file(path);
        }
        for (key, value) in &overrides {
            loader = loader.set(key, value);
        }
        loader.load()
    };
    match cli.command {
        Commands::Extract(args) => ralph_cli::commands::extract::run(args),
        Commands::Validate(args) => ralph_cli::commands::validate::run(args),
        Commands::Convert(args) => ralph_cli::commands::convert::run(&settings()?, args),
        Commands::Auth(args) => ralph_cli::commands::auth::run(settings()?, args),
        Commands::Runserver(args) => {
            runtime()?.block_on(ralph_cli::commands::runserver::run(settings()?, args))
        }
        Commands::Lrs(args) => {
            runtime()?.block_on(ralph_cli::commands::lrs::run(settings()?, args))
        }
        Commands::Completions(args) => {
            clap_complete::generate(args.shell, &mut cmd, "ralph", &mut std::io::stdout());
            Ok(())
        }
        Commands::List(args) => {
            runtime()?.block_on(ralph_cli::commands::list::run(&registry, settings()?, args))
        }
        Commands::Read(args) => {
            runtime()?.block_on(ralph_cli::commands::read::run(&registry, settings()?, args))
        }
        Commands::Write(args) => runtime()?.block_on(ralph_cli::commands::write::run(
            &registry,
            settings()?,
            args,
        )),
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
}

fn init_logging(verbosity: Verbosity) {
    use tracing::level_filters::LevelFilter;
    let level = match verbosity {
        Verbosity::Critical | Verbosity::Error => LevelFilter::ERROR,
        Verbosity::Warning => LevelFilter::WARN,
        Verbosity::Info => LevelFilter::INFO,
        Verbosity::Debug => LevelFilter::DEBUG,
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Prints the error and picks the exit code: 2 for configuration errors, 1 for the rest; a
/// closed standard output is not an error.
fn report(err: &anyhow::Error) -> ExitCode {
    if let Some(io) = err.downcast_ref::<std::io::Error>()
        && io.kind() == std::io::ErrorKind::BrokenPipe
    {
        return ExitCode::SUCCESS;
    }
    let core = err.downcast_ref::<ralph_core::Error>();
    let mut message = format!("error: {err:#}");
    if let Some(written) = core.and_then(ralph_core::Error::written) {
        message.push_str(&format!(" ({written} records written before the error)"));
    }
    eprintln!("{message}");
    match core.map(ralph_core::Error::kind) {
        Some(ErrorKind::ConfigInvalid) => ExitCode::from(2),
        _ => ExitCode::FAILURE,
    }
}
