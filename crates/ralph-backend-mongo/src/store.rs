//! The MongoDB statement store: one collection per target, documents as Ralph stores them plus
//! the indexed fields the xAPI filters need.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::Utc;
use futures::TryStreamExt;
use mongodb::bson::raw::{RawArrayBuf, RawDocumentBuf, cstr};
use mongodb::bson::{Bson, Document, doc};
use mongodb::error::ErrorKind as MongoErrorKind;
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Client, Collection, Database, IndexModel};
use ralph_core::lrs::{
    Attachment, Document as LrsDocument, DocumentKey, DocumentScope, FoundStatement, Ifi, LrsStore,
    Precondition, Relation, StatementPage, StatementQuery, equivalent, reference_chain,
    referenced_statement, statement_activities, statement_agents, statement_id, stored_at,
    voided_target,
};
use ralph_core::settings::SecretUrl;
use ralph_core::{BackendStatus, Error, ErrorKind, Result};
use serde_json::Value;

use crate::backend::{DUPLICATE_KEY, connect_client, mongo_error};
use crate::convert::{parse_timestamp, statement_object_id, to_document, to_json};
use crate::documents::{ATTACHMENTS_COLLECTION, DOCUMENTS_COLLECTION, Documents, is_reserved};
use crate::settings::{MongoLrsSettings, MongoSettings, check_collection_name};

/// The collection holding one insertion counter per statement collection.
pub const SEQUENCES_COLLECTION: &str = "ralph_sequences";

/// The indexes the store creates on each statement collection (name, keys).
///
/// `_ralph.agents` and `_ralph.activities` hold every agent IFI key and activity IRI of a
/// statement, the direct ones (actor or object) a second time with a `=` prefix, so one multikey
/// index serves both the plain and the `related_*` filters. Every filter index is
/// `(field, voided, seq)`: a page query is an equality on both fields and a sort on `seq`, all
/// in the index (planners that only take an index covering every equality of the filter, as
/// SecantusDB's, need `voided` in it too).
pub const INDEXES: &[(&str, &[(&str, i32)])] = &[
    ("ralph_id", &[("_source.id", 1)]),
    ("ralph_seq", &[("_ralph.voided", 1), ("_ralph.seq", -1)]),
    (
        "ralph_verb_voided",
        &[
            ("_source.verb.id", 1),
            ("_ralph.voided", 1),
            ("_ralph.seq", -1),
        ],
    ),
    (
        "ralph_agents_voided",
        &[
            ("_ralph.agents", 1),
            ("_ralph.voided", 1),
            ("_ralph.seq", -1),
        ],
    ),
    (
        "ralph_activities_voided",
        &[
            ("_ralph.activities", 1),
            ("_ralph.voided", 1),
            ("_ralph.seq", -1),
        ],
    ),
    (
        "ralph_registration_voided",
        &[
            ("_ralph.registration", 1),
            ("_ralph.voided", 1),
            ("_ralph.seq", -1),
        ],
    ),
    (
        "ralph_authority_voided",
        &[
            ("_ralph.authority", 1),
            ("_ralph.voided", 1),
            ("_ralph.seq", -1),
        ],
    ),
    // `since` / `until`: the planner reads a short time range here (and sorts it) rather
    // than walking `ralph_seq` past every statement outside it.
    (
        "ralph_stored",
        &[("_ralph.voided", 1), ("_ralph.stored", -1)],
    ),
    ("ralph_voids", &[("_ralph.voids", 1)]),
    // Only statements with a `StatementRef` object have `refseq`: filters that follow
    // references walk them in page order.
    ("ralph_refseq", &[("_ralph.refseq", -1)]),
];

/// The MongoDB LRS store.
///
/// Each target is a collection of the database (`default_collection` for users without a
/// target). A statement is stored as Ralph stores it, `{"_id": ObjectId(timestamp, sha256(id)),
/// "_source": statement}`, with an `_ralph` sub-document of indexed fields: `seq` (the insertion
/// order and the page cursor, from a counter in [`SEQUENCES_COLLECTION`]), `stored` (µs since
/// the epoch), `voided`, `voids`, `registration`, `authority`, `agents` and `activities`.
/// Indexes ([`INDEXES`]) are created when a collection is first used; a unique index on
/// `_source.id` makes concurrent writers of one id store it once.
#[derive(Clone)]
pub struct MongoStore {
    url: SecretUrl,
    client: Client,
    database: Database,
    default_collection: String,
    indexed: Arc<Mutex<HashSet<String>>>,
    pub(crate) documents: Documents,
}

