//! Documents and attachments of the SQLite store.
//!
//! Documents live in one table keyed by (target, resource, activity, agent, registration, id),
//! absent parts stored as `''`; attachments in another keyed by their SHA-256. Conditional
//! writes run on the single writer connection inside a transaction, so the check and the write
//! cannot interleave with another writer.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use std::sync::LazyLock;

use ralph_core::lrs::sql::{Dialect, DocumentSql, document_key_params, document_scope_params};
use ralph_core::lrs::{
    Attachment, Document, DocumentKey, DocumentScope, Precondition, precondition_failed,
};
use ralph_core::{Error, Result};
use rusqlite::{Connection, OptionalExtension, params};

use crate::store::db_error;

/// The tables of documents and attachments.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS documents (
    target TEXT NOT NULL,
    kind TEXT NOT NULL,
    activity TEXT NOT NULL,
    agent TEXT NOT NULL,
    registration TEXT NOT NULL,
    id TEXT NOT NULL,
    content BLOB NOT NULL,
    content_type TEXT NOT NULL,
    etag TEXT NOT NULL,
    updated_us INTEGER NOT NULL,
    UNIQUE (target, kind, activity, agent, registration, id)
);
CREATE TABLE IF NOT EXISTS attachments (
    sha2 TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    content BLOB NOT NULL
);
";

/// The document queries of the store's tables.
static SQL: LazyLock<DocumentSql> =
    LazyLock::new(|| DocumentSql::new(Dialect::Sqlite, "documents", "attachments"));

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// The document `key` of `target`.
pub(crate) fn get(conn: &Connection, target: &str, key: &DocumentKey) -> Result<Option<Document>> {
    let columns = document_key_params(target, key);
    conn.query_row(
        &SQL.get,
        rusqlite::params_from_iter(columns.iter()),
        |row| {
            Ok(Document {
                content: Bytes::from(row.get::<_, Vec<u8>>(0)?),
                content_type: row.get(1)?,
                etag: row.get(2)?,
                updated: from_micros(row.get(3)?),
            })
        },
    )
    .optional()
    .map_err(db_error)
}

fn stored_etag(conn: &Connection, columns: &[String; 6]) -> Result<Option<String>> {
    conn.query_row(
        &SQL.etag,
        rusqlite::params_from_iter(columns.iter()),
        |row| row.get(0),
    )
    .optional()
    .map_err(db_error)
}

/// Writes `document` as `key` of `target` when `precondition` holds, in one transaction.
pub(crate) fn put(
    conn: &mut Connection,
    target: &str,
    key: &DocumentKey,
    document: &Document,
    precondition: &Precondition,
) -> Result<()> {
    let columns = document_key_params(target, key);
    let tx = conn.transaction().map_err(db_error)?;
    if !precondition.holds(stored_etag(&tx, &columns)?.as_deref()) {
        return Err(precondition_failed(key));
    }
    tx.execute(
        &SQL.upsert,
        params![
            columns[0],
            columns[1],
            columns[2],
            columns[3],
            columns[4],
            columns[5],
            document.content.as_ref(),
            document.content_type,
            document.etag,
            micros(document.updated),
        ],
    )
    .map_err(db_error)?;
    tx.commit().map_err(db_error)
}

/// Deletes `key` of `target` when `precondition` holds, in one transaction.
pub(crate) fn delete(
    conn: &mut Connection,
    target: &str,
    key: &DocumentKey,
    precondition: &Precondition,
) -> Result<()> {
    let columns = document_key_params(target, key);
    let tx = conn.transaction().map_err(db_error)?;
    if !precondition.holds(stored_etag(&tx, &columns)?.as_deref()) {
        return Err(precondition_failed(key));
    }
    tx.execute(&SQL.delete, rusqlite::params_from_iter(columns.iter()))
        .map_err(db_error)?;
    tx.commit().map_err(db_error)
}

/// The sorted ids in `scope` of `target` updated after `since`.
pub(crate) fn ids(
    conn: &Connection,
    target: &str,
    scope: &DocumentScope,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<String>> {
    let [t, k, a, g, r] = document_scope_params(target, scope);
    let since = since.map(micros);
    let mut statement = conn.prepare_cached(&SQL.ids).map_err(db_error)?;
    let rows = statement
        .query_map(params![t, k, a, g, r, since], |row| row.get(0))
        .map_err(db_error)?;
    rows.collect::<rusqlite::Result<Vec<String>>>()
        .map_err(db_error)
}

/// Deletes every document in `scope` of `target`.
pub(crate) fn delete_scope(conn: &Connection, target: &str, scope: &DocumentScope) -> Result<u64> {
    let columns = document_scope_params(target, scope);
    let deleted = conn
        .execute(
            &SQL.delete_scope,
            rusqlite::params_from_iter(columns.iter()),
        )
        .map_err(db_error)?;
    u64::try_from(deleted).map_err(|e| Error::backend(format!("sqlite: {e}")))
}

/// Keeps `attachment` unless its `sha2` is already kept.
pub(crate) fn put_attachment(conn: &Connection, attachment: &Attachment) -> Result<()> {
    conn.execute(
        &SQL.keep_attachment,
        params![
            attachment.sha2,
            attachment.content_type,
            attachment.content.as_ref()
        ],
    )
    .map_err(db_error)?;
    Ok(())
}

/// The attachment with this `sha2`.
pub(crate) fn attachment(conn: &Connection, sha2: &str) -> Result<Option<Attachment>> {
    conn.query_row(&SQL.attachment, params![sha2], |row| {
        Ok(Attachment {
            sha2: sha2.to_owned(),
            content_type: row.get(0)?,
            content: Bytes::from(row.get::<_, Vec<u8>>(1)?),
        })
    })
    .optional()
    .map_err(db_error)
}
