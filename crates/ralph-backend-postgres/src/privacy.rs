//! Deletion and pseudonymisation in the PostgreSQL store, each one transaction: interrupted,
//! nothing happened, and the next run does it all.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use ralph_core::Result;
use ralph_core::lrs::privacy::{filter_matches, pseudonymize_statement, statement_attachments};
use ralph_core::lrs::{
    DeleteFilter, DeleteReport, Ifi, Relation, reference_chain, statement_activities,
    statement_agents,
};
use serde_json::Value;
use tokio_postgres::types::ToSql;

use crate::store::PostgresStore;

/// A bound parameter of the filter query.
enum Arg {
    Text(String),
    Time(DateTime<Utc>),
}

impl Arg {
    fn sql(&self) -> &(dyn ToSql + Sync) {
        match self {
            Self::Text(t) => t,
            Self::Time(t) => t,
        }
    }
}

impl PostgresStore {
    /// The `AND ...` conditions of `filter` a row meets by itself (`time_only`: the time ones).
    fn conditions(&self, filter: &DeleteFilter, time_only: bool, args: &mut Vec<Arg>) -> String {
        let mut sql = String::new();
        let mut push = |sql: &mut String, condition: &str, arg: Arg| {
            args.push(arg);
            sql.push_str(&condition.replace('?', &format!("${}", args.len())));
        };
        if let Some(since) = filter.since {
            push(&mut sql, " AND s.stored > ?", Arg::Time(since));
        }
        if let Some(until) = filter.until {
            push(&mut sql, " AND s.stored <= ?", Arg::Time(until));
        }
        if time_only {
            return sql;
        }
        if let Some(verb) = &filter.verb {
            push(&mut sql, " AND s.verb = ?", Arg::Text(verb.clone()));
        }
        if let Some(registration) = &filter.registration {
            push(
                &mut sql,
                " AND s.registration = ?",
                Arg::Text(registration.to_ascii_lowercase()),
            );
        }
        if let Some(agent) = &filter.agent {
            let agents = &self.tables.agents;
            push(
                &mut sql,
                &format!(" AND s.seq IN (SELECT seq FROM {agents} WHERE ifi = ?)"),
                Arg::Text(agent.key()),
            );
        }
        if let Some(activity) = &filter.activity {
            let activities = &self.tables.activities;
            push(
                &mut sql,
                &format!(" AND s.seq IN (SELECT seq FROM {activities} WHERE iri = ? AND direct)"),
                Arg::Text(activity.clone()),
            );
        }
        sql
    }

    async fn matching(
        &self,
        tx: &Transaction<'_>,
        target: &str,
        filter: &DeleteFilter,
    ) -> Result<Vec<(i64, Vec<String>)>> {
        let table = &self.tables.statements;
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut args = vec![Arg::Text(target.to_owned())];
        let sql = format!(
            "SELECT s.seq, CASE WHEN s.body ? 'attachments' THEN s.body END FROM {table} s \
             WHERE s.target = $1{}",
            self.conditions(filter, false, &mut args)
        );
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(Arg::sql).collect();
        for row in tx.query(&sql, &params).await.map_err(|e| self.error(e))? {
            let seq: i64 = row.get(0);
            let body: Option<Value> = row.get(1);
            seen.insert(seq);
            out.push((
                seq,
                body.map(|b| statement_attachments(&b)).unwrap_or_default(),
            ));
        }
        if filter.only_time() {
            return Ok(out);
        }
        let mut args = vec![Arg::Text(target.to_owned())];
        let sql = format!(
            "SELECT s.seq, s.body FROM {table} s WHERE s.target = $1 AND s.ref IS NOT NULL{}",
            self.conditions(filter, true, &mut args)
        );
        let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(Arg::sql).collect();
        let lookup_sql = format!("SELECT body FROM {table} WHERE target = $1 AND id = $2");
        for row in tx.query(&sql, &params).await.map_err(|e| self.error(e))? {
            let seq: i64 = row.get(0);
            if seen.contains(&seq) {
                continue;
            }
            let statement: Value = row.get(1);
            let chain = reference_chain(&statement, |id| {
                let lookup_sql = &lookup_sql;
                async move {
                    let row = tx
                        .query_opt(lookup_sql.as_str(), &[&target, &id])
                        .await
                        .map_err(|e| self.error(e))?;
                    Ok(row.map(|r| r.get::<_, Value>(0)))
                }
            })
            .await?;
            if filter_matches(filter, &statement, &mut |id| chain.get(id).cloned()) {
                out.push((seq, statement_attachments(&statement)));
            }
        }
        Ok(out)
    }

