//! The document resources: `/xAPI/activities/state`, `/xAPI/activities/profile` and
//! `/xAPI/agents/profile` (`GET`, `HEAD`, `PUT`, `POST`, `DELETE`), with ETag concurrency.
//!
//! - `GET` with a document id answers the document as stored, with its `Content-Type`, a quoted
//!   SHA-1 `ETag` and `Last-Modified`; without one, the JSON array of the ids in scope (`since`
//!   keeps those written after a time).
//! - `PUT` replaces the document. `If-Match` (an ETag or `*`) and `If-None-Match: *` make it
//!   conditional (412 when they do not hold). Without either header, a `PUT` over an existing
//!   profile document — and, for xAPI 2.0 clients, state document — is refused with 409, as the
//!   specification asks; xAPI 1.0.x clients must send one of them on every profile `PUT` (400).
//! - `POST` merges a JSON object into the stored JSON object (top-level properties of the new
//!   one win); anything else than two JSON objects is 400.
//! - `DELETE` deletes one document, or every state of an activity and agent (registration:
//!   optional) when no `stateId` is given.
//!
//! The store applies each precondition atomically with its write; a `POST` reads, merges and
//! writes with the read ETag as precondition, and starts again when another writer came first.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ralph_core::ErrorKind;
use ralph_core::lrs::{
    Document, DocumentKey, DocumentScope, Ifi, Precondition, is_json_content_type,
};
use serde_json::Value;

use crate::auth::{AuthenticatedUser, Scope};
use crate::statements::{
    Params, body, http_date, now, param, params, parse_json, require, time_param, uuid_param,
};
use crate::{LrsError, LrsState, VERSION_HEADER};

/// How many times a `POST` merge starts again when other writers change the document meanwhile.
const MERGE_ATTEMPTS: usize = 8;

/// One of the three document resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    State,
    ActivityProfile,
    AgentProfile,
}

impl Resource {
    fn id_param(self) -> &'static str {
        match self {
            Self::State => "stateId",
            Self::ActivityProfile | Self::AgentProfile => "profileId",
        }
    }

    fn allowed(self) -> &'static [&'static str] {
        match self {
            Self::State => &["activityId", "agent", "registration", "stateId", "since"],
            Self::ActivityProfile => &["activityId", "profileId", "since"],
            Self::AgentProfile => &["agent", "profileId", "since"],
        }
    }

    fn read_scope(self) -> Scope {
        match self {
            Self::State => Scope::StateRead,
            Self::ActivityProfile | Self::AgentProfile => Scope::ProfileRead,
        }
    }

    fn write_scope(self) -> Scope {
        match self {
            Self::State => Scope::StateWrite,
            Self::ActivityProfile | Self::AgentProfile => Scope::ProfileWrite,
        }
    }
}

/// Parses and checks the `agent` parameter: a JSON agent or identified group, valid as a
/// statement actor.
pub(crate) fn agent_param(text: &str) -> Result<(Ifi, Value), LrsError> {
    let agent: Value = serde_json::from_str(text)
        .map_err(|e| LrsError::BadRequest(format!("parameter `agent`: invalid JSON: {e}")))?;
    if !agent.is_object() {
        return Err(LrsError::BadRequest(
            "parameter `agent`: a JSON object is expected".to_owned(),
        ));
    }
    // The one place of the agent rules is statement validation: check it as an actor.
    let probe = serde_json::json!({
        "actor": agent,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
        "object": {"id": "http://example.org/activity"},
    });
    crate::validate_statement(&probe).map_err(|reason| {
        LrsError::BadRequest(format!(
            "parameter `agent`: {}",
            reason.replace("actor.", "").replace("actor: ", "")
        ))
    })?;
    let ifi = Ifi::of(&agent).ok_or_else(|| {
        LrsError::BadRequest(
            "parameter `agent`: one of mbox, mbox_sha1sum, openid, account is required".to_owned(),
        )
    })?;
    Ok((ifi, agent))
}

/// Checks an `activityId` parameter: an IRI.
pub(crate) fn activity_param(value: &str) -> Result<String, LrsError> {
    if ralph_models::xapi::formats::is_iri(value) {
        Ok(value.to_owned())
    } else {
        Err(LrsError::BadRequest(format!(
            "parameter `activityId`: `{value}` is not an IRI"
        )))
    }
}

