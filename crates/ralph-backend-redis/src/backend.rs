//! The `redis` backend: list, read and write streams.

use std::collections::VecDeque;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use ralph_core::record::{ChunkOutcome, json_line, write_json_chunks};
use ralph_core::{
    BackendStatus, DataBackend, Error, ErrorKind, ListEntry, ListStream, Listable, OperationType,
    ReadRequest, Readable, Record, RecordStream, Result, Writable, WriteOptions, WriteReport,
};
use redis::aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection};
use redis::streams::{StreamId, StreamRangeReply, StreamReadReply};
use redis::{AsyncConnectionConfig, Client};
use serde_json::{Value, json};

use crate::{RedisQuery, RedisSettings};

/// The field of a stream entry holding the JSON document.
const EVENT_FIELD: &str = "event";
/// How long one blocking read waits before asking again (keeps the connection checked).
const BLOCK_MS: u64 = 5_000;

/// Redis Streams.
#[derive(Clone)]
pub struct RedisBackend {
    settings: RedisSettings,
    client: Client,
    conn: ConnectionManager,
}

impl std::fmt::Debug for RedisBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBackend")
            .field("url", &self.settings.url)
            .finish_non_exhaustive()
    }
}

impl RedisBackend {
    /// Connects to the server of `settings`, failing within the connect timeout.
    pub async fn connect(settings: RedisSettings) -> Result<Self> {
        let client = Client::open(settings.url.expose()).map_err(|err| {
            Error::config(format!(
                "setting `backends.data.redis.url`: invalid URL `{}`: {err}",
                settings.url
            ))
        })?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(connect_timeout(&settings)))
            .set_response_timeout(Some(Duration::from_secs(60)))
            .set_number_of_retries(1);
        let conn = ConnectionManager::new_with_config(client.clone(), config)
            .await
            .map_err(|err| redis_error(&settings, err))?;
        Ok(Self {
            settings,
            client,
            conn,
        })
    }

    fn stream(&self, target: Option<&str>) -> String {
        target
            .filter(|t| !t.is_empty())
            .unwrap_or(&self.settings.default_stream)
            .to_owned()
    }

    /// A connection without response timeout, for blocking reads.
    async fn blocking_connection(&self) -> Result<MultiplexedConnection> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(connect_timeout(&self.settings)))
            .set_response_timeout(None);
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|err| redis_error(&self.settings, err))
    }
}

fn connect_timeout(settings: &RedisSettings) -> Duration {
    Duration::try_from_secs_f64(settings.connect_timeout).unwrap_or(Duration::from_secs(5))
}

/// A redis error as a ralph error naming the server.
fn redis_error(settings: &RedisSettings, err: redis::RedisError) -> Error {
    let server = settings.url.host_port();
    let kind = if err.kind() == redis::ErrorKind::AuthenticationFailed {
        ErrorKind::PermissionDenied
    } else if err.is_connection_refusal() || err.is_timeout() || err.is_io_error() {
        ErrorKind::Unavailable
    } else {
        ErrorKind::Backend
    };
    Error::new(kind, format!("redis at `{server}`: {err}"))
}

