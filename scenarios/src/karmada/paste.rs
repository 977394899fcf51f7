//! A policy include read whole, as a user pastes it: `---`-separated YAML documents, JSON, and
//! `List`s, as `kubectl get -o yaml|json` prints them. Each object is sorted by its kind before
//! its fields are read, because what a field may be depends on the kind; kinds a policy include
//! does not model (workloads, Services, Namespaces) are counted and skipped, so a paste of a
//! whole Karmada example still yields its policies.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::check::Checker;
use crate::error::Error;
use crate::spec::Text;
use crate::spec::karmada::{
    FederatedQuotaObject, ObjectSpec, PriorityClassObject, ResourceQuotaObject,
};

/// One object of a paste, read in its kind's shape.
#[derive(Debug)]
pub(crate) enum PastedObject {
    /// A PropagationPolicy, ClusterPropagationPolicy, OverridePolicy or ClusterOverridePolicy.
    Policy(Box<ObjectSpec>),
    /// A FederatedResourceQuota.
    FederatedQuota(FederatedQuotaObject),
    /// A PriorityClass.
    PriorityClass(PriorityClassObject),
    /// A ResourceQuota.
    ResourceQuota(ResourceQuotaObject),
}

/// An object with where it sits in its file.
#[derive(Debug)]
pub(crate) struct Pasted {
    /// Lines of the file before the object's document: positions inside it count from there.
    pub(crate) line_offset: u64,
    /// The object's field path in its document: empty, or `items[N]` in a List.
    pub(crate) path: String,
    /// The object.
    pub(crate) object: PastedObject,
}

impl Pasted {
    /// The field path of `field` of this object.
    pub(crate) fn field(&self, field: &str) -> String {
        if self.path.is_empty() {
            field.to_owned()
        } else {
            format!("{}.{field}", self.path)
        }
    }
}

/// The modelled objects of one include, in file order, and the warnings reading it gave.
#[derive(Debug)]
pub(crate) struct Paste {
    /// The included file.
    pub(crate) file: PathBuf,
    /// Its modelled objects.
    pub(crate) objects: Vec<Pasted>,
    /// One line per kind skipped, and per field read but not modelled, in file order.
    pub(crate) warnings: Vec<String>,
}

impl Paste {
    /// A checker pointing into `object`'s document.
    pub(crate) fn checker(&self, object: &Pasted) -> Checker<'_> {
        Checker {
            file: &self.file,
            line_offset: object.line_offset,
        }
    }
}

/// What a kind is read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Policy,
    FederatedQuota,
    PriorityClass,
    ResourceQuota,
    List,
    Skipped,
}

fn shape(kind: &str) -> Shape {
    match kind {
        "PropagationPolicy"
        | "ClusterPropagationPolicy"
        | "OverridePolicy"
        | "ClusterOverridePolicy" => Shape::Policy,
        "FederatedResourceQuota" => Shape::FederatedQuota,
        "PriorityClass" => Shape::PriorityClass,
        "ResourceQuota" => Shape::ResourceQuota,
        // `kubectl get` prints `List`; the API server's own lists are `<Kind>List`.
        list if list.ends_with("List") => Shape::List,
        _ => Shape::Skipped,
    }
}

/// Just the type of an object, read leniently: any other field may follow.
#[derive(Debug, Deserialize)]
struct Header {
    kind: Option<Text>,
    #[serde(rename = "apiVersion")]
    api_version: Option<String>,
}

/// The types of a List's items.
#[derive(Debug, Deserialize)]
struct ListHeader {
    items: Option<Vec<Header>>,
}

/// Objects of one kind skipped, counted for one warning.
struct Skipped {
    api_version: String,
    kind: String,
    count: usize,
    first_line: u64,
}

