//! The `s3` backend through the binary: a gzip archive written, listed, read back through
//! `gunzip` into the `fs` backend (moto, `RALPH_TEST_S3_URL`), and wrong credentials (s3s-fs,
//! `RALPH_TEST_S3S_URL`, which checks signatures).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

use crate::{Sandbox, assert_code, run_with, stderr, stdout};

/// Creates `bucket` on moto, which takes unsigned requests.
fn create_bucket(url: &str, bucket: &str) {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let mut conn = TcpStream::connect(host).expect("connect to moto");
    write!(
        conn,
        "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let out = run_with(Command::new("gzip").arg("-c"), data);
    assert!(out.status.success(), "gzip");
    out.stdout
}

#[test]
fn a_gzip_archive_goes_through_s3_and_gunzip_into_fs() {
    let Some(url) = ralph_testkit::server_url("RALPH_TEST_S3_URL") else {
        return;
    };
    let bucket = ralph_testkit::unique_name("cli").replace('_', "-");
    create_bucket(&url, &bucket);
    let sb = Sandbox::fresh();
    let s3 = |cmd: &mut Command| {
        cmd.env("RALPH_BACKENDS__DATA__S3__ENDPOINT_URL", &url)
            .env("RALPH_BACKENDS__DATA__S3__ACCESS_KEY_ID", "testing")
            .env("RALPH_BACKENDS__DATA__S3__SECRET_ACCESS_KEY", "testing")
            .env("RALPH_BACKENDS__DATA__S3__DEFAULT_BUCKET_NAME", &bucket)
            .env(
                "RALPH_BACKENDS__DATA__FS__DEFAULT_DIRECTORY_PATH",
                sb.path("fs"),
            );
    };
    let events: String = (0..500)
        .map(|i| format!("{{\"id\":\"{i}\",\"verb\":\"played\"}}\n"))
        .collect();
    let archive = gzip(events.as_bytes());

    let ralph_s3 = |args: &[&str], stdin: &[u8]| {
        let mut cmd = sb.ralph();
        s3(&mut cmd);
        run_with(cmd.args(args), stdin)
    };
    let out = ralph_s3(&["write", "-b", "s3", "-t", "day.jsonl.gz"], &archive);
    assert_code(&out, 0);
    let out = ralph_s3(&["write", "-b", "s3", "-t", "day.jsonl.gz"], &archive);
    assert_code(&out, 1);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));

    let out = ralph_s3(&["list", "-b", "s3", "--new"], b"");
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "day.jsonl.gz\n");

    let mut pipeline = Command::new("sh");
    s3(&mut pipeline);
    let ralph = env!("CARGO_BIN_EXE_ralph");
    pipeline
        .current_dir(sb.dir.path())
        .env("HOME", sb.dir.path())
        .env("RALPH_APP_DIR", sb.path("app"))
        .arg("-c")
        .arg(format!(
            "set -e; '{ralph}' read -b s3 day.jsonl.gz | gunzip | '{ralph}' write -b fs -t copy.jsonl"
        ));
    let out = run_with(&mut pipeline, b"");
    assert_code(&out, 0);
    let copy = std::fs::read_to_string(sb.path("fs/copy.jsonl")).expect("the copy");
    assert_eq!(copy, events);

    let out = ralph_s3(&["list", "-b", "s3", "--new"], b"");
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "", "the archive was read");
}

#[test]
fn wrong_credentials_fail_at_once_naming_the_backend_and_the_endpoint() {
    let Some(url) = ralph_testkit::server_url("RALPH_TEST_S3S_URL") else {
        return;
    };
    let sb = Sandbox::fresh();
    let out = sb.run(
        &[
            "list",
            "-b",
            "s3",
            "--s3-endpoint-url",
            &url,
            "--s3-access-key-id",
            "ralph",
            "--s3-secret-access-key",
            "not-the-secret",
            "--s3-default-bucket-name",
            "logs",
        ],
        b"",
    );
    assert_code(&out, 1);
    let err = stderr(&out);
    assert!(err.contains(&format!("s3 `{url}`")), "{err}");
    assert!(err.contains("403"), "{err}");
    assert!(
        !err.contains("not-the-secret"),
        "the secret never prints: {err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
}
