//! rpod's event log backends, Podman's `events_logger` choices.
//!
//! - [`FileEventer`] (`file`): JSON lines in `events.log`, locked, rotated
//!   and followed; the format Podman's file eventer writes.
//! - [`JournaldEventer`] (`journald`): entries sent to the systemd journal
//!   over its native protocol, read back with `journalctl`.
//! - [`NoneEventer`] (`none`): events switched off.
//!
//! [`register`] adds all three to a [`BackendRegistry`].

#![deny(missing_docs)]

mod file;
mod journald;
mod none;

use std::sync::Arc;

use rpod_runtime_core::backend::{BackendContext, BackendRegistry};
use rpod_runtime_core::events::Eventer;
use rpod_runtime_core::{Error, Result};

pub use file::{FileEventer, lock_path_for};
pub use journald::{JOURNAL_SOCKET, JournaldEventer, SYSLOG_IDENTIFIER};
pub use none::NoneEventer;

/// The file eventer's log for `ctx`: `events_log_path`, or Podman's default
/// `<tmp_dir>/events/events.log` when that is unset.
fn file_eventer(ctx: &BackendContext) -> Result<FileEventer> {
    let path = if !ctx.events_log_path.as_os_str().is_empty() {
        ctx.events_log_path.clone()
    } else if !ctx.tmp_dir.as_os_str().is_empty() {
        ctx.tmp_dir.join("events").join("events.log")
    } else {
        return Err(Error::InvalidArg.context("no events log path and no tmp dir configured"));
    };
    FileEventer::new(path, ctx.events_log_max_size)
}

/// Registers the `file`, `journald` and `none` eventers.
pub fn register(registry: &mut BackendRegistry) {
    registry.register_eventer(
        "file",
        Arc::new(|ctx: &BackendContext| Ok(Box::new(file_eventer(ctx)?) as Box<dyn Eventer>)),
    );
    registry.register_eventer(
        "journald",
        Arc::new(|_ctx: &BackendContext| Ok(Box::new(JournaldEventer::new()?) as Box<dyn Eventer>)),
    );
    registry.register_eventer(
        "none",
        Arc::new(|_ctx: &BackendContext| Ok(Box::new(NoneEventer::new()) as Box<dyn Eventer>)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpod_runtime_core::events::{Event, EventStatus, EventType, ReadControl, ReadOptions};

    #[test]
    fn registry_builds_each_backend() {
        let d = tempfile::tempdir().unwrap();
        let mut r = BackendRegistry::new();
        register(&mut r);
        let ctx = BackendContext {
            events_log_path: d.path().join("ev/events.log"),
            events_log_max_size: 4096,
            ..Default::default()
        };
        let file = r.eventer("file", &ctx).unwrap();
        assert_eq!(file.name(), "file");
        file.write(&Event::new(EventType::Volume, EventStatus::Create))
            .unwrap();
        let mut n = 0;
        file.read(&ReadOptions::default(), &mut |_| {
            n += 1;
            Ok(ReadControl::Continue)
        })
        .unwrap();
        assert_eq!(n, 1);
        assert!(d.path().join("ev/events.log").exists());
        assert_eq!(r.eventer("none", &ctx).unwrap().name(), "none");
        assert!(r.has_eventer("journald"));
        if !std::path::Path::new(JOURNAL_SOCKET).exists() {
            let e = r.eventer("journald", &ctx).unwrap_err();
            assert!(
                e.to_string().starts_with("journald is not available: "),
                "{e}"
            );
        }
    }

    #[test]
    fn file_log_defaults_to_tmp_dir() {
        let d = tempfile::tempdir().unwrap();
        let mut r = BackendRegistry::new();
        register(&mut r);
        let ctx = BackendContext {
            tmp_dir: d.path().to_path_buf(),
            ..Default::default()
        };
        r.eventer("file", &ctx).unwrap();
        assert!(d.path().join("events/events.log").exists());
        let e = r.eventer("file", &BackendContext::default()).unwrap_err();
        assert!(e.is(&Error::InvalidArg));
    }
}
