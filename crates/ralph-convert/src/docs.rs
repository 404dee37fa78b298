//! The conversions documentation (`docs/conversions.md`), generated from the conversion table.

use std::fmt::Write as _;

use uuid::Uuid;

use crate::{Converter, conversions};

/// The UUID namespace of the documented examples.
pub const EXAMPLE_NAMESPACE: Uuid = Uuid::from_u128(0xee24_1f8b_174f_5bdb_bae9_c09d_e5fe_017f);

/// The platform URL of the documented examples.
pub const EXAMPLE_PLATFORM_URL: &str = "https://example.org";

/// The Markdown page documenting every conversion: a summary table, then for each conversion
/// what it does, a sample edX event and the statement produced from it (with
/// [`EXAMPLE_NAMESPACE`] and [`EXAMPLE_PLATFORM_URL`]).
pub fn markdown() -> String {
    let converter = Converter::new(EXAMPLE_NAMESPACE, EXAMPLE_PLATFORM_URL);
    let mut out = String::new();
    out.push_str(
        "# edX to xAPI conversions\n\n\
         <!-- Generated from `ralph_convert::conversions()`: do not edit. -->\n\n\
         `ralph convert -f edx -t xapi -p PLATFORM_URL -u UUID_NAMESPACE` turns each edX \
         tracking-log event below into an xAPI statement; other events are skipped (or fail \
         with `--fail-on-unknown`). `ralph convert --list` prints this table. The conversions \
         marked *Ralph* print byte for byte what Ralph 5.1 prints (statement `id` = UUID v5 of \
         the namespace and the raw input line including its newline); the others give, for \
         every event name Open edX's event-routing-backends (ERB) maps, the verb, activity \
         type and extensions ERB emits, with the same statement ids scheme as Ralph's.\n\n\
         Input: `event` may be an object or a JSON string holding one (browser events); a \
         browser `problem_check` carries a query string. Optional fields that are absent, \
         `null` or empty are left out; a field a statement cannot be built without is an error \
         naming it (`cannot convert `edx.video.played` event: event.currentTime: field \
         required`).\n\n\
         Actor: `--actor-id user_id` (the default, Ralph's) names the account by the LMS user \
         id (`context.user_id`; for events about another learner, such as grades and \
         enrollments beyond Ralph's, `event.user_id` first, as ERB), `anonymous` without one; \
         `--actor-id username` by the username; `--actor-id anonymous-id-file PATH` by the \
         anonymous id a CSV file (`user_id,anonymous_id` lines) maps the user id to, the way \
         ERB pseudonymises learners (a user id missing from the file is an error).\n\n",
    );
    out.push_str(DIFFERENCES);
    out.push_str(
        "\n## Conversions\n\n\
         | edX event | statement | verb | activity type | profile | Ralph |\n\
         |---|---|---|---|---|---|\n",
    );
    for c in conversions() {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | `{}` | `{}` | {} | {} |",
            c.event,
            anchor(c.source),
            c.statement,
            c.verb,
            c.activity_type,
            c.profile,
            if c.ralph { "yes" } else { "no" }
        );
    }
    for c in conversions() {
        let _ = write!(
            out,
            "\n### {}\n\n`{}` → {}: {}.\n\nSample event:\n\n```json\n{}```\n\nStatement \
             (namespace `{}`, platform `{}`):\n\n```json\n",
            c.source,
            c.event,
            c.statement,
            c.summary,
            c.example,
            EXAMPLE_NAMESPACE,
            EXAMPLE_PLATFORM_URL,
        );
        match converter.try_convert_line(c.example) {
            Ok(statement) => out.push_str(&statement),
            Err(err) => {
                let _ = write!(out, "error: {err}");
            }
        }
        out.push_str("\n```\n");
    }
    out
}

