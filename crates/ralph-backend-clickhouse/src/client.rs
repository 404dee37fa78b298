//! The HTTP client, error mapping, identifiers and table layouts shared by the backend and the
//! store.

use clickhouse::Client;
use ralph_core::{Error, ErrorKind, Result};
use serde_json::Value;

use crate::settings::Connection;

/// A client for the server of `connection`, with its settings sent on every query.
pub(crate) fn client(connection: &Connection<'_>, key: &str) -> Result<(Client, String)> {
    check_identifier(connection.database)
        .map_err(|err| Error::config(format!("setting `{key}.database`: {}", err.message())))?;
    let server = format!("{}:{}", connection.host, connection.port);
    let mut client = Client::default()
        .with_url(format!("http://{server}"))
        .with_database(connection.database)
        .with_product_info("ralph", env!("CARGO_PKG_VERSION"));
    if let Some(user) = connection.username {
        client = client.with_user(user);
    }
    if let Some(password) = connection.password {
        client = client.with_password(password.expose());
    }
    for (name, value) in connection.client_options {
        let value = match value {
            Value::String(s) => s.clone(),
            Value::Bool(b) => u8::from(*b).to_string(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        client = client.with_setting(name, value);
    }
    Ok((client, server))
}

/// A ClickHouse error as a ralph error naming the server.
pub(crate) fn ch_error(server: &str, err: clickhouse::error::Error) -> Error {
    use clickhouse::error::Error as E;
    let kind = match &err {
        E::Network(_) | E::TimedOut => ErrorKind::Unavailable,
        E::BadResponse(text) => kind_of_code(exception_code(text)),
        E::InvalidParams(_) => ErrorKind::InvalidInput,
        _ => ErrorKind::Backend,
    };
    let mut detail = match &err {
        E::BadResponse(text) => text.trim().to_owned(),
        other => other.to_string(),
    };
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !detail.contains(&text) {
            detail.push_str(&format!(": {text}"));
        }
        source = cause.source();
    }
    // ClickHouse quotes whole queries in some messages: keep the start.
    if detail.len() > 2000 {
        let mut end = 2000;
        while !detail.is_char_boundary(end) {
            end -= 1;
        }
        detail.truncate(end);
        detail.push_str(" [...]");
    }
    Error::new(kind, format!("clickhouse at `{server}`: {detail}"))
}

/// The exception code of a ClickHouse error text (`Code: 60. DB::Exception: ...`).
pub(crate) fn exception_code(text: &str) -> Option<u32> {
    let rest = &text[text.find("Code: ")? + 6..];
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn kind_of_code(code: Option<u32>) -> ErrorKind {
    match code {
        // UNKNOWN_TABLE, UNKNOWN_DATABASE
        Some(60 | 81) => ErrorKind::NotFound,
        // AUTHENTICATION_FAILED, UNKNOWN_USER, WRONG_PASSWORD, ACCESS_DENIED, NOT_ENOUGH_PRIVILEGES
        Some(516 | 192 | 193 | 194 | 497) => ErrorKind::PermissionDenied,
        // TABLE_ALREADY_EXISTS
        Some(57) => ErrorKind::Conflict,
        // syntax, unknown identifier or function, type mismatch, bad arguments, bad query
        // parameters, cannot parse
        Some(
            6 | 27 | 26 | 36 | 38 | 41 | 42 | 43 | 46 | 47 | 53 | 62 | 69 | 70 | 72 | 117 | 131
            | 184 | 215 | 352 | 456 | 457,
        ) => ErrorKind::InvalidInput,
        _ => ErrorKind::Backend,
    }
}

/// Whether `name` is a plain identifier: a letter or `_`, then letters, digits and `_`.
pub(crate) fn check_identifier(name: &str) -> Result<()> {
    let valid = !name.is_empty()
        && name.len() <= 200
        && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "invalid name `{name}`: use letters, digits and `_`, not starting with a digit"
        )))
    }
}

