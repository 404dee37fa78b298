//! `cargo xtask bench convert`: `ralph convert -f edx -t xapi` end to end, against the Python
//! ralph 5.1 in the same run.
//!
//! Two input files are generated from the conversion fixtures
//! (`crates/ralph-convert/fixtures/*.input.json`), `--events` lines each, every line made
//! distinct by its date (so every statement id differs):
//! - **nine**: the events of Ralph's nine conversions, the only ones the Python ralph converts;
//! - **families**: every conversion's event in turn (Ralph's nine, the event-routing-backends
//!   mappings and the conversions beyond them), about 9% of them Ralph's.
//!
//! Each round converts each file with the release `ralph` on one CPU (`taskset -c 0`, when
//! `taskset` is installed), with `ralph` on every CPU, and with the Python ralph on one CPU
//! (`--python-ralph BIN`), all with `-I`, output to a file. The table gives the best round of
//! each, the events read per second, the statements written, and the ratio to the Python ralph
//! on one CPU: per input line, and per statement written (the Python ralph skips the events it
//! has no conversion for, which costs it little). A last line compares ralph on every family
//! with the Python ralph converting the nine.

use std::fs::File;
use std::io::{BufRead as _, BufReader, BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use ralph_convert::Converter;

use crate::bench::build_release;

/// Options of the convert benchmark.
pub struct ConvertBench {
    /// Lines of each generated input file.
    pub events: usize,
    /// Rounds; the best of them is reported.
    pub rounds: usize,
    /// The `ralph` of a Python ralph 5.1 venv (`ralph-malph[cli]==5.1.0`).
    pub python_ralph: Option<PathBuf>,
    /// Skip `cargo build --release -p ralph-cli` (use the binary there).
    pub no_build: bool,
}

const NAMESPACE: &str = "ee241f8b-174f-5bdb-a76b-c2c3c0b4d7ff";
const PLATFORM: &str = "https://lms.example.org";

/// One converter on one file.
struct Runner {
    name: String,
    program: PathBuf,
    /// Pinned to one CPU.
    pinned: bool,
}

/// The best round of a runner on a file.
struct Row {
    file: &'static str,
    runner: String,
    pinned: bool,
    times: Vec<Duration>,
    statements: usize,
}

impl Row {
    fn best(&self) -> Duration {
        self.times.iter().min().copied().unwrap_or_default()
    }
}

/// Runs the benchmark and prints its table.
pub fn run(root: &Path, options: &ConvertBench) -> anyhow::Result<()> {
    if options.events == 0 || options.rounds == 0 {
        bail!("--events and --rounds must be at least 1");
    }
    let ralph = if options.no_build {
        root.join("target/release/ralph")
    } else {
        build_release(root)?
    };
    if !ralph.exists() {
        bail!(
            "{} is missing: build it or drop --no-build",
            ralph.display()
        );
    }
    let dir = std::env::temp_dir().join(format!("ralph-bench-convert-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let fixtures = root.join("crates/ralph-convert/fixtures");
    let files = [
        (
            "nine",
            write_input(&fixtures, &dir, "nine", options.events, true)?,
        ),
        (
            "families",
            write_input(&fixtures, &dir, "families", options.events, false)?,
        ),
    ];
    let taskset = Command::new("taskset")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !taskset {
        eprintln!("taskset is not installed: the one-CPU runs use every CPU");
    }
    let mut runners = Vec::new();
    if taskset {
        runners.push(Runner {
            name: "ralph".to_owned(),
            program: ralph.clone(),
            pinned: true,
        });
    }
    runners.push(Runner {
        name: "ralph".to_owned(),
        program: ralph,
        pinned: false,
    });
    if let Some(python) = &options.python_ralph {
        runners.push(Runner {
            name: "Python ralph 5.1".to_owned(),
            program: python.clone(),
            pinned: taskset,
        });
    }
    let mut rows: Vec<Row> = Vec::new();
    for round in 1..=options.rounds {
        for (file, input) in &files {
            for runner in &runners {
                let (elapsed, statements) = convert(runner, input, &dir)
                    .with_context(|| format!("{} on {file}", runner.name))?;
                eprintln!(
                    "round {round}: {} ({}) on {file}: {:.2} s, {statements} statements",
                    runner.name,
                    cpus(runner.pinned),
                    elapsed.as_secs_f64()
                );
                match rows.iter_mut().find(|r| {
                    r.file == *file && r.runner == runner.name && r.pinned == runner.pinned
                }) {
                    Some(row) => row.times.push(elapsed),
                    None => rows.push(Row {
                        file,
                        runner: runner.name.clone(),
                        pinned: runner.pinned,
                        times: vec![elapsed],
                        statements,
                    }),
                }
            }
        }
    }
    print_table(&rows, options.events);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn cpus(pinned: bool) -> &'static str {
    if pinned { "1 CPU" } else { "all CPUs" }
}

/// Writes `events` lines cycling through the fixture inputs of Ralph's nine (`nine`) or of
/// every conversion, keeping only those the converter accepts.
fn write_input(
    fixtures: &Path,
    dir: &Path,
    name: &str,
    events: usize,
    nine: bool,
) -> anyhow::Result<PathBuf> {
    let namespace = uuid::Uuid::parse_str(NAMESPACE)?;
    let converter = Converter::new(namespace, PLATFORM);
    let mut inputs = Vec::new();
    for conversion in ralph_convert::conversions() {
        if nine && !conversion.ralph {
            continue;
        }
        let path = fixtures.join(format!("{}.input.json", conversion.source));
        let line = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        if matches!(converter.convert_line(&line), Ok(Some(_))) {
            inputs.push(line);
        }
    }
    if inputs.is_empty() {
        bail!("no fixture converts in {}", fixtures.display());
    }
    let path = dir.join(format!("{name}.jsonl"));
    let mut out = BufWriter::new(File::create(&path)?);
    for i in 0..events {
        let line = inputs[i % inputs.len()].trim_end();
        // Distinct lines, hence distinct statement ids.
        let dated = line.replacen(
            "2024-01-15T10:00:00",
            &format!("2024-{:02}-{:02}T10:00:00", 1 + i / 28 % 12, 1 + i % 28),
            1,
        );
        writeln!(out, "{dated}")?;
    }
    out.flush()?;
    Ok(path)
}

/// Converts `input` with `runner`; the wall time and the statements written.
fn convert(runner: &Runner, input: &Path, dir: &Path) -> anyhow::Result<(Duration, usize)> {
    let output = dir.join("out.jsonl");
    let mut command = if runner.pinned {
        let mut c = Command::new("taskset");
        c.args(["-c", "0"]).arg(&runner.program);
        c
    } else {
        Command::new(&runner.program)
    };
    command
        .args([
            "convert", "-f", "edx", "-t", "xapi", "-p", PLATFORM, "-u", NAMESPACE, "-I",
        ])
        .stdin(File::open(input)?)
        .stdout(File::create(&output)?)
        .stderr(Stdio::null());
    let start = Instant::now();
    let status = command.status()?;
    let elapsed = start.elapsed();
    if !status.success() {
        bail!("{} exited with {status}", runner.program.display());
    }
    let statements = BufReader::new(File::open(&output)?).lines().count();
    Ok((elapsed, statements))
}

fn print_table(rows: &[Row], events: usize) {
    print_rows(rows, events);
    // Every family against what the Python ralph does when it converts: its rate on the nine.
    let find = |file: &str, python: bool| {
        rows.iter()
            .find(|r| r.file == file && r.pinned && r.runner.starts_with("Python") == python)
    };
    if let (Some(ours), Some(python)) = (find("families", false), find("nine", true)) {
        let ratio = python.best().as_secs_f64() / ours.best().as_secs_f64();
        println!();
        println!(
            "ralph on every family against the Python ralph converting the nine, events/s on one CPU: {ratio:.1}×"
        );
    }
}

fn print_rows(rows: &[Row], events: usize) {
    println!();
    println!(
        "| file | converter | CPUs | best of {} | events/s | statements | × Python per line | × Python per statement |",
        rows.first().map_or(0, |r| r.times.len())
    );
    println!("|---|---|---|---:|---:|---:|---:|---:|");
    for row in rows {
        let secs = row.best().as_secs_f64();
        let python = rows
            .iter()
            .find(|r| r.file == row.file && r.runner.starts_with("Python"));
        let (per_line, per_statement) = match python {
            Some(p) if !row.runner.starts_with("Python") && row.pinned && secs > 0.0 => {
                let p_secs = p.best().as_secs_f64();
                let per_line = p_secs / secs;
                let per_statement = if p.statements > 0 {
                    (row.statements as f64 / secs) / (p.statements as f64 / p_secs)
                } else {
                    f64::NAN
                };
                (format!("{per_line:.1}×"), format!("{per_statement:.1}×"))
            }
            _ => (String::new(), String::new()),
        };
        println!(
            "| {} | {} | {} | {:.2} s | {:.0} | {} | {per_line} | {per_statement} |",
            row.file,
            row.runner,
            cpus(row.pinned),
            secs,
            events as f64 / secs,
            row.statements,
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// The generated files: the asked number of distinct lines, each converted, and the nine's
    /// file holds only events of Ralph's conversions while the other holds every conversion's.
    #[test]
    fn the_inputs_are_distinct_convertible_events() {
        let root = crate::root();
        let fixtures = root.join("crates/ralph-convert/fixtures");
        let dir = std::env::temp_dir().join(format!("ralph-xtask-convert-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("test setup");
        let converter = Converter::new(
            uuid::Uuid::parse_str(NAMESPACE).expect("test setup"),
            PLATFORM,
        );
        let all = ralph_convert::conversions();
        for (name, nine, events) in [("nine", true, 500), ("families", false, 3 * all.len())] {
            let path = write_input(&fixtures, &dir, name, events, nine).expect("test setup");
            let text = std::fs::read_to_string(&path).expect("test setup");
            let lines: Vec<&str> = text.lines().collect();
            assert_eq!(lines.len(), events, "{name}");
            assert_eq!(lines.iter().collect::<HashSet<_>>().len(), events, "{name}");
            let mut types = HashSet::new();
            for line in &lines {
                let event: serde_json::Value = serde_json::from_str(line).expect("test setup");
                types.insert(event["event_type"].as_str().expect("test setup").to_owned());
                assert!(
                    matches!(converter.convert_line(line), Ok(Some(_))),
                    "{name}: {line}"
                );
            }
            let ralph = all.iter().filter(|c| c.ralph).count();
            if nine {
                assert!(types.len() <= ralph, "{types:?}");
            } else {
                assert!(types.len() > 80, "{}", types.len());
            }
        }
        std::fs::remove_dir_all(&dir).expect("test setup");
    }
}
