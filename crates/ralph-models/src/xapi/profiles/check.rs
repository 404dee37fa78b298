//! Building blocks of the profile rules: each statement type's rules are written with these
//! helpers, so every profile rule (required property, value, category) has one implementation.

use std::fmt::Display;

use serde_json::Value;

use crate::xapi::formats;
use crate::xapi::model::{
    Activity, Actor, Context, Extensions, Ifi, OneOrMany, Statement, StatementObject,
    StatementResult,
};
use crate::xapi::rules::{Rule, ValidationError, ValidationErrors, path_of};

/// The type of activity definitions of profile activities in `category`.
pub(crate) const PROFILE_ACTIVITY_TYPE: &str = "http://adlnet.gov/expapi/activities/profile";

/// Where an extension lives.
#[derive(Clone, Copy)]
pub(crate) enum Ext {
    Context,
    Result,
    Object,
}

impl Ext {
    fn path(self) -> &'static [&'static str] {
        match self {
            Ext::Context => &["context", "extensions"],
            Ext::Result => &["result", "extensions"],
            Ext::Object => &["object", "definition", "extensions"],
        }
    }
}

/// The expected value of an extension.
#[derive(Clone, Copy)]
pub(crate) enum Kind {
    /// A number `>= 0`.
    NonNegative,
    /// A number.
    Number,
    /// A number in `[0, 1]`.
    UnitInterval,
    /// An integer.
    Integer,
    /// An integer `> 0`.
    Positive,
    /// An integer in `[0, 100]`.
    Percent,
    /// `true` or `false`.
    Bool,
    /// Any string (`""` included).
    Str,
    /// A string or `null`.
    StrOrNull,
    /// A URL.
    Url,
    /// A UUID or `null`.
    UuidOrNull,
    /// An ISO 8601 date-time or `null`.
    DateTimeOrNull,
    /// One of these strings.
    OneOf(&'static [&'static str]),
}

impl Kind {
    fn accepts(self, v: &Value) -> bool {
        let num = v.as_f64();
        match self {
            Kind::NonNegative => num.is_some_and(|n| n >= 0.0),
            Kind::Number => num.is_some(),
            Kind::UnitInterval => num.is_some_and(|n| (0.0..=1.0).contains(&n)),
            Kind::Integer => v.is_i64() || v.is_u64(),
            Kind::Positive => v.as_u64().is_some_and(|n| n > 0),
            Kind::Percent => v.as_u64().is_some_and(|n| n <= 100),
            Kind::Bool => v.is_boolean(),
            Kind::Str => v.is_string(),
            Kind::StrOrNull => v.is_string() || v.is_null(),
            Kind::Url => v.as_str().is_some_and(formats::is_irl),
            Kind::UuidOrNull => v.is_null() || v.as_str().and_then(formats::parse_uuid).is_some(),
            Kind::DateTimeOrNull => v.is_null() || v.as_str().is_some_and(formats::is_datetime),
            Kind::OneOf(values) => v.as_str().is_some_and(|s| values.contains(&s)),
        }
    }

    fn describe(self) -> String {
        match self {
            Kind::NonNegative => "a number >= 0".into(),
            Kind::Number => "a number".into(),
            Kind::UnitInterval => "a number between 0 and 1".into(),
            Kind::Integer => "an integer".into(),
            Kind::Positive => "an integer > 0".into(),
            Kind::Percent => "an integer between 0 and 100".into(),
            Kind::Bool => "`true` or `false`".into(),
            Kind::Str => "a string".into(),
            Kind::StrOrNull => "a string or `null`".into(),
            Kind::Url => "a URL".into(),
            Kind::UuidOrNull => "a UUID or `null`".into(),
            Kind::DateTimeOrNull => "an ISO 8601 date-time or `null`".into(),
            Kind::OneOf(values) => format!("one of `{}`", values.join("`, `")),
        }
    }
}

/// The rules of one statement type being checked on one statement.
pub(crate) struct Check<'s> {
    pub(crate) st: &'s Statement,
    ty: &'static str,
    errors: Vec<ValidationError>,
}

impl<'s> Check<'s> {
    pub(crate) fn new(st: &'s Statement, ty: &'static str) -> Self {
        Check {
            st,
            ty,
            errors: Vec::new(),
        }
    }

