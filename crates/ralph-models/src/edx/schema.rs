//! A small declarative schema language for the edX models, and its validator.
//!
//! A model is a list of fields in declared order; validation walks an input JSON value and builds
//! the normalised output (every declared field present, `null` for absent optional fields,
//! coerced scalars) in one pass, or stops at the first invalid field with its JSON path.

use std::sync::LazyLock;

use regex_lite::Regex;
use serde_json::{Map, Value};

use super::scalars;

/// A string pattern of the edX models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pat {
    /// `context.course_id`: empty or `course-v1:ORG+COURSE+RUN`.
    CourseId,
    /// `context.module.usage_key`.
    UsageKey,
    /// `context.module.original_usage_key`.
    OriginalUsageKey,
    /// A browser `session`: 32 lowercase hexadecimal digits.
    Session,
    /// A sequential block id.
    SequentialId,
    /// A problem block id.
    ProblemId,
    /// A problem input id: `<32 hex>_<digit>_<digit>`.
    InputId,
    /// A textbook chapter asset.
    Chapter,
    /// An open response assessment block id.
    OraItemId,
    /// A rubric content hash.
    ContentHash,
    /// A bookmarked component id.
    ComponentUsageId,
}

impl Pat {
    /// The regular expression, as Ralph declares it.
    pub(crate) fn source(self) -> &'static str {
        match self {
            Self::CourseId => r"^$|^course-v1:.+\+.+\+.+$",
            Self::UsageKey => r"^block-v1:.+\+.+\+.+type@.+@[a-f0-9]{32}$",
            Self::OriginalUsageKey => r"^block-v1:.+\+.+\+.+type@problem\+block@[a-f0-9]{32}$",
            Self::Session => r"^[a-f0-9]{32}$",
            Self::SequentialId => {
                r"^block-v1:[^\/+]+(\/|\+)[^\/+]+(\/|\+)[^\/?]+type@sequential\+block@[a-f0-9]{32}$"
            }
            Self::ProblemId => {
                r"^block-v1:[^\/+]+(\/|\+)[^\/+]+(\/|\+)[^\/?]+type@problem\+block@[a-f0-9]{32}$"
            }
            Self::InputId => r"^[a-f0-9]{32}_[0-9]_[0-9]$",
            Self::Chapter => r"^\/asset-v1:[^\/+]+(\/|\+)[^\/+]+(\/|\+)[^\/?]+type@asset\+block.+$",
            // Ralph's pattern reads `openassessment+block` as a regex (`t+block`), so real
            // `openassessment+block` ids never match; the literal `+` is accepted here as well.
            Self::OraItemId => r"^block-v1:.+\+.+\+.+type@openassessment(\+|t*)block@[a-f0-9]{32}$",
            Self::ContentHash => r"^[a-f0-9]{1,40}$",
            Self::ComponentUsageId => {
                r"^block-v1:[^\/+]+(\/|\+)[^\/+]+(\/|\+)[^\/?]+type@([a-z]+)\+block@[a-f0-9]{32}$"
            }
        }
    }

    fn regex(self) -> &'static Regex {
        macro_rules! cached {
            ($($variant:ident),*) => {
                match self {
                    $(Self::$variant => {
                        static RE: LazyLock<Regex> = LazyLock::new(|| compile(Pat::$variant));
                        &RE
                    })*
                }
            };
        }
        cached!(
            CourseId,
            UsageKey,
            OriginalUsageKey,
            Session,
            SequentialId,
            ProblemId,
            InputId,
            Chapter,
            OraItemId,
            ContentHash,
            ComponentUsageId
        )
    }

    pub(crate) fn is_match(self, s: &str) -> bool {
        // The patterns every event hits are matched by hand (same language as the regex).
        let hex = |b: &[u8]| b.iter().all(|c| matches!(c, b'a'..=b'f' | b'0'..=b'9'));
        let b = s.as_bytes();
        match self {
            Self::CourseId => s.is_empty() || course_key(b),
            Self::Session => b.len() == 32 && hex(b),
            Self::InputId => {
                b.len() == 36
                    && hex(&b[..32])
                    && b[32] == b'_'
                    && b[33].is_ascii_digit()
                    && b[34] == b'_'
                    && b[35].is_ascii_digit()
            }
            Self::ContentHash => (1..=40).contains(&b.len()) && hex(b),
            Self::SequentialId => block_key(b, Some(b"sequential")),
            Self::ProblemId => block_key(b, Some(b"problem")),
            Self::ComponentUsageId => block_key(b, None),
            Self::Chapter => chapter(b),
            Self::UsageKey | Self::OriginalUsageKey | Self::OraItemId => self.regex().is_match(s),
        }
    }
}

