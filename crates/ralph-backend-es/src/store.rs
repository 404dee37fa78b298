//! The Elasticsearch statement store.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::{BufMut, BytesMut};
use chrono::{DateTime, Utc};
use elasticsearch::params::Refresh as EsRefresh;
use elasticsearch::{BulkParts, GetParts, MgetParts, SearchParts};
use ralph_core::lrs::{
    Attachment, Document, DocumentKey, DocumentScope, FoundStatement, Ifi, LrsStore,
    MAX_REFERENCE_DEPTH, Precondition, Relation, StatementPage, StatementQuery, equivalent,
    referenced_statement, statement_activities, statement_agents, statement_id, stored_at,
    voided_target,
};
use ralph_core::{BackendStatus, Error, ErrorKind, Result};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::client::{Cluster, describe_error, kind_of_status};
use crate::settings::{EsSettings, Refresh};

/// The mapping of a statements index: the statement is kept whole but not indexed (so that no
/// statement content can clash with the mapping), beside the few typed fields the filters use.
fn mapping() -> Value {
    json!({"mappings": {"dynamic": "strict", "properties": {
        "statement": {"type": "object", "enabled": false},
        "id": {"type": "keyword"},
        "stored": {"type": "long"},
        "verb": {"type": "keyword"},
        "registration": {"type": "keyword"},
        "authority": {"type": "keyword"},
        "agents": {"type": "keyword"},
        "agents_direct": {"type": "keyword"},
        "activities": {"type": "keyword"},
        "activities_direct": {"type": "keyword"},
        "voids": {"type": "keyword"},
        "ref": {"type": "keyword"},
        "voided": {"type": "boolean"}
    }}})
}

/// The document of a statement.
pub(crate) fn document(statement: &Value, id: &str, voided: bool) -> Value {
    // Statements written without `stored` are ordered by their time of insertion.
    let stored = stored_at(statement).unwrap_or_else(Utc::now);
    let text = |pointer: &str| statement.pointer(pointer).and_then(Value::as_str);
    let (mut agents, mut agents_direct) = (Vec::new(), Vec::new());
    for (ifi, relation) in statement_agents(statement) {
        if relation == Relation::Direct {
            agents_direct.push(ifi.key());
        }
        agents.push(ifi.key());
    }
    let (mut activities, mut activities_direct) = (Vec::new(), Vec::new());
    for (iri, relation) in statement_activities(statement) {
        if relation == Relation::Direct {
            activities_direct.push(iri.clone());
        }
        activities.push(iri);
    }
    json!({
        "statement": statement,
        "id": id,
        "stored": stored.timestamp_micros(),
        "verb": text("/verb/id"),
        "registration": text("/context/registration").map(str::to_ascii_lowercase),
        "authority": statement.get("authority").and_then(Ifi::of).map(|i| i.key()),
        "agents": agents,
        "agents_direct": agents_direct,
        "activities": activities,
        "activities_direct": activities_direct,
        "voids": voided_target(statement),
        "ref": referenced_statement(statement),
        "voided": voided,
    })
}

/// The document standing for a statement voided before it arrives: no statement, voided.
fn placeholder(id: &str) -> Value {
    json!({"id": id, "voided": true})
}

/// A stored document, as a realtime get sees it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct StoredDoc {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    found: bool,
    #[serde(rename = "_seq_no")]
    seq_no: Option<u64>,
    #[serde(rename = "_primary_term")]
    primary_term: Option<u64>,
    #[serde(rename = "_source")]
    pub(crate) source: Option<StoredSource>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct StoredSource {
    statement: Option<Value>,
    #[serde(default)]
    voids: Option<String>,
    #[serde(default)]
    pub(crate) voided: bool,
}

impl StoredDoc {
    fn statement(&self) -> Option<&Value> {
        self.source.as_ref()?.statement.as_ref()
    }

    fn is_voider(&self) -> bool {
        self.source.as_ref().is_some_and(|s| s.voids.is_some())
    }

