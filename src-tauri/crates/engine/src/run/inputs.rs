//! Run inputs: checked against the workflow's declared `inputs` before
//! anything starts, so a missing required value refuses the run outright.

use serde_json::Value;

use crate::model::{JsonMap, Workflow};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("missing required input{}: {}", if .0.len() == 1 { "" } else { "s" }, .0.join(", "))]
    Missing(Vec<String>),
    #[error("unknown input{} {} (the workflow declares: {})", if .0.len() == 1 { "" } else { "s" }, .0.join(", "), .1)]
    Unknown(Vec<String>, String),
}

/// The run's inputs: given values, then defaults; refuses missing required
/// inputs and names the workflow does not declare (a typo'd `--input`
/// should not silently do nothing).
pub fn resolve_inputs(workflow: &Workflow, given: JsonMap) -> Result<JsonMap, InputError> {
    let unknown: Vec<String> = given
        .keys()
        .filter(|k| !workflow.inputs.contains_key(*k))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        let declared: Vec<&str> = workflow.inputs.keys().map(String::as_str).collect();
        let declared = if declared.is_empty() {
            "none".to_string()
        } else {
            declared.join(", ")
        };
        return Err(InputError::Unknown(unknown, declared));
    }
    let mut resolved = JsonMap::new();
    let mut missing = Vec::new();
    for (name, spec) in &workflow.inputs {
        match given.get(name).or(spec.default.as_ref()) {
            Some(value) => {
                resolved.insert(name.clone(), value.clone());
            }
            None if spec.required => missing.push(name.clone()),
            None => {}
        }
    }
    if missing.is_empty() {
        Ok(resolved)
    } else {
        Err(InputError::Missing(missing))
    }
}

/// `KEY=VALUE` from the command line: VALUE is JSON when it parses as JSON,
/// else the plain string.
pub fn parse_assignment(text: &str) -> Option<(String, Value)> {
    let (key, value) = text.split_once('=')?;
    if key.is_empty() {
        return None;
    }
    let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.to_string()));
    Some((key.to_string(), value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn workflow() -> Workflow {
        serde_json::from_value(json!({
            "format": "braid/1", "id": "w",
            "inputs": { "page_id": { "required": true }, "mode": { "default": "draft" }, "note": {} }
        }))
        .unwrap()
    }

    #[test]
    fn defaults_fill_and_required_inputs_are_enforced() {
        let given: JsonMap = serde_json::from_value(json!({ "page_id": "p" })).unwrap();
        assert_eq!(
            Value::Object(resolve_inputs(&workflow(), given).unwrap()),
            json!({ "page_id": "p", "mode": "draft" })
        );
        assert_eq!(
            resolve_inputs(&workflow(), JsonMap::new()),
            Err(InputError::Missing(vec!["page_id".into()]))
        );
        let typo: JsonMap = serde_json::from_value(json!({ "page_id": "p", "pageid": 1 })).unwrap();
        assert!(matches!(
            resolve_inputs(&workflow(), typo),
            Err(InputError::Unknown(..))
        ));
    }

    #[test]
    fn assignments_parse_json_or_fall_back_to_strings() {
        assert_eq!(parse_assignment("n=3"), Some(("n".into(), json!(3))));
        assert_eq!(
            parse_assignment("s=hello world"),
            Some(("s".into(), json!("hello world")))
        );
        assert_eq!(
            parse_assignment("l=[1,2]"),
            Some(("l".into(), json!([1, 2])))
        );
        assert_eq!(parse_assignment("e="), Some(("e".into(), json!(""))));
        assert_eq!(parse_assignment("novalue"), None);
    }
}
