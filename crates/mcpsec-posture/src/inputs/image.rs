//! Container images as posture input (`container-image`).
//!
//! The `mcpsec` binary reads an image (docker save tarball, OCI archive or
//! layout) with the vulnerability capability's image reader and hands the
//! configuration and file listing here as [`ImageFacts`]; [`document`] turns
//! them into the JSON document Rego checks see. The same document saved as a
//! `.json` file (with `"mcpsec_input": "container-image"`) is scanned like
//! any other input, which is how the check fixtures are written.
//!
//! ```json
//! {"mcpsec_input": "container-image", "image": "app:1", "format": "docker-archive",
//!  "config": {"present": true, "user": "10001", "env": [{"name": "PATH", "has_value": true, "value_secret": null}],
//!             "exposed_ports": ["8080/tcp"], "entrypoint": [], "cmd": ["app"],
//!             "history": [{"created_by": "RUN make", "empty_layer": false}]},
//!  "files": [{"path": "usr/bin/passwd", "size": 1, "mode": 2541, "type": "file", "setuid": true, "setgid": false}],
//!  "files_truncated": false,
//!  "secrets": [{"path": "root/.ssh/id_rsa", "line": 1, "kind": "private-key", "hint": "-----BEGIN RSA PRIVATE KEY-----"}]}
//! ```
//!
//! Secret values never enter the document: environment variables are
//! described by name (and the kind of secret their value looks like), and
//! secrets found in files by path, line, kind and a redacted hint.

use std::path::Path;
use std::sync::{Arc, LazyLock};

use regex::Regex;
use serde_json::{Value, json};

use super::{InputKind, Target};
use crate::yaml::LineMap;

/// The marker of an image document.
pub const MARKER: &str = "container-image";
/// Largest file scanned for secrets.
pub const MAX_SECRET_FILE: u64 = 64 << 10;
/// Most secrets reported per image.
pub const MAX_SECRETS: usize = 200;

/// An image's runtime configuration.
#[derive(Debug, Clone, Default)]
pub struct ConfigFacts {
    pub present: bool,
    pub user: Option<String>,
    /// `KEY=VALUE` entries.
    pub env: Vec<String>,
    pub exposed_ports: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// `(created_by, empty_layer)` of every history step.
    pub history: Vec<(String, bool)>,
}

/// One non-directory entry of the image's file system.
#[derive(Debug, Clone, Default)]
pub struct FileFacts {
    pub path: String,
    pub size: u64,
    pub mode: u32,
    /// `file`, `symlink`, `hardlink`, `other`.
    pub kind: String,
    /// Content, for the files [`wants_content`] selected.
    pub content: Option<Vec<u8>>,
}

/// What was read from an image.
#[derive(Debug, Clone, Default)]
pub struct ImageFacts {
    pub name: String,
    pub format: String,
    pub config: ConfigFacts,
    pub files: Vec<FileFacts>,
    pub truncated: bool,
}

/// Directories whose files are not searched for secrets: package payloads
/// ship test keys and documentation examples.
const SECRET_SKIP: &[&str] = &[
    "usr/share/",
    "usr/include/",
    "/site-packages/",
    "/dist-packages/",
    "/node_modules/",
    "/test/",
    "/tests/",
    "/testdata/",
    "etc/ssl/certs/",
];

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether a file may hold a secret worth reading: credential files by
/// name (`.env`, `.npmrc`, `.pypirc`, `.netrc`, `.git-credentials`, AWS
/// `credentials`, SSH keys, `*.pem`, `*.key`), small enough.
pub fn wants_content(path: &str, size: u64) -> bool {
    if size > MAX_SECRET_FILE {
        return false;
    }
    let p = format!("/{path}");
    if SECRET_SKIP
        .iter()
        .any(|s| p.contains(&format!("/{}", s.trim_start_matches('/'))))
    {
        return false;
    }
    let b = basename(path);
    b == ".env"
        || b.starts_with(".env.")
        || b.ends_with(".env")
        || matches!(
            b,
            ".npmrc" | ".pypirc" | ".netrc" | ".git-credentials" | ".dockercfg" | "config.json"
        ) && (b != "config.json" || path.ends_with(".docker/config.json"))
        || (b == "credentials" && path.ends_with(".aws/credentials"))
        || b.starts_with("id_rsa")
        || b.starts_with("id_dsa")
        || b.starts_with("id_ecdsa")
        || b.starts_with("id_ed25519")
        || b.ends_with(".pem")
        || b.ends_with(".key")
}

