//! The shared behaviour suite on `swift`, once per authentication mode.

macro_rules! suite {
    ($module:ident, $auth:expr) => {
        mod $module {
            use crate::Swift;

            #[tokio::test]
            async fn write_then_read_back() {
                let Some(s) = Swift::connect($auth).await else {
                    return;
                };
                ralph_testkit::write_then_read_back(&s).await;
            }

            #[tokio::test]
            async fn list_shows_written_targets() {
                let Some(s) = Swift::connect($auth).await else {
                    return;
                };
                ralph_testkit::list_shows_written_targets(&s).await;
            }

            #[tokio::test]
            async fn operation_types() {
                let Some(s) = Swift::connect($auth).await else {
                    return;
                };
                ralph_testkit::operation_types(&s).await;
            }

            #[tokio::test]
            async fn bad_input() {
                let Some(s) = Swift::connect($auth).await else {
                    return;
                };
                ralph_testkit::bad_input(&s).await;
            }

            #[tokio::test]
            async fn max_statements() {
                let Some(s) = Swift::connect($auth).await else {
                    return;
                };
                ralph_testkit::max_statements(&s).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_hundred_thousand_events_stream_through_in_order() {
                // Small segments, so the stream also goes through the segmented upload.
                let Some(s) = Swift::with($auth, |s| s.segment_size = 2 * 1024 * 1024).await else {
                    return;
                };
                ralph_testkit::large_stream(&s, 100_000, Some(48 * 1024 * 1024)).await;
            }
        }
    };
}

suite!(tempauth, crate::Auth::TempAuth);
suite!(keystone, crate::Auth::Keystone);
