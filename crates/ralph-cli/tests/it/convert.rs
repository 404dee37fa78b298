//! `ralph convert` and `ralph validate -f edx`.

use std::path::PathBuf;

use crate::{Sandbox, assert_code, run_with, stderr, stdout};

const NAMESPACE: &str = "ee241f8b-174f-5bdb-bae9-c09de5fe017f";

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../ralph-convert/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One event per line, as edX writes its tracking log.
fn line(name: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(&fixture(name)).expect("fixture is JSON");
    format!("{value}\n")
}

#[test]
fn edx_events_convert_to_xapi_with_ids_from_the_namespace_and_the_line() {
    let sb = Sandbox::fresh();
    let input = line("EdxCourseEnrollmentActivated.input.json");
    let args = [
        "convert",
        "-f",
        "edx",
        "-t",
        "xapi",
        "-u",
        NAMESPACE,
        "-p",
        "https://lms.example.org",
    ];
    let out = sb.run(&args, input.as_bytes());
    assert_code(&out, 0);
    let statement: serde_json::Value =
        serde_json::from_str(stdout(&out).trim()).expect("statement");
    assert_eq!(
        statement["verb"]["id"],
        "http://adlnet.gov/expapi/verbs/registered"
    );
    assert_eq!(
        statement["actor"]["account"]["homePage"],
        "https://lms.example.org"
    );
    let id = uuid::Uuid::new_v5(
        &uuid::Uuid::parse_str(NAMESPACE).expect("ns"),
        input.as_bytes(),
    );
    assert_eq!(
        statement["id"],
        id.to_string(),
        "uuid5 of the raw line with its newline"
    );
    // Same input, same output: a replay gives the same ids.
    assert_eq!(stdout(&sb.run(&args, input.as_bytes())), stdout(&out));
    assert!(
        stderr(&out).contains("Total events: 1, Invalid events: 0"),
        "{}",
        stderr(&out)
    );
    // The converted statement is a valid LMS statement.
    let out = sb.run(&["validate", "-f", "xapi"], stdout(&out).as_bytes());
    assert_code(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 1);
}

