//! The edX models against outputs of Ralph 5.1's `ralph validate -f edx`.
//!
//! `edx_events.jsonl` holds one valid event per model (105) with the exact line Ralph prints for
//! it; `edx_invalid.json` holds, for every family, mutations that Ralph rejects too.

use std::collections::HashSet;

use ralph_models::edx::{self, EdxError, Family, Source};
use serde_json::Value;

struct Sample {
    model: String,
    input: String,
    expected: String,
}

fn samples() -> Vec<Sample> {
    include_str!("edx_events.jsonl")
        .lines()
        .map(|line| {
            let row: Value = serde_json::from_str(line).expect("fixture line is JSON");
            let text = |key: &str| row[key].as_str().expect("fixture field").to_owned();
            Sample {
                model: text("model"),
                input: text("input"),
                expected: text("expected"),
            }
        })
        .collect()
}

fn sample_event(model: &str) -> Value {
    let sample = samples()
        .into_iter()
        .find(|s| s.model == model)
        .expect("a sample for every model");
    serde_json::from_str(&sample.input).expect("sample is JSON")
}

#[test]
fn there_are_105_models_60_server_45_browser_in_18_families() {
    let models: Vec<_> = edx::models().collect();
    assert_eq!(models.len(), 105);
    let server = models
        .iter()
        .filter(|m| m.source() == Source::Server)
        .count();
    assert_eq!((server, models.len() - server), (60, 45));
    let families: HashSet<Family> = models.iter().map(|m| m.family()).collect();
    assert_eq!(families.len(), 18);
    let names: HashSet<&str> = models.iter().map(|m| m.name()).collect();
    assert_eq!(names.len(), 105, "model names are unique");
    for m in &models {
        assert_eq!(edx::model(m.name()), Some(*m));
    }
}

#[test]
fn every_model_normalises_its_sample_exactly_as_ralph_prints_it() {
    let samples = samples();
    assert_eq!(samples.len(), 105);
    let covered: HashSet<&str> = samples.iter().map(|s| s.model.as_str()).collect();
    for m in edx::models() {
        assert!(covered.contains(m.name()), "no sample for {}", m.name());
    }
    for sample in &samples {
        let event: Value = serde_json::from_str(&sample.input).expect("sample is JSON");
        let model = edx::select(&event).expect("sample is selected");
        assert_eq!(model.name(), sample.model, "selector of {}", sample.model);
        let line = edx::validate_line(&sample.input)
            .unwrap_or_else(|e| panic!("{} is valid: {e}", sample.model));
        assert_eq!(line, sample.expected, "{}", sample.model);
    }
}

#[test]
fn validate_line_accepts_a_trailing_newline() {
    let sample = &samples()[0];
    let with_newline = format!("{}\n", sample.input);
    assert_eq!(
        edx::validate_line(&with_newline).as_deref(),
        Ok(sample.expected.as_str())
    );
}

fn set_pointer(event: &mut Value, pointer: &str, value: Option<Value>) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a key");
    let parent = event
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("pointer parent is an object");
    match value {
        Some(value) => parent.insert(key.to_owned(), value),
        None => parent.remove(key),
    };
}

#[test]
fn invalid_events_of_every_family_are_rejected_with_the_path_of_the_bad_field() {
    let cases: Vec<Value> =
        serde_json::from_str(include_str!("edx_invalid.json")).expect("fixture is JSON");
    let mut families = HashSet::new();
    for case in &cases {
        let model = case["model"].as_str().expect("model");
        let pointer = case["pointer"].as_str().expect("pointer");
        let path = case["path"].as_str().expect("path");
        let mut event = sample_event(model);
        let value = if case["remove"] == Value::Bool(true) {
            None
        } else {
            Some(case["value"].clone())
        };
        set_pointer(&mut event, pointer, value);
        let selected = edx::select(&event).expect("mutation keeps the selector");
        families.insert(selected.family());
        match selected.validate(&event) {
            Err(EdxError::Invalid {
                model: m,
                path: p,
                reason,
            }) => {
                assert_eq!(
                    (m, p.as_str()),
                    (model, path),
                    "{model} {pointer}: {reason}"
                );
                assert!(!reason.is_empty());
            }
            other => panic!("{model} {pointer}: expected an invalid event, got {other:?}"),
        }
    }
    assert_eq!(families.len(), 18, "every family has an invalid case");
}

#[test]
fn event_as_a_json_string_or_an_object_gives_the_same_output() {
    // Ralph accepts both forms for some models only; here every model does. Take the server
    // models whose sample has an object `event` and feed them the string form.
    for sample in samples() {
        let mut event: Value = serde_json::from_str(&sample.input).expect("JSON");
        let Some(object @ Value::Object(_)) = event.get("event").cloned() else {
            continue;
        };
        if sample.model == "UIPageClose" {
            continue;
        }
        event["event"] = Value::String(object.to_string());
        let model = edx::select(&event).expect("selected");
        let normalised = model
            .validate(&event)
            .unwrap_or_else(|e| panic!("{}: string event: {e}", sample.model));
        assert_eq!(
            edx::json::to_string(&normalised),
            sample.expected,
            "{}",
            sample.model
        );
    }
}

