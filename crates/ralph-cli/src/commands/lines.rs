//! The line loop shared by `validate` and `convert`: batches of input lines processed on every
//! core, results printed in input order, and Ralph's error policy.

use std::io::BufRead;

use anyhow::bail;

use crate::io::{Output, Stdout};

/// Lines processed together.
const BATCH: usize = 4096;

/// What became of one input line.
pub enum Verdict {
    /// A blank line: nothing to do.
    Blank,
    /// Print this line.
    Output(String),
    /// The event is of no known type (or has no conversion): the reason, and the line to print
    /// when unknown events are accepted (`--generic`).
    Unknown(String, Option<String>),
    /// The event is invalid: the reason.
    Invalid(String),
}

/// How to treat unknown and invalid events.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// Report and skip invalid events instead of stopping.
    pub ignore_errors: bool,
    /// Stop at an unknown event (even with `ignore_errors`).
    pub fail_on_unknown: bool,
    /// Print unknown events that carry an output.
    pub accept_unknown: bool,
}

/// Reads up to `max` lines, each with its trailing `\n` when it has one.
fn read_batch(reader: &mut impl BufRead, max: usize) -> std::io::Result<Vec<Vec<u8>>> {
    let mut batch = Vec::with_capacity(max.min(BATCH));
    while batch.len() < max {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        batch.push(line);
    }
    Ok(batch)
}

/// Applies `f` to every line of `lines` on the available cores, keeping the order.
fn parallel_map<F>(lines: &[Vec<u8>], f: &F) -> Vec<Verdict>
where
    F: Fn(&str) -> Verdict + Sync,
{
    let one = |line: &Vec<u8>| match std::str::from_utf8(line) {
        Ok(text) if text.trim().is_empty() => Verdict::Blank,
        Ok(text) => f(text),
        Err(_) => Verdict::Invalid("not valid UTF-8".to_owned()),
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

/// Runs `f` on every line of standard input (the line includes its `\n`), prints the outputs in
/// input order, applies `policy`, and logs `Total events: N, Invalid events: M`.
pub fn run<F>(policy: Policy, f: F) -> anyhow::Result<()>
where
    F: Fn(&str) -> Verdict + Sync,
{
    run_with_header(policy, None, f)
}

/// [`run`], printing `header` as the first line of the output (a CSV header row).
pub fn run_with_header<F>(policy: Policy, header: Option<&str>, f: F) -> anyhow::Result<()>
where
    F: Fn(&str) -> Verdict + Sync,
{
    let mut input = std::io::stdin().lock();
    let mut out = Stdout::new();
    if let Some(header) = header
        && (out.write(header.as_bytes())? == Output::BrokenPipe
            || out.write(b"\n")? == Output::BrokenPipe)
    {
        return Ok(());
    }
    let (mut total, mut invalid, mut number) = (0u64, 0u64, 0usize);
    let summary = |total: u64, invalid: u64| {
        tracing::info!("Total events: {total}, Invalid events: {invalid}");
    };
    loop {
        let batch = read_batch(&mut input, BATCH)?;
        if batch.is_empty() {
            break;
        }
        for verdict in parallel_map(&batch, &f) {
            number += 1;
            if matches!(verdict, Verdict::Blank) {
                continue;
            }
            total += 1;
            let line = match verdict {
                Verdict::Blank => continue,
                Verdict::Output(line) => line,
                Verdict::Unknown(reason, output) => match output {
                    Some(line) if policy.accept_unknown => line,
                    _ => {
                        let message = format!("line {number}: {reason}");
                        if policy.fail_on_unknown {
                            out.flush()?;
                            summary(total, invalid);
                            bail!(ralph_core::Error::invalid_input(message));
                        }
                        tracing::error!("{message}");
                        continue;
                    }
                },
                Verdict::Invalid(reason) => {
                    invalid += 1;
                    let message = format!("line {number}: {reason}");
                    if policy.ignore_errors {
                        tracing::error!("{message}");
                        continue;
                    }
                    out.flush()?;
                    summary(total, invalid);
                    bail!(ralph_core::Error::invalid_input(message));
                }
            };
            if out.write(line.as_bytes())? == Output::BrokenPipe
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
