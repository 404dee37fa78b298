//! Standard input as a record stream, standard output with broken-pipe detection, and the
//! progress display on standard error.

use std::io::{IsTerminal, Read, Write};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ralph_core::{Error, Record, RecordStream};
use tokio::sync::mpsc;

/// Bytes read from standard input per chunk.
const STDIN_CHUNK: usize = 64 * 1024;

/// Standard input as a stream of raw chunks, read on a thread of its own; at most a few chunks
/// wait in memory, whatever the input size.
pub fn stdin_stream() -> RecordStream {
    let (tx, mut rx) = mpsc::channel::<Result<Record, Error>>(8);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        loop {
            let mut buf = vec![0u8; STDIN_CHUNK];
            match stdin.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    buf.truncate(n);
                    if tx.blocking_send(Ok(Record::Raw(Bytes::from(buf)))).is_err() {
                        return;
                    }
                }
                Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
                Err(err) => {
                    let _ = tx.blocking_send(Err(Error::io("standard input", err)));
                    return;
                }
            }
        }
    });
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}

/// The outcome of writing to standard output.
#[derive(Debug, PartialEq, Eq)]
pub enum Output {
    /// Everything was written.
    Done,
    /// The reader went away (`ralph read | head -1`): not an error.
    BrokenPipe,
}

/// Buffered standard output that reports a closed pipe instead of failing.
pub struct Stdout {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
}

impl Default for Stdout {
    fn default() -> Self {
        Self::new()
    }
}

impl Stdout {
    /// Locks standard output.
    pub fn new() -> Self {
        Self {
            out: std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()),
        }
    }

    /// Writes bytes; `Ok(Output::BrokenPipe)` when the reader is gone.
    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<Output> {
        match self.out.write_all(bytes) {
            Ok(()) => Ok(Output::Done),
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(Output::BrokenPipe),
            Err(err) => Err(err),
        }
    }

    /// Flushes; `Ok(Output::BrokenPipe)` when the reader is gone.
    pub fn flush(&mut self) -> std::io::Result<Output> {
        match self.out.flush() {
            Ok(()) => Ok(Output::Done),
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(Output::BrokenPipe),
            Err(err) => Err(err),
        }
    }
}

/// A progress display on standard error: shown only when standard error is a terminal and the
/// work has lasted more than a second.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    shown: bool,
    enabled: bool,
}

impl Progress {
    /// A progress display counting `unit` (`bytes` or `records`).
    pub fn new(message: &'static str) -> Self {
        let bar = ProgressBar::hidden();
        let style = ProgressStyle::with_template(
            "{spinner} {msg}: {binary_bytes} ({binary_bytes_per_sec}) {elapsed}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.set_message(message);
        Self {
            bar,
            started: Instant::now(),
            shown: false,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    /// Counts `bytes` more bytes.
    pub fn add(&mut self, bytes: u64) {
        if !self.enabled {
            return;
        }
        self.bar.inc(bytes);
        if !self.shown && self.started.elapsed() > Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(200));
            self.shown = true;
        }
    }

    /// Removes the display.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// Wraps a record stream, counting its bytes; the display goes away with the stream.
    pub fn wrap(mut self, stream: RecordStream) -> RecordStream {
        if !self.enabled {
            return stream;
        }
        stream
            .map(move |item| {
                if let Ok(Record::Raw(bytes)) = &item {
                    self.add(bytes.len() as u64);
                }
                if item.is_err() {
                    self.finish();
                }
                item
            })
            .boxed()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
