//! Every statement the converter produces is valid xAPI, and those of Ralph's conversions and
//! the video ones match their profile statement type.

use ralph_models::xapi;

#[test]
fn every_fixture_statement_passes_the_xapi_validation() {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let Some(model) = name.strip_suffix(".expected.json") else {
            continue;
        };
        let text = std::fs::read_to_string(&path).expect("fixture");
        let validated = xapi::validate_statement_str(text.trim())
            .unwrap_or_else(|err| panic!("{model}: {err}"));
        let ralph = ralph_convert::conversions()
            .iter()
            .find(|c| c.source == model)
            .unwrap_or_else(|| panic!("{model} is in the conversion table"))
            .ralph;
        // Ralph's statements, and every video statement, are of a profile statement type.
        let video = text.contains(r#""type":"https://w3id.org/xapi/video/activity-type/video""#);
        if ralph || video {
            assert!(
                validated.type_name().is_some(),
                "{model}: no profile statement type matches"
            );
        }
        if model.contains("transcript") || model == "speed_change_video" {
            assert_eq!(validated.type_name(), Some("VideoInteracted"), "{model}");
        }
        checked += 1;
    }
    assert_eq!(
        checked,
        ralph_convert::conversions().len(),
        "one fixture per conversion"
    );
}
