//! The read query of the `redis` backend.

use ralph_core::{Error, Result};
use serde::Deserialize;

/// What to read from a stream.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisQuery {
    /// First entry id to read (inclusive); the stream start when unset.
    pub start: Option<String>,
    /// Keep waiting for new entries after the last one.
    #[serde(default)]
    pub follow: bool,
    /// Read through this consumer group.
    pub group: Option<String>,
    /// The consumer name within the group (required with `group`).
    pub consumer: Option<String>,
}

impl RedisQuery {
    /// Parses a query given on the command line; `None` or blank is the default query.
    pub fn parse(query: Option<&str>) -> Result<Self> {
        let Some(text) = query.map(str::trim).filter(|q| !q.is_empty()) else {
            return Ok(Self::default());
        };
        let query: Self = serde_json::from_str(text).map_err(|err| {
            Error::invalid_input(format!(
                "invalid redis query `{text}`: {err}; expected JSON such as {{\"start\": \"0-0\", \"follow\": true, \"group\": \"g\", \"consumer\": \"c\"}}"
            ))
        })?;
        if query.group.is_some() != query.consumer.is_some() {
            return Err(Error::invalid_input(
                "a redis query with `group` needs `consumer`, and the reverse",
            ));
        }
        if query.group.is_some() && query.start.is_some() {
            return Err(Error::invalid_input(
                "`start` does not apply to a consumer group: the group remembers its position",
            ));
        }
        Ok(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_parse_and_are_checked() {
        assert_eq!(
            RedisQuery::parse(None).expect("default"),
            RedisQuery::default()
        );
        let q = RedisQuery::parse(Some(r#"{"start":"5-0","follow":true}"#)).expect("start");
        assert_eq!((q.start.as_deref(), q.follow), (Some("5-0"), true));
        assert!(RedisQuery::parse(Some(r#"{"group":"g"}"#)).is_err());
        assert!(RedisQuery::parse(Some(r#"{"nope":1}"#)).is_err());
        assert!(RedisQuery::parse(Some("*.gz")).is_err());
    }
}
