//! Checks across files: the sub-workflows `workflow` steps name.
//!
//! [`validate`](super::validate) looks at one file and never touches the
//! disk; this module is the separate pass that does, for callers that know
//! where the file lives (`braid validate`, `braid run`, the app). It reads
//! — never runs — every sub-workflow reachable from a file, resolving each
//! `path` against the folder of the file that names it, and reports:
//!
//! - `workflow_cycle`: a chain of `workflow` steps that comes back to a file
//!   already on it (`a.json → b.json → a.json`), or nesting deeper than
//!   [`MAX_DEPTH`](MAX_DEPTH);
//! - `bad_agent`: a sub-workflow that cannot be read or is invalid, inputs
//!   it does not declare, or required inputs the step does not give.
//!
//! Diagnostics always point into the file checked (at the `workflow` step
//! that leads to the problem), so an editor can pin them on a node. The
//! files found are returned too, bytes and all: the CLI reviews and
//! approves exactly these and hands them to the run.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Agent, Workflow};
use crate::parse::MAX_FILE_BYTES;
use crate::validate::{Validation, load};

/// Deepest nesting of sub-workflows a run accepts.
pub const MAX_DEPTH: u32 = 8;

/// The sub-workflow file a `workflow` agent names, resolved against the
/// folder of the file that names it.
pub fn resolve_path(workflow_dir: &Path, path: &str) -> PathBuf {
    let joined = workflow_dir.join(path);
    std::fs::canonicalize(&joined).unwrap_or(joined)
}

/// Most sub-workflow files followed from one file.
pub const MAX_FILES: usize = 256;

/// A sub-workflow file reachable from the checked file.
#[derive(Debug, Clone)]
pub struct SubWorkflowFile {
    /// Canonical absolute path.
    pub path: PathBuf,
    /// The file as read.
    pub bytes: Arc<[u8]>,
    /// Parsed, when it parses.
    pub workflow: Option<Workflow>,
}

/// What [`check_references`] found.
#[derive(Debug, Clone, Default)]
pub struct References {
    pub diagnostics: Vec<Diagnostic>,
    /// Every distinct sub-workflow file reachable, in discovery order.
    pub files: Vec<SubWorkflowFile>,
}

/// Follows every `workflow` step of `workflow` (read from `file`) through
/// the files it names; see the module docs.
pub fn check_references(file: &Path, workflow: &Workflow) -> References {
    let root = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_path_buf());
    let mut walk = Walk {
        references: References::default(),
        done: HashSet::new(),
    };
    let mut stack = vec![root.clone()];
    for (i, step) in workflow.steps.iter().enumerate() {
        let Agent::Workflow(sub) = &step.agent else {
            continue;
        };
        let at = Origin {
            path: format!("$.steps[{i}].agent.path"),
            step: step.id.clone(),
        };
        let dir = root.parent().unwrap_or(Path::new("."));
        walk.visit(&at, dir, &sub.path, &sub.inputs, &mut stack);
    }
    walk.references
}

/// The step of the checked file a problem is reported on.
struct Origin {
    path: String,
    step: String,
}

struct Walk {
    references: References,
    /// Files fully explored (reaching one again is not a cycle).
    done: HashSet<PathBuf>,
}

impl Walk {
    fn report(&mut self, at: &Origin, code: Code, message: String) {
        let d = Diagnostic::error(code, at.path.clone(), message).with_nodes([at.step.clone()]);
        if !self.references.diagnostics.contains(&d) {
            self.references.diagnostics.push(d);
        }
    }

