//! Deletion and pseudonymisation in the SQLite store, each one transaction on the writer
//! connection: a crash half-way rolls it back, and the next run does it all.

use std::collections::BTreeSet;

use ralph_core::lrs::privacy::{filter_matches, pseudonymize_statement, statement_attachments};
use ralph_core::lrs::{DeleteFilter, DeleteReport, Ifi, Relation, statement_agents};
use ralph_core::{Error, Result};
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, OptionalExtension, Transaction, params, params_from_iter};
use serde_json::Value;

use crate::keys::{self, Ids, Kind};
use crate::store::db_error;

fn decode(body: &str) -> Result<Value> {
    serde_json::from_str(body)
        .map_err(|e| Error::backend(format!("sqlite: stored statement is not JSON: {e}")))
}

/// The `WHERE` conditions (after `s.target = ?`) of the fields of `filter` a row meets by
/// itself, and their arguments; `time_only` keeps the time conditions alone.
fn conditions(filter: &DeleteFilter, time_only: bool, args: &mut Vec<Sql>) -> String {
    let mut sql = String::new();
    if let Some(since) = filter.since {
        sql.push_str(" AND s.stored_us > ?");
        args.push(Sql::Integer(since.timestamp_micros()));
    }
    if let Some(until) = filter.until {
        sql.push_str(" AND s.stored_us <= ?");
        args.push(Sql::Integer(until.timestamp_micros()));
    }
    if time_only {
        return sql;
    }
    if let Some(verb) = &filter.verb {
        sql.push_str(" AND s.verb = ?");
        args.push(Sql::Text(verb.clone()));
    }
    if let Some(registration) = &filter.registration {
        sql.push_str(" AND s.registration = ?");
        args.push(Sql::Text(registration.to_ascii_lowercase()));
    }
    if let Some(agent) = &filter.agent {
        // Anywhere in the statement: every relation.
        sql.push_str(
            " AND s.seq IN (SELECT seq FROM agent_statements \
             WHERE agent = (SELECT id FROM agents WHERE ifi = ?))",
        );
        args.push(Sql::Text(agent.key()));
    }
    if let Some(activity) = &filter.activity {
        sql.push_str(
            " AND s.seq IN (SELECT seq FROM activity_statements \
             WHERE activity = (SELECT id FROM activities WHERE iri = ?) AND direct = 1)",
        );
        args.push(Sql::Text(activity.clone()));
    }
    sql
}

fn lookup(tx: &Transaction<'_>, target: &str, id: &str) -> Result<Option<Value>> {
    let body: Option<String> = tx
        .prepare_cached("SELECT body FROM statements WHERE target = ?1 AND id = ?2")
        .and_then(|mut s| s.query_row(params![target, id], |r| r.get(0)).optional())
        .map_err(db_error)?;
    body.map(|b| decode(&b)).transpose()
}

/// The rows of `target` matching `filter`: `(seq, attachments)`.
fn matching(
    tx: &Transaction<'_>,
    target: &str,
    filter: &DeleteFilter,
) -> Result<Vec<(i64, Vec<String>)>> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    // Rows meeting every field themselves: an index lookup.
    let mut args = vec![Sql::Text(target.to_owned())];
    let sql = format!(
        "SELECT s.seq, CASE WHEN instr(s.body, '\"attachments\"') > 0 THEN s.body END \
         FROM statements s WHERE s.target = ?{}",
        conditions(filter, false, &mut args)
    );
    {
        let mut stmt = tx.prepare(&sql).map_err(db_error)?;
        let mut rows = stmt.query(params_from_iter(args)).map_err(db_error)?;
        while let Some(row) = rows.next().map_err(db_error)? {
            let seq: i64 = row.get(0).map_err(db_error)?;
            let body: Option<String> = row.get(1).map_err(db_error)?;
            let attachments = match body {
                Some(body) => statement_attachments(&decode(&body)?),
                None => Vec::new(),
            };
            seen.insert(seq);
            out.push((seq, attachments));
        }
    }
    if filter.only_time() {
        return Ok(out);
    }
    // Rows meeting the other fields through their `StatementRef` targets.
    let mut args = vec![Sql::Text(target.to_owned())];
    let sql = format!(
        "SELECT s.seq, s.body FROM statements s WHERE s.target = ? AND s.ref IS NOT NULL{}",
        conditions(filter, true, &mut args)
    );
    let mut stmt = tx.prepare(&sql).map_err(db_error)?;
    let mut rows = stmt.query(params_from_iter(args)).map_err(db_error)?;
    while let Some(row) = rows.next().map_err(db_error)? {
        let seq: i64 = row.get(0).map_err(db_error)?;
        if seen.contains(&seq) {
            continue;
        }
        let statement = decode(&row.get::<_, String>(1).map_err(db_error)?)?;
        let mut failure = None;
        let mut resolve = |id: &str| match lookup(tx, target, id) {
            Ok(found) => found,
            Err(err) => {
                failure = Some(err);
                None
            }
        };
        let matches = filter_matches(filter, &statement, &mut resolve);
        if let Some(err) = failure {
            return Err(err);
        }
        if matches {
            out.push((seq, statement_attachments(&statement)));
        }
    }
    Ok(out)
}

