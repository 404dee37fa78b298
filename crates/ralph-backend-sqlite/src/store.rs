//! The SQLite statement store.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ralph_core::lrs::sql::{self, Dialect, SqlParam, SqlQuery, StatementTables};
use ralph_core::lrs::{
    Attachment, DeleteFilter, DeleteReport, Document, DocumentKey, DocumentScope, FoundStatement,
    Ifi, LrsStore, Precondition, Relation, StatementChunks, StatementPage, StatementQuery,
    equivalent, referenced_statement, statement_activities, statement_agents, statement_id,
    stored_at, voided_target,
};
use ralph_core::{BackendStatus, Error, ErrorKind, Result};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params, params_from_iter};
use serde_json::Value;

use crate::checkpoint::Checkpointer;
use crate::documents;
use crate::keys::{self, Ids, Kind};

/// The schema: one row per statement, plus one row per (agent, statement) and (activity,
/// statement) pair so that every xAPI filter is an index lookup.
const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS statements (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    target TEXT NOT NULL,
    id TEXT NOT NULL,
    stored_us INTEGER NOT NULL,
    verb TEXT,
    registration TEXT,
    authority TEXT,
    voids TEXT,
    voided INTEGER NOT NULL DEFAULT 0,
    body TEXT NOT NULL,
    UNIQUE (target, id)
);
-- Unfiltered pages walk this index in `seq` order instead of sorting the whole target.
CREATE INDEX IF NOT EXISTS statements_target_seq ON statements (target, seq);
CREATE INDEX IF NOT EXISTS statements_verb ON statements (target, verb, seq);
-- Most statements have no registration: only those with one are in its index.
CREATE INDEX IF NOT EXISTS statements_registered ON statements (target, registration, seq)
    WHERE registration IS NOT NULL;
-- Replaced by `statements_registered` in databases made before it.
DROP INDEX IF EXISTS statements_registration;
CREATE INDEX IF NOT EXISTS statements_authority ON statements (target, authority, seq);
CREATE INDEX IF NOT EXISTS statements_stored ON statements (target, stored_us);
CREATE INDEX IF NOT EXISTS statements_voids ON statements (target, voids) WHERE voids IS NOT NULL;
-- The agents (IFI keys) and activities (IRIs) of the statements, by id (see `keys.rs`).
CREATE TABLE IF NOT EXISTS agents (id INTEGER PRIMARY KEY, ifi TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS activities (id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS agent_statements (
    agent INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    direct INTEGER NOT NULL,
    PRIMARY KEY (agent, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS activity_statements (
    activity INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    direct INTEGER NOT NULL,
    PRIMARY KEY (activity, seq)
) WITHOUT ROWID;
";

/// Adds the `ref` column (the id a `StatementRef` object targets) to databases made before it
/// existed, fills it in, and indexes the statements that have one.
fn add_reference_column(conn: &Connection) -> Result<()> {
    let has_ref: bool = conn
        .query_row(
            "SELECT count(*) FROM pragma_table_info('statements') WHERE name = 'ref'",
            [],
            |row| row.get::<_, i64>(0),
        )
        .map_err(db_error)?
        > 0;
    if !has_ref {
        conn.execute_batch(
            "ALTER TABLE statements ADD COLUMN ref TEXT;
             UPDATE statements SET ref = json_extract(body, '$.object.id')
             WHERE json_extract(body, '$.object.objectType') = 'StatementRef';",
        )
        .map_err(db_error)?;
    }
    // Filters that follow references walk the referencing statements in `seq` order.
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS statements_referencing ON statements (target, seq) \
         WHERE ref IS NOT NULL;",
    )
    .map_err(db_error)
}

/// Adds the `stored_max_us` column to databases made before it existed, fills it in, and
/// indexes it.
///
/// `stored_max_us` is the running maximum of `stored_us` in `seq` order (over every target):
/// it never decreases with `seq`, so the statements stored after a time `since` all come at or
/// after the first `seq` whose `stored_max_us` is past `since`, which its index finds in one
/// lookup ([`first_seq_since`]). Pages with `since` then walk the `(target, seq)` index from
/// there, however many statements were stored before, and whatever the order in which
/// concurrent requests got their `stored` time and their `seq`.
fn add_stored_max_column(conn: &Connection) -> Result<()> {
    let has_column: bool = conn
        .query_row(
            "SELECT count(*) FROM pragma_table_info('statements') WHERE name = 'stored_max_us'",
            [],
            |row| row.get::<_, i64>(0),
        )
        .map_err(db_error)?
        > 0;
    if !has_column {
        conn.execute_batch(
            "BEGIN;
             ALTER TABLE statements ADD COLUMN stored_max_us INTEGER;
             UPDATE statements SET stored_max_us = m.running
             FROM (SELECT seq, max(stored_us) OVER (ORDER BY seq) AS running FROM statements) AS m
             WHERE statements.seq = m.seq;
             COMMIT;",
        )
        .map_err(db_error)?;
    }
    conn.execute_batch(
        "CREATE INDEX IF NOT EXISTS statements_stored_max ON statements (stored_max_us);",
    )
    .map_err(db_error)
}

/// The first sequence number a statement stored after `since` can have (`None`: there is
/// none), from the running maximum of `stored_us` (see [`add_stored_max_column`]).
fn first_seq_since(conn: &Connection, since: DateTime<Utc>) -> Result<Option<i64>> {
    conn.prepare_cached(
        "SELECT seq FROM statements WHERE stored_max_us > ?1 ORDER BY stored_max_us, seq LIMIT 1",
    )
    .and_then(|mut s| {
        s.query_row(params![since.timestamp_micros()], |row| row.get(0))
            .optional()
    })
    .map_err(db_error)
}

/// The in-memory database path.
pub const MEMORY: &str = ":memory:";

/// The page size of a new database file.
const PAGE_SIZE: i64 = 16_384;

/// How much of the database file each connection maps in memory (address space, not memory:
/// the pages are the operating system's file cache).
const MMAP_SIZE: i64 = 1 << 30;

/// The size of the write-ahead log, in pages, past which the writer checkpoints it itself
/// (256 MiB with [`PAGE_SIZE`]); below it, [`Checkpointer`] does.
const WRITER_CHECKPOINT_PAGES: i64 = 16_384;

pub(crate) fn db_error(err: rusqlite::Error) -> Error {
    let kind = match &err {
        rusqlite::Error::SqliteFailure(e, _)
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            ErrorKind::Unavailable
        }
        _ => ErrorKind::Backend,
    };
    Error::new(kind, format!("sqlite: {err}")).with_source(err)
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// Checkpoints the write-ahead log (none in memory).
    checkpointer: Option<Checkpointer>,
}

fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    // A panic while holding a connection leaves SQLite consistent (an open transaction is
    // rolled back when dropped), so a poisoned lock is used as is.
    conn.lock().unwrap_or_else(|p| p.into_inner())
}

impl Inner {
    fn reader(&self) -> MutexGuard<'_, Connection> {
        if self.readers.is_empty() {
            return lock(&self.writer);
        }
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
        lock(&self.readers[i])
    }
}

