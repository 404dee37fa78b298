//! Settings of the LRS server, with Ralph 5.1's names (`RALPH_RUNSERVER_PORT`, ...).

use std::path::PathBuf;

use ralph_core::settings::{Secret, Settings};
use serde::{Deserialize, Serialize};

use crate::LrsError;
use crate::forwarding::XapiForwarding;

/// The LRS settings, read from the top level of ralph's settings (environment variables
/// `RALPH_<NAME>` in upper case, or `<name>` keys at the top of `ralph.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LrsConfig {
    /// Credentials file of basic auth, written by `ralph auth`; default `{app_dir}/auth.json`.
    pub auth_file: Option<PathBuf>,
    /// Seconds a successful basic-auth check is remembered.
    pub auth_cache_ttl: u64,
    /// Successful basic-auth checks remembered at most.
    pub auth_cache_max_size: usize,
    /// Enforce scopes: reads need `statements/read/mine` (only the user's own statements) or
    /// `statements/read`, writes need `statements/write`.
    pub lrs_restrict_by_scopes: bool,
    /// Users only see the statements whose authority is themselves (as `mine=true` forced).
    pub lrs_restrict_by_authority: bool,
    /// `POST /xAPI/statements` stores the valid statements of a batch and reports the others
    /// when the request sets neither `partialSuccess` nor `ignoreInvalid`.
    pub lrs_partial_success_default: bool,
    /// Default and maximum `limit` of `GET /xAPI/statements`.
    pub runserver_max_search_hits_count: usize,
    /// Largest request body accepted, in bytes; larger requests get 413.
    pub runserver_max_body_size: usize,
    /// Address `ralph runserver` listens on; `0.0.0.0` listens on all interfaces.
    pub runserver_host: String,
    /// Port `ralph runserver` listens on.
    pub runserver_port: u16,
    /// Statement store of `ralph runserver` when `-b` is not given.
    pub runserver_backend: String,
    /// Origins (`http(s)://host[:port]`, no path) whose web pages may call the LRS (CORS);
    /// empty: no CORS headers. A JSON list or a comma-separated string.
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub runserver_cors_allow_origins: Vec<String>,
    /// Other LRSs that receive a copy of the statements stored (`XAPI_FORWARDINGS`): a JSON list
    /// of `{url, is_active, basic_username, basic_password, max_retries, timeout}`.
    #[serde(deserialize_with = "crate::forwarding::forwardings_list")]
    pub xapi_forwardings: Vec<XapiForwarding>,
    /// How users authenticate: `basic` (the credentials file), `oidc` (bearer tokens of
    /// `RUNSERVER_AUTH_OIDC_ISSUER_URI`), or both; a JSON list or comma-separated.
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub runserver_auth_backends: Vec<String>,
    /// The OIDC issuer whose bearer tokens are accepted (its `iss`; discovery is read at
    /// `{issuer}/.well-known/openid-configuration`).
    pub runserver_auth_oidc_issuer_uri: Option<String>,
    /// The audience bearer tokens must name in `aud`; unset: not checked.
    pub runserver_auth_oidc_audience: Option<String>,
    /// Days statements are kept: those stored earlier are deleted at start and every hour
    /// (logged with counts); unset: kept forever.
    pub lrs_retention_days: Option<u32>,
    /// Secret key of pseudonyms: an agent becomes the account named by the hex
    /// HMAC-SHA256 of its IFI with this key (`ralph lrs pseudonymize`,
    /// `POST /admin/agents/pseudonymize`). Keep it: the same key gives the same pseudonyms.
    pub lrs_pseudonym_key: Option<Secret>,
    /// `homePage` of the accounts that replace pseudonymised agents.
    pub lrs_pseudonym_homepage: String,
}

/// The default `homePage` of pseudonyms (the `.invalid` domain never resolves).
pub const DEFAULT_PSEUDONYM_HOMEPAGE: &str = "https://ralph.invalid/pseudonyms";

fn list_or_comma_separated<'de, D>(deserializer: D) -> Result<Vec<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrString {
        List(Vec<String>),
        Text(String),
    }
    Ok(match ListOrString::deserialize(deserializer)? {
        ListOrString::List(items) => items,
        ListOrString::Text(text) => {
            let text = text.trim();
            // A JSON list given as one string (Ralph's form of the environment variable).
            if text.starts_with('[') {
                serde_json::from_str(text).map_err(serde::de::Error::custom)?
            } else {
                text.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
        }
    })
}

/// Checks a CORS origin as Ralph does: `http` or `https`, a host, an optional port, nothing else.
pub(crate) fn check_origin(origin: &str) -> Result<(), String> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("CORS origin `{origin}`: expected `http(s)://host[:port]`"))?;
    if rest.contains('@') {
        return Err(format!(
            "CORS origin `{origin}`: a user name or password is not allowed"
        ));
    }
    if rest.contains(['/', '?', '#']) {
        return Err(format!("CORS origin `{origin}`: the path must be empty"));
    }
    let (host, port) = match rest.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || rest.starts_with('[') => (host, Some(port)),
        _ => (rest, None),
    };
    if host.is_empty() || port.is_some_and(|p| p.parse::<u16>().is_err()) {
        return Err(format!(
            "CORS origin `{origin}`: expected `http(s)://host[:port]`"
        ));
    }
    Ok(())
}

