//! The validator of the xAPI specification: walks a [`Node`] tree, builds the typed
//! [`Statement`] and records every broken rule with its JSON path.
//!
//! Each rule is checked in exactly one function of this file (see [`Rule`] for the list), so a
//! change of the specification has one place to go.

use crate::json::{Node, Object};

use super::formats;
use super::model::{
    Account, Activity, ActivityDefinition, ActivityObjectType, Actor, Agent, Attachment, Context,
    ContextActivities, ContextAgent, ContextGroup, Extensions, Group, Ifi, InteractionComponent,
    InteractionType, LanguageMap, OneOrMany, Score, Statement, StatementObject, StatementRef,
    StatementResult, SubStatement, Timestamp, Verb,
};
use super::rules::{Path, Rule, ValidationErrors};

const STATEMENT_KEYS: &[&str] = &[
    "id",
    "actor",
    "verb",
    "object",
    "result",
    "context",
    "timestamp",
    "stored",
    "authority",
    "version",
    "attachments",
];
const SUBSTATEMENT_KEYS: &[&str] = &[
    "actor",
    "verb",
    "object",
    "objectType",
    "result",
    "context",
    "timestamp",
    "attachments",
];
const SUBSTATEMENT_FORBIDDEN: &[&str] = &["id", "stored", "version", "authority"];
const IFI_KEYS: &[&str] = &["mbox", "mbox_sha1sum", "openid", "account"];
const AGENT_KEYS: &[&str] = &[
    "objectType",
    "name",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
];
const GROUP_KEYS: &[&str] = &[
    "objectType",
    "name",
    "member",
    "mbox",
    "mbox_sha1sum",
    "openid",
    "account",
];
const INTERACTION_KEYS: &[&str] = &[
    "correctResponsesPattern",
    "choices",
    "scale",
    "source",
    "target",
    "steps",
];
const CONTEXT_V2_KEYS: &[&str] = &["contextAgents", "contextGroups"];

/// Validates `value` against the xAPI specification and builds the typed statement.
pub(crate) fn statement(value: &Node<'_>) -> Result<Statement, ValidationErrors> {
    let mut v = Validator::default();
    let statement = v.statement(value, &Path::ROOT);
    v.errors.into_result(statement)
}

#[derive(Default)]
struct Validator {
    errors: ValidationErrors,
    /// Path of the first xAPI 2.0-only property seen.
    v2_property: Option<String>,
}

impl Validator {
    fn err(&mut self, path: &Path<'_>, rule: Rule, reason: impl Into<String>) {
        self.errors.push(path, rule, reason);
    }

    // ----- generic accessors (rules: type, empty-value, required, unknown-property) -----

