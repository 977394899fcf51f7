//! Timeline cases (`kind: timeline`): a small scenario run through the engine and the control
//! plane, as `fleetsim run` runs it, and the events it must produce. Events come from the run's
//! records (evictions, faults, preemptions, rebalances) and from each job's story as `fleetsim
//! explain` tells it (arrival, scheduling attempts, quota denials, pods waiting, start, end).
//!
//! Expected events of one job are matched in the order listed, each at or after the one before
//! (events at the same instant match in any order); events the case does not list may come in
//! between. Expectations without a job form one more such sequence over every event.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use scheduler::explain::{Entry, ExplainLog};
use scheduler::generic::Outcome;
use serde::Deserialize;
use sim_core::SimTime;
use sim_core::model::{ClusterId, JobId};
use sim_core::record::Record;
use sim_core::rng::RngStreams;

use super::{Answer, CaseResult};
use crate::Scenario;
use crate::check::Checker;
use crate::error::Error;
use crate::spec::{ScenarioSpec, Text};

/// Event names taken from the run's records (`events` table's `kind`).
const RECORD_EVENTS: &[&str] = &[
    "cluster_down",
    "cluster_up",
    "cluster_not_ready",
    "cluster_ready",
    "node_down",
    "node_up",
    "drain_start",
    "drain_end",
    "pods_lost",
    "eviction",
    "preemption",
    "binding_preemption",
    "restart",
    "recovered",
    "gang_timeout",
    "job_failed",
    "rebalance",
];

