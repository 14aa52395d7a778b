//! Loop edges (format revision 2): bounded rounds over a *body*.
//!
//! Loop edges are not edges of the outer graph: the graph without them must
//! be acyclic, and a loop edge must point back (its `to` is its `from` or an
//! ancestor of it). The body is every node on a path `to` → `from`. Checks
//! that make a loop `bad_loop`: no `when`, `max_rounds` outside 2–100, a
//! forward edge, an edge leaving the body from a node other than `from`,
//! two loops sharing a `to`, bodies that overlap without nesting.

use std::collections::HashSet;

use petgraph::Direction;
use petgraph::graph::DiGraph;

use super::graph::{LoopInfo, NodeIx, NodeRef};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::Workflow;

/// The fewest and most rounds a loop may have.
pub const MIN_ROUNDS: i64 = 2;
pub const MAX_ROUNDS: i64 = 100;

/// A loop edge whose endpoints resolved to outer nodes.
pub(super) struct LoopEdge {
    pub edge: usize,
    pub from: NodeIx,
    pub to: NodeIx,
}

/// Builds the loops over an acyclic graph (`topo` its order), reporting
/// every `bad_loop`. Returns the loops (outermost first) and, per outer
/// node, its innermost loop.
pub(super) fn build(
    workflow: &Workflow,
    graph: &DiGraph<NodeRef, usize>,
    topo: &[NodeIx],
    edges: Vec<LoopEdge>,
    out: &mut Vec<Diagnostic>,
) -> (Vec<LoopInfo>, Vec<Option<usize>>) {
    let id = |n: NodeIx| match graph[n] {
        NodeRef::Step(i) => workflow.steps[i].id.as_str(),
        NodeRef::Group(i) => workflow.groups[i].id.as_str(),
    };
    let mut pos = vec![0; graph.node_count()];
    for (p, &n) in topo.iter().enumerate() {
        pos[n.index()] = p;
    }
    let mut loops: Vec<LoopInfo> = Vec::new();
    for LoopEdge { edge, from, to } in edges {
        let spec = workflow.edges[edge].loop_.expect("a loop edge");
        let path = format!("$.edges[{edge}]");
        let (f, t) = (id(from), id(to));
        let bad = |at: String, message: String| {
            Diagnostic::error(Code::BadLoop, at, message).with_nodes([f, t])
        };
        let mut ok = true;
        if workflow.edges[edge].when.is_none() {
            out.push(bad(
                format!("{path}.when"),
                format!("loop edge `{f}` → `{t}` needs a `when`: the condition under which the body runs again"),
            ));
            ok = false;
        }
        if !(MIN_ROUNDS..=MAX_ROUNDS).contains(&spec.max_rounds) {
            out.push(bad(
                format!("{path}.loop.max_rounds"),
                format!(
                    "`max_rounds` is {}; a loop runs {MIN_ROUNDS} to {MAX_ROUNDS} rounds",
                    spec.max_rounds
                ),
            ));
            ok = false;
        }
        let ahead = reach(graph, to, Direction::Outgoing);
        let behind = reach(graph, from, Direction::Incoming);
        if !ahead.contains(&from) {
            out.push(bad(
                path.clone(),
                format!("loop edge `{f}` → `{t}` points forward: a loop edge leads back to `{f}` itself or to a node before it"),
            ));
            continue;
        }
        let mut body: Vec<NodeIx> = ahead.intersection(&behind).copied().collect();
        body.sort_unstable_by_key(|n| pos[n.index()]);
        let inside: HashSet<NodeIx> = body.iter().copied().collect();
        for &n in &body {
            if n == from {
                continue;
            }
            for out_node in graph.neighbors_directed(n, Direction::Outgoing) {
                if !inside.contains(&out_node) {
                    out.push(bad(
                        path.clone(),
                        format!(
                            "`{}` is inside the loop `{t}` … `{f}` but has an edge out of it (to `{}`); only `{f}` may leave the loop",
                            id(n),
                            id(out_node)
                        ),
                    ));
                    ok = false;
                }
            }
        }
        if let Some(other) = loops.iter().find(|l| l.to == to) {
            out.push(bad(
                path.clone(),
                format!(
                    "`{t}` is already where the loop from `{}` starts again ($.edges[{}]); two loops may not lead back to the same node: make one loop, or lead this one back to another node",
                    id(other.from),
                    other.edge
                ),
            ));
            ok = false;
        }
        for other in &loops {
            let theirs: HashSet<NodeIx> = other.body.iter().copied().collect();
            let overlap = !inside.is_disjoint(&theirs);
            if overlap && !inside.is_subset(&theirs) && !theirs.is_subset(&inside) {
                out.push(bad(
                    path.clone(),
                    format!(
                        "the loop `{t}` … `{f}` overlaps the loop `{}` … `{}` without one containing the other",
                        id(other.to),
                        id(other.from)
                    ),
                ));
                ok = false;
            }
        }
        if ok {
            loops.push(LoopInfo {
                edge,
                from,
                to,
                max_rounds: spec.max_rounds as u32,
                body,
                parent: None,
            });
        }
    }
    // Outermost first, so a parent comes before its children.
    loops.sort_by_key(|l| std::cmp::Reverse(l.body.len()));
    let mut innermost: Vec<Option<usize>> = vec![None; graph.node_count()];
    for (i, l) in loops.iter().enumerate() {
        for n in &l.body {
            innermost[n.index()] = Some(i);
        }
    }
    // A loop's parent: the smallest loop before it (so no smaller) containing it.
    for i in 0..loops.len() {
        loops[i].parent = (0..i)
            .rev()
            .find(|&j| loops[i].body.iter().all(|n| loops[j].body.contains(n)));
    }
    (loops, innermost)
}