#[test]
fn the_namespace_comes_from_the_environment_or_is_asked_for() {
    let sb = Sandbox::fresh();
    let input = line("EdxCourseEnrollmentActivated.input.json");
    let args = [
        "convert",
        "-f",
        "edx",
        "-t",
        "xapi",
        "-p",
        "https://lms.example.org",
    ];
    let out = sb.run(&args, input.as_bytes());
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("--uuid-namespace"),
        "{}",
        stderr(&out)
    );
    let out = run_with(
        sb.ralph()
            .env("RALPH_CONVERTER_EDX_XAPI_UUID_NAMESPACE", NAMESPACE)
            .args(args),
        input.as_bytes(),
    );
    assert_code(&out, 0);
    let out = sb.run(
        &[
            "convert",
            "-f",
            "edx",
            "-t",
            "xapi",
            "-u",
            "nope",
            "-p",
            "https://x.org",
        ],
        input.as_bytes(),
    );
    assert_code(&out, 2);
    assert!(
        stderr(&out).contains("invalid UUID namespace `nope`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unknown_events_are_skipped_and_bad_lines_stop_unless_ignored() {
    let sb = Sandbox::fresh();
    let good = line("EdxCourseEnrollmentActivated.input.json");
    let unknown = "{\"event_source\":\"server\",\"event_type\":\"nobody.knows\",\"context\":{\"path\":\"/x\"}}\n";
    let input = format!("{unknown}{good}not json\n{good}");
    let args = [
        "convert",
        "-f",
        "edx",
        "-t",
        "xapi",
        "-u",
        NAMESPACE,
        "-p",
        "https://lms.example.org",
    ];
    let out = sb.run(&args, input.as_bytes());
    assert_code(&out, 1);
    assert_eq!(
        stdout(&out).lines().count(),
        1,
        "the good line before the bad one is converted"
    );
    assert!(
        stderr(&out).contains("line 3: not valid JSON"),
        "{}",
        stderr(&out)
    );

    let mut with_ignore = args.to_vec();
    with_ignore.push("-I");
    let out = sb.run(&with_ignore, input.as_bytes());
    assert_code(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 2);
    assert!(
        stderr(&out).contains("Total events: 4, Invalid events: 1"),
        "{}",
        stderr(&out)
    );

    let mut strict = args.to_vec();
    strict.push("-F");
    assert_code(&sb.run(&strict, input.as_bytes()), 1);
}

#[test]
fn edx_events_validate_normalised_and_browser_events_may_carry_event_as_a_string() {
    let sb = Sandbox::fresh();
    let mut event: serde_json::Value =
        serde_json::from_str(&fixture("UIPlayVideo.input.json")).expect("fixture");
    let as_object = format!("{event}\n");
    let inner = event["event"].clone();
    if inner.is_object() {
        event["event"] = serde_json::Value::String(inner.to_string());
    }
    let as_string = format!("{event}\n");
    let out = sb.run(
        &["validate", "-f", "edx"],
        format!("{as_object}{as_string}").as_bytes(),
    );
    assert_code(&out, 0);
    assert_eq!(stdout(&out).lines().count(), 2, "{}", stderr(&out));
    let out = sb.run(
        &["validate", "-f", "edx"],
        b"{\"event_source\":\"server\",\"event_type\":\"x\"}\n",
    );
    assert_code(&out, 0);
    assert!(
        stderr(&out).contains("line 1: unknown edX event"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn xapi_statements_flatten_to_csv_with_a_header_and_crlf_rows() {
    let sb = Sandbox::fresh();
    // edX → xAPI → CSV, as a pipe would do it.
    let input = line("EdxCourseEnrollmentActivated.input.json");
    let args = [
        "convert",
        "-f",
        "edx",
        "-t",
        "xapi",
        "-u",
        NAMESPACE,
        "-p",
        "https://lms.example.org",
    ];
    let statements = stdout(&sb.run(&args, input.as_bytes()));
    let bad = "[1]\n";
    let out = sb.run(
        &["convert", "-f", "xapi", "-t", "csv"],
        format!("{statements}{bad}").as_bytes(),
    );
    assert_code(&out, 1);
    let text = stdout(&out);
    let rows: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(rows.len(), 3, "header, one row, end: {text:?}");
    assert!(rows[0].starts_with("id,timestamp,stored,actor_ifi,actor_name,verb_id"));
    let statement: serde_json::Value = serde_json::from_str(statements.trim()).expect("json");
    let id = statement["id"].as_str().expect("id");
    assert!(rows[1].starts_with(&format!("{id},")), "{}", rows[1]);
    assert!(
        rows[1].contains(",http://adlnet.gov/expapi/verbs/registered,,"),
        "no display: empty"
    );
    assert!(
        stderr(&out).contains("line 2: a statement must be a JSON object"),
        "{}",
        stderr(&out)
    );
    // No conversion between other formats, and edX needs its platform.
    assert_code(
        &sb.run(
            &[
                "convert",
                "-f",
                "edx",
                "-t",
                "csv",
                "-p",
                "https://lms.example.org",
            ],
            b"",
        ),
        1,
    );
    assert_code(
        &sb.run(
            &["convert", "-f", "edx", "-t", "xapi", "-u", NAMESPACE],
            b"",
        ),
        2,
    );
}

#[test]
fn the_conversion_table_is_listed() {
    let sb = Sandbox::fresh();
    let out = sb.run(&["convert", "--list"], b"");
    assert_code(&out, 0);
    let table = stdout(&out);
    let mut rows = table.lines();
    assert_eq!(
        rows.next(),
        Some("event\tstatement\tverb\tactivity_type\tprofile\tralph")
    );
    assert_eq!(rows.count(), ralph_convert::conversions().len());
    assert!(
        table.contains(
            "edx.video.played\tVideoPlayed\thttps://w3id.org/xapi/video/verbs/played\t\
             https://w3id.org/xapi/video/activity-type/video\tvideo\tno\n"
        ),
        "{table}"
    );
    assert!(table.contains("play_video\tVideoPlayed\t"), "{table}");
    // Without `--list`, the formats are required.
    let out = sb.run(&["convert"], b"");
    assert_code(&out, 2);
}

fn convert_with(sb: &Sandbox, extra: &[&str], input: &str) -> std::process::Output {
    let mut args = vec![
        "convert",
        "-f",
        "edx",
        "-t",
        "xapi",
        "-u",
        NAMESPACE,
        "-p",
        "https://lms.example.org",
    ];
    args.extend_from_slice(extra);
    sb.run(&args, input.as_bytes())
}

fn actor_name(out: &std::process::Output) -> String {
    let statement: serde_json::Value = serde_json::from_str(stdout(out).trim()).expect("statement");
    statement["actor"]["account"]["name"]
        .as_str()
        .expect("account name")
        .to_owned()
}

#[test]
fn the_actor_is_the_user_id_the_username_or_an_anonymous_id() {
    let sb = Sandbox::fresh();
    let played = line("edx.video.played.input.json");
    let out = convert_with(&sb, &[], &played);
    assert_code(&out, 0);
    assert_eq!(actor_name(&out), "42");
    let out = convert_with(&sb, &["--actor-id", "user_id"], &played);
    assert_eq!(actor_name(&out), "42");
    let out = convert_with(&sb, &["--actor-id", "username"], &played);
    assert_code(&out, 0);
    assert_eq!(actor_name(&out), "alice");
    // Ralph's conversions follow the mode too.
    let out = convert_with(
        &sb,
        &["--actor-id", "username"],
        &line("UIPlayVideo.input.json"),
    );
    assert_eq!(actor_name(&out), "alice");

    let ids = sb.path("ids.csv");
    std::fs::write(
        &ids,
        "user_id,external_user_id\n42,6f1c2d3e-aaaa-4bbb-8ccc-0123456789ab\n",
    )
    .expect("write ids");
    let ids = ids.to_str().expect("utf-8 path");
    let out = convert_with(&sb, &["--actor-id", "anonymous-id-file", ids], &played);
    assert_code(&out, 0);
    assert_eq!(actor_name(&out), "6f1c2d3e-aaaa-4bbb-8ccc-0123456789ab");
    // A learner missing from the file is an error naming the user id, never their real id.
    let other = played.replace("\"user_id\":42", "\"user_id\":7");
    let out = convert_with(&sb, &["--actor-id", "anonymous-id-file", ids], &other);
    assert_code(&out, 1);
    assert!(
        stderr(&out).contains("user id `7` is not in the anonymous id file"),
        "{}",
        stderr(&out)
    );
    assert_eq!(stdout(&out), "");

    let out = convert_with(&sb, &["--actor-id", "email"], &played);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("`--actor-id` takes"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn every_family_converts_end_to_end_and_validates() {
    let sb = Sandbox::fresh();
    let mut input = String::new();
    for c in ralph_convert::conversions() {
        input.push_str(&line(&format!("{}.input.json", c.source)));
    }
    let out = convert_with(&sb, &[], &input);
    assert_code(&out, 0);
    assert_eq!(
        stdout(&out).lines().count(),
        ralph_convert::conversions().len()
    );
}
