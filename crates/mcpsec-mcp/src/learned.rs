//! The learned tool-poisoning classifier (rule MCP-022, detector `learned`).
//!
//! A logistic-regression model over hashed text features of a whole tool:
//! its name, title, description, parameter names and every description,
//! title and value inside its input schema ([`tool_text`]). The features are
//! ASCII-lowercased word unigrams, word bigrams and character n-grams of the
//! words, hashed (FNV-1a, 32 bit) into `2^bits` buckets; the score is
//! `sigmoid(bias + Σ weight[bucket])` over the distinct buckets present, and
//! the tool is flagged at `threshold` or above.
//!
//! The weights are data: `data/learned.bin`, written by
//! `scripts/train_learned.py` from labelled tool descriptions (see
//! docs/mcp-security.md for the training sets and the held-out figures).
//! The file holds only bucket numbers and weights, no text. Users can load
//! their own model with the same format ([`LinearModel::from_bytes`]).
//!
//! File format: the magic line `MCPSEC-LINEAR-1\n`, one line of JSON
//! ([`Header`]), then `n` little-endian records of (u32 bucket, f32 weight).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::tools::{Tool, schema_texts};

/// The built-in model file.
pub const BUILTIN_MODEL: &[u8] = include_bytes!("../data/learned.bin");

const MAGIC: &[u8] = b"MCPSEC-LINEAR-1\n";
/// Largest accepted `bits` (a 2^24-bucket table is 64 MiB).
const MAX_BITS: u32 = 24;

/// Why a model file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("model file: does not start with {:?}", String::from_utf8_lossy(MAGIC).trim_end())]
    Magic,
    #[error("model file: header line: {0}")]
    Header(String),
    #[error("model file: {0}")]
    Invalid(String),
}

/// The JSON header of a model file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// log2 of the number of hash buckets.
    pub bits: u32,
    pub bias: f32,
    /// Decision threshold on the probability, in (0, 1).
    pub threshold: f32,
    /// Whether word bigrams are features.
    pub bigrams: bool,
    /// Lengths of the character n-grams taken from each word padded with a
    /// space on both sides (empty: none).
    pub char_ngrams: Vec<usize>,
    /// Whether word pairs with identifiers (snake_case, kebab-case,
    /// camelCase names, such as other tools' names) folded to one token are
    /// features: `calling <identifier>` generalises over tool names.
    #[serde(default)]
    pub idents: bool,
    /// Whether words with non-ASCII letters or digits (Unicode
    /// alphanumeric runs; Cyrillic, accented Latin, CJK…) are features too:
    /// `u <word>` and its character pairs `u2 <2 chars>`, lowercased — the
    /// ASCII features never see them, and CJK text has no spaces.
    #[serde(default)]
    pub unicode: bool,
    /// With TF-IDF features: the inverse document frequency of buckets not
    /// listed in the records; each record then carries the bucket's idf, and
    /// the text's feature vector (idf of each bucket present) is scaled to
    /// unit length before the weights apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idf_default: Option<f32>,
    /// Rules whose tool findings count only when this model's probability
    /// for the tool reaches the given bar (chosen by the trainer out of fold
    /// so that no poisoned training tool is lost): noisy rules confirmed by
    /// the model.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub weak_rules: std::collections::BTreeMap<String, f32>,
    /// Number of (bucket, weight[, idf]) records that follow.
    pub n: usize,
    /// Free text: what the model was trained on and when.
    #[serde(default)]
    pub trained: String,
}

/// A logistic-regression model over hashed text features.
#[derive(Debug, Clone)]
pub struct LinearModel {
    header: Header,
    weights: Vec<f32>,
    /// Per-bucket idf (TF-IDF models only).
    idf: Option<Vec<f32>>,
}

/// A scored text: the probability and the margin (bias + weighted sum) it comes from.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub probability: f32,
    pub margin: f32,
}

