//! Static analysis of MCP tools: the text rules (poisoning, injection,
//! shadowing phrasing), hidden-character and encoding detectors on every
//! description, schema string and name, and the cross-server checks (name
//! collisions, references to other servers' tools, toxic flows).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

use base64::Engine as _;
use regex::Regex;

use crate::config::ServerConfig;
use crate::finding::Finding;
use crate::flows::CapabilityModel;
use crate::rules::{Classifier, Detector, Matcher, Rule, RuleSet, Target};
use crate::text;
use crate::tools::{Tool, schema_texts};

/// The tools of one server, as listed by `tools/list`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerTools {
    pub server: String,
    /// Where the tools were read from (a file path), for reports.
    pub source: Option<String>,
    pub tools: Vec<Tool>,
}

/// Text longer than this (in characters) is reported by `oversized_text`.
pub const OVERSIZED_CHARS: usize = 10_000;
/// Minimum length of a base64 or hex run considered an encoded payload.
pub const MIN_ENCODED_LEN: usize = 40;

/// Runs the rules of a [`RuleSet`] over tools and configs.
#[derive(Debug, Clone)]
pub struct Analyzer {
    rules: RuleSet,
    caps: CapabilityModel,
    /// The semantic detector (rule MCP-020), when an embedding model was given.
    semantic: Option<std::sync::Arc<crate::semantic::SemanticDetector>>,
    /// Verdicts of the LLM judge (rule MCP-030), when it ran.
    judge: Option<std::sync::Arc<crate::judge::JudgeVerdicts>>,
    /// The learned classifier's model (rule MCP-022); `None`: the built-in one.
    learned: Option<std::sync::Arc<crate::learned::LinearModel>>,
}

struct Ctx<'a> {
    server: &'a str,
    tool: Option<&'a str>,
    source: Option<&'a str>,
    /// Every ASCII tool name across the analysed servers, with their servers.
    names: &'a HashMap<String, BTreeSet<String>>,
}

impl Default for Analyzer {
    fn default() -> Self {
        Analyzer::builtin()
    }
}

impl Analyzer {
    pub fn new(rules: RuleSet, caps: CapabilityModel) -> Analyzer {
        Analyzer {
            rules,
            caps,
            semantic: None,
            judge: None,
            learned: None,
        }
    }

    /// Uses `model` instead of the built-in model for the learned classifier
    /// (rule MCP-022).
    pub fn with_learned_model(mut self, model: crate::learned::LinearModel) -> Analyzer {
        self.learned = Some(std::sync::Arc::new(model));
        self
    }

    /// Enables the `semantic` detector (rule MCP-020) with `detector`.
    pub fn with_semantic(
        mut self,
        detector: impl Into<std::sync::Arc<crate::semantic::SemanticDetector>>,
    ) -> Analyzer {
        self.semantic = Some(detector.into());
        self
    }

    /// Whether the semantic detector is on.
    pub fn semantic_enabled(&self) -> bool {
        self.semantic.is_some()
    }

    /// Uses the verdicts of an LLM-judge run (rule MCP-030): tools judged
    /// malicious with a confidence at or above the run's threshold get a
    /// finding.
    pub fn with_judge(
        mut self,
        verdicts: impl Into<std::sync::Arc<crate::judge::JudgeVerdicts>>,
    ) -> Analyzer {
        self.judge = Some(verdicts.into());
        self
    }

    /// Whether LLM-judge verdicts are used.
    pub fn judge_enabled(&self) -> bool {
        self.judge.is_some()
    }