/// Event names taken from a job's story.
const STORY_EVENTS: &[&str] = &[
    "submitted",
    "unmatched",
    "existing",
    "scheduled",
    "unschedulable",
    "no_cluster_fit",
    "schedule_error",
    "quota_denied",
    "pending",
    "started",
    "completed",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimelineCase {
    #[allow(dead_code)]
    kind: Text,
    name: Text,
    #[allow(dead_code)]
    source: Option<String>,
    scenario: Option<ScenarioSpec>,
    scenario_file: Option<Text>,
    expect: ExpectSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectSpec {
    #[serde(default)]
    events: Vec<PatternSpec>,
    #[serde(default)]
    absent: Vec<PatternSpec>,
    #[serde(default)]
    counts: Vec<PatternSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PatternSpec {
    event: Text,
    job: Option<Text>,
    cluster: Option<Text>,
    at: Option<Text>,
    between: Option<Vec<Text>>,
    replicas: Option<i64>,
    reason: Option<String>,
    min: Option<u64>,
    max: Option<u64>,
}

/// One thing that happened in the run.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Event {
    time: SimTime,
    name: &'static str,
    job: Option<JobId>,
    cluster: Option<ClusterId>,
    replicas: Option<i64>,
    reason: String,
}

/// An expected event, resolved against the scenario.
#[derive(Clone, Debug)]
struct Pattern {
    name: &'static str,
    job: Option<(JobId, String)>,
    cluster: Option<(ClusterId, String)>,
    from: SimTime,
    to: SimTime,
    replicas: Option<i64>,
    reason: Option<String>,
    /// For counts: how many matching events are allowed.
    range: (u64, u64),
}

impl Pattern {
    fn matches(&self, event: &Event) -> bool {
        event.name == self.name
            && self
                .job
                .as_ref()
                .is_none_or(|(id, _)| event.job == Some(*id))
            && self
                .cluster
                .as_ref()
                .is_none_or(|(id, _)| event.cluster == Some(*id))
            && (self.from..=self.to).contains(&event.time)
            && self.replicas.is_none_or(|r| event.replicas == Some(r))
            && self
                .reason
                .as_ref()
                .is_none_or(|r| event.reason.contains(r.as_str()))
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some((_, job)) = &self.job {
            parts.push(format!("job {job}"));
        }
        parts.push(self.name.to_owned());
        if let Some((_, cluster)) = &self.cluster {
            parts.push(format!("cluster {cluster}"));
        }
        if let Some(r) = self.replicas {
            parts.push(format!("replicas {r}"));
        }
        if let Some(reason) = &self.reason {
            parts.push(format!("reason {reason:?}"));
        }
        if self.from == self.to {
            parts.push(format!("at {}", self.from));
        } else if self.from > SimTime::ZERO || self.to < SimTime::NEVER {
            let to = if self.to == SimTime::NEVER {
                "the end".to_owned()
            } else {
                self.to.to_string()
            };
            parts.push(format!("between {} and {to}", self.from));
        }
        format!("{{{}}}", parts.join(", "))
    }
}

/// Runs one timeline case from its text.
pub(super) fn run(ck: &Checker<'_>, text: &str) -> Result<CaseResult, Error> {
    let case: TimelineCase = crate::parse_yaml(text, ck.file)?;
    let scenario = scenario(ck, case.scenario, case.scenario_file.as_ref())?;
    let names = Names::of(&scenario);
    let events = resolve_all(ck, &names, &case.expect.events, "expect.events", false)?;
    let absent = resolve_all(ck, &names, &case.expect.absent, "expect.absent", false)?;
    let counts = resolve_all(ck, &names, &case.expect.counts, "expect.counts", true)?;
    if events.is_empty() && absent.is_empty() && counts.is_empty() {
        return ck.error(
            0,
            0,
            "expect",
            "a timeline case expects something: give events, absent or counts",
        );
    }
    let happened = simulate(ck, &scenario, events.iter().chain(&absent).chain(&counts))?;
    let failure = check_events(&events, &happened, &names)
        .or_else(|| check_absent(&absent, &happened, &names))
        .or_else(|| check_counts(&counts, &happened));
    let n = events.len() + absent.len() + counts.len();
    let (expected, got) = match failure {
        None => {
            let all = format!("{n} expectations met");
            (all.clone(), all)
        }
        Some(pair) => pair,
    };
    Ok(CaseResult {
        name: case.name.value,
        expected: Answer::Events(expected),
        got: Answer::Events(got),
    })
}

/// The scenario of the case, inline (validated as if it were the case file) or from a file
/// relative to the case.
fn scenario(
    ck: &Checker<'_>,
    inline: Option<ScenarioSpec>,
    file: Option<&Text>,
) -> Result<Scenario, Error> {
    match (inline, file) {
        (Some(spec), None) => crate::validate::validate(spec, ck.file),
        (None, Some(file)) => {
            let base = ck.file.parent().unwrap_or(Path::new("."));
            crate::load(&base.join(&file.value))
        }
        (Some(_), Some(file)) => ck.at(
            file,
            "scenario_file",
            "give either scenario or scenario_file, not both",
        ),
        (None, None) => ck.error(
            0,
            0,
            "scenario",
            "missing field `scenario`: expected a scenario (inline) or scenario_file",
        ),
    }
}

/// Job and cluster names of a scenario.
struct Names {
    jobs: BTreeMap<String, JobId>,
    job_names: BTreeMap<JobId, String>,
    clusters: Vec<String>,
}

impl Names {
    fn of(scenario: &Scenario) -> Names {
        let mut jobs = BTreeMap::new();
        let mut job_names = BTreeMap::new();
        for job in scenario.jobs(RngStreams::new(scenario.seed)) {
            jobs.entry(job.name.clone()).or_insert(job.id);
            job_names.insert(job.id, job.name);
        }
        Names {
            jobs,
            job_names,
            clusters: scenario
                .world
                .fleet
                .clusters
                .iter()
                .map(|c| c.name.clone())
                .collect(),
        }
    }

    fn render(&self, event: &Event) -> String {
        let mut text = format!("{} {}", event.time, event.name);
        if let Some(cluster) = event.cluster {
            text.push(' ');
            text.push_str(&self.clusters[cluster.0 as usize]);
        }
        if let Some(r) = event.replicas {
            text.push_str(&format!(" ×{r}"));
        }
        text
    }
}

fn resolve_all(
    ck: &Checker<'_>,
    names: &Names,
    specs: &[PatternSpec],
    path: &str,
    counting: bool,
) -> Result<Vec<Pattern>, Error> {
    specs
        .iter()
        .enumerate()
        .map(|(idx, spec)| resolve(ck, names, spec, &format!("{path}[{idx}]"), counting))
        .collect()
}

fn resolve(
    ck: &Checker<'_>,
    names: &Names,
    spec: &PatternSpec,
    path: &str,
    counting: bool,
) -> Result<Pattern, Error> {
    let name = RECORD_EVENTS
        .iter()
        .chain(STORY_EVENTS)
        .find(|n| **n == spec.event.value)
        .copied();
    let Some(name) = name else {
        return ck.at(
            &spec.event,
            format!("{path}.event"),
            format!(
                "unknown event {:?}; expected one of {}, {}",
                spec.event.value,
                STORY_EVENTS.join(", "),
                RECORD_EVENTS.join(", ")
            ),
        );
    };
    let job = match &spec.job {
        None => None,
        Some(text) => match names.jobs.get(&text.value) {
            Some(id) => Some((*id, text.value.clone())),
            None => {
                return ck.at(
                    text,
                    format!("{path}.job"),
                    format!("no job {:?} in the scenario's workload", text.value),
                );
            }
        },
    };
    let cluster = match &spec.cluster {
        None => None,
        Some(text) => match names.clusters.iter().position(|c| *c == text.value) {
            Some(idx) => Some((ClusterId(idx as u32), text.value.clone())),
            None => {
                return ck.at(
                    text,
                    format!("{path}.cluster"),
                    format!(
                        "no cluster {:?}; the scenario declares: {}",
                        text.value,
                        names.clusters.join(", ")
                    ),
                );
            }
        },
    };
    let (from, to) = window(ck, spec, path)?;
    let range = count_range(ck, spec, path, counting)?;
    Ok(Pattern {
        name,
        job,
        cluster,
        from,
        to,
        replicas: spec.replicas,
        reason: spec.reason.clone(),
        range,
    })
}

/// The time window of an expectation: `at`, `between`, or the whole run.
fn window(ck: &Checker<'_>, spec: &PatternSpec, path: &str) -> Result<(SimTime, SimTime), Error> {
    let time = |text: &Text, field: &str| {
        ck.duration(text, &format!("{path}.{field}"))
            .map(|d| SimTime(d.as_millis()))
    };
    match (&spec.at, &spec.between) {
        (Some(at), Some(_)) => ck.at(
            at,
            format!("{path}.between"),
            "give at or between, not both",
        ),
        (Some(at), None) => {
            let t = time(at, "at")?;
            Ok((t, t))
        }
        (None, Some(between)) if between.len() == 2 => {
            let (from, to) = (time(&between[0], "between")?, time(&between[1], "between")?);
            if to < from {
                return ck.at(
                    &between[1],
                    format!("{path}.between"),
                    "expected [from, to] with from ≤ to",
                );
            }
            Ok((from, to))
        }
        (None, Some(_)) => ck.at(
            &spec.event,
            format!("{path}.between"),
            "expected two durations: [from, to]",
        ),
        (None, None) => Ok((SimTime::ZERO, SimTime::NEVER)),
    }
}

/// How many matching events a `counts` entry allows; one or more elsewhere.
fn count_range(
    ck: &Checker<'_>,
    spec: &PatternSpec,
    path: &str,
    counting: bool,
) -> Result<(u64, u64), Error> {
    let range = match (counting, spec.min, spec.max) {
        (true, min, max) if min.is_some() || max.is_some() => {
            (min.unwrap_or(0), max.unwrap_or(u64::MAX))
        }
        (true, _, _) => {
            return ck.at(
                &spec.event,
                format!("{path}.min"),
                "a count needs min, max or both",
            );
        }
        (false, None, None) => (1, u64::MAX),
        (false, _, _) => {
            return ck.at(
                &spec.event,
                format!("{path}.min"),
                "min and max belong in expect.counts",
            );
        }
    };
    Ok(range)
}

/// Runs the scenario: one run for the records, and one per job whose story a pattern reads.
fn simulate<'a>(
    ck: &Checker<'_>,
    scenario: &Scenario,
    patterns: impl Iterator<Item = &'a Pattern>,
) -> Result<Vec<Event>, Error> {
    let internal = |message: String| Error::Input {
        position: crate::Position {
            file: ck.file.to_owned(),
            line: 0,
            column: 0,
            path: "scenario".to_owned(),
        },
        message: format!("the run failed: {message}"),
    };
    let mut stories: BTreeSet<JobId> = BTreeSet::new();
    let mut every_story = false;
    for pattern in patterns.filter(|p| STORY_EVENTS.contains(&p.name)) {
        match &pattern.job {
            Some((id, _)) => {
                stories.insert(*id);
            }
            None => every_story = true,
        }
    }
    if every_story {
        stories.extend((0..scenario.n_jobs()).map(JobId));
    }
    let outcome = crate::simulate::run(scenario, None).map_err(internal)?;
    let mut events: Vec<Event> = outcome
        .records
        .iter()
        .filter_map(|record| match record {
            Record::Event(e) => Some(Event {
                time: e.time,
                name: e.kind.as_str(),
                job: e.job,
                cluster: e.cluster,
                replicas: (e.pods > 0).then_some(i64::from(e.pods)),
                reason: e.reason.clone(),
            }),
            _ => None,
        })
        .collect();
    for job in stories {
        let story = crate::simulate::run(scenario, Some(job)).map_err(internal)?;
        if let Some(log) = story.explained {
            events.extend(story_events(&log));
        }
    }
    // Stable: records keep their order, then the stories, within one instant.
    events.sort_by_key(|e| e.time);
    Ok(events)
}

/// A job's story as events.
fn story_events(log: &ExplainLog) -> Vec<Event> {
    let event = |time: SimTime, name: &'static str| Event {
        time,
        name,
        job: Some(log.job),
        cluster: None,
        replicas: None,
        reason: String::new(),
    };
    let mut out = Vec::new();
    for (idx, (time, entry)) in log.entries.iter().enumerate() {
        match entry {
            Entry::Submitted { .. } => out.push(event(*time, "submitted")),
            Entry::Unmatched => out.push(event(*time, "unmatched")),
            Entry::Existing { cluster } => out.push(Event {
                cluster: Some(*cluster),
                ..event(*time, "existing")
            }),
            Entry::Attempt(attempt) => {
                let denied = matches!(
                    log.entries.get(idx + 1),
                    Some((t, Entry::QuotaDenied { .. })) if t == time
                );
                match &attempt.outcome {
                    // A denied assignment is reported by the denial.
                    Outcome::Scheduled(_) if denied => {}
                    // One event per target cluster (a binding with components targets
                    // clusters with 0 replicas); an empty result is one event without one.
                    Outcome::Scheduled(list) => {
                        if list.is_empty() {
                            out.push(Event {
                                replicas: Some(0),
                                ..event(*time, "scheduled")
                            });
                        }
                        for (cluster, replicas) in list {
                            out.push(Event {
                                cluster: Some(*cluster),
                                replicas: Some(*replicas),
                                ..event(*time, "scheduled")
                            });
                        }
                    }
                    Outcome::Unschedulable(reason) => out.push(Event {
                        reason: reason.clone(),
                        ..event(*time, "unschedulable")
                    }),
                    Outcome::NoClusterFit(reason) => out.push(Event {
                        reason: reason.clone(),
                        ..event(*time, "no_cluster_fit")
                    }),
                    Outcome::Error(reason) => out.push(Event {
                        reason: reason.clone(),
                        ..event(*time, "schedule_error")
                    }),
                }
            }
            Entry::QuotaDenied { reason } => out.push(Event {
                reason: reason.clone(),
                ..event(*time, "quota_denied")
            }),
            Entry::Pending { cluster, n_pods } => out.push(Event {
                cluster: Some(*cluster),
                replicas: Some(i64::from(*n_pods)),
                ..event(*time, "pending")
            }),
            Entry::Started => out.push(event(*time, "started")),
            Entry::Completed => out.push(event(*time, "completed")),
            // Bindings to nodes are too fine to pin; losses, evictions and failures come
            // from the records.
            Entry::Bound { .. }
            | Entry::PodsLost { .. }
            | Entry::Evicted { .. }
            | Entry::JobFailure { .. }
            | Entry::Failed { .. } => {}
        }
    }
    out
}

