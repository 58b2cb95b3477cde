//! Finding scan inputs: a single SBOM or lockfile, a directory walked for
//! them, a container image (tarball or OCI layout directory) or an unpacked
//! root filesystem. One unreadable or malformed file is reported and skipped.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::image;
use crate::lockfile;
use crate::rootfs;
use crate::sbom::{self, Component};

/// Files larger than this are not read.
pub const MAX_FILE_BYTES: u64 = 256 << 20;

/// One input file that was read.
#[derive(Debug, Clone, Serialize)]
pub struct InputFile {
    pub path: String,
    /// `CycloneDxJson`, `NpmLock`…
    pub format: String,
    pub components: usize,
}

/// A file that could not be used.
#[derive(Debug, Clone, Serialize)]
pub struct InputError {
    pub path: String,
    pub error: String,
}

/// Everything found under a path.
#[derive(Debug, Default, Serialize)]
pub struct Collected {
    pub components: Vec<Component>,
    pub files: Vec<InputFile>,
    pub errors: Vec<InputError>,
    /// The distribution, when the input is an image or a root filesystem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distro: Option<rootfs::Distro>,
    /// The image layout, when the input is a container image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<image::ImageInfo>,
    /// Source files read for import hints (directory scans only).
    #[serde(skip_serializing_if = "is_zero")]
    pub source_files: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Fatal input errors (the path itself is unusable).
#[derive(Debug, thiserror::Error)]
pub enum InputsError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error(
        "{0}: unknown format: not a supported SBOM (CycloneDX JSON/XML, SPDX 2 JSON/tag-value, SPDX 3 JSON-LD), lockfile or container image"
    )]
    Unknown(String),
    #[error("{0}: {1}")]
    Malformed(String, String),
}

const SKIP_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    "target",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
];

fn sbom_candidate(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".json")
        || n.ends_with(".xml")
        || n.ends_with(".spdx")
        || n.ends_with(".cdx")
        || n.ends_with(".jsonld")
}

/// Reads one file; `Ok(None)` when it is neither an SBOM nor a lockfile.
fn read_one(path: &Path) -> Result<Option<(String, Vec<Component>)>, String> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!(
            "{} bytes exceed the {MAX_FILE_BYTES}-byte limit",
            meta.len()
        ));
    }
    if let Some(kind) = lockfile::kind_of(&name) {
        let b = std::fs::read(path).map_err(|e| e.to_string())?;
        return lockfile::parse(kind, &b)
            .map(|c| Some((format!("{kind:?}"), c)))
            .map_err(|e| e.to_string());
    }
    let b = std::fs::read(path).map_err(|e| e.to_string())?;
    match sbom::parse(&b) {
        Ok((f, c)) => Ok(Some((format!("{f:?}"), c))),
        Err(sbom::SbomError::Unknown) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Collects components from a file or a directory tree.
pub fn collect(path: &Path) -> Result<Collected, InputsError> {
    let p = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| InputsError::Io(p.clone(), e))?;
    let mut out = Collected::default();
    let is_lockfile_name = path
        .file_name()
        .is_some_and(|n| lockfile::kind_of(&n.to_string_lossy()).is_some());
    if (meta.is_file() && !is_lockfile_name && image::is_tarball(path))
        || (meta.is_dir() && image::is_oci_dir(path))
    {
        let (info, set) = image::read_image(path)
            .map_err(|e| InputsError::Malformed(p.clone(), e.to_string()))?;
        add_rootfs(&mut out, &p, "!", &set);
        out.image = Some(info);
        return Ok(out);
    }
    if meta.is_dir() && rootfs::looks_like_rootfs(path) {
        let set = rootfs::read_dir(path);
        add_rootfs(&mut out, &p, "/", &set);
        return Ok(out);
    }
    if meta.is_file() {
        match read_one(path) {
            Ok(Some((format, comps))) => {
                out.files.push(InputFile {
                    path: p,
                    format,
                    components: comps.len(),
                });
                out.components = comps;
            }
            Ok(None) => return Err(InputsError::Unknown(p)),
            Err(e) => return Err(InputsError::Malformed(p, e)),
        }
        return Ok(out);
    }
    let mut files = Vec::new();
    walk(path, &mut files, &mut out.errors);
    files.sort();
    for f in &files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        if lockfile::kind_of(&name).is_none() && !sbom_candidate(&name) {
            continue;
        }
        match read_one(f) {
            Ok(Some((format, comps))) => {
                out.files.push(InputFile {
                    path: f.display().to_string(),
                    format,
                    components: comps.len(),
                });
                out.components.extend(comps);
            }
            Ok(None) => {}
            Err(e) => out.errors.push(InputError {
                path: f.display().to_string(),
                error: e,
            }),
        }
    }
    // Reachability: which packages the project's own source files import.
    if !out.components.is_empty() {
        let imports = crate::reachability::SourceImports::from_files(&files);
        imports.apply(&mut out.components);
        out.source_files = imports.files_read;
    }
    Ok(out)
}

/// Adds what a root filesystem holds; paths are shown as `input!inner`
/// (images) or `input/inner` (directories).
fn add_rootfs(out: &mut Collected, input: &str, sep: &str, set: &rootfs::FileSet) {
    let a = rootfs::analyze(set);
    let input = input.trim_end_matches('/');
    for s in a.sources {
        out.files.push(InputFile {
            path: format!("{input}{sep}{}", s.path),
            format: s.format,
            components: s.components,
        });
    }
    for (path, error) in a.errors {
        out.errors.push(InputError {
            path: format!("{input}{sep}{path}"),
            error,
        });
    }
    out.components = a.components;
    out.distro = a.distro;
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<InputError>) {
    let rd = match std::fs::read_dir(dir) {
        Ok(r) => r,
        Err(e) => {
            errors.push(InputError {
                path: dir.display().to_string(),
                error: e.to_string(),
            });
            return;
        }
    };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        let p = e.path();
        // Symlinks are not followed (no loops, no escaping the tree).
        if ft.is_dir() {
            if !SKIP_DIRS.contains(&e.file_name().to_string_lossy().as_ref()) {
                walk(&p, files, errors);
            }
        } else if ft.is_file() {
            files.push(p);
        }
    }
}
