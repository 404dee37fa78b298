//! The `lrs` backend: an HTTP client of an xAPI LRS.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::FuturesOrdered;
use ralph_core::record::{JsonRecord, json_line, json_records};
use ralph_core::{
    BackendStatus, DataBackend, Error, ErrorKind, OperationType, ReadRequest, Readable, Record,
    RecordStream, Result, Writable, WriteOptions, WriteReport, WriteUnit,
};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use url::Url;

use crate::{LrsQuery, LrsSettings};

/// The first wait before a retry; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(10);
/// Characters of an error body quoted in messages.
const QUOTED_BODY: usize = 300;

/// A remote xAPI LRS.
#[derive(Clone)]
pub struct LrsBackend {
    inner: Arc<Inner>,
}

struct Inner {
    settings: LrsSettings,
    client: reqwest::Client,
    base: Url,
}

impl std::fmt::Debug for LrsBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LrsBackend")
            .field("base_url", &self.inner.base.as_str())
            .finish_non_exhaustive()
    }
}

impl LrsBackend {
    /// A client of the LRS of `settings` (no request is sent yet).
    pub fn new(settings: LrsSettings) -> Result<Self> {
        if !settings.locale_encoding.eq_ignore_ascii_case("utf8")
            && !settings.locale_encoding.eq_ignore_ascii_case("utf-8")
        {
            return Err(Error::config(format!(
                "setting `backends.data.lrs.locale_encoding`: `{}` is not supported; only `utf8` is",
                settings.locale_encoding
            )));
        }
        let base = Url::parse(&settings.base_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| {
                Error::config(format!(
                    "setting `backends.data.lrs.base_url`: `{}` is not an http(s) URL",
                    settings.base_url
                ))
            })?;
        let mut headers = HeaderMap::new();
        for (name, value, key) in [
            (
                HeaderName::from_static("x-experience-api-version"),
                &settings.headers.x_experience_api_version,
                "x_experience_api_version",
            ),
            (CONTENT_TYPE, &settings.headers.content_type, "content_type"),
        ] {
            let value = HeaderValue::from_str(value).map_err(|_| {
                Error::config(format!(
                    "setting `backends.data.lrs.headers.{key}`: `{value}` is not a valid header value"
                ))
            })?;
            headers.insert(name, value);
        }
        let timeout = Duration::try_from_secs_f64(settings.timeout)
            .ok()
            .filter(|t| !t.is_zero())
            .ok_or_else(|| {
                Error::config(format!(
                    "setting `backends.data.lrs.timeout`: `{}` is not a positive number of seconds",
                    settings.timeout
                ))
            })?;
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|err| Error::backend(format!("lrs: cannot build the HTTP client: {err}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                client,
                base,
            }),
        })
    }

    /// The settings in use.
    pub fn settings(&self) -> &LrsSettings {
        &self.inner.settings
    }

    /// The URL of `endpoint`: a full `http(s)://` URL as is, else a path under the base URL
    /// (`http://host/prefix` + `/xAPI/statements` = `http://host/prefix/xAPI/statements`).
    pub fn endpoint_url(&self, endpoint: &str) -> Result<Url> {
        if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
            return Url::parse(endpoint).map_err(|err| {
                Error::invalid_input(format!("lrs target `{endpoint}` is not a valid URL: {err}"))
            });
        }
        let mut url = self.inner.base.clone();
        let (path, query) = match endpoint.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (endpoint, None),
        };
        let prefix = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{prefix}/{}", path.trim_start_matches('/')));
        url.set_query(query);
        Ok(url)
    }

    fn target_url(&self, target: Option<&str>) -> Result<Url> {
        let target = target
            .filter(|t| !t.is_empty())
            .unwrap_or(&self.inner.settings.statements_endpoint);
        self.endpoint_url(target)
    }
}

impl Inner {
    fn request(&self, method: Method, url: &Url) -> reqwest::RequestBuilder {
        let request = self.client.request(method, url.clone());
        if self.settings.username.is_empty() {
            request
        } else {
            request.basic_auth(
                &self.settings.username,
                Some(self.settings.password.expose()),
            )
        }
    }