/// What a failing expectation is shown against: the events of its job (or all), those of its
/// kind first when there are any, at most a few.
fn context(pattern: &Pattern, happened: &[Event], names: &Names) -> String {
    let in_scope: Vec<&Event> = happened
        .iter()
        .filter(|e| {
            pattern
                .job
                .as_ref()
                .is_none_or(|(id, _)| e.job == Some(*id))
        })
        .collect();
    let same: Vec<&Event> = in_scope
        .iter()
        .copied()
        .filter(|e| e.name == pattern.name)
        .collect();
    let shown = if same.is_empty() { in_scope } else { same };
    let owner = match &pattern.job {
        Some((_, name)) => format!("{name}: "),
        None => String::new(),
    };
    const HEAD: usize = 8;
    const TAIL: usize = 3;
    let mut parts: Vec<String> = Vec::new();
    if shown.len() > HEAD + TAIL {
        parts.extend(shown[..HEAD].iter().map(|e| names.render(e)));
        parts.push(format!("… {} more", shown.len() - HEAD - TAIL));
        parts.extend(shown[shown.len() - TAIL..].iter().map(|e| names.render(e)));
    } else {
        parts.extend(shown.iter().map(|e| names.render(e)));
    }
    let job_of = |e: &Event| {
        e.job
            .and_then(|j| names.job_names.get(&j))
            .map_or(String::new(), |n| format!("{n} "))
    };
    if pattern.job.is_none() && !shown.is_empty() {
        // Name the job of each event when the expectation names none.
        parts = shown
            .iter()
            .take(HEAD)
            .map(|e| format!("{}{}", job_of(e), names.render(e)))
            .collect();
        if shown.len() > HEAD {
            parts.push(format!("… {} more", shown.len() - HEAD));
        }
    }
    format!("{owner}[{}]", parts.join(", "))
}