/// Deletes the statements of `target` matching `filter`, their index rows and the attachments
/// nothing else references, in one transaction.
pub(crate) fn delete(
    conn: &mut Connection,
    target: &str,
    filter: &DeleteFilter,
    dry_run: bool,
) -> Result<DeleteReport> {
    filter.check()?;
    let tx = conn.transaction().map_err(db_error)?;
    let rows = matching(&tx, target, filter)?;
    let mut report = DeleteReport {
        matched: rows.len() as u64,
        ..DeleteReport::default()
    };
    if dry_run {
        return Ok(report);
    }
    let mut attachments = BTreeSet::new();
    let mut unlinked = Unlinked::default();
    for (seq, sha2s) in rows {
        // The index tables are keyed by agent / activity first: find their rows through the
        // body.
        let body: Option<String> = tx
            .prepare_cached("SELECT body FROM statements WHERE seq = ?1")
            .and_then(|mut s| s.query_row(params![seq], |r| r.get(0)).optional())
            .map_err(db_error)?;
        if let Some(body) = body {
            unlinked.remove_index_rows(&tx, seq, &decode(&body)?)?;
        }
        report.deleted += tx
            .prepare_cached("DELETE FROM statements WHERE seq = ?1")
            .and_then(|mut s| s.execute(params![seq]))
            .map_err(db_error)? as u64;
        attachments.extend(sha2s);
    }
    unlinked.forget_unused(&tx)?;
    for sha2 in attachments {
        let used = tx
            .prepare_cached("SELECT 1 FROM statements WHERE instr(body, ?1) > 0 LIMIT 1")
            .and_then(|mut s| s.query_row(params![sha2], |_| Ok(())).optional())
            .map_err(db_error)?
            .is_some();
        if !used {
            tx.prepare_cached("DELETE FROM attachments WHERE sha2 = ?1")
                .and_then(|mut s| s.execute(params![sha2]))
                .map_err(db_error)?;
        }
    }
    tx.commit().map_err(db_error)?;
    Ok(report)
}

/// The agents and activities whose rows a deletion removed: those no statement refers to any
/// more leave their dictionary at the end.
#[derive(Default)]
struct Unlinked {
    agents: BTreeSet<i64>,
    activities: BTreeSet<i64>,
}

impl Unlinked {
    /// Removes the agent rows of statement `seq`, found through its body (`statement`).
    fn remove_agent_rows(
        &mut self,
        tx: &Transaction<'_>,
        seq: i64,
        statement: &Value,
    ) -> Result<()> {
        for (ifi, _) in statement_agents(statement) {
            self.unlink(tx, Kind::Agent, &ifi.key(), seq)?;
        }
        Ok(())
    }

    /// Removes the agent and activity rows of statement `seq`, found through its body
    /// (`statement`).
    fn remove_index_rows(
        &mut self,
        tx: &Transaction<'_>,
        seq: i64,
        statement: &Value,
    ) -> Result<()> {
        self.remove_agent_rows(tx, seq, statement)?;
        for (iri, _) in ralph_core::lrs::statement_activities(statement) {
            self.unlink(tx, Kind::Activity, &iri, seq)?;
        }
        Ok(())
    }

