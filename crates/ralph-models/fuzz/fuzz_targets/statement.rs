//! Any bytes given to the xAPI statement validator: never a panic, and a statement it accepts
//! re-serialises to JSON it accepts again, unchanged; the borrowed JSON tree the validator reads
//! holds exactly what `serde_json::Value` holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ralph_models::json::Node;
use ralph_models::xapi;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match (Node::from_str(text), serde_json::from_str::<serde_json::Value>(text)) {
        (Ok(node), Ok(value)) => assert_eq!(node.to_value(), value, "same tree as serde_json"),
        (Err(_), Err(_)) => {}
        (node, value) => panic!("Node: {node:?}, Value: {value:?}"),
    }
    if let Ok(validated) = xapi::validate_statement_str(text) {
        let again = xapi::validate_statement_str(&validated.json)
            .expect("a normalised statement validates again");
        assert_eq!(again.json, validated.json, "normalisation is stable");
    }
});
