//! Error cases, classified as Ralph's `convert` classifies them.

use ralph_convert::{ConvertError, Converter};
use uuid::Uuid;

use crate::fixtures::{NAMESPACE, converter, input};

fn with(model: &str, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut event: serde_json::Value = serde_json::from_str(&input(model)).expect("JSON");
    edit(&mut event);
    format!("{event}\n")
}

fn conversion_error(line: &str) -> (String, String) {
    match converter().convert_line(line) {
        Err(ConvertError::Conversion { path, reason, .. }) => (path, reason),
        other => panic!("expected a conversion error, got {other:?}"),
    }
}

#[test]
fn invalid_json_is_an_error() {
    assert!(matches!(
        converter().convert_line("{not json\n"),
        Err(ConvertError::InvalidJson(_))
    ));
}

#[test]
fn unknown_events_and_events_without_conversion_are_skipped() {
    let converter = converter();
    let unknown = r#"{"event_source":"browser","event_type":"nope"}"#;
    assert_eq!(converter.convert_line(unknown), Ok(None));
    let err = converter.try_convert_line(unknown).expect_err("unknown");
    assert!(matches!(err, ConvertError::UnknownEvent { .. }) && err.is_unknown());

    let cohort = with("EdxCourseEnrollmentActivated", |e| {
        e["event_type"] = "edx.cohort.created".into();
    });
    assert_eq!(converter.convert_line(&cohort), Ok(None));
    assert_eq!(
        converter.try_convert_line(&cohort),
        Err(ConvertError::MissingConversion {
            model: "EdxCohortCreated"
        })
    );
}

#[test]
fn ralph_conversions_report_the_failing_field() {
    // Each was checked against Ralph 5.1, which fails on the same events.
    let cases = [
        (
            with("UIPlayVideo", |e| e["event"]["currentTime"] = (-1).into()),
            "result.extensions.https://w3id.org/xapi/video/extensions/time",
        ),
        (
            with("UIPlayVideo", |e| {
                e["event"]["currentTime"] = serde_json::Value::Null
            }),
            "result",
        ),
        (
            with("UIPlayVideo", |e| e["event"]["id"] = "".into()),
            "object.definition.name.en-US",
        ),
        (
            with("UIPlayVideo", |e| e["event"]["id"] = 123.into()),
            "event.id",
        ),
        (
            with("UIPauseVideo", |e| e["session"] = "".into()),
            "context.extensions.https://w3id.org/xapi/video/extensions/session-id",
        ),
        (
            with("UIPageClose", |e| e["page"] = "not a url".into()),
            "object.id",
        ),
        (
            with("Server", |e| {
                e["event_type"] = "/a b".into();
                e["context"]["path"] = "/a b".into();
            }),
            "object.id",
        ),
        (
            with("EdxCourseEnrollmentActivated", |e| {
                e.as_object_mut().expect("object").remove("time");
            }),
            "timestamp",
        ),
        (
            with("Server", |e| e["time"] = "yesterday".into()),
            "timestamp",
        ),
    ];
    for (line, path) in cases {
        let (got, reason) = conversion_error(&line);
        assert_eq!(got, path, "{reason}");
    }
}

#[test]
fn values_ralph_drops_are_left_out() {
    let converter = converter();
    // An empty session leaves the played statement without context extensions.
    let played = converter
        .convert_line(&with("UIPlayVideo", |e| e["session"] = "".into()))
        .expect("converts")
        .expect("statement");
    assert!(!played.contains("session-id"), "{played}");
    // An empty user agent is left out of the initialized statement.
    let loaded = converter
        .convert_line(&with("UILoadVideo", |e| e["agent"] = "".into()))
        .expect("converts")
        .expect("statement");
    assert!(!loaded.contains("user-agent"), "{loaded}");
    // No time, no timestamp (page statements do not require one).
    let closed = converter
        .convert_line(&with("UIPageClose", |e| {
            e.as_object_mut().expect("object").remove("time");
        }))
        .expect("converts")
        .expect("statement");
    assert!(!closed.contains("timestamp"), "{closed}");
    // A falsy user id is `anonymous`.
    let anonymous = converter
        .convert_line(&with("Server", |e| e["context"]["user_id"] = "".into()))
        .expect("converts")
        .expect("statement");
    assert!(anonymous.contains(r#""name":"anonymous""#), "{anonymous}");
}

#[test]
fn extra_conversions_validate_their_source() {
    let (path, reason) = conversion_error(&with("UISeqNext", |e| {
        e["event"] = r#"{"id":"block-v1:FUN+101+2024+type@sequential+block@0123456789abcdef0123456789abcdef","new":5,"old":1}"#.into();
    }));
    assert_eq!(path, "event.new", "{reason}");
    let (path, _) = conversion_error(&with("problem_check.server", |e| {
        e["event"]["grade"] = 3.into();
    }));
    assert_eq!(path, "result.score.raw");
}

#[test]
fn an_invalid_platform_url_fails_every_conversion() {
    let converter = Converter::new(Uuid::parse_str(NAMESPACE).expect("namespace"), "not a url");
    match converter.convert_line(&input("Server")) {
        Err(ConvertError::Conversion { path, .. }) => assert_eq!(path, "actor.account.homePage"),
        other => panic!("{other:?}"),
    }
}
