//! The SQL shared by the relational statement stores (SQLite and PostgreSQL).
//!
//! Both stores keep the same tables: statements with one indexed column per filter, side tables
//! of the agents and activities of each statement, documents keyed by their full scope, and
//! attachments keyed by SHA-256. This module writes their queries once; a [`Dialect`] renders
//! what differs (placeholders, time columns, typed `NULL` checks) and each store binds the
//! [`SqlParam`]s with its own driver. Values are always bound, never spliced into the SQL text.

use chrono::{DateTime, Utc};

use super::{DocumentKey, DocumentScope, StatementQuery};
use crate::{Error, Result};

/// The SQL dialect of a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite: `?N` placeholders, times as integer microseconds in `*_us` columns.
    Sqlite,
    /// PostgreSQL: `$N` placeholders, times as `timestamptz`.
    Postgres,
}

impl Dialect {
    /// The placeholder of the `n`th parameter (from 1).
    #[must_use]
    pub fn placeholder(self, n: usize) -> String {
        match self {
            Self::Sqlite => format!("?{n}"),
            Self::Postgres => format!("${n}"),
        }
    }

    /// The placeholder of the `n`th parameter, a time that may be `NULL`.
    fn time_placeholder(self, n: usize) -> String {
        match self {
            Self::Sqlite => format!("?{n}"),
            Self::Postgres => format!("${n}::timestamptz"),
        }
    }

    /// The column of the time a statement was stored.
    #[must_use]
    pub fn stored_column(self) -> &'static str {
        match self {
            Self::Sqlite => "stored_us",
            Self::Postgres => "stored",
        }
    }

    /// The column of the time a document was last written.
    #[must_use]
    pub fn updated_column(self) -> &'static str {
        match self {
            Self::Sqlite => "updated_us",
            Self::Postgres => "updated",
        }
    }
}

/// A parameter of a query, bound by the store with its own driver.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlParam {
    /// Text.
    Text(String),
    /// A 64-bit integer.
    Integer(i64),
    /// A time: microseconds since the epoch on SQLite, `timestamptz` on PostgreSQL.
    Time(DateTime<Utc>),
    /// An absent time (`NULL`).
    NoTime,
}

/// A query and the parameters of its placeholders, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlQuery {
    /// The SQL text.
    pub sql: String,
    /// The parameters, the first one bound to placeholder 1.
    pub params: Vec<SqlParam>,
}

impl SqlQuery {
    fn new(sql: &str) -> Self {
        Self {
            sql: sql.to_owned(),
            params: Vec::new(),
        }
    }

    /// Appends `condition`, whose one `?` becomes the placeholder of `value`.
    fn bind(&mut self, dialect: Dialect, condition: &str, value: SqlParam) {
        self.params.push(value);
        let placeholder = dialect.placeholder(self.params.len());
        self.sql.push_str(&condition.replacen('?', &placeholder, 1));
    }
}

/// The (quoted) table names of a relational statement store.
#[derive(Debug, Clone, Copy)]
pub struct StatementTables<'a> {
    /// Statements, one row each: `seq`, `target`, `body`, `voided`, `verb`, `registration`,
    /// `authority`, the stored time and `ref` (the target of a `StatementRef` object).
    pub statements: &'a str,
    /// The agents of each statement: `seq`, the agent (its IFI key or an id of it, see
    /// `agent_match`), `direct`; its primary key is (agent, `seq`).
    pub agents: &'a str,
    /// The activities of each statement: `seq`, the activity (its IRI or an id of it, see
    /// `activity_match`), `direct`; its primary key is (activity, `seq`).
    pub activities: &'a str,
    /// The condition on the agents table (aliased `a`) that selects the rows of one agent,
    /// whose IFI key is the one `?`: `a.ifi = ?` when the table holds the key itself.
    pub agent_match: &'a str,
    /// The condition on the activities table (aliased `c`) that selects the rows of one
    /// activity, whose IRI is the one `?`: `c.iri = ?` when the table holds the IRI itself.
    pub activity_match: &'a str,
}

impl<'a> StatementTables<'a> {
    /// The tables of a store whose agents and activities tables hold the IFI keys and IRIs
    /// themselves (columns `ifi` and `iri`).
    #[must_use]
    pub const fn keyed_by_text(statements: &'a str, agents: &'a str, activities: &'a str) -> Self {
        Self {
            statements,
            agents,
            activities,
            agent_match: "a.ifi = ?",
            activity_match: "c.iri = ?",
        }
    }
}