    /// Removes the row of statement `seq` for `key` from the side table of `kind`.
    fn unlink(&mut self, tx: &Transaction<'_>, kind: Kind, key: &str, seq: i64) -> Result<()> {
        if let Some(id) = keys::id_of(tx, kind, key)? {
            keys::unlink(tx, kind, id, seq)?;
            match kind {
                Kind::Agent => &mut self.agents,
                Kind::Activity => &mut self.activities,
            }
            .insert(id);
        }
        Ok(())
    }

    /// Deletes the agents and activities no statement refers to any more from their
    /// dictionaries.
    fn forget_unused(&self, tx: &Transaction<'_>) -> Result<()> {
        for id in &self.agents {
            keys::forget_unused(tx, Kind::Agent, *id)?;
        }
        for id in &self.activities {
            keys::forget_unused(tx, Kind::Activity, *id)?;
        }
        Ok(())
    }
}

/// Replaces `agent` by `pseudonym` in the statements of `target`, re-indexing their agents,
/// in one transaction.
pub(crate) fn pseudonymize(
    conn: &mut Connection,
    target: &str,
    agent: &Ifi,
    pseudonym: &Ifi,
    dry_run: bool,
) -> Result<u64> {
    let tx = conn.transaction().map_err(db_error)?;
    let rows: Vec<(i64, String)> = {
        let mut stmt = tx
            .prepare_cached(
                "SELECT s.seq, s.body FROM statements s WHERE s.target = ?1 \
                 AND s.seq IN (SELECT seq FROM agent_statements \
                 WHERE agent = (SELECT id FROM agents WHERE ifi = ?2))",
            )
            .map_err(db_error)?;
        stmt.query_map(params![target, agent.key()], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(db_error)?
            .collect::<rusqlite::Result<_>>()
            .map_err(db_error)?
    };
    let mut changed = 0;
    let mut unlinked = Unlinked::default();
    let mut ids = Ids::default();
    for (seq, body) in rows {
        let mut statement = decode(&body)?;
        let before = statement.clone();
        if !pseudonymize_statement(&mut statement, agent, pseudonym) {
            continue;
        }
        changed += 1;
        if dry_run {
            continue;
        }
        let authority = statement
            .get("authority")
            .and_then(Ifi::of)
            .map(|i| i.key());
        let body = serde_json::to_string(&statement)
            .map_err(|e| Error::backend(format!("sqlite: {e}")))?;
        tx.prepare_cached("UPDATE statements SET body = ?1, authority = ?2 WHERE seq = ?3")
            .and_then(|mut s| s.execute(params![body, authority, seq]))
            .map_err(db_error)?;
        unlinked.remove_agent_rows(&tx, seq, &before)?;
        for (ifi, relation) in statement_agents(&statement) {
            ids.link(
                &tx,
                Kind::Agent,
                &ifi.key(),
                seq,
                relation == Relation::Direct,
            )?;
        }
    }
    if !dry_run {
        unlinked.forget_unused(&tx)?;
        tx.commit().map_err(db_error)?;
    }
    Ok(changed)
}

/// Deletes (counts, on a dry run) the states and agent profiles of `agent` in `target`.
pub(crate) fn delete_agent_documents(
    conn: &Connection,
    target: &str,
    agent: &Ifi,
    dry_run: bool,
) -> Result<u64> {
    let condition = "target = ?1 AND agent = ?2 AND kind IN ('state', 'agent_profile')";
    let count = if dry_run {
        conn.query_row(
            &format!("SELECT count(*) FROM documents WHERE {condition}"),
            params![target, agent.key()],
            |r| r.get::<_, i64>(0),
        )
        .map_err(db_error)? as usize
    } else {
        conn.execute(
            &format!("DELETE FROM documents WHERE {condition}"),
            params![target, agent.key()],
        )
        .map_err(db_error)?
    };
    Ok(count as u64)
}
