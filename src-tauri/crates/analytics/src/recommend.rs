//! Recommendations, each priced by a what-if: the planner re-plans the
//! workflow with the change applied and every step's *measured* duration
//! from this run, and `saves_ms` is the baseline prediction (same planner,
//! same durations, no change) minus the new one. Nothing is guessed: a
//! change the planner says saves nothing is not recommended.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::facts::Facts;
use super::report::{Bottleneck, BottleneckKind, Edit, Recommendation, RecommendationKind};
use crate::events::StepStatus;
use crate::model::{Agent, Edge, Strategy, Trigger, When, Workflow};
use crate::plan::{self, PlanOptions};
use crate::run::aggregate;
use crate::validate::{NodeRef, validate};

/// Applies edits in order. Unknown ids are ignored (the result is then
/// simply the workflow without that edit; validation judges the rest).
pub fn apply_edits(workflow: &Workflow, edits: &[Edit]) -> Workflow {
    let mut wf = workflow.clone();
    for edit in edits {
        match edit {
            Edit::RemoveEdge { from, to } => wf.edges.retain(|e| !(&e.from == from && &e.to == to)),
            Edit::AddEdge { from, to, when } => {
                if !wf.edges.iter().any(|e| &e.from == from && &e.to == to) {
                    wf.edges.push(Edge {
                        from: from.clone(),
                        to: to.clone(),
                        when: *when,
                        loop_: None,
                    });
                }
            }
            Edit::SetLimit { resource, value } => {
                wf.limits.insert(resource.clone(), *value);
            }
            Edit::SetMaxConcurrency { group, value } => {
                if let Some(g) = wf.groups.iter_mut().find(|g| &g.id == group) {
                    g.max_concurrency = Some(*value);
                }
            }
            Edit::SetTimeout { step, timeout_s } => {
                if let Some(s) = wf.steps.iter_mut().find(|s| &s.id == step) {
                    s.timeout_s = Some(*timeout_s);
                }
            }
            Edit::SetBackoff { step, backoff_ms } => {
                let defaults = wf.defaults.clone();
                if let Some(s) = wf.steps.iter_mut().find(|s| &s.id == step) {
                    let mut retry = s.effective_retry(defaults.as_ref());
                    retry.backoff_ms = Some(*backoff_ms);
                    s.retry = Some(retry);
                }
            }
            Edit::LeaveGroup { step, .. } => {
                if let Some(s) = wf.steps.iter_mut().find(|s| &s.id == step) {
                    s.group = None;
                    s.weight = None;
                }
            }
        }
    }
    wf
}

/// Prices changes with the planner and this run's measured durations.
pub struct WhatIf<'f, 'v> {
    facts: &'f Facts<'v>,
    /// The recorded workflow, with map lists sized as they were in the run.
    base: Workflow,
    durations: HashMap<String, u64>,
    pub baseline_ms: u64,
}

/// Most what-ifs planned for one report (each is a validate + plan).
const MAX_WHAT_IFS: usize = 64;

/// What-ifs to price for a run of `units` units (steps plus map elements):
/// planning is superlinear in units waiting at once (docs/performance.md),
/// so big runs price fewer candidates, the likeliest first.
fn what_if_budget(units: usize) -> usize {
    (MAX_WHAT_IFS * 2000 / units.max(1)).clamp(4, MAX_WHAT_IFS)
}

