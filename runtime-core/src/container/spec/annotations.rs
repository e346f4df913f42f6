//! The annotations Podman puts on every container's spec.

use std::collections::HashMap;

use super::SpecOptions;
use crate::time::rfc3339_nano;

/// Records whether the container is privileged (`TRUE`/`FALSE`).
pub(crate) const PRIVILEGED_ANNOTATION: &str = "io.podman.annotations.privileged";

fn bool_annotation(b: bool) -> &'static str {
    if b { "TRUE" } else { "FALSE" }
}

/// Podman's default annotations, then the caller's over them.
pub(crate) fn annotations(opts: &SpecOptions) -> HashMap<String, String> {
    let mut a: HashMap<String, String> = [
        ("io.container.manager", "libpod".to_string()),
        ("io.kubernetes.cri-o.Created", rfc3339_nano(&opts.created)),
        (
            "io.kubernetes.cri-o.TTY",
            opts.settings.terminal.to_string(),
        ),
        ("io.podman.annotations.autoremove", "FALSE".to_string()),
        (
            "io.podman.annotations.init",
            bool_annotation(opts.settings.init).to_string(),
        ),
        (
            PRIVILEGED_ANNOTATION,
            bool_annotation(opts.settings.privileged).to_string(),
        ),
        ("io.podman.annotations.publish-all", "FALSE".to_string()),
        (
            "org.opencontainers.image.stopSignal",
            opts.stop_signal.to_string(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    a.extend(opts.annotations.clone());
    a
}
