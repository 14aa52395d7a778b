//! Finding what slowed a run down. Every bottleneck carries the wall time it
//! cost (`impact_ms`: how much shorter the executed DAG's longest path gets
//! with the step shortened by the excess — zero off the critical path, and
//! never more than the next-longest path allows) and a severity; the list
//! is sorted by impact.

use std::collections::HashMap;

use super::facts::Facts;
use super::report::{Bottleneck, BottleneckKind, RunDigest, Severity};
use super::stats::{self, percentile};
use super::timeline::{AttemptSpan, ExecSpan};
use crate::events::StepStatus;
use crate::model::Strategy;
use crate::validate::NodeRef;

/// Severity from the share of wall time a bottleneck cost.
pub fn severity_of(impact: u64, wall: u64) -> Severity {
    let share = stats::ratio(impact as f64, wall as f64);
    if share >= 0.2 {
        Severity::High
    } else if share >= 0.05 {
        Severity::Medium
    } else {
        Severity::Low
    }
}

fn bottleneck(
    kind: BottleneckKind,
    node: Option<&str>,
    impact: u64,
    severity: Severity,
) -> Bottleneck {
    Bottleneck {
        kind,
        node: node.map(str::to_string),
        impact_ms: impact,
        severity,
        message: String::new(),
        limit: None,
        group: None,
        ratio: None,
        retry_rate: None,
        p95_ms: None,
    }
}

pub fn find(facts: &Facts, history: &[&RunDigest]) -> Vec<Bottleneck> {
    let mut out = Vec::new();
    slow_steps(facts, &mut out);
    fan_in(facts, &mut out);
    queueing(facts, &mut out);
    retries(facts, history, &mut out);
    overhead(facts, &mut out);
    regressions(facts, history, &mut out);
    out.sort_by(|a, b| {
        b.impact_ms
            .cmp(&a.impact_ms)
            .then(b.severity.cmp(&a.severity))
            .then(kind_rank(a.kind).cmp(&kind_rank(b.kind)))
            .then(a.node.cmp(&b.node))
    });
    out
}

fn kind_rank(kind: BottleneckKind) -> u8 {
    match kind {
        BottleneckKind::FanIn => 0,
        BottleneckKind::SlowStep => 1,
        BottleneckKind::Queueing => 2,
        BottleneckKind::Retries => 3,
        BottleneckKind::Regression => 4,
        BottleneckKind::CoordinationOverhead => 5,
    }
}

fn fmt(ms: u64) -> String {
    super::render::fmt_ms(ms)
}

/// How much of an excess the run paid for: "all of it delayed the run", …
fn cost(impact: u64, excess: u64, had: &str) -> String {
    if impact == 0 {
        "it was off the critical path, so the run did not wait for it".to_string()
    } else if impact >= excess {
        format!("the run would have ended {} sooner {had}", fmt(impact))
    } else {
        format!(
            "the run would have ended {} sooner {had} (another path then becomes the longest)",
            fmt(impact)
        )
    }
}

/// Over 1.5× the run's mean step duration (`high` over 2×).
fn slow_steps(facts: &Facts, out: &mut Vec<Bottleneck>) {
    let wf = facts.valid.workflow();
    let ran: Vec<u64> = facts
        .measures
        .iter()
        .filter(|m| m.ran)
        .map(|m| m.duration_ms)
        .collect();
    if ran.len() < 2 {
        return;
    }
    let mean = ran.iter().sum::<u64>() as f64 / ran.len() as f64;
    if mean <= 0.0 {
        return;
    }
    for (s, m) in facts.measures.iter().enumerate() {
        if !m.ran {
            continue;
        }
        let ratio = m.duration_ms as f64 / mean;
        if ratio <= 1.5 {
            continue;
        }
        let excess = (m.duration_ms as f64 - mean).round() as u64;
        let impact = facts.step_gain(s, excess);
        let severity = if ratio > 2.0 {
            Severity::High
        } else {
            Severity::Medium
        };
        let id = &wf.steps[s].id;
        let mut b = bottleneck(BottleneckKind::SlowStep, Some(id), impact, severity);
        b.ratio = Some(stats::round(ratio, 2));
        b.message = format!(
            "`{id}` took {} — {:.1}× the run's mean step time ({}); {}",
            fmt(m.duration_ms),
            ratio,
            fmt(mean.round() as u64),
            cost(impact, excess, "at the mean")
        );
        out.push(b);
    }
}