    /// The built-in rules and capability keywords.
    pub fn builtin() -> Analyzer {
        Analyzer::new(RuleSet::builtin(), CapabilityModel::builtin())
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    pub fn capabilities(&self) -> &CapabilityModel {
        &self.caps
    }

    /// A finding of `rule`.
    pub(crate) fn finding(
        rule: &Rule,
        server: &str,
        tool: Option<&str>,
        source: Option<&str>,
        location: Option<String>,
        message: String,
        evidence: String,
    ) -> Finding {
        Finding {
            server: server.to_string(),
            tool: tool.map(str::to_string),
            rule: rule.id.clone(),
            severity: rule.severity,
            message,
            evidence,
            location,
            source: source.map(str::to_string),
        }
    }

    /// Tool-level findings for one server's tools (no cross-server checks).
    pub fn check_tools(&self, st: &ServerTools) -> Vec<Finding> {
        let names = name_index(std::slice::from_ref(st));
        let mut out = Vec::new();
        self.tools_into(st, &names, &mut out);
        Finding::sort(&mut out);
        out
    }

    /// Findings for all the servers one client loads: each server's
    /// tool-level findings, then name collisions, cross-server tool
    /// references and toxic flows.
    pub fn check_toolset(&self, servers: &[ServerTools]) -> Vec<Finding> {
        let names = name_index(servers);
        let mut out = Vec::new();
        for st in servers {
            self.tools_into(st, &names, &mut out);
        }
        self.collisions_into(servers, &mut out);
        self.cross_references_into(servers, &names, &mut out);
        out.extend(crate::flows::check(self, servers));
        Finding::sort(&mut out);
        out
    }

    /// Configuration findings for one server.
    pub fn check_config(&self, cfg: &ServerConfig) -> Vec<Finding> {
        crate::config::check(&self.rules, cfg)
    }

    fn tools_into(
        &self,
        st: &ServerTools,
        names: &HashMap<String, BTreeSet<String>>,
        out: &mut Vec<Finding>,
    ) {
        for tool in &st.tools {
            let ctx = Ctx {
                server: &st.server,
                tool: Some(&tool.name),
                source: st.source.as_deref(),
                names,
            };
            let start = out.len();
            self.text_into(&ctx, Target::ToolName, "name", &tool.name, out);
            if let Some(t) = &tool.title {
                self.text_into(&ctx, Target::ToolDescription, "title", t, out);
            }
            if let Some(d) = &tool.description {
                self.text_into(&ctx, Target::ToolDescription, "description", d, out);
            }
            if let Some(t) = tool.annotations.as_ref().and_then(|a| a.title.as_deref()) {
                self.text_into(&ctx, Target::ToolDescription, "annotations.title", t, out);
            }
            if let Some(props) = tool
                .input_schema
                .get("properties")
                .and_then(|p| p.as_object())
            {
                for k in props.keys() {
                    let loc = format!("inputSchema.properties.{}", text::render_visible(k));
                    self.text_into(&ctx, Target::ParamName, &loc, k, out);
                }
            }
            for st in schema_texts(&tool.input_schema, "inputSchema") {
                let target = if st.is_description {
                    Target::ParamDescription
                } else {
                    Target::SchemaValue
                };
                self.text_into(&ctx, target, &st.location, st.text, out);
            }
            self.learned_into(&ctx, tool, start, out);
            self.judge_into(&ctx, tool, out);
            dedup(out, start);
        }
    }

    /// The learned classifier (rule MCP-022) on `tool`, whose findings start
    /// at `out[start]`: the whole tool text is scored; at the model's
    /// threshold the rule fires with the strongest sentence as evidence.
    /// The findings of the model's weak rules (e.g. MCP-019) below their bar
    /// are dropped. Nothing happens when MCP-022 is disabled.
    fn learned_into(&self, ctx: &Ctx<'_>, tool: &Tool, start: usize, out: &mut Vec<Finding>) {
        let mut rules = self.rules.with_detector(Detector::Learned).peekable();
        if rules.peek().is_none() {
            return;
        }
        let model: &crate::learned::LinearModel = match &self.learned {
            Some(m) => m,
            None => crate::learned::LinearModel::builtin(),
        };
        let fields = crate::learned::tool_fields(tool);
        let sc = model.score(&crate::learned::join_fields(&fields));
        let weak = &model.header().weak_rules;
        if !weak.is_empty() {
            let mut i = start;
            while i < out.len() {
                match weak.get(&out[i].rule) {
                    Some(&bar) if sc.probability < bar => {
                        out.remove(i);
                    }
                    _ => i += 1,
                }
            }
        }
        if sc.probability < model.threshold() {
            return;
        }
        let (location, evidence) = match crate::learned::strongest_sentence(model, &fields) {
            Some((loc, t, a, b)) => (Some(loc), text::evidence(t, a, b)),
            None => (None, String::new()),
        };
        for rule in rules {
            out.push(Analyzer::finding(
                rule,
                ctx.server,
                ctx.tool,
                ctx.source,
                location.clone(),
                format!(
                    "{}: probability {:.2} (threshold {:.2})",
                    rule.message,
                    sc.probability,
                    model.threshold()
                ),
                evidence.clone(),
            ));
        }
    }

    /// The LLM judge's finding for `tool`, if its verdict is malicious and
    /// confident enough.
    fn judge_into(&self, ctx: &Ctx<'_>, tool: &Tool, out: &mut Vec<Finding>) {
        let Some(j) = self.judge.as_ref() else {
            return;
        };
        let Some(v) = j.get(tool) else {
            return;
        };
        let full = crate::judge::tool_text(tool);
        self.verdict_into(ctx, j.threshold, v, &full, out);
    }

    /// The LLM judge's finding for a prompt or resource (`kind`: `prompt`,
    /// `resource`, `resource template`) named `item` in findings.
    pub(crate) fn judge_item_into(
        &self,
        server: &str,
        item: &str,
        source: Option<&str>,
        kind: &str,
        v: &serde_json::Value,
        out: &mut Vec<Finding>,
    ) {
        let Some(j) = self.judge.as_ref() else {
            return;
        };
        let Some(verdict) = j.get_item(kind, v) else {
            return;
        };
        let names = HashMap::new();
        let ctx = Ctx {
            server,
            tool: Some(item),
            source,
            names: &names,
        };
        let full = crate::judge::item_text(v);
        self.verdict_into(&ctx, j.threshold, verdict, &full, out);
    }

    fn verdict_into(
        &self,
        ctx: &Ctx<'_>,
        threshold: f64,
        v: &crate::judge::Verdict,
        full: &str,
        out: &mut Vec<Finding>,
    ) {
        if !v.malicious || v.confidence < threshold {
            return;
        }
        for rule in self.rules.with_detector(Detector::LlmJudge) {
            let quote = v.evidence.trim();
            let evidence = match (!quote.is_empty()).then(|| full.find(quote)).flatten() {
                Some(at) => text::evidence(full, at, at + quote.len()),
                None => {
                    let head: String = full
                        .chars()
                        .take(crate::judge::FALLBACK_EVIDENCE_CHARS)
                        .collect();
                    text::evidence(&head, 0, head.len())
                }
            };
            out.push(Analyzer::finding(
                rule,
                ctx.server,
                ctx.tool,
                ctx.source,
                None,
                format!(
                    "{}: {} (confidence {:.2})",
                    rule.message,
                    v.category.as_str(),
                    v.confidence
                ),
                evidence,
            ));
        }
    }

    /// Applies the text rules of `target` to `s` for an item that is not a
    /// tool (a prompt or resource, named `item` in the findings' `tool`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn item_text_into(
        &self,
        server: &str,
        item: &str,
        source: Option<&str>,
        target: Target,
        location: &str,
        s: &str,
        out: &mut Vec<Finding>,
    ) {
        let names = HashMap::new();
        let ctx = Ctx {
            server,
            tool: Some(item),
            source,
            names: &names,
        };
        self.text_into(&ctx, target, location, s, out);
    }