    fn object<'v>(&mut self, value: &'v Node<'v>, path: &Path<'_>) -> Option<&'v Object<'v>> {
        if let Node::Object(map) = value {
            Some(map)
        } else {
            self.err(path, Rule::Type, "expected an object");
            None
        }
    }

    fn array<'v>(&mut self, value: &'v Node<'v>, path: &Path<'_>) -> Option<&'v [Node<'v>]> {
        if let Node::Array(list) = value {
            Some(list)
        } else {
            self.err(path, Rule::Type, "expected an array");
            None
        }
    }

    fn string<'v>(&mut self, value: &'v Node<'v>, path: &Path<'_>) -> Option<&'v str> {
        match value {
            Node::String(s) if s.is_empty() => {
                self.err(path, Rule::EmptyValue, "must not be empty");
                None
            }
            Node::String(s) => Some(s),
            _ => {
                self.err(path, Rule::Type, "expected a string");
                None
            }
        }
    }

    fn number(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<serde_json::Number> {
        if let Node::Number(n) = value {
            Some(n.clone())
        } else {
            self.err(path, Rule::Type, "expected a number");
            None
        }
    }

    fn boolean(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<bool> {
        if let Node::Bool(b) = value {
            Some(*b)
        } else {
            self.err(path, Rule::Type, "expected `true` or `false`");
            None
        }
    }

    fn keys(&mut self, map: &Object<'_>, allowed: &[&str], path: &Path<'_>) {
        for key in map.keys() {
            if !allowed.contains(&key) {
                self.err(&path.key(key), Rule::UnknownProperty, "unknown property");
            }
        }
    }

    /// The value of an optional property; `null`, `""` and `{}` are reported and skipped.
    fn field<'v>(
        &mut self,
        map: &'v Object<'v>,
        key: &str,
        path: &Path<'_>,
    ) -> Option<&'v Node<'v>> {
        let value = map.get(key)?;
        let empty = match value {
            Node::Null => true,
            Node::String(s) => s.is_empty(),
            Node::Object(o) => o.is_empty(),
            _ => false,
        };
        if empty {
            self.err(
                &path.key(key),
                Rule::EmptyValue,
                "`null`, `\"\"` and `{}` are not allowed",
            );
            return None;
        }
        Some(value)
    }

    /// The value of a required property.
    fn required<'v>(
        &mut self,
        map: &'v Object<'v>,
        key: &str,
        path: &Path<'_>,
    ) -> Option<&'v Node<'v>> {
        if !map.contains_key(key) {
            self.err(&path.key(key), Rule::Required, "required");
            return None;
        }
        self.field(map, key, path)
    }

    /// `Some(None)` when absent, `Some(Some(type))` when a string, `None` when invalid.
    fn object_type<'v>(&mut self, map: &'v Object<'v>, path: &Path<'_>) -> Option<Option<&'v str>> {
        if !map.contains_key("objectType") {
            return Some(None);
        }
        let v = self.field(map, "objectType", path)?;
        self.string(v, &path.key("objectType")).map(Some)
    }

    fn object_type_is(&mut self, map: &Object<'_>, path: &Path<'_>, expected: &str) -> bool {
        match self.object_type(map, path) {
            Some(Some(t)) if t == expected => true,
            Some(None) => {
                self.err(
                    &path.key("objectType"),
                    Rule::Required,
                    format!("required, must be `{expected}`"),
                );
                false
            }
            Some(Some(t)) => {
                let reason = format!("expected `{expected}`, found `{t}`");
                self.err(&path.key("objectType"), Rule::ObjectType, reason);
                false
            }
            None => false,
        }
    }

    // ----- formats (rules: iri, irl, uuid, language-tag, timestamp, duration) -----

    fn iri(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<String> {
        let s = self.string(value, path)?;
        if formats::is_iri(s) {
            Some(s.to_owned())
        } else {
            self.err(path, Rule::Iri, format!("`{s}` is not a valid IRI"));
            None
        }
    }

    fn irl(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<String> {
        let s = self.string(value, path)?;
        if formats::is_irl(s) {
            Some(s.to_owned())
        } else {
            self.err(path, Rule::Irl, format!("`{s}` is not a valid IRL"));
            None
        }
    }

    fn uuid(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<uuid::Uuid> {
        let s = self.string(value, path)?;
        let parsed = formats::parse_uuid(s);
        if parsed.is_none() {
            self.err(path, Rule::Uuid, format!("`{s}` is not a valid UUID"));
        }
        parsed
    }

    fn language_tag(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<String> {
        let s = self.string(value, path)?;
        if formats::is_language_tag(s) {
            Some(s.to_owned())
        } else {
            self.err(
                path,
                Rule::LanguageTag,
                format!("`{s}` is not an RFC 5646 language tag"),
            );
            None
        }
    }

    fn language_map(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<LanguageMap> {
        let map = self.object(value, path)?;
        let mut out = Vec::with_capacity(map.len());
        for (tag, text) in map {
            let p = path.key(tag);
            if !formats::is_language_tag(tag) {
                self.err(
                    &p,
                    Rule::LanguageTag,
                    format!("`{tag}` is not an RFC 5646 language tag"),
                );
            }
            if let Some(text) = self.string(text, &p) {
                out.push((tag.to_owned(), text.to_owned()));
            }
        }
        Some(LanguageMap(out))
    }

    fn timestamp(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<Timestamp> {
        let s = self.string(value, path)?;
        match formats::parse_timestamp(s) {
            Ok(parsed) => Some(Timestamp {
                text: formats::normalize_timestamp(s),
                value: parsed,
            }),
            Err(reason) => {
                self.err(path, Rule::Timestamp, reason);
                None
            }
        }
    }

    fn extensions(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<Extensions> {
        let map = self.object(value, path)?;
        for key in map.keys() {
            if !formats::is_iri(key) {
                self.err(&path.key(key), Rule::Iri, "extension keys must be IRIs");
            }
        }
        Some(map.to_map())
    }

    // ----- statement -----

    fn statement(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<Statement> {
        let map = self.object(value, path)?;
        self.keys(map, STATEMENT_KEYS, path);
        let id = self
            .field(map, "id", path)
            .and_then(|v| self.uuid(v, &path.key("id")));
        let actor = self
            .required(map, "actor", path)
            .and_then(|v| self.actor(v, &path.key("actor")));
        let verb = self
            .required(map, "verb", path)
            .and_then(|v| self.verb(v, &path.key("verb")));
        let object = self
            .required(map, "object", path)
            .and_then(|v| self.statement_object(v, &path.key("object"), false));
        let result = self
            .field(map, "result", path)
            .and_then(|v| self.result(v, &path.key("result")));
        let context = self
            .field(map, "context", path)
            .and_then(|v| self.context(v, &path.key("context")));
        self.context_activity_only(map, path);
        let timestamp = self
            .field(map, "timestamp", path)
            .and_then(|v| self.timestamp(v, &path.key("timestamp")));
        let stored = self
            .field(map, "stored", path)
            .and_then(|v| self.timestamp(v, &path.key("stored")));
        let authority = self
            .field(map, "authority", path)
            .and_then(|v| self.actor(v, &path.key("authority")));
        let version = self.version(map, path);
        let attachments = self
            .field(map, "attachments", path)
            .and_then(|v| self.attachments(v, &path.key("attachments")));
        Some(Statement {
            id,
            actor: actor?,
            verb: verb?,
            object: object?,
            result,
            context,
            timestamp,
            stored,
            authority,
            version: version?,
            attachments,
        })
    }

    /// Rule `version` and `version-2-only`; a missing version defaults to `1.0.0`, or to
    /// `2.0.0` when the statement uses xAPI 2.0 properties.
    fn version(&mut self, map: &Object<'_>, path: &Path<'_>) -> Option<String> {
        let Some(value) = self.field(map, "version", path) else {
            if map.contains_key("version") {
                return None;
            }
            let default = if self.v2_property.is_some() {
                "2.0.0"
            } else {
                "1.0.0"
            };
            return Some(default.to_owned());
        };
        let p = path.key("version");
        let version = self.string(value, &p)?;
        let valid = version
            .strip_prefix("1.0.")
            .or_else(|| version.strip_prefix("2.0."))
            .is_some_and(|patch| !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit()));
        if !valid {
            self.err(
                &p,
                Rule::Version,
                format!("expected `1.0.x` or `2.0.x`, found `{version}`"),
            );
            return None;
        }
        if version.starts_with("1.")
            && let Some(v2_path) = self.v2_property.take()
        {
            self.errors.0.push(super::rules::ValidationError {
                path: v2_path,
                rule: Rule::Version2Only,
                reason: format!("only allowed in xAPI 2.0 statements, the version is `{version}`"),
            });
        }
        Some(version.to_owned())
    }

    /// Rule `context-activity-only`: `context.revision` and `context.platform` only when the
    /// object is an Activity.
    fn context_activity_only(&mut self, statement: &Object<'_>, path: &Path<'_>) {
        let Some(Node::Object(context)) = statement.get("context") else {
            return;
        };
        let object_type = statement
            .get("object")
            .and_then(|o| o.get("objectType"))
            .and_then(Node::as_str)
            .unwrap_or("Activity");
        if object_type == "Activity" {
            return;
        }
        let ctx = path.key("context");
        for key in ["revision", "platform"] {
            if context.contains_key(key) {
                self.err(
                    &ctx.key(key),
                    Rule::ContextActivityOnly,
                    "only allowed when the object is an Activity",
                );
            }
        }
    }

    // ----- actors -----

    fn actor(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<Actor> {
        let map = self.object(value, path)?;
        match self.object_type(map, path)? {
            None | Some("Agent") => self.agent(map, path).map(Actor::Agent),
            Some("Group") => self.group(map, path).map(Actor::Group),
            Some(other) => {
                let reason = format!("expected `Agent` or `Group`, found `{other}`");
                self.err(&path.key("objectType"), Rule::ObjectType, reason);
                None
            }
        }
    }

    /// An agent given as a JSON value (group members, context agents).
    fn agent_value(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<Agent> {
        let map = self.object(value, path)?;
        match self.object_type(map, path)? {
            None | Some("Agent") => self.agent(map, path),
            Some("Group") => {
                self.err(path, Rule::GroupMember, "expected an Agent, found a Group");
                None
            }
            Some(other) => {
                let reason = format!("expected `Agent`, found `{other}`");
                self.err(&path.key("objectType"), Rule::ObjectType, reason);
                None
            }
        }
    }

    fn agent(&mut self, map: &Object<'_>, path: &Path<'_>) -> Option<Agent> {
        self.keys(map, AGENT_KEYS, path);
        let name = self
            .field(map, "name", path)
            .and_then(|v| self.string(v, &path.key("name")))
            .map(str::to_owned);
        let ifi = self.ifi(map, path, true)?;
        Some(Agent { ifi: ifi?, name })
    }

    /// A group given as a JSON value (`context.team`, context groups): `objectType` required.
    fn group_value(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<Group> {
        let map = self.object(value, path)?;
        if !self.object_type_is(map, path, "Group") {
            return None;
        }
        self.group(map, path)
    }

    fn group(&mut self, map: &Object<'_>, path: &Path<'_>) -> Option<Group> {
        self.keys(map, GROUP_KEYS, path);
        let name = self
            .field(map, "name", path)
            .and_then(|v| self.string(v, &path.key("name")))
            .map(str::to_owned);
        let ifi = self.ifi(map, path, false);
        let member = match self.field(map, "member", path) {
            Some(v) => {
                let p = path.key("member");
                let list = self.array(v, &p)?;
                let mut agents = Vec::with_capacity(list.len());
                for (i, item) in list.iter().enumerate() {
                    if let Some(agent) = self.agent_value(item, &p.index(i)) {
                        agents.push(agent);
                    }
                }
                Some(agents)
            }
            None => None,
        };
        let ifi = ifi?;
        // Rule `anonymous-group-member`.
        if ifi.is_none() {
            match map.get("member") {
                None => self.err(
                    &path.key("member"),
                    Rule::AnonymousGroupMember,
                    "an anonymous group (without identifier) requires `member`",
                ),
                Some(Node::Array(list)) if list.is_empty() => self.err(
                    &path.key("member"),
                    Rule::AnonymousGroupMember,
                    "an anonymous group (without identifier) requires at least one member",
                ),
                Some(_) => {}
            }
        }
        Some(Group { ifi, name, member })
    }

    /// Rules `agent-ifi` and `group-ifi`, then the identifier's own format. Returns
    /// `Some(None)` for a group without identifier.
    fn ifi(&mut self, map: &Object<'_>, path: &Path<'_>, agent: bool) -> Option<Option<Ifi>> {
        let present: Vec<&str> = IFI_KEYS
            .iter()
            .copied()
            .filter(|k| map.contains_key(k))
            .collect();
        match (present.len(), agent) {
            (0, true) => {
                self.err(
                    path,
                    Rule::AgentIfi,
                    "exactly one of `mbox`, `mbox_sha1sum`, `openid`, `account` is required",
                );
                return None;
            }
            (0, false) => return Some(None),
            (1, _) => {}
            (_, true) => {
                let reason = format!(
                    "exactly one of `mbox`, `mbox_sha1sum`, `openid`, `account` is allowed, found `{}`",
                    present.join("`, `")
                );
                self.err(path, Rule::AgentIfi, reason);
                return None;
            }
            (_, false) => {
                let reason = format!(
                    "at most one of `mbox`, `mbox_sha1sum`, `openid`, `account` is allowed, found `{}`",
                    present.join("`, `")
                );
                self.err(path, Rule::GroupIfi, reason);
                return None;
            }
        }
        let key = present[0];
        let value = self.field(map, key, path)?;
        let p = path.key(key);
        let ifi = match key {
            "mbox" => {
                let s = self.string(value, &p)?;
                match formats::normalize_mbox(s) {
                    Some(mbox) => Ifi::Mbox(mbox),
                    None => {
                        let reason =
                            format!("`{s}` is not `mailto:` followed by a valid e-mail address");
                        self.err(&p, Rule::Mbox, reason);
                        return None;
                    }
                }
            }
            "mbox_sha1sum" => {
                let s = self.string(value, &p)?;
                if !formats::is_hex(s, &[40]) {
                    self.err(&p, Rule::MboxSha1sum, "expected 40 hexadecimal digits");
                    return None;
                }
                Ifi::MboxSha1sum(s.to_owned())
            }
            "openid" => Ifi::OpenId(self.iri(value, &p)?),
            _ => {
                let account = self.object(value, &p)?;
                self.keys(account, &["homePage", "name"], &p);
                let home_page = self
                    .required(account, "homePage", &p)
                    .and_then(|v| self.iri(v, &p.key("homePage")));
                let name = self
                    .required(account, "name", &p)
                    .and_then(|v| self.string(v, &p.key("name")))
                    .map(str::to_owned);
                Ifi::Account(Account {
                    home_page: home_page?,
                    name: name?,
                })
            }
        };
        Some(Some(ifi))
    }

    // ----- verb and objects -----

    fn verb(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<Verb> {
        let map = self.object(value, path)?;
        self.keys(map, &["id", "display"], path);
        let id = self
            .required(map, "id", path)
            .and_then(|v| self.iri(v, &path.key("id")));
        let display = self
            .field(map, "display", path)
            .and_then(|v| self.language_map(v, &path.key("display")));
        Some(Verb { id: id?, display })
    }

    fn statement_object(
        &mut self,
        value: &Node<'_>,
        path: &Path<'_>,
        in_substatement: bool,
    ) -> Option<StatementObject> {
        let map = self.object(value, path)?;
        match self.object_type(map, path)? {
            None | Some("Activity") => self.activity(map, path).map(StatementObject::Activity),
            Some("Agent") => self.agent(map, path).map(StatementObject::Agent),
            Some("Group") => self.group(map, path).map(StatementObject::Group),
            Some("StatementRef") => self
                .statement_ref(map, path)
                .map(StatementObject::StatementRef),
            Some("SubStatement") if in_substatement => {
                self.err(
                    &path.key("objectType"),
                    Rule::SubStatementNesting,
                    "a SubStatement cannot contain a SubStatement",
                );
                None
            }
            Some("SubStatement") => self
                .substatement(map, path)
                .map(|s| StatementObject::SubStatement(Box::new(s))),
            Some(other) => {
                let reason = format!(
                    "expected `Activity`, `Agent`, `Group`, `StatementRef` or `SubStatement`, found `{other}`"
                );
                self.err(&path.key("objectType"), Rule::ObjectType, reason);
                None
            }
        }
    }

    /// An activity given as a JSON value (context activities).
    fn activity_value(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<Activity> {
        let map = self.object(value, path)?;
        match self.object_type(map, path)? {
            None | Some("Activity") => self.activity(map, path),
            Some(other) => {
                let reason = format!("expected `Activity`, found `{other}`");
                self.err(&path.key("objectType"), Rule::ObjectType, reason);
                None
            }
        }
    }

    fn activity(&mut self, map: &Object<'_>, path: &Path<'_>) -> Option<Activity> {
        self.keys(map, &["id", "objectType", "definition"], path);
        let id = self
            .required(map, "id", path)
            .and_then(|v| self.iri(v, &path.key("id")));
        let definition = self
            .field(map, "definition", path)
            .and_then(|v| self.definition(v, &path.key("definition")));
        Some(Activity {
            id: id?,
            object_type: map
                .contains_key("objectType")
                .then_some(ActivityObjectType::Activity),
            definition,
        })
    }

    fn definition(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<ActivityDefinition> {
        let map = self.object(value, path)?;
        self.keys(
            map,
            &[
                "name",
                "description",
                "type",
                "moreInfo",
                "extensions",
                "interactionType",
                "correctResponsesPattern",
                "choices",
                "scale",
                "source",
                "target",
                "steps",
            ],
            path,
        );
        let mut def = ActivityDefinition {
            name: self
                .field(map, "name", path)
                .and_then(|v| self.language_map(v, &path.key("name"))),
            description: self
                .field(map, "description", path)
                .and_then(|v| self.language_map(v, &path.key("description"))),
            activity_type: self
                .field(map, "type", path)
                .and_then(|v| self.iri(v, &path.key("type"))),
            more_info: self
                .field(map, "moreInfo", path)
                .and_then(|v| self.irl(v, &path.key("moreInfo"))),
            extensions: self
                .field(map, "extensions", path)
                .and_then(|v| self.extensions(v, &path.key("extensions"))),
            ..ActivityDefinition::default()
        };
        match self.field(map, "interactionType", path) {
            Some(v) => {
                let p = path.key("interactionType");
                if let Some(s) = self.string(v, &p) {
                    match InteractionType::ALL.iter().find(|(_, name)| *name == s) {
                        Some((t, _)) => def.interaction_type = Some(*t),
                        None => self.err(
                            &p,
                            Rule::InteractionType,
                            format!("`{s}` is not one of `true-false`, `choice`, `fill-in`, `long-fill-in`, `matching`, `performance`, `sequencing`, `likert`, `numeric`, `other`"),
                        ),
                    }
                }
            }
            None if !map.contains_key("interactionType") => {
                // Rule `interaction-property`.
                for key in INTERACTION_KEYS {
                    if map.contains_key(key) {
                        self.err(
                            &path.key(key),
                            Rule::InteractionProperty,
                            "only allowed with `interactionType`",
                        );
                    }
                }
            }
            None => {}
        }
        if let Some(v) = self.field(map, "correctResponsesPattern", path) {
            let p = path.key("correctResponsesPattern");
            if let Some(list) = self.array(v, &p) {
                let mut patterns = Vec::with_capacity(list.len());
                for (i, item) in list.iter().enumerate() {
                    if let Some(s) = self.string(item, &p.index(i)) {
                        patterns.push(s.to_owned());
                    }
                }
                def.correct_responses_pattern = Some(patterns);
            }
        }
        def.choices = self.components(map, "choices", path);
        def.scale = self.components(map, "scale", path);
        def.source = self.components(map, "source", path);
        def.target = self.components(map, "target", path);
        def.steps = self.components(map, "steps", path);
        Some(def)
    }

    /// An interaction component list; rule `interaction-component-id`.
    fn components(
        &mut self,
        map: &Object<'_>,
        key: &str,
        path: &Path<'_>,
    ) -> Option<Vec<InteractionComponent>> {
        let value = self.field(map, key, path)?;
        let p = path.key(key);
        let list = self.array(value, &p)?;
        let mut out: Vec<InteractionComponent> = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            let ip = p.index(i);
            let Some(component) = self.object(item, &ip) else {
                continue;
            };
            self.keys(component, &["id", "description"], &ip);
            let id = self
                .required(component, "id", &ip)
                .and_then(|v| self.string(v, &ip.key("id")));
            let description = self
                .field(component, "description", &ip)
                .and_then(|v| self.language_map(v, &ip.key("description")));
            let Some(id) = id else { continue };
            if id.chars().any(char::is_whitespace) {
                self.err(
                    &ip.key("id"),
                    Rule::InteractionComponentId,
                    format!("`{id}` contains whitespace"),
                );
            } else if out.iter().any(|c| c.id == id) {
                self.err(
                    &ip.key("id"),
                    Rule::InteractionComponentId,
                    format!("duplicate id `{id}`"),
                );
            }
            out.push(InteractionComponent {
                id: id.to_owned(),
                description,
            });
        }
        Some(out)
    }

    fn statement_ref(&mut self, map: &Object<'_>, path: &Path<'_>) -> Option<StatementRef> {
        self.keys(map, &["id", "objectType"], path);
        let id = self
            .required(map, "id", path)
            .and_then(|v| self.uuid(v, &path.key("id")))?;
        Some(StatementRef { id })
    }

    fn substatement(&mut self, map: &Object<'_>, path: &Path<'_>) -> Option<SubStatement> {
        for key in map.keys() {
            if SUBSTATEMENT_FORBIDDEN.contains(&key) {
                self.err(
                    &path.key(key),
                    Rule::SubStatementProperty,
                    "not allowed in a SubStatement",
                );
            } else if !SUBSTATEMENT_KEYS.contains(&key) {
                self.err(&path.key(key), Rule::UnknownProperty, "unknown property");
            }
        }
        let actor = self
            .required(map, "actor", path)
            .and_then(|v| self.actor(v, &path.key("actor")));
        let verb = self
            .required(map, "verb", path)
            .and_then(|v| self.verb(v, &path.key("verb")));
        let object = self
            .required(map, "object", path)
            .and_then(|v| self.statement_object(v, &path.key("object"), true));
        let result = self
            .field(map, "result", path)
            .and_then(|v| self.result(v, &path.key("result")));
        let context = self
            .field(map, "context", path)
            .and_then(|v| self.context(v, &path.key("context")));
        self.context_activity_only(map, path);
        let timestamp = self
            .field(map, "timestamp", path)
            .and_then(|v| self.timestamp(v, &path.key("timestamp")));
        let attachments = self
            .field(map, "attachments", path)
            .and_then(|v| self.attachments(v, &path.key("attachments")));
        Some(SubStatement {
            actor: actor?,
            verb: verb?,
            object: object?,
            result,
            context,
            timestamp,
            attachments,
        })
    }

    // ----- result -----

    fn result(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<StatementResult> {
        let map = self.object(value, path)?;
        self.keys(
            map,
            &[
                "score",
                "success",
                "completion",
                "response",
                "duration",
                "extensions",
            ],
            path,
        );
        let duration = self.field(map, "duration", path).and_then(|v| {
            let p = path.key("duration");
            let s = self.string(v, &p)?;
            if formats::is_duration(s) {
                Some(s.to_owned())
            } else {
                self.err(
                    &p,
                    Rule::Duration,
                    format!("`{s}` is not an ISO 8601 duration, e.g. `PT1H30M`"),
                );
                None
            }
        });
        Some(StatementResult {
            score: self
                .field(map, "score", path)
                .and_then(|v| self.score(v, &path.key("score"))),
            success: self
                .field(map, "success", path)
                .and_then(|v| self.boolean(v, &path.key("success"))),
            completion: self
                .field(map, "completion", path)
                .and_then(|v| self.boolean(v, &path.key("completion"))),
            response: self
                .field(map, "response", path)
                .and_then(|v| self.string(v, &path.key("response")))
                .map(str::to_owned),
            duration,
            extensions: self
                .field(map, "extensions", path)
                .and_then(|v| self.extensions(v, &path.key("extensions"))),
        })
    }

    /// Rules `score-scaled` and `score-range`.
    fn score(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<Score> {
        let map = self.object(value, path)?;
        self.keys(map, &["scaled", "raw", "min", "max"], path);
        let mut get = |key: &str| {
            self.field(map, key, path)
                .and_then(|v| self.number(v, &path.key(key)))
        };
        let score = Score {
            scaled: get("scaled"),
            raw: get("raw"),
            min: get("min"),
            max: get("max"),
        };
        let f = |n: &Option<serde_json::Number>| n.as_ref().and_then(serde_json::Number::as_f64);
        if let Some(scaled) = f(&score.scaled)
            && !(-1.0..=1.0).contains(&scaled)
        {
            self.err(
                &path.key("scaled"),
                Rule::ScoreScaled,
                "must be between -1 and 1",
            );
        }
        let (raw, min, max) = (f(&score.raw), f(&score.min), f(&score.max));
        if let (Some(min), Some(max)) = (min, max)
            && min > max
        {
            self.err(
                &path.key("min"),
                Rule::ScoreRange,
                "`min` is greater than `max`",
            );
        }
        if let (Some(raw), Some(min)) = (raw, min)
            && raw < min
        {
            self.err(
                &path.key("raw"),
                Rule::ScoreRange,
                "`raw` is lower than `min`",
            );
        }
        if let (Some(raw), Some(max)) = (raw, max)
            && raw > max
        {
            self.err(
                &path.key("raw"),
                Rule::ScoreRange,
                "`raw` is greater than `max`",
            );
        }
        Some(score)
    }

    // ----- context -----

    fn context(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<Context> {
        let map = self.object(value, path)?;
        self.keys(
            map,
            &[
                "registration",
                "instructor",
                "team",
                "contextActivities",
                "contextAgents",
                "contextGroups",
                "revision",
                "platform",
                "language",
                "statement",
                "extensions",
            ],
            path,
        );
        for key in CONTEXT_V2_KEYS {
            if map.contains_key(key) && self.v2_property.is_none() {
                self.v2_property = Some(path.key(key).render());
            }
        }
        let mut string = |key: &str| {
            self.field(map, key, path)
                .and_then(|v| self.string(v, &path.key(key)))
                .map(str::to_owned)
        };
        let revision = string("revision");
        let platform = string("platform");
        Some(Context {
            registration: self
                .field(map, "registration", path)
                .and_then(|v| self.uuid(v, &path.key("registration"))),
            instructor: self
                .field(map, "instructor", path)
                .and_then(|v| self.actor(v, &path.key("instructor"))),
            team: self
                .field(map, "team", path)
                .and_then(|v| self.group_value(v, &path.key("team"))),
            context_activities: self
                .field(map, "contextActivities", path)
                .and_then(|v| self.context_activities(v, &path.key("contextActivities"))),
            context_agents: self.context_agents(map, path),
            context_groups: self.context_groups(map, path),
            revision,
            platform,
            language: self
                .field(map, "language", path)
                .and_then(|v| self.language_tag(v, &path.key("language"))),
            statement: self.field(map, "statement", path).and_then(|v| {
                let p = path.key("statement");
                let m = self.object(v, &p)?;
                if !self.object_type_is(m, &p, "StatementRef") {
                    return None;
                }
                self.statement_ref(m, &p)
            }),
            extensions: self
                .field(map, "extensions", path)
                .and_then(|v| self.extensions(v, &path.key("extensions"))),
        })
    }

    fn context_activities(
        &mut self,
        value: &Node<'_>,
        path: &Path<'_>,
    ) -> Option<ContextActivities> {
        let map = self.object(value, path)?;
        self.keys(map, &["parent", "grouping", "category", "other"], path);
        let mut get = |key: &str| -> Option<OneOrMany<Activity>> {
            let v = self.field(map, key, path)?;
            let p = path.key(key);
            match v {
                Node::Array(list) => {
                    let mut out = Vec::with_capacity(list.len());
                    for (i, item) in list.iter().enumerate() {
                        if let Some(a) = self.activity_value(item, &p.index(i)) {
                            out.push(a);
                        }
                    }
                    Some(OneOrMany::Many(out))
                }
                _ => self.activity_value(v, &p).map(OneOrMany::One),
            }
        };
        Some(ContextActivities {
            parent: get("parent"),
            grouping: get("grouping"),
            category: get("category"),
            other: get("other"),
        })
    }

    fn relevant_types(&mut self, map: &Object<'_>, path: &Path<'_>) -> Option<Vec<String>> {
        let v = self.field(map, "relevantTypes", path)?;
        let p = path.key("relevantTypes");
        let list = self.array(v, &p)?;
        if list.is_empty() {
            self.err(
                &p,
                Rule::EmptyValue,
                "must not be empty: give at least one type, or leave it out",
            );
            return None;
        }
        let mut out = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            if let Some(iri) = self.iri(item, &p.index(i)) {
                out.push(iri);
            }
        }
        Some(out)
    }

    fn context_agents(&mut self, map: &Object<'_>, path: &Path<'_>) -> Option<Vec<ContextAgent>> {
        let v = self.field(map, "contextAgents", path)?;
        let p = path.key("contextAgents");
        let list = self.array(v, &p)?;
        let mut out = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            let ip = p.index(i);
            let Some(m) = self.object(item, &ip) else {
                continue;
            };
            self.keys(m, &["objectType", "agent", "relevantTypes"], &ip);
            let typed = self.object_type_is(m, &ip, "contextAgent");
            let agent = self
                .required(m, "agent", &ip)
                .and_then(|v| self.agent_value(v, &ip.key("agent")));
            let relevant_types = self.relevant_types(m, &ip);
            if let (true, Some(agent)) = (typed, agent) {
                out.push(ContextAgent {
                    agent,
                    relevant_types,
                });
            }
        }
        Some(out)
    }

    fn context_groups(&mut self, map: &Object<'_>, path: &Path<'_>) -> Option<Vec<ContextGroup>> {
        let v = self.field(map, "contextGroups", path)?;
        let p = path.key("contextGroups");
        let list = self.array(v, &p)?;
        let mut out = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            let ip = p.index(i);
            let Some(m) = self.object(item, &ip) else {
                continue;
            };
            self.keys(m, &["objectType", "group", "relevantTypes"], &ip);
            let typed = self.object_type_is(m, &ip, "contextGroup");
            let group = self
                .required(m, "group", &ip)
                .and_then(|v| self.group_value(v, &ip.key("group")));
            let relevant_types = self.relevant_types(m, &ip);
            if let (true, Some(group)) = (typed, group) {
                out.push(ContextGroup {
                    group,
                    relevant_types,
                });
            }
        }
        Some(out)
    }

    // ----- attachments -----

    fn attachments(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<Vec<Attachment>> {
        let list = self.array(value, path)?;
        let mut out = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            if let Some(a) = self.attachment(item, &path.index(i)) {
                out.push(a);
            }
        }
        Some(out)
    }

    /// Rules `content-type`, `attachment-length` and `attachment-sha2`.
    fn attachment(&mut self, value: &Node<'_>, path: &Path<'_>) -> Option<Attachment> {
        let map = self.object(value, path)?;
        self.keys(
            map,
            &[
                "usageType",
                "display",
                "description",
                "contentType",
                "length",
                "sha2",
                "fileUrl",
            ],
            path,
        );
        let usage_type = self
            .required(map, "usageType", path)
            .and_then(|v| self.iri(v, &path.key("usageType")));
        let display = self
            .required(map, "display", path)
            .and_then(|v| self.language_map(v, &path.key("display")));
        let description = self
            .field(map, "description", path)
            .and_then(|v| self.language_map(v, &path.key("description")));
        let content_type = self.required(map, "contentType", path).and_then(|v| {
            let p = path.key("contentType");
            let s = self.string(v, &p)?;
            if formats::is_media_type(s) {
                Some(s.to_owned())
            } else {
                self.err(
                    &p,
                    Rule::ContentType,
                    format!("`{s}` is not an Internet media type"),
                );
                None
            }
        });
        let length = self.required(map, "length", path).and_then(|v| {
            let n = v.as_u64();
            if n.is_none() {
                self.err(
                    &path.key("length"),
                    Rule::AttachmentLength,
                    "expected a non-negative integer",
                );
            }
            n
        });
        let sha2 = self.required(map, "sha2", path).and_then(|v| {
            let p = path.key("sha2");
            let s = self.string(v, &p)?;
            if formats::is_hex(s, &[56, 64, 96, 128]) {
                Some(s.to_owned())
            } else {
                self.err(
                    &p,
                    Rule::AttachmentSha2,
                    "expected the hexadecimal SHA-2 digest (224, 256, 384 or 512 bits)",
                );
                None
            }
        });
        let file_url = self
            .field(map, "fileUrl", path)
            .and_then(|v| self.irl(v, &path.key("fileUrl")));
        Some(Attachment {
            usage_type: usage_type?,
            display: display?,
            description,
            content_type: content_type?,
            length: length?,
            sha2: sha2?,
            file_url,
        })
    }
}
