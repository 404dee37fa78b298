//! The shared behaviour suite on `clickhouse`.

use crate::ClickHouse;

#[tokio::test]
async fn write_then_read_back() {
    let Some(c) = ClickHouse::for_suite().await else {
        return;
    };
    ralph_testkit::write_then_read_back(&c).await;
}

#[tokio::test]
async fn list_shows_written_targets() {
    let Some(c) = ClickHouse::for_suite().await else {
        return;
    };
    ralph_testkit::list_shows_written_targets(&c).await;
}

#[tokio::test]
async fn operation_types() {
    let Some(c) = ClickHouse::for_suite().await else {
        return;
    };
    ralph_testkit::operation_types(&c).await;
}

#[tokio::test]
async fn bad_input() {
    let Some(c) = ClickHouse::for_suite().await else {
        return;
    };
    ralph_testkit::bad_input(&c).await;
}

#[tokio::test]
async fn max_statements() {
    let Some(c) = ClickHouse::for_suite().await else {
        return;
    };
    ralph_testkit::max_statements(&c).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_records_stream_through() {
    let Some(c) = ClickHouse::with(|s| {
        s.require_timestamp = false;
        s.write_chunk_size = 10_000;
    })
    .await
    else {
        return;
    };
    ralph_testkit::large_stream(&c, 100_000, Some(64 * 1024 * 1024)).await;
}
