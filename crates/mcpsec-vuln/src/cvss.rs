//! CVSS calculators: v2 (base, temporal, environmental), v3.0/v3.1
//! (base, temporal, environmental) and v4.0 (CVSS-BTE), per the FIRST specifications.

use std::collections::HashMap;

use mcpsec_core::domain::Severity;

/// A vector that could not be scored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvssError {
    #[error("unknown CVSS version in {0:?}")]
    Version(String),
    #[error("malformed CVSS vector {vector:?}: {reason}")]
    Malformed { vector: String, reason: String },
}

/// Scores of one vector. Temporal and environmental scores are `None` when
/// the vector names none of those metrics (v2) — v3 always yields them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scores {
    pub base: f64,
    pub temporal: Option<f64>,
    pub environmental: Option<f64>,
}

/// Which CVSS version a vector is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CvssVersion {
    V2,
    V30,
    V31,
    V40,
}

impl CvssVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            CvssVersion::V2 => "2.0",
            CvssVersion::V30 => "3.0",
            CvssVersion::V31 => "3.1",
            CvssVersion::V40 => "4.0",
        }
    }
}

/// Detects the version of a vector string.
pub fn version_of(vector: &str) -> Result<CvssVersion, CvssError> {
    let v = vector.trim();
    if v.starts_with("CVSS:3.1/") {
        Ok(CvssVersion::V31)
    } else if v.starts_with("CVSS:3.0/") {
        Ok(CvssVersion::V30)
    } else if v.starts_with("CVSS:4.0/") {
        Ok(CvssVersion::V40)
    } else if v.starts_with("AV:") || v.starts_with("(AV:") || v.starts_with("CVSS:2.0/") {
        Ok(CvssVersion::V2)
    } else {
        Err(CvssError::Version(v.chars().take(40).collect()))
    }
}

/// Scores any supported vector.
pub fn score(vector: &str) -> Result<Scores, CvssError> {
    match version_of(vector)? {
        CvssVersion::V2 => score_v2(vector),
        CvssVersion::V30 | CvssVersion::V31 => score_v3(vector),
        CvssVersion::V40 => crate::cvss4::score_v4(vector).map(|b| Scores {
            base: b,
            temporal: None,
            environmental: None,
        }),
    }
}

/// The qualitative rating of a score (v3/v4 scale; v2 uses the NVD ranges).
pub fn severity_of(version: CvssVersion, score: f64) -> Severity {
    match version {
        CvssVersion::V2 => {
            if score >= 7.0 {
                Severity::High
            } else if score >= 4.0 {
                Severity::Medium
            } else {
                Severity::Low
            }
        }
        _ => {
            if score >= 9.0 {
                Severity::Critical
            } else if score >= 7.0 {
                Severity::High
            } else if score >= 4.0 {
                Severity::Medium
            } else if score > 0.0 {
                Severity::Low
            } else {
                Severity::Info
            }
        }
    }
}

fn parse_metrics(vector: &str, prefix_len: usize) -> Result<HashMap<String, String>, CvssError> {
    let body = &vector.trim()[prefix_len..];
    let body = body.trim_start_matches('(').trim_end_matches(')');
    let mut m = HashMap::new();
    for part in body.split('/') {
        let (k, v) = part.split_once(':').ok_or_else(|| CvssError::Malformed {
            vector: vector.into(),
            reason: format!("component {part:?} is not KEY:VALUE"),
        })?;
        if m.insert(k.to_string(), v.to_string()).is_some() {
            return Err(CvssError::Malformed {
                vector: vector.into(),
                reason: format!("metric {k} repeated"),
            });
        }
    }
    Ok(m)
}

fn metric(
    m: &HashMap<String, String>,
    vector: &str,
    key: &str,
    table: &[(&str, f64)],
    default: Option<&str>,
) -> Result<f64, CvssError> {
    let val = match m.get(key) {
        Some(v) => v.as_str(),
        None => default.ok_or_else(|| CvssError::Malformed {
            vector: vector.into(),
            reason: format!("missing {key}"),
        })?,
    };
    table
        .iter()
        .find(|(k, _)| *k == val)
        .map(|(_, x)| *x)
        .ok_or_else(|| CvssError::Malformed {
            vector: vector.into(),
            reason: format!("{key}:{val} is not a valid value"),
        })
}

/// Round half up to one decimal, robust to binary noise.
fn round1(x: f64) -> f64 {
    ((x * 10.0) + 0.5 + 1e-9).floor() / 10.0
}

/// CVSS v3.1 Roundup (also used for 3.0: the same value except where 3.0's
/// floating-point definition was ambiguous).
fn roundup(x: f64) -> f64 {
    let i = (x * 100_000.0).round() as i64;
    if i % 10_000 == 0 {
        i as f64 / 100_000.0
    } else {
        ((i / 10_000) + 1) as f64 / 10.0
    }
}

