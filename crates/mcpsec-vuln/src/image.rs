//! Container images: a `docker save` tarball (`manifest.json` + layer
//! tars), an OCI image layout (`index.json` + `blobs/`) as a tarball or a
//! directory. Layers (plain tar, gzip or zstd) are applied in order with
//! whiteouts (`.wh.name` deletes, `.wh..wh..opq` makes a directory opaque)
//! into the [`FileSet`] of files of interest, which [`crate::rootfs`]
//! analyses.
//!
//! Bounds: at most [`MAX_OUTER_ENTRIES`] entries in the image archive,
//! [`MAX_LAYER_ENTRIES`] per layer, [`MAX_LAYER_BYTES`] decompressed bytes
//! per layer, [`MAX_LAYERS`] layers; entries with `..` paths are skipped and
//! reported; symlinks are never followed.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::rootfs::{self, FileSet, MAX_ROOTFS_BYTES, MAX_ROOTFS_FILE};

pub const MAX_OUTER_ENTRIES: usize = 100_000;
pub const MAX_LAYER_ENTRIES: u64 = 2_000_000;
pub const MAX_LAYER_BYTES: u64 = 16 << 30;
pub const MAX_LAYERS: usize = 256;
/// Largest JSON document (manifest, index, config) read from an image.
const MAX_JSON: u64 = 16 << 20;

/// Why an image could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("{0}: {1}")]
    Io(String, io::Error),
    #[error("{0}")]
    Format(String),
}

fn fmt_err(s: impl Into<String>) -> ImageError {
    ImageError::Format(s.into())
}

/// The image layout that was read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImageInfo {
    /// `docker-archive`, `oci-archive` or `oci-layout`.
    pub format: String,
    pub layers: usize,
    pub repo_tags: Vec<String>,
    /// Layer entries skipped for an unsafe path.
    pub unsafe_entries: usize,
}

/// Whether a file is a tar archive (possibly gzipped) — a candidate image.
pub fn is_tarball(path: &Path) -> bool {
    let Ok(mut f) = File::open(path) else {
        return false;
    };
    let mut head = [0u8; 512];
    let Ok(n) = read_full(&mut f, &mut head) else {
        return false;
    };
    if n >= 2 && head[..2] == [0x1f, 0x8b] {
        let Ok(f) = File::open(path) else {
            return false;
        };
        let mut gz = flate2::read::MultiGzDecoder::new(BufReader::new(f));
        let mut inner = [0u8; 512];
        return matches!(read_full(&mut gz, &mut inner), Ok(512) if is_tar_header(&inner));
    }
    n == 512 && is_tar_header(&head)
}

fn is_tar_header(h: &[u8; 512]) -> bool {
    &h[257..262] == b"ustar"
}

/// Whether a directory is an OCI image layout.
pub fn is_oci_dir(dir: &Path) -> bool {
    dir.join("index.json").is_file() && dir.join("oci-layout").is_file()
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Where blobs and JSON documents of an image come from.
trait Blobs {
    fn has(&self, name: &str) -> bool;
    fn open(&mut self, name: &str) -> Result<Box<dyn Read + '_>, ImageError>;
    fn read_json(&mut self, name: &str) -> Result<Value, ImageError> {
        let mut buf = Vec::new();
        self.open(name)?
            .take(MAX_JSON)
            .read_to_end(&mut buf)
            .map_err(|e| ImageError::Io(name.into(), e))?;
        serde_json::from_slice(&buf).map_err(|e| fmt_err(format!("{name}: {e}")))
    }
}

struct TarBlobs {
    file: File,
    index: HashMap<String, (u64, u64)>,
}

impl TarBlobs {
    fn new(path: &Path) -> Result<TarBlobs, ImageError> {
        let p = path.display().to_string();
        let file = File::open(path).map_err(|e| ImageError::Io(p.clone(), e))?;
        let mut index = HashMap::new();
        {
            let mut ar = tar::Archive::new(BufReader::new(&file));
            let entries = ar.entries().map_err(|e| ImageError::Io(p.clone(), e))?;
            for (i, e) in entries.enumerate() {
                if i >= MAX_OUTER_ENTRIES {
                    return Err(fmt_err(format!(
                        "{p}: more than {MAX_OUTER_ENTRIES} entries"
                    )));
                }
                let e = e.map_err(|e| ImageError::Io(p.clone(), e))?;
                if !e.header().entry_type().is_file() {
                    continue;
                }
                let name = String::from_utf8_lossy(&e.path_bytes()).into_owned();
                if let Some(n) = rootfs::normalize_path(&name) {
                    index.insert(n, (e.raw_file_position(), e.size()));
                }
            }
        }
        Ok(TarBlobs { file, index })
    }
}

impl Blobs for TarBlobs {
    fn has(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }
    fn open(&mut self, name: &str) -> Result<Box<dyn Read + '_>, ImageError> {
        let &(off, size) = self
            .index
            .get(name)
            .ok_or_else(|| fmt_err(format!("{name}: not in the image archive")))?;
        self.file
            .seek(SeekFrom::Start(off))
            .map_err(|e| ImageError::Io(name.into(), e))?;
        Ok(Box::new(BufReader::new((&self.file).take(size))))
    }
}

