//! A small client of the OVH API: signed requests as the `ovh` Python client sends them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ralph_core::{Error, ErrorKind, Result};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::OnceCell;

/// The credentials and endpoint of the OVH API.
#[derive(Debug)]
pub struct OvhClient {
    endpoint: String,
    application_key: String,
    application_secret: ralph_core::settings::Secret,
    consumer_key: ralph_core::settings::Secret,
    http: reqwest::Client,
    /// Server time minus local time, in seconds, asked once (`/auth/time`).
    time_delta: OnceCell<i64>,
}

/// The signature of a request: `$1$` and the SHA-1 of
/// `secret+consumer_key+METHOD+url+body+timestamp` in hexadecimal.
pub fn signature(
    secret: &str,
    consumer_key: &str,
    method: &str,
    url: &str,
    body: &str,
    timestamp: i64,
) -> String {
    let text = format!("{secret}+{consumer_key}+{method}+{url}+{body}+{timestamp}");
    format!("$1${}", sha1_smol::Sha1::from(text.as_bytes()).hexdigest())
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

impl OvhClient {
    /// A client of `endpoint` (a base URL such as `https://eu.api.ovh.com/1.0`).
    pub fn new(
        endpoint: String,
        application_key: String,
        application_secret: ralph_core::settings::Secret,
        consumer_key: ralph_core::settings::Secret,
        timeout: Option<Duration>,
    ) -> Result<Self> {
        let mut builder = reqwest::Client::builder();
        if let Some(timeout) = timeout {
            builder = builder.timeout(timeout);
        }
        let http = builder
            .build()
            .map_err(|err| Error::backend(format!("ldp: cannot build the HTTP client: {err}")))?;
        Ok(Self {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            application_key,
            application_secret,
            consumer_key,
            http,
            time_delta: OnceCell::new(),
        })
    }

    /// The HTTP client, for downloads outside the API (temporary archive URLs).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    async fn time_delta(&self) -> Result<i64> {
        self.time_delta
            .get_or_try_init(|| async {
                let url = format!("{}/auth/time", self.endpoint);
                let response = self
                    .http
                    .get(&url)
                    .send()
                    .await
                    .map_err(|err| unreachable_api("GET", &url, &err))?;
                let status = response.status();
                let text = response
                    .text()
                    .await
                    .map_err(|err| unreachable_api("GET", &url, &err))?;
                let server: i64 = text.trim().parse().map_err(|_| {
                    Error::backend(format!(
                        "ovh api `GET {url}`: {status}: expected the server time, found `{}`",
                        text.trim()
                    ))
                })?;
                Ok(server - unix_now())
            })
            .await
            .copied()
    }

    /// Sends a signed request to `path` (under the endpoint) and decodes the JSON answer.
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value> {
        let url = format!("{}{path}", self.endpoint);
        let timestamp = unix_now() + self.time_delta().await?;
        let body = body.map(Value::to_string).unwrap_or_default();
        let signature = signature(
            self.application_secret.expose(),
            self.consumer_key.expose(),
            method.as_str(),
            &url,
            &body,
            timestamp,
        );
        let mut request = self
            .http
            .request(method.clone(), &url)
            .header("X-Ovh-Application", &self.application_key)
            .header("X-Ovh-Consumer", self.consumer_key.expose())
            .header("X-Ovh-Timestamp", timestamp.to_string())
            .header("X-Ovh-Signature", signature);
        if !body.is_empty() {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let response = request
            .send()
            .await
            .map_err(|err| unreachable_api(method.as_str(), &url, &err))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|err| unreachable_api(method.as_str(), &url, &err))?;
        if !status.is_success() {
            return Err(api_error(method.as_str(), &url, status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|err| {
            Error::backend(format!(
                "ovh api `{method} {url}`: the answer is not JSON: {err}"
            ))
        })
    }
}

fn unreachable_api(method: &str, url: &str, err: &reqwest::Error) -> Error {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    Error::new(
        ErrorKind::Unavailable,
        format!("ovh api `{method} {url}`: {text}"),
    )
}

/// An error answer of the API (`{"errorCode": "...", "message": "..."}`) as a ralph error.
fn api_error(method: &str, url: &str, status: StatusCode, body: &[u8]) -> Error {
    let (code, message) = match serde_json::from_slice::<Value>(body) {
        Ok(value) => (
            value
                .get("errorCode")
                .and_then(Value::as_str)
                .map(str::to_owned),
            value
                .get("message")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| value.to_string()),
        ),
        Err(_) => (None, String::from_utf8_lossy(body).trim().to_owned()),
    };
    let credentials = matches!(
        code.as_deref(),
        Some("INVALID_SIGNATURE" | "INVALID_CREDENTIAL" | "NOT_CREDENTIAL" | "NOT_GRANTED_CALL")
    ) || matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN);
    let kind = if credentials {
        ErrorKind::PermissionDenied
    } else if status == StatusCode::NOT_FOUND {
        ErrorKind::NotFound
    } else if status.is_server_error() {
        ErrorKind::Unavailable
    } else {
        ErrorKind::Backend
    };
    let mut text = format!("ovh api `{method} {url}`: {status}: {message}");
    if let Some(code) = code {
        text.push_str(&format!(" ({code})"));
    }
    if credentials {
        text.push_str(
            "; check `backends.data.ldp.application_key`, `application_secret` and `consumer_key`",
        );
    }
    Error::new(kind, text)
}

#[cfg(test)]
mod tests {
    use super::signature;

    #[test]
    fn the_signature_is_the_ovh_one() {
        // echo -n 'secret+ck+GET+https://eu.api.ovh.com/1.0/me++1700000000' | sha1sum
        assert_eq!(
            signature(
                "secret",
                "ck",
                "GET",
                "https://eu.api.ovh.com/1.0/me",
                "",
                1_700_000_000
            ),
            "$1$90686f23060a2271ec34495af565952380e40fb1"
        );
    }
}
