//! `scheduler.feature_gates`: Karmada v1.19's defaults, unknown names refused with the closest
//! gate, the older switches as spellings of a gate, warnings for behaviour behind an off gate,
//! and resource models given by default as Karmada gives them at Cluster creation.

use std::path::Path;

use scenarios::{Error, Scenario};
use scheduler::FeatureGates;
use scheduler::estimator::{ModelGrade, default_resource_models};

/// A cluster of two 8-GPU nodes, a team with an 8-GPU FederatedResourceQuota, one 8-GPU job;
/// `SCHEDULER` is replaced by the scheduler section.
const BASE: &str = r#"name: gates
seed: 1
gpu_models: [{name: H100, memory: 80Gi}]
clusters:
  - name: c1
    node_pools: [{name: gpu, count: 2, cpu: "96", memory: 1Ti, gpus: 8, gpu_model: H100}]
namespaces:
  - name: team
    quota:
      federated: {overall: {requests.nvidia.com/gpu: "8"}}
SCHEDULER
workload:
  jobs:
    - {name: j0, submit: 0s, namespace: team, replicas: 1, gpus: 8, cpu: "8", memory: 64Gi, runtime: 1h}
"#;

fn text(scheduler: &str) -> String {
    BASE.replace("SCHEDULER", scheduler)
}

fn load(scheduler: &str) -> Scenario {
    scenarios::load_str(&text(scheduler), Path::new("gates.yaml")).unwrap()
}

fn error(scheduler: &str) -> Error {
    scenarios::load_str(&text(scheduler), Path::new("gates.yaml")).unwrap_err()
}

fn line_of(text: &str, needle: &str) -> u64 {
    text.lines().position(|l| l.contains(needle)).unwrap() as u64 + 1
}

fn warned(scenario: &Scenario, needle: &str) -> bool {
    scenario.warnings.iter().any(|w| w.contains(needle))
}

#[test]
fn without_gates_karmada_v1_19s_defaults_apply() {
    let scenario = load("");
    assert_eq!(scenario.scheduler.feature_gates, FeatureGates::default());
    let gates = scenario.scheduler.feature_gates;
    assert!(!gates.federated_quota_enforcement && gates.priority_based_scheduling);
    // FederatedQuotaEnforcement is off by default: the quota's overall limit is not enforced,
    // and the warning says how to turn it on.
    assert!(
        warned(
            &scenario,
            "namespaces.team: the FederatedResourceQuota's overall limits are not enforced: the \
             FederatedQuotaEnforcement gate is off"
        ),
        "{:#?}",
        scenario.warnings
    );
    assert!(warned(
        &scenario,
        "set scheduler.feature_gates.FederatedQuotaEnforcement: true"
    ));
}

#[test]
fn gates_are_set_by_name() {
    let scenario = load(
        "scheduler:\n  feature_gates: {FederatedQuotaEnforcement: true, PriorityBasedScheduling: false, Failover: true}",
    );
    assert_eq!(
        scenario.scheduler.feature_gates,
        FeatureGates {
            federated_quota_enforcement: true,
            priority_based_scheduling: false,
            failover: true,
            ..FeatureGates::default()
        }
    );
    assert!(!warned(&scenario, "FederatedResourceQuota"));
}