struct DirBlobs(PathBuf);

impl Blobs for DirBlobs {
    fn has(&self, name: &str) -> bool {
        rootfs::normalize_path(name).is_some_and(|n| self.0.join(n).is_file())
    }
    fn open(&mut self, name: &str) -> Result<Box<dyn Read + '_>, ImageError> {
        let n =
            rootfs::normalize_path(name).ok_or_else(|| fmt_err(format!("{name}: unsafe path")))?;
        let p = self.0.join(n);
        // Blobs must be regular files inside the layout, not symlinks.
        let m = std::fs::symlink_metadata(&p).map_err(|e| ImageError::Io(name.into(), e))?;
        if !m.is_file() {
            return Err(fmt_err(format!("{name}: not a regular file")));
        }
        let f = File::open(&p).map_err(|e| ImageError::Io(name.into(), e))?;
        Ok(Box::new(BufReader::new(f)))
    }
}

/// A blob path from an OCI digest (`sha256:hex` → `blobs/sha256/hex`).
fn blob_path(digest: &str) -> Result<String, ImageError> {
    let (alg, hex) = digest
        .split_once(':')
        .ok_or_else(|| fmt_err(format!("bad digest {digest:?}")))?;
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
    if !ok(alg) || !ok(hex) {
        return Err(fmt_err(format!("bad digest {digest:?}")));
    }
    Ok(format!("blobs/{alg}/{hex}"))
}

/// The layer blobs of an OCI index (nested indexes followed; linux/amd64
/// preferred when there are several images).
fn oci_layers(b: &mut dyn Blobs) -> Result<Vec<String>, ImageError> {
    let manifest = oci_manifest(b)?;
    manifest
        .get("layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|l| {
            let d = l
                .get("digest")
                .and_then(Value::as_str)
                .ok_or_else(|| fmt_err("manifest layer without digest"))?;
            blob_path(d)
        })
        .collect()
}

/// A whiteout entry of a layer: what it removes from the layers below.
enum Whiteout {
    /// `DIR/.wh..wh..opq`: everything lower layers had under `DIR`.
    Opaque(String),
    /// `DIR/.wh.NAME`: the path `DIR/NAME`.
    Deleted(String),
}

/// Classifies a normalized layer path as a whiteout, or `None` for a file.
fn whiteout(path: &str) -> Option<Whiteout> {
    let (dir, base) = path.rsplit_once('/').unwrap_or(("", path));
    if base == ".wh..wh..opq" {
        return Some(Whiteout::Opaque(dir.to_string()));
    }
    let victim = base.strip_prefix(".wh.")?;
    Some(Whiteout::Deleted(if dir.is_empty() {
        victim.to_string()
    } else {
        format!("{dir}/{victim}")
    }))
}

/// Counts bytes read and fails past a limit (decompression bombs).
struct Limited<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            io::Error::other(format!(
                "layer exceeds {MAX_LAYER_BYTES} decompressed bytes"
            ))
        })?;
        Ok(n)
    }
}

