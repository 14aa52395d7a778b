//! Units (a phase step, a branch, or one map element): queueing, resource
//! accounting, launching attempts, retries, and how an attempt's outcome
//! becomes the unit's result.

use serde_json::Value;

use super::*;

impl<V: WorkflowRef> Machine<V> {
    pub(super) fn attempt_finished(&mut self, unit: UnitId, attempt: u32, outcome: AttemptOutcome) {
        let u = &self.units[unit];
        if u.state != UnitState::Running || u.attempt != attempt {
            return; // stale report
        }
        self.running -= 1;
        // Only a launched attempt counted as a running approval (a reused
        // result never waited).
        if !self.units[unit].reused && self.is_approval(unit) {
            self.approvals_running -= 1;
        }
        if !self.units[unit].reused {
            self.release(unit);
        }
        let cancelling = self.units[unit].cancelling;
        let at = self.attempt_ref(unit);
        let result = match outcome {
            AttemptOutcome::Cancelled => {
                self.emit(EventKind::StepCancelled {
                    step: at.step,
                    element: at.element,
                    attempt: Some(attempt),
                    round: at.round,
                });
                BranchResult::Failed
            }
            _ if cancelling => {
                // It finished on its own while being cancelled: it still does not count.
                self.emit(EventKind::StepCancelled {
                    step: at.step,
                    element: at.element,
                    attempt: Some(attempt),
                    round: at.round,
                });
                BranchResult::Failed
            }
            AttemptOutcome::Succeeded(result) if result.blocked => {
                let error = result
                    .errors
                    .first()
                    .map_or("the agent reported status blocked".to_string(), value_text);
                self.emit(EventKind::StepBlocked {
                    at: at.clone(),
                    error: error.clone(),
                    error_code: None,
                });
                self.note_recommendations(unit, &at.step, result.recommendations);
                self.set_done(unit, BranchResult::Failed);
                self.unit_final(unit, NodeEnd::StepFailed, Some((RunStatus::Blocked, error)));
                return;
            }
            // A phase approval that was rejected fails (its edges route the
            // run); as a branch the rejection is the branch's verdict.
            AttemptOutcome::Succeeded(result)
                if result.approved == Some(false)
                    && self.is_approval(unit)
                    && self.units[unit].group.is_none() =>
            {
                self.record_decision(&at.step, &result.outputs);
                // The note is kept either way (the step's one produced key).
                let produces = self.valid.workflow().steps[self.units[unit].step]
                    .produces
                    .clone();
                for key in produces {
                    if let Some(value) = result.outputs.get(&key) {
                        self.write(&at.step, &key, value.clone());
                    }
                }
                let note = result
                    .outputs
                    .get(&decision_key(&at.step))
                    .and_then(|d| d.get("note"))
                    .and_then(Value::as_str)
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default();
                return self.failed(unit, at, format!("rejected{note}"), false, false);
            }
            AttemptOutcome::Succeeded(result) => {
                self.succeeded(unit, at, result);
                return;
            }
            AttemptOutcome::Failed { error } => return self.failed(unit, at, error, false, true),
            AttemptOutcome::TimedOut { error } => return self.failed(unit, at, error, true, true),
            AttemptOutcome::ServiceFailed {
                error,
                retry_after_ms,
                retryable,
            } => {
                return self.failed_after(unit, at, error, retryable, retry_after_ms.unwrap_or(0));
            }
        };
        self.set_done(unit, result);
        self.unit_final(unit, NodeEnd::Cancelled, None);
    }

    pub(super) fn succeeded(&mut self, unit: UnitId, at: AttemptRef, result: AgentResult) {
        let valid = self.valid.clone();
        let declared = &valid.workflow().steps[self.units[unit].step].produces;
        let mut outputs = JsonMap::new();
        let mut result = result;
        if self.is_approval(unit) {
            self.record_decision(&at.step, &result.outputs);
            result.outputs.remove(&decision_key(&at.step));
        }
        for (key, value) in result.outputs {
            if declared.contains(&key) {
                outputs.insert(key, value);
            } else {
                self.emit(EventKind::Warning {
                    step: Some(at.step.clone()),
                    message: format!("output `{key}` is not in `produces`; dropped"),
                });
            }
        }
        self.emit(EventKind::StepSucceeded {
            at: at.clone(),
            outputs: outputs.clone(),
            score: result.score,
            approved: result.approved,
            recommendations: result.recommendations.clone(),
            errors: result.errors,
        });
        let is_map_element = self.units[unit].element.is_some();
        if is_map_element {
            self.units[unit].outputs = outputs;
        } else {
            for (key, value) in outputs {
                self.write(&at.step, &key, value);
            }
        }
        self.note_recommendations(unit, &at.step, result.recommendations);
        self.set_done(
            unit,
            BranchResult::Succeeded {
                approved: result.approved,
                score: result.score,
            },
        );
        self.unit_final(unit, NodeEnd::StepSucceeded, None);
    }

