//! MITRE ATT&CK Enterprise: techniques, sub-techniques and tactics, and the
//! mapping of Sigma tags (`attack.t1059.001`, `attack.execution`) to them.
//!
//! The table `data/attack-techniques.tsv` is our own compact format,
//! generated from the ATT&CK technique and tactic lists by the test
//! `attack_table_is_current` (run it with `MCPSEC_REGENERATE=1` to rewrite
//! the file). Lines: `tactic <TAB> id <TAB> shortname <TAB> name` and
//! `technique <TAB> id <TAB> name <TAB> tactic shortnames (comma) <TAB> status`.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;

/// The embedded table.
pub const TABLE: &str = include_str!("../data/attack-techniques.tsv");

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tactic {
    pub id: String,
    pub shortname: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Technique {
    pub id: String,
    pub name: String,
    /// Tactic shortnames (`defense-evasion`).
    #[serde(skip)]
    pub tactics: Vec<String>,
    /// `active`, `deprecated` or `revoked`.
    #[serde(skip)]
    pub status: String,
}

/// Id and name, as alerts carry them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct AttackRef {
    pub id: String,
    pub name: String,
}

/// The ATT&CK lookup tables.
#[derive(Debug, Default)]
pub struct Attack {
    tactics: Vec<Tactic>,
    techniques: HashMap<String, Technique>,
}

/// Techniques and tactics of one rule.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AttackMapping {
    pub techniques: Vec<AttackRef>,
    pub tactics: Vec<AttackRef>,
}

impl Attack {
    /// The embedded table, parsed once.
    pub fn embedded() -> &'static Attack {
        static A: OnceLock<Attack> = OnceLock::new();
        A.get_or_init(|| Attack::parse(TABLE))
    }

    pub fn parse(table: &str) -> Attack {
        let mut a = Attack::default();
        for line in table
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let cols: Vec<&str> = line.split('\t').collect();
            match cols.as_slice() {
                ["tactic", id, short, name, ..] => a.tactics.push(Tactic {
                    id: id.to_string(),
                    shortname: short.to_string(),
                    name: name.to_string(),
                }),
                ["technique", id, name, tactics, status, ..] => {
                    a.techniques.insert(
                        id.to_ascii_uppercase(),
                        Technique {
                            id: id.to_string(),
                            name: name.to_string(),
                            tactics: tactics
                                .split(',')
                                .filter(|t| !t.is_empty())
                                .map(str::to_string)
                                .collect(),
                            status: status.to_string(),
                        },
                    );
                }
                _ => {}
            }
        }
        a
    }

    pub fn technique(&self, id: &str) -> Option<&Technique> {
        self.techniques.get(&id.to_ascii_uppercase())
    }

    pub fn tactic_by_shortname(&self, short: &str) -> Option<&Tactic> {
        self.tactics.iter().find(|t| t.shortname == short)
    }

    pub fn tactics(&self) -> &[Tactic] {
        &self.tactics
    }

    pub fn technique_count(&self) -> usize {
        self.techniques.len()
    }

    /// Maps Sigma tags to techniques and tactics. Tactics come from tactic
    /// tags; a rule with technique tags but no tactic tag gets the tactics of
    /// its techniques. Unknown ids are kept with an empty name.
    pub fn map_tags(&self, tags: &[String]) -> AttackMapping {
        let mut m = AttackMapping::default();
        for tag in tags {
            let lower = tag.to_ascii_lowercase();
            let Some(rest) = lower.strip_prefix("attack.") else {
                continue;
            };
            if rest.len() > 1
                && rest.starts_with('t')
                && rest[1..2].bytes().all(|b| b.is_ascii_digit())
            {
                let id = rest.to_ascii_uppercase();
                let name = self
                    .technique(&id)
                    .map(|t| t.name.clone())
                    .unwrap_or_default();
                push_unique(&mut m.techniques, AttackRef { id, name });
            } else if let Some(t) = self.tactic_by_shortname(&rest.replace('_', "-")) {
                push_unique(
                    &mut m.tactics,
                    AttackRef {
                        id: t.id.clone(),
                        name: t.name.clone(),
                    },
                );
            }
        }
        if m.tactics.is_empty() {
            for tech in &m.techniques {
                if let Some(t) = self.technique(&tech.id) {
                    for short in &t.tactics {
                        if let Some(tac) = self.tactic_by_shortname(short) {
                            push_unique(
                                &mut m.tactics,
                                AttackRef {
                                    id: tac.id.clone(),
                                    name: tac.name.clone(),
                                },
                            );
                        }
                    }
                }
            }
        }
        m
    }
}

