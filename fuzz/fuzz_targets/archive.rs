//! libFuzzer target: see `rpod_fuzz::archive` for what it drives.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rpod_fuzz::archive(data));
