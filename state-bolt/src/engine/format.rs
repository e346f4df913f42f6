//! The BoltDB on-disk format: meta pages, page headers, branch and leaf
//! elements, bucket headers and the freelist page, encoded and decoded
//! without `unsafe` (all integers little-endian, as bbolt writes them on
//! every platform Podman ships for).
//!
//! Every decoder here takes untrusted bytes and returns [`FormatError`] on
//! anything out of bounds; none of them panics (the fuzz target and a
//! proptest feed them random bytes).

use super::node::{BranchChild, LeafItem, LeafVal, Node, NodeKind, NodeRef, Pgid};

/// BoltDB's magic number, first field of both meta pages.
pub const MAGIC: u32 = 0xED0C_DAED;
/// The only file format version bbolt writes.
pub const VERSION: u32 = 2;
/// Page size of every file this crate creates.
pub const DEFAULT_PAGE_SIZE: usize = 4096;
/// Size of a page header: id u64, flags u16, count u16, overflow u32.
pub const PAGE_HEADER_SIZE: usize = 16;
/// Size of a branch or leaf element.
pub const ELEMENT_SIZE: usize = 16;
/// Size of the bucket header stored in a bucket's value: root u64, sequence u64.
pub const BUCKET_HEADER_SIZE: usize = 16;
/// Size of the meta structure that follows a meta page's header.
pub const META_SIZE: usize = 64;
/// Offset of the checksum inside the meta structure.
const META_CHECKSUM_OFFSET: usize = 56;
/// Freelist pgid meaning "no freelist was written" (bbolt `NoFreelistSync`).
pub const NO_FREELIST: Pgid = u64::MAX;
/// Largest key bbolt accepts.
pub const MAX_KEY_SIZE: usize = 32_768;
/// Largest value bbolt accepts.
pub const MAX_VALUE_SIZE: usize = (1 << 31) - 2;

/// Page flag: a branch page.
pub const FLAG_BRANCH: u16 = 0x01;
/// Page flag: a leaf page.
pub const FLAG_LEAF: u16 = 0x02;
/// Page flag: a meta page.
pub const FLAG_META: u16 = 0x04;
/// Page flag: a freelist page.
pub const FLAG_FREELIST: u16 = 0x10;
/// Leaf element flag: the value is a bucket.
pub const LEAF_FLAG_BUCKET: u32 = 0x01;

/// What is wrong with a piece of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

impl FormatError {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        FormatError(msg.into())
    }
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

type FResult<T> = Result<T, FormatError>;

fn u16_at(b: &[u8], off: usize) -> FResult<u16> {
    b.get(off..off + 2)
        .and_then(|s| s.try_into().ok())
        .map(u16::from_le_bytes)
        .ok_or_else(|| FormatError::new(format!("read past the end at offset {off}")))
}

fn u32_at(b: &[u8], off: usize) -> FResult<u32> {
    b.get(off..off + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| FormatError::new(format!("read past the end at offset {off}")))
}

fn u64_at(b: &[u8], off: usize) -> FResult<u64> {
    b.get(off..off + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or_else(|| FormatError::new(format!("read past the end at offset {off}")))
}

fn put_u16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}

fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

/// 64-bit FNV-1a, bbolt's meta checksum.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A page header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageHeader {
    /// The page's own ID.
    pub id: Pgid,
    /// Branch, leaf, meta or freelist.
    pub flags: u16,
    /// Number of elements (0xFFFF on a large freelist: see [`parse_freelist`]).
    pub count: u16,
    /// Number of extra pages that follow this one.
    pub overflow: u32,
}

/// Decodes the header at the start of `buf`.
pub fn parse_header(buf: &[u8]) -> FResult<PageHeader> {
    Ok(PageHeader {
        id: u64_at(buf, 0)?,
        flags: u16_at(buf, 8)?,
        count: u16_at(buf, 10)?,
        overflow: u32_at(buf, 12)?,
    })
}

fn write_header(buf: &mut [u8], h: PageHeader) {
    put_u64(buf, 0, h.id);
    put_u16(buf, 8, h.flags);
    put_u16(buf, 10, h.count);
    put_u32(buf, 12, h.overflow);
}

