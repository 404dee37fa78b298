//! `ralph … -b swift` against the real Swift of `scripts/test-servers/swift.sh`: the seed
//! pipeline of Ralph's docs (Swift → gunzip → GELF → xAPI → Elasticsearch), the older `OS_*` setting names, and wrong credentials.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ralph_backend_swift::{SwiftBackend, SwiftSettings};
use ralph_core::history::History;
use ralph_core::settings::Secret;

use crate::{Sandbox, assert_code, run_with, stderr, stdout};

fn var_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// The Keystone settings of the test server as environment variables, and a fresh container.
struct Keystone {
    env: Vec<(String, String)>,
    container: String,
}

impl Keystone {
    fn connect() -> Option<Self> {
        let url = ralph_testkit::server_url("RALPH_TEST_SWIFT_KEYSTONE_URL")?;
        let user = var_or("RALPH_TEST_SWIFT_KEYSTONE_USERNAME", "ralph");
        let password = var_or("RALPH_TEST_SWIFT_KEYSTONE_PASSWORD", "ralph-pass");
        let project = var_or("RALPH_TEST_SWIFT_KEYSTONE_PROJECT", "ralph");
        let container = ralph_testkit::unique_name("ralph_cli");
        let settings = SwiftSettings {
            auth_url: url.clone(),
            username: Some(user.clone()),
            password: Some(Secret::new(password.clone())),
            tenant_name: Some(project.clone()),
            ..Default::default()
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let backend =
            SwiftBackend::new(settings, History::new(dir.path().join("h.json"))).expect("backend");
        tokio::runtime::Runtime::new()
            .expect("runtime")
            .block_on(backend.create_container(&container))
            .expect("create the container");
        let p = "RALPH_BACKENDS__DATA__SWIFT__";
        let env = vec![
            (format!("{p}AUTH_URL"), url),
            // The older names, as Ralph's docs before 4.0 spell them.
            (format!("{p}OS_USERNAME"), user),
            (format!("{p}OS_PASSWORD"), password),
            (format!("{p}OS_TENANT_NAME"), project),
            (format!("{p}DEFAULT_CONTAINER"), container.clone()),
        ];
        Some(Self { env, container })
    }
}

/// The input events of Ralph 5.1's nine conversions, one line each.
///
/// Only these: Elasticsearch types a field on first sight, and some of the other conversions
/// follow event-routing-backends in giving one extension values of several JSON types (the
/// `ending-point` of navigation is a number or `"next unit"`), which a dynamically mapped index
/// refuses.
fn fixtures() -> Vec<String> {
    const RALPH: [&str; 9] = [
        "EdxCourseEnrollmentActivated",
        "EdxCourseEnrollmentDeactivated",
        "Server",
        "UILoadVideo",
        "UIPageClose",
        "UIPauseVideo",
        "UIPlayVideo",
        "UISeekVideo",
        "UIStopVideo",
    ];
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ralph-convert/fixtures");
    RALPH
        .iter()
        .map(|name| dir.join(format!("{name}.input.json")))
        .map(|p| {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(p).expect("read")).expect("json");
            v.to_string()
        })
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let out = run_with(Command::new("gzip").arg("-c"), data);
    assert!(out.status.success(), "gzip");
    out.stdout
}

