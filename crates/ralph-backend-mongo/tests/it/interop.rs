//! Interop with the Python ralph 5.1 (`RALPH_TEST_PYTHON_RALPH_MONGO`, installed by
//! `scripts/test-servers/mongo.sh`): what one writes, the other reads back identically, and both
//! store byte-identical documents.

use futures::TryStreamExt;
use mongodb::bson::RawDocumentBuf;
use ralph_core::{ReadRequest, Writable, WriteOptions};
use ralph_testkit::{lines, raw_input, read_json, sample_id};
use serde_json::{Value, json};

use crate::{Mongo, unique};

/// Statements with what tells BSON encoders apart: small and large integers, whole and
/// fractional floats, unicode, nesting, empty containers, nulls, keys in a non-sorted order.
fn statements(n: u64) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "id": sample_id("interop", i),
                "timestamp": format!("2024-0{}-1{}T10:{:02}:00.{:03}+0{}:00", 1 + i % 9, i % 10, i % 60, i, i % 3),
                "actor": {"objectType": "Agent", "account": {"name": format!("user{i}"), "homePage": "https://example.org"}},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"fr-FR": "a répondu ✓"}},
                "object": {"id": format!("http://example.org/q/{i}"), "definition": {"choices": [], "extensions": {}}},
                "result": {"score": {"raw": i, "max": 4_000_000_000_i64 + i as i64, "scaled": 0.5, "min": 0.0}, "success": i % 2 == 0, "response": null},
                "zeta": 1, "alpha": [1, 2.5, "x", [true]],
            })
        })
        .collect()
}

fn python_ralph() -> Option<String> {
    ralph_testkit::server_url("RALPH_TEST_PYTHON_RALPH_MONGO")
}

/// Runs the Python ralph with the test server's settings.
async fn python(ralph: &str, args: &[&str], stdin: Option<String>) -> String {
    use tokio::io::AsyncWriteExt;
    let url = crate::settings().expect("server").connection_uri;
    let mut child = tokio::process::Command::new(ralph)
        .args(args)
        .env("RALPH_BACKENDS__DATA__MONGO__CONNECTION_URI", url.expose())
        .env(
            "RALPH_BACKENDS__DATA__MONGO__DEFAULT_DATABASE",
            "ralph_test",
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the Python ralph");
    let mut input = child.stdin.take().expect("stdin");
    let text = stdin.unwrap_or_default();
    let feed = tokio::spawn(async move {
        input.write_all(text.as_bytes()).await.expect("write stdin");
    });
    let out = child.wait_with_output().await.expect("python ralph");
    feed.await.expect("stdin task");
    assert!(
        out.status.success(),
        "python ralph {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

async fn stored(m: &Mongo, collection: &str) -> Vec<RawDocumentBuf> {
    m.backend
        .client()
        .database("ralph_test")
        .collection::<RawDocumentBuf>(collection)
        .find(mongodb::bson::doc! {})
        .sort(mongodb::bson::doc! {"_id": 1})
        .await
        .expect("find")
        .try_collect()
        .await
        .expect("documents")
}

#[tokio::test]
async fn the_python_ralph_and_ours_store_and_read_the_same_documents() {
    let (Some(m), Some(ralph)) = (Mongo::connect().await, python_ralph()) else {
        return;
    };
    let input = statements(120);
    let by_python = unique("by_python");
    let by_us = unique("by_us");

    // Python writes, we read back the statements as written.
    python(
        &ralph,
        &["write", "-b", "mongo", "-t", &by_python, "-s", "50"],
        Some(lines(&input)),
    )
    .await;
    let back = read_json(
        &m.backend,
        ReadRequest {
            target: Some(by_python.clone()),
            chunk_size: Some(7),
            ..Default::default()
        },
    )
    .await
    .expect("read what Python wrote");
    assert_eq!(back, input);

    // We write, Python reads back the statements as written, under the `_id` it would give.
    let report = m
        .backend
        .write(
            raw_input(lines(&input)),
            WriteOptions {
                target: Some(by_us.clone()),
                chunk_size: Some(50),
                ..Default::default()
            },
        )
        .await
        .expect("write");
    assert_eq!(report.written, 120);
    let python_read: Vec<Value> = python(&ralph, &["read", "-b", "mongo", "-t", &by_us], None)
        .await
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    let sources: Vec<Value> = python_read.iter().map(|d| d["_source"].clone()).collect();
    assert_eq!(sources, input);

    // Ralph's read output (`envelope`) is what the Python ralph prints.
    let envelopes = read_json(
        &m.backend,
        ReadRequest {
            target: Some(by_us.clone()),
            query: Some(r#"{"envelope": true}"#.into()),
            ..Default::default()
        },
    )
    .await
    .expect("read envelopes");
    assert_eq!(envelopes, python_read);

    // Both stored the same bytes: `_id`, key order and BSON number types.
    let ours = stored(&m, &by_us).await;
    let theirs = stored(&m, &by_python).await;
    assert_eq!(ours.len(), 120);
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a.as_bytes(), b.as_bytes(), "{a:?} != {b:?}");
    }

    // A duplicate written by Python is refused by us, and the reverse.
    let err = m
        .backend
        .write(
            raw_input(lines(&input[..1])),
            WriteOptions {
                target: Some(by_python.clone()),
                ..Default::default()
            },
        )
        .await
        .expect_err("already written by Python");
    assert_eq!(err.kind(), ralph_core::ErrorKind::Conflict, "{err}");
}
