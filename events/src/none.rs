//! The `none` eventer: events are switched off.
//!
//! Writing drops the event. Reading fails with Podman's message
//! (`cannot read events with the "none" backend`) rather than returning
//! nothing, so `rpod events` tells the user why it would never print
//! anything instead of hanging silently.

use rpod_runtime_core::events::{Event, Eventer, ReadControl, ReadOptions};
use rpod_runtime_core::{Error, Result};

/// Discards every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoneEventer;

impl NoneEventer {
    /// The no-op eventer.
    pub fn new() -> Self {
        NoneEventer
    }
}

impl Eventer for NoneEventer {
    fn name(&self) -> &'static str {
        "none"
    }

    fn write(&self, _event: &Event) -> Result<()> {
        Ok(())
    }

    fn read(
        &self,
        _opts: &ReadOptions,
        _sink: &mut dyn FnMut(Event) -> Result<ReadControl>,
    ) -> Result<()> {
        Err(Error::msg("cannot read events with the \"none\" backend"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpod_runtime_core::events::{EventStatus, EventType};

    #[test]
    fn writes_vanish_and_reads_fail_like_podman() {
        let ev = NoneEventer::new();
        assert_eq!(ev.name(), "none");
        ev.write(&Event::new(EventType::Container, EventStatus::Start))
            .unwrap();
        let mut called = false;
        let e = ev
            .read(&ReadOptions::default(), &mut |_| {
                called = true;
                Ok(ReadControl::Continue)
            })
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot read events with the \"none\" backend"
        );
        assert!(!called);
    }
}
