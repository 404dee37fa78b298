//! `ralph write -b es` when the server dies mid-write: a clear error, exit 1, and a rerun with
//! `-o index` converges. The test runs its own noida-db (`RALPH_TEST_ES_BIN`) on a free port,
//! so killing it disturbs no other test.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::Sandbox;

const RECORDS: u64 = 100_000;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// One HTTP request to 127.0.0.1:`port`; the status code and the body.
fn http(port: u16, method: &str, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.split(' ').nth(1)?.parse().ok()?;
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

fn start_server(bin: &str, port: u16, data: &std::path::Path) -> Child {
    let child = Command::new(bin)
        .args(["start", "--only", "elasticsearch", "--host", "127.0.0.1"])
        .arg("--elasticsearch-port")
        .arg(port.to_string())
        .arg("--data-dir")
        .arg(data)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start noida-db");
    let deadline = Instant::now() + Duration::from_secs(60);
    while http(port, "GET", "/").is_none_or(|(status, _)| status != 200) {
        assert!(
            Instant::now() < deadline,
            "noida-db did not start on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child
}

fn line(i: u64) -> String {
    format!(
        "{{\"id\":\"00000000-0000-4000-8000-{i:012}\",\"actor\":{{\"mbox\":\"mailto:u{}@example.org\"}},\"verb\":{{\"id\":\"http://adlnet.gov/expapi/verbs/experienced\"}},\"object\":{{\"id\":\"http://example.org/activities/{}\"}},\"n\":{i}}}\n",
        i % 1000,
        i % 97
    )
}

/// Runs `ralph write -b es -o index` on the server at `port`, feeding the records from a thread;
/// `fed` counts the lines handed to the pipe.
fn write(sandbox: &Sandbox, port: u16, fed: Arc<AtomicU64>) -> Child {
    let mut child = sandbox
        .ralph()
        .args(["write", "-b", "es", "-t", "fault", "-o", "index"])
        .arg("--es-hosts")
        .arg(format!("http://127.0.0.1:{port}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ralph");
    let mut input = child.stdin.take().expect("stdin");
    std::thread::spawn(move || {
        for i in 0..RECORDS {
            // A broken pipe (ralph stopped) ends the feed.
            if input.write_all(line(i).as_bytes()).is_err() {
                return;
            }
            fed.store(i + 1, Ordering::Relaxed);
        }
    });
    child
}

fn count(port: u16) -> u64 {
    let (status, _) = http(port, "POST", "/fault/_refresh").expect("refresh");
    assert_eq!(status, 200);
    let (_, body) = http(port, "GET", "/fault/_count").expect("count");
    let value: serde_json::Value = serde_json::from_str(&body).expect("count JSON");
    value["count"].as_u64().expect("count")
}

#[test]
fn a_server_killed_mid_write_stops_it_clearly_and_a_rerun_converges() {
    let Some(bin) = ralph_testkit::server_url("RALPH_TEST_ES_BIN") else {
        return;
    };
    let sandbox = Sandbox::fresh();
    let data = sandbox.path("es-data");
    let port = free_port();
    let mut server = start_server(&bin, port, &data);

    let fed = Arc::new(AtomicU64::new(0));
    let writer = write(&sandbox, port, Arc::clone(&fed));
    // Kill the server once a good part of the input went through.
    let deadline = Instant::now() + Duration::from_secs(300);
    while fed.load(Ordering::Relaxed) < RECORDS * 3 / 10 {
        assert!(Instant::now() < deadline, "the write does not progress");
        std::thread::sleep(Duration::from_millis(10));
    }
    server.kill().expect("kill noida-db");
    server.wait().expect("reap noida-db");
    let out = writer.wait_with_output().expect("wait ralph");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stderr.contains("elasticsearch at `http://127.0.0.1:"),
        "{stderr}"
    );
    let written: u64 = stderr
        .split(" records written before the error")
        .next()
        .and_then(|head| head.rsplit('(').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no acknowledged count in: {stderr}"));
    assert!(written < RECORDS, "{stderr}");
    assert_eq!(written % 500, 0, "whole chunks are acknowledged: {stderr}");

    // Restarted, the server keeps what it acknowledged (or less, if it had not persisted it);
    // writing everything again with `index` converges to exactly the input.
    let mut server = start_server(&bin, port, &data);
    let kept = http(port, "GET", "/fault/_count")
        .filter(|(status, _)| *status == 200)
        .map_or(0, |_| count(port));
    eprintln!("{stderr}acknowledged {written}, kept {kept} after the restart");
    let out = write(&sandbox, port, Arc::new(AtomicU64::new(0)))
        .wait_with_output()
        .expect("wait ralph");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(count(port), RECORDS);
    server.kill().expect("kill noida-db");
    server.wait().expect("reap noida-db");
}
