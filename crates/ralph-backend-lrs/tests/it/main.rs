//! Integration tests of the `lrs` backend: against our own LRS (`ralph_lrs` on an in-memory
//! SQLite store, served on a loopback socket inside the test), against small HTTP servers that
//! misbehave on purpose, and against the Python ralph's LRS (`RALPH_TEST_PYTHON_RALPH`).

mod ours;
mod python;
mod retries;

use std::net::SocketAddr;
use std::sync::Arc;

use futures::StreamExt;
use ralph_backend_lrs::{LrsBackend, LrsSettings};
use ralph_backend_sqlite::SqliteStore;
use ralph_core::settings::Secret;
use ralph_core::{DataBackend, ReadRequest, Record, Result, WriteOptions, WriteReport};
use ralph_lrs::{LrsConfig, LrsState, Scope, UserCredentials};
use serde_json::{Value, json};

/// The password of every test user.
pub const PASSWORD: &str = "s3cret";

/// Our LRS on a loopback socket, stopped when dropped.
pub struct OurLrs {
    /// Where it listens.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl OurLrs {
    /// Starts an LRS with one user, `alice`, allowed everything.
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let auth_file = dir.path().join("auth.json");
        ralph_lrs::auth::add_user(
            &auth_file,
            UserCredentials {
                agent: json!({"objectType": "Agent", "mbox": "mailto:alice@example.org"}),
                scopes: vec![Scope::All],
                target: None,
                // cost 4: fast tests; the format is the same as cost 12.
                hash: bcrypt::hash(PASSWORD, 4).expect("hash"),
                username: "alice".to_owned(),
            },
        )
        .expect("add user");
        let config = LrsConfig {
            auth_file: Some(auth_file),
            ..LrsConfig::default()
        };
        let store = Arc::new(SqliteStore::in_memory().expect("store"));
        let state = LrsState::new(store, config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(ralph_lrs::serve(listener, state, async move {
            let _ = stopped.await;
        }));
        Self {
            addr,
            stop: Some(stop),
            _dir: dir,
        }
    }

    /// The backend settings that reach this LRS as `alice`.
    pub fn settings(&self) -> LrsSettings {
        LrsSettings {
            base_url: format!("http://{}", self.addr),
            username: "alice".to_owned(),
            password: Secret::new(PASSWORD),
            ..Default::default()
        }
    }

    /// A backend on this LRS.
    pub fn backend(&self) -> LrsBackend {
        LrsBackend::new(self.settings()).expect("backend")
    }
}

impl Drop for OurLrs {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The verb most statements of the tests use.
pub const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";

/// A valid statement `n` with verb `verb`; ids ascend with `n`.
pub fn statement(n: u64, verb: &str) -> Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "actor": {"objectType": "Agent", "mbox": format!("mailto:learner{}@example.org", n % 50)},
        "verb": {"id": verb},
        "object": {"objectType": "Activity", "id": format!("http://example.org/activities/{}", n % 7)},
        "timestamp": "2024-01-15T10:00:00+00:00",
    })
}

/// Statements `range` as JSON lines.
pub fn lines(range: std::ops::Range<u64>, verb: &str) -> String {
    range.map(|n| format!("{}\n", statement(n, verb))).collect()
}

/// Writes `text` with `options`.
pub async fn write(
    backend: &LrsBackend,
    text: impl Into<bytes::Bytes>,
    options: WriteOptions,
) -> Result<WriteReport> {
    backend
        .as_writable()
        .expect("writable")
        .write(ralph_testkit::raw_input(text), options)
        .await
}

/// Reads every statement `query` matches, as JSON.
pub async fn read(backend: &LrsBackend, request: ReadRequest) -> Result<Vec<Value>> {
    let mut stream = backend
        .as_readable()
        .expect("readable")
        .read(request)
        .await?;
    let mut out = Vec::new();
    while let Some(record) = stream.next().await {
        out.push(match record? {
            Record::Json(v) => v,
            Record::Raw(b) => serde_json::from_slice(&b).expect("one JSON line"),
        });
    }
    Ok(out)
}

/// A read request for `query`.
pub fn query(query: &str) -> ReadRequest {
    ReadRequest {
        query: Some(query.to_owned()),
        ..Default::default()
    }
}
