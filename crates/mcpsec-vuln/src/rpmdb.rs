//! The header blobs of rpm package databases in the formats older than
//! `rpmdb.sqlite`: the BerkeleyDB hash database `Packages` (RHEL/CentOS ≤ 8,
//! Amazon Linux 2, older SUSE) and rpm's own NDB `Packages.db` (SUSE since
//! 15 SP3 / Tumbleweed). Each yields `(instance, blob)` pairs; the blob is an
//! rpm header (index + data, no lead) parsed by [`crate::rootfs::rpm_header`].
//!
//! Both readers work on a byte slice, never panic and bound what they
//! allocate: pages and offsets are checked against the input, overflow chains
//! against the page count, and the total of the returned blobs is at most
//! twice the input (each header is stored once; a forged file that points
//! many entries at the same pages stops there).

use thiserror::Error;

/// Largest single header blob accepted (rpm's own limit is 256 MiB for the
/// data part; real headers are a few KiB to a few MiB).
pub const MAX_HEADER_BLOB: usize = 64 << 20;

/// A database that cannot be read at all (one bad record is skipped instead).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RpmDbError {
    #[error("rpm BerkeleyDB Packages: {0}")]
    Bdb(String),
    #[error("rpm NDB Packages.db: {0}")]
    Ndb(String),
}

/// One record of a package database: rpm's header instance number and the
/// header blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderBlob {
    pub instance: u32,
    pub blob: Vec<u8>,
}

/// What a reader found: the header blobs and the records it skipped (with
/// the reason), in file order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Blobs {
    pub headers: Vec<HeaderBlob>,
    pub skipped: Vec<String>,
}

/// Which format a database file has, from its magic numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpmDbFormat {
    BerkeleyDbHash,
    Ndb,
}

/// Detects the BerkeleyDB hash or NDB format from the first bytes.
pub fn detect(bytes: &[u8]) -> Option<RpmDbFormat> {
    let magic = bytes.get(12..16)?;
    let le = u32::from_le_bytes([magic[0], magic[1], magic[2], magic[3]]);
    let be = u32::from_be_bytes([magic[0], magic[1], magic[2], magic[3]]);
    if le == HASH_MAGIC || be == HASH_MAGIC {
        return Some(RpmDbFormat::BerkeleyDbHash);
    }
    (bytes.get(0..4) == Some(&NDB_MAGIC.to_le_bytes()[..])).then_some(RpmDbFormat::Ndb)
}

// ------------------------------------------------------------ BerkeleyDB

const HASH_MAGIC: u32 = 0x0006_1561;
const BTREE_MAGIC: u32 = 0x0005_3162;
/// Size of the generic page header (`PAGE` in db_page.h).
const PAGE_HEADER: usize = 26;
/// Extra bytes after the page header when the file has page checksums.
const CHKSUM_EXTRA: usize = 6;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;
const DBMETA_CHKSUM: u8 = 0x01;

#[derive(Clone, Copy)]
struct Order {
    big: bool,
}

impl Order {
    fn u32(self, b: &[u8], o: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(o..o.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big {
            u32::from_be_bytes(s)
        } else {
            u32::from_le_bytes(s)
        })
    }
    fn u16(self, b: &[u8], o: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(o..o.checked_add(2)?)?.try_into().ok()?;
        Some(if self.big {
            u16::from_be_bytes(s)
        } else {
            u16::from_le_bytes(s)
        })
    }
}

