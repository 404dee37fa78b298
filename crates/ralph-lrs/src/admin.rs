//! Administration routes for privacy requests, and the retention purge.
//!
//! - `POST /admin/statements/delete` with a JSON filter (`agent`, `verb`, `activity`,
//!   `registration`, `since`, `until`; at least one), `dry_run` and `documents`: deletes the
//!   matching statements of the user's target (and, with `documents`, the agent's states and
//!   agent profiles) and answers `{"matched": N, "deleted": M}`.
//! - `POST /admin/agents/pseudonymize` with `{"agent": ..., "dry_run": ...}`: replaces the agent
//!   by its pseudonym (`LRS_PSEUDONYM_KEY`, `LRS_PSEUDONYM_HOMEPAGE`) in every statement.
//!
//! Both need the `admin/delete` scope, which `all` does not grant, whatever
//! `LRS_RESTRICT_BY_SCOPES` says: without it they answer 403 before reading the request, so
//! they reveal nothing. Each request is logged (user, filter with the agent redacted, counts);
//! statement content never is.
//!
//! With `LRS_RETENTION_DAYS` set, [`run_retention`] deletes the statements stored earlier than
//! that, at start and every hour, in the default target and the targets of the credentials
//! file.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use ralph_core::lrs::{DeleteFilter, DeleteReport, Ifi, Pseudonymizer};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{AuthenticatedUser, Scope};
use crate::{LrsConfig, LrsError, LrsState};

/// The body of `POST /admin/statements/delete`, also what `ralph lrs delete` gives.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteRequest {
    /// The agent (JSON, with one IFI), anywhere in the statement.
    pub agent: Option<Value>,
    /// The verb id.
    pub verb: Option<String>,
    /// The object activity id.
    pub activity: Option<String>,
    /// The registration (a UUID).
    pub registration: Option<String>,
    /// Stored strictly after (RFC 3339).
    pub since: Option<String>,
    /// Stored at or before (RFC 3339).
    pub until: Option<String>,
    /// Count only.
    #[serde(default)]
    pub dry_run: bool,
    /// Also the agent's states and agent profiles.
    #[serde(default)]
    pub documents: bool,
}

/// The body of `POST /admin/agents/pseudonymize`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PseudonymizeRequest {
    agent: Value,
    #[serde(default)]
    dry_run: bool,
}

async fn admin(state: &LrsState, headers: &HeaderMap) -> Result<AuthenticatedUser, LrsError> {
    let user = state.authenticate(headers).await?;
    if !user.has(Scope::AdminDelete) {
        tracing::warn!(target: "ralph", user = %user.username, "admin request refused: no `admin/delete` scope");
        return Err(LrsError::Forbidden(format!(
            "access not authorized to scope: `{}`",
            Scope::AdminDelete.as_str()
        )));
    }
    Ok(user)
}

fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, LrsError> {
    serde_json::from_slice(body)
        .map_err(|e| LrsError::BadRequest(format!("invalid JSON body: {e}")))
}

/// The IFI of an agent given as JSON, checked as the `agent` parameter of xAPI.
pub fn agent_ifi(agent: &Value) -> Result<Ifi, LrsError> {
    crate::documents::agent_param(&agent.to_string()).map(|(ifi, _)| ifi)
}

fn time(name: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, LrsError> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| {
                    LrsError::BadRequest(format!("`{name}`: `{v}` is not an RFC 3339 time: {e}"))
                })
        })
        .transpose()
}

impl DeleteRequest {
    /// The filter, checked: an empty one, a bad agent, time or registration is `BadRequest`.
    pub fn filter(&self) -> Result<DeleteFilter, LrsError> {
        let registration = self
            .registration
            .as_deref()
            .map(|r| {
                uuid::Uuid::parse_str(r)
                    .map(|u| u.to_string())
                    .map_err(|_| {
                        LrsError::BadRequest(format!("`registration`: `{r}` is not a UUID"))
                    })
            })
            .transpose()?;
        let filter = DeleteFilter {
            agent: self.agent.as_ref().map(agent_ifi).transpose()?,
            verb: self.verb.clone(),
            activity: self.activity.clone(),
            registration,
            since: time("since", self.since.as_deref())?,
            until: time("until", self.until.as_deref())?,
        };
        filter.check()?;
        if self.documents && filter.agent.is_none() {
            return Err(LrsError::BadRequest(
                "`documents` deletes an agent's documents: give `agent`".to_owned(),
            ));
        }
        Ok(filter)
    }
}

/// Runs a deletion request on `target` of `store` as `who`, and logs it (who, target, filter
/// with the agent redacted, counts).
pub async fn execute_delete(
    store: &dyn ralph_core::lrs::LrsStore,
    who: &str,
    target: Option<&str>,
    request: &DeleteRequest,
) -> Result<DeleteReport, LrsError> {
    let filter = request.filter()?;
    let mut report = store
        .delete_statements(target, &filter, request.dry_run)
        .await?;
    if request.documents
        && let Some(agent) = &filter.agent
    {
        report.documents = Some(
            store
                .delete_agent_documents(target, agent, request.dry_run)
                .await?,
        );
    }
    tracing::info!(
        target: "ralph",
        user = %who,
        target_set = target.unwrap_or_default(),
        filter = %filter.describe(),
        dry_run = request.dry_run,
        matched = report.matched,
        deleted = report.deleted,
        documents = report.documents.unwrap_or_default(),
        "statements deleted"
    );
    Ok(report)
}

