//! The shared LRS store suite on the `clickhouse` store, each test in its own database.

use std::sync::Arc;

use ralph_backend_clickhouse::{ClickHouseLrsSettings, ClickHouseStore};
use ralph_core::ErrorKind;
use ralph_core::lrs::{LrsStore, StatementQuery};
use ralph_testkit::lrs;

/// Settings of a store on the test server in a database no other test uses, or `None` when
/// the test is skipped.
pub fn settings() -> Option<ClickHouseLrsSettings> {
    let (host, port) = crate::server()?;
    Some(ClickHouseLrsSettings {
        host,
        port,
        database: ralph_testkit::unique_name("lrs"),
        ..Default::default()
    })
}

/// A fresh store, or `None` when the test is skipped.
pub async fn fresh() -> Option<ClickHouseStore> {
    Some(
        ClickHouseStore::open(settings()?)
            .await
            .expect("open the clickhouse store"),
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
    lrs::concurrent_writers(store.clone()).await;
    store.drop_database().await.expect("drop database");
}

#[tokio::test]
async fn bad_ids_targets_and_cursors_are_refused() {
    let Some(store) = fresh().await else { return };
    let mut bad = lrs::statement(1, "alice", "completed", "course");
    bad["id"] = serde_json::json!("not-a-uuid");
    let err = store.insert(None, vec![bad]).await.expect_err("bad id");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let err = store
        .insert(
            Some("a`; DROP TABLE x"),
            vec![lrs::statement(2, "a", "b", "c")],
        )
        .await
        .expect_err("bad target");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    for cursor in ["nope", "1_nope"] {
        let err = store
            .query(
                None,
                &StatementQuery {
                    limit: 10,
                    cursor: Some(cursor.into()),
                    ..Default::default()
                },
            )
            .await
            .expect_err("bad cursor");
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
    assert!(store.get(None, "not-a-uuid").await.expect("get").is_none());
    assert!(
        store
            .get(Some("nobody"), &lrs::id(1))
            .await
            .expect("get")
            .is_none()
    );
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
    let store = Arc::new(store);
    lrs::concurrent_document_writers(store.clone()).await;
    store.drop_database().await.expect("drop database");
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
