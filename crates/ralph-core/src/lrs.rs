//! The contract of an LRS statement store, and the statement helpers every store shares.
//!
//! An [`LrsStore`] keeps xAPI statements for the LRS (`ralph-lrs`). The LRS validates statements
//! and sets `id`, `stored`, `timestamp` and `authority` before handing them over, so a store only
//! keeps them, finds them again and applies the xAPI storage rules:
//!
//! - **Idempotent inserts**: a statement whose id is already stored with an equivalent content
//!   (see [`equivalent`]) is skipped; one whose id is stored with a different content is a
//!   [`Conflict`](crate::ErrorKind::Conflict) and nothing of the batch is stored.
//! - **Voiding**: a voiding statement (verb [`VOIDED_VERB`], object a `StatementRef`) voids its
//!   target, whether the target is stored before or after it. Voided statements are returned
//!   only by [`LrsStore::get`] (flagged voided), never by [`LrsStore::query`]. A voiding
//!   statement cannot be voided: voiding one is [`InvalidInput`](crate::ErrorKind::InvalidInput).
//! - **Pages**: [`LrsStore::query`] returns statements in `stored` order (most recent first unless
//!   ascending) and an opaque cursor when more statements match; the cursor, given back with the
//!   same query, continues exactly after the last statement returned, even when statements are
//!   stored in between.
//! - **References**: as xAPI asks, the `agent`, `verb`, `activity` and `registration` filters
//!   are also met by a statement whose `StatementRef` object targets a statement meeting them
//!   (recursively, voided targets included; see [`StatementQuery::matches_through_references`]),
//!   while the time filters apply to the statement itself.
//! - **Targets**: every call takes an optional target (the authenticated user's `target`, for
//!   multitenancy); targets are disjoint sets of statements.
//! - **Deletion and pseudonymisation** ([`privacy`]): [`LrsStore::delete_statements`] deletes
//!   what a [`DeleteFilter`] matches (voided statements too) with the attachments nothing else
//!   references, [`LrsStore::pseudonymize`] replaces an agent by its [`Pseudonymizer`] account
//!   in every position and re-indexes it; each statement is always whole or gone, and running
//!   a request again finishes an interrupted one.
//!
//! The helpers ([`Ifi`], [`statement_agents`], [`statement_activities`], [`voided_target`],
//! [`equivalent`], [`StatementQuery::matches`]) let database stores index statements and let
//! simple stores filter them in memory, with the same meaning everywhere.

mod documents;
pub mod privacy;
pub mod sql;

pub use privacy::{DeleteFilter, DeleteReport, Pseudonymizer};

pub use documents::{
    Attachment, Document, DocumentKey, DocumentKind, DocumentScope, Precondition, etag_of,
    is_json_content_type, precondition_failed, sha256_hex,
};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde_json::Value;

use crate::registry::BackendContext;
use crate::schema::{SettingField, fields_of};
use crate::settings::BackendSettings;
use crate::{BackendStatus, Error, Result};

/// The verb of voiding statements.
pub const VOIDED_VERB: &str = "http://adlnet.gov/expapi/verbs/voided";

/// An inverse functional identifier: what identifies an agent or an identified group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ifi {
    /// `mbox`, a `mailto:` IRI.
    Mbox(String),
    /// `mbox_sha1sum`, the hex SHA-1 of the `mailto:` IRI.
    MboxSha1sum(String),
    /// `openid`, a URI.
    Openid(String),
    /// `account`: a home page and a name on it.
    Account {
        /// `account.homePage`.
        home_page: String,
        /// `account.name`.
        name: String,
    },
}

impl Ifi {
    /// The IFI of an agent or group object, when it has exactly one usable identifier.
    ///
    /// Identifiers are tried in the order `mbox`, `mbox_sha1sum`, `openid`, `account`; the first
    /// present one wins (the LRS validator rejects agents with several).
    pub fn of(agent: &Value) -> Option<Self> {
        let text = |key: &str| agent.get(key).and_then(Value::as_str).map(str::to_owned);
        if let Some(mbox) = text("mbox") {
            return Some(Self::Mbox(mbox));
        }
        if let Some(sum) = text("mbox_sha1sum") {
            return Some(Self::MboxSha1sum(sum.to_ascii_lowercase()));
        }
        if let Some(openid) = text("openid") {
            return Some(Self::Openid(openid));
        }
        let account = agent.get("account")?;
        Some(Self::Account {
            home_page: account.get("homePage")?.as_str()?.to_owned(),
            name: account.get("name")?.as_str()?.to_owned(),
        })
    }

