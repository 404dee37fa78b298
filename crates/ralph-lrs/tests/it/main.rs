//! Tests of the LRS: the router driven without a socket (`tower::ServiceExt::oneshot`), and one
//! end-to-end run over a socket.

mod admin;
mod auth;
mod cors;
mod documents;
mod e2e;
mod forwarding;
mod oidc;
mod openapi;
mod partial;
mod statements;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use base64::Engine;
use http_body_util::BodyExt;
use ralph_backend_sqlite::SqliteStore;
use ralph_lrs::{LrsConfig, LrsState, Scope, UserCredentials};
use serde_json::{Value, json};
use tower::ServiceExt;

/// A test LRS on an in-memory SQLite store, with users in a temporary credentials file:
/// `alice` (all scopes), `reader` (statements/read/mine), `writer` (statements/write),
/// `tenant` (all, target `t1`), `admin` (admin/delete only).
pub(crate) struct Lrs {
    pub(crate) app: Router,
    pub(crate) state: Arc<LrsState>,
    _dir: tempfile::TempDir,
}

pub(crate) const PASSWORD: &str = "s3cret";

fn user(name: &str, scopes: &[Scope], target: Option<&str>) -> UserCredentials {
    UserCredentials {
        agent: json!({"objectType": "Agent", "mbox": format!("mailto:{name}@example.org"), "name": name}),
        scopes: scopes.to_vec(),
        target: target.map(str::to_owned),
        // cost 4: fast tests; the format is the same as cost 12.
        hash: bcrypt::hash(PASSWORD, 4).expect("hash"),
        username: name.to_owned(),
    }
}

impl Lrs {
    pub(crate) fn new() -> Self {
        Self::with(|_| {})
    }

    pub(crate) fn with(configure: impl FnOnce(&mut LrsConfig)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let auth_file = dir.path().join("auth.json");
        for u in [
            user("alice", &[Scope::All], None),
            user("reader", &[Scope::StatementsReadMine], None),
            user("writer", &[Scope::StatementsWrite], None),
            user("tenant", &[Scope::All], Some("t1")),
            user("admin", &[Scope::AdminDelete], None),
        ] {
            ralph_lrs::auth::add_user(&auth_file, u).expect("add user");
        }
        let mut config = LrsConfig {
            auth_file: Some(auth_file),
            ..LrsConfig::default()
        };
        configure(&mut config);
        let store = Arc::new(SqliteStore::in_memory().expect("store"));
        let state = LrsState::new(store, config);
        Self {
            app: ralph_lrs::router(state.clone()),
            state,
            _dir: dir,
        }
    }

    /// A request as `alice` with the xAPI version header.
    pub(crate) fn req(&self, method: Method, uri: &str) -> Req<'_> {
        Req {
            lrs: self,
            builder: Request::builder()
                .method(method)
                .uri(uri)
                .header("X-Experience-API-Version", "1.0.3"),
            user: Some("alice"),
            body: Body::empty(),
        }
    }

    pub(crate) fn get(&self, uri: &str) -> Req<'_> {
        self.req(Method::GET, uri)
    }

    pub(crate) fn post(&self, uri: &str, body: &Value) -> Req<'_> {
        self.req(Method::POST, uri).json(body)
    }

    pub(crate) fn put(&self, uri: &str, body: &Value) -> Req<'_> {
        self.req(Method::PUT, uri).json(body)
    }
}

pub(crate) struct Req<'a> {
    lrs: &'a Lrs,
    builder: axum::http::request::Builder,
    user: Option<&'a str>,
    body: Body,
}

pub(crate) struct Res {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) bytes: Vec<u8>,
}

impl Res {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.bytes))
        })
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl<'a> Req<'a> {
    pub(crate) fn json(mut self, body: &Value) -> Self {
        self.builder = self
            .builder
            .header(header::CONTENT_TYPE, "application/json");
        self.body = Body::from(serde_json::to_vec(body).expect("json"));
        self
    }

    pub(crate) fn raw(mut self, content_type: &str, body: impl Into<Body>) -> Self {
        self.builder = self.builder.header(header::CONTENT_TYPE, content_type);
        self.body = body.into();
        self
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    pub(crate) fn by(mut self, user: Option<&'a str>) -> Self {
        self.user = user;
        self
    }

    pub(crate) fn without_version(self) -> Self {
        let Req {
            lrs,
            builder,
            user,
            body,
        } = self;
        let request = builder.body(()).expect("request");
        let (mut parts, ()) = request.into_parts();
        parts.headers.remove("X-Experience-API-Version");
        let mut builder = Request::builder().method(parts.method).uri(parts.uri);
        for (k, v) in &parts.headers {
            builder = builder.header(k, v);
        }
        Req {
            lrs,
            builder,
            user,
            body,
        }
    }

    pub async fn send(self) -> Res {
        let mut builder = self.builder;
        if let Some(user) = self.user {
            let token =
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{PASSWORD}"));
            builder = builder.header(header::AUTHORIZATION, format!("Basic {token}"));
        }
        let request = builder.body(self.body).expect("request");
        let response = self
            .lrs
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Res {
            status,
            headers,
            bytes,
        }
    }
}

/// A valid statement with id `00000000-0000-4000-8000-{n:012}`.
pub(crate) fn statement(n: u64) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "actor": {"objectType": "Agent", "mbox": "mailto:learner@example.org"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed", "fr-FR": "a terminé"}},
        "object": {"objectType": "Activity", "id": "http://example.org/course",
                   "definition": {"name": {"en-US": "Course", "fr-FR": "Cours"}}},
    })
}

pub(crate) fn id(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}
