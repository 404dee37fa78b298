//! The agents and activities of the statements, by id.
//!
//! The side tables that serve the `agent` and `activity` filters hold integer ids, not the IFI
//! keys and IRIs themselves: every statement written inserts a few rows into them, and an
//! integer key is shorter and faster to compare than a string (the writer takes about a
//! quarter less time per statement with them). The keys are in a dictionary table each,
//! `agents` and `activities`; a key no statement refers to any more is deleted from it, so
//! that deleting a learner's statements leaves no trace of the learner.

use std::collections::HashMap;

use ralph_core::Result;
use rusqlite::{Connection, OptionalExtension, params};

use crate::store::db_error;

/// Agents or activities: which dictionary and which side table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `agents` (IFI keys, see `Ifi::key`) and `agent_statements`.
    Agent,
    /// `activities` (IRIs) and `activity_statements`.
    Activity,
}

/// The queries of one kind.
struct Queries {
    select: &'static str,
    insert: &'static str,
    link: &'static str,
    unlink: &'static str,
    forget_unused: &'static str,
}

impl Kind {
    const fn queries(self) -> &'static Queries {
        match self {
            Self::Agent => &Queries {
                select: "SELECT id FROM agents WHERE ifi = ?1",
                insert: "INSERT INTO agents (ifi) VALUES (?1)",
                link: "INSERT INTO agent_statements (agent, seq, direct) VALUES (?1, ?2, ?3)",
                unlink: "DELETE FROM agent_statements WHERE agent = ?1 AND seq = ?2",
                forget_unused: "DELETE FROM agents WHERE id = ?1 \
                    AND NOT EXISTS (SELECT 1 FROM agent_statements WHERE agent = ?1)",
            },
            Self::Activity => &Queries {
                select: "SELECT id FROM activities WHERE iri = ?1",
                insert: "INSERT INTO activities (iri) VALUES (?1)",
                link: "INSERT INTO activity_statements (activity, seq, direct) VALUES (?1, ?2, ?3)",
                unlink: "DELETE FROM activity_statements WHERE activity = ?1 AND seq = ?2",
                forget_unused: "DELETE FROM activities WHERE id = ?1 \
                    AND NOT EXISTS (SELECT 1 FROM activity_statements WHERE activity = ?1)",
            },
        }
    }
}

/// The id of `key`, if the dictionary of `kind` has it.
pub(crate) fn id_of(conn: &Connection, kind: Kind, key: &str) -> Result<Option<i64>> {
    conn.prepare_cached(kind.queries().select)
        .and_then(|mut s| s.query_row(params![key], |r| r.get(0)).optional())
        .map_err(db_error)
}

/// Removes the row of statement `seq` for the key `id` from the side table of `kind`.
pub(crate) fn unlink(conn: &Connection, kind: Kind, id: i64, seq: i64) -> Result<()> {
    conn.prepare_cached(kind.queries().unlink)
        .and_then(|mut s| s.execute(params![id, seq]))
        .map_err(db_error)
        .map(drop)
}

/// Deletes the key `id` from the dictionary of `kind` if no statement refers to it any more.
pub(crate) fn forget_unused(conn: &Connection, kind: Kind, id: i64) -> Result<()> {
    conn.prepare_cached(kind.queries().forget_unused)
        .and_then(|mut s| s.execute(params![id]))
        .map_err(db_error)
        .map(drop)
}

/// The ids of the keys met in one write transaction: each key is looked up (or added to its
/// dictionary) once per transaction, and never trusted beyond it (a transaction that fails
/// takes its new keys back).
#[derive(Debug, Default)]
pub(crate) struct Ids {
    agents: HashMap<String, i64>,
    activities: HashMap<String, i64>,
}

impl Ids {
    /// The id of `key`, added to the dictionary of `kind` when missing.
    pub(crate) fn get_or_insert(
        &mut self,
        conn: &Connection,
        kind: Kind,
        key: &str,
    ) -> Result<i64> {
        let ids = match kind {
            Kind::Agent => &mut self.agents,
            Kind::Activity => &mut self.activities,
        };
        if let Some(id) = ids.get(key) {
            return Ok(*id);
        }
        let id = match id_of(conn, kind, key)? {
            Some(id) => id,
            None => {
                conn.prepare_cached(kind.queries().insert)
                    .and_then(|mut s| s.execute(params![key]))
                    .map_err(db_error)?;
                conn.last_insert_rowid()
            }
        };
        ids.insert(key.to_owned(), id);
        Ok(id)
    }

    /// Adds the row of statement `seq` for `key` (`direct`: the actor or the object) to the
    /// side table of `kind`.
    pub(crate) fn link(
        &mut self,
        conn: &Connection,
        kind: Kind,
        key: &str,
        seq: i64,
        direct: bool,
    ) -> Result<()> {
        let id = self.get_or_insert(conn, kind, key)?;
        conn.prepare_cached(kind.queries().link)
            .and_then(|mut s| s.execute(params![id, seq, direct]))
            .map_err(db_error)
            .map(drop)
    }
}

/// Moves the side tables of a database made before the dictionaries (`statement_agents` and
/// `statement_activities`, keyed by the strings themselves) into the new ones, in one
/// transaction.
pub(crate) fn migrate(conn: &Connection) -> Result<()> {
    let old: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' \
             AND name IN ('statement_agents', 'statement_activities')",
            [],
            |r| r.get(0),
        )
        .map_err(db_error)?;
    if old == 0 {
        return Ok(());
    }
    conn.execute_batch(
        "BEGIN IMMEDIATE;
         CREATE TABLE IF NOT EXISTS statement_agents (ifi TEXT NOT NULL, seq INTEGER NOT NULL,
             direct INTEGER NOT NULL, PRIMARY KEY (ifi, seq)) WITHOUT ROWID;
         CREATE TABLE IF NOT EXISTS statement_activities (iri TEXT NOT NULL,
             seq INTEGER NOT NULL, direct INTEGER NOT NULL, PRIMARY KEY (iri, seq)) WITHOUT ROWID;
         INSERT OR IGNORE INTO agents (ifi) SELECT DISTINCT ifi FROM statement_agents;
         INSERT OR IGNORE INTO agent_statements (agent, seq, direct)
             SELECT a.id, s.seq, s.direct FROM statement_agents s JOIN agents a ON a.ifi = s.ifi;
         INSERT OR IGNORE INTO activities (iri) SELECT DISTINCT iri FROM statement_activities;
         INSERT OR IGNORE INTO activity_statements (activity, seq, direct)
             SELECT c.id, s.seq, s.direct
             FROM statement_activities s JOIN activities c ON c.iri = s.iri;
         DROP TABLE statement_agents;
         DROP TABLE statement_activities;
         COMMIT;",
    )
    .map_err(|e| {
        // The transaction stays open after a failed statement of the batch.
        let _ = conn.execute_batch("ROLLBACK");
        db_error(e)
    })
}
