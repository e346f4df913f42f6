//! The BoltDB engine against a `BTreeMap` model: random insert, overwrite,
//! delete and bucket operations over nested buckets, committed or rolled
//! back, and the file reopened from disk and checked after every commit.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;
use rpod_state_bolt::engine::{Bucket, BucketMut, Db, Entry, format};

#[derive(Debug, Clone, PartialEq, Eq)]
enum M {
    Value(Vec<u8>),
    Bucket(BTreeMap<Vec<u8>, M>),
}

type Model = BTreeMap<Vec<u8>, M>;

fn dump_bucket(b: &Bucket<'_>) -> Model {
    let mut out = Model::new();
    for item in b.iter().unwrap() {
        let (k, e) = item.unwrap();
        let v = match e {
            Entry::Value(v) => M::Value(v),
            Entry::Bucket => M::Bucket(dump_bucket(&b.bucket(&k).unwrap().unwrap())),
        };
        out.insert(k, v);
    }
    out
}

fn dump(db: &Db) -> Model {
    let tx = db.begin_read().unwrap();
    dump_bucket(&tx.root())
}

fn model_bucket<'m>(m: &'m mut Model, path: &[Vec<u8>]) -> Option<&'m mut Model> {
    let mut cur = m;
    for p in path {
        match cur.get_mut(p) {
            Some(M::Bucket(b)) => cur = b,
            _ => return None,
        }
    }
    Some(cur)
}

fn tx_bucket<'a>(root: BucketMut<'a>, path: &[Vec<u8>]) -> Option<BucketMut<'a>> {
    let mut b = root;
    for p in path {
        b = b.into_bucket_mut(p).unwrap()?;
    }
    Some(b)
}

#[derive(Debug, Clone)]
enum Op {
    Put(Vec<Vec<u8>>, Vec<u8>, usize, u8),
    Delete(Vec<Vec<u8>>, Vec<u8>),
    CreateBucket(Vec<Vec<u8>>, Vec<u8>),
    DeleteBucket(Vec<Vec<u8>>, Vec<u8>),
    Commit,
    Rollback,
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (0u8..40).prop_map(|i| format!("k{i:02}").into_bytes()),
        proptest::collection::vec(any::<u8>(), 1..24),
    ]
}

fn path() -> impl Strategy<Value = Vec<Vec<u8>>> {
    proptest::collection::vec((0u8..3).prop_map(|i| format!("b{i}").into_bytes()), 0..3)
}

fn op() -> impl Strategy<Value = Op> {
    let size = prop_oneof![
        8 => 0usize..64,
        3 => 64usize..1500,
        1 => 1500usize..20_000,
    ];
    prop_oneof![
        10 => (path(), key(), size, any::<u8>()).prop_map(|(p, k, s, f)| Op::Put(p, k, s, f)),
        4 => (path(), key()).prop_map(|(p, k)| Op::Delete(p, k)),
        2 => (path(), (0u8..3).prop_map(|i| format!("b{i}").into_bytes()))
            .prop_map(|(p, k)| Op::CreateBucket(p, k)),
        1 => (path(), (0u8..3).prop_map(|i| format!("b{i}").into_bytes()))
            .prop_map(|(p, k)| Op::DeleteBucket(p, k)),
        2 => Just(Op::Commit),
        1 => Just(Op::Rollback),
    ]
}

fn value(size: usize, fill: u8) -> Vec<u8> {
    (0..size).map(|i| fill.wrapping_add(i as u8)).collect()
}

fn reopen_and_compare(path: &Path, want: &Model) {
    let db = Db::open(path).unwrap();
    db.check().unwrap();
    assert_eq!(&dump(&db), want);
}

