use std::sync::Arc;

use super::{
    BestFit, DotProd, Fgd, GpuClustering, GpuPacking, LeastAllocated, MostAllocated, Normalization,
    PlacementPolicy, Random, TargetWorkload,
};
use crate::error::Error;

/// Every in-tree member placement policy.
pub const PLACEMENT_NAMES: &[&str] = &[
    LeastAllocated::NAME,
    MostAllocated::NAME,
    Random::NAME,
    DotProd::NAME,
    GpuClustering::NAME,
    GpuPacking::NAME,
    BestFit::NAME,
    Fgd::NAME,
];

/// The registered spelling of a policy name: matching ignores case, `-` and `_`, so
/// `best-fit`, `bestfit` and `BestFit` are one policy.
pub fn canonical_placement_name(name: &str) -> Option<&'static str> {
    let folded = fold(name);
    PLACEMENT_NAMES
        .iter()
        .copied()
        .find(|known| fold(known) == folded)
}

fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '-' && *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The member placement policy registered as `name`. FGD measures fragmentation against
/// `target` (an empty target makes it score every node alike); DotProd, BestFit and
/// GpuClustering divide by each node's own capacity.
pub fn placement_by_name(
    name: &str,
    target: &Arc<TargetWorkload>,
) -> Result<Box<dyn PlacementPolicy>, Error> {
    placement_with(name, target, Normalization::NodeCapacity)
}

/// As [`placement_by_name`], with DotProd, BestFit and GpuClustering dividing by `norm`
/// (the FGD study's reproduction uses [`Normalization::STUDY`]).
pub fn placement_with(
    name: &str,
    target: &Arc<TargetWorkload>,
    norm: Normalization,
) -> Result<Box<dyn PlacementPolicy>, Error> {
    let policy: Box<dyn PlacementPolicy> = match canonical_placement_name(name) {
        Some(LeastAllocated::NAME) => Box::new(LeastAllocated),
        Some(MostAllocated::NAME) => Box::new(MostAllocated),
        Some(Random::NAME) => Box::new(Random),
        Some(DotProd::NAME) => Box::new(DotProd { norm }),
        Some(GpuClustering::NAME) => Box::new(GpuClustering { norm }),
        Some(GpuPacking::NAME) => Box::new(GpuPacking),
        Some(BestFit::NAME) => Box::new(BestFit { norm }),
        Some(Fgd::NAME) => Box::new(Fgd::new(Arc::clone(target))),
        _ => {
            return Err(Error::UnknownPlugin {
                kind: "member placement",
                name: name.to_owned(),
                known: PLACEMENT_NAMES.join(", "),
            });
        }
    };
    Ok(policy)
}
