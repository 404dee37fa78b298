//! The `swift` backend: list, read and write objects of OpenStack Swift containers.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use chrono::{SecondsFormat, Utc};
use futures::{StreamExt, TryStreamExt};
use ralph_core::history::{History, HistoryAction, HistoryEntry};
use ralph_core::record::json_records;
use ralph_core::{
    BackendStatus, DataBackend, Error, ErrorKind, ListEntry, ListStream, Listable, OperationType,
    ReadRequest, Readable, Record, RecordStream, Result, Writable, WriteOptions, WriteReport,
    WriteUnit,
};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::SwiftSettings;
use crate::client::{Client, Session, SharedClient, encode_path, swift_error, unreachable};

const NAME: &str = "swift";
/// Objects listed per request (Swift's own maximum).
const LIST_LIMIT: usize = 10_000;
/// Inputs up to this size are buffered and sent in one request; larger ones stream.
const SMALL_OBJECT: u64 = 8 * 1024 * 1024;
/// Chunks in flight between the input and an upload request.
const CHANNEL_DEPTH: usize = 8;
/// Swift's default `max_manifest_segments`.
const MAX_SEGMENTS: usize = 1000;

/// Objects in OpenStack Swift containers.
#[derive(Debug, Clone)]
pub struct SwiftBackend {
    client: SharedClient,
    history: History,
    list_limit: usize,
}

/// A container and an object name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ObjectPath {
    container: String,
    object: String,
}

impl ObjectPath {
    /// `container/object`, the id used in messages and in the history.
    fn id(&self) -> String {
        format!("{}/{}", self.container, self.object)
    }

    /// The URL path below the storage URL.
    fn url_path(&self) -> String {
        format!(
            "/{}/{}",
            encode_path(&self.container),
            encode_path(&self.object)
        )
    }
}

impl SwiftBackend {
    /// A backend with `settings`; nothing is contacted until the first request.
    pub fn new(settings: SwiftSettings, history: History) -> Result<Self> {
        if settings
            .locale_encoding
            .to_ascii_lowercase()
            .replace('-', "")
            != "utf8"
        {
            return Err(Error::config(format!(
                "setting `backends.data.swift.locale_encoding`: only `utf8` is supported, found `{}`",
                settings.locale_encoding
            )));
        }
        if settings.segment_size == 0 {
            return Err(Error::config(
                "setting `backends.data.swift.segment_size` must be at least 1",
            ));
        }
        Ok(Self {
            client: Arc::new(Client::new(settings)?),
            history,
            list_limit: LIST_LIMIT,
        })
    }

    /// Lists `limit` objects per request instead of 10,000 (tests of the paging).
    #[doc(hidden)]
    pub fn with_list_limit(mut self, limit: usize) -> Self {
        self.list_limit = limit.clamp(1, LIST_LIMIT);
        self
    }

    /// Creates a container (nothing happens when it exists).
    pub async fn create_container(&self, container: &str) -> Result<()> {
        let response = self
            .client
            .send(Method::PUT, &format!("/{}", encode_path(container)), |r| r)
            .await?;
        match response.status() {
            s if s.is_success() => Ok(()),
            s => Err(status_error(response, s, "PUT", container).await),
        }
    }

    /// How many times the backend authenticated (a renewed token counts once more).
    pub fn authentications(&self) -> u64 {
        self.client.authentications()
    }

    /// Replaces the current token with one the server refuses, to test the renewal.
    #[doc(hidden)]
    pub async fn spoil_token(&self) {
        self.client.spoil_token().await;
    }

    /// Marks the current token as expiring now, to test the renewal before expiry.
    #[doc(hidden)]
    pub async fn expire_token(&self) {
        self.client.expire_token().await;
    }

    /// Deletes an object (and, for a Static Large Object, its segments); used by tests to clean
    /// up. A missing object is not an error.
    pub async fn delete_object(&self, container: &str, object: &str) -> Result<()> {
        let path = ObjectPath {
            container: container.to_owned(),
            object: object.to_owned(),
        };
        let Some(head) = self.head(&path).await? else {
            return Ok(());
        };
        // `multipart-manifest=delete` on a plain object answers 200 with an error in the body
        // and deletes nothing: it is only for manifests.
        let is_slo = head
            .headers()
            .get("X-Static-Large-Object")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"));
        let mut url = path.url_path();
        if is_slo {
            url.push_str("?multipart-manifest=delete");
        }
        let response = self.client.send(Method::DELETE, &url, |r| r).await?;
        match response.status() {
            s if s.is_success() || s == StatusCode::NOT_FOUND => Ok(()),
            s => Err(status_error(response, s, "DELETE", &path.id()).await),
        }
    }

