//! Scheduler tests: the machine driven by a virtual clock. Each attempt's
//! duration and outcome come from a script, so every rule is checked
//! deterministically without tokio or processes.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::*;
use crate::agents::result::AgentResult;
use crate::events::{EventKind, RunStatus};

fn valid(doc: Value) -> Arc<ValidWorkflow> {
    let bytes = serde_json::to_vec(&doc).unwrap();
    match crate::validate::load(&bytes) {
        crate::validate::Validation::Valid(v) => Arc::new(*v),
        crate::validate::Validation::Invalid(d) => panic!("test workflow invalid: {d:#?}"),
    }
}

fn sim(id: &str, ms: u64) -> Value {
    json!({ "id": id, "agent": { "kind": "sim", "duration_ms": ms } })
}

/// What an attempt does: (duration in virtual ms, outcome).
type Script = dyn Fn(&str, Option<u32>, u32) -> (u64, AttemptOutcome);

fn ok() -> AttemptOutcome {
    AttemptOutcome::Succeeded(AgentResult::default())
}
fn fail() -> AttemptOutcome {
    AttemptOutcome::Failed {
        error: "exit 1".into(),
    }
}
fn verdict(score: f64) -> AttemptOutcome {
    AttemptOutcome::Succeeded(AgentResult {
        score: Some(score),
        ..Default::default()
    })
}

struct Trace {
    status: RunStatus,
    events: Vec<(u64, EventKind)>,
    context: JsonMap,
    max_running: usize,
    cancels: Vec<String>,
}

