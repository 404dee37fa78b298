//! The shared behaviour suite on `fs`.

use crate::Fs;

#[tokio::test]
async fn write_then_read_back() {
    ralph_testkit::write_then_read_back(&Fs::fresh()).await;
}

#[tokio::test]
async fn list_shows_written_targets() {
    ralph_testkit::list_shows_written_targets(&Fs::fresh()).await;
}

#[tokio::test]
async fn operation_types() {
    ralph_testkit::operation_types(&Fs::fresh()).await;
}

#[tokio::test]
async fn bad_input() {
    ralph_testkit::bad_input(&Fs::fresh()).await;
}

#[tokio::test]
async fn max_statements() {
    ralph_testkit::max_statements(&Fs::fresh()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_records_stream_in_constant_memory() {
    // ~90 MB of JSON lines written and read back; the peak may grow by far less than that.
    ralph_testkit::large_stream(&Fs::fresh(), 1_000_000, Some(48 * 1024 * 1024)).await;
}
