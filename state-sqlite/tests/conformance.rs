//! The runtime-core `State` conformance suite, run against `SqliteState`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use rpod_runtime_core::testing::StateUnderTest;
use rpod_state_sqlite::SqliteState;

rpod_runtime_core::state_conformance_tests!(|| {
    let dir = tempfile::tempdir().unwrap();
    let s = SqliteState::open(dir.path()).unwrap();
    StateUnderTest::new(Box::new(s), dir)
});