impl<'f, 'v> WhatIf<'f, 'v> {
    pub fn new(facts: &'f Facts<'v>) -> Option<Self> {
        let original = facts.valid.workflow();
        let scale = facts.timeline.time_scale;
        let mut durations = HashMap::new();
        for (s, step) in original.steps.iter().enumerate() {
            let m = &facts.measures[s];
            let step_scale = match step.agent {
                Agent::Sim(_) => scale,
                _ => 1.0,
            };
            let d = if m.ran {
                m.unit_ms
            } else if let Some(est) = step.estimate_s {
                (est * 1000.0 * step_scale).round() as u64
            } else if let Agent::Sim(sim) = &step.agent {
                (sim.duration_ms.unwrap_or(0) as f64 * step_scale).round() as u64
            } else {
                0
            };
            durations.insert(step.id.clone(), d);
        }
        // Map lists unknown before the run: size them as the run saw them.
        let mut base = original.clone();
        for (g, group) in original.groups.iter().enumerate() {
            let (Some(key), Some(n)) = (&group.for_each, facts.timeline.groups[g].elements) else {
                continue;
            };
            let known = original.context.contains_key(key)
                || original
                    .inputs
                    .get(key)
                    .is_some_and(|i| i.default.is_some());
            if !known {
                base.context
                    .insert(key.clone(), Value::Array(vec![Value::Null; n as usize]));
            }
        }
        if validate(base.clone()).into_result().is_err() {
            base = original.clone();
        }
        let mut what_if = WhatIf {
            facts,
            base,
            durations,
            baseline_ms: 0,
        };
        what_if.baseline_ms = what_if.predict(&[], &HashMap::new())?;
        Some(what_if)
    }

    /// Predicted wall time of the workflow with `edits`, with `overrides`
    /// replacing measured durations; `None` when the edited workflow is invalid.
    pub fn predict(&self, edits: &[Edit], overrides: &HashMap<String, u64>) -> Option<u64> {
        let wf = apply_edits(&self.base, edits);
        let valid = validate(wf).into_result().ok()?;
        let history = |id: &str| -> Option<u64> {
            overrides
                .get(id)
                .or_else(|| self.durations.get(id))
                .copied()
        };
        let options = PlanOptions {
            default_concurrency: self.facts.default_concurrency,
            history: &history,
        };
        Some(plan::plan(&valid, &options).predicted_ms)
    }
}

struct Candidate {
    /// Alternatives sharing a key (values of one limit) keep only the best.
    key: Option<String>,
    kind: RecommendationKind,
    nodes: Vec<String>,
    edits: Vec<Edit>,
    overrides: HashMap<String, u64>,
    message: String,
}

pub fn recommend(facts: &Facts, bottlenecks: &[Bottleneck]) -> (Option<u64>, Vec<Recommendation>) {
    let Some(what_if) = WhatIf::new(facts) else {
        return (None, Vec::new());
    };
    let mut candidates = Vec::new();
    optional_laggards(facts, bottlenecks, &mut candidates);
    limits(facts, bottlenecks, &mut candidates);
    retrying(facts, &mut candidates);
    quorum_split(facts, &mut candidates);
    parallelize(facts, &mut candidates);

    let baseline = what_if.baseline_ms;
    let units: usize = facts.measures.iter().map(|m| m.elements.max(1)).sum();
    let mut out: Vec<Recommendation> = Vec::new();
    let mut keys: Vec<Option<String>> = Vec::new();
    for c in candidates.into_iter().take(what_if_budget(units)) {
        let Some(predicted) = what_if.predict(&c.edits, &c.overrides) else {
            continue;
        };
        let saves = baseline.saturating_sub(predicted);
        // Nothing, or within noise of nothing: not worth a change.
        if saves == 0 || saves * 100 < baseline {
            continue;
        }
        if let Some(key) = &c.key {
            if let Some(i) = keys.iter().position(|k| k.as_ref() == Some(key)) {
                if out[i].saves_ms >= saves {
                    continue;
                }
                out.remove(i);
                keys.remove(i);
            }
        }
        keys.push(c.key.clone());
        out.push(Recommendation {
            kind: c.kind,
            nodes: c.nodes,
            saves_ms: saves,
            message: format!(
                "{} Predicted to save {} ({} → {}).",
                c.message,
                fmt(saves),
                fmt(baseline),
                fmt(predicted)
            ),
            edits: c.edits,
            predicted_ms: predicted,
        });
    }
    out.sort_by(|a, b| {
        b.saves_ms
            .cmp(&a.saves_ms)
            .then(a.kind.as_str().cmp(b.kind.as_str()))
            .then(a.nodes.cmp(&b.nodes))
    });
    (Some(baseline), out)
}

