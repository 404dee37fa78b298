//! The read query of the `lrs` backend: the xAPI statement query parameters, as JSON.

use ralph_core::{Error, Result};
use serde::Deserialize;
use serde_json::Value;

/// The xAPI `GET /statements` parameters of a read (Ralph 5.1's `LRSStatementsQuery`).
///
/// Keys are accepted in Ralph's snake case (`statement_id`) or in the xAPI camel case
/// (`statementId`); unset parameters are not sent.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LrsQuery {
    /// One statement by id.
    #[serde(alias = "statementId")]
    pub statement_id: Option<String>,
    /// One voided statement by id.
    #[serde(alias = "voidedStatementId")]
    pub voided_statement_id: Option<String>,
    /// Statements of this agent or group: a JSON object (`{"mbox": "mailto:a@example.org"}`).
    pub agent: Option<Value>,
    /// Statements with this verb IRI.
    pub verb: Option<String>,
    /// Statements about this activity IRI.
    pub activity: Option<String>,
    /// Statements of this registration UUID.
    pub registration: Option<String>,
    /// Match `activity` in context activities and sub-statements too.
    #[serde(alias = "relatedActivities")]
    pub related_activities: Option<bool>,
    /// Match `agent` in every agent position.
    #[serde(alias = "relatedAgents")]
    pub related_agents: Option<bool>,
    /// Statements stored after this ISO 8601 instant.
    pub since: Option<String>,
    /// Statements stored at or before this ISO 8601 instant.
    pub until: Option<String>,
    /// Statements per page (the page size, like `--chunk-size`; every page is read).
    pub limit: Option<u64>,
    /// `ids`, `exact` or `canonical`.
    pub format: Option<String>,
    /// Attachments are not supported by this backend (`false` only).
    pub attachments: Option<bool>,
    /// Oldest statements first.
    pub ascending: Option<bool>,
}

impl LrsQuery {
    /// Parses a query given on the command line; `None` or blank is the default query.
    pub fn parse(query: Option<&str>) -> Result<Self> {
        let Some(text) = query.map(str::trim).filter(|q| !q.is_empty()) else {
            return Ok(Self::default());
        };
        let query: Self = serde_json::from_str(text).map_err(|err| {
            Error::invalid_input(format!(
                "invalid lrs query `{text}`: {err}; expected JSON with xAPI statement parameters \
                 such as {{\"verb\": \"http://adlnet.gov/expapi/verbs/completed\", \"since\": \"2024-01-01T00:00:00Z\"}}"
            ))
        })?;
        if let Some(format) = &query.format
            && !matches!(format.as_str(), "ids" | "exact" | "canonical")
        {
            return Err(Error::invalid_input(format!(
                "lrs query: `format` is `{format}`; expected `ids`, `exact` or `canonical`"
            )));
        }
        if query.attachments == Some(true) {
            return Err(Error::unsupported(
                "lrs query: `attachments: true` is not supported (the backend reads JSON pages)",
            ));
        }
        if let Some(agent) = &query.agent
            && !(agent.is_object() || agent.is_string())
        {
            return Err(Error::invalid_input(
                "lrs query: `agent` must be a JSON object such as {\"mbox\": \"mailto:a@example.org\"}",
            ));
        }
        Ok(query)
    }

    /// The query parameters, with their xAPI names, except `limit`.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let mut text = |name: &'static str, value: &Option<String>| {
            if let Some(v) = value {
                out.push((name, v.clone()));
            }
        };
        text("statementId", &self.statement_id);
        text("voidedStatementId", &self.voided_statement_id);
        text("verb", &self.verb);
        text("activity", &self.activity);
        text("registration", &self.registration);
        text("since", &self.since);
        text("until", &self.until);
        text("format", &self.format);
        if let Some(agent) = &self.agent {
            let agent = match agent {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push(("agent", agent));
        }
        for (name, flag) in [
            ("related_activities", self.related_activities),
            ("related_agents", self.related_agents),
            ("attachments", self.attachments),
            ("ascending", self.ascending),
        ] {
            if let Some(flag) = flag {
                out.push((name, flag.to_string()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_in_both_cases_and_are_checked() {
        assert_eq!(LrsQuery::parse(None).expect("default"), LrsQuery::default());
        let q = LrsQuery::parse(Some(
            r#"{"statementId": "x", "related_agents": true, "agent": {"mbox": "mailto:a@b.c"}, "since": "2024-01-01T00:00:00Z"}"#,
        ))
        .expect("valid");
        assert_eq!(
            q.params(),
            vec![
                ("statementId", "x".to_owned()),
                ("since", "2024-01-01T00:00:00Z".to_owned()),
                ("agent", r#"{"mbox":"mailto:a@b.c"}"#.to_owned()),
                ("related_agents", "true".to_owned()),
            ]
        );
        assert!(LrsQuery::parse(Some(r#"{"nope": 1}"#)).is_err());
        assert!(LrsQuery::parse(Some(r#"{"format": "full"}"#)).is_err());
        assert!(LrsQuery::parse(Some(r#"{"attachments": true}"#)).is_err());
        assert!(LrsQuery::parse(Some("*.gz")).is_err());
    }
}
