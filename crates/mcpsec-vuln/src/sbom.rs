//! SBOM ingest: CycloneDX JSON and XML (1.x), SPDX 2.x JSON and tag-value,
//! SPDX 3.0 JSON-LD → a flat list of [`Component`]s.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::purl::Purl;
use crate::reachability::Reachability;

/// A software component found in an SBOM or lockfile.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Component {
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
    /// OSV ecosystem (e.g. `npm`, `PyPI`, `Debian:12`), when known.
    pub ecosystem: Option<String>,
    #[serde(default)]
    pub licenses: Vec<String>,
    /// Direct/transitive, runtime/development, imported by the source tree:
    /// what the input and the scanned tree tell (all unknown for most SBOMs).
    #[serde(default, skip_serializing_if = "Reachability::is_unknown")]
    pub reachability: Reachability,
}

impl Component {
    /// A component from a purl: name, version and ecosystem follow from it.
    pub fn from_purl(purl: &str, licenses: Vec<String>) -> Option<Component> {
        let p = Purl::parse(purl).ok()?;
        Some(Component {
            name: osv_name(&p),
            version: p.version.clone(),
            ecosystem: p.osv_ecosystem(),
            purl: Some(p.to_string()),
            licenses,
            reachability: Reachability::default(),
        })
    }

    /// A component from ecosystem, name and version (lockfiles): builds the purl.
    pub fn from_parts(ecosystem: &str, name: &str, version: &str) -> Component {
        Component {
            name: name.to_string(),
            version: Some(version.to_string()),
            purl: purl_for(ecosystem, name, version),
            ecosystem: Some(ecosystem.to_string()),
            licenses: Vec::new(),
            reachability: Reachability::default(),
        }
    }
}

/// The package name OSV uses for a purl (`group:artifact` for Maven,
/// `@scope/name` for npm, the module path for Go, `vendor/name` for Packagist…).
pub fn osv_name(p: &Purl) -> String {
    match (p.ty.as_str(), &p.namespace) {
        ("maven", Some(ns)) => format!("{ns}:{}", p.name),
        ("npm" | "golang" | "composer" | "swift", Some(ns)) => format!("{ns}/{}", p.name),
        _ => p.name.clone(),
    }
}

/// The purl of an ecosystem package, for the ecosystems lockfiles name.
pub fn purl_for(ecosystem: &str, name: &str, version: &str) -> Option<String> {
    let (ty, ns, n): (&str, Option<&str>, &str) = match ecosystem {
        "npm" => match name.rsplit_once('/') {
            Some((scope, n)) if name.starts_with('@') => ("npm", Some(scope), n),
            _ => ("npm", None, name),
        },
        "PyPI" => ("pypi", None, name),
        "crates.io" => ("cargo", None, name),
        "RubyGems" => ("gem", None, name),
        "NuGet" => ("nuget", None, name),
        "Go" => match name.rsplit_once('/') {
            Some((ns, n)) => ("golang", Some(ns), n),
            None => ("golang", None, name),
        },
        "Packagist" => match name.split_once('/') {
            Some((ns, n)) => ("composer", Some(ns), n),
            None => ("composer", None, name),
        },
        "Maven" => match name.split_once(':') {
            Some((g, a)) => ("maven", Some(g), a),
            None => return None,
        },
        "Pub" => ("pub", None, name),
        "Hex" => ("hex", None, name),
        _ => return None,
    };
    Purl::build(ty, ns, n, Some(version), Vec::new(), None)
        .ok()
        .map(|p| p.to_string())
}

/// An SBOM format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SbomFormat {
    CycloneDxJson,
    CycloneDxXml,
    Spdx2Json,
    Spdx2TagValue,
    Spdx3JsonLd,
}

/// Why an SBOM could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SbomError {
    #[error("not a recognised SBOM (CycloneDX JSON/XML, SPDX 2 JSON/tag-value, SPDX 3 JSON-LD)")]
    Unknown,
    #[error("malformed {format:?} document: {reason}")]
    Malformed { format: SbomFormat, reason: String },
}

