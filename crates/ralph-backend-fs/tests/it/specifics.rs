//! Behaviours of `fs` that other backends do not share.

use futures::TryStreamExt;
use ralph_backend_fs::{FsBackend, FsSettings};
use ralph_core::history::History;
use ralph_core::{ErrorKind, ListEntry, Listable, ReadRequest, Readable, Writable, WriteOptions};
use ralph_testkit::raw_input;

use crate::Fs;

async fn list(fs: &Fs, details: bool, new: bool) -> Vec<ListEntry> {
    fs.backend
        .list(None, details, new)
        .await
        .expect("list")
        .try_collect()
        .await
        .expect("entries")
}

#[tokio::test]
async fn without_target_a_new_timestamped_file_is_created() {
    let fs = Fs::fresh();
    let report = fs
        .backend
        .write(raw_input("{}\n"), WriteOptions::default())
        .await
        .expect("write");
    let path = report.location.expect("location");
    let name = std::path::Path::new(&path)
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    // {UTC timestamp}-{uuid4}: 2024-01-15T10:00:00.123456+00:00-xxxxxxxx-xxxx-4xxx-...
    assert!(name.starts_with("20") && name.contains("+00:00-"), "{name}");
    assert_eq!(
        name.len(),
        "2024-01-15T10:00:00.123456+00:00-".len() + 36,
        "{name}"
    );
    assert_eq!(std::fs::read(&path).expect("file"), b"{}\n");
}

#[tokio::test]
async fn list_new_hides_files_already_read_and_details_describe_files() {
    let fs = Fs::fresh();
    for name in ["a.jsonl", "b.jsonl"] {
        fs.backend
            .write(
                raw_input("{\"x\":1}\n"),
                WriteOptions {
                    target: Some(name.into()),
                    ..Default::default()
                },
            )
            .await
            .expect("write");
    }
    assert_eq!(list(&fs, false, true).await.len(), 2);
    let _: Vec<_> = fs
        .backend
        .read(ReadRequest {
            query: Some("a.jsonl".into()),
            ..Default::default()
        })
        .await
        .expect("read")
        .try_collect()
        .await
        .expect("records");
    let new = list(&fs, false, true).await;
    assert_eq!(new.len(), 1);
    assert!(
        matches!(&new[0], ListEntry::Id(id) if id.ends_with("/data/b.jsonl")),
        "{new:?}"
    );
    assert_eq!(
        list(&fs, false, false).await.len(),
        2,
        "--all still lists both"
    );

    let details = list(&fs, true, false).await;
    let ListEntry::Details(first) = &details[0] else {
        panic!("details")
    };
    assert!(
        first["path"]
            .as_str()
            .expect("path")
            .ends_with("/data/a.jsonl")
    );
    assert_eq!(first["size"], 8);
    let modified = first["modified_at"].as_str().expect("modified_at");
    assert!(
        modified.ends_with("+00:00") && !modified.contains('.'),
        "{modified}"
    );

    let history = fs.history().entries().expect("history");
    assert!(
        history
            .iter()
            .any(|e| e.backend == "fs" && e.filename.as_deref() == Some("a.jsonl"))
    );
}

#[tokio::test]
async fn a_glob_selects_files_and_reads_them_in_name_order() {
    let fs = Fs::fresh();
    for (name, body) in [
        ("2.log", "{\"n\":2}\n"),
        ("1.log", "{\"n\":1}\n"),
        ("x.txt", "{\"n\":0}\n"),
    ] {
        fs.backend
            .write(
                raw_input(body),
                WriteOptions {
                    target: Some(name.into()),
                    ..Default::default()
                },
            )
            .await
            .expect("write");
    }
    let back = ralph_testkit::read_json(
        &fs.backend,
        ReadRequest {
            query: Some("*.log".into()),
            ..Default::default()
        },
    )
    .await
    .expect("read");
    assert_eq!(
        back,
        vec![serde_json::json!({"n": 1}), serde_json::json!({"n": 2})]
    );
}

#[tokio::test]
async fn raw_reads_come_in_chunks_of_the_chunk_size() {
    let fs = Fs::fresh();
    fs.backend
        .write(
            raw_input(vec![b'x'; 10]),
            WriteOptions {
                target: Some("f".into()),
                ..Default::default()
            },
        )
        .await
        .expect("write");
    let chunks: Vec<_> = fs
        .backend
        .read(ReadRequest {
            query: Some("f".into()),
            chunk_size: Some(4),
            raw_output: true,
            ..Default::default()
        })
        .await
        .expect("read")
        .try_collect()
        .await
        .expect("chunks");
    let sizes: Vec<usize> = chunks.into_iter().map(|c| c.into_bytes().len()).collect();
    assert_eq!(sizes, [4, 4, 2]);
}

#[tokio::test]
async fn a_bad_json_line_names_file_and_line_or_is_skipped() {
    let fs = Fs::fresh();
    fs.backend
        .write(
            raw_input("{}\nnope\n{}\n"),
            WriteOptions {
                target: Some("bad.jsonl".into()),
                ..Default::default()
            },
        )
        .await
        .expect("write");
    let request = ReadRequest {
        query: Some("bad.jsonl".into()),
        ..Default::default()
    };
    let err = ralph_testkit::read_json(&fs.backend, request.clone())
        .await
        .expect_err("line 2");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("bad.jsonl` line 2"), "{err}");
    let back = ralph_testkit::read_json(
        &fs.backend,
        ReadRequest {
            ignore_errors: true,
            ..request
        },
    )
    .await
    .expect("skipped");
    assert_eq!(back.len(), 2);
}

#[tokio::test]
async fn missing_directories_are_named() {
    let fs = Fs::fresh();
    let err = fs
        .backend
        .read(ReadRequest {
            target: Some("nowhere".into()),
            ..Default::default()
        })
        .await
        .err()
        .expect("missing target directory");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.to_string().contains("/data/nowhere`"), "{err}");
    let err = fs
        .backend
        .write(
            raw_input("{}\n"),
            WriteOptions {
                target: Some("no/such/file".into()),
                ..Default::default()
            },
        )
        .await
        .expect_err("missing parent");
    assert!(err.to_string().contains("/data/no/such`"), "{err}");
}

#[test]
fn an_unusable_default_directory_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").expect("write");
    let settings = FsSettings {
        default_directory_path: file.join("sub"),
        ..Default::default()
    };
    let err = FsBackend::new(settings, History::new(dir.path().join("h.json")))
        .expect_err("not a directory");
    assert!(err.to_string().contains("a-file/sub`"), "{err}");
}

#[tokio::test]
async fn status_is_ok_on_a_writable_directory() {
    use ralph_core::{BackendStatus, DataBackend};
    assert_eq!(Fs::fresh().backend.status().await, BackendStatus::Ok);
}
