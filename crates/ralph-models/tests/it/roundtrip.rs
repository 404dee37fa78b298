//! Generated statements validate and re-serialise to the same JSON text.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use ralph_models::xapi::{self, strategies};
use serde_json::json;

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn generic_statements_round_trip(statement in strategies::statement()) {
        let text = serde_json::to_string(&statement).unwrap();
        let validated = match xapi::validate_statement(&statement) {
            Ok(v) => v,
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n{text}"))),
        };
        prop_assert_eq!(validated.type_name(), None);
        prop_assert_eq!(&validated.json, &text);
        // The serde entry point agrees.
        let typed: xapi::Statement = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(typed, validated.statement);
    }

    #[test]
    fn typed_statements_round_trip((statement_type, statement) in strategies::typed_statement()) {
        let text = serde_json::to_string(&statement).unwrap();
        let validated = match xapi::validate_statement(&statement) {
            Ok(v) => v,
            Err(e) => return Err(TestCaseError::fail(format!("{}: {e}\n{text}", statement_type.name))),
        };
        prop_assert_eq!(validated.type_name(), Some(statement_type.name));
        prop_assert_eq!(&validated.json, &text);
    }
}

#[test]
fn every_statement_type_round_trips() {
    let mut runner = TestRunner::new(config(24));
    for statement_type in xapi::statement_types() {
        let example = statement_type.example();
        let validated = xapi::validate_statement(&example)
            .unwrap_or_else(|e| panic!("{}: {e}", statement_type.name));
        assert_eq!(validated.type_name(), Some(statement_type.name));
        assert_eq!(validated.json, example.to_string());
        runner
            .run(
                &strategies::statement_of_type(statement_type),
                |statement| {
                    let validated = xapi::validate_statement(&statement).map_err(|e| {
                        TestCaseError::fail(format!("{}: {e}\n{statement}", statement_type.name))
                    })?;
                    prop_assert_eq!(validated.type_name(), Some(statement_type.name));
                    prop_assert_eq!(validated.json, statement.to_string());
                    Ok(())
                },
            )
            .unwrap();
    }
}

#[test]
fn output_is_normalised_and_stable() {
    let input = json!({
        "version": "1.0.3",
        "timestamp": "2024-01-15T10:00:00.5+00:00",
        "object": {"definition": {"type": "https://example.org/t"}, "id": "https://example.org/a"},
        "verb": {"id": "https://example.org/verbs/did"},
        "actor": {"name": "Jane", "mbox": "mailto:Jane.Doe@EXAMPLE.org"},
        "id": "FD41C918-B88B-4B20-A0A5-A4C32391AAA0",
        "result": {"score": {"raw": 1, "max": 1.0}}
    });
    let validated = xapi::validate_statement(&input).unwrap();
    let expected = r#"{"id":"fd41c918-b88b-4b20-a0a5-a4c32391aaa0","actor":{"mbox":"mailto:Jane.Doe@example.org","objectType":"Agent","name":"Jane"},"verb":{"id":"https://example.org/verbs/did"},"object":{"id":"https://example.org/a","definition":{"type":"https://example.org/t"}},"result":{"score":{"raw":1,"max":1.0}},"timestamp":"2024-01-15T10:00:00.5Z","version":"1.0.3"}"#;
    assert_eq!(validated.json, expected);
    let again = xapi::validate_statement_str(&validated.json).unwrap();
    assert_eq!(again.json, expected);
}

#[test]
fn version_defaults() {
    let base = json!({
        "actor": {"openid": "https://openid.example.org/jane"},
        "verb": {"id": "https://example.org/verbs/did"},
        "object": {"id": "https://example.org/a"}
    });
    let v = xapi::validate(&base).unwrap();
    assert_eq!(v.version, "1.0.0");
    let mut v2 = base.clone();
    v2["context"] = json!({"contextAgents": [{"objectType": "contextAgent", "agent": {"openid": "https://openid.example.org/bob"}}]});
    assert_eq!(xapi::validate(&v2).unwrap().version, "2.0.0");
}
