//! Karmada policy files included by a scenario (`policies: [{include: ...}]`): single documents,
//! `---`-separated documents and `kind: List`, imported with Karmada's defaults
//! (karmada-semantics §2), warnings for what is read but not modelled, errors that point at the
//! policy file's line (counted in the whole file) and field path, and policy matching (§1.1)
//! on the loaded scenario.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use scenarios::{Error, Scenario};
use scheduler::policy::{
    ApplicationFailover, ClusterAffinity, ClusterFailover, DivisionPreference, Failover,
    LabelSelector, Placement, PlacementId, PropagationPolicy, PurgeMode, ReplicaScheduling,
    Requirement, ResourceSelector, SelectorOperator, SpreadConstraint, SpreadField,
    StaticWeightRule,
};
use sim_core::model::Job;
use tempfile::TempDir;

/// Everything a scenario needs except `policies`, `placement` and `workload`.
pub(crate) const HEAD: &str = r#"name: karmada-import
seed: 7
gpu_models:
  - {name: H100, memory: 80Gi}
clusters:
  - name: east
    region: us-east
    labels: {tier: prod}
    node_pools: [{name: h100, count: 2, cpu: "96", memory: 1Ti, gpus: 8, gpu_model: H100}]
  - name: west
    region: us-west
    labels: {tier: burst}
    node_pools: [{name: h100, count: 2, cpu: "96", memory: 1Ti, gpus: 8, gpu_model: H100}]
priority_classes:
  - {name: training-high, value: 1000}
  - {name: batch-low, value: 10}
namespaces: [{name: llm}, {name: vision}, {name: default}]
# No resource models: the GPU jobs are estimated on the resource summary (Karmada's default
# models describe no GPUs).
scheduler: {feature_gates: {CustomizedClusterResourceModeling: false}}
"#;

/// One job: a `batch/v1` `Job` called `trainer` in `llm`, labelled `app: trainer`.
pub(crate) const ONE_JOB: &str = "workload:
  jobs:
    - {name: trainer, submit: 0s, namespace: llm, replicas: 2, gpus: 8, runtime: 1h, labels: {app: trainer}}
";

const POLICY_FILE: &str = "karmada/policies.yaml";

/// A scenario directory: the scenario file and its Karmada files.
pub(crate) struct Fixture {
    dir: TempDir,
}

impl Fixture {
    pub(crate) fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Writes `text` at `rel` (relative to the scenario file) and returns its path.
    pub(crate) fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    pub(crate) fn scenario_path(&self) -> PathBuf {
        self.dir.path().join("scenario.yaml")
    }

    /// Writes the scenario (with `includes`, then `extra` top-level text, then `workload`) and
    /// loads it.
    pub(crate) fn load(
        &self,
        includes: &[&str],
        extra: &str,
        workload: &str,
    ) -> Result<Scenario, Error> {
        let text = scenario_text(includes, extra, workload);
        self.write("scenario.yaml", &text);
        // HEAD declares priority classes most cases never name in a schedulePriority; the
        // warning that they then order nothing is checked in load.rs, not here.
        scenarios::load(&self.scenario_path()).map(|mut scenario| {
            scenario
                .warnings
                .retain(|w| !w.starts_with("priority_classes:"));
            scenario
        })
    }
}

pub(crate) fn scenario_text(includes: &[&str], extra: &str, workload: &str) -> String {
    let mut text = HEAD.to_owned();
    if !includes.is_empty() {
        text.push_str("policies:\n");
        for include in includes {
            text.push_str(&format!("  - include: {include}\n"));
        }
    }
    text.push_str(extra);
    text.push_str(workload);
    text
}

/// Loads the minimal scenario with `policies` as its only Karmada file; returns the fixture (to
/// keep the directory), the policy file's path and the result.
pub(crate) fn import(policies: &str) -> (Fixture, PathBuf, Result<Scenario, Error>) {
    let fixture = Fixture::new();
    let file = fixture.write(POLICY_FILE, policies);
    let result = fixture.load(&[POLICY_FILE], "", ONE_JOB);
    (fixture, file, result)
}

pub(crate) fn imported(policies: &str) -> (Fixture, PathBuf, Scenario) {
    let (fixture, file, result) = import(policies);
    let scenario = result.unwrap_or_else(|err| panic!("{err}"));
    (fixture, file, scenario)
}

