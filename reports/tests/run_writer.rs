//! A [`RunWriter`] fed hand-made records: every expected value below is worked out by hand
//! from the records, not copied from the program's output.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use reports::{
    Distribution, Error, JobCounts, RunMeta, RunWriter, Summary, TableFormat, WriterConfig,
};
use sim_core::SimTime;
use sim_core::model::fixture::{WorldBuilder, cluster};
use sim_core::model::{ClusterId, GpuModelId, JobId, NamespaceId, PriorityClassId, World};
use sim_core::record::{
    AllocationRecord, EventKind, EventRecord, FaultStats, JobRecord, JobState, Preemptor, Record,
    RecordSink,
};

const EAST: ClusterId = ClusterId(0);
const WEST: ClusterId = ClusterId(1);
const A100: GpuModelId = GpuModelId(0);
const H100: GpuModelId = GpuModelId(1);
const HIGH: Option<PriorityClassId> = Some(PriorityClassId(0));
const LOW: Option<PriorityClassId> = Some(PriorityClassId(1));

/// Clusters east and west, models A100 and H100, one namespace, classes high and low. Node
/// pools are left out: the writer learns capacity from the allocation records.
fn world() -> World {
    WorldBuilder::new()
        .gpu_model("A100", 80 << 30, 1000)
        .gpu_model("H100", 80 << 30, 1000)
        .cluster(cluster("east"))
        .cluster(cluster("west"))
        .namespace("team-a")
        .priority_class("high", 1000, false)
        .priority_class("low", 0, false)
        .build()
}

fn alloc(
    time_ms: u64,
    cluster: ClusterId,
    model: GpuModelId,
    allocated: u64,
    capacity: u64,
) -> Record {
    Record::Allocation(AllocationRecord {
        time: SimTime(time_ms),
        cluster,
        gpu_model: model,
        allocated_milli: allocated,
        capacity_milli: capacity,
        fragment_milli: 0,
    })
}

/// A job record with no GPU time, no start, no end; tests override what they need.
fn job(id: u64, name: &str, class: Option<PriorityClassId>, submit_ms: u64) -> JobRecord {
    JobRecord {
        id: JobId(id),
        name: name.to_owned(),
        namespace: NamespaceId(0),
        priority_class: class,
        submit: SimTime(submit_ms),
        start: None,
        end: None,
        state: JobState::Queued,
        n_replicas: 1,
        n_gpus: 0,
        gpu_milli_ms: 0,
        clusters: Vec::new(),
        n_attempts: 1,
        last_failure: None,
        n_pods_sent: 0,
        n_pods_waited: 0,
        member_wait_ms: 0,
        waited_under_budget: false,
        faults: FaultStats::default(),
    }
}

/// A job that started and ran to completion, holding no GPU.
fn completed(
    id: u64,
    class: Option<PriorityClassId>,
    submit_s: u64,
    start_s: u64,
    end_s: u64,
) -> Record {
    Record::Job(JobRecord {
        start: Some(SimTime(start_s * 1000)),
        end: Some(SimTime(end_s * 1000)),
        state: JobState::Completed,
        ..job(id, &format!("j{id}"), class, submit_s * 1000)
    })
}

fn meta(end_ms: u64, horizon_ms: Option<u64>) -> RunMeta {
    RunMeta {
        scenario: "tiny".to_owned(),
        seed: 7,
        version: "0.1.0".to_owned(),
        horizon: horizon_ms.map(SimTime),
        end: SimTime(end_ms),
    }
}

/// CSV tables, so tests can compare them as text; balance over all clusters.
const CSV: WriterConfig = WriterConfig {
    format: TableFormat::Csv,
    balance_by: None,
};

fn run(
    dir: &Path,
    records: impl IntoIterator<Item = Record>,
    meta: &RunMeta,
) -> Result<Summary, Error> {
    let mut writer = RunWriter::create(dir, &world(), &CSV)?;
    for record in records {
        writer.record(record);
    }
    writer.finish(meta)
}

fn read(dir: &Path, file: &str) -> String {
    fs::read_to_string(dir.join(file)).unwrap()
}