impl Default for LrsConfig {
    fn default() -> Self {
        Self {
            auth_file: None,
            auth_cache_ttl: 3600,
            auth_cache_max_size: 100,
            lrs_restrict_by_scopes: false,
            lrs_restrict_by_authority: false,
            lrs_partial_success_default: false,
            runserver_max_search_hits_count: 100,
            runserver_max_body_size: 10 * 1024 * 1024,
            // Ralph listens on 0.0.0.0; we listen on loopback unless told otherwise.
            runserver_host: "127.0.0.1".to_owned(),
            runserver_port: 8100,
            runserver_backend: "sqlite".to_owned(),
            runserver_cors_allow_origins: Vec::new(),
            xapi_forwardings: Vec::new(),
            runserver_auth_backends: vec!["basic".to_owned()],
            runserver_auth_oidc_issuer_uri: None,
            runserver_auth_oidc_audience: None,
            lrs_retention_days: None,
            lrs_pseudonym_key: None,
            lrs_pseudonym_homepage: DEFAULT_PSEUDONYM_HOMEPAGE.to_owned(),
        }
    }
}

impl LrsConfig {
    /// Reads the LRS settings from `settings`, and resolves the auth file in the app directory.
    pub fn from_settings(settings: &Settings) -> Result<Self, LrsError> {
        let mut config: Self = settings
            .figment()
            .extract_lossy()
            .map_err(|e| LrsError::Config(ralph_core::Error::from(e).to_string()))?;
        if config.auth_file.is_none() {
            let global = settings.global().map_err(LrsError::from)?;
            config.auth_file = Some(global.app_dir.join("auth.json"));
        }
        if config.lrs_restrict_by_scopes && !config.lrs_restrict_by_authority {
            return Err(LrsError::Config(
                "`LRS_RESTRICT_BY_SCOPES` needs `LRS_RESTRICT_BY_AUTHORITY`: a user reading only \
                 its own statements is restricted by authority"
                    .to_owned(),
            ));
        }
        config.check_auth_backends()?;
        for forwarding in &config.xapi_forwardings {
            forwarding.check().map_err(LrsError::Config)?;
        }
        for origin in &config.runserver_cors_allow_origins {
            check_origin(origin).map_err(LrsError::Config)?;
        }
        Ok(config)
    }

    /// Whether basic auth is enabled.
    pub fn basic_enabled(&self) -> bool {
        self.runserver_auth_backends
            .iter()
            .any(|b| b.eq_ignore_ascii_case("basic"))
    }

    /// Whether OIDC bearer tokens are enabled.
    pub fn oidc_enabled(&self) -> bool {
        self.runserver_auth_backends
            .iter()
            .any(|b| b.eq_ignore_ascii_case("oidc"))
    }

    fn check_auth_backends(&self) -> Result<(), LrsError> {
        if self.runserver_auth_backends.is_empty() {
            return Err(LrsError::Config(
                "`RUNSERVER_AUTH_BACKENDS` cannot be empty; expected `basic`, `oidc` or both"
                    .to_owned(),
            ));
        }
        for backend in &self.runserver_auth_backends {
            if !matches!(backend.to_ascii_lowercase().as_str(), "basic" | "oidc") {
                return Err(LrsError::Config(format!(
                    "`RUNSERVER_AUTH_BACKENDS`: unknown backend `{backend}`; expected `basic` or `oidc`"
                )));
            }
        }
        if self.oidc_enabled() && self.runserver_auth_oidc_issuer_uri.is_none() {
            return Err(LrsError::Config(
                "`RUNSERVER_AUTH_BACKENDS` has `oidc`: set `RUNSERVER_AUTH_OIDC_ISSUER_URI`"
                    .to_owned(),
            ));
        }
        Ok(())
    }

