//! The conversions of the events event-routing-backends maps: robust input (string or object
//! payloads, missing optional fields, anonymous learners, mobile and server sources), errors
//! naming the missing field, and no panic on mutated events.

use ralph_convert::{ActorId, ConvertError, conversions};
use serde_json::{Value, json};

use crate::fixtures::{converter, input};

/// The conversions beyond Ralph's nine whose source is an event name (not a Ralph model).
fn erb_sources() -> impl Iterator<Item = &'static str> {
    conversions()
        .iter()
        .filter(|c| !c.ralph && !c.source.starts_with("UI"))
        .map(|c| c.source)
}

fn event(source: &str) -> Value {
    serde_json::from_str(&input(source)).expect("fixture is JSON")
}

fn convert(event: &Value) -> Result<String, ConvertError> {
    converter().try_convert_line(&format!("{event}\n"))
}

/// The statement without its id (which hashes the raw line).
fn body(statement: &str) -> &str {
    &statement[statement.find(r#","actor""#).expect("actor")..]
}

fn error_path(event: &Value) -> String {
    match convert(event) {
        Err(ConvertError::Conversion { path, .. }) => path,
        other => panic!("expected a conversion error, got {other:?}"),
    }
}

#[test]
fn a_payload_as_a_json_string_converts_like_an_object() {
    let mut checked = 0;
    for source in erb_sources() {
        let object = event(source);
        if !object["event"].is_object() {
            continue;
        }
        let mut string = object.clone();
        string["event"] = Value::String(object["event"].to_string());
        let a = convert(&object).unwrap_or_else(|e| panic!("{source}: {e}"));
        let b = convert(&string).unwrap_or_else(|e| panic!("{source}: {e}"));
        assert_eq!(body(&a), body(&b), "{source}");
        checked += 1;
    }
    assert!(checked >= 45, "{checked}");
}

#[test]
fn anonymous_learners_are_anonymous() {
    for source in erb_sources() {
        let mut e = event(source);
        e["context"]["user_id"] = Value::Null;
        e["username"] = json!("");
        if let Some(payload) = e["event"].as_object_mut() {
            payload.remove("user_id");
        }
        let statement = convert(&e).unwrap_or_else(|err| panic!("{source}: {err}"));
        assert!(
            statement
                .contains(r#""account":{"homePage":"https://example.org","name":"anonymous"}"#),
            "{source}: {statement}"
        );
    }
}

#[test]
fn the_learner_of_a_grade_event_is_the_graded_one() {
    // Grade events are emitted by the server on behalf of the learner: `event.user_id`.
    let statement = convert(&event("edx.grades.subsection.grade_calculated")).expect("converts");
    assert!(statement.contains(r#""name":"42""#), "{statement}");
    let by_name = converter().with_actor_id(ActorId::Username);
    let mut e = event("edx.forum.thread.created");
    e["username"] = json!("bob");
    let statement = by_name
        .try_convert_line(&format!("{e}\n"))
        .expect("converts");
    assert!(statement.contains(r#""name":"bob""#), "{statement}");
}

#[test]
fn a_missing_field_the_statement_needs_is_an_error_naming_it() {
    let cases: [(&str, &str, &str); 14] = [
        ("edx.video.played", "current_time", "event.currentTime"),
        ("edx.video.position.changed", "new_time", "event.new_time"),
        ("edx.video.loaded", "id", "event.id"),
        ("speed_change_video", "new_speed", "event.new_speed"),
        ("edx.ui.lms.link_clicked", "target_url", "event.target_url"),
        ("edx.ui.lms.sequence.next_selected", "id", "event.id"),
        ("problem_check.server", "problem_id", "event.problem_id"),
        ("showanswer", "problem_id", "event.problem_id"),
        (
            "edx.problem.hint.demandhint_displayed",
            "hint_index",
            "event.hint_index",
        ),
        (
            "edx.grades.subsection.grade_calculated",
            "block_id",
            "event.block_id",
        ),
        (
            "edx.completion.block_completion.changed",
            "completion",
            "event.completion",
        ),
        ("edx.forum.thread.created", "id", "event.id"),
        (
            "edx.special_exam.timed.attempt.created",
            "exam_content_id",
            "event.exam_content_id",
        ),
        (
            "edx.grades.problem.submitted",
            "problem_id",
            "event.problem_id",
        ),
    ];
    for (source, field, path) in cases {
        let mut e = event(source);
        match &mut e["event"] {
            Value::Object(payload) => {
                payload.remove(field);
            }
            Value::String(s) => {
                let mut payload: Value = serde_json::from_str(s).expect("JSON payload");
                payload.as_object_mut().expect("object").remove(field);
                *s = payload.to_string();
            }
            other => panic!("{source}: {other}"),
        }
        assert_eq!(error_path(&e), path, "{source}");
    }
    // Context fields.
    let mut e = event("edx.video.played");
    e["context"]
        .as_object_mut()
        .expect("context")
        .remove("course_id");
    assert_eq!(error_path(&e), "context.course_id");
    let mut e = event("edx.forum.thread.edited");
    e["context"]
        .as_object_mut()
        .expect("context")
        .remove("path");
    assert_eq!(error_path(&e), "context.path");
    // A browser problem check without a referer block or an `input_` answer.
    let mut e = event("problem_check.browser");
    e["referer"] = json!("");
    e["event"] = json!("");
    assert_eq!(error_path(&e), "event");
}

#[test]
fn optional_fields_may_be_missing() {
    // ERB's "required only" events: the statement leaves the rest out.
    let mut e = event("edx.ui.lms.link_clicked");
    e["event"] = json!({"target_url": "https://example.org/courses/x/jump_to/y"});
    e["context"] = json!({"user_id": 42});
    e.as_object_mut().expect("object").remove("session");
    let statement = convert(&e).expect("converts");
    assert!(!statement.contains("contextActivities"), "{statement}");
    assert!(!statement.contains("session-id"), "{statement}");

    let mut e = event("edx.video.loaded");
    e["event"] = json!({"id": "a1b2c3d4e5f6"});
    let statement = convert(&e).expect("converts");
    assert!(
        statement.contains(r#""https://w3id.org/xapi/video/extensions/length":0.0"#),
        "{statement}"
    );

    let mut e = event("edx.grades.course.grade_calculated");
    e["event"]["letter_grade"] = json!("");
    let statement = convert(&e).expect("converts");
    assert!(
        statement.contains(r#"grade_classification":"Fail""#),
        "{statement}"
    );
}

#[test]
fn a_browser_problem_check_finds_its_problem_in_the_referer_first() {
    let mut e = event("problem_check.browser");
    e["referer"] = json!(
        "https://lms.example.org/courses/course-v1:FUN+101+2024/courseware/a/b/?activate_block_id=block-v1%3AFUN%2B101%2B2024%2Btype%40problem%2Bblock%40ffff"
    );
    let statement = convert(&e).expect("converts");
    assert!(
        statement.contains(
            r#""object":{"id":"https://example.org/xblock/block-v1:FUN+101+2024+type@problem+block@ffff""#
        ),
        "{statement}"
    );
    // A CCX course gives a CCX block key.
    let mut e = event("problem_check.browser");
    e["context"]["course_id"] = json!("ccx-v1:FUN+101+2024+ccx@3");
    let statement = convert(&e).expect("converts");
    assert!(
        statement.contains("/xblock/ccx-block-v1:FUN+101+2024+ccx@3+type@problem+block@"),
        "{statement}"
    );
}

/// Values a field is replaced with to shake the conversions.
fn mutations() -> [Value; 5] {
    [
        Value::Null,
        json!(""),
        json!(-1.5),
        json!("not a value"),
        json!([1, {"x": null}]),
    ]
}

#[test]
fn mutated_events_never_panic_and_produce_only_valid_statements() {
    use ralph_models::edx::json as edx_json;

    let mut converted = 0;
    let mut rejected = 0;
    for source in erb_sources() {
        let base = event(source);
        let mut paths: Vec<(String, Option<String>)> = Vec::new();
        for key in base.as_object().expect("object").keys() {
            paths.push((key.clone(), None));
        }
        for parent in ["context", "event"] {
            if let Some(map) = base[parent].as_object() {
                for key in map.keys() {
                    paths.push((parent.to_owned(), Some(key.clone())));
                }
            }
        }
        for (top, inner) in &paths {
            for value in mutations() {
                let mut e = base.clone();
                match inner {
                    None => e[top.as_str()] = value,
                    Some(inner) => e[top.as_str()][inner.as_str()] = value,
                }
                // The line read as a borrowed tree and the decoded `Value` give the same.
                let line = format!("{e}\n");
                let from_value = converter().convert_value_all(&e, &line).map(|all| {
                    let texts: Vec<String> = all.iter().map(edx_json::to_string).collect();
                    texts.join("\n")
                });
                assert_eq!(convert(&e), from_value, "{source} {top}.{inner:?}");
                match convert(&e) {
                    Ok(out) => {
                        converted += 1;
                        for statement in out.lines() {
                            if let Err(err) = ralph_models::xapi::validate_statement_str(statement)
                            {
                                panic!("{source} {top}.{inner:?}: {err}\n{statement}");
                            }
                        }
                    }
                    Err(_) => rejected += 1,
                }
            }
        }
    }
    assert!(
        converted > 1_000 && rejected > 100,
        "{converted} {rejected}"
    );
}
