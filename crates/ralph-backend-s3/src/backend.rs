//! The `s3` backend: list, read and write objects.

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart, Object};
use bytes::Bytes;
use chrono::{SecondsFormat, Utc};
use futures::StreamExt;
use ralph_core::history::{History, HistoryAction, HistoryEntry};
use ralph_core::{
    BackendStatus, DataBackend, Error, ErrorKind, ListEntry, ListStream, Listable, OperationType,
    ReadRequest, Readable, Record, RecordStream, Result, Writable, WriteOptions, WriteReport,
    WriteUnit,
};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::S3Settings;

const NAME: &str = "s3";
/// Records in flight between the download task and the consumer: bounds memory.
const CHANNEL_DEPTH: usize = 16;
/// The smallest part S3 accepts in a multipart upload (all parts but the last).
pub(crate) const MIN_PART_SIZE: usize = 5 * 1024 * 1024;
/// Parts uploaded at once while the next one fills: memory stays under
/// `(PARTS_IN_FLIGHT + 1) * part size`.
const PARTS_IN_FLIGHT: usize = 2;
/// The part size doubles after this many parts, so that the 10,000-part limit of S3 allows
/// objects of terabytes while small objects keep small parts.
const PARTS_PER_SIZE: i32 = 2000;
/// Attempts of one request (the first one included): a wrong endpoint fails in seconds, not
/// minutes; errors such as a refused signature are never retried.
const MAX_ATTEMPTS: u32 = 3;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Objects in an Amazon S3 (or S3-compatible) bucket.
#[derive(Debug, Clone)]
pub struct S3Backend {
    client: Client,
    settings: S3Settings,
    endpoint: String,
    history: History,
}

impl S3Backend {
    /// Builds the client from the settings; no request is sent yet.
    ///
    /// Credentials come from the settings when `access_key_id` is set, else from the AWS default
    /// chain (environment, profile files, instance metadata).
    pub async fn connect(settings: S3Settings, history: History) -> Result<Self> {
        if settings
            .locale_encoding
            .to_ascii_lowercase()
            .replace('-', "")
            != "utf8"
        {
            return Err(Error::config(format!(
                "setting `backends.data.s3.locale_encoding`: only `utf8` is supported, found `{}`",
                settings.locale_encoding
            )));
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .build(),
            );
        match (&settings.access_key_id, &settings.secret_access_key) {
            (Some(id), Some(secret)) => {
                loader = loader.credentials_provider(Credentials::new(
                    id,
                    secret.expose(),
                    settings
                        .session_token
                        .as_ref()
                        .map(|t| t.expose().to_owned()),
                    None,
                    "ralph-settings",
                ));
            }
            (None, None) => {}
            (Some(_), None) => {
                return Err(Error::config(
                    "setting `backends.data.s3.secret_access_key` is missing: it goes with `access_key_id`",
                ));
            }
            (None, Some(_)) => {
                return Err(Error::config(
                    "setting `backends.data.s3.access_key_id` is missing: it goes with `secret_access_key`",
                ));
            }
        }
        // A custom endpoint needs a region to sign with, not the AWS region lookup.
        let region = settings.default_region.clone().or_else(|| {
            settings
                .endpoint_url
                .as_ref()
                .map(|_| "us-east-1".to_owned())
        });
        if let Some(region) = &region {
            loader = loader.region(Region::new(region.clone()));
        }
        let shared = loader.load().await;
        let region = shared
            .region()
            .map(|r| r.as_ref().to_owned())
            .unwrap_or_else(|| "us-east-1".to_owned());
        let mut config = aws_sdk_s3::config::Builder::from(&shared)
            .region(Region::new(region.clone()))
            .force_path_style(settings.force_path_style)
            // Checksums only where the API requires them: many S3-compatible stores reject the
            // CRC trailers the SDK sends by default.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        let endpoint = match &settings.endpoint_url {
            Some(url) => {
                config = config.endpoint_url(url);
                url.clone()
            }
            None => format!("https://s3.{region}.amazonaws.com"),
        };
        Ok(Self {
            client: Client::from_conf(config.build()),
            settings,
            endpoint,
            history,
        })
    }

    /// The SDK client, for what the backend does not cover (creating buckets, tests).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The endpoint requests go to, as named in error messages.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The bucket of a listing or a read: the target, else the default bucket.
    fn bucket(&self, target: Option<&str>) -> Result<String> {
        match target.filter(|t| !t.is_empty()) {
            Some(t) => Ok(t.to_owned()),
            None => self.default_bucket(),
        }
    }

    fn default_bucket(&self) -> Result<String> {
        self.settings.default_bucket_name.clone().ok_or_else(|| {
            Error::config(
                "no bucket given: set `backends.data.s3.default_bucket_name` or give a target",
            )
        })
    }

    /// The bucket and key of a write target: `bucket/key`, or `key` in the default bucket, or
    /// `{now}-{uuid}` in the default bucket.
    fn write_location(&self, target: Option<&str>) -> Result<(String, String)> {
        match target.filter(|t| !t.is_empty()) {
            Some(t) => match t.split_once('/') {
                Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => {
                    Ok((bucket.to_owned(), key.to_owned()))
                }
                Some(_) => Err(Error::invalid_input(format!(
                    "target `{t}` is not `bucket/key` nor `key`"
                ))),
                None => Ok((self.default_bucket()?, t.to_owned())),
            },
            None => Ok((
                self.default_bucket()?,
                format!(
                    "{}-{}",
                    Utc::now().to_rfc3339_opts(SecondsFormat::Micros, false),
                    uuid::Uuid::new_v4()
                ),
            )),
        }
    }

    /// An SDK error as a ralph error naming the backend, the endpoint and what was done.
    fn error<E>(
        &self,
        doing: &str,
        err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    ) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let err = sdk_error(&self.endpoint, doing, err);
        let virtual_hosted =
            self.settings.endpoint_url.is_some() && !self.settings.force_path_style;
        if virtual_hosted
            && err.kind() == ErrorKind::Unavailable
            && err.message().contains("lookup")
        {
            // `bucket.host` does not resolve: the store wants path-style addressing.
            return Error::new(
                ErrorKind::Unavailable,
                format!(
                    "{} (set `backends.data.s3.force_path_style` to address buckets as `endpoint/bucket`)",
                    err.message()
                ),
            );
        }
        err
    }
}

