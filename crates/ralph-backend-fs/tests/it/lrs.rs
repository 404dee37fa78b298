//! The shared LRS store suite on the `fs` LRS store, and its file layout.

use std::sync::Arc;

use ralph_backend_fs::{FsLrsSettings, FsLrsStore};
use ralph_core::lrs::{LrsStore, StatementQuery};
use ralph_testkit::lrs;

fn fresh() -> (FsLrsStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = FsLrsStore::new(&FsLrsSettings {
        default_directory_path: dir.path().join("lrs"),
        ..Default::default()
    })
    .expect("open");
    (store, dir)
}

#[tokio::test]
async fn insert_then_get() {
    let (store, _dir) = fresh();
    lrs::insert_then_get(&store).await;
}

#[tokio::test]
async fn idempotence_and_conflicts() {
    let (store, _dir) = fresh();
    lrs::idempotence_and_conflicts(&store).await;
}

#[tokio::test]
async fn chunked_batches() {
    let (store, _dir) = fresh();
    lrs::chunked_batches(&store).await;
}

#[tokio::test]
async fn filters() {
    let (store, _dir) = fresh();
    lrs::filters(&store).await;
}

#[tokio::test]
async fn paging() {
    let (store, _dir) = fresh();
    lrs::paging(&store).await;
}

#[tokio::test]
async fn voiding_rules() {
    let (store, _dir) = fresh();
    lrs::voiding_rules(&store).await;
}

#[tokio::test]
async fn targets_are_disjoint() {
    let (store, _dir) = fresh();
    lrs::targets_are_disjoint(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers() {
    let (store, _dir) = fresh();
    lrs::concurrent_writers(Arc::new(store)).await;
}

#[tokio::test]
async fn filters_follow_statement_refs() {
    let (store, _dir) = fresh();
    lrs::filters_follow_statement_refs(&store).await;
}

#[tokio::test]
async fn documents_round_trip() {
    let (store, _dir) = fresh();
    lrs::documents_round_trip(&store).await;
}

#[tokio::test]
async fn document_preconditions() {
    let (store, _dir) = fresh();
    lrs::document_preconditions(&store).await;
}

#[tokio::test]
async fn document_ids_and_deletes() {
    let (store, _dir) = fresh();
    lrs::document_ids_and_deletes(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_document_writers() {
    let (store, _dir) = fresh();
    lrs::concurrent_document_writers(Arc::new(store)).await;
}

#[tokio::test]
async fn attachments_are_kept_once() {
    let (store, _dir) = fresh();
    lrs::attachments_are_kept_once(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().to_owned();
    let n = std::sync::atomic::AtomicU64::new(0);
    lrs::run_all(|| {
        let path = root.join(
            n.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                .to_string(),
        );
        async move {
            Arc::new(
                FsLrsStore::new(&FsLrsSettings {
                    default_directory_path: path,
                    ..Default::default()
                })
                .expect("open"),
            ) as Arc<dyn LrsStore>
        }
    })
    .await;
}

#[tokio::test]
async fn every_write_is_appended_to_the_target_file() {
    let (store, _dir) = fresh();
    for n in 1..=3 {
        store
            .insert(
                Some("tenant"),
                vec![lrs::statement(n, "alice", "completed", "course")],
            )
            .await
            .expect("each insert is accepted");
    }
    let file = store
        .root()
        .join("tenant")
        .join(ralph_backend_fs::DEFAULT_LRS_FILE);
    let text = std::fs::read_to_string(&file).expect("statements file");
    assert_eq!(text.lines().count(), 3);
    let page = store
        .query(
            Some("tenant"),
            &StatementQuery {
                limit: 10,
                verb: Some("http://example.org/verbs/completed".into()),
                ..Default::default()
            },
        )
        .await
        .expect("query");
    assert_eq!(page.statements.len(), 3, "the verb filter matches");
}

mod privacy {
    //! The shared deletion, retention and pseudonymisation suite.

    use ralph_testkit::privacy;

    use super::fresh;

    #[tokio::test]
    async fn delete_by_each_field() {
        let (store, _dir) = fresh();
        privacy::delete_by_each_field(&store).await;
    }

    #[tokio::test]
    async fn purge_by_stored_time() {
        let (store, _dir) = fresh();
        privacy::purge_by_stored_time(&store).await;
    }

    #[tokio::test]
    async fn deleted_attachments_go() {
        let (store, _dir) = fresh();
        privacy::deleted_attachments_go(&store).await;
    }

    #[tokio::test]
    async fn agent_documents_go() {
        let (store, _dir) = fresh();
        privacy::agent_documents_go(&store).await;
    }

    #[tokio::test]
    async fn pseudonymize_agent() {
        let (store, _dir) = fresh();
        privacy::pseudonymize_agent(&store).await;
    }
}
