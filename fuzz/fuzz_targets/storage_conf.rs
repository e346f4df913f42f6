//! libFuzzer target: see `rpod_fuzz::storage_conf` for what it drives.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rpod_fuzz::storage_conf(data));
