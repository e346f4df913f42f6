//! Engine-wide reports and clean-ups: `system df` ([`DfReport`]) and the
//! prunes of containers, volumes and the whole system, `system reset`, and
//! `system check` ([`CheckReport`]).

mod check;
mod df;
mod df_rows;
mod prune;
mod prune_filter;
mod reset;

pub use check::{CheckOptions, CheckReport, Damage, Finding};
pub use df::{DfItem, DfReport, DfSummary, dir_size};
pub use df_rows::{DfContainer, DfImage, DfVolume, image_rows};
pub use prune::{SystemPruneOptions, SystemPruneReport, reclaimed};
pub use prune_filter::PruneFilters;
pub use reset::{ResetOptions, safe_to_delete};
