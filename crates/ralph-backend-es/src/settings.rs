//! Settings of the `es` backend (`backends.data.es`) and of the `es` LRS store
//! (`backends.lrs.es`), with Ralph 5.1's names and defaults.

use std::fmt;
use std::path::PathBuf;

use ralph_core::settings::{Secret, SecretUrl};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Settings of the `es` backend and of the `es` LRS store, as in Ralph 5.1, plus credentials for
/// secured clusters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EsSettings {
    /// Cluster nodes, comma-separated (`http://es1:9200,http://es2:9200`), used in turn;
    /// `user:password@` in a URL is used as basic credentials and never prints.
    pub hosts: Hosts,
    /// Index read and written when no target is given (the LRS store's index of users without
    /// a target).
    pub default_index: String,
    /// Report the status `ok` when the cluster health is `yellow` (by default only `green` is).
    pub allow_yellow_status: bool,
    /// TLS options of the client: `ca_certs` (a PEM file of the certificate authorities to trust)
    /// and `verify_certs` (`false` accepts any certificate).
    pub client_options: EsClientOptions,
    /// How long each point in time stays open between two pages of a read (`1m`, `30s`).
    pub point_in_time_keep_alive: String,
    /// Whether written records are visible to reads as soon as the write returns: `true` or
    /// `wait_for` refresh the index once the write is done; `false` or unset leave it to the
    /// cluster's refresh interval. The LRS store refreshes each insert with `wait_for` unless
    /// this is `false`, so that a statement is found once its POST is answered.
    pub refresh_after_write: Option<Refresh>,
    /// Hits per search request when reading.
    pub read_chunk_size: usize,
    /// Operations per `_bulk` request when writing.
    pub write_chunk_size: usize,
    /// Text encoding of the records (only `utf8` is supported).
    pub locale_encoding: String,
    /// User name for basic authentication (with `password`).
    pub username: Option<String>,
    /// Password for basic authentication (with `username`).
    pub password: Option<Secret>,
    /// API key, the base64 `id:key` form that Elasticsearch returns as `encoded`; used instead
    /// of basic credentials.
    pub api_key: Option<Secret>,
    /// Seconds to wait for an answer to each request before giving up.
    pub request_timeout: f64,
}

impl Default for EsSettings {
    fn default() -> Self {
        Self {
            hosts: Hosts(vec![SecretUrl::new("http://localhost:9200")]),
            default_index: "statements".to_owned(),
            allow_yellow_status: false,
            client_options: EsClientOptions::default(),
            point_in_time_keep_alive: "1m".to_owned(),
            refresh_after_write: None,
            read_chunk_size: 500,
            write_chunk_size: 500,
            locale_encoding: "utf8".to_owned(),
            username: None,
            password: None,
            api_key: None,
            request_timeout: 60.0,
        }
    }
}

/// TLS options of the Elasticsearch client (Ralph's `CLIENT_OPTIONS`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EsClientOptions {
    /// A PEM file of the certificate authorities to trust, besides the system ones.
    #[schemars(extend("format" = "path"))]
    pub ca_certs: Option<PathBuf>,
    /// Whether server certificates are checked (`false` accepts any certificate).
    pub verify_certs: Option<bool>,
}

/// The `refresh` parameter of bulk writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresh {
    /// `false`: no refresh.
    False,
    /// `true`: refresh the shards written to at once.
    True,
    /// `wait_for`: answer once a refresh made the writes visible.
    WaitFor,
}

impl Refresh {
    /// The value of the `refresh` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::False => "false",
            Self::True => "true",
            Self::WaitFor => "wait_for",
        }
    }
}

impl JsonSchema for Refresh {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Refresh".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "enum": ["false", "true", "wait_for"] })
    }
}

