//! MCP tool lists: the result of `tools/list` parsed into validated types.
//!
//! Accepted shapes: `{"tools": [...]}` (the `tools/list` result), a bare array
//! of tools, or a whole JSON-RPC response `{"jsonrpc": "2.0", "result":
//! {"tools": [...]}}`. Each tool needs a non-empty string `name`;
//! `description` and `title` must be strings, `inputSchema` an object (an
//! absent one is taken as `{"type": "object"}`), `annotations` an object
//! whose hints are booleans. Unknown fields are kept out of the way, not
//! rejected: servers add their own.

use serde_json::{Map, Value};

use crate::error::ToolsError;

/// Largest tools file accepted, in bytes.
pub const MAX_TOOLS_BYTES: usize = 64 * 1024 * 1024;

/// The behaviour hints of a tool (`annotations` in MCP 2025-03-26 and later).
/// Hints are claims of the server, not guarantees.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolAnnotations {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only_hint: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destructive_hint: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotent_hint: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_world_hint: Option<bool>,
}

/// One MCP tool.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The JSON Schema of the arguments (always an object).
    pub input_schema: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotations: Option<ToolAnnotations>,
}

impl Tool {
    /// A tool with a name, a description and an empty object schema.
    pub fn new(name: impl Into<String>, description: impl Into<String>) -> Tool {
        Tool {
            name: name.into(),
            title: None,
            description: Some(description.into()),
            input_schema: serde_json::json!({"type": "object"}),
            output_schema: None,
            annotations: None,
        }
    }

    pub fn description(&self) -> &str {
        self.description.as_deref().unwrap_or("")
    }
}

/// Parses a tools file (see the module doc for the accepted shapes).
pub fn parse_tools(text: &str) -> Result<Vec<Tool>, ToolsError> {
    if text.len() > MAX_TOOLS_BYTES {
        return Err(ToolsError::Shape {
            path: "$".into(),
            message: format!(
                "file is {} bytes; the limit is {MAX_TOOLS_BYTES}",
                text.len()
            ),
        });
    }
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let v: Value = serde_json::from_str(text).map_err(|e| ToolsError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    parse_tools_value(&v)
}

fn shape(path: impl Into<String>, message: impl Into<String>) -> ToolsError {
    ToolsError::Shape {
        path: path.into(),
        message: message.into(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parses an already decoded tools document.
pub fn parse_tools_value(v: &Value) -> Result<Vec<Tool>, ToolsError> {
    let (tools, base) = match v {
        Value::Array(a) => (a, "$".to_string()),
        Value::Object(o) => {
            if let Some(r) = o.get("result").filter(|_| o.contains_key("jsonrpc")) {
                match r.get("tools") {
                    Some(Value::Array(a)) => (a, "$.result.tools".to_string()),
                    Some(other) => {
                        return Err(shape(
                            "$.result.tools",
                            format!("expected an array of tools, found {}", type_name(other)),
                        ));
                    }
                    None => return Err(shape("$.result", "JSON-RPC result has no `tools` array")),
                }
            } else if let Some(e) = o.get("error").filter(|_| o.contains_key("jsonrpc")) {
                return Err(shape(
                    "$.error",
                    format!("the server answered with a JSON-RPC error: {e}"),
                ));
            } else {
                match o.get("tools") {
                    Some(Value::Array(a)) => (a, "$.tools".to_string()),
                    Some(other) => {
                        return Err(shape(
                            "$.tools",
                            format!("expected an array of tools, found {}", type_name(other)),
                        ));
                    }
                    None => {
                        return Err(shape(
                            "$",
                            "expected an object with a `tools` array, or an array of tools",
                        ));
                    }
                }
            }
        }
        other => {
            return Err(shape(
                "$",
                format!(
                    "expected an object with a `tools` array or an array of tools, found {}",
                    type_name(other)
                ),
            ));
        }
    };
    tools
        .iter()
        .enumerate()
        .map(|(i, t)| parse_tool(t, &format!("{base}[{i}]")))
        .collect()
}

fn opt_string(o: &Map<String, Value>, key: &str, path: &str) -> Result<Option<String>, ToolsError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(shape(
            format!("{path}.{key}"),
            format!("expected a string, found {}", type_name(other)),
        )),
    }
}

fn opt_bool(o: &Map<String, Value>, key: &str, path: &str) -> Result<Option<bool>, ToolsError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(shape(
            format!("{path}.{key}"),
            format!("expected a boolean, found {}", type_name(other)),
        )),
    }
}