pub(crate) fn import_error(policies: &str) -> (Fixture, PathBuf, Error) {
    let (fixture, file, result) = import(policies);
    match result {
        Ok(_) => panic!("the policies were accepted:\n{policies}"),
        Err(err) => (fixture, file, err),
    }
}

/// 1-based line of the `nth` (0-based) line of `text` containing `needle`.
fn nth_line_of(text: &str, needle: &str, nth: usize) -> u64 {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.contains(needle))
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} (#{nth}) not in the text"))
        .0 as u64
        + 1
}

pub(crate) fn line_of(text: &str, needle: &str) -> u64 {
    assert_eq!(
        text.lines().filter(|l| l.contains(needle)).count(),
        1,
        "{needle:?} is not unique"
    );
    nth_line_of(text, needle, 0)
}

/// Asserts an `Error::Input` at `file`, `line`, `path` whose message contains `fragment`.
pub(crate) fn assert_input_error(err: &Error, file: &Path, line: u64, path: &str, fragment: &str) {
    let Error::Input { position, message } = err else {
        panic!("not an input error: {err}");
    };
    assert_eq!(
        (
            position.file.as_path(),
            position.line,
            position.path.as_str()
        ),
        (file, line, path),
        "{err}"
    );
    assert!(message.contains(fragment), "{fragment:?} not in: {err}");
}

fn placement_of<'s>(scenario: &'s Scenario, policy: &PropagationPolicy) -> &'s Placement {
    &scenario.policies.placements[policy.placement.0 as usize]
}

pub(crate) fn policy<'s>(scenario: &'s Scenario, name: &str) -> &'s PropagationPolicy {
    let found: Vec<_> = scenario
        .policies
        .policies
        .iter()
        .filter(|p| p.name == name)
        .collect();
    assert_eq!(found.len(), 1, "policies named {name}");
    found[0]
}

pub(crate) fn names(scenario: &Scenario) -> Vec<&str> {
    scenario
        .policies
        .policies
        .iter()
        .map(|p| p.name.as_str())
        .collect()
}

fn job_selector(namespace: &str) -> ResourceSelector {
    ResourceSelector {
        api_version: "batch/v1".into(),
        kind: "Job".into(),
        namespace: namespace.into(),
        name: String::new(),
        label_selector: None,
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn names_affinity(names: &[&str]) -> ClusterAffinity {
    ClusterAffinity {
        cluster_names: names.iter().map(|n| n.to_string()).collect(),
        exclude: Vec::new(),
        label_selector: None,
        field_selector: None,
    }
}

// --- Shapes of a policy file ---------------------------------------------------------------

#[test]
fn single_document_propagation_policy_is_imported() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: llm-training
  namespace: llm
spec:
  priority: 5
  resourceSelectors:
  - apiVersion: batch/v1
    kind: Job
    namespace: llm
    labelSelector:
      matchLabels: {app: trainer}
      matchExpressions:
      - {key: stage, operator: NotIn, values: [debug]}
  - apiVersion: batch/v1
    kind: Job
    name: warmup
  placement:
    clusterAffinity:
      clusterNames: [east, west]
    replicaScheduling:
      replicaSchedulingType: Divided
      replicaDivisionPreference: Weighted
      weightPreference:
        dynamicWeight: AvailableReplicas
";
    let (_dir, _file, scenario) = imported(text);
    let expected = PropagationPolicy {
        name: "llm-training".into(),
        namespace: Some("llm".into()),
        priority: 5,
        selectors: vec![
            ResourceSelector {
                label_selector: Some(LabelSelector {
                    match_labels: labels(&[("app", "trainer")]),
                    match_expressions: vec![Requirement {
                        key: "stage".into(),
                        operator: SelectorOperator::NotIn,
                        values: vec!["debug".into()],
                    }],
                }),
                ..job_selector("llm")
            },
            ResourceSelector {
                name: "warmup".into(),
                ..job_selector("llm")
            },
        ],
        placement: PlacementId(0),
        schedule_priority: 0,
    };
    assert_eq!(scenario.policies.policies, vec![expected]);
    assert_eq!(
        scenario.policies.placements,
        vec![Placement {
            cluster_affinity: Some(names_affinity(&["east", "west"])),
            replica_scheduling: ReplicaScheduling::Divided(DivisionPreference::DynamicWeight),
            ..Placement::default()
        }]
    );
    // Policies given and no `placement:` in the scenario: unmatched jobs stay unmatched.
    assert_eq!(scenario.policies.fallback, None);
    assert!(scenario.warnings.is_empty(), "{:?}", scenario.warnings);
}

#[test]
fn documents_separated_by_dashes_are_imported_in_order() {
    let text = "\
# Exported one object per document; the first document is only this comment.
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: zeta, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    clusterAffinity: {clusterNames: [east]}
---
---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: alpha}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Aggregated}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: mid, namespace: vision}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
";
    let (_dir, _file, scenario) = imported(text);
    // File order, not name order.
    assert_eq!(names(&scenario), ["zeta", "alpha", "mid"]);
    let namespaces: Vec<_> = scenario
        .policies
        .policies
        .iter()
        .map(|p| p.namespace.as_deref())
        .collect();
    assert_eq!(namespaces, [Some("llm"), None, Some("vision")]);
    assert_eq!(scenario.policies.placements.len(), 3);
    assert_eq!(
        placement_of(&scenario, policy(&scenario, "zeta")),
        &Placement {
            cluster_affinity: Some(names_affinity(&["east"])),
            ..Placement::default()
        }
    );
    assert_eq!(
        placement_of(&scenario, policy(&scenario, "alpha")).replica_scheduling,
        ReplicaScheduling::Divided(DivisionPreference::Aggregated)
    );
    assert_eq!(
        placement_of(&scenario, policy(&scenario, "mid")),
        &Placement::default()
    );
    assert!(scenario.warnings.is_empty(), "{:?}", scenario.warnings);
}