/// The SQLite LRS store: statements in one database file, written by one connection and read by
/// a few others, every call run on tokio's blocking pool.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

fn open_connection(path: &Path, busy_timeout: Duration) -> Result<Connection> {
    let conn = if path.as_os_str() == MEMORY {
        Connection::open_in_memory()
    } else {
        Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
    }
    .map_err(|e| db_error(e).context(format!("opening `{}`", path.display())))?;
    conn.busy_timeout(busy_timeout).map_err(db_error)?;
    // 64 MiB of page cache (SQLite's default is 2 MiB): the indexes of a million statements
    // then stay in memory instead of being read again from the OS at each insert or page.
    conn.pragma_update(None, "cache_size", -65_536)
        .map_err(db_error)?;
    // Pages of the database file read through a memory map rather than copied by a `read`
    // call each: a filtered page of statements touches a hundred pages or so.
    conn.pragma_update(None, "mmap_size", MMAP_SIZE)
        .map_err(db_error)?;
    Ok(conn)
}

impl SqliteStore {
    /// Opens (creating when missing) the database at `path`, `:memory:` for a private in-memory
    /// one, with `read_connections` connections for reads.
    pub fn open(
        path: impl Into<PathBuf>,
        read_connections: usize,
        busy_timeout_ms: u64,
    ) -> Result<Self> {
        let path = path.into();
        let memory = path.as_os_str() == MEMORY;
        if !memory && let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        let timeout = Duration::from_millis(busy_timeout_ms);
        let writer = open_connection(&path, timeout)?;
        if !memory {
            // 16 KiB pages for a new database (SQLite's default is 4 KiB): statements of a
            // kilobyte or so fill fewer pages and the B-trees split less often. An existing
            // database keeps its page size.
            writer
                .pragma_update(None, "page_size", PAGE_SIZE)
                .map_err(db_error)?;
            // WAL: readers never block the writer nor the other way round; NORMAL sync is
            // durable across process crashes, which is what an LRS acknowledges.
            writer
                .pragma_update(None, "journal_mode", "WAL")
                .map_err(db_error)?;
            writer
                .pragma_update(None, "synchronous", "NORMAL")
                .map_err(db_error)?;
            // The checkpoint thread copies the log into the database; the writer checkpoints
            // only when the log grows past this many pages.
            writer
                .pragma_update(None, "wal_autocheckpoint", WRITER_CHECKPOINT_PAGES)
                .map_err(db_error)?;
        }
        writer.execute_batch(SCHEMA).map_err(db_error)?;
        keys::migrate(&writer)?;
        add_reference_column(&writer)?;
        add_stored_max_column(&writer)?;
        writer
            .execute_batch(crate::documents::SCHEMA)
            .map_err(db_error)?;
        let readers = if memory {
            Vec::new()
        } else {
            (0..read_connections)
                .map(|_| open_connection(&path, timeout).map(Mutex::new))
                .collect::<Result<Vec<_>>>()?
        };
        let checkpointer = if memory {
            None
        } else {
            Some(Checkpointer::start(
                open_connection(&path, timeout)?,
                &path,
            )?)
        };
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
                checkpointer,
            }),
        })
    }

    /// A private in-memory store, for tests and embedding.
    pub fn in_memory() -> Result<Self> {
        Self::open(MEMORY, 0, 5000)
    }

    /// The database path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Every target holding statements, with its number of statements, sorted by name (`""` is
    /// the target of statements stored without one).
    pub async fn targets(&self) -> Result<Vec<(String, u64)>> {
        self.with_reader(|conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT target, count(*) FROM statements GROUP BY target ORDER BY target",
                )
                .map_err(db_error)?;
            let rows = stmt
                .query_map([], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
                })
                .map_err(db_error)?;
            rows.map(|r| {
                r.map(|(t, n)| (t, u64::try_from(n).unwrap_or_default()))
                    .map_err(db_error)
            })
            .collect()
        })
        .await
    }

    /// Runs `f` on the blocking pool with the writer connection.
    pub(crate) async fn with_writer<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let done = f(&mut lock(&inner.writer));
            if let Some(checkpointer) = &inner.checkpointer {
                checkpointer.wake();
            }
            done
        })
        .await
        .map_err(|e| Error::backend(format!("sqlite task failed: {e}")))?
    }

    /// Runs `f` on the blocking pool with a reader connection.
    pub(crate) async fn with_reader<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || f(&inner.reader()))
            .await
            .map_err(|e| Error::backend(format!("sqlite task failed: {e}")))?
    }
}

fn target_key(target: Option<&str>) -> String {
    target.unwrap_or_default().to_owned()
}

fn decode(body: &str) -> Result<Value> {
    serde_json::from_str(body)
        .map_err(|e| Error::backend(format!("sqlite: stored statement is not JSON: {e}")))
}

/// What a statement's row and its index rows hold, computed before the write transaction.
pub(crate) struct Row {
    id: String,
    /// `stored` in microseconds; `None` (statements written as data) takes the insert time.
    stored_us: Option<i64>,
    verb: Option<String>,
    registration: Option<String>,
    authority: Option<String>,
    voids: Option<String>,
    reference: Option<String>,
    body: String,
    agents: Vec<(String, bool)>,
    activities: Vec<(String, bool)>,
}