impl Trace {
    fn kinds(&self, f: impl Fn(&EventKind) -> Option<String>) -> Vec<String> {
        self.events.iter().filter_map(|(_, e)| f(e)).collect()
    }
    fn started(&self) -> Vec<String> {
        self.kinds(|e| match e {
            EventKind::StepStarted { at } => Some(at.step.clone()),
            _ => None,
        })
    }
    fn skipped(&self) -> Vec<String> {
        self.kinds(|e| match e {
            EventKind::StepSkipped { step, .. } => Some(step.clone()),
            _ => None,
        })
    }
    fn succeeded(&self) -> Vec<String> {
        self.kinds(|e| match e {
            EventKind::StepSucceeded { at, .. } => Some(at.step.clone()),
            _ => None,
        })
    }
    fn start_time(&self, step: &str) -> u64 {
        self.events
            .iter()
            .find_map(|(t, e)| match e {
                EventKind::StepStarted { at } if at.step == step => Some(*t),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{step} never started"))
    }
}

/// Runs the machine to completion on a virtual clock. Attempts finish after
/// their scripted duration; `cancel_at` injects a cancel at that time.
fn drive(
    valid: Arc<ValidWorkflow>,
    inputs: JsonMap,
    script: &Script,
    cancel_at: Option<u64>,
) -> Trace {
    drive_with(valid, inputs, script, cancel_at, Prior::default())
}

fn drive_with(
    valid: Arc<ValidWorkflow>,
    inputs: JsonMap,
    script: &Script,
    cancel_at: Option<u64>,
    prior: Prior,
) -> Trace {
    let options = MachineOptions {
        default_concurrency: 4,
        time_scale: 1.0,
        seed: 1,
        ..MachineOptions::default()
    };
    let mut machine = Machine::new(valid.clone(), inputs, options).with_prior(prior);
    // (time, seq) → input
    let mut agenda: BTreeMap<(u64, u64), Input> = BTreeMap::new();
    let mut seq = 0u64;
    let mut now = 0u64;
    let mut events = Vec::new();
    let mut running: BTreeMap<UnitId, u32> = BTreeMap::new();
    let mut max_running = 0;
    let mut cancels = Vec::new();
    let mut status = None;
    if let Some(t) = cancel_at {
        agenda.insert(
            (t, u64::MAX),
            Input::Cancel {
                reason: "user".into(),
            },
        );
    }
    let mut effects = machine.start();
    loop {
        for effect in effects.drain(..) {
            match effect {
                Effect::Start(start) => {
                    let step = &valid.workflow().steps[start.step].id;
                    let (ms, outcome) =
                        script(step, start.element.as_ref().map(|e| e.0), start.attempt);
                    seq += 1;
                    running.insert(start.unit, start.attempt);
                    max_running = max_running.max(running.len());
                    agenda.insert(
                        (now + ms, seq),
                        Input::AttemptFinished {
                            unit: start.unit,
                            attempt: start.attempt,
                            outcome,
                        },
                    );
                }
                Effect::Timer { unit, delay_ms } => {
                    seq += 1;
                    agenda.insert((now + delay_ms, seq), Input::TimerFired { unit });
                }
                Effect::Cancel { unit } => {
                    let attempt = running[&unit];
                    cancels.push(valid.workflow().steps[machine.unit_step(unit).0].id.clone());
                    // The agent stops promptly: replace its pending finish with Cancelled.
                    agenda.retain(
                        |_, i| !matches!(i, Input::AttemptFinished { unit: u, .. } if *u == unit),
                    );
                    seq += 1;
                    agenda.insert(
                        (now, seq),
                        Input::AttemptFinished {
                            unit,
                            attempt,
                            outcome: AttemptOutcome::Cancelled,
                        },
                    );
                }
                Effect::Emit(kind) => events.push((now, kind)),
                Effect::Finished { status: s, .. } => status = Some(s),
            }
        }
        if status.is_some() {
            break;
        }
        let Some(((t, _), input)) = agenda.pop_first() else {
            panic!("machine stalled: {events:#?}")
        };
        now = t;
        if let Input::AttemptFinished { unit, .. } = &input {
            running.remove(unit);
        }
        effects = machine.handle(input);
    }
    Trace {
        status: status.unwrap(),
        events,
        context: machine.context().clone(),
        max_running,
        cancels,
    }
}

fn all_ok(_: &str, _: Option<u32>, _: u32) -> (u64, AttemptOutcome) {
    (10, ok())
}

fn wf(steps: Value, groups: Value, edges: Value) -> Value {
    json!({ "format": "braid/1", "id": "t", "steps": steps, "groups": groups, "edges": edges })
}

#[test]
fn a_chain_runs_in_order_and_succeeds() {
    let v = valid(wf(
        json!([sim("a", 10), sim("b", 10), sim("c", 10)]),
        json!([]),
        json!([{ "from": "a", "to": "b" }, { "from": "b", "to": "c" }]),
    ));
    let t = drive(v, JsonMap::new(), &all_ok, None);
    assert_eq!(t.status, RunStatus::Succeeded);
    assert_eq!(t.started(), ["a", "b", "c"]);
    assert_eq!((t.start_time("b"), t.start_time("c")), (10, 20));
}

#[test]
fn conditional_edges_skip_and_skips_propagate() {
    let mut a = sim("a", 10);
    a["required"] = json!(false);
    let v = valid(wf(
        json!([a, sim("on-ok", 10), sim("after-ok", 10), sim("on-fail", 10)]),
        json!([]),
        json!([
            { "from": "a", "to": "on-ok", "when": "succeeded" },
            { "from": "on-ok", "to": "after-ok" },
            { "from": "a", "to": "on-fail", "when": "failed" }
        ]),
    ));
    let t = drive(
        v,
        JsonMap::new(),
        &|s, _, _| (10, if s == "a" { fail() } else { ok() }),
        None,
    );
    assert_eq!(
        t.status,
        RunStatus::Succeeded,
        "an optional failure never ends the run"
    );
    assert_eq!(t.skipped(), ["on-ok", "after-ok"]);
    assert_eq!(t.succeeded(), ["on-fail"]);
}

#[test]
fn an_edge_from_an_optional_step_defaults_to_done() {
    let mut a = sim("a", 10);
    a["required"] = json!(false);
    let v = valid(wf(
        json!([a, sim("next", 10)]),
        json!([]),
        json!([{ "from": "a", "to": "next" }]),
    ));
    let t = drive(
        v,
        JsonMap::new(),
        &|s, _, _| (10, if s == "a" { fail() } else { ok() }),
        None,
    );
    assert_eq!(
        t.succeeded(),
        ["next"],
        "the optional failure lets the run go on"
    );
    assert_eq!(t.status, RunStatus::Succeeded);
}

#[test]
fn trigger_any_runs_when_one_edge_is_taken_and_all_upstream_finished() {
    let mut a = sim("a", 10);
    a["required"] = json!(false);
    let mut join = sim("join", 10);
    join["trigger"] = json!("any");
    let v = valid(wf(
        json!([a, sim("b", 50), sim("x", 10), join]),
        json!([]),
        json!([
            { "from": "a", "to": "x", "when": "succeeded" },
            { "from": "x", "to": "join" },
            { "from": "b", "to": "join" }
        ]),
    ));
    let t = drive(
        v,
        JsonMap::new(),
        &|s, _, _| {
            (
                if s == "b" { 50 } else { 10 },
                if s == "a" { fail() } else { ok() },
            )
        },
        None,
    );
    assert_eq!(t.skipped(), ["x"]);
    assert_eq!(
        t.start_time("join"),
        50,
        "waits for b although x was skipped at 10"
    );
    assert_eq!(t.status, RunStatus::Succeeded);
}

#[test]
fn trigger_all_skips_when_any_incoming_edge_is_not_taken() {
    let mut a = sim("a", 10);
    a["required"] = json!(false);
    let v = valid(wf(
        json!([a, sim("b", 10), sim("join", 10)]),
        json!([]),
        json!([{ "from": "a", "to": "join", "when": "succeeded" }, { "from": "b", "to": "join" }]),
    ));
    let t = drive(
        v,
        JsonMap::new(),
        &|s, _, _| (10, if s == "a" { fail() } else { ok() }),
        None,
    );
    assert_eq!(t.skipped(), ["join"]);
}

fn gates(strategy: Value) -> Value {
    let mut steps = Vec::new();
    for (id, w) in [("brand", 0.3), ("legal", 0.5), ("tech", 0.2)] {
        let mut s = sim(id, 10);
        s["group"] = json!("gates");
        s["weight"] = json!(w);
        s["produces"] = json!([format!("{id}_notes")]);
        steps.push(s);
    }
    steps[2]["required"] = json!(false);
    steps.push(sim("publish", 10));
    steps.push(sim("return", 10));
    wf(
        json!(steps),
        json!([{ "id": "gates", "aggregate": strategy }]),
        json!([
            { "from": "gates", "to": "publish", "when": "approved" },
            { "from": "gates", "to": "return", "when": "rejected" }
        ]),
    )
}

fn scores(
    brand: f64,
    legal: f64,
    tech: f64,
) -> impl Fn(&str, Option<u32>, u32) -> (u64, AttemptOutcome) {
    move |s, _, _| {
        let score = match s {
            "brand" => brand,
            "legal" => legal,
            "tech" => tech,
            _ => return (10, ok()),
        };
        let mut r = AgentResult {
            score: Some(score),
            ..Default::default()
        };
        r.outputs
            .insert(format!("{s}_notes"), json!(format!("{s} ok")));
        (10, AttemptOutcome::Succeeded(r))
    }
}

#[test]
fn a_weighted_group_approves_and_routes() {
    let v = valid(gates(
        json!({ "strategy": "weighted", "approve_at": 80, "needs_work_at": 60 }),
    ));
    let t = drive(v, JsonMap::new(), &scores(91.0, 88.0, 97.0), None);
    assert_eq!(t.status, RunStatus::Succeeded);
    assert_eq!(t.context["gates.outcome"], "approved");
    assert_eq!(t.context["gates.score"], json!(90.7));
    assert_eq!(t.context["gates.approved"], true);
    assert_eq!(t.context["legal_notes"], "legal ok");
    assert_eq!(t.skipped(), ["return"]);
}

#[test]
fn a_rejected_group_takes_the_rejected_route() {
    let v = valid(gates(
        json!({ "strategy": "weighted", "approve_at": 80, "needs_work_at": 60 }),
    ));
    let t = drive(v, JsonMap::new(), &scores(20.0, 30.0, 40.0), None);
    assert_eq!(t.context["gates.outcome"], "rejected");
    assert_eq!(t.skipped(), ["publish"]);
    assert!(t.succeeded().contains(&"return".to_string()));
    assert_eq!(
        t.status,
        RunStatus::Succeeded,
        "the rejected route handled it"
    );
}

#[test]
fn needs_work_without_a_taken_edge_becomes_the_run_status() {
    let v = valid(gates(
        json!({ "strategy": "weighted", "approve_at": 80, "needs_work_at": 60 }),
    ));
    let t = drive(v, JsonMap::new(), &scores(70.0, 70.0, 70.0), None);
    assert_eq!(t.context["gates.outcome"], "needs_work");
    assert_eq!(t.status, RunStatus::NeedsWork);
    let mut skipped = t.skipped();
    skipped.sort();
    assert_eq!(skipped, ["publish", "return"]);
}

#[test]
fn an_optional_branch_failure_is_left_out_of_the_aggregation() {
    let v = valid(gates(json!({ "strategy": "unanimous" })));
    let script = |s: &str, e, a| {
        if s == "tech" {
            (10, fail())
        } else {
            scores(90.0, 90.0, 0.0)(s, e, a)
        }
    };
    let t = drive(v, JsonMap::new(), &script, None);
    assert_eq!(t.context["gates.outcome"], "approved");
}

#[test]
fn a_required_branch_failure_fails_the_group_cancels_siblings_and_ends_the_run() {
    let v = valid(gates(json!({ "strategy": "majority" })));
    let script = |s: &str, _: Option<u32>, _: u32| match s {
        "legal" => (5, fail()),
        _ => (100, verdict(90.0)),
    };
    let t = drive(v, JsonMap::new(), &script, None);
    assert_eq!(t.status, RunStatus::Failed);
    assert_eq!(t.context["gates.outcome"], "failed");
    let mut cancelled = t.cancels.clone();
    cancelled.sort();
    assert_eq!(cancelled, ["brand", "tech"]);
    assert!(!t.started().contains(&"publish".to_string()));
}

#[test]
fn a_failed_group_with_a_failed_edge_does_not_end_the_run() {
    let mut doc = gates(json!({ "strategy": "majority" }));
    doc["steps"].as_array_mut().unwrap().push(sim("alert", 10));
    doc["edges"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "from": "gates", "to": "alert", "when": "failed" }));
    let v = valid(doc);
    let script = |s: &str, _: Option<u32>, _: u32| {
        if s == "legal" {
            (5, fail())
        } else {
            (10, ok())
        }
    };
    let t = drive(v, JsonMap::new(), &script, None);
    assert_eq!(t.status, RunStatus::Succeeded);
    assert!(t.succeeded().contains(&"alert".to_string()));
}

