//! Dockerfile parsing: instructions with their lines, grouped into build stages.
//!
//! The Rego input of a Dockerfile is
//! `{"kind": "dockerfile", "stages": [...], "instructions": [...]}` where each
//! instruction is `{"cmd": "RUN", "value": "...", "flags": [...], "args": [...],
//! "json": bool, "line": n, "end_line": n, "stage": i}` and each stage is
//! `{"index", "image", "tag", "digest", "alias", "platform", "line",
//! "instructions": [...]}` (`image` is the FROM reference without tag or digest;
//! `from_stage` is true when it names an earlier stage).

use serde_json::{Value, json};

use crate::yaml::LineMap;

/// One parsed instruction.
#[derive(Debug, Clone, PartialEq)]
pub struct Instruction {
    pub cmd: String,
    pub value: String,
    pub flags: Vec<String>,
    pub args: Vec<String>,
    pub json: bool,
    pub line: u32,
    pub end_line: u32,
}

/// Splits a Dockerfile into instructions: comments and blank lines dropped,
/// backslash continuations joined, parser directives honoured (`escape`),
/// heredoc bodies (`<<EOF`) attached to their instruction.
pub fn parse_instructions(text: &str) -> Vec<Instruction> {
    let mut escape = '\\';
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut directives = true;
    while i < lines.len() {
        let raw = lines[i].trim_start_matches('\u{feff}');
        let t = raw.trim();
        if t.is_empty() {
            i += 1;
            continue;
        }
        if let Some(c) = t.strip_prefix('#') {
            if directives {
                let c = c.trim().to_ascii_lowercase();
                if let Some(v) = c.strip_prefix("escape=") {
                    escape = v.trim().chars().next().unwrap_or('\\');
                }
            }
            i += 1;
            continue;
        }
        directives = false;
        let start = i;
        let mut joined = String::new();
        loop {
            let l = lines[i].trim_end();
            if let Some(stripped) = l.strip_suffix(escape) {
                joined.push_str(stripped);
                joined.push(' ');
                i += 1;
                // Skip comment lines inside continuations.
                while i < lines.len() && lines[i].trim_start().starts_with('#') {
                    i += 1;
                }
                if i >= lines.len() {
                    break;
                }
            } else {
                joined.push_str(l);
                i += 1;
                break;
            }
        }
        let joined = joined.trim().to_string();
        let (cmd, rest) = match joined.find(char::is_whitespace) {
            Some(p) => (&joined[..p], joined[p..].trim()),
            None => (joined.as_str(), ""),
        };
        let mut value = rest.to_string();
        // Heredoc: `RUN <<EOF ... EOF`.
        if let Some(pos) = rest.find("<<") {
            let tag: String = rest[pos + 2..]
                .trim_start_matches('-')
                .trim_matches(|c| c == '"' || c == '\'')
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !tag.is_empty() {
                let mut body = Vec::new();
                while i < lines.len() && lines[i].trim() != tag {
                    body.push(lines[i]);
                    i += 1;
                }
                i = (i + 1).min(lines.len());
                value = format!("{rest}\n{}", body.join("\n"));
            }
        }
        let (flags, args, json) = split_args(&value);
        out.push(Instruction {
            cmd: cmd.to_ascii_uppercase(),
            value,
            flags,
            args,
            json,
            line: start as u32 + 1,
            end_line: i as u32,
        });
    }
    out
}

/// Leading `--flag=value` options, then the arguments (JSON array form or
/// whitespace-separated).
fn split_args(value: &str) -> (Vec<String>, Vec<String>, bool) {
    let mut flags = Vec::new();
    let mut rest = value.trim();
    while rest.starts_with("--") {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        flags.push(rest[..end].to_string());
        rest = rest[end..].trim_start();
    }
    if rest.starts_with('[')
        && let Ok(v) = serde_json::from_str::<Vec<String>>(rest)
    {
        return (flags, v, true);
    }
    (
        flags,
        rest.split_whitespace().map(str::to_string).collect(),
        false,
    )
}

/// Splits an image reference into (name, tag, digest).
pub fn split_image(reference: &str) -> (String, Option<String>, Option<String>) {
    let (rest, digest) = match reference.split_once('@') {
        Some((r, d)) => (r, Some(d.to_string())),
        None => (reference, None),
    };
    let last_slash = rest.rfind('/').map(|p| p + 1).unwrap_or(0);
    match rest[last_slash..].rfind(':') {
        Some(p) => (
            rest[..last_slash + p].to_string(),
            Some(rest[last_slash + p + 1..].to_string()),
            digest,
        ),
        None => (rest.to_string(), None, digest),
    }
}

