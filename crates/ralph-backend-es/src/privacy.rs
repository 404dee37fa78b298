//! Deletion and rewriting of statements in the Elasticsearch store. A statement is one
//! document, so each goes or changes whole; a request interrupted half-way is finished by
//! running it again.

use std::collections::HashSet;

use bytes::BytesMut;
use elasticsearch::{DeleteByQueryParts, DeleteParts, SearchParts};
use ralph_core::lrs::privacy::statement_attachments;
use ralph_core::lrs::{Ifi, statement_id};
use ralph_core::{ErrorKind, Result};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::store::{EsStore, document, line};

/// Statements read per page when looking for the attachments still referenced.
const PAGE: usize = 1000;

impl EsStore {
    /// Deletes the statements of `target` with these ids.
    pub(crate) async fn remove_by_ids(&self, target: Option<&str>, ids: &[String]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let index = self.target_index(target).to_owned();
        let mut body = BytesMut::new();
        for id in ids {
            line(&mut body, &json!({"delete": {"_id": id}}));
        }
        let items = self.bulk(&index, body).await?;
        Ok(items.iter().filter(|(status, _)| *status == 200).count() as u64)
    }

    /// Replaces each statement of `target` with the one of the same id, re-indexed, its voided
    /// flag kept.
    pub(crate) async fn replace_by_ids(
        &self,
        target: Option<&str>,
        statements: Vec<Value>,
    ) -> Result<u64> {
        let index = self.target_index(target).to_owned();
        let ids: Vec<&str> = statements.iter().filter_map(statement_id).collect();
        let stored = self.lookup(&index, &ids).await?;
        let mut body = BytesMut::new();
        let mut count = 0;
        for statement in &statements {
            let Some(id) = statement_id(statement) else {
                continue;
            };
            let Some(found) = stored.get(id).and_then(|d| d.source.as_ref()) else {
                continue;
            };
            line(&mut body, &json!({"index": {"_id": id}}));
            line(&mut body, &document(statement, id, found.voided));
            count += 1;
        }
        if count == 0 {
            return Ok(0);
        }
        let items = self.bulk(&index, body).await?;
        if let Some((status, error)) = items.iter().find(|(status, _)| *status >= 300) {
            return Err(ralph_core::Error::backend(format!(
                "es: rewriting statements of index `{index}` failed ({status}): {}",
                error.as_ref().map(Value::to_string).unwrap_or_default()
            )));
        }
        Ok(items.len() as u64)
    }

    /// Which of `candidates` a statement of any statements index of the cluster references;
    /// `None` when some index could not be read (then nothing is removed).
    async fn attachments_in_use(
        &self,
        candidates: &HashSet<String>,
    ) -> Result<Option<HashSet<String>>> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(rename = "_shards")]
            shards: Shards,
            hits: Hits,
        }
        #[derive(Deserialize)]
        struct Shards {
            #[serde(default)]
            failed: u64,
        }
        #[derive(Deserialize)]
        struct Hits {
            hits: Vec<Hit>,
        }
        #[derive(Deserialize)]
        struct Hit {
            #[serde(rename = "_source", default)]
            source: Value,
            #[serde(default)]
            sort: Option<Value>,
        }
        let mut used = HashSet::new();
        let mut after: Option<Value> = None;
        // The statements are kept unindexed: read the attachments of every statement, in
        // every index but the documents and attachments ones.
        let indices = ["*", "-*-documents", "-*-attachments"];
        loop {
            let mut body = json!({
                "size": PAGE,
                "_source": ["statement.attachments.sha2", "statement.object.attachments.sha2"],
                "query": {"bool": {"filter": [{"exists": {"field": "stored"}}]}},
                "sort": [{"stored": "asc"}, {"id": "asc"}],
                "track_total_hits": false,
            });
            if let Some(after) = &after {
                body["search_after"] = after.clone();
            }
            let sent = self
                .cluster
                .client
                .search(SearchParts::Index(&indices))
                .ignore_unavailable(true)
                .allow_no_indices(true)
                .body(body)
                .send()
                .await;
            let answer: Answer = match self
                .cluster
                .json("look for the attachments still referenced", sent)
                .await
            {
                Ok(answer) => answer,
                Err(err) if err.kind() == ErrorKind::InvalidInput => return Ok(None),
                Err(err) => return Err(err),
            };
            if answer.shards.failed > 0 {
                return Ok(None);
            }
            let n = answer.hits.hits.len();
            for hit in &answer.hits.hits {
                if let Some(statement) = hit.source.get("statement") {
                    used.extend(
                        statement_attachments(statement)
                            .into_iter()
                            .filter(|s| candidates.contains(s)),
                    );
                }
            }
            if n < PAGE || used.len() == candidates.len() {
                return Ok(Some(used));
            }
            after = answer.hits.hits.last().and_then(|h| h.sort.clone());
            if after.is_none() {
                return Ok(Some(used));
            }
        }
    }

    /// Removes the attachments `sha2s` that no statement of the cluster references.
    pub(crate) async fn remove_attachments_unused(&self, sha2s: &[String]) -> Result<u64> {
        let candidates: HashSet<String> = sha2s.iter().cloned().collect();
        let Some(used) = self.attachments_in_use(&candidates).await? else {
            tracing::warn!(target: "ralph", "es: some statement index could not be read; attachments kept");
            return Ok(0);
        };
        let index = self.attachments_index();
        let mut removed = 0;
        for sha2 in candidates.difference(&used) {
            let sent = self
                .cluster
                .client
                .delete(DeleteParts::IndexId(&index, sha2))
                .refresh(self.refresh())
                .send()
                .await;
            match self
                .cluster
                .json::<Value>(&format!("delete attachment `{sha2}`"), sent)
                .await
            {
                Ok(_) => removed += 1,
                Err(err) if err.kind() == ErrorKind::NotFound => {}
                Err(err) => return Err(err),
            }
        }
        Ok(removed)
    }

    /// Deletes (counts, on a dry run) the states and agent profiles of `agent` in `target`.
    pub(crate) async fn delete_documents_of(
        &self,
        target: Option<&str>,
        agent: &Ifi,
        dry_run: bool,
    ) -> Result<u64> {
        #[derive(Deserialize)]
        struct Deleted {
            #[serde(default)]
            deleted: u64,
        }
        #[derive(Deserialize)]
        struct Counted {
            hits: CountedHits,
        }
        #[derive(Deserialize)]
        struct CountedHits {
            total: Total,
        }
        #[derive(Deserialize)]
        struct Total {
            value: u64,
        }
        let index = self.documents_index(target);
        let query = json!({"bool": {"filter": [
            {"term": {"agent": agent.key()}},
            {"terms": {"kind": ["state", "agent_profile"]}},
        ]}});
        let doing = format!("delete the agent's documents of index `{index}`");
        let result = if dry_run {
            let sent = self
                .cluster
                .client
                .search(SearchParts::Index(&[&index]))
                .body(json!({"size": 0, "track_total_hits": true, "query": query}))
                .send()
                .await;
            self.cluster
                .json::<Counted>(&doing, sent)
                .await
                .map(|c| c.hits.total.value)
        } else {
            let sent = self
                .cluster
                .client
                .delete_by_query(DeleteByQueryParts::Index(&[&index]))
                .refresh(true)
                .body(json!({"query": query}))
                .send()
                .await;
            self.cluster
                .json::<Deleted>(&doing, sent)
                .await
                .map(|d| d.deleted)
        };
        match result {
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(0),
            other => other,
        }
    }
}
