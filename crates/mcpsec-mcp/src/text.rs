//! Text helpers shared by the analyzers: invisible and bidirectional Unicode,
//! Unicode tag characters, confusable letters, visible rendering of evidence,
//! entropy, and JSON-with-comments clean-up for client config files.

use std::fmt::Write as _;

/// Bidirectional formatting characters (Trojan Source, CVE-2021-42574).
pub fn is_bidi(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Unicode tag characters (U+E0000–U+E007F): invisible ASCII look-alikes
/// ("ASCII smuggling").
pub fn is_tag(c: char) -> bool {
    ('\u{E0000}'..='\u{E007F}').contains(&c)
}

/// Characters that render as nothing (or nearly nothing) and can hide or
/// split text: zero-width characters, word joiners, fillers, invisible
/// operators, the byte-order mark, variation selectors of the supplement
/// block ("emoji smuggling") and control characters other than tab and line
/// breaks (including ESC of ANSI terminal sequences). Bidi and tag characters
/// have their own predicates.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}' | '\u{180E}'
        | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{206A}'..='\u{206F}'
        | '\u{3164}' | '\u{FEFF}' | '\u{FFA0}' | '\u{E0100}'..='\u{E01EF}'
    ) || (c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

/// Whether a zero-width joiner at byte `i` of `s` joins two pictographs (an
/// emoji sequence such as a family emoji), which is benign.
pub fn is_emoji_zwj(s: &str, i: usize) -> bool {
    let before = s[..i].chars().next_back();
    let after = s[i + '\u{200D}'.len_utf8()..].chars().next();
    let pictograph = |c: Option<char>| {
        c.is_some_and(|c| c as u32 >= 0x2190 && !c.is_alphanumeric() && !is_invisible(c))
    };
    pictograph(before) && pictograph(after)
}

/// Whether `c` should be shown as `<U+XXXX>` in evidence.
pub fn needs_escape(c: char) -> bool {
    is_invisible(c) || is_bidi(c) || is_tag(c)
}

/// Renders `s` with every invisible, bidi or tag character as `<U+XXXX>`.
pub fn render_visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if needs_escape(c) {
            let _ = write!(out, "<U+{:04X}>", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// The ASCII text hidden in Unicode tag characters (U+E0020–U+E007E map to
/// ASCII 0x20–0x7E).
pub fn decode_tags(s: &str) -> String {
    s.chars()
        .filter(|c| ('\u{E0020}'..='\u{E007E}').contains(c))
        .map(|c| char::from_u32(c as u32 - 0xE0000).unwrap_or('?'))
        .collect()
}

/// The Latin letter a confusable character imitates, for the Cyrillic and
/// Greek look-alikes, fullwidth ASCII and a few Latin extensions.
pub fn confusable(c: char) -> Option<char> {
    let m = match c {
        // Cyrillic
        'а' => 'a',
        'е' => 'e',
        'о' => 'o',
        'р' => 'p',
        'с' => 'c',
        'у' => 'y',
        'х' => 'x',
        'і' => 'i',
        'ј' => 'j',
        'ѕ' => 's',
        'ԁ' => 'd',
        'ԛ' => 'q',
        'ԝ' => 'w',
        'һ' => 'h',
        'ӏ' => 'l',
        'ѵ' => 'v',
        'к' => 'k',
        'м' => 'm',
        'т' => 't',
        'в' => 'b',
        'н' => 'h',
        'А' => 'A',
        'В' => 'B',
        'Е' => 'E',
        'К' => 'K',
        'М' => 'M',
        'Н' => 'H',
        'О' => 'O',
        'Р' => 'P',
        'С' => 'C',
        'Т' => 'T',
        'Х' => 'X',
        'У' => 'Y',
        'І' => 'I',
        'Ј' => 'J',
        'Ѕ' => 'S',
        'Ԁ' => 'D',
        'Ԛ' => 'Q',
        'Ԝ' => 'W',
        // Greek
        'α' => 'a',
        'ο' => 'o',
        'ν' => 'v',
        'ρ' => 'p',
        'ι' => 'i',
        'κ' => 'k',
        'υ' => 'u',
        'ε' => 'e',
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        // Latin look-alikes
        'ı' => 'i',
        'ɡ' => 'g',
        'ɑ' => 'a',
        'ℓ' => 'l',
        'ß' => 'b',
        // Fullwidth ASCII
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0)?,
        _ => return None,
    };
    Some(m)
}

/// `s` with every confusable character replaced by the letter it imitates
/// and invisible characters removed: what a person reading it sees.
pub fn skeleton(s: &str) -> String {
    s.chars()
        .filter(|c| !needs_escape(*c))
        .map(|c| confusable(c).unwrap_or(c))
        .collect()
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::<char, usize>::new();
    let mut n = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    counts
        .values()
        .map(|&k| {
            let p = k as f64 / n as f64;
            -p * p.log2()
        })
        .sum()
}

/// Maximum length of an evidence string, in characters (before rendering).
pub const MAX_EVIDENCE_CHARS: usize = 200;

/// The evidence for a match at `start..end` of `text`: the span itself,
/// truncated to [`MAX_EVIDENCE_CHARS`], with invisible characters rendered.
pub fn evidence(text: &str, start: usize, end: usize) -> String {
    let span = text.get(start..end).unwrap_or("");
    let mut out: String = span.chars().take(MAX_EVIDENCE_CHARS).collect();
    let cut = out.len() < span.len();
    out = render_visible(&out).replace('\n', "\\n");
    if cut {
        out.push('…');
    }
    out
}

/// The evidence around byte `at` of `text`: up to `radius` characters on each
/// side (within the line), rendered visibly.
pub fn evidence_around(text: &str, at: usize, len: usize, radius: usize) -> String {
    let before: Vec<(usize, char)> = text[..at]
        .char_indices()
        .rev()
        .take_while(|(_, c)| *c != '\n')
        .take(radius)
        .collect();
    let start = before.last().map(|(i, _)| *i).unwrap_or(at);
    let after_start = (at + len).min(text.len());
    let mut end = after_start;
    for (n, (i, c)) in text[after_start..].char_indices().enumerate() {
        if n >= radius || c == '\n' {
            break;
        }
        end = after_start + i + c.len_utf8();
    }
    render_visible(&text[start..end]).replace('\n', "\\n")
}

/// Turns JSON with comments (`//`, `/* */`) and trailing commas — as VS Code,
/// Zed and Claude Code accept — into plain JSON. Strings are left untouched;
/// positions of line breaks are kept so error line numbers stay right.
pub fn strip_jsonc(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            out.push(c);
            if c == b'\\' && i + 1 < b.len() {
                out.push(b[i + 1]);
                i += 2;
                continue;
            }
            if c == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => {
                in_str = true;
                out.push(c);
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    if b[i] == b'\n' {
                        out.push(b'\n');
                    }
                    i += 1;
                }
                i = (i + 2).min(b.len());
            }
            b',' => {
                // Drop a comma followed (after whitespace and comments) by `}` or `]`.
                let mut j = i + 1;
                loop {
                    while j < b.len() && b[j].is_ascii_whitespace() {
                        j += 1;
                    }
                    if b.get(j) == Some(&b'/') && b.get(j + 1) == Some(&b'/') {
                        while j < b.len() && b[j] != b'\n' {
                            j += 1;
                        }
                    } else if b.get(j) == Some(&b'/') && b.get(j + 1) == Some(&b'*') {
                        j += 2;
                        while j < b.len() && !(b[j] == b'*' && b.get(j + 1) == Some(&b'/')) {
                            j += 1;
                        }
                        j = (j + 2).min(b.len());
                    } else {
                        break;
                    }
                }
                if !matches!(b.get(j), Some(b'}') | Some(b']')) {
                    out.push(c);
                }
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    // Only ASCII bytes were removed, outside strings: still valid UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_invisible() {
        assert_eq!(
            render_visible("a\u{200B}b\u{202E}c\u{E0041}"),
            "a<U+200B>b<U+202E>c<U+E0041>"
        );
        assert_eq!(render_visible("plain é ✓"), "plain é ✓");
    }

    #[test]
    fn tags_decode() {
        let hidden: String = "hi you"
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xE0000).unwrap())
            .collect();
        assert_eq!(decode_tags(&format!("ok{hidden}")), "hi you");
    }

    #[test]
    fn skeleton_maps_lookalikes() {
        assert_eq!(skeleton("rеad_filе"), "read_file");
        assert_eq!(skeleton("ｓｅｎｄ"), "send");
    }

    #[test]
    fn jsonc() {
        let s = "{\n // c\n \"a\": \"http://x//y\", /* b */\n \"b\": [1,2,],\n}";
        let v: serde_json::Value = serde_json::from_str(&strip_jsonc(s)).unwrap();
        assert_eq!(v["a"], "http://x//y");
        assert_eq!(v["b"], serde_json::json!([1, 2]));
    }

    #[test]
    fn emoji_zwj_is_benign() {
        let s = "family 👨\u{200D}👩";
        let i = s.find('\u{200D}').unwrap();
        assert!(is_emoji_zwj(s, i));
        let s = "ad\u{200D}d";
        assert!(!is_emoji_zwj(s, 2));
    }
}
