//! Configuration of the embedded bus.

use std::path::PathBuf;

use mcpsec_core::bus::BusError;
use serde::{Deserialize, Serialize};

use crate::EmbeddedBus;

fn default_dir() -> PathBuf {
    PathBuf::from("bus")
}

fn default_partitions() -> u32 {
    4
}

fn default_segment_bytes() -> u64 {
    64 * 1024 * 1024
}

fn default_fsync() -> bool {
    true
}

/// Configuration of the embedded bus, e.g. in TOML:
///
/// ```toml
/// [bus.embedded]
/// dir = "/var/lib/mcpsec/bus"
/// partitions = 4              # for newly created topics
/// segment_bytes = 67108864    # roll segment files at 64 MiB
/// fsync = true                # publish returns after fsync
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmbeddedBusConfig {
    /// Data directory; holds `topics/`, `groups/` and a `LOCK` file. A
    /// relative path is relative to the working directory (the server
    /// resolves it against its data directory first). Default `bus`.
    #[serde(default = "default_dir")]
    pub dir: PathBuf,
    /// Partitions of newly created topics (existing topics keep theirs).
    #[serde(default = "default_partitions")]
    pub partitions: u32,
    /// Size at which a partition starts a new segment file.
    #[serde(default = "default_segment_bytes")]
    pub segment_bytes: u64,
    /// Fsync appends and offset commits before acknowledging them. Turning it
    /// off trades durability on power loss for speed (a process crash still
    /// loses nothing acknowledged).
    #[serde(default = "default_fsync")]
    pub fsync: bool,
}

impl Default for EmbeddedBusConfig {
    fn default() -> Self {
        EmbeddedBusConfig::new(default_dir())
    }
}

impl EmbeddedBusConfig {
    /// Defaults with the given data directory.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        EmbeddedBusConfig {
            dir: dir.into(),
            partitions: default_partitions(),
            segment_bytes: default_segment_bytes(),
            fsync: default_fsync(),
        }
    }

    /// Checks the values without touching the disk.
    pub fn validate(&self) -> Result<(), BusError> {
        if self.dir.as_os_str().is_empty() {
            return Err(BusError::Invalid("bus.embedded.dir is empty".into()));
        }
        if !(1..=1024).contains(&self.partitions) {
            return Err(BusError::Invalid(format!(
                "bus.embedded.partitions must be between 1 and 1024, got {}",
                self.partitions
            )));
        }
        if self.segment_bytes < 4096 {
            return Err(BusError::Invalid(format!(
                "bus.embedded.segment_bytes must be at least 4096, got {}",
                self.segment_bytes
            )));
        }
        Ok(())
    }

    /// Opens the bus (creating the directory when needed and recovering what
    /// is on disk).
    pub async fn build(&self) -> Result<EmbeddedBus, BusError> {
        EmbeddedBus::open(self.clone()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_defaults_and_unknown_fields() {
        let c: EmbeddedBusConfig = serde_json::from_str(r#"{"dir":"/x"}"#).unwrap();
        assert_eq!(c, EmbeddedBusConfig::new("/x"));
        assert_eq!(c.partitions, 4);
        assert_eq!(c.segment_bytes, 64 << 20);
        assert!(c.fsync);
        assert!(
            serde_json::from_str::<EmbeddedBusConfig>(r#"{"dir":"/x","partition":2}"#).is_err()
        );
        let c: EmbeddedBusConfig = serde_json::from_str(r#"{"partitions":2}"#).unwrap();
        assert_eq!(c.dir, PathBuf::from("bus"));
        assert_eq!(c.partitions, 2);
        assert_eq!(
            serde_json::from_str::<EmbeddedBusConfig>("{}").unwrap(),
            EmbeddedBusConfig::default()
        );
    }

    #[test]
    fn validation() {
        assert!(EmbeddedBusConfig::new("/x").validate().is_ok());
        let mut c = EmbeddedBusConfig::new("/x");
        c.partitions = 0;
        assert!(c.validate().is_err());
        let mut c = EmbeddedBusConfig::new("/x");
        c.segment_bytes = 10;
        assert!(c.validate().is_err());
        assert!(EmbeddedBusConfig::new("").validate().is_err());
    }
}