#[async_trait]
impl DataBackend for RedisBackend {
    fn name(&self) -> &'static str {
        "redis"
    }

    async fn status(&self) -> BackendStatus {
        let mut conn = self.conn.clone();
        match redis::cmd("PING").query_async::<String>(&mut conn).await {
            Ok(_) => BackendStatus::Ok,
            Err(err) if err.is_connection_refusal() || err.is_io_error() || err.is_timeout() => {
                BackendStatus::Away
            }
            Err(_) => BackendStatus::Error,
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
impl Writable for RedisBackend {
    fn default_operation_type(&self) -> OperationType {
        OperationType::Create
    }

    fn unsupported_operation_types(&self) -> &'static [OperationType] {
        // A stream is an append-only log: entries are never replaced or removed one by one.
        &[OperationType::Update, OperationType::Delete]
    }

    async fn write(&self, input: RecordStream, options: WriteOptions) -> Result<WriteReport> {
        self.resolve_operation_type(&options)?;
        let stream = self.stream(options.target.as_deref());
        let chunk_size = options
            .chunk_size
            .unwrap_or(self.settings.default_chunk_size);
        let mut report = write_json_chunks(input, chunk_size, options.ignore_errors, |chunk| {
            let mut conn = self.conn.clone();
            let mut pipe = redis::pipe();
            for record in &chunk {
                let cmd = pipe.cmd("XADD").arg(&stream);
                if let Some(maxlen) = self.settings.maxlen {
                    cmd.arg("MAXLEN").arg("~").arg(maxlen);
                }
                cmd.arg("*").arg(EVENT_FIELD).arg(record.value.to_string());
            }
            let settings = &self.settings;
            async move {
                pipe.query_async::<Vec<String>>(&mut conn)
                    .await
                    .map_err(|err| redis_error(settings, err))?;
                Ok(ChunkOutcome {
                    written: chunk.len() as u64,
                    failures: Vec::new(),
                })
            }
        })
        .await?;
        report.location = Some(stream);
        Ok(report)
    }
}

#[async_trait]
impl Listable for RedisBackend {
    async fn list(&self, target: Option<String>, details: bool, new: bool) -> Result<ListStream> {
        if new {
            return Err(Error::unsupported(
                "the redis backend keeps no read history: `--new` does not apply",
            ));
        }
        let pattern = target.unwrap_or_else(|| "*".to_owned());
        let mut conn = self.conn.clone();
        let mut keys = Vec::new();
        let mut cursor = 0u64;
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .arg("TYPE")
                .arg("stream")
                .query_async(&mut conn)
                .await
                .map_err(|err| redis_error(&self.settings, err))?;
            keys.extend(batch);
            if next == 0 {
                break;
            }
            cursor = next;
        }
        keys.sort();
        keys.dedup();
        let mut entries = Vec::with_capacity(keys.len());
        for key in keys {
            if !details {
                entries.push(Ok(ListEntry::Id(key)));
                continue;
            }
            let length: u64 = redis::cmd("XLEN")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .map_err(|err| redis_error(&self.settings, err))?;
            let first: StreamRangeReply = redis::cmd("XRANGE")
                .arg(&key)
                .arg("-")
                .arg("+")
                .arg("COUNT")
                .arg(1)
                .query_async(&mut conn)
                .await
                .map_err(|err| redis_error(&self.settings, err))?;
            let last: StreamRangeReply = redis::cmd("XREVRANGE")
                .arg(&key)
                .arg("+")
                .arg("-")
                .arg("COUNT")
                .arg(1)
                .query_async(&mut conn)
                .await
                .map_err(|err| redis_error(&self.settings, err))?;
            entries.push(Ok(ListEntry::Details(json!({
                "stream": key,
                "length": length,
                "first_id": first.ids.first().map(|e| e.id.clone()),
                "last_id": last.ids.first().map(|e| e.id.clone()),
            }))));
        }
        Ok(futures::stream::iter(entries).boxed())
    }
}

/// Where a read is in its stream.
enum Position {
    /// Paging with `XRANGE` from this id (inclusive, or exclusive with a `(` prefix).
    Range(String),
    /// Waiting for entries after this id (`XREAD BLOCK`).
    Follow(String),
    /// Reading new entries of a consumer group.
    Group { group: String, consumer: String },
    /// Nothing more to read.
    Done,
}

struct ReadState {
    backend: RedisBackend,
    stream: String,
    chunk: usize,
    follow: bool,
    raw: bool,
    ignore_errors: bool,
    remaining: Option<u64>,
    position: Position,
    blocking: Option<MultiplexedConnection>,
    buffer: VecDeque<StreamId>,
    /// Ids emitted from the current group batch, acknowledged before the next batch.
    to_ack: Vec<String>,
    last_id: Option<String>,
}

