//! Karmada policy objects as the scheduler sees them: the placement of a PropagationPolicy.

mod placement;

pub use placement::{
    ClusterSelector, DivisionPreference, Placement, ReplicaScheduling, StaticWeightRule,
    Toleration, TolerationOperator,
};