    /// The credentials file path.
    pub fn auth_file_path(&self) -> PathBuf {
        self.auth_file
            .clone()
            .unwrap_or_else(|| PathBuf::from("auth.json"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ralph_core::settings::SettingsLoader;

    #[test]
    fn ralph_names_are_read_from_the_environment() {
        let settings = SettingsLoader::new()
            .env([
                ("RALPH_RUNSERVER_PORT", "9000"),
                ("RALPH_RUNSERVER_HOST", "0.0.0.0"),
                ("RALPH_AUTH_FILE", "/tmp/a.json"),
                ("RALPH_LRS_RESTRICT_BY_AUTHORITY", "true"),
                ("RALPH_LRS_PARTIAL_SUCCESS_DEFAULT", "true"),
                ("RALPH_BACKENDS__LRS__SQLITE__PATH", "/x"),
            ])
            .load()
            .expect("load");
        let config = LrsConfig::from_settings(&settings).expect("config");
        assert_eq!(config.runserver_port, 9000);
        assert_eq!(config.runserver_host, "0.0.0.0");
        assert_eq!(config.auth_file_path(), PathBuf::from("/tmp/a.json"));
        assert!(config.lrs_restrict_by_authority);
        assert!(config.lrs_partial_success_default);
        assert_eq!(config.lrs_retention_days, None);
        assert_eq!(config.lrs_pseudonym_homepage, DEFAULT_PSEUDONYM_HOMEPAGE);
    }

    #[test]
    fn privacy_settings_are_read_and_the_key_never_prints() {
        let settings = SettingsLoader::new()
            .env([
                ("RALPH_LRS_RETENTION_DAYS", "30"),
                ("RALPH_LRS_PSEUDONYM_KEY", "12345"),
                ("RALPH_LRS_PSEUDONYM_HOMEPAGE", "https://lrs.example.org/p"),
            ])
            .load()
            .expect("load");
        let config = LrsConfig::from_settings(&settings).expect("config");
        assert_eq!(config.lrs_retention_days, Some(30));
        assert_eq!(
            config.lrs_pseudonym_key.as_ref().map(Secret::expose),
            Some("12345")
        );
        assert_eq!(config.lrs_pseudonym_homepage, "https://lrs.example.org/p");
        assert!(!format!("{config:?}").contains("12345"));
    }

    #[test]
    fn cors_origins_are_a_list_or_comma_separated_and_checked() {
        for value in [
            r#"["https://a.example.org", "http://b.example.org:8080"]"#,
            "https://a.example.org, http://b.example.org:8080",
        ] {
            let settings = SettingsLoader::new()
                .env([("RALPH_RUNSERVER_CORS_ALLOW_ORIGINS", value)])
                .load()
                .expect("load");
            let config = LrsConfig::from_settings(&settings).expect("config");
            assert_eq!(
                config.runserver_cors_allow_origins,
                vec!["https://a.example.org", "http://b.example.org:8080"],
                "{value}"
            );
        }
        for bad in [
            "https://a.example.org/path",
            "ftp://a.example.org",
            "https://user:pw@a.example.org",
            "https://a.example.org:port",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
            let settings = SettingsLoader::new()
                .env([("RALPH_RUNSERVER_CORS_ALLOW_ORIGINS", bad)])
                .load()
                .expect("load");
            assert!(LrsConfig::from_settings(&settings).is_err(), "{bad}");
        }
        assert!(check_origin("http://[::1]:8080").is_ok());
    }

    #[test]
    fn forwardings_are_read_from_ralph_json() {
        let settings = SettingsLoader::new()
            .env([(
                "RALPH_XAPI_FORWARDINGS",
                r#"[{"url": "http://127.0.0.1:9/xAPI/statements", "is_active": true,
                     "basic_username": "u", "basic_password": "p", "max_retries": 2,
                     "timeout": 1.5}]"#,
            )])
            .load()
            .expect("load");
        let config = LrsConfig::from_settings(&settings).expect("config");
        assert_eq!(config.xapi_forwardings.len(), 1);
        let forwarding = &config.xapi_forwardings[0];
        assert_eq!(forwarding.url, "http://127.0.0.1:9/xAPI/statements");
        assert_eq!(forwarding.max_retries, 2);
        assert!((forwarding.timeout - 1.5).abs() < f64::EPSILON);
        assert_eq!(forwarding.basic_password.expose(), "p");
        assert!(
            !format!("{config:?}").contains("\"p\""),
            "the password never prints"
        );

        let settings = SettingsLoader::new()
            .env([(
                "RALPH_XAPI_FORWARDINGS",
                r#"[{"url": "ftp://x", "is_active": true, "basic_username": "u",
                     "basic_password": "p", "max_retries": 2, "timeout": 1}]"#,
            )])
            .load()
            .expect("load");
        assert!(LrsConfig::from_settings(&settings).is_err());
    }

    #[test]
    fn auth_backends_are_checked() {
        let load = |pairs: &[(&str, &str)]| {
            let settings = SettingsLoader::new()
                .env(pairs.iter().copied())
                .load()
                .expect("load");
            LrsConfig::from_settings(&settings)
        };
        let config = load(&[
            ("RALPH_RUNSERVER_AUTH_BACKENDS", "basic,oidc"),
            ("RALPH_RUNSERVER_AUTH_OIDC_ISSUER_URI", "http://127.0.0.1:9"),
            ("RALPH_RUNSERVER_AUTH_OIDC_AUDIENCE", "ralph"),
        ])
        .expect("config");
        assert!(config.basic_enabled() && config.oidc_enabled());
        assert_eq!(
            config.runserver_auth_oidc_audience.as_deref(),
            Some("ralph")
        );
        assert!(load(&[("RALPH_RUNSERVER_AUTH_BACKENDS", "oidc")]).is_err());
        assert!(load(&[("RALPH_RUNSERVER_AUTH_BACKENDS", "basic,ldap")]).is_err());
    }

    #[test]
    fn scopes_without_authority_are_refused() {
        let settings = SettingsLoader::new()
            .env([("RALPH_LRS_RESTRICT_BY_SCOPES", "true")])
            .load()
            .expect("load");
        assert!(LrsConfig::from_settings(&settings).is_err());
    }
}
