//! A small Swift client: v1 auth (tempauth) and Keystone v3 password authentication, the token
//! kept and renewed, and requests that authenticate again once on a 401.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ralph_core::{Error, ErrorKind, Result};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::settings::{AuthVersion, SwiftSettings};

/// A token is renewed this long before it expires, so a request never starts with a token that
/// dies on the way.
const RENEW_MARGIN: Duration = Duration::from_secs(120);

/// An authenticated session: where the account is and the token that opens it.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) token: String,
    pub(crate) storage_url: String,
    expires: Option<Instant>,
}

/// The HTTP client, the settings and the current session.
#[derive(Debug)]
pub(crate) struct Client {
    http: reqwest::Client,
    settings: SwiftSettings,
    auth: AuthVersion,
    session: Mutex<Option<Session>>,
    authentications: AtomicU64,
}

/// Builds an error naming the backend; `kind` picks what callers can act on.
pub(crate) fn swift_error(kind: ErrorKind, message: impl std::fmt::Display) -> Error {
    Error::new(kind, format!("swift: {message}"))
}

/// The error of a request that got no answer.
pub(crate) fn unreachable(method: &Method, url: &str, err: &reqwest::Error) -> Error {
    let kind = if err.is_connect() || err.is_timeout() {
        ErrorKind::Unavailable
    } else {
        ErrorKind::Backend
    };
    // reqwest's own message repeats the URL; its causes say what happened.
    let cause = std::error::Error::source(err).map_or_else(|| err.to_string(), error_chain);
    swift_error(
        kind,
        format!("{method} `{}` failed: {cause}", strip_query(url)),
    )
}

