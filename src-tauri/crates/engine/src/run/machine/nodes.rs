//! Nodes and groups: resolving edges (with skip and cancel propagation),
//! starting groups and maps, deciding aggregations, and the run-ending
//! rules for failed required nodes.

use serde_json::Value;

use super::*;

impl<V: WorkflowRef> Machine<V> {
    /// A unit reached its final state. `stop_if_required` is the status the
    /// run stops with when this was a required phase step (or branch whose
    /// failure fails its group) and no failure edge handles it.
    pub(super) fn unit_final(
        &mut self,
        unit: UnitId,
        end: NodeEnd,
        stop_if_required: Option<(RunStatus, String)>,
    ) {
        let node = self.units[unit].node;
        match self.units[unit].group {
            None => {
                let required = self.valid.workflow().steps[self.units[unit].step].is_required();
                if let Some((status, error)) = stop_if_required {
                    if required && !self.failure_handled(node) {
                        self.stop(status, error);
                    }
                }
                self.node_finished(node, end);
            }
            Some(g) => self.branch_final(g, unit, stop_if_required.map(|s| s.0)),
        }
    }

    pub(super) fn branch_final(&mut self, g: usize, unit: UnitId, failure: Option<RunStatus>) {
        let Some(run) = self.groups[g].as_ref() else {
            return;
        };
        if run.decided {
            return;
        }
        let valid = self.valid.clone();
        let wf = valid.workflow();
        let group = &wf.groups[g];
        let unit_ref = &self.units[unit];
        let required = wf.steps[unit_ref.step].is_required();
        let UnitState::Done(result) = unit_ref.state else {
            return;
        };
        let blocked = failure == Some(RunStatus::Blocked);
        if result == BranchResult::Failed && required {
            let why = if blocked { "blocked" } else { "failed" };
            let error = format!("required branch `{}` {why}", wf.steps[unit_ref.step].id);
            self.decide_group(
                g,
                Aggregation {
                    outcome: Outcome::Failed,
                    score: None,
                },
                Some(error),
            );
            return;
        }
        if group.aggregate.strategy == Strategy::First {
            if let BranchResult::Succeeded { approved, score } = result {
                let verdict = aggregate::first_winner(&group.aggregate, approved, score);
                self.decide_group(g, verdict, None);
                return;
            }
        }
        let run = self.groups[g].as_ref().expect("group is running");
        // A counter, not a scan: a 400k-element map finishes in linear time.
        let all_done = run.done == run.units.len();
        if all_done {
            let branches: Vec<Branch> = run
                .units
                .iter()
                .map(|&u| {
                    let step = &wf.steps[self.units[u].step];
                    let UnitState::Done(result) = self.units[u].state else {
                        unreachable!("all done")
                    };
                    Branch {
                        result,
                        required: step.is_required(),
                        weight: step.weight(),
                    }
                })
                .collect();
            let aggregation = aggregate::aggregate(&group.aggregate, &branches);
            let error =
                (aggregation.outcome == Outcome::Failed).then(|| "no branch succeeded".to_string());
            self.decide_group(g, aggregation, error);
        }
    }

