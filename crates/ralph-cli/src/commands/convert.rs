//! `ralph convert`.

use anyhow::Context;
use ralph_convert::{ConvertError, Converter};
use ralph_core::settings::Settings;
use uuid::Uuid;

use crate::cli::{ConvertArgs, FromFormat, ToFormat};
use crate::commands::lines::{self, Policy, Verdict};

/// Converts the events read on standard input (edX to xAPI, xAPI to CSV) to standard output.
pub fn run(settings: &Settings, args: ConvertArgs) -> anyhow::Result<()> {
    match (args.from, args.to) {
        (FromFormat::Edx, ToFormat::Xapi) => edx_to_xapi(settings, args),
        (FromFormat::Xapi, ToFormat::Csv) => xapi_to_csv(&args),
        (from, to) => Err(ralph_core::Error::unsupported(format!(
            "no conversion from `{}` to `{}`: use `-f edx -t xapi` or `-f xapi -t csv`",
            format!("{from:?}").to_ascii_lowercase(),
            format!("{to:?}").to_ascii_lowercase()
        ))
        .into()),
    }
}

/// Flattens xAPI statements to CSV rows (RFC 4180 quoting, CRLF line ends, a header row).
fn xapi_to_csv(args: &ConvertArgs) -> anyhow::Result<()> {
    let policy = Policy {
        ignore_errors: args.ignore_errors,
        fail_on_unknown: false,
        accept_unknown: false,
    };
    let header = format!("{}\r", ralph_convert::csv::header());
    lines::run_with_header(policy, Some(&header), |line| {
        if line.trim().is_empty() {
            return Verdict::Blank;
        }
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(statement) => match ralph_convert::csv::row(&statement) {
                // The line break is `\n`: with this `\r`, rows end with CRLF.
                Ok(row) => Verdict::Output(format!("{row}\r")),
                Err(err) => Verdict::Invalid(err.to_string()),
            },
            Err(err) => Verdict::Invalid(format!("not valid JSON: {err}")),
        }
    })
}

/// Converts edX events to xAPI statements.
///
/// Statement ids are uuid5 of the namespace and the raw input line (with its `\n`), as Ralph
/// makes them, so converting the same logs twice gives the same ids.
fn edx_to_xapi(settings: &Settings, args: ConvertArgs) -> anyhow::Result<()> {
    let platform_url = args.platform_url.clone().unwrap_or_default();
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
    let converter = Converter::new(namespace, &platform_url);
    let policy = Policy {
        ignore_errors: args.ignore_errors,
        fail_on_unknown: args.fail_on_unknown,
        accept_unknown: false,
    };
    lines::run(policy, move |line| match converter.try_convert_line(line) {
        Ok(statement) => Verdict::Output(statement),
        Err(err) if err.is_unknown() => Verdict::Unknown(err.to_string(), None),
        Err(ConvertError::InvalidJson(err)) => Verdict::Invalid(format!("not valid JSON: {err}")),
        Err(err) => Verdict::Invalid(err.to_string()),
    })
}
