//! Structural checks: ids, group membership, edges and cycles. Builds the
//! outer graph the later layers use.

use std::collections::HashMap;

use petgraph::algo::{kosaraju_scc, toposort};
use petgraph::graph::DiGraph;

use super::graph::{NodeIx, NodeRef, WorkflowGraph};
use super::is_slug;
use super::loops::{self, LoopEdge};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{When, Workflow};

pub(super) fn check(workflow: &Workflow, out: &mut Vec<Diagnostic>) -> WorkflowGraph {
    check_ids(workflow, out);
    let group_index: HashMap<&str, usize> = workflow.group_index();

    let mut graph = DiGraph::<NodeRef, usize>::with_capacity(
        workflow.steps.len() + workflow.groups.len(),
        workflow.edges.len(),
    );
    let mut by_id: HashMap<String, NodeIx> = HashMap::new();
    let mut branches = vec![Vec::new(); workflow.groups.len()];
    // Which group a branch step belongs to, by step id (for edge checks).
    let mut branch_of: HashMap<&str, &str> = HashMap::new();

    for (i, step) in workflow.steps.iter().enumerate() {
        match &step.group {
            Some(group) => match group_index.get(group.as_str()) {
                Some(&g) => {
                    branches[g].push(i);
                    branch_of.insert(step.id.as_str(), group.as_str());
                }
                None => out.push(
                    Diagnostic::error(
                        Code::UnknownGroup,
                        format!("$.steps[{i}].group"),
                        format!(
                            "step `{}` names group `{group}`, which does not exist",
                            step.id
                        ),
                    )
                    .with_nodes([&step.id]),
                ),
            },
            None => {
                let node = graph.add_node(NodeRef::Step(i));
                by_id.entry(step.id.clone()).or_insert(node);
            }
        }
    }
    for (i, group) in workflow.groups.iter().enumerate() {
        let node = graph.add_node(NodeRef::Group(i));
        by_id.entry(group.id.clone()).or_insert(node);
        check_group_shape(workflow, i, &branches[i], out);
    }

    let mut loop_edges = Vec::new();
    for (i, edge) in workflow.edges.iter().enumerate() {
        let path = format!("$.edges[{i}]");
        let mut endpoints = [None, None];
        for (slot, (end, name)) in [(&edge.from, "from"), (&edge.to, "to")]
            .into_iter()
            .enumerate()
        {
            if let Some(&node) = by_id.get(end.as_str()) {
                endpoints[slot] = Some(node);
            } else if let (Some(group), true) = (branch_of.get(end.as_str()), edge.is_loop()) {
                out.push(
                    Diagnostic::error(
                        Code::BadLoop,
                        format!("{path}.{name}"),
                        format!(
                            "`{end}` is a branch of group `{group}`; a loop may start or end at the whole group, not at one branch"
                        ),
                    )
                    .with_nodes([end.as_str(), group]),
                );
            } else if let Some(group) = branch_of.get(end.as_str()) {
                out.push(
                    Diagnostic::error(
                        Code::GroupEdge,
                        format!("{path}.{name}"),
                        format!(
                            "`{end}` is a branch of group `{group}`; edges connect the group, not its branches"
                        ),
                    )
                    .with_nodes([end.as_str(), group]),
                );
            } else {
                out.push(
                    Diagnostic::error(
                        Code::DanglingEdge,
                        format!("{path}.{name}"),
                        format!("edge {name} `{end}`, which is not a step or group"),
                    )
                    .with_nodes([end]),
                );
            }
        }
        let [Some(from), Some(to)] = endpoints else {
            continue;
        };
        check_condition(workflow, graph[from], edge.when, &path, &edge.from, out);
        if edge.is_loop() {
            loop_edges.push(LoopEdge { edge: i, from, to });
        } else {
            graph.add_edge(from, to, i);
        }
    }

    let topo = match toposort(&graph, None) {
        Ok(order) => order,
        Err(_) => {
            report_cycles(workflow, &graph, out);
            Vec::new()
        }
    };
    let (loops, loop_of) = if topo.is_empty() {
        (Vec::new(), vec![None; graph.node_count()])
    } else {
        loops::build(workflow, &graph, &topo, loop_edges, out)
    };
    WorkflowGraph {
        graph,
        by_id,
        branches,
        topo,
        loops,
        loop_of,
    }
}

fn check_ids(workflow: &Workflow, out: &mut Vec<Diagnostic>) {
    if !is_slug(&workflow.id) {
        out.push(bad_id("$.id", "workflow id", &workflow.id));
    }
    let mut first_seen: HashMap<&str, String> = HashMap::new();
    let ids = workflow
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("$.steps[{i}].id"), s.id.as_str()))
        .chain(
            workflow
                .groups
                .iter()
                .enumerate()
                .map(|(i, g)| (format!("$.groups[{i}].id"), g.id.as_str())),
        );
    for (path, id) in ids {
        if !is_slug(id) {
            out.push(bad_id(&path, "id", id).with_nodes([id]));
        }
        if let Some(first) = first_seen.get(id) {
            out.push(
                Diagnostic::error(
                    Code::DuplicateId,
                    path,
                    format!("id `{id}` is already used at {first}; ids are unique across steps and groups"),
                )
                .with_nodes([id]),
            );
        } else {
            first_seen.insert(id, path);
        }
    }
}