    fn version(&self) -> Option<(u64, u64)> {
        Some((self.seq_no?, self.primary_term?))
    }
}

fn conflict(id: &str) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!("a different statement is already stored with id `{id}`"),
    )
}

/// What a bulk operation of an insert stands for.
enum Op {
    /// Stores statement `n` of the new statements.
    Statement(usize),
    /// Marks a stored statement voided.
    Void(String),
    /// Stores a placeholder for a statement voided before it arrives.
    Placeholder(String),
}

/// The Elasticsearch LRS store: one index per target (the default index for users without
/// one), one document per statement whose `_id` is the statement id.
///
/// Inserts check the ids with a realtime multi-get, then store the batch with one `_bulk`
/// (`create`, so that two writers of the same id cannot both store it) refreshed before the
/// answer, so a statement is found as soon as its POST is answered. A voiding statement whose
/// target is not stored yet leaves a placeholder document under the target's id, which the
/// target replaces, voided, when it arrives.
#[derive(Clone)]
pub struct EsStore {
    pub(crate) settings: EsSettings,
    pub(crate) cluster: Cluster,
    ready: Arc<Mutex<HashSet<String>>>,
}

impl std::fmt::Debug for EsStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsStore")
            .field("hosts", &self.cluster.name)
            .field("default_index", &self.settings.default_index)
            .finish_non_exhaustive()
    }
}

impl EsStore {
    /// A store on the cluster of `settings`; creates the default index when missing.
    pub async fn open(settings: EsSettings) -> Result<Self> {
        let cluster = Cluster::new(&settings, "backends.lrs.es")?;
        let store = Self {
            settings,
            cluster,
            ready: Default::default(),
        };
        store
            .ensure_index(&store.settings.default_index, mapping)
            .await?;
        Ok(store)
    }

    /// The index of `target`.
    pub fn target_index<'a>(&'a self, target: Option<&'a str>) -> &'a str {
        target
            .filter(|t| !t.is_empty())
            .unwrap_or(&self.settings.default_index)
    }

    /// Deletes the indices of `target`: its statements and its documents (and, for the default
    /// index, the attachments); a missing index is not an error.
    pub async fn delete_index(&self, target: Option<&str>) -> Result<()> {
        let index = self.target_index(target).to_owned();
        let mut indices = vec![index.clone(), format!("{index}-documents")];
        if index == self.settings.default_index {
            indices.push(format!("{index}-attachments"));
        }
        for index in indices {
            if let Ok(mut ready) = self.ready.lock() {
                ready.remove(&index);
            }
            let sent = self
                .cluster
                .client
                .indices()
                .delete(elasticsearch::indices::IndicesDeleteParts::Index(&[&index]))
                .send()
                .await;
            match self
                .cluster
                .json::<Value>(&format!("delete index `{index}`"), sent)
                .await
            {
                Err(err) if err.kind() == ErrorKind::NotFound => {}
                other => other.map(drop)?,
            }
        }
        Ok(())
    }

    /// Creates `index` with the mapping of `mapping` unless it exists.
    pub(crate) async fn ensure_index(&self, index: &str, mapping: fn() -> Value) -> Result<()> {
        if self.ready.lock().is_ok_and(|ready| ready.contains(index)) {
            return Ok(());
        }
        let sent = self
            .cluster
            .client
            .indices()
            .create(elasticsearch::indices::IndicesCreateParts::Index(index))
            .body(mapping())
            .send()
            .await;
        let response = sent.map_err(|err| {
            self.cluster
                .transport_error(&format!("create index `{index}`"), err)
        })?;
        let status = response.status_code().as_u16();
        if !(200..300).contains(&status) {
            let body = response.text().await.unwrap_or_default();
            if !body.contains("resource_already_exists_exception") {
                return Err(self.cluster.status_error(
                    &format!("create index `{index}`"),
                    status,
                    &body,
                ));
            }
        }
        if let Ok(mut ready) = self.ready.lock() {
            ready.insert(index.to_owned());
        }
        Ok(())
    }