/// East holds 16 A100 and one job keeps 8 of them from 0 to the end at 100 s.
fn half_held_records() -> Vec<Record> {
    vec![
        alloc(0, EAST, A100, 0, 16_000),
        alloc(0, EAST, A100, 8_000, 16_000),
        Record::Job(JobRecord {
            name: "train".to_owned(),
            start: Some(SimTime(0)),
            state: JobState::Running,
            n_replicas: 2,
            n_gpus: 8,
            // 8 GPUs for 100 s.
            gpu_milli_ms: 8_000 * 100_000,
            clusters: vec![(EAST, 2)],
            ..job(0, "train", HIGH, 0)
        }),
    ]
}

/// The `faults` fields of a run without faults (indented as the totals are).
const NO_FAULTS: &str = r#"    "evictions": 0,
    "preemptions": {
      "member": 0,
      "control_plane": 0
    },
    "restarts": 0,
    "lost_gpu_hours": 0.0,
    "recovery_s": {
      "count": 0,
      "mean": 0.0,
      "p50": 0.0,
      "p95": 0.0,
      "max": 0.0
    },
    "jobs_failed": 0"#;

#[test]
fn half_the_gpus_held_all_run_is_half_utilization() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(
        dir.path(),
        half_held_records(),
        &meta(100_000, Some(100_000)),
    )
    .unwrap();

    assert_eq!(
        read(dir.path(), "jobs.csv"),
        "job_id,name,namespace,priority_class,state,submit_s,start_s,end_s,wait_s,jct_s,replicas,gpus,gpu_hours,clusters,attempts,last_failure,\
         evictions,preemptions,restarts,lost_gpu_hours,recoveries,mean_recovery_s\n\
         0,train,team-a,high,running,0.000,0.000,,0.000,,2,8,0.222222,east:2,1,,0,0,0,0.000000,0,\n"
    );
    assert_eq!(
        read(dir.path(), "timeline.csv"),
        "time_s,cluster,gpu_model,allocated_gpus,capacity_gpus,fragment_gpus,power_watts\n\
         0.000,east,A100,0.000,16.000,0.000,\n\
         0.000,east,A100,8.000,16.000,0.000,\n"
    );
    // 800 GPU·s = 0.2222… GPU-hours of 1600 installed and available (east's 16 GPUs, all up
    // for 100 s): 0.4444…, none down; west and H100 have no capacity, so 0. With capacity in
    // east only, no two clusters are compared: balance 0.
    let zeros = r#"{
      "count": 0,
      "mean": 0.0,
      "p50": 0.0,
      "p95": 0.0,
      "p99": 0.0
    }"#;
    let one_zero_wait = zeros.replace("\"count\": 0", "\"count\": 1");
    let expected = format!(
        r#"{{
  "scenario": "tiny",
  "seed": 7,
  "fleetsim_version": "0.1.0",
  "horizon_s": 100.0,
  "end_s": 100.0,
  "gpu_utilization": {{
    "overall": 0.5,
    "of_installed": 0.5,
    "per_cluster": {{
      "east": 0.5,
      "west": 0.0
    }},
    "per_gpu_model": {{
      "A100": 0.5,
      "H100": 0.0
    }}
  }},
  "jobs": {{
    "submitted": 1,
    "completed": 0,
    "running": 1,
    "queued": 0,
    "unschedulable": 0,
    "unmatched": 0,
    "failed": 0
  }},
  "waiting_s": {wait},
  "waiting_s_per_priority_class": {{
    "high": {class_wait}
  }},
  "jct_s": {jct},
  "gpu_hours": {{
    "allocated": 0.222222,
    "installed": 0.444444,
    "available": 0.444444,
    "down": 0.0
  }},
  "member_pods": {{
    "sent": 0,
    "waited": 0,
    "waited_share": 0.0,
    "extra_wait_s": 0.0
  }},
  "namespaces": {{}},
  "balance": {{
    "all": {{
      "clusters": [
        "east",
        "west"
      ],
      "spread": 0.0,
      "cv": 0.0
    }}
  }},
  "faults": {{
{no_faults},
    "per_namespace": {{
      "team-a": {{
{ns_faults}
      }}
    }}
  }},
  "teams": {{
    "team-a": {{
      "jobs": {{
        "submitted": 1,
        "completed": 0,
        "running": 1,
        "queued": 0,
        "unschedulable": 0,
        "unmatched": 0,
        "failed": 0
      }},
      "gpu_hours": 0.222222,
      "goodput": 0.0,
      "waiting_s": {team_wait},
      "jct_s": {team_jct}
    }}
  }}
}}
"#,
        wait = one_zero_wait.replace("\n    ", "\n  "),
        class_wait = one_zero_wait,
        jct = zeros.replace("\n    ", "\n  "),
        team_wait = one_zero_wait.replace('\n', "\n  "),
        team_jct = zeros.replace('\n', "\n  "),
        no_faults = NO_FAULTS,
        ns_faults = NO_FAULTS
            .replace("\n", "\n    ")
            .replacen("    ", "        ", 1),
    );
    assert_eq!(read(dir.path(), "summary.json"), expected);
    assert_eq!(summary.gpu_utilization.overall, 0.5);
}

