//! Data-flow checks over the acyclic outer graph.
//!
//! *Guaranteed before.* A key is available to node N when it is an input, an
//! initial context key, or produced by a node P that is guaranteed to have
//! finished — and written it — whenever N runs:
//! - N with trigger `all` runs only if every incoming edge was taken, so it
//!   is enough that one incoming edge guarantees P;
//! - N with trigger `any` may run through any one taken edge, so every
//!   incoming edge must guarantee P;
//! - an edge Q→N guarantees P when Q = P and the edge's condition implies the
//!   write (a step's outputs on `succeeded`; a group's branch outputs on
//!   `approved`/`needs_work`/`rejected`, its `<group>.outcome|score|approved`
//!   on any condition), or when Q itself is guaranteed P (a taken edge means Q
//!   ran, so what Q was guaranteed still holds). An optional branch of a
//!   non-map group may fail without failing its group, so its outputs are
//!   never guaranteed; nor are any branch's outputs under `first`.
//!
//! So a step reached only through a conditional edge guarantees nothing
//! downstream of the other branch.
//!
//! *May run concurrently.* Two outer nodes may run at the same time unless
//! one is an ancestor of the other; branches of one group always may.

use std::collections::{HashMap, HashSet};

use petgraph::Direction;
use petgraph::visit::EdgeRef;

use super::graph::{NodeIx, NodeRef, WorkflowGraph, effective_when};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Strategy, Trigger, When, Workflow};

/// How a producer writes a key, which decides which edge conditions imply it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Write {
    /// A phase step's declared output: written when it succeeds.
    StepOutput,
    /// A branch output, surfaced through its group: written unless the group failed.
    BranchOutput,
    /// An optional branch's output: the branch may fail and be left out of
    /// an approved group, so no condition implies the write.
    OptionalBranchOutput,
    /// `<group>.outcome|score|approved`, `<node>.recommendations`,
    /// `<to>.round`: written whenever the node finishes (or the loop starts).
    GroupOutcome,
}

impl Write {
    fn implied_by(self, when: When) -> bool {
        match self {
            Write::StepOutput => when == When::Succeeded,
            Write::BranchOutput => {
                matches!(when, When::Approved | When::NeedsWork | When::Rejected)
            }
            Write::GroupOutcome => true,
            Write::OptionalBranchOutput => false,
        }
    }
}

/// The feedback key every step (not a map's branch) and group writes.
pub(crate) fn recommendations_key(node_id: &str) -> String {
    format!("{node_id}.recommendations")
}

/// The outcome keys every group writes.
pub(crate) fn group_outcome_keys(group_id: &str) -> [String; 3] {
    [
        format!("{group_id}.outcome"),
        format!("{group_id}.score"),
        format!("{group_id}.approved"),
    ]
}

struct Flow<'w> {
    workflow: &'w Workflow,
    graph: &'w WorkflowGraph,
    /// Topological position of each outer node.
    pos: Vec<usize>,
}

pub(super) fn check(workflow: &Workflow, graph: &WorkflowGraph, out: &mut Vec<Diagnostic>) {
    let mut pos = vec![0; graph.graph.node_count()];
    for (p, &n) in graph.topo.iter().enumerate() {
        pos[n.index()] = p;
    }
    let flow = Flow {
        workflow,
        graph,
        pos,
    };
    flow.missing_inputs(out);
    flow.write_conflicts(out);
    flow.unreachable(out);
    flow.unused_outputs(out);
}