/// The contents of a meta page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// Page size of the file.
    pub page_size: u32,
    /// Meta flags (always 0).
    pub flags: u32,
    /// Root page of the root bucket.
    pub root: Pgid,
    /// The root bucket's sequence.
    pub sequence: u64,
    /// First page of the freelist, or [`NO_FREELIST`].
    pub freelist: Pgid,
    /// High water mark: the number of pages in use (the next never-used page ID).
    pub hwm: Pgid,
    /// Transaction ID of the commit that wrote this meta.
    pub txid: u64,
}

impl Meta {
    /// Decodes and validates (magic, version, checksum, bounds) the meta
    /// page in `page`, which starts with the page header.
    pub fn decode(page: &[u8]) -> FResult<Meta> {
        let m = page
            .get(PAGE_HEADER_SIZE..PAGE_HEADER_SIZE + META_SIZE)
            .ok_or_else(|| FormatError::new("meta page is truncated"))?;
        let magic = u32_at(m, 0)?;
        if magic != MAGIC {
            return Err(FormatError::new(format!(
                "bad magic {magic:#010x} (not a BoltDB file)"
            )));
        }
        let version = u32_at(m, 4)?;
        if version != VERSION {
            return Err(FormatError::new(format!(
                "unsupported BoltDB version {version} (want {VERSION})"
            )));
        }
        let checksum = u64_at(m, META_CHECKSUM_OFFSET)?;
        let want = fnv1a64(&m[..META_CHECKSUM_OFFSET]);
        if checksum != want {
            return Err(FormatError::new("meta checksum mismatch"));
        }
        let meta = Meta {
            page_size: u32_at(m, 8)?,
            flags: u32_at(m, 12)?,
            root: u64_at(m, 16)?,
            sequence: u64_at(m, 24)?,
            freelist: u64_at(m, 32)?,
            hwm: u64_at(m, 40)?,
            txid: u64_at(m, 48)?,
        };
        let ps = meta.page_size as usize;
        if !(512..=(1 << 20)).contains(&ps) || !ps.is_power_of_two() {
            return Err(FormatError::new(format!("invalid page size {ps}")));
        }
        if meta.hwm < 4 {
            return Err(FormatError::new(format!(
                "high water mark {} is below 4",
                meta.hwm
            )));
        }
        if meta.root < 2 || meta.root >= meta.hwm {
            return Err(FormatError::new(format!(
                "root page {} outside 2..{}",
                meta.root, meta.hwm
            )));
        }
        if meta.freelist != NO_FREELIST && (meta.freelist < 2 || meta.freelist >= meta.hwm) {
            return Err(FormatError::new(format!(
                "freelist page {} outside 2..{}",
                meta.freelist, meta.hwm
            )));
        }
        Ok(meta)
    }

    /// Encodes this meta as a full page with ID `pgid` (0 or 1).
    pub fn encode(&self, pgid: Pgid) -> Vec<u8> {
        let ps = self.page_size as usize;
        let mut page = vec![0u8; ps.max(PAGE_HEADER_SIZE + META_SIZE)];
        write_header(
            &mut page,
            PageHeader {
                id: pgid,
                flags: FLAG_META,
                count: 0,
                overflow: 0,
            },
        );
        let m = &mut page[PAGE_HEADER_SIZE..PAGE_HEADER_SIZE + META_SIZE];
        put_u32(m, 0, MAGIC);
        put_u32(m, 4, VERSION);
        put_u32(m, 8, self.page_size);
        put_u32(m, 12, self.flags);
        put_u64(m, 16, self.root);
        put_u64(m, 24, self.sequence);
        put_u64(m, 32, self.freelist);
        put_u64(m, 40, self.hwm);
        put_u64(m, 48, self.txid);
        let sum = fnv1a64(&m[..META_CHECKSUM_OFFSET]);
        put_u64(m, META_CHECKSUM_OFFSET, sum);
        page
    }
}

