//! The shared LRS store suite on the `mongo` store, each test on a database of its own.

use std::sync::Arc;

use ralph_backend_mongo::{MongoLrsSettings, MongoStore};
use ralph_core::ErrorKind;
use ralph_core::lrs::{LrsStore, StatementQuery};
use ralph_core::settings::SecretUrl;
use ralph_testkit::lrs;

/// Settings of a store on the test server with a database no other test uses, or `None` when
/// the test is skipped.
pub fn settings() -> Option<MongoLrsSettings> {
    let url = ralph_testkit::server_url("RALPH_TEST_MONGO_URL")?;
    Some(MongoLrsSettings {
        connection_uri: SecretUrl::new(url),
        default_database: ralph_testkit::unique_name("lrs"),
        ..Default::default()
    })
}

/// A fresh store, or `None` when the test is skipped.
async fn fresh() -> Option<MongoStore> {
    Some(
        MongoStore::open(settings()?)
            .await
            .expect("open the mongo store"),
    )
}

/// Runs `check` on a fresh store, then drops its database.
macro_rules! on_fresh_store {
    ($check:path) => {{
        let Some(store) = fresh().await else { return };
        $check(&store).await;
        store.drop_database().await.expect("drop database");
    }};
}

#[tokio::test]
async fn insert_then_get() {
    on_fresh_store!(lrs::insert_then_get);
}

#[tokio::test]
async fn idempotence_and_conflicts() {
    on_fresh_store!(lrs::idempotence_and_conflicts);
}

#[tokio::test]
async fn chunked_batches() {
    on_fresh_store!(lrs::chunked_batches);
}

#[tokio::test]
async fn filters() {
    on_fresh_store!(lrs::filters);
}

#[tokio::test]
async fn paging() {
    on_fresh_store!(lrs::paging);
}

#[tokio::test]
async fn voiding_rules() {
    on_fresh_store!(lrs::voiding_rules);
}

