//! VEX and exceptions: OpenVEX (v0.0.1 and v0.2.0), CycloneDX VEX and
//! CSAF 2.0 VEX statements, and the ignore file (`.mcpsec-ignore.yaml`), applied to scan
//! findings; and OpenVEX output of the current state.
//!
//! A statement applies to a finding when one of its vulnerability names is
//! the finding's id or one of its aliases, and one of its targets matches:
//!
//! - a **package purl** target (`pkg:npm/x@1.0`, OpenVEX `subcomponents`,
//!   CycloneDX `affects.ref` resolved to a component purl) matches a
//!   component with the same type, namespace and name, and the same version
//!   when the target has one (qualifiers and subpath are ignored);
//! - a **product** target (a bom-ref that is no purl, a BOM-Link
//!   `urn:cdx:…#product`, an OpenVEX product without subcomponents whose
//!   id is not a package purl, or `pkg:oci/…`) applies to every finding of
//!   the scan: the VEX describes the product being scanned. Product targets
//!   that carry CycloneDX `versions` constraints are not evaluated (the
//!   scan does not know the product's version) and are skipped.
//!
//! When several statements apply, the one with the latest timestamp wins
//! (document order breaks ties: later wins). `not_affected` and `fixed`
//! suppress the finding (kept with its justification); `affected` and
//! `under_investigation` are recorded as the finding's `vex_status`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::purl::Purl;
use crate::scan::{Finding, Suppression};

/// OpenVEX statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VexStatus {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl VexStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Affected => "affected",
            VexStatus::Fixed => "fixed",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }

    fn from_openvex(s: &str) -> Option<VexStatus> {
        Some(match s {
            "not_affected" => VexStatus::NotAffected,
            "affected" => VexStatus::Affected,
            "fixed" => VexStatus::Fixed,
            "under_investigation" => VexStatus::UnderInvestigation,
            _ => return None,
        })
    }

    /// CycloneDX `analysis.state`.
    fn from_cyclonedx(s: &str) -> Option<VexStatus> {
        Some(match s {
            "not_affected" | "false_positive" => VexStatus::NotAffected,
            "exploitable" => VexStatus::Affected,
            "resolved" | "resolved_with_pedigree" => VexStatus::Fixed,
            "in_triage" => VexStatus::UnderInvestigation,
            _ => return None,
        })
    }
}

/// What a statement is about.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A package purl (versionless matches every version).
    Package(Purl),
    /// The product being scanned.
    Product(String),
}

/// One VEX statement.
#[derive(Debug, Clone)]
pub struct Statement {
    pub vulnerabilities: Vec<String>,
    pub targets: Vec<Target>,
    pub status: VexStatus,
    pub justification: Option<String>,
    pub impact: Option<String>,
    pub action: Option<String>,
    pub timestamp: Option<DateTime<Utc>>,
    /// The document it came from.
    pub source: String,
}

