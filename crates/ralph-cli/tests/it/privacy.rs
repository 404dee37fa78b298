//! `ralph lrs delete|purge|pseudonymize` against a sqlite store file.

use ralph_backend_sqlite::SqliteStore;
use ralph_core::lrs::{Ifi, LrsStore, Pseudonymizer};
use ralph_testkit::lrs::{id, statement};
use serde_json::{Value, json};

use crate::{Sandbox, assert_code, stderr, stdout};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A sqlite store file with statements 1 and 2 by alice (1 stored in 2020, the others now)
/// and 3 by bob.
fn seeded(sandbox: &Sandbox) -> String {
    let path = sandbox.path("lrs.sqlite3");
    let store = SqliteStore::open(&path, 0, 5000).expect("open");
    let mut old = statement(1, "alice", "completed", "course");
    old["stored"] = json!("2020-01-01T00:00:00+00:00");
    let recent = |mut s: Value| {
        s["stored"] = json!(chrono::Utc::now().to_rfc3339());
        s
    };
    runtime().block_on(async {
        store
            .insert(
                None,
                vec![
                    old,
                    recent(statement(2, "alice", "failed", "quiz")),
                    recent(statement(3, "bob", "completed", "course")),
                ],
            )
            .await
            .expect("insert");
    });
    path.display().to_string()
}

fn present(path: &str) -> Vec<u64> {
    let store = SqliteStore::open(path, 0, 5000).expect("open");
    runtime().block_on(async {
        let mut out = Vec::new();
        for n in 1..=3 {
            if store.get(None, &id(n)).await.expect("get").is_some() {
                out.push(n);
            }
        }
        out
    })
}

fn report(out: &std::process::Output) -> Value {
    serde_json::from_str(stdout(out).trim()).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

const ALICE: &str = r#"{"mbox":"mailto:alice@example.org"}"#;

#[test]
fn delete_dry_runs_then_deletes_and_logs_without_the_agent() {
    let sandbox = Sandbox::fresh();
    let path = seeded(&sandbox);
    let base = ["lrs", "delete", "-b", "sqlite", "--sqlite-path", &path];
    let out = sandbox.run(&[&base[..], &["--agent", ALICE, "--dry-run"]].concat(), b"");
    assert_code(&out, 0);
    assert_eq!(report(&out), json!({"matched": 2, "deleted": 0}));
    assert_eq!(present(&path), [1, 2, 3]);
    let log = stderr(&out);
    assert!(log.contains("statements deleted"), "{log}");
    assert!(!log.contains("alice"), "the agent is not logged: {log}");

    let out = sandbox.run(
        &[
            &base[..],
            &[
                "--agent",
                ALICE,
                "--verb",
                "http://example.org/verbs/failed",
            ],
        ]
        .concat(),
        b"",
    );
    assert_code(&out, 0);
    assert_eq!(report(&out), json!({"matched": 1, "deleted": 1}));
    assert_eq!(present(&path), [1, 3]);

    let out = sandbox.run(
        &[&base[..], &["--agent", ALICE, "--documents"]].concat(),
        b"",
    );
    assert_code(&out, 0);
    assert_eq!(
        report(&out),
        json!({"matched": 1, "deleted": 1, "documents": 0})
    );
    assert_eq!(present(&path), [3]);
}

#[test]
fn bad_delete_filters_are_refused() {
    let sandbox = Sandbox::fresh();
    let path = seeded(&sandbox);
    for extra in [
        &[][..],
        &["--dry-run"][..],
        &["--agent", "{not json"][..],
        &["--agent", r#"{"name": "x"}"#][..],
        &["--since", "yesterday"][..],
        &["--verb", "http://example.org/v", "--documents"][..],
    ] {
        let args = [
            &["lrs", "delete", "-b", "sqlite", "--sqlite-path", &path][..],
            extra,
        ]
        .concat();
        let out = sandbox.run(&args, b"");
        assert_ne!(out.status.code(), Some(0), "{extra:?}");
        assert!(stderr(&out).starts_with("error:"), "{}", stderr(&out));
    }
    assert_eq!(present(&path), [1, 2, 3]);
}

#[test]
fn purge_deletes_what_is_older_than_the_age() {
    let sandbox = Sandbox::fresh();
    let path = seeded(&sandbox);
    let base = [
        "lrs",
        "purge",
        "-b",
        "sqlite",
        "--sqlite-path",
        &path,
        "--older-than",
    ];
    let out = sandbox.run(&[&base[..], &["365d", "--dry-run"]].concat(), b"");
    assert_code(&out, 0);
    assert_eq!(report(&out), json!({"matched": 1, "deleted": 0}));
    assert!(stderr(&out).contains("retention purge"), "{}", stderr(&out));
    let out = sandbox.run(&[&base[..], &["365d"]].concat(), b"");
    assert_eq!(report(&out), json!({"matched": 1, "deleted": 1}));
    assert_eq!(present(&path), [2, 3]);
    let out = sandbox.run(&[&base[..], &["5y"]].concat(), b"");
    assert_code(&out, 2);
}

#[test]
fn pseudonymize_needs_the_key_and_is_stable() {
    let sandbox = Sandbox::fresh();
    let path = seeded(&sandbox);
    let args = [
        "lrs",
        "pseudonymize",
        "-b",
        "sqlite",
        "--sqlite-path",
        &path,
        "--agent",
        ALICE,
    ];
    let out = sandbox.run(&args, b"");
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("RALPH_LRS_PSEUDONYM_KEY"),
        "{}",
        stderr(&out)
    );

    let run = |dry: bool| {
        let mut cmd = sandbox.ralph();
        cmd.args(args)
            .env("RALPH_LRS_PSEUDONYM_KEY", "k")
            .env("RALPH_LRS_PSEUDONYM_HOMEPAGE", "https://lrs.example.org/p");
        if dry {
            cmd.arg("--dry-run");
        }
        crate::run_with(&mut cmd, b"")
    };
    let expected = Pseudonymizer::new("k", "https://lrs.example.org/p")
        .expect("p")
        .pseudonym(&Ifi::Mbox("mailto:alice@example.org".into()));
    let out = run(true);
    assert_code(&out, 0);
    assert_eq!(
        report(&out),
        json!({"matched": 2, "pseudonymized": 0, "pseudonym": expected.to_json()})
    );
    let out = run(false);
    assert_eq!(report(&out)["pseudonymized"], 2);
    assert_eq!(report(&run(false))["matched"], 0, "done");
    let store = SqliteStore::open(&path, 0, 5000).expect("open");
    let found = runtime()
        .block_on(store.get(None, &id(2)))
        .expect("get")
        .expect("kept");
    assert_eq!(
        found.statement["actor"]["account"],
        expected.to_json()["account"]
    );
}