    pub(super) fn failed(
        &mut self,
        unit: UnitId,
        at: AttemptRef,
        error: String,
        timed_out: bool,
        may_retry: bool,
    ) {
        self.failed_with(unit, at, error, timed_out, may_retry, 0);
    }

    /// A service's failure: retried only when `retryable`, and not before
    /// `min_delay_ms`.
    fn failed_after(
        &mut self,
        unit: UnitId,
        at: AttemptRef,
        error: String,
        retryable: bool,
        min_delay_ms: u64,
    ) {
        self.failed_with(unit, at, error, false, retryable, min_delay_ms);
    }

    fn failed_with(
        &mut self,
        unit: UnitId,
        at: AttemptRef,
        error: String,
        timed_out: bool,
        may_retry: bool,
        min_delay_ms: u64,
    ) {
        let valid = self.valid.clone();
        let step = &valid.workflow().steps[self.units[unit].step];
        let retry = step.effective_retry(valid.workflow().defaults.as_ref());
        let attempt = self.units[unit].attempt;
        let made_here = attempt + 1 - self.units[unit].first_attempt;
        if may_retry && made_here < retry.max_attempts() && self.stopping.is_none() {
            let base = retry.base_delay_ms(attempt) as f64;
            let jittered = if retry.jitter.unwrap_or(false) {
                base * (1.0 + 0.25 * self.rng.next_signed())
            } else {
                base
            };
            let delay_ms = ((jittered * self.scale_for(self.units[unit].step))
                .round()
                .max(0.0) as u64)
                .max(min_delay_ms);
            self.emit(EventKind::AttemptFailed {
                at: at.clone(),
                error,
                timed_out,
            });
            self.emit(EventKind::StepRetrying {
                at,
                next_attempt: attempt + 1,
                delay_ms,
            });
            self.units[unit].state = UnitState::WaitingRetry;
            self.timers += 1;
            self.effects.push(Effect::Timer { unit, delay_ms });
            return;
        }
        let step_id = at.step.clone();
        if timed_out {
            self.emit(EventKind::StepTimedOut { at, error });
        } else {
            self.emit(EventKind::StepFailed { at, error });
        }
        self.note_recommendations(unit, &step_id, Vec::new());
        self.set_done(unit, BranchResult::Failed);
        let step_id = self.valid.workflow().steps[self.units[unit].step]
            .id
            .clone();
        self.unit_final(
            unit,
            NodeEnd::StepFailed,
            Some((RunStatus::Failed, format!("step `{step_id}` failed"))),
        );
    }

    pub(super) fn timer_fired(&mut self, unit: UnitId) {
        if self.units[unit].state != UnitState::WaitingRetry {
            return;
        }
        self.timers -= 1;
        if self.stopping.is_some() {
            self.cancel_unit(unit);
            return;
        }
        self.units[unit].attempt += 1;
        self.enqueue(unit);
    }

    pub(super) fn new_unit(
        &mut self,
        node: NodeIx,
        step: usize,
        group: Option<usize>,
        element: Option<(u32, Value)>,
    ) -> UnitId {
        // Only a resume carries earlier attempts; don't build a key per unit otherwise.
        let first_attempt = if self.prior.attempts_made.is_empty() {
            1
        } else {
            let key = (
                self.valid.workflow().steps[step].id.clone(),
                element.as_ref().map(|e| e.0),
            );
            self.prior
                .attempts_made
                .get(&key)
                .map_or(1, |made| made + 1)
        };
        // In a later round of a loop, numbering goes on after the last round.
        let first_attempt = if self.valid.loop_of(node).is_some() {
            let key = (step, element.as_ref().map(|e| e.0));
            first_attempt.max(self.loop_attempts.get(&key).map_or(1, |n| n + 1))
        } else {
            first_attempt
        };
        self.units.push(Unit {
            node,
            step,
            group,
            element,
            attempt: first_attempt,
            state: UnitState::Queued,
            cancelling: false,
            reused: false,
            first_attempt,
            round: self.node_round(node),
            outputs: JsonMap::new(),
            recommendations: Vec::new(),
            reported: false,
        });
        self.units.len() - 1
    }

