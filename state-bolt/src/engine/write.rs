//! Write transactions: changes are made on in-memory copies of the nodes on
//! the path to each changed key (copy-on-write); nothing touches the file
//! until [`WriteTx::commit`].

use std::fs::File;

use super::commit::Committer;
use super::format::{self, MAX_KEY_SIZE, MAX_VALUE_SIZE, Meta, NO_FREELIST};
use super::node::{BucketState, BucketVal, LeafItem, LeafVal, Node, NodeKind, NodeRef, Span};
use super::pages::Pages;
use super::read::{Bucket, MAX_DEPTH, RootRef};
use super::{BoltError, Result};

/// What a write transaction shares with every bucket handle.
#[derive(Debug)]
pub(crate) struct TxShared {
    pub(crate) pages: Pages,
    /// Pages of deleted buckets, freed at commit.
    pub(crate) freed: Vec<Span>,
}

/// A read-write transaction, holding the file's exclusive `flock`. Dropping
/// it without [`WriteTx::commit`] discards every change.
#[derive(Debug)]
pub struct WriteTx {
    pub(crate) shared: TxShared,
    pub(crate) root: BucketState,
    pub(crate) meta: Meta,
    pub(crate) free: Vec<u64>,
    pub(crate) file: File,
}

/// A bucket opened for change inside a [`WriteTx`].
#[derive(Debug)]
pub struct BucketMut<'t> {
    state: &'t mut BucketState,
    shared: &'t mut TxShared,
}

/// Loads a node from its page so it can be changed.
pub(crate) fn materialize<'n>(r: &'n mut NodeRef, pages: &Pages) -> Result<&'n mut Node> {
    if let NodeRef::Page(p) = *r {
        let node = pages.node(p)?;
        *r = NodeRef::Mem(Box::new((*node).clone()));
    }
    match r {
        NodeRef::Mem(n) => Ok(n),
        NodeRef::Page(_) => Err(pages.corrupt("node did not load")),
    }
}

/// Materializes the path to the leaf that holds (or would hold) `key` and
/// returns the leaf's items.
fn leaf_mut<'n>(root: &'n mut NodeRef, key: &[u8], pages: &Pages) -> Result<&'n mut Vec<LeafItem>> {
    let mut cur = root;
    for _ in 0..MAX_DEPTH {
        let node = materialize(cur, pages)?;
        match &mut node.kind {
            NodeKind::Leaf(items) => return Ok(items),
            NodeKind::Branch(children) => {
                if children.is_empty() {
                    return Err(pages.corrupt("empty branch"));
                }
                let i = Node::child_index(children, key);
                cur = &mut children[i].node;
            }
        }
    }
    Err(pages.corrupt("tree deeper than 64 levels"))
}

fn check_key(key: &[u8]) -> Result<()> {
    if key.is_empty() {
        Err(BoltError::KeyRequired)
    } else if key.len() > MAX_KEY_SIZE {
        Err(BoltError::KeyTooLarge)
    } else {
        Ok(())
    }
}

/// Opens a stored bucket value for change.
fn open_raw(raw: &[u8], pages: &Pages) -> Result<BucketState> {
    let (h, inline) =
        format::parse_bucket_value(raw).map_err(|e| pages.corrupt(format!("bucket value: {e}")))?;
    Ok(BucketState {
        root: match inline {
            Some(n) => NodeRef::Mem(Box::new(n)),
            None => NodeRef::Page(h.root),
        },
        sequence: h.sequence,
    })
}

/// Records every page of a deleted bucket as freed.
fn free_bucket(shared: &mut TxShared, val: BucketVal, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(shared.pages.corrupt("buckets nested deeper than 64 levels"));
    }
    let st = match val {
        BucketVal::Raw(raw) => open_raw(&raw, &shared.pages)?,
        BucketVal::Open(st) => *st,
    };
    free_tree(shared, st.root, depth, 0)
}

fn free_tree(shared: &mut TxShared, r: NodeRef, depth: usize, level: usize) -> Result<()> {
    if level > MAX_DEPTH {
        return Err(shared.pages.corrupt("tree deeper than 64 levels"));
    }
    let node = match r {
        NodeRef::Page(p) => (*shared.pages.node(p)?).clone(),
        NodeRef::Mem(n) => *n,
    };
    shared.freed.extend(node.spans);
    match node.kind {
        NodeKind::Branch(children) => {
            for c in children {
                free_tree(shared, c.node, depth, level + 1)?;
            }
        }
        NodeKind::Leaf(items) => {
            for it in items {
                if let LeafVal::Bucket(b) = it.val {
                    free_bucket(shared, b, depth + 1)?;
                }
            }
        }
    }
    Ok(())
}

fn entry_of(state: &BucketState, shared: &TxShared, key: &[u8]) -> Result<Option<super::Entry>> {
    Bucket {
        pages: &shared.pages,
        root: RootRef::Ref(&state.root),
    }
    .entry(key)
}

