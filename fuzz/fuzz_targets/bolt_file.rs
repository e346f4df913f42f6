//! libFuzzer target: see `rpod_fuzz::bolt_file` for what it drives.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rpod_fuzz::bolt_file(data));
