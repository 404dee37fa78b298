//! Against our own LRS.

use std::collections::HashSet;

use ralph_core::{BackendStatus, DataBackend, ErrorKind, OperationType, ReadRequest, WriteOptions};
use serde_json::Value;

use crate::{COMPLETED, OurLrs, lines, query, read, statement, write};

const EXPERIENCED: &str = "http://adlnet.gov/expapi/verbs/experienced";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_statements_are_written_concurrently_and_paged_through() {
    let lrs = OurLrs::start().await;
    let backend = lrs.backend();
    let mut input = lines(0..10_000, COMPLETED);
    input.push_str(&lines(10_000..10_300, EXPERIENCED));
    let report = write(
        &backend,
        input,
        WriteOptions {
            concurrency: Some(4),
            ..Default::default()
        },
    )
    .await
    .expect("write");
    assert_eq!((report.written, report.skipped), (10_300, 0));

    // Our LRS answers at most 100 statements a page: 100 pages to follow.
    let got = read(&backend, query(&format!(r#"{{"verb": "{COMPLETED}"}}"#)))
        .await
        .expect("read");
    assert_eq!(got.len(), 10_000);
    let ids: HashSet<&str> = got.iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids.len(), 10_000, "every statement once");
    assert!(got.iter().all(|s| s["verb"]["id"] == COMPLETED));

    let other = read(&backend, query(&format!(r#"{{"verb": "{EXPERIENCED}"}}"#)))
        .await
        .expect("read");
    assert_eq!(other.len(), 300);
}

#[tokio::test]
async fn reads_follow_the_query_and_stop_at_max_statements() {
    let lrs = OurLrs::start().await;
    let backend = lrs.backend();
    write(&backend, lines(0..30, COMPLETED), WriteOptions::default())
        .await
        .expect("write");

    let one = read(
        &backend,
        query(r#"{"statementId": "00000000-0000-4000-8000-000000000007"}"#),
    )
    .await
    .expect("by id");
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["id"], statement(7, COMPLETED)["id"]);

    let mine = read(
        &backend,
        query(r#"{"agent": {"mbox": "mailto:learner3@example.org"}, "ascending": true}"#),
    )
    .await
    .expect("by agent");
    assert_eq!(mine.len(), 1);

    let few = read(
        &backend,
        ReadRequest {
            chunk_size: Some(4),
            max_statements: Some(10),
            ..Default::default()
        },
    )
    .await
    .expect("limited");
    assert_eq!(few.len(), 10);

    let raw = crate::read(
        &backend,
        ReadRequest {
            raw_output: true,
            chunk_size: Some(7),
            ..Default::default()
        },
    )
    .await
    .expect("raw");
    assert_eq!(raw.len(), 30);
}

#[tokio::test]
async fn a_conflicting_batch_stops_the_write_or_is_skipped() {
    let lrs = OurLrs::start().await;
    let backend = lrs.backend();
    write(&backend, lines(0..5, COMPLETED), WriteOptions::default())
        .await
        .expect("write");
    // Statement 12 exists with another verb: its batch (lines 3-4 of 10..16 in chunks of 2) is
    // refused with 409, the others are written.
    let mut input = lines(10..12, COMPLETED);
    input.push_str(&lines(2..3, EXPERIENCED));
    input.push_str(&lines(12..15, COMPLETED));
    let options = WriteOptions {
        chunk_size: Some(2),
        ..Default::default()
    };
    let err = write(&backend, input.clone(), options.clone())
        .await
        .expect_err("conflict");
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(err.to_string().contains("lines 3-4"), "{err}");
    assert!(err.to_string().contains("409"), "{err}");
    assert_eq!(err.written(), Some(2));

    let report = write(
        &backend,
        input,
        WriteOptions {
            ignore_errors: true,
            concurrency: Some(3),
            ..options
        },
    )
    .await
    .expect("skipped");
    assert_eq!((report.written, report.skipped), (4, 2));
}

#[tokio::test]
async fn bad_lines_and_invalid_statements() {
    let lrs = OurLrs::start().await;
    let backend = lrs.backend();
    let mut input = lines(0..2, COMPLETED);
    input.push_str("not json\n");
    input.push_str(&lines(2..3, COMPLETED));
    let err = write(&backend, input.clone(), WriteOptions::default())
        .await
        .expect_err("line 3");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("line 3"), "{err}");
    assert_eq!(err.written(), Some(2));

    let report = write(
        &backend,
        input,
        WriteOptions {
            ignore_errors: true,
            ..Default::default()
        },
    )
    .await
    .expect("ignored");
    assert_eq!((report.written, report.skipped), (3, 1));

    let err = write(
        &backend,
        "{\"verb\": {\"id\": \"not an iri\"}}\n",
        WriteOptions::default(),
    )
    .await
    .expect_err("invalid statement");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("line 1"), "{err}");
    assert!(err.to_string().contains("400"), "{err}");
}

#[tokio::test]
async fn status_credentials_and_operation_types() {
    let lrs = OurLrs::start().await;
    assert_eq!(lrs.backend().status().await, BackendStatus::Ok);

    let wrong = ralph_backend_lrs::LrsBackend::new(ralph_backend_lrs::LrsSettings {
        password: ralph_core::settings::Secret::new("nope"),
        ..lrs.settings()
    })
    .expect("backend");
    let err = read(&wrong, ReadRequest::default()).await.expect_err("401");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(err.to_string().contains("401"), "{err}");

    let missing = ralph_backend_lrs::LrsBackend::new(ralph_backend_lrs::LrsSettings {
        status_endpoint: "/nowhere".to_owned(),
        ..lrs.settings()
    })
    .expect("backend");
    assert_eq!(missing.status().await, BackendStatus::Error);

    let port = lrs.addr.port();
    drop(lrs);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let away = ralph_backend_lrs::LrsBackend::new(ralph_backend_lrs::LrsSettings {
        base_url: format!("http://127.0.0.1:{port}"),
        ..Default::default()
    })
    .expect("backend");
    assert_eq!(away.status().await, BackendStatus::Away);

    let backend = away;
    for op in [
        OperationType::Update,
        OperationType::Delete,
        OperationType::Append,
    ] {
        let err = crate::write(
            &backend,
            "{}\n",
            WriteOptions {
                operation_type: Some(op),
                ..Default::default()
            },
        )
        .await
        .expect_err("unsupported");
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{op}: {err}");
    }
}

#[tokio::test]
async fn bad_queries_and_settings_are_refused_before_any_request() {
    let backend = ralph_backend_lrs::LrsBackend::new(Default::default()).expect("backend");
    let err = read(&backend, query(r#"{"verbs": "x"}"#))
        .await
        .expect_err("unknown key");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("verbs"), "{err}");
    let err = ralph_backend_lrs::LrsBackend::new(ralph_backend_lrs::LrsSettings {
        base_url: "ftp://example.org".to_owned(),
        ..Default::default()
    })
    .expect_err("not http");
    assert_eq!(err.kind(), ErrorKind::ConfigInvalid);
    let _: Value = statement(0, COMPLETED);
}
