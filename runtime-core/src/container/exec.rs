//! `exec`: a process in a running container, through conmon.

use super::spec;
use super::{Container, ContainerStatus, ExecConfig, ExecSession};
use crate::error::{Error, Result};
use crate::events::EventStatus;
use crate::names::generate_id;
use crate::oci::{AttachIo, ExecOptions};

impl Container {
    /// Runs `config` in the container. With `io`, waits for the process and
    /// returns its exit code; detached (`io` is `None`), returns 0 once it runs.
    pub fn exec(&mut self, config: ExecConfig, io: Option<AttachIo>) -> Result<i32> {
        let session_id = generate_id()?;
        let detach = io.is_none();
        let opts = {
            let _held = self.lock_and_sync()?;
            if self.rec.state.state != ContainerStatus::Running {
                return Err(Error::CtrStateInvalid
                    .context("can only create exec sessions on running containers"));
            }
            let spec = self
                .rec
                .config
                .oci_spec()?
                .ok_or_else(|| Error::Internal.context("container has no OCI spec"))?;
            let process = spec::exec_process(&spec, &config)?;
            let mut state = self.rec.state.clone();
            state.exec_sessions.insert(
                session_id.clone(),
                ExecSession {
                    id: session_id.clone(),
                    container_id: self.id().to_string(),
                    config: config.clone(),
                    state: 1,
                    pid: 0,
                    exit_code: 0,
                    extra: Default::default(),
                },
            );
            // Registered and saved in one transaction.
            self.rt
                .state()?
                .add_exec_session_and_save(self.id(), &session_id, &state)?;
            self.rec.state = state;
            ExecOptions {
                session_id: session_id.clone(),
                config,
                process,
                detach,
            }
        };
        let mut ev = self.event(EventStatus::Exec);
        ev.attributes.get_or_insert_with(Default::default);
        self.rt.emit(ev);
        // Unlocked while the process runs, so other commands can use the container.
        let result = self.oci()?.exec(&self.rec, &opts, io);
        let held = self.lock_and_sync();
        let code = match &result {
            Ok(r) => r.exit_code.unwrap_or(0),
            Err(_) => -1,
        };
        if !detach || result.is_err() {
            // Without the lock and a fresh state there is nothing safe to
            // write; the exit command cleans up then.
            let forgotten = match &held {
                Ok(_) => self.forget_exec_session(&session_id),
                Err(e) => Err(Error::msg(e.to_string())),
            };
            if let Err(e) = forgotten {
                tracing::debug!("forgetting exec session {session_id}: {e}");
            }
            let mut died = self.event(EventStatus::ExecDied);
            died.container_exit_code = Some(code);
            self.rt.emit(died);
            let dir = self.bundle_dir().join(&session_id);
            let _ = std::fs::remove_dir_all(dir);
        } else if let Ok(r) = &result {
            if let Some(s) = self.rec.state.exec_sessions.get_mut(&session_id) {
                s.pid = r.pid;
            }
            let _ = self.save();
        }
        result.map(|r| r.exit_code.unwrap_or(0))
    }

    /// Forgets a finished exec session (`container cleanup --exec`).
    pub fn cleanup_exec(&mut self, session_id: &str) -> Result<()> {
        let _held = self.lock_and_sync()?;
        self.forget_exec_session(session_id)?;
        let _ = std::fs::remove_dir_all(self.bundle_dir().join(session_id));
        Ok(())
    }

    /// Under the lock: unregisters the session and saves the state without
    /// it, in one transaction. A session already forgotten (the exit
    /// command and the attached `exec` both clean up) costs no write.
    fn forget_exec_session(&mut self, session_id: &str) -> Result<()> {
        let mut state = self.rec.state.clone();
        state.exec_sessions.remove(session_id);
        match self
            .rt
            .state()?
            .remove_exec_session_and_save(self.id(), session_id, &state)
        {
            Ok(()) => {
                self.rec.state = state;
                Ok(())
            }
            Err(e) if e.is(&Error::NoSuchExecSession) => {
                if self.rec.state.exec_sessions.contains_key(session_id) {
                    // Unregistered but still in the saved state (written by
                    // an older rpod): drop it from there too.
                    self.rec.state = state;
                    self.save()?;
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}
