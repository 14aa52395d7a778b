//! Per-node settings: aggregation rules, limits and resources, numeric
//! ranges, and agent configuration (including placeholder rules).

use serde_json::Value;

use super::graph::WorkflowGraph;
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{
    Agent, ApprovalAgent, HTTP_METHODS, HttpAgent, LlmAgent, Retry, ShellAgent, Step, Strategy,
    Workflow, WorkflowAgent,
};
use crate::template::{self, LOOP_ROUND, MAP_INDEX, MAP_ITEM, SECRET_PREFIX, is_valid_name};
use crate::url_template;

/// What a step's placeholders may name besides its `requires` and `reads`.
#[derive(Debug, Clone, Copy)]
struct Scope {
    /// `item` and `index`.
    map_branch: bool,
    /// `round`.
    in_loop: bool,
}

/// The implicit resource every step holds one unit of.
pub const CONCURRENCY: &str = "concurrency";

pub(super) fn check(workflow: &Workflow, graph: &WorkflowGraph, out: &mut Vec<Diagnostic>) {
    check_limits(workflow, out);
    if let Some(defaults) = &workflow.defaults {
        if let Some(t) = defaults.timeout_s {
            positive_seconds(t, "$.defaults.timeout_s", None, out);
        }
        if let Some(retry) = &defaults.retry {
            check_retry(retry, "$.defaults.retry", None, out);
        }
    }
    for (g, _) in workflow.groups.iter().enumerate() {
        check_aggregate(workflow, graph, g, out);
    }
    let map_branch: Vec<bool> = {
        let mut is_map = vec![false; workflow.steps.len()];
        for (g, group) in workflow.groups.iter().enumerate() {
            if group.for_each.is_some() {
                for &s in &graph.branches[g] {
                    is_map[s] = true;
                }
            }
        }
        is_map
    };
    for (i, step) in workflow.steps.iter().enumerate() {
        // With a cycle, loops are not worked out (the cycle is the error to
        // fix): `{{round}}` is then not reported as well.
        let in_loop = graph.topo.is_empty()
            || graph
                .by_id
                .get(step.group.as_deref().unwrap_or(&step.id))
                .is_some_and(|n| graph.loop_of.get(n.index()).copied().flatten().is_some());
        let scope = Scope {
            map_branch: map_branch[i],
            in_loop,
        };
        check_step(workflow, i, step, scope, out);
    }
}

fn check_limits(workflow: &Workflow, out: &mut Vec<Diagnostic>) {
    for (name, &capacity) in &workflow.limits {
        if capacity < 1 {
            out.push(Diagnostic::error(
                Code::BadLimit,
                format!("$.limits.{name}"),
                format!("limit `{name}` is {capacity}; a capacity must be a positive integer"),
            ));
        }
    }
    for (g, group) in workflow.groups.iter().enumerate() {
        if let Some(max) = group.max_concurrency {
            if max < 1 {
                out.push(
                    Diagnostic::error(
                        Code::BadLimit,
                        format!("$.groups[{g}].max_concurrency"),
                        format!(
                            "group `{}` has max_concurrency {max}; it must be at least 1",
                            group.id
                        ),
                    )
                    .with_nodes([&group.id]),
                );
            }
        }
    }
}