    pub(crate) fn refresh(&self) -> EsRefresh {
        match self.settings.refresh_after_write {
            Some(Refresh::False) => EsRefresh::False,
            Some(Refresh::True) => EsRefresh::True,
            Some(Refresh::WaitFor) | None => EsRefresh::WaitFor,
        }
    }

    /// The documents of `ids` in `index` (realtime), by id.
    pub(crate) async fn lookup(
        &self,
        index: &str,
        ids: &[&str],
    ) -> Result<HashMap<String, StoredDoc>> {
        #[derive(Deserialize)]
        struct Docs {
            docs: Vec<StoredDoc>,
        }
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sent = self
            .cluster
            .client
            .mget(MgetParts::Index(index))
            ._source_includes(&["statement", "voids", "voided"])
            .body(json!({ "ids": ids }))
            .send()
            .await;
        let docs: Docs = match self
            .cluster
            .json(&format!("look up statements in index `{index}`"), sent)
            .await
        {
            Ok(docs) => docs,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(HashMap::new()),
            Err(err) => return Err(err),
        };
        Ok(docs
            .docs
            .into_iter()
            .filter(|d| d.found)
            .map(|d| (d.id.clone(), d))
            .collect())
    }

    /// Sends `lines` to `_bulk` and returns the status and error of each operation.
    pub(crate) async fn bulk(
        &self,
        index: &str,
        body: BytesMut,
    ) -> Result<Vec<(u16, Option<Value>)>> {
        #[derive(Deserialize)]
        struct Answer {
            items: Vec<HashMap<String, Item>>,
        }
        #[derive(Deserialize)]
        struct Item {
            status: u16,
            error: Option<Value>,
        }
        let sent = self
            .cluster
            .client
            .bulk(BulkParts::Index(index))
            .refresh(self.refresh())
            .filter_path(&["items.*.status", "items.*.error"])
            .body(vec![body.freeze()])
            .send()
            .await;
        let answer: Answer = self
            .cluster
            .json(&format!("store statements in index `{index}`"), sent)
            .await?;
        Ok(answer
            .items
            .into_iter()
            .map(|item| {
                item.into_values()
                    .next()
                    .map_or((500, None), |i| (i.status, i.error))
            })
            .collect())
    }

