//! Property tests: the condition parser and the wildcard matcher never
//! panic, round-trip where they can, and agree with a reference model.

use mcpsec_detect::sigma::condition::{Condition, Selector, parse_condition};
use mcpsec_detect::sigma::rule::parse_documents;
use mcpsec_detect::sigma::wildcard::{Piece, StrMatcher, parse_pattern, to_sigma};
use proptest::prelude::*;

fn ident() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,6}".prop_filter("not a keyword", |s| {
        !matches!(
            s.as_str(),
            "and" | "or" | "not" | "of" | "all" | "any" | "them"
        )
    })
}

fn condition() -> impl Strategy<Value = Condition> {
    let leaf = prop_oneof![
        ident().prop_map(Condition::Search),
        (1u32..4, ident())
            .prop_map(|(n, p)| Condition::AtLeast(n, Selector::Pattern(format!("{p}*")))),
        Just(Condition::All(Selector::Them)),
        Just(Condition::AtLeast(1, Selector::Them)),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            inner.clone().prop_map(|c| Condition::Not(Box::new(c))),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Condition::And),
            prop::collection::vec(inner, 2..4).prop_map(Condition::Or),
        ]
    })
}

/// Flattens nested and/or of the same kind, as the parser produces them.
fn canonical(c: Condition) -> Condition {
    match c {
        Condition::And(cs) => Condition::And(
            cs.into_iter()
                .map(canonical)
                .flat_map(|c| {
                    if let Condition::And(v) = c {
                        v
                    } else {
                        vec![c]
                    }
                })
                .collect(),
        ),
        Condition::Or(cs) => Condition::Or(
            cs.into_iter()
                .map(canonical)
                .flat_map(|c| if let Condition::Or(v) = c { v } else { vec![c] })
                .collect(),
        ),
        Condition::Not(c) => Condition::Not(Box::new(canonical(*c))),
        other => other,
    }
}

/// Reference wildcard matcher: plain recursion over chars.
fn reference(p: &[Piece], s: &[char]) -> bool {
    fn go(p: &[char], wild: &[bool], s: &[char]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some('*') if wild[0] => (0..=s.len()).any(|i| go(&p[1..], &wild[1..], &s[i..])),
            Some('?') if wild[0] => !s.is_empty() && go(&p[1..], &wild[1..], &s[1..]),
            Some(c) => s.first() == Some(c) && go(&p[1..], &wild[1..], &s[1..]),
        }
    }
    let mut chars = Vec::new();
    let mut wild = Vec::new();
    for piece in p {
        match piece {
            Piece::Lit(l) => {
                for c in l.chars() {
                    chars.push(c);
                    wild.push(false);
                }
            }
            Piece::Star => {
                chars.push('*');
                wild.push(true);
            }
            Piece::One => {
                chars.push('?');
                wild.push(true);
            }
        }
    }
    go(&chars, &wild, s)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn condition_parser_never_panics(s in "[a-z_*() 0-9]{0,60}|(and|or|not|of|all|them|1|\\(|\\)|sel\\*|x| ){0,20}") {
        let _ = parse_condition(&s);
    }

    #[test]
    fn condition_display_round_trips(c in condition()) {
        let c = canonical(c);
        let text = c.to_string();
        let parsed = parse_condition(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(parsed, c);
    }

    #[test]
    fn wildcard_matcher_agrees_with_reference(pat in "[ab*?\\\\]{0,8}", s in "[ab*?\\\\]{0,10}") {
        let pieces = parse_pattern(&pat);
        let fast = StrMatcher::new(&pieces).is_match(&s);
        let chars: Vec<char> = s.chars().collect();
        prop_assert_eq!(fast, reference(&pieces, &chars), "pattern {:?} pieces {:?} on {:?}", pat, pieces, s);
    }

    #[test]
    fn wildcard_escaping_round_trips(pat in "\\PC{0,12}") {
        let pieces = parse_pattern(&pat);
        prop_assert_eq!(parse_pattern(&to_sigma(&pieces)), pieces);
    }

    #[test]
    fn wildcard_matcher_never_panics(pat in "\\PC{0,16}", s in "\\PC{0,32}") {
        let _ = StrMatcher::new(&parse_pattern(&pat)).is_match(&s);
    }

    #[test]
    fn rule_parser_never_panics(s in "\\PC{0,200}") {
        let _ = parse_documents(&s);
    }

    #[test]
    fn rule_parser_never_panics_on_rule_like_yaml(
        sel in "[a-zA-Z|]{1,20}", val in "[a-z*?\\\\ %-]{0,12}", cond in "[a-z_ ()*0-9]{0,30}"
    ) {
        let text = format!("title: t\nlogsource: {{product: windows}}\ndetection:\n  s:\n    '{sel}': '{val}'\n  condition: {cond}\n");
        if let Ok(docs) = parse_documents(&text) {
            let (set, _errors) = mcpsec_detect::RuleSet::from_sources(vec![("p.yml".into(), text)], &Default::default());
            let ev = mcpsec_detect::LogEvent::from_json(&serde_json::json!({"a": "b"}));
            for r in set.rules() {
                let _ = r.matches(&ev);
            }
            prop_assert!(!docs.is_empty());
        }
    }
}