/// `[a-f0-9]`.
fn is_hex(c: u8) -> bool {
    matches!(c, b'a'..=b'f' | b'0'..=b'9')
}

/// `[^\/+]+(\/|\+)[^\/+]+(\/|\+)` at the start of `b`: the rest after the second separator.
fn two_segments(b: &[u8]) -> Option<&[u8]> {
    let mut rest = b;
    for _ in 0..2 {
        let sep = rest.iter().position(|&c| c == b'/' || c == b'+')?;
        if sep == 0 {
            return None;
        }
        rest = &rest[sep + 1..];
    }
    Some(rest)
}

/// `^block-v1:[^\/+]+(\/|\+)[^\/+]+(\/|\+)[^\/?]+type@T\+block@[a-f0-9]{32}$`, with `T`
/// the given block type, or `[a-z]+` when `None`.
fn block_key(b: &[u8], block_type: Option<&[u8]>) -> bool {
    let Some(rest) = b.strip_prefix(b"block-v1:").and_then(two_segments) else {
        return false;
    };
    let Some((head, hash)) = rest.split_at_checked(rest.len().saturating_sub(32)) else {
        return false;
    };
    if hash.len() != 32 || !hash.iter().all(|&c| is_hex(c)) {
        return false;
    }
    let Some(head) = head.strip_suffix(b"+block@") else {
        return false;
    };
    let head = match block_type {
        Some(t) => head.strip_suffix(t),
        None => {
            // The whole run of `[a-z]` before `+block@`: a shorter one would need `type@` to
            // end with a letter.
            let letters = head
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_lowercase())
                .count();
            (letters > 0).then(|| &head[..head.len() - letters])
        }
    };
    let Some(middle) = head.and_then(|h| h.strip_suffix(b"type@")) else {
        return false;
    };
    !middle.is_empty() && !middle.iter().any(|&c| c == b'/' || c == b'?')
}

/// `^\/asset-v1:[^\/+]+(\/|\+)[^\/+]+(\/|\+)[^\/?]+type@asset\+block.+$`: some
/// `type@asset+block` after a non-empty middle without `/` or `?`, followed by at least one
/// character and no newline.
fn chapter(b: &[u8]) -> bool {
    const MARK: &[u8] = b"type@asset+block";
    let Some(rest) = b.strip_prefix(b"/asset-v1:").and_then(two_segments) else {
        return false;
    };
    (1..rest.len()).any(|at| {
        let (middle, tail) = rest.split_at(at);
        tail.starts_with(MARK)
            && tail.len() > MARK.len()
            && !tail.contains(&b'\n')
            && !middle.iter().any(|&c| c == b'/' || c == b'?')
    })
}

/// `^course-v1:.+\+.+\+.+$`: at least one character before, between and after two `+`, and
/// no newline (`.` does not match it).
fn course_key(b: &[u8]) -> bool {
    let Some(rest) = b.strip_prefix(b"course-v1:") else {
        return false;
    };
    if rest.contains(&b'\n') || rest.len() < 5 {
        return false;
    }
    // The earliest `+` with something before it, then any later `+` with something between
    // and after.
    let Some(first) = rest[1..].iter().position(|&c| c == b'+').map(|i| i + 1) else {
        return false;
    };
    let (start, end) = (first + 2, rest.len() - 1);
    start < end && rest[start..end].contains(&b'+')
}