    async fn insert_batch(&self, index: &str, statements: Vec<Value>) -> Result<Vec<String>> {
        // Ids, and duplicates inside the batch.
        let mut batch: Vec<(String, Value)> = Vec::with_capacity(statements.len());
        let mut in_batch: HashMap<String, usize> = HashMap::new();
        for statement in statements {
            let Some(id) = statement_id(&statement).map(str::to_owned) else {
                return Err(Error::invalid_input("statement has no string `id`"));
            };
            if let Some(&i) = in_batch.get(&id) {
                if equivalent(&batch[i].1, &statement) {
                    continue;
                }
                return Err(conflict(&id));
            }
            in_batch.insert(id.clone(), batch.len());
            batch.push((id, statement));
        }
        let mut lookup: Vec<&str> = batch.iter().map(|(id, _)| id.as_str()).collect();
        lookup.extend(batch.iter().filter_map(|(_, s)| voided_target(s)));
        lookup.sort_unstable();
        lookup.dedup();
        let stored = self.lookup(index, &lookup).await?;

        // What is new; what is stored already (same content: skipped; other content: conflict).
        let mut new: Vec<(String, Value)> = Vec::new();
        for (id, statement) in batch {
            match stored.get(&id).and_then(StoredDoc::statement) {
                Some(existing) if equivalent(existing, &statement) => {}
                Some(_) => return Err(conflict(&id)),
                None => new.push((id, statement)),
            }
        }
        if new.is_empty() {
            return Ok(Vec::new());
        }
        let new_voiders: HashSet<&str> = new
            .iter()
            .filter(|(_, s)| voided_target(s).is_some())
            .map(|(id, _)| id.as_str())
            .collect();
        let mut voids: Vec<String> = Vec::new();
        for (id, statement) in &new {
            let Some(target) = voided_target(statement) else {
                continue;
            };
            let voids_a_voider = stored
                .get(target)
                .is_some_and(|d| d.statement().is_some() && d.is_voider())
                || new_voiders.contains(target);
            if voids_a_voider {
                return Err(Error::invalid_input(format!(
                    "statement `{id}` voids `{target}`, a voiding statement: voiding statements cannot be voided"
                )));
            }
            voids.push(target.to_owned());
        }
        let voided_in_batch: HashSet<&str> = voids.iter().map(String::as_str).collect();
        let new_ids: HashSet<&str> = new.iter().map(|(id, _)| id.as_str()).collect();

        let mut body = BytesMut::with_capacity(new.len() * 1024);
        let mut ops = Vec::with_capacity(new.len() + voids.len());
        for (n, (id, statement)) in new.iter().enumerate() {
            let placeholder = stored.get(id).filter(|d| d.statement().is_none());
            let voided = voided_target(statement).is_none()
                && (placeholder.is_some() || voided_in_batch.contains(id.as_str()));
            let action = match placeholder.and_then(StoredDoc::version) {
                Some((seq_no, term)) => {
                    json!({"index": {"_id": id, "if_seq_no": seq_no, "if_primary_term": term}})
                }
                None => json!({"create": {"_id": id}}),
            };
            line(&mut body, &action);
            line(&mut body, &document(statement, id, voided));
            ops.push(Op::Statement(n));
        }
        for target in voids.iter().filter(|t| !new_ids.contains(t.as_str())) {
            match stored.get(target) {
                Some(doc) if doc.statement().is_some() => {
                    if !doc.source.as_ref().is_some_and(|s| s.voided) {
                        line(&mut body, &json!({"update": {"_id": target}}));
                        line(&mut body, &json!({"doc": {"voided": true}}));
                        ops.push(Op::Void(target.clone()));
                    }
                }
                Some(_) => {} // a placeholder: voided already
                None => {
                    line(&mut body, &json!({"create": {"_id": target}}));
                    line(&mut body, &placeholder(target));
                    ops.push(Op::Placeholder(target.clone()));
                }
            }
        }
        let results = self.bulk(index, body).await?;
        if results.len() != ops.len() {
            return Err(Error::backend(format!(
                "elasticsearch at `{}`: store statements in index `{index}`: {} results for {} operations",
                self.cluster.name,
                results.len(),
                ops.len()
            )));
        }

        let mut inserted = vec![true; new.len()];
        let mut created: Vec<&str> = Vec::new();
        let mut failure: Option<Error> = None;
        let mut retry_void: Vec<String> = Vec::new();
        for (op, (status, error)) in ops.iter().zip(results) {
            let ok = (200..300).contains(&status);
            match op {
                Op::Statement(n) if ok => created.push(&new[*n].0),
                Op::Statement(n) if status == 409 => {
                    // Stored by another writer since the lookup.
                    let (id, statement) = &new[*n];
                    let now = self.lookup(index, &[id]).await?;
                    match now.get(id).and_then(StoredDoc::statement) {
                        Some(existing) if equivalent(existing, statement) => inserted[*n] = false,
                        Some(_) => {
                            failure.get_or_insert_with(|| conflict(id));
                        }
                        None => {
                            failure.get_or_insert_with(|| {
                                Error::new(
                                    ErrorKind::Conflict,
                                    format!("statement `{id}` changed while it was stored; retry"),
                                )
                            });
                        }
                    }
                }
                Op::Statement(n) => {
                    let reason = error.as_ref().map(describe_error).unwrap_or_default();
                    failure.get_or_insert_with(|| {
                        Error::new(
                            kind_of_status(status),
                            format!(
                                "elasticsearch at `{}`: statement `{}` refused by index `{index}`: {reason}",
                                self.cluster.name, new[*n].0
                            ),
                        )
                    });
                }
                // The target arrived since the lookup: void it now.
                Op::Placeholder(target) if status == 409 => retry_void.push(target.clone()),
                // The target is gone: nothing to void.
                Op::Void(_) if status == 404 => {}
                Op::Placeholder(_) | Op::Void(_) if ok => {}
                Op::Placeholder(target) | Op::Void(target) => {
                    let reason = error.as_ref().map(describe_error).unwrap_or_default();
                    failure.get_or_insert_with(|| {
                        Error::backend(format!(
                            "elasticsearch at `{}`: voiding `{target}` in index `{index}`: {reason}",
                            self.cluster.name
                        ))
                    });
                }
            }
        }
        if let Some(err) = failure {
            // All or nothing: take back what this batch created.
            self.rollback(index, &created).await;
            return Err(err);
        }
        if !retry_void.is_empty() {
            let mut body = BytesMut::new();
            for target in &retry_void {
                line(&mut body, &json!({"update": {"_id": target}}));
                line(&mut body, &json!({"doc": {"voided": true}}));
            }
            self.bulk(index, body).await?;
        }
        Ok(new
            .into_iter()
            .zip(inserted)
            .filter(|(_, keep)| *keep)
            .map(|((id, _), _)| id)
            .collect())
    }

