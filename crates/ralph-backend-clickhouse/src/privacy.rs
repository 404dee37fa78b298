//! Deletion and rewriting of statements in the ClickHouse store (a child module of `store`).
//!
//! ClickHouse has no transactions: each statement is one row, removed or rewritten (body and
//! filter columns in one `ALTER TABLE ... UPDATE`) by a synchronous mutation, so a row is
//! always whole; a request interrupted half-way is finished by running it again. Deleted
//! documents and attachments are removed with every version, not hidden by a tombstone.

use std::collections::HashSet;

use ralph_core::lrs::{Ifi, statement_id, stored_at};
use ralph_core::{Error, Result};
use serde_json::Value;
use uuid::Uuid;

use super::ClickHouseStore;
use crate::columns::LrsRow;

/// The synchronous mutations setting: wait for every replica.
const SYNC: (&str, &str) = ("mutations_sync", "2");

/// The condition of the rows whose `event_id` is in the bound array of strings.
const IDS_CONDITION: &str = "has(arrayMap(x -> toUUID(x), ?), event_id)";

fn uuids(ids: &[String]) -> Vec<String> {
    ids.iter()
        .filter_map(|id| Uuid::parse_str(id).ok())
        .map(|u| u.to_string())
        .collect()
}

impl ClickHouseStore {
    /// Deletes the statements of `target` with these ids.
    pub(super) async fn remove_by_ids(&self, target: Option<&str>, ids: &[String]) -> Result<u64> {
        let table = self.table(target)?;
        let ids = uuids(ids);
        if ids.is_empty() || !self.exists(&table).await? {
            return Ok(0);
        }
        let _writer = self.writer.lock().await;
        let count = self
            .client
            .query(&format!(
                "SELECT count() FROM `{table}` WHERE {IDS_CONDITION}"
            ))
            .bind(&ids)
            .fetch_one::<u64>()
            .await
            .map_err(|e| self.error(e))?;
        self.client
            .query(&format!(
                "ALTER TABLE `{table}` DELETE WHERE {IDS_CONDITION}"
            ))
            .bind(&ids)
            .with_setting(SYNC.0, SYNC.1)
            .execute()
            .await
            .map_err(|e| self.error(e))?;
        Ok(count)
    }

    /// Rewrites each statement of `target` with the one of the same id, with its filter
    /// columns, in one mutation per statement.
    pub(super) async fn replace_by_ids(
        &self,
        target: Option<&str>,
        statements: Vec<Value>,
    ) -> Result<u64> {
        let table = self.table(target)?;
        if !self.exists(&table).await? {
            return Ok(0);
        }
        let _writer = self.writer.lock().await;
        let mut replaced = 0;
        for statement in statements {
            let Some(id) = statement_id(&statement).and_then(|i| Uuid::parse_str(i).ok()) else {
                continue;
            };
            let event = serde_json::to_string(&statement)
                .map_err(|e| Error::backend(format!("clickhouse: statement `{id}`: {e}")))?;
            let stored = stored_at(&statement).unwrap_or_default();
            let row = LrsRow::new(id, stored, &statement, event);
            self.client
                .query(&format!(
                    "ALTER TABLE `{table}` UPDATE event = ?, verb = ?, activity = ?, \
                     registration = ?, authority = ?, voids = ?, ref = ?, agents = ?, \
                     related_agents = ?, related_activities = ? WHERE event_id = toUUID(?)"
                ))
                .bind(&row.event)
                .bind(&row.verb)
                .bind(&row.activity)
                .bind(&row.registration)
                .bind(&row.authority)
                .bind(&row.voids)
                .bind(&row.reference)
                .bind(&row.agents)
                .bind(&row.related_agents)
                .bind(&row.related_activities)
                .bind(id.to_string())
                .with_setting(SYNC.0, SYNC.1)
                .execute()
                .await
                .map_err(|e| self.error(e))?;
            replaced += 1;
        }
        Ok(replaced)
    }

    /// Removes the attachments `sha2s` that no statement of any statement table of the
    /// database mentions.
    pub(super) async fn remove_attachments_unused(&self, sha2s: &[String]) -> Result<u64> {
        let tables = self
            .client
            .query(
                "SELECT DISTINCT table FROM system.columns WHERE database = currentDatabase() \
                 AND name = 'event' AND table NOT IN (?, ?)",
            )
            .bind(&self.documents_table)
            .bind(&self.attachments_table)
            .fetch_all::<String>()
            .await
            .map_err(|e| self.error(e))?;
        let mut unused: HashSet<String> = sha2s.iter().cloned().collect();
        for table in tables {
            if unused.is_empty() {
                break;
            }
            let candidates: Vec<String> = unused.iter().cloned().collect();
            let used = self
                .client
                .query(&format!(
                    "SELECT DISTINCT arrayJoin(arrayFilter(s -> position(event, s) > 0, ?)) \
                     FROM `{table}` WHERE multiSearchAny(event, ?)"
                ))
                .bind(&candidates)
                .bind(&candidates)
                .fetch_all::<String>()
                .await
                .map_err(|e| self.error(e))?;
            for sha2 in used {
                unused.remove(&sha2);
            }
        }
        if unused.is_empty() {
            return Ok(0);
        }
        let unused: Vec<String> = unused.into_iter().collect();
        let count = self
            .client
            .query(&format!(
                "SELECT count(DISTINCT sha2) FROM `{}` WHERE has(?, sha2)",
                self.attachments_table
            ))
            .bind(&unused)
            .fetch_one::<u64>()
            .await
            .map_err(|e| self.error(e))?;
        self.client
            .query(&format!(
                "ALTER TABLE `{}` DELETE WHERE has(?, sha2)",
                self.attachments_table
            ))
            .bind(&unused)
            .with_setting(SYNC.0, SYNC.1)
            .execute()
            .await
            .map_err(|e| self.error(e))?;
        Ok(count)
    }

    /// Deletes (counts, on a dry run) the states and agent profiles of `agent` in `target`,
    /// every version of them.
    pub(super) async fn delete_documents_of(
        &self,
        target: Option<&str>,
        agent: &Ifi,
        dry_run: bool,
    ) -> Result<u64> {
        let target = target.unwrap_or_default();
        let condition = "target = ? AND agent = ? AND kind IN ('state', 'agent_profile')";
        let _documents = self.documents.lock().await;
        let live = self
            .client
            .query(&format!(
                "SELECT count() FROM (SELECT argMax(deleted, version) AS deleted FROM `{}` \
                 WHERE {condition} GROUP BY kind, activity, registration, id) WHERE deleted = 0",
                self.documents_table
            ))
            .bind(target)
            .bind(agent.key())
            .fetch_one::<u64>()
            .await
            .map_err(|e| self.error(e))?;
        if !dry_run {
            self.client
                .query(&format!(
                    "ALTER TABLE `{}` DELETE WHERE {condition}",
                    self.documents_table
                ))
                .bind(target)
                .bind(agent.key())
                .with_setting(SYNC.0, SYNC.1)
                .execute()
                .await
                .map_err(|e| self.error(e))?;
        }
        Ok(live)
    }
}
