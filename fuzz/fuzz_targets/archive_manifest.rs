//! libFuzzer target: see `rpod_fuzz::archive_manifest` for what it drives.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rpod_fuzz::archive_manifest(data));
