//! The planner's rehearsal: the run machine itself (`run::machine`, the
//! scheduler the driver runs) fed on a virtual clock, with each attempt
//! taking its predicted duration and ending as the happy path says instead
//! of running an agent. Every scheduling rule — limits, resources, group
//! `max_concurrency`, maps, `first`, triggers, edge conditions, skips — is
//! therefore the engine's own: teach the machine a rule and the plan knows it.
//!
//! The happy path: every attempt succeeds. A `sim` step answers with its
//! configured verdict and outputs (what a real run of it returns), any other
//! step with no verdict (which aggregation counts as approved). A map over a
//! list not known before the run sees one element.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};

use serde_json::Value;

use super::Span;
use crate::agents::result::AgentResult;
use crate::events::EventKind;
use crate::model::{Agent, JsonMap, Step, Workflow};
use crate::run::machine::{
    AttemptOutcome, Effect, Input, Machine, MachineOptions, StartAttempt, UnitId,
};
use crate::validate::{NodeRef, ValidWorkflow};

pub(super) struct Outcome {
    pub end_ms: u64,
    /// Per outer node: its span, or `None` when the happy path skips it.
    pub spans: Vec<Option<Span>>,
    /// Per step (by index): a branch's span over all its map elements; a
    /// `first` group's losers end when the winner cancels them.
    pub branch_spans: Vec<Option<Span>>,
}

/// Something due on the virtual clock: what the driver would hear back.
enum Due {
    Finished { unit: UnitId, attempt: u32 },
    Cancelled { unit: UnitId, attempt: u32 },
    Timer { unit: UnitId },
}

/// What the rehearsal knows of one unit.
#[derive(Clone, Copy)]
struct UnitTrack {
    step: usize,
    /// The attempt running now, if one is.
    live: Option<u32>,
    /// When the unit first started.
    started: u64,
}

struct Rehearsal<'v> {
    valid: &'v ValidWorkflow,
    durations: &'v [u64],
    now: u64,
    /// `(time, sequence)`: ties keep the order things were scheduled in.
    due: BinaryHeap<Reverse<(u64, usize)>>,
    dues: Vec<Option<Due>>,
    /// Per unit (as the machine numbers them), from its first start.
    units: Vec<Option<UnitTrack>>,
    /// Per step: its outer node, or `None` for a branch.
    phase_node: Vec<Option<usize>>,
    group_started: Vec<u64>,
    spans: Vec<Option<Span>>,
    branch_spans: Vec<Option<Span>>,
    /// Per step: the result a successful attempt reports.
    results: Vec<AgentResult>,
}

/// `planned_rounds`: per loop (by its `to`), the rounds to rehearse.
pub(super) fn run(
    valid: &ValidWorkflow,
    durations: &[u64],
    default_concurrency: usize,
    planned_rounds: &std::collections::HashMap<String, u32>,
) -> Outcome {
    let workflow = valid.workflow();
    let options = MachineOptions {
        default_concurrency,
        check_inputs: false,
        planned_rounds: planned_rounds.clone(),
        ..MachineOptions::default()
    };
    let mut machine = Machine::new(valid, planned_inputs(workflow), options);
    let mut rehearsal = Rehearsal {
        valid,
        durations,
        now: 0,
        due: BinaryHeap::new(),
        dues: Vec::new(),
        units: Vec::new(),
        phase_node: {
            let mut phase_node = vec![None; workflow.steps.len()];
            for node in valid.topo_order() {
                if let NodeRef::Step(s) = valid.graph().graph[*node] {
                    phase_node[s] = Some(node.index());
                }
            }
            phase_node
        },
        group_started: vec![0; workflow.groups.len()],
        spans: vec![None; valid.graph().graph.node_count()],
        branch_spans: vec![None; workflow.steps.len()],
        results: {
            let map_lists: HashSet<&str> = workflow
                .groups
                .iter()
                .filter_map(|g| g.for_each.as_deref())
                .collect();
            workflow
                .steps
                .iter()
                .map(|s| predicted_result(s, &map_lists))
                .collect()
        },
    };
    let mut effects = machine.start();
    loop {
        if rehearsal.carry_out(effects) {
            break;
        }
        let Some(input) = rehearsal.next_input() else {
            break; // cannot happen: the machine finishes when nothing is due
        };
        effects = machine.handle(input);
    }
    let end_ms = rehearsal
        .spans
        .iter()
        .flatten()
        .map(|s| s.end_ms)
        .max()
        .unwrap_or(0);
    Outcome {
        end_ms,
        spans: rehearsal.spans,
        branch_spans: rehearsal.branch_spans,
    }
}

