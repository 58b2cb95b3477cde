//! Sigma value modifiers and the value transformations they perform.
//!
//! Modifiers fall in three groups:
//! - transformations, applied left to right to the rule value before
//!   matching: `base64`, `base64offset`, `utf16le`, `utf16be`, `utf16`,
//!   `wide`, `windash`, `expand`;
//! - the match type (at most one): `contains`, `startswith`, `endswith`,
//!   `re` (with flags `i`, `m`, `s`), `cidr`, `lt`, `lte`, `gt`, `gte`,
//!   `exists`, `fieldref`, and the time parts `minute`, `hour`, `day`,
//!   `week`, `month`, `year`;
//! - flags: `all` (every value must match instead of any), `cased`
//!   (case-sensitive; matching is case-insensitive by default).

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::wildcard::{Piece, has_wildcards, literal};
use crate::error::{RuleErrorKind, RuleIssue};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modifier {
    Contains,
    StartsWith,
    EndsWith,
    All,
    Re,
    /// `re|i`
    ReIgnoreCase,
    /// `re|m`
    ReMultiline,
    /// `re|s`
    ReDotAll,
    Base64,
    Base64Offset,
    Utf16Le,
    Utf16Be,
    /// UTF-16 with a byte-order mark.
    Utf16,
    /// Alias of `utf16le`.
    Wide,
    Windash,
    Cidr,
    Lt,
    Lte,
    Gt,
    Gte,
    Exists,
    FieldRef,
    Expand,
    Cased,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl Modifier {
    pub const ALL: &'static [(&'static str, Modifier)] = &[
        ("contains", Modifier::Contains),
        ("startswith", Modifier::StartsWith),
        ("endswith", Modifier::EndsWith),
        ("all", Modifier::All),
        ("re", Modifier::Re),
        ("i", Modifier::ReIgnoreCase),
        ("m", Modifier::ReMultiline),
        ("s", Modifier::ReDotAll),
        ("base64", Modifier::Base64),
        ("base64offset", Modifier::Base64Offset),
        ("utf16le", Modifier::Utf16Le),
        ("utf16be", Modifier::Utf16Be),
        ("utf16", Modifier::Utf16),
        ("wide", Modifier::Wide),
        ("windash", Modifier::Windash),
        ("cidr", Modifier::Cidr),
        ("lt", Modifier::Lt),
        ("lte", Modifier::Lte),
        ("gt", Modifier::Gt),
        ("gte", Modifier::Gte),
        ("exists", Modifier::Exists),
        ("fieldref", Modifier::FieldRef),
        ("expand", Modifier::Expand),
        ("cased", Modifier::Cased),
        ("minute", Modifier::Minute),
        ("hour", Modifier::Hour),
        ("day", Modifier::Day),
        ("week", Modifier::Week),
        ("month", Modifier::Month),
        ("year", Modifier::Year),
    ];

    /// Parses a modifier name (case-insensitive; `ignorecase`, `multiline`,
    /// `dotall` are accepted as the long names of the regex flags).
    pub fn parse(s: &str) -> Option<Modifier> {
        let l = s.trim().to_ascii_lowercase();
        match l.as_str() {
            "ignorecase" => return Some(Modifier::ReIgnoreCase),
            "multiline" => return Some(Modifier::ReMultiline),
            "dotall" => return Some(Modifier::ReDotAll),
            _ => {}
        }
        Modifier::ALL.iter().find(|(n, _)| *n == l).map(|(_, m)| *m)
    }

    pub fn name(self) -> &'static str {
        Modifier::ALL
            .iter()
            .find(|(_, m)| *m == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    pub fn is_transform(self) -> bool {
        matches!(
            self,
            Modifier::Base64
                | Modifier::Base64Offset
                | Modifier::Utf16Le
                | Modifier::Utf16Be
                | Modifier::Utf16
                | Modifier::Wide
                | Modifier::Windash
                | Modifier::Expand
        )
    }
}

/// A value during transformation: bytes (after an encoding) or pieces.
#[derive(Debug, Clone, PartialEq)]
enum Stage {
    Pieces(Vec<Piece>),
    Bytes(Vec<u8>),
}

/// Maximum number of values one rule value may expand into (windash,
/// base64offset and expand multiply).
pub const MAX_EXPANSION: usize = 4096;

/// Options for value transformations.
#[derive(Debug, Clone, Default)]
pub struct TransformOptions {
    /// Values for `%placeholder%` names used with `expand`.
    pub placeholders: Option<HashMap<String, Vec<String>>>,
}

