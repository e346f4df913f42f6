//! The Runtime (being written).