fn run(ops: Vec<Op>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.db");
    let db = Db::open(&file).unwrap();
    let mut committed = Model::new();
    let mut tx = db.begin_write().unwrap();
    let mut pending = committed.clone();
    for op in ops {
        match op {
            Op::Commit => {
                tx.commit().unwrap();
                committed = pending.clone();
                reopen_and_compare(&file, &committed);
                tx = db.begin_write().unwrap();
            }
            Op::Rollback => {
                drop(tx);
                pending = committed.clone();
                reopen_and_compare(&file, &committed);
                tx = db.begin_write().unwrap();
            }
            Op::Put(p, k, size, fill) => {
                let v = value(size, fill);
                let mb = model_bucket(&mut pending, &p);
                let b = tx_bucket(tx.root(), &p);
                match (mb, b) {
                    (Some(mb), Some(mut b)) => {
                        let r = b.put(&k, &v);
                        if matches!(mb.get(&k), Some(M::Bucket(_))) {
                            assert!(r.is_err());
                        } else {
                            r.unwrap();
                            mb.insert(k, M::Value(v));
                        }
                    }
                    (None, None) => {}
                    (m, b) => panic!("model {} / tx {}", m.is_some(), b.is_some()),
                }
            }
            Op::Delete(p, k) => {
                let mb = model_bucket(&mut pending, &p);
                let b = tx_bucket(tx.root(), &p);
                if let (Some(mb), Some(mut b)) = (mb, b) {
                    let r = b.delete(&k);
                    if matches!(mb.get(&k), Some(M::Bucket(_))) {
                        assert!(r.is_err());
                    } else {
                        r.unwrap();
                        mb.remove(&k);
                    }
                }
            }
            Op::CreateBucket(p, k) => {
                let mb = model_bucket(&mut pending, &p);
                let b = tx_bucket(tx.root(), &p);
                if let (Some(mb), Some(mut b)) = (mb, b) {
                    let r = b.create_bucket(&k).map(|_| ());
                    match mb.entry(k) {
                        std::collections::btree_map::Entry::Occupied(_) => assert!(r.is_err()),
                        std::collections::btree_map::Entry::Vacant(v) => {
                            r.unwrap();
                            v.insert(M::Bucket(Model::new()));
                        }
                    }
                }
            }
            Op::DeleteBucket(p, k) => {
                let mb = model_bucket(&mut pending, &p);
                let b = tx_bucket(tx.root(), &p);
                if let (Some(mb), Some(mut b)) = (mb, b) {
                    let r = b.delete_bucket(&k);
                    if matches!(mb.get(&k), Some(M::Bucket(_))) {
                        r.unwrap();
                        mb.remove(&k);
                    } else {
                        assert!(r.is_err());
                    }
                }
            }
        }
        // The write transaction sees its own changes.
        assert_eq!(dump_bucket(&tx.view()), pending);
    }
    tx.commit().unwrap();
    reopen_and_compare(&file, &pending);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_operations_match_a_btreemap(ops in proptest::collection::vec(op(), 1..200)) {
        run(ops);
    }
}

#[test]
fn new_file_has_bbolt_layout() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("new.db");
    Db::open(&file).unwrap();
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(bytes.len(), 4 * 4096);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let m0 = format::Meta::decode(&bytes[..4096]).unwrap();
    let m1 = format::Meta::decode(&bytes[4096..8192]).unwrap();
    assert_eq!((m0.txid, m1.txid), (0, 1));
    assert_eq!(
        (m0.root, m0.freelist, m0.hwm, m0.page_size),
        (3, 2, 4, 4096)
    );
    assert_eq!(&bytes[16..20], &0xED0C_DAEDu32.to_le_bytes());
    assert_eq!(&bytes[20..24], &2u32.to_le_bytes());
}

