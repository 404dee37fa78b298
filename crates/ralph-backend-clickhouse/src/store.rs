//! The ClickHouse statement store of the LRS.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::DateTime;
use chrono::Utc;
use clickhouse::{Client, Row};
use ralph_core::lrs::{
    Attachment, Document, DocumentKey, DocumentScope, FoundStatement, LrsStore, Precondition,
    StatementPage, StatementQuery, equivalent, reference_chain, statement_id, stored_at,
    voided_target,
};
use ralph_core::{BackendStatus, Error, ErrorKind, Result};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::ClickHouseLrsSettings;
use crate::client::{
    ch_error, check_identifier, client, lrs_backfill_sql, lrs_table_sql, lrs_upgrade_sql,
};
use crate::columns::{Layout, LrsRow, layout};
use crate::documents::{
    AttachmentRow, DocumentRow, attachments_table_sql, check, derived_table, document_row,
    documents_table_sql, live, scope_condition,
};

#[path = "privacy.rs"]
mod privacy;

/// A stored statement, as the insert checks read it.
#[derive(Debug, Row, Deserialize)]
struct StoredRow {
    #[serde(with = "clickhouse::serde::uuid")]
    event_id: Uuid,
    event: String,
    voids: String,
}

/// A statement of a page, with its place in the order.
#[derive(Debug, Row, Deserialize)]
struct PageRow {
    #[serde(with = "clickhouse::serde::uuid")]
    event_id: Uuid,
    micros: i64,
    event: String,
}

/// A statement found by id.
#[derive(Debug, Row, Deserialize)]
struct GetRow {
    event: String,
    voided: u8,
}

/// The ClickHouse LRS store: statements in tables of Ralph's layout (`event_id`,
/// `emission_time`, `event`) plus columns the server computes from `event` for the filters; one
/// table per target.
///
/// `emission_time` is the statement's `stored` time, so pages come in stored order and
/// `since`/`until` compare stored times, as xAPI says. ClickHouse has no unique keys nor
/// transactions: the inserts of one store are serialised (look the ids up, then insert), so an
/// id is stored once per store; two processes writing the same ids to the same table at the same
/// time could both store them. Voiding is computed when reading (a statement is voided when a
/// stored voiding statement names it), so it needs no update of stored rows.
pub struct ClickHouseStore {
    settings: ClickHouseLrsSettings,
    client: Client,
    server: String,
    /// Tables known to exist with the store's layout.
    ready: Mutex<HashSet<String>>,
    /// Held from the id lookup to the end of the insert.
    writer: Mutex<()>,
    /// The table of documents (state, profiles) of every target: `<event_table_name>_documents`.
    documents_table: String,
    /// The table of attachments: `<event_table_name>_attachments`.
    attachments_table: String,
    /// Held from a document's precondition check to the end of its write.
    documents: Mutex<()>,
    /// Whether the server has the `use_top_k_dynamic_filtering` setting (turned off, see
    /// [`Self::query_of`]).
    has_top_k_filter: bool,
}

impl std::fmt::Debug for ClickHouseStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouseStore")
            .field("server", &self.server)
            .field("database", &self.settings.database)
            .finish_non_exhaustive()
    }
}

fn conflict(id: &str) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!("a different statement is already stored with id `{id}`"),
    )
}

fn cursor_error(cursor: &str) -> Error {
    Error::invalid_input(format!("invalid cursor `{cursor}`"))
}