impl Row {
    fn of(statement: &Value) -> Result<Self> {
        let Some(id) = statement_id(statement).map(str::to_owned) else {
            return Err(Error::invalid_input("statement has no string `id`"));
        };
        let body = serde_json::to_string(statement)
            .map_err(|e| Error::invalid_input(format!("statement `{id}`: {e}")))?;
        Ok(Self {
            stored_us: stored_at(statement).map(|t| t.timestamp_micros()),
            verb: statement
                .pointer("/verb/id")
                .and_then(Value::as_str)
                .map(str::to_owned),
            registration: statement
                .pointer("/context/registration")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase),
            authority: statement
                .get("authority")
                .and_then(Ifi::of)
                .map(|i| i.key()),
            voids: voided_target(statement).map(str::to_owned),
            reference: referenced_statement(statement).map(str::to_owned),
            agents: statement_agents(statement)
                .into_iter()
                .map(|(ifi, relation)| (ifi.key(), relation == Relation::Direct))
                .collect(),
            activities: statement_activities(statement)
                .into_iter()
                .map(|(iri, relation)| (iri, relation == Relation::Direct))
                .collect(),
            id,
            body,
        })
    }
}

/// The rows of `statements`, computed (and the statements dropped) on up to two threads: the
/// write transaction, which only one connection can run, then only writes.
pub(crate) fn rows(statements: Vec<Value>) -> Result<Vec<Row>> {
    const PARALLEL_FROM: usize = 256;
    let threads = if statements.len() < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(2))
    };
    let chunk = statements.len().div_ceil(threads).max(1);
    let mut statements = statements;
    let mut chunks = Vec::with_capacity(threads);
    while statements.len() > chunk {
        chunks.push(statements.split_off(statements.len() - chunk));
    }
    chunks.push(statements);
    chunks.reverse();
    let convert = |chunk: Vec<Value>| chunk.iter().map(Row::of).collect::<Result<Vec<_>>>();
    let mut parts = std::thread::scope(|scope| {
        let mut handles: Vec<_> = chunks
            .drain(1..)
            .map(|chunk| scope.spawn(move || convert(chunk)))
            .collect();
        let first = chunks.pop().map(convert);
        let mut parts = vec![first.unwrap_or_else(|| Ok(Vec::new()))];
        parts.extend(handles.drain(..).map(|h| {
            h.join()
                .unwrap_or_else(|_| Err(Error::backend("sqlite: preparing rows panicked")))
        }));
        parts
    })
    .into_iter();
    let mut all = parts.next().unwrap_or_else(|| Ok(Vec::new()))?;
    for part in parts {
        all.extend(part?);
    }
    Ok(all)
}

/// The rows of one chunk of [`LrsStore::insert_chunks`]. A panic is an error too: the writer
/// commits when the chunks end, so the chunks must never just stop.
fn row_chunk(statements: &[Value]) -> Result<Vec<Row>> {
    std::panic::catch_unwind(|| statements.iter().map(Row::of).collect::<Result<Vec<_>>>())
        .unwrap_or_else(|_| Err(Error::backend("sqlite: preparing rows panicked")))
}

/// How many chunks of rows wait for the writer at most, in [`LrsStore::insert_chunks`].
const ROW_CHUNKS_IN_FLIGHT: usize = 2;

/// Inserts `statements` into `target` in one transaction (see [`LrsStore::insert`]).
#[cfg(test)]
pub(crate) fn insert_batch(
    conn: &mut Connection,
    target: &str,
    statements: Vec<Value>,
) -> Result<Vec<String>> {
    insert_rows(conn, target, rows(statements)?)
}

/// Inserts the statements of `rows` into `target` in one transaction.
pub(crate) fn insert_rows(
    conn: &mut Connection,
    target: &str,
    rows: Vec<Row>,
) -> Result<Vec<String>> {
    let tx = conn.transaction().map_err(db_error)?;
    let inserted = insert_in(&tx, target, rows, &mut Ids::default())?;
    tx.commit().map_err(db_error)?;
    Ok(inserted)
}

/// Inserts the chunks of rows `chunks` sends into `target` in one transaction, writing each
/// chunk as it arrives (see [`LrsStore::insert_chunks`]).
///
/// After the store refuses a chunk (a conflict), the remaining chunks are still received, so
/// that a producer's error sent after it is the one returned.
pub(crate) fn insert_row_chunks(
    conn: &mut Connection,
    target: &str,
    chunks: std::sync::mpsc::Receiver<Result<Vec<Row>>>,
) -> Result<Vec<String>> {
    let tx = conn.transaction().map_err(db_error)?;
    let mut ids = Ids::default();
    let mut inserted = Vec::new();
    let mut refused = None;
    for chunk in chunks {
        match chunk {
            Err(err) => return Err(err),
            Ok(rows) if refused.is_none() => match insert_in(&tx, target, rows, &mut ids) {
                Ok(ids) => inserted.extend(ids),
                Err(err) => refused = Some(err),
            },
            Ok(_) => {}
        }
    }
    if let Some(err) = refused {
        return Err(err);
    }
    tx.commit().map_err(db_error)?;
    Ok(inserted)
}

