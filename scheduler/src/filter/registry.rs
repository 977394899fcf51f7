use super::{FilterPlugin, TaintToleration};
use crate::error::Error;

/// Every in-tree filter, in the order they run.
pub const FILTER_NAMES: &[&str] = &[TaintToleration::NAME];

/// The filter registered as `name`.
pub fn filter_by_name(name: &str) -> Result<Box<dyn FilterPlugin>, Error> {
    match name {
        TaintToleration::NAME => Ok(Box::new(TaintToleration)),
        _ => Err(Error::UnknownPlugin {
            kind: "filter",
            name: name.to_owned(),
            known: FILTER_NAMES.join(", "),
        }),
    }
}