impl ClickHouseStore {
    /// Connects to the server of `settings`, creates the database and the default table when
    /// missing, and brings a table of Ralph's layout to the store's.
    pub async fn open(settings: ClickHouseLrsSettings) -> Result<Self> {
        check_identifier(&settings.event_table_name).map_err(|err| {
            Error::config(format!(
                "setting `backends.lrs.clickhouse.event_table_name`: {}",
                err.message()
            ))
        })?;
        let (client, server) = client(&settings.connection(), "backends.lrs.clickhouse")?;
        let mut store = Self {
            documents_table: derived_table(&settings.event_table_name, "documents")?,
            attachments_table: derived_table(&settings.event_table_name, "attachments")?,
            settings,
            client,
            server,
            ready: Mutex::new(HashSet::new()),
            writer: Mutex::new(()),
            documents: Mutex::new(()),
            has_top_k_filter: false,
        };
        store.has_top_k_filter = store
            .server_client()
            .query("SELECT count() FROM system.settings WHERE name = 'use_top_k_dynamic_filtering'")
            .fetch_one::<u64>()
            .await
            .map_err(|e| store.error(e))?
            > 0;
        store
            .server_client()
            .query(&format!(
                "CREATE DATABASE IF NOT EXISTS `{}`",
                store.settings.database
            ))
            .execute()
            .await
            .map_err(|e| store.error(e))?;
        let table = store.settings.event_table_name.clone();
        store.ensure_table(&table).await?;
        for sql in [
            documents_table_sql(&store.documents_table)?,
            attachments_table_sql(&store.attachments_table)?,
        ] {
            store
                .client
                .query(&sql)
                .execute()
                .await
                .map_err(|e| store.error(e))?;
        }
        Ok(store)
    }

    fn error(&self, err: clickhouse::error::Error) -> Error {
        ch_error(&self.server, err)
    }

    /// The client on the `default` database, for statements about databases (the store's may
    /// not exist yet).
    fn server_client(&self) -> Client {
        self.client.clone().with_database("default")
    }

    /// A query of `ORDER BY ... LIMIT` shape. ClickHouse 26.5's dynamic top-K filter fails some
    /// of them ("Type mismatch in IN or VALUES section. Expected: DateTime64(6). Got: UUID",
    /// "Attempt to read after eof: while converting '' to UInt64"), so it is turned off where
    /// the server has it; reading in the sort order stops early anyway.
    fn query_of(&self, sql: &str) -> clickhouse::query::Query {
        let query = self.client.query(sql);
        if self.has_top_k_filter {
            query.with_setting("use_top_k_dynamic_filtering", "0")
        } else {
            query
        }
    }

    /// The table of `target`: the event table without one, else the target's own table.
    fn table(&self, target: Option<&str>) -> Result<String> {
        match target.filter(|t| !t.is_empty()) {
            None => Ok(self.settings.event_table_name.clone()),
            Some(name) => {
                check_identifier(name).map_err(|_| {
                    Error::invalid_input(format!(
                        "invalid target `{name}`: a clickhouse target is a table name (letters, digits and `_`)"
                    ))
                })?;
                if name == self.documents_table || name == self.attachments_table {
                    return Err(Error::invalid_input(format!(
                        "invalid target `{name}`: the store keeps documents or attachments there"
                    )));
                }
                Ok(name.to_owned())
            }
        }
    }

    /// Creates `table` when missing, or adds the store's columns to a table of Ralph's layout
    /// and computes them for the rows already there.
    async fn ensure_table(&self, table: &str) -> Result<()> {
        let mut ready = self.ready.lock().await;
        if ready.contains(table) {
            return Ok(());
        }
        match layout(&self.client, &self.server, table).await? {
            Layout::Statements => {}
            Layout::Missing => {
                self.client
                    .query(&lrs_table_sql(table)?)
                    .execute()
                    .await
                    .map_err(|e| self.error(e))?;
            }
            Layout::Ralph => {
                tracing::info!(target: "ralph", "clickhouse: adding the statement filter columns to table `{table}`");
                self.client
                    .query(&lrs_upgrade_sql(table)?)
                    .execute()
                    .await
                    .map_err(|e| self.error(e))?;
                self.client
                    .query(&lrs_backfill_sql(table)?)
                    .with_setting("mutations_sync", "2")
                    .execute()
                    .await
                    .map_err(|e| self.error(e))?;
            }
        }
        ready.insert(table.to_owned());
        Ok(())
    }

    /// Whether `table` exists (a target nothing was written to has no table); a table of
    /// Ralph's layout is brought to the store's first.
    async fn exists(&self, table: &str) -> Result<bool> {
        if self.ready.lock().await.contains(table) {
            return Ok(true);
        }
        if layout(&self.client, &self.server, table).await? == Layout::Missing {
            return Ok(false);
        }
        self.ensure_table(table).await?;
        Ok(true)
    }