    pub(super) fn decide_group(
        &mut self,
        g: usize,
        aggregation: Aggregation,
        error: Option<String>,
    ) {
        let run = self.groups[g].as_mut().expect("group is running");
        run.decided = true;
        let units = run.units.clone();
        for u in units {
            self.cancel_unit(u);
        }
        let valid = self.valid.clone();
        let wf = valid.workflow();
        let group = &wf.groups[g];
        let group_id = group.id.clone();
        if group.for_each.is_some() && aggregation.outcome != Outcome::Failed {
            self.collect_map_outputs(g);
        }
        let score = aggregation
            .score
            .map_or(Value::Null, |s| serde_json::json!(s));
        self.write(
            &group_id,
            &format!("{group_id}.outcome"),
            Value::from(aggregation.outcome.as_str()),
        );
        self.write(&group_id, &format!("{group_id}.score"), score);
        self.write(
            &group_id,
            &format!("{group_id}.approved"),
            Value::from(aggregation.approved()),
        );
        self.emit(EventKind::GroupAggregated {
            group: group_id.clone(),
            outcome: aggregation.outcome,
            score: aggregation.score,
            approved: aggregation.approved(),
        });
        let node = self.valid.node(&group_id).expect("groups are outer nodes");
        match aggregation.outcome {
            Outcome::Failed if !self.failure_handled(node) => {
                self.stop(
                    RunStatus::Failed,
                    error.unwrap_or_else(|| format!("group `{group_id}` failed")),
                );
            }
            Outcome::Rejected | Outcome::NeedsWork => {
                let end = NodeEnd::Group(aggregation.outcome);
                let taken = self
                    .valid
                    .outgoing(node)
                    .any(|(_, e)| edge_taken(effective_when(e, NodeRef::Group(g)), end));
                if !taken && self.outcome_status.is_none() {
                    self.outcome_status = Some(if aggregation.outcome == Outcome::Rejected {
                        RunStatus::Rejected
                    } else {
                        RunStatus::NeedsWork
                    });
                }
            }
            _ => {}
        }
        self.node_finished(node, NodeEnd::Group(aggregation.outcome));
    }

    /// A map's produced keys become lists in element order (null where an element failed).
    pub(super) fn collect_map_outputs(&mut self, g: usize) {
        let valid = self.valid.clone();
        let wf = valid.workflow();
        let group_id = wf.groups[g].id.clone();
        let run = self.groups[g].as_ref().expect("group is running");
        let mut units = run.units.clone();
        units.sort_by_key(|&u| self.units[u].element.as_ref().map_or(0, |e| e.0));
        let Some(&first) = units.first() else {
            for &s in &valid.graph().branches[g] {
                for key in wf.steps[s].produces.clone() {
                    self.write(&group_id, &key, Value::Array(Vec::new()));
                }
            }
            return;
        };
        let produces = wf.steps[self.units[first].step].produces.clone();
        for key in produces {
            let list: Vec<Value> = units
                .iter()
                .map(|&u| {
                    self.units[u]
                        .outputs
                        .get(&key)
                        .cloned()
                        .unwrap_or(Value::Null)
                })
                .collect();
            self.write(&group_id, &key, Value::Array(list));
        }
    }

    /// Whether an edge out of `node` handles its failure (`failed` or `done`).
    pub(super) fn failure_handled(&self, node: NodeIx) -> bool {
        self.valid
            .outgoing(node)
            .any(|(_, e)| matches!(e.when, Some(When::Failed | When::Done)))
    }

    pub(super) fn node_finished(&mut self, node: NodeIx, end: NodeEnd) {
        self.drain(vec![(node, end)]);
    }

    /// Resolves outgoing edges of finished or skipped nodes, readying or
    /// skipping their targets — a worklist, as skips cascade.
    pub(super) fn drain(&mut self, mut work: Vec<(NodeIx, NodeEnd)>) {
        while let Some((node, end)) = work.pop() {
            let source = self.valid.graph().graph[node];
            let targets: Vec<(NodeIx, bool)> = self
                .valid
                .outgoing(node)
                .map(|(target, edge)| (target, edge_taken(effective_when(edge, source), end)))
                .collect();
            for (target, taken) in targets {
                let t = target.index();
                self.waiting_edges[t] -= 1;
                if taken {
                    self.taken_edges[t] += 1;
                }
                if end == NodeEnd::Cancelled {
                    self.upstream_cancelled[t] = true;
                }
                if self.waiting_edges[t] > 0 || self.resolved[t] {
                    continue;
                }
                let incoming = self.valid.incoming(target).count();
                let runs = match self.valid.trigger(target) {
                    Trigger::All => self.taken_edges[t] == incoming,
                    Trigger::Any => self.taken_edges[t] > 0,
                };
                if runs && self.stopping.is_none() {
                    self.ready(target);
                } else if runs || self.upstream_cancelled[t] {
                    // Stopped, not routed away: cancelled rather than skipped.
                    self.resolved[t] = true;
                    self.cancel_node(target);
                    work.push((target, NodeEnd::Cancelled));
                } else {
                    self.skip(target, "no incoming edge that it needs was taken");
                    work.push((target, NodeEnd::NotRun));
                }
            }
        }
    }

