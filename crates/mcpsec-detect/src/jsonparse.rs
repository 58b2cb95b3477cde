//! JSON text straight into the event [`Value`], without the intermediate
//! `serde_json::Value` tree: strings are read borrowed from the input when
//! they hold no escapes, so each text leaf costs one allocation (its
//! original and lowercase forms share it, see [`Text`]) instead of three or
//! four (the `String` in the tree, then the event's original and lowercase
//! copies).
//!
//! The result is the one `Value::from(&serde_json::from_slice::<Json>(..))`
//! gives: keys in document order, a repeated key keeps its first position
//! and takes its last value (serde_json's `preserve_order` map), numbers
//! keep serde_json's text for them, and errors are serde_json's.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::event::{Text, Value};

/// Parses one JSON document (trailing whitespace allowed) into a [`Value`].
pub(crate) fn parse_value(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    // Valid UTF-8 (the normal case) is checked once for the whole text, not
    // string by string; otherwise serde_json reads the bytes and reports
    // the error (or the value) exactly as `from_slice` does.
    if let Ok(text) = std::str::from_utf8(bytes) {
        let mut de = serde_json::Deserializer::from_str(text);
        let v = ValueSeed.deserialize(&mut de)?;
        de.end()?;
        return Ok(v);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = ValueSeed.deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, i: i64) -> Result<Value, E> {
        Ok(Value::Number(i as f64, int_text(i)))
    }

    fn visit_u64<E>(self, u: u64) -> Result<Value, E> {
        Ok(Value::Number(u as f64, int_text(u)))
    }

    fn visit_f64<E>(self, f: f64) -> Result<Value, E> {
        // Exactly serde_json's `Number` (and its text) for this float.
        Ok(match serde_json::Number::from_f64(f) {
            Some(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN), n.to_string().into()),
            None => Value::Null,
        })
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(Text::new(s)))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        ValueSeed.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(v) = seq.next_element_seed(ValueSeed)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut fields: Vec<(Box<str>, Value)> = Vec::with_capacity(16);
        while let Some(k) = map.next_key_seed(KeySeed)? {
            let v = map.next_value_seed(ValueSeed)?;
            match fields.iter_mut().find(|(e, _)| *e == k) {
                Some(slot) => slot.1 = v,
                None => fields.push((k, v)),
            }
        }
        Ok(Value::Object(fields))
    }
}

/// An integer's decimal text in one exact allocation (formatted on the stack).
fn int_text(n: impl fmt::Display) -> Box<str> {
    struct Stack {
        buf: [u8; 24],
        len: usize,
    }
    impl fmt::Write for Stack {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let end = self.len + s.len();
            self.buf
                .get_mut(self.len..end)
                .ok_or(fmt::Error)?
                .copy_from_slice(s.as_bytes());
            self.len = end;
            Ok(())
        }
    }
    let mut st = Stack {
        buf: [0; 24],
        len: 0,
    };
    match fmt::Write::write_fmt(&mut st, format_args!("{n}")) {
        // Only ASCII digits and '-' were written.
        Ok(()) => std::str::from_utf8(&st.buf[..st.len])
            .map(Box::from)
            .unwrap_or_else(|_| n.to_string().into()),
        Err(_) => n.to_string().into(),
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Box<str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Box<str>, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Box<str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }
    fn visit_str<E>(self, s: &str) -> Result<Box<str>, E> {
        Ok(s.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn old(s: &str) -> Result<Value, String> {
        serde_json::from_str::<serde_json::Value>(s)
            .map(|v| Value::from(&v))
            .map_err(|e| e.to_string())
    }

    fn new(s: &str) -> Result<Value, String> {
        parse_value(s.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn same_values_as_serde_json() {
        for s in [
            r#"{"a": [1, -2, 2.5, 1e300, 18446744073709551615, 18446744073709551616, -9223372036854775809, "X\u00c9\n", null, true, false], "b": {"c": -3}}"#,
            r#"{"Image": "C:\\Windows\\CMD.EXE", "k": "É", "k2": "ǅ", "dup": 1, "x": 2, "dup": "last"}"#,
            r#"  {"nested": {"deep": [[{"a": {}}], []]}, "": ""}  "#,
            r#"[1, 2]"#,
            r#""text""#,
            "0.1",
            "-0.0",
            "12345678901234567890123",
        ] {
            assert_eq!(new(s), old(s), "{s}");
        }
    }

    #[test]
    fn same_errors_as_serde_json() {
        for s in [
            "",
            "{",
            r#"{"a": }"#,
            r#"{"a": 1} x"#,
            r#"{"a": "\ud800"}"#,
            r#"{"a": tru}"#,
            "[1,]",
        ] {
            assert_eq!(new(s), old(s), "{s}");
            assert!(new(s).is_err());
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert_eq!(new(&deep), old(&deep));
        // Invalid UTF-8 inside and outside a string: serde_json's own errors.
        for b in [&b"{\"a\": \"\xff\"}"[..], b"{\"a\xfe\": 1}", b"\xef{}"] {
            let old = serde_json::from_slice::<serde_json::Value>(b).map_err(|e| e.to_string());
            let new = parse_value(b).map_err(|e| e.to_string());
            assert!(new.is_err());
            assert_eq!(new.map(|_| ()), old.map(|_| ()));
        }
    }
}
