//! The behaviour suite of deletion, retention and pseudonymisation every LRS store runs
//! ([`LrsStore::delete_statements`], [`LrsStore::delete_agent_documents`],
//! [`LrsStore::pseudonymize`]).
//!
//! Each function takes a fresh, empty store; [`run_all`] runs them in sequence.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use ralph_core::ErrorKind;
use ralph_core::lrs::{
    Attachment, DeleteFilter, DeleteReport, Document, DocumentScope, Ifi, LrsStore, Precondition,
    Pseudonymizer, StatementQuery, stored_at,
};
use serde_json::{Value, json};

use crate::lrs::{id, referencing, statement, voiding};

fn mbox(name: &str) -> Ifi {
    Ifi::Mbox(format!("mailto:{name}@example.org"))
}

fn stored(statement: &Value) -> DateTime<Utc> {
    stored_at(statement).expect("stored")
}

fn report(matched: u64, deleted: u64) -> DeleteReport {
    DeleteReport {
        matched,
        deleted,
        documents: None,
    }
}

/// Which of statements `1..=n` of `target` are still stored (voided or not).
async fn present(store: &dyn LrsStore, target: Option<&str>, n: u64) -> Vec<u64> {
    let mut out = Vec::new();
    for i in 1..=n {
        if store.get(target, &id(i)).await.expect("get").is_some() {
            out.push(i);
        }
    }
    out
}

async fn delete(store: &dyn LrsStore, filter: DeleteFilter, dry_run: bool) -> DeleteReport {
    store
        .delete_statements(None, &filter, dry_run)
        .await
        .expect("delete")
}

/// Deleting by `agent` (anywhere in the statement), `verb`, `activity`, `registration`,
/// `since` and `until`: each deletes what it matches (voided statements and statements
/// matching through a `StatementRef` included) and nothing else; a dry run only counts; an
/// empty filter is refused; a second run finds nothing.
pub async fn delete_by_each_field(store: &dyn LrsStore) {
    let mut s3 = statement(3, "alice", "failed", "quiz");
    s3["context"] = json!({"registration": "AAAAAAAA-0000-4000-8000-000000000001"});
    let mut s4 = statement(4, "carol", "experienced", "course");
    s4["context"] = json!({"instructor": {"mbox": "mailto:alice@example.org"}});
    let mut s7 = statement(7, "frank", "attempted", "lesson");
    s7["context"] = json!({"registration": "bbbbbbbb-0000-4000-8000-000000000002"});
    let s6 = statement(6, "erin", "answered", "page");
    let batch = vec![
        statement(1, "alice", "completed", "course"),
        statement(2, "bob", "completed", "quiz"),
        s3,
        s4,
        referencing(5, "dave", "commented", 2),
        s6.clone(),
        s7,
        voiding(8, 7),
        statement(9, "gina", "attempted", "lesson"),
        statement(10, "hugo", "answered", "page"),
        statement(11, "ines", "answered", "page"),
    ];
    store.insert(None, batch).await.expect("insert");
    let all: Vec<u64> = (1..=11).collect();

    let err = store
        .delete_statements(None, &DeleteFilter::default(), false)
        .await
        .expect_err("an empty filter");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);

    let alice = DeleteFilter {
        agent: Some(mbox("alice")),
        ..DeleteFilter::default()
    };
    assert_eq!(delete(store, alice.clone(), true).await, report(3, 0));
    assert_eq!(
        present(store, None, 11).await,
        all,
        "a dry run deletes nothing"
    );
    assert_eq!(delete(store, alice.clone(), false).await, report(3, 3));
    assert_eq!(present(store, None, 11).await, [2, 5, 6, 7, 8, 9, 10, 11]);
    assert_eq!(delete(store, alice, false).await, report(0, 0), "done");

    // Statement 5 is a comment on statement 2: it goes with it.
    let completed = DeleteFilter {
        verb: Some("http://example.org/verbs/completed".into()),
        ..DeleteFilter::default()
    };
    assert_eq!(delete(store, completed, false).await, report(2, 2));
    assert_eq!(present(store, None, 11).await, [6, 7, 8, 9, 10, 11]);

    // Statement 7 is voided by statement 8, which targets it.
    let registration = DeleteFilter {
        registration: Some("BBBBBBBB-0000-4000-8000-000000000002".into()),
        ..DeleteFilter::default()
    };
    assert_eq!(delete(store, registration, false).await, report(2, 2));
    assert_eq!(present(store, None, 11).await, [6, 9, 10, 11]);

    let lesson = DeleteFilter {
        activity: Some("http://example.org/activities/lesson".into()),
        ..DeleteFilter::default()
    };
    assert_eq!(delete(store, lesson, false).await, report(1, 1));
    assert_eq!(present(store, None, 11).await, [6, 10, 11]);

    let until = DeleteFilter {
        until: Some(stored(&s6)),
        ..DeleteFilter::default()
    };
    assert_eq!(delete(store, until, false).await, report(1, 1));
    assert_eq!(present(store, None, 11).await, [10, 11]);
    let since = DeleteFilter {
        since: Some(stored(&s6)),
        verb: Some("http://example.org/verbs/answered".into()),
        ..DeleteFilter::default()
    };
    assert_eq!(delete(store, since, false).await, report(2, 2));
    assert!(present(store, None, 11).await.is_empty());
    let page = store
        .query(
            None,
            &StatementQuery {
                limit: 10,
                ..StatementQuery::default()
            },
        )
        .await
        .expect("query");
    assert!(page.statements.is_empty());
}

