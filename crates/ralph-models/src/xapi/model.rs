//! Typed xAPI statements (1.0.3 and 2.0.0).
//!
//! Values of these types are only built by the validator ([`Statement::from_value`]), so a
//! `Statement` always satisfies the rules of the specification. Serialising one writes the
//! normalised form: compact JSON, fields in the declared order, absent fields omitted, agents
//! with their `objectType`, and `version` always present.

use chrono::{DateTime, FixedOffset};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// Extensions: a JSON object whose keys are IRIs and whose values are any JSON.
pub type Extensions = serde_json::Map<String, serde_json::Value>;

/// An xAPI statement.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    /// Statement id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Uuid>,
    /// Who did it.
    pub actor: Actor,
    /// What was done.
    pub verb: Verb,
    /// What it was done to.
    pub object: StatementObject,
    /// Outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<StatementResult>,
    /// Context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<Context>,
    /// When it happened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    /// When the LRS stored it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stored: Option<Timestamp>,
    /// Who asserts it is true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<Actor>,
    /// xAPI version of the statement (`1.0.0` when the input had none, `2.0.0` when it used
    /// properties that only exist in 2.0).
    pub version: String,
    /// Attachments' metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
}

impl Statement {
    /// The verb id.
    #[must_use]
    pub fn verb_id(&self) -> &str {
        &self.verb.id
    }

    /// The `object.definition.type` when the object is an Activity that has one.
    #[must_use]
    pub fn object_activity_type(&self) -> Option<&str> {
        match &self.object {
            StatementObject::Activity(a) => a.definition.as_ref()?.activity_type.as_deref(),
            _ => None,
        }
    }

    /// The activities of `context.contextActivities.category` (empty when absent).
    pub fn categories(&self) -> impl Iterator<Item = &Activity> {
        self.context
            .as_ref()
            .and_then(|c| c.context_activities.as_ref())
            .and_then(|ca| ca.category.as_ref())
            .into_iter()
            .flat_map(OneOrMany::iter)
    }

    /// Compact JSON of the statement in its normalised form.
    #[must_use]
    pub fn to_json(&self) -> String {
        // Serialising these types cannot fail: keys are strings and numbers are finite.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl<'de> Deserialize<'de> for Statement {
    /// Deserialises any JSON and validates it; errors carry the JSON path and the reason.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let node = crate::json::Node::deserialize(deserializer)?;
        Statement::from_node(&node).map_err(serde::de::Error::custom)
    }
}

/// The actor or authority of a statement: an Agent or a Group.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Actor {
    /// A single person or system.
    Agent(Agent),
    /// A group of agents.
    Group(Group),
}

/// An inverse functional identifier: the one property that identifies an Agent or a Group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ifi {
    /// `mbox`: a `mailto:` IRI (domain normalised to lowercase).
    Mbox(String),
    /// `mbox_sha1sum`: hex SHA-1 of the `mailto:` IRI.
    MboxSha1sum(String),
    /// `openid`: an OpenID URI.
    OpenId(String),
    /// `account`: an account on an existing system.
    Account(Account),
}

impl Ifi {
    fn serialize_entry<M: SerializeMap>(&self, map: &mut M) -> Result<(), M::Error> {
        match self {
            Ifi::Mbox(v) => map.serialize_entry("mbox", v),
            Ifi::MboxSha1sum(v) => map.serialize_entry("mbox_sha1sum", v),
            Ifi::OpenId(v) => map.serialize_entry("openid", v),
            Ifi::Account(v) => map.serialize_entry("account", v),
        }
    }
}

/// An account on an existing system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    /// Home page of the system that holds the account (an IRI).
    #[serde(rename = "homePage")]
    pub home_page: String,
    /// Unique id or name of the account on that system.
    pub name: String,
}

/// An Agent: identified by exactly one IFI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// The identifier.
    pub ifi: Ifi,
    /// Full name.
    pub name: Option<String>,
}

impl Serialize for Agent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Ralph writes the identifier first, then `objectType`, then `name`.
        let mut map = serializer.serialize_map(None)?;
        self.ifi.serialize_entry(&mut map)?;
        map.serialize_entry("objectType", "Agent")?;
        if let Some(name) = &self.name {
            map.serialize_entry("name", name)?;
        }
        map.end()
    }
}

/// A Group: identified (one IFI, members optional) or anonymous (no IFI, members required).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The identifier of an identified group; `None` for an anonymous group.
    pub ifi: Option<Ifi>,
    /// Name of the group.
    pub name: Option<String>,
    /// Members (agents only).
    pub member: Option<Vec<Agent>>,
}