#[test]
fn list_of_namespaced_and_cluster_policies_is_imported() {
    let text = r#"apiVersion: v1
kind: List
items:
- apiVersion: policy.karmada.io/v1alpha1
  kind: PropagationPolicy
  metadata:
    name: team
    namespace: vision
    resourceVersion: "12"
    uid: 0b6f7a5e-1111-2222-3333-444455556666
  spec:
    resourceSelectors:
    - apiVersion: batch/v1
      kind: Job
    placement:
      replicaScheduling:
        replicaSchedulingType: Divided
        replicaDivisionPreference: Aggregated
  status: {}
- apiVersion: policy.karmada.io/v1alpha1
  kind: ClusterPropagationPolicy
  metadata:
    name: everyone
  spec:
    priority: 3
    resourceSelectors:
    - apiVersion: batch/v1
      kind: Job
metadata:
  resourceVersion: ""
"#;
    let (_dir, _file, scenario) = imported(text);
    assert_eq!(names(&scenario), ["team", "everyone"]);
    let team = policy(&scenario, "team");
    assert_eq!(team.namespace.as_deref(), Some("vision"));
    assert_eq!(
        placement_of(&scenario, team).replica_scheduling,
        ReplicaScheduling::Divided(DivisionPreference::Aggregated)
    );
    let everyone = policy(&scenario, "everyone");
    assert_eq!(everyone.namespace, None);
    assert_eq!(everyone.priority, 3);
    assert_eq!(everyone.selectors, vec![job_selector("")]);
    assert_eq!(placement_of(&scenario, everyone), &Placement::default());
    assert_ne!(team.placement, everyone.placement);
}

#[test]
fn empty_selector_namespace_defaults_to_the_policy_namespace_only() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: local, namespace: vision}
spec:
  resourceSelectors:
  - {apiVersion: batch/v1, kind: Job}
  - {apiVersion: batch/v1, kind: Job, namespace: ''}
---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: wide}
spec:
  resourceSelectors:
  - {apiVersion: batch/v1, kind: Job}
  - {apiVersion: batch/v1, kind: Job, namespace: llm}
";
    let (_dir, _file, scenario) = imported(text);
    assert_eq!(
        policy(&scenario, "local").selectors,
        vec![job_selector("vision"), job_selector("vision")]
    );
    assert_eq!(
        policy(&scenario, "wide").selectors,
        vec![job_selector(""), job_selector("llm")]
    );
}

#[test]
fn propagation_policy_without_namespace_is_in_default() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: nowhere-in-particular
spec:
  resourceSelectors:
  - {apiVersion: batch/v1, kind: Job}
";
    let (_dir, _file, scenario) = imported(text);
    let p = policy(&scenario, "nowhere-in-particular");
    assert_eq!(p.namespace.as_deref(), Some("default"));
    // The selector namespace is then filled with that same namespace.
    assert_eq!(p.selectors, vec![job_selector("default")]);
}

// --- Karmada's defaults (§2) -----------------------------------------------------------------