    /// Inside a loop body: remembers the unit's attempt number, so the next
    /// round's attempts number on after it (every attempt keeps its row).
    fn note_attempt_number(&mut self, unit: UnitId) {
        let u = &self.units[unit];
        if self.valid.loop_of(u.node).is_some() {
            let key = (u.step, u.element.as_ref().map(|e| e.0));
            let attempt = u.attempt;
            let last = self.loop_attempts.entry(key).or_insert(0);
            *last = (*last).max(attempt);
        }
    }

    fn is_approval(&self, unit: UnitId) -> bool {
        self.valid.workflow().steps[self.units[unit].step].is_approval()
    }

    /// An approval's decision (who, when, verdict, note) into the context's
    /// audit trail as `<step>.decision`.
    fn record_decision(&mut self, step: &str, outputs: &JsonMap) {
        let key = decision_key(step);
        if let Some(decision) = outputs.get(&key).cloned() {
            self.write(step, &key, decision);
        }
    }

    /// Keeps what a unit's final attempt recommended and, for a step that is
    /// not a map's branch, writes `<step>.recommendations` (`[]` when none).
    fn note_recommendations(&mut self, unit: UnitId, step: &str, list: Vec<Value>) {
        self.units[unit].reported = true;
        if self.units[unit].element.is_none() {
            self.write(
                step,
                &format!("{step}.recommendations"),
                Value::Array(list.clone()),
            );
        }
        self.units[unit].recommendations = list;
    }

    /// The `requires` keys missing from the context, as the error a step
    /// blocked by them reports (`html: declared by transform, not written`).
    fn missing_input(&self, step: usize) -> Option<String> {
        let wf = self.valid.workflow();
        let missing: Vec<String> = wf.steps[step]
            .requires
            .iter()
            .filter(|k| !self.context.contains_key(*k))
            .map(|key| {
                let producers: Vec<&str> = wf
                    .steps
                    .iter()
                    .filter(|s| s.produces.contains(key))
                    .map(|s| s.id.as_str())
                    .collect();
                if producers.is_empty() {
                    format!("{key}: no value")
                } else {
                    format!("{key}: declared by {}, not written", producers.join(", "))
                }
            })
            .collect();
        (!missing.is_empty()).then(|| missing.join("; "))
    }

    /// A unit whose inputs were not all written: blocked without an attempt.
    pub(super) fn block_for_input(&mut self, unit: UnitId, error: String) {
        self.running -= 1;
        self.note_attempt_number(unit);
        let at = self.attempt_ref(unit);
        self.emit(EventKind::StepBlocked {
            at: at.clone(),
            error: error.clone(),
            error_code: Some(INPUT_NOT_WRITTEN.into()),
        });
        self.note_recommendations(unit, &at.step, Vec::new());
        self.set_done(unit, BranchResult::Failed);
        self.unit_final(unit, NodeEnd::StepFailed, Some((RunStatus::Blocked, error)));
    }

    pub(super) fn enqueue(&mut self, unit: UnitId) {
        if self.units[unit].attempt == self.units[unit].first_attempt
            && self.prior_of(unit).is_some()
        {
            // Counted as running until applied, so the run cannot finish first.
            self.units[unit].state = UnitState::Running;
            self.units[unit].reused = true;
            self.running += 1;
            self.reuse.push_back(unit);
            return;
        }
        if self.options.check_inputs && self.units[unit].attempt == self.units[unit].first_attempt {
            if let Some(error) = self.missing_input(self.units[unit].step) {
                // Counted as running until blocked, so the run cannot finish first.
                self.units[unit].state = UnitState::Running;
                self.units[unit].reused = true;
                self.running += 1;
                self.missing_inputs.push_back((unit, error));
                return;
            }
        }
        self.units[unit].state = UnitState::Queued;
        match self.units[unit]
            .group
            .and_then(|g| self.groups[g].as_mut().map(|run| (g, run)))
        {
            Some((g, run)) => {
                run.pending.push_back(unit);
                if !run.in_queue {
                    run.in_queue = true;
                    self.queue.push(self.step_classes + g, Entry::Group(g));
                }
            }
            None => {
                let class = self.class_of_step[self.units[unit].step];
                self.queue.push(class, Entry::Unit(unit));
            }
        }
        let at = self.attempt_ref(unit);
        self.emit(EventKind::StepQueued { at });
    }