/// The sequence number in the cursor of `query` (the page starts after it), if any.
///
/// # Errors
/// A cursor that is not a sequence number is invalid input.
pub fn page_cursor(query: &StatementQuery) -> Result<Option<i64>> {
    query
        .cursor
        .as_deref()
        .map(|cursor| {
            cursor
                .parse()
                .map_err(|_| Error::invalid_input(format!("invalid cursor `{cursor}`")))
        })
        .transpose()
}

/// The query of one page of `query` in `target`: `seq` and `body` of the statements meeting
/// every filter directly, in page order, one more row than the page holds (it tells whether a
/// next page exists).
///
/// Every filter is an index range read in page order, so that a page costs about its own size
/// whatever the number of statements stored: `verb`, `registration` and `authority` read the
/// `(target, <column>, seq)` indexes; `agent` and `activity` (related or not) drive the query
/// from the side tables, whose primary keys (agent, `seq`) and (activity, `seq`) already are
/// in page order (no sort of every statement of a popular agent); without those the
/// `(target, seq)` index is walked. See [`statement_page_from`] for the time filters.
///
/// # Errors
/// A cursor that is not a sequence number is invalid input.
pub fn statement_page(
    dialect: Dialect,
    tables: StatementTables<'_>,
    target: &str,
    query: &StatementQuery,
) -> Result<SqlQuery> {
    statement_page_from(dialect, tables, target, query, None)
}

/// [`statement_page`], the page starting no earlier than the sequence number `first_seq`.
///
/// A store that knows the first sequence number a `since` filter can match (SQLite keeps a
/// running maximum of `stored` for that, see its store) passes it here: the page then walks
/// the `(target, seq)` index from there instead of every statement stored before. On SQLite
/// the time conditions are then plain filters (`+stored_us`), so that the planner does not
/// read the whole time range through the `stored` index and sort it.
///
/// # Errors
/// A cursor that is not a sequence number is invalid input.
pub fn statement_page_from(
    dialect: Dialect,
    tables: StatementTables<'_>,
    target: &str,
    query: &StatementQuery,
    first_seq: Option<i64>,
) -> Result<SqlQuery> {
    let stored = dialect.stored_column();
    // The driving table gives the page order: a side table when an agent or activity filter
    // is set (its primary key is (ifi|iri, seq)), the statements otherwise.
    let agents = query.agent.as_ref().map(|_| "a");
    let activities = query.activity.as_ref().map(|_| "c");
    let order = agents.or(activities).unwrap_or("s");
    let mut from = String::new();
    if agents.is_some() {
        from.push_str(&format!("{} a JOIN ", tables.agents));
    }
    if activities.is_some() {
        let on = if agents.is_some() {
            " ON c.seq = a.seq"
        } else {
            ""
        };
        from.push_str(&format!("{} c{on} JOIN ", tables.activities));
    }
    from.push_str(&format!("{} s", tables.statements));
    if order != "s" {
        from.push_str(&format!(" ON s.seq = {order}.seq"));
    }
    let mut q = SqlQuery::new(&format!(
        "SELECT s.seq, s.body FROM {from} WHERE NOT s.voided"
    ));
    q.bind(
        dialect,
        " AND s.target = ?",
        SqlParam::Text(target.to_owned()),
    );
    if let Some(verb) = &query.verb {
        q.bind(dialect, " AND s.verb = ?", SqlParam::Text(verb.clone()));
    }
    if let Some(registration) = &query.registration {
        q.bind(
            dialect,
            " AND s.registration = ?",
            SqlParam::Text(registration.to_ascii_lowercase()),
        );
    }
    if let Some(authority) = &query.authority {
        q.bind(
            dialect,
            " AND s.authority = ?",
            SqlParam::Text(authority.key()),
        );
    }
    // With a first sequence number, SQLite must not prefer the `stored` index (unary `+`).
    let time = if first_seq.is_some() && dialect == Dialect::Sqlite {
        format!("+s.{stored}")
    } else {
        format!("s.{stored}")
    };
    if let Some(since) = query.since {
        q.bind(dialect, &format!(" AND {time} > ?"), SqlParam::Time(since));
    }
    if let Some(until) = query.until {
        q.bind(dialect, &format!(" AND {time} <= ?"), SqlParam::Time(until));
    }
    if let Some(agent) = &query.agent {
        let direct = if query.related_agents {
            ""
        } else {
            " AND a.direct"
        };
        q.bind(
            dialect,
            &format!(" AND {}{direct}", tables.agent_match),
            SqlParam::Text(agent.key()),
        );
    }
    if let Some(activity) = &query.activity {
        let direct = if query.related_activities {
            ""
        } else {
            " AND c.direct"
        };
        q.bind(
            dialect,
            &format!(" AND {}{direct}", tables.activity_match),
            SqlParam::Text(activity.clone()),
        );
    }
    if let Some(first) = first_seq {
        q.bind(
            dialect,
            &format!(" AND {order}.seq >= ?"),
            SqlParam::Integer(first),
        );
    }
    if let Some(after) = page_cursor(query)? {
        let comparison = if query.ascending { ">" } else { "<" };
        q.bind(
            dialect,
            &format!(" AND {order}.seq {comparison} ?"),
            SqlParam::Integer(after),
        );
    }
    let direction = if query.ascending { "ASC" } else { "DESC" };
    let limit = i64::try_from(query.limit.max(1)).unwrap_or(i64::MAX - 1) + 1;
    q.bind(
        dialect,
        &format!(" ORDER BY {order}.seq {direction} LIMIT ?"),
        SqlParam::Integer(limit),
    );
    Ok(q)
}

