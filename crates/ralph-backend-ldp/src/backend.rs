//! The `ldp` backend: archives of OVH Logs Data Platform streams.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use ralph_core::history::{History, HistoryAction, HistoryEntry};
use ralph_core::{
    BackendStatus, DataBackend, Error, ErrorKind, ListEntry, ListStream, Listable, ReadRequest,
    Readable, Record, RecordStream, Result,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::LdpSettings;
use crate::ovh::OvhClient;
use crate::settings::ENDPOINTS;

const NAME: &str = "ldp";

/// OVH Logs Data Platform: list the archives of a stream, read one.
#[derive(Clone)]
pub struct LdpBackend {
    inner: Arc<Inner>,
}

struct Inner {
    settings: LdpSettings,
    client: OvhClient,
    history: History,
}

impl std::fmt::Debug for LdpBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LdpBackend")
            .field("endpoint", &self.inner.settings.endpoint)
            .field("service_name", &self.inner.settings.service_name)
            .finish_non_exhaustive()
    }
}

/// The base URL of an endpoint name (or the URL itself).
fn endpoint_url(endpoint: &str) -> Result<String> {
    if let Some((_, url)) = ENDPOINTS.iter().find(|(name, _)| *name == endpoint) {
        return Ok((*url).to_owned());
    }
    if endpoint.starts_with("https://") || endpoint.starts_with("http://") {
        return Ok(endpoint.to_owned());
    }
    let names: Vec<String> = ENDPOINTS.iter().map(|(n, _)| format!("`{n}`")).collect();
    Err(Error::config(format!(
        "setting `backends.data.ldp.endpoint`: unknown endpoint `{endpoint}`; expected one of {} or an http(s) URL",
        names.join(", ")
    )))
}

/// A path segment, percent-encoded.
fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl LdpBackend {
    /// A backend with `settings`, recording its reads in `history`.
    pub fn new(settings: LdpSettings, history: History) -> Result<Self> {
        if !settings.locale_encoding.eq_ignore_ascii_case("utf8")
            && !settings.locale_encoding.eq_ignore_ascii_case("utf-8")
        {
            return Err(Error::config(format!(
                "setting `backends.data.ldp.locale_encoding`: `{}` is not supported; only `utf8` is",
                settings.locale_encoding
            )));
        }
        let endpoint = endpoint_url(&settings.endpoint)?;
        let missing: Vec<&str> = [
            ("application_key", settings.application_key.is_none()),
            ("application_secret", settings.application_secret.is_none()),
            ("consumer_key", settings.consumer_key.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, missing)| missing.then_some(name))
        .collect();
        if !missing.is_empty() {
            return Err(Error::config(format!(
                "the ldp backend needs the OVH API credentials: set {} (`RALPH_BACKENDS__DATA__LDP__APPLICATION_KEY`, …)",
                missing
                    .iter()
                    .map(|m| format!("`backends.data.ldp.{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let client = OvhClient::new(
            endpoint,
            settings.application_key.clone().unwrap_or_default(),
            settings.application_secret.clone().unwrap_or_default(),
            settings.consumer_key.clone().unwrap_or_default(),
            settings
                .request_timeout
                .filter(|&t| t > 0)
                .map(Duration::from_secs),
        )?;
        Ok(Self {
            inner: Arc::new(Inner {
                settings,
                client,
                history,
            }),
        })
    }

    /// The settings in use.
    pub fn settings(&self) -> &LdpSettings {
        &self.inner.settings
    }

    fn service(&self) -> Result<String> {
        self.inner
            .settings
            .service_name
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Error::config(
                    "the ldp backend needs `backends.data.ldp.service_name` \
                     (`RALPH_BACKENDS__DATA__LDP__SERVICE_NAME`, `--ldp-service-name`)",
                )
            })
    }

    /// The archives path of `stream` (the default stream when `None`).
    fn archives_path(&self, stream: Option<&str>) -> Result<String> {
        let service = self.service()?;
        let stream = stream
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .or_else(|| self.inner.settings.default_stream_id.clone())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                Error::config(
                    "the ldp backend needs a stream: give a target or set \
                     `backends.data.ldp.default_stream_id` (`--ldp-default-stream-id`)",
                )
            })?;
        Ok(format!(
            "/dbaas/logs/{}/output/graylog/stream/{}/archive",
            segment(&service),
            segment(&stream)
        ))
    }

    /// The archive ids of `stream`.
    pub async fn archives(&self, stream: Option<&str>) -> Result<Vec<String>> {
        let path = self.archives_path(stream)?;
        let value = self.inner.client.call(Method::GET, &path, None).await?;
        let Value::Array(items) = value else {
            return Err(Error::backend(format!(
                "ldp: `GET {path}` answered `{value}`, not a list of archive ids"
            )));
        };
        Ok(items
            .into_iter()
            .map(|v| match v {
                Value::String(s) => s,
                other => other.to_string(),
            })
            .collect())
    }

    /// The details of archive `id` of `stream`, as the API gives them (`archiveId`,
    /// `filename`, `size`, `createdAt`, `sha256`, `retrievalState`, …).
    pub async fn details(&self, stream: Option<&str>, id: &str) -> Result<Value> {
        let path = format!("{}/{}", self.archives_path(stream)?, segment(id));
        self.inner.client.call(Method::GET, &path, None).await
    }

    /// A temporary download URL of archive `id` of `stream`.
    pub async fn download_url(&self, stream: Option<&str>, id: &str) -> Result<String> {
        let path = format!("{}/{}/url", self.archives_path(stream)?, segment(id));
        // The `ovh` Python client posts `{}` when there are no parameters: sign the same body.
        let value = self
            .inner
            .client
            .call(Method::POST, &path, Some(&json!({})))
            .await?;
        value
            .get("url")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                Error::backend(format!(
                    "ldp: `POST {path}` answered `{value}`, with no `url`"
                ))
            })
    }
}

