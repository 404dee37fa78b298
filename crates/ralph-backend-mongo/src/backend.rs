//! The `mongo` backend: list collections, read and write documents as Ralph stores them.

use std::collections::HashSet;
use std::time::Duration;

use async_trait::async_trait;
use futures::{StreamExt, TryStreamExt};
use mongodb::bson::raw::{RawBsonRef, RawDocumentBuf};
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::ErrorKind as MongoErrorKind;
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection, Database};
use ralph_core::record::{ChunkOutcome, JsonRecord, json_line, write_json_chunks};
use ralph_core::settings::SecretUrl;
use ralph_core::{
    BackendStatus, DataBackend, Error, ErrorKind, ListEntry, ListStream, Listable, OperationType,
    ReadRequest, Readable, Record, RecordStream, Result, Writable, WriteOptions, WriteReport,
};
use serde_json::{Map, Value};

use crate::convert::{parse_timestamp, statement_object_id, to_document, to_json};
use crate::query::MongoQuery;
use crate::settings::{MongoSettings, check_collection_name, check_database_name};

/// The MongoDB error code of a duplicate key.
pub(crate) const DUPLICATE_KEY: i32 = 11000;

/// MongoDB collections of documents `{"_id": ObjectId, "_source": record}`, as Ralph 5.1 stores
/// them.
#[derive(Clone)]
pub struct MongoBackend {
    settings: MongoSettings,
    client: Client,
    database: Database,
}

impl std::fmt::Debug for MongoBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MongoBackend")
            .field("connection_uri", &self.settings.connection_uri)
            .field("default_database", &self.settings.default_database)
            .finish_non_exhaustive()
    }
}

/// A client of the server of `url`, checked with a `ping` so that a wrong address or password
/// shows at once.
pub(crate) async fn connect_client(
    url: &SecretUrl,
    key: &str,
    connect_timeout: f64,
) -> Result<Client> {
    let mut options = ClientOptions::parse(url.expose()).await.map_err(|err| {
        Error::config(format!(
            "setting `{key}`: invalid `{url}`: {}",
            redact(&err.to_string(), url)
        ))
    })?;
    let timeout = Duration::try_from_secs_f64(connect_timeout).unwrap_or(Duration::from_secs(5));
    options.server_selection_timeout.get_or_insert(timeout);
    options.connect_timeout.get_or_insert(timeout);
    options.app_name.get_or_insert_with(|| "ralph".to_owned());
    let client = Client::with_options(options).map_err(|err| mongo_error(url, err))?;
    client
        .database("admin")
        .run_command(doc! {"ping": 1})
        .await
        .map_err(|err| mongo_error(url, err))?;
    Ok(client)
}

