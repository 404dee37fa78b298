//! The behaviour suite every ralph backend runs, so that all backends agree on what `write`,
//! `read`, `list`, operation types and `ignore_errors` mean.
//!
//! A backend's integration tests implement [`Harness`] (how to address what was written) and call
//! the suite functions one test each, so a failure names the behaviour.
//! [`lrs`] holds the suite of LRS statement stores.

pub mod lrs;
pub mod privacy;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use ralph_core::{
    DataBackend, ErrorKind, ListEntry, OperationType, ReadRequest, Record, RecordStream, Result,
    WriteOptions,
};
use serde_json::{Value, json};

/// How a backend stores what it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// Bytes verbatim, one file or object per write (fs, s3, swift).
    Files,
    /// Decoded JSON records keyed by their `id` (memory, databases, LRS).
    Records,
    /// Decoded JSON records in an append-only log: no id conflicts, no update or delete (redis).
    Log,
}

/// What the suite needs to know about a backend under test.
pub trait Harness: Send + Sync {
    /// The backend, opened.
    fn backend(&self) -> &dyn DataBackend;
    /// How it stores data.
    fn kind(&self) -> StoreKind;
    /// A write target nothing was written to yet.
    fn new_target(&self) -> String;
    /// The request that reads back what was written to `target`.
    fn read_request(&self, target: &str) -> ReadRequest;
    /// Whether a listing entry stands for `target`.
    fn is_listed(&self, target: &str, entry: &ListEntry) -> bool;
}

/// A stream of raw input chunks, as the CLI reads standard input.
pub fn raw_input(text: impl Into<Bytes>) -> RecordStream {
    futures::stream::iter([Ok(Record::Raw(text.into()))]).boxed()
}

/// `records` as JSON lines.
pub fn lines(records: &[Value]) -> String {
    records.iter().map(|r| format!("{r}\n")).collect()
}

/// Reads everything `request` yields, as JSON values.
pub async fn read_json(backend: &dyn DataBackend, request: ReadRequest) -> Result<Vec<Value>> {
    let readable = backend.as_readable().expect("backend is readable");
    let stream = readable
        .read(ReadRequest {
            raw_output: false,
            ..request
        })
        .await?;
    stream
        .map_ok(|record| match record {
            Record::Json(v) => v,
            Record::Raw(b) => serde_json::from_slice(&b).expect("raw record is one JSON document"),
        })
        .try_collect()
        .await
}

/// Reads everything `request` yields, as raw bytes.
pub async fn read_raw(backend: &dyn DataBackend, request: ReadRequest) -> Result<Vec<u8>> {
    let readable = backend.as_readable().expect("backend is readable");
    let mut stream = readable
        .read(ReadRequest {
            raw_output: true,
            ..request
        })
        .await?;
    let mut out = Vec::new();
    while let Some(record) = stream.next().await {
        out.extend_from_slice(&record?.into_bytes());
    }
    Ok(out)
}

async fn write(
    h: &dyn Harness,
    target: &str,
    input: RecordStream,
    op: Option<OperationType>,
    ignore_errors: bool,
) -> Result<ralph_core::WriteReport> {
    h.backend()
        .as_writable()
        .expect("backend is writable")
        .write(
            input,
            WriteOptions {
                target: Some(target.to_owned()),
                operation_type: op,
                ignore_errors,
                ..Default::default()
            },
        )
        .await
}

/// A deterministic UUID for record `i` of a sample tagged `tag`; ids of one tag ascend with `i`,
/// so stores that order by id keep the input order.
pub fn sample_id(tag: &str, i: u64) -> String {
    // FNV-1a of the tag keeps samples of different tags apart.
    let hash = tag.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    });
    format!("{hash:08x}-0000-4000-8000-{i:012x}")
}

fn sample(n: usize, tag: &str) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"id": sample_id(tag, i as u64), "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "n": i, "text": "é ✓"}))
        .collect()
}

/// What is written is read back, equal and in order, as JSON and as raw lines.
pub async fn write_then_read_back(h: &dyn Harness) {
    let target = h.new_target();
    let records = sample(3, "rb");
    let report = write(h, &target, raw_input(lines(&records)), None, false)
        .await
        .expect("write");
    match h.kind() {
        StoreKind::Files => assert_eq!(report.written, 1, "one file written"),
        StoreKind::Records | StoreKind::Log => {
            assert_eq!(report.written, 3, "three records written")
        }
    }
    let back = read_json(h.backend(), h.read_request(&target))
        .await
        .expect("read");
    assert_eq!(back, records);
    let raw = read_raw(h.backend(), h.read_request(&target))
        .await
        .expect("read raw");
    let raw = String::from_utf8(raw).expect("utf-8");
    match h.kind() {
        // Files keep every byte.
        StoreKind::Files => assert_eq!(raw, lines(&records)),
        // Record stores give one compact JSON document per line; key order may change
        // (PostgreSQL's jsonb sorts keys).
        StoreKind::Records | StoreKind::Log => {
            let parsed: Vec<Value> = raw
                .lines()
                .map(|l| serde_json::from_str(l).expect("one JSON document per line"))
                .collect();
            assert_eq!(parsed, records);
        }
    }
}