/// Scores a CVSS v2 vector.
pub fn score_v2(vector: &str) -> Result<Scores, CvssError> {
    let prefix = if vector.trim().starts_with("CVSS:2.0/") {
        9
    } else {
        0
    };
    let m = parse_metrics(vector, prefix)?;
    let known = [
        "AV", "AC", "Au", "C", "I", "A", "E", "RL", "RC", "CDP", "TD", "CR", "IR", "AR",
    ];
    if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(CvssError::Malformed {
            vector: vector.into(),
            reason: format!("unknown metric {k}"),
        });
    }
    let av = metric(
        &m,
        vector,
        "AV",
        &[("L", 0.395), ("A", 0.646), ("N", 1.0)],
        None,
    )?;
    let ac = metric(
        &m,
        vector,
        "AC",
        &[("H", 0.35), ("M", 0.61), ("L", 0.71)],
        None,
    )?;
    let au = metric(
        &m,
        vector,
        "Au",
        &[("M", 0.45), ("S", 0.56), ("N", 0.704)],
        None,
    )?;
    let cia = [("N", 0.0), ("P", 0.275), ("C", 0.660)];
    let c = metric(&m, vector, "C", &cia, None)?;
    let i = metric(&m, vector, "I", &cia, None)?;
    let a = metric(&m, vector, "A", &cia, None)?;
    let e = metric(
        &m,
        vector,
        "E",
        &[
            ("U", 0.85),
            ("POC", 0.9),
            ("F", 0.95),
            ("H", 1.0),
            ("ND", 1.0),
        ],
        Some("ND"),
    )?;
    let rl = metric(
        &m,
        vector,
        "RL",
        &[
            ("OF", 0.87),
            ("TF", 0.90),
            ("W", 0.95),
            ("U", 1.0),
            ("ND", 1.0),
        ],
        Some("ND"),
    )?;
    let rc = metric(
        &m,
        vector,
        "RC",
        &[("UC", 0.90), ("UR", 0.95), ("C", 1.0), ("ND", 1.0)],
        Some("ND"),
    )?;
    let cdp = metric(
        &m,
        vector,
        "CDP",
        &[
            ("N", 0.0),
            ("L", 0.1),
            ("LM", 0.3),
            ("MH", 0.4),
            ("H", 0.5),
            ("ND", 0.0),
        ],
        Some("ND"),
    )?;
    let td = metric(
        &m,
        vector,
        "TD",
        &[
            ("N", 0.0),
            ("L", 0.25),
            ("M", 0.75),
            ("H", 1.0),
            ("ND", 1.0),
        ],
        Some("ND"),
    )?;
    let req = [("L", 0.5), ("M", 1.0), ("H", 1.51), ("ND", 1.0)];
    let cr = metric(&m, vector, "CR", &req, Some("ND"))?;
    let ir = metric(&m, vector, "IR", &req, Some("ND"))?;
    let ar = metric(&m, vector, "AR", &req, Some("ND"))?;

    let base_with = |impact: f64| {
        let expl = 20.0 * av * ac * au;
        let f = if impact == 0.0 { 0.0 } else { 1.176 };
        round1(((0.6 * impact) + (0.4 * expl) - 1.5) * f)
    };
    let impact = 10.41 * (1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a));
    let base = base_with(impact);
    let has_temporal = ["E", "RL", "RC"].iter().any(|k| m.contains_key(*k));
    let has_env = ["CDP", "TD", "CR", "IR", "AR"]
        .iter()
        .any(|k| m.contains_key(*k));
    let temporal = has_temporal.then(|| round1(base * e * rl * rc));
    let environmental = has_env.then(|| {
        let adj_impact =
            (10.41 * (1.0 - (1.0 - c * cr) * (1.0 - i * ir) * (1.0 - a * ar))).min(10.0);
        let adj_base = base_with(adj_impact);
        let adj_temporal = round1(adj_base * e * rl * rc);
        round1((adj_temporal + (10.0 - adj_temporal) * cdp) * td)
    });
    Ok(Scores {
        base,
        temporal,
        environmental,
    })
}

