//! Statement forwarding (`XAPI_FORWARDINGS`) between LRS instances on loopback sockets.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::response::IntoResponse;
use ralph_core::settings::Secret;
use ralph_lrs::XapiForwarding;
use serde_json::json;

use crate::{Lrs, PASSWORD, id, statement};

/// Serves `router` on 127.0.0.1 (a free port) until the test ends.
async fn serve(router: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

fn forwarding(addr: SocketAddr, max_retries: u32, timeout: f64) -> XapiForwarding {
    XapiForwarding {
        url: format!("http://{addr}/xAPI/statements"),
        is_active: true,
        basic_username: "alice".to_owned(),
        basic_password: Secret::new(PASSWORD),
        max_retries,
        timeout,
    }
}

/// Polls `lrs` until it has the statement with id `n`, for at most 10 s.
async fn wait_for(lrs: &Lrs, n: u64) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let res = lrs
            .get(&format!("/xAPI/statements?statementId={}", id(n)))
            .send()
            .await;
        if res.status == StatusCode::OK {
            return res.json();
        }
        assert!(Instant::now() < deadline, "statement {n} was not forwarded");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_statements_reach_the_other_lrs() {
    let b = Lrs::new();
    let b_addr = serve(ralph_lrs::router(b.state.clone())).await;
    let a = Lrs::with(|c| c.xapi_forwardings = vec![forwarding(b_addr, 2, 5.0)]);

    let res = a
        .post("/xAPI/statements", &json!([statement(1), statement(2)]))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let uri = format!("/xAPI/statements?statementId={}", id(3));
    let res = a.put(&uri, &statement(3)).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = a
        .post(
            "/xAPI/statements?partialSuccess=true",
            &json!([statement(4), {"bad": true}]),
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);

    for n in 1..=4 {
        let forwarded = wait_for(&b, n).await;
        assert_eq!(forwarded["verb"], statement(n)["verb"]);
    }
    // Re-posting to A stores nothing new there, so nothing more is sent to B.
    let res = a.post("/xAPI/statements", &statement(1)).send().await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_retried_with_backoff() {
    // A receiver that fails twice with 503, then stores in a real LRS.
    let b = Lrs::new();
    let b_router = ralph_lrs::router(b.state.clone());
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let flaky = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let b_router = b_router.clone();
        let counter = counter.clone();
        async move {
            use tower::ServiceExt;
            if counter.fetch_add(1, Ordering::SeqCst) < 2 {
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            b_router.oneshot(request).await.expect("infallible")
        }
    });
    let addr = serve(flaky).await;
    let a = Lrs::with(|c| c.xapi_forwardings = vec![forwarding(addr, 3, 5.0)]);
    let res = a.post("/xAPI/statements", &statement(1)).send().await;
    assert_eq!(res.status, StatusCode::OK);
    wait_for(&b, 1).await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        3,
        "two failures, then success"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_never_delays_the_answer() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let a = Lrs::with(|c| c.xapi_forwardings = vec![forwarding(addr, 5, 30.0)]);
    let started = Instant::now();
    for n in 1..=3 {
        let res = a.post("/xAPI/statements", &statement(n)).send().await;
        assert_eq!(res.status, StatusCode::OK);
    }
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "forwarding runs in the background: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn inactive_forwardings_are_ignored() {
    let mut inactive = forwarding("127.0.0.1:9".parse().expect("addr"), 0, 1.0);
    inactive.is_active = false;
    let a = Lrs::with(|c| c.xapi_forwardings = vec![inactive]);
    let res = a.post("/xAPI/statements", &statement(1)).send().await;
    assert_eq!(res.status, StatusCode::OK);
}