#[tokio::test]
async fn targets_are_disjoint() {
    on_fresh_store!(lrs::targets_are_disjoint);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers() {
    let Some(store) = fresh().await else { return };
    let store = Arc::new(store);
    lrs::concurrent_writers(store.clone() as Arc<dyn LrsStore>).await;
    store.drop_database().await.expect("drop database");
}

#[tokio::test]
async fn filters_follow_statement_refs() {
    on_fresh_store!(lrs::filters_follow_statement_refs);
}

#[tokio::test]
async fn documents_round_trip() {
    on_fresh_store!(lrs::documents_round_trip);
}

#[tokio::test]
async fn document_preconditions() {
    on_fresh_store!(lrs::document_preconditions);
}

#[tokio::test]
async fn document_ids_and_deletes() {
    on_fresh_store!(lrs::document_ids_and_deletes);
}

#[tokio::test]
async fn attachments_are_kept_once() {
    on_fresh_store!(lrs::attachments_are_kept_once);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_document_writers() {
    let Some(store) = fresh().await else { return };
    lrs::concurrent_document_writers(Arc::new(store.clone())).await;
    store.drop_database().await.expect("drop database");
}

#[tokio::test]
async fn indexes_are_created_and_documents_are_ralphs() {
    let Some(store) = fresh().await else { return };
    store
        .insert(
            None,
            vec![lrs::statement(1, "alice", "completed", "course")],
        )
        .await
        .expect("insert");
    let collection = store
        .database()
        .collection::<mongodb::bson::Document>("marsha");
    let names = collection.list_index_names().await.expect("indexes");
    for (name, _) in ralph_backend_mongo::INDEXES {
        assert!(names.iter().any(|n| n == name), "{name} not in {names:?}");
    }
    let doc = collection
        .find_one(mongodb::bson::doc! {})
        .await
        .expect("find")
        .expect("one document");
    let statement = lrs::statement(1, "alice", "completed", "course");
    let at = ralph_backend_mongo::convert::parse_timestamp(
        statement["timestamp"].as_str().expect("timestamp"),
    )
    .expect("time");
    let oid = ralph_backend_mongo::convert::statement_object_id(&at, &lrs::id(1)).expect("oid");
    assert_eq!(doc.get_object_id("_id").expect("_id"), oid, "Ralph's _id");
    assert_eq!(
        doc.get_document("_source")
            .expect("_source")
            .get_str("id")
            .expect("id"),
        lrs::id(1)
    );
    store.drop_database().await.expect("drop database");
}

#[tokio::test]
async fn bad_input_and_cursors_are_refused() {
    let Some(store) = fresh().await else { return };
    let err = store
        .insert(None, vec![serde_json::json!({"verb": {}})])
        .await
        .expect_err("no id");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let err = store
        .query(
            None,
            &StatementQuery {
                limit: 10,
                cursor: Some("nope".into()),
                ..Default::default()
            },
        )
        .await
        .expect_err("bad cursor");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = store
        .insert(Some("a$b"), vec![lrs::statement(1, "a", "b", "c")])
        .await
        .expect_err("bad target");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    store.drop_database().await.expect("drop database");
}

#[tokio::test]
async fn an_unreachable_server_is_named_without_its_password() {
    let err = MongoStore::open(MongoLrsSettings {
        connection_uri: SecretUrl::new("mongodb://u:secret@127.0.0.1:9/"),
        connect_timeout: 1.0,
        ..Default::default()
    })
    .await
    .expect_err("nothing listens on port 9");
    let text = err.to_string();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{text}");
    assert!(text.contains("127.0.0.1:9"), "{text}");
    assert!(!text.contains("secret"), "{text}");
}

mod privacy {
    //! The shared deletion, retention and pseudonymisation suite.

    use ralph_testkit::privacy;

    use super::fresh;

    #[tokio::test]
    async fn delete_by_each_field() {
        on_fresh_store!(privacy::delete_by_each_field);
    }

    #[tokio::test]
    async fn purge_by_stored_time() {
        on_fresh_store!(privacy::purge_by_stored_time);
    }

    #[tokio::test]
    async fn deleted_attachments_go() {
        on_fresh_store!(privacy::deleted_attachments_go);
    }

    #[tokio::test]
    async fn agent_documents_go() {
        on_fresh_store!(privacy::agent_documents_go);
    }

    #[tokio::test]
    async fn pseudonymize_agent() {
        on_fresh_store!(privacy::pseudonymize_agent);
    }
}

/// Every filter of a page query (the filter documents the store builds) is an index scan:
/// the winning plan of `explain` names the filter's index and reads no collection.
#[tokio::test]
async fn every_filter_is_an_index_scan() {
    use mongodb::bson::{Document, doc};

    let Some(store) = fresh().await else { return };
    let statements = (0..40)
        .map(|n| {
            let mut s = lrs::statement(n + 1, &format!("a{}", n % 4), "completed", "course");
            s["context"] = serde_json::json!({
                "registration": "6fbd600f-d17c-4c74-801a-2ec2e53231c7"
            });
            s
        })
        .collect();
    store.insert(None, statements).await.expect("insert");
    let cases: Vec<(&str, Document)> = vec![
        ("ralph_seq", doc! {"_ralph.voided": false}),
        (
            "ralph_verb_voided",
            doc! {"_ralph.voided": false, "_source.verb.id": "http://example.org/verbs/completed"},
        ),
        (
            "ralph_agents_voided",
            doc! {"_ralph.voided": false, "_ralph.agents": "=mbox:mailto:a1@example.org"},
        ),
        (
            "ralph_agents_voided",
            doc! {"_ralph.voided": false, "_ralph.agents": "mbox:mailto:lrs@example.org"},
        ),
        (
            "ralph_activities_voided",
            doc! {"_ralph.voided": false, "_ralph.activities": "=http://example.org/activities/course"},
        ),
        (
            "ralph_registration_voided",
            doc! {"_ralph.voided": false, "_ralph.registration": "6fbd600f-d17c-4c74-801a-2ec2e53231c7"},
        ),
        (
            "ralph_authority_voided",
            doc! {"_ralph.voided": false, "_ralph.authority": "mbox:mailto:lrs@example.org"},
        ),
        (
            "ralph_stored",
            doc! {"_ralph.voided": false, "_ralph.stored": {"$gt": 0_i64}},
        ),
    ];
    for (index, filter) in cases {
        let explained = store
            .database()
            .run_command(doc! {
                "explain": {
                    "find": "marsha",
                    "filter": filter.clone(),
                    "sort": {"_ralph.seq": -1},
                    "limit": 101,
                },
                "verbosity": "queryPlanner",
            })
            .await
            .expect("explain");
        let plan = explained
            .get_document("queryPlanner")
            .and_then(|p| p.get_document("winningPlan"))
            .expect("winning plan")
            .to_string();
        assert!(
            plan.contains("IXSCAN") && plan.contains(index),
            "{filter}: expected an IXSCAN of {index} in {plan}"
        );
        assert!(!plan.contains("COLLSCAN"), "{filter}: a COLLSCAN in {plan}");
    }
    store.drop_database().await.expect("drop database");
}