#[test]
fn values_from_empty_to_one_mebibyte_use_overflow_pages() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.db");
    let db = Db::open(&file).unwrap();
    let sizes = [0usize, 1, 4000, 4096, 4097, 10_000, 100_000, 1 << 20];
    db.update(|tx| {
        let mut b = tx.create_bucket_if_not_exists(b"big")?;
        for s in sizes {
            b.put(format!("v{s:08}").as_bytes(), &value(s, s as u8))?;
        }
        Ok::<_, rpod_state_bolt::engine::BoltError>(())
    })
    .unwrap();
    let db = Db::open(&file).unwrap();
    let stats = db.check().unwrap();
    assert!(stats.pages > 256, "a 1 MiB value needs >256 pages");
    let tx = db.begin_read().unwrap();
    let b = tx.bucket(b"big").unwrap().unwrap();
    for s in sizes {
        assert_eq!(
            b.get(format!("v{s:08}").as_bytes()).unwrap().unwrap(),
            value(s, s as u8)
        );
    }
    drop(tx);
    // Shrinking and deleting frees the overflow pages for reuse.
    db.update(|tx| {
        let mut b = tx.bucket_mut(b"big")?.unwrap();
        for s in sizes {
            b.delete(format!("v{s:08}").as_bytes())?;
        }
        Ok::<_, rpod_state_bolt::engine::BoltError>(())
    })
    .unwrap();
    let after = db.check().unwrap();
    assert!(after.free_pages > 256, "{after:?}");
    let before_len = std::fs::metadata(&file).unwrap().len();
    db.update(|tx| {
        tx.bucket_mut(b"big")?
            .unwrap()
            .put(b"again", &value(1 << 20, 1))?;
        Ok::<_, rpod_state_bolt::engine::BoltError>(())
    })
    .unwrap();
    assert_eq!(
        std::fs::metadata(&file).unwrap().len(),
        before_len,
        "the freed pages were reused"
    );
}

#[test]
fn a_hundred_thousand_keys() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.db");
    let db = Db::open(&file).unwrap();
    let key = |i: u32| format!("key-{:08}", i.wrapping_mul(2_654_435_761) % 1_000_000_007);
    for batch in 0..10u32 {
        db.update(|tx| {
            let mut b = tx.create_bucket_if_not_exists(b"many")?;
            for i in batch * 10_000..(batch + 1) * 10_000 {
                b.put(key(i).as_bytes(), &i.to_le_bytes())?;
            }
            Ok::<_, rpod_state_bolt::engine::BoltError>(())
        })
        .unwrap();
    }
    let stats = Db::open(&file).unwrap().check().unwrap();
    assert_eq!(stats.keys, 100_000);
    let tx = db.begin_read().unwrap();
    let b = tx.bucket(b"many").unwrap().unwrap();
    let keys = b.keys().unwrap();
    assert_eq!(keys.len(), 100_000);
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "iteration is ordered");
    for i in (0..100_000).step_by(997) {
        assert_eq!(
            b.get(key(i).as_bytes()).unwrap().unwrap(),
            i.to_le_bytes().to_vec()
        );
    }
    // Seek lands on the first key at or after the probe.
    let probe = key(12_345);
    let mut c = b.range_from(probe.as_bytes()).unwrap();
    assert_eq!(c.next_key().unwrap().unwrap(), probe.as_bytes());
    drop(tx);
    // Delete nine in ten: the tree shrinks by merging.
    db.update(|tx| {
        let mut b = tx.bucket_mut(b"many")?.unwrap();
        for i in 0..100_000u32 {
            if i % 10 != 0 {
                b.delete(key(i).as_bytes())?;
            }
        }
        Ok::<_, rpod_state_bolt::engine::BoltError>(())
    })
    .unwrap();
    let stats = db.check().unwrap();
    assert_eq!(stats.keys, 10_000);
    assert!(stats.free_pages > stats.pages / 2, "{stats:?}");
}

#[test]
fn buckets_nest_three_deep_and_inline_when_small() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nest.db");
    let db = Db::open(&file).unwrap();
    db.update(|tx| {
        let mut a = tx.create_bucket_if_not_exists(b"a")?;
        for i in 0..50u32 {
            let mut b = a.create_bucket(format!("b{i:02}").as_bytes())?;
            let mut c = b.create_bucket(b"c")?;
            c.put(b"leaf", format!("{i}").as_bytes())?;
            if i.is_multiple_of(10) {
                c.put(b"large", &value(6000, i as u8))?;
            }
        }
        Ok::<_, rpod_state_bolt::engine::BoltError>(())
    })
    .unwrap();
    let db = Db::open(&file).unwrap();
    let stats = db.check().unwrap();
    assert_eq!(stats.buckets, 1 + 1 + 50 + 50);
    let tx = db.begin_read().unwrap();
    let a = tx.bucket(b"a").unwrap().unwrap();
    let c = a
        .bucket(b"b07")
        .unwrap()
        .unwrap()
        .bucket(b"c")
        .unwrap()
        .unwrap();
    assert_eq!(c.get(b"leaf").unwrap().unwrap(), b"7");
    let c = a
        .bucket(b"b20")
        .unwrap()
        .unwrap()
        .bucket(b"c")
        .unwrap()
        .unwrap();
    assert_eq!(c.get(b"large").unwrap().unwrap(), value(6000, 20));
    drop(tx);
    db.update(|tx| {
        let mut a = tx.bucket_mut(b"a")?.unwrap();
        for i in 0..50 {
            a.delete_bucket(format!("b{i:02}").as_bytes())?;
        }
        Ok::<_, rpod_state_bolt::engine::BoltError>(())
    })
    .unwrap();
    let stats = db.check().unwrap();
    assert_eq!((stats.buckets, stats.keys), (2, 0));
}