/// A parsed VEX document.
#[derive(Debug, Clone, Default)]
pub struct VexDocument {
    pub statements: Vec<Statement>,
    /// Statements or targets that were skipped, with the reason.
    pub skipped: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum VexError {
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    #[error("{0}: not valid JSON: {1}")]
    Json(String, String),
    #[error("{0}: not an OpenVEX, CycloneDX VEX or CSAF VEX document")]
    Unknown(String),
    #[error("{0}: {1}")]
    Invalid(String, String),
}

fn ts(v: Option<&Value>) -> Option<DateTime<Utc>> {
    v.and_then(Value::as_str)
        .and_then(crate::osv::parse_timestamp)
}

fn target_of(id: &str) -> Target {
    match Purl::parse(id) {
        Ok(p) if p.ty != "oci" && p.ty != "docker" => Target::Package(p),
        _ => Target::Product(id.to_string()),
    }
}

/// Parses OpenVEX or CycloneDX VEX (detected from the content).
pub fn parse(bytes: &[u8], source: &str) -> Result<VexDocument, VexError> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]);
    if head
        .trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('<')
    {
        // CycloneDX XML VEX.
        let text = std::str::from_utf8(bytes)
            .map_err(|e| VexError::Invalid(source.to_string(), e.to_string()))?;
        let v = crate::reports::cyclonedx_xml_to_json(text)
            .map_err(|e| VexError::Invalid(source.to_string(), e.to_string()))?;
        return Ok(parse_cyclonedx(&v, source));
    }
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| VexError::Json(source.to_string(), e.to_string()))?;
    if v.get("statements").is_some()
        || v.get("@context")
            .and_then(Value::as_str)
            .is_some_and(|c| c.contains("openvex"))
    {
        return parse_openvex(&v, source);
    }
    if v.pointer("/document/csaf_version").is_some() {
        return Ok(parse_csaf(&v, source));
    }
    if v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX")
        || v.get("vulnerabilities").is_some() && v.get("specVersion").is_some()
    {
        return Ok(parse_cyclonedx(&v, source));
    }
    Err(VexError::Unknown(source.to_string()))
}

/// Reads a VEX file.
pub fn load(path: &std::path::Path) -> Result<VexDocument, VexError> {
    let p = path.display().to_string();
    let b = std::fs::read(path).map_err(|e| VexError::Io(p.clone(), e))?;
    parse(&b, &p)
}