fn push_unique(v: &mut Vec<AttackRef>, r: AttackRef) {
    if !v.contains(&r) {
        v.push(r);
    }
}

/// Builds the compact table from ATT&CK `tactics.tsv` and `techniques.tsv`
/// (tab-separated with a header line; columns as in the shared data set).
pub fn build_table(tactics_tsv: &str, techniques_tsv: &str) -> Result<String, String> {
    let mut out = String::from(
        "# MITRE ATT&CK Enterprise, compact. Generated by mcpsec-detect's attack_table_is_current test; do not edit.\n\
         # tactic\tid\tshortname\tname\n# technique\tid\tname\ttactics\tstatus\n",
    );
    let header = |tsv: &str| -> Vec<String> {
        tsv.lines()
            .next()
            .unwrap_or("")
            .split('\t')
            .map(str::to_string)
            .collect()
    };
    let th = header(tactics_tsv);
    let col = |h: &[String], n: &str| {
        h.iter()
            .position(|c| c == n)
            .ok_or_else(|| format!("missing column {n}"))
    };
    let (ti, ts, tn) = (
        col(&th, "tactic_id")?,
        col(&th, "shortname")?,
        col(&th, "name")?,
    );
    let mut tactics: Vec<Vec<&str>> = tactics_tsv
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').collect())
        .collect();
    tactics.sort_by(|a, b| a[ti].cmp(b[ti]));
    for t in tactics {
        out.push_str(&format!("tactic\t{}\t{}\t{}\n", t[ti], t[ts], t[tn]));
    }
    let hh = header(techniques_tsv);
    let (id, name, tac, rev, dep) = (
        col(&hh, "technique_id")?,
        col(&hh, "name")?,
        col(&hh, "tactics")?,
        col(&hh, "revoked")?,
        col(&hh, "deprecated")?,
    );
    let mut techs: Vec<Vec<&str>> = techniques_tsv
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').collect())
        .collect();
    techs.sort_by(|a, b| a[id].cmp(b[id]));
    for t in techs {
        let status = if t[rev] == "true" {
            "revoked"
        } else if t[dep] == "true" {
            "deprecated"
        } else {
            "active"
        };
        out.push_str(&format!(
            "technique\t{}\t{}\t{}\t{}\n",
            t[id], t[name], t[tac], status
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_table_maps_tags() {
        let a = Attack::embedded();
        assert_eq!(a.tactics().len(), 14);
        assert!(a.technique_count() > 800);
        let t = a.technique("T1059.001").unwrap();
        assert_eq!(t.name, "PowerShell");
        assert_eq!(t.tactics, vec!["execution".to_string()]);
        let m = a.map_tags(&[
            "attack.execution".into(),
            "attack.t1059.001".into(),
            "attack.g0016".into(),
            "cve.2021-1".into(),
        ]);
        assert_eq!(
            m.techniques,
            vec![AttackRef {
                id: "T1059.001".into(),
                name: "PowerShell".into()
            }]
        );
        assert_eq!(
            m.tactics,
            vec![AttackRef {
                id: "TA0002".into(),
                name: "Execution".into()
            }]
        );
        // No tactic tag: tactics come from the technique.
        let m = a.map_tags(&["attack.t1003.001".into()]);
        assert_eq!(
            m.tactics,
            vec![AttackRef {
                id: "TA0006".into(),
                name: "Credential Access".into()
            }]
        );
        let m = a.map_tags(&["attack.defense_evasion".into(), "attack.t9999".into()]);
        assert_eq!(m.tactics[0].id, "TA0005");
        assert_eq!(m.techniques[0].name, "");
    }

    #[test]
    fn attack_table_is_current() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/attack");
        let (Ok(tac), Ok(tech)) = (
            std::fs::read_to_string(format!("{dir}/tactics.tsv")),
            std::fs::read_to_string(format!("{dir}/techniques.tsv")),
        ) else {
            eprintln!("SKIPPED attack_table_is_current: {dir} is absent");
            return;
        };
        let table = build_table(&tac, &tech).unwrap();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/attack-techniques.tsv");
        if std::env::var_os("MCPSEC_REGENERATE").is_some() {
            std::fs::write(path, &table).unwrap();
        }
        assert!(
            table == TABLE,
            "data/attack-techniques.tsv is stale: run MCPSEC_REGENERATE=1 cargo test -p mcpsec-detect attack_table"
        );
    }
}
