//! Engine-wide reports and clean-ups: `system df` ([`DfReport`]) and the
//! prunes of containers, volumes and the whole system.

mod df;
mod prune;

pub use df::{DfItem, DfReport, DfSummary, dir_size};
pub use prune::{SystemPruneOptions, SystemPruneReport};