    /// Deletes a plain object (a segment).
    async fn delete_segment(&self, path: &ObjectPath) {
        let outcome = match self
            .client
            .send(Method::DELETE, &path.url_path(), |r| r)
            .await
        {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) if response.status() == StatusCode::NOT_FOUND => Ok(()),
            Ok(response) => {
                let status = response.status();
                Err(status_error(response, status, "DELETE", &path.id()).await)
            }
            Err(err) => Err(err),
        };
        if let Err(err) = outcome {
            tracing::warn!(target: "ralph", "cannot delete segment `{}`: {err}", path.id());
        }
    }

    fn settings(&self) -> &SwiftSettings {
        self.client.settings()
    }

    fn container(&self, target: Option<&str>) -> Result<String> {
        target
            .filter(|t| !t.is_empty())
            .map(|t| t.trim_matches('/').to_owned())
            .or_else(|| self.settings().default_container.clone())
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                Error::config(
                    "swift: no container: give a target or set \
                     `backends.data.swift.default_container`",
                )
            })
    }

    /// The write target: `container/object`, `object` in the default container, or a new name.
    fn write_path(&self, target: Option<&str>) -> Result<ObjectPath> {
        let target = target.map(|t| t.trim_start_matches('/')).unwrap_or("");
        let (container, object) = match target.split_once('/') {
            Some((c, o)) if !c.is_empty() && !o.is_empty() => (c.to_owned(), o.to_owned()),
            Some((c, _)) if !c.is_empty() => (c.to_owned(), new_object_name()),
            _ if target.is_empty() => (self.container(None)?, new_object_name()),
            _ => (self.container(None)?, target.to_owned()),
        };
        Ok(ObjectPath { container, object })
    }

    async fn head(&self, path: &ObjectPath) -> Result<Option<Response>> {
        let response = self
            .client
            .send(Method::HEAD, &path.url_path(), |r| r)
            .await?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => Ok(Some(response)),
            s => Err(status_error(response, s, "HEAD", &path.id()).await),
        }
    }

    fn record_history(
        &self,
        action: HistoryAction,
        path: &ObjectPath,
        size: u64,
        op: Option<OperationType>,
    ) {
        let mut entry = HistoryEntry::now(NAME, action, path.id());
        entry.filename = Some(path.object.clone());
        entry.size = Some(size);
        entry.operation_type = op.map(|op| op.to_string());
        if let Err(err) = self.history.append([entry]) {
            tracing::warn!(target: "ralph", "cannot record the {action:?} in the history: {err}");
        }
    }
}

fn new_object_name() -> String {
    format!(
        "{}-{}",
        Utc::now().to_rfc3339_opts(SecondsFormat::Micros, false),
        uuid::Uuid::new_v4()
    )
}

/// The error of an unexpected status, with the start of the server's answer.
async fn status_error(response: Response, status: StatusCode, method: &str, what: &str) -> Error {
    let url = response
        .url()
        .as_str()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let body = response.text().await.unwrap_or_default();
    let body: String = body.trim().chars().take(200).collect();
    let kind = match status {
        StatusCode::NOT_FOUND => ErrorKind::NotFound,
        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => ErrorKind::PermissionDenied,
        StatusCode::CONFLICT | StatusCode::PRECONDITION_FAILED => ErrorKind::Conflict,
        StatusCode::PAYLOAD_TOO_LARGE | StatusCode::BAD_REQUEST => ErrorKind::InvalidInput,
        s if s.is_server_error() => ErrorKind::Unavailable,
        _ => ErrorKind::Backend,
    };
    let body = if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    };
    swift_error(
        kind,
        format!("{method} `{what}` ({url}) failed: {status}{body}"),
    )
}

