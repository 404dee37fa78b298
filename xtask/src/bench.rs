//! `cargo xtask bench lrs`: an end-to-end load run of `ralph runserver` on loopback.
//!
//! Builds the release binary, starts the LRS on a fresh SQLite file, POSTs batches of
//! statements from several connections until N are stored, then GETs pages following the
//! `more` links, and reports statements/s with p50/p99 latencies per phase.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Options of the LRS load run.
pub struct LrsBench {
    /// Statements to store.
    pub statements: usize,
    /// Statements per POST.
    pub batch: usize,
    /// Concurrent connections posting.
    pub writers: usize,
    /// Pages read in the query phase.
    pub pages: usize,
    /// Load an LRS already listening on this loopback port (e.g. the Python ralph) instead of
    /// starting `ralph runserver`.
    pub port: Option<u16>,
    /// Basic-auth user and password of that LRS.
    pub credentials: (String, String),
}

/// The user the benchmarks create and authenticate as.
pub(crate) const USER: &str = "bench";
/// Its password.
pub(crate) const PASSWORD: &str = "bench-password";

/// A keep-alive HTTP/1.1 connection speaking just what the benchmark needs.
pub(crate) struct Http {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    auth: String,
    /// The `X-Experience-API-Version` sent.
    pub(crate) version: &'static str,
}

impl Http {
    pub(crate) fn connect(port: u16, (user, password): &(String, String)) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        let auth = base64(&format!("{user}:{password}"));
        Ok(Self {
            reader: BufReader::new(stream.try_clone()?),
            writer: stream,
            auth,
            version: "1.0.3",
        })
    }

    /// Sends a request and returns the status and body.
    pub(crate) fn request(
        &mut self,
        method: &str,
        path: &str,
        body: &[u8],
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {}\r\n\
             X-Experience-API-Version: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            self.auth,
            self.version,
            body.len()
        );
        self.writer.write_all(head.as_bytes())?;
        self.writer.write_all(body)?;
        let mut status_line = String::new();
        self.reader.read_line(&mut status_line)?;
        let status: u16 = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line `{status_line}`"))?;
        let mut length = 0usize;
        let mut chunked = false;
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse()?;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("transfer-encoding")
                && value.trim().eq_ignore_ascii_case("chunked")
            {
                chunked = true;
            }
        }
        if !chunked {
            let mut body = vec![0; length];
            self.reader.read_exact(&mut body)?;
            return Ok((status, body));
        }
        let mut body = Vec::new();
        loop {
            let mut size = String::new();
            self.reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)?;
            let start = body.len();
            body.resize(start + size, 0);
            self.reader.read_exact(&mut body[start..])?;
            let mut crlf = String::new();
            self.reader.read_line(&mut crlf)?;
            if size == 0 {
                return Ok((status, body));
            }
        }
    }
}

