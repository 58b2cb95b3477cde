//! NuGet versions: up to four numeric parts (`Major.Minor.Patch.Revision`),
//! case-insensitive pre-release labels, metadata ignored (NuGet.Versioning).

use std::cmp::Ordering;

/// A NuGet version.
#[derive(Debug, Clone)]
pub struct NuGetVersion {
    pub parts: [u64; 4],
    pub labels: Vec<String>,
}

impl NuGetVersion {
    pub fn parse(s: &str) -> Option<NuGetVersion> {
        let s = s.trim();
        let s = s.split_once('+').map(|(a, _)| a).unwrap_or(s);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (s, None),
        };
        let nums: Vec<&str> = core.split('.').collect();
        if nums.is_empty() || nums.len() > 4 {
            return None;
        }
        let mut parts = [0u64; 4];
        for (i, n) in nums.iter().enumerate() {
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parts[i] = n.parse().ok()?;
        }
        let labels = match pre {
            Some(p) => {
                let l: Vec<String> = p.split('.').map(str::to_string).collect();
                if l.iter().any(|x| {
                    x.is_empty() || !x.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                }) {
                    return None;
                }
                l
            }
            None => Vec::new(),
        };
        Some(NuGetVersion { parts, labels })
    }
}

fn cmp_label(a: &str, b: &str) -> Ordering {
    let an = a.bytes().all(|c| c.is_ascii_digit());
    let bn = b.bytes().all(|c| c.is_ascii_digit());
    match (an, bn) {
        (true, true) => {
            let (x, y) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            x.len().cmp(&y.len()).then_with(|| x.cmp(y))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()),
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, o: &Self) -> Ordering {
        self.parts
            .cmp(&o.parts)
            .then_with(|| match (self.labels.is_empty(), o.labels.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.labels.iter().zip(&o.labels) {
                        let c = cmp_label(a, b);
                        if c != Ordering::Equal {
                            return c;
                        }
                    }
                    self.labels.len().cmp(&o.labels.len())
                }
            })
    }
}
impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl PartialEq for NuGetVersion {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for NuGetVersion {}
