use super::{AccurateEstimator, GeneralEstimator, ReplicaEstimator, ResourceQuotaEstimator};
use crate::error::Error;

/// Every in-tree estimator.
pub const ESTIMATOR_NAMES: &[&str] = &[
    GeneralEstimator::NAME,
    AccurateEstimator::NAME,
    ResourceQuotaEstimator::NAME,
];

/// The estimator registered as `name`.
pub fn estimator_by_name(name: &str) -> Result<Box<dyn ReplicaEstimator>, Error> {
    match name {
        GeneralEstimator::NAME => Ok(Box::new(GeneralEstimator)),
        AccurateEstimator::NAME => Ok(Box::new(AccurateEstimator)),
        ResourceQuotaEstimator::NAME => Ok(Box::new(ResourceQuotaEstimator)),
        _ => Err(Error::UnknownPlugin {
            kind: "estimator",
            name: name.to_owned(),
            known: ESTIMATOR_NAMES.join(", "),
        }),
    }
}
