//! Reading, checking and writing workflow files for the editor. Everything
//! here delegates to braid-engine: the strict parser, the validator and the
//! canonical writer. Nothing is ever executed.

use std::fs;
use std::path::{Path, PathBuf};

use braid_engine::plan::{History, Plan, PlanOptions, plan};
use braid_model::diagnostic::Diagnostic;
use braid_model::model::{Layout, Workflow};
use braid_model::parse::{parse_layout, parse_workflow};
use braid_model::{Validation, canonical, validate};
use serde::Serialize;

use crate::error::{CommandError, CommandResult, ErrorCode};

/// A workflow file as the editor opens it.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct OpenedWorkflow {
    /// Absolute path of the workflow file.
    pub path: String,
    /// The model, or `None` when the file does not parse (then `diagnostics`
    /// says why and the editor shows only the problems list).
    pub workflow: Option<Workflow>,
    /// The `NAME.layout.json` sidecar, when present and readable. Positions are
    /// absolute canvas coordinates, also for steps inside a group.
    pub layout: Option<Layout>,
    /// Every problem in the workflow, from the parser or the validator.
    pub diagnostics: Vec<Diagnostic>,
    /// Problems with the sidecar; a broken sidecar only costs the layout.
    pub layout_diagnostics: Vec<Diagnostic>,
}

/// What a save wrote.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SavedWorkflow {
    pub path: String,
    pub layout_path: String,
    /// The canonical text written to `path`.
    pub text: String,
}

/// `dir/NAME.json` → `dir/NAME.layout.json`.
pub fn layout_path(workflow_path: &Path) -> PathBuf {
    let name = workflow_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".json").unwrap_or(&name);
    workflow_path.with_file_name(format!("{stem}.layout.json"))
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

pub fn open(path: &Path) -> CommandResult<OpenedWorkflow> {
    let path = absolute(path);
    let bytes = fs::read(&path).map_err(|e| CommandError::io(&path, &e))?;
    let (workflow, diagnostics) = match parse_workflow(&bytes) {
        Ok(workflow) => {
            let diagnostics = validate(workflow.clone()).diagnostics().to_vec();
            (Some(workflow), diagnostics)
        }
        Err(diagnostics) => (None, diagnostics),
    };
    let (layout, layout_diagnostics) = match fs::read(layout_path(&path)) {
        Ok(bytes) => match parse_layout(&bytes) {
            Ok(layout) => (Some(layout), Vec::new()),
            Err(diagnostics) => (None, diagnostics),
        },
        Err(_) => (None, Vec::new()),
    };
    Ok(OpenedWorkflow {
        path: path.to_string_lossy().into_owned(),
        workflow,
        layout,
        diagnostics,
        layout_diagnostics,
    })
}

/// Reads the editor's model through the strict parser, so what is validated
/// or saved is exactly what a later load of the file would see.
pub fn model_from_json(model: &serde_json::Value) -> Result<Workflow, Vec<Diagnostic>> {
    let bytes = serde_json::to_vec(model).unwrap_or_default();
    parse_workflow(&bytes)
}

/// Every diagnostic for the editor's current model: parse errors (with JSON
/// paths) or the validator's errors and warnings.
pub fn check(model: &serde_json::Value) -> Vec<Diagnostic> {
    match model_from_json(model) {
        Ok(workflow) => validate(workflow).diagnostics().to_vec(),
        Err(diagnostics) => diagnostics,
    }
}

/// The predicted schedule of the model, when it is valid.
pub fn predict(model: &serde_json::Value, history: Option<&dyn History>) -> Option<Plan> {
    let workflow = model_from_json(model).ok()?;
    match validate(workflow) {
        Validation::Valid(valid) => {
            let mut options = PlanOptions::default();
            if let Some(history) = history {
                options.history = history;
            }
            Some(plan(&valid, &options))
        }
        Validation::Invalid(_) => None,
    }
}

