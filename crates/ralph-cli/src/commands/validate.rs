//! `ralph validate`.

use std::io::BufRead;

use anyhow::bail;
use ralph_models::xapi;

use crate::cli::{EventFormat, ValidateArgs};
use crate::io::{Output, Stdout};

/// What became of one input line.
enum Verdict {
    /// Valid: print this normalised JSON.
    Valid(String),
    /// Valid by the base specification but of no known event type.
    Unknown(String),
    /// Invalid: the reason.
    Invalid(String),
}

fn validate_xapi(line: &str) -> Verdict {
    match xapi::validate_statement_str(line) {
        Ok(validated) if validated.type_name().is_some() => Verdict::Valid(validated.json),
        Ok(validated) => Verdict::Unknown(validated.json),
        Err(ralph_models::Error::Json(err)) => Verdict::Invalid(format!("not valid JSON: {err}")),
        Err(err) => Verdict::Invalid(err.to_string()),
    }
}

/// Validates standard input line by line and prints the valid events normalised.
///
/// Invalid events stop the command (exit 1, naming the line) unless `--ignore-errors`; events of
/// no known type are reported and skipped unless `--generic` (printed) or `--fail-on-unknown`
/// (exit 1). The summary `Total events: N, Invalid events: M` goes to standard error.
pub fn run(args: ValidateArgs) -> anyhow::Result<()> {
    let validate: fn(&str) -> Verdict = match args.format {
        EventFormat::Xapi => validate_xapi,
        EventFormat::Edx => bail!(ralph_core::Error::unsupported(
            "`validate -f edx` is not available in this build"
        )),
    };
    let stdin = std::io::stdin().lock();
    let mut out = Stdout::new();
    let (mut total, mut invalid) = (0u64, 0u64);
    let summary = |total: u64, invalid: u64| {
        tracing::info!("Total events: {total}, Invalid events: {invalid}");
    };
    for (index, line) in stdin.split(b'\n').enumerate() {
        let number = index + 1;
        let line = line?;
        let Ok(text) = std::str::from_utf8(&line) else {
            total += 1;
            invalid += 1;
            let message = format!("line {number}: not valid UTF-8");
            if args.ignore_errors {
                tracing::error!("{message}");
                continue;
            }
            summary(total, invalid);
            bail!(ralph_core::Error::invalid_input(message));
        };
        if text.trim().is_empty() {
            continue;
        }
        total += 1;
        let json = match validate(text) {
            Verdict::Valid(json) => json,
            Verdict::Unknown(json) if args.generic => json,
            Verdict::Unknown(_) => {
                let message = format!("line {number}: no known event type matches this event");
                if args.fail_on_unknown {
                    summary(total, invalid);
                    bail!(ralph_core::Error::invalid_input(message));
                }
                tracing::error!("{message}");
                continue;
            }
            Verdict::Invalid(reason) => {
                invalid += 1;
                let message = format!("line {number}: {reason}");
                if args.ignore_errors {
                    tracing::error!("{message}");
                    continue;
                }
                summary(total, invalid);
                bail!(ralph_core::Error::invalid_input(message));
            }
        };
        if out.write(json.as_bytes())? == Output::BrokenPipe
            || out.write(b"\n")? == Output::BrokenPipe
        {
            return Ok(());
        }
    }
    out.flush()?;
    summary(total, invalid);
    Ok(())
}
