//! The statements resource: `POST`, `PUT`, `GET` (and `HEAD`) `/xAPI/statements`.

use std::collections::HashSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use std::collections::HashMap;

use ralph_core::lrs::{Attachment, Ifi, StatementQuery, sha256_hex, stored_at};
use serde_json::{Value, json};

use crate::auth::{AuthenticatedUser, Scope};
use crate::format::{Format, accept_languages, apply};
use crate::multipart::{self, Part};
use crate::signature;
use crate::validate::validate_statement;
use crate::{CONSISTENT_THROUGH_HEADER, LrsError, LrsState, VERSION_HEADER};

pub(crate) type Params = Result<Query<Vec<(String, String)>>, QueryRejection>;

pub(crate) fn params(query: Params, allowed: &[&str]) -> Result<Vec<(String, String)>, LrsError> {
    let Query(pairs) = query.map_err(|e| LrsError::BadRequest(e.body_text()))?;
    let mut seen = HashSet::new();
    for (key, _) in &pairs {
        if !allowed.contains(&key.as_str()) {
            return Err(LrsError::BadRequest(format!(
                "the following parameter is not allowed: `{key}`"
            )));
        }
        if !seen.insert(key.as_str()) {
            return Err(LrsError::BadRequest(format!(
                "parameter `{key}` is given more than once"
            )));
        }
    }
    Ok(pairs)
}

pub(crate) fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub(crate) fn bool_param(pairs: &[(String, String)], key: &str) -> Result<bool, LrsError> {
    match param(pairs, key) {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(LrsError::BadRequest(format!(
            "parameter `{key}`: expected `true` or `false`, found `{v}`"
        ))),
    }
}

pub(crate) fn uuid_param(key: &str, value: &str) -> Result<String, LrsError> {
    uuid::Uuid::try_parse(value)
        .map(|_| value.to_owned())
        .map_err(|_| LrsError::BadRequest(format!("parameter `{key}`: must be a UUID")))
}

pub(crate) fn time_param(key: &str, value: &str) -> Result<DateTime<Utc>, LrsError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            LrsError::BadRequest(format!(
                "parameter `{key}`: must be an ISO 8601 timestamp with a time zone"
            ))
        })
}

pub(crate) fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, LrsError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            LrsError::PayloadTooLarge("the request body is too large".to_owned())
        } else {
            LrsError::BadRequest(rejection.body_text())
        }
    })
}

/// A statements request body: the statements JSON and, in a `multipart/mixed` body, the parts
/// carrying attachment contents.
struct Incoming {
    json: Bytes,
    parts: Vec<Part>,
}

/// Splits a `POST`/`PUT` statements body by its `Content-Type`: `application/json` (or none)
/// is the statements; `multipart/mixed` is the statements then attachment parts.
fn incoming(headers: &HeaderMap, raw: Bytes) -> Result<Incoming, LrsError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(Incoming {
            json: raw,
            parts: Vec::new(),
        });
    };
    let value = value.to_str().unwrap_or_default();
    match multipart::media_type(value).as_str() {
        "application/json" => Ok(Incoming {
            json: raw,
            parts: Vec::new(),
        }),
        "multipart/mixed" => {
            let boundary = multipart::boundary(value).ok_or_else(|| {
                LrsError::BadRequest("`multipart/mixed` needs a `boundary` parameter".to_owned())
            })?;
            let mut parts = multipart::parse(&raw, &boundary).map_err(LrsError::BadRequest)?;
            if parts.is_empty() {
                return Err(LrsError::BadRequest(
                    "the multipart body has no statements part".to_owned(),
                ));
            }
            let first = parts.remove(0);
            if first.media_type().as_deref() != Some("application/json") {
                return Err(LrsError::BadRequest(
                    "the first part of a multipart body must be the statements, with \
                     `Content-Type: application/json`"
                        .to_owned(),
                ));
            }
            Ok(Incoming {
                json: first.body,
                parts,
            })
        }
        other => Err(LrsError::BadRequest(format!(
            "`Content-Type` must be `application/json` or `multipart/mixed`, found `{other}`"
        ))),
    }
}

/// Checks the attachments of `statements` (as received) against the multipart `parts` and
/// returns the contents to keep.
///
/// Every part carries `X-Experience-API-Hash`, the SHA-256 of its content, and is declared by an
/// attachment of a statement; every attachment without `fileUrl` has its part; a signature
/// attachment is `application/octet-stream` and its JWS matches its statement.
fn attachments_of(statements: &[Value], parts: &[Part]) -> Result<Vec<Attachment>, LrsError> {
    attachments_from(0, statements, parts)
}