    pub(super) fn fits(&self, unit: UnitId) -> bool {
        let u = &self.units[unit];
        self.needs[u.step]
            .iter()
            .all(|&(r, amount)| self.free[r] >= amount)
            && u.group.is_none_or(|g| {
                self.groups[g]
                    .as_ref()
                    .is_some_and(|run| run.running < run.max)
            })
    }

    /// Starts queued units in the order they became ready, letting a unit
    /// that fits overtake one waiting for a scarce resource. The queue is
    /// visited class by class (see `queue.rs`): a class whose head does not
    /// fit is passed over whole.
    pub(super) fn start_what_fits(&mut self) {
        if self.stopping.is_some() {
            return;
        }
        let mut cursor = self.queue.start();
        // Every unit holds at least one `concurrency`: nothing fits without it.
        while self.free[0] > 0 {
            let Some((class, entry)) = self.queue.next(cursor) else {
                break;
            };
            match entry {
                Entry::Unit(unit) => {
                    if self.units[unit].state != UnitState::Queued {
                        self.queue.pop(class);
                    } else if self.fits(unit) {
                        self.queue.pop(class);
                        self.launch(unit);
                    } else {
                        cursor = self.queue.past(class);
                    }
                }
                Entry::Group(g) => {
                    self.start_group_units(g);
                    match self.groups[g].as_mut() {
                        Some(run) if !run.pending.is_empty() => cursor = self.queue.past(class),
                        Some(run) => {
                            run.in_queue = false;
                            self.queue.pop(class);
                        }
                        // Reset by a loop's new round: the entry is stale.
                        None => self.queue.pop(class),
                    }
                }
            }
        }
    }

    /// Starts a group's pending units while the group and the limits allow.
    /// Branches may need different resources, so one that does not fit is
    /// passed over; map elements all need the same, so the first that does
    /// not fit ends the scan.
    fn start_group_units(&mut self, g: usize) {
        let is_map = self.valid.workflow().groups[g].for_each.is_some();
        let mut j = 0;
        loop {
            let Some(run) = self.groups[g].as_ref() else {
                return;
            };
            if run.running >= run.max || self.free[0] <= 0 || j >= run.pending.len() {
                return;
            }
            let unit = run.pending[j];
            if self.units[unit].state != UnitState::Queued {
                self.groups[g].as_mut().expect("running").pending.remove(j);
            } else if self.fits(unit) {
                self.groups[g].as_mut().expect("running").pending.remove(j);
                self.launch(unit);
            } else if is_map {
                return;
            } else {
                j += 1;
            }
        }
    }

    pub(super) fn launch(&mut self, unit: UnitId) {
        let step_index = self.units[unit].step;
        for &(r, amount) in &self.needs[step_index] {
            self.free[r] -= amount;
        }
        if let Some(run) = self.units[unit].group.and_then(|g| self.groups[g].as_mut()) {
            run.running += 1;
        }
        self.running += 1;
        if self.is_approval(unit) {
            self.approvals_running += 1;
        }
        self.units[unit].state = UnitState::Running;
        let valid = self.valid.clone();
        let wf = valid.workflow();
        let step = &wf.steps[step_index];
        let mut inputs: JsonMap = step
            .requires
            .iter()
            .chain(&step.reads)
            .filter_map(|k| self.context.get(k).map(|v| (k.clone(), v.clone())))
            .collect();
        if self.valid.loop_of(self.units[unit].node).is_some() {
            inputs.insert(LOOP_ROUND.into(), Value::from(self.units[unit].round));
        }
        let timeout_ms = step
            .effective_timeout_s(wf.defaults.as_ref())
            .map(|s| (s * 1000.0 * self.scale_for(step_index)).round().max(1.0) as u64);
        let at = self.attempt_ref(unit);
        self.note_attempt_number(unit);
        self.emit(EventKind::StepStarted { at: at.clone() });
        self.effects.push(Effect::Start(StartAttempt {
            unit,
            step: step_index,
            attempt: at.attempt,
            inputs,
            element: self.units[unit].element.clone(),
            timeout_ms,
            round: self.units[unit].round,
            rounds: self.round_path(self.units[unit].node),
        }));
    }

