//! The shared deletion, retention and pseudonymisation suite on a `sqlite` database file.

use ralph_testkit::privacy;

use crate::file_store;

#[tokio::test]
async fn delete_by_each_field() {
    let (store, _dir) = file_store();
    privacy::delete_by_each_field(&store).await;
}

#[tokio::test]
async fn purge_by_stored_time() {
    let (store, _dir) = file_store();
    privacy::purge_by_stored_time(&store).await;
}

#[tokio::test]
async fn deleted_attachments_go() {
    let (store, _dir) = file_store();
    privacy::deleted_attachments_go(&store).await;
}

#[tokio::test]
async fn agent_documents_go() {
    let (store, _dir) = file_store();
    privacy::agent_documents_go(&store).await;
}

#[tokio::test]
async fn pseudonymize_agent() {
    let (store, _dir) = file_store();
    privacy::pseudonymize_agent(&store).await;
}