/// East: 8 A100, 4 of them held from 10 s to 30 s. West: 4 A100 never used; 8 H100 of which 4
/// are held from 20 s to the end (reached in two steps at the same instant), and 4 idle ones go
/// down at 30 s. The run ends at 40 s.
fn piecewise_records() -> Vec<Record> {
    vec![
        alloc(0, EAST, A100, 0, 8_000),
        alloc(0, WEST, A100, 0, 4_000),
        alloc(0, WEST, H100, 0, 8_000),
        alloc(10_000, EAST, A100, 4_000, 8_000),
        alloc(20_000, WEST, H100, 2_000, 8_000),
        alloc(20_000, WEST, H100, 4_000, 8_000),
        Record::Job(JobRecord {
            start: Some(SimTime(10_000)),
            end: Some(SimTime(30_000)),
            state: JobState::Completed,
            n_gpus: 4,
            gpu_milli_ms: 4_000 * 20_000,
            clusters: vec![(EAST, 1)],
            ..job(0, "a", LOW, 5_250)
        }),
        alloc(30_000, EAST, A100, 0, 8_000),
        alloc(30_000, WEST, H100, 4_000, 4_000),
        Record::Job(JobRecord {
            start: Some(SimTime(20_000)),
            state: JobState::Running,
            n_replicas: 2,
            n_gpus: 4,
            gpu_milli_ms: 4_000 * 20_000,
            clusters: vec![(WEST, 2)],
            n_attempts: 2,
            ..job(1, "b", None, 15_000)
        }),
        Record::Job(JobRecord {
            state: JobState::Unschedulable,
            n_replicas: 4,
            n_gpus: 16,
            n_attempts: 3,
            last_failure: Some(r#"no cluster has 16 free GPUs, "H100" wanted"#.to_owned()),
            ..job(2, "c", HIGH, 35_000)
        }),
    ]
}

#[test]
fn utilization_integrates_piecewise_constant_allocation() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(dir.path(), piecewise_records(), &meta(40_000, None)).unwrap();
    let util = &summary.gpu_utilization;
    // In GPU·s. east A100: held 4 × 20 = 80 of 8 × 40 = 320.
    // west A100: 0 of 4 × 40 = 160. west H100: held 4 × 20 = 80 of 8 × 30 + 4 × 10 = 280.
    assert_eq!(util.per_cluster["east"], 0.25); // 80 / 320
    assert_eq!(util.per_cluster["west"], 0.181818); // 80 / 440 = 2/11
    assert_eq!(util.per_gpu_model["A100"], 0.166667); // 80 / 480 = 1/6
    assert_eq!(util.per_gpu_model["H100"], 0.285714); // 80 / 280 = 2/7
    assert_eq!(util.overall, 0.210526); // 160 / 760 = 4/19
    assert_eq!(summary.gpu_hours.allocated, 0.044444); // 160 GPU·s
    assert_eq!(summary.horizon_s, None);
    assert_eq!(summary.end_s, 40.0);
    assert_eq!(
        summary.jobs,
        JobCounts {
            submitted: 3,
            completed: 1,
            running: 1,
            queued: 0,
            unschedulable: 1,
            unmatched: 0,
            failed: 0,
        }
    );
    // Waits: a 10 − 5.25 = 4.75 s, b 20 − 15 = 5 s; c never started.
    assert_eq!(
        summary.waiting_s,
        Distribution {
            count: 2,
            mean: 4.875,
            p50: 4.75,
            p95: 5.0,
            p99: 5.0,
        }
    );
    let single = |secs| Distribution {
        count: 1,
        mean: secs,
        p50: secs,
        p95: secs,
        p99: secs,
    };
    assert_eq!(summary.jct_s, single(24.75));
    assert_eq!(
        summary.waiting_s_per_priority_class,
        BTreeMap::from([
            ("(none)".to_owned(), single(5.0)),
            ("high".to_owned(), Distribution::default()),
            ("low".to_owned(), single(4.75)),
        ])
    );
}

