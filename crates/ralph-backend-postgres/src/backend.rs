//! The `postgres` backend: list, read and write tables.

use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use futures::StreamExt;
use ralph_core::record::{ChunkOutcome, JsonRecord, json_line, write_json_chunks};
use ralph_core::{
    BackendStatus, DataBackend, Error, ErrorKind, ListEntry, ListStream, Listable, OperationType,
    ReadRequest, Readable, Record, RecordStream, Result, Writable, WriteOptions, WriteReport,
};
use serde_json::{Value, json};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{NoTls, error::SqlState};
use uuid::Uuid;

use crate::PostgresSettings;
use crate::query::{PostgresQuery, quote_table};
use crate::tls::TlsParams;
use ralph_core::settings::SecretUrl;

/// PostgreSQL tables of JSON records.
#[derive(Clone)]
pub struct PostgresBackend {
    settings: PostgresSettings,
    pool: Pool,
}

impl std::fmt::Debug for PostgresBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresBackend")
            .field("connection_string", &self.settings.connection_string)
            .finish_non_exhaustive()
    }
}

impl PostgresBackend {
    /// Connects to the server of `settings`, failing within the connect timeout.
    pub async fn connect(settings: PostgresSettings) -> Result<Self> {
        let pool = connect_pool(
            &settings.connection_string,
            "backends.data.postgres.connection_string",
            settings.pool_size,
            settings.connect_timeout,
        )
        .await?;
        Ok(Self { settings, pool })
    }

    async fn client(&self) -> Result<Object> {
        pool_client(&self.pool, &self.settings.connection_string).await
    }

    /// A PostgreSQL error as a ralph error naming the server.
    fn error(&self, err: tokio_postgres::Error) -> Error {
        pg_error(&self.settings.connection_string, err)
    }

    /// Commits the transaction of a chunk of `records` records.
    ///
    /// A connection lost during the commit leaves the chunk in doubt: the server may have made
    /// it durable before it could answer. The error says so, and the records are not counted as
    /// written; a rerun with `--ignore-errors` skips the ones that were stored.
    async fn commit(&self, tx: deadpool_postgres::Transaction<'_>, records: usize) -> Result<()> {
        tx.commit().await.map_err(|err| {
            // An ERROR rolled the transaction back; anything else (the connection closed, a
            // FATAL such as a terminated backend) may have come after the commit was durable.
            let in_doubt = err.as_db_error().is_none_or(|db| db.severity() != "ERROR");
            let err = self.error(err);
            if in_doubt {
                Error::new(
                    err.kind(),
                    format!(
                        "{err}; the connection was lost while committing {records} records, \
                         which the server may have stored (not counted as written; a rerun \
                         with --ignore-errors skips the records already stored)"
                    ),
                )
            } else {
                err
            }
        })
    }

    fn table(&self, target: Option<&str>) -> Result<(String, String)> {
        let name = target
            .filter(|t| !t.is_empty())
            .unwrap_or(&self.settings.default_table)
            .to_owned();
        let quoted = quote_table(&name)?;
        Ok((name, quoted))
    }

