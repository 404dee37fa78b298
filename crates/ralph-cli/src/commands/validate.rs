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

/// Lines validated together: read, validated on every core, printed in input order.
const BATCH: usize = 4096;

/// Validates a batch of lines on the available cores, keeping the input order.
fn validate_batch(lines: &[Vec<u8>], validate: fn(&str) -> Verdict) -> Vec<Option<Verdict>> {
    let one = |line: &Vec<u8>| -> Option<Verdict> {
        match std::str::from_utf8(line) {
            Ok(text) if text.trim().is_empty() => None,
            Ok(text) => Some(validate(text)),
            Err(_) => Some(Verdict::Invalid("not valid UTF-8".to_owned())),
        }
    };
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    if workers < 2 || lines.len() < 64 {
        return lines.iter().map(one).collect();
    }
    let per = lines.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = lines
            .chunks(per)
            .map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
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
    let mut lines = std::io::stdin().lock().split(b'\n');
    let mut out = Stdout::new();
    let (mut total, mut invalid, mut number) = (0u64, 0u64, 0usize);
    let summary = |total: u64, invalid: u64| {
        tracing::info!("Total events: {total}, Invalid events: {invalid}");
    };
    loop {
        let batch: Vec<Vec<u8>> = lines.by_ref().take(BATCH).collect::<Result<_, _>>()?;
        if batch.is_empty() {
            break;
        }
        for verdict in validate_batch(&batch, validate) {
            number += 1;
            let Some(verdict) = verdict else { continue };
            total += 1;
            let json = match verdict {
                Verdict::Valid(json) => json,
                Verdict::Unknown(json) if args.generic => json,
                Verdict::Unknown(_) => {
                    let message = format!("line {number}: no known event type matches this event");
                    if args.fail_on_unknown {
                        out.flush()?;
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
                    out.flush()?;
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
    }
    out.flush()?;
    summary(total, invalid);
    Ok(())
}
