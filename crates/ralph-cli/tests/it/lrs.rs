//! `ralph auth` and `ralph runserver`: credentials written, then a server answering over a
//! socket with them, then a graceful stop on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;

use crate::{Sandbox, assert_code, stderr, stdout};

#[test]
fn auth_prints_or_writes_credentials() {
    let sandbox = Sandbox::fresh();
    let out = sandbox.run(
        &[
            "auth",
            "-u",
            "alice",
            "-p",
            "pw",
            "-s",
            "all",
            "-M",
            "mailto:alice@example.org",
            "-N",
            "Alice",
        ],
        b"",
    );
    assert_code(&out, 0);
    let text = stdout(&out);
    assert!(
        text.starts_with("Copy/paste the following credentials"),
        "{text}"
    );
    assert!(text.contains("\"hash\": \"$2b$12$"), "{text}");
    assert!(!sandbox.path("app/auth.json").exists(), "printed only");

    let args = [
        "auth",
        "-u",
        "alice",
        "-p",
        "pw",
        "-s",
        "statements/read",
        "-s",
        "statements/write",
        "-A",
        "alice",
        "http://example.org",
        "-t",
        "tenant",
        "-w",
    ];
    assert_code(&sandbox.run(&args, b""), 0);
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sandbox.path("app/auth.json")).expect("auth.json"))
            .expect("json");
    assert_eq!(file[0]["username"], "alice");
    assert_eq!(
        file[0]["scopes"],
        serde_json::json!(["statements/read", "statements/write"])
    );
    assert_eq!(
        file[0]["agent"]["account"]["homePage"],
        "http://example.org"
    );
    assert_eq!(file[0]["target"], "tenant");
    let out = sandbox.run(&args, b"");
    assert_code(&out, 1);
    assert!(stderr(&out).contains("same username"), "{}", stderr(&out));
}

#[test]
fn auth_usage_errors() {
    let sandbox = Sandbox::fresh();
    // no IFI, two IFIs, unknown scope: usage errors
    for args in [
        &["auth", "-u", "a", "-p", "p", "-s", "all"][..],
        &[
            "auth",
            "-u",
            "a",
            "-p",
            "p",
            "-s",
            "all",
            "-M",
            "mailto:a@b.c",
            "-O",
            "http://o",
        ][..],
        &[
            "auth",
            "-u",
            "a",
            "-p",
            "p",
            "-s",
            "everything",
            "-M",
            "mailto:a@b.c",
        ][..],
    ] {
        assert_code(&sandbox.run(args, b""), 2);
    }
    let out = sandbox.run(
        &["auth", "-u", "a", "-p", "p", "-s", "all", "-M", "a@b.c"],
        b"",
    );
    assert_code(&out, 2);
}

