//! Read access: buckets, lookups and ordered cursors over a snapshot, for
//! read transactions and for the reads of a write transaction (which see
//! its own uncommitted changes).

use std::ops::Deref;
use std::rc::Rc;

use super::Result;
use super::format::{self};
use super::node::{BucketVal, LeafItem, LeafVal, Node, NodeKind, NodeRef, Pgid};
use super::pages::Pages;

/// Deepest B+tree this crate follows before calling the file corrupt.
pub(crate) const MAX_DEPTH: usize = 64;

/// A node borrowed from a write transaction's tree or shared from the page cache.
#[derive(Debug, Clone)]
pub(crate) enum NodeHandle<'a> {
    Ref(&'a Node),
    Rc(Rc<Node>),
}

impl Deref for NodeHandle<'_> {
    type Target = Node;
    fn deref(&self) -> &Node {
        match self {
            NodeHandle::Ref(n) => n,
            NodeHandle::Rc(n) => n,
        }
    }
}

/// Where a bucket's root is.
#[derive(Debug, Clone)]
pub(crate) enum RootRef<'a> {
    /// In a write transaction's tree (or the transaction's root).
    Ref(&'a NodeRef),
    /// On disk.
    Page(Pgid),
    /// Inline in the parent's leaf.
    Inline(Rc<Node>),
}

/// An entry met while iterating a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A plain value.
    Value(Vec<u8>),
    /// A nested bucket (open it with [`Bucket::bucket`]).
    Bucket,
}

impl Entry {
    /// The value, or `None` for a nested bucket.
    pub fn value(&self) -> Option<&[u8]> {
        match self {
            Entry::Value(v) => Some(v),
            Entry::Bucket => None,
        }
    }
}

/// A bucket in a snapshot: lookups, nested buckets and ordered iteration.
#[derive(Debug, Clone)]
pub struct Bucket<'a> {
    pub(crate) pages: &'a Pages,
    pub(crate) root: RootRef<'a>,
}

pub(crate) fn handle<'a>(pages: &'a Pages, r: &'a NodeRef) -> Result<NodeHandle<'a>> {
    match r {
        NodeRef::Page(p) => Ok(NodeHandle::Rc(pages.node(*p)?)),
        NodeRef::Mem(n) => Ok(NodeHandle::Ref(n)),
    }
}

/// The `i`th child of a branch handle.
fn child<'a>(pages: &'a Pages, h: &NodeHandle<'a>, i: usize) -> Result<NodeHandle<'a>> {
    match h {
        NodeHandle::Ref(n) => match &n.kind {
            NodeKind::Branch(c) => handle(pages, &c[i].node),
            NodeKind::Leaf(_) => Err(pages.corrupt("descended into a leaf")),
        },
        NodeHandle::Rc(n) => match &n.kind {
            NodeKind::Branch(c) => match &c[i].node {
                NodeRef::Page(p) => Ok(NodeHandle::Rc(pages.node(*p)?)),
                NodeRef::Mem(_) => Err(pages.corrupt("changed node below an unchanged page")),
            },
            NodeKind::Leaf(_) => Err(pages.corrupt("descended into a leaf")),
        },
    }
}

/// Opens the bucket stored in a leaf item (`None` for a plain value).
fn sub_bucket<'a>(pages: &'a Pages, leaf: &NodeHandle<'a>, i: usize) -> Result<Option<Bucket<'a>>> {
    let root = match leaf {
        NodeHandle::Ref(n) => {
            let NodeKind::Leaf(items) = &n.kind else {
                return Err(pages.corrupt("expected a leaf"));
            };
            match &items[i].val {
                LeafVal::Value(_) => return Ok(None),
                LeafVal::Bucket(BucketVal::Open(st)) => RootRef::Ref(&st.root),
                LeafVal::Bucket(BucketVal::Raw(raw)) => raw_root(pages, raw)?,
            }
        }
        NodeHandle::Rc(n) => {
            let NodeKind::Leaf(items) = &n.kind else {
                return Err(pages.corrupt("expected a leaf"));
            };
            match &items[i].val {
                LeafVal::Value(_) => return Ok(None),
                LeafVal::Bucket(BucketVal::Open(_)) => {
                    return Err(pages.corrupt("open bucket in an unchanged page"));
                }
                LeafVal::Bucket(BucketVal::Raw(raw)) => raw_root(pages, raw)?,
            }
        }
    };
    Ok(Some(Bucket { pages, root }))
}

