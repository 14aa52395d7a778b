//! Everything measured about one run, computed once and shared by the
//! report, the bottleneck finder and the what-ifs.

use super::critical::{self, Critical};
use super::measure::{self, StepMeasure};
use super::timeline::{self, Timeline};
use crate::events::Event;
use crate::validate::{NodeIx, ValidWorkflow};

pub struct Facts<'v> {
    pub valid: &'v ValidWorkflow,
    pub timeline: Timeline,
    /// Per step, file order.
    pub measures: Vec<StepMeasure>,
    pub critical: Critical,
    /// Per step: slack (`None` when it never ran).
    pub slack: Vec<Option<u64>>,
    /// Per step: on the critical path (phase step, or deciding branch of a group on it).
    pub on_path: Vec<bool>,
    /// `(resource, capacity)`; index 0 is `concurrency`.
    pub capacity: Vec<(String, i64)>,
    /// Whether `limits.concurrency` is set (else the engine's default applied).
    pub concurrency_explicit: bool,
    pub default_concurrency: usize,
}

impl<'v> Facts<'v> {
    pub fn new(valid: &'v ValidWorkflow, events: &[Event], default_concurrency: usize) -> Self {
        let wf = valid.workflow();
        let timeline = timeline::build(wf, events);
        let measures = measure::measure_all(&timeline);
        let critical = critical::analyse(valid, &timeline, &measures);
        let mut slack = vec![None; wf.steps.len()];
        let mut on_path = vec![false; wf.steps.len()];
        for (s, step) in wf.steps.iter().enumerate() {
            let m = &measures[s];
            if !m.ran {
                continue;
            }
            match &step.group {
                None => {
                    if let Some(node) = valid.node(&step.id) {
                        slack[s] = critical.slack_of(node);
                        on_path[s] = critical.on_path(node);
                    }
                }
                Some(group) => {
                    if let Some(node) = valid.node(group) {
                        let latest = critical.latest_end[node.index()];
                        slack[s] = latest.map(|l| l.saturating_sub(m.end_ms.unwrap_or(l)));
                        on_path[s] = critical.on_path(node)
                            && critical.spans[node.index()].and_then(|sp| sp.deciding) == Some(s);
                    }
                }
            }
        }
        let concurrency_explicit = wf.limits.contains_key("concurrency");
        let capacity = std::iter::once((
            "concurrency".to_string(),
            wf.limits
                .get("concurrency")
                .copied()
                .unwrap_or(default_concurrency.max(1) as i64),
        ))
        .chain(
            wf.limits
                .iter()
                .filter(|(k, _)| *k != "concurrency")
                .map(|(k, v)| (k.clone(), *v)),
        )
        .collect();
        Facts {
            valid,
            timeline,
            measures,
            critical,
            slack,
            on_path,
            capacity,
            concurrency_explicit,
            default_concurrency,
        }
    }

    pub fn wall(&self) -> u64 {
        self.timeline.wall_ms
    }

    /// The outer node a step counts in: itself, or its group.
    pub fn node_of_step(&self, s: usize) -> Option<NodeIx> {
        let step = &self.valid.workflow().steps[s];
        self.valid.node(step.group.as_deref().unwrap_or(&step.id))
    }

    /// Wall time the run would have saved had step `s` taken `reduce_ms`
    /// less (on the executed DAG: only a step on or near the critical path
    /// gains anything, and only until another path becomes the longest).
    pub fn step_gain(&self, s: usize, reduce_ms: u64) -> u64 {
        let wf = self.valid.workflow();
        let Some(node) = self.node_of_step(s) else {
            return 0;
        };
        let Some(group) = wf.steps[s].group.as_deref() else {
            return self.critical.gain(self.valid, node, reduce_ms);
        };
        let Some(g) = wf.groups.iter().position(|x| x.id == group) else {
            return 0;
        };
        if wf.groups[g].for_each.is_some() {
            return self.critical.gain(self.valid, node, reduce_ms);
        }
        // The group ends with its deciding branch: its last finisher, or for
        // `first` its first success. How much earlier would that be?
        let run_end = self.wall();
        let ends = |step: usize, cut: u64| -> Option<u64> {
            let span = &self.timeline.steps[step];
            let exec = span.execs.first().filter(|e| e.started())?;
            if exec.status == crate::events::StepStatus::Cancelled {
                return None;
            }
            Some(exec.finish_ms(run_end).saturating_sub(cut))
        };
        let first = wf.groups[g].aggregate.strategy == crate::model::Strategy::First;
        let branches = &self.valid.graph().branches[g];
        let decide = |cut_of: &dyn Fn(usize) -> u64| -> Option<u64> {
            let it = branches.iter().filter_map(|&b| {
                if first && self.timeline.steps[b].status != crate::events::StepStatus::Succeeded {
                    return None;
                }
                ends(b, cut_of(b))
            });
            if first { it.min() } else { it.max() }
        };
        let (Some(before), Some(after)) = (
            decide(&|_| 0),
            decide(&|b| if b == s { reduce_ms } else { 0 }),
        ) else {
            return 0;
        };
        self.critical
            .gain(self.valid, node, before.saturating_sub(after))
    }

    pub fn step_index(&self, id: &str) -> Option<usize> {
        self.valid.workflow().steps.iter().position(|s| s.id == id)
    }

    /// Wall time the critical path does not explain (neither work nor queueing).
    pub fn overhead(&self) -> u64 {
        self.wall()
            .saturating_sub(self.critical.work_ms + self.critical.queued_ms)
    }

    /// Σ time attempts held a slot.
    pub fn busy(&self) -> u64 {
        self.measures.iter().map(|m| m.exec_ms).sum()
    }

    /// `min(concurrency capacity, most units ready or running at once)`.
    pub fn concurrency_available(&self) -> u32 {
        let run_end = self.wall();
        let mut points: Vec<(u64, i32)> = Vec::new();
        for step in &self.timeline.steps {
            for exec in &step.execs {
                for a in &exec.attempts {
                    let end = a.end_ms.unwrap_or(run_end);
                    if end > a.queued_ms {
                        points.push((a.queued_ms, 1));
                        points.push((end, -1));
                    }
                }
            }
        }
        // Ends before starts at the same instant.
        points.sort_unstable();
        let (mut now, mut peak) = (0i32, 0i32);
        for (_, d) in points {
            now += d;
            peak = peak.max(now);
        }
        let cap = self.capacity[0].1.max(1);
        (peak.max(1) as i64).min(cap) as u32
    }
}
