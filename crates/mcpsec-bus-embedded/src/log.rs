//! One partition: an append-only set of segment files plus an in-memory
//! index `offset -> (segment, byte position)`.
//!
//! Segment files are named after the offset of their first record,
//! `<base:020>.log`. Only the writer thread appends; readers use positional
//! reads on a shared file handle and only ever see records that the writer
//! has made durable (the index is extended after the fsync).

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;
use mcpsec_core::bus::BusError;

use crate::record::{self, DecodeError, FRAME_HEADER, Record};

/// Suffix of segment files.
const SEGMENT_SUFFIX: &str = ".log";

pub(crate) fn io_err(what: impl std::fmt::Display, e: io::Error) -> BusError {
    BusError::Unavailable(format!("{what}: {e}"))
}

/// Fsyncs a directory so that entries created or renamed in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Replaces `path` with `data` atomically: temporary file, fsync, rename,
/// fsync of the directory (the fsyncs are skipped when `fsync` is false).
pub(crate) fn write_atomic(path: &Path, data: &[u8], fsync: bool) -> io::Result<()> {
    use std::io::Write;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = File::create(&tmp)?;
    f.write_all(data)?;
    if fsync {
        f.sync_all()?;
    }
    drop(f);
    fs::rename(&tmp, path)?;
    if fsync && let Some(dir) = path.parent() {
        sync_dir(dir)?;
    }
    Ok(())
}

pub(crate) struct Segment {
    pub base: u64,
    pub path: PathBuf,
    pub file: Arc<File>,
    /// Byte position of every record in the segment, in offset order.
    pub positions: Vec<u64>,
    /// Length of the valid, durable prefix of the file.
    pub size: u64,
}

impl Segment {
    fn end_offset(&self) -> u64 {
        self.base + self.positions.len() as u64
    }
}

pub(crate) struct PartitionState {
    pub segments: Vec<Segment>,
    /// Offset the next appended record gets (the partition's end offset).
    pub next_offset: u64,
}

/// Where the writer appends its next batch.
pub(crate) struct AppendTarget {
    pub file: Arc<File>,
    pub pos: u64,
    pub next_offset: u64,
}

pub(crate) struct Partition {
    pub topic: String,
    pub id: u32,
    pub dir: PathBuf,
    fsync: bool,
    state: RwLock<PartitionState>,
}

fn segment_path(dir: &Path, base: u64) -> PathBuf {
    dir.join(format!("{base:020}{SEGMENT_SUFFIX}"))
}

fn open_segment_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// Result of scanning one segment file.
struct Scan {
    positions: Vec<u64>,
    /// End of the last valid record.
    valid: u64,
    /// Length of the file on disk.
    file_len: u64,
    /// Why scanning stopped before `file_len`, if it did.
    stop: Option<DecodeError>,
}

/// Reads every frame of a segment, checking CRCs and that offsets count up
/// from `base`. Stops at the first bad frame.
fn scan_segment(file: &File, base: u64) -> io::Result<Scan> {
    let file_len = file.metadata()?.len();
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut positions = Vec::new();
    let mut pos = 0u64;
    let mut header = [0u8; FRAME_HEADER];
    let mut body = Vec::new();
    let mut stop = None;
    while pos < file_len {
        if file_len - pos < FRAME_HEADER as u64 {
            stop = Some(DecodeError::Truncated);
            break;
        }
        reader.read_exact(&mut header)?;
        let (len, crc) = match record::parse_header(&header) {
            Ok(h) => h,
            Err(e) => {
                stop = Some(e);
                break;
            }
        };
        if file_len - pos - (FRAME_HEADER as u64) < len as u64 {
            stop = Some(DecodeError::Truncated);
            break;
        }
        body.resize(len, 0);
        reader.read_exact(&mut body)?;
        if let Err(e) = record::check_crc(&body, crc) {
            stop = Some(e);
            break;
        }
        match record::validate_body(&body) {
            Ok(off) if off == base + positions.len() as u64 => {}
            Ok(_) => {
                stop = Some(DecodeError::Malformed("offset out of sequence"));
                break;
            }
            Err(e) => {
                stop = Some(e);
                break;
            }
        }
        positions.push(pos);
        pos += (FRAME_HEADER + len) as u64;
    }
    Ok(Scan {
        positions,
        valid: pos,
        file_len,
        stop,
    })
}

