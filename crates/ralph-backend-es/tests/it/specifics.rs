//! Behaviour of the es backend beyond the shared suite.

use futures::TryStreamExt;
use ralph_backend_es::{EsBackend, EsSettings, Hosts};
use ralph_core::settings::SecretUrl;
use ralph_core::{
    BackendStatus, DataBackend, ErrorKind, OperationType, ReadRequest, Readable, Writable,
    WriteOptions,
};
use ralph_testkit::{Harness, lines, raw_input, read_json, sample_id};
use serde_json::{Value, json};

use crate::Es;

fn records(n: u64, tag: &str) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"id": sample_id(tag, i), "n": i, "text": format!("word{i} common")}))
        .collect()
}

async fn write(
    es: &Es,
    target: &str,
    input: &[Value],
    op: OperationType,
    ignore_errors: bool,
) -> ralph_core::Result<ralph_core::WriteReport> {
    es.backend
        .write(
            raw_input(lines(input)),
            WriteOptions {
                target: Some(target.to_owned()),
                operation_type: Some(op),
                ignore_errors,
                ..Default::default()
            },
        )
        .await
}

#[tokio::test]
async fn status_follows_cluster_health() {
    let Some(settings) = crate::settings() else {
        return;
    };
    let allowed = EsBackend::new(settings.clone()).expect("backend");
    assert_eq!(allowed.status().await, BackendStatus::Ok);
    let away = EsBackend::new(EsSettings {
        hosts: Hosts(vec![SecretUrl::new("http://127.0.0.1:1")]),
        ..Default::default()
    })
    .expect("backend");
    assert_eq!(away.status().await, BackendStatus::Away);
}

#[tokio::test]
async fn reads_yield_whole_hits_page_by_page_and_take_lucene_strings() {
    let Some(es) = Es::connect() else { return };
    let target = es.new_target();
    let input = records(5, "hits");
    write(&es, &target, &input, OperationType::Index, false)
        .await
        .expect("write");
    let hits = read_json(
        &es.backend,
        ReadRequest {
            target: Some(target.clone()),
            chunk_size: Some(2),
            ..Default::default()
        },
    )
    .await
    .expect("read");
    assert_eq!(hits.len(), 5, "three pages of two");
    for (hit, record) in hits.iter().zip(&input) {
        assert_eq!(hit["_index"], json!(target));
        assert_eq!(hit["_id"], record["id"]);
        assert_eq!(&hit["_source"], record);
        assert!(hit["sort"].is_array());
    }
    let sized = read_json(
        &es.backend,
        ReadRequest {
            target: Some(target.clone()),
            query: Some(r#"{"size": 3, "source_only": true}"#.into()),
            chunk_size: Some(2),
            ..Default::default()
        },
    )
    .await
    .expect("read");
    assert_eq!(sized, input[..3].to_vec(), "size limits the read");
    let lucene = read_json(
        &es.backend,
        ReadRequest {
            target: Some(target.clone()),
            query: Some("word3".into()),
            ..Default::default()
        },
    )
    .await
    .expect("read");
    assert_eq!(lucene.len(), 1);
    assert_eq!(lucene[0]["_source"], input[3]);
    let missing = es
        .backend
        .read(ReadRequest {
            target: Some(crate::unique("missing")),
            ..Default::default()
        })
        .await
        .err()
        .expect("no such index");
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
    es.cleanup().await;
}

#[tokio::test]
async fn refused_records_are_skipped_and_counted_or_stop_the_write() {
    let Some(es) = Es::connect() else { return };
    let target = es.new_target();
    let input = records(4, "refused");
    write(&es, &target, &input[..2], OperationType::Create, false)
        .await
        .expect("first two");
    // Creating all four: the first two exist.
    let report = write(&es, &target, &input, OperationType::Create, true)
        .await
        .expect("ignore errors");
    assert_eq!((report.written, report.skipped), (2, 2));
    let err = write(
        &es,
        &target,
        &records(6, "refused"),
        OperationType::Create,
        false,
    )
    .await
    .expect_err("conflict");
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(
        err.to_string().starts_with("line 1: `create` of `"),
        "{err}"
    );
    assert_eq!(
        err.written(),
        Some(2),
        "records 5 and 6 of the chunk were acknowledged"
    );

    // Update replaces existing documents only; delete deletes them.
    let update = vec![
        json!({"id": sample_id("refused", 0), "replaced": true}),
        json!({"id": sample_id("refused", 99)}),
    ];
    let report = write(&es, &target, &update, OperationType::Update, true)
        .await
        .expect("update");
    assert_eq!((report.written, report.skipped), (1, 1));
    let err = write(&es, &target, &update[1..], OperationType::Update, false)
        .await
        .expect_err("missing");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let report = write(&es, &target, &input[1..3], OperationType::Delete, false)
        .await
        .expect("delete");
    assert_eq!(report.written, 2);
    let left = read_json(&es.backend, es.read_request(&target))
        .await
        .expect("read");
    let ids: Vec<&Value> = left.iter().map(|r| &r["id"]).collect();
    assert_eq!(ids.len(), 4, "{left:?}");
    assert_eq!(left[0], update[0]);
    let err = write(
        &es,
        &target,
        &[json!({"n": 1})],
        OperationType::Delete,
        false,
    )
    .await
    .expect_err("no id");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    es.cleanup().await;
}

#[tokio::test]
async fn list_gives_index_details_and_filters_by_pattern() {
    let Some(es) = Es::connect() else { return };
    let target = es.new_target();
    write(
        &es,
        &target,
        &records(1, "list"),
        OperationType::Index,
        false,
    )
    .await
    .expect("write");
    let listable = es.backend.as_listable().expect("listable");
    let details: Vec<_> = listable
        .list(Some(target.clone()), true, false)
        .await
        .expect("list")
        .try_collect()
        .await
        .expect("entries");
    assert_eq!(details.len(), 1);
    let ralph_core::ListEntry::Details(detail) = &details[0] else {
        panic!("details expected: {details:?}");
    };
    assert!(detail[&target]["mappings"].is_object(), "{detail}");
    es.cleanup().await;
}

#[test]
fn bad_hosts_are_configuration_errors() {
    let err = EsBackend::new(EsSettings {
        hosts: Hosts(vec![SecretUrl::new("not a url")]),
        ..Default::default()
    })
    .expect_err("bad host");
    assert_eq!(err.kind(), ErrorKind::ConfigInvalid);
    assert!(err.to_string().contains("backends.data.es.hosts"), "{err}");
}