pub(crate) fn sdk_error<E>(
    endpoint: &str,
    doing: &str,
    err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let (kind, detail) = match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => (
            ErrorKind::Unavailable,
            format!("cannot reach the server: {}", root_cause(&err)),
        ),
        SdkError::ServiceError(ctx) => {
            let status = ctx.raw().status().as_u16();
            let kind = match status {
                401 | 403 => ErrorKind::PermissionDenied,
                404 => ErrorKind::NotFound,
                409 | 412 => ErrorKind::Conflict,
                503 => ErrorKind::Unavailable,
                _ => ErrorKind::Backend,
            };
            let code = ctx.err().code().unwrap_or(match status {
                401 | 403 => "AccessDenied",
                404 => "NotFound",
                _ => "Error",
            });
            let detail = match ctx.err().message() {
                Some(message) => format!("HTTP {status} {code}: {message}"),
                None => format!("HTTP {status} {code}"),
            };
            let hint = if kind == ErrorKind::PermissionDenied {
                " (check `access_key_id`, `secret_access_key` and `session_token`)"
            } else {
                ""
            };
            (kind, format!("{detail}{hint}"))
        }
        _ => (ErrorKind::Backend, DisplayErrorContext(&err).to_string()),
    };
    // No source attached: the SDK's chain repeats itself and ends in `Debug` dumps; the message
    // already holds the useful part.
    Error::new(kind, format!("s3 `{endpoint}`: {doing}: {detail}"))
}

/// The innermost cause of `err` (`Connection refused (os error 111)`, a DNS failure, a timeout).
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

fn history_entry(action: HistoryAction, bucket: &str, key: &str, size: u64) -> HistoryEntry {
    let mut entry = HistoryEntry::now(NAME, action, format!("{bucket}/{key}"));
    entry.filename = Some(key.to_owned());
    entry.size = Some(size);
    entry
}

/// An object as boto3 describes it (`list --details`), `LastModified` as Python's `isoformat()`.
fn object_details(object: &Object) -> serde_json::Value {
    let last_modified = object.last_modified().map(|at| {
        let at = chrono::DateTime::from_timestamp(at.secs(), at.subsec_nanos())
            .unwrap_or(chrono::DateTime::UNIX_EPOCH);
        let format = if at.timestamp_subsec_micros() == 0 {
            SecondsFormat::Secs
        } else {
            SecondsFormat::Micros
        };
        at.to_rfc3339_opts(format, false)
    });
    // As boto3: fields the server did not send are absent, not null.
    let fields = [
        ("Key", object.key().map(serde_json::Value::from)),
        ("LastModified", last_modified.map(serde_json::Value::from)),
        ("ETag", object.e_tag().map(serde_json::Value::from)),
        ("Size", object.size().map(serde_json::Value::from)),
        (
            "StorageClass",
            object.storage_class().map(|c| c.as_str().into()),
        ),
    ];
    serde_json::Value::Object(
        fields
            .into_iter()
            .filter_map(|(name, value)| Some((name.to_owned(), value?)))
            .collect(),
    )
}