/// Parses a placeholder map for `expand`: a YAML map from placeholder name
/// (without `%`) to one value or a list of values (values may use wildcards).
pub fn parse_placeholders(yaml: &str) -> Result<HashMap<String, Vec<String>>, String> {
    use yaml_rust2::{Yaml, YamlLoader};
    let docs = YamlLoader::load_from_str(yaml).map_err(|e| e.to_string())?;
    let Some(Yaml::Hash(h)) = docs.first() else {
        return Err("expected a map of placeholder names to values".into());
    };
    let scalar = |y: &Yaml| match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        _ => None,
    };
    let mut out = HashMap::new();
    for (k, v) in h {
        let name = scalar(k).ok_or("placeholder names must be strings")?;
        let values = match v {
            Yaml::Array(a) => a
                .iter()
                .map(|x| scalar(x).ok_or(format!("{name}: values must be strings")))
                .collect::<Result<Vec<_>, _>>()?,
            other => vec![scalar(other).ok_or(format!("{name}: values must be strings"))?],
        };
        out.insert(name.trim_matches('%').to_string(), values);
    }
    Ok(out)
}

/// Applies the transformation modifiers in order to one string value and
/// returns the resulting alternatives (OR-ed), each as wildcard pieces.
pub fn apply_transforms(
    pieces: Vec<Piece>,
    modifiers: &[Modifier],
    opts: &TransformOptions,
) -> Result<Vec<Vec<Piece>>, RuleIssue> {
    let mut stages = vec![Stage::Pieces(pieces)];
    for m in modifiers.iter().filter(|m| m.is_transform()) {
        let mut next = Vec::new();
        for st in stages {
            match m {
                Modifier::Utf16Le | Modifier::Wide | Modifier::Utf16Be | Modifier::Utf16 => {
                    let text = stage_text(&st, *m)?;
                    let mut out = Vec::new();
                    if *m == Modifier::Utf16 {
                        out.extend_from_slice(&[0xFF, 0xFE]);
                    }
                    for u in text.encode_utf16() {
                        let b = if *m == Modifier::Utf16Be {
                            u.to_be_bytes()
                        } else {
                            u.to_le_bytes()
                        };
                        out.extend_from_slice(&b);
                    }
                    next.push(Stage::Bytes(out));
                }
                Modifier::Base64 => {
                    let bytes = stage_bytes(st, *m)?;
                    next.push(Stage::Pieces(vec![Piece::Lit(STANDARD.encode(bytes))]));
                }
                Modifier::Base64Offset => {
                    let bytes = stage_bytes(st, *m)?;
                    for v in base64_offsets(&bytes) {
                        next.push(Stage::Pieces(vec![Piece::Lit(v)]));
                    }
                }
                Modifier::Windash => {
                    let Stage::Pieces(p) = st else {
                        return Err(invalid("windash after an encoding"));
                    };
                    for v in windash(&p)? {
                        next.push(Stage::Pieces(v));
                    }
                }
                Modifier::Expand => {
                    let Stage::Pieces(p) = st else {
                        return Err(invalid("expand after an encoding"));
                    };
                    for v in expand(&p, opts)? {
                        next.push(Stage::Pieces(v));
                    }
                }
                _ => unreachable!("only transforms"),
            }
            if next.len() > MAX_EXPANSION {
                return Err(invalid(format!(
                    "value expands into more than {MAX_EXPANSION} alternatives"
                )));
            }
        }
        stages = next;
    }
    Ok(stages
        .into_iter()
        .map(|s| match s {
            Stage::Pieces(p) => p,
            Stage::Bytes(b) => vec![Piece::Lit(String::from_utf8_lossy(&b).into_owned())],
        })
        .collect())
}

fn invalid(msg: impl Into<String>) -> RuleIssue {
    RuleIssue::new(RuleErrorKind::InvalidValue, msg)
}

fn stage_text(st: &Stage, m: Modifier) -> Result<String, RuleIssue> {
    match st {
        Stage::Pieces(p) if !has_wildcards(p) => Ok(literal(p)),
        Stage::Pieces(_) => Err(invalid(format!(
            "`{}` cannot encode a value with wildcards",
            m.name()
        ))),
        Stage::Bytes(_) => Err(invalid(format!("`{}` after another encoding", m.name()))),
    }
}

fn stage_bytes(st: Stage, m: Modifier) -> Result<Vec<u8>, RuleIssue> {
    match st {
        Stage::Bytes(b) => Ok(b),
        other => Ok(stage_text(&other, m)?.into_bytes()),
    }
}

