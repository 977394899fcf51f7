//! The scheduler crate's errors: configuration that names something that does not exist.

/// A scheduler configuration error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A plugin, estimator or placement policy name is not registered.
    #[error("unknown {kind} {name:?} (known: {known})")]
    UnknownPlugin {
        /// Plugin kind ("plugin", "filter", "score", "estimator", "member placement", "queue
        /// sort").
        kind: &'static str,
        /// The name given.
        name: String,
        /// The registered names.
        known: String,
    },
    /// A plugin was registered under a name its kind already has.
    #[error("{kind} {name:?} is already registered")]
    DuplicatePlugin {
        /// Plugin kind ("filter", "score", "estimator", "member placement", "queue sort").
        kind: &'static str,
        /// The name given.
        name: String,
    },
}