fn parse_tool(v: &Value, path: &str) -> Result<Tool, ToolsError> {
    let o = v.as_object().ok_or_else(|| {
        shape(
            path,
            format!("expected a tool object, found {}", type_name(v)),
        )
    })?;
    let name = match o.get("name") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::String(_)) => return Err(shape(format!("{path}.name"), "tool name is empty")),
        Some(other) => {
            return Err(shape(
                format!("{path}.name"),
                format!("expected a string, found {}", type_name(other)),
            ));
        }
        None => return Err(shape(path, "tool has no `name`")),
    };
    let description = opt_string(o, "description", path)?;
    let title = opt_string(o, "title", path)?;
    let input_schema = match o.get("inputSchema").or_else(|| o.get("input_schema")) {
        None | Some(Value::Null) => serde_json::json!({"type": "object"}),
        Some(s @ Value::Object(_)) => s.clone(),
        Some(other) => {
            return Err(shape(
                format!("{path}.inputSchema"),
                format!("expected a JSON Schema object, found {}", type_name(other)),
            ));
        }
    };
    let output_schema = match o.get("outputSchema") {
        None | Some(Value::Null) => None,
        Some(s @ Value::Object(_)) => Some(s.clone()),
        Some(other) => {
            return Err(shape(
                format!("{path}.outputSchema"),
                format!("expected a JSON Schema object, found {}", type_name(other)),
            ));
        }
    };
    let annotations = match o.get("annotations") {
        None | Some(Value::Null) => None,
        Some(Value::Object(a)) => {
            let ap = format!("{path}.annotations");
            Some(ToolAnnotations {
                title: opt_string(a, "title", &ap)?,
                read_only_hint: opt_bool(a, "readOnlyHint", &ap)?,
                destructive_hint: opt_bool(a, "destructiveHint", &ap)?,
                idempotent_hint: opt_bool(a, "idempotentHint", &ap)?,
                open_world_hint: opt_bool(a, "openWorldHint", &ap)?,
            })
        }
        Some(other) => {
            return Err(shape(
                format!("{path}.annotations"),
                format!("expected an object, found {}", type_name(other)),
            ));
        }
    };
    Ok(Tool {
        name,
        title,
        description,
        input_schema,
        output_schema,
        annotations,
    })
}

/// A string found inside a tool's input schema, with where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaText<'a> {
    /// e.g. `inputSchema.properties.notes.description`.
    pub location: String,
    pub text: &'a str,
    /// `true` for parameter descriptions and titles, `false` for values
    /// (defaults, enums, examples, consts, patterns).
    pub is_description: bool,
}

/// Every description, title and string value inside `schema`, depth-first,
/// bounded to `max_depth` levels of nesting.
pub fn schema_texts<'a>(schema: &'a Value, root: &str) -> Vec<SchemaText<'a>> {
    let mut out = Vec::new();
    walk(schema, root.to_string(), &mut out, 0, false);
    out
}

const MAX_SCHEMA_DEPTH: usize = 64;

