//! Any bytes given to the edX event validator: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ralph_models::edx;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = edx::validate_line(text);
    }
});