/// The tar archive of one layer, decompressed by its magic bytes (gzip,
/// zstd, or plain tar) and bounded to `MAX_LAYER_BYTES`.
fn layer_archive<'a>(
    name: &str,
    raw: Box<dyn Read + 'a>,
) -> Result<tar::Archive<Limited<Box<dyn Read + 'a>>>, ImageError> {
    let mut raw = BufReader::new(raw);
    let magic = {
        use std::io::BufRead;
        let b = raw.fill_buf().map_err(|e| ImageError::Io(name.into(), e))?;
        b.get(..4).map(|m| [m[0], m[1], m[2], m[3]])
    };
    let reader: Box<dyn Read + 'a> = match magic {
        Some([0x1f, 0x8b, _, _]) => Box::new(flate2::read::MultiGzDecoder::new(raw)),
        Some([0x28, 0xb5, 0x2f, 0xfd]) => Box::new(
            ruzstd::decoding::StreamingDecoder::new(raw)
                .map_err(|e| fmt_err(format!("{name}: zstd: {e}")))?,
        ),
        _ => Box::new(raw),
    };
    Ok(tar::Archive::new(Limited {
        inner: reader,
        left: MAX_LAYER_BYTES,
    }))
}

/// Applies one layer (plain tar, gzip or zstd) onto `set`.
fn apply_layer(
    set: &mut FileSet,
    name: &str,
    raw: Box<dyn Read + '_>,
    info: &mut ImageInfo,
) -> Result<(), ImageError> {
    let mut ar = layer_archive(name, raw)?;
    let mut added: Vec<(String, Vec<u8>)> = Vec::new();
    let mut deleted: Vec<String> = Vec::new();
    let mut opaque: Vec<String> = Vec::new();
    let io = |e: io::Error| ImageError::Io(name.to_string(), e);
    for (i, e) in ar.entries().map_err(io)?.enumerate() {
        if i as u64 >= MAX_LAYER_ENTRIES {
            return Err(fmt_err(format!(
                "{name}: more than {MAX_LAYER_ENTRIES} entries"
            )));
        }
        let mut e = e.map_err(io)?;
        let raw_path = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let Some(path) = rootfs::normalize_path(&raw_path) else {
            info.unsafe_entries += 1;
            set.errors
                .push((format!("{name}!{raw_path}"), "unsafe path skipped".into()));
            continue;
        };
        match whiteout(&path) {
            Some(Whiteout::Opaque(dir)) => {
                opaque.push(dir);
                continue;
            }
            Some(Whiteout::Deleted(victim)) => {
                deleted.push(victim);
                continue;
            }
            None => {}
        }
        let ty = e.header().entry_type();
        if ty.is_dir() {
            continue;
        }
        // Anything else at this path replaces what lower layers had there.
        deleted.push(path.clone());
        if !rootfs::is_interesting(&path) {
            continue;
        }
        if ty.is_file() {
            let size = e.size();
            if size > MAX_ROOTFS_FILE {
                set.errors.push((path, format!("{size} bytes: too large")));
                continue;
            }
            let mut buf = Vec::with_capacity(size.min(1 << 20) as usize);
            e.read_to_end(&mut buf).map_err(io)?;
            added.push((path, buf));
        } else if ty.is_hard_link()
            && let Some(target) = e.link_name_bytes()
            && let Some(t) = rootfs::normalize_path(&String::from_utf8_lossy(&target))
        {
            let content = added
                .iter()
                .rev()
                .find(|(p, _)| *p == t)
                .map(|(_, b)| b.clone())
                .or_else(|| set.files.get(&t).cloned());
            if let Some(b) = content {
                added.push((path, b));
            }
        }
    }
    // Whiteouts hide lower layers only.
    for d in &opaque {
        let prefix = format!("{d}/");
        set.files
            .retain(|k, _| !(d.is_empty() || k.starts_with(&prefix)));
    }
    if !deleted.is_empty() {
        let del: std::collections::HashSet<&str> = deleted.iter().map(String::as_str).collect();
        set.files.retain(|k, _| {
            // k or one of its parent directories was deleted/replaced.
            let mut p = k.as_str();
            loop {
                if del.contains(p) {
                    return false;
                }
                match p.rsplit_once('/') {
                    Some((parent, _)) => p = parent,
                    None => return true,
                }
            }
        });
    }
    for (p, b) in added {
        set.files.insert(p, b);
    }
    if set.total_bytes() > MAX_ROOTFS_BYTES {
        return Err(fmt_err(format!(
            "files of interest exceed {MAX_ROOTFS_BYTES} bytes"
        )));
    }
    Ok(())
}

