use super::{
    ApiEnablement, ClusterAffinityFilter, ClusterEviction, FilterPlugin, SpreadConstraintFilter,
    TaintToleration,
};
use crate::error::Error;

/// Every in-tree filter, in the order Karmada's registry runs them.
pub const FILTER_NAMES: &[&str] = &[
    ApiEnablement::NAME,
    TaintToleration::NAME,
    ClusterAffinityFilter::NAME,
    SpreadConstraintFilter::NAME,
    ClusterEviction::NAME,
];

/// The filter registered as `name`.
pub fn filter_by_name(name: &str) -> Result<Box<dyn FilterPlugin>, Error> {
    match name {
        ApiEnablement::NAME => Ok(Box::new(ApiEnablement)),
        TaintToleration::NAME => Ok(Box::new(TaintToleration)),
        ClusterAffinityFilter::NAME => Ok(Box::new(ClusterAffinityFilter)),
        SpreadConstraintFilter::NAME => Ok(Box::new(SpreadConstraintFilter)),
        ClusterEviction::NAME => Ok(Box::new(ClusterEviction)),
        _ => Err(Error::UnknownPlugin {
            kind: "filter",
            name: name.to_owned(),
            known: FILTER_NAMES.join(", "),
        }),
    }
}
