//! `ralph extract`.

use std::io::BufRead;

use ralph_core::parsers::Parser;

use crate::cli::{ExtractArgs, ParserName};
use crate::io::{Output, Stdout};

/// Extracts one event per input line; lines that do not parse are logged and skipped.
pub fn run(args: ExtractArgs) -> anyhow::Result<()> {
    let parser = match args.parser {
        ParserName::Gelf => Parser::Gelf,
        ParserName::Es => Parser::Es,
    };
    let stdin = std::io::stdin().lock();
    let mut out = Stdout::new();
    let (mut total, mut skipped) = (0u64, 0u64);
    for (number, line) in stdin.split(b'\n').enumerate() {
        let line = line?;
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        total += 1;
        match parser.extract(&text) {
            Ok(event) => {
                if out.write(event.as_bytes())? == Output::BrokenPipe
                    || out.write(b"\n")? == Output::BrokenPipe
                {
                    return Ok(());
                }
            }
            Err(err) => {
                skipped += 1;
                tracing::error!("line {}: {err}", number + 1);
            }
        }
    }
    out.flush()?;
    tracing::info!("extracted {} events, {skipped} skipped", total - skipped);
    Ok(())
}