#[test]
fn problem_check_with_a_json_string_event_is_valid() {
    // Ralph's `ProblemCheck` only accepts an object `event`.
    let object_form = sample_event("ProblemCheck");
    let mut string_form = object_form.clone();
    string_form["event"] = Value::String(object_form["event"].to_string());
    let (model, from_string) = edx::validate(&string_form).expect("valid");
    assert_eq!(model.name(), "ProblemCheck");
    let (_, from_object) = edx::validate(&object_form).expect("valid");
    assert_eq!(from_string, from_object);
    assert!(from_string["event"].is_object());
}

#[test]
fn the_selector_reports_unknown_events_and_finds_server_page_requests() {
    let unknown: Value = serde_json::json!({"event_source": "browser", "event_type": "nope"});
    assert_eq!(
        edx::select(&unknown),
        Err(EdxError::UnknownEvent {
            event_source: "browser".to_owned(),
            event_type: "nope".to_owned(),
        })
    );
    // A server event type is not a browser one.
    let wrong_side =
        serde_json::json!({"event_source": "browser", "event_type": "problem_rescore"});
    assert!(matches!(
        edx::select(&wrong_side),
        Err(EdxError::UnknownEvent { .. })
    ));
    // The same event type exists on both sides.
    for (source, name) in [
        ("server", "EdxDoneToggled"),
        ("browser", "UIEdxDoneToggled"),
    ] {
        let event = serde_json::json!({"event_source": source, "event_type": "edx.done.toggled"});
        assert_eq!(edx::select(&event).map(|m| m.name()), Ok(name));
    }
    let page = serde_json::json!({
        "event_source": "server", "event_type": "/courses/x/about",
        "context": {"path": "/courses/x/about"}
    });
    assert_eq!(edx::select(&page).map(|m| m.name()), Ok("Server"));
    let other_path = serde_json::json!({
        "event_source": "server", "event_type": "/courses/x/about",
        "context": {"path": "/elsewhere"}
    });
    assert!(edx::select(&other_path).is_err());
    assert!(edx::select(&serde_json::json!([1, 2])).is_err());
}

#[test]
fn the_string_selector_agrees_with_the_selector() {
    let mut cases: Vec<(&str, String, Option<&str>)> = Vec::new();
    for model in edx::models() {
        for source in ["server", "browser", "mobile"] {
            let name = model.event_type().unwrap_or("/courses/x/about");
            cases.push((source, name.to_owned(), None));
            cases.push((source, name.to_owned(), Some(name)));
            cases.push((source, name.to_owned(), Some("/elsewhere")));
        }
    }
    cases.push(("server", "nope".to_owned(), Some("nope")));
    cases.push(("browser", "nope".to_owned(), Some("nope")));
    for (source, event_type, path) in cases {
        let mut event = serde_json::json!({"event_source": source, "event_type": event_type});
        if let Some(path) = path {
            event["context"] = serde_json::json!({"path": path});
        }
        assert_eq!(
            edx::select_strs(source, &event_type, path),
            edx::select(&event).ok(),
            "{event}"
        );
    }
}

#[test]
fn error_messages_name_the_model_the_field_and_the_values() {
    let err = edx::validate_line(r#"{"event_source":"browser","event_type":"nope"}"#)
        .expect_err("unknown");
    assert_eq!(
        err.to_string(),
        "unknown edX event: event_source `browser`, event_type `nope`"
    );
    let mut event = sample_event("UIPlayVideo");
    event["event"] = serde_json::json!({"id": "a1", "code": "html5", "currentTime": -1});
    let err = edx::select(&event)
        .and_then(|m| m.validate(&event))
        .expect_err("invalid");
    assert_eq!(
        err.to_string(),
        "invalid `UIPlayVideo` event: event.currentTime: expected a number greater than or equal to 0"
    );
}

#[test]
fn invalid_json_and_unknown_events_are_told_apart() {
    assert!(matches!(
        edx::validate_line("{not json"),
        Err(EdxError::InvalidJson(_))
    ));
    assert!(matches!(
        edx::validate_line(r#"{"event_source":"server","event_type":"nope"}"#),
        Err(EdxError::UnknownEvent { .. })
    ));
}

#[test]
fn fuzzed_events_are_accepted_rejected_and_normalised_as_ralph_does() {
    // Mutations of the samples (random values in random fields), with Ralph 5.1's verdict:
    // the line it prints, or null when it rejects the event.
    let mut checked = 0;
    for row in include_str!("edx_differential.jsonl").lines() {
        let row: Value = serde_json::from_str(row).expect("fixture line is JSON");
        let line = row["line"].as_str().expect("line");
        let got = edx::validate_line(line);
        match row["ralph"].as_str() {
            Some(expected) => assert_eq!(got.as_deref(), Ok(expected), "{line}"),
            None => assert!(got.is_err(), "Ralph rejects {line}, got {got:?}"),
        }
        checked += 1;
    }
    assert!(checked >= 200);
}