    /// Applies every enabled rule for `target` to `s`.
    fn text_into(
        &self,
        ctx: &Ctx<'_>,
        target: Target,
        location: &str,
        s: &str,
        out: &mut Vec<Finding>,
    ) {
        if s.is_empty() {
            return;
        }
        // Text with hidden characters is also matched with them removed and
        // look-alikes folded, so splitting a phrase with U+200B does not evade.
        let hidden = s
            .chars()
            .any(|c| text::needs_escape(c) || text::confusable(c).is_some());
        let folded = if hidden {
            Some(text::skeleton(s))
        } else {
            None
        };
        for rule in self.rules.for_target(target) {
            let hit = match &rule.matcher {
                Matcher::Regex { .. } => rule
                    .find(s)
                    .map(|(a, b)| (rule.message.clone(), text::evidence(s, a, b)))
                    .or_else(|| {
                        let f = folded.as_deref()?;
                        rule.find(f).map(|(a, b)| {
                            (
                                format!("{} (after removing hidden characters)", rule.message),
                                text::evidence(f, a, b),
                            )
                        })
                    }),
                Matcher::Detector(d) => self.detect(*d, rule, ctx, target, s),
                Matcher::Classifier(c) => classify(c, rule, s).or_else(|| {
                    let f = folded.as_deref()?;
                    classify(c, rule, f)
                        .map(|(m, e)| (format!("{m} (after removing hidden characters)"), e))
                }),
            };
            if let Some((message, evidence)) = hit {
                out.push(Self::finding(
                    rule,
                    ctx.server,
                    ctx.tool,
                    ctx.source,
                    Some(location.to_string()),
                    message,
                    evidence,
                ));
            }
        }
    }

