//! The `clickhouse` data backend: list tables, read with a JSON query, write in batched inserts.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, NaiveDateTime, Utc};
use clickhouse::{Client, Row};
use futures::StreamExt;
use ralph_core::record::{ChunkOutcome, JsonRecord, json_line, write_json_chunks};
use ralph_core::{
    BackendStatus, DataBackend, Error, ErrorKind, ListEntry, ListStream, Listable, OperationType,
    ReadRequest, Readable, Record, RecordStream, Result, Writable, WriteOptions, WriteReport,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::ClickHouseSettings;
use crate::client::{ch_error, client, quote_table, ralph_table_sql};
use crate::columns::{Layout, LrsRow, layout};
use crate::query::{ClickHouseQuery, Param};

/// A row of Ralph's layout, as inserted.
#[derive(Debug, Row, Serialize)]
pub(crate) struct EventRow {
    #[serde(with = "clickhouse::serde::uuid")]
    pub event_id: Uuid,
    #[serde(with = "clickhouse::serde::chrono::datetime64::micros")]
    pub emission_time: DateTime<Utc>,
    pub event: String,
}

/// The `event` column alone, as read.
#[derive(Debug, Row, Deserialize)]
struct EventText {
    event: String,
}

/// An id of a stored row.
#[derive(Debug, Row, Deserialize)]
pub(crate) struct IdRow {
    #[serde(with = "clickhouse::serde::uuid")]
    pub event_id: Uuid,
}

/// ClickHouse tables of xAPI statements or other JSON events, in Ralph's layout.
#[derive(Clone)]
pub struct ClickHouseBackend {
    settings: ClickHouseSettings,
    client: Client,
    server: String,
}

impl std::fmt::Debug for ClickHouseBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouseBackend")
            .field("server", &self.server)
            .field("database", &self.settings.database)
            .finish_non_exhaustive()
    }
}

/// The emission time of a record: its `timestamp` (xAPI), else its `time` (edX events).
pub fn emission_time(record: &Value) -> Option<DateTime<Utc>> {
    ["timestamp", "time"]
        .iter()
        .find_map(|key| record.get(*key)?.as_str().and_then(parse_time))
}

/// An ISO 8601 date-time; without an offset it is taken as UTC.
pub(crate) fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    None
}

impl ClickHouseBackend {
    /// A backend on the server of `settings`; nothing is sent until it is used (see
    /// [`DataBackend::status`]).
    pub fn new(settings: ClickHouseSettings) -> Result<Self> {
        let (client, server) = client(&settings.connection(), "backends.data.clickhouse")?;
        Ok(Self {
            settings,
            client,
            server,
        })
    }

