//! Every bundled scenario example makes one point, and its header says which figure shows it.
//! These tests run each example and check that figure: a band derived from what the example is
//! about (why, in a comment beside each band), not a copy of fleetsim's output, so a change that
//! idles a loaded fleet, empties a queue an example is about or lets a federated quota overrun
//! its budget fails here.
//!
//! Cost decides where each runs. Tiny examples (a handful of jobs) always run, on the debug
//! binary. Synthetic examples of thousands of jobs take seconds on the release binary and tens
//! of seconds on a debug build: they run when `FLEETSIM_RELEASE_BIN` is set (CI builds it
//! once), else only with `FLEETSIM_SLOW=1`. Big examples (a whole real trace, fleet scale) run
//! only with `FLEETSIM_SLOW=1` and only on the release binary. Examples reading
//! `../shared/traces` skip without it, unless `FLEETSIM_REQUIRE_TRACES=1`.

use crate::common;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// How long an example takes, which decides when and on which binary it runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cost {
    /// A handful of jobs: any build, any tier.
    Tiny,
    /// Thousands of jobs: the release binary in any tier, a debug build in the slow tier.
    Medium,
    /// A whole real trace or a fleet-scale run: the release binary, slow tier only.
    Big,
}

/// The scenario examples and their cost. `every_scenario_example_is_checked` keeps this list
/// equal to the folder, so a new example needs a headline check here.
const EXAMPLES: &[(&str, Cost)] = &[
    ("cheapest-fleet.yaml", Cost::Tiny),
    ("dc-loss.yaml", Cost::Medium),
    ("estimator-gap.yaml", Cost::Tiny),
    ("fleet-100k.yaml", Cost::Big),
    ("fleet-1m.yaml", Cost::Big),
    ("h100-fleet.yaml", Cost::Medium),
    ("job-failures.yaml", Cost::Tiny),
    ("karmada-policies.yaml", Cost::Medium),
    ("openb-by-model.yaml", Cost::Medium),
    ("philly-vcs.yaml", Cost::Big),
    ("preemption.yaml", Cost::Medium),
    ("quickstart.yaml", Cost::Medium),
    ("quota-budget.yaml", Cost::Medium),
    ("quota-plugin.yaml", Cost::Tiny),
    ("spot.yaml", Cost::Tiny),
    ("team-quotas.yaml", Cost::Medium),
];

/// Examples with no run here, and why.
const NOT_RUN: &[(&str, &str)] = &[(
    "fleet-10m.yaml",
    "fleet-1m.yaml with ten times the jobs (about 80 s); `fleetsim bench` times it, and \
     fleet-1m's headline is checked here",
)];

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn cost(file: &str) -> Cost {
    EXAMPLES
        .iter()
        .find(|(name, _)| *name == file)
        .unwrap_or_else(|| panic!("{file} is not in EXAMPLES"))
        .1
}

/// The binary to run an example of `cost` on, or `None` (with a message) when it does not run
/// in this tier or without what it needs.
fn binary_for(file: &str, cost: Cost) -> Option<OsString> {
    let release = std::env::var_os("FLEETSIM_RELEASE_BIN");
    match cost {
        Cost::Tiny => Some(release.unwrap_or_else(|| env!("CARGO_BIN_EXE_fleetsim").into())),
        Cost::Medium => match release {
            Some(release) => Some(release),
            None if common::skip_slow() => None,
            None => Some(env!("CARGO_BIN_EXE_fleetsim").into()),
        },
        Cost::Big => {
            if common::skip_slow() {
                return None;
            }
            let release = common::release_bin();
            if release.is_none() {
                eprintln!("skipped: {file} runs on the release build only");
            }
            release
        }
    }
}

/// A finished run of an example: its summary.
struct Run {
    summary: Value,
}

impl Run {
    /// The summary value at a `/`-separated path, as a number.
    fn num(&self, path: &str) -> f64 {
        let pointer = format!("/{path}");
        self.summary
            .pointer(&pointer)
            .and_then(Value::as_f64)
            .unwrap_or_else(|| panic!("summary.json has no number at {path}"))
    }

    /// Asserts the summary value at `path` lies in `low..=high`; `why` says where the band
    /// comes from.
    fn within(&self, path: &str, low: f64, high: f64, why: &str) {
        let value = self.num(path);
        assert!(
            (low..=high).contains(&value),
            "{}: {path} = {value}, expected {low}..={high}: {why}",
            self.summary["scenario"]
        );
    }

