//! Project automation, run as `cargo xtask <task>`.
//!
//! - `codegen [--check]`: writes docs/backends.md from the backends' settings structs and
//!   docs/conversions.md from the conversion table; with `--check`, fails when a file is stale
//!   instead.
//! - `bench lrs [--statements N] [--batch N] [--writers N] [--pages N] [--port P --user U
//!   --password W]`: a load run of `ralph runserver` on loopback, or of another LRS already
//!   listening on port P (see the `bench` module).
//! - `bench lrs-ingest [--statements N] [--python-statements N] [--batch N] [--queries N]
//!   [--only sqlite,postgres,...] [--python-ralph BIN] [--xapi-rs BIN] [--random-ids]
//!   [--no-build]`: one client backfilling each LRS that runs here, then filtered reads, in one
//!   table (see the `ingest` module).
//! - `bench convert [--events N] [--rounds R] [--python-ralph BIN] [--no-build]`: `ralph
//!   convert` on Ralph's nine events and on every family, against the Python ralph, in one table
//!   (see the `convert` module).

mod bench;
mod convert;
mod ingest;

use std::path::PathBuf;

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let text = |name: &str| flag_text(&args, name);
    let value = |name: &str, default| flag_number(&args, name, default);
    match args.first().map(String::as_str) {
        Some("codegen") => codegen(args.iter().any(|a| a == "--check")),
        Some("bench") if args.get(1).map(String::as_str) == Some("lrs") => bench::lrs(
            &root(),
            &bench::LrsBench {
                statements: value("--statements", 1_000_000)?,
                batch: value("--batch", 100)?,
                writers: value("--writers", 4)?,
                pages: value("--pages", 1000)?,
                port: match args.iter().position(|a| a == "--port") {
                    Some(_) => Some(u16::try_from(value("--port", 0)?)?),
                    None => None,
                },
                credentials: (
                    text("--user").unwrap_or_else(|| "bench".to_owned()),
                    text("--password").unwrap_or_else(|| "bench-password".to_owned()),
                ),
            },
        ),
        Some("bench") if args.get(1).map(String::as_str) == Some("lrs-ingest") => {
            let statements = value("--statements", 1_000_000)?;
            ingest::run(
                &root(),
                &ingest::IngestBench {
                    statements,
                    python_statements: value("--python-statements", statements)?,
                    batch: value("--batch", 10_000)?,
                    queries: value("--queries", 100)?,
                    only: text("--only")
                        .map(|o| o.split(',').map(str::to_owned).collect())
                        .unwrap_or_default(),
                    python_ralph: text("--python-ralph").map(PathBuf::from),
                    xapi_rs: text("--xapi-rs").map(PathBuf::from),
                    no_build: args.iter().any(|a| a == "--no-build"),
                    random_ids: args.iter().any(|a| a == "--random-ids"),
                },
            )
        }
        Some("bench") if args.get(1).map(String::as_str) == Some("convert") => convert::run(
            &root(),
            &convert::ConvertBench {
                events: value("--events", 100_000)?,
                rounds: value("--rounds", 3)?,
                python_ralph: text("--python-ralph").map(PathBuf::from),
                no_build: args.iter().any(|a| a == "--no-build"),
            },
        ),
        _ => {
            eprintln!(
                "usage: cargo xtask codegen [--check] | cargo xtask bench lrs [--statements N] [--batch N] [--writers N] [--pages N] | cargo xtask bench lrs-ingest [--statements N] [--python-statements N] [--batch N] [--queries N] [--only a,b] [--python-ralph BIN] [--xapi-rs BIN] [--random-ids] [--no-build] | cargo xtask bench convert [--events N] [--rounds R] [--python-ralph BIN] [--no-build]"
            );
            std::process::exit(2);
        }
    }
}

/// The value after the flag `name` in `args`, if the flag is there.
fn flag_text(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The number after the flag `name` (`_` separators allowed), or `default` without the flag.
fn flag_number(args: &[String], name: &str, default: usize) -> anyhow::Result<usize> {
    match flag_text(args, name) {
        Some(v) => v
            .replace('_', "")
            .parse()
            .with_context(|| format!("{name} takes a number")),
        None => Ok(default),
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

fn codegen(check: bool) -> anyhow::Result<()> {
    let files = [
        (
            "docs/backends.md",
            ralph_core::docs::backends_markdown(&ralph_cli::registry()),
        ),
        ("docs/conversions.md", ralph_convert::docs::markdown()),
    ];
    let mut stale = Vec::new();
    for (name, fresh) in files {
        let path = root().join(name);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == fresh {
            println!("{} is up to date", path.display());
        } else if check {
            stale.push(name);
        } else {
            std::fs::write(&path, fresh).with_context(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    if !stale.is_empty() {
        bail!("stale: {}; run `cargo xtask codegen`", stale.join(", "));
    }
    Ok(())
}