fn fmt(ms: u64) -> String {
    super::render::fmt_ms(ms)
}

fn edge_text(from: &str, to: &str, when: Option<When>) -> String {
    match when {
        Some(w) => format!("{from} → {to} (when {})", w.as_str()),
        None => format!("{from} → {to}"),
    }
}

fn describe(edits: &[Edit]) -> String {
    let parts: Vec<String> = edits
        .iter()
        .map(|e| match e {
            Edit::RemoveEdge { from, to } => format!("remove edge {from} → {to}"),
            Edit::AddEdge { from, to, when } => format!("add edge {}", edge_text(from, to, *when)),
            Edit::SetLimit { resource, value } => format!("set limits.{resource} to {value}"),
            Edit::SetMaxConcurrency { group, value } => {
                format!("set max_concurrency of group `{group}` to {value}")
            }
            Edit::SetTimeout { step, timeout_s } => {
                format!("set timeout_s of `{step}` to {}", fmt_seconds(*timeout_s))
            }
            Edit::SetBackoff { step, backoff_ms } => {
                format!("set retry.backoff_ms of `{step}` to {backoff_ms}")
            }
            Edit::LeaveGroup { step, group } => {
                format!("move `{step}` out of group `{group}` (drop its `group` and `weight`)")
            }
        })
        .collect();
    format!("Change: {}.", parts.join("; "))
}

fn fmt_seconds(s: f64) -> String {
    let r = (s * 1000.0).round() / 1000.0;
    if r.fract() == 0.0 {
        format!("{}", r as i64)
    } else {
        format!("{r}")
    }
}

/// A duration measured in the run, in the file's seconds (a `sim` step's
/// durations and timeouts are scaled by the run's time scale), rounded up
/// to a readable value.
fn file_seconds(facts: &Facts, s: usize, ms: u64) -> f64 {
    let scale = step_scale(facts, s);
    let secs = ms as f64 / 1000.0 / scale.max(1e-9);
    if secs >= 10.0 {
        secs.ceil()
    } else {
        (secs * 10.0).ceil() / 10.0
    }
}

fn step_scale(facts: &Facts, s: usize) -> f64 {
    match facts.valid.workflow().steps[s].agent {
        Agent::Sim(_) => facts.timeline.time_scale,
        _ => 1.0,
    }
}

