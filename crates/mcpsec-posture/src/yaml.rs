//! A YAML (and JSON) loader that keeps line numbers.
//!
//! `serde_yaml` forgets where values came from; findings must point at a
//! line. This loader drives the `yaml-rust2` event parser and builds
//! `serde_json::Value`s plus a [`LineMap`] from the path of every node
//! (`spec.containers[0].image`) to its 1-based line. Plain scalars follow the
//! YAML 1.2 core schema (so `on:` in a GitHub workflow stays a string);
//! anchors, aliases and `<<` merge keys are resolved.

use std::collections::HashMap;

use serde_json::{Map, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Path of a node → its 1-based line.
#[derive(Debug, Clone, Default)]
pub struct LineMap {
    lines: HashMap<String, u32>,
}

impl LineMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, path: impl Into<String>, line: u32) {
        self.lines.entry(path.into()).or_insert(line);
    }

    pub fn get(&self, path: &str) -> Option<u32> {
        self.lines.get(path).copied()
    }

    /// The line of `path`, or of its longest prefix that has one.
    pub fn resolve(&self, path: &str) -> Option<u32> {
        let mut p = path;
        loop {
            if let Some(l) = self.get(p) {
                return Some(l);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
            if p.is_empty() {
                return self.get("");
            }
        }
    }

    /// The entries under `prefix`, re-rooted (for splitting `List` items).
    pub fn sub(&self, prefix: &str) -> LineMap {
        let mut out = LineMap::new();
        for (k, v) in &self.lines {
            if k == prefix {
                out.lines.insert(String::new(), *v);
            } else if let Some(rest) = k.strip_prefix(prefix) {
                if let Some(r) = rest.strip_prefix('.') {
                    out.lines.insert(r.to_string(), *v);
                } else if rest.starts_with('[') && prefix.is_empty() {
                    out.lines.insert(rest.to_string(), *v);
                }
            }
        }
        out
    }

    /// The entries of the `n` items of the array at `prefix` (`items` →
    /// `items[0]`, `items[1]`…), each re-rooted, in one pass (calling
    /// [`LineMap::sub`] per item is quadratic on large exports).
    pub fn split_array(&self, prefix: &str, n: usize) -> Vec<LineMap> {
        let mut out = vec![LineMap::new(); n];
        let open = format!("{prefix}[");
        for (k, v) in &self.lines {
            let Some(rest) = k.strip_prefix(open.as_str()) else {
                continue;
            };
            let Some((idx, tail)) = rest.split_once(']') else {
                continue;
            };
            let Ok(i) = idx.parse::<usize>() else {
                continue;
            };
            let Some(m) = out.get_mut(i) else { continue };
            if tail.is_empty() {
                m.lines.insert(String::new(), *v);
            } else if let Some(t) = tail.strip_prefix('.') {
                m.lines.insert(t.to_string(), *v);
            }
        }
        out
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}

/// One YAML document with its lines.
#[derive(Debug, Clone)]
pub struct Document {
    pub value: Value,
    /// Line of the document's root node.
    pub line: u32,
    pub lines: LineMap,
}

/// A YAML syntax error with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: u32,
    pub message: String,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
        path: String,
    },
    Map {
        map: Map<String, Value>,
        key: Option<String>,
        key_line: u32,
        anchor: usize,
        path: String,
    },
}

struct Loader {
    docs: Vec<Document>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Value>,
    lines: LineMap,
    root_line: u32,
    max_depth: usize,
    error: Option<String>,
}

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl Loader {
    /// The path the next value will have.
    fn next_path(&self) -> String {
        match self.stack.last() {
            None => String::new(),
            Some(Frame::Seq { items, path, .. }) => format!("{path}[{}]", items.len()),
            Some(Frame::Map { key, path, .. }) => match key {
                Some(k) => child_path(path, k),
                None => path.clone(),
            },
        }
    }

    /// Whether the next scalar is a mapping key.
    fn expecting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    /// The line of the pending mapping key, when the next value belongs to one.
    fn key_line(&self) -> Option<u32> {
        match self.stack.last() {
            Some(Frame::Map {
                key: Some(_),
                key_line,
                ..
            }) => Some(*key_line),
            _ => None,
        }
    }

    fn push_value(&mut self, v: Value, line: u32) {
        let path = self.next_path();
        let line = self.key_line().unwrap_or(line);
        match self.stack.last_mut() {
            None => {
                self.root_line = line;
                self.lines.insert(String::new(), line);
                let lines = std::mem::take(&mut self.lines);
                self.docs.push(Document {
                    value: v,
                    line: self.root_line,
                    lines,
                });
            }
            Some(Frame::Seq { items, .. }) => {
                self.lines.insert(path, line);
                items.push(v);
            }
            Some(Frame::Map { map, key, .. }) => {
                let k = key.take().unwrap_or_default();
                if k == "<<" {
                    // Merge key: copy fields that are not set yet.
                    let sources = match v {
                        Value::Array(a) => a,
                        other => vec![other],
                    };
                    for s in sources {
                        if let Value::Object(o) = s {
                            for (mk, mv) in o {
                                map.entry(mk).or_insert(mv);
                            }
                        }
                    }
                } else {
                    self.lines.insert(path, line);
                    map.insert(k, v);
                }
            }
        }
    }
}

