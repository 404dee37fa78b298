//! Setting fields described from a settings struct's JSON schema.
//!
//! The doc comment of each field is the single source of its `--help` line, its environment
//! variable documentation and its row in docs/backends.md.

use schemars::JsonSchema;
use serde_json::Value;

/// The shape of a setting's value, as the CLI parses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Text.
    String,
    /// A filesystem path.
    Path,
    /// A whole number.
    Integer,
    /// A decimal number.
    Number,
    /// `true` or `false`: a flag pair `--x` / `--no-x` on the command line.
    Boolean,
    /// A list, comma-separated on the command line.
    List,
    /// A map of options, `KEY=VALUE,KEY=VALUE` on the command line.
    Map,
}

impl FieldKind {
    /// The value placeholder shown in `--help`.
    pub fn value_name(self) -> &'static str {
        match self {
            Self::String => "TEXT",
            Self::Path => "PATH",
            Self::Integer => "INTEGER",
            Self::Number => "NUMBER",
            Self::Boolean => "BOOLEAN",
            Self::List => "LIST",
            Self::Map => "KEY=VALUE,...",
        }
    }
}

/// One setting of a backend.
#[derive(Debug, Clone, PartialEq)]
pub struct SettingField {
    /// The field name (`default_directory_path`).
    pub name: String,
    /// The value shape.
    pub kind: FieldKind,
    /// Whether the setting may be unset.
    pub optional: bool,
    /// Whether the value is a secret (shown as such in docs, never printed).
    pub secret: bool,
    /// The default value, when there is one.
    pub default: Option<Value>,
    /// The doc comment, empty when missing.
    pub description: String,
    /// Accepted values, for settings with a closed set.
    pub choices: Vec<String>,
    /// Older names also accepted, in the settings file, the environment and on the command line.
    ///
    /// Declared on a field with both `#[serde(alias = "old")]` (which makes the file and the
    /// environment accept it) and `#[schemars(extend("x-aliases" = ["old"]))]` (which makes the
    /// CLI and the docs know it).
    pub aliases: Vec<String>,
}

impl SettingField {
    /// The environment variable of this field in `section` (`backends.data.fs`).
    pub fn env_var(&self, section: &str) -> String {
        format!(
            "{}{}__{}",
            crate::settings::ENV_PREFIX,
            section.replace('.', "__").to_ascii_uppercase(),
            self.name.to_ascii_uppercase()
        )
    }

    /// The command-line flag of this field for `backend` (`--fs-default-directory-path`).
    pub fn flag(&self, backend: &str) -> String {
        format!(
            "--{}-{}",
            backend.replace('_', "-"),
            self.name.replace('_', "-")
        )
    }

    /// The environment variables of the older names of this field in `section`.
    pub fn alias_env_vars(&self, section: &str) -> Vec<String> {
        self.aliases
            .iter()
            .map(|alias| {
                format!(
                    "{}{}__{}",
                    crate::settings::ENV_PREFIX,
                    section.replace('.', "__").to_ascii_uppercase(),
                    alias.to_ascii_uppercase()
                )
            })
            .collect()
    }

    /// The command-line flags of the older names of this field for `backend`.
    pub fn alias_flags(&self, backend: &str) -> Vec<String> {
        self.aliases
            .iter()
            .map(|alias| {
                format!(
                    "--{}-{}",
                    backend.replace('_', "-"),
                    alias.replace('_', "-")
                )
            })
            .collect()
    }

