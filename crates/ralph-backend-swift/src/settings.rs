//! Settings of the `swift` backend (`backends.data.swift`).

use ralph_core::settings::Secret;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The segment size used when none is set: 1 GiB, well below Swift's 5 GiB object limit.
pub const DEFAULT_SEGMENT_SIZE: u64 = 1024 * 1024 * 1024;

/// Settings of the `swift` backend, as in Ralph 5.1, plus `segment_size`.
///
/// The names of Ralph's older releases (`os_username`, `os_password`, ...) are accepted as
/// aliases in `ralph.toml`, in the environment (`RALPH_BACKENDS__DATA__SWIFT__OS_USERNAME`) and
/// on the command line (`--swift-os-username`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SwiftSettings {
    /// Identity endpoint: Keystone (`https://auth.cloud.ovh.net/v3`; `/v3` is added when
    /// missing) or, with `identity_api_version = 1`, a v1 auth URL such as Swift's tempauth
    /// `http://127.0.0.1:8080/auth/v1.0`.
    #[serde(alias = "os_auth_url")]
    #[schemars(extend("x-aliases" = ["os_auth_url"]))]
    pub auth_url: String,
    /// Container read, listed and written when the target names none.
    pub default_container: Option<String>,
    /// Authentication protocol: `3` for Keystone v3 password authentication, `1` for v1 auth
    /// (Swift's tempauth, `X-Auth-User` / `X-Auth-Key`).
    #[serde(alias = "os_identity_api_version")]
    #[schemars(extend("x-aliases" = ["os_identity_api_version"]))]
    pub identity_api_version: String,
    /// Text encoding of the objects read as JSON lines (only `utf8` is supported).
    pub locale_encoding: String,
    /// Storage URL to use instead of the one found in the Keystone catalog or given by v1 auth
    /// (`https://storage.example.org/v1/AUTH_project`).
    #[serde(alias = "os_storage_url")]
    #[schemars(extend("x-aliases" = ["os_storage_url"]))]
    pub object_storage_url: Option<String>,
    /// Password (Keystone) or key (v1 auth, `X-Auth-Key`).
    #[serde(alias = "os_password")]
    #[schemars(extend("x-aliases" = ["os_password"]))]
    pub password: Option<Secret>,
    /// Domain of the project the Keystone token is scoped to.
    #[serde(alias = "os_project_domain_name")]
    #[schemars(extend("x-aliases" = ["os_project_domain_name"]))]
    pub project_domain_name: String,
    /// Bytes per chunk when reading objects raw (chunks are yielded as the server sends them, up
    /// to this size).
    pub read_chunk_size: usize,
    /// Region of the `object-store` endpoint picked from the Keystone catalog; any region when
    /// unset.
    #[serde(alias = "os_region_name")]
    #[schemars(extend("x-aliases" = ["os_region_name"]))]
    pub region_name: Option<String>,
    /// Objects larger than this many bytes are uploaded as segments of this size into
    /// `{container}_segments`, joined by a Static Large Object manifest, so Swift's 5 GiB limit
    /// on a single object does not apply.
    pub segment_size: u64,
    /// Id of the project (tenant) the Keystone token is scoped to; wins over `tenant_name`.
    #[serde(alias = "os_tenant_id")]
    #[schemars(extend("x-aliases" = ["os_tenant_id"]))]
    pub tenant_id: Option<String>,
    /// Name of the project (tenant) the Keystone token is scoped to; with v1 auth, prefixed to
    /// a `username` that has no `account:` part.
    #[serde(alias = "os_tenant_name")]
    #[schemars(extend("x-aliases" = ["os_tenant_name"]))]
    pub tenant_name: Option<String>,
    /// Domain of the Keystone user.
    #[serde(alias = "os_user_domain_name")]
    #[schemars(extend("x-aliases" = ["os_user_domain_name"]))]
    pub user_domain_name: String,
    /// User name (Keystone) or `account:user` (v1 auth, `X-Auth-User`).
    #[serde(alias = "os_username")]
    #[schemars(extend("x-aliases" = ["os_username"]))]
    pub username: Option<String>,
    /// Ralph's write chunk size; kept for compatibility, unused: writes send their input as it
    /// comes, in segments of `segment_size` bytes at most.
    pub write_chunk_size: usize,
}

impl Default for SwiftSettings {
    fn default() -> Self {
        Self {
            auth_url: "https://auth.cloud.ovh.net/".to_owned(),
            default_container: None,
            identity_api_version: "3".to_owned(),
            locale_encoding: "utf8".to_owned(),
            object_storage_url: None,
            password: None,
            project_domain_name: "Default".to_owned(),
            read_chunk_size: 4096,
            region_name: None,
            segment_size: DEFAULT_SEGMENT_SIZE,
            tenant_id: None,
            tenant_name: None,
            user_domain_name: "Default".to_owned(),
            username: None,
            write_chunk_size: 4096,
        }
    }
}

/// How the backend authenticates, decided by `identity_api_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthVersion {
    /// v1 auth (tempauth, swauth): one GET with `X-Auth-User` and `X-Auth-Key`.
    V1,
    /// Keystone v3 password authentication.
    V3,
}

impl SwiftSettings {
    pub(crate) fn auth_version(&self) -> ralph_core::Result<AuthVersion> {
        match self
            .identity_api_version
            .trim()
            .trim_start_matches(['v', 'V'])
        {
            "1" | "1.0" => Ok(AuthVersion::V1),
            "3" | "3.0" => Ok(AuthVersion::V3),
            other => Err(ralph_core::Error::config(format!(
                "setting `backends.data.swift.identity_api_version`: `{other}` is not supported; \
                 expected `3` (Keystone v3) or `1` (v1 auth, tempauth)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ralph_core::settings::SettingsLoader;

    #[test]
    fn older_os_names_are_aliases() {
        let settings = SettingsLoader::new()
            .env([
                ("RALPH_BACKENDS__DATA__SWIFT__OS_USERNAME", "alice"),
                ("RALPH_BACKENDS__DATA__SWIFT__OS_PASSWORD", "111111"),
                ("RALPH_BACKENDS__DATA__SWIFT__OS_TENANT_NAME", "p"),
                ("RALPH_BACKENDS__DATA__SWIFT__SEGMENT_SIZE", "1000"),
            ])
            .load()
            .expect("load")
            .section::<SwiftSettings>("backends.data.swift")
            .expect("swift");
        assert_eq!(settings.username.as_deref(), Some("alice"));
        assert_eq!(
            settings.password.as_ref().map(Secret::expose),
            Some("111111")
        );
        assert_eq!(settings.tenant_name.as_deref(), Some("p"));
        assert_eq!(settings.segment_size, 1000);
        assert_eq!(settings.user_domain_name, "Default");
    }

    #[test]
    fn every_field_is_documented_and_aliases_are_known() {
        let fields = ralph_core::schema::fields_of::<SwiftSettings>();
        assert!(fields.iter().all(|f| !f.description.is_empty()));
        let username = fields
            .iter()
            .find(|f| f.name == "username")
            .expect("username");
        assert_eq!(username.alias_flags("swift"), ["--swift-os-username"]);
    }

    #[test]
    fn identity_versions() {
        let mut s = SwiftSettings::default();
        assert_eq!(s.auth_version().ok(), Some(AuthVersion::V3));
        s.identity_api_version = "1.0".into();
        assert_eq!(s.auth_version().ok(), Some(AuthVersion::V1));
        s.identity_api_version = "2".into();
        assert!(s.auth_version().is_err());
    }
}
