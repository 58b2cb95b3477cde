//! Packagist (Composer) versions: Composer's `VersionParser::normalize`
//! followed by PHP's `version_compare`.

use std::cmp::Ordering;

/// Normalises like Composer: strips a leading `v`, pads the numeric part to
/// four components and canonicalises the stability suffix.
pub fn normalize(s: &str) -> String {
    let s = s.trim();
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    let s = s.split_once('+').map(|(a, _)| a).unwrap_or(s);
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, rest) = s.split_at(end);
    let mut parts: Vec<&str> = num
        .trim_end_matches('.')
        .split('.')
        .filter(|p| !p.is_empty())
        .collect();
    parts.truncate(4);
    let mut out: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
    while out.len() < 4 {
        out.push("0".into());
    }
    let mut n = out.join(".");
    let rest = rest.trim_start_matches(['-', '_', '.']);
    if !rest.is_empty() {
        let lower = rest.to_ascii_lowercase();
        let (word, tail): (String, String) = {
            let w: String = lower
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            let t = lower[w.len()..]
                .trim_start_matches(['-', '_', '.'])
                .to_string();
            (w, t)
        };
        let word = match word.as_str() {
            "a" | "alpha" => "alpha",
            "b" | "beta" => "beta",
            "rc" | "c" => "RC",
            "p" | "pl" | "patch" => "patch",
            "dev" => "dev",
            "stable" => "",
            other => return format!("{n}-{other}{tail}"),
        };
        if !word.is_empty() {
            n.push('-');
            n.push_str(word);
            n.push_str(&tail);
        }
    }
    n
}

fn canon(s: &str) -> Vec<String> {
    // PHP: insert '.' between digit/non-digit transitions, treat -_+ as '.'.
    let mut out = String::new();
    let mut prev: Option<char> = None;
    for c in s.chars() {
        let c = if matches!(c, '-' | '_' | '+') { '.' } else { c };
        if let Some(p) = prev
            && c != '.'
            && p != '.'
            && (p.is_ascii_digit() != c.is_ascii_digit())
        {
            out.push('.');
        }
        out.push(c);
        prev = Some(c);
    }
    out.split('.')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn special(s: &str) -> i32 {
    let forms = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    for (f, v) in forms {
        if s.starts_with(f) {
            return v;
        }
    }
    -6
}

fn cmp_part(a: &str, b: &str) -> Ordering {
    let an = a.bytes().all(|c| c.is_ascii_digit());
    let bn = b.bytes().all(|c| c.is_ascii_digit());
    match (an, bn) {
        (true, true) => {
            let (x, y) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            x.len().cmp(&y.len()).then_with(|| x.cmp(y))
        }
        (false, false) => special(a).cmp(&special(b)),
        (true, false) => special("#").cmp(&special(b)),
        (false, true) => special(a).cmp(&special("#")),
    }
}

/// PHP's `version_compare` on two (already normalised) strings.
pub fn php_version_compare(a: &str, b: &str) -> Ordering {
    let (pa, pb) = (canon(a), canon(b));
    let n = pa.len().max(pb.len());
    for i in 0..n {
        let c = match (pa.get(i), pb.get(i)) {
            (Some(x), Some(y)) => cmp_part(x, y),
            (Some(x), None) => {
                if x.bytes().all(|c| c.is_ascii_digit()) {
                    Ordering::Greater
                } else {
                    cmp_part(x, "#")
                }
            }
            (None, Some(y)) => {
                if y.bytes().all(|c| c.is_ascii_digit()) {
                    Ordering::Less
                } else {
                    cmp_part("#", y)
                }
            }
            (None, None) => Ordering::Equal,
        };
        if c != Ordering::Equal {
            return c;
        }
    }
    Ordering::Equal
}

/// Compares two Composer versions.
pub fn compare(a: &str, b: &str) -> Ordering {
    php_version_compare(&normalize(a), &normalize(b))
}