    /// A canonical string for this IFI, for indexes and equality: `mbox:mailto:a@b.c`,
    /// `account:<homePage> <name>`, ...
    pub fn key(&self) -> String {
        match self {
            Self::Mbox(v) => format!("mbox:{v}"),
            Self::MboxSha1sum(v) => format!("mbox_sha1sum:{v}"),
            Self::Openid(v) => format!("openid:{v}"),
            Self::Account { home_page, name } => format!("account:{home_page} {name}"),
        }
    }

    /// The IFI as the JSON properties of an agent (`{"mbox": ...}`).
    pub fn to_json(&self) -> Value {
        match self {
            Self::Mbox(v) => serde_json::json!({ "mbox": v }),
            Self::MboxSha1sum(v) => serde_json::json!({ "mbox_sha1sum": v }),
            Self::Openid(v) => serde_json::json!({ "openid": v }),
            Self::Account { home_page, name } => {
                serde_json::json!({ "account": { "homePage": home_page, "name": name } })
            }
        }
    }
}

/// How an agent or activity relates to a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The actor or object of the statement (matched by the `agent` / `activity` filters).
    Direct,
    /// Anywhere else the `related_agents` / `related_activities` filters look: authority,
    /// instructor, team, group members, context activities, sub-statement properties.
    Related,
}

fn push_agent(out: &mut Vec<(Ifi, Relation)>, agent: &Value, relation: Relation) {
    if let Some(ifi) = Ifi::of(agent) {
        out.push((ifi, relation));
    }
    // Members of a group match with related_agents only.
    if let Some(members) = agent.get("member").and_then(Value::as_array) {
        for member in members {
            if let Some(ifi) = Ifi::of(member) {
                out.push((ifi, Relation::Related));
            }
        }
    }
}

fn is_agent_object(object: &Value) -> bool {
    matches!(
        object.get("objectType").and_then(Value::as_str),
        Some("Agent" | "Group")
    )
}

fn collect_agents(statement: &Value, out: &mut Vec<(Ifi, Relation)>, top: bool) {
    let direct = if top {
        Relation::Direct
    } else {
        Relation::Related
    };
    if let Some(actor) = statement.get("actor") {
        push_agent(out, actor, direct);
    }
    if let Some(object) = statement.get("object") {
        if is_agent_object(object) {
            push_agent(out, object, direct);
        } else if top && object.get("objectType").and_then(Value::as_str) == Some("SubStatement") {
            collect_agents(object, out, false);
        }
    }
    if let Some(authority) = statement.get("authority") {
        push_agent(out, authority, Relation::Related);
    }
    if let Some(context) = statement.get("context") {
        for key in ["instructor", "team"] {
            if let Some(agent) = context.get(key) {
                push_agent(out, agent, Relation::Related);
            }
        }
    }
}

/// Every agent or identified group a statement mentions, with how it relates to the statement,
/// deduplicated (a direct relation wins over a related one).
pub fn statement_agents(statement: &Value) -> Vec<(Ifi, Relation)> {
    let mut out = Vec::new();
    collect_agents(statement, &mut out, true);
    dedup(out)
}

/// `items` with each item once, in order of first appearance, `Direct` when any of its
/// occurrences is.
fn dedup<T: Eq + std::hash::Hash + Clone>(items: Vec<(T, Relation)>) -> Vec<(T, Relation)> {
    // A statement names a few agents and activities: comparing them pairwise is cheaper than
    // hashing, up to a few dozen.
    const PAIRWISE_UP_TO: usize = 32;
    if items.len() <= PAIRWISE_UP_TO {
        let mut out: Vec<(T, Relation)> = Vec::with_capacity(items.len());
        for (item, relation) in items {
            match out.iter_mut().find(|(seen, _)| *seen == item) {
                Some((_, existing)) => {
                    if relation == Relation::Direct {
                        *existing = Relation::Direct;
                    }
                }
                None => out.push((item, relation)),
            }
        }
        return out;
    }
    let mut seen: std::collections::HashMap<T, Relation> = std::collections::HashMap::new();
    let mut order = Vec::new();
    for (item, relation) in items {
        match seen.get_mut(&item) {
            Some(existing) => {
                if relation == Relation::Direct {
                    *existing = Relation::Direct;
                }
            }
            None => {
                seen.insert(item.clone(), relation);
                order.push(item);
            }
        }
    }
    order
        .into_iter()
        .map(|item| {
            let relation = seen[&item];
            (item, relation)
        })
        .collect()
}

