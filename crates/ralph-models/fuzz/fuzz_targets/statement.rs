//! Any bytes given to the xAPI statement validator: never a panic, and a statement it accepts
//! re-serialises to JSON it accepts again, unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ralph_models::xapi;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(validated) = xapi::validate_statement_str(text) {
        let again = xapi::validate_statement_str(&validated.json)
            .expect("a normalised statement validates again");
        assert_eq!(again.json, validated.json, "normalisation is stable");
    }
});