#[test]
fn no_replica_scheduling_means_duplicated() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: affinity-only, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    clusterAffinity: {clusterNames: [west]}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: no-placement, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: empty-scheduling, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    replicaScheduling: {}
";
    let (_dir, _file, scenario) = imported(text);
    for name in ["affinity-only", "no-placement", "empty-scheduling"] {
        assert_eq!(
            placement_of(&scenario, policy(&scenario, name)).replica_scheduling,
            ReplicaScheduling::Duplicated,
            "{name}"
        );
    }
}

#[test]
fn divided_without_preference_weighs_every_cluster_one() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: divided, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    replicaScheduling: {replicaSchedulingType: Divided}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: weighted, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    replicaScheduling: {replicaSchedulingType: Divided, replicaDivisionPreference: Weighted}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: static, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    replicaScheduling:
      replicaSchedulingType: Divided
      weightPreference:
        staticWeightList:
        - {targetCluster: {clusterNames: [east]}, weight: 3}
";
    let (_dir, _file, scenario) = imported(text);
    for name in ["divided", "weighted"] {
        assert_eq!(
            placement_of(&scenario, policy(&scenario, name)).replica_scheduling,
            ReplicaScheduling::Divided(DivisionPreference::StaticWeight(vec![])),
            "{name}"
        );
    }
    // A weight list without a preference is Weighted too.
    assert_eq!(
        placement_of(&scenario, policy(&scenario, "static")).replica_scheduling,
        ReplicaScheduling::Divided(DivisionPreference::StaticWeight(vec![StaticWeightRule {
            target: names_affinity(&["east"]),
            weight: 3,
        }]))
    );
}

#[test]
fn spread_constraint_defaults_to_cluster_and_one_group() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: spread, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    spreadConstraints:
    - {maxGroups: 2}
    - {spreadByField: region, minGroups: 0}
    - {spreadByLabel: rack, minGroups: 2}
";
    let (_dir, _file, scenario) = imported(text);
    assert_eq!(
        placement_of(&scenario, policy(&scenario, "spread")).spread_constraints,
        vec![
            SpreadConstraint {
                field: SpreadField::Cluster,
                min_groups: 1,
                max_groups: 2,
            },
            SpreadConstraint {
                field: SpreadField::Region,
                min_groups: 1,
                max_groups: 0,
            },
            SpreadConstraint {
                field: SpreadField::Label("rack".into()),
                min_groups: 2,
                max_groups: 0,
            },
        ]
    );
}

// --- Fallback placement ----------------------------------------------------------------------

#[test]
fn scenario_placement_is_the_fallback_next_to_policies() {
    let fixture = Fixture::new();
    fixture.write(
        POLICY_FILE,
        "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: only, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
",
    );
    let extra = "placement:\n  replicaScheduling: {replicaSchedulingType: Divided}\n";
    let scenario = fixture
        .load(&[POLICY_FILE], extra, ONE_JOB)
        .unwrap_or_else(|err| panic!("{err}"));
    let fallback = scenario.policies.fallback.expect("a fallback placement");
    assert_ne!(fallback, policy(&scenario, "only").placement);
    assert_eq!(
        scenario.policies.placements[fallback.0 as usize].replica_scheduling,
        ReplicaScheduling::Divided(DivisionPreference::StaticWeight(vec![]))
    );
}

#[test]
fn no_policies_and_no_placement_fall_back_to_dynamic_weight() {
    let fixture = Fixture::new();
    let scenario = fixture
        .load(&[], "", ONE_JOB)
        .unwrap_or_else(|err| panic!("{err}"));
    assert!(scenario.policies.policies.is_empty());
    let fallback = scenario.policies.fallback.expect("a fallback placement");
    assert_eq!(
        scenario.policies.placements[fallback.0 as usize].replica_scheduling,
        ReplicaScheduling::Divided(DivisionPreference::DynamicWeight)
    );
}

// --- Warnings --------------------------------------------------------------------------------

#[test]
fn unmodelled_fields_give_one_warning_each() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: plain, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  namespace: llm
  name: resilient
spec:
  propagateDeps: true
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  conflictResolution: Overwrite
";
    let (_dir, file, scenario) = imported(text);
    // Both policies are still imported.
    assert_eq!(names(&scenario), ["plain", "resilient"]);
    let line = line_of(text, "name: resilient");
    assert_eq!(line, 11);
    let at = format!("{}:{line}:", file.display());
    assert_eq!(scenario.warnings.len(), 2, "{:#?}", scenario.warnings);
    for field in ["spec.conflictResolution", "spec.propagateDeps"] {
        let matching: Vec<_> = scenario
            .warnings
            .iter()
            .filter(|w| w.contains(field))
            .collect();
        assert_eq!(matching.len(), 1, "{field}: {:#?}", scenario.warnings);
        let warning = matching[0];
        assert!(warning.contains(&at), "{at} not in {warning}");
        assert!(
            warning.contains("PropagationPolicy llm/resilient"),
            "{warning}"
        );
    }
}

