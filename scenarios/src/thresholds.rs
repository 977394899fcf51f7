//! The thresholds file of `fleetsim compare --thresholds`: per metric, how much worse it may
//! get before a change fails, and the confidence of the significance test.
//!
//! A CI gate that silently stops gating is the worst failure `compare` can have, so every name
//! is checked against the metrics the compared runs actually have ([`Thresholds::check_names`]),
//! with the closest name suggested, and every number is checked for range and sign here.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use crate::check::Checker;
use crate::error::Error;

/// One metric's limits as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitSpec {
    #[serde(default)]
    max_worse_pct: Option<Spanned<f64>>,
    #[serde(default)]
    max_worse: Option<Spanned<f64>>,
}

/// The file as written; metric entries keep their keys' positions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ThresholdsSpec {
    #[serde(default, deserialize_with = "entries")]
    metrics: Vec<(Spanned<String>, LimitSpec)>,
    #[serde(default)]
    confidence: Option<Spanned<f64>>,
}

/// A mapping read as a list of entries, in file order, so that keys keep their positions.
fn entries<'de, D: Deserializer<'de>>(
    de: D,
) -> Result<Vec<(Spanned<String>, LimitSpec)>, D::Error> {
    struct Entries;
    impl<'de> Visitor<'de> for Entries {
        type Value = Vec<(Spanned<String>, LimitSpec)>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a mapping of metric names to `{max_worse_pct: P, max_worse: A}`")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(key) = map.next_key::<Spanned<String>>()? {
                out.push((key, map.next_value()?));
            }
            Ok(out)
        }
    }
    de.deserialize_map(Entries)
}

/// One metric's limits, checked: each given limit is finite and not negative.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricLimit {
    /// The metric's name as `compare` spells it (`waiting_s.p95`).
    pub name: String,
    /// Fails when worse by more than this many percent of the base.
    pub max_worse_pct: Option<f64>,
    /// Fails when worse by more than this much, in the metric's own unit.
    pub max_worse: Option<f64>,
    line: u64,
    column: u64,
}

/// A checked thresholds file.
#[derive(Clone, Debug, PartialEq)]
pub struct Thresholds {
    /// The file, for errors found later (unknown metric names).
    pub file: PathBuf,
    /// Limits per metric, in file order; a name appears once.
    pub metrics: Vec<MetricLimit>,
    /// Confidence level of the significance test, strictly between 0 and 1.
    pub confidence: Option<f64>,
}

/// Reads and checks a thresholds file.
pub fn load_thresholds(file: &Path) -> Result<Thresholds, Error> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
        file: file.to_owned(),
        source,
    })?;
    parse_thresholds(&text, file)
}

/// Parses and checks thresholds text; `file` is used in error messages.
pub fn parse_thresholds(text: &str, file: &Path) -> Result<Thresholds, Error> {
    // An empty file is an empty mapping: defaults everywhere.
    let spec: ThresholdsSpec = if text.trim().is_empty() {
        ThresholdsSpec {
            metrics: Vec::new(),
            confidence: None,
        }
    } else {
        crate::parse_yaml(text, file)?
    };
    let ck = Checker {
        file,
        line_offset: 0,
    };
    let mut metrics: Vec<MetricLimit> = Vec::new();
    for (key, limit) in spec.metrics {
        let path = format!("metrics.{}", key.value);
        if metrics.iter().any(|m| m.name == key.value) {
            return ck.at(&key, path, "named twice");
        }
        let limit_value = |value: &Option<Spanned<f64>>, field: &str| match value {
            None => Ok(None),
            Some(v) if v.value.is_finite() && v.value >= 0.0 => Ok(Some(v.value)),
            Some(v) => ck.at(
                v,
                format!("{path}.{field}"),
                format!(
                    "expected a finite number ≥ 0 (how much worse the metric may get), got {}",
                    v.value
                ),
            ),
        };
        let max_worse_pct = limit_value(&limit.max_worse_pct, "max_worse_pct")?;
        let max_worse = limit_value(&limit.max_worse, "max_worse")?;
        if max_worse_pct.is_none() && max_worse.is_none() {
            return ck.at(
                &key,
                path,
                "no limit given: expected `max_worse_pct`, `max_worse` or both",
            );
        }
        metrics.push(MetricLimit {
            name: key.value.clone(),
            max_worse_pct,
            max_worse,
            line: key.referenced.line(),
            column: key.referenced.column(),
        });
    }
    let confidence = match spec.confidence {
        None => None,
        Some(c) if c.value > 0.0 && c.value < 1.0 => Some(c.value),
        Some(c) => {
            let hint = if c.value > 1.0 && c.value < 100.0 {
                format!(" (for {} %, write {})", c.value, c.value / 100.0)
            } else {
                String::new()
            };
            return ck.at(
                &c,
                "confidence",
                format!(
                    "expected a fraction strictly between 0 and 1, got {}{hint}",
                    c.value
                ),
            );
        }
    };
    Ok(Thresholds {
        file: file.to_owned(),
        metrics,
        confidence,
    })
}