/// The first expected event not found in order, with what happened instead.
fn check_events(
    patterns: &[Pattern],
    happened: &[Event],
    names: &Names,
) -> Option<(String, String)> {
    let mut used = vec![false; happened.len()];
    // Per job (None: the expectations naming no job), the time of the last match.
    let mut last: BTreeMap<Option<JobId>, SimTime> = BTreeMap::new();
    for pattern in patterns {
        let key = pattern.job.as_ref().map(|(id, _)| *id);
        let after = last.get(&key).copied().unwrap_or(SimTime::ZERO);
        let found = happened
            .iter()
            .enumerate()
            .find(|(idx, e)| !used[*idx] && e.time >= after && pattern.matches(e));
        match found {
            Some((idx, e)) => {
                used[idx] = true;
                last.insert(key, e.time);
            }
            None => {
                let order = if after > SimTime::ZERO {
                    format!(" at or after {after}")
                } else {
                    String::new()
                };
                return Some((
                    format!("event {}{order}", pattern.describe()),
                    context(pattern, happened, names),
                ));
            }
        }
    }
    None
}

fn check_absent(
    patterns: &[Pattern],
    happened: &[Event],
    names: &Names,
) -> Option<(String, String)> {
    for pattern in patterns {
        if let Some(e) = happened.iter().find(|e| pattern.matches(e)) {
            let job = e
                .job
                .and_then(|j| names.job_names.get(&j))
                .map_or(String::new(), |n| format!("{n} "));
            return Some((
                format!("no event {}", pattern.describe()),
                format!("{job}{}", names.render(e)),
            ));
        }
    }
    None
}

