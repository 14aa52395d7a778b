//! Property tests of the validator, the canonical writer and the planner
//! over randomly generated workflows.
//!
//! The validator's verdict on graph structure is checked against an
//! independent oracle (duplicate ids, dangling edges, and a DFS for cycles
//! written here), and every error it reports must point at an id that is
//! really at fault.

use std::collections::{HashMap, HashSet};

use braid_engine::plan::{PlanOptions, plan};
use braid_model::canonical::workflow_to_string;
use braid_model::model::{
    Agent, Aggregate, Edge, FORMAT_V1, Group, SimAgent, Step, Strategy as Agg, When, Workflow,
};
use braid_model::parse::parse_workflow;
use braid_model::{Code, Diagnostic, ValidWorkflow, Validation, validate};
use indexmap::IndexMap;
use proptest::prelude::*;
use serde_json::Value;

// ---------------------------------------------------------------------------
// Building workflows.

fn sim_step(id: &str, group: Option<&str>, duration_ms: u64) -> Step {
    Step {
        reads: Vec::new(),
        id: id.to_string(),
        name: None,
        group: group.map(str::to_string),
        agent: Agent::Sim(SimAgent {
            duration_ms: Some(duration_ms),
            ..SimAgent::default()
        }),
        requires: Vec::new(),
        produces: Vec::new(),
        required: None,
        weight: None,
        timeout_s: None,
        retry: None,
        resources: IndexMap::new(),
        estimate_s: None,
        trigger: None,
        idempotent: None,
    }
}

fn group(id: &str, strategy: Agg, k: Option<i64>) -> Group {
    Group {
        id: id.to_string(),
        name: None,
        aggregate: Aggregate {
            strategy,
            approve_at: None,
            needs_work_at: None,
            k,
        },
        max_concurrency: None,
        for_each: None,
    }
}

fn workflow(steps: Vec<Step>, groups: Vec<Group>, edges: Vec<Edge>) -> Workflow {
    Workflow {
        format: FORMAT_V1.to_string(),
        id: "prop".to_string(),
        name: None,
        description: None,
        inputs: IndexMap::new(),
        context: serde_json::Map::new(),
        limits: IndexMap::new(),
        defaults: None,
        steps,
        groups,
        edges,
    }
}

/// An edge condition that fits both steps and groups, or none.
fn when_strategy() -> impl Strategy<Value = Option<When>> {
    prop_oneof![
        3 => Just(None),
        1 => Just(Some(When::Done)),
        1 => Just(Some(When::Failed)),
    ]
}

/// Ids from a small pool so that duplicates come up; `unique` draws a
/// permutation instead.
fn ids_strategy(max: usize) -> impl Strategy<Value = Vec<String>> {
    let unique = (1..=max)
        .prop_flat_map(|n| Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        .prop_map(|v| v.into_iter().map(|i| format!("n{i}")).collect::<Vec<_>>());
    let with_dups = proptest::collection::vec(0..max, 1..=max)
        .prop_map(|v| v.into_iter().map(|i| format!("n{i}")).collect::<Vec<_>>());
    prop_oneof![3 => unique, 1 => with_dups]
}

/// Edge endpoints as indices: `< ids.len()` names an id, anything above a
/// name that does not exist (a dangling edge).
fn endpoint(ids: &[String], i: usize) -> String {
    ids.get(i)
        .cloned()
        .unwrap_or_else(|| format!("ghost-{}", i - ids.len()))
}

// ---------------------------------------------------------------------------
// The oracle.

struct Expected {
    duplicates: HashSet<String>,
    dangling: HashSet<String>,
    /// Only meaningful when ids are unique.
    acyclic: bool,
}

impl Expected {
    fn valid(&self) -> bool {
        self.duplicates.is_empty() && self.dangling.is_empty() && self.acyclic
    }
}

/// `all_ids`: every step and group id (for uniqueness); `outer`: ids that may
/// be edge endpoints.
fn oracle(all_ids: &[String], outer: &[String], edges: &[Edge]) -> Expected {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for id in all_ids {
        *count.entry(id).or_default() += 1;
    }
    let duplicates = count
        .iter()
        .filter(|&(_, &c)| c > 1)
        .map(|(id, _)| id.to_string())
        .collect();
    let outer_set: HashSet<&str> = outer.iter().map(String::as_str).collect();
    let dangling = edges
        .iter()
        .flat_map(|e| [&e.from, &e.to])
        .filter(|end| !outer_set.contains(end.as_str()))
        .cloned()
        .collect();

    // Iterative three-colour DFS over the edges whose ends both exist.
    let mut succ: HashMap<&str, Vec<&str>> = HashMap::new();
    for e in edges {
        if outer_set.contains(e.from.as_str()) && outer_set.contains(e.to.as_str()) {
            succ.entry(&e.from).or_default().push(&e.to);
        }
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Colour {
        White,
        Grey,
        Black,
    }
    let mut colour: HashMap<&str, Colour> = outer_set.iter().map(|&n| (n, Colour::White)).collect();
    let mut acyclic = true;
    'roots: for &root in &outer_set {
        if colour[root] != Colour::White {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(root, 0)];
        colour.insert(root, Colour::Grey);
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let children = succ.get(node).map_or(&[][..], Vec::as_slice);
            if let Some(&child) = children.get(*next) {
                *next += 1;
                match colour[child] {
                    Colour::Grey => {
                        acyclic = false;
                        break 'roots;
                    }
                    Colour::White => {
                        colour.insert(child, Colour::Grey);
                        stack.push((child, 0));
                    }
                    Colour::Black => {}
                }
            } else {
                colour.insert(node, Colour::Black);
                stack.pop();
            }
        }
    }
    Expected {
        duplicates,
        dangling,
        acyclic,
    }
}

