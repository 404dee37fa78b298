//! Documents and attachments: what the xAPI document resources and statement attachments keep.
//!
//! Three resources keep documents, each scoped by its own parameters:
//!
//! | resource | [`DocumentKind`] | scope | id parameter |
//! |---|---|---|---|
//! | `/activities/state` | `State` | activity, agent, registration (optional) | `stateId` |
//! | `/activities/profile` | `ActivityProfile` | activity | `profileId` |
//! | `/agents/profile` | `AgentProfile` | agent | `profileId` |
//!
//! A store keeps each document's bytes as given, with its content type, an ETag (the quoted
//! SHA-1 of the content is what the LRS sends; stores keep the bare hex) and the time it was
//! last written. The LRS does the HTTP part (headers, JSON merge of `POST`); a store applies a
//! [`Precondition`] atomically with the write, so two clients racing on one document cannot
//! both win.
//!
//! Registrations: a single document is addressed by its exact scope (a state stored without a
//! registration is not the one stored with a registration). Listing ids and deleting several
//! states take a scope whose `registration` is `None` to mean *every registration*.
//!
//! Attachments are kept once per SHA-256 (`sha2`), whatever the number of statements that
//! reference them, and outside targets: they are reached only through the statements that
//! name them.

use bytes::Bytes;
use chrono::{DateTime, Utc};

use super::Ifi;

/// The document resources of xAPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocumentKind {
    /// `/activities/state`: scoped by activity, agent and optional registration.
    State,
    /// `/activities/profile`: scoped by activity.
    ActivityProfile,
    /// `/agents/profile`: scoped by agent.
    AgentProfile,
}

impl DocumentKind {
    /// A stable lowercase name, for storage keys: `state`, `activity_profile`, `agent_profile`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::State => "state",
            Self::ActivityProfile => "activity_profile",
            Self::AgentProfile => "agent_profile",
        }
    }

    /// The kind of a name returned by [`as_str`](Self::as_str).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "state" => Some(Self::State),
            "activity_profile" => Some(Self::ActivityProfile),
            "agent_profile" => Some(Self::AgentProfile),
            _ => None,
        }
    }
}

/// Where documents live: a resource and the parameters that scope it.
///
/// Build it with [`state`](Self::state), [`activity_profile`](Self::activity_profile) or
/// [`agent_profile`](Self::agent_profile). Stores that key documents by strings use
/// [`activity_key`](Self::activity_key), [`agent_key`](Self::agent_key) and
/// [`registration_key`](Self::registration_key), which are empty when the part is absent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentScope {
    /// The resource.
    pub kind: DocumentKind,
    /// `activityId` (state and activity profile).
    pub activity_id: Option<String>,
    /// `agent` (state and agent profile).
    pub agent: Option<Ifi>,
    /// `registration` (state only), lowercase.
    pub registration: Option<String>,
}

impl DocumentScope {
    /// The states of `agent` in `activity_id`, for one registration or none.
    pub fn state(activity_id: impl Into<String>, agent: Ifi, registration: Option<String>) -> Self {
        Self {
            kind: DocumentKind::State,
            activity_id: Some(activity_id.into()),
            agent: Some(agent),
            registration: registration.map(|r| r.to_ascii_lowercase()),
        }
    }

    /// The profiles of an activity.
    pub fn activity_profile(activity_id: impl Into<String>) -> Self {
        Self {
            kind: DocumentKind::ActivityProfile,
            activity_id: Some(activity_id.into()),
            agent: None,
            registration: None,
        }
    }

    /// The profiles of an agent.
    pub fn agent_profile(agent: Ifi) -> Self {
        Self {
            kind: DocumentKind::AgentProfile,
            activity_id: None,
            agent: Some(agent),
            registration: None,
        }
    }

    /// The activity id, or `""`.
    pub fn activity_key(&self) -> &str {
        self.activity_id.as_deref().unwrap_or_default()
    }

    /// The agent's [`Ifi::key`], or `""`.
    pub fn agent_key(&self) -> String {
        self.agent.as_ref().map(Ifi::key).unwrap_or_default()
    }

    /// The registration, or `""`.
    pub fn registration_key(&self) -> &str {
        self.registration.as_deref().unwrap_or_default()
    }

    /// The key of document `id` in this scope.
    pub fn document(&self, id: impl Into<String>) -> DocumentKey {
        DocumentKey {
            scope: self.clone(),
            id: id.into(),
        }
    }

