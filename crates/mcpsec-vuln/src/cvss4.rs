//! CVSS v4.0 scoring, per the FIRST specification: the vector is reduced to
//! its macrovector (EQ1–EQ6), the macrovector's score is looked up in the
//! FIRST table, and the score is refined by the severity distance to the
//! highest vectors of that macrovector.

use std::collections::HashMap;

use crate::cvss::CvssError;

/// Values allowed for each metric (`X` = not defined).
const METRICS: &[(&str, &[&str])] = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", &["H", "L", "N"]),
    ("VI", &["H", "L", "N"]),
    ("VA", &["H", "L", "N"]),
    ("SC", &["H", "L", "N"]),
    ("SI", &["H", "L", "N"]),
    ("SA", &["H", "L", "N"]),
    ("E", &["X", "A", "P", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MAT", &["X", "N", "P"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "P", "A"]),
    ("MVC", &["X", "H", "L", "N"]),
    ("MVI", &["X", "H", "L", "N"]),
    ("MVA", &["X", "H", "L", "N"]),
    ("MSC", &["X", "H", "L", "N"]),
    ("MSI", &["X", "S", "H", "L", "N"]),
    ("MSA", &["X", "S", "H", "L", "N"]),
    ("S", &["X", "N", "P"]),
    ("AU", &["X", "N", "Y"]),
    ("R", &["X", "A", "U", "I"]),
    ("V", &["X", "D", "C"]),
    ("RE", &["X", "L", "M", "H"]),
    ("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

const MANDATORY: &[&str] = &[
    "AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA",
];

/// Highest-severity vectors of each EQ level (FIRST `maxComposed`).
fn max_composed(eq: usize, level: u8, eq6: u8) -> &'static [&'static str] {
    match (eq, level, eq6) {
        (1, 0, _) => &["AV:N/PR:N/UI:N/"],
        (1, 1, _) => &["AV:A/PR:N/UI:N/", "AV:N/PR:L/UI:N/", "AV:N/PR:N/UI:P/"],
        (1, 2, _) => &["AV:P/PR:N/UI:N/", "AV:A/PR:L/UI:P/"],
        (2, 0, _) => &["AC:L/AT:N/"],
        (2, 1, _) => &["AC:H/AT:N/", "AC:L/AT:P/"],
        (3, 0, 0) => &["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H/"],
        (3, 0, 1) => &[
            "VC:H/VI:H/VA:L/CR:M/IR:M/AR:H/",
            "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M/",
        ],
        (3, 1, 0) => &[
            "VC:L/VI:H/VA:H/CR:H/IR:H/AR:H/",
            "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H/",
        ],
        (3, 1, 1) => &[
            "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H/",
            "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M/",
            "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M/",
            "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H/",
            "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M/",
        ],
        (3, 2, 1) => &["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H/"],
        (4, 0, _) => &["SC:H/SI:S/SA:S/"],
        (4, 1, _) => &["SC:H/SI:H/SA:H/"],
        (4, 2, _) => &["SC:L/SI:L/SA:L/"],
        (5, 0, _) => &["E:A/"],
        (5, 1, _) => &["E:P/"],
        (5, 2, _) => &["E:U/"],
        _ => &[],
    }
}

/// FIRST `maxSeverity` (in steps of 0.1).
fn max_severity(eq: usize, level: u8, eq6: u8) -> f64 {
    let steps = match (eq, level, eq6) {
        (1, 0, _) => 1,
        (1, 1, _) => 4,
        (1, 2, _) => 5,
        (2, 0, _) => 1,
        (2, 1, _) => 2,
        (3, 0, 0) => 7,
        (3, 0, 1) => 6,
        (3, 1, _) => 8,
        (3, 2, _) => 10,
        (4, 0, _) => 6,
        (4, 1, _) => 5,
        (4, 2, _) => 4,
        _ => 1,
    };
    steps as f64 * 0.1
}

fn level(metric: &str, v: &str) -> f64 {
    match (metric, v) {
        ("AV", "N") | ("PR", "N") | ("UI", "N") | ("AC", "L") | ("AT", "N") => 0.0,
        ("AV", "A") | ("PR", "L") | ("UI", "P") | ("AC", "H") | ("AT", "P") => 0.1,
        ("AV", "L") | ("PR", "H") | ("UI", "A") => 0.2,
        ("AV", "P") => 0.3,
        ("VC" | "VI" | "VA", "H") => 0.0,
        ("VC" | "VI" | "VA", "L") => 0.1,
        ("VC" | "VI" | "VA", "N") => 0.2,
        ("SC" | "SI" | "SA", "S") => 0.0,
        ("SC" | "SI" | "SA", "H") => 0.1,
        ("SC" | "SI" | "SA", "L") => 0.2,
        ("SC" | "SI" | "SA", "N") => 0.3,
        ("CR" | "IR" | "AR", "H") => 0.0,
        ("CR" | "IR" | "AR", "M") => 0.1,
        ("CR" | "IR" | "AR", "L") => 0.2,
        _ => 0.0,
    }
}

fn lookup(mv: &[u8; 6]) -> Option<f64> {
    let key: String = mv.iter().map(|d| char::from(b'0' + d)).collect();
    LOOKUP.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// Round half up to one decimal after adding 1e-6, as the FIRST reference
/// implementation does, so that 5.05 computed as 5.0499999… rounds to 5.1.
fn round1(x: f64) -> f64 {
    let x = x + 1e-6;
    let s = format!("{x:.17}");
    let (int, frac) = s.split_once('.').unwrap_or((&s, "0"));
    let mut tenths: i64 =
        int.parse::<i64>().unwrap_or(0) * 10 + i64::from(frac.as_bytes()[0] - b'0');
    let rest = &frac[1..];
    if rest.as_bytes().first().is_some_and(|&d| d >= b'5') {
        tenths += 1;
    }
    tenths as f64 / 10.0
}

/// Scores a CVSS v4.0 vector (the single CVSS-BTE score).
pub fn score_v4(vector: &str) -> Result<f64, CvssError> {
    let bad = |r: String| CvssError::Malformed {
        vector: vector.chars().take(200).collect(),
        reason: r,
    };
    let body = vector
        .trim()
        .strip_prefix("CVSS:4.0/")
        .ok_or_else(|| bad("missing CVSS:4.0/ prefix".into()))?;
    let mut given: HashMap<&str, &str> = HashMap::new();
    for field in body.split('/') {
        let (k, v) = field
            .split_once(':')
            .ok_or_else(|| bad(format!("field {field:?} is not KEY:VALUE")))?;
        let allowed = METRICS
            .iter()
            .find(|(m, _)| *m == k)
            .ok_or_else(|| bad(format!("unknown metric {k}")))?;
        if !allowed.1.contains(&v) {
            return Err(bad(format!("{k}:{v} is not a valid value")));
        }
        if given.insert(k, v).is_some() {
            return Err(bad(format!("metric {k} repeated")));
        }
    }
    if let Some(m) = MANDATORY.iter().find(|m| !given.contains_key(*m)) {
        return Err(bad(format!("missing mandatory metric {m}")));
    }
    // Effective value: the modified metric when defined; E, CR, IR, AR default high.
    let m = |metric: &str| -> &str {
        let sel = given.get(metric).copied().unwrap_or("X");
        match (metric, sel) {
            ("E", "X") => return "A",
            ("CR" | "IR" | "AR", "X") => return "H",
            _ => {}
        }
        if let Some(&ms) = given.get(format!("M{metric}").as_str())
            && ms != "X"
        {
            return ms;
        }
        sel
    };
    let (av, pr, ui) = (m("AV"), m("PR"), m("UI"));
    let eq1 = if av == "N" && pr == "N" && ui == "N" {
        0
    } else if (av == "N" || pr == "N" || ui == "N") && av != "P" {
        1
    } else {
        2
    };
    let eq2 = if m("AC") == "L" && m("AT") == "N" {
        0
    } else {
        1
    };
    let (vc, vi, va) = (m("VC"), m("VI"), m("VA"));
    let eq3 = if vc == "H" && vi == "H" {
        0
    } else if vc == "H" || vi == "H" || va == "H" {
        1
    } else {
        2
    };
    let (sc, si, sa) = (m("SC"), m("SI"), m("SA"));
    let eq4 = if si == "S" || sa == "S" {
        0
    } else if sc == "H" || si == "H" || sa == "H" {
        1
    } else {
        2
    };
    let eq5 = match m("E") {
        "A" => 0,
        "P" => 1,
        _ => 2,
    };
    let eq6 = if (m("CR") == "H" && vc == "H")
        || (m("IR") == "H" && vi == "H")
        || (m("AR") == "H" && va == "H")
    {
        0
    } else {
        1
    };
    if [vc, vi, va, sc, si, sa].iter().all(|v| *v == "N") {
        return Ok(0.0);
    }
    let mv = [eq1, eq2, eq3, eq4, eq5, eq6];
    let value = lookup(&mv).ok_or_else(|| bad("no macrovector score".into()))?;
    let next = |i: usize| {
        let mut n = mv;
        n[i] += 1;
        lookup(&n)
    };
    let (s1, s2, s4, s5) = (next(0), next(1), next(3), next(4));
    let s36 = match (eq3, eq6) {
        // Python's max(): a NaN on the left wins, a NaN on the right loses.
        (0, 0) => match (next(5), next(2)) {
            (Some(a), Some(b)) => Some(if b > a { b } else { a }),
            (Some(a), None) => Some(a),
            (None, _) => None,
        },
        (1, 0) => next(5),
        (_, 1) => next(2),
        _ => {
            let mut n = mv;
            n[2] += 1;
            n[5] += 1;
            lookup(&n)
        }
    };

    // Distance to the first highest vector that is not less severe.
    let mut maxes = Vec::new();
    for a in max_composed(1, eq1, 0) {
        for b in max_composed(2, eq2, 0) {
            for c in max_composed(3, eq3, eq6) {
                for d in max_composed(4, eq4, 0) {
                    for e in max_composed(5, eq5, 0) {
                        maxes.push(format!("{a}{b}{c}{d}{e}"));
                    }
                }
            }
        }
    }
    let names = [
        "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR",
    ];
    let mut dist: HashMap<&str, f64> = HashMap::new();
    for mx in &maxes {
        let mvals: HashMap<&str, &str> = mx.split('/').filter_map(|f| f.split_once(':')).collect();
        dist = names
            .iter()
            .map(|n| {
                (
                    *n,
                    level(n, m(n)) - level(n, mvals.get(n).copied().unwrap_or("X")),
                )
            })
            .collect();
        if dist.values().all(|d| *d >= 0.0) {
            break;
        }
    }
    let d = |n: &str| dist.get(n).copied().unwrap_or(0.0);
    let cur1 = d("AV") + d("PR") + d("UI");
    let cur2 = d("AC") + d("AT");
    let cur36 = d("VC") + d("VI") + d("VA") + d("CR") + d("IR") + d("AR");
    let cur4 = d("SC") + d("SI") + d("SA");

    let mut n_lower = 0u32;
    let mut total = 0.0;
    for (next_score, cur, maxsev) in [
        (s1, cur1, max_severity(1, eq1, 0)),
        (s2, cur2, max_severity(2, eq2, 0)),
        (s36, cur36, max_severity(3, eq3, eq6)),
        (s4, cur4, max_severity(4, eq4, 0)),
    ] {
        if let Some(ns) = next_score {
            let avail = value - ns;
            if avail >= 0.0 {
                n_lower += 1;
                total += avail * (cur / maxsev);
            }
        }
    }
    if let Some(ns) = s5
        && value - ns >= 0.0
    {
        n_lower += 1;
    }
    let mean = if n_lower == 0 {
        0.0
    } else {
        total / f64::from(n_lower)
    };
    Ok(round1((value - mean).clamp(0.0, 10.0)))
}

pub(crate) const LOOKUP: &[(&str, f64)] = &[
    ("000000", 10.0),
    ("000001", 9.9),
    ("000010", 9.8),
    ("000011", 9.5),
    ("000020", 9.5),
    ("000021", 9.2),
    ("000100", 10.0),
    ("000101", 9.6),
    ("000110", 9.3),
    ("000111", 8.7),
    ("000120", 9.1),
    ("000121", 8.1),
    ("000200", 9.3),
    ("000201", 9.0),
    ("000210", 8.9),
    ("000211", 8.0),
    ("000220", 8.1),
    ("000221", 6.8),
    ("001000", 9.8),
    ("001001", 9.5),
    ("001010", 9.5),
    ("001011", 9.2),
    ("001020", 9.0),
    ("001021", 8.4),
    ("001100", 9.3),
    ("001101", 9.2),
    ("001110", 8.9),
    ("001111", 8.1),
    ("001120", 8.1),
    ("001121", 6.5),
    ("001200", 8.8),
    ("001201", 8.0),
    ("001210", 7.8),
    ("001211", 7.0),
    ("001220", 6.9),
    ("001221", 4.8),
    ("002001", 9.2),
    ("002011", 8.2),
    ("002021", 7.2),
    ("002101", 7.9),
    ("002111", 6.9),
    ("002121", 5.0),
    ("002201", 6.9),
    ("002211", 5.5),
    ("002221", 2.7),
    ("010000", 9.9),
    ("010001", 9.7),
    ("010010", 9.5),
    ("010011", 9.2),
    ("010020", 9.2),
    ("010021", 8.5),
    ("010100", 9.5),
    ("010101", 9.1),
    ("010110", 9.0),
    ("010111", 8.3),
    ("010120", 8.4),
    ("010121", 7.1),
    ("010200", 9.2),
    ("010201", 8.1),
    ("010210", 8.2),
    ("010211", 7.1),
    ("010220", 7.2),
    ("010221", 5.3),
    ("011000", 9.5),
    ("011001", 9.3),
    ("011010", 9.2),
    ("011011", 8.5),
    ("011020", 8.5),
    ("011021", 7.3),
    ("011100", 9.2),
    ("011101", 8.2),
    ("011110", 8.0),
    ("011111", 7.2),
    ("011120", 7.0),
    ("011121", 5.9),
    ("011200", 8.4),
    ("011201", 7.0),
    ("011210", 7.1),
    ("011211", 5.2),
    ("011220", 5.0),
    ("011221", 3.0),
    ("012001", 8.6),
    ("012011", 7.5),
    ("012021", 5.2),
    ("012101", 7.1),
    ("012111", 5.2),
    ("012121", 2.9),
    ("012201", 6.3),
    ("012211", 2.9),
    ("012221", 1.7),
    ("100000", 9.8),
    ("100001", 9.5),
    ("100010", 9.4),
    ("100011", 8.7),
    ("100020", 9.1),
    ("100021", 8.1),
    ("100100", 9.4),
    ("100101", 8.9),
    ("100110", 8.6),
    ("100111", 7.4),
    ("100120", 7.7),
    ("100121", 6.4),
    ("100200", 8.7),
    ("100201", 7.5),
    ("100210", 7.4),
    ("100211", 6.3),
    ("100220", 6.3),
    ("100221", 4.9),
    ("101000", 9.4),
    ("101001", 8.9),
    ("101010", 8.8),
    ("101011", 7.7),
    ("101020", 7.6),
    ("101021", 6.7),
    ("101100", 8.6),
    ("101101", 7.6),
    ("101110", 7.4),
    ("101111", 5.8),
    ("101120", 5.9),
    ("101121", 5.0),
    ("101200", 7.2),
    ("101201", 5.7),
    ("101210", 5.7),
    ("101211", 5.2),
    ("101220", 5.2),
    ("101221", 2.5),
    ("102001", 8.3),
    ("102011", 7.0),
    ("102021", 5.4),
    ("102101", 6.5),
    ("102111", 5.8),
    ("102121", 2.6),
    ("102201", 5.3),
    ("102211", 2.1),
    ("102221", 1.3),
    ("110000", 9.5),
    ("110001", 9.0),
    ("110010", 8.8),
    ("110011", 7.6),
    ("110020", 7.6),
    ("110021", 7.0),
    ("110100", 9.0),
    ("110101", 7.7),
    ("110110", 7.5),
    ("110111", 6.2),
    ("110120", 6.1),
    ("110121", 5.3),
    ("110200", 7.7),
    ("110201", 6.6),
    ("110210", 6.8),
    ("110211", 5.9),
    ("110220", 5.2),
    ("110221", 3.0),
    ("111000", 8.9),
    ("111001", 7.8),
    ("111010", 7.6),
    ("111011", 6.7),
    ("111020", 6.2),
    ("111021", 5.8),
    ("111100", 7.4),
    ("111101", 5.9),
    ("111110", 5.7),
    ("111111", 5.7),
    ("111120", 4.7),
    ("111121", 2.3),
    ("111200", 6.1),
    ("111201", 5.2),
    ("111210", 5.7),
    ("111211", 2.9),
    ("111220", 2.4),
    ("111221", 1.6),
    ("112001", 7.1),
    ("112011", 5.9),
    ("112021", 3.0),
    ("112101", 5.8),
    ("112111", 2.6),
    ("112121", 1.5),
    ("112201", 2.3),
    ("112211", 1.3),
    ("112221", 0.6),
    ("200000", 9.3),
    ("200001", 8.7),
    ("200010", 8.6),
    ("200011", 7.2),
    ("200020", 7.5),
    ("200021", 5.8),
    ("200100", 8.6),
    ("200101", 7.4),
    ("200110", 7.4),
    ("200111", 6.1),
    ("200120", 5.6),
    ("200121", 3.4),
    ("200200", 7.0),
    ("200201", 5.4),
    ("200210", 5.2),
    ("200211", 4.0),
    ("200220", 4.0),
    ("200221", 2.2),
    ("201000", 8.5),
    ("201001", 7.5),
    ("201010", 7.4),
    ("201011", 5.5),
    ("201020", 6.2),
    ("201021", 5.1),
    ("201100", 7.2),
    ("201101", 5.7),
    ("201110", 5.5),
    ("201111", 4.1),
    ("201120", 4.6),
    ("201121", 1.9),
    ("201200", 5.3),
    ("201201", 3.6),
    ("201210", 3.4),
    ("201211", 1.9),
    ("201220", 1.9),
    ("201221", 0.8),
    ("202001", 6.4),
    ("202011", 5.1),
    ("202021", 2.0),
    ("202101", 4.7),
    ("202111", 2.1),
    ("202121", 1.1),
    ("202201", 2.4),
    ("202211", 0.9),
    ("202221", 0.4),
    ("210000", 8.8),
    ("210001", 7.5),
    ("210010", 7.3),
    ("210011", 5.3),
    ("210020", 6.0),
    ("210021", 5.0),
    ("210100", 7.3),
    ("210101", 5.5),
    ("210110", 5.9),
    ("210111", 4.0),
    ("210120", 4.1),
    ("210121", 2.0),
    ("210200", 5.4),
    ("210201", 4.3),
    ("210210", 4.5),
    ("210211", 2.2),
    ("210220", 2.0),
    ("210221", 1.1),
    ("211000", 7.5),
    ("211001", 5.5),
    ("211010", 5.8),
    ("211011", 4.5),
    ("211020", 4.0),
    ("211021", 2.1),
    ("211100", 6.1),
    ("211101", 5.1),
    ("211110", 4.8),
    ("211111", 1.8),
    ("211120", 2.0),
    ("211121", 0.9),
    ("211200", 4.6),
    ("211201", 1.8),
    ("211210", 1.7),
    ("211211", 0.7),
    ("211220", 0.8),
    ("211221", 0.2),
    ("212001", 5.3),
    ("212011", 2.4),
    ("212021", 1.4),
    ("212101", 2.4),
    ("212111", 1.2),
    ("212121", 0.5),
    ("212201", 1.0),
    ("212211", 0.3),
    ("212221", 0.1),
];
