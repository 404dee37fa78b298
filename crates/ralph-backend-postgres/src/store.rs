//! The PostgreSQL statement store.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::{Object, Pool};
use ralph_core::lrs::sql::{self, Dialect, DocumentSql, SqlParam, SqlQuery, StatementTables};
use ralph_core::lrs::{
    Attachment, DeleteFilter, DeleteReport, Document, DocumentKey, DocumentScope, FoundStatement,
    Ifi, LrsStore, Precondition, Relation, StatementPage, StatementQuery, equivalent,
    reference_chain, referenced_statement, statement_activities, statement_agents, statement_id,
    stored_at, voided_target,
};
use ralph_core::settings::SecretUrl;
use ralph_core::{BackendStatus, Error, ErrorKind, Result};
use serde_json::Value;
use tokio_postgres::types::ToSql;

use crate::PostgresLrsSettings;
use crate::backend::{connect_pool, pg_error, pool_client};
use crate::query::quote_table;

/// The longest table prefix: the longest index name built on it stays within PostgreSQL's 63
/// characters.
pub const MAX_TABLE_PREFIX: usize = 30;

/// The quoted names of the store's tables.
#[derive(Debug, Clone)]
pub(crate) struct Tables {
    prefix: String,
    pub(crate) statements: String,
    pub(crate) agents: String,
    pub(crate) activities: String,
    pub(crate) documents: String,
    pub(crate) attachments: String,
}

impl Tables {
    fn new(prefix: &str) -> Result<Self> {
        if prefix.len() > MAX_TABLE_PREFIX
            || !prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(Error::config(format!(
                "setting `backends.lrs.postgres.table_prefix`: invalid `{prefix}`: use at most \
                 {MAX_TABLE_PREFIX} letters, digits and `_`, not starting with a digit"
            )));
        }
        let name = |table: &str| {
            quote_table(&format!("{prefix}{table}")).map_err(|_| {
                Error::config(format!(
                    "setting `backends.lrs.postgres.table_prefix`: invalid `{prefix}`: it must \
                     not start with a digit"
                ))
            })
        };
        Ok(Self {
            prefix: prefix.to_owned(),
            statements: name("statements")?,
            agents: name("statement_agents")?,
            activities: name("statement_activities")?,
            documents: name("documents")?,
            attachments: name("attachments")?,
        })
    }

    /// The schema: one row per statement, plus one row per (agent, statement) and (activity,
    /// statement) pair so that every xAPI filter is an index lookup.
    fn schema(&self) -> String {
        let Self {
            prefix: p,
            statements: s,
            agents,
            activities,
            documents,
            attachments,
        } = self;
        format!(
            "CREATE TABLE IF NOT EXISTS {s} (
                seq bigserial PRIMARY KEY,
                target text NOT NULL,
                id text NOT NULL,
                stored timestamptz NOT NULL,
                verb text,
                registration text,
                authority text,
                voids text,
                voided boolean NOT NULL DEFAULT false,
                body jsonb NOT NULL,
                ref text,
                UNIQUE (target, id)
            );
            CREATE INDEX IF NOT EXISTS \"{p}statements_target_seq\" ON {s} (target, seq);
            CREATE INDEX IF NOT EXISTS \"{p}statements_verb\" ON {s} (target, verb, seq);
            CREATE INDEX IF NOT EXISTS \"{p}statements_registration\" ON {s} (target, registration, seq);
            CREATE INDEX IF NOT EXISTS \"{p}statements_authority\" ON {s} (target, authority, seq);
            CREATE INDEX IF NOT EXISTS \"{p}statements_stored\" ON {s} (target, stored);
            CREATE INDEX IF NOT EXISTS \"{p}statements_voids\" ON {s} (target, voids) WHERE voids IS NOT NULL;
            CREATE INDEX IF NOT EXISTS \"{p}statements_referencing\" ON {s} (target, seq) WHERE ref IS NOT NULL;
            CREATE TABLE IF NOT EXISTS {agents} (
                ifi text NOT NULL,
                seq bigint NOT NULL,
                direct boolean NOT NULL,
                PRIMARY KEY (ifi, seq)
            );
            CREATE TABLE IF NOT EXISTS {activities} (
                iri text NOT NULL,
                seq bigint NOT NULL,
                direct boolean NOT NULL,
                PRIMARY KEY (iri, seq)
            );
            CREATE TABLE IF NOT EXISTS {documents} (
                target text NOT NULL,
                kind text NOT NULL,
                activity text NOT NULL,
                agent text NOT NULL,
                registration text NOT NULL,
                id text NOT NULL,
                content bytea NOT NULL,
                content_type text NOT NULL,
                etag text NOT NULL,
                updated timestamptz NOT NULL,
                PRIMARY KEY (target, kind, activity, agent, registration, id)
            );
            CREATE TABLE IF NOT EXISTS {attachments} (
                sha2 text PRIMARY KEY,
                content_type text NOT NULL,
                content bytea NOT NULL
            );"
        )
    }
}