/// `POST /admin/statements/delete`.
pub(crate) async fn delete_statements(
    State(state): State<Arc<LrsState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, LrsError> {
    let user = admin(&state, &headers).await?;
    let request: DeleteRequest = parse_body(&body)?;
    let report = execute_delete(
        state.store().as_ref(),
        &user.username,
        user.target.as_deref(),
        &request,
    )
    .await?;
    Ok(axum::Json(report).into_response())
}

/// The pseudonymizer of the settings, or a 400 saying what to set.
pub fn pseudonymizer(config: &LrsConfig) -> Result<Pseudonymizer, LrsError> {
    let key = config.lrs_pseudonym_key.as_ref().ok_or_else(|| {
        LrsError::BadRequest(
            "pseudonymisation is not configured: set `RALPH_LRS_PSEUDONYM_KEY`".to_owned(),
        )
    })?;
    Pseudonymizer::new(key.expose(), &config.lrs_pseudonym_homepage).map_err(LrsError::from)
}

/// Replaces `agent` by its pseudonym in `target` of `store` as `who`, and logs it; returns
/// `{"matched", "pseudonymized", "pseudonym"}`.
pub async fn execute_pseudonymize(
    store: &dyn ralph_core::lrs::LrsStore,
    pseudonymizer: &Pseudonymizer,
    who: &str,
    target: Option<&str>,
    agent: &Value,
    dry_run: bool,
) -> Result<Value, LrsError> {
    let agent = agent_ifi(agent)?;
    let pseudonym = pseudonymizer.pseudonym(&agent);
    let matched = store
        .pseudonymize(target, &agent, &pseudonym, dry_run)
        .await?;
    let pseudonymized = if dry_run { 0 } else { matched };
    tracing::info!(
        target: "ralph",
        user = %who,
        target_set = target.unwrap_or_default(),
        dry_run,
        matched,
        pseudonymized,
        "agent pseudonymized"
    );
    Ok(json!({
        "matched": matched,
        "pseudonymized": pseudonymized,
        "pseudonym": pseudonym.to_json(),
    }))
}

/// `POST /admin/agents/pseudonymize`.
pub(crate) async fn pseudonymize(
    State(state): State<Arc<LrsState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, LrsError> {
    let user = admin(&state, &headers).await?;
    let request: PseudonymizeRequest = parse_body(&body)?;
    let pseudonymizer = pseudonymizer(state.config())?;
    let answer = execute_pseudonymize(
        state.store().as_ref(),
        &pseudonymizer,
        &user.username,
        user.target.as_deref(),
        &request.agent,
        request.dry_run,
    )
    .await?;
    Ok(axum::Json(answer).into_response())
}

/// The targets a retention purge goes through: the default one and those of the credentials
/// file.
fn retention_targets(config: &LrsConfig) -> Vec<Option<String>> {
    let mut targets = vec![None];
    if let Ok(users) = crate::auth::read_credentials(&config.auth_file_path()) {
        for user in users {
            if let Some(target) = user.target
                && !targets.contains(&Some(target.clone()))
            {
                targets.push(Some(target));
            }
        }
    }
    targets
}

/// Deletes (counts, on a dry run) the statements stored at or before `now - age` in `targets`
/// (`None`: the default target and those of the credentials file), logging the counts per
/// target; returns the totals, or the first error once every target was tried.
pub async fn purge_older_than(
    state: &LrsState,
    age: chrono::Duration,
    targets: Option<Vec<Option<String>>>,
    dry_run: bool,
) -> Result<DeleteReport, LrsError> {
    let cutoff = Utc::now() - age;
    let filter = DeleteFilter::stored_until(cutoff);
    let mut total = DeleteReport::default();
    let mut failure = None;
    for target in targets.unwrap_or_else(|| retention_targets(state.config())) {
        match state
            .store()
            .delete_statements(target.as_deref(), &filter, dry_run)
            .await
        {
            Ok(report) => {
                tracing::info!(
                    target: "ralph",
                    target_set = target.as_deref().unwrap_or_default(),
                    stored_until = %cutoff.to_rfc3339(),
                    dry_run,
                    matched = report.matched,
                    deleted = report.deleted,
                    "retention purge"
                );
                total.matched += report.matched;
                total.deleted += report.deleted;
            }
            Err(err) => {
                tracing::error!(
                    target: "ralph",
                    target_set = target.as_deref().unwrap_or_default(),
                    "retention purge failed: {err}"
                );
                failure.get_or_insert(err);
            }
        }
    }
    match failure {
        Some(err) => Err(err.into()),
        None => Ok(total),
    }
}

/// Purges statements older than `LRS_RETENTION_DAYS` now and every hour, forever; returns at
/// once when the setting is unset.
pub async fn run_retention(state: Arc<LrsState>) {
    let Some(days) = state.config().lrs_retention_days else {
        return;
    };
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        // Failures are logged per target; the next hour tries again.
        let _ =
            purge_older_than(&state, chrono::Duration::days(i64::from(days)), None, false).await;
    }
}