/// A branch (or map element) the rest of its group waited for.
fn fan_in(facts: &Facts, out: &mut Vec<Bottleneck>) {
    let wf = facts.valid.workflow();
    let wall = facts.wall();
    let run_end = wall;
    for (g, group) in wf.groups.iter().enumerate() {
        if group.aggregate.strategy == Strategy::First {
            continue; // decided by its fastest branch
        }
        let Some(node) = facts.valid.node(&group.id) else {
            continue;
        };
        let Some(span) = facts.critical.spans[node.index()] else {
            continue;
        };
        // Every execution that ran to an end, with its step.
        let mut ends: Vec<(u64, usize, &ExecSpan)> = Vec::new();
        for &s in &facts.valid.graph().branches[g] {
            for exec in &facts.timeline.steps[s].execs {
                if exec.started() && exec.status != StepStatus::Cancelled {
                    ends.push((exec.finish_ms(run_end), s, exec));
                }
            }
        }
        if ends.len() < 2 {
            continue;
        }
        ends.sort_by_key(|e| (std::cmp::Reverse(e.0), e.1));
        let (last_end, s, exec) = ends[0];
        let runner_up = ends[1].0;
        let gap = last_end.saturating_sub(runner_up);
        let impact = facts.critical.gain(facts.valid, node, gap);
        // Ignore scheduling noise: a real laggard holds its group a while.
        if gap == 0 || gap * 10 < span.elapsed_ms() || impact * 50 < wall {
            continue;
        }
        let step = &wf.steps[s];
        let who = match exec.element {
            Some(e) => format!("element {e} of `{}`", step.id),
            None => format!("`{}`", step.id),
        };
        let optional = if step.is_required() {
            ""
        } else {
            " (an optional branch)"
        };
        let mut b = bottleneck(
            BottleneckKind::FanIn,
            Some(&step.id),
            impact,
            severity_of(impact, wall),
        );
        b.group = Some(group.id.clone());
        b.message = format!(
            "{who}{optional} finished {} after every other branch of `{}`; the group waited for it{}",
            fmt(gap),
            group.id,
            if impact == 0 {
                ", but another path was longer, so the run did not wait".to_string()
            } else if impact < gap {
                format!(", costing the run {}", fmt(impact))
            } else {
                String::new()
            }
        );
        out.push(b);
    }
}

/// Which limit held an attempt in the queue: the resource (or group
/// `max_concurrency`) that was full half-way through its wait.
fn binding_limit(facts: &Facts, s: usize, a: &AttemptSpan) -> String {
    let wf = facts.valid.workflow();
    let run_end = facts.wall();
    let until = a.start_ms.or(a.end_ms).unwrap_or(run_end);
    let at = a.queued_ms + until.saturating_sub(a.queued_ms) / 2;
    let mut used: HashMap<&str, i64> = HashMap::new();
    let mut group_running = 0usize;
    let my_group = wf.steps[s].group.as_deref();
    for (o, other) in facts.timeline.steps.iter().enumerate() {
        for exec in &other.execs {
            for b in &exec.attempts {
                let Some(start) = b.start_ms else { continue };
                let end = b.end_ms.unwrap_or(run_end);
                if !(start <= at && at < end) {
                    continue;
                }
                let res = &wf.steps[o].resources;
                *used.entry("concurrency").or_default() +=
                    res.get("concurrency").copied().unwrap_or(1).max(1);
                for (name, amount) in res {
                    if name != "concurrency" {
                        *used.entry(name.as_str()).or_default() += amount;
                    }
                }
                if my_group.is_some() && wf.steps[o].group.as_deref() == my_group {
                    group_running += 1;
                }
            }
        }
    }
    let needs = &wf.steps[s].resources;
    for (name, cap) in facts.capacity.iter().skip(1) {
        if let Some(&need) = needs.get(name) {
            if used.get(name.as_str()).copied().unwrap_or(0) + need > *cap {
                return name.clone();
            }
        }
    }
    if let Some(g) = my_group {
        let max = wf
            .groups
            .iter()
            .find(|x| x.id == g)
            .and_then(|x| x.max_concurrency);
        if max.is_some_and(|m| group_running as i64 >= m) {
            return format!("{g}.max_concurrency");
        }
    }
    "concurrency".to_string()
}

fn queueing(facts: &Facts, out: &mut Vec<Bottleneck>) {
    let wf = facts.valid.workflow();
    let wall = facts.wall();
    let run_end = wall;
    for (s, m) in facts.measures.iter().enumerate() {
        if m.queued_ms == 0 || m.queued_ms * 50 < wall {
            continue;
        }
        // The limit that held it longest.
        let mut by_limit: HashMap<String, u64> = HashMap::new();
        for exec in &facts.timeline.steps[s].execs {
            for a in &exec.attempts {
                let wait = a.wait_ms(run_end);
                if wait > 0 {
                    *by_limit.entry(binding_limit(facts, s, a)).or_default() += wait;
                }
            }
        }
        let Some((limit, _)) = by_limit
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
        else {
            continue;
        };
        // What the run would have saved without the wait.
        let impact = match facts.node_of_step(s) {
            Some(node)
                if m.elements > 1
                    && matches!(facts.valid.graph().graph[node], NodeRef::Group(_)) =>
            {
                let queued = facts.critical.spans[node.index()].map_or(0, |sp| sp.queued_ms);
                facts.critical.gain(facts.valid, node, queued)
            }
            _ => facts.step_gain(s, m.queued_ms),
        };
        let id = &wf.steps[s].id;
        let mut b = bottleneck(
            BottleneckKind::Queueing,
            Some(id),
            impact,
            severity_of(impact, wall),
        );
        let what = match limit.strip_suffix(".max_concurrency") {
            Some(g) => format!("group `{g}`'s max_concurrency"),
            None => format!("limit `{limit}`"),
        };
        b.message = format!(
            "`{id}` waited {} for {what}{}",
            fmt(m.queued_ms),
            if impact > 0 {
                format!("; the run ended {} later for it", fmt(impact))
            } else {
                "; another path was longer, so the run did not wait".to_string()
            }
        );
        b.limit = Some(limit);
        out.push(b);
    }
}

