//! `scheduler.feature_gates`: Karmada's gates by name, with v1.19's defaults; the older
//! switches that name one gate; and the warnings for a scenario that relies on behaviour behind
//! a gate that is off.

use scheduler::control::{PolicySet, TimelineChange};
use scheduler::estimator::ModelGrade;
use scheduler::features::{FeatureGates, GATES, GateSupport};
use scheduler::quota::Quotas;
use scheduler::{Federation, SchedulerConfig};
use sim_core::SimTime;
use sim_core::model::World;

use crate::check::Checker;
use crate::error::Error;
use crate::spec;
use crate::workload::Workload;

/// The gates `spec` sets, on top of Karmada v1.19's defaults. An unknown name is an error that
/// suggests the closest gate; a gate fleetsim does not model is accepted with a warning.
pub(super) fn feature_gates(
    ck: &Checker<'_>,
    spec: &spec::SchedulerSpec,
    warnings: &mut Vec<String>,
) -> Result<FeatureGates, Error> {
    let mut gates = FeatureGates::default();
    let mut given: Vec<(&String, &serde_saphyr::Spanned<bool>)> = spec
        .feature_gates
        .iter()
        .flat_map(|map| map.value.iter())
        .collect();
    // In file order, so the first bad name reported is the first in the file.
    given.sort_by_key(|(_, on)| (on.referenced.line(), on.referenced.column()));
    for (name, on) in &given {
        let path = format!("scheduler.feature_gates.{name}");
        match gates.set(name, on.value) {
            Ok(GateSupport::Modelled) => {}
            Ok(GateSupport::NotModelled) => warnings.push(format!(
                "{path}: fleetsim does not model what this gate switches; it has no effect"
            )),
            Err(_) => {
                let hint = suggestion(name)
                    .map(|known| format!("did you mean {known:?}? "))
                    .unwrap_or_default();
                let known: Vec<&str> = GATES.iter().map(|g| g.name).collect();
                return ck.at(
                    on,
                    path,
                    format!(
                        "unknown feature gate {name:?}: {hint}expected one of Karmada v1.19's \
                         gates: {}",
                        known.join(", ")
                    ),
                );
            }
        }
    }
    let aliases = [
        (
            &spec.overcommit_protection,
            "overcommit_protection",
            FeatureGates::SCHEDULING_OVERCOMMIT_PROTECTION,
        ),
        (
            &spec.quota_plugin,
            "quota_plugin",
            FeatureGates::RESOURCE_QUOTA_ESTIMATE,
        ),
    ];
    for (switch, field, gate) in aliases {
        let Some(switch) = switch.as_ref().filter(|s| s.value) else {
            continue;
        };
        if given
            .iter()
            .any(|(name, on)| name.as_str() == gate && !on.value)
        {
            return ck.at(
                switch,
                format!("scheduler.{field}"),
                format!(
                    "scheduler.{field}: true turns on the {gate} gate, which \
                     scheduler.feature_gates turns off; keep only feature_gates.{gate}"
                ),
            );
        }
        gates.set(gate, true).expect("a known gate");
    }
    Ok(gates)
}

/// The gate a mistyped `name` most likely means: the gate whose Go constant is spelt so
/// (`PolicyPreemption`), else the closest name.
fn suggestion(name: &str) -> Option<&'static str> {
    if name.eq_ignore_ascii_case("PolicyPreemption") {
        return Some("PropagationPolicyPreemption");
    }
    if let Some(gate) = GATES.iter().find(|g| g.name.eq_ignore_ascii_case(name)) {
        return Some(gate.name);
    }
    crate::thresholds::closest(name, GATES.iter().map(|g| g.name))
}

/// What a scenario's gates mean for the rest of it.
pub(super) struct GateInputs<'a> {
    pub(super) spec: &'a spec::ScenarioSpec,
    pub(super) world: &'a World,
    pub(super) policies: &'a PolicySet,
    pub(super) timeline: &'a [(SimTime, TimelineChange)],
    pub(super) quotas: &'a Quotas,
    pub(super) scheduler: &'a SchedulerConfig,
    pub(super) workload: &'a Workload,
    pub(super) resource_models: &'a [Vec<ModelGrade>],
}

