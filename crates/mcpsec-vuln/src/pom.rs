//! Maven `pom.xml`: the declared dependencies with their versions, `${…}`
//! properties resolved from the same POM (its `properties`, `project.*`,
//! `parent.*`) and missing versions taken from its `dependencyManagement`.
//! Parent POMs, imported BOMs and remote repositories are not consulted:
//! a dependency whose version cannot be resolved from the file is skipped.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::sbom::Component;

/// Deepest element nesting accepted (real POMs stay below 10).
const MAX_DEPTH: usize = 64;
/// Property references followed inside one value.
const MAX_INTERPOLATION: usize = 16;

/// A minimal element tree (local names; namespaces are ignored).
#[derive(Debug, Default)]
pub(crate) struct El {
    pub(crate) name: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) text: String,
    pub(crate) children: Vec<El>,
}

fn element(s: &quick_xml::events::BytesStart<'_>) -> El {
    El {
        name: String::from_utf8_lossy(s.local_name().as_ref()).into_owned(),
        attrs: s
            .attributes()
            .flatten()
            .map(|a| {
                (
                    String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned(),
                    a.unescape_value()
                        .map(|v| v.into_owned())
                        .unwrap_or_else(|_| String::from_utf8_lossy(&a.value).into_owned()),
                )
            })
            .collect(),
        ..El::default()
    }
}

impl El {
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn child(&self, name: &str) -> Option<&El> {
        self.children.iter().find(|c| c.name == name)
    }

    pub(crate) fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a El> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    pub(crate) fn text_of(&self, name: &str) -> Option<&str> {
        self.child(name)
            .map(|c| c.text.trim())
            .filter(|t| !t.is_empty())
    }

    fn path(&self, names: &[&str]) -> Option<&El> {
        names.iter().try_fold(self, |e, n| e.child(n))
    }
}

fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let before = &text.as_bytes()[..pos.min(text.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let col = before.iter().rev().take_while(|&&b| b != b'\n').count() + 1;
    (line, col)
}

pub(crate) fn parse_tree(text: &str) -> Result<El, String> {
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<El> = vec![El::default()];
    let at = |r: &Reader<&[u8]>| {
        let (l, c) = line_col(text, r.buffer_position() as usize);
        format!("line {l}, column {c}")
    };
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| format!("{}: {e}", at(&reader)))?;
        match ev {
            Event::Start(s) => {
                if stack.len() > MAX_DEPTH {
                    return Err(format!("{}: nesting deeper than {MAX_DEPTH}", at(&reader)));
                }
                stack.push(element(&s));
            }
            Event::Empty(s) => {
                let el = element(&s);
                if let Some(top) = stack.last_mut() {
                    top.children.push(el);
                }
            }
            Event::End(_) => {
                if stack.len() < 2 {
                    return Err(format!("{}: unbalanced end tag", at(&reader)));
                }
                if let Some(el) = stack.pop()
                    && let Some(top) = stack.last_mut()
                {
                    top.children.push(el);
                }
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| format!("{}: {e}", at(&reader)))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match &*r {
                        b"amp" => Some('&'),
                        b"lt" => Some('<'),
                        b"gt" => Some('>'),
                        b"quot" => Some('"'),
                        b"apos" => Some('\''),
                        _ => None,
                    },
                };
                if let (Some(c), Some(top)) = (c, stack.last_mut()) {
                    top.text.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(format!("{}: unexpected end of document", at(&reader)));
    }
    stack
        .pop()
        .and_then(|mut root| root.children.pop())
        .ok_or_else(|| "no root element".to_string())
}

/// Replaces `${name}` references; `None` when one cannot be resolved.
fn interpolate(value: &str, props: &HashMap<String, String>) -> Option<String> {
    let mut v = value.trim().to_string();
    for _ in 0..MAX_INTERPOLATION {
        let Some(start) = v.find("${") else {
            return Some(v);
        };
        let end = start + v[start..].find('}')?;
        let key = &v[start + 2..end];
        let rep = props.get(key)?.trim().to_string();
        v.replace_range(start..=end, &rep);
    }
    (!v.contains("${")).then_some(v)
}

/// A concrete version from a Maven version spec: `1.2`, `[1.2]`; ranges are `None`.
fn concrete(v: &str) -> Option<String> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    if let Some(inner) = v.strip_prefix('[').and_then(|r| r.strip_suffix(']'))
        && !inner.contains(',')
    {
        return Some(inner.trim().to_string());
    }
    if v.starts_with('[') || v.starts_with('(') || v.contains(',') {
        return None;
    }
    Some(v.to_string())
}

/// What `parse` found: the components and the dependencies it had to skip.
#[derive(Debug, Default)]
pub struct Pom {
    pub components: Vec<Component>,
    /// `group:artifact` and why it was left out.
    pub skipped: Vec<(String, String)>,
}

