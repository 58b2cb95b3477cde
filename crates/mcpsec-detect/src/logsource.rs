//! Sigma `logsource` → Windows event log channels, event IDs and field names.
//!
//! The mapping is data: `data/logsources.yml`, embedded at build time and
//! overridable by a user file of the same shape ([`LogSourceMap::merge`]).
//! A rule's log source resolves to a [`SourceFilter`], which the rule set
//! uses to dispatch each event only to the rules whose log source fits.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use yaml_rust2::{Yaml, YamlLoader};

use crate::error::DetectError;
use crate::event::FieldAliases;
use crate::sigma::rule::LogSource;

/// The embedded default mapping.
pub const DEFAULT_MAPPING: &str = include_str!("../data/logsources.yml");

/// One place a category's events come from.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub channel: String,
    /// Empty: every event of the channel.
    pub event_ids: Vec<u32>,
    /// Sigma field → this source's field.
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogSourceMap {
    pub services: BTreeMap<String, Vec<String>>,
    pub categories: BTreeMap<String, Vec<Source>>,
    /// Input kind (`cloudtrail`, `cef`, `leef`, `syslog`) → the Sigma log
    /// source of its events. Events of a listed kind get only the
    /// non-Windows rules whose log source fits it; other non-Windows events
    /// get every non-Windows rule.
    pub inputs: BTreeMap<String, LogSource>,
    /// Input kind → Sigma field name → field of that input's events (e.g.
    /// CEF's full key names `sourceAddress` → `src`).
    pub input_fields: BTreeMap<String, BTreeMap<String, String>>,
}

impl LogSource {
    /// Whether a rule with this log source applies to events of `input`:
    /// every part the rule names must be the input's.
    pub fn fits(&self, input: &LogSource) -> bool {
        let part = |rule: &Option<String>, inp: &Option<String>| match rule {
            None => true,
            Some(r) => inp.as_deref() == Some(r.as_str()),
        };
        part(&self.product, &input.product)
            && part(&self.service, &input.service)
            && part(&self.category, &input.category)
    }
}

/// Where a rule applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceFilter {
    /// Windows events from these channels (lowercase), optionally limited to event IDs.
    Windows(Vec<(String, Vec<u32>)>),
    /// Every Windows event (`product: windows` without service or category).
    WindowsAny,
    /// Events that are not Windows event log records (no channel): rules for
    /// other products, and Windows rules whose service/category has no mapping.
    NonWindows { unmapped_windows: bool },
}

fn text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

fn list(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::Array(a) => a.iter().filter_map(text).collect(),
        other => text(other).into_iter().collect(),
    }
}

impl LogSourceMap {
    /// The embedded default.
    pub fn builtin() -> LogSourceMap {
        LogSourceMap::from_yaml(DEFAULT_MAPPING).expect("embedded log source mapping is valid")
    }

