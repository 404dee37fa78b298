//! The `sqlite` data backend: the statements of an LRS database, read, written and listed by
//! `ralph read/write/list -b sqlite`.

use async_trait::async_trait;
use futures::StreamExt;
use ralph_core::lrs::{Ifi, LrsStore, StatementQuery};
use ralph_core::record::{ChunkOutcome, JsonRecord, json_line, write_json_chunks};
use ralph_core::registry::{BackendContext, BackendFactory, Capabilities};
use ralph_core::{
    BackendStatus, DataBackend, Error, ErrorKind, ListEntry, ListStream, Listable, OperationType,
    ReadRequest, Readable, Record, RecordStream, Result, Writable, WriteOptions, WriteReport,
};
use serde_json::Value;

use crate::{SqliteSettings, SqliteStore};

/// The name of the target of statements stored without one (the LRS's users without a
/// `target`).
pub const DEFAULT_TARGET: &str = "default";

fn store_target(target: Option<&str>) -> Option<String> {
    target.filter(|t| *t != DEFAULT_TARGET).map(str::to_owned)
}

/// Parses a read query: a JSON object with any of `agent` (a JSON agent), `verb`, `activity`,
/// `registration`, `since`, `until`, `related_agents`, `related_activities`.
fn parse_query(query: Option<&str>) -> Result<StatementQuery> {
    let mut out = StatementQuery {
        ascending: true,
        ..Default::default()
    };
    let Some(text) = query else {
        return Ok(out);
    };
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid_input(format!("the sqlite query must be JSON: {e}")))?;
    let Some(map) = value.as_object() else {
        return Err(Error::invalid_input(
            "the sqlite query must be a JSON object",
        ));
    };
    let text = |key: &str| -> Result<Option<String>> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Error::invalid_input(format!(
                "query `{key}`: expected a string"
            ))),
        }
    };
    let time = |key: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>> {
        text(key)?
            .map(|t| {
                chrono::DateTime::parse_from_rfc3339(&t)
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .map_err(|e| Error::invalid_input(format!("query `{key}`: {e}")))
            })
            .transpose()
    };
    for key in map.keys() {
        if !matches!(
            key.as_str(),
            "agent"
                | "verb"
                | "activity"
                | "registration"
                | "since"
                | "until"
                | "related_agents"
                | "related_activities"
        ) {
            return Err(Error::invalid_input(format!("unknown query field `{key}`")));
        }
    }
    if let Some(agent) = map.get("agent") {
        out.agent = Some(Ifi::of(agent).ok_or_else(|| {
            Error::invalid_input(
                "query `agent`: an agent with mbox, mbox_sha1sum, openid or account",
            )
        })?);
    }
    out.verb = text("verb")?;
    out.activity = text("activity")?;
    out.registration = text("registration")?;
    out.since = time("since")?;
    out.until = time("until")?;
    out.related_agents = map
        .get("related_agents")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    out.related_activities = map
        .get("related_activities")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(out)
}

/// The `sqlite` data backend.
#[derive(Debug, Clone)]
pub struct SqliteBackend {
    store: SqliteStore,
    settings: SqliteSettings,
}

impl SqliteBackend {
    /// A backend on `store`.
    pub fn new(store: SqliteStore, settings: SqliteSettings) -> Self {
        Self { store, settings }
    }
}

#[async_trait]
impl DataBackend for SqliteBackend {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    async fn status(&self) -> BackendStatus {
        self.store.status().await
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
impl Readable for SqliteBackend {
    async fn read(&self, request: ReadRequest) -> Result<RecordStream> {
        let mut query = parse_query(request.query.as_deref())?;
        query.limit = request
            .chunk_size
            .unwrap_or(self.settings.read_chunk_size)
            .max(1);
        let target = store_target(request.target.as_deref());
        let limit = request
            .max_statements
            .filter(|&n| n > 0)
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(usize::MAX);
        let raw = request.raw_output;
        let store = self.store.clone();
        // Pages in stored order, following the cursor; one page in memory at a time.
        let pages = futures::stream::unfold(Some(query), move |state| {
            let store = store.clone();
            let target = target.clone();
            async move {
                let query = state?;
                match store.query(target.as_deref(), &query).await {
                    Ok(page) => {
                        let next = page.more.map(|cursor| StatementQuery {
                            cursor: Some(cursor),
                            ..query
                        });
                        let items: Vec<Result<Value>> =
                            page.statements.into_iter().map(Ok).collect();
                        Some((futures::stream::iter(items), next))
                    }
                    Err(err) => Some((futures::stream::iter(vec![Err(err)]), None)),
                }
            }
        });
        Ok(pages
            .flatten()
            .take(limit)
            .map(move |item| {
                item.map(|v| {
                    if raw {
                        Record::Raw(json_line(&v))
                    } else {
                        Record::Json(v)
                    }
                })
            })
            .boxed())
    }
}

fn check(value: &Value) -> Result<()> {
    if !value.get("id").is_some_and(Value::is_string) {
        return Err(Error::invalid_input("a statement needs a string `id`"));
    }
    Ok(())
}

fn exists(id: &str) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!("a statement with id `{id}` already exists"),
    )
}

