//! Detection rules as data.
//!
//! The built-in rules live in `rules/default.yaml` (embedded); users add or
//! override rules with their own YAML files of the same shape:
//!
//! ```yaml
//! rules:
//!   - id: MCP-001                       # unique; a later file overrides by id
//!     title: Hidden instruction markup
//!     severity: high                    # info | low | medium | high | critical
//!     owasp: [LLM01:2025]               # OWASP Top 10 for LLM Applications 2025
//!     rationale: Why this is a risk.
//!     targets: [tool_description, param_description, schema_value]
//!     match:
//!       patterns: ['(?i)<\s*important\s*>']   # regexes (Rust `regex` syntax), or
//!       keywords: [ignore previous instructions]  # case-insensitive phrases, or
//!       detector: invisible_unicode      # a named built-in detector
//!       unless: ['(?i)this tool$']       # a match whose text matches one of these is skipped
//!       # or a scored classifier: the weights of the features whose patterns
//!       # match the text are summed; the rule fires at `threshold` or above.
//!       # classifier:
//!       #   threshold: 4
//!       #   features:
//!       #     - {name: secrecy, weight: 3, patterns: ['(?i)\bdo not tell the user\b']}
//!     message: Optional message (default: the title).
//!     enabled: true
//! ```
//!
//! A rule that fails to load is reported as a [`RuleError`] and skipped; the
//! others still load.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use mcpsec_core::domain::Severity;
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::{Deserialize, Serialize};

use crate::error::RuleError;

/// The built-in rule file.
pub const DEFAULT_RULES: &str = include_str!("../rules/default.yaml");

/// The OWASP Top 10 for LLM Applications 2025 categories.
pub const OWASP_LLM_2025: &[(&str, &str)] = &[
    ("LLM01:2025", "Prompt Injection"),
    ("LLM02:2025", "Sensitive Information Disclosure"),
    ("LLM03:2025", "Supply Chain"),
    ("LLM04:2025", "Data and Model Poisoning"),
    ("LLM05:2025", "Improper Output Handling"),
    ("LLM06:2025", "Excessive Agency"),
    ("LLM07:2025", "System Prompt Leakage"),
    ("LLM08:2025", "Vector and Embedding Weaknesses"),
    ("LLM09:2025", "Misinformation"),
    ("LLM10:2025", "Unbounded Consumption"),
];

/// The full label of an OWASP id, e.g. `LLM01:2025 Prompt Injection`.
pub fn owasp_label(id: &str) -> String {
    match OWASP_LLM_2025.iter().find(|(i, _)| *i == id) {
        Some((i, name)) => format!("{i} {name}"),
        None => id.to_string(),
    }
}

/// What part of a tool or server a rule inspects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// A tool's `description` (and `title`).
    ToolDescription,
    /// Descriptions and titles inside the input schema.
    ParamDescription,
    /// Defaults, enums, examples, consts and patterns inside the input schema.
    SchemaValue,
    /// The tool name.
    ToolName,
    /// Parameter names (keys of `inputSchema.properties`).
    ParamName,
    /// The `uri` of a resource or `uriTemplate` of a resource template.
    ResourceUri,
    /// A server's configuration: command line, URL, env, headers.
    ServerConfig,
    /// All tools of all servers one client loads (cross-tool detectors).
    Toolset,
}

impl Target {
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Target::ToolDescription
                | Target::ParamDescription
                | Target::SchemaValue
                | Target::ToolName
                | Target::ParamName
                | Target::ResourceUri
        )
    }
}

macro_rules! detectors {
    ($($v:ident => $s:literal [$($t:ident),+]),+ $(,)?) => {
        /// The named built-in detectors a rule can use.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Detector { $($v),+ }
        impl Detector {
            pub const ALL: &'static [Detector] = &[$(Detector::$v),+];
            pub fn as_str(self) -> &'static str { match self { $(Detector::$v => $s),+ } }
            /// The targets this detector can inspect.
            pub fn targets(self) -> &'static [Target] { match self { $(Detector::$v => &[$(Target::$t),+]),+ } }
        }
    };
}

