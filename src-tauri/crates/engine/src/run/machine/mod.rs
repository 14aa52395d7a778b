//! The scheduler as a pure state machine: no tokio, no clock, no I/O.
//!
//! It holds the state of every node and unit (a phase step, a group branch,
//! or one element of a map) and the run's context. Fed an [`Input`] — an
//! attempt finished, a retry timer fired, cancel was requested — it returns
//! [`Effect`]s: attempts to start or cancel, timers to set, events to record,
//! and finally the run's status. The tokio driver only carries these out,
//! so every scheduling rule is unit-testable by feeding inputs by hand.
//!
//! Resource accounting lives here too (one `concurrency` plus declared
//! `resources` per running unit, a group's `max_concurrency`): the machine
//! knows exactly when a unit is queued and when it starts, which is what
//! analytics' queued time measures.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;

use super::aggregate::{self, Aggregation, Branch, BranchResult, Outcome};
use crate::agents::approval::decision_key;
use crate::agents::result::AgentResult;
pub use crate::agents::result::AttemptOutcome;
use crate::events::{AttemptRef, EventKind, RunStatus};
use crate::model::{Agent, JsonMap, Strategy, Trigger, When};
use crate::rng::{SplitMix64, stable_hash};
use crate::template::LOOP_ROUND;
use crate::validate::{NodeIx, NodeRef, ValidWorkflow, effective_when};

pub type UnitId = usize;

/// Writer name of the context values a run starts with.
pub const INPUTS_WRITER: &str = "$inputs";
pub const CONTEXT_WRITER: &str = "$context";
/// `error_code` of a step blocked because a `requires` key was never written.
pub const INPUT_NOT_WRITTEN: &str = "input_not_written";
/// Writer name of `<to>.round`, written when a loop's body (re)starts.
pub const LOOP_WRITER: &str = "$loop";

#[derive(Debug, Clone)]
pub struct MachineOptions {
    /// Capacity of `concurrency` when the workflow's `limits` sets none.
    pub default_concurrency: usize,
    /// Multiplies `sim` durations and, for `sim` steps, timeouts and retry delays.
    pub time_scale: f64,
    /// Seeds retry jitter.
    pub seed: u64,
    /// Block a step whose `requires` keys are missing (`input_not_written`).
    /// Off in the planner's rehearsal, where agents write nothing real.
    pub check_inputs: bool,
    /// The planner's rehearsal: per loop (by its `to`), how many rounds to
    /// run whatever the verdicts say (the median of earlier runs).
    pub planned_rounds: HashMap<String, u32>,
}

/// `limits.concurrency` when a workflow sets none (format revision 2).
/// It was the number of CPUs, which queued service-bound agents — reviews,
/// model calls — needlessly: a three-reviewer gate did not run in parallel
/// on a 2-core machine. Local CPU-bound work sets its own limit.
pub const DEFAULT_CONCURRENCY: usize = 64;

/// The default for `limits.concurrency` when a workflow sets none.
pub fn default_concurrency() -> usize {
    DEFAULT_CONCURRENCY
}

