//! A YAML file as an ordered tree that keeps every scalar as it was written, so sweeps and plans
//! can change fields of a scenario by path before it is validated, then write it back as YAML
//! that means the same thing everywhere else.
//!
//! Scalars keep their text and whether they were quoted: `count: 16` stays a plain `16` and
//! `cpu: "96"` stays a string, and a plain `6214e9` is not turned into a float on the way
//! through. Anchors are resolved by copying the anchored node, so the tree has no aliases.
//! Positions (1-based line and column) are kept for error messages.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Tag};

use crate::error::{Error, Position};

/// Most nodes a file may expand to once aliases are copied (a guard against alias bombs).
const MAX_NODES: usize = 10_000_000;

/// One node of the tree, with where it starts in its file (line and column 0 when made in
/// code).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// What the node holds.
    pub kind: NodeKind,
    /// 1-based line; 0 when unknown.
    pub line: u64,
    /// 1-based column; 0 when unknown.
    pub column: u64,
}

/// A scalar, a sequence or a mapping.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A scalar as written.
    Scalar(Scalar),
    /// A sequence, in order.
    Sequence(Vec<Node>),
    /// A mapping, in file order.
    Mapping(Vec<Entry>),
}

/// A scalar's text after YAML escapes, and whether it was quoted (or tagged `!!str`): a
/// quoted scalar is always a string, a plain one is typed by its text (`16`, `true`, `~`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scalar {
    /// The text.
    pub text: String,
    /// Written in quotes or as a block scalar.
    pub quoted: bool,
}

/// One key and value of a mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The key.
    pub key: Scalar,
    /// The key's position.
    pub line: u64,
    /// The key's column.
    pub column: u64,
    /// The value.
    pub value: Node,
}

impl Scalar {
    /// A plain scalar: typed by its text when the YAML is read.
    pub fn plain(text: impl Into<String>) -> Scalar {
        Scalar {
            text: text.into(),
            quoted: false,
        }
    }

    /// A quoted scalar: always a string.
    pub fn quoted(text: impl Into<String>) -> Scalar {
        Scalar {
            text: text.into(),
            quoted: true,
        }
    }

    /// The value as a number, if it is a plain integer or decimal.
    pub fn number(&self) -> Option<Number> {
        if self.quoted {
            return None;
        }
        Number::parse(&self.text)
    }
}

/// A plain scalar's number: integers stay integers, so `count: 16` plus 4 is `20`, not `20.0`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Number {
    /// A whole number.
    Int(i64),
    /// Anything else.
    Float(f64),
}

impl Number {
    /// Reads a YAML integer or float (`16`, `-3`, `2.5`, `1e3`); `None` for anything else.
    pub fn parse(text: &str) -> Option<Number> {
        if let Ok(int) = text.parse::<i64>() {
            return Some(Number::Int(int));
        }
        // Rust also reads "inf" and "NaN", which YAML spells differently.
        let numeric = text
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
        match text.parse::<f64>() {
            Ok(value) if numeric && value.is_finite() => Some(Number::Float(value)),
            _ => None,
        }
    }

    /// As a float.
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(int) => int as f64,
            Number::Float(value) => value,
        }
    }

    /// The YAML spelling: the shortest text that reads back as the same value.
    pub fn text(self) -> String {
        match self {
            Number::Int(int) => int.to_string(),
            Number::Float(value) => format!("{value}"),
        }
    }
}

impl Node {
    /// A node made in code, with no position.
    pub fn new(kind: NodeKind) -> Node {
        Node {
            kind,
            line: 0,
            column: 0,
        }
    }

    /// A plain scalar node.
    pub fn plain(text: impl Into<String>) -> Node {
        Node::new(NodeKind::Scalar(Scalar::plain(text)))
    }

    /// A quoted scalar node.
    pub fn quoted(text: impl Into<String>) -> Node {
        Node::new(NodeKind::Scalar(Scalar::quoted(text)))
    }

