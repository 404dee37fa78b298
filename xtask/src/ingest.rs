//! `cargo xtask bench lrs-ingest`: one client backfilling an LRS in large batches, then
//! filtered reads, on every store that runs here and on other LRSs, in one table.
//!
//! For each LRS: start it on a free loopback port, POST `--statements` statements (the load of
//! `bench lrs`: 1,000 learners, 4 verbs, 100 activities) in `--batch` statements per request from
//! one connection, then GET pages of 100 by `agent`, `verb`, `activity` and `since` (ascending,
//! as a client syncing from a point in time does): `--queries` requests per filter, a fifth of
//! them first pages of distinct values, each followed by the next four pages through `more`.
//!
//! The LRSs: `ralph runserver` (the release build) on sqlite (always), postgres, clickhouse,
//! mongo and es (when their `RALPH_TEST_*_URL` is set, see scripts/test-servers/up.sh); the
//! Python ralph 5.1 on ClickHouse (`--python-ralph BIN`, the `ralph` of a venv with
//! `ralph-malph[cli,lrs,backend-clickhouse]==5.1.0`; `--python-statements` of them); xapi-rs on
//! the same PostgreSQL (`--xapi-rs BIN`). An LRS that cannot run gets a row saying why.
//!
//! The statement ids follow the load order, which is the cheapest for a store's id index;
//! `--random-ids` gives ids that look random, as the version 4 UUIDs of most real statements.

use std::io::Write as _;
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};

use crate::bench::{
    Http, PASSWORD, USER, build_release, percentile, statement_as, statement_id, write_credentials,
};

/// Options of the ingest benchmark.
pub struct IngestBench {
    /// Statements POSTed to each LRS.
    pub statements: usize,
    /// Statements POSTed to the Python ralph (slower).
    pub python_statements: usize,
    /// Statements per POST.
    pub batch: usize,
    /// GET requests per filter.
    pub queries: usize,
    /// Only these rows (`sqlite`, `postgres`, `clickhouse`, `mongo`, `es`, `python-ralph`,
    /// `xapi-rs`); all when empty.
    pub only: Vec<String>,
    /// The `ralph` of a Python ralph 5.1 venv with the `lrs` and `backend-clickhouse` extras.
    pub python_ralph: Option<PathBuf>,
    /// The xapi-rs server binary.
    pub xapi_rs: Option<PathBuf>,
    /// Skip `cargo build --release -p ralph-cli` (use the binary there).
    pub no_build: bool,
    /// Statement ids that look random (version 4 UUIDs, as most real statements have)
    /// instead of ids in load order.
    pub random_ids: bool,
}

const XAPI: &str = "/xAPI/statements";
const FILTERS: [&str; 4] = ["agent", "verb", "activity", "since"];

/// A server process group started by the benchmark, stopped (the whole group: uvicorn's
/// reloader has children) when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let pid = self.0.id().to_string();
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.wait();
    }
}