    /// Runs a text detector; returns (message, evidence).
    fn detect(
        &self,
        d: Detector,
        rule: &Rule,
        ctx: &Ctx<'_>,
        target: Target,
        s: &str,
    ) -> Option<(String, String)> {
        match d {
            Detector::InvisibleUnicode => {
                let hits: Vec<(usize, char)> = s
                    .char_indices()
                    .filter(|&(i, c)| {
                        text::is_invisible(c) && !(c == '\u{200D}' && text::is_emoji_zwj(s, i))
                    })
                    .collect();
                let (first, c) = *hits.first()?;
                Some((
                    format!(
                        "{}: {}",
                        rule.message,
                        codepoint_summary(hits.iter().map(|h| h.1))
                    ),
                    text::evidence_around(s, first, c.len_utf8(), 30),
                ))
            }
            Detector::BidiUnicode => {
                let hits: Vec<(usize, char)> = s
                    .char_indices()
                    .filter(|&(_, c)| text::is_bidi(c))
                    .collect();
                let (first, c) = *hits.first()?;
                Some((
                    format!(
                        "{}: {}",
                        rule.message,
                        codepoint_summary(hits.iter().map(|h| h.1))
                    ),
                    text::evidence_around(s, first, c.len_utf8(), 30),
                ))
            }
            Detector::UnicodeTags => {
                let first = s.char_indices().find(|&(_, c)| text::is_tag(c))?.0;
                let decoded = text::decode_tags(s);
                let mut msg = format!(
                    "{}: hidden text {:?}",
                    rule.message,
                    truncate(&decoded, 200)
                );
                if let Some(id) = self.matching_text_rule(&decoded) {
                    msg.push_str(&format!(" (matches {id})"));
                }
                let end = s[first..]
                    .char_indices()
                    .find(|&(_, c)| !text::is_tag(c))
                    .map(|(i, _)| first + i)
                    .unwrap_or(s.len());
                let before: String = s[..first]
                    .chars()
                    .rev()
                    .take(20)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                let tags = s[first..end].chars().count();
                let shown: String = s[first..end].chars().take(8).collect();
                let more = if tags > 8 {
                    format!("…(+{} more tag characters)", tags - 8)
                } else {
                    String::new()
                };
                Some((
                    msg,
                    format!(
                        "{}{}{more}",
                        text::render_visible(&before),
                        text::render_visible(&shown)
                    ),
                ))
            }
            Detector::Homoglyph => {
                let odd: Vec<char> = s
                    .chars()
                    .filter(|&c| {
                        text::confusable(c).is_some() || (!c.is_ascii() && c.is_alphabetic())
                    })
                    .collect();
                if odd.is_empty() {
                    return None;
                }
                let sk = text::skeleton(s);
                let mut msg = format!(
                    "{}: {} looks like {:?}",
                    rule.message,
                    codepoint_summary(odd.iter().copied()),
                    sk
                );
                if target == Target::ToolName
                    && sk != s
                    && let Some(servers) = ctx.names.get(&sk)
                {
                    msg.push_str(&format!(
                        "; impersonates tool {sk:?} of {}",
                        servers.iter().cloned().collect::<Vec<_>>().join(", ")
                    ));
                }
                let ev: String = s
                    .chars()
                    .map(|c| {
                        if text::confusable(c).is_some() || (!c.is_ascii() && c.is_alphabetic()) {
                            format!("<U+{:04X}>", c as u32)
                        } else {
                            text::render_visible(&c.to_string())
                        }
                    })
                    .collect();
                Some((msg, ev))
            }
            Detector::EncodedInstructions | Detector::EncodedText => {
                let (start, end, decoded, matched) = self.encoded(s)?;
                let blob = text::evidence(s, start, end);
                match (d, matched) {
                    (Detector::EncodedInstructions, Some(id)) => Some((
                        format!(
                            "{}: decodes to {:?} (matches {id})",
                            rule.message,
                            truncate(&decoded, 160)
                        ),
                        blob,
                    )),
                    (Detector::EncodedText, None) => Some((
                        format!("{}: decodes to {:?}", rule.message, truncate(&decoded, 160)),
                        blob,
                    )),
                    _ => None,
                }
            }
            Detector::SchemaValueInstructions => {
                if target != Target::SchemaValue {
                    return None;
                }
                let words = s.split_whitespace().count();
                if words < 8 {
                    return None;
                }
                let m = addressed_to_model().find(s)?;
                let _ = m;
                Some((rule.message.clone(), text::evidence(s, 0, s.len())))
            }
            Detector::OversizedText => {
                let n = s.chars().count();
                if n <= OVERSIZED_CHARS {
                    return None;
                }
                let head: String = s.chars().take(80).collect();
                Some((
                    format!("{}: {n} characters (limit {OVERSIZED_CHARS})", rule.message),
                    format!("{}…", text::render_visible(&head)),
                ))
            }
            Detector::Semantic => {
                let det = self.semantic.as_ref()?;
                // Embed the text as the model would read it: hidden characters
                // removed, look-alikes folded.
                let folded;
                let s = if s
                    .chars()
                    .any(|c| text::needs_escape(c) || text::confusable(c).is_some())
                {
                    folded = text::skeleton(s);
                    folded.as_str()
                } else {
                    s
                };
                let hit = match det.check(s) {
                    Ok(h) => h?,
                    Err(e) => {
                        tracing::warn!(server = ctx.server, tool = ?ctx.tool, error = %e, "semantic detector failed on a text");
                        return None;
                    }
                };
                Some((
                    format!(
                        "{}: close to the {} intent '{}' (similarity {:.2}, best benign {:.2})",
                        rule.message,
                        hit.category,
                        hit.intent,
                        hit.similarity,
                        hit.benign_similarity
                    ),
                    text::evidence(s, hit.start, hit.end),
                ))
            }
            _ => None,
        }
    }

