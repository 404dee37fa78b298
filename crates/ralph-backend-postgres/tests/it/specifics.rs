//! Behaviours of `postgres`: JSON queries, delete, conflicts, errors.

use std::time::Duration;

use futures::StreamExt;
use ralph_backend_postgres::{PostgresBackend, PostgresSettings};
use ralph_core::settings::SecretUrl;
use ralph_core::{
    Error, ErrorKind, OperationType, ReadRequest, Writable, WriteOptions, WriteReport,
};
use ralph_testkit::{lines, raw_input, read_json, sample_id};
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::{Postgres, unique};

fn records(n: u64) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"id": sample_id("q", i), "n": i, "verb": {"id": if i % 2 == 0 { "even" } else { "odd" }}, "actor": {"name": format!("a{}", 9 - i)}}))
        .collect()
}

async fn write(
    p: &Postgres,
    table: &str,
    input: &[Value],
    op: Option<OperationType>,
    ignore: bool,
) -> ralph_core::Result<ralph_core::WriteReport> {
    p.backend
        .write(
            raw_input(lines(input)),
            WriteOptions {
                target: Some(table.to_owned()),
                operation_type: op,
                ignore_errors: ignore,
                ..Default::default()
            },
        )
        .await
}

async fn query(p: &Postgres, table: &str, q: &str) -> ralph_core::Result<Vec<Value>> {
    read_json(
        &p.backend,
        ReadRequest {
            target: Some(table.to_owned()),
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
async fn json_queries_filter_bind_sort_and_limit() {
    let Some(p) = Postgres::connect().await else {
        return;
    };
    let table = unique("query");
    write(&p, &table, &records(10), None, false)
        .await
        .expect("write");
    let even = query(&p, &table, r#"{"filter": {"verb": {"id": "even"}}}"#)
        .await
        .expect("filter");
    assert_eq!(ns(&even), [0, 2, 4, 6, 8]);
    let ranged = query(&p, &table, r#"{"where": "(doc->>'n')::int >= $low AND (doc->>'n')::int < $high", "parameters": {"low": 3, "high": 6}}"#)
        .await
        .expect("where");
    assert_eq!(ns(&ranged), [3, 4, 5]);
    let sorted = query(&p, &table, r#"{"sort": "actor.name", "limit": 3}"#)
        .await
        .expect("sort");
    assert_eq!(ns(&sorted), [9, 8, 7]);
    let injected = query(
        &p,
        &table,
        r#"{"filter": {"verb": {"id": "x'; DROP TABLE events; --"}}}"#,
    )
    .await
    .expect("bound");
    assert!(injected.is_empty());
    let err = query(&p, &table, r#"{"where": "doc->>'n' = $n"}"#)
        .await
        .expect_err("unbound placeholder");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn conflicts_are_reported_per_record_and_skipped_with_ignore_errors() {
    let Some(p) = Postgres::connect().await else {
        return;
    };
    let table = unique("conflict");
    let first = records(3);
    write(&p, &table, &first, None, false).await.expect("first");
    let mut again = records(5);
    again[0]["changed"] = json!(true);
    let err = write(&p, &table, &again, None, false)
        .await
        .expect_err("ids 0..3 exist");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.to_string().contains(&sample_id("q", 0)), "{err}");
    let report = write(&p, &table, &again, None, true)
        .await
        .expect("ignore errors");
    assert_eq!(
        (report.written, report.skipped),
        (0, 5),
        "the first try wrote 3 and 4 already"
    );
    let back = query(&p, &table, "").await.expect("read");
    assert_eq!(ns(&back), [0, 1, 2, 3, 4]);
    assert!(back[0].get("changed").is_none(), "create never overwrites");
}

#[tokio::test]
async fn delete_removes_by_id_and_reports_missing_ids() {
    let Some(p) = Postgres::connect().await else {
        return;
    };
    let table = unique("delete");
    write(&p, &table, &records(4), None, false)
        .await
        .expect("write");
    let gone = vec![
        json!({"id": sample_id("q", 1)}),
        json!({"id": sample_id("q", 3)}),
    ];
    let report = write(&p, &table, &gone, Some(OperationType::Delete), false)
        .await
        .expect("delete");
    assert_eq!(report.written, 2);
    assert_eq!(ns(&query(&p, &table, "").await.expect("read")), [0, 2]);
    let err = write(&p, &table, &gone, Some(OperationType::Delete), false)
        .await
        .expect_err("already deleted");
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn records_without_a_uuid_id_are_refused_or_given_one() {
    let Some(p) = Postgres::connect().await else {
        return;
    };
    let table = unique("ids");
    let err = write(&p, &table, &[json!({"id": "not-a-uuid"})], None, false)
        .await
        .expect_err("index needs a uuid");
    assert!(err.to_string().contains("not a UUID"), "{err}");
    for op in [Some(OperationType::Create), None] {
        let report = write(&p, &table, &[json!({"no": "id"})], op, false)
            .await
            .expect("a record without id is given one");
        assert_eq!(report.written, 1);
    }
    let err = write(
        &p,
        &table,
        &[json!({"no": "id"})],
        Some(OperationType::Update),
        false,
    )
    .await
    .expect_err("update needs an id");
    assert!(err.to_string().contains("needs an `id`"), "{err}");
}

#[tokio::test]
async fn a_missing_table_and_a_wrong_password_are_named() {
    let Some(p) = Postgres::connect().await else {
        return;
    };
    let err = query(&p, "no_such_table_here", "")
        .await
        .expect_err("missing table");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

    let Some(mut settings) = crate::settings() else {
        return;
    };
    let url =
        settings
            .connection_string
            .expose()
            .replacen("postgres:postgres@", "postgres:wrong@", 1);
    settings.connection_string = SecretUrl::new(url);
    let err = PostgresBackend::connect(settings)
        .await
        .expect_err("wrong password");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(!err.to_string().contains("wrong"), "{err}");
}

#[tokio::test]
async fn an_unreachable_server_is_named_within_the_timeout() {
    let settings = PostgresSettings {
        connection_string: SecretUrl::new("postgres://postgres:secret@127.0.0.1:1/ralph"),
        connect_timeout: 2.0,
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let err = PostgresBackend::connect(settings)
        .await
        .expect_err("nothing on port 1");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
    assert!(!err.to_string().contains("secret"), "{err}");
}

/// The connection of a killed write is dropped by the server mid-stream: the error says how many
/// records were committed, and exactly those are in the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_killed_mid_write_reports_what_was_committed() {
    let Some(mut settings) = crate::settings() else {
        return;
    };
    // A name of its own, so that only this test's connections are terminated.
    let name = format!("ralph_kill_{}", std::process::id());
    let url = settings.connection_string.expose().to_owned();
    let separator = if url.contains('?') { '&' } else { '?' };
    settings.connection_string = SecretUrl::new(format!("{url}{separator}application_name={name}"));
    settings.default_chunk_size = 2_000;
    let backend = PostgresBackend::connect(settings).await.expect("connect");
    let table = unique("kill");
    let writer = {
        let backend = backend.clone();
        let table = table.clone();
        tokio::spawn(async move {
            backend
                .write(
                    ralph_testkit::generated_lines(2_000_000),
                    WriteOptions {
                        target: Some(table),
                        ..Default::default()
                    },
                )
                .await
        })
    };
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("observer");
    tokio::spawn(connection);
    // Wait until some chunks are committed, then end every connection of the writer.
    let count = format!("SELECT count(*) FROM \"{table}\"");
    wait_for_count(&client, &count, 10_000, "the write does not progress").await;
    let started = std::time::Instant::now();
    // Keep terminating them: a connection the pool opens again is ended too, until the write
    // gives up.
    while !writer.is_finished() {
        client
            .execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", &[&name])
            .await
            .expect("terminate");
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the write never fails"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let err = writer
        .await
        .expect("writer task")
        .expect_err("the write loses its connection");
    let written = err
        .written()
        .expect("the error says how many records were committed");
    let stored: i64 = client.query_one(&count, &[]).await.expect("count").get(0);
    assert_committed(u64::try_from(stored).expect("count"), written, &err);
    assert!((10_000..2_000_000).contains(&written), "{written}");
}

/// Every record the error counts as written is stored; more are stored only when the
/// connection was lost during a commit, which the error then reports, with the chunk's size.
fn assert_committed(stored: u64, written: u64, err: &Error) {
    let message = err.to_string();
    if stored == written {
        return;
    }
    assert!(
        message.contains("the connection was lost while committing 2000 records"),
        "{stored} stored, {written} written: {message}"
    );
    assert_eq!(stored, written + 2_000, "{message}");
}

/// A private cluster (see `scripts/test-servers/postgres-private.sh`), removed on drop.
pub(crate) struct PrivateCluster {
    script: String,
    dir: std::path::PathBuf,
    /// Its port on 127.0.0.1.
    pub(crate) port: u16,
}

impl PrivateCluster {
    /// A cluster to start on a free port, in a directory named after `name`, or `None` when the
    /// test is skipped (`RALPH_TEST_POSTGRES_PRIVATE` unset).
    pub(crate) fn new(name: &str) -> Option<Self> {
        let script = ralph_testkit::server_url("RALPH_TEST_POSTGRES_PRIVATE")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        // Under the shared temporary directory, which the `postgres` system user can enter.
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        Some(Self { script, dir, port })
    }

    fn run(&self, args: &[&str]) {
        let status = std::process::Command::new("bash")
            .arg(&self.script)
            .args(args)
            .status()
            .expect("run postgres-private.sh");
        assert!(status.success(), "postgres-private.sh {args:?} failed");
    }

    /// Starts it (initialised on first start).
    pub(crate) fn start(&self) {
        let dir = self.dir.to_string_lossy().into_owned();
        self.run(&["start", &dir, &self.port.to_string()]);
    }

    fn kill(&self) {
        self.run(&["kill", &self.dir.to_string_lossy()]);
    }

    /// Its URL (user `postgres`, trust authentication).
    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// A plain connection of the test's own, to observe the server.
    async fn observer(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.url(), tokio_postgres::NoTls)
            .await
            .expect("observer");
        tokio::spawn(connection);
        client
    }

    /// Kills it (SIGKILL, postmaster and backends at once) and returns the error that `writer`,
    /// a write in progress, ends with.
    async fn kill_during(&self, writer: JoinHandle<ralph_core::Result<WriteReport>>) -> Error {
        self.kill();
        tokio::time::timeout(Duration::from_secs(60), writer)
            .await
            .expect("the write ends once its server is gone")
            .expect("writer task")
            .expect_err("the write loses its server")
    }

    /// Starts it again (crash recovery) and counts the rows of `events`.
    async fn restart_and_count(&self) -> u64 {
        self.start();
        let stored: i64 = self
            .observer()
            .await
            .query_one("SELECT count(*) FROM events", &[])
            .await
            .expect("count after recovery")
            .get(0);
        u64::try_from(stored).expect("a count")
    }
}

/// Polls `count`, a query of one count, every 20 ms until it reaches `target` (an error counts
/// as 0: the table may not exist yet).
async fn wait_for_count(client: &tokio_postgres::Client, count: &str, target: i64, what: &str) {
    let started = std::time::Instant::now();
    loop {
        let value: i64 = match client.query_one(count, &[]).await {
            Ok(row) => row.get(0),
            Err(_) => 0,
        };
        if value >= target {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg(&self.script)
            .args(["stop", &self.dir.to_string_lossy()])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The server process itself is killed (SIGKILL, postmaster and backends) mid-write: the error
/// says how many records were committed and, after crash recovery, those are there, plus the
/// chunk whose commit was cut off when the kill came during it (which the error reports).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_write_keeps_every_committed_record() {
    let Some(cluster) = PrivateCluster::new("ralph-pg-kill") else {
        return;
    };
    cluster.start();
    let settings = PostgresSettings {
        connection_string: SecretUrl::new(cluster.url()),
        default_chunk_size: 2_000,
        ..Default::default()
    };
    let backend = PostgresBackend::connect(settings).await.expect("connect");
    let options = WriteOptions {
        target: Some("events".to_owned()),
        ..Default::default()
    };
    let lines = ralph_testkit::generated_lines(2_000_000);
    let writer = tokio::spawn(async move { backend.write(lines, options).await });
    let observer = cluster.observer().await;
    let count = "SELECT count(*) FROM events";
    wait_for_count(&observer, count, 10_000, "the write does not progress").await;
    drop(observer);
    let err = cluster.kill_during(writer).await;
    assert!(
        err.to_string()
            .contains(&format!("127.0.0.1:{}", cluster.port)),
        "{err}"
    );
    let written = err
        .written()
        .expect("the error says how many records were committed");
    assert!((10_000..2_000_000).contains(&written), "{err}");
    assert_committed(cluster.restart_and_count().await, written, &err);
}

/// A commit the server made durable but never acknowledged: the server waits, after writing
/// the commit to its log, for a synchronous standby that does not exist, and is killed then.
/// The error reports the chunk as in doubt and does not count it; after crash recovery it is
/// there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_cut_off_after_it_was_durable_is_reported_in_doubt() {
    let Some(cluster) = PrivateCluster::new("ralph-pg-doubt") else {
        return;
    };
    cluster.start();
    let settings = PostgresSettings {
        connection_string: SecretUrl::new(cluster.url()),
        default_chunk_size: 2_000,
        ..Default::default()
    };
    let backend = PostgresBackend::connect(settings).await.expect("connect");
    let options = || WriteOptions {
        target: Some("events".to_owned()),
        ..Default::default()
    };
    let first = backend
        .write(ralph_testkit::generated_lines(2_000), options())
        .await
        .expect("a first chunk");
    assert_eq!(first.written, 2_000);
    let observer = cluster.observer().await;
    observer
        .batch_execute("ALTER SYSTEM SET synchronous_standby_names = 'nobody'")
        .await
        .expect("set a synchronous standby");
    observer
        .batch_execute("SELECT pg_reload_conf()")
        .await
        .expect("reload");
    // The next 2,000 lines (the generator numbers its ids from 0, 1,000 lines a record).
    let lines = ralph_testkit::generated_lines(4_000).skip(2).boxed();
    let writer = tokio::spawn(async move { backend.write(lines, options()).await });
    // The writer's own commit (not that of an autovacuum worker analysing the table).
    let waiting = "SELECT count(*) FROM pg_stat_activity \
                   WHERE wait_event = 'SyncRep' AND backend_type = 'client backend' \
                   AND query = 'COMMIT'";
    wait_for_count(&observer, waiting, 1, "the commit never waits").await;
    // What the server was doing when it was killed, for the messages below.
    let activity: String = observer
        .query_one(
            "SELECT coalesce(string_agg(format('%s %s %s %s', pid, backend_type, \
             coalesce(wait_event, '-'), left(query, 40)), '; '), '') FROM pg_stat_activity",
            &[],
        )
        .await
        .map_or_else(|e| e.to_string(), |row| row.get(0));
    drop(observer);
    let err = cluster.kill_during(writer).await;
    assert_eq!(err.written(), Some(0), "{err} (server: {activity})");
    assert!(
        err.to_string()
            .contains("the connection was lost while committing 2000 records"),
        "{err} (server: {activity})"
    );
    assert_eq!(
        cluster.restart_and_count().await,
        4_000,
        "{err} (server: {activity})"
    );
}