#[test]
fn first_takes_the_fastest_success_and_cancels_the_rest() {
    let mut steps = Vec::new();
    for id in ["fast", "slow", "slower"] {
        let mut s = sim(id, 10);
        s["group"] = json!("race");
        steps.push(s);
    }
    steps.push(sim("next", 10));
    let v = valid(wf(
        json!(steps),
        json!([{ "id": "race", "aggregate": { "strategy": "first" } }]),
        json!([{ "from": "race", "to": "next" }]),
    ));
    let script = |s: &str, _: Option<u32>, _: u32| match s {
        "fast" => (10, verdict(85.0)),
        "slow" => (50, ok()),
        "slower" => (90, ok()),
        _ => (10, ok()),
    };
    let t = drive(v, JsonMap::new(), &script, None);
    assert_eq!(t.context["race.outcome"], "approved");
    assert_eq!(t.context["race.score"], json!(85.0));
    let mut cancels = t.cancels.clone();
    cancels.sort();
    assert_eq!(cancels, ["slow", "slower"]);
    assert_eq!(t.start_time("next"), 10);
}

#[test]
fn a_map_runs_each_element_within_max_concurrency_and_collects_in_order() {
    let mut audit = sim("audit", 10);
    audit["group"] = json!("pages");
    audit["produces"] = json!(["report"]);
    let mut summary = sim("summary", 10);
    summary["requires"] = json!(["report"]);
    let doc = json!({
        "format": "braid/1", "id": "m",
        "context": { "urls": ["a", "b", "c", "d", "e"] },
        "steps": [audit, summary],
        "groups": [{ "id": "pages", "for_each": "urls", "aggregate": { "strategy": "all" }, "max_concurrency": 2 }],
        "edges": [{ "from": "pages", "to": "summary" }]
    });
    let v = valid(doc);
    // Later elements finish sooner, so completion order differs from element order.
    let script = |_: &str, e: Option<u32>, _: u32| {
        let e = e.unwrap_or(0);
        let mut r = AgentResult::default();
        r.outputs.insert("report".into(), json!(format!("r{e}")));
        (50 - e as u64 * 10, AttemptOutcome::Succeeded(r))
    };
    let t = drive(v, JsonMap::new(), &script, None);
    assert_eq!(t.status, RunStatus::Succeeded);
    assert_eq!(t.max_running, 2);
    assert_eq!(t.context["report"], json!(["r0", "r1", "r2", "r3", "r4"]));
    assert_eq!(t.context["pages.outcome"], "approved");
}