fn check_aggregate(
    workflow: &Workflow,
    graph: &WorkflowGraph,
    g: usize,
    out: &mut Vec<Diagnostic>,
) {
    let group = &workflow.groups[g];
    let agg = &group.aggregate;
    let path = format!("$.groups[{g}].aggregate");
    let mut bad = |field: &str, message: String| {
        out.push(
            Diagnostic::error(Code::BadAggregate, format!("{path}.{field}"), message)
                .with_nodes([&group.id]),
        );
    };
    for (field, value) in [
        ("approve_at", agg.approve_at),
        ("needs_work_at", agg.needs_work_at),
    ] {
        if let Some(v) = value {
            if !(0.0..=100.0).contains(&v) {
                bad(field, format!("{field} is {v}; scores run from 0 to 100"));
            }
        }
    }
    if let Some(needs_work) = agg.needs_work_at {
        if needs_work > agg.approve_at() {
            bad(
                "needs_work_at",
                format!(
                    "needs_work_at ({needs_work}) is above approve_at ({}); the needs-work band must lie below approval",
                    agg.approve_at()
                ),
            );
        }
        if agg.strategy == Strategy::First {
            bad(
                "needs_work_at",
                "`first` takes the winning branch's verdict as is; needs_work_at does not apply"
                    .into(),
            );
        }
    }
    let branch_count = graph.branches[g].len();
    match (agg.strategy, agg.k) {
        (Strategy::Quorum, None) => bad(
            "strategy",
            "`quorum` needs `k`, the number of approvals required".into(),
        ),
        (Strategy::Quorum, Some(k)) => {
            // A map's branch count is only known at run time.
            let upper = if group.for_each.is_some() {
                i64::MAX
            } else {
                branch_count as i64
            };
            if k < 1 || k > upper {
                bad(
                    "k",
                    format!(
                        "k is {k}; it must be between 1 and the number of branches ({branch_count})"
                    ),
                );
            }
        }
        (strategy, Some(_)) => bad(
            "k",
            format!("`k` only applies to `quorum`, not `{}`", strategy.as_str()),
        ),
        (_, None) => {}
    }
    for &s in &graph.branches[g] {
        let step = &workflow.steps[s];
        if let Some(w) = step.weight {
            if !(w.is_finite() && w >= 0.0) {
                out.push(
                    Diagnostic::error(
                        Code::BadAggregate,
                        format!("$.steps[{s}].weight"),
                        format!(
                            "branch `{}` has weight {w}; weights must be zero or more",
                            step.id
                        ),
                    )
                    .with_nodes([&step.id, &group.id]),
                );
            }
        }
    }
    if agg.strategy == Strategy::Weighted
        && branch_count > 0
        && graph.branches[g]
            .iter()
            .all(|&s| workflow.steps[s].weight() == 0.0)
    {
        out.push(
            Diagnostic::error(
                Code::BadAggregate,
                format!("{path}.strategy"),
                format!(
                    "every branch of `{}` has weight 0; a weighted mean needs a positive weight",
                    group.id
                ),
            )
            .with_nodes([&group.id]),
        );
    }
}

fn check_step(workflow: &Workflow, i: usize, step: &Step, scope: Scope, out: &mut Vec<Diagnostic>) {
    let path = format!("$.steps[{i}]");
    let node = Some(step.id.as_str());
    if let Some(t) = step.timeout_s {
        positive_seconds(t, &format!("{path}.timeout_s"), node, out);
    }
    if let Some(e) = step.estimate_s {
        if !(e.is_finite() && e >= 0.0) {
            out.push(value_error(
                &format!("{path}.estimate_s"),
                node,
                format!("estimate_s is {e}; it must be zero or more"),
            ));
        }
    }
    if let Some(retry) = &step.retry {
        check_retry(retry, &format!("{path}.retry"), node, out);
    }
    if step.weight.is_some() && step.group.is_none() {
        out.push(value_error(
            &format!("{path}.weight"),
            node,
            format!("step `{}` has a weight but is not a group branch; weights only matter inside a group", step.id),
        ));
    }
    for (name, &amount) in &step.resources {
        let rpath = format!("{path}.resources.{name}");
        let capacity = workflow.limits.get(name).copied();
        if capacity.is_none() && name != CONCURRENCY {
            out.push(
                Diagnostic::error(
                    Code::UnknownResource,
                    rpath,
                    format!(
                        "step `{}` uses resource `{name}`, which `limits` does not declare",
                        step.id
                    ),
                )
                .with_nodes([&step.id]),
            );
        } else if amount < 1 {
            out.push(
                Diagnostic::error(
                    Code::BadLimit,
                    rpath,
                    format!(
                        "step `{}` asks for {amount} `{name}`; amounts are positive integers",
                        step.id
                    ),
                )
                .with_nodes([&step.id]),
            );
        } else if let Some(cap) = capacity.filter(|&c| c >= 1 && amount > c) {
            out.push(
                Diagnostic::error(
                    Code::BadLimit,
                    rpath,
                    format!("step `{}` asks for {amount} `{name}` but the limit is {cap}; it could never start", step.id),
                )
                .with_nodes([&step.id]),
            );
        }
    }
    check_agent(step, &path, scope, out);
}