#[async_trait]
impl DataBackend for SwiftBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    /// `ok` when the account answers a HEAD, `away` when the identity service or the storage
    /// cannot be reached, `error` otherwise (credentials refused, ...).
    async fn status(&self) -> BackendStatus {
        match self.client.send(Method::HEAD, "", |r| r).await {
            Ok(response) if response.status().is_success() => BackendStatus::Ok,
            Ok(response) => {
                tracing::error!(target: "ralph", "swift: HEAD of the account answered {}", response.status());
                BackendStatus::Error
            }
            Err(err) if err.kind() == ErrorKind::Unavailable => {
                tracing::error!(target: "ralph", "{err}");
                BackendStatus::Away
            }
            Err(err) => {
                tracing::error!(target: "ralph", "{err}");
                BackendStatus::Error
            }
        }
    }

    fn as_readable(&self) -> Option<&dyn Readable> {
        Some(self)
    }

    fn as_writable(&self) -> Option<&dyn Writable> {
        Some(self)
    }

    fn as_listable(&self) -> Option<&dyn Listable> {
        Some(self)
    }
}

/// One page of a container listing.
struct ListPage {
    names: Vec<Value>,
    last: bool,
}

async fn list_page(
    client: &Client,
    container: &str,
    marker: Option<&str>,
    limit: usize,
) -> Result<ListPage> {
    let mut path = format!("/{}?format=json&limit={limit}", encode_path(container));
    if let Some(marker) = marker {
        path.push_str("&marker=");
        path.push_str(&encode_path(marker).replace('/', "%2F"));
    }
    let response = client.send(Method::GET, &path, |r| r).await?;
    let status = response.status();
    if status == StatusCode::NOT_FOUND {
        return Err(swift_error(
            ErrorKind::NotFound,
            format!("container `{container}` does not exist"),
        ));
    }
    if !status.is_success() {
        return Err(status_error(response, status, "GET", container).await);
    }
    if status == StatusCode::NO_CONTENT {
        return Ok(ListPage {
            names: Vec::new(),
            last: true,
        });
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|err| unreachable(&Method::GET, container, &err))?;
    let names: Vec<Value> = serde_json::from_slice(&bytes).map_err(|err| {
        swift_error(
            ErrorKind::Backend,
            format!("the listing of container `{container}` is not JSON: {err}"),
        )
    })?;
    let last = names.len() < limit;
    Ok(ListPage { names, last })
}

#[async_trait]
impl Listable for SwiftBackend {
    /// Every object of the container (the default one when `target` is `None`), page after
    /// page; details are `{"name", "lastModified", "size"}`; `new` skips objects the history
    /// says were read (`container/object` ids).
    async fn list(&self, target: Option<String>, details: bool, new: bool) -> Result<ListStream> {
        let container = self.container(target.as_deref())?;
        let already_read = if new {
            self.history.read_ids(NAME)?
        } else {
            Default::default()
        };
        // The first page is fetched now, so a missing container is an error of `list` itself.
        let limit = self.list_limit;
        let first = list_page(&self.client, &container, None, limit).await?;
        struct State {
            client: SharedClient,
            container: String,
            page: std::vec::IntoIter<Value>,
            marker: Option<String>,
            last: bool,
        }
        let state = State {
            client: self.client.clone(),
            container: container.clone(),
            page: first.names.into_iter(),
            marker: None,
            last: first.last,
        };
        let objects = futures::stream::try_unfold(state, move |mut st| async move {
            loop {
                if let Some(object) = st.page.next() {
                    st.marker = object["name"].as_str().map(str::to_owned);
                    return Ok(Some((object, st)));
                }
                if st.last || st.marker.is_none() {
                    return Ok(None);
                }
                let page =
                    list_page(&st.client, &st.container, st.marker.as_deref(), limit).await?;
                st.last = page.last;
                st.page = page.names.into_iter();
                if st.page.len() == 0 {
                    return Ok(None);
                }
            }
        });
        let entries = objects
            .try_filter(move |object| {
                let id = format!(
                    "{container}/{}",
                    object["name"].as_str().unwrap_or_default()
                );
                std::future::ready(!already_read.contains(&id))
            })
            .map_ok(move |object| {
                let name = object["name"].as_str().unwrap_or_default().to_owned();
                if details {
                    ListEntry::Details(json!({
                        "name": name,
                        "lastModified": object["last_modified"],
                        "size": object["bytes"],
                    }))
                } else {
                    ListEntry::Id(name)
                }
            });
        Ok(entries.boxed())
    }
}