/// The statements of [`insert_rows`], in its transaction `tx`: each query is prepared once
/// per transaction, and `ids` are the agent and activity ids met in it.
fn insert_in(
    tx: &rusqlite::Transaction<'_>,
    target: &str,
    rows: Vec<Row>,
    ids: &mut Ids,
) -> Result<Vec<String>> {
    let prepare = |sql: &str| tx.prepare_cached(sql).map_err(db_error);
    let mut select_body = prepare("SELECT body FROM statements WHERE target = ?1 AND id = ?2")?;
    let mut select_voids = prepare("SELECT voids FROM statements WHERE target = ?1 AND id = ?2")?;
    let mut void = prepare("UPDATE statements SET voided = 1 WHERE target = ?1 AND id = ?2")?;
    let mut select_voider =
        prepare("SELECT 1 FROM statements WHERE target = ?1 AND voids = ?2 LIMIT 1")?;
    // A statement already stored under the id inserts nothing: `changes` tells, and the
    // stored body is read then, only for the ids sent again.
    let mut insert = prepare(
        "INSERT INTO statements (target, id, stored_us, verb, registration, authority, voids, voided, body, ref, stored_max_us)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)
         ON CONFLICT (target, id) DO NOTHING",
    )?;
    let mut inserted = Vec::with_capacity(rows.len());
    // The running maximum of `stored_us` (see `add_stored_max_column`).
    let mut stored_max: i64 = prepare("SELECT max(stored_max_us) FROM statements")?
        .query_row([], |row| row.get::<_, Option<i64>>(0))
        .map_err(db_error)?
        .unwrap_or(i64::MIN);
    // Whether the target holds a voiding statement: until it does, no statement arrives voided
    // and none needs looking up.
    let mut voiders =
        prepare("SELECT 1 FROM statements WHERE target = ?1 AND voids IS NOT NULL LIMIT 1")?
            .query_row(params![target], |_| Ok(()))
            .optional()
            .map_err(db_error)?
            .is_some();
    let same_or_conflict = |id: &str, body: String, row_body: &str| -> Result<()> {
        if equivalent(&decode(&body)?, &decode(row_body)?) {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Conflict,
                format!("a different statement is already stored with id `{id}`"),
            ))
        }
    };
    for row in rows {
        let id = row.id;
        // Statements written as data (`ralph write -b sqlite`) may have no `stored`: they are
        // ordered by their time of insertion.
        let stored_us = row
            .stored_us
            .unwrap_or_else(|| chrono::Utc::now().timestamp_micros());
        if let Some(voided_id) = &row.voids {
            // A voiding statement sent again voids nothing more: it is looked up first.
            let existing: Option<String> = select_body
                .query_row(params![target, id], |r| r.get(0))
                .optional()
                .map_err(db_error)?;
            if let Some(body) = existing {
                same_or_conflict(&id, body, &row.body)?;
                continue;
            }
            let target_voids: Option<Option<String>> = select_voids
                .query_row(params![target, voided_id], |r| r.get(0))
                .optional()
                .map_err(db_error)?;
            if matches!(target_voids, Some(Some(_))) {
                return Err(Error::invalid_input(format!(
                    "statement `{id}` voids `{voided_id}`, a voiding statement: voiding statements cannot be voided"
                )));
            }
            void.execute(params![target, voided_id]).map_err(db_error)?;
        }
        // A voiding statement stored before its target voids it on arrival.
        let voided = row.voids.is_none()
            && voiders
            && select_voider
                .query_row(params![target, id], |_| Ok(()))
                .optional()
                .map_err(db_error)?
                .is_some();
        let running_max = stored_max.max(stored_us);
        let changed = insert
            .execute(params![
                target,
                id,
                stored_us,
                row.verb,
                row.registration,
                row.authority,
                row.voids,
                voided,
                row.body,
                row.reference,
                running_max
            ])
            .map_err(db_error)?;
        if changed == 0 {
            let body: String = select_body
                .query_row(params![target, id], |r| r.get(0))
                .map_err(db_error)?;
            same_or_conflict(&id, body, &row.body)?;
            continue;
        }
        stored_max = running_max;
        voiders |= row.voids.is_some();
        let seq = tx.last_insert_rowid();
        for (ifi, direct) in &row.agents {
            ids.link(tx, Kind::Agent, ifi, seq, *direct)?;
        }
        for (iri, direct) in &row.activities {
            ids.link(tx, Kind::Activity, iri, seq, *direct)?;
        }
        inserted.push(id);
    }
    Ok(inserted)
}

/// The query of one page of `query` (`None`: nothing was stored after its `since`).
pub(crate) fn page_sql(
    conn: &Connection,
    target: &str,
    query: &StatementQuery,
) -> Result<Option<SqlQuery>> {
    let first_seq = match query.since {
        Some(since) => match first_seq_since(conn, since)? {
            Some(first) => Some(first),
            None => return Ok(None),
        },
        None => None,
    };
    sql::statement_page_from(Dialect::Sqlite, TABLES, target, query, first_seq).map(Some)
}

/// One page of `query` (see [`LrsStore::query`]).
pub(crate) fn query_page(
    conn: &Connection,
    target: &str,
    query: &StatementQuery,
) -> Result<StatementPage> {
    let limit = query.limit.max(1);
    let Some(SqlQuery { sql, params }) = page_sql(conn, target, query)? else {
        return Ok(StatementPage {
            statements: Vec::new(),
            more: None,
        });
    };
    let mut stmt = conn.prepare_cached(&sql).map_err(db_error)?;
    let rows = stmt
        .query_map(params_from_iter(params.into_iter().map(bound)), |row| {
            Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
        })
        .map_err(db_error)?;
    let mut found = rows
        .map(|row| {
            let (seq, body) = row.map_err(db_error)?;
            Ok((seq, decode(&body)?))
        })
        .collect::<Result<Vec<(i64, Value)>>>()?;
    if query.follows_references() {
        let through = through_references(conn, target, query, limit + 1)?;
        if !through.is_empty() {
            found.extend(through);
            found.sort_by_key(|(seq, _)| if query.ascending { *seq } else { -*seq });
        }
    }
    let more = found.len() > limit;
    found.truncate(limit);
    let last_seq = found.last().map(|(seq, _)| *seq);
    Ok(StatementPage {
        statements: found.into_iter().map(|(_, s)| s).collect(),
        more: if more {
            last_seq.map(|s| s.to_string())
        } else {
            None
        },
    })
}

/// The first `wanted` statements of the page that meet the filters only through the statements
/// their `StatementRef` targets (those meeting them directly come from the main query).
///
/// Only statements with a `StatementRef` object are read, in page order and in batches, from a
/// partial index; their targets are looked up by id.
fn through_references(
    conn: &Connection,
    target: &str,
    query: &StatementQuery,
    wanted: usize,
) -> Result<Vec<(i64, Value)>> {
    const BATCH: i64 = 500;
    let sql = sql::reference_candidates(Dialect::Sqlite, TABLES, query.ascending);
    let mut stmt = conn.prepare_cached(&sql).map_err(db_error)?;
    let mut after = sql::page_cursor(query)?;
    let mut out = Vec::new();
    loop {
        let params = sql::reference_candidates_params(target, query, after, BATCH);
        let mut rows = stmt
            .query(params_from_iter(params.into_iter().map(bound)))
            .map_err(db_error)?;
        let mut read = 0;
        while let Some(row) = rows.next().map_err(db_error)? {
            read += 1;
            let seq: i64 = row.get(0).map_err(db_error)?;
            let body: String = row.get(1).map_err(db_error)?;
            after = Some(seq);
            let statement = decode(&body)?;
            if query.matches(&statement) {
                continue;
            }
            let mut failure = None;
            let mut resolve = |id: &str| match get_one(conn, target, id) {
                Ok(found) => found.map(|f| f.statement),
                Err(err) => {
                    failure = Some(err);
                    None
                }
            };
            let matched = query.matches_through_references(&statement, &mut resolve);
            if let Some(err) = failure {
                return Err(err);
            }
            if matched {
                out.push((seq, statement));
                if out.len() >= wanted {
                    return Ok(out);
                }
            }
        }
        if read < BATCH {
            return Ok(out);
        }
    }
}

