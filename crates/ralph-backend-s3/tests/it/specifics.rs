//! Behaviours of `s3` beyond the suite: gzip objects, history, target forms, errors.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use ralph_backend_s3::S3Backend;
use ralph_core::{
    BackendStatus, DataBackend, ErrorKind, ListEntry, Listable, ReadRequest, Readable, Record,
    RecordStream, Writable, WriteOptions,
};
use ralph_testkit::{lines, raw_input, read_json, read_raw};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use crate::{S3, Server, settings};

fn records(n: u64) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"id": ralph_testkit::sample_id("s3", i), "n": i}))
        .collect()
}

async fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = async_compression::tokio::bufread::GzipEncoder::new(data);
    let mut out = Vec::new();
    encoder.read_to_end(&mut out).await.expect("gzip");
    out
}

async fn put(s3: &S3, key: &str, body: impl Into<Bytes>) {
    s3.backend
        .write(
            raw_input(body),
            WriteOptions {
                target: Some(format!("{}/{key}", s3.bucket)),
                ..Default::default()
            },
        )
        .await
        .expect("write");
}

fn object(key: &str) -> ReadRequest {
    ReadRequest {
        query: Some(key.to_owned()),
        ..Default::default()
    }
}

async fn ids(backend: &S3Backend, new: bool) -> Vec<String> {
    backend
        .list(None, false, new)
        .await
        .expect("list")
        .map_ok(|e| match e {
            ListEntry::Id(id) => id,
            ListEntry::Details(d) => panic!("id expected, got {d}"),
        })
        .try_collect()
        .await
        .expect("entries")
}

async fn gz_objects_come_out_raw_and_as_records(server: Server) {
    let Some(s3) = S3::fresh(server).await else {
        return;
    };
    let text = lines(&records(3));
    let compressed = gzip(text.as_bytes()).await;
    put(&s3, "day.jsonl.gz", compressed.clone()).await;
    let raw = read_raw(&s3.backend, object("day.jsonl.gz"))
        .await
        .expect("raw");
    assert_eq!(
        raw, compressed,
        "raw reads keep the gzip bytes, for `| gunzip`"
    );
    let back = read_json(&s3.backend, object("day.jsonl.gz"))
        .await
        .expect("records");
    assert_eq!(back, records(3), "records are read through gzip");
}

#[tokio::test]
async fn gz_objects_come_out_raw_and_as_records_moto() {
    gz_objects_come_out_raw_and_as_records(Server::Moto).await;
}

#[tokio::test]
async fn gz_objects_come_out_raw_and_as_records_s3s() {
    gz_objects_come_out_raw_and_as_records(Server::S3s).await;
}

#[tokio::test]
async fn list_new_skips_what_was_read_and_details_describe_objects() {
    let Some(s3) = S3::fresh(Server::S3s).await else {
        return;
    };
    put(&s3, "a.jsonl", lines(&records(1))).await;
    put(&s3, "dir/b.jsonl", lines(&records(2))).await;
    let mut all = ids(&s3.backend, false).await;
    all.sort();
    assert_eq!(all, ["a.jsonl", "dir/b.jsonl"]);
    read_json(&s3.backend, object("a.jsonl"))
        .await
        .expect("read");
    assert_eq!(ids(&s3.backend, true).await, ["dir/b.jsonl"]);
    let read_ids = s3.history.read_ids("s3").expect("history");
    assert!(
        read_ids.contains(&format!("{}/a.jsonl", s3.bucket)),
        "{read_ids:?}"
    );

    let details: Vec<ListEntry> = s3
        .backend
        .list(Some(s3.bucket.clone()), true, false)
        .await
        .expect("list")
        .try_collect()
        .await
        .expect("details");
    let ListEntry::Details(first) = &details[0] else {
        panic!("details expected");
    };
    assert_eq!(first["Key"], "a.jsonl");
    assert_eq!(first["Size"], lines(&records(1)).len());
    let modified = first["LastModified"].as_str().expect("LastModified");
    assert!(modified.ends_with("+00:00"), "{modified}");
    let fields = first.as_object().expect("an object");
    assert!(
        fields.values().all(|v| !v.is_null()),
        "absent, not null: {first}"
    );
}

#[tokio::test]
async fn listings_page_through_more_than_a_thousand_objects() {
    let Some(s3) = S3::fresh(Server::Moto).await else {
        return;
    };
    let (client, bucket) = (s3.backend.client(), s3.bucket.as_str());
    futures::stream::iter(0..1005)
        .for_each_concurrent(16, |i| async move {
            client
                .put_object()
                .bucket(bucket)
                .key(format!("k{i:04}"))
                .body(Bytes::from_static(b"{}\n").into())
                .send()
                .await
                .expect("put");
        })
        .await;
    assert_eq!(ids(&s3.backend, false).await.len(), 1005);
}