detectors! {
    InvisibleUnicode => "invisible_unicode" [ToolDescription, ParamDescription, SchemaValue, ToolName, ParamName],
    BidiUnicode => "bidi_unicode" [ToolDescription, ParamDescription, SchemaValue, ToolName, ParamName],
    UnicodeTags => "unicode_tags" [ToolDescription, ParamDescription, SchemaValue, ToolName, ParamName],
    Homoglyph => "homoglyph" [ToolName, ParamName],
    EncodedInstructions => "encoded_instructions" [ToolDescription, ParamDescription, SchemaValue],
    EncodedText => "encoded_text" [ToolDescription, ParamDescription, SchemaValue],
    SchemaValueInstructions => "schema_value_instructions" [SchemaValue],
    OversizedText => "oversized_text" [ToolDescription, ParamDescription, SchemaValue],
    CrossToolReference => "cross_tool_reference" [Toolset],
    NameCollision => "name_collision" [Toolset],
    ToxicFlowTrifecta => "toxic_flow_trifecta" [Toolset],
    ToxicFlowDestructive => "toxic_flow_destructive" [Toolset],
    ToolAdded => "tool_added" [Toolset],
    ToolRemoved => "tool_removed" [Toolset],
    ToolChanged => "tool_changed" [Toolset],
    InlineSecret => "inline_secret" [ServerConfig],
    UnpinnedRunner => "unpinned_runner" [ServerConfig],
    PlainHttp => "plain_http" [ServerConfig],
    ShellCommand => "shell_command" [ServerConfig],
    BroadFsRoot => "broad_fs_root" [ServerConfig],
    Semantic => "semantic" [ToolDescription, ParamDescription, SchemaValue],
    Learned => "learned" [ToolDescription],
    LlmJudge => "llm_judge" [Toolset],
}

impl FromStr for Detector {
    type Err = String;
    fn from_str(s: &str) -> Result<Detector, String> {
        Detector::ALL
            .iter()
            .copied()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown detector {s:?}; known: {}",
                    Detector::ALL
                        .iter()
                        .map(|d| d.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

impl fmt::Display for Detector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a rule matches.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Any of the regexes (keywords are compiled into one case-insensitive
    /// regex); a match whose text matches an `unless` regex is skipped.
    Regex {
        patterns: Vec<Regex>,
        unless: Vec<Regex>,
    },
    Detector(Detector),
    /// A scored classifier (see [`Classifier`]).
    Classifier(Box<Classifier>),
}

/// One feature of a [`Classifier`]: present when any of its patterns matches.
#[derive(Debug, Clone)]
pub struct Feature {
    pub name: String,
    pub weight: f64,
    pub patterns: Vec<Regex>,
}

/// A weighted-feature classifier: the score of a text is the sum of the
/// weights of the features present in it; the text is flagged when the score
/// reaches `threshold`. All patterns are matched in one pass by a
/// precompiled [`RegexSet`]. Patterns are compiled with Unicode mode off
/// (`\w`, `\b` and case folding are ASCII), which keeps the set fast.
#[derive(Debug, Clone)]
pub struct Classifier {
    pub threshold: f64,
    pub features: Vec<Feature>,
    set: RegexSet,
    /// Feature index of each pattern of `set`.
    owner: Vec<usize>,
}

/// The result of [`Classifier::score`].
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    pub score: f64,
    /// Indices of the features present, highest weight first.
    pub features: Vec<usize>,
}

impl Classifier {
    /// Scores `text`.
    pub fn score(&self, text: &str) -> Score {
        let mut present = vec![false; self.features.len()];
        for i in self.set.matches(text).iter() {
            present[self.owner[i]] = true;
        }
        let mut features: Vec<usize> = (0..present.len()).filter(|&i| present[i]).collect();
        features.sort_by(|a, b| {
            self.features[*b]
                .weight
                .total_cmp(&self.features[*a].weight)
                .then(a.cmp(b))
        });
        let score = features.iter().map(|&i| self.features[i].weight).sum();
        Score { score, features }
    }

    /// The first match of feature `i` in `text`, as a byte range.
    pub fn locate(&self, i: usize, text: &str) -> Option<(usize, usize)> {
        self.features[i]
            .patterns
            .iter()
            .filter_map(|p| p.find(text))
            .map(|m| (m.start(), m.end()))
            .min()
    }
}

/// A loaded rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub rationale: String,
    /// OWASP ids such as `LLM01:2025`.
    pub owasp: Vec<String>,
    pub targets: Vec<Target>,
    pub matcher: Matcher,
    pub message: String,
    pub enabled: bool,
}

impl Rule {
    pub fn detector(&self) -> Option<Detector> {
        match self.matcher {
            Matcher::Detector(d) => Some(d),
            Matcher::Regex { .. } | Matcher::Classifier(_) => None,
        }
    }

