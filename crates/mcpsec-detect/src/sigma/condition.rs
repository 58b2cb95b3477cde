//! The Sigma condition language: a tokenizer and a recursive-descent parser.
//!
//! Grammar (precedence from loosest to tightest: `or`, `and`, `not`):
//!
//! ```text
//! expr    := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := "not" unary | primary
//! primary := "(" expr ")" | quant pattern | IDENT
//! quant   := "all" "of" | N "of" | "any" "of"
//! pattern := "them" | IDENT-with-wildcards
//! ```
//!
//! Keywords are case-insensitive. `them` means every search whose name does
//! not start with `_`.

use std::fmt;

/// What a quantifier ranges over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Them,
    /// A search name pattern with `*` wildcards.
    Pattern(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    Search(String),
    Not(Box<Condition>),
    And(Vec<Condition>),
    Or(Vec<Condition>),
    /// At least `n` of the selected searches (`1 of x*`).
    AtLeast(u32, Selector),
    /// Every selected search.
    All(Selector),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Num(u32),
    And,
    Or,
    Not,
    Of,
    All,
    Any,
    Them,
    LParen,
    RParen,
}

/// Why a condition does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConditionError(pub String);

const MAX_DEPTH: usize = 64;

fn tokenize(s: &str) -> Result<Vec<Tok>, ConditionError> {
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '(' {
            out.push(Tok::LParen);
            chars.next();
        } else if c == ')' {
            out.push(Tok::RParen);
            chars.next();
        } else if c.is_alphanumeric() || c == '_' || c == '*' || c == '-' || c == '.' || c == '?' {
            let mut end = i;
            while let Some(&(j, d)) = chars.peek() {
                if d.is_alphanumeric() || d == '_' || d == '*' || d == '-' || d == '.' || d == '?' {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let word = &s[i..end];
            out.push(match word.to_ascii_lowercase().as_str() {
                "and" => Tok::And,
                "or" => Tok::Or,
                "not" => Tok::Not,
                "of" => Tok::Of,
                "all" => Tok::All,
                "any" => Tok::Any,
                "them" => Tok::Them,
                _ if word.bytes().all(|b| b.is_ascii_digit()) => Tok::Num(
                    word.parse()
                        .map_err(|_| ConditionError(format!("number {word} too large")))?,
                ),
                _ => Tok::Ident(word.to_string()),
            });
        } else {
            return Err(ConditionError(format!("unexpected character {c:?} at {i}")));
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }
    fn expr(&mut self) -> Result<Condition, ConditionError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ConditionError("condition nested too deeply".into()));
        }
        let mut terms = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            self.next();
            terms.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if terms.len() == 1 {
            terms.pop().expect("one")
        } else {
            Condition::Or(terms)
        })
    }
    fn and(&mut self) -> Result<Condition, ConditionError> {
        let mut terms = vec![self.unary()?];
        while self.peek() == Some(&Tok::And) {
            self.next();
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 {
            terms.pop().expect("one")
        } else {
            Condition::And(terms)
        })
    }
    fn unary(&mut self) -> Result<Condition, ConditionError> {
        if self.peek() == Some(&Tok::Not) {
            self.next();
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(ConditionError("condition nested too deeply".into()));
            }
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Condition::Not(Box::new(inner)));
        }
        self.primary()
    }
    fn selector(&mut self) -> Result<Selector, ConditionError> {
        if self.next() != Some(Tok::Of) {
            return Err(ConditionError("expected `of` after a quantifier".into()));
        }
        match self.next() {
            Some(Tok::Them) => Ok(Selector::Them),
            Some(Tok::Ident(p)) => Ok(Selector::Pattern(p)),
            other => Err(ConditionError(format!(
                "expected `them` or a search pattern after `of`, found {other:?}"
            ))),
        }
    }
    fn primary(&mut self) -> Result<Condition, ConditionError> {
        match self.next() {
            Some(Tok::LParen) => {
                let e = self.expr()?;
                if self.next() != Some(Tok::RParen) {
                    return Err(ConditionError("missing `)`".into()));
                }
                Ok(e)
            }
            Some(Tok::All) => Ok(Condition::All(self.selector()?)),
            Some(Tok::Any) => Ok(Condition::AtLeast(1, self.selector()?)),
            Some(Tok::Num(n)) => {
                if n == 0 {
                    return Err(ConditionError("`0 of` is meaningless".into()));
                }
                Ok(Condition::AtLeast(n, self.selector()?))
            }
            Some(Tok::Ident(name)) => {
                if name.contains('*') || name.contains('?') {
                    return Err(ConditionError(format!(
                        "wildcard {name:?} outside `1 of`/`all of`"
                    )));
                }
                Ok(Condition::Search(name))
            }
            Some(t) => Err(ConditionError(format!("unexpected {t:?}"))),
            None => Err(ConditionError("unexpected end of condition".into())),
        }
    }
}

/// Parses a condition string.
pub fn parse_condition(s: &str) -> Result<Condition, ConditionError> {
    let toks = tokenize(s)?;
    if toks.is_empty() {
        return Err(ConditionError("empty condition".into()));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
    };
    let c = p.expr()?;
    if p.pos < p.toks.len() {
        return Err(ConditionError(format!(
            "unexpected {:?} after the end of the expression",
            p.toks[p.pos]
        )));
    }
    Ok(c)
}