    /// A unit reached its final state; its group counts it.
    pub(super) fn set_done(&mut self, unit: UnitId, result: BranchResult) {
        let was_done = matches!(self.units[unit].state, UnitState::Done(_));
        self.units[unit].state = UnitState::Done(result);
        if was_done {
            return;
        }
        if let Some(g) = self.current_group(unit) {
            if let Some(run) = self.groups[g].as_mut() {
                run.done += 1;
            }
        }
    }

    pub(super) fn release(&mut self, unit: UnitId) {
        let step_index = self.units[unit].step;
        for &(r, amount) in &self.needs[step_index] {
            self.free[r] += amount;
        }
        if let Some(g) = self.current_group(unit) {
            if let Some(run) = self.groups[g].as_mut() {
                run.running -= 1;
            }
        }
    }

    /// Stops a unit that has not finished: a queued or retry-waiting unit is
    /// cancelled at once, a running one is asked to stop (and reports back).
    pub(super) fn cancel_unit(&mut self, unit: UnitId) {
        match self.units[unit].state {
            UnitState::Queued | UnitState::WaitingRetry => {
                if self.units[unit].state == UnitState::WaitingRetry {
                    self.timers -= 1;
                }
                self.set_done(unit, BranchResult::Failed);
                let at = self.attempt_ref(unit);
                self.emit(EventKind::StepCancelled {
                    step: at.step,
                    element: at.element,
                    attempt: None,
                    round: at.round,
                });
            }
            UnitState::Running if !self.units[unit].cancelling => {
                self.units[unit].cancelling = true;
                self.effects.push(Effect::Cancel { unit });
            }
            _ => {}
        }
    }

    fn prior_of(&self, unit: UnitId) -> Option<&PriorResult> {
        // Every enqueue asks; a fresh run has no prior, so skip building the key.
        if self.prior.results.is_empty() {
            return None;
        }
        let u = &self.units[unit];
        let key = (
            self.valid.workflow().steps[u.step].id.clone(),
            u.element.as_ref().map(|e| e.0),
        );
        self.prior.results.get(&key)
    }

    /// Completes a unit with its result from an earlier run, replaying the
    /// same events a live completion would produce.
    pub(super) fn apply_prior(&mut self, unit: UnitId) {
        let Some(prior) = self.prior_of(unit).cloned() else {
            return;
        };
        // Applied once: a later round of a loop runs the step afresh.
        let u = &self.units[unit];
        let key = (
            self.valid.workflow().steps[u.step].id.clone(),
            u.element.as_ref().map(|e| e.0),
        );
        self.prior.results.remove(&key);
        let attempts = match &prior {
            PriorResult::Succeeded { attempts, .. }
            | PriorResult::Failed { attempts, .. }
            | PriorResult::Blocked { attempts, .. } => (*attempts).max(1),
            PriorResult::Interrupted { attempt } => (*attempt).max(1),
        };
        self.units[unit].attempt = attempts;
        self.note_attempt_number(unit);
        let at = self.attempt_ref(unit);
        self.emit(EventKind::StepReused {
            at: at.clone(),
            from_run: self.prior.from_run.clone(),
        });
        match prior {
            PriorResult::Succeeded { result, .. } => {
                self.attempt_finished(unit, attempts, AttemptOutcome::Succeeded(result))
            }
            PriorResult::Blocked { error, .. } => {
                let result = AgentResult {
                    blocked: true,
                    errors: vec![Value::from(error)],
                    ..AgentResult::default()
                };
                self.attempt_finished(unit, attempts, AttemptOutcome::Succeeded(result))
            }
            PriorResult::Failed {
                error, timed_out, ..
            } => {
                self.running -= 1;
                self.failed(unit, at, error, timed_out, false);
            }
            PriorResult::Interrupted { .. } => {
                self.running -= 1;
                self.emit(EventKind::StepInterrupted { at });
                self.set_done(unit, BranchResult::Failed);
                // Skipped by the user's choice: what depends on it is skipped, the run goes on.
                self.unit_final(unit, NodeEnd::NotRun, None);
            }
        }
    }
}