impl Serialize for Group {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(ifi) = &self.ifi {
            ifi.serialize_entry(&mut map)?;
        }
        map.serialize_entry("objectType", "Group")?;
        if let Some(name) = &self.name {
            map.serialize_entry("name", name)?;
        }
        if let Some(member) = &self.member {
            map.serialize_entry("member", member)?;
        }
        map.end()
    }
}

/// A language map: RFC 5646 tag → text, in input order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LanguageMap(pub Vec<(String, String)>);

impl LanguageMap {
    /// The text for `tag` (exact match).
    #[must_use]
    pub fn get(&self, tag: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, v)| v.as_str())
    }
}

impl Serialize for LanguageMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The verb: what the actor did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verb {
    /// Verb IRI.
    pub id: String,
    /// Human-readable names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<LanguageMap>,
}

/// The object of a statement.
// Activities are the object of nearly every statement: boxing them would cost an allocation
// per statement to save memory on the rare StatementRef.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum StatementObject {
    /// An Activity (the default when `objectType` is absent).
    Activity(Activity),
    /// An Agent (`objectType: "Agent"`).
    Agent(Agent),
    /// A Group.
    Group(Group),
    /// A reference to another statement.
    StatementRef(StatementRef),
    /// A statement inside the statement; its own object is never a SubStatement.
    SubStatement(Box<SubStatement>),
}

/// An Activity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Activity {
    /// Activity IRI.
    pub id: String,
    /// `Some("Activity")` when the input said so explicitly.
    #[serde(rename = "objectType", skip_serializing_if = "Option::is_none")]
    pub object_type: Option<ActivityObjectType>,
    /// Metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<ActivityDefinition>,
}

/// The only `objectType` of an Activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ActivityObjectType {
    /// `"Activity"`.
    Activity,
}

/// Metadata of an Activity, including interaction definitions.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ActivityDefinition {
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<LanguageMap>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<LanguageMap>,
    /// Activity type IRI.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub activity_type: Option<String>,
    /// IRL of a document about the activity.
    #[serde(rename = "moreInfo", skip_serializing_if = "Option::is_none")]
    pub more_info: Option<String>,
    /// Extensions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Extensions>,
    /// Kind of interaction.
    #[serde(rename = "interactionType", skip_serializing_if = "Option::is_none")]
    pub interaction_type: Option<InteractionType>,
    /// Correct responses.
    #[serde(
        rename = "correctResponsesPattern",
        skip_serializing_if = "Option::is_none"
    )]
    pub correct_responses_pattern: Option<Vec<String>>,
    /// Choices (choice, sequencing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub choices: Option<Vec<InteractionComponent>>,
    /// Scale (likert).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scale: Option<Vec<InteractionComponent>>,
    /// Sources (matching).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Vec<InteractionComponent>>,
    /// Targets (matching).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Vec<InteractionComponent>>,
    /// Steps (performance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<InteractionComponent>>,
}

/// The ten interaction types of xAPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InteractionType {
    /// `true-false`
    TrueFalse,
    /// `choice`
    Choice,
    /// `fill-in`
    FillIn,
    /// `long-fill-in`
    LongFillIn,
    /// `matching`
    Matching,
    /// `performance`
    Performance,
    /// `sequencing`
    Sequencing,
    /// `likert`
    Likert,
    /// `numeric`
    Numeric,
    /// `other`
    Other,
}

impl InteractionType {
    /// Every interaction type with its JSON name.
    pub const ALL: [(InteractionType, &'static str); 10] = [
        (InteractionType::TrueFalse, "true-false"),
        (InteractionType::Choice, "choice"),
        (InteractionType::FillIn, "fill-in"),
        (InteractionType::LongFillIn, "long-fill-in"),
        (InteractionType::Matching, "matching"),
        (InteractionType::Performance, "performance"),
        (InteractionType::Sequencing, "sequencing"),
        (InteractionType::Likert, "likert"),
        (InteractionType::Numeric, "numeric"),
        (InteractionType::Other, "other"),
    ];
}

/// One choice, scale point, source, target or step of an interaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InteractionComponent {
    /// Id, unique in its list, without whitespace.
    pub id: String,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<LanguageMap>,
}

/// A reference to another statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatementRef {
    /// Id of the referenced statement.
    pub id: Uuid,
}

impl Serialize for StatementRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("objectType", "StatementRef")?;
        map.end()
    }
}

/// A statement used as the object of another statement.
#[derive(Debug, Clone, PartialEq)]
pub struct SubStatement {
    /// Who.
    pub actor: Actor,
    /// What.
    pub verb: Verb,
    /// To what (never a SubStatement).
    pub object: StatementObject,
    /// Outcome.
    pub result: Option<StatementResult>,
    /// Context.
    pub context: Option<Context>,
    /// When.
    pub timestamp: Option<Timestamp>,
    /// Attachments.
    pub attachments: Option<Vec<Attachment>>,
}

