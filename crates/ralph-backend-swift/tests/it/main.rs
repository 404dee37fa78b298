//! Integration tests of the `swift` backend against a real Swift, with tempauth
//! (`RALPH_TEST_SWIFT_URL`) and with Keystone v3 (`RALPH_TEST_SWIFT_KEYSTONE_URL`); both are
//! started by `scripts/test-servers/swift.sh`.

mod specifics;
mod suite;

use ralph_backend_swift::{SwiftBackend, SwiftSettings};
use ralph_core::history::History;
use ralph_core::settings::Secret;
use ralph_core::{DataBackend, ListEntry, ReadRequest};
use ralph_testkit::{Harness, StoreKind};

/// How the test server is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Swift's tempauth (v1 auth) on 8080.
    TempAuth,
    /// Keystone v3 on 5000, the proxy on 8081.
    Keystone,
}

fn var_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// The settings of the test server for `auth`, or `None` when the test is skipped.
pub fn settings(auth: Auth) -> Option<SwiftSettings> {
    Some(match auth {
        Auth::TempAuth => SwiftSettings {
            auth_url: ralph_testkit::server_url("RALPH_TEST_SWIFT_URL")?,
            identity_api_version: "1".into(),
            username: Some(var_or("RALPH_TEST_SWIFT_USERNAME", "test:tester")),
            password: Some(Secret::new(var_or("RALPH_TEST_SWIFT_PASSWORD", "testing"))),
            ..Default::default()
        },
        Auth::Keystone => SwiftSettings {
            auth_url: ralph_testkit::server_url("RALPH_TEST_SWIFT_KEYSTONE_URL")?,
            username: Some(var_or("RALPH_TEST_SWIFT_KEYSTONE_USERNAME", "ralph")),
            password: Some(Secret::new(var_or(
                "RALPH_TEST_SWIFT_KEYSTONE_PASSWORD",
                "ralph-pass",
            ))),
            tenant_name: Some(var_or("RALPH_TEST_SWIFT_KEYSTONE_PROJECT", "ralph")),
            ..Default::default()
        },
    })
}

/// A backend on the test server with a container of its own, or `None` when skipped.
pub struct Swift {
    /// The backend.
    pub backend: SwiftBackend,
    /// Its default container.
    pub container: String,
    /// The history file's directory.
    pub dir: tempfile::TempDir,
}

impl Swift {
    /// Connects with `auth` and creates a fresh default container.
    pub async fn connect(auth: Auth) -> Option<Self> {
        Self::with(auth, |_| {}).await
    }

    /// Connects with settings changed by `change`.
    pub async fn with(auth: Auth, change: impl FnOnce(&mut SwiftSettings)) -> Option<Self> {
        let mut settings = settings(auth)?;
        let container = unique("ctn");
        settings.default_container = Some(container.clone());
        change(&mut settings);
        let dir = tempfile::tempdir().expect("tempdir");
        let backend = SwiftBackend::new(settings, History::new(dir.path().join("history.json")))
            .expect("backend");
        backend
            .create_container(&container)
            .await
            .expect("create the test container");
        Some(Self {
            backend,
            container,
            dir,
        })
    }
}

/// A name no other test uses.
pub fn unique(prefix: &str) -> String {
    ralph_testkit::unique_name(&format!("ralph_test_{prefix}"))
}

impl Harness for Swift {
    fn backend(&self) -> &dyn DataBackend {
        &self.backend
    }

    fn kind(&self) -> StoreKind {
        StoreKind::Files
    }

    fn new_target(&self) -> String {
        format!("{}/{}.jsonl", self.container, unique("obj"))
    }

    fn read_request(&self, target: &str) -> ReadRequest {
        let (container, object) = target.split_once('/').expect("container/object");
        ReadRequest {
            target: Some(container.to_owned()),
            query: Some(object.to_owned()),
            ..Default::default()
        }
    }

    fn is_listed(&self, target: &str, entry: &ListEntry) -> bool {
        let object = target.split_once('/').map_or(target, |(_, o)| o);
        matches!(entry, ListEntry::Id(id) if id == object)
    }
}