fn read_from(b: &mut dyn Blobs, mut info: ImageInfo) -> Result<(ImageInfo, FileSet), ImageError> {
    let layers: Vec<String> = if b.has("manifest.json") {
        let m = b.read_json("manifest.json")?;
        let first = m
            .as_array()
            .and_then(|a| a.first())
            .ok_or_else(|| fmt_err("manifest.json: not a non-empty array"))?;
        info.repo_tags = first
            .get("RepoTags")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        first
            .get("Layers")
            .and_then(Value::as_array)
            .ok_or_else(|| fmt_err("manifest.json: no Layers"))?
            .iter()
            .map(|l| {
                l.as_str()
                    .and_then(rootfs::normalize_path)
                    .ok_or_else(|| fmt_err("manifest.json: bad layer path"))
            })
            .collect::<Result<_, _>>()?
    } else if b.has("index.json") {
        if info.format == "docker-archive" {
            info.format = "oci-archive".into();
        }
        oci_layers(b)?
    } else {
        return Err(fmt_err(
            "not a container image: no manifest.json (docker save) or index.json (OCI layout)",
        ));
    };
    if layers.len() > MAX_LAYERS {
        return Err(fmt_err(format!("more than {MAX_LAYERS} layers")));
    }
    info.layers = layers.len();
    let mut set = FileSet::default();
    for l in &layers {
        let r = b.open(l)?;
        apply_layer(&mut set, l, r, &mut info)?;
    }
    Ok((info, set))
}

/// Reads an image tarball (`docker save`, OCI archive; optionally gzipped)
/// or an OCI layout directory into the files of interest of its root
/// filesystem.
pub fn read_image(path: &Path) -> Result<(ImageInfo, FileSet), ImageError> {
    let p = path.display().to_string();
    let info = |format: &str| ImageInfo {
        format: format.into(),
        layers: 0,
        repo_tags: Vec::new(),
        unsafe_entries: 0,
    };
    if path.is_dir() {
        let mut b = DirBlobs(path.to_path_buf());
        return read_from(&mut b, info("oci-layout"));
    }
    let mut f = File::open(path).map_err(|e| ImageError::Io(p.clone(), e))?;
    let mut magic = [0u8; 2];
    let n = read_full(&mut f, &mut magic).map_err(|e| ImageError::Io(p.clone(), e))?;
    if n == 2 && magic == [0x1f, 0x8b] {
        // A gzipped archive: random access needs the plain tar on disk.
        let tmp = std::env::temp_dir().join(format!(
            "mcpsec-image-{}-{}.tar",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let res = (|| {
            let src = File::open(path).map_err(|e| ImageError::Io(p.clone(), e))?;
            let mut out = File::create(&tmp).map_err(|e| ImageError::Io(p.clone(), e))?;
            let mut gz = Limited {
                inner: flate2::read::MultiGzDecoder::new(BufReader::new(src)),
                left: MAX_LAYER_BYTES,
            };
            io::copy(&mut gz, &mut out).map_err(|e| ImageError::Io(p.clone(), e))?;
            let mut b = TarBlobs::new(&tmp)?;
            read_from(&mut b, info("docker-archive"))
        })();
        let _ = std::fs::remove_file(&tmp);
        return res;
    }
    let mut b = TarBlobs::new(path)?;
    read_from(&mut b, info("docker-archive"))
}

// ---------------------------------------------------------------------------
// Image configuration and full file listing (for posture checks)
// ---------------------------------------------------------------------------

/// Most entries listed by [`read_image_contents`]; past it the listing is
/// marked truncated.
pub const MAX_LISTED_ENTRIES: usize = 500_000;
/// Largest file whose content [`read_image_contents`] keeps.
pub const MAX_CONTENT_FILE: u64 = 1 << 20;
/// Most content bytes [`read_image_contents`] keeps over all files.
pub const MAX_CONTENT_TOTAL: u64 = 64 << 20;

/// One step of the image history (`docker history`).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct HistoryStep {
    pub created_by: String,
    pub empty_layer: bool,
}

/// The runtime configuration of an image (its config JSON).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImageConfig {
    /// Whether the image had a config document at all.
    pub present: bool,
    /// `User`; empty or absent means root.
    pub user: Option<String>,
    /// `Env`, as `KEY=VALUE`.
    pub env: Vec<String>,
    pub exposed_ports: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub working_dir: Option<String>,
    pub history: Vec<HistoryStep>,
}