#[test]
fn overriders_that_do_not_change_pods_are_reported() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: OverridePolicy
metadata:
  name: mirror
  namespace: llm
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  overrideRules:
  - targetCluster: {clusterNames: [east]}
    overriders:
      imageOverrider:
      - {component: Registry, operator: replace, value: mirror.example.internal}
---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata:
  name: registry
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  overrideRules:
  - overriders:
      labelsOverrider:
      - {operator: add, value: {team: llm}}
";
    let (_dir, file, scenario) = imported(text);
    // Override policies are no propagation policies and place nothing.
    assert!(scenario.policies.policies.is_empty());
    assert!(scenario.policies.placements.is_empty());
    assert_eq!(scenario.policies.overrides.len(), 2);
    assert_eq!(
        scenario.policies.overrides[0].namespace.as_deref(),
        Some("llm")
    );
    assert_eq!(scenario.policies.overrides[1].namespace, None);
    assert!(
        scenario
            .policies
            .overrides
            .iter()
            .all(|o| o.rules.len() == 1 && o.rules[0].overriders.is_empty())
    );
    assert_eq!(scenario.warnings.len(), 2, "{:#?}", scenario.warnings);
    let expectations = [
        (
            line_of(text, "name: mirror"),
            "OverridePolicy llm/mirror",
            "imageOverrider",
        ),
        (
            line_of(text, "name: registry"),
            "ClusterOverridePolicy registry",
            "labelsOverrider",
        ),
    ];
    for (warning, (line, display, field)) in scenario.warnings.iter().zip(expectations) {
        let at = format!("{}:{line}:", file.display());
        assert!(warning.contains(&at), "{at} not in {warning}");
        assert!(warning.contains(display), "{display} not in {warning}");
        assert!(warning.contains(field), "{field} not in {warning}");
    }
}

#[test]
fn plaintext_overriders_of_replicas_and_requests_are_imported() {
    use scheduler::policy::Overrider;
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterOverridePolicy
metadata:
  name: smaller-in-east
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  overrideRules:
  - targetCluster: {clusterNames: [east]}
    overriders:
      plaintext:
      - {path: /spec/parallelism, operator: replace, value: 3}
      - {path: /spec/template/spec/containers/0/resources/requests/cpu, operator: replace, value: 1500m}
      - {path: /spec/template/spec/containers/0/resources/requests/memory, operator: add, value: 2Gi}
      - {path: /spec/template/spec/containers/0/resources/requests/nvidia.com~1gpu, operator: replace, value: '2'}
      - {path: /spec/template/spec/containers/0/image, operator: replace, value: busybox}
";
    let (_dir, _file, scenario) = imported(text);
    let rule = &scenario.policies.overrides[0].rules[0];
    assert_eq!(
        rule.overriders,
        vec![
            Overrider::Replicas(3),
            Overrider::CpuRequest(1500),
            Overrider::MemoryRequest(2 << 30),
            Overrider::GpuRequest(2),
        ]
    );
    assert_eq!(
        rule.target.as_ref().unwrap().cluster_names,
        vec!["east".to_owned()]
    );
    assert_eq!(scenario.warnings.len(), 1, "{:#?}", scenario.warnings);
    assert!(
        scenario.warnings[0].contains("/spec/template/spec/containers/0/image"),
        "{}",
        scenario.warnings[0]
    );
}

// --- schedulePriority (§7.1) -----------------------------------------------------------------

#[test]
fn kube_priority_class_sets_the_schedule_priority() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: urgent, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  schedulePriority:
    priorityClassSource: KubePriorityClass
    priorityClassName: training-high
";
    let (_dir, _file, scenario) = imported(text);
    let p = policy(&scenario, "urgent");
    assert_eq!(p.schedule_priority, 1000);
    // The explicit (matching) priority is a different field.
    assert_eq!(p.priority, 0);
    assert!(scenario.warnings.is_empty(), "{:?}", scenario.warnings);
}

