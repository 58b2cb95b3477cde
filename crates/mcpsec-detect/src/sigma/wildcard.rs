//! Sigma string values: wildcards (`*`, `?`), escapes (`\*`, `\?`, `\\`) and
//! a matcher compiled from them.
//!
//! A backslash escapes only a wildcard or another backslash; anywhere else
//! it is a literal backslash (so `C:\Windows\*` is the directory `C:\Windows\`
//! followed by anything).

/// One piece of a parsed Sigma string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// Parses a Sigma string into literal runs and wildcards.
pub fn parse_pattern(s: &str) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::new();
    let mut lit = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    lit.push(n);
                    chars.next();
                }
                _ => lit.push('\\'),
            },
            '*' | '?' => {
                if !lit.is_empty() {
                    out.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                let p = if c == '*' { Piece::Star } else { Piece::One };
                // Consecutive stars are one star.
                if !(p == Piece::Star && out.last() == Some(&Piece::Star)) {
                    out.push(p);
                }
            }
            c => lit.push(c),
        }
    }
    if !lit.is_empty() {
        out.push(Piece::Lit(lit));
    }
    out
}

/// Writes pieces back as a Sigma string (escaping literal wildcards and backslashes
/// where needed), so that `parse_pattern(&to_sigma(p)) == p`.
pub fn to_sigma(pieces: &[Piece]) -> String {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Star => s.push('*'),
            Piece::One => s.push('?'),
            Piece::Lit(l) => {
                for c in l.chars() {
                    if matches!(c, '*' | '?' | '\\') {
                        s.push('\\');
                    }
                    s.push(c);
                }
            }
        }
    }
    s
}

/// Whether the pieces hold any wildcard.
pub fn has_wildcards(pieces: &[Piece]) -> bool {
    pieces.iter().any(|p| !matches!(p, Piece::Lit(_)))
}

/// The literal text of wildcard-free pieces.
pub fn literal(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Lit(l) => l.as_str(),
            Piece::Star => "*",
            Piece::One => "?",
        })
        .collect()
}

/// A compiled string matcher. Case handling is the caller's: compile
/// lowercased pieces and match lowercased text for case-insensitive use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StrMatcher {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(Box<Substring>),
    /// `a*b` — prefix and suffix with anything between.
    PrefixSuffix(String, String),
    /// General pattern.
    Glob(Vec<GlobTok>),
}

/// A substring with its precompiled searcher.
#[derive(Clone)]
pub struct Substring {
    text: String,
    finder: memchr::memmem::Finder<'static>,
}

impl Substring {
    pub fn new(text: &str) -> Substring {
        Substring {
            text: text.to_string(),
            finder: memchr::memmem::Finder::new(text.as_bytes()).into_owned(),
        }
    }
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl PartialEq for Substring {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for Substring {}

impl std::fmt::Debug for Substring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.text)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GlobTok {
    Char(char),
    One,
    Star,
}

impl StrMatcher {
    pub fn new(pieces: &[Piece]) -> StrMatcher {
        use Piece::*;
        match pieces {
            [] => StrMatcher::Exact(String::new()),
            [Lit(a)] => StrMatcher::Exact(a.clone()),
            [Star] => StrMatcher::Prefix(String::new()),
            [Lit(a), Star] => StrMatcher::Prefix(a.clone()),
            [Star, Lit(a)] => StrMatcher::Suffix(a.clone()),
            [Star, Lit(a), Star] => StrMatcher::Contains(Box::new(Substring::new(a))),
            [Lit(a), Star, Lit(b)] => StrMatcher::PrefixSuffix(a.clone(), b.clone()),
            _ => StrMatcher::Glob(
                pieces
                    .iter()
                    .flat_map(|p| match p {
                        Lit(l) => l.chars().map(GlobTok::Char).collect::<Vec<_>>(),
                        Star => vec![GlobTok::Star],
                        One => vec![GlobTok::One],
                    })
                    .collect(),
            ),
        }
    }

    pub fn is_match(&self, s: &str) -> bool {
        match self {
            StrMatcher::Exact(a) => s == a,
            StrMatcher::Prefix(a) => s.starts_with(a.as_str()),
            StrMatcher::Suffix(a) => s.ends_with(a.as_str()),
            StrMatcher::Contains(a) => a.finder.find(s.as_bytes()).is_some(),
            StrMatcher::PrefixSuffix(a, b) => {
                s.len() >= a.len() + b.len() && s.starts_with(a.as_str()) && s.ends_with(b.as_str())
            }
            StrMatcher::Glob(toks) => glob_match(toks, s),
        }
    }
}

/// Wildcard matching with backtracking to the last star only: O(n·m) worst
/// case, never exponential.
fn glob_match(p: &[GlobTok], s: &str) -> bool {
    let s: Vec<char> = s.chars().collect();
    let (mut pi, mut si) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(GlobTok::Char(c)) if *c == s[si] => {
                pi += 1;
                si += 1;
            }
            Some(GlobTok::One) => {
                pi += 1;
                si += 1;
            }
            Some(GlobTok::Star) => {
                star = Some((pi, si));
                pi += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|t| *t == GlobTok::Star)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pat: &str, s: &str) -> bool {
        StrMatcher::new(&parse_pattern(pat)).is_match(s)
    }

    #[test]
    fn wildcards() {
        assert!(m("abc", "abc"));
        assert!(!m("abc", "abcd"));
        assert!(m("ab*", "abcd"));
        assert!(m("*cd", "abcd"));
        assert!(m("*bc*", "abcd"));
        assert!(m("a*d", "abcd"));
        assert!(!m("a*d", "ad_"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!m("*a*b*c*", "xxcxxbxxaxx"));
        assert!(m("?", "é"));
        assert!(m("*", ""));
        assert!(m("", ""));
        assert!(m("a**b", "ab"));
        assert!(m("*?*", "x"));
        assert!(!m("*?*", ""));
    }

    #[test]
    fn escapes() {
        assert_eq!(parse_pattern(r"a\*b"), vec![Piece::Lit("a*b".into())]);
        assert!(m(r"a\*b", "a*b"));
        assert!(!m(r"a\*b", "axb"));
        assert!(m(r"a\?b", "a?b"));
        assert!(!m(r"a\?b", "axb"));
        // `\\` is one backslash and the star after it is a wildcard.
        assert!(m(r"c:\\*", r"c:\anything"));
        // A backslash before anything else is literal.
        assert!(m(r"C:\Windows\System32\\*", r"C:\Windows\System32\cmd.exe"));
        // `\*` is an escaped star: SigmaHQ uses it for a literal `*` (`del \*.bak`).
        assert!(!m(r"C:\Windows\*", r"C:\Windows\cmd.exe"));
        assert!(m(r"*\*.bak", r"del C:\*.bak"));
        assert_eq!(parse_pattern(r"\\"), vec![Piece::Lit("\\".into())]);
        assert_eq!(parse_pattern(r"a\"), vec![Piece::Lit("a\\".into())]);
        for p in [r"a\*b*", r"\\\?", "x?y*z", r"\a\\b"] {
            let pieces = parse_pattern(p);
            assert_eq!(parse_pattern(&to_sigma(&pieces)), pieces, "{p}");
        }
    }
}