/// Outer steps joined by an edge where the second reads nothing the first
/// writes: run them side by side, both still before what followed either.
fn parallelize(facts: &Facts, out: &mut Vec<Candidate>) {
    let valid = facts.valid;
    let wf = valid.workflow();
    let mut found: Vec<(u64, Candidate)> = Vec::new();
    for edge in &wf.edges {
        let (Some(a), Some(b)) = (valid.node(&edge.from), valid.node(&edge.to)) else {
            continue;
        };
        let (NodeRef::Step(sa), NodeRef::Step(sb)) =
            (valid.graph().graph[a], valid.graph().graph[b])
        else {
            continue;
        };
        if !matches!(edge.when, None | Some(When::Succeeded | When::Done)) {
            continue;
        }
        let (step_a, step_b) = (&wf.steps[sa], &wf.steps[sb]);
        if step_b.trigger() != Trigger::All || !facts.measures[sa].ran || !facts.measures[sb].ran {
            continue;
        }
        let a_writes: HashSet<&str> = step_a.produces.iter().map(String::as_str).collect();
        let b_writes: HashSet<&str> = step_b.produces.iter().map(String::as_str).collect();
        if step_b
            .requires
            .iter()
            .any(|k| a_writes.contains(k.as_str()))
            || step_a
                .requires
                .iter()
                .any(|k| b_writes.contains(k.as_str()))
        {
            continue;
        }
        let mut edits = vec![Edit::RemoveEdge {
            from: step_a.id.clone(),
            to: step_b.id.clone(),
        }];
        for (_, e) in valid.incoming(a) {
            edits.push(Edit::AddEdge {
                from: e.from.clone(),
                to: step_b.id.clone(),
                when: e.when,
            });
        }
        for (_, e) in valid.outgoing(b) {
            edits.push(Edit::AddEdge {
                from: step_a.id.clone(),
                to: e.to.clone(),
                when: edge.when,
            });
        }
        let message = format!(
            "Run `{}` and `{}` side by side: `{}` reads nothing `{}` writes (no requires/produces link), yet waits for it. {}",
            step_a.id,
            step_b.id,
            step_b.id,
            step_a.id,
            describe(&edits)
        );
        let slack = facts.slack[sa].unwrap_or(0) + facts.slack[sb].unwrap_or(0);
        found.push((
            slack,
            Candidate {
                key: None,
                kind: RecommendationKind::Parallelize,
                nodes: vec![step_a.id.clone(), step_b.id.clone()],
                edits,
                overrides: HashMap::new(),
                message,
            },
        ));
    }
    // Pairs on (or near) the critical path first: only they can save time.
    found.sort_by_key(|(slack, _)| *slack);
    out.extend(found.into_iter().take(MAX_WHAT_IFS / 2).map(|(_, c)| c));
}

/// Edits that take branch `s` out of its group `g` as an outer step fed by
/// the group's incoming edges, with nothing waiting for it.
fn leave_group_edits(facts: &Facts, s: usize, g: usize) -> Vec<Edit> {
    let wf = facts.valid.workflow();
    let group = &wf.groups[g];
    let step = &wf.steps[s];
    let mut edits = vec![Edit::LeaveGroup {
        step: step.id.clone(),
        group: group.id.clone(),
    }];
    if let Some(node) = facts.valid.node(&group.id) {
        for (_, e) in facts.valid.incoming(node) {
            edits.push(Edit::AddEdge {
                from: e.from.clone(),
                to: step.id.clone(),
                when: e.when,
            });
        }
    }
    edits
}

