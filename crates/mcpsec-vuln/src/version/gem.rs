//! RubyGems `Gem::Version` ordering.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Num(String),
    Str(String),
}

/// A RubyGems version.
#[derive(Debug, Clone)]
pub struct GemVersion {
    segs: Vec<Seg>,
}

fn cmp_num(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl GemVersion {
    /// Parses per `Gem::Version.correct?`; an empty string is version "0".
    pub fn parse(s: &str) -> Option<GemVersion> {
        let s = s.trim();
        let s = if s.is_empty() { "0" } else { s };
        // ANCHORED_VERSION_PATTERN: [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?
        let (main, pre) = match s.split_once('-') {
            Some((m, p)) => (m, Some(p)),
            None => (s, None),
        };
        let mut parts = main.split('.');
        let first = parts.next()?;
        if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        if !parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric())) {
            return None;
        }
        if let Some(p) = pre
            && !p
                .split('.')
                .all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        {
            return None;
        }
        let text = s.replace('-', ".pre.");
        let mut segs = Vec::new();
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i].is_ascii_digit() {
                let st = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                segs.push(Seg::Num(text[st..i].to_string()));
            } else if b[i].is_ascii_alphabetic() {
                let st = i;
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                segs.push(Seg::Str(text[st..i].to_string()));
            } else {
                i += 1;
            }
        }
        // canonical_segments: drop trailing zeros of the numeric and the string part.
        let split = segs
            .iter()
            .position(|s| matches!(s, Seg::Str(_)))
            .unwrap_or(segs.len());
        let (mut num, mut rest) = (segs[..split].to_vec(), segs[split..].to_vec());
        let is_zero = |s: &Seg| matches!(s, Seg::Num(n) if n.bytes().all(|c| c == b'0'));
        while num.last().is_some_and(is_zero) {
            num.pop();
        }
        while rest.last().is_some_and(is_zero) {
            rest.pop();
        }
        num.extend(rest);
        Some(GemVersion { segs: num })
    }

    pub fn is_prerelease(&self) -> bool {
        self.segs.iter().any(|s| matches!(s, Seg::Str(_)))
    }
}

impl Ord for GemVersion {
    fn cmp(&self, o: &Self) -> Ordering {
        let zero = Seg::Num("0".into());
        let n = self.segs.len().max(o.segs.len());
        for i in 0..n {
            let l = self.segs.get(i).unwrap_or(&zero);
            let r = o.segs.get(i).unwrap_or(&zero);
            let c = match (l, r) {
                (Seg::Num(a), Seg::Num(b)) => cmp_num(a, b),
                (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
                (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
                (Seg::Str(a), Seg::Str(b)) => a.cmp(b),
            };
            if c != Ordering::Equal {
                return c;
            }
        }
        Ordering::Equal
    }
}
impl PartialOrd for GemVersion {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl PartialEq for GemVersion {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for GemVersion {}
