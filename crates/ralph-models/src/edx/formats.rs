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

/// Python's `str()` of a decoded JSON value: `True`/`False`/`None`, Python's float text, and
/// Python's `repr` of lists and dicts (`{'a': [1, None]}`).
pub fn python_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => {
            let mut out = String::new();
            python_repr(other, &mut out);
            out
        }
    }
}

fn python_repr(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => out.push_str(&scalars::number_to_python_str(n)),
        Value::String(s) => python_str_repr(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                python_repr(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                python_str_repr(key, out);
                out.push_str(": ");
                python_repr(item, out);
            }
            out.push('}');
        }
    }
}

/// Python's `repr` of a string: single quotes unless it holds a single quote and no double one.
fn python_str_repr(s: &str, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || (0x7f..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn python_str_matches_python() {
        assert_eq!(python_str(&json!(42)), "42");
        assert_eq!(python_str(&json!(42.0)), "42.0");
        assert_eq!(python_str(&json!(true)), "True");
        assert_eq!(python_str(&json!("a'b")), "a'b");
        assert_eq!(
            python_str(&json!({"a": [1, null, "x'y", "q\"'"], "b": {"c": false}})),
            r#"{'a': [1, None, "x'y", 'q"\''], 'b': {'c': False}}"#
        );
    }
}