impl LinearModel {
    /// The built-in model (parsed once).
    pub fn builtin() -> &'static LinearModel {
        static M: OnceLock<LinearModel> = OnceLock::new();
        M.get_or_init(|| {
            LinearModel::from_bytes(BUILTIN_MODEL).expect("the built-in model file is valid")
        })
    }

    /// Parses and validates a model file.
    pub fn from_bytes(b: &[u8]) -> Result<LinearModel, ModelError> {
        let rest = b.strip_prefix(MAGIC).ok_or(ModelError::Magic)?;
        let nl = rest
            .iter()
            .position(|&c| c == b'\n')
            .ok_or_else(|| ModelError::Header("no end of line".into()))?;
        let header: Header =
            serde_json::from_slice(&rest[..nl]).map_err(|e| ModelError::Header(e.to_string()))?;
        if header.bits == 0 || header.bits > MAX_BITS {
            return Err(ModelError::Invalid(format!(
                "bits {} not in 1..={MAX_BITS}",
                header.bits
            )));
        }
        if !(header.threshold > 0.0 && header.threshold < 1.0) {
            return Err(ModelError::Invalid(format!(
                "threshold {} not in (0, 1)",
                header.threshold
            )));
        }
        if !header.bias.is_finite() {
            return Err(ModelError::Invalid("bias is not finite".into()));
        }
        if header.char_ngrams.iter().any(|&n| n == 0 || n > 16) {
            return Err(ModelError::Invalid(
                "char_ngrams: lengths must be 1 to 16".into(),
            ));
        }
        if let Some(d) = header.idf_default
            && !(d.is_finite() && d > 0.0)
        {
            return Err(ModelError::Invalid(format!(
                "idf_default {d} is not a positive number"
            )));
        }
        let rec_len = if header.idf_default.is_some() { 12 } else { 8 };
        let body = &rest[nl + 1..];
        if body.len() != header.n.saturating_mul(rec_len) {
            return Err(ModelError::Invalid(format!(
                "{} bytes of weights, header says {} records ({} bytes)",
                body.len(),
                header.n,
                header.n.saturating_mul(rec_len)
            )));
        }
        let size = 1usize << header.bits;
        let mut weights = vec![0f32; size];
        let mut idf = header.idf_default.map(|d| vec![d; size]);
        let f32_at = |rec: &[u8], at: usize| {
            f32::from_le_bytes([rec[at], rec[at + 1], rec[at + 2], rec[at + 3]])
        };
        for (i, rec) in body.chunks_exact(rec_len).enumerate() {
            let bucket = u32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]) as usize;
            let w = f32_at(rec, 4);
            if bucket >= size {
                return Err(ModelError::Invalid(format!(
                    "record {i}: bucket {bucket} outside 2^{}",
                    header.bits
                )));
            }
            if !w.is_finite() {
                return Err(ModelError::Invalid(format!(
                    "record {i}: weight is not finite"
                )));
            }
            weights[bucket] = w;
            if let Some(idf) = idf.as_mut() {
                let d = f32_at(rec, 8);
                if !(d.is_finite() && d > 0.0) {
                    return Err(ModelError::Invalid(format!(
                        "record {i}: idf is not a positive number"
                    )));
                }
                idf[bucket] = d;
            }
        }
        Ok(LinearModel {
            header,
            weights,
            idf,
        })
    }

    pub fn header(&self) -> &Header {
        &self.header
    }

    pub fn threshold(&self) -> f32 {
        self.header.threshold
    }

    /// The distinct buckets of the features of `text`, sorted.
    pub fn buckets(&self, text: &str) -> Vec<u32> {
        let mask = (1u32 << self.header.bits) - 1;
        let mut out = Vec::new();
        for_each_feature(text, &self.header, |f| out.push(fnv1a(f) & mask));
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The (idf-weighted) weights of the buckets present in `text` summed,
    /// and the sum of their squared idf (0 without TF-IDF).
    fn weighted(&self, text: &str) -> (f32, f32) {
        let (mut dot, mut norm) = (0f32, 0f32);
        for b in self.buckets(text) {
            let b = b as usize;
            match &self.idf {
                None => dot += self.weights[b],
                Some(idf) => {
                    dot += self.weights[b] * idf[b];
                    norm += idf[b] * idf[b];
                }
            }
        }
        (dot, norm)
    }

    /// The sum of the (idf-weighted) weights of the buckets present in
    /// `text`, not normalised, no bias: a sentence's contribution.
    pub fn sum(&self, text: &str) -> f32 {
        self.weighted(text).0
    }

    /// The model's probability that `text` (a [`tool_text`]) is poisoned.
    pub fn score(&self, text: &str) -> Scored {
        let (dot, norm) = self.weighted(text);
        let dot = if self.idf.is_some() && norm > 0.0 {
            dot / norm.sqrt()
        } else {
            dot
        };
        let margin = self.header.bias + dot;
        Scored {
            probability: sigmoid(margin),
            margin,
        }
    }
}

fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// FNV-1a, 32 bit.
pub fn fnv1a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// The placeholder token of an identifier in `i` features.
const IDENT: &[u8] = b"\x01";

