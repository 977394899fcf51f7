//! Changes to a scenario's YAML tree by field path, as sweeps and plans make them before the
//! scenario is validated.
//!
//! A path names fields the way error messages do, with selectors for list items:
//! `clusters[name=dc-01].node_pools[0].count`, `clusters[*].node_pools[name=h100].count`,
//! `namespaces[name=llm].quota.federated.overall["requests.nvidia.com/gpu"]`. A path must
//! select at least one node, so a typo is an error rather than a sweep that changes nothing.

use std::fmt;

use crate::tree::{Entry, Node, NodeKind, Number, Scalar};

/// A parsed field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldPath {
    text: String,
    steps: Vec<Step>,
}

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// A mapping key: `.name` or `["dotted.name"]`.
    Key(String),
    /// A list item by position; negative counts from the end.
    Index(i64),
    /// Every list item (or every mapping value): `[*]`.
    All,
    /// List items that are mappings whose `field` is the scalar `value`: `[name=dc-01]`.
    Select { field: String, value: String },
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl FieldPath {
    /// Reads a path; the error says what was expected where.
    pub fn parse(text: &str) -> Result<FieldPath, String> {
        let chars: Vec<char> = text.chars().collect();
        let mut steps = Vec::new();
        let mut idx = 0;
        let bare_key = |idx: &mut usize| -> String {
            let start = *idx;
            while *idx < chars.len() && chars[*idx] != '.' && chars[*idx] != '[' {
                *idx += 1;
            }
            chars[start..*idx].iter().collect()
        };
        if chars.is_empty() {
            return Err(
                "empty path; expected e.g. clusters[name=dc-01].node_pools[0].count".into(),
            );
        }
        if chars[0] != '[' {
            let key = bare_key(&mut idx);
            if key.is_empty() {
                return Err(format!("{text:?}: a path starts with a field name"));
            }
            steps.push(Step::Key(key));
        }
        while idx < chars.len() {
            match chars[idx] {
                '.' => {
                    idx += 1;
                    let key = bare_key(&mut idx);
                    if key.is_empty() {
                        return Err(format!(
                            "{text:?}: expected a field name after the dot at character {idx}"
                        ));
                    }
                    steps.push(Step::Key(key));
                }
                '[' => {
                    let close = bracket_end(&chars, idx + 1).ok_or_else(|| {
                        format!("{text:?}: the [ at character {} is never closed", idx + 1)
                    })?;
                    let inner: String = chars[idx + 1..close].iter().collect();
                    steps.push(selector(inner.trim()).map_err(|e| format!("{text:?}: {e}"))?);
                    idx = close + 1;
                }
                c => {
                    return Err(format!(
                        "{text:?}: unexpected {c:?} at character {}; expected . or [",
                        idx + 1
                    ));
                }
            }
        }
        Ok(FieldPath {
            text: text.to_owned(),
            steps,
        })
    }

    /// The path as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// A path made of plain keys, e.g. `["faults", "outages"]`.
    pub fn of_keys(keys: &[&str]) -> FieldPath {
        FieldPath {
            text: keys.join("."),
            steps: keys.iter().map(|k| Step::Key((*k).to_owned())).collect(),
        }
    }
}

/// Where a bracket opened just before `from` closes, skipping quoted text.
fn bracket_end(chars: &[char], from: usize) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (idx, &c) in chars.iter().enumerate().skip(from) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, ']') => return Some(idx),
            (None, _) => {}
        }
    }
    None
}

fn unquote(text: &str) -> Option<String> {
    let first = text.chars().next()?;
    if (first == '"' || first == '\'') && text.len() >= 2 && text.ends_with(first) {
        Some(text[1..text.len() - 1].to_owned())
    } else {
        None
    }
}

fn selector(inner: &str) -> Result<Step, String> {
    if inner == "*" {
        return Ok(Step::All);
    }
    if let Some(key) = unquote(inner) {
        return Ok(Step::Key(key));
    }
    if let Ok(index) = inner.parse::<i64>() {
        return Ok(Step::Index(index));
    }
    if let Some((field, value)) = inner.split_once('=') {
        let (field, value) = (field.trim(), value.trim());
        if field.is_empty() || value.is_empty() {
            return Err(format!("[{inner}]: expected [field=value]"));
        }
        let value = unquote(value).unwrap_or_else(|| value.to_owned());
        return Ok(Step::Select {
            field: field.to_owned(),
            value,
        });
    }
    Err(format!(
        "[{inner}]: expected an index ([0], [-1]), [*], [field=value] or a quoted key ([\"a.b\"])"
    ))
}

