//! Consumer groups: membership and partition assignment (in this process) and
//! committed offsets (durable, one file per group under `<dir>/groups/`).
//!
//! A committed offset is the offset of the next record the group has not
//! consumed yet. Offsets files are replaced atomically: write a temporary
//! file, fsync it, rename it over the old one, fsync the directory.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};

use mcpsec_core::bus::BusError;
use serde::{Deserialize, Serialize};

use crate::log::{io_err, write_atomic};

pub(crate) type TopicPartition = (String, u32);

const OFFSETS_SUFFIX: &str = ".offsets.json";
const TMP_SUFFIX: &str = ".tmp";

/// The on-disk form of a group's committed offsets.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OffsetsFile {
    version: u32,
    group: String,
    offsets: Vec<OffsetEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OffsetEntry {
    topic: String,
    partition: u32,
    next_offset: u64,
}

/// Escapes a group name into a file name: `[A-Za-z0-9_-]` stay, every other
/// byte becomes `%XX`, so names like `.` or `a/b` stay inside the directory.
pub(crate) fn group_file_name(group: &str) -> String {
    let mut out = String::with_capacity(group.len() + OFFSETS_SUFFIX.len());
    for b in group.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out.push_str(OFFSETS_SUFFIX);
    out
}

pub(crate) fn validate_group(group: &str) -> Result<(), BusError> {
    if group.is_empty() {
        return Err(BusError::Invalid("consumer group name is empty".into()));
    }
    // Keeps `<escaped name>.offsets.json.tmp` below the usual 255-byte limit.
    if group_file_name(group).len() > 240 {
        return Err(BusError::Invalid(format!(
            "consumer group name is too long: {group:?}"
        )));
    }
    Ok(())
}

#[derive(Default)]
pub(crate) struct GroupState {
    /// Members and the topics each subscribed to.
    pub members: BTreeMap<u64, Vec<String>>,
    /// Bumped on every membership change.
    pub generation: u64,
    pub assignment: HashMap<u64, Vec<TopicPartition>>,
    /// Next offset to consume per (topic, partition).
    pub committed: BTreeMap<TopicPartition, u64>,
}

impl GroupState {
    /// Recomputes the assignment: for every topic, the members subscribed to
    /// it (by id) share its partitions round-robin, partition `p` going to
    /// member `p % n`.
    fn rebalance(&mut self, partitions_of: &dyn Fn(&str) -> u32) {
        self.generation += 1;
        self.assignment.clear();
        let topics: BTreeSet<&String> = self.members.values().flatten().collect();
        for topic in topics {
            let holders: Vec<u64> = self
                .members
                .iter()
                .filter(|(_, ts)| ts.contains(topic))
                .map(|(id, _)| *id)
                .collect();
            if holders.is_empty() {
                continue;
            }
            for p in 0..partitions_of(topic) {
                let m = holders[p as usize % holders.len()];
                self.assignment
                    .entry(m)
                    .or_default()
                    .push((topic.clone(), p));
            }
        }
    }
}

pub(crate) struct Group {
    pub name: String,
    path: PathBuf,
    state: Mutex<GroupState>,
    /// Serialises offset-file writes of this group.
    pub commit_lock: tokio::sync::Mutex<()>,
}

