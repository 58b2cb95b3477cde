//! Throughput of a full scan: N generated Kubernetes resources (default
//! 10,000; `POSTURE_BENCH_RESOURCES`) in 100 multi-document files, through
//! the whole built-in pack, timed once after a warm-up on a small subset.
//! Writes the files to `POSTURE_BENCH_DIR` when set (to run Checkov or
//! Trivy on the same input), else to a temporary directory.
//!
//! `cargo bench -p mcpsec-posture --bench scan -j2`

use std::path::PathBuf;

/// The `mcpsec` binary runs on mimalloc; so does the benchmark.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::time::Instant;

use mcpsec_posture::policy::{DEFAULT_EVAL_TIMEOUT, PolicySet};
use mcpsec_posture::scan::{ScanOptions, scan_paths};

fn resource(i: usize) -> String {
    let ns = format!("team-{}", i % 17);
    let privileged = i.is_multiple_of(7);
    let image = if i.is_multiple_of(5) {
        "nginx:latest".to_string()
    } else {
        format!("registry.example.com/app-{}:1.{}.0", i % 13, i % 9)
    };
    match i % 5 {
        0 | 1 => format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\n  namespace: {ns}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: web-{i}}}\n  template:\n    metadata:\n      labels: {{app: web-{i}}}\n    spec:\n      securityContext:\n        runAsNonRoot: true\n        runAsUser: 10001\n      containers:\n      - name: app\n        image: {image}\n        ports:\n        - containerPort: 8080\n        env:\n        - name: LOG_LEVEL\n          value: info\n        securityContext:\n          privileged: {privileged}\n          allowPrivilegeEscalation: false\n          capabilities:\n            drop: [ALL]\n        resources:\n          limits: {{cpu: 500m, memory: 256Mi}}\n        livenessProbe:\n          httpGet: {{path: /healthz, port: 8080}}\n      - name: sidecar\n        image: registry.example.com/proxy:2.1\n"
        ),
        2 => format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\nspec:\n  hostNetwork: {}\n  containers:\n  - name: c\n    image: {image}\n    volumeMounts:\n    - {{name: data, mountPath: /data}}\n  volumes:\n  - name: data\n    hostPath: {{path: /var/lib/data-{i}}}\n",
            i.is_multiple_of(3)
        ),
        3 => format!(
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\n  namespace: {ns}\nspec:\n  type: {}\n  selector: {{app: web-{i}}}\n  ports:\n  - port: 80\n    targetPort: 8080\n",
            if i.is_multiple_of(2) {
                "NodePort"
            } else {
                "ClusterIP"
            }
        ),
        _ => format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: role-{i}\n  namespace: {ns}\nrules:\n- apiGroups: [\"\"]\n  resources: [\"pods\", \"secrets\"]\n  verbs: [\"get\", \"list\"{}]\n",
            if i.is_multiple_of(4) { ", \"*\"" } else { "" }
        ),
    }
}

fn main() {
    let n: usize = std::env::var("POSTURE_BENCH_RESOURCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = std::env::var("POSTURE_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("bench dir");
    let per_file = n.div_ceil(100);
    for f in 0..100 {
        let docs: Vec<String> = (f * per_file..((f + 1) * per_file).min(n))
            .map(resource)
            .collect();
        if !docs.is_empty() {
            std::fs::write(dir.join(format!("res-{f:03}.yaml")), docs.join("---\n"))
                .expect("write");
        }
    }
    let t0 = Instant::now();
    let pack = PolicySet::builtin().compile(DEFAULT_EVAL_TIMEOUT);
    let compile = t0.elapsed();
    let opts = ScanOptions::default();
    let _ = scan_paths(&pack, &[dir.join("res-000.yaml")], &opts);
    let t1 = Instant::now();
    let report = scan_paths(&pack, std::slice::from_ref(&dir), &opts);
    let scan = t1.elapsed();
    assert!(report.input_errors.is_empty() && report.eval_errors.is_empty());
    println!(
        "posture scan: {} resources, {} checks compiled in {:.0} ms; scan {:.2} s ({:.0} resources/s, {} evaluations, {} findings, {} threads)",
        report.resources,
        pack.checks.len(),
        compile.as_secs_f64() * 1000.0,
        scan.as_secs_f64(),
        report.resources as f64 / scan.as_secs_f64(),
        report.checks.iter().map(|c| c.evaluated).sum::<u64>(),
        report.findings.len(),
        opts.threads
    );
}
