//! Integration tests of the `ldp` backend against a local fake of the OVH API's
//! `/dbaas/logs/...` endpoints (OVH's API cannot run here), which checks the signature headers
//! as OVH documents them and serves the archives from their temporary URLs.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use ralph_backend_ldp::{LdpBackend, LdpSettings, signature};
use ralph_core::history::History;
use ralph_core::settings::Secret;
use ralph_core::{
    BackendStatus, DataBackend, ErrorKind, ListEntry, Listable, ReadRequest, Readable, Result,
};
use serde_json::{Value, json};

const APP_KEY: &str = "app-key";
const APP_SECRET: &str = "app-secret";
const CONSUMER_KEY: &str = "consumer-key";
const SERVICE: &str = "ldp-xx-98765";
const STREAM: &str = "stream-1";
/// The fake's clock runs an hour ahead: a client that ignores `/auth/time` is refused.
const CLOCK_OFFSET: i64 = 3600;

struct Archive {
    id: &'static str,
    stream: &'static str,
    data: Vec<u8>,
}

struct Fake {
    archives: Vec<Archive>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
        + CLOCK_OFFSET
}

fn ovh_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"errorCode": code, "httpCode": status.to_string(), "message": message})),
    )
        .into_response()
}

/// Checks the OVH authentication headers of a request.
fn check(headers: &HeaderMap, method: &Method, uri: &Uri, body: &[u8]) -> Option<Response> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if header("X-Ovh-Application") != Some(APP_KEY) {
        return Some(ovh_error(
            StatusCode::FORBIDDEN,
            "INVALID_KEY",
            "This application key is invalid",
        ));
    }
    if header("X-Ovh-Consumer") != Some(CONSUMER_KEY) {
        return Some(ovh_error(
            StatusCode::FORBIDDEN,
            "INVALID_CREDENTIAL",
            "This credential does not exist",
        ));
    }
    let timestamp: i64 = header("X-Ovh-Timestamp")?.parse().ok()?;
    if (timestamp - now()).abs() > 5 {
        return Some(ovh_error(
            StatusCode::BAD_REQUEST,
            "QUERY_TIME_OUT",
            "Query out of time",
        ));
    }
    let url = format!("http://{}{uri}", header("host")?);
    let expected = signature(
        APP_SECRET,
        CONSUMER_KEY,
        method.as_str(),
        &url,
        &String::from_utf8_lossy(body),
        timestamp,
    );
    (header("X-Ovh-Signature") != Some(expected.as_str())).then(|| {
        ovh_error(
            StatusCode::BAD_REQUEST,
            "INVALID_SIGNATURE",
            "Invalid signature",
        )
    })
}

fn details(archive: &Archive) -> Value {
    json!({
        "archiveId": archive.id,
        "createdAt": "2024-01-15T10:00:00+01:00",
        "filename": format!("{}.gz", archive.id),
        "md5": "0",
        "retrievalDelay": 0,
        "retrievalState": "unsealed",
        "sha256": "0",
        "size": archive.data.len(),
    })
}

