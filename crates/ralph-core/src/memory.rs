//! The `memory` backend: records kept in the process, for tests and library users.
//!
//! Every backend opened by the registry in one process shares one store, so what a test writes
//! through one handle it reads through another. Nothing survives the process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use futures::StreamExt;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::record::{ChunkOutcome, JsonRecord, write_json_chunks};
use crate::registry::{BackendContext, BackendFactory, Capabilities};
use crate::{
    BackendStatus, DataBackend, Error, ErrorKind, ListEntry, ListStream, Listable, OperationType,
    ReadRequest, Readable, Record, RecordStream, Result, Writable, WriteOptions, WriteReport,
};

/// Settings of the `memory` backend.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct MemorySettings {
    /// The target used when none is given.
    pub default_target: String,
    /// Records per chunk when reading.
    pub read_chunk_size: usize,
    /// Records per chunk when writing.
    pub write_chunk_size: usize,
}

impl Default for MemorySettings {
    fn default() -> Self {
        Self {
            default_target: "default".to_owned(),
            read_chunk_size: 500,
            write_chunk_size: 500,
        }
    }
}

#[derive(Debug, Default)]
struct Target {
    records: Vec<Value>,
    // position of each record with an `id`, for index/update/delete in O(1)
    ids: HashMap<String, usize>,
}

impl Target {
    fn rebuild_ids(&mut self) {
        self.ids = self
            .records
            .iter()
            .enumerate()
            .filter_map(|(i, v)| record_id(v).map(|id| (id, i)))
            .collect();
    }
}

type Store = Arc<Mutex<HashMap<String, Target>>>;

/// An in-memory backend: readable, writable, listable.
#[derive(Debug, Clone)]
pub struct MemoryBackend {
    settings: MemorySettings,
    store: Store,
}

fn global_store() -> Store {
    static STORE: OnceLock<Store> = OnceLock::new();
    STORE.get_or_init(Store::default).clone()
}