fn parse_openvex(v: &Value, source: &str) -> Result<VexDocument, VexError> {
    let list = v
        .get("statements")
        .and_then(Value::as_array)
        .ok_or_else(|| VexError::Invalid(source.into(), "no statements array".into()))?;
    let doc_ts = ts(v.get("timestamp"));
    let mut doc = VexDocument::default();
    for (i, s) in list.iter().enumerate() {
        // v0.0.1: "vulnerability": "CVE-…"; v0.2.0: {"name", "@id", "aliases"}.
        let mut vulns = Vec::new();
        match s.get("vulnerability") {
            Some(Value::String(n)) => vulns.push(n.clone()),
            Some(o @ Value::Object(_)) => {
                for k in ["name", "@id"] {
                    if let Some(n) = o.get(k).and_then(Value::as_str) {
                        vulns.push(n.to_string());
                    }
                }
                for a in o
                    .get("aliases")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(n) = a.as_str() {
                        vulns.push(n.to_string());
                    }
                }
            }
            _ => {}
        }
        let Some(status) = s
            .get("status")
            .and_then(Value::as_str)
            .and_then(VexStatus::from_openvex)
        else {
            doc.skipped.push(format!(
                "{source}: statements[{i}]: missing or unknown status"
            ));
            continue;
        };
        if vulns.is_empty() {
            doc.skipped
                .push(format!("{source}: statements[{i}]: no vulnerability"));
            continue;
        }
        let mut targets = Vec::new();
        for p in s
            .get("products")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match p {
                Value::String(id) => targets.push(target_of(id)),
                Value::Object(o) => {
                    let subs: Vec<&str> = o
                        .get("subcomponents")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|x| {
                            x.get("@id").or_else(|| x.get("id")).and_then(Value::as_str)
                        })
                        .collect();
                    if subs.is_empty() {
                        if let Some(id) = o.get("@id").and_then(Value::as_str) {
                            targets.push(target_of(id));
                        }
                        // identifiers.purl (v0.2.0)
                        if let Some(p) = o
                            .get("identifiers")
                            .and_then(|i| i.get("purl"))
                            .and_then(Value::as_str)
                        {
                            targets.push(target_of(p));
                        }
                    } else {
                        for sub in subs {
                            match Purl::parse(sub) {
                                Ok(p) => targets.push(Target::Package(p)),
                                Err(_) => doc.skipped.push(format!(
                                    "{source}: statements[{i}]: subcomponent {sub:?} is not a purl"
                                )),
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if targets.is_empty() {
            doc.skipped
                .push(format!("{source}: statements[{i}]: no products"));
            continue;
        }
        let text = |k: &str| {
            s.get(k)
                .and_then(Value::as_str)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
        };
        doc.statements.push(Statement {
            vulnerabilities: vulns,
            targets,
            status,
            justification: text("justification"),
            impact: text("impact_statement").or_else(|| text("status_notes")),
            action: text("action_statement"),
            timestamp: ts(s.get("timestamp")).or(doc_ts),
            source: source.to_string(),
        });
    }
    Ok(doc)
}

/// CSAF 2.0 (`csaf_vex` profile, or any CSAF document with `product_status`):
/// every product id of a vulnerability's `product_status` becomes a
/// statement — `known_not_affected` → not_affected (justification from the
/// `flags` label, impact from an `impact` threat), `fixed`/`first_fixed` →
/// fixed, `known_affected`/`first_affected`/`last_affected` → affected (action
/// from `remediations`), `under_investigation`. Product ids resolve through
/// the product tree (`branches`, `full_product_names`, `relationships` — a
/// relationship names its `product_reference` component) and
/// `product_groups`; a product with a package purl
/// (`product_identification_helper.purl`) is a package target, any other
/// product a product target.
fn parse_csaf(v: &Value, source: &str) -> VexDocument {
    use std::collections::HashMap;
    let mut doc = VexDocument::default();
    let arr = |x: &'_ Value, k: &str| -> Vec<Value> {
        x.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let str_of = |x: &Value, k: &str| x.get(k).and_then(Value::as_str).map(str::to_string);
    // product_id → (name, purl)
    let mut products: HashMap<String, (String, Option<String>)> = HashMap::new();
    fn add(p: &Value, products: &mut HashMap<String, (String, Option<String>)>) {
        if let Some(id) = p.get("product_id").and_then(Value::as_str) {
            let name = p
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(id)
                .to_string();
            let purl = p
                .pointer("/product_identification_helper/purl")
                .and_then(Value::as_str)
                .map(str::to_string);
            products.insert(id.to_string(), (name, purl));
        }
    }
    fn branches(b: &Value, products: &mut HashMap<String, (String, Option<String>)>, depth: usize) {
        if depth > 32 {
            return;
        }
        for x in b.as_array().into_iter().flatten() {
            if let Some(p) = x.get("product") {
                add(p, products);
            }
            if let Some(sub) = x.get("branches") {
                branches(sub, products, depth + 1);
            }
        }
    }
    let tree = v.get("product_tree").cloned().unwrap_or(Value::Null);
    if let Some(b) = tree.get("branches") {
        branches(b, &mut products, 0);
    }
    for p in arr(&tree, "full_product_names") {
        add(&p, &mut products);
    }
    for r in arr(&tree, "relationships") {
        let (Some(id), Some(comp)) = (
            r.pointer("/full_product_name/product_id")
                .and_then(Value::as_str),
            str_of(&r, "product_reference"),
        ) else {
            continue;
        };
        let name = r
            .pointer("/full_product_name/name")
            .and_then(Value::as_str)
            .unwrap_or(id)
            .to_string();
        let purl = r
            .pointer("/full_product_name/product_identification_helper/purl")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| products.get(&comp).and_then(|p| p.1.clone()));
        products.insert(id.to_string(), (name, purl));
    }
    let mut groups: HashMap<String, Vec<String>> = HashMap::new();
    for g in arr(&tree, "product_groups") {
        if let Some(id) = str_of(&g, "group_id") {
            let ids = arr(&g, "product_ids")
                .iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect();
            groups.insert(id, ids);
        }
    }
    // product ids of an element (`product_ids` and `group_ids`).
    let ids_of = |x: &Value| -> Vec<String> {
        let mut out: Vec<String> = arr(x, "product_ids")
            .iter()
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect();
        for g in arr(x, "group_ids") {
            if let Some(ids) = g.as_str().and_then(|g| groups.get(g)) {
                out.extend(ids.iter().cloned());
            }
        }
        out
    };
    let doc_ts = ts(v.pointer("/document/tracking/current_release_date"));
    for (i, x) in arr(v, "vulnerabilities").iter().enumerate() {
        let mut vulns: Vec<String> = str_of(x, "cve").into_iter().collect();
        vulns.extend(arr(x, "ids").iter().filter_map(|i| str_of(i, "text")));
        if vulns.is_empty() {
            doc.skipped
                .push(format!("{source}: vulnerabilities[{i}]: no cve or ids"));
            continue;
        }
        let per_product = |list: &[Value], key: &str| -> HashMap<String, String> {
            let mut m = HashMap::new();
            for e in list {
                if let Some(val) = str_of(e, key) {
                    for p in ids_of(e) {
                        m.entry(p).or_insert_with(|| val.clone());
                    }
                }
            }
            m
        };
        let justification = per_product(&arr(x, "flags"), "label");
        let threats: Vec<Value> = arr(x, "threats")
            .into_iter()
            .filter(|t| t.get("category").and_then(Value::as_str) == Some("impact"))
            .collect();
        let impact = per_product(&threats, "details");
        let action = per_product(&arr(x, "remediations"), "details");
        let timestamp = ts(x.get("release_date")).or(doc_ts);
        let Some(status) = x.get("product_status") else {
            doc.skipped
                .push(format!("{source}: vulnerabilities[{i}]: no product_status"));
            continue;
        };
        for (key, st) in [
            ("known_not_affected", VexStatus::NotAffected),
            ("fixed", VexStatus::Fixed),
            ("first_fixed", VexStatus::Fixed),
            ("known_affected", VexStatus::Affected),
            ("first_affected", VexStatus::Affected),
            ("last_affected", VexStatus::Affected),
            ("under_investigation", VexStatus::UnderInvestigation),
        ] {
            for pid in arr(status, key).iter().filter_map(Value::as_str) {
                let Some((name, purl)) = products.get(pid) else {
                    doc.skipped.push(format!(
                        "{source}: vulnerabilities[{i}]: product {pid:?} is not in the product tree"
                    ));
                    continue;
                };
                let target = match purl.as_deref().map(Purl::parse) {
                    Some(Ok(p)) if p.ty != "oci" && p.ty != "docker" => Target::Package(p),
                    _ => Target::Product(name.clone()),
                };
                doc.statements.push(Statement {
                    vulnerabilities: vulns.clone(),
                    targets: vec![target],
                    status: st,
                    justification: justification.get(pid).cloned(),
                    impact: impact.get(pid).cloned(),
                    action: action.get(pid).cloned(),
                    timestamp,
                    source: source.to_string(),
                });
            }
        }
    }
    doc
}

fn parse_cyclonedx(v: &Value, source: &str) -> VexDocument {
    let mut doc = VexDocument::default();
    // bom-ref → purl of the document's components (nested included).
    let mut refs = std::collections::HashMap::new();
    fn collect(c: &Value, refs: &mut std::collections::HashMap<String, String>) {
        if let (Some(r), Some(p)) = (
            c.get("bom-ref").and_then(Value::as_str),
            c.get("purl").and_then(Value::as_str),
        ) {
            refs.insert(r.to_string(), p.to_string());
        }
        for sub in c
            .get("components")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect(sub, refs);
        }
    }
    for c in v
        .get("components")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect(c, &mut refs);
    }
    let doc_ts = ts(v.pointer("/metadata/timestamp"));
    for (i, x) in v
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(id) = x.get("id").and_then(Value::as_str) else {
            doc.skipped
                .push(format!("{source}: vulnerabilities[{i}]: no id"));
            continue;
        };
        let mut vulns = vec![id.to_string()];
        for r in x
            .get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(rid) = r.get("id").and_then(Value::as_str) {
                vulns.push(rid.to_string());
            }
        }
        let Some(state) = x.pointer("/analysis/state").and_then(Value::as_str) else {
            // A BOM vulnerability without analysis is no VEX statement.
            continue;
        };
        let Some(status) = VexStatus::from_cyclonedx(state) else {
            doc.skipped.push(format!(
                "{source}: vulnerabilities[{i}]: unknown analysis.state {state:?}"
            ));
            continue;
        };
        let mut targets = Vec::new();
        for a in x
            .get("affects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(r) = a.get("ref").and_then(Value::as_str) else {
                continue;
            };
            // BOM-Link: urn:cdx:serial/version#bom-ref.
            let local = if r.starts_with("urn:cdx:") {
                r.split_once('#').map_or(r, |(_, f)| f)
            } else {
                r
            };
            let local = percent_decode(local);
            let t = match refs.get(&local) {
                Some(p) => target_of(p),
                None => target_of(&local),
            };
            let has_versions = a
                .get("versions")
                .and_then(Value::as_array)
                .is_some_and(|v| !v.is_empty());
            if matches!(t, Target::Product(_)) && has_versions {
                doc.skipped.push(format!(
                    "{source}: vulnerabilities[{i}] ({id}): product {local:?} with version \
                     constraints is not evaluated"
                ));
                continue;
            }
            targets.push(t);
        }
        if targets.is_empty() {
            if x.get("affects").is_none() {
                doc.skipped
                    .push(format!("{source}: vulnerabilities[{i}] ({id}): no affects"));
            }
            continue;
        }
        let text = |p: &str| {
            x.pointer(p)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let justification = if state == "false_positive" {
            Some("false_positive".to_string())
        } else {
            text("/analysis/justification")
        };
        let action = x
            .pointer("/analysis/response")
            .and_then(Value::as_array)
            .map(|r| {
                r.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .filter(|s| !s.is_empty());
        doc.statements.push(Statement {
            vulnerabilities: vulns,
            targets,
            status,
            justification,
            impact: text("/analysis/detail"),
            action,
            timestamp: ts(x.pointer("/analysis/lastUpdated"))
                .or(ts(x.get("updated")))
                .or(doc_ts),
            source: source.to_string(),
        });
    }
    doc
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(x) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(x);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Whether a package target names this component purl.
pub fn purl_matches(target: &Purl, component: &str) -> bool {
    let Ok(c) = Purl::parse(component) else {
        return false;
    };
    target.ty == c.ty
        && target.namespace == c.namespace
        && target.name == c.name
        && target
            .version
            .as_ref()
            .is_none_or(|v| Some(v) == c.version.as_ref())
}

fn statement_applies(s: &Statement, f: &Finding) -> bool {
    if !s
        .vulnerabilities
        .iter()
        .any(|v| f.ids().any(|i| i.eq_ignore_ascii_case(v)))
    {
        return false;
    }
    s.targets.iter().any(|t| match t {
        Target::Product(_) => true,
        Target::Package(p) => f
            .component
            .purl
            .as_deref()
            .is_some_and(|c| purl_matches(p, c)),
    })
}

/// Applies VEX statements; returns how many findings a statement applied to.
pub fn apply_vex(findings: &mut [Finding], statements: &[Statement]) -> usize {
    let mut applied = 0;
    for f in findings.iter_mut() {
        // Latest timestamp wins; later in order wins ties.
        let mut best: Option<&Statement> = None;
        for s in statements.iter().filter(|s| statement_applies(s, f)) {
            best = match best {
                Some(b) if b.timestamp > s.timestamp => Some(b),
                _ => Some(s),
            };
        }
        let Some(s) = best else { continue };
        applied += 1;
        f.vex_status = Some(s.status.as_str().to_string());
        match s.status {
            VexStatus::NotAffected | VexStatus::Fixed => {
                f.suppression = Some(Suppression {
                    kind: "vex".into(),
                    status: s.status.as_str().into(),
                    justification: s.justification.clone(),
                    statement: s.impact.clone(),
                    source: s.source.clone(),
                    expires: None,
                })
            }
            VexStatus::Affected | VexStatus::UnderInvestigation => f.suppression = None,
        }
    }
    applied
}

// ------------------------------------------------------------- ignore file

/// The default ignore file name.
pub const IGNORE_FILE: &str = ".mcpsec-ignore.yaml";

/// One ignore rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreRule {
    /// Vulnerability id or alias.
    pub id: String,
    /// Only this package (versionless: every version).
    #[serde(default)]
    pub purl: Option<String>,
    pub reason: String,
    /// Last day the rule applies (`YYYY-MM-DD`); afterwards it is ignored
    /// with a warning.
    #[serde(default)]
    pub expires: Option<NaiveDate>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum IgnoreDoc {
    Wrapped { ignore: Vec<IgnoreRule> },
    List(Vec<IgnoreRule>),
}

/// Parses an ignore file (`ignore: [ {id, purl?, reason, expires?} ]` or a
/// bare list).
pub fn parse_ignore(text: &str, source: &str) -> Result<Vec<IgnoreRule>, VexError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let doc: IgnoreDoc = serde_yaml::from_str(text).map_err(|e| {
        VexError::Invalid(
            source.to_string(),
            format!("expected `ignore:` with a list of {{id, purl, reason, expires}}: {e}"),
        )
    })?;
    let rules = match doc {
        IgnoreDoc::Wrapped { ignore } | IgnoreDoc::List(ignore) => ignore,
    };
    for (i, r) in rules.iter().enumerate() {
        if r.id.trim().is_empty() || r.reason.trim().is_empty() {
            return Err(VexError::Invalid(
                source.into(),
                format!("rule {}: id and reason must not be empty", i + 1),
            ));
        }
        if let Some(p) = &r.purl
            && Purl::parse(p).is_err()
        {
            return Err(VexError::Invalid(
                source.into(),
                format!("rule {}: {p:?} is not a purl", i + 1),
            ));
        }
    }
    Ok(rules)
}

/// Applies ignore rules that have not expired on `today`; returns the
/// number of suppressed findings and the expired rules.
pub fn apply_ignore<'a>(
    findings: &mut [Finding],
    rules: &'a [IgnoreRule],
    source: &str,
    today: NaiveDate,
) -> (usize, Vec<&'a IgnoreRule>) {
    let (active, expired): (Vec<&IgnoreRule>, Vec<&IgnoreRule>) = rules
        .iter()
        .partition(|r| r.expires.is_none_or(|e| e >= today));
    let mut n = 0;
    for f in findings.iter_mut().filter(|f| f.suppression.is_none()) {
        let hit = active.iter().find(|r| {
            f.ids().any(|i| i.eq_ignore_ascii_case(&r.id))
                && r.purl.as_deref().is_none_or(|p| {
                    Purl::parse(p).is_ok_and(|t| {
                        f.component
                            .purl
                            .as_deref()
                            .is_some_and(|c| purl_matches(&t, c))
                    })
                })
        });
        if let Some(r) = hit {
            n += 1;
            f.suppression = Some(Suppression {
                kind: "ignore".into(),
                status: "ignored".into(),
                justification: None,
                statement: Some(r.reason.clone()),
                source: source.to_string(),
                expires: r.expires.map(|d| d.to_string()),
            });
        }
    }
    (n, expired)
}

