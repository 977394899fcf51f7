use super::{LeastAllocated, MostAllocated, PlacementPolicy};
use crate::error::Error;

/// Every in-tree member placement policy.
pub const PLACEMENT_NAMES: &[&str] = &[LeastAllocated::NAME, MostAllocated::NAME];

/// The member placement policy registered as `name`.
pub fn placement_by_name(name: &str) -> Result<Box<dyn PlacementPolicy>, Error> {
    match name {
        LeastAllocated::NAME => Ok(Box::new(LeastAllocated)),
        MostAllocated::NAME => Ok(Box::new(MostAllocated)),
        _ => Err(Error::UnknownPlugin {
            kind: "member placement",
            name: name.to_owned(),
            known: PLACEMENT_NAMES.join(", "),
        }),
    }
}
