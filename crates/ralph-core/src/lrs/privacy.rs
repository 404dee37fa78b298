//! Deletion, retention and pseudonymisation of stored statements (GDPR requests).
//!
//! - [`DeleteFilter`] says which statements to delete: `agent` (anywhere in the statement:
//!   actor, object, authority, context instructor and team, group members, sub-statement; and,
//!   as the xAPI `agent` filter, through `StatementRef` targets), `verb`, `activity` (the
//!   object, or through `StatementRef` targets), `registration`, `since` / `until` on `stored`.
//!   Voided statements match like the others.
//! - [`Pseudonymizer`] maps an agent's IFI to `{"account": {"homePage", "name":
//!   hex(HMAC-SHA256(key, IFI))}}`: the same learner always gets the same pseudonym, and nobody
//!   without the key can go back. [`pseudonymize_statement`] rewrites every position of one
//!   statement where that agent appears.
//! - [`statement_attachments`] names the attachments a statement references, which go with it
//!   when no other statement references them.
//!
//! Stores implement [`LrsStore::delete_statements`],
//! [`pseudonymize`](super::LrsStore::pseudonymize) and
//! [`delete_agent_documents`](super::LrsStore::delete_agent_documents); [`matching_statements`]
//! finds what a filter matches through the query methods every store has, for stores without a
//! query language of their own.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Ifi, LrsStore, StatementQuery, reference_chain, voided_target};
use crate::{Error, Result};

/// Which statements to delete; at least one field is set (see [`DeleteFilter::check`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeleteFilter {
    /// The agent or identified group, anywhere in the statement or its `StatementRef` targets.
    pub agent: Option<Ifi>,
    /// The verb id.
    pub verb: Option<String>,
    /// The object activity id.
    pub activity: Option<String>,
    /// `context.registration` (compared lowercase).
    pub registration: Option<String>,
    /// Only statements stored strictly after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only statements stored at or before this time.
    pub until: Option<DateTime<Utc>>,
}

impl DeleteFilter {
    /// Statements stored at or before `before`: what a retention purge deletes.
    pub fn stored_until(before: DateTime<Utc>) -> Self {
        Self {
            until: Some(before),
            ..Self::default()
        }
    }

    /// Whether no field is set (such a filter would delete everything).
    pub fn is_empty(&self) -> bool {
        self.agent.is_none()
            && self.verb.is_none()
            && self.activity.is_none()
            && self.registration.is_none()
            && self.since.is_none()
            && self.until.is_none()
    }

    /// Fails with `InvalidInput` when the filter is empty.
    pub fn check(&self) -> Result<()> {
        if self.is_empty() {
            return Err(Error::invalid_input(
                "the delete filter is empty; give at least one of `agent`, `verb`, `activity`, \
                 `registration`, `since`, `until`",
            ));
        }
        Ok(())
    }

    /// The statements query with the same meaning (agents anywhere, activities as objects).
    pub fn to_query(&self, limit: usize) -> StatementQuery {
        StatementQuery {
            agent: self.agent.clone(),
            verb: self.verb.clone(),
            activity: self.activity.clone(),
            registration: self.registration.as_deref().map(str::to_ascii_lowercase),
            related_agents: true,
            since: self.since,
            until: self.until,
            limit: limit.max(1),
            ascending: true,
            ..StatementQuery::default()
        }
    }

    /// Whether the filter only looks at the statement itself (`since` / `until`), so that
    /// `StatementRef` targets never matter.
    pub fn only_time(&self) -> bool {
        !self.to_query(1).follows_references()
    }

    /// A description for logs: the fields set, with the agent's IFI kind but not its value.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(agent) = &self.agent {
            let kind = agent.key();
            let kind = kind.split(':').next().unwrap_or_default();
            parts.push(format!("agent={kind}:<redacted>"));
        }
        if let Some(verb) = &self.verb {
            parts.push(format!("verb={verb}"));
        }
        if let Some(activity) = &self.activity {
            parts.push(format!("activity={activity}"));
        }
        if let Some(registration) = &self.registration {
            parts.push(format!("registration={registration}"));
        }
        if let Some(since) = &self.since {
            parts.push(format!("since={}", since.to_rfc3339()));
        }
        if let Some(until) = &self.until {
            parts.push(format!("until={}", until.to_rfc3339()));
        }
        parts.join(" ")
    }
}

/// What a deletion matched and deleted (`deleted` is 0 on a dry run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteReport {
    /// Statements matching the filter.
    pub matched: u64,
    /// Statements deleted.
    pub deleted: u64,
    /// Agent documents (states and agent profiles) matching, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<u64>,
}

/// Maps agents to their pseudonymous accounts with a secret key.
#[derive(Clone)]
pub struct Pseudonymizer {
    key: Vec<u8>,
    home_page: String,
}

impl std::fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pseudonymizer")
            .field("home_page", &self.home_page)
            .finish_non_exhaustive()
    }
}

