//! The filter columns of statement tables, computed by the writer.

use chrono::{DateTime, Utc};
use clickhouse::{Client, Row};
use ralph_core::lrs::{
    Ifi, Relation, referenced_statement, statement_activities, statement_agents, voided_target,
};
use ralph_core::{Error, Result};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::client::ch_error;

/// A row of the store's layout, as inserted: Ralph's three columns and the filter columns.
#[derive(Debug, Row, Serialize)]
pub(crate) struct LrsRow {
    #[serde(with = "clickhouse::serde::uuid")]
    pub event_id: Uuid,
    #[serde(with = "clickhouse::serde::chrono::datetime64::micros")]
    pub emission_time: DateTime<Utc>,
    pub event: String,
    pub verb: String,
    pub activity: String,
    pub registration: String,
    pub authority: String,
    pub voids: String,
    /// The id a `StatementRef` object targets (the column `ref`).
    #[serde(rename = "ref")]
    pub reference: String,
    pub agents: Vec<String>,
    pub related_agents: Vec<String>,
    pub related_activities: Vec<String>,
}

impl LrsRow {
    /// The row of `statement`, stored as the JSON text `event`.
    pub fn new(
        event_id: Uuid,
        emission_time: DateTime<Utc>,
        statement: &Value,
        event: String,
    ) -> Self {
        let text = |pointer: &str| {
            statement
                .pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let agents = statement_agents(statement);
        let activities = statement_activities(statement);
        Self {
            event_id,
            emission_time,
            event,
            verb: text("/verb/id"),
            activity: activities
                .iter()
                .find(|(_, r)| *r == Relation::Direct)
                .map(|(id, _)| id.clone())
                .unwrap_or_default(),
            registration: text("/context/registration").to_ascii_lowercase(),
            authority: statement
                .get("authority")
                .and_then(Ifi::of)
                .map(|i| i.key())
                .unwrap_or_default(),
            voids: voided_target(statement)
                .map(str::to_ascii_lowercase)
                .unwrap_or_default(),
            reference: referenced_statement(statement)
                .map(str::to_ascii_lowercase)
                .unwrap_or_default(),
            agents: agents
                .iter()
                .filter(|(_, r)| *r == Relation::Direct)
                .map(|(i, _)| i.key())
                .collect(),
            related_agents: agents.iter().map(|(i, _)| i.key()).collect(),
            related_activities: activities.into_iter().map(|(id, _)| id).collect(),
        }
    }
}

/// What a table holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// No such table.
    Missing,
    /// Ralph's three columns.
    Ralph,
    /// Ralph's columns and the store's filter columns.
    Statements,
}

/// The layout of `table` in the client's database.
pub(crate) async fn layout(client: &Client, server: &str, table: &str) -> Result<Layout> {
    let columns: Vec<String> = client
        .query(
            "SELECT name FROM system.columns WHERE database = currentDatabase() \
             AND table = {table:String} AND name IN ('event', 'related_activities')",
        )
        .param("table", table)
        .fetch_all::<String>()
        .await
        .map_err(|e| ch_error(server, e))?;
    Ok(match columns.len() {
        0 => Layout::Missing,
        1 if columns[0] == "event" => Layout::Ralph,
        1 => {
            return Err(Error::invalid_input(format!(
                "table `{table}` has no `event` column: it is not a table of events"
            )));
        }
        _ => Layout::Statements,
    })
}
