//! The behaviour suite every LRS statement store runs ([`LrsStore`]).
//!
//! Each function takes a fresh, empty store and checks one rule of the contract; a store's
//! integration tests call them one test each. [`run_all`] runs them in sequence on stores made by
//! a factory.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use ralph_core::lrs::{
    Attachment, Document, DocumentScope, Ifi, LrsStore, Precondition, StatementChunks,
    StatementQuery, VOIDED_VERB, stored_at,
};
use ralph_core::{Error, ErrorKind};
use serde_json::{Value, json};

static CLOCK: AtomicU64 = AtomicU64::new(0);

/// A statement id made from `n`.
pub fn id(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

/// A `stored` time, strictly increasing across calls in the process.
pub fn next_stored() -> String {
    let tick = CLOCK.fetch_add(1, Ordering::Relaxed);
    let secs = 1_700_000_000 + tick / 1000;
    let micros = (tick % 1000) * 1000;
    let time = chrono::DateTime::from_timestamp(
        i64::try_from(secs).unwrap_or(i64::MAX),
        u32::try_from(micros * 1000).unwrap_or(0),
    )
    .unwrap_or_default();
    time.to_rfc3339_opts(chrono::SecondsFormat::Micros, false)
}

/// A complete statement (`id` from `n`, a fresh `stored`) by `mailto:{actor}@example.org`.
pub fn statement(n: u64, actor: &str, verb: &str, activity: &str) -> Value {
    json!({
        "id": id(n),
        "actor": {"objectType": "Agent", "mbox": format!("mailto:{actor}@example.org")},
        "verb": {"id": format!("http://example.org/verbs/{verb}")},
        "object": {"objectType": "Activity", "id": format!("http://example.org/activities/{activity}")},
        "timestamp": "2024-01-15T10:00:00+00:00",
        "stored": next_stored(),
        "authority": {"objectType": "Agent", "mbox": "mailto:lrs@example.org"},
    })
}

/// A statement `n` voiding statement `target`.
pub fn voiding(n: u64, target: u64) -> Value {
    json!({
        "id": id(n),
        "actor": {"mbox": "mailto:admin@example.org"},
        "verb": {"id": VOIDED_VERB},
        "object": {"objectType": "StatementRef", "id": id(target)},
        "stored": next_stored(),
    })
}

fn ids(statements: &[Value]) -> Vec<String> {
    statements
        .iter()
        .map(|s| s["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn query(limit: usize) -> StatementQuery {
    StatementQuery {
        limit,
        ..Default::default()
    }
}

fn mbox(name: &str) -> Ifi {
    Ifi::Mbox(format!("mailto:{name}@example.org"))
}

async fn all(store: &dyn LrsStore, target: Option<&str>, q: StatementQuery) -> Vec<String> {
    let mut out = Vec::new();
    let mut q = StatementQuery { limit: 1000, ..q };
    loop {
        let page = store.query(target, &q).await.expect("query");
        out.extend(ids(&page.statements));
        match page.more {
            Some(cursor) => q.cursor = Some(cursor),
            None => return out,
        }
    }
}

/// A stored statement comes back whole from `get` and `query`.
pub async fn insert_then_get(store: &dyn LrsStore) {
    let s = statement(1, "alice", "completed", "course");
    let inserted = store.insert(None, vec![s.clone()]).await.expect("insert");
    assert_eq!(inserted, vec![id(1)]);
    let found = store.get(None, &id(1)).await.expect("get").expect("found");
    assert_eq!(found.statement, s);
    assert!(!found.voided);
    assert!(store.get(None, &id(2)).await.expect("get").is_none());
    let page = store.query(None, &query(10)).await.expect("query");
    assert_eq!(page.statements, vec![s]);
    assert_eq!(page.more, None);
}

/// Storing an equivalent statement again is a no-op; a different one under the same id is a
/// conflict and stores nothing of its batch.
pub async fn idempotence_and_conflicts(store: &dyn LrsStore) {
    let s = statement(1, "alice", "completed", "course");
    store.insert(None, vec![s.clone()]).await.expect("insert");
    let mut again = s.clone();
    again["stored"] = json!(next_stored());
    again["authority"] = json!({"mbox": "mailto:other@example.org"});
    let inserted = store
        .insert(None, vec![again])
        .await
        .expect("equivalent insert");
    assert!(inserted.is_empty(), "nothing new stored: {inserted:?}");

    let different = statement(1, "alice", "failed", "course");
    let batch = vec![statement(2, "bob", "completed", "course"), different];
    let err = store.insert(None, batch).await.expect_err("conflict");
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(err.to_string().contains(&id(1)), "{err}");
    assert!(
        store.get(None, &id(2)).await.expect("get").is_none(),
        "a conflicting batch stores nothing"
    );

    // Duplicates inside one batch are stored once.
    let s3 = statement(3, "carol", "completed", "course");
    let inserted = store
        .insert(None, vec![s3.clone(), s3])
        .await
        .expect("duplicates");
    assert_eq!(inserted, vec![id(3)]);
    assert_eq!(all(store, None, query(10)).await, vec![id(3), id(1)]);
}

/// The chunks `chunks`, sent in order, ready for [`LrsStore::insert_chunks`].
fn chunks_of(chunks: Vec<ralph_core::Result<Vec<Value>>>) -> StatementChunks {
    let (sender, receiver) = tokio::sync::mpsc::channel(chunks.len().max(1));
    for chunk in chunks {
        sender.try_send(chunk).expect("room for every chunk");
    }
    receiver
}

/// A batch sent in chunks is stored as the batch of their statements; an error chunk stores
/// nothing of it and is the error returned, even after a conflict.
pub async fn chunked_batches(store: &dyn LrsStore) {
    let s1 = statement(1, "alice", "completed", "course");
    let s2 = statement(2, "bob", "completed", "course");
    let s3 = statement(3, "carol", "completed", "course");
    let chunks = chunks_of(vec![Ok(vec![s1.clone(), s2]), Ok(vec![s3, s1.clone()])]);
    let inserted = store.insert_chunks(None, chunks).await.expect("chunks");
    assert_eq!(inserted, vec![id(1), id(2), id(3)]);
    assert_eq!(all(store, None, query(10)).await, vec![id(3), id(2), id(1)]);

    // An error after chunks the store accepted: nothing of the batch is stored.
    let chunks = chunks_of(vec![
        Ok(vec![statement(4, "dave", "completed", "course")]),
        Err(Error::invalid_input("statements[1].verb: missing")),
    ]);
    let err = store
        .insert_chunks(None, chunks)
        .await
        .expect_err("error chunk");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(err.message(), "statements[1].verb: missing");
    assert!(store.get(None, &id(4)).await.expect("get").is_none());

    // A conflict, then an error chunk: the error chunk is the answer.
    let different = statement(1, "alice", "failed", "course");
    let chunks = chunks_of(vec![
        Ok(vec![
            statement(5, "erin", "completed", "course"),
            different.clone(),
        ]),
        Ok(vec![statement(6, "frank", "completed", "course")]),
        Err(Error::invalid_input("statements[3].actor: missing")),
    ]);
    let err = store
        .insert_chunks(None, chunks)
        .await
        .expect_err("error chunk");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(err.message(), "statements[3].actor: missing");

    // A conflict alone fails the batch as in `insert`.
    let chunks = chunks_of(vec![
        Ok(vec![statement(5, "erin", "completed", "course")]),
        Ok(vec![different]),
    ]);
    let err = store
        .insert_chunks(None, chunks)
        .await
        .expect_err("conflict");
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(err.to_string().contains(&id(1)), "{err}");
    for n in [5, 6] {
        assert!(store.get(None, &id(n)).await.expect("get").is_none(), "{n}");
    }
    assert_eq!(all(store, None, query(10)).await, vec![id(3), id(2), id(1)]);
}

/// Every filter: agent (direct and related), verb, activity (direct and related), registration,
/// since/until on `stored`, authority.
pub async fn filters(store: &dyn LrsStore) {
    let mut s1 = statement(1, "alice", "completed", "course");
    s1["context"] = json!({
        "registration": "6F3C4E0A-0000-4000-8000-000000000001",
        "instructor": {"mbox": "mailto:teacher@example.org"},
        "contextActivities": {"parent": [{"id": "http://example.org/activities/program"}]},
    });
    let s2 = statement(2, "bob", "completed", "program");
    let s3 = statement(3, "alice", "failed", "quiz");
    let mut s4 = statement(4, "bob", "answered", "quiz");
    s4["object"] = json!({"objectType": "Agent", "mbox": "mailto:alice@example.org"});
    let stored2 = s2["stored"].as_str().unwrap_or_default().to_owned();
    store
        .insert(None, vec![s1, s2, s3, s4])
        .await
        .expect("insert");

    let q = |f: fn(&mut StatementQuery)| {
        let mut q = query(100);
        f(&mut q);
        q
    };
    assert_eq!(
        all(store, None, q(|q| q.agent = Some(mbox("alice")))).await,
        vec![id(4), id(3), id(1)],
        "agent: actor or object"
    );
    assert_eq!(
        all(store, None, q(|q| q.agent = Some(mbox("teacher")))).await,
        Vec::<String>::new()
    );
    assert_eq!(
        all(
            store,
            None,
            q(|q| {
                q.agent = Some(mbox("teacher"));
                q.related_agents = true;
            })
        )
        .await,
        vec![id(1)],
        "related_agents looks at the instructor"
    );
    assert_eq!(
        all(
            store,
            None,
            q(|q| q.verb = Some("http://example.org/verbs/completed".into()))
        )
        .await,
        vec![id(2), id(1)]
    );
    assert_eq!(
        all(
            store,
            None,
            q(|q| q.activity = Some("http://example.org/activities/program".into()))
        )
        .await,
        vec![id(2)]
    );
    assert_eq!(
        all(
            store,
            None,
            q(|q| {
                q.activity = Some("http://example.org/activities/program".into());
                q.related_activities = true;
            })
        )
        .await,
        vec![id(2), id(1)],
        "related_activities looks at context activities"
    );
    assert_eq!(
        all(
            store,
            None,
            q(|q| q.registration = Some("6f3c4e0a-0000-4000-8000-000000000001".into()))
        )
        .await,
        vec![id(1)],
        "registrations compare case-insensitively"
    );
    let at2: chrono::DateTime<chrono::Utc> = stored2.parse().expect("stored time");
    let mut since = query(100);
    since.since = Some(at2);
    assert_eq!(
        all(store, None, since).await,
        vec![id(4), id(3)],
        "since is exclusive"
    );
    let mut until = query(100);
    until.until = Some(at2);
    assert_eq!(
        all(store, None, until).await,
        vec![id(2), id(1)],
        "until is inclusive"
    );
    let mut mine = query(100);
    mine.authority = Some(mbox("lrs"));
    assert_eq!(all(store, None, mine.clone()).await.len(), 4);
    mine.authority = Some(mbox("nobody"));
    assert!(all(store, None, mine).await.is_empty());
}

/// Pages: `limit`, the `more` cursor, `ascending`; a cursor stays valid and exact while
/// statements are stored between pages; a full last page has no `more`.
pub async fn paging(store: &dyn LrsStore) {
    let batch: Vec<Value> = (1..=5)
        .map(|n| statement(n, "alice", "completed", "course"))
        .collect();
    store.insert(None, batch).await.expect("insert");
    let first = store.query(None, &query(2)).await.expect("page 1");
    assert_eq!(ids(&first.statements), vec![id(5), id(4)]);
    let cursor = first.more.expect("more");
    store
        .insert(None, vec![statement(6, "alice", "completed", "course")])
        .await
        .expect("insert between pages");
    let second = store
        .query(
            None,
            &StatementQuery {
                cursor: Some(cursor),
                ..query(2)
            },
        )
        .await
        .expect("page 2");
    assert_eq!(ids(&second.statements), vec![id(3), id(2)]);
    let third = store
        .query(
            None,
            &StatementQuery {
                cursor: second.more,
                ..query(2)
            },
        )
        .await
        .expect("page 3");
    assert_eq!(ids(&third.statements), vec![id(1)]);
    assert_eq!(third.more, None);

    let ascending = StatementQuery {
        ascending: true,
        ..query(3)
    };
    let page = store.query(None, &ascending).await.expect("ascending");
    assert_eq!(ids(&page.statements), vec![id(1), id(2), id(3)]);
    let rest = store
        .query(
            None,
            &StatementQuery {
                cursor: page.more,
                ..ascending
            },
        )
        .await
        .expect("ascending page 2");
    assert_eq!(ids(&rest.statements), vec![id(4), id(5), id(6)]);
    assert_eq!(rest.more, None, "a full last page has no more link");
}

/// Voiding: before or after the target arrives; voided statements leave queries but `get`
/// still finds them, flagged; a voiding statement cannot be voided.
pub async fn voiding_rules(store: &dyn LrsStore) {
    store
        .insert(
            None,
            vec![
                statement(1, "alice", "completed", "course"),
                statement(2, "alice", "completed", "course"),
            ],
        )
        .await
        .expect("insert");
    store
        .insert(None, vec![voiding(10, 1)])
        .await
        .expect("void 1");
    // Voids a statement that is not stored yet: it is voided when it arrives.
    store
        .insert(None, vec![voiding(11, 3)])
        .await
        .expect("void 3 first");
    store
        .insert(None, vec![statement(3, "alice", "completed", "course")])
        .await
        .expect("then 3");
    assert!(
        store
            .get(None, &id(1))
            .await
            .expect("get")
            .expect("1")
            .voided
    );
    assert!(
        store
            .get(None, &id(3))
            .await
            .expect("get")
            .expect("3")
            .voided
    );
    assert!(
        !store
            .get(None, &id(2))
            .await
            .expect("get")
            .expect("2")
            .voided
    );
    assert!(
        !store
            .get(None, &id(10))
            .await
            .expect("get")
            .expect("10")
            .voided
    );
    assert_eq!(
        all(store, None, query(100)).await,
        vec![id(11), id(10), id(2)],
        "voided statements are left out, voiding ones are returned"
    );
    let err = store
        .insert(None, vec![voiding(12, 10)])
        .await
        .expect_err("voiding a voiding statement");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(store.get(None, &id(12)).await.expect("get").is_none());
    assert!(
        !store
            .get(None, &id(10))
            .await
            .expect("get")
            .expect("10")
            .voided
    );
}

/// Targets are disjoint: the same id may exist in two targets, and queries see one target.
pub async fn targets_are_disjoint(store: &dyn LrsStore) {
    store
        .insert(
            Some("a"),
            vec![statement(1, "alice", "completed", "course")],
        )
        .await
        .expect("insert a");
    store
        .insert(Some("b"), vec![statement(1, "bob", "failed", "quiz")])
        .await
        .expect("same id in b");
    assert_eq!(all(store, Some("a"), query(10)).await, vec![id(1)]);
    assert!(all(store, None, query(10)).await.is_empty());
    let b = store.get(Some("b"), &id(1)).await.expect("get").expect("b");
    assert_eq!(b.statement["actor"]["mbox"], "mailto:bob@example.org");
}

/// 100 concurrent writers, each storing a distinct statement (and one shared statement): every
/// statement is stored exactly once.
pub async fn concurrent_writers(store: Arc<dyn LrsStore>) {
    let shared = statement(10_000, "shared", "completed", "course");
    let mut tasks = Vec::new();
    for n in 1..=100 {
        let store = store.clone();
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            store
                .insert(
                    None,
                    vec![statement(n, "alice", "completed", "course"), shared],
                )
                .await
        }));
    }
    let mut inserted = 0;
    for task in tasks {
        inserted += task.await.expect("task").expect("insert").len();
    }
    assert_eq!(inserted, 101, "each statement reported new exactly once");
    let stored = all(store.as_ref(), None, query(1000)).await;
    assert_eq!(stored.len(), 101);
    let unique: std::collections::HashSet<_> = stored.iter().collect();
    assert_eq!(unique.len(), 101);
}

