//! Documents (state, activity and agent profiles) and attachments of the MongoDB LRS store.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::spec::BinarySubtype;
use mongodb::bson::{Binary, Bson, Document as BsonDocument, doc};
use mongodb::options::IndexOptions;
use mongodb::{Collection, Database, IndexModel};
use ralph_core::Result;
use ralph_core::lrs::{
    Attachment, Document, DocumentKey, DocumentScope, Precondition, precondition_failed,
};

/// The collection of the documents of every target.
pub const DOCUMENTS_COLLECTION: &str = "ralph_documents";

/// The collection of statement attachments, one per SHA-256.
pub const ATTACHMENTS_COLLECTION: &str = "ralph_attachments";

/// The `_id` of a stored document: its target, resource, scope and id.
fn document_id(target: &str, key: &DocumentKey) -> BsonDocument {
    let scope = &key.scope;
    doc! {
        "target": target,
        "kind": scope.kind.as_str(),
        "activity": scope.activity_key(),
        "agent": scope.agent_key(),
        "registration": scope.registration_key(),
        "id": &key.id,
    }
}

/// The filter of the documents of `scope` (every registration when it has none).
fn scope_filter(target: &str, scope: &DocumentScope) -> BsonDocument {
    let mut filter = doc! {
        "_id.target": target,
        "_id.kind": scope.kind.as_str(),
        "_id.activity": scope.activity_key(),
        "_id.agent": scope.agent_key(),
    };
    if let Some(registration) = &scope.registration {
        filter.insert("_id.registration", registration);
    }
    filter
}

