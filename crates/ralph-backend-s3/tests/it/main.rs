//! Integration tests of the `s3` backend against two real servers: moto_server
//! (`RALPH_TEST_S3_URL`, any key) and s3s-fs (`RALPH_TEST_S3S_URL`, verifies SigV4 signatures
//! with `RALPH_TEST_S3S_ACCESS_KEY_ID` / `RALPH_TEST_S3S_SECRET_ACCESS_KEY`).

mod specifics;
mod suite;

use ralph_backend_s3::{S3Backend, S3Settings};
use ralph_core::history::History;
use ralph_core::settings::Secret;
use ralph_core::{DataBackend, ListEntry, ReadRequest};
use ralph_testkit::{Harness, StoreKind};

/// Which test server.
#[derive(Debug, Clone, Copy)]
pub enum Server {
    /// moto_server: broad API, accepts any credentials.
    Moto,
    /// s3s-fs: files on disk, SigV4 verified.
    S3s,
}

impl Server {
    /// The endpoint and the credentials, or `None` when the test is skipped.
    pub fn endpoint(self) -> Option<(String, String, String)> {
        match self {
            Self::Moto => {
                let url = ralph_testkit::server_url("RALPH_TEST_S3_URL")?;
                Some((url, "testing".into(), "testing".into()))
            }
            Self::S3s => {
                let url = ralph_testkit::server_url("RALPH_TEST_S3S_URL")?;
                let key = std::env::var("RALPH_TEST_S3S_ACCESS_KEY_ID")
                    .unwrap_or_else(|_| "ralph".into());
                let secret = std::env::var("RALPH_TEST_S3S_SECRET_ACCESS_KEY")
                    .unwrap_or_else(|_| "secret-key-123".into());
                Some((url, key, secret))
            }
        }
    }
}

/// A backend on a fresh bucket of a test server, or `None` when the test is skipped.
pub struct S3 {
    /// The backend; its default bucket is `bucket`.
    pub backend: S3Backend,
    /// A bucket no other test uses.
    pub bucket: String,
    /// The history file of this backend (in `_dir`).
    pub history: History,
    _dir: tempfile::TempDir,
}

/// A bucket name no other test uses (lowercase letters, digits and `-`).
pub fn unique_bucket(prefix: &str) -> String {
    ralph_testkit::unique_name(prefix)
        .replace('_', "-")
        .to_lowercase()
}

/// The settings of `server` with `bucket` as the default bucket.
pub fn settings(url: &str, key: &str, secret: &str, bucket: &str) -> S3Settings {
    S3Settings {
        endpoint_url: Some(url.to_owned()),
        access_key_id: Some(key.to_owned()),
        secret_access_key: Some(Secret::new(secret)),
        default_bucket_name: Some(bucket.to_owned()),
        force_path_style: true,
        ..Default::default()
    }
}

impl S3 {
    /// A backend on a new bucket of `server`.
    pub async fn fresh(server: Server) -> Option<Self> {
        let (url, key, secret) = server.endpoint()?;
        let bucket = unique_bucket("ralph");
        let dir = tempfile::tempdir().expect("temporary directory");
        let history = History::new(dir.path().join("history.json"));
        let backend = S3Backend::connect(settings(&url, &key, &secret, &bucket), history.clone())
            .await
            .expect("client");
        backend
            .client()
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("create the test bucket");
        Some(Self {
            backend,
            bucket,
            history,
            _dir: dir,
        })
    }
}

impl Harness for S3 {
    fn backend(&self) -> &dyn DataBackend {
        &self.backend
    }

    fn kind(&self) -> StoreKind {
        StoreKind::Files
    }

    fn new_target(&self) -> String {
        format!(
            "{}/{}.jsonl",
            self.bucket,
            ralph_testkit::unique_name("obj")
        )
    }

    fn read_request(&self, target: &str) -> ReadRequest {
        let (bucket, key) = target.split_once('/').expect("bucket/key");
        ReadRequest {
            target: Some(bucket.to_owned()),
            query: Some(key.to_owned()),
            ..Default::default()
        }
    }

    fn is_listed(&self, target: &str, entry: &ListEntry) -> bool {
        let key = target.split_once('/').map_or(target, |(_, key)| key);
        match entry {
            ListEntry::Id(id) => id == key,
            ListEntry::Details(details) => details["Key"] == key,
        }
    }
}
