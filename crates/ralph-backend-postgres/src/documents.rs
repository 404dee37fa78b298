//! Documents and attachments of the PostgreSQL store.
//!
//! Documents live in one table keyed by (target, resource, activity, agent, registration, id),
//! absent parts stored as `''`; attachments in another keyed by their SHA-256. A conditional
//! write takes a transaction-level advisory lock on the document's key before it reads the
//! stored ETag, so concurrent writers of one document run one after the other and a
//! precondition is checked against what is really stored.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use ralph_core::Result;
use ralph_core::lrs::{
    Attachment, Document, DocumentKey, DocumentScope, Precondition, precondition_failed,
};

use crate::store::{PostgresStore, lock_key};

const KEY_WHERE: &str = "target = $1 AND kind = $2 AND activity = $3 AND agent = $4 \
                         AND registration = $5 AND id = $6";

/// `$5` is the registration, `''` for every registration.
const SCOPE_WHERE: &str = "target = $1 AND kind = $2 AND activity = $3 AND agent = $4 \
                           AND ($5 = '' OR registration = $5)";

fn key_columns(target: &str, key: &DocumentKey) -> [String; 6] {
    let scope = &key.scope;
    [
        target.to_owned(),
        scope.kind.as_str().to_owned(),
        scope.activity_key().to_owned(),
        scope.agent_key(),
        scope.registration_key().to_owned(),
        key.id.clone(),
    ]
}

fn scope_columns(target: &str, scope: &DocumentScope) -> [String; 5] {
    [
        target.to_owned(),
        scope.kind.as_str().to_owned(),
        scope.activity_key().to_owned(),
        scope.agent_key(),
        scope.registration_key().to_owned(),
    ]
}

impl PostgresStore {
    /// The document `key` of `target`.
    pub(crate) async fn get_document(
        &self,
        target: &str,
        key: &DocumentKey,
    ) -> Result<Option<Document>> {
        let [t, k, a, g, r, i] = key_columns(target, key);
        let client = self.client().await?;
        let prepared = client
            .prepare_cached(&format!(
                "SELECT content, content_type, etag, updated FROM {} WHERE {KEY_WHERE}",
                self.tables.documents
            ))
            .await
            .map_err(|e| self.error(e))?;
        let row = client
            .query_opt(&prepared, &[&t, &k, &a, &g, &r, &i])
            .await
            .map_err(|e| self.error(e))?;
        Ok(row.map(|row| Document {
            content: Bytes::from(row.get::<_, Vec<u8>>(0)),
            content_type: row.get(1),
            etag: row.get(2),
            updated: row.get(3),
        }))
    }

    /// Writes `document` as `key` (deletes `key` when `None`) when `precondition` holds.
    pub(crate) async fn write_document(
        &self,
        target: &str,
        key: &DocumentKey,
        document: Option<&Document>,
        precondition: &Precondition,
    ) -> Result<()> {
        let [t, k, a, g, r, i] = key_columns(target, key);
        let documents = &self.tables.documents;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.error(e))?;
        let lock = lock_key(&["ralph-lrs-document", documents, &t, &k, &a, &g, &r, &i]);
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])
            .await
            .map_err(|e| self.error(e))?;
        let stored = tx
            .query_opt(
                &format!("SELECT etag FROM {documents} WHERE {KEY_WHERE}"),
                &[&t, &k, &a, &g, &r, &i],
            )
            .await
            .map_err(|e| self.error(e))?
            .map(|row| row.get::<_, String>(0));
        if !precondition.holds(stored.as_deref()) {
            return Err(precondition_failed(key));
        }
        match document {
            Some(d) => {
                tx.execute(
                    &format!(
                        "INSERT INTO {documents} (target, kind, activity, agent, registration, \
                         id, content, content_type, etag, updated) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                         ON CONFLICT (target, kind, activity, agent, registration, id) DO UPDATE \
                         SET content = excluded.content, content_type = excluded.content_type, \
                         etag = excluded.etag, updated = excluded.updated"
                    ),
                    &[
                        &t,
                        &k,
                        &a,
                        &g,
                        &r,
                        &i,
                        &d.content.as_ref(),
                        &d.content_type,
                        &d.etag,
                        &d.updated,
                    ],
                )
                .await
                .map_err(|e| self.error(e))?;
            }
            None => {
                tx.execute(
                    &format!("DELETE FROM {documents} WHERE {KEY_WHERE}"),
                    &[&t, &k, &a, &g, &r, &i],
                )
                .await
                .map_err(|e| self.error(e))?;
            }
        }
        tx.commit().await.map_err(|e| self.error(e))
    }

    /// The sorted ids in `scope` of `target` updated after `since`.
    pub(crate) async fn list_documents(
        &self,
        target: &str,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>> {
        let [t, k, a, g, r] = scope_columns(target, scope);
        let client = self.client().await?;
        let prepared = client
            .prepare_cached(&format!(
                "SELECT DISTINCT id FROM {} WHERE {SCOPE_WHERE} \
                 AND ($6::timestamptz IS NULL OR updated > $6) ORDER BY id",
                self.tables.documents
            ))
            .await
            .map_err(|e| self.error(e))?;
        let rows = client
            .query(&prepared, &[&t, &k, &a, &g, &r, &since])
            .await
            .map_err(|e| self.error(e))?;
        Ok(rows.iter().map(|row| row.get(0)).collect())
    }

    /// Deletes every document in `scope` of `target`.
    pub(crate) async fn delete_scope(&self, target: &str, scope: &DocumentScope) -> Result<u64> {
        let [t, k, a, g, r] = scope_columns(target, scope);
        let client = self.client().await?;
        client
            .execute(
                &format!("DELETE FROM {} WHERE {SCOPE_WHERE}", self.tables.documents),
                &[&t, &k, &a, &g, &r],
            )
            .await
            .map_err(|e| self.error(e))
    }

    /// Keeps `attachment` unless its `sha2` is already kept.
    pub(crate) async fn keep_attachment(&self, attachment: &Attachment) -> Result<()> {
        let client = self.client().await?;
        client
            .execute(
                &format!(
                    "INSERT INTO {} (sha2, content_type, content) VALUES ($1, $2, $3) \
                     ON CONFLICT (sha2) DO NOTHING",
                    self.tables.attachments
                ),
                &[
                    &attachment.sha2,
                    &attachment.content_type,
                    &attachment.content.as_ref(),
                ],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// The attachment with this `sha2`.
    pub(crate) async fn find_attachment(&self, sha2: &str) -> Result<Option<Attachment>> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                &format!(
                    "SELECT content_type, content FROM {} WHERE sha2 = $1",
                    self.tables.attachments
                ),
                &[&sha2],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(row.map(|row| Attachment {
            sha2: sha2.to_owned(),
            content_type: row.get(0),
            content: Bytes::from(row.get::<_, Vec<u8>>(1)),
        }))
    }
}