impl Serialize for Refresh {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Refresh {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Refresh;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("`true`, `false` or `wait_for`")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Refresh, E> {
                Ok(if v { Refresh::True } else { Refresh::False })
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Refresh, E> {
                match v.to_ascii_lowercase().as_str() {
                    "true" => Ok(Refresh::True),
                    "false" => Ok(Refresh::False),
                    "wait_for" => Ok(Refresh::WaitFor),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Cluster node URLs: a comma-separated string (environment, command line) or a list (TOML).
#[derive(Clone, PartialEq, Eq)]
pub struct Hosts(pub Vec<SecretUrl>);

impl fmt::Debug for Hosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.0).finish()
    }
}

impl fmt::Display for Hosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<String> = self.0.iter().map(SecretUrl::redacted).collect();
        f.write_str(&shown.join(","))
    }
}

impl Serialize for Hosts {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let hosts: Vec<&str> = self.0.iter().map(SecretUrl::expose).collect();
        serializer.serialize_str(&hosts.join(","))
    }
}

impl<'de> Deserialize<'de> for Hosts {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Clone, Copy)]
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Hosts;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("comma-separated URLs or a list of URLs")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Hosts, E> {
                Ok(Hosts(
                    v.split(',')
                        .map(str::trim)
                        .filter(|h| !h.is_empty())
                        .map(SecretUrl::new)
                        .collect(),
                ))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Hosts, A::Error> {
                let mut hosts = Vec::new();
                while let Some(host) = seq.next_element::<String>()? {
                    hosts.extend(self.visit_str::<A::Error>(&host)?.0);
                }
                Ok(Hosts(hosts))
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl JsonSchema for Hosts {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Hosts".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "array", "items": { "type": "string", "format": "url" } })
    }

    fn inline_schema() -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ralph_core::settings::SettingsLoader;

    fn load(env: &[(&str, &str)]) -> ralph_core::Result<EsSettings> {
        SettingsLoader::new()
            .env(env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .load()?
            .section("backends.data.es")
    }

    #[test]
    fn ralph_names_read_from_the_environment() {
        let s = load(&[
            (
                "RALPH_BACKENDS__DATA__ES__HOSTS",
                "http://a:9200, http://u:p4ss@b:9200",
            ),
            ("RALPH_BACKENDS__DATA__ES__ALLOW_YELLOW_STATUS", "true"),
            ("RALPH_BACKENDS__DATA__ES__REFRESH_AFTER_WRITE", "wait_for"),
            (
                "RALPH_BACKENDS__DATA__ES__CLIENT_OPTIONS__verify_certs",
                "false",
            ),
            (
                "RALPH_BACKENDS__DATA__ES__CLIENT_OPTIONS__ca_certs",
                "/etc/ca.pem",
            ),
            ("RALPH_BACKENDS__DATA__ES__WRITE_CHUNK_SIZE", "1000"),
            ("RALPH_BACKENDS__DATA__ES__PASSWORD", "111111"),
        ])
        .expect("settings");
        assert_eq!(s.hosts.0.len(), 2);
        assert_eq!(s.hosts.to_string(), "http://a:9200,http://u:***@b:9200");
        assert!(s.allow_yellow_status);
        assert_eq!(s.refresh_after_write, Some(Refresh::WaitFor));
        assert_eq!(s.client_options.verify_certs, Some(false));
        assert_eq!(
            s.client_options.ca_certs,
            Some(PathBuf::from("/etc/ca.pem"))
        );
        assert_eq!(s.write_chunk_size, 1000);
        assert_eq!(s.password.as_ref().map(Secret::expose), Some("111111"));
        assert_eq!(load(&[]).expect("defaults"), EsSettings::default());
        for (raw, refresh) in [("true", Refresh::True), ("false", Refresh::False)] {
            let s = load(&[("RALPH_BACKENDS__DATA__ES__REFRESH_AFTER_WRITE", raw)]).expect(raw);
            assert_eq!(s.refresh_after_write, Some(refresh));
        }
        let err = load(&[("RALPH_BACKENDS__DATA__ES__REFRESH_AFTER_WRITE", "later")])
            .expect_err("bad refresh");
        assert!(err.to_string().contains("refresh_after_write"), "{err}");
    }
}
