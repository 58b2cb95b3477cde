//! Prompts and resources: what a server offers beside its tools. Their text
//! reaches the model just like tool descriptions, so the same poisoning,
//! injection, hidden-character and encoding rules run over prompt names and
//! descriptions, prompt argument names and descriptions, and resource (and
//! resource template) names, titles and descriptions; resource URIs are
//! checked for sensitive files (rule MCP-021, target `resource_uri`).
//!
//! Findings name the item in `tool` as `prompt:<name>`, `resource:<uri>` or
//! `resource-template:<uriTemplate>`; locations are e.g. `description`,
//! `arguments.text.description`, `uri`. Pins cover them too
//! ([`pin_hashes`]): a changed prompt is a rug pull like a changed tool.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::analyze::Analyzer;
use crate::finding::Finding;
use crate::rules::Target;

/// The prompts and resources of one server (`prompts/list`,
/// `resources/list`, `resources/templates/list` items as JSON).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Surface {
    pub prompts: Vec<Value>,
    pub resources: Vec<Value>,
    pub resource_templates: Vec<Value>,
}

impl Surface {
    pub fn is_empty(&self) -> bool {
        self.prompts.is_empty() && self.resources.is_empty() && self.resource_templates.is_empty()
    }

    /// The `prompts`, `resources` and `resourceTemplates` (or
    /// `resource_templates`) arrays of a JSON object, e.g. a saved tools file
    /// that also holds them, or a JSON-RPC response's `result`. Items that
    /// are not objects are skipped.
    pub fn from_json(v: &Value) -> Surface {
        let v = v.get("result").unwrap_or(v);
        let arr = |keys: &[&str]| -> Vec<Value> {
            keys.iter()
                .find_map(|k| v.get(*k).and_then(Value::as_array))
                .map(|a| a.iter().filter(|x| x.is_object()).cloned().collect())
                .unwrap_or_default()
        };
        Surface {
            prompts: arr(&["prompts"]),
            resources: arr(&["resources"]),
            resource_templates: arr(&["resourceTemplates", "resource_templates"]),
        }
    }
}

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// The name findings and pins use for each item: `prompt:<name>`,
/// `resource:<uri>`, `resource-template:<uriTemplate>` (falling back to the
/// name, then the index).
fn items(s: &Surface) -> Vec<(String, &Value, Kind)> {
    let mut out = Vec::new();
    for (i, p) in s.prompts.iter().enumerate() {
        let n = str_of(p, "name").map_or_else(|| format!("#{i}"), str::to_string);
        out.push((format!("prompt:{n}"), p, Kind::Prompt));
    }
    for (i, r) in s.resources.iter().enumerate() {
        let n = str_of(r, "uri")
            .or_else(|| str_of(r, "name"))
            .map_or_else(|| format!("#{i}"), str::to_string);
        out.push((format!("resource:{n}"), r, Kind::Resource));
    }
    for (i, r) in s.resource_templates.iter().enumerate() {
        let n = str_of(r, "uriTemplate")
            .or_else(|| str_of(r, "name"))
            .map_or_else(|| format!("#{i}"), str::to_string);
        out.push((format!("resource-template:{n}"), r, Kind::Template));
    }
    out
}

/// Each item with its findings name and its kind for the LLM judge
/// (`prompt`, `resource`, `resource template`).
pub(crate) fn judged_items(s: &Surface) -> Vec<(String, &Value, &'static str)> {
    items(s)
        .into_iter()
        .map(|(n, v, k)| (n, v, k.judge_kind()))
        .collect()
}

impl Kind {
    fn judge_kind(self) -> &'static str {
        match self {
            Kind::Prompt => "prompt",
            Kind::Resource => "resource",
            Kind::Template => "resource template",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Prompt,
    Resource,
    Template,
}

/// Findings for the prompts and resources of `server`.
pub fn check_surface(
    analyzer: &Analyzer,
    server: &str,
    source: Option<&str>,
    s: &Surface,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for (item, v, kind) in items(s) {
        let mut text = |target: Target, loc: &str, t: &str| {
            analyzer.item_text_into(server, &item, source, target, loc, t, &mut out);
        };
        if let Some(n) = str_of(v, "name") {
            text(Target::ToolName, "name", n);
        }
        for k in ["title", "description"] {
            if let Some(t) = str_of(v, k) {
                text(Target::ToolDescription, k, t);
            }
        }
        match kind {
            Kind::Prompt => {
                for (j, a) in v
                    .get("arguments")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let an = str_of(a, "name").map_or_else(|| format!("#{j}"), str::to_string);
                    if let Some(n) = str_of(a, "name") {
                        text(Target::ParamName, &format!("arguments.{an}"), n);
                    }
                    for k in ["title", "description"] {
                        if let Some(t) = str_of(a, k) {
                            text(Target::ParamDescription, &format!("arguments.{an}.{k}"), t);
                        }
                    }
                }
            }
            Kind::Resource => {
                if let Some(u) = str_of(v, "uri") {
                    text(Target::ResourceUri, "uri", u);
                }
            }
            Kind::Template => {
                if let Some(u) = str_of(v, "uriTemplate") {
                    text(Target::ResourceUri, "uriTemplate", u);
                }
            }
        }
        analyzer.judge_item_into(server, &item, source, kind.judge_kind(), v, &mut out);
    }
    Finding::sort(&mut out);
    out
}

/// Pin hashes of the prompts and resources: item name (as in findings) →
/// `sha256:` of the canonical JSON of the fields the model reads (prompts:
/// name, title, description, arguments; resources: uri or uriTemplate, name,
/// title, description, mimeType; volatile fields such as `size` or
/// annotations are left out).
pub fn pin_hashes(s: &Surface) -> BTreeMap<String, String> {
    mcpsec_core::mcp::surface_hashes(&s.prompts, &s.resources, &s.resource_templates)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_are_named_by_kind() {
        let s = Surface::from_json(&json!({"result": {
            "prompts": [{"name": "p"}, 3],
            "resources": [{"uri": "file:///a", "name": "a"}],
            "resourceTemplates": [{"uriTemplate": "file:///{x}", "name": "t"}]}}));
        let names: Vec<String> = items(&s).into_iter().map(|i| i.0).collect();
        assert_eq!(
            names,
            [
                "prompt:p",
                "resource:file:///a",
                "resource-template:file:///{x}"
            ]
        );
        let h = pin_hashes(&s);
        assert_eq!(h.len(), 3);
        let mut s2 = s.clone();
        s2.resources[0]["size"] = json!(10);
        assert_eq!(pin_hashes(&s2), h, "volatile fields do not change the pin");
        s2.prompts[0]["description"] = json!("changed");
        assert_ne!(pin_hashes(&s2)["prompt:p"], h["prompt:p"]);
    }
}