fn open_child<'t>(
    state: &'t mut BucketState,
    shared: &'t mut TxShared,
    key: &[u8],
) -> Result<Option<BucketMut<'t>>> {
    if entry_of(state, shared, key)? != Some(super::Entry::Bucket) {
        return Ok(None);
    }
    let items = leaf_mut(&mut state.root, key, &shared.pages)?;
    let Ok(i) = items.binary_search_by(|i| i.key.as_slice().cmp(key)) else {
        return Ok(None);
    };
    let val = &mut items[i].val;
    if let LeafVal::Bucket(BucketVal::Raw(raw)) = val {
        let st = open_raw(raw, &shared.pages)?;
        *val = LeafVal::Bucket(BucketVal::Open(Box::new(st)));
    }
    match val {
        LeafVal::Bucket(BucketVal::Open(st)) => Ok(Some(BucketMut { state: st, shared })),
        _ => Ok(None),
    }
}

fn create_child<'t>(
    state: &'t mut BucketState,
    shared: &'t mut TxShared,
    key: &[u8],
) -> Result<BucketMut<'t>> {
    check_key(key)?;
    match entry_of(state, shared, key)? {
        Some(super::Entry::Bucket) => return Err(BoltError::BucketExists),
        Some(super::Entry::Value(_)) => return Err(BoltError::IncompatibleValue),
        None => {}
    }
    let items = leaf_mut(&mut state.root, key, &shared.pages)?;
    let i = match items.binary_search_by(|i| i.key.as_slice().cmp(key)) {
        Ok(_) => return Err(BoltError::BucketExists),
        Err(i) => i,
    };
    items.insert(
        i,
        LeafItem {
            key: key.to_vec(),
            val: LeafVal::Bucket(BucketVal::Open(Box::new(BucketState {
                root: NodeRef::Mem(Box::new(Node::empty_leaf())),
                sequence: 0,
            }))),
        },
    );
    match &mut items[i].val {
        LeafVal::Bucket(BucketVal::Open(st)) => Ok(BucketMut { state: st, shared }),
        _ => Err(BoltError::IncompatibleValue),
    }
}

impl<'t> BucketMut<'t> {
    /// A read view of this bucket, including the changes made so far.
    pub fn view(&self) -> Bucket<'_> {
        Bucket {
            pages: &self.shared.pages,
            root: RootRef::Ref(&self.state.root),
        }
    }

    /// The value under `key` (`None` when absent or a nested bucket).
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.view().get(key)
    }

    /// Keys of every entry, in order.
    pub fn keys(&self) -> Result<Vec<Vec<u8>>> {
        self.view().keys()
    }

    /// Stores `value` under `key`, replacing a value (not a bucket) there.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        check_key(key)?;
        if value.len() > MAX_VALUE_SIZE {
            return Err(BoltError::ValueTooLarge);
        }
        let items = leaf_mut(&mut self.state.root, key, &self.shared.pages)?;
        match items.binary_search_by(|i| i.key.as_slice().cmp(key)) {
            Ok(i) if items[i].is_bucket() => return Err(BoltError::IncompatibleValue),
            Ok(i) => items[i].val = LeafVal::Value(value.to_vec()),
            Err(i) => items.insert(
                i,
                LeafItem {
                    key: key.to_vec(),
                    val: LeafVal::Value(value.to_vec()),
                },
            ),
        }
        Ok(())
    }

    /// Deletes the value under `key` (nothing if absent; a bucket is an error).
    pub fn delete(&mut self, key: &[u8]) -> Result<()> {
        match self.view().entry(key)? {
            None => return Ok(()),
            Some(super::Entry::Bucket) => return Err(BoltError::IncompatibleValue),
            Some(super::Entry::Value(_)) => {}
        }
        let items = leaf_mut(&mut self.state.root, key, &self.shared.pages)?;
        if let Ok(i) = items.binary_search_by(|i| i.key.as_slice().cmp(key)) {
            items.remove(i);
        }
        Ok(())
    }

    /// Opens the nested bucket `key` for change (`None` when absent or a value).
    pub fn bucket_mut(&mut self, key: &[u8]) -> Result<Option<BucketMut<'_>>> {
        open_child(self.state, self.shared, key)
    }

    /// Like [`BucketMut::bucket_mut`], but consumes this handle so the child
    /// lives as long as the transaction borrow (for walking a bucket path).
    pub fn into_bucket_mut(self, key: &[u8]) -> Result<Option<BucketMut<'t>>> {
        open_child(self.state, self.shared, key)
    }

    /// Like [`BucketMut::create_bucket_if_not_exists`], but consumes this
    /// handle (for walking a bucket path).
    pub fn into_create_bucket_if_not_exists(self, key: &[u8]) -> Result<BucketMut<'t>> {
        check_key(key)?;
        match entry_of(self.state, self.shared, key)? {
            Some(super::Entry::Value(_)) => Err(BoltError::IncompatibleValue),
            Some(super::Entry::Bucket) => {
                open_child(self.state, self.shared, key)?.ok_or(BoltError::BucketNotFound)
            }
            None => create_child(self.state, self.shared, key),
        }
    }

    /// Creates the nested bucket `key` (`BucketExists` if there is one).
    pub fn create_bucket(&mut self, key: &[u8]) -> Result<BucketMut<'_>> {
        create_child(self.state, self.shared, key)
    }

    /// Opens the nested bucket `key`, creating it if needed.
    pub fn create_bucket_if_not_exists(&mut self, key: &[u8]) -> Result<BucketMut<'_>> {
        check_key(key)?;
        let exists = {
            let view = Bucket {
                pages: &self.shared.pages,
                root: RootRef::Ref(&self.state.root),
            };
            view.entry(key)?
        };
        match exists {
            Some(super::Entry::Value(_)) => Err(BoltError::IncompatibleValue),
            Some(super::Entry::Bucket) => {
                open_child(self.state, self.shared, key)?.ok_or(BoltError::BucketNotFound)
            }
            None => create_child(self.state, self.shared, key),
        }
    }

    /// Deletes the nested bucket `key` and everything in it.
    pub fn delete_bucket(&mut self, key: &[u8]) -> Result<()> {
        match self.view().entry(key)? {
            None => return Err(BoltError::BucketNotFound),
            Some(super::Entry::Value(_)) => return Err(BoltError::IncompatibleValue),
            Some(super::Entry::Bucket) => {}
        }
        let items = leaf_mut(&mut self.state.root, key, &self.shared.pages)?;
        let Ok(i) = items.binary_search_by(|i| i.key.as_slice().cmp(key)) else {
            return Err(BoltError::BucketNotFound);
        };
        let item = items.remove(i);
        if let LeafVal::Bucket(b) = item.val {
            free_bucket(self.shared, b, 0)?;
        }
        Ok(())
    }

    /// The bucket's sequence number.
    pub fn sequence(&self) -> u64 {
        self.state.sequence
    }

    /// Increments the sequence number and returns the new value.
    pub fn next_sequence(&mut self) -> u64 {
        self.state.sequence += 1;
        self.state.sequence
    }
}