/// Scores a CVSS v3.0 or v3.1 vector (base, temporal and environmental).
pub fn score_v3(vector: &str) -> Result<Scores, CvssError> {
    let v31 = vector.trim().starts_with("CVSS:3.1/");
    let m = parse_metrics(vector, 9)?;
    let known = [
        "AV", "AC", "PR", "UI", "S", "C", "I", "A", "E", "RL", "RC", "CR", "IR", "AR", "MAV",
        "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA",
    ];
    if let Some(k) = m.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(CvssError::Malformed {
            vector: vector.into(),
            reason: format!("unknown metric {k}"),
        });
    }
    let get = |k: &str| m.get(k).map(String::as_str);
    let scope_changed = match get("S") {
        Some("U") => false,
        Some("C") => true,
        _ => {
            return Err(CvssError::Malformed {
                vector: vector.into(),
                reason: "missing or invalid S".into(),
            });
        }
    };
    let avt = [("N", 0.85), ("A", 0.62), ("L", 0.55), ("P", 0.2)];
    let act = [("L", 0.77), ("H", 0.44)];
    let uit = [("N", 0.85), ("R", 0.62)];
    let ciat = [("H", 0.56), ("L", 0.22), ("N", 0.0)];
    let pr_of = |val: &str, changed: bool| -> Option<f64> {
        Some(match (val, changed) {
            ("N", _) => 0.85,
            ("L", false) => 0.62,
            ("L", true) => 0.68,
            ("H", false) => 0.27,
            ("H", true) => 0.5,
            _ => return None,
        })
    };
    let bad = |k: &str| CvssError::Malformed {
        vector: vector.into(),
        reason: format!("missing or invalid {k}"),
    };
    let av = metric(&m, vector, "AV", &avt, None)?;
    let ac = metric(&m, vector, "AC", &act, None)?;
    let pr_raw = get("PR").ok_or_else(|| bad("PR"))?;
    let pr = pr_of(pr_raw, scope_changed).ok_or_else(|| bad("PR"))?;
    let ui = metric(&m, vector, "UI", &uit, None)?;
    let c = metric(&m, vector, "C", &ciat, None)?;
    let i = metric(&m, vector, "I", &ciat, None)?;
    let a = metric(&m, vector, "A", &ciat, None)?;

    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if scope_changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let expl = 8.22 * av * ac * pr * ui;
    let base = if impact <= 0.0 {
        0.0
    } else if scope_changed {
        roundup((1.08 * (impact + expl)).min(10.0))
    } else {
        roundup((impact + expl).min(10.0))
    };

    let e = metric(
        &m,
        vector,
        "E",
        &[
            ("X", 1.0),
            ("H", 1.0),
            ("F", 0.97),
            ("P", 0.94),
            ("U", 0.91),
        ],
        Some("X"),
    )?;
    let rl = metric(
        &m,
        vector,
        "RL",
        &[
            ("X", 1.0),
            ("U", 1.0),
            ("W", 0.97),
            ("T", 0.96),
            ("O", 0.95),
        ],
        Some("X"),
    )?;
    let rc = metric(
        &m,
        vector,
        "RC",
        &[("X", 1.0), ("C", 1.0), ("R", 0.96), ("U", 0.92)],
        Some("X"),
    )?;
    let temporal = roundup(base * e * rl * rc);

    let req = [("X", 1.0), ("H", 1.5), ("M", 1.0), ("L", 0.5)];
    let cr = metric(&m, vector, "CR", &req, Some("X"))?;
    let ir = metric(&m, vector, "IR", &req, Some("X"))?;
    let ar = metric(&m, vector, "AR", &req, Some("X"))?;
    let modified = |mk: &str, bk: &str| -> &str {
        match get(mk) {
            Some("X") | None => get(bk).unwrap_or("X"),
            Some(v) => v,
        }
    };
    let lookup = |t: &[(&str, f64)], val: &str, k: &str| {
        t.iter()
            .find(|(x, _)| *x == val)
            .map(|(_, y)| *y)
            .ok_or_else(|| bad(k))
    };
    let ms_changed = match modified("MS", "S") {
        "C" => true,
        "U" => false,
        _ => return Err(bad("MS")),
    };
    let mav = lookup(&avt, modified("MAV", "AV"), "MAV")?;
    let mac = lookup(&act, modified("MAC", "AC"), "MAC")?;
    let mpr = pr_of(modified("MPR", "PR"), ms_changed).ok_or_else(|| bad("MPR"))?;
    let mui = lookup(&uit, modified("MUI", "UI"), "MUI")?;
    let mc = lookup(&ciat, modified("MC", "C"), "MC")?;
    let mi = lookup(&ciat, modified("MI", "I"), "MI")?;
    let ma = lookup(&ciat, modified("MA", "A"), "MA")?;
    let miss = (1.0 - (1.0 - cr * mc) * (1.0 - ir * mi) * (1.0 - ar * ma)).min(0.915);
    let m_impact = if ms_changed {
        if v31 {
            7.52 * (miss - 0.029) - 3.25 * (miss * 0.9731 - 0.02).powi(13)
        } else {
            7.52 * (miss - 0.029) - 3.25 * (miss - 0.02).powi(15)
        }
    } else {
        6.42 * miss
    };
    let m_expl = 8.22 * mav * mac * mpr * mui;
    let environmental = if m_impact <= 0.0 {
        0.0
    } else if ms_changed {
        roundup(roundup((1.08 * (m_impact + m_expl)).min(10.0)) * e * rl * rc)
    } else {
        roundup(roundup((m_impact + m_expl).min(10.0)) * e * rl * rc)
    };
    Ok(Scores {
        base,
        temporal: Some(temporal),
        environmental: Some(environmental),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_scores() {
        assert_eq!(
            score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
                .unwrap()
                .base,
            9.8
        );
        assert_eq!(score("AV:N/AC:L/Au:N/C:C/I:C/A:C").unwrap().base, 10.0);
        assert!(score("CVSS:3.1/AV:X").is_err());
        assert!(score("nonsense").is_err());
    }
}
