//! Cloud inventories exported as JSON (or YAML): one target per resource.
//!
//! | input | accepted shapes | selector | Rego `input` |
//! |---|---|---|---|
//! | `aws` | AWS Config configuration items (`aws configservice batch-get-resource-config` → `baseConfigurationItems`, `get-resource-config-history` → `configurationItems`, advanced query results `select-resource-config`/`select-aggregate-resource-config` → `Results`, an array of JSON strings, or an array / a single item): objects with `resourceType: "AWS::…"` and `configuration` | `resourceType` (`AWS::S3::Bucket`) | the item; `configuration` and every `supplementaryConfiguration` value that is a JSON string are decoded |
//! | `azure` | Azure Resource Manager resources (`az resource list`, `az <service> … list/show`, REST `{"value": [...]}`, Resource Graph `az graph query` → `{"count", "data": [...], "total_records"}` or the REST table form `{"data": {"columns", "rows"}}`, or one object): objects with `id: "/subscriptions/…"` and `type: "Microsoft.X/y"` | `type`, lower-cased (`microsoft.storage/storageaccounts`) | the resource; `properties` is merged over top-level fields so `az … show` (flattened) and ARM (`properties`) shapes read alike |
//! | `gcp` | Cloud Asset Inventory (`gcloud asset list --content-type=resource --format=json`, `gcloud asset search-all-resources --format=json` (data from `versionedResources[0].resource`), `gcloud asset export` NDJSON (snake_case `asset_type`), or `{"assets": [...]}`): objects with `assetType`/`asset_type` and `name: "//…"` | `assetType` (`storage.googleapis.com/Bucket`) | the asset with `assetType` set; `resource.data` (or the first versioned resource) is also available as `data` |
//!
//! Any of these may also come as NDJSON, one resource per line (see
//! [`super`]). A record that cannot be read (a query result that is not a
//! JSON object, or that lacks `resourceType`) is reported and skipped.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::{InputKind, Target};
use crate::yaml::LineMap;

/// Wrapper keys whose array holds the resources.
const WRAPPERS: &[&str] = &[
    "baseConfigurationItems",
    "configurationItems",
    "ConfigurationItems",
    "value",
    "data",
    "assets",
    "results",
    "resources",
];

/// Which cloud an item describes, if any.
pub fn classify(v: &Value) -> Option<InputKind> {
    let o = v.as_object()?;
    if o.get("resourceType")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("AWS::"))
    {
        return Some(InputKind::Aws);
    }
    if o.get("id")
        .and_then(Value::as_str)
        .is_some_and(|i| i.to_ascii_lowercase().starts_with("/subscriptions/"))
        && o.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t.contains('/'))
    {
        return Some(InputKind::Azure);
    }
    if (o.get("assetType").is_some_and(Value::is_string)
        || o.get("asset_type").is_some_and(Value::is_string))
        && o.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| n.starts_with("//"))
    {
        return Some(InputKind::Gcp);
    }
    None
}

/// The resources read from an inventory document, and the records skipped.
#[derive(Default)]
pub struct Inventory {
    pub targets: Vec<Target>,
    /// `Results[3]: reason`, one per skipped record.
    pub errors: Vec<String>,
}

/// Rows of a Resource Graph table result (`{"columns": [{"name"}], "rows":
/// [[…]]}`) as objects; `None` for other values.
fn table_rows(v: &Value) -> Option<Vec<Value>> {
    let cols: Vec<&str> = v
        .get("columns")?
        .as_array()?
        .iter()
        .map(|c| c.get("name").and_then(Value::as_str).unwrap_or(""))
        .collect();
    let rows = v.get("rows")?.as_array()?;
    Some(
        rows.iter()
            .map(|r| {
                let cells = r.as_array().map(Vec::as_slice).unwrap_or(&[]);
                Value::Object(
                    cols.iter()
                        .zip(cells)
                        .filter(|(c, _)| !c.is_empty())
                        .map(|(c, x)| (c.to_string(), x.clone()))
                        .collect(),
                )
            })
            .collect(),
    )
}

