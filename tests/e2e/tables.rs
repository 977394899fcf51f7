//! The Parquet tables of a run, read back with polars: the schema documented in
//! docs/outputs.md, the same rows as the CSV tables, and GPU time that adds up.

use crate::common;

use std::collections::BTreeMap;
use std::path::Path;

use reports::polars::prelude::{DataFrame, DataType, ParquetReader, SerReader};

const TABLES: [&str; 5] = ["jobs", "timeline", "quota", "events", "queue"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub(crate) fn read_parquet(path: &Path) -> DataFrame {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(file).finish().unwrap()
}

/// Column name → Parquet type, from the table under the heading `## \`STEM.parquet\``.
pub(crate) fn documented_schema(stem: &str) -> Vec<(String, String)> {
    let doc = std::fs::read_to_string(root().join("docs/outputs.md")).unwrap();
    let heading = format!("## `{stem}.parquet`");
    let section = doc
        .split("\n## ")
        .find(|s| format!("## {s}").starts_with(&heading))
        .unwrap_or_else(|| panic!("docs/outputs.md has no section {heading}"));
    let mut columns = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        for name in cells[1].split(',') {
            columns.push((
                name.trim().trim_matches('`').to_owned(),
                cells[2].to_owned(),
            ));
        }
    }
    columns
}

pub(crate) fn type_name(dtype: &DataType) -> String {
    match dtype {
        DataType::String => "String".into(),
        DataType::UInt64 => "UInt64".into(),
        DataType::Int64 => "Int64".into(),
        DataType::Float64 => "Float64".into(),
        other => format!("{other:?}"),
    }
}

fn check_schema(dir: &Path) {
    for stem in TABLES {
        let frame = read_parquet(&dir.join(format!("{stem}.parquet")));
        let actual: Vec<(String, String)> = frame
            .columns()
            .iter()
            .map(|c| (c.name().to_string(), type_name(c.dtype())))
            .collect();
        assert_eq!(actual, documented_schema(stem), "{stem}.parquet");
    }
}

fn floats(frame: &DataFrame, column: &str) -> Vec<Option<f64>> {
    frame
        .column(column)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect()
}

fn strings(frame: &DataFrame, column: &str) -> Vec<String> {
    frame
        .column(column)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap_or("").to_owned())
        .collect()
}

/// ∫ allocated GPUs dt over [0, end] per (cluster, GPU model), summed; rows hold from their
/// time until the next row of the same pair.
fn timeline_gpu_seconds(dir: &Path, end_s: f64) -> f64 {
    let timeline = read_parquet(&dir.join("timeline.parquet"));
    let times = floats(&timeline, "time_s");
    let allocated = floats(&timeline, "allocated_gpus");
    let pairs: Vec<String> = strings(&timeline, "cluster")
        .into_iter()
        .zip(strings(&timeline, "gpu_model"))
        .map(|(c, m)| format!("{c}/{m}"))
        .collect();
    let mut current: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    let mut total = 0.0;
    for ((time, gpus), pair) in times.iter().zip(&allocated).zip(&pairs) {
        let (time, gpus) = (time.unwrap(), gpus.unwrap());
        if let Some((since, held)) = current.insert(pair, (time, gpus)) {
            total += held * (time - since);
        }
    }
    total
        + current
            .values()
            .map(|(since, held)| held * (end_s - since))
            .sum::<f64>()
}

fn job_gpu_seconds(dir: &Path) -> f64 {
    let jobs = read_parquet(&dir.join("jobs.parquet"));
    floats(&jobs, "gpu_hours")
        .iter()
        .map(|h| h.unwrap() * 3600.0)
        .sum()
}

fn end_s(dir: &Path) -> f64 {
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    summary["end_s"].as_f64().unwrap()
}

#[test]
fn hand_worked_tables_hold_the_hand_calculated_gpu_time() {
    let scenario = root().join("tests/scenarios/hand-worked.yaml");
    let (_tmp, out) = common::run_quiet_with(&scenario, &[]);
    check_schema(&out);
    // tests/hand_worked.rs: alpha holds 72,000 GPU·s and beta 21,600 up to 7,230 s.
    assert_eq!(end_s(&out), 7230.0);
    assert_eq!(timeline_gpu_seconds(&out, 7230.0), 93_600.0);
    assert_eq!(job_gpu_seconds(&out), 93_600.0);
    let jobs = read_parquet(&out.join("jobs.parquet"));
    assert_eq!(jobs.height(), 4);
    // j2 waited 3,610 s (tests/hand_worked.rs); no faults, so no recovery time.
    let names = strings(&jobs, "name");
    let j2 = names.iter().position(|n| n == "j2").unwrap();
    assert_eq!(floats(&jobs, "wait_s")[j2], Some(3610.0));
    assert_eq!(floats(&jobs, "mean_recovery_s")[j2], None);
    assert_eq!(read_parquet(&out.join("events.parquet")).height(), 0);
}

#[test]
fn quickstart_parquet_and_csv_tables_hold_the_same_rows() {
    if common::skip_slow() {
        return;
    }
    let scenario = root().join("examples/scenarios/quickstart.yaml");
    let (_a, parquet) = common::run_quiet_with(&scenario, &[]);
    let (_b, csv) = common::run_quiet(&scenario);
    check_schema(&parquet);
    for stem in TABLES {
        let frame = read_parquet(&parquet.join(format!("{stem}.parquet")));
        let text = std::fs::read_to_string(csv.join(format!("{stem}.csv"))).unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(
            frame.height(),
            reader.records().count(),
            "{stem}: rows in Parquet and CSV"
        );
    }
    assert_eq!(read_parquet(&parquet.join("jobs.parquet")).height(), 10_000);
    // Every GPU-second on the timeline belongs to a job; job GPU-hours are rounded to 1e-6
    // each, so the sums agree within 10,000 × 0.5e-6 h = 18 GPU·s.
    let timeline = timeline_gpu_seconds(&parquet, end_s(&parquet));
    let jobs = job_gpu_seconds(&parquet);
    assert!(timeline > 0.0);
    assert!((timeline - jobs).abs() <= 18.0, "{timeline} vs {jobs}");
    assert_eq!(
        std::fs::read(parquet.join("summary.json")).unwrap(),
        std::fs::read(csv.join("summary.json")).unwrap()
    );
}

#[test]
fn the_queue_starts_at_zero_and_ends_with_the_jobs_left_waiting() {
    if common::skip_slow() {
        return;
    }
    let scenario = root().join("examples/scenarios/quickstart.yaml");
    let (_tmp, out) = common::run_quiet_with(&scenario, &[]);
    let queue = read_parquet(&out.join("queue.parquet"));
    let series = strings(&queue, "priority_class");
    let waiting: Vec<u64> = queue
        .column("waiting_jobs")
        .unwrap()
        .u64()
        .unwrap()
        .iter()
        .map(Option::unwrap)
        .collect();
    let times = floats(&queue, "time_s");
    assert_eq!(series[0], "(all)");
    assert_eq!(times[0], Some(0.0));
    let last_all = series.iter().rposition(|s| s == "(all)").unwrap();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let jobs = &summary["jobs"];
    let never_started = ["queued", "unschedulable", "unmatched"]
        .iter()
        .map(|k| jobs[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(waiting[last_all], never_started);
}