fn compile(pat: Pat) -> Regex {
    // The patterns are constants covered by tests: failing to compile is a programming error.
    #[allow(clippy::expect_used)]
    Regex::new(pat.source()).expect("edX model patterns compile")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_matchers_agree_with_the_regexes() {
        let samples = [
            "",
            "course-v1:FUN+101+2024",
            "course-v1:A+B+C",
            "course-v1:+B+C",
            "course-v1:A++C",
            "course-v1:A+B+",
            "course-v1:A+B",
            "course-v1:FUN+1",
            "course-v1:FUN+12",
            "course-v1:AB+CD",
            "course-v1:A+B+C+D",
            "course-v1:A++B+",
            "course-v1:A+\n+C",
            "course-v1:é+é+é",
            "course-v1:",
            "FUN/101/2024",
            "0123456789abcdef0123456789abcdef",
            "0123456789ABCDEF0123456789abcdef",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdef_2_1",
            "0123456789abcdef0123456789abcdef_2_10",
            "abc123",
            "0123456789abcdef0123456789abcdef01234567",
            "0123456789abcdef0123456789abcdef012345678",
        ];
        for pat in [Pat::CourseId, Pat::Session, Pat::InputId, Pat::ContentHash] {
            for s in samples {
                assert_eq!(pat.is_match(s), pat.regex().is_match(s), "{pat:?} {s:?}");
            }
        }
    }

    /// Strings of pieces the block patterns are made of, and a few
    /// real ids: the hand matchers and the regexes agree on each.
    #[test]
    fn block_matchers_agree_with_the_regexes() {
        const HASH: &str = "0123456789abcdef0123456789abcdef";
        let pieces = [
            "",
            "block-v1:",
            "/asset-v1:",
            "FUN",
            "+",
            "/",
            "?",
            "\n",
            "x",
            "type@",
            "sequential",
            "problem",
            "html",
            "asset",
            "+block@",
            "+block",
            "type@asset+block",
            "type@sequential+block@",
            HASH,
            "0123456789ABCDEF0123456789abcdef",
            "@",
        ];
        let mut samples: Vec<String> = vec![
            format!("block-v1:FUN+101+2024+type@sequential+block@{HASH}"),
            format!("block-v1:FUN/101/2024+type@problem+block@{HASH}"),
            format!("block-v1:FUN+101+2024+type@html+block@{HASH}"),
            format!("block-v1:FUN+101+20?24+type@html+block@{HASH}"),
            format!("block-v1:FUN+101+type@x+type@html+block@{HASH}"),
            format!("block-v1:FUN+101+2024+type@Html+block@{HASH}"),
            format!("block-v1:FUN+101+2024+type@sequential+block@{HASH}0"),
            "/asset-v1:FUN+101+2024+type@asset+block+book.pdf".to_owned(),
            "/asset-v1:FUN+101+2024+type@asset+block/book.pdf".to_owned(),
            "/asset-v1:FUN+101+2024+type@asset+block".to_owned(),
            "/asset-v1:FUN+101+a/b+type@asset+block@x".to_owned(),
            "/asset-v1:FUN+101+2024+type@asset+block\nx+type@asset+blockx".to_owned(),
        ];
        for a in pieces {
            for b in pieces {
                for c in ["", "x", "+", "/", "?", "\n", "type@"] {
                    for d in [
                        "",
                        "type@sequential+block@",
                        "type@problem+block@",
                        "type@asset+block",
                        "+",
                        "/",
                    ] {
                        samples.push(format!("block-v1:{a}{b}{c}{d}{HASH}"));
                        samples.push(format!("block-v1:F{a}+{b}x{c}{d}{HASH}"));
                        samples.push(format!("/asset-v1:F{a}+{b}x{c}{d}x"));
                    }
                }
            }
        }
        let pats = [
            Pat::SequentialId,
            Pat::ProblemId,
            Pat::ComponentUsageId,
            Pat::Chapter,
        ];
        let mut matched = [0; 4];
        for s in &samples {
            for (i, pat) in pats.into_iter().enumerate() {
                let expected = pat.regex().is_match(s);
                assert_eq!(pat.is_match(s), expected, "{pat:?} {s:?}");
                matched[i] += usize::from(expected);
            }
        }
        assert!(matched.iter().all(|&n| n > 10), "{matched:?}");
    }
}