static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----BEGIN ((?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----")
        .expect("regex")
});
static AWS_KEY_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b").expect("regex"));
static AWS_SECRET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*aws_secret_access_key\s*=\s*\S{20,}").expect("regex"));
static NPM_TOKEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)(_authToken|_auth|_password)\s*=\s*\S+").expect("regex"));
static PYPI_PASSWORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^\s*password\s*[:=]\s*\S+").expect("regex"));
static NETRC_PASSWORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\bpassword\s+\S+").expect("regex"));
static URL_CREDENTIALS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@").expect("regex"));
static DOCKER_AUTH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""auth"\s*:\s*"[^"]+""#).expect("regex"));
/// Environment / `.env` keys that name a secret.
static SECRET_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(passw(or)?d|secret|token|api_?key|private_?key|credential|access_?key)")
        .expect("regex")
});
static ENV_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$").expect("regex")
});

/// The kind of secret a value looks like (never the value).
pub fn value_secret_kind(v: &str) -> Option<&'static str> {
    if PRIVATE_KEY.is_match(v) {
        Some("private-key")
    } else if AWS_KEY_ID.is_match(v) {
        Some("aws-access-key-id")
    } else if URL_CREDENTIALS.is_match(v) {
        Some("url-credentials")
    } else {
        None
    }
}

/// Whether an assignment value is a placeholder rather than a secret.
fn is_placeholder(v: &str) -> bool {
    let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
    v.is_empty()
        || v.starts_with('$')
        || v.starts_with('<')
        || v.eq_ignore_ascii_case("changeme")
        || v.eq_ignore_ascii_case("none")
        || v.eq_ignore_ascii_case("null")
        || v.chars().all(|c| c == '*' || c == 'x' || c == 'X')
}

/// A secret found in a file: 1-based line, kind, redacted hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretHit {
    pub line: usize,
    pub kind: &'static str,
    pub hint: String,
}

/// Secrets in one file's text, by well-known patterns. Hints never contain
/// the secret: the key name, or the PEM header, or a 4-character prefix.
pub fn find_secrets(path: &str, text: &str) -> Vec<SecretHit> {
    let b = basename(path);
    let is_env = b == ".env" || b.starts_with(".env.") || b.ends_with(".env");
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let hit = |kind: &'static str, hint: String| SecretHit {
            line: line_no,
            kind,
            hint,
        };
        if let Some(m) = PRIVATE_KEY.find(line) {
            out.push(hit("private-key", m.as_str().to_string()));
        } else if let Some(m) = AWS_KEY_ID.find(line) {
            out.push(hit("aws-access-key-id", format!("{}…", &m.as_str()[..4])));
        } else if AWS_SECRET.is_match(line) {
            out.push(hit(
                "aws-secret-access-key",
                "aws_secret_access_key=…".into(),
            ));
        } else if b == ".npmrc"
            && let Some(c) = NPM_TOKEN.captures(line)
        {
            out.push(hit("npm-token", format!("{}=…", &c[1])));
        } else if b == ".pypirc" && PYPI_PASSWORD.is_match(line) {
            out.push(hit("pypi-password", "password=…".into()));
        } else if b == ".netrc" && NETRC_PASSWORD.is_match(line) {
            out.push(hit("netrc-password", "password …".into()));
        } else if URL_CREDENTIALS.is_match(line) {
            out.push(hit("url-credentials", "scheme://user:…@".into()));
        } else if b == "config.json" && DOCKER_AUTH.is_match(line) {
            out.push(hit("docker-auth", "\"auth\": \"…\"".into()));
        } else if is_env
            && let Some(c) = ENV_LINE.captures(line)
            && SECRET_NAME.is_match(&c[1])
            && !is_placeholder(&c[2])
        {
            out.push(hit("env-file-secret", format!("{}=…", &c[1])));
        }
    }
    out
}