#[async_trait]
impl Readable for SwiftBackend {
    /// Streams the object named by the query from the target container (the default one when
    /// none), as raw chunks or as JSON records decoded line by line.
    async fn read(&self, request: ReadRequest) -> Result<RecordStream> {
        let object = request
            .query
            .clone()
            .filter(|q| !q.is_empty())
            .ok_or_else(|| {
                Error::invalid_input("swift: give the name of the object to read as the query")
            })?;
        let path = ObjectPath {
            container: self.container(request.target.as_deref())?,
            object,
        };
        let response = self
            .client
            .send(Method::GET, &path.url_path(), |r| r)
            .await?;
        let status = response.status();
        if status == StatusCode::NOT_FOUND {
            return Err(swift_error(
                ErrorKind::NotFound,
                format!("object `{}` does not exist", path.id()),
            ));
        }
        if !status.is_success() {
            return Err(status_error(response, status, "GET", &path.id()).await);
        }
        let size = response.content_length().unwrap_or_default();
        let id = path.id();
        let chunk_size = request
            .chunk_size
            .unwrap_or(self.settings().read_chunk_size)
            .max(1);
        let body_id = id.clone();
        let body = response
            .bytes_stream()
            .map_err(move |err| {
                swift_error(
                    ErrorKind::Unavailable,
                    format!(
                        "reading `{body_id}` failed: {}",
                        crate::client::error_chain(&err)
                    ),
                )
            })
            .boxed();
        // The read is recorded in the history when the whole object went through.
        let backend = self.clone();
        let done = futures::stream::once(async move {
            backend.record_history(HistoryAction::Read, &path, size, None);
            None
        })
        .filter_map(std::future::ready);
        if request.raw_output {
            let raw = rechunk(body, chunk_size);
            return Ok(raw.map_ok(Record::Raw).chain(done).boxed());
        }
        let ignore_errors = request.ignore_errors;
        // Lines are cut wherever they end: the chunks are decoded as the server sends them.
        let records = json_records(body.map_ok(Record::Raw).boxed())
            .filter_map(move |item| {
                std::future::ready(match item {
                    Ok(record) => Some(Ok(Record::Json(record.value))),
                    Err(err) if err.kind() == ErrorKind::InvalidInput => {
                        let err = err.context(format!("swift object `{id}`"));
                        if ignore_errors {
                            tracing::warn!(target: "ralph", "skipped: {err}");
                            None
                        } else {
                            Some(Err(err))
                        }
                    }
                    Err(err) => Some(Err(err)),
                })
            })
            .chain(done);
        // Stop at the first error, as the other backends do.
        let records = records.scan(false, |failed, item| {
            let out = if *failed { None } else { Some(item) };
            if matches!(out, Some(Err(_))) {
                *failed = true;
            }
            std::future::ready(out)
        });
        Ok(match request.max_statements.filter(|&n| n > 0) {
            Some(n) => records
                .take(usize::try_from(n).unwrap_or(usize::MAX))
                .boxed(),
            None => records.boxed(),
        })
    }
}

/// Splits the chunks of `input` so none is longer than `size` bytes.
fn rechunk(
    input: futures::stream::BoxStream<'static, Result<Bytes>>,
    size: usize,
) -> futures::stream::BoxStream<'static, Result<Bytes>> {
    input
        .map_ok(move |mut bytes| {
            let mut parts = Vec::with_capacity(bytes.len() / size + 1);
            while bytes.len() > size {
                parts.push(Ok(bytes.split_to(size)));
            }
            if !bytes.is_empty() {
                parts.push(Ok(bytes));
            }
            futures::stream::iter(parts)
        })
        .try_flatten()
        .boxed()
}

/// The segments uploaded so far, for the manifest and for the clean-up after a failure.
struct Segments {
    container: String,
    prefix: String,
    done: Vec<(String, String, u64)>,
}

impl Segments {
    fn name(&self, n: usize) -> String {
        format!("{}/{n:08}", self.prefix)
    }
}

#[async_trait]
impl Writable for SwiftBackend {
    fn default_operation_type(&self) -> OperationType {
        OperationType::Create
    }

