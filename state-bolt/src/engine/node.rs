//! In-memory B+tree nodes: a page as decoded, or a node a write
//! transaction changed (copy-on-write: a changed node is written to new
//! pages at commit and its old pages are freed).

use super::format::{BUCKET_HEADER_SIZE, ELEMENT_SIZE, PAGE_HEADER_SIZE};

/// A page ID.
pub type Pgid = u64;

/// A run of pages: a page and its overflow pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First page.
    pub pgid: Pgid,
    /// Number of pages after the first.
    pub overflow: u32,
}

/// A branch or leaf node.
#[derive(Debug, Clone)]
pub struct Node {
    /// The elements.
    pub kind: NodeKind,
    /// Pages this node's content came from; freed when it is rewritten.
    pub spans: Vec<Span>,
}

/// A node's elements.
#[derive(Debug, Clone)]
pub enum NodeKind {
    /// Key/value pairs and sub-buckets, ascending by key.
    Leaf(Vec<LeafItem>),
    /// Children, ascending by their first key.
    Branch(Vec<BranchChild>),
}

/// One leaf element.
#[derive(Debug, Clone)]
pub struct LeafItem {
    /// The key.
    pub key: Vec<u8>,
    /// A value or a sub-bucket.
    pub val: LeafVal,
}

/// A leaf element's value.
#[derive(Debug, Clone)]
pub enum LeafVal {
    /// Plain bytes.
    Value(Vec<u8>),
    /// A nested bucket.
    Bucket(BucketVal),
}

/// A nested bucket as stored, or opened for writing.
#[derive(Debug, Clone)]
pub enum BucketVal {
    /// The on-disk value: bucket header, plus the page of an inline bucket.
    Raw(Vec<u8>),
    /// Opened by a write transaction.
    Open(Box<BucketState>),
}

/// A bucket opened by a write transaction.
#[derive(Debug, Clone)]
pub struct BucketState {
    /// The root node.
    pub root: NodeRef,
    /// The bucket's sequence number.
    pub sequence: u64,
}

/// One branch element.
#[derive(Debug, Clone)]
pub struct BranchChild {
    /// The child's first key (or a key at most that).
    pub key: Vec<u8>,
    /// The child.
    pub node: NodeRef,
}

/// A child node: still on disk, or loaded into memory for change.
#[derive(Debug, Clone)]
pub enum NodeRef {
    /// Unchanged, on this page.
    Page(Pgid),
    /// Loaded and possibly changed.
    Mem(Box<Node>),
}

impl Node {
    /// An empty leaf.
    pub fn empty_leaf() -> Node {
        Node {
            kind: NodeKind::Leaf(Vec::new()),
            spans: Vec::new(),
        }
    }

    /// True for a leaf.
    pub fn is_leaf(&self) -> bool {
        matches!(self.kind, NodeKind::Leaf(_))
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        match &self.kind {
            NodeKind::Leaf(items) => items.len(),
            NodeKind::Branch(children) => children.len(),
        }
    }

    /// Fewest elements a node of this kind should keep (bbolt's minKeys).
    pub fn min_keys(&self) -> usize {
        if self.is_leaf() { 1 } else { 2 }
    }

    /// Approximate encoded size (open sub-buckets count as their header).
    pub fn size(&self) -> usize {
        PAGE_HEADER_SIZE
            + match &self.kind {
                NodeKind::Leaf(items) => items.iter().map(LeafItem::size).sum::<usize>(),
                NodeKind::Branch(children) => {
                    children.iter().map(|c| ELEMENT_SIZE + c.key.len()).sum()
                }
            }
    }

    /// Index of the child to descend into for `key`: the last child whose
    /// key is at most `key`, or the first.
    pub fn child_index(children: &[BranchChild], key: &[u8]) -> usize {
        children
            .partition_point(|c| c.key.as_slice() <= key)
            .saturating_sub(1)
    }
}

impl LeafItem {
    /// Approximate encoded size of the element (open sub-buckets count as their header).
    pub fn size(&self) -> usize {
        ELEMENT_SIZE
            + self.key.len()
            + match &self.val {
                LeafVal::Value(v) => v.len(),
                LeafVal::Bucket(BucketVal::Raw(v)) => v.len(),
                LeafVal::Bucket(BucketVal::Open(_)) => BUCKET_HEADER_SIZE,
            }
    }

    /// True when the value is a sub-bucket.
    pub fn is_bucket(&self) -> bool {
        matches!(self.val, LeafVal::Bucket(_))
    }
}
