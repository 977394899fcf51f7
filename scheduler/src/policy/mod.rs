//! Karmada policy objects as the scheduler sees them: the placement of a PropagationPolicy and
//! the cluster selectors inside it.

mod cluster_affinity;
mod override_policy;
mod placement;
mod propagation;

pub use cluster_affinity::{ClusterAffinity, LabelSelector, Requirement, SelectorOperator};
pub use override_policy::{OverridePolicy, OverrideRule, Overrider, member_manifest};
pub use placement::{
    ApplicationFailover, ClusterAffinityTerm, ClusterFailover, DivisionPreference, Failover,
    Placement, PurgeMode, ReplicaScheduling, SpreadConstraint, SpreadField, StaticWeightRule,
    Toleration, TolerationOperator,
};
pub use propagation::{
    ImplicitPriority, PlacementId, PropagationPolicy, ResourceSelector, matching_policy,
};