impl Flow<'_> {
    /// The outer node a step runs as part of: itself, or its group.
    fn outer_of_step(&self, step: usize) -> Option<NodeIx> {
        let s = &self.workflow.steps[step];
        self.graph
            .by_id
            .get(s.group.as_deref().unwrap_or(&s.id))
            .copied()
    }

    fn producers(&self) -> HashMap<&str, Vec<(NodeIx, Write)>> {
        let mut producers: HashMap<&str, Vec<(NodeIx, Write)>> = HashMap::new();
        for (i, step) in self.workflow.steps.iter().enumerate() {
            let Some(node) = self.outer_of_step(i) else {
                continue;
            };
            let write = match self.graph.graph[node] {
                NodeRef::Step(_) => Write::StepOutput,
                NodeRef::Group(g)
                    if self.workflow.groups[g].aggregate.strategy == Strategy::First =>
                {
                    // The losers are cancelled: no branch's output is guaranteed.
                    continue;
                }
                // An optional branch can fail inside an approved group and write
                // nothing. (A map's keys are collected lists, written either way.)
                NodeRef::Group(g)
                    if !step.is_required() && self.workflow.groups[g].for_each.is_none() =>
                {
                    Write::OptionalBranchOutput
                }
                NodeRef::Group(_) => Write::BranchOutput,
            };
            for key in &step.produces {
                producers
                    .entry(key.as_str())
                    .or_default()
                    .push((node, write));
            }
        }
        producers
    }

    /// Keys the engine writes on its own: `<node>.recommendations` of every
    /// step (but a map's branch) and group, `<group>.outcome|score|approved`,
    /// `<to>.round` of every loop.
    fn engine_keys(&self) -> Vec<(String, NodeIx, Write)> {
        let wf = self.workflow;
        let mut keys = Vec::new();
        for (i, step) in wf.steps.iter().enumerate() {
            let Some(node) = self.outer_of_step(i) else {
                continue;
            };
            let write = match self.graph.graph[node] {
                NodeRef::Step(_) => Write::GroupOutcome,
                NodeRef::Group(g) if wf.groups[g].for_each.is_some() => continue,
                NodeRef::Group(g) if wf.groups[g].aggregate.strategy == Strategy::First => continue,
                NodeRef::Group(_) if !step.is_required() => Write::OptionalBranchOutput,
                NodeRef::Group(_) => Write::BranchOutput,
            };
            keys.push((recommendations_key(&step.id), node, write));
        }
        for group in &wf.groups {
            if let Some(&n) = self.graph.by_id.get(&group.id) {
                for key in group_outcome_keys(&group.id) {
                    keys.push((key, n, Write::GroupOutcome));
                }
                keys.push((recommendations_key(&group.id), n, Write::GroupOutcome));
            }
        }
        for l in &self.graph.loops {
            let key = format!("{}.round", self.graph.node_id(wf, l.to));
            keys.push((key, l.to, Write::GroupOutcome));
        }
        keys
    }

    fn missing_inputs(&self, out: &mut Vec<Diagnostic>) {
        let wf = self.workflow;
        let base: HashSet<&str> = wf
            .inputs
            .keys()
            .map(String::as_str)
            .chain(wf.context.keys().map(String::as_str))
            .collect();
        let mut producers = self.producers();
        let engine_keys = self.engine_keys();
        for (key, node, write) in &engine_keys {
            producers
                .entry(key.as_str())
                .or_default()
                .push((*node, *write));
        }
        self.check_reads(&base, &producers, out);

        // (reader node, key, path, ids to blame)
        let mut needs: Vec<(NodeIx, &str, String, Vec<String>)> = Vec::new();
        for (i, step) in wf.steps.iter().enumerate() {
            let Some(node) = self.outer_of_step(i) else {
                continue;
            };
            for (j, key) in step.requires.iter().enumerate() {
                needs.push((
                    node,
                    key,
                    format!("$.steps[{i}].requires[{j}]"),
                    vec![step.id.clone()],
                ));
            }
        }
        for (g, group) in wf.groups.iter().enumerate() {
            if let (Some(key), Some(&node)) = (&group.for_each, self.graph.by_id.get(&group.id)) {
                needs.push((
                    node,
                    key,
                    format!("$.groups[{g}].for_each"),
                    vec![group.id.clone()],
                ));
            }
        }

        let mut memo: HashMap<(NodeIx, Write), HashSet<NodeIx>> = HashMap::new();
        let mut pending: Vec<(usize, Vec<(NodeIx, Write)>)> = Vec::new();
        for (n, (node, key, _, _)) in needs.iter().enumerate() {
            if base.contains(key) {
                continue;
            }
            let candidates = producers.get(key).cloned().unwrap_or_default();
            if candidates.iter().any(|&(p, w)| self.direct(*node, p, w)) {
                continue;
            }
            pending.push((n, candidates));
        }
        // Resolve the rest with one forward pass per producer, which only
        // needs to reach as far (topologically) as the last node asking it.
        let mut reach_limit: HashMap<(NodeIx, Write), usize> = HashMap::new();
        for (n, candidates) in &pending {
            let at = self.pos[needs[*n].0.index()];
            for &candidate in candidates {
                let limit = reach_limit.entry(candidate).or_insert(0);
                *limit = (*limit).max(at);
            }
        }
        for (n, candidates) in pending {
            let (node, key, path, blame) = &needs[n];
            let ok = candidates.iter().any(|&(p, w)| {
                let reach = memo
                    .entry((p, w))
                    .or_insert_with(|| self.guarantees(p, w, reach_limit[&(p, w)]));
                reach.contains(node)
            });
            if ok {
                continue;
            }
            let why = if candidates.is_empty() {
                "no input, context key, step or group provides it".to_string()
            } else {
                let names: Vec<&str> = candidates
                    .iter()
                    .map(|&(p, _)| self.graph.node_id(self.workflow, p))
                    .collect();
                format!(
                    "it is produced by {} but not guaranteed to be written before `{}` runs (not upstream, or only through a conditional edge)",
                    names.join(", "),
                    self.graph.node_id(self.workflow, *node)
                )
            };
            out.push(
                Diagnostic::error(
                    Code::MissingInput,
                    path.clone(),
                    format!("`{key}` is required but {why}"),
                )
                .with_nodes(blame.iter().cloned()),
            );
        }
    }

    /// `reads` keys: nothing has to guarantee them, but one that nothing can
    /// provide is probably a typo (`unknown_read`), and one written by a
    /// node that may run at the same time as the reader is read or not
    /// depending on timing (`racy_read`).
    fn check_reads(
        &self,
        base: &HashSet<&str>,
        producers: &HashMap<&str, Vec<(NodeIx, Write)>>,
        out: &mut Vec<Diagnostic>,
    ) {
        let wf = self.workflow;
        for (i, step) in wf.steps.iter().enumerate() {
            let Some(reader) = self.outer_of_step(i) else {
                continue;
            };
            for (j, key) in step.reads.iter().enumerate() {
                let path = format!("$.steps[{i}].reads[{j}]");
                if base.contains(key.as_str()) {
                    continue;
                }
                let Some(candidates) = producers.get(key.as_str()) else {
                    out.push(
                        Diagnostic::warning(
                            Code::UnknownRead,
                            path,
                            format!("`{}` reads `{key}`, which no input, context key, step or group provides", step.id),
                        )
                        .with_nodes([&step.id]),
                    );
                    continue;
                };
                let racy = candidates.iter().find(|&&(p, _)| {
                    let own = wf.steps[i].produces.contains(key) && p == reader;
                    !own && (p == reader || (!self.before(p, reader) && !self.before(reader, p)))
                });
                if let Some(&(p, _)) = racy {
                    let producer = self.graph.node_id(wf, p);
                    out.push(
                        Diagnostic::warning(
                            Code::RacyRead,
                            path,
                            format!("`{}` reads `{key}`, which `{producer}` writes and may write while `{}` runs: connect them to read it for sure", step.id, step.id),
                        )
                        .with_nodes([step.id.as_str(), producer]),
                    );
                }
            }
        }
    }

    /// Is `a` an ancestor of `b`?
    fn before(&self, a: NodeIx, b: NodeIx) -> bool {
        self.pos[a.index()] < self.pos[b.index()] && self.reaches(a, b)
    }

    /// Fast path: an incoming edge straight from the producer settles it.
    fn direct(&self, node: NodeIx, producer: NodeIx, write: Write) -> bool {
        let mut incoming = self
            .graph
            .graph
            .edges_directed(node, Direction::Incoming)
            .peekable();
        if incoming.peek().is_none() {
            return false;
        }
        let from_producer = |e: petgraph::graph::EdgeReference<'_, usize>| {
            e.source() == producer
                && write.implied_by(effective_when(
                    &self.workflow.edges[*e.weight()],
                    self.graph.graph[producer],
                    self.workflow,
                ))
        };
        match self.trigger(node) {
            Trigger::All => incoming.any(from_producer),
            Trigger::Any => incoming.all(from_producer),
        }
    }

    fn trigger(&self, node: NodeIx) -> Trigger {
        match self.graph.graph[node] {
            NodeRef::Step(i) => self.workflow.steps[i].trigger(),
            NodeRef::Group(_) => Trigger::All,
        }
    }

    /// The outer nodes, up to topological position `limit`, before which
    /// `producer`'s write is guaranteed. Evaluated over the producer's
    /// descendants in topological order; nodes past `limit` are never asked
    /// about, so the walk stops there (this keeps far-reaching `requires`
    /// in long workflows from making validation quadratic).
    fn guarantees(&self, producer: NodeIx, write: Write, limit: usize) -> HashSet<NodeIx> {
        let g = &self.graph.graph;
        let mut descendants = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![producer];
        while let Some(n) = stack.pop() {
            for next in g.neighbors_directed(n, Direction::Outgoing) {
                if self.pos[next.index()] <= limit && seen.insert(next) {
                    descendants.push(next);
                    stack.push(next);
                }
            }
        }
        descendants.sort_unstable_by_key(|n| self.pos[n.index()]);
        let mut ok = HashSet::new();
        for node in descendants {
            let mut any = false;
            let mut all = true;
            let mut count = 0;
            for e in g.edges_directed(node, Direction::Incoming) {
                count += 1;
                let q = e.source();
                let when = effective_when(&self.workflow.edges[*e.weight()], g[q], self.workflow);
                let provides = (q == producer && write.implied_by(when)) || ok.contains(&q);
                any |= provides;
                all &= provides;
            }
            let guaranteed = match self.trigger(node) {
                Trigger::All => any,
                Trigger::Any => count > 0 && all,
            };
            if guaranteed {
                ok.insert(node);
            }
        }
        ok
    }

    /// Is there a path a → b? Searches only nodes placed before b.
    fn reaches(&self, a: NodeIx, b: NodeIx) -> bool {
        let limit = self.pos[b.index()];
        let mut seen = HashSet::new();
        let mut stack = vec![a];
        while let Some(n) = stack.pop() {
            for next in self.graph.graph.neighbors_directed(n, Direction::Outgoing) {
                if next == b {
                    return true;
                }
                if self.pos[next.index()] < limit && seen.insert(next) {
                    stack.push(next);
                }
            }
        }
        false
    }

    fn write_conflicts(&self, out: &mut Vec<Diagnostic>) {
        let wf = self.workflow;
        // key → writers as (outer node, step index)
        let mut writers: HashMap<&str, Vec<(NodeIx, usize, usize)>> = HashMap::new();
        for (i, step) in wf.steps.iter().enumerate() {
            let Some(node) = self.outer_of_step(i) else {
                continue;
            };
            for (j, key) in step.produces.iter().enumerate() {
                writers.entry(key).or_default().push((node, i, j));
            }
        }
        let mut keys: Vec<&&str> = writers.keys().collect();
        keys.sort();
        for key in keys {
            let mut list = writers[*key].clone();
            if list.len() < 2 {
                continue;
            }
            list.sort_by_key(|&(n, i, _)| (self.pos[n.index()], i));
            for pair in list.windows(2) {
                let ((a, ia, _), (b, ib, jb)) = (pair[0], pair[1]);
                let concurrent = a == b || !self.reaches(a, b);
                if !concurrent {
                    continue;
                }
                let (sa, sb) = (&wf.steps[ia], &wf.steps[ib]);
                let why = if a == b {
                    format!("both are branches of group `{}`", self.graph.node_id(wf, a))
                } else {
                    "neither runs after the other".to_string()
                };
                out.push(
                    Diagnostic::error(
                        Code::WriteConflict,
                        format!("$.steps[{ib}].produces[{jb}]"),
                        format!("`{}` and `{}` may run at the same time and both produce `{key}` ({why})", sa.id, sb.id),
                    )
                    .with_nodes([sa.id.as_str(), sb.id.as_str()]),
                );
            }
        }
    }

    /// Edges whose condition can never hold, and the nodes they starve.
    fn unreachable(&self, out: &mut Vec<Diagnostic>) {
        let wf = self.workflow;
        let g = &self.graph.graph;
        let mut dead = vec![false; g.node_count()];
        let mut dead_edge = vec![false; g.edge_count()];
        for e in g.edge_references() {
            let NodeRef::Group(gi) = g[e.source()] else {
                continue;
            };
            let group = &wf.groups[gi];
            let when = effective_when(&wf.edges[*e.weight()], g[e.source()], wf);
            let reason = match when {
                When::NeedsWork if group.aggregate.needs_work_at.is_none() => {
                    Some("the group has no needs_work_at, so it never ends `needs_work`")
                }
                When::NeedsWork | When::Rejected if group.aggregate.strategy == Strategy::All => {
                    Some("strategy `all` only ends `approved` or `failed`")
                }
                _ => None,
            };
            if let Some(reason) = reason {
                dead_edge[e.id().index()] = true;
                let edge = &wf.edges[*e.weight()];
                out.push(
                    Diagnostic::warning(
                        Code::Unreachable,
                        format!("$.edges[{}].when", e.weight()),
                        format!(
                            "edge `{}` → `{}` is never taken: {reason}",
                            edge.from, edge.to
                        ),
                    )
                    .with_nodes([edge.from.as_str(), edge.to.as_str()]),
                );
            }
        }
        for &node in &self.graph.topo {
            let mut any_dead = false;
            let mut all_dead = true;
            let mut count = 0;
            for e in g.edges_directed(node, Direction::Incoming) {
                count += 1;
                let is_dead = dead_edge[e.id().index()] || dead[e.source().index()];
                any_dead |= is_dead;
                all_dead &= is_dead;
            }
            dead[node.index()] = match self.trigger(node) {
                Trigger::All => any_dead,
                Trigger::Any => count > 0 && all_dead,
            };
            if dead[node.index()] {
                let id = self.graph.node_id(wf, node);
                out.push(
                    Diagnostic::warning(
                        Code::Unreachable,
                        self.graph.node_path(node),
                        format!("`{id}` can never run: every way into it depends on an edge that is never taken"),
                    )
                    .with_nodes([id]),
                );
            }
        }
    }

    /// A key written by a node with successors that no step reads. Outputs of
    /// sink nodes are the run's results and are not flagged.
    fn unused_outputs(&self, out: &mut Vec<Diagnostic>) {
        let wf = self.workflow;
        let read: HashSet<&str> = wf
            .steps
            .iter()
            .flat_map(|s| s.requires.iter().chain(&s.reads).map(String::as_str))
            .chain(wf.groups.iter().filter_map(|g| g.for_each.as_deref()))
            .collect();
        for (i, step) in wf.steps.iter().enumerate() {
            let Some(node) = self.outer_of_step(i) else {
                continue;
            };
            let is_sink = self
                .graph
                .graph
                .neighbors_directed(node, Direction::Outgoing)
                .next()
                .is_none();
            if is_sink {
                continue;
            }
            for (j, key) in step.produces.iter().enumerate() {
                if !read.contains(key.as_str()) {
                    out.push(
                        Diagnostic::warning(
                            Code::UnusedOutput,
                            format!("$.steps[{i}].produces[{j}]"),
                            format!("`{}` produces `{key}`, but no step requires it", step.id),
                        )
                        .with_nodes([&step.id]),
                    );
                }
            }
        }
    }
}
