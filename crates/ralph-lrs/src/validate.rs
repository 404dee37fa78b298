//! Validation of incoming statements: every rule of the xAPI specification, from
//! `ralph-models`, each error naming the JSON path of the field.

use serde_json::Value;

/// Checks one statement against the xAPI specification; the error is `"path: reason"` (several
/// joined by `; `), which the LRS answers with 400.
pub fn validate_statement(statement: &Value) -> Result<(), String> {
    ralph_models::xapi::validate(statement)
        .map(|_| ())
        .map_err(|errors| errors.to_string())
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
    fn versions() {
        assert!(version_is_supported("1.0.3"));
        assert!(version_is_supported("2.0.0"));
        assert!(version_is_supported("1.0"));
        assert!(!version_is_supported("0.95"));
        assert!(!version_is_supported("1.1.0"));
    }
}