#[test]
fn other_priority_class_sources_warn_and_use_zero() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: federated
  namespace: llm
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  schedulePriority:
    priorityClassSource: FederatedPriorityClass
    priorityClassName: training-high
";
    let (_dir, file, scenario) = imported(text);
    assert_eq!(policy(&scenario, "federated").schedule_priority, 0);
    assert_eq!(scenario.warnings.len(), 1, "{:#?}", scenario.warnings);
    let warning = &scenario.warnings[0];
    let at = format!("{}:{}:", file.display(), line_of(text, "name: federated"));
    assert!(warning.contains(&at), "{at} not in {warning}");
    assert!(
        warning.contains("PropagationPolicy llm/federated"),
        "{warning}"
    );
    assert!(warning.contains("FederatedPriorityClass"), "{warning}");
}

// --- Errors ----------------------------------------------------------------------------------

#[test]
fn kind_of_the_third_document_is_skipped_with_a_warning() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: one, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: two}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: llm}
";
    let (_dir, file, scenario) = imported(text);
    assert_eq!(names(&scenario), ["one", "two"]);
    assert_eq!(line_of(text, "kind: Deployment"), 14);
    assert_eq!(
        scenario.warnings,
        [format!(
            "{}:14: skipped 1 object of kind Deployment (apps/v1): not modelled in a policy include",
            file.display()
        )]
    );
}

#[test]
fn deployment_spec_is_not_read_as_a_policy_spec() {
    // What `kubectl get deploy,pp -o yaml` mixes in: the Deployment's own spec holds fields no
    // policy has, and must not be checked against a policy's.
    let text = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: llm}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx}]
";
    let (_dir, _file, scenario) = imported(text);
    assert!(names(&scenario).is_empty());
    assert_eq!(scenario.warnings.len(), 1, "{:#?}", scenario.warnings);
    assert!(scenario.warnings[0].contains(":2: skipped 1 object of kind Deployment"));
}

#[test]
fn typo_inside_placement_is_refused() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: fine, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: typo, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    clusterAfinity:
      clusterNames: [east]
";
    let (_dir, file, err) = import_error(text);
    assert_eq!(line_of(text, "clusterAfinity"), 13);
    assert_input_error(
        &err,
        &file,
        13,
        "spec.placement.clusterAfinity",
        "clusterAfinity",
    );
}

#[test]
fn bad_replica_scheduling_type_is_refused() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: fine, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: bad, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    replicaScheduling:
      replicaSchedulingType: Spread
";
    let (_dir, file, err) = import_error(text);
    assert_eq!(line_of(text, "replicaSchedulingType: Spread"), 14);
    assert_input_error(
        &err,
        &file,
        14,
        "spec.placement.replicaScheduling.replicaSchedulingType",
        "\"Spread\"",
    );
}

#[test]
fn undeclared_priority_class_is_a_warning_and_priority_zero() {
    // Karmada's API server takes the policy (the class is looked up only when a binding is
    // built). The second document is a List; the line counts from the top of the file.
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: fine, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
---
apiVersion: v1
kind: List
items:
- apiVersion: policy.karmada.io/v1alpha1
  kind: PropagationPolicy
  metadata: {name: also-fine, namespace: vision}
  spec:
    resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
- apiVersion: policy.karmada.io/v1alpha1
  kind: PropagationPolicy
  metadata: {name: urgent, namespace: vision}
  spec:
    resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
    schedulePriority:
      priorityClassSource: KubePriorityClass
      priorityClassName: no-such-class
";
    let (_dir, file, scenario) = imported(text);
    assert_eq!(policy(&scenario, "urgent").schedule_priority, 0);
    assert_eq!(line_of(text, "priorityClassName: no-such-class"), 22);
    assert_eq!(scenario.warnings.len(), 1, "{:#?}", scenario.warnings);
    let warning = &scenario.warnings[0];
    let at = format!(
        "{}:22: PropagationPolicy vision/urgent: items[1].spec.schedulePriority.priorityClassName \"no-such-class\"",
        file.display()
    );
    assert!(warning.starts_with(&at), "{at} not in {warning}");
}

#[test]
fn region_spread_without_cluster_spread_is_refused() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: fine, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: regions, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    spreadConstraints: [{spreadByField: region, minGroups: 2}]
";
    let (_dir, file, err) = import_error(text);
    assert_eq!(line_of(text, "spreadConstraints:"), 13);
    assert_input_error(
        &err,
        &file,
        13,
        "spec.placement.spreadConstraints",
        "the cluster spread constraint must be enabled",
    );
}

