//! The remote backends through the binary: `lrs` against `ralph runserver` (write 10k statements
//! with `-c 4`, read them back by verb, page by page) and `ws` against websocketd.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{Sandbox, assert_code, run_with, stderr, stdout};

const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";

/// `ralph runserver -b sqlite` on a free port; returns it and its port.
fn runserver(sandbox: &Sandbox) -> (Child, u16) {
    let mut child = sandbox
        .ralph()
        .args(["runserver", "-b", "sqlite", "-p", "0", "--sqlite-path"])
        .arg(sandbox.path("lrs.sqlite3"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runserver");
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
    std::thread::spawn(move || for _ in lines {});
    (child, port)
}

fn statements(n: u64) -> String {
    (0..n)
        .map(|i| {
            let verb = if i % 10 == 9 {
                "http://adlnet.gov/expapi/verbs/experienced"
            } else {
                COMPLETED
            };
            format!(
                "{{\"id\":\"00000000-0000-4000-8000-{i:012}\",\"actor\":{{\"mbox\":\"mailto:l{}@example.org\"}},\
                 \"verb\":{{\"id\":\"{verb}\"}},\"object\":{{\"id\":\"http://example.org/a/{}\"}}}}\n",
                i % 40,
                i % 9
            )
        })
        .collect()
}

#[test]
fn lrs_write_with_concurrency_then_read_by_verb() {
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
    let (mut server, port) = runserver(&sandbox);
    let base = format!("http://127.0.0.1:{port}");
    let flags = [
        "--lrs-base-url",
        base.as_str(),
        "--lrs-username",
        "alice",
        "--lrs-password",
        "pw",
    ];

    // 11,111 statements, 10,000 of them `completed`, in batches of 500, 4 in flight.
    let input = statements(11_111);
    let out = run_with(
        sandbox
            .ralph()
            .args(["write", "-b", "lrs", "-c", "4"])
            .args(flags),
        input.as_bytes(),
    );
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("written 11111 records"),
        "{}",
        stderr(&out)
    );

    let query = format!(r#"{{"verb": "{COMPLETED}"}}"#);
    let out = run_with(
        sandbox
            .ralph()
            .args(["read", "-b", "async_lrs", &query])
            .args(flags),
        b"",
    );
    assert_code(&out, 0);
    let text = stdout(&out);
    let ids: std::collections::HashSet<String> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a statement per line");
            assert_eq!(v["verb"]["id"], COMPLETED);
            v["id"].as_str().expect("id").to_owned()
        })
        .collect();
    assert_eq!(text.lines().count(), 10_000);
    assert_eq!(ids.len(), 10_000, "each statement once across the pages");

    // Written again: the LRS takes identical statements without storing them twice.
    let out = run_with(
        sandbox
            .ralph()
            .args(["write", "-b", "lrs", "-c", "4", "-s", "1000"])
            .args(flags),
        statements(10).as_bytes(),
    );
    assert_code(&out, 0);
    let out = sandbox
        .ralph()
        .args(["read", "-b", "lrs"])
        .args(flags)
        .output()
        .expect("read");
    assert_code(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 11_111);

    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    server.wait().expect("wait");
}

#[test]
fn ws_read_prints_every_line_websocketd_sends_and_exits_0() {
    let Some(websocketd) = ralph_testkit::server_url("RALPH_TEST_WEBSOCKETD") else {
        return;
    };
    let sandbox = Sandbox::fresh();
    let file = sandbox.path("events.jsonl");
    let text: String = (0..500).map(|i| format!("{{\"event\": {i}}}\n")).collect();
    std::fs::write(&file, &text).expect("write events");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut server = Command::new(websocketd)
        .arg("--address=127.0.0.1")
        .arg(format!("--port={port}"))
        .arg("cat")
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("websocketd");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "websocketd did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let uri = format!("ws://127.0.0.1:{port}/");
    let out = sandbox
        .ralph()
        .args(["read", "-b", "ws", "--ws-uri", &uri])
        .output()
        .expect("read");
    assert_code(&out, 0);
    assert_eq!(stdout(&out), text);
    let _ = server.kill();
    let _ = server.wait();
}