fn strip_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// The error and its causes on one line (reqwest's top error alone says little).
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// Percent-encodes an object or container name for a URL path, keeping `/`.
pub(crate) fn encode_path(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl Client {
    pub(crate) fn new(settings: SwiftSettings) -> Result<Self> {
        let auth = settings.auth_version()?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|err| {
                swift_error(
                    ErrorKind::Backend,
                    format!("cannot build the HTTP client: {err}"),
                )
            })?;
        Ok(Self {
            http,
            settings,
            auth,
            session: Mutex::new(None),
            authentications: AtomicU64::new(0),
        })
    }

    pub(crate) fn settings(&self) -> &SwiftSettings {
        &self.settings
    }

    /// How many times the client authenticated.
    pub(crate) fn authentications(&self) -> u64 {
        self.authentications.load(Ordering::Relaxed)
    }

    /// The current session, authenticating when there is none or its token is about to expire.
    pub(crate) async fn session(&self) -> Result<Session> {
        let mut guard = self.session.lock().await;
        if let Some(session) = guard.as_ref()
            && session
                .expires
                .is_none_or(|at| at > Instant::now() + RENEW_MARGIN)
        {
            return Ok(session.clone());
        }
        let session = self.authenticate().await?;
        *guard = Some(session.clone());
        Ok(session)
    }

    /// A new session after `stale` was refused, unless another task already renewed it.
    async fn renew(&self, stale: &Session) -> Result<Session> {
        let mut guard = self.session.lock().await;
        if let Some(current) = guard.as_ref()
            && current.token != stale.token
        {
            return Ok(current.clone());
        }
        let session = self.authenticate().await?;
        *guard = Some(session.clone());
        Ok(session)
    }

    /// Replaces the token with one the server refuses (tests of the renewal).
    pub(crate) async fn spoil_token(&self) {
        if let Some(session) = self.session.lock().await.as_mut() {
            session.token = "AUTH_tk_ralph_spoiled".to_owned();
        }
    }

    /// Marks the token as expiring now (tests of the renewal before expiry).
    pub(crate) async fn expire_token(&self) {
        if let Some(session) = self.session.lock().await.as_mut() {
            session.expires = Some(Instant::now());
        }
    }

    /// Sends the request `build` makes for a session; on a 401, authenticates again once and
    /// sends it again. A second 401 is an error: credentials that work for the identity service
    /// but not for the storage are not retried.
    pub(crate) async fn send(
        &self,
        method: Method,
        path: &str,
        build: impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response> {
        let session = self.session().await?;
        let response = self.send_with(&session, &method, path, &build).await?;
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        tracing::debug!(target: "ralph", "swift: token refused, authenticating again");
        let session = self.renew(&session).await?;
        let response = self.send_with(&session, &method, path, &build).await?;
        if response.status() == StatusCode::UNAUTHORIZED {
            return Err(self.refused_by_storage(&session, &method, path));
        }
        Ok(response)
    }

    /// Sends a request once, with the given session (for streamed bodies that cannot be sent
    /// twice); a 401 is an error.
    pub(crate) async fn send_once(
        &self,
        session: &Session,
        method: Method,
        path: &str,
        build: impl FnOnce(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response> {
        let url = format!("{}{path}", session.storage_url);
        let request = build(
            self.http
                .request(method.clone(), &url)
                .header("X-Auth-Token", &session.token),
        );
        let response = request
            .send()
            .await
            .map_err(|err| unreachable(&method, &url, &err))?;
        if response.status() == StatusCode::UNAUTHORIZED {
            return Err(self.refused_by_storage(session, &method, path));
        }
        Ok(response)
    }

    async fn send_with(
        &self,
        session: &Session,
        method: &Method,
        path: &str,
        build: &impl Fn(RequestBuilder) -> RequestBuilder,
    ) -> Result<Response> {
        let url = format!("{}{path}", session.storage_url);
        build(
            self.http
                .request(method.clone(), &url)
                .header("X-Auth-Token", &session.token),
        )
        .send()
        .await
        .map_err(|err| unreachable(method, &url, &err))
    }

    fn refused_by_storage(&self, session: &Session, method: &Method, path: &str) -> Error {
        swift_error(
            ErrorKind::PermissionDenied,
            format!(
                "{method} `{}{}` refused the token (401 Unauthorized) right after authenticating \
                 at `{}`; check the project and the user's roles",
                session.storage_url,
                strip_query(path),
                self.settings.auth_url
            ),
        )
    }

    async fn authenticate(&self) -> Result<Session> {
        self.authentications.fetch_add(1, Ordering::Relaxed);
        let mut session = match self.auth {
            AuthVersion::V1 => self.authenticate_v1().await?,
            AuthVersion::V3 => self.authenticate_v3().await?,
        };
        if let Some(url) = self.settings.object_storage_url.as_deref() {
            session.storage_url = url.to_owned();
        }
        session.storage_url = session.storage_url.trim_end_matches('/').to_owned();
        Ok(session)
    }

    fn credentials(&self) -> Result<(String, &str)> {
        let username = self
            .settings
            .username
            .clone()
            .filter(|u| !u.is_empty())
            .ok_or_else(|| {
                Error::config("setting `backends.data.swift.username` is required to authenticate")
            })?;
        let password = self
            .settings
            .password
            .as_ref()
            .map(|p| p.expose())
            .ok_or_else(|| {
                Error::config("setting `backends.data.swift.password` is required to authenticate")
            })?;
        Ok((username, password))
    }

    /// v1 auth: `GET auth_url` with `X-Auth-User` and `X-Auth-Key`; the storage URL and the
    /// token come back in headers.
    async fn authenticate_v1(&self) -> Result<Session> {
        let (mut user, key) = self.credentials()?;
        if !user.contains(':')
            && let Some(tenant) = self.settings.tenant_name.as_deref()
        {
            user = format!("{tenant}:{user}");
        }
        let url = self.settings.auth_url.clone();
        let response = self
            .http
            .get(&url)
            .header("X-Auth-User", &user)
            .header("X-Auth-Key", key)
            .send()
            .await
            .map_err(|err| unreachable(&Method::GET, &url, &err))?;
        let status = response.status();
        if !status.is_success() {
            return Err(auth_refused(&url, status));
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let token = header("X-Auth-Token").ok_or_else(|| {
            swift_error(
                ErrorKind::Backend,
                format!("`{url}` answered without an `X-Auth-Token` header"),
            )
        })?;
        let storage_url = header("X-Storage-Url")
            .or_else(|| self.settings.object_storage_url.clone())
            .ok_or_else(|| {
                swift_error(
                    ErrorKind::Backend,
                    format!("`{url}` answered without an `X-Storage-Url` header"),
                )
            })?;
        let expires = header("X-Auth-Token-Expires")
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| Instant::now() + Duration::from_secs_f64(s));
        Ok(Session {
            token,
            storage_url,
            expires,
        })
    }

    /// The Keystone v3 tokens URL of `auth_url`: `/v3` is added when the URL does not end with
    /// it, as `python-keystoneclient`'s discovery would find it.
    fn keystone_tokens_url(&self) -> String {
        let base = self.settings.auth_url.trim_end_matches('/');
        if base.ends_with("/v3") {
            format!("{base}/auth/tokens")
        } else {
            format!("{base}/v3/auth/tokens")
        }
    }

    /// Keystone v3 password authentication, scoped to the project; the storage URL is the
    /// `object-store` entry of the catalog.
    async fn authenticate_v3(&self) -> Result<Session> {
        let (user, password) = self.credentials()?;
        let s = &self.settings;
        let scope = match (s.tenant_id.as_deref(), s.tenant_name.as_deref()) {
            (Some(id), _) if !id.is_empty() => json!({"project": {"id": id}}),
            (_, Some(name)) if !name.is_empty() => json!({"project": {
                "name": name, "domain": {"name": s.project_domain_name}}}),
            _ => {
                return Err(Error::config(
                    "Keystone authentication needs a project: set \
                     `backends.data.swift.tenant_name` or `backends.data.swift.tenant_id`",
                ));
            }
        };
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "domain": {"name": s.user_domain_name}, "password": password}}},
            "scope": scope,
        }});
        let url = self.keystone_tokens_url();
        let response = self
            .http
            .post(&url)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .map_err(|err| unreachable(&Method::POST, &url, &err))?;
        let status = response.status();
        if !status.is_success() {
            return Err(auth_refused(&url, status));
        }
        let token = response
            .headers()
            .get("X-Subject-Token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| {
                swift_error(
                    ErrorKind::Backend,
                    format!("`{url}` answered without an `X-Subject-Token` header"),
                )
            })?;
        let bytes = response
            .bytes()
            .await
            .map_err(|err| unreachable(&Method::POST, &url, &err))?;
        let body: Value = serde_json::from_slice(&bytes).map_err(|err| {
            swift_error(
                ErrorKind::Backend,
                format!("`{url}` answered with a body that is not JSON: {err}"),
            )
        })?;
        let expires = body["token"]["expires_at"]
            .as_str()
            .and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok())
            .map(|at| {
                let left = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
                Instant::now() + left.to_std().unwrap_or_default()
            });
        let storage_url = match s.object_storage_url.clone() {
            Some(url) => url,
            None => self.catalog_url(&body["token"]["catalog"], &url)?,
        };
        Ok(Session {
            token,
            storage_url,
            expires,
        })
    }

    fn catalog_url(&self, catalog: &Value, auth_url: &str) -> Result<String> {
        let region = self.settings.region_name.as_deref();
        let endpoints = catalog
            .as_array()
            .into_iter()
            .flatten()
            .filter(|service| service["type"] == "object-store")
            .flat_map(|service| service["endpoints"].as_array().into_iter().flatten());
        let mut found = None;
        for endpoint in endpoints {
            let in_region = region.is_none_or(|r| {
                endpoint["region"].as_str() == Some(r) || endpoint["region_id"].as_str() == Some(r)
            });
            if in_region && endpoint["interface"] == "public" {
                found = endpoint["url"].as_str().map(str::to_owned);
                break;
            }
        }
        found.ok_or_else(|| {
            swift_error(
                ErrorKind::ConfigInvalid,
                format!(
                    "the catalog of `{auth_url}` has no public `object-store` endpoint{}; set \
                     `backends.data.swift.object_storage_url`",
                    region
                        .map(|r| format!(" in region `{r}`"))
                        .unwrap_or_default()
                ),
            )
        })
    }
}

