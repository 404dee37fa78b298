//! Documents (state, activity profile, agent profile) and attachments of the es store.
//!
//! Documents of a target live in the index `<target index>-documents`, one Elasticsearch
//! document per xAPI document, whose `_id` is the SHA-256 of its full key. Preconditions are
//! checked and applied with optimistic concurrency: the stored version is read (realtime get),
//! the precondition checked against its ETag, and the write sent with `if_seq_no` /
//! `if_primary_term` (or as a `create` when nothing is stored), so a writer that lost a race
//! reads again and checks again. Attachments live in `<default index>-attachments`, keyed by
//! their `sha2`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use elasticsearch::http::response::Response;
use elasticsearch::{
    CreateParts, DeleteByQueryParts, DeleteParts, GetParts, IndexParts, SearchParts,
};
use ralph_core::lrs::{
    Attachment, Document, DocumentKey, DocumentScope, Precondition, precondition_failed, sha256_hex,
};
use ralph_core::{Error, ErrorKind, Result};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::store::EsStore;

/// How many times a conditional write reads again after losing a race.
const MAX_ATTEMPTS: usize = 20;

fn documents_mapping() -> Value {
    json!({"mappings": {"dynamic": "strict", "properties": {
        "kind": {"type": "keyword"},
        "activity": {"type": "keyword"},
        "agent": {"type": "keyword"},
        "registration": {"type": "keyword"},
        "doc_id": {"type": "keyword"},
        "key": {"type": "keyword"},
        "content": {"type": "binary"},
        "content_type": {"type": "keyword", "index": false},
        "etag": {"type": "keyword"},
        "updated": {"type": "long"}
    }}})
}

fn attachments_mapping() -> Value {
    json!({"mappings": {"dynamic": "strict", "properties": {
        "content": {"type": "binary"},
        "content_type": {"type": "keyword", "index": false}
    }}})
}

/// The `_id` of a document: the SHA-256 of its key (an id may be longer than `_id` allows).
fn key_id(key: &DocumentKey) -> String {
    let scope = &key.scope;
    sha256_hex(
        [
            scope.kind.as_str(),
            scope.activity_key(),
            &scope.agent_key(),
            scope.registration_key(),
            &key.id,
        ]
        .join("\0")
        .as_bytes(),
    )
}

/// The filters selecting the documents of `scope` (every registration when it has none).
fn scope_filter(scope: &DocumentScope) -> Vec<Value> {
    let mut filter = vec![
        json!({"term": {"kind": scope.kind.as_str()}}),
        json!({"term": {"activity": scope.activity_key()}}),
        json!({"term": {"agent": scope.agent_key()}}),
    ];
    if let Some(registration) = &scope.registration {
        filter.push(json!({"term": {"registration": registration}}));
    }
    filter
}

fn nanos(at: DateTime<Utc>) -> i64 {
    at.timestamp_nanos_opt().unwrap_or(i64::MAX)
}

#[derive(Deserialize)]
struct Got<T> {
    #[serde(default)]
    found: bool,
    #[serde(rename = "_seq_no")]
    seq_no: Option<i64>,
    #[serde(rename = "_primary_term")]
    primary_term: Option<i64>,
    #[serde(rename = "_source")]
    source: Option<T>,
}

#[derive(Deserialize)]
struct StoredDocument {
    content: String,
    content_type: String,
    etag: String,
    updated: i64,
}

#[derive(Deserialize)]
struct StoredAttachment {
    content: String,
    content_type: String,
}

impl EsStore {
    pub(crate) fn documents_index(&self, target: Option<&str>) -> String {
        format!("{}-documents", self.target_index(target))
    }

    pub(crate) fn attachments_index(&self) -> String {
        format!("{}-attachments", self.settings.default_index)
    }