/// Writes the canonical workflow file and its layout sidecar. An invalid
/// workflow is saved (work in progress is allowed); one that does not parse
/// is refused, since it has no canonical form.
pub fn save(
    path: &Path,
    model: &serde_json::Value,
    layout: &Layout,
) -> CommandResult<SavedWorkflow> {
    let path = absolute(path);
    let workflow = model_from_json(model).map_err(|diagnostics| {
        let first = diagnostics
            .first()
            .map(|d| format!("{} ({})", d.message, d.path))
            .unwrap_or_default();
        CommandError::new(ErrorCode::Unparseable, format!("cannot save: {first}"))
    })?;
    let text = canonical::workflow_to_string(&workflow);
    let layout_file = layout_path(&path);
    write_atomically(&path, &text)?;
    write_atomically(&layout_file, &canonical::layout_to_string(layout))?;
    Ok(SavedWorkflow {
        path: path.to_string_lossy().into_owned(),
        layout_path: layout_file.to_string_lossy().into_owned(),
        text,
    })
}

/// Write beside the target, then rename: a crash never leaves half a file.
fn write_atomically(path: &Path, text: &str) -> CommandResult<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.braid-tmp"));
    fs::write(&tmp, text).map_err(|e| CommandError::io(&tmp, &e))?;
    fs::rename(&tmp, path).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        CommandError::io(path, &e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../workflows")
    }

    #[test]
    fn layout_path_sits_beside_the_workflow() {
        assert_eq!(
            layout_path(Path::new("/a/b/blog.json")),
            PathBuf::from("/a/b/blog.layout.json")
        );
        assert_eq!(layout_path(Path::new("x")), PathBuf::from("x.layout.json"));
    }

    #[test]
    fn open_reads_model_layout_and_diagnostics() {
        let opened = open(&examples().join("blog-publishing.json")).unwrap();
        let workflow = opened.workflow.unwrap();
        assert_eq!(workflow.id, "blog-publishing");
        assert!(opened.layout.unwrap().nodes.contains_key("quality-gates"));
        assert!(opened.diagnostics.iter().all(|d| !d.is_error()));
    }

    #[test]
    fn open_of_a_missing_file_is_not_found() {
        let err = open(Path::new("/nonexistent/braid.json")).unwrap_err();
        assert_eq!(err.code, ErrorCode::NotFound);
    }

    #[test]
    fn unparseable_files_open_with_their_diagnostics() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.json");
        fs::write(&file, r#"{"format": "braid/1", "id": "x", "stepz": []}"#).unwrap();
        let opened = open(&file).unwrap();
        assert!(opened.workflow.is_none());
        assert_eq!(opened.diagnostics[0].path, "$.stepz");
    }

    #[test]
    fn check_reports_schema_errors_with_paths() {
        let model = serde_json::json!({
            "format": "braid/1", "id": "x",
            "steps": [{"id": "a", "agent": {"kind": "sim"}, "retry": {"max_atempts": 2}}]
        });
        let diagnostics = check(&model);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].path, "$.steps[0].retry.max_atempts");
    }

    #[test]
    fn check_names_the_offending_node() {
        let model = serde_json::json!({
            "format": "braid/1", "id": "x",
            "steps": [{"id": "a", "agent": {"kind": "sim"}, "requires": ["nope"]}]
        });
        let diagnostics = check(&model);
        assert!(
            diagnostics
                .iter()
                .any(|d| d.code.as_str() == "missing_input" && d.nodes == ["a"])
        );
    }

    #[test]
    fn save_writes_canonical_text_and_sidecar_and_round_trips() {
        let source = examples().join("blog-publishing.json");
        let original = fs::read_to_string(&source).unwrap();
        let opened = open(&source).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("copy.json");
        let model = serde_json::to_value(opened.workflow.unwrap()).unwrap();
        let layout = opened.layout.unwrap();
        let saved = save(&target, &model, &layout).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), original);
        assert_eq!(saved.text, original);
        let reopened = open(&target).unwrap();
        assert_eq!(reopened.layout.unwrap(), layout);
    }

    #[test]
    fn save_refuses_a_model_that_does_not_parse() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("x.json");
        let err = save(
            &target,
            &serde_json::json!({"format": "braid/1"}),
            &Layout::default(),
        )
        .unwrap_err();
        assert_eq!(err.code, ErrorCode::Unparseable);
        assert!(!target.exists());
    }

    #[test]
    fn predict_plans_valid_models_only() {
        let opened = open(&examples().join("blog-publishing.json")).unwrap();
        let model = serde_json::to_value(opened.workflow.unwrap()).unwrap();
        assert!(predict(&model, None).unwrap().predicted_ms > 0);
        assert!(predict(&serde_json::json!({"format": "braid/1"}), None).is_none());
    }
}
