//! The outer graph of a workflow: steps that are phases and groups, joined by
//! edges. A group's branches are not nodes of this graph; they hang off
//! their group node. [`ValidWorkflow`] is the only way to get one that is
//! known to be acyclic, which is what the planner and engine require.

use std::collections::HashMap;

use petgraph::graph::{DiGraph, NodeIndex};

use crate::diagnostic::Diagnostic;
use crate::model::{Edge, Step, Trigger, When, Workflow};

/// What an outer node stands for: an index into `workflow.steps` or `workflow.groups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NodeRef {
    Step(usize),
    Group(usize),
}

/// Index of an outer node (same numbering as the petgraph node indices).
pub type NodeIx = NodeIndex<u32>;

#[derive(Debug, Clone)]
pub struct WorkflowGraph {
    /// Nodes are outer nodes, edge weights index `workflow.edges`.
    pub graph: DiGraph<NodeRef, usize>,
    /// Step or group id → outer node (branch steps map to nothing here).
    pub by_id: HashMap<String, NodeIx>,
    /// For each group (by index in `workflow.groups`): its branch steps' indices.
    pub branches: Vec<Vec<usize>>,
    /// Outer nodes in a topological order (empty if the graph has a cycle).
    pub topo: Vec<NodeIx>,
    /// Loop edges (not edges of `graph`), outermost first.
    pub loops: Vec<LoopInfo>,
    /// Per outer node: the innermost loop whose body holds it.
    pub loop_of: Vec<Option<usize>>,
}

/// A loop edge and its body (format revision 2).
#[derive(Debug, Clone)]
pub struct LoopInfo {
    /// Index into `workflow.edges`.
    pub edge: usize,
    pub from: NodeIx,
    pub to: NodeIx,
    pub max_rounds: u32,
    /// Every node on a path `to` → `from`, in topological order (`to` first).
    pub body: Vec<NodeIx>,
    /// The innermost loop containing this one.
    pub parent: Option<usize>,
}

impl WorkflowGraph {
    pub fn node_id<'w>(&self, workflow: &'w Workflow, node: NodeIx) -> &'w str {
        match self.graph[node] {
            NodeRef::Step(i) => &workflow.steps[i].id,
            NodeRef::Group(i) => &workflow.groups[i].id,
        }
    }
    /// JSON path of the node's definition.
    pub fn node_path(&self, node: NodeIx) -> String {
        match self.graph[node] {
            NodeRef::Step(i) => format!("$.steps[{i}]"),
            NodeRef::Group(i) => format!("$.groups[{i}]"),
        }
    }
}

/// A workflow that passed validation, with its graph. Fields are private so
/// only the validator can make one.
#[derive(Debug, Clone)]
pub struct ValidWorkflow {
    pub(crate) workflow: Workflow,
    pub(crate) graph: WorkflowGraph,
    pub(crate) warnings: Vec<Diagnostic>,
}

