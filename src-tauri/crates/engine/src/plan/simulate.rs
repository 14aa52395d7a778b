//! A discrete-event rehearsal of the engine's scheduling on the happy path,
//! with predicted durations instead of agents. Units (a phase step, or one
//! branch/map element of a group) start in the order they became ready,
//! skipping ahead past units whose resources are not free — as the engine
//! does — and hold one `concurrency` plus their `resources` while they run.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use serde_json::Value;

use super::Span;
use crate::model::{Strategy, When, Workflow};
use crate::validate::{NodeIx, NodeRef, ValidWorkflow, effective_when};

pub(super) struct Outcome {
    pub end_ms: u64,
    /// Per outer node: its span, or `None` when the happy path skips it.
    pub spans: Vec<Option<Span>>,
    /// Per step (by index): a branch's span over all its map elements; a
    /// `first` group's losers end when the winner cancels them.
    pub branch_spans: Vec<Option<Span>>,
}

struct Unit {
    node: NodeIx,
    duration: u64,
    /// Group index when this unit is a branch (or map element).
    group: Option<usize>,
    /// The branch step's index, for a branch (or map element).
    branch: Option<usize>,
    /// (resource index, amount) held while running; index 0 is `concurrency`.
    needs: Vec<(usize, i64)>,
    started: bool,
    finished: bool,
    cancelled: bool,
}

struct GroupRun {
    outstanding: usize,
    running: usize,
    max: usize,
    first: bool,
    units: Vec<usize>,
    /// Units waiting to start; the run queue holds one entry for the group
    /// (as in the engine), so wide maps plan in linear time.
    pending: VecDeque<usize>,
}

/// A run-queue entry: a phase step's unit, or a group with pending units.
#[derive(Clone, Copy)]
enum Entry {
    Unit(usize),
    Group(usize),
}

struct Sim<'v> {
    valid: &'v ValidWorkflow,
    now: u64,
    free: Vec<i64>,
    units: Vec<Unit>,
    queue: VecDeque<Entry>,
    running: BinaryHeap<Reverse<(u64, usize)>>,
    groups: Vec<Option<GroupRun>>,
    waiting_edges: Vec<usize>,
    taken_edges: Vec<usize>,
    spans: Vec<Option<Span>>,
    branch_spans: Vec<Option<Span>>,
    ready_at: Vec<u64>,
    /// Nodes whose outgoing edges still need resolving: (node, whether it ran).
    resolved: Vec<(NodeIx, bool)>,
}

pub(super) fn run(valid: &ValidWorkflow, durations: &[u64], default_concurrency: usize) -> Outcome {
    let workflow = valid.workflow();
    let node_count = valid.graph().graph.node_count();
    let resource_names: Vec<&str> = std::iter::once("concurrency")
        .chain(
            workflow
                .limits
                .keys()
                .map(String::as_str)
                .filter(|k| *k != "concurrency"),
        )
        .collect();
    let mut free: Vec<i64> = resource_names
        .iter()
        .map(|name| workflow.limits.get(*name).copied().unwrap_or(0))
        .collect();
    if !workflow.limits.contains_key("concurrency") {
        free[0] = default_concurrency.max(1) as i64;
    }

    let mut sim = Sim {
        valid,
        now: 0,
        free,
        units: Vec::new(),
        queue: VecDeque::new(),
        running: BinaryHeap::new(),
        groups: (0..workflow.groups.len()).map(|_| None).collect(),
        waiting_edges: vec![0; node_count],
        taken_edges: vec![0; node_count],
        spans: vec![None; node_count],
        branch_spans: vec![None; workflow.steps.len()],
        ready_at: vec![0; node_count],
        resolved: Vec::new(),
    };
    let needs_of = |step: usize| -> Vec<(usize, i64)> {
        let resources = &workflow.steps[step].resources;
        let concurrency = resources.get("concurrency").copied().unwrap_or(1).max(1);
        std::iter::once((0, concurrency))
            .chain(
                resource_names
                    .iter()
                    .enumerate()
                    .skip(1)
                    .filter_map(|(r, name)| resources.get(*name).map(|&amount| (r, amount))),
            )
            .collect()
    };

    for &node in valid.topo_order() {
        sim.waiting_edges[node.index()] = valid.incoming(node).count();
    }
    for node in valid.roots() {
        sim.make_ready(node, durations, &needs_of);
    }
    sim.drain_resolved(durations, &needs_of);
    loop {
        sim.start_what_fits();
        let Some(Reverse((end, unit))) = sim.running.pop() else {
            break;
        };
        sim.now = end;
        sim.finish_unit(unit, durations, &needs_of);
    }
    let end_ms = sim
        .spans
        .iter()
        .flatten()
        .map(|s| s.end_ms)
        .max()
        .unwrap_or(0);
    Outcome {
        end_ms,
        spans: sim.spans,
        branch_spans: sim.branch_spans,
    }
}