    /// A mapping node from (key, value) pairs, keys plain.
    pub fn mapping(entries: impl IntoIterator<Item = (&'static str, Node)>) -> Node {
        Node::new(NodeKind::Mapping(
            entries
                .into_iter()
                .map(|(key, value)| Entry {
                    key: Scalar::plain(key),
                    line: 0,
                    column: 0,
                    value,
                })
                .collect(),
        ))
    }

    /// The scalar, if this is one.
    pub fn scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            NodeKind::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    /// The value under `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Mapping(entries) => {
                entries.iter().find(|e| e.key.text == key).map(|e| &e.value)
            }
            _ => None,
        }
    }

    /// The items, if this is a sequence.
    pub fn items(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Sequence(items) => Some(items),
            _ => None,
        }
    }

    /// True for a null: an empty plain scalar, `~` or `null`.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar(Scalar { text, quoted: false })
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The node as a one-line flow YAML text (`{cluster: dc-01, down: 0}`), for labels.
    pub fn flow_text(&self) -> String {
        match &self.kind {
            NodeKind::Scalar(scalar) => scalar_text(scalar),
            NodeKind::Sequence(items) => {
                let items: Vec<String> = items.iter().map(Node::flow_text).collect();
                format!("[{}]", items.join(", "))
            }
            NodeKind::Mapping(entries) => {
                let entries: Vec<String> = entries
                    .iter()
                    .map(|e| format!("{}: {}", scalar_text(&e.key), e.value.flow_text()))
                    .collect();
                format!("{{{}}}", entries.join(", "))
            }
        }
    }

    /// The tree as block-style YAML.
    pub fn to_yaml(&self) -> String {
        let mut out = String::new();
        match &self.kind {
            NodeKind::Scalar(scalar) => {
                out.push_str(&scalar_text(scalar));
                out.push('\n');
            }
            _ if is_empty_collection(self) => {
                out.push_str(&self.flow_text());
                out.push('\n');
            }
            _ => emit_block(self, 0, &mut out),
        }
        out
    }
}

fn is_empty_collection(node: &Node) -> bool {
    match &node.kind {
        NodeKind::Sequence(items) => items.is_empty(),
        NodeKind::Mapping(entries) => entries.is_empty(),
        NodeKind::Scalar(_) => false,
    }
}

/// Writes a non-empty sequence or mapping at `indent` spaces, one line per scalar.
fn emit_block(node: &Node, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    let value = |value: &Node, out: &mut String| match &value.kind {
        NodeKind::Scalar(scalar) => {
            let text = scalar_text(scalar);
            if !text.is_empty() {
                out.push(' ');
                out.push_str(&text);
            }
            out.push('\n');
        }
        _ if is_empty_collection(value) => {
            let _ = writeln!(out, " {}", value.flow_text());
        }
        _ => {
            out.push('\n');
            emit_block(value, indent + 2, out);
        }
    };
    match &node.kind {
        NodeKind::Sequence(items) => {
            for item in items {
                let _ = write!(out, "{pad}-");
                value(item, out);
            }
        }
        NodeKind::Mapping(entries) => {
            for entry in entries {
                let _ = write!(out, "{pad}{}:", scalar_text(&entry.key));
                value(&entry.value, out);
            }
        }
        NodeKind::Scalar(_) => unreachable!("scalars are written by their parent"),
    }
}

