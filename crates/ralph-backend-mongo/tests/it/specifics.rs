//! Behaviours of `mongo`: Ralph's queries, update and delete, timestamps, errors, and a server
//! killed mid-write.

use std::time::Duration;

use ralph_backend_mongo::{MongoBackend, MongoSettings};
use ralph_core::settings::SecretUrl;
use ralph_core::{
    ErrorKind, ListEntry, Listable, OperationType, ReadRequest, Writable, WriteOptions,
};
use ralph_testkit::{lines, raw_input, read_json, sample_id};
use serde_json::{Value, json};

use crate::{Mongo, unique};

fn records(n: u64) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"id": sample_id("q", i), "timestamp": format!("2024-01-01T00:00:0{i}Z"), "n": i, "verb": {"id": if i % 2 == 0 { "even" } else { "odd" }}}))
        .collect()
}

async fn write(
    backend: &MongoBackend,
    collection: &str,
    input: &[Value],
    op: Option<OperationType>,
    ignore: bool,
) -> ralph_core::Result<ralph_core::WriteReport> {
    backend
        .write(
            raw_input(lines(input)),
            WriteOptions {
                target: Some(collection.to_owned()),
                operation_type: op,
                ignore_errors: ignore,
                ..Default::default()
            },
        )
        .await
}

async fn query(m: &Mongo, collection: &str, q: &str) -> ralph_core::Result<Vec<Value>> {
    read_json(
        &m.backend,
        ReadRequest {
            target: Some(collection.to_owned()),
            query: Some(q.to_owned()),
            chunk_size: Some(3),
            ..Default::default()
        },
    )
    .await
}

fn ns(values: &[Value]) -> Vec<u64> {
    values.iter().map(|v| v["n"].as_u64().expect("n")).collect()
}