/// Shared-SQL parameters as PostgreSQL binds them.
fn bound_all(params: Vec<SqlParam>) -> Vec<Box<dyn ToSql + Sync + Send>> {
    params
        .into_iter()
        .map(|param| -> Box<dyn ToSql + Sync + Send> {
            match param {
                SqlParam::Text(text) => Box::new(text),
                SqlParam::Integer(n) => Box::new(n),
                SqlParam::Time(at) => Box::new(at),
                SqlParam::NoTime => Box::new(None::<DateTime<Utc>>),
            }
        })
        .collect()
}

/// The parameters of [`bound_all`], as `tokio-postgres` takes them.
pub(crate) fn param_refs(params: &[Box<dyn ToSql + Sync + Send>]) -> Vec<&(dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| p.as_ref() as &(dyn ToSql + Sync))
        .collect()
}

/// A stable 64-bit FNV-1a hash, the key of a transaction-level advisory lock.
pub(crate) fn lock_key(parts: &[&str]) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    i64::from_ne_bytes(hash.to_ne_bytes())
}

/// The PostgreSQL LRS store: statements in three tables sharing a prefix, every target in the
/// same tables (a `target` column), reached through a connection pool.
///
/// Each insert is one transaction that first takes an advisory lock per statement id (and per
/// voided id) of the batch, in a fixed order: concurrent writers of the same ids wait for each
/// other, so an id is never stored twice and voiding applies whichever statement comes first.
#[derive(Clone)]
pub struct PostgresStore {
    url: SecretUrl,
    pool: Pool,
    pub(crate) tables: Tables,
    /// The document queries on [`Tables::documents`] and [`Tables::attachments`].
    pub(crate) document_sql: DocumentSql,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("connection_string", &self.url)
            .field("table_prefix", &self.tables.prefix)
            .finish_non_exhaustive()
    }
}

struct NewRow {
    id: String,
    stored: DateTime<Utc>,
    verb: Option<String>,
    registration: Option<String>,
    authority: Option<String>,
    voids: Option<String>,
    statement: Value,
}

fn conflict(id: &str) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!("a different statement is already stored with id `{id}`"),
    )
}

impl PostgresStore {
    /// Connects to the server of `settings` and creates the tables when missing.
    pub async fn open(settings: PostgresLrsSettings) -> Result<Self> {
        let tables = Tables::new(&settings.table_prefix)?;
        let pool = connect_pool(
            &settings.connection_string,
            "backends.lrs.postgres.connection_string",
            settings.pool_size,
            settings.connect_timeout,
        )
        .await?;
        let store = Self {
            url: settings.connection_string,
            pool,
            document_sql: DocumentSql::new(
                Dialect::Postgres,
                &tables.documents,
                &tables.attachments,
            ),
            tables,
        };
        store.create_tables().await?;
        Ok(store)
    }

    /// The prefix of the store's tables.
    pub fn table_prefix(&self) -> &str {
        &self.tables.prefix
    }

