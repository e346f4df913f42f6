//! Commit: rebalance (merge under-filled nodes with a sibling), spill (split
//! over-full nodes and write every changed node to newly allocated pages,
//! inline small buckets), write the freelist, fsync, then write and fsync the
//! meta page.

use std::collections::BTreeSet;
use std::fs::File;
use std::os::unix::fs::FileExt;

use super::format::{self, ELEMENT_SIZE, Meta, PAGE_HEADER_SIZE};
use super::node::{
    BranchChild, BucketState, BucketVal, LeafItem, LeafVal, Node, NodeKind, NodeRef, Pgid, Span,
};
use super::pages::Pages;
use super::write::materialize;
use super::{BoltError, Result};

/// State of one commit.
#[derive(Debug)]
pub(crate) struct Committer<'p> {
    pages: &'p Pages,
    page_size: usize,
    /// Pages free before this transaction: may be reused now.
    free: BTreeSet<Pgid>,
    /// Pages this transaction freed: reusable from the next commit on.
    pending: Vec<Pgid>,
    hwm: Pgid,
    writes: Vec<(Pgid, Vec<u8>)>,
}

impl<'p> Committer<'p> {
    pub(crate) fn new(pages: &'p Pages, hwm: Pgid, free: Vec<Pgid>) -> Self {
        Committer {
            pages,
            page_size: pages.page_size,
            free: free.into_iter().collect(),
            pending: Vec::new(),
            hwm,
            writes: Vec::new(),
        }
    }

    pub(crate) fn hwm(&self) -> Pgid {
        self.hwm
    }

    pub(crate) fn free_span(&mut self, s: Span) {
        for i in 0..=u64::from(s.overflow) {
            self.pending.push(s.pgid + i);
        }
    }

    /// `n` contiguous pages: the lowest free run, or new pages at the end.
    fn allocate(&mut self, n: usize) -> Pgid {
        let n = n as u64;
        let mut run_start = 0;
        let mut run_len = 0;
        let mut found = None;
        for &p in &self.free {
            if run_len > 0 && p == run_start + run_len {
                run_len += 1;
            } else {
                run_start = p;
                run_len = 1;
            }
            if run_len == n {
                found = Some(run_start);
                break;
            }
        }
        match found {
            Some(start) => {
                for p in start..start + n {
                    self.free.remove(&p);
                }
                start
            }
            None => {
                let start = self.hwm;
                self.hwm += n;
                start
            }
        }
    }

    /// Encodes `kind` onto newly allocated pages.
    fn write_node(&mut self, kind: &NodeKind) -> Result<Pgid> {
        let probe =
            format::encode_node(kind, 0, Some(self.page_size)).map_err(|e| self.internal(e.0))?;
        let n = probe.len() / self.page_size;
        let pgid = self.allocate(n);
        let mut buf = probe;
        buf[..8].copy_from_slice(&pgid.to_le_bytes());
        self.writes.push((pgid, buf));
        Ok(pgid)
    }

    fn internal(&self, detail: String) -> BoltError {
        self.pages.corrupt(format!("while committing: {detail}"))
    }

    fn underfilled(&self, n: &Node) -> bool {
        n.size() < self.page_size / 4 || n.len() < n.min_keys()
    }

    /// Merges under-filled changed children of `node` (recursively, bottom up)
    /// with a sibling.
    fn rebalance(&mut self, node: &mut Node, level: usize) -> Result<()> {
        if level > super::read::MAX_DEPTH {
            return Err(self.pages.corrupt("tree deeper than 64 levels"));
        }
        let NodeKind::Branch(children) = &mut node.kind else {
            return Ok(());
        };
        for c in children.iter_mut() {
            if let NodeRef::Mem(n) = &mut c.node {
                self.rebalance(n, level + 1)?;
            }
        }
        let mut i = 0;
        while i < children.len() && children.len() > 1 {
            let under = match &children[i].node {
                NodeRef::Mem(n) => self.underfilled(n),
                NodeRef::Page(_) => false,
            };
            if !under {
                i += 1;
                continue;
            }
            let (l, r) = if i + 1 < children.len() {
                (i, i + 1)
            } else {
                (i - 1, i)
            };
            materialize(&mut children[l].node, self.pages)?;
            materialize(&mut children[r].node, self.pages)?;
            let right = children.remove(r);
            let NodeRef::Mem(right) = right.node else {
                return Err(self.internal("sibling did not load".into()));
            };
            let NodeRef::Mem(left) = &mut children[l].node else {
                return Err(self.internal("sibling did not load".into()));
            };
            let right = *right;
            left.spans.extend(right.spans);
            match (&mut left.kind, right.kind) {
                (NodeKind::Leaf(a), NodeKind::Leaf(b)) => a.extend(b),
                (NodeKind::Branch(a), NodeKind::Branch(b)) => a.extend(b),
                _ => return Err(self.pages.corrupt("siblings of different kinds")),
            }
            i = l;
        }
        Ok(())
    }