#[tokio::test]
async fn ralph_queries_filter_project_sort_and_limit() {
    let Some(m) = Mongo::connect().await else {
        return;
    };
    let collection = unique("query");
    write(&m.backend, &collection, &records(8), None, false)
        .await
        .expect("write");
    let even = query(
        &m,
        &collection,
        r#"{"filter": {"_source.verb.id": "even"}}"#,
    )
    .await
    .expect("filter");
    assert_eq!(ns(&even), [0, 2, 4, 6]);
    let sorted = query(
        &m,
        &collection,
        r#"{"sort": [["_source.timestamp", -1]], "limit": 3, "projection": {"_source.n": 1}}"#,
    )
    .await
    .expect("sort");
    assert_eq!(
        sorted,
        vec![json!({"n": 7}), json!({"n": 6}), json!({"n": 5})]
    );
    let envelope = query(&m, &collection, r#"{"limit": 1, "envelope": true}"#)
        .await
        .expect("envelope");
    let id = envelope[0]["_id"].as_str().expect("_id as hex").to_owned();
    assert_eq!(id.len(), 24);
    let after = query(
        &m,
        &collection,
        &format!(r#"{{"filter": {{"_id": {{"$gt": {{"$oid": "{id}"}}}}}}, "sort": [["_id", 1]]}}"#),
    )
    .await
    .expect("ObjectId filter");
    assert_eq!(after.len(), 7);
    let err = query(&m, &collection, r#"{"filter": {"$nope": 1}}"#)
        .await
        .expect_err("unknown operator");
    assert!(err.to_string().contains("mongo at"), "{err}");
    let err = query(&m, &collection, "not json")
        .await
        .expect_err("bad query");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn update_and_delete_by_id_report_missing_ids() {
    let Some(m) = Mongo::connect().await else {
        return;
    };
    let collection = unique("update");
    write(&m.backend, &collection, &records(4), None, false)
        .await
        .expect("write");
    let changed = vec![
        json!({"id": sample_id("q", 1), "n": 10}),
        json!({"id": sample_id("q", 9), "n": 90}),
    ];
    let err = write(
        &m.backend,
        &collection,
        &changed,
        Some(OperationType::Update),
        false,
    )
    .await
    .expect_err("id 9 is not stored");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.written(), Some(1));
    assert_eq!(
        ns(&query(&m, &collection, "").await.expect("read")),
        [0, 10, 2, 3]
    );
    let gone = vec![
        json!({"id": sample_id("q", 0)}),
        json!({"id": sample_id("q", 8)}),
    ];
    let report = write(
        &m.backend,
        &collection,
        &gone,
        Some(OperationType::Delete),
        true,
    )
    .await
    .expect("delete with ignore errors");
    assert_eq!((report.written, report.skipped), (1, 1));
    assert_eq!(
        ns(&query(&m, &collection, "").await.expect("read")),
        [10, 2, 3]
    );
}

#[tokio::test]
async fn ids_and_timestamps_are_checked_per_record() {
    let Some(m) = Mongo::connect().await else {
        return;
    };
    let collection = unique("checks");
    let input = vec![
        json!({"id": sample_id("c", 1), "timestamp": "yesterday"}),
        json!({"timestamp": "2024-01-01T00:00:00Z"}),
        json!({"id": 5, "timestamp": "2024-01-01T00:00:00Z"}),
        json!({"id": sample_id("c", 4), "timestamp": "1969-12-31T23:59:59Z"}),
        json!({"id": sample_id("c", 5)}),
    ];
    let report = write(&m.backend, &collection, &input, None, true)
        .await
        .expect("ignore errors");
    assert_eq!((report.written, report.skipped), (1, 4));
    let err = write(&m.backend, &collection, &input[..1], None, false)
        .await
        .expect_err("bad timestamp");
    assert!(err.to_string().contains("line 1"), "{err}");
    assert!(err.to_string().contains("yesterday"), "{err}");
    // `create` accepts records without id, as Ralph.
    let report = write(
        &m.backend,
        &collection,
        &input[1..2],
        Some(OperationType::Create),
        false,
    )
    .await
    .expect("create without id");
    assert_eq!(report.written, 1);
    // A record without timestamp keeps an `_id` that depends on its id alone.
    let err = write(&m.backend, &collection, &input[4..], None, false)
        .await
        .expect_err("same id again");
    assert_eq!(err.kind(), ErrorKind::Conflict);
}

#[tokio::test]
async fn list_details_bad_names_and_unreachable_servers() {
    let Some(m) = Mongo::connect().await else {
        return;
    };
    let collection = unique("list");
    write(&m.backend, &collection, &records(1), None, false)
        .await
        .expect("write");
    use futures::TryStreamExt;
    let details: Vec<ListEntry> = m
        .backend
        .list(Some("ralph_test".into()), true, false)
        .await
        .expect("list")
        .try_collect()
        .await
        .expect("entries");
    assert!(details.iter().any(
        |e| matches!(e, ListEntry::Details(d) if d["name"] == collection.as_str() && d["info"]["uuid"].is_string())
    ));
    let err = write(&m.backend, "a..b", &records(1), None, false)
        .await
        .expect_err("bad collection");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        m.backend
            .list(Some("a.b".into()), false, false)
            .await
            .is_err()
    );

    let settings = MongoSettings {
        connection_uri: SecretUrl::new("mongodb://ralph:secret@127.0.0.1:1/"),
        connect_timeout: 1.0,
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let err = MongoBackend::connect(settings)
        .await
        .expect_err("nothing on port 1");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
    assert!(!err.to_string().contains("secret"), "{err}");
    let err = MongoBackend::connect(MongoSettings {
        default_database: "a.b".into(),
        ..Default::default()
    })
    .await
    .expect_err("bad database name");
    assert_eq!(err.kind(), ErrorKind::ConfigInvalid);
}

/// A test server of this test's own on a free port, killed at will.
struct OwnServer {
    child: tokio::process::Child,
    port: u16,
}

impl OwnServer {
    async fn start(program: &str, dir: &std::path::Path, port: u16) -> Self {
        let child = tokio::process::Command::new(program)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .arg("--storage-path")
            .arg(dir)
            .args(["--log-level", "ERROR"])
            .kill_on_drop(true)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start the mongo test server");
        let started = std::time::Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server does not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self { child, port }
    }

    fn settings(&self) -> MongoSettings {
        MongoSettings {
            connection_uri: SecretUrl::new(format!(
                "mongodb://127.0.0.1:{}/?directConnection=true",
                self.port
            )),
            default_database: "ralph_kill".into(),
            write_chunk_size: 500,
            connect_timeout: 2.0,
            ..Default::default()
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn count(backend: &MongoBackend) -> u64 {
    backend
        .client()
        .database("ralph_kill")
        .collection::<mongodb::bson::Document>("events")
        .count_documents(mongodb::bson::doc! {})
        .await
        .unwrap_or(0)
}

/// The server dies mid-write: the error names the server and says how many records were
/// acknowledged; they are stored, and a rerun with `ignore_errors` completes the collection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_write_reports_what_was_acknowledged() {
    let Some(program) = ralph_testkit::server_url("RALPH_TEST_MONGO_SERVER") else {
        return;
    };
    const N: u64 = 20_000;
    let dir = std::env::temp_dir().join(unique("mongo_kill"));
    let port = free_port();
    let mut server = OwnServer::start(&program, &dir, port).await;
    let backend = MongoBackend::connect(server.settings())
        .await
        .expect("connect");
    let options = |ignore_errors| WriteOptions {
        target: Some("events".into()),
        ignore_errors,
        ..Default::default()
    };
    let writer = {
        let backend = backend.clone();
        let options = options(false);
        tokio::spawn(async move {
            backend
                .write(ralph_testkit::generated_lines(N), options)
                .await
        })
    };
    let started = std::time::Instant::now();
    while count(&backend).await < 2_000 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the write does not progress"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.child.kill().await.expect("kill the server");
    let err = writer
        .await
        .expect("writer task")
        .expect_err("the write loses its server");
    eprintln!("the write stopped with: {err}");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    let written = err
        .written()
        .expect("the error says how many were acknowledged");
    assert!((2_000..N).contains(&written), "{written}");

    // Same data directory, same port: what was acknowledged is there, and a rerun that skips
    // what exists converges to every record exactly once.
    let _server = OwnServer::start(&program, &dir, port).await;
    let backend = MongoBackend::connect(_server.settings())
        .await
        .expect("reconnect");
    let kept = count(&backend).await;
    assert!(kept >= written, "{kept} stored, {written} acknowledged");
    let report = backend
        .write(ralph_testkit::generated_lines(N), options(true))
        .await
        .expect("rerun");
    assert_eq!(report.written + report.skipped, N);
    assert_eq!(report.skipped, kept);
    assert_eq!(count(&backend).await, N);
    drop(_server);
    let _ = std::fs::remove_dir_all(&dir);
}