fn spawn(mut command: Command, log: &Path) -> anyhow::Result<Server> {
    let log = std::fs::File::create(log)?;
    let child = command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {command:?}"))?;
    Ok(Server(child))
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `port` answers an authenticated GET (the LRS is up, its store reachable).
fn wait_ready(
    port: u16,
    version: &'static str,
    base: &str,
    server: &mut Server,
    log: &Path,
) -> anyhow::Result<()> {
    let credentials = (USER.to_owned(), PASSWORD.to_owned());
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = server.0.try_wait() {
            bail!("exited ({status}): {}", tail(log));
        }
        if let Ok(mut http) = Http::connect(port, &credentials) {
            http.version = version;
            if let Ok((200, _)) = http.request("GET", &format!("{base}?limit=1"), b"") {
                return Ok(());
            }
        }
        if started.elapsed() > Duration::from_secs(120) {
            bail!("not ready after 120 s: {}", tail(log));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(3).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" / ")
}

/// RFC 3339 UTC with microseconds, from the system clock.
fn now_rfc3339() -> String {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rest / 3600,
        (rest / 60) % 60,
        rest % 60,
        since.subsec_micros()
    )
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What one LRS did.
struct Row {
    name: String,
    statements: usize,
    outcome: Result<Measures, String>,
}

struct Measures {
    rate: f64,
    /// Per filter: p50, p99, requests, statements read.
    reads: Vec<Result<(Duration, Duration, usize, usize), String>>,
}

/// POSTs the load, then reads; returns the measures.
fn measure(
    port: u16,
    version: &'static str,
    base: &str,
    statements: usize,
    options: &IngestBench,
    zoneless_since: bool,
) -> anyhow::Result<Measures> {
    let credentials = (USER.to_owned(), PASSWORD.to_owned());
    let mut http = Http::connect(port, &credentials)?;
    http.version = version;
    let batches = statements.div_ceil(options.batch);
    let mut checkpoints = Vec::with_capacity(batches);
    // The next batch is written while the LRS stores the one before, as a loader reading
    // its next batch from a file would.
    let size = options.batch;
    let random_ids = options.random_ids;
    let (sender, bodies) = std::sync::mpsc::sync_channel(1);
    let begin = Instant::now();
    let writer = std::thread::spawn(move || {
        for b in 0..batches {
            let range = b * size..((b + 1) * size).min(statements);
            let mut body = String::with_capacity(range.len() * 420 + 2);
            body.push('[');
            for n in range {
                if body.len() > 1 {
                    body.push(',');
                }
                body.push_str(&statement_as(n, &statement_id(n, random_ids)));
            }
            body.push(']');
            if sender.send(body).is_err() {
                break;
            }
        }
    });
    for b in 0..batches {
        let body = bodies.recv().context("the batch writer stopped")?;
        checkpoints.push(now_rfc3339());
        let (status, text) = http.request("POST", base, body.as_bytes())?;
        if status != 200 {
            bail!(
                "POST of batch {b} answered {status}: {}",
                String::from_utf8_lossy(&text[..text.len().min(300)])
            );
        }
        if b % 10 == 9 {
            eprint!(".");
        }
    }
    let elapsed = begin.elapsed();
    eprintln!();
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("the batch writer panicked"))?;
    let rate = statements as f64 / elapsed.as_secs_f64();

    let values = options.queries.div_ceil(5).max(1);
    let mut reads = Vec::new();
    for filter in FILTERS {
        let mut latencies = Vec::new();
        let mut read = 0;
        let mut failure = None;
        'values: for v in 0..values {
            let first = match filter {
                "agent" => {
                    let learner = v * 997 % 1000.min(statements.max(1));
                    let agent = format!(
                        r#"{{"account":{{"homePage":"https://lms.example.org","name":"learner-{learner}"}}}}"#
                    );
                    format!("{base}?limit=100&agent={}", encode(&agent))
                }
                "verb" => format!(
                    "{base}?limit=100&verb={}",
                    encode(&format!(
                        "http://adlnet.gov/expapi/verbs/{}",
                        ["experienced", "completed", "answered", "attempted"][v % 4]
                    ))
                ),
                "activity" => {
                    let n = v * 37 % 100;
                    format!(
                        "{base}?limit=100&activity={}",
                        encode(&format!(
                            "https://lms.example.org/courses/c{}/unit{}",
                            n % 20,
                            n % 50
                        ))
                    )
                }
                _ => {
                    // From a point spread over the load, oldest first.
                    let at =
                        &checkpoints[(v * checkpoints.len() / values).min(checkpoints.len() - 1)];
                    let at = if zoneless_since {
                        at.trim_end_matches('Z')
                    } else {
                        at
                    };
                    format!("{base}?limit=100&ascending=true&since={}", encode(at))
                }
            };
            let mut path = first;
            for _ in 0..5 {
                let t = Instant::now();
                let (status, body) = http.request("GET", &path, b"")?;
                latencies.push(t.elapsed());
                if status != 200 {
                    failure = Some(format!(
                        "GET answered {status}: {}",
                        String::from_utf8_lossy(&body[..body.len().min(120)])
                    ));
                    eprintln!("GET {path} answered {status}");
                    break 'values;
                }
                let page: serde_json::Value = serde_json::from_slice(&body)
                    .with_context(|| format!("GET {path}: not JSON"))?;
                read += page["statements"].as_array().map_or(0, Vec::len);
                match page["more"].as_str() {
                    Some(more) if !more.is_empty() => {
                        // Absolute links (xapi-rs) keep only their path.
                        path = match more.split_once("://") {
                            Some((_, rest)) => {
                                rest.find('/').map_or("/", |i| &rest[i..]).to_owned()
                            }
                            None => more.to_owned(),
                        };
                    }
                    _ => break,
                }
            }
        }
        latencies.sort();
        reads.push(match failure {
            Some(why) => Err(why),
            None => Ok((
                percentile(&latencies, 0.5),
                percentile(&latencies, 0.99),
                latencies.len(),
                read,
            )),
        });
    }
    Ok(Measures { rate, reads })
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