/// [`attachments_of`] for `statements` that come at index `first` of the request.
fn attachments_from(
    first: usize,
    statements: &[Value],
    parts: &[Part],
) -> Result<Vec<Attachment>, LrsError> {
    let mut by_hash: HashMap<String, &Part> = HashMap::new();
    for (i, part) in parts.iter().enumerate() {
        let n = i + 2;
        let hash = part
            .header("x-experience-api-hash")
            .ok_or_else(|| {
                LrsError::BadRequest(format!(
                    "multipart part {n}: the `X-Experience-API-Hash` header is required"
                ))
            })?
            .to_ascii_lowercase();
        if let Some(encoding) = part.header("content-transfer-encoding")
            && !encoding.eq_ignore_ascii_case("binary")
        {
            return Err(LrsError::BadRequest(format!(
                "multipart part {n}: `Content-Transfer-Encoding` must be `binary`, found \
                 `{encoding}`"
            )));
        }
        if sha256_hex(&part.body) != hash {
            return Err(LrsError::BadRequest(format!(
                "multipart part {n}: the content does not match its `X-Experience-API-Hash` \
                 `{hash}`"
            )));
        }
        by_hash.insert(hash, part);
    }
    let mut declared = HashSet::new();
    let mut kept = Vec::new();
    for (i, statement) in statements.iter().enumerate() {
        let Some(list) = statement.get("attachments").and_then(Value::as_array) else {
            continue;
        };
        for (j, attachment) in list.iter().enumerate() {
            let at = format!("statements[{}].attachments[{j}]", first + i);
            let sha2 = attachment
                .get("sha2")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_ascii_lowercase();
            let part = by_hash.get(&sha2);
            let signature = attachment.get("usageType").and_then(Value::as_str)
                == Some(signature::SIGNATURE_USAGE);
            if signature {
                let content_type = attachment
                    .get("contentType")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                if multipart::media_type(content_type) != "application/octet-stream" {
                    return Err(LrsError::BadRequest(format!(
                        "{at}.contentType: a signature is `application/octet-stream`, found \
                         `{content_type}`"
                    )));
                }
                let Some(part) = part else {
                    return Err(LrsError::BadRequest(format!(
                        "{at}: the signature has no multipart part with sha2 `{sha2}`"
                    )));
                };
                signature::check(statement, &part.body)
                    .map_err(|reason| LrsError::BadRequest(format!("{at}: {reason}")))?;
            }
            match part {
                Some(part) if declared.insert(sha2.clone()) => {
                    let content_type = part
                        .header("content-type")
                        .or_else(|| attachment.get("contentType").and_then(Value::as_str))
                        .unwrap_or("application/octet-stream");
                    kept.push(Attachment {
                        sha2,
                        content_type: content_type.to_owned(),
                        content: part.body.clone(),
                    });
                }
                Some(_) => {}
                None if attachment.get("fileUrl").is_none() => {
                    return Err(LrsError::BadRequest(format!(
                        "{at}: an attachment without `fileUrl` needs its content in a \
                         `multipart/mixed` part with `X-Experience-API-Hash: {sha2}`"
                    )));
                }
                None => {}
            }
        }
    }
    if let Some(extra) = by_hash.keys().find(|h| !declared.contains(*h)) {
        return Err(LrsError::BadRequest(format!(
            "the multipart part with hash `{extra}` is not an attachment of any statement"
        )));
    }
    Ok(kept)
}

async fn keep_attachments(state: &LrsState, attachments: Vec<Attachment>) -> Result<(), LrsError> {
    for attachment in attachments {
        state.store.put_attachment(attachment).await?;
    }
    Ok(())
}

pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, LrsError> {
    serde_json::from_slice(bytes)
        .map_err(|e| LrsError::BadRequest(format!("invalid JSON body: {e}")))
}

pub(crate) fn require(
    state: &LrsState,
    user: &AuthenticatedUser,
    scope: Scope,
) -> Result<(), LrsError> {
    if state.config.lrs_restrict_by_scopes && !user.has(scope) {
        return Err(LrsError::Forbidden(format!(
            "access not authorized to scope: `{}`",
            scope.as_str()
        )));
    }
    Ok(())
}

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now()
}

pub(crate) fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, false)
}

