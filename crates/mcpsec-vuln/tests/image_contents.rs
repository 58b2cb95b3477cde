//! `read_image_contents`: the configuration and merged file listing of an
//! image (docker save tarball and OCI layout directory built here), with
//! whiteouts, modes, hard links, and content only for the selected files.

use std::path::{Path, PathBuf};

use mcpsec_vuln::image::read_image_contents;
use serde_json::json;

fn tmp(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("image-contents-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn layer(entries: &[(&str, u32, &[u8])], hardlink: Option<(&str, &str)>) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (p, mode, data) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(*mode);
        h.set_size(data.len() as u64);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, p, *data).unwrap();
    }
    if let Some((p, target)) = hardlink {
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_entry_type(tar::EntryType::Link);
        b.append_link(&mut h, p, target).unwrap();
    }
    b.into_inner().unwrap()
}

fn layers() -> Vec<Vec<u8>> {
    vec![
        layer(
            &[
                ("usr/bin/su", 0o4755, b"ELF-su"),
                ("etc/secret.key", 0o600, b"KEY"),
                ("opt/old/a.txt", 0o644, b"a"),
            ],
            Some(("usr/bin/su-link", "usr/bin/su")),
        ),
        layer(
            &[
                ("etc/.wh.secret.key", 0o644, b""),
                ("opt/.wh..wh..opq", 0o644, b""),
                ("opt/new.txt", 0o644, b"n"),
            ],
            None,
        ),
    ]
}

fn config() -> serde_json::Value {
    json!({
        "config": {"User": "app", "Env": ["A=1"], "ExposedPorts": {"8080/tcp": {}}, "Cmd": ["run"]},
        "history": [{"created_by": "RUN x"}, {"created_by": "ENV A=1", "empty_layer": true}]
    })
}

fn check(path: &Path) {
    let want = |p: &str, _size: u64| p.ends_with(".key") || p == "usr/bin/su";
    let c = read_image_contents(path, &want).unwrap();
    assert_eq!(c.info.layers, 2);
    assert_eq!(c.config.user.as_deref(), Some("app"));
    assert_eq!(c.config.env, ["A=1"]);
    assert_eq!(c.config.exposed_ports, ["8080/tcp"]);
    assert_eq!(c.config.cmd, ["run"]);
    assert_eq!(c.config.history.len(), 2);
    assert!(c.config.history[1].empty_layer);
    let paths: Vec<&str> = c.entries.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths, ["opt/new.txt", "usr/bin/su", "usr/bin/su-link"]);
    let su = &c.entries[1];
    assert_eq!(su.mode, 0o4755);
    assert_eq!(su.content.as_deref(), Some(&b"ELF-su"[..]));
    let link = &c.entries[2];
    assert_eq!((link.kind, link.mode), ("hardlink", 0o4755));
    assert!(c.entries[0].content.is_none(), "content only when asked");
    assert!(!c.truncated);
}

#[test]
fn docker_save_config_and_listing() {
    let dir = tmp("docker");
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        h.set_size(data.len() as u64);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).unwrap();
    };
    for (i, l) in layers().iter().enumerate() {
        add(&format!("l{i}/layer.tar"), l);
    }
    add("cfg.json", config().to_string().as_bytes());
    let m = json!([{"Config": "cfg.json", "RepoTags": ["x:1"], "Layers": ["l0/layer.tar", "l1/layer.tar"]}]);
    add("manifest.json", m.to_string().as_bytes());
    let p = dir.join("img.tar");
    std::fs::write(&p, b.into_inner().unwrap()).unwrap();
    check(&p);
    let c = read_image_contents(&p, &|_, _| false).unwrap();
    assert_eq!(c.info.repo_tags, ["x:1"]);
}

#[test]
fn oci_layout_config_and_listing() {
    let dir = tmp("oci").join("layout");
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |name: &str, data: &[u8]| {
        std::fs::write(blobs.join(name), data).unwrap();
        format!("sha256:{name}")
    };
    let l: Vec<String> = layers()
        .iter()
        .enumerate()
        .map(|(i, b)| put(&format!("layer{i}"), b))
        .collect();
    let cfg = put("config", config().to_string().as_bytes());
    let manifest =
        json!({"config": {"digest": cfg}, "layers": [{"digest": l[0]}, {"digest": l[1]}]});
    let md = put("manifest", manifest.to_string().as_bytes());
    std::fs::write(
        dir.join("index.json"),
        json!({"manifests": [{"digest": md, "platform": {"os": "linux", "architecture": "amd64"}}]})
            .to_string(),
    )
    .unwrap();
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    check(&dir);
}