impl ValidWorkflow {
    pub fn workflow(&self) -> &Workflow {
        &self.workflow
    }
    pub fn graph(&self) -> &WorkflowGraph {
        &self.graph
    }
    /// Warnings found while validating (a valid workflow has no errors).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
    pub fn into_workflow(self) -> Workflow {
        self.workflow
    }
    pub fn node_id(&self, node: NodeIx) -> &str {
        self.graph.node_id(&self.workflow, node)
    }
    pub fn node(&self, id: &str) -> Option<NodeIx> {
        self.graph.by_id.get(id).copied()
    }
    /// Outer nodes in topological order.
    pub fn topo_order(&self) -> &[NodeIx] {
        &self.graph.topo
    }
    /// Edges into `node`, as `(source, edge)`.
    pub fn incoming(&self, node: NodeIx) -> impl Iterator<Item = (NodeIx, &Edge)> {
        use petgraph::visit::EdgeRef;
        self.graph
            .graph
            .edges_directed(node, petgraph::Direction::Incoming)
            .map(|e| (e.source(), &self.workflow.edges[*e.weight()]))
    }
    /// Edges out of `node`, as `(target, edge)`, in file order (petgraph
    /// lists a node's edges newest first; schedulers want the author's order).
    pub fn outgoing(&self, node: NodeIx) -> impl Iterator<Item = (NodeIx, &Edge)> {
        use petgraph::visit::EdgeRef;
        let mut edges: Vec<(usize, NodeIx)> = self
            .graph
            .graph
            .edges_directed(node, petgraph::Direction::Outgoing)
            .map(|e| (*e.weight(), e.target()))
            .collect();
        edges.sort_unstable_by_key(|&(i, _)| i);
        edges
            .into_iter()
            .map(|(i, target)| (target, &self.workflow.edges[i]))
    }
    /// Edges into `node` as `(source, index into workflow.edges)`.
    pub fn incoming_ix(&self, node: NodeIx) -> impl Iterator<Item = (NodeIx, usize)> + '_ {
        use petgraph::visit::EdgeRef;
        self.graph
            .graph
            .edges_directed(node, petgraph::Direction::Incoming)
            .map(|e| (e.source(), *e.weight()))
    }
    /// Edges out of `node` as `(target, index into workflow.edges)`, in file order.
    pub fn outgoing_ix(&self, node: NodeIx) -> Vec<(NodeIx, usize)> {
        use petgraph::visit::EdgeRef;
        let mut edges: Vec<(NodeIx, usize)> = self
            .graph
            .graph
            .edges_directed(node, petgraph::Direction::Outgoing)
            .map(|e| (e.target(), *e.weight()))
            .collect();
        edges.sort_unstable_by_key(|&(_, i)| i);
        edges
    }
    /// Nodes without incoming edges, in file order.
    pub fn roots(&self) -> Vec<NodeIx> {
        let mut roots: Vec<NodeIx> = self
            .graph
            .topo
            .iter()
            .copied()
            .filter(|&n| {
                self.graph
                    .graph
                    .neighbors_directed(n, petgraph::Direction::Incoming)
                    .next()
                    .is_none()
            })
            .collect();
        roots.sort_unstable();
        roots
    }
    /// The trigger of an outer node (groups always wait for all incoming edges).
    pub fn trigger(&self, node: NodeIx) -> Trigger {
        match self.graph.graph[node] {
            NodeRef::Step(i) => self.workflow.steps[i].trigger(),
            NodeRef::Group(_) => Trigger::All,
        }
    }
    /// Loops, outermost first.
    pub fn loops(&self) -> &[LoopInfo] {
        &self.graph.loops
    }
    /// The innermost loop whose body holds `node`.
    pub fn loop_of(&self, node: NodeIx) -> Option<usize> {
        self.graph.loop_of.get(node.index()).copied().flatten()
    }
    /// The loops whose body holds `node`, innermost first.
    pub fn loops_around(&self, node: NodeIx) -> Vec<usize> {
        let mut around = Vec::new();
        let mut at = self.loop_of(node);
        while let Some(l) = at {
            around.push(l);
            at = self.graph.loops[l].parent;
        }
        around
    }
    /// Loops nested (at any depth) inside loop `outer`.
    pub fn loops_inside(&self, outer: usize) -> impl Iterator<Item = usize> + '_ {
        let loops = &self.graph.loops;
        (0..loops.len()).filter(move |&inner| {
            let mut at = loops[inner].parent;
            while let Some(p) = at {
                if p == outer {
                    return true;
                }
                at = loops[p].parent;
            }
            false
        })
    }
    /// Branch steps of a group, by group index.
    pub fn branches(&self, group: usize) -> impl Iterator<Item = &Step> {
        self.graph.branches[group]
            .iter()
            .map(|&i| &self.workflow.steps[i])
    }
}

/// The condition an edge carries, with the format's default filled in for
/// its source: `approved` from a group, `succeeded` from a required step,
/// `done` from an optional one (revision 2: an optional step's failure lets
/// the run go on, as the word promises).
pub fn effective_when(edge: &Edge, source: NodeRef, workflow: &Workflow) -> When {
    edge.when.unwrap_or(match source {
        NodeRef::Step(i) if !workflow.steps[i].is_required() => When::Done,
        NodeRef::Step(_) => When::Succeeded,
        NodeRef::Group(_) => When::Approved,
    })
}