fn scalar_value(s: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if let Some(t) = tag {
        match t.suffix.as_str() {
            "str" => return Value::String(s),
            "int" | "float" => {
                if let Ok(i) = s.parse::<i64>() {
                    return Value::from(i);
                }
                if let Ok(f) = s.parse::<f64>() {
                    return Value::from(f);
                }
                return Value::String(s);
            }
            "bool" => return Value::Bool(matches!(s.as_str(), "true" | "True" | "TRUE")),
            _ => {}
        }
    }
    if style != TScalarStyle::Plain {
        return Value::String(s);
    }
    match s.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "-.inf" | ".nan" | ".NaN" | ".NAN" => {
            return Value::String(s);
        }
        _ => {}
    }
    let b = s.as_bytes();
    let numeric_start =
        b[0].is_ascii_digit() || ((b[0] == b'-' || b[0] == b'+' || b[0] == b'.') && b.len() > 1);
    if numeric_start {
        if let Some(h) = s.strip_prefix("0x") {
            if let Ok(i) = i64::from_str_radix(h, 16) {
                return Value::from(i);
            }
        } else if let Some(o) = s.strip_prefix("0o") {
            if let Ok(i) = i64::from_str_radix(o, 8) {
                return Value::from(i);
            }
        } else if s
            .bytes()
            .all(|c| c.is_ascii_digit() || c == b'-' || c == b'+')
        {
            if let Ok(i) = s.parse::<i64>() {
                return Value::from(i);
            }
        } else if s
            .bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'))
            && let Ok(f) = s.parse::<f64>()
            && let Some(n) = serde_json::Number::from_f64(f)
        {
            return Value::Number(n);
        }
    }
    Value::String(s)
}

fn key_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

impl MarkedEventReceiver for Loader {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() {
            return;
        }
        let line = mark.line() as u32;
        match ev {
            Event::DocumentStart => {
                self.lines = LineMap::new();
                self.anchors.clear();
            }
            Event::Scalar(s, style, anchor, tag) => {
                let v = if self.expecting_key() {
                    Value::String(s)
                } else {
                    scalar_value(s, style, tag.as_ref())
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                if self.expecting_key() {
                    if let Some(Frame::Map { key, key_line, .. }) = self.stack.last_mut() {
                        *key = Some(key_string(&v));
                        *key_line = line;
                    }
                } else {
                    self.push_value(v, line);
                }
            }
            Event::Alias(id) => {
                let v = self.anchors.get(&id).cloned().unwrap_or(Value::Null);
                if self.expecting_key() {
                    if let Some(Frame::Map { key, key_line, .. }) = self.stack.last_mut() {
                        *key = Some(key_string(&v));
                        *key_line = line;
                    }
                } else {
                    self.push_value(v, line);
                }
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.stack.len() >= self.max_depth {
                    self.error = Some(format!("nesting deeper than {}", self.max_depth));
                    return;
                }
                if self.expecting_key() {
                    // Complex keys are not used by any input we read.
                    self.error = Some("complex mapping keys are not supported".into());
                    return;
                }
                let path = self.next_path();
                let line = self.key_line().unwrap_or(line);
                self.lines.insert(path.clone(), line);
                if matches!(ev, Event::SequenceStart(..)) {
                    self.stack.push(Frame::Seq {
                        items: Vec::new(),
                        anchor,
                        path,
                    });
                } else {
                    self.stack.push(Frame::Map {
                        map: Map::new(),
                        key: None,
                        key_line: line,
                        anchor,
                        path,
                    });
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return;
                };
                let (v, anchor, path) = match frame {
                    Frame::Seq {
                        items,
                        anchor,
                        path,
                    } => (Value::Array(items), anchor, path),
                    Frame::Map {
                        map, anchor, path, ..
                    } => (Value::Object(map), anchor, path),
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                let l = self.lines.get(&path).unwrap_or(line);
                self.push_value(v, l);
            }
            _ => {}
        }
    }
}

/// Parses every document of a YAML (or JSON) stream. Empty documents are
/// dropped.
pub fn load_documents(text: &str) -> Result<Vec<Document>, YamlError> {
    let mut loader = Loader {
        docs: Vec::new(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        lines: LineMap::new(),
        root_line: 1,
        max_depth: 256,
        error: None,
    };
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut loader, true).map_err(|e| YamlError {
        line: e.marker().line() as u32,
        message: e.info().to_string(),
    })?;
    if let Some(e) = loader.error {
        return Err(YamlError {
            line: 0,
            message: e,
        });
    }
    Ok(loader
        .docs
        .into_iter()
        .filter(|d| !d.value.is_null())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_types() {
        let docs = load_documents(
            "a: 1\nb:\n  - x\n  - y: true\n    z: '1'\non: push\n---\n---\nk: [1, 2.5, null]\n",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        let d = &docs[0];
        assert_eq!(d.value["a"], 1);
        assert_eq!(d.value["b"][1]["y"], true);
        assert_eq!(d.value["b"][1]["z"], "1");
        assert_eq!(d.value["on"], "push");
        assert_eq!(d.lines.get("a"), Some(1));
        assert_eq!(d.lines.get("b[1].z"), Some(5));
        assert_eq!(d.lines.resolve("b[1].z.nope"), Some(5));
        assert_eq!(d.lines.get("on"), Some(6));
        assert_eq!(docs[1].value["k"][1], 2.5);
        assert_eq!(docs[1].lines.get("k"), Some(9));
    }

    #[test]
    fn anchors_and_merge() {
        let docs = load_documents("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n").unwrap();
        assert_eq!(docs[0].value["other"]["x"], 1);
        assert_eq!(docs[0].value["other"]["y"], 2);
    }

    #[test]
    fn json_and_errors() {
        let docs = load_documents("{\"kind\": \"List\",\n \"items\": [{\"a\": 1}]}").unwrap();
        assert_eq!(docs[0].value["items"][0]["a"], 1);
        assert_eq!(docs[0].lines.get("items"), Some(2));
        assert!(load_documents("a: [1, 2\nb: c: d").is_err());
    }
}