    /// The statement tables, as the shared SQL names them.
    fn statement_tables(&self) -> StatementTables<'_> {
        StatementTables::keyed_by_text(
            &self.tables.statements,
            &self.tables.agents,
            &self.tables.activities,
        )
    }

    pub(crate) async fn client(&self) -> Result<Object> {
        pool_client(&self.pool, &self.url).await
    }

    pub(crate) fn error(&self, err: tokio_postgres::Error) -> Error {
        pg_error(&self.url, err)
    }

    async fn create_tables(&self) -> Result<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.error(e))?;
        // Concurrent `CREATE TABLE IF NOT EXISTS` of the same table can fail; one at a time.
        let key = lock_key(&["ralph-lrs-schema", &self.tables.prefix]);
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&key])
            .await
            .map_err(|e| self.error(e))?;
        // Tables made before the `ref` column (the id a `StatementRef` object targets) get it,
        // filled in, before the schema indexes it.
        let statements = &self.tables.statements;
        let missing_ref = tx
            .query_opt(
                "SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name = $1 AND column_name = 'id' AND NOT EXISTS (\
                 SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name = $1 AND column_name = 'ref')",
                &[&format!("{}statements", self.tables.prefix)],
            )
            .await
            .map_err(|e| self.error(e))?
            .is_some();
        if missing_ref {
            tx.batch_execute(&format!(
                "ALTER TABLE {statements} ADD COLUMN ref text;
                 UPDATE {statements} SET ref = body->'object'->>'id'
                 WHERE body->'object'->>'objectType' = 'StatementRef';"
            ))
            .await
            .map_err(|e| self.error(e))?;
        }
        tx.batch_execute(&self.tables.schema())
            .await
            .map_err(|e| self.error(e))?;
        tx.commit().await.map_err(|e| self.error(e))
    }

    /// Drops the store's tables and every statement in them.
    pub async fn drop_tables(&self) -> Result<()> {
        let client = self.client().await?;
        let Tables {
            statements,
            agents,
            activities,
            documents,
            attachments,
            ..
        } = &self.tables;
        client
            .batch_execute(&format!(
                "DROP TABLE IF EXISTS {activities}, {agents}, {statements}, {documents}, \
                 {attachments}"
            ))
            .await
            .map_err(|e| self.error(e))
    }

    /// Every target holding statements, with its number of statements, sorted by name (`""` is
    /// the target of statements stored without one).
    pub async fn targets(&self) -> Result<Vec<(String, u64)>> {
        let client = self.client().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT target, count(*) FROM {} GROUP BY target ORDER BY target",
                    self.tables.statements
                ),
                &[],
            )
            .await
            .map_err(|e| self.error(e))?;
        Ok(rows
            .iter()
            .map(|row| {
                let count: i64 = row.get(1);
                (row.get(0), u64::try_from(count).unwrap_or_default())
            })
            .collect())
    }

    async fn insert_batch(&self, target: &str, statements: Vec<Value>) -> Result<Vec<String>> {
        let mut ids = Vec::with_capacity(statements.len());
        let mut voided_ids = Vec::new();
        for statement in &statements {
            let Some(id) = statement_id(statement) else {
                return Err(Error::invalid_input("statement has no string `id`"));
            };
            ids.push(id.to_owned());
            if let Some(voided) = voided_target(statement) {
                voided_ids.push(voided.to_owned());
            }
        }
        let mut lookup: Vec<String> = ids.iter().chain(&voided_ids).cloned().collect();
        lookup.sort();
        lookup.dedup();
        let mut keys: Vec<i64> = lookup
            .iter()
            .map(|id| lock_key(&[&self.tables.prefix, target, id]))
            .collect();
        keys.sort_unstable();
        keys.dedup();

        let Tables {
            statements: table,
            agents: agents_table,
            activities: activities_table,
            ..
        } = &self.tables;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.error(e))?;
        // Locks in one fixed (sorted) order, so writers of overlapping batches never deadlock.
        tx.execute(
            "SELECT pg_advisory_xact_lock(k) FROM unnest($1::bigint[]) AS k",
            &[&keys],
        )
        .await
        .map_err(|e| self.error(e))?;
        let select = tx
            .prepare_cached(&format!(
                "SELECT id, body, voids FROM {table} WHERE target = $1 AND id = ANY($2)"
            ))
            .await
            .map_err(|e| self.error(e))?;
        let stored: HashMap<String, (Value, Option<String>)> = tx
            .query(&select, &[&target, &lookup])
            .await
            .map_err(|e| self.error(e))?
            .into_iter()
            .map(|row| (row.get(0), (row.get(1), row.get(2))))
            .collect();
        let select_voiders = tx
            .prepare_cached(&format!(
                "SELECT DISTINCT voids FROM {table} WHERE target = $1 AND voids = ANY($2)"
            ))
            .await
            .map_err(|e| self.error(e))?;
        let voided_by_stored: HashSet<String> = tx
            .query(&select_voiders, &[&target, &ids])
            .await
            .map_err(|e| self.error(e))?
            .into_iter()
            .map(|row| row.get(0))
            .collect();

        let mut rows: Vec<NewRow> = Vec::new();
        let mut in_batch: HashMap<String, usize> = HashMap::new();
        for (statement, id) in statements.into_iter().zip(ids) {
            if let Some((body, _)) = stored.get(&id) {
                if equivalent(body, &statement) {
                    continue;
                }
                return Err(conflict(&id));
            }
            if let Some(&i) = in_batch.get(&id) {
                if equivalent(&rows[i].statement, &statement) {
                    continue;
                }
                return Err(conflict(&id));
            }
            // Statements written without `stored` are ordered by their time of insertion.
            let stored_time = stored_at(&statement).unwrap_or_else(Utc::now);
            let text = |pointer: &str| {
                statement
                    .pointer(pointer)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            in_batch.insert(id.clone(), rows.len());
            rows.push(NewRow {
                id,
                stored: stored_time,
                verb: text("/verb/id"),
                registration: text("/context/registration").map(|r| r.to_ascii_lowercase()),
                authority: statement
                    .get("authority")
                    .and_then(Ifi::of)
                    .map(|i| i.key()),
                voids: voided_target(&statement).map(str::to_owned),
                statement,
            });
        }
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        for row in &rows {
            let Some(voided) = &row.voids else { continue };
            let voids_a_voider = stored.get(voided).is_some_and(|(_, v)| v.is_some())
                || in_batch
                    .get(voided)
                    .is_some_and(|&i| rows[i].voids.is_some());
            if voids_a_voider {
                return Err(Error::invalid_input(format!(
                    "statement `{}` voids `{voided}`, a voiding statement: voiding statements cannot be voided",
                    row.id
                )));
            }
        }
        let batch_voids: HashSet<&str> = rows.iter().filter_map(|r| r.voids.as_deref()).collect();

        let mut col_id = Vec::with_capacity(rows.len());
        let mut col_stored = Vec::with_capacity(rows.len());
        let mut col_verb = Vec::with_capacity(rows.len());
        let mut col_registration = Vec::with_capacity(rows.len());
        let mut col_authority = Vec::with_capacity(rows.len());
        let mut col_voids = Vec::with_capacity(rows.len());
        let mut col_ref = Vec::with_capacity(rows.len());
        let mut col_voided = Vec::with_capacity(rows.len());
        let mut col_body = Vec::with_capacity(rows.len());
        for row in &rows {
            // A voiding statement stored before its target voids it on arrival.
            let voided = row.voids.is_none()
                && (voided_by_stored.contains(&row.id) || batch_voids.contains(row.id.as_str()));
            col_id.push(row.id.as_str());
            col_stored.push(row.stored);
            col_verb.push(row.verb.as_deref());
            col_registration.push(row.registration.as_deref());
            col_authority.push(row.authority.as_deref());
            col_voids.push(row.voids.as_deref());
            col_ref.push(referenced_statement(&row.statement));
            col_voided.push(voided);
            col_body.push(&row.statement);
        }
        let insert = tx
            .prepare_cached(&format!(
                "INSERT INTO {table} (target, id, stored, verb, registration, authority, voids, voided, body, ref) \
                 SELECT $1, u.id, u.stored, u.verb, u.registration, u.authority, u.voids, u.voided, u.body, u.ref \
                 FROM unnest($2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[], \
                 $7::text[], $8::boolean[], $9::jsonb[], $10::text[]) WITH ORDINALITY \
                 AS u (id, stored, verb, registration, authority, voids, voided, body, ref, n) \
                 ORDER BY u.n RETURNING id, seq"
            ))
            .await
            .map_err(|e| self.error(e))?;
        let seqs: HashMap<String, i64> = tx
            .query(
                &insert,
                &[
                    &target,
                    &col_id,
                    &col_stored,
                    &col_verb,
                    &col_registration,
                    &col_authority,
                    &col_voids,
                    &col_voided,
                    &col_body,
                    &col_ref,
                ],
            )
            .await
            .map_err(|e| self.error(e))?
            .into_iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();

        let (mut agent_ifi, mut agent_seq, mut agent_direct) = (Vec::new(), Vec::new(), Vec::new());
        let (mut activity_iri, mut activity_seq, mut activity_direct) =
            (Vec::new(), Vec::new(), Vec::new());
        for row in &rows {
            let seq = *seqs
                .get(&row.id)
                .ok_or_else(|| Error::backend(format!("postgres: `{}` not inserted", row.id)))?;
            for (ifi, relation) in statement_agents(&row.statement) {
                agent_ifi.push(ifi.key());
                agent_seq.push(seq);
                agent_direct.push(relation == Relation::Direct);
            }
            for (iri, relation) in statement_activities(&row.statement) {
                activity_iri.push(iri);
                activity_seq.push(seq);
                activity_direct.push(relation == Relation::Direct);
            }
        }
        if !agent_ifi.is_empty() {
            let insert_agents = tx
                .prepare_cached(&format!(
                    "INSERT INTO {agents_table} (ifi, seq, direct) \
                     SELECT * FROM unnest($1::text[], $2::bigint[], $3::boolean[])"
                ))
                .await
                .map_err(|e| self.error(e))?;
            tx.execute(&insert_agents, &[&agent_ifi, &agent_seq, &agent_direct])
                .await
                .map_err(|e| self.error(e))?;
        }
        if !activity_iri.is_empty() {
            let insert_activities = tx
                .prepare_cached(&format!(
                    "INSERT INTO {activities_table} (iri, seq, direct) \
                     SELECT * FROM unnest($1::text[], $2::bigint[], $3::boolean[])"
                ))
                .await
                .map_err(|e| self.error(e))?;
            tx.execute(
                &insert_activities,
                &[&activity_iri, &activity_seq, &activity_direct],
            )
            .await
            .map_err(|e| self.error(e))?;
        }
        if !batch_voids.is_empty() {
            let targets: Vec<&str> = batch_voids.into_iter().collect();
            let void = tx
                .prepare_cached(&format!(
                    "UPDATE {table} SET voided = true \
                     WHERE target = $1 AND id = ANY($2) AND NOT voided AND voids IS NULL"
                ))
                .await
                .map_err(|e| self.error(e))?;
            tx.execute(&void, &[&target, &targets])
                .await
                .map_err(|e| self.error(e))?;
        }
        tx.commit().await.map_err(|e| self.error(e))?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    async fn query_page(&self, target: &str, query: &StatementQuery) -> Result<StatementPage> {
        let SqlQuery { sql, params } =
            sql::statement_page(Dialect::Postgres, self.statement_tables(), target, query)?;
        let params = bound_all(params);
        let limit = query.limit.max(1);
        let client = self.client().await?;
        let prepared = client
            .prepare_cached(&sql)
            .await
            .map_err(|e| self.error(e))?;
        let rows = client
            .query(&prepared, &param_refs(&params))
            .await
            .map_err(|e| self.error(e))?;
        let mut found: Vec<(i64, Value)> = rows
            .into_iter()
            .map(|row| (row.get::<_, i64>(0), row.get::<_, Value>(1)))
            .collect();
        if query.follows_references() {
            let through = self.through_references(target, query, limit + 1).await?;
            if !through.is_empty() {
                found.extend(through);
                found.sort_by_key(|(seq, _)| if query.ascending { *seq } else { -*seq });
            }
        }
        let more = found.len() > limit;
        found.truncate(limit);
        let last_seq = found.last().map(|(seq, _)| *seq);
        Ok(StatementPage {
            statements: found.into_iter().map(|(_, s)| s).collect(),
            more: if more {
                last_seq.map(|s| s.to_string())
            } else {
                None
            },
        })
    }

    /// The first `wanted` statements of the page that meet the filters only through the
    /// statements their `StatementRef` targets (those meeting them directly come from the main
    /// query). Only statements with a `StatementRef` object are read, in page order and in
    /// batches, from a partial index; their targets are looked up by id.
    async fn through_references(
        &self,
        target: &str,
        query: &StatementQuery,
        wanted: usize,
    ) -> Result<Vec<(i64, Value)>> {
        const BATCH: i64 = 500;
        let sql =
            sql::reference_candidates(Dialect::Postgres, self.statement_tables(), query.ascending);
        let mut after = sql::page_cursor(query)?;
        let mut out = Vec::new();
        loop {
            let rows = {
                let client = self.client().await?;
                let prepared = client
                    .prepare_cached(&sql)
                    .await
                    .map_err(|e| self.error(e))?;
                let params = bound_all(sql::reference_candidates_params(
                    target, query, after, BATCH,
                ));
                client
                    .query(&prepared, &param_refs(&params))
                    .await
                    .map_err(|e| self.error(e))?
            };
            let exhausted = rows.len() < usize::try_from(BATCH).unwrap_or(usize::MAX);
            for row in rows {
                let seq: i64 = row.get(0);
                let statement: Value = row.get(1);
                after = Some(seq);
                if query.matches(&statement) {
                    continue;
                }
                let chain = reference_chain(&statement, |id| async move {
                    Ok(LrsStore::get(self, Some(target), &id)
                        .await?
                        .map(|found| found.statement))
                })
                .await?;
                let mut resolve = |id: &str| chain.get(id).cloned();
                if query.matches_through_references(&statement, &mut resolve) {
                    out.push((seq, statement));
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

#[async_trait]
impl LrsStore for PostgresStore {
    fn name(&self) -> &'static str {
        "postgres"
    }

    async fn status(&self) -> BackendStatus {
        let result = async {
            let client = self.client().await?;
            client
                .query_one("SELECT 1", &[])
                .await
                .map_err(|e| self.error(e))
        }
        .await;
        match result {
            Ok(_) => BackendStatus::Ok,
            Err(err) => {
                tracing::warn!(target: "ralph", "postgres store status: {err}");
                BackendStatus::Error
            }
        }
    }

    async fn insert(&self, target: Option<&str>, statements: Vec<Value>) -> Result<Vec<String>> {
        if statements.is_empty() {
            return Ok(Vec::new());
        }
        self.insert_batch(target.unwrap_or_default(), statements)
            .await
    }

    async fn query(&self, target: Option<&str>, query: &StatementQuery) -> Result<StatementPage> {
        self.query_page(target.unwrap_or_default(), query).await
    }

    async fn get(&self, target: Option<&str>, id: &str) -> Result<Option<FoundStatement>> {
        let client = self.client().await?;
        let prepared = client
            .prepare_cached(&format!(
                "SELECT body, voided FROM {} WHERE target = $1 AND id = $2",
                self.tables.statements
            ))
            .await
            .map_err(|e| self.error(e))?;
        let row = client
            .query_opt(&prepared, &[&target.unwrap_or_default(), &id])
            .await
            .map_err(|e| self.error(e))?;
        Ok(row.map(|row| FoundStatement {
            statement: row.get(0),
            voided: row.get(1),
        }))
    }

    async fn delete_statements(
        &self,
        target: Option<&str>,
        filter: &DeleteFilter,
        dry_run: bool,
    ) -> Result<DeleteReport> {
        self.delete_matching(target.unwrap_or_default(), filter, dry_run)
            .await
    }

    async fn pseudonymize(
        &self,
        target: Option<&str>,
        agent: &Ifi,
        pseudonym: &Ifi,
        dry_run: bool,
    ) -> Result<u64> {
        self.pseudonymize_agent(target.unwrap_or_default(), agent, pseudonym, dry_run)
            .await
    }

    async fn delete_agent_documents(
        &self,
        target: Option<&str>,
        agent: &Ifi,
        dry_run: bool,
    ) -> Result<u64> {
        self.delete_documents_of(target.unwrap_or_default(), agent, dry_run)
            .await
    }

    async fn document(&self, target: Option<&str>, key: &DocumentKey) -> Result<Option<Document>> {
        self.get_document(target.unwrap_or_default(), key).await
    }

    async fn document_ids(
        &self,
        target: Option<&str>,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>> {
        self.list_documents(target.unwrap_or_default(), scope, since)
            .await
    }

    async fn put_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        document: Document,
        precondition: &Precondition,
    ) -> Result<()> {
        self.write_document(
            target.unwrap_or_default(),
            key,
            Some(&document),
            precondition,
        )
        .await
    }

    async fn delete_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        precondition: &Precondition,
    ) -> Result<()> {
        self.write_document(target.unwrap_or_default(), key, None, precondition)
            .await
    }

    async fn delete_documents(&self, target: Option<&str>, scope: &DocumentScope) -> Result<u64> {
        self.delete_scope(target.unwrap_or_default(), scope).await
    }

    async fn put_attachment(&self, attachment: Attachment) -> Result<()> {
        self.keep_attachment(&attachment).await
    }

    async fn attachment(&self, sha2: &str) -> Result<Option<Attachment>> {
        self.find_attachment(sha2).await
    }

    async fn close(&self) -> Result<()> {
        self.pool.close();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_checked() {
        assert!(Tables::new("xapi_").is_ok());
        assert!(Tables::new("").is_ok());
        assert!(Tables::new("1x").is_err());
        assert!(Tables::new("x-y").is_err());
        assert!(Tables::new(&"p".repeat(MAX_TABLE_PREFIX + 1)).is_err());
        let tables = Tables::new("p_").expect("tables");
        assert_eq!(tables.statements, "\"p_statements\"");
        assert!(tables.schema().contains("\"p_statements_voids\""));
    }

    #[test]
    fn lock_keys_are_stable_and_separate_parts() {
        assert_eq!(lock_key(&["a", "b"]), lock_key(&["a", "b"]));
        assert_ne!(lock_key(&["a", "b"]), lock_key(&["ab", ""]));
    }
}