    /// The client, for statements of your own.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn error(&self, err: clickhouse::error::Error) -> Error {
        ch_error(&self.server, err)
    }

    fn table(&self, target: Option<&str>) -> Result<(String, String)> {
        let name = target
            .filter(|t| !t.is_empty())
            .unwrap_or(&self.settings.event_table_name)
            .to_owned();
        let quoted = quote_table(&name)?;
        Ok((name, quoted))
    }

    /// Creates `table` in Ralph's layout when it does not exist, and tells the layout.
    async fn prepare_table(&self, name: &str) -> Result<Layout> {
        // `database.table` names are looked up as given by the server.
        let local = !name.contains('.');
        let found = if local {
            layout(&self.client, &self.server, name).await?
        } else {
            Layout::Missing
        };
        if found == Layout::Missing {
            self.create_table(name).await?;
            return Ok(Layout::Ralph);
        }
        Ok(found)
    }

    /// Creates `table` in Ralph's layout when it does not exist.
    pub async fn create_table(&self, table: &str) -> Result<()> {
        self.client
            .query(&ralph_table_sql(table)?)
            .execute()
            .await
            .map_err(|e| self.error(e))
    }

    async fn write_chunk(
        &self,
        table: &str,
        layout: Layout,
        chunk: Vec<JsonRecord>,
    ) -> Result<ChunkOutcome> {
        let mut outcome = ChunkOutcome::default();
        let written_at = Utc::now();
        let mut rows: Vec<(u64, EventRow, Value)> = Vec::with_capacity(chunk.len());
        let mut first_line: HashMap<Uuid, u64> = HashMap::with_capacity(chunk.len());
        for JsonRecord { line, value } in chunk {
            let event_id = match value.get("id") {
                Some(Value::String(s)) => match Uuid::parse_str(s) {
                    Ok(id) => id,
                    Err(_) => {
                        outcome.failures.push((
                            line,
                            Error::invalid_input(format!("`id` `{s}` is not a UUID")),
                        ));
                        continue;
                    }
                },
                None | Some(Value::Null) => Uuid::new_v4(),
                Some(other) => {
                    outcome.failures.push((
                        line,
                        Error::invalid_input(format!("`id` {other} is not a UUID string")),
                    ));
                    continue;
                }
            };
            let time = match emission_time(&value) {
                Some(t) => t,
                None if !self.settings.require_timestamp => written_at,
                None => {
                    outcome.failures.push((
                        line,
                        Error::invalid_input(
                            "no valid `timestamp` (or `time`) for the `emission_time` column",
                        ),
                    ));
                    continue;
                }
            };
            if let Some(first) = first_line.get(&event_id) {
                outcome.failures.push((
                    line,
                    Error::new(
                        ErrorKind::Conflict,
                        format!("duplicate id `{event_id}` in the batch (first at line {first})"),
                    ),
                ));
                continue;
            }
            first_line.insert(event_id, line);
            let event = serde_json::to_string(&value)
                .map_err(|e| Error::invalid_input(format!("line {line}: {e}")))?;
            rows.push((
                line,
                EventRow {
                    event_id,
                    emission_time: time,
                    event,
                },
                value,
            ));
        }
        if rows.is_empty() {
            return Ok(outcome);
        }
        // Creating what exists is refused: look the ids up first (ClickHouse has no unique
        // keys).
        let ids: Vec<Uuid> = rows.iter().map(|(_, r, _)| r.event_id).collect();
        let existing: HashSet<Uuid> = self
            .client
            .query(&format!(
                "SELECT event_id FROM {table} WHERE event_id IN {{ids:Array(UUID)}}"
            ))
            .param("ids", ids.iter().map(Uuid::to_string).collect::<Vec<_>>())
            .fetch_all::<IdRow>()
            .await
            .map_err(|e| self.error(e))?
            .into_iter()
            .map(|r| r.event_id)
            .collect();
        let mut fresh = Vec::with_capacity(rows.len());
        for (line, row, value) in rows {
            if existing.contains(&row.event_id) {
                outcome.failures.push((
                    line,
                    Error::new(
                        ErrorKind::Conflict,
                        format!("a record with id `{}` already exists", row.event_id),
                    ),
                ));
            } else {
                fresh.push((row, value));
            }
        }
        let count = fresh.len() as u64;
        if fresh.is_empty() {
            return Ok(outcome);
        }
        if layout == Layout::Statements {
            // A statement table of the LRS store: fill its filter columns too.
            let mut insert = self
                .client
                .insert_unescaped::<LrsRow>(table)
                .await
                .map_err(|e| self.error(e))?;
            for (row, value) in fresh {
                let row = LrsRow::new(row.event_id, row.emission_time, &value, row.event);
                insert.write(&row).await.map_err(|e| self.error(e))?;
            }
            insert.end().await.map_err(|e| self.error(e))?;
        } else {
            let mut insert = self
                .client
                .insert_unescaped::<EventRow>(table)
                .await
                .map_err(|e| self.error(e))?;
            for (row, _) in fresh {
                insert.write(&row).await.map_err(|e| self.error(e))?;
            }
            insert.end().await.map_err(|e| self.error(e))?;
        }
        outcome.written += count;
        Ok(outcome)
    }
}

