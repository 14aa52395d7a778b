//! Import quarantine on the command line: a workflow file that would
//! execute anything (a `shell`, `http`, `llm` or `workflow` step) runs only
//! once its exact content — the sha256 of the file's bytes, and of every
//! sub-workflow file it reaches — has been approved. Approvals live in the
//! store (`approvals` table), shared with the desktop app's review screen.
//!
//! Without `--trust`, an unapproved file is refused (exit 2) with the
//! review of what it would run: commands, scripts, hosts, secret names and
//! sub-workflows. `--trust` approves exactly those bytes and runs them.
//! Workflows made only of `sim` steps need no approval. The sub-workflow
//! files are read once, here, and the run is handed exactly those bytes,
//! so a file edited after approval cannot run in its place.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use braid_engine::Workflow;
use braid_engine::diagnostic::has_errors;
use braid_engine::trust::{needs_approval, review};
use braid_engine::validate::references::check_references;
use braid_store::{Store, sha256_hex};

use crate::{exit, output};

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
}

/// Checks (and with `trust`, records) approval of a workflow and its
/// sub-workflows. `Err((exit status, message))` when the run must not start.
pub fn gate(store: &Store, main: MainFile<'_>, trust: bool) -> Result<Reviewed, (u8, String)> {
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
        for d in &references.diagnostics {
            output::diagnostic(path.unwrap_or(Path::new("workflow")), d);
        }
        return Err((
            exit::FAILURE,
            format!("{shown} is invalid; nothing was run"),
        ));
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
    let store_error = |e: braid_store::StoreError| (exit::USAGE, format!("store: {e}"));
    let mut unapproved = Vec::new();
    for (shown, bytes, workflow) in pending {
        let hash = sha256_hex(&bytes);
        if !store.is_approved(&hash).map_err(store_error)? {
            unapproved.push((shown, hash, workflow));
        }
    }
    if !unapproved.is_empty() {
        if trust {
            for (shown, hash, _) in &unapproved {
                let at = (!shown.is_empty()).then(|| Path::new(shown.as_str()));
                store.approve(hash, at).map_err(store_error)?;
                output::note(&format!("approved {shown} (sha256 {})", &hash[..12]));
            }
        } else {
            for (shown, hash, workflow) in &unapproved {
                eprintln!("{shown} (sha256 {}) would run:", &hash[..12]);
                match workflow {
                    Some(w) => eprintln!("{}", review(w).to_text()),
                    None => eprintln!("  (the file does not parse)"),
                }
            }
            let names: Vec<&str> = unapproved.iter().map(|(s, _, _)| s.as_str()).collect();
            return Err((
                exit::USAGE,
                format!(
                    "{} not been approved to run on this machine; nothing was run. \
                     Review what it would run (above), then run again with --trust to approve this exact content",
                    match names.as_slice() {
                        [one] => format!("{one} has"),
                        many => format!("{} have", many.join(", ")),
                    }
                ),
            ));
        }
    }
    Ok(Reviewed {
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