/// The Rego document of an image.
pub fn document(f: &ImageFacts) -> Value {
    let env: Vec<Value> = f
        .config
        .env
        .iter()
        .map(|e| {
            let (name, value) = e.split_once('=').unwrap_or((e.as_str(), ""));
            json!({
                "name": name,
                "has_value": !is_placeholder(value),
                "value_secret": value_secret_kind(value),
            })
        })
        .collect();
    let history: Vec<Value> = f
        .config
        .history
        .iter()
        .map(|(c, e)| json!({"created_by": c, "empty_layer": e}))
        .collect();
    let mut secrets = Vec::new();
    let files: Vec<Value> = f
        .files
        .iter()
        .map(|x| {
            if let Some(c) = &x.content
                && secrets.len() < MAX_SECRETS
            {
                let text = String::from_utf8_lossy(c);
                for s in find_secrets(&x.path, &text).into_iter().take(10) {
                    secrets.push(
                        json!({"path": x.path, "line": s.line, "kind": s.kind, "hint": s.hint}),
                    );
                }
            }
            json!({
                "path": x.path,
                "size": x.size,
                "mode": x.mode,
                "type": x.kind,
                "setuid": x.kind != "symlink" && x.mode & 0o4000 != 0,
                "setgid": x.kind != "symlink" && x.mode & 0o2000 != 0,
            })
        })
        .collect();
    secrets.truncate(MAX_SECRETS);
    json!({
        "mcpsec_input": MARKER,
        "image": f.name,
        "format": f.format,
        "config": {
            "present": f.config.present,
            "user": f.config.user.clone().unwrap_or_default(),
            "env": env,
            "exposed_ports": f.config.exposed_ports,
            "entrypoint": f.config.entrypoint,
            "cmd": f.config.cmd,
            "history": history,
        },
        "files": files,
        "files_truncated": f.truncated,
        "secrets": secrets,
    })
}

/// Whether a JSON document is an image document.
pub fn is_document(v: &Value) -> bool {
    v.get("mcpsec_input").and_then(Value::as_str) == Some(MARKER)
}

/// An image document as one target.
pub fn target(file: &str, doc: Value) -> Target {
    let resource = doc["image"]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| {
            Path::new(file)
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_else(|| file.to_string())
        });
    Target {
        kind: InputKind::ContainerImage,
        file: file.to_string(),
        resource,
        selector: "image".into(),
        line: 1,
        input: regorus::Value::from(doc),
        lines: Arc::new(LineMap::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_found_and_not_echoed() {
        let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
        let h = find_secrets("root/.ssh/id_ed25519", key);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].kind, "private-key");
        assert!(!h[0].hint.contains("b3Bl"));

        let env = "# app\nDB_PASSWORD=hunter22\nAPI_TOKEN=\nDEBUG=1\nSECRET_KEY=${FROM_ENV}\n";
        let h = find_secrets("app/.env", env);
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!((h[0].line, h[0].kind), (2, "env-file-secret"));
        assert!(!h[0].hint.contains("hunter22"));

        let npmrc = "//registry.npmjs.org/:_authToken=npm_abcdefabcdef\n";
        let h = find_secrets("root/.npmrc", npmrc);
        assert_eq!(h[0].kind, "npm-token");
        assert!(!h[0].hint.contains("npm_abc"));

        let aws = "[default]\naws_access_key_id = AKIAABCDEFGHIJKLMNOP\naws_secret_access_key = abcdefghijabcdefghijabcdefghij\n";
        let h = find_secrets("root/.aws/credentials", aws);
        assert_eq!(h.len(), 2);
        assert!(h.iter().all(|s| !s.hint.contains("ABCDEFGH")));

        assert!(find_secrets("app/config.txt", "password = x\n").is_empty());
    }

    #[test]
    fn content_selection() {
        assert!(wants_content("root/.ssh/id_rsa", 1700));
        assert!(wants_content("app/.env.production", 100));
        assert!(wants_content("root/.docker/config.json", 100));
        assert!(!wants_content("app/config.json", 100));
        assert!(!wants_content(
            "usr/lib/python3/dist-packages/x/tests/key.pem",
            100
        ));
        assert!(!wants_content("root/.ssh/id_rsa", MAX_SECRET_FILE + 1));
        assert!(!wants_content("usr/bin/ls", 100));
    }

    #[test]
    fn document_hides_values() {
        let f = ImageFacts {
            name: "x:1".into(),
            config: ConfigFacts {
                present: true,
                env: vec!["DB_PASSWORD=hunter22".into(), "PATH=/usr/bin".into()],
                ..Default::default()
            },
            files: vec![FileFacts {
                path: "usr/bin/su".into(),
                size: 10,
                mode: 0o4755,
                kind: "file".into(),
                content: None,
            }],
            ..Default::default()
        };
        let d = document(&f);
        assert!(!d.to_string().contains("hunter22"));
        assert_eq!(d["config"]["env"][0]["name"], "DB_PASSWORD");
        assert_eq!(d["files"][0]["setuid"], true);
        assert!(is_document(&d));
    }
}
