//! Karmada's feature gates (`pkg/features/features.go`), with their v1.19 defaults, resolved
//! into one struct the control plane asks.
//!
//! Every gate Karmada v1.19 defines has a row in [`GATES`], so a scenario may name any of them;
//! only those that change a decision fleetsim simulates have a field in [`FeatureGates`].

/// What fleetsim does with a gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateSupport {
    /// The gate switches behaviour fleetsim simulates.
    Modelled,
    /// The gate switches something fleetsim does not simulate: accepted, without effect.
    NotModelled,
}

/// One of Karmada's feature gates.
#[derive(Clone, Copy, Debug)]
pub struct Gate {
    /// Its name, as `--feature-gates` spells it.
    pub name: &'static str,
    /// Karmada v1.19's default.
    pub default: bool,
    /// Alpha or Beta in v1.19.
    pub stage: &'static str,
    /// Whether fleetsim simulates what it switches.
    pub support: GateSupport,
}

const fn gate(name: &'static str, default: bool, stage: &'static str, modelled: bool) -> Gate {
    Gate {
        name,
        default,
        stage,
        support: if modelled {
            GateSupport::Modelled
        } else {
            GateSupport::NotModelled
        },
    }
}

/// Every gate of Karmada v1.19 (`DefaultFeatureGates`), in its order there.
pub const GATES: &[Gate] = &[
    gate(FeatureGates::FAILOVER, false, "Beta", true),
    gate(FeatureGates::GRACEFUL_EVICTION, true, "Beta", true),
    gate("PropagateDeps", true, "Beta", false),
    gate(
        FeatureGates::CUSTOMIZED_CLUSTER_RESOURCE_MODELING,
        true,
        "Beta",
        true,
    ),
    gate("PropagationPolicyPreemption", false, "Alpha", false),
    gate("MultiClusterService", false, "Alpha", false),
    gate(FeatureGates::RESOURCE_QUOTA_ESTIMATE, false, "Alpha", true),
    gate("StatefulFailoverInjection", false, "Alpha", false),
    gate(FeatureGates::PRIORITY_BASED_SCHEDULING, true, "Beta", true),
    gate(
        FeatureGates::FEDERATED_QUOTA_ENFORCEMENT,
        false,
        "Alpha",
        true,
    ),
    gate("LoggingAlphaOptions", false, "Alpha", false),
    gate("LoggingBetaOptions", true, "Beta", false),
    gate("ContextualLogging", true, "Beta", false),
    gate(
        FeatureGates::MULTIPLE_POD_TEMPLATES_SCHEDULING,
        false,
        "Alpha",
        true,
    ),
    gate("ControllerPriorityQueue", true, "Beta", false),
    gate("WorkloadAffinity", false, "Alpha", false),
    gate(
        FeatureGates::SCHEDULING_OVERCOMMIT_PROTECTION,
        false,
        "Alpha",
        true,
    ),
];

/// The gates that change what fleetsim simulates, resolved; [`Default`] is Karmada v1.19's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeatureGates {
    /// `Failover`: the taint manager runs, so NoExecute taints evict bindings (with
    /// `--enable-no-execute-taint-eviction`, fleetsim's `failover.no_execute_eviction`).
    pub failover: bool,
    /// `GracefulEviction`: application failover may purge `Gracefully`; without it that
    /// purge mode fails and the binding is not evicted.
    pub graceful_eviction: bool,
    /// `CustomizedClusterResourceModeling`: clusters get the default resource models when they
    /// declare none, members publish their grade counts, and the general estimator uses them.
    pub customized_cluster_resource_modeling: bool,
    /// `ResourceQuotaEstimate`: the ResourceQuota estimator plugin runs.
    pub resource_quota_estimate: bool,
    /// `PriorityBasedScheduling`: bindings take their policy's `schedulePriority`, and the
    /// scheduling queue orders by it.
    pub priority_based_scheduling: bool,
    /// `FederatedQuotaEnforcement`: FederatedResourceQuota `overall` limits are enforced when
    /// a binding's assignment is admitted.
    pub federated_quota_enforcement: bool,
    /// `MultiplePodTemplatesScheduling`: bindings carry components.
    pub multiple_pod_templates_scheduling: bool,
    /// `SchedulingOvercommitProtection`: replicas just assigned to a cluster are deducted from
    /// its estimates until its status shows them, or 5 minutes pass.
    pub scheduling_overcommit_protection: bool,
}

impl Default for FeatureGates {
    fn default() -> Self {
        let default = |name: &str| {
            GATES
                .iter()
                .find(|g| g.name == name)
                .is_some_and(|g| g.default)
        };
        FeatureGates {
            failover: default(Self::FAILOVER),
            graceful_eviction: default(Self::GRACEFUL_EVICTION),
            customized_cluster_resource_modeling: default(
                Self::CUSTOMIZED_CLUSTER_RESOURCE_MODELING,
            ),
            resource_quota_estimate: default(Self::RESOURCE_QUOTA_ESTIMATE),
            priority_based_scheduling: default(Self::PRIORITY_BASED_SCHEDULING),
            federated_quota_enforcement: default(Self::FEDERATED_QUOTA_ENFORCEMENT),
            multiple_pod_templates_scheduling: default(Self::MULTIPLE_POD_TEMPLATES_SCHEDULING),
            scheduling_overcommit_protection: default(Self::SCHEDULING_OVERCOMMIT_PROTECTION),
        }
    }
}