#[test]
fn a_map_over_a_non_list_fails_clearly() {
    let mut audit = sim("audit", 10);
    audit["group"] = json!("pages");
    let doc = json!({
        "format": "braid/1", "id": "m",
        "inputs": { "urls": { "required": true } },
        "steps": [audit],
        "groups": [{ "id": "pages", "for_each": "urls", "aggregate": { "strategy": "all" } }]
    });
    let mut inputs = JsonMap::new();
    inputs.insert("urls".into(), json!("not a list"));
    let t = drive(valid(doc), inputs, &all_ok, None);
    assert_eq!(t.status, RunStatus::Failed);
}

#[test]
fn a_required_phase_failure_ends_the_run_and_cancels_what_runs() {
    let v = valid(wf(
        json!([sim("bad", 10), sim("long", 10), sim("after", 10)]),
        json!([]),
        json!([{ "from": "bad", "to": "after" }]),
    ));
    let script = |s: &str, _: Option<u32>, _: u32| match s {
        "bad" => (10, fail()),
        _ => (1000, ok()),
    };
    let t = drive(v, JsonMap::new(), &script, None);
    assert_eq!(t.status, RunStatus::Failed);
    assert_eq!(t.cancels, ["long"]);
    let cancelled = t.kinds(|e| match e {
        EventKind::StepCancelled { step, .. } => Some(step.clone()),
        _ => None,
    });
    assert_eq!(cancelled, ["long"]);
    assert_eq!(t.skipped(), ["after"], "its edge needs `bad` to succeed");
}

#[test]
fn blocked_stops_the_run_as_blocked() {
    let v = valid(wf(
        json!([sim("gate", 10), sim("after", 10)]),
        json!([]),
        json!([{ "from": "gate", "to": "after" }]),
    ));
    let script = |s: &str, _: Option<u32>, _: u32| {
        if s == "gate" {
            (
                10,
                AttemptOutcome::Succeeded(AgentResult {
                    blocked: true,
                    ..Default::default()
                }),
            )
        } else {
            (10, ok())
        }
    };
    let t = drive(v, JsonMap::new(), &script, None);
    assert_eq!(t.status, RunStatus::Blocked);
    assert!(!t.started().contains(&"after".to_string()));
}

#[test]
fn retries_back_off_with_growing_delays_then_succeed() {
    let mut flaky = sim("flaky", 10);
    flaky["retry"] = json!({ "max_attempts": 3, "backoff_ms": 100, "factor": 2.0 });
    let v = valid(wf(json!([flaky]), json!([]), json!([])));
    let script =
        |_: &str, _: Option<u32>, attempt: u32| (10, if attempt < 3 { fail() } else { ok() });
    let t = drive(v, JsonMap::new(), &script, None);
    assert_eq!(t.status, RunStatus::Succeeded);
    let delays = t.kinds(|e| match e {
        EventKind::StepRetrying { delay_ms, .. } => Some(delay_ms.to_string()),
        _ => None,
    });
    assert_eq!(delays, ["100", "200"]);
    let starts: Vec<u64> = t
        .events
        .iter()
        .filter_map(|(time, e)| matches!(e, EventKind::StepStarted { .. }).then_some(*time))
        .collect();
    assert_eq!(starts, [0, 110, 320]);
}