fn collect_activities(statement: &Value, out: &mut Vec<(String, Relation)>, top: bool) {
    if let Some(object) = statement.get("object") {
        match object.get("objectType").and_then(Value::as_str) {
            None | Some("Activity") => {
                if let Some(id) = object.get("id").and_then(Value::as_str) {
                    let relation = if top {
                        Relation::Direct
                    } else {
                        Relation::Related
                    };
                    out.push((id.to_owned(), relation));
                }
            }
            Some("SubStatement") if top => collect_activities(object, out, false),
            _ => {}
        }
    }
    if let Some(activities) = statement
        .get("context")
        .and_then(|c| c.get("contextActivities"))
        .and_then(Value::as_object)
    {
        for value in activities.values() {
            let list: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for activity in list {
                if let Some(id) = activity.get("id").and_then(Value::as_str) {
                    out.push((id.to_owned(), Relation::Related));
                }
            }
        }
    }
}

/// Every activity id a statement mentions, with how it relates to the statement (the object is
/// direct; context activities and sub-statement activities are related), deduplicated.
pub fn statement_activities(statement: &Value) -> Vec<(String, Relation)> {
    let mut out = Vec::new();
    collect_activities(statement, &mut out, true);
    dedup(out)
}

/// The id of the statement a voiding statement voids, or `None` when `statement` does not void.
pub fn voided_target(statement: &Value) -> Option<&str> {
    if statement.get("verb")?.get("id")?.as_str()? != VOIDED_VERB {
        return None;
    }
    let object = statement.get("object")?;
    if object.get("objectType")?.as_str()? != "StatementRef" {
        return None;
    }
    object.get("id")?.as_str()
}

/// The statement id, when it is a string.
pub fn statement_id(statement: &Value) -> Option<&str> {
    statement.get("id")?.as_str()
}

/// The `stored` time of a statement, when present and valid.
pub fn stored_at(statement: &Value) -> Option<DateTime<Utc>> {
    let stored = statement.get("stored")?.as_str()?;
    DateTime::parse_from_rfc3339(stored)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether two statements with the same id are the same statement, so storing the second is a
/// no-op rather than a conflict.
///
/// Properties the LRS sets (`stored`, `authority`, `version`) are ignored, and so is a
/// `timestamp` the LRS filled in (one equal to the statement's own `stored`): re-sending a
/// statement without a timestamp is not a conflict. Object key order does not matter.
pub fn equivalent(a: &Value, b: &Value) -> bool {
    let (Some(a), Some(b)) = (a.as_object(), b.as_object()) else {
        return a == b;
    };
    let lrs_timestamp = |m: &serde_json::Map<String, Value>| {
        m.get("timestamp").is_none() || m.get("timestamp") == m.get("stored")
    };
    let skip_timestamp = lrs_timestamp(a) || lrs_timestamp(b);
    let keep = |key: &str| match key {
        "stored" | "authority" | "version" => false,
        "timestamp" => !skip_timestamp,
        _ => true,
    };
    let left: Vec<_> = a.iter().filter(|(k, _)| keep(k)).collect();
    let right: Vec<_> = b.iter().filter(|(k, _)| keep(k)).collect();
    left.len() == right.len()
        && left.iter().all(|(k, v)| {
            b.get(k.as_str())
                .is_some_and(|w| timestamps_or_values_equal(k, v, w))
        })
}

fn timestamps_or_values_equal(key: &str, a: &Value, b: &Value) -> bool {
    if key == "timestamp"
        && let (Some(x), Some(y)) = (a.as_str(), b.as_str())
        && let (Ok(x), Ok(y)) = (
            DateTime::parse_from_rfc3339(x),
            DateTime::parse_from_rfc3339(y),
        )
    {
        return x == y;
    }
    a == b
}

/// Filters of a statements query, as the xAPI `GET /statements` parameters give them.
///
/// Agent and activity filters match what [`statement_agents`] and [`statement_activities`]
/// return: directly, or also through related properties when `related_agents` /
/// `related_activities` is set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatementQuery {
    /// `agent`: the actor or object is this agent or identified group.
    pub agent: Option<Ifi>,
    /// `verb`: the verb id.
    pub verb: Option<String>,
    /// `activity`: the object is this activity.
    pub activity: Option<String>,
    /// `registration`: `context.registration` (compared lowercase).
    pub registration: Option<String>,
    /// `related_activities`: the activity filter also looks at context and sub-statement activities.
    pub related_activities: bool,
    /// `related_agents`: the agent filter also looks at authority, instructor, team, group
    /// members and sub-statements.
    pub related_agents: bool,
    /// `since`: only statements stored strictly after this time.
    pub since: Option<DateTime<Utc>>,
    /// `until`: only statements stored at or before this time.
    pub until: Option<DateTime<Utc>>,
    /// Ralph's `mine`: only statements whose `authority` is this agent.
    pub authority: Option<Ifi>,
    /// The most statements in one page; at least 1.
    pub limit: usize,
    /// Oldest first instead of most recent first.
    pub ascending: bool,
    /// The cursor of the previous page, as returned in [`StatementPage::more`].
    pub cursor: Option<String>,
}