pub(crate) fn http_date(at: DateTime<Utc>) -> HeaderValue {
    HeaderValue::from_str(&at.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

/// The statement `version` set when a statement has none: that of the request's header.
fn default_version(headers: &HeaderMap) -> &'static str {
    match headers.get(VERSION_HEADER).and_then(|v| v.to_str().ok()) {
        Some(v) if v.starts_with('2') => "2.0.0",
        _ => "1.0.0",
    }
}

/// Sets what the LRS owns: `id` when missing, `stored`, `timestamp` when missing, `authority`
/// (the user's agent, unless the user has `authority/write` and gave one), `version` when
/// missing; single `contextActivities` become arrays.
fn enrich(statement: &mut Value, user: &AuthenticatedUser, stored: &str, version: &str) {
    crate::validate::normalize_context_activities(statement);
    let Some(map) = statement.as_object_mut() else {
        return;
    };
    if !map.contains_key("id") {
        map.insert("id".into(), Value::String(uuid::Uuid::new_v4().to_string()));
    }
    map.insert("stored".into(), Value::String(stored.to_owned()));
    if !map.contains_key("timestamp") {
        map.insert("timestamp".into(), Value::String(stored.to_owned()));
    }
    if !(user.has(Scope::AuthorityWrite) && map.contains_key("authority")) {
        map.insert("authority".into(), user.agent.clone());
    }
    if !map.contains_key("version") {
        map.insert("version".into(), Value::String(version.to_owned()));
    }
}

/// Below this many statements, a batch is validated on one thread.
const PARALLEL_VALIDATION: usize = 512;

/// Validates `statements`; the error names the first invalid one.
///
/// Large batches (backfills) are split over the cores: validation is most of the CPU time of a
/// `POST`.
fn validated(statements: &[Value], batch: bool) -> Result<(), LrsError> {
    let error = |i: usize, reason: String| {
        LrsError::BadRequest(if batch {
            format!("statements[{i}].{reason}")
        } else {
            reason
        })
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(statements.len() / PARALLEL_VALIDATION)
        .max(1);
    if threads == 1 {
        for (i, statement) in statements.iter().enumerate() {
            validate_statement(statement).map_err(|reason| error(i, reason))?;
        }
        return Ok(());
    }
    let chunk = statements.len().div_ceil(threads);
    let first_invalid = std::thread::scope(|scope| {
        let workers: Vec<_> = statements
            .chunks(chunk)
            .enumerate()
            .map(|(n, part)| {
                scope.spawn(move || {
                    part.iter().enumerate().find_map(|(i, statement)| {
                        validate_statement(statement)
                            .err()
                            .map(|reason| (n * chunk + i, reason))
                    })
                })
            })
            .collect();
        // Chunks are in order: the first chunk with an invalid statement has the first one.
        workers
            .into_iter()
            .filter_map(|worker| worker.join().ok().flatten())
            .next()
    });
    match first_invalid {
        Some((i, reason)) => Err(error(i, reason)),
        None => Ok(()),
    }
}

fn ids_response(ids: Vec<String>) -> Response {
    if ids.is_empty() {
        StatusCode::NO_CONTENT.into_response()
    } else {
        (StatusCode::OK, axum::Json(ids)).into_response()
    }
}

/// Whether a `POST` stores what it can and reports the rest: `ignoreInvalid=true`, else
/// `partialSuccess`, else `LRS_PARTIAL_SUCCESS_DEFAULT` (Ralph 5.1's precedence).
fn partial_success(state: &LrsState, pairs: &[(String, String)]) -> Result<bool, LrsError> {
    if bool_param(pairs, "ignoreInvalid")? {
        return Ok(true);
    }
    if param(pairs, "partialSuccess").is_some() {
        return bool_param(pairs, "partialSuccess");
    }
    Ok(state.config.lrs_partial_success_default)
}

/// `POST /xAPI/statements`: one statement or a list; 200 with the ids newly stored, 204 when
/// all were already stored identically, 409 when an id is stored with a different content.
/// With partial success, 200 with a report of what was stored and what was rejected, by index.
pub(crate) async fn post(
    State(state): State<Arc<LrsState>>,
    headers: HeaderMap,
    query: Params,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, LrsError> {
    let pairs = params(query, &["partialSuccess", "ignoreInvalid"])?;
    let user = state.authenticate(&headers).await?;
    require(&state, &user, Scope::StatementsWrite)?;
    let partial = partial_success(&state, &pairs)?;
    let incoming = incoming(&headers, body(raw)?)?;
    if !partial && streamable(&state, &incoming) {
        return post_in_chunks(&state, &headers, user, incoming.json).await;
    }
    let (statements, batch) = match parse_json(&incoming.json)? {
        Value::Array(items) => (items, true),
        single @ Value::Object(_) => (vec![single], false),
        _ if partial => (vec![Value::Null], false),
        _ => {
            return Err(LrsError::BadRequest(
                "the body must be a statement or a list of statements".to_owned(),
            ));
        }
    };
    if partial {
        keep_attachments(&state, attachments_of(&statements, &incoming.parts)?).await?;
        return post_partial(&state, &headers, &user, statements).await;
    }
    if statements.is_empty() {
        return Err(LrsError::BadRequest(
            "the list of statements cannot be empty".to_owned(),
        ));
    }
    let statements =
        tokio::task::spawn_blocking(move || validated(&statements, batch).map(|()| statements))
            .await
            .map_err(|e| LrsError::Internal(format!("validation task failed: {e}")))??;
    let mut statements = statements;
    let attachments = attachments_of(&statements, &incoming.parts)?;
    let stored = rfc3339(now());
    let version = default_version(&headers);
    let mut ids = HashSet::new();
    for statement in &mut statements {
        enrich(statement, &user, &stored, version);
        let id = statement["id"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !ids.insert(id.clone()) {
            return Err(LrsError::BadRequest(format!(
                "statement id `{id}` appears more than once in the request"
            )));
        }
    }
    keep_attachments(&state, attachments).await?;
    let copy = state.forwarder.is_active().then(|| statements.clone());
    let inserted = state
        .store
        .insert(user.target.as_deref(), statements)
        .await?;
    if let Some(copy) = copy {
        state.forwarder.forward(newly_stored(copy, &inserted));
    }
    Ok(ids_response(inserted))
}

/// Statements per chunk handed to the store by [`post_in_chunks`]. Small chunks keep what is in
/// flight between the threads (a few hundred statements) in the processor's caches, which the
/// writer shares: 100 ingested faster than 500 and 2,000 in the sqlite benchmark.
const CHUNK: usize = 100;

/// Whether a `POST` body goes to the store chunk by chunk ([`post_in_chunks`]): a JSON array
/// sent without attachment parts, to an LRS that forwards nothing (forwarding keeps a copy of
/// the batch).
fn streamable(state: &LrsState, incoming: &Incoming) -> bool {
    incoming.parts.is_empty()
        && !state.forwarder.is_active()
        && incoming
            .json
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'[')
}

/// The `POST` of a list of statements ([`streamable`]): one thread parses, validates and
/// enriches the statements in chunks while the store writes the chunks before
/// ([`LrsStore::insert_chunks`](ralph_core::lrs::LrsStore::insert_chunks)), all in one batch.
///
/// The answers are those of the general path, in its order: invalid JSON; an empty list; the
/// first invalid statement; the first attachment without its part; the first id sent twice;
/// then what the store refuses. Nothing is stored unless all is well.
async fn post_in_chunks(
    state: &LrsState,
    headers: &HeaderMap,
    user: AuthenticatedUser,
    body: Bytes,
) -> Result<Response, LrsError> {
    let stored = rfc3339(now());
    let version = default_version(headers);
    let target = user.target.clone();
    let (sender, chunks) = tokio::sync::mpsc::channel(2);
    let producer = tokio::task::spawn_blocking(move || {
        let chunks = Chunks {
            user: &user,
            stored: &stored,
            version,
        };
        produce_or_abort(&sender, |sender| chunks.produce(&body, sender));
    });
    let inserted = state.store.insert_chunks(target.as_deref(), chunks).await;
    producer
        .await
        .map_err(|e| LrsError::Internal(format!("validation task failed: {e}")))?;
    Ok(ids_response(inserted?))
}

/// Runs `produce`, which sends the chunks of a batch, and makes sure the batch is stored only
/// when it returned `Ok`: its error, or a panic, is sent as the last chunk.
///
/// The store commits a batch when its sender is dropped; a producer that stopped half-way
/// without saying so would have the statements sent so far stored.
fn produce_or_abort(
    sender: &ChunkSender,
    produce: impl FnOnce(&ChunkSender) -> Result<(), String>,
) {
    let err = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| produce(sender))) {
        Ok(Ok(())) => return,
        Ok(Err(message)) => ralph_core::Error::invalid_input(message),
        Err(_) => ralph_core::Error::backend("the validation of the batch stopped unexpectedly"),
    };
    // The store returns this error; it is gone only if it failed first.
    let _ = sender.blocking_send(Err(err));
}

/// What [`post_in_chunks`] sets on each statement.
struct Chunks<'a> {
    user: &'a AuthenticatedUser,
    stored: &'a str,
    version: &'static str,
}