    pub(crate) fn finish(self) -> Result<(), ValidationErrors> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ValidationErrors(self.errors))
        }
    }

    /// Records a broken rule; the reason names the statement type.
    pub(crate) fn fail(&mut self, path: &[&str], rule: Rule, reason: impl Display) {
        self.errors.push(ValidationError {
            path: path_of(path),
            rule,
            reason: format!("{reason} in a `{}` statement", self.ty),
        });
    }

    fn required_here(&mut self, path: &[&str]) {
        self.fail(path, Rule::ProfileRequired, "required");
    }

    pub(crate) fn context(&self) -> Option<&'s Context> {
        self.st.context.as_ref()
    }

    pub(crate) fn result(&self) -> Option<&'s StatementResult> {
        self.st.result.as_ref()
    }

    pub(crate) fn require_timestamp(&mut self) {
        if self.st.timestamp.is_none() {
            self.required_here(&["timestamp"]);
        }
    }

    pub(crate) fn require_context(&mut self) -> Option<&'s Context> {
        if self.st.context.is_none() {
            self.required_here(&["context"]);
        }
        self.context()
    }

    pub(crate) fn require_result(&mut self) -> Option<&'s StatementResult> {
        if self.st.result.is_none() {
            self.required_here(&["result"]);
        }
        self.result()
    }

    pub(crate) fn require_registration(&mut self) {
        if let Some(ctx) = self.context()
            && ctx.registration.is_none()
        {
            self.required_here(&["context", "registration"]);
        }
    }

    /// `verb.display`, when present, must be exactly `{"en-US": word}` (Ralph's verb models).
    pub(crate) fn verb_display(&mut self, word: &str) {
        if let Some(display) = &self.st.verb.display
            && (display.0.len() != 1 || display.get("en-US") != Some(word))
        {
            let reason = format!("must be `{{\"en-US\": \"{word}\"}}`");
            self.fail(&["verb", "display"], Rule::ProfileValue, reason);
        }
    }

    /// `context.contextActivities.category` must hold the profile activity `id` (whose
    /// definition type, when given, is the profile type).
    pub(crate) fn require_profile_category(&mut self, id: &str) {
        if self.context().is_none() {
            return; // reported by `require_context`
        }
        let found = self
            .st
            .categories()
            .any(|a| a.id == id && definition_type_is(a, PROFILE_ACTIVITY_TYPE));
        if !found {
            let reason = format!("must contain the profile activity `{id}`");
            self.fail(
                &["context", "contextActivities", "category"],
                Rule::ProfileCategory,
                reason,
            );
        }
    }

    /// `context.contextActivities.<key>` must be present and every activity in it must have
    /// the definition type `activity_type` when it has a definition.
    pub(crate) fn require_context_activities(&mut self, key: &str, activity_type: &str) {
        let Some(ctx) = self.context() else { return };
        let ca = ctx.context_activities.as_ref();
        let list = match key {
            "parent" => ca.and_then(|c| c.parent.as_ref()),
            "grouping" => ca.and_then(|c| c.grouping.as_ref()),
            "other" => ca.and_then(|c| c.other.as_ref()),
            _ => ca.and_then(|c| c.category.as_ref()),
        };
        match list {
            None => self.required_here(&["context", "contextActivities", key]),
            Some(list) => {
                if !OneOrMany::iter(list).all(|a| definition_type_is(a, activity_type)) {
                    let reason = format!("activities must have the type `{activity_type}`");
                    self.fail(
                        &["context", "contextActivities", key],
                        Rule::ProfileValue,
                        reason,
                    );
                }
            }
        }
    }

    fn extensions(&self, place: Ext) -> Option<&'s Extensions> {
        match place {
            Ext::Context => self.context()?.extensions.as_ref(),
            Ext::Result => self.result()?.extensions.as_ref(),
            Ext::Object => match &self.st.object {
                StatementObject::Activity(a) => a.definition.as_ref()?.extensions.as_ref(),
                _ => None,
            },
        }
    }

    /// The extensions object must be present (and, per the xAPI rules, non-empty).
    pub(crate) fn require_extensions(&mut self, place: Ext) {
        let parent_present = match place {
            Ext::Context => self.context().is_some(),
            Ext::Result => self.result().is_some(),
            Ext::Object => true,
        };
        if parent_present && self.extensions(place).is_none() {
            self.required_here(place.path());
        }
    }

    /// Whether the extensions object at `place` is present.
    pub(crate) fn has_extensions(&self, place: Ext) -> bool {
        self.extensions(place).is_some()
    }

    /// Checks one extension: required or optional, and its kind when present.
    pub(crate) fn ext(&mut self, place: Ext, key: &str, kind: Kind, required: bool) {
        let value = self.extensions(place).and_then(|m| m.get(key));
        // Built only on failure: most statements pass.
        let path = || {
            let mut path: Vec<&str> = place.path().to_vec();
            path.push(key);
            path
        };
        match value {
            // A missing extensions object is reported once, by `require_extensions`.
            None if required && self.extensions(place).is_some() => self.required_here(&path()),
            None => {}
            Some(v) if kind.accepts(v) => {}
            Some(_) => {
                let reason = format!("must be {}", kind.describe());
                self.fail(&path(), Rule::ProfileValue, reason);
            }
        }
    }

    /// Shorthand: required extension.
    pub(crate) fn ext_req(&mut self, place: Ext, key: &str, kind: Kind) {
        self.ext(place, key, kind, true);
    }

    /// Shorthand: optional extension.
    pub(crate) fn ext_opt(&mut self, place: Ext, key: &str, kind: Kind) {
        self.ext(place, key, kind, false);
    }

    /// The extension `key` at `place` must be absent: it belongs to another statement type.
    pub(crate) fn forbid_ext(&mut self, place: Ext, key: &str, owner: &str) {
        if self.extensions(place).is_some_and(|m| m.contains_key(key)) {
            let mut path: Vec<&str> = place.path().to_vec();
            path.push(key);
            let reason = format!("not allowed (a `{owner}` extension)");
            self.fail(&path, Rule::ProfileForbidden, reason);
        }
    }

    /// The actor must be an Agent identified by an `account`.
    pub(crate) fn require_account_agent(&mut self) {
        let ok = matches!(&self.st.actor, Actor::Agent(a) if matches!(a.ifi, Ifi::Account(_)));
        if !ok {
            self.fail(
                &["actor"],
                Rule::ProfileValue,
                "must be an Agent identified by an `account`",
            );
        }
    }
}

fn definition_type_is(activity: &Activity, expected: &str) -> bool {
    activity
        .definition
        .as_ref()
        .and_then(|d| d.activity_type.as_deref())
        .is_none_or(|t| t == expected)
}
