//! Small, dependency-free checks of the textual formats xAPI relies on: IRIs (RFC 3987),
//! language tags (RFC 5646), e-mail addresses, ISO 8601 durations and timestamps, UUIDs.
//!
//! Each check is a pure function so it can be tested on its own and reused (the LRS validates
//! query parameters with the same functions).

use chrono::{DateTime, FixedOffset};
use uuid::Uuid;

/// Returns `true` when `s` is an absolute IRI as defined by RFC 3987
/// (`scheme ":" ihier-part ["?" iquery] ["#" ifragment]`).
#[must_use]
pub fn is_iri(s: &str) -> bool {
    split_iri(s).is_some()
}

/// Returns `true` when `s` is an IRI that locates a resource: an absolute IRI with an
/// authority (`scheme://host...`) and a non-empty host.
#[must_use]
pub fn is_irl(s: &str) -> bool {
    matches!(split_iri(s), Some(Some(host)) if !host.is_empty())
}

/// Parses an IRI; returns `Some(host)` where `host` is `None` when the IRI has no authority.
fn split_iri(s: &str) -> Option<Option<&str>> {
    let (scheme, rest) = s.split_once(':')?;
    let mut chars = scheme.chars();
    if !chars.next()?.is_ascii_alphabetic()
        || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    let (rest, fragment) = match rest.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (rest, None),
    };
    if let Some(fragment) = fragment
        && !chars_ok(fragment, ":@/?", false)
    {
        return None;
    }
    let (hier, query) = match rest.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (rest, None),
    };
    if let Some(query) = query
        && !chars_ok(query, ":@/?", true)
    {
        return None;
    }
    if let Some(after) = hier.strip_prefix("//") {
        let end = after.find('/').unwrap_or(after.len());
        let (authority, path) = after.split_at(end);
        let host = check_authority(authority)?;
        chars_ok(path, ":@/", false).then_some(Some(host))
    } else {
        chars_ok(hier, ":@/", false).then_some(None)
    }
}

/// Checks `[iuserinfo "@"] ihost [":" port]` and returns the host.
fn check_authority(authority: &str) -> Option<&str> {
    let hostport = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => {
            if !chars_ok(userinfo, ":", false) {
                return None;
            }
            hostport
        }
        None => authority,
    };
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let (literal, after) = inner.split_once(']')?;
        if literal.is_empty()
            || !literal
                .chars()
                .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.' | 'v' | 'V'))
        {
            return None;
        }
        let port = match after {
            "" => "",
            p => p.strip_prefix(':')?,
        };
        (&hostport[..literal.len() + 2], port)
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p),
            None => (hostport, ""),
        }
    };
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !host.starts_with('[') && !chars_ok(host, "", false) {
        return None;
    }
    Some(host)
}

/// The ASCII bytes that are `unreserved` or `sub-delims` (RFC 3986).
const IRI_ASCII: [bool; 128] = {
    let mut table = [false; 128];
    let mut b = 0;
    while b < 128 {
        table[b] = matches!(
            b as u8,
            b'a'..=b'z'
                | b'A'..=b'Z'
                | b'0'..=b'9'
                | b'-'
                | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
        );
        b += 1;
    }
    table
};

/// Checks that every character is an `iunreserved`, a `pct-encoded` triplet, a `sub-delims`
/// or one of the ASCII characters of `extra`; `private` also allows `iprivate` code points
/// (query only).
fn chars_ok(s: &str, extra: &str, private: bool) -> bool {
    let bytes = s.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii() {
            if IRI_ASCII[usize::from(b)] || extra.as_bytes().contains(&b) {
                i += 1;
            } else if b == b'%'
                && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
            {
                i += 3;
            } else {
                return false;
            }
        } else {
            // `i` is on a character boundary: it only moved over ASCII bytes and whole
            // characters.
            let Some(c) = s.get(i..).and_then(|rest| rest.chars().next()) else {
                return false;
            };
            if !(is_ucschar(c) || (private && is_iprivate(c))) {
                return false;
            }
            i += c.len_utf8();
        }
    }
    true
}

fn is_ucschar(c: char) -> bool {
    let c = u32::from(c);
    matches!(c, 0xA0..=0xD7FF | 0xF900..=0xFDCF | 0xFDF0..=0xFFEF)
        || (c >= 0x10000 && (c & 0xFFFF) <= 0xFFFD && c < 0xE0000)
        || matches!(c, 0xE1000..=0xEFFFD)
}