fn auth_refused(url: &str, status: StatusCode) -> Error {
    let kind = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ErrorKind::PermissionDenied,
        s if s.is_server_error() => ErrorKind::Unavailable,
        _ => ErrorKind::Backend,
    };
    let hint = if kind == ErrorKind::PermissionDenied {
        "; check `username`, `password` and the project settings"
    } else {
        ""
    };
    swift_error(
        kind,
        format!("authentication at `{url}` failed: {status}{hint}"),
    )
}

/// Shared handle on a client.
pub(crate) type SharedClient = Arc<Client>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_encoded_but_slashes_kept() {
        assert_eq!(encode_path("a b/c%d.gz"), "a%20b/c%25d.gz");
        assert_eq!(encode_path("é"), "%C3%A9");
    }

    #[test]
    fn keystone_url_gets_v3_once() {
        let mut settings = SwiftSettings {
            auth_url: "https://auth.cloud.ovh.net/".into(),
            ..Default::default()
        };
        let client = Client::new(settings.clone()).expect("client");
        assert_eq!(
            client.keystone_tokens_url(),
            "https://auth.cloud.ovh.net/v3/auth/tokens"
        );
        settings.auth_url = "http://127.0.0.1:5000/v3/".into();
        let client = Client::new(settings).expect("client");
        assert_eq!(
            client.keystone_tokens_url(),
            "http://127.0.0.1:5000/v3/auth/tokens"
        );
    }
}