/// A write target shows in the listing, with details when asked.
pub async fn list_shows_written_targets(h: &dyn Harness) {
    let listable = h.backend().as_listable().expect("backend is listable");
    let target = h.new_target();
    write(h, &target, raw_input(lines(&sample(2, "ls"))), None, false)
        .await
        .expect("write");
    let ids: Vec<ListEntry> = listable
        .list(None, false, false)
        .await
        .expect("list")
        .try_collect()
        .await
        .expect("entries");
    assert!(
        ids.iter().any(|e| h.is_listed(&target, e)),
        "{target} not in {ids:?}"
    );
    assert!(ids.iter().all(|e| matches!(e, ListEntry::Id(_))));
    let details: Vec<ListEntry> = listable
        .list(None, true, false)
        .await
        .expect("list")
        .try_collect()
        .await
        .expect("entries");
    assert!(
        details.iter().all(|e| matches!(e, ListEntry::Details(_))),
        "{details:?}"
    );
    // The target is among the details too. (Not a comparison of the two listings' lengths:
    // on a shared server, other tests create and drop targets between the two calls.)
    let name = target.rsplit('/').next().unwrap_or(&target);
    assert!(
        details.iter().any(|e| match e {
            ListEntry::Details(details) => details.to_string().contains(name),
            ListEntry::Id(_) => false,
        }),
        "{target} not in {details:?}"
    );
}

/// create/index refuse what exists, update replaces, append adds, unsupported types are refused.
pub async fn operation_types(h: &dyn Harness) {
    let writable = h.backend().as_writable().expect("writable");
    let unsupported = writable.unsupported_operation_types();
    let target = h.new_target();
    let first = sample(2, "op");
    write(
        h,
        &target,
        raw_input(lines(&first)),
        Some(OperationType::Create),
        false,
    )
    .await
    .expect("first create");
    let again = write(
        h,
        &target,
        raw_input(lines(&first)),
        Some(OperationType::Create),
        false,
    )
    .await;
    if h.kind() == StoreKind::Log {
        again.expect("a log appends what it is given, ids included");
        let back = read_json(h.backend(), h.read_request(&target))
            .await
            .expect("read");
        assert_eq!(back, [first.clone(), first.clone()].concat());
    } else {
        let err = again.expect_err("creating what exists is refused");
        assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    }

    if !unsupported.contains(&OperationType::Update) {
        let changed = vec![json!({"id": sample_id("op", 0), "changed": true})];
        write(
            h,
            &target,
            raw_input(lines(&changed)),
            Some(OperationType::Update),
            false,
        )
        .await
        .expect("update");
        let back = read_json(h.backend(), h.read_request(&target))
            .await
            .expect("read");
        match h.kind() {
            StoreKind::Files => assert_eq!(back, changed, "update overwrites the file"),
            StoreKind::Records => assert_eq!(back, vec![changed[0].clone(), first[1].clone()]),
            StoreKind::Log => unreachable!("logs do not update"),
        }
    }
    if !unsupported.contains(&OperationType::Append) {
        let before = read_json(h.backend(), h.read_request(&target))
            .await
            .expect("read");
        let more = vec![json!({"id": sample_id("op", 9)})];
        write(
            h,
            &target,
            raw_input(lines(&more)),
            Some(OperationType::Append),
            false,
        )
        .await
        .expect("append");
        let back = read_json(h.backend(), h.read_request(&target))
            .await
            .expect("read");
        assert_eq!(back.len(), before.len() + 1);
        assert_eq!(back.last(), more.last());
    }
    for op in unsupported {
        let err = write(h, &h.new_target(), raw_input("{}\n"), Some(*op), false)
            .await
            .expect_err("unsupported operation type");
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{op}: {err}");
    }
}