/// One non-directory entry of the merged root filesystem.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImageEntry {
    /// Normalized path, without a leading `/`.
    pub path: String,
    pub size: u64,
    /// Permission bits, including setuid (`0o4000`) and setgid (`0o2000`).
    pub mode: u32,
    /// `file`, `symlink`, `hardlink` or `other`.
    pub kind: &'static str,
    /// Content, for the files the caller asked for (within the size caps).
    #[serde(skip)]
    pub content: Option<Vec<u8>>,
}

/// An image's configuration and the listing of its merged file system.
#[derive(Debug, Clone)]
pub struct ImageContents {
    pub info: ImageInfo,
    pub config: ImageConfig,
    /// Entries by path, whiteouts applied.
    pub entries: Vec<ImageEntry>,
    /// More than [`MAX_LISTED_ENTRIES`] entries, or contents past
    /// [`MAX_CONTENT_TOTAL`]: the listing is partial.
    pub truncated: bool,
}

fn json_strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn parse_config(doc: &Value) -> ImageConfig {
    let c = doc.get("config").or_else(|| doc.get("Config"));
    let s = |k: &str| {
        c.and_then(|c| c.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut exposed_ports: Vec<String> = c
        .and_then(|c| c.get("ExposedPorts"))
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    exposed_ports.sort();
    ImageConfig {
        present: true,
        user: s("User"),
        env: json_strings(c.and_then(|c| c.get("Env"))),
        exposed_ports,
        entrypoint: json_strings(c.and_then(|c| c.get("Entrypoint"))),
        cmd: json_strings(c.and_then(|c| c.get("Cmd"))),
        working_dir: s("WorkingDir"),
        history: doc
            .get("history")
            .and_then(Value::as_array)
            .map(|h| {
                h.iter()
                    .map(|s| HistoryStep {
                        created_by: s
                            .get("created_by")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        empty_layer: s
                            .get("empty_layer")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The image manifest of an OCI layout: nested indexes are followed (at
/// most four levels), linux/amd64 preferred when there are several images.
fn oci_manifest(b: &mut dyn Blobs) -> Result<Value, ImageError> {
    let mut doc = b.read_json("index.json")?;
    for _ in 0..4 {
        if doc.get("layers").is_some_and(Value::is_array) {
            return Ok(doc);
        }
        let ms = doc
            .get("manifests")
            .and_then(Value::as_array)
            .filter(|m| !m.is_empty())
            .ok_or_else(|| fmt_err("OCI index has no manifests"))?;
        let plat = |m: &Value, k: &str| {
            m.get("platform")
                .and_then(|p| p.get(k))
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        let pick = ms
            .iter()
            .find(|m| {
                plat(m, "os").as_deref() == Some("linux")
                    && plat(m, "architecture").as_deref() == Some("amd64")
            })
            .or_else(|| {
                ms.iter()
                    .find(|m| plat(m, "architecture").as_deref() != Some("unknown"))
            })
            .unwrap_or(&ms[0]);
        let d = pick
            .get("digest")
            .and_then(Value::as_str)
            .ok_or_else(|| fmt_err("OCI manifest descriptor without digest"))?;
        doc = b.read_json(&blob_path(d)?)?;
    }
    Err(fmt_err("OCI index nesting too deep"))
}

/// Collects what [`list_layer`] keeps across layers.
struct Listing<'a> {
    entries: std::collections::BTreeMap<String, ImageEntry>,
    content_bytes: u64,
    truncated: bool,
    want: &'a dyn Fn(&str, u64) -> bool,
}

/// Applies one layer onto the listing (whiteouts, replacements).
fn list_layer(
    l: &mut Listing<'_>,
    name: &str,
    raw: Box<dyn Read + '_>,
    info: &mut ImageInfo,
) -> Result<(), ImageError> {
    let mut ar = layer_archive(name, raw)?;
    let mut added: Vec<ImageEntry> = Vec::new();
    let mut deleted: Vec<String> = Vec::new();
    let mut opaque: Vec<String> = Vec::new();
    let io = |e: io::Error| ImageError::Io(name.to_string(), e);
    for (i, e) in ar.entries().map_err(io)?.enumerate() {
        if i as u64 >= MAX_LAYER_ENTRIES {
            return Err(fmt_err(format!(
                "{name}: more than {MAX_LAYER_ENTRIES} entries"
            )));
        }
        let mut e = e.map_err(io)?;
        let raw_path = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let Some(path) = rootfs::normalize_path(&raw_path) else {
            info.unsafe_entries += 1;
            continue;
        };
        match whiteout(&path) {
            Some(Whiteout::Opaque(dir)) => {
                opaque.push(dir);
                continue;
            }
            Some(Whiteout::Deleted(victim)) => {
                deleted.push(victim);
                continue;
            }
            None => {}
        }
        let ty = e.header().entry_type();
        if ty.is_dir() {
            continue;
        }
        deleted.push(path.clone());
        let mode = e.header().mode().unwrap_or(0) & 0o7777;
        let size = e.size();
        let (kind, content) = if ty.is_file() {
            let keep = size <= MAX_CONTENT_FILE
                && l.content_bytes + size <= MAX_CONTENT_TOTAL
                && (l.want)(&path, size);
            let content = if keep {
                let mut buf = Vec::with_capacity(size as usize);
                e.read_to_end(&mut buf).map_err(io)?;
                l.content_bytes += buf.len() as u64;
                Some(buf)
            } else {
                None
            };
            ("file", content)
        } else if ty.is_symlink() {
            ("symlink", None)
        } else if ty.is_hard_link() {
            let target = e
                .link_name_bytes()
                .and_then(|t| rootfs::normalize_path(&String::from_utf8_lossy(&t)));
            let src = target.and_then(|t| {
                added
                    .iter()
                    .rev()
                    .find(|a| a.path == t)
                    .or_else(|| l.entries.get(&t))
                    .cloned()
            });
            match src {
                Some(s) => {
                    added.push(ImageEntry {
                        path,
                        size: s.size,
                        mode: s.mode,
                        kind: "hardlink",
                        content: s.content,
                    });
                    continue;
                }
                None => ("hardlink", None),
            }
        } else {
            ("other", None)
        };
        added.push(ImageEntry {
            path,
            size,
            mode,
            kind,
            content,
        });
    }
    for d in &opaque {
        let prefix = format!("{d}/");
        l.entries
            .retain(|k, _| !(d.is_empty() || k.starts_with(&prefix)));
    }
    if !deleted.is_empty() {
        let del: std::collections::HashSet<&str> = deleted.iter().map(String::as_str).collect();
        l.entries.retain(|k, _| {
            let mut p = k.as_str();
            loop {
                if del.contains(p) {
                    return false;
                }
                match p.rsplit_once('/') {
                    Some((parent, _)) => p = parent,
                    None => return true,
                }
            }
        });
    }
    for a in added {
        if l.entries.len() >= MAX_LISTED_ENTRIES && !l.entries.contains_key(&a.path) {
            l.truncated = true;
            continue;
        }
        l.entries.insert(a.path.clone(), a);
    }
    Ok(())
}

fn contents_from(
    b: &mut dyn Blobs,
    mut info: ImageInfo,
    want: &dyn Fn(&str, u64) -> bool,
) -> Result<ImageContents, ImageError> {
    let (layers, config_doc): (Vec<String>, Option<Value>) = if b.has("manifest.json") {
        let m = b.read_json("manifest.json")?;
        let first = m
            .as_array()
            .and_then(|a| a.first())
            .ok_or_else(|| fmt_err("manifest.json: not a non-empty array"))?
            .clone();
        info.repo_tags = json_strings(first.get("RepoTags"));
        let layers = first
            .get("Layers")
            .and_then(Value::as_array)
            .ok_or_else(|| fmt_err("manifest.json: no Layers"))?
            .iter()
            .map(|l| {
                l.as_str()
                    .and_then(rootfs::normalize_path)
                    .ok_or_else(|| fmt_err("manifest.json: bad layer path"))
            })
            .collect::<Result<_, _>>()?;
        let config = match first
            .get("Config")
            .and_then(Value::as_str)
            .and_then(rootfs::normalize_path)
        {
            Some(c) if b.has(&c) => Some(b.read_json(&c)?),
            _ => None,
        };
        (layers, config)
    } else if b.has("index.json") {
        if info.format == "docker-archive" {
            info.format = "oci-archive".into();
        }
        let m = oci_manifest(b)?;
        let layers = m["layers"]
            .as_array()
            .map(|a| a.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|l| {
                let d = l
                    .get("digest")
                    .and_then(Value::as_str)
                    .ok_or_else(|| fmt_err("manifest layer without digest"))?;
                blob_path(d)
            })
            .collect::<Result<_, _>>()?;
        let config = match m
            .get("config")
            .and_then(|c| c.get("digest"))
            .and_then(Value::as_str)
        {
            Some(d) => {
                let p = blob_path(d)?;
                if b.has(&p) {
                    Some(b.read_json(&p)?)
                } else {
                    None
                }
            }
            None => None,
        };
        (layers, config)
    } else {
        return Err(fmt_err(
            "not a container image: no manifest.json (docker save) or index.json (OCI layout)",
        ));
    };
    if layers.len() > MAX_LAYERS {
        return Err(fmt_err(format!("more than {MAX_LAYERS} layers")));
    }
    info.layers = layers.len();
    let mut listing = Listing {
        entries: Default::default(),
        content_bytes: 0,
        truncated: false,
        want,
    };
    for l in &layers {
        let r = b.open(l)?;
        list_layer(&mut listing, l, r, &mut info)?;
    }
    Ok(ImageContents {
        info,
        config: config_doc.as_ref().map(parse_config).unwrap_or_default(),
        entries: listing.entries.into_values().collect(),
        truncated: listing.truncated,
    })
}

/// Reads an image (as [`read_image`] does) into its configuration and the
/// listing of every non-directory entry of its merged file system, with the
/// content of the files `want(path, size)` selects (at most
/// [`MAX_CONTENT_FILE`] each and [`MAX_CONTENT_TOTAL`] in all). Same bounds
/// as [`read_image`]; at most [`MAX_LISTED_ENTRIES`] entries are listed.
pub fn read_image_contents(
    path: &Path,
    want: &dyn Fn(&str, u64) -> bool,
) -> Result<ImageContents, ImageError> {
    let p = path.display().to_string();
    let info = |format: &str| ImageInfo {
        format: format.into(),
        layers: 0,
        repo_tags: Vec::new(),
        unsafe_entries: 0,
    };
    if path.is_dir() {
        let mut b = DirBlobs(path.to_path_buf());
        return contents_from(&mut b, info("oci-layout"), want);
    }
    let mut f = File::open(path).map_err(|e| ImageError::Io(p.clone(), e))?;
    let mut magic = [0u8; 2];
    let n = read_full(&mut f, &mut magic).map_err(|e| ImageError::Io(p.clone(), e))?;
    if n == 2 && magic == [0x1f, 0x8b] {
        let tmp = std::env::temp_dir().join(format!(
            "mcpsec-image-contents-{}-{}.tar",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        let res = (|| {
            let src = File::open(path).map_err(|e| ImageError::Io(p.clone(), e))?;
            let mut out = File::create(&tmp).map_err(|e| ImageError::Io(p.clone(), e))?;
            let mut gz = Limited {
                inner: flate2::read::MultiGzDecoder::new(BufReader::new(src)),
                left: MAX_LAYER_BYTES,
            };
            io::copy(&mut gz, &mut out).map_err(|e| ImageError::Io(p.clone(), e))?;
            let mut b = TarBlobs::new(&tmp)?;
            contents_from(&mut b, info("docker-archive"), want)
        })();
        let _ = std::fs::remove_file(&tmp);
        return res;
    }
    let mut b = TarBlobs::new(path)?;
    contents_from(&mut b, info("docker-archive"), want)
}
