//! OIDC bearer tokens (`RUNSERVER_AUTH_BACKENDS=oidc`): JWTs signed by the issuer, checked
//! against its published keys.
//!
//! The issuer's discovery document (`{issuer}/.well-known/openid-configuration`) gives the
//! JWKS URL and the signing algorithms; the keys are fetched once and cached, and fetched again
//! (at most every 10 seconds) when a token names a key id not in the cache, so key rotation
//! works. A token is accepted when its signature, `exp`, `iss` and, when
//! `RUNSERVER_AUTH_OIDC_AUDIENCE` is set, `aud` are valid. The user is the agent
//! `{"openid": "{iss}/{sub}"}`, with the scopes of the `scope` claim (unknown ones ignored) and
//! the `target` claim.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Mutex;

use crate::{AuthenticatedUser, LrsError, Scope};

/// Keys are not fetched again sooner than this after a fetch, whatever tokens arrive.
const REFETCH_AFTER: Duration = Duration::from_secs(10);
/// Time allowed to the issuer to answer.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
struct Discovery {
    jwks_uri: String,
    #[serde(default)]
    id_token_signing_alg_values_supported: Vec<String>,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    target: Option<String>,
}

struct Keys {
    fetched: Instant,
    algorithms: Vec<Algorithm>,
    set: JwkSet,
}

/// Checks bearer tokens of one OIDC issuer.
pub struct OidcAuthenticator {
    issuer: String,
    audience: Option<String>,
    client: reqwest::Client,
    keys: Mutex<Option<Keys>>,
}

impl std::fmt::Debug for OidcAuthenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcAuthenticator")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .finish_non_exhaustive()
    }
}

fn unauthorized(reason: impl std::fmt::Display) -> LrsError {
    tracing::info!(target: "ralph", "bearer token refused: {reason}");
    LrsError::Unauthorized
}

impl OidcAuthenticator {
    /// An authenticator of tokens issued by `issuer` (its URI, as in the tokens' `iss`), for
    /// `audience` when given.
    pub fn new(issuer: &str, audience: Option<String>) -> Result<Self, LrsError> {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .map_err(|e| LrsError::Config(format!("OIDC HTTP client: {e}")))?;
        Ok(Self {
            issuer: issuer.trim_end_matches('/').to_owned(),
            audience,
            client,
            keys: Mutex::new(None),
        })
    }

    async fn get_json<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, LrsError> {
        let response = self
            .client
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| LrsError::Unavailable(format!("OIDC issuer: `{url}`: {e}")))?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| LrsError::Unavailable(format!("OIDC issuer: `{url}`: {e}")))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| LrsError::Unavailable(format!("OIDC issuer: `{url}`: invalid JSON: {e}")))
    }

    async fn fetch(&self) -> Result<Keys, LrsError> {
        let discovery: Discovery = self
            .get_json(&format!("{}/.well-known/openid-configuration", self.issuer))
            .await?;
        let set: JwkSet = self.get_json(&discovery.jwks_uri).await?;
        let mut algorithms: Vec<Algorithm> = discovery
            .id_token_signing_alg_values_supported
            .iter()
            .filter_map(|a| a.parse().ok())
            .filter(|a| *a != Algorithm::HS256 && *a != Algorithm::HS384 && *a != Algorithm::HS512)
            .collect();
        if algorithms.is_empty() {
            algorithms.push(Algorithm::RS256);
        }
        Ok(Keys {
            fetched: Instant::now(),
            algorithms,
            set,
        })
    }

    /// The key named `kid` (or the only key when the token names none) and the allowed
    /// algorithms, fetching the keys when needed.
    async fn key(&self, kid: Option<&str>) -> Result<(DecodingKey, Vec<Algorithm>), LrsError> {
        let mut keys = self.keys.lock().await;
        let find = |keys: &Keys| -> Option<DecodingKey> {
            let jwk = match kid {
                Some(kid) => keys.set.find(kid),
                None if keys.set.keys.len() == 1 => keys.set.keys.first(),
                None => None,
            }?;
            DecodingKey::from_jwk(jwk).ok()
        };
        if let Some(current) = keys.as_ref()
            && let Some(key) = find(current)
        {
            return Ok((key, current.algorithms.clone()));
        }
        let stale = keys
            .as_ref()
            .is_none_or(|k| k.fetched.elapsed() >= REFETCH_AFTER);
        if stale {
            *keys = Some(self.fetch().await?);
        }
        let current = keys.as_ref().ok_or_else(|| unauthorized("no keys"))?;
        let key = find(current).ok_or_else(|| unauthorized("unknown signing key"))?;
        Ok((key, current.algorithms.clone()))
    }

    /// The user of a bearer token, or 401.
    pub async fn authenticate(&self, token: &str) -> Result<AuthenticatedUser, LrsError> {
        let header = jsonwebtoken::decode_header(token).map_err(unauthorized)?;
        let (key, algorithms) = self.key(header.kid.as_deref()).await?;
        if !algorithms.contains(&header.alg) {
            return Err(unauthorized(format!(
                "algorithm {:?} not allowed",
                header.alg
            )));
        }
        let mut validation = Validation::new(header.alg);
        validation.algorithms = algorithms;
        validation.set_issuer(&[&self.issuer, &format!("{}/", self.issuer)]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        match &self.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        let claims = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(unauthorized)?
            .claims;
        let mut scopes = BTreeSet::new();
        for name in claims
            .scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
        {
            if let Some(scope) = Scope::parse(name) {
                scopes.extend(scope.expand());
            }
        }
        let openid = format!("{}/{}", claims.iss.trim_end_matches('/'), claims.sub);
        Ok(AuthenticatedUser {
            username: openid.clone(),
            agent: json!({ "objectType": "Agent", "openid": openid }),
            scopes,
            target: claims.target,
        })
    }
}
