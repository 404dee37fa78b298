//! The `es` backend: cluster status, list indices, read with a point in time, bulk writes.

use std::collections::{HashMap, VecDeque};

use async_trait::async_trait;
use bytes::{BufMut, BytesMut};
use elasticsearch::{
    BulkParts, MgetParts, OpenPointInTimeParts, SearchParts, indices::IndicesGetParts,
};
use futures::StreamExt;
use ralph_core::record::{ChunkOutcome, JsonRecord, json_line, write_json_chunks};
use ralph_core::{
    BackendStatus, DataBackend, Error, ErrorKind, ListEntry, ListStream, Listable, OperationType,
    ReadRequest, Readable, Record, RecordStream, Result, Writable, WriteOptions, WriteReport,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::client::{Cluster, describe_error, kind_of_status};
use crate::query::EsQuery;
use crate::settings::{EsSettings, Refresh};

/// An Elasticsearch cluster: one index per target, one document per record (`_id` = `id`).
#[derive(Clone)]
pub struct EsBackend {
    settings: EsSettings,
    cluster: Cluster,
}

impl std::fmt::Debug for EsBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EsBackend")
            .field("hosts", &self.cluster.name)
            .field("default_index", &self.settings.default_index)
            .finish_non_exhaustive()
    }
}

/// The `_id` of a record: its `id`, a string or a number.
pub(crate) fn record_id(value: &Value) -> Option<String> {
    match value.get("id")? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[derive(Deserialize)]
struct BulkAnswer {
    #[serde(default)]
    items: Vec<HashMap<String, BulkItem>>,
}

#[derive(Deserialize)]
struct BulkItem {
    #[serde(default)]
    status: u16,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct MgetAnswer {
    #[serde(default)]
    docs: Vec<MgetDoc>,
}

#[derive(Deserialize)]
struct MgetDoc {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    found: bool,
    #[serde(rename = "_seq_no")]
    seq_no: Option<u64>,
    #[serde(rename = "_primary_term")]
    primary_term: Option<u64>,
}

#[derive(Deserialize)]
struct SearchAnswer {
    hits: SearchHits,
    pit_id: Option<String>,
}

#[derive(Deserialize)]
struct SearchHits {
    hits: Vec<Value>,
}

/// One bulk action of a chunk: the input line, the `_id`, what to send.
struct Action {
    line: u64,
    id: Option<String>,
}

impl EsBackend {
    /// A backend on the cluster of `settings`; nothing is sent until it is used.
    pub fn new(settings: EsSettings) -> Result<Self> {
        let cluster = Cluster::new(&settings, "backends.data.es")?;
        Ok(Self { settings, cluster })
    }

    /// The settings in use.
    pub fn settings(&self) -> &EsSettings {
        &self.settings
    }

    fn index<'a>(&'a self, target: Option<&'a str>) -> &'a str {
        target
            .filter(|t| !t.is_empty())
            .unwrap_or(&self.settings.default_index)
    }

    /// Makes the writes to `index` visible to reads now (`_refresh`).
    pub async fn refresh(&self, index: &str) -> Result<()> {
        let sent = self
            .cluster
            .client
            .indices()
            .refresh(elasticsearch::indices::IndicesRefreshParts::Index(&[index]))
            .send()
            .await;
        self.cluster
            .json::<Value>(&format!("refresh index `{index}`"), sent)
            .await
            .map(drop)
    }

    /// Deletes `index` and its documents; a missing index is not an error.
    pub async fn delete_index(&self, index: &str) -> Result<()> {
        let sent = self
            .cluster
            .client
            .indices()
            .delete(elasticsearch::indices::IndicesDeleteParts::Index(&[index]))
            .send()
            .await;
        match self
            .cluster
            .json::<Value>(&format!("delete index `{index}`"), sent)
            .await
        {
            Err(err) if err.kind() == ErrorKind::NotFound => Ok(()),
            other => other.map(drop),
        }
    }

    /// The `_seq_no` and `_primary_term` of the stored documents among `ids`.
    async fn versions(&self, index: &str, ids: &[&str]) -> Result<HashMap<String, (u64, u64)>> {
        let sent = self
            .cluster
            .client
            .mget(MgetParts::Index(index))
            ._source(&["false"])
            .body(json!({ "ids": ids }))
            .send()
            .await;
        let answer: MgetAnswer = match self
            .cluster
            .json(&format!("look up ids in index `{index}`"), sent)
            .await
        {
            Ok(answer) => answer,
            // No index, no documents.
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(HashMap::new()),
            Err(err) => return Err(err),
        };
        Ok(answer
            .docs
            .into_iter()
            .filter(|d| d.found)
            .filter_map(|d| Some((d.id, (d.seq_no?, d.primary_term?))))
            .collect())
    }

    async fn write_chunk(
        &self,
        index: &str,
        op: OperationType,
        chunk: Vec<JsonRecord>,
    ) -> Result<ChunkOutcome> {
        let mut outcome = ChunkOutcome::default();
        let mut records = Vec::with_capacity(chunk.len());
        for record in chunk {
            let id = record_id(&record.value);
            if id.is_none() && matches!(op, OperationType::Update | OperationType::Delete) {
                outcome.failures.push((
                    record.line,
                    Error::invalid_input(format!(
                        "`{op}` needs an `id` (a string or a number) in the record"
                    )),
                ));
                continue;
            }
            records.push((id, record));
        }
        // `update` replaces a stored document: it is indexed again only if it is still the
        // version read here, so a missing document is not created and a concurrent change wins.
        let versions = if op == OperationType::Update && !records.is_empty() {
            let ids: Vec<&str> = records.iter().filter_map(|(id, _)| id.as_deref()).collect();
            self.versions(index, &ids).await?
        } else {
            HashMap::new()
        };
        let mut body = BytesMut::with_capacity(records.len() * 512);
        let mut actions = Vec::with_capacity(records.len());
        for (id, record) in records {
            let meta = match (op, &id) {
                (OperationType::Update, Some(id)) => match versions.get(id) {
                    Some((seq_no, term)) => json!({"index": {
                        "_id": id, "if_seq_no": seq_no, "if_primary_term": term}}),
                    None => {
                        outcome.failures.push((
                            record.line,
                            Error::new(
                                ErrorKind::NotFound,
                                format!("`update`: no document `{id}` in index `{index}`"),
                            ),
                        ));
                        continue;
                    }
                },
                (OperationType::Create, Some(id)) => json!({"create": {"_id": id}}),
                (OperationType::Create, None) => json!({"create": {}}),
                (OperationType::Delete, id) => json!({"delete": {"_id": id}}),
                (_, Some(id)) => json!({"index": {"_id": id}}),
                (_, None) => json!({"index": {}}),
            };
            write_line(&mut body, &meta);
            if op != OperationType::Delete {
                write_line(&mut body, &record.value);
            }
            actions.push(Action {
                line: record.line,
                id,
            });
        }
        if actions.is_empty() {
            return Ok(outcome);
        }
        let bulk = self
            .cluster
            .client
            .bulk(BulkParts::Index(index))
            .filter_path(&["errors", "items.*.status", "items.*.error"]);
        let sent = bulk.body(vec![body.freeze()]).send().await;
        let answer: BulkAnswer = self
            .cluster
            .json(&format!("bulk `{op}` into index `{index}`"), sent)
            .await?;
        if answer.items.len() != actions.len() {
            return Err(Error::backend(format!(
                "elasticsearch at `{}`: bulk `{op}` into index `{index}`: {} results for {} operations",
                self.cluster.name,
                answer.items.len(),
                actions.len()
            )));
        }
        for (action, item) in actions.into_iter().zip(answer.items) {
            let Some(item) = item.into_values().next() else {
                continue;
            };
            if (200..300).contains(&item.status) {
                outcome.written += 1;
                continue;
            }
            let id = action.id.as_deref().unwrap_or("(no id)");
            let reason = match &item.error {
                Some(error) => describe_error(error),
                None if item.status == 404 => "not found".to_owned(),
                None => format!("status {}", item.status),
            };
            outcome.failures.push((
                action.line,
                Error::new(
                    kind_of_status(item.status),
                    format!("`{op}` of `{id}` in index `{index}` refused: {reason}"),
                ),
            ));
        }
        Ok(outcome)
    }

    async fn open_pit(&self, index: &str, keep_alive: &str) -> Result<String> {
        #[derive(Deserialize)]
        struct Pit {
            id: String,
        }
        let sent = self
            .cluster
            .client
            .open_point_in_time(OpenPointInTimeParts::Index(&[index]))
            .keep_alive(keep_alive)
            .send()
            .await;
        let pit: Pit = self
            .cluster
            .json(&format!("open a point in time on index `{index}`"), sent)
            .await?;
        Ok(pit.id)
    }
}

fn write_line(body: &mut BytesMut, value: &Value) {
    let mut writer = body.writer();
    // Serialising a `Value` into memory cannot fail.
    let _ = serde_json::to_writer(&mut writer, value);
    writer.into_inner().put_u8(b'\n');
}

/// Pages of hits, fetched by a task one page ahead of the reader.
struct Pager {
    cluster: Cluster,
    query: EsQuery,
    pit_id: String,
    close_pit: bool,
    keep_alive: String,
    chunk: u64,
    remaining: Option<u64>,
}

impl Pager {
    async fn run(mut self, tx: tokio::sync::mpsc::Sender<Result<Vec<Value>>>) {
        let mut after = self.query.search_after.clone();
        loop {
            let size = self.remaining.map_or(self.chunk, |r| r.min(self.chunk));
            if size == 0 {
                break;
            }
            let body = self
                .query
                .body(&self.pit_id, &self.keep_alive, size, after.as_deref());
            let mut search = self.cluster.client.search(SearchParts::None).body(body);
            if let Some(q) = &self.query.q {
                search = search.q(q);
            }
            let sent = search.send().await;
            let page: Result<SearchAnswer> = self.cluster.json("search", sent).await;
            let hits = match page {
                Ok(page) => {
                    if let Some(id) = page.pit_id {
                        self.pit_id = id;
                    }
                    page.hits.hits
                }
                Err(err) => {
                    let _ = tx.send(Err(err)).await;
                    break;
                }
            };
            if hits.is_empty() {
                break;
            }
            match hits
                .last()
                .and_then(|h| h.get("sort"))
                .and_then(Value::as_array)
            {
                Some(sort) => after = Some(sort.clone()),
                None => {
                    let _ = tx
                        .send(Err(Error::backend(format!(
                            "elasticsearch at `{}`: search: a hit without `sort` values; cannot page",
                            self.cluster.name
                        ))))
                        .await;
                    break;
                }
            }
            let n = hits.len() as u64;
            if let Some(r) = &mut self.remaining {
                *r = r.saturating_sub(n);
            }
            if tx.send(Ok(hits)).await.is_err() {
                break; // the reader is gone
            }
            if n < size {
                break; // a short page is the last one
            }
        }
        if self.close_pit {
            let _ = self
                .cluster
                .client
                .close_point_in_time()
                .body(json!({ "id": self.pit_id }))
                .send()
                .await;
        }
    }
}

#[async_trait]
impl DataBackend for EsBackend {
    fn name(&self) -> &'static str {
        "es"
    }

    async fn status(&self) -> BackendStatus {
        self.cluster
            .health_status(self.settings.allow_yellow_status)
            .await
    }

    fn as_readable(&self) -> Option<&dyn Readable> {
        Some(self)
    }

    fn as_writable(&self) -> Option<&dyn Writable> {
        Some(self)
    }

    fn as_listable(&self) -> Option<&dyn Listable> {
        Some(self)
    }
}

#[async_trait]
impl Writable for EsBackend {
    fn default_operation_type(&self) -> OperationType {
        OperationType::Index
    }

    fn unsupported_operation_types(&self) -> &'static [OperationType] {
        &[OperationType::Append]
    }

    async fn write(&self, input: RecordStream, options: WriteOptions) -> Result<WriteReport> {
        let op = self.resolve_operation_type(&options)?;
        let index = self.index(options.target.as_deref()).to_owned();
        let chunk_size = options.chunk_size.unwrap_or(self.settings.write_chunk_size);
        let result = write_json_chunks(input, chunk_size, options.ignore_errors, |chunk| {
            self.write_chunk(&index, op, chunk)
        })
        .await;
        // One refresh when the write is over (also after a failure, so that what was
        // acknowledged can be counted), rather than one per chunk: refreshing costs more the
        // bigger the index.
        if matches!(
            self.settings.refresh_after_write,
            Some(Refresh::True | Refresh::WaitFor)
        ) {
            let wrote = match &result {
                Ok(report) => report.written > 0,
                Err(err) => err.written().unwrap_or_default() > 0,
            };
            if wrote && let Err(err) = self.refresh(&index).await {
                match result {
                    Ok(_) => return Err(err),
                    Err(_) => tracing::warn!(target: "ralph", "{err}"),
                }
            }
        }
        let mut report = result?;
        report.location = Some(index);
        Ok(report)
    }
}