/// Checks the validator's verdict and every error's blame against the oracle.
fn check_against_oracle(
    wf: &Workflow,
    all_ids: &[String],
    outer: &[String],
) -> Result<Option<ValidWorkflow>, TestCaseError> {
    let expected = oracle(all_ids, outer, &wf.edges);
    let edge_set: HashSet<(&str, &str)> = wf
        .edges
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str()))
        .collect();
    let validation = validate(wf.clone());
    let diagnostics: Vec<Diagnostic> = validation.diagnostics().to_vec();
    let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();

    prop_assert_eq!(
        matches!(validation, Validation::Valid(_)),
        expected.valid(),
        "duplicates {:?}, dangling {:?}, acyclic {}, diagnostics {:#?}",
        expected.duplicates,
        expected.dangling,
        expected.acyclic,
        diagnostics
    );
    let known: HashSet<&str> = all_ids
        .iter()
        .map(String::as_str)
        .chain(
            wf.edges
                .iter()
                .flat_map(|e| [e.from.as_str(), e.to.as_str()]),
        )
        .collect();
    for d in &errors {
        prop_assert!(
            d.nodes.iter().any(|n| known.contains(n.as_str())),
            "error names no id of the input: {:?}",
            d
        );
        match d.code {
            Code::DuplicateId => prop_assert!(
                d.nodes.iter().any(|n| expected.duplicates.contains(n)),
                "duplicate_id blames no duplicated id: {:?}",
                d
            ),
            Code::DanglingEdge => prop_assert!(
                d.nodes.iter().any(|n| expected.dangling.contains(n)),
                "dangling_edge blames no missing id: {:?}",
                d
            ),
            Code::Cycle => {
                // The named nodes, in order, must close a cycle of real edges.
                let n = d.nodes.len();
                prop_assert!(n > 0, "empty cycle: {:?}", d);
                for i in 0..n {
                    let (a, b) = (d.nodes[i].as_str(), d.nodes[(i + 1) % n].as_str());
                    prop_assert!(
                        edge_set.contains(&(a, b)),
                        "cycle step {a} → {b} is no edge: {:?}",
                        d
                    );
                }
            }
            other => prop_assert!(false, "unexpected error code {other}: {:?}", d),
        }
    }
    let has = |code: Code| errors.iter().any(|d| d.code == code);
    prop_assert_eq!(has(Code::DuplicateId), !expected.duplicates.is_empty());
    prop_assert_eq!(has(Code::DanglingEdge), !expected.dangling.is_empty());
    if expected.duplicates.is_empty() {
        prop_assert_eq!(has(Code::Cycle), !expected.acyclic, "{:#?}", diagnostics);
    }
    Ok(validation.into_result().ok())
}

