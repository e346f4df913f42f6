//! libFuzzer target: see `rpod_fuzz::format_template` for what it drives.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rpod_fuzz::format_template(data));
