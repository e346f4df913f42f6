//! The bodies of rpod's fuzz targets, shared by the libFuzzer binaries in
//! `fuzz_targets/` (`cargo xtask fuzz`) and by the brief deterministic run
//! in `tests/smoke.rs` (`cargo xtask test`). Each takes arbitrary bytes and
//! drives one parser of untrusted input; errors are fine, panics, hangs and
//! runaway memory are not.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Cursor;
use std::path::Path;
use std::sync::OnceLock;

use serde_json::{Value, json};

/// Every target, by name, for the smoke run and `cargo xtask fuzz`.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("containers_conf", containers_conf),
    ("storage_conf", storage_conf),
    ("format_template", format_template),
    ("filters", filters),
    ("archive", archive),
    ("archive_manifest", archive_manifest),
    ("bolt_pages", bolt_pages),
    ("bolt_file", bolt_file),
];

fn scratch() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap())
}

/// containers.conf text, merged over the defaults as rpod reads it.
pub fn containers_conf(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = rpod_runtime_core::config::Config::parse_containers_conf(
        Path::new("fuzz/containers.conf"),
        &text,
    );
}

/// storage.conf text, through the whole configuration load.
pub fn storage_conf(data: &[u8]) {
    let p = scratch().path().join("storage.conf");
    std::fs::write(&p, data).unwrap();
    let mut env = rpod_runtime_core::config::ConfigEnv::isolated(None, Some(p));
    env.containers_conf = Some(scratch().path().join("no-containers.conf"));
    let _ = rpod_runtime_core::config::Config::load(&env);
}

fn sample() -> &'static Value {
    static SAMPLE: OnceLock<Value> = OnceLock::new();
    SAMPLE.get_or_init(|| {
        json!({
            "ID": "0123456789abcdef0123456789abcdef",
            "Names": ["web", "db"],
            "Host": {"Arch": "amd64", "Cpus": 8, "Labels": {"b": "2", "a": "1"}},
            "State": {"Status": "running", "Pid": 42, "Ratio": 0.25},
            "Items": [{"Name": "x", "Size": 1}, {"Name": "y", "Size": 2}],
            "Empty": "",
            "Nil": null
        })
    })
}

/// `--format`: parse and execute a Go template, render rows and tables.
pub fn format_template(data: &[u8]) {
    use rpod_cli::format::{PS, Schema, Template, render_each, render_table, table_headers};
    const LOOSE: Schema = Schema {
        root: "interface {}",
        fields: &[],
        struct_fields: &[],
    };
    let src = String::from_utf8_lossy(data);
    if let Ok(t) = Template::parse(&src) {
        let mut out = String::new();
        let _ = t.execute(sample(), &mut out);
        let _ = t.execute_item(sample(), &PS, &mut out);
    }
    let rows = [sample().clone()];
    for schema in [&LOOSE, &PS] {
        let _ = render_each("fuzz", &src, &rows, schema);
        let _ = render_table("fuzz", &src, &rows, Some(&[("ID", "container id")]), schema);
    }
    let _ = table_headers(&src, &[]);
}

/// `--filter` values of ps, images and prune.
pub fn filters(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for line in text.split('\n') {
        let _ = rpod_runtime_core::container::ContainerFilter::parse(line);
        if let Some((k, v)) = line.split_once('=') {
            let _ = rpod_runtime_core::image::ImageFilter::parse(k, v);
        }
        let _ = rpod_runtime_core::system::PruneFilters::parse(
            &[line.to_string()],
            chrono::DateTime::UNIX_EPOCH,
        );
    }
}

fn store() -> &'static rpod_storage::Store {
    static STORE: OnceLock<rpod_storage::Store> = OnceLock::new();
    STORE.get_or_init(|| {
        let d = scratch().path();
        rpod_storage::Store::open(&d.join("root"), &d.join("run"), "vfs").unwrap()
    })
}

/// A docker-archive or oci-archive stream, loaded into a scratch store.
pub fn archive(data: &[u8]) {
    use rpod_runtime_core::storage::Storage;
    let _ = store().load_images(&mut Cursor::new(data));
}

/// A well-formed docker-archive tar whose `manifest.json` (first half of
/// the input) and image config (second half) are the fuzzed bytes.
pub fn archive_manifest(data: &[u8]) {
    use rpod_runtime_core::storage::Storage;
    let (manifest, config) = data.split_at(data.len() / 2);
    let mut tar = tar::Builder::new(Vec::new());
    for (name, body) in [("manifest.json", manifest), ("config.json", config)] {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, name, body).unwrap();
    }
    let bytes = tar.into_inner().unwrap();
    let _ = store().load_images(&mut Cursor::new(bytes));
}

/// The Bolt page decoders on one page's bytes.
pub fn bolt_pages(data: &[u8]) {
    use rpod_state_bolt::engine::format;
    let _ = format::parse_header(data);
    let _ = format::Meta::decode(data);
    let _ = format::parse_node(data);
    let _ = format::parse_freelist(data);
    let _ = format::parse_bucket_value(data);
}

/// A whole `bolt_state.db` file, read as Podman's state.
pub fn bolt_file(data: &[u8]) {
    let p = scratch().path().join("bolt_state.db");
    std::fs::write(&p, data).unwrap();
    if let Ok(state) = rpod_state_bolt::BoltState::open_read_only(&p) {
        let _ = state.export();
    }
}