#[test]
fn an_unknown_gate_is_refused_with_the_closest_name() {
    let scheduler =
        "scheduler:\n  feature_gates:\n    Failover: true\n    FederatedQuotaEnforcment: true";
    let err = error(scheduler);
    let position = err.position().expect("a position");
    assert_eq!(
        (position.line, position.path.as_str()),
        (
            line_of(&text(scheduler), "FederatedQuotaEnforcment"),
            "scheduler.feature_gates.FederatedQuotaEnforcment"
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("unknown feature gate \"FederatedQuotaEnforcment\": did you mean \"FederatedQuotaEnforcement\"?"),
        "{err}"
    );
    // The Go constant's name is not the gate's.
    let err = error("scheduler:\n  feature_gates: {PolicyPreemption: true}");
    assert!(
        err.to_string()
            .contains("did you mean \"PropagationPolicyPreemption\"?"),
        "{err}"
    );
    // Far from every name: the list.
    let err = error("scheduler:\n  feature_gates: {Turbo: true}");
    assert!(
        err.to_string()
            .contains("expected one of Karmada v1.19's gates: Failover, GracefulEviction"),
        "{err}"
    );
}

#[test]
fn a_gate_value_must_be_a_bool() {
    let scheduler = "scheduler:\n  feature_gates:\n    Failover: sometimes";
    let err = error(scheduler);
    let position = err.position().expect("a position");
    assert_eq!(
        position.line,
        line_of(&text(scheduler), "sometimes"),
        "{err}"
    );
}

#[test]
fn gates_fleetsim_does_not_model_are_accepted_with_a_warning() {
    let scenario =
        load("scheduler:\n  feature_gates: {PropagateDeps: false, WorkloadAffinity: true}");
    assert_eq!(scenario.scheduler.feature_gates, FeatureGates::default());
    for gate in ["PropagateDeps", "WorkloadAffinity"] {
        assert!(
            warned(
                &scenario,
                &format!(
                    "scheduler.feature_gates.{gate}: fleetsim does not model what this gate \
                     switches; it has no effect"
                )
            ),
            "{:#?}",
            scenario.warnings
        );
    }
}

#[test]
fn the_older_switches_turn_their_gate_on() {
    let scenario = load("scheduler:\n  overcommit_protection: true\n  quota_plugin: true");
    let gates = scenario.scheduler.feature_gates;
    assert!(gates.scheduling_overcommit_protection && gates.resource_quota_estimate);
    let estimators: Vec<&str> = scenario.scheduler.estimator_names().collect();
    assert_eq!(estimators, ["general", "resource-quota"]);
    // Off by both spellings at once is a contradiction.
    let scheduler =
        "scheduler:\n  quota_plugin: true\n  feature_gates: {ResourceQuotaEstimate: false}";
    let err = error(scheduler);
    let position = err.position().expect("a position");
    assert_eq!(
        (position.line, position.path.as_str()),
        (
            line_of(&text(scheduler), "quota_plugin"),
            "scheduler.quota_plugin"
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("keep only feature_gates.ResourceQuotaEstimate"),
        "{err}"
    );
}

#[test]
fn no_execute_eviction_without_failover_is_warned_about() {
    let scenario = load("scheduler:\n  failover: {no_execute_eviction: true}");
    assert!(
        warned(
            &scenario,
            "Karmada's taint manager runs only with the Failover gate (off by default), so no \
             binding is evicted; set scheduler.feature_gates.Failover: true"
        ),
        "{:#?}",
        scenario.warnings
    );
    let scenario = load(
        "scheduler:\n  failover: {no_execute_eviction: true}\n  feature_gates: {Failover: true}",
    );
    assert!(!warned(&scenario, "taint manager"));
}

#[test]
fn components_without_multiple_pod_templates_scheduling_are_warned_about() {
    let components = BASE.replace(
        "    - {name: j0, submit: 0s, namespace: team, replicas: 1, gpus: 8, cpu: \"8\", memory: 64Gi, runtime: 1h}",
        "    - name: j0\n      submit: 0s\n      namespace: team\n      runtime: 1h\n      components:\n        - {name: launcher, replicas: 1, cpu: \"2\", memory: 8Gi}\n        - {name: worker, replicas: 2, gpus: 8, cpu: \"8\", memory: 64Gi}",
    );
    let load_with = |scheduler: &str| {
        scenarios::load_str(
            &components.replace("SCHEDULER", scheduler),
            Path::new("gates.yaml"),
        )
        .unwrap()
    };
    let scenario = load_with("");
    assert!(
        warned(
            &scenario,
            "workload: jobs with several components need the MultiplePodTemplatesScheduling gate"
        ),
        "{:#?}",
        scenario.warnings
    );
    let scenario = load_with("scheduler:\n  feature_gates: {MultiplePodTemplatesScheduling: true}");
    assert!(!warned(&scenario, "MultiplePodTemplatesScheduling"));
}

// --- Resource models --------------------------------------------------------------------------

const GI: i64 = 1 << 30;

#[test]
fn clusters_without_models_get_karmadas_default_grades() {
    // pkg/registry/cluster/strategy.go `PrepareForCreate`: with CustomizedClusterResourceModeling
    // (on by default) a Cluster without resourceModels gets `SetDefaultClusterResourceModels`'
    // nine grades: cpu from 0, 1, 2, 4, ..., 128 cores, memory from 0, 4, 16, ..., 1024 GiB.
    let scenario = load("");
    let models = &scenario.resource_models[0];
    assert_eq!(models.len(), 9);
    assert_eq!(models, &default_resource_models());
    let cpu: Vec<i64> = models.iter().map(|g| g.minimums[0].1 / 1000).collect();
    assert_eq!(cpu, [0, 1, 2, 4, 8, 16, 32, 64, 128]);
    let memory: Vec<i64> = models.iter().map(|g| g.minimums[1].1 / GI).collect();
    assert_eq!(memory, [0, 4, 16, 32, 64, 128, 256, 512, 1024]);
    // They describe no GPUs, so the general estimator answers 0 for the GPU job (general.go
    // `getMaximumReplicasBasedOnResourceModels`: a model node has no nvidia.com/gpu, and
    // `MaxDivided` gives 0 for it), as Karmada does; validate says so, with the remedies.
    assert!(
        warned(
            &scenario,
            "clusters c1: their resource models (Karmada's defaults unless declared) have no \
             nvidia.com/gpu range, so the general estimator answers 0 for every GPU job there"
        ),
        "{:#?}",
        scenario.warnings
    );
    for remedy in [
        "declare resource_models with an nvidia.com/gpu range",
        "use `estimators: [accurate]`",
        "set scheduler.feature_gates.CustomizedClusterResourceModeling: false",
    ] {
        assert!(warned(&scenario, remedy), "{remedy}");
    }
}

#[test]
fn the_gate_off_leaves_clusters_without_models() {
    let scenario = load("scheduler:\n  feature_gates: {CustomizedClusterResourceModeling: false}");
    assert!(scenario.resource_models.iter().all(Vec::is_empty));
    assert!(
        !warned(&scenario, "resource models"),
        "{:#?}",
        scenario.warnings
    );
    // Declared models are ignored then, and the warning says so.
    let declared = BASE
        .replace(
            "    node_pools: [{name: gpu",
            "    resource_models: default\n    node_pools: [{name: gpu",
        )
        .replace(
            "SCHEDULER",
            "scheduler:\n  feature_gates: {CustomizedClusterResourceModeling: false}",
        );
    let scenario = scenarios::load_str(&declared, Path::new("gates.yaml")).unwrap();
    assert!(scenario.resource_models.iter().all(Vec::is_empty));
    assert!(warned(
        &scenario,
        "clusters: 1 clusters declare resource_models, which the general estimator ignores \
         without the CustomizedClusterResourceModeling gate"
    ));
}

#[test]
fn declared_models_are_kept_in_grade_order_with_the_first_grade_from_zero() {
    // mutation.go `StandardizeClusterResourceModels`: grades sorted, the first grade's minimums
    // set to 0. With a GPU range the GPU job is estimated by grade: no warning.
    let models = "    resource_models:\n      - {grade: 1, ranges: [{name: cpu, min: '32'}, {name: nvidia.com/gpu, min: '8'}]}\n      - {grade: 0, ranges: [{name: cpu, min: '1'}, {name: nvidia.com/gpu, min: '1'}]}\n";
    let text = BASE
        .replace(
            "    node_pools: [{name: gpu",
            &format!("{models}    node_pools: [{{name: gpu"),
        )
        .replace("SCHEDULER", "");
    let scenario = scenarios::load_str(&text, Path::new("gates.yaml")).unwrap();
    let grade = |grade: u32, cpu: i64, gpus: i64| ModelGrade {
        grade,
        minimums: vec![("cpu".into(), cpu), ("nvidia.com/gpu".into(), gpus)],
    };
    assert_eq!(
        scenario.resource_models[0],
        vec![grade(0, 0, 0), grade(1, 32_000, 8)]
    );
    assert!(
        !warned(&scenario, "resource models"),
        "{:#?}",
        scenario.warnings
    );
}

#[test]
fn only_the_accurate_estimator_needs_no_gpu_range() {
    // Without the general estimator nothing reads the models.
    let scenario = load("scheduler:\n  estimators: [accurate]");
    assert!(
        !warned(&scenario, "resource models"),
        "{:#?}",
        scenario.warnings
    );
}

#[test]
fn schedule_priority_without_priority_based_scheduling_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("policies.yaml"),
        "apiVersion: policy.karmada.io/v1alpha1
kind: PropagationPolicy
metadata: {name: urgent, namespace: team}
spec:
  resourceSelectors: [{apiVersion: batch/v1, kind: Job}]
  schedulePriority: {priorityClassSource: KubePriorityClass, priorityClassName: high}
",
    )
    .unwrap();
    let scenario_with = |scheduler: &str| {
        let text = text(scheduler).replace(
            "namespaces:",
            "priority_classes: [{name: high, value: 1000}]\npolicies: [{include: policies.yaml}]\nnamespaces:",
        );
        let file = dir.path().join("scenario.yaml");
        std::fs::write(&file, text).unwrap();
        scenarios::load(&file).unwrap()
    };
    // On by default in v1.19: no warning.
    assert!(!warned(&scenario_with(""), "schedulePriority"));
    let scenario = scenario_with("scheduler:\n  feature_gates: {PriorityBasedScheduling: false}");
    assert!(
        warned(
            &scenario,
            "policies: 1 policies give a schedulePriority, which Karmada ignores without the \
             PriorityBasedScheduling gate: every binding has priority 0; set \
             scheduler.feature_gates.PriorityBasedScheduling: true"
        ),
        "{:#?}",
        scenario.warnings
    );
}

