//! The shared LRS store suite on the `es` store, each test on its own default index.

use std::sync::Arc;

use ralph_backend_es::EsStore;
use ralph_core::lrs::LrsStore;
use ralph_testkit::lrs;

/// A store on the test server whose default index no other test uses, or `None` when the test
/// is skipped.
async fn fresh() -> Option<EsStore> {
    let mut settings = crate::settings()?;
    settings.refresh_after_write = None;
    settings.default_index = crate::unique("lrs");
    Some(EsStore::open(settings).await.expect("open the es store"))
}

/// Runs `check` on a fresh store, then deletes its index.
macro_rules! on_fresh_store {
    ($check:path) => {{
        let Some(store) = fresh().await else { return };
        $check(&store).await;
        store.delete_index(None).await.expect("delete index");
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
async fn filters_follow_statement_refs() {
    on_fresh_store!(lrs::filters_follow_statement_refs);
}

#[tokio::test]
async fn documents_round_trip() {
    let Some(store) = fresh().await else { return };
    lrs::documents_round_trip(&store).await;
    for target in [None, Some("tenant")] {
        store.delete_index(target).await.expect("delete index");
    }
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
    lrs::concurrent_document_writers(Arc::new(store.clone()) as Arc<dyn LrsStore>).await;
    store.delete_index(None).await.expect("delete index");
}

#[tokio::test]
async fn targets_are_disjoint() {
    let Some(store) = fresh().await else { return };
    // Fresh target indices: the suite writes to targets `a` and `b`.
    for target in ["a", "b"] {
        store
            .delete_index(Some(target))
            .await
            .expect("delete index");
    }
    lrs::targets_are_disjoint(&store).await;
    for target in [None, Some("a"), Some("b")] {
        store.delete_index(target).await.expect("delete index");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers() {
    let Some(store) = fresh().await else { return };
    lrs::concurrent_writers(Arc::new(store.clone()) as Arc<dyn LrsStore>).await;
    store.delete_index(None).await.expect("delete index");
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
