//! `wait`: block until the container reaches a state, then report its exit code.

use std::time::{Duration, Instant};

use super::{Container, ContainerStatus};
use crate::error::{Error, Result};
use crate::runtime::Runtime;

/// What `wait` waits for (`--condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitCondition {
    /// Exited and cleaned up (the default: `stopped`/`exited`).
    Exited,
    /// Running.
    Running,
    /// Paused.
    Paused,
    /// Created (`created`/`configured`).
    Created,
    /// Removed from the State.
    Removed,
}

impl std::str::FromStr for WaitCondition {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "stopped" | "exited" => WaitCondition::Exited,
            "running" => WaitCondition::Running,
            "paused" => WaitCondition::Paused,
            "created" | "configured" | "initialized" => WaitCondition::Created,
            "removing" | "removed" => WaitCondition::Removed,
            _ => {
                return Err(Error::InvalidArg.context(format!(
                    "invalid condition {s:?}: expected created, exited, paused, running, stopped or removing"
                )));
            }
        })
    }
}

impl Container {
    /// After an attached run ended: waits for the container's process to
    /// exit (conmon's exit file), cleans up at once (not waiting for
    /// conmon's exit command) and returns the exit code. A container
    /// removed meanwhile (`--rm` by the exit command) is done too.
    pub fn cleanup_after_exit(&mut self) -> Result<i32> {
        let mut file_seen = false;
        loop {
            match self.cleanup() {
                Ok(()) => break,
                // Still running: wait for the exit file (cheap looks), then
                // clean up under the lock. If the file was already there
                // and the container still counts as running, do not spin.
                Err(e) if e.is(&Error::CtrStateInvalid) => {
                    if file_seen {
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    file_seen = self.await_exit_file(Duration::from_millis(50))?;
                }
                Err(e) if e.is(&Error::CtrRemoved) => break,
                Err(e) => return Err(e),
            }
        }
        self.exit_code()
    }

    /// The last exit code: from the State's exit-code table (which outlives
    /// the container), else from the container's state.
    pub fn exit_code(&self) -> Result<i32> {
        match self.rt.state()?.container_exit_code(self.id()) {
            Ok(code) => Ok(code),
            Err(e) if e.is(&Error::NoSuchExitCode) => Ok(self.rec.state.exit_code),
            Err(e) => Err(e),
        }
    }

    /// Waits until `condition` holds; returns the exit code (for `Exited`,
    /// from the State's exit-code table, which outlives the container).
    /// A container whose conmon died without writing an exit file is
    /// reported after a 20 s grace period.
    pub fn wait(&mut self, condition: WaitCondition, interval: Duration) -> Result<i32> {
        let id = self.id().to_string();
        let rt = self.rt.clone();
        let mut conmon_gone_since: Option<Instant> = None;
        loop {
            let synced = {
                match self.lock_and_sync() {
                    Ok(held) => {
                        drop(held);
                        true
                    }
                    Err(e) if e.is(&Error::CtrRemoved) => false,
                    Err(e) => return Err(e),
                }
            };
            if !synced {
                return exit_code_after_removal(&rt, &id, condition);
            }
            let st = self.rec.state.state;
            let done = match condition {
                WaitCondition::Exited => {
                    matches!(st, ContainerStatus::Exited | ContainerStatus::Configured)
                        || (st == ContainerStatus::Stopped
                            && !self.rec.config.auto_remove
                            && conmon_gone_since
                                .is_some_and(|t| t.elapsed() > Duration::from_secs(20)))
                }
                WaitCondition::Running => st == ContainerStatus::Running,
                WaitCondition::Paused => st == ContainerStatus::Paused,
                WaitCondition::Created => {
                    matches!(st, ContainerStatus::Configured | ContainerStatus::Created)
                }
                WaitCondition::Removed => false,
            };
            if done {
                return match rt.state()?.container_exit_code(&id) {
                    Ok(code) => Ok(code),
                    Err(_) => Ok(self.rec.state.exit_code),
                };
            }
            let conmon = self.rec.state.conmon_pid;
            let alive =
                conmon > 0 && crate::process::is_alive(conmon, self.rec.state.conmon_start_ticks);
            if !alive && st == ContainerStatus::Stopped {
                conmon_gone_since.get_or_insert_with(Instant::now);
            }
            std::thread::sleep(interval);
        }
    }
}

fn exit_code_after_removal(rt: &Runtime, id: &str, condition: WaitCondition) -> Result<i32> {
    match condition {
        WaitCondition::Exited | WaitCondition::Removed => {
            rt.state()?.container_exit_code(id).or(Ok(0))
        }
        _ => Err(Error::NoSuchCtr.context(format!("container {id} was removed"))),
    }
}
