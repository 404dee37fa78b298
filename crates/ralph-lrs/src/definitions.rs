//! `/xAPI/activities` (the definition of an activity) and `/xAPI/agents` (the Person object
//! of an agent), both built from the stored statements.
//!
//! The definition of an activity is the merge of the definitions given by the most recent
//! statements whose object it is ([`DEFINITION_STATEMENTS`] at most): later statements win
//! property by property, and language maps are merged tag by tag. The Person of an agent
//! gathers the names given to that identifier by the most recent statements about it.

use std::sync::Arc;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use ralph_core::lrs::{Ifi, StatementQuery, statement_agents};
use serde_json::{Map, Value, json};

use crate::auth::Scope;
use crate::documents::{activity_param, agent_param};
use crate::statements::{Params, param, params, require};
use crate::{LrsError, LrsState};

/// How many of the most recent statements about an activity or agent are read.
pub const DEFINITION_STATEMENTS: usize = 100;

/// Merges `newer` into `base`: objects property by property (recursively, so language maps
/// merge tag by tag), anything else replaced.
fn merge(base: &mut Value, newer: &Value) {
    match (base, newer) {
        (Value::Object(base), Value::Object(newer)) => {
            for (key, value) in newer {
                match base.get_mut(key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, newer) => *base = newer.clone(),
    }
}

pub(crate) async fn activities(
    State(state): State<Arc<LrsState>>,
    headers: HeaderMap,
    query: Params,
) -> Result<Response, LrsError> {
    let pairs = params(query, &["activityId"])?;
    let id = activity_param(
        param(&pairs, "activityId")
            .ok_or_else(|| LrsError::BadRequest("parameter `activityId` is required".into()))?,
    )?;
    let user = state.authenticate(&headers).await?;
    require(&state, &user, Scope::StatementsRead)?;
    let page = state
        .store
        .query(
            user.target.as_deref(),
            &StatementQuery {
                activity: Some(id.clone()),
                limit: DEFINITION_STATEMENTS,
                ..Default::default()
            },
        )
        .await?;
    let mut definition = Value::Object(Map::new());
    // Pages come most recent first: merge oldest first so that the newest wins.
    for statement in page.statements.iter().rev() {
        if let Some(given) = statement.pointer("/object/definition") {
            merge(&mut definition, given);
        }
    }
    let mut activity = json!({ "objectType": "Activity", "id": id });
    if definition.as_object().is_some_and(|d| !d.is_empty()) {
        activity["definition"] = definition;
    }
    Ok(axum::Json(activity).into_response())
}

/// The agent objects of `statement` identified by `ifi`.
fn named<'a>(statement: &'a Value, ifi: &Ifi) -> impl Iterator<Item = &'a str> {
    let candidates = [
        statement.get("actor"),
        statement.get("object"),
        statement.pointer("/context/instructor"),
    ];
    candidates
        .into_iter()
        .flatten()
        .filter(move |agent| Ifi::of(agent).as_ref() == Some(ifi))
        .filter_map(|agent| agent.get("name").and_then(Value::as_str))
}

pub(crate) async fn agents(
    State(state): State<Arc<LrsState>>,
    headers: HeaderMap,
    query: Params,
) -> Result<Response, LrsError> {
    let pairs = params(query, &["agent"])?;
    let (ifi, agent) = agent_param(
        param(&pairs, "agent")
            .ok_or_else(|| LrsError::BadRequest("parameter `agent` is required".into()))?,
    )?;
    let user = state.authenticate(&headers).await?;
    require(&state, &user, Scope::StatementsRead)?;
    let page = state
        .store
        .query(
            user.target.as_deref(),
            &StatementQuery {
                agent: Some(ifi.clone()),
                limit: DEFINITION_STATEMENTS,
                ..Default::default()
            },
        )
        .await?;
    let mut names: Vec<String> = Vec::new();
    let mut push = |name: &str| {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    };
    if let Some(name) = agent.get("name").and_then(Value::as_str) {
        push(name);
    }
    for statement in &page.statements {
        if statement_agents(statement).iter().any(|(i, _)| *i == ifi) {
            named(statement, &ifi).for_each(&mut push);
        }
    }
    let mut person = json!({ "objectType": "Person" });
    if !names.is_empty() {
        person["name"] = json!(names);
    }
    if let Value::Object(identifier) = ifi.to_json() {
        for (key, value) in identifier {
            person[key] = Value::Array(vec![value]);
        }
    }
    Ok(axum::Json(person).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_definitions_win_and_language_maps_merge() {
        let mut base = json!({"name": {"en-US": "old", "fr": "vieux"}, "type": "http://t/1"});
        merge(
            &mut base,
            &json!({"name": {"en-US": "new"}, "description": {"en-US": "d"}}),
        );
        assert_eq!(
            base,
            json!({"name": {"en-US": "new", "fr": "vieux"}, "type": "http://t/1",
                   "description": {"en-US": "d"}})
        );
    }
}