/// Whether `t` (a run of ASCII letters, digits, `_` and `-`) names something:
/// snake_case or kebab-case with a letter, or camelCase.
fn is_ident(t: &[u8]) -> bool {
    let start = t.iter().position(|&c| c != b'_' && c != b'-');
    let end = t.iter().rposition(|&c| c != b'_' && c != b'-');
    let (Some(a), Some(b)) = (start, end) else {
        return false;
    };
    let inner = &t[a..=b];
    if inner.iter().any(|&c| c == b'_' || c == b'-') {
        return inner.iter().any(u8::is_ascii_alphabetic);
    }
    inner
        .windows(2)
        .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase())
}

/// Calls `f` with the `i` features of `text`: word pairs in which at least one
/// side is an identifier, folded to a placeholder. `lower` is `text`
/// ASCII-lowercased (same byte offsets).
fn ident_features(text: &[u8], lower: &[u8], buf: &mut Vec<u8>, f: &mut impl FnMut(&[u8])) {
    let mut seq: Vec<&[u8]> = Vec::new();
    let mut at = 0;
    for t in text.split(|&c| !(c.is_ascii_alphanumeric() || c == b'_' || c == b'-')) {
        let start = at;
        at += t.len() + 1;
        if t.is_empty() {
            continue;
        }
        if is_ident(t) {
            seq.push(IDENT);
        } else {
            let lt = &lower[start..start + t.len()];
            seq.extend(
                lt.split(|c| !c.is_ascii_alphanumeric())
                    .filter(|w| !w.is_empty()),
            );
        }
    }
    for pair in seq.windows(2) {
        if pair[0] == IDENT || pair[1] == IDENT {
            buf.clear();
            buf.extend_from_slice(b"i ");
            buf.extend_from_slice(pair[0]);
            buf.push(b' ');
            buf.extend_from_slice(pair[1]);
            f(buf);
        }
    }
}

