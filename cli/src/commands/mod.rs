//! One file per verb. Each takes its parsed arguments and a [`Ctx`], calls
//! the runtime, and writes through `ctx.out`.

mod container;
mod events;
pub mod image;
mod info;
mod migrate_db;
mod network;
mod pod;
mod system;
pub(crate) mod terminal;
pub(crate) mod util;
mod version;
mod volume;

use std::io::Write;

use rpod_runtime_core::runtime::{Runtime, RuntimeBuilder};

use crate::args::{Command, ContainerCommand, GlobalOptions, SystemCommand};
use crate::backends;
use crate::exit::CliError;

/// What every command gets.
#[allow(missing_debug_implementations)]
pub struct Ctx<'a> {
    /// Global options.
    pub global: &'a GlobalOptions,
    /// Where output goes.
    pub out: &'a mut dyn Write,
}

impl Ctx<'_> {
    /// A runtime builder with the global options applied.
    pub fn builder(&self) -> RuntimeBuilder {
        let g = self.global;
        let mut exit_command: Vec<String> = std::env::current_exe()
            .map(|p| vec![p.to_string_lossy().into_owned()])
            .unwrap_or_default();
        exit_command.extend(g.to_args());
        let mut b = Runtime::builder()
            .registry(backends::registry())
            .exit_command(exit_command);
        if let Some(v) = &g.root {
            b = b.graph_root(v.clone());
        }
        if let Some(v) = &g.runroot {
            b = b.run_root(v.clone());
        }
        if let Some(v) = &g.tmpdir {
            b = b.tmp_dir(v.clone());
        }
        if let Some(v) = &g.db_backend {
            b = b.database_backend(v.clone());
        }
        if let Some(v) = &g.events_backend {
            b = b.events_logger(v.clone());
        }
        if let Some(v) = &g.runtime {
            b = b.oci_runtime(v.clone());
        }
        if let Some(v) = &g.conmon {
            b = b.conmon_path(v.clone());
        }
        if let Some(v) = &g.cgroup_manager {
            b = b.cgroup_manager(v.clone());
        }
        if let Some(v) = &g.volumepath {
            b = b.volume_path(v.clone());
        }
        if let Some(v) = &g.storage_driver {
            b = b.storage_driver(v.clone());
        }
        if let Some(v) = &g.network_config_dir {
            b = b.network_config_dir(v.clone());
        }
        b
    }

    /// A runtime built from the global options.
    pub fn runtime(&self) -> Result<Runtime, CliError> {
        Ok(self.builder().build()?)
    }

    /// Writes `s` to the output.
    pub fn write(&mut self, s: &str) -> Result<(), CliError> {
        self.out
            .write_all(s.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|e| CliError::Usage(format!("writing output: {e}")))
    }
}

/// Runs one command.
pub fn dispatch(command: &Command, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    match command {
        Command::Info(a) | Command::System(SystemCommand::Info(a)) => info::run(a, ctx),
        Command::Version(a) => version::run(a, ctx),
        Command::Events(a) | Command::System(SystemCommand::Events(a)) => events::run(a, ctx),
        Command::System(SystemCommand::Renumber) => system::renumber(ctx),
        Command::System(SystemCommand::Migrate(a)) => system::migrate(a, ctx),
        Command::System(SystemCommand::Reset(a)) => system::reset(a, ctx),
        Command::System(SystemCommand::Prune(a)) => system::prune(a, ctx),
        Command::System(SystemCommand::Check(a)) => system::check(a, ctx),
        Command::System(SystemCommand::Df(a)) => system::df(a, ctx),
        Command::Container(c) | Command::Top(c) => dispatch_container(c, ctx),
        Command::Pod(c) => pod::dispatch(c, ctx),
        Command::Image(c) => image::dispatch(c, ctx),
        Command::TopImage(c) => image::dispatch_top(c, ctx),
        Command::Volume(c) => volume::dispatch(c, ctx),
        Command::Network(c) => network::dispatch(c, ctx),
    }
}

fn dispatch_container(command: &ContainerCommand, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    use ContainerCommand as C;
    match command {
        C::Cp(a) => container::cp(a, ctx),
        C::Create(a) => container::create(a, ctx),
        C::Run(a) => container::run(a, ctx),
        C::Start(a) => container::start(a, ctx),
        C::Stop(a) => container::stop(a, ctx),
        C::Restart(a) => container::restart(a, ctx),
        C::Kill(a) => container::kill(a, ctx),
        C::Rm(a) => container::remove(a, ctx),
        C::Wait(a) => container::wait(a, ctx),
        C::Logs(a) => container::logs(a, ctx),
        C::Exec(a) => container::exec(a, ctx),
        C::Attach(a) => container::attach(a, ctx),
        C::Ps(a) => container::ps(a, ctx),
        C::Inspect(a) => container::inspect(a, ctx),
        C::Pause(a) => container::pause(a, ctx),
        C::Unpause(a) => container::unpause(a, ctx),
        C::Rename(a) => container::rename(a, ctx),
        C::Top(a) => container::top(a, ctx),
        C::Cleanup(a) => container::cleanup(a, ctx),
        C::Exists(a) => container::exists(a, ctx),
        C::Prune(a) => container::prune(a, ctx),
        C::Port(a) => container::port(a, ctx),
        C::Storage(s) => image::dispatch_container_storage(s, ctx),
    }
}