fn check_agent(step: &Step, path: &str, scope: Scope, out: &mut Vec<Diagnostic>) {
    let apath = format!("{path}.agent");
    let node = [step.id.as_str()];
    match &step.agent {
        Agent::Sim(sim) => {
            if let Some(score) = sim.score {
                if !(0.0..=100.0).contains(&score) {
                    out.push(agent_error(
                        &apath,
                        "score",
                        &node,
                        format!("score is {score}; scores run from 0 to 100"),
                    ));
                }
            }
            if let Some(rate) = sim.fail_rate {
                if !(0.0..=1.0).contains(&rate) {
                    out.push(agent_error(
                        &apath,
                        "fail_rate",
                        &node,
                        format!("fail_rate is {rate}; it is a probability from 0 to 1"),
                    ));
                }
            }
        }
        Agent::Shell(shell) => check_shell(step, shell, &apath, scope, out),
        Agent::Http(http) => check_http(step, http, &apath, scope, out),
        Agent::Llm(llm) => check_llm(step, llm, &apath, scope, out),
        Agent::Workflow(sub) => check_workflow(step, sub, &apath, scope, out),
        Agent::Approval(approval) => check_approval(step, approval, &apath, scope, out),
    }
}

fn check_approval(
    step: &Step,
    approval: &ApprovalAgent,
    apath: &str,
    scope: Scope,
    out: &mut Vec<Diagnostic>,
) {
    let node = [step.id.as_str()];
    if approval.prompt.trim().is_empty() {
        out.push(agent_error(
            apath,
            "prompt",
            &node,
            "`prompt` is empty: say what the person decides".into(),
        ));
    }
    for (i, key) in approval.show.iter().enumerate() {
        if !step.requires.contains(key) && !step.reads.contains(key) {
            out.push(agent_error(
                apath,
                &format!("show[{i}]"),
                &node,
                format!("`{key}` is shown but not in the step's `requires` or `reads`"),
            ));
        }
    }
    if step.produces.len() > 1 {
        out.push(agent_error(
            apath,
            "prompt",
            &node,
            "an approval step produces at most one key (the person's note)".into(),
        ));
    }
    check_placeholders(
        step,
        scope,
        vec![(format!("{apath}.prompt"), approval.prompt.as_str())],
        false,
        out,
    );
}

/// Every string inside a JSON value, with its path (for placeholder checks).
fn json_texts<'a>(value: &'a Value, path: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::String(s) => out.push((path, s)),
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                json_texts(v, format!("{path}[{i}]"), out);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                json_texts(v, format!("{path}.{k}"), out);
            }
        }
        _ => {}
    }
}

fn check_http(step: &Step, http: &HttpAgent, apath: &str, scope: Scope, out: &mut Vec<Diagnostic>) {
    let node = [step.id.as_str()];
    if let Some(method) = &http.method {
        if !HTTP_METHODS.contains(&method.trim().to_ascii_uppercase().as_str()) {
            out.push(agent_error(
                apath,
                "method",
                &node,
                format!(
                    "`{method}` is not a method the http agent sends ({})",
                    HTTP_METHODS.join(", ")
                ),
            ));
        }
    }
    if let Err(message) = url_template::parse_template(&http.url) {
        out.push(Diagnostic::error(Code::BadUrl, format!("{apath}.url"), message).with_nodes(node));
    }
    let mut texts: Vec<(String, &str)> = vec![(format!("{apath}.url"), http.url.as_str())];
    if let Some(body) = &http.body {
        json_texts(body, format!("{apath}.body"), &mut texts);
    }
    check_placeholders(step, scope, texts, false, out);
    let mut headers = Vec::new();
    for (name, value) in &http.headers {
        if http::HeaderName::from_bytes(name.trim().as_bytes()).is_err() {
            out.push(agent_error(
                apath,
                &format!("headers.{name}"),
                &node,
                format!(
                    "`{name}` is not a valid header name (and header names take no placeholders)"
                ),
            ));
        }
        headers.push((format!("{apath}.headers.{name}"), value.as_str()));
    }
    check_placeholders(step, scope, headers, true, out);
}

