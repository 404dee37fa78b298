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
use ralph_core::lrs::sql::{document_key_params, document_scope_params};
use ralph_core::lrs::{
    Attachment, Document, DocumentKey, DocumentScope, Precondition, precondition_failed,
};

use crate::store::{PostgresStore, lock_key};

impl PostgresStore {
    /// The document `key` of `target`.
    pub(crate) async fn get_document(
        &self,
        target: &str,
        key: &DocumentKey,
    ) -> Result<Option<Document>> {
        let [t, k, a, g, r, i] = document_key_params(target, key);
        let client = self.client().await?;
        let prepared = client
            .prepare_cached(&self.document_sql.get)
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
        let [t, k, a, g, r, i] = document_key_params(target, key);
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.error(e))?;
        let lock = lock_key(&[
            "ralph-lrs-document",
            &self.tables.documents,
            &t,
            &k,
            &a,
            &g,
            &r,
            &i,
        ]);
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])
            .await
            .map_err(|e| self.error(e))?;
        let stored = tx
            .query_opt(&self.document_sql.etag, &[&t, &k, &a, &g, &r, &i])
            .await
            .map_err(|e| self.error(e))?
            .map(|row| row.get::<_, String>(0));
        if !precondition.holds(stored.as_deref()) {
            return Err(precondition_failed(key));
        }
        match document {
            Some(d) => {
                tx.execute(
                    &self.document_sql.upsert,
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
                tx.execute(&self.document_sql.delete, &[&t, &k, &a, &g, &r, &i])
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
        let [t, k, a, g, r] = document_scope_params(target, scope);
        let client = self.client().await?;
        let prepared = client
            .prepare_cached(&self.document_sql.ids)
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
        let [t, k, a, g, r] = document_scope_params(target, scope);
        let client = self.client().await?;
        client
            .execute(&self.document_sql.delete_scope, &[&t, &k, &a, &g, &r])
            .await
            .map_err(|e| self.error(e))
    }

    /// Keeps `attachment` unless its `sha2` is already kept.
    pub(crate) async fn keep_attachment(&self, attachment: &Attachment) -> Result<()> {
        let client = self.client().await?;
        client
            .execute(
                &self.document_sql.keep_attachment,
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
            .query_opt(&self.document_sql.attachment, &[&sha2])
            .await
            .map_err(|e| self.error(e))?;
        Ok(row.map(|row| Attachment {
            sha2: sha2.to_owned(),
            content_type: row.get(0),
            content: Bytes::from(row.get::<_, Vec<u8>>(1)),
        }))
    }
}
