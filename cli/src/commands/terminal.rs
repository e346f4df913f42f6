//! The user's terminal during an attached `run -t`, `start -a`, `attach` or
//! `exec -t`: raw mode while attached (restored on drop, also on errors),
//! and the window size forwarded to the container now and on every SIGWINCH.

use std::os::fd::AsFd;

use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};
use nix::sys::termios::{SetArg, Termios, cfmakeraw, tcgetattr, tcsetattr};

use rpod_runtime_core::container::Container;

/// Restores the terminal's settings when dropped.
pub(crate) struct RawTerminal {
    saved: Option<Termios>,
}

impl RawTerminal {
    /// Puts stdin's terminal in raw mode when stdin is a terminal and the
    /// container has one; otherwise does nothing.
    pub(crate) fn enter(container_has_tty: bool) -> RawTerminal {
        let stdin = std::io::stdin();
        if !container_has_tty || !nix::unistd::isatty(stdin.as_fd()).unwrap_or(false) {
            return RawTerminal { saved: None };
        }
        let Ok(saved) = tcgetattr(stdin.as_fd()) else {
            return RawTerminal { saved: None };
        };
        let mut raw = saved.clone();
        cfmakeraw(&mut raw);
        if tcsetattr(stdin.as_fd(), SetArg::TCSANOW, &raw).is_err() {
            return RawTerminal { saved: None };
        }
        RawTerminal { saved: Some(saved) }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = tcsetattr(std::io::stdin().as_fd(), SetArg::TCSANOW, saved);
        }
    }
}

/// The size of the terminal on stdout (columns, rows), if it is one.
fn window_size() -> Option<(u16, u16)> {
    let ws = rustix::termios::tcgetwinsize(std::io::stdout()).ok()?;
    (ws.ws_col > 0 && ws.ws_row > 0).then_some((ws.ws_col, ws.ws_row))
}

/// Forwards the window size to `c` now and whenever it changes (SIGWINCH),
/// from a thread of its own; the caller must call this before starting
/// threads that should not receive SIGWINCH.
pub(crate) fn forward_resizes(c: &Container) {
    if window_size().is_none() {
        return;
    }
    let mut set = SigSet::empty();
    set.add(Signal::SIGWINCH);
    let _ = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), None);
    let rt = c.runtime();
    let id = c.id().to_string();
    std::thread::spawn(move || {
        // The first size goes as soon as conmon's ctl fifo exists.
        for _ in 0..100 {
            let sent = match (window_size(), rt.lookup_container(&id)) {
                (Some((w, h)), Ok(c)) => c.resize(w, h).is_ok(),
                _ => false,
            };
            if sent {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        while set.wait().is_ok() {
            if let (Some((w, h)), Ok(c)) = (window_size(), rt.lookup_container(&id)) {
                let _ = c.resize(w, h);
            }
        }
    });
}