// ----------------------------------------------------------------- output

/// An OpenVEX v0.2.0 document of the current state: one statement per
/// finding — `not_affected`/`fixed` (with justification) for findings a VEX
/// suppressed, `under_investigation` where a VEX said so, otherwise
/// `affected` with the smallest fixing upgrade as action (and the ignore
/// reason for ignored findings).
pub fn to_openvex(findings: &[Finding], author: &str, timestamp: DateTime<Utc>) -> Value {
    let ts = timestamp.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let statements: Vec<Value> = findings
        .iter()
        .map(|f| {
            let product = f
                .component
                .purl
                .clone()
                .unwrap_or_else(|| format!("{}@{}", f.component.name, f.component.version));
            let mut st = json!({
                "vulnerability": {"name": f.vulnerability.id, "aliases": f.vulnerability.aliases},
                "products": [{"@id": product}],
                "timestamp": ts,
            });
            let status = match (&f.suppression, f.vex_status.as_deref()) {
                (Some(s), _) if s.kind == "vex" => {
                    if let Some(j) = &s.justification {
                        st["justification"] = json!(openvex_justification(j));
                    }
                    if let Some(i) = &s.statement {
                        st["impact_statement"] = json!(i);
                    }
                    s.status.clone()
                }
                (_, Some("under_investigation")) => "under_investigation".into(),
                (sup, _) => {
                    let mut action = match &f.smallest_fix {
                        Some(v) => format!("Upgrade {} to {v} or later", f.component.name),
                        None if !f.fixed_versions.is_empty() => format!(
                            "Upgrade {} to a fixed version ({})",
                            f.component.name,
                            f.fixed_versions.join(", ")
                        ),
                        None => "No fix available; mitigate or replace the component".into(),
                    };
                    if let Some(s) = sup {
                        action.push_str(&format!(
                            "; risk accepted: {}{}",
                            s.statement.clone().unwrap_or_default(),
                            s.expires
                                .as_ref()
                                .map(|e| format!(" (until {e})"))
                                .unwrap_or_default()
                        ));
                    }
                    st["action_statement"] = json!(action);
                    "affected".into()
                }
            };
            st["status"] = json!(status);
            st
        })
        .collect();
    json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": format!("https://mcpsec.dev/vex/{}", timestamp.timestamp()),
        "author": author,
        "timestamp": ts,
        "version": 1,
        "tooling": "mcpsec",
        "statements": statements,
    })
}

