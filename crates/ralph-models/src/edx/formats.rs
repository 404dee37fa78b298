//! The value formats of Ralph's models, for crates that build on edX events (conversions).
//!
//! Each function accepts what pydantic accepts in lax mode and returns the value as Ralph
//! writes it, or a lowercase reason.

use serde_json::Value;

use super::scalars;

/// A datetime as Ralph writes it: `YYYY-MM-DDTHH:MM:SS[.ffffff]` then `Z` for UTC, `±HH:MM`,
/// or nothing for a naive input. Accepts dates, ISO 8601 strings and Unix timestamps.
pub fn datetime(value: &Value) -> Result<String, String> {
    scalars::datetime(value)
}

/// A float from a number, a numeric string or a boolean.
pub fn float(value: &Value) -> Result<f64, String> {
    scalars::float(value)
}

/// A UUID in lowercase hyphenated form, from any form the `uuid` crate parses (32 hex digits,
/// hyphenated, braced, URN).
pub fn uuid(value: &Value) -> Result<String, String> {
    scalars::uuid(value)
}

/// A string; numbers become their Python text (`1e+20`, `12.0`), other types are rejected.
pub fn string(value: &Value) -> Result<String, String> {
    scalars::string(value)
}

/// Python's `str()` of a JSON scalar: `True`/`False`/`None` for booleans and null, Python's
/// float text for floats; arrays and objects as compact JSON.
pub fn python_str(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => scalars::number_to_python_str(n),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Python's truthiness of a JSON value: `null`, `false`, `0`, `0.0`, `""`, `[]` and `{}` are
/// false.
pub fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}