/// A shared-SQL parameter as SQLite binds it (times as microseconds).
fn bound(param: SqlParam) -> rusqlite::types::Value {
    use rusqlite::types::Value as Sql;
    match param {
        SqlParam::Text(text) => Sql::Text(text),
        SqlParam::Integer(n) => Sql::Integer(n),
        SqlParam::Time(at) => Sql::Integer(at.timestamp_micros()),
        SqlParam::NoTime => Sql::Null,
    }
}

/// The statement tables, as the shared SQL names them.
const TABLES: StatementTables<'static> = StatementTables {
    statements: "statements",
    agents: "agent_statements",
    activities: "activity_statements",
    agent_match: "a.agent = (SELECT id FROM agents WHERE ifi = ?)",
    activity_match: "c.activity = (SELECT id FROM activities WHERE iri = ?)",
};

fn get_one(conn: &Connection, target: &str, id: &str) -> Result<Option<FoundStatement>> {
    let row: Option<(String, bool)> = conn
        .query_row(
            "SELECT body, voided FROM statements WHERE target = ?1 AND id = ?2",
            params![target, id],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()
        .map_err(db_error)?;
    row.map(|(body, voided)| {
        Ok(FoundStatement {
            statement: decode(&body)?,
            voided,
        })
    })
    .transpose()
}

#[async_trait]
impl LrsStore for SqliteStore {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    async fn status(&self) -> BackendStatus {
        match self
            .with_reader(|conn| {
                conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
                    .map_err(db_error)
            })
            .await
        {
            Ok(()) => BackendStatus::Ok,
            Err(err) => {
                tracing::warn!(target: "ralph", "sqlite store status: {err}");
                BackendStatus::Error
            }
        }
    }

    async fn insert(&self, target: Option<&str>, statements: Vec<Value>) -> Result<Vec<String>> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        let target = target_key(target);
        // The rows are computed on the blocking pool, before the writer connection is taken.
        let rows = tokio::task::spawn_blocking(move || rows(statements))
            .await
            .map_err(|e| Error::backend(format!("sqlite task failed: {e}")))??;
        self.with_writer(move |conn| insert_rows(conn, &target, rows))
            .await
    }

    /// Three stages run at once: the producer of `chunks`, a thread turning each chunk into
    /// rows, and the writer inserting the rows of the chunks before.
    async fn insert_chunks(
        &self,
        target: Option<&str>,
        mut chunks: StatementChunks,
    ) -> Result<Vec<String>> {
        let target = target_key(target);
        let (sender, rows) = std::sync::mpsc::sync_channel(ROW_CHUNKS_IN_FLIGHT);
        let preparer = tokio::task::spawn_blocking(move || {
            while let Some(chunk) = chunks.blocking_recv() {
                let prepared = chunk.and_then(|statements| row_chunk(&statements));
                let failed = prepared.is_err();
                // A send fails only once the writer is gone, having returned its error.
                if sender.send(prepared).is_err() || failed {
                    break;
                }
            }
        });
        let inserted = self
            .with_writer(move |conn| insert_row_chunks(conn, &target, rows))
            .await;
        preparer
            .await
            .map_err(|e| Error::backend(format!("sqlite task failed: {e}")))?;
        inserted
    }

    async fn query(&self, target: Option<&str>, query: &StatementQuery) -> Result<StatementPage> {
        let target = target_key(target);
        let query = query.clone();
        self.with_reader(move |conn| query_page(conn, &target, &query))
            .await
    }

    async fn get(&self, target: Option<&str>, id: &str) -> Result<Option<FoundStatement>> {
        let target = target_key(target);
        let id = id.to_owned();
        self.with_reader(move |conn| get_one(conn, &target, &id))
            .await
    }

    async fn document(&self, target: Option<&str>, key: &DocumentKey) -> Result<Option<Document>> {
        let target = target_key(target);
        let key = key.clone();
        self.with_reader(move |conn| documents::get(conn, &target, &key))
            .await
    }

    async fn document_ids(
        &self,
        target: Option<&str>,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>> {
        let target = target_key(target);
        let scope = scope.clone();
        self.with_reader(move |conn| documents::ids(conn, &target, &scope, since))
            .await
    }

    async fn put_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        document: Document,
        precondition: &Precondition,
    ) -> Result<()> {
        let target = target_key(target);
        let (key, precondition) = (key.clone(), precondition.clone());
        self.with_writer(move |conn| documents::put(conn, &target, &key, &document, &precondition))
            .await
    }

    async fn delete_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        precondition: &Precondition,
    ) -> Result<()> {
        let target = target_key(target);
        let (key, precondition) = (key.clone(), precondition.clone());
        self.with_writer(move |conn| documents::delete(conn, &target, &key, &precondition))
            .await
    }

    async fn delete_documents(&self, target: Option<&str>, scope: &DocumentScope) -> Result<u64> {
        let target = target_key(target);
        let scope = scope.clone();
        self.with_writer(move |conn| documents::delete_scope(conn, &target, &scope))
            .await
    }

    async fn put_attachment(&self, attachment: Attachment) -> Result<()> {
        self.with_writer(move |conn| documents::put_attachment(conn, &attachment))
            .await
    }

    async fn attachment(&self, sha2: &str) -> Result<Option<Attachment>> {
        let sha2 = sha2.to_owned();
        self.with_reader(move |conn| documents::attachment(conn, &sha2))
            .await
    }

    async fn delete_statements(
        &self,
        target: Option<&str>,
        filter: &DeleteFilter,
        dry_run: bool,
    ) -> Result<DeleteReport> {
        let (target, filter) = (target_key(target), filter.clone());
        self.with_writer(move |conn| crate::privacy::delete(conn, &target, &filter, dry_run))
            .await
    }

    async fn pseudonymize(
        &self,
        target: Option<&str>,
        agent: &Ifi,
        pseudonym: &Ifi,
        dry_run: bool,
    ) -> Result<u64> {
        let (target, agent, pseudonym) = (target_key(target), agent.clone(), pseudonym.clone());
        self.with_writer(move |conn| {
            crate::privacy::pseudonymize(conn, &target, &agent, &pseudonym, dry_run)
        })
        .await
    }

    async fn delete_agent_documents(
        &self,
        target: Option<&str>,
        agent: &Ifi,
        dry_run: bool,
    ) -> Result<u64> {
        let (target, agent) = (target_key(target), agent.clone());
        self.with_writer(move |conn| {
            crate::privacy::delete_agent_documents(conn, &target, &agent, dry_run)
        })
        .await
    }
}

