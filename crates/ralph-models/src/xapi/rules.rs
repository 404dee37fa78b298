//! The validation rules, and the errors that name the rule, the JSON path and the reason.

use std::fmt;

macro_rules! rules {
    ($($(#[doc = $doc:literal])* $name:ident => $code:literal,)*) => {
        /// A validation rule of the xAPI specification or of a statement type (profile).
        ///
        /// Every [`ValidationError`] names the rule it breaks, so callers (e.g. an LRS answering
        /// `400 Bad Request`) can act on the kind of error without parsing messages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Rule {
            $($(#[doc = $doc])* $name,)*
        }

        impl Rule {
            /// Every rule, in declaration order.
            pub const ALL: &'static [Rule] = &[$(Rule::$name,)*];

            /// A stable kebab-case code for the rule, e.g. `agent-ifi`.
            #[must_use]
            pub const fn code(self) -> &'static str {
                match self { $(Rule::$name => $code,)* }
            }
        }
    };
}

rules! {
    /// A property that the specification does not define (extensions excepted).
    UnknownProperty => "unknown-property",
    /// `null`, `""` or `{}` used as a value outside extensions.
    EmptyValue => "empty-value",
    /// A required property is missing.
    Required => "required",
    /// A value of the wrong JSON type (e.g. a number where a string is expected).
    Type => "type",
    /// A value that must be a UUID (`id`, `context.registration`, statement references).
    Uuid => "uuid",
    /// A value that must be an IRI (verb and activity ids, types, extension keys, ...).
    Iri => "iri",
    /// A value that must be an IRL, an IRI with a host (`moreInfo`, `fileUrl`).
    Irl => "irl",
    /// A language map key or `context.language` that is not an RFC 5646 tag.
    LanguageTag => "language-tag",
    /// An `mbox` that is not `mailto:` followed by a valid e-mail address.
    Mbox => "mbox",
    /// An `mbox_sha1sum` that is not 40 hexadecimal digits.
    MboxSha1sum => "mbox-sha1sum",
    /// An Agent without exactly one inverse functional identifier.
    AgentIfi => "agent-ifi",
    /// A Group with more than one inverse functional identifier.
    GroupIfi => "group-ifi",
    /// An anonymous Group (no identifier) without members.
    AnonymousGroupMember => "anonymous-group-member",
    /// A Group member that is not an Agent.
    GroupMember => "group-member",
    /// An `objectType` whose value is not allowed in this place.
    ObjectType => "object-type",
    /// A SubStatement containing a SubStatement.
    SubStatementNesting => "substatement-nesting",
    /// A SubStatement with `id`, `stored`, `version` or `authority`.
    SubStatementProperty => "substatement-property",
    /// `context.revision` or `context.platform` when the object is not an Activity.
    ContextActivityOnly => "context-activity-only",
    /// `result.score.scaled` outside `[-1, 1]`.
    ScoreScaled => "score-scaled",
    /// `result.score` where `min <= raw <= max` does not hold.
    ScoreRange => "score-range",
    /// A `duration` that is not an ISO 8601 duration.
    Duration => "duration",
    /// A `timestamp` or `stored` that is not an ISO 8601 date-time with a time zone.
    Timestamp => "timestamp",
    /// A `version` that is not `1.0.x` or `2.0.x`.
    Version => "version",
    /// A property of xAPI 2.0 (`contextAgents`, `contextGroups`) in a `1.0.x` statement.
    Version2Only => "version-2-only",
    /// An `interactionType` outside the ten defined values.
    InteractionType => "interaction-type",
    /// Interaction properties (`choices`, `correctResponsesPattern`, ...) without `interactionType`.
    InteractionProperty => "interaction-property",
    /// Interaction component ids that repeat or contain whitespace.
    InteractionComponentId => "interaction-component-id",
    /// An attachment `contentType` that is not an Internet media type.
    ContentType => "content-type",
    /// An attachment `length` that is not a non-negative integer.
    AttachmentLength => "attachment-length",
    /// An attachment `sha2` that is not a hexadecimal SHA-2 digest.
    AttachmentSha2 => "attachment-sha2",
    /// A property that a statement type (profile) requires is missing.
    ProfileRequired => "profile-required",
    /// A value that a statement type (profile) constrains is wrong.
    ProfileValue => "profile-value",
    /// A property that a statement type (profile) forbids is present.
    ProfileForbidden => "profile-forbidden",
    /// `context.contextActivities.category` lacks the profile activity of the statement type.
    ProfileCategory => "profile-category",
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One broken rule: where (`path`), which rule and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// JSON path of the offending field, e.g. `context.contextActivities.category[0].id`
    /// (empty for the statement itself). Keys that are not plain words are written
    /// `["key"]`, e.g. `result.extensions["https://w3id.org/xapi/video/extensions/time"]`.
    pub path: String,
    /// The rule that is broken.
    pub rule: Rule,
    /// Why, in lowercase words with values in backticks.
    pub reason: String,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}: {}", self.path, self.reason)
        }
    }
}

