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
         tracking-log event below into one xAPI statement; other events are skipped (or fail \
         with `--fail-on-unknown`). The conversions marked *Ralph* print byte for byte what \
         Ralph 5.1 prints (statement `id` = UUID v5 of the namespace and the raw input line \
         including its newline); the others follow Open edX's event-routing-backends \
         vocabulary.\n\n\
         | edX event | statement | verb | activity type | Ralph |\n\
         |---|---|---|---|---|\n",
    );
    for c in conversions() {
        let _ = writeln!(
            out,
            "| [`{}`](#{}) | {} | `{}` | `{}` | {} |",
            c.source,
            c.source.to_lowercase(),
            c.statement,
            c.verb,
            c.activity_type,
            if c.ralph { "yes" } else { "no" }
        );
    }
    for c in conversions() {
        let _ = write!(
            out,
            "\n## {}\n\n{} → {}: {}.\n\nSample event:\n\n```json\n{}```\n\nStatement \
             (namespace `{}`, platform `{}`):\n\n```json\n",
            c.source,
            c.source,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_conversion_is_documented_with_a_converted_example() {
        let page = markdown();
        assert!(!page.contains("error: "), "an example fails to convert");
        for c in conversions() {
            assert!(
                page.contains(&format!("\n## {}\n", c.source)),
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