#[tokio::test]
async fn targets_default_to_the_default_bucket_and_a_new_name() {
    let Some(s3) = S3::fresh(Server::S3s).await else {
        return;
    };
    let report = s3
        .backend
        .write(raw_input(lines(&records(2))), WriteOptions::default())
        .await
        .expect("write without target");
    let location = report.location.expect("location");
    let (bucket, key) = location.split_once('/').expect("bucket/key");
    assert_eq!(bucket, s3.bucket);
    assert_eq!(
        read_json(&s3.backend, object(key)).await.expect("read"),
        records(2)
    );

    let report = s3
        .backend
        .write(
            raw_input(lines(&records(1))),
            WriteOptions {
                target: Some("only-a-key.jsonl".into()),
                ..Default::default()
            },
        )
        .await
        .expect("write a key");
    assert_eq!(
        report.location,
        Some(format!("{}/only-a-key.jsonl", s3.bucket))
    );
}

#[tokio::test]
async fn missing_objects_and_buckets_are_not_found() {
    let Some(s3) = S3::fresh(Server::S3s).await else {
        return;
    };
    let err = read_json(&s3.backend, object("nope.jsonl"))
        .await
        .expect_err("missing");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(
        err.to_string()
            .contains(&format!("`{}/nope.jsonl`", s3.bucket)),
        "{err}"
    );
    let err = match s3
        .backend
        .list(Some("no-such-bucket-ralph".into()), false, false)
        .await
    {
        Ok(_) => panic!("listing a missing bucket fails"),
        Err(err) => err,
    };
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = match s3.backend.read(ReadRequest::default()).await {
        Ok(_) => panic!("a read needs a key"),
        Err(err) => err,
    };
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[tokio::test]
async fn wrong_credentials_name_the_backend_and_the_endpoint() {
    let Some((url, key, _)) = Server::S3s.endpoint() else {
        return;
    };
    let Some(s3) = S3::fresh(Server::S3s).await else {
        return;
    };
    let history = ralph_core::history::History::new(std::env::temp_dir().join("unused.json"));
    let wrong = S3Backend::connect(settings(&url, &key, "not-the-secret", &s3.bucket), history)
        .await
        .expect("client");
    assert_eq!(wrong.status().await, BackendStatus::Error);
    let err = match wrong.list(None, false, false).await {
        Ok(_) => panic!("a wrong secret is refused"),
        Err(err) => err,
    };
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let message = err.to_string();
    assert!(message.starts_with(&format!("s3 `{url}`")), "{message}");
    assert!(message.contains("secret_access_key"), "{message}");
    let err = wrong
        .write(raw_input("{}\n"), WriteOptions::default())
        .await
        .expect_err("a wrong secret is refused");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert_eq!(s3.backend.status().await, BackendStatus::Ok);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_away_and_unavailable() {
    let history = ralph_core::history::History::new(std::env::temp_dir().join("unused.json"));
    // Port 1 on the loopback: nothing listens there, connections are refused at once.
    let backend = S3Backend::connect(settings("http://127.0.0.1:1", "k", "s", "b"), history)
        .await
        .expect("client");
    assert_eq!(backend.status().await, BackendStatus::Away);
    let err = match backend.list(None, false, false).await {
        Ok(_) => panic!("nothing listens"),
        Err(err) => err,
    };
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.to_string().contains("`http://127.0.0.1:1`"), "{err}");
}

#[tokio::test]
async fn a_failing_input_aborts_the_upload_and_leaves_no_object() {
    let Some(s3) = S3::fresh(Server::Moto).await else {
        return;
    };
    // Two parts' worth of input, then an error: the multipart upload has started.
    let chunk = Bytes::from(vec![b'x'; 1024 * 1024]);
    let input: RecordStream = futures::stream::iter(0..12)
        .map(move |i| {
            if i < 11 {
                Ok(Record::Raw(chunk.clone()))
            } else {
                Err(ralph_core::Error::invalid_input("line 12: input broke"))
            }
        })
        .boxed();
    let target = format!("{}/broken.bin", s3.bucket);
    let err = s3
        .backend
        .write(
            input,
            WriteOptions {
                target: Some(target),
                ..Default::default()
            },
        )
        .await
        .expect_err("the input fails");
    assert!(err.to_string().contains("input broke"), "{err}");
    assert!(ids(&s3.backend, false).await.is_empty());
    let uploads = s3
        .backend
        .client()
        .list_multipart_uploads()
        .bucket(&s3.bucket)
        .send()
        .await
        .expect("list uploads");
    assert!(uploads.uploads().is_empty(), "{:?}", uploads.uploads());
}