/// `text` without the password of `url`.
fn redact(text: &str, url: &SecretUrl) -> String {
    let full = url.expose();
    let Some((_, rest)) = full.split_once("://") else {
        return text.to_owned();
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    match authority
        .rsplit_once('@')
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
    {
        Some((_, password)) if !password.is_empty() => text.replace(password, "***"),
        _ => text.to_owned(),
    }
}

/// A MongoDB error as a ralph error naming the server (`host:port`, never the password).
pub(crate) fn mongo_error(url: &SecretUrl, err: mongodb::error::Error) -> Error {
    let server = url.host_port();
    let (kind, detail) = match err.kind.as_ref() {
        MongoErrorKind::ServerSelection { message, .. } => (
            ErrorKind::Unavailable,
            format!("no server answers: {message}"),
        ),
        MongoErrorKind::Io(io) => (ErrorKind::Unavailable, format!("connection lost: {io}")),
        MongoErrorKind::ConnectionPoolCleared { message, .. } => (
            ErrorKind::Unavailable,
            format!("connection lost: {message}"),
        ),
        MongoErrorKind::Authentication { message, .. } => {
            (ErrorKind::PermissionDenied, message.clone())
        }
        MongoErrorKind::Command(cmd) if matches!(cmd.code, 13 | 18) => {
            (ErrorKind::PermissionDenied, cmd.message.clone())
        }
        MongoErrorKind::Command(cmd) if cmd.code == DUPLICATE_KEY => {
            (ErrorKind::Conflict, cmd.message.clone())
        }
        MongoErrorKind::Command(cmd) if matches!(cmd.code, 2 | 9 | 14 | 73) => {
            (ErrorKind::InvalidInput, cmd.message.clone())
        }
        MongoErrorKind::Command(cmd) => (ErrorKind::Backend, cmd.message.clone()),
        MongoErrorKind::InvalidArgument { message, .. } => {
            (ErrorKind::InvalidInput, message.clone())
        }
        _ => (ErrorKind::Backend, err.to_string()),
    };
    Error::new(
        kind,
        format!("mongo at `{server}`: {}", redact(&detail, url)),
    )
}

/// How a record is identified in its collection.
fn record_id(value: &Map<String, Value>, op: OperationType) -> Result<Option<&str>> {
    match value.get("id") {
        Some(Value::String(id)) => Ok(Some(id)),
        None if op == OperationType::Create => Ok(None),
        None => Err(Error::invalid_input(format!(
            "`{op}` needs an `id` field in the record"
        ))),
        Some(other) => Err(Error::invalid_input(format!(
            "`id` {other} is not a string"
        ))),
    }
}

/// The stored document of a record: `{"_id": ObjectId(timestamp, sha256(id)), "_source": record}`.
///
/// As Ralph: a record without `id` (allowed with `create`) hashes a random UUID, and an invalid
/// `timestamp` is refused. Unlike Ralph, which refuses them, a record without `timestamp` is
/// stored with a time part of 0 (its `_id` still depends only on its id, so duplicates are still
/// refused).
pub fn ralph_document(record: &Map<String, Value>, op: OperationType) -> Result<RawDocumentBuf> {
    let id = record_id(record, op)?;
    let timestamp = match record.get("timestamp") {
        Some(Value::String(text)) => parse_timestamp(text).ok_or_else(|| {
            Error::invalid_input(format!("`timestamp` `{text}` is not an ISO 8601 time"))
        })?,
        None | Some(Value::Null) => chrono::DateTime::UNIX_EPOCH,
        Some(other) => {
            return Err(Error::invalid_input(format!(
                "`timestamp` {other} is not an ISO 8601 time"
            )));
        }
    };
    let random;
    let hashed = match id {
        Some(id) => id,
        None => {
            random = uuid::Uuid::new_v4().to_string();
            &random
        }
    };
    let oid = statement_object_id(&timestamp, hashed)?;
    let mut doc = RawDocumentBuf::new();
    doc.append(mongodb::bson::raw::cstr!("_id"), oid);
    doc.append(mongodb::bson::raw::cstr!("_source"), to_document(record)?);
    Ok(doc)
}

fn as_object(value: &Value) -> Result<&Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| Error::invalid_input("the record is not a JSON object"))
}

impl MongoBackend {
    /// Connects to the server of `settings`, failing within the connect timeout.
    pub async fn connect(settings: MongoSettings) -> Result<Self> {
        settings.validate("backends.data.mongo")?;
        let client = connect_client(
            &settings.connection_uri,
            "backends.data.mongo.connection_uri",
            settings.connect_timeout,
        )
        .await?;
        let database = client.database(&settings.default_database);
        Ok(Self {
            settings,
            client,
            database,
        })
    }

    /// The settings the backend was opened with.
    pub fn settings(&self) -> &MongoSettings {
        &self.settings
    }