fn walk<'a>(
    v: &'a Value,
    loc: String,
    out: &mut Vec<SchemaText<'a>>,
    depth: usize,
    in_value: bool,
) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    match v {
        Value::String(s) if in_value => out.push(SchemaText {
            location: loc,
            text: s,
            is_description: false,
        }),
        Value::Array(a) if in_value => {
            for (i, x) in a.iter().enumerate() {
                walk(x, format!("{loc}[{i}]"), out, depth + 1, true);
            }
        }
        Value::Object(o) if in_value => {
            for (k, x) in o {
                walk(x, format!("{loc}.{k}"), out, depth + 1, true);
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                let l = format!("{loc}.{k}");
                match (k.as_str(), x) {
                    ("description" | "title" | "$comment", Value::String(s)) => {
                        out.push(SchemaText {
                            location: l,
                            text: s,
                            is_description: true,
                        })
                    }
                    ("default" | "const" | "enum" | "examples" | "example" | "pattern", _) => {
                        walk(x, l, out, depth + 1, true)
                    }
                    // `properties` maps names to schemas; a property may be called
                    // `description` or `default` itself, so do not treat those keys specially.
                    (
                        "properties" | "patternProperties" | "$defs" | "definitions",
                        Value::Object(props),
                    ) => {
                        for (pk, px) in props {
                            walk(px, format!("{l}.{pk}"), out, depth + 1, false);
                        }
                    }
                    _ => walk(x, l, out, depth + 1, false),
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                walk(x, format!("{loc}[{i}]"), out, depth + 1, false);
            }
        }
        _ => {}
    }
}

/// The names of the parameters declared in `schema.properties` (top level).
pub fn parameter_names(schema: &Value) -> Vec<&str> {
    schema
        .get("properties")
        .and_then(|p| p.as_object())
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes() {
        let t = parse_tools(r#"{"tools":[{"name":"a","inputSchema":{"type":"object"}}]}"#).unwrap();
        assert_eq!(t[0].name, "a");
        let t = parse_tools(r#"[{"name":"b","description":"d"}]"#).unwrap();
        assert_eq!(t[0].description(), "d");
        let t =
            parse_tools(r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"c"}]}}"#).unwrap();
        assert_eq!(t[0].name, "c");
    }

    #[test]
    fn errors_name_the_place() {
        let e = parse_tools(r#"{"tools":[{"name":"a"},{"name":7}]}"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "$.tools[1].name: expected a string, found a number"
        );
        let e = parse_tools(r#"{"tools":[{"name":"a","annotations":{"readOnlyHint":"yes"}}]}"#)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "$.tools[0].annotations.readOnlyHint: expected a boolean, found a string"
        );
        let e = parse_tools(r#"{"tools":[{"description":"x"}]}"#).unwrap_err();
        assert_eq!(e.to_string(), "$.tools[0]: tool has no `name`");
        let e = parse_tools("{\"tools\": [\n}").unwrap_err();
        assert!(matches!(e, ToolsError::Json { line: 2, .. }), "{e:?}");
        let e = parse_tools(r#"{"servers":[]}"#).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("$: expected an object with a `tools` array"),
            "{e}"
        );
        let e = parse_tools(r#"[{"name":"a","inputSchema":"object"}]"#).unwrap_err();
        assert_eq!(
            e.to_string(),
            "$[0].inputSchema: expected a JSON Schema object, found a string"
        );
    }

    #[test]
    fn schema_texts_find_values_and_descriptions() {
        let s = json!({"type":"object","properties":{
            "notes":{"type":"string","description":"d1","default":"x"},
            "description":{"type":"string","enum":["e1","e2"]}}});
        let t = schema_texts(&s, "inputSchema");
        let locs: Vec<_> = t
            .iter()
            .map(|t| (t.location.as_str(), t.text, t.is_description))
            .collect();
        assert!(
            locs.contains(&("inputSchema.properties.notes.description", "d1", true)),
            "{locs:?}"
        );
        assert!(
            locs.contains(&("inputSchema.properties.notes.default", "x", false)),
            "{locs:?}"
        );
        assert!(
            locs.contains(&("inputSchema.properties.description.enum[1]", "e2", false)),
            "{locs:?}"
        );
    }
}