/// The `id` of a record as a string, when it has one.
pub fn record_id(value: &Value) -> Option<String> {
    match value.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

impl MemoryBackend {
    /// A backend with its own empty store.
    pub fn new(settings: MemorySettings) -> Self {
        Self {
            settings,
            store: Store::default(),
        }
    }

    /// A backend on the store shared by the whole process.
    pub fn shared(settings: MemorySettings) -> Self {
        Self {
            settings,
            store: global_store(),
        }
    }

    /// A copy of the records of `target`.
    pub fn records(&self, target: &str) -> Vec<Value> {
        self.lock()
            .get(target)
            .map(|t| t.records.clone())
            .unwrap_or_default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Target>> {
        // A panic while holding the lock cannot leave a target half-updated in a way that
        // matters for a test store, so a poisoned lock is used as is.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn target(&self, target: Option<&str>) -> String {
        target.unwrap_or(&self.settings.default_target).to_owned()
    }

    fn apply(&self, target: &str, op: OperationType, chunk: Vec<JsonRecord>) -> ChunkOutcome {
        let mut store = self.lock();
        let t = store.entry(target.to_owned()).or_default();
        let mut outcome = ChunkOutcome::default();
        let mut deleted = false;
        for JsonRecord { line, value } in chunk {
            let id = record_id(&value);
            let refused = match (op, id) {
                (OperationType::Append, _)
                | (OperationType::Create | OperationType::Index, None) => {
                    t.records.push(value);
                    None
                }
                (OperationType::Create | OperationType::Index, Some(id)) => {
                    if t.ids.contains_key(&id) {
                        Some(Error::new(
                            ErrorKind::Conflict,
                            format!("a record with id `{id}` already exists"),
                        ))
                    } else {
                        t.ids.insert(id, t.records.len());
                        t.records.push(value);
                        None
                    }
                }
                (OperationType::Update, Some(id)) => match t.ids.get(&id) {
                    Some(&i) => {
                        t.records[i] = value;
                        None
                    }
                    None => Some(Error::new(
                        ErrorKind::NotFound,
                        format!("no record with id `{id}` to update"),
                    )),
                },
                (OperationType::Delete, Some(id)) => match t.ids.remove(&id) {
                    Some(i) => {
                        t.records[i] = Value::Null;
                        deleted = true;
                        None
                    }
                    None => Some(Error::new(
                        ErrorKind::NotFound,
                        format!("no record with id `{id}` to delete"),
                    )),
                },
                (OperationType::Update | OperationType::Delete, None) => Some(
                    Error::invalid_input(format!("`{op}` needs an `id` field in the record")),
                ),
            };
            match refused {
                Some(err) => outcome.failures.push((line, err)),
                None => outcome.written += 1,
            }
        }
        if deleted {
            t.records.retain(|v| !v.is_null());
            t.rebuild_ids();
        }
        outcome
    }
}

#[async_trait]
impl DataBackend for MemoryBackend {
    fn name(&self) -> &'static str {
        "memory"
    }

    async fn status(&self) -> BackendStatus {
        BackendStatus::Ok
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
impl Readable for MemoryBackend {
    async fn read(&self, request: ReadRequest) -> Result<RecordStream> {
        if request.query.is_some() {
            return Err(Error::unsupported("the memory backend takes no query"));
        }
        let target = self.target(request.target.as_deref());
        let chunk = request
            .chunk_size
            .unwrap_or(self.settings.read_chunk_size)
            .max(1);
        let limit = request
            .max_statements
            .filter(|&n| n > 0)
            .unwrap_or(u64::MAX);
        let backend = self.clone();
        let raw = request.raw_output;
        // Copies one chunk at a time under the lock, so readers never hold it for long.
        let stream = futures::stream::unfold(0usize, move |offset| {
            let backend = backend.clone();
            let target = target.clone();
            async move {
                let records: Vec<Value> = {
                    let store = backend.lock();
                    let t = store.get(&target)?;
                    if offset >= t.records.len() {
                        return None;
                    }
                    t.records[offset..(offset + chunk).min(t.records.len())].to_vec()
                };
                let next = offset + records.len();
                Some((futures::stream::iter(records.into_iter().map(Ok)), next))
            }
        })
        .flatten()
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(move |item: Result<Value>| {
            item.map(|v| {
                if raw {
                    Record::Raw(crate::record::json_line(&v))
                } else {
                    Record::Json(v)
                }
            })
        });
        Ok(stream.boxed())
    }
}

#[async_trait]
impl Writable for MemoryBackend {
    fn default_operation_type(&self) -> OperationType {
        OperationType::Index
    }

    async fn write(&self, input: RecordStream, options: WriteOptions) -> Result<WriteReport> {
        let op = self.resolve_operation_type(&options)?;
        let target = self.target(options.target.as_deref());
        let mut report = write_json_chunks(
            input,
            options.chunk_size.unwrap_or(self.settings.write_chunk_size),
            options.ignore_errors,
            |chunk| {
                let outcome = self.apply(&target, op, chunk);
                async move { Ok(outcome) }
            },
        )
        .await?;
        report.location = Some(target);
        Ok(report)
    }
}

#[async_trait]
impl Listable for MemoryBackend {
    async fn list(&self, target: Option<String>, details: bool, new: bool) -> Result<ListStream> {
        if target.is_some() {
            return Err(Error::unsupported(
                "the memory backend lists its targets; it takes no target",
            ));
        }
        if new {
            return Err(Error::unsupported(
                "the memory backend keeps no history: `--new` does not apply",
            ));
        }
        let entries: Vec<Result<ListEntry>> = {
            let store = self.lock();
            let mut names: Vec<_> = store
                .iter()
                .map(|(k, t)| (k.clone(), t.records.len()))
                .collect();
            names.sort();
            names
                .into_iter()
                .map(|(name, count)| {
                    Ok(if details {
                        ListEntry::Details(serde_json::json!({"target": name, "count": count}))
                    } else {
                        ListEntry::Id(name)
                    })
                })
                .collect()
        };
        Ok(futures::stream::iter(entries).boxed())
    }
}

/// Registers the `memory` backend.
pub struct MemoryFactory;

#[async_trait]
impl BackendFactory for MemoryFactory {
    type Settings = MemorySettings;
    const NAME: &'static str = "memory";
    const ABOUT: &'static str =
        "records kept in the process (tests and embedding); nothing survives the process";
    const CAPABILITIES: Capabilities = Capabilities {
        read: true,
        write: true,
        list: true,
    };

    async fn open(settings: MemorySettings, _: &BackendContext) -> Result<Box<dyn DataBackend>> {
        Ok(Box::new(MemoryBackend::shared(settings)))
    }
}