    /// Drops the store's database and everything in it.
    pub async fn drop_database(&self) -> Result<()> {
        self.server_client()
            .query(&format!(
                "DROP DATABASE IF EXISTS `{}`",
                self.settings.database
            ))
            .execute()
            .await
            .map_err(|e| self.error(e))?;
        self.ready.lock().await.clear();
        Ok(())
    }

    /// The stored rows of these ids (voided or not), by id.
    async fn stored(&self, table: &str, ids: &[Uuid]) -> Result<HashMap<Uuid, StoredRow>> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(self.settings.ids_chunk_size.max(1)) {
            let rows = self
                .client
                .query(&format!(
                    "SELECT event_id, event, voids FROM `{table}` WHERE event_id IN {{ids:Array(UUID)}}"
                ))
                .param(
                    "ids",
                    chunk.iter().map(Uuid::to_string).collect::<Vec<_>>(),
                )
                .fetch_all::<StoredRow>()
                .await
                .map_err(|e| self.error(e))?;
            for row in rows {
                out.entry(row.event_id).or_insert(row);
            }
        }
        Ok(out)
    }

    async fn insert_batch(&self, table: &str, statements: Vec<Value>) -> Result<Vec<String>> {
        let mut ids = Vec::with_capacity(statements.len());
        let mut lookup = Vec::with_capacity(statements.len());
        for statement in &statements {
            let Some(id) = statement_id(statement) else {
                return Err(Error::invalid_input("statement has no string `id`"));
            };
            let uuid = Uuid::parse_str(id)
                .map_err(|_| Error::invalid_input(format!("statement id `{id}` is not a UUID")))?;
            ids.push(uuid);
            lookup.push(uuid);
            if let Some(voided) = voided_target(statement).and_then(|v| Uuid::parse_str(v).ok()) {
                lookup.push(voided);
            }
        }
        lookup.sort_unstable();
        lookup.dedup();
        self.ensure_table(table).await?;
        let _writer = self.writer.lock().await;
        let stored = self.stored(table, &lookup).await?;

        let mut rows: Vec<(Uuid, Value, Option<Uuid>)> = Vec::new();
        let mut in_batch: HashMap<Uuid, usize> = HashMap::new();
        for (statement, id) in statements.into_iter().zip(ids) {
            if let Some(row) = stored.get(&id) {
                let body: Value = serde_json::from_str(&row.event).map_err(|e| {
                    Error::backend(format!(
                        "clickhouse: stored statement `{id}` is not JSON: {e}"
                    ))
                })?;
                if equivalent(&body, &statement) {
                    continue;
                }
                return Err(conflict(&id.to_string()));
            }
            if let Some(&i) = in_batch.get(&id) {
                if equivalent(&rows[i].1, &statement) {
                    continue;
                }
                return Err(conflict(&id.to_string()));
            }
            let voids = voided_target(&statement).and_then(|v| Uuid::parse_str(v).ok());
            in_batch.insert(id, rows.len());
            rows.push((id, statement, voids));
        }
        for (id, _, voids) in &rows {
            let Some(voided) = voids else { continue };
            let voids_a_voider = stored.get(voided).is_some_and(|r| !r.voids.is_empty())
                || in_batch.get(voided).is_some_and(|&i| rows[i].2.is_some());
            if voids_a_voider {
                return Err(Error::invalid_input(format!(
                    "statement `{id}` voids `{voided}`, a voiding statement: voiding statements cannot be voided"
                )));
            }
        }
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let now = Utc::now();
        let mut insert = self
            .client
            .insert_unescaped::<LrsRow>(&format!("`{table}`"))
            .await
            .map_err(|e| self.error(e))?;
        let mut new_ids = Vec::with_capacity(rows.len());
        for (id, statement, _) in rows {
            // Statements written without `stored` are ordered by their time of insertion.
            let emission_time = stored_at(&statement).unwrap_or(now);
            let event = serde_json::to_string(&statement)
                .map_err(|e| Error::invalid_input(format!("statement `{id}`: {e}")))?;
            insert
                .write(&LrsRow::new(id, emission_time, &statement, event))
                .await
                .map_err(|e| self.error(e))?;
            new_ids.push(id.to_string());
        }
        insert.end().await.map_err(|e| self.error(e))?;
        Ok(new_ids)
    }

    async fn query_page(&self, table: &str, query: &StatementQuery) -> Result<StatementPage> {
        if !self.exists(table).await? {
            if let Some(cursor) = &query.cursor {
                parse_cursor(cursor)?;
            }
            return Ok(StatementPage::default());
        }
        let mut conditions = vec![format!(
            "(voids != '' OR event_id NOT IN (SELECT toUUIDOrZero(voids) FROM `{table}` WHERE voids != ''))"
        )];
        let sql_query = |conditions: &[String], limit: usize| {
            let direction = if query.ascending { "ASC" } else { "DESC" };
            format!(
                "SELECT event_id, toUnixTimestamp64Micro(emission_time) AS micros, event FROM `{table}` \
                 WHERE {} ORDER BY emission_time {direction}, event_id {direction} LIMIT {limit}",
                conditions.join(" AND ")
            )
        };
        let mut params: Vec<(&str, ParamValue)> = Vec::new();
        if let Some(verb) = &query.verb {
            conditions.push("verb = {verb:String}".into());
            params.push(("verb", ParamValue::Text(verb.clone())));
        }
        if let Some(registration) = &query.registration {
            conditions.push("registration = {registration:String}".into());
            params.push((
                "registration",
                ParamValue::Text(registration.to_ascii_lowercase()),
            ));
        }
        if let Some(authority) = &query.authority {
            conditions.push("authority = {authority:String}".into());
            params.push(("authority", ParamValue::Text(authority.key())));
        }
        if let Some(agent) = &query.agent {
            let column = if query.related_agents {
                "related_agents"
            } else {
                "agents"
            };
            conditions.push(format!("has({column}, {{agent:String}})"));
            params.push(("agent", ParamValue::Text(agent.key())));
        }
        if let Some(activity) = &query.activity {
            conditions.push(if query.related_activities {
                "has(related_activities, {activity:String})".into()
            } else {
                "activity = {activity:String}".into()
            });
            params.push(("activity", ParamValue::Text(activity.clone())));
        }
        if let Some(since) = query.since {
            conditions.push("emission_time > fromUnixTimestamp64Micro({since:Int64})".into());
            params.push(("since", ParamValue::Micros(since.timestamp_micros())));
        }
        if let Some(until) = query.until {
            conditions.push("emission_time <= fromUnixTimestamp64Micro({until:Int64})".into());
            params.push(("until", ParamValue::Micros(until.timestamp_micros())));
        }
        if let Some(cursor) = &query.cursor {
            let (micros, id) = parse_cursor(cursor)?;
            let op = if query.ascending { ">" } else { "<" };
            conditions.push(format!(
                "(emission_time {op} fromUnixTimestamp64Micro({{after_time:Int64}}) OR \
                 (emission_time = fromUnixTimestamp64Micro({{after_time:Int64}}) AND event_id {op} {{after_id:UUID}}))"
            ));
            params.push(("after_time", ParamValue::Micros(micros)));
            params.push(("after_id", ParamValue::Text(id.to_string())));
        }
        let limit = query.limit.max(1);
        // One more row than asked tells whether a next page exists, so a full last page gets no
        // cursor.
        let sql = sql_query(&conditions, limit.saturating_add(1));
        let mut statement = self.query_of(&sql);
        for (name, value) in params {
            statement = match value {
                ParamValue::Text(text) => statement.param(name, text),
                ParamValue::Micros(micros) => statement.param(name, micros),
            };
        }
        let mut rows = statement
            .fetch_all::<PageRow>()
            .await
            .map_err(|e| self.error(e))?;
        if query.follows_references() {
            let through = self.through_references(table, query, limit + 1).await?;
            if !through.is_empty() {
                rows.extend(through);
                rows.sort_by_key(|row| (row.micros, row.event_id));
                if !query.ascending {
                    rows.reverse();
                }
            }
        }
        let more = rows.len() > limit;
        let mut statements = Vec::with_capacity(limit.min(rows.len()));
        let mut last = None;
        for row in rows.into_iter().take(limit) {
            last = Some((row.micros, row.event_id));
            statements.push(serde_json::from_str(&row.event).map_err(|e| {
                Error::backend(format!(
                    "clickhouse: stored statement `{}` is not JSON: {e}",
                    row.event_id
                ))
            })?);
        }
        Ok(StatementPage {
            statements,
            more: if more {
                last.map(|(micros, id)| format!("{micros}_{id}"))
            } else {
                None
            },
        })
    }

    /// The statement `id` of `table`, voided or not.
    async fn get_in(&self, table: &str, id: &str) -> Result<Option<FoundStatement>> {
        let table = table.to_owned();
        let Ok(id) = Uuid::parse_str(id) else {
            return Ok(None);
        };
        if !self.exists(&table).await? {
            return Ok(None);
        }
        let row = self
            .client
            .query(&format!(
                "SELECT event, toUInt8(voids = '' AND event_id IN \
                 (SELECT toUUIDOrZero(voids) FROM `{table}` WHERE voids != '')) AS voided \
                 FROM `{table}` WHERE event_id = {{id:UUID}} LIMIT 1"
            ))
            .param("id", id.to_string())
            .fetch_optional::<GetRow>()
            .await
            .map_err(|e| self.error(e))?;
        row.map(|row| {
            Ok(FoundStatement {
                statement: serde_json::from_str(&row.event).map_err(|e| {
                    Error::backend(format!(
                        "clickhouse: stored statement `{id}` is not JSON: {e}"
                    ))
                })?,
                voided: row.voided == 1,
            })
        })
        .transpose()
    }

    /// The first `wanted` rows of the page that meet the filters only through the statements
    /// their `StatementRef` targets (those meeting them directly come from the main query).
    /// Only rows with a `ref` are read, in page order and in batches; targets are looked up by
    /// id.
    async fn through_references(
        &self,
        table: &str,
        query: &StatementQuery,
        wanted: usize,
    ) -> Result<Vec<PageRow>> {
        const BATCH: usize = 500;
        let direction = if query.ascending { "ASC" } else { "DESC" };
        let op = if query.ascending { ">" } else { "<" };
        let mut after = query.cursor.as_deref().map(parse_cursor).transpose()?;
        let mut out = Vec::new();
        loop {
            let mut conditions = vec![
                "ref != ''".to_owned(),
                format!(
                    "(voids != '' OR event_id NOT IN (SELECT toUUIDOrZero(voids) FROM `{table}` WHERE voids != ''))"
                ),
            ];
            if query.since.is_some() {
                conditions.push("emission_time > fromUnixTimestamp64Micro({since:Int64})".into());
            }
            if query.until.is_some() {
                conditions.push("emission_time <= fromUnixTimestamp64Micro({until:Int64})".into());
            }
            if after.is_some() {
                conditions.push(format!(
                    "(emission_time {op} fromUnixTimestamp64Micro({{after_time:Int64}}) OR \
                     (emission_time = fromUnixTimestamp64Micro({{after_time:Int64}}) AND event_id {op} {{after_id:UUID}}))"
                ));
            }
            let sql = format!(
                "SELECT event_id, toUnixTimestamp64Micro(emission_time) AS micros, event FROM `{table}` \
                 WHERE {} ORDER BY emission_time {direction}, event_id {direction} LIMIT {BATCH}",
                conditions.join(" AND ")
            );
            let mut statement = self.query_of(&sql);
            if let Some(since) = query.since {
                statement = statement.param("since", since.timestamp_micros());
            }
            if let Some(until) = query.until {
                statement = statement.param("until", until.timestamp_micros());
            }
            if let Some((micros, id)) = after {
                statement = statement
                    .param("after_time", micros)
                    .param("after_id", id.to_string());
            }
            let rows = statement
                .fetch_all::<PageRow>()
                .await
                .map_err(|e| self.error(e))?;
            let exhausted = rows.len() < BATCH;
            for row in rows {
                after = Some((row.micros, row.event_id));
                let value: Value = serde_json::from_str(&row.event).map_err(|e| {
                    Error::backend(format!(
                        "clickhouse: stored statement `{}` is not JSON: {e}",
                        row.event_id
                    ))
                })?;
                if query.matches(&value) {
                    continue;
                }
                let chain = reference_chain(&value, |id| async move {
                    Ok(self.get_in(table, &id).await?.map(|found| found.statement))
                })
                .await?;
                let mut resolve = |id: &str| chain.get(id).cloned();
                if query.matches_through_references(&value, &mut resolve) {
                    out.push(row);
                    if out.len() >= wanted {
                        return Ok(out);
                    }
                }
            }
            if exhausted {
                return Ok(out);
            }
        }
    }
}