type ChunkSender = tokio::sync::mpsc::Sender<ralph_core::Result<Vec<Value>>>;

impl Chunks<'_> {
    /// Sends the statements of the JSON array `body` to `sender` in chunks, ready to store;
    /// the error (a 400's text) stops the batch. Stops early when the store is gone.
    fn produce(&self, body: &[u8], sender: &ChunkSender) -> Result<(), String> {
        let bad_json = |e: serde_json::Error| format!("invalid JSON body: {e}");
        let items: Vec<&serde_json::value::RawValue> =
            serde_json::from_slice(body).map_err(bad_json)?;
        if items.is_empty() {
            return Err("the list of statements cannot be empty".to_owned());
        }
        let mut ids = HashSet::with_capacity(items.len());
        // Refusals that the general path reports only after every statement is valid.
        let mut attachment_error = None;
        let mut duplicate_error = None;
        let mut chunk = Vec::with_capacity(CHUNK);
        for (i, item) in items.into_iter().enumerate() {
            let mut statement: Value = serde_json::from_str(item.get()).map_err(bad_json)?;
            validate_statement(&statement).map_err(|reason| format!("statements[{i}].{reason}"))?;
            if attachment_error.is_none()
                && let Err(err) = attachments_from(i, std::slice::from_ref(&statement), &[])
            {
                attachment_error = Some(err.to_string());
            }
            if duplicate_error.is_none()
                && let Some(id) = statement.get("id").and_then(Value::as_str)
            {
                let id = id.to_ascii_lowercase();
                if let Some(id) = ids.replace(id) {
                    duplicate_error = Some(format!(
                        "statement id `{id}` appears more than once in the request"
                    ));
                }
            }
            if attachment_error.is_some() || duplicate_error.is_some() {
                // Nothing more is sent; the rest is only validated.
                continue;
            }
            enrich(&mut statement, self.user, self.stored, self.version);
            chunk.push(statement);
            if chunk.len() == CHUNK
                && sender
                    .blocking_send(Ok(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK))))
                    .is_err()
            {
                return Ok(());
            }
        }
        if let Some(err) = attachment_error.or(duplicate_error) {
            return Err(err);
        }
        if !chunk.is_empty() {
            let _ = sender.blocking_send(Ok(chunk));
        }
        Ok(())
    }
}

