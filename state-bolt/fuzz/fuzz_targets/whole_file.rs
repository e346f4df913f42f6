//! Treats arbitrary bytes as a whole `bolt_state.db` and runs the full
//! consistency check over it (metas, every tree, nested buckets, freelist).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rpod_state_bolt::engine;

fuzz_target!(|data: &[u8]| {
    let _ = engine::verify_bytes(data.to_vec());
});