/// Reads the declared dependencies of a POM.
pub fn parse(text: &str) -> Result<Pom, String> {
    let root = parse_tree(text)?;
    if root.name != "project" {
        return Err(format!(
            "root element is <{}>, not a Maven <project>",
            root.name
        ));
    }
    let mut props: HashMap<String, String> = HashMap::new();
    if let Some(p) = root.child("properties") {
        for c in &p.children {
            props.insert(c.name.clone(), c.text.trim().to_string());
        }
    }
    let parent = root.child("parent");
    for key in ["groupId", "artifactId", "version"] {
        let own = root.text_of(key);
        let par = parent.and_then(|p| p.text_of(key));
        if let Some(v) = par {
            props.insert(format!("project.parent.{key}"), v.to_string());
            props.insert(format!("parent.{key}"), v.to_string());
        }
        // groupId and version are inherited from the parent when absent.
        if let Some(v) = own.or(if key == "artifactId" { None } else { par }) {
            props.insert(format!("project.{key}"), v.to_string());
            props.insert(key.to_string(), v.to_string());
            props.insert(format!("pom.{key}"), v.to_string());
        }
    }

    // dependencyManagement: group:artifact → version.
    let mut managed: HashMap<(String, String), String> = HashMap::new();
    if let Some(deps) = root.path(&["dependencyManagement", "dependencies"]) {
        for d in deps.children_named("dependency") {
            let (Some(g), Some(a), Some(v)) = (
                d.text_of("groupId"),
                d.text_of("artifactId"),
                d.text_of("version"),
            ) else {
                continue;
            };
            let key = (
                interpolate(g, &props).unwrap_or_else(|| g.to_string()),
                interpolate(a, &props).unwrap_or_else(|| a.to_string()),
            );
            if let Some(v) = interpolate(v, &props) {
                managed.insert(key, v);
            }
        }
    }

    let mut dep_lists: Vec<&El> = root.child("dependencies").into_iter().collect();
    if let Some(profiles) = root.child("profiles") {
        for p in profiles.children_named("profile") {
            dep_lists.extend(p.child("dependencies"));
        }
    }
    let mut out = Pom::default();
    for deps in dep_lists {
        for d in deps.children_named("dependency") {
            let (Some(g), Some(a)) = (d.text_of("groupId"), d.text_of("artifactId")) else {
                out.skipped.push((
                    format!(
                        "{}:{}",
                        d.text_of("groupId").unwrap_or("?"),
                        d.text_of("artifactId").unwrap_or("?")
                    ),
                    "groupId or artifactId missing".into(),
                ));
                continue;
            };
            let (Some(g), Some(a)) = (interpolate(g, &props), interpolate(a, &props)) else {
                out.skipped
                    .push((format!("{g}:{a}"), "unresolved property in name".into()));
                continue;
            };
            let ga = format!("{g}:{a}");
            let version = match d.text_of("version") {
                Some(v) => match interpolate(v, &props) {
                    Some(v) => v,
                    None => {
                        out.skipped
                            .push((ga, format!("version {v}: unresolved property")));
                        continue;
                    }
                },
                None => match managed.get(&(g.clone(), a.clone())) {
                    Some(v) => v.clone(),
                    None => {
                        out.skipped.push((
                            ga,
                            "no version here or in this POM's dependencyManagement".into(),
                        ));
                        continue;
                    }
                },
            };
            match concrete(&version) {
                Some(v) => out.components.push(Component::from_parts("Maven", &ga, &v)),
                None => out
                    .skipped
                    .push((ga, format!("version {version} is a range"))),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_and_management() {
        let pom = r#"<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <parent><groupId>org.p</groupId><artifactId>par</artifactId><version>7.1</version></parent>
  <artifactId>me</artifactId>
  <properties><a.version>1.&#50;</a.version><b>${a.version}.3</b><loop>${loop}</loop></properties>
  <dependencies>
    <dependency><groupId>x</groupId><artifactId>a</artifactId><version>${a.version}</version></dependency>
    <dependency><groupId>x</groupId><artifactId>b</artifactId><version>${b}</version></dependency>
    <dependency><groupId>${project.groupId}</groupId><artifactId>sib</artifactId><version>${project.version}</version></dependency>
    <dependency><groupId>x</groupId><artifactId>m</artifactId></dependency>
    <dependency><groupId>x</groupId><artifactId>r</artifactId><version>[1.0,2.0)</version></dependency>
    <dependency><groupId>x</groupId><artifactId>e</artifactId><version>[1.5]</version></dependency>
    <dependency><groupId>x</groupId><artifactId>l</artifactId><version>${loop}</version></dependency>
    <dependency><groupId>x</groupId><artifactId>u</artifactId><version>${nope}</version></dependency>
  </dependencies>
  <dependencyManagement><dependencies>
    <dependency><groupId>x</groupId><artifactId>m</artifactId><version>${b}</version></dependency>
  </dependencies></dependencyManagement>
</project>"#;
        let p = parse(pom).unwrap();
        let got: Vec<_> = p
            .components
            .iter()
            .map(|c| format!("{}@{}", c.name, c.version.as_deref().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                "x:a@1.2",
                "x:b@1.2.3",
                "org.p:sib@7.1",
                "x:m@1.2.3",
                "x:e@1.5"
            ]
        );
        assert_eq!(p.components[0].purl.as_deref(), Some("pkg:maven/x/a@1.2"));
        let skipped: Vec<_> = p.skipped.iter().map(|s| s.0.as_str()).collect();
        assert_eq!(skipped, ["x:r", "x:l", "x:u"]);
    }

    #[test]
    fn errors_name_position() {
        let e = parse("<project>\n  <dependencies>\n</project>").unwrap_err();
        assert!(e.contains("line 3"), "{e}");
        assert!(parse("<html></html>").unwrap_err().contains("not a Maven"));
    }
}
