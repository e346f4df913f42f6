//! Building an engine from runtime-core and the backends you choose, with
//! no CLI: the SQLite state, file locks, the conmon driver and the
//! containers/storage store, plus an event logger written here. Then one
//! real container from an imported image: create, start, exec, inspect,
//! stop, remove.
//!
//! ```text
//! cargo run -p rpod-tests --example compose_engine -- <rootfs tarball> <work dir>
//! ```
//! The tarball holds a root filesystem with `/bin/sh` (and `sleep`, `cat`);
//! everything the engine writes goes under the work dir (and conmon/runc's
//! own state).
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rpod_runtime_core::backend::BackendRegistry;
use rpod_runtime_core::config::{Config, ConfigEnv};
use rpod_runtime_core::container::spec::ContainerSettings;
use rpod_runtime_core::container::{CreateOptions, ExecConfig, RemoveOptions};
use rpod_runtime_core::events::{Event, Eventer, ReadControl, ReadOptions};
use rpod_runtime_core::oci::AttachIo;
use rpod_runtime_core::runtime::Runtime;
use rpod_runtime_core::storage::ImportOptions;

/// An event logger of this program's own: it keeps every event in memory,
/// so the program can print what the engine reported.
#[derive(Debug, Default, Clone)]
struct MemoryEventer {
    events: Arc<Mutex<Vec<Event>>>,
}

impl Eventer for MemoryEventer {
    fn name(&self) -> &'static str {
        "memory-example"
    }

    fn write(&self, event: &Event) -> rpod_runtime_core::Result<()> {
        if let Ok(mut events) = self.events.lock() {
            events.push(event.clone());
        }
        Ok(())
    }

    fn read(
        &self,
        _opts: &ReadOptions,
        sink: &mut dyn FnMut(Event) -> rpod_runtime_core::Result<ReadControl>,
    ) -> rpod_runtime_core::Result<()> {
        let events = self.events.lock().map(|e| e.clone()).unwrap_or_default();
        for event in events {
            if sink(event)? == ReadControl::Stop {
                break;
            }
        }
        Ok(())
    }
}

/// A writer that hands what it is given to a shared buffer (exec's output).
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let usage = "usage: compose_engine <rootfs tarball> <workdir>";
    let mut args = std::env::args().skip(1);
    let tarball = PathBuf::from(args.next().ok_or(usage)?);
    let work = PathBuf::from(args.next().ok_or(usage)?);

    // 1. Pick the backends: each crate registers itself by name, and the
    //    event logger defined above is registered under a name of its own.
    let eventer = MemoryEventer::default();
    let mut registry = BackendRegistry::new();
    rpod_state_sqlite::register(&mut registry);
    rpod_lock_file::register(&mut registry);
    rpod_oci_conmon::register(&mut registry);
    rpod_storage::register(&mut registry);
    let shared = eventer.clone();
    registry.register_eventer(
        "memory-example",
        Arc::new(move |_ctx| Ok(Box::new(shared.clone()))),
    );

    // 2. Build the runtime with its own directories. The exit command that
    //    conmon runs after a container exits is a no-op here: this program
    //    stops and removes its container itself.
    let rt = Runtime::builder()
        .registry(registry)
        .config(Config::load(&ConfigEnv::isolated(None, None))?)
        .graph_root(work.join("root"))
        .run_root(work.join("runroot"))
        .tmp_dir(work.join("tmp"))
        .database_backend("sqlite")
        .lock_type("file")
        .events_logger("memory-example")
        .exit_command(vec!["/bin/true".into()])
        .build()?;

    // 3. Import the image from the tarball.
    let storage = rt.storage()?.ok_or("no storage backend")?;
    let image = storage.import_image(
        &mut File::open(&tarball)?,
        &ImportOptions {
            names: vec!["localhost/composed:latest".into()],
            ..Default::default()
        },
    )?;
    println!("imported image {}", &image.id[..12]);

    // 4. Create and start a container from it, and run a command inside.
    let mut ctr = rt.create_container(CreateOptions {
        name: "composed".into(),
        image: "localhost/composed:latest".into(),
        settings: ContainerSettings {
            command: vec!["sleep".into(), "1000".into()],
            ..Default::default()
        },
        ..Default::default()
    })?;
    ctr.start()?;
    let output = SharedBuffer::default();
    let code = ctr.exec(
        ExecConfig {
            command: vec![
                "sh".into(),
                "-c".into(),
                "echo hello from a composed engine; exit 3".into(),
            ],
            ..Default::default()
        },
        Some(AttachIo {
            stdin: None,
            stdout: Box::new(output.clone()),
            stderr: Box::new(std::io::sink()),
            detach_keys: Vec::new(),
        }),
    )?;
    let said = output.0.lock().map(|b| b.clone()).unwrap_or_default();
    print!("exec said: {}", String::from_utf8_lossy(&said));
    println!("exec exited with {code}");

    // 5. Inspect it through the engine's typed report.
    let report = ctr.inspect()?;
    println!(
        "inspect: name={} image={} running={}",
        report.name, report.image_name, report.state.running
    );

    // 6. Stop and remove it.
    ctr.stop(Some(0))?;
    ctr.remove(RemoveOptions::default())?;
    let gone = rt.lookup_container("composed").is_err();

    // 7. What the engine told our event logger, in order.
    let statuses: Vec<String> = eventer
        .events
        .lock()
        .map(|e| {
            e.iter()
                .filter(|e| e.name == "composed")
                .map(|e| e.status.to_string())
                .collect()
        })
        .unwrap_or_default();
    println!("events: {}", statuses.join(" "));
    if gone {
        println!("removed");
    }
    rt.shutdown(false)?;
    Ok(())
}