impl ReadState {
    /// The next record, or `None` at the end.
    async fn next(&mut self) -> Option<Result<Record>> {
        loop {
            if self.remaining == Some(0) {
                if let Err(err) = self.ack().await {
                    return Some(Err(err));
                }
                return None;
            }
            if let Some(entry) = self.buffer.pop_front() {
                self.last_id = Some(entry.id.clone());
                if matches!(self.position, Position::Group { .. }) {
                    self.to_ack.push(entry.id.clone());
                }
                match self.decode(&entry) {
                    Ok(record) => {
                        if let Some(n) = &mut self.remaining {
                            *n -= 1;
                        }
                        return Some(Ok(record));
                    }
                    Err(err) if self.ignore_errors => {
                        tracing::warn!(target: "ralph", "skipped: {err}");
                        continue;
                    }
                    Err(err) => return Some(Err(err)),
                }
            }
            if let Err(err) = self.fetch().await {
                self.position = Position::Done;
                return Some(Err(err));
            }
            if self.buffer.is_empty() && matches!(self.position, Position::Done) {
                return None;
            }
        }
    }

    fn decode(&self, entry: &StreamId) -> Result<Record> {
        let text: String = entry
            .map
            .get(EVENT_FIELD)
            .and_then(|v| redis::from_redis_value_ref(v).ok())
            .ok_or_else(|| {
                Error::invalid_input(format!(
                    "stream `{}` entry {}: no `{EVENT_FIELD}` field",
                    self.stream, entry.id
                ))
            })?;
        let value: Value = serde_json::from_str(&text).map_err(|err| {
            Error::invalid_input(format!(
                "stream `{}` entry {}: not valid JSON: {err}",
                self.stream, entry.id
            ))
        })?;
        Ok(if self.raw {
            Record::Raw(json_line(&value))
        } else {
            Record::Json(value)
        })
    }

    async fn ack(&mut self) -> Result<()> {
        let Position::Group { group, .. } = &self.position else {
            return Ok(());
        };
        if self.to_ack.is_empty() {
            return Ok(());
        }
        let mut conn = self.backend.conn.clone();
        let ids = std::mem::take(&mut self.to_ack);
        redis::cmd("XACK")
            .arg(&self.stream)
            .arg(group)
            .arg(&ids)
            .query_async::<u64>(&mut conn)
            .await
            .map_err(|err| redis_error(&self.backend.settings, err))?;
        Ok(())
    }

    async fn blocking(&mut self) -> Result<&mut MultiplexedConnection> {
        if self.blocking.is_none() {
            self.blocking = Some(self.backend.blocking_connection().await?);
        }
        self.blocking
            .as_mut()
            .ok_or_else(|| Error::backend("no blocking connection"))
    }

    /// Fills the buffer with the next page, moving the position on.
    async fn fetch(&mut self) -> Result<()> {
        let settings = self.backend.settings.clone();
        let count = self.chunk;
        match std::mem::replace(&mut self.position, Position::Done) {
            Position::Done => Ok(()),
            Position::Range(from) => {
                let mut conn = self.backend.conn.clone();
                let page: StreamRangeReply = redis::cmd("XRANGE")
                    .arg(&self.stream)
                    .arg(&from)
                    .arg("+")
                    .arg("COUNT")
                    .arg(count)
                    .query_async(&mut conn)
                    .await
                    .map_err(|err| redis_error(&settings, err))?;
                let full = page.ids.len() >= count;
                if let Some(last) = page.ids.last() {
                    self.position = Position::Range(format!("({}", last.id));
                }
                if !full {
                    self.position = if self.follow {
                        let after = match page.ids.last() {
                            Some(last) => last.id.clone(),
                            None => self.last_id.clone().unwrap_or_else(|| before(&from)),
                        };
                        Position::Follow(after)
                    } else {
                        Position::Done
                    };
                }
                self.buffer.extend(page.ids);
                Ok(())
            }
            Position::Follow(after) => {
                let stream = self.stream.clone();
                let conn = self.blocking().await?;
                let reply: Option<StreamReadReply> = redis::cmd("XREAD")
                    .arg("COUNT")
                    .arg(count)
                    .arg("BLOCK")
                    .arg(BLOCK_MS)
                    .arg("STREAMS")
                    .arg(&stream)
                    .arg(&after)
                    .query_async(conn)
                    .await
                    .map_err(|err| redis_error(&settings, err))?;
                let ids: Vec<StreamId> = reply
                    .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect())
                    .unwrap_or_default();
                let next = ids.last().map_or(after, |e| e.id.clone());
                self.position = Position::Follow(next);
                self.buffer.extend(ids);
                Ok(())
            }
            Position::Group { group, consumer } => {
                self.position = Position::Group {
                    group: group.clone(),
                    consumer: consumer.clone(),
                };
                self.ack().await?;
                let stream = self.stream.clone();
                let mut cmd = redis::cmd("XREADGROUP");
                cmd.arg("GROUP")
                    .arg(&group)
                    .arg(&consumer)
                    .arg("COUNT")
                    .arg(count);
                let reply: Option<StreamReadReply> = if self.follow {
                    cmd.arg("BLOCK")
                        .arg(BLOCK_MS)
                        .arg("STREAMS")
                        .arg(&stream)
                        .arg(">");
                    let conn = self.blocking().await?;
                    cmd.query_async(conn).await
                } else {
                    cmd.arg("STREAMS").arg(&stream).arg(">");
                    let mut conn = self.backend.conn.clone();
                    cmd.query_async(&mut conn).await
                }
                .map_err(|err| redis_error(&settings, err))?;
                let ids: Vec<StreamId> = reply
                    .map(|r| r.keys.into_iter().flat_map(|k| k.ids).collect())
                    .unwrap_or_default();
                if ids.is_empty() && !self.follow {
                    self.position = Position::Done;
                }
                self.buffer.extend(ids);
                Ok(())
            }
        }
    }
}

