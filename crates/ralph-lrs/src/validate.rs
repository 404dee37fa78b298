//! Validation of incoming statements: every rule of the xAPI specification, from
//! `ralph-models`, each error naming the JSON path of the field, plus the rules that only an
//! LRS applies.

use std::borrow::Cow;

use serde_json::Value;

/// Checks one statement against the xAPI specification; the error is `"path: reason"` (several
/// joined by `; `), which the LRS answers with 400.
///
/// The LRS is as lenient as the specification where Ralph's models are stricter: an empty object
/// (`"extensions": {}`, `"definition": {}`) is accepted where the property is optional, and a
/// `version` without patch number (`1.0`, `2.0`) is accepted. It is stricter where only an LRS
/// can be: `authority` is an Agent or a two-member anonymous Group (OAuth consumer and user), and
/// a voiding statement's object is a `StatementRef`.
pub fn validate_statement(statement: &Value) -> Result<(), String> {
    let checked = spec_view(statement);
    ralph_models::xapi::validate(&checked).map_err(|errors| errors.to_string())?;
    check_authority(statement)?;
    check_voiding(statement)
}

/// The statement as the models should see it: empty objects removed (an optional property given
/// as `{}` is the property absent; a required one is still missing), `X.0` versions completed.
fn spec_view(statement: &Value) -> Cow<'_, Value> {
    fn has_empty_object(value: &Value) -> bool {
        match value {
            Value::Object(map) => map
                .values()
                .any(|v| matches!(v, Value::Object(m) if m.is_empty()) || has_empty_object(v)),
            Value::Array(items) => items.iter().any(has_empty_object),
            _ => false,
        }
    }
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                // Children first, so that `{"extensions": {}}` empties, then goes, too.
                map.values_mut().for_each(strip);
                map.retain(|_, v| !matches!(v, Value::Object(m) if m.is_empty()));
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let short_version = matches!(
        statement.get("version").and_then(Value::as_str),
        Some("1.0" | "2.0")
    );
    if !short_version && !has_empty_object(statement) {
        return Cow::Borrowed(statement);
    }
    let mut copy = statement.clone();
    strip(&mut copy);
    if short_version && let Some(Value::String(version)) = copy.get_mut("version") {
        version.push_str(".0");
    }
    Cow::Owned(copy)
}

/// `authority`: an Agent, or an anonymous Group of exactly two Agents.
fn check_authority(statement: &Value) -> Result<(), String> {
    let Some(authority) = statement.get("authority") else {
        return Ok(());
    };
    if authority.get("objectType").and_then(Value::as_str) != Some("Group") {
        return Ok(());
    }
    let identified = ["mbox", "mbox_sha1sum", "openid", "account"]
        .iter()
        .any(|k| authority.get(k).is_some());
    if identified {
        return Err(
            "authority: a Group authority must be anonymous (OAuth consumer and user)".to_owned(),
        );
    }
    match authority.get("member").and_then(Value::as_array) {
        Some(members) if members.len() == 2 => Ok(()),
        _ => Err("authority.member: a Group authority has exactly two members".to_owned()),
    }
}

/// A voiding statement (verb `voided`) targets a statement: its object is a `StatementRef`.
fn check_voiding(statement: &Value) -> Result<(), String> {
    let voiding =
        statement.pointer("/verb/id").and_then(Value::as_str) == Some(ralph_core::lrs::VOIDED_VERB);
    let object_type = statement
        .pointer("/object/objectType")
        .and_then(Value::as_str);
    if voiding && object_type != Some("StatementRef") {
        return Err("object: the object of a voiding statement is a `StatementRef`".to_owned());
    }
    Ok(())
}

/// Writes single `contextActivities` values as one-element arrays, as the specification asks an
/// LRS to return them, in the statement and in a SubStatement object.
pub fn normalize_context_activities(statement: &mut Value) {
    fn fix(context: Option<&mut Value>) {
        let Some(Value::Object(activities)) = context.and_then(|c| c.get_mut("contextActivities"))
        else {
            return;
        };
        for value in activities.values_mut() {
            if value.is_object() {
                *value = Value::Array(vec![value.take()]);
            }
        }
    }
    fix(statement.get_mut("context"));
    if statement
        .pointer("/object/objectType")
        .and_then(Value::as_str)
        == Some("SubStatement")
    {
        fix(statement.pointer_mut("/object/context"));
    }
}

