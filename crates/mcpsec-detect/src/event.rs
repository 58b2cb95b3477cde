//! One event representation for every log input.
//!
//! A [`LogEvent`] is a JSON-like tree ([`Value`]) built once per event. Every
//! string leaf keeps its lowercased form next to the original, so the
//! case-insensitive matching that Sigma demands costs no allocation per rule.
//!
//! Field access ([`LogEvent::get`]) resolves, in this order: a field alias of
//! the event's log source (e.g. Security 4688 `NewProcessName` for the Sigma
//! field `Image`), the exact top-level key, a nested dotted path
//! (`process.command_line` over `{"process": {"command_line": …}}`), and finally
//! a case-insensitive match of the top-level key.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// A text leaf: the original and, when different, its lowercase form, in
/// one allocation (`buf` holds the original, then the lowercase form when
/// it differs; `split` is the original's length).
#[derive(Debug, Clone, PartialEq)]
pub struct Text {
    buf: Box<str>,
    split: usize,
}

impl Text {
    pub fn new(s: &str) -> Text {
        if s.is_ascii() {
            // ASCII: the same result as below without decoding characters.
            if !s.bytes().any(|b| b.is_ascii_uppercase()) {
                return Text {
                    buf: s.into(),
                    split: s.len(),
                };
            }
            let mut buf = String::with_capacity(2 * s.len());
            buf.push_str(s);
            buf.push_str(s);
            buf[s.len()..].make_ascii_lowercase();
            return Text {
                buf: buf.into_boxed_str(),
                split: s.len(),
            };
        }
        if !s.chars().any(char::is_uppercase) {
            return Text {
                buf: s.into(),
                split: s.len(),
            };
        }
        let lower = s.to_lowercase();
        let mut buf = String::with_capacity(s.len() + lower.len());
        buf.push_str(s);
        buf.push_str(&lower);
        Text {
            buf: buf.into_boxed_str(),
            split: s.len(),
        }
    }
    /// The original text.
    pub fn raw(&self) -> &str {
        &self.buf[..self.split]
    }
    /// The lowercase text.
    pub fn lower(&self) -> &str {
        if self.split == self.buf.len() {
            &self.buf
        } else {
            &self.buf[self.split..]
        }
    }
}

/// A JSON-like value with pre-lowercased strings.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A number and its text as it appears in the log.
    Number(f64, Box<str>),
    String(Text),
    Array(Vec<Value>),
    Object(Vec<(Box<str>, Value)>),
}

