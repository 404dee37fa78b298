//! Statement forwarding (`XAPI_FORWARDINGS`): statements newly stored are re-sent to other LRSs
//! in the background.
//!
//! Each active forwarding has one worker task and a bounded queue. A `POST`/`PUT` that stored
//! statements queues them and answers at once; the worker `POST`s each batch to the forwarding's
//! URL with basic auth, retrying connection failures, timeouts, 429 and 5xx answers with an
//! exponential backoff, up to `max_retries` times. Failures are logged, never reported to the
//! client. When a queue is full (the other LRS is down or slow), new batches for it are
//! dropped with an error in the log, so memory stays bounded.
//!
//! Only statements newly stored are forwarded (not those already stored identically), so two
//! LRSs forwarding to each other do not loop.

use std::sync::OnceLock;
use std::time::Duration;

use ralph_core::settings::Secret;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

/// Batches waiting for one forwarding at most.
const QUEUE_DEPTH: usize = 1024;
/// The first wait between two attempts; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// One forwarding target, an item of `XAPI_FORWARDINGS` (Ralph 5.1's fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XapiForwarding {
    /// Statements endpoint of the other LRS (`https://lrs.example.org/xAPI/statements`).
    pub url: String,
    /// Inactive forwardings are ignored.
    pub is_active: bool,
    /// Basic-auth user name on the other LRS.
    pub basic_username: String,
    /// Basic-auth password on the other LRS.
    pub basic_password: Secret,
    /// Attempts after the first one when sending fails.
    pub max_retries: u32,
    /// Seconds one attempt may take.
    pub timeout: f64,
}

impl XapiForwarding {
    /// Checks the fields: an `http(s)` URL, a user name and password, a positive timeout.
    pub fn check(&self) -> Result<(), String> {
        let url = reqwest::Url::parse(&self.url)
            .map_err(|e| format!("xAPI forwarding `{}`: invalid URL: {e}", self.url))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "xAPI forwarding `{}`: the URL must be http or https",
                self.url
            ));
        }
        if self.basic_username.is_empty() || self.basic_password.expose().is_empty() {
            return Err(format!(
                "xAPI forwarding `{}`: `basic_username` and `basic_password` cannot be empty",
                self.url
            ));
        }
        if !(self.timeout.is_finite() && self.timeout > 0.0) {
            return Err(format!(
                "xAPI forwarding `{}`: `timeout` must be a positive number of seconds",
                self.url
            ));
        }
        Ok(())
    }
}

/// Reads `XAPI_FORWARDINGS` as a list, or as a JSON list in one string (Ralph's environment
/// variable form).
pub(crate) fn forwardings_list<'de, D>(deserializer: D) -> Result<Vec<XapiForwarding>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrJson {
        List(Vec<XapiForwarding>),
        Json(String),
    }
    match ListOrJson::deserialize(deserializer)? {
        ListOrJson::List(items) => Ok(items),
        ListOrJson::Json(text) if text.trim().is_empty() => Ok(Vec::new()),
        ListOrJson::Json(text) => serde_json::from_str(&text).map_err(serde::de::Error::custom),
    }
}

/// The forwarding workers of one LRS; started at the first forward.
#[derive(Debug)]
pub(crate) struct Forwarder {
    forwardings: Vec<XapiForwarding>,
    queues: OnceLock<Vec<(String, mpsc::Sender<Vec<Value>>)>>,
}

impl Forwarder {
    /// The forwarder of the active `forwardings`.
    pub(crate) fn new(forwardings: &[XapiForwarding]) -> Self {
        let active: Vec<XapiForwarding> = forwardings
            .iter()
            .filter(|f| f.is_active)
            .cloned()
            .collect();
        for inactive in forwardings.iter().filter(|f| !f.is_active) {
            tracing::info!(target: "ralph", "xAPI forwarding to `{}` is not active: ignored", inactive.url);
        }
        Self {
            forwardings: active,
            queues: OnceLock::new(),
        }
    }

    /// Whether any forwarding is active.
    pub(crate) fn is_active(&self) -> bool {
        !self.forwardings.is_empty()
    }

    /// Queues `statements` for every active forwarding; never waits.
    pub(crate) fn forward(&self, statements: Vec<Value>) {
        if statements.is_empty() || self.forwardings.is_empty() {
            return;
        }
        let queues = self.queues.get_or_init(|| self.start());
        for (url, queue) in queues {
            if queue.try_send(statements.clone()).is_err() {
                tracing::error!(
                    target: "ralph",
                    "xAPI forwarding to `{url}`: queue full, {} statements not forwarded",
                    statements.len()
                );
            }
        }
    }

    fn start(&self) -> Vec<(String, mpsc::Sender<Vec<Value>>)> {
        let client = match reqwest::Client::builder().build() {
            Ok(client) => client,
            Err(err) => {
                tracing::error!(target: "ralph", "xAPI forwarding disabled: HTTP client: {err}");
                return Vec::new();
            }
        };
        self.forwardings
            .iter()
            .map(|forwarding| {
                let (sender, mut receiver) = mpsc::channel::<Vec<Value>>(QUEUE_DEPTH);
                let client = client.clone();
                let url = forwarding.url.clone();
                let forwarding = forwarding.clone();
                tokio::spawn(async move {
                    while let Some(batch) = receiver.recv().await {
                        send(&client, &forwarding, &batch).await;
                    }
                });
                (url, sender)
            })
            .collect()
    }
}

/// Whether an answer is worth another attempt.
fn retryable(status: reqwest::StatusCode) -> bool {
    status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS
}

async fn send(client: &reqwest::Client, forwarding: &XapiForwarding, batch: &[Value]) {
    let body = match serde_json::to_vec(batch) {
        Ok(body) => body,
        Err(err) => {
            tracing::error!(target: "ralph", "xAPI forwarding: {err}");
            return;
        }
    };
    let timeout = Duration::from_secs_f64(forwarding.timeout);
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 0;
    loop {
        let result = client
            .post(&forwarding.url)
            .basic_auth(
                &forwarding.basic_username,
                Some(forwarding.basic_password.expose()),
            )
            .header("content-type", "application/json")
            .header("x-experience-api-version", "1.0.3")
            .timeout(timeout)
            .body(body.clone())
            .send()
            .await;
        let failure = match result {
            Ok(response) if response.status().is_success() => {
                tracing::debug!(
                    target: "ralph",
                    "forwarded {} statements to `{}`",
                    batch.len(),
                    forwarding.url
                );
                return;
            }
            Ok(response) if !retryable(response.status()) => {
                tracing::error!(
                    target: "ralph",
                    "xAPI forwarding to `{}` refused {} statements: {}",
                    forwarding.url,
                    batch.len(),
                    response.status()
                );
                return;
            }
            Ok(response) => response.status().to_string(),
            Err(err) => err.to_string(),
        };
        if attempt >= forwarding.max_retries {
            tracing::error!(
                target: "ralph",
                "xAPI forwarding to `{}` failed after {} attempts, {} statements not forwarded: {failure}",
                forwarding.url,
                attempt + 1,
                batch.len()
            );
            return;
        }
        tracing::warn!(
            target: "ralph",
            "xAPI forwarding to `{}` failed ({failure}); retrying in {backoff:?}",
            forwarding.url
        );
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
        attempt += 1;
    }
}