#[test]
fn a_damaged_newest_meta_falls_back_to_the_previous_commit() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("meta.db");
    let db = Db::open(&file).unwrap();
    db.update(|tx| {
        tx.create_bucket_if_not_exists(b"b")?.put(b"k", b"one")?;
        Ok::<_, rpod_state_bolt::engine::BoltError>(())
    })
    .unwrap();
    db.update(|tx| {
        tx.bucket_mut(b"b")?.unwrap().put(b"k", b"two")?;
        Ok::<_, rpod_state_bolt::engine::BoltError>(())
    })
    .unwrap();
    let newest = db.begin_read().unwrap().txid();
    assert_eq!(newest, 3);
    // Flip a byte inside the newest meta (slot txid % 2).
    let mut bytes = std::fs::read(&file).unwrap();
    let at = (newest % 2) as usize * 4096 + 16 + 40;
    bytes[at] ^= 0xFF;
    std::fs::write(&file, &bytes).unwrap();
    let db = Db::open(&file).unwrap();
    let tx = db.begin_read().unwrap();
    assert_eq!(tx.txid(), 2);
    assert_eq!(
        tx.bucket(b"b")
            .unwrap()
            .unwrap()
            .get(b"k")
            .unwrap()
            .unwrap(),
        b"one"
    );
    drop(tx);
    db.check().unwrap();
}

#[test]
fn empty_keys_and_value_bucket_clashes_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path().join("e.db")).unwrap();
    let mut tx = db.begin_write().unwrap();
    let mut b = tx.create_bucket_if_not_exists(b"x").unwrap();
    assert!(b.put(b"", b"v").is_err());
    b.put(b"v", b"1").unwrap();
    assert!(b.create_bucket(b"v").is_err());
    b.create_bucket(b"sub").unwrap();
    assert!(b.put(b"sub", b"1").is_err());
    assert!(b.delete(b"sub").is_err());
    assert!(b.delete_bucket(b"v").is_err());
    assert!(b.delete_bucket(b"none").is_err());
    assert!(b.create_bucket(b"sub").is_err());
}

#[test]
fn writers_are_serialized_and_readers_see_whole_commits() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("conc.db");
    Db::open(&file).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let file = file.clone();
            std::thread::spawn(move || {
                // Each thread has its own handle, as separate processes would.
                let db = Db::open(&file).unwrap();
                for i in 0..40 {
                    if t % 2 == 0 || i % 2 == 0 {
                        db.update(|tx| {
                            let mut b = tx.create_bucket_if_not_exists(b"c")?;
                            let n: u64 = b
                                .get(b"a")?
                                .map(|v| String::from_utf8(v).unwrap().parse().unwrap())
                                .unwrap_or(0);
                            b.put(b"a", (n + 1).to_string().as_bytes())?;
                            b.put(b"b", (n + 1).to_string().as_bytes())?;
                            Ok::<_, rpod_state_bolt::engine::BoltError>(())
                        })
                        .unwrap();
                    } else {
                        let tx = db.begin_read().unwrap();
                        if let Some(b) = tx.bucket(b"c").unwrap() {
                            assert_eq!(b.get(b"a").unwrap(), b.get(b"b").unwrap());
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let db = Db::open(&file).unwrap();
    let tx = db.begin_read().unwrap();
    let n = tx
        .bucket(b"c")
        .unwrap()
        .unwrap()
        .get(b"a")
        .unwrap()
        .unwrap();
    // Threads 0 and 2 write 40 times, threads 1 and 3 20 times: no lost update.
    assert_eq!(n, b"120");
}
