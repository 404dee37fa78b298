//! End to end: the LRS served on a loopback socket, spoken to in plain HTTP/1.1.

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{Lrs, PASSWORD, id, statement};

struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), ralph_lrs::LrsError>>,
}

async fn start(lrs: &Lrs) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(ralph_lrs::serve(listener, lrs.state.clone(), async move {
        let _ = stopped.await;
    }));
    Server {
        addr,
        stop: Some(stop),
        task,
    }
}

/// Sends one request on a new connection; returns the status, the raw head and the body.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let token = base64::engine::general_purpose::STANDARD.encode(format!("alice:{PASSWORD}"));
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Basic {token}\r\n\
         X-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.expect("read");
    let text = String::from_utf8(response).expect("utf8");
    let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status");
    (status, head.to_owned(), body.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_posts_and_reads_over_a_socket() {
    let lrs = Lrs::new();
    let mut server = start(&lrs).await;
    let (status, _, body) = http(server.addr, "GET", "/__heartbeat__", None).await;
    assert_eq!((status, body.as_str()), (200, r#"{"database":"ok"}"#));
    let (status, head, body) =
        http(server.addr, "POST", "/xAPI/statements", Some(&statement(1))).await;
    assert_eq!(status, 200, "{head}\n{body}");
    assert!(
        head.to_ascii_lowercase()
            .contains("x-experience-api-version: 1.0.3"),
        "{head}"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&body).expect("json"),
        json!([id(1)])
    );
    let (status, _, body) = http(server.addr, "GET", "/xAPI/statements", None).await;
    assert_eq!(status, 200);
    let page: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(page["statements"][0]["id"], id(1));
    let _ = server.stop.take().map(|s| s.send(()));
    server.task.await.expect("join").expect("served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_writers_store_each_statement_once() {
    let lrs = Lrs::new();
    let mut server = start(&lrs).await;
    let addr = server.addr;
    let shared = Arc::new(statement(10_000));
    let mut tasks = Vec::new();
    for n in 1..=100 {
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            let batch = json!([statement(n), *shared]);
            http(addr, "POST", "/xAPI/statements", Some(&batch)).await.0
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("join"), 200);
    }
    let (status, _, body) = http(addr, "GET", "/xAPI/statements?limit=100", None).await;
    assert_eq!(status, 200);
    let mut seen: Vec<String> = Vec::new();
    let mut page: Value = serde_json::from_str(&body).expect("json");
    loop {
        for s in page["statements"].as_array().expect("list") {
            seen.push(s["id"].as_str().expect("id").to_owned());
        }
        let more = page["more"].as_str().unwrap_or_default().to_owned();
        if more.is_empty() {
            break;
        }
        let (status, _, body) = http(addr, "GET", &more, None).await;
        assert_eq!(status, 200);
        page = serde_json::from_str(&body).expect("json");
    }
    assert_eq!(seen.len(), 101);
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 101);
    let _ = server.stop.take().map(|s| s.send(()));
    server.task.await.expect("join").expect("served");
}