fn retries(facts: &Facts, history: &[&RunDigest], out: &mut Vec<Bottleneck>) {
    let wf = facts.valid.workflow();
    let wall = facts.wall();
    for (s, m) in facts.measures.iter().enumerate() {
        if m.retry_ms == 0 && m.attempts as usize <= m.elements {
            continue;
        }
        let id = &wf.steps[s].id;
        let impact = facts.step_gain(s, m.retry_ms);
        let earlier: Vec<&super::report::StepDigest> = history
            .iter()
            .filter(|d| d.run_id != facts.timeline.run_id)
            .filter_map(|d| d.steps.iter().find(|x| &x.id == id))
            .filter(|x| x.attempts > 0)
            .collect();
        let rate = (!earlier.is_empty()).then(|| {
            stats::round(
                earlier.iter().filter(|x| x.retries > 0).count() as f64 / earlier.len() as f64,
                3,
            )
        });
        let mut b = bottleneck(
            BottleneckKind::Retries,
            Some(id),
            impact,
            severity_of(impact, wall),
        );
        let extra = m.attempts as usize - m.elements.min(m.attempts as usize);
        b.message = format!(
            "`{id}` needed {} more attempt{}; failed attempts and backoff took {}: {}{}",
            extra,
            if extra == 1 { "" } else { "s" },
            fmt(m.retry_ms),
            cost(impact, m.retry_ms, "without them"),
            match rate {
                Some(r) => format!(
                    "; it retried in {:.0} % of {} earlier runs",
                    r * 100.0,
                    earlier.len()
                ),
                None => String::new(),
            }
        );
        b.retry_rate = rate;
        out.push(b);
    }
}

/// Wall time not explained by the critical path, when over 20 % of its work.
fn overhead(facts: &Facts, out: &mut Vec<Bottleneck>) {
    let work = facts.critical.work_ms;
    let overhead = facts.overhead();
    if overhead == 0 || (overhead as f64) <= 0.2 * work as f64 {
        return;
    }
    let wall = facts.wall();
    let severity = if overhead as f64 > 0.5 * work as f64 {
        Severity::High
    } else {
        Severity::Medium
    };
    let mut b = bottleneck(
        BottleneckKind::CoordinationOverhead,
        None,
        overhead,
        severity,
    );
    b.ratio = Some(stats::round(stats::ratio(overhead as f64, work as f64), 2));
    b.message = format!(
        "{} of the run's {} is neither work nor queueing on the critical path ({} of work): time between a step ending and the next starting",
        fmt(overhead),
        fmt(wall),
        fmt(work)
    );
    out.push(b);
}

/// Minimum number of earlier runs before a p95 means anything.
pub const MIN_HISTORY: usize = 5;

fn regressions(facts: &Facts, history: &[&RunDigest], out: &mut Vec<Bottleneck>) {
    let wf = facts.valid.workflow();
    let wall = facts.wall();
    if history.len() < MIN_HISTORY {
        return;
    }
    let index: HashMap<&str, usize> = wf.step_index();
    let mut earlier: Vec<Vec<u64>> = vec![Vec::new(); wf.steps.len()];
    for d in history {
        if d.run_id == facts.timeline.run_id || d.workflow_id != wf.id {
            continue;
        }
        for x in &d.steps {
            if x.status == StepStatus::Succeeded && x.attempts > 0 {
                if let Some(&s) = index.get(x.id.as_str()) {
                    earlier[s].push(x.duration_ms);
                }
            }
        }
    }
    for (s, m) in facts.measures.iter().enumerate() {
        if !m.ran || earlier[s].len() < MIN_HISTORY {
            continue;
        }
        let p95 = percentile(&earlier[s], 95.0);
        let excess = m.duration_ms.saturating_sub(p95);
        // Over 10 % above p95, and by more than noise (1 % of the run).
        if m.duration_ms * 10 <= p95 * 11 || excess * 100 < wall {
            continue;
        }
        let impact = facts.step_gain(s, excess);
        let id = &wf.steps[s].id;
        let mut b = bottleneck(
            BottleneckKind::Regression,
            Some(id),
            impact,
            severity_of(impact, wall).max(Severity::Low),
        );
        b.p95_ms = Some(p95);
        b.ratio = Some(stats::round(
            stats::ratio(m.duration_ms as f64, p95 as f64),
            2,
        ));
        b.message = format!(
            "`{id}` took {}, {} over its p95 of {} across {} earlier runs; {}",
            fmt(m.duration_ms),
            fmt(excess),
            fmt(p95),
            earlier[s].len(),
            cost(impact, excess, "at its p95")
        );
        out.push(b);
    }
}
