//! Checkpoints of the write-ahead log, off the writer's path.
//!
//! In WAL mode a commit appends pages to the log, and a checkpoint later copies them into the
//! database file. SQLite runs that checkpoint inside the commit that crosses
//! `wal_autocheckpoint` pages, so a writer busy with a large batch also pays for copying the
//! previous ones. Here a thread of its own, with its own connection, runs a `PASSIVE`
//! checkpoint (which never blocks the writer or the readers) after each write and every
//! second; the writer's own automatic checkpoint stays as a bound on the log's size.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::thread::JoinHandle;
use std::time::Duration;

use ralph_core::{Error, Result};
use rusqlite::Connection;

/// How often the log is checkpointed when no write wakes the thread.
const IDLE: Duration = Duration::from_secs(1);

/// The checkpoint thread of one database; it stops when dropped.
pub(crate) struct Checkpointer {
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts checkpointing the database of `conn` (a connection of its own).
    pub(crate) fn start(conn: Connection, path: &Path) -> Result<Self> {
        let (wake, woken) = sync_channel(1);
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".to_owned())
            .spawn(move || run(&conn, &woken))
            .map_err(|e| Error::io(path, e))?;
        Ok(Self {
            wake: Some(wake),
            thread: Some(thread),
        })
    }

    /// Asks for a checkpoint soon (after a write); several asks before it runs make one.
    pub(crate) fn wake(&self) {
        if let Some(wake) = &self.wake {
            let _ = wake.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // Closing the channel stops the thread, which closes its connection.
        self.wake = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(conn: &Connection, woken: &Receiver<()>) {
    loop {
        match woken.recv_timeout(IDLE) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if let Err(err) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %err, "sqlite: checkpoint of the write-ahead log failed");
        }
    }
}