#[test]
fn without_federation_karmadas_settings_are_warned_about() {
    let direct_warnings = |warnings: &[String]| -> Vec<String> {
        warnings
            .iter()
            .filter(|w| w.starts_with("federation: direct:"))
            .cloned()
            .collect()
    };
    // Karmada's defaults set nothing that direct submission ignores.
    let plain = load("scheduler:\n  federation: direct");
    assert!(direct_warnings(&plain.warnings).is_empty());
    let scenario = load(
        "scheduler:
  federation: direct
  failover: {no_execute_eviction: true}
  feature_gates: {FederatedQuotaEnforcement: true}",
    );
    assert_eq!(
        direct_warnings(&scenario.warnings),
        [
            "federation: direct: teams submit to member clusters themselves and Karmada is not \
          in the path, so scheduler.failover.no_execute_eviction (the taint manager), \
          FederatedResourceQuota enforcement do nothing: each job stays in the cluster it \
          was submitted to, through an outage too"
        ]
    );
    // `run --federation karmada` drops it; `--federation direct` adds it to a federated
    // scenario.
    let karmada = scheduler::Federation::Karmada;
    let direct = scheduler::Federation::Direct(scheduler::DirectSubmission::RoundRobin);
    assert!(direct_warnings(&scenario.warnings_under(&karmada)).is_empty());
    let federated = load(
        "scheduler:
  failover: {no_execute_eviction: true}
  feature_gates: {FederatedQuotaEnforcement: true}",
    );
    assert!(direct_warnings(&federated.warnings).is_empty());
    assert_eq!(
        direct_warnings(&federated.warnings_under(&direct)),
        direct_warnings(&scenario.warnings)
    );
}