    async fn rollback(&self, index: &str, created: &[&str]) {
        if created.is_empty() {
            return;
        }
        let mut body = BytesMut::new();
        for id in created {
            line(&mut body, &json!({"delete": {"_id": id}}));
        }
        if let Err(err) = self.bulk(index, body).await {
            tracing::warn!(target: "ralph", "es store: taking back a failed batch: {err}");
        }
    }

    /// One search of statements: `filter`, sorted by `stored` then id, `size` hits from after
    /// `after`; the hits as (statement, cursor).
    async fn search_statements(
        &self,
        index: &str,
        filter: Vec<Value>,
        ascending: bool,
        size: usize,
        after: Option<(i64, String)>,
    ) -> Result<Vec<(Value, (i64, String))>> {
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
            #[serde(rename = "_source")]
            source: HitSource,
        }
        #[derive(Deserialize)]
        struct HitSource {
            statement: Value,
            id: String,
            stored: i64,
        }
        let order = if ascending { "asc" } else { "desc" };
        let mut body = json!({
            "query": {"bool": {"filter": filter}},
            "sort": [{"stored": order}, {"id": order}],
            "size": size,
            "_source": ["statement", "id", "stored"],
            "track_total_hits": false,
        });
        if let Some((stored, id)) = after {
            body["search_after"] = json!([stored, id]);
        }
        let sent = self
            .cluster
            .client
            .search(SearchParts::Index(&[index]))
            .body(body)
            .send()
            .await;
        let answer: Answer = match self
            .cluster
            .json(&format!("query statements of index `{index}`"), sent)
            .await
        {
            Ok(answer) => answer,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        Ok(answer
            .hits
            .hits
            .into_iter()
            .map(|h| (h.source.statement, (h.source.stored, h.source.id)))
            .collect())
    }