async fn handle(
    State(fake): State<Arc<Fake>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    // Temporary URLs are not signed: they carry their own token.
    if let ["download", id] = path.as_slice() {
        let Some(archive) = fake.archives.iter().find(|a| a.id == *id) else {
            return StatusCode::NOT_FOUND.into_response();
        };
        if uri.query() != Some("token=t") {
            return StatusCode::FORBIDDEN.into_response();
        }
        // Streamed in pieces of 1000 bytes, as a large download comes.
        let pieces: Vec<std::result::Result<Bytes, std::io::Error>> = archive
            .data
            .chunks(1000)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        return Body::from_stream(futures::stream::iter(pieces)).into_response();
    }
    if path == ["1.0", "auth", "time"] {
        return now().to_string().into_response();
    }
    if let Some(refused) = check(&headers, &method, &uri, &body) {
        return refused;
    }
    let not_found = || {
        ovh_error(
            StatusCode::NOT_FOUND,
            "Client::NotFound",
            &format!("The requested object does not exist ({})", uri.path()),
        )
    };
    match (method.as_str(), path.as_slice()) {
        ("GET", ["1.0", "dbaas", "logs", service]) if *service == SERVICE => {
            axum::Json(json!({"serviceName": SERVICE, "state": "ENABLED"})).into_response()
        }
        (
            "GET",
            [
                "1.0",
                "dbaas",
                "logs",
                service,
                "output",
                "graylog",
                "stream",
                stream,
                "archive",
            ],
        ) if *service == SERVICE => {
            let ids: Vec<&str> = fake
                .archives
                .iter()
                .filter(|a| a.stream == *stream)
                .map(|a| a.id)
                .collect();
            axum::Json(json!(ids)).into_response()
        }
        (
            "GET",
            [
                "1.0",
                "dbaas",
                "logs",
                service,
                "output",
                "graylog",
                "stream",
                stream,
                "archive",
                id,
            ],
        ) if *service == SERVICE => {
            match fake
                .archives
                .iter()
                .find(|a| a.id == *id && a.stream == *stream)
            {
                Some(archive) => axum::Json(details(archive)).into_response(),
                None => not_found(),
            }
        }
        (
            "POST",
            [
                "1.0",
                "dbaas",
                "logs",
                service,
                "output",
                "graylog",
                "stream",
                stream,
                "archive",
                id,
                "url",
            ],
        ) if *service == SERVICE => {
            match fake
                .archives
                .iter()
                .find(|a| a.id == *id && a.stream == *stream)
            {
                Some(archive) => {
                    let host = headers
                        .get("host")
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or_default();
                    axum::Json(json!({
                        "url": format!("http://{host}/download/{}?token=t", archive.id),
                        "expirationDate": "2024-01-15T11:00:00+01:00",
                    }))
                    .into_response()
                }
                None => not_found(),
            }
        }
        _ => not_found(),
    }
}

/// The fake API on a loopback port; returns its endpoint URL.
async fn fake_api() -> String {
    let fake = Arc::new(Fake {
        archives: vec![
            Archive {
                id: "a1",
                stream: STREAM,
                data: (0..50_000u32).flat_map(|i| i.to_le_bytes()).collect(),
            },
            Archive {
                id: "a2",
                stream: STREAM,
                data: b"{\"event\": 1}\n".to_vec(),
            },
            Archive {
                id: "b1",
                stream: "stream-2",
                data: b"other".to_vec(),
            },
        ],
    });
    let app = Router::new().fallback(handle).with_state(fake);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/1.0")
}

fn settings(endpoint: &str) -> LdpSettings {
    LdpSettings {
        application_key: Some(APP_KEY.to_owned()),
        application_secret: Some(Secret::new(APP_SECRET)),
        consumer_key: Some(Secret::new(CONSUMER_KEY)),
        default_stream_id: Some(STREAM.to_owned()),
        endpoint: endpoint.to_owned(),
        service_name: Some(SERVICE.to_owned()),
        read_chunk_size: 3000,
        ..Default::default()
    }
}

async fn list(
    backend: &LdpBackend,
    target: Option<&str>,
    details: bool,
    new: bool,
) -> Result<Vec<ListEntry>> {
    let mut stream = backend
        .list(target.map(str::to_owned), details, new)
        .await?;
    let mut out = Vec::new();
    while let Some(entry) = stream.next().await {
        out.push(entry?);
    }
    Ok(out)
}

async fn read(backend: &LdpBackend, id: &str, target: Option<&str>) -> Result<Vec<Bytes>> {
    let mut stream = backend
        .read(ReadRequest {
            query: Some(id.to_owned()),
            target: target.map(str::to_owned),
            raw_output: true,
            ..Default::default()
        })
        .await?;
    let mut out = Vec::new();
    while let Some(record) = stream.next().await {
        out.push(record?.into_bytes());
    }
    Ok(out)
}

#[tokio::test]
async fn archives_are_listed_with_their_details() {
    let endpoint = fake_api().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let backend = LdpBackend::new(settings(&endpoint), History::new(dir.path().join("h.json")))
        .expect("backend");
    assert_eq!(backend.status().await, BackendStatus::Ok);
    assert_eq!(
        list(&backend, None, false, false).await.expect("ids"),
        vec![ListEntry::Id("a1".into()), ListEntry::Id("a2".into())]
    );
    assert_eq!(
        list(&backend, Some("stream-2"), false, false)
            .await
            .expect("target"),
        vec![ListEntry::Id("b1".into())]
    );
    let details = list(&backend, None, true, false).await.expect("details");
    let ListEntry::Details(first) = &details[0] else {
        panic!("details expected: {details:?}");
    };
    assert_eq!(first["archiveId"], "a1");
    assert_eq!(first["filename"], "a1.gz");
    assert_eq!(first["size"], 200_000);
}

