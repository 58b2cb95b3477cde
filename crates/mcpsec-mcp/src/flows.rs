//! Toxic flows: which tools can bring untrusted content into the agent,
//! read private data, send data out or destroy things — and which
//! combinations across all the servers one agent loads let untrusted input
//! lead to private data leaving (the "lethal trifecta").
//!
//! The classification keywords are data (`rules/capabilities.yaml`); MCP
//! annotations adjust the result: `destructiveHint: true` adds
//! `destructive`, `readOnlyHint: true` removes it, `openWorldHint: false`
//! removes `untrusted_input`.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::analyze::{Analyzer, ServerTools};
use crate::finding::Finding;
use crate::rules::Detector;
use crate::tools::Tool;

/// The built-in capability keywords.
pub const DEFAULT_CAPABILITIES: &str = include_str!("../rules/capabilities.yaml");

/// A capability a tool may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    UntrustedInput,
    PrivateData,
    Exfiltration,
    Destructive,
}

impl Capability {
    pub const ALL: &'static [Capability] = &[
        Capability::UntrustedInput,
        Capability::PrivateData,
        Capability::Exfiltration,
        Capability::Destructive,
    ];
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CapSpec {
    label: String,
    #[serde(default)]
    name_words: Vec<String>,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    description_patterns: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CapFile {
    capabilities: BTreeMap<Capability, CapSpec>,
}

#[derive(Debug, Clone)]
struct CapRule {
    label: String,
    name_words: HashSet<String>,
    names: HashSet<String>,
    patterns: Vec<Regex>,
}

/// The compiled classification keywords.
#[derive(Debug, Clone)]
pub struct CapabilityModel {
    caps: BTreeMap<Capability, CapRule>,
}

impl CapabilityModel {
    pub fn builtin() -> CapabilityModel {
        CapabilityModel::from_yaml(DEFAULT_CAPABILITIES).expect("built-in capabilities are valid")
    }

    /// Parses a capabilities file; errors name the capability and pattern.
    pub fn from_yaml(text: &str) -> Result<CapabilityModel, String> {
        let f: CapFile = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        let mut caps = BTreeMap::new();
        for (cap, spec) in f.capabilities {
            let mut patterns = Vec::new();
            for (i, p) in spec.description_patterns.iter().enumerate() {
                patterns.push(
                    Regex::new(p).map_err(|e| format!("{cap:?}.description_patterns[{i}]: {e}"))?,
                );
            }
            caps.insert(
                cap,
                CapRule {
                    label: spec.label,
                    name_words: spec
                        .name_words
                        .into_iter()
                        .map(|w| w.to_lowercase())
                        .collect(),
                    names: spec.names.into_iter().map(|w| w.to_lowercase()).collect(),
                    patterns,
                },
            );
        }
        Ok(CapabilityModel { caps })
    }

    pub fn label(&self, c: Capability) -> &str {
        self.caps.get(&c).map(|r| r.label.as_str()).unwrap_or("")
    }

    /// The capabilities of one tool.
    pub fn classify(&self, tool: &Tool) -> BTreeSet<Capability> {
        let words = name_words(&tool.name);
        let lname = tool.name.to_lowercase();
        let desc = tool.description();
        let mut out = BTreeSet::new();
        for (cap, r) in &self.caps {
            if r.names.contains(&lname)
                || words.iter().any(|w| r.name_words.contains(w))
                || r.patterns.iter().any(|p| p.is_match(desc))
            {
                out.insert(*cap);
            }
        }
        if let Some(a) = &tool.annotations {
            if a.destructive_hint == Some(true) && a.read_only_hint != Some(true) {
                out.insert(Capability::Destructive);
            }
            if a.read_only_hint == Some(true) {
                out.remove(&Capability::Destructive);
            }
            if a.open_world_hint == Some(false) {
                out.remove(&Capability::UntrustedInput);
            }
        }
        out
    }
}

/// The words of a tool name: `getPullRequest` → get, pull, request;
/// `read_file` → read, file.
pub fn name_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// One tool's classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ToolCapabilities {
    pub server: String,
    pub tool: String,
    pub capabilities: BTreeSet<Capability>,
}

/// Classifies every tool of every server.
pub fn classify_all(model: &CapabilityModel, servers: &[ServerTools]) -> Vec<ToolCapabilities> {
    servers
        .iter()
        .flat_map(|st| {
            st.tools.iter().map(move |t| ToolCapabilities {
                server: st.server.clone(),
                tool: t.name.clone(),
                capabilities: model.classify(t),
            })
        })
        .collect()
}