/// Builds the Rego input and its line map.
pub fn to_input(text: &str) -> (Value, LineMap) {
    let instructions = parse_instructions(text);
    let mut lines = LineMap::new();
    lines.insert("", 1);
    let mut stages: Vec<Value> = Vec::new();
    let mut all = Vec::new();
    let mut aliases: Vec<String> = Vec::new();
    for (n, ins) in instructions.iter().enumerate() {
        if ins.cmd == "FROM" {
            let reference = ins.args.first().cloned().unwrap_or_default();
            let alias = match ins.args.get(1) {
                Some(a) if a.eq_ignore_ascii_case("as") => ins.args.get(2).cloned(),
                _ => None,
            };
            let platform = ins
                .flags
                .iter()
                .find_map(|f| f.strip_prefix("--platform=").map(str::to_string));
            let (image, tag, digest) = split_image(&reference);
            let from_stage = aliases.iter().any(|a| a.eq_ignore_ascii_case(&reference));
            if let Some(a) = &alias {
                aliases.push(a.clone());
            }
            lines.insert(format!("stages[{}]", stages.len()), ins.line);
            stages.push(json!({
                "index": stages.len(),
                "reference": reference,
                "image": image,
                "tag": tag,
                "digest": digest,
                "alias": alias,
                "platform": platform,
                "from_stage": from_stage,
                "line": ins.line,
                "instructions": [],
            }));
        }
        let stage = stages.len().saturating_sub(1);
        let v = json!({
            "cmd": ins.cmd,
            "value": ins.value,
            "flags": ins.flags,
            "args": ins.args,
            "json": ins.json,
            "line": ins.line,
            "end_line": ins.end_line,
            "stage": stage,
        });
        lines.insert(format!("instructions[{n}]"), ins.line);
        if let Some(Value::Object(s)) = stages.last_mut()
            && let Some(Value::Array(list)) = s.get_mut("instructions")
        {
            lines.insert(
                format!("stages[{stage}].instructions[{}]", list.len()),
                ins.line,
            );
            list.push(v.clone());
        }
        all.push(v);
    }
    (
        json!({"kind": "dockerfile", "stages": stages, "instructions": all}),
        lines,
    )
}

/// Whether a file name looks like a Dockerfile.
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "dockerfile"
        || lower == "containerfile"
        || lower.starts_with("dockerfile.")
        || lower.starts_with("dockerfile-")
        || lower.ends_with(".dockerfile")
        || lower.ends_with(".containerfile")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stages_and_continuations() {
        let text = "# syntax=docker/dockerfile:1\nFROM --platform=linux/amd64 golang:1.22 AS build\nRUN apt-get update && \\\n    apt-get install -y curl\n\nFROM build\nUSER 1000\nCMD [\"/app\", \"-v\"]\n";
        let (v, lines) = to_input(text);
        let stages = v["stages"].as_array().unwrap();
        assert_eq!(stages.len(), 2);
        assert_eq!(stages[0]["image"], "golang");
        assert_eq!(stages[0]["tag"], "1.22");
        assert_eq!(stages[0]["alias"], "build");
        assert_eq!(stages[0]["platform"], "linux/amd64");
        assert_eq!(stages[1]["from_stage"], true);
        let ins = v["instructions"].as_array().unwrap();
        assert_eq!(ins[1]["cmd"], "RUN");
        assert_eq!(ins[1]["line"], 3);
        assert_eq!(ins[1]["end_line"], 4);
        assert!(
            ins[1]["value"]
                .as_str()
                .unwrap()
                .contains("install -y curl")
        );
        assert_eq!(ins[4]["args"][1], "-v");
        assert_eq!(ins[4]["json"], true);
        assert_eq!(lines.resolve("instructions[3].value"), Some(7));
    }

    #[test]
    fn image_references() {
        assert_eq!(
            split_image("localhost:5000/app"),
            ("localhost:5000/app".into(), None, None)
        );
        assert_eq!(
            split_image("nginx:1.25@sha256:abc"),
            (
                "nginx".into(),
                Some("1.25".into()),
                Some("sha256:abc".into())
            )
        );
    }
}
