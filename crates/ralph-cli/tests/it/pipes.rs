//! read, write, list and their pipes.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::{Sandbox, assert_code, exists, run_with, stderr, stdout};

#[test]
fn written_records_read_back() {
    let sb = Sandbox::fresh();
    let out = sb.run(
        &["write", "-b", "fs", "-t", "a.jsonl"],
        b"{\"id\":1}\n{\"id\":2}\n",
    );
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("written 1 file(s), 18 bytes"),
        "{}",
        stderr(&out)
    );
    let out = sb.run(&["read", "-b", "fs", "a.jsonl"], b"");
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "{\"id\":1}\n{\"id\":2}\n");
}

#[test]
fn fetch_and_push_are_aliases() {
    let sb = Sandbox::fresh();
    assert_code(&sb.run(&["push", "-b", "fs", "-t", "b.jsonl"], b"{}\n"), 0);
    assert_eq!(
        stdout(&sb.run(&["fetch", "-b", "fs", "b.jsonl"], b"")),
        "{}\n"
    );
}

#[test]
fn writing_over_an_existing_file_needs_update_or_append() {
    let sb = Sandbox::fresh();
    assert_code(&sb.run(&["write", "-b", "fs", "-t", "c"], b"1\n"), 0);
    let out = sb.run(&["write", "-b", "fs", "-t", "c"], b"2\n");
    assert_code(&out, 1);
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_code(
        &sb.run(&["write", "-b", "fs", "-t", "c", "-o", "append"], b"3\n"),
        0,
    );
    assert_eq!(
        std::fs::read_to_string(sb.path("c")).expect("file"),
        "1\n3\n"
    );
    assert_code(
        &sb.run(&["write", "-b", "fs", "-t", "c", "-o", "update"], b"4\n"),
        0,
    );
    assert_eq!(std::fs::read_to_string(sb.path("c")).expect("file"), "4\n");
    let out = sb.run(&["write", "-b", "fs", "-t", "c", "-o", "delete"], b"");
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("`delete` operation type is not allowed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_gzip_file_copied_through_a_pipe_is_byte_identical() {
    let sb = Sandbox::fresh();
    // Bytes of every value, including invalid UTF-8 and no trailing newline, as in an archive.
    let original: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(sb.path("events.gz"), &original).expect("write");
    let mut reader = sb
        .ralph()
        .args(["read", "-b", "fs", "events.gz"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn read");
    let pipe = reader.stdout.take().expect("stdout");
    let writer = sb
        .ralph()
        .args(["write", "-b", "fs", "-t", "copy.gz"])
        .stdin(pipe)
        .output()
        .expect("write");
    assert_code(&writer, 0);
    assert!(reader.wait().expect("read").success());
    assert_eq!(std::fs::read(sb.path("copy.gz")).expect("copy"), original);
}

#[test]
fn a_closed_pipe_ends_read_quietly_with_success() {
    let sb = Sandbox::fresh();
    let body: String = (0..200_000).map(|i| format!("{{\"id\":{i}}}\n")).collect();
    std::fs::write(sb.path("big.jsonl"), body).expect("write");
    let mut child = sb
        .ralph()
        .args(["read", "-b", "fs", "big.jsonl"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    // the reader is dropped here: `ralph read | head -1`
    let out = child.wait_with_output().expect("wait");
    assert_eq!(first, "{\"id\":0}\n");
    assert_code(&out, 0);
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn list_prints_ids_details_and_only_new_files() {
    let sb = Sandbox::fresh();
    for name in ["one.jsonl", "two.jsonl"] {
        assert_code(&sb.run(&["write", "-b", "fs", "-t", name], b"{}\n"), 0);
    }
    let ids = stdout(&sb.run(&["list", "-b", "fs"], b""));
    let expected = format!(
        "{}\n{}\n",
        sb.path("one.jsonl").display(),
        sb.path("two.jsonl").display()
    );
    assert_eq!(ids, expected);
    let details = stdout(&sb.run(&["list", "-b", "fs", "-D"], b""));
    let first: serde_json::Value =
        serde_json::from_str(details.lines().next().expect("line")).expect("json");
    assert_eq!(first["size"], 3);
    assert_code(&sb.run(&["read", "-b", "fs", "one.jsonl"], b""), 0);
    let new = stdout(&sb.run(&["list", "-b", "fs", "--new"], b""));
    assert_eq!(new, format!("{}\n", sb.path("two.jsonl").display()));
    assert!(exists(&sb.path("app/history.json")));
}

#[test]
fn a_bad_line_stops_a_record_backend_and_says_how_many_were_written() {
    let sb = Sandbox::fresh();
    let input = b"{\"id\":1}\n{\"id\":2}\nnot json\n{\"id\":4}\n";
    let out = sb.run(&["write", "-b", "memory"], input);
    assert_code(&out, 1);
    let err = stderr(&out);
    assert!(err.contains("line 3: not valid JSON"), "{err}");
    assert!(err.contains("2 records written before the error"), "{err}");

    let out = sb.run(&["write", "-b", "memory", "-I"], input);
    assert_code(&out, 0);
    let err = stderr(&out);
    assert!(err.contains("skipped: line 3"), "{err}");
    assert!(err.contains("written 3 records"), "{err}");
}

#[test]
fn missing_paths_are_named() {
    let sb = Sandbox::fresh();
    let out = sb.run(&["read", "-b", "fs", "-t", "nowhere"], b"");
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("nowhere` does not exist"),
        "{}",
        stderr(&out)
    );
    let out = run_with(
        sb.ralph().args(["write", "-b", "fs", "-t", "no/dir/file"]),
        b"{}\n",
    );
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("no/dir` does not exist"),
        "{}",
        stderr(&out)
    );
}
