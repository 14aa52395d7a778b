//! The planner rehearses the run machine the driver runs, so its schedule is
//! what a run does. For random `sim`-only workflows — groups of every
//! strategy, maps, `first`, limits, a named resource, `max_concurrency`,
//! conditional edges, `any` triggers, optional steps, verdicts that route
//! away from the happy path — `plan`'s per-node spans and end must match a
//! real run at time scale 1 within 5 % + 20 ms.
//!
//! A schedule can hinge on a tie: two attempts planned to end within a few
//! milliseconds of each other, one of which takes the last `api` slot or
//! wins a `first` group. A real run breaks such a tie by scheduling noise,
//! so the comparison would test the noise. Each case is therefore first
//! re-planned with every duration stretched by a few random milliseconds
//! (what a real run's overhead does); a case whose plan changes shape under
//! that is set aside (`prop_assume!`), and the rest must match the run.

use std::collections::HashMap;
use std::sync::Arc;

use braid_engine::events::{Event, EventKind};
use braid_engine::plan::{Plan, PlanOptions, Span, plan};
use braid_model::validate::{ValidWorkflow, Validation, validate};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

use crate::run::execute;

const STRATEGIES: [&str; 7] = [
    "all",
    "unanimous",
    "majority",
    "quorum",
    "weighted",
    "threshold",
    "first",
];
const CONCURRENCY: usize = 4;

#[derive(Debug, Clone)]
struct StepSpec {
    duration_ms: u64,
    approved: Option<bool>,
    score: Option<u8>,
    optional: bool,
    uses_api: bool,
    any_trigger: bool,
}

#[derive(Debug, Clone)]
struct GroupSpec {
    strategy: usize,
    branches: usize,
    map_elements: Option<usize>,
    max_concurrency: Option<i64>,
}

#[derive(Debug, Clone)]
struct Case {
    phase: usize,
    groups: Vec<GroupSpec>,
    steps: Vec<StepSpec>,
    /// `(from, to, condition)` over outer nodes by index (from < to keeps it acyclic).
    edges: Vec<(usize, usize, u8)>,
    concurrency: Option<i64>,
    api: Option<i64>,
}

fn step_spec() -> impl Strategy<Value = StepSpec> {
    (
        2u64..=24,
        prop_oneof![2 => Just(None), 2 => Just(Some(true)), 1 => Just(Some(false))],
        prop_oneof![2 => Just(None), 1 => (0u8..=10).prop_map(|s| Some(s * 10))],
        prop::bool::weighted(0.2),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(d, approved, score, optional, uses_api, any_trigger)| StepSpec {
                duration_ms: d * 5,
                approved,
                score,
                optional,
                uses_api,
                any_trigger,
            },
        )
}

fn group_spec() -> impl Strategy<Value = GroupSpec> {
    (
        0..STRATEGIES.len(),
        1usize..=3,
        prop_oneof![2 => Just(None), 1 => (0usize..=3).prop_map(Some)],
        prop_oneof![2 => Just(None), 1 => (1i64..=2).prop_map(Some)],
    )
        .prop_map(
            |(strategy, branches, map_elements, max_concurrency)| GroupSpec {
                strategy,
                // A map has exactly one branch.
                branches: if map_elements.is_some() { 1 } else { branches },
                map_elements,
                max_concurrency,
            },
        )
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..=4, proptest::collection::vec(group_spec(), 0..=2)).prop_flat_map(|(phase, groups)| {
        let steps = phase + groups.iter().map(|g| g.branches).sum::<usize>();
        let outer = phase + groups.len();
        (
            Just(phase),
            Just(groups),
            proptest::collection::vec(step_spec(), steps),
            proptest::collection::vec((0..outer, 0..outer, 0u8..8), 0..=outer * 2),
            prop_oneof![2 => Just(None), 1 => (1i64..=3).prop_map(Some)],
            prop_oneof![1 => Just(None), 1 => (1i64..=2).prop_map(Some)],
        )
            .prop_map(|(phase, groups, steps, edges, concurrency, api)| Case {
                phase,
                groups,
                steps,
                edges: edges.into_iter().filter(|(a, b, _)| a < b).collect(),
                concurrency,
                api,
            })
    })
}