impl FeatureGates {
    /// `Failover`.
    pub const FAILOVER: &'static str = "Failover";
    /// `GracefulEviction`.
    pub const GRACEFUL_EVICTION: &'static str = "GracefulEviction";
    /// `CustomizedClusterResourceModeling`.
    pub const CUSTOMIZED_CLUSTER_RESOURCE_MODELING: &'static str =
        "CustomizedClusterResourceModeling";
    /// `ResourceQuotaEstimate`.
    pub const RESOURCE_QUOTA_ESTIMATE: &'static str = "ResourceQuotaEstimate";
    /// `PriorityBasedScheduling`.
    pub const PRIORITY_BASED_SCHEDULING: &'static str = "PriorityBasedScheduling";
    /// `FederatedQuotaEnforcement`.
    pub const FEDERATED_QUOTA_ENFORCEMENT: &'static str = "FederatedQuotaEnforcement";
    /// `MultiplePodTemplatesScheduling`.
    pub const MULTIPLE_POD_TEMPLATES_SCHEDULING: &'static str = "MultiplePodTemplatesScheduling";
    /// `SchedulingOvercommitProtection`.
    pub const SCHEDULING_OVERCOMMIT_PROTECTION: &'static str = "SchedulingOvercommitProtection";

    /// The gate called `name`, if Karmada v1.19 has one.
    pub fn gate(name: &str) -> Option<&'static Gate> {
        GATES.iter().find(|g| g.name == name)
    }

    /// The field of a modelled gate.
    fn field(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            Self::FAILOVER => &mut self.failover,
            Self::GRACEFUL_EVICTION => &mut self.graceful_eviction,
            Self::CUSTOMIZED_CLUSTER_RESOURCE_MODELING => {
                &mut self.customized_cluster_resource_modeling
            }
            Self::RESOURCE_QUOTA_ESTIMATE => &mut self.resource_quota_estimate,
            Self::PRIORITY_BASED_SCHEDULING => &mut self.priority_based_scheduling,
            Self::FEDERATED_QUOTA_ENFORCEMENT => &mut self.federated_quota_enforcement,
            Self::MULTIPLE_POD_TEMPLATES_SCHEDULING => &mut self.multiple_pod_templates_scheduling,
            Self::SCHEDULING_OVERCOMMIT_PROTECTION => &mut self.scheduling_overcommit_protection,
            _ => return None,
        })
    }

    /// Sets gate `name`. `Err` with the gate names when Karmada has no such gate; `Ok` with
    /// what fleetsim does with it otherwise.
    pub fn set(&mut self, name: &str, on: bool) -> Result<GateSupport, UnknownGate> {
        let Some(gate) = Self::gate(name) else {
            return Err(UnknownGate);
        };
        if let Some(field) = self.field(name) {
            *field = on;
        }
        Ok(gate.support)
    }

    /// Whether gate `name` is on (`None`: no such gate, or one fleetsim does not model).
    pub fn enabled(&self, name: &str) -> Option<bool> {
        let mut copy = *self;
        copy.field(name).map(|on| *on)
    }
}

/// A name that is not one of Karmada v1.19's feature gates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownGate;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_karmada_v1_19s() {
        // pkg/features/features.go DefaultFeatureGates at v1.19 ("Move priority based
        // scheduling feature to beta" turned PriorityBasedScheduling on after v1.19.0-rc.0).
        let gates = FeatureGates::default();
        assert!(!gates.failover);
        assert!(gates.graceful_eviction);
        assert!(gates.customized_cluster_resource_modeling);
        assert!(!gates.resource_quota_estimate);
        assert!(gates.priority_based_scheduling);
        assert!(!gates.federated_quota_enforcement);
        assert!(!gates.multiple_pod_templates_scheduling);
        assert!(!gates.scheduling_overcommit_protection);
        assert_eq!(GATES.len(), 17);
        let on: Vec<&str> = GATES.iter().filter(|g| g.default).map(|g| g.name).collect();
        assert_eq!(
            on,
            [
                "GracefulEviction",
                "PropagateDeps",
                "CustomizedClusterResourceModeling",
                "PriorityBasedScheduling",
                "LoggingBetaOptions",
                "ContextualLogging",
                "ControllerPriorityQueue"
            ]
        );
    }

    #[test]
    fn every_modelled_gate_has_a_field() {
        for gate in GATES {
            let modelled = gate.support == GateSupport::Modelled;
            let field = FeatureGates::default().enabled(gate.name);
            assert_eq!(field.is_some(), modelled, "{}", gate.name);
            if let Some(on) = field {
                assert_eq!(on, gate.default, "{}", gate.name);
            }
        }
    }

    #[test]
    fn set_switches_the_named_gate_only() {
        let mut gates = FeatureGates::default();
        assert_eq!(
            gates.set("FederatedQuotaEnforcement", true),
            Ok(GateSupport::Modelled)
        );
        assert!(gates.federated_quota_enforcement);
        assert_eq!(
            gates,
            FeatureGates {
                federated_quota_enforcement: true,
                ..FeatureGates::default()
            }
        );
        assert_eq!(
            gates.set("PropagateDeps", false),
            Ok(GateSupport::NotModelled)
        );
        // The Go constant's name is not the gate's.
        assert_eq!(gates.set("PolicyPreemption", true), Err(UnknownGate));
    }
}
