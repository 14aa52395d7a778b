//! A rerun from a step: a new run that takes over the stored results of
//! everything that is not STEP or downstream of it, and runs STEP and
//! everything after it again. Against an edited workflow file, a node's
//! results are reused only if its definition (and its branches') is
//! unchanged and everything it depends on was reused too — an edited step
//! reruns, and so does what follows it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use braid_engine::agents::shell::workflow_dir_of;
use braid_engine::run::machine::Prior;
use braid_model::validate::{NodeIx, NodeRef};
use braid_model::{ValidWorkflow, Validation, Workflow};
use braid_store::Store;
use petgraph::Direction;
use petgraph::visit::Dfs;

use crate::Refusal;
use crate::execute::Execution;
use crate::gate::{MainFile, gate};
use crate::prior::{last_attempts, loop_state, stored_workflow_dir, succeeded};
use crate::read::read_file;
use crate::refusal::store_error;
use crate::start::check_time_scale;

pub struct RerunRequest<'a> {
    pub run_id: &'a str,
    /// A step or group id; a branch step stands for its group.
    pub from: &'a str,
    /// Rerun against this (edited) file instead of the stored workflow.
    pub file: Option<&'a Path>,
    /// Default: the earlier run's.
    pub time_scale: Option<f64>,
    /// Approve the edited file and its sub-workflows (the CLI's `--trust`).
    pub trust: bool,
}

/// The prepared run and the node ids whose results it reuses.
pub fn prepare(store: &Store, args: &RerunRequest) -> Result<(Execution, Vec<String>), Refusal> {
    let usage = Refusal::Usage;
    let e = store_error;
    let record = store.run_record(args.run_id).map_err(e)?;
    let old = record.workflow().map_err(e)?;
    let (source, workflow_dir, workflow_path) = match args.file {
        Some(file) => (
            read_file(file).map_err(usage)?,
            workflow_dir_of(file),
            Some(file.to_path_buf()),
        ),
        None => (
            record
                .workflow_source
                .clone()
                .unwrap_or_default()
                .into_bytes(),
            stored_workflow_dir(&record)?,
            record.run.workflow_path.as_ref().map(PathBuf::from),
        ),
    };
    let valid = match braid_model::load(&source) {
        Validation::Valid(v) => Arc::new(*v),
        Validation::Invalid(diagnostics) => {
            let first = diagnostics
                .first()
                .map_or(String::new(), |d| format!(": {} at {}", d.message, d.path));
            return Err(Refusal::Invalid {
                message: format!("the workflow to rerun is invalid{first}"),
                file: workflow_path
                    .as_ref()
                    .map_or_else(|| "workflow".into(), |p| p.display().to_string()),
                diagnostics,
            });
        }
    };
    if let Some(ts) = args.time_scale {
        check_time_scale(ts).map_err(usage)?;
    }
    let main = match args.file {
        Some(file) => MainFile::Fresh {
            path: file,
            bytes: &source,
            workflow: valid.workflow(),
        },
        None => MainFile::Stored {
            path: workflow_path.as_deref(),
            workflow: valid.workflow(),
        },
    };
    let reviewed = gate(store, main, args.trust)?;
    let target = target_node(&valid, args.from).ok_or_else(|| {
        usage(format!(
            "`{}` is not a step or group of the workflow",
            args.from
        ))
    })?;
    let attempts = store.attempts(args.run_id).map_err(e)?;
    let last = last_attempts(&attempts);
    let reusable = reusable_nodes(&valid, &old, target);
    let mut prior = Prior {
        from_run: args.run_id.to_string(),
        ..Prior::default()
    };
    let mut reused = Vec::new();
    for node in valid.topo_order() {
        if !reusable.contains(node) {
            continue;
        }
        let steps = step_ids(&valid, *node);
        let results: Vec<_> = last
            .iter()
            .filter(|((step, _), _)| steps.contains(step))
            .filter_map(|(key, a)| succeeded(a).map(|r| (key.clone(), r)))
            .collect();
        if !results.is_empty() {
            reused.push(valid.node_id(*node).to_string());
            prior.results.extend(results);
        }
    }
    if !valid.loops().is_empty() {
        // Loops reused whole keep the rounds they ran (so a loop that ended
        // by its limit is not taken again); the loops around STEP restart.
        let events = store.run_events(args.run_id).map_err(e)?;
        let mut rounds = loop_state(&valid, &events).rounds;
        for l in valid.loops_around(target) {
            rounds.remove(valid.node_id(valid.loops()[l].to));
        }
        prior.rounds = rounds;
    }
    let execution = Execution {
        valid: valid.clone(),
        workflow_source: source,
        workflow_dir,
        workflow_path,
        run_id: ulid::Ulid::new().to_string(),
        inputs: record.run.inputs.clone(),
        time_scale: args.time_scale.unwrap_or(record.run.time_scale),
        prior,
        resumed: false,
        reviewed: Some(reviewed),
    };
    Ok((execution, reused))
}

/// STEP as an outer node: a branch step stands for its group.
fn target_node(valid: &ValidWorkflow, id: &str) -> Option<NodeIx> {
    valid.node(id).or_else(|| {
        let step = valid.workflow().steps.iter().find(|s| s.id == id)?;
        valid.node(step.group.as_deref()?)
    })
}

/// Nodes whose stored results may be reused: not the target or downstream
/// of it, with an unchanged definition, and depending only on reused nodes.
fn reusable_nodes(valid: &ValidWorkflow, old: &Workflow, target: NodeIx) -> HashSet<NodeIx> {
    let graph = &valid.graph().graph;
    let mut downstream = HashSet::new();
    let mut dfs = Dfs::new(graph, target);
    while let Some(n) = dfs.next(graph) {
        downstream.insert(n);
    }
    // From a node inside a loop, the whole loop starts again at round 1.
    for l in valid.loops_around(target) {
        downstream.extend(valid.loops()[l].body.iter().copied());
    }
    let mut reusable = HashSet::new();
    for &node in valid.topo_order() {
        let upstream_reused = graph
            .neighbors_directed(node, Direction::Incoming)
            .all(|p| reusable.contains(&p));
        if !downstream.contains(&node) && upstream_reused && unchanged(valid, old, node) {
            reusable.insert(node);
        }
    }
    reusable
}

/// Whether a node's definition (a step, or a group with its branches) is
/// the same in the stored workflow.
fn unchanged(valid: &ValidWorkflow, old: &Workflow, node: NodeIx) -> bool {
    let new = valid.workflow();
    let same_step = |id: &str| {
        let a = new.steps.iter().find(|s| s.id == id);
        let b = old.steps.iter().find(|s| s.id == id);
        matches!((a, b), (Some(a), Some(b)) if a == b)
    };
    match valid.graph().graph[node] {
        NodeRef::Step(i) => same_step(&new.steps[i].id),
        NodeRef::Group(g) => {
            let group = &new.groups[g];
            let old_group = old.groups.iter().find(|o| o.id == group.id);
            let old_branches = old
                .steps
                .iter()
                .filter(|s| s.group.as_deref() == Some(&group.id))
                .count();
            old_group == Some(group)
                && old_branches == valid.graph().branches[g].len()
                && valid.branches(g).all(|b| same_step(&b.id))
        }
    }
}

fn step_ids(valid: &ValidWorkflow, node: NodeIx) -> Vec<String> {
    match valid.graph().graph[node] {
        NodeRef::Step(i) => vec![valid.workflow().steps[i].id.clone()],
        NodeRef::Group(g) => valid.branches(g).map(|s| s.id.clone()).collect(),
    }
}