#[tokio::test]
async fn an_archive_is_read_from_its_temporary_url_and_remembered() {
    let endpoint = fake_api().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let history = History::new(dir.path().join("history.json"));
    let backend = LdpBackend::new(settings(&endpoint), history.clone()).expect("backend");
    let chunks = read(&backend, "a1", None).await.expect("read");
    assert!(
        chunks.iter().all(|c| c.len() <= 3000),
        "chunks of read_chunk_size at most"
    );
    let bytes: Vec<u8> = chunks.concat();
    let expected: Vec<u8> = (0..50_000u32).flat_map(|i| i.to_le_bytes()).collect();
    assert_eq!(bytes, expected);

    let entries = history.entries().expect("history");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (
            entries[0].backend.as_str(),
            entries[0].id.as_str(),
            entries[0].size
        ),
        ("ldp", "a1", Some(200_000))
    );
    assert_eq!(entries[0].filename.as_deref(), Some("a1.gz"));
    assert_eq!(
        list(&backend, None, false, true).await.expect("new"),
        vec![ListEntry::Id("a2".into())],
        "list --new skips what was read"
    );
    assert_eq!(
        read(&backend, "b1", Some("stream-2"))
            .await
            .expect("target")
            .concat(),
        b"other".to_vec()
    );

    let err = read(&backend, "zz", None)
        .await
        .expect_err("unknown archive");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains("zz"), "{err}");
    let Err(err) = backend
        .read(ReadRequest {
            query: Some("a2".into()),
            ..Default::default()
        })
        .await
    else {
        panic!("raw only");
    };
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let err = read(&backend, " ", None).await.expect_err("no archive");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn a_wrong_secret_gives_a_clear_error() {
    let endpoint = fake_api().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let backend = LdpBackend::new(
        LdpSettings {
            application_secret: Some(Secret::new("not-the-secret")),
            ..settings(&endpoint)
        },
        History::new(dir.path().join("h.json")),
    )
    .expect("backend");
    let err = list(&backend, None, false, false)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    let text = err.to_string();
    assert!(
        text.contains("Invalid signature (INVALID_SIGNATURE)"),
        "{text}"
    );
    assert!(text.contains("application_secret"), "{text}");
    assert!(
        !text.contains("not-the-secret"),
        "the secret never prints: {text}"
    );
    assert_eq!(backend.status().await, BackendStatus::Error);

    let wrong_consumer = LdpBackend::new(
        LdpSettings {
            consumer_key: Some(Secret::new("someone-else")),
            ..settings(&endpoint)
        },
        History::new(dir.path().join("h.json")),
    )
    .expect("backend");
    let err = read(&wrong_consumer, "a1", None)
        .await
        .expect_err("refused");
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(err.to_string().contains("INVALID_CREDENTIAL"), "{err}");
}

#[tokio::test]
async fn missing_settings_and_an_absent_api_are_reported() {
    let history = History::new("unused.json");
    let err = LdpBackend::new(LdpSettings::default(), history.clone()).expect_err("no credentials");
    assert_eq!(err.kind(), ErrorKind::ConfigInvalid);
    assert!(
        err.to_string()
            .contains("backends.data.ldp.application_key"),
        "{err}"
    );
    let err = LdpBackend::new(
        LdpSettings {
            endpoint: "ovh-mars".into(),
            ..settings("x")
        },
        history.clone(),
    )
    .expect_err("unknown endpoint");
    assert!(err.to_string().contains("ovh-mars"), "{err}");

    let no_service = LdpBackend::new(
        LdpSettings {
            service_name: None,
            ..settings("http://127.0.0.1:9/1.0")
        },
        history.clone(),
    )
    .expect("backend");
    let err = list(&no_service, None, false, false)
        .await
        .expect_err("no service");
    assert!(err.to_string().contains("service_name"), "{err}");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let away = LdpBackend::new(settings(&format!("http://127.0.0.1:{port}/1.0")), history)
        .expect("backend");
    assert_eq!(away.status().await, BackendStatus::Away);
    let err = list(&away, None, false, false).await.expect_err("down");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
}
