//! The values examples of statement types are built from, and helpers to build them.

use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::check::PROFILE_ACTIVITY_TYPE;

/// Values an example statement is built from: [`Params::default`] gives fixed values, the
/// `proptest` strategies give random ones. Every value must be valid where it is used.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Statement id.
    pub id: Uuid,
    /// A valid actor (normalised JSON: agents carry `objectType`).
    pub actor: Value,
    /// Account home page (cmi5 actors are agents with an account).
    pub home_page: String,
    /// Account name.
    pub account_name: String,
    /// Object activity id (an IRI).
    pub object_id: String,
    /// Optional `object.definition.name` (a language map).
    pub name: Option<Value>,
    /// Timestamp in UTC, normalised (`...Z`).
    pub timestamp: String,
    /// `1.0.x` or `2.0.x`.
    pub version: String,
    /// Registration.
    pub registration: Uuid,
    /// Session id.
    pub session: Uuid,
    /// A media time code (>= 0).
    pub time: f64,
    /// Another media time code (>= 0).
    pub time_to: f64,
    /// A media length (>= 0).
    pub length: f64,
    /// A ratio in `[0, 1]`.
    pub ratio: f64,
    /// An integer in `[0, 100]`.
    pub percent: u8,
    /// A flag (also decides whether verbs carry `display`).
    pub flag: bool,
    /// A non-empty text.
    pub text: String,
    /// An ISO 8601 duration.
    pub duration: String,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            id: Uuid::from_u128(0x2b9b_2b3a_6a1e_4d56_9d0c_8d41_7f3c_4e21),
            actor: json!({
                "account": {"homePage": "https://example.org", "name": "42"},
                "objectType": "Agent"
            }),
            home_page: "https://example.org".into(),
            account_name: "42".into(),
            object_id: "https://example.org/activities/1".into(),
            name: Some(json!({"en-US": "Activity 1"})),
            timestamp: "2024-01-15T10:00:00Z".into(),
            version: "1.0.0".into(),
            registration: Uuid::from_u128(0x6d2f_1a0e_0b5c_4f8a_a2a4_3f0b_f1a2_7c10),
            session: Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef),
            time: 12.5,
            time_to: 30.0,
            length: 120.0,
            ratio: 0.5,
            percent: 50,
            flag: true,
            text: "hello".into(),
            duration: "PT1H30M".into(),
        }
    }
}

/// Builds a statement in the normalised field order.
pub(crate) fn statement(
    p: &Params,
    actor: Value,
    verb: Value,
    object: Value,
    result: Option<Value>,
    context: Option<Value>,
) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), p.id.to_string().into());
    m.insert("actor".into(), actor);
    m.insert("verb".into(), verb);
    m.insert("object".into(), object);
    if let Some(result) = result {
        m.insert("result".into(), result);
    }
    if let Some(context) = context {
        m.insert("context".into(), context);
    }
    m.insert("timestamp".into(), p.timestamp.clone().into());
    m.insert("version".into(), p.version.clone().into());
    Value::Object(m)
}

/// A verb, with `display` when `p.flag` is set.
pub(crate) fn verb(p: &Params, id: &str, word: &str) -> Value {
    if p.flag {
        json!({"id": id, "display": {"en-US": word}})
    } else {
        json!({"id": id})
    }
}

/// An activity of the given type, named when `p.name` is set.
pub(crate) fn activity(p: &Params, activity_type: &str) -> Value {
    activity_with(p, activity_type, None)
}

/// An activity of the given type with definition extensions.
pub(crate) fn activity_with(p: &Params, activity_type: &str, extensions: Option<Value>) -> Value {
    let mut def = Map::new();
    if let Some(name) = &p.name {
        def.insert("name".into(), name.clone());
    }
    def.insert("type".into(), activity_type.into());
    if let Some(ext) = extensions {
        def.insert("extensions".into(), ext);
    }
    json!({"id": p.object_id, "definition": def})
}

/// A profile activity for `context.contextActivities.category`.
pub(crate) fn profile_activity(id: &str) -> Value {
    json!({"id": id, "definition": {"type": PROFILE_ACTIVITY_TYPE}})
}