/// The case as a workflow file: outer nodes are the phase steps `s0…`,
/// then the groups `g0…` (branches `g0b0…`).
fn document(case: &Case) -> Value {
    let mut steps = Vec::new();
    let mut specs = case.steps.iter();
    let mut step = |id: String, group: Option<String>, spec: &StepSpec| {
        let mut agent = json!({ "kind": "sim", "duration_ms": spec.duration_ms });
        if let Some(a) = spec.approved {
            agent["approved"] = json!(a);
        }
        if let Some(s) = spec.score {
            agent["score"] = json!(s);
        }
        let mut doc = json!({ "id": id, "agent": agent });
        if let Some(g) = group {
            doc["group"] = json!(g);
        }
        if spec.optional {
            doc["required"] = json!(false);
        }
        if spec.uses_api && case.api.is_some() {
            doc["resources"] = json!({ "api": 1 });
        }
        if spec.any_trigger {
            doc["trigger"] = json!("any");
        }
        steps.push(doc);
    };
    for i in 0..case.phase {
        step(
            format!("s{i}"),
            None,
            specs.next().expect("a spec per step"),
        );
    }
    let mut groups = Vec::new();
    let mut context = serde_json::Map::new();
    for (g, spec) in case.groups.iter().enumerate() {
        let id = format!("g{g}");
        for b in 0..spec.branches {
            let mut branch = specs.next().expect("a spec per step").clone();
            branch.any_trigger = false; // branches have no incoming edges
            step(format!("{id}b{b}"), Some(id.clone()), &branch);
        }
        let strategy = STRATEGIES[spec.strategy];
        let mut aggregate = json!({ "strategy": strategy });
        if strategy == "quorum" {
            aggregate["k"] = json!(1);
        }
        let mut group = json!({ "id": id, "aggregate": aggregate });
        if let Some(m) = spec.max_concurrency {
            group["max_concurrency"] = json!(m);
        }
        if let Some(n) = spec.map_elements {
            let key = format!("items{g}");
            context.insert(key.clone(), json!((0..n).collect::<Vec<_>>()));
            group["for_each"] = json!(key);
        }
        groups.push(group);
    }
    let outer: Vec<String> = (0..case.phase)
        .map(|i| format!("s{i}"))
        .chain((0..case.groups.len()).map(|g| format!("g{g}")))
        .collect();
    let mut seen = std::collections::HashSet::new();
    let edges: Vec<Value> = case
        .edges
        .iter()
        .filter(|(a, b, _)| seen.insert((*a, *b)))
        .map(|&(a, b, c)| {
            let from_group = a >= case.phase;
            let when = if from_group {
                [
                    "approved",
                    "approved",
                    "needs_work",
                    "rejected",
                    "failed",
                    "done",
                    "",
                    "",
                ]
            } else {
                ["succeeded", "failed", "done", "", "", "", "", ""]
            }[c as usize];
            let mut edge = json!({ "from": outer[a], "to": outer[b] });
            if !when.is_empty() {
                edge["when"] = json!(when);
            }
            edge
        })
        .collect();
    let mut limits = serde_json::Map::new();
    if let Some(c) = case.concurrency {
        limits.insert("concurrency".into(), json!(c));
    }
    if let Some(a) = case.api {
        limits.insert("api".into(), json!(a));
    }
    json!({
        "format": "braid/1",
        "id": "plan-vs-run",
        "context": context,
        "limits": limits,
        "steps": steps,
        "groups": groups,
        "edges": edges,
    })
}

fn planned(valid: &ValidWorkflow, stretch: &HashMap<String, u64>) -> Plan {
    let durations: HashMap<String, u64> = valid
        .workflow()
        .steps
        .iter()
        .map(|s| {
            let base = match &s.agent {
                braid_model::model::Agent::Sim(sim) => sim.duration_ms.unwrap_or(0),
                _ => 0,
            };
            (
                s.id.clone(),
                base + stretch.get(&s.id).copied().unwrap_or(0),
            )
        })
        .collect();
    let history = move |step: &str| durations.get(step).copied();
    plan(
        valid,
        &PlanOptions {
            default_concurrency: CONCURRENCY,
            history: &history,
        },
    )
}

/// Every span of a plan: outer nodes, and branches as `branch:<id>`.
fn spans_of(plan: &Plan) -> HashMap<String, Span> {
    plan.schedule
        .iter()
        .map(|(id, s)| (id.clone(), *s))
        .chain(
            plan.branches
                .iter()
                .map(|(id, s)| (format!("branch:{id}"), *s)),
        )
        .collect()
}

