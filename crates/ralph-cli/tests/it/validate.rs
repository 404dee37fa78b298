//! `ralph validate`.

use crate::{Sandbox, assert_code, stderr, stdout};

const PAGE_VIEWED: &str = r#"{"actor":{"mbox":"mailto:jane@example.org"},"verb":{"id":"http://id.tincanapi.com/verb/viewed"},"object":{"id":"https://example.org/p","definition":{"type":"http://activitystrea.ms/schema/1.0/page"}},"timestamp":"2024-01-15T10:00:00+00:00"}"#;
const GENERIC: &str = r#"{"actor":{"mbox":"mailto:jane@example.org"},"verb":{"id":"http://example.org/v"},"object":{"id":"https://example.org/p"}}"#;
const INVALID: &str = r#"{"actor":{"mbox":"jane"},"verb":{"id":"http://example.org/v"},"object":{"id":"https://example.org/p"}}"#;

fn input(lines: &[&str]) -> Vec<u8> {
    lines
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        .into_bytes()
}

#[test]
fn valid_statements_are_printed_normalised_and_counted() {
    let sb = Sandbox::fresh();
    let out = sb.run(&["validate", "-f", "xapi"], &input(&[PAGE_VIEWED]));
    assert_code(&out, 0);
    assert_eq!(
        stdout(&out),
        "{\"actor\":{\"mbox\":\"mailto:jane@example.org\",\"objectType\":\"Agent\"},\"verb\":{\"id\":\"http://id.tincanapi.com/verb/viewed\"},\"object\":{\"id\":\"https://example.org/p\",\"definition\":{\"type\":\"http://activitystrea.ms/schema/1.0/page\"}},\"timestamp\":\"2024-01-15T10:00:00Z\",\"version\":\"1.0.0\"}\n"
    );
    assert!(
        stderr(&out).contains("Total events: 1, Invalid events: 0"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_invalid_statement_stops_with_its_line_path_and_reason_unless_ignored() {
    let sb = Sandbox::fresh();
    let lines = input(&[PAGE_VIEWED, INVALID, PAGE_VIEWED]);
    let out = sb.run(&["validate", "-f", "xapi"], &lines);
    assert_code(&out, 1);
    assert_eq!(
        stdout(&out).lines().count(),
        1,
        "the valid line before is printed"
    );
    let err = stderr(&out);
    assert!(
        err.contains("line 2: invalid xAPI statement: actor.mbox:"),
        "{err}"
    );

    let out = sb.run(&["validate", "-f", "xapi", "-I"], &lines);
    assert_code(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 2);
    assert!(
        stderr(&out).contains("Total events: 3, Invalid events: 1"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_statements_are_skipped_failed_or_accepted() {
    let sb = Sandbox::fresh();
    let lines = input(&[GENERIC, PAGE_VIEWED]);
    let out = sb.run(&["validate", "-f", "xapi"], &lines);
    assert_code(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 1);
    assert!(
        stderr(&out).contains("line 1: no known statement type"),
        "{}",
        stderr(&out)
    );

    let out = sb.run(&["validate", "-f", "xapi", "-F", "-I"], &lines);
    assert_code(&out, 1);

    let out = sb.run(&["validate", "-f", "xapi", "--generic"], &lines);
    assert_code(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 2);
}

#[test]
fn a_line_that_is_not_json_is_invalid() {
    let sb = Sandbox::fresh();
    let out = sb.run(&["validate", "-f", "xapi"], b"{\"actor\":\n");
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("line 1: not valid JSON"),
        "{}",
        stderr(&out)
    );
}

/// Many batches go through the workers at once: the output keeps the input order and an
/// invalid line far into the input is named by its number.
#[test]
fn long_inputs_keep_their_order_and_line_numbers_across_batches() {
    const LINES: usize = 9_000;
    const BAD: usize = 7_777;
    let sb = Sandbox::fresh();
    let mut text = String::new();
    for n in 1..=LINES {
        if n == BAD {
            text.push_str(INVALID);
        } else {
            text.push_str(&PAGE_VIEWED.replace("/p\"", &format!("/p{n}\"")));
        }
        text.push('\n');
    }
    let out = sb.run(&["validate", "-f", "xapi", "-I"], text.as_bytes());
    assert_code(&out, 0);
    let pages: Vec<String> = stdout(&out)
        .lines()
        .map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).expect("JSON output");
            value["object"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    let expected: Vec<String> = (1..=LINES)
        .filter(|&n| n != BAD)
        .map(|n| format!("https://example.org/p{n}"))
        .collect();
    assert_eq!(pages, expected);
    assert!(
        stderr(&out).contains(&format!("line {BAD}: invalid xAPI statement")),
        "{}",
        stderr(&out)
    );

    let out = sb.run(&["validate", "-f", "xapi"], text.as_bytes());
    assert_code(&out, 1);
    assert_eq!(stdout(&out).lines().count(), BAD - 1);
    assert!(
        stderr(&out).contains(&format!("Total events: {BAD}, Invalid events: 1")),
        "{}",
        stderr(&out)
    );
}