/// A slow optional branch its group waited for: make it non-blocking, or
/// cut it off with a timeout (an optional branch that times out is left
/// out of the aggregation).
fn optional_laggards(facts: &Facts, bottlenecks: &[Bottleneck], out: &mut Vec<Candidate>) {
    let wf = facts.valid.workflow();
    for b in bottlenecks
        .iter()
        .filter(|b| b.kind == BottleneckKind::FanIn)
    {
        let (Some(id), Some(group_id)) = (&b.node, &b.group) else {
            continue;
        };
        let Some(s) = facts.step_index(id) else {
            continue;
        };
        let Some(g) = wf.groups.iter().position(|g| &g.id == group_id) else {
            continue;
        };
        let step = &wf.steps[s];
        if step.is_required() || wf.groups[g].for_each.is_some() {
            continue;
        }
        let m = &facts.measures[s];
        let edits = leave_group_edits(facts, s, g);
        out.push(Candidate {
            key: None,
            kind: RecommendationKind::NonBlocking,
            nodes: vec![step.id.clone(), group_id.clone()],
            message: format!(
                "`{}` is optional, yet `{group_id}` waits {} for it. Make it non-blocking: run it beside the group, with nothing waiting for it (its verdict no longer counts in `{group_id}`). {}",
                step.id,
                fmt(m.join_wait_ms.max(b.impact_ms)),
                describe(&edits)
            ),
            edits,
            overrides: HashMap::new(),
        });

        // Timeout: a little after the slowest other branch.
        let others = facts.valid.graph().branches[g]
            .iter()
            .filter(|&&o| o != s && facts.measures[o].ran)
            .map(|&o| facts.measures[o].duration_ms)
            .max()
            .unwrap_or(0);
        let Some(start) = m.start_ms else { continue };
        let others_end = facts.valid.graph().branches[g]
            .iter()
            .filter(|&&o| o != s)
            .filter_map(|&o| facts.measures[o].end_ms)
            .max()
            .unwrap_or(start);
        let needed = others_end.saturating_sub(start).max(others) as f64 * 1.2;
        let timeout_s = file_seconds(facts, s, needed.round() as u64);
        let timeout_ms = (timeout_s * 1000.0 * step_scale(facts, s)).round() as u64;
        if timeout_ms >= m.exec_ms.max(m.duration_ms) || timeout_ms == 0 {
            continue;
        }
        let retry = step.effective_retry(wf.defaults.as_ref());
        let attempts = u64::from(retry.max_attempts().max(1));
        let backoff: u64 = (1..attempts as u32)
            .map(|a| (retry.base_delay_ms(a) as f64 * step_scale(facts, s)).round() as u64)
            .sum();
        let cut = attempts * timeout_ms + backoff;
        let edits = vec![Edit::SetTimeout {
            step: step.id.clone(),
            timeout_s,
        }];
        let mut overrides = HashMap::new();
        overrides.insert(step.id.clone(), cut.min(m.unit_ms));
        out.push(Candidate {
            key: None,
            kind: RecommendationKind::Timeout,
            nodes: vec![step.id.clone()],
            message: format!(
                "Give optional `{}` a timeout a little past its group's other branches ({} here), so `{group_id}` stops waiting for it{}. {}",
                step.id,
                fmt(timeout_ms),
                if attempts > 1 {
                    format!(" (each of its {attempts} attempts would time out)")
                } else {
                    String::new()
                },
                describe(&edits)
            ),
            edits,
            overrides,
        });
    }
}

/// Peak demand for a resource over the run: Σ amounts of units ready or
/// running at once that need it (for a group's `max_concurrency`: its units).
fn peak_demand(facts: &Facts, limit: &str) -> i64 {
    let wf = facts.valid.workflow();
    let run_end = facts.wall();
    let group = limit.strip_suffix(".max_concurrency");
    let mut points: Vec<(u64, i64)> = Vec::new();
    for (s, step) in wf.steps.iter().enumerate() {
        let amount = match group {
            Some(g) => i64::from(step.group.as_deref() == Some(g)),
            None if limit == "concurrency" => step
                .resources
                .get("concurrency")
                .copied()
                .unwrap_or(1)
                .max(1),
            None => step.resources.get(limit).copied().unwrap_or(0),
        };
        if amount == 0 {
            continue;
        }
        for exec in &facts.timeline.steps[s].execs {
            for a in &exec.attempts {
                let end = a.end_ms.unwrap_or(run_end);
                if end > a.queued_ms {
                    points.push((a.queued_ms, amount));
                    points.push((end, -amount));
                }
            }
        }
    }
    points.sort_unstable();
    let (mut now, mut peak) = (0i64, 0i64);
    for (_, d) in points {
        now += d;
        peak = peak.max(now);
    }
    peak
}

/// Values to try for a limit: from one above the current capacity up to
/// the run's peak demand, at most six of them, evenly spread.
fn limit_values(current: i64, peak: i64) -> Vec<i64> {
    let (lo, hi) = (current + 1, peak.max(current + 1));
    let span = hi - lo;
    let mut values: Vec<i64> = (0..6).map(|i| lo + span * i / 5).collect();
    values.dedup();
    values
}