fn base64(input: &str) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = input.as_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(TABLE[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A statement of the load: distinct ids, a few actors, verbs and activities to filter on.
pub(crate) fn statement(n: usize) -> String {
    statement_as(n, &statement_id(n, false))
}

/// The id of statement `n` of the load: in the order of `n` (`random`: false), or looking
/// random, as version 4 UUIDs do (distinct for every `n` all the same).
pub(crate) fn statement_id(n: usize, random: bool) -> String {
    if !random {
        return format!("{:08x}-0000-4000-8000-{n:012x}", n / 1_000_000);
    }
    // SplitMix64's finaliser is a bijection: every bit of `a` is in the id, so ids differ.
    let mix = |mut z: u64| {
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let a = mix(n as u64);
    let b = mix(!(n as u64));
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b & 0xfff,
        ((a >> 12) & 0xf) << 44 | (b >> 20) & 0xfff_ffff_ffff,
    )
}

/// Statement `n` of the load with the id `id`.
pub(crate) fn statement_as(n: usize, id: &str) -> String {
    format!(
        r#"{{"id":"{id}","actor":{{"account":{{"homePage":"https://lms.example.org","name":"learner-{}"}}}},"verb":{{"id":"http://adlnet.gov/expapi/verbs/{}"}},"object":{{"id":"https://lms.example.org/courses/c{}/unit{}","definition":{{"type":"http://adlnet.gov/expapi/activities/lesson"}}}},"result":{{"score":{{"scaled":0.{}}},"completion":true}},"timestamp":"2024-01-15T10:{:02}:{:02}Z"}}"#,
        n % 1000,
        ["experienced", "completed", "answered", "attempted"][n % 4],
        n % 20,
        n % 50,
        n % 10,
        (n / 60) % 60,
        n % 60
    )
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn report(phase: &str, count: usize, elapsed: Duration, mut latencies: Vec<Duration>) {
    latencies.sort();
    println!(
        "{phase}: {count} statements in {:.2} s = {:.0} statements/s; {} requests, p50 {:.1} ms, p99 {:.1} ms",
        elapsed.as_secs_f64(),
        count as f64 / elapsed.as_secs_f64(),
        latencies.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
    );
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the LRS load benchmark.
pub fn lrs(root: &Path, options: &LrsBench) -> anyhow::Result<()> {
    let mut server = None;
    let mut cleanup = None;
    let (port, credentials) = match options.port {
        Some(port) => (port, options.credentials.clone()),
        None => {
            let (port, dir, child) = start_ralph(root)?;
            server = Some(child);
            cleanup = Some(dir);
            (port, (USER.to_owned(), PASSWORD.to_owned()))
        }
    };
    let started = Instant::now();
    while Http::connect(port, &credentials).is_err() {
        if started.elapsed() > Duration::from_secs(20) {
            bail!("the LRS did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    load(port, &credentials, options)?;
    if let Some(dir) = &cleanup {
        let size = std::fs::metadata(dir.join("lrs.sqlite3"))
            .map(|m| m.len())
            .unwrap_or(0);
        println!(
            "database: {} MB for {} statements",
            size / 1_000_000,
            options.statements
        );
    }
    drop(server);
    if let Some(dir) = cleanup {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(())
}

/// Builds the release binary of the CLI (`--quiet`) and returns its path.
pub(crate) fn build_release(root: &Path) -> anyhow::Result<std::path::PathBuf> {
    let status = Command::new(env!("CARGO"))
        .current_dir(root)
        .args(["build", "--release", "--quiet", "-p", "ralph-cli"])
        .status()?;
    if !status.success() {
        bail!("cargo build --release failed");
    }
    Ok(root.join("target/release/ralph"))
}

/// Creates `dir` and writes the benchmark user ([`USER`], [`PASSWORD`], all scopes) into the
/// LRS credentials file of the app directory `dir`.
pub(crate) fn write_credentials(ralph: &Path, dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let status = Command::new(ralph)
        .args([
            "-v",
            "WARNING",
            "auth",
            "-u",
            USER,
            "-p",
            PASSWORD,
            "-s",
            "all",
            "-M",
            "mailto:bench@example.org",
            "-w",
        ])
        .env("RALPH_APP_DIR", dir)
        .stdout(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("ralph auth failed");
    }
    Ok(())
}

/// Builds the release binary and starts `ralph runserver` on a fresh SQLite file.
fn start_ralph(root: &Path) -> anyhow::Result<(u16, std::path::PathBuf, Server)> {
    let ralph = build_release(root)?;
    let dir = std::env::temp_dir().join(format!("ralph-bench-{}", std::process::id()));
    write_credentials(&ralph, &dir)?;
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
        probe.local_addr()?.port()
    };
    let server = Server(
        Command::new(&ralph)
            .args([
                "runserver",
                "-v",
                "WARNING",
                "-p",
                &port.to_string(),
                "--sqlite-path",
            ])
            .arg(dir.join("lrs.sqlite3"))
            .env("RALPH_APP_DIR", &dir)
            .spawn()?,
    );
    Ok((port, dir, server))
}

/// The load and query phases against the LRS on `port`.
fn load(port: u16, credentials: &(String, String), options: &LrsBench) -> anyhow::Result<()> {
    // Load: each writer posts every `writers`-th batch.
    let batches = options.statements.div_ceil(options.batch);
    let begin = Instant::now();
    let handles: Vec<_> = (0..options.writers)
        .map(|w| {
            let (batch, writers, total) = (options.batch, options.writers, options.statements);
            let credentials = credentials.clone();
            std::thread::spawn(move || -> anyhow::Result<Vec<Duration>> {
                let mut http = Http::connect(port, &credentials)?;
                let mut latencies = Vec::new();
                for b in (w..batches).step_by(writers) {
                    let body: Vec<String> = (b * batch..((b + 1) * batch).min(total))
                        .map(statement)
                        .collect();
                    let body = format!("[{}]", body.join(","));
                    let t = Instant::now();
                    let (status, text) =
                        http.request("POST", "/xAPI/statements", body.as_bytes())?;
                    latencies.push(t.elapsed());
                    if status != 200 {
                        bail!("POST answered {status}: {}", String::from_utf8_lossy(&text));
                    }
                }
                Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for h in handles {
        latencies.extend(h.join().map_err(|_| anyhow::anyhow!("writer panicked"))??);
    }
    report("POST", options.statements, begin.elapsed(), latencies);

    // Query: pages of 100 following `more`, unfiltered then by verb and by agent.
    let queries = [
        "/xAPI/statements?limit=100".to_owned(),
        "/xAPI/statements?limit=100&verb=http%3A%2F%2Fadlnet.gov%2Fexpapi%2Fverbs%2Fcompleted"
            .to_owned(),
        format!(
            "/xAPI/statements?limit=100&agent={}",
            "%7B%22account%22%3A%7B%22homePage%22%3A%22https%3A%2F%2Flms.example.org%22%2C%22name%22%3A%22learner-7%22%7D%7D"
        ),
    ];
    for first in queries {
        let mut http = Http::connect(port, credentials)?;
        let mut latencies = Vec::new();
        let mut path = first.clone();
        let mut count = 0;
        let begin = Instant::now();
        for _ in 0..options.pages {
            let t = Instant::now();
            let (status, body) = http.request("GET", &path, b"")?;
            latencies.push(t.elapsed());
            if status != 200 {
                bail!("GET {path} answered {status}");
            }
            let page: serde_json::Value = serde_json::from_slice(&body)?;
            count += page["statements"].as_array().map_or(0, Vec::len);
            match page["more"].as_str() {
                Some(more) if !more.is_empty() => path = more.to_owned(),
                _ => break,
            }
        }
        let name = if first.contains("verb=") {
            "GET by verb"
        } else if first.contains("agent=") {
            "GET by agent"
        } else {
            "GET"
        };
        report(name, count, begin.elapsed(), latencies);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_statement_ids_are_distinct_version_4_uuids_out_of_load_order() {
        let ids: Vec<String> = (0..200_000).map(|n| statement_id(n, true)).collect();
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len());
        for id in ids.iter().take(1000) {
            let groups: Vec<&str> = id.split('-').collect();
            let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
            assert_eq!(lengths, vec![8, 4, 4, 4, 12], "{id}");
            assert!(
                groups[2].starts_with('4') && groups[3].starts_with('8'),
                "{id}"
            );
            assert!(
                id.chars().all(|c| c == '-' || c.is_ascii_hexdigit()),
                "{id}"
            );
        }
        let ascending = ids.windows(2).filter(|w| w[0] < w[1]).count();
        assert!(
            (80_000..120_000).contains(&ascending),
            "{ascending} ascending pairs"
        );
        assert!((0..1000).map(|n| statement_id(n, false)).is_sorted());
    }
}
