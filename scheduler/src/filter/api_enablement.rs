use super::{FilterPlugin, Verdict};
use crate::binding::{BindingView, ClusterView};

/// Karmada's `APIEnablement`: a new target must serve the template's API.
pub struct ApiEnablement;

impl ApiEnablement {
    /// Registered name.
    pub const NAME: &'static str = "APIEnablement";
}

impl FilterPlugin for ApiEnablement {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn filter(&self, binding: &BindingView<'_>, cluster: &ClusterView<'_>) -> Verdict {
        // Clusters already targeted always pass, so the scheduler never deletes what runs there.
        if binding
            .binding
            .clusters
            .iter()
            .any(|(id, _)| *id == cluster.id)
        {
            return Verdict::Fits;
        }
        match cluster.api_enablements {
            Some(apis)
                if !apis
                    .iter()
                    .any(|api| **api == *binding.binding.api_resource) =>
            {
                Verdict::Unschedulable("cluster(s) did not have the API resource".to_owned())
            }
            _ => Verdict::Fits,
        }
    }
}