/// Reads every key/data pair of a BerkeleyDB hash database (`Packages`),
/// following overflow pages, in page order. Record 0 (rpm's "next instance"
/// counter) is left out.
pub fn bdb_headers(bytes: &[u8]) -> Result<Blobs, RpmDbError> {
    let err = |m: &str| RpmDbError::Bdb(m.to_string());
    if bytes.len() < 512 {
        return Err(err("file shorter than one page (512 bytes)"));
    }
    let magic_le = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    let magic_be = u32::from_be_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
    let order = if magic_le == HASH_MAGIC {
        Order { big: false }
    } else if magic_be == HASH_MAGIC {
        Order { big: true }
    } else if magic_le == BTREE_MAGIC || magic_be == BTREE_MAGIC {
        return Err(err("a BerkeleyDB btree, not the hash database rpm uses"));
    } else {
        return Err(err("no BerkeleyDB hash magic at offset 12"));
    };
    let page_size = order.u32(bytes, 20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(RpmDbError::Bdb(format!("invalid page size {page_size}")));
    }
    // encrypt_alg (24) and metaflags (26) of the metadata page.
    if bytes[24] != 0 {
        return Err(err("encrypted databases are not supported"));
    }
    let data_start = PAGE_HEADER
        + if bytes[26] & DBMETA_CHKSUM != 0 {
            CHKSUM_EXTRA
        } else {
            0
        };
    let npages = bytes.len() / page_size;
    let page = |n: usize| -> Option<&[u8]> {
        let start = n.checked_mul(page_size)?;
        bytes.get(start..start.checked_add(page_size)?)
    };
    let budget = bytes.len().saturating_mul(2);
    let mut out = Blobs::default();
    let mut total = 0usize;
    for pno in 1..npages {
        let Some(p) = page(pno) else { break };
        let ty = p[25];
        if ty != P_HASH && ty != P_HASH_UNSORTED {
            continue;
        }
        let entries = order.u16(p, 20).unwrap_or(0) as usize;
        if data_start + entries * 2 > page_size {
            out.skipped
                .push(format!("page {pno}: {entries} entries do not fit the page"));
            continue;
        }
        let offset = |i: usize| order.u16(p, data_start + i * 2).map(usize::from);
        // The item at index i ends where the previous one starts (items grow
        // down from the end of the page).
        let item = |i: usize| -> Option<&[u8]> {
            let start = offset(i)?;
            let end = if i == 0 { page_size } else { offset(i - 1)? };
            (start >= data_start + entries * 2 && start < end && end <= page_size)
                .then(|| &p[start..end])
        };
        let mut i = 0;
        while i + 1 < entries {
            let (key, val) = (item(i), item(i + 1));
            i += 2;
            let (Some(key), Some(val)) = (key, val) else {
                out.skipped
                    .push(format!("page {pno} item {}: offsets out of bounds", i - 2));
                continue;
            };
            let instance = match key.first() {
                Some(&H_KEYDATA) if key.len() == 5 => order.u32(key, 1).unwrap_or(0),
                _ => {
                    out.skipped.push(format!(
                        "page {pno} item {}: key is not a 4-byte instance number",
                        i - 2
                    ));
                    continue;
                }
            };
            if instance == 0 {
                continue;
            }
            let blob = match val[0] {
                H_KEYDATA => Ok(val[1..].to_vec()),
                H_OFFPAGE => overflow(bytes, val, order, page_size, data_start, npages),
                t => Err(format!(
                    "data item of type {t} (duplicates are not used by rpm)"
                )),
            };
            match blob {
                Ok(blob) => {
                    total = total.saturating_add(blob.len());
                    if total > budget {
                        return Err(err(
                            "records add up to more than twice the file size (overlapping overflow chains)",
                        ));
                    }
                    out.headers.push(HeaderBlob { instance, blob });
                }
                Err(e) => out.skipped.push(format!("instance {instance}: {e}")),
            }
        }
    }
    Ok(out)
}

/// Follows an `HOFFPAGE` item (type, 3 unused bytes, first page, total
/// length) through its overflow pages.
fn overflow(
    bytes: &[u8],
    item: &[u8],
    order: Order,
    page_size: usize,
    data_start: usize,
    npages: usize,
) -> Result<Vec<u8>, String> {
    let mut pno = order.u32(item, 4).ok_or("truncated overflow reference")? as usize;
    let tlen = order.u32(item, 8).ok_or("truncated overflow reference")? as usize;
    if tlen > MAX_HEADER_BLOB {
        return Err(format!("overflow record of {tlen} bytes is over the limit"));
    }
    if tlen > bytes.len() {
        return Err(format!(
            "overflow record of {tlen} bytes is longer than the file"
        ));
    }
    let mut out = Vec::with_capacity(tlen);
    let mut steps = 0;
    while out.len() < tlen {
        steps += 1;
        if pno == 0 || pno >= npages || steps > npages {
            return Err(format!(
                "overflow chain broken at page {pno} after {} of {tlen} bytes",
                out.len()
            ));
        }
        let p = &bytes[pno * page_size..(pno + 1) * page_size];
        if p[25] != P_OVERFLOW {
            return Err(format!(
                "page {pno} in an overflow chain is of type {}",
                p[25]
            ));
        }
        // On overflow pages hf_offset holds the number of bytes used.
        let len = order.u16(p, 22).unwrap_or(0) as usize;
        let chunk = p
            .get(data_start..data_start + len)
            .ok_or_else(|| format!("overflow page {pno} claims {len} bytes"))?;
        let want = (tlen - out.len()).min(chunk.len());
        out.extend_from_slice(&chunk[..want]);
        pno = order.u32(p, 16).unwrap_or(0) as usize;
    }
    Ok(out)
}

// ------------------------------------------------------------ NDB

const NDB_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const NDB_SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const NDB_BLOB_HEAD: u32 = u32::from_le_bytes(*b"BlbS");
const NDB_BLOB_TAIL: u32 = u32::from_le_bytes(*b"BlbE");
const NDB_PAGE: usize = 4096;
const NDB_BLK: usize = 16;
const NDB_HEADER: usize = 32;
/// More slot pages than this (1M packages) is not a real database.
const NDB_MAX_SLOT_PAGES: usize = 4096;

fn le32(b: &[u8], o: usize) -> Option<u32> {
    let s: [u8; 4] = b.get(o..o.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(s))
}