#[test]
fn max_groups_below_min_groups_is_refused() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: groups, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    spreadConstraints: [{spreadByField: cluster, minGroups: 3, maxGroups: 2}]
";
    let (_dir, file, err) = import_error(text);
    let Error::Input { position, message } = &err else {
        panic!("not an input error: {err}");
    };
    // Karmada's webhook names `spreadConstraints[0].maxGroups`; the constraint will do too.
    let path_ok = position.path == "spec.placement.spreadConstraints[0]"
        || position.path == "spec.placement.spreadConstraints[0].maxGroups";
    assert_eq!(line_of(text, "maxGroups: 2"), 7);
    assert_eq!(
        (position.file.as_path(), position.line, path_ok),
        (file.as_path(), 7, true),
        "{err}"
    );
    assert!(
        message.contains("maxGroups") && message.contains("minGroups"),
        "{err}"
    );
}

#[test]
fn missing_include_is_refused_at_the_include_line() {
    let fixture = Fixture::new();
    fixture.write(
        POLICY_FILE,
        "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: fine, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
",
    );
    let includes = [POLICY_FILE, "karmada/missing.yaml"];
    let err = fixture.load(&includes, "", ONE_JOB).unwrap_err();
    let text = scenario_text(&includes, "", ONE_JOB);
    let line = line_of(&text, "include: karmada/missing.yaml");
    assert_input_error(
        &err,
        &fixture.scenario_path(),
        line,
        "policies[1].include",
        "missing.yaml",
    );
}

#[test]
fn duplicate_policy_name_in_one_namespace_is_refused() {
    // The same name in another namespace, or as a ClusterPropagationPolicy, is a different
    // object; only the fourth document repeats one.
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: same, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: same, namespace: vision}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: same}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata:
  name: same
  namespace: llm
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
";
    let (_dir, file, err) = import_error(text);
    assert_eq!(nth_line_of(text, "name: same", 3), 22);
    assert_input_error(&err, &file, 22, "metadata.name", "duplicate");
}

// --- Matching (§1.1) through the whole load -------------------------------------------------

#[test]
fn name_selector_beats_label_selector_after_loading() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: a-by-label, namespace: llm}
spec:
  resourceSelectors:
  - apiVersion: batch/v1
    kind: Job
    labelSelector: {matchLabels: {app: trainer}}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: z-by-name, namespace: llm}
spec:
  resourceSelectors:
  - {apiVersion: batch/v1, kind: Job, name: trainer}
---
apiVersion: policy.karmada.io/v1alpha1
kind: ClusterPropagationPolicy
metadata: {name: every-job}
spec:
  priority: 100
  resourceSelectors:
  - {apiVersion: batch/v1, kind: Job}
";
    let jobs = "workload:
  jobs:
    - {name: trainer, submit: 0s, namespace: llm, gpus: 8, runtime: 1h, labels: {app: trainer}}
    - {name: web, submit: 1m, namespace: llm, runtime: 1h, api_version: apps/v1, kind: Deployment, labels: {app: trainer}}
    - {name: trainer, submit: 2m, namespace: vision, gpus: 8, runtime: 1h, labels: {app: trainer}}
";
    let fixture = Fixture::new();
    fixture.write(POLICY_FILE, text);
    let scenario = fixture
        .load(&[POLICY_FILE], "", jobs)
        .unwrap_or_else(|err| panic!("{err}"));
    let scenarios::Workload::Jobs(list) = &scenario.workload else {
        panic!("an explicit job list");
    };
    assert_eq!(list.len(), 3);
    let chosen = |job: &Job| {
        scheduler::policy::matching_policy(&scenario.policies.policies, job, &scenario.world)
            .map(|p| p.name.clone())
    };
    // Equal explicit priority: the name selector (MatchName) beats the label selector, even
    // though "a-by-label" is the smaller name; a PropagationPolicy beats any
    // ClusterPropagationPolicy whatever its priority.
    assert_eq!(chosen(&list[0]), Some("z-by-name".to_owned()));
    // No policy selects a Deployment.
    assert_eq!(chosen(&list[1]), None);
    // No PropagationPolicy in `vision`: the ClusterPropagationPolicy applies.
    assert_eq!(chosen(&list[2]), Some("every-job".to_owned()));
}

// --- The bundled example -----------------------------------------------------------------------