#[async_trait]
impl DataBackend for S3Backend {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn status(&self) -> BackendStatus {
        let outcome = match &self.settings.default_bucket_name {
            Some(bucket) => self
                .client
                .head_bucket()
                .bucket(bucket)
                .send()
                .await
                .map(drop)
                .map_err(|err| self.error(&format!("cannot reach bucket `{bucket}`"), err)),
            None => self
                .client
                .list_buckets()
                .send()
                .await
                .map(drop)
                .map_err(|err| self.error("cannot list buckets", err)),
        };
        match outcome {
            Ok(()) => BackendStatus::Ok,
            Err(err) => {
                tracing::warn!(target: "ralph", "{err}");
                if err.kind() == ErrorKind::Unavailable {
                    BackendStatus::Away
                } else {
                    BackendStatus::Error
                }
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

#[async_trait]
impl Listable for S3Backend {
    async fn list(&self, target: Option<String>, details: bool, new: bool) -> Result<ListStream> {
        let bucket = self.bucket(target.as_deref())?;
        let already_read: HashSet<String> = if new {
            let history = self.history.clone();
            tokio::task::spawn_blocking(move || history.read_ids(NAME))
                .await
                .map_err(|err| Error::backend(format!("history task failed: {err}")))??
        } else {
            HashSet::new()
        };
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&bucket)
            .into_paginator()
            .send();
        let doing = format!("cannot list bucket `{bucket}`");
        // The first page now, so that a wrong bucket or credentials fail the call itself.
        let first = match pages.next().await {
            Some(page) => page.map_err(|err| self.error(&doing, err))?,
            None => return Ok(futures::stream::empty().boxed()),
        };
        let endpoint = self.endpoint.clone();
        let entry = move |object: &Object| -> Option<ListEntry> {
            let key = object.key()?;
            if already_read.contains(&format!("{bucket}/{key}")) {
                return None;
            }
            Some(if details {
                ListEntry::Details(object_details(object))
            } else {
                ListEntry::Id(key.to_owned())
            })
        };
        // Everything the stream needs travels in its state: nothing is cloned per entry.
        let state = ListState {
            pages,
            page: Some(first),
            ready: VecDeque::new(),
            endpoint,
            doing,
            entry,
        };
        let stream = futures::stream::unfold(state, |mut st| async move {
            loop {
                if let Some(item) = st.ready.pop_front() {
                    return Some((item, st));
                }
                if let Some(output) = st.page.take() {
                    let entries = output.contents().iter().filter_map(&st.entry).map(Ok);
                    st.ready.extend(entries);
                    continue;
                }
                match st.pages.next().await {
                    Some(Ok(output)) => st.page = Some(output),
                    Some(Err(err)) => {
                        let err = sdk_error(&st.endpoint, &st.doing, err);
                        return Some((Err(err), st));
                    }
                    None => return None,
                }
            }
        });
        Ok(stream.boxed())
    }
}

/// The state of a listing: the pages to come, the entries of the current page.
struct ListState<P, F> {
    pages: P,
    page: Option<aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output>,
    ready: VecDeque<Result<ListEntry>>,
    endpoint: String,
    doing: String,
    entry: F,
}

#[async_trait]
impl Readable for S3Backend {
    async fn read(&self, request: ReadRequest) -> Result<RecordStream> {
        let key = request.query.clone().filter(|q| !q.is_empty()).ok_or_else(|| {
            Error::invalid_input(
                "the s3 backend reads one object: give its key as the query (`ralph read -b s3 KEY`)",
            )
        })?;
        let bucket = self.bucket(request.target.as_deref())?;
        let name = format!("{bucket}/{key}");
        let object = self
            .client
            .get_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
            .map_err(|err| self.error(&format!("cannot read object `{name}`"), err))?;
        let size = object.content_length().and_then(|n| u64::try_from(n).ok());
        let body = object.body.into_async_read();
        let chunk_size = request
            .chunk_size
            .unwrap_or(self.settings.read_chunk_size)
            .max(1);
        let (tx, rx) = mpsc::channel::<Result<Record>>(CHANNEL_DEPTH);
        let history = self.history.clone();
        let endpoint = self.endpoint.clone();
        tokio::spawn(async move {
            let mut reader = ObjectReader {
                tx,
                remaining: request.max_statements.filter(|&n| n > 0),
                ignore_errors: request.ignore_errors,
                name: name.clone(),
                endpoint,
            };
            let outcome = if request.raw_output {
                // Raw bytes as stored: a `.gz` object stays compressed, for `| gunzip`.
                reader.raw(body, chunk_size).await
            } else if key.ends_with(".gz") {
                let mut decoder =
                    async_compression::tokio::bufread::GzipDecoder::new(BufReader::new(body));
                decoder.multiple_members(true);
                reader
                    .json_lines(BufReader::with_capacity(64 * 1024, decoder))
                    .await
            } else {
                reader.json_lines(body).await
            };
            match outcome {
                Ok(Some(read)) => {
                    let entry =
                        history_entry(HistoryAction::Read, &bucket, &key, size.unwrap_or(read));
                    let appended =
                        tokio::task::spawn_blocking(move || history.append([entry])).await;
                    if let Ok(Err(err)) = appended {
                        tracing::warn!(target: "ralph", "cannot record the read in the history: {err}");
                    }
                }
                Ok(None) => {}
                Err(err) => {
                    let _ = reader.tx.send(Err(err)).await;
                }
            }
        });
        Ok(futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
        .boxed())
    }
}

struct ObjectReader {
    tx: mpsc::Sender<Result<Record>>,
    remaining: Option<u64>,
    ignore_errors: bool,
    /// `bucket/key`, for messages.
    name: String,
    endpoint: String,
}

impl ObjectReader {
    /// Sends a record; `false` when the consumer is gone or the limit is reached.
    async fn send(&mut self, record: Result<Record>) -> bool {
        if self.tx.send(record).await.is_err() {
            return false;
        }
        match &mut self.remaining {
            Some(n) => {
                *n -= 1;
                *n > 0
            }
            None => true,
        }
    }

    fn io_error(&self, err: std::io::Error) -> Error {
        if matches!(
            err.kind(),
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput
        ) {
            // The gzip decoder's verdict on the bytes, not a transfer failure.
            return Error::invalid_input(format!("`{}`: not valid gzip: {err}", self.name));
        }
        Error::new(
            ErrorKind::Unavailable,
            format!(
                "s3 `{}`: reading object `{}` failed: {err}",
                self.endpoint, self.name
            ),
        )
        .with_source(err)
    }

    /// Sends the object in chunks of `chunk_size` bytes; the bytes read when it was read to its
    /// end, `None` when the reading stopped early.
    async fn raw(
        &mut self,
        mut body: impl AsyncBufRead + Unpin,
        chunk_size: usize,
    ) -> Result<Option<u64>> {
        let mut size = 0u64;
        loop {
            let mut buf = vec![0u8; chunk_size];
            let mut filled = 0;
            // Whole chunks, whatever the network delivers at once.
            while filled < chunk_size {
                match body.read(&mut buf[filled..]).await {
                    Ok(0) => break,
                    Ok(n) => filled += n,
                    Err(err) => return Err(self.io_error(err)),
                }
            }
            if filled == 0 {
                return Ok(Some(size));
            }
            size += filled as u64;
            buf.truncate(filled);
            if !self.send(Ok(Record::Raw(Bytes::from(buf)))).await {
                return Ok(None);
            }
        }
    }

    /// Sends the JSON document of each non-blank line.
    async fn json_lines(&mut self, mut body: impl AsyncBufRead + Unpin) -> Result<Option<u64>> {
        let mut line = Vec::new();
        let mut number = 0u64;
        let mut size = 0u64;
        loop {
            line.clear();
            let n = body
                .read_until(b'\n', &mut line)
                .await
                .map_err(|err| self.io_error(err))?;
            if n == 0 {
                return Ok(Some(size));
            }
            size += n as u64;
            number += 1;
            let text = line.trim_ascii();
            if text.is_empty() {
                continue;
            }
            match serde_json::from_slice(text) {
                Ok(value) => {
                    if !self.send(Ok(Record::Json(value))).await {
                        return Ok(None);
                    }
                }
                Err(err) => {
                    let err = Error::invalid_input(format!(
                        "`{}` line {number}: not valid JSON: {err}",
                        self.name
                    ));
                    if self.ignore_errors {
                        tracing::warn!(target: "ralph", "skipped: {err}");
                    } else {
                        let _ = self.tx.send(Err(err)).await;
                        return Ok(None);
                    }
                }
            }
        }
    }
}

#[async_trait]
impl Writable for S3Backend {
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

    async fn write(&self, mut input: RecordStream, options: WriteOptions) -> Result<WriteReport> {
        let op = self.resolve_operation_type(&options)?;
        let (bucket, key) = self.write_location(options.target.as_deref())?;
        let name = format!("{bucket}/{key}");
        match self
            .client
            .head_object()
            .bucket(&bucket)
            .key(&key)
            .send()
            .await
        {
            Ok(_) => {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "object `{name}` already exists and overwrite is not allowed with operation type {op}"
                    ),
                ));
            }
            Err(err) => {
                let err = self.error(&format!("cannot check object `{name}`"), err);
                if err.kind() != ErrorKind::NotFound {
                    return Err(err);
                }
            }
        }
        let first_part_size = options
            .chunk_size
            .unwrap_or(self.settings.write_chunk_size)
            .max(MIN_PART_SIZE);
        let mut upload = Upload {
            client: self.client.clone(),
            endpoint: self.endpoint.clone(),
            bucket: bucket.clone(),
            key: key.clone(),
            name: name.clone(),
            id: None,
            parts: Vec::new(),
            in_flight: VecDeque::new(),
        };
        let mut report = WriteReport::new(WriteUnit::Files);
        // One buffer of exactly a part's size at a time, handed over whole: no reallocation, and
        // a part's memory is freed as soon as it is uploaded.
        let mut buf: Vec<u8> = Vec::with_capacity(first_part_size);
        let outcome: Result<()> = async {
            while let Some(item) = input.next().await {
                let bytes = item?.into_bytes();
                report.bytes += bytes.len() as u64;
                let mut rest = &bytes[..];
                while !rest.is_empty() {
                    let size = part_size(first_part_size, upload.next_number());
                    let take = (size - buf.len()).min(rest.len());
                    buf.extend_from_slice(&rest[..take]);
                    rest = &rest[take..];
                    if buf.len() == size {
                        let next = part_size(first_part_size, upload.next_number() + 1);
                        let part = std::mem::replace(&mut buf, Vec::with_capacity(next));
                        upload.send_part(Bytes::from(part)).await?;
                    }
                }
            }
            if upload.id.is_none() {
                // Small enough for one request.
                self.client
                    .put_object()
                    .bucket(&bucket)
                    .key(&key)
                    .body(ByteStream::from(Bytes::from(std::mem::take(&mut buf))))
                    .send()
                    .await
                    .map_err(|err| self.error(&format!("cannot write object `{name}`"), err))?;
                return Ok(());
            }
            if !buf.is_empty() {
                upload
                    .send_part(Bytes::from(std::mem::take(&mut buf)))
                    .await?;
            }
            upload.complete().await
        }
        .await;
        if let Err(err) = outcome {
            upload.abort().await;
            return Err(err);
        }
        report.written = 1;
        report.location = Some(name);
        let mut entry = history_entry(HistoryAction::Write, &bucket, &key, report.bytes);
        entry.operation_type = Some(op.to_string());
        let history = self.history.clone();
        let appended = tokio::task::spawn_blocking(move || history.append([entry])).await;
        if let Ok(Err(err)) = appended {
            tracing::warn!(target: "ralph", "cannot record the write in the history: {err}");
        }
        Ok(report)
    }
}

