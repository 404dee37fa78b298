//! Validates 100 000 xAPI statements, as `ralph validate -f xapi` does for each line: parse the
//! JSON text, check the xAPI rules, select the statement type and check its rules, serialise
//! the normalised JSON.
//!
//! Run with `cargo bench -p ralph-models --bench validate`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ralph_models::xapi;
use serde_json::json;

const STATEMENTS: usize = 100_000;

/// One line in four is a generic statement, the others cycle over every statement type.
fn lines() -> Vec<String> {
    let types = xapi::statement_types();
    let generic = json!({
        "actor": {"objectType": "Group", "member": [
            {"mbox": "mailto:jane@example.org", "name": "Jane"},
            {"account": {"homePage": "https://example.org", "name": "bob"}}
        ]},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered", "fr-FR": "a répondu"}},
        "object": {"id": "https://example.org/quiz/1/q/2", "definition": {
            "name": {"en-US": "Question 2"},
            "type": "https://example.org/types/question",
            "interactionType": "choice",
            "correctResponsesPattern": ["a[,]c"],
            "choices": [{"id": "a"}, {"id": "b"}, {"id": "c"}]
        }},
        "result": {"score": {"scaled": 0.8, "raw": 8, "min": 0, "max": 10}, "success": true, "duration": "PT2M13S"},
        "context": {"registration": "6d2f1a0e-0b5c-4f8a-a2a4-3f0bf1a27c10", "platform": "Moodle", "language": "en-US"},
        "timestamp": "2024-01-15T10:00:00.123+01:00"
    });
    (0..STATEMENTS)
        .map(|i| {
            let mut statement = if i % 4 == 0 {
                generic.clone()
            } else {
                types[i % types.len()].example()
            };
            statement["id"] = uuid::Uuid::from_u128(i as u128).to_string().into();
            statement.to_string()
        })
        .collect()
}

fn validate(c: &mut Criterion) {
    let lines = lines();
    let mut group = c.benchmark_group("validate");
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.sample_size(10);
    group.bench_function("100k statements", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for line in &lines {
                let validated = xapi::validate_statement_str(black_box(line))
                    .unwrap_or_else(|e| panic!("{e}: {line}"));
                bytes += validated.json.len();
            }
            bytes
        });
    });
    group.finish();
}

criterion_group!(benches, validate);
criterion_main!(benches);