fn check_llm(step: &Step, llm: &LlmAgent, apath: &str, scope: Scope, out: &mut Vec<Diagnostic>) {
    let node = [step.id.as_str()];
    let base = format!("{apath}.base_url");
    if template::has_placeholder_syntax(&llm.base_url) {
        out.push(
            Diagnostic::error(
                Code::BadUrl,
                base,
                "`base_url` must be written literally: no placeholders",
            )
            .with_nodes(node),
        );
    } else if let Err(message) = url_template::parse_template(&llm.base_url) {
        out.push(Diagnostic::error(Code::BadUrl, base, message).with_nodes(node));
    }
    if llm.model.trim().is_empty() || template::has_placeholder_syntax(&llm.model) {
        out.push(agent_error(
            apath,
            "model",
            &node,
            "`model` names the model literally, e.g. \"llama3.1\"".into(),
        ));
    }
    if llm.prompt.trim().is_empty() {
        out.push(agent_error(
            apath,
            "prompt",
            &node,
            "`prompt` is empty".into(),
        ));
    }
    if let Some(key) = &llm.api_key {
        let found = template::placeholders(key);
        let is_one_secret = matches!(found.as_slice(), [p] if p.range == (0..key.trim_end().len())
            && key.trim_start().len() == key.len()
            && p.name.starts_with(SECRET_PREFIX));
        if !is_one_secret {
            out.push(agent_error(
                apath,
                "api_key",
                &node,
                "`api_key` must be a secret reference such as \"{{secret:OPENAI_API_KEY}}\"; never write a key into the file".into(),
            ));
        } else {
            check_placeholders(
                step,
                scope,
                vec![(format!("{apath}.api_key"), key.as_str())],
                true,
                out,
            );
        }
    }
    if let Some(t) = llm.temperature {
        if !(t.is_finite() && (0.0..=2.0).contains(&t)) {
            out.push(value_error(
                &format!("{apath}.temperature"),
                Some(&step.id),
                format!("temperature is {t}; it runs from 0 to 2"),
            ));
        }
    }
    if llm.max_tokens == Some(0) {
        out.push(value_error(
            &format!("{apath}.max_tokens"),
            Some(&step.id),
            "max_tokens is 0; the model could not answer".into(),
        ));
    }
    let mut texts = vec![(format!("{apath}.prompt"), llm.prompt.as_str())];
    if let Some(system) = &llm.system {
        texts.push((format!("{apath}.system"), system.as_str()));
    }
    check_placeholders(step, scope, texts, false, out);
}

fn check_workflow(
    step: &Step,
    sub: &WorkflowAgent,
    apath: &str,
    scope: Scope,
    out: &mut Vec<Diagnostic>,
) {
    let node = [step.id.as_str()];
    if sub.path.trim().is_empty() {
        out.push(agent_error(
            apath,
            "path",
            &node,
            "`path` names the sub-workflow file".into(),
        ));
    } else if template::has_placeholder_syntax(&sub.path) {
        out.push(agent_error(
            apath,
            "path",
            &node,
            "`path` must be written literally: data may not choose which workflow runs".into(),
        ));
    }
    let mut texts = Vec::new();
    for (key, value) in &sub.inputs {
        json_texts(value, format!("{apath}.inputs.{key}"), &mut texts);
    }
    check_placeholders(step, scope, texts, false, out);
}