    pub(super) fn ready(&mut self, node: NodeIx) {
        self.resolved[node.index()] = true;
        match self.valid.graph().graph[node] {
            NodeRef::Step(s) => {
                let unit = self.new_unit(node, s, None, None);
                self.enqueue(unit);
            }
            NodeRef::Group(g) => self.start_group(node, g),
        }
    }

    pub(super) fn start_group(&mut self, node: NodeIx, g: usize) {
        let valid = self.valid.clone();
        let wf = valid.workflow();
        let group = &wf.groups[g];
        let branches = self.valid.graph().branches[g].clone();
        let max = group
            .max_concurrency
            .map_or(usize::MAX, |m| m.max(1) as usize);
        let mut units = Vec::new();
        let mut elements = None;
        if let Some(key) = group.for_each.clone() {
            let items = match self.context.get(&key) {
                Some(Value::Array(items)) => items.clone(),
                other => {
                    let got = other.map_or("nothing".to_string(), |v| type_name(v).to_string());
                    let gid = group.id.clone();
                    self.emit(EventKind::GroupStarted {
                        group: gid.clone(),
                        elements: Some(0),
                    });
                    self.groups[g] = Some(GroupRun::new(Vec::new(), max));
                    for &s in &branches {
                        let id = wf.steps[s].id.clone();
                        self.emit(EventKind::StepSkipped {
                            step: id,
                            reason: format!("`{key}` is not a list"),
                        });
                    }
                    self.decide_group(
                        g,
                        Aggregation {
                            outcome: Outcome::Failed,
                            score: None,
                        },
                        Some(format!("map `{gid}`: `{key}` holds {got}, not a list")),
                    );
                    return;
                }
            };
            elements = Some(items.len() as u32);
            for (i, item) in items.into_iter().enumerate() {
                units.push(self.new_unit(node, branches[0], Some(g), Some((i as u32, item))));
            }
        } else {
            for &s in &branches {
                units.push(self.new_unit(node, s, Some(g), None));
            }
        }
        self.emit(EventKind::GroupStarted {
            group: group.id.clone(),
            elements,
        });
        let empty = units.is_empty();
        self.groups[g] = Some(GroupRun::new(units.clone(), max));
        for unit in units {
            self.enqueue(unit);
        }
        if empty {
            let aggregation = aggregate::aggregate(&group.aggregate, &[]);
            let aggregation = if group.aggregate.strategy == Strategy::All {
                aggregation
            } else {
                // An empty map has nothing to disapprove of.
                Aggregation {
                    outcome: Outcome::Approved,
                    score: Some(100.0),
                }
            };
            self.decide_group(g, aggregation, None);
        }
    }

    pub(super) fn skip(&mut self, node: NodeIx, reason: &str) {
        self.resolved[node.index()] = true;
        let ids = self.step_ids_of(node);
        for id in ids {
            self.emit(EventKind::StepSkipped {
                step: id,
                reason: reason.to_string(),
            });
        }
    }

    /// A node that never started because the run is stopping.
    pub(super) fn cancel_node(&mut self, node: NodeIx) {
        for id in self.step_ids_of(node) {
            self.emit(EventKind::StepCancelled {
                step: id,
                element: None,
                attempt: None,
            });
        }
    }

    /// The node's id, and for a group its branch step ids too.
    pub(super) fn step_ids_of(&self, node: NodeIx) -> Vec<String> {
        let wf = self.valid.workflow();
        match self.valid.graph().graph[node] {
            NodeRef::Step(s) => vec![wf.steps[s].id.clone()],
            NodeRef::Group(g) => std::iter::once(wf.groups[g].id.clone())
                .chain(
                    self.valid.graph().branches[g]
                        .iter()
                        .map(|&s| wf.steps[s].id.clone()),
                )
                .collect(),
        }
    }
}
