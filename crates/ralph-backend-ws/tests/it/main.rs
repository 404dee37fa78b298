//! Integration tests of the `ws` backend against websocketd (`RALPH_TEST_WEBSOCKETD` names the
//! executable; each test starts its own server on a free port with the program it needs).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use ralph_backend_ws::{WsBackend, WsSettings};
use ralph_core::{BackendStatus, DataBackend, ErrorKind, ReadRequest, Readable, Record, Result};
use serde_json::{Value, json};

/// A websocketd serving `program`, killed when dropped.
struct Websocketd {
    child: Child,
    port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

impl Websocketd {
    fn start(program: &[&str]) -> Option<Self> {
        let bin = ralph_testkit::server_url("RALPH_TEST_WEBSOCKETD")?;
        let port = free_port();
        let child = Command::new(bin)
            .arg("--address=127.0.0.1")
            .arg(format!("--port={port}"))
            .args(program)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn websocketd");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "websocketd did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(Self { child, port })
    }

    fn settings(&self) -> WsSettings {
        WsSettings {
            uri: Some(format!("ws://127.0.0.1:{}/", self.port)),
            ..Default::default()
        }
    }
}

impl Drop for Websocketd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn read_all(backend: &WsBackend, request: ReadRequest) -> Result<Vec<Record>> {
    let mut stream = backend.read(request).await?;
    let mut out = Vec::new();
    while let Some(record) = stream.next().await {
        out.push(record?);
    }
    Ok(out)
}

fn events_file(n: u64) -> tempfile::NamedTempFile {
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    let text: String = (0..n)
        .map(|i| format!("{}\n", json!({"event": i, "text": "é ✓"})))
        .collect();
    std::io::Write::write_all(&mut file, text.as_bytes()).expect("write");
    file
}

#[tokio::test]
async fn every_line_websocketd_sends_is_read_then_the_read_ends() {
    let file = events_file(1000);
    let path = file.path().to_string_lossy().into_owned();
    let Some(server) = Websocketd::start(&["cat", &path]) else {
        return;
    };
    let backend = WsBackend::new(server.settings()).expect("backend");
    let raw = read_all(
        &backend,
        ReadRequest {
            raw_output: true,
            ..Default::default()
        },
    )
    .await
    .expect("raw read ends cleanly");
    let bytes: Vec<u8> = raw.into_iter().flat_map(|r| r.into_bytes()).collect();
    assert_eq!(
        bytes,
        std::fs::read(file.path()).expect("file"),
        "every line, in order"
    );

    let values = read_all(&backend, ReadRequest::default())
        .await
        .expect("json read");
    assert_eq!(values.len(), 1000);
    assert_eq!(
        values[999],
        Record::Json(json!({"event": 999, "text": "é ✓"}))
    );
}

#[tokio::test]
async fn max_statements_stops_early_and_bad_messages_are_reported() {
    let Some(server) =
        Websocketd::start(&["sh", "-c", "echo '{\"a\": 1}'; echo nope; echo 2; echo 3"])
    else {
        return;
    };
    let backend = WsBackend::new(server.settings()).expect("backend");
    let two = read_all(
        &backend,
        ReadRequest {
            max_statements: Some(1),
            ..Default::default()
        },
    )
    .await
    .expect("one");
    assert_eq!(two, vec![Record::Json(json!({"a": 1}))]);

    let mut stream = backend.read(ReadRequest::default()).await.expect("read");
    assert!(stream.next().await.expect("first").is_ok());
    let err = stream.next().await.expect("second").expect_err("not JSON");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("message 2"), "{err}");

    let skipped = read_all(
        &backend,
        ReadRequest {
            ignore_errors: true,
            ..Default::default()
        },
    )
    .await
    .expect("skipped");
    let values: Vec<Value> = skipped
        .into_iter()
        .map(|r| match r {
            Record::Json(v) => v,
            Record::Raw(_) => panic!("json"),
        })
        .collect();
    assert_eq!(values, vec![json!({"a": 1}), json!(2), json!(3)]);
}

#[tokio::test]
async fn a_reconnecting_read_connects_again_after_each_drop() {
    // Each connection sends one line, then websocketd drops it when the program ends.
    let Some(server) = Websocketd::start(&["echo", "{\"hello\": true}"]) else {
        return;
    };
    let backend = WsBackend::new(WsSettings {
        reconnect: true,
        ..server.settings()
    })
    .expect("backend");
    let got = read_all(
        &backend,
        ReadRequest {
            max_statements: Some(3),
            ..Default::default()
        },
    )
    .await
    .expect("three connections");
    assert_eq!(got.len(), 3);
}

#[tokio::test]
async fn pings_keep_a_quiet_connection_and_status_is_a_ping() {
    let Some(server) = Websocketd::start(&["sh", "-c", "echo 1; sleep 1; echo 2"]) else {
        return;
    };
    let mut settings = server.settings();
    settings.client_options.ping_interval = Some(0.2);
    settings.client_options.ping_timeout = Some(0.5);
    let backend = WsBackend::new(settings).expect("backend");
    assert_eq!(backend.status().await, BackendStatus::Ok);
    let got = read_all(&backend, ReadRequest::default())
        .await
        .expect("read");
    assert_eq!(got, vec![Record::Json(json!(1)), Record::Json(json!(2))]);
}

#[tokio::test]
async fn too_large_messages_and_absent_servers_fail_clearly() {
    let Some(server) =
        Websocketd::start(&["sh", "-c", "head -c 5000 /dev/zero | tr '\\0' x; echo"])
    else {
        return;
    };
    let mut settings = server.settings();
    settings.client_options.max_size = Some(1000);
    let backend = WsBackend::new(settings).expect("backend");
    let err = read_all(&backend, ReadRequest::default())
        .await
        .expect_err("too large");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("max_size"), "{err}");

    let port = free_port();
    let down = WsSettings {
        uri: Some(format!("ws://127.0.0.1:{port}/")),
        ..Default::default()
    };
    let backend = WsBackend::new(down.clone()).expect("backend");
    assert_eq!(backend.status().await, BackendStatus::Away);
    let err = read_all(&backend, ReadRequest::default())
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.to_string().contains(&port.to_string()), "{err}");

    let backend = WsBackend::new(WsSettings {
        reconnect: true,
        reconnect_max_attempts: Some(2),
        ..down
    })
    .expect("backend");
    let err = read_all(&backend, ReadRequest::default())
        .await
        .expect_err("gives up");
    assert!(err.to_string().contains("2 connection attempts"), "{err}");

    let err = WsBackend::new(WsSettings::default()).expect_err("no uri");
    assert_eq!(err.kind(), ErrorKind::ConfigInvalid);
    assert!(err.to_string().contains("backends.data.ws.uri"), "{err}");
}
