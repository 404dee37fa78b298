//! RFC 3987 IRI syntax, as Ralph's xAPI models check `id`s and `homePage`s.

fn is_ucschar(c: char) -> bool {
    let c = c as u32;
    matches!(c,
        0xA0..=0xD7FF | 0xF900..=0xFDCF | 0xFDF0..=0xFFEF
        | 0x10000..=0x1FFFD | 0x20000..=0x2FFFD | 0x30000..=0x3FFFD
        | 0x40000..=0x4FFFD | 0x50000..=0x5FFFD | 0x60000..=0x6FFFD
        | 0x70000..=0x7FFFD | 0x80000..=0x8FFFD | 0x90000..=0x9FFFD
        | 0xA0000..=0xAFFFD | 0xB0000..=0xBFFFD | 0xC0000..=0xCFFFD
        | 0xD0000..=0xDFFFD | 0xE1000..=0xEFFFD)
}

fn is_iprivate(c: char) -> bool {
    matches!(c as u32, 0xE000..=0xF8FF | 0xF0000..=0xFFFFD | 0x100000..=0x10FFFD)
}

fn is_iunreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~') || is_ucschar(c)
}

fn is_sub_delim(c: char) -> bool {
    matches!(
        c,
        '!' | '$' | '&' | '\'' | '(' | ')' | '*' | '+' | ',' | ';' | '='
    )
}

/// Whether every character of `s` is allowed by `allowed` or is part of a `%XX` escape.
fn all_chars(s: &str, allowed: impl Fn(char) -> bool) -> bool {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '%' {
            let (Some(a), Some(b)) = (chars.next(), chars.next()) else {
                return false;
            };
            if !a.is_ascii_hexdigit() || !b.is_ascii_hexdigit() {
                return false;
            }
        } else if !allowed(c) {
            return false;
        }
    }
    true
}

fn is_ipchar(c: char) -> bool {
    is_iunreserved(c) || is_sub_delim(c) || matches!(c, ':' | '@')
}

fn is_authority(authority: &str) -> bool {
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if let Some(userinfo) = userinfo
        && !all_chars(userinfo, |c| {
            is_iunreserved(c) || is_sub_delim(c) || c == ':'
        })
    {
        return false;
    }
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let Some((literal, after)) = rest.split_once(']') else {
            return false;
        };
        if literal.is_empty()
            || !literal.chars().all(|c| {
                c.is_ascii_hexdigit() || matches!(c, ':' | '.' | 'v' | 'V') || is_sub_delim(c)
            })
        {
            return false;
        }
        match after {
            "" => ("", None),
            _ => match after.strip_prefix(':') {
                Some(port) => ("", Some(port)),
                None => return false,
            },
        }
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if let Some(port) = port
        && !port.chars().all(|c| c.is_ascii_digit())
    {
        return false;
    }
    all_chars(host, |c| is_iunreserved(c) || is_sub_delim(c))
}

/// ASCII characters allowed anywhere after the scheme of an IRI (the union of every
/// component's set); `%` escapes are checked separately.
const PLAIN_ASCII: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'-' | b'.'
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
                    | b':'
                    | b'@'
                    | b'/'
                    | b'?'
            );
        b += 1;
    }
    table
};

fn is_plain_ascii(b: u8) -> bool {
    PLAIN_ASCII[usize::from(b)]
}

/// Whether `s` is an absolute IRI (RFC 3987 `IRI` rule).
pub(crate) fn is_iri(s: &str) -> bool {
    // Fast path for the usual `scheme://host/path` made of plain ASCII: no escapes, no
    // brackets, one `#` at most is handled by the full parser below.
    if let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        && !rest.is_empty()
        && rest.bytes().all(is_plain_ascii)
    {
        let authority = rest.split(['/', '?']).next().unwrap_or("");
        if !authority.contains('@') {
            // Plain ASCII without userinfo: a host of unreserved and sub-delimiter characters
            // (everything the table allows but `:`), then an optional port of digits.
            let (host, port) = authority.rsplit_once(':').unwrap_or((authority, ""));
            return !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit());
        }
        return is_authority(authority);
    }
    is_iri_full(s)
}

fn is_iri_full(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut scheme_chars = scheme.chars();
    if !scheme_chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        || !scheme_chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return false;
    }
    let (rest, fragment) = match rest.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (rest, None),
    };
    if let Some(fragment) = fragment
        && !all_chars(fragment, |c| is_ipchar(c) || matches!(c, '/' | '?'))
    {
        return false;
    }
    let (hier, query) = match rest.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (rest, None),
    };
    if let Some(query) = query
        && !all_chars(query, |c| {
            is_ipchar(c) || is_iprivate(c) || matches!(c, '/' | '?')
        })
    {
        return false;
    }
    let path = match hier.strip_prefix("//") {
        Some(after) => {
            let (authority, path) = match after.find('/') {
                Some(i) => after.split_at(i),
                None => (after, ""),
            };
            if !is_authority(authority) {
                return false;
            }
            path
        }
        None => hier,
    };
    all_chars(path, |c| is_ipchar(c) || c == '/')
}

#[cfg(test)]
mod tests {
    use super::{is_iri, is_iri_full};

    /// The plain-ASCII fast path gives the full parser's answer on strings built from the
    /// pieces of `http(s)://` IRIs.
    #[test]
    fn the_fast_path_agrees_with_the_full_parser() {
        let pieces = [
            "", "x.org", ":", "80", "@", "u", "/", "?", "a", "#", "%20", "[", "]", "-", "é", " ",
        ];
        for scheme in ["http://", "https://"] {
            for a in pieces {
                for b in pieces {
                    for c in pieces {
                        for d in pieces {
                            let s = format!("{scheme}{a}{b}{c}{d}");
                            assert_eq!(is_iri(&s), is_iri_full(&s), "{s:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn iris() {
        for good in [
            "https://example.org",
            "https://example.org/courses/course-v1:FUN+101+2024/info",
            "https://example.org/xblock/block-v1:course-v1:FUN+101+2024-course-v1:+type@video+block@a1",
            "http://id.tincanapi.com/verb/viewed",
            "https://lms.example.org/a%20b?x=1#frag",
            "https://exämple.org/é",
            "mailto:alice@example.org",
            "urn:uuid:6a1c1d0b-7f9c-4b8e-9d3a-2f4e5c6b7a80",
            "http://[::1]:8080/x",
            "https://example.org//x/./y/../z",
            "https://x.org:8080/a",
            "https://x.org:/a",
            "https://user:pw@x.org:80/",
            "https://x.org",
        ] {
            assert!(is_iri(good), "{good}");
        }
        for bad in [
            "not a url",
            "https://x.org/a b",
            "https://example.org/a b",
            "/relative/path",
            "1http://x",
            "https://x.org/%zz",
            "https://x.org:port/",
            "https://x.org/<tag>",
            "https://x.org:80:80/",
            "https://a:b@x.org:8x/",
            "https://x.org:-1/",
        ] {
            assert!(!is_iri(bad), "{bad}");
        }
    }
}