#[async_trait]
impl DataBackend for ClickHouseBackend {
    fn name(&self) -> &'static str {
        "clickhouse"
    }

    async fn status(&self) -> BackendStatus {
        match self.client.query("SELECT 1").fetch_one::<u8>().await {
            Ok(_) => BackendStatus::Ok,
            Err(err) => {
                tracing::warn!(target: "ralph", "clickhouse status: {}", self.error(err));
                BackendStatus::Away
            }
        }
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
impl Writable for ClickHouseBackend {
    fn default_operation_type(&self) -> OperationType {
        OperationType::Create
    }

    fn unsupported_operation_types(&self) -> &'static [OperationType] {
        &[
            OperationType::Append,
            OperationType::Delete,
            OperationType::Update,
        ]
    }

    async fn write(&self, input: RecordStream, options: WriteOptions) -> Result<WriteReport> {
        self.resolve_operation_type(&options)?;
        let (name, table) = self.table(options.target.as_deref())?;
        let layout = self.prepare_table(&name).await?;
        let chunk_size = options.chunk_size.unwrap_or(self.settings.write_chunk_size);
        let mut report = write_json_chunks(input, chunk_size, options.ignore_errors, |chunk| {
            self.write_chunk(&table, layout, chunk)
        })
        .await?;
        report.location = Some(format!("{}.{name}", self.settings.database));
        Ok(report)
    }
}

#[async_trait]
impl Listable for ClickHouseBackend {
    async fn list(&self, target: Option<String>, details: bool, new: bool) -> Result<ListStream> {
        if new {
            return Err(Error::unsupported(
                "the clickhouse backend keeps no read history: `--new` does not apply",
            ));
        }
        let database = target
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| self.settings.database.clone());
        let body = self
            .client
            .query(
                "SELECT name, engine, total_rows, total_bytes FROM system.tables \
                 WHERE database = {database:String} ORDER BY name",
            )
            .param("database", &database)
            .with_setting("output_format_json_quote_64bit_integers", "0")
            .fetch_bytes("JSONEachRow")
            .map_err(|e| self.error(e))?
            .collect()
            .await
            .map_err(|e| self.error(e))?;
        let mut entries = Vec::new();
        for line in body.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
            let row: Value = serde_json::from_slice(line)
                .map_err(|e| Error::backend(format!("clickhouse: unreadable table row: {e}")))?;
            entries.push(Ok(if details {
                ListEntry::Details(row)
            } else {
                ListEntry::Id(row["name"].as_str().unwrap_or_default().to_owned())
            }));
        }
        Ok(futures::stream::iter(entries).boxed())
    }
}

/// An `event` text as a record: raw bytes are the JSON text on one line; JSON records decode it.
fn event_record(text: String, raw: bool) -> Result<Record> {
    if raw && !text.contains('\n') {
        let mut bytes = text.into_bytes();
        bytes.push(b'\n');
        return Ok(Record::Raw(Bytes::from(bytes)));
    }
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| Error::invalid_input(format!("stored event is not JSON: {e}")))?;
    Ok(if raw {
        Record::Raw(json_line(&value))
    } else {
        Record::Json(value)
    })
}