/// The columns of [`DocumentRow`], in order.
const DOCUMENT_COLUMNS: &str = "target, kind, activity, agent, registration, id, version, deleted, \
     content, content_type, etag, updated";

impl ClickHouseStore {
    /// Binds the scope parameters of [`scope_condition`] to `query`.
    fn bind_scope(
        query: clickhouse::query::Query,
        target: &str,
        scope: &DocumentScope,
    ) -> clickhouse::query::Query {
        let query = query
            .param("target", target)
            .param("kind", scope.kind.as_str())
            .param("activity", scope.activity_key())
            .param("agent", scope.agent_key());
        if scope.registration.is_some() {
            query.param("registration", scope.registration_key())
        } else {
            query
        }
    }

    /// The latest version of document `key`, deleted or not.
    async fn latest(&self, target: &str, key: &DocumentKey) -> Result<Option<DocumentRow>> {
        let sql = format!(
            "SELECT {DOCUMENT_COLUMNS} FROM `{}` WHERE target = {{target:String}} \
             AND kind = {{kind:String}} AND activity = {{activity:String}} AND agent = {{agent:String}} \
             AND registration = {{registration:String}} AND id = {{id:String}} \
             ORDER BY version DESC LIMIT 1",
            self.documents_table
        );
        let scope = &key.scope;
        self.query_of(&sql)
            .param("target", target)
            .param("kind", scope.kind.as_str())
            .param("activity", scope.activity_key())
            .param("agent", scope.agent_key())
            .param("registration", scope.registration_key())
            .param("id", &key.id)
            .fetch_optional::<DocumentRow>()
            .await
            .map_err(|e| self.error(e))
    }

