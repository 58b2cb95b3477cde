//! Terraform expansion: local modules with their arguments, `count` and
//! `for_each` instances, and warnings for what does not resolve.

use mcpsec_posture::inputs::load_paths;
use mcpsec_posture::policy::{DEFAULT_EVAL_TIMEOUT, PolicySet};
use mcpsec_posture::scan::{ScanOptions, scan_paths};

fn write(dir: &std::path::Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn modules_count_and_for_each_expand() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(
        root,
        "main.tf",
        r#"variable "encrypt" {
  default = false
}
locals {
  names = ["a", "b"]
}
module "disks" {
  source    = "./modules/disk"
  encrypted = var.encrypt
  size      = 10
}
module "safe" {
  source    = "./modules/disk"
  encrypted = true
}
module "remote" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.0"
}
resource "aws_ebs_volume" "counted" {
  count             = 2
  availability_zone = "eu-west-1a"
  encrypted         = count.index == 0
}
resource "aws_ebs_volume" "each" {
  for_each          = toset(local.names)
  availability_zone = "eu-west-1${each.key}"
  encrypted         = true
}
resource "aws_ebs_volume" "unknown" {
  count             = length(data.aws_availability_zones.all.names)
  availability_zone = "eu-west-1a"
  encrypted         = true
}
"#,
    );
    write(
        root,
        "modules/disk/main.tf",
        r#"variable "encrypted" {
  default = true
}
variable "size" {
  default = 1
}
resource "aws_ebs_volume" "this" {
  availability_zone = "eu-west-1a"
  size              = var.size
  encrypted         = var.encrypted
}
"#,
    );
    let loaded = load_paths(&[root.to_path_buf()]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let mut addrs: Vec<&str> = loaded.targets.iter().map(|t| t.resource.as_str()).collect();
    addrs.sort();
    assert_eq!(
        addrs,
        vec![
            "aws_ebs_volume.counted[0]",
            "aws_ebs_volume.counted[1]",
            "aws_ebs_volume.each[\"a\"]",
            "aws_ebs_volume.each[\"b\"]",
            "aws_ebs_volume.unknown",
            "module.disks.aws_ebs_volume.this",
            "module.safe.aws_ebs_volume.this",
        ],
        "the module directory is scanned through its callers only"
    );
    let warnings: Vec<String> = loaded.warnings.iter().map(|w| w.reason.clone()).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("module.remote") && w.contains("not a local path")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("aws_ebs_volume.unknown") && w.contains("does not resolve")),
        "{warnings:?}"
    );

    // The same through a `./`-prefixed relative path: the module directory is
    // still recognised and not scanned twice.
    let tmp2 = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    for f in ["main.tf", "modules/disk/main.tf"] {
        write(
            tmp2.path(),
            f,
            &std::fs::read_to_string(root.join(f)).unwrap(),
        );
    }
    let cwd = std::env::current_dir().unwrap();
    let mut up = std::path::PathBuf::from(".");
    let mut base = cwd.as_path();
    while !tmp2.path().starts_with(base) {
        up.push("..");
        base = base.parent().unwrap();
    }
    let dotted = up.join(tmp2.path().strip_prefix(base).unwrap());
    let rel = load_paths(std::slice::from_ref(&dotted));
    assert_eq!(rel.targets.len(), 7, "{}", dotted.display());

    // TF-AWS-011 (EBS not encrypted) sees the module argument and count.index.
    let pack = PolicySet::builtin().compile(DEFAULT_EVAL_TIMEOUT);
    let report = scan_paths(&pack, &[root.to_path_buf()], &ScanOptions::default());
    let mut failing: Vec<(String, String)> = report
        .findings
        .iter()
        .filter(|f| f.check_id == "TF-AWS-011")
        .map(|f| (f.resource.clone(), f.file.clone()))
        .collect();
    failing.sort();
    assert_eq!(failing.len(), 2, "{failing:?}");
    assert_eq!(failing[0].0, "aws_ebs_volume.counted[1]");
    assert_eq!(failing[1].0, "module.disks.aws_ebs_volume.this");
    assert!(
        failing[1].1.ends_with("modules/disk/main.tf"),
        "{failing:?}"
    );
    assert!(!report.input_warnings.is_empty());
}