#[async_trait]
impl Listable for EsBackend {
    async fn list(&self, target: Option<String>, details: bool, new: bool) -> Result<ListStream> {
        if new {
            tracing::warn!(target: "ralph", "the es backend keeps no read history: `--new` is ignored");
        }
        let pattern = target.as_deref().filter(|t| !t.is_empty()).unwrap_or("*");
        let sent = self
            .cluster
            .client
            .indices()
            .get(IndicesGetParts::Index(&[pattern]))
            .send()
            .await;
        let indices: serde_json::Map<String, Value> = self
            .cluster
            .json(&format!("list indices `{pattern}`"), sent)
            .await?;
        let mut entries: Vec<(String, Value)> = indices.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let entries: Vec<Result<ListEntry>> = entries
            .into_iter()
            .map(|(name, info)| {
                Ok(if details {
                    let mut one = serde_json::Map::new();
                    one.insert(name, info);
                    ListEntry::Details(Value::Object(one))
                } else {
                    ListEntry::Id(name)
                })
            })
            .collect();
        Ok(futures::stream::iter(entries).boxed())
    }
}

#[async_trait]
impl Readable for EsBackend {
    async fn read(&self, request: ReadRequest) -> Result<RecordStream> {
        let query = EsQuery::parse(request.query.as_deref())?;
        let index = self.index(request.target.as_deref()).to_owned();
        let keep_alive = query
            .pit
            .keep_alive
            .clone()
            .unwrap_or_else(|| self.settings.point_in_time_keep_alive.clone());
        let (pit_id, close_pit) = match &query.pit.id {
            Some(id) => (id.clone(), false),
            None => (self.open_pit(&index, &keep_alive).await?, true),
        };
        let limit = [query.size, request.max_statements.filter(|&n| n > 0)]
            .into_iter()
            .flatten()
            .min();
        let chunk = request
            .chunk_size
            .unwrap_or(self.settings.read_chunk_size)
            .max(1) as u64;
        let source_only = query.source_only;
        let raw = request.raw_output;
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let pager = Pager {
            cluster: self.cluster.clone(),
            query,
            pit_id,
            close_pit,
            keep_alive,
            chunk,
            remaining: limit,
        };
        tokio::spawn(pager.run(tx));
        let hits = futures::stream::unfold(
            (rx, VecDeque::<Value>::new()),
            move |(mut rx, mut buffer)| async move {
                loop {
                    if let Some(hit) = buffer.pop_front() {
                        return Some((Ok(hit), (rx, buffer)));
                    }
                    match rx.recv().await? {
                        Ok(page) => buffer.extend(page),
                        Err(err) => return Some((Err(err), (rx, buffer))),
                    }
                }
            },
        );
        Ok(hits
            .map(move |hit| {
                let mut hit = hit?;
                if source_only {
                    hit = hit
                        .get_mut("_source")
                        .map(Value::take)
                        .unwrap_or(Value::Null);
                }
                Ok(if raw {
                    Record::Raw(json_line(&hit))
                } else {
                    Record::Json(hit)
                })
            })
            .boxed())
    }
}