    pub fn from_yaml(s: &str) -> Result<LogSourceMap, DetectError> {
        let docs = YamlLoader::load_from_str(s).map_err(|e| DetectError::Mapping(e.to_string()))?;
        let Some(doc) = docs.first() else {
            return Ok(LogSourceMap::default());
        };
        let mut map = LogSourceMap::default();
        if let Yaml::Hash(h) = &doc["services"] {
            for (k, v) in h {
                let name = text(k)
                    .ok_or_else(|| DetectError::Mapping("service names must be strings".into()))?;
                map.services.insert(name.to_ascii_lowercase(), list(v));
            }
        }
        if let Yaml::Hash(h) = &doc["categories"] {
            for (k, v) in h {
                let name = text(k)
                    .ok_or_else(|| DetectError::Mapping("category names must be strings".into()))?;
                let Yaml::Array(items) = v else {
                    return Err(DetectError::Mapping(format!(
                        "category {name}: expected a list of sources"
                    )));
                };
                let mut sources = Vec::new();
                for it in items {
                    let channel = text(&it["channel"]).ok_or_else(|| {
                        DetectError::Mapping(format!("category {name}: source without channel"))
                    })?;
                    let mut event_ids = Vec::new();
                    for id in list(&it["event_ids"]) {
                        event_ids.push(id.parse::<u32>().map_err(|_| {
                            DetectError::Mapping(format!("category {name}: bad event id {id:?}"))
                        })?);
                    }
                    let mut fields = BTreeMap::new();
                    if let Yaml::Hash(f) = &it["fields"] {
                        for (a, b) in f {
                            if let (Some(a), Some(b)) = (text(a), text(b)) {
                                fields.insert(a, b);
                            }
                        }
                    }
                    sources.push(Source {
                        channel,
                        event_ids,
                        fields,
                    });
                }
                map.categories.insert(name.to_ascii_lowercase(), sources);
            }
        }
        if let Yaml::Hash(h) = &doc["inputs"] {
            for (k, v) in h {
                let name = text(k)
                    .ok_or_else(|| DetectError::Mapping("input names must be strings".into()))?;
                if !crate::input::INPUT_KINDS.contains(&name.as_str()) {
                    return Err(DetectError::Mapping(format!(
                        "input {name:?}: not one of {:?}",
                        crate::input::INPUT_KINDS
                    )));
                }
                let part = |key: &str| text(&v[key]).map(|s| s.to_ascii_lowercase());
                let ls = LogSource {
                    product: part("product"),
                    service: part("service"),
                    category: part("category"),
                };
                let mut fields = BTreeMap::new();
                if let Yaml::Hash(f) = &v["fields"] {
                    for (a, b) in f {
                        if let (Some(a), Some(b)) = (text(a), text(b)) {
                            fields.insert(a, b);
                        }
                    }
                }
                let has_source =
                    ls.product.is_some() || ls.service.is_some() || ls.category.is_some();
                if !has_source && fields.is_empty() {
                    return Err(DetectError::Mapping(format!(
                        "input {name}: expected product, service, category and/or fields"
                    )));
                }
                if !fields.is_empty() {
                    map.input_fields.insert(name.clone(), fields);
                }
                if has_source {
                    map.inputs.insert(name, ls);
                }
            }
        }
        if map.services.is_empty()
            && map.categories.is_empty()
            && map.inputs.is_empty()
            && map.input_fields.is_empty()
        {
            return Err(DetectError::Mapping(
                "expected `services`, `categories` and/or `inputs`".into(),
            ));
        }
        Ok(map)
    }

    /// Overrides entries with the other map's (same names replaced, new ones added).
    pub fn merge(&mut self, other: LogSourceMap) {
        self.services.extend(other.services);
        self.categories.extend(other.categories);
        self.inputs.extend(other.inputs);
        self.input_fields.extend(other.input_fields);
    }

    /// Resolves a rule's log source.
    pub fn resolve(&self, ls: &LogSource) -> SourceFilter {
        if ls.product.as_deref() != Some("windows") {
            return SourceFilter::NonWindows {
                unmapped_windows: false,
            };
        }
        let service_channels: Option<Vec<String>> = match &ls.service {
            None => None,
            Some(s) => match self.services.get(s) {
                Some(c) => Some(c.iter().map(|c| c.to_lowercase()).collect()),
                None => {
                    return SourceFilter::NonWindows {
                        unmapped_windows: true,
                    };
                }
            },
        };
        match &ls.category {
            None => match service_channels {
                None => SourceFilter::WindowsAny,
                Some(chs) => {
                    SourceFilter::Windows(chs.into_iter().map(|c| (c, Vec::new())).collect())
                }
            },
            Some(cat) => match self.categories.get(cat) {
                None => SourceFilter::NonWindows {
                    unmapped_windows: true,
                },
                Some(sources) => {
                    let all: Vec<(String, Vec<u32>)> = sources
                        .iter()
                        .map(|s| (s.channel.to_lowercase(), s.event_ids.clone()))
                        .collect();
                    let narrowed: Vec<_> = match &service_channels {
                        Some(chs) => all
                            .iter()
                            .filter(|(c, _)| chs.contains(c))
                            .cloned()
                            .collect(),
                        None => Vec::new(),
                    };
                    SourceFilter::Windows(if narrowed.is_empty() { all } else { narrowed })
                }
            },
        }
    }

