//! The behaviour suite every LRS statement store runs ([`LrsStore`]).
//!
//! Each function takes a fresh, empty store and checks one rule of the contract; a store's
//! integration tests call them one test each. [`run_all`] runs them in sequence on stores made by
//! a factory.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ralph_core::ErrorKind;
use ralph_core::lrs::{Ifi, LrsStore, StatementQuery, VOIDED_VERB};
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
    filters(fresh().await.as_ref()).await;
    paging(fresh().await.as_ref()).await;
    voiding_rules(fresh().await.as_ref()).await;
    targets_are_disjoint(fresh().await.as_ref()).await;
    concurrent_writers(fresh().await).await;
}