#[test]
fn tables_print_exact_times_and_quote_free_text() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), piecewise_records(), &meta(40_000, None)).unwrap();
    assert_eq!(
        read(dir.path(), "jobs.csv"),
        "job_id,name,namespace,priority_class,state,submit_s,start_s,end_s,wait_s,jct_s,replicas,gpus,gpu_hours,clusters,attempts,last_failure,\
         evictions,preemptions,restarts,lost_gpu_hours,recoveries,mean_recovery_s\n\
         0,a,team-a,low,completed,5.250,10.000,30.000,4.750,24.750,1,4,0.022222,east:1,1,,0,0,0,0.000000,0,\n\
         1,b,team-a,,running,15.000,20.000,,5.000,,2,4,0.022222,west:2,2,,0,0,0,0.000000,0,\n\
         2,c,team-a,high,unschedulable,35.000,,,,,4,16,0.000000,,3,\"no cluster has 16 free GPUs, \"\"H100\"\" wanted\",0,0,0,0.000000,0,\n"
    );
    assert_eq!(
        read(dir.path(), "timeline.csv"),
        "time_s,cluster,gpu_model,allocated_gpus,capacity_gpus,fragment_gpus,power_watts\n\
         0.000,east,A100,0.000,8.000,0.000,\n\
         0.000,west,A100,0.000,4.000,0.000,\n\
         0.000,west,H100,0.000,8.000,0.000,\n\
         10.000,east,A100,4.000,8.000,0.000,\n\
         20.000,west,H100,2.000,8.000,0.000,\n\
         20.000,west,H100,4.000,8.000,0.000,\n\
         30.000,east,A100,0.000,8.000,0.000,\n\
         30.000,west,H100,4.000,4.000,0.000,\n"
    );
}

#[test]
fn fractional_gpus_are_integrated_and_printed_exactly() {
    // Half-and-one GPUs of 2 held from 1 s to 3 s, in a 4 s run.
    let records = [
        alloc(0, WEST, H100, 0, 2_000),
        alloc(1_000, WEST, H100, 1_500, 2_000),
        Record::Job(JobRecord {
            start: Some(SimTime(1_000)),
            end: Some(SimTime(3_000)),
            state: JobState::Completed,
            n_gpus: 2,
            gpu_milli_ms: 1_500 * 2_000,
            clusters: vec![(EAST, 1), (WEST, 1)],
            ..job(0, "frac", None, 0)
        }),
        alloc(3_000, WEST, H100, 0, 2_000),
    ];
    let dir = tempfile::tempdir().unwrap();
    let summary = run(dir.path(), records, &meta(4_000, None)).unwrap();
    // 1.5 × 2 = 3 GPU·s of 2 × 4 = 8.
    assert_eq!(summary.gpu_utilization.overall, 0.375);
    assert_eq!(summary.gpu_hours.allocated, 0.000833); // 3 / 3600 = 0.000833…
    let jobs = read(dir.path(), "jobs.csv");
    assert_eq!(
        jobs.lines().nth(1),
        Some(
            "0,frac,team-a,,completed,0.000,1.000,3.000,1.000,3.000,1,2,0.000833,east:1;west:1,1,,0,0,0,0.000000,0,"
        )
    );
    assert_eq!(
        read(dir.path(), "timeline.csv"),
        "time_s,cluster,gpu_model,allocated_gpus,capacity_gpus,fragment_gpus,power_watts\n\
         0.000,west,H100,0.000,2.000,0.000,\n\
         1.000,west,H100,1.500,2.000,0.000,\n\
         3.000,west,H100,0.000,2.000,0.000,\n"
    );
}