impl Sim<'_> {
    fn workflow(&self) -> &Workflow {
        self.valid.workflow()
    }

    fn make_ready(
        &mut self,
        node: NodeIx,
        durations: &[u64],
        needs_of: &dyn Fn(usize) -> Vec<(usize, i64)>,
    ) {
        self.ready_at[node.index()] = self.now;
        match self.valid.graph().graph[node] {
            NodeRef::Step(s) => {
                let unit = self.push_unit(node, durations[s], None, needs_of(s));
                self.queue.push_back(Entry::Unit(unit));
            }
            NodeRef::Group(g) => {
                let group = &self.workflow().groups[g];
                let elements = group
                    .for_each
                    .as_deref()
                    .map_or(1, |key| map_len(self.workflow(), key));
                let max = group
                    .max_concurrency
                    .map_or(usize::MAX, |m| m.max(1) as usize);
                let first = group.aggregate.strategy == Strategy::First;
                let branches: Vec<usize> = self.valid.graph().branches[g].clone();
                let mut units = Vec::new();
                for &s in &branches {
                    for _ in 0..elements {
                        let unit = self.push_unit(node, durations[s], Some((g, s)), needs_of(s));
                        units.push(unit);
                    }
                }
                let outstanding = units.len();
                self.groups[g] = Some(GroupRun {
                    outstanding,
                    running: 0,
                    max,
                    first,
                    pending: units.iter().copied().collect(),
                    units,
                });
                if outstanding > 0 {
                    self.queue.push_back(Entry::Group(g));
                }
                if outstanding == 0 {
                    // An empty map finishes as soon as it starts.
                    self.spans[node.index()] = Some(Span {
                        start_ms: self.now,
                        end_ms: self.now,
                    });
                    self.resolved.push((node, true));
                }
            }
        }
    }

    /// `branch`: (group index, branch step index) for a branch or map element.
    fn push_unit(
        &mut self,
        node: NodeIx,
        duration: u64,
        branch: Option<(usize, usize)>,
        needs: Vec<(usize, i64)>,
    ) -> usize {
        self.units.push(Unit {
            node,
            duration,
            group: branch.map(|(g, _)| g),
            branch: branch.map(|(_, s)| s),
            needs,
            started: false,
            finished: false,
            cancelled: false,
        });
        self.units.len() - 1
    }

    fn fits(&self, u: usize) -> bool {
        self.units[u]
            .needs
            .iter()
            .all(|&(r, amount)| self.free[r] >= amount)
    }

    fn start_what_fits(&mut self) {
        let mut i = 0;
        // Every unit holds at least one `concurrency`: nothing fits without it.
        while i < self.queue.len() && self.free[0] > 0 {
            match self.queue[i] {
                Entry::Unit(u) => {
                    if self.units[u].cancelled {
                        self.queue.remove(i);
                    } else if self.fits(u) {
                        self.queue.remove(i);
                        self.launch(u);
                    } else {
                        i += 1;
                    }
                }
                Entry::Group(g) => {
                    self.start_group_units(g);
                    if self.groups[g]
                        .as_ref()
                        .is_none_or(|run| run.pending.is_empty())
                    {
                        self.queue.remove(i);
                    } else {
                        i += 1;
                    }
                }
            }
        }
    }

    /// As the engine: branches that do not fit are passed over; for a map,
    /// whose elements all need the same, the first that does not fit ends it.
    fn start_group_units(&mut self, g: usize) {
        let is_map = self.workflow().groups[g].for_each.is_some();
        let mut j = 0;
        loop {
            let Some(run) = self.groups[g].as_ref() else {
                return;
            };
            if run.running >= run.max || self.free[0] <= 0 || j >= run.pending.len() {
                return;
            }
            let u = run.pending[j];
            if self.units[u].cancelled {
                self.groups[g].as_mut().expect("running").pending.remove(j);
            } else if self.fits(u) {
                self.groups[g].as_mut().expect("running").pending.remove(j);
                self.launch(u);
            } else if is_map {
                return;
            } else {
                j += 1;
            }
        }
    }

    fn launch(&mut self, u: usize) {
        for &(r, amount) in &self.units[u].needs {
            self.free[r] -= amount;
        }
        if let Some(run) = self.units[u].group.and_then(|g| self.groups[g].as_mut()) {
            run.running += 1;
        }
        let unit = &mut self.units[u];
        unit.started = true;
        // Saturating: a hostile file can ask for u64::MAX milliseconds.
        let end = self.now.saturating_add(unit.duration);
        if let NodeRef::Step(_) = self.valid.graph().graph[unit.node] {
            self.spans[unit.node.index()] = Some(Span {
                start_ms: self.now,
                end_ms: end,
            });
        }
        if let Some(s) = unit.branch {
            let span = self.branch_spans[s].get_or_insert(Span {
                start_ms: self.now,
                end_ms: end,
            });
            span.start_ms = span.start_ms.min(self.now);
            span.end_ms = span.end_ms.max(end);
        }
        self.running.push(Reverse((end, u)));
    }

    fn release(&mut self, u: usize) {
        for &(r, amount) in &self.units[u].needs {
            self.free[r] += amount;
        }
        if let Some(run) = self.units[u].group.and_then(|g| self.groups[g].as_mut()) {
            run.running -= 1;
        }
    }

    fn finish_unit(
        &mut self,
        u: usize,
        durations: &[u64],
        needs_of: &dyn Fn(usize) -> Vec<(usize, i64)>,
    ) {
        self.units[u].finished = true;
        if self.units[u].cancelled {
            return; // already released when its group finished
        }
        self.release(u);
        let node = self.units[u].node;
        let Some(g) = self.units[u].group else {
            self.finish_node(node, durations, needs_of);
            return;
        };
        let run = self.groups[g].as_mut().expect("group is running");
        run.outstanding -= 1;
        let done = run.first || run.outstanding == 0;
        if !done {
            return;
        }
        // `first`: the winner cancels every other branch.
        let others: Vec<usize> = run.units.iter().copied().filter(|&o| o != u).collect();
        for other in others {
            let unit = &self.units[other];
            let branch = unit.branch;
            if !unit.cancelled && unit.started && !unit.finished {
                self.release(other);
                // It stops now, not when it would have ended.
                if let Some(span) = branch.and_then(|s| self.branch_spans[s].as_mut()) {
                    span.end_ms = span.end_ms.min(self.now);
                }
            }
            self.units[other].cancelled = true;
        }
        self.finish_node(node, durations, needs_of);
    }

    fn finish_node(
        &mut self,
        node: NodeIx,
        durations: &[u64],
        needs_of: &dyn Fn(usize) -> Vec<(usize, i64)>,
    ) {
        if let NodeRef::Group(_) = self.valid.graph().graph[node] {
            self.spans[node.index()] = Some(Span {
                start_ms: self.ready_at[node.index()],
                end_ms: self.now,
            });
        }
        self.resolved.push((node, true));
        self.drain_resolved(durations, needs_of);
    }

    /// A worklist, not recursion: skips can cascade down a 100k-node chain.
    fn drain_resolved(&mut self, durations: &[u64], needs_of: &dyn Fn(usize) -> Vec<(usize, i64)>) {
        while let Some((node, ran)) = self.resolved.pop() {
            self.resolve_outgoing(node, ran, durations, needs_of);
        }
    }

    /// Marks `node`'s outgoing edges taken or not, and readies or queues the
    /// skip of each target whose last incoming edge this was.
    fn resolve_outgoing(
        &mut self,
        node: NodeIx,
        ran: bool,
        durations: &[u64],
        needs_of: &dyn Fn(usize) -> Vec<(usize, i64)>,
    ) {
        let source = self.valid.graph().graph[node];
        let targets: Vec<(NodeIx, bool)> = self
            .valid
            .outgoing(node)
            .map(|(target, edge)| {
                let when = effective_when(edge, source);
                let taken = ran && matches!(when, When::Succeeded | When::Approved | When::Done);
                (target, taken)
            })
            .collect();
        for (target, taken) in targets {
            let t = target.index();
            self.waiting_edges[t] -= 1;
            if taken {
                self.taken_edges[t] += 1;
            }
            if self.waiting_edges[t] > 0 {
                continue;
            }
            let incoming = self.valid.incoming(target).count();
            let runs = match self.valid.trigger(target) {
                crate::model::Trigger::All => self.taken_edges[t] == incoming,
                crate::model::Trigger::Any => self.taken_edges[t] > 0,
            };
            if runs {
                self.make_ready(target, durations, needs_of);
            } else {
                self.resolved.push((target, false));
            }
        }
    }
}

/// Elements a map group will see, when its list is known before the run.
fn map_len(workflow: &Workflow, key: &str) -> usize {
    let known = workflow
        .context
        .get(key)
        .or_else(|| workflow.inputs.get(key).and_then(|i| i.default.as_ref()));
    match known {
        Some(Value::Array(items)) => items.len(),
        _ => 1,
    }
}