/// CycloneDX justifications → OpenVEX justifications (OpenVEX names kept).
fn openvex_justification(j: &str) -> &str {
    match j {
        "code_not_present" => "vulnerable_code_not_present",
        "code_not_reachable" => "vulnerable_code_not_in_execute_path",
        "requires_configuration" | "requires_dependency" | "requires_environment" => {
            "vulnerable_code_cannot_be_controlled_by_adversary"
        }
        "protected_by_compiler"
        | "protected_at_runtime"
        | "protected_at_perimeter"
        | "protected_by_mitigating_control" => "inline_mitigations_already_exist",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_file_shapes() {
        let r = parse_ignore(
            "ignore:\n  - id: CVE-1\n    reason: test only\n    expires: 2030-01-01\n  - id: GHSA-x\n    purl: pkg:npm/a\n    reason: r\n",
            "f",
        )
        .unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].expires, NaiveDate::from_ymd_opt(2030, 1, 1));
        assert!(parse_ignore("- id: CVE-1\n  reason: r\n", "f").is_ok());
        assert!(
            parse_ignore("ignore:\n  - id: CVE-1\n", "f").is_err(),
            "reason required"
        );
        assert!(
            parse_ignore(
                "ignore:\n  - id: CVE-1\n    reason: r\n    purl: nope\n",
                "f"
            )
            .is_err()
        );
        assert!(parse_ignore("ignore:\n  - id: CVE-1\n    reason: r\n    typo: 1\n", "f").is_err());
    }

    #[test]
    fn purl_target_matching() {
        let t = Purl::parse("pkg:npm/lodash").unwrap();
        assert!(purl_matches(&t, "pkg:npm/lodash@4.17.20"));
        let t = Purl::parse("pkg:npm/lodash@4.17.21").unwrap();
        assert!(!purl_matches(&t, "pkg:npm/lodash@4.17.20"));
        let t = Purl::parse("pkg:maven/g/a@1?type=jar").unwrap();
        assert!(purl_matches(&t, "pkg:maven/g/a@1"));
    }
}