fn required<'a>(pairs: &'a [(String, String)], key: &str) -> Result<&'a str, LrsError> {
    param(pairs, key).ok_or_else(|| LrsError::BadRequest(format!("parameter `{key}` is required")))
}

/// The scope and document id of a request.
struct Addressed {
    scope: DocumentScope,
    id: Option<String>,
    pairs: Vec<(String, String)>,
}

fn address(resource: Resource, query: Params) -> Result<Addressed, LrsError> {
    let pairs = params(query, resource.allowed())?;
    let scope = match resource {
        Resource::State => {
            let activity = activity_param(required(&pairs, "activityId")?)?;
            let (agent, _) = agent_param(required(&pairs, "agent")?)?;
            let registration = param(&pairs, "registration")
                .map(|r| uuid_param("registration", r))
                .transpose()?;
            DocumentScope::state(activity, agent, registration)
        }
        Resource::ActivityProfile => {
            DocumentScope::activity_profile(activity_param(required(&pairs, "activityId")?)?)
        }
        Resource::AgentProfile => {
            DocumentScope::agent_profile(agent_param(required(&pairs, "agent")?)?.0)
        }
    };
    let id = param(&pairs, resource.id_param()).map(str::to_owned);
    Ok(Addressed { scope, id, pairs })
}

/// An ETag from a header value: quotes and a weak `W/` prefix removed.
fn bare_etag(value: &str) -> String {
    let value = value.trim();
    let value = value.strip_prefix("W/").unwrap_or(value);
    value.trim_matches('"').to_ascii_lowercase()
}

/// The precondition of `If-Match` / `If-None-Match`, when either is given.
fn precondition(headers: &HeaderMap) -> Result<Option<Precondition>, LrsError> {
    let text = |name: header::HeaderName| -> Result<Option<String>, LrsError> {
        headers
            .get(&name)
            .map(|v| {
                v.to_str().map(str::to_owned).map_err(|_| {
                    LrsError::BadRequest(format!("header `{name}`: invalid characters"))
                })
            })
            .transpose()
    };
    if let Some(value) = text(header::IF_MATCH)? {
        let first = value.split(',').next().unwrap_or_default();
        return Ok(Some(if first.trim() == "*" {
            Precondition::Exists
        } else {
            Precondition::Matches(bare_etag(first))
        }));
    }
    if let Some(value) = text(header::IF_NONE_MATCH)? {
        if value.trim() == "*" {
            return Ok(Some(Precondition::Absent));
        }
        return Err(LrsError::BadRequest(
            "header `If-None-Match`: only `*` is supported on document resources".to_owned(),
        ));
    }
    Ok(None)
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| "application/octet-stream".to_owned(), str::to_owned)
}

fn is_xapi_2(headers: &HeaderMap) -> bool {
    headers
        .get(VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().starts_with('2'))
}

async fn user(
    state: &LrsState,
    headers: &HeaderMap,
    scope: Scope,
) -> Result<AuthenticatedUser, LrsError> {
    let user = state.authenticate(headers).await?;
    require(state, &user, scope)?;
    Ok(user)
}

fn document_response(document: Document) -> Response {
    let mut response = (StatusCode::OK, document.content).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&document.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Ok(value) = HeaderValue::from_str(&format!("\"{}\"", document.etag)) {
        headers.insert(header::ETAG, value);
    }
    headers.insert(header::LAST_MODIFIED, http_date(document.updated));
    response
}

async fn get(
    resource: Resource,
    state: Arc<LrsState>,
    headers: HeaderMap,
    query: Params,
) -> Result<Response, LrsError> {
    let addressed = address(resource, query)?;
    let user = user(&state, &headers, resource.read_scope()).await?;
    let target = user.target.as_deref();
    match &addressed.id {
        Some(id) => {
            if param(&addressed.pairs, "since").is_some() {
                return Err(LrsError::BadRequest(format!(
                    "parameter `since` cannot be given with `{}`",
                    resource.id_param()
                )));
            }
            let key = addressed.scope.document(id.clone());
            match state.store.document(target, &key).await? {
                Some(document) => Ok(document_response(document)),
                None => Err(LrsError::NotFound(format!(
                    "no document with {} `{id}`",
                    resource.id_param()
                ))),
            }
        }
        None => {
            let since = param(&addressed.pairs, "since")
                .map(|t| time_param("since", t))
                .transpose()?;
            let ids = state
                .store
                .document_ids(target, &addressed.scope, since)
                .await?;
            Ok(axum::Json(ids).into_response())
        }
    }
}