/// The id just before `id` (for an exclusive `XREAD` start equal to an inclusive `XRANGE` one).
fn before(id: &str) -> String {
    let id = id.trim_start_matches('(');
    if id == "-" {
        return "0-0".to_owned();
    }
    let (ms, seq) = id.split_once('-').unwrap_or((id, "0"));
    let (ms, seq): (u64, u64) = (ms.parse().unwrap_or(0), seq.parse().unwrap_or(0));
    match (ms, seq) {
        (0, 0) => "0-0".to_owned(),
        (ms, 0) => format!("{}-{}", ms - 1, u64::MAX),
        (ms, seq) => format!("{ms}-{}", seq - 1),
    }
}

#[async_trait]
impl Readable for RedisBackend {
    async fn read(&self, request: ReadRequest) -> Result<RecordStream> {
        let query = RedisQuery::parse(request.query.as_deref())?;
        let stream = self.stream(request.target.as_deref());
        let position = match (&query.group, &query.consumer) {
            (Some(group), Some(consumer)) => {
                let mut conn = self.conn.clone();
                let created = redis::cmd("XGROUP")
                    .arg("CREATE")
                    .arg(&stream)
                    .arg(group)
                    .arg("0")
                    .arg("MKSTREAM")
                    .query_async::<String>(&mut conn)
                    .await;
                if let Err(err) = created
                    && err.code() != Some("BUSYGROUP")
                {
                    return Err(redis_error(&self.settings, err));
                }
                Position::Group {
                    group: group.clone(),
                    consumer: consumer.clone(),
                }
            }
            _ => Position::Range(query.start.clone().unwrap_or_else(|| "-".to_owned())),
        };
        let state = ReadState {
            backend: self.clone(),
            stream,
            chunk: request
                .chunk_size
                .unwrap_or(self.settings.default_chunk_size)
                .max(1),
            follow: query.follow,
            raw: request.raw_output,
            ignore_errors: request.ignore_errors,
            remaining: request.max_statements.filter(|&n| n > 0),
            position,
            blocking: None,
            buffer: VecDeque::new(),
            to_ack: Vec::new(),
            last_id: None,
        };
        Ok(futures::stream::unfold(state, |mut state| async move {
            state.next().await.map(|item| (item, state))
        })
        .boxed())
    }
}

#[cfg(test)]
mod tests {
    use super::before;

    #[test]
    fn the_id_before_an_id_is_exclusive_of_it() {
        assert_eq!(before("-"), "0-0");
        assert_eq!(before("5-3"), "5-2");
        assert_eq!(before("5-0"), format!("4-{}", u64::MAX));
        assert_eq!(before("(7-1"), "7-0");
    }
}