/// Every node reachable from `start` in `direction`, `start` included.
fn reach(graph: &DiGraph<NodeRef, usize>, start: NodeIx, direction: Direction) -> HashSet<NodeIx> {
    let mut seen = HashSet::from([start]);
    let mut stack = vec![start];
    while let Some(n) = stack.pop() {
        for next in graph.neighbors_directed(n, direction) {
            if seen.insert(next) {
                stack.push(next);
            }
        }
    }
    seen
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::diagnostic::Code;
    use crate::validate::{Validation, load};

    fn check(steps: Value, groups: Value, edges: Value) -> Validation {
        let doc = json!({ "format": "braid/1", "id": "t", "steps": steps, "groups": groups, "edges": edges });
        load(&serde_json::to_vec(&doc).unwrap())
    }

    fn sim(id: &str) -> Value {
        json!({ "id": id, "agent": { "kind": "sim" } })
    }

    fn errors(v: &Validation) -> Vec<(Code, String)> {
        v.diagnostics()
            .iter()
            .filter(|d| d.severity == crate::diagnostic::Severity::Error)
            .map(|d| (d.code, d.path.clone()))
            .collect()
    }

    fn chain(loop_edge: Value) -> Validation {
        check(
            json!([sim("a"), sim("b"), sim("c")]),
            json!([]),
            json!([{ "from": "a", "to": "b" }, { "from": "b", "to": "c" }, loop_edge]),
        )
    }

    #[test]
    fn a_loop_edge_back_to_an_ancestor_is_valid_and_its_body_is_the_path() {
        let v =
            chain(json!({ "from": "c", "to": "b", "when": "failed", "loop": { "max_rounds": 3 } }));
        let Validation::Valid(valid) = v else {
            panic!("{:?}", v.diagnostics())
        };
        let l = &valid.loops()[0];
        let body: Vec<&str> = l.body.iter().map(|&n| valid.node_id(n)).collect();
        assert_eq!(body, ["b", "c"]);
        assert_eq!(l.max_rounds, 3);
        assert_eq!(valid.loop_of(valid.node("a").unwrap()), None);
        assert_eq!(valid.loop_of(valid.node("c").unwrap()), Some(0));
    }

    #[test]
    fn bad_loops_name_their_path() {
        let forward =
            chain(json!({ "from": "a", "to": "c", "when": "failed", "loop": { "max_rounds": 3 } }));
        assert_eq!(
            errors(&forward),
            [(Code::BadLoop, "$.edges[2]".to_string())]
        );
        let no_when = chain(json!({ "from": "c", "to": "a", "loop": { "max_rounds": 3 } }));
        assert_eq!(
            errors(&no_when),
            [(Code::BadLoop, "$.edges[2].when".to_string())]
        );
        for rounds in [1, 101, -5] {
            let v = chain(
                json!({ "from": "c", "to": "a", "when": "done", "loop": { "max_rounds": rounds } }),
            );
            assert_eq!(
                errors(&v),
                [(Code::BadLoop, "$.edges[2].loop.max_rounds".to_string())],
                "max_rounds {rounds}"
            );
        }
        for rounds in [2, 100] {
            let v = chain(
                json!({ "from": "c", "to": "a", "when": "done", "loop": { "max_rounds": rounds } }),
            );
            assert!(errors(&v).is_empty(), "max_rounds {rounds}");
        }
    }

    #[test]
    fn a_body_may_only_be_left_from_the_loop_edges_source() {
        let v = check(
            json!([sim("a"), sim("b"), sim("c"), sim("side")]),
            json!([]),
            json!([
                { "from": "a", "to": "b" }, { "from": "b", "to": "c" }, { "from": "b", "to": "side" },
                { "from": "c", "to": "a", "when": "failed", "loop": { "max_rounds": 2 } }
            ]),
        );
        assert_eq!(errors(&v), [(Code::BadLoop, "$.edges[3]".to_string())]);
        assert!(v.diagnostics()[0].message.contains("only `c` may leave"));
    }

    #[test]
    fn loops_may_nest_but_not_overlap_or_share_a_start() {
        let steps = json!([sim("a"), sim("b"), sim("c"), sim("d")]);
        let line = json!([{ "from": "a", "to": "b" }, { "from": "b", "to": "c" }, { "from": "c", "to": "d" }]);
        let with = |extra: Value| {
            let mut edges = line.as_array().unwrap().clone();
            edges.extend(extra.as_array().unwrap().iter().cloned());
            check(steps.clone(), json!([]), Value::Array(edges))
        };
        let nested = with(json!([
            { "from": "c", "to": "b", "when": "failed", "loop": { "max_rounds": 2 } },
            { "from": "d", "to": "a", "when": "failed", "loop": { "max_rounds": 2 } }
        ]));
        let Validation::Valid(valid) = nested else {
            panic!("{:?}", nested.diagnostics())
        };
        assert_eq!(
            valid.loops()[1].parent,
            Some(0),
            "the inner loop knows its outer one"
        );
        let overlapping = with(json!([
            { "from": "c", "to": "a", "when": "failed", "loop": { "max_rounds": 2 } },
            { "from": "d", "to": "b", "when": "failed", "loop": { "max_rounds": 2 } }
        ]));
        assert!(
            errors(&overlapping)
                .iter()
                .any(|(c, _)| *c == Code::BadLoop)
        );
        let shared = with(json!([
            { "from": "c", "to": "a", "when": "failed", "loop": { "max_rounds": 2 } },
            { "from": "d", "to": "a", "when": "failed", "loop": { "max_rounds": 2 } }
        ]));
        assert!(errors(&shared).iter().any(|(c, _)| *c == Code::BadLoop));
    }

    #[test]
    fn a_loop_touching_a_branch_is_a_bad_loop_and_a_cycle_without_one_stays_a_cycle() {
        let mut branch = sim("critic");
        branch["group"] = json!("review");
        let v = check(
            json!([sim("draft"), branch]),
            json!([{ "id": "review", "aggregate": { "strategy": "all" } }]),
            json!([
                { "from": "draft", "to": "review" },
                { "from": "critic", "to": "draft", "when": "failed", "loop": { "max_rounds": 2 } }
            ]),
        );
        assert_eq!(errors(&v), [(Code::BadLoop, "$.edges[1].from".to_string())]);
        let cycle = chain(json!({ "from": "c", "to": "a" }));
        assert_eq!(errors(&cycle)[0].0, Code::Cycle);
    }
}
