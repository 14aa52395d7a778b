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
                if self.loop_back(node, end) {
                    return;
                }
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
        if self.current_group(unit) != Some(g) {
            return; // left over from an earlier round
        }
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
        let recommendations = self.group_recommendations(g);
        self.write(
            &group_id,
            &format!("{group_id}.recommendations"),
            Value::Array(recommendations),
        );
        let node = self.valid.node(&group_id).expect("groups are outer nodes");
        self.emit(EventKind::GroupAggregated {
            group: group_id.clone(),
            outcome: aggregation.outcome,
            score: aggregation.score,
            approved: aggregation.approved(),
            round: self.node_round(node),
        });
        if self.loop_back(node, NodeEnd::Group(aggregation.outcome)) {
            return;
        }
        match aggregation.outcome {
            Outcome::Failed if !self.failure_handled(node) => {
                self.stop(
                    RunStatus::Failed,
                    error.unwrap_or_else(|| format!("group `{group_id}` failed")),
                );
            }
            Outcome::Rejected | Outcome::NeedsWork => {
                let end = NodeEnd::Group(aggregation.outcome);
                let wf = self.valid.workflow();
                let taken = self
                    .valid
                    .outgoing(node)
                    .any(|(_, e)| edge_taken(effective_when(e, NodeRef::Group(g), wf), end));
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

    /// `<group>.recommendations`: `{from, text}` per recommendation of every
    /// branch that returned a result object, in branch order (for a map
    /// `{from, index, text}` in element order).
    fn group_recommendations(&self, g: usize) -> Vec<Value> {
        let wf = self.valid.workflow();
        let run = self.groups[g].as_ref().expect("group is running");
        let mut units: Vec<UnitId> = run.units.clone();
        units.sort_by_key(|&u| {
            let unit = &self.units[u];
            (unit.element.as_ref().map_or(0, |e| e.0), unit.step)
        });
        let mut list = Vec::new();
        for u in units {
            let unit = &self.units[u];
            if !unit.reported {
                continue;
            }
            for text in &unit.recommendations {
                let mut item = JsonMap::new();
                item.insert("from".into(), Value::from(wf.steps[unit.step].id.clone()));
                if let Some((index, _)) = &unit.element {
                    item.insert("index".into(), Value::from(*index));
                }
                item.insert("text".into(), text.clone());
                list.push(Value::Object(item));
            }
        }
        list
    }

    /// Loop edges out of `node`, innermost loop first: takes the first whose
    /// `when` holds with rounds to spare (the body runs again from its `to`,
    /// and `node`'s other edges wait for a later round) and says so; one
    /// whose `when` holds after `max_rounds` rounds is recorded exhausted.
    pub(super) fn loop_back(&mut self, node: NodeIx, end: NodeEnd) -> bool {
        if self.stopping.is_some() || self.valid.loops().is_empty() {
            return false;
        }
        let valid = self.valid.clone();
        let loops = valid.loops();
        for l in (0..loops.len()).rev() {
            let info = &loops[l];
            if info.from != node {
                continue;
            }
            let when = valid.workflow().edges[info.edge]
                .when
                .expect("validated: a loop edge has a `when`");
            let to = valid.node_id(info.to).to_string();
            let from = valid.node_id(info.from).to_string();
            let holds = match self.options.planned_rounds.get(&to) {
                // The planner rehearses the rounds history predicts.
                Some(&planned) => self.rounds[l] < planned && end != NodeEnd::Cancelled,
                None => edge_taken(when, end),
            };
            if !holds {
                continue;
            }
            if self.rounds[l] >= info.max_rounds {
                self.emit(EventKind::LoopExhausted {
                    to,
                    from,
                    rounds: self.rounds[l],
                });
                continue;
            }
            self.rounds[l] += 1;
            // An inner loop starts again at round 1 in every round of this one.
            for inner in valid.loops_inside(l) {
                self.rounds[inner] = 1;
            }
            self.emit(EventKind::LoopRound {
                to,
                from,
                round: self.rounds[l],
            });
            self.reset_body(l);
            self.ready(info.to);
            return true;
        }
        false
    }

    /// Makes every node of loop `l`'s body pending again. Edges between body
    /// nodes wait again; edges into the body from outside keep what they
    /// decided before the first round.
    fn reset_body(&mut self, l: usize) {
        let valid = self.valid.clone();
        let body = &valid.loops()[l].body;
        let mut inside = vec![false; self.resolved.len()];
        for n in body {
            inside[n.index()] = true;
        }
        for &n in body {
            let (mut waiting, mut taken) = (0, 0);
            for (source, e) in valid.incoming_ix(n) {
                if inside[source.index()] {
                    waiting += 1;
                    self.edge_state[e] = None;
                } else if self.edge_state[e] == Some(true) {
                    taken += 1;
                }
            }
            let i = n.index();
            self.waiting_edges[i] = waiting;
            self.taken_edges[i] = taken;
            self.resolved[i] = false;
            self.upstream_cancelled[i] = false;
            if let NodeRef::Group(g) = valid.graph().graph[n] {
                self.groups[g] = None;
            }
        }
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
        let source = self.valid.graph().graph[node];
        let wf = self.valid.workflow();
        self.valid
            .outgoing(node)
            .any(|(_, e)| matches!(effective_when(e, source, wf), When::Failed | When::Done))
    }

    pub(super) fn node_finished(&mut self, node: NodeIx, end: NodeEnd) {
        self.drain(vec![(node, end)]);
    }

    /// Resolves outgoing edges of finished or skipped nodes, readying or
    /// skipping their targets — a worklist, as skips cascade.
    pub(super) fn drain(&mut self, mut work: Vec<(NodeIx, NodeEnd)>) {
        while let Some((node, end)) = work.pop() {
            let source = self.valid.graph().graph[node];
            let wf = self.valid.workflow();
            let targets: Vec<(NodeIx, usize, bool)> = self
                .valid
                .outgoing_ix(node)
                .into_iter()
                .map(|(target, e)| {
                    let when = effective_when(&wf.edges[e], source, wf);
                    (target, e, edge_taken(when, end))
                })
                .collect();
            for (target, e, taken) in targets {
                self.edge_state[e] = Some(taken);
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
        let valid = self.valid.clone();
        for (l, info) in valid.loops().iter().enumerate() {
            if info.to == node {
                let key = format!("{}.round", valid.node_id(node));
                self.write(LOOP_WRITER, &key, Value::from(self.rounds[l]));
            }
        }
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
        let first_unit = self.units.len();
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
                        round: self.node_round(node),
                    });
                    self.groups[g] = Some(GroupRun::new(self.units.len(), Vec::new(), max));
                    for &s in &branches {
                        let id = wf.steps[s].id.clone();
                        self.emit(EventKind::StepSkipped {
                            step: id,
                            reason: format!("`{key}` is not a list"),
                            round: self.node_round(node),
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
            round: self.node_round(node),
        });
        let empty = units.is_empty();
        self.groups[g] = Some(GroupRun::new(first_unit, units.clone(), max));
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
        let round = self.node_round(node);
        for id in ids {
            self.emit(EventKind::StepSkipped {
                step: id,
                reason: reason.to_string(),
                round,
            });
        }
    }

    /// A node that never started because the run is stopping.
    pub(super) fn cancel_node(&mut self, node: NodeIx) {
        let round = self.node_round(node);
        for id in self.step_ids_of(node) {
            self.emit(EventKind::StepCancelled {
                step: id,
                element: None,
                attempt: None,
                round,
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
