//! Alpine (apk-tools) version ordering: digits, letters, `_suffix[N]`
//! (`alpha` < `beta` < `pre` < `rc` < release < `cvs` < `svn` < `git` < `hg`
//! < `p`) and `-rN` revisions, as in apk-tools' `version.c`.

use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tok {
    Invalid = -1,
    DigitOrZero = 0,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    RevisionNo,
    End,
}

const PRE: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

struct Cursor<'a> {
    b: &'a [u8],
}

fn next_token(t: &mut Tok, c: &mut Cursor) {
    let mut n = Tok::Invalid;
    if c.b.is_empty() || c.b[0] == 0 {
        n = Tok::End;
    } else if matches!(*t, Tok::Digit | Tok::DigitOrZero) && c.b[0].is_ascii_lowercase() {
        n = Tok::Letter;
    } else if *t == Tok::Letter && c.b[0].is_ascii_digit() {
        n = Tok::Digit;
    } else if *t == Tok::Suffix && c.b[0].is_ascii_digit() {
        n = Tok::SuffixNo;
    } else {
        match c.b[0] {
            b'.' => n = Tok::DigitOrZero,
            b'_' => n = Tok::Suffix,
            b'-' => {
                if c.b.len() > 1 && c.b[1] == b'r' {
                    n = Tok::RevisionNo;
                    c.b = &c.b[1..];
                } else {
                    n = Tok::Invalid;
                }
            }
            _ => {}
        }
        c.b = &c.b[1..];
    }
    if n < *t
        && !((n == Tok::DigitOrZero && *t == Tok::Digit)
            || (n == Tok::Suffix && *t == Tok::SuffixNo)
            || (n == Tok::Digit && *t == Tok::Letter))
    {
        n = Tok::Invalid;
    }
    *t = n;
}

fn get_token(t: &mut Tok, c: &mut Cursor) -> i64 {
    let mut v: i64 = 0;
    let mut i = 0usize;
    let mut nt = Tok::Invalid;
    if c.b.is_empty() {
        *t = Tok::End;
        return 0;
    }
    let digits = |i: &mut usize, v: &mut i64| {
        while *i < c.b.len() && c.b[*i].is_ascii_digit() {
            *v = v.saturating_mul(10).saturating_add((c.b[*i] - b'0') as i64);
            *i += 1;
        }
    };
    match *t {
        Tok::DigitOrZero if c.b[0] == b'0' => {
            while i < c.b.len() && c.b[i] == b'0' {
                i += 1;
            }
            nt = Tok::Digit;
            v = -(i as i64);
        }
        Tok::DigitOrZero | Tok::Digit | Tok::SuffixNo | Tok::RevisionNo => digits(&mut i, &mut v),
        Tok::Letter => {
            v = c.b[0] as i64;
            i = 1;
        }
        Tok::Suffix => {
            if let Some(k) = PRE.iter().position(|s| c.b.starts_with(s.as_bytes())) {
                i = PRE[k].len();
                v = k as i64 - PRE.len() as i64;
            } else if let Some(k) = POST.iter().position(|s| c.b.starts_with(s.as_bytes())) {
                i = POST[k].len();
                v = k as i64;
            } else {
                *t = Tok::Invalid;
                return -1;
            }
        }
        _ => {
            *t = Tok::Invalid;
            return -1;
        }
    }
    c.b = &c.b[i..];
    if c.b.is_empty() {
        *t = Tok::End;
    } else if nt != Tok::Invalid {
        *t = nt;
    } else {
        next_token(t, c);
    }
    v
}

/// Compares two apk version strings (`apk_version_compare`).
pub fn apk_compare(a: &str, b: &str) -> Ordering {
    let (mut ca, mut cb) = (Cursor { b: a.as_bytes() }, Cursor { b: b.as_bytes() });
    let (mut at, mut bt) = (Tok::Digit, Tok::Digit);
    let (mut av, mut bv) = (0i64, 0i64);
    while at == bt && at != Tok::End && at != Tok::Invalid && av == bv {
        av = get_token(&mut at, &mut ca);
        bv = get_token(&mut bt, &mut cb);
    }
    if av < bv {
        return Ordering::Less;
    }
    if av > bv {
        return Ordering::Greater;
    }
    if at == bt {
        return Ordering::Equal;
    }
    let mut tt = at;
    if at == Tok::Suffix && get_token(&mut tt, &mut ca) < 0 {
        return Ordering::Less;
    }
    let mut tt = bt;
    if bt == Tok::Suffix && get_token(&mut tt, &mut cb) < 0 {
        return Ordering::Greater;
    }
    if at > bt {
        return Ordering::Less;
    }
    if bt > at {
        return Ordering::Greater;
    }
    Ordering::Equal
}

/// Whether apk considers the string a valid version.
pub fn apk_valid(s: &str) -> bool {
    if s.is_empty() {
        return false;
    }
    let mut c = Cursor { b: s.as_bytes() };
    let mut t = Tok::Digit;
    while t != Tok::End && t != Tok::Invalid {
        get_token(&mut t, &mut c);
    }
    t == Tok::End
}