/// Whether a search name matches a selector pattern (`*` wildcards, exact otherwise).
pub fn selector_matches(sel: &Selector, name: &str) -> bool {
    match sel {
        Selector::Them => !name.starts_with('_'),
        Selector::Pattern(p) => glob_names(p.as_bytes(), name.as_bytes()),
    }
}

fn glob_names(p: &[u8], s: &[u8]) -> bool {
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&b| b == b'*')
}

impl Condition {
    /// Checks that every name and pattern refers to at least one search.
    pub fn check_identifiers(&self, names: &[&str]) -> Result<(), String> {
        match self {
            Condition::Search(n) => {
                if names.contains(&n.as_str()) {
                    Ok(())
                } else {
                    Err(format!("condition names unknown search {n:?}"))
                }
            }
            Condition::Not(c) => c.check_identifiers(names),
            Condition::And(cs) | Condition::Or(cs) => {
                cs.iter().try_for_each(|c| c.check_identifiers(names))
            }
            Condition::AtLeast(_, sel) | Condition::All(sel) => {
                if names.iter().any(|n| selector_matches(sel, n)) {
                    Ok(())
                } else {
                    Err(format!("condition pattern {sel} matches no search"))
                }
            }
        }
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Them => f.write_str("them"),
            Selector::Pattern(p) => f.write_str(p),
        }
    }
}

/// Prints a condition fully parenthesised, so that it parses back to itself.
impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, cs: &[Condition], op: &str| -> fmt::Result {
            f.write_str("(")?;
            for (i, c) in cs.iter().enumerate() {
                if i > 0 {
                    write!(f, " {op} ")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str(")")
        };
        match self {
            Condition::Search(n) => f.write_str(n),
            Condition::Not(c) => write!(f, "not {c}"),
            Condition::And(cs) => join(f, cs, "and"),
            Condition::Or(cs) => join(f, cs, "or"),
            Condition::AtLeast(n, s) => write!(f, "{n} of {s}"),
            Condition::All(s) => write!(f, "all of {s}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Condition::*;

    fn s(n: &str) -> Condition {
        Search(n.into())
    }

    #[test]
    fn precedence_and_grouping() {
        assert_eq!(
            parse_condition("a or b and not c").unwrap(),
            Or(vec![s("a"), And(vec![s("b"), Not(Box::new(s("c")))])])
        );
        assert_eq!(
            parse_condition("(a or b) and c").unwrap(),
            And(vec![Or(vec![s("a"), s("b")]), s("c")])
        );
        assert_eq!(
            parse_condition("not not a").unwrap(),
            Not(Box::new(Not(Box::new(s("a")))))
        );
        assert_eq!(
            parse_condition("A AND B").unwrap(),
            And(vec![s("A"), s("B")])
        );
        assert_eq!(
            parse_condition("selection and not 1 of filter_main_* and not 1 of filter_optional_*")
                .unwrap(),
            And(vec![
                s("selection"),
                Not(Box::new(AtLeast(
                    1,
                    Selector::Pattern("filter_main_*".into())
                ))),
                Not(Box::new(AtLeast(
                    1,
                    Selector::Pattern("filter_optional_*".into())
                ))),
            ])
        );
        assert_eq!(parse_condition("all of them").unwrap(), All(Selector::Them));
        assert_eq!(
            parse_condition("1 of them").unwrap(),
            AtLeast(1, Selector::Them)
        );
        assert_eq!(
            parse_condition("any of sel*").unwrap(),
            AtLeast(1, Selector::Pattern("sel*".into()))
        );
        assert_eq!(
            parse_condition("2 of sel*").unwrap(),
            AtLeast(2, Selector::Pattern("sel*".into()))
        );
        assert_eq!(
            parse_condition("sel and\n (\n 1 of x_*\n )").unwrap(),
            And(vec![s("sel"), AtLeast(1, Selector::Pattern("x_*".into()))])
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "a and",
            "(a",
            "a)",
            "a b",
            "1 of",
            "all them",
            "0 of x",
            "sel*",
            "a | count() > 3",
            "not",
            "of x",
        ] {
            assert!(parse_condition(bad).is_err(), "{bad:?} should not parse");
        }
        let deep = "(".repeat(500) + "a" + &")".repeat(500);
        assert!(parse_condition(&deep).is_err());
    }

    #[test]
    fn selectors() {
        assert!(selector_matches(
            &Selector::Pattern("sel*".into()),
            "selection"
        ));
        assert!(selector_matches(
            &Selector::Pattern("*_main_*".into()),
            "filter_main_x"
        ));
        assert!(!selector_matches(
            &Selector::Pattern("sel*".into()),
            "filter"
        ));
        assert!(selector_matches(&Selector::Them, "sel"));
        assert!(!selector_matches(&Selector::Them, "_private"));
        assert!(
            parse_condition("1 of x*")
                .unwrap()
                .check_identifiers(&["y"])
                .is_err()
        );
        assert!(
            parse_condition("a and 1 of x*")
                .unwrap()
                .check_identifiers(&["a", "x1"])
                .is_ok()
        );
    }

    #[test]
    fn display_round_trips() {
        for c in [
            "a or b and not c",
            "(a or b) and c",
            "all of them",
            "not 1 of f_* and s",
            "2 of x",
        ] {
            let p = parse_condition(c).unwrap();
            assert_eq!(parse_condition(&p.to_string()).unwrap(), p, "{c}");
        }
    }
}
