//! Cluster `zones` (Karmada's `spec.zones`, the single `spec.zone` deprecated) and an empty
//! `weightPreference`, read from the bundled quickstart with one edit.

use std::path::{Path, PathBuf};

use scheduler::policy::{DivisionPreference, ReplicaScheduling};

fn quickstart_text() -> String {
    let path: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/scenarios/quickstart.yaml");
    std::fs::read_to_string(path).unwrap()
}

/// The quickstart with `from` replaced by `to`, loaded.
fn load_edited(from: &str, to: &str) -> Result<scenarios::Scenario, scenarios::Error> {
    let text = quickstart_text();
    assert!(text.contains(from), "{from}");
    scenarios::load_str(&text.replacen(from, to, 1), Path::new("edited.yaml"))
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
}

/// Asserts the error is at (`line`, `path`) of edited.yaml and says `fragment`.
fn assert_error(err: &scenarios::Error, line: u64, path: &str, fragment: &str) {
    let position = err
        .position()
        .unwrap_or_else(|| panic!("no position: {err}"));
    assert_eq!(position.file, Path::new("edited.yaml"), "{err}");
    assert_eq!(
        (position.line, position.path.as_str()),
        (line, path),
        "{err}"
    );
    assert!(
        err.to_string().contains(fragment),
        "{fragment:?} not in: {err}"
    );
}

const ZONE: &str = "    zone: us-east-1a";

#[test]
fn the_deprecated_zone_becomes_a_one_zone_list() {
    // Karmada's cluster mutation copies `spec.zone` into an empty `spec.zones`.
    let scenario = load_edited(ZONE, ZONE).unwrap();
    assert_eq!(scenario.world.fleet.clusters[0].zones, vec!["us-east-1a"]);
}

#[test]
fn a_cluster_may_span_several_zones() {
    let scenario = load_edited(ZONE, "    zones: [us-east-1a, us-east-1b]").unwrap();
    assert_eq!(
        scenario.world.fleet.clusters[0].zones,
        vec!["us-east-1a", "us-east-1b"]
    );
}

#[test]
fn zone_and_zones_together_are_refused() {
    let text = quickstart_text();
    let err = load_edited(ZONE, "    zone: us-east-1a\n    zones: [us-east-1b]").unwrap_err();
    assert_error(
        &err,
        line_of(&text, ZONE),
        "clusters[0].zone",
        "give `zones` only",
    );
}

#[test]
fn a_zone_listed_twice_is_refused() {
    let text = quickstart_text();
    let err = load_edited(ZONE, "    zones: [us-east-1a, us-east-1a]").unwrap_err();
    assert_error(
        &err,
        line_of(&text, ZONE),
        "clusters[0].zones[1]",
        "zone \"us-east-1a\" is listed twice",
    );
}

#[test]
fn an_empty_zone_name_is_refused() {
    let text = quickstart_text();
    let err = load_edited(ZONE, "    zones: [\"\"]").unwrap_err();
    assert_error(
        &err,
        line_of(&text, ZONE),
        "clusters[0].zones[0]",
        "expected a zone name",
    );
}

#[test]
fn a_zone_outage_takes_down_every_cluster_listing_the_zone() {
    // dc-east-1 spans us-east-1a and us-east-1z; an outage of us-east-1z names it alone.
    let text = quickstart_text()
        .replacen(ZONE, "    zones: [us-east-1a, us-east-1z]", 1)
        .replacen(
            "scheduler:\n",
            "faults:\n  outages:\n    - {zone: us-east-1z, down: 1h, up: 2h}\nscheduler:\n",
            1,
        );
    let scenario = scenarios::load_str(&text, Path::new("edited.yaml")).unwrap();
    let targets: Vec<_> = scenario.faults.outages.iter().map(|o| &o.target).collect();
    assert_eq!(
        targets,
        vec![&scheduler::faults::FaultTarget::Cluster(
            sim_core::model::ClusterId(0)
        )]
    );
}

#[test]
fn an_empty_weight_preference_is_neither_static_nor_dynamic() {
    // `weightPreference: {}`: `shouldIgnoreSpreadConstraint` does not count it as static
    // weighting (spread constraints apply), and the assignment weighs every cluster 1.
    let scenario = load_edited(
        "    weightPreference:\n      dynamicWeight: AvailableReplicas",
        "    weightPreference: {}",
    )
    .unwrap();
    let placement = &scenario.policies.placements[scenario.policies.fallback.unwrap().0 as usize];
    assert_eq!(
        placement.replica_scheduling,
        ReplicaScheduling::Divided(DivisionPreference::EmptyWeightPreference)
    );
    assert!(!placement.is_static_weight());
}