fn request(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let token = "YWxpY2U6cHc="; // alice:pw
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic {token}\r\n\
         X-Experience-API-Version: 1.0.3\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

/// Starts `ralph {args} {path}` and returns it with the port it listens on.
fn start(sandbox: &Sandbox, args: &[&str], path: &std::path::Path) -> (std::process::Child, u16) {
    let mut child = sandbox
        .ralph()
        .args(args)
        .arg(path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let port: u16 = loop {
        let line = lines.next().expect("a log line").expect("utf8");
        if let Some(rest) = line.split("http://127.0.0.1:").nth(1) {
            break rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|p| p.parse().ok())
                .expect("port");
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, port)
}

fn stop(child: &mut std::process::Child) {
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "graceful stop exits 0: {status}");
}

#[test]
fn runserver_serves_the_fs_store() {
    let sandbox = Sandbox::fresh();
    let auth = [
        "auth",
        "-u",
        "alice",
        "-p",
        "pw",
        "-s",
        "all",
        "-M",
        "mailto:alice@example.org",
        "-w",
    ];
    assert_code(&sandbox.run(&auth, b""), 0);
    let dir = sandbox.path("lrs-data");
    let (mut child, port) = start(
        &sandbox,
        &[
            "runserver",
            "-b",
            "fs",
            "-p",
            "0",
            "--fs-default-directory-path",
        ],
        &dir,
    );
    let heartbeat = request(port, "/__heartbeat__");
    assert!(heartbeat.starts_with("HTTP/1.1 200"), "{heartbeat}");
    let statements = request(port, "/xAPI/statements?verb=http%3A%2F%2Fexample.org%2Fv");
    assert!(statements.contains("\"statements\":[]"), "{statements}");
    assert!(dir.is_dir(), "the directory is created");
    stop(&mut child);
}

#[test]
fn runserver_serves_the_sqlite_store_and_stops_on_sigterm() {
    let sandbox = Sandbox::fresh();
    let auth = [
        "auth",
        "-u",
        "alice",
        "-p",
        "pw",
        "-s",
        "all",
        "-M",
        "mailto:alice@example.org",
        "-w",
    ];
    assert_code(&sandbox.run(&auth, b""), 0);
    let db = sandbox.path("data/lrs.sqlite3");
    let (mut child, port) = start(&sandbox, &["runserver", "-p", "0", "--sqlite-path"], &db);
    let heartbeat = request(port, "/__heartbeat__");
    assert!(heartbeat.starts_with("HTTP/1.1 200"), "{heartbeat}");
    let whoami = request(port, "/whoami");
    assert!(whoami.contains("mailto:alice@example.org"), "{whoami}");
    let statements = request(port, "/xAPI/statements");
    assert!(statements.contains("\"statements\":[]"), "{statements}");
    assert!(db.exists(), "the database is created at --sqlite-path");

    stop(&mut child);
}

fn post(port: u16, path: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let token = "YWxpY2U6cHc="; // alice:pw
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Basic {token}\r\n\
         X-Experience-API-Version: 1.0.3\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    response
}

#[test]
fn runserver_serves_the_postgres_store() {
    let Some(url) = ralph_testkit::server_url("RALPH_TEST_POSTGRES_URL") else {
        return;
    };
    let sandbox = Sandbox::fresh();
    let auth = [
        "auth",
        "-u",
        "alice",
        "-p",
        "pw",
        "-s",
        "all",
        "-M",
        "mailto:alice@example.org",
        "-w",
    ];
    assert_code(&sandbox.run(&auth, b""), 0);
    // A fixed prefix and statement: reruns (even concurrent ones) store the same statement,
    // which is idempotent, and leave no new tables behind.
    let (mut child, port) = start(
        &sandbox,
        &[
            "runserver",
            "-b",
            "postgres",
            "-p",
            "0",
            "--postgres-table-prefix",
            "ralph_cli_test_",
            "--postgres-connection-string",
        ],
        std::path::Path::new(&url),
    );
    let heartbeat = request(port, "/__heartbeat__");
    assert!(heartbeat.starts_with("HTTP/1.1 200"), "{heartbeat}");
    let id = "7d3c1b6e-2a4f-4c1e-9b0a-5e8f6d4c3b2a";
    let statement = format!(
        r#"{{"id": "{id}", "actor": {{"mbox": "mailto:cli@example.org"}},
            "verb": {{"id": "http://example.org/verbs/ran"}},
            "object": {{"id": "http://example.org/activities/runserver"}},
            "timestamp": "2024-01-15T10:00:00+00:00"}}"#
    );
    let stored = post(port, "/xAPI/statements", &statement);
    // 200 with the id when new, 204 when an earlier run already stored it.
    assert!(
        stored.starts_with("HTTP/1.1 200") || stored.starts_with("HTTP/1.1 204"),
        "{stored}"
    );
    let found = request(port, &format!("/xAPI/statements?statementId={id}"));
    assert!(found.starts_with("HTTP/1.1 200"), "{found}");
    assert!(found.contains("mailto:cli@example.org"), "{found}");
    stop(&mut child);
}