#[test]
fn waits_use_nearest_rank_percentiles_overall_and_per_priority_class() {
    // Waits 10 (high), 20 (none), 30 (low), 40 (high) s; one high job never starts.
    // Completion times 60, 50, 130, 100 s. Records arrive in completion order.
    let records = [
        completed(1, None, 5, 25, 55),
        completed(0, HIGH, 0, 10, 60),
        completed(3, HIGH, 0, 40, 100),
        completed(2, LOW, 0, 30, 130),
        Record::Job(job(4, "late", HIGH, 50_000)),
    ];
    let dir = tempfile::tempdir().unwrap();
    let summary = run(dir.path(), records, &meta(200_000, None)).unwrap();
    let dist = |count, mean, p50, p95, p99| Distribution {
        count,
        mean,
        p50,
        p95,
        p99,
    };
    // Nearest rank over 4 values: p50 is rank 2, p95 and p99 rank 4.
    assert_eq!(summary.waiting_s, dist(4, 25.0, 20.0, 40.0, 40.0));
    assert_eq!(summary.jct_s, dist(4, 85.0, 60.0, 130.0, 130.0));
    let per_class = &summary.waiting_s_per_priority_class;
    // Two values: p50 is rank 1, p95 rank 2.
    assert_eq!(per_class["high"], dist(2, 25.0, 10.0, 40.0, 40.0));
    assert_eq!(per_class["low"], dist(1, 30.0, 30.0, 30.0, 30.0));
    assert_eq!(per_class["(none)"], dist(1, 20.0, 20.0, 20.0, 20.0));
    assert_eq!(per_class.len(), 3);
    assert_eq!(summary.jobs.submitted, 5);
    assert_eq!(summary.jobs.completed, 4);
    assert_eq!(summary.jobs.queued, 1);
    // No capacity anywhere: utilization is 0, not NaN.
    assert_eq!(summary.gpu_utilization.overall, 0.0);
}

#[test]
fn gpu_time_check_compares_the_timeline_with_job_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = RunWriter::create(dir.path(), &world(), &CSV).unwrap();
    let mut records = half_held_records();
    let job = records.pop().unwrap();
    for record in records {
        writer.record(record);
    }
    // 8 GPUs held for 100 s, and no job has accounted for them yet.
    assert!(matches!(
        writer.check_gpu_time(SimTime(100_000)),
        Err(Error::Invariant(_))
    ));
    writer.record(job);
    assert!(writer.check_gpu_time(SimTime(100_000)).is_ok());
    // Up to 50 s the timeline holds only half of what the job reports.
    assert!(writer.check_gpu_time(SimTime(50_000)).is_err());
}

#[test]
fn finish_refuses_records_whose_gpu_time_disagrees() {
    let mut records = half_held_records();
    if let Some(Record::Job(job)) = records.last_mut() {
        // The job claims 4 GPUs for 100 s while the timeline shows 8.
        job.gpu_milli_ms = 4_000 * 100_000;
    }
    let dir = tempfile::tempdir().unwrap();
    match run(dir.path(), records, &meta(100_000, None)) {
        Err(Error::Invariant(message)) => {
            assert!(message.contains("800000000"), "{message}");
            assert!(message.contains("400000000"), "{message}");
        }
        other => panic!("expected an invariant error, got {other:?}"),
    }
    assert!(!dir.path().join("summary.json").exists());
}