    /// The first match of a regex rule in `text` that no `unless` excludes,
    /// as a byte range.
    pub fn find(&self, text: &str) -> Option<(usize, usize)> {
        let Matcher::Regex { patterns, unless } = &self.matcher else {
            return None;
        };
        for p in patterns {
            for m in p.find_iter(text) {
                if !unless.iter().any(|u| u.is_match(m.as_str())) {
                    return Some((m.start(), m.end()));
                }
            }
        }
        None
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rules: Vec<serde_yaml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleSpec {
    id: String,
    title: String,
    severity: String,
    rationale: String,
    owasp: Vec<String>,
    targets: Vec<Target>,
    #[serde(rename = "match")]
    matcher: MatchSpec,
    #[serde(default)]
    message: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchSpec {
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    detector: Option<String>,
    #[serde(default)]
    unless: Vec<String>,
    #[serde(default)]
    classifier: Option<ClassifierSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassifierSpec {
    threshold: f64,
    features: Vec<FeatureSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeatureSpec {
    name: String,
    weight: f64,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    keywords: Vec<String>,
}

fn compile_classifier(spec: ClassifierSpec) -> Result<Classifier, String> {
    if !spec.threshold.is_finite() || spec.threshold <= 0.0 {
        return Err("match.classifier.threshold must be a positive number".into());
    }
    if spec.features.is_empty() {
        return Err("match.classifier.features: at least one feature is required".into());
    }
    let mut features = Vec::new();
    let mut sources = Vec::new();
    let mut owner = Vec::new();
    for (fi, f) in spec.features.into_iter().enumerate() {
        let at = format!("match.classifier.features[{fi}] ({})", f.name);
        if !f.weight.is_finite() {
            return Err(format!("{at}: weight must be a number"));
        }
        if f.patterns.is_empty() && f.keywords.is_empty() {
            return Err(format!("{at}: needs patterns or keywords"));
        }
        let mut srcs: Vec<String> = f.patterns.clone();
        if !f.keywords.is_empty() {
            if f.keywords.iter().any(|k| k.trim().is_empty()) {
                return Err(format!("{at}: empty keyword"));
            }
            let alt: Vec<String> = f.keywords.iter().map(|k| regex::escape(k.trim())).collect();
            srcs.push(format!("(?i)\\b(?:{})\\b", alt.join("|")));
        }
        let mut patterns = Vec::new();
        for (i, p) in srcs.iter().enumerate() {
            patterns.push(
                RegexBuilder::new(p)
                    .unicode(false)
                    .build()
                    .map_err(|e| format!("{at}.patterns[{i}]: {e}"))?,
            );
            owner.push(fi);
        }
        sources.extend(srcs);
        features.push(Feature {
            name: f.name,
            weight: f.weight,
            patterns,
        });
    }
    // ASCII classes (`\w`, `\b`, case folding) keep the lazy DFA of the
    // set small and fast: every text of every tool goes through it.
    let set = RegexSetBuilder::new(&sources)
        .unicode(false)
        .dfa_size_limit(16 << 20)
        .build()
        .map_err(|e| format!("match.classifier: {e}"))?;
    Ok(Classifier {
        threshold: spec.threshold,
        features,
        set,
        owner,
    })
}

fn valid_id(id: &str) -> bool {
    let mut parts = id.splitn(2, '-');
    let (Some(a), Some(b)) = (parts.next(), parts.next()) else {
        return false;
    };
    !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && a.starts_with(|c: char| c.is_ascii_uppercase())
        && !b.is_empty()
        && b.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn compile(spec: RuleSpec) -> Result<Rule, String> {
    if !valid_id(&spec.id) {
        return Err("id must look like `MCP-001` (uppercase prefix, dash, letters/digits)".into());
    }
    let severity: Severity = spec.severity.parse()?;
    if spec.title.trim().is_empty() {
        return Err("title is empty".into());
    }
    if spec.owasp.is_empty() {
        return Err(
            "owasp: at least one OWASP LLM Top 10 (2025) id is required, e.g. LLM01:2025".into(),
        );
    }
    for o in &spec.owasp {
        if !OWASP_LLM_2025.iter().any(|(i, _)| i == o) {
            return Err(format!(
                "owasp: unknown id {o:?}; expected LLM01:2025 … LLM10:2025"
            ));
        }
    }
    if spec.targets.is_empty() {
        return Err("targets: at least one target is required".into());
    }
    let mut m = spec.matcher;
    if let Some(c) = m.classifier.take() {
        if m.detector.is_some()
            || !m.patterns.is_empty()
            || !m.keywords.is_empty()
            || !m.unless.is_empty()
        {
            return Err("match: a classifier cannot be combined with patterns, keywords, unless or a detector".into());
        }
        if spec.targets.iter().any(|t| !t.is_text()) {
            return Err("a classifier inspects text targets only".into());
        }
        let c = compile_classifier(c)?;
        return Ok(Rule {
            message: spec.message.unwrap_or_else(|| spec.title.clone()),
            id: spec.id,
            title: spec.title,
            severity,
            rationale: spec.rationale,
            owasp: spec.owasp,
            targets: spec.targets,
            matcher: Matcher::Classifier(Box::new(c)),
            enabled: spec.enabled,
        });
    }
    let matcher = match (&m.detector, m.patterns.is_empty() && m.keywords.is_empty()) {
        (Some(_), false) => {
            return Err("match: a detector cannot be combined with patterns or keywords".into());
        }
        (None, true) => return Err("match: needs patterns, keywords or a detector".into()),
        (Some(d), true) => {
            if !m.unless.is_empty() {
                return Err("match: `unless` applies to patterns and keywords only".into());
            }
            let d: Detector = d.parse()?;
            for t in &spec.targets {
                if !d.targets().contains(t) {
                    return Err(format!(
                        "detector {d} cannot inspect target {t:?}; it inspects {:?}",
                        d.targets()
                    ));
                }
            }
            Matcher::Detector(d)
        }
        (None, false) => {
            if spec.targets.contains(&Target::Toolset) {
                return Err("target toolset needs a detector".into());
            }
            let mut patterns = Vec::new();
            for (i, p) in m.patterns.iter().enumerate() {
                patterns.push(Regex::new(p).map_err(|e| format!("match.patterns[{i}]: {e}"))?);
            }
            if !m.keywords.is_empty() {
                if m.keywords.iter().any(|k| k.trim().is_empty()) {
                    return Err("match.keywords: empty keyword".into());
                }
                let alt: Vec<String> = m.keywords.iter().map(|k| regex::escape(k.trim())).collect();
                patterns.push(
                    Regex::new(&format!("(?i)(?:{})", alt.join("|")))
                        .map_err(|e| format!("match.keywords: {e}"))?,
                );
            }
            let mut unless = Vec::new();
            for (i, p) in m.unless.iter().enumerate() {
                unless.push(Regex::new(p).map_err(|e| format!("match.unless[{i}]: {e}"))?);
            }
            Matcher::Regex { patterns, unless }
        }
    };
    Ok(Rule {
        message: spec.message.unwrap_or_else(|| spec.title.clone()),
        id: spec.id,
        title: spec.title,
        severity,
        rationale: spec.rationale,
        owasp: spec.owasp,
        targets: spec.targets,
        matcher,
        enabled: spec.enabled,
    })
}

/// A set of rules, unique by id, in load order.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

impl RuleSet {
    /// The built-in rules. They are tested to load without errors.
    pub fn builtin() -> RuleSet {
        let (set, errors) = RuleSet::from_yaml("builtin rules/default.yaml", DEFAULT_RULES)
            .expect("built-in rule file is valid YAML");
        debug_assert!(errors.is_empty(), "built-in rules have errors: {errors:?}");
        set
    }

    /// Loads a rule file. The file must be YAML with a `rules` list; each
    /// invalid rule (and each duplicate id within the file) is returned as an
    /// error and skipped.
    pub fn from_yaml(
        source_name: &str,
        text: &str,
    ) -> Result<(RuleSet, Vec<RuleError>), RuleError> {
        let file: RuleFile = serde_yaml::from_str(text).map_err(|e| RuleError::File {
            source_name: source_name.to_string(),
            message: format!("expected `rules:` with a list of rules: {e}"),
        })?;
        let mut set = RuleSet::default();
        let mut errors = Vec::new();
        let mut seen = HashSet::new();
        for (index, v) in file.rules.into_iter().enumerate() {
            let id = v
                .get("id")
                .and_then(|i| i.as_str())
                .unwrap_or("?")
                .to_string();
            let err = |message: String| RuleError::Rule {
                source_name: source_name.to_string(),
                index,
                id: id.clone(),
                message,
            };
            let spec: RuleSpec = match serde_yaml::from_value(v) {
                Ok(s) => s,
                Err(e) => {
                    errors.push(err(e.to_string()));
                    continue;
                }
            };
            if !seen.insert(spec.id.clone()) {
                errors.push(err("duplicate rule id in this file".into()));
                continue;
            }
            match compile(spec) {
                Ok(r) => set.rules.push(r),
                Err(m) => errors.push(err(m)),
            }
        }
        Ok((set, errors))
    }

    /// Loads a user rule file from disk and merges it (see [`RuleSet::merge`]).
    pub fn load_file(&mut self, path: &std::path::Path) -> Result<Vec<RuleError>, RuleError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RuleError::File {
            source_name: name.clone(),
            message: e.to_string(),
        })?;
        let (other, errors) = RuleSet::from_yaml(&name, &text)?;
        self.merge(other);
        Ok(errors)
    }

    /// Adds `other`'s rules; a rule with an id already present replaces it
    /// (so a user file can change a built-in rule's severity or disable it).
    pub fn merge(&mut self, other: RuleSet) {
        for r in other.rules {
            match self.rules.iter_mut().find(|x| x.id == r.id) {
                Some(x) => *x = r,
                None => self.rules.push(r),
            }
        }
    }

    /// Enables or disables the rule `id`; `false` if there is no such rule.
    pub fn set_enabled(&mut self, id: &str, enabled: bool) -> bool {
        match self.rules.iter_mut().find(|r| r.id == id) {
            Some(r) => {
                r.enabled = enabled;
                true
            }
            None => false,
        }
    }

    /// Every rule, enabled or not.
    pub fn all(&self) -> &[Rule] {
        &self.rules
    }

    /// The enabled rules.
    pub fn enabled(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| r.enabled)
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The enabled rules that use `detector`.
    pub fn with_detector(&self, detector: Detector) -> impl Iterator<Item = &Rule> {
        self.enabled()
            .filter(move |r| r.detector() == Some(detector))
    }

    /// The enabled rules that inspect `target`.
    pub fn for_target(&self, target: Target) -> impl Iterator<Item = &Rule> {
        self.enabled().filter(move |r| r.targets.contains(&target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_load_cleanly() {
        let (set, errors) = RuleSet::from_yaml("default", DEFAULT_RULES).unwrap();
        assert!(errors.is_empty(), "{errors:#?}");
        assert!(set.all().len() >= 20);
        for r in set.all() {
            assert!(!r.rationale.trim().is_empty(), "{} has no rationale", r.id);
        }
        // Every detector is used by at least one built-in rule.
        for d in Detector::ALL {
            assert!(
                set.with_detector(*d).next().is_some(),
                "detector {d} has no rule"
            );
        }
    }

    #[test]
    fn bad_rules_are_reported_and_skipped() {
        let yaml = r#"
rules:
  - id: X-1
    title: ok
    severity: high
    owasp: [LLM01:2025]
    rationale: r
    targets: [tool_description]
    match: {keywords: [evil]}
  - id: X-2
    title: bad regex
    severity: high
    owasp: [LLM01:2025]
    rationale: r
    targets: [tool_description]
    match: {patterns: ['(unclosed']}
  - id: X-3
    title: bad severity
    severity: urgent
    owasp: [LLM01:2025]
    rationale: r
    targets: [tool_description]
    match: {keywords: [x]}
  - id: X-4
    title: wrong target for detector
    severity: low
    owasp: [LLM01:2025]
    rationale: r
    targets: [server_config]
    match: {detector: homoglyph}
  - id: X-5
    title: bad owasp
    severity: low
    owasp: [LLM11:2025]
    rationale: r
    targets: [tool_description]
    match: {keywords: [x]}
  - id: X-1
    title: duplicate
    severity: low
    owasp: [LLM01:2025]
    rationale: r
    targets: [tool_description]
    match: {keywords: [x]}
  - id: X-6
    title: unknown field
    severity: low
    owasp: [LLM01:2025]
    rationale: r
    targets: [tool_description]
    match: {keywords: [x]}
    colour: red
"#;
        let (set, errors) = RuleSet::from_yaml("user.yaml", yaml).unwrap();
        assert_eq!(set.all().len(), 1);
        assert_eq!(set.all()[0].find("an EVIL tool"), Some((3, 7)));
        let msgs: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 6, "{msgs:#?}");
        assert!(
            msgs[0].starts_with("user.yaml: rules[1] (X-2): match.patterns[0]: regex parse error"),
            "{}",
            msgs[0]
        );
        assert!(
            msgs[1].contains("rules[2] (X-3): unknown Severity \"urgent\""),
            "{}",
            msgs[1]
        );
        assert!(
            msgs[2].contains("detector homoglyph cannot inspect target ServerConfig"),
            "{}",
            msgs[2]
        );
        assert!(
            msgs[3].contains("owasp: unknown id \"LLM11:2025\""),
            "{}",
            msgs[3]
        );
        assert!(
            msgs[4].contains("rules[5] (X-1): duplicate rule id"),
            "{}",
            msgs[4]
        );
        assert!(msgs[5].contains("unknown field `colour`"), "{}", msgs[5]);
    }

    #[test]
    fn user_rules_override_builtin_by_id() {
        let mut set = RuleSet::builtin();
        let before = set.all().len();
        let (user, errors) = RuleSet::from_yaml(
            "u",
            "rules:\n  - {id: MCP-007, title: t, severity: info, owasp: [LLM01:2025], rationale: r, targets: [tool_description], match: {keywords: [zzz]}, enabled: false}\n",
        )
        .unwrap();
        assert!(errors.is_empty());
        set.merge(user);
        assert_eq!(set.all().len(), before);
        assert!(!set.get("MCP-007").unwrap().enabled);
        assert!(set.enabled().all(|r| r.id != "MCP-007"));
    }

    #[test]
    fn classifier_scores_features_against_threshold() {
        let yaml = r#"
rules:
  - id: X-1
    title: addressed
    severity: high
    owasp: [LLM01:2025]
    rationale: r
    targets: [tool_description]
    match:
      classifier:
        threshold: 4
        features:
          - {name: secrecy, weight: 3, keywords: [do not tell the user]}
          - {name: tools, weight: 2, patterns: ['(?i)\bany other tool\b']}
          - {name: caps, weight: 1, patterns: ['\bIMPORTANT\b', '\bURGENT\b']}
"#;
        let (set, errors) = RuleSet::from_yaml("u", yaml).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        let Matcher::Classifier(c) = &set.all()[0].matcher else {
            panic!("not a classifier")
        };
        let s = c.score("IMPORTANT: do not tell the user.");
        assert_eq!((s.score, s.features.clone()), (4.0, vec![0, 2]));
        // A feature counts once however many of its patterns match.
        assert_eq!(c.score("IMPORTANT and URGENT").score, 1.0);
        assert_eq!(
            c.score("Before any other tool, DO NOT TELL THE USER").score,
            5.0
        );
        assert_eq!(c.score("Returns the weather.").score, 0.0);
        assert_eq!(c.locate(1, "x any other tool"), Some((2, 16)));
        // ASCII mode: `\b` and case folding still work on non-ASCII text.
        assert_eq!(c.score("Zürich: do not tell the user").score, 3.0);
    }

    #[test]
    fn bad_classifiers_are_reported() {
        let yaml = r#"
rules:
  - id: X-1
    title: t
    severity: high
    owasp: [LLM01:2025]
    rationale: r
    targets: [tool_description]
    match: {classifier: {threshold: 0, features: [{name: a, weight: 1, keywords: [x]}]}}
  - id: X-2
    title: t
    severity: high
    owasp: [LLM01:2025]
    rationale: r
    targets: [tool_description]
    match: {classifier: {threshold: 1, features: [{name: a, weight: 1}]}}
  - id: X-3
    title: t
    severity: high
    owasp: [LLM01:2025]
    rationale: r
    targets: [tool_description]
    match: {classifier: {threshold: 1, features: [{name: a, weight: 1, patterns: ['(x']}]}}
  - id: X-4
    title: t
    severity: high
    owasp: [LLM01:2025]
    rationale: r
    targets: [tool_description]
    match: {keywords: [y], classifier: {threshold: 1, features: [{name: a, weight: 1, keywords: [x]}]}}
  - id: X-5
    title: t
    severity: high
    owasp: [LLM01:2025]
    rationale: r
    targets: [server_config]
    match: {classifier: {threshold: 1, features: [{name: a, weight: 1, keywords: [x]}]}}
"#;
        let (set, errors) = RuleSet::from_yaml("u", yaml).unwrap();
        assert!(set.all().is_empty());
        let msgs: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(msgs.len(), 5, "{msgs:#?}");
        assert!(
            msgs[0].contains("threshold must be a positive number"),
            "{}",
            msgs[0]
        );
        assert!(
            msgs[1].contains("features[0] (a): needs patterns or keywords"),
            "{}",
            msgs[1]
        );
        assert!(
            msgs[2].contains("features[0] (a).patterns[0]: regex parse error"),
            "{}",
            msgs[2]
        );
        assert!(msgs[3].contains("cannot be combined"), "{}", msgs[3]);
        assert!(msgs[4].contains("text targets only"), "{}", msgs[4]);
    }

    #[test]
    fn not_yaml_is_a_file_error() {
        assert!(matches!(
            RuleSet::from_yaml("f", "rules: [unclosed"),
            Err(RuleError::File { .. })
        ));
        assert!(matches!(
            RuleSet::from_yaml("f", "- a\n- b\n"),
            Err(RuleError::File { .. })
        ));
    }
}