fn check_counts(patterns: &[Pattern], happened: &[Event]) -> Option<(String, String)> {
    for pattern in patterns {
        let n = happened.iter().filter(|e| pattern.matches(e)).count() as u64;
        let (min, max) = pattern.range;
        if n < min || n > max {
            let range = match (min, max) {
                (min, max) if min == max => format!("exactly {min}"),
                (0, max) => format!("at most {max}"),
                (min, u64::MAX) => format!("at least {min}"),
                (min, max) => format!("{min} to {max}"),
            };
            return Some((
                format!("{range} events {}", pattern.describe()),
                format!("{n}"),
            ));
        }
    }
    None
}

/// Every event the scenario of the timeline case in `file` produces, one line each in time
/// order (`TIME JOB EVENT CLUSTER ×REPLICAS: reason`), every job's story included: what a case's
/// expectations are written from.
pub fn run_events(file: &Path) -> Result<Vec<String>, Error> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
        file: file.to_owned(),
        source,
    })?;
    let ck = Checker {
        file,
        line_offset: 0,
    };
    let case: TimelineCase = crate::parse_yaml(&text, file)?;
    let scenario = scenario(&ck, case.scenario, case.scenario_file.as_ref())?;
    let names = Names::of(&scenario);
    let every = Pattern {
        name: "submitted",
        job: None,
        cluster: None,
        from: SimTime::ZERO,
        to: SimTime::NEVER,
        replicas: None,
        reason: None,
        range: (0, u64::MAX),
    };
    let happened = simulate(&ck, &scenario, std::iter::once(&every))?;
    Ok(happened
        .iter()
        .map(|e| {
            let job = e
                .job
                .and_then(|j| names.job_names.get(&j))
                .map_or("-".to_owned(), Clone::clone);
            let line = names.render(e);
            let (time, rest) = line.split_once(' ').unwrap_or((&line, ""));
            if e.reason.is_empty() {
                format!("{time} {job} {rest}")
            } else {
                format!("{time} {job} {rest}: {}", e.reason)
            }
        })
        .collect())
}
