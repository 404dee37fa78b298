//! The shared behaviour suite on `redis`.

use crate::Redis;

#[tokio::test]
async fn write_then_read_back() {
    let Some(r) = Redis::connect().await else {
        return;
    };
    ralph_testkit::write_then_read_back(&r).await;
}

#[tokio::test]
async fn list_shows_written_targets() {
    let Some(r) = Redis::connect().await else {
        return;
    };
    ralph_testkit::list_shows_written_targets(&r).await;
}

#[tokio::test]
async fn operation_types() {
    let Some(r) = Redis::connect().await else {
        return;
    };
    ralph_testkit::operation_types(&r).await;
}

#[tokio::test]
async fn bad_input() {
    let Some(r) = Redis::connect().await else {
        return;
    };
    ralph_testkit::bad_input(&r).await;
}

#[tokio::test]
async fn max_statements() {
    let Some(r) = Redis::connect().await else {
        return;
    };
    ralph_testkit::max_statements(&r).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_events_stream_through_in_order() {
    let Some(r) = Redis::connect().await else {
        return;
    };
    ralph_testkit::large_stream(&r, 100_000, Some(48 * 1024 * 1024)).await;
}