/// Guesses the SBOM format from the content; `None` when it is no SBOM.
pub fn detect(bytes: &[u8]) -> Option<SbomFormat> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
    let t = head.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('{') {
        if head.contains("\"bomFormat\"") && head.contains("CycloneDX") {
            return Some(SbomFormat::CycloneDxJson);
        }
        if head.contains("\"spdxVersion\"") || head.contains("\"SPDXID\"") {
            return Some(SbomFormat::Spdx2Json);
        }
        if head.contains("@context") && head.contains("spdx") {
            return Some(SbomFormat::Spdx3JsonLd);
        }
        // Key order may push the markers beyond the head: look at the whole document.
        let v: Value = serde_json::from_slice(bytes).ok()?;
        if v.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
            return Some(SbomFormat::CycloneDxJson);
        }
        if v.get("spdxVersion").is_some() {
            return Some(SbomFormat::Spdx2Json);
        }
        if v.get("@graph").is_some() {
            return Some(SbomFormat::Spdx3JsonLd);
        }
        return None;
    }
    if t.starts_with('<')
        && (head.contains("<bom") || head.contains(":bom"))
        && head.contains("cyclonedx")
    {
        return Some(SbomFormat::CycloneDxXml);
    }
    if t.starts_with("SPDXVersion:") || head.lines().any(|l| l.starts_with("SPDXVersion:")) {
        return Some(SbomFormat::Spdx2TagValue);
    }
    None
}

/// Parses an SBOM of any supported format.
pub fn parse(bytes: &[u8]) -> Result<(SbomFormat, Vec<Component>), SbomError> {
    let f = detect(bytes).ok_or(SbomError::Unknown)?;
    let comps = match f {
        SbomFormat::CycloneDxJson => cyclonedx_json(bytes)?,
        SbomFormat::CycloneDxXml => cyclonedx_xml(bytes)?,
        SbomFormat::Spdx2Json => spdx2_json(bytes)?,
        SbomFormat::Spdx2TagValue => spdx2_tag_value(bytes)?,
        SbomFormat::Spdx3JsonLd => spdx3_jsonld(bytes)?,
    };
    Ok((f, comps))
}

fn malformed(format: SbomFormat, e: impl std::fmt::Display) -> SbomError {
    SbomError::Malformed {
        format,
        reason: e.to_string(),
    }
}

fn make(
    name: Option<&str>,
    group: Option<&str>,
    version: Option<&str>,
    purl: Option<&str>,
    licenses: Vec<String>,
) -> Option<Component> {
    if let Some(p) = purl.filter(|p| !p.is_empty())
        && let Some(mut c) = Component::from_purl(p, licenses.clone())
    {
        if c.version.is_none() {
            c.version = version.map(str::to_string);
        }
        return Some(c);
    }
    let name = name.filter(|n| !n.is_empty())?;
    let name = match group.filter(|g| !g.is_empty()) {
        Some(g) => format!("{g}:{name}"),
        None => name.to_string(),
    };
    Some(Component {
        name,
        version: version.filter(|v| !v.is_empty()).map(str::to_string),
        purl: purl.filter(|p| !p.is_empty()).map(str::to_string),
        ecosystem: None,
        licenses,
        reachability: Reachability::default(),
    })
}

// --------------------------------------------------------------- CycloneDX

fn cdx_licenses(v: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    for l in v.and_then(Value::as_array).into_iter().flatten() {
        if let Some(e) = l.get("expression").and_then(Value::as_str) {
            out.push(e.to_string());
        } else if let Some(lic) = l.get("license")
            && let Some(s) = lic
                .get("id")
                .or_else(|| lic.get("name"))
                .and_then(Value::as_str)
        {
            out.push(s.to_string());
        }
    }
    out
}

/// `direct`: the bom-refs the subject (`metadata.component`) depends on,
/// when the document's `dependencies` graph names it.
fn cdx_walk(
    list: &Value,
    direct: Option<&std::collections::HashSet<&str>>,
    out: &mut Vec<Component>,
) {
    use crate::reachability::Scope;
    for c in list.as_array().into_iter().flatten() {
        let s = |k: &str| c.get(k).and_then(Value::as_str);
        if let Some(mut comp) = make(
            s("name"),
            s("group"),
            s("version"),
            s("purl"),
            cdx_licenses(c.get("licenses")),
        ) {
            // `excluded`: not part of the runtime (tests, build tools).
            comp.reachability.scope = match s("scope") {
                Some("excluded") => Some(Scope::Development),
                Some("required" | "optional") => Some(Scope::Runtime),
                _ => None,
            };
            if let Some(d) = direct {
                comp.reachability.direct = Some(s("bom-ref").is_some_and(|r| d.contains(r)));
            }
            out.push(comp);
        }
        if let Some(nested) = c.get("components") {
            cdx_walk(nested, direct, out);
        }
    }
}