impl std::fmt::Debug for MongoStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MongoStore")
            .field("connection_uri", &self.url)
            .field("database", &self.database.name())
            .finish_non_exhaustive()
    }
}

fn conflict(id: &str) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!("a different statement is already stored with id `{id}`"),
    )
}

/// What a batch stores for one new statement.
struct NewStatement {
    id: String,
    voids: Option<String>,
    statement: Value,
}

/// A stored statement found while inserting.
struct Stored {
    statement: Value,
    voids: Option<String>,
}

fn strings(values: impl IntoIterator<Item = String>) -> RawArrayBuf {
    let mut array = RawArrayBuf::new();
    for value in values {
        array.push(value.as_str());
    }
    array
}

/// The `_ralph` fields of a statement.
fn indexed_fields(statement: &Value, seq: i64, voided: bool) -> Result<RawDocumentBuf> {
    let stored = stored_at(statement).unwrap_or_else(Utc::now);
    let mut fields = RawDocumentBuf::new();
    fields.append(cstr!("seq"), seq);
    fields.append(cstr!("stored"), stored.timestamp_micros());
    fields.append(cstr!("voided"), voided);
    if let Some(voids) = voided_target(statement) {
        fields.append(cstr!("voids"), voids);
    }
    if let Some(reference) = referenced_statement(statement) {
        fields.append(cstr!("ref"), reference);
        fields.append(cstr!("refseq"), seq);
    }
    if let Some(registration) = statement
        .pointer("/context/registration")
        .and_then(Value::as_str)
    {
        fields.append(cstr!("registration"), registration.to_ascii_lowercase());
    }
    if let Some(authority) = statement.get("authority").and_then(Ifi::of) {
        fields.append(cstr!("authority"), authority.key());
    }
    let mut agents = Vec::new();
    for (ifi, relation) in statement_agents(statement) {
        if relation == Relation::Direct {
            agents.push(format!("={}", ifi.key()));
        }
        agents.push(ifi.key());
    }
    fields.append(cstr!("agents"), strings(agents));
    let mut activities = Vec::new();
    for (iri, relation) in statement_activities(statement) {
        if relation == Relation::Direct {
            activities.push(format!("={iri}"));
        }
        activities.push(iri);
    }
    fields.append(cstr!("activities"), strings(activities));
    Ok(fields)
}

/// The stored document of a statement: Ralph's `_id` and `_source`, and the `_ralph` fields.
pub(crate) fn statement_document(
    statement: &Value,
    seq: i64,
    voided: bool,
) -> Result<RawDocumentBuf> {
    let object = statement
        .as_object()
        .ok_or_else(|| Error::invalid_input("a statement is not a JSON object"))?;
    let id = statement_id(statement).unwrap_or_default();
    let timestamp = object
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(parse_timestamp)
        .unwrap_or(chrono::DateTime::UNIX_EPOCH);
    let oid = statement_object_id(&timestamp, id)?;
    let mut doc = RawDocumentBuf::new();
    doc.append(cstr!("_id"), oid);
    doc.append(
        cstr!("_source"),
        to_document(object).map_err(|e| e.context(format!("statement `{id}`")))?,
    );
    doc.append(cstr!("_ralph"), indexed_fields(statement, seq, voided)?);
    Ok(doc)
}

fn source_of(doc: &Document) -> Result<Value> {
    let source = doc
        .get_document("_source")
        .map_err(|_| Error::backend("mongo: a stored document has no `_source`"))?;
    let raw = RawDocumentBuf::try_from(source)
        .map_err(|err| Error::backend(format!("mongo: unreadable statement: {err}")))?;
    Ok(Value::Object(to_json(&raw)?))
}

fn ralph_str(doc: &Document, key: &str) -> Option<String> {
    doc.get_document("_ralph")
        .ok()?
        .get_str(key)
        .ok()
        .map(str::to_owned)
}