/// A scalar as YAML text: plain as written, anything else double-quoted with escapes.
fn scalar_text(scalar: &Scalar) -> String {
    if !scalar.quoted && !scalar.text.contains(['\n', '\r']) {
        return scalar.text.clone();
    }
    let mut out = String::with_capacity(scalar.text.len() + 2);
    out.push('"');
    for c in scalar.text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A collection being read: its items or entries so far.
enum Open {
    Sequence {
        items: Vec<Node>,
        anchor: usize,
        line: u64,
        column: u64,
    },
    Mapping {
        entries: Vec<Entry>,
        /// A key read, waiting for its value: the key and its position.
        key: Option<(Scalar, u64, u64)>,
        anchor: usize,
        line: u64,
        column: u64,
    },
}

impl Open {
    /// The finished collection and its anchor.
    fn close(self) -> (Node, usize) {
        match self {
            Open::Sequence {
                items,
                anchor,
                line,
                column,
            } => (
                Node {
                    kind: NodeKind::Sequence(items),
                    line,
                    column,
                },
                anchor,
            ),
            Open::Mapping {
                entries,
                anchor,
                line,
                column,
                ..
            } => (
                Node {
                    kind: NodeKind::Mapping(entries),
                    line,
                    column,
                },
                anchor,
            ),
        }
    }
}

/// Adds a finished node to the collection being read, or makes it the root. A node that
/// would be a mapping key but is not a scalar is refused with its line and column.
fn place(stack: &mut [Open], root: &mut Option<Node>, node: Node) -> Result<(), (u64, u64)> {
    match stack.last_mut() {
        None => *root = Some(node),
        Some(Open::Sequence { items, .. }) => items.push(node),
        Some(Open::Mapping { entries, key, .. }) => match key.take() {
            Some((key, key_line, key_column)) => entries.push(Entry {
                key,
                line: key_line,
                column: key_column,
                value: node,
            }),
            None => match node.kind {
                NodeKind::Scalar(scalar) => *key = Some((scalar, node.line, node.column)),
                _ => return Err((node.line, node.column)),
            },
        },
    }
    Ok(())
}

/// Reads one YAML document into a tree; errors name `file`, the line and the column.
pub fn parse(text: &str, file: &Path) -> Result<Node, Error> {
    let error = |line: u64, column: u64, message: String| Error::Input {
        position: Position {
            file: file.to_owned(),
            line,
            column,
            path: String::new(),
        },
        message,
    };
    let mut stack: Vec<Open> = Vec::new();
    let mut anchors: BTreeMap<usize, Node> = BTreeMap::new();
    let mut root: Option<Node> = None;
    let mut n_documents = 0;
    let mut n_nodes = 0usize;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let mark = e.marker();
            error(
                mark.line() as u64,
                mark.col() as u64 + 1,
                format!("{}", e.kind()),
            )
        })?;
        let (line, column) = (span.start.line() as u64, span.start.col() as u64 + 1);
        let finished = match event {
            Event::DocumentStart(..) => {
                n_documents += 1;
                if n_documents > 1 {
                    return Err(error(line, column, "expected one YAML document".into()));
                }
                None
            }
            Event::Scalar(value, style, anchor, tag) => {
                let quoted = style != ScalarStyle::Plain
                    || scalar_tag_is_string(tag.as_deref())
                        .map_err(|message| error(line, column, message))?;
                let node = Node {
                    kind: NodeKind::Scalar(Scalar {
                        text: value.into_owned(),
                        quoted,
                    }),
                    line,
                    column,
                };
                Some((node, anchor))
            }
            Event::SequenceStart(_, anchor, tag) => {
                collection_tag(tag.as_deref(), "seq").map_err(|m| error(line, column, m))?;
                stack.push(Open::Sequence {
                    items: Vec::new(),
                    anchor,
                    line,
                    column,
                });
                None
            }
            Event::MappingStart(_, anchor, tag) => {
                collection_tag(tag.as_deref(), "map").map_err(|m| error(line, column, m))?;
                stack.push(Open::Mapping {
                    entries: Vec::new(),
                    key: None,
                    anchor,
                    line,
                    column,
                });
                None
            }
            Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                Some(open) => Some(open.close()),
                None => return Err(error(line, column, "unbalanced collection".into())),
            },
            Event::Alias(id) => {
                let node = anchors
                    .get(&id)
                    .ok_or_else(|| error(line, column, "alias of an unknown anchor".into()))?;
                n_nodes += count_nodes(node);
                Some((node.clone(), 0))
            }
            Event::UnresolvedAlias(name) => {
                return Err(error(line, column, format!("unknown anchor {name:?}")));
            }
            _ => None,
        };
        let Some((node, anchor)) = finished else {
            continue;
        };
        n_nodes += 1;
        if n_nodes > MAX_NODES {
            return Err(error(
                line,
                column,
                format!("more than {MAX_NODES} nodes once aliases are expanded"),
            ));
        }
        if anchor != 0 {
            anchors.insert(anchor, node.clone());
        }
        place(&mut stack, &mut root, node).map_err(|(line, column)| {
            error(line, column, "a mapping key must be a scalar".into())
        })?;
    }
    Ok(root.unwrap_or_else(|| Node::new(NodeKind::Mapping(Vec::new()))))
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.kind {
        NodeKind::Scalar(_) => 0,
        NodeKind::Sequence(items) => items.iter().map(count_nodes).sum(),
        NodeKind::Mapping(entries) => entries.iter().map(|e| 1 + count_nodes(&e.value)).sum(),
    }
}

const CORE_SCHEMA: &str = "tag:yaml.org,2002:";

/// Whether a scalar's tag makes it a string; core-schema tags other than `!!str` leave it
/// typed by its text, and other tags are refused (nothing in a scenario uses them).
fn scalar_tag_is_string(tag: Option<&Tag>) -> Result<bool, String> {
    match tag {
        None => Ok(false),
        Some(tag) if tag.handle() == CORE_SCHEMA => match tag.suffix() {
            "str" => Ok(true),
            "int" | "float" | "bool" | "null" => Ok(false),
            other => Err(format!("tag !!{other} on a scalar is not supported")),
        },
        // The non-specific tag `!` makes a plain scalar a string.
        Some(tag) if tag.handle() == "!" && tag.suffix().is_empty() => Ok(true),
        Some(tag) => Err(format!(
            "tag {}{} is not supported",
            tag.handle(),
            tag.suffix()
        )),
    }
}