#[test]
fn the_seed_pipeline_reads_a_gzip_archive_of_gelf_lines_from_swift() {
    let Some(ks) = Keystone::connect() else {
        return;
    };
    let Some(es) = ralph_testkit::server_url("RALPH_TEST_ES_URL") else {
        return;
    };
    let index = ralph_testkit::unique_name("seed");
    let sb = Sandbox::fresh();
    let events = fixtures();
    // Twenty learners: distinct lines, so distinct statement ids (uuid5 of the line).
    let lines: String = (0..20)
        .flat_map(|learner| events.iter().map(move |event| (learner, event)))
        .map(|(learner, event)| {
            let mut event: serde_json::Value = serde_json::from_str(event).expect("fixture");
            event["username"] = format!("learner{learner}").into();
            let gelf = serde_json::json!({"version": "1.1", "host": "lms", "short_message": event.to_string(), "level": 6});
            format!("{gelf}\n")
        })
        .collect();
    let archive = gzip(lines.as_bytes());
    // Small segments: the archive is stored as a Static Large Object and read back whole.
    let out = run_with(
        sb.ralph()
            .envs(ks.env.iter().cloned())
            .args(["write", "-b", "swift", "--swift-segment-size", "4096"])
            .args(["-t", &format!("{}/archive.gz", ks.container)]),
        &archive,
    );
    assert_code(&out, 0);

    let ralph = env!("CARGO_BIN_EXE_ralph");
    let pipeline = format!(
        "set -o pipefail; {ralph} read -b swift archive.gz | gunzip | {ralph} extract -p gelf \
         | {ralph} convert -f edx -t xapi -p https://lms.example.org \
         | {ralph} write -b es --es-hosts {es} --es-refresh-after-write true -t {index} \
         && {ralph} read -b es --es-hosts {es} -t {index} | {ralph} extract -p es \
         > statements.jsonl"
    );
    let mut shell = Command::new("bash");
    for (key, _) in std::env::vars() {
        if key.starts_with("RALPH_") {
            shell.env_remove(key);
        }
    }
    let out = shell
        .args(["-c", &pipeline])
        .current_dir(sb.dir.path())
        .env("HOME", sb.dir.path())
        .env_remove("XDG_CONFIG_HOME")
        .env("RALPH_APP_DIR", sb.path("app"))
        .env(
            "RALPH_CONVERTER_EDX_XAPI_UUID_NAMESPACE",
            "ee241f8b-174f-5bdb-bae9-c09de5fe017f",
        )
        .envs(ks.env.iter().cloned())
        .stdin(Stdio::null())
        .output()
        .expect("pipeline");
    assert_code(&out, 0);
    // What Elasticsearch stores, read back.
    let statements = std::fs::read_to_string(sb.path("statements.jsonl")).expect("read back");
    let statements: Vec<serde_json::Value> = statements
        .lines()
        .map(|l| serde_json::from_str(l).expect("statement"))
        .collect();
    assert_eq!(statements.len(), 20 * events.len(), "{}", stderr(&out));
    assert!(statements.iter().all(|s| s["verb"]["id"].is_string()));

    // The read is in the history: `list --new` no longer shows the archive.
    let all = stdout(&sb.run_env(&["list", "-b", "swift"], &ks.env));
    assert_eq!(all, "archive.gz\n");
    let new = sb.run_env(&["list", "-b", "swift", "--new"], &ks.env);
    assert_code(&new, 0);
    assert_eq!(stdout(&new), "");
}

#[test]
fn older_flag_names_are_accepted() {
    let Some(ks) = Keystone::connect() else {
        return;
    };
    let sb = Sandbox::fresh();
    let value = |name: &str| {
        ks.env
            .iter()
            .find(|(k, _)| k.ends_with(name))
            .map(|(_, v)| v.clone())
            .expect("setting")
    };
    let out = sb.run(
        &[
            "list",
            "-b",
            "swift",
            "--swift-os-auth-url",
            &value("AUTH_URL"),
            "--swift-os-username",
            &value("OS_USERNAME"),
            "--swift-os-password",
            &value("OS_PASSWORD"),
            "--swift-os-tenant-name",
            &value("OS_TENANT_NAME"),
            "-t",
            &ks.container,
        ],
        b"",
    );
    assert_code(&out, 0);
}

#[test]
fn wrong_credentials_exit_1_at_once_naming_the_backend_and_the_endpoint() {
    let Some(ks) = Keystone::connect() else {
        return;
    };
    let sb = Sandbox::fresh();
    let mut env = ks.env.clone();
    env.push((
        "RALPH_BACKENDS__DATA__SWIFT__OS_PASSWORD".into(),
        "wrong".into(),
    ));
    env.retain(|(k, v)| !(k.ends_with("OS_PASSWORD") && v != "wrong"));
    let started = Instant::now();
    let out = sb.run_env(&["read", "-b", "swift", "archive.gz"], &env);
    assert_code(&out, 1);
    let err = stderr(&out);
    let url = &ks.env[0].1;
    assert!(err.contains("swift: authentication at `"), "{err}");
    assert!(err.contains(url.trim_end_matches('/')), "{err}");
    assert!(err.contains("401"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "no retries: {:?}",
        started.elapsed()
    );
}