impl StatementQuery {
    /// Whether `statement` passes the filters (the cursor, the limit and voiding aside).
    pub fn matches(&self, statement: &Value) -> bool {
        self.matches_itself(statement)
            && self.verb_ok(statement)
            && self.registration_ok(statement)
            && self.agent_ok(statement)
            && self.activity_ok(statement)
    }

    /// The filters only the statement itself can meet: authority and time.
    fn matches_itself(&self, statement: &Value) -> bool {
        if let Some(authority) = &self.authority
            && statement.get("authority").and_then(Ifi::of).as_ref() != Some(authority)
        {
            return false;
        }
        if self.since.is_some() || self.until.is_some() {
            let Some(stored) = stored_at(statement) else {
                return false;
            };
            if self.since.is_some_and(|since| stored <= since)
                || self.until.is_some_and(|until| stored > until)
            {
                return false;
            }
        }
        true
    }

    fn verb_ok(&self, statement: &Value) -> bool {
        self.verb.as_ref().is_none_or(|verb| {
            statement.pointer("/verb/id").and_then(Value::as_str) == Some(verb.as_str())
        })
    }

    fn registration_ok(&self, statement: &Value) -> bool {
        self.registration.as_ref().is_none_or(|registration| {
            statement
                .pointer("/context/registration")
                .and_then(Value::as_str)
                .is_some_and(|r| r.eq_ignore_ascii_case(registration))
        })
    }

    fn agent_ok(&self, statement: &Value) -> bool {
        self.agent.as_ref().is_none_or(|agent| {
            statement_agents(statement)
                .iter()
                .any(|(i, r)| i == agent && (self.related_agents || *r == Relation::Direct))
        })
    }

    fn activity_ok(&self, statement: &Value) -> bool {
        self.activity.as_ref().is_none_or(|activity| {
            statement_activities(statement)
                .iter()
                .any(|(i, r)| i == activity && (self.related_activities || *r == Relation::Direct))
        })
    }

    /// Whether the query has filters that a statement can also meet through the statement its
    /// `StatementRef` object targets (`agent`, `verb`, `activity`, `registration`).
    pub fn follows_references(&self) -> bool {
        self.agent.is_some()
            || self.verb.is_some()
            || self.activity.is_some()
            || self.registration.is_some()
    }

    /// Whether `statement` passes the filters when, as xAPI asks, each of `agent`, `verb`,
    /// `activity` and `registration` may also be met by a statement its `StatementRef` object
    /// targets, or that one's target, and so on; `authority` and the time filters apply to
    /// `statement` itself. `resolve` finds a stored statement (voided or not) by id.
    ///
    /// Chains are followed [`MAX_REFERENCE_DEPTH`] statements deep at most, and cycles once.
    pub fn matches_through_references(
        &self,
        statement: &Value,
        resolve: &mut dyn FnMut(&str) -> Option<Value>,
    ) -> bool {
        if !self.matches_itself(statement) {
            return false;
        }
        let mut chain = vec![statement.clone()];
        let mut seen = std::collections::HashSet::new();
        while chain.len() <= MAX_REFERENCE_DEPTH {
            let Some(next) = chain.last().and_then(referenced_statement) else {
                break;
            };
            if !seen.insert(next.to_owned()) {
                break;
            }
            match resolve(next) {
                Some(target) => chain.push(target),
                None => break,
            }
        }
        chain.iter().any(|s| self.verb_ok(s))
            && chain.iter().any(|s| self.registration_ok(s))
            && chain.iter().any(|s| self.agent_ok(s))
            && chain.iter().any(|s| self.activity_ok(s))
    }
}

/// How many `StatementRef` targets [`StatementQuery::matches_through_references`] follows.
pub const MAX_REFERENCE_DEPTH: usize = 10;

/// The statements `statement` targets through `StatementRef` objects (its target, that one's
/// target, ...), by id, each fetched once with `lookup`, [`MAX_REFERENCE_DEPTH`] at most: what
/// [`StatementQuery::matches_through_references`] resolves against, for stores whose lookups
/// are asynchronous.
pub async fn reference_chain<F, Fut>(
    statement: &Value,
    mut lookup: F,
) -> Result<std::collections::HashMap<String, Value>>
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = Result<Option<Value>>>,
{
    let mut chain = std::collections::HashMap::new();
    let mut next = referenced_statement(statement).map(str::to_owned);
    while let Some(id) = next {
        if chain.contains_key(&id) || chain.len() >= MAX_REFERENCE_DEPTH {
            break;
        }
        let Some(target) = lookup(id.clone()).await? else {
            break;
        };
        next = referenced_statement(&target).map(str::to_owned);
        chain.insert(id, target);
    }
    Ok(chain)
}