#[cfg(test)]
mod plan_tests {
    //! Every xAPI filter is an index read in page order: the query plans name an index and
    //! never scan a table nor sort (these fail when an index is dropped or stops serving).

    use super::*;
    use serde_json::json;

    fn statement(n: usize) -> Value {
        json!({
            "id": format!("00000000-0000-4000-8000-{n:012x}"),
            "actor": {"mbox": format!("mailto:l{}@example.org", n % 3)},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": format!("http://example.org/a{}", n % 5)},
            "context": {
                "registration": "6fbd600f-d17c-4c74-801a-2ec2e53231c7",
                "contextActivities": {"parent": [{"id": "http://example.org/course"}]}
            },
            "authority": {"mbox": "mailto:lrs@example.org"},
            "stored": format!("2024-01-01T00:00:{:02}Z", n % 60),
            "timestamp": "2024-01-01T00:00:00Z"
        })
    }

    fn plan(conn: &Connection, query: &StatementQuery) -> String {
        let Some(SqlQuery { sql, params }) = page_sql(conn, "", query).expect("page sql") else {
            panic!("no page query");
        };
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("explain");
        let rows = stmt
            .query_map(params_from_iter(params.into_iter().map(bound)), |row| {
                row.get::<_, String>(3)
            })
            .expect("plan rows");
        rows.map(|r| r.expect("plan row"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn rows_keep_the_order_of_the_batch_and_report_a_statement_without_id() {
        for n in [0, 1, 255, 256, 257, 1_001] {
            let got: Vec<String> = rows((0..n).map(statement).collect())
                .expect("rows")
                .into_iter()
                .map(|row| row.id)
                .collect();
            let expected: Vec<String> = (0..n)
                .map(|i| statement(i)["id"].as_str().unwrap_or_default().to_owned())
                .collect();
            assert_eq!(got, expected, "{n} statements");
        }
        for at in [0, 700] {
            let mut batch: Vec<Value> = (0..1_000).map(statement).collect();
            batch[at]["id"] = json!(7);
            let err = rows(batch).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("no string `id`"), "{err}");
        }
    }

    #[test]
    fn a_statement_after_its_voiding_statement_in_one_batch_arrives_voided() {
        use ralph_testkit::lrs::{id, statement as of, voiding};
        let store = SqliteStore::in_memory().expect("store");
        let mut conn = lock(&store.inner.writer);
        let voided = |conn: &Connection, target: &str, n: u64| -> bool {
            conn.query_row(
                "SELECT voided FROM statements WHERE target = ?1 AND id = ?2",
                params![target, id(n)],
                |row| row.get(0),
            )
            .expect("stored")
        };
        // No voiding statement is stored before this batch: the one in it counts.
        let batch = vec![
            of(1, "alice", "completed", "course"),
            voiding(2, 3),
            of(3, "bob", "completed", "course"),
        ];
        let inserted = insert_batch(&mut conn, "", batch).expect("batch");
        assert_eq!(inserted, vec![id(1), id(2), id(3)]);
        assert!(!voided(&conn, "", 1));
        assert!(voided(&conn, "", 3));
        // Sent again, the voiding statement inserts nothing; the target's voiders do not
        // void statements of another target.
        let again = insert_batch(&mut conn, "", vec![voiding(2, 3)]).expect("again");
        assert!(again.is_empty());
        insert_batch(
            &mut conn,
            "other",
            vec![of(3, "bob", "completed", "course")],
        )
        .expect("other target");
        assert!(!voided(&conn, "other", 3));
    }

    #[test]
    fn a_database_made_before_the_registered_index_gets_it_in_place_of_the_old_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("lrs.sqlite3");
        drop(SqliteStore::open(&path, 1, 5000).expect("store"));
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch(
                "DROP INDEX statements_registered;
                 CREATE INDEX statements_registration ON statements (target, registration, seq);",
            )
            .expect("old index");
        }
        let store = SqliteStore::open(&path, 1, 5000).expect("reopened");
        let conn = lock(&store.inner.writer);
        let indexes: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'statements_regist%'")
            .expect("query")
            .query_map([], |row| row.get(0))
            .expect("rows")
            .map(|r| r.expect("name"))
            .collect();
        assert_eq!(indexes, vec!["statements_registered".to_owned()]);
    }

    /// The keys in the dictionary of agents, or of activities.
    fn dictionary(conn: &Connection, kind: Kind) -> Vec<String> {
        let sql = match kind {
            Kind::Agent => "SELECT ifi FROM agents ORDER BY ifi",
            Kind::Activity => "SELECT iri FROM activities ORDER BY iri",
        };
        conn.prepare(sql)
            .expect("query")
            .query_map([], |row| row.get(0))
            .expect("rows")
            .map(|r| r.expect("key"))
            .collect()
    }

    /// The ids of the statements of `target` a page of 100 of `query` lists.
    fn listed(conn: &Connection, target: &str, query: &StatementQuery) -> Vec<String> {
        let query = StatementQuery {
            limit: 100,
            ..query.clone()
        };
        query_page(conn, target, &query)
            .expect("page")
            .statements
            .iter()
            .map(|s| s["id"].as_str().expect("id").to_owned())
            .collect()
    }