fn bad_id(path: &str, what: &str, id: &str) -> Diagnostic {
    Diagnostic::error(
        Code::BadId,
        path,
        format!(
            "{what} {} is not a slug: use lowercase ASCII letters, digits, `-` and `_`, starting with a letter or digit",
            serde_json::to_string(id).unwrap_or_default()
        ),
    )
}

fn check_group_shape(workflow: &Workflow, g: usize, branches: &[usize], out: &mut Vec<Diagnostic>) {
    let group = &workflow.groups[g];
    let path = format!("$.groups[{g}]");
    if branches.is_empty() {
        out.push(
            Diagnostic::error(
                Code::BadGroup,
                path,
                format!(
                    "group `{}` has no branches: drop steps into it (in the file, a step joins it with `\"group\": \"{}\"`)",
                    group.id, group.id
                ),
            )
            .with_nodes([&group.id]),
        );
    } else if group.for_each.is_some() && branches.len() != 1 {
        let ids: Vec<&str> = branches
            .iter()
            .map(|&i| workflow.steps[i].id.as_str())
            .collect();
        out.push(
            Diagnostic::error(
                Code::BadGroup,
                format!("{path}.for_each"),
                format!(
                    "map group `{}` must have exactly one branch step (it has {}: {})",
                    group.id,
                    ids.len(),
                    ids.join(", ")
                ),
            )
            .with_nodes(std::iter::once(group.id.as_str()).chain(ids)),
        );
    }
}

fn check_condition(
    workflow: &Workflow,
    source: NodeRef,
    when: Option<When>,
    path: &str,
    from: &str,
    out: &mut Vec<Diagnostic>,
) {
    let Some(when) = when else { return };
    let fits = match source {
        NodeRef::Step(_) => matches!(when, When::Succeeded | When::Failed | When::Done),
        NodeRef::Group(_) => !matches!(when, When::Succeeded),
    };
    if !fits {
        let allowed = match source {
            NodeRef::Step(_) => "succeeded, failed, done",
            NodeRef::Group(_) => "approved, needs_work, rejected, failed, done",
        };
        let what = match source {
            NodeRef::Step(i) => format!("step `{}`", workflow.steps[i].id),
            NodeRef::Group(i) => format!("group `{}`", workflow.groups[i].id),
        };
        out.push(
            Diagnostic::error(
                Code::BadCondition,
                format!("{path}.when"),
                format!(
                    "`when: {}` does not apply to {what}; use one of: {allowed}",
                    when.as_str()
                ),
            )
            .with_nodes([from]),
        );
    }
}

/// One diagnostic per strongly connected component that contains a cycle,
/// naming the cycle's nodes in order.
fn report_cycles(workflow: &Workflow, graph: &DiGraph<NodeRef, usize>, out: &mut Vec<Diagnostic>) {
    let id = |n: NodeIx| match graph[n] {
        NodeRef::Step(i) => workflow.steps[i].id.as_str(),
        NodeRef::Group(i) => workflow.groups[i].id.as_str(),
    };
    // kosaraju_scc is iterative; tarjan_scc recurses per node and a long
    // cycle in a hostile file would overflow the stack.
    for component in kosaraju_scc(graph) {
        let self_loop =
            component.len() == 1 && graph.find_edge(component[0], component[0]).is_some();
        if component.len() < 2 && !self_loop {
            continue;
        }
        let (cycle, closing_edge) = cycle_in(graph, &component);
        let mut names: Vec<&str> = cycle.iter().map(|&n| id(n)).collect();
        let shown = {
            names.push(names[0]);
            let s = names.join(" → ");
            names.pop();
            s
        };
        out.push(
            Diagnostic::error(
                Code::Cycle,
                format!("$.edges[{closing_edge}]"),
                format!("cycle: {shown}"),
            )
            .with_nodes(names),
        );
    }
}

/// A simple cycle inside one strongly connected component, in edge order,
/// and the index of the edge that closes it.
fn cycle_in(graph: &DiGraph<NodeRef, usize>, component: &[NodeIx]) -> (Vec<NodeIx>, usize) {
    use petgraph::visit::EdgeRef;
    let inside: std::collections::HashSet<NodeIx> = component.iter().copied().collect();
    let start = *component.iter().min().expect("component is not empty");
    // Walk successors inside the component until a node repeats; every node
    // of an SCC has a successor inside it, so this terminates.
    let mut order = vec![start];
    let mut position: HashMap<NodeIx, usize> = HashMap::from([(start, 0)]);
    let mut current = start;
    loop {
        let (next, edge) = graph
            .edges(current)
            .filter(|e| inside.contains(&e.target()))
            .map(|e| (e.target(), *e.weight()))
            .min()
            .expect("a node in a cyclic component has a successor in it");
        if let Some(&at) = position.get(&next) {
            return (order[at..].to_vec(), edge);
        }
        position.insert(next, order.len());
        order.push(next);
        current = next;
    }
}
