//! The xAPI vocabulary of the conversions: verbs, activity types and extensions, with the IRIs
//! Open edX's event-routing-backends uses.

pub(crate) use crate::statement::{
    ASKED, COURSE_TYPE, EVALUATED, INITIALIZED, INTERACTED, INTERACTION_TYPE, NAVIGATED, PAUSED,
    PLAYED, REGISTERED, RESOURCE_TYPE, SEARCHED, SEEKED, SOLUTION_TYPE, SUPPLEMENTAL_INFO_TYPE,
    TERMINATED, UNREGISTERED, VIDEO_TYPE, VIEWED,
};

// Verbs.
pub(crate) const ATTEMPTED: &str = "http://adlnet.gov/expapi/verbs/attempted";
pub(crate) const COMPLETED: &str = "http://adlnet.gov/expapi/verbs/completed";
pub(crate) const PASSED: &str = "http://adlnet.gov/expapi/verbs/passed";
pub(crate) const FAILED: &str = "http://adlnet.gov/expapi/verbs/failed";
pub(crate) const POSTED: &str = "https://w3id.org/xapi/acrossx/verbs/posted";
pub(crate) const EDITED: &str = "https://w3id.org/xapi/acrossx/verbs/edited";
pub(crate) const DELETED: &str = "https://w3id.org/xapi/dod-isd/verbs/deleted";
pub(crate) const VOTED: &str = "https://w3id.org/xapi/openedx/verb/voted";
pub(crate) const REPORTED: &str = "https://w3id.org/xapi/acrossx/verbs/reported";
pub(crate) const UNREPORTED: &str = "https://w3id.org/xapi/openedx/verb/unreported";
pub(crate) const EARNED: &str = "http://id.tincanapi.com/verb/earned";
pub(crate) const PROGRESSED: &str = "http://adlnet.gov/expapi/verbs/progressed";
pub(crate) const ANSWERED: &str = "http://adlnet.gov/expapi/verbs/answered";
pub(crate) const COMMENTED: &str = "http://adlnet.gov/expapi/verbs/commented";
pub(crate) const SHARED: &str = "http://adlnet.gov/expapi/verbs/shared";
pub(crate) const BOOKMARKED: &str = "http://id.tincanapi.com/verb/bookmarked";
pub(crate) const CREATED: &str = "http://activitystrea.ms/schema/1.0/create";
pub(crate) const JOINED: &str = "http://activitystrea.ms/schema/1.0/join";
pub(crate) const LEFT: &str = "http://activitystrea.ms/schema/1.0/leave";

// Activity types.
pub(crate) const QUESTION_TYPE: &str = "http://adlnet.gov/expapi/activities/question";
pub(crate) const MODULE_TYPE: &str = "http://adlnet.gov/expapi/activities/module";
pub(crate) const DISCUSSION_TYPE: &str = "http://id.tincanapi.com/activitytype/discussion";
pub(crate) const LINK_TYPE: &str = "http://adlnet.gov/expapi/activities/link";
pub(crate) const TIMED_ASSESSMENT: &str = "https://w3id.org/xapi/openedx/activity/timed-assessment";
pub(crate) const PRACTICE_ASSESSMENT: &str =
    "https://w3id.org/xapi/openedx/activity/practice-assessment";
pub(crate) const PROCTORED_ASSESSMENT: &str =
    "https://w3id.org/xapi/openedx/activity/proctored-assessment";
pub(crate) const NOTE_TYPE: &str = "http://activitystrea.ms/schema/1.0/note";
pub(crate) const GROUP_TYPE: &str = "http://activitystrea.ms/schema/1.0/group";
pub(crate) const CERTIFICATE_TYPE: &str =
    "https://www.opigno.org/en/tincan_registry/activity_type/certificate";
pub(crate) const EXAM_ATTEMPT_TYPE: &str = "http://adlnet.gov/expapi/activities/attempt";

// Extensions.
pub(crate) const TRANSFORMER_VERSION: &str =
    "https://w3id.org/xapi/openedx/extension/transformer-version";
/// The value of the transformer-version extension: which converter made the statement.
pub(crate) const TRANSFORMER: &str = "ralph";
pub(crate) const OPENEDX_SESSION_ID: &str = "https://w3id.org/xapi/openedx/extensions/session-id";
pub(crate) const VIDEO_LENGTH: &str = "https://w3id.org/xapi/video/extensions/length";
pub(crate) const VIDEO_SESSION_ID: &str = "https://w3id.org/xapi/video/extensions/session-id";
pub(crate) const VIDEO_PROGRESS: &str = "https://w3id.org/xapi/video/extensions/progress";
pub(crate) const VIDEO_CC_LANGUAGE: &str =
    "https://w3id.org/xapi/video/extensions/cc-subtitle-lang";
pub(crate) const VIDEO_TIME: &str = "https://w3id.org/xapi/video/extensions/time";
pub(crate) const VIDEO_TIME_FROM: &str = "https://w3id.org/xapi/video/extensions/time-from";
pub(crate) const VIDEO_TIME_TO: &str = "https://w3id.org/xapi/video/extensions/time-to";
pub(crate) const VIDEO_CC_ENABLED: &str = "https://w3id.org/xapi/video/extensions/cc-enabled";
pub(crate) const VIDEO_SPEED: &str = "https://w3id.org/xapi/video/extensions/speed";
pub(crate) const VIDEO_SPEED_FROM: &str = "https://w3id.org/xapi/openedx/extension/speed-from";
pub(crate) const VIDEO_SPEED_TO: &str = "https://w3id.org/xapi/openedx/extension/speed-to";
pub(crate) const TOTAL_ITEMS: &str = "https://w3id.org/xapi/acrossx/extensions/total-items";
pub(crate) const STARTING_POSITION: &str = "http://id.tincanapi.com/extension/starting-position";
pub(crate) const ENDING_POSITION: &str = "http://id.tincanapi.com/extension/ending-point";
pub(crate) const ACROSSX_TYPE: &str = "https://w3id.org/xapi/acrossx/extensions/type";
pub(crate) const ATTEMPT_ID: &str = "http://id.tincanapi.com/extension/attempt-id";
pub(crate) const GRADE_CLASSIFICATION: &str =
    "http://www.tincanapi.co.uk/activitytypes/grade_classification";
pub(crate) const CMI5_PROGRESS: &str = "https://w3id.org/xapi/cmi5/result/extensions/progress";
pub(crate) const TIME_LIMIT: &str = "https://w3id.org/xapi/acrossx/extensions/time-limit";
pub(crate) const ATTEMPT_STARTED: &str = "https://w3id.org/xapi/openedx/extension/attempt-started";
pub(crate) const ATTEMPT_COMPLETED: &str =
    "https://w3id.org/xapi/openedx/extension/attempt-completed";
pub(crate) const DURATION: &str = "http://id.tincanapi.com/extension/duration";
