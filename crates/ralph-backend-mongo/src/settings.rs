//! Settings of the `mongo` backend (`backends.data.mongo`) and of the `mongo` LRS store
//! (`backends.lrs.mongo`), with Ralph 5.1's names and defaults.

use ralph_core::settings::SecretUrl;
use ralph_core::{Error, Result};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Ralph's `CLIENT_OPTIONS` of the mongo backend.
///
/// Both are options of the Python driver (the Python class of returned documents, and whether
/// dates come back timezone-aware); they are accepted so that Ralph configurations load, and
/// have no effect here: documents are always JSON and dates always UTC. Driver options go in
/// the connection URI (`?appName=ralph&maxPoolSize=20&tls=true`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MongoClientOptions {
    /// Python driver option, accepted and ignored.
    pub document_class: Option<String>,
    /// Python driver option, accepted and ignored.
    pub tz_aware: Option<bool>,
}

/// Settings of the `mongo` backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MongoSettings {
    /// Connection URI, `mongodb://[user:password@]host[:port][/?options]` (driver options such
    /// as `tls=true`, `maxPoolSize` or `serverSelectionTimeoutMS` go in the query); the password
    /// never prints.
    pub connection_uri: SecretUrl,
    /// Database of the collections read and written (and listed when `list` has no target).
    pub default_database: String,
    /// Collection read and written when no target is given.
    pub default_collection: String,
    /// Ralph's Python driver options (`document_class`, `tz_aware`): accepted for
    /// compatibility, without effect.
    pub client_options: MongoClientOptions,
    /// Text encoding of records; only UTF-8 (`utf8`) is supported.
    pub locale_encoding: String,
    /// Documents per cursor batch on read.
    pub read_chunk_size: usize,
    /// Documents per `insert_many` (or update, delete) request on write.
    pub write_chunk_size: usize,
    /// Seconds to wait for the server before giving up, unless the URI sets
    /// `serverSelectionTimeoutMS`.
    pub connect_timeout: f64,
}

impl Default for MongoSettings {
    fn default() -> Self {
        Self {
            connection_uri: SecretUrl::new("mongodb://localhost:27017/"),
            default_database: "statements".to_owned(),
            default_collection: "marsha".to_owned(),
            client_options: MongoClientOptions::default(),
            locale_encoding: "utf8".to_owned(),
            read_chunk_size: 500,
            write_chunk_size: 500,
            connect_timeout: 5.0,
        }
    }
}

/// Settings of the `mongo` LRS store (`backends.lrs.mongo`, `RALPH_BACKENDS__LRS__MONGO__…`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MongoLrsSettings {
    /// Connection URI, `mongodb://[user:password@]host[:port][/?options]`; the password never
    /// prints.
    pub connection_uri: SecretUrl,
    /// Database of the statement collections.
    pub default_database: String,
    /// Collection of the statements of users without a target; each target is a collection of
    /// its own.
    pub default_collection: String,
    /// Ralph's Python driver options (`document_class`, `tz_aware`): accepted for
    /// compatibility, without effect.
    pub client_options: MongoClientOptions,
    /// Text encoding of records; only UTF-8 (`utf8`) is supported.
    pub locale_encoding: String,
    /// Accepted for compatibility with Ralph (the store reads one page at a time).
    pub read_chunk_size: usize,
    /// Accepted for compatibility with Ralph (a statements batch is one request).
    pub write_chunk_size: usize,
    /// Seconds to wait for the server before giving up, unless the URI sets
    /// `serverSelectionTimeoutMS`.
    pub connect_timeout: f64,
}

impl Default for MongoLrsSettings {
    fn default() -> Self {
        let data = MongoSettings::default();
        Self {
            connection_uri: data.connection_uri,
            default_database: data.default_database,
            default_collection: data.default_collection,
            client_options: data.client_options,
            locale_encoding: data.locale_encoding,
            read_chunk_size: data.read_chunk_size,
            write_chunk_size: data.write_chunk_size,
            connect_timeout: data.connect_timeout,
        }
    }
}

impl From<MongoLrsSettings> for MongoSettings {
    fn from(s: MongoLrsSettings) -> Self {
        Self {
            connection_uri: s.connection_uri,
            default_database: s.default_database,
            default_collection: s.default_collection,
            client_options: s.client_options,
            locale_encoding: s.locale_encoding,
            read_chunk_size: s.read_chunk_size,
            write_chunk_size: s.write_chunk_size,
            connect_timeout: s.connect_timeout,
        }
    }
}

/// Checks a database name as Ralph does (`^[^\s.$/\\"\x00]+$`, the names MongoDB accepts).
pub fn check_database_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.len() > 63
        || name
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '.' | '$' | '/' | '\\' | '"' | '\0'));
    if bad {
        return Err(Error::invalid_input(format!(
            "invalid database name `{name}`: use 1 to 63 characters, none of them a space, \
             `.`, `$`, `/`, `\\`, `\"` or NUL"
        )));
    }
    Ok(())
}

/// Checks a collection name as Ralph does (`^(?!.*\.\.)[^.$\x00]+(?:\.[^.$\x00]+)*$`: no `$`,
/// no NUL, dots only between non-empty parts).
pub fn check_collection_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.contains(['$', '\0'])
        || name.split('.').any(str::is_empty)
        || name.starts_with("system.");
    if bad {
        return Err(Error::invalid_input(format!(
            "invalid collection name `{name}`: it must not be empty, contain `$` or NUL, \
             start with `system.`, or have an empty part between dots"
        )));
    }
    Ok(())
}

impl MongoSettings {
    /// Checks the names and the encoding, naming the setting at fault (under `section`).
    pub fn validate(&self, section: &str) -> Result<()> {
        let in_setting =
            |key: &str, err: Error| Error::config(format!("setting `{section}.{key}`: {err}"));
        check_database_name(&self.default_database)
            .map_err(|e| in_setting("default_database", e))?;
        check_collection_name(&self.default_collection)
            .map_err(|e| in_setting("default_collection", e))?;
        if !matches!(
            self.locale_encoding.to_ascii_lowercase().as_str(),
            "utf8" | "utf-8"
        ) {
            return Err(Error::config(format!(
                "setting `{section}.locale_encoding`: `{}` is not supported; use `utf8`",
                self.locale_encoding
            )));
        }
        if !(self.connect_timeout.is_finite() && self.connect_timeout > 0.0) {
            return Err(Error::config(format!(
                "setting `{section}.connect_timeout`: expected a positive number of seconds, found `{}`",
                self.connect_timeout
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_ralph_patterns() {
        for ok in ["statements", "a-b_c", "é"] {
            assert!(check_database_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "a.b", "a$", "a/b", "a\"b", "a\0"] {
            assert!(check_database_name(bad).is_err(), "{bad:?}");
        }
        for ok in ["marsha", "a.b", "a b", "x-y"] {
            assert!(check_collection_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a..b", ".a", "a.", "a$b", "a\0", "system.users"] {
            assert!(check_collection_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn invalid_settings_name_the_setting() {
        let settings = MongoSettings {
            default_collection: "a..b".into(),
            ..Default::default()
        };
        let err = settings
            .validate("backends.data.mongo")
            .expect_err("invalid collection");
        assert!(
            err.to_string()
                .contains("`backends.data.mongo.default_collection`"),
            "{err}"
        );
        assert!(
            MongoSettings::default()
                .validate("backends.data.mongo")
                .is_ok()
        );
    }
}