#[async_trait]
impl DataBackend for LdpBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn status(&self) -> BackendStatus {
        let Ok(service) = self.service() else {
            return BackendStatus::Error;
        };
        let path = format!("/dbaas/logs/{}", segment(&service));
        match self.inner.client.call(Method::GET, &path, None).await {
            Ok(_) => BackendStatus::Ok,
            Err(err) => {
                tracing::error!(target: "ralph", "{err}");
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

    fn as_listable(&self) -> Option<&dyn Listable> {
        Some(self)
    }
}

#[async_trait]
impl Listable for LdpBackend {
    async fn list(&self, target: Option<String>, details: bool, new: bool) -> Result<ListStream> {
        let mut ids = self.archives(target.as_deref()).await?;
        if new {
            let read = self.inner.history.read_ids(NAME)?;
            ids.retain(|id| !read.contains(id));
        }
        if !details {
            return Ok(
                futures::stream::iter(ids.into_iter().map(|id| Ok(ListEntry::Id(id)))).boxed(),
            );
        }
        let backend = self.clone();
        Ok(futures::stream::iter(ids)
            .then(move |id| {
                let backend = backend.clone();
                let target = target.clone();
                async move {
                    backend
                        .details(target.as_deref(), &id)
                        .await
                        .map(ListEntry::Details)
                }
            })
            .boxed())
    }
}

#[async_trait]
impl Readable for LdpBackend {
    /// Streams the bytes of the archive named by the query (an archive id, as `list` prints).
    async fn read(&self, request: ReadRequest) -> Result<RecordStream> {
        if !request.raw_output {
            return Err(Error::unsupported(
                "the ldp backend reads archives as bytes only (they are usually gzipped): \
                 read them raw",
            ));
        }
        let id = request
            .query
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .ok_or_else(|| {
                Error::invalid_input(
                    "the ldp backend reads one archive: give its id as the query \
                     (`ralph list -b ldp` prints them)",
                )
            })?
            .to_owned();
        let target = request.target.clone();
        let details = self.details(target.as_deref(), &id).await?;
        let url = self.download_url(target.as_deref(), &id).await?;
        let response = self
            .inner
            .client
            .http()
            .get(&url)
            .send()
            .await
            .map_err(|err| {
                Error::new(
                    ErrorKind::Unavailable,
                    format!("ldp archive `{id}`: download failed: {err}"),
                )
            })?;
        if !response.status().is_success() {
            return Err(Error::new(
                ErrorKind::Unavailable,
                format!(
                    "ldp archive `{id}`: the download URL answered {}",
                    response.status()
                ),
            ));
        }
        let chunk_size = request
            .chunk_size
            .unwrap_or(self.inner.settings.read_chunk_size)
            .max(1);
        let mut entry = HistoryEntry::now(NAME, HistoryAction::Read, id.clone());
        entry.filename = details
            .get("filename")
            .and_then(Value::as_str)
            .map(str::to_owned);
        entry.size = details.get("size").and_then(Value::as_u64);
        let history = self.inner.history.clone();
        let body = response.bytes_stream();
        struct State<S> {
            body: S,
            pending: Bytes,
            chunk_size: usize,
            id: String,
            entry: Option<HistoryEntry>,
            history: History,
            failed: bool,
        }
        let state = State {
            body,
            pending: Bytes::new(),
            chunk_size,
            id,
            entry: Some(entry),
            history,
            failed: false,
        };
        Ok(futures::stream::unfold(state, |mut st| async move {
            loop {
                if st.failed {
                    return None;
                }
                if !st.pending.is_empty() {
                    let n = st.pending.len().min(st.chunk_size);
                    let chunk = st.pending.split_to(n);
                    return Some((Ok(Record::Raw(chunk)), st));
                }
                match st.body.next().await {
                    Some(Ok(bytes)) => st.pending = bytes,
                    Some(Err(err)) => {
                        let err = Error::new(
                            ErrorKind::Unavailable,
                            format!("ldp archive `{}`: download interrupted: {err}", st.id),
                        );
                        st.entry = None;
                        st.failed = true;
                        return Some((Err(err), st));
                    }
                    None => {
                        // The whole archive was read: remember it for `list --new`.
                        if let Some(entry) = st.entry.take()
                            && let Err(err) = st.history.append([entry])
                        {
                            tracing::warn!(target: "ralph", "cannot record the read in the history: {err}");
                        }
                        return None;
                    }
                }
            }
        })
        .boxed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_names_or_urls_and_segments_are_encoded() {
        assert_eq!(
            endpoint_url("ovh-ca").expect("name"),
            "https://ca.api.ovh.com/1.0"
        );
        assert_eq!(
            endpoint_url("http://127.0.0.1:1/1.0").expect("url"),
            "http://127.0.0.1:1/1.0"
        );
        assert!(endpoint_url("ovh-mars").is_err());
        assert_eq!(segment("ldp-ab-12345"), "ldp-ab-12345");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }
}