/// What a patch does to the nodes its path selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchOp {
    /// Replaces the node (a missing mapping key is created).
    Set,
    /// Adds a number to a number.
    Add,
    /// Multiplies a number, or the number of a rate such as `30/h`; an integer stays an
    /// integer (rounded to the nearest).
    Scale,
    /// Appends to a list (a missing list is created).
    Append,
}

impl PatchOp {
    /// The names sweep and plan files use.
    pub const NAMES: [&'static str; 4] = ["set", "add", "scale", "append"];

    /// The op called `name`.
    pub fn by_name(name: &str) -> Option<PatchOp> {
        match name {
            "set" => Some(PatchOp::Set),
            "add" => Some(PatchOp::Add),
            "scale" => Some(PatchOp::Scale),
            "append" => Some(PatchOp::Append),
            _ => None,
        }
    }
}

/// One change to a scenario tree.
#[derive(Clone, Debug, PartialEq)]
pub struct Patch {
    /// The nodes it changes.
    pub path: FieldPath,
    /// How.
    pub op: PatchOp,
    /// With what.
    pub value: Node,
}

impl Patch {
    /// Applies the patch to `root`; returns how many nodes it changed (at least one), or why
    /// it cannot apply.
    pub fn apply(&self, root: &mut Node) -> Result<usize, String> {
        apply_at(root, &self.path.steps, self.op, &self.value, "")
    }
}

fn apply_at(
    node: &mut Node,
    steps: &[Step],
    op: PatchOp,
    value: &Node,
    here: &str,
) -> Result<usize, String> {
    let Some((step, rest)) = steps.split_first() else {
        change(node, op, value).map_err(|e| at(here, &e))?;
        return Ok(1);
    };
    let creates = matches!(op, PatchOp::Set | PatchOp::Append);
    match step {
        Step::Key(key) => {
            let path = join_key(here, key);
            if creates && node.is_null() {
                *node = Node::new(NodeKind::Mapping(Vec::new()));
            }
            let NodeKind::Mapping(entries) = &mut node.kind else {
                return Err(format!("{} is not a mapping", describe(here)));
            };
            if let Some(entry) = entries.iter_mut().find(|e| e.key.text == *key) {
                return apply_at(&mut entry.value, rest, op, value, &path);
            }
            let creatable = creates && matches!(rest.first(), None | Some(Step::Key(_)));
            if !creatable {
                return Err(format!("{path} selects nothing: there is no field {key:?}"));
            }
            let mut created = Node::new(NodeKind::Scalar(Scalar::plain("")));
            let count = apply_at(&mut created, rest, op, value, &path)?;
            // A key read back as written needs quotes unless it is a plain name.
            let plain_name = key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
            let key = if plain_name {
                Scalar::plain(key.clone())
            } else {
                Scalar::quoted(key.clone())
            };
            entries.push(Entry {
                key,
                line: 0,
                column: 0,
                value: created,
            });
            Ok(count)
        }
        Step::Index(index) => {
            let NodeKind::Sequence(items) = &mut node.kind else {
                return Err(format!("{} is not a list", describe(here)));
            };
            let n_items = items.len() as i64;
            let resolved = if *index < 0 { n_items + index } else { *index };
            if !(0..n_items).contains(&resolved) {
                return Err(format!(
                    "{here}[{index}] selects nothing: the list has {n_items} items"
                ));
            }
            let path = format!("{here}[{resolved}]");
            apply_at(&mut items[resolved as usize], rest, op, value, &path)
        }
        Step::All => {
            let mut count = 0;
            match &mut node.kind {
                NodeKind::Sequence(items) => {
                    for (idx, item) in items.iter_mut().enumerate() {
                        count += apply_at(item, rest, op, value, &format!("{here}[{idx}]"))?;
                    }
                }
                NodeKind::Mapping(entries) => {
                    for entry in entries {
                        let path = join_key(here, &entry.key.text);
                        count += apply_at(&mut entry.value, rest, op, value, &path)?;
                    }
                }
                NodeKind::Scalar(_) => {
                    return Err(format!("{} is not a list", describe(here)));
                }
            }
            if count == 0 {
                return Err(format!("{here}[*] selects nothing: it is empty"));
            }
            Ok(count)
        }
        Step::Select { field, value: want } => {
            let NodeKind::Sequence(items) = &mut node.kind else {
                return Err(format!("{} is not a list", describe(here)));
            };
            let mut count = 0;
            let mut seen = Vec::new();
            for (idx, item) in items.iter_mut().enumerate() {
                let found = item
                    .get(field)
                    .and_then(Node::scalar)
                    .map(|s| s.text.clone());
                match found {
                    Some(text) if text == *want => {
                        count += apply_at(item, rest, op, value, &format!("{here}[{idx}]"))?;
                    }
                    Some(text) => seen.push(text),
                    None => {}
                }
            }
            if count == 0 {
                let known = if seen.is_empty() {
                    format!("no item has a {field}")
                } else {
                    format!("{field}s are {}", seen.join(", "))
                };
                return Err(format!("{here}[{field}={want}] selects nothing: {known}"));
            }
            Ok(count)
        }
    }
}

fn join_key(here: &str, key: &str) -> String {
    if key.contains(['.', '[', ']']) {
        format!("{here}[{key:?}]")
    } else if here.is_empty() {
        key.to_owned()
    } else {
        format!("{here}.{key}")
    }
}

fn describe(here: &str) -> String {
    if here.is_empty() {
        "the document".to_owned()
    } else {
        here.to_owned()
    }
}

fn at(here: &str, message: &str) -> String {
    format!("{}: {message}", describe(here))
}

/// Applies `op` to one selected node.
fn change(node: &mut Node, op: PatchOp, value: &Node) -> Result<(), String> {
    match op {
        PatchOp::Set => {
            *node = value.clone();
            Ok(())
        }
        PatchOp::Append => {
            if node.is_null() {
                *node = Node::new(NodeKind::Sequence(Vec::new()));
            }
            match &mut node.kind {
                NodeKind::Sequence(items) => {
                    items.push(value.clone());
                    Ok(())
                }
                _ => Err(format!("cannot append to {}: not a list", node.flow_text())),
            }
        }
        PatchOp::Add | PatchOp::Scale => {
            let operand = value
                .scalar()
                .and_then(Scalar::number)
                .ok_or_else(|| format!("{} is not a number", value.flow_text()))?;
            let text = node.scalar().map(|s| s.text.clone()).unwrap_or_default();
            let changed = match (op, node.scalar().and_then(Scalar::number)) {
                (PatchOp::Add, Some(current)) => add(current, operand).text(),
                (PatchOp::Scale, Some(current)) => scale(current, operand).text(),
                (PatchOp::Scale, None) => scale_rate(&text, operand).ok_or_else(|| {
                    format!(
                        "cannot scale {}: expected a number or a rate such as 30/h",
                        node.flow_text()
                    )
                })?,
                _ => return Err(format!("cannot add to {}: not a number", node.flow_text())),
            };
            node.kind = NodeKind::Scalar(Scalar::plain(changed));
            Ok(())
        }
    }
}

fn add(current: Number, operand: Number) -> Number {
    match (current, operand) {
        (Number::Int(a), Number::Int(b)) => Number::Int(a.saturating_add(b)),
        (a, b) => Number::Float(a.as_f64() + b.as_f64()),
    }
}

fn scale(current: Number, factor: Number) -> Number {
    match current {
        Number::Int(value) => Number::Int((value as f64 * factor.as_f64()).round() as i64),
        Number::Float(value) => Number::Float(value * factor.as_f64()),
    }
}

/// `30/h` scaled by 1.5 is `45/h`.
fn scale_rate(text: &str, factor: Number) -> Option<String> {
    let (number, unit) = text.split_once('/')?;
    let number = Number::parse(number.trim())?;
    let scaled = Number::Float(number.as_f64() * factor.as_f64());
    Some(format!("{}/{}", scaled.text(), unit.trim()))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::tree::parse;

    const FLEET: &str = "clusters:\n  - name: dc-01\n    node_pools: [{name: h100, count: 16}, {name: a100, count: 4}]\n  - name: dc-02\n    node_pools: [{name: h100, count: 8}]\nworkload: {synthetic: {arrivals: {rate: 30/h}}}\nnamespaces: [{name: llm, quota: {duplicated: {requests.nvidia.com/gpu: \"160\"}}}]\n";

    fn check(path: &str, op: PatchOp, value: &str) -> Result<(usize, Node), String> {
        let mut root = parse(FLEET, Path::new("s.yaml")).unwrap();
        let patch = Patch {
            path: FieldPath::parse(path)?,
            op,
            value: parse(value, Path::new("v.yaml")).unwrap(),
        };
        let count = patch.apply(&mut root)?;
        Ok((count, root))
    }

    fn text_at(root: &Node, keys: &[&str]) -> String {
        let mut node = root;
        for key in keys {
            node = match key.parse::<usize>() {
                Ok(idx) => &node.items().unwrap()[idx],
                Err(_) => node.get(key).unwrap(),
            };
        }
        node.flow_text()
    }

    #[test]
    fn selector_by_name_sets_one_pool() {
        let (count, root) = check(
            "clusters[name=dc-01].node_pools[name=h100].count",
            PatchOp::Set,
            "24",
        )
        .unwrap();
        assert_eq!(count, 1);
        let pools = ["clusters", "0", "node_pools", "0", "count"];
        assert_eq!(text_at(&root, &pools), "24");
        assert_eq!(
            text_at(&root, &["clusters", "1", "node_pools", "0", "count"]),
            "8"
        );
    }

    #[test]
    fn wildcard_adds_to_every_cluster() {
        let (count, root) =
            check("clusters[*].node_pools[name=h100].count", PatchOp::Add, "4").unwrap();
        assert_eq!(count, 2);
        assert_eq!(
            text_at(&root, &["clusters", "0", "node_pools", "0", "count"]),
            "20"
        );
        assert_eq!(
            text_at(&root, &["clusters", "1", "node_pools", "0", "count"]),
            "12"
        );
    }

    #[test]
    fn negative_index_counts_from_the_end() {
        let (_, root) = check("clusters[-1].node_pools[0].count", PatchOp::Set, "1").unwrap();
        assert_eq!(
            text_at(&root, &["clusters", "1", "node_pools", "0", "count"]),
            "1"
        );
    }

    #[test]
    fn quoted_keys_hold_dots() {
        let (_, root) = check(
            "namespaces[name=llm].quota.duplicated[\"requests.nvidia.com/gpu\"]",
            PatchOp::Set,
            "\"96\"",
        )
        .unwrap();
        let quota = text_at(&root, &["namespaces", "0", "quota", "duplicated"]);
        assert_eq!(quota, "{requests.nvidia.com/gpu: \"96\"}");
    }

    #[test]
    fn set_creates_missing_fields_and_append_creates_lists() {
        let (_, root) = check("scheduler.estimators", PatchOp::Set, "[general, accurate]").unwrap();
        assert_eq!(
            text_at(&root, &["scheduler"]),
            "{estimators: [general, accurate]}"
        );
        let (_, root) = check(
            "faults.outages",
            PatchOp::Append,
            "{cluster: dc-01, down: 0}",
        )
        .unwrap();
        assert_eq!(
            text_at(&root, &["faults"]),
            "{outages: [{cluster: dc-01, down: 0}]}"
        );
    }

    #[test]
    fn scale_multiplies_rates_and_rounds_integers() {
        let (_, root) = check("workload.synthetic.arrivals.rate", PatchOp::Scale, "1.5").unwrap();
        assert_eq!(
            text_at(&root, &["workload", "synthetic", "arrivals", "rate"]),
            "45/h"
        );
        let (_, root) = check("clusters[0].node_pools[1].count", PatchOp::Scale, "1.4").unwrap();
        // 4 × 1.4 = 5.6, rounded to 6.
        assert_eq!(
            text_at(&root, &["clusters", "0", "node_pools", "1", "count"]),
            "6"
        );
    }

    #[test]
    fn paths_that_select_nothing_say_what_is_there() {
        let err = check(
            "clusters[name=dc-09].node_pools[0].count",
            PatchOp::Set,
            "1",
        )
        .unwrap_err();
        assert_eq!(
            err,
            "clusters[name=dc-09] selects nothing: names are dc-01, dc-02"
        );
        let err = check("clusters[0].node_pools[5].count", PatchOp::Set, "1").unwrap_err();
        assert_eq!(
            err,
            "clusters[0].node_pools[5] selects nothing: the list has 2 items"
        );
        let err = check("clusters[0].pools", PatchOp::Add, "1").unwrap_err();
        assert_eq!(
            err,
            "clusters[0].pools selects nothing: there is no field \"pools\""
        );
    }

    #[test]
    fn arithmetic_needs_numbers() {
        let err = check("clusters[0].name", PatchOp::Add, "1").unwrap_err();
        assert_eq!(err, "clusters[0].name: cannot add to dc-01: not a number");
        let err = check("clusters[0].node_pools[0].count", PatchOp::Add, "many").unwrap_err();
        assert_eq!(err, "clusters[0].node_pools[0].count: many is not a number");
    }

    #[test]
    fn malformed_paths_are_refused() {
        assert!(FieldPath::parse("").is_err());
        assert!(FieldPath::parse("a..b").is_err());
        assert!(FieldPath::parse("a[0").is_err());
        assert!(FieldPath::parse("a[x y]").is_err());
        assert!(FieldPath::parse("a[0]b").is_err());
        assert_eq!(
            FieldPath::parse("a[\"b.c\"][name = x].d").unwrap().steps,
            [
                Step::Key("a".into()),
                Step::Key("b.c".into()),
                Step::Select {
                    field: "name".into(),
                    value: "x".into()
                },
                Step::Key("d".into())
            ]
        );
    }
}