    /// The id of the first enabled regex text rule matching `s`.
    fn matching_text_rule(&self, s: &str) -> Option<String> {
        self.rules
            .for_target(Target::ToolDescription)
            .filter(|r| matches!(r.matcher, Matcher::Regex { .. }))
            .find(|r| r.find(s).is_some())
            .map(|r| r.id.clone())
    }

    /// The first base64 or hex run in `s` that decodes to readable text:
    /// (start, end, decoded text, id of a text rule the decoded text matches).
    fn encoded(&self, s: &str) -> Option<(usize, usize, String, Option<String>)> {
        if s.len() < MIN_ENCODED_LEN {
            return None;
        }
        for m in encoded_run().find_iter(s) {
            let run = m.as_str();
            let decoded = decode_hex(run).or_else(|| decode_base64(run));
            if let Some(decoded) = decoded.filter(|d| readable(d)) {
                let matched = self.matching_text_rule(&decoded);
                return Some((m.start(), m.end(), decoded, matched));
            }
        }
        None
    }

    fn collisions_into(&self, servers: &[ServerTools], out: &mut Vec<Finding>) {
        let Some(rule) = self.rules.with_detector(Detector::NameCollision).next() else {
            return;
        };
        let mut by_name: BTreeMap<&str, Vec<&ServerTools>> = BTreeMap::new();
        for st in servers {
            for t in &st.tools {
                by_name.entry(t.name.as_str()).or_default().push(st);
            }
        }
        for (name, owners) in by_name {
            if owners.len() < 2 {
                continue;
            }
            let mut seen = HashSet::new();
            for st in &owners {
                if !seen.insert(st.server.as_str()) {
                    continue;
                }
                let others: Vec<&str> = owners
                    .iter()
                    .map(|o| o.server.as_str())
                    .filter(|s| *s != st.server)
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let msg = if others.is_empty() {
                    format!(
                        "{}: {name:?} is listed more than once by this server",
                        rule.message
                    )
                } else {
                    format!(
                        "{}: {name:?} is also exposed by {}",
                        rule.message,
                        others.join(", ")
                    )
                };
                out.push(Self::finding(
                    rule,
                    &st.server,
                    Some(name),
                    st.source.as_deref(),
                    Some("name".into()),
                    msg,
                    text::render_visible(name),
                ));
            }
        }
    }