/// The statements of `statements` whose ids are in `inserted`, for forwarding.
fn newly_stored(statements: Vec<Value>, inserted: &[String]) -> Vec<Value> {
    let inserted: HashSet<&str> = inserted.iter().map(String::as_str).collect();
    statements
        .into_iter()
        .filter(|s| {
            s.get("id")
                .and_then(Value::as_str)
                .is_some_and(|id| inserted.contains(id))
        })
        .collect()
}

/// One rejected statement of a partial-success `POST`.
struct Rejected {
    index: usize,
    reason: String,
    conflict: bool,
}

/// The partial-success `POST` (Ralph 5.1's `partialSuccess`): valid statements are stored, each
/// invalid, duplicated, conflicting or refused one is reported with its index in the body.
///
/// The valid statements are first stored as one batch; when the store refuses the batch (a
/// conflict, a voided voiding statement), they are stored one at a time so each refusal is
/// reported on its own statement.
async fn post_partial(
    state: &LrsState,
    headers: &HeaderMap,
    user: &AuthenticatedUser,
    items: Vec<Value>,
) -> Result<Response, LrsError> {
    let stored = rfc3339(now());
    let version = default_version(headers);
    let target = user.target.as_deref();
    let empty = items.is_empty();
    let mut rejected = Vec::new();
    let mut valid: Vec<(usize, Value)> = Vec::new();
    let mut ids = HashSet::new();
    for (index, mut statement) in items.into_iter().enumerate() {
        let reason = if !statement.is_object() {
            Some("a statement must be a JSON object".to_owned())
        } else {
            validate_statement(&statement).err()
        };
        if let Some(reason) = reason {
            rejected.push(Rejected {
                index,
                reason,
                conflict: false,
            });
            continue;
        }
        enrich(&mut statement, user, &stored, version);
        let id = statement["id"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !ids.insert(id.clone()) {
            rejected.push(Rejected {
                index,
                reason: format!("statement id `{id}` appears more than once in the request"),
                conflict: false,
            });
            continue;
        }
        valid.push((index, statement));
    }

    let copy = state
        .forwarder
        .is_active()
        .then(|| valid.iter().map(|(_, s)| s.clone()).collect::<Vec<_>>());
    let mut inserted = Vec::new();
    if !valid.is_empty() {
        let batch: Vec<Value> = valid.iter().map(|(_, s)| s.clone()).collect();
        match state.store.insert(target, batch).await {
            Ok(ids) => inserted = ids,
            Err(err)
                if matches!(
                    err.kind(),
                    ralph_core::ErrorKind::Conflict | ralph_core::ErrorKind::InvalidInput
                ) =>
            {
                for (index, statement) in valid {
                    match state.store.insert(target, vec![statement]).await {
                        Ok(ids) => inserted.extend(ids),
                        Err(err) => match err.kind() {
                            ralph_core::ErrorKind::Conflict
                            | ralph_core::ErrorKind::InvalidInput => rejected.push(Rejected {
                                index,
                                conflict: err.kind() == ralph_core::ErrorKind::Conflict,
                                reason: err.message().to_owned(),
                            }),
                            _ => return Err(err.into()),
                        },
                    }
                }
            }
            Err(err) => return Err(err.into()),
        }
    }
    if let Some(copy) = copy {
        state.forwarder.forward(newly_stored(copy, &inserted));
    }
    rejected.sort_by_key(|r| r.index);
    // Nothing stored because of refusals is a failure; statements all already stored are not.
    let status = if empty {
        StatusCode::BAD_REQUEST
    } else if !inserted.is_empty() || rejected.is_empty() {
        StatusCode::OK
    } else if rejected.iter().any(|r| r.conflict) {
        StatusCode::CONFLICT
    } else {
        StatusCode::BAD_REQUEST
    };
    let errors: Vec<Value> = rejected
        .iter()
        .map(|r| json!({ "index": r.index, "reason": r.reason }))
        .collect();
    let report = json!({
        "inserted": inserted.len(),
        "rejected": rejected.len(),
        "ids": inserted,
        "errors": errors,
    });
    Ok((status, axum::Json(report)).into_response())
}

/// `PUT /xAPI/statements?statementId=…`: one statement with that id; 204 when stored or already
/// stored identically, 409 when a different statement has the id.
pub(crate) async fn put(
    State(state): State<Arc<LrsState>>,
    headers: HeaderMap,
    query: Params,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, LrsError> {
    let pairs = params(query, &["statementId"])?;
    let user = state.authenticate(&headers).await?;
    require(&state, &user, Scope::StatementsWrite)?;
    let Some(statement_id) = param(&pairs, "statementId") else {
        return Err(LrsError::BadRequest(
            "parameter `statementId` is required".to_owned(),
        ));
    };
    let wanted = uuid::Uuid::try_parse(statement_id)
        .map_err(|_| LrsError::BadRequest("parameter `statementId`: must be a UUID".to_owned()))?;
    let incoming = incoming(&headers, body(raw)?)?;
    let mut statement = parse_json(&incoming.json)?;
    if !statement.is_object() {
        return Err(LrsError::BadRequest(
            "the body must be one statement".to_owned(),
        ));
    }
    validated(std::slice::from_ref(&statement), false)?;
    let attachments = attachments_of(std::slice::from_ref(&statement), &incoming.parts)?;
    match statement.get("id").and_then(Value::as_str) {
        Some(id) if uuid::Uuid::try_parse(id).ok() != Some(wanted) => {
            return Err(LrsError::BadRequest(
                "the statement `id` does not match the `statementId` parameter".to_owned(),
            ));
        }
        Some(_) => {}
        None => statement["id"] = Value::String(statement_id.to_owned()),
    }
    enrich(
        &mut statement,
        &user,
        &rfc3339(now()),
        default_version(&headers),
    );
    keep_attachments(&state, attachments).await?;
    let copy = state.forwarder.is_active().then(|| statement.clone());
    let inserted = state
        .store
        .insert(user.target.as_deref(), vec![statement])
        .await?;
    if let Some(copy) = copy {
        state.forwarder.forward(newly_stored(vec![copy], &inserted));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

const GET_PARAMS: &[&str] = &[
    "statementId",
    "voidedStatementId",
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "format",
    "attachments",
    "ascending",
    "mine",
    "cursor",
];

/// Percent-encodes a query component (everything but RFC 3986 unreserved characters).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The answer of a statements `GET`: JSON, or with `attachments=true` a `multipart/mixed` body
/// of the JSON then the content of every attachment the statements reference.
async fn statement_response(
    state: &LrsState,
    body: Value,
    last_modified: DateTime<Utc>,
    with_attachments: bool,
) -> Result<Response, LrsError> {
    let mut response = if with_attachments {
        attachments_response(state, &body).await?
    } else {
        (StatusCode::OK, axum::Json(body)).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::LAST_MODIFIED, http_date(last_modified));
    if let Ok(value) = HeaderValue::from_str(&rfc3339(now())) {
        headers.insert(CONSISTENT_THROUGH_HEADER, value);
    }
    Ok(response)
}

async fn attachments_response(state: &LrsState, body: &Value) -> Result<Response, LrsError> {
    let statements: Vec<&Value> = match body.get("statements").and_then(Value::as_array) {
        Some(list) => list.iter().collect(),
        None => vec![body],
    };
    let mut hashes: Vec<String> = Vec::new();
    for statement in statements {
        let list = statement.get("attachments").and_then(Value::as_array);
        for attachment in list.into_iter().flatten() {
            if let Some(sha2) = attachment.get("sha2").and_then(Value::as_str) {
                let sha2 = sha2.to_ascii_lowercase();
                if !hashes.contains(&sha2) {
                    hashes.push(sha2);
                }
            }
        }
    }
    let json = serde_json::to_vec(body)
        .map_err(|e| LrsError::Internal(format!("serialising statements: {e}")))?;
    let mut parts = vec![(
        vec![("Content-Type", "application/json".to_owned())],
        Bytes::from(json),
    )];
    for sha2 in hashes {
        // Attachments given by `fileUrl` only have no content here.
        if let Some(attachment) = state.store.attachment(&sha2).await? {
            parts.push((
                vec![
                    ("Content-Type", attachment.content_type),
                    ("Content-Transfer-Encoding", "binary".to_owned()),
                    ("X-Experience-API-Hash", attachment.sha2),
                ],
                attachment.content,
            ));
        }
    }
    let boundary = uuid::Uuid::new_v4().simple().to_string();
    let content_type = format!("multipart/mixed; boundary={boundary}");
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        multipart::build(&boundary, &parts),
    )
        .into_response())
}

/// `GET` (and `HEAD`) `/xAPI/statements`: one statement by `statementId` or
/// `voidedStatementId`, or a page of statements matching the filters with a `more` link.
pub(crate) async fn get(
    State(state): State<Arc<LrsState>>,
    headers: HeaderMap,
    query: Params,
) -> Result<Response, LrsError> {
    let pairs = params(query, GET_PARAMS)?;
    let user = state.authenticate(&headers).await?;
    require(&state, &user, Scope::StatementsReadMine)?;
    let format = match param(&pairs, "format") {
        None => Format::Exact,
        Some(f) => Format::parse(f).ok_or_else(|| {
            LrsError::BadRequest(format!(
                "parameter `format`: expected `ids`, `exact` or `canonical`, found `{f}`"
            ))
        })?,
    };
    let with_attachments = bool_param(&pairs, "attachments")?;
    let languages = accept_languages(
        headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let mine = bool_param(&pairs, "mine")?
        || state.config.lrs_restrict_by_authority
        || (state.config.lrs_restrict_by_scopes && !user.has(Scope::StatementsRead));
    let authority = if mine {
        Some(Ifi::of(&user.agent).ok_or_else(|| {
            LrsError::Internal(format!("user `{}` has no agent identifier", user.username))
        })?)
    } else {
        None
    };
    let target = user.target.as_deref();

    let by_id = param(&pairs, "statementId");
    let by_voided_id = param(&pairs, "voidedStatementId");
    if by_id.is_some() || by_voided_id.is_some() {
        if by_id.is_some() && by_voided_id.is_some() {
            return Err(LrsError::BadRequest(
                "`statementId` and `voidedStatementId` cannot be given together".to_owned(),
            ));
        }
        if let Some((key, _)) = pairs.iter().find(|(k, _)| {
            !matches!(
                k.as_str(),
                "statementId" | "voidedStatementId" | "format" | "attachments" | "mine"
            )
        }) {
            return Err(LrsError::BadRequest(format!(
                "querying by id only accepts `attachments` and `format` as extra parameters, \
                 found `{key}`"
            )));
        }
        let (key, id, voided) = match (by_id, by_voided_id) {
            (Some(id), _) => ("statementId", id, false),
            (_, Some(id)) => ("voidedStatementId", id, true),
            _ => unreachable!("one of the ids is given"),
        };
        let id = uuid_param(key, id)?;
        let found = state.store.get(target, &id).await?;
        let found = found.filter(|f| {
            f.voided == voided
                && authority.as_ref().is_none_or(|a| {
                    f.statement.get("authority").and_then(Ifi::of).as_ref() == Some(a)
                })
        });
        let Some(found) = found else {
            return Err(LrsError::NotFound(format!("no statement with id `{id}`")));
        };
        let last_modified = stored_at(&found.statement).unwrap_or_else(now);
        return statement_response(
            &state,
            apply(format, found.statement, &languages),
            last_modified,
            with_attachments,
        )
        .await;
    }

    let max = state.config.runserver_max_search_hits_count.max(1);
    let limit = match param(&pairs, "limit") {
        None => max,
        Some(l) => match l.parse::<usize>() {
            Ok(0) => max,
            Ok(n) => n.min(max),
            Err(_) => {
                return Err(LrsError::BadRequest(format!(
                    "parameter `limit`: expected a non-negative integer, found `{l}`"
                )));
            }
        },
    };
    let agent = match param(&pairs, "agent") {
        None => None,
        Some(text) => {
            let agent: Value = serde_json::from_str(text).map_err(|e| {
                LrsError::BadRequest(format!("parameter `agent`: invalid JSON: {e}"))
            })?;
            Some(Ifi::of(&agent).ok_or_else(|| {
                LrsError::BadRequest(
                    "parameter `agent`: an agent or identified group with one of mbox, \
                     mbox_sha1sum, openid, account"
                        .to_owned(),
                )
            })?)
        }
    };
    let query = StatementQuery {
        agent,
        verb: param(&pairs, "verb").map(str::to_owned),
        activity: param(&pairs, "activity").map(str::to_owned),
        registration: param(&pairs, "registration")
            .map(|r| uuid_param("registration", r))
            .transpose()?,
        related_activities: bool_param(&pairs, "related_activities")?,
        related_agents: bool_param(&pairs, "related_agents")?,
        since: param(&pairs, "since")
            .map(|t| time_param("since", t))
            .transpose()?,
        until: param(&pairs, "until")
            .map(|t| time_param("until", t))
            .transpose()?,
        authority,
        limit,
        ascending: bool_param(&pairs, "ascending")?,
        cursor: param(&pairs, "cursor").map(str::to_owned),
    };
    let page = state.store.query(target, &query).await?;
    let last_modified = page
        .statements
        .iter()
        .filter_map(stored_at)
        .max()
        .unwrap_or_else(now);
    let more = match page.more {
        Some(cursor) => {
            let mut link = String::from("/xAPI/statements?");
            for (key, value) in pairs.iter().filter(|(k, _)| k != "cursor") {
                link.push_str(&format!("{}={}&", encode(key), encode(value)));
            }
            link.push_str(&format!("cursor={}", encode(&cursor)));
            link
        }
        None => String::new(),
    };
    let statements: Vec<Value> = page
        .statements
        .into_iter()
        .map(|s| apply(format, s, &languages))
        .collect();
    statement_response(
        &state,
        json!({ "statements": statements, "more": more }),
        last_modified,
        with_attachments,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_producer_that_fails_or_panics_ends_its_batch_with_an_error() {
        let (sender, mut chunks) = tokio::sync::mpsc::channel(4);
        produce_or_abort(&sender, |sender| {
            sender
                .blocking_send(Ok(vec![json!({"id": "a"})]))
                .map_err(|e| e.to_string())?;
            panic!("a bug in validation");
        });
        produce_or_abort(&sender, |_| Err("statements[3].verb: required".to_owned()));
        produce_or_abort(&sender, |_| Ok(()));
        drop(sender);
        let mut received = Vec::new();
        while let Some(chunk) = chunks.blocking_recv() {
            received.push(chunk.map_err(|e| (e.kind(), e.message().to_owned())));
        }
        assert_eq!(received.len(), 3, "{received:?}");
        assert!(received[0].is_ok());
        assert_eq!(
            received[1].clone().err().map(|(kind, _)| kind),
            Some(ralph_core::ErrorKind::Backend)
        );
        assert_eq!(
            received[2].clone().err(),
            Some((
                ralph_core::ErrorKind::InvalidInput,
                "statements[3].verb: required".to_owned()
            ))
        );
    }
}