#[test]
fn identical_runs_write_identical_files() {
    let first = tempfile::tempdir().unwrap();
    let second = tempfile::tempdir().unwrap();
    for dir in [&first, &second] {
        run(dir.path(), piecewise_records(), &meta(40_000, Some(60_000))).unwrap();
    }
    for file in ["jobs.csv", "timeline.csv", "summary.json"] {
        assert_eq!(
            fs::read(first.path().join(file)).unwrap(),
            fs::read(second.path().join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn summary_json_reads_back_equal() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run(dir.path(), piecewise_records(), &meta(40_000, Some(60_000))).unwrap();
    let read_back: Summary = serde_json::from_str(&read(dir.path(), "summary.json")).unwrap();
    assert_eq!(read_back, summary);
    assert_eq!(read_back.horizon_s, Some(60.0));
}

#[test]
fn create_makes_missing_directories_and_reports_unusable_ones() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("runs/one");
    run(&nested, [], &meta(0, None)).unwrap();
    assert!(nested.join("summary.json").exists());

    let file = dir.path().join("not-a-dir");
    fs::write(&file, "").unwrap();
    match RunWriter::create(&file, &world(), &CSV) {
        Err(Error::Io { path, .. }) => assert_eq!(path, file),
        Err(other) => panic!("expected an IO error, got {other}"),
        Ok(_) => panic!("expected an IO error"),
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_write_error_during_the_run_is_returned_by_finish() {
    let dir = tempfile::tempdir().unwrap();
    // Every write to /dev/full fails with "no space left on device".
    std::os::unix::fs::symlink("/dev/full", dir.path().join("jobs.csv")).unwrap();
    let mut writer = RunWriter::create(dir.path(), &world(), &CSV).unwrap();
    // Far more than csv's 8 KiB buffer, so the failure happens inside `record`.
    for id in 0..1_000 {
        writer.record(Record::Job(job(id, "queued", None, 0)));
    }
    match writer.finish(&meta(0, None)) {
        Err(Error::Csv { path, .. }) => assert_eq!(path, dir.path().join("jobs.csv")),
        other => panic!("expected a CSV error, got {other:?}"),
    }
}

#[test]
fn balance_is_the_time_weighted_spread_of_cluster_utilization() {
    // east and west hold 8 GPUs each. 0–100 s: east 4 used (0.5), west 0 → spread 0.5; mean
    // 0.25, population sd 0.25 → cv 1. 100–200 s: both 4 → spread 0, cv 0. Over 200 s:
    // spread 0.25, cv 0.5.
    let records = vec![
        alloc(0, EAST, A100, 0, 8_000),
        alloc(0, WEST, A100, 0, 8_000),
        alloc(0, EAST, A100, 4_000, 8_000),
        alloc(100_000, WEST, A100, 4_000, 8_000),
        alloc(200_000, EAST, A100, 0, 8_000),
        alloc(200_000, WEST, A100, 0, 8_000),
        Record::Job(JobRecord {
            start: Some(SimTime(0)),
            end: Some(SimTime(200_000)),
            state: JobState::Completed,
            n_gpus: 4,
            gpu_milli_ms: 4_000 * 200_000 + 4_000 * 100_000,
            ..job(0, "j", HIGH, 0)
        }),
    ];
    let dir = tempfile::tempdir().unwrap();
    let summary = run(dir.path(), records, &meta(200_000, None)).unwrap();
    let all = &summary.balance["all"];
    assert_eq!(all.clusters, ["east", "west"]);
    assert_eq!((all.spread, all.cv), (0.25, 0.5));
}

fn event(time_ms: u64, kind: EventKind, recovery_ms: Option<u64>) -> Record {
    Record::Event(EventRecord {
        cluster: Some(EAST),
        job: Some(JobId(0)),
        namespace: Some(NamespaceId(0)),
        pods: 1,
        gpu_milli: 2_000,
        recovery_ms,
        ..EventRecord::new(SimTime(time_ms), kind)
    })
}

#[test]
fn faults_count_jobs_tallies_and_events() {
    // One failed job: evicted twice, restarted once, losing 4 GPUs × 30 min = 2 GPU-hours.
    // Events: a member preemption, a control-plane preemption, recoveries of 30, 10 and 50 s,
    // and a cluster outage that concerns no namespace.
    let records = vec![
        event(10_000, EventKind::Preemption(Preemptor::Cluster), None),
        event(20_000, EventKind::Preemption(Preemptor::Federation), None),
        event(30_000, EventKind::Recovered, Some(30_000)),
        event(31_000, EventKind::Recovered, Some(10_000)),
        event(32_000, EventKind::Recovered, Some(50_000)),
        Record::Event(EventRecord {
            namespace: None,
            job: None,
            node: Some(3),
            reason: "maintenance, \"planned\"".to_owned(),
            ..match event(35_000, EventKind::ClusterDown, None) {
                Record::Event(e) => e,
                _ => unreachable!(),
            }
        }),
        Record::Job(JobRecord {
            state: JobState::Failed,
            faults: FaultStats {
                n_evictions: 2,
                n_preemptions: 2,
                n_restarts: 1,
                lost_gpu_milli_ms: 4_000 * 1_800_000,
                recovery_ms: 90_000,
                n_recoveries: 3,
                ..FaultStats::default()
            },
            ..job(0, "unlucky", HIGH, 0)
        }),
    ];
    let dir = tempfile::tempdir().unwrap();
    let summary = run(dir.path(), records, &meta(40_000, None)).unwrap();
    let expected = reports::FaultCosts {
        evictions: 2,
        preemptions: reports::Preemptions {
            member: 1,
            control_plane: 1,
        },
        restarts: 1,
        lost_gpu_hours: 2.0,
        // Sorted 10, 30, 50 s: p50 is rank ⌈1.5⌉ = 2, p95 rank ⌈2.85⌉ = 3.
        recovery_s: reports::RecoveryTimes {
            count: 3,
            mean: 30.0,
            p50: 30.0,
            p95: 50.0,
            max: 50.0,
        },
        jobs_failed: 1,
    };
    assert_eq!(summary.faults.total, expected);
    assert_eq!(summary.faults.per_namespace["team-a"], expected);
    assert_eq!(summary.jobs.failed, 1);
    let events = read(dir.path(), "events.csv");
    let lines: Vec<&str> = events.lines().collect();
    assert_eq!(
        lines[0],
        "time_s,kind,cluster,node,job_id,namespace,pods,gpus,lost_gpu_hours,recovery_s,reason"
    );
    assert_eq!(
        lines[3],
        "30.000,recovered,east,,0,team-a,1,2.000,0.000000,30.000,"
    );
    assert_eq!(
        lines[6],
        "35.000,cluster_down,east,3,,,1,2.000,0.000000,,\"maintenance, \"\"planned\"\"\""
    );
    assert_eq!(lines.len(), 7);
    // Mean recovery 90 s / 3 = 30 s; 2 GPU-hours lost.
    let jobs = read(dir.path(), "jobs.csv");
    assert!(
        jobs.lines()
            .nth(1)
            .unwrap()
            .ends_with(",2,2,1,2.000000,3,30.000"),
        "{jobs}"
    );
}

#[test]
fn the_queue_counts_jobs_between_submit_and_start_per_priority_class() {
    // a (high) waits 0–10 s, b (none) starts when submitted at 5 s, c (low) waits from 5 s to
    // the end, d (high) waits 10–20 s. All: 1 from 0, 2 from 5 (b does not count), still 2 at
    // 10 (a leaves as d comes), 1 from 20. high: 1 from 0, 1 at 10, 0 from 20.
    // Rows come in time order; a series first seen after 0 gets its row at 0 then.
    let records = [
        queued(0, HIGH, false),
        queued(5, None, false),
        queued(5, None, true),
        queued(5, LOW, false),
        queued(10, HIGH, true),
        queued(10, HIGH, false),
        queued(20, HIGH, true),
    ];
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), records, &meta(40_000, None)).unwrap();
    assert_eq!(
        read(dir.path(), "queue.csv"),
        "time_s,priority_class,waiting_jobs\n\
         0.000,(all),1\n\
         0.000,high,1\n\
         0.000,(none),0\n\
         0.000,low,0\n\
         5.000,(all),2\n\
         5.000,low,1\n\
         20.000,(all),1\n\
         20.000,high,0\n"
    );
}

/// A job of `class` arrived (or first started) at `time_s`.
fn queued(time_s: u64, class: Option<PriorityClassId>, started: bool) -> Record {
    Record::Queue(sim_core::record::QueueRecord {
        time: SimTime(time_s * 1000),
        priority_class: class,
        started,
    })
}

/// East (8 A100) goes down from 10 s to 20 s; team-a (budget 2 GPUs) uses 4 GPUs from 5 s to
/// 15 s; three jobs stay unschedulable, two for the same reason. The run ends at 40 s.
fn report_records() -> Vec<Record> {
    let namespace = |time_ms, in_use| {
        Record::Namespace(sim_core::record::NamespaceRecord {
            time: SimTime(time_ms),
            namespace: NamespaceId(0),
            gpus_in_use_milli: in_use,
            budget_gpus: Some(2),
            quota_granted_gpus: None,
        })
    };
    let outage = |time_ms, kind| {
        Record::Event(EventRecord {
            cluster: Some(EAST),
            ..EventRecord::new(SimTime(time_ms), kind)
        })
    };
    let stuck = |id, reason: &str| {
        Record::Job(JobRecord {
            state: JobState::Unschedulable,
            last_failure: Some(reason.to_owned()),
            ..job(id, "stuck", LOW, 0)
        })
    };
    vec![
        queued(0, LOW, false),
        queued(0, LOW, false),
        queued(0, LOW, false),
        alloc(0, EAST, A100, 0, 8_000),
        namespace(0, 0),
        queued(1, HIGH, false),
        queued(5, HIGH, true),
        alloc(5_000, EAST, A100, 4_000, 8_000),
        namespace(5_000, 4_000),
        outage(10_000, EventKind::ClusterDown),
        alloc(10_000, EAST, A100, 0, 0),
        namespace(10_000, 0),
        outage(20_000, EventKind::ClusterUp),
        alloc(20_000, EAST, A100, 0, 8_000),
        Record::Job(JobRecord {
            start: Some(SimTime(5_000)),
            end: Some(SimTime(10_000)),
            state: JobState::Completed,
            n_gpus: 4,
            gpu_milli_ms: 4_000 * 5_000,
            ..job(0, "short", HIGH, 1_000)
        }),
        stuck(1, "<b>no room</b> & more"),
        stuck(2, "<b>no room</b> & more"),
        stuck(3, "quota"),
    ]
}

/// Writes the report records in `format` into `dir`, with a run.json holding one warning,
/// and draws the report.
fn rendered_report(dir: &Path, format: TableFormat) -> reports::Rendered {
    let mut writer = RunWriter::create(
        dir,
        &world(),
        &WriterConfig {
            format,
            balance_by: None,
        },
    )
    .unwrap();
    for record in report_records() {
        writer.record(record);
    }
    writer.finish(&meta(40_000, None)).unwrap();
    fs::write(
        dir.join("run.json"),
        r#"{"warnings": ["field <spec.x> is not modelled"]}"#,
    )
    .unwrap();
    reports::render_run(dir).unwrap()
}

#[test]
fn the_report_shows_outages_over_budget_use_and_escaped_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let rendered = rendered_report(dir.path(), TableFormat::Parquet);
    for figure in [
        "utilization-per-cluster.svg",
        "allocated-vs-capacity.svg",
        "queue.svg",
        "waiting-cdf.svg",
        "quota.svg",
    ] {
        assert!(rendered.figures.iter().any(|f| f == figure), "{figure}");
    }
    // The outage band is grey and a quarter opaque; the over-budget area 35 % opaque.
    let outages = read(dir.path(), "figures/allocated-vs-capacity.svg");
    assert!(
        outages.contains("opacity=\"0.25\" fill=\"#787878\""),
        "{outages}"
    );
    let quota = read(dir.path(), "figures/quota.svg");
    assert!(quota.contains("<polygon opacity=\"0.35\""), "{quota}");
    let html = read(dir.path(), "report.html");
    assert!(html.contains("<td>&lt;b&gt;no room&lt;/b&gt; &amp; more</td><td>2</td>"));
    assert!(html.contains("<td>quota</td><td>1</td>"));
    assert!(html.contains("<li>field &lt;spec.x&gt; is not modelled</li>"));
    assert!(!html.contains("<b>no room"));
    for figure in &rendered.figures {
        let id = format!("id=\"fig-{}\"", figure.trim_end_matches(".svg"));
        assert!(html.contains(&id), "{id}");
    }
    assert!(!html.contains("http://") && !html.contains("https://"));
}

#[test]
fn reports_are_identical_when_drawn_again_and_from_csv() {
    let parquet = tempfile::tempdir().unwrap();
    let csv = tempfile::tempdir().unwrap();
    let first = rendered_report(parquet.path(), TableFormat::Parquet);
    let first_html = read(parquet.path(), "report.html");
    let first_svgs: Vec<String> = first
        .figures
        .iter()
        .map(|f| read(parquet.path(), &format!("figures/{f}")))
        .collect();
    // Drawn again from the same folder: the same bytes, and no temporary files left.
    let again = reports::render_run(parquet.path()).unwrap();
    assert_eq!(again.figures, first.figures);
    assert_eq!(read(parquet.path(), "report.html"), first_html);
    let mut names: Vec<String> = fs::read_dir(parquet.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    names.sort();
    assert_eq!(names, Vec::<String>::new());
    // From CSV tables: the same figures; the page differs only where it names the format.
    let from_csv = rendered_report(csv.path(), TableFormat::Csv);
    assert_eq!(from_csv.figures, first.figures);
    for (figure, svg) in first.figures.iter().zip(&first_svgs) {
        assert_eq!(
            &read(csv.path(), &format!("figures/{figure}")),
            svg,
            "{figure}"
        );
    }
    assert_eq!(
        read(csv.path(), "report.html"),
        first_html.replace("tables in Parquet", "tables in CSV")
    );
}

#[test]
fn a_missing_table_is_an_input_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    rendered_report(dir.path(), TableFormat::Parquet);
    let before = read(dir.path(), "report.html");
    fs::remove_file(dir.path().join("queue.parquet")).unwrap();
    match reports::render_run(dir.path()) {
        Err(Error::Input { path, message }) => {
            assert_eq!(path, dir.path().join("queue.parquet"));
            assert_eq!(message, "missing");
        }
        other => panic!("expected an input error, got {other:?}"),
    }
    // The previous report is left as it was.
    assert_eq!(read(dir.path(), "report.html"), before);
}

#[path = "economics/mod.rs"]
mod economics;
