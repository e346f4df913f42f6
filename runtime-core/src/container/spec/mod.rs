//! OCI runtime spec generation (being written).
