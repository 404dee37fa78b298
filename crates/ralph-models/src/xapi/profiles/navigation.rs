//! Navigation: pages viewed and left (Ralph's `navigation` models).

use serde_json::Value;

use super::params::{Params, activity, statement, verb};
use super::{Check, Profile, StatementType, by_type};

const PAGE: &str = "http://activitystrea.ms/schema/1.0/page";
const VIEWED: &str = "http://id.tincanapi.com/verb/viewed";
const TERMINATED: &str = "http://adlnet.gov/expapi/verbs/terminated";

pub(super) fn types() -> [StatementType; 2] {
    [
        by_type(
            "PageViewed",
            Profile::Navigation,
            VIEWED,
            PAGE,
            |c| c.verb_display("viewed"),
            |p| example(p, VIEWED, "viewed"),
        ),
        by_type(
            "PageTerminated",
            Profile::Navigation,
            TERMINATED,
            PAGE,
            |c: &mut Check<'_>| c.verb_display("terminated"),
            |p| example(p, TERMINATED, "terminated"),
        ),
    ]
}

fn example(p: &Params, verb_id: &str, word: &str) -> Value {
    statement(
        p,
        p.actor.clone(),
        verb(p, verb_id, word),
        activity(p, PAGE),
        None,
        None,
    )
}