fn raw_root<'a>(pages: &Pages, raw: &[u8]) -> Result<RootRef<'a>> {
    let (h, inline) =
        format::parse_bucket_value(raw).map_err(|e| pages.corrupt(format!("bucket value: {e}")))?;
    Ok(match inline {
        Some(node) => RootRef::Inline(Rc::new(node)),
        None => RootRef::Page(h.root),
    })
}

fn leaf_items(node: &Node) -> &[LeafItem] {
    match &node.kind {
        NodeKind::Leaf(items) => items,
        NodeKind::Branch(_) => &[],
    }
}

impl<'a> Bucket<'a> {
    fn root_handle(&self) -> Result<NodeHandle<'a>> {
        match &self.root {
            RootRef::Ref(r) => handle(self.pages, r),
            RootRef::Page(p) => Ok(NodeHandle::Rc(self.pages.node(*p)?)),
            RootRef::Inline(n) => Ok(NodeHandle::Rc(Rc::clone(n))),
        }
    }

    /// The leaf that would hold `key`, and the index of `key` in it (`Err`: insertion point).
    fn find(&self, key: &[u8]) -> Result<(NodeHandle<'a>, std::result::Result<usize, usize>)> {
        let mut h = self.root_handle()?;
        for _ in 0..MAX_DEPTH {
            match &h.kind {
                NodeKind::Leaf(items) => {
                    let pos = items.binary_search_by(|i| i.key.as_slice().cmp(key));
                    return Ok((h, pos));
                }
                NodeKind::Branch(children) => {
                    if children.is_empty() {
                        return Err(self.pages.corrupt("empty branch"));
                    }
                    let i = Node::child_index(children, key);
                    h = child(self.pages, &h, i)?;
                }
            }
        }
        Err(self.pages.corrupt("tree deeper than 64 levels"))
    }

    /// The value stored under `key`; `None` when absent or a nested bucket.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let (leaf, pos) = self.find(key)?;
        Ok(match pos {
            Ok(i) => match &leaf_items(&leaf)[i].val {
                LeafVal::Value(v) => Some(v.clone()),
                LeafVal::Bucket(_) => None,
            },
            Err(_) => None,
        })
    }

    /// True when `key` holds a value or a bucket.
    pub fn contains(&self, key: &[u8]) -> Result<bool> {
        Ok(self.find(key)?.1.is_ok())
    }

    /// What `key` holds: `None`, a value or a bucket.
    pub fn entry(&self, key: &[u8]) -> Result<Option<Entry>> {
        let (leaf, pos) = self.find(key)?;
        Ok(match pos {
            Ok(i) => Some(match &leaf_items(&leaf)[i].val {
                LeafVal::Value(v) => Entry::Value(v.clone()),
                LeafVal::Bucket(_) => Entry::Bucket,
            }),
            Err(_) => None,
        })
    }

    /// The nested bucket under `key`; `None` when absent or a plain value.
    pub fn bucket(&self, key: &[u8]) -> Result<Option<Bucket<'a>>> {
        let (leaf, pos) = self.find(key)?;
        match pos {
            Ok(i) => sub_bucket(self.pages, &leaf, i),
            Err(_) => Ok(None),
        }
    }

    /// A cursor over every entry in key order.
    pub fn iter(&self) -> Result<Cursor<'a>> {
        self.range_from(&[])
    }

    /// A cursor over the entries whose key is at least `start`, in key order.
    pub fn range_from(&self, start: &[u8]) -> Result<Cursor<'a>> {
        let mut stack = Vec::new();
        let mut h = self.root_handle()?;
        loop {
            if stack.len() >= MAX_DEPTH {
                return Err(self.pages.corrupt("tree deeper than 64 levels"));
            }
            match &h.kind {
                NodeKind::Leaf(items) => {
                    let i = items.partition_point(|it| it.key.as_slice() < start);
                    stack.push((h, i));
                    break;
                }
                NodeKind::Branch(children) => {
                    let i = Node::child_index(children, start);
                    let next = if children.is_empty() {
                        None
                    } else {
                        Some(child(self.pages, &h, i)?)
                    };
                    stack.push((h, i));
                    match next {
                        Some(n) => h = n,
                        None => break,
                    }
                }
            }
        }
        Ok(Cursor {
            pages: self.pages,
            stack,
            failed: false,
        })
    }

    /// Keys of every entry, in order (values are not copied).
    pub fn keys(&self) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        let mut c = self.iter()?;
        while let Some(k) = c.next_key()? {
            out.push(k);
        }
        Ok(out)
    }

    /// True when the bucket holds no entry.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.iter()?.next_key()?.is_none())
    }
}