/// The id of the statement `statement` targets with a `StatementRef` object, if it does.
pub fn referenced_statement(statement: &Value) -> Option<&str> {
    let object = statement.get("object")?;
    if object.get("objectType")?.as_str()? != "StatementRef" {
        return None;
    }
    object.get("id")?.as_str()
}

/// One page of a statements query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatementPage {
    /// The statements, in the requested order.
    pub statements: Vec<Value>,
    /// An opaque cursor to get the next page with the same query, when more statements match.
    pub more: Option<String>,
}

/// A statement found by id.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundStatement {
    /// The statement as stored.
    pub statement: Value,
    /// Whether a voiding statement voids it.
    pub voided: bool,
}

/// The chunks of one batch of statements, in order, as a producer (the LRS validating a large
/// `POST`) hands them over: a store can write the first chunks while the next ones are being
/// prepared. An `Err` chunk aborts the batch (see [`LrsStore::insert_chunks`]).
pub type StatementChunks = tokio::sync::mpsc::Receiver<Result<Vec<Value>>>;

/// A store of xAPI statements for the LRS.
///
/// See the [module documentation](self) for the rules every store follows; the shared
/// behaviour suite in `ralph-testkit` checks them.
#[async_trait]
pub trait LrsStore: Send + Sync {
    /// The store name (`sqlite`, ...).
    fn name(&self) -> &'static str;

    /// Checks whether the store can be used.
    async fn status(&self) -> BackendStatus;

    /// Stores a batch of statements, all or nothing, and returns the ids newly stored, in order.
    ///
    /// Each statement has a string `id` and, as the LRS sets it, a `stored` time (statements
    /// without one are ordered and filtered by their time of insertion). Statements already stored with an
    /// equivalent content are skipped (also within the batch); a different content under a
    /// stored id fails the whole batch with a `Conflict` error naming the id; voiding a voiding
    /// statement fails it with `InvalidInput`.
    async fn insert(&self, target: Option<&str>, statements: Vec<Value>) -> Result<Vec<String>>;

    /// Stores the statements of `chunks` as one batch, as [`insert`](Self::insert) does with
    /// their concatenation: all or nothing, and the ids newly stored, in order.
    ///
    /// When a chunk is an `Err`, nothing is stored and that error is returned, even when the
    /// store had already refused the statements before it (a producer's error, such as an
    /// invalid statement, comes first). The batch ends when the sender is dropped, and what
    /// was sent is then stored: a producer that fails (or panics) half-way must send an `Err`
    /// as its last chunk.
    ///
    /// The default collects every chunk, then calls [`insert`](Self::insert); a store that
    /// writes in a transaction can start writing with the first chunk instead.
    async fn insert_chunks(
        &self,
        target: Option<&str>,
        mut chunks: StatementChunks,
    ) -> Result<Vec<String>> {
        let mut statements = Vec::new();
        while let Some(chunk) = chunks.recv().await {
            statements.extend(chunk?);
        }
        self.insert(target, statements).await
    }

    /// The statements matching `query` (directly or through their `StatementRef` targets), one
    /// page at a time; voided statements are left out.
    async fn query(&self, target: Option<&str>, query: &StatementQuery) -> Result<StatementPage>;

    /// The statement with this id, voided or not, or `None`.
    async fn get(&self, target: Option<&str>, id: &str) -> Result<Option<FoundStatement>>;

    /// The document `key`, or `None`.
    async fn document(&self, target: Option<&str>, key: &DocumentKey) -> Result<Option<Document>>;

    /// The ids of the documents in `scope` (a `None` registration: every registration) written
    /// strictly after `since`, sorted.
    async fn document_ids(
        &self,
        target: Option<&str>,
        scope: &DocumentScope,
        since: Option<DateTime<Utc>>,
    ) -> Result<Vec<String>>;