    /// The realtime get of `id` in `index`: the source and its version, or `None`.
    async fn get_source<T: serde::de::DeserializeOwned>(
        &self,
        index: &str,
        id: &str,
        doing: &str,
    ) -> Result<Option<(T, (i64, i64))>> {
        let sent = self
            .cluster
            .client
            .get(GetParts::IndexId(index, id))
            .send()
            .await;
        let got: Got<T> = match self.cluster.json(doing, sent).await {
            Ok(got) => got,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err),
        };
        if !got.found {
            return Ok(None);
        }
        match (got.source, got.seq_no, got.primary_term) {
            (Some(source), Some(seq_no), Some(term)) => Ok(Some((source, (seq_no, term)))),
            _ => Ok(None),
        }
    }

    fn decode(&self, content: &str, what: &str) -> Result<bytes::Bytes> {
        BASE64
            .decode(content)
            .map(bytes::Bytes::from)
            .map_err(|err| {
                Error::backend(format!(
                    "elasticsearch at `{}`: {what}: stored content is not base64: {err}",
                    self.cluster.name
                ))
            })
    }

    /// The document `key` and its version.
    pub(crate) async fn stored_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
    ) -> Result<Option<(Document, (i64, i64))>> {
        let index = self.documents_index(target);
        let what = format!("get document `{}` of index `{index}`", key.id);
        let Some((stored, version)) = self
            .get_source::<StoredDocument>(&index, &key_id(key), &what)
            .await?
        else {
            return Ok(None);
        };
        let document = Document {
            content: self.decode(&stored.content, &what)?,
            content_type: stored.content_type,
            etag: stored.etag,
            updated: DateTime::from_timestamp_nanos(stored.updated),
        };
        Ok(Some((document, version)))
    }

    /// Writes (`Some`) or deletes (`None`) the document `key` when `precondition` holds, as one
    /// compare-and-set on the stored version.
    pub(crate) async fn write_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        document: Option<Document>,
        precondition: &Precondition,
    ) -> Result<()> {
        let index = self.documents_index(target);
        if document.is_some() {
            self.ensure_index(&index, documents_mapping).await?;
        }
        let id = key_id(key);
        let doing = format!("write document `{}` of index `{index}`", key.id);
        let body = document.as_ref().map(|d| {
            let scope = &key.scope;
            json!({
                "kind": scope.kind.as_str(),
                "activity": scope.activity_key(),
                "agent": scope.agent_key(),
                "registration": scope.registration_key(),
                "doc_id": key.id,
                "key": id,
                "content": BASE64.encode(&d.content),
                "content_type": d.content_type,
                "etag": d.etag,
                "updated": nanos(d.updated),
            })
        });
        for _ in 0..MAX_ATTEMPTS {
            let stored = self.stored_document(target, key).await?;
            if !precondition.holds(stored.as_ref().map(|(d, _)| d.etag.as_str())) {
                return Err(precondition_failed(key));
            }
            let client = &self.cluster.client;
            let sent = match (&body, stored.map(|(_, v)| v)) {
                (Some(body), Some((seq_no, term))) => {
                    client
                        .index(IndexParts::IndexId(&index, &id))
                        .if_seq_no(seq_no)
                        .if_primary_term(term)
                        .refresh(self.refresh())
                        .body(body)
                        .send()
                        .await
                }
                (Some(body), None) => {
                    client
                        .create(CreateParts::IndexId(&index, &id))
                        .refresh(self.refresh())
                        .body(body)
                        .send()
                        .await
                }
                (None, Some((seq_no, term))) => {
                    client
                        .delete(DeleteParts::IndexId(&index, &id))
                        .if_seq_no(seq_no)
                        .if_primary_term(term)
                        .refresh(self.refresh())
                        .send()
                        .await
                }
                (None, None) => return Ok(()),
            };
            if self.applied(&doing, sent).await? {
                return Ok(());
            }
            // Another writer changed the document since it was read: read it again.
        }
        Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "document `{}`: too many concurrent writers; try again",
                key.id
            ),
        ))
    }

    /// Whether a conditional write applied (`false`: it lost a race, 409 or 404).
    async fn applied(
        &self,
        doing: &str,
        sent: std::result::Result<Response, elasticsearch::Error>,
    ) -> Result<bool> {
        let response = sent.map_err(|err| self.cluster.transport_error(doing, err))?;
        let status = response.status_code().as_u16();
        if (200..300).contains(&status) {
            return Ok(true);
        }
        if status == 409 || status == 404 {
            return Ok(false);
        }
        let body = response.text().await.unwrap_or_default();
        Err(self.cluster.status_error(doing, status, &body))
    }

    /// The ids of the documents of `scope` updated after `since`, sorted, each once.
    pub(crate) async fn list_document_ids(
        &self,
        target: Option<&str>,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Answer {
            hits: Hits,
        }
        #[derive(Deserialize)]
        struct Hits {
            hits: Vec<Hit>,
        }
        #[derive(Deserialize)]
        struct Hit {
            sort: Vec<Value>,
            #[serde(rename = "_source")]
            source: Source,
        }
        #[derive(Deserialize)]
        struct Source {
            doc_id: String,
        }
        const PAGE: usize = 1000;
        let index = self.documents_index(target);
        let mut filter = scope_filter(scope);
        if let Some(since) = since {
            filter.push(json!({"range": {"updated": {"gt": nanos(since)}}}));
        }
        let mut ids: Vec<String> = Vec::new();
        let mut after: Option<Vec<Value>> = None;
        loop {
            let mut body = json!({
                "query": {"bool": {"filter": filter}},
                "sort": [{"doc_id": "asc"}, {"key": "asc"}],
                "size": PAGE,
                "_source": ["doc_id"],
                "track_total_hits": false,
            });
            if let Some(after) = &after {
                body["search_after"] = Value::Array(after.clone());
            }
            let sent = self
                .cluster
                .client
                .search(SearchParts::Index(&[&index]))
                .body(body)
                .send()
                .await;
            let answer: Answer = match self
                .cluster
                .json(&format!("list documents of index `{index}`"), sent)
                .await
            {
                Ok(answer) => answer,
                Err(err) if err.kind() == ErrorKind::NotFound => return Ok(ids),
                Err(err) => return Err(err),
            };
            let n = answer.hits.hits.len();
            for hit in answer.hits.hits {
                if ids.last() != Some(&hit.source.doc_id) {
                    ids.push(hit.source.doc_id);
                }
                after = Some(hit.sort);
            }
            if n < PAGE {
                return Ok(ids);
            }
        }
    }

    /// Deletes the documents of `scope`; how many were deleted.
    pub(crate) async fn delete_scope(
        &self,
        target: Option<&str>,
        scope: &DocumentScope,
    ) -> Result<u64> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            deleted: u64,
        }
        let index = self.documents_index(target);
        let sent = self
            .cluster
            .client
            .delete_by_query(DeleteByQueryParts::Index(&[&index]))
            .refresh(true)
            .body(json!({"query": {"bool": {"filter": scope_filter(scope)}}}))
            .send()
            .await;
        match self
            .cluster
            .json::<Answer>(&format!("delete documents of index `{index}`"), sent)
            .await
        {
            Ok(answer) => Ok(answer.deleted),
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(0),
            Err(err) => Err(err),
        }
    }

    /// Keeps an attachment once per `sha2`.
    pub(crate) async fn store_attachment(&self, attachment: Attachment) -> Result<()> {
        let index = self.attachments_index();
        self.ensure_index(&index, attachments_mapping).await?;
        let sent = self
            .cluster
            .client
            .create(CreateParts::IndexId(&index, &attachment.sha2))
            .body(json!({
                "content": BASE64.encode(&attachment.content),
                "content_type": attachment.content_type,
            }))
            .send()
            .await;
        // 409: kept already.
        self.applied(
            &format!("store attachment `{}` in index `{index}`", attachment.sha2),
            sent,
        )
        .await
        .map(drop)
    }

    /// The attachment with this `sha2`.
    pub(crate) async fn find_attachment(&self, sha2: &str) -> Result<Option<Attachment>> {
        let index = self.attachments_index();
        let what = format!("get attachment `{sha2}` of index `{index}`");
        let Some((stored, _)) = self
            .get_source::<StoredAttachment>(&index, sha2, &what)
            .await?
        else {
            return Ok(None);
        };
        Ok(Some(Attachment {
            sha2: sha2.to_owned(),
            content_type: stored.content_type,
            content: self.decode(&stored.content, &what)?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ralph_core::lrs::Ifi;

    #[test]
    fn document_ids_depend_on_the_whole_key() {
        let agent = Ifi::Mbox("mailto:a@example.org".into());
        let a = DocumentScope::state("http://a", agent.clone(), None).document("x");
        let b = DocumentScope::state("http://a", agent.clone(), Some("r".into())).document("x");
        let c = DocumentScope::agent_profile(agent).document("x");
        assert_ne!(key_id(&a), key_id(&b));
        assert_ne!(key_id(&a), key_id(&c));
        assert_eq!(key_id(&a).len(), 64);
        let filter = scope_filter(&DocumentScope::activity_profile("http://a"));
        assert_eq!(filter.len(), 3, "no registration: every registration");
    }
}
