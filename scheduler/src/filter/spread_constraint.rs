use super::{FilterPlugin, Verdict};
use crate::binding::{BindingView, ClusterView};
use crate::policy::SpreadField;

/// Karmada's `SpreadConstraint` filter: spreading by provider, region or zone needs the
/// cluster to declare it.
pub struct SpreadConstraintFilter;

impl SpreadConstraintFilter {
    /// Registered name.
    pub const NAME: &'static str = "SpreadConstraint";
}

impl FilterPlugin for SpreadConstraintFilter {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn filter(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> Verdict {
        let c = cluster.cluster;
        let missing = |v: &Option<String>| v.as_deref().is_none_or(str::is_empty);
        for constraint in &binding.placement.spread_constraints {
            let lacking = match constraint.field {
                SpreadField::Provider if missing(&c.provider) => "provider",
                SpreadField::Region if missing(&c.region) => "region",
                SpreadField::Zone if c.zones.is_empty() => "zones",
                _ => continue,
            };
            return Verdict::Unschedulable(format!("cluster(s) did not have {lacking} property"));
        }
        Verdict::Fits
    }
}