fn nanos(at: &DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

fn stored_document(id: BsonDocument, document: &Document) -> BsonDocument {
    doc! {
        "_id": id,
        "content": Binary { subtype: BinarySubtype::Generic, bytes: document.content.to_vec() },
        "content_type": &document.content_type,
        "etag": &document.etag,
        "updated": nanos(&document.updated),
    }
}

fn bytes_of(doc: &BsonDocument, key: &str) -> Bytes {
    match doc.get(key) {
        Some(Bson::Binary(binary)) => Bytes::from(binary.bytes.clone()),
        _ => Bytes::new(),
    }
}

fn document_of(doc: &BsonDocument) -> Document {
    let updated = match doc.get("updated") {
        Some(Bson::Int64(n)) => DateTime::from_timestamp_nanos(*n),
        _ => DateTime::UNIX_EPOCH,
    };
    Document {
        content: bytes_of(doc, "content"),
        content_type: doc.get_str("content_type").unwrap_or_default().to_owned(),
        etag: doc.get_str("etag").unwrap_or_default().to_owned(),
        updated,
    }
}

/// The documents and attachments of a store's database.
#[derive(Debug, Clone)]
pub(crate) struct Documents {
    documents: Collection<BsonDocument>,
    attachments: Collection<BsonDocument>,
}

impl Documents {
    pub(crate) fn new(database: &Database) -> Self {
        Self {
            documents: database.collection(DOCUMENTS_COLLECTION),
            attachments: database.collection(ATTACHMENTS_COLLECTION),
        }
    }

    /// Creates the index that lists the documents of a scope by time.
    pub(crate) async fn create_indexes(&self) -> mongodb::error::Result<()> {
        let keys = doc! {"_id.target": 1, "_id.kind": 1, "_id.activity": 1, "_id.agent": 1,
        "_id.registration": 1, "updated": 1};
        let options = IndexOptions::builder()
            .name("ralph_scope".to_owned())
            .build();
        self.documents
            .create_index(IndexModel::builder().keys(keys).options(options).build())
            .await
            .map(drop)
    }

    pub(crate) async fn get(
        &self,
        target: &str,
        key: &DocumentKey,
    ) -> mongodb::error::Result<Option<Document>> {
        Ok(self
            .documents
            .find_one(doc! {"_id": document_id(target, key)})
            .await?
            .as_ref()
            .map(document_of))
    }

    pub(crate) async fn ids(
        &self,
        target: &str,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> mongodb::error::Result<Vec<String>> {
        let mut filter = scope_filter(target, scope);
        if let Some(since) = since {
            filter.insert("updated", doc! {"$gt": nanos(&since)});
        }
        let mut ids: Vec<String> = self
            .documents
            .find(filter)
            .projection(doc! {"_id.id": 1})
            .await?
            .try_filter_map(|doc| async move {
                Ok(doc
                    .get_document("_id")
                    .ok()
                    .and_then(|id| id.get_str("id").ok())
                    .map(str::to_owned))
            })
            .try_collect()
            .await?;
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// Writes `document` when `precondition` holds; the check is part of the write's filter, so
    /// it is atomic.
    pub(crate) async fn put(
        &self,
        target: &str,
        key: &DocumentKey,
        document: &Document,
        precondition: &Precondition,
    ) -> Result<std::result::Result<(), mongodb::error::Error>> {
        let id = document_id(target, key);
        let replacement = stored_document(id.clone(), document);
        let outcome = match precondition {
            Precondition::Absent => {
                return Ok(match self.documents.insert_one(replacement).await {
                    Ok(_) => Ok(()),
                    Err(err) if crate::store::is_duplicate(&err) => {
                        return Err(precondition_failed(key));
                    }
                    Err(err) => Err(err),
                });
            }
            Precondition::Any => {
                // Two first writes of one document may collide on its `_id`: the second retries
                // as a replacement.
                let mut result = self
                    .documents
                    .replace_one(doc! {"_id": &id}, &replacement)
                    .upsert(true)
                    .await;
                if let Err(err) = &result
                    && crate::store::is_duplicate(err)
                {
                    result = self
                        .documents
                        .replace_one(doc! {"_id": &id}, &replacement)
                        .upsert(true)
                        .await;
                }
                return Ok(result.map(drop));
            }
            Precondition::Matches(etag) => {
                self.documents
                    .replace_one(doc! {"_id": &id, "etag": etag}, &replacement)
                    .await
            }
            Precondition::Exists => {
                self.documents
                    .replace_one(doc! {"_id": &id}, &replacement)
                    .await
            }
        };
        Ok(match outcome {
            Ok(result) if result.matched_count == 0 => return Err(precondition_failed(key)),
            Ok(_) => Ok(()),
            Err(err) => Err(err),
        })
    }

    pub(crate) async fn delete(
        &self,
        target: &str,
        key: &DocumentKey,
        precondition: &Precondition,
    ) -> Result<std::result::Result<(), mongodb::error::Error>> {
        let id = document_id(target, key);
        let filter = match precondition {
            Precondition::Any => doc! {"_id": &id},
            Precondition::Absent => {
                return Ok(match self.documents.find_one(doc! {"_id": &id}).await {
                    Ok(Some(_)) => return Err(precondition_failed(key)),
                    Ok(None) => Ok(()),
                    Err(err) => Err(err),
                });
            }
            Precondition::Matches(etag) => doc! {"_id": &id, "etag": etag},
            Precondition::Exists => doc! {"_id": &id},
        };
        Ok(match self.documents.delete_one(filter).await {
            Ok(result) if result.deleted_count == 0 && *precondition != Precondition::Any => {
                return Err(precondition_failed(key));
            }
            Ok(_) => Ok(()),
            Err(err) => Err(err),
        })
    }

    pub(crate) async fn delete_scope(
        &self,
        target: &str,
        scope: &DocumentScope,
    ) -> mongodb::error::Result<u64> {
        Ok(self
            .documents
            .delete_many(scope_filter(target, scope))
            .await?
            .deleted_count)
    }

    /// Deletes (counts, on a dry run) the states and agent profiles of `agent` (an IFI key)
    /// in `target`.
    pub(crate) async fn delete_agent(
        &self,
        target: &str,
        agent: &str,
        dry_run: bool,
    ) -> mongodb::error::Result<u64> {
        let filter = doc! {
            "_id.target": target,
            "_id.agent": agent,
            "_id.kind": {"$in": ["state", "agent_profile"]},
        };
        if dry_run {
            return self.documents.count_documents(filter).await;
        }
        Ok(self.documents.delete_many(filter).await?.deleted_count)
    }

    /// Removes the attachment `sha2`; returns whether it was there.
    pub(crate) async fn remove_attachment(&self, sha2: &str) -> mongodb::error::Result<bool> {
        Ok(self
            .attachments
            .delete_one(doc! {"_id": sha2})
            .await?
            .deleted_count
            > 0)
    }

    pub(crate) async fn put_attachment(
        &self,
        attachment: &Attachment,
    ) -> mongodb::error::Result<()> {
        let doc = doc! {
            "_id": &attachment.sha2,
            "content_type": &attachment.content_type,
            "content": Binary { subtype: BinarySubtype::Generic, bytes: attachment.content.to_vec() },
        };
        match self.attachments.insert_one(doc).await {
            Ok(_) => Ok(()),
            Err(err) if crate::store::is_duplicate(&err) => Ok(()),
            Err(err) => Err(err),
        }
    }

    pub(crate) async fn attachment(
        &self,
        sha2: &str,
    ) -> mongodb::error::Result<Option<Attachment>> {
        Ok(self
            .attachments
            .find_one(doc! {"_id": sha2})
            .await?
            .map(|doc| Attachment {
                sha2: sha2.to_owned(),
                content_type: doc.get_str("content_type").unwrap_or_default().to_owned(),
                content: bytes_of(&doc, "content"),
            }))
    }
}

/// A reserved collection name cannot be a statements target.
pub(crate) fn is_reserved(name: &str) -> bool {
    name == DOCUMENTS_COLLECTION || name == ATTACHMENTS_COLLECTION
}
