//! Import quarantine: a workflow file that would execute anything (a
//! `shell`, `http`, `llm` or `workflow` step) runs only once its exact
//! content — the sha256 of the file's bytes, and of every sub-workflow file
//! it reaches — has been approved. Approvals live in the store (`approvals`
//! table), shared by the CLI's `--trust` and the desktop app's review screen.
//!
//! Workflows made only of `sim` steps need no approval. The sub-workflow
//! files are read once, here, and the run is handed exactly those bytes, so
//! a file edited after approval cannot run in its place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use braid_engine::trust::{Review, needs_approval, review};
use braid_model::Workflow;
use braid_model::diagnostic::has_errors;
use braid_model::validate::references::check_references;
use braid_store::{Store, sha256_hex};
use serde::{Deserialize, Serialize};

use crate::refusal::{Refusal, store_error};

/// A file that must be approved before it runs, with what it would run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PendingApproval {
    /// As given (the main file) or resolved (sub-workflows).
    pub path: String,
    /// sha256 of the file's bytes, hex.
    pub hash: String,
    /// What it would run; `None` when the file does not parse.
    pub review: Option<Review>,
}

/// The workflow a command is about to run.
pub enum MainFile<'a> {
    /// Read from disk now (`run`, `rerun --file`): needs approval.
    Fresh {
        path: &'a Path,
        bytes: &'a [u8],
        workflow: &'a Workflow,
    },
    /// The content stored with an earlier run (`resume`, `rerun`): it was
    /// approved when it first ran; its sub-workflows are read again and
    /// need approval. `path`: where the file was, if recorded.
    Stored {
        path: Option<&'a Path>,
        workflow: &'a Workflow,
    },
}

/// What the run may use: the reviewed sub-workflow files, by canonical path.
pub struct Reviewed {
    pub files: Arc<HashMap<PathBuf, Arc<[u8]>>>,
    /// The main file's canonical path (the recursion backstop's first entry).
    pub stack: Vec<PathBuf>,
    /// Files approved just now (with `trust`), for the front end to mention.
    pub approved: Vec<PendingApproval>,
}

/// Checks (and with `trust`, records) approval of a workflow and its
/// sub-workflows. `Err` when the run must not start: an invalid
/// sub-workflow, or files not approved (all of them listed).
pub fn gate(store: &Store, main: MainFile<'_>, trust: bool) -> Result<Reviewed, Refusal> {
    let (path, workflow, own) = match main {
        MainFile::Fresh {
            path,
            bytes,
            workflow,
        } => (Some(path), workflow, Some(bytes)),
        MainFile::Stored { path, workflow } => (path, workflow, None),
    };
    let canonical = path.map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()));
    let references = match path {
        Some(path) => check_references(path, workflow),
        None => Default::default(),
    };
    if has_errors(&references.diagnostics) {
        let shown = path.map_or_else(|| "the workflow".into(), |p| p.display().to_string());
        return Err(Refusal::Invalid {
            message: format!("{shown} is invalid; nothing was run"),
            file: shown,
            diagnostics: references.diagnostics,
        });
    }
    // (path shown, bytes, workflow) of every file that must be approved.
    let mut pending: Vec<(String, Vec<u8>, Option<Workflow>)> = Vec::new();
    if let (Some(bytes), true) = (own, needs_approval(workflow)) {
        let shown = path.map_or_else(String::new, |p| p.display().to_string());
        pending.push((shown, bytes.to_vec(), Some(workflow.clone())));
    }
    for file in &references.files {
        let executes = file.workflow.as_ref().is_none_or(needs_approval);
        if executes {
            pending.push((
                file.path.display().to_string(),
                file.bytes.to_vec(),
                file.workflow.clone(),
            ));
        }
    }
    let mut unapproved = Vec::new();
    for (shown, bytes, workflow) in pending {
        let hash = sha256_hex(&bytes);
        if !store.is_approved(&hash).map_err(store_error)? {
            unapproved.push(PendingApproval {
                path: shown,
                hash,
                review: workflow.as_ref().map(review),
            });
        }
    }
    if !unapproved.is_empty() {
        if !trust {
            return Err(Refusal::Unapproved(unapproved));
        }
        approve(store, &unapproved)?;
    }
    let approved = if trust { unapproved } else { Vec::new() };
    Ok(Reviewed {
        approved,
        files: Arc::new(
            references
                .files
                .iter()
                .map(|f| (f.path.clone(), f.bytes.clone()))
                .collect(),
        ),
        stack: canonical.into_iter().collect(),
    })
}

/// Records approval of exactly these contents (by hash).
pub fn approve(store: &Store, files: &[PendingApproval]) -> Result<(), Refusal> {
    for file in files {
        let at = (!file.path.is_empty()).then(|| Path::new(file.path.as_str()));
        store.approve(&file.hash, at).map_err(store_error)?;
        tracing::info!(path = %file.path, hash = %file.hash, "approved");
    }
    Ok(())
}