/// The GitHub anchor of a `### {source}` heading.
fn anchor(source: &str) -> String {
    source
        .chars()
        .filter_map(|c| match c {
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            'a'..='z' | '0'..='9' | '-' | '_' => Some(c),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

/// The deliberate differences from event-routing-backends, with their reasons.
const DIFFERENCES: &str = "## Differences from event-routing-backends

Statements of the same event from ralph and from ERB share their verb, object activity type,
object id scheme and extensions, so dashboards (Aspects) count them together. They differ where
ERB needs the LMS database, where Ralph 5.1's byte-compatible output comes first, or where ERB's
output is not valid xAPI:

- **Ralph's nine conversions stay Ralph's.** `load_video`, `play_video`, `pause_video`,
  `seek_video`, `stop_video` (browser) and `edx.course.enrollment.activated`/`deactivated`
  (server) print Ralph 5.1's statements byte for byte: Ralph's video object id
  (`{platform}/xblock/block-v1:{course_id}-course-v1:+type@video+block@{id}`) and enrollment
  object id (`{platform}/courses/{course_id}/info`) differ from ERB's (`.../xblock/block-v1:
  {org+course+run}+type@video+block@{id}`, `{platform}/course/{course_id}`), which the
  `edx.video.*` names and the other enrollment and grade events use.
- **Statement ids** are the UUID v5 of the namespace and the raw line (Ralph's scheme; the
  questions of a multi-question `problem_check` add their input id), not ERB's hash of actor,
  timestamp and verb: replays give the same ids, and two events in the same second stay two.
- **Actor**: the LMS user id by default (Ralph's); ERB's external anonymous ids need the LMS
  database, hence `--actor-id anonymous-id-file PATH` (a CSV export of them).
- **No names from the LMS**: ERB names the course parent activity and enrollment objects
  from the course catalogue; tracking logs do not carry them, so they are left out.
- **`verb.display` and `objectType: Activity` left out**, `version` `1.0.0`: as in Ralph's
  statements; LRSs and dashboards key on ids.
- **`transformer-version` extension**: `ralph` instead of `event-routing-backends@X.Y.Z`.
- **Video statements** also carry what the xAPI video profile requires (ERB's do not): the
  video profile category, the video `session-id` extension (a UUID, `null` without a session),
  a `length` (0.0 when the event has no duration, as Ralph writes it), `progress` on
  `terminated` (time / length, 0.0 when unknown) and `completed` (1.0).
- **Video `interacted`**: every one carries the video `time`, which the video profile's
  `interacted` templates all require; an event without `currentTime` (or `current_time`) is an
  error naming it. Closed captions shown or hidden with a caption language are the profile's
  closed-captioning template (`VideoEnableClosedCaptioning`). Transcript shown/hidden, and
  captions of an event that names no language, keep ERB's `cc-enabled` shape, which none of
  the profile's three templates (closed captions with their language, volume, screen) fits:
  `ralph validate` types them `VideoInteracted`, the rules the three templates share. So does
  `speed_change_video`, which adds to ERB's `speed-from`/`speed-to` the `time` of the change
  and the new speed as the profile's `speed` context extension (`1.5x`). A caption language
  that is not a string is an error naming `event.language`.
- **Enrollment mode change** (`registered` + course) carries the LMS profile category and no
  context extensions, as Ralph's registration statements, to be a valid LMS
  `LMSRegisteredCourse`.
- **Block ids as IRIs**: `edx.problem.completed` and the special exams' object are
  `{platform}/xblock/{usage_key}` (ERB emits the bare usage key); the exam attempt grouping
  activity is `{platform}/xblock/{exam}/attempt/{attempt_code}` (ERB's bare attempt code is not
  an IRI).
- **Multi-question `problem_check`**: the problem statement has no `objectType: GroupActivity`
  (not an xAPI object type); its `response` is the answers as JSON (ERB leaves it out or writes
  Python's text of a dictionary).
- **Scores out of range** (a grade above its maximum) are an error naming `result.score.raw`:
  an LRS would reject the statement.
- **Legacy `seq_goto`/`seq_next`/`seq_prev` and PDF textbook events**, which ERB does not map,
  are converted too, with ERB's navigation vocabulary.

## Beyond event-routing-backends

Open response assessment, drag-and-drop, bookmarks, notes, teams, cohorts and certificates,
which ERB does not map, get one statement shape per event, read like the ERB events. The verbs
come from registered vocabularies, reusing ERB's choice where it made one for the same kind of
action (`evaluated` for a graded answer, `attempted` for an ungraded one, acrossx `posted`/
`edited` and dod-isd `deleted` for posts, `navigated`, `viewed`, `earned`), else ADL
(`answered`, `commented`, `shared`), Tin Can (`bookmarked`) and Activity Streams (`join`,
`leave`, `create`, with the `group` and `note` object types); object ids are the block
(`{platform}/xblock/{usage_key}`) or the LMS API URL of the team, cohort or certificate. Each
row below says why. Left unconverted, for want of a registered verb or of a learner action:
`edx.bookmark.removed` and `edx.bookmark.listed`, `edx.team.changed`, `edx.team.deleted`,
`edx.team.activity_updated`, `edx.cohort.created`, `edx.certificate.revoked`,
`edx.certificate.evidence_visited` (the visitor is not in the event), the certificate
generation toggles, `openassessmentblock.save_submission`, `openassessment.upload_file` and
`openassessment.student_training_assess_example`.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_conversion_is_documented_with_a_converted_example() {
        let page = markdown();
        assert!(!page.contains("error: "), "an example fails to convert");
        for c in conversions() {
            assert!(
                page.contains(&format!("\n### {}\n", c.source)),
                "{}",
                c.source
            );
        }
        assert_eq!(
            EXAMPLE_NAMESPACE.to_string(),
            "ee241f8b-174f-5bdb-bae9-c09de5fe017f"
        );
    }
}
