//! Against the Python ralph 5.1's LRS (`ralph runserver -b fs`), started on a fresh directory.
//!
//! `RALPH_TEST_PYTHON_RALPH` names its `ralph` executable (scripts/test-servers/python-ralph.sh
//! installs it with the `lrs` extra). Its fs store accepts one write per directory, so each test
//! starts its own server.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ralph_backend_lrs::{LrsBackend, LrsSettings};
use ralph_core::settings::Secret;
use ralph_core::{BackendStatus, DataBackend, ReadRequest, WriteOptions};

use crate::{COMPLETED, lines, read, write};

/// The Python LRS, killed (with its reloader's children) when dropped.
struct PythonLrs {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl PythonLrs {
    fn start(ralph: &Path) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let auth = dir.path().join("auth.json");
        let status = Command::new(ralph)
            .args(["auth", "-u", "ralph", "-p", "secret", "-s", "all"])
            .args(["-M", "mailto:ralph@example.org", "-w"])
            .env("RALPH_AUTH_FILE", &auth)
            // The command imports the API, whose default store (`es`) is not installed.
            .env("RALPH_RUNSERVER_BACKEND", "fs")
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("ralph auth");
        assert!(status.success(), "ralph auth failed");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let data = dir.path().join("data");
        let mut command = Command::new(ralph);
        command
            .args([
                "runserver",
                "-b",
                "fs",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .arg("--fs-default-directory-path")
            .arg(&data)
            .env("RALPH_AUTH_FILE", &auth)
            .env("RALPH_RUNSERVER_BACKEND", "fs")
            // uvicorn's reloader watches the working directory: keep it small.
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = command.spawn().expect("ralph runserver");
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the Python LRS did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self {
            child,
            port,
            _dir: dir,
        }
    }

    fn backend(&self) -> LrsBackend {
        LrsBackend::new(LrsSettings {
            base_url: format!("http://127.0.0.1:{}", self.port),
            username: "ralph".to_owned(),
            password: Secret::new("secret"),
            ..Default::default()
        })
        .expect("backend")
    }
}

impl Drop for PythonLrs {
    fn drop(&mut self) {
        // SIGTERM to uvicorn's reloader stops its server process too (SIGKILL would not).
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-s", "TERM", &pid]).status();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_lrs_takes_a_write_and_pages_back() {
    let Some(ralph) = ralph_testkit::server_url("RALPH_TEST_PYTHON_RALPH") else {
        return;
    };
    let lrs = PythonLrs::start(Path::new(&ralph));
    let backend = lrs.backend();
    assert_eq!(backend.status().await, BackendStatus::Ok);
    // One POST: its fs store refuses a second write to the same directory.
    let report = write(
        &backend,
        lines(0..120, COMPLETED),
        WriteOptions {
            chunk_size: Some(500),
            ..Default::default()
        },
    )
    .await
    .expect("write");
    assert_eq!(report.written, 120);
    // Pages of 25 with `more` links (and its extra empty last page) until the end.
    let got = read(
        &backend,
        ReadRequest {
            chunk_size: Some(25),
            ..Default::default()
        },
    )
    .await
    .expect("read");
    assert_eq!(got.len(), 120);
    let one = read(
        &backend,
        crate::query(r#"{"statementId": "00000000-0000-4000-8000-000000000042"}"#),
    )
    .await
    .expect("by id");
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["id"], "00000000-0000-4000-8000-000000000042");
}