fn document_id(resource: Resource, addressed: &Addressed) -> Result<DocumentKey, LrsError> {
    let id = addressed.id.as_ref().ok_or_else(|| {
        LrsError::BadRequest(format!("parameter `{}` is required", resource.id_param()))
    })?;
    if param(&addressed.pairs, "since").is_some() {
        return Err(LrsError::BadRequest(
            "parameter `since` is only allowed on `GET`".to_owned(),
        ));
    }
    Ok(addressed.scope.document(id.clone()))
}

async fn put(
    resource: Resource,
    state: Arc<LrsState>,
    headers: HeaderMap,
    query: Params,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, LrsError> {
    let addressed = address(resource, query)?;
    let user = user(&state, &headers, resource.write_scope()).await?;
    let key = document_id(resource, &addressed)?;
    let raw = body(raw)?;
    let content_type = content_type(&headers);
    if is_json_content_type(&content_type) {
        parse_json(&raw)?;
    }
    let document = Document::new(raw, content_type, now());
    let requested = precondition(&headers)?;
    // xAPI 1.0.x asks profile writers to always say what they expect of the stored document.
    if requested.is_none() && resource != Resource::State && !is_xapi_2(&headers) {
        let exists = state
            .store
            .document(user.target.as_deref(), &key)
            .await?
            .is_some();
        return Err(if exists {
            overwrite_conflict(resource, &key)
        } else {
            LrsError::BadRequest(format!(
                "a `PUT` of a profile needs `If-None-Match: *` to create profile `{}`, or \
                 `If-Match` with the ETag of the document it replaces",
                key.id
            ))
        });
    }
    // Without a condition, a PUT must not silently overwrite what another client wrote.
    let guarded = resource != Resource::State || is_xapi_2(&headers);
    let (condition, implicit) = match requested {
        Some(condition) => (condition, false),
        None if guarded => (Precondition::Absent, true),
        None => (Precondition::Any, false),
    };
    match state
        .store
        .put_document(user.target.as_deref(), &key, document, &condition)
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(err) if implicit && err.kind() == ErrorKind::PreconditionFailed => {
            Err(overwrite_conflict(resource, &key))
        }
        Err(err) => Err(err.into()),
    }
}

fn overwrite_conflict(resource: Resource, key: &DocumentKey) -> LrsError {
    LrsError::Conflict(format!(
        "a document with {} `{}` exists: send `If-Match` with its ETag to replace it, or \
         `If-None-Match: *` to create it only when missing",
        resource.id_param(),
        key.id
    ))
}

fn json_object(content: &[u8], what: &str) -> Result<serde_json::Map<String, Value>, LrsError> {
    match serde_json::from_slice(content) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(LrsError::BadRequest(format!(
            "{what} is not a JSON object: `POST` merges JSON objects only"
        ))),
    }
}

