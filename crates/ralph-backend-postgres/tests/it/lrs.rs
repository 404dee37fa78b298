//! The shared LRS store suite on the `postgres` store, each test on its own table prefix.

use std::sync::Arc;

use ralph_backend_postgres::{PostgresLrsSettings, PostgresStore};
use ralph_core::ErrorKind;
use ralph_core::lrs::{LrsStore, StatementQuery};
use ralph_core::settings::SecretUrl;
use ralph_testkit::lrs;

/// Settings of a store on the test server with a table prefix no other test uses, or `None`
/// when the test is skipped.
fn settings() -> Option<PostgresLrsSettings> {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let url = ralph_testkit::server_url("RALPH_TEST_POSTGRES_URL")?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    Some(PostgresLrsSettings {
        connection_string: SecretUrl::new(url),
        table_prefix: format!(
            "t{}_{nanos}_{}_",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ),
        ..Default::default()
    })
}

/// A fresh store, or `None` when the test is skipped.
async fn fresh() -> Option<PostgresStore> {
    Some(
        PostgresStore::open(settings()?)
            .await
            .expect("open the postgres store"),
    )
}

/// Runs `check` on a fresh store, then drops its tables.
macro_rules! on_fresh_store {
    ($check:path) => {{
        let Some(store) = fresh().await else { return };
        $check(&store).await;
        store.drop_tables().await.expect("drop tables");
    }};
}

#[tokio::test]
async fn insert_then_get() {
    on_fresh_store!(lrs::insert_then_get);
}

#[tokio::test]
async fn idempotence_and_conflicts() {
    on_fresh_store!(lrs::idempotence_and_conflicts);
}

#[tokio::test]
async fn chunked_batches() {
    on_fresh_store!(lrs::chunked_batches);
}

#[tokio::test]
async fn filters() {
    on_fresh_store!(lrs::filters);
}

#[tokio::test]
async fn paging() {
    on_fresh_store!(lrs::paging);
}

#[tokio::test]
async fn voiding_rules() {
    on_fresh_store!(lrs::voiding_rules);
}

