//! Import quarantine in the app. A workflow that would execute anything
//! runs only once its exact bytes (and its sub-workflows') are approved, as
//! on the command line (braid-runtime's gate; approvals shared through the
//! store). Two kinds of file are trusted without asking: the example
//! gallery shipped with the app (a file in it, or a copy of one — same
//! bytes), and what the user saves from a document that was itself trusted
//! (new, an example, or approved) — their own edits.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use braid_model::parse::parse_workflow;
use braid_runtime::gate::{MainFile, gate};
use braid_runtime::{PendingApproval, Refusal};
use braid_store::{Store, sha256_hex};
use serde::Serialize;

/// Whether a file may run as it is, and if not, what it would run.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct TrustReview {
    pub needs_approval: bool,
    /// The files to approve (the workflow first, then sub-workflows).
    pub files: Vec<PendingApproval>,
}

/// The example gallery shipped with the app: its folder, and the sha256 of
/// each of its files, read once on first use (opening, saving and running
/// all ask).
#[derive(Debug, Default)]
pub struct Gallery {
    dir: Option<PathBuf>,
    hashes: OnceLock<HashSet<String>>,
}

impl Gallery {
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self {
            dir: dir.and_then(|d| std::fs::canonicalize(d).ok()),
            hashes: OnceLock::new(),
        }
    }

    /// Whether `path` is one of the examples: inside the gallery's folder,
    /// or a copy of a gallery file (the same sha256).
    pub fn contains(&self, path: &Path) -> bool {
        let (Some(dir), Ok(file)) = (&self.dir, std::fs::canonicalize(path)) else {
            return false;
        };
        if file.starts_with(dir) {
            return true;
        }
        std::fs::read(&file).is_ok_and(|bytes| self.hashes(dir).contains(&sha256_hex(&bytes)))
    }

    fn hashes(&self, dir: &Path) -> &HashSet<String> {
        self.hashes.get_or_init(|| {
            std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .filter_map(|p| std::fs::read(p).ok())
                .map(|bytes| sha256_hex(&bytes))
                .collect()
        })
    }
}

/// Reviews the file as it is on disk now. Never runs anything.
pub fn review(store: &Store, gallery: &Gallery, path: &Path) -> TrustReview {
    let trusted = TrustReview {
        needs_approval: false,
        files: Vec::new(),
    };
    if gallery.contains(path) {
        return trusted;
    }
    let Ok(bytes) = braid_runtime::read::read_file(path) else {
        return trusted; // nothing to run
    };
    let Ok(workflow) = parse_workflow(&bytes) else {
        return trusted; // does not parse: cannot run
    };
    let main = MainFile::Fresh {
        path,
        bytes: &bytes,
        workflow: &workflow,
    };
    match gate(store, main, false) {
        Err(Refusal::Unapproved(files)) => TrustReview {
            needs_approval: true,
            files,
        },
        // Approved, or invalid (then it cannot run either).
        _ => trusted,
    }
}

/// Whether a save of a document that came from `origin` (None: created in
/// the app) carries the user's trust to the saved content.
pub fn origin_trusted(store: &Store, gallery: &Gallery, origin: Option<&Path>) -> bool {
    match origin {
        None => true,
        Some(origin) if !origin.exists() => true,
        Some(origin) => !review(store, gallery, origin).needs_approval,
    }
}

/// Approves exactly the saved bytes of `path` (the main file only: its
/// sub-workflows are separate files with their own approval).
pub fn approve_saved(store: &Store, path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    store
        .approve(&braid_store::sha256_hex(&bytes), Some(path))
        .map_err(|e| format!("store: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHELL: &str = r#"{"format": "braid/1", "id": "greet",
        "steps": [{"id": "hello", "agent": {"kind": "shell", "command": ["echo", "hello"]}}]}"#;
    const SIM: &str = r#"{"format": "braid/1", "id": "rehearse",
        "steps": [{"id": "a", "agent": {"kind": "sim", "duration_ms": 1}}]}"#;

    fn setup() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("t.db")).unwrap();
        (dir, store)
    }

    #[test]
    fn an_imported_shell_workflow_needs_approval_of_its_exact_bytes() {
        let (dir, store) = setup();
        let file = dir.path().join("greet.json");
        std::fs::write(&file, SHELL).unwrap();
        let review = review(&store, &Gallery::default(), &file);
        assert!(review.needs_approval);
        let pending = &review.files[0];
        let commands = &pending.review.as_ref().unwrap().commands;
        assert_eq!(commands[0].argv, ["echo", "hello"]);
        braid_runtime::gate::approve(&store, &review.files).unwrap();
        assert!(!super::review(&store, &Gallery::default(), &file).needs_approval);
        // One byte more is other content: asked again.
        std::fs::write(&file, format!("{SHELL}\n")).unwrap();
        assert!(super::review(&store, &Gallery::default(), &file).needs_approval);
    }

    #[test]
    fn examples_and_sim_only_workflows_run_without_asking() {
        let (dir, store) = setup();
        let examples = dir.path().join("examples");
        std::fs::create_dir(&examples).unwrap();
        std::fs::write(examples.join("greet.json"), SHELL).unwrap();
        let gallery = Gallery::new(Some(examples.clone()));
        assert!(!review(&store, &gallery, &examples.join("greet.json")).needs_approval);
        // A copy elsewhere, byte for byte, is the same example.
        std::fs::write(dir.path().join("copy.json"), SHELL).unwrap();
        assert!(!review(&store, &gallery, &dir.path().join("copy.json")).needs_approval);
        std::fs::write(dir.path().join("edited.json"), format!("{SHELL} ")).unwrap();
        assert!(review(&store, &gallery, &dir.path().join("edited.json")).needs_approval);
        std::fs::write(dir.path().join("sim.json"), SIM).unwrap();
        assert!(!review(&store, &gallery, &dir.path().join("sim.json")).needs_approval);
    }

    #[test]
    fn saving_carries_trust_only_from_a_trusted_origin() {
        let (dir, store) = setup();
        let imported = dir.path().join("imported.json");
        std::fs::write(&imported, SHELL).unwrap();
        assert!(!origin_trusted(
            &store,
            &Gallery::default(),
            Some(&imported)
        ));
        // Created in the app, or never saved yet: the user's own.
        assert!(origin_trusted(&store, &Gallery::default(), None));
        approve_saved(&store, &imported).unwrap();
        assert!(origin_trusted(&store, &Gallery::default(), Some(&imported)));
    }
}
