//! Basic authentication from Ralph's credentials file, and scopes.
//!
//! The file (default `{app_dir}/auth.json`, `RALPH_AUTH_FILE`) is a JSON list of
//! [`UserCredentials`], written by `ralph auth`: a username, a bcrypt hash, the user's xAPI
//! agent (used as the `authority` of what the user stores), scopes, and an optional target (the
//! user's own set of statements, for multitenancy).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::LrsError;

/// A scope, as Ralph 5.1 names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    /// Write statements.
    #[serde(rename = "statements/write")]
    StatementsWrite,
    /// Read the statements whose authority is the user.
    #[serde(rename = "statements/read/mine")]
    StatementsReadMine,
    /// Read every statement.
    #[serde(rename = "statements/read")]
    StatementsRead,
    /// Write state documents.
    #[serde(rename = "state/write")]
    StateWrite,
    /// Read state documents.
    #[serde(rename = "state/read")]
    StateRead,
    /// Define activities and agents.
    #[serde(rename = "define")]
    Define,
    /// Write profile documents.
    #[serde(rename = "profile/write")]
    ProfileWrite,
    /// Read profile documents.
    #[serde(rename = "profile/read")]
    ProfileRead,
    /// Set the `authority` of statements instead of getting the user's agent.
    #[serde(rename = "authority/write")]
    AuthorityWrite,
    /// Every read scope.
    #[serde(rename = "all/read")]
    AllRead,
    /// Every scope above (not `admin/delete`).
    #[serde(rename = "all")]
    All,
    /// Delete and pseudonymise statements (`/admin/...` routes); granted only by name, never
    /// by `all`.
    #[serde(rename = "admin/delete")]
    AdminDelete,
}

impl Scope {
    /// Every scope, in Ralph's order, then ours (`admin/delete`).
    pub const ALL: [Self; 12] = [
        Self::StatementsWrite,
        Self::StatementsReadMine,
        Self::StatementsRead,
        Self::StateWrite,
        Self::StateRead,
        Self::Define,
        Self::ProfileWrite,
        Self::ProfileRead,
        Self::AuthorityWrite,
        Self::AllRead,
        Self::All,
        Self::AdminDelete,
    ];

    /// The name in the credentials file (`statements/write`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StatementsWrite => "statements/write",
            Self::StatementsReadMine => "statements/read/mine",
            Self::StatementsRead => "statements/read",
            Self::StateWrite => "state/write",
            Self::StateRead => "state/read",
            Self::Define => "define",
            Self::ProfileWrite => "profile/write",
            Self::ProfileRead => "profile/read",
            Self::AuthorityWrite => "authority/write",
            Self::AllRead => "all/read",
            Self::All => "all",
            Self::AdminDelete => "admin/delete",
        }
    }

    /// The scope named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The scopes this one grants, itself included.
    pub fn expand(self) -> Vec<Self> {
        match self {
            Self::StatementsRead => vec![Self::StatementsRead, Self::StatementsReadMine],
            Self::AllRead => vec![
                Self::AllRead,
                Self::StatementsRead,
                Self::StatementsReadMine,
                Self::StateRead,
                Self::ProfileRead,
            ],
            // Deleting data is never implied: `admin/delete` is granted by name only.
            Self::All => Self::ALL
                .into_iter()
                .filter(|s| *s != Self::AdminDelete)
                .collect(),
            other => vec![other],
        }
    }
}

/// One entry of the credentials file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserCredentials {
    /// The xAPI agent of the user, with exactly one IFI.
    pub agent: Value,
    /// The scopes granted to the user.
    pub scopes: Vec<Scope>,
    /// The user's target (its own set of statements), for multitenancy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The bcrypt hash of the password.
    pub hash: String,
    /// The login.
    pub username: String,
}

/// An authenticated user.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthenticatedUser {
    /// The username.
    pub username: String,
    /// The user's agent: the `authority` of the statements it stores.
    pub agent: Value,
    /// The granted scopes, expanded (`all` gives every scope).
    pub scopes: BTreeSet<Scope>,
    /// The user's target, if any.
    pub target: Option<String>,
}

