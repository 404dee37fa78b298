//! `ralph convert`.

use std::io::Write;

use anyhow::Context;
use ralph_convert::{ActorId, ConvertError, Converter};
use ralph_core::settings::Settings;
use uuid::Uuid;

use crate::cli::{ConvertArgs, FromFormat, ToFormat};
use crate::commands::lines::{self, Policy, Verdict};

/// Converts the events read on standard input (edX to xAPI, xAPI to CSV) to standard output.
pub fn run(settings: &Settings, args: ConvertArgs) -> anyhow::Result<()> {
    if args.list {
        return list();
    }
    let (Some(from), Some(to)) = (args.from, args.to) else {
        return Err(ralph_core::Error::config("`-f/--from` and `-t/--to` are required").into());
    };
    match (from, to) {
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

/// Prints the conversion table: edX event, statement, verb, activity type, profile, whether
/// Ralph 5.1 has it; tab-separated with a header, one conversion a line.
fn list() -> anyhow::Result<()> {
    let mut out = String::from("event\tstatement\tverb\tactivity_type\tprofile\tralph\n");
    for c in ralph_convert::conversions() {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            c.event,
            c.statement,
            c.verb,
            c.activity_type,
            c.profile,
            if c.ralph { "yes" } else { "no" }
        ));
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other.context("write the conversion table")?),
    }
}

/// The actor mode of `--actor-id`.
fn actor_id(values: Option<&[String]>) -> anyhow::Result<ActorId> {
    let usage = "`--actor-id` takes `user_id`, `username` or `anonymous-id-file PATH`";
    match values {
        None => Ok(ActorId::UserId),
        Some([mode]) if mode == "user_id" => Ok(ActorId::UserId),
        Some([mode]) if mode == "username" => Ok(ActorId::Username),
        Some([mode, path]) if mode == "anonymous-id-file" => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("read the anonymous id file `{path}`"))?;
            ActorId::parse_anonymous_ids(&text).map_err(|err| {
                ralph_core::Error::config(format!("anonymous id file `{path}`: {err}")).into()
            })
        }
        Some(other) => {
            Err(ralph_core::Error::config(format!("{usage}, got `{}`", other.join(" "))).into())
        }
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
    let actor = actor_id(args.actor_id.as_deref())?;
    let converter = Converter::new(namespace, &platform_url).with_actor_id(actor);
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