    /// The first paragraph of the description on one line, for `--help` and the docs table.
    pub fn summary(&self) -> String {
        self.description
            .split("\n\n")
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The fields of a settings struct, in declaration order.
pub fn fields_of<T: JsonSchema>() -> Vec<SettingField> {
    let schema = schemars::SchemaGenerator::default().into_root_schema_for::<T>();
    let root = schema.as_value();
    let defs = root.get("$defs");
    let Some(Value::Object(props)) = root.get("properties") else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, prop)| {
            let resolved = resolve(prop, defs);
            let (kind, optional) = kind_of(&resolved, defs);
            let choices = resolved
                .get("enum")
                .and_then(Value::as_array)
                .map(|values| {
                    values
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            SettingField {
                name: name.clone(),
                kind,
                optional,
                secret: is_secret(&resolved, defs),
                default: prop.get("default").filter(|d| !d.is_null()).cloned(),
                description: prop
                    .get("description")
                    .or_else(|| resolved.get("description"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                choices,
                aliases: prop
                    .get("x-aliases")
                    .and_then(Value::as_array)
                    .map(|names| {
                        names
                            .iter()
                            .filter_map(|n| n.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect()
}

fn resolve(prop: &Value, defs: Option<&Value>) -> Value {
    if let Some(reference) = prop.get("$ref").and_then(Value::as_str) {
        let name = reference.trim_start_matches("#/$defs/");
        if let Some(def) = defs.and_then(|d| d.get(name)) {
            return def.clone();
        }
    }
    prop.clone()
}

fn is_secret(prop: &Value, defs: Option<&Value>) -> bool {
    if prop.get("writeOnly").and_then(Value::as_bool) == Some(true) {
        return true;
    }
    prop.get("anyOf")
        .and_then(Value::as_array)
        .is_some_and(|alts| alts.iter().any(|a| is_secret(&resolve(a, defs), defs)))
}

fn kind_of(prop: &Value, defs: Option<&Value>) -> (FieldKind, bool) {
    if let Some(alts) = prop.get("anyOf").and_then(Value::as_array) {
        let optional = alts
            .iter()
            .any(|a| a.get("type") == Some(&Value::from("null")));
        let inner = alts
            .iter()
            .find(|a| a.get("type") != Some(&Value::from("null")))
            .map(|a| resolve(a, defs))
            .unwrap_or(Value::Null);
        return (kind_of(&inner, defs).0, optional);
    }
    let (ty, optional) = match prop.get("type") {
        Some(Value::Array(types)) => (
            types
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("string")
                .to_owned(),
            types.iter().any(|t| t == "null"),
        ),
        Some(Value::String(t)) => (t.clone(), false),
        _ if prop.get("enum").is_some() => ("string".to_owned(), false),
        _ => ("object".to_owned(), false),
    };
    let kind = match ty.as_str() {
        "integer" => FieldKind::Integer,
        "number" => FieldKind::Number,
        "boolean" => FieldKind::Boolean,
        "array" => FieldKind::List,
        "object" => FieldKind::Map,
        _ if prop.get("format").and_then(Value::as_str) == Some("path") => FieldKind::Path,
        _ => FieldKind::String,
    };
    (kind, optional)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Secret;
    use serde::{Deserialize, Serialize};
    use std::path::PathBuf;

    #[derive(Serialize, Deserialize, JsonSchema)]
    #[serde(default)]
    struct Demo {
        /// Where files go.
        ///
        /// More words.
        #[schemars(extend("format" = "path"))]
        dir: PathBuf,
        /// Chunk size.
        chunk: usize,
        /// Optional name.
        #[serde(alias = "os_name")]
        #[schemars(extend("x-aliases" = ["os_name"]))]
        name: Option<String>,
        /// Password.
        password: Option<Secret>,
        /// Flag.
        yes: bool,
    }

    impl Default for Demo {
        fn default() -> Self {
            Self {
                dir: ".".into(),
                chunk: 4096,
                name: None,
                password: None,
                yes: false,
            }
        }
    }

    #[test]
    fn fields_carry_kind_default_description_and_secrecy() {
        let fields = fields_of::<Demo>();
        let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["dir", "chunk", "name", "password", "yes"]);
        assert_eq!(fields[0].kind, FieldKind::Path);
        assert_eq!(fields[0].summary(), "Where files go.");
        assert_eq!(fields[0].default, Some(Value::from(".")));
        assert_eq!(fields[1].kind, FieldKind::Integer);
        assert_eq!(
            (fields[2].kind, fields[2].optional),
            (FieldKind::String, true)
        );
        assert!(fields[3].secret && !fields[2].secret);
        assert_eq!(fields[4].kind, FieldKind::Boolean);
        assert_eq!(
            fields[0].env_var("backends.data.fs"),
            "RALPH_BACKENDS__DATA__FS__DIR"
        );
        assert_eq!(fields[1].flag("async_es"), "--async-es-chunk");
        assert_eq!(fields[2].aliases, ["os_name"]);
        assert_eq!(fields[2].alias_flags("swift"), ["--swift-os-name"]);
        assert_eq!(
            fields[2].alias_env_vars("backends.data.swift"),
            ["RALPH_BACKENDS__DATA__SWIFT__OS_NAME"]
        );
        assert!(fields[0].aliases.is_empty());
    }
}