    /// The driver's client, for what the backend does not offer.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn error(&self, err: mongodb::error::Error) -> Error {
        mongo_error(&self.settings.connection_uri, err)
    }

    fn collection(&self, target: Option<&str>) -> Result<(String, Collection<RawDocumentBuf>)> {
        let name = target
            .filter(|t| !t.is_empty())
            .unwrap_or(&self.settings.default_collection)
            .to_owned();
        check_collection_name(&name)?;
        let collection = self.database.collection(&name);
        Ok((name, collection))
    }

    async fn write_chunk(
        &self,
        collection: &Collection<RawDocumentBuf>,
        op: OperationType,
        chunk: Vec<JsonRecord>,
    ) -> Result<ChunkOutcome> {
        match op {
            OperationType::Update | OperationType::Delete => {
                self.replace_or_delete(collection, op, chunk).await
            }
            _ => self.insert(collection, op, chunk).await,
        }
    }

    async fn insert(
        &self,
        collection: &Collection<RawDocumentBuf>,
        op: OperationType,
        chunk: Vec<JsonRecord>,
    ) -> Result<ChunkOutcome> {
        let mut outcome = ChunkOutcome::default();
        let mut lines = Vec::with_capacity(chunk.len());
        let mut ids = Vec::with_capacity(chunk.len());
        let mut docs = Vec::with_capacity(chunk.len());
        for JsonRecord { line, value } in chunk {
            match as_object(&value).and_then(|record| ralph_document(record, op)) {
                Ok(doc) => {
                    lines.push(line);
                    ids.push(value.get("id").and_then(Value::as_str).map(str::to_owned));
                    docs.push(doc);
                }
                Err(err) => outcome.failures.push((line, err)),
            }
        }
        if docs.is_empty() {
            return Ok(outcome);
        }
        let sent = docs.len() as u64;
        match collection.insert_many(docs).ordered(false).await {
            Ok(_) => outcome.written += sent,
            Err(err) => {
                let MongoErrorKind::InsertMany(failure) = err.kind.as_ref() else {
                    return Err(self.error(err));
                };
                if let Some(concern) = &failure.write_concern_error {
                    return Err(Error::backend(format!(
                        "mongo at `{}`: write concern not satisfied: {}",
                        self.settings.connection_uri.host_port(),
                        concern.message
                    )));
                }
                let errors = failure.write_errors.as_deref().unwrap_or_default();
                // The driver does not report which documents were inserted (RUST-1157): every
                // document without a write error was.
                outcome.written += sent.saturating_sub(errors.len() as u64);
                for write_error in errors {
                    let line = lines.get(write_error.index).copied().unwrap_or_default();
                    let id = ids.get(write_error.index).cloned().flatten();
                    let err = if write_error.code == DUPLICATE_KEY {
                        Error::new(
                            ErrorKind::Conflict,
                            match id {
                                Some(id) => format!(
                                    "a record with id `{id}` and the same timestamp second already exists"
                                ),
                                None => "a record with the same `_id` already exists".to_owned(),
                            },
                        )
                    } else {
                        Error::backend(format!(
                            "mongo refused the record: {} (code {})",
                            write_error.message, write_error.code
                        ))
                    };
                    outcome.failures.push((line, err));
                }
                outcome.failures.sort_by_key(|(line, _)| *line);
            }
        }
        Ok(outcome)
    }

    /// `update` replaces the `_source` of the stored documents with the same `id` (keeping their
    /// `_id`, as Ralph's `ReplaceOne`); `delete` deletes them. Ids not stored are reported.
    async fn replace_or_delete(
        &self,
        collection: &Collection<RawDocumentBuf>,
        op: OperationType,
        chunk: Vec<JsonRecord>,
    ) -> Result<ChunkOutcome> {
        let mut outcome = ChunkOutcome::default();
        let mut rows: Vec<(u64, String, Value)> = Vec::with_capacity(chunk.len());
        for JsonRecord { line, value } in chunk {
            let id = as_object(&value)
                .and_then(|record| record_id(record, op))
                .map(|id| id.map(str::to_owned));
            match id {
                Ok(Some(id)) => rows.push((line, id, value)),
                Ok(None) => outcome.failures.push((
                    line,
                    Error::invalid_input(format!("`{op}` needs an `id` field in the record")),
                )),
                Err(err) => outcome.failures.push((line, err)),
            }
        }
        if rows.is_empty() {
            return Ok(outcome);
        }
        let ids: Vec<&str> = rows.iter().map(|(_, id, _)| id.as_str()).collect();
        let stored: HashSet<String> = collection
            .clone_with_type::<Document>()
            .find(doc! {"_source.id": {"$in": &ids}})
            .projection(doc! {"_id": 0, "_source.id": 1})
            .await
            .map_err(|e| self.error(e))?
            .try_filter_map(|doc| async move {
                Ok(doc
                    .get_document("_source")
                    .ok()
                    .and_then(|s| s.get_str("id").ok())
                    .map(str::to_owned))
            })
            .try_collect()
            .await
            .map_err(|e| self.error(e))?;
        let mut found = Vec::with_capacity(rows.len());
        for (line, id, value) in rows {
            if stored.contains(&id) {
                found.push((id, value));
            } else {
                let verb = if op == OperationType::Delete {
                    "delete"
                } else {
                    "update"
                };
                outcome.failures.push((
                    line,
                    Error::new(
                        ErrorKind::NotFound,
                        format!("no record with id `{id}` to {verb}"),
                    ),
                ));
            }
        }
        if found.is_empty() {
            return Ok(outcome);
        }
        if op == OperationType::Delete {
            let ids: Vec<&str> = found.iter().map(|(id, _)| id.as_str()).collect();
            collection
                .clone_with_type::<Document>()
                .delete_many(doc! {"_source.id": {"$in": &ids}})
                .await
                .map_err(|e| self.error(e))?;
            outcome.written += found.len() as u64;
            return Ok(outcome);
        }
        let mut updates = Vec::with_capacity(found.len());
        for (id, value) in &found {
            let source = to_document(as_object(value)?)?;
            let mut replacement = RawDocumentBuf::new();
            replacement.append(mongodb::bson::raw::cstr!("_source"), source);
            let replacement = Document::try_from(replacement.as_ref())
                .map_err(|err| Error::invalid_input(format!("record `{id}`: {err}")))?;
            updates.push(Bson::Document(
                doc! {"q": {"_source.id": id}, "u": replacement, "multi": false},
            ));
        }
        let reply = self
            .database
            .run_command(doc! {"update": collection.name(), "updates": updates, "ordered": false})
            .await
            .map_err(|e| self.error(e))?;
        if let Ok(errors) = reply.get_array("writeErrors")
            && let Some(Bson::Document(first)) = errors.first()
        {
            return Err(Error::backend(format!(
                "mongo at `{}`: update refused: {}",
                self.settings.connection_uri.host_port(),
                first.get_str("errmsg").unwrap_or("unknown error")
            )));
        }
        outcome.written += found.len() as u64;
        Ok(outcome)
    }
}

