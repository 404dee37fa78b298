//! End-to-end tests of the `ralph` binary: real processes, real pipes, temporary directories.

mod convert;
mod docs;
mod es;
mod extract;
mod lrs;
mod pipes;
mod postgres;
mod privacy;
mod remote;
mod s3;
mod settings;
mod swift;
mod validate;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A sandbox: an app directory and a data directory, with no `RALPH_` variable inherited.
pub struct Sandbox {
    /// The temporary directory holding everything.
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    /// A fresh sandbox.
    pub fn fresh() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// A path inside the sandbox.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// The `ralph` command, run in the sandbox with its app directory and HOME inside it.
    pub fn ralph(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ralph"));
        for (key, _) in std::env::vars() {
            if key.starts_with("RALPH_") {
                cmd.env_remove(key);
            }
        }
        cmd.current_dir(self.dir.path())
            .env("HOME", self.dir.path())
            .env_remove("XDG_CONFIG_HOME")
            .env("RALPH_APP_DIR", self.path("app"));
        cmd
    }

    /// Runs `ralph ARGS` with `stdin`.
    pub fn run(&self, args: &[&str], stdin: &[u8]) -> Output {
        run_with(self.ralph().args(args), stdin)
    }

    /// Runs `ralph ARGS` with extra environment variables and no input.
    pub fn run_env(&self, args: &[&str], env: &[(String, String)]) -> Output {
        run_with(self.ralph().args(args).envs(env.iter().cloned()), b"")
    }
}

/// Runs a prepared command with `stdin`, collecting its output.
pub fn run_with(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ralph");
    let mut input = child.stdin.take().expect("stdin");
    let data = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().expect("wait");
    writer.join().expect("stdin writer");
    out
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts the exit code, showing stderr when it differs.
pub fn assert_code(out: &Output, code: i32) {
    assert_eq!(out.status.code(), Some(code), "stderr: {}", stderr(out));
}

/// Whether `path` exists.
pub fn exists(path: &Path) -> bool {
    path.exists()
}