/// Whether `other` has the same nodes running within `slack` ms of `base`.
fn same_shape(base: &Plan, other: &Plan, slack: u64) -> bool {
    let (a, b) = (spans_of(base), spans_of(other));
    a.len() == b.len()
        && a.iter().all(|(id, s)| {
            b.get(id).is_some_and(|o| {
                o.start_ms.abs_diff(s.start_ms) <= slack && o.end_ms.abs_diff(s.end_ms) <= slack
            })
        })
}

/// The spans a run's events show, in ms since the run started.
fn observed(valid: &ValidWorkflow, events: &[Event]) -> (HashMap<String, Span>, u64) {
    let t0 = events.first().map_or(0, |e| e.at_ms);
    let is_phase = |step: &str| valid.node(step).is_some();
    let mut spans: HashMap<String, Span> = HashMap::new();
    let mut widen = |key: String, at: u64, start: bool| {
        let span = spans.entry(key).or_insert(Span {
            start_ms: at,
            end_ms: at,
        });
        if start {
            span.start_ms = span.start_ms.min(at);
        }
        span.end_ms = span.end_ms.max(at);
    };
    let mut end = 0;
    for e in events {
        let at = e.at_ms - t0;
        let key = |step: &str| {
            if is_phase(step) {
                step.to_string()
            } else {
                format!("branch:{step}")
            }
        };
        match &e.kind {
            EventKind::StepStarted { at: a } => widen(key(&a.step), at, true),
            EventKind::StepSucceeded { at: a, .. }
            | EventKind::StepFailed { at: a, .. }
            | EventKind::StepTimedOut { at: a, .. }
            | EventKind::StepBlocked { at: a, .. } => widen(key(&a.step), at, false),
            EventKind::StepCancelled {
                step,
                attempt: Some(_),
                ..
            } => widen(key(step), at, false),
            EventKind::GroupStarted { group, .. } => widen(group.clone(), at, true),
            EventKind::GroupAggregated { group, .. } => widen(group.clone(), at, false),
            EventKind::RunFinished { .. } => end = at,
            _ => {}
        }
    }
    (spans, end)
}

fn within(planned: u64, actual: u64) -> bool {
    actual.abs_diff(planned) as f64 <= planned as f64 * 0.05 + 20.0
}

fn check(case: &Case, runtime: &tokio::runtime::Runtime) -> Result<(), TestCaseError> {
    let doc = document(case);
    let valid = match validate(serde_json::from_value(doc.clone()).expect("a workflow")) {
        Validation::Valid(v) => Arc::new(*v),
        Validation::Invalid(_) => return Err(TestCaseError::reject("not a valid workflow")),
    };
    let base = planned(&valid, &HashMap::new());
    // Robust to a run's noise? Stretch every duration by 0–6 ms, four ways.
    for round in 0..4u64 {
        let stretch: HashMap<String, u64> = valid
            .workflow()
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mix = (i as u64 + 1)
                    .wrapping_mul(round + 3)
                    .wrapping_mul(2_654_435_761);
                (s.id.clone(), (mix >> 7) % 7)
            })
            .collect();
        prop_assume!(
            same_shape(&base, &planned(&valid, &stretch), 12),
            "the plan hinges on a tie"
        );
    }
    let bytes = serde_json::to_vec(&doc).expect("serialises");
    let dir = std::env::temp_dir();
    let (outcome, events) = runtime.block_on(execute(&bytes, &dir, json!({}), 1.0));
    let (actual, end) = observed(&valid, &events);
    let expected = spans_of(&base);
    let mut ran: Vec<&String> = actual.keys().collect();
    let mut predicted: Vec<&String> = expected.keys().collect();
    ran.sort();
    predicted.sort();
    prop_assert_eq!(
        &predicted,
        &ran,
        "nodes that ran ({:?}); document {}",
        outcome.status,
        doc
    );
    for (id, p) in &expected {
        let a = actual[id];
        prop_assert!(
            within(p.start_ms, a.start_ms) && within(p.end_ms, a.end_ms),
            "{id}: planned {p:?}, ran {a:?}; document {doc}"
        );
    }
    prop_assert!(
        within(base.predicted_ms, end),
        "end: planned {} ms, ran {end} ms; document {doc}",
        base.predicted_ms
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        max_global_rejects: 4096,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_plan_matches_a_real_run(case in case()) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        check(&case, &runtime)?;
    }
}