#[async_trait]
impl DataBackend for MongoBackend {
    fn name(&self) -> &'static str {
        "mongo"
    }

    async fn status(&self) -> BackendStatus {
        let admin = self.client.database("admin");
        if admin.run_command(doc! {"ping": 1}).await.is_err() {
            return BackendStatus::Away;
        }
        match admin.run_command(doc! {"serverStatus": 1}).await {
            Ok(reply) => match reply.get("ok") {
                Some(Bson::Double(ok)) if *ok == 1.0 => BackendStatus::Ok,
                Some(Bson::Int32(1) | Bson::Int64(1)) => BackendStatus::Ok,
                _ => BackendStatus::Error,
            },
            Err(_) => BackendStatus::Error,
        }
    }

    async fn close(&self) -> Result<()> {
        // Not waiting for live cursors: the caller may still hold an exhausted one.
        self.client.clone().shutdown().immediate(true).await;
        Ok(())
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
impl Writable for MongoBackend {
    fn default_operation_type(&self) -> OperationType {
        OperationType::Index
    }

    fn unsupported_operation_types(&self) -> &'static [OperationType] {
        &[OperationType::Append]
    }

    async fn write(&self, input: RecordStream, options: WriteOptions) -> Result<WriteReport> {
        let op = self.resolve_operation_type(&options)?;
        let (name, collection) = self.collection(options.target.as_deref())?;
        let chunk_size = options.chunk_size.unwrap_or(self.settings.write_chunk_size);
        let mut report = write_json_chunks(input, chunk_size, options.ignore_errors, |chunk| {
            self.write_chunk(&collection, op, chunk)
        })
        .await?;
        report.location = Some(format!("{}.{name}", self.settings.default_database));
        Ok(report)
    }
}

