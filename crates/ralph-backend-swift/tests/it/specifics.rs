//! Behaviours of `swift`: segmented uploads, token renewal, credentials, paging, names.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use ralph_backend_swift::SwiftBackend;
use ralph_core::history::History;
use ralph_core::settings::Secret;
use ralph_core::{
    BackendStatus, DataBackend, ErrorKind, ListEntry, Listable, ReadRequest, Readable, Record,
    Writable, WriteOptions,
};
use ralph_testkit::{raw_input, read_json, read_raw};
use serde_json::json;

use crate::{Auth, Swift, settings, unique};

const BOTH: [Auth; 2] = [Auth::TempAuth, Auth::Keystone];

async fn write(s: &Swift, object: &str, chunks: Vec<Bytes>) -> ralph_core::WriteReport {
    let input = futures::stream::iter(chunks.into_iter().map(|c| Ok(Record::Raw(c)))).boxed();
    s.backend
        .write(
            input,
            WriteOptions {
                target: Some(format!("{}/{object}", s.container)),
                ..Default::default()
            },
        )
        .await
        .expect("write")
}

fn read(_: &Swift, object: &str) -> ReadRequest {
    ReadRequest {
        query: Some(object.to_owned()),
        ..Default::default()
    }
}

async fn ids(backend: &SwiftBackend, container: Option<String>, new: bool) -> Vec<String> {
    backend
        .list(container, false, new)
        .await
        .expect("list")
        .map_ok(|e| match e {
            ListEntry::Id(id) => id,
            ListEntry::Details(d) => panic!("details: {d}"),
        })
        .try_collect()
        .await
        .expect("entries")
}