    /// Writes a bucket's changed nodes and returns the bucket's value:
    /// its header, followed by its page when it is small enough to inline.
    pub(crate) fn spill_bucket(&mut self, st: BucketState, inline_ok: bool) -> Result<Vec<u8>> {
        let seq = st.sequence;
        let mut node = match st.root {
            NodeRef::Page(p) => return Ok(format::encode_bucket_header(p, seq)),
            NodeRef::Mem(n) => *n,
        };
        self.rebalance(&mut node, 0)?;
        // A root branch with one child hands the root to that child.
        while let NodeKind::Branch(children) = &mut node.kind {
            match children.len() {
                0 => {
                    for s in std::mem::take(&mut node.spans) {
                        self.free_span(s);
                    }
                    node = Node::empty_leaf();
                }
                1 => {
                    let only = children.remove(0).node;
                    for s in std::mem::take(&mut node.spans) {
                        self.free_span(s);
                    }
                    match only {
                        NodeRef::Mem(n) => node = *n,
                        NodeRef::Page(p) => {
                            let loaded = self.pages.node(p)?;
                            if inline_ok && self.inlineable(&loaded) {
                                node = (*loaded).clone();
                            } else {
                                return Ok(format::encode_bucket_header(p, seq));
                            }
                        }
                    }
                }
                _ => break,
            }
        }
        if inline_ok && self.inlineable(&node) {
            for s in std::mem::take(&mut node.spans) {
                self.free_span(s);
            }
            let mut value = format::encode_bucket_header(0, seq);
            let page = format::encode_node(&node.kind, 0, None).map_err(|e| self.internal(e.0))?;
            value.extend_from_slice(&page);
            return Ok(value);
        }
        let mut pairs = self.spill_node(node, 0)?;
        loop {
            match pairs.len() {
                0 => {
                    let pgid = self.write_node(&NodeKind::Leaf(Vec::new()))?;
                    return Ok(format::encode_bucket_header(pgid, seq));
                }
                1 => return Ok(format::encode_bucket_header(pairs[0].1, seq)),
                _ => {
                    let children = pairs
                        .into_iter()
                        .map(|(key, p)| BranchChild {
                            key,
                            node: NodeRef::Page(p),
                        })
                        .collect();
                    let branch = Node {
                        kind: NodeKind::Branch(children),
                        spans: Vec::new(),
                    };
                    pairs = self.spill_node(branch, 0)?;
                }
            }
        }
    }

    /// bbolt's rule: a leaf without sub-buckets of at most a quarter page.
    fn inlineable(&self, node: &Node) -> bool {
        let NodeKind::Leaf(items) = &node.kind else {
            return false;
        };
        if items.iter().any(LeafItem::is_bucket) {
            return false;
        }
        node.size() <= self.page_size / 4
    }

