//! Fuzzes the `--format` engine: any bytes, read as UTF-8 (lossily), are
//! parsed as a template and executed against a fixed sample, then pushed
//! through the table and per-row renderers. Errors are fine; panics,
//! hangs and unbounded memory are not.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rpod_cli::format::{Template, render_each, render_table, table_headers};
use serde_json::{Value, json};

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

fuzz_target!(|data: &[u8]| {
    let src = String::from_utf8_lossy(data);
    if let Ok(t) = Template::parse(&src) {
        let mut out = String::new();
        let _ = t.execute(sample(), &mut out);
    }
    let rows = [sample().clone()];
    let _ = render_each(&src, &rows);
    let _ = render_table(&src, &rows, Some(&[("ID", "container id")]));
    let _ = table_headers(&src, &[]);
});