    /// Removes the agent and activity rows of the statements `seqs` (their keys come from the
    /// bodies: the tables are keyed by IFI / IRI first).
    async fn remove_index_rows(&self, tx: &Transaction<'_>, seqs: &[i64]) -> Result<()> {
        let tables = &self.tables;
        let rows = tx
            .query(
                &format!(
                    "SELECT seq, body FROM {} WHERE seq = ANY($1)",
                    tables.statements
                ),
                &[&seqs],
            )
            .await
            .map_err(|e| self.error(e))?;
        let (mut agent_keys, mut agent_seqs) = (Vec::new(), Vec::new());
        let (mut iris, mut iri_seqs) = (Vec::new(), Vec::new());
        for row in rows {
            let seq: i64 = row.get(0);
            let body: Value = row.get(1);
            for (ifi, _) in statement_agents(&body) {
                agent_keys.push(ifi.key());
                agent_seqs.push(seq);
            }
            for (iri, _) in statement_activities(&body) {
                iris.push(iri);
                iri_seqs.push(seq);
            }
        }
        tx.execute(
            &format!(
                "DELETE FROM {} WHERE (ifi, seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))",
                tables.agents
            ),
            &[&agent_keys, &agent_seqs],
        )
        .await
        .map_err(|e| self.error(e))?;
        tx.execute(
            &format!(
                "DELETE FROM {} WHERE (iri, seq) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))",
                tables.activities
            ),
            &[&iris, &iri_seqs],
        )
        .await
        .map_err(|e| self.error(e))?;
        Ok(())
    }

