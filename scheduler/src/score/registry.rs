use super::{ClusterLocality, ScorePlugin};
use crate::error::Error;

/// Every in-tree score plugin.
pub const SCORE_NAMES: &[&str] = &[ClusterLocality::NAME];

/// The score plugin registered as `name`.
pub fn score_by_name(name: &str) -> Result<Box<dyn ScorePlugin>, Error> {
    match name {
        ClusterLocality::NAME => Ok(Box::new(ClusterLocality)),
        _ => Err(Error::UnknownPlugin {
            kind: "score",
            name: name.to_owned(),
            known: SCORE_NAMES.join(", "),
        }),
    }
}
