//! libFuzzer target: see `rpod_fuzz::containers_conf` for what it drives.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rpod_fuzz::containers_conf(data));
