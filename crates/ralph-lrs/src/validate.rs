//! Structural validation of incoming statements.
//!
//! This is the minimum the LRS needs to store and index a statement safely. The full xAPI
//! validator lives in `ralph-models`; [`validate_statement`] is the one function to swap for it.

use serde_json::Value;

/// Checks the structure of one statement; the error is `"path: reason"`.
///
/// Checked: an object with `actor` (an agent or group with one identifier, or an anonymous group
/// with members), `verb` with a string `id`, `object` (an object; activities need a string
/// `id`, statement references a UUID `id`); `id` and `context.registration` UUIDs when present;
/// `version` 1.0.x or 2.0.x when present; `timestamp` an RFC 3339 time when present.
pub fn validate_statement(statement: &Value) -> Result<(), String> {
    let Some(map) = statement.as_object() else {
        return Err("statement: must be a JSON object".to_owned());
    };
    if let Some(id) = map.get("id") {
        check_uuid("id", id)?;
    }
    match map.get("actor") {
        Some(actor) => check_agent("actor", actor)?,
        None => return Err("actor: field required".to_owned()),
    }
    match map.get("verb") {
        Some(Value::Object(verb)) => match verb.get("id") {
            Some(Value::String(id)) if !id.is_empty() => {}
            Some(_) => return Err("verb.id: must be a non-empty string (an IRI)".to_owned()),
            None => return Err("verb.id: field required".to_owned()),
        },
        Some(_) => return Err("verb: must be an object".to_owned()),
        None => return Err("verb: field required".to_owned()),
    }
    match map.get("object") {
        Some(object) => check_object("object", object, true)?,
        None => return Err("object: field required".to_owned()),
    }
    if let Some(version) = map.get("version") {
        let ok = version
            .as_str()
            .is_some_and(|v| version_is_supported(v) && v.split('.').count() == 3);
        if !ok {
            return Err("version: must be 1.0.x or 2.0.x".to_owned());
        }
    }
    if let Some(timestamp) = map.get("timestamp") {
        check_time("timestamp", timestamp)?;
    }
    if let Some(context) = map.get("context") {
        if !context.is_object() {
            return Err("context: must be an object".to_owned());
        }
        if let Some(registration) = context.get("registration") {
            check_uuid("context.registration", registration)?;
        }
        for key in ["instructor", "team"] {
            if let Some(agent) = context.get(key) {
                check_agent(&format!("context.{key}"), agent)?;
            }
        }
    }
    if let Some(authority) = map.get("authority") {
        check_agent("authority", authority)?;
    }
    Ok(())
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

fn check_uuid(path: &str, value: &Value) -> Result<(), String> {
    match value.as_str().map(uuid::Uuid::try_parse) {
        Some(Ok(_)) => Ok(()),
        _ => Err(format!("{path}: must be a UUID")),
    }
}

fn check_time(path: &str, value: &Value) -> Result<(), String> {
    match value.as_str().map(chrono::DateTime::parse_from_rfc3339) {
        Some(Ok(_)) => Ok(()),
        _ => Err(format!(
            "{path}: must be an ISO 8601 timestamp with a time zone"
        )),
    }
}

const IFIS: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];

