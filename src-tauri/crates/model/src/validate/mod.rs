//! Validation: from a parsed [`Workflow`] to a [`ValidWorkflow`], or every
//! problem at once as [`Diagnostic`]s.
//!
//! Checks run in layers so one mistake does not drown in its consequences:
//! structure first (ids, groups, edges, cycles), then per-node settings
//! (aggregation, limits, agents), then data flow over the acyclic graph
//! (`missing_input`, `write_conflict`, `unreachable`, `unused_output`), which
//! only runs when the structure is sound enough to reason about.

mod dataflow;
pub mod graph;
pub mod loops;
pub mod references;
mod settings;
mod structure;

pub use graph::{LoopInfo, NodeIx, NodeRef, ValidWorkflow, WorkflowGraph, effective_when};

use crate::diagnostic::{Diagnostic, has_errors};
use crate::model::Workflow;

/// Result of validating one workflow.
#[derive(Debug)]
pub enum Validation {
    Valid(Box<ValidWorkflow>),
    /// All diagnostics, errors and warnings, in file order of discovery.
    Invalid(Vec<Diagnostic>),
}

/// Validates a parsed workflow.
pub fn validate(workflow: Workflow) -> Validation {
    let mut diagnostics = Vec::new();
    let graph = structure::check(&workflow, &mut diagnostics);
    settings::check(&workflow, &graph, &mut diagnostics);
    if !graph.topo.is_empty() || workflow.steps.is_empty() && workflow.groups.is_empty() {
        dataflow::check(&workflow, &graph, &mut diagnostics);
    }
    if has_errors(&diagnostics) {
        Validation::Invalid(diagnostics)
    } else {
        Validation::Valid(Box::new(ValidWorkflow {
            workflow,
            graph,
            warnings: diagnostics,
        }))
    }
}

impl Validation {
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Validation::Valid(v) => v.warnings(),
            Validation::Invalid(d) => d,
        }
    }
    pub fn into_result(self) -> Result<ValidWorkflow, Vec<Diagnostic>> {
        match self {
            Validation::Valid(v) => Ok(*v),
            Validation::Invalid(d) => Err(d),
        }
    }
}

/// Parses and validates in one go: what `braid validate` and the editor call.
pub fn load(bytes: &[u8]) -> Validation {
    match crate::parse::parse_workflow(bytes) {
        Ok(workflow) => validate(workflow),
        Err(diagnostics) => Validation::Invalid(diagnostics),
    }
}

/// True for a valid id: `[a-z0-9][a-z0-9_-]*`. ASCII only, so ids that look
/// alike (Unicode normalisation forms, zero-width or bidi characters) can
/// never coexist.
pub fn is_slug(id: &str) -> bool {
    let mut bytes = id.bytes();
    matches!(bytes.next(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && bytes.all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
}