impl Value {
    /// Looks a key up in an object (exact match).
    pub fn key(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(fields) => fields.iter().find(|(k, _)| &**k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Looks a key up in an object ignoring ASCII case and spaces in the
    /// event's key (Defender logs `Threat Name` where Sigma says `ThreatName`).
    pub fn key_ignore_case(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(fields) => fields
                .iter()
                .find(|(k, _)| loose_eq(k, key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value as text (strings as they are, numbers and booleans printed);
    /// `None` for null, arrays and objects.
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::String(t) => Some(Cow::Borrowed(t.raw())),
            Value::Number(_, s) => Some(Cow::Borrowed(s)),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            _ => None,
        }
    }

    /// The lowercase text of a scalar (see [`Value::as_text`]).
    pub fn as_lower_text(&self) -> Option<&str> {
        match self {
            Value::String(t) => Some(t.lower()),
            Value::Number(_, s) => Some(s),
            Value::Bool(b) => Some(if *b { "true" } else { "false" }),
            _ => None,
        }
    }

    /// The value as a number: numbers, and strings that parse as one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n, _) => Some(*n),
            Value::String(t) => parse_number(t.raw()),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Calls `f` on every scalar leaf below this value (arrays are walked,
    /// objects too when `deep`), stopping at the first `true`.
    pub fn any_scalar(&self, deep: bool, f: &mut dyn FnMut(&Value) -> bool) -> bool {
        match self {
            Value::Array(items) => items.iter().any(|v| v.any_scalar(deep, f)),
            Value::Object(fields) => deep && fields.iter().any(|(_, v)| v.any_scalar(deep, f)),
            scalar => f(scalar),
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n, s) => {
                if let Ok(i) = s.parse::<i64>() {
                    serde_json::Value::from(i)
                } else if let Ok(u) = s.parse::<u64>() {
                    serde_json::Value::from(u)
                } else {
                    serde_json::Number::from_f64(*n)
                        .map(serde_json::Value::Number)
                        .unwrap_or(serde_json::Value::Null)
                }
            }
            Value::String(t) => serde_json::Value::String(t.raw().to_owned()),
            Value::Array(a) => serde_json::Value::Array(a.iter().map(Value::to_json).collect()),
            Value::Object(o) => serde_json::Value::Object(
                o.iter()
                    .map(|(k, v)| (k.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

fn loose_eq(event_key: &str, field: &str) -> bool {
    if event_key.len() == field.len() {
        return event_key.eq_ignore_ascii_case(field);
    }
    let mut a = event_key.bytes().filter(|&b| b != b' ');
    let mut b = field.bytes();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(&y) => {}
            _ => return false,
        }
    }
}

pub(crate) fn parse_number(s: &str) -> Option<f64> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok().map(|v| v as f64);
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

impl From<&serde_json::Value> for Value {
    fn from(v: &serde_json::Value) -> Self {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                Value::Number(n.as_f64().unwrap_or(f64::NAN), n.to_string().into())
            }
            serde_json::Value::String(s) => Value::String(Text::new(s)),
            serde_json::Value::Array(a) => Value::Array(a.iter().map(Value::from).collect()),
            serde_json::Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (k.as_str().into(), Value::from(v)))
                    .collect(),
            ),
        }
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        Value::from(&v)
    }
}

/// Sigma field name → event field name, for one log source.
pub type FieldAliases = Arc<HashMap<String, String>>;

/// One log event with its provenance.
#[derive(Debug, Clone)]
pub struct LogEvent {
    root: Value,
    aliases: Option<FieldAliases>,
    /// The input kind when the reader knows it (`cloudtrail`, `cef`, `leef`,
    /// `syslog`): dispatch then uses the log source the mapping gives it.
    input: Option<&'static str>,
    /// Literal prefilter results of the rule set matching this event.
    memo: std::cell::RefCell<crate::sigma::prefilter::Memo>,
}

impl LogEvent {
    /// An event over a root value (normally an object).
    pub fn new(root: Value) -> LogEvent {
        LogEvent {
            root,
            aliases: None,
            input: None,
            memo: Default::default(),
        }
    }

    /// Attaches a rule set's literal prefilter (clearing earlier results).
    pub fn set_prefilter(&mut self, pre: Option<Arc<crate::sigma::prefilter::Prefilter>>) {
        self.memo.get_mut().reset(pre);
    }

    /// Whether the item's required literals occur in its field (`None` when
    /// this event has no prefilter, or another rule set's).
    pub(crate) fn prefilter_check(&self, pre: &crate::sigma::prefilter::ItemPre) -> Option<bool> {
        let mut memo = self.memo.borrow_mut();
        memo.check(pre, &mut |field, emit| {
            if field == crate::sigma::compile::KEYWORDS {
                self.root.any_scalar(true, &mut |s| {
                    if let Some(t) = s.as_lower_text() {
                        emit(t);
                    }
                    false
                });
            } else if let Some(v) = self.get(field) {
                v.any_scalar(false, &mut |s| {
                    if let Some(t) = s.as_lower_text() {
                        emit(t);
                    }
                    false
                });
            }
        })
    }

    /// Tags the event with the input kind it came from (see [`crate::input::INPUT_KINDS`]).
    pub fn set_input(&mut self, kind: Option<&'static str>) {
        self.input = kind;
    }

    /// The input kind, when known.
    pub fn input(&self) -> Option<&'static str> {
        self.input
    }

    pub fn from_json(v: &serde_json::Value) -> LogEvent {
        LogEvent::new(Value::from(v))
    }

    /// Sets the field aliases of this event's log source.
    pub fn set_aliases(&mut self, aliases: Option<FieldAliases>) {
        self.aliases = aliases;
    }

    pub fn root(&self) -> &Value {
        &self.root
    }

    /// Resolves a field by name (see the module documentation for the order).
    pub fn get(&self, field: &str) -> Option<&Value> {
        if let Some(target) = self.aliases.as_ref().and_then(|a| a.get(field))
            && let Some(v) = self.get_direct(target)
        {
            return Some(v);
        }
        self.get_direct(field)
    }

    fn get_direct(&self, field: &str) -> Option<&Value> {
        if let Some(v) = self.root.key(field) {
            return Some(v);
        }
        if field.contains('.') {
            let mut cur = &self.root;
            let mut ok = true;
            for part in field.split('.') {
                match cur.key(part).or_else(|| cur.key_ignore_case(part)) {
                    Some(v) => cur = v,
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if ok {
                return Some(cur);
            }
        }
        self.root.key_ignore_case(field)
    }

    pub fn to_json(&self) -> serde_json::Value {
        self.root.to_json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_access_orders() {
        let ev = LogEvent::from_json(&json!({
            "Image": "C:\\Windows\\System32\\CMD.exe",
            "process": {"command_line": "whoami /all", "pid": 42},
            "a.b": "flat",
            "a": {"b": "nested"},
            "EventID": 4688
        }));
        assert_eq!(
            ev.get("Image").unwrap().as_lower_text(),
            Some("c:\\windows\\system32\\cmd.exe")
        );
        assert_eq!(
            ev.get("image").unwrap().as_text().unwrap(),
            "C:\\Windows\\System32\\CMD.exe"
        );
        assert_eq!(
            ev.get("process.command_line").unwrap().as_text().unwrap(),
            "whoami /all"
        );
        assert_eq!(ev.get("process.pid").unwrap().as_f64(), Some(42.0));
        assert_eq!(ev.get("a.b").unwrap().as_text().unwrap(), "flat");
        assert_eq!(ev.get("EventID").unwrap().as_text().unwrap(), "4688");
        assert!(ev.get("missing").is_none());
        let ev2 = LogEvent::from_json(&json!({"Threat Name": "EICAR", "Source Name": "x"}));
        assert_eq!(ev2.get("ThreatName").unwrap().as_text().unwrap(), "EICAR");
        assert_eq!(ev2.get("sourcename").unwrap().as_text().unwrap(), "x");
        assert!(ev2.get("Threat").is_none());
        assert!(ev.get("process.missing").is_none());
    }

    #[test]
    fn aliases_take_precedence() {
        let mut ev = LogEvent::from_json(
            &json!({"NewProcessName": "a.exe", "ProcessId": "0x10", "NewProcessId": "0x20"}),
        );
        let mut m = HashMap::new();
        m.insert("Image".to_string(), "NewProcessName".to_string());
        m.insert("ProcessId".to_string(), "NewProcessId".to_string());
        ev.set_aliases(Some(Arc::new(m)));
        assert_eq!(ev.get("Image").unwrap().as_text().unwrap(), "a.exe");
        assert_eq!(ev.get("ProcessId").unwrap().as_text().unwrap(), "0x20");
        assert_eq!(ev.get("ProcessId").unwrap().as_f64(), Some(32.0));
    }

    #[test]
    fn json_round_trip() {
        let j = json!({"a": [1, 2.5, "X", null, true], "b": {"c": -3}});
        assert_eq!(LogEvent::from_json(&j).to_json(), j);
    }
}
