//! Settings: defaults, then `ralph.toml`, then `RALPH_…` environment variables, then CLI flags.
//!
//! Every layer is merged by [figment]; a backend reads its own section (`backends.data.fs`) into
//! its settings struct. Environment variables map to key paths by dropping the `RALPH_` prefix,
//! splitting on `__` and lowercasing: `RALPH_BACKENDS__DATA__FS__DEFAULT_DIRECTORY_PATH` is
//! `backends.data.fs.default_directory_path`. Values from the environment and the command line
//! stay strings until a setting asks for a number or a boolean, so a password like `111111` is
//! read as the string it is.

use std::fmt;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Format, Serialized, Toml};
use figment::value::{Dict, Map, Value};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The environment variable prefix of every setting.
pub const ENV_PREFIX: &str = "RALPH_";

/// A settings struct of a backend: deserialisable with defaults, and described by a JSON schema
/// whose field doc comments feed the CLI help, the environment variable docs and docs/backends.md.
pub trait BackendSettings:
    DeserializeOwned + Serialize + JsonSchema + Default + Send + Sync + 'static
{
}

impl<T> BackendSettings for T where
    T: DeserializeOwned + Serialize + JsonSchema + Default + Send + Sync + 'static
{
}

/// Settings that are not specific to a backend.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(default)]
pub struct GlobalSettings {
    /// Directory of ralph's own files (`history.json`, `auth.json`, `ralph.toml`).
    pub app_dir: PathBuf,
    /// The history file used by `list --new`; defaults to `{app_dir}/history.json`.
    pub history_file: Option<PathBuf>,
}

impl Default for GlobalSettings {
    fn default() -> Self {
        Self {
            app_dir: default_app_dir(|name| std::env::var_os(name)),
            history_file: None,
        }
    }
}

impl GlobalSettings {
    /// The history file path.
    pub fn history_path(&self) -> PathBuf {
        self.history_file
            .clone()
            .unwrap_or_else(|| self.app_dir.join("history.json"))
    }
}

/// The app directory: `RALPH_APP_DIR`, else `$XDG_CONFIG_HOME/ralph`, else `~/.config/ralph`.
fn default_app_dir(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> PathBuf {
    if let Some(dir) = var("RALPH_APP_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = var("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir).join("ralph");
    }
    var("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".config")
        .join("ralph")
}

/// Builds [`Settings`] from the four layers.
#[derive(Debug, Clone, Default)]
pub struct SettingsLoader {
    config_file: Option<PathBuf>,
    env: Option<Vec<(String, String)>>,
    overrides: Vec<(String, String)>,
}

impl SettingsLoader {
    /// A loader reading the process environment and the default config file.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads this TOML file instead of `{app_dir}/ralph.toml`; it must exist.
    pub fn config_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.config_file = Some(path.into());
        self
    }

    /// Uses these variables instead of the process environment (for tests and embedding).
    pub fn env<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.env = Some(
            vars.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        );
        self
    }

    /// Sets `key` (a dotted path such as `backends.data.fs.default_directory_path`) to a raw value,
    /// above every other layer: this is how CLI flags apply.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.overrides.push((key.into(), value.into()));
        self
    }

    /// Merges the layers.
    pub fn load(self) -> Result<Settings> {
        let env: Vec<(String, String)> = match self.env {
            Some(vars) => vars,
            None => std::env::vars()
                .filter(|(k, _)| k.starts_with(ENV_PREFIX))
                .collect(),
        };
        let lookup = |name: &str| {
            env.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| std::ffi::OsString::from(v))
                .or_else(|| {
                    // XDG_CONFIG_HOME and HOME are not ralph settings: always from the process.
                    (!name.starts_with(ENV_PREFIX))
                        .then(|| std::env::var_os(name))
                        .flatten()
                })
        };
        let mut figment = Figment::new();
        let config_file = match self.config_file {
            Some(path) => {
                if !path.is_file() {
                    return Err(Error::config(format!(
                        "config file `{}` does not exist",
                        path.display()
                    )));
                }
                Some(path)
            }
            None => Some(default_app_dir(lookup).join("ralph.toml")).filter(|p| p.is_file()),
        };
        if let Some(path) = &config_file {
            figment = figment.merge(Toml::file_exact(path));
        }
        figment = figment.merge(StringsProvider::from_env(
            "`RALPH_` environment variables",
            &env,
        ));
        let mut overrides = Dict::new();
        for (key, value) in &self.overrides {
            insert_path(&mut overrides, key.split('.'), value);
        }
        figment = figment.merge(Serialized::defaults(overrides).profile(figment::Profile::Default));
        Ok(Settings {
            figment,
            config_file,
        })
    }
}