/// The query of the statements of `target` with a `StatementRef` object that may meet `query`
/// through their targets: `seq` and `body`, in page order, after the sequence number of
/// parameter 2 (see [`reference_candidates_params`]), at most the count of parameter 5. The
/// store reads them in batches, each one a range of a partial index on `(target, seq)`.
#[must_use]
pub fn reference_candidates(
    dialect: Dialect,
    tables: StatementTables<'_>,
    ascending: bool,
) -> String {
    let (comparison, order) = if ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let stored = dialect.stored_column();
    let p = |n| dialect.placeholder(n);
    let since = dialect.time_placeholder(3);
    let until = dialect.time_placeholder(4);
    format!(
        "SELECT seq, body FROM {statements} WHERE target = {target} AND ref IS NOT NULL \
         AND NOT voided AND seq {comparison} {after} \
         AND ({since} IS NULL OR {stored} > {since}) \
         AND ({until} IS NULL OR {stored} <= {until}) ORDER BY seq {order} LIMIT {limit}",
        statements = tables.statements,
        target = p(1),
        after = p(2),
        limit = p(5),
    )
}

/// The parameters of [`reference_candidates`]: the batch after the sequence number `after`
/// (`None`: the first batch).
#[must_use]
pub fn reference_candidates_params(
    target: &str,
    query: &StatementQuery,
    after: Option<i64>,
    batch: i64,
) -> Vec<SqlParam> {
    vec![
        SqlParam::Text(target.to_owned()),
        SqlParam::Integer(after.unwrap_or(if query.ascending { i64::MIN } else { i64::MAX })),
        query.since.map_or(SqlParam::NoTime, SqlParam::Time),
        query.until.map_or(SqlParam::NoTime, SqlParam::Time),
        SqlParam::Integer(batch),
    ]
}

/// The queries of the documents and attachments tables.
///
/// Documents are keyed by (target, kind, activity, agent, registration, id), absent parts
/// stored as `''`; the key parameters are [`document_key_params`] (placeholders 1 to 6), the
/// scope parameters [`document_scope_params`] (1 to 5, a registration of `''` meaning every
/// registration).
#[derive(Debug, Clone)]
pub struct DocumentSql {
    /// `content, content_type, etag, <updated>` of one key.
    pub get: String,
    /// The stored `etag` of one key.
    pub etag: String,
    /// Inserts or replaces one key: key, then content (7), content type (8), etag (9) and
    /// updated time (10).
    pub upsert: String,
    /// Deletes one key.
    pub delete: String,
    /// The sorted distinct ids of a scope updated after the time of placeholder 6 (`NULL`: all).
    pub ids: String,
    /// Deletes every document of a scope.
    pub delete_scope: String,
    /// Keeps an attachment — sha2 (1), content type (2), content (3) — unless kept already.
    pub keep_attachment: String,
    /// `content_type, content` of the attachment with the sha2 of placeholder 1.
    pub attachment: String,
}