    #[test]
    fn a_database_made_before_the_dictionaries_moves_its_side_tables_into_them() {
        use ralph_testkit::lrs::{id, statement as of};
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("lrs.sqlite3");
        {
            let store = SqliteStore::open(&path, 1, 5000).expect("store");
            let mut conn = lock(&store.inner.writer);
            let batch = vec![
                of(1, "alice", "completed", "course"),
                of(2, "bob", "completed", "unit"),
                of(3, "alice", "answered", "unit"),
            ];
            insert_batch(&mut conn, "", batch).expect("batch");
            // The side tables as they were before the dictionaries.
            conn.execute_batch(
                "CREATE TABLE statement_agents (ifi TEXT NOT NULL, seq INTEGER NOT NULL,
                     direct INTEGER NOT NULL, PRIMARY KEY (ifi, seq)) WITHOUT ROWID;
                 CREATE TABLE statement_activities (iri TEXT NOT NULL, seq INTEGER NOT NULL,
                     direct INTEGER NOT NULL, PRIMARY KEY (iri, seq)) WITHOUT ROWID;
                 INSERT INTO statement_agents SELECT a.ifi, s.seq, s.direct
                     FROM agent_statements s JOIN agents a ON a.id = s.agent;
                 INSERT INTO statement_activities SELECT c.iri, s.seq, s.direct
                     FROM activity_statements s JOIN activities c ON c.id = s.activity;
                 DROP TABLE agent_statements;
                 DROP TABLE activity_statements;
                 DROP TABLE agents;
                 DROP TABLE activities;",
            )
            .expect("old side tables");
        }
        let store = SqliteStore::open(&path, 1, 5000).expect("reopened");
        let conn = lock(&store.inner.writer);
        let old: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name LIKE 'statement\\_a%' ESCAPE '\\'",
                [],
                |row| row.get(0),
            )
            .expect("count");
        assert_eq!(old, 0, "the old side tables are dropped");
        let alice = StatementQuery {
            agent: Some(Ifi::Mbox("mailto:alice@example.org".into())),
            ..StatementQuery::default()
        };
        assert_eq!(listed(&conn, "", &alice), vec![id(3), id(1)]);
        let unit = StatementQuery {
            activity: Some("http://example.org/activities/unit".into()),
            ..StatementQuery::default()
        };
        assert_eq!(listed(&conn, "", &unit), vec![id(3), id(2)]);
        let authority = StatementQuery {
            agent: Some(Ifi::Mbox("mailto:lrs@example.org".into())),
            related_agents: true,
            ..StatementQuery::default()
        };
        assert_eq!(listed(&conn, "", &authority), vec![id(3), id(2), id(1)]);
    }

    #[test]
    fn deleting_or_pseudonymising_a_learner_leaves_no_key_of_theirs() {
        use crate::privacy;
        use ralph_core::lrs::DeleteFilter;
        use ralph_testkit::lrs::statement as of;
        let store = SqliteStore::in_memory().expect("store");
        let mut conn = lock(&store.inner.writer);
        let batch = vec![
            of(1, "alice", "completed", "course"),
            of(2, "bob", "completed", "unit"),
            of(3, "alice", "answered", "alice-only"),
            of(4, "carol", "answered", "unit"),
        ];
        insert_batch(&mut conn, "", batch).expect("batch");
        let alice = Ifi::Mbox("mailto:alice@example.org".into());
        let filter = DeleteFilter {
            agent: Some(alice),
            ..DeleteFilter::default()
        };
        let report = privacy::delete(&mut conn, "", &filter, false).expect("delete");
        assert_eq!(report.deleted, 2);
        assert_eq!(
            dictionary(&conn, Kind::Agent),
            vec![
                "mbox:mailto:bob@example.org",
                "mbox:mailto:carol@example.org",
                "mbox:mailto:lrs@example.org"
            ]
        );
        assert_eq!(
            dictionary(&conn, Kind::Activity),
            vec!["http://example.org/activities/unit"]
        );
        let bob = Ifi::Mbox("mailto:bob@example.org".into());
        let pseudonym = Ifi::Account {
            home_page: "https://pseudonyms.example.org".into(),
            name: "0a1b".into(),
        };
        let changed =
            privacy::pseudonymize(&mut conn, "", &bob, &pseudonym, false).expect("pseudonymize");
        assert_eq!(changed, 1);
        assert_eq!(
            dictionary(&conn, Kind::Agent),
            vec![
                "account:https://pseudonyms.example.org 0a1b",
                "mbox:mailto:carol@example.org",
                "mbox:mailto:lrs@example.org"
            ]
        );
        let by_pseudonym = StatementQuery {
            agent: Some(pseudonym),
            ..StatementQuery::default()
        };
        assert_eq!(
            listed(&conn, "", &by_pseudonym),
            vec![ralph_testkit::lrs::id(2)]
        );
    }

    #[test]
    fn a_refused_batch_takes_its_new_keys_back() {
        use ralph_testkit::lrs::{id, statement as of};
        let store = SqliteStore::in_memory().expect("store");
        let mut conn = lock(&store.inner.writer);
        insert_batch(&mut conn, "", vec![of(1, "alice", "completed", "course")]).expect("first");
        // A new agent and activity, then a conflict: nothing of the batch stays.
        let refused = vec![
            of(2, "dave", "completed", "new-unit"),
            of(1, "alice", "failed", "course"),
        ];
        let err = insert_batch(&mut conn, "", refused).expect_err("conflict");
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert!(!dictionary(&conn, Kind::Agent).contains(&"mbox:mailto:dave@example.org".into()));
        // The same keys in the next batch get ids that exist.
        insert_batch(&mut conn, "", vec![of(2, "dave", "completed", "new-unit")]).expect("again");
        let dave = StatementQuery {
            agent: Some(Ifi::Mbox("mailto:dave@example.org".into())),
            activity: Some("http://example.org/activities/new-unit".into()),
            ..StatementQuery::default()
        };
        assert_eq!(listed(&conn, "", &dave), vec![id(2)]);
    }

    #[test]
    fn a_new_database_has_16_kib_pages_read_through_a_memory_map() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::open(dir.path().join("lrs.sqlite3"), 1, 5000).expect("store");
        let conn = lock(&store.inner.writer);
        let page_size: i64 = conn
            .query_row("PRAGMA page_size", [], |row| row.get(0))
            .expect("page size");
        assert_eq!(page_size, PAGE_SIZE);
        let mmap_size: i64 = conn
            .query_row("PRAGMA mmap_size", [], |row| row.get(0))
            .expect("mmap size");
        assert_eq!(mmap_size, MMAP_SIZE);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_is_checkpointed_off_the_writer() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("lrs.sqlite3");
        let store = SqliteStore::open(&path, 1, 5000).expect("store");
        let size = || std::fs::metadata(&path).map_or(0, |m| m.len());
        let before = size();
        // A few MB of pages: far below the writer's own checkpoint threshold.
        store
            .insert(None, (0..3_000).map(statement).collect())
            .await
            .expect("insert");
        let pages: i64 = lock(&store.inner.writer)
            .query_row("PRAGMA wal_autocheckpoint", [], |row| row.get(0))
            .expect("threshold");
        assert_eq!(pages, WRITER_CHECKPOINT_PAGES);
        // The checkpoint thread copies the log into the database file.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while size() < before + 1_000_000 {
            assert!(
                std::time::Instant::now() < deadline,
                "the database file stayed at {} bytes",
                size()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // Dropping the store stops the thread; the statements are all there on reopening.
        drop(store);
        let store = SqliteStore::open(&path, 1, 5000).expect("reopen");
        let page = store
            .query(
                None,
                &StatementQuery {
                    limit: 5_000,
                    ..Default::default()
                },
            )
            .await
            .expect("query");
        assert_eq!(page.statements.len(), 3_000);
    }

    #[test]
    fn every_filter_is_an_index_read_in_page_order() {
        let store = SqliteStore::in_memory().expect("store");
        let mut conn = lock(&store.inner.writer);
        insert_batch(&mut conn, "", (0..50).map(statement).collect()).expect("insert");
        let at = |s: &str| DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()).ok();
        let agent = Some(Ifi::Mbox("mailto:l1@example.org".into()));
        let activity = Some("http://example.org/a1".to_owned());
        let base = StatementQuery {
            limit: 100,
            ..StatementQuery::default()
        };
        let cases: Vec<(&str, StatementQuery, &str)> = vec![
            ("default", base.clone(), "statements_target_seq"),
            (
                "ascending with cursor",
                StatementQuery {
                    ascending: true,
                    cursor: Some("10".into()),
                    ..base.clone()
                },
                "statements_target_seq (target=? AND seq>?)",
            ),
            (
                "agent",
                StatementQuery {
                    agent: agent.clone(),
                    ..base.clone()
                },
                "SEARCH a USING PRIMARY KEY (agent=?)",
            ),
            (
                "related agents",
                StatementQuery {
                    agent: agent.clone(),
                    related_agents: true,
                    cursor: Some("40".into()),
                    ..base.clone()
                },
                "SEARCH a USING PRIMARY KEY (agent=? AND seq<?)",
            ),
            (
                "verb",
                StatementQuery {
                    verb: Some("http://adlnet.gov/expapi/verbs/completed".into()),
                    ..base.clone()
                },
                "statements_verb (target=? AND verb=?)",
            ),
            (
                "activity",
                StatementQuery {
                    activity: activity.clone(),
                    ..base.clone()
                },
                "SEARCH c USING PRIMARY KEY (activity=?)",
            ),
            (
                "related activities",
                StatementQuery {
                    activity: Some("http://example.org/course".into()),
                    related_activities: true,
                    ..base.clone()
                },
                "SEARCH c USING PRIMARY KEY (activity=?)",
            ),
            (
                "registration",
                StatementQuery {
                    registration: Some("6fbd600f-d17c-4c74-801a-2ec2e53231c7".into()),
                    ..base.clone()
                },
                "statements_registered (target=? AND registration=?)",
            ),
            (
                "authority",
                StatementQuery {
                    authority: Some(Ifi::Mbox("mailto:lrs@example.org".into())),
                    ..base.clone()
                },
                "statements_authority (target=? AND authority=?)",
            ),
            (
                "since",
                StatementQuery {
                    since: at("2024-01-01T00:00:30Z"),
                    ..base.clone()
                },
                "statements_target_seq (target=? AND seq>?)",
            ),
            (
                "since ascending",
                StatementQuery {
                    since: at("2024-01-01T00:00:30Z"),
                    ascending: true,
                    ..base.clone()
                },
                "statements_target_seq (target=? AND seq>?)",
            ),
            (
                "agent, activity and since",
                StatementQuery {
                    agent: agent.clone(),
                    activity: activity.clone(),
                    since: at("2024-01-01T00:00:30Z"),
                    ..base.clone()
                },
                "SEARCH a USING PRIMARY KEY (agent=? AND seq>?)",
            ),
        ];
        for (name, query, expected) in cases {
            let plan = plan(&conn, &query);
            assert!(
                plan.contains(expected),
                "{name}: expected `{expected}` in\n{plan}"
            );
            assert!(!plan.contains("SCAN "), "{name}: a scan in\n{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{name}: a sort in\n{plan}");
        }
        // `until` alone reads its range of the `stored` index (and sorts that range).
        let until = StatementQuery {
            until: at("2024-01-01T00:00:10Z"),
            ..base.clone()
        };
        let plan = plan(&conn, &until);
        assert!(
            plan.contains("statements_stored (target=? AND stored_us<?)")
                || plan.contains("statements_target_seq"),
            "until: {plan}"
        );
        assert!(!plan.contains("SCAN "), "until: a scan in\n{plan}");
    }

    #[test]
    fn since_pages_start_at_the_running_maximum_of_stored() {
        let store = SqliteStore::in_memory().expect("store");
        let mut conn = lock(&store.inner.writer);
        // Stored out of order: 00:00:05, 00:00:01, 00:00:09, 00:00:03.
        let batch = [5, 1, 9, 3]
            .iter()
            .enumerate()
            .map(|(i, second)| {
                let mut s = statement(i);
                s["stored"] = json!(format!("2024-01-01T00:00:{second:02}Z"));
                s
            })
            .collect();
        insert_batch(&mut conn, "", batch).expect("insert");
        let at = |s: &str| DateTime::parse_from_rfc3339(s).map(|t| t.to_utc()).ok();
        let page = |since: &str| {
            let query = StatementQuery {
                since: at(since),
                ascending: true,
                limit: 10,
                ..StatementQuery::default()
            };
            query_page(&conn, "", &query)
                .expect("page")
                .statements
                .iter()
                .map(|s| s["stored"].as_str().unwrap_or_default()[17..19].to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(page("2024-01-01T00:00:02Z"), ["05", "09", "03"]);
        assert_eq!(page("2024-01-01T00:00:04Z"), ["05", "09"]);
        assert_eq!(page("2024-01-01T00:00:06Z"), ["09"]);
        assert!(page("2024-01-01T00:00:09Z").is_empty());
        assert_eq!(
            first_seq_since(&conn, at("2024-01-01T00:00:06Z").expect("time")).expect("first"),
            Some(3)
        );
    }
}