impl std::error::Error for ValidationError {}

/// All the rules a statement breaks (never empty when returned as an error).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(pub Vec<ValidationError>);

impl ValidationErrors {
    /// The errors, in the order they were found (document order).
    #[must_use]
    pub fn as_slice(&self) -> &[ValidationError] {
        &self.0
    }

    /// Whether `rule` is among the broken rules.
    #[must_use]
    pub fn has(&self, rule: Rule) -> bool {
        self.0.iter().any(|e| e.rule == rule)
    }

    /// Number of errors.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no error.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn push(&mut self, path: &Path<'_>, rule: Rule, reason: impl Into<String>) {
        self.0.push(ValidationError {
            path: path.render(),
            rule,
            reason: reason.into(),
        });
    }

    pub(crate) fn into_result<T>(self, value: Option<T>) -> Result<T, ValidationErrors> {
        match value {
            Some(v) if self.0.is_empty() => Ok(v),
            _ => Err(self),
        }
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl IntoIterator for ValidationErrors {
    type Item = ValidationError;
    type IntoIter = std::vec::IntoIter<ValidationError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ValidationErrors {
    type Item = &'a ValidationError;
    type IntoIter = std::slice::Iter<'a, ValidationError>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

/// A JSON path built on the stack while walking a statement; rendered only on error.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    seg: Seg<'a>,
}

impl<'a> Path<'a> {
    pub(crate) const ROOT: Path<'static> = Path {
        parent: None,
        seg: Seg::Root,
    };

    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Key(key),
        }
    }

    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path {
            parent: Some(self),
            seg: Seg::Index(index),
        }
    }

    pub(crate) fn render(&self) -> String {
        let mut segs = Vec::new();
        let mut cur = Some(self);
        while let Some(p) = cur {
            segs.push(p.seg);
            cur = p.parent;
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root => {}
                Seg::Key(k) if is_word(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Seg::Key(k) => {
                    out.push('[');
                    out.push_str(&serde_json::Value::from(*k).to_string());
                    out.push(']');
                }
                Seg::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }
}

fn is_word(k: &str) -> bool {
    !k.is_empty()
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Renders a path given as segments (keys), used by profile checks.
pub(crate) fn path_of(keys: &[&str]) -> String {
    fn go(parent: &Path<'_>, keys: &[&str]) -> String {
        match keys.split_first() {
            None => parent.render(),
            Some((k, rest)) => go(&parent.key(k), rest),
        }
    }
    go(&Path::ROOT, keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render() {
        let root = Path::ROOT;
        assert_eq!(root.render(), "");
        let ctx = root.key("context");
        let ca = ctx.key("contextActivities");
        let cat = ca.key("category");
        let first = cat.index(0);
        assert_eq!(
            first.key("id").render(),
            "context.contextActivities.category[0].id"
        );
        let ext = root.key("result");
        let ext = ext.key("extensions");
        assert_eq!(
            ext.key("https://x.org/a").render(),
            r#"result.extensions["https://x.org/a"]"#
        );
        assert_eq!(path_of(&["verb", "display", "en-US"]), "verb.display.en-US");
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<_> = Rule::ALL.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Rule::ALL.len());
    }
}