impl Thresholds {
    /// Fails on the first metric name that is not in `known`, suggesting the closest known
    /// name: a limit on a metric the runs do not have would gate nothing.
    pub fn check_names<'a>(
        &self,
        known: impl IntoIterator<Item = &'a str> + Clone,
    ) -> Result<(), Error> {
        let ck = Checker {
            file: &self.file,
            line_offset: 0,
        };
        for limit in &self.metrics {
            if known.clone().into_iter().any(|k| k == limit.name) {
                continue;
            }
            let hint = closest(&limit.name, known.clone())
                .map(|name| format!("; did you mean `{name}`?"))
                .unwrap_or_default();
            return ck.error(
                limit.line,
                limit.column,
                format!("metrics.{}", limit.name),
                format!(
                    "unknown metric `{}`: neither run has it, so this limit would gate nothing{hint} (`fleetsim compare --list-metrics RUN` lists the names)",
                    limit.name
                ),
            );
        }
        Ok(())
    }
}

/// The known name closest to `name` by edit distance (Damerau–Levenshtein), if it is close
/// enough to be a typo (at most a third of the name's length). Ties go to a name with the same
/// letters (a transposition: `p59` → `p95`), then to the first in `known`'s order.
pub fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    let letters = |text: &str| {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars
    };
    let own = letters(name);
    let mut best: Option<((usize, bool), &str)> = None;
    for candidate in known {
        let distance = strsim::damerau_levenshtein(name, candidate);
        let key = (distance, letters(candidate) != own);
        if distance <= limit && best.is_none_or(|(k, _)| key < k) {
            best = Some((key, candidate));
        }
    }
    best.map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Thresholds, Error> {
        parse_thresholds(text, Path::new("t.yaml"))
    }

    fn message(text: &str) -> String {
        parse(text).unwrap_err().to_string()
    }

    #[test]
    fn reads_limits_with_their_positions() {
        let t = parse("metrics:\n  waiting_s.p95: {max_worse_pct: 3, max_worse: 60}\n  gpu_utilization.overall:\n    max_worse: 0.005\nconfidence: 0.9\n").unwrap();
        assert_eq!(t.confidence, Some(0.9));
        assert_eq!(t.metrics.len(), 2);
        assert_eq!(t.metrics[0].name, "waiting_s.p95");
        assert_eq!(t.metrics[0].max_worse_pct, Some(3.0));
        assert_eq!(t.metrics[0].max_worse, Some(60.0));
        assert_eq!((t.metrics[0].line, t.metrics[0].column), (2, 3));
        assert_eq!(t.metrics[1].max_worse, Some(0.005));
        assert_eq!(t.metrics[1].line, 3);
        assert!(parse("").unwrap().metrics.is_empty());
    }

    #[test]
    fn confidence_must_be_a_fraction() {
        let m = message("confidence: 95\n");
        assert!(m.starts_with("t.yaml:1:13: confidence: expected a fraction strictly between 0 and 1, got 95 (for 95 %, write 0.95)"), "{m}");
        for bad in ["0", "1", "-0.5", ".nan", ".inf"] {
            assert!(parse(&format!("confidence: {bad}\n")).is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_must_be_finite_and_not_negative() {
        let m = message("metrics:\n  waiting_s.p95: {max_worse_pct: -5}\n");
        // `-5` starts at column 34: two spaces, `waiting_s.p95: {` (16), `max_worse_pct: ` (15).
        assert!(
            m.starts_with(
                "t.yaml:2:34: metrics.waiting_s.p95.max_worse_pct: expected a finite number ≥ 0"
            ),
            "{m}"
        );
        assert!(parse("metrics:\n  x: {max_worse: .nan}\n").is_err());
        assert!(message("metrics:\n  x: {}\n").contains("no limit given"));
        let twice = message("metrics:\n  x: {max_worse: 1}\n  x: {max_worse: 2}\n");
        assert!(
            twice.contains("duplicate") || twice.contains("named twice"),
            "{twice}"
        );
        assert!(message("metrics:\n  x: {max_worse_pc: 1}\n").contains("unknown field"));
    }

    #[test]
    fn unknown_names_are_refused_with_the_closest_suggested() {
        let t = parse(
            "metrics:\n  waiting_s.p95: {max_worse_pct: 1}\n  waiting_s.p59: {max_worse_pct: 1}\n",
        )
        .unwrap();
        let known = ["waiting_s.p50", "waiting_s.p95", "waiting_s.p99"];
        let m = t.check_names(known).unwrap_err().to_string();
        assert!(
            m.starts_with("t.yaml:3:3: metrics.waiting_s.p59: unknown metric `waiting_s.p59`"),
            "{m}"
        );
        // p59 is one edit from each of p50, p95 and p99; p95 has the same letters (a
        // transposition), so it is the suggestion.
        assert!(m.contains("did you mean `waiting_s.p95`?"), "{m}");
        assert!(t.check_names(["waiting_s.p95", "waiting_s.p59"]).is_ok());
    }

    #[test]
    fn closest_needs_a_plausible_typo() {
        let known = ["gpu_utilization.overall", "jobs.unschedulable"];
        assert_eq!(
            closest("gpu_utilisation.overall", known),
            Some("gpu_utilization.overall")
        );
        assert_eq!(
            closest("jobs.unschedulabel", known),
            Some("jobs.unschedulable")
        );
        assert_eq!(closest("latency", known), None);
    }
}
