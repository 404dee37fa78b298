//! Scalar validators with pydantic's lax coercions and output forms.
//!
//! Each returns the normalised JSON value, or a lowercase reason.

use std::net::Ipv4Addr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use serde_json::{Number, Value};

use super::json::python_float_str;

/// The JSON type name of `value`, for messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A string; numbers are turned into their Python text (`coerce_numbers_to_str`).
pub(crate) fn string(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(number_to_python_str(n)),
        other => Err(format!("expected a string, got {}", type_name(other))),
    }
}

/// Python's `str()` of a JSON number.
pub(crate) fn number_to_python_str(n: &Number) -> String {
    if n.is_f64() {
        python_float_str(n.as_f64().unwrap_or_default())
    } else {
        n.to_string()
    }
}

/// An integer: integers, integral floats, numeric strings and booleans are accepted.
pub(crate) fn int(value: &Value) -> Result<Value, String> {
    match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => Ok(value.clone()),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.2e18 {
                Ok(Value::from(f as i64))
            } else {
                Err("expected an integer, got a number with a fractional part".to_owned())
            }
        }
        Value::Bool(b) => Ok(Value::from(i64::from(*b))),
        Value::String(s) => {
            // pydantic also reads `"1.0"` (zero fraction) as an integer.
            let t = s.trim();
            let t = match t.split_once('.') {
                Some((whole, frac)) if frac.chars().all(|c| c == '0') => whole,
                _ => t,
            };
            if let Ok(i) = t.parse::<i64>() {
                Ok(Value::from(i))
            } else if let Ok(u) = t.parse::<u64>() {
                Ok(Value::from(u))
            } else {
                Err(format!("expected an integer, got `{s}`"))
            }
        }
        other => Err(format!("expected an integer, got {}", type_name(other))),
    }
}

/// A float: numbers, numeric strings and booleans are accepted; the output is always a float.
pub(crate) fn float(value: &Value) -> Result<f64, String> {
    match value {
        Value::Number(n) => Ok(n.as_f64().unwrap_or(f64::NAN)),
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| format!("expected a number, got `{s}`")),
        other => Err(format!("expected a number, got {}", type_name(other))),
    }
}

/// A float as a JSON value (infinities become `null` on output).
pub(crate) fn float_value(f: f64) -> Value {
    Number::from_f64(f).map_or(Value::Null, Value::Number)
}

/// A boolean: booleans, 0/1 and the usual words (`true`, `no`, `on`, ...) are accepted.
pub(crate) fn boolean(value: &Value) -> Result<bool, String> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f == 0.0 || f == 1.0 {
                Ok(f == 1.0)
            } else {
                Err(format!("expected a boolean, got `{n}`"))
            }
        }
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "0" | "off" | "f" | "false" | "n" | "no" => Ok(false),
            "1" | "on" | "t" | "true" | "y" | "yes" => Ok(true),
            _ => Err(format!("expected a boolean, got `{s}`")),
        },
        other => Err(format!("expected a boolean, got {}", type_name(other))),
    }
}

/// An IPv4 address in dotted-decimal form (an integer is accepted too).
pub(crate) fn ipv4(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => {
            // Python's `ipaddress` rejects leading zeros, which `Ipv4Addr` also does.
            s.parse::<Ipv4Addr>()
                .map(|ip| ip.to_string())
                .map_err(|_| format!("`{s}` is not a valid IPv4 address"))
        }
        // Python's `IPv4Address(True)` is `0.0.0.1`: booleans are integers there.
        Value::Bool(b) => Ok(Ipv4Addr::from(u32::from(*b)).to_string()),
        Value::Number(n) => n
            .as_u64()
            .and_then(|u| u32::try_from(u).ok())
            .map(|u| Ipv4Addr::from(u).to_string())
            .ok_or_else(|| format!("`{n}` is not a valid IPv4 address")),
        other => Err(format!(
            "expected an IPv4 address, got {}",
            type_name(other)
        )),
    }
}

/// A UUID, written in lowercase hyphenated form.
pub(crate) fn uuid(value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) => uuid::Uuid::parse_str(s)
            .map(|u| u.hyphenated().to_string())
            .map_err(|_| format!("`{s}` is not a valid UUID")),
        other => Err(format!("expected a UUID, got {}", type_name(other))),
    }
}

/// A POSIX path normalised as Python's `pathlib.Path` prints it: repeated and trailing slashes
/// and `.` components removed, exactly two leading slashes kept, `""` becomes `"."`.
pub(crate) fn path(value: &Value) -> Result<String, String> {
    let Value::String(s) = value else {
        return Err(format!("expected a path string, got {}", type_name(value)));
    };
    Ok(normalise_path(s))
}

pub(crate) fn normalise_path(s: &str) -> String {
    let root = if s.starts_with("//") && !s.starts_with("///") {
        "//"
    } else if s.starts_with('/') {
        "/"
    } else {
        ""
    };
    let parts: Vec<&str> = s
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if root.is_empty() && parts.is_empty() {
        return ".".to_owned();
    }
    format!("{root}{}", parts.join("/"))
}

