//! One table of the validation rules: at least one failing and one passing case per rule.

use ralph_models::xapi::{self, Rule};
use serde_json::{Value, json};

/// A change applied to a valid base statement.
enum Op {
    Set(&'static str, Value),
    Remove(&'static str),
}

use Op::{Remove, Set};

struct Case {
    rule: Rule,
    ops: Vec<Op>,
    /// `Some(path)`: the rule must fail at `path`; `None`: the statement must be valid.
    fails_at: Option<&'static str>,
    /// Start from this statement type's example instead of the generic base.
    base: Option<&'static str>,
}

fn fail(rule: Rule, path: &'static str, ops: Vec<Op>) -> Case {
    Case {
        rule,
        ops,
        fails_at: Some(path),
        base: None,
    }
}

fn pass(rule: Rule, ops: Vec<Op>) -> Case {
    Case {
        rule,
        ops,
        fails_at: None,
        base: None,
    }
}

fn on(base: &'static str, case: Case) -> Case {
    Case {
        base: Some(base),
        ..case
    }
}

fn base() -> Value {
    json!({
        "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "actor": {"mbox": "mailto:jane@example.org", "objectType": "Agent"},
        "verb": {"id": "https://example.org/verbs/did", "display": {"en-US": "did"}},
        "object": {"id": "https://example.org/a", "definition": {"type": "https://example.org/types/t"}},
        "timestamp": "2024-01-15T10:00:00Z",
        "version": "1.0.0"
    })
}

/// Sets `value` at a JSON pointer, creating objects on the way.
fn set(root: &mut Value, pointer: &str, value: Value) {
    let mut cur = root;
    let parts: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i == parts.len() - 1;
        if let Ok(index) = part.parse::<usize>()
            && cur.is_array()
        {
            if last {
                let list = cur.as_array_mut().unwrap();
                if index == list.len() {
                    list.push(value);
                } else {
                    list[index] = value;
                }
                return;
            }
            cur = &mut cur[index];
            continue;
        }
        if last {
            cur[part.as_str()] = value;
            return;
        }
        if cur.get(part.as_str()).is_none() {
            cur[part.as_str()] = json!({});
        }
        cur = &mut cur[part.as_str()];
    }
}

fn remove(root: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = if parent.is_empty() {
        Some(&mut *root)
    } else {
        root.pointer_mut(parent)
    };
    if let Some(Value::Object(m)) = target {
        m.remove(&key.replace("~1", "/").replace("~0", "~"));
    }
}

const SHA1: &str = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3";
const SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn attachment() -> Value {
    json!({
        "usageType": "http://adlnet.gov/expapi/attachments/signature",
        "display": {"en-US": "signature"},
        "contentType": "application/octet-stream",
        "length": 4235,
        "sha2": SHA256
    })
}

fn substatement(object: Value) -> Value {
    json!({
        "objectType": "SubStatement",
        "actor": {"openid": "https://openid.example.org/bob"},
        "verb": {"id": "https://example.org/verbs/said"},
        "object": object
    })
}

const TIME: &str = "/result/extensions/https:~1~1w3id.org~1xapi~1video~1extensions~1time";

#[allow(clippy::too_many_lines)]
fn cases() -> Vec<Case> {
    use Rule::*;
    vec![
        fail(UnknownProperty, "foo", vec![Set("/foo", json!(1))]),
        fail(
            UnknownProperty,
            "actor.email",
            vec![Set("/actor/email", json!("x"))],
        ),
        pass(
            UnknownProperty,
            vec![Set(
                "/object/definition/extensions/https:~1~1example.org~1any",
                json!({"foo": 1}),
            )],
        ),
        fail(EmptyValue, "context", vec![Set("/context", json!({}))]),
        fail(
            EmptyValue,
            "result.response",
            vec![Set("/result/response", json!(""))],
        ),
        fail(EmptyValue, "id", vec![Set("/id", Value::Null)]),
        pass(
            EmptyValue,
            vec![Set(
                "/result/extensions",
                json!({"https://example.org/e": null, "https://example.org/f": {}, "https://example.org/g": ""}),
            )],
        ),
        fail(Required, "verb", vec![Remove("/verb")]),
        fail(Required, "object.id", vec![Remove("/object/id")]),
        pass(
            Required,
            vec![Remove("/id"), Remove("/timestamp"), Remove("/version")],
        ),
        fail(
            Type,
            "result.success",
            vec![Set("/result/success", json!("yes"))],
        ),
        fail(Type, "actor", vec![Set("/actor", json!("jane"))]),
        pass(Type, vec![Set("/result/success", json!(false))]),
        fail(Uuid, "id", vec![Set("/id", json!("not-a-uuid"))]),
        fail(
            Uuid,
            "context.registration",
            vec![Set(
                "/context/registration",
                json!("fd41c918b88b4b20a0a5a4c32391aaa0"),
            )],
        ),
        pass(
            Uuid,
            vec![Set("/id", json!("FD41C918-B88B-4B20-A0A5-A4C32391AAA0"))],
        ),
        fail(Iri, "verb.id", vec![Set("/verb/id", json!("did"))]),
        fail(
            Iri,
            r#"result.extensions["not an iri"]"#,
            vec![Set("/result/extensions", json!({"not an iri": 1}))],
        ),
        pass(Iri, vec![Set("/verb/id", json!("urn:example:verbs:did"))]),
        fail(
            Irl,
            "object.definition.moreInfo",
            vec![Set(
                "/object/definition/moreInfo",
                json!("urn:example:info"),
            )],
        ),
        pass(
            Irl,
            vec![Set(
                "/object/definition/moreInfo",
                json!("https://example.org/info"),
            )],
        ),
        fail(
            LanguageTag,
            "verb.display.en_US",
            vec![Set("/verb/display", json!({"en_US": "did"}))],
        ),
        fail(
            LanguageTag,
            "context.language",
            vec![Set("/context/language", json!("english language!"))],
        ),
        pass(
            LanguageTag,
            vec![
                Set(
                    "/verb/display",
                    json!({"zh-Hant-TW": "做了", "de-CH-1996": "tat"}),
                ),
                Set("/context/language", json!("fr-FR")),
            ],
        ),
        fail(
            Mbox,
            "actor.mbox",
            vec![Set("/actor/mbox", json!("jane@example.org"))],
        ),
        fail(
            Mbox,
            "actor.mbox",
            vec![Set("/actor/mbox", json!("mailto:jane@localhost"))],
        ),
        pass(
            Mbox,
            vec![Set("/actor/mbox", json!("mailto:Jane.Doe+x@EXAMPLE.org"))],
        ),
        fail(
            MboxSha1sum,
            "actor.mbox_sha1sum",
            vec![Set("/actor", json!({"mbox_sha1sum": "abc"}))],
        ),
        pass(
            MboxSha1sum,
            vec![Set("/actor", json!({"mbox_sha1sum": SHA1}))],
        ),
        fail(
            AgentIfi,
            "actor",
            vec![Set(
                "/actor",
                json!({"objectType": "Agent", "name": "Jane"}),
            )],
        ),
        fail(
            AgentIfi,
            "actor",
            vec![Set(
                "/actor/openid",
                json!("https://openid.example.org/jane"),
            )],
        ),
        pass(
            AgentIfi,
            vec![Set(
                "/actor",
                json!({"account": {"homePage": "https://example.org", "name": "jane"}}),
            )],
        ),
        fail(
            GroupIfi,
            "actor",
            vec![Set(
                "/actor",
                json!({"objectType": "Group", "mbox": "mailto:g@example.org", "openid": "https://openid.example.org/g"}),
            )],
        ),
        pass(
            GroupIfi,
            vec![Set(
                "/actor",
                json!({"objectType": "Group", "account": {"homePage": "https://example.org", "name": "team"}}),
            )],
        ),
        fail(
            AnonymousGroupMember,
            "actor.member",
            vec![Set(
                "/actor",
                json!({"objectType": "Group", "name": "team"}),
            )],
        ),
        fail(
            AnonymousGroupMember,
            "actor.member",
            vec![Set("/actor", json!({"objectType": "Group", "member": []}))],
        ),
        pass(
            AnonymousGroupMember,
            vec![Set(
                "/actor",
                json!({"objectType": "Group", "member": [{"mbox": "mailto:a@example.org"}]}),
            )],
        ),
        fail(
            GroupMember,
            "actor.member[0]",
            vec![Set(
                "/actor",
                json!({"objectType": "Group", "member": [{"objectType": "Group", "mbox": "mailto:g@example.org"}]}),
            )],
        ),
        pass(
            GroupMember,
            vec![Set(
                "/actor",
                json!({"objectType": "Group", "mbox": "mailto:g@example.org", "member": [{"objectType": "Agent", "mbox": "mailto:a@example.org"}]}),
            )],
        ),
        fail(
            ObjectType,
            "object.objectType",
            vec![Set("/object/objectType", json!("Thing"))],
        ),
        fail(
            ObjectType,
            "context.team.objectType",
            vec![Set(
                "/context/team",
                json!({"objectType": "Agent", "mbox": "mailto:a@example.org"}),
            )],
        ),
        fail(
            ObjectType,
            "context.contextActivities.parent[0].objectType",
            vec![Set(
                "/context/contextActivities/parent",
                json!([{"id": "https://example.org/p", "objectType": "Agent"}]),
            )],
        ),
        pass(
            ObjectType,
            vec![
                Set("/object/objectType", json!("Activity")),
                Set(
                    "/context/team",
                    json!({"objectType": "Group", "member": [{"mbox": "mailto:a@example.org"}]}),
                ),
            ],
        ),
        fail(
            SubStatementNesting,
            "object.object.objectType",
            vec![Set(
                "/object",
                substatement(substatement(json!({"id": "https://example.org/a"}))),
            )],
        ),
        pass(
            SubStatementNesting,
            vec![Set(
                "/object",
                substatement(
                    json!({"objectType": "StatementRef", "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}),
                ),
            )],
        ),
        fail(
            SubStatementProperty,
            "object.stored",
            vec![
                Set(
                    "/object",
                    substatement(json!({"id": "https://example.org/a"})),
                ),
                Set("/object/stored", json!("2024-01-15T10:00:00Z")),
            ],
        ),
        pass(
            SubStatementProperty,
            vec![
                Set(
                    "/object",
                    substatement(json!({"id": "https://example.org/a"})),
                ),
                Set("/object/timestamp", json!("2024-01-15T10:00:00Z")),
            ],
        ),
        fail(
            ContextActivityOnly,
            "context.platform",
            vec![
                Set(
                    "/object",
                    json!({"objectType": "StatementRef", "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"}),
                ),
                Set("/context/platform", json!("Moodle")),
            ],
        ),
        fail(
            ContextActivityOnly,
            "object.context.revision",
            vec![
                Set(
                    "/object",
                    substatement(json!({"objectType": "Agent", "mbox": "mailto:a@example.org"})),
                ),
                Set("/object/context/revision", json!("v2")),
            ],
        ),
        pass(
            ContextActivityOnly,
            vec![
                Set("/context/platform", json!("Moodle")),
                Set("/context/revision", json!("v2")),
            ],
        ),
        fail(
            ScoreScaled,
            "result.score.scaled",
            vec![Set("/result/score", json!({"scaled": 1.5}))],
        ),
        pass(
            ScoreScaled,
            vec![Set("/result/score", json!({"scaled": -1}))],
        ),
        fail(
            ScoreRange,
            "result.score.raw",
            vec![Set(
                "/result/score",
                json!({"raw": 11, "min": 0, "max": 10}),
            )],
        ),
        fail(
            ScoreRange,
            "result.score.raw",
            vec![Set("/result/score", json!({"raw": -1, "min": 0}))],
        ),
        fail(
            ScoreRange,
            "result.score.min",
            vec![Set("/result/score", json!({"min": 5, "max": 1}))],
        ),
        pass(
            ScoreRange,
            vec![Set("/result/score", json!({"raw": 0, "min": 0, "max": 0}))],
        ),
        fail(
            Duration,
            "result.duration",
            vec![Set("/result/duration", json!("1 hour"))],
        ),
        pass(
            Duration,
            vec![Set("/result/duration", json!("P1DT2H30M12.5S"))],
        ),
        fail(
            Timestamp,
            "timestamp",
            vec![Set("/timestamp", json!("2024-01-15T10:00:00"))],
        ),
        fail(
            Timestamp,
            "stored",
            vec![Set("/stored", json!("2024-01-15T10:00:00-00:00"))],
        ),
        pass(
            Timestamp,
            vec![Set("/timestamp", json!("2024-01-15T10:00:00.123+02:00"))],
        ),
        fail(Version, "version", vec![Set("/version", json!("1.1.0"))]),
        fail(Version, "version", vec![Set("/version", json!("2.0"))]),
        pass(Version, vec![Set("/version", json!("2.0.0"))]),
        fail(
            Version2Only,
            "context.contextAgents",
            vec![
                Set("/version", json!("1.0.3")),
                Set(
                    "/context/contextAgents",
                    json!([{"objectType": "contextAgent", "agent": {"mbox": "mailto:a@example.org"}}]),
                ),
            ],
        ),
        pass(
            Version2Only,
            vec![
                Set("/version", json!("2.0.0")),
                Set(
                    "/context/contextGroups",
                    json!([{"objectType": "contextGroup", "group": {"objectType": "Group", "member": [{"mbox": "mailto:a@example.org"}]}, "relevantTypes": ["https://example.org/types/team"]}]),
                ),
            ],
        ),
        fail(
            EmptyValue,
            "context.contextAgents[0].relevantTypes",
            vec![
                Set("/version", json!("2.0.0")),
                Set(
                    "/context/contextAgents",
                    json!([{"objectType": "contextAgent", "agent": {"mbox": "mailto:a@example.org"}, "relevantTypes": []}]),
                ),
            ],
        ),
        fail(
            InteractionType,
            "object.definition.interactionType",
            vec![Set("/object/definition/interactionType", json!("essay"))],
        ),
        pass(
            InteractionType,
            vec![
                Set("/object/definition/interactionType", json!("likert")),
                Set(
                    "/object/definition/scale",
                    json!([{"id": "1"}, {"id": "2"}]),
                ),
            ],
        ),
        fail(
            InteractionProperty,
            "object.definition.choices",
            vec![Set("/object/definition/choices", json!([{"id": "a"}]))],
        ),
        pass(
            InteractionProperty,
            vec![
                Set("/object/definition/interactionType", json!("choice")),
                Set("/object/definition/correctResponsesPattern", json!(["a"])),
                Set(
                    "/object/definition/choices",
                    json!([{"id": "a"}, {"id": "b"}]),
                ),
            ],
        ),
        fail(
            InteractionComponentId,
            "object.definition.choices[1].id",
            vec![
                Set("/object/definition/interactionType", json!("choice")),
                Set(
                    "/object/definition/choices",
                    json!([{"id": "a"}, {"id": "a"}]),
                ),
            ],
        ),
        fail(
            InteractionComponentId,
            "object.definition.steps[0].id",
            vec![
                Set("/object/definition/interactionType", json!("performance")),
                Set("/object/definition/steps", json!([{"id": "step 1"}])),
            ],
        ),
        pass(
            InteractionComponentId,
            vec![
                Set("/object/definition/interactionType", json!("matching")),
                Set("/object/definition/source", json!([{"id": "a"}])),
                Set("/object/definition/target", json!([{"id": "a"}])),
            ],
        ),
        fail(
            ContentType,
            "attachments[0].contentType",
            vec![
                Set("/attachments", json!([attachment()])),
                Set("/attachments/0/contentType", json!("binary")),
            ],
        ),
        pass(
            ContentType,
            vec![
                Set("/attachments", json!([attachment()])),
                Set(
                    "/attachments/0/contentType",
                    json!("text/plain; charset=utf-8"),
                ),
            ],
        ),
        fail(
            AttachmentLength,
            "attachments[0].length",
            vec![
                Set("/attachments", json!([attachment()])),
                Set("/attachments/0/length", json!(-1)),
            ],
        ),
        pass(
            AttachmentLength,
            vec![
                Set("/attachments", json!([attachment()])),
                Set("/attachments/0/length", json!(0)),
            ],
        ),
        fail(
            AttachmentSha2,
            "attachments[0].sha2",
            vec![
                Set("/attachments", json!([attachment()])),
                Set("/attachments/0/sha2", json!(SHA1)),
            ],
        ),
        pass(
            AttachmentSha2,
            vec![
                Set("/attachments", json!([attachment()])),
                Set("/attachments/0/fileUrl", json!("https://example.org/sig")),
            ],
        ),
        on(
            "VideoPlayed",
            fail(ProfileRequired, "result", vec![Remove("/result")]),
        ),
        on(
            "LMSAccessedPage",
            fail(ProfileRequired, "timestamp", vec![Remove("/timestamp")]),
        ),
        on(
            "VirtualClassroomMuted",
            fail(
                ProfileRequired,
                "context.registration",
                vec![Remove("/context/registration")],
            ),
        ),
        on(
            "Cmi5Launched",
            fail(
                ProfileRequired,
                r#"context.extensions["https://w3id.org/xapi/cmi5/context/extensions/launchurl"]"#,
                vec![Remove(
                    "/context/extensions/https:~1~1w3id.org~1xapi~1cmi5~1context~1extensions~1launchurl",
                )],
            ),
        ),
        on("VideoPlayed", pass(ProfileRequired, vec![])),
        on(
            "VideoPlayed",
            fail(
                ProfileValue,
                r#"result.extensions["https://w3id.org/xapi/video/extensions/time"]"#,
                vec![Set(TIME, json!(-1))],
            ),
        ),
        on(
            "PageViewed",
            fail(
                ProfileValue,
                "verb.display",
                vec![Set("/verb/display", json!({"en-US": "saw"}))],
            ),
        ),
        on(
            "Cmi5Failed",
            fail(
                ProfileValue,
                "result.success",
                vec![Set("/result/success", json!(true))],
            ),
        ),
        on("VideoPlayed", pass(ProfileValue, vec![Set(TIME, json!(0))])),
        on(
            "Cmi5Initialized",
            fail(
                ProfileForbidden,
                "result.success",
                vec![
                    Set("/result/success", json!(true)),
                    Set(
                        "/context/contextActivities/category/1",
                        json!({"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}),
                    ),
                ],
            ),
        ),
        on(
            "Cmi5Completed",
            fail(
                ProfileForbidden,
                "result.score",
                vec![Set("/result/score", json!({"scaled": 1}))],
            ),
        ),
        on(
            "Cmi5Passed",
            pass(
                ProfileForbidden,
                vec![Set("/result/score", json!({"scaled": 0.9}))],
            ),
        ),
        on(
            "VideoPaused",
            fail(
                ProfileCategory,
                "context.contextActivities.category",
                vec![Set(
                    "/context/contextActivities/category",
                    json!([{"id": "https://w3id.org/xapi/lms"}]),
                )],
            ),
        ),
        on(
            "Cmi5Passed",
            fail(
                ProfileCategory,
                "context.contextActivities.category",
                vec![Remove("/context/contextActivities/category/1")],
            ),
        ),
        on(
            "VideoPaused",
            pass(
                ProfileCategory,
                vec![Set(
                    "/context/contextActivities/category",
                    json!({"id": "https://w3id.org/xapi/video"}),
                )],
            ),
        ),
    ]
}

fn remove_index(root: &mut Value, pointer: &str) -> bool {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    if let (Some(Value::Array(list)), Ok(i)) = (root.pointer_mut(parent), key.parse::<usize>()) {
        list.remove(i);
        return true;
    }
    false
}

#[test]
fn every_rule_has_a_failing_and_a_passing_case() {
    let cases = cases();
    for rule in Rule::ALL {
        let failing = cases
            .iter()
            .filter(|c| c.rule == *rule && c.fails_at.is_some())
            .count();
        let passing = cases
            .iter()
            .filter(|c| c.rule == *rule && c.fails_at.is_none())
            .count();
        assert!(
            failing > 0 && passing > 0,
            "rule `{rule}`: {failing} failing, {passing} passing cases"
        );
    }
}

#[test]
fn rules_table() {
    let mut problems = Vec::new();
    for (i, case) in cases().into_iter().enumerate() {
        let mut statement = match case.base {
            Some(name) => xapi::statement_type(name).unwrap().example(),
            None => base(),
        };
        for op in &case.ops {
            match op {
                Set(p, v) => set(&mut statement, p, v.clone()),
                Remove(p) => {
                    if !remove_index(&mut statement, p) {
                        remove(&mut statement, p);
                    }
                }
            }
        }
        let outcome = xapi::validate_statement(&statement);
        match (case.fails_at, outcome) {
            (None, Ok(_)) => {}
            (None, Err(e)) => problems.push(format!(
                "case {i} (`{}`) should pass: {e}\n  {statement}",
                case.rule
            )),
            (Some(path), Ok(_)) => problems.push(format!(
                "case {i} (`{}`) should fail at `{path}`\n  {statement}",
                case.rule
            )),
            (Some(path), Err(e)) => {
                let errors = e.validation_errors().unwrap();
                if !errors
                    .as_slice()
                    .iter()
                    .any(|err| err.rule == case.rule && err.path == path)
                {
                    problems.push(format!(
                        "case {i} (`{}`) should fail at `{path}`, got: {e}",
                        case.rule
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn all_errors_are_reported_in_document_order() {
    let statement = json!({
        "id": "nope",
        "actor": {"mbox": "jane@example.org"},
        "verb": {"id": "did", "display": {"en-US": ""}},
        "object": {"id": "https://example.org/a"},
        "result": {"score": {"scaled": 2}, "duration": "1h"},
        "extra": true
    });
    let errors = xapi::validate(&statement).unwrap_err();
    let paths: Vec<_> = errors.as_slice().iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "extra",
            "id",
            "actor.mbox",
            "verb.id",
            "verb.display.en-US",
            "result.duration",
            "result.score.scaled"
        ]
    );
    assert_eq!(
        errors.as_slice()[2].to_string(),
        "actor.mbox: `jane@example.org` is not `mailto:` followed by a valid e-mail address"
    );
}

#[test]
fn garbage_never_panics() {
    for text in [
        "null",
        "[]",
        "1",
        "\"x\"",
        "{}",
        r#"{"actor": []}"#,
        r#"{"object": {"objectType": 3}}"#,
    ] {
        assert!(xapi::validate_statement_str(text).is_err(), "{text}");
    }
    assert!(matches!(
        xapi::validate_statement_str("{"),
        Err(ralph_models::Error::Json(_))
    ));
}