/// The type of a field.
#[derive(Debug)]
pub(crate) enum Ty {
    /// Any string (numbers are coerced to their Python text).
    Str,
    /// A string of at most n characters.
    StrMax(usize),
    /// A string matching a pattern.
    StrPat(Pat),
    /// `username`: empty or 2 to 30 characters.
    Username,
    /// `session`: empty or 32 lowercase hexadecimal digits.
    Session,
    /// An integer.
    Int,
    /// A positive integer.
    PosInt,
    /// A float.
    Float,
    /// A non-negative float.
    NonNegFloat,
    /// A boolean.
    Bool,
    /// A datetime.
    Datetime,
    /// A POSIX path.
    Path,
    /// Any URL.
    AnyUrl,
    /// An http(s) URL.
    HttpUrl,
    /// An http(s) URL or `""`.
    HttpUrlOrEmpty,
    /// An IPv4 address or `""`.
    Ipv4OrEmpty,
    /// A UUID.
    Uuid,
    /// One of these strings.
    Lit(&'static [&'static str]),
    /// `null` only.
    Null,
    /// Any JSON object, kept as is.
    AnyObject,
    /// Any JSON array, kept as is.
    AnyArray,
    /// `user_id`: an integer, `""` or `null`.
    UserId,
    /// A string or a list of strings.
    StrOrStrList,
    /// An integer, a string, an array or an object (`save_problem_*` answers).
    IntStrArrayObject,
    /// `null` allowed.
    Opt(&'static Ty),
    /// A list.
    List(&'static Ty),
    /// An object with any keys (matching a pattern if given).
    Map(Option<Pat>, &'static Ty),
    /// An object whose only allowed key is the given one.
    OneKeyMap(&'static str, &'static Ty),
    /// A nested model.
    Obj(&'static Obj),
    /// An `event` field: the value itself or a JSON string holding it.
    Event(&'static Ty),
    /// An `event` string field: a string, or any JSON value written back as compact JSON.
    EventStr,
    /// An `event` that is kept as is when it is a string, else validated as the model.
    StrOrObj(&'static Obj),
    /// `page_close`'s `event`: the string `"{}"`, or an empty object written back as `"{}"`.
    EmptyObjectStr,
}

/// The value of a field that is absent from the input.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Dflt {
    /// The field must be present.
    Required,
    /// `null`.
    Null,
    /// `[]`.
    EmptyList,
    /// A string.
    Str(&'static str),
}

/// A field: name, type, default.
#[derive(Debug)]
pub(crate) struct Field {
    pub(crate) name: &'static str,
    pub(crate) ty: Ty,
    pub(crate) default: Dflt,
}

/// A cross-field rule run on the normalised object; returns (field, reason) on failure.
pub(crate) type Check = fn(&Map<String, Value>) -> Result<(), (&'static str, String)>;

/// A nested model.
#[derive(Debug)]
pub(crate) struct Obj {
    pub(crate) fields: &'static [Field],
    /// Whether keys that are not declared are kept (after the declared ones) or rejected.
    pub(crate) allow_extra: bool,
    pub(crate) check: Option<Check>,
}

/// A validation failure: JSON path (segments) and reason.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) path: Vec<String>,
    pub(crate) reason: String,
}

impl Failure {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            path: Vec::new(),
            reason: reason.into(),
        }
    }

    fn at(mut self, segment: impl Into<String>) -> Self {
        self.path.push(segment.into());
        self
    }

    /// The path as `a.b[0].c`.
    pub(crate) fn path_string(&self) -> String {
        let mut out = String::new();
        for seg in self.path.iter().rev() {
            if seg.starts_with('[') {
                out.push_str(seg);
            } else {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(seg);
            }
        }
        out
    }
}

type Res = Result<Value, Failure>;

fn fail<T>(reason: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::new(reason))
}

/// Validates `input` against the ordered `fields`, producing the normalised object.
pub(crate) fn validate_fields<'a>(
    fields: impl Iterator<Item = &'a Field> + Clone,
    input: &Value,
    allow_extra: bool,
    check: Option<Check>,
) -> Res {
    let Value::Object(map) = input else {
        return fail(format!(
            "expected an object, got {}",
            scalars::type_name(input)
        ));
    };
    let mut out = Map::with_capacity(map.len());
    for field in fields.clone() {
        let value = match map.get(field.name) {
            Some(v) => validate(&field.ty, v).map_err(|f| f.at(field.name))?,
            None => match field.default {
                Dflt::Required => return Err(Failure::new("field required").at(field.name)),
                Dflt::Null => Value::Null,
                Dflt::EmptyList => Value::Array(Vec::new()),
                Dflt::Str(s) => Value::String(s.to_owned()),
            },
        };
        out.insert(field.name.to_owned(), value);
    }
    for (key, value) in map {
        if !out.contains_key(key) {
            if allow_extra {
                out.insert(key.clone(), value.clone());
            } else {
                return Err(Failure::new("extra field not permitted").at(key.clone()));
            }
        }
    }
    if let Some(check) = check {
        check(&out).map_err(|(field, reason)| Failure::new(reason).at(field))?;
    }
    Ok(Value::Object(out))
}

fn string_with(value: &Value, ok: impl FnOnce(&str) -> Result<(), String>) -> Res {
    let s = scalars::string(value).map_err(Failure::new)?;
    ok(&s).map_err(Failure::new)?;
    Ok(Value::String(s))
}

/// Validates one value against a type.
pub(crate) fn validate(ty: &Ty, value: &Value) -> Res {
    match ty {
        Ty::Str => string_with(value, |_| Ok(())),
        Ty::StrMax(max) => string_with(value, |s| {
            if s.chars().count() > *max {
                Err(format!("string longer than {max} characters"))
            } else {
                Ok(())
            }
        }),
        Ty::StrPat(pat) => string_with(value, |s| {
            if pat.is_match(s) {
                Ok(())
            } else {
                Err(format!("`{s}` does not match `{}`", pat.source()))
            }
        }),
        Ty::Username => string_with(value, |s| {
            let n = s.chars().count();
            if n == 0 || (2..=30).contains(&n) {
                Ok(())
            } else {
                Err(format!("`{s}` should be empty or have 2 to 30 characters"))
            }
        }),
        Ty::Session => string_with(value, |s| {
            if s.is_empty() || Pat::Session.is_match(s) {
                Ok(())
            } else {
                Err(format!(
                    "`{s}` should be empty or 32 lowercase hexadecimal digits"
                ))
            }
        }),
        Ty::Int => scalars::int(value).map_err(Failure::new),
        Ty::PosInt => {
            let v = scalars::int(value).map_err(Failure::new)?;
            if v.as_i64().is_some_and(|i| i <= 0) {
                return fail("expected a positive integer");
            }
            Ok(v)
        }
        Ty::Float => Ok(scalars::float_value(
            scalars::float(value).map_err(Failure::new)?,
        )),
        Ty::NonNegFloat => {
            let f = scalars::float(value).map_err(Failure::new)?;
            if f < 0.0 || f.is_nan() {
                return fail("expected a number greater than or equal to 0");
            }
            Ok(scalars::float_value(f))
        }
        Ty::Bool => Ok(Value::Bool(scalars::boolean(value).map_err(Failure::new)?)),
        Ty::Datetime => Ok(Value::String(
            scalars::datetime(value).map_err(Failure::new)?,
        )),
        Ty::Path => Ok(Value::String(scalars::path(value).map_err(Failure::new)?)),
        Ty::AnyUrl => Ok(Value::String(
            scalars::url(value, false).map_err(Failure::new)?,
        )),
        Ty::HttpUrl => Ok(Value::String(
            scalars::url(value, true).map_err(Failure::new)?,
        )),
        Ty::HttpUrlOrEmpty => match value {
            Value::String(s) if s.is_empty() => Ok(Value::String(String::new())),
            _ => validate(&Ty::HttpUrl, value),
        },
        Ty::Ipv4OrEmpty => match value {
            Value::String(s) if s.is_empty() => Ok(Value::String(String::new())),
            _ => Ok(Value::String(scalars::ipv4(value).map_err(Failure::new)?)),
        },
        Ty::Uuid => Ok(Value::String(scalars::uuid(value).map_err(Failure::new)?)),
        Ty::Lit(choices) => match value {
            Value::String(s) if choices.contains(&s.as_str()) => Ok(value.clone()),
            _ => fail(format!(
                "expected one of {}, got {value}",
                choices
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        },
        Ty::Null => match value {
            Value::Null => Ok(Value::Null),
            _ => fail(format!("expected null, got {}", scalars::type_name(value))),
        },
        Ty::AnyObject => match value {
            Value::Object(_) => Ok(value.clone()),
            _ => fail(format!(
                "expected an object, got {}",
                scalars::type_name(value)
            )),
        },
        Ty::AnyArray => match value {
            Value::Array(_) => Ok(value.clone()),
            _ => fail(format!(
                "expected an array, got {}",
                scalars::type_name(value)
            )),
        },
        Ty::UserId => match value {
            Value::Null => Ok(Value::Null),
            Value::String(s) if s.is_empty() => Ok(value.clone()),
            _ => scalars::int(value).map_err(|_| {
                Failure::new(format!("expected an integer, `\"\"` or null, got {value}"))
            }),
        },
        Ty::StrOrStrList => match value {
            Value::Array(_) => validate(&Ty::List(&Ty::Str), value),
            _ => validate(&Ty::Str, value),
        },
        Ty::IntStrArrayObject => match value {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(value.clone()),
            Value::String(_) | Value::Array(_) | Value::Object(_) => Ok(value.clone()),
            Value::Bool(b) => Ok(Value::from(i64::from(*b))),
            // Smart union: a float with a zero fraction is an integer, else its text.
            Value::Number(_) => scalars::int(value).or_else(|_| validate(&Ty::Str, value)),
            Value::Null => fail("expected an integer, a string, an array or an object, got null"),
        },
        Ty::Opt(inner) => match value {
            Value::Null => Ok(Value::Null),
            _ => validate(inner, value),
        },
        Ty::List(inner) => {
            let Value::Array(items) = value else {
                return fail(format!(
                    "expected an array, got {}",
                    scalars::type_name(value)
                ));
            };
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                out.push(validate(inner, item).map_err(|f| f.at(format!("[{i}]")))?);
            }
            Ok(Value::Array(out))
        }
        Ty::Map(key_pat, inner) => {
            let Value::Object(map) = value else {
                return fail(format!(
                    "expected an object, got {}",
                    scalars::type_name(value)
                ));
            };
            let mut out = Map::with_capacity(map.len());
            for (key, item) in map {
                if let Some(pat) = key_pat
                    && !pat.is_match(key)
                {
                    return Err(Failure::new(format!(
                        "key `{key}` does not match `{}`",
                        pat.source()
                    ))
                    .at(key.clone()));
                }
                out.insert(
                    key.clone(),
                    validate(inner, item).map_err(|f| f.at(key.clone()))?,
                );
            }
            Ok(Value::Object(out))
        }
        Ty::OneKeyMap(only, inner) => {
            let Value::Object(map) = value else {
                return fail(format!(
                    "expected an object, got {}",
                    scalars::type_name(value)
                ));
            };
            let mut out = Map::with_capacity(map.len());
            for (key, item) in map {
                if key != only {
                    return Err(Failure::new(format!("expected the key `{only}`")).at(key.clone()));
                }
                out.insert(
                    key.clone(),
                    validate(inner, item).map_err(|f| f.at(key.clone()))?,
                );
            }
            Ok(Value::Object(out))
        }
        Ty::Obj(obj) => validate_fields(obj.fields.iter(), value, obj.allow_extra, obj.check),
        Ty::Event(inner) => match value {
            Value::String(s) => {
                let parsed: Value = serde_json::from_str(s)
                    .map_err(|e| Failure::new(format!("invalid JSON string: {e}")))?;
                validate(inner, &parsed)
            }
            _ => validate(inner, value),
        },
        Ty::EventStr => match value {
            Value::String(_) => Ok(value.clone()),
            Value::Object(_) | Value::Array(_) => Ok(Value::String(value.to_string())),
            _ => validate(&Ty::Str, value),
        },
        Ty::EmptyObjectStr => match value {
            Value::String(s) if s == "{}" => Ok(value.clone()),
            Value::Object(map) if map.is_empty() => Ok(Value::String("{}".to_owned())),
            _ => fail(format!("expected `\"{{}}\"`, got {value}")),
        },
        Ty::StrOrObj(obj) => match value {
            Value::String(_) | Value::Number(_) => validate(&Ty::Str, value),
            _ => validate(&Ty::Obj(obj), value),
        },
    }
}
