//! Deletion and rewriting of statements in the MongoDB store. A statement is one document, so
//! each goes or changes whole; a request interrupted half-way is finished by running it again.

use mongodb::bson::{Bson, Document, doc};
use ralph_core::lrs::statement_id;
use ralph_core::{Error, Result};
use serde_json::Value;

use crate::documents::is_reserved;
use crate::store::{MongoStore, SEQUENCES_COLLECTION, statement_document};

impl MongoStore {
    /// Deletes the statements of `target` with these ids.
    pub(crate) async fn remove_by_ids(&self, target: Option<&str>, ids: &[String]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let collection = self.collection(target).await?;
        Ok(collection
            .delete_many(doc! {"_source.id": {"$in": ids}})
            .await
            .map_err(|e| self.error(e))?
            .deleted_count)
    }

    /// Replaces each statement of `target` with the one of the same id, re-indexed, its
    /// insertion number and voided flag kept.
    pub(crate) async fn replace_by_ids(
        &self,
        target: Option<&str>,
        statements: Vec<Value>,
    ) -> Result<u64> {
        let collection = self.collection(target).await?;
        let mut replaced = 0;
        for statement in statements {
            let Some(id) = statement_id(&statement) else {
                continue;
            };
            let Some(stored) = collection
                .find_one(doc! {"_source.id": id})
                .await
                .map_err(|e| self.error(e))?
            else {
                continue;
            };
            let ralph = stored.get_document("_ralph").ok();
            let seq = match ralph.and_then(|r| r.get("seq")) {
                Some(Bson::Int64(v)) => *v,
                Some(Bson::Int32(v)) => i64::from(*v),
                _ => 0,
            };
            let voided = ralph
                .and_then(|r| r.get_bool("voided").ok())
                .unwrap_or(false);
            let raw = statement_document(&statement, seq, voided)?;
            let mut document = Document::try_from(raw.as_ref())
                .map_err(|e| Error::backend(format!("mongo: statement `{id}`: {e}")))?;
            // The `_id` stays the stored one (it derives from the unchanged id and timestamp).
            if let Some(oid) = stored.get("_id") {
                document.insert("_id", oid.clone());
            }
            let result = collection
                .replace_one(doc! {"_source.id": id}, document)
                .await
                .map_err(|e| self.error(e))?;
            replaced += result.modified_count;
        }
        Ok(replaced)
    }

    /// Removes the attachments `sha2s` that no statement of any target references.
    pub(crate) async fn remove_attachments_unused(&self, sha2s: &[String]) -> Result<u64> {
        let names = self
            .database()
            .list_collection_names()
            .await
            .map_err(|e| self.error(e))?;
        let mut removed = 0;
        'attachments: for sha2 in sha2s {
            for name in &names {
                if name == SEQUENCES_COLLECTION || is_reserved(name) || name.starts_with("system.")
                {
                    continue;
                }
                let used = self
                    .database()
                    .collection::<Document>(name)
                    .find_one(doc! {"_source.attachments.sha2": sha2})
                    .await
                    .map_err(|e| self.error(e))?
                    .is_some();
                if used {
                    continue 'attachments;
                }
            }
            if self
                .documents
                .remove_attachment(sha2)
                .await
                .map_err(|e| self.error(e))?
            {
                removed += 1;
            }
        }
        Ok(removed)
    }
}
