//! Conformance suites every backend runs from its own tests (cargo feature `testing`).
//!
//! A backend crate invokes the macros in a test module:
//!
//! ```ignore
//! rpod_runtime_core::state_conformance_tests!(|| {
//!     let dir = tempfile::tempdir().unwrap();
//!     let state = MyState::open(dir.path()).unwrap();
//!     StateUnderTest::new(Box::new(state), dir)
//! });
//! rpod_runtime_core::lock_conformance_tests!(|| LockUnderTest::new(Box::new(mgr), Some(64), keep));
//! ```
//!
//! Each macro expands to one `#[test]` per property, so a failure names the
//! broken rule.

pub mod cross_process;
pub mod lock;
pub mod state;

use std::any::Any;

use crate::lock::LockManager;
use crate::state::State;

/// A State under test, plus whatever must live as long as it (a temp dir).
#[derive(Debug)]
pub struct StateUnderTest {
    /// The backend.
    pub state: Box<dyn State>,
    _keep: Box<dyn Any>,
}

impl StateUnderTest {
    /// Wraps a backend and the resources it needs kept alive.
    pub fn new(state: Box<dyn State>, keep: impl Any) -> Self {
        StateUnderTest {
            state,
            _keep: Box::new(keep),
        }
    }
}

/// A lock manager under test.
#[derive(Debug)]
pub struct LockUnderTest {
    /// The backend.
    pub manager: Box<dyn LockManager>,
    /// How many locks it holds, or `None` when unlimited.
    pub capacity: Option<u32>,
    _keep: Box<dyn Any>,
}

impl LockUnderTest {
    /// Wraps a manager with `capacity` locks (`None`: unlimited).
    pub fn new(manager: Box<dyn LockManager>, capacity: Option<u32>, keep: impl Any) -> Self {
        LockUnderTest {
            manager,
            capacity,
            _keep: Box::new(keep),
        }
    }
}

/// Expands to one `#[test]` per State rule, each calling `$factory()` for a
/// fresh, empty State (`Fn() -> StateUnderTest`).
#[macro_export]
macro_rules! state_conformance_tests {
    ($factory:expr) => {
        $crate::__conformance_tests!(
            state_conformance,
            state,
            $factory,
            [
                add_and_get_container,
                ids_and_names_unique_across_containers_and_pods,
                lookup_order_and_errors,
                exact_name_beats_id_prefix,
                dependencies_block_removal,
                dependencies_must_exist_and_share_the_pod,
                volume_dependencies,
                pod_membership,
                remove_pod_containers_respects_outside_dependents,
                exec_session_index,
                exec_sessions_and_state_are_saved_together,
                exit_codes_outlive_the_container_and_are_pruned,
                save_and_update_state,
                refresh_rules,
                db_config_round_trip,
                config_rewrites,
                rename_is_atomic,
                unknown_config_fields_survive,
                closed_db_errors,
                missing_objects,
                volume_lookup,
                container_networks,
                names_are_reusable_after_removal,
                removing_many_containers_is_all_or_nothing,
                listings_differ_only_by_the_spec,
            ]
        );
    };
}

/// Expands to one `#[test]` per LockManager rule, each calling `$factory()`
/// for a fresh manager with no lock allocated (`Fn() -> LockUnderTest`).
#[macro_export]
macro_rules! lock_conformance_tests {
    ($factory:expr) => {
        $crate::__conformance_tests!(
            lock_conformance,
            lock,
            $factory,
            [
                allocate_until_exhausted,
                free_and_reuse,
                allocate_given_conflicts,
                free_all,
                available_count,
                freeing_a_free_lock_is_reported,
                retrieve_does_not_allocate,
                handle_usable_after_free,
                mutual_exclusion_between_threads,
                locks_held_reports_holders,
                allocated_ids_lists_exactly_the_allocated,
            ]
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($modname:ident, $suite:ident, $factory:expr, [$($test:ident),+ $(,)?]) => {
        mod $modname {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[test]
                fn $test() {
                    $crate::testing::$suite::$test(&$factory);
                }
            )+
        }
    };
}