    async fn write_chunk(
        &self,
        table: &str,
        op: OperationType,
        chunk: Vec<JsonRecord>,
    ) -> Result<ChunkOutcome> {
        let mut outcome = ChunkOutcome::default();
        // Records and their ids, in input order; records without a usable id are refused here.
        let mut rows: Vec<(i64, Uuid, Value)> = Vec::with_capacity(chunk.len());
        for JsonRecord { line, value } in chunk {
            match record_uuid(&value, op) {
                Ok(id) => rows.push((i64::try_from(line).unwrap_or(i64::MAX), id, value)),
                Err(err) => outcome.failures.push((line, err)),
            }
        }
        if rows.is_empty() {
            return Ok(outcome);
        }
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.error(e))?;
        if op == OperationType::Delete {
            let ids: Vec<Uuid> = rows.iter().map(|(_, id, _)| *id).collect();
            let deleted: HashSet<Uuid> = tx
                .query(
                    &format!("DELETE FROM {table} WHERE id = ANY($1) RETURNING id"),
                    &[&ids],
                )
                .await
                .map_err(|e| self.error(e))?
                .iter()
                .map(|row| row.get(0))
                .collect();
            self.commit(tx, rows.len()).await?;
            for (line, id, _) in rows {
                if deleted.contains(&id) {
                    outcome.written += 1;
                } else {
                    outcome.failures.push((
                        line as u64,
                        Error::new(
                            ErrorKind::NotFound,
                            format!("no record with id `{id}` to delete"),
                        ),
                    ));
                }
            }
            return Ok(outcome);
        }
        tx.batch_execute(
            "CREATE TEMP TABLE ralph_staging (line bigint, id uuid, doc jsonb) ON COMMIT DROP",
        )
        .await
        .map_err(|e| self.error(e))?;
        let sink = tx
            .copy_in("COPY ralph_staging (line, id, doc) FROM STDIN BINARY")
            .await
            .map_err(|e| self.error(e))?;
        let writer = BinaryCopyInWriter::new(sink, &[Type::INT8, Type::UUID, Type::JSONB]);
        let mut writer = std::pin::pin!(writer);
        for (line, id, doc) in &rows {
            writer
                .as_mut()
                .write(&[line, id, doc])
                .await
                .map_err(|e| self.error(e))?;
        }
        writer.as_mut().finish().await.map_err(|e| self.error(e))?;
        if op == OperationType::Update {
            tx.execute(
                &format!(
                    "INSERT INTO {table} (id, doc) SELECT DISTINCT ON (id) id, doc FROM ralph_staging \
                     ORDER BY id, line DESC ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc"
                ),
                &[],
            )
            .await
            .map_err(|e| self.error(e))?;
            self.commit(tx, rows.len()).await?;
            outcome.written += rows.len() as u64;
            return Ok(outcome);
        }
        let mut inserted: HashSet<Uuid> = tx
            .query(
                &format!(
                    "INSERT INTO {table} (id, doc) SELECT DISTINCT ON (id) id, doc FROM ralph_staging \
                     ORDER BY id, line ON CONFLICT (id) DO NOTHING RETURNING id"
                ),
                &[],
            )
            .await
            .map_err(|e| self.error(e))?
            .iter()
            .map(|row| row.get(0))
            .collect();
        self.commit(tx, rows.len()).await?;
        for (line, id, _) in rows {
            // The first line of an id was inserted, unless the id was already stored.
            if inserted.remove(&id) {
                outcome.written += 1;
            } else {
                outcome.failures.push((
                    line as u64,
                    Error::new(
                        ErrorKind::Conflict,
                        format!("a record with id `{id}` already exists"),
                    ),
                ));
            }
        }
        Ok(outcome)
    }
}

/// The id of a record as a UUID; `create` and `index` generate one when the record has none.
fn record_uuid(value: &Value, op: OperationType) -> Result<Uuid> {
    match value.get("id") {
        Some(Value::String(s)) => Uuid::parse_str(s)
            .map_err(|_| Error::invalid_input(format!("`id` `{s}` is not a UUID"))),
        // New records without an id (edX events) get one, as Elasticsearch gives one.
        Some(Value::Null) | None if matches!(op, OperationType::Create | OperationType::Index) => {
            Ok(Uuid::new_v4())
        }
        Some(other) => Err(Error::invalid_input(format!(
            "`id` {other} is not a UUID string"
        ))),
        None => Err(Error::invalid_input(format!(
            "`{op}` needs an `id` field in the record"
        ))),
    }
}

/// A JSON query parameter as the SQL type the server expects.
fn sql_param(value: &Value, ty: &Type) -> Result<Box<dyn ToSql + Sync + Send>> {
    let mismatch =
        || Error::invalid_input(format!("query parameter {value} cannot be used as `{ty}`"));
    Ok(match *ty {
        Type::JSON | Type::JSONB => Box::new(value.clone()),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => match value {
            Value::String(s) => Box::new(s.clone()),
            other => Box::new(other.to_string()),
        },
        Type::TEXT_ARRAY => Box::new(
            value
                .as_array()
                .ok_or_else(mismatch)?
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| v.to_string())
                })
                .collect::<Vec<String>>(),
        ),
        Type::INT2 => {
            Box::new(i16::try_from(value.as_i64().ok_or_else(mismatch)?).map_err(|_| mismatch())?)
        }
        Type::INT4 => {
            Box::new(i32::try_from(value.as_i64().ok_or_else(mismatch)?).map_err(|_| mismatch())?)
        }
        Type::INT8 => Box::new(value.as_i64().ok_or_else(mismatch)?),
        Type::FLOAT4 => Box::new(value.as_f64().ok_or_else(mismatch)? as f32),
        Type::FLOAT8 => Box::new(value.as_f64().ok_or_else(mismatch)?),
        Type::BOOL => Box::new(value.as_bool().ok_or_else(mismatch)?),
        Type::UUID => Box::new(
            value
                .as_str()
                .and_then(|s| Uuid::parse_str(s).ok())
                .ok_or_else(mismatch)?,
        ),
        _ => {
            return Err(Error::invalid_input(format!(
                "query parameter {value}: type `{ty}` is not supported; cast the placeholder, e.g. `$since::text::timestamptz`"
            )));
        }
    })
}