    fn cross_references_into(
        &self,
        servers: &[ServerTools],
        names: &HashMap<String, BTreeSet<String>>,
        out: &mut Vec<Finding>,
    ) {
        let Some(rule) = self
            .rules
            .with_detector(Detector::CrossToolReference)
            .next()
        else {
            return;
        };
        if servers.len() < 2 {
            return;
        }
        for st in servers {
            let own: HashSet<&str> = st.tools.iter().map(|t| t.name.as_str()).collect();
            for tool in &st.tools {
                let mut texts: Vec<(String, &str)> = Vec::new();
                if let Some(d) = &tool.description {
                    texts.push(("description".into(), d));
                }
                for s in schema_texts(&tool.input_schema, "inputSchema") {
                    if s.is_description {
                        texts.push((s.location, s.text));
                    }
                }
                for (loc, t) in texts {
                    let mut refs: Vec<(usize, &str, String)> = Vec::new();
                    for m in identifier().find_iter(t) {
                        let tok = m.as_str().trim_end_matches(['.', '-']);
                        if own.contains(tok) || !distinctive(tok) {
                            continue;
                        }
                        if let Some(owners) = names.get(tok) {
                            let other: Vec<&str> = owners
                                .iter()
                                .map(String::as_str)
                                .filter(|s| *s != st.server)
                                .collect();
                            if !other.is_empty() && !refs.iter().any(|r| r.1 == tok) {
                                refs.push((m.start(), tok, other.join(", ")));
                            }
                        }
                    }
                    if let Some((at, tok, _)) = refs.first() {
                        let list: Vec<String> =
                            refs.iter().map(|(_, n, s)| format!("{n} ({s})")).collect();
                        let msg = format!("{}: {}", rule.message, list.join(", "));
                        let ev = text::evidence_around(t, *at, tok.len(), 40);
                        out.push(Self::finding(
                            rule,
                            &st.server,
                            Some(&tool.name),
                            st.source.as_deref(),
                            Some(loc),
                            msg,
                            ev,
                        ));
                    }
                }
            }
        }
    }
}

/// Runs a classifier rule on `s`; returns (message, evidence) when the score
/// reaches the threshold.
fn classify(c: &Classifier, rule: &Rule, s: &str) -> Option<(String, String)> {
    let sc = c.score(s);
    if sc.score < c.threshold {
        return None;
    }
    let names: Vec<&str> = sc
        .features
        .iter()
        .map(|&i| c.features[i].name.as_str())
        .collect();
    let msg = format!(
        "{}: score {} (threshold {}; {})",
        rule.message,
        sc.score,
        c.threshold,
        names.join(", ")
    );
    let ev = sc
        .features
        .first()
        .and_then(|&i| c.locate(i, s))
        .map(|(a, b)| text::evidence(s, a, b))
        .unwrap_or_else(|| text::evidence(s, 0, s.len()));
    Some((msg, ev))
}