fn print_table(rows: &[Row], options: &IngestBench) {
    println!();
    println!(
        "one client, POST batches of {}, GET pages of 100 (p50 / p99 ms over {} requests per filter; `since` ascending)",
        options.batch,
        options.queries.div_ceil(5).max(1) * 5
    );
    println!();
    println!("| LRS / store | statements | statements/s | agent | verb | activity | since |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        println!("{}", row_line(row));
    }
}

/// The table line of `row`.
fn row_line(row: &Row) -> String {
    match &row.outcome {
        Ok(m) => {
            let reads: Vec<String> = m
                .reads
                .iter()
                .map(|read| match read {
                    Ok((p50, p99, _, 0)) => format!("{} / {} (none found)", ms(*p50), ms(*p99)),
                    Ok((p50, p99, _, _)) => format!("{} / {}", ms(*p50), ms(*p99)),
                    Err(why) => why.clone(),
                })
                .collect();
            format!(
                "| {} | {} | {:.0} | {} |",
                row.name,
                row.statements,
                m.rate,
                reads.join(" | ")
            )
        }
        Err(why) => format!("| {} | {} | – | {why} | | | |", row.name, row.statements),
    }
}

/// A run of `ralph runserver -b <backend>` with `env`, then `cleanup`.
struct RalphRun {
    name: &'static str,
    backend: &'static str,
    args: Vec<String>,
    env: Vec<(String, String)>,
    cleanup: Option<Box<dyn FnOnce()>>,
}

fn wanted(options: &IngestBench, name: &str) -> bool {
    options.only.is_empty() || options.only.iter().any(|o| o == name)
}

fn env_url(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.is_empty())
}

/// `(host, port)` of an `http://host:port` URL.
fn host_port(url: &str) -> Option<(String, u16)> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = authority.rsplit_once(':')?;
    Some((host.to_owned(), port.parse().ok()?))
}