    /// Field aliases per (lowercase channel, event id), for sources that rename fields.
    pub fn aliases(&self) -> HashMap<(String, u32), FieldAliases> {
        let mut out: HashMap<(String, u32), HashMap<String, String>> = HashMap::new();
        for sources in self.categories.values() {
            for s in sources.iter().filter(|s| !s.fields.is_empty()) {
                for id in &s.event_ids {
                    out.entry((s.channel.to_lowercase(), *id))
                        .or_default()
                        .extend(s.fields.iter().map(|(a, b)| (a.clone(), b.clone())));
                }
            }
        }
        out.into_iter().map(|(k, v)| (k, Arc::new(v))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(p: Option<&str>, s: Option<&str>, c: Option<&str>) -> LogSource {
        LogSource {
            product: p.map(Into::into),
            service: s.map(Into::into),
            category: c.map(Into::into),
        }
    }

    #[test]
    fn builtin_resolves_common_sources() {
        let m = LogSourceMap::builtin();
        assert_eq!(
            m.resolve(&ls(Some("windows"), None, Some("process_creation"))),
            SourceFilter::Windows(vec![
                ("microsoft-windows-sysmon/operational".into(), vec![1]),
                ("security".into(), vec![4688])
            ])
        );
        assert_eq!(
            m.resolve(&ls(Some("windows"), Some("security"), None)),
            SourceFilter::Windows(vec![("security".into(), vec![])])
        );
        assert_eq!(
            m.resolve(&ls(Some("windows"), None, None)),
            SourceFilter::WindowsAny
        );
        assert_eq!(
            m.resolve(&ls(Some("linux"), None, Some("process_creation"))),
            SourceFilter::NonWindows {
                unmapped_windows: false
            }
        );
        assert_eq!(
            m.resolve(&ls(Some("windows"), Some("nope"), None)),
            SourceFilter::NonWindows {
                unmapped_windows: true
            }
        );
        assert_eq!(
            m.resolve(&ls(
                Some("windows"),
                Some("sysmon"),
                Some("process_creation")
            )),
            SourceFilter::Windows(vec![(
                "microsoft-windows-sysmon/operational".into(),
                vec![1]
            )])
        );
        for (cat, id) in [
            ("network_connection", 3),
            ("file_event", 11),
            ("registry_set", 13),
            ("image_load", 7),
            ("dns_query", 22),
            ("ps_script", 4104),
        ] {
            let SourceFilter::Windows(v) = m.resolve(&ls(Some("windows"), None, Some(cat))) else {
                panic!("{cat}")
            };
            assert!(v.iter().any(|(_, ids)| ids.contains(&id)), "{cat}");
        }
        let a = m.aliases();
        assert_eq!(
            a[&("security".to_string(), 4688)]
                .get("Image")
                .map(String::as_str),
            Some("NewProcessName")
        );
    }

    #[test]
    fn user_mapping_overrides() {
        let mut m = LogSourceMap::builtin();
        let user = LogSourceMap::from_yaml(
            "categories:\n  process_creation:\n    - channel: MyEDR\n      event_ids: [7]\n      fields: {Image: exe}\nservices:\n  myapp: [My App]\n",
        )
        .unwrap();
        m.merge(user);
        assert_eq!(
            m.resolve(&ls(Some("windows"), None, Some("process_creation"))),
            SourceFilter::Windows(vec![("myedr".into(), vec![7])])
        );
        assert_eq!(
            m.resolve(&ls(Some("windows"), Some("myapp"), None)),
            SourceFilter::Windows(vec![("my app".into(), vec![])])
        );
        assert!(LogSourceMap::from_yaml("foo: 1").is_err());
        // Inputs: built-in CloudTrail, user additions, unknown kinds rejected.
        let ct = &m.inputs["cloudtrail"];
        assert_eq!(ct.product.as_deref(), Some("aws"));
        assert!(ls(Some("aws"), Some("cloudtrail"), None).fits(ct));
        assert!(ls(Some("aws"), None, None).fits(ct));
        assert!(ls(None, None, None).fits(ct));
        assert!(!ls(Some("linux"), None, None).fits(ct));
        assert!(!ls(Some("aws"), None, Some("firewall")).fits(ct));
        m.merge(LogSourceMap::from_yaml("inputs:\n  cef: {category: Firewall}\n").unwrap());
        assert_eq!(m.inputs["cef"].category.as_deref(), Some("firewall"));
        assert!(LogSourceMap::from_yaml("inputs:\n  netflow: {product: x}\n").is_err());
        assert!(LogSourceMap::from_yaml("inputs:\n  cef: {}\n").is_err());
        // Field names only: no dispatch change.
        let b = LogSourceMap::builtin();
        assert!(!b.inputs.contains_key("cef"));
        assert_eq!(b.input_fields["cef"]["sourceAddress"], "src");
        assert_eq!(b.input_fields["cef"]["deviceAction"], "act");
        assert!(LogSourceMap::from_yaml("categories:\n  x:\n    - event_ids: [1]\n").is_err());
    }
}