#[async_trait]
impl DataBackend for PostgresBackend {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn status(&self) -> BackendStatus {
        let Ok(client) = self.client().await else {
            return BackendStatus::Away;
        };
        match client.simple_query("SELECT 1").await {
            Ok(_) => BackendStatus::Ok,
            Err(_) => BackendStatus::Error,
        }
    }

    async fn close(&self) -> Result<()> {
        self.pool.close();
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
impl Writable for PostgresBackend {
    fn default_operation_type(&self) -> OperationType {
        OperationType::Index
    }

    fn unsupported_operation_types(&self) -> &'static [OperationType] {
        &[OperationType::Append]
    }

    async fn write(&self, input: RecordStream, options: WriteOptions) -> Result<WriteReport> {
        let op = self.resolve_operation_type(&options)?;
        let (name, table) = self.table(options.target.as_deref())?;
        if op != OperationType::Delete {
            let client = self.client().await?;
            client
                .batch_execute(&format!(
                    "CREATE TABLE IF NOT EXISTS {table} (id uuid PRIMARY KEY, doc jsonb NOT NULL, \
                     stored timestamptz NOT NULL DEFAULT now())"
                ))
                .await
                .map_err(|e| self.error(e))?;
        }
        let chunk_size = options
            .chunk_size
            .unwrap_or(self.settings.default_chunk_size);
        let mut report = write_json_chunks(input, chunk_size, options.ignore_errors, |chunk| {
            self.write_chunk(&table, op, chunk)
        })
        .await?;
        report.location = Some(name);
        Ok(report)
    }
}

#[async_trait]
impl Listable for PostgresBackend {
    async fn list(&self, target: Option<String>, details: bool, new: bool) -> Result<ListStream> {
        if new {
            return Err(Error::unsupported(
                "the postgres backend keeps no read history: `--new` does not apply",
            ));
        }
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT c.relname::text, pg_total_relation_size(c.oid) FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = coalesce($1, current_schema()) AND c.relkind = 'r' ORDER BY 1",
                &[&target],
            )
            .await
            .map_err(|e| self.error(e))?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let name: String = row.get(0);
            if !details {
                entries.push(Ok(ListEntry::Id(name)));
                continue;
            }
            let size: i64 = row.get(1);
            let count: i64 = match quote_table(&name) {
                Ok(quoted) => client
                    .query_one(&format!("SELECT count(*) FROM {quoted}"), &[])
                    .await
                    .map_err(|e| self.error(e))?
                    .get(0),
                Err(_) => -1,
            };
            entries.push(Ok(ListEntry::Details(
                json!({"table": name, "rows": count, "size": size}),
            )));
        }
        Ok(futures::stream::iter(entries).boxed())
    }
}

/// A read in progress: the pooled connection holding the open cursor.
struct Cursor {
    client: Option<Object>,
    fetch: String,
    chunk: usize,
    raw: bool,
    buffer: std::collections::VecDeque<Value>,
    done: bool,
}

impl Cursor {
    async fn next(&mut self, backend: &PostgresBackend) -> Option<Result<Record>> {
        loop {
            if let Some(doc) = self.buffer.pop_front() {
                return Some(Ok(if self.raw {
                    Record::Raw(json_line(&doc))
                } else {
                    Record::Json(doc)
                }));
            }
            if self.done {
                return None;
            }
            let client = self.client.as_ref()?;
            let rows = match client.query(&self.fetch, &[]).await {
                Ok(rows) => rows,
                Err(err) => {
                    self.done = true;
                    return Some(Err(backend.error(err)));
                }
            };
            if rows.len() < self.chunk {
                self.done = true;
                if let Err(err) = client.batch_execute("CLOSE ralph_read; COMMIT").await {
                    return Some(Err(backend.error(err)));
                }
                // The connection is clean again: it may go back to the pool.
                self.client = None;
            }
            self.buffer
                .extend(rows.iter().map(|row| row.get::<_, Value>(0)));
        }
    }
}

impl Drop for Cursor {
    fn drop(&mut self) {
        // A cursor dropped midway leaves a transaction open: close the connection instead of
        // returning it to the pool; the server rolls the transaction back.
        if let Some(client) = self.client.take() {
            drop(Object::take(client));
        }
    }
}