impl Default for MachineOptions {
    fn default() -> Self {
        Self {
            default_concurrency: default_concurrency(),
            time_scale: 1.0,
            seed: 0,
            check_inputs: true,
            planned_rounds: HashMap::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    AttemptFinished {
        unit: UnitId,
        attempt: u32,
        outcome: AttemptOutcome,
    },
    TimerFired {
        unit: UnitId,
    },
    Cancel {
        reason: String,
    },
}

/// Everything the driver needs to run one attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct StartAttempt {
    pub unit: UnitId,
    /// Index into `workflow.steps`.
    pub step: usize,
    pub attempt: u32,
    /// Values of the step's `requires` and `reads` keys present in the
    /// context, and `round` inside a loop body.
    pub inputs: JsonMap,
    /// Map element: `(index, item)`.
    pub element: Option<(u32, Value)>,
    pub timeout_ms: Option<u64>,
    /// The innermost loop's round (1 outside loops).
    pub round: u32,
    /// The rounds of every loop around the step, outermost first ("1"
    /// outside loops): what tells an approval in round 1 of an inner loop
    /// in outer round 2 from the one in outer round 1.
    pub rounds: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Start(StartAttempt),
    /// Fire `Input::TimerFired { unit }` after this delay (retry backoff).
    Timer {
        unit: UnitId,
        delay_ms: u64,
    },
    /// Stop a running attempt; it will still report `AttemptFinished`.
    Cancel {
        unit: UnitId,
    },
    Emit(EventKind),
    /// The run is over; nothing is running and no timer is pending.
    Finished {
        status: RunStatus,
        error: Option<String>,
    },
}

/// Results carried over from an earlier run: on `resume`, everything that
/// completed before the crash; on `rerun --from`, everything upstream.
/// Keyed by step id and map element.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Prior {
    pub from_run: String,
    pub results: HashMap<(String, Option<u32>), PriorResult>,
    /// Attempts already made of executions that run again (resume of an
    /// interrupted attempt): numbering continues after them, so no stored
    /// attempt is overwritten, and retries count from the new first attempt.
    pub attempts_made: HashMap<(String, Option<u32>), u32>,
    /// Per loop (by the id of its `to`): the round the earlier run was in.
    /// Each prior result is applied once, so a later round runs afresh.
    pub rounds: HashMap<String, u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PriorResult {
    Succeeded {
        result: AgentResult,
        attempts: u32,
    },
    Failed {
        error: String,
        attempts: u32,
        timed_out: bool,
    },
    Blocked {
        error: String,
        attempts: u32,
    },
    /// Was mid-attempt when the run died, and the user chose to skip it.
    Interrupted {
        attempt: u32,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum UnitState {
    Queued,
    Running,
    WaitingRetry,
    Done(BranchResult),
}

#[derive(Debug)]
struct Unit {
    node: NodeIx,
    step: usize,
    group: Option<usize>,
    element: Option<(u32, Value)>,
    attempt: u32,
    state: UnitState,
    /// Cancellation asked for while running (for `first` losers and stops).
    cancelling: bool,
    /// Completed from a prior result: it never held resources.
    reused: bool,
    /// Attempt number this run started the unit at (1, or after earlier attempts on resume).
    first_attempt: u32,
    /// The innermost loop's round when the unit was made (1 outside loops).
    round: u32,
    outputs: JsonMap,
    /// What its final attempt recommended (for the group's list).
    recommendations: Vec<Value>,
    /// It ended with a result object (not cancelled, not a bare failure).
    reported: bool,
}

/// How a node ended, for edge conditions.
#[derive(Debug, Clone, Copy, PartialEq)]
enum NodeEnd {
    StepSucceeded,
    StepFailed,
    Group(Outcome),
    /// Skipped: no edge out of it is taken, and what it leads to is skipped.
    NotRun,
    /// Cancelled (the run is stopping): no edge is taken, and what it leads
    /// to is cancelled too — it was not routed away, it was stopped.
    Cancelled,
}

#[derive(Debug)]
struct GroupRun {
    /// Units of this run of the group have ids from here on; lower ids
    /// belong to an earlier round's run (a `first` loser still stopping).
    first_unit: UnitId,
    units: Vec<UnitId>,
    running: usize,
    /// Units in their final state.
    done: usize,
    max: usize,
    decided: bool,
    /// Units of this group waiting to start, in order. The run queue holds
    /// one entry for the whole group, so a 5,000-element map costs one
    /// queue entry to scan, not 5,000.
    pending: VecDeque<UnitId>,
    in_queue: bool,
}

impl GroupRun {
    fn new(first_unit: UnitId, units: Vec<UnitId>, max: usize) -> Self {
        Self {
            first_unit,
            units,
            running: 0,
            done: 0,
            max,
            decided: false,
            pending: VecDeque::new(),
            in_queue: false,
        }
    }
}

/// How a machine holds its workflow: an `Arc` when it runs on the driver's
/// task, a plain reference when the planner rehearses a run in place.
pub trait WorkflowRef: std::ops::Deref<Target = ValidWorkflow> + Clone {}
impl<T: std::ops::Deref<Target = ValidWorkflow> + Clone> WorkflowRef for T {}

pub struct Machine<V: WorkflowRef = Arc<ValidWorkflow>> {
    valid: V,
    options: MachineOptions,
    /// Inputs waiting to be written by `start` (so the writes are events).
    initial_inputs: Option<JsonMap>,
    context: JsonMap,
    units: Vec<Unit>,
    queue: RunQueue,
    /// Per step: its run-queue class (steps with equal needs share one).
    class_of_step: Vec<usize>,
    /// Classes of steps; group `g`'s class is `step_classes + g`.
    step_classes: usize,
    groups: Vec<Option<GroupRun>>,
    /// Per outer node: incoming edges not yet resolved / taken.
    waiting_edges: Vec<usize>,
    taken_edges: Vec<usize>,
    /// Per outer node: whether it has been made ready or skipped.
    resolved: Vec<bool>,
    /// Per outer node: an incoming edge came from a cancelled node.
    upstream_cancelled: Vec<bool>,
    /// Capacity left per resource; index 0 is `concurrency`.
    free: Vec<i64>,
    /// Per step: (resource index, amount) held while it runs.
    needs: Vec<Vec<(usize, i64)>>,
    running: usize,
    timers: usize,
    /// Approval steps running (waiting for a person).
    approvals_running: usize,
    /// Whether the run last said it was waiting (`RunWaiting`).
    waiting: bool,
    /// Set when the run must stop: nothing new starts.
    stopping: Option<(RunStatus, String)>,
    /// A group ended rejected/needs_work with no edge taken.
    outcome_status: Option<RunStatus>,
    rng: SplitMix64,
    done: bool,
    effects: Vec<Effect>,
    prior: Prior,
    /// Units whose prior result is waiting to be applied (a queue, not
    /// recursion: reuse can cascade down a long chain).
    reuse: VecDeque<UnitId>,
    /// Units that cannot start because a `requires` key is missing, with
    /// why; blocked on the next settle (never in the middle of starting a
    /// group).
    missing_inputs: VecDeque<(UnitId, String)>,
    /// Per loop: the round its body is in (from 1).
    rounds: Vec<u32>,
    /// Per step (and map element) inside a loop body: the last attempt
    /// number started, so a later round's attempts number on after it.
    loop_attempts: HashMap<(usize, Option<u32>), u32>,
    /// Writer id (step, branch or group) → its outer node, for the round of
    /// a context write; empty when the workflow has no loops (every write is
    /// round 1), so plain workflows pay nothing per write.
    writer_nodes: HashMap<String, NodeIx>,
    /// Per edge of the workflow: taken or not, once resolved. A new round
    /// keeps what edges into the body from outside decided.
    edge_state: Vec<Option<bool>>,
}

impl<V: WorkflowRef> Machine<V> {
    /// A machine for one run. `inputs` must already be checked against the
    /// workflow's declared inputs (required ones present, defaults filled).
    pub fn new(valid: V, inputs: JsonMap, options: MachineOptions) -> Self {
        let wf = valid.workflow();
        let node_count = valid.graph().graph.node_count();
        let resource_names: Vec<&str> = std::iter::once("concurrency")
            .chain(
                wf.limits
                    .keys()
                    .map(String::as_str)
                    .filter(|k| *k != "concurrency"),
            )
            .collect();
        let mut free: Vec<i64> = resource_names
            .iter()
            .map(|n| wf.limits.get(*n).copied().unwrap_or(0))
            .collect();
        if !wf.limits.contains_key("concurrency") {
            free[0] = options.default_concurrency.max(1) as i64;
        }
        let needs: Vec<Vec<(usize, i64)>> = wf
            .steps
            .iter()
            .map(|s| {
                let concurrency = s.resources.get("concurrency").copied().unwrap_or(1).max(1);
                std::iter::once((0, concurrency))
                    .chain(
                        resource_names
                            .iter()
                            .enumerate()
                            .skip(1)
                            .filter_map(|(r, name)| s.resources.get(*name).map(|&a| (r, a))),
                    )
                    .collect()
            })
            .collect();
        let (class_of_step, step_classes) = queue::classes_of(&needs);
        let mut waiting_edges = vec![0; node_count];
        for &node in valid.topo_order() {
            waiting_edges[node.index()] = valid.incoming(node).count();
        }
        let rng = SplitMix64::from_parts(&[options.seed, stable_hash(&wf.id)]);
        let group_count = wf.groups.len();
        let rounds = vec![1; valid.loops().len()];
        let writer_nodes: HashMap<String, NodeIx> = if valid.loops().is_empty() {
            HashMap::new()
        } else {
            let outer = |s: &crate::model::Step| valid.node(s.group.as_deref().unwrap_or(&s.id));
            wf.steps
                .iter()
                .filter_map(|s| outer(s).map(|n| (s.id.clone(), n)))
                .chain(
                    wf.groups
                        .iter()
                        .filter_map(|g| valid.node(&g.id).map(|n| (g.id.clone(), n))),
                )
                .collect()
        };
        let edge_state = vec![None; wf.edges.len()];
        Self {
            groups: (0..group_count).map(|_| None).collect(),
            options,
            initial_inputs: Some(inputs),
            context: JsonMap::new(),
            units: Vec::new(),
            queue: RunQueue::new(step_classes + group_count),
            class_of_step,
            step_classes,
            waiting_edges,
            taken_edges: vec![0; node_count],
            resolved: vec![false; node_count],
            upstream_cancelled: vec![false; node_count],
            free,
            needs,
            running: 0,
            approvals_running: 0,
            waiting: false,
            timers: 0,
            stopping: None,
            outcome_status: None,
            rng,
            done: false,
            effects: Vec::new(),
            prior: Prior::default(),
            reuse: VecDeque::new(),
            missing_inputs: VecDeque::new(),
            rounds,
            loop_attempts: HashMap::new(),
            writer_nodes,
            edge_state,
            valid,
        }
    }

    /// Results to reuse instead of running those steps again.
    pub fn with_prior(mut self, prior: Prior) -> Self {
        for (l, info) in self.valid.loops().iter().enumerate() {
            if let Some(&round) = prior.rounds.get(self.valid.node_id(info.to)) {
                self.rounds[l] = round.clamp(1, info.max_rounds);
            }
        }
        self.prior = prior;
        self
    }

    pub fn context(&self) -> &JsonMap {
        &self.context
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Number of attempts currently running.
    pub fn running(&self) -> usize {
        self.running
    }

    /// The step index and element of a unit (for the driver's bookkeeping).
    pub fn unit_step(&self, unit: UnitId) -> (usize, Option<u32>) {
        let u = &self.units[unit];
        (u.step, u.element.as_ref().map(|e| e.0))
    }

    /// Starts the run: writes the initial context and readies the roots.
    pub fn start(&mut self) -> Vec<Effect> {
        let context = self.valid.workflow().context.clone();
        for (key, value) in context {
            self.write(CONTEXT_WRITER, &key, value);
        }
        let inputs = self.initial_inputs.take().unwrap_or_default();
        for (key, value) in inputs {
            self.write(INPUTS_WRITER, &key, value);
        }
        for node in self.valid.roots() {
            self.ready(node);
        }
        self.settle()
    }

    /// Feeds one input; returns what to do.
    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        if self.done {
            return Vec::new();
        }
        match input {
            Input::AttemptFinished {
                unit,
                attempt,
                outcome,
            } => self.attempt_finished(unit, attempt, outcome),
            Input::TimerFired { unit } => self.timer_fired(unit),
            Input::Cancel { reason } => self.stop(RunStatus::Cancelled, reason),
        }
        self.settle()
    }

    /// Ends the run: nothing new starts, running attempts are cancelled.
    fn stop(&mut self, status: RunStatus, error: String) {
        if self.stopping.is_some() {
            return;
        }
        self.stopping = Some((status, error));
        for unit in 0..self.units.len() {
            self.cancel_unit(unit);
        }
    }

    /// After every input: start what fits, and finish when nothing is left.
    fn settle(&mut self) -> Vec<Effect> {
        loop {
            if let Some(unit) = self.reuse.pop_front() {
                self.apply_prior(unit);
            } else if let Some((unit, error)) = self.missing_inputs.pop_front() {
                self.block_for_input(unit, error);
            } else {
                break;
            }
        }
        self.start_what_fits();
        let idle = self.timers == 0 && self.queue_is_idle();
        if !self.done && self.running == 0 && idle {
            self.finish();
        }
        let waiting = !self.done
            && idle
            && self.stopping.is_none()
            && self.running > 0
            && self.running == self.approvals_running;
        if waiting != self.waiting {
            self.waiting = waiting;
            self.emit(EventKind::RunWaiting { waiting });
        }
        std::mem::take(&mut self.effects)
    }

    fn queue_is_idle(&self) -> bool {
        let queued = |u: &UnitId| self.units[*u].state == UnitState::Queued;
        self.stopping.is_some()
            || self.queue.entries().all(|entry| match entry {
                Entry::Unit(u) => !queued(&u),
                Entry::Group(g) => self.groups[g]
                    .as_ref()
                    .is_none_or(|run| !run.pending.iter().any(queued)),
            })
    }

    fn finish(&mut self) {
        self.done = true;
        // Nodes never reached because the run stopped.
        for &node in self.valid.topo_order().to_vec().iter() {
            if !self.resolved[node.index()] {
                self.resolved[node.index()] = true;
                if self.stopping.is_some() {
                    self.cancel_node(node);
                } else {
                    self.skip(node, "not reached");
                }
            }
        }
        let (status, error) = match self.stopping.take() {
            Some((status, error)) => (status, Some(error)),
            None => (self.outcome_status.unwrap_or(RunStatus::Succeeded), None),
        };
        self.emit(EventKind::RunFinished {
            status,
            error: error.clone(),
        });
        self.effects.push(Effect::Finished { status, error });
    }

    // --- helpers -----------------------------------------------------------

    fn write(&mut self, writer: &str, key: &str, value: Value) {
        let old = self.context.insert(key.to_string(), value.clone());
        let round = self.writer_round(writer);
        self.emit(EventKind::ContextWrite {
            writer: writer.to_string(),
            key: key.to_string(),
            old,
            new: value,
            round,
        });
    }

    /// The round of the node a writer (a step, a branch or a group) is in;
    /// 1 for inputs, initial context, and in workflows without loops.
    fn writer_round(&self, writer: &str) -> u32 {
        self.writer_nodes
            .get(writer)
            .map_or(1, |&n| self.node_round(n))
    }

    fn emit(&mut self, kind: EventKind) {
        self.effects.push(Effect::Emit(kind));
    }

    fn attempt_ref(&self, unit: UnitId) -> AttemptRef {
        let u = &self.units[unit];
        AttemptRef {
            step: self.valid.workflow().steps[u.step].id.clone(),
            element: u.element.as_ref().map(|e| e.0),
            attempt: u.attempt,
            round: u.round,
        }
    }

    /// The round `node` is in: its innermost loop's (1 outside loops).
    fn node_round(&self, node: NodeIx) -> u32 {
        self.valid.loop_of(node).map_or(1, |l| self.rounds[l])
    }

    /// The rounds of every loop around `node`, outermost first ("1" outside loops).
    fn round_path(&self, node: NodeIx) -> String {
        let around = self.valid.loops_around(node);
        if around.is_empty() {
            return "1".into();
        }
        let rounds: Vec<String> = around
            .iter()
            .rev()
            .map(|&l| self.rounds[l].to_string())
            .collect();
        rounds.join(".")
    }

    /// The group a unit counts in: `None` for a phase step, and for a unit
    /// left over from an earlier round's run of its group.
    fn current_group(&self, unit: UnitId) -> Option<usize> {
        self.units[unit].group.filter(|&g| {
            self.groups[g]
                .as_ref()
                .is_some_and(|run| unit >= run.first_unit)
        })
    }

    /// `sim` steps live on the run's time scale; real agents do not.
    fn scale_for(&self, step: usize) -> f64 {
        match self.valid.workflow().steps[step].agent {
            Agent::Sim(_) => self.options.time_scale,
            _ => 1.0,
        }
    }
}

/// Whether an edge with condition `when` is taken after its source ended so.
fn edge_taken(when: When, end: NodeEnd) -> bool {
    match end {
        NodeEnd::NotRun | NodeEnd::Cancelled => false,
        NodeEnd::StepSucceeded => matches!(when, When::Succeeded | When::Done),
        NodeEnd::StepFailed => matches!(when, When::Failed | When::Done),
        NodeEnd::Group(outcome) => {
            when == When::Done
                || matches!(
                    (when, outcome),
                    (When::Approved, Outcome::Approved)
                        | (When::NeedsWork, Outcome::NeedsWork)
                        | (When::Rejected, Outcome::Rejected)
                        | (When::Failed, Outcome::Failed)
                )
        }
    }
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests;

mod nodes;
mod queue;
mod units;

use queue::{Entry, RunQueue};