fn is_iprivate(c: char) -> bool {
    let c = u32::from(c);
    matches!(c, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD)
}

/// Grandfathered tags of RFC 5646 §2.1 that do not follow the general grammar.
const IRREGULAR_TAGS: &[&str] = &[
    "en-gb-oed",
    "i-ami",
    "i-bnn",
    "i-default",
    "i-enochian",
    "i-hak",
    "i-klingon",
    "i-lux",
    "i-mingo",
    "i-navajo",
    "i-pwn",
    "i-tao",
    "i-tay",
    "i-tsu",
    "sgn-be-fr",
    "sgn-be-nl",
    "sgn-ch-de",
];

/// Returns `true` when `s` is a well-formed RFC 5646 language tag (e.g. `en-US`, `zh-Hant-TW`,
/// `de-CH-1996`, `x-private`). Only the grammar is checked, not the IANA registry.
#[must_use]
pub fn is_language_tag(s: &str) -> bool {
    if s.is_empty() || !s.is_ascii() {
        return false;
    }
    let lower = s.to_ascii_lowercase();
    if IRREGULAR_TAGS.contains(&lower.as_str()) {
        return true;
    }
    let parts: Vec<&str> = lower.split('-').collect();
    let alpha = |p: &str, min: usize, max: usize| {
        (min..=max).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase())
    };
    let alnum = |p: &str, min: usize, max: usize| {
        (min..=max).contains(&p.len())
            && p.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let private_use = |rest: &[&str]| !rest.is_empty() && rest.iter().all(|p| alnum(p, 1, 8));
    if parts[0] == "x" {
        return private_use(&parts[1..]);
    }
    if !alpha(parts[0], 2, 8) {
        return false;
    }
    let mut i = 1;
    if parts[0].len() <= 3 {
        let mut extlangs = 0;
        while extlangs < 3 && i < parts.len() && alpha(parts[i], 3, 3) {
            i += 1;
            extlangs += 1;
        }
    }
    if i < parts.len() && alpha(parts[i], 4, 4) {
        i += 1; // script
    }
    if i < parts.len()
        && (alpha(parts[i], 2, 2)
            || (parts[i].len() == 3 && parts[i].bytes().all(|b| b.is_ascii_digit())))
    {
        i += 1; // region
    }
    let mut variants: Vec<&str> = Vec::new();
    while i < parts.len() {
        let p = parts[i];
        let is_variant =
            alnum(p, 5, 8) || (p.len() == 4 && p.as_bytes()[0].is_ascii_digit() && alnum(p, 4, 4));
        if !is_variant {
            break;
        }
        if variants.contains(&p) {
            return false;
        }
        variants.push(p);
        i += 1;
    }
    let mut singletons: Vec<&str> = Vec::new();
    while i < parts.len() && parts[i].len() == 1 && parts[i] != "x" {
        let singleton = parts[i];
        if !alnum(singleton, 1, 1) || singletons.contains(&singleton) {
            return false;
        }
        singletons.push(singleton);
        i += 1;
        let start = i;
        while i < parts.len() && alnum(parts[i], 2, 8) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if i < parts.len() && parts[i] == "x" {
        return private_use(&parts[i + 1..]);
    }
    i == parts.len()
}

/// Validates a `mailto:` IRI holding one e-mail address and returns it normalised
/// (ASCII domain lowercased), or `None` when it is not valid.
#[must_use]
pub fn normalize_mbox(s: &str) -> Option<String> {
    let address = s.strip_prefix("mailto:")?;
    if !is_email(address) {
        return None;
    }
    let (local, domain) = address.rsplit_once('@')?;
    Some(format!("mailto:{local}@{}", domain.to_ascii_lowercase()))
}

/// Returns `true` when `s` is an e-mail address `local@domain` (dot-atom local part,
/// internationalised characters allowed, domain with at least two labels and a non-numeric
/// top-level label).
#[must_use]
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else {
        return false;
    };
    if local.is_empty() || local.len() > 64 || domain.len() > 253 {
        return false;
    }
    let atext = |c: char| {
        c.is_ascii_alphanumeric()
            || "!#$%&'*+/=?^_`{|}~-".contains(c)
            || (!c.is_ascii() && !c.is_control())
    };
    if !local
        .split('.')
        .all(|p| !p.is_empty() && p.chars().all(atext))
    {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| {
                c.is_ascii_alphanumeric() || c == '-' || (!c.is_ascii() && c.is_alphanumeric())
            })
    };
    labels.iter().all(|l| label_ok(l))
        && !labels
            .last()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
}