fn list(tools: &[&ToolCapabilities]) -> String {
    let mut names: Vec<String> = tools
        .iter()
        .take(4)
        .map(|t| format!("{}/{}", t.server, t.tool))
        .collect();
    if tools.len() > 4 {
        names.push(format!("+{} more", tools.len() - 4));
    }
    names.join(", ")
}

/// The toxic-flow findings for the servers one agent loads.
pub fn check(analyzer: &Analyzer, servers: &[ServerTools]) -> Vec<Finding> {
    let rules = analyzer.rules();
    let trifecta = rules.with_detector(Detector::ToxicFlowTrifecta).next();
    let destructive = rules.with_detector(Detector::ToxicFlowDestructive).next();
    if trifecta.is_none() && destructive.is_none() {
        return Vec::new();
    }
    let model = analyzer.capabilities();
    let classes = classify_all(model, servers);
    let with = |c: Capability| -> Vec<&ToolCapabilities> {
        classes
            .iter()
            .filter(|t| t.capabilities.contains(&c))
            .collect()
    };
    let untrusted = with(Capability::UntrustedInput);
    let private = with(Capability::PrivateData);
    let exfil = with(Capability::Exfiltration);
    let destroy = with(Capability::Destructive);
    let servers_of = |groups: &[&[&ToolCapabilities]]| -> String {
        let s: BTreeSet<&str> = groups
            .iter()
            .flat_map(|g| g.iter().map(|t| t.server.as_str()))
            .collect();
        s.into_iter().collect::<Vec<_>>().join("+")
    };
    let mut out = Vec::new();
    if let Some(rule) = trifecta
        && !untrusted.is_empty()
        && !private.is_empty()
        && !exfil.is_empty()
    {
        let evidence = format!(
            "{}: {}; {}: {}; {}: {}",
            model.label(Capability::UntrustedInput),
            list(&untrusted),
            model.label(Capability::PrivateData),
            list(&private),
            model.label(Capability::Exfiltration),
            list(&exfil)
        );
        // Name three different tools where the agent has them.
        let u = untrusted[0];
        let p = private.iter().find(|t| *t != &u).unwrap_or(&private[0]);
        let x = exfil
            .iter()
            .find(|t| *t != &u && *t != p)
            .unwrap_or(&exfil[0]);
        let message = format!(
            "{}: content from {}/{} can instruct the agent to read private data with {}/{} and send it out with {}/{}",
            rule.message, u.server, u.tool, p.server, p.tool, x.server, x.tool
        );
        let server = servers_of(&[&untrusted, &private, &exfil]);
        out.push(Analyzer::finding(
            rule, &server, None, None, None, message, evidence,
        ));
    }
    if let Some(rule) = destructive
        && !untrusted.is_empty()
        && !destroy.is_empty()
    {
        let evidence = format!(
            "{}: {}; {}: {}",
            model.label(Capability::UntrustedInput),
            list(&untrusted),
            model.label(Capability::Destructive),
            list(&destroy)
        );
        let message = format!(
            "{}: content from {} can trigger {}",
            rule.message,
            list(&untrusted[..1]),
            list(&destroy[..1])
        );
        let server = servers_of(&[&untrusted, &destroy]);
        out.push(Analyzer::finding(
            rule, &server, None, None, None, message, evidence,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words() {
        assert_eq!(name_words("getPullRequest"), vec!["get", "pull", "request"]);
        assert_eq!(name_words("read_file"), vec!["read", "file"]);
        assert_eq!(
            name_words("slack-post.message"),
            vec!["slack", "post", "message"]
        );
    }

    #[test]
    fn classify_with_annotations() {
        let m = CapabilityModel::builtin();
        let fetch = Tool::new(
            "fetch",
            "Fetches a URL from the internet and extracts its contents as markdown.",
        );
        let c = m.classify(&fetch);
        assert!(
            c.contains(&Capability::UntrustedInput) && c.contains(&Capability::Exfiltration),
            "{c:?}"
        );
        let mut del = Tool::new("delete_thing", "Deletes a thing.");
        assert!(m.classify(&del).contains(&Capability::Destructive));
        del.annotations = Some(crate::tools::ToolAnnotations {
            read_only_hint: Some(true),
            ..Default::default()
        });
        assert!(!m.classify(&del).contains(&Capability::Destructive));
        let mut x = Tool::new("frobnicate", "Does a thing.");
        assert!(m.classify(&x).is_empty());
        x.annotations = Some(crate::tools::ToolAnnotations {
            destructive_hint: Some(true),
            ..Default::default()
        });
        assert_eq!(
            m.classify(&x).into_iter().collect::<Vec<_>>(),
            vec![Capability::Destructive]
        );
    }
}