impl SqliteBackend {
    /// Stores a chunk; statements whose id is already stored (identical or not) are refused
    /// one by one, as `create` asks, and the others are stored.
    async fn write_chunk(
        &self,
        target: Option<&str>,
        chunk: Vec<JsonRecord>,
    ) -> Result<ChunkOutcome> {
        let mut outcome = ChunkOutcome::default();
        let mut good = Vec::with_capacity(chunk.len());
        for JsonRecord { line, value } in chunk {
            match check(&value) {
                Ok(()) => good.push((line, value)),
                Err(err) => outcome.failures.push((line, err)),
            }
        }
        let batch: Vec<Value> = good.iter().map(|(_, v)| v.clone()).collect();
        let id_of = |v: &Value| v["id"].as_str().unwrap_or_default().to_owned();
        match self.store.insert(target, batch).await {
            Ok(inserted) => {
                let mut new: std::collections::HashSet<String> = inserted.into_iter().collect();
                for (line, value) in &good {
                    // `remove`: a second copy of an id in the same chunk is refused too.
                    if new.remove(&id_of(value)) {
                        outcome.written += 1;
                    } else {
                        outcome.failures.push((*line, exists(&id_of(value))));
                    }
                }
            }
            // One refused statement refuses its whole transaction: find it by storing the
            // chunk one statement at a time.
            Err(err) if matches!(err.kind(), ErrorKind::Conflict | ErrorKind::InvalidInput) => {
                for (line, value) in good {
                    let id = id_of(&value);
                    match self.store.insert(target, vec![value]).await {
                        Ok(inserted) if inserted.is_empty() => {
                            outcome.failures.push((line, exists(&id)));
                        }
                        Ok(_) => outcome.written += 1,
                        Err(err)
                            if matches!(
                                err.kind(),
                                ErrorKind::Conflict | ErrorKind::InvalidInput
                            ) =>
                        {
                            outcome.failures.push((line, err));
                        }
                        Err(err) => return Err(err),
                    }
                }
            }
            Err(err) => return Err(err),
        }
        outcome.failures.sort_by_key(|(line, _)| *line);
        Ok(outcome)
    }
}

#[async_trait]
impl Writable for SqliteBackend {
    fn default_operation_type(&self) -> OperationType {
        OperationType::Create
    }

    fn unsupported_operation_types(&self) -> &'static [OperationType] {
        &[
            OperationType::Update,
            OperationType::Delete,
            OperationType::Append,
        ]
    }

    async fn write(&self, input: RecordStream, options: WriteOptions) -> Result<WriteReport> {
        self.resolve_operation_type(&options)?;
        let target = store_target(options.target.as_deref());
        let mut report = write_json_chunks(
            input,
            options.chunk_size.unwrap_or(self.settings.write_chunk_size),
            options.ignore_errors,
            |chunk| self.write_chunk(target.as_deref(), chunk),
        )
        .await?;
        report.location = Some(self.store.path().display().to_string());
        Ok(report)
    }
}

#[async_trait]
impl Listable for SqliteBackend {
    async fn list(&self, target: Option<String>, details: bool, new: bool) -> Result<ListStream> {
        if target.is_some() {
            return Err(Error::unsupported(
                "the sqlite backend lists its targets; it takes no target",
            ));
        }
        if new {
            return Err(Error::unsupported(
                "the sqlite backend keeps no history: `--new` does not apply",
            ));
        }
        let targets = self.store.targets().await?;
        let entries: Vec<Result<ListEntry>> = targets
            .into_iter()
            .map(|(name, count)| {
                let name = if name.is_empty() {
                    DEFAULT_TARGET.to_owned()
                } else {
                    name
                };
                Ok(if details {
                    ListEntry::Details(serde_json::json!({"target": name, "count": count}))
                } else {
                    ListEntry::Id(name)
                })
            })
            .collect();
        Ok(futures::stream::iter(entries).boxed())
    }
}

/// Registers the `sqlite` data backend (`ralph read/write/list -b sqlite`).
pub struct SqliteFactory;

#[async_trait]
impl BackendFactory for SqliteFactory {
    type Settings = SqliteSettings;
    const NAME: &'static str = "sqlite";
    const ABOUT: &'static str =
        "the statements of an LRS SQLite database (the store of `ralph runserver -b sqlite`)";
    const CAPABILITIES: Capabilities = Capabilities {
        read: true,
        write: true,
        list: true,
    };

    async fn open(
        settings: SqliteSettings,
        context: &BackendContext,
    ) -> Result<Box<dyn DataBackend>> {
        let path = settings
            .path
            .clone()
            .unwrap_or_else(|| context.global.app_dir.join(crate::DEFAULT_FILE_NAME));
        let store = tokio::task::spawn_blocking(move || SqliteStore::open(path, 1, 5000))
            .await
            .map_err(|e| Error::backend(format!("sqlite task failed: {e}")))??;
        Ok(Box::new(SqliteBackend::new(store, settings)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_json_objects_of_known_fields() {
        let q = parse_query(Some(
            r#"{"verb": "http://v", "agent": {"mbox": "mailto:a@b.c"}, "since": "2024-01-01T00:00:00Z"}"#,
        ))
        .expect("query");
        assert_eq!(q.verb.as_deref(), Some("http://v"));
        assert!(q.agent.is_some() && q.since.is_some() && q.ascending);
        assert!(parse_query(Some("nope")).is_err());
        assert!(parse_query(Some(r#"{"foo": 1}"#)).is_err());
    }
}
