//! Per-step measurements of one run, from its [`Timeline`]: queued,
//! execution, retry and join-wait time. Definitions in `docs/analytics.md`.

use super::timeline::{ExecSpan, StepSpan, Timeline};

/// What one step (all elements of a map branch together) measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepMeasure {
    /// Whether any attempt started.
    pub ran: bool,
    /// First `StepQueued` (when it became ready).
    pub ready_ms: Option<u64>,
    /// First attempt's start.
    pub start_ms: Option<u64>,
    /// Final end (last element for a map).
    pub end_ms: Option<u64>,
    /// First start → final end (the `run --json` duration).
    pub duration_ms: u64,
    /// Waiting for `limits` / `max_concurrency`, summed over attempts (and elements).
    pub queued_ms: u64,
    /// Time attempts held a slot, summed over attempts (and elements).
    pub exec_ms: u64,
    /// Failed attempts that were retried plus the backoff after them.
    pub retry_ms: u64,
    /// The backoff part of `retry_ms`.
    pub backoff_ms: u64,
    /// Branch only: from its end to its group's aggregation.
    pub join_wait_ms: u64,
    pub attempts: u32,
    /// Execution time of the attempt that succeeded (mean over map elements).
    pub success_exec_ms: Option<u64>,
    /// Mean per-element duration (first start → end), the planner's unit duration.
    pub unit_ms: u64,
    pub elements: usize,
}

pub fn exec_measure(exec: &ExecSpan, run_end: u64) -> StepMeasure {
    let mut m = StepMeasure {
        ran: exec.started(),
        ready_ms: exec.ready_ms(),
        start_ms: exec.first_start_ms(),
        end_ms: exec.started().then(|| exec.finish_ms(run_end)),
        elements: 1,
        ..StepMeasure::default()
    };
    for a in &exec.attempts {
        m.queued_ms += a.wait_ms(run_end);
        let run = a.run_ms(run_end);
        m.exec_ms += run;
        if a.start_ms.is_some() {
            m.attempts += 1;
        }
        if a.retried {
            m.retry_ms += run + a.backoff_ms;
            m.backoff_ms += a.backoff_ms;
        } else if a.result == super::timeline::AttemptEnd::Succeeded {
            m.success_exec_ms = Some(run);
        }
    }
    if let (Some(s), Some(e)) = (m.start_ms, m.end_ms) {
        m.duration_ms = e.saturating_sub(s);
    }
    m.unit_ms = m.duration_ms;
    m
}

pub fn step_measure(step: &StepSpan, run_end: u64) -> StepMeasure {
    let parts: Vec<StepMeasure> = step
        .execs
        .iter()
        .filter(|e| !step.is_map() || e.element.is_some())
        .map(|e| exec_measure(e, run_end))
        .collect();
    if parts.len() == 1 {
        return parts.into_iter().next().unwrap_or_default();
    }
    let mut m = StepMeasure {
        elements: parts.len(),
        ..StepMeasure::default()
    };
    let mut successes = Vec::new();
    let mut units = Vec::new();
    for p in &parts {
        m.ran |= p.ran;
        m.ready_ms = min_opt(m.ready_ms, p.ready_ms);
        m.start_ms = min_opt(m.start_ms, p.start_ms);
        m.end_ms = m.end_ms.max(p.end_ms);
        m.queued_ms += p.queued_ms;
        m.exec_ms += p.exec_ms;
        m.retry_ms += p.retry_ms;
        m.backoff_ms += p.backoff_ms;
        m.attempts += p.attempts;
        successes.extend(p.success_exec_ms);
        if p.ran {
            units.push(p.duration_ms);
        }
    }
    if let (Some(s), Some(e)) = (m.start_ms, m.end_ms) {
        m.duration_ms = e.saturating_sub(s);
    }
    m.success_exec_ms = mean(&successes);
    m.unit_ms = mean(&units).unwrap_or(0);
    m
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

pub fn mean(values: &[u64]) -> Option<u64> {
    if values.is_empty() {
        None
    } else {
        Some((values.iter().map(|&v| v as u128).sum::<u128>() / values.len() as u128) as u64)
    }
}

/// Every step's measurements, in file order, with join waits filled in.
pub fn measure_all(timeline: &Timeline) -> Vec<StepMeasure> {
    let run_end = timeline.wall_ms;
    timeline
        .steps
        .iter()
        .map(|step| {
            let mut m = step_measure(step, run_end);
            if let (Some(group), Some(end)) = (&step.group, m.end_ms) {
                if let Some(group_end) = timeline.group(group).and_then(|g| g.end_ms) {
                    m.join_wait_ms = group_end.saturating_sub(end);
                }
            }
            m
        })
        .collect()
}
