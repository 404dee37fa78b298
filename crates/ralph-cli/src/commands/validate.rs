//! `ralph validate`.

use ralph_models::{edx, xapi};

use crate::cli::{EventFormat, ValidateArgs};
use crate::commands::lines::{self, Policy, Verdict};

fn validate_xapi(line: &str) -> Verdict {
    match xapi::validate_statement_str(line) {
        Ok(validated) if validated.type_name().is_some() => Verdict::Output(validated.json),
        Ok(validated) => Verdict::Unknown(
            "no known statement type matches this statement".to_owned(),
            Some(validated.json),
        ),
        Err(ralph_models::Error::Json(err)) => Verdict::Invalid(format!("not valid JSON: {err}")),
        Err(err) => Verdict::Invalid(err.to_string()),
    }
}

fn validate_edx(line: &str) -> Verdict {
    match edx::validate_line(line) {
        Ok(json) => Verdict::Output(json),
        Err(err @ edx::EdxError::UnknownEvent { .. }) => Verdict::Unknown(err.to_string(), None),
        Err(edx::EdxError::InvalidJson(err)) => Verdict::Invalid(format!("not valid JSON: {err}")),
        Err(err) => Verdict::Invalid(err.to_string()),
    }
}

/// Validates standard input line by line and prints the valid events normalised.
///
/// Invalid events stop the command (exit 1, naming the line) unless `--ignore-errors`; events of
/// no known type are reported and skipped unless `--generic` (xAPI: printed) or
/// `--fail-on-unknown` (exit 1). The summary `Total events: N, Invalid events: M` goes to
/// standard error.
pub fn run(args: ValidateArgs) -> anyhow::Result<()> {
    let policy = Policy {
        ignore_errors: args.ignore_errors,
        fail_on_unknown: args.fail_on_unknown,
        accept_unknown: args.generic,
    };
    match args.format {
        EventFormat::Xapi => lines::run(policy, |line| validate_xapi(line.trim_end())),
        EventFormat::Edx => lines::run(policy, |line| validate_edx(line.trim_end())),
    }
}
