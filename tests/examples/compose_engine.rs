//! Building an engine from runtime-core and the backends you choose, with
//! no CLI: file locks, the in-memory state, the file eventer and the conmon
//! driver, then one real container run through it.
//!
//! ```text
//! cargo run -p rpod-tests --example compose_engine -- <rootfs dir> <work dir>
//! ```
//! The rootfs needs `/bin/sh`; everything the engine writes goes under the
//! work dir (and conmon/runc's own state).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::time::Duration;

use rpod_runtime_core::Error;
use rpod_runtime_core::backend::BackendRegistry;
use rpod_runtime_core::config::{Config, ConfigEnv};
use rpod_runtime_core::container::{CreateOptions, RemoveOptions};
use rpod_runtime_core::runtime::Runtime;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rootfs = PathBuf::from(
        args.next()
            .ok_or("usage: compose_engine <rootfs> <workdir>")?,
    );
    let work = PathBuf::from(
        args.next()
            .ok_or("usage: compose_engine <rootfs> <workdir>")?,
    );

    // 1. Pick the backends: the in-memory state and lock manager come with
    //    runtime-core; the others register themselves by name.
    let mut registry = BackendRegistry::new();
    rpod_lock_file::register(&mut registry);
    rpod_events::register(&mut registry);
    rpod_oci_conmon::register(&mut registry);

    // 2. Build the runtime with its own directories; the exit command conmon
    //    runs after the container exits is a no-op here, since this program
    //    cleans up itself.
    let rt = Runtime::builder()
        .registry(registry)
        .config(Config::load(&ConfigEnv::isolated(None, None))?)
        .graph_root(work.join("root"))
        .run_root(work.join("runroot"))
        .tmp_dir(work.join("tmp"))
        .database_backend("memory")
        .lock_type("file")
        .events_logger("file")
        .exit_command(vec!["/bin/true".into()])
        .build()?;

    // 3. Run a container: create, start, wait, clean up, remove.
    let mut ctr = rt.create_container(CreateOptions {
        name: "composed".into(),
        rootfs,
        command: vec![
            "sh".into(),
            "-c".into(),
            "echo hello from a composed engine > /tmp/out; exit 7".into(),
        ],
        ..Default::default()
    })?;
    ctr.start()?;
    // Cleanup succeeds once the process has exited (it refuses while it runs).
    loop {
        match ctr.cleanup() {
            Ok(()) => break,
            Err(e) if e.is(&Error::CtrStateInvalid) => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(e) => return Err(e.into()),
        }
    }
    let code = ctr.exit_code()?;
    println!("container {} exited with {code}", ctr.name());
    ctr.remove(RemoveOptions::default())?;
    rt.shutdown(false)?;
    Ok(())
}
