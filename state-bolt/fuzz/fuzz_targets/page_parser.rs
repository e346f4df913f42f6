//! Feeds arbitrary bytes to the BoltDB page decoders (branch, leaf, meta,
//! freelist, inline bucket value): any input must decode or fail cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rpod_state_bolt::engine::{self, format};

fuzz_target!(|data: &[u8]| {
    let _ = engine::parse_page(data);
    let _ = format::parse_bucket_value(data);
    let _ = format::Meta::decode(data);
    let _ = format::parse_freelist(data);
});
