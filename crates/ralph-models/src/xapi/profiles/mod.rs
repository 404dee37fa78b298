//! Statement types of xAPI profiles (Ralph's navigation, video, LMS and virtual classroom
//! models, plus the cmi5 defined statements), and the [`Selector`] that finds the type(s) of a
//! statement in constant time.

mod check;
mod cmi5;
mod lms;
mod navigation;
mod params;
mod video;
mod virtual_classroom;

use std::collections::HashMap;
use std::fmt;
use std::sync::LazyLock;

use serde_json::Value;

use super::model::Statement;
use super::rules::ValidationErrors;

pub(crate) use check::Check;
pub use params::Params;

/// A family of statement types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Profile {
    /// Page navigation (`PageViewed`, `PageTerminated`).
    Navigation,
    /// The xAPI video profile (`https://w3id.org/xapi/video`).
    Video,
    /// The LMS profile (`https://w3id.org/xapi/lms`).
    Lms,
    /// The virtual classroom profile (`https://w3id.org/xapi/virtual-classroom`).
    VirtualClassroom,
    /// The cmi5 defined statements.
    Cmi5,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 5] = [
        Profile::Navigation,
        Profile::Video,
        Profile::Lms,
        Profile::VirtualClassroom,
        Profile::Cmi5,
    ];

    /// Lowercase name, as Ralph names its modules (`navigation`, `video`, `lms`,
    /// `virtual_classroom`) plus `cmi5`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Profile::Navigation => "navigation",
            Profile::Video => "video",
            Profile::Lms => "lms",
            Profile::VirtualClassroom => "virtual_classroom",
            Profile::Cmi5 => "cmi5",
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What, besides the verb id, selects a statement type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Discriminant {
    /// The `object.definition.type` of the statement's Activity.
    ActivityType(&'static str),
    /// An activity id in `context.contextActivities.category` (cmi5 defined statements, whose
    /// object type is free).
    Category(&'static str),
}

/// A statement type: its selector and its rules on top of the xAPI specification.
pub struct StatementType {
    /// Name, as in Ralph (`VideoPlayed`, `LMSRegisteredCourse`, ...) or `Cmi5Passed`, ...
    pub name: &'static str,
    /// The profile it belongs to.
    pub profile: Profile,
    /// The verb id that selects it.
    pub verb_id: &'static str,
    /// The other field that selects it.
    pub discriminant: Discriminant,
    check: fn(&mut Check<'_>),
    example: fn(&Params) -> Value,
}

impl fmt::Debug for StatementType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatementType")
            .field("name", &self.name)
            .field("profile", &self.profile)
            .field("verb_id", &self.verb_id)
            .field("discriminant", &self.discriminant)
            .finish_non_exhaustive()
    }
}

impl PartialEq for StatementType {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for StatementType {}

impl StatementType {
    /// Checks the rules of this type on a statement that is valid for the xAPI specification.
    ///
    /// # Errors
    /// Every broken rule, with its path; reasons name the statement type.
    pub fn validate(&self, statement: &Statement) -> Result<(), ValidationErrors> {
        let mut check = Check::new(statement, self.name);
        (self.check)(&mut check);
        check.finish()
    }

    /// Whether the selector of this type matches the statement (verb id and discriminant).
    #[must_use]
    pub fn matches(&self, statement: &Statement) -> bool {
        statement.verb_id() == self.verb_id
            && match self.discriminant {
                Discriminant::ActivityType(t) => statement.object_activity_type() == Some(t),
                Discriminant::Category(id) => statement.categories().any(|a| a.id == id),
            }
    }

    /// A valid statement of this type, in normalised form (fixed values).
    #[must_use]
    pub fn example(&self) -> Value {
        (self.example)(&Params::default())
    }

    /// A valid statement of this type built from `params` (used by the proptest strategies).
    #[must_use]
    pub fn example_with(&self, params: &Params) -> Value {
        (self.example)(params)
    }
}

const fn by_type(
    name: &'static str,
    profile: Profile,
    verb_id: &'static str,
    activity_type: &'static str,
    check: fn(&mut Check<'_>),
    example: fn(&Params) -> Value,
) -> StatementType {
    StatementType {
        name,
        profile,
        verb_id,
        discriminant: Discriminant::ActivityType(activity_type),
        check,
        example,
    }
}

/// Every statement type, profile by profile, in Ralph's order of models where several share a
/// selector (the four video `interacted` types; ours, `VideoInteracted`, last).
#[must_use]
pub fn statement_types() -> &'static [StatementType] {
    &TYPES
}

/// Finds a statement type by name.
#[must_use]
pub fn statement_type(name: &str) -> Option<&'static StatementType> {
    TYPES.iter().find(|t| t.name == name)
}

static TYPES: LazyLock<Vec<StatementType>> = LazyLock::new(|| {
    let mut all = Vec::with_capacity(47);
    all.extend(navigation::types());
    all.extend(video::types());
    all.extend(lms::types());
    all.extend(virtual_classroom::types());
    all.extend(cmi5::types());
    all
});

/// An index of the statement types on their selectors: finding the candidate types of a
/// statement costs two hash lookups, whatever the number of types.
#[derive(Debug)]
pub struct Selector {
    by_activity_type: HashMap<(&'static str, &'static str), Vec<&'static StatementType>>,
    by_category: HashMap<&'static str, Vec<&'static StatementType>>,
}

impl Selector {
    fn build(types: &'static [StatementType]) -> Self {
        let mut by_activity_type: HashMap<_, Vec<_>> = HashMap::new();
        let mut by_category: HashMap<_, Vec<_>> = HashMap::new();
        for t in types {
            match t.discriminant {
                Discriminant::ActivityType(at) => {
                    by_activity_type.entry((t.verb_id, at)).or_default().push(t);
                }
                Discriminant::Category(_) => by_category.entry(t.verb_id).or_default().push(t),
            }
        }
        Selector {
            by_activity_type,
            by_category,
        }
    }

    /// The candidate types of `statement`, activity-type selectors first; empty for a generic
    /// statement.
    #[must_use]
    pub fn select(&self, statement: &Statement) -> Vec<&'static StatementType> {
        let verb = statement.verb_id();
        let mut out = Vec::new();
        if let Some(at) = statement.object_activity_type() {
            // The map's key is `(&'static str, &'static str)`; covariance lets it be looked
            // up with shorter-lived borrowed strings, without allocating.
            let map: &HashMap<(&str, &str), Vec<&'static StatementType>> = &self.by_activity_type;
            if let Some(found) = map.get(&(verb, at)) {
                out.extend(found.iter().copied());
            }
        }
        if let Some(found) = self.by_category.get(verb) {
            out.extend(found.iter().copied().filter(|t| t.matches(statement)));
        }
        out
    }
}

/// The selector over [`statement_types`].
#[must_use]
pub fn selector() -> &'static Selector {
    static SELECTOR: LazyLock<Selector> = LazyLock::new(|| Selector::build(statement_types()));
    &SELECTOR
}