    async fn query_page(&self, index: &str, query: &StatementQuery) -> Result<StatementPage> {
        let after = match &query.cursor {
            Some(cursor) => Some(
                cursor
                    .split_once(':')
                    .and_then(|(s, id)| Some((s.parse::<i64>().ok()?, id.to_owned())))
                    .ok_or_else(|| Error::invalid_input(format!("invalid cursor `{cursor}`")))?,
            ),
            None => None,
        };
        // Filters the statement itself must meet: not voided, authority, time.
        let mut own = vec![json!({"term": {"voided": false}})];
        if let Some(authority) = &query.authority {
            own.push(json!({"term": {"authority": authority.key()}}));
        }
        if query.since.is_some() || query.until.is_some() {
            let mut range = serde_json::Map::new();
            if let Some(since) = query.since {
                range.insert("gt".into(), json!(since.timestamp_micros()));
            }
            if let Some(until) = query.until {
                range.insert("lte".into(), json!(until.timestamp_micros()));
            }
            own.push(json!({"range": {"stored": range}}));
        }
        let mut filter = own.clone();
        if let Some(verb) = &query.verb {
            filter.push(json!({"term": {"verb": verb}}));
        }
        if let Some(registration) = &query.registration {
            filter.push(json!({"term": {"registration": registration.to_ascii_lowercase()}}));
        }
        if let Some(agent) = &query.agent {
            let field = if query.related_agents {
                "agents"
            } else {
                "agents_direct"
            };
            filter.push(json!({"term": {field: agent.key()}}));
        }
        if let Some(activity) = &query.activity {
            let field = if query.related_activities {
                "activities"
            } else {
                "activities_direct"
            };
            filter.push(json!({"term": {field: activity}}));
        }
        let limit = query.limit.max(1);
        // One more hit than asked tells whether a next page exists, so a full last page gets
        // no cursor.
        let mut found = self
            .search_statements(index, filter, query.ascending, limit + 1, after.clone())
            .await?;
        if query.follows_references() {
            let through = self
                .through_references(index, query, own, after, limit + 1)
                .await?;
            if !through.is_empty() {
                found.extend(through);
                found.sort_by(|a, b| a.1.cmp(&b.1));
                if !query.ascending {
                    found.reverse();
                }
            }
        }
        let more = found.len() > limit;
        found.truncate(limit);
        let last = found
            .last()
            .map(|(_, (stored, id))| format!("{stored}:{id}"));
        Ok(StatementPage {
            statements: found.into_iter().map(|(s, _)| s).collect(),
            more: if more { last } else { None },
        })
    }

    /// The first `wanted` statements of the page that meet the filters only through the
    /// statements their `StatementRef` targets (those meeting them directly come from the main
    /// search): statements with a `StatementRef` object are read in page order and in batches,
    /// and their chains of targets are looked up by id.
    async fn through_references(
        &self,
        index: &str,
        query: &StatementQuery,
        mut own: Vec<Value>,
        mut after: Option<(i64, String)>,
        wanted: usize,
    ) -> Result<Vec<(Value, (i64, String))>> {
        const BATCH: usize = 500;
        own.push(json!({"exists": {"field": "ref"}}));
        let mut out = Vec::new();
        loop {
            let batch = self
                .search_statements(index, own.clone(), query.ascending, BATCH, after.clone())
                .await?;
            let done = batch.len() < BATCH;
            after = batch.last().map(|(_, key)| key.clone());
            // The chains of targets, one level of look-ups at a time.
            let mut known: HashMap<String, Value> = HashMap::new();
            let mut wanted_ids: Vec<String> = batch
                .iter()
                .filter_map(|(s, _)| referenced_statement(s).map(str::to_owned))
                .collect();
            for _ in 0..MAX_REFERENCE_DEPTH {
                wanted_ids.retain(|id| !known.contains_key(id));
                wanted_ids.sort_unstable();
                wanted_ids.dedup();
                if wanted_ids.is_empty() {
                    break;
                }
                let ids: Vec<&str> = wanted_ids.iter().map(String::as_str).collect();
                let docs = self.lookup(index, &ids).await?;
                wanted_ids = Vec::new();
                for (id, doc) in docs {
                    if let Some(statement) = doc.statement() {
                        if let Some(next) = referenced_statement(statement) {
                            wanted_ids.push(next.to_owned());
                        }
                        known.insert(id, statement.clone());
                    }
                }
            }
            let mut resolve = |id: &str| known.get(id).cloned();
            for (statement, key) in batch {
                if !query.matches(&statement)
                    && query.matches_through_references(&statement, &mut resolve)
                {
                    out.push((statement, key));
                    if out.len() >= wanted {
                        return Ok(out);
                    }
                }
            }
            if done {
                return Ok(out);
            }
        }
    }
}

pub(crate) fn line(body: &mut BytesMut, value: &Value) {
    let mut writer = body.writer();
    // Serialising a `Value` into memory cannot fail.
    let _ = serde_json::to_writer(&mut writer, value);
    writer.into_inner().put_u8(b'\n');
}