#[async_trait]
impl Readable for PostgresBackend {
    async fn read(&self, request: ReadRequest) -> Result<RecordStream> {
        let query = PostgresQuery::parse(request.query.as_deref())?;
        let (_, table) = self.table(request.target.as_deref())?;
        let sql = query.select(&table)?;
        let client = self.client().await?;
        client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(|e| self.error(e))?;
        let mut cursor = Cursor {
            client: Some(client),
            fetch: String::new(),
            chunk: request
                .chunk_size
                .unwrap_or(self.settings.default_chunk_size)
                .max(1),
            raw: request.raw_output,
            buffer: Default::default(),
            done: false,
        };
        cursor.fetch = format!("FETCH {} FROM ralph_read", cursor.chunk);
        let declare = format!("DECLARE ralph_read NO SCROLL CURSOR FOR {}", sql.text);
        let client = cursor
            .client
            .as_ref()
            .ok_or_else(|| Error::backend("no connection"))?;
        let statement = client.prepare(&declare).await.map_err(|e| self.error(e))?;
        let params = sql
            .params
            .iter()
            .zip(statement.params())
            .map(|(value, ty)| sql_param(value, ty))
            .collect::<Result<Vec<_>>>()?;
        client
            .execute(&statement, &crate::store::param_refs(&params))
            .await
            .map_err(|e| self.error(e))?;
        let backend = self.clone();
        let limit = request
            .max_statements
            .filter(|&n| n > 0)
            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        Ok(
            futures::stream::unfold((cursor, backend), |(mut cursor, backend)| async move {
                let item = cursor.next(&backend).await?;
                Some((item, (cursor, backend)))
            })
            .take(limit)
            .boxed(),
        )
    }
}

/// A pool of connections to `url` (the setting `key`), checked by connecting once now so that a
/// wrong address or password shows at once.
pub(crate) async fn connect_pool(
    url: &SecretUrl,
    key: &str,
    pool_size: usize,
    connect_timeout: f64,
) -> Result<Pool> {
    let (rest, tls) = TlsParams::split(url.expose())
        .map_err(|err| Error::config(format!("setting `{key}`: invalid `{url}`: {err}")))?;
    let mut config = tokio_postgres::Config::from_str(&rest)
        .map_err(|err| Error::config(format!("setting `{key}`: invalid `{url}`: {err}")))?;
    config.ssl_mode(tls.postgres_mode());
    if config.get_hosts().is_empty() {
        // Only `hostaddr`: its address is the name TLS checks (tokio-postgres would have none
        // and fail the handshake), as in libpq.
        for addr in config.get_hostaddrs().to_vec() {
            config.host(addr.to_string());
        }
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(
            Duration::try_from_secs_f64(connect_timeout).unwrap_or(Duration::from_secs(5)),
        );
    }
    if config.get_application_name().is_none() {
        config.application_name("ralph");
    }
    let manager_config = ManagerConfig {
        recycling_method: RecyclingMethod::Fast,
    };
    #[cfg(feature = "tls")]
    let manager = match crate::tls::connector(&tls, key)? {
        Some(connector) => Manager::from_config(config, connector, manager_config),
        None => Manager::from_config(config, NoTls, manager_config),
    };
    #[cfg(not(feature = "tls"))]
    let manager = {
        crate::tls::check_no_tls(&tls, key)?;
        config.ssl_mode(tokio_postgres::config::SslMode::Disable);
        Manager::from_config(config, NoTls, manager_config)
    };
    let pool = Pool::builder(manager)
        .max_size(pool_size.max(1))
        .build()
        .map_err(|err| Error::config(format!("postgres pool: {err}")))?;
    drop(pool_client(&pool, url).await?);
    Ok(pool)
}

/// A connection from `pool`, with errors naming the server.
pub(crate) async fn pool_client(pool: &Pool, url: &SecretUrl) -> Result<Object> {
    pool.get().await.map_err(|err| match err {
        deadpool_postgres::PoolError::Backend(err) => pg_error(url, err),
        other => Error::new(
            ErrorKind::Unavailable,
            format!("postgres at `{}`: {other}", url.host_port()),
        ),
    })
}

/// A PostgreSQL error as a ralph error naming the server (`host:port`, never the password).
pub(crate) fn pg_error(url: &SecretUrl, err: tokio_postgres::Error) -> Error {
    let server = url.host_port();
    let kind = match err.code() {
        Some(code) if *code == SqlState::UNDEFINED_TABLE => ErrorKind::NotFound,
        Some(code)
            if *code == SqlState::INVALID_PASSWORD
                || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION =>
        {
            ErrorKind::PermissionDenied
        }
        Some(code) if *code == SqlState::UNIQUE_VIOLATION => ErrorKind::Conflict,
        Some(code)
            if *code == SqlState::UNTRANSLATABLE_CHARACTER
                || *code == SqlState::CHARACTER_NOT_IN_REPERTOIRE =>
        {
            ErrorKind::InvalidInput
        }
        Some(_) => ErrorKind::Backend,
        None => ErrorKind::Unavailable,
    };
    let detail = match err.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            if text.contains("invalid peer certificate: UnknownIssuer") {
                text.push_str(
                    " (the server's certificate is not signed by a trusted CA: `sslrootcert` in \
                     the connection string names the CA file to trust)",
                );
            }
            text
        }
    };
    Error::new(kind, format!("postgres at `{server}`: {detail}"))
}