/// Placeholders must name a `requires` key (or `item`/`index` in a map
/// branch); `{{secret:NAME}}` only where `secrets_allowed`, with a valid name.
fn check_placeholders(
    step: &Step,
    scope: Scope,
    texts: Vec<(String, &str)>,
    secrets_allowed: bool,
    out: &mut Vec<Diagnostic>,
) {
    let node = [step.id.as_str()];
    for (path, text) in texts {
        for placeholder in template::placeholders(text) {
            let name = placeholder.name;
            let bound = step.requires.iter().chain(&step.reads).any(|k| k == name)
                || scope.map_branch && (name == MAP_ITEM || name == MAP_INDEX)
                || scope.in_loop && name == LOOP_ROUND;
            if let Some(secret) = name.strip_prefix(SECRET_PREFIX) {
                if !secrets_allowed {
                    out.push(
                        Diagnostic::error(Code::BadAgent, path.clone(), format!("`{{{{{name}}}}}`: secrets may only appear in http headers and llm api_key"))
                            .with_nodes(node),
                    );
                } else if !is_valid_name(secret.trim()) {
                    out.push(
                        Diagnostic::error(Code::BadAgent, path.clone(), format!("`{secret}` is not a secret name (letters, digits and `_`, like an environment variable)"))
                            .with_nodes(node),
                    );
                }
            } else if !bound {
                out.push(
                    Diagnostic::error(
                        Code::UnknownPlaceholder,
                        path.clone(),
                        format!("placeholder `{{{{{name}}}}}` names a key that step `{}` does not list in `requires` or `reads`", step.id),
                    )
                    .with_nodes(node),
                );
            }
        }
    }
}

fn check_shell(
    step: &Step,
    shell: &ShellAgent,
    apath: &str,
    scope: Scope,
    out: &mut Vec<Diagnostic>,
) {
    let node = [step.id.as_str()];
    match (&shell.command, &shell.script) {
        (Some(_), Some(_)) => out.push(agent_error(
            apath,
            "script",
            &node,
            "give either `command` or `script`, not both".into(),
        )),
        (None, None) => out.push(agent_error(
            apath,
            "command",
            &node,
            "a shell agent needs `command` (an argv array) or `script`".into(),
        )),
        (Some(argv), None) if argv.first().is_none_or(|p| p.trim().is_empty()) => {
            out.push(agent_error(
                apath,
                "command",
                &node,
                "`command` needs a program as its first element".into(),
            ))
        }
        _ => {}
    }
    if let Some(script) = &shell.script {
        if template::has_placeholder_syntax(script) {
            out.push(
                Diagnostic::error(
                    Code::PlaceholderInScript,
                    format!("{apath}.script"),
                    "scripts may not contain `{{…}}` placeholders (they would be spliced into shell code); read the value from $BRAID_<KEY> instead",
                )
                .with_nodes(node),
            );
        }
    }
    let mut texts: Vec<(String, &str)> = Vec::new();
    for (j, arg) in shell.command.iter().flatten().enumerate() {
        texts.push((format!("{apath}.command[{j}]"), arg));
    }
    if let Some(cwd) = &shell.cwd {
        texts.push((format!("{apath}.cwd"), cwd));
    }
    for (name, value) in &shell.env {
        texts.push((format!("{apath}.env.{name}"), value));
    }
    check_placeholders(step, scope, texts, false, out);
}

fn check_retry(retry: &Retry, path: &str, node: Option<&str>, out: &mut Vec<Diagnostic>) {
    if retry.max_attempts == Some(0) {
        out.push(value_error(
            &format!("{path}.max_attempts"),
            node,
            "max_attempts is 0; it counts the first attempt, so it is at least 1".into(),
        ));
    }
    if let Some(f) = retry.factor {
        if !(f.is_finite() && f >= 1.0) {
            out.push(value_error(
                &format!("{path}.factor"),
                node,
                format!("factor is {f}; backoff must not shrink, use 1 or more"),
            ));
        }
    }
    if let (Some(b), Some(m)) = (retry.backoff_ms, retry.max_backoff_ms) {
        if m < b {
            out.push(value_error(
                &format!("{path}.max_backoff_ms"),
                node,
                format!("max_backoff_ms ({m}) is below backoff_ms ({b})"),
            ));
        }
    }
}

fn positive_seconds(value: f64, path: &str, node: Option<&str>, out: &mut Vec<Diagnostic>) {
    if !(value.is_finite() && value > 0.0) {
        out.push(value_error(
            path,
            node,
            format!("{value} s is not a usable timeout; it must be above 0"),
        ));
    }
}

fn value_error(path: &str, node: Option<&str>, message: String) -> Diagnostic {
    Diagnostic::error(Code::BadValue, path, message).with_nodes(node)
}

fn agent_error(apath: &str, field: &str, node: &[&str], message: String) -> Diagnostic {
    Diagnostic::error(Code::BadAgent, format!("{apath}.{field}"), message)
        .with_nodes(node.iter().copied())
}