impl MongoStore {
    /// Connects to the server of `settings` and creates the indexes of the default collection.
    pub async fn open(settings: MongoLrsSettings) -> Result<Self> {
        let settings = MongoSettings::from(settings);
        settings.validate("backends.lrs.mongo")?;
        let client = connect_client(
            &settings.connection_uri,
            "backends.lrs.mongo.connection_uri",
            settings.connect_timeout,
        )
        .await?;
        let database = client.database(&settings.default_database);
        let store = Self {
            url: settings.connection_uri,
            client,
            documents: Documents::new(&database),
            database,
            default_collection: settings.default_collection,
            indexed: Arc::default(),
        };
        store.collection(None).await?;
        store
            .documents
            .create_indexes()
            .await
            .map_err(|e| store.error(e))?;
        Ok(store)
    }

    /// The database of the store.
    pub fn database(&self) -> &Database {
        &self.database
    }

    pub(crate) fn error(&self, err: mongodb::error::Error) -> Error {
        mongo_error(&self.url, err)
    }

    /// The collection name of `target`, checked.
    pub(crate) fn target_name<'a>(&'a self, target: Option<&'a str>) -> Result<&'a str> {
        let name = target
            .filter(|t| !t.is_empty())
            .unwrap_or(&self.default_collection);
        check_collection_name(name)?;
        if name == SEQUENCES_COLLECTION || is_reserved(name) {
            return Err(Error::invalid_input(format!(
                "target `{name}` is reserved: `{SEQUENCES_COLLECTION}`, `{DOCUMENTS_COLLECTION}` \
                 and `{ATTACHMENTS_COLLECTION}` hold the store's counters, documents and attachments"
            )));
        }
        Ok(name)
    }

    /// The collection of `target`, its indexes created on first use.
    pub(crate) async fn collection(&self, target: Option<&str>) -> Result<Collection<Document>> {
        let name = self.target_name(target)?;
        let collection = self.database.collection::<Document>(name);
        let known = self
            .indexed
            .lock()
            .map(|set| set.contains(name))
            .unwrap_or(false);
        if !known {
            let models = INDEXES.iter().map(|(index, keys)| {
                let mut spec = Document::new();
                for (key, direction) in *keys {
                    spec.insert(*key, *direction);
                }
                let options = IndexOptions::builder()
                    .name((*index).to_owned())
                    .unique(*index == "ralph_id")
                    .sparse(*index == "ralph_voids" || *index == "ralph_refseq")
                    .build();
                IndexModel::builder().keys(spec).options(options).build()
            });
            collection
                .create_indexes(models)
                .await
                .map_err(|e| self.error(e))?;
            // The counter exists before concurrent writers first increment it.
            let created = self
                .database
                .collection::<Document>(SEQUENCES_COLLECTION)
                .update_one(doc! {"_id": name}, doc! {"$inc": {"seq": 0_i64}})
                .upsert(true)
                .await;
            match created {
                Err(err) if !is_duplicate(&err) => return Err(self.error(err)),
                _ => {}
            }
            if let Ok(mut set) = self.indexed.lock() {
                set.insert(name.to_owned());
            }
        }
        Ok(collection)
    }

    /// Drops the store's database (every target and the counters).
    pub async fn drop_database(&self) -> Result<()> {
        self.database.drop().await.map_err(|e| self.error(e))?;
        if let Ok(mut set) = self.indexed.lock() {
            set.clear();
        }
        Ok(())
    }

    /// Reserves `n` insertion numbers of `collection`; returns the first.
    async fn reserve(&self, collection: &str, n: usize) -> Result<i64> {
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        let counters = self.database.collection::<Document>(SEQUENCES_COLLECTION);
        // Concurrent first upserts of one counter may collide on its `_id`; the retry finds it.
        for _ in 0..5 {
            let counter = match counters
                .find_one_and_update(doc! {"_id": collection}, doc! {"$inc": {"seq": n}})
                .upsert(true)
                .return_document(ReturnDocument::After)
                .await
            {
                Ok(Some(counter)) => counter,
                Ok(None) => continue,
                Err(err) if is_duplicate(&err) => continue,
                Err(err) => return Err(self.error(err)),
            };
            let last = match counter.get("seq") {
                Some(Bson::Int64(v)) => *v,
                Some(Bson::Int32(v)) => i64::from(*v),
                _ => {
                    return Err(Error::backend(
                        "mongo: the statement counter is not a number",
                    ));
                }
            };
            return Ok(last - n + 1);
        }
        Err(Error::backend(format!(
            "mongo: could not reserve statement numbers in `{SEQUENCES_COLLECTION}`"
        )))
    }

