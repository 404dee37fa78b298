//! The shared behaviour suite on `es`.

use crate::Es;

#[tokio::test]
async fn write_then_read_back() {
    let Some(p) = Es::connect() else {
        return;
    };
    ralph_testkit::write_then_read_back(&p).await;
    p.cleanup().await;
}

#[tokio::test]
async fn list_shows_written_targets() {
    let Some(p) = Es::connect() else {
        return;
    };
    ralph_testkit::list_shows_written_targets(&p).await;
    p.cleanup().await;
}

#[tokio::test]
async fn operation_types() {
    let Some(p) = Es::connect() else {
        return;
    };
    ralph_testkit::operation_types(&p).await;
    p.cleanup().await;
}

#[tokio::test]
async fn bad_input() {
    let Some(p) = Es::connect() else {
        return;
    };
    ralph_testkit::bad_input(&p).await;
    p.cleanup().await;
}

#[tokio::test]
async fn max_statements() {
    let Some(p) = Es::connect() else {
        return;
    };
    ralph_testkit::max_statements(&p).await;
    p.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_records_stream_through_a_point_in_time() {
    let Some(p) = Es::connect() else {
        return;
    };
    ralph_testkit::large_stream(&p, 100_000, Some(48 * 1024 * 1024)).await;
    p.cleanup().await;
}