#[async_trait]
impl Readable for ClickHouseBackend {
    async fn read(&self, request: ReadRequest) -> Result<RecordStream> {
        let query = ClickHouseQuery::parse(request.query.as_deref())?;
        let (_, table) = self.table(request.target.as_deref())?;
        let sql = query.sql(&table, request.max_statements.filter(|&n| n > 0));
        let mut statement = self.client.query(&sql).with_setting(
            "max_block_size",
            request
                .chunk_size
                .unwrap_or(self.settings.read_chunk_size)
                .max(1)
                .to_string(),
        );
        for (name, value) in &query.parameters {
            statement = statement.param(name, Param::of(value)?);
        }
        let raw = request.raw_output;
        let ignore = request.ignore_errors;
        let backend = self.clone();
        let skip_bad = move |item: Result<Record>| {
            let keep = match &item {
                Err(err) if ignore && err.kind() == ErrorKind::InvalidInput => {
                    tracing::warn!(target: "ralph", "skipped: {err}");
                    false
                }
                _ => true,
            };
            futures::future::ready(keep.then_some(item))
        };
        if query.selects_event_only() {
            let cursor = statement.fetch::<EventText>().map_err(|e| self.error(e))?;
            let stream = futures::stream::unfold(Some(cursor), move |cursor| {
                let backend = backend.clone();
                async move {
                    let mut cursor = cursor?;
                    match cursor.next().await {
                        Ok(Some(row)) => Some((event_record(row.event, raw), Some(cursor))),
                        Ok(None) => None,
                        Err(err) => Some((Err(backend.error(err)), None)),
                    }
                }
            });
            return Ok(stream.filter_map(skip_bad).boxed());
        }
        // Any other selection: one JSON object per row, `event` decoded.
        let cursor = statement
            .fetch_bytes("JSONEachRow")
            .map_err(|e| self.error(e))?;
        struct Lines {
            cursor: clickhouse::query::BytesCursor,
            buffer: Vec<u8>,
            done: bool,
        }
        let state = Lines {
            cursor,
            buffer: Vec::new(),
            done: false,
        };
        let stream = futures::stream::unfold(Some(state), move |state| {
            let backend = backend.clone();
            async move {
                let mut st = state?;
                loop {
                    if let Some(pos) = st.buffer.iter().position(|&b| b == b'\n') {
                        let line: Vec<u8> = st.buffer.drain(..=pos).collect();
                        return Some((row_record(&line[..pos], raw), Some(st)));
                    }
                    if st.done {
                        return None;
                    }
                    match st.cursor.next().await {
                        Ok(Some(chunk)) => st.buffer.extend_from_slice(&chunk),
                        Ok(None) => st.done = true,
                        Err(err) => return Some((Err(backend.error(err)), None)),
                    }
                }
            }
        });
        Ok(stream.filter_map(skip_bad).boxed())
    }
}

/// A `JSONEachRow` row as a record, its `event` column decoded.
fn row_record(line: &[u8], raw: bool) -> Result<Record> {
    let mut row: Value = serde_json::from_slice(line)
        .map_err(|e| Error::backend(format!("clickhouse: unreadable row: {e}")))?;
    if let Some(Value::String(text)) = row.get("event") {
        let event: Value = serde_json::from_str(text)
            .map_err(|e| Error::invalid_input(format!("stored event is not JSON: {e}")))?;
        row["event"] = event;
    }
    Ok(if raw {
        Record::Raw(json_line(&row))
    } else {
        Record::Json(row)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn emission_times_come_from_timestamp_or_time() {
        let t = |v: Value| emission_time(&v).map(|t| t.to_rfc3339());
        assert_eq!(
            t(json!({"timestamp": "2024-01-15T10:00:00.5+01:00"})),
            Some("2024-01-15T09:00:00.500+00:00".into())
        );
        assert_eq!(
            t(json!({"time": "2024-01-15T10:00:00.123456"})),
            Some("2024-01-15T10:00:00.123456+00:00".into())
        );
        assert_eq!(
            t(json!({"time": "2024-01-15 10:00:00+0000"})),
            Some("2024-01-15T10:00:00+00:00".into())
        );
        assert_eq!(t(json!({"timestamp": "yesterday"})), None);
        assert_eq!(t(json!({})), None);
    }

    #[test]
    fn stored_events_become_records() {
        let raw = event_record(r#"{"a":1}"#.into(), true).expect("raw");
        assert_eq!(raw, Record::Raw(Bytes::from_static(b"{\"a\":1}\n")));
        let pretty = event_record("{\n\"a\": 1}".into(), true).expect("pretty");
        assert_eq!(pretty, Record::Raw(Bytes::from_static(b"{\"a\":1}\n")));
        assert!(event_record("nope".into(), false).is_err());
        let row = row_record(br#"{"event_id":"x","event":"{\"a\":1}"}"#, false).expect("row");
        assert_eq!(
            row,
            Record::Json(json!({"event_id": "x", "event": {"a": 1}}))
        );
    }
}
