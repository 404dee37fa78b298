//! JSON text as Ralph (pydantic) prints it.
//!
//! Compact separators, object keys in insertion order, non-ASCII characters written as UTF-8, and
//! floats written the way pydantic-core writes them: the shortest round-trip digits, in
//! scientific notation below `1e-5` or from `1e16` up, with a signed exponent (`1e+20`, `1e-7`,
//! `12.0`).

use std::fmt::Write as _;
use std::io;

use serde::Serialize;
use serde_json::ser::Formatter;

use crate::json::Node;

/// `value` (a `serde_json::Value`, a [`Node`]) as compact JSON,
/// byte-compatible with pydantic's `model_dump_json`.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PydanticFormatter);
    // Writing a JSON tree into a `Vec` cannot fail.
    if value.serialize(&mut ser).is_err() {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Appends `node` to `out` as compact JSON: the text [`to_string`] gives it, written without
/// going through `serde`.
pub fn push_node(out: &mut String, node: &Node<'_>) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(true) => out.push_str("true"),
        Node::Bool(false) => out.push_str("false"),
        Node::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => {
                if f.is_finite() {
                    out.push_str(&pydantic_float(f));
                } else {
                    out.push_str("null");
                }
            }
            _ => {
                let _ = write!(out, "{n}");
            }
        },
        Node::String(s) => push_str(out, s),
        Node::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_node(out, item);
            }
            out.push(']');
        }
        Node::Object(object) => {
            out.push('{');
            for (i, (key, value)) in object.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_str(out, key);
                out.push(':');
                push_node(out, value);
            }
            out.push('}');
        }
    }
}

/// Appends `s` as a JSON string, escaped as `serde_json` escapes it (control characters, `"`
/// and `\`; nothing else).
pub fn push_str(out: &mut String, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
    } else {
        // Serialising a string cannot fail.
        out.push_str(&serde_json::to_string(s).unwrap_or_default());
    }
}

/// A compact serde_json formatter that writes floats as pydantic-core does.
#[derive(Debug, Clone, Copy, Default)]
pub struct PydanticFormatter;

impl Formatter for PydanticFormatter {
    fn write_f64<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f64) -> io::Result<()> {
        if !value.is_finite() {
            // pydantic writes infinities and NaN as `null`.
            return w.write_all(b"null");
        }
        w.write_all(pydantic_float(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, w: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(w, f64::from(value))
    }
}

/// A finite float as pydantic-core writes it in JSON (`12.0`, `1e+20`, `1e-07`), the text
/// [`to_string`] gives a float.
#[must_use]
pub fn pydantic_float(value: f64) -> String {
    let mut buffer = ryu::Buffer::new();
    let text = buffer.format_finite(value);
    match text.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => text.to_owned(),
    }
}

/// A finite float as Python's `str(float)` writes it (`1e+20`, `1e-07`, `0.0001`, `12.0`).
pub(crate) fn python_float_str(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    // `{:e}` gives the shortest round-trip digits: `-1.2345e6`.
    let sci = format!("{value:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else {
            let point = point as usize;
            if digits.len() <= point {
                format!("{digits}{}.0", "0".repeat(point - digits.len()))
            } else {
                format!("{}.{}", &digits[..point], &digits[point..])
            }
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let mantissa = if rest.is_empty() {
            first.to_owned()
        } else {
            format!("{first}.{rest}")
        };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exp.unsigned_abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_node_writes_what_to_string_writes() {
        let texts = [
            r#"{"a":1,"b":-2,"c":18446744073709551615,"d":-9223372036854775808,"e":1.5,"f":1e20}"#,
            r#"{"s":"plain","q":"a \"quote\" and \\ back","c":"\u0000\u001f\b\f\n\r\t","u":"é ☃ 𝄞 \u007f"}"#,
            r#"[[],{},[null,true,false],{"x":{"y":[0.1,1e-7,12.0,0,-0.0]}}]"#,
            r#""just a string""#,
            "3.0",
            "null",
        ];
        for text in texts {
            let node = Node::from_str(text).expect("JSON");
            let mut out = String::new();
            push_node(&mut out, &node);
            assert_eq!(out, to_string(&node), "{text}");
        }
        let built = Node::from(f64::NAN);
        let mut out = String::new();
        push_node(&mut out, &built);
        assert_eq!(out, to_string(&built));
    }

    #[test]
    fn floats_are_written_as_pydantic_writes_them() {
        for (value, text) in [
            (12.0, "12.0"),
            (12.5, "12.5"),
            (1e20, "1e+20"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1e-7, "1e-7"),
            (1e-5, "0.00001"),
            (0.1, "0.1"),
            (5e-324, "5e-324"),
        ] {
            assert_eq!(pydantic_float(value), text, "{value}");
        }
    }

    #[test]
    fn floats_are_stringified_as_python_does() {
        for (value, text) in [
            (1.0, "1.0"),
            (1.5, "1.5"),
            (1e20, "1e+20"),
            (1e-7, "1e-07"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (123456.789, "123456.789"),
            (-2.5e-10, "-2.5e-10"),
            (1.2345678901234568e17, "1.2345678901234568e+17"),
        ] {
            assert_eq!(python_float_str(value), text, "{value}");
        }
    }

    #[test]
    fn objects_keep_insertion_order() {
        let text = r#"{"b":1,"a":[1.0,"é",1e+20]}"#;
        let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(to_string(&value), text);
        let node = crate::json::Node::from_str(text).unwrap_or(crate::json::Node::Null);
        assert_eq!(to_string(&node), text);
    }
}