/// The cloud resources of a document; `None` when it is not an inventory.
pub fn targets(file: &str, v: &Value, lines: &LineMap) -> Option<Inventory> {
    let decoded: Vec<Value>;
    let (items, prefix): (&[Value], String) = match v {
        Value::Array(a) => (a, String::new()),
        Value::Object(o) => {
            if classify(v).is_some() {
                return Some(Inventory {
                    targets: target(file, v, lines.sub("")).into_iter().collect(),
                    errors: Vec::new(),
                });
            }
            // AWS Config advanced query: `Results` holds JSON strings
            // (other reports, Trivy's, have `Results` of objects).
            if let Some(Value::Array(results)) = o.get("Results")
                && (o.contains_key("QueryInfo") || results.iter().any(Value::is_string))
            {
                return Some(aws_query_results(file, results, lines));
            }
            if let Some(rows) = o.get("data").and_then(table_rows) {
                decoded = rows;
                (&decoded, "data".to_string())
            } else {
                let (k, a) = WRAPPERS
                    .iter()
                    .find_map(|k| o.get(*k).and_then(Value::as_array).map(|a| (*k, a)))?;
                (a, k.to_string())
            }
        }
        _ => return None,
    };
    if !items.iter().any(|i| classify(i).is_some()) {
        return None;
    }
    let mut item_lines = lines.split_array(&prefix, items.len());
    Some(Inventory {
        targets: items
            .iter()
            .enumerate()
            .filter_map(|(i, item)| {
                let l = item_lines
                    .get_mut(i)
                    .map(std::mem::take)
                    .unwrap_or_default();
                target(file, item, l)
            })
            .collect(),
        errors: Vec::new(),
    })
}

/// `aws configservice select-resource-config` output: each result is a JSON
/// object encoded as a string (objects are accepted as they are).
fn aws_query_results(file: &str, results: &[Value], lines: &LineMap) -> Inventory {
    let mut inv = Inventory::default();
    let mut item_lines = lines.split_array("Results", results.len());
    for (i, r) in results.iter().enumerate() {
        let item = match r {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(v @ Value::Object(_)) => v,
                Ok(_) => {
                    inv.errors.push(format!("Results[{i}]: not a JSON object"));
                    continue;
                }
                Err(e) => {
                    inv.errors.push(format!(
                        "Results[{i}]: invalid JSON in the result string: {e}"
                    ));
                    continue;
                }
            },
            v @ Value::Object(_) => v.clone(),
            _ => {
                inv.errors
                    .push(format!("Results[{i}]: neither a JSON string nor an object"));
                continue;
            }
        };
        if classify(&item) != Some(InputKind::Aws) {
            inv.errors.push(format!(
                "Results[{i}]: no AWS resourceType (the query must select resourceType and configuration)"
            ));
            continue;
        }
        // The result's fields all sit on the line of its string.
        let mut l = LineMap::new();
        if let Some(n) = item_lines.get_mut(i).and_then(|m| m.get("")) {
            l.insert("", n);
        }
        if let Some(t) = target(file, &item, l) {
            inv.targets.push(t);
        }
    }
    inv
}

/// A JSON value encoded in a string, decoded; other values unchanged.
fn decode(v: &Value) -> Value {
    match v {
        Value::String(s) if s.trim_start().starts_with(['{', '[']) => {
            serde_json::from_str(s).unwrap_or_else(|_| v.clone())
        }
        other => other.clone(),
    }
}