/// Returns `true` when `s` is made of hexadecimal digits and its length is one of `lengths`.
#[must_use]
pub fn is_hex(s: &str, lengths: &[usize]) -> bool {
    lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Returns `true` when `s` is an ISO 8601 duration such as `PT1H30M`, `P1DT12.5S` or `P2W`.
///
/// Components must appear in order (`Y M D`, then `T H M S`), at least one is required, `T`
/// must be followed by a time component, and only the last component may have a fraction;
/// weeks (`P2W`) stand alone.
#[must_use]
pub fn is_duration(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    // Weeks stand alone in ISO 8601: `P4W`, never `P4W1D` or `P1WT2H`.
    if date.contains('W')
        && (time.is_some()
            || !date.ends_with('W')
            || date[..date.len() - 1]
                .bytes()
                .any(|b| !(b.is_ascii_digit() || b == b'.')))
    {
        return false;
    }
    let mut state = DurationScan::default();
    if !state.scan(date, b"YMWD") {
        return false;
    }
    if let Some(time) = time {
        let before = state.components;
        if !state.scan(time, b"HMS") || state.components == before {
            return false;
        }
    }
    state.components > 0
}

#[derive(Default)]
struct DurationScan {
    components: usize,
    fraction_seen: bool,
}

impl DurationScan {
    /// Scans `n[.n]X` components whose designators `X` appear in the order of `designators`.
    fn scan(&mut self, part: &str, designators: &[u8]) -> bool {
        let bytes = part.as_bytes();
        let mut next = 0;
        let mut i = 0;
        while i < bytes.len() {
            if self.fraction_seen {
                return false; // a fraction is only allowed on the last component
            }
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i == start {
                return false;
            }
            if i < bytes.len() && matches!(bytes[i], b'.' | b',') {
                i += 1;
                let frac = i;
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                if i == frac {
                    return false;
                }
                self.fraction_seen = true;
            }
            let Some(&d) = bytes.get(i) else {
                return false;
            };
            let Some(pos) = designators[next..].iter().position(|&x| x == d) else {
                return false;
            };
            next += pos + 1;
            i += 1;
            self.components += 1;
        }
        true
    }
}

/// Parses an ISO 8601 / RFC 3339 date-time that carries a time zone (`Z` or `±hh:mm`).
///
/// The offset `-00:00` ("unknown local offset") is rejected, as xAPI 2.0 requires.
///
/// # Errors
/// Returns a lowercase reason when the value is not a date-time with a zone.
pub fn parse_timestamp(s: &str) -> Result<DateTime<FixedOffset>, &'static str> {
    if s.ends_with("-00:00") {
        return Err("the offset `-00:00` is not allowed, use `Z` or `+00:00`");
    }
    DateTime::parse_from_rfc3339(s)
        .map_err(|_| "expected an ISO 8601 date-time with a time zone, e.g. `2024-01-15T10:00:00Z`")
}

