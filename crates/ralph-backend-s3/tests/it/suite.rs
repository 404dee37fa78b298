//! The shared behaviour suite on `s3`, against both test servers.

use crate::{S3, Server};

macro_rules! suite {
    ($server:ident, $module:ident, $records:expr) => {
        mod $module {
            use super::*;

            #[tokio::test]
            async fn write_then_read_back() {
                let Some(s3) = S3::fresh(Server::$server).await else {
                    return;
                };
                ralph_testkit::write_then_read_back(&s3).await;
            }

            #[tokio::test]
            async fn list_shows_written_targets() {
                let Some(s3) = S3::fresh(Server::$server).await else {
                    return;
                };
                ralph_testkit::list_shows_written_targets(&s3).await;
            }

            #[tokio::test]
            async fn operation_types() {
                let Some(s3) = S3::fresh(Server::$server).await else {
                    return;
                };
                ralph_testkit::operation_types(&s3).await;
            }

            #[tokio::test]
            async fn bad_input() {
                let Some(s3) = S3::fresh(Server::$server).await else {
                    return;
                };
                ralph_testkit::bad_input(&s3).await;
            }

            #[tokio::test]
            async fn max_statements() {
                let Some(s3) = S3::fresh(Server::$server).await else {
                    return;
                };
                ralph_testkit::max_statements(&s3).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_large_stream_goes_through_in_constant_memory() {
                let Some(s3) = S3::fresh(Server::$server).await else {
                    return;
                };
                // Several parts of a multipart upload each way; the peak may grow by far less
                // than the object.
                ralph_testkit::large_stream(&s3, $records, Some(48 * 1024 * 1024)).await;
            }
        }
    };
}

// ~64 MB on s3s-fs; moto keeps objects in Python memory and is slower: ~18 MB.
suite!(S3s, s3s, 700_000);
suite!(Moto, moto, 200_000);