/// A URL normalised as pydantic prints `AnyUrl`; with `http_only`, as `AnyHttpUrl`.
pub(crate) fn url(value: &Value, http_only: bool) -> Result<String, String> {
    let Value::String(s) = value else {
        return Err(format!("expected a URL string, got {}", type_name(value)));
    };
    let parsed = url::Url::parse(s).map_err(|e| format!("`{s}` is not a valid URL: {e}"))?;
    if http_only && !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("URL scheme of `{s}` should be `http` or `https`"));
    }
    Ok(parsed.into())
}

/// A datetime written as pydantic writes it: `YYYY-MM-DDTHH:MM:SS[.ffffff]` followed by `Z`
/// (UTC), `±HH:MM` or nothing (naive input). Dates, RFC 3339-like strings and Unix timestamps
/// (seconds, or milliseconds beyond 2e10) are accepted.
pub(crate) fn datetime(value: &Value) -> Result<String, String> {
    match value {
        Value::Number(n) => {
            let ts = n.as_f64().ok_or("invalid timestamp")?;
            from_timestamp(ts)
        }
        Value::String(s) => {
            let t = s.trim();
            if !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
                && !t[1..].contains('-')
                && let Ok(ts) = t.parse::<f64>()
            {
                return from_timestamp(ts);
            }
            parse_datetime_str(s).ok_or_else(|| format!("`{s}` is not a valid datetime"))
        }
        other => Err(format!("expected a datetime, got {}", type_name(other))),
    }
}

fn from_timestamp(ts: f64) -> Result<String, String> {
    let secs = if ts.abs() > 2e10 { ts / 1000.0 } else { ts };
    let whole = secs.floor();
    let micros = ((secs - whole) * 1e6).round() as u32;
    let dt = DateTime::from_timestamp(whole as i64, micros.min(999_999) * 1000)
        .ok_or_else(|| format!("timestamp `{ts}` is out of range"))?;
    Ok(format_datetime(&dt.naive_utc(), Some(0)))
}

fn digits(s: &[u8], n: usize) -> Option<u32> {
    if s.len() < n || !s[..n].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        s[..n]
            .iter()
            .fold(0, |acc, d| acc * 10 + u32::from(d - b'0')),
    )
}

fn parse_datetime_str(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let year = digits(b, 4)?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let month = digits(&b[5..], 2)?;
    let day = digits(&b[8..], 2)?;
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    if b.len() == 10 {
        return Some(format_datetime(&date.and_hms_opt(0, 0, 0)?, None));
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ' | b'_')) {
        return None;
    }
    let rest = &b[11..];
    let hour = digits(rest, 2)?;
    if rest.get(2) != Some(&b':') {
        return None;
    }
    let minute = digits(&rest[3..], 2)?;
    let mut i = 5;
    let mut second = 0;
    let mut micros = 0;
    if rest.get(i) == Some(&b':') {
        second = digits(&rest[i + 1..], 2)?;
        i += 3;
        if matches!(rest.get(i), Some(b'.' | b',')) {
            i += 1;
            let start = i;
            while rest.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return None;
            }
            let frac = &rest[start..i];
            let mut value = 0;
            for k in 0..6 {
                value = value * 10 + frac.get(k).map_or(0, |d| u32::from(d - b'0'));
            }
            micros = value;
        }
    }
    let offset = match &rest[i..] {
        [] => None,
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), tz @ ..] => {
            let h = digits(tz, 2)?;
            let m = match &tz[2..] {
                [] => 0,
                [b':', mm @ ..] if mm.len() == 2 => digits(mm, 2)?,
                mm if mm.len() == 2 => digits(mm, 2)?,
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let total = i32::try_from(h * 3600 + m * 60).ok()?;
            Some(if *sign == b'-' { -total } else { total })
        }
        _ => return None,
    };
    let time = NaiveTime::from_hms_micro_opt(hour, minute, second, micros)?;
    Some(format_datetime(&NaiveDateTime::new(date, time), offset))
}

fn format_datetime(dt: &NaiveDateTime, offset: Option<i32>) -> String {
    let mut out = String::with_capacity(32);
    match u32::try_from(dt.year()) {
        Ok(year) if year <= 9999 => push_digits(&mut out, year, 4),
        _ => out.push_str(&format!("{:04}", dt.year())),
    }
    for (sep, value) in [
        ('-', dt.month()),
        ('-', dt.day()),
        ('T', dt.hour()),
        (':', dt.minute()),
        (':', dt.second()),
    ] {
        out.push(sep);
        push_digits(&mut out, value, 2);
    }
    let micros = dt.nanosecond() / 1000;
    if micros != 0 {
        out.push('.');
        // A leap second's nanoseconds go past one second: written in full, as `format!` did.
        push_digits(&mut out, micros, 6);
    }
    match offset {
        None => {}
        Some(0) => out.push('Z'),
        Some(secs) => {
            out.push(if secs < 0 { '-' } else { '+' });
            let secs = secs.unsigned_abs();
            push_digits(&mut out, secs / 3600, 2);
            out.push(':');
            push_digits(&mut out, secs % 3600 / 60, 2);
        }
    }
    out
}

