//! The line loop shared by `validate` and `convert`: batches of input lines processed on every
//! core, results printed in input order, and Ralph's error policy.

use std::io::BufRead;
use std::sync::{Arc, Mutex, mpsc};

use anyhow::bail;

use crate::io::{Output, Stdout};

/// Lines processed together, at most.
const BATCH_LINES: usize = 2048;

/// Input bytes read for one batch, about (a longer line is read whole).
const BATCH_BYTES: usize = 1 << 20;

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

/// A batch of input lines: `data` holds them back to back, `ends[i]` is where line `i` ends
/// (after its `\n`, when it has one).
#[derive(Default)]
struct Batch {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Batch {
    fn lines(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter())
            .map(|(start, &end)| &self.data[start..end])
    }
}

/// Reads the next batch into `batch` (emptied first): whole lines, up to [`BATCH_LINES`] of
/// them or about [`BATCH_BYTES`].
fn read_batch(reader: &mut impl BufRead, mut batch: Batch) -> std::io::Result<Batch> {
    batch.data.clear();
    batch.ends.clear();
    while batch.ends.len() < BATCH_LINES && batch.data.len() < BATCH_BYTES {
        if reader.read_until(b'\n', &mut batch.data)? == 0 {
            break;
        }
        batch.ends.push(batch.data.len());
    }
    Ok(batch)
}

/// The verdict of `f` on one raw line.
fn judge<F>(line: &[u8], f: &F) -> Verdict
where
    F: Fn(&str) -> Verdict,
{
    match std::str::from_utf8(line) {
        Ok(text) if text.trim().is_empty() => Verdict::Blank,
        Ok(text) => f(text),
        Err(_) => Verdict::Invalid("not valid UTF-8".to_owned()),
    }
}

/// The verdicts of a batch, in input order (or the input error that ended the reading).
type Verdicts = std::io::Result<Vec<Verdict>>;

/// Starts the pipeline over standard input: a reader thread cuts the input into batches, one
/// worker per core judges them, and the returned channel yields, in input order, one receiver
/// per batch for its verdicts. At most a few batches are in flight, whatever the input size,
/// so memory stays flat while every core works and the caller prints.
///
/// The threads are detached: when the caller stops early (an invalid line, a closed pipe), the
/// process exits without waiting for a reader blocked on standard input.
fn pipeline<F>(f: F) -> mpsc::Receiver<mpsc::Receiver<Verdicts>>
where
    F: Fn(&str) -> Verdict + Send + Sync + 'static,
{
    let workers = std::thread::available_parallelism().map_or(1, usize::from);
    let f = Arc::new(f);
    let (work_tx, work_rx) = mpsc::sync_channel::<(Batch, mpsc::SyncSender<Verdicts>)>(workers);
    let work_rx = Arc::new(Mutex::new(work_rx));
    // Batches the workers are done with, back to the reader.
    let (spent_tx, spent_rx) = mpsc::sync_channel::<Batch>(workers * 4);
    for _ in 0..workers {
        let work_rx = Arc::clone(&work_rx);
        let spent_tx = spent_tx.clone();
        let f = Arc::clone(&f);
        std::thread::spawn(move || {
            loop {
                let next = work_rx
                    .lock()
                    .map_err(|_| ())
                    .and_then(|rx| rx.recv().map_err(|_| ()));
                let Ok((batch, done)) = next else {
                    return;
                };
                let verdicts = batch.lines().map(|line| judge(line, &*f)).collect();
                let _ = done.send(Ok(verdicts));
                // The reader fills it again: its buffers are reused instead of reallocated
                // (and their pages faulted in again) for every batch.
                let _ = spent_tx.try_send(batch);
            }
        });
    }
    let (order_tx, order_rx) = mpsc::sync_channel(workers * 2);
    std::thread::spawn(move || {
        let mut input = std::io::stdin().lock();
        loop {
            let batch = read_batch(&mut input, spent_rx.try_recv().unwrap_or_default());
            if batch.as_ref().is_ok_and(|batch| batch.ends.is_empty()) {
                return; // the end of the input
            }
            let (done_tx, done_rx) = mpsc::sync_channel(1);
            if order_tx.send(done_rx).is_err() {
                return;
            }
            match batch {
                Ok(batch) => {
                    if work_tx.send((batch, done_tx)).is_err() {
                        return;
                    }
                }
                Err(err) => {
                    let _ = done_tx.send(Err(err));
                    return;
                }
            }
        }
    });
    order_rx
}

/// Runs `f` on every line of standard input (the line includes its `\n`), prints the outputs in
/// input order, applies `policy`, and logs `Total events: N, Invalid events: M`.
pub fn run<F>(policy: Policy, f: F) -> anyhow::Result<()>
where
    F: Fn(&str) -> Verdict + Send + Sync + 'static,
{
    run_with_header(policy, None, f)
}

/// [`run`], printing `header` as the first line of the output (a CSV header row).
pub fn run_with_header<F>(policy: Policy, header: Option<&str>, f: F) -> anyhow::Result<()>
where
    F: Fn(&str) -> Verdict + Send + Sync + 'static,
{
    let batches = pipeline(f);
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
    for done in batches {
        let verdicts = done
            .recv()
            .map_err(|_| anyhow::anyhow!("internal error: a worker thread stopped"))??;
        for verdict in verdicts {
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