fn check_agent(path: &str, agent: &Value) -> Result<(), String> {
    let Some(map) = agent.as_object() else {
        return Err(format!("{path}: must be an object"));
    };
    let object_type = map.get("objectType").and_then(Value::as_str);
    if !matches!(object_type, None | Some("Agent" | "Group")) {
        return Err(format!("{path}.objectType: must be `Agent` or `Group`"));
    }
    let ifis: Vec<&str> = IFIS.into_iter().filter(|k| map.contains_key(*k)).collect();
    let group = object_type == Some("Group");
    match ifis.len() {
        0 if group => match map.get("member") {
            Some(Value::Array(members)) => {
                for (i, member) in members.iter().enumerate() {
                    check_agent(&format!("{path}.member[{i}]"), member)?;
                }
            }
            _ => {
                return Err(format!(
                    "{path}.member: an anonymous group needs a list of members"
                ));
            }
        },
        0 | 2.. => {
            return Err(format!(
                "{path}: exactly one of mbox, mbox_sha1sum, openid, account"
            ));
        }
        _ => {}
    }
    if let Some(mbox) = map.get("mbox")
        && !mbox.as_str().is_some_and(|m| m.starts_with("mailto:"))
    {
        return Err(format!("{path}.mbox: must be a `mailto:` IRI"));
    }
    if let Some(sum) = map.get("mbox_sha1sum")
        && !sum
            .as_str()
            .is_some_and(|s| s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(format!(
            "{path}.mbox_sha1sum: must be 40 hexadecimal digits"
        ));
    }
    if let Some(openid) = map.get("openid")
        && openid.as_str().is_none_or(str::is_empty)
    {
        return Err(format!("{path}.openid: must be a URI"));
    }
    if let Some(account) = map.get("account") {
        let ok = |k: &str| {
            account
                .get(k)
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        };
        if !ok("homePage") {
            return Err(format!("{path}.account.homePage: field required"));
        }
        if !ok("name") {
            return Err(format!("{path}.account.name: field required"));
        }
    }
    if group && let Some(members) = map.get("member") {
        let Some(members) = members.as_array() else {
            return Err(format!("{path}.member: must be a list"));
        };
        for (i, member) in members.iter().enumerate() {
            check_agent(&format!("{path}.member[{i}]"), member)?;
        }
    }
    Ok(())
}

fn check_object(path: &str, object: &Value, top: bool) -> Result<(), String> {
    let Some(map) = object.as_object() else {
        return Err(format!("{path}: must be an object"));
    };
    match map.get("objectType").and_then(Value::as_str) {
        None | Some("Activity") => match map.get("id") {
            Some(Value::String(id)) if !id.is_empty() => Ok(()),
            Some(_) => Err(format!("{path}.id: must be a non-empty string (an IRI)")),
            None => Err(format!("{path}.id: field required")),
        },
        Some("Agent" | "Group") => check_agent(path, object),
        Some("StatementRef") => {
            check_uuid(&format!("{path}.id"), map.get("id").unwrap_or(&Value::Null))
        }
        Some("SubStatement") if top => {
            for key in ["id", "stored", "version", "authority"] {
                if map.contains_key(key) {
                    return Err(format!("{path}.{key}: not allowed in a sub-statement"));
                }
            }
            match map.get("actor") {
                Some(actor) => check_agent(&format!("{path}.actor"), actor)?,
                None => return Err(format!("{path}.actor: field required")),
            }
            if map
                .get("verb")
                .and_then(|v| v.get("id"))
                .and_then(Value::as_str)
                .is_none()
            {
                return Err(format!("{path}.verb.id: field required"));
            }
            match map.get("object") {
                Some(inner) => check_object(&format!("{path}.object"), inner, false),
                None => Err(format!("{path}.object: field required")),
            }
        }
        Some("SubStatement") => Err(format!(
            "{path}: a sub-statement cannot hold a sub-statement"
        )),
        Some(other) => Err(format!("{path}.objectType: unknown object type `{other}`")),
    }
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
            ("/actor", Value::Null, "actor: field required"),
            ("/verb", json!({}), "verb.id: field required"),
            ("/id", json!("nope"), "id: must be a UUID"),
            (
                "/version",
                json!("3.0.0"),
                "version: must be 1.0.x or 2.0.x",
            ),
            (
                "/actor/mbox",
                json!("a@example.org"),
                "actor.mbox: must be a `mailto:` IRI",
            ),
            (
                "/object",
                json!({"objectType": "StatementRef", "id": "x"}),
                "object.id: must be a UUID",
            ),
        ];
        for (pointer, value, expected) in cases {
            let mut s = valid();
            if value.is_null() {
                s.as_object_mut().expect("object").remove(&pointer[1..]);
            } else if let Some(slot) = s.pointer_mut(pointer) {
                *slot = value;
            } else {
                s[&pointer[1..]] = value;
            }
            assert_eq!(
                validate_statement(&s),
                Err(expected.to_owned()),
                "{pointer}"
            );
        }
    }

    #[test]
    fn two_ifis_are_refused() {
        let mut s = valid();
        s["actor"]["openid"] = json!("http://openid.example.org/a");
        assert!(validate_statement(&s).is_err());
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
