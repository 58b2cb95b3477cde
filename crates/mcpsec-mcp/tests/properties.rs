//! Property tests: analyzers never panic; pin hashes ignore key order.

use mcpsec_mcp::pin::tool_hash;
use mcpsec_mcp::{Analyzer, ServerTools, Tool, parse_tools};
use proptest::prelude::*;
use std::sync::OnceLock;

fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(Analyzer::builtin)
}
use serde_json::{Map, Value};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| Value::Number(n.into())),
        "\\PC{0,40}".prop_map(Value::String),
        // Strings with hidden characters and encodings.
        prop::collection::vec(
            prop_oneof![
                Just('\u{200B}'),
                Just('\u{202E}'),
                Just('\u{E0041}'),
                Just('а'),
                Just('A'),
                Just(' '),
                Just('=')
            ],
            0..50
        )
        .prop_map(|c| Value::String(c.into_iter().collect())),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                "[a-z]{1,8}|description|default|properties|enum|name|tools",
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// The same JSON with every object's keys in reverse insertion order.
fn reorder(v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            let mut m = Map::new();
            let mut entries: Vec<_> = o.iter().collect();
            entries.reverse();
            for (k, x) in entries {
                m.insert(k.clone(), reorder(x));
            }
            Value::Object(m)
        }
        Value::Array(a) => Value::Array(a.iter().map(reorder).collect()),
        x => x.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn analysis_never_panics_on_arbitrary_text(name in "\\PC{1,30}", desc in "\\PC{0,400}", default in "\\PC{0,200}") {
        let mut t = Tool::new(name, desc);
        t.input_schema = serde_json::json!({"type": "object", "properties": {"p": {"type": "string", "default": default}}});
        let st = ServerTools { server: "s".into(), source: None, tools: vec![t] };
        let _ = analyzer().check_toolset(&[st.clone(), st]);
    }

    #[test]
    fn parser_and_analysis_never_panic_on_arbitrary_json(v in arb_json()) {
        let text = v.to_string();
        let _ = parse_tools(&text);
        let wrapped = serde_json::json!({"tools": [v.clone(), {"name": "t", "inputSchema": v}]}).to_string();
        if let Ok(tools) = parse_tools(&wrapped) {
            let _ = analyzer().check_toolset(&[ServerTools { server: "s".into(), source: None, tools }]);
        }
    }

    #[test]
    fn parser_never_panics_on_arbitrary_bytes(s in "\\PC{0,200}") {
        let _ = parse_tools(&s);
        let _ = mcpsec_mcp::config::parse_config_str(&s, std::path::Path::new("x.json"), "test");
    }

    #[test]
    fn pin_hash_ignores_key_order(schema in arb_json(), desc in "\\PC{0,50}") {
        let mut schema = schema;
        if !schema.is_object() {
            schema = serde_json::json!({"type": "object", "properties": {"x": schema}});
        }
        let mut a = Tool::new("t", desc);
        a.input_schema = schema.clone();
        let mut b = a.clone();
        b.input_schema = reorder(&schema);
        prop_assert_eq!(tool_hash(&a), tool_hash(&b));
    }
}