    /// Stores `document` as `key`, replacing any stored one, when `precondition` holds of the
    /// stored one; otherwise fails with `PreconditionFailed` and changes nothing. The check and
    /// the write are one atomic step.
    async fn put_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        document: Document,
        precondition: &Precondition,
    ) -> Result<()>;

    /// Deletes the document `key` when `precondition` holds of it (a missing document is not an
    /// error under [`Precondition::Any`]); otherwise fails with `PreconditionFailed`.
    async fn delete_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        precondition: &Precondition,
    ) -> Result<()>;

    /// Deletes every document in `scope` (a `None` registration: every registration) and
    /// returns how many were deleted.
    async fn delete_documents(&self, target: Option<&str>, scope: &DocumentScope) -> Result<u64>;

    /// Keeps an attachment's content; storing the same `sha2` again is a no-op.
    async fn put_attachment(&self, attachment: Attachment) -> Result<()>;

    /// The attachment content with this `sha2`, or `None`.
    async fn attachment(&self, sha2: &str) -> Result<Option<Attachment>>;

    /// Deletes the statements of `target` matching `filter` (voided ones included; see
    /// [`DeleteFilter`]), with the attachments no remaining statement references, and reports
    /// how many matched and were deleted; a dry run deletes nothing. An empty filter is
    /// `InvalidInput`.
    ///
    /// Interrupted, it leaves each statement whole or gone, and running it again finishes the
    /// job. The default finds the statements with [`privacy::matching_statements`] and removes
    /// them with [`remove_statements`](Self::remove_statements) and
    /// [`remove_unreferenced_attachments`](Self::remove_unreferenced_attachments).
    async fn delete_statements(
        &self,
        target: Option<&str>,
        filter: &DeleteFilter,
        dry_run: bool,
    ) -> Result<DeleteReport> {
        let matched = privacy::matching_statements(self, target, filter).await?;
        let mut report = DeleteReport {
            matched: matched.len() as u64,
            ..DeleteReport::default()
        };
        if dry_run {
            return Ok(report);
        }
        for chunk in matched.chunks(500) {
            let ids: Vec<String> = chunk
                .iter()
                .filter_map(|s| statement_id(s).map(str::to_owned))
                .collect();
            report.deleted += self.remove_statements(target, &ids).await?;
            let mut sha2s: Vec<String> = chunk
                .iter()
                .flat_map(privacy::statement_attachments)
                .collect();
            sha2s.sort();
            sha2s.dedup();
            if !sha2s.is_empty() {
                self.remove_unreferenced_attachments(&sha2s).await?;
            }
        }
        Ok(report)
    }

    /// Replaces `agent` by `pseudonym` in every statement of `target` where it appears (see
    /// [`privacy::pseudonymize_statement`]), keeping ids, so that the `agent` filter finds the
    /// pseudonym and no longer the agent; returns how many statements changed (would change, on
    /// a dry run). Each statement is rewritten whole; running it again finishes the job.
    async fn pseudonymize(
        &self,
        target: Option<&str>,
        agent: &Ifi,
        pseudonym: &Ifi,
        dry_run: bool,
    ) -> Result<u64> {
        let filter = DeleteFilter {
            agent: Some(agent.clone()),
            ..DeleteFilter::default()
        };
        let mut changed = Vec::new();
        for mut statement in privacy::matching_statements(self, target, &filter).await? {
            if privacy::pseudonymize_statement(&mut statement, agent, pseudonym) {
                changed.push(statement);
            }
        }
        let count = changed.len() as u64;
        if !dry_run {
            while !changed.is_empty() {
                let rest = changed.split_off(changed.len().min(500));
                self.replace_statements(target, changed).await?;
                changed = rest;
            }
        }
        Ok(count)
    }

    /// Deletes (counts, on a dry run) the state and agent-profile documents of `agent` in
    /// `target`, in every activity and registration.
    async fn delete_agent_documents(
        &self,
        target: Option<&str>,
        agent: &Ifi,
        dry_run: bool,
    ) -> Result<u64> {
        let _ = (target, agent, dry_run);
        Err(Error::unsupported(format!(
            "the `{}` store cannot delete an agent's documents",
            self.name()
        )))
    }

    /// Removes the statements of `target` with these ids (missing ones are skipped) with
    /// everything that indexes them, each statement whole or not at all; returns how many were
    /// removed. Used by the default [`delete_statements`](Self::delete_statements).
    async fn remove_statements(&self, target: Option<&str>, ids: &[String]) -> Result<u64> {
        let _ = (target, ids);
        Err(Error::unsupported(format!(
            "the `{}` store cannot delete statements",
            self.name()
        )))
    }

    /// Stores each statement in place of the stored one with its id (voided flag kept), and
    /// re-indexes it; returns how many were replaced. Used by the default
    /// [`pseudonymize`](Self::pseudonymize).
    async fn replace_statements(
        &self,
        target: Option<&str>,
        statements: Vec<Value>,
    ) -> Result<u64> {
        let _ = (target, statements);
        Err(Error::unsupported(format!(
            "the `{}` store cannot rewrite statements",
            self.name()
        )))
    }

    /// Removes the attachments with these `sha2` that no stored statement (of any target)
    /// references any more; returns how many were removed.
    async fn remove_unreferenced_attachments(&self, sha2s: &[String]) -> Result<u64> {
        let _ = sha2s;
        Err(Error::unsupported(format!(
            "the `{}` store cannot delete attachments",
            self.name()
        )))
    }

    /// Releases connections; the store must not be used afterwards.
    async fn close(&self) -> Result<()> {
        Ok(())
    }
}

