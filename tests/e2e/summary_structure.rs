//! The structure of `summary.json` (every key path and the JSON type of its value) for the
//! quickstart, against a reviewed snapshot: a renamed or dropped field breaks the tools that
//! read it, so it must be a deliberate change.

use crate::common;

use std::path::Path;

fn walk(value: &serde_json::Value, path: &str, out: &mut Vec<String>) {
    use serde_json::Value;
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    out.push(format!("{path}: {kind}"));
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                walk(child, &format!("{path}.{key}"), out);
            }
        }
        Value::Array(items) => {
            if let Some(first) = items.first() {
                walk(first, &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn summary_json_structure_is_stable() {
    if common::skip_slow() {
        return;
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_tmp, out) = common::run_quiet(&root.join("examples/scenarios/quickstart.yaml"));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let mut lines = Vec::new();
    walk(&summary, "$", &mut lines);
    let structure = lines.join("\n") + "\n";
    let snapshot = root.join("tests/snapshots/summary-structure.txt");
    if std::env::var_os("FLEETSIM_WRITE_SNAPSHOTS").is_some() {
        std::fs::write(&snapshot, &structure).unwrap();
    }
    assert_eq!(structure, std::fs::read_to_string(snapshot).unwrap());
}