/// The three base64 encodings of `v` at every byte offset, trimmed to the
/// characters that do not depend on surrounding bytes (as pySigma does).
pub fn base64_offsets(v: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END: [usize; 3] = [0, 3, 2];
    (0..3)
        .map(|i| {
            let mut buf = vec![b' '; i];
            buf.extend_from_slice(v);
            let enc = STANDARD.encode(&buf);
            let end_cut = END[(v.len() + i) % 3];
            let end = enc.len().saturating_sub(end_cut);
            enc.get(START[i]..end).unwrap_or("").to_string()
        })
        .collect()
}

const DASHES: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Expands every `-` or `/` that starts a word after a non-word character
/// (regex `\B[-/]\b`) into `-`, `/`, en dash, em dash and horizontal bar.
pub fn windash(pieces: &[Piece]) -> Result<Vec<Vec<Piece>>, RuleIssue> {
    // Work on a flat list of "chars or wildcard" with a look at neighbours.
    #[derive(Clone)]
    enum T {
        C(char),
        W(Piece),
    }
    let flat: Vec<T> = pieces
        .iter()
        .flat_map(|p| match p {
            Piece::Lit(l) => l.chars().map(T::C).collect::<Vec<_>>(),
            w => vec![T::W(w.clone())],
        })
        .collect();
    let positions: Vec<usize> = (0..flat.len())
        .filter(|&i| {
            let T::C(c) = flat[i] else { return false };
            if c != '-' && c != '/' {
                return false;
            }
            let prev_word = i > 0 && matches!(flat[i - 1], T::C(p) if is_word(p));
            let next_word = matches!(flat.get(i + 1), Some(T::C(n)) if is_word(*n));
            !prev_word && next_word
        })
        .collect();
    let total = DASHES
        .len()
        .checked_pow(positions.len() as u32)
        .unwrap_or(usize::MAX);
    if total > MAX_EXPANSION {
        return Err(invalid(format!(
            "windash over {} dashes expands too far",
            positions.len()
        )));
    }
    let mut out = Vec::with_capacity(total);
    for combo in 0..total {
        let mut f = flat.clone();
        let mut k = combo;
        for &p in &positions {
            f[p] = T::C(DASHES[k % DASHES.len()]);
            k /= DASHES.len();
        }
        let mut v: Vec<Piece> = Vec::new();
        for t in f {
            match (t, v.last_mut()) {
                (T::C(c), Some(Piece::Lit(l))) => l.push(c),
                (T::C(c), _) => v.push(Piece::Lit(c.to_string())),
                (T::W(w), _) => v.push(w),
            }
        }
        out.push(v);
    }
    Ok(out)
}

/// Replaces `%name%` placeholders with each of their values.
fn expand(pieces: &[Piece], opts: &TransformOptions) -> Result<Vec<Vec<Piece>>, RuleIssue> {
    let mut results: Vec<Vec<Piece>> = vec![Vec::new()];
    for p in pieces {
        let Piece::Lit(l) = p else {
            for r in &mut results {
                r.push(p.clone());
            }
            continue;
        };
        // Split the literal into text and placeholders.
        let mut parts: Vec<(bool, &str)> = Vec::new();
        let mut rest = l.as_str();
        while let Some(a) = rest.find('%') {
            let Some(b) = rest[a + 1..].find('%') else {
                break;
            };
            parts.push((false, &rest[..a]));
            parts.push((true, &rest[a + 1..a + 1 + b]));
            rest = &rest[a + 2 + b..];
        }
        parts.push((false, rest));
        for (is_ph, text) in parts {
            if !is_ph {
                for r in &mut results {
                    push_lit(r, text);
                }
                continue;
            }
            let Some(map) = &opts.placeholders else {
                return Err(RuleIssue::new(
                    RuleErrorKind::Unsupported,
                    format!("`expand` placeholder %{text}% needs a placeholder map"),
                ));
            };
            let values = map.get(text).ok_or_else(|| {
                RuleIssue::new(
                    RuleErrorKind::Unsupported,
                    format!("no value for placeholder %{text}%"),
                )
            })?;
            let mut next = Vec::new();
            for r in &results {
                for v in values {
                    let mut r2 = r.clone();
                    for piece in super::wildcard::parse_pattern(v) {
                        match piece {
                            Piece::Lit(l) => push_lit(&mut r2, &l),
                            w => r2.push(w),
                        }
                    }
                    next.push(r2);
                }
            }
            if next.len() > MAX_EXPANSION {
                return Err(invalid("placeholder expansion too large"));
            }
            results = next;
        }
    }
    Ok(results)
}

