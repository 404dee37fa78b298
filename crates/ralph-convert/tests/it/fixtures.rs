//! One fixture per conversion: `fixtures/<Model>.input.json` (the raw line, with its `\n`) and
//! `fixtures/<Model>.expected.json` (the exact statement). For Ralph's nine conversions the
//! expected statements are the output of Ralph 5.1's `ralph convert` on the same bytes.

use std::path::PathBuf;

use ralph_convert::{Converter, conversions};
use uuid::Uuid;

pub(crate) const NAMESPACE: &str = "ee241f8b-174f-5bdb-bae9-c09de5fe017f";

pub(crate) fn converter() -> Converter {
    Converter::new(
        Uuid::parse_str(NAMESPACE).expect("namespace"),
        "https://example.org",
    )
}

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(crate) fn input(model: &str) -> String {
    fixture(&format!("{model}.input.json"))
}

fn expected(model: &str) -> String {
    fixture(&format!("{model}.expected.json"))
        .trim_end_matches('\n')
        .to_owned()
}

#[test]
fn every_conversion_produces_its_expected_statement_exactly() {
    let converter = converter();
    for conversion in conversions() {
        let line = input(conversion.source);
        assert!(line.ends_with('\n'), "{}", conversion.source);
        let statement = converter
            .convert_line(&line)
            .unwrap_or_else(|e| panic!("{}: {e}", conversion.source))
            .unwrap_or_else(|| panic!("{}: no statement", conversion.source));
        assert_eq!(
            statement,
            expected(conversion.source),
            "{}",
            conversion.source
        );
        assert!(
            statement.contains(&format!(r#""verb":{{"id":"{}"}}"#, conversion.verb)),
            "{}",
            conversion.source
        );
        assert!(
            statement.contains(&format!(r#""type":"{}""#, conversion.activity_type)),
            "{}",
            conversion.source
        );
    }
}

#[test]
fn ralph_has_nine_conversions_and_they_come_first() {
    let ralph: Vec<_> = conversions().iter().take_while(|c| c.ralph).collect();
    assert_eq!(ralph.len(), 9);
    assert_eq!(conversions().iter().filter(|c| c.ralph).count(), 9);
    assert!(conversions().len() >= 20);
}

#[test]
fn the_id_is_the_uuid5_of_the_raw_line_with_its_newline() {
    let converter = converter();
    let line = input("Server");
    let statement = converter
        .convert_line(&line)
        .expect("converts")
        .expect("statement");
    let id = Uuid::new_v5(&converter.namespace(), line.as_bytes()).to_string();
    assert!(statement.starts_with(&format!(r#"{{"id":"{id}""#)));
    // Without the newline the id differs, as with Ralph.
    let other = converter
        .convert_line(line.trim_end())
        .expect("converts")
        .expect("statement");
    assert_ne!(other, statement);
    assert_eq!(other[50..], statement[50..]);
}

#[test]
fn video_events_with_a_json_string_event_convert_like_objects() {
    // Ralph fails on these (it reads `event.currentTime` from the raw string).
    let converter = converter();
    for model in [
        "UILoadVideo",
        "UIPlayVideo",
        "UIPauseVideo",
        "UISeekVideo",
        "UIStopVideo",
        "EdxCourseEnrollmentActivated",
        "EdxCourseEnrollmentDeactivated",
    ] {
        let line = input(model);
        let mut event: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        let object = event["event"].clone();
        assert!(object.is_object(), "{model}");
        event["event"] = serde_json::Value::String(object.to_string());
        let string_line = format!("{event}\n");
        let from_string = converter
            .convert_line(&string_line)
            .expect("converts")
            .expect("statement");
        let from_object = converter
            .convert_line(&line)
            .expect("converts")
            .expect("statement");
        // Same statement but for the id, which hashes the raw line.
        let body = |s: &str| s[s.find(r#","actor""#).expect("actor")..].to_owned();
        assert_eq!(body(&from_string), body(&from_object), "{model}");
    }
}

#[test]
fn a_platform_url_with_a_trailing_slash_is_trimmed_in_object_ids_only() {
    let converter = Converter::new(
        Uuid::parse_str(NAMESPACE).expect("namespace"),
        "https://example.org/",
    );
    let statement = converter
        .convert_line(&input("Server"))
        .expect("converts")
        .expect("statement");
    assert!(statement.contains(r#""homePage":"https://example.org/""#));
    assert!(statement.contains(r#""object":{"id":"https://example.org/courses/"#));
}

#[test]
fn fuzzed_events_convert_byte_for_byte_as_ralph_does() {
    // Mutations of the fixtures of Ralph's conversions, with Ralph 5.1's output for each: the
    // statement it prints, or null when it fails on the event.
    let converter = converter();
    let mut checked = 0;
    for row in include_str!("ralph_differential.jsonl").lines() {
        let row: serde_json::Value = serde_json::from_str(row).expect("fixture line is JSON");
        let line = row["line"].as_str().expect("line");
        let got = converter.try_convert_line(line);
        match row["ralph"].as_str() {
            Some(expected) => assert_eq!(got.as_deref(), Ok(expected), "{line}"),
            None => assert!(got.is_err(), "Ralph fails on {line}, got {got:?}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 200);
}