impl Pseudonymizer {
    /// A pseudonymizer with `key` (kept secret: whoever has it can check a guess) and the
    /// `homePage` of the pseudonymous accounts.
    pub fn new(key: impl AsRef<[u8]>, home_page: impl Into<String>) -> Result<Self> {
        let key = key.as_ref();
        if key.is_empty() {
            return Err(Error::config(
                "the pseudonym key is empty; set `RALPH_LRS_PSEUDONYM_KEY`",
            ));
        }
        Ok(Self {
            key: key.to_vec(),
            home_page: home_page.into(),
        })
    }

    /// The pseudonym of `agent`: an account on the home page named by the lowercase hex
    /// HMAC-SHA256 of the agent's canonical IFI ([`Ifi::key`], e.g. `mbox:mailto:a@b.c`).
    pub fn pseudonym(&self, agent: &Ifi) -> Ifi {
        Ifi::Account {
            home_page: self.home_page.clone(),
            name: hex(&hmac_sha256(&self.key, agent.key().as_bytes())),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// HMAC-SHA256 (RFC 2104) of `message` with `key`.
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|k| k ^ byte);
    let mut inner = Sha256::new();
    inner.update(pad(0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(pad(0x5c));
    outer.update(inner);
    let mut out = [0u8; 32];
    out.copy_from_slice(&outer.finalize());
    out
}

const IFI_PROPERTIES: [&str; 4] = ["mbox", "mbox_sha1sum", "openid", "account"];

/// Replaces `agent_object` by `pseudonym` when it is `agent` (name dropped, `objectType`
/// kept), then does the same for its members; returns whether anything changed.
fn rewrite_agent(agent_object: &mut Value, agent: &Ifi, pseudonym: &Ifi) -> bool {
    let mut changed = false;
    if Ifi::of(agent_object).as_ref() == Some(agent)
        && let Some(map) = agent_object.as_object_mut()
    {
        for key in IFI_PROPERTIES {
            map.remove(key);
        }
        map.remove("name");
        if let Value::Object(ifi) = pseudonym.to_json() {
            map.extend(ifi);
        }
        changed = true;
    }
    if let Some(members) = agent_object.get_mut("member").and_then(Value::as_array_mut) {
        for member in members {
            changed |= rewrite_agent(member, agent, pseudonym);
        }
    }
    changed
}

fn rewrite_positions(
    statement: &mut Map<String, Value>,
    agent: &Ifi,
    pseudonym: &Ifi,
    top: bool,
) -> bool {
    let mut changed = false;
    if let Some(actor) = statement.get_mut("actor") {
        changed |= rewrite_agent(actor, agent, pseudonym);
    }
    if let Some(object) = statement.get_mut("object") {
        match object.get("objectType").and_then(Value::as_str) {
            Some("Agent" | "Group") => changed |= rewrite_agent(object, agent, pseudonym),
            Some("SubStatement") if top => {
                if let Some(sub) = object.as_object_mut() {
                    changed |= rewrite_positions(sub, agent, pseudonym, false);
                }
            }
            _ => {}
        }
    }
    if let Some(authority) = statement.get_mut("authority") {
        changed |= rewrite_agent(authority, agent, pseudonym);
    }
    if let Some(context) = statement.get_mut("context").and_then(Value::as_object_mut) {
        for key in ["instructor", "team"] {
            if let Some(value) = context.get_mut(key) {
                changed |= rewrite_agent(value, agent, pseudonym);
            }
        }
    }
    changed
}

/// Replaces `agent` by `pseudonym` wherever [`statement_agents`](super::statement_agents)
/// finds agents (actor, object, authority, context instructor and team, group members, and the
/// same inside a sub-statement); the agent's `name` goes, `objectType` and the statement id
/// stay. Returns whether the statement changed.
pub fn pseudonymize_statement(statement: &mut Value, agent: &Ifi, pseudonym: &Ifi) -> bool {
    match statement.as_object_mut() {
        Some(map) => rewrite_positions(map, agent, pseudonym, true),
        None => false,
    }
}

/// The `sha2` of the attachments `statement` references (its own and its sub-statement's).
pub fn statement_attachments(statement: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut collect = |s: &Value| {
        if let Some(list) = s.get("attachments").and_then(Value::as_array) {
            out.extend(
                list.iter()
                    .filter_map(|a| a.get("sha2").and_then(Value::as_str))
                    .map(str::to_owned),
            );
        }
    };
    collect(statement);
    if let Some(object) = statement.get("object") {
        collect(object);
    }
    out.sort();
    out.dedup();
    out
}

/// Whether `statement` matches `filter`, `StatementRef` targets resolved by `resolve`.
pub fn filter_matches(
    filter: &DeleteFilter,
    statement: &Value,
    resolve: &mut dyn FnMut(&str) -> Option<Value>,
) -> bool {
    filter
        .to_query(1)
        .matches_through_references(statement, resolve)
}

/// Every statement of `target` matching `filter`, voided ones included, in stored order,
/// found through the store's query methods: the non-voided ones with
/// [`LrsStore::query`] (agent anywhere, references followed), the voided ones through the
/// voiding statements that void them.
///
/// Statements that only match through a `StatementRef` come first, so deleting in this order
/// and being interrupted leaves statements that still match when the deletion runs again.
pub async fn matching_statements<S: LrsStore + ?Sized>(
    store: &S,
    target: Option<&str>,
    filter: &DeleteFilter,
) -> Result<Vec<Value>> {
    filter.check()?;
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut query = filter.to_query(500);
    loop {
        let page = store.query(target, &query).await?;
        for statement in page.statements {
            if let Some(id) = super::statement_id(&statement)
                && seen.insert(id.to_owned())
            {
                out.push(statement);
            }
        }
        match page.more {
            Some(cursor) => query.cursor = Some(cursor),
            None => break,
        }
    }
    // Voided statements are never returned by `query`: reach them through their voiding
    // statements (a voiding statement cannot itself be voided, so it is always listed).
    let mut voiding = StatementQuery {
        verb: Some(super::VOIDED_VERB.to_owned()),
        limit: 500,
        ascending: true,
        ..StatementQuery::default()
    };
    loop {
        let page = store.query(target, &voiding).await?;
        for statement in &page.statements {
            let Some(voided_id) = voided_target(statement) else {
                continue;
            };
            if seen.contains(voided_id) {
                continue;
            }
            let Some(found) = store.get(target, voided_id).await? else {
                continue;
            };
            if !found.voided {
                continue;
            }
            let chain = reference_chain(&found.statement, |id| async move {
                Ok(store.get(target, &id).await?.map(|f| f.statement))
            })
            .await?;
            if filter_matches(filter, &found.statement, &mut |id| chain.get(id).cloned()) {
                seen.insert(voided_id.to_owned());
                out.push(found.statement);
            }
        }
        match page.more {
            Some(cursor) => voiding.cursor = Some(cursor),
            None => break,
        }
    }
    // Referencing statements first (see above), then by stored time.
    out.sort_by_key(|s| {
        (
            super::referenced_statement(s).is_none(),
            super::stored_at(s),
        )
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2 of RFC 4231.
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than a block.
        let mac = hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First",
        );
        assert_eq!(
            hex(&mac),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn pseudonyms_are_stable_and_keyed() {
        let p = Pseudonymizer::new("k1", "https://lrs.example.org/pseudonyms").expect("p");
        let alice = Ifi::Mbox("mailto:alice@example.org".into());
        assert_eq!(p.pseudonym(&alice), p.pseudonym(&alice));
        let Ifi::Account { home_page, name } = p.pseudonym(&alice) else {
            panic!("an account");
        };
        assert_eq!(home_page, "https://lrs.example.org/pseudonyms");
        assert_eq!(
            name,
            hex(&hmac_sha256(b"k1", b"mbox:mailto:alice@example.org"))
        );
        let other = Pseudonymizer::new("k2", "https://lrs.example.org/pseudonyms").expect("p");
        assert_ne!(p.pseudonym(&alice), other.pseudonym(&alice));
        assert!(Pseudonymizer::new("", "h").is_err());
    }

    #[test]
    fn every_position_is_rewritten() {
        let alice = Ifi::Mbox("mailto:alice@example.org".into());
        let pseudonym = Ifi::Account {
            home_page: "h".into(),
            name: "x".into(),
        };
        let a = json!({"objectType": "Agent", "name": "Alice", "mbox": "mailto:alice@example.org"});
        let mut s = json!({
            "id": "i",
            "actor": a,
            "object": {"objectType": "SubStatement", "actor": a,
                "verb": {"id": "v"}, "object": a,
                "context": {"instructor": a}},
            "context": {"instructor": a,
                "team": {"objectType": "Group", "member": [a, {"mbox": "mailto:bob@example.org"}]}},
            "authority": a,
        });
        assert!(pseudonymize_statement(&mut s, &alice, &pseudonym));
        let text = s.to_string();
        assert!(!text.contains("alice"), "{text}");
        assert!(!text.contains("Alice"), "{text}");
        assert!(text.contains("bob@example.org"));
        assert_eq!(s["id"], "i");
        assert_eq!(
            s["actor"],
            json!({"objectType": "Agent", "account": {"homePage": "h", "name": "x"}})
        );
        assert!(
            super::super::statement_agents(&s)
                .iter()
                .all(|(ifi, _)| ifi != &alice)
        );
        assert!(!pseudonymize_statement(&mut s, &alice, &pseudonym));
    }

    #[test]
    fn filters_need_a_field_and_logs_hide_the_agent() {
        assert!(DeleteFilter::default().check().is_err());
        let f = DeleteFilter {
            agent: Some(Ifi::Mbox("mailto:alice@example.org".into())),
            ..DeleteFilter::default()
        };
        assert!(f.check().is_ok());
        assert!(!f.only_time());
        assert!(!f.describe().contains("alice"));
        assert!(DeleteFilter::stored_until(Utc::now()).only_time());
    }

    #[test]
    fn attachments_are_listed_once() {
        let s = json!({"attachments": [{"sha2": "b"}, {"sha2": "a"}, {"sha2": "b"}]});
        assert_eq!(statement_attachments(&s), vec!["a", "b"]);
    }
}