impl AuthenticatedUser {
    /// Whether the user has `scope` (directly or through a wider one).
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    fn of(credentials: &UserCredentials) -> Self {
        Self {
            username: credentials.username.clone(),
            agent: credentials.agent.clone(),
            scopes: credentials.scopes.iter().flat_map(|s| s.expand()).collect(),
            target: credentials.target.clone(),
        }
    }
}

/// Reads the credentials file; a missing file is `NotFound`.
pub fn read_credentials(path: &Path) -> ralph_core::Result<Vec<UserCredentials>> {
    let text = std::fs::read_to_string(path).map_err(|e| ralph_core::Error::io(path, e))?;
    let users: Vec<UserCredentials> = serde_json::from_str(&text).map_err(|e| {
        ralph_core::Error::config(format!(
            "credentials file `{}` is invalid: {e}",
            path.display()
        ))
    })?;
    let mut seen = BTreeSet::new();
    for user in &users {
        if !seen.insert(&user.username) {
            return Err(ralph_core::Error::config(format!(
                "credentials file `{}`: username `{}` appears twice",
                path.display(),
                user.username
            )));
        }
    }
    Ok(users)
}

/// Hashes `password` with bcrypt (cost 12, `$2b$`, as Ralph).
pub fn hash_password(password: &str) -> ralph_core::Result<String> {
    bcrypt::hash(password, bcrypt::DEFAULT_COST)
        .map_err(|e| ralph_core::Error::backend(format!("bcrypt: {e}")))
}

/// Appends `user` to the credentials file at `path` (creating it and its directory), refusing
/// a username already there.
pub fn add_user(path: &Path, user: UserCredentials) -> ralph_core::Result<()> {
    let mut users = match read_credentials(path) {
        Ok(users) => users,
        Err(err) if err.kind() == ralph_core::ErrorKind::NotFound => Vec::new(),
        Err(err) => return Err(err),
    };
    if users.iter().any(|u| u.username == user.username) {
        return Err(ralph_core::Error::new(
            ralph_core::ErrorKind::Conflict,
            format!(
                "you cannot create multiple credentials with the same username `{}`",
                user.username
            ),
        ));
    }
    users.push(user);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| ralph_core::Error::io(parent, e))?;
    }
    let text = serde_json::to_string_pretty(&users)
        .map_err(|e| ralph_core::Error::backend(e.to_string()))?;
    std::fs::write(path, text).map_err(|e| ralph_core::Error::io(path, e))
}

/// A bcrypt hash (cost 12) of a password nobody knows, checked against when the username is
/// unknown so that answering takes as long as for a known user.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        let secret = uuid::Uuid::new_v4().to_string();
        bcrypt::hash(secret, bcrypt::DEFAULT_COST).unwrap_or_default()
    })
}

type CacheKey = (String, String);

/// Checks basic credentials against the credentials file, remembering successful checks.
pub struct Authenticator {
    path: PathBuf,
    users: Mutex<Option<Arc<HashMap<String, UserCredentials>>>>,
    cache: Mutex<HashMap<CacheKey, (Instant, AuthenticatedUser)>>,
    ttl: Duration,
    max_cached: usize,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// An authenticator reading `path` (once, at the first request that finds it).
    pub fn new(path: impl Into<PathBuf>, ttl: Duration, max_cached: usize) -> Self {
        Self {
            path: path.into(),
            users: Mutex::new(None),
            cache: Mutex::new(HashMap::new()),
            ttl,
            max_cached,
        }
    }

    fn users(&self) -> Result<Arc<HashMap<String, UserCredentials>>, LrsError> {
        let mut users = self.users.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(users) = users.as_ref() {
            return Ok(users.clone());
        }
        let loaded = read_credentials(&self.path).map_err(|err| {
            if err.kind() == ralph_core::ErrorKind::NotFound {
                tracing::error!(target: "ralph", "credentials file `{}` not found", self.path.display());
                LrsError::Forbidden("credentials file not found".to_owned())
            } else {
                tracing::error!(target: "ralph", "{err}");
                LrsError::Internal(err.to_string())
            }
        })?;
        let map: Arc<HashMap<_, _>> = Arc::new(
            loaded
                .into_iter()
                .map(|u| (u.username.clone(), u))
                .collect(),
        );
        *users = Some(map.clone());
        Ok(map)
    }

