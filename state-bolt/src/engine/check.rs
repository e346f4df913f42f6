//! Whole-file consistency check: every page below the high water mark is
//! used exactly once (by a bucket's tree, the freelist or as free), keys
//! ascend within and across pages, and every bucket parses.

use super::format::NO_FREELIST;
use super::node::{BucketVal, LeafVal, Node, NodeKind, NodeRef, Pgid, Span};
use super::pages::Pages;
use super::read::MAX_DEPTH;
use super::{Meta, Result, format};

/// What a check found in a healthy file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckStats {
    /// Transaction ID of the checked snapshot.
    pub txid: u64,
    /// Pages below the high water mark (meta pages included).
    pub pages: u64,
    /// Free pages.
    pub free_pages: u64,
    /// Buckets, the root bucket included.
    pub buckets: u64,
    /// Plain key/value pairs.
    pub keys: u64,
}

const UNSEEN: u8 = 0;
const USED: u8 = 1;
const FREE: u8 = 2;

struct Walker<'p> {
    pages: &'p Pages,
    seen: Vec<u8>,
    stats: CheckStats,
}

impl Walker<'_> {
    fn mark(&mut self, s: Span, how: u8) -> Result<()> {
        for p in s.pgid..=s.pgid.saturating_add(u64::from(s.overflow)) {
            let slot = self
                .seen
                .get_mut(p as usize)
                .ok_or_else(|| self.pages.corrupt(format!("page {p} is past the end")))?;
            if *slot != UNSEEN {
                return Err(self.pages.corrupt(format!("page {p} is used twice")));
            }
            *slot = how;
        }
        Ok(())
    }

    fn bucket_value(&mut self, raw: &[u8], depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(self.pages.corrupt("buckets nested deeper than 64 levels"));
        }
        self.stats.buckets += 1;
        let (h, inline) = format::parse_bucket_value(raw)
            .map_err(|e| self.pages.corrupt(format!("bucket value: {e}")))?;
        match inline {
            Some(node) => self.items(&node, None, None, depth),
            None => self.node(h.root, None, None, 0, depth),
        }
    }

    fn items(
        &mut self,
        node: &Node,
        lower: Option<&[u8]>,
        upper: Option<&[u8]>,
        depth: usize,
    ) -> Result<()> {
        let NodeKind::Leaf(items) = &node.kind else {
            return Err(self.pages.corrupt("expected a leaf"));
        };
        for it in items {
            if lower.is_some_and(|l| it.key.as_slice() < l)
                || upper.is_some_and(|u| it.key.as_slice() >= u)
            {
                return Err(self
                    .pages
                    .corrupt("a key lies outside the range its branch assigns"));
            }
            match &it.val {
                LeafVal::Value(_) => self.stats.keys += 1,
                LeafVal::Bucket(BucketVal::Raw(raw)) => self.bucket_value(raw, depth + 1)?,
                LeafVal::Bucket(BucketVal::Open(_)) => {
                    return Err(self.pages.corrupt("open bucket in a stored page"));
                }
            }
        }
        Ok(())
    }

    fn node(
        &mut self,
        pgid: Pgid,
        lower: Option<&[u8]>,
        upper: Option<&[u8]>,
        level: usize,
        depth: usize,
    ) -> Result<()> {
        if level > MAX_DEPTH {
            return Err(self.pages.corrupt("tree deeper than 64 levels"));
        }
        let node = self.pages.node(pgid)?;
        for s in &node.spans {
            self.mark(*s, USED)?;
        }
        match &node.kind {
            NodeKind::Leaf(_) => self.items(&node, lower, upper, depth),
            NodeKind::Branch(children) => {
                for (i, c) in children.iter().enumerate() {
                    let lo = if i == 0 {
                        lower
                    } else {
                        Some(c.key.as_slice())
                    };
                    let hi = children.get(i + 1).map(|n| n.key.as_slice()).or(upper);
                    let NodeRef::Page(p) = c.node else {
                        return Err(self.pages.corrupt("changed node in a stored page"));
                    };
                    self.node(p, lo, hi, level + 1, depth)?;
                }
                Ok(())
            }
        }
    }
}

/// Checks the snapshot `meta` of `pages`.
pub(crate) fn check(pages: &Pages, meta: &Meta) -> Result<CheckStats> {
    let hwm = usize::try_from(meta.hwm).map_err(|_| pages.corrupt("absurd high water mark"))?;
    let mut w = Walker {
        pages,
        seen: vec![UNSEEN; hwm],
        stats: CheckStats {
            txid: meta.txid,
            pages: meta.hwm,
            buckets: 1,
            ..Default::default()
        },
    };
    w.seen[0] = USED;
    w.seen[1] = USED;
    w.node(meta.root, None, None, 0, 0)?;
    let has_freelist = meta.freelist != NO_FREELIST;
    if has_freelist {
        let (ids, span) = pages.freelist(meta.freelist)?;
        w.mark(span, USED)?;
        for id in ids {
            w.mark(
                Span {
                    pgid: id,
                    overflow: 0,
                },
                FREE,
            )?;
        }
    }
    for (p, s) in w.seen.iter().enumerate() {
        match *s {
            FREE => w.stats.free_pages += 1,
            UNSEEN if has_freelist => {
                return Err(pages.corrupt(format!("page {p} is neither in use nor free")));
            }
            UNSEEN => w.stats.free_pages += 1,
            _ => {}
        }
    }
    Ok(w.stats)
}

/// Every page reachable from the snapshot's root (for a file without a freelist).
pub(crate) fn reachable(pages: &Pages, meta: &Meta) -> Result<Vec<bool>> {
    let hwm = usize::try_from(meta.hwm).map_err(|_| pages.corrupt("absurd high water mark"))?;
    let mut w = Walker {
        pages,
        seen: vec![UNSEEN; hwm],
        stats: CheckStats::default(),
    };
    w.seen[0] = USED;
    w.seen[1] = USED;
    w.node(meta.root, None, None, 0, 0)?;
    Ok(w.seen.into_iter().map(|s| s != UNSEEN).collect())
}