#[test]
fn bundled_karmada_example_imports_its_policies() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/scenarios");
    let scenario = scenarios::load(&examples.join("karmada-policies.yaml"))
        .unwrap_or_else(|err| panic!("{err}"));
    // team-policies.yaml (a List) first, then cluster-policies.yaml.
    assert_eq!(
        names(&scenario),
        ["llm-training", "vision-weighted", "research-spread"]
    );
    let llm = policy(&scenario, "llm-training");
    assert_eq!(llm.namespace.as_deref(), Some("llm"));
    assert_eq!((llm.priority, llm.schedule_priority), (10, 1000));
    assert_eq!(
        placement_of(&scenario, llm).replica_scheduling,
        ReplicaScheduling::Divided(DivisionPreference::Aggregated)
    );
    assert_eq!(placement_of(&scenario, llm).cluster_affinities.len(), 2);
    let vision = policy(&scenario, "vision-weighted");
    assert_eq!(vision.selectors, vec![job_selector("vision")]);
    assert_eq!(
        placement_of(&scenario, vision).replica_scheduling,
        ReplicaScheduling::Divided(DivisionPreference::StaticWeight(vec![
            StaticWeightRule {
                target: names_affinity(&["dc-east-2"]),
                weight: 2,
            },
            StaticWeightRule {
                target: names_affinity(&["dc-west-2"]),
                weight: 1,
            },
        ]))
    );
    let research = policy(&scenario, "research-spread");
    assert_eq!(research.namespace, None);
    assert_eq!(
        placement_of(&scenario, research).spread_constraints,
        vec![
            SpreadConstraint {
                field: SpreadField::Region,
                min_groups: 1,
                max_groups: 2,
            },
            SpreadConstraint {
                field: SpreadField::Cluster,
                min_groups: 1,
                max_groups: 3,
            },
        ]
    );
    assert_eq!(scenario.policies.fallback, None);
    // The ClusterOverridePolicy's image overrider; llm-training's failover is modelled.
    assert_eq!(scenario.warnings.len(), 1, "{:#?}", scenario.warnings);
    assert!(scenario.warnings[0].contains("ClusterOverridePolicy registry-mirror"));
}

#[test]
fn failover_and_toleration_seconds_are_imported_with_karmada_defaults() {
    let text = "\
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: defaults, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  placement:
    clusterTolerations:
      - {key: cluster.karmada.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 300}
      - {key: other, operator: Exists, effect: NoExecute, tolerationSeconds: -5}
  failover:
    cluster: {}
    application: {}
---
apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: explicit, namespace: llm}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job, name: other}]
  failover:
    cluster: {purgeMode: Directly, statePreservation: {rules: [{aliasLabelName: step, jsonPath: '{.status.step}'}]}}
    application:
      decisionConditions: {tolerationSeconds: 120}
      purgeMode: Never
      gracePeriodSeconds: 30
";
    let (_dir, _file, scenario) = imported(text);
    // statePreservation copies status fields into labels in Karmada; nothing here reads them,
    // so it is warned about, with its line, rather than taken to mean anything.
    assert_eq!(scenario.warnings.len(), 1, "{:#?}", scenario.warnings);
    assert!(
        scenario.warnings[0].contains(":20: ")
            && scenario.warnings[0].contains(
                "spec.failover.cluster.statePreservation is not modelled and was ignored"
            ),
        "{:#?}",
        scenario.warnings
    );
    let defaults = placement_of(&scenario, policy(&scenario, "defaults"));
    let seconds: Vec<Option<u64>> = defaults
        .cluster_tolerations
        .iter()
        .map(|t| t.toleration_seconds)
        .collect();
    // Negative seconds mean "evict at once", as in Kubernetes.
    assert_eq!(seconds, [Some(300), Some(0)]);
    assert_eq!(
        defaults.failover,
        Failover {
            cluster: Some(ClusterFailover {
                purge_mode: PurgeMode::Gracefully,
            }),
            application: Some(ApplicationFailover {
                toleration_seconds: 300,
                purge_mode: PurgeMode::Gracefully,
                grace_period_seconds: 600,
            }),
        }
    );
    let explicit = placement_of(&scenario, policy(&scenario, "explicit"));
    assert_eq!(
        explicit.failover,
        Failover {
            cluster: Some(ClusterFailover {
                purge_mode: PurgeMode::Directly,
            }),
            application: Some(ApplicationFailover {
                toleration_seconds: 120,
                purge_mode: PurgeMode::Never,
                grace_period_seconds: 30,
            }),
        }
    );
}