impl DocumentSql {
    /// The queries for the (quoted) `documents` and `attachments` tables in `dialect`.
    #[must_use]
    pub fn new(dialect: Dialect, documents: &str, attachments: &str) -> Self {
        let p = |n| dialect.placeholder(n);
        let updated = dialect.updated_column();
        let key_where = format!(
            "target = {} AND kind = {} AND activity = {} AND agent = {} AND registration = {} \
             AND id = {}",
            p(1),
            p(2),
            p(3),
            p(4),
            p(5),
            p(6)
        );
        let scope_where = format!(
            "target = {} AND kind = {} AND activity = {} AND agent = {} \
             AND ({r} = '' OR registration = {r})",
            p(1),
            p(2),
            p(3),
            p(4),
            r = p(5)
        );
        let since = dialect.time_placeholder(6);
        Self {
            get: format!(
                "SELECT content, content_type, etag, {updated} FROM {documents} WHERE {key_where}"
            ),
            etag: format!("SELECT etag FROM {documents} WHERE {key_where}"),
            upsert: format!(
                "INSERT INTO {documents} (target, kind, activity, agent, registration, id, \
                 content, content_type, etag, {updated}) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, \
                 {}, {}) ON CONFLICT (target, kind, activity, agent, registration, id) DO UPDATE \
                 SET content = excluded.content, content_type = excluded.content_type, \
                 etag = excluded.etag, {updated} = excluded.{updated}",
                p(1),
                p(2),
                p(3),
                p(4),
                p(5),
                p(6),
                p(7),
                p(8),
                p(9),
                p(10)
            ),
            delete: format!("DELETE FROM {documents} WHERE {key_where}"),
            ids: format!(
                "SELECT DISTINCT id FROM {documents} WHERE {scope_where} \
                 AND ({since} IS NULL OR {updated} > {since}) ORDER BY id"
            ),
            delete_scope: format!("DELETE FROM {documents} WHERE {scope_where}"),
            keep_attachment: format!(
                "INSERT INTO {attachments} (sha2, content_type, content) VALUES ({}, {}, {}) \
                 ON CONFLICT (sha2) DO NOTHING",
                p(1),
                p(2),
                p(3)
            ),
            attachment: format!(
                "SELECT content_type, content FROM {attachments} WHERE sha2 = {}",
                p(1)
            ),
        }
    }
}

/// The key parameters of a document (placeholders 1 to 6 of [`DocumentSql`]).
#[must_use]
pub fn document_key_params(target: &str, key: &DocumentKey) -> [String; 6] {
    let [t, k, a, g, r] = document_scope_params(target, &key.scope);
    [t, k, a, g, r, key.id.clone()]
}

