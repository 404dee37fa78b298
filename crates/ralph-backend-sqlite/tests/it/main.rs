//! Integration tests of the `sqlite` store: the shared LRS store suite, and what is specific
//! to SQLite (a file that survives reopening).

mod suite;

use std::sync::Arc;

use ralph_backend_sqlite::SqliteStore;
use ralph_core::lrs::{LrsStore, StatementQuery};

/// A fresh store in a temporary file (the directory is kept alive by the returned guard).
pub fn file_store() -> (SqliteStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open(dir.path().join("db/lrs.sqlite3"), 2, 5000).expect("open");
    (store, dir)
}

#[tokio::test]
async fn statements_survive_reopening_the_file() {
    let (store, dir) = file_store();
    let s = ralph_testkit::lrs::statement(1, "alice", "completed", "course");
    store.insert(None, vec![s.clone()]).await.expect("insert");
    drop(store);
    let reopened = SqliteStore::open(dir.path().join("db/lrs.sqlite3"), 1, 5000).expect("reopen");
    let page = reopened
        .query(
            None,
            &StatementQuery {
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .expect("query");
    assert_eq!(page.statements, vec![s]);
}

#[tokio::test]
async fn the_in_memory_store_passes_the_suite() {
    ralph_testkit::lrs::run_all(|| async {
        Arc::new(SqliteStore::in_memory().expect("memory")) as Arc<dyn LrsStore>
    })
    .await;
}