    fn unsupported_operation_types(&self) -> &'static [OperationType] {
        &[
            OperationType::Append,
            OperationType::Delete,
            OperationType::Update,
        ]
    }

    /// Streams `input` into one object; refuses to replace an existing one. Inputs larger than
    /// `segment_size` become a Static Large Object.
    async fn write(&self, mut input: RecordStream, options: WriteOptions) -> Result<WriteReport> {
        let op = self.resolve_operation_type(&options)?;
        let path = self.write_path(options.target.as_deref())?;
        if self.head(&path).await?.is_some() {
            return Err(already_exists(&path));
        }
        let segment_size = self.settings().segment_size;
        let small = segment_size.min(SMALL_OBJECT);
        // Buffer the start: a small input goes in one request that can be sent again after
        // a token renewal.
        let mut head = BytesMut::new();
        let mut pending: Option<Bytes> = None;
        let mut report = WriteReport::new(WriteUnit::Files);
        while let Some(item) = input.next().await {
            let bytes = item?.into_bytes();
            report.bytes += bytes.len() as u64;
            if (head.len() + bytes.len()) as u64 > small {
                pending = Some(bytes);
                break;
            }
            head.extend_from_slice(&bytes);
        }
        match pending {
            None => self.put_small(&path, head.freeze()).await?,
            Some(next) => {
                let first = head.freeze();
                let mut chunks = futures::stream::iter([Ok(first), Ok(next)])
                    .chain(input.map(|item| item.map(Record::into_bytes)))
                    .boxed();
                report.bytes = self.put_large(&path, &mut chunks, segment_size).await?;
            }
        }
        report.written = 1;
        report.location = Some(path.id());
        self.record_history(HistoryAction::Write, &path, report.bytes, Some(op));
        Ok(report)
    }
}

fn already_exists(path: &ObjectPath) -> Error {
    swift_error(
        ErrorKind::Conflict,
        format!(
            "object `{}` already exists and overwrite is not allowed with operation type create \
             or index",
            path.id()
        ),
    )
}

impl SwiftBackend {
    /// One PUT of a buffered body, refused by the server if the object appeared meanwhile.
    async fn put_small(&self, path: &ObjectPath, body: Bytes) -> Result<()> {
        let response = self
            .client
            .send(Method::PUT, &path.url_path(), |r| {
                // reqwest sends no length for an empty body, and Swift wants one.
                r.header("If-None-Match", "*")
                    .header("Content-Length", body.len())
                    .body(body.clone())
            })
            .await?;
        self.check_put(response, path).await
    }

    async fn check_put(&self, response: Response, path: &ObjectPath) -> Result<()> {
        match response.status() {
            s if s.is_success() => Ok(()),
            StatusCode::PRECONDITION_FAILED => Err(already_exists(path)),
            StatusCode::NOT_FOUND => Err(swift_error(
                ErrorKind::NotFound,
                format!("container `{}` does not exist", path.container),
            )),
            s => Err(status_error(response, s, "PUT", &path.id()).await),
        }
    }

    /// Streams `input` as segments of `segment_size` bytes into `{container}_segments`, then
    /// joins them with a Static Large Object manifest; one segment is copied to its place
    /// instead. Returns the bytes written. Segments are deleted when anything fails.
    async fn put_large(
        &self,
        path: &ObjectPath,
        input: &mut futures::stream::BoxStream<'static, Result<Bytes>>,
        segment_size: u64,
    ) -> Result<u64> {
        let mut segments = Segments {
            container: format!("{}_segments", path.container),
            prefix: format!(
                "{}/slo/{}/{segment_size}",
                path.object,
                Utc::now().timestamp_micros()
            ),
            done: Vec::new(),
        };
        let outcome = self
            .upload_segments(path, input, segment_size, &mut segments)
            .await;
        let outcome = match outcome {
            Ok(total) => self.join_segments(path, &segments).await.map(|()| total),
            Err(err) => Err(err),
        };
        if outcome.is_err() || segments.done.len() == 1 {
            // One segment was copied to its place (or the write failed): the segments go.
            for (name, _, _) in &segments.done {
                let seg = ObjectPath {
                    container: segments.container.clone(),
                    object: name.clone(),
                };
                self.delete_segment(&seg).await;
            }
        }
        outcome
    }