fn check_plan(valid: &ValidWorkflow) -> Result<(), TestCaseError> {
    for concurrency in [1, 3] {
        let options = PlanOptions {
            default_concurrency: concurrency,
            ..PlanOptions::default()
        };
        let p = plan(valid, &options);
        prop_assert!(
            p.predicted_ms >= p.critical_path.duration_ms,
            "predicted {} < critical path {} ({:?})",
            p.predicted_ms,
            p.critical_path.duration_ms,
            p.critical_path.nodes
        );
        // Only outer nodes are scheduled, each at most once, inside the run.
        prop_assert!(p.schedule.len() <= valid.topo_order().len());
        for (id, span) in &p.schedule {
            prop_assert!(
                span.start_ms <= span.end_ms && span.end_ms <= p.predicted_ms,
                "{id}: {span:?}"
            );
        }
        // Branches run inside their group's span, and the group ends with
        // its last branch (a `first` group's losers are cancelled at its end).
        for group in &valid.workflow().groups {
            let Some(g) = p.schedule.get(&group.id) else {
                continue;
            };
            let ends: Vec<u64> = valid
                .workflow()
                .steps
                .iter()
                .filter(|s| s.group.as_deref() == Some(group.id.as_str()))
                .filter_map(|s| p.branches.get(&s.id))
                .map(|b| {
                    prop_assert!(
                        b.start_ms >= g.start_ms && b.end_ms <= g.end_ms,
                        "{}: {b:?} in {g:?}",
                        group.id
                    );
                    Ok(b.end_ms)
                })
                .collect::<Result<_, TestCaseError>>()?;
            if let Some(&end) = ends.iter().max() {
                prop_assert_eq!(
                    end,
                    g.end_ms,
                    "{} ends with the branch it waits for",
                    group.id
                );
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Property 1: flat workflows of sim steps.

/// Edges as (from index, to index, condition).
type EdgeSpecs = Vec<(usize, usize, Option<When>)>;

fn flat_case() -> impl Strategy<Value = (Vec<String>, EdgeSpecs, Vec<u64>)> {
    ids_strategy(10).prop_flat_map(|ids| {
        let n = ids.len();
        // Mostly real endpoints, sometimes one of two ghosts.
        let end = prop_oneof![9 => 0..n, 1 => n..n + 2];
        let edges = proptest::collection::vec((end.clone(), end, when_strategy()), 0..=2 * n);
        let durations = proptest::collection::vec(0u64..1000, n);
        (Just(ids), edges, durations)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn flat_validity_matches_an_independent_oracle((ids, edges, durations) in flat_case()) {
        let steps = ids.iter().zip(&durations).map(|(id, &d)| sim_step(id, None, d)).collect();
        let edges = edges
            .into_iter()
            .map(|(a, b, when)| Edge { loop_: None, from: endpoint(&ids, a), to: endpoint(&ids, b), when })
            .collect();
        let wf = workflow(steps, Vec::new(), edges);
        if let Some(valid) = check_against_oracle(&wf, &ids, &ids)? {
            check_plan(&valid)?;
        }
    }
}

// ---------------------------------------------------------------------------
// Property 2: steps and groups; branches have no edges.

#[derive(Debug, Clone)]
struct GroupSpec {
    strategy: Agg,
    branches: usize,
}

fn group_spec() -> impl Strategy<Value = GroupSpec> {
    (0..Agg::ALL.len(), 1usize..=3).prop_map(|(s, branches)| GroupSpec {
        strategy: Agg::ALL[s],
        branches,
    })
}

type GroupCase = (Vec<String>, Vec<GroupSpec>, Vec<String>, EdgeSpecs);

fn grouped_case() -> impl Strategy<Value = GroupCase> {
    (
        ids_strategy(6),
        proptest::collection::vec(group_spec(), 1..=3),
        any::<bool>(),
    )
        .prop_flat_map(|(step_ids, groups, clash)| {
            // Group ids `g{i}`; with `clash`, one may reuse a step id.
            let mut group_ids: Vec<String> = (0..groups.len()).map(|i| format!("g{i}")).collect();
            if clash {
                group_ids[0] = step_ids[0].clone();
            }
            let outer_n = step_ids.len() + groups.len();
            let end = prop_oneof![9 => 0..outer_n, 1 => outer_n..outer_n + 2];
            let edges =
                proptest::collection::vec((end.clone(), end, when_strategy()), 0..=2 * outer_n);
            (Just(step_ids), Just(groups), Just(group_ids), edges)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn grouped_validity_matches_an_independent_oracle((step_ids, specs, group_ids, edges) in grouped_case()) {
        let mut steps: Vec<Step> = step_ids.iter().map(|id| sim_step(id, None, 10)).collect();
        let mut groups = Vec::new();
        let mut all_ids = step_ids.clone();
        for (g, (spec, gid)) in specs.iter().zip(&group_ids).enumerate() {
            let k = (spec.strategy == Agg::Quorum).then_some(spec.branches as i64);
            groups.push(group(gid, spec.strategy, k));
            for b in 0..spec.branches {
                let id = format!("b{g}-{b}");
                steps.push(sim_step(&id, Some(gid), 5 + b as u64));
                all_ids.push(id);
            }
        }
        all_ids.extend(group_ids.iter().cloned());
        let outer: Vec<String> = step_ids.iter().chain(&group_ids).cloned().collect();
        let edges = edges
            .into_iter()
            .map(|(a, b, when)| Edge { loop_: None, from: endpoint(&outer, a), to: endpoint(&outer, b), when })
            .collect();
        let wf = workflow(steps, groups, edges);
        if let Some(valid) = check_against_oracle(&wf, &all_ids, &outer)? {
            check_plan(&valid)?;
        }
    }
}

// ---------------------------------------------------------------------------
// Property 3: valid workflows survive the canonical writer and plan soundly.

/// Arbitrary strings, including control characters, quotes, backslashes,
/// non-BMP characters and NUL.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z ]{0,12}",
        "\\PC{0,12}",
        proptest::collection::vec(any::<char>(), 0..8).prop_map(|c| c.into_iter().collect()),
        Just("nul \u{0} \"quoted\" \\ back \u{202e}rtl \u{200b}zw \u{1F600}".to_string()),
    ]
}

/// Decimals of at most 13 significant digits (`-1234.5678`), not integral
/// (integral floats are written as integers on purpose: `80.0` → `80`).
/// Full-precision floats have their own, currently failing, property below.
fn short_decimal() -> impl Strategy<Value = f64> {
    (-999_999_999_999i64..=999_999_999_999, 1u32..=6)
        .prop_filter("non-integral", |&(m, e)| m % 10i64.pow(e) != 0)
        .prop_map(|(m, e)| m as f64 / 10f64.powi(e as i32))
}

/// Arbitrary JSON values with integers, strings and non-integral floats.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        short_decimal().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((text(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
struct NodeSpec {
    /// `None`: a phase step; `Some(spec)`: a group.
    group: Option<GroupSpec>,
    duration: u64,
    estimate: Option<f64>,
    optional: bool,
    any_trigger: bool,
    api: Option<i64>,
    name: Option<String>,
}

fn node_spec() -> impl Strategy<Value = NodeSpec> {
    (
        proptest::option::weighted(0.3, group_spec()),
        0u64..10_000,
        proptest::option::weighted(0.2, (0u32..1_000_000).prop_map(|m| f64::from(m) / 1000.0)),
        any::<bool>(),
        proptest::bool::weighted(0.2),
        proptest::option::weighted(0.3, 1i64..=2),
        proptest::option::weighted(0.3, text()),
    )
        .prop_map(
            |(group, duration, estimate, optional, any_trigger, api, name)| NodeSpec {
                group,
                duration,
                estimate,
                optional,
                any_trigger,
                api,
                name,
            },
        )
}

type ValidCase = (
    Vec<NodeSpec>,
    EdgeSpecs,
    Vec<(String, Value)>,
    Option<String>,
    Option<i64>,
    Option<usize>,
);

fn valid_case() -> impl Strategy<Value = ValidCase> {
    proptest::collection::vec(node_spec(), 1..=12).prop_flat_map(|nodes| {
        let n = nodes.len();
        // Forward edges only (a < b after sorting), so the graph is a DAG.
        let edges =
            proptest::collection::vec((0..n, 0..n, when_strategy()), 0..=2 * n).prop_map(|v| {
                v.into_iter()
                    .filter(|(a, b, _)| a != b)
                    .map(|(a, b, w)| (a.min(b), a.max(b), w))
                    .collect::<Vec<_>>()
            });
        let context = proptest::collection::vec(("[a-z_]{1,8}", json_value()), 0..4);
        (
            Just(nodes),
            edges,
            context,
            proptest::option::of(text()),
            proptest::option::of(1i64..=4),
            proptest::option::of(0..n),
        )
    })
}

fn build_valid(case: &ValidCase) -> Workflow {
    let (nodes, edges, context, description, concurrency, map_at) = case;
    let mut steps = Vec::new();
    let mut groups = Vec::new();
    let mut ids = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        let id = format!("n{i}");
        ids.push(id.clone());
        let make = |id: &str, group: Option<&str>, duration: u64| {
            let mut step = sim_step(id, group, duration);
            step.estimate_s = node.estimate;
            step.required = node.optional.then_some(false);
            step.name = node.name.clone();
            if let Some(api) = node.api {
                step.resources.insert("api".into(), api);
            }
            step
        };
        match &node.group {
            None => {
                let mut step = make(&id, None, node.duration);
                step.trigger = node.any_trigger.then_some(braid_model::model::Trigger::Any);
                steps.push(step);
            }
            Some(spec) => {
                let is_map = *map_at == Some(i);
                let branches = if is_map { 1 } else { spec.branches };
                let k = (spec.strategy == Agg::Quorum).then_some(branches as i64);
                let mut g = group(&id, spec.strategy, k);
                g.max_concurrency = node.api.map(|a| a + 1);
                if is_map {
                    g.for_each = Some("items".into());
                }
                groups.push(g);
                for b in 0..branches {
                    let mut step = make(
                        &format!("{id}-b{b}"),
                        Some(&id),
                        node.duration / (b as u64 + 1),
                    );
                    if spec.strategy == Agg::Weighted {
                        step.weight = Some(0.25 + b as f64);
                    }
                    steps.push(step);
                }
            }
        }
    }
    let edges = edges
        .iter()
        .map(|&(a, b, when)| Edge {
            loop_: None,
            from: ids[a].clone(),
            to: ids[b].clone(),
            when,
        })
        .collect();
    let mut wf = workflow(steps, groups, edges);
    wf.description = description.clone();
    for (k, v) in context {
        wf.context.insert(k.clone(), v.clone());
    }
    wf.context
        .insert("items".into(), Value::from(vec![1, 2, 3]));
    wf.limits.insert("api".into(), 2);
    if let Some(c) = concurrency {
        wf.limits.insert("concurrency".into(), *c);
    }
    wf
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn valid_workflows_round_trip_and_plan_soundly(case in valid_case()) {
        let wf = build_valid(&case);
        let valid = match validate(wf.clone()) {
            Validation::Valid(v) => v,
            Validation::Invalid(d) => {
                return Err(TestCaseError::fail(format!("generated workflow is invalid: {d:#?}")));
            }
        };
        let text = workflow_to_string(&wf);
        let back = parse_workflow(text.as_bytes())
            .map_err(|d| TestCaseError::fail(format!("canonical output does not parse: {d:#?}\n{text}")))?;
        prop_assert_eq!(&back, &wf, "round trip changed the model:\n{}", text);
        prop_assert_eq!(workflow_to_string(&back), text);
        check_plan(&valid)?;
    }
}

// ---------------------------------------------------------------------------
// Property 4: every finite float survives load → save → load exactly.

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Pins an engine bug: serde_json without its `float_roundtrip` feature
    /// parses floats only approximately, so the writer's shortest form of a
    /// parsed float can read back as a different float (`-959630.7702311627`
    /// reads as `…628`; `3.5e50` drifts on every save). Enable
    /// `float_roundtrip` on the workspace's serde_json and drop the `ignore`.
    #[test]

    fn any_float_survives_the_canonical_writer(x in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        let mut wf = workflow(vec![sim_step("a", None, 1)], Vec::new(), Vec::new());
        wf.context.insert("x".into(), Value::from(x));
        let text = workflow_to_string(&wf);
        let back = parse_workflow(text.as_bytes())
            .map_err(|d| TestCaseError::fail(format!("{d:?}")))?;
        let y = back.context["x"].as_f64();
        prop_assert!(y == Some(x), "{x:?} was written as {} and read back as {y:?}", text.lines().find(|l| l.contains("\"x\"")).unwrap_or(""));
    }
}