/// Decodes a branch or leaf page (header plus elements plus data, overflow
/// pages included) into a `Node`. Keys must be strictly ascending.
pub fn parse_node(buf: &[u8]) -> FResult<Node> {
    let h = parse_header(buf)?;
    let count = usize::from(h.count);
    let elems_end = PAGE_HEADER_SIZE + count * ELEMENT_SIZE;
    if elems_end > buf.len() {
        return Err(FormatError::new(format!(
            "{count} elements do not fit in a {}-byte page",
            buf.len()
        )));
    }
    let slice = |off: usize, len: usize| -> FResult<&[u8]> {
        off.checked_add(len)
            .and_then(|end| buf.get(off..end))
            .ok_or_else(|| {
                FormatError::new(format!(
                    "element data at {off}+{len} lies outside the {}-byte page",
                    buf.len()
                ))
            })
    };
    let kind = match h.flags {
        FLAG_LEAF => {
            let mut items = Vec::with_capacity(count);
            for i in 0..count {
                let e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
                let flags = u32_at(buf, e)?;
                let pos = u32_at(buf, e + 4)? as usize;
                let ksize = u32_at(buf, e + 8)? as usize;
                let vsize = u32_at(buf, e + 12)? as usize;
                let key = slice(e + pos, ksize)?.to_vec();
                let value = slice(e + pos + ksize, vsize)?.to_vec();
                let val = if flags & LEAF_FLAG_BUCKET != 0 {
                    if value.len() < BUCKET_HEADER_SIZE {
                        return Err(FormatError::new(format!(
                            "bucket value of {} bytes is shorter than its header",
                            value.len()
                        )));
                    }
                    LeafVal::Bucket(super::node::BucketVal::Raw(value))
                } else {
                    LeafVal::Value(value)
                };
                items.push(LeafItem { key, val });
            }
            check_sorted(items.iter().map(|i| i.key.as_slice()))?;
            NodeKind::Leaf(items)
        }
        FLAG_BRANCH => {
            if count == 0 {
                return Err(FormatError::new("empty branch page"));
            }
            let mut children = Vec::with_capacity(count);
            for i in 0..count {
                let e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
                let pos = u32_at(buf, e)? as usize;
                let ksize = u32_at(buf, e + 4)? as usize;
                let pgid = u64_at(buf, e + 8)?;
                if pgid < 2 {
                    return Err(FormatError::new(format!(
                        "branch element points at meta page {pgid}"
                    )));
                }
                let key = slice(e + pos, ksize)?.to_vec();
                children.push(BranchChild {
                    key,
                    node: NodeRef::Page(pgid),
                });
            }
            check_sorted(children.iter().map(|c| c.key.as_slice()))?;
            NodeKind::Branch(children)
        }
        other => {
            return Err(FormatError::new(format!(
                "page has flags {other:#x}, expected a branch or leaf page"
            )));
        }
    };
    Ok(Node {
        kind,
        spans: Vec::new(),
    })
}

fn check_sorted<'a>(keys: impl Iterator<Item = &'a [u8]>) -> FResult<()> {
    let mut prev: Option<&[u8]> = None;
    for k in keys {
        if let Some(p) = prev
            && p >= k
        {
            return Err(FormatError::new("keys are not in ascending order"));
        }
        prev = Some(k);
    }
    Ok(())
}

/// Decodes a freelist page: the free page IDs it lists.
pub fn parse_freelist(buf: &[u8]) -> FResult<Vec<Pgid>> {
    let h = parse_header(buf)?;
    if h.flags != FLAG_FREELIST {
        return Err(FormatError::new(format!(
            "page has flags {:#x}, expected a freelist page",
            h.flags
        )));
    }
    let (start, count) = if h.count == 0xFFFF {
        (
            PAGE_HEADER_SIZE + 8,
            usize::try_from(u64_at(buf, PAGE_HEADER_SIZE)?).unwrap_or(usize::MAX),
        )
    } else {
        (PAGE_HEADER_SIZE, usize::from(h.count))
    };
    let room = buf.len().saturating_sub(start) / 8;
    if count > room {
        return Err(FormatError::new(format!(
            "freelist of {count} IDs does not fit in its {}-byte page",
            buf.len()
        )));
    }
    (0..count).map(|i| u64_at(buf, start + i * 8)).collect()
}