async fn post(
    resource: Resource,
    state: Arc<LrsState>,
    headers: HeaderMap,
    query: Params,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, LrsError> {
    let addressed = address(resource, query)?;
    let user = user(&state, &headers, resource.write_scope()).await?;
    let key = document_id(resource, &addressed)?;
    let raw = body(raw)?;
    let content_type = content_type(&headers);
    if !is_json_content_type(&content_type) {
        return Err(LrsError::BadRequest(format!(
            "`POST` merges JSON documents: `Content-Type` must be `application/json`, found \
             `{content_type}`"
        )));
    }
    let incoming = json_object(&raw, "the request body")?;
    let requested = precondition(&headers)?;
    let target = user.target.as_deref();
    for _ in 0..MERGE_ATTEMPTS {
        let stored = state.store.document(target, &key).await?;
        let stored_etag = stored.as_ref().map(|d| d.etag.clone());
        if let Some(requested) = &requested
            && !requested.holds(stored_etag.as_deref())
        {
            return Err(LrsError::PreconditionFailed(format!(
                "the document with {} `{}` is not in the state `If-Match` / `If-None-Match` \
                 expects",
                resource.id_param(),
                key.id
            )));
        }
        let (content, condition) = match stored {
            None => (raw.clone(), Precondition::Absent),
            Some(stored) => {
                if !stored.is_json() {
                    return Err(LrsError::BadRequest(format!(
                        "the stored document has `Content-Type` `{}`: `POST` merges JSON \
                         documents only",
                        stored.content_type
                    )));
                }
                let mut merged = json_object(&stored.content, "the stored document")?;
                merged.extend(incoming.clone());
                let content = serde_json::to_vec(&Value::Object(merged))
                    .map_err(|e| LrsError::Internal(format!("merging documents: {e}")))?;
                (Bytes::from(content), Precondition::Matches(stored.etag))
            }
        };
        let document = Document::new(content, "application/json", now());
        match state
            .store
            .put_document(target, &key, document, &condition)
            .await
        {
            Ok(()) => return Ok(StatusCode::NO_CONTENT.into_response()),
            // Another writer changed the document between the read and the write: merge again.
            Err(err) if err.kind() == ErrorKind::PreconditionFailed => {}
            Err(err) => return Err(err.into()),
        }
    }
    Err(LrsError::Conflict(format!(
        "the document with {} `{}` kept changing while merging; try again",
        resource.id_param(),
        key.id
    )))
}

async fn delete(
    resource: Resource,
    state: Arc<LrsState>,
    headers: HeaderMap,
    query: Params,
) -> Result<Response, LrsError> {
    let addressed = address(resource, query)?;
    let user = user(&state, &headers, resource.write_scope()).await?;
    let target = user.target.as_deref();
    if param(&addressed.pairs, "since").is_some() {
        return Err(LrsError::BadRequest(
            "parameter `since` is only allowed on `GET`".to_owned(),
        ));
    }
    match (&addressed.id, resource) {
        (None, Resource::State) => {
            state
                .store
                .delete_documents(target, &addressed.scope)
                .await?;
        }
        _ => {
            let key = document_id(resource, &addressed)?;
            let condition = precondition(&headers)?.unwrap_or_default();
            state
                .store
                .delete_document(target, &key, &condition)
                .await?;
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

macro_rules! resource_handlers {
    ($module:ident, $resource:expr) => {
        pub(crate) mod $module {
            use super::*;

            pub(crate) async fn get(
                State(state): State<Arc<LrsState>>,
                headers: HeaderMap,
                query: Params,
            ) -> Result<Response, LrsError> {
                super::get($resource, state, headers, query).await
            }

            pub(crate) async fn put(
                State(state): State<Arc<LrsState>>,
                headers: HeaderMap,
                query: Params,
                raw: Result<Bytes, BytesRejection>,
            ) -> Result<Response, LrsError> {
                super::put($resource, state, headers, query, raw).await
            }

            pub(crate) async fn post(
                State(state): State<Arc<LrsState>>,
                headers: HeaderMap,
                query: Params,
                raw: Result<Bytes, BytesRejection>,
            ) -> Result<Response, LrsError> {
                super::post($resource, state, headers, query, raw).await
            }

            pub(crate) async fn delete(
                State(state): State<Arc<LrsState>>,
                headers: HeaderMap,
                query: Params,
            ) -> Result<Response, LrsError> {
                super::delete($resource, state, headers, query).await
            }
        }
    };
}

resource_handlers!(state_resource, Resource::State);
resource_handlers!(activity_profile, Resource::ActivityProfile);
resource_handlers!(agent_profile, Resource::AgentProfile);

/// The router of the three document resources.
pub(crate) fn routes() -> axum::Router<Arc<LrsState>> {
    use axum::routing::get as route;
    let mut router = axum::Router::new();
    for path in ["/xAPI/activities/state", "/xAPI/activities/state/"] {
        router = router.route(
            path,
            route(state_resource::get)
                .put(state_resource::put)
                .post(state_resource::post)
                .delete(state_resource::delete),
        );
    }
    for path in ["/xAPI/activities/profile", "/xAPI/activities/profile/"] {
        router = router.route(
            path,
            route(activity_profile::get)
                .put(activity_profile::put)
                .post(activity_profile::post)
                .delete(activity_profile::delete),
        );
    }
    for path in ["/xAPI/agents/profile", "/xAPI/agents/profile/"] {
        router = router.route(
            path,
            route(agent_profile::get)
                .put(agent_profile::put)
                .post(agent_profile::post)
                .delete(agent_profile::delete),
        );
    }
    router
}