#[async_trait]
impl LrsStore for EsStore {
    fn name(&self) -> &'static str {
        "es"
    }

    async fn status(&self) -> BackendStatus {
        self.cluster
            .health_status(self.settings.allow_yellow_status)
            .await
    }

    async fn insert(&self, target: Option<&str>, statements: Vec<Value>) -> Result<Vec<String>> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        let index = self.target_index(target);
        self.ensure_index(index, mapping).await?;
        self.insert_batch(index, statements).await
    }

    async fn query(&self, target: Option<&str>, query: &StatementQuery) -> Result<StatementPage> {
        self.query_page(self.target_index(target), query).await
    }

    async fn get(&self, target: Option<&str>, id: &str) -> Result<Option<FoundStatement>> {
        let index = self.target_index(target);
        let sent = self
            .cluster
            .client
            .get(GetParts::IndexId(index, id))
            ._source_includes(&["statement", "voids", "voided"])
            .send()
            .await;
        let doc: StoredDoc = match self
            .cluster
            .json(&format!("get statement `{id}` of index `{index}`"), sent)
            .await
        {
            Ok(doc) => doc,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(err),
        };
        let voided = doc.source.as_ref().is_some_and(|s| s.voided);
        Ok(doc
            .source
            .and_then(|s| s.statement)
            .map(|statement| FoundStatement { statement, voided }))
    }

    async fn remove_statements(&self, target: Option<&str>, ids: &[String]) -> Result<u64> {
        self.remove_by_ids(target, ids).await
    }

    async fn replace_statements(
        &self,
        target: Option<&str>,
        statements: Vec<Value>,
    ) -> Result<u64> {
        self.replace_by_ids(target, statements).await
    }

    async fn remove_unreferenced_attachments(&self, sha2s: &[String]) -> Result<u64> {
        self.remove_attachments_unused(sha2s).await
    }

    async fn delete_agent_documents(
        &self,
        target: Option<&str>,
        agent: &Ifi,
        dry_run: bool,
    ) -> Result<u64> {
        self.delete_documents_of(target, agent, dry_run).await
    }

    async fn document(&self, target: Option<&str>, key: &DocumentKey) -> Result<Option<Document>> {
        Ok(self
            .stored_document(target, key)
            .await?
            .map(|(document, _)| document))
    }

    async fn document_ids(
        &self,
        target: Option<&str>,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>> {
        self.list_document_ids(target, scope, since).await
    }

    async fn put_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        document: Document,
        precondition: &Precondition,
    ) -> Result<()> {
        self.write_document(target, key, Some(document), precondition)
            .await
    }

    async fn delete_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        precondition: &Precondition,
    ) -> Result<()> {
        self.write_document(target, key, None, precondition).await
    }

    async fn delete_documents(&self, target: Option<&str>, scope: &DocumentScope) -> Result<u64> {
        self.delete_scope(target, scope).await
    }

    async fn put_attachment(&self, attachment: Attachment) -> Result<()> {
        self.store_attachment(attachment).await
    }

    async fn attachment(&self, sha2: &str) -> Result<Option<Attachment>> {
        self.find_attachment(sha2).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_index_what_the_filters_need() {
        let statement = json!({
            "id": "s1",
            "actor": {"mbox": "mailto:a@example.org"},
            "verb": {"id": "http://example.org/v"},
            "object": {"id": "http://example.org/o"},
            "context": {"registration": "ABC", "instructor": {"mbox": "mailto:t@example.org"}},
            "stored": "2024-01-01T00:00:00.000001+00:00",
        });
        let doc = document(&statement, "s1", false);
        assert_eq!(doc["stored"], json!(1_704_067_200_000_001_i64));
        assert_eq!(doc["registration"], json!("abc"));
        assert_eq!(doc["agents_direct"], json!(["mbox:mailto:a@example.org"]));
        assert_eq!(
            doc["agents"],
            json!(["mbox:mailto:a@example.org", "mbox:mailto:t@example.org"])
        );
        assert_eq!(doc["activities_direct"], json!(["http://example.org/o"]));
        assert_eq!(doc["voids"], Value::Null);
        assert_eq!(placeholder("x")["voided"], json!(true));
    }
}