    /// Whether a document stored in `stored` belongs to this scope when listing or deleting
    /// several: same resource, activity and agent, and the same registration unless this
    /// scope's is `None` (every registration).
    pub fn contains(&self, stored: &DocumentScope) -> bool {
        self.kind == stored.kind
            && self.activity_id == stored.activity_id
            && self.agent == stored.agent
            && (self.registration.is_none() || self.registration == stored.registration)
    }
}

/// One document: its scope and its id (`stateId` or `profileId`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentKey {
    /// The scope.
    pub scope: DocumentScope,
    /// The document id within the scope.
    pub id: String,
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The bytes, as the client sent them (or as the LRS merged them).
    pub content: Bytes,
    /// The `Content-Type` the client sent.
    pub content_type: String,
    /// The lowercase hex SHA-1 of the content.
    pub etag: String,
    /// When it was last written.
    pub updated: DateTime<Utc>,
}

impl Document {
    /// A document of `content`, with its ETag computed.
    pub fn new(content: Bytes, content_type: impl Into<String>, updated: DateTime<Utc>) -> Self {
        let etag = etag_of(&content);
        Self {
            content,
            content_type: content_type.into(),
            etag,
            updated,
        }
    }

    /// Whether the content type is JSON (`application/json`, parameters aside).
    pub fn is_json(&self) -> bool {
        is_json_content_type(&self.content_type)
    }
}

/// The ETag of `content`: its lowercase hex SHA-1.
pub fn etag_of(content: &[u8]) -> String {
    sha1_smol::Sha1::from(content).digest().to_string()
}

/// Whether a `Content-Type` value is `application/json`, parameters aside.
pub fn is_json_content_type(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// What a conditional write expects of the stored document.
///
/// A store checks it and writes in one atomic step; when it does not hold, the write fails with
/// [`ErrorKind::PreconditionFailed`](crate::ErrorKind::PreconditionFailed) and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    /// Write whatever is stored.
    #[default]
    Any,
    /// Write only when no document is stored (`If-None-Match: *`).
    Absent,
    /// Write only when a document is stored with this ETag (`If-Match`).
    Matches(String),
    /// Write only when a document is stored, whatever its ETag (`If-Match: *`).
    Exists,
}

impl Precondition {
    /// Whether the precondition holds given the ETag of the stored document, if any.
    pub fn holds(&self, stored_etag: Option<&str>) -> bool {
        match self {
            Self::Any => true,
            Self::Absent => stored_etag.is_none(),
            Self::Exists => stored_etag.is_some(),
            Self::Matches(etag) => stored_etag == Some(etag.as_str()),
        }
    }
}

/// The error of a write whose precondition does not hold.
pub fn precondition_failed(key: &DocumentKey) -> crate::Error {
    crate::Error::new(
        crate::ErrorKind::PreconditionFailed,
        format!(
            "the {} document `{}` is not in the state the request expects",
            key.scope.kind.as_str().replace('_', " "),
            key.id
        ),
    )
}

/// A statement attachment's content, kept once per SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The lowercase hex SHA-256 of the content (the attachment's `sha2`).
    pub sha2: String,
    /// The `Content-Type` of the part that carried it.
    pub content_type: String,
    /// The bytes.
    pub content: Bytes,
}

impl Attachment {
    /// An attachment of `content`, with its `sha2` computed.
    pub fn new(content: Bytes, content_type: impl Into<String>) -> Self {
        Self {
            sha2: sha256_hex(&content),
            content_type: content_type.into(),
            content,
        }
    }
}

/// The lowercase hex SHA-256 of `content`.
pub fn sha256_hex(content: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(content);
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_and_digests_are_lowercase_hex() {
        assert_eq!(etag_of(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn preconditions_follow_the_stored_etag() {
        assert!(Precondition::Any.holds(None));
        assert!(Precondition::Absent.holds(None));
        assert!(!Precondition::Absent.holds(Some("x")));
        assert!(Precondition::Exists.holds(Some("x")));
        assert!(!Precondition::Exists.holds(None));
        assert!(Precondition::Matches("x".into()).holds(Some("x")));
        assert!(!Precondition::Matches("x".into()).holds(Some("y")));
        assert!(!Precondition::Matches("x".into()).holds(None));
    }

    #[test]
    fn a_scope_without_registration_contains_every_registration() {
        let agent = Ifi::Mbox("mailto:a@example.org".into());
        let all = DocumentScope::state("http://a", agent.clone(), None);
        let one = DocumentScope::state("http://a", agent.clone(), Some("ABC".into()));
        assert_eq!(one.registration.as_deref(), Some("abc"));
        assert!(all.contains(&one));
        assert!(!one.contains(&all));
        assert!(!all.contains(&DocumentScope::state("http://b", agent, None)));
    }
}