/// A table name, `table` or `database.table`, checked and quoted with backticks.
pub fn quote_table(name: &str) -> Result<String> {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.len() > 2 {
        return Err(Error::invalid_input(format!(
            "invalid table `{name}`: use `table` or `database.table`"
        )));
    }
    let mut out = Vec::with_capacity(parts.len());
    for part in parts {
        check_identifier(part).map_err(|_| {
            Error::invalid_input(format!(
                "invalid table `{name}`: use letters, digits and `_` (`table` or `database.table`)"
            ))
        })?;
        out.push(format!("`{part}`"));
    }
    Ok(out.join("."))
}

/// Ralph's table layout: the event id, its emission time and the event as JSON text, sorted by
/// time then id.
pub fn ralph_table_sql(table: &str) -> Result<String> {
    let table = quote_table(table)?;
    Ok(format!(
        "CREATE TABLE IF NOT EXISTS {table} (\n  \
           event_id UUID NOT NULL,\n  \
           emission_time DateTime64(6) NOT NULL,\n  \
           event String NOT NULL\n\
         ) ENGINE = MergeTree ORDER BY (emission_time, event_id)"
    ))
}

/// The SQL of the inverse functional identifier of the agent at `path` of JSON `doc`, in the
/// form of [`ralph_core::lrs::Ifi::key`] (`mbox:mailto:...`, `account:<homePage> <name>`), or
/// `''`.
fn ifi_sql(doc: &str, path: &[&str]) -> String {
    let at = |keys: &[&str]| {
        let mut args = vec![doc.to_owned()];
        args.extend(path.iter().chain(keys).map(|k| format!("'{k}'")));
        args.join(", ")
    };
    let is_string = |keys: &[&str]| format!("JSONType({}) = 'String'", at(keys));
    let text = |keys: &[&str]| format!("JSONExtractString({})", at(keys));
    format!(
        "multiIf({}, concat('mbox:', {}), {}, concat('mbox_sha1sum:', lower({})), {}, concat('openid:', {}), \
         {} AND {}, concat('account:', {}, ' ', {}), '')",
        is_string(&["mbox"]),
        text(&["mbox"]),
        is_string(&["mbox_sha1sum"]),
        text(&["mbox_sha1sum"]),
        is_string(&["openid"]),
        text(&["openid"]),
        is_string(&["account", "homePage"]),
        is_string(&["account", "name"]),
        text(&["account", "homePage"]),
        text(&["account", "name"]),
    )
}

/// The IFIs of the members of the group at `path` (empty for agents).
fn members_sql(path: &[&str]) -> String {
    let mut args = vec!["event".to_owned()];
    args.extend(path.iter().map(|k| format!("'{k}'")));
    args.push("'member'".to_owned());
    format!(
        "arrayMap(m -> {}, JSONExtractArrayRaw({}))",
        ifi_sql("m", &[]),
        args.join(", ")
    )
}

/// The agent at `path` and its members.
fn agent_and_members_sql(path: &[&str]) -> String {
    format!(
        "arrayConcat([{}], {})",
        ifi_sql("event", path),
        members_sql(path)
    )
}

fn text_at(path: &[&str]) -> String {
    let keys: Vec<String> = path.iter().map(|k| format!("'{k}'")).collect();
    format!("JSONExtractString(event, {})", keys.join(", "))
}