fn target(file: &str, item: &Value, lines: LineMap) -> Option<Target> {
    let kind = classify(item)?;
    let o = item.as_object()?;
    let s = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_string);
    let (selector, resource, input) = match kind {
        InputKind::Aws => {
            let mut m = o.clone();
            if let Some(c) = o.get("configuration") {
                m.insert("configuration".into(), decode(c));
            }
            if let Some(Value::Object(sc)) = o.get("supplementaryConfiguration") {
                let sc: Map<String, Value> =
                    sc.iter().map(|(k, v)| (k.clone(), decode(v))).collect();
                m.insert("supplementaryConfiguration".into(), Value::Object(sc));
            }
            let rtype = s("resourceType").unwrap_or_default();
            let name = s("resourceName")
                .or_else(|| s("resourceId"))
                .or_else(|| s("arn"))
                .unwrap_or_else(|| "<unnamed>".into());
            (rtype.clone(), format!("{rtype}/{name}"), Value::Object(m))
        }
        InputKind::Azure => {
            let mut m = o.clone();
            if let Some(Value::Object(props)) = o.get("properties") {
                for (k, v) in props {
                    m.entry(k.clone()).or_insert_with(|| v.clone());
                }
            }
            let rtype = s("type").unwrap_or_default().to_ascii_lowercase();
            let name = s("name").or_else(|| s("id")).unwrap_or_default();
            (rtype.clone(), format!("{rtype}/{name}"), Value::Object(m))
        }
        _ => {
            let mut m = o.clone();
            // `list`/`export`: resource.data; `search-all-resources` with a
            // read mask: versionedResources[].resource.
            let data = o
                .get("resource")
                .and_then(|r| r.get("data"))
                .or_else(|| {
                    o.get("versionedResources")
                        .and_then(|v| v.get(0))
                        .and_then(|v| v.get("resource"))
                })
                .cloned()
                .unwrap_or(Value::Object(Map::new()));
            m.insert("data".into(), data);
            let atype = s("assetType")
                .or_else(|| s("asset_type"))
                .unwrap_or_default();
            m.insert("assetType".into(), Value::String(atype.clone()));
            let name = s("name").unwrap_or_default();
            (atype, name, Value::Object(m))
        }
    };
    let line = lines.get("").unwrap_or(1);
    Some(Target {
        kind,
        file: file.to_string(),
        resource,
        selector,
        line,
        input: regorus::Value::from(input),
        lines: Arc::new(lines),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::yaml_targets;

    #[test]
    fn aws_config_items_decode_strings() {
        let text = r#"{"baseConfigurationItems": [
  {"resourceType": "AWS::S3::Bucket", "resourceName": "logs",
   "configuration": "{\"name\": \"logs\"}",
   "supplementaryConfiguration": {"BucketVersioningConfiguration": "{\"status\": \"Off\"}"}}
]}"#;
        let t = yaml_targets("inv.json", text).unwrap();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].kind, InputKind::Aws);
        assert_eq!(t[0].selector, "AWS::S3::Bucket");
        assert_eq!(t[0].resource, "AWS::S3::Bucket/logs");
        assert_eq!(t[0].line, 2);
        let j = t[0].input.to_json_str().unwrap();
        assert!(j.contains(r#""status": "Off""#), "{j}");
    }

    #[test]
    fn azure_properties_are_flattened() {
        let text = r#"[{"id": "/subscriptions/1/resourceGroups/r/providers/Microsoft.Storage/storageAccounts/s",
  "name": "s", "type": "Microsoft.Storage/storageAccounts", "properties": {"supportsHttpsTrafficOnly": false}}]"#;
        let t = yaml_targets("az.json", text).unwrap();
        assert_eq!(t[0].kind, InputKind::Azure);
        assert_eq!(t[0].selector, "microsoft.storage/storageaccounts");
        assert_eq!(
            t[0].input[&regorus::Value::from("supportsHttpsTrafficOnly")],
            regorus::Value::from(false)
        );
    }

    #[test]
    fn gcp_assets_expose_data() {
        let text = r#"[{"name": "//storage.googleapis.com/b", "assetType": "storage.googleapis.com/Bucket",
  "resource": {"data": {"iamConfiguration": {}}}}]"#;
        let t = yaml_targets("gcp.json", text).unwrap();
        assert_eq!(t[0].kind, InputKind::Gcp);
        assert_eq!(t[0].resource, "//storage.googleapis.com/b");
        assert!(
            t[0].input[&regorus::Value::from("data")]
                .as_object()
                .is_ok()
        );
    }

    #[test]
    fn other_arrays_are_not_inventories() {
        assert!(yaml_targets("x.json", r#"[{"a": 1}]"#).unwrap().is_empty());
    }
}