/// Inserts `value` as a string at the nested key `path`.
fn insert_path<'a>(dict: &mut Dict, mut path: impl Iterator<Item = &'a str>, value: &str) {
    let Some(head) = path.next() else { return };
    let rest: Vec<&str> = path.collect();
    if rest.is_empty() {
        dict.insert(head.to_owned(), Value::from(value.to_owned()));
        return;
    }
    let entry = dict
        .entry(head.to_owned())
        .or_insert_with(|| Value::from(Dict::new()));
    if !matches!(entry, Value::Dict(..)) {
        *entry = Value::from(Dict::new());
    }
    if let Value::Dict(_, inner) = entry {
        insert_path(inner, rest.into_iter(), value);
    }
}

/// A provider of string values from `RALPH_…` variables, without figment's value parsing.
struct StringsProvider {
    name: String,
    dict: Dict,
}

impl StringsProvider {
    fn from_env(name: &str, vars: &[(String, String)]) -> Self {
        let mut dict = Dict::new();
        for (key, value) in vars {
            let Some(rest) = key.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            if rest.is_empty() {
                continue;
            }
            let lower = rest.to_ascii_lowercase();
            insert_path(&mut dict, lower.split("__"), value);
        }
        Self {
            name: name.to_owned(),
            dict,
        }
    }
}

impl figment::Provider for StringsProvider {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named(self.name.clone())
    }

    fn data(&self) -> std::result::Result<Map<figment::Profile, Dict>, figment::Error> {
        Ok(figment::Profile::Default.collect(self.dict.clone()))
    }
}

/// The merged settings.
#[derive(Debug, Clone)]
pub struct Settings {
    figment: Figment,
    config_file: Option<PathBuf>,
}

impl Settings {
    /// Settings from the defaults alone.
    pub fn defaults() -> Self {
        Self {
            figment: Figment::new(),
            config_file: None,
        }
    }

    /// The config file that was read, if any.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    /// The global settings.
    pub fn global(&self) -> Result<GlobalSettings> {
        // Backend sections are read by their backends; only the global keys are wanted here.
        #[derive(Deserialize)]
        struct Global {
            app_dir: Option<PathBuf>,
            history_file: Option<PathBuf>,
        }
        let found: Global = self.figment.extract_lossy().map_err(Error::from)?;
        let mut global = GlobalSettings::default();
        if let Some(dir) = found.app_dir {
            global.app_dir = dir;
        }
        global.history_file = found.history_file;
        Ok(global)
    }

    /// The settings struct stored under `section` (`backends.data.fs`), defaults filling the gaps.
    pub fn section<T: BackendSettings>(&self, section: &str) -> Result<T> {
        if !self.figment.contains(section) {
            return Ok(T::default());
        }
        self.figment
            .focus(section)
            .extract_lossy::<T>()
            .map_err(|err| {
                let described: Vec<String> = err
                    .into_iter()
                    .map(|e| describe_error_in(section, &e))
                    .collect();
                Error::config(described.join("; "))
            })
    }

    /// The underlying figment, for settings outside backends.
    pub fn figment(&self) -> &Figment {
        &self.figment
    }
}

fn describe_error_in(section: &str, err: &figment::Error) -> String {
    let mut key = section.to_owned();
    for p in &err.path {
        key.push('.');
        key.push_str(p);
    }
    describe(&key, err)
}

/// A one-line description of a figment error: the setting, what is wrong and where it came from.
pub fn describe_figment_error(err: &figment::Error) -> String {
    describe(&err.path.join("."), err)
}