/// The size of part `number` (1-based): `first`, doubled every [`PARTS_PER_SIZE`] parts.
pub(crate) fn part_size(first: usize, number: i32) -> usize {
    let doublings = ((number - 1) / PARTS_PER_SIZE).clamp(0, 8) as u32;
    first.saturating_mul(1 << doublings)
}

/// A multipart upload in progress, started with its first part.
struct Upload {
    client: Client,
    endpoint: String,
    bucket: String,
    key: String,
    name: String,
    id: Option<String>,
    parts: Vec<CompletedPart>,
    in_flight: VecDeque<JoinHandle<Result<CompletedPart>>>,
}

impl Upload {
    fn next_number(&self) -> i32 {
        i32::try_from(self.parts.len() + self.in_flight.len() + 1).unwrap_or(i32::MAX)
    }

    fn error<E>(
        &self,
        doing: &str,
        err: SdkError<E, aws_sdk_s3::config::http::HttpResponse>,
    ) -> Error
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        sdk_error(&self.endpoint, &format!("{doing} `{}`", self.name), err)
    }

    /// Waits for the oldest part in flight.
    async fn finish_one(&mut self) -> Result<()> {
        if let Some(handle) = self.in_flight.pop_front() {
            let part = handle
                .await
                .map_err(|err| Error::backend(format!("upload task failed: {err}")))??;
            self.parts.push(part);
        }
        Ok(())
    }

    /// Uploads one part, with at most [`PARTS_IN_FLIGHT`] parts on the wire.
    async fn send_part(&mut self, part: Bytes) -> Result<()> {
        let id = match &self.id {
            Some(id) => id.clone(),
            None => {
                let created = self
                    .client
                    .create_multipart_upload()
                    .bucket(&self.bucket)
                    .key(&self.key)
                    .send()
                    .await
                    .map_err(|err| self.error("cannot start the upload of", err))?;
                let id = created.upload_id().map(str::to_owned).ok_or_else(|| {
                    Error::backend(format!(
                        "s3 `{}`: no upload id for `{}`",
                        self.endpoint, self.name
                    ))
                })?;
                self.id = Some(id.clone());
                id
            }
        };
        while self.in_flight.len() >= PARTS_IN_FLIGHT {
            self.finish_one().await?;
        }
        let number = self.next_number();
        let request = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(id)
            .part_number(number)
            .body(ByteStream::from(part));
        let (endpoint, name) = (self.endpoint.clone(), self.name.clone());
        self.in_flight.push_back(tokio::spawn(async move {
            let sent = request.send().await.map_err(|err| {
                sdk_error(
                    &endpoint,
                    &format!("cannot upload part {number} of `{name}`"),
                    err,
                )
            })?;
            Ok(CompletedPart::builder()
                .part_number(number)
                .set_e_tag(sent.e_tag().map(str::to_owned))
                .build())
        }));
        Ok(())
    }

    async fn complete(&mut self) -> Result<()> {
        while !self.in_flight.is_empty() {
            self.finish_one().await?;
        }
        let parts = std::mem::take(&mut self.parts);
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .set_upload_id(self.id.clone())
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(|err| self.error("cannot complete the upload of", err))?;
        self.id = None;
        Ok(())
    }

    /// Cancels the upload so the store drops its parts; failures are only logged.
    async fn abort(&mut self) {
        for handle in self.in_flight.drain(..) {
            handle.abort();
        }
        let Some(id) = self.id.take() else {
            return;
        };
        if let Err(err) = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(id)
            .send()
            .await
        {
            let err = self.error("cannot abort the upload of", err);
            tracing::warn!(target: "ralph", "{err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_double_every_two_thousand() {
        assert_eq!(part_size(MIN_PART_SIZE, 1), MIN_PART_SIZE);
        assert_eq!(part_size(MIN_PART_SIZE, 2000), MIN_PART_SIZE);
        assert_eq!(part_size(MIN_PART_SIZE, 2001), 2 * MIN_PART_SIZE);
        assert_eq!(part_size(MIN_PART_SIZE, 4001), 4 * MIN_PART_SIZE);
    }

    #[tokio::test]
    async fn write_targets_name_a_bucket_and_a_key() {
        let settings = S3Settings {
            default_bucket_name: Some("logs".into()),
            endpoint_url: Some("http://127.0.0.1:1".into()),
            access_key_id: Some("k".into()),
            secret_access_key: Some(ralph_core::settings::Secret::new("s")),
            ..Default::default()
        };
        let backend = S3Backend::connect(settings, History::new("/nonexistent/history.json"))
            .await
            .expect("client");
        let at = |t: Option<&str>| backend.write_location(t).expect("location");
        assert_eq!(at(Some("b/k/x.gz")), ("b".into(), "k/x.gz".into()));
        assert_eq!(at(Some("k.json")), ("logs".into(), "k.json".into()));
        let (bucket, key) = at(None);
        assert_eq!(bucket, "logs");
        assert!(key.len() > 36 && key.contains('T'), "{key}");
        assert!(backend.write_location(Some("/k")).is_err());
    }

    #[tokio::test]
    async fn half_a_key_pair_is_a_configuration_error() {
        let settings = S3Settings {
            access_key_id: Some("k".into()),
            ..Default::default()
        };
        let err = S3Backend::connect(settings, History::new("/nonexistent/history.json"))
            .await
            .expect_err("secret missing");
        assert_eq!(err.kind(), ErrorKind::ConfigInvalid);
        assert!(err.to_string().contains("secret_access_key"), "{err}");
    }
}