/// Parses an ISO 8601 date-time with or without a time zone (used by profile extensions).
#[must_use]
pub fn is_datetime(s: &str) -> bool {
    if DateTime::parse_from_rfc3339(s).is_ok() {
        return true;
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f").is_ok()
}

/// Normalises a valid timestamp: a `+00:00` offset is written `Z` (as Ralph does).
#[must_use]
pub fn normalize_timestamp(s: &str) -> String {
    match s.strip_suffix("+00:00") {
        Some(head) => format!("{head}Z"),
        None => s.to_owned(),
    }
}

/// Parses a UUID in its standard hyphenated form (`8-4-4-4-12` hex digits, any case).
#[must_use]
pub fn parse_uuid(s: &str) -> Option<Uuid> {
    let b = s.as_bytes();
    if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    Uuid::try_parse(s).ok()
}

/// Returns `true` when `s` looks like an Internet media type (`type/subtype[;params]`).
#[must_use]
pub fn is_media_type(s: &str) -> bool {
    let essence = s.split(';').next().unwrap_or_default().trim();
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-*'%`|~".contains(&b))
    };
    matches!(essence.split_once('/'), Some((t, sub)) if token(t) && token(sub))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iris() {
        for ok in [
            "http://example.com",
            "https://w3id.org/xapi/video/verbs/played",
            "http://example.com/path?query=1#frag",
            "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
            "mailto:test@example.com",
            "http://example.com/caf%C3%A9",
            "http://例え.テスト/パス",
            "http://user:pw@[::1]:8080/x",
            "tag:example.com,2024:x",
            "file:///tmp/a",
            "http://x/?q=\u{E000}",
        ] {
            assert!(is_iri(ok), "{ok}");
        }
        for bad in [
            "",
            "example.com",
            "http://exa mple.com",
            "1http://x",
            "http://x/%zz",
            "http://x/%",
            "http://x/%4",
            "http://x/\u{E000}",
            "http://x/a\u{7f}",
            "http://x/<a>",
            "http://x#a#b",
            "http://x:port/",
            ":nope",
            "http://x/\"",
        ] {
            assert!(!is_iri(bad), "{bad}");
        }
        assert!(is_irl("https://example.com/a"));
        assert!(!is_irl("urn:isbn:123"));
        assert!(!is_irl("file:///tmp/a"));
    }

    #[test]
    fn language_tags() {
        for ok in [
            "en",
            "en-US",
            "fr-FR",
            "zh-Hant-TW",
            "de-CH-1996",
            "sr-Latn-RS",
            "es-419",
            "x-whatever",
            "en-a-bbb-x-a-ccc",
            "i-klingon",
            "zh-yue-HK",
            "und",
            "EN-us",
        ] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in [
            "",
            "e",
            "toolonglanguage",
            "en_US",
            "en-",
            "-en",
            "en-US-",
            "de-1996-1996",
            "en-a-b",
            "en-a-bb-a-cc",
            "x",
            "1en",
            "fr-FR-é",
        ] {
            assert!(!is_language_tag(bad), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(
            normalize_mbox("mailto:John.Doe@Example.COM").as_deref(),
            Some("mailto:John.Doe@example.com")
        );
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "é@exemple.fr",
            "x@xn--e1afmkfd.xn--p1ai",
        ] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "",
            "a",
            "a@",
            "@b.co",
            "a@b",
            "a..b@c.co",
            ".a@c.co",
            "a@-b.co",
            "a@b.123",
            "a b@c.co",
            "a@b..co",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
        assert!(normalize_mbox("john@example.com").is_none());
    }

    #[test]
    fn durations() {
        for ok in [
            "PT1H",
            "P1Y2M3DT4H5M6S",
            "PT12.5S",
            "P2W",
            "P1D",
            "PT0S",
            "PT1M0,5S",
            "P0.5D",
        ] {
            assert!(is_duration(ok), "{ok}");
        }
        for bad in [
            "",
            "P",
            "PT",
            "1H",
            "PT1H2",
            "PT1.5H30M",
            "P1H",
            "PT1D",
            "PT1S1M",
            "P1YT",
            "PT.5S",
            "PT1.S",
            "pt1h",
        ] {
            assert!(!is_duration(bad), "{bad}");
        }
    }

    #[test]
    fn timestamps() {
        for ok in [
            "2024-01-15T10:00:00Z",
            "2024-01-15T10:00:00.123+02:00",
            "2024-01-15T10:00:00+00:00",
        ] {
            assert!(parse_timestamp(ok).is_ok(), "{ok}");
        }
        for bad in [
            "2024-01-15T10:00:00",
            "2024-01-15",
            "2024-01-15T10:00:00-00:00",
            "yesterday",
            "2024-13-01T00:00:00Z",
        ] {
            assert!(parse_timestamp(bad).is_err(), "{bad}");
        }
        assert_eq!(
            normalize_timestamp("2024-01-15T10:00:00+00:00"),
            "2024-01-15T10:00:00Z"
        );
        assert!(is_datetime("2024-01-15T10:00:00"));
        assert!(!is_datetime("tomorrow"));
    }

    #[test]
    fn uuids_hex_media_types() {
        assert!(parse_uuid("fd41c918-b88b-4b20-a0a5-a4c32391aaa0").is_some());
        assert!(parse_uuid("FD41C918-B88B-4B20-A0A5-A4C32391AAA0").is_some());
        assert!(parse_uuid("fd41c918b88b4b20a0a5a4c32391aaa0").is_none());
        assert!(parse_uuid("{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}").is_none());
        assert!(parse_uuid("fd41c918-b88b-4b20-a0a5-a4c32391aaaz").is_none());
        assert!(is_hex(&"a".repeat(40), &[40]));
        assert!(!is_hex(&"g".repeat(40), &[40]));
        assert!(is_media_type("application/json"));
        assert!(is_media_type("text/plain; charset=utf-8"));
        assert!(!is_media_type("json"));
        assert!(!is_media_type("text/"));
    }
}
