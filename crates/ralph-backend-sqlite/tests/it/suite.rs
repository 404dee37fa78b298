//! The shared LRS store suite on a `sqlite` database file.

use std::sync::Arc;

use ralph_testkit::lrs;

use crate::file_store;

#[tokio::test]
async fn insert_then_get() {
    let (store, _dir) = file_store();
    lrs::insert_then_get(&store).await;
}

#[tokio::test]
async fn idempotence_and_conflicts() {
    let (store, _dir) = file_store();
    lrs::idempotence_and_conflicts(&store).await;
}

#[tokio::test]
async fn chunked_batches() {
    let (store, _dir) = file_store();
    lrs::chunked_batches(&store).await;
}

#[tokio::test]
async fn filters() {
    let (store, _dir) = file_store();
    lrs::filters(&store).await;
}

#[tokio::test]
async fn paging() {
    let (store, _dir) = file_store();
    lrs::paging(&store).await;
}

#[tokio::test]
async fn voiding_rules() {
    let (store, _dir) = file_store();
    lrs::voiding_rules(&store).await;
}

#[tokio::test]
async fn targets_are_disjoint() {
    let (store, _dir) = file_store();
    lrs::targets_are_disjoint(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers() {
    let (store, _dir) = file_store();
    lrs::concurrent_writers(Arc::new(store)).await;
}

#[tokio::test]
async fn documents_round_trip() {
    let (store, _dir) = file_store();
    lrs::documents_round_trip(&store).await;
}

#[tokio::test]
async fn document_preconditions() {
    let (store, _dir) = file_store();
    lrs::document_preconditions(&store).await;
}

#[tokio::test]
async fn document_ids_and_deletes() {
    let (store, _dir) = file_store();
    lrs::document_ids_and_deletes(&store).await;
}

#[tokio::test]
async fn concurrent_document_writers() {
    let (store, _dir) = file_store();
    lrs::concurrent_document_writers(Arc::new(store)).await;
}

#[tokio::test]
async fn attachments_are_kept_once() {
    let (store, _dir) = file_store();
    lrs::attachments_are_kept_once(&store).await;
}

#[tokio::test]
async fn filters_follow_statement_refs() {
    let (store, _dir) = file_store();
    lrs::filters_follow_statement_refs(&store).await;
}