    async fn append_documents(&self, rows: Vec<DocumentRow>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut insert = self
            .client
            .insert_unescaped::<DocumentRow>(&format!("`{}`", self.documents_table))
            .await
            .map_err(|e| self.error(e))?;
        for row in &rows {
            insert.write(row).await.map_err(|e| self.error(e))?;
        }
        insert.end().await.map_err(|e| self.error(e))
    }

    /// The live documents of `scope` as `(registration, id)`, updated after `since`.
    async fn live_ids(
        &self,
        target: &str,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<(String, String)>> {
        let since_condition = if since.is_some() {
            " AND updated > fromUnixTimestamp64Micro({since:Int64})"
        } else {
            ""
        };
        let sql = format!(
            "SELECT registration, id FROM (SELECT registration, id, argMax(deleted, version) AS deleted, \
             argMax(updated, version) AS updated FROM `{}` WHERE {} GROUP BY registration, id) \
             WHERE deleted = 0{since_condition} ORDER BY id, registration",
            self.documents_table,
            scope_condition(scope)
        );
        let mut query = Self::bind_scope(self.client.query(&sql), target, scope);
        if let Some(since) = since {
            query = query.param("since", since.timestamp_micros());
        }
        query
            .fetch_all::<(String, String)>()
            .await
            .map_err(|e| self.error(e))
    }
}

enum ParamValue {
    Text(String),
    Micros(i64),
}

/// The position a cursor continues after: an emission time in microseconds and an id.
fn parse_cursor(cursor: &str) -> Result<(i64, Uuid)> {
    let (micros, id) = cursor.split_once('_').ok_or_else(|| cursor_error(cursor))?;
    Ok((
        micros.parse().map_err(|_| cursor_error(cursor))?,
        Uuid::parse_str(id).map_err(|_| cursor_error(cursor))?,
    ))
}

#[async_trait]
impl LrsStore for ClickHouseStore {
    fn name(&self) -> &'static str {
        "clickhouse"
    }

