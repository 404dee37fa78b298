//! Insert and query benchmark of the `clickhouse` backend and LRS store.
//!
//! ```sh
//! cargo run --release -p ralph-backend-clickhouse --example bench -- generate statements.jsonl 1000000
//! cargo run --release -p ralph-backend-clickhouse --example bench -- run statements.jsonl \
//!     [--host 127.0.0.1] [--port 8123] [--database bench_rs] [--chunk 5000] [--queries 50]
//! ```
//!
//! `generate` writes N xAPI statements (1,000 agents, 10 verbs, 100 activities, one second
//! apart); `run` loads them with the data backend into a statement table (what
//! `ralph write -b clickhouse` does: JSON lines in, chunked inserts, id checks), then times
//! LRS store queries by agent, by verb, by `since`, and by all three, 100 statements a page,
//! and prints statements/s and per-query p50/p99. `bench_python.py` beside this file runs the
//! same load and queries with the Python ralph.

use std::io::Write;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use futures::StreamExt;
use ralph_backend_clickhouse::{
    ClickHouseBackend, ClickHouseLrsSettings, ClickHouseSettings, ClickHouseStore,
};
use ralph_core::lrs::{Ifi, LrsStore, StatementQuery};
use ralph_core::{Record, Writable, WriteOptions};
use tokio::io::AsyncReadExt;

const AGENTS: u64 = 1000;
const VERBS: u64 = 10;
const ACTIVITIES: u64 = 100;

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

fn statement(n: u64) -> String {
    let time = (start() + chrono::Duration::seconds(i64::try_from(n).unwrap_or(0)))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, false);
    format!(
        concat!(
            r#"{{"id":"{:08x}-0000-4000-8000-{:012x}","#,
            r#""actor":{{"objectType":"Agent","mbox":"mailto:user{}@example.org","name":"User {}"}},"#,
            r#""verb":{{"id":"http://adlnet.gov/expapi/verbs/verb{}","display":{{"en-US":"verb {}"}}}},"#,
            r#""object":{{"objectType":"Activity","id":"https://example.org/courses/activity{}","definition":{{"type":"http://adlnet.gov/expapi/activities/course"}}}},"#,
            r#""result":{{"completion":true,"score":{{"scaled":0.5}}}},"#,
            r#""context":{{"registration":"6f1cbd4e-0000-4000-8000-{:012x}","contextActivities":{{"parent":[{{"id":"https://example.org/courses/parent{}"}}]}}}},"#,
            r#""timestamp":"{}","stored":"{}","authority":{{"objectType":"Agent","mbox":"mailto:lrs@example.org"}},"version":"1.0.0"}}"#
        ),
        n >> 48,
        n,
        n % AGENTS,
        n % AGENTS,
        n % VERBS,
        n % VERBS,
        n % ACTIVITIES,
        n % AGENTS,
        n % 10,
        time,
        time,
    )
}

/// Query `i` of a kind, for a table of `total` statements.
type MakeQuery = fn(u64, u64) -> StatementQuery;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64)).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") => {
            let path = args.get(1).ok_or("generate FILE N")?;
            let n: u64 = args.get(2).ok_or("generate FILE N")?.parse()?;
            let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
            for i in 0..n {
                writeln!(out, "{}", statement(i))?;
            }
            out.flush()?;
            Ok(())
        }
        Some("run") => run(&args).await,
        _ => Err("usage: bench generate FILE N | bench run FILE [--host H] [--port P] [--database D] [--chunk N] [--queries N]".into()),
    }
}

async fn run(args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let path = args.get(1).ok_or("run FILE")?.clone();
    let host = arg(args, "--host").unwrap_or_else(|| "127.0.0.1".into());
    let port: u16 = arg(args, "--port").map_or(Ok(8123), |p| p.parse())?;
    let database = arg(args, "--database").unwrap_or_else(|| "bench_rs".into());
    let chunk: usize = arg(args, "--chunk").map_or(Ok(5000), |p| p.parse())?;
    let queries: u64 = arg(args, "--queries").map_or(Ok(50), |p| p.parse())?;

    // The store creates the database and the statement table; the data backend loads it.
    let store = ClickHouseStore::open(ClickHouseLrsSettings {
        host: host.clone(),
        port,
        database: database.clone(),
        ..Default::default()
    })
    .await?;
    let backend = ClickHouseBackend::new(ClickHouseSettings {
        host,
        port,
        database,
        ..Default::default()
    })?;
    let file = tokio::fs::File::open(&path).await?;
    let input = futures::stream::unfold(file, |mut file| async move {
        let mut buffer = vec![0; 1 << 20];
        match file.read(&mut buffer).await {
            Ok(0) => None,
            Ok(n) => {
                buffer.truncate(n);
                Some((Ok(Record::Raw(Bytes::from(buffer))), file))
            }
            Err(err) => Some((Err(ralph_core::Error::io("statements file", err)), file)),
        }
    })
    .boxed();
    let started = Instant::now();
    let report = backend
        .write(
            input,
            WriteOptions {
                chunk_size: Some(chunk),
                ..Default::default()
            },
        )
        .await?;
    let elapsed = started.elapsed();
    println!(
        "insert: {} statements in {:.1} s = {:.0} statements/s (chunks of {chunk})",
        report.written,
        elapsed.as_secs_f64(),
        report.written as f64 / elapsed.as_secs_f64()
    );
    let total = report.written;

    let kinds: [(&str, MakeQuery); 4] = [
        ("agent", |i, _| StatementQuery {
            agent: Some(Ifi::Mbox(format!(
                "mailto:user{}@example.org",
                i * 37 % AGENTS
            ))),
            ..Default::default()
        }),
        ("verb", |i, _| StatementQuery {
            verb: Some(format!("http://adlnet.gov/expapi/verbs/verb{}", i % VERBS)),
            ..Default::default()
        }),
        ("since", |i, total| StatementQuery {
            since: Some(start() + chrono::Duration::seconds((total * (i % 10) / 10) as i64)),
            ..Default::default()
        }),
        ("agent+verb+since", |i, total| StatementQuery {
            agent: Some(Ifi::Mbox(format!(
                "mailto:user{}@example.org",
                i * 37 % AGENTS
            ))),
            verb: Some(format!(
                "http://adlnet.gov/expapi/verbs/verb{}",
                (i * 37 % AGENTS) % VERBS
            )),
            since: Some(start() + chrono::Duration::seconds((total * (i % 10) / 20) as i64)),
            ..Default::default()
        }),
    ];
    for (name, make) in kinds {
        let mut latencies = Vec::new();
        let mut returned = 0;
        let started = Instant::now();
        for i in 0..queries {
            let query = StatementQuery {
                limit: 100,
                ..make(i, total)
            };
            let t = Instant::now();
            let page = store.query(None, &query).await?;
            latencies.push(t.elapsed());
            returned += page.statements.len();
        }
        let elapsed = started.elapsed();
        latencies.sort();
        println!(
            "query by {name}: {queries} queries, {returned} statements, {:.1} queries/s, {:.0} statements/s, p50 {:.1} ms, p99 {:.1} ms",
            queries as f64 / elapsed.as_secs_f64(),
            returned as f64 / elapsed.as_secs_f64(),
            percentile(&latencies, 50.0).as_secs_f64() * 1000.0,
            percentile(&latencies, 99.0).as_secs_f64() * 1000.0,
        );
    }
    Ok(())
}
