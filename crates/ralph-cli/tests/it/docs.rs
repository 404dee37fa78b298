//! docs/backends.md is generated from the settings structs and must be fresh.

use std::path::PathBuf;

#[test]
fn backends_reference_is_fresh() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/backends.md");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let fresh = ralph_core::docs::backends_markdown(&ralph_cli::registry());
    assert!(
        current == fresh,
        "docs/backends.md is stale: run `cargo xtask codegen` and commit it"
    );
}

#[test]
fn conversions_reference_is_fresh() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/conversions.md");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == ralph_convert::docs::markdown(),
        "docs/conversions.md is stale: run `cargo xtask codegen` and commit it"
    );
}

#[test]
fn every_setting_has_a_description() {
    for entry in ralph_cli::registry().entries() {
        for field in entry.fields() {
            assert!(
                !field.summary().is_empty(),
                "setting `{}.{}` has no doc comment: it is its --help line and its docs",
                entry.section(),
                field.name
            );
        }
    }
}