    async fn status(&self) -> BackendStatus {
        match self.client.query("SELECT 1").fetch_one::<u8>().await {
            Ok(_) => BackendStatus::Ok,
            Err(err) => {
                tracing::warn!(target: "ralph", "clickhouse store status: {}", self.error(err));
                BackendStatus::Away
            }
        }
    }

    async fn insert(&self, target: Option<&str>, statements: Vec<Value>) -> Result<Vec<String>> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        let table = self.table(target)?;
        self.insert_batch(&table, statements).await
    }

    async fn query(&self, target: Option<&str>, query: &StatementQuery) -> Result<StatementPage> {
        let table = self.table(target)?;
        self.query_page(&table, query).await
    }

    async fn get(&self, target: Option<&str>, id: &str) -> Result<Option<FoundStatement>> {
        let table = self.table(target)?;
        self.get_in(&table, id).await
    }

    async fn document(&self, target: Option<&str>, key: &DocumentKey) -> Result<Option<Document>> {
        Ok(self
            .latest(target.unwrap_or_default(), key)
            .await?
            .and_then(live))
    }

    async fn document_ids(
        &self,
        target: Option<&str>,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>> {
        let mut ids: Vec<String> = self
            .live_ids(target.unwrap_or_default(), scope, since)
            .await?
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        ids.dedup();
        Ok(ids)
    }

    async fn put_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        document: Document,
        precondition: &Precondition,
    ) -> Result<()> {
        let target = target.unwrap_or_default();
        let _documents = self.documents.lock().await;
        let stored = self.latest(target, key).await?.and_then(live);
        check(key, stored.as_ref(), precondition)?;
        self.append_documents(vec![document_row(target, key, Some(&document))])
            .await
    }

    async fn delete_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        precondition: &Precondition,
    ) -> Result<()> {
        let target = target.unwrap_or_default();
        let _documents = self.documents.lock().await;
        let stored = self.latest(target, key).await?.and_then(live);
        check(key, stored.as_ref(), precondition)?;
        if stored.is_none() {
            return Ok(());
        }
        self.append_documents(vec![document_row(target, key, None)])
            .await
    }

    async fn delete_documents(&self, target: Option<&str>, scope: &DocumentScope) -> Result<u64> {
        let target = target.unwrap_or_default();
        let _documents = self.documents.lock().await;
        let keys = self.live_ids(target, scope, None).await?;
        let count = keys.len() as u64;
        let rows = keys
            .into_iter()
            .map(|(registration, id)| {
                let mut key_scope = scope.clone();
                key_scope.registration = (!registration.is_empty()).then_some(registration);
                document_row(target, &key_scope.document(id), None)
            })
            .collect();
        self.append_documents(rows).await?;
        Ok(count)
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
        agent: &ralph_core::lrs::Ifi,
        dry_run: bool,
    ) -> Result<u64> {
        self.delete_documents_of(target, agent, dry_run).await
    }

    async fn put_attachment(&self, attachment: Attachment) -> Result<()> {
        if self.attachment(&attachment.sha2).await?.is_some() {
            return Ok(());
        }
        let mut insert = self
            .client
            .insert_unescaped::<AttachmentRow>(&format!("`{}`", self.attachments_table))
            .await
            .map_err(|e| self.error(e))?;
        insert
            .write(&AttachmentRow {
                sha2: attachment.sha2,
                content_type: attachment.content_type,
                content: attachment.content.to_vec(),
            })
            .await
            .map_err(|e| self.error(e))?;
        insert.end().await.map_err(|e| self.error(e))
    }

    async fn attachment(&self, sha2: &str) -> Result<Option<Attachment>> {
        let row = self
            .client
            .query(&format!(
                "SELECT sha2, content_type, content FROM `{}` WHERE sha2 = {{sha2:String}} LIMIT 1",
                self.attachments_table
            ))
            .param("sha2", sha2)
            .fetch_optional::<AttachmentRow>()
            .await
            .map_err(|e| self.error(e))?;
        Ok(row.map(Attachment::from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let id = Uuid::new_v4();
        assert_eq!(
            parse_cursor(&format!("1700000000000001_{id}")).expect("cursor"),
            (1_700_000_000_000_001, id)
        );
        assert!(parse_cursor("nope").is_err());
        assert!(parse_cursor("12_nope").is_err());
        assert!(parse_cursor(&format!("x_{id}")).is_err());
    }
}
