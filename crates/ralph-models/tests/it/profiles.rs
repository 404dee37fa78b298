//! Statement types and the selector.

use std::collections::HashSet;

use ralph_models::xapi::{self, Profile, Rule};
use serde_json::json;

#[test]
fn statement_types_inventory() {
    let types = xapi::statement_types();
    let count = |p: Profile| types.iter().filter(|t| t.profile == p).count();
    assert_eq!(count(Profile::Navigation), 2);
    assert_eq!(count(Profile::Video), 10);
    assert_eq!(count(Profile::Lms), 12);
    assert_eq!(count(Profile::VirtualClassroom), 15);
    assert_eq!(count(Profile::Cmi5), 9);
    let names: HashSet<_> = types.iter().map(|t| t.name).collect();
    assert_eq!(names.len(), types.len());
    for t in types {
        let example = xapi::validate(&t.example()).unwrap();
        assert!(t.matches(&example), "{}", t.name);
    }
}

#[test]
fn selector_finds_the_candidates() {
    let video = xapi::statement_type("VideoVolumeChangeInteraction").unwrap();
    let statement = xapi::validate(&video.example()).unwrap();
    let names: Vec<_> = xapi::selector()
        .select(&statement)
        .iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(
        names,
        [
            "VideoEnableClosedCaptioning",
            "VideoVolumeChangeInteraction",
            "VideoScreenChangeInteraction",
            "VideoInteracted"
        ]
    );
    let validated = xapi::validate_statement(&video.example()).unwrap();
    assert_eq!(validated.type_name(), Some("VideoVolumeChangeInteraction"));

    let cmi5 = xapi::statement_type("Cmi5Terminated").unwrap();
    let statement = xapi::validate(&cmi5.example()).unwrap();
    let names: Vec<_> = xapi::selector()
        .select(&statement)
        .iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["Cmi5Terminated"]);

    // The same verb without the cmi5 category is a generic statement.
    let mut generic = cmi5.example();
    generic["context"]["contextActivities"]["category"] =
        json!([{"id": "https://example.org/other"}]);
    let validated = xapi::validate_statement(&generic).unwrap();
    assert_eq!(validated.type_name(), None);
}