#[tokio::test]
async fn targets_are_disjoint() {
    on_fresh_store!(lrs::targets_are_disjoint);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writers() {
    let Some(store) = fresh().await else { return };
    lrs::concurrent_writers(Arc::new(store.clone())).await;
    store.drop_tables().await.expect("drop tables");
}

#[tokio::test]
async fn filters_follow_statement_refs() {
    on_fresh_store!(lrs::filters_follow_statement_refs);
}

#[tokio::test]
async fn tables_made_before_the_ref_column_are_migrated() {
    let Some(settings) = settings() else { return };
    let store = PostgresStore::open(settings.clone()).await.expect("open");
    store
        .insert(
            None,
            vec![
                lrs::statement(1, "alice", "x", "course"),
                lrs::referencing(2, "bob", "y", 1),
            ],
        )
        .await
        .expect("insert");
    let url = ralph_testkit::server_url("RALPH_TEST_POSTGRES_URL").expect("url");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let prefix = store.table_prefix().to_owned();
    client
        .batch_execute(&format!(
            "DROP INDEX \"{prefix}statements_referencing\"; \
             ALTER TABLE \"{prefix}statements\" DROP COLUMN ref;"
        ))
        .await
        .expect("downgrade to the earlier layout");
    let reopened = PostgresStore::open(settings).await.expect("reopen");
    let page = reopened
        .query(
            None,
            &StatementQuery {
                verb: Some("http://example.org/verbs/x".into()),
                limit: 5,
                ..Default::default()
            },
        )
        .await
        .expect("query");
    let ids: Vec<_> = page.statements.iter().map(|s| s["id"].clone()).collect();
    assert_eq!(
        ids,
        [serde_json::json!(lrs::id(2)), serde_json::json!(lrs::id(1))],
        "the reference of the stored statement was filled in"
    );
    reopened.drop_tables().await.expect("drop tables");
}

#[tokio::test]
async fn documents_round_trip() {
    on_fresh_store!(lrs::documents_round_trip);
}

#[tokio::test]
async fn document_preconditions() {
    on_fresh_store!(lrs::document_preconditions);
}

#[tokio::test]
async fn document_ids_and_deletes() {
    on_fresh_store!(lrs::document_ids_and_deletes);
}

#[tokio::test]
async fn attachments_are_kept_once() {
    on_fresh_store!(lrs::attachments_are_kept_once);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_document_writers() {
    let Some(store) = fresh().await else { return };
    lrs::concurrent_document_writers(Arc::new(store.clone())).await;
    store.drop_tables().await.expect("drop tables");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_the_same_tables_never_store_an_id_twice() {
    let Some(settings) = settings() else { return };
    let (a, b) = tokio::join!(
        PostgresStore::open(settings.clone()),
        PostgresStore::open(settings)
    );
    let (a, b) = (a.expect("open a"), b.expect("open b"));
    let shared = lrs::statement(1, "alice", "completed", "course");
    let mut tasks = Vec::new();
    for n in 0..20_u64 {
        let store = if n % 2 == 0 { a.clone() } else { b.clone() };
        let shared = shared.clone();
        tasks.push(tokio::spawn(async move {
            store
                .insert(
                    None,
                    vec![lrs::statement(100 + n, "bob", "failed", "quiz"), shared],
                )
                .await
        }));
    }
    let mut inserted = 0;
    for task in tasks {
        inserted += task.await.expect("task").expect("insert").len();
    }
    assert_eq!(inserted, 21);
    assert_eq!(
        a.targets().await.expect("targets"),
        vec![(String::new(), 21)]
    );
    a.drop_tables().await.expect("drop tables");
}

#[tokio::test]
async fn a_failed_batch_stores_nothing_and_bad_input_is_refused() {
    let Some(store) = fresh().await else { return };
    let ok = lrs::statement(1, "alice", "completed", "course");
    let mut nul = lrs::statement(2, "alice", "completed", "course");
    nul["verb"]["id"] = serde_json::json!("http://example.org/\u{0}");
    let err = store
        .insert(None, vec![ok, nul])
        .await
        .expect_err("NUL in text");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let err = store
        .insert(None, vec![serde_json::json!({"verb": {}})])
        .await
        .expect_err("no id");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let page = store
        .query(
            None,
            &StatementQuery {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .expect("query");
    assert!(page.statements.is_empty(), "nothing of the batch stored");
    let err = store
        .query(
            None,
            &StatementQuery {
                limit: 10,
                cursor: Some("nope".into()),
                ..Default::default()
            },
        )
        .await
        .expect_err("bad cursor");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    store.drop_tables().await.expect("drop tables");
}

#[tokio::test]
async fn bad_prefixes_and_unreachable_servers_fail_clearly() {
    let err = PostgresStore::open(PostgresLrsSettings {
        table_prefix: "bad-prefix".into(),
        ..Default::default()
    })
    .await
    .expect_err("bad prefix");
    assert!(err.to_string().contains("table_prefix"), "{err}");
    let err = PostgresStore::open(PostgresLrsSettings {
        connection_string: SecretUrl::new("postgres://u:secret@127.0.0.1:9/ralph"),
        connect_timeout: 1.0,
        ..Default::default()
    })
    .await
    .expect_err("nothing listens on port 9");
    let text = err.to_string();
    assert!(text.contains("127.0.0.1:9"), "{text}");
    assert!(!text.contains("secret"), "{text}");
}

mod privacy {
    //! The shared deletion, retention and pseudonymisation suite.

    use ralph_testkit::privacy;

    use super::fresh;

    #[tokio::test]
    async fn delete_by_each_field() {
        on_fresh_store!(privacy::delete_by_each_field);
    }

    #[tokio::test]
    async fn purge_by_stored_time() {
        on_fresh_store!(privacy::purge_by_stored_time);
    }

    #[tokio::test]
    async fn deleted_attachments_go() {
        on_fresh_store!(privacy::deleted_attachments_go);
    }

    #[tokio::test]
    async fn agent_documents_go() {
        on_fresh_store!(privacy::agent_documents_go);
    }

    #[tokio::test]
    async fn pseudonymize_agent() {
        on_fresh_store!(privacy::pseudonymize_agent);
    }
}

/// Every xAPI filter can be served by an index read in page order: with sequential scans and
/// sorts disabled, the plan of each page query names the index and has neither (PostgreSQL
/// still picks a disabled plan when nothing else can answer, so dropping an index fails this).
#[tokio::test]
async fn every_filter_is_an_index_read_in_page_order() {
    use chrono::{DateTime, Utc};
    use ralph_core::lrs::Ifi;
    use ralph_core::lrs::sql::{self, Dialect, SqlParam, StatementTables};
    use tokio_postgres::types::ToSql;

    let Some(store) = fresh().await else { return };
    // One statement in 100 has the rare actor, verb, activity, registration, parent and
    // authority the queries look for: the planner prefers the index for them.
    let statements = (0..1000)
        .map(|n| {
            let rare = n % 100 == 0;
            let mut s = lrs::statement(
                n + 1,
                if rare { "rare" } else { "common" },
                if rare { "rare" } else { "common" },
                if rare { "rare" } else { "common" },
            );
            if rare {
                s["context"] = serde_json::json!({
                    "registration": "6fbd600f-d17c-4c74-801a-2ec2e53231c7",
                    "contextActivities": {"parent": [{"id": "http://example.org/activities/course"}]}
                });
                s["authority"] = serde_json::json!({"mbox": "mailto:other@example.org"});
            }
            s
        })
        .collect();
    store.insert(None, statements).await.expect("insert");
    let url = ralph_testkit::server_url("RALPH_TEST_POSTGRES_URL").expect("url");
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let p = store.table_prefix().to_owned();
    client
        .batch_execute(&format!(
            "ANALYZE \"{p}statements\", \"{p}statement_agents\", \"{p}statement_activities\"; \
             SET enable_seqscan = off; SET enable_sort = off; SET enable_bitmapscan = off;"
        ))
        .await
        .expect("analyze");
    let (statements, agents, activities) = (
        format!("\"{p}statements\""),
        format!("\"{p}statement_agents\""),
        format!("\"{p}statement_activities\""),
    );
    let tables = StatementTables::keyed_by_text(&statements, &agents, &activities);
    let since = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
        .map(|t| t.to_utc())
        .ok();
    let agent = Some(Ifi::Mbox("mailto:rare@example.org".into()));
    let base = StatementQuery {
        limit: 100,
        ..StatementQuery::default()
    };
    let cases: Vec<(&str, StatementQuery, String)> = vec![
        ("default", base.clone(), format!("{p}statements_")),
        (
            "ascending with cursor",
            StatementQuery {
                ascending: true,
                cursor: Some("10".into()),
                ..base.clone()
            },
            format!("{p}statements_"),
        ),
        (
            "agent",
            StatementQuery {
                agent: agent.clone(),
                ..base.clone()
            },
            format!("{p}statement_agents_pkey"),
        ),
        (
            "related agents",
            StatementQuery {
                agent: Some(Ifi::Mbox("mailto:other@example.org".into())),
                related_agents: true,
                cursor: Some("950".into()),
                ..base.clone()
            },
            format!("{p}statement_agents_pkey"),
        ),
        (
            "verb",
            StatementQuery {
                verb: Some("http://example.org/verbs/rare".into()),
                ..base.clone()
            },
            format!("{p}statements_verb"),
        ),
        (
            "activity",
            StatementQuery {
                activity: Some("http://example.org/activities/rare".into()),
                ..base.clone()
            },
            format!("{p}statement_activities_pkey"),
        ),
        (
            "related activities",
            StatementQuery {
                activity: Some("http://example.org/activities/course".into()),
                related_activities: true,
                ..base.clone()
            },
            format!("{p}statement_activities_pkey"),
        ),
        (
            "registration",
            StatementQuery {
                registration: Some("6fbd600f-d17c-4c74-801a-2ec2e53231c7".into()),
                ..base.clone()
            },
            format!("{p}statements_registration"),
        ),
        (
            "authority",
            StatementQuery {
                authority: Some(Ifi::Mbox("mailto:other@example.org".into())),
                ..base.clone()
            },
            format!("{p}statements_authority"),
        ),
        (
            "since",
            StatementQuery {
                since,
                ..base.clone()
            },
            format!("{p}statements_"),
        ),
        (
            "until",
            StatementQuery {
                until: since,
                ascending: true,
                ..base.clone()
            },
            format!("{p}statements_"),
        ),
        (
            "agent, activity and verb",
            StatementQuery {
                agent,
                activity: Some("http://example.org/activities/rare".into()),
                verb: Some("http://example.org/verbs/rare".into()),
                ..base.clone()
            },
            "_pkey".to_owned(),
        ),
    ];
    for (name, query, expected) in cases {
        let q = sql::statement_page(Dialect::Postgres, tables, "", &query).expect("page sql");
        let params: Vec<Box<dyn ToSql + Sync + Send>> = q
            .params
            .into_iter()
            .map(|param| -> Box<dyn ToSql + Sync + Send> {
                match param {
                    SqlParam::Text(text) => Box::new(text),
                    SqlParam::Integer(n) => Box::new(n),
                    SqlParam::Time(at) => Box::new(at),
                    SqlParam::NoTime => Box::new(None::<DateTime<Utc>>),
                }
            })
            .collect();
        let refs: Vec<&(dyn ToSql + Sync)> = params
            .iter()
            .map(|p| p.as_ref() as &(dyn ToSql + Sync))
            .collect();
        let plan: Vec<String> = client
            .query(&format!("EXPLAIN {}", q.sql), &refs)
            .await
            .expect("explain")
            .iter()
            .map(|row| row.get(0))
            .collect();
        let plan = plan.join("\n");
        assert!(
            plan.contains(&expected),
            "{name}: expected `{expected}` in\n{plan}"
        );
        assert!(!plan.contains("Seq Scan"), "{name}: a scan in\n{plan}");
        assert!(!plan.contains("Sort"), "{name}: a sort in\n{plan}");
    }
    store.drop_tables().await.expect("drop tables");
}