    /// Writes a changed node (and its changed descendants), split into
    /// page-sized pieces; returns each piece's first key and page.
    fn spill_node(&mut self, node: Node, level: usize) -> Result<Vec<(Vec<u8>, Pgid)>> {
        if level > super::read::MAX_DEPTH {
            return Err(self.pages.corrupt("tree deeper than 64 levels"));
        }
        for s in &node.spans {
            self.free_span(*s);
        }
        let mut out = Vec::new();
        match node.kind {
            NodeKind::Leaf(mut items) => {
                for it in &mut items {
                    if let LeafVal::Bucket(BucketVal::Open(_)) = &it.val {
                        let LeafVal::Bucket(BucketVal::Open(st)) =
                            std::mem::replace(&mut it.val, LeafVal::Value(Vec::new()))
                        else {
                            continue;
                        };
                        let raw = self.spill_bucket(*st, true)?;
                        it.val = LeafVal::Bucket(BucketVal::Raw(raw));
                    }
                }
                for chunk in self.split(items, LeafItem::size, 1) {
                    let key = chunk[0].key.clone();
                    let pgid = self.write_node(&NodeKind::Leaf(chunk))?;
                    out.push((key, pgid));
                }
            }
            NodeKind::Branch(children) => {
                let mut flat = Vec::with_capacity(children.len());
                for c in children {
                    match c.node {
                        NodeRef::Page(p) => flat.push(BranchChild {
                            key: c.key,
                            node: NodeRef::Page(p),
                        }),
                        NodeRef::Mem(n) => {
                            for (key, p) in self.spill_node(*n, level + 1)? {
                                flat.push(BranchChild {
                                    key,
                                    node: NodeRef::Page(p),
                                });
                            }
                        }
                    }
                }
                let size = |c: &BranchChild| ELEMENT_SIZE + c.key.len();
                for chunk in self.split(flat, size, 2) {
                    let key = chunk[0].key.clone();
                    let pgid = self.write_node(&NodeKind::Branch(chunk))?;
                    out.push((key, pgid));
                }
            }
        }
        Ok(out)
    }

    /// Cuts a node's elements into pieces: a node that fits a page (or has
    /// too few elements to split) stays whole; otherwise pieces are filled to
    /// half a page, each keeping at least `min_keys` elements.
    fn split<T>(&self, items: Vec<T>, size: impl Fn(&T) -> usize, min_keys: usize) -> Vec<Vec<T>> {
        if items.is_empty() {
            return Vec::new();
        }
        let sizes: Vec<usize> = items.iter().map(size).collect();
        let n = items.len();
        let mut suffix = vec![0usize; n + 1];
        for i in (0..n).rev() {
            suffix[i] = suffix[i + 1] + sizes[i];
        }
        let threshold = self.page_size / 2;
        let mut cuts = Vec::new();
        let mut start = 0;
        while PAGE_HEADER_SIZE + suffix[start] > self.page_size && n - start > 2 * min_keys {
            let mut sz = PAGE_HEADER_SIZE;
            let mut end = start;
            while end < n {
                if end - start >= min_keys && sz + sizes[end] > threshold {
                    break;
                }
                sz += sizes[end];
                end += 1;
            }
            let end = end.clamp(start + min_keys, n - min_keys);
            cuts.push(end);
            start = end;
        }
        let mut out = Vec::with_capacity(cuts.len() + 1);
        let mut iter = items.into_iter();
        let mut prev = 0;
        for cut in cuts {
            out.push(iter.by_ref().take(cut - prev).collect());
            prev = cut;
        }
        out.push(iter.collect());
        out
    }

    /// Allocates and encodes the freelist: every page free before this
    /// commit plus every page it freed.
    pub(crate) fn write_freelist(&mut self) -> Result<Pgid> {
        let count = self.free.len() + self.pending.len();
        let n = format::freelist_size(count).div_ceil(self.page_size);
        let pgid = self.allocate(n);
        let mut ids: Vec<Pgid> = self.free.iter().copied().collect();
        ids.extend(self.pending.iter().copied());
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        if ids.len() != before {
            return Err(self.internal("a page was freed twice".into()));
        }
        let buf = format::encode_freelist(pgid, &ids, n * self.page_size, self.page_size);
        self.writes.push((pgid, buf));
        Ok(pgid)
    }

    /// Writes the pages, fsyncs, writes the meta, fsyncs.
    pub(crate) fn flush(mut self, file: &File, meta: &Meta) -> Result<()> {
        let path = &self.pages.path;
        self.writes.sort_by_key(|(p, _)| *p);
        for (pgid, buf) in &self.writes {
            file.write_all_at(buf, pgid * self.page_size as u64)
                .map_err(|e| BoltError::io(path, e))?;
        }
        file.sync_data().map_err(|e| BoltError::io(path, e))?;
        let slot = meta.txid % 2;
        file.write_all_at(&meta.encode(slot), slot * self.page_size as u64)
            .map_err(|e| BoltError::io(path, e))?;
        file.sync_data().map_err(|e| BoltError::io(path, e))?;
        tracing::trace!(txid = meta.txid, pages = self.writes.len(), "bolt commit");
        Ok(())
    }
}