/// Files: bytes are stored verbatim, whatever they are. Records: a bad line stops the write after
/// the good records before it (and says how many), or is skipped with `ignore_errors`.
pub async fn bad_input(h: &dyn Harness) {
    match h.kind() {
        StoreKind::Files => {
            let bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
            let target = h.new_target();
            write(h, &target, raw_input(bytes.clone()), None, false)
                .await
                .expect("write bytes");
            let back = read_raw(h.backend(), h.read_request(&target))
                .await
                .expect("read");
            assert_eq!(back, bytes, "bytes round trip verbatim");
        }
        StoreKind::Records | StoreKind::Log => {
            let input = format!(
                "{{\"id\":\"{}\"}}\n{{\"id\":\"{}\"}}\nnot json\n{{\"id\":\"{}\"}}\n",
                sample_id("bad", 1),
                sample_id("bad", 2),
                sample_id("bad", 4)
            );
            let target = h.new_target();
            let err = write(h, &target, raw_input(input.clone()), None, false)
                .await
                .expect_err("line 3 is bad");
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.to_string().contains("line 3"), "{err}");
            assert_eq!(err.written(), Some(2));
            let back = read_json(h.backend(), h.read_request(&target))
                .await
                .expect("read");
            assert_eq!(
                back.len(),
                2,
                "the good records before the bad line are written"
            );

            let target = h.new_target();
            let report = write(h, &target, raw_input(input), None, true)
                .await
                .expect("ignore errors");
            assert_eq!((report.written, report.skipped), (3, 1));
            let back = read_json(h.backend(), h.read_request(&target))
                .await
                .expect("read");
            assert_eq!(back.len(), 3);
        }
    }
}

/// Reading with a record limit stops early.
pub async fn max_statements(h: &dyn Harness) {
    let target = h.new_target();
    write(h, &target, raw_input(lines(&sample(5, "max"))), None, false)
        .await
        .expect("write");
    let back = read_json(
        h.backend(),
        ReadRequest {
            max_statements: Some(2),
            ..h.read_request(&target)
        },
    )
    .await
    .expect("read");
    assert_eq!(back.len(), 2);
}

/// A lazily generated stream of `n` JSON lines in chunks of 1,000 lines.
pub fn generated_lines(n: u64) -> RecordStream {
    futures::stream::iter((0..n).step_by(1000))
        .map(move |start| {
            let end = (start + 1000).min(n);
            let text: String = (start..end)
                .map(|i| format!("{{\"id\":\"{}\",\"verb\":{{\"id\":\"http://adlnet.gov/expapi/verbs/experienced\"}},\"n\":{i}}}\n", sample_id("big", i)))
                .collect();
            Ok(Record::Raw(Bytes::from(text)))
        })
        .boxed()
}

/// Peak resident memory of this process in bytes, after resetting the peak when `reset`.
pub fn peak_rss(reset: bool) -> Option<u64> {
    if reset {
        // Writing 5 to clear_refs resets the peak resident set size (Linux >= 4.0).
        std::fs::write("/proc/self/clear_refs", "5").ok()?;
    }
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// `n` records written and read back stream through: all are counted, and for file backends the
/// peak memory grows by less than `max_growth` bytes.
pub async fn large_stream(h: &dyn Harness, n: u64, max_growth: Option<u64>) {
    let start = peak_rss(true);
    let target = h.new_target();
    write(h, &target, generated_lines(n), None, false)
        .await
        .expect("write");
    let readable = h.backend().as_readable().expect("readable");
    let mut stream = readable
        .read(ReadRequest {
            raw_output: false,
            ..h.read_request(&target)
        })
        .await
        .expect("read");
    let mut count = 0u64;
    while let Some(record) = stream.next().await {
        let Record::Json(value) = record.expect("record") else {
            panic!("JSON record expected");
        };
        assert_eq!(value["n"], json!(count), "records come back in order");
        count += 1;
    }
    assert_eq!(count, n);
    // The peak is per process: it means something only when this test has the process to itself,
    // as under cargo-nextest (the README's test command), not among cargo test's threads.
    let alone = std::env::var_os("NEXTEST_RUN_ID").is_some();
    if let (true, Some(limit), Some(start), Some(end)) = (alone, max_growth, start, peak_rss(false))
    {
        let growth = end.saturating_sub(start);
        assert!(
            growth < limit,
            "peak memory grew by {growth} bytes for {n} records (limit {limit})"
        );
    }
}

/// The URL of a test server from the environment variable `var` (e.g. `RALPH_TEST_REDIS_URL`).
///
/// Unset locally, the test is skipped with a message; unset when `CI` is set, the test fails:
/// CI never passes by skipping. `scripts/test-servers/up.sh` starts the servers and prints the
/// variables.
pub fn server_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{var} is not set: under CI every backend test runs against its real server \
                 (eval \"$(scripts/test-servers/up.sh)\")"
            );
            eprintln!(
                "skipped: {var} is not set (eval \"$(scripts/test-servers/up.sh)\" to run it)"
            );
            None
        }
    }
}

/// A name no other test of any process uses (`{prefix}_{pid}_{nanos}_{n}`), made of letters,
/// digits and `_` so that it is a valid table, stream or file name everywhere.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}_{}_{nanos}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