#[test]
fn runserver_serves_the_mongo_store_and_read_write_use_the_mongo_backend() {
    let Some(url) = ralph_testkit::server_url("RALPH_TEST_MONGO_URL") else {
        return;
    };
    let sandbox = Sandbox::fresh();
    let auth = [
        "auth",
        "-u",
        "alice",
        "-p",
        "pw",
        "-s",
        "all",
        "-M",
        "mailto:alice@example.org",
        "-w",
    ];
    assert_code(&sandbox.run(&auth, b""), 0);
    // A fixed database and statement: reruns store the same statement, which is idempotent.
    // The store under Ralph 5.1's name for it.
    let (mut child, port) = start(
        &sandbox,
        &[
            "runserver",
            "-b",
            "async_mongo",
            "-p",
            "0",
            "--mongo-default-database",
            "ralph_cli_test",
            "--mongo-connection-uri",
        ],
        std::path::Path::new(&url),
    );
    let id = "5b7e0a3c-1d2f-4e6a-8b9c-0d1e2f3a4b5c";
    let statement = format!(
        r#"{{"id": "{id}", "actor": {{"mbox": "mailto:cli@example.org"}},
            "verb": {{"id": "http://example.org/verbs/ran"}},
            "object": {{"id": "http://example.org/activities/runserver"}},
            "timestamp": "2024-01-15T10:00:00+00:00"}}"#
    );
    let stored = post(port, "/xAPI/statements", &statement);
    assert!(
        stored.starts_with("HTTP/1.1 200") || stored.starts_with("HTTP/1.1 204"),
        "{stored}"
    );
    let found = request(port, &format!("/xAPI/statements?statementId={id}"));
    assert!(found.starts_with("HTTP/1.1 200"), "{found}");
    assert!(found.contains("mailto:cli@example.org"), "{found}");
    stop(&mut child);

    // The statement the LRS stored reads back with the data backend, under Ralph's alias.
    let read = sandbox.run(
        &[
            "read",
            "-b",
            "async_mongo",
            "--mongo-connection-uri",
            &url,
            "--mongo-default-database",
            "ralph_cli_test",
            r#"{"filter": {"_source.id": "5b7e0a3c-1d2f-4e6a-8b9c-0d1e2f3a4b5c"}, "projection": {"_source.id": 1}}"#,
        ],
        b"",
    );
    assert_code(&read, 0);
    assert_eq!(stdout(&read), format!("{{\"id\":\"{id}\"}}\n"));
}

#[test]
fn runserver_serves_the_es_store() {
    let Some(url) = ralph_testkit::server_url("RALPH_TEST_ES_URL") else {
        return;
    };
    let sandbox = Sandbox::fresh();
    let auth = [
        "auth",
        "-u",
        "alice",
        "-p",
        "pw",
        "-s",
        "all",
        "-M",
        "mailto:alice@example.org",
        "-w",
    ];
    assert_code(&sandbox.run(&auth, b""), 0);
    // A fixed index and statement: reruns store the same statement, which is idempotent.
    // The store under Ralph 5.1's name for it.
    let (mut child, port) = start(
        &sandbox,
        &[
            "runserver",
            "-b",
            "async_es",
            "-p",
            "0",
            "--es-default-index",
            "ralph_cli_test",
            "--es-allow-yellow-status",
            "--es-hosts",
        ],
        std::path::Path::new(&url),
    );
    let heartbeat = request(port, "/__heartbeat__");
    assert!(heartbeat.starts_with("HTTP/1.1 200"), "{heartbeat}");
    let id = "5b0e2c8a-9f1d-4e3b-8a7c-6d5e4f3a2b1c";
    let statement = format!(
        r#"{{"id": "{id}", "actor": {{"mbox": "mailto:cli@example.org"}},
            "verb": {{"id": "http://example.org/verbs/ran"}},
            "object": {{"id": "http://example.org/activities/runserver"}},
            "timestamp": "2024-01-15T10:00:00+00:00"}}"#
    );
    let stored = post(port, "/xAPI/statements", &statement);
    assert!(
        stored.starts_with("HTTP/1.1 200") || stored.starts_with("HTTP/1.1 204"),
        "{stored}"
    );
    let found = request(port, &format!("/xAPI/statements?statementId={id}"));
    assert!(found.starts_with("HTTP/1.1 200"), "{found}");
    assert!(found.contains("mailto:cli@example.org"), "{found}");
    let listed = request(
        port,
        "/xAPI/statements?verb=http://example.org/verbs/ran&limit=1",
    );
    assert!(listed.contains(id), "{listed}");
    stop(&mut child);
}
