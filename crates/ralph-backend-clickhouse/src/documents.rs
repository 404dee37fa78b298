//! Documents (state, activity profile, agent profile) and attachments of the ClickHouse store.
//!
//! ClickHouse has no in-place update: a document table keeps versions. Each write appends a
//! row with a larger `version` (a deletion appends a tombstone), and reads take the latest
//! version of each key. The table is a `ReplacingMergeTree(version)` ordered by the key, so
//! merges drop the old versions in the background; reads never depend on merges having run.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use clickhouse::Row;
use ralph_core::lrs::{
    Attachment, Document, DocumentKey, DocumentScope, Precondition, precondition_failed,
};
use ralph_core::{Error, Result};
use serde::{Deserialize, Serialize};

use crate::client::quote_table;

/// The document table: the key, then the version, the tombstone flag and the document.
pub fn documents_table_sql(table: &str) -> Result<String> {
    let table = quote_table(table)?;
    Ok(format!(
        "CREATE TABLE IF NOT EXISTS {table} (\n  \
           target String, kind LowCardinality(String), activity String, agent String,\n  \
           registration String, id String, version UInt64, deleted UInt8,\n  \
           content String, content_type String, etag String, updated DateTime64(6)\n\
         ) ENGINE = ReplacingMergeTree(version) \
         ORDER BY (target, kind, activity, agent, registration, id)"
    ))
}

/// The attachment table: one row per SHA-256.
pub fn attachments_table_sql(table: &str) -> Result<String> {
    let table = quote_table(table)?;
    Ok(format!(
        "CREATE TABLE IF NOT EXISTS {table} (\n  \
           sha2 String, content_type String, content String\n\
         ) ENGINE = ReplacingMergeTree ORDER BY sha2"
    ))
}

/// Bytes as a ClickHouse `String`: serialised as bytes, not as a sequence of numbers (what
/// `serde_bytes` does, without the dependency).
mod raw_bytes {
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        struct Bytes;
        impl<'de> Visitor<'de> for Bytes {
            type Value = Vec<u8>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("bytes")
            }

            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }

            fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
                Ok(v.as_bytes().to_vec())
            }

            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::new();
                while let Some(byte) = seq.next_element()? {
                    out.push(byte);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_byte_buf(Bytes)
    }
}

/// A version of a document, as stored.
#[derive(Debug, Row, Serialize, Deserialize)]
pub(crate) struct DocumentRow {
    pub target: String,
    pub kind: String,
    pub activity: String,
    pub agent: String,
    pub registration: String,
    pub id: String,
    pub version: u64,
    pub deleted: u8,
    #[serde(with = "raw_bytes")]
    pub content: Vec<u8>,
    pub content_type: String,
    pub etag: String,
    #[serde(with = "clickhouse::serde::chrono::datetime64::micros")]
    pub updated: DateTime<Utc>,
}

/// An attachment, as stored.
#[derive(Debug, Row, Serialize, Deserialize)]
pub(crate) struct AttachmentRow {
    pub sha2: String,
    pub content_type: String,
    #[serde(with = "raw_bytes")]
    pub content: Vec<u8>,
}

impl From<AttachmentRow> for Attachment {
    fn from(row: AttachmentRow) -> Self {
        Self {
            sha2: row.sha2,
            content_type: row.content_type,
            content: Bytes::from(row.content),
        }
    }
}

/// Versions strictly increasing within the process and across restarts (nanoseconds since the
/// epoch, bumped past the last one given).
pub(crate) fn next_version() -> u64 {
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = u64::try_from(Utc::now().timestamp_nanos_opt().unwrap_or_default()).unwrap_or(0);
    let mut last = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(last + 1);
        match LAST.compare_exchange(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

/// The row of `document` (or a tombstone when `None`) under `key` in `target`.
pub(crate) fn document_row(
    target: &str,
    key: &DocumentKey,
    document: Option<&Document>,
) -> DocumentRow {
    let scope = &key.scope;
    DocumentRow {
        target: target.to_owned(),
        kind: scope.kind.as_str().to_owned(),
        activity: scope.activity_key().to_owned(),
        agent: scope.agent_key(),
        registration: scope.registration_key().to_owned(),
        id: key.id.clone(),
        version: next_version(),
        deleted: u8::from(document.is_none()),
        content: document.map(|d| d.content.to_vec()).unwrap_or_default(),
        content_type: document.map(|d| d.content_type.clone()).unwrap_or_default(),
        etag: document.map(|d| d.etag.clone()).unwrap_or_default(),
        updated: document.map_or_else(Utc::now, |d| d.updated),
    }
}

/// The live document of a latest version.
pub(crate) fn live(row: DocumentRow) -> Option<Document> {
    (row.deleted == 0).then(|| Document {
        content: Bytes::from(row.content),
        content_type: row.content_type,
        etag: row.etag,
        updated: row.updated,
    })
}

/// Checks `precondition` against the stored document.
pub(crate) fn check(
    key: &DocumentKey,
    stored: Option<&Document>,
    precondition: &Precondition,
) -> Result<()> {
    if precondition.holds(stored.map(|d| d.etag.as_str())) {
        Ok(())
    } else {
        Err(precondition_failed(key))
    }
}

/// The condition selecting the documents of `scope` (every registration when it has none).
pub(crate) fn scope_condition(scope: &DocumentScope) -> &'static str {
    if scope.registration.is_some() {
        "target = {target:String} AND kind = {kind:String} AND activity = {activity:String} \
         AND agent = {agent:String} AND registration = {registration:String}"
    } else {
        "target = {target:String} AND kind = {kind:String} AND activity = {activity:String} \
         AND agent = {agent:String}"
    }
}

/// A table name derived from the event table name, checked.
pub(crate) fn derived_table(base: &str, suffix: &str) -> Result<String> {
    let name = format!("{base}_{suffix}");
    quote_table(&name).map_err(|_| Error::config(format!("invalid table name `{name}`")))?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_increase() {
        let a = next_version();
        let b = next_version();
        assert!(b > a);
    }

    #[test]
    fn tables_and_scopes() {
        assert!(
            documents_table_sql("d")
                .expect("sql")
                .contains("ReplacingMergeTree(version)")
        );
        assert!(attachments_table_sql("a").expect("sql").contains("sha2"));
        let agent = ralph_core::lrs::Ifi::Mbox("mailto:a@b.c".into());
        let all = DocumentScope::state("http://a", agent.clone(), None);
        assert!(!scope_condition(&all).contains("registration"));
        let one = DocumentScope::state("http://a", agent, Some("R".into()));
        assert!(scope_condition(&one).contains("registration"));
        assert!(derived_table("xapi", "documents").is_ok());
    }
}