/// An ordered cursor over a bucket; yields `(key, entry)`.
#[derive(Debug)]
pub struct Cursor<'a> {
    pages: &'a Pages,
    stack: Vec<(NodeHandle<'a>, usize)>,
    failed: bool,
}

impl<'a> Cursor<'a> {
    /// Moves to the next leaf element and returns its node and index.
    fn advance(&mut self) -> Result<Option<(NodeHandle<'a>, usize)>> {
        loop {
            let Some((node, idx)) = self.stack.last().cloned() else {
                return Ok(None);
            };
            if idx >= node.len() {
                self.stack.pop();
                if let Some(parent) = self.stack.last_mut() {
                    parent.1 += 1;
                }
                continue;
            }
            if node.is_leaf() {
                if let Some(top) = self.stack.last_mut() {
                    top.1 += 1;
                }
                return Ok(Some((node, idx)));
            }
            if self.stack.len() >= MAX_DEPTH {
                return Err(self.pages.corrupt("tree deeper than 64 levels"));
            }
            let c = child(self.pages, &node, idx)?;
            self.stack.push((c, 0));
        }
    }

    /// The next key, without copying its value.
    pub fn next_key(&mut self) -> Result<Option<Vec<u8>>> {
        Ok(self.advance()?.map(|(n, i)| leaf_items(&n)[i].key.clone()))
    }

    /// The next key and its nested bucket, if it is one (plain values are skipped).
    pub fn next_bucket(&mut self) -> Result<Option<(Vec<u8>, Bucket<'a>)>> {
        while let Some((n, i)) = self.advance()? {
            if let Some(b) = sub_bucket(self.pages, &n, i)? {
                return Ok(Some((leaf_items(&n)[i].key.clone(), b)));
            }
        }
        Ok(None)
    }
}

impl Iterator for Cursor<'_> {
    type Item = Result<(Vec<u8>, Entry)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        match self.advance() {
            Ok(Some((n, i))) => {
                let item = &leaf_items(&n)[i];
                let e = match &item.val {
                    LeafVal::Value(v) => Entry::Value(v.clone()),
                    LeafVal::Bucket(_) => Entry::Bucket,
                };
                Some(Ok((item.key.clone(), e)))
            }
            Ok(None) => None,
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// A read-only transaction: a consistent snapshot, held under a shared
/// `flock` so that no writer changes the file meanwhile.
#[derive(Debug)]
pub struct ReadTx {
    pub(crate) pages: Pages,
    pub(crate) root: NodeRef,
    pub(crate) txid: u64,
}

impl ReadTx {
    /// The root bucket, whose nested buckets are the top-level buckets.
    pub fn root(&self) -> Bucket<'_> {
        Bucket {
            pages: &self.pages,
            root: RootRef::Ref(&self.root),
        }
    }

    /// The top-level bucket `name`.
    pub fn bucket(&self, name: &[u8]) -> Result<Option<Bucket<'_>>> {
        self.root().bucket(name)
    }

    /// The ID of the commit this snapshot shows.
    pub fn txid(&self) -> u64 {
        self.txid
    }
}