    /// Asserts the summary value at `path` is above `low`.
    fn above(&self, path: &str, low: f64, why: &str) {
        let value = self.num(path);
        assert!(
            value > low,
            "{}: {path} = {value}, expected above {low}: {why}",
            self.summary["scenario"]
        );
    }
}

/// Runs `examples/scenarios/FILE` as its cost allows; `None` (with a message) when it does
/// not run here.
fn run(file: &str) -> Option<Run> {
    let scenario = examples_dir().join("scenarios").join(file);
    run_scenario(file, &scenario, cost(file))
}

/// Runs `examples/scenarios/FILE` with `from` replaced by `to`, as `cost` allows.
fn run_variant(file: &str, from: &str, to: &str, cost: Cost) -> Option<Run> {
    let text = std::fs::read_to_string(examples_dir().join("scenarios").join(file)).unwrap();
    assert!(text.contains(from), "{file} no longer has {from:?}");
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join(file);
    std::fs::write(&scenario, text.replace(from, to)).unwrap();
    run_scenario(&format!("{file} with {to:?}"), &scenario, cost)
}

fn run_scenario(label: &str, scenario: &Path, cost: Cost) -> Option<Run> {
    let text = std::fs::read_to_string(scenario).unwrap();
    if text.contains("shared/traces") {
        common::shared_or_skip("traces")?;
    }
    let binary = binary_for(label, cost)?;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let started = std::time::Instant::now();
    let output = Command::new(&binary)
        .arg("run")
        .arg(scenario)
        .arg("--out")
        .arg(&out)
        .args(["--quiet", "--format", "csv"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{label} on {binary:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "{label}: {:.1} s on {binary:?}",
        started.elapsed().as_secs_f64()
    );
    let summary =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    Some(Run { summary })
}

/// The list above is the folder: every scenario example has a headline check or a reason not
/// to run.
#[test]
fn every_scenario_example_is_checked() {
    let mut files: Vec<String> = std::fs::read_dir(examples_dir().join("scenarios"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    files.sort();
    let mut listed: Vec<String> = EXAMPLES
        .iter()
        .map(|(name, _)| name.to_string())
        .chain(NOT_RUN.iter().map(|(name, _)| name.to_string()))
        .collect();
    listed.sort();
    assert_eq!(files, listed);
}

/// Every example file (scenarios and the policy files they include, sweeps, plans,
/// experiments) opens with a comment saying what to look at.
#[test]
fn every_example_says_what_to_look_at() {
    let mut missing = Vec::new();
    let mut stack = vec![examples_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            // Snapshots are kubectl's output, not fleetsim's files; their README says what
            // they hold.
            if path.is_dir() && !path.ends_with("snapshots") {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let header: String = text
                .lines()
                .take_while(|l| l.starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n");
            if !header.contains("What to look at") {
                missing.push(path.display().to_string());
            }
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "no \"What to look at\" in the header comment of {missing:?}"
    );
}

/// The quickstart: 10,000 jobs on 768 GPUs, about a week of arrivals; a loaded fleet with a
/// queue. Utilization of installed capacity 70–95 %: below, the example shows an idle fleet;
/// above 95 % nothing could be waiting for long. Waiting p95 at least an hour: jobs queue.
#[test]
fn quickstart_is_a_loaded_fleet_with_a_queue() {
    let Some(run) = run("quickstart.yaml") else {
        return;
    };
    run.within("gpu_utilization/of_installed", 0.70, 0.95, "a loaded fleet");
    run.above("waiting_s/p95", 3600.0, "jobs queue at the daily peak");
    run.within(
        "jobs/completed",
        10_000.0,
        10_000.0,
        "no horizon: every job ends",
    );
}

/// dc-loss: a busy week and dc-2 (256 of 768 GPUs) down for six hours. The loss shows as
/// evictions, restarts and lost work; installed utilization stays that of a busy fleet
/// (80–98 %) and is below utilization of the capacity that was up, by the lost six hours.
#[test]
fn dc_loss_costs_evictions_and_work() {
    let Some(run) = run("dc-loss.yaml") else {
        return;
    };
    run.above("faults/evictions", 0.0, "jobs on dc-2 are evicted");
    run.above(
        "faults/lost_gpu_hours",
        0.0,
        "work since the last checkpoint is lost",
    );
    run.above(
        "faults/recovery_s/p50",
        340.0,
        "recovery cannot precede the eviction",
    );
    // dc-2's 256 GPUs for 6 of 168 hours: 1,536 GPU-hours down.
    run.within("gpu_hours/down", 1536.0, 1536.0, "256 GPUs for six hours");
    run.within("gpu_utilization/of_installed", 0.80, 0.98, "a busy week");
    assert!(run.num("gpu_utilization/of_installed") < run.num("gpu_utilization/overall"));
}

/// h100-fleet: the base of the growth sweep, today's fleet too small for next quarter. Busy
/// (80–98 % of installed) and p95 waiting over the sweep's two-hour target, or there is
/// nothing for the sweep to fix.
#[test]
fn h100_fleet_is_too_small() {
    let Some(run) = run("h100-fleet.yaml") else {
        return;
    };
    run.within(
        "gpu_utilization/of_installed",
        0.80,
        0.98,
        "about 95 % offered",
    );
    run.above("waiting_s/p95", 7200.0, "over the sweep's two-hour target");
}

/// karmada-policies: the sandbox team's jobs match no policy (a tenth of the jobs by weight);
/// the high-priority llm team waits less than the batch-low teams; the fleet is used but not
/// saturated (40–80 %), so the policies, not capacity, decide where jobs go.
#[test]
fn karmada_policies_leave_sandbox_unmatched_and_favour_llm() {
    let Some(run) = run("karmada-policies.yaml") else {
        return;
    };
    run.within(
        "jobs/unmatched",
        400.0,
        800.0,
        "sandbox, weight 1 of 10, of 6,000 jobs",
    );
    run.within(
        "gpu_utilization/of_installed",
        0.40,
        0.80,
        "used, not saturated",
    );
    assert!(
        run.num("waiting_s_per_priority_class/training-high/p95")
            < run.num("waiting_s_per_priority_class/batch-low/p95"),
        "binding priority: training-high waits less than batch-low"
    );
}

/// preemption: production preempts research. Preemptions happen, research pays in lost work
/// and waits far longer than production; the two clusters are busy (70–95 %).
#[test]
fn preemption_favours_production() {
    let Some(run) = run("preemption.yaml") else {
        return;
    };
    run.above(
        "faults/preemptions/control_plane",
        0.0,
        "binding preemption is on",
    );
    run.above(
        "faults/per_namespace/research/lost_gpu_hours",
        0.0,
        "the preempted lose work",
    );
    run.within("gpu_utilization/of_installed", 0.70, 0.95, "busy clusters");
    let production = run.num("waiting_s_per_priority_class/production/p95");
    let research = run.num("waiting_s_per_priority_class/research/p95");
    assert!(
        production * 5.0 < research,
        "production p95 {production} s, research {research} s"
    );
}

/// quota-budget: duplicated quota (as given) lets every team run over its budget; the same
/// run with a FederatedResourceQuota never does.
#[test]
fn duplicated_quota_overruns_budgets_and_federated_does_not() {
    let Some(run) = run("quota-budget.yaml") else {
        return;
    };
    for team in ["llm", "vision", "research"] {
        run.above(
            &format!("namespaces/{team}/over_budget_gpu_hours"),
            0.0,
            "duplicated quota grants three times the budget",
        );
    }
    // Federated quota admission retries refused bindings: minutes on a debug build.
    let Some(federated) = run_variant(
        "quota-budget.yaml",
        "\nquota_mode: duplicated\n",
        "\nquota_mode: federated\n",
        Cost::Big,
    ) else {
        return;
    };
    for team in ["llm", "vision", "research"] {
        federated.within(
            &format!("namespaces/{team}/over_budget_gpu_hours"),
            0.0,
            0.0,
            "a federated quota equal to the budget",
        );
    }
}

/// team-quotas: the base of the federated-quota plan. Duplicated quota grants 672 GPUs on a
/// 384-GPU fleet, so much of it is never used: llm's idle quota exceeds what it used. The
/// fleet is used but not saturated (45–80 %).
#[test]
fn team_quotas_reserve_more_than_is_used() {
    let Some(run) = run("team-quotas.yaml") else {
        return;
    };
    assert!(
        run.num("namespaces/llm/reserved_idle_gpu_hours")
            > run.num("namespaces/llm/gpu_hours_used"),
        "duplicated quota mostly idle"
    );
    run.within(
        "gpu_utilization/of_installed",
        0.45,
        0.80,
        "used, not saturated",
    );
}

/// estimator-gap: with the accurate estimator the 4-GPU pod goes to roomy and starts at once;
/// no pod waits in a member for room an estimator promised.
#[test]
fn estimator_gap_pod_starts_at_once() {
    let Some(run) = run("estimator-gap.yaml") else {
        return;
    };
    run.within("waiting_s/p99", 0.0, 0.0, "needs-4 starts on roomy at once");
    run.within("member_pods/waited", 0.0, 0.0, "no promise broken");
}

/// quota-plugin: with the ResourceQuota plugin the training jobs avoid dc-01, whose quota is
/// used up, and start at once.
#[test]
fn quota_plugin_jobs_start_at_once() {
    let Some(run) = run("quota-plugin.yaml") else {
        return;
    };
    run.within(
        "waiting_s/p99",
        0.0,
        0.0,
        "every job starts at once, on dc-02",
    );
    run.within(
        "jobs/completed",
        4.0,
        4.0,
        "all four jobs end within the day",
    );
}

/// job-failures: one 16,384-GPU job and eight 1,024-GPU jobs, two days of work each, failing
/// with MTTF 1.8 h and 7.9 h. Each job runs at least its 48 h of work, plus checkpoints and
/// lost work (at most a few hours more), so the big job expects about 27–35 failures and the
/// eight small ones about 50–55 together; the bands leave room for the Poisson spread (over
/// 3 standard deviations). The big job loses more work than all eight small ones together:
/// more failures, and each throws away as much of its 16 times more GPUs.
#[test]
fn job_failures_grow_with_job_size() {
    let Some(run) = run("job-failures.yaml") else {
        return;
    };
    run.within(
        "faults/per_namespace/big/restarts",
        12.0,
        55.0,
        "MTTF 1.8 h over ~50 h",
    );
    run.within(
        "faults/per_namespace/small/restarts",
        28.0,
        80.0,
        "MTTF 7.9 h, 8 × ~50 h",
    );
    let big = run.num("faults/per_namespace/big/lost_gpu_hours");
    let small = run.num("faults/per_namespace/small/lost_gpu_hours");
    assert!(big > small, "big loses {big} GPU·h, the small ones {small}");
    // Goodput, the shape of Meta's figure: lower at scale. Each failure loses about half a
    // 30-minute checkpoint interval, and each checkpoint costs 2 of every 32 minutes, so the
    // small jobs keep at most 30/32 = 0.9375 of their GPU time, the big one less.
    let (big, small) = (run.num("teams/big/goodput"), run.num("teams/small/goodput"));
    assert!(
        big < small && small <= 30.0 / 32.0,
        "goodput {big} against {small}"
    );
}

/// cheapest-fleet, the fleet of today that examples/plans/cheapest-fleet.yaml grows: one
/// reserved H100 node per data centre for about 19 A100-node equivalents of demand, so the
/// queue grows and p95 waiting is far above the plan's 2 h; it pays for the two reserved
/// nodes only (16 GPUs × $4.40 for the whole run), nothing on spot.
#[test]
fn cheapest_fleet_today_misses_the_slo_and_pays_only_reserved() {
    let Some(run) = run("cheapest-fleet.yaml") else {
        return;
    };
    run.above("waiting_s/p95", 7200.0, "far above the plan's 2 h SLO");
    let hours = run.num("end_s") / 3600.0;
    let reserved = 16.0 * 4.40 * hours;
    run.within(
        "cost/by_pricing/reserved",
        reserved - 0.01,
        reserved + 0.01,
        "two reserved H100 nodes for the whole run",
    );
    run.within("cost/by_pricing/spot", 0.0, 0.0, "no spot node yet");
}

/// spot: only the batch teams tolerate (and select) the spot pool, so only they are revoked;
/// batch-fast's 10 s checkpoint fits in the 30 s notice and loses nothing, batch-slow's
/// 2-minute one does not.
#[test]
fn spot_revocations_cost_only_the_teams_on_spot() {
    let Some(run) = run("spot.yaml") else {
        return;
    };
    run.within(
        "faults/per_namespace/production/restarts",
        0.0,
        0.0,
        "never on spot",
    );
    run.above(
        "faults/per_namespace/batch-fast/restarts",
        0.0,
        "revoked on spot",
    );
    run.within(
        "faults/per_namespace/batch-fast/lost_gpu_hours",
        0.0,
        0.0,
        "checkpoints within the notice",
    );
    run.above(
        "faults/per_namespace/batch-slow/lost_gpu_hours",
        0.0,
        "checkpoint too slow",
    );
}

/// openb-by-model: the whole pod list within two minutes (`time_compression: 100000`), watched
/// for an hour. All at once the pods ask for 98 % of the GPUs, but most run minutes, so the
/// hour averages 20–50 % of installed capacity. The pods asking for T4 can run only on dc-t4,
/// which they oversubscribe: it runs far hotter than dc-g2, which could take the rest, and
/// pods queue (p95 over 5 minutes). The one pod no node can hold is unschedulable.
#[test]
fn openb_burst_loads_the_t4_cluster_most() {
    let Some(run) = run("openb-by-model.yaml") else {
        return;
    };
    run.within(
        "gpu_utilization/of_installed",
        0.20,
        0.50,
        "a burst, then its tail",
    );
    let (t4, g2) = (
        run.num("gpu_utilization/per_cluster/dc-t4"),
        run.num("gpu_utilization/per_cluster/dc-g2"),
    );
    assert!(t4 > 1.5 * g2, "dc-t4 {t4}, dc-g2 {g2}");
    run.above("waiting_s/p95", 300.0, "the burst queues");
    run.within(
        "jobs/unschedulable",
        1.0,
        1.0,
        "openb-pod-1639 fits no node",
    );
    run.within(
        "jobs/submitted",
        8152.0,
        8152.0,
        "every pod of the list arrives",
    );
}

/// fleet-100k (the fleet_scale benchmark): 80,000 GPUs offered about 85 % of their capacity
/// while jobs arrive (100,000 at 75 a minute: 22 hours); the run lasts until the last job ends,
/// about 4.4 days, so the whole run averages 15–35 %. Every job completes.
#[test]
fn fleet_100k_runs_every_job() {
    let Some(run) = run("fleet-100k.yaml") else {
        return;
    };
    run.within("jobs/completed", 100_000.0, 100_000.0, "every job ends");
    run.within(
        "gpu_utilization/of_installed",
        0.15,
        0.35,
        "22 hours of load in 4.4 days",
    );
}

/// fleet-1m (`fleetsim bench`'s scenario): 1,000,000 jobs offering about 85 % of 80,000 GPUs
/// over 10.5 days of arrivals, in a run that lasts until the last job ends (about 13.7 days):
/// 60–80 % of installed capacity over the run. dc-04 (8,000 GPUs) is down for six hours:
/// 48,000 GPU-hours down, and its jobs are evicted and restart.
#[test]
fn fleet_1m_is_loaded_and_survives_the_outage() {
    let Some(run) = run("fleet-1m.yaml") else {
        return;
    };
    run.within("jobs/completed", 1_000_000.0, 1_000_000.0, "every job ends");
    run.within(
        "gpu_utilization/of_installed",
        0.60,
        0.80,
        "85 % offered, then the tail",
    );
    run.within(
        "gpu_hours/down",
        48_000.0,
        48_000.0,
        "8,000 GPUs for six hours",
    );
    run.above("faults/evictions", 0.0, "dc-04's jobs are evicted");
}

/// philly-vcs: the whole Philly trace five times as dense (philly.csv loads the 552 machines
/// to about 14 % over its 109 days; five times: about 70 % over 22 days of arrivals), in a run
/// that lasts until the longest job ends, near day 57: 20–40 % of installed capacity over the
/// run. Each VC's jobs that its 2-GPU machines cannot hold overflow to `shared`, which is the
/// busiest cluster; none waits for ever in a VC where no machine can hold it, and no pod
/// waits in a member for room an estimator promised. The VCs queue for `shared`: p95 over an
/// hour.
#[test]
fn philly_vcs_overflow_to_shared() {
    let Some(run) = run("philly-vcs.yaml") else {
        return;
    };
    run.within("jobs/completed", 82_247.0, 82_247.0, "every job ends");
    run.within(
        "gpu_utilization/of_installed",
        0.20,
        0.40,
        "70 % offered, then the tail",
    );
    run.within(
        "member_pods/waited",
        0.0,
        0.0,
        "the accurate estimator's promises hold",
    );
    run.above("waiting_s/p95", 3600.0, "VCs queue for shared");
    let per_cluster = run.summary["gpu_utilization"]["per_cluster"]
        .as_object()
        .unwrap();
    let shared = per_cluster["shared"].as_f64().unwrap();
    for (cluster, value) in per_cluster {
        assert!(
            value.as_f64().unwrap() <= shared,
            "{cluster} busier than shared ({value} > {shared})"
        );
    }
}