/// Runs every suite function, each on a fresh store from `fresh`.
pub async fn run_all<F, Fut>(fresh: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn LrsStore>>,
{
    insert_then_get(fresh().await.as_ref()).await;
    idempotence_and_conflicts(fresh().await.as_ref()).await;
    chunked_batches(fresh().await.as_ref()).await;
    filters(fresh().await.as_ref()).await;
    paging(fresh().await.as_ref()).await;
    voiding_rules(fresh().await.as_ref()).await;
    targets_are_disjoint(fresh().await.as_ref()).await;
    concurrent_writers(fresh().await).await;
    filters_follow_statement_refs(fresh().await.as_ref()).await;
    documents_round_trip(fresh().await.as_ref()).await;
    document_preconditions(fresh().await.as_ref()).await;
    document_ids_and_deletes(fresh().await.as_ref()).await;
    concurrent_document_writers(fresh().await).await;
    attachments_are_kept_once(fresh().await.as_ref()).await;
}

/// A statement `n` by `actor` whose object is a `StatementRef` to statement `target`.
pub fn referencing(n: u64, actor: &str, verb: &str, target: u64) -> Value {
    json!({
        "id": id(n),
        "actor": {"mbox": format!("mailto:{actor}@example.org")},
        "verb": {"id": format!("http://example.org/verbs/{verb}")},
        "object": {"objectType": "StatementRef", "id": id(target)},
        "stored": next_stored(),
    })
}

/// The `agent`, `verb`, `activity` and `registration` filters are also met through the
/// statements a statement targets with a `StatementRef` (recursively, even when the target is
/// voided); time filters apply to the statement itself; pages still follow each other exactly.
pub async fn filters_follow_statement_refs(store: &dyn LrsStore) {
    let target = statement(1, "alice", "x", "a");
    store.insert(None, vec![target]).await.expect("insert");
    store.insert(None, vec![voiding(2, 1)]).await.expect("void");
    let direct_ref = referencing(3, "bob", "y", 1);
    store
        .insert(None, vec![direct_ref.clone()])
        .await
        .expect("ref");
    let chained = referencing(4, "dan", "z", 3);
    store
        .insert(None, vec![chained])
        .await
        .expect("chained ref");
    store
        .insert(None, vec![statement(5, "carol", "x", "b")])
        .await
        .expect("insert");
    store
        .insert(None, vec![statement(6, "carol", "w", "b")])
        .await
        .expect("insert");
    let verb_x = StatementQuery {
        verb: Some("http://example.org/verbs/x".into()),
        ..query(100)
    };
    assert_eq!(
        all(store, None, verb_x.clone()).await,
        [id(5), id(4), id(3), id(2)],
        "the voided target itself is left out; what targets it is in"
    );
    let mut paged = Vec::new();
    let mut q = StatementQuery {
        limit: 1,
        ..verb_x.clone()
    };
    loop {
        let page = store.query(None, &q).await.expect("query");
        assert!(page.statements.len() <= 1);
        paged.extend(ids(&page.statements));
        match page.more {
            Some(cursor) => q.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(paged, [id(5), id(4), id(3), id(2)], "pages of one");
    let by_bob = StatementQuery {
        agent: Some(mbox("bob")),
        ..verb_x.clone()
    };
    assert_eq!(
        all(store, None, by_bob).await,
        [id(4), id(3)],
        "each filter may be met by another statement of the chain"
    );
    let activity_a = StatementQuery {
        activity: Some("http://example.org/activities/a".into()),
        ascending: true,
        ..query(100)
    };
    assert_eq!(all(store, None, activity_a).await, [id(2), id(3), id(4)]);
    let since = StatementQuery {
        since: stored_at(&direct_ref),
        ..verb_x
    };
    assert_eq!(
        all(store, None, since).await,
        [id(5), id(4)],
        "time filters apply to the referencing statement itself"
    );
}

fn doc(content: &str, content_type: &str, at: &str) -> Document {
    Document::new(
        Bytes::from(content.to_owned()),
        content_type,
        at.parse().expect("time"),
    )
}

/// A document comes back with its bytes, content type, ETag and time; each resource, scope,
/// registration and target is its own namespace.
pub async fn documents_round_trip(store: &dyn LrsStore) {
    let state = DocumentScope::state("http://example.org/a", mbox("alice"), None);
    let key = state.document("bookmark");
    assert!(store.document(None, &key).await.expect("get").is_none());
    let d = doc(r#"{"page": 3}"#, "application/json", "2024-01-01T00:00:00Z");
    store
        .put_document(None, &key, d.clone(), &Precondition::Any)
        .await
        .expect("put");
    let got = store
        .document(None, &key)
        .await
        .expect("get")
        .expect("found");
    assert_eq!(got, d);
    assert_eq!(got.etag, ralph_core::lrs::etag_of(br#"{"page": 3}"#));

    // Binary content is kept byte for byte.
    let binary = Document::new(
        Bytes::from_static(&[0, 159, 146, 150, 255]),
        "application/octet-stream",
        "2024-01-01T00:00:01Z".parse().expect("time"),
    );
    let other_scopes = [
        DocumentScope::state("http://example.org/a", mbox("alice"), Some("AA".repeat(4))),
        DocumentScope::state("http://example.org/a", mbox("bob"), None),
        DocumentScope::state("http://example.org/b", mbox("alice"), None),
        DocumentScope::activity_profile("http://example.org/a"),
        DocumentScope::agent_profile(mbox("alice")),
    ];
    for scope in &other_scopes {
        assert!(
            store
                .document(None, &scope.document("bookmark"))
                .await
                .expect("get")
                .is_none(),
            "{scope:?} is another namespace"
        );
        store
            .put_document(
                None,
                &scope.document("bookmark"),
                binary.clone(),
                &Precondition::Any,
            )
            .await
            .expect("put");
    }
    assert_eq!(
        store.document(None, &key).await.expect("get"),
        Some(d.clone()),
        "other scopes did not overwrite the first document"
    );
    let agent_key = DocumentScope::agent_profile(mbox("alice")).document("bookmark");
    assert_eq!(
        store.document(None, &agent_key).await.expect("get"),
        Some(binary)
    );
    assert!(
        store
            .document(Some("tenant"), &key)
            .await
            .expect("get")
            .is_none(),
        "targets are disjoint"
    );
    // Replacing keeps one document.
    let newer = doc("plain text", "text/plain", "2024-02-01T00:00:00Z");
    store
        .put_document(None, &key, newer.clone(), &Precondition::Any)
        .await
        .expect("replace");
    assert_eq!(store.document(None, &key).await.expect("get"), Some(newer));
}

/// Conditional writes and deletes apply only when their precondition holds, and change nothing
/// otherwise.
pub async fn document_preconditions(store: &dyn LrsStore) {
    let key = DocumentScope::activity_profile("http://example.org/a").document("p");
    let first = doc("1", "application/json", "2024-01-01T00:00:00Z");
    let second = doc("2", "application/json", "2024-01-01T00:00:01Z");
    let failed = |r: ralph_core::Result<()>| {
        assert_eq!(
            r.expect_err("precondition must fail").kind(),
            ErrorKind::PreconditionFailed
        );
    };
    failed(
        store
            .put_document(None, &key, first.clone(), &Precondition::Exists)
            .await,
    );
    failed(
        store
            .put_document(
                None,
                &key,
                first.clone(),
                &Precondition::Matches(first.etag.clone()),
            )
            .await,
    );
    assert!(store.document(None, &key).await.expect("get").is_none());
    store
        .put_document(None, &key, first.clone(), &Precondition::Absent)
        .await
        .expect("create");
    failed(
        store
            .put_document(None, &key, second.clone(), &Precondition::Absent)
            .await,
    );
    failed(
        store
            .put_document(
                None,
                &key,
                second.clone(),
                &Precondition::Matches(second.etag.clone()),
            )
            .await,
    );
    assert_eq!(
        store.document(None, &key).await.expect("get"),
        Some(first.clone())
    );
    store
        .put_document(
            None,
            &key,
            second.clone(),
            &Precondition::Matches(first.etag.clone()),
        )
        .await
        .expect("matching etag");
    failed(
        store
            .delete_document(None, &key, &Precondition::Matches(first.etag.clone()))
            .await,
    );
    assert_eq!(
        store.document(None, &key).await.expect("get"),
        Some(second.clone())
    );
    store
        .delete_document(None, &key, &Precondition::Matches(second.etag.clone()))
        .await
        .expect("delete");
    assert!(store.document(None, &key).await.expect("get").is_none());
    store
        .delete_document(None, &key, &Precondition::Any)
        .await
        .expect("deleting a missing document is not an error");
}

/// Ids are listed sorted, filtered by `since` (exclusive) and by registration; deleting a
/// scope deletes every registration only when none is given.
pub async fn document_ids_and_deletes(store: &dyn LrsStore) {
    let agent = mbox("alice");
    let activity = "http://example.org/a";
    let registration = Some("6f1cbd4e-0000-4000-8000-000000000001".to_owned());
    let none = DocumentScope::state(activity, agent.clone(), None);
    let reg = DocumentScope::state(activity, agent.clone(), registration.clone());
    for (scope, id, at) in [
        (&none, "b", "2024-01-01T00:00:00Z"),
        (&none, "a", "2024-01-03T00:00:00Z"),
        (&reg, "c", "2024-01-02T00:00:00Z"),
    ] {
        store
            .put_document(
                None,
                &scope.document(id),
                doc("{}", "application/json", at),
                &Precondition::Any,
            )
            .await
            .expect("put");
    }
    let other = DocumentScope::state("http://example.org/other", agent.clone(), None);
    store
        .put_document(
            None,
            &other.document("z"),
            doc("{}", "application/json", "2024-01-01T00:00:00Z"),
            &Precondition::Any,
        )
        .await
        .expect("put");
    let ids = |scope: DocumentScope, since: Option<&'static str>| async move {
        store
            .document_ids(None, &scope, since.map(|s| s.parse().expect("time")))
            .await
            .expect("ids")
    };
    assert_eq!(ids(none.clone(), None).await, ["a", "b", "c"]);
    assert_eq!(ids(reg.clone(), None).await, ["c"]);
    assert_eq!(
        ids(none.clone(), Some("2024-01-01T00:00:00Z")).await,
        ["a", "c"],
        "since is exclusive"
    );
    assert!(
        store
            .document_ids(Some("tenant"), &none, None)
            .await
            .expect("ids")
            .is_empty()
    );
    assert_eq!(store.delete_documents(None, &reg).await.expect("delete"), 1);
    assert_eq!(ids(none.clone(), None).await, ["a", "b"]);
    assert_eq!(
        store.delete_documents(None, &none).await.expect("delete"),
        2
    );
    assert!(ids(none, None).await.is_empty());
    assert_eq!(ids(other, None).await, ["z"], "other activities are kept");
}

/// Writers racing on one document with `If-Match` on the same ETag: exactly one wins.
pub async fn concurrent_document_writers(store: Arc<dyn LrsStore>) {
    let key = DocumentScope::agent_profile(mbox("racer")).document("p");
    let first = doc("0", "application/json", "2024-01-01T00:00:00Z");
    store
        .put_document(None, &key, first.clone(), &Precondition::Any)
        .await
        .expect("put");
    let mut tasks = Vec::new();
    for n in 1..=8 {
        let store = Arc::clone(&store);
        let key = key.clone();
        let etag = first.etag.clone();
        tasks.push(tokio::spawn(async move {
            let d = doc(&n.to_string(), "application/json", "2024-01-02T00:00:00Z");
            store
                .put_document(None, &key, d, &Precondition::Matches(etag))
                .await
        }));
    }
    let mut won = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(()) => won += 1,
            Err(err) => assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}"),
        }
    }
    assert_eq!(won, 1, "exactly one conditional writer wins");
}

/// An attachment is kept by its SHA-256; storing it again is a no-op.
pub async fn attachments_are_kept_once(store: &dyn LrsStore) {
    let a = Attachment::new(Bytes::from_static(b"hello attachment"), "text/plain");
    assert!(store.attachment(&a.sha2).await.expect("get").is_none());
    store.put_attachment(a.clone()).await.expect("put");
    store.put_attachment(a.clone()).await.expect("put again");
    assert_eq!(store.attachment(&a.sha2).await.expect("get"), Some(a));
}
