//! `ralph extract`.

use crate::{Sandbox, assert_code, stderr, stdout};

#[test]
fn gelf_messages_yield_their_short_message_and_bad_lines_are_skipped() {
    let sb = Sandbox::fresh();
    let input = concat!(
        r#"{"version":"1.1","host":"lms","short_message":"{\"event_type\":\"play_video\"}","level":6}"#,
        "\nnot json\n",
        r#"{"version":"1.1","host":"lms"}"#,
        "\n"
    );
    let out = sb.run(&["extract", "-p", "gelf"], input.as_bytes());
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "{\"event_type\":\"play_video\"}\n");
    let err = stderr(&out);
    assert!(err.contains("line 2: not a valid JSON string"), "{err}");
    assert!(err.contains("line 3: no `short_message` field"), "{err}");
}

#[test]
fn es_hits_yield_their_source_as_ralph_prints_it() {
    let sb = Sandbox::fresh();
    let input = b"{\"_index\":\"s\",\"_id\":\"1\",\"_source\":{\"id\":\"1\",\"t\":1e-7}}\n{\"_id\":\"2\"}\n";
    let out = sb.run(&["extract", "-p", "es"], input);
    assert_code(&out, 0);
    assert_eq!(stdout(&out), "{\"id\": \"1\", \"t\": 1e-07}\n");
    assert!(
        stderr(&out).contains("no `_source` field"),
        "{}",
        stderr(&out)
    );
}
