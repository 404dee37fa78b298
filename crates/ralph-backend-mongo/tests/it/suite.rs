//! The shared behaviour suite on `mongo`.

use crate::Mongo;

#[tokio::test]
async fn write_then_read_back() {
    let Some(p) = Mongo::connect().await else {
        return;
    };
    ralph_testkit::write_then_read_back(&p).await;
}

#[tokio::test]
async fn list_shows_written_targets() {
    let Some(p) = Mongo::connect().await else {
        return;
    };
    ralph_testkit::list_shows_written_targets(&p).await;
}

#[tokio::test]
async fn operation_types() {
    let Some(p) = Mongo::connect().await else {
        return;
    };
    ralph_testkit::operation_types(&p).await;
}

#[tokio::test]
async fn bad_input() {
    let Some(p) = Mongo::connect().await else {
        return;
    };
    ralph_testkit::bad_input(&p).await;
}

#[tokio::test]
async fn max_statements() {
    let Some(p) = Mongo::connect().await else {
        return;
    };
    ralph_testkit::max_statements(&p).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_records_stream_through_a_batched_cursor() {
    let Some(p) = Mongo::connect().await else {
        return;
    };
    ralph_testkit::large_stream(&p, 100_000, Some(48 * 1024 * 1024)).await;
}
