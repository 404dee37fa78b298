//! `multipart/mixed` bodies (RFC 2046 §5.1), as xAPI uses them for statements with attachments:
//! reading requests and writing `attachments=true` responses.
//!
//! Request bodies are already bounded by the configured body limit, so a body is parsed from
//! memory; parts borrow nothing and share the body's buffer.

use axum::body::Bytes;

/// One part of a multipart body.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    /// Header names (lowercase) and values (trimmed), in order.
    headers: Vec<(String, String)>,
    /// The content.
    pub(crate) body: Bytes,
}

impl Part {
    /// The value of header `name` (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The media type of `Content-Type`, lowercase and without parameters.
    pub(crate) fn media_type(&self) -> Option<String> {
        self.header("content-type").map(media_type)
    }
}

/// The media type of a `Content-Type` value, lowercase and without parameters.
pub(crate) fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The `boundary` parameter of a `Content-Type` value, unquoted.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|parameter| {
        let (name, value) = parameter.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > haystack.len() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|i| i + from)
}

/// The next delimiter at or after `from`: `--boundary` at the start of a line (or at `from`
/// itself, for the first one), followed by `--` or the end of its line. Other occurrences are
/// content.
fn next_delimiter(body: &[u8], delimiter: &[u8], from: usize, first: bool) -> Option<usize> {
    let mut at = from;
    loop {
        let found = find(body, delimiter, at)?;
        let line_start = found == 0 || body[found - 1] == b'\n' || (first && found == from);
        let mut after = found + delimiter.len();
        let closing = body.get(after..after + 2) == Some(b"--");
        while matches!(body.get(after), Some(b' ' | b'\t')) {
            after += 1;
        }
        let line_end = matches!(body.get(after), Some(b'\r' | b'\n'));
        if line_start && (closing || line_end) {
            return Some(found);
        }
        at = found + 1;
    }
}

/// Skips the rest of a delimiter line: transport padding, then CRLF (or a bare LF).
fn skip_line_end(body: &[u8], mut at: usize) -> Result<usize, String> {
    while matches!(body.get(at), Some(b' ' | b'\t')) {
        at += 1;
    }
    match (body.get(at), body.get(at + 1)) {
        (Some(b'\r'), Some(b'\n')) => Ok(at + 2),
        (Some(b'\n'), _) => Ok(at + 1),
        _ => Err("a multipart delimiter must end its line".to_owned()),
    }
}

fn parse_headers(block: &[u8]) -> Result<Vec<(String, String)>, String> {
    let text = std::str::from_utf8(block)
        .map_err(|_| "multipart part headers must be ASCII text".to_owned())?;
    let mut headers = Vec::new();
    for line in text.split('\n').map(|l| l.trim_end_matches('\r')) {
        if line.is_empty() {
            continue;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("invalid multipart part header `{line}`"))?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    Ok(headers)
}

/// The parts of `body` delimited by `boundary`; the error says what is malformed.
pub(crate) fn parse(body: &Bytes, boundary: &str) -> Result<Vec<Part>, String> {
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let Some(first) = next_delimiter(body, delimiter, 0, true) else {
        return Err(format!(
            "the body has no multipart delimiter for boundary `{boundary}`"
        ));
    };
    let mut parts = Vec::new();
    let mut at = first + delimiter.len();
    loop {
        if body.get(at..at + 2) == Some(b"--") {
            return Ok(parts);
        }
        let start = skip_line_end(body, at)?;
        // Headers end at the first empty line; a part without headers starts with one.
        let (headers, content_start) = if body[start..].starts_with(b"\r\n") {
            (Vec::new(), start + 2)
        } else if body[start..].starts_with(b"\n") {
            (Vec::new(), start + 1)
        } else {
            let (end, skip) = match (find(body, b"\r\n\r\n", start), find(body, b"\n\n", start)) {
                (Some(crlf), Some(lf)) if lf < crlf => (lf, 2),
                (Some(crlf), _) => (crlf, 4),
                (None, Some(lf)) => (lf, 2),
                (None, None) => return Err("a multipart part has no end of headers".to_owned()),
            };
            (parse_headers(&body[start..end])?, end + skip)
        };
        let Some(next) = next_delimiter(body, delimiter, content_start, false) else {
            return Err("the multipart body has no closing delimiter".to_owned());
        };
        // The line break before a delimiter belongs to the delimiter.
        let mut content_end = next;
        if content_end > content_start && body[content_end - 1] == b'\n' {
            content_end -= 1;
            if content_end > content_start && body[content_end - 1] == b'\r' {
                content_end -= 1;
            }
        }
        parts.push(Part {
            headers,
            body: body.slice(content_start..content_end.max(content_start)),
        });
        at = next + delimiter.len();
    }
}

/// Writes a `multipart/mixed` body of `parts` (headers, content) delimited by `boundary`.
pub(crate) fn build(boundary: &str, parts: &[(Vec<(&str, String)>, Bytes)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (headers, content) in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        for (name, value) in headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(content);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_are_read_quoted_or_not() {
        assert_eq!(
            boundary("multipart/mixed; boundary=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(
            boundary("multipart/mixed;boundary=\"a b\"").as_deref(),
            Some("a b")
        );
        assert_eq!(boundary("multipart/mixed"), None);
    }

    #[test]
    fn parts_round_trip_with_their_headers_and_binary_content() {
        let binary = Bytes::from_static(&[0, 13, 10, 45, 45, 255]);
        let body = build(
            "b0undary",
            &[
                (
                    vec![("Content-Type", "application/json".to_owned())],
                    Bytes::from_static(b"{\"a\": 1}"),
                ),
                (
                    vec![
                        ("Content-Type", "application/octet-stream".to_owned()),
                        ("X-Experience-API-Hash", "abc".to_owned()),
                    ],
                    binary.clone(),
                ),
            ],
        );
        let mut with_preamble = b"preamble\r\n".to_vec();
        with_preamble.extend_from_slice(&body);
        let parts = parse(&Bytes::from(with_preamble), "b0undary").expect("parse");
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].media_type().as_deref(), Some("application/json"));
        assert_eq!(parts[0].body, Bytes::from_static(b"{\"a\": 1}"));
        assert_eq!(parts[1].header("x-experience-api-hash"), Some("abc"));
        assert_eq!(parts[1].body, binary);
    }

    #[test]
    fn malformed_bodies_are_errors_not_panics() {
        for body in [
            &b""[..],
            b"--b",
            b"--b\r\nContent-Type: x",
            b"--b\r\nContent-Type: x\r\n\r\nno end",
            b"--b\r\nContent-Type: x\r\n\r\nno end\r\n--bx",
            b"--bx",
        ] {
            assert!(
                parse(&Bytes::copy_from_slice(body), "b").is_err(),
                "{body:?}"
            );
        }
    }
}