/// Whether `version` (a header or statement version) is 1.0, 1.0.x, 2.0 or 2.0.x.
pub fn version_is_supported(version: &str) -> bool {
    let mut parts = version.split('.');
    let major_minor = (parts.next(), parts.next());
    let patch_ok = match parts.next() {
        None => true,
        Some(p) => !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()),
    };
    matches!(major_minor, (Some("1" | "2"), Some("0"))) && patch_ok && parts.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn valid() -> Value {
        json!({
            "actor": {"mbox": "mailto:a@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
            "object": {"id": "http://example.org/a"},
        })
    }

    #[test]
    fn a_minimal_statement_is_valid() {
        assert_eq!(validate_statement(&valid()), Ok(()));
    }

    #[test]
    fn errors_name_the_path() {
        let cases = [
            ("/actor", Value::Null, "actor"),
            ("/verb", json!({"display": {"en-US": "done"}}), "verb.id"),
            ("/id", json!("nope"), "id"),
            ("/version", json!("3.0.0"), "version"),
            ("/actor/mbox", json!("a@example.org"), "actor.mbox"),
            (
                "/object",
                json!({"objectType": "StatementRef", "id": "x"}),
                "object.id",
            ),
            (
                "/context",
                json!({"registration": "x"}),
                "context.registration",
            ),
        ];
        for (pointer, value, path) in cases {
            let mut s = valid();
            if value.is_null() {
                s.as_object_mut().expect("object").remove(&pointer[1..]);
            } else if let Some(slot) = s.pointer_mut(pointer) {
                *slot = value;
            } else {
                s[&pointer[1..]] = value;
            }
            let err = validate_statement(&s).expect_err(pointer);
            assert!(err.starts_with(path), "{pointer}: {err}");
        }
    }

    #[test]
    fn two_ifis_are_refused() {
        let mut s = valid();
        s["actor"]["openid"] = json!("http://openid.example.org/a");
        assert!(validate_statement(&s).is_err());
    }

    #[test]
    fn empty_objects_and_short_versions_are_accepted_where_the_spec_allows_them() {
        let mut s = valid();
        s["object"]["definition"] = json!({"extensions": {}});
        s["result"] = json!({"extensions": {}});
        s["version"] = json!("1.0");
        assert_eq!(validate_statement(&s), Ok(()));
        let mut s = valid();
        s["actor"] = json!({});
        assert!(
            validate_statement(&s).is_err(),
            "a required object stays required"
        );
    }

    #[test]
    fn authority_groups_and_voiding_objects_are_checked() {
        let agent = json!({"mbox": "mailto:a@example.org"});
        let other = json!({"mbox": "mailto:b@example.org"});
        let mut s = valid();
        s["authority"] = json!({"objectType": "Group", "member": [agent, other]});
        assert_eq!(validate_statement(&s), Ok(()));
        s["authority"] = json!({"objectType": "Group", "member": [agent]});
        assert!(validate_statement(&s).is_err());
        s["authority"] = json!({"objectType": "Group", "mbox": "mailto:g@example.org", "member": [agent, other]});
        assert!(validate_statement(&s).is_err());
        let mut s = valid();
        s["verb"]["id"] = json!(ralph_core::lrs::VOIDED_VERB);
        assert!(validate_statement(&s).is_err(), "voiding an activity");
        s["object"] =
            json!({"objectType": "StatementRef", "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"});
        assert_eq!(validate_statement(&s), Ok(()));
    }

    #[test]
    fn single_context_activities_become_arrays() {
        let mut s = valid();
        s["context"] = json!({"contextActivities": {"parent": {"id": "http://example.org/p"}, "other": [{"id": "http://example.org/o"}]}});
        normalize_context_activities(&mut s);
        assert_eq!(
            s["context"]["contextActivities"]["parent"],
            json!([{"id": "http://example.org/p"}])
        );
        assert_eq!(
            s["context"]["contextActivities"]["other"],
            json!([{"id": "http://example.org/o"}])
        );
    }

    #[test]
    fn versions() {
        assert!(version_is_supported("1.0.3"));
        assert!(version_is_supported("2.0.0"));
        assert!(version_is_supported("1.0"));
        assert!(!version_is_supported("0.95"));
        assert!(!version_is_supported("1.1.0"));
    }
}