    /// Sends a request, again after connection errors and 5xx/429 answers (up to `max_retries`
    /// times, with a growing wait); returns the last answer's status and body.
    async fn send(
        &self,
        method: Method,
        url: &Url,
        body: Option<Bytes>,
    ) -> Result<(StatusCode, Bytes)> {
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 0u32;
        loop {
            let mut request = self.request(method.clone(), url);
            if let Some(body) = &body {
                request = request.body(body.clone());
            }
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    match response.bytes().await {
                        Ok(bytes) => Ok((status, bytes)),
                        Err(err) => Err(err),
                    }
                }
                Err(err) => Err(err),
            };
            let retry_reason = match &outcome {
                Ok((status, _)) if retryable(*status) => Some(status.to_string()),
                Ok(_) => None,
                Err(err) if err.is_builder() => None,
                Err(err) => Some(describe_reqwest(err)),
            };
            match retry_reason {
                Some(reason) if attempt < self.settings.max_retries => {
                    attempt += 1;
                    tracing::warn!(
                        target: "ralph",
                        "lrs `{method} {}`: {reason}; retry {attempt} of {} in {:.1} s",
                        redacted(url),
                        self.settings.max_retries,
                        backoff.as_secs_f64()
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                _ => {
                    return outcome.map_err(|err| {
                        let kind = if err.is_builder() {
                            ErrorKind::InvalidInput
                        } else {
                            ErrorKind::Unavailable
                        };
                        let tries = if attempt > 0 {
                            format!(" (after {} attempts)", attempt + 1)
                        } else {
                            String::new()
                        };
                        Error::new(
                            kind,
                            format!(
                                "lrs `{method} {}`: {}{tries}",
                                redacted(url),
                                describe_reqwest(&err)
                            ),
                        )
                    });
                }
            }
        }
    }

    /// Fetches one page of statements; returns them and the URL of the next page.
    async fn page(&self, url: &Url) -> Result<(Vec<Value>, Option<Url>)> {
        let (status, body) = self.send(Method::GET, url, None).await?;
        if !status.is_success() {
            return Err(http_error(&Method::GET, url, status, &body));
        }
        let value: Value = serde_json::from_slice(&body).map_err(|err| {
            Error::backend(format!(
                "lrs `GET {}`: the answer is not JSON: {err}",
                redacted(url)
            ))
        })?;
        match value {
            Value::Object(mut map) if map.contains_key("statements") => {
                let statements = match map.remove("statements") {
                    Some(Value::Array(items)) => items,
                    Some(Value::Null) | None => Vec::new(),
                    Some(single @ Value::Object(_)) => vec![single],
                    Some(other) => {
                        return Err(Error::backend(format!(
                            "lrs `GET {}`: `statements` is {other}, not a list",
                            redacted(url)
                        )));
                    }
                };
                let more = match map.get("more").and_then(Value::as_str) {
                    Some(more) if !more.is_empty() => Some(url.join(more).map_err(|err| {
                        Error::backend(format!(
                            "lrs `GET {}`: invalid `more` link `{more}`: {err}",
                            redacted(url)
                        ))
                    })?),
                    _ => None,
                };
                Ok((statements, more))
            }
            // `statementId` and `voidedStatementId` answer the statement itself.
            single @ Value::Object(_) => Ok((vec![single], None)),
            other => Err(Error::backend(format!(
                "lrs `GET {}`: expected a statement result, found `{}`",
                redacted(url),
                truncate(&other.to_string())
            ))),
        }
    }

    /// Posts one batch of statements.
    async fn post(&self, url: &Url, batch: Vec<JsonRecord>) -> Result<BatchOutcome> {
        let count = batch.len() as u64;
        let first = batch.first().map_or(0, |r| r.line);
        let last = batch.last().map_or(0, |r| r.line);
        let values: Vec<Value> = batch.into_iter().map(|r| r.value).collect();
        let body = serde_json::to_vec(&values)
            .map_err(|err| Error::backend(format!("lrs: cannot encode statements: {err}")))?;
        let (status, answer) = self
            .send(Method::POST, url, Some(Bytes::from(body)))
            .await?;
        if status.is_success() {
            return Ok(BatchOutcome::Written(count));
        }
        let lines = if first == last {
            format!("line {first}")
        } else {
            format!("lines {first}-{last}")
        };
        let err = http_error(&Method::POST, url, status, &answer).context(&lines);
        if matches!(
            status,
            StatusCode::BAD_REQUEST | StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY
        ) {
            Ok(BatchOutcome::Refused { count, error: err })
        } else {
            Err(err)
        }
    }
}