/// Bytes a freelist page of `count` IDs needs.
pub fn freelist_size(count: usize) -> usize {
    let extra = if count >= 0xFFFF { 8 } else { 0 };
    PAGE_HEADER_SIZE + extra + count * 8
}

/// Encodes a freelist page holding `ids` (sorted) into `len` bytes.
pub fn encode_freelist(id: Pgid, ids: &[Pgid], len: usize, page_size: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    let (count, start) = if ids.len() >= 0xFFFF {
        put_u64(&mut buf, PAGE_HEADER_SIZE, ids.len() as u64);
        (0xFFFF, PAGE_HEADER_SIZE + 8)
    } else {
        (ids.len() as u16, PAGE_HEADER_SIZE)
    };
    write_header(
        &mut buf,
        PageHeader {
            id,
            flags: FLAG_FREELIST,
            count,
            overflow: overflow_of(len, page_size),
        },
    );
    for (i, pg) in ids.iter().enumerate() {
        put_u64(&mut buf, start + i * 8, *pg);
    }
    buf
}

fn overflow_of(len: usize, page_size: usize) -> u32 {
    u32::try_from(len.div_ceil(page_size).saturating_sub(1)).unwrap_or(u32::MAX)
}

/// A decoded bucket value.
#[derive(Debug, Clone)]
pub struct BucketHeader {
    /// Root page, or 0 for an inline bucket.
    pub root: Pgid,
    /// The bucket's sequence number.
    pub sequence: u64,
}

/// Decodes a bucket value: its header, and for an inline bucket the leaf
/// node stored after it.
pub fn parse_bucket_value(value: &[u8]) -> FResult<(BucketHeader, Option<Node>)> {
    let header = BucketHeader {
        root: u64_at(value, 0)?,
        sequence: u64_at(value, 8)?,
    };
    if header.root != 0 {
        if header.root < 2 {
            return Err(FormatError::new(format!(
                "bucket root points at meta page {}",
                header.root
            )));
        }
        return Ok((header, None));
    }
    let page = &value[BUCKET_HEADER_SIZE..];
    let node = parse_node(page)?;
    if !matches!(node.kind, NodeKind::Leaf(_)) {
        return Err(FormatError::new("inline bucket is not a leaf page"));
    }
    Ok((header, Some(node)))
}

/// Encodes a bucket header.
pub fn encode_bucket_header(root: Pgid, sequence: u64) -> Vec<u8> {
    let mut v = vec![0u8; BUCKET_HEADER_SIZE];
    put_u64(&mut v, 0, root);
    put_u64(&mut v, 8, sequence);
    v
}

/// Encodes a leaf or branch node (whose sub-buckets are already encoded as
/// raw values) as a page with ID `id`. With `page_size` the buffer is padded
/// to whole pages and the overflow count set; with `None` it is exact (an
/// inline bucket's page).
pub fn encode_node(kind: &NodeKind, id: Pgid, page_size: Option<usize>) -> FResult<Vec<u8>> {
    let size = encoded_size(kind)?;
    let len = match page_size {
        Some(ps) => size.div_ceil(ps) * ps,
        None => size,
    };
    let mut buf = vec![0u8; len];
    let (flags, count) = match kind {
        NodeKind::Leaf(items) => (FLAG_LEAF, items.len()),
        NodeKind::Branch(children) => (FLAG_BRANCH, children.len()),
    };
    let count16 = u16::try_from(count)
        .map_err(|_| FormatError::new(format!("{count} elements overflow one page")))?;
    write_header(
        &mut buf,
        PageHeader {
            id,
            flags,
            count: count16,
            overflow: page_size.map_or(0, |ps| overflow_of(len, ps)),
        },
    );
    let mut data = PAGE_HEADER_SIZE + count * ELEMENT_SIZE;
    match kind {
        NodeKind::Leaf(items) => {
            for (i, item) in items.iter().enumerate() {
                let e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
                let (flag, value): (u32, &[u8]) = match &item.val {
                    LeafVal::Value(v) => (0, v),
                    LeafVal::Bucket(super::node::BucketVal::Raw(v)) => (LEAF_FLAG_BUCKET, v),
                    LeafVal::Bucket(super::node::BucketVal::Open(_)) => {
                        return Err(FormatError::new("an open bucket was not spilled"));
                    }
                };
                put_u32(&mut buf, e, flag);
                put_u32(&mut buf, e + 4, (data - e) as u32);
                put_u32(&mut buf, e + 8, item.key.len() as u32);
                put_u32(&mut buf, e + 12, value.len() as u32);
                buf[data..data + item.key.len()].copy_from_slice(&item.key);
                data += item.key.len();
                buf[data..data + value.len()].copy_from_slice(value);
                data += value.len();
            }
        }
        NodeKind::Branch(children) => {
            for (i, child) in children.iter().enumerate() {
                let e = PAGE_HEADER_SIZE + i * ELEMENT_SIZE;
                let NodeRef::Page(pgid) = child.node else {
                    return Err(FormatError::new("a branch child was not spilled"));
                };
                put_u32(&mut buf, e, (data - e) as u32);
                put_u32(&mut buf, e + 4, child.key.len() as u32);
                put_u64(&mut buf, e + 8, pgid);
                buf[data..data + child.key.len()].copy_from_slice(&child.key);
                data += child.key.len();
            }
        }
    }
    Ok(buf)
}