impl Serialize for SubStatement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Ralph's declared order: actor, verb, object, objectType, result, context, ...
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("actor", &self.actor)?;
        map.serialize_entry("verb", &self.verb)?;
        map.serialize_entry("object", &self.object)?;
        map.serialize_entry("objectType", "SubStatement")?;
        if let Some(v) = &self.result {
            map.serialize_entry("result", v)?;
        }
        if let Some(v) = &self.context {
            map.serialize_entry("context", v)?;
        }
        if let Some(v) = &self.timestamp {
            map.serialize_entry("timestamp", v)?;
        }
        if let Some(v) = &self.attachments {
            map.serialize_entry("attachments", v)?;
        }
        map.end()
    }
}

/// The outcome of a statement.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct StatementResult {
    /// Score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    /// Whether the attempt succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// Whether the activity was completed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completion: Option<bool>,
    /// Response of the learner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    /// ISO 8601 duration, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
    /// Extensions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Extensions>,
}

/// A score; numbers are kept as written (`1` stays `1`, `1.0` stays `1.0`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Score {
    /// Normalised score in `[-1, 1]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scaled: Option<serde_json::Number>,
    /// Raw score, `min <= raw <= max`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<serde_json::Number>,
    /// Lowest possible score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<serde_json::Number>,
    /// Highest possible score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<serde_json::Number>,
}

/// The context of a statement.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Context {
    /// Registration (UUID).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration: Option<Uuid>,
    /// Instructor (Agent or Group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instructor: Option<Actor>,
    /// Team.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<Group>,
    /// Context activities.
    #[serde(rename = "contextActivities", skip_serializing_if = "Option::is_none")]
    pub context_activities: Option<ContextActivities>,
    /// Context agents (xAPI 2.0).
    #[serde(rename = "contextAgents", skip_serializing_if = "Option::is_none")]
    pub context_agents: Option<Vec<ContextAgent>>,
    /// Context groups (xAPI 2.0).
    #[serde(rename = "contextGroups", skip_serializing_if = "Option::is_none")]
    pub context_groups: Option<Vec<ContextGroup>>,
    /// Revision of the activity (only when the object is an Activity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Platform (only when the object is an Activity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    /// Language (RFC 5646 tag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// A statement giving context.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<StatementRef>,
    /// Extensions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extensions: Option<Extensions>,
}

/// One activity or a list of activities (both forms are kept as written).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// A single value.
    One(T),
    /// A list.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// Iterates over the value(s).
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        match self {
            OneOrMany::One(v) => std::slice::from_ref(v).iter(),
            OneOrMany::Many(v) => v.iter(),
        }
    }
}

/// Context activities.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ContextActivities {
    /// Direct parents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<OneOrMany<Activity>>,
    /// Indirect relations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grouping: Option<OneOrMany<Activity>>,
    /// Categories (profiles, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<OneOrMany<Activity>>,
    /// Others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<OneOrMany<Activity>>,
}

/// An agent of the context with its relevance (xAPI 2.0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextAgent {
    /// The agent.
    pub agent: Agent,
    /// IRIs saying how the agent is relevant.
    pub relevant_types: Option<Vec<String>>,
}

impl Serialize for ContextAgent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("objectType", "contextAgent")?;
        map.serialize_entry("agent", &self.agent)?;
        if let Some(v) = &self.relevant_types {
            map.serialize_entry("relevantTypes", v)?;
        }
        map.end()
    }
}

/// A group of the context with its relevance (xAPI 2.0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextGroup {
    /// The group.
    pub group: Group,
    /// IRIs saying how the group is relevant.
    pub relevant_types: Option<Vec<String>>,
}

impl Serialize for ContextGroup {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("objectType", "contextGroup")?;
        map.serialize_entry("group", &self.group)?;
        if let Some(v) = &self.relevant_types {
            map.serialize_entry("relevantTypes", v)?;
        }
        map.end()
    }
}

/// An ISO 8601 timestamp with a zone, kept as written (a `+00:00` offset becomes `Z`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    /// The normalised text.
    pub text: String,
    /// The parsed value.
    pub value: DateTime<FixedOffset>,
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

/// Metadata of an attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attachment {
    /// Usage type IRI.
    #[serde(rename = "usageType")]
    pub usage_type: String,
    /// Title.
    pub display: LanguageMap,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<LanguageMap>,
    /// Internet media type.
    #[serde(rename = "contentType")]
    pub content_type: String,
    /// Length in octets.
    pub length: u64,
    /// Hex SHA-2 digest of the content.
    pub sha2: String,
    /// IRL where the content can be fetched.
    #[serde(rename = "fileUrl", skip_serializing_if = "Option::is_none")]
    pub file_url: Option<String>,
}