/// A retention purge deletes the statements stored at or before a time, in its target only.
pub async fn purge_by_stored_time(store: &dyn LrsStore) {
    let old: Vec<Value> = (1..=3)
        .map(|n| statement(n, "alice", "completed", "course"))
        .collect();
    let cutoff = stored(&old[2]);
    store.insert(None, old).await.expect("insert");
    // A target no other test uses (on servers, targets are indices, collections or tables).
    let other = crate::unique_name("purge");
    store
        .insert(
            Some(&other),
            vec![statement(20, "alice", "completed", "course")],
        )
        .await
        .expect("insert in another target");
    store
        .insert(None, vec![statement(4, "bob", "completed", "course")])
        .await
        .expect("insert new");
    let purge = DeleteFilter::stored_until(cutoff);
    assert_eq!(delete(store, purge.clone(), true).await, report(3, 0));
    assert_eq!(present(store, None, 4).await, [1, 2, 3, 4]);
    assert_eq!(delete(store, purge.clone(), false).await, report(3, 3));
    assert_eq!(present(store, None, 4).await, [4]);
    assert_eq!(delete(store, purge, false).await, report(0, 0));
    assert!(
        store
            .get(Some(&other), &id(20))
            .await
            .expect("get")
            .is_some(),
        "other targets are left alone"
    );
}

/// The attachments of deleted statements go with them, unless another statement references
/// them.
pub async fn deleted_attachments_go(store: &dyn LrsStore) {
    let a = Attachment::new(Bytes::from_static(b"attachment a"), "text/plain");
    let b = Attachment::new(Bytes::from_static(b"attachment b"), "text/plain");
    store.put_attachment(a.clone()).await.expect("put a");
    store.put_attachment(b.clone()).await.expect("put b");
    let with = |n: u64, actor: &str, attachments: &[&Attachment]| {
        let mut s = statement(n, actor, "uploaded", "essay");
        s["attachments"] = attachments
            .iter()
            .map(|x| {
                json!({"usageType": "http://example.org/essay", "display": {"en": "essay"},
                       "contentType": "text/plain", "length": x.content.len(), "sha2": x.sha2})
            })
            .collect();
        s
    };
    store
        .insert(
            None,
            vec![with(1, "alice", &[&a]), with(2, "bob", &[&a, &b])],
        )
        .await
        .expect("insert");
    let by = |name: &str| DeleteFilter {
        agent: Some(mbox(name)),
        ..DeleteFilter::default()
    };
    assert_eq!(delete(store, by("alice"), false).await, report(1, 1));
    assert!(
        store.attachment(&a.sha2).await.expect("get").is_some(),
        "still referenced by statement 2"
    );
    assert_eq!(delete(store, by("bob"), true).await, report(1, 0));
    assert!(store.attachment(&b.sha2).await.expect("get").is_some());
    assert_eq!(delete(store, by("bob"), false).await, report(1, 1));
    assert!(store.attachment(&a.sha2).await.expect("get").is_none());
    assert!(store.attachment(&b.sha2).await.expect("get").is_none());
}

