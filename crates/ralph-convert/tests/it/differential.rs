//! Differential test against the Python ralph 5.1 (`RALPH_TEST_PYTHON_RALPH`: its `ralph`
//! executable): generated events of the 9 Ralph conversions, converted by both, must give
//! byte-identical statements.

use std::io::Write;
use std::process::{Command, Stdio};

use ralph_convert::Converter;
use serde_json::{Value, json};
use uuid::Uuid;

const NAMESPACE: &str = "ee241f8b-174f-5bdb-bae9-c09de5fe017f";
const PLATFORM: &str = "https://lms.example.org";
const PER_TYPE: usize = 1_200;
const TYPES: [&str; 9] = [
    "Server",
    "UIPageClose",
    "UILoadVideo",
    "UIPlayVideo",
    "UIPauseVideo",
    "UISeekVideo",
    "UIStopVideo",
    "EdxCourseEnrollmentActivated",
    "EdxCourseEnrollmentDeactivated",
];

/// A small deterministic generator (SplitMix64), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn hex(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(b"0123456789abcdef"[self.below(16) as usize]))
            .collect()
    }

    /// Floats of the shapes edX players send: whole, a few decimals, long fractions.
    fn time(&mut self) -> Value {
        match self.below(4) {
            0 => json!(self.below(7200)),
            1 => json!(self.below(720_000) as f64 / 100.0),
            2 => json!(self.next() as f64 / u64::MAX as f64 * 3600.0),
            _ => json!(self.below(100) as f64 + 0.5),
        }
    }
}

fn template(name: &str) -> Value {
    let path = format!("{}/fixtures/{name}.input.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// A variation of the `name` fixture: other learners, courses, times, sessions and positions.
fn generate(name: &str, rng: &mut Rng) -> Value {
    let mut event = template(name);
    let course = format!(
        "course-v1:ORG{}+C{}+20{:02}",
        rng.below(5),
        rng.below(50),
        20 + rng.below(6)
    );
    let user_id = match rng.below(5) {
        0 => json!(""),
        1 => json!(rng.below(100_000).to_string()),
        2 => json!(0),
        _ => json!(1 + rng.below(1_000_000)),
    };
    event["username"] = json!(format!("learner{}", rng.below(10_000)));
    event["context"]["user_id"] = user_id.clone();
    event["context"]["course_id"] = json!(course);
    event["time"] = json!(format!(
        "20{:02}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        20 + rng.below(6),
        1 + rng.below(12),
        1 + rng.below(28),
        rng.below(24),
        rng.below(60),
        rng.below(60),
        rng.below(1_000_000)
    ));
    if event.get("session").is_some() {
        event["session"] = json!(rng.hex(32));
    }
    if event["event_source"] == "browser" && event.get("page").is_some_and(|p| !p.is_null()) {
        event["page"] = json!(format!(
            "{PLATFORM}/courses/{course}/courseware/w{}/",
            rng.below(20)
        ));
    }
    match name {
        "Server" => {
            let path = format!(
                "/courses/{course}/{}",
                ["info", "progress", "courseware", "about"][rng.below(4) as usize]
            );
            event["event_type"] = json!(path);
            event["context"]["path"] = json!(path);
        }
        "EdxCourseEnrollmentActivated" | "EdxCourseEnrollmentDeactivated" => {
            event["event"]["course_id"] = json!(course);
            event["event"]["user_id"] = user_id;
            event["event"]["mode"] = json!(["audit", "verified", "honor"][rng.below(3) as usize]);
        }
        "UIPageClose" => {}
        _ => {
            let inner = &mut event["event"];
            if inner.is_object() {
                let len = 12 + rng.below(21) as usize;
                inner["id"] = json!(rng.hex(len));
                for key in ["currentTime", "old_time", "new_time"] {
                    if inner.get(key).is_some() {
                        inner[key] = rng.time();
                    }
                }
            }
        }
    }
    event
}

#[test]
fn generated_events_convert_byte_for_byte_as_the_python_ralph_does() {
    let Some(python) = python_ralph() else { return };
    let mut rng = Rng(0x5eed);
    let mut input = String::new();
    for name in TYPES {
        for _ in 0..PER_TYPE {
            // Python's json.dumps spacing, as edX writes its tracking logs.
            input.push_str(&ralph_core_like_dumps(&generate(name, &mut rng)));
            input.push('\n');
        }
    }
    let mut child = Command::new(&python)
        .args([
            "convert", "-f", "edx", "-t", "xapi", "-I", "-u", NAMESPACE, "-p", PLATFORM,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let feed = input.clone();
    let writer = std::thread::spawn(move || stdin.write_all(feed.as_bytes()));
    let out = child.wait_with_output().expect("python ralph");
    writer.join().expect("writer").expect("feed python ralph");
    let expected = String::from_utf8(out.stdout).expect("utf-8");

    let converter = Converter::new(Uuid::parse_str(NAMESPACE).expect("namespace"), PLATFORM);
    let mut ours = String::new();
    for line in input.split_inclusive('\n') {
        if let Ok(Some(statement)) = converter.convert_line(line) {
            ours.push_str(&statement);
            ours.push('\n');
        }
    }
    let expected: Vec<&str> = expected.lines().collect();
    let ours: Vec<&str> = ours.lines().collect();
    assert!(
        expected.len() >= 10_000,
        "the Python ralph converted only {} events",
        expected.len()
    );
    for (i, (a, b)) in expected.iter().zip(&ours).enumerate() {
        assert_eq!(b, a, "statement {i} differs");
    }
    assert_eq!(ours.len(), expected.len());
}

/// Python's default `json.dumps` text (", " and ": " separators, ASCII escapes).
fn ralph_core_like_dumps(value: &Value) -> String {
    let mut out = String::new();
    write_py(value, &mut out);
    out
}

fn write_py(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            out.push('{');
            for (i, (k, v)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Value::from(k.as_str()).to_string());
                out.push_str(": ");
                write_py(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The Python ralph executable, or `None` (skipped) when it is not installed; under `CI` it must
/// be.
fn python_ralph() -> Option<String> {
    match std::env::var("RALPH_TEST_PYTHON_RALPH") {
        Ok(path) if !path.is_empty() => Some(path),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "RALPH_TEST_PYTHON_RALPH is not set: CI runs the differential test (scripts/test-servers/up.sh installs the Python ralph)"
            );
            eprintln!(
                "skipped: RALPH_TEST_PYTHON_RALPH is not set (eval \"$(scripts/test-servers/up.sh)\")"
            );
            None
        }
    }
}
