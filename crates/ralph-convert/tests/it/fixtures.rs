//! One fixture per conversion: `fixtures/<Model>.input.json` (in the crate directory) (the raw line, with its `\n`) and
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
        .join("fixtures")
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

/// With `RALPH_BLESS=1`, missing expected files of conversions beyond Ralph's are written from
/// the current output (to review before committing); Ralph's nine come from Ralph itself.
fn bless(source: &str, ralph: bool, statement: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(format!("{source}.expected.json"));
    if !ralph && std::env::var_os("RALPH_BLESS").is_some() && !path.exists() {
        std::fs::write(&path, format!("{statement}\n")).expect("write expected fixture");
    }
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
        bless(conversion.source, conversion.ralph, &statement);
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

fn convert_edited(model: &str, edit: impl FnOnce(&mut serde_json::Value)) -> serde_json::Value {
    let mut event: serde_json::Value = serde_json::from_str(&input(model)).expect("JSON");
    edit(&mut event);
    let statement = converter()
        .convert_line(&format!("{event}\n"))
        .expect("converts")
        .expect("statement");
    // The first statement (a multi-question problem gives one per question after it).
    let first = statement.lines().next().expect("a statement");
    serde_json::from_str(first).expect("statement is JSON")
}

#[test]
fn problem_check_responses_follow_the_submission() {
    let input_id = "0123456789abcdef0123456789abcdef_2_1";
    // One submission with several choices: a JSON list, as event-routing-backends writes it.
    let statement = convert_edited("problem_check.server", |e| {
        e["event"]["submission"][input_id]["answer"] = serde_json::json!(["choice_0", "choice_2"]);
        e["event"]["submission"][input_id]["correct"] = false.into();
        e["event"]["grade"] = 0.into();
    });
    assert_eq!(
        statement["result"]["response"],
        r#"["choice_0", "choice_2"]"#
    );
    assert_eq!(statement["result"]["success"], false);
    assert_eq!(
        statement["result"]["score"],
        serde_json::json!({"scaled": 0.0, "raw": 0, "min": 0, "max": 1})
    );
    // Several submissions: the problem's statement has the answers as JSON, success from the
    // event, no single question; one statement per question follows.
    let other = "fedcba9876543210fedcba9876543210_2_1";
    let statement = convert_edited("problem_check.server", |e| {
        let event = &mut e["event"];
        event["answers"][other] = "x".into();
        event["submission"][other] = event["submission"][input_id].clone();
        event["max_grade"] = 2.into();
        event["grade"] = 1.into();
        event["success"] = "incorrect".into();
    });
    assert_eq!(
        statement["result"]["response"],
        format!(r#"{{"{input_id}":"choice_1","{other}":"x"}}"#)
    );
    assert_eq!(statement["result"]["success"], false);
    assert_eq!(statement["result"]["score"]["scaled"], 0.5);
    assert!(
        statement["object"]["definition"]
            .get("description")
            .is_none()
    );
    assert_eq!(
        statement["object"]["definition"]["interactionType"],
        "other"
    );
}

#[test]
fn a_problem_check_with_several_questions_gives_one_statement_per_question() {
    let input_id = "0123456789abcdef0123456789abcdef_2_1";
    let other = "0123456789abcdef0123456789abcdef_3_1";
    let mut event: serde_json::Value =
        serde_json::from_str(&input("problem_check.server")).expect("JSON");
    let e = &mut event["event"];
    e["submission"][other] = serde_json::json!({"answer": ["a", "b"], "correct": false,
        "question": "Pick two", "response_type": "choiceresponse", "input_type": "checkboxgroup"});
    e["max_grade"] = 2.into();
    let line = format!("{event}\n");
    let out = converter().try_convert_line(&line).expect("converts");
    let statements: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("statement"))
        .collect();
    assert_eq!(statements.len(), 3, "{out}");
    let problem = &statements[0];
    for (question, (input, response, success)) in statements[1..]
        .iter()
        .zip([(input_id, "B", true), (other, r#"["a", "b"]"#, false)])
    {
        assert_eq!(
            question["object"]["id"],
            format!("https://example.org/xblock/block-v1:FUN+101+2024+type@problem+block@{input}")
        );
        assert_eq!(question["result"]["response"], response);
        assert_eq!(question["result"]["success"], success);
        assert!(question["result"].get("score").is_none());
        assert_eq!(question["context"]["statement"]["id"], problem["id"]);
        assert_eq!(
            question["context"]["contextActivities"]["parent"][0]["id"],
            problem["object"]["id"]
        );
        let id = Uuid::new_v5(
            &converter().namespace(),
            format!("{line}{input}").as_bytes(),
        );
        assert_eq!(question["id"], id.to_string());
        ralph_models::xapi::validate_statement(question).expect("valid xAPI");
    }
}

#[test]
fn extra_conversions_leave_out_the_course_when_there_is_none() {
    let statement = convert_edited("UISeqNext", |e| e["context"]["course_id"] = "".into());
    assert!(statement["context"].get("contextActivities").is_none());
    assert_eq!(
        statement["context"]["extensions"]["http://id.tincanapi.com/extension/ending-point"],
        2
    );
}
