//! Signed statements (xAPI Data 2.6): the checks an LRS makes on a statement's JWS.
//!
//! A signed statement carries an attachment with usage type [`SIGNATURE_USAGE`] and content
//! type `application/octet-stream` whose part is a JWS in compact serialization. The LRS
//! rejects the statement (400) when the JWS is malformed, when its algorithm is not `RS256`,
//! `RS384` or `RS512`, or when its payload is not the statement as it was before the signature
//! was attached. Properties the LRS sets (`id` when the payload has none, `stored`,
//! `authority`, `version`, a filled-in `timestamp`) are not compared, and durations are compared
//! to the hundredth of a second, as the specification asks.
//!
//! The cryptographic signature is not verified: xAPI leaves the choice of trusted keys to the
//! LRS, and a JWS header's own `x5c` certificate proves nothing about who signed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// The usage type of a statement's signature attachment.
pub(crate) const SIGNATURE_USAGE: &str = "http://adlnet.gov/expapi/attachments/signature";

/// The algorithms xAPI allows.
const ALGORITHMS: [&str; 3] = ["RS256", "RS384", "RS512"];

fn decode(segment: &str, what: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD
        .decode(segment.trim_end_matches('='))
        .map_err(|_| format!("the signature's {what} is not base64url"))
}

/// The payload of a compact JWS, once its form and algorithm are checked.
fn payload(jws: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(jws).map_err(|_| "the signature is not text".to_owned())?;
    let segments: Vec<&str> = text.trim().split('.').collect();
    let [header, payload, signature] = segments[..] else {
        return Err("the signature is not a compact JWS (three `.`-separated parts)".to_owned());
    };
    let header: Value = serde_json::from_slice(&decode(header, "header")?)
        .map_err(|_| "the signature's header is not JSON".to_owned())?;
    match header.get("alg").and_then(Value::as_str) {
        Some(alg) if ALGORITHMS.contains(&alg) => {}
        Some(alg) => {
            return Err(format!(
                "the signature uses algorithm `{alg}`; expected `RS256`, `RS384` or `RS512`"
            ));
        }
        None => return Err("the signature's header has no `alg`".to_owned()),
    }
    if decode(signature, "signature")?.is_empty() {
        return Err("the signature is empty".to_owned());
    }
    serde_json::from_slice(&decode(payload, "payload")?)
        .map_err(|_| "the signature's payload is not a JSON statement".to_owned())
}

/// `duration` values with the seconds cut to hundredths.
fn truncate_durations(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                match value {
                    Value::String(text) if key == "duration" => *text = truncated(text),
                    other => truncate_durations(other),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(truncate_durations),
        _ => {}
    }
}

fn truncated(duration: &str) -> String {
    let Some(dot) = duration.rfind('.') else {
        return duration.to_owned();
    };
    let digits = duration[dot + 1..]
        .chars()
        .take_while(char::is_ascii_digit)
        .count();
    if digits <= 2 {
        return duration.to_owned();
    }
    format!("{}{}", &duration[..dot + 3], &duration[dot + 1 + digits..])
}

/// The statement as its signer saw it: without the signature attachment and the properties the
/// LRS sets, durations truncated.
fn comparable(statement: &Value, keep_id: bool) -> Value {
    let mut map: Map<String, Value> = statement.as_object().cloned().unwrap_or_default();
    for key in ["stored", "authority", "version"] {
        map.remove(key);
    }
    if !keep_id {
        map.remove("id");
    }
    if let Some(Value::Array(attachments)) = map.get_mut("attachments") {
        attachments.retain(|a| a.get("usageType").and_then(Value::as_str) != Some(SIGNATURE_USAGE));
        if attachments.is_empty() {
            map.remove("attachments");
        }
    }
    let mut value = Value::Object(map);
    truncate_durations(&mut value);
    value
}

/// Checks the JWS `jws` of `statement` (as received, before the LRS adds anything); the error
/// is the reason to answer 400.
pub(crate) fn check(statement: &Value, jws: &[u8]) -> Result<(), String> {
    let signed = payload(jws)?;
    if !signed.is_object() {
        return Err("the signature's payload is not a JSON statement".to_owned());
    }
    let keep_id = signed.get("id").is_some();
    let mut expected = comparable(statement, keep_id);
    let mut actual = comparable(&signed, keep_id);
    // A timestamp absent from either side is one the LRS fills in.
    if expected.get("timestamp").is_none() || actual.get("timestamp").is_none() {
        for value in [&mut expected, &mut actual] {
            if let Value::Object(map) = value {
                map.remove("timestamp");
            }
        }
    }
    if ralph_core::lrs::equivalent(&expected, &actual) {
        Ok(())
    } else {
        Err("the signature's payload is not the signed statement".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jws(header: &Value, payload: &Value) -> Vec<u8> {
        let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!("{}.{}.c2ln", encode(header), encode(payload)).into_bytes()
    }

    fn statement() -> Value {
        json!({"id": "x", "actor": {"mbox": "mailto:a@example.org"}, "verb": {"id": "http://v"},
               "object": {"id": "http://a"}, "result": {"duration": "PT1.23S"}})
    }

    fn signed(statement: &Value) -> Value {
        let mut with = statement.clone();
        with["attachments"] = json!([{"usageType": SIGNATURE_USAGE,
            "contentType": "application/octet-stream", "sha2": "00", "length": 1,
            "display": {"en-US": "sig"}}]);
        with
    }

    #[test]
    fn a_matching_rs_signature_is_accepted() {
        let s = statement();
        for alg in ALGORITHMS {
            check(&signed(&s), &jws(&json!({"alg": alg}), &s)).expect(alg);
        }
        let mut longer = signed(&s);
        longer["result"]["duration"] = json!("PT1.2345S");
        check(&longer, &jws(&json!({"alg": "RS256"}), &s)).expect("hundredths compared");
    }

    #[test]
    fn bad_signatures_are_refused_with_a_reason() {
        let s = statement();
        let err = check(&signed(&s), &jws(&json!({"alg": "HS256"}), &s)).expect_err("alg");
        assert!(err.contains("HS256"), "{err}");
        let mut other = s.clone();
        other["verb"]["id"] = json!("http://w");
        assert!(check(&signed(&s), &jws(&json!({"alg": "RS256"}), &other)).is_err());
        assert!(check(&signed(&s), b"not a jws").is_err());
        assert!(check(&signed(&s), b"e30.e30").is_err());
    }
}
