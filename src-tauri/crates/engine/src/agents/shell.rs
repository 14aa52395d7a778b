//! The `shell` agent: a local program, run directly from an argv array
//! (never through a shell), or an inline `script` run by `sh -c`.
//!
//! Data reaches the program three ways, none of which can turn data into
//! code: `{{key}}` placeholders replaced inside single argv elements (a value
//! can never split into extra arguments), `BRAID_<KEY>` environment
//! variables, and the input object as JSON on stdin. Scripts may not contain
//! placeholders (validation refuses them), so a script's text is always the
//! author's.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::process::{self, ProcessObserver, ProcessSpec, Termination};
use super::result::parse_stdout;
use super::{Agent, AgentFuture, Attempt, AttemptReport};
use crate::agents::result::AttemptOutcome;
use crate::bus::EventBus;
use crate::events::{AttemptRef, EventKind, Stream};
use crate::model::{self, JsonMap};
use crate::template::{self, MAP_INDEX, MAP_ITEM};

pub struct ShellAgent {
    config: model::ShellAgent,
}

impl ShellAgent {
    pub fn new(config: model::ShellAgent) -> Self {
        Self { config }
    }
}

/// A context value as text: strings as they are, anything else as JSON.
pub fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `BRAID_<KEY>`: upper-cased, every non-alphanumeric as `_`.
pub fn env_name(key: &str) -> String {
    let mut name = String::from("BRAID_");
    name.extend(key.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    name
}

/// Builds the process to run for one attempt.
pub fn process_spec(
    config: &model::ShellAgent,
    inputs: &JsonMap,
    element: Option<&(u32, Value)>,
    workflow_dir: &Path,
) -> ProcessSpec {
    let lookup = |name: &str| -> Option<String> {
        match (name, element) {
            (MAP_ITEM, Some((_, item))) => Some(value_text(item)),
            (MAP_INDEX, Some((index, _))) => Some(index.to_string()),
            _ => inputs.get(name).map(value_text),
        }
    };
    let (program, args) = match (&config.command, &config.script) {
        (Some(argv), _) => {
            let mut argv = argv.iter().map(|a| template::substitute(a, lookup));
            let program = argv.next().unwrap_or_default();
            (resolve_program(&program, workflow_dir), argv.collect())
        }
        (None, Some(script)) => ("sh".to_string(), vec!["-c".to_string(), script.clone()]),
        (None, None) => (String::new(), Vec::new()),
    };
    let cwd = match &config.cwd {
        Some(cwd) => workflow_dir.join(template::substitute(cwd, lookup)),
        None => workflow_dir.to_path_buf(),
    };
    let mut env: Vec<(String, String)> = inputs
        .iter()
        .map(|(k, v)| (env_name(k), value_text(v)))
        .collect();
    let mut stdin = inputs.clone();
    if let Some((index, item)) = element {
        env.push(("BRAID_ITEM".into(), value_text(item)));
        env.push(("BRAID_INDEX".into(), index.to_string()));
        stdin.insert(MAP_ITEM.into(), item.clone());
        stdin.insert(MAP_INDEX.into(), Value::from(*index));
    }
    for (name, value) in &config.env {
        env.push((name.clone(), template::substitute(value, lookup)));
    }
    let mut spec = ProcessSpec::new(program, args);
    spec.cwd = cwd;
    spec.env = env;
    spec.stdin = serde_json::to_vec(&Value::Object(stdin)).expect("JSON values serialise");
    spec
}

/// `./agents/x` and `agents/x` resolve against the workflow's folder;
/// a bare name (`python3`) is looked up on PATH.
fn resolve_program(program: &str, workflow_dir: &Path) -> String {
    if program.contains('/') && !Path::new(program).is_absolute() {
        workflow_dir.join(program).to_string_lossy().into_owned()
    } else {
        program.to_string()
    }
}

/// Forwards live output and the spawned process to the event stream.
struct Forward {
    bus: std::sync::Arc<EventBus>,
    at: AttemptRef,
}

impl ProcessObserver for Forward {
    fn spawned(&self, pid: u32, pgid: i32) {
        self.bus.emit(EventKind::ProcessSpawned {
            at: self.at.clone(),
            pid,
            pgid,
        });
    }
    fn line(&self, stream: process::Stream, line: &str) {
        let stream = match stream {
            process::Stream::Stdout => Stream::Stdout,
            process::Stream::Stderr => Stream::Stderr,
        };
        self.bus.emit(EventKind::OutputLine {
            at: self.at.clone(),
            stream,
            line: line.to_string(),
        });
    }
}

impl Agent for ShellAgent {
    fn run(&self, attempt: Attempt) -> AgentFuture {
        let mut spec = process_spec(
            &self.config,
            &attempt.inputs,
            attempt.element.as_ref(),
            &attempt.workflow_dir,
        );
        spec.timeout = attempt.timeout;
        let produces = attempt.step.produces.clone();
        Box::pin(async move {
            let observer = Forward {
                bus: attempt.events.clone(),
                at: attempt.at.clone(),
            };
            let started = std::time::Instant::now();
            let outcome = match process::run_process(spec, attempt.cancel.clone(), &observer).await
            {
                Ok(outcome) => outcome,
                Err(err) => {
                    return AttemptReport::outcome_only(
                        AttemptOutcome::Failed {
                            error: err.to_string(),
                        },
                        started.elapsed(),
                    );
                }
            };
            let stdout = outcome.stdout_text();
            let stderr = outcome.stderr_text();
            let exit_code = match outcome.termination {
                Termination::Exited(code) => Some(code),
                _ => None,
            };
            let verdict = match outcome.termination {
                Termination::Exited(0) => {
                    AttemptOutcome::Succeeded(parse_stdout(&stdout, &produces))
                }
                Termination::TimedOut => AttemptOutcome::TimedOut {
                    error: format!(
                        "timed out after {:.1}s; its process group was killed",
                        attempt.timeout.unwrap_or(Duration::ZERO).as_secs_f64()
                    ),
                },
                Termination::Cancelled => AttemptOutcome::Cancelled,
                other => AttemptOutcome::Failed {
                    error: failure_message(other, &stderr),
                },
            };
            AttemptReport {
                outcome: verdict,
                exit_code,
                stdout_tail: stdout,
                stderr_tail: stderr,
                duration: outcome.duration,
            }
        })
    }
}

/// `exit status 3: <last line of stderr>`.
fn failure_message(termination: Termination, stderr: &str) -> String {
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(str::trim);
    match last {
        Some(line) => format!("{termination}: {line}"),
        None => termination.to_string(),
    }
}

/// The folder a workflow file's relative paths resolve against, made
/// absolute: a relative program path would otherwise be looked up from the
/// child's working directory, not ours.
pub fn workflow_dir_of(file: &Path) -> PathBuf {
    let dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::canonicalize(&dir)
        .unwrap_or_else(|_| std::env::current_dir().map_or(dir.clone(), |cwd| cwd.join(&dir)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_stay_inside_one_argument_and_env_names_are_sanitised() {
        let config = model::ShellAgent {
            command: Some(vec![
                "./agents/x.sh".into(),
                "--page={{page id}}".into(),
                "{{n}}".into(),
            ]),
            env: [("MODE".to_string(), "{{page id}}".to_string())]
                .into_iter()
                .collect(),
            ..Default::default()
        };
        let inputs: JsonMap =
            serde_json::from_value(json!({ "page id": "a b; rm -rf /", "n": 3 })).unwrap();
        let spec = process_spec(&config, &inputs, None, Path::new("/wf"));
        assert_eq!(spec.program, "/wf/./agents/x.sh");
        assert_eq!(spec.args, ["--page=a b; rm -rf /", "3"]);
        assert!(
            spec.env
                .contains(&("BRAID_PAGE_ID".into(), "a b; rm -rf /".into()))
        );
        assert!(spec.env.contains(&("MODE".into(), "a b; rm -rf /".into())));
        let stdin: Value = serde_json::from_slice(&spec.stdin).unwrap();
        assert_eq!(stdin, json!({ "page id": "a b; rm -rf /", "n": 3 }));
    }

    #[test]
    fn scripts_run_by_sh_and_map_elements_are_bound() {
        let config = model::ShellAgent {
            script: Some("echo \"$BRAID_ITEM\"".into()),
            ..Default::default()
        };
        let spec = process_spec(
            &config,
            &JsonMap::new(),
            Some(&(2, json!("/about"))),
            Path::new("."),
        );
        assert_eq!((spec.program.as_str(), spec.args.len()), ("sh", 2));
        assert!(spec.env.contains(&("BRAID_ITEM".into(), "/about".into())));
        assert!(spec.env.contains(&("BRAID_INDEX".into(), "2".into())));
    }
}
