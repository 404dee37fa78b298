//! Converts 100 000 edX events into xAPI statements, as `ralph convert -f edx -t xapi` does for
//! each line: two groups, Ralph's nine conversions (the events Ralph 5.1 converts) and every
//! family of `fixtures/` (Ralph's nine plus the event-routing-backends mappings and the
//! conversions beyond them).
//!
//! Run with `cargo bench -p ralph-convert --bench convert`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ralph_convert::Converter;
use uuid::Uuid;

const EVENTS: usize = 100_000;

/// The fixture input lines (each with its `\n`) of the conversions `keep` accepts, repeated
/// up to [`EVENTS`] lines, each made distinct by its `time`.
fn lines(keep: impl Fn(&ralph_convert::Conversion) -> bool) -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures");
    let converter = converter();
    let inputs: Vec<String> = ralph_convert::conversions()
        .iter()
        .filter(|conversion| keep(conversion))
        .filter_map(|conversion| {
            let name = conversion.source;
            std::fs::read_to_string(format!("{dir}/{name}.input.json")).ok()
        })
        // Only the lines that convert: the bench measures conversions, not error reports.
        .filter(|line| matches!(converter.convert_line(line), Ok(Some(_))))
        .collect();
    assert!(!inputs.is_empty(), "no fixture in {dir}");
    (0..EVENTS)
        .map(|i| {
            let line = &inputs[i % inputs.len()];
            line.replacen(
                "2024-01-15T10:00:00",
                &format!("2024-01-{:02}T10:00:00", 1 + i % 28),
                1,
            )
        })
        .collect()
}

fn converter() -> Converter {
    let namespace = Uuid::parse_str("ee241f8b-174f-5bdb-bae9-c09de5fe017f").expect("a UUID");
    Converter::new(namespace, "https://lms.example.org")
}

fn convert(c: &mut Criterion) {
    let converter = converter();
    let mut group = c.benchmark_group("convert");
    group.sample_size(10);
    for (name, lines) in [
        ("100k events, Ralph's nine", lines(|c| c.ralph)),
        ("100k events, every family", lines(|_| true)),
    ] {
        let bytes: usize = lines.iter().map(String::len).sum();
        group.throughput(Throughput::Elements(lines.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                let mut out = 0;
                for line in &lines {
                    let statement = converter
                        .convert_line(black_box(line))
                        .unwrap_or_else(|e| panic!("{e}: {line}"))
                        .expect("a converted event");
                    out += statement.len();
                }
                out
            });
        });
        eprintln!("{name}: {bytes} input bytes");
    }
    group.finish();
}

criterion_group!(benches, convert);
criterion_main!(benches);