/// CEF/LEEF-shaped lines: headers with escapes and random extensions.
fn cef_like() -> impl Strategy<Value = String> {
    (
        prop_oneof![
            Just(""),
            Just("<134>May  1 10:00:00 fw "),
            Just("<13>1 - h a - - - "),
            Just("May  1 10:00:00 h app[1]: ")
        ],
        prop_oneof![
            Just("CEF:0|"),
            Just("LEEF:1.0|"),
            Just("LEEF:2.0|"),
            Just("CEF:")
        ],
        "([a-z\\\\|=^ \t]|x5E|0x09|é){0,60}",
    )
        .prop_map(|(a, b, c)| format!("{a}{b}{c}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn line_parsers_never_panic(s in "\\PC{0,200}") {
        let now = chrono::Utc::now();
        let _ = mcpsec_detect::cef::parse_line(&s, now);
        let _ = mcpsec_detect::cef::parse_cef(&s);
        let _ = mcpsec_detect::cef::parse_leef(&s);
        let _ = mcpsec_detect::syslog::parse(&s, now);
    }

    #[test]
    fn cef_leef_parsers_never_panic_on_shaped_input(s in cef_like()) {
        let now = chrono::Utc::now();
        let l = mcpsec_detect::cef::parse_line(&s, now);
        // Whatever the line, the record is usable as an event.
        let rec = serde_json::Value::Object(l.record.into_iter().collect());
        let _ = mcpsec_detect::LogEvent::from_json(&rec).get("src");
    }

    #[test]
    fn cef_extension_values_round_trip(
        values in prop::collection::vec("[a-zA-Z0-9 =\\\\|\n\r.:/?&-]{0,20}", 1..5)
    ) {
        // Escape as a CEF sender must, and read back the same values.
        let esc = |v: &str| v.replace('\\', "\\\\").replace('=', "\\=").replace('\n', "\\n").replace('\r', "\\r");
        let ext: Vec<String> = values.iter().enumerate().map(|(i, v)| format!("k{i}={}", esc(v))).collect();
        let line = format!("CEF:0|V|P|1|sig|name|5|{}", ext.join(" "));
        let rec = mcpsec_detect::cef::parse_cef(&line).unwrap();
        for (i, v) in values.iter().enumerate() {
            let got = rec.get(&format!("k{i}")).and_then(|x| x.as_str()).unwrap_or("<missing>");
            prop_assert_eq!(got, v.trim_end_matches(' '), "line {}", line);
        }
    }

    #[test]
    fn json_and_line_readers_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = mcpsec_detect::input::read_json_bytes(&bytes, true, &mut |_| {});
        let _ = mcpsec_detect::input::read_lines_from(
            &bytes[..],
            mcpsec_detect::input::InputFormat::Syslog,
            chrono::Utc::now(),
            &mut |_| {},
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The shared literal prefilter never changes a result: random rules of
    /// string modifiers (with wildcards, `all`, `cased`) over random events.
    #[test]
    fn prefilter_agrees_with_plain_matching(
        rules in prop::collection::vec(
            (
                prop_oneof![Just(""), Just("|contains"), Just("|startswith"), Just("|endswith"),
                            Just("|contains|all"), Just("|contains|cased"), Just("|windash")],
                prop::collection::vec("[abAB*? -]{1,5}", 1..5),
                prop_oneof![Just("a"), Just("b"), Just("keywords")],
            ),
            1..6,
        ),
        events in prop::collection::vec(("[abAB -]{0,12}", "[abAB -]{0,12}"), 1..6),
    ) {
        use mcpsec_detect::hunt::match_event;
        use mcpsec_detect::ruleset::{DispatchCache, LoadOptions};
        let sources: Vec<(std::path::PathBuf, String)> = rules
            .iter()
            .enumerate()
            .map(|(i, (m, vals, field))| {
                let list: Vec<String> = vals.iter().map(|v| format!("'{v}'")).collect();
                let search = if *field == "keywords" {
                    // A keyword search over every string of the event.
                    format!("[{}]", list.join(", "))
                } else {
                    format!("\n    {field}{m}: [{}]", list.join(", "))
                };
                (
                    format!("r{i}.yml").into(),
                    format!(
                        "title: r{i}\nlogsource: {{product: test}}\ndetection:\n  s: {search}\n  condition: s\n"
                    ),
                )
            })
            .collect();
        let load = |no_prefilter: bool| {
            mcpsec_detect::RuleSet::from_sources(
                sources.clone(),
                &LoadOptions { no_prefilter, ..Default::default() },
            )
            .0
        };
        let (with, without) = (load(false), load(true));
        prop_assert_eq!(with.len(), rules.len());
        prop_assert_eq!(without.len(), rules.len());
        let (mut c1, mut c2) = (DispatchCache::default(), DispatchCache::default());
        for (a, b) in &events {
            let ev = mcpsec_detect::LogEvent::from_json(&serde_json::json!({"a": a, "b": [b, a]}));
            let (mut e1, mut e2) = (ev.clone(), ev);
            prop_assert_eq!(
                match_event(&with, &mut c1, &mut e1),
                match_event(&without, &mut c2, &mut e2),
                "{:?} on {:?}", sources, (a, b)
            );
        }
    }
}