/// Reads the objects of `text`, the contents of `file`.
pub(crate) fn read_paste(file: &Path, text: &str) -> Result<Paste, Error> {
    let mut paste = Paste {
        file: file.to_owned(),
        objects: Vec::new(),
        warnings: Vec::new(),
    };
    let mut skipped: Vec<Skipped> = Vec::new();
    for (first_line, doc) in documents(text) {
        let offset = first_line as u64 - 1;
        let ck = Checker {
            file,
            line_offset: offset,
        };
        let shifted = |err| shift_lines(err, offset);
        let header: Header = crate::parse_yaml(&doc, file).map_err(shifted)?;
        let Some(kind) = header.kind else {
            return ck.error(1, 1, "kind", "an object needs a kind");
        };
        let objects = match shape(&kind.value) {
            Shape::Skipped => {
                let api_version = header.api_version.unwrap_or_default();
                count_skipped(&mut skipped, api_version, &kind, offset);
                continue;
            }
            Shape::List => {
                let items: ListHeader = crate::parse_yaml(&doc, file).map_err(shifted)?;
                let items = items.items.unwrap_or_default();
                let mut shapes = Vec::new();
                for (idx, item) in items.iter().enumerate() {
                    let Some(kind) = &item.kind else {
                        return ck.error(
                            1,
                            1,
                            format!("items[{idx}].kind"),
                            "an object needs a kind",
                        );
                    };
                    let item_shape = match shape(&kind.value) {
                        // kubectl never nests Lists; the API server has no such object.
                        Shape::List => Shape::Skipped,
                        other => other,
                    };
                    if item_shape == Shape::Skipped {
                        let api_version = item.api_version.clone().unwrap_or_default();
                        count_skipped(&mut skipped, api_version, kind, offset);
                    }
                    shapes.push(item_shape);
                }
                let seed = ListSeed { shapes: &shapes };
                let read = crate::parse_yaml_seed(&doc, file, seed).map_err(shifted)?;
                read.into_iter()
                    .enumerate()
                    .filter_map(|(idx, object)| Some((format!("items[{idx}]"), object?)))
                    .collect()
            }
            single => match read_object(single, &doc, file).map_err(shifted)? {
                Some(object) => vec![(String::new(), object)],
                None => Vec::new(),
            },
        };
        for (path, object) in objects {
            if let PastedObject::PriorityClass(class) = &object
                && let Some(default) = class.global_default.as_ref().filter(|d| d.value)
            {
                paste.warnings.push(format!(
                    "{}:{}: PriorityClass: globalDefault is not modelled: a job without a \
                     priority_class has none",
                    file.display(),
                    default.referenced.line() + offset
                ));
            }
            paste.objects.push(Pasted {
                line_offset: offset,
                path,
                object,
            });
        }
    }
    for s in skipped {
        let objects = if s.count == 1 { "object" } else { "objects" };
        let api_version = if s.api_version.is_empty() {
            String::new()
        } else {
            format!(" ({})", s.api_version)
        };
        paste.warnings.push(format!(
            "{}:{}: skipped {} {objects} of kind {}{api_version}: not modelled in a policy include",
            file.display(),
            s.first_line,
            s.count,
            s.kind,
        ));
    }
    Ok(paste)
}

fn count_skipped(skipped: &mut Vec<Skipped>, api_version: String, kind: &Text, offset: u64) {
    match skipped
        .iter_mut()
        .find(|s| s.kind == kind.value && s.api_version == api_version)
    {
        Some(s) => s.count += 1,
        None => skipped.push(Skipped {
            api_version,
            kind: kind.value.clone(),
            count: 1,
            first_line: kind.referenced.line() + offset,
        }),
    }
}

fn read_object(shape: Shape, doc: &str, file: &Path) -> Result<Option<PastedObject>, Error> {
    Ok(Some(match shape {
        Shape::Policy => PastedObject::Policy(Box::new(crate::parse_yaml(doc, file)?)),
        Shape::FederatedQuota => PastedObject::FederatedQuota(crate::parse_yaml(doc, file)?),
        Shape::PriorityClass => PastedObject::PriorityClass(crate::parse_yaml(doc, file)?),
        Shape::ResourceQuota => PastedObject::ResourceQuota(crate::parse_yaml(doc, file)?),
        Shape::List | Shape::Skipped => return Ok(None),
    }))
}

/// Reads a List's `items`, each in the shape of its kind (given in order by `shapes`);
/// skipped items are `None`.
#[derive(Clone, Copy)]
struct ListSeed<'a> {
    shapes: &'a [Shape],
}

impl<'de> DeserializeSeed<'de> for ListSeed<'_> {
    type Value = Vec<Option<PastedObject>>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ListSeed<'_> {
    type Value = Vec<Option<PastedObject>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a List")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                items = map.next_value_seed(ItemsSeed(self.shapes))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(items)
    }
}

#[derive(Clone, Copy)]
struct ItemsSeed<'a>(&'a [Shape]);

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = Vec<Option<PastedObject>>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_> {
    type Value = Vec<Option<PastedObject>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of objects")
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        de.deserialize_seq(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        for shape in self.0 {
            match seq.next_element_seed(ItemSeed(*shape))? {
                Some(item) => items.push(item),
                None => break,
            }
        }
        // The header pass counted the items; nothing is left, but the sequence must be drained.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(items)
    }
}

#[derive(Clone, Copy)]
struct ItemSeed(Shape);

impl<'de> DeserializeSeed<'de> for ItemSeed {
    type Value = Option<PastedObject>;

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        Ok(Some(match self.0 {
            Shape::Policy => PastedObject::Policy(Box::new(ObjectSpec::deserialize(de)?)),
            Shape::FederatedQuota => {
                PastedObject::FederatedQuota(FederatedQuotaObject::deserialize(de)?)
            }
            Shape::PriorityClass => {
                PastedObject::PriorityClass(PriorityClassObject::deserialize(de)?)
            }
            Shape::ResourceQuota => {
                PastedObject::ResourceQuota(ResourceQuotaObject::deserialize(de)?)
            }
            Shape::List | Shape::Skipped => {
                IgnoredAny::deserialize(de)?;
                return Ok(None);
            }
        }))
    }
}

/// Splits a multi-document YAML text at `---` lines, keeping each document's first line number.
pub(crate) fn documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    for (idx, line) in text.lines().enumerate() {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed.starts_with("--- ") || trimmed.starts_with("---#") {
            docs.push((start, std::mem::take(&mut current)));
            start = idx + 2;
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    docs.push((start, current));
    docs.into_iter()
        .filter(|(_, doc)| {
            doc.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .collect()
}

pub(crate) fn shift_lines(err: Error, offset: u64) -> Error {
    match err {
        Error::Input {
            mut position,
            message,
        } => {
            if position.line > 0 {
                position.line += offset;
            }
            Error::Input { position, message }
        }
        other => other,
    }
}