fn describe(key: &str, err: &figment::Error) -> String {
    use figment::error::Kind;
    let what = match &err.kind {
        Kind::UnknownField(field, expected) => {
            let key = if key.is_empty() {
                field.clone()
            } else if key == field || key.ends_with(&format!(".{field}")) {
                key.to_owned()
            } else {
                format!("{key}.{field}")
            };
            return with_origin(
                format!(
                    "unknown setting `{key}`; expected one of {}",
                    expected
                        .iter()
                        .map(|e| format!("`{e}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                err,
            );
        }
        Kind::InvalidType(actual, expected) => format!("expected {expected}, found {actual}"),
        Kind::InvalidValue(actual, expected) => format!("expected {expected}, found {actual}"),
        Kind::MissingField(field) => {
            return with_origin(format!("missing setting `{key}.{field}`"), err);
        }
        other => other.to_string(),
    };
    with_origin(format!("setting `{key}`: {what}"), err)
}

fn with_origin(message: String, err: &figment::Error) -> String {
    match &err.metadata {
        Some(meta) => match &meta.source {
            Some(source) => format!("{message} (from {} {source})", meta.name),
            None => format!("{message} (from {})", meta.name),
        },
        None => message,
    }
}

/// A secret string (password, key): never printed by `Debug` or `Display`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl JsonSchema for Secret {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Secret".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "writeOnly": true })
    }

    fn inline_schema() -> bool {
        true
    }
}

/// A connection URL whose password (`scheme://user:password@host`) never prints.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct SecretUrl(String);

impl SecretUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }

    /// The full URL, password included, for the one place that connects.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The URL with its password replaced by `***`, for messages (in a libpq-style
    /// `key=value` string, the value of `password`).
    pub fn redacted(&self) -> String {
        let Some((scheme, rest)) = self.0.split_once("://").filter(|(s, _)| is_scheme(s)) else {
            let mut out = self.0.clone();
            for (key, value) in key_value_spans(&self.0).into_iter().rev() {
                if key == "password" {
                    out.replace_range(value, "***");
                }
            }
            return out;
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        match authority.rsplit_once('@') {
            Some((userinfo, host)) => {
                let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
                if userinfo.contains(':') {
                    format!("{scheme}://{user}:***@{host}{path}")
                } else {
                    self.0.clone()
                }
            }
            None => self.0.clone(),
        }
    }

    /// The `host:port` part, for connection errors (in a `key=value` string, from `host` or
    /// `hostaddr`, and `port`).
    pub fn host_port(&self) -> String {
        if !self.0.split_once("://").is_some_and(|(s, _)| is_scheme(s)) {
            let spans = key_value_spans(&self.0);
            let value = |name: &str| {
                spans
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, range)| self.0[range.clone()].trim_matches('\''))
            };
            let host = value("host")
                .or_else(|| value("hostaddr"))
                .unwrap_or_default();
            return match value("port") {
                Some(port) => format!("{host}:{port}"),
                None => host.to_owned(),
            };
        }
        let rest = self.0.split_once("://").map_or(self.0.as_str(), |(_, r)| r);
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        authority
            .rsplit_once('@')
            .map_or(authority, |(_, h)| h)
            .to_owned()
    }
}