/// An LRS store kind that can be registered, so `ralph runserver -b NAME` can open it.
#[async_trait]
pub trait LrsStoreFactory: Send + Sync + 'static {
    /// The settings struct, read from `backends.lrs.<NAME>`.
    type Settings: BackendSettings;
    /// The name used by `runserver -b`, the settings key and the flags.
    const NAME: &'static str;
    /// One line for `--help` and the docs.
    const ABOUT: &'static str;
    /// Other names `runserver -b` accepts (Ralph 5.1's `async_es`, `async_mongo`).
    const ALIASES: &'static [&'static str] = &[];

    /// Opens the store with its settings.
    async fn open(settings: Self::Settings, context: &BackendContext) -> Result<Box<dyn LrsStore>>;
}

type OpenStoreFn = for<'a> fn(&'a BackendContext) -> BoxFuture<'a, Result<Box<dyn LrsStore>>>;

/// A registered LRS store.
#[derive(Clone)]
pub struct LrsStoreEntry {
    /// The name.
    pub name: &'static str,
    /// One line of description.
    pub about: &'static str,
    /// Other accepted names (Ralph's `async_*` names).
    pub aliases: &'static [&'static str],
    fields: fn() -> Vec<SettingField>,
    open: OpenStoreFn,
}

impl std::fmt::Debug for LrsStoreEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LrsStoreEntry")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl LrsStoreEntry {
    /// The entry of factory `F`.
    pub fn of<F: LrsStoreFactory>() -> Self {
        Self {
            name: F::NAME,
            about: F::ABOUT,
            aliases: F::ALIASES,
            fields: fields_of::<F::Settings>,
            open: open_store_with::<F>,
        }
    }

    /// The settings section of this store (`backends.lrs.sqlite`).
    pub fn section(&self) -> String {
        format!("backends.lrs.{}", self.name)
    }

    /// The settings fields, in declaration order.
    pub fn fields(&self) -> Vec<SettingField> {
        (self.fields)()
    }

    /// Reads the store's settings from the context and opens it.
    pub async fn open(&self, context: &BackendContext) -> Result<Box<dyn LrsStore>> {
        (self.open)(context).await
    }
}

fn open_store_with<F: LrsStoreFactory>(
    context: &BackendContext,
) -> BoxFuture<'_, Result<Box<dyn LrsStore>>> {
    Box::pin(async move {
        let settings = context
            .settings
            .section::<F::Settings>(&format!("backends.lrs.{}", F::NAME))?;
        F::open(settings, context).await
    })
}

/// The table of known LRS stores.
#[derive(Debug, Clone, Default)]
pub struct LrsRegistry {
    entries: Vec<LrsStoreEntry>,
}