impl Rehearsal<'_> {
    /// Does what the driver would; true when the run is over.
    fn carry_out(&mut self, effects: Vec<Effect>) -> bool {
        let mut finished = false;
        for effect in effects {
            match effect {
                Effect::Start(start) => self.start(&start),
                Effect::Timer { unit, delay_ms } => {
                    self.schedule(self.now.saturating_add(delay_ms), Due::Timer { unit });
                }
                Effect::Cancel { unit } => {
                    if let Some(attempt) =
                        self.units.get(unit).copied().flatten().and_then(|u| u.live)
                    {
                        self.schedule(self.now, Due::Cancelled { unit, attempt });
                    }
                }
                Effect::Emit(EventKind::GroupStarted { group, .. }) => {
                    if let Some(g) = self.group_index(&group) {
                        self.group_started[g] = self.now;
                    }
                }
                Effect::Emit(EventKind::GroupAggregated { group, .. }) => {
                    if let (Some(node), Some(g)) =
                        (self.valid.node(&group), self.group_index(&group))
                    {
                        self.spans[node.index()] = Some(Span {
                            start_ms: self.group_started[g],
                            end_ms: self.now,
                        });
                    }
                }
                Effect::Emit(_) => {}
                Effect::Finished { .. } => finished = true,
            }
        }
        finished
    }

    fn start(&mut self, start: &StartAttempt) {
        let unit = start.unit;
        if self.units.len() <= unit {
            self.units.resize(unit + 1, None);
        }
        let now = self.now;
        let track = self.units[unit].get_or_insert(UnitTrack {
            step: start.step,
            live: None,
            started: now,
        });
        track.live = Some(start.attempt);
        // Saturating: a hostile file can ask for u64::MAX milliseconds.
        let end = self.now.saturating_add(self.durations[start.step]);
        self.schedule(
            end,
            Due::Finished {
                unit,
                attempt: start.attempt,
            },
        );
    }

    fn schedule(&mut self, at: u64, due: Due) {
        self.due.push(Reverse((at, self.dues.len())));
        self.dues.push(Some(due));
    }

    /// The next report the machine would hear, skipping ones overtaken by a
    /// cancellation.
    fn next_input(&mut self) -> Option<Input> {
        while let Some(Reverse((at, seq))) = self.due.pop() {
            self.now = at;
            let due = self.dues[seq].take().expect("each due fires once");
            match due {
                Due::Timer { unit } => return Some(Input::TimerFired { unit }),
                Due::Finished { unit, attempt } | Due::Cancelled { unit, attempt } => {
                    let track = self.units[unit].as_mut().expect("reported units started");
                    if track.live != Some(attempt) {
                        continue; // already ended by a cancellation
                    }
                    track.live = None;
                    let outcome = match due {
                        Due::Cancelled { .. } => AttemptOutcome::Cancelled,
                        _ => {
                            let step = self.units[unit].expect("started").step;
                            AttemptOutcome::Succeeded(self.results[step].clone())
                        }
                    };
                    self.record_span(unit);
                    return Some(Input::AttemptFinished {
                        unit,
                        attempt,
                        outcome,
                    });
                }
            }
        }
        None
    }

    fn record_span(&mut self, unit: UnitId) {
        let UnitTrack { step, started, .. } = self.units[unit].expect("started");
        let span = Span {
            start_ms: started,
            end_ms: self.now,
        };
        match self.phase_node[step] {
            Some(node) => self.spans[node] = Some(span),
            None => {
                let branch = self.branch_spans[step].get_or_insert(span);
                branch.start_ms = branch.start_ms.min(span.start_ms);
                branch.end_ms = branch.end_ms.max(span.end_ms);
            }
        }
    }

    fn group_index(&self, id: &str) -> Option<usize> {
        match self.valid.graph().graph[self.valid.node(id)?] {
            NodeRef::Group(g) => Some(g),
            NodeRef::Step(_) => None,
        }
    }
}

/// Inputs the rehearsal starts with: declared defaults, and a one-element
/// list for a map's list that nothing known before the run provides.
fn planned_inputs(workflow: &Workflow) -> JsonMap {
    let mut inputs: JsonMap = workflow
        .inputs
        .iter()
        .filter_map(|(key, input)| input.default.clone().map(|v| (key.clone(), v)))
        .collect();
    for key in workflow.groups.iter().filter_map(|g| g.for_each.as_ref()) {
        let known = workflow.context.get(key).or_else(|| inputs.get(key));
        if !matches!(known, Some(Value::Array(_))) {
            inputs.insert(key.clone(), unknown_list());
        }
    }
    inputs
}

/// What a successful attempt of a step reports on the happy path.
/// `map_lists`: the keys maps iterate over.
fn predicted_result(step: &Step, map_lists: &HashSet<&str>) -> AgentResult {
    let mut result = match &step.agent {
        Agent::Sim(sim) => AgentResult {
            outputs: sim.outputs.clone(),
            score: sim.score,
            approved: sim.approved,
            ..AgentResult::default()
        },
        _ => AgentResult::default(),
    };
    // A map over a list this step produces at run time sees one element.
    for key in step
        .produces
        .iter()
        .filter(|k| map_lists.contains(k.as_str()))
    {
        if !matches!(result.outputs.get(key), Some(Value::Array(_))) {
            result.outputs.insert(key.clone(), unknown_list());
        }
    }
    result
}

fn unknown_list() -> Value {
    Value::Array(vec![Value::Null])
}