#[test]
fn retries_are_exhausted_then_the_step_fails() {
    let mut flaky = sim("flaky", 10);
    flaky["retry"] = json!({ "max_attempts": 2, "backoff_ms": 5 });
    let v = valid(wf(json!([flaky]), json!([]), json!([])));
    let t = drive(v, JsonMap::new(), &|_, _, _| (10, fail()), None);
    assert_eq!(t.status, RunStatus::Failed);
    assert_eq!(t.started().len(), 2);
}

#[test]
fn retry_after_is_a_minimum_delay_and_unretryable_failures_end_the_step() {
    let mut flaky = sim("flaky", 10);
    flaky["retry"] = json!({ "max_attempts": 4, "backoff_ms": 100, "factor": 2.0 });
    let v = valid(wf(json!([flaky]), json!([]), json!([])));
    let throttled = |after: Option<u64>| AttemptOutcome::ServiceFailed {
        error: "HTTP 429".into(),
        retry_after_ms: after,
        retryable: true,
    };
    // Retry-After 1 s beats the 100 ms policy; 50 ms loses to the 200 ms one;
    // none at all leaves the policy's 400 ms.
    let script = move |_: &str, _: Option<u32>, attempt: u32| {
        (
            10,
            match attempt {
                1 => throttled(Some(1000)),
                2 => throttled(Some(50)),
                3 => throttled(None),
                _ => ok(),
            },
        )
    };
    let t = drive(v.clone(), JsonMap::new(), &script, None);
    assert_eq!(t.status, RunStatus::Succeeded);
    let delays = t.kinds(|e| match e {
        EventKind::StepRetrying { delay_ms, .. } => Some(delay_ms.to_string()),
        _ => None,
    });
    assert_eq!(delays, ["1000", "200", "400"]);

    // A failure the service says will not get better is not retried.
    let script = |_: &str, _: Option<u32>, _: u32| {
        (
            10,
            AttemptOutcome::ServiceFailed {
                error: "HTTP 401".into(),
                retry_after_ms: None,
                retryable: false,
            },
        )
    };
    let t = drive(v, JsonMap::new(), &script, None);
    assert_eq!(t.status, RunStatus::Failed);
    assert_eq!(t.started().len(), 1);
}

#[test]
fn cancel_stops_running_attempts_and_ends_cancelled() {
    let v = valid(wf(
        json!([sim("a", 1000), sim("b", 1000), sim("c", 10)]),
        json!([]),
        json!([{ "from": "a", "to": "c" }]),
    ));
    let t = drive(v, JsonMap::new(), &|_, _, _| (1000, ok()), Some(500));
    assert_eq!(t.status, RunStatus::Cancelled);
    let mut cancels = t.cancels.clone();
    cancels.sort();
    assert_eq!(cancels, ["a", "b"]);
    assert!(!t.started().contains(&"c".to_string()));
}

#[test]
fn the_concurrency_limit_and_named_resources_are_honoured() {
    let mut steps = Vec::new();
    for i in 0..4 {
        let mut s = sim(&format!("api{i}"), 10);
        s["resources"] = json!({ "api": 1 });
        steps.push(s);
    }
    steps.push(sim("free", 10));
    let doc = json!({ "format": "braid/1", "id": "r", "limits": { "concurrency": 3, "api": 2 }, "steps": steps });
    let t = drive(valid(doc), JsonMap::new(), &all_ok, None);
    // api0, api1 hold both api permits; free overtakes api2 and api3.
    assert_eq!(
        (
            t.start_time("api0"),
            t.start_time("api1"),
            t.start_time("free")
        ),
        (0, 0, 0)
    );
    assert_eq!((t.start_time("api2"), t.start_time("api3")), (10, 10));
    assert_eq!(t.max_running, 3);
}

#[test]
fn undeclared_outputs_are_dropped_with_a_warning() {
    let mut a = sim("a", 10);
    a["produces"] = json!(["x"]);
    let v = valid(wf(json!([a]), json!([]), json!([])));
    let script = |_: &str, _: Option<u32>, _: u32| {
        let mut r = AgentResult::default();
        r.outputs.insert("x".into(), json!(1));
        r.outputs.insert("sneaky".into(), json!(2));
        (10, AttemptOutcome::Succeeded(r))
    };
    let t = drive(v, JsonMap::new(), &script, None);
    assert_eq!(t.context.get("x"), Some(&json!(1)));
    assert!(!t.context.contains_key("sneaky"));
    assert_eq!(
        t.kinds(|e| matches!(e, EventKind::Warning { .. }).then(String::new))
            .len(),
        1
    );
}