/// Raise a limit that made steps queue. Several values are priced (up to
/// the run's peak demand) and the best kept: more is not always better,
/// since a wider group can starve other steps of `concurrency`.
fn limits(facts: &Facts, bottlenecks: &[Bottleneck], out: &mut Vec<Candidate>) {
    let wf = facts.valid.workflow();
    let mut seen = HashSet::new();
    for b in bottlenecks
        .iter()
        .filter(|b| b.kind == BottleneckKind::Queueing)
    {
        let Some(limit) = &b.limit else { continue };
        if !seen.insert(limit.clone()) {
            continue;
        }
        let peak = peak_demand(facts, limit);
        let mut nodes: Vec<String> = bottlenecks
            .iter()
            .filter(|x| x.kind == BottleneckKind::Queueing && x.limit.as_ref() == Some(limit))
            .filter_map(|x| x.node.clone())
            .collect();
        nodes.dedup();
        let waiting = nodes
            .iter()
            .map(|w| format!("`{w}`"))
            .collect::<Vec<_>>()
            .join(", ");
        let (current, what) = match limit.strip_suffix(".max_concurrency") {
            Some(g) => {
                let Some(current) = wf
                    .groups
                    .iter()
                    .find(|x| x.id == g)
                    .and_then(|x| x.max_concurrency)
                else {
                    continue;
                };
                (
                    current,
                    format!("group `{g}`'s max_concurrency ({current})"),
                )
            }
            None => {
                let current = facts
                    .capacity
                    .iter()
                    .find(|(n, _)| n == limit)
                    .map_or(0, |(_, c)| *c);
                let note = if limit == "concurrency" && !facts.concurrency_explicit {
                    " (the default)"
                } else {
                    ""
                };
                (current, format!("limit `{limit}` ({current}{note})"))
            }
        };
        for value in limit_values(current, peak) {
            let edit = match limit.strip_suffix(".max_concurrency") {
                Some(g) => Edit::SetMaxConcurrency {
                    group: g.to_string(),
                    value,
                },
                None => Edit::SetLimit {
                    resource: limit.clone(),
                    value,
                },
            };
            let edits = vec![edit];
            out.push(Candidate {
                key: Some(format!("limit:{limit}")),
                kind: RecommendationKind::RaiseLimit,
                nodes: nodes.clone(),
                message: format!(
                    "{} made {waiting} wait; raise it to {value}, if what it protects can take it (the run's peak demand was {peak}). {}",
                    capitalise(&what),
                    describe(&edits)
                ),
                edits,
                overrides: HashMap::new(),
            });
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A retrying step: fail faster with a timeout when its failed attempts
/// hung, or shorten its backoff when waiting dominated the time lost.
fn retrying(facts: &Facts, out: &mut Vec<Candidate>) {
    let wf = facts.valid.workflow();
    let run_end = facts.wall();
    for (s, step) in wf.steps.iter().enumerate() {
        let m = &facts.measures[s];
        if m.retry_ms == 0 || m.elements > 1 {
            continue;
        }
        let Some(exec) = facts.timeline.steps[s].execs.first() else {
            continue;
        };
        let failed: Vec<u64> = exec
            .attempts
            .iter()
            .filter(|a| a.retried)
            .map(|a| a.run_ms(run_end))
            .collect();
        // Timeout: failures ran well past what a success takes.
        if let Some(success) = m.success_exec_ms.filter(|&x| x > 0) {
            let limit = (success as f64 * 1.5).round() as u64;
            let timeout_s = file_seconds(facts, s, limit);
            let timeout_ms = (timeout_s * 1000.0 * step_scale(facts, s)).round() as u64;
            let current = step
                .effective_timeout_s(wf.defaults.as_ref())
                .map(|t| (t * 1000.0 * step_scale(facts, s)).round() as u64);
            if failed.iter().any(|&f| f > timeout_ms) && current.is_none_or(|c| c > timeout_ms) {
                let saved: u64 = failed.iter().map(|&f| f.saturating_sub(timeout_ms)).sum();
                let edits = vec![Edit::SetTimeout {
                    step: step.id.clone(),
                    timeout_s,
                }];
                let mut overrides = HashMap::new();
                overrides.insert(step.id.clone(), m.unit_ms.saturating_sub(saved));
                out.push(Candidate {
                    key: None,
                    kind: RecommendationKind::Timeout,
                    nodes: vec![step.id.clone()],
                    message: format!(
                        "`{}`'s failed attempts ran up to {} before failing; its success took {}. A timeout makes a hung attempt fail fast so the retry comes sooner. {}",
                        step.id,
                        fmt(failed.iter().copied().max().unwrap_or(0)),
                        fmt(success),
                        describe(&edits)
                    ),
                    edits,
                    overrides,
                });
            }
        }
        // Backoff: most of the time lost was waiting to retry.
        let retry = step.effective_retry(wf.defaults.as_ref());
        let backoff = retry.backoff_ms.unwrap_or(0);
        if m.backoff_ms > 0 && m.backoff_ms * 2 >= m.retry_ms && backoff >= 4 {
            let new = backoff / 4;
            let saved = m.backoff_ms - m.backoff_ms / 4;
            let edits = vec![Edit::SetBackoff {
                step: step.id.clone(),
                backoff_ms: new,
            }];
            let mut overrides = HashMap::new();
            overrides.insert(step.id.clone(), m.unit_ms.saturating_sub(saved));
            out.push(Candidate {
                key: None,
                kind: RecommendationKind::RetryBackoff,
                nodes: vec![step.id.clone()],
                message: format!(
                    "`{}` spent {} of its {} retry time in backoff; retry sooner if what it calls recovers quickly. {}",
                    step.id,
                    fmt(m.backoff_ms),
                    fmt(m.retry_ms),
                    describe(&edits)
                ),
                edits,
                overrides,
            });
        }
    }
}

/// A `quorum` group whose verdict was settled at its k-th approval but
/// waited for later branches: split those out so it decides at once.
fn quorum_split(facts: &Facts, out: &mut Vec<Candidate>) {
    let wf = facts.valid.workflow();
    for (g, group) in wf.groups.iter().enumerate() {
        if group.aggregate.strategy != Strategy::Quorum || group.for_each.is_some() {
            continue;
        }
        let k = group.aggregate.k.unwrap_or(1).max(1) as usize;
        let approve_at = group.aggregate.approve_at();
        let branches = &facts.valid.graph().branches[g];
        let mut approvals: Vec<u64> = Vec::new();
        for &s in branches {
            let Some(exec) = facts.timeline.steps[s].execs.first() else {
                continue;
            };
            if exec.status == StepStatus::Succeeded
                && aggregate::verdict(exec.approved, exec.score, approve_at).0
            {
                approvals.extend(facts.measures[s].end_ms);
            }
        }
        approvals.sort_unstable();
        let Some(&decided_at) = approvals.get(k - 1) else {
            continue;
        };
        let late: Vec<usize> = branches
            .iter()
            .copied()
            .filter(|&s| facts.measures[s].end_ms.is_some_and(|e| e > decided_at))
            .collect();
        if late.is_empty() || branches.len() - late.len() < k {
            continue;
        }
        let mut edits = Vec::new();
        for &s in &late {
            edits.extend(leave_group_edits(facts, s, g));
        }
        let names: Vec<String> = late.iter().map(|&s| wf.steps[s].id.clone()).collect();
        out.push(Candidate {
            key: None,
            kind: RecommendationKind::SplitGroup,
            nodes: std::iter::once(group.id.clone())
                .chain(names.iter().cloned())
                .collect(),
            message: format!(
                "`{}` (quorum of {k}) had its {k} approvals at {} but waited for {}. Split the late branches out so the group decides on the others (they still run, but nothing waits for them or counts their verdicts). {}",
                group.id,
                fmt(decided_at),
                names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                describe(&edits)
            ),
            edits,
            overrides: HashMap::new(),
        });
    }
}