impl Group {
    pub fn new(name: String, groups_dir: &Path, committed: BTreeMap<TopicPartition, u64>) -> Group {
        let path = groups_dir.join(group_file_name(&name));
        Group {
            name,
            path,
            state: Mutex::new(GroupState {
                committed,
                ..GroupState::default()
            }),
            commit_lock: tokio::sync::Mutex::new(()),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, GroupState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn join(&self, member: u64, topics: Vec<String>, partitions_of: &dyn Fn(&str) -> u32) {
        let mut st = self.state();
        st.members.insert(member, topics);
        st.rebalance(partitions_of);
        tracing::debug!(group = %self.name, member, generation = st.generation, "member joined");
    }

    pub fn leave(&self, member: u64, partitions_of: &dyn Fn(&str) -> u32) {
        let mut st = self.state();
        if st.members.remove(&member).is_some() {
            st.rebalance(partitions_of);
            tracing::debug!(group = %self.name, member, generation = st.generation, "member left");
        }
    }

    /// Writes `offsets` durably as the group's committed offsets (blocking).
    pub fn persist(
        &self,
        offsets: &BTreeMap<TopicPartition, u64>,
        fsync: bool,
    ) -> Result<(), BusError> {
        let file = OffsetsFile {
            version: 1,
            group: self.name.clone(),
            offsets: offsets
                .iter()
                .map(|((topic, partition), next)| OffsetEntry {
                    topic: topic.clone(),
                    partition: *partition,
                    next_offset: *next,
                })
                .collect(),
        };
        let json = serde_json::to_vec(&file).map_err(|e| {
            BusError::Internal(format!("encode offsets of group {}: {e}", self.name))
        })?;
        write_atomic(&self.path, &json, fsync)
            .map_err(|e| io_err(format_args!("write {}", self.path.display()), e))
    }
}

/// Loads every group's committed offsets from `groups_dir`, removing
/// temporary files left by a crash mid-write.
pub(crate) fn load_groups(groups_dir: &Path) -> Result<Vec<Group>, BusError> {
    let mut out = Vec::new();
    let entries = fs::read_dir(groups_dir)
        .map_err(|e| io_err(format_args!("list {}", groups_dir.display()), e))?;
    for entry in entries {
        let entry = entry.map_err(|e| io_err(format_args!("list {}", groups_dir.display()), e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(TMP_SUFFIX) {
            tracing::info!(file = %path.display(), "removing leftover temporary offsets file");
            if let Err(e) = fs::remove_file(&path) {
                tracing::warn!(file = %path.display(), error = %e, "cannot remove temporary file");
            }
            continue;
        }
        if !name.ends_with(OFFSETS_SUFFIX) {
            tracing::warn!(file = %path.display(), "ignoring unexpected file in groups directory");
            continue;
        }
        let data =
            fs::read(&path).map_err(|e| io_err(format_args!("read {}", path.display()), e))?;
        let file: OffsetsFile = serde_json::from_slice(&data).map_err(|e| {
            BusError::Corrupt(format!("{}: invalid offsets file: {e}", path.display()))
        })?;
        if file.version != 1 {
            return Err(BusError::Corrupt(format!(
                "{}: unsupported offsets file version {}",
                path.display(),
                file.version
            )));
        }
        if group_file_name(&file.group) != name {
            return Err(BusError::Corrupt(format!(
                "{}: file holds offsets of group {:?}",
                path.display(),
                file.group
            )));
        }
        let committed = file
            .offsets
            .into_iter()
            .map(|e| ((e.topic, e.partition), e.next_offset))
            .collect();
        out.push(Group::new(file.group, groups_dir, committed));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_distinct() {
        assert_eq!(group_file_name("ingest"), "ingest.offsets.json");
        assert_eq!(group_file_name("a/b"), "a%2Fb.offsets.json");
        assert_eq!(group_file_name(".."), "%2E%2E.offsets.json");
        assert_ne!(group_file_name("a.b"), group_file_name("a%2Eb"));
    }

    #[test]
    fn assignment_spreads_partitions() {
        let mut st = GroupState::default();
        st.members.insert(1, vec!["t".into()]);
        st.members.insert(2, vec!["t".into(), "u".into()]);
        st.rebalance(&|t| if t == "t" { 4 } else { 3 });
        let a1: Vec<_> = st.assignment[&1].clone();
        let a2: Vec<_> = st.assignment[&2].clone();
        assert_eq!(a1, vec![("t".to_string(), 0), ("t".to_string(), 2)]);
        assert_eq!(
            a2,
            vec![
                ("t".to_string(), 1),
                ("t".to_string(), 3),
                ("u".to_string(), 0),
                ("u".to_string(), 1),
                ("u".to_string(), 2)
            ]
        );
    }

    #[test]
    fn offsets_persist_and_reload() {
        let tmp = tempfile::tempdir().unwrap();
        let g = Group::new("g/1".into(), tmp.path(), BTreeMap::new());
        let mut offs = BTreeMap::new();
        offs.insert(("t".to_string(), 0), 5);
        offs.insert(("t".to_string(), 3), 9);
        g.persist(&offs, true).unwrap();
        fs::write(tmp.path().join("x.offsets.json.tmp"), b"{").unwrap();
        let loaded = load_groups(tmp.path()).unwrap();
        assert_eq!(loaded.len(), 1);
        assert_eq!(loaded[0].name, "g/1");
        assert_eq!(loaded[0].state().committed, offs);
        assert!(!tmp.path().join("x.offsets.json.tmp").exists());
    }

    #[test]
    fn corrupt_offsets_file_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("g.offsets.json"), b"{not json").unwrap();
        assert!(matches!(load_groups(tmp.path()), Err(BusError::Corrupt(_))));
    }
}