fn push_lit(v: &mut Vec<Piece>, s: &str) {
    if s.is_empty() {
        return;
    }
    match v.last_mut() {
        Some(Piece::Lit(l)) => l.push_str(s),
        _ => v.push(Piece::Lit(s.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigma::wildcard::parse_pattern;

    fn lits(v: Vec<Vec<Piece>>) -> Vec<String> {
        v.into_iter().map(|p| literal(&p)).collect()
    }

    #[test]
    fn names_round_trip() {
        for (n, m) in Modifier::ALL {
            assert_eq!(Modifier::parse(n), Some(*m));
            assert_eq!(m.name(), *n);
        }
        assert_eq!(Modifier::parse("Contains"), Some(Modifier::Contains));
        assert_eq!(Modifier::parse("nope"), None);
    }

    #[test]
    fn base64_and_offsets() {
        let o = TransformOptions::default();
        assert_eq!(
            lits(apply_transforms(parse_pattern("hello"), &[Modifier::Base64], &o).unwrap()),
            vec!["aGVsbG8="]
        );
        // pySigma's reference values for "/c ping" style offsets.
        assert_eq!(
            base64_offsets(b"http://"),
            vec!["aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"]
        );
        let enc = STANDARD.encode(b"xxhttp://evil");
        assert!(
            base64_offsets(b"http://")
                .iter()
                .any(|v| enc.contains(v.as_str()))
        );
        for prefix in 0..3 {
            let mut data = vec![b'A'; prefix];
            data.extend_from_slice(b"Invoke-Mimikatz");
            data.extend_from_slice(b" tail");
            let enc = STANDARD.encode(&data);
            assert!(
                base64_offsets(b"Invoke-Mimikatz")
                    .iter()
                    .any(|v| enc.contains(v.as_str())),
                "offset {prefix}"
            );
        }
        assert!(apply_transforms(parse_pattern("a*b"), &[Modifier::Base64], &o).is_err());
    }

    #[test]
    fn utf16_variants() {
        let o = TransformOptions::default();
        let v = lits(apply_transforms(parse_pattern("ab"), &[Modifier::Wide], &o).unwrap());
        assert_eq!(v, vec!["a\0b\0"]);
        let v = lits(apply_transforms(parse_pattern("ab"), &[Modifier::Utf16Be], &o).unwrap());
        assert_eq!(v, vec!["\0a\0b"]);
        let v = lits(
            apply_transforms(
                parse_pattern("ping"),
                &[Modifier::Wide, Modifier::Base64],
                &o,
            )
            .unwrap(),
        );
        assert_eq!(v, vec![STANDARD.encode("p\0i\0n\0g\0")]);
        let v =
            apply_transforms(parse_pattern("a"), &[Modifier::Utf16, Modifier::Base64], &o).unwrap();
        assert_eq!(lits(v), vec![STANDARD.encode([0xFF, 0xFE, b'a', 0])]);
        let v = apply_transforms(
            parse_pattern("ping"),
            &[Modifier::Wide, Modifier::Base64Offset],
            &o,
        )
        .unwrap();
        assert_eq!(v.len(), 3);
    }

    #[test]
    fn windash_expands_word_starts_only() {
        let v = lits(windash(&parse_pattern(" -enc ")).unwrap());
        assert_eq!(v.len(), 5);
        assert!(v.contains(&" /enc ".to_string()));
        assert!(v.contains(&" \u{2013}enc ".to_string()));
        // Inside a word (`a-b`) nothing changes.
        assert_eq!(lits(windash(&parse_pattern("a-b")).unwrap()), vec!["a-b"]);
        // Two dashes: 25 variants.
        assert_eq!(windash(&parse_pattern("-a -b")).unwrap().len(), 25);
        assert!(windash(&parse_pattern("-a -b -c -d -e -f")).is_err());
    }

    #[test]
    fn placeholder_files() {
        let m = parse_placeholders("Admins: [root, 'adm*']\n'%DCs%': dc01\n").unwrap();
        assert_eq!(m["Admins"], vec!["root".to_string(), "adm*".to_string()]);
        assert_eq!(m["DCs"], vec!["dc01".to_string()]);
        assert!(parse_placeholders("- a").is_err());
    }

    #[test]
    fn expand_needs_a_map() {
        let e = apply_transforms(
            parse_pattern("%Admins%\\x"),
            &[Modifier::Expand],
            &TransformOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind, RuleErrorKind::Unsupported);
        let mut m = HashMap::new();
        m.insert(
            "Admins".to_string(),
            vec!["root".to_string(), "adm*".to_string()],
        );
        let o = TransformOptions {
            placeholders: Some(m),
        };
        let v = apply_transforms(parse_pattern("u=%Admins%!"), &[Modifier::Expand], &o).unwrap();
        assert_eq!(v[0], vec![Piece::Lit("u=root!".into())]);
        assert_eq!(
            v[1],
            vec![
                Piece::Lit("u=adm".into()),
                Piece::Star,
                Piece::Lit("!".into())
            ]
        );
    }
}