    /// See [`LrsStore::delete_statements`](ralph_core::lrs::LrsStore::delete_statements).
    pub(crate) async fn delete_matching(
        &self,
        target: &str,
        filter: &DeleteFilter,
        dry_run: bool,
    ) -> Result<DeleteReport> {
        filter.check()?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.error(e))?;
        let rows = self.matching(&tx, target, filter).await?;
        let mut report = DeleteReport {
            matched: rows.len() as u64,
            ..DeleteReport::default()
        };
        if dry_run {
            return Ok(report);
        }
        let mut attachments = BTreeSet::new();
        for chunk in rows.chunks(1000) {
            let seqs: Vec<i64> = chunk.iter().map(|(seq, _)| *seq).collect();
            self.remove_index_rows(&tx, &seqs).await?;
            report.deleted += tx
                .execute(
                    &format!("DELETE FROM {} WHERE seq = ANY($1)", self.tables.statements),
                    &[&seqs],
                )
                .await
                .map_err(|e| self.error(e))?;
            attachments.extend(chunk.iter().flat_map(|(_, a)| a.iter().cloned()));
        }
        for sha2 in attachments {
            // Attachments are shared by every target: any remaining statement keeps it.
            let used = tx
                .query_opt(
                    &format!(
                        "SELECT 1 FROM {} WHERE body->'attachments' @> \
                         jsonb_build_array(jsonb_build_object('sha2', $1::text)) LIMIT 1",
                        self.tables.statements
                    ),
                    &[&sha2],
                )
                .await
                .map_err(|e| self.error(e))?
                .is_some();
            if !used {
                tx.execute(
                    &format!("DELETE FROM {} WHERE sha2 = $1", self.tables.attachments),
                    &[&sha2],
                )
                .await
                .map_err(|e| self.error(e))?;
            }
        }
        tx.commit().await.map_err(|e| self.error(e))?;
        Ok(report)
    }

    /// See [`LrsStore::pseudonymize`](ralph_core::lrs::LrsStore::pseudonymize).
    pub(crate) async fn pseudonymize_agent(
        &self,
        target: &str,
        agent: &Ifi,
        pseudonym: &Ifi,
        dry_run: bool,
    ) -> Result<u64> {
        let tables = &self.tables;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(|e| self.error(e))?;
        let rows = tx
            .query(
                &format!(
                    "SELECT s.seq, s.body FROM {} s WHERE s.target = $1 AND s.seq IN \
                     (SELECT seq FROM {} WHERE ifi = $2) FOR UPDATE",
                    tables.statements, tables.agents
                ),
                &[&target, &agent.key()],
            )
            .await
            .map_err(|e| self.error(e))?;
        let mut changed: HashMap<i64, Value> = HashMap::new();
        for row in rows {
            let mut body: Value = row.get(1);
            if pseudonymize_statement(&mut body, agent, pseudonym) {
                changed.insert(row.get(0), body);
            }
        }
        let count = changed.len() as u64;
        if dry_run || changed.is_empty() {
            return Ok(count);
        }
        let seqs: Vec<i64> = changed.keys().copied().collect();
        self.remove_index_rows(&tx, &seqs).await?;
        let (mut keys, mut key_seqs, mut direct) = (Vec::new(), Vec::new(), Vec::new());
        let (mut iris, mut iri_seqs, mut iri_direct) = (Vec::new(), Vec::new(), Vec::new());
        for (seq, body) in &changed {
            let authority = body.get("authority").and_then(Ifi::of).map(|i| i.key());
            tx.execute(
                &format!(
                    "UPDATE {} SET body = $1, authority = $2 WHERE seq = $3",
                    tables.statements
                ),
                &[body, &authority, seq],
            )
            .await
            .map_err(|e| self.error(e))?;
            for (ifi, relation) in statement_agents(body) {
                keys.push(ifi.key());
                key_seqs.push(*seq);
                direct.push(relation == Relation::Direct);
            }
            for (iri, relation) in statement_activities(body) {
                iris.push(iri);
                iri_seqs.push(*seq);
                iri_direct.push(relation == Relation::Direct);
            }
        }
        for (table, a, b, c) in [
            (&tables.agents, &keys, &key_seqs, &direct),
            (&tables.activities, &iris, &iri_seqs, &iri_direct),
        ] {
            let columns = if table == &tables.agents {
                "ifi, seq, direct"
            } else {
                "iri, seq, direct"
            };
            tx.execute(
                &format!(
                    "INSERT INTO {table} ({columns}) SELECT * FROM \
                     unnest($1::text[], $2::bigint[], $3::boolean[]) ON CONFLICT DO NOTHING"
                ),
                &[a, b, c],
            )
            .await
            .map_err(|e| self.error(e))?;
        }
        tx.commit().await.map_err(|e| self.error(e))?;
        Ok(count)
    }

    /// See [`LrsStore::delete_agent_documents`](ralph_core::lrs::LrsStore::delete_agent_documents).
    pub(crate) async fn delete_documents_of(
        &self,
        target: &str,
        agent: &Ifi,
        dry_run: bool,
    ) -> Result<u64> {
        let client = self.client().await?;
        let condition = "target = $1 AND agent = $2 AND kind IN ('state', 'agent_profile')";
        let documents = &self.tables.documents;
        let key = agent.key();
        if dry_run {
            let row = client
                .query_one(
                    &format!("SELECT count(*) FROM {documents} WHERE {condition}"),
                    &[&target, &key],
                )
                .await
                .map_err(|e| self.error(e))?;
            return Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or_default());
        }
        client
            .execute(
                &format!("DELETE FROM {documents} WHERE {condition}"),
                &[&target, &key],
            )
            .await
            .map_err(|e| self.error(e))
    }
}