/// Whether `text` is a URL scheme (`postgres`, `redis+tls`, ...).
fn is_scheme(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The pairs of a libpq-style `key=value` string (values bare or in single quotes, `\`
/// escaping): each key with the byte range of its value, quotes included.
fn key_value_spans(text: &str) -> Vec<(&str, std::ops::Range<usize>)> {
    // Every delimiter is ASCII, so each range ends on a character boundary.
    let bytes = text.as_bytes();
    let space = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_whitespace);
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while space(i) {
            i += 1;
        }
        let key_start = i;
        while i < bytes.len() && !space(i) && bytes[i] != b'=' {
            i += 1;
        }
        let key = &text[key_start..i];
        while space(i) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'=') {
            break;
        }
        i += 1;
        while space(i) {
            i += 1;
        }
        let start = i;
        let quoted = bytes.get(i) == Some(&b'\'');
        if quoted {
            i += 1;
        }
        while i < bytes.len() && !(if quoted { bytes[i] == b'\'' } else { space(i) }) {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        if quoted {
            i += 1;
        }
        i = i.min(bytes.len());
        pairs.push((key, start..i));
    }
    pairs
}

impl fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretUrl({})", self.redacted())
    }
}

impl fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl JsonSchema for SecretUrl {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SecretUrl".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "type": "string", "format": "url" })
    }

    fn inline_schema() -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Serialize, Deserialize, JsonSchema, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Demo {
        /// A directory.
        path: PathBuf,
        /// A size.
        chunk: u64,
        /// A flag.
        flag: bool,
        /// A password.
        password: Secret,
    }

    impl Default for Demo {
        fn default() -> Self {
            Self {
                path: ".".into(),
                chunk: 10,
                flag: false,
                password: Secret::new("x"),
            }
        }
    }

    fn toml(dir: &Path, body: &str) -> PathBuf {
        let path = dir.join("ralph.toml");
        std::fs::write(&path, body).expect("write toml");
        path
    }

    #[test]
    fn layers_apply_in_order_defaults_file_env_flags() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = toml(
            dir.path(),
            "[backends.data.demo]\npath = \"/from/file\"\nchunk = 5\n",
        );
        let load = |env: &[(&str, &str)], flags: &[(&str, &str)]| {
            let mut loader = SettingsLoader::new()
                .config_file(&file)
                .env(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            for (k, v) in flags {
                loader = loader.set(*k, *v);
            }
            loader
                .load()
                .expect("load")
                .section::<Demo>("backends.data.demo")
                .expect("section")
        };
        let from_file = load(&[], &[]);
        assert_eq!(
            (from_file.path.as_path(), from_file.chunk),
            (Path::new("/from/file"), 5)
        );
        assert!(!from_file.flag);

        let env = [
            ("RALPH_BACKENDS__DATA__DEMO__PATH", "/from/env"),
            ("RALPH_BACKENDS__DATA__DEMO__FLAG", "true"),
            ("RALPH_BACKENDS__DATA__DEMO__PASSWORD", "111111"),
        ];
        let from_env = load(&env, &[]);
        assert_eq!(from_env.path, PathBuf::from("/from/env"));
        assert!(from_env.flag);
        assert_eq!(from_env.chunk, 5);
        assert_eq!(from_env.password.expose(), "111111");

        let from_flag = load(
            &env,
            &[
                ("backends.data.demo.path", "/from/flag"),
                ("backends.data.demo.chunk", "7"),
            ],
        );
        assert_eq!(
            (from_flag.path.as_path(), from_flag.chunk),
            (Path::new("/from/flag"), 7)
        );
    }

    #[test]
    fn an_older_name_declared_as_alias_is_accepted() {
        #[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
        #[serde(default, deny_unknown_fields)]
        struct Old {
            /// A user.
            #[serde(alias = "os_username")]
            username: Option<String>,
        }
        let settings = SettingsLoader::new()
            .env([("RALPH_BACKENDS__DATA__OLD__OS_USERNAME", "alice")])
            .load()
            .expect("load");
        let old = settings.section::<Old>("backends.data.old").expect("alias");
        assert_eq!(old.username.as_deref(), Some("alice"));
    }

    #[test]
    fn an_absent_section_gives_the_defaults() {
        let settings = SettingsLoader::new()
            .env(Vec::<(String, String)>::new())
            .load()
            .expect("load");
        assert_eq!(
            settings
                .section::<Demo>("backends.data.demo")
                .expect("defaults"),
            Demo::default()
        );
    }

    #[test]
    fn unknown_and_mistyped_settings_are_named() {
        let settings = SettingsLoader::new()
            .env([("RALPH_BACKENDS__DATA__DEMO__NOPE", "1")])
            .load()
            .expect("load");
        let err = settings
            .section::<Demo>("backends.data.demo")
            .expect_err("unknown");
        assert!(
            err.to_string()
                .contains("unknown setting `backends.data.demo.nope`"),
            "{err}"
        );
        assert!(err.to_string().contains("`chunk`"), "{err}");

        let settings = SettingsLoader::new()
            .env([("RALPH_BACKENDS__DATA__DEMO__CHUNK", "ten")])
            .load()
            .expect("load");
        let err = settings
            .section::<Demo>("backends.data.demo")
            .expect_err("mistyped");
        assert!(
            err.to_string().contains("backends.data.demo.chunk"),
            "{err}"
        );
    }

    #[test]
    fn url_passwords_do_not_print() {
        let url = SecretUrl::new("redis://user:hunter2@10.0.0.1:6379/0");
        assert_eq!(url.to_string(), "redis://user:***@10.0.0.1:6379/0");
        assert_eq!(url.host_port(), "10.0.0.1:6379");
        assert_eq!(SecretUrl::new("redis://h:1").to_string(), "redis://h:1");
        assert_eq!(SecretUrl::new("postgres://p@h/db").host_port(), "h");
    }

    #[test]
    fn key_value_passwords_do_not_print() {
        let url = SecretUrl::new("host=db port=5433 password = 'a b\\'c' user=u");
        assert_eq!(url.to_string(), "host=db port=5433 password = *** user=u");
        assert_eq!(url.host_port(), "db:5433");
        let url = SecretUrl::new("hostaddr=127.0.0.1 password=p\\ w dbname=é");
        assert_eq!(url.to_string(), "hostaddr=127.0.0.1 password=*** dbname=é");
        assert_eq!(url.host_port(), "127.0.0.1");
        assert_eq!(SecretUrl::new("password=").to_string(), "password=***");
    }

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "*** Secret(***)");
    }

    #[test]
    fn app_dir_follows_ralph_then_xdg_then_home() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |n: &str| pairs.iter().find(|(k, _)| *k == n).map(|(_, v)| v.into())
        };
        assert_eq!(
            default_app_dir(vars(&[("RALPH_APP_DIR", "/r"), ("HOME", "/h")])),
            PathBuf::from("/r")
        );
        assert_eq!(
            default_app_dir(vars(&[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")])),
            PathBuf::from("/x/ralph")
        );
        assert_eq!(
            default_app_dir(vars(&[("HOME", "/h")])),
            PathBuf::from("/h/.config/ralph")
        );
    }
}
