//! Behaviours of `redis`: start ids, following, consumer groups, connection errors.

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use ralph_backend_redis::{RedisBackend, RedisSettings};
use ralph_core::settings::SecretUrl;
use ralph_core::{ErrorKind, ReadRequest, Readable, Record, Writable, WriteOptions};
use ralph_testkit::{lines, raw_input, read_json};
use serde_json::{Value, json};

use crate::{Redis, unique};

/// `XPENDING key group`: count, lowest id, highest id, per-consumer counts.
type XPendingSummary = (
    u64,
    Option<String>,
    Option<String>,
    Option<Vec<(String, String)>>,
);

async fn write(r: &Redis, stream: &str, records: &[Value]) {
    r.backend
        .write(
            raw_input(lines(records)),
            WriteOptions {
                target: Some(stream.to_owned()),
                ..Default::default()
            },
        )
        .await
        .expect("write");
}

fn events(range: std::ops::Range<u64>) -> Vec<Value> {
    range.map(|n| json!({"n": n})).collect()
}

#[tokio::test]
async fn a_start_id_reads_from_that_entry_on() {
    let Some(r) = Redis::connect().await else {
        return;
    };
    let stream = unique("start");
    write(&r, &stream, &events(0..5)).await;
    let mut conn = redis::Client::open(std::env::var("RALPH_TEST_REDIS_URL").expect("url"))
        .expect("client")
        .get_multiplexed_async_connection()
        .await
        .expect("conn");
    let ids: Vec<(String, Vec<(String, String)>)> = redis::cmd("XRANGE")
        .arg(&stream)
        .arg("-")
        .arg("+")
        .query_async(&mut conn)
        .await
        .expect("xrange");
    let third = &ids[2].0;
    let back = read_json(
        &r.backend,
        ReadRequest {
            target: Some(stream.clone()),
            query: Some(format!(r#"{{"start": "{third}"}}"#)),
            chunk_size: Some(2),
            ..Default::default()
        },
    )
    .await
    .expect("read");
    assert_eq!(back, events(2..5));
}

#[tokio::test]
async fn follow_waits_for_new_entries() {
    let Some(r) = Redis::connect().await else {
        return;
    };
    let stream = unique("follow");
    write(&r, &stream, &events(0..2)).await;
    let mut reader = r
        .backend
        .read(ReadRequest {
            target: Some(stream.clone()),
            query: Some(r#"{"follow": true}"#.into()),
            ..Default::default()
        })
        .await
        .expect("read");
    let mut seen = Vec::new();
    for _ in 0..2 {
        seen.push(reader.next().await.expect("entry").expect("ok"));
    }
    let writer = {
        let r2 = Redis::connect().await.expect("second connection");
        let stream = stream.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            write(&r2, &stream, &events(2..3)).await;
        })
    };
    let next = tokio::time::timeout(Duration::from_secs(10), reader.next())
        .await
        .expect("the new entry arrives while following")
        .expect("entry")
        .expect("ok");
    writer.await.expect("writer");
    seen.push(next);
    let values: Vec<Value> = seen
        .into_iter()
        .map(|r| match r {
            Record::Json(v) => v,
            Record::Raw(b) => serde_json::from_slice(&b).expect("json"),
        })
        .collect();
    assert_eq!(values, events(0..3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consumers_of_one_group_see_each_event_exactly_once() {
    let Some(r) = Redis::connect().await else {
        return;
    };
    let stream = unique("group");
    write(&r, &stream, &events(0..1000)).await;
    let read = |consumer: &'static str| {
        let backend = r.backend.clone();
        let stream = stream.clone();
        tokio::spawn(async move {
            read_json(
                &backend,
                ReadRequest {
                    target: Some(stream),
                    query: Some(format!(r#"{{"group": "g", "consumer": "{consumer}"}}"#)),
                    chunk_size: Some(7),
                    ..Default::default()
                },
            )
            .await
            .expect("group read")
        })
    };
    let (a, b) = (read("a"), read("b"));
    let (a, b) = (a.await.expect("a"), b.await.expect("b"));
    let ns = |v: &[Value]| {
        v.iter()
            .map(|e| e["n"].as_u64().expect("n"))
            .collect::<HashSet<_>>()
    };
    let (na, nb) = (ns(&a), ns(&b));
    assert_eq!(
        na.len() + nb.len(),
        1000,
        "no event twice: {} + {}",
        a.len(),
        b.len()
    );
    assert!(na.is_disjoint(&nb));
    assert_eq!(na.union(&nb).count(), 1000);
    // Everything emitted was acknowledged: nothing pending for the group.
    let mut conn = redis::Client::open(std::env::var("RALPH_TEST_REDIS_URL").expect("url"))
        .expect("client")
        .get_multiplexed_async_connection()
        .await
        .expect("conn");
    let pending: XPendingSummary = redis::cmd("XPENDING")
        .arg(&stream)
        .arg("g")
        .query_async(&mut conn)
        .await
        .expect("xpending");
    assert_eq!(pending.0, 0);
    // A later reader of the same group gets nothing: it was all consumed.
    let again = read("c").await.expect("c");
    assert!(again.is_empty());
}

#[tokio::test]
async fn a_stored_entry_that_is_not_json_names_its_id_or_is_skipped() {
    let Some(r) = Redis::connect().await else {
        return;
    };
    let stream = unique("bad");
    let mut conn = redis::Client::open(std::env::var("RALPH_TEST_REDIS_URL").expect("url"))
        .expect("client")
        .get_multiplexed_async_connection()
        .await
        .expect("conn");
    let bad_id: String = redis::cmd("XADD")
        .arg(&stream)
        .arg("*")
        .arg("event")
        .arg("nope")
        .query_async(&mut conn)
        .await
        .expect("xadd");
    let _: String = redis::cmd("XADD")
        .arg(&stream)
        .arg("*")
        .arg("event")
        .arg("{}")
        .query_async(&mut conn)
        .await
        .expect("xadd");
    let request = ReadRequest {
        target: Some(stream.clone()),
        ..Default::default()
    };
    let err = read_json(&r.backend, request.clone())
        .await
        .expect_err("not JSON");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains(&bad_id), "{err}");
    let back = read_json(
        &r.backend,
        ReadRequest {
            ignore_errors: true,
            ..request
        },
    )
    .await
    .expect("skipped");
    assert_eq!(back, vec![json!({})]);
}

#[tokio::test]
async fn an_unreachable_server_is_named_quickly() {
    let settings = RedisSettings {
        url: SecretUrl::new("redis://user:hunter2@127.0.0.1:1/0"),
        connect_timeout: 2.0,
        ..Default::default()
    };
    let started = std::time::Instant::now();
    let err = RedisBackend::connect(settings)
        .await
        .expect_err("nothing listens on port 1");
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    let message = err.to_string();
    assert!(message.contains("127.0.0.1:1"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

#[tokio::test]
async fn maxlen_trims_the_stream() {
    let Some(url) = ralph_testkit::server_url("RALPH_TEST_REDIS_URL") else {
        return;
    };
    let backend = RedisBackend::connect(RedisSettings {
        url: SecretUrl::new(url),
        maxlen: Some(10),
        default_chunk_size: 50,
        ..Default::default()
    })
    .await
    .expect("connect");
    let stream = unique("maxlen");
    backend
        .write(
            raw_input(lines(&events(0..5000))),
            WriteOptions {
                target: Some(stream.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("write");
    let back = read_json(
        &backend,
        ReadRequest {
            target: Some(stream),
            ..Default::default()
        },
    )
    .await
    .expect("read");
    // Approximate trimming keeps at least MAXLEN entries and far fewer than were written.
    assert!(back.len() >= 10 && back.len() < 1000, "{}", back.len());
    assert_eq!(back.last(), Some(&json!({"n": 4999})));
}
