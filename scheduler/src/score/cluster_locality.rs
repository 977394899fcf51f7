use super::{MAX_SCORE, ScorePlugin};
use crate::binding::{BindingView, ClusterView};

/// Karmada's `ClusterLocality`: clusters the binding already uses score 100, others 0, so
/// rescheduling prefers to stay put.
pub struct ClusterLocality;

impl ClusterLocality {
    /// Registered name.
    pub const NAME: &'static str = "ClusterLocality";
}

impl ScorePlugin for ClusterLocality {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn score(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> i64 {
        if binding.binding.targets(cluster.id) {
            MAX_SCORE
        } else {
            0
        }
    }
}