/// Reads the package blobs of an NDB `Packages.db` (all little-endian):
/// a 32-byte header (`RpmP`, version 0, generation, slot pages), 16-byte
/// slots (`Slot`, package index, block offset, block count; 16-byte blocks)
/// and blobs (`BlbS`, package index, timestamp, length, data, padding,
/// adler32, length, `BlbE`). The checksum is verified.
pub fn ndb_headers(bytes: &[u8]) -> Result<Blobs, RpmDbError> {
    let err = |m: String| RpmDbError::Ndb(m);
    if le32(bytes, 0) != Some(NDB_MAGIC) {
        return Err(err("no NDB magic \"RpmP\" at offset 0".into()));
    }
    match le32(bytes, 4) {
        Some(0) => {}
        v => return Err(err(format!("unsupported version {v:?}"))),
    }
    let slot_pages = le32(bytes, 12).unwrap_or(0) as usize;
    if slot_pages == 0 || slot_pages > NDB_MAX_SLOT_PAGES {
        return Err(err(format!("invalid slot page count {slot_pages}")));
    }
    let slots_end = slot_pages * NDB_PAGE;
    if bytes.len() < slots_end {
        return Err(err(format!(
            "file of {} bytes is shorter than its {slot_pages} slot page(s)",
            bytes.len()
        )));
    }
    let mut out = Blobs::default();
    let mut total = 0usize;
    let budget = bytes.len().saturating_mul(2);
    for o in (NDB_HEADER..slots_end).step_by(16) {
        let (Some(magic), Some(idx), Some(blkoff), Some(blkcnt)) = (
            le32(bytes, o),
            le32(bytes, o + 4),
            le32(bytes, o + 8),
            le32(bytes, o + 12),
        ) else {
            break;
        };
        if magic != NDB_SLOT_MAGIC {
            out.skipped.push(format!("slot at offset {o}: bad magic"));
            continue;
        }
        if blkoff == 0 {
            continue; // free slot
        }
        match ndb_blob(bytes, idx, blkoff as usize, blkcnt as usize, slots_end) {
            Ok(blob) => {
                total = total.saturating_add(blob.len());
                if total > budget {
                    return Err(err("blobs add up to more than twice the file size".into()));
                }
                out.headers.push(HeaderBlob {
                    instance: idx,
                    blob,
                })
            }
            Err(e) => out.skipped.push(format!("package {idx}: {e}")),
        }
    }
    Ok(out)
}

fn ndb_blob(
    bytes: &[u8],
    idx: u32,
    blkoff: usize,
    blkcnt: usize,
    slots_end: usize,
) -> Result<Vec<u8>, String> {
    let start = blkoff
        .checked_mul(NDB_BLK)
        .filter(|&s| s >= slots_end)
        .ok_or_else(|| format!("block offset {blkoff} inside the slot pages"))?;
    let end = blkcnt
        .checked_mul(NDB_BLK)
        .and_then(|l| start.checked_add(l))
        .filter(|&e| e <= bytes.len())
        .ok_or_else(|| format!("blob at block {blkoff} (+{blkcnt}) past the end of the file"))?;
    let area = &bytes[start..end];
    if area.len() < 28 || le32(area, 0) != Some(NDB_BLOB_HEAD) {
        return Err(format!("no blob header at block {blkoff}"));
    }
    if le32(area, 4) != Some(idx) {
        return Err(format!(
            "blob at block {blkoff} belongs to package {:?}",
            le32(area, 4)
        ));
    }
    let len = le32(area, 12).unwrap_or(0) as usize;
    if len > MAX_HEADER_BLOB || (16 + len + 12).div_ceil(NDB_BLK) != blkcnt {
        return Err(format!("blob length {len} does not fit {blkcnt} blocks"));
    }
    let tail = area.len() - 12;
    if le32(area, tail + 4) != Some(len as u32) || le32(area, tail + 8) != Some(NDB_BLOB_TAIL) {
        return Err("bad blob trailer".into());
    }
    let stored = le32(area, tail).unwrap_or(0);
    if adler32(&area[..tail]) != stored {
        return Err("adler32 checksum mismatch".into());
    }
    Ok(area[16..16 + len].to_vec())
}

/// Adler-32 (RFC 1950).
fn adler32(data: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in data.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adler() {
        // RFC 1950 / zlib reference value.
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(b""), 1);
    }

    #[test]
    fn rejects_garbage() {
        assert!(bdb_headers(&[0; 100]).is_err());
        assert!(bdb_headers(&[0; 4096]).is_err());
        assert!(ndb_headers(b"RpmP").is_err());
        assert!(ndb_headers(&[0; 4096]).is_err());
        assert_eq!(detect(b"short"), None);
        let mut b = vec![0u8; 4096];
        b[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        assert_eq!(detect(&b), Some(RpmDbFormat::BerkeleyDbHash));
        // page size 0
        assert!(matches!(bdb_headers(&b), Err(RpmDbError::Bdb(m)) if m.contains("page size")));
    }
}
