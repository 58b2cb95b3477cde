//! Rebuild when a policy or framework file is added, changed or removed:
//! `include_dir!` embeds them, but cargo does not track new files by itself.

fn main() {
    println!("cargo:rerun-if-changed=policies");
    println!("cargo:rerun-if-changed=frameworks");
}