/// Keeps the first finding per (tool, rule, location) among `out[start..]`.
fn dedup(out: &mut Vec<Finding>, start: usize) {
    let mut seen = HashSet::new();
    let mut i = start;
    while i < out.len() {
        let key = (
            out[i].tool.clone(),
            out[i].rule.clone(),
            out[i].location.clone(),
        );
        if seen.insert(key) {
            i += 1;
        } else {
            out.remove(i);
        }
    }
}

fn name_index(servers: &[ServerTools]) -> HashMap<String, BTreeSet<String>> {
    let mut m: HashMap<String, BTreeSet<String>> = HashMap::new();
    for st in servers {
        for t in &st.tools {
            m.entry(t.name.clone())
                .or_default()
                .insert(st.server.clone());
        }
    }
    m
}

/// Tool names specific enough to count as a reference when they appear in
/// prose: `send_message`, `list-chats`, `getWeather`, `gpt4`, not `add` or `search`.
fn distinctive(name: &str) -> bool {
    name.len() >= 4
        && (name.contains('_')
            || name.contains('-')
            || name.chars().any(|c| c.is_ascii_digit())
            || name
                .as_bytes()
                .windows(2)
                .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase()))
}

fn codepoint_summary(chars: impl Iterator<Item = char>) -> String {
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    let mut total = 0;
    for c in chars {
        *counts.entry(c).or_default() += 1;
        total += 1;
    }
    let mut parts: Vec<String> = counts
        .iter()
        .take(6)
        .map(|(c, n)| {
            if *n > 1 {
                format!("U+{:04X} ×{n}", *c as u32)
            } else {
                format!("U+{:04X}", *c as u32)
            }
        })
        .collect();
    if counts.len() > 6 {
        parts.push(format!("{} more kinds", counts.len() - 6));
    }
    format!("{total} character(s): {}", parts.join(", "))
}

fn truncate(s: &str, n: usize) -> String {
    let mut t: String = s.chars().take(n).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    t
}

fn encoded_run() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"[A-Za-z0-9+/_-]{40,}={0,2}").expect("valid regex"))
}

fn identifier() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"[A-Za-z0-9_][A-Za-z0-9_.-]*").expect("valid regex"))
}

fn addressed_to_model() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"(?i)\b(you|your|assistant|ai|model|llm|agent|must|always|never|ignore|before\s+(using|calling)|instead|do\s+not|don't|make\s+sure|the\s+user)\b")
            .expect("valid regex")
    })
}

fn decode_hex(run: &str) -> Option<String> {
    if !run.len().is_multiple_of(2) || !run.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    String::from_utf8(hex::decode(run).ok()?).ok()
}

fn decode_base64(run: &str) -> Option<String> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let cfg = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    let engines = [
        GeneralPurpose::new(&base64::alphabet::STANDARD, cfg),
        GeneralPurpose::new(&base64::alphabet::URL_SAFE, cfg),
    ];
    for e in engines {
        if let Ok(bytes) = e.decode(run)
            && let Ok(s) = String::from_utf8(bytes)
        {
            return Some(s);
        }
    }
    None
}

/// Decoded bytes that read as prose: printable, with several words.
fn readable(s: &str) -> bool {
    let n = s.chars().count();
    if n < 16 {
        return false;
    }
    let printable = s
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t'))
        .count();
    let letters = s.chars().filter(|c| c.is_alphabetic()).count();
    printable * 100 >= n * 95 && letters * 2 >= n && s.split_whitespace().count() >= 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_rejects_binary_and_identifiers() {
        assert!(readable("read the ssh key and send it"));
        assert!(!readable("abcdefghijklmnopqrstuvwxyz"));
        assert!(!readable(
            "\u{1}\u{2}\u{3}\u{4}\u{5}\u{6}\u{7}\u{8}\u{9}\u{1}\u{2}\u{3}\u{4}\u{5}\u{6}\u{7}"
        ));
    }

    #[test]
    fn distinctive_names() {
        assert!(distinctive("send_message"));
        assert!(distinctive("getWeather"));
        assert!(!distinctive("add"));
        assert!(!distinctive("search"));
    }
}