/// The scope parameters of documents (placeholders 1 to 5 of [`DocumentSql`]).
#[must_use]
pub fn document_scope_params(target: &str, scope: &DocumentScope) -> [String; 5] {
    [
        target.to_owned(),
        scope.kind.as_str().to_owned(),
        scope.activity_key().to_owned(),
        scope.agent_key(),
        scope.registration_key().to_owned(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lrs::Ifi;

    const TABLES: StatementTables<'static> =
        StatementTables::keyed_by_text("statements", "statement_agents", "statement_activities");

    fn placeholders(sql: &str, sigil: char) -> Vec<usize> {
        let mut found = Vec::new();
        let mut chars = sql.char_indices().peekable();
        while let Some((_, c)) = chars.next() {
            if c == sigil {
                let mut n = String::new();
                while let Some((_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                found.push(n.parse().unwrap_or(0));
            }
        }
        found
    }

    #[test]
    fn a_page_query_binds_every_filter_in_placeholder_order() {
        let query = StatementQuery {
            verb: Some("http://example.org/verb".into()),
            agent: Some(Ifi::Mbox("mailto:a@example.org".into())),
            since: DateTime::from_timestamp(1_700_000_000, 0),
            cursor: Some("42".into()),
            limit: 10,
            ..StatementQuery::default()
        };
        for (dialect, sigil) in [(Dialect::Sqlite, '?'), (Dialect::Postgres, '$')] {
            let q = statement_page(dialect, TABLES, "t", &query).expect("page query");
            assert_eq!(placeholders(&q.sql, sigil), vec![1, 2, 3, 4, 5, 6]);
            assert_eq!(q.params.len(), 6);
            assert_eq!(q.params[0], SqlParam::Text("t".into()));
            assert_eq!(
                q.params[1],
                SqlParam::Text("http://example.org/verb".into())
            );
            assert!(matches!(q.params[2], SqlParam::Time(_)));
            assert_eq!(q.params[4], SqlParam::Integer(42));
            assert_eq!(q.params[5], SqlParam::Integer(11));
            assert!(q.sql.contains("ORDER BY a.seq DESC"), "{}", q.sql);
            assert!(q.sql.contains("a.ifi = ") && q.sql.contains(" AND a.direct"));
        }
    }

    #[test]
    fn related_filters_drop_the_direct_condition() {
        let query = StatementQuery {
            agent: Some(Ifi::Mbox("mailto:a@example.org".into())),
            activity: Some("http://example.org/a".into()),
            related_agents: true,
            related_activities: true,
            ascending: true,
            ..StatementQuery::default()
        };
        let q = statement_page(Dialect::Postgres, TABLES, "t", &query).expect("page query");
        assert!(!q.sql.contains("direct"));
        assert!(q.sql.contains("ON c.seq = a.seq"), "{}", q.sql);
        assert!(q.sql.contains("ORDER BY a.seq ASC"));
    }

    #[test]
    fn a_first_sequence_number_bounds_the_walk_and_turns_time_into_a_filter() {
        let query = StatementQuery {
            since: DateTime::from_timestamp(1_700_000_000, 0),
            ascending: true,
            ..StatementQuery::default()
        };
        let q =
            statement_page_from(Dialect::Sqlite, TABLES, "t", &query, Some(7)).expect("page query");
        assert!(q.sql.contains("+s.stored_us > ?2"), "{}", q.sql);
        assert!(q.sql.contains("s.seq >= ?3"), "{}", q.sql);
        assert!(q.sql.contains("ORDER BY s.seq ASC"));
        assert_eq!(q.params[2], SqlParam::Integer(7));
        let q = statement_page(Dialect::Sqlite, TABLES, "t", &query).expect("page query");
        assert!(q.sql.contains(" s.stored_us > ?2") && !q.sql.contains(">="));
    }

    #[test]
    fn a_cursor_that_is_not_a_number_is_invalid_input() {
        let query = StatementQuery {
            cursor: Some("abc".into()),
            ..StatementQuery::default()
        };
        let err = statement_page(Dialect::Sqlite, TABLES, "t", &query).expect_err("bad cursor");
        assert!(err.to_string().contains("invalid cursor `abc`"), "{err}");
    }

    #[test]
    fn document_queries_use_the_dialect_placeholders_and_columns() {
        let sqlite = DocumentSql::new(Dialect::Sqlite, "documents", "attachments");
        assert!(sqlite.upsert.contains("updated_us = excluded.updated_us"));
        assert_eq!(
            placeholders(&sqlite.upsert, '?'),
            (1..=10).collect::<Vec<_>>()
        );
        let postgres = DocumentSql::new(Dialect::Postgres, "\"p_documents\"", "\"p_att\"");
        assert!(
            postgres
                .ids
                .contains("$6::timestamptz IS NULL OR updated > $6::timestamptz")
        );
        assert!(
            postgres
                .attachment
                .contains("FROM \"p_att\" WHERE sha2 = $1")
        );
        assert!(!postgres.get.contains('?'));
    }

    #[test]
    fn reference_candidates_take_five_parameters() {
        let sql = reference_candidates(Dialect::Sqlite, TABLES, false);
        let mut seen = placeholders(&sql, '?');
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, vec![1, 2, 3, 4, 5]);
        assert!(sql.contains("seq < ?2") && sql.contains("ORDER BY seq DESC"));
        let params = reference_candidates_params("t", &StatementQuery::default(), None, 500);
        assert_eq!(params[1], SqlParam::Integer(i64::MAX));
        assert_eq!(params[4], SqlParam::Integer(500));
    }
}