    async fn upload_segments(
        &self,
        path: &ObjectPath,
        input: &mut futures::stream::BoxStream<'static, Result<Bytes>>,
        segment_size: u64,
        segments: &mut Segments,
    ) -> Result<u64> {
        self.create_container(&segments.container).await?;
        let mut carry: Option<Bytes> = None;
        let mut total = 0u64;
        loop {
            let n = segments.done.len();
            if n >= MAX_SEGMENTS {
                return Err(swift_error(
                    ErrorKind::InvalidInput,
                    format!(
                        "`{}` needs more than {MAX_SEGMENTS} segments of {segment_size} bytes; \
                         raise `backends.data.swift.segment_size`",
                        path.id()
                    ),
                ));
            }
            let name = segments.name(n);
            let seg = ObjectPath {
                container: segments.container.clone(),
                object: name.clone(),
            };
            // A fresh session per segment: a token about to expire is renewed before the
            // upload starts, as a streamed body cannot be sent twice.
            let session: Session = self.client.session().await?;
            let (tx, rx) =
                mpsc::channel::<std::result::Result<Bytes, std::io::Error>>(CHANNEL_DEPTH);
            let body = reqwest::Body::wrap_stream(futures::stream::poll_fn({
                let mut rx = rx;
                move |cx| rx.poll_recv(cx)
            }));
            let client = self.client.clone();
            let url = seg.url_path();
            let upload = tokio::spawn(async move {
                client
                    .send_once(&session, Method::PUT, &url, |r| r.body(body))
                    .await
            });
            let mut size = 0u64;
            let mut ended = false;
            let mut failure = None;
            while size < segment_size {
                let next = match carry.take() {
                    Some(bytes) => Some(Ok(bytes)),
                    None => input.next().await,
                };
                let mut bytes = match next {
                    Some(Ok(bytes)) => bytes,
                    Some(Err(err)) => {
                        failure = Some(err);
                        break;
                    }
                    None => {
                        ended = true;
                        break;
                    }
                };
                let room = segment_size - size;
                if bytes.len() as u64 > room {
                    carry = Some(bytes.split_off(usize::try_from(room).unwrap_or(usize::MAX)));
                }
                size += bytes.len() as u64;
                if tx.send(Ok(bytes)).await.is_err() {
                    break; // the upload failed: its error is reported below
                }
            }
            if let Some(err) = failure {
                // Abort the request so no truncated segment is stored.
                let _ = tx.send(Err(std::io::Error::other("input failed"))).await;
                drop(tx);
                let _ = upload.await;
                return Err(err);
            }
            drop(tx);
            let response = upload.await.map_err(|err| {
                swift_error(ErrorKind::Backend, format!("upload task failed: {err}"))
            })??;
            let status = response.status();
            if !status.is_success() {
                return Err(status_error(response, status, "PUT", &seg.id()).await);
            }
            let etag = response
                .headers()
                .get("Etag")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .trim_matches('"')
                .to_owned();
            total += size;
            // An empty last segment (the input ended on a boundary) is not kept.
            if size > 0 || segments.done.is_empty() {
                segments.done.push((name, etag, size));
            } else {
                self.delete_segment(&seg).await;
            }
            if ended || (carry.is_none() && size < segment_size) {
                return Ok(total);
            }
        }
    }

    async fn join_segments(&self, path: &ObjectPath, segments: &Segments) -> Result<()> {
        if let [(name, _, _)] = segments.done.as_slice() {
            let source = format!(
                "/{}/{}",
                encode_path(&segments.container),
                encode_path(name)
            );
            let response = self
                .client
                .send(Method::PUT, &path.url_path(), |r| {
                    // No `If-None-Match` here: the copy middleware applies it to the source,
                    // which exists (304); the HEAD before the upload checked the name.
                    r.header("X-Copy-From", &source)
                        .header("Content-Length", "0")
                })
                .await?;
            return self.check_put(response, path).await;
        }
        let manifest: Vec<Value> = segments
            .done
            .iter()
            .map(|(name, etag, size)| {
                json!({
                    "path": format!("/{}/{name}", segments.container),
                    "etag": etag,
                    "size_bytes": size,
                })
            })
            .collect();
        let body = Bytes::from(Value::from(manifest).to_string());
        let response = self
            .client
            .send(
                Method::PUT,
                &format!("{}?multipart-manifest=put", path.url_path()),
                |r| r.header("If-None-Match", "*").body(body.clone()),
            )
            .await?;
        self.check_put(response, path).await
    }
}