/// Calls `f` with the byte string of every feature of `text` (repeats
/// included): `w <word>`, `b <word> <word>`, `c<n> <n-gram>`, with
/// `idents` `i <word> <word>` (see [`Header::idents`]) and with `unicode`
/// `u <word>`, `u2 <char pair>` (see [`Header::unicode`]).
fn for_each_feature(text: &str, h: &Header, mut f: impl FnMut(&[u8])) {
    let mut buf = Vec::with_capacity(64);
    let lower = text.as_bytes().to_ascii_lowercase();
    if h.idents {
        ident_features(text.as_bytes(), &lower, &mut buf, &mut f);
    }
    let ws: Vec<&[u8]> = lower
        .split(|c| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let tags: Vec<Vec<u8>> = h
        .char_ngrams
        .iter()
        .map(|n| format!("c{n} ").into_bytes())
        .collect();
    let mut padded = Vec::with_capacity(64);
    for (i, w) in ws.iter().enumerate() {
        buf.clear();
        buf.extend_from_slice(b"w ");
        buf.extend_from_slice(w);
        f(&buf);
        if h.bigrams
            && let Some(next) = ws.get(i + 1)
        {
            buf.clear();
            buf.extend_from_slice(b"b ");
            buf.extend_from_slice(w);
            buf.push(b' ');
            buf.extend_from_slice(next);
            f(&buf);
        }
        if !h.char_ngrams.is_empty() {
            padded.clear();
            padded.push(b' ');
            padded.extend_from_slice(w);
            padded.push(b' ');
            for (&n, tag) in h.char_ngrams.iter().zip(&tags) {
                for g in padded.windows(n) {
                    buf.clear();
                    buf.extend_from_slice(tag);
                    buf.extend_from_slice(g);
                    f(&buf);
                }
            }
        }
    }
    if h.unicode {
        unicode_features(text, &mut buf, &mut f);
    }
}

/// `u <word>` and `u2 <pair>` for every Unicode alphanumeric run of `text`
/// that is not pure ASCII, lowercased; pairs are of characters.
fn unicode_features(text: &str, buf: &mut Vec<u8>, f: &mut impl FnMut(&[u8])) {
    let mut bounds = Vec::new();
    for tok in text.split(|c: char| !c.is_alphanumeric()) {
        if tok.is_ascii() {
            continue; // empty runs too
        }
        let t = tok.to_lowercase();
        buf.clear();
        buf.extend_from_slice(b"u ");
        buf.extend_from_slice(t.as_bytes());
        f(buf);
        bounds.clear();
        bounds.extend(t.char_indices().map(|(i, _)| i));
        bounds.push(t.len());
        for w in bounds.windows(3) {
            buf.clear();
            buf.extend_from_slice(b"u2 ");
            buf.extend_from_slice(&t.as_bytes()[w[0]..w[2]]);
            f(buf);
        }
    }
}

/// The texts of a tool the model reads, with their locations in the tool
/// (`name`, `description`, `inputSchema.properties.x.description`…).
pub fn tool_fields(tool: &Tool) -> Vec<(String, &str)> {
    let mut out: Vec<(String, &str)> = vec![("name".into(), tool.name.as_str())];
    if let Some(t) = &tool.title {
        out.push(("title".into(), t));
    }
    if let Some(d) = &tool.description {
        out.push(("description".into(), d));
    }
    if let Some(t) = tool.annotations.as_ref().and_then(|a| a.title.as_deref()) {
        out.push(("annotations.title".into(), t));
    }
    let head = out.len();
    if let Some(props) = tool
        .input_schema
        .get("properties")
        .and_then(|p| p.as_object())
    {
        for k in props.keys() {
            out.push((format!("inputSchema.properties.{k}"), k.as_str()));
        }
    }
    for st in schema_texts(&tool.input_schema, "inputSchema") {
        out.push((st.location, st.text));
    }
    // JSON object order depends on serde_json's `preserve_order` feature
    // (feature unification can turn it on in one build and not another):
    // sort the schema's fields by location so the text, and so the word
    // pairs across fields, are the same in every build.
    out[head..].sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The text of a tool the model scores: its [`tool_fields`] joined by
/// newlines ([`join_fields`]).
pub fn tool_text(tool: &Tool) -> String {
    join_fields(&tool_fields(tool))
}

/// Fields joined by newlines; a field with hidden characters or look-alike
/// letters is read as the model would see it (hidden characters removed,
/// look-alikes folded), so splitting words with U+200B does not evade.
pub fn join_fields(fields: &[(String, &str)]) -> String {
    let mut s = String::new();
    for (i, (_, t)) in fields.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        if t.chars()
            .any(|c| crate::text::needs_escape(c) || crate::text::confusable(c).is_some())
        {
            s.push_str(&crate::text::skeleton(t));
        } else {
            s.push_str(t);
        }
    }
    s
}

/// The sentence of a tool that contributes most to its score: (location,
/// byte range in that field's text).
pub fn strongest_sentence<'a>(
    model: &LinearModel,
    fields: &[(String, &'a str)],
) -> Option<(String, &'a str, usize, usize)> {
    let mut best: Option<(f32, String, &'a str, usize, usize)> = None;
    for (loc, text) in fields {
        for (a, b, sentence) in crate::semantic::split_sentences(text) {
            let s = model.sum(sentence);
            if best.as_ref().is_none_or(|x| s > x.0) {
                best = Some((s, loc.clone(), text, a, b));
            }
        }
    }
    best.map(|(_, l, t, a, b)| (l, t, a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(bias: f32, recs: &[(u32, f32)], extra: &str) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(
            format!(
                "{{\"bits\":8,\"bias\":{bias},\"threshold\":0.5,\"bigrams\":true,\"char_ngrams\":[]{extra},\"n\":{}}}\n",
                recs.len()
            )
            .as_bytes(),
        );
        for (k, w) in recs {
            b.extend_from_slice(&k.to_le_bytes());
            b.extend_from_slice(&w.to_le_bytes());
        }
        b
    }

    #[test]
    fn fnv1a_reference_values() {
        // Published FNV-1a 32-bit test vectors.
        assert_eq!(fnv1a(b""), 0x811c9dc5);
        assert_eq!(fnv1a(b"a"), 0xe40c292c);
        assert_eq!(fnv1a(b"foobar"), 0xbf9cf968);
    }

    #[test]
    fn identifiers() {
        for t in ["send_email", "get-user", "getUser", "_x_y", "a-1"] {
            assert!(is_ident(t.as_bytes()), "{t}");
        }
        for t in ["email", "GET", "__", "1-2", "Hello", "x-"] {
            assert!(!is_ident(t.as_bytes()), "{t}");
        }
    }

    #[test]
    fn ident_pairs_fold_names() {
        let mut got = Vec::new();
        let mut buf = Vec::new();
        let t = "Before calling `send_email`, call getUser.";
        ident_features(
            t.as_bytes(),
            t.to_ascii_lowercase().as_bytes(),
            &mut buf,
            &mut |f: &[u8]| got.push(String::from_utf8_lossy(f).into_owned()),
        );
        assert_eq!(got, ["i calling \u{1}", "i \u{1} call", "i call \u{1}"]);
    }

    /// A header with word unigrams only (and the Unicode words if asked).
    fn words_only(unicode: bool) -> Header {
        Header {
            bits: 8,
            bias: 0.0,
            threshold: 0.5,
            bigrams: false,
            char_ngrams: vec![],
            idents: false,
            unicode,
            idf_default: None,
            weak_rules: Default::default(),
            n: 0,
            trained: String::new(),
        }
    }

    #[test]
    fn words_are_ascii_lowercase_runs() {
        let h = words_only(false);
        let mut got = Vec::new();
        for_each_feature("Read ~/.ssh/ID_RSA, then café!", &h, |f| {
            got.push(String::from_utf8_lossy(f).into_owned())
        });
        assert_eq!(got, ["w read", "w ssh", "w id", "w rsa", "w then", "w caf"]);
    }

    #[test]
    fn unicode_words_and_character_pairs() {
        let h = words_only(true);
        let mut got = Vec::new();
        for_each_feature("Café: 不要告诉 ÉTÉ x", &h, |f| {
            got.push(String::from_utf8_lossy(f).into_owned())
        });
        assert_eq!(
            got,
            [
                // ASCII features first, as without `unicode`.
                "w caf",
                "w t",
                "w x",
                "u café",
                "u2 ca",
                "u2 af",
                "u2 fé",
                "u 不要告诉",
                "u2 不要",
                "u2 要告",
                "u2 告诉",
                "u été",
                "u2 ét",
                "u2 té",
            ]
        );
    }

    #[test]
    fn scores_sum_distinct_buckets() {
        let mask = 255;
        let secret = fnv1a(b"w secret") & mask;
        let pair = fnv1a(b"b do not") & mask;
        let m = LinearModel::from_bytes(&model(-1.0, &[(secret, 2.0), (pair, 0.5)], "")).unwrap();
        // "secret" twice counts once.
        let s = m.score("secret SECRET");
        assert!((s.margin - 1.0).abs() < 1e-6, "{s:?}");
        let s = m.score("Do not; secret");
        assert!((s.margin - 1.5).abs() < 1e-6, "{s:?}");
        assert!(m.score("nothing here").probability < 0.5);
    }

    #[test]
    fn tfidf_scores_normalise_by_idf() {
        let mask = 255;
        let a = fnv1a(b"w secret") & mask;
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(
            b"{\"bits\":8,\"bias\":0,\"threshold\":0.5,\"bigrams\":false,\"char_ngrams\":[],\"idf_default\":2.0,\"n\":1}\n",
        );
        b.extend_from_slice(&a.to_le_bytes());
        b.extend_from_slice(&3.0f32.to_le_bytes());
        b.extend_from_slice(&1.0f32.to_le_bytes());
        let m = LinearModel::from_bytes(&b).unwrap();
        // "secret": idf 1, weight 3 => 3 * 1 / sqrt(1).
        assert!((m.score("secret").margin - 3.0).abs() < 1e-5);
        // "secret word": the unseen "word" has idf 2 => 3 / sqrt(1 + 4).
        let want = 3.0 / 5f32.sqrt();
        assert!((m.score("secret word").margin - want).abs() < 1e-5);
        // A record without its idf is rejected.
        b.truncate(b.len() - 4);
        assert!(LinearModel::from_bytes(&b).is_err());
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        assert!(matches!(
            LinearModel::from_bytes(b"nope"),
            Err(ModelError::Magic)
        ));
        let mut short = model(0.0, &[(1, 1.0)], "");
        short.pop();
        assert!(matches!(
            LinearModel::from_bytes(&short),
            Err(ModelError::Invalid(_))
        ));
        assert!(matches!(
            LinearModel::from_bytes(&model(0.0, &[(300, 1.0)], "")),
            Err(ModelError::Invalid(_))
        ));
        assert!(matches!(
            LinearModel::from_bytes(&model(0.0, &[], ",\"extra\":1")),
            Err(ModelError::Header(_))
        ));
        assert!(matches!(
            LinearModel::from_bytes(&model(0.0, &[(1, f32::NAN)], "")),
            Err(ModelError::Invalid(_))
        ));
    }

    #[test]
    fn builtin_model_loads() {
        let m = LinearModel::builtin();
        assert!(m.header().n > 0);
    }
}