    /// The user of an `Authorization` header value, or an error: 401 for missing or wrong
    /// credentials, 403 when there is no credentials file.
    pub async fn authenticate(
        &self,
        authorization: Option<&str>,
    ) -> Result<AuthenticatedUser, LrsError> {
        let (username, password) = authorization
            .and_then(parse_basic)
            .ok_or(LrsError::Unauthorized)?;
        let key = (username.clone(), password.clone());
        {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((at, user)) = cache.get(&key)
                && at.elapsed() < self.ttl
            {
                return Ok(user.clone());
            }
        }
        let users = self.users()?;
        let found = users.get(&username).cloned();
        let hash = found.as_ref().map(|u| u.hash.clone());
        // bcrypt takes ~0.2 s by design: keep it off the async threads.
        let verified = tokio::task::spawn_blocking(move || {
            bcrypt::verify(password, hash.as_deref().unwrap_or_else(|| dummy_hash()))
        })
        .await
        .map_err(|e| LrsError::Internal(format!("bcrypt task failed: {e}")))?
        .unwrap_or(false);
        match found {
            Some(credentials) if verified => {
                let user = AuthenticatedUser::of(&credentials);
                let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
                if cache.len() >= self.max_cached {
                    cache.retain(|_, (at, _)| at.elapsed() < self.ttl);
                    if cache.len() >= self.max_cached {
                        cache.clear();
                    }
                }
                if self.max_cached > 0 {
                    cache.insert(key, (Instant::now(), user.clone()));
                }
                Ok(user)
            }
            _ => Err(LrsError::Unauthorized),
        }
    }
}

/// The username and password of a `Basic` authorization header value.
pub fn parse_basic(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_expand_like_ralph() {
        assert!(Scope::All.expand().contains(&Scope::AuthorityWrite));
        assert!(!Scope::All.expand().contains(&Scope::AdminDelete));
        assert_eq!(Scope::parse("admin/delete"), Some(Scope::AdminDelete));
        assert!(Scope::AllRead.expand().contains(&Scope::StatementsReadMine));
        assert!(!Scope::AllRead.expand().contains(&Scope::StatementsWrite));
        assert_eq!(
            Scope::parse("statements/read/mine"),
            Some(Scope::StatementsReadMine)
        );
        assert_eq!(Scope::parse("nope"), None);
    }

    #[test]
    fn basic_headers_are_parsed() {
        assert_eq!(
            parse_basic("Basic YWxpY2U6czNjcmV0"),
            Some(("alice".into(), "s3cret".into()))
        );
        assert_eq!(parse_basic("Bearer x"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
    }

    #[test]
    fn the_dummy_hash_is_a_valid_bcrypt_hash() {
        assert!(matches!(bcrypt::verify("x", dummy_hash()), Ok(false)));
    }

    #[test]
    fn users_are_appended_and_duplicates_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/auth.json");
        let user = UserCredentials {
            agent: serde_json::json!({"mbox": "mailto:a@example.org"}),
            scopes: vec![Scope::All],
            target: None,
            hash: "$2b$04$abcdefghijklmnopqrstuu5Ue8l1bL0v0eYV7n0Zb2rE6d2k0Q6pK".into(),
            username: "alice".into(),
        };
        add_user(&path, user.clone()).expect("add");
        let err = add_user(&path, user).expect_err("duplicate");
        assert_eq!(err.kind(), ralph_core::ErrorKind::Conflict);
        assert_eq!(read_credentials(&path).expect("read").len(), 1);
        let text = std::fs::read_to_string(&path).expect("text");
        assert!(
            text.contains("\"scopes\": [\n      \"all\"\n    ]"),
            "{text}"
        );
    }
}
