//! `ralph convert`.

use anyhow::Context;
use ralph_convert::{ConvertError, Converter};
use ralph_core::settings::Settings;
use uuid::Uuid;

use crate::cli::ConvertArgs;
use crate::commands::lines::{self, Policy, Verdict};

/// Converts edX events read on standard input to xAPI statements on standard output.
///
/// Statement ids are uuid5 of the namespace and the raw input line (with its `\n`), as Ralph
/// makes them, so converting the same logs twice gives the same ids.
pub fn run(settings: &Settings, args: ConvertArgs) -> anyhow::Result<()> {
    let namespace = match args.uuid_namespace {
        Some(ns) => ns,
        None => settings
            .figment()
            .extract_inner::<String>("converter_edx_xapi_uuid_namespace")
            .ok()
            .ok_or_else(|| {
                ralph_core::Error::config(
                    "no UUID namespace for statement ids: pass `-u/--uuid-namespace UUID` or set `RALPH_CONVERTER_EDX_XAPI_UUID_NAMESPACE`",
                )
            })?,
    };
    let namespace = Uuid::parse_str(namespace.trim())
        .map_err(|err| {
            ralph_core::Error::config(format!("invalid UUID namespace `{namespace}`: {err}"))
        })
        .context("convert")?;
    let converter = Converter::new(namespace, &args.platform_url);
    let policy = Policy {
        ignore_errors: args.ignore_errors,
        fail_on_unknown: args.fail_on_unknown,
        accept_unknown: false,
    };
    lines::run(policy, |line| match converter.try_convert_line(line) {
        Ok(statement) => Verdict::Output(statement),
        Err(err) if err.is_unknown() => Verdict::Unknown(err.to_string(), None),
        Err(ConvertError::InvalidJson(err)) => Verdict::Invalid(format!("not valid JSON: {err}")),
        Err(err) => Verdict::Invalid(err.to_string()),
    })
}