/// One line per behaviour the scenario relies on that an off gate disables, naming the gate
/// and how to turn it on.
pub(super) fn gate_warnings(inputs: &GateInputs<'_>) -> Vec<String> {
    let gates = &inputs.scheduler.feature_gates;
    let turn_on = |gate: &str| format!("set scheduler.feature_gates.{gate}: true to turn it on");
    let mut warnings = Vec::new();
    if !gates.federated_quota_enforcement {
        for frq in &inputs.quotas.federated {
            warnings.push(format!(
                "namespaces.{}: the FederatedResourceQuota's overall limits are not enforced: \
                 the {} gate is off (Karmada v1.19's default); {}",
                inputs.world.namespace(frq.namespace).name,
                FeatureGates::FEDERATED_QUOTA_ENFORCEMENT,
                turn_on(FeatureGates::FEDERATED_QUOTA_ENFORCEMENT)
            ));
        }
    }
    if !gates.multiple_pod_templates_scheduling && has_components(inputs.workload) {
        warnings.push(format!(
            "workload: jobs with several components need the {} gate, off by default in \
             Karmada v1.19; fleetsim has no resource interpreter to describe them otherwise and \
             schedules them as with the gate on; {}",
            FeatureGates::MULTIPLE_POD_TEMPLATES_SCHEDULING,
            turn_on(FeatureGates::MULTIPLE_POD_TEMPLATES_SCHEDULING)
        ));
    }
    let later = inputs.timeline.iter().flat_map(|(_, change)| match change {
        TimelineChange::Policies(updates) => updates.iter().map(|u| &u.policy).collect(),
        _ => Vec::new(),
    });
    let prioritized = inputs
        .policies
        .policies
        .iter()
        .chain(later)
        .filter(|p| p.schedule_priority != 0)
        .count();
    if !gates.priority_based_scheduling && prioritized > 0 {
        warnings.push(format!(
            "policies: {prioritized} policies give a schedulePriority, which Karmada ignores \
             without the {} gate: every binding has priority 0; {}",
            FeatureGates::PRIORITY_BASED_SCHEDULING,
            turn_on(FeatureGates::PRIORITY_BASED_SCHEDULING)
        ));
    }
    if !gates.failover && inputs.scheduler.failover.no_execute_eviction {
        warnings.push(format!(
            "scheduler.failover.no_execute_eviction: Karmada's taint manager runs only with the \
             {} gate (off by default), so no binding is evicted; {}",
            FeatureGates::FAILOVER,
            turn_on(FeatureGates::FAILOVER)
        ));
    }
    warnings.extend(model_warnings(inputs));
    warnings
}

/// Resource models: declared ones the gate ignores, and GPU jobs the general estimator would
/// estimate 0 for on models without a GPU range (Karmada's defaults have none).
fn model_warnings(inputs: &GateInputs<'_>) -> Vec<String> {
    let gates = &inputs.scheduler.feature_gates;
    let declared = inputs
        .spec
        .clusters
        .iter()
        .filter(|c| c.resource_models.is_some())
        .count();
    if !gates.customized_cluster_resource_modeling {
        if declared == 0 {
            return Vec::new();
        }
        return vec![format!(
            "clusters: {declared} clusters declare resource_models, which the general estimator \
             ignores without the {} gate; remove the models or turn the gate back on",
            FeatureGates::CUSTOMIZED_CLUSTER_RESOURCE_MODELING
        )];
    }
    let general = inputs
        .scheduler
        .estimator_names()
        .any(|e| e == scheduler::estimator::GeneralEstimator::NAME);
    if !general
        || !matches!(inputs.scheduler.federation, Federation::Karmada)
        || !requests_gpus(inputs.workload)
    {
        return Vec::new();
    }
    let blind: Vec<&str> = inputs
        .resource_models
        .iter()
        .zip(&inputs.world.fleet.clusters)
        .filter(|(grades, _)| {
            !grades.is_empty()
                && !grades
                    .iter()
                    .any(|g| g.minimums.iter().any(|(n, _)| n == "nvidia.com/gpu"))
        })
        .map(|(_, cluster)| cluster.name.as_str())
        .collect();
    if blind.is_empty() {
        return Vec::new();
    }
    let list = if blind.len() > 4 {
        format!("{} and {} more", blind[..3].join(", "), blind.len() - 3)
    } else {
        blind.join(", ")
    };
    vec![format!(
        "clusters {list}: their resource models (Karmada's defaults unless declared) have no \
         nvidia.com/gpu range, so the general estimator answers 0 for every GPU job there, as \
         Karmada does, and those jobs never schedule on them; declare resource_models with an \
         nvidia.com/gpu range, use `estimators: [accurate]`, or set \
         scheduler.feature_gates.{}: false",
        FeatureGates::CUSTOMIZED_CLUSTER_RESOURCE_MODELING
    )]
}

fn has_components(workload: &Workload) -> bool {
    match workload {
        Workload::Synthetic(synthetic) => synthetic.launcher.is_some(),
        Workload::Jobs(jobs) => jobs.iter().any(|j| j.components.len() > 1),
    }
}

fn requests_gpus(workload: &Workload) -> bool {
    match workload {
        Workload::Synthetic(synthetic) => synthetic.gpu_mix.iter().any(|(g, w)| *g > 0 && *w > 0),
        // A share of a device requests no `nvidia.com/gpu` (`estimator::gpu_request`).
        Workload::Jobs(jobs) => jobs.iter().any(|j| {
            j.components
                .iter()
                .any(|c| scheduler::estimator::gpu_request(&c.request) > 0)
        }),
    }
}