impl WriteTx {
    /// The root bucket, whose nested buckets are the top-level buckets.
    pub fn root(&mut self) -> BucketMut<'_> {
        BucketMut {
            state: &mut self.root,
            shared: &mut self.shared,
        }
    }

    /// A read view of the root bucket, changes included.
    pub fn view(&self) -> Bucket<'_> {
        Bucket {
            pages: &self.shared.pages,
            root: RootRef::Ref(&self.root.root),
        }
    }

    /// Opens the top-level bucket `name` for change.
    pub fn bucket_mut(&mut self, name: &[u8]) -> Result<Option<BucketMut<'_>>> {
        open_child(&mut self.root, &mut self.shared, name)
    }

    /// Opens the top-level bucket `name`, creating it if needed.
    pub fn create_bucket_if_not_exists(&mut self, name: &[u8]) -> Result<BucketMut<'_>> {
        check_key(name)?;
        match entry_of(&self.root, &self.shared, name)? {
            Some(super::Entry::Value(_)) => Err(BoltError::IncompatibleValue),
            Some(super::Entry::Bucket) => {
                open_child(&mut self.root, &mut self.shared, name)?.ok_or(BoltError::BucketNotFound)
            }
            None => create_child(&mut self.root, &mut self.shared, name),
        }
    }

    /// The ID this transaction will commit as.
    pub fn txid(&self) -> u64 {
        self.meta.txid + 1
    }

    /// Writes every change to new pages, fsyncs them, then writes and fsyncs
    /// the meta page the previous commit did not use. A failure (or crash)
    /// at any point leaves the previous commit in force.
    pub fn commit(self) -> Result<()> {
        let WriteTx {
            shared,
            root,
            meta,
            free,
            file,
        } = self;
        let TxShared { pages, freed } = shared;
        let mut c = Committer::new(&pages, meta.hwm, free);
        for span in freed {
            c.free_span(span);
        }
        let root_value = c.spill_bucket(root, false)?;
        let (hdr, _) = format::parse_bucket_value(&root_value)
            .map_err(|e| pages.corrupt(format!("root bucket: {e}")))?;
        if meta.freelist != NO_FREELIST {
            let (h, _) = pages.read_span(meta.freelist)?;
            c.free_span(Span {
                pgid: meta.freelist,
                overflow: h.overflow,
            });
        }
        let freelist = c.write_freelist()?;
        let new_meta = Meta {
            page_size: meta.page_size,
            flags: meta.flags,
            root: hdr.root,
            sequence: hdr.sequence,
            freelist,
            hwm: c.hwm(),
            txid: meta.txid + 1,
        };
        c.flush(&file, &new_meta)
    }
}