    async fn insert_batch(
        &self,
        collection: &Collection<Document>,
        statements: Vec<Value>,
    ) -> Result<Vec<String>> {
        // The batch alone: ids, duplicates, what it voids.
        let mut batch: Vec<NewStatement> = Vec::with_capacity(statements.len());
        let mut in_batch: HashMap<String, usize> = HashMap::new();
        for statement in statements {
            let Some(id) = statement_id(&statement).map(str::to_owned) else {
                return Err(Error::invalid_input("statement has no string `id`"));
            };
            if let Some(&i) = in_batch.get(&id) {
                if equivalent(&batch[i].statement, &statement) {
                    continue;
                }
                return Err(conflict(&id));
            }
            in_batch.insert(id.clone(), batch.len());
            batch.push(NewStatement {
                voids: voided_target(&statement).map(str::to_owned),
                id,
                statement,
            });
        }
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        // What is stored of those ids, of the ids they void, and what voids them.
        let ids: Vec<&str> = batch.iter().map(|s| s.id.as_str()).collect();
        let mut lookup: Vec<&str> = ids
            .iter()
            .copied()
            .chain(batch.iter().filter_map(|s| s.voids.as_deref()))
            .collect();
        lookup.sort_unstable();
        lookup.dedup();
        let found: Vec<Document> = collection
            .find(doc! {"$or": [{"_source.id": {"$in": &lookup}}, {"_ralph.voids": {"$in": &ids}}]})
            .projection(doc! {"_source": 1, "_ralph.voids": 1})
            .await
            .map_err(|e| self.error(e))?
            .try_collect()
            .await
            .map_err(|e| self.error(e))?;
        let mut stored: HashMap<String, Stored> = HashMap::new();
        let mut voided_by_stored: HashSet<String> = HashSet::new();
        for doc in &found {
            let statement = source_of(doc)?;
            let voids = ralph_str(doc, "voids");
            if let Some(voids) = &voids {
                voided_by_stored.insert(voids.clone());
            }
            if let Some(id) = statement_id(&statement) {
                stored.insert(id.to_owned(), Stored { statement, voids });
            }
        }
        let mut new = Vec::with_capacity(batch.len());
        for item in batch {
            match stored.get(&item.id) {
                Some(existing) if equivalent(&existing.statement, &item.statement) => {}
                Some(_) => return Err(conflict(&item.id)),
                None => new.push(item),
            }
        }
        if new.is_empty() {
            return Ok(Vec::new());
        }
        let new_index: HashMap<&str, usize> = new
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.as_str(), i))
            .collect();
        for item in &new {
            let Some(voided) = &item.voids else { continue };
            let voids_a_voider = stored.get(voided).is_some_and(|s| s.voids.is_some())
                || new_index
                    .get(voided.as_str())
                    .is_some_and(|&i| new[i].voids.is_some());
            if voids_a_voider {
                return Err(Error::invalid_input(format!(
                    "statement `{}` voids `{voided}`, a voiding statement: voiding statements cannot be voided",
                    item.id
                )));
            }
        }
        let batch_voids: HashSet<&str> = new.iter().filter_map(|s| s.voids.as_deref()).collect();

        let first = self.reserve(collection.name(), new.len()).await?;
        let mut docs = Vec::with_capacity(new.len());
        for (item, seq) in new.iter().zip(first..) {
            let voided = item.voids.is_none()
                && (voided_by_stored.contains(&item.id) || batch_voids.contains(item.id.as_str()));
            docs.push(statement_document(&item.statement, seq, voided)?);
        }
        let oids: Vec<Bson> = docs
            .iter()
            .filter_map(|d| d.get_object_id("_id").ok().map(Bson::ObjectId))
            .collect();
        let raw = collection.clone_with_type::<RawDocumentBuf>();
        let mut not_new: HashSet<usize> = HashSet::new();
        if let Err(err) = raw.insert_many(docs).ordered(false).await {
            let failures = match err.kind.as_ref() {
                MongoErrorKind::InsertMany(failure) if failure.write_concern_error.is_none() => {
                    failure.write_errors.clone().unwrap_or_default()
                }
                _ => {
                    self.roll_back(collection, &oids, &HashSet::new()).await;
                    return Err(self.error(err));
                }
            };
            // A concurrent writer stored some of these ids since the lookup: equivalent ones
            // are not new, different ones fail the batch, which is then taken back.
            let mut failed = HashSet::new();
            let mut outcome = Ok(());
            for failure in &failures {
                failed.insert(failure.index);
                let Some(item) = new.get(failure.index) else {
                    continue;
                };
                if failure.code != DUPLICATE_KEY {
                    outcome = Err(Error::backend(format!(
                        "mongo refused statement `{}`: {}",
                        item.id, failure.message
                    )));
                    continue;
                }
                let existing = collection
                    .find_one(doc! {"_source.id": &item.id})
                    .await
                    .map_err(|e| self.error(e))?;
                match existing.as_ref().map(source_of).transpose()? {
                    Some(s) if equivalent(&s, &item.statement) => {
                        not_new.insert(failure.index);
                    }
                    _ => outcome = Err(conflict(&item.id)),
                }
            }
            if let Err(err) = outcome {
                self.roll_back(collection, &oids, &failed).await;
                return Err(err);
            }
        }
        // Voiding, in both directions, once the statements are visible: a voiding statement
        // stored concurrently with its target is seen by one of the two writers.
        if !batch_voids.is_empty() {
            let targets: Vec<&str> = batch_voids.iter().copied().collect();
            collection
                .update_many(
                    doc! {"_source.id": {"$in": targets}, "_ralph.voids": {"$exists": false}},
                    doc! {"$set": {"_ralph.voided": true}},
                )
                .await
                .map_err(|e| self.error(e))?;
        }
        let plain: Vec<&str> = new
            .iter()
            .filter(|s| s.voids.is_none())
            .map(|s| s.id.as_str())
            .collect();
        let late: Vec<String> = collection
            .find(doc! {"_ralph.voids": {"$in": &plain}})
            .projection(doc! {"_ralph.voids": 1})
            .await
            .map_err(|e| self.error(e))?
            .try_filter_map(|doc| async move { Ok(ralph_str(&doc, "voids")) })
            .try_collect()
            .await
            .map_err(|e| self.error(e))?;
        if !late.is_empty() {
            collection
                .update_many(
                    doc! {"_source.id": {"$in": late}, "_ralph.voids": {"$exists": false}},
                    doc! {"$set": {"_ralph.voided": true}},
                )
                .await
                .map_err(|e| self.error(e))?;
        }
        Ok(new
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !not_new.contains(i))
            .map(|(_, s)| s.id)
            .collect())
    }

    /// Deletes what this batch inserted (every `_id` but the failed ones), so that a refused
    /// batch stores nothing.
    async fn roll_back(
        &self,
        collection: &Collection<Document>,
        oids: &[Bson],
        failed: &HashSet<usize>,
    ) {
        let inserted: Vec<Bson> = oids
            .iter()
            .enumerate()
            .filter(|(i, _)| !failed.contains(i))
            .map(|(_, oid)| oid.clone())
            .collect();
        if inserted.is_empty() {
            return;
        }
        if let Err(err) = collection
            .delete_many(doc! {"_id": {"$in": inserted}})
            .await
        {
            tracing::error!(target: "ralph", "mongo: could not take back a refused batch: {err}");
        }
    }

    /// The first `wanted` statements of the page that meet the filters only through the
    /// statements their `StatementRef` targets (those meeting them directly come from the main
    /// query), with their `seq`. Only statements with a `StatementRef` object are read, in
    /// page order and in batches, through the sparse `ralph_refseq` index.
    async fn through_references(
        &self,
        collection: &mongodb::Collection<Document>,
        query: &StatementQuery,
        wanted: usize,
    ) -> Result<Vec<(i64, Value)>> {
        const BATCH: i64 = 500;
        let direction = if query.ascending { 1 } else { -1 };
        let op = if query.ascending { "$gt" } else { "$lt" };
        let mut after: Option<i64> = match &query.cursor {
            Some(cursor) => Some(
                cursor
                    .parse()
                    .map_err(|_| Error::invalid_input(format!("invalid cursor `{cursor}`")))?,
            ),
            None => None,
        };
        let mut out = Vec::new();
        loop {
            let range = match after {
                Some(after) => doc! {op: after},
                None => doc! {"$gte": i64::MIN},
            };
            let mut filter = doc! {"_ralph.refseq": range, "_ralph.voided": false};
            let mut stored = Document::new();
            if let Some(since) = query.since {
                stored.insert("$gt", since.timestamp_micros());
            }
            if let Some(until) = query.until {
                stored.insert("$lte", until.timestamp_micros());
            }
            if !stored.is_empty() {
                filter.insert("_ralph.stored", stored);
            }
            let docs: Vec<Document> = collection
                .find(filter)
                .projection(doc! {"_source": 1, "_ralph.seq": 1})
                .sort(doc! {"_ralph.refseq": direction})
                .limit(BATCH)
                .await
                .map_err(|e| self.error(e))?
                .try_collect()
                .await
                .map_err(|e| self.error(e))?;
            let exhausted = docs.len() < usize::try_from(BATCH).unwrap_or(usize::MAX);
            for doc in &docs {
                let seq = seq_of(doc).unwrap_or_default();
                after = Some(seq);
                let statement = source_of(doc)?;
                if query.matches(&statement) {
                    continue;
                }
                let chain = reference_chain(&statement, |id| async move {
                    let found = collection
                        .find_one(doc! {"_source.id": &id})
                        .projection(doc! {"_source": 1})
                        .await
                        .map_err(|e| self.error(e))?;
                    found.as_ref().map(source_of).transpose()
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

    fn filter(query: &StatementQuery) -> Result<Document> {
        let mut filter = doc! {"_ralph.voided": false};
        if let Some(verb) = &query.verb {
            filter.insert("_source.verb.id", verb);
        }
        if let Some(registration) = &query.registration {
            filter.insert("_ralph.registration", registration.to_ascii_lowercase());
        }
        if let Some(authority) = &query.authority {
            filter.insert("_ralph.authority", authority.key());
        }
        let mut stored = Document::new();
        if let Some(since) = query.since {
            stored.insert("$gt", since.timestamp_micros());
        }
        if let Some(until) = query.until {
            stored.insert("$lte", until.timestamp_micros());
        }
        if !stored.is_empty() {
            filter.insert("_ralph.stored", stored);
        }
        if let Some(agent) = &query.agent {
            let key = if query.related_agents {
                agent.key()
            } else {
                format!("={}", agent.key())
            };
            filter.insert("_ralph.agents", key);
        }
        if let Some(activity) = &query.activity {
            let key = if query.related_activities {
                activity.clone()
            } else {
                format!("={activity}")
            };
            filter.insert("_ralph.activities", key);
        }
        if let Some(cursor) = &query.cursor {
            let after: i64 = cursor
                .parse()
                .map_err(|_| Error::invalid_input(format!("invalid cursor `{cursor}`")))?;
            let op = if query.ascending { "$gt" } else { "$lt" };
            filter.insert("_ralph.seq", doc! {op: after});
        }
        Ok(filter)
    }
}

pub(crate) fn is_duplicate(err: &mongodb::error::Error) -> bool {
    match err.kind.as_ref() {
        MongoErrorKind::Command(cmd) => cmd.code == DUPLICATE_KEY,
        MongoErrorKind::Write(mongodb::error::WriteFailure::WriteError(w)) => {
            w.code == DUPLICATE_KEY
        }
        _ => false,
    }
}

fn seq_of(doc: &Document) -> Option<i64> {
    match doc.get_document("_ralph").ok()?.get("seq")? {
        Bson::Int64(v) => Some(*v),
        Bson::Int32(v) => Some(i64::from(*v)),
        _ => None,
    }
}

#[async_trait]
impl LrsStore for MongoStore {
    fn name(&self) -> &'static str {
        "mongo"
    }

    async fn status(&self) -> BackendStatus {
        match self
            .client
            .database("admin")
            .run_command(doc! {"ping": 1})
            .await
        {
            Ok(_) => BackendStatus::Ok,
            Err(_) => BackendStatus::Away,
        }
    }

    async fn insert(&self, target: Option<&str>, statements: Vec<Value>) -> Result<Vec<String>> {
        let collection = self.collection(target).await?;
        self.insert_batch(&collection, statements).await
    }

    async fn query(&self, target: Option<&str>, query: &StatementQuery) -> Result<StatementPage> {
        let collection = self.collection(target).await?;
        let limit = query.limit.max(1);
        let direction = if query.ascending { 1 } else { -1 };
        // One more document than asked tells whether a next page exists.
        let docs: Vec<Document> = collection
            .find(Self::filter(query)?)
            .projection(doc! {"_source": 1, "_ralph.seq": 1})
            .sort(doc! {"_ralph.seq": direction})
            .limit(i64::try_from(limit).unwrap_or(i64::MAX - 1) + 1)
            .await
            .map_err(|e| self.error(e))?
            .try_collect()
            .await
            .map_err(|e| self.error(e))?;
        let mut found: Vec<(i64, Value)> = docs
            .iter()
            .map(|doc| Ok((seq_of(doc).unwrap_or_default(), source_of(doc)?)))
            .collect::<Result<_>>()?;
        if query.follows_references() {
            let through = self
                .through_references(&collection, query, limit + 1)
                .await?;
            if !through.is_empty() {
                found.extend(through);
                found.sort_by_key(|(seq, _)| if query.ascending { *seq } else { -*seq });
            }
        }
        let more = found.len() > limit;
        found.truncate(limit);
        let last = found.last().map(|(seq, _)| *seq);
        Ok(StatementPage {
            statements: found.into_iter().map(|(_, s)| s).collect(),
            more: if more {
                last.map(|s| s.to_string())
            } else {
                None
            },
        })
    }

    async fn get(&self, target: Option<&str>, id: &str) -> Result<Option<FoundStatement>> {
        let collection = self.collection(target).await?;
        let Some(doc) = collection
            .find_one(doc! {"_source.id": id})
            .projection(doc! {"_source": 1, "_ralph.voided": 1})
            .await
            .map_err(|e| self.error(e))?
        else {
            return Ok(None);
        };
        let voided = doc
            .get_document("_ralph")
            .ok()
            .and_then(|r| r.get_bool("voided").ok())
            .unwrap_or(false);
        Ok(Some(FoundStatement {
            statement: source_of(&doc)?,
            voided,
        }))
    }

    async fn document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
    ) -> Result<Option<LrsDocument>> {
        let target = self.target_name(target)?;
        self.documents
            .get(target, key)
            .await
            .map_err(|e| self.error(e))
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
        agent: &Ifi,
        dry_run: bool,
    ) -> Result<u64> {
        let target = self.target_name(target)?;
        self.documents
            .delete_agent(target, &agent.key(), dry_run)
            .await
            .map_err(|e| self.error(e))
    }

    async fn document_ids(
        &self,
        target: Option<&str>,
        scope: &DocumentScope,
        since: Option<chrono::DateTime<Utc>>,
    ) -> Result<Vec<String>> {
        let target = self.target_name(target)?;
        self.documents
            .ids(target, scope, since)
            .await
            .map_err(|e| self.error(e))
    }

    async fn put_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        document: LrsDocument,
        precondition: &Precondition,
    ) -> Result<()> {
        let target = self.target_name(target)?;
        self.documents
            .put(target, key, &document, precondition)
            .await?
            .map_err(|e| self.error(e))
    }

    async fn delete_document(
        &self,
        target: Option<&str>,
        key: &DocumentKey,
        precondition: &Precondition,
    ) -> Result<()> {
        let target = self.target_name(target)?;
        self.documents
            .delete(target, key, precondition)
            .await?
            .map_err(|e| self.error(e))
    }

    async fn delete_documents(&self, target: Option<&str>, scope: &DocumentScope) -> Result<u64> {
        let target = self.target_name(target)?;
        self.documents
            .delete_scope(target, scope)
            .await
            .map_err(|e| self.error(e))
    }

    async fn put_attachment(&self, attachment: Attachment) -> Result<()> {
        self.documents
            .put_attachment(&attachment)
            .await
            .map_err(|e| self.error(e))
    }

    async fn attachment(&self, sha2: &str) -> Result<Option<Attachment>> {
        self.documents
            .attachment(sha2)
            .await
            .map_err(|e| self.error(e))
    }

    async fn close(&self) -> Result<()> {
        // Not waiting for live cursors: the caller may still hold an exhausted one.
        self.client.clone().shutdown().immediate(true).await;
        Ok(())
    }
}