/// `documents: true`: the states (every activity and registration) and agent profiles of the
/// agent go; other agents' documents and activity profiles stay.
pub async fn agent_documents_go(store: &dyn LrsStore) {
    let doc = || {
        Document::new(
            Bytes::from_static(br#"{"x": 1}"#),
            "application/json",
            "2024-01-01T00:00:00Z".parse().expect("time"),
        )
    };
    let keys = [
        DocumentScope::state("http://example.org/a", mbox("alice"), None).document("s1"),
        DocumentScope::state("http://example.org/b", mbox("alice"), Some("r1".into()))
            .document("s2"),
        DocumentScope::agent_profile(mbox("alice")).document("p1"),
        DocumentScope::state("http://example.org/a", mbox("bob"), None).document("s1"),
        DocumentScope::agent_profile(mbox("bob")).document("p1"),
        DocumentScope::activity_profile("http://example.org/a").document("p1"),
    ];
    for key in &keys {
        store
            .put_document(None, key, doc(), &Precondition::Any)
            .await
            .expect("put");
    }
    let alice = mbox("alice");
    assert_eq!(
        store
            .delete_agent_documents(None, &alice, true)
            .await
            .expect("dry run"),
        3
    );
    assert!(store.document(None, &keys[0]).await.expect("get").is_some());
    assert_eq!(
        store
            .delete_agent_documents(None, &alice, false)
            .await
            .expect("delete"),
        3
    );
    for (i, key) in keys.iter().enumerate() {
        let found = store.document(None, key).await.expect("get").is_some();
        assert_eq!(found, i >= 3, "document {i}");
    }
}

/// Pseudonymising an agent rewrites every position (actor, object, instructor, team, group
/// members, sub-statement, voided statements too), keeps ids, drops the name; the `agent`
/// filter then finds the pseudonym and not the agent; the same agent gets the same pseudonym
/// again; a dry run changes nothing.
pub async fn pseudonymize_agent(store: &dyn LrsStore) {
    let alice_json = json!({"objectType": "Agent", "name": "Alice Liddell",
                            "mbox": "mailto:alice@example.org"});
    let s1 = statement(1, "alice", "completed", "course");
    let mut s2 = statement(2, "bob", "completed", "course");
    s2["context"] = json!({"instructor": alice_json,
        "team": {"objectType": "Group", "name": "team",
                 "member": [alice_json, {"mbox": "mailto:carol@example.org"}]}});
    let mut s3 = statement(3, "bob", "mentored", "course");
    s3["object"] = json!({"objectType": "SubStatement",
        "actor": alice_json, "verb": {"id": "http://example.org/verbs/passed"},
        "object": {"id": "http://example.org/activities/exam"}});
    let mut s4 = statement(4, "dave", "greeted", "x");
    s4["object"] = alice_json.clone();
    let s5 = statement(5, "alice", "failed", "quiz");
    store
        .insert(None, vec![s1, s2, s3, s4, s5, voiding(6, 5)])
        .await
        .expect("insert");
    let pseudonymizer = Pseudonymizer::new("secret key", "https://lrs.example.org/pseudonyms")
        .expect("pseudonymizer");
    let alice = mbox("alice");
    let pseudonym = pseudonymizer.pseudonym(&alice);
    let ids_of = |agent: &Ifi, related: bool| {
        let query = StatementQuery {
            agent: Some(agent.clone()),
            related_agents: related,
            limit: 100,
            ascending: true,
            ..StatementQuery::default()
        };
        async move {
            let page = store.query(None, &query).await.expect("query");
            page.statements
                .iter()
                .map(|s| s["id"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        store
            .pseudonymize(None, &alice, &pseudonym, true)
            .await
            .expect("dry run"),
        5
    );
    // Statement 6 voids statement 5: it matches through its `StatementRef`.
    assert_eq!(ids_of(&alice, false).await, [id(1), id(4), id(6)]);
    assert!(ids_of(&pseudonym, true).await.is_empty());

    assert_eq!(
        store
            .pseudonymize(None, &alice, &pseudonym, false)
            .await
            .expect("pseudonymize"),
        5
    );
    assert!(ids_of(&alice, true).await.is_empty(), "the agent is gone");
    assert_eq!(ids_of(&pseudonym, false).await, [id(1), id(4), id(6)]);
    assert_eq!(
        ids_of(&pseudonym, true).await,
        [id(1), id(2), id(3), id(4), id(6)]
    );
    for n in 1..=5 {
        let found = store.get(None, &id(n)).await.expect("get").expect("kept");
        let text = found.statement.to_string();
        assert!(!text.contains("alice"), "statement {n}: {text}");
        assert!(!text.contains("Alice"), "statement {n}: {text}");
        assert!(text.contains(&pseudonymizer_name(&pseudonym)), "{text}");
        assert_eq!(found.voided, n == 5);
    }
    let s2 = store.get(None, &id(2)).await.expect("get").expect("kept");
    assert_eq!(
        s2.statement["context"]["team"]["member"][1]["mbox"],
        "mailto:carol@example.org"
    );
    assert_eq!(
        store
            .pseudonymize(None, &alice, &pseudonym, false)
            .await
            .expect("again"),
        0
    );

    // A later statement of the same learner gets the same pseudonym.
    store
        .insert(None, vec![statement(7, "alice", "completed", "course")])
        .await
        .expect("insert");
    let again = Pseudonymizer::new("secret key", "https://lrs.example.org/pseudonyms")
        .expect("pseudonymizer")
        .pseudonym(&alice);
    assert_eq!(again, pseudonym);
    assert_eq!(
        store
            .pseudonymize(None, &alice, &again, false)
            .await
            .expect("pseudonymize"),
        1
    );
    assert_eq!(
        ids_of(&pseudonym, false).await,
        [id(1), id(4), id(6), id(7)]
    );
}

fn pseudonymizer_name(pseudonym: &Ifi) -> String {
    match pseudonym {
        Ifi::Account { name, .. } => name.clone(),
        other => other.key(),
    }
}

/// Runs every function of this suite, each on a fresh store from `fresh`.
pub async fn run_all<F, Fut>(fresh: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Arc<dyn LrsStore>>,
{
    delete_by_each_field(fresh().await.as_ref()).await;
    purge_by_stored_time(fresh().await.as_ref()).await;
    deleted_attachments_go(fresh().await.as_ref()).await;
    agent_documents_go(fresh().await.as_ref()).await;
    pseudonymize_agent(fresh().await.as_ref()).await;
}
