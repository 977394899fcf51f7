//! The world's names, copied once so the outputs can label ids without borrowing the world.

/// Names indexed by id; the same table scenarios check input files against.
pub(crate) use sim_core::model::WorldNames as Names;

/// The summary's key for jobs without a priority class.
pub(crate) const NO_PRIORITY_CLASS: &str = "(none)";