#[async_trait]
impl Listable for MongoBackend {
    async fn list(&self, target: Option<String>, details: bool, new: bool) -> Result<ListStream> {
        if new {
            tracing::warn!(target: "ralph", "the mongo backend keeps no read history: `--new` is ignored");
        }
        let database = match target.as_deref().filter(|t| !t.is_empty()) {
            Some(name) => {
                check_database_name(name)?;
                self.client.database(name)
            }
            None => self.database.clone(),
        };
        let command = if details {
            doc! {"listCollections": 1}
        } else {
            doc! {"listCollections": 1, "nameOnly": true}
        };
        let url = self.settings.connection_uri.clone();
        let cursor = database
            .run_cursor_command(command)
            .await
            .map_err(|e| self.error(e))?;
        Ok(cursor
            .map(move |item| {
                let spec = item.map_err(|e| mongo_error(&url, e))?;
                if details {
                    let raw = RawDocumentBuf::try_from(&spec)
                        .map_err(|err| Error::backend(format!("collection details: {err}")))?;
                    Ok(ListEntry::Details(Value::Object(to_json(&raw)?)))
                } else {
                    Ok(ListEntry::Id(
                        spec.get_str("name").unwrap_or_default().to_owned(),
                    ))
                }
            })
            .boxed())
    }
}

/// The record of a stored document: its `_source`, or (for documents not written by ralph, or
/// with `envelope`) the whole document with `_id` as a hex string.
fn record_of(doc: &RawDocumentBuf, envelope: bool) -> Result<Value> {
    if !envelope && let Ok(Some(RawBsonRef::Document(source))) = doc.get("_source") {
        return Ok(Value::Object(to_json(source)?));
    }
    Ok(Value::Object(to_json(doc)?))
}

#[async_trait]
impl Readable for MongoBackend {
    async fn read(&self, request: ReadRequest) -> Result<RecordStream> {
        let query = MongoQuery::parse(request.query.as_deref())?;
        let (_, collection) = self.collection(request.target.as_deref())?;
        let chunk = request
            .chunk_size
            .unwrap_or(self.settings.read_chunk_size)
            .clamp(1, i32::MAX as usize);
        let max = request
            .max_statements
            .filter(|&n| n > 0)
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX));
        let limit = match (query.limit.filter(|&l| l > 0), max) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut find = collection
            .find(
                Document::try_from(query.filter_document()?.as_ref())
                    .map_err(|err| Error::invalid_input(format!("filter: {err}")))?,
            )
            .batch_size(u32::try_from(chunk).unwrap_or(u32::MAX));
        if let Some(projection) = query.projection_document()? {
            find = find.projection(
                Document::try_from(projection.as_ref())
                    .map_err(|err| Error::invalid_input(format!("projection: {err}")))?,
            );
        }
        if let Some(sort) = query.sort_document()? {
            find = find.sort(
                Document::try_from(sort.as_ref())
                    .map_err(|err| Error::invalid_input(format!("sort: {err}")))?,
            );
        }
        if let Some(limit) = limit {
            find = find.limit(limit);
        }
        let cursor = find.await.map_err(|e| self.error(e))?;
        let url = self.settings.connection_uri.clone();
        let (raw, envelope, ignore) = (request.raw_output, query.envelope, request.ignore_errors);
        let stream = cursor
            .map(move |item| {
                let doc = item.map_err(|e| mongo_error(&url, e))?;
                let value = record_of(&doc, envelope)?;
                Ok(if raw {
                    Record::Raw(json_line(&value))
                } else {
                    Record::Json(value)
                })
            })
            .filter(move |item: &Result<Record>| {
                // Documents that do not convert to JSON are skipped with `ignore_errors`;
                // server and connection errors always end the read.
                let skip =
                    ignore && matches!(item, Err(err) if err.kind() == ErrorKind::InvalidInput);
                if skip && let Err(err) = item {
                    tracing::warn!(target: "ralph", "skipped: {err}");
                }
                futures::future::ready(!skip)
            });
        Ok(match limit {
            Some(n) => stream
                .take(usize::try_from(n).unwrap_or(usize::MAX))
                .boxed(),
            None => stream.boxed(),
        })
    }
}