fn bytes_of(n: usize, seed: u32) -> Vec<u8> {
    (0..n as u32)
        .map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

#[tokio::test]
async fn objects_larger_than_a_segment_become_static_large_objects() {
    for auth in BOTH {
        let Some(s) = Swift::with(auth, |s| s.segment_size = 1000).await else {
            return;
        };
        let segments_container = format!("{}_segments", s.container);
        s.backend
            .create_container(&segments_container)
            .await
            .expect("segments container");
        // (size, expected segments left): one request up to the segment size, then segments.
        for (size, segments) in [
            (0, 0),
            (800, 0),
            (1000, 0),
            (1500, 2),
            (2000, 2),
            (10_500, 11),
        ] {
            let data = bytes_of(size, size as u32);
            let object = unique("slo");
            let chunks = data.chunks(700).map(Bytes::copy_from_slice).collect();
            let report = write(&s, &object, chunks).await;
            assert_eq!((report.written, report.bytes), (1, size as u64));
            let back = read_raw(&s.backend, read(&s, &object)).await.expect("read");
            assert!(back == data, "{auth:?}: {size} bytes come back whole");
            let stored = ids(&s.backend, Some(format!("{}_segments", s.container)), false)
                .await
                .into_iter()
                .filter(|name| name.starts_with(&format!("{object}/")))
                .count();
            assert_eq!(stored, segments, "{auth:?}: segments of {size} bytes");
            let listed = s
                .backend
                .list(None, true, false)
                .await
                .expect("list")
                .try_collect::<Vec<_>>()
                .await
                .expect("details");
            let size_listed = listed.iter().find_map(|e| match e {
                ListEntry::Details(d) if d["name"] == json!(object) => Some(d["size"].clone()),
                _ => None,
            });
            assert_eq!(size_listed, Some(json!(size)), "{auth:?}: listed size");
        }
    }
}

#[tokio::test]
async fn an_object_of_one_segment_is_copied_to_its_place() {
    // Above the 8 MiB buffered in memory, below the segment size: streamed as one segment, then
    // copied to its name on the server.
    let Some(s) = Swift::with(Auth::TempAuth, |s| s.segment_size = 9 * 1024 * 1024).await else {
        return;
    };
    let data = bytes_of(8 * 1024 * 1024 + 500_000, 7);
    let object = unique("one");
    let chunks = data.chunks(64 * 1024).map(Bytes::copy_from_slice).collect();
    write(&s, &object, chunks).await;
    let back = read_raw(&s.backend, read(&s, &object)).await.expect("read");
    assert!(back == data);
    let left = ids(&s.backend, Some(format!("{}_segments", s.container)), false).await;
    assert!(left.is_empty(), "the segment is deleted: {left:?}");
}

#[tokio::test]
async fn a_refused_token_is_renewed_once() {
    for auth in BOTH {
        let Some(s) = Swift::connect(auth).await else {
            return;
        };
        assert_eq!(s.backend.authentications(), 1);
        s.backend.spoil_token().await;
        assert!(ids(&s.backend, None, false).await.is_empty());
        assert_eq!(s.backend.authentications(), 2, "{auth:?}");
        assert_eq!(s.backend.status().await, BackendStatus::Ok);
    }
}

#[tokio::test]
async fn a_token_about_to_expire_is_renewed_before_the_request() {
    for auth in BOTH {
        let Some(s) = Swift::connect(auth).await else {
            return;
        };
        s.backend.expire_token().await;
        assert!(ids(&s.backend, None, false).await.is_empty());
        assert_eq!(s.backend.authentications(), 2, "{auth:?}");
        assert!(ids(&s.backend, None, false).await.is_empty());
        assert_eq!(
            s.backend.authentications(),
            2,
            "{auth:?}: the new token is kept"
        );
    }
}

#[tokio::test]
async fn wrong_credentials_fail_once_naming_the_backend_and_the_endpoint() {
    for auth in BOTH {
        let Some(mut settings) = settings(auth) else {
            return;
        };
        settings.password = Some(Secret::new("wrong"));
        settings.default_container = Some("nope".into());
        let url = settings.auth_url.clone();
        let dir = tempfile::tempdir().expect("tempdir");
        let backend =
            SwiftBackend::new(settings, History::new(dir.path().join("h.json"))).expect("backend");
        let err = backend
            .list(None, false, false)
            .await
            .err()
            .expect("refused");
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
        let text = err.to_string();
        assert!(text.starts_with("swift: ") && text.contains(&url), "{text}");
        assert!(!text.contains("wrong"), "the password never prints: {text}");
        assert_eq!(backend.authentications(), 1, "no retry");
        assert_eq!(backend.status().await, BackendStatus::Error);
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_is_away() {
    let Some(mut settings) = settings(Auth::TempAuth) else {
        return;
    };
    settings.auth_url = "http://127.0.0.1:9/auth/v1.0".into();
    settings.default_container = Some("c".into());
    let dir = tempfile::tempdir().expect("tempdir");
    let backend =
        SwiftBackend::new(settings, History::new(dir.path().join("h.json"))).expect("backend");
    let err = backend.list(None, false, false).await.err().expect("away");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.to_string().contains("127.0.0.1:9"), "{err}");
    assert_eq!(backend.status().await, BackendStatus::Away);
}

#[tokio::test]
async fn listings_page_with_markers_and_new_skips_what_was_read() {
    let Some(s) = Swift::connect(Auth::Keystone).await else {
        return;
    };
    let backend = s.backend.clone().with_list_limit(2);
    let names: Vec<String> = (0..5).map(|i| format!("page/{i}.jsonl")).collect();
    for name in &names {
        write(&s, name, vec![Bytes::from_static(b"{}\n")]).await;
    }
    assert_eq!(ids(&backend, None, false).await, names);
    read_json(&backend, read(&s, &names[1]))
        .await
        .expect("read");
    let new = ids(&backend, None, true).await;
    assert_eq!(new.len(), 4);
    assert!(!new.contains(&names[1]));
}

#[tokio::test]
async fn missing_objects_and_containers_are_named() {
    let Some(s) = Swift::connect(Auth::TempAuth).await else {
        return;
    };
    let err = s
        .backend
        .read(read(&s, "absent.jsonl"))
        .await
        .err()
        .expect("missing");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(
        err.to_string()
            .contains(&format!("`{}/absent.jsonl`", s.container)),
        "{err}"
    );
    let err = s
        .backend
        .write(
            raw_input("{}\n"),
            WriteOptions {
                target: Some("ralph_no_such_container/x".into()),
                ..Default::default()
            },
        )
        .await
        .expect_err("missing container");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = s
        .backend
        .list(Some("ralph_no_such_container".into()), false, false)
        .await
        .err()
        .expect("missing container");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn without_a_target_the_object_gets_a_timestamped_name() {
    let Some(s) = Swift::connect(Auth::TempAuth).await else {
        return;
    };
    let report = s
        .backend
        .write(raw_input("{\"a\":1}\n"), WriteOptions::default())
        .await
        .expect("write");
    let location = report.location.expect("location");
    let (container, object) = location.split_once('/').expect("container/object");
    assert_eq!(container, s.container);
    assert!(object.len() > 36 && object.contains('T'), "{object}");
    let back = read_json(&s.backend, read(&s, object)).await.expect("read");
    assert_eq!(back, vec![json!({"a": 1})]);
}

#[tokio::test]
async fn bad_lines_stop_a_json_read_or_are_skipped() {
    let Some(s) = Swift::connect(Auth::TempAuth).await else {
        return;
    };
    let object = unique("bad");
    write(
        &s,
        &object,
        vec![Bytes::from_static(b"{}\nnope\n{\"b\":2}\n")],
    )
    .await;
    let err = read_json(&s.backend, read(&s, &object))
        .await
        .expect_err("line 2");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("line 2"), "{err}");
    let back = read_json(
        &s.backend,
        ReadRequest {
            ignore_errors: true,
            ..read(&s, &object)
        },
    )
    .await
    .expect("skipped");
    assert_eq!(back, vec![json!({}), json!({"b": 2})]);
}
