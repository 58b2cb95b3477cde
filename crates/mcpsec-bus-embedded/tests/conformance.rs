//! The shared bus conformance suite (mcpsec-testkit) against the embedded bus,
//! including the SIGKILL durability test.

use std::path::{Path, PathBuf};

use mcpsec_bus_embedded::{EmbeddedBus, EmbeddedBusConfig};
use mcpsec_testkit::bus::{self, BusSuiteOptions};

const PARTITIONS: u32 = 4;

fn config(dir: &Path) -> EmbeddedBusConfig {
    EmbeddedBusConfig {
        dir: dir.to_path_buf(),
        partitions: PARTITIONS,
        // Small segments so the suite exercises segment rolls.
        segment_bytes: 16 * 1024,
        fsync: true,
    }
}

async fn open(dir: PathBuf) -> EmbeddedBus {
    config(&dir).build().await.expect("open embedded bus")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    bus::run_bus_conformance(|| open(dir.clone()), &BusSuiteOptions::exact(PARTITIONS)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_single_partition() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let make = || {
        let dir = dir.clone();
        async move {
            EmbeddedBusConfig {
                partitions: 1,
                ..config(&dir)
            }
            .build()
            .await
            .expect("open embedded bus")
        }
    };
    bus::run_bus_conformance(make, &BusSuiteOptions::exact(1)).await;
}

/// Child process of `sigkill_keeps_every_acknowledged_message`; does nothing
/// in a normal test run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_child() {
    let Some(child) = bus::crash_child_env() else {
        return;
    };
    let bus = open(PathBuf::from(child.context)).await;
    bus::crash_child_publish(&bus, &child.topic, 10_000_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_keeps_every_acknowledged_message() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let context = dir.to_str().unwrap().to_owned();
    // Twice on the same directory: the second child appends to a log that was
    // recovered after the first kill.
    for (round, min_acked) in [(0, 200), (1, 1500)] {
        let topic = bus::unique_name(&format!("crash{round}"));
        bus::crash_parent_check(
            "sigkill_child",
            &topic,
            &context,
            min_acked,
            || open(dir.clone()),
            &BusSuiteOptions::exact(PARTITIONS),
        )
        .await;
    }
}