impl LrsRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers factory `F`, replacing a store of the same name.
    pub fn register<F: LrsStoreFactory>(&mut self) -> &mut Self {
        self.entries.retain(|e| e.name != F::NAME);
        self.entries.push(LrsStoreEntry::of::<F>());
        self.entries.sort_by_key(|e| e.name);
        self
    }

    /// Every store, sorted by name.
    pub fn entries(&self) -> &[LrsStoreEntry] {
        &self.entries
    }

    /// The store named `name` (or one of its aliases).
    pub fn get(&self, name: &str) -> Result<&LrsStoreEntry> {
        let found = self
            .entries
            .iter()
            .find(|e| e.name == name || e.aliases.contains(&name));
        found.ok_or_else(|| {
            let known: Vec<_> = self
                .entries
                .iter()
                .map(|e| format!("`{}`", e.name))
                .collect();
            Error::config(format!(
                "unknown LRS backend `{name}`; expected one of {}",
                known.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn agents_are_listed_once_in_order_and_direct_wins_at_any_count() {
        // A team of `n` members where the actor is the last member (related, then direct
        // again as the actor) and every other member appears twice.
        for n in [3, 20, 40, 100] {
            let member = |i: usize| json!({"mbox": format!("mailto:m{i}@example.org")});
            let mut members: Vec<Value> = (0..n).map(member).collect();
            members.extend((0..n - 1).map(member));
            let s = json!({
                "actor": member(n - 1),
                "verb": {"id": "http://example.org/v"},
                "object": {"id": "http://example.org/a"},
                "context": {"team": {"objectType": "Group", "member": members}},
            });
            let agents = statement_agents(&s);
            assert_eq!(agents.len(), n, "{n} members");
            assert_eq!(
                agents[0],
                (
                    Ifi::Mbox(format!("mailto:m{}@example.org", n - 1)),
                    Relation::Direct
                )
            );
            let expected: Vec<_> = (0..n - 1)
                .map(|i| {
                    (
                        Ifi::Mbox(format!("mailto:m{i}@example.org")),
                        Relation::Related,
                    )
                })
                .collect();
            assert_eq!(agents[1..], expected, "{n} members");
        }
    }

    fn statement() -> Value {
        json!({
            "id": "9e1f2b1c-0000-4000-8000-000000000001",
            "actor": {"mbox": "mailto:a@example.org"},
            "verb": {"id": "http://example.org/verb"},
            "object": {"objectType": "SubStatement",
                "actor": {"account": {"homePage": "http://h", "name": "n"}},
                "verb": {"id": "http://example.org/v2"},
                "object": {"id": "http://example.org/inner"}},
            "context": {"registration": "AAAAAAAA-0000-4000-8000-000000000001",
                "instructor": {"openid": "http://openid/x"},
                "contextActivities": {"parent": [{"id": "http://example.org/parent"}],
                                      "grouping": {"id": "http://example.org/grouping"}}},
            "authority": {"mbox": "mailto:auth@example.org"},
            "stored": "2024-01-01T00:00:00+00:00",
        })
    }

    #[test]
    fn agents_and_activities_are_found_with_their_relation() {
        let s = statement();
        let agents = statement_agents(&s);
        assert!(agents.contains(&(Ifi::Mbox("mailto:a@example.org".into()), Relation::Direct)));
        assert!(agents.contains(&(
            Ifi::Account {
                home_page: "http://h".into(),
                name: "n".into()
            },
            Relation::Related
        )));
        assert!(agents.contains(&(Ifi::Openid("http://openid/x".into()), Relation::Related)));
        assert!(agents.contains(&(
            Ifi::Mbox("mailto:auth@example.org".into()),
            Relation::Related
        )));
        let activities = statement_activities(&s);
        assert!(activities.contains(&("http://example.org/inner".into(), Relation::Related)));
        assert!(activities.contains(&("http://example.org/parent".into(), Relation::Related)));
        assert!(activities.contains(&("http://example.org/grouping".into(), Relation::Related)));
    }

    #[test]
    fn query_matches_follow_the_related_flags() {
        let s = statement();
        let inner = StatementQuery {
            activity: Some("http://example.org/inner".into()),
            ..Default::default()
        };
        assert!(!inner.matches(&s));
        assert!(
            StatementQuery {
                related_activities: true,
                ..inner
            }
            .matches(&s)
        );
        let registration = StatementQuery {
            registration: Some("aaaaaaaa-0000-4000-8000-000000000001".into()),
            ..Default::default()
        };
        assert!(registration.matches(&s));
        let since = StatementQuery {
            since: Some("2024-01-01T00:00:00Z".parse().expect("time")),
            ..Default::default()
        };
        assert!(!since.matches(&s), "since is exclusive");
    }

    #[test]
    fn equivalence_ignores_what_the_lrs_sets() {
        let a = json!({"id": "x", "verb": {"id": "v"}, "stored": "2024-01-01T00:00:00Z",
                       "timestamp": "2024-01-01T00:00:00Z", "authority": {"mbox": "mailto:a@b.c"}});
        let b = json!({"verb": {"id": "v"}, "id": "x", "stored": "2025-01-01T00:00:00Z",
                       "timestamp": "2025-01-01T00:00:00Z", "version": "1.0.0"});
        assert!(equivalent(&a, &b));
        let c = json!({"id": "x", "verb": {"id": "w"}});
        assert!(!equivalent(&a, &c));
        let d = json!({"id": "x", "verb": {"id": "v"}, "timestamp": "2020-01-01T00:00:00Z"});
        let e = json!({"id": "x", "verb": {"id": "v"}, "timestamp": "2021-01-01T00:00:00Z"});
        assert!(!equivalent(&d, &e));
        let f = json!({"id": "x", "verb": {"id": "v"}, "timestamp": "2021-01-01T01:00:00+01:00"});
        assert!(equivalent(&e, &f), "timestamps compare as instants");
    }

    #[test]
    fn voiding_statements_name_their_target() {
        let v = json!({"verb": {"id": VOIDED_VERB}, "object": {"objectType": "StatementRef", "id": "t"}});
        assert_eq!(voided_target(&v), Some("t"));
        let not = json!({"verb": {"id": VOIDED_VERB}, "object": {"id": "t"}});
        assert_eq!(voided_target(&not), None);
    }
}