impl Partition {
    /// Opens (creating if needed) the partition in `dir` and recovers it: every
    /// segment is scanned; a torn or corrupt tail of the last segment is
    /// truncated with a warning, corruption in an earlier (sealed) segment is
    /// an error.
    pub fn open(topic: &str, id: u32, dir: PathBuf, fsync: bool) -> Result<Partition, BusError> {
        let created = !dir.exists();
        fs::create_dir_all(&dir)
            .map_err(|e| io_err(format_args!("create {}", dir.display()), e))?;
        let mut bases = Vec::new();
        let entries =
            fs::read_dir(&dir).map_err(|e| io_err(format_args!("list {}", dir.display()), e))?;
        for entry in entries {
            let entry = entry.map_err(|e| io_err(format_args!("list {}", dir.display()), e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            match name
                .strip_suffix(SEGMENT_SUFFIX)
                .filter(|n| n.len() == 20)
                .and_then(|n| n.parse::<u64>().ok())
            {
                Some(base) => bases.push(base),
                None => tracing::warn!(
                    topic,
                    partition = id,
                    file = %name,
                    "ignoring unexpected file in partition directory"
                ),
            }
        }
        bases.sort_unstable();

        // Lengths first: a segment followed only by empty segments is the
        // log's tail (empty segments come from a roll right before a crash).
        let mut lens = Vec::with_capacity(bases.len());
        for base in &bases {
            let path = segment_path(&dir, *base);
            let len = fs::metadata(&path)
                .map_err(|e| io_err(format_args!("stat {}", path.display()), e))?
                .len();
            lens.push(len);
        }
        let tail = lens.iter().rposition(|l| *l > 0).unwrap_or(0);

        let mut segments: Vec<Segment> = Vec::with_capacity(bases.len().max(1));
        for (i, base) in bases.iter().copied().enumerate() {
            let path = segment_path(&dir, base);
            if let Some(prev) = segments.last()
                && prev.end_offset() != base
            {
                return Err(BusError::Corrupt(format!(
                    "{}: segment starts at offset {base} but the previous one ends at {}",
                    path.display(),
                    prev.end_offset()
                )));
            }
            let file = open_segment_file(&path)
                .map_err(|e| io_err(format_args!("open {}", path.display()), e))?;
            let scan = scan_segment(&file, base)
                .map_err(|e| io_err(format_args!("read {}", path.display()), e))?;
            let truncated = scan.stop.is_some();
            if let Some(why) = &scan.stop {
                if i < tail {
                    return Err(BusError::Corrupt(format!(
                        "{}: bad record at byte {} in a sealed segment: {why}",
                        path.display(),
                        scan.valid
                    )));
                }
                tracing::warn!(
                    topic,
                    partition = id,
                    segment = %path.display(),
                    valid_bytes = scan.valid,
                    dropped_bytes = scan.file_len - scan.valid,
                    reason = %why,
                    "truncating torn or corrupt tail of the log"
                );
                file.set_len(scan.valid)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| io_err(format_args!("truncate {}", path.display()), e))?;
            }
            segments.push(Segment {
                base,
                path,
                file: Arc::new(file),
                positions: scan.positions,
                size: scan.valid,
            });
            if truncated && i + 1 < bases.len() {
                // The empty segments after the new tail start at offsets that
                // no longer follow it; remove them.
                for later in &bases[i + 1..] {
                    let p = segment_path(&dir, *later);
                    fs::remove_file(&p)
                        .map_err(|e| io_err(format_args!("remove {}", p.display()), e))?;
                }
                sync_dir(&dir).map_err(|e| io_err(format_args!("fsync {}", dir.display()), e))?;
                break;
            }
        }
        if segments.is_empty() {
            let path = segment_path(&dir, 0);
            let file = open_segment_file(&path)
                .map_err(|e| io_err(format_args!("create {}", path.display()), e))?;
            if fsync {
                sync_dir(&dir).map_err(|e| io_err(format_args!("fsync {}", dir.display()), e))?;
                if created && let Some(parent) = dir.parent() {
                    sync_dir(parent)
                        .map_err(|e| io_err(format_args!("fsync {}", parent.display()), e))?;
                }
            }
            segments.push(Segment {
                base: 0,
                path,
                file: Arc::new(file),
                positions: Vec::new(),
                size: 0,
            });
        }
        let next_offset = segments.last().map(Segment::end_offset).unwrap_or(0);
        Ok(Partition {
            topic: topic.to_owned(),
            id,
            dir,
            fsync,
            state: RwLock::new(PartitionState {
                segments,
                next_offset,
            }),
        })
    }

    fn read_state(&self) -> RwLockReadGuard<'_, PartitionState> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_state(&self) -> RwLockWriteGuard<'_, PartitionState> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// The offset the next record will get.
    pub fn end_offset(&self) -> u64 {
        self.read_state().next_offset
    }

    /// Number of segment files.
    #[cfg(test)]
    pub fn segment_count(&self) -> usize {
        self.read_state().segments.len()
    }

    /// Reads up to `max_records` records starting at `from`, from a single
    /// segment and about `max_bytes` (at least one record). Returns an empty
    /// vector at the end of the log.
    pub fn read(
        &self,
        from: u64,
        max_records: usize,
        max_bytes: u64,
    ) -> Result<Vec<Record>, BusError> {
        if max_records == 0 {
            return Ok(Vec::new());
        }
        let (file, path, start, end, expected) = {
            let st = self.read_state();
            if from >= st.next_offset {
                return Ok(Vec::new());
            }
            let idx = st.segments.partition_point(|s| s.base <= from);
            let Some(seg) = idx.checked_sub(1).and_then(|i| st.segments.get(i)) else {
                return Err(BusError::Internal(format!(
                    "{}/{}: offset {from} is before the first segment",
                    self.topic, self.id
                )));
            };
            let rel = (from - seg.base) as usize;
            let len = seg.positions.len();
            if rel >= len {
                return Err(BusError::Internal(format!(
                    "{}/{}: offset {from} not in index",
                    self.topic, self.id
                )));
            }
            let end_of = |j: usize| if j >= len { seg.size } else { seg.positions[j] };
            let start = seg.positions[rel];
            let mut last = len.min(rel.saturating_add(max_records));
            let limit = start.saturating_add(max_bytes);
            if end_of(last) > limit {
                let fit = seg.positions[rel + 1..last].partition_point(|&p| p <= limit);
                last = rel + fit.max(1);
            }
            (
                seg.file.clone(),
                seg.path.clone(),
                start,
                end_of(last),
                last - rel,
            )
        };
        let mut buf = vec![0u8; (end - start) as usize];
        file.read_exact_at(&mut buf, start)
            .map_err(|e| io_err(format_args!("read {}", path.display()), e))?;
        let chunk = Bytes::from(buf);
        let mut out = Vec::with_capacity(expected);
        let mut rest: &[u8] = &chunk;
        let mut at = start;
        while !rest.is_empty() {
            let corrupt = |why: &dyn std::fmt::Display| {
                BusError::Corrupt(format!("{} at byte {at}: {why}", path.display()))
            };
            let (body, used) = record::split_frame(rest).map_err(|e| corrupt(&e))?;
            let rec = record::decode_body_in(&chunk, body).map_err(|e| corrupt(&e))?;
            let want = from + out.len() as u64;
            if rec.offset != want {
                return Err(corrupt(&format_args!(
                    "record has offset {} where {want} was expected",
                    rec.offset
                )));
            }
            out.push(rec);
            rest = &rest[used..];
            at += used as u64;
        }
        Ok(out)
    }

    /// Prepares an append of `incoming` bytes: rolls to a new segment when the
    /// active one is non-empty and would grow past `segment_bytes`. Only the
    /// writer thread calls this.
    pub fn begin_append(
        &self,
        segment_bytes: u64,
        incoming: u64,
    ) -> Result<AppendTarget, BusError> {
        let (active_file, active_size, next_offset) = {
            let st = self.read_state();
            let Some(active) = st.segments.last() else {
                return Err(BusError::Internal("partition without segments".into()));
            };
            (active.file.clone(), active.size, st.next_offset)
        };
        if active_size == 0 || active_size.saturating_add(incoming) <= segment_bytes {
            return Ok(AppendTarget {
                file: active_file,
                pos: active_size,
                next_offset,
            });
        }
        let base = next_offset;
        let path = segment_path(&self.dir, base);
        let file = open_segment_file(&path)
            .map_err(|e| io_err(format_args!("create {}", path.display()), e))?;
        let existing = file
            .metadata()
            .map_err(|e| io_err(format_args!("stat {}", path.display()), e))?
            .len();
        if existing != 0 {
            return Err(BusError::Corrupt(format!(
                "{}: new segment file already holds {existing} bytes",
                path.display()
            )));
        }
        if self.fsync {
            sync_dir(&self.dir)
                .map_err(|e| io_err(format_args!("fsync {}", self.dir.display()), e))?;
        }
        tracing::debug!(topic = %self.topic, partition = self.id, base, "rolled to a new segment");
        let file = Arc::new(file);
        self.write_state().segments.push(Segment {
            base,
            path,
            file: file.clone(),
            positions: Vec::new(),
            size: 0,
        });
        Ok(AppendTarget {
            file,
            pos: 0,
            next_offset,
        })
    }

    /// Publishes appended records (after they are durable) to readers.
    pub fn finish_append(&self, positions: &[u64], new_size: u64) {
        let mut st = self.write_state();
        st.next_offset += positions.len() as u64;
        if let Some(active) = st.segments.last_mut() {
            active.positions.extend_from_slice(positions);
            active.size = new_size;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use std::io::Write;

    fn append(p: &Partition, segment_bytes: u64, payloads: &[&[u8]]) {
        let mut buf = Vec::new();
        let incoming: usize = payloads
            .iter()
            .map(|pl| FRAME_HEADER + record::body_len("k", &BTreeMap::new(), pl))
            .sum();
        let t = p.begin_append(segment_bytes, incoming as u64).unwrap();
        let mut positions = Vec::new();
        for (i, pl) in payloads.iter().enumerate() {
            positions.push(t.pos + buf.len() as u64);
            record::encode_frame(
                &mut buf,
                t.next_offset + i as u64,
                0,
                "k",
                &BTreeMap::new(),
                pl,
            );
        }
        t.file.write_all_at(&buf, t.pos).unwrap();
        t.file.sync_data().unwrap();
        p.finish_append(&positions, t.pos + buf.len() as u64);
    }

    fn payloads(p: &Partition) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        let mut from = 0;
        loop {
            let r = p.read(from, 1000, 1 << 20).unwrap();
            if r.is_empty() {
                return out;
            }
            from += r.len() as u64;
            out.extend(r.into_iter().map(|r| r.payload.to_vec()));
        }
    }

    fn active_segment(dir: &Path) -> PathBuf {
        let mut v: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v.pop().unwrap()
    }

    #[test]
    fn append_read_reopen() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p0");
        let p = Partition::open("t", 0, dir.clone(), true).unwrap();
        assert_eq!(p.end_offset(), 0);
        assert!(p.read(0, 10, 100).unwrap().is_empty());
        append(&p, 1 << 20, &[b"a", b"bb", b"ccc"]);
        append(&p, 1 << 20, &[b"dddd"]);
        assert_eq!(p.end_offset(), 4);
        let r = p.read(1, 2, 1 << 20).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].offset, &r[0].payload[..]), (1, &b"bb"[..]));
        assert_eq!((r[1].offset, &r[1].payload[..]), (2, &b"ccc"[..]));
        // A byte cap below one record still yields one record.
        assert_eq!(p.read(0, 10, 1).unwrap().len(), 1);
        drop(p);
        let p = Partition::open("t", 0, dir, true).unwrap();
        assert_eq!(p.end_offset(), 4);
        assert_eq!(
            payloads(&p),
            vec![
                b"a".to_vec(),
                b"bb".to_vec(),
                b"ccc".to_vec(),
                b"dddd".to_vec()
            ]
        );
    }

    #[test]
    fn segments_roll_and_reads_cross_them() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p0");
        let p = Partition::open("t", 0, dir.clone(), true).unwrap();
        let big = vec![7u8; 300];
        for _ in 0..10 {
            append(&p, 1000, &[&big, &big]);
        }
        assert!(p.segment_count() >= 5, "{} segments", p.segment_count());
        assert_eq!(payloads(&p).len(), 20);
        drop(p);
        let p = Partition::open("t", 0, dir, true).unwrap();
        assert_eq!(p.end_offset(), 20);
        assert_eq!(payloads(&p).len(), 20);
        append(&p, 1000, &[b"after"]);
        assert_eq!(payloads(&p).last().unwrap(), b"after");
    }

    #[test]
    fn torn_tail_is_truncated_and_appends_continue() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p0");
        let p = Partition::open("t", 0, dir.clone(), true).unwrap();
        append(&p, 1 << 20, &[b"one", b"two", b"three"]);
        drop(p);
        let seg = active_segment(&dir);
        let good_len = fs::metadata(&seg).unwrap().len();

        // Case 1: half a record (cut mid-body).
        {
            let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
            let mut extra = Vec::new();
            record::encode_frame(
                &mut extra,
                3,
                0,
                "k",
                &BTreeMap::new(),
                b"torn record payload",
            );
            f.write_all(&extra[..extra.len() / 2]).unwrap();
        }
        let p = Partition::open("t", 0, dir.clone(), true).unwrap();
        assert_eq!(p.end_offset(), 3);
        assert_eq!(fs::metadata(&seg).unwrap().len(), good_len);
        append(&p, 1 << 20, &[b"four"]);
        assert_eq!(
            payloads(&p),
            vec![
                b"one".to_vec(),
                b"two".to_vec(),
                b"three".to_vec(),
                b"four".to_vec()
            ]
        );
        drop(p);

        // Case 2: garbage after the last record.
        let good_len = fs::metadata(&seg).unwrap().len();
        {
            let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
            f.write_all(&[0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
                .unwrap();
        }
        let p = Partition::open("t", 0, dir.clone(), true).unwrap();
        assert_eq!(p.end_offset(), 4);
        assert_eq!(fs::metadata(&seg).unwrap().len(), good_len);
        drop(p);

        // Case 3: a few bytes of a header only.
        {
            let mut f = OpenOptions::new().append(true).open(&seg).unwrap();
            f.write_all(&[5, 0, 0]).unwrap();
        }
        let p = Partition::open("t", 0, dir.clone(), true).unwrap();
        assert_eq!(p.end_offset(), 4);
        drop(p);

        // Case 4: the last record's payload corrupted (CRC mismatch): it is dropped.
        {
            let f = OpenOptions::new()
                .read(true)
                .write(true)
                .open(&seg)
                .unwrap();
            let len = f.metadata().unwrap().len();
            f.write_all_at(b"X", len - 1).unwrap();
        }
        let p = Partition::open("t", 0, dir.clone(), true).unwrap();
        assert_eq!(p.end_offset(), 3);
        append(&p, 1 << 20, &[b"four again"]);
        assert_eq!(payloads(&p).last().unwrap(), b"four again");
        assert_eq!(payloads(&p).len(), 4);
    }

    #[test]
    fn corruption_in_a_sealed_segment_is_an_error_not_a_panic() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p0");
        let p = Partition::open("t", 0, dir.clone(), true).unwrap();
        let big = vec![1u8; 600];
        append(&p, 1000, &[&big]);
        append(&p, 1000, &[&big]);
        assert_eq!(p.segment_count(), 2);
        drop(p);
        let first = segment_path(&dir, 0);
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&first)
            .unwrap();
        f.write_all_at(b"garbage!", 20).unwrap();
        match Partition::open("t", 0, dir, true) {
            Err(BusError::Corrupt(msg)) => assert!(msg.contains("sealed"), "{msg}"),
            Err(e) => panic!("unexpected error {e}"),
            Ok(_) => panic!("corrupt sealed segment accepted"),
        }
    }

    #[test]
    fn torn_sealed_segment_followed_by_empty_segment_is_a_tail() {
        // With fsync off, power loss can tear the last records of a segment
        // that was already rolled away from (the new segment still empty).
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p0");
        let p = Partition::open("t", 0, dir.clone(), true).unwrap();
        let big = vec![3u8; 600];
        append(&p, 1000, &[&big]);
        append(&p, 1000, &[b"small"]); // fits: same segment
        let t = p.begin_append(1000, 600).unwrap(); // rolls, nothing written
        assert_eq!(t.pos, 0);
        assert_eq!(p.segment_count(), 2);
        drop(t);
        drop(p);
        let first = segment_path(&dir, 0);
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&first)
            .unwrap();
        let len = f.metadata().unwrap().len();
        f.set_len(len - 2).unwrap();
        let p = Partition::open("t", 0, dir.clone(), true).unwrap();
        assert_eq!(p.end_offset(), 1);
        assert_eq!(p.segment_count(), 1);
        assert!(!segment_path(&dir, 2).exists());
        append(&p, 1000, &[b"next"]);
        assert_eq!(payloads(&p), vec![big.clone(), b"next".to_vec()]);
    }

    #[test]
    fn corruption_after_open_is_reported_on_read() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("p0");
        let p = Partition::open("t", 0, dir.clone(), true).unwrap();
        append(&p, 1 << 20, &[b"abcdef", b"ghijkl"]);
        let seg = active_segment(&dir);
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&seg)
            .unwrap();
        f.write_all_at(b"Z", 30).unwrap();
        assert!(matches!(p.read(0, 10, 1 << 20), Err(BusError::Corrupt(_))));
    }
}