/// Starts posting the records of `chunk` (emptied) as one batch.
fn submit(
    inner: &Arc<Inner>,
    url: &Url,
    chunk: &mut Vec<JsonRecord>,
    in_flight: &mut FuturesOrdered<JoinHandle<Result<BatchOutcome>>>,
) {
    if chunk.is_empty() {
        return;
    }
    let batch = std::mem::take(chunk);
    let inner = inner.clone();
    let url = url.clone();
    in_flight.push_back(tokio::spawn(async move { inner.post(&url, batch).await }));
}

/// What became of one batch of a write.
enum BatchOutcome {
    /// Every statement was accepted.
    Written(u64),
    /// The LRS refused the batch as a whole (invalid statement, conflicting id).
    Refused { count: u64, error: Error },
}

fn retryable(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

/// A reqwest error with its causes (reqwest's own message is only "error sending request").
fn describe_reqwest(err: &reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "timed out".to_owned()
    } else if err.is_connect() {
        "cannot connect".to_owned()
    } else {
        err.to_string()
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// The URL without its query string's credentials (none are put there) nor user info.
fn redacted(url: &Url) -> String {
    let mut url = url.clone();
    let _ = url.set_password(None);
    let _ = url.set_username("");
    url.to_string()
}

fn truncate(text: &str) -> String {
    if text.chars().count() <= QUOTED_BODY {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(QUOTED_BODY).collect();
    out.push('…');
    out
}

/// An error for a non-success answer, with the LRS's own explanation when it gave one.
fn http_error(method: &Method, url: &Url, status: StatusCode, body: &[u8]) -> Error {
    let kind = match status {
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => ErrorKind::InvalidInput,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ErrorKind::PermissionDenied,
        StatusCode::NOT_FOUND => ErrorKind::NotFound,
        StatusCode::CONFLICT => ErrorKind::Conflict,
        s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => ErrorKind::Unavailable,
        _ => ErrorKind::Backend,
    };
    let detail = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => match map.get("detail").or_else(|| map.get("message")) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
            None => Value::Object(map).to_string(),
        },
        _ => String::from_utf8_lossy(body).trim().to_owned(),
    };
    let mut message = format!("lrs `{method} {}`: {status}", redacted(url));
    if !detail.is_empty() {
        message.push_str(": ");
        message.push_str(&truncate(&detail));
    }
    if kind == ErrorKind::PermissionDenied {
        message.push_str(" (check `backends.data.lrs.username` and `password`)");
    }
    Error::new(kind, message)
}

#[async_trait]
impl DataBackend for LrsBackend {
    fn name(&self) -> &'static str {
        "lrs"
    }

    async fn status(&self) -> BackendStatus {
        let Ok(url) = self.endpoint_url(&self.inner.settings.status_endpoint) else {
            return BackendStatus::Error;
        };
        match self.inner.request(Method::GET, &url).send().await {
            Err(err) => {
                tracing::error!(target: "ralph", "lrs `GET {}`: {}", redacted(&url), describe_reqwest(&err));
                BackendStatus::Away
            }
            Ok(response) if response.status().is_success() => BackendStatus::Ok,
            Ok(response) => {
                tracing::error!(target: "ralph", "lrs `GET {}`: {}", redacted(&url), response.status());
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
}

#[async_trait]
impl Readable for LrsBackend {
    async fn read(&self, request: ReadRequest) -> Result<RecordStream> {
        let query = LrsQuery::parse(request.query.as_deref())?;
        let mut url = self.target_url(request.target.as_deref())?;
        let page_size = request
            .chunk_size
            .map(|c| c as u64)
            .or(query.limit)
            .unwrap_or(self.inner.settings.read_chunk_size as u64)
            .max(1);
        {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in query.params() {
                pairs.append_pair(name, &value);
            }
            // A query by id answers one statement and refuses other parameters.
            if query.statement_id.is_none() && query.voided_statement_id.is_none() {
                pairs.append_pair("limit", &page_size.to_string());
            }
        }
        // One page is fetched ahead while the previous one is consumed; the channel holds one.
        let (pages, receiver) = mpsc::channel::<Result<Vec<Value>>>(1);
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let mut next = Some(url);
            let mut seen: Option<Url> = None;
            while let Some(url) = next.take() {
                match inner.page(&url).await {
                    Ok((statements, more)) => {
                        // A `more` link pointing at the page just read would loop forever.
                        next = more.filter(|m| Some(m) != seen.as_ref() && m != &url);
                        seen = Some(url);
                        if statements.is_empty() && next.is_none() {
                            break;
                        }
                        if pages.send(Ok(statements)).await.is_err() {
                            return;
                        }
                    }
                    Err(err) => {
                        let _ = pages.send(Err(err)).await;
                        return;
                    }
                }
            }
        });
        struct State {
            receiver: mpsc::Receiver<Result<Vec<Value>>>,
            buffer: VecDeque<Value>,
            remaining: Option<u64>,
            raw: bool,
        }
        let state = State {
            receiver,
            buffer: VecDeque::new(),
            remaining: request.max_statements.filter(|&n| n > 0),
            raw: request.raw_output,
        };
        Ok(futures::stream::unfold(state, |mut st| async move {
            loop {
                if st.remaining == Some(0) {
                    return None;
                }
                if let Some(statement) = st.buffer.pop_front() {
                    if let Some(n) = &mut st.remaining {
                        *n -= 1;
                    }
                    let record = if st.raw {
                        Record::Raw(json_line(&statement))
                    } else {
                        Record::Json(statement)
                    };
                    return Some((Ok(record), st));
                }
                match st.receiver.recv().await? {
                    Ok(page) => st.buffer.extend(page),
                    Err(err) => {
                        st.receiver.close();
                        return Some((Err(err), st));
                    }
                }
            }
        })
        .boxed())
    }
}

#[async_trait]
impl Writable for LrsBackend {
    fn default_operation_type(&self) -> OperationType {
        OperationType::Create
    }

    fn unsupported_operation_types(&self) -> &'static [OperationType] {
        // An LRS stores statements once: they are never replaced, appended to, or deleted.
        &[
            OperationType::Append,
            OperationType::Delete,
            OperationType::Update,
        ]
    }

    async fn write(&self, input: RecordStream, options: WriteOptions) -> Result<WriteReport> {
        self.resolve_operation_type(&options)?;
        let url = self.target_url(options.target.as_deref())?;
        let chunk_size = options
            .chunk_size
            .unwrap_or(self.inner.settings.write_chunk_size)
            .max(1);
        let concurrency = options.concurrency.unwrap_or(1).max(1);
        let ignore_errors = options.ignore_errors;
        let mut report = WriteReport::new(WriteUnit::Records);
        report.location = Some(redacted(&url));

        let mut records = std::pin::pin!(json_records(input));
        let mut in_flight = FuturesOrdered::new();
        let mut chunk: Vec<JsonRecord> = Vec::new();
        let mut stop: Option<Error> = None;
        let mut input_done = false;
        loop {
            // Fill the pipeline: read input until `concurrency` batches are in flight.
            while !input_done && stop.is_none() && in_flight.len() < concurrency {
                match records.next().await {
                    Some(Ok(record)) => {
                        chunk.push(record);
                        if chunk.len() >= chunk_size {
                            submit(&self.inner, &url, &mut chunk, &mut in_flight);
                        }
                    }
                    Some(Err(err)) if err.kind() == ErrorKind::InvalidInput && ignore_errors => {
                        tracing::warn!(target: "ralph", "skipped: {err}");
                        report.skipped += 1;
                    }
                    Some(Err(err)) => {
                        // The good records before the bad one are still written.
                        stop = Some(err);
                        submit(&self.inner, &url, &mut chunk, &mut in_flight);
                    }
                    None => {
                        input_done = true;
                        submit(&self.inner, &url, &mut chunk, &mut in_flight);
                    }
                }
            }
            // Batches complete in input order; after a failure the ones in flight still count.
            let Some(joined) = in_flight.next().await else {
                break;
            };
            let outcome = joined
                .map_err(|err| Error::backend(format!("lrs: a write task failed: {err}")))
                .and_then(|outcome| outcome);
            match outcome {
                Ok(BatchOutcome::Written(n)) => report.written += n,
                Ok(BatchOutcome::Refused { count, error }) if ignore_errors => {
                    tracing::warn!(target: "ralph", "skipped {count} statements: {error}");
                    report.skipped += count;
                }
                Ok(BatchOutcome::Refused { error, .. }) | Err(error) => {
                    stop.get_or_insert(error);
                }
            }
        }
        match stop {
            Some(err) => Err(err.with_written(report.written)),
            None => Ok(report),
        }
    }
}