/// `value` in decimal, zero-padded to at least `width` digits (`format!("{value:0width$}")`).
fn push_digits(out: &mut String, value: u32, width: usize) {
    let mut digits = [0u8; 10];
    let mut n = value;
    let mut len = 0;
    while n > 0 || len == 0 {
        digits[len] = b'0' + (n % 10) as u8;
        n /= 10;
        len += 1;
    }
    for _ in len..width {
        out.push('0');
    }
    for &d in digits[..len].iter().rev() {
        out.push(char::from(d));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn digits_are_padded_as_format_pads_them() {
        for (value, width) in [
            (0, 2),
            (7, 2),
            (42, 2),
            (123, 2),
            (5, 4),
            (2024, 4),
            (999_999, 6),
            (1_000_001, 6),
            (u32::MAX, 4),
        ] {
            let mut out = String::new();
            push_digits(&mut out, value, width);
            assert_eq!(out, format!("{value:0width$}"));
        }
    }

    #[test]
    fn datetimes_are_normalised_as_pydantic_prints_them() {
        for (input, output) in [
            (json!("2024-01-15T10:00:00+00:00"), "2024-01-15T10:00:00Z"),
            (
                json!("2024-01-15T10:00:00.123+00:00"),
                "2024-01-15T10:00:00.123000Z",
            ),
            (json!("2024-01-15T10:00:00"), "2024-01-15T10:00:00"),
            (
                json!("2024-01-15T12:00:00.5+02:00"),
                "2024-01-15T12:00:00.500000+02:00",
            ),
            (
                json!("2024-01-15T10:00:00.123456789Z"),
                "2024-01-15T10:00:00.123456Z",
            ),
            (json!("2024-01-15"), "2024-01-15T00:00:00"),
            (json!("2024-01-15T10:00"), "2024-01-15T10:00:00"),
            (json!("2024-01-15 10:00:00Z"), "2024-01-15T10:00:00Z"),
            (json!("2024-01-15T10:00:00+0000"), "2024-01-15T10:00:00Z"),
            (json!("2024-01-15T10:00:00-00:00"), "2024-01-15T10:00:00Z"),
            (json!("2024-01-15t10:00:00z"), "2024-01-15T10:00:00Z"),
            (json!(1705312800), "2024-01-15T10:00:00Z"),
            (json!(1705312800.5), "2024-01-15T10:00:00.500000Z"),
            (json!(1705312800123_i64), "2024-01-15T10:00:00.123000Z"),
            (json!("1705312800"), "2024-01-15T10:00:00Z"),
        ] {
            assert_eq!(datetime(&input).as_deref(), Ok(output), "{input}");
        }
        for bad in [
            json!("2024-01-15T24:00:00Z"),
            json!("yesterday"),
            json!(true),
        ] {
            assert!(datetime(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn paths_are_normalised_as_pathlib_prints_them() {
        for (input, output) in [
            ("/courses/x/info/", "/courses/x/info"),
            ("", "."),
            ("//x/./y/../z", "//x/y/../z"),
            ("///a", "/a"),
            ("a//b/", "a/b"),
        ] {
            assert_eq!(normalise_path(input), output, "{input}");
        }
    }

    #[test]
    fn urls_are_normalised_as_pydantic_prints_them() {
        for (input, output) in [
            ("https://lms.example.org", "https://lms.example.org/"),
            (
                "http://Example.COM:80/a/./b/../c?x=1 2#frag",
                "http://example.com/a/c?x=1%202#frag",
            ),
            ("https://üx.org/", "https://xn--x-dha.org/"),
            ("mailto:a@b.c", "mailto:a@b.c"),
        ] {
            assert_eq!(url(&json!(input), false).as_deref(), Ok(output), "{input}");
        }
        assert!(url(&json!("ftp://x.org"), true).is_err());
        assert!(url(&json!("lms.example.org/x"), false).is_err());
    }

    #[test]
    fn lax_numbers_and_booleans() {
        assert_eq!(int(&json!("42")), Ok(json!(42)));
        assert_eq!(int(&json!(42.0)), Ok(json!(42)));
        assert_eq!(int(&json!("1.0")), Ok(json!(1)));
        assert!(int(&json!("1.5")).is_err());
        assert_eq!(int(&json!(true)), Ok(json!(1)));
        assert!(int(&json!(4.5)).is_err());
        assert_eq!(float(&json!("12.5")), Ok(12.5));
        assert_eq!(boolean(&json!("yes")), Ok(true));
        assert_eq!(string(&json!(1e20)).as_deref(), Ok("1e+20"));
        assert!(string(&json!(true)).is_err());
        assert_eq!(ipv4(&json!(2130706433)).as_deref(), Ok("127.0.0.1"));
        assert!(ipv4(&json!("127.000.0.1")).is_err());
        assert_eq!(ipv4(&json!(true)).as_deref(), Ok("0.0.0.1"));
    }
}
