//! Behaviours of `clickhouse`: typed parameters, timestamps, duplicate ids, statement tables.

use futures::TryStreamExt;
use ralph_backend_clickhouse::{ClickHouseBackend, ClickHouseSettings, ClickHouseStore};
use ralph_core::lrs::{Ifi, LrsStore, StatementQuery};
use ralph_core::{
    DataBackend, ErrorKind, ListEntry, Listable, ReadRequest, Writable, WriteOptions, WriteReport,
};
use ralph_testkit::{lines, raw_input, read_json, sample_id};
use serde_json::{Value, json};

use crate::{ClickHouse, unique};

fn statement(i: u64, actor: &str, verb: &str) -> Value {
    json!({
        "id": sample_id("st", i),
        "actor": {"objectType": "Agent", "mbox": format!("mailto:{actor}@example.org")},
        "verb": {"id": format!("http://example.org/verbs/{verb}")},
        "object": {"objectType": "Activity", "id": "http://example.org/activities/course"},
        "timestamp": format!("2024-01-15T10:00:{:02}+00:00", i % 60),
        "n": i,
    })
}

async fn write(
    backend: &ClickHouseBackend,
    table: &str,
    records: &[Value],
    ignore_errors: bool,
) -> ralph_core::Result<WriteReport> {
    backend
        .write(
            raw_input(lines(records)),
            WriteOptions {
                target: Some(table.to_owned()),
                ignore_errors,
                ..Default::default()
            },
        )
        .await
}

async fn query(
    backend: &ClickHouseBackend,
    table: &str,
    q: Value,
) -> ralph_core::Result<Vec<Value>> {
    read_json(
        backend,
        ReadRequest {
            target: Some(table.to_owned()),
            query: Some(q.to_string()),
            ..Default::default()
        },
    )
    .await
}

async fn count(backend: &ClickHouseBackend, table: &str) -> u64 {
    backend
        .client()
        .query(&format!("SELECT count() FROM `{table}`"))
        .fetch_one::<u64>()
        .await
        .expect("count")
}

