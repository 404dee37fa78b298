//! Parsers of `ralph extract`: events out of the containers they are shipped in.

use serde_json::Value;

use crate::{Error, Result};

/// A container format holding events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parser {
    /// GELF messages (Graylog): the event is the `short_message` field.
    Gelf,
    /// Elasticsearch hits: the event is the `_source` field.
    Es,
}

impl Parser {
    /// Extracts the event of one input line, as the text to print (without the newline).
    ///
    /// GELF events are printed as sent (they are JSON text already); Elasticsearch sources are
    /// printed as Python's `json.dumps` writes them, as Ralph does.
    pub fn extract(self, line: &str) -> Result<String> {
        let value: Value = serde_json::from_str(line).map_err(|err| {
            Error::invalid_input(format!(
                "not a valid JSON string ({err}); it will be ignored"
            ))
        })?;
        match self {
            Self::Gelf => match value.get("short_message") {
                Some(Value::String(message)) => Ok(message.clone()),
                Some(other) => Ok(other.to_string()),
                None => Err(Error::invalid_input(
                    "no `short_message` field: not in GELF format; it will be ignored",
                )),
            },
            Self::Es => match value.get("_source") {
                Some(source) => Ok(crate::pyjson::dumps(source)),
                None => Err(Error::invalid_input(
                    "no `_source` field; it will be ignored",
                )),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gelf_yields_the_short_message_verbatim() {
        let line =
            r#"{"version":"1.1","host":"lms","short_message":"{\"event_type\": \"x\"}","level":6}"#;
        assert_eq!(
            Parser::Gelf.extract(line).expect("gelf"),
            r#"{"event_type": "x"}"#
        );
        let err = Parser::Gelf
            .extract(r#"{"host":"lms"}"#)
            .expect_err("no short_message");
        assert!(err.to_string().contains("short_message"));
        assert!(Parser::Gelf.extract("nope").is_err());
    }

    #[test]
    fn es_yields_the_source_as_python_dumps_it() {
        let line = r#"{"_index":"i","_id":"1","_source":{"id":"1","score":0.5,"name":"é"}}"#;
        assert_eq!(
            Parser::Es.extract(line).expect("es"),
            r#"{"id": "1", "score": 0.5, "name": "\u00e9"}"#
        );
        assert!(Parser::Es.extract(r#"{"_id":"1"}"#).is_err());
    }
}