    fn visit(
        &mut self,
        at: &Origin,
        dir: &Path,
        path: &str,
        inputs: &indexmap::IndexMap<String, serde_json::Value>,
        stack: &mut Vec<PathBuf>,
    ) {
        let target = resolve_path(dir, path);
        if let Some(start) = stack.iter().position(|p| *p == target) {
            let chain: Vec<String> = stack[start..]
                .iter()
                .chain(std::iter::once(&target))
                .map(|p| display_name(p))
                .collect();
            self.report(
                at,
                Code::WorkflowCycle,
                format!("sub-workflows run each other: {}", chain.join(" → ")),
            );
            return;
        }
        if stack.len() > MAX_DEPTH as usize {
            self.report(
                at,
                Code::WorkflowCycle,
                format!("sub-workflows nest deeper than {MAX_DEPTH} levels"),
            );
            return;
        }
        let known = self.references.files.iter().position(|f| f.path == target);
        let index = match known {
            Some(index) => index,
            None => {
                if self.references.files.len() >= MAX_FILES {
                    self.report(
                        at,
                        Code::BadAgent,
                        format!("more than {MAX_FILES} sub-workflow files; not followed further"),
                    );
                    return;
                }
                let bytes = match read(&target) {
                    Ok(bytes) => bytes,
                    Err(message) => {
                        self.report(at, Code::BadAgent, message);
                        return;
                    }
                };
                let workflow = crate::parse::parse_workflow(&bytes).ok();
                self.references.files.push(SubWorkflowFile {
                    path: target.clone(),
                    bytes,
                    workflow,
                });
                self.references.files.len() - 1
            }
        };
        let file = self.references.files[index].clone();
        if let Validation::Invalid(diagnostics) = load(&file.bytes) {
            let first = diagnostics
                .iter()
                .find(|d| d.is_error())
                .map(|d| format!(": {} at {}", d.message, d.path))
                .unwrap_or_default();
            self.report(
                at,
                Code::BadAgent,
                format!("sub-workflow {} is invalid{first}", display_name(&target)),
            );
        }
        let Some(child) = &file.workflow else {
            return;
        };
        for key in inputs.keys() {
            if !child.inputs.contains_key(key) {
                self.report(
                    at,
                    Code::BadAgent,
                    format!(
                        "sub-workflow {} declares no input `{key}`",
                        display_name(&target)
                    ),
                );
            }
        }
        for (key, spec) in &child.inputs {
            if spec.required && spec.default.is_none() && !inputs.contains_key(key) {
                self.report(
                    at,
                    Code::BadAgent,
                    format!(
                        "sub-workflow {} requires input `{key}`, which the step does not give",
                        display_name(&target)
                    ),
                );
            }
        }
        if self.done.contains(&target) {
            return;
        }
        stack.push(target.clone());
        let child_dir = target.parent().unwrap_or(Path::new(".")).to_path_buf();
        for step in &child.steps {
            if let Agent::Workflow(sub) = &step.agent {
                self.visit(at, &child_dir, &sub.path, &sub.inputs, stack);
            }
        }
        stack.pop();
        self.done.insert(target);
    }
}

fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

fn read(path: &Path) -> Result<Arc<[u8]>, String> {
    let shown = path.display();
    let meta =
        std::fs::metadata(path).map_err(|e| format!("cannot read sub-workflow {shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("sub-workflow {shown} is not a file"));
    }
    if meta.len() > MAX_FILE_BYTES as u64 {
        return Err(format!(
            "sub-workflow {shown} is larger than the loader accepts"
        ));
    }
    std::fs::read(path)
        .map(Arc::from)
        .map_err(|e| format!("cannot read sub-workflow {shown}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, body).unwrap();
        path
    }

    fn calling(id: &str, path: &str) -> String {
        format!(
            r#"{{ "format": "braid/1", "id": "{id}", "steps": [
                {{ "id": "call", "agent": {{ "kind": "workflow", "path": "{path}" }} }} ] }}"#
        )
    }

    fn check(path: &Path) -> References {
        let bytes = std::fs::read(path).unwrap();
        check_references(path, &crate::parse::parse_workflow(&bytes).unwrap())
    }

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("braid-refs-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn recursion_across_files_is_a_workflow_cycle() {
        let dir = scratch("cycle");
        let a = write(&dir, "a.json", &calling("a", "sub/b.json"));
        write(&dir, "sub/b.json", &calling("b", "../a.json"));
        let refs = check(&a);
        assert_eq!(refs.diagnostics.len(), 1, "{:?}", refs.diagnostics);
        let d = &refs.diagnostics[0];
        assert_eq!(d.code, Code::WorkflowCycle);
        assert_eq!(d.path, "$.steps[0].agent.path");
        assert!(
            d.message.contains("a.json → b.json → a.json"),
            "{}",
            d.message
        );
        // A file calling itself.
        let me = write(&dir, "me.json", &calling("me", "me.json"));
        assert_eq!(check(&me).diagnostics[0].code, Code::WorkflowCycle);
    }

    #[test]
    fn a_shared_sub_workflow_is_not_a_cycle_and_inputs_are_checked() {
        let dir = scratch("diamond");
        let leaf = r#"{ "format": "braid/1", "id": "leaf",
            "inputs": { "page": { "required": true } },
            "steps": [ { "id": "x", "agent": { "kind": "sim", "duration_ms": 1 } } ] }"#;
        write(&dir, "leaf.json", leaf);
        let top = write(
            &dir,
            "top.json",
            r#"{ "format": "braid/1", "id": "top", "steps": [
              { "id": "one", "agent": { "kind": "workflow", "path": "leaf.json", "inputs": { "page": "p" } } },
              { "id": "two", "agent": { "kind": "workflow", "path": "leaf.json", "inputs": { "pgae": "p" } } },
              { "id": "three", "agent": { "kind": "workflow", "path": "missing.json" } } ] }"#,
        );
        let refs = check(&top);
        assert_eq!(refs.files.len(), 1);
        let messages: Vec<_> = refs
            .diagnostics
            .iter()
            .map(|d| (d.code, d.nodes[0].as_str(), d.message.as_str()))
            .collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages.iter().all(|(c, _, _)| *c == Code::BadAgent));
        assert!(messages[0].2.contains("no input `pgae`"));
        assert!(messages[1].2.contains("requires input `page`"));
        assert_eq!(messages[2].1, "three");
    }
}