#[tokio::test]
async fn a_hostile_value_is_a_typed_parameter_and_changes_nothing() {
    let Some(c) = ClickHouse::with(|_| {}).await else {
        return;
    };
    let table = unique("hostile");
    let records: Vec<Value> = (0..5).map(|i| statement(i, "alice", "completed")).collect();
    write(&c.backend, &table, &records, false)
        .await
        .expect("write");
    for hostile in [
        "x'; DROP TABLE {table}; --",
        "' OR 1=1 --",
        "\\' OR '1'='1",
        "completed') OR ('1'='1",
        "\"; DROP DATABASE ralph_test; --",
    ] {
        let hostile = hostile.replace("{table}", &table);
        let found = query(
            &c.backend,
            &table,
            json!({
                "where": "JSONExtractString(event, 'verb', 'id') = {verb:String}",
                "parameters": {"verb": hostile},
            }),
        )
        .await
        .expect("the value is bound, not spliced");
        assert!(found.is_empty(), "{hostile}: {found:?}");
    }
    // The same filter with an honest value finds the records; the table is untouched.
    let found = query(
        &c.backend,
        &table,
        json!({
            "where": ["JSONExtractString(event, 'verb', 'id') = {verb:String}", "JSONExtractInt(event, 'n') >= {min:Int64}"],
            "parameters": {"verb": "http://example.org/verbs/completed", "min": 3},
        }),
    )
    .await
    .expect("query");
    assert_eq!(found, records[3..].to_vec());
    assert_eq!(count(&c.backend, &table).await, 5);

    // A hostile target is refused before anything is sent.
    let err = query(
        &c.backend,
        &format!("{table}; DROP TABLE {table}"),
        json!({}),
    )
    .await
    .expect_err("bad table name");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");

    // The LRS store binds its filters the same way.
    let Some(settings) = crate::lrs::settings() else {
        return;
    };
    let store = ClickHouseStore::open(settings).await.expect("store");
    let mut s = ralph_testkit::lrs::statement(1, "alice", "completed", "course");
    s["verb"]["id"] = json!("x'; DROP TABLE xapi_events_all; --");
    store.insert(None, vec![s.clone()]).await.expect("insert");
    for verb in ["x'; DROP TABLE xapi_events_all; --", "' OR 1=1 --"] {
        let page = store
            .query(
                None,
                &StatementQuery {
                    verb: Some(verb.into()),
                    agent: Some(Ifi::Mbox("mailto:alice@example.org' OR '1'='1".into())),
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .expect("query");
        assert!(page.statements.is_empty());
    }
    let page = store
        .query(
            None,
            &StatementQuery {
                verb: Some("x'; DROP TABLE xapi_events_all; --".into()),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .expect("query");
    assert_eq!(page.statements, vec![s]);
    store.drop_database().await.expect("drop");
}

#[tokio::test]
async fn records_without_a_timestamp_are_refused_or_skipped() {
    let Some(c) = ClickHouse::with(|_| {}).await else {
        return;
    };
    let table = unique("timestamps");
    let mut records: Vec<Value> = (0..4).map(|i| statement(i, "alice", "completed")).collect();
    records[2]
        .as_object_mut()
        .expect("object")
        .remove("timestamp");
    let err = write(&c.backend, &table, &records, false)
        .await
        .expect_err("record 3 has no timestamp");
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("line 3"), "{err}");
    assert!(err.to_string().contains("timestamp"), "{err}");
    assert_eq!(
        err.written(),
        Some(3),
        "the good records of the chunk are written, and counted"
    );
    assert_eq!(count(&c.backend, &table).await, 3);

    let table = unique("timestamps");
    let report = write(&c.backend, &table, &records, true)
        .await
        .expect("ignore errors");
    assert_eq!((report.written, report.skipped), (3, 1));

    // edX events carry their time in `time`.
    let edx = json!({"event_type": "play_video", "time": "2024-01-15T10:00:00.123456+00:00"});
    let report = write(&c.backend, &table, std::slice::from_ref(&edx), false)
        .await
        .expect("edX event");
    assert_eq!(report.written, 1);
    let back = query(
        &c.backend,
        &table,
        json!({"select": ["toString(emission_time) AS t", "event"], "where": "JSONHas(event, 'event_type')"}),
    )
    .await
    .expect("read");
    assert_eq!(
        back,
        vec![json!({"t": "2024-01-15 10:00:00.123456", "event": edx})]
    );
}

#[tokio::test]
async fn duplicate_and_stored_ids_are_reported_per_record() {
    let Some(c) = ClickHouse::with(|_| {}).await else {
        return;
    };
    let table = unique("dups");
    let mut records: Vec<Value> = (0..3).map(|i| statement(i, "alice", "completed")).collect();
    records.push(statement(1, "bob", "failed"));
    let err = write(&c.backend, &table, &records, false)
        .await
        .expect_err("id 1 twice");
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert!(err.to_string().contains("line 4"), "{err}");
    assert!(err.to_string().contains("duplicate id"), "{err}");
    assert!(err.to_string().contains("line 2"), "names the first: {err}");
    let report = write(&c.backend, &table, &records, true)
        .await
        .expect("ignore errors");
    assert_eq!(
        (report.written, report.skipped),
        (0, 4),
        "three already stored, one repeated"
    );
    assert_eq!(count(&c.backend, &table).await, 3);
    let err = write(
        &c.backend,
        &table,
        &[json!({"id": "nope", "timestamp": "2024-01-01T00:00:00Z"})],
        false,
    )
    .await
    .expect_err("not a uuid");
    assert!(err.to_string().contains("not a UUID"), "{err}");
}

#[tokio::test]
async fn listing_selecting_and_errors() {
    let Some(c) = ClickHouse::with(|_| {}).await else {
        return;
    };
    let table = unique("list");
    write(
        &c.backend,
        &table,
        &[statement(1, "alice", "completed")],
        false,
    )
    .await
    .expect("write");
    let details: Vec<ListEntry> = c
        .backend
        .list(None, true, false)
        .await
        .expect("list")
        .try_collect()
        .await
        .expect("entries");
    let mine = details
        .iter()
        .find_map(|e| match e {
            ListEntry::Details(d) if d["name"] == json!(table) => Some(d.clone()),
            _ => None,
        })
        .expect("listed");
    assert_eq!(mine["engine"], json!("MergeTree"));
    assert!(c.backend.list(None, false, true).await.is_err(), "--new");

    let rows = query(
        &c.backend,
        &table,
        json!({"select": ["event_id", "event"], "limit": 1}),
    )
    .await
    .expect("select");
    assert_eq!(rows[0]["event_id"], json!(sample_id("st", 1)));
    assert_eq!(rows[0]["event"]["n"], json!(1));

    let err = query(&c.backend, "no_such_table_here", json!({}))
        .await
        .expect_err("missing table");
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = query(&c.backend, &table, json!({"where": "nonsense((("}))
        .await
        .expect_err("syntax");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let err = query(
        &c.backend,
        &table,
        json!({"where": "event = {missing:String}"}),
    )
    .await
    .expect_err("unbound placeholder");
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[tokio::test]
async fn an_unreachable_server_is_named() {
    let backend = ClickHouseBackend::new(ClickHouseSettings {
        host: "127.0.0.1".into(),
        port: 1,
        password: Some(ralph_core::settings::Secret::new("secret")),
        ..Default::default()
    })
    .expect("backend");
    assert_eq!(backend.status().await, ralph_core::BackendStatus::Away);
    let err = query(&backend, "t", json!({}))
        .await
        .expect_err("nothing on port 1");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
    assert!(!err.to_string().contains("secret"), "{err}");
}

/// Rich statements: groups, sub-statements, context activities as a list and as one object,
/// instructors, teams, every IFI kind, a voiding statement.
fn rich_statements() -> Vec<Value> {
    let t = "2024-02-01T00:00:00+00:00";
    vec![
        json!({"id": sample_id("rich", 1), "timestamp": t, "stored": t,
            "actor": {"objectType": "Group", "mbox": "mailto:g@example.org",
                "member": [{"mbox_sha1sum": "ABCDEF"}, {"account": {"homePage": "http://h", "name": "m"}}]},
            "verb": {"id": "http://example.org/verbs/a"},
            "object": {"id": "http://example.org/act/1"},
            "context": {"registration": "AAAAAAAA-0000-4000-8000-000000000001",
                "instructor": {"openid": "http://openid/i"},
                "team": {"objectType": "Group", "member": [{"mbox": "mailto:t@example.org"}]},
                "contextActivities": {"parent": [{"id": "http://example.org/p1"}, {"id": "http://example.org/p2"}],
                    "grouping": {"id": "http://example.org/g"}}},
            "authority": {"mbox": "mailto:auth@example.org"}}),
        json!({"id": sample_id("rich", 2), "timestamp": t, "stored": t,
            "actor": {"mbox": "mailto:a@example.org"},
            "verb": {"id": "http://example.org/verbs/b"},
            "object": {"objectType": "SubStatement",
                "actor": {"mbox": "mailto:sub@example.org"},
                "verb": {"id": "http://example.org/verbs/c"},
                "object": {"objectType": "Agent", "account": {"homePage": "http://h", "name": "o"}},
                "context": {"instructor": {"mbox": "mailto:si@example.org"},
                    "contextActivities": {"other": [{"id": "http://example.org/o"}]}}}}),
        json!({"id": sample_id("rich", 3), "timestamp": t, "stored": t,
            "actor": {"mbox": "mailto:a@example.org"},
            "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
            "object": {"objectType": "StatementRef", "id": sample_id("rich", 2).to_uppercase()}}),
        json!({"id": sample_id("rich", 4), "timestamp": t, "stored": t,
            "actor": {"mbox": "mailto:a@example.org"},
            "verb": {"id": "http://example.org/verbs/d"},
            "object": {"objectType": "Group", "mbox": "mailto:og@example.org",
                "member": [{"openid": "http://openid/m"}]}}),
    ]
}

const COLUMNS: &str = "toString(event_id) AS id, verb, activity, registration, authority, voids, ref, \
    arraySort(agents) AS agents, arraySort(related_agents) AS related_agents, \
    arraySort(related_activities) AS related_activities";

/// The filter columns computed in SQL for rows written by another writer equal the ones the
/// store computes with `ralph_core::lrs`, and such a table serves the LRS.
#[tokio::test]
async fn a_ralph_table_becomes_a_statement_table_with_the_same_filter_columns() {
    let Some(settings) = crate::lrs::settings() else {
        return;
    };
    // The store fills the columns itself in its default table.
    let store = ClickHouseStore::open(settings.clone())
        .await
        .expect("store");
    store.insert(None, rich_statements()).await.expect("insert");
    // A table of Ralph's layout, written as Ralph's Python backend writes it.
    let backend = ClickHouseBackend::new(ClickHouseSettings {
        host: settings.host.clone(),
        port: settings.port,
        database: settings.database.clone(),
        ..Default::default()
    })
    .expect("backend");
    write(&backend, "legacy", &rich_statements(), false)
        .await
        .expect("write the Ralph table");
    // The store opens it as a target: the columns are added and computed from `event`.
    let page = store
        .query(
            Some("legacy"),
            &StatementQuery {
                agent: Some(Ifi::Mbox("mailto:t@example.org".into())),
                related_agents: true,
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .expect("query");
    assert_eq!(page.statements.len(), 1);
    let read = |table: &str| {
        let client = backend.client().clone();
        let sql = format!("SELECT {COLUMNS} FROM `{table}` ORDER BY id FORMAT JSONEachRow");
        async move {
            let bytes = client
                .query(&sql)
                .fetch_bytes("JSONEachRow")
                .expect("query")
                .collect()
                .await
                .expect("rows");
            String::from_utf8(bytes.to_vec()).expect("utf-8")
        }
    };
    // ClickHouse escapes `/` in JSON strings.
    let by_store = read("xapi_events_all").await.replace("\\/", "/");
    let by_sql = read("legacy").await.replace("\\/", "/");
    assert_eq!(by_sql, by_store);
    assert!(by_store.contains("mbox_sha1sum:abcdef"), "{by_store}");
    assert!(by_store.contains("http://example.org/g"), "{by_store}");
    // Voided statements are left out in both.
    for target in [None, Some("legacy")] {
        let all = store
            .query(
                target,
                &StatementQuery {
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .expect("query");
        assert_eq!(all.statements.len(), 3, "{target:?}");
        let voided = store
            .get(target, &sample_id("rich", 2))
            .await
            .expect("get")
            .expect("found");
        assert!(voided.voided);
    }
    // The data backend fills the columns when it writes to a statement table.
    let mut more = rich_statements();
    for (i, s) in more.iter_mut().enumerate() {
        s["id"] = json!(sample_id("more", i as u64));
    }
    write(&backend, "xapi_events_all", &more, false)
        .await
        .expect("write to the statement table");
    let page = store
        .query(
            None,
            &StatementQuery {
                activity: Some("http://example.org/o".into()),
                related_activities: true,
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .expect("query");
    // Statement 2 of each batch has that context activity; the first batch's is voided, and
    // the second batch's voiding statement names the first batch's id again. Both voiding
    // statements target a statement with that activity, so they match too (xAPI's
    // StatementRef rule): the second batch's statement 2 and the two voiding statements.
    assert_eq!(page.statements.len(), 3, "{:?}", page.statements);
    store.drop_database().await.expect("drop");
}