/// Exact encoded size of a node whose sub-buckets are raw.
fn encoded_size(kind: &NodeKind) -> FResult<usize> {
    let mut size = PAGE_HEADER_SIZE;
    match kind {
        NodeKind::Leaf(items) => {
            for item in items {
                let vlen = match &item.val {
                    LeafVal::Value(v) => v.len(),
                    LeafVal::Bucket(super::node::BucketVal::Raw(v)) => v.len(),
                    LeafVal::Bucket(super::node::BucketVal::Open(_)) => {
                        return Err(FormatError::new("an open bucket was not spilled"));
                    }
                };
                size += ELEMENT_SIZE + item.key.len() + vlen;
            }
        }
        NodeKind::Branch(children) => {
            for c in children {
                size += ELEMENT_SIZE + c.key.len();
            }
        }
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_matches_known_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn meta_round_trips_and_detects_damage() {
        let m = Meta {
            page_size: 4096,
            flags: 0,
            root: 3,
            sequence: 7,
            freelist: 2,
            hwm: 4,
            txid: 9,
        };
        let mut page = m.encode(1);
        assert_eq!(Meta::decode(&page).unwrap(), m);
        assert_eq!(parse_header(&page).unwrap().flags, FLAG_META);
        page[PAGE_HEADER_SIZE + 50] ^= 1;
        assert!(Meta::decode(&page).unwrap_err().0.contains("checksum"));
    }

    #[test]
    fn leaf_round_trip_with_pos_relative_to_element() {
        let kind = NodeKind::Leaf(vec![
            LeafItem {
                key: b"a".to_vec(),
                val: LeafVal::Value(b"xyz".to_vec()),
            },
            LeafItem {
                key: b"b".to_vec(),
                val: LeafVal::Value(Vec::new()),
            },
        ]);
        let page = encode_node(&kind, 5, Some(4096)).unwrap();
        assert_eq!(page.len(), 4096);
        // First element's data starts right after both elements: 32 bytes after it.
        assert_eq!(u32_at(&page, PAGE_HEADER_SIZE + 4).unwrap(), 32);
        let back = parse_node(&page).unwrap();
        let NodeKind::Leaf(items) = back.kind else {
            panic!("not a leaf")
        };
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[0].val, LeafVal::Value(v) if v == b"xyz"));
    }

    #[test]
    fn freelist_round_trip_small_and_large() {
        for n in [0usize, 3, 0xFFFF, 70_000] {
            let ids: Vec<Pgid> = (10..10 + n as u64).collect();
            let len = freelist_size(n).div_ceil(4096) * 4096;
            let page = encode_freelist(2, &ids, len, 4096);
            assert_eq!(parse_freelist(&page).unwrap(), ids);
        }
    }
}
