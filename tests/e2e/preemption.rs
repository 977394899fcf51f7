//! Priority and preemption (examples/scenarios/preemption.yaml): production (1000) may preempt
//! research (100) and analytics (500, preemptionPolicy Never); analytics never preempts, and
//! nobody preempts production. Every binding preemption must respect that, and a rerun is
//! byte-identical.

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/scenarios/preemption.yaml")
}

#[test]
fn preemption_respects_priorities_and_never() {
    if common::skip_slow() {
        return;
    }
    let (_tmp, out) = common::run_quiet(&example());
    let namespace_of: BTreeMap<String, String> = common::rows(&out.join("jobs.csv"))
        .iter()
        .map(|r| (r[0].to_owned(), r[2].to_owned()))
        .collect();
    let preemptions: Vec<csv::StringRecord> = common::rows(&out.join("events.csv"))
        .into_iter()
        .filter(|e| &e[1] == "binding_preemption")
        .collect();
    assert!(
        !preemptions.is_empty(),
        "production jobs preempt at the daily peak"
    );
    for event in &preemptions {
        let victim = &namespace_of[&event[4]];
        assert!(victim == "research" || victim == "analytics", "{event:?}");
        let preemptor = event[10]
            .strip_prefix("preempted by binding of job ")
            .and_then(|rest| rest.split(' ').next())
            .unwrap();
        assert_eq!(namespace_of[preemptor], "prod", "{event:?}");
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(
        summary["faults"]["preemptions"]["control_plane"]
            .as_u64()
            .unwrap(),
        preemptions.len() as u64
    );
    assert_eq!(
        summary["faults"]["per_namespace"]["prod"]["preemptions"]["control_plane"]
            .as_u64()
            .unwrap(),
        0
    );
}

#[test]
fn preemption_runs_are_deterministic() {
    if common::skip_slow() {
        return;
    }
    let (_a, first) = common::run_quiet(&example());
    let (_b, second) = common::run_quiet(&example());
    for file in ["summary.json", "jobs.csv", "events.csv"] {
        assert_eq!(
            std::fs::read(first.join(file)).unwrap(),
            std::fs::read(second.join(file)).unwrap(),
            "{file}"
        );
    }
}