fn collection_tag(tag: Option<&Tag>, core: &str) -> Result<(), String> {
    match tag {
        None => Ok(()),
        Some(tag) if tag.handle() == CORE_SCHEMA && tag.suffix() == core => Ok(()),
        Some(tag) => Err(format!(
            "tag {}{} is not supported",
            tag.handle(),
            tag.suffix()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> Node {
        parse(text, Path::new("t.yaml")).unwrap()
    }

    /// Drops positions, so trees read from different texts compare by content.
    fn content(node: &Node) -> Node {
        let kind = match &node.kind {
            NodeKind::Scalar(s) => NodeKind::Scalar(s.clone()),
            NodeKind::Sequence(items) => NodeKind::Sequence(items.iter().map(content).collect()),
            NodeKind::Mapping(entries) => NodeKind::Mapping(
                entries
                    .iter()
                    .map(|e| Entry {
                        key: e.key.clone(),
                        line: 0,
                        column: 0,
                        value: content(&e.value),
                    })
                    .collect(),
            ),
        };
        Node::new(kind)
    }

    #[test]
    fn scalars_keep_their_text_and_quoting() {
        let root = tree("a: 16\nb: \"96\"\nc: 6214e9\nd: 'x'\ne: !!str 5\nf:\n");
        let scalar = |key| root.get(key).unwrap().scalar().unwrap().clone();
        assert_eq!(scalar("a"), Scalar::plain("16"));
        assert_eq!(scalar("b"), Scalar::quoted("96"));
        assert_eq!(scalar("c"), Scalar::plain("6214e9"));
        assert_eq!(scalar("d"), Scalar::quoted("x"));
        assert_eq!(scalar("e"), Scalar::quoted("5"));
        assert!(root.get("f").unwrap().is_null());
    }

    #[test]
    fn positions_are_one_based() {
        let root = tree("a:\n  b: [1, 2]\n");
        let b = root.get("a").unwrap().get("b").unwrap();
        assert_eq!((b.line, b.column), (2, 6));
        assert_eq!(
            (b.items().unwrap()[1].line, b.items().unwrap()[1].column),
            (2, 10)
        );
    }

    #[test]
    fn aliases_are_copies_of_their_anchor() {
        let root = tree("a: &pool {count: 2}\nb: *pool\n");
        assert_eq!(
            content(root.get("a").unwrap()),
            content(root.get("b").unwrap())
        );
    }

    #[test]
    fn block_output_reads_back_as_the_same_tree() {
        let text = "name: x\nlist:\n  - {a: 1, b: \"two\\n\"}\n  - [x, 'y z', []]\n  - {}\nmap: {k: ~, 'quoted key': x}\nblock: |\n  line one\n  line two\nempty:\nn: -5\n";
        let first = tree(text);
        let again = tree(&first.to_yaml());
        assert_eq!(content(&first), content(&again), "{}", first.to_yaml());
    }

    #[test]
    fn flow_text_is_one_line() {
        let root = tree("v: {cluster: dc-01, down: 0, tags: [a, \"b c\"]}\n");
        assert_eq!(
            root.get("v").unwrap().flow_text(),
            "{cluster: dc-01, down: 0, tags: [a, \"b c\"]}"
        );
    }

    #[test]
    fn numbers_keep_integers_whole() {
        assert_eq!(Number::parse("16"), Some(Number::Int(16)));
        assert_eq!(Number::parse("2.5"), Some(Number::Float(2.5)));
        assert_eq!(Number::parse("1e3"), Some(Number::Float(1000.0)));
        assert_eq!(Number::parse("inf"), None);
        assert_eq!(Number::parse("64Gi"), None);
        assert_eq!(Number::Float(3.0).text(), "3");
    }

    #[test]
    fn bad_yaml_names_line_and_column() {
        let err = parse("a: [1, 2\n", Path::new("t.yaml")).unwrap_err();
        let position = err.position().unwrap();
        assert_eq!(position.file, Path::new("t.yaml"));
        assert!(position.line >= 1, "{err}");
    }
}