/// Every agent of the statement (or sub-statement) at `prefix`, as `statement_agents` finds
/// them: actor, agent object, authority, instructor, team, with group members.
fn all_agents_sql(prefix: &[&str]) -> String {
    let path =
        |keys: &[&'static str]| -> Vec<&str> { prefix.iter().chain(keys).copied().collect() };
    let object_type = text_at(&path(&["object", "objectType"]));
    format!(
        "arrayConcat({}, if({object_type} IN ('Agent', 'Group'), {}, []), {}, {}, {})",
        agent_and_members_sql(&path(&["actor"])),
        agent_and_members_sql(&path(&["object"])),
        agent_and_members_sql(&path(&["authority"])),
        agent_and_members_sql(&path(&["context", "instructor"])),
        agent_and_members_sql(&path(&["context", "team"])),
    )
}

/// The activity id of the object at `prefix` when the object is an activity, or `''`.
fn object_activity_sql(prefix: &[&str]) -> String {
    let path =
        |keys: &[&'static str]| -> Vec<&str> { prefix.iter().chain(keys).copied().collect() };
    let mut type_args = vec!["event".to_owned()];
    type_args.extend(path(&["object", "id"]).iter().map(|k| format!("'{k}'")));
    format!(
        "if({} IN ('', 'Activity') AND JSONType({}) = 'String', {}, '')",
        text_at(&path(&["object", "objectType"])),
        type_args.join(", "),
        text_at(&path(&["object", "id"])),
    )
}

/// The ids of the context activities at `prefix` (each category a list or a single activity).
fn context_activities_sql(prefix: &[&str]) -> String {
    let mut args = vec!["event".to_owned()];
    args.extend(
        prefix
            .iter()
            .chain(&["context", "contextActivities"])
            .map(|k| format!("'{k}'")),
    );
    let object = args.join(", ");
    // Members by position (1-based): the functions listing keys are not in every build.
    format!(
        "if(JSONType({object}) = 'Object', arrayFlatten(arrayMap(i -> if(JSONType({object}, i) = 'Array', \
         arrayMap(a -> JSONExtractString(a, 'id'), JSONExtractArrayRaw({object}, i)), \
         [JSONExtractString({object}, i, 'id')]), range(1, JSONLength({object}) + 1))), [])"
    )
}

/// The columns the LRS store adds to Ralph's layout for the statement filters:
/// `(name, type, expression)`. Writers of this crate fill them from
/// `ralph_core::lrs::statement_agents` and `statement_activities`; the expression computes the
/// same value from `event` in SQL, to backfill rows written by other writers (see
/// [`lrs_backfill_sql`]). Evaluating such expressions on every insert costs the server about
/// 0.15 s per insert, hence values computed by the writer.
pub(crate) fn lrs_columns() -> Vec<(&'static str, &'static str, String)> {
    let substatement = format!("{} = 'SubStatement'", text_at(&["object", "objectType"]));
    let object_is_agent = format!(
        "{} IN ('Agent', 'Group')",
        text_at(&["object", "objectType"])
    );
    let clean = |array: String| format!("arrayDistinct(arrayFilter(x -> x != '', {array}))");
    vec![
        ("verb", "String", text_at(&["verb", "id"])),
        ("activity", "String", object_activity_sql(&[])),
        (
            "registration",
            "String",
            format!("lower({})", text_at(&["context", "registration"])),
        ),
        ("authority", "String", ifi_sql("event", &["authority"])),
        (
            "voids",
            "String",
            format!(
                "if({} = '{}' AND {} = 'StatementRef', lower({}), '')",
                text_at(&["verb", "id"]),
                ralph_core::lrs::VOIDED_VERB,
                text_at(&["object", "objectType"]),
                text_at(&["object", "id"]),
            ),
        ),
        (
            "ref",
            "String",
            format!(
                "if({} = 'StatementRef', lower({}), '')",
                text_at(&["object", "objectType"]),
                text_at(&["object", "id"]),
            ),
        ),
        (
            "agents",
            "Array(String)",
            clean(format!(
                "[{}, if({object_is_agent}, {}, '')]",
                ifi_sql("event", &["actor"]),
                ifi_sql("event", &["object"])
            )),
        ),
        (
            "related_agents",
            "Array(String)",
            clean(format!(
                "arrayConcat({}, if({substatement}, {}, []))",
                all_agents_sql(&[]),
                all_agents_sql(&["object"])
            )),
        ),
        (
            "related_activities",
            "Array(String)",
            clean(format!(
                "arrayConcat([{}], {}, if({substatement}, arrayConcat([{}], {}), []))",
                object_activity_sql(&[]),
                context_activities_sql(&[]),
                object_activity_sql(&["object"]),
                context_activities_sql(&["object"]),
            )),
        ),
    ]
}

/// The statement table of the LRS store: Ralph's layout plus the filter columns `verb`,
/// `activity`, `registration`, `authority`, `voids`, `ref`, `agents`, `related_agents` and
/// `related_activities` (filled by the writer: the store, or the data backend writing to such a
/// table) and skipping indexes on them.
pub fn lrs_table_sql(table: &str) -> Result<String> {
    let quoted = quote_table(table)?;
    let mut columns = vec![
        "event_id UUID NOT NULL".to_owned(),
        "emission_time DateTime64(6) NOT NULL".to_owned(),
        "event String NOT NULL".to_owned(),
    ];
    for (name, ty, _) in lrs_columns() {
        columns.push(format!("{name} {ty}"));
    }
    columns.extend(lrs_indexes().into_iter().map(|i| format!("INDEX {i}")));
    Ok(format!(
        "CREATE TABLE IF NOT EXISTS {quoted} (\n  {}\n) ENGINE = MergeTree ORDER BY (emission_time, event_id)",
        columns.join(",\n  ")
    ))
}

/// The `ALTER TABLE` that brings a table of Ralph's layout to the store's layout (a no-op on a
/// table that has it).
pub(crate) fn lrs_upgrade_sql(table: &str) -> Result<String> {
    let quoted = quote_table(table)?;
    let mut clauses: Vec<String> = lrs_columns()
        .into_iter()
        .map(|(name, ty, _)| format!("ADD COLUMN IF NOT EXISTS {name} {ty}"))
        .collect();
    clauses.extend(
        lrs_indexes()
            .into_iter()
            .map(|i| format!("ADD INDEX IF NOT EXISTS {i}")),
    );
    Ok(format!("ALTER TABLE {quoted} {}", clauses.join(", ")))
}

/// The mutation that computes the filter columns of every row from its `event`, for rows
/// written by a writer that does not fill them (Ralph's Python backend, other tools).
pub fn lrs_backfill_sql(table: &str) -> Result<String> {
    let quoted = quote_table(table)?;
    let assignments: Vec<String> = lrs_columns()
        .into_iter()
        .map(|(name, _, expression)| format!("{name} = {expression}"))
        .collect();
    Ok(format!(
        "ALTER TABLE {quoted} UPDATE {} WHERE 1",
        assignments.join(", ")
    ))
}

fn lrs_indexes() -> Vec<&'static str> {
    vec![
        "event_id_bf event_id TYPE bloom_filter GRANULARITY 1",
        "verb_bf verb TYPE bloom_filter GRANULARITY 1",
        "activity_bf activity TYPE bloom_filter GRANULARITY 1",
        "registration_bf registration TYPE bloom_filter GRANULARITY 1",
        "authority_bf authority TYPE bloom_filter GRANULARITY 1",
        "agents_bf agents TYPE bloom_filter GRANULARITY 1",
        "related_agents_bf related_agents TYPE bloom_filter GRANULARITY 1",
        "related_activities_bf related_activities TYPE bloom_filter GRANULARITY 1",
        "voids_set voids TYPE set(100) GRANULARITY 1",
        "ref_set ref TYPE set(100) GRANULARITY 1",
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_checked_and_quoted() {
        assert_eq!(quote_table("events").expect("ok"), "`events`");
        assert_eq!(quote_table("db.events").expect("ok"), "`db`.`events`");
        assert!(quote_table("a.b.c").is_err());
        assert!(quote_table("x`; DROP TABLE y").is_err());
        assert!(quote_table("1x").is_err());
        assert!(quote_table("").is_err());
    }

    #[test]
    fn exception_codes_are_read() {
        assert_eq!(
            exception_code("Code: 60. DB::Exception: Table x does not exist"),
            Some(60)
        );
        assert_eq!(exception_code("nothing"), None);
        assert_eq!(kind_of_code(Some(60)), ErrorKind::NotFound);
        assert_eq!(kind_of_code(Some(516)), ErrorKind::PermissionDenied);
    }

    #[test]
    fn layouts_name_every_column() {
        let ralph = ralph_table_sql("t").expect("sql");
        assert!(ralph.contains("ORDER BY (emission_time, event_id)"));
        let lrs = lrs_table_sql("t").expect("sql");
        for (name, _, _) in lrs_columns() {
            assert!(lrs.contains(&format!("{name} ")), "{name}");
        }
        assert!(
            lrs_upgrade_sql("t")
                .expect("sql")
                .starts_with("ALTER TABLE `t` ADD COLUMN")
        );
        assert!(
            lrs_backfill_sql("t")
                .expect("sql")
                .starts_with("ALTER TABLE `t` UPDATE verb = ")
        );
    }
}
