//! Against HTTP servers that fail on purpose: retries with backoff, then a clear error.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use ralph_backend_lrs::{LrsBackend, LrsSettings};
use ralph_core::{ErrorKind, ReadRequest, WriteOptions};
use serde_json::json;

use crate::{COMPLETED, lines, read, write};

/// Serves `app` on a loopback port; returns its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn server_errors_are_retried_until_the_lrs_answers() {
    let posts = Arc::new(AtomicU32::new(0));
    let gets = Arc::new(AtomicU32::new(0));
    let (p, g) = (posts.clone(), gets.clone());
    let app = Router::new().route(
        "/xAPI/statements",
        post(move || {
            let p = p.clone();
            async move {
                // The first two attempts fail, the third stores the batch.
                if p.fetch_add(1, Ordering::SeqCst) < 2 {
                    (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response()
                } else {
                    (StatusCode::OK, "[]").into_response()
                }
            }
        })
        .get(move || {
            let g = g.clone();
            async move {
                if g.fetch_add(1, Ordering::SeqCst) < 1 {
                    (StatusCode::BAD_GATEWAY, "").into_response()
                } else {
                    json!({"statements": [{"id": "a"}], "more": ""})
                        .to_string()
                        .into_response()
                }
            }
        }),
    );
    let base = serve(app).await;
    let backend = LrsBackend::new(LrsSettings {
        base_url: base,
        max_retries: 3,
        ..Default::default()
    })
    .expect("backend");
    let report = write(&backend, lines(0..3, COMPLETED), WriteOptions::default())
        .await
        .expect("written after retries");
    assert_eq!(report.written, 3);
    assert_eq!(posts.load(Ordering::SeqCst), 3);
    let got = read(&backend, ReadRequest::default()).await.expect("read");
    assert_eq!(got, vec![json!({"id": "a"})]);
    assert_eq!(gets.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn an_lrs_that_stays_down_fails_with_the_number_of_attempts() {
    let app = Router::new().route(
        "/xAPI/statements",
        post(|| async {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                r#"{"detail": "disk full"}"#,
            )
        }),
    );
    let base = serve(app).await;
    let backend = LrsBackend::new(LrsSettings {
        base_url: base,
        max_retries: 1,
        ..Default::default()
    })
    .expect("backend");
    let err = write(&backend, lines(0..3, COMPLETED), WriteOptions::default())
        .await
        .expect_err("down");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.to_string().contains("disk full"), "{err}");
    assert_eq!(err.written(), Some(0));

    // Nothing listens on this port any more: connection refused, retried, then reported.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let backend = LrsBackend::new(LrsSettings {
        base_url: format!("http://127.0.0.1:{port}"),
        max_retries: 2,
        ..Default::default()
    })
    .expect("backend");
    let err = read(&backend, ReadRequest::default())
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
    assert!(err.to_string().contains("127.0.0.1"), "{err}");
}

#[tokio::test]
async fn more_links_are_followed_from_the_page_that_gave_them() {
    let app = Router::new()
        .route(
            "/lrs/xAPI/statements",
            get(|| async {
                json!({"statements": [{"id": "1"}, {"id": "2"}], "more": "/lrs/xAPI/statements/next?after=2"})
                    .to_string()
            }),
        )
        .route(
            "/lrs/xAPI/statements/next",
            // A single statement object instead of a list, as Ralph accepts; no `more`.
            get(|| async { json!({"statements": {"id": "3"}}).to_string() }),
        );
    let base = serve(app).await;
    let backend = LrsBackend::new(LrsSettings {
        base_url: format!("{base}/lrs/"),
        ..Default::default()
    })
    .expect("backend");
    let got = read(&backend, ReadRequest::default()).await.expect("read");
    let ids: Vec<&str> = got.iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, ["1", "2", "3"]);
}