/// CycloneDX JSON (1.2–1.6): every component, nested ones included; the
/// `metadata.component` (the subject) is not a dependency and is left out.
pub fn cyclonedx_json(bytes: &[u8]) -> Result<Vec<Component>, SbomError> {
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| malformed(SbomFormat::CycloneDxJson, e))?;
    if v.get("bomFormat").and_then(Value::as_str) != Some("CycloneDX") {
        return Err(malformed(
            SbomFormat::CycloneDxJson,
            "bomFormat is not CycloneDX",
        ));
    }
    let mut out = Vec::new();
    let subject = v
        .pointer("/metadata/component/bom-ref")
        .and_then(Value::as_str);
    let direct: Option<std::collections::HashSet<&str>> = subject.and_then(|subj| {
        v.get("dependencies")
            .and_then(Value::as_array)?
            .iter()
            .find(|d| d.get("ref").and_then(Value::as_str) == Some(subj))
            .map(|d| {
                d.get("dependsOn")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect()
            })
    });
    if let Some(c) = v.get("components") {
        cdx_walk(c, direct.as_ref(), &mut out);
    }
    Ok(out)
}

#[derive(Deserialize)]
struct XBom {
    #[serde(default)]
    components: Option<XComponents>,
}

#[derive(Deserialize, Default)]
struct XComponents {
    #[serde(default)]
    component: Vec<XComponent>,
}

#[derive(Deserialize)]
struct XComponent {
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default)]
    licenses: Option<XLicenses>,
    #[serde(default)]
    components: Option<XComponents>,
}

#[derive(Deserialize, Default)]
struct XLicenses {
    #[serde(default)]
    license: Vec<XLicense>,
    #[serde(default)]
    expression: Vec<String>,
}

