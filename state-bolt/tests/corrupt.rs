//! Damaged files: a clear error naming the file, never a panic, and the
//! file left byte-for-byte as it was. Random and mutated bytes are fed to
//! the page parser and the whole-file check.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::Path;

use proptest::prelude::*;
use rpod_runtime_core::container::{ContainerConfig, ContainerRecord};
use rpod_runtime_core::state::State;
use rpod_state_bolt::BoltState;
use rpod_state_bolt::engine::{self, format};

/// A small but multi-page state file, returned as bytes.
fn sample_db(dir: &Path) -> Vec<u8> {
    let s = BoltState::open(dir).unwrap();
    for i in 0..12 {
        let id = format!("{i:02}{}", "ab".repeat(31));
        let mut cfg = ContainerConfig::new(&id, format!("ctr{i}"), i);
        cfg.spec = Some(serde_json::json!({"pad": "x".repeat(3000)}));
        s.add_container(&ContainerRecord::new(cfg)).unwrap();
    }
    std::fs::read(dir.join("bolt_state.db")).unwrap()
}

fn exercise(s: &BoltState) {
    // Every read path; errors are fine, panics are not.
    let _ = s.all_containers(true);
    let _ = s.all_pods();
    let _ = s.all_volumes();
    let _ = s.db_config();
    let _ = s.lookup_container_id("ctr3");
    let _ = s.lookup_container_id("0");
    let _ = s.export();
}

#[test]
fn garbage_is_an_error_naming_the_file_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bolt_state.db");
    let junk: Vec<u8> = (0..20_000u32).map(|i| (i * 7 + 3) as u8).collect();
    std::fs::write(&file, &junk).unwrap();
    let e = BoltState::open(dir.path()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.starts_with(&file.display().to_string()), "{msg}");
    assert!(msg.contains("invalid BoltDB file"), "{msg}");
    assert_eq!(std::fs::read(&file).unwrap(), junk);
}

#[test]
fn a_truncated_file_is_reported_as_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = sample_db(dir.path());
    let file = dir.path().join("bolt_state.db");
    let cut = &bytes[..bytes.len() / 2];
    std::fs::write(&file, cut).unwrap();
    let e = BoltState::open(dir.path()).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(&file.display().to_string()), "{msg}");
    assert!(msg.contains("truncated"), "{msg}");
    assert_eq!(std::fs::read(&file).unwrap(), cut);
    // Cut inside the first meta page: still an error, not a panic.
    std::fs::write(&file, &bytes[..100]).unwrap();
    assert!(BoltState::open(dir.path()).is_err());
    assert_eq!(std::fs::read(&file).unwrap(), &bytes[..100]);
}

#[test]
fn a_damaged_data_page_fails_reads_without_panicking() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = sample_db(dir.path());
    let file = dir.path().join("bolt_state.db");
    // Scribble over every data page's element table, one page at a time.
    let pages = bytes.len() / 4096;
    let mut failures = 0;
    for p in 2..pages {
        let orig = bytes.clone();
        for b in &mut bytes[p * 4096 + 16..p * 4096 + 48] {
            *b = 0xFF;
        }
        std::fs::write(&file, &bytes).unwrap();
        match BoltState::open_read_only(&file) {
            Ok(s) => {
                exercise(&s);
                if s.all_containers(true).is_err() {
                    failures += 1;
                    let msg = s.all_containers(true).unwrap_err().to_string();
                    assert!(
                        msg.contains("invalid BoltDB file") || msg.contains("unmarshalling"),
                        "{msg}"
                    );
                }
            }
            Err(e) => {
                failures += 1;
                assert!(e.to_string().contains(&file.display().to_string()), "{e}");
            }
        }
        // Free pages and overflow continuations may take the damage unnoticed.
        let _ = engine::verify_bytes(bytes.clone());
        assert_eq!(std::fs::read(&file).unwrap(), bytes, "file untouched");
        bytes = orig;
    }
    assert!(failures > 0, "damage was noticed");
}

fn arb_page() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..5000),
        // A plausible header with random contents.
        (
            any::<u64>(),
            prop_oneof![Just(1u16), Just(2), Just(4), Just(0x10)],
            any::<u16>(),
            0u32..4,
            proptest::collection::vec(any::<u8>(), 0..4096)
        )
            .prop_map(|(id, flags, count, ov, rest)| {
                let mut v = Vec::new();
                v.extend_from_slice(&id.to_le_bytes());
                v.extend_from_slice(&flags.to_le_bytes());
                v.extend_from_slice(&(count % 300).to_le_bytes());
                v.extend_from_slice(&ov.to_le_bytes());
                v.extend_from_slice(&rest);
                v
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_page_parser_never_panics(page in arb_page()) {
        let _ = engine::parse_page(&page);
        let _ = format::parse_bucket_value(&page);
        let _ = format::Meta::decode(&page);
    }

    #[test]
    fn random_files_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..20_000)) {
        prop_assert!(engine::verify_bytes(bytes).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn mutated_databases_never_panic(
        muts in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..20)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = sample_db(dir.path());
        for (i, b) in &muts {
            let at = i.index(bytes.len());
            bytes[at] = *b;
        }
        let _ = engine::verify_bytes(bytes.clone());
        let file = dir.path().join("bolt_state.db");
        std::fs::write(&file, &bytes).unwrap();
        if let Ok(s) = BoltState::open_read_only(&file) {
            exercise(&s);
        }
        prop_assert_eq!(std::fs::read(&file).unwrap(), bytes);
    }
}