#[test]
fn failing_candidates_report_every_candidate() {
    let mut statement = xapi::statement_type("VideoScreenChangeInteraction")
        .unwrap()
        .example();
    statement["context"]["extensions"]
        .as_object_mut()
        .unwrap()
        .remove("https://w3id.org/xapi/video/extensions/full-screen");
    let err = xapi::validate_statement(&statement).unwrap_err();
    let text = err.to_string();
    for name in [
        "VideoEnableClosedCaptioning",
        "VideoVolumeChangeInteraction",
        "VideoScreenChangeInteraction",
        "VideoInteracted",
    ] {
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn video_interactions_outside_the_three_templates() {
    const TIME: &str = "https://w3id.org/xapi/video/extensions/time";
    const LANG: &str = "https://w3id.org/xapi/video/extensions/cc-subtitle-lang";
    const VOLUME: &str = "https://w3id.org/xapi/video/extensions/volume";
    let captions = xapi::statement_type("VideoEnableClosedCaptioning")
        .unwrap()
        .example();

    // A transcript shown: `cc-enabled` without a caption language.
    let mut transcript = captions.clone();
    transcript["context"]["extensions"]
        .as_object_mut()
        .unwrap()
        .remove(LANG);
    let validated = xapi::validate_statement(&transcript).unwrap();
    assert_eq!(validated.type_name(), Some("VideoInteracted"));

    // A speed change.
    let mut speed = transcript.clone();
    speed["result"]["extensions"]
        .as_object_mut()
        .unwrap()
        .remove("https://w3id.org/xapi/video/extensions/cc-enabled");
    speed["context"]["extensions"]["https://w3id.org/xapi/video/extensions/speed"] = json!("1.5x");
    let validated = xapi::validate_statement(&speed).unwrap();
    assert_eq!(validated.type_name(), Some("VideoInteracted"));

    // Every video interaction has a time.
    let mut untimed = speed.clone();
    untimed["result"]["extensions"]
        .as_object_mut()
        .unwrap()
        .remove(TIME);
    untimed["result"]["extensions"]["https://w3id.org/xapi/video/extensions/cc-enabled"] =
        json!(true);
    let err = xapi::validate_statement(&untimed).unwrap_err();
    assert!(
        err.to_string().contains(
            r#"result.extensions["https://w3id.org/xapi/video/extensions/time"]: required in a `VideoInteracted` statement"#
        ),
        "{err}"
    );

    // A template's own extension holds the statement to that template.
    let mut captions_untimed = captions.clone();
    captions_untimed["result"]["extensions"]
        .as_object_mut()
        .unwrap()
        .remove(TIME);
    assert!(xapi::validate_statement(&captions_untimed).is_err());
    let mut volume = speed;
    volume["context"]["extensions"][VOLUME] = json!("loud");
    let err = xapi::validate_statement(&volume).unwrap_err();
    assert!(
        err.to_string().contains(
            "not allowed (a `VideoVolumeChangeInteraction` extension) in a `VideoInteracted`"
        ),
        "{err}"
    );
}

#[test]
fn video_session_id_is_required_with_context_extensions() {
    let mut statement = xapi::statement_type("VideoPlayed").unwrap().example();
    statement["context"]["extensions"] =
        json!({"https://w3id.org/xapi/video/extensions/length": 1});
    let err = xapi::validate_statement(&statement).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid xAPI statement: context.extensions["https://w3id.org/xapi/video/extensions/session-id"]: required in a `VideoPlayed` statement"#
    );
    statement["context"]["extensions"]["https://w3id.org/xapi/video/extensions/session-id"] =
        json!(null);
    assert!(xapi::validate_statement(&statement).is_ok());
}

#[test]
fn lms_and_virtual_classroom_rules() {
    let mut lms = xapi::statement_type("LMSRegisteredCourse")
        .unwrap()
        .example();
    lms["context"]["extensions"] =
        json!({"https://w3id.org/xapi/lms/extensions/starting-date": "2024-01-15T10:00:00Z"});
    let err = xapi::validate_statement(&lms).unwrap_err();
    assert!(
        err.validation_errors().unwrap().has(Rule::ProfileRequired),
        "{err}"
    );

    let mut vc = xapi::statement_type("VirtualClassroomAnsweredPoll")
        .unwrap()
        .example();
    vc["result"] = json!({"success": true});
    vc["context"]["contextActivities"]["parent"] = json!({"id": "https://example.org/c", "definition": {"type": "https://example.org/not-a-classroom"}});
    let err = xapi::validate_statement(&vc).unwrap_err();
    let paths: Vec<_> = err
        .validation_errors()
        .unwrap()
        .as_slice()
        .iter()
        .map(|e| e.path.clone())
        .collect();
    assert_eq!(
        paths,
        ["context.contextActivities.parent", "result.response"]
    );
}

#[test]
fn cmi5_rules() {
    let passed = xapi::statement_type("Cmi5Passed").unwrap().example();
    let mut low = passed.clone();
    low["result"]["score"] = json!({"scaled": 0.1});
    let err = xapi::validate_statement(&low).unwrap_err();
    assert!(
        err.to_string()
            .contains("result.score.scaled: must be at least the mastery score"),
        "{err}"
    );

    let mut local_time = passed.clone();
    local_time["timestamp"] = json!("2024-01-15T10:00:00+02:00");
    let err = xapi::validate_statement(&local_time).unwrap_err();
    assert!(
        err.to_string().contains("timestamp: must be in UTC"),
        "{err}"
    );

    let mut by_mail = passed.clone();
    by_mail["actor"] = json!({"mbox": "mailto:jane@example.org"});
    let err = xapi::validate_statement(&by_mail).unwrap_err();
    assert!(
        err.to_string()
            .contains("actor: must be an Agent identified by an `account`"),
        "{err}"
    );

    let mut satisfied = xapi::statement_type("Cmi5Satisfied").unwrap().example();
    satisfied["object"]["definition"]["type"] = json!("https://example.org/types/au");
    let err = xapi::validate_statement(&satisfied).unwrap_err();
    assert_eq!(
        err.validation_errors().unwrap().as_slice()[0].path,
        "object.definition.type"
    );

    let mut waived = xapi::statement_type("Cmi5Waived").unwrap().example();
    waived["result"]
        .as_object_mut()
        .unwrap()
        .remove("extensions");
    let err = xapi::validate_statement(&waived).unwrap_err();
    assert_eq!(
        err.validation_errors().unwrap().as_slice()[0].path,
        "result.extensions"
    );
}