#[derive(Deserialize)]
struct XLicense {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

fn xml_walk(cs: XComponents, out: &mut Vec<Component>) {
    for c in cs.component {
        let lic = c
            .licenses
            .map(|l| {
                l.license
                    .into_iter()
                    .filter_map(|x| x.id.or(x.name))
                    .chain(l.expression)
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        fn t(o: &Option<String>) -> Option<&str> {
            o.as_deref().map(str::trim)
        }
        if let Some(comp) = make(t(&c.name), t(&c.group), t(&c.version), t(&c.purl), lic) {
            out.push(comp);
        }
        if let Some(n) = c.components {
            xml_walk(n, out);
        }
    }
}

/// CycloneDX XML (1.1–1.6).
pub fn cyclonedx_xml(bytes: &[u8]) -> Result<Vec<Component>, SbomError> {
    let text = std::str::from_utf8(bytes).map_err(|e| malformed(SbomFormat::CycloneDxXml, e))?;
    let bom: XBom =
        quick_xml::de::from_str(text).map_err(|e| malformed(SbomFormat::CycloneDxXml, e))?;
    let mut out = Vec::new();
    if let Some(c) = bom.components {
        xml_walk(c, &mut out);
    }
    Ok(out)
}

// -------------------------------------------------------------------- SPDX

fn spdx_license(s: Option<&str>) -> Vec<String> {
    match s {
        Some(l) if !l.is_empty() && l != "NOASSERTION" && l != "NONE" => vec![l.to_string()],
        _ => Vec::new(),
    }
}

/// SPDX 2.2/2.3 JSON: every package; the purl comes from a
/// `PACKAGE-MANAGER`/`purl` external reference.
pub fn spdx2_json(bytes: &[u8]) -> Result<Vec<Component>, SbomError> {
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| malformed(SbomFormat::Spdx2Json, e))?;
    let pkgs = v.get("packages").and_then(Value::as_array);
    let mut out = Vec::new();
    for p in pkgs.into_iter().flatten() {
        let s = |k: &str| p.get(k).and_then(Value::as_str);
        let purl = p
            .get("externalRefs")
            .and_then(Value::as_array)
            .and_then(|refs| {
                refs.iter().find_map(|r| {
                    (r.get("referenceType").and_then(Value::as_str) == Some("purl"))
                        .then(|| r.get("referenceLocator").and_then(Value::as_str))
                        .flatten()
                })
            });
        let mut lic = spdx_license(s("licenseConcluded"));
        if lic.is_empty() {
            lic = spdx_license(s("licenseDeclared"));
        }
        if let Some(c) = make(s("name"), None, s("versionInfo"), purl, lic) {
            out.push(c);
        }
    }
    Ok(out)
}

/// SPDX 2.x tag-value.
pub fn spdx2_tag_value(bytes: &[u8]) -> Result<Vec<Component>, SbomError> {
    let text = std::str::from_utf8(bytes).map_err(|e| malformed(SbomFormat::Spdx2TagValue, e))?;
    #[derive(Default)]
    struct P {
        name: Option<String>,
        version: Option<String>,
        purl: Option<String>,
        lic: Vec<String>,
    }
    let mut out = Vec::new();
    let mut cur: Option<P> = None;
    let mut in_text = false;
    let flush = |p: Option<P>, out: &mut Vec<Component>| {
        if let Some(p) = p
            && let Some(c) = make(
                p.name.as_deref(),
                None,
                p.version.as_deref(),
                p.purl.as_deref(),
                p.lic,
            )
        {
            out.push(c);
        }
    };
    for (lineno, line) in text.lines().enumerate() {
        if in_text {
            if line.contains("</text>") {
                in_text = false;
            }
            continue;
        }
        let Some((tag, val)) = line.split_once(':') else {
            continue;
        };
        let val = val.trim();
        if val.starts_with("<text>") && !val.contains("</text>") {
            in_text = true;
        }
        match tag.trim() {
            "PackageName" => {
                flush(cur.take(), &mut out);
                cur = Some(P {
                    name: Some(val.to_string()),
                    ..P::default()
                });
            }
            // A new file or snippet section ends the package section.
            "FileName" | "SnippetSPDXID" => flush(cur.take(), &mut out),
            "PackageVersion" => {
                if let Some(p) = &mut cur {
                    p.version = Some(val.to_string());
                }
            }
            "ExternalRef" => {
                let parts: Vec<&str> = val.split_whitespace().collect();
                if parts.len() >= 3
                    && parts[1] == "purl"
                    && let Some(p) = &mut cur
                {
                    p.purl = Some(parts[2].to_string());
                }
            }
            "PackageLicenseConcluded" | "PackageLicenseDeclared" => {
                if let Some(p) = &mut cur
                    && p.lic.is_empty()
                {
                    p.lic = spdx_license(Some(val));
                }
            }
            "SPDXVersion" if lineno > 0 && cur.is_some() => flush(cur.take(), &mut out),
            _ => {}
        }
    }
    flush(cur, &mut out);
    Ok(out)
}

/// SPDX 3.0 JSON-LD: `software_Package` elements of `@graph`, with the
/// purl from `software_packageUrl` or a `packageUrl` external identifier and
/// licenses from `hasConcludedLicense`/`hasDeclaredLicense` relationships.
pub fn spdx3_jsonld(bytes: &[u8]) -> Result<Vec<Component>, SbomError> {
    let v: Value =
        serde_json::from_slice(bytes).map_err(|e| malformed(SbomFormat::Spdx3JsonLd, e))?;
    let graph = v
        .get("@graph")
        .and_then(Value::as_array)
        .ok_or_else(|| malformed(SbomFormat::Spdx3JsonLd, "no @graph array"))?;
    let id_of = |e: &Value| {
        e.get("spdxId")
            .or_else(|| e.get("@id"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    // license element id → expression
    let mut lic_expr: HashMap<String, String> = HashMap::new();
    for e in graph {
        if let (Some(id), Some(x)) = (
            id_of(e),
            e.get("simplelicensing_licenseExpression")
                .or_else(|| e.get("licenseExpression"))
                .and_then(Value::as_str),
        ) {
            lic_expr.insert(id, x.to_string());
        }
    }
    let mut pkg_lic: HashMap<String, Vec<String>> = HashMap::new();
    for e in graph {
        let rt = e.get("relationshipType").and_then(Value::as_str);
        if matches!(rt, Some("hasConcludedLicense" | "hasDeclaredLicense"))
            && let Some(from) = e.get("from").and_then(Value::as_str)
        {
            for to in e
                .get("to")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let l = lic_expr
                    .get(to)
                    .cloned()
                    .unwrap_or_else(|| to.rsplit('/').next().unwrap_or(to).to_string());
                let entry = pkg_lic.entry(from.to_string()).or_default();
                if !entry.contains(&l) {
                    entry.push(l);
                }
            }
        }
    }
    let mut out = Vec::new();
    for e in graph {
        let ty = e
            .get("type")
            .or_else(|| e.get("@type"))
            .and_then(Value::as_str)
            .unwrap_or("");
        if ty != "software_Package" && ty != "Package" {
            continue;
        }
        let s = |k: &str| e.get(k).and_then(Value::as_str);
        let purl = s("software_packageUrl").or_else(|| {
            e.get("externalIdentifier")
                .and_then(Value::as_array)
                .and_then(|ids| {
                    ids.iter().find_map(|i| {
                        (i.get("externalIdentifierType").and_then(Value::as_str)
                            == Some("packageUrl"))
                        .then(|| i.get("identifier").and_then(Value::as_str))
                        .flatten()
                    })
                })
        });
        let lic = id_of(e)
            .and_then(|id| pkg_lic.get(&id).cloned())
            .unwrap_or_default();
        if let Some(c) = make(s("name"), None, s("software_packageVersion"), purl, lic) {
            out.push(c);
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------ output

/// Writes a CycloneDX 1.6 JSON SBOM of the components.
pub fn to_cyclonedx(components: &[Component]) -> Value {
    let comps: Vec<Value> = components
        .iter()
        .map(|c| {
            let mut o = serde_json::json!({ "type": "library", "name": c.name });
            if let Some(v) = &c.version {
                o["version"] = v.clone().into();
            }
            if let Some(p) = &c.purl {
                o["purl"] = p.clone().into();
                o["bom-ref"] = p.clone().into();
            }
            if !c.licenses.is_empty() {
                o["licenses"] = c
                    .licenses
                    .iter()
                    .map(|l| serde_json::json!({ "expression": l }))
                    .collect::<Vec<_>>()
                    .into();
            }
            o
        })
        .collect();
    serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": { "tools": { "components": [ { "type": "application", "name": "mcpsec" } ] } },
        "components": comps,
    })
}

/// Writes an SPDX 2.3 JSON SBOM of the components.
pub fn to_spdx(components: &[Component], name: &str, created: &str) -> Value {
    let pkgs: Vec<Value> = components
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut o = serde_json::json!({
                "SPDXID": format!("SPDXRef-Package-{i}"),
                "name": c.name,
                "downloadLocation": "NOASSERTION",
                "filesAnalyzed": false,
                "licenseConcluded": if c.licenses.is_empty() { "NOASSERTION".to_string() } else { c.licenses.join(" AND ") },
            });
            if let Some(v) = &c.version {
                o["versionInfo"] = v.clone().into();
            }
            if let Some(p) = &c.purl {
                o["externalRefs"] = serde_json::json!([{
                    "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": p
                }]);
            }
            o
        })
        .collect();
    serde_json::json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": name,
        "documentNamespace": format!("https://mcpsec.invalid/spdx/{}", name.replace(' ', "-")),
        "creationInfo": { "created": created, "creators": ["Tool: mcpsec"] },
        "packages": pkgs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purl_components() {
        let c = Component::from_purl("pkg:maven/org.apache.commons/io@1.3.4", vec![]).unwrap();
        assert_eq!(
            (c.name.as_str(), c.ecosystem.as_deref()),
            ("org.apache.commons:io", Some("Maven"))
        );
        assert_eq!(
            purl_for("npm", "@babel/core", "7.0.0").as_deref(),
            Some("pkg:npm/%40babel/core@7.0.0")
        );
        assert_eq!(
            purl_for("Go", "golang.org/x/net", "v0.1.0").as_deref(),
            Some("pkg:golang/golang.org/x/net@v0.1.0")
        );
    }

    #[test]
    fn written_sboms_read_back() {
        let comps = vec![
            Component::from_parts("npm", "@babel/core", "7.0.0"),
            Component::from_parts("PyPI", "django", "4.2.1"),
        ];
        let cdx = serde_json::to_vec(&to_cyclonedx(&comps)).unwrap();
        assert_eq!(
            parse(&cdx).unwrap(),
            (SbomFormat::CycloneDxJson, comps.clone())
        );
        let spdx = serde_json::to_vec(&to_spdx(&comps, "t", "2024-01-01T00:00:00Z")).unwrap();
        assert_eq!(parse(&spdx).unwrap(), (SbomFormat::Spdx2Json, comps));
    }

    #[test]
    fn garbage_is_unknown() {
        assert_eq!(parse(b"hello").unwrap_err(), SbomError::Unknown);
        assert!(parse(b"{\"bomFormat\":\"CycloneDX\",\"components\":").is_err());
    }
}