/// One request to an HTTP server without credentials (ClickHouse, Elasticsearch admin calls).
fn plain_request(url: &str, method: &str, path: &str, body: &str) -> anyhow::Result<String> {
    use std::io::Read as _;
    let (host, port) = host_port(url).context("no host:port in the URL")?;
    let mut stream = std::net::TcpStream::connect((host.as_str(), port))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

fn ralph_runs(dir: &Path) -> Vec<RalphRun> {
    let pid = std::process::id();
    let mut runs = vec![RalphRun {
        name: "ralph / sqlite",
        backend: "sqlite",
        args: vec![
            "--sqlite-path".into(),
            dir.join("lrs.sqlite3").display().to_string(),
        ],
        env: Vec::new(),
        cleanup: None,
    }];
    if let Some(url) = env_url("RALPH_TEST_POSTGRES_URL") {
        let prefix = format!("bench{pid}_");
        let drop_url = url.clone();
        runs.push(RalphRun {
            name: "ralph / postgres",
            backend: "postgres",
            args: Vec::new(),
            env: vec![
                (
                    "RALPH_BACKENDS__LRS__POSTGRES__CONNECTION_STRING".into(),
                    url,
                ),
                (
                    "RALPH_BACKENDS__LRS__POSTGRES__TABLE_PREFIX".into(),
                    prefix.clone(),
                ),
            ],
            cleanup: Some(Box::new(move || {
                let tables: Vec<String> = [
                    "statement_activities",
                    "statement_agents",
                    "statements",
                    "documents",
                    "attachments",
                ]
                .iter()
                .map(|t| format!("{prefix}{t}"))
                .collect();
                let _ = Command::new("psql")
                    .args([
                        &drop_url,
                        "-q",
                        "-c",
                        &format!("DROP TABLE IF EXISTS {}", tables.join(", ")),
                    ])
                    .stdout(Stdio::null())
                    .status();
            })),
        });
    }
    if let Some(url) = env_url("RALPH_TEST_CLICKHOUSE_URL")
        && let Some((host, port)) = host_port(&url)
    {
        let database = format!("bench{pid}");
        runs.push(RalphRun {
            name: "ralph / clickhouse",
            backend: "clickhouse",
            args: Vec::new(),
            env: vec![
                ("RALPH_BACKENDS__LRS__CLICKHOUSE__HOST".into(), host),
                (
                    "RALPH_BACKENDS__LRS__CLICKHOUSE__PORT".into(),
                    port.to_string(),
                ),
                (
                    "RALPH_BACKENDS__LRS__CLICKHOUSE__DATABASE".into(),
                    database.clone(),
                ),
            ],
            cleanup: Some(Box::new(move || {
                let _ = plain_request(
                    &url,
                    "POST",
                    "/",
                    &format!("DROP DATABASE IF EXISTS `{database}`"),
                );
            })),
        });
    }
    if let Some(url) = env_url("RALPH_TEST_MONGO_URL") {
        runs.push(RalphRun {
            name: "ralph / mongo",
            backend: "mongo",
            args: Vec::new(),
            env: vec![
                ("RALPH_BACKENDS__LRS__MONGO__CONNECTION_URI".into(), url),
                (
                    "RALPH_BACKENDS__LRS__MONGO__DEFAULT_DATABASE".into(),
                    format!("bench{pid}"),
                ),
            ],
            cleanup: None,
        });
    }
    if let Some(url) = env_url("RALPH_TEST_ES_URL") {
        let index = format!("bench-{pid}");
        runs.push(RalphRun {
            name: "ralph / es",
            backend: "es",
            args: Vec::new(),
            env: vec![
                ("RALPH_BACKENDS__LRS__ES__HOSTS".into(), url.clone()),
                (
                    "RALPH_BACKENDS__LRS__ES__DEFAULT_INDEX".into(),
                    index.clone(),
                ),
            ],
            cleanup: Some(Box::new(move || {
                for suffix in ["", "-documents", "-attachments"] {
                    let _ = plain_request(&url, "DELETE", &format!("/{index}{suffix}"), "");
                }
            })),
        });
    }
    runs
}

/// Runs the ingest benchmark and prints the table.
pub fn run(root: &Path, options: &IngestBench) -> anyhow::Result<()> {
    let ralph = if options.no_build {
        root.join("target/release/ralph")
    } else {
        build_release(root)?
    };
    let dir = std::env::temp_dir().join(format!("ralph-ingest-{}", std::process::id()));
    write_credentials(&ralph, &dir)?;
    let mut rows = Vec::new();
    for run in ralph_runs(&dir) {
        if !wanted(options, run.backend) {
            continue;
        }
        eprintln!("{}: {} statements", run.name, options.statements);
        let outcome = (|| -> anyhow::Result<Measures> {
            let port = free_port()?;
            let log = dir.join(format!("{}.log", run.backend));
            let mut command = Command::new(&ralph);
            command
                .args([
                    "-v",
                    "WARNING",
                    "runserver",
                    "-b",
                    run.backend,
                    "-h",
                    "127.0.0.1",
                ])
                .args(["-p", &port.to_string()])
                .args(&run.args)
                .env("RALPH_APP_DIR", &dir)
                .envs(run.env.iter().map(|(k, v)| (k, v)));
            let mut server = spawn(command, &log)?;
            wait_ready(port, "1.0.3", XAPI, &mut server, &log)?;
            let measures = measure(port, "1.0.3", XAPI, options.statements, options, false);
            if run.backend == "sqlite" {
                let size = std::fs::metadata(dir.join("lrs.sqlite3")).map_or(0, |m| m.len());
                eprintln!("sqlite database: {} MB", size / 1_000_000);
            }
            measures
        })();
        if let Some(cleanup) = run.cleanup {
            cleanup();
        }
        let row = Row {
            name: run.name.to_owned(),
            statements: options.statements,
            outcome: outcome.map_err(|e| format!("{e:#}")),
        };
        eprintln!("{}", row_line(&row));
        rows.push(row);
    }
    if wanted(options, "python-ralph") {
        let row = python_ralph(&dir, options);
        eprintln!("{}", row_line(&row));
        rows.push(row);
    }
    if wanted(options, "xapi-rs") {
        let row = xapi_rs(&dir, options);
        eprintln!("{}", row_line(&row));
        rows.push(row);
    }
    let _ = std::fs::remove_dir_all(&dir);
    print_table(&rows, options);
    Ok(())
}

/// The Python ralph 5.1 LRS on ClickHouse (Ralph's table layout, created here). Its `since`
/// is sent without time zone (UTC): Ralph hands the text to ClickHouse as a `DateTime64(6)`
/// parameter, which fails (500) on `Z` or `+00:00`.
fn python_ralph(dir: &Path, options: &IngestBench) -> Row {
    let statements = options.python_statements;
    let name = "Python ralph 5.1 / clickhouse (`since` without zone)".to_owned();
    let outcome = (|| -> anyhow::Result<Measures> {
        let bin = options.python_ralph.clone().context(
            "no --python-ralph BIN (a venv with ralph-malph[cli,lrs,backend-clickhouse]==5.1.0)",
        )?;
        let url =
            env_url("RALPH_TEST_CLICKHOUSE_URL").context("RALPH_TEST_CLICKHOUSE_URL is not set")?;
        let (host, port) = host_port(&url).context("RALPH_TEST_CLICKHOUSE_URL has no host:port")?;
        let database = format!("benchpy{}", std::process::id());
        for sql in [
            format!("CREATE DATABASE IF NOT EXISTS `{database}`"),
            format!(
                "CREATE TABLE `{database}`.xapi_events_all (event_id UUID NOT NULL, \
                 emission_time DateTime64(6) NOT NULL, event String NOT NULL) \
                 ENGINE = MergeTree ORDER BY (emission_time, event_id)"
            ),
        ] {
            let answer = plain_request(&url, "POST", "/", &sql)?;
            if !answer.starts_with("HTTP/1.1 200") && !answer.starts_with("HTTP/1.0 200") {
                bail!("clickhouse: {}", answer.lines().last().unwrap_or_default());
            }
        }
        eprintln!("{name}: {statements} statements");
        let lrs_port = free_port()?;
        let log = dir.join("python-ralph.log");
        let work = dir.join("python-ralph");
        std::fs::create_dir_all(&work)?;
        let mut command = Command::new(&bin);
        command
            .current_dir(&work)
            .args(["runserver", "-b", "clickhouse", "-h", "127.0.0.1"])
            .args(["-p", &lrs_port.to_string()])
            .args([
                "--clickhouse-host",
                &host,
                "--clickhouse-port",
                &port.to_string(),
            ])
            .args(["--clickhouse-database", &database])
            // Ralph asks for the stored ids of a batch in the URL, 10,000 at a time by
            // default: too long a request line for the chDB front end of the test server.
            .args(["--clickhouse-ids-chunk-size", "1000"])
            .env("RALPH_APP_DIR", dir)
            .env("RALPH_AUTH_FILE", dir.join("auth.json"));
        let mut server = spawn(command, &log)?;
        let result = wait_ready(lrs_port, "1.0.3", XAPI, &mut server, &log)
            .and_then(|()| measure(lrs_port, "1.0.3", XAPI, statements, options, true));
        drop(server);
        let _ = plain_request(
            &url,
            "POST",
            "/",
            &format!("DROP DATABASE IF EXISTS `{database}`"),
        );
        result
    })();
    Row {
        name,
        statements,
        outcome: outcome.map_err(|e| format!("{e:#}")),
    }
}

/// xapi-rs on the PostgreSQL of `RALPH_TEST_POSTGRES_URL`, in a database of its own, in its
/// `legacy` mode (no authentication), Rocket's JSON limit raised for 10,000-statement batches.
fn xapi_rs(dir: &Path, options: &IngestBench) -> Row {
    let name = "xapi-rs 0.2.0 / postgres".to_owned();
    let outcome = (|| -> anyhow::Result<Measures> {
        let bin = options.xapi_rs.clone().context("no --xapi-rs BIN")?;
        let url =
            env_url("RALPH_TEST_POSTGRES_URL").context("RALPH_TEST_POSTGRES_URL is not set")?;
        // The server URL without the database: xapi-rs appends its own.
        let server_url = match url.rsplit_once('/') {
            Some((server, _)) if server.contains("://") && !server.ends_with('/') => {
                server.to_owned()
            }
            _ => url.clone(),
        };
        let database = format!("xapibench{}", std::process::id());
        let psql = |sql: &str| {
            Command::new("psql")
                .args([url.as_str(), "-q", "-c", sql])
                .stdout(Stdio::null())
                .status()
        };
        if !psql(&format!("CREATE DATABASE {database}"))?.success() {
            bail!("psql could not create the database");
        }
        eprintln!("{name}: {} statements", options.statements);
        let port = free_port()?;
        let log = dir.join("xapi-rs.log");
        let work = dir.join("xapi-rs");
        // It logs to `logs/` of its working directory and reads `CARGO_MANIFEST_DIR`.
        std::fs::create_dir_all(work.join("logs"))?;
        let mut command = Command::new(&bin);
        command.current_dir(&work).envs([
            ("DB_SERVER_URL", server_url.as_str()),
            ("DB_NAME", database.as_str()),
            ("DB_MAX_CONNECTIONS", "16"),
            ("DB_MIN_CONNECTIONS", "4"),
            ("DB_ACQUIRE_TIMEOUT_SECS", "30"),
            ("DB_IDLE_TIMEOUT_SECS", "60"),
            ("DB_MAX_LIFETIME_SECS", "600"),
            ("DB_STATEMENTS_PAGE_LEN", "100"),
            ("LRS_MODE", "legacy"),
            ("LRS_AUTHORITY_IFI", "bench@example.org"),
            ("LRS_ROOT_EMAIL", "bench@example.org"),
            ("LRS_USER_CACHE_LEN", "100"),
            ("EXT_DEFAULT_LANGUAGE", "en"),
            ("JWS_STRICT", "false"),
            ("RUST_LOG", "error"),
            ("ROCKET_ADDRESS", "127.0.0.1"),
            (
                "ROCKET_LIMITS",
                "{json=\"256 MiB\", string=\"256 MiB\", bytes=\"256 MiB\"}",
            ),
            ("ROCKET_LOG_LEVEL", "critical"),
            // Rocket refuses to start a release build without a secret key.
            (
                "ROCKET_SECRET_KEY",
                "hPRYyVRiMyxpw5sBB1XeCMN1kFsDCqKvBi2QJxBVHQk=",
            ),
        ]);
        command
            .env("CARGO_MANIFEST_DIR", &work)
            .env("ROCKET_PORT", port.to_string())
            .env("LRS_EXTERNAL_URL", format!("http://127.0.0.1:{port}/"));
        let mut server = spawn(command, &log)?;
        let result = wait_ready(port, "2.0.0", "/statements", &mut server, &log).and_then(|()| {
            measure(
                port,
                "2.0.0",
                "/statements",
                options.statements,
                options,
                false,
            )
        });
        drop(server);
        let _ = psql(&format!("DROP DATABASE IF EXISTS {database}"));
        result
    })();
    Row {
        name,
        statements: options.statements,
        outcome: outcome.map_err(|e| format!("{e:#}")),
    }
}
