//! Cluster score plugins: each returns an integer in `0..=100`; the totals order candidates.

mod cluster_locality;

pub use cluster_locality::ClusterLocality;

use crate::binding::{BindingView, ClusterView};

/// Karmada's maximum plugin score.
pub const MAX_SCORE: i64 = 100;

/// Scores a cluster that passed every filter.
pub trait ScorePlugin {
    /// The plugin's registered name.
    fn name(&self) -> &'static str;
    /// A score in `0..=MAX_SCORE`.
    fn score(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> i64;
}