#[test]
fn steps_receive_only_their_required_keys_and_writes_are_audited() {
    let mut a = sim("a", 10);
    a["requires"] = json!(["page_id"]);
    a["produces"] = json!(["page_id"]);
    let doc = json!({
        "format": "braid/1", "id": "c",
        "inputs": { "page_id": { "required": true }, "secret_note": {} },
        "steps": [a]
    });
    let valid = valid(doc);
    let mut machine = Machine::new(
        valid,
        serde_json::from_value(json!({ "page_id": "p1", "secret_note": "x" })).unwrap(),
        MachineOptions::default(),
    );
    let effects = machine.start();
    let start = effects
        .iter()
        .find_map(|e| {
            if let Effect::Start(s) = e {
                Some(s.clone())
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(Value::Object(start.inputs), json!({ "page_id": "p1" }));
    let mut r = AgentResult::default();
    r.outputs.insert("page_id".into(), json!("p2"));
    let effects = machine.handle(Input::AttemptFinished {
        unit: start.unit,
        attempt: 1,
        outcome: AttemptOutcome::Succeeded(r),
    });
    let write = effects.iter().find_map(|e| match e {
        Effect::Emit(EventKind::ContextWrite {
            writer,
            key,
            old,
            new,
            ..
        }) if writer == "a" => Some((key.clone(), old.clone(), new.clone())),
        _ => None,
    });
    assert_eq!(
        write,
        Some(("page_id".into(), Some(json!("p1")), json!("p2")))
    );
}

fn reused(t: &Trace) -> Vec<String> {
    t.kinds(|e| match e {
        EventKind::StepReused { at, .. } => Some(at.step.clone()),
        _ => None,
    })
}

#[test]
fn prior_results_are_reused_instead_of_run_and_rebuild_the_context() {
    let mut a = sim("a", 10);
    a["produces"] = json!(["x"]);
    let mut b = sim("b", 10);
    b["requires"] = json!(["x"]);
    let v = valid(wf(
        json!([a, b, sim("c", 10)]),
        json!([]),
        json!([{ "from": "a", "to": "b" }, { "from": "b", "to": "c" }]),
    ));
    let mut result = AgentResult::default();
    result.outputs.insert("x".into(), json!("from before"));
    let prior = Prior {
        from_run: "run-1".into(),
        results: [(
            ("a".to_string(), None),
            PriorResult::Succeeded {
                result,
                attempts: 2,
            },
        )]
        .into_iter()
        .collect(),
        ..Prior::default()
    };
    let t = drive_with(v, JsonMap::new(), &all_ok, None, prior);
    assert_eq!(t.status, RunStatus::Succeeded);
    assert_eq!(t.started(), ["b", "c"], "a is not run again");
    assert_eq!(reused(&t), ["a"]);
    assert_eq!(t.context["x"], "from before");
    assert_eq!(t.start_time("b"), 0);
}

#[test]
fn a_reused_failure_takes_the_failure_route_without_retrying() {
    let mut a = sim("a", 10);
    a["required"] = json!(false);
    a["retry"] = json!({ "max_attempts": 3 });
    let v = valid(wf(
        json!([a, sim("ok", 10), sim("recover", 10)]),
        json!([]),
        json!([{ "from": "a", "to": "ok", "when": "succeeded" }, { "from": "a", "to": "recover", "when": "failed" }]),
    ));
    let prior = Prior {
        from_run: "run-1".into(),
        results: [(
            ("a".to_string(), None),
            PriorResult::Failed {
                error: "boom".into(),
                attempts: 3,
                timed_out: false,
            },
        )]
        .into_iter()
        .collect(),
        ..Prior::default()
    };
    let t = drive_with(v, JsonMap::new(), &all_ok, None, prior);
    assert_eq!(t.started(), ["recover"]);
    assert_eq!(t.skipped(), ["ok"]);
}

#[test]
fn a_map_reuses_finished_elements_and_runs_the_rest() {
    let mut audit = sim("audit", 10);
    audit["group"] = json!("pages");
    audit["produces"] = json!(["report"]);
    let doc = json!({
        "format": "braid/1", "id": "m",
        "context": { "urls": ["a", "b", "c"] },
        "steps": [audit],
        "groups": [{ "id": "pages", "for_each": "urls", "aggregate": { "strategy": "all" } }]
    });
    let mut done = AgentResult::default();
    done.outputs.insert("report".into(), json!("old r1"));
    let prior = Prior {
        from_run: "r".into(),
        results: [(
            ("audit".to_string(), Some(1)),
            PriorResult::Succeeded {
                result: done,
                attempts: 1,
            },
        )]
        .into_iter()
        .collect(),
        ..Prior::default()
    };
    let script = |_: &str, e: Option<u32>, _: u32| {
        let mut r = AgentResult::default();
        r.outputs
            .insert("report".into(), json!(format!("new r{}", e.unwrap())));
        (10, AttemptOutcome::Succeeded(r))
    };
    let t = drive_with(valid(doc), JsonMap::new(), &script, None, prior);
    assert_eq!(t.started().len(), 2);
    assert_eq!(t.context["report"], json!(["new r0", "old r1", "new r2"]));
}

#[test]
fn an_interrupted_step_skipped_on_resume_skips_what_depends_on_it() {
    let v = valid(wf(
        json!([sim("a", 10), sim("b", 10), sim("other", 10)]),
        json!([]),
        json!([{ "from": "a", "to": "b" }]),
    ));
    let prior = Prior {
        from_run: "r".into(),
        results: [(
            ("a".to_string(), None),
            PriorResult::Interrupted { attempt: 1 },
        )]
        .into_iter()
        .collect(),
        ..Prior::default()
    };
    let t = drive_with(v, JsonMap::new(), &all_ok, None, prior);
    assert_eq!(t.status, RunStatus::Succeeded);
    assert_eq!(t.started(), ["other"]);
    assert_eq!(t.skipped(), ["b"]);
}

#[test]
fn a_rerun_interrupted_attempt_continues_the_numbering_and_keeps_its_retries() {
    let mut flaky = sim("flaky", 10);
    flaky["retry"] = json!({ "max_attempts": 2 });
    let v = valid(wf(json!([flaky]), json!([]), json!([])));
    let prior = Prior {
        from_run: "r".into(),
        attempts_made: [(("flaky".to_string(), None), 3)].into_iter().collect(),
        ..Prior::default()
    };
    let script =
        |_: &str, _: Option<u32>, attempt: u32| (10, if attempt == 4 { fail() } else { ok() });
    let t = drive_with(v, JsonMap::new(), &script, None, prior);
    assert_eq!(t.status, RunStatus::Succeeded);
    let attempts = t.kinds(|e| match e {
        EventKind::StepStarted { at } => Some(at.attempt.to_string()),
        _ => None,
    });
    assert_eq!(
        attempts,
        ["4", "5"],
        "numbering continues; max_attempts counts this run's tries"
    );
}

// --- loops (format revision 2) ----------------------------------------------

fn with_recommendations(score: f64, texts: &[&str]) -> AttemptOutcome {
    AttemptOutcome::Succeeded(AgentResult {
        score: Some(score),
        recommendations: texts.iter().map(|t| json!(t)).collect(),
        ..Default::default()
    })
}

/// draft → review (one critic, threshold 80, needs work from 50) → publish,
/// with a loop review → draft on needs_work of at most `max` rounds.
fn review_loop(max: u32) -> Arc<ValidWorkflow> {
    let mut critic = sim("critic", 10);
    critic["group"] = json!("review");
    let mut draft = sim("draft", 10);
    draft["reads"] = json!(["review.recommendations"]);
    valid(wf(
        json!([draft, critic, sim("publish", 10), sim("give-up", 10)]),
        json!([{ "id": "review",
                 "aggregate": { "strategy": "threshold", "approve_at": 80, "needs_work_at": 50 } }]),
        json!([
            { "from": "draft", "to": "review" },
            { "from": "review", "to": "draft", "when": "needs_work", "loop": { "max_rounds": max } },
            { "from": "review", "to": "publish" },
            { "from": "review", "to": "give-up", "when": "needs_work" }
        ]),
    ))
}

fn rounds_of(t: &Trace, step: &str) -> Vec<u32> {
    t.events
        .iter()
        .filter_map(|(_, e)| match e {
            EventKind::StepStarted { at } if at.step == step => Some(at.round),
            _ => None,
        })
        .collect()
}

#[test]
fn a_loop_runs_its_body_again_until_the_condition_stops_holding() {
    // The critic's score rises with each round: 60, 70, 90.
    let t = drive(
        review_loop(5),
        JsonMap::new(),
        &|s, _, attempt| match s {
            "critic" => (
                10,
                with_recommendations(
                    50.0 + 10.0 * attempt as f64 + if attempt == 3 { 10.0 } else { 0.0 },
                    &["more examples"],
                ),
            ),
            _ => (10, ok()),
        },
        None,
    );
    assert_eq!(t.status, RunStatus::Succeeded);
    assert_eq!(rounds_of(&t, "draft"), [1, 2, 3]);
    assert_eq!(rounds_of(&t, "critic"), [1, 2, 3]);
    assert_eq!(
        t.kinds(|e| match e {
            EventKind::StepStarted { at } if at.step == "critic" => Some(at.attempt.to_string()),
            _ => None,
        }),
        ["1", "2", "3"],
        "attempt numbers go on across rounds"
    );
    assert_eq!(t.succeeded().last().unwrap(), "publish");
    // While the loop was taken, review's other needs_work edge waited:
    // give-up was never decided on, and is skipped only in the last round.
    assert_eq!(t.skipped(), ["give-up"]);
    assert_eq!(t.context["draft.round"], json!(3));
    assert_eq!(
        t.context["review.recommendations"],
        json!([{ "from": "critic", "text": "more examples" }])
    );
    assert!(
        t.kinds(|e| matches!(e, EventKind::LoopExhausted { .. }).then(String::new))
            .is_empty()
    );
}

#[test]
fn max_rounds_ends_a_loop_and_the_other_edges_decide() {
    let t = drive(
        review_loop(3),
        JsonMap::new(),
        &|s, _, _| match s {
            "critic" => (10, verdict(60.0)),
            _ => (10, ok()),
        },
        None,
    );
    assert_eq!(rounds_of(&t, "critic"), [1, 2, 3]);
    assert_eq!(
        t.kinds(|e| match e {
            EventKind::LoopExhausted { to, rounds, .. } => Some(format!("{to}:{rounds}")),
            _ => None,
        }),
        ["draft:3"]
    );
    // After the limit, needs_work routes to give-up; publish is skipped.
    assert!(t.succeeded().contains(&"give-up".to_string()));
    assert_eq!(t.skipped(), ["publish"]);
    assert_eq!(
        t.status,
        RunStatus::Succeeded,
        "a taken edge handled needs_work"
    );
}

#[test]
fn a_self_loop_retries_a_failing_step_as_rounds() {
    let v = valid(wf(
        json!([sim("poll", 10), sim("after", 10)]),
        json!([]),
        json!([
            { "from": "poll", "to": "poll", "when": "failed", "loop": { "max_rounds": 4 } },
            { "from": "poll", "to": "after" }
        ]),
    ));
    let t = drive(
        v,
        JsonMap::new(),
        &|s, _, attempt| {
            (
                10,
                if s == "poll" && attempt < 3 {
                    fail()
                } else {
                    ok()
                },
            )
        },
        None,
    );
    assert_eq!(rounds_of(&t, "poll"), [1, 2, 3]);
    assert_eq!(
        t.status,
        RunStatus::Succeeded,
        "a failure the loop takes does not end the run"
    );
    assert_eq!(t.succeeded(), ["poll", "after"]);
}

#[test]
fn an_inner_loop_starts_again_at_round_1_in_every_outer_round() {
    let v = valid(wf(
        json!([
            sim("plan", 10),
            sim("write", 10),
            sim("check", 10),
            sim("judge", 10)
        ]),
        json!([]),
        json!([
            { "from": "plan", "to": "write" },
            { "from": "write", "to": "check" },
            { "from": "check", "to": "write", "when": "failed", "loop": { "max_rounds": 2 } },
            { "from": "check", "to": "judge", "when": "done" },
            { "from": "judge", "to": "plan", "when": "failed", "loop": { "max_rounds": 2 } }
        ]),
    ));
    // check fails in the first round of each inner loop; judge fails once.
    let t = drive(
        v,
        JsonMap::new(),
        &|s, _, attempt| match s {
            "check" if attempt % 2 == 1 => (10, fail()),
            "judge" if attempt == 1 => (10, fail()),
            _ => (10, ok()),
        },
        None,
    );
    assert_eq!(rounds_of(&t, "plan"), [1, 2]);
    assert_eq!(
        rounds_of(&t, "write"),
        [1, 2, 1, 2],
        "the inner loop restarts"
    );
    assert_eq!(t.status, RunStatus::Succeeded);
}

#[test]
fn stale_units_of_an_earlier_round_do_not_count_in_the_next() {
    // A `first` group decides with its fast branch while the slow one is
    // still being cancelled; the loop runs the group again at once.
    let mut fast = sim("fast", 10);
    fast["group"] = json!("race");
    let mut slow = sim("slow", 100);
    slow["group"] = json!("race");
    let v = valid(wf(
        json!([sim("start", 10), fast, slow]),
        json!([{ "id": "race", "aggregate": { "strategy": "first", "approve_at": 80 } }]),
        json!([
            { "from": "start", "to": "race" },
            { "from": "race", "to": "start", "when": "rejected", "loop": { "max_rounds": 3 } }
        ]),
    ));
    let t = drive(
        v,
        JsonMap::new(),
        &|s, _, attempt| match s {
            "fast" => (10, verdict(if attempt < 3 { 10.0 } else { 90.0 })),
            "slow" => (100, verdict(90.0)),
            _ => (10, ok()),
        },
        None,
    );
    assert_eq!(rounds_of(&t, "fast"), [1, 2, 3]);
    assert_eq!(t.status, RunStatus::Succeeded);
}

#[test]
fn a_required_key_that_was_never_written_blocks_its_reader_without_an_attempt() {
    let mut transform = sim("transform", 10);
    transform["produces"] = json!(["html"]);
    let mut publish = sim("publish", 10);
    publish["requires"] = json!(["html"]);
    let v = valid(wf(
        json!([transform, publish]),
        json!([]),
        json!([{ "from": "transform", "to": "publish" }]),
    ));
    // transform succeeds but writes nothing.
    let t = drive(v, JsonMap::new(), &all_ok, None);
    assert!(!t.started().contains(&"publish".to_string()));
    let blocked = t.kinds(|e| match e {
        EventKind::StepBlocked {
            at,
            error,
            error_code,
        } => Some(format!(
            "{} {error} {}",
            at.step,
            error_code.clone().unwrap_or_default()
        )),
        _ => None,
    });
    assert_eq!(
        blocked,
        ["publish html: declared by transform, not written input_not_written"]
    );
    assert_eq!(t.status, RunStatus::Blocked);
}

#[test]
fn reads_are_passed_when_present_and_recommendations_become_context_keys() {
    let mut a = sim("a", 10);
    a["required"] = json!(false);
    a["produces"] = json!(["assets"]);
    let mut b = sim("b", 10);
    b["reads"] = json!(["assets", "a.recommendations"]);
    let v = valid(wf(
        json!([a, b]),
        json!([]),
        json!([{ "from": "a", "to": "b" }]),
    ));
    let valid = v.clone();
    let mut machine = Machine::new(valid, JsonMap::new(), MachineOptions::default());
    let effects = machine.start();
    let start_a = effects
        .iter()
        .find_map(|e| match e {
            Effect::Start(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    let effects = machine.handle(Input::AttemptFinished {
        unit: start_a.unit,
        attempt: 1,
        outcome: AttemptOutcome::Failed {
            error: "cdn down".into(),
        },
    });
    let start_b = effects
        .iter()
        .find_map(|e| match e {
            Effect::Start(s) => Some(s.clone()),
            _ => None,
        })
        .expect("the optional step's failure lets b run (edge defaults to done)");
    assert_eq!(
        start_b.inputs,
        json!({ "a.recommendations": [] })
            .as_object()
            .unwrap()
            .clone(),
        "an absent read is absent; a failed step's recommendations are []"
    );
}
