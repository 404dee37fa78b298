//! Integration tests of the `sqlite` store: the shared LRS store suite, and what is specific
//! to SQLite (a file that survives reopening).

mod privacy;
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
async fn databases_made_before_the_ref_column_are_migrated() {
    let (store, dir) = file_store();
    let target = ralph_testkit::lrs::statement(1, "alice", "x", "course");
    let referencing = ralph_testkit::lrs::referencing(2, "bob", "y", 1);
    store
        .insert(None, vec![target, referencing])
        .await
        .expect("insert");
    drop(store);
    let path = dir.path().join("db/lrs.sqlite3");
    {
        // The layout of earlier versions: no `ref` column.
        let conn = rusqlite::Connection::open(&path).expect("open");
        conn.execute_batch(
            "DROP INDEX statements_referencing; ALTER TABLE statements DROP COLUMN ref;",
        )
        .expect("downgrade");
    }
    let reopened = SqliteStore::open(&path, 1, 5000).expect("reopen");
    let page = reopened
        .query(
            None,
            &StatementQuery {
                verb: Some("http://example.org/verbs/x".into()),
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .expect("query");
    let ids: Vec<_> = page.statements.iter().map(|s| s["id"].clone()).collect();
    assert_eq!(
        ids,
        [
            serde_json::json!(ralph_testkit::lrs::id(2)),
            serde_json::json!(ralph_testkit::lrs::id(1))
        ],
        "the reference of the existing statement was filled in"
    );
}

#[tokio::test]
async fn the_in_memory_store_passes_the_suite() {
    ralph_testkit::lrs::run_all(|| async {
        Arc::new(SqliteStore::in_memory().expect("memory")) as Arc<dyn LrsStore>
    })
    .await;
}

mod data {
    //! The shared data backend suite on the `sqlite` data backend.

    use ralph_backend_sqlite::{SqliteBackend, SqliteSettings, SqliteStore};
    use ralph_core::{DataBackend, ListEntry, ReadRequest};
    use ralph_testkit::{Harness, StoreKind};

    struct Sqlite(
        SqliteBackend,
        #[allow(dead_code, reason = "keeps the directory")] tempfile::TempDir,
    );

    impl Sqlite {
        fn fresh() -> Self {
            let dir = tempfile::tempdir().expect("tempdir");
            let store = SqliteStore::open(dir.path().join("lrs.sqlite3"), 1, 5000).expect("open");
            Self(SqliteBackend::new(store, SqliteSettings::default()), dir)
        }
    }

    impl Harness for Sqlite {
        fn backend(&self) -> &dyn DataBackend {
            &self.0
        }

        fn kind(&self) -> StoreKind {
            StoreKind::Records
        }

        fn new_target(&self) -> String {
            use std::sync::atomic::{AtomicU64, Ordering};
            static N: AtomicU64 = AtomicU64::new(0);
            format!("target-{}", N.fetch_add(1, Ordering::Relaxed))
        }

        fn read_request(&self, target: &str) -> ReadRequest {
            ReadRequest {
                target: Some(target.to_owned()),
                chunk_size: Some(2),
                ..Default::default()
            }
        }

        fn is_listed(&self, target: &str, entry: &ListEntry) -> bool {
            matches!(entry, ListEntry::Id(id) if id == target)
        }
    }

    #[tokio::test]
    async fn write_then_read_back() {
        ralph_testkit::write_then_read_back(&Sqlite::fresh()).await;
    }

    #[tokio::test]
    async fn list_shows_written_targets() {
        ralph_testkit::list_shows_written_targets(&Sqlite::fresh()).await;
    }

    #[tokio::test]
    async fn operation_types() {
        ralph_testkit::operation_types(&Sqlite::fresh()).await;
    }

    #[tokio::test]
    async fn bad_input() {
        ralph_testkit::bad_input(&Sqlite::fresh()).await;
    }

    #[tokio::test]
    async fn max_statements() {
        ralph_testkit::max_statements(&Sqlite::fresh()).await;
    }
}
