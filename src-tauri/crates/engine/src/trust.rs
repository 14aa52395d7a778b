//! Import quarantine: what a workflow file would do to this machine, listed
//! for a person to approve before anything runs.
//!
//! A workflow from someone else is code. [`review`] lists, without running
//! or resolving anything, every program and script it would start, every
//! host it would send requests to, every secret it would read and every
//! sub-workflow file it would run. The CLI prints it and refuses to run a
//! file whose exact content (sha256 of its bytes) has not been approved;
//! the desktop app shows it as a review screen. Approvals are kept in the
//! store (`Store::approve`, `Store::is_approved`), so both share them.
//!
//! Workflows made only of `sim` steps execute nothing and need no
//! approval ([`needs_approval`]).

use std::collections::BTreeMap;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::agents::llm::endpoint;
use crate::model::method_of;
use crate::model::{Agent, Workflow};
use crate::template::secret_names;

/// Everything a workflow file would execute or reach, in file order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Review {
    pub workflow_id: String,
    /// `shell` steps with a `command` (argv, run directly).
    pub commands: Vec<CommandUse>,
    /// `shell` steps with an inline `script` (run by `sh -c`).
    pub scripts: Vec<ScriptUse>,
    /// Hosts of `http` and `llm` steps.
    pub hosts: Vec<HostUse>,
    /// Secret names (never values), with the steps that read them.
    pub secrets: Vec<SecretUse>,
    /// Sub-workflow files of `workflow` steps, as written (relative to the
    /// file's folder).
    pub sub_workflows: Vec<SubWorkflowUse>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CommandUse {
    pub step: String,
    pub argv: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub env: IndexMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ScriptUse {
    pub step: String,
    pub script: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HostUse {
    pub step: String,
    /// `http` or `llm`.
    pub agent: String,
    /// `scheme://host[:port]`, as written (placeholders can never change it).
    pub origin: String,
    /// Method and URL template, e.g. `POST http://127.0.0.1:8080/review/{{page_id}}`.
    pub request: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SecretUse {
    pub name: String,
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SubWorkflowUse {
    pub step: String,
    pub path: String,
}

/// Whether running this workflow would execute or reach anything outside
/// the engine: any step that is not `sim`.
pub fn needs_approval(workflow: &Workflow) -> bool {
    workflow
        .steps
        .iter()
        .any(|s| !matches!(s.agent, Agent::Sim(_) | Agent::Approval(_)))
}

/// `scheme://host[:port]` of a URL template as written (up to its path).
fn origin_of(url: &str) -> String {
    let after = url.find("://").map_or(0, |i| i + 3);
    let end = url[after..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| i + after);
    url[..end].to_string()
}

/// Lists what `workflow` would execute or reach. Pure: reads nothing,
/// resolves nothing.
pub fn review(workflow: &Workflow) -> Review {
    let mut out = Review {
        workflow_id: workflow.id.clone(),
        ..Review::default()
    };
    let mut secrets: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for step in &workflow.steps {
        let id = step.id.clone();
        match &step.agent {
            // Approval steps run nothing: they never need import trust.
            Agent::Sim(_) | Agent::Approval(_) => {}
            Agent::Shell(shell) => {
                if let Some(argv) = &shell.command {
                    out.commands.push(CommandUse {
                        step: id.clone(),
                        argv: argv.clone(),
                        cwd: shell.cwd.clone(),
                        env: shell.env.clone(),
                    });
                }
                if let Some(script) = &shell.script {
                    out.scripts.push(ScriptUse {
                        step: id.clone(),
                        script: script.clone(),
                    });
                }
            }
            Agent::Http(http) => out.hosts.push(HostUse {
                step: id.clone(),
                agent: "http".into(),
                origin: origin_of(&http.url),
                request: format!("{} {}", method_of(http), http.url),
            }),
            Agent::Llm(llm) => out.hosts.push(HostUse {
                step: id.clone(),
                agent: "llm".into(),
                origin: origin_of(&llm.base_url),
                request: format!("POST {} (model {})", endpoint(&llm.base_url), llm.model),
            }),
            Agent::Workflow(sub) => out.sub_workflows.push(SubWorkflowUse {
                step: id.clone(),
                path: sub.path.clone(),
            }),
        }
        let single = Workflow {
            steps: vec![step.clone()],
            ..empty(workflow)
        };
        for name in secret_names(&single) {
            secrets.entry(name).or_default().push(id.clone());
        }
    }
    out.secrets = secrets
        .into_iter()
        .map(|(name, steps)| SecretUse { name, steps })
        .collect();
    out
}

fn empty(workflow: &Workflow) -> Workflow {
    Workflow {
        format: workflow.format.clone(),
        id: workflow.id.clone(),
        name: None,
        description: None,
        inputs: IndexMap::new(),
        context: Default::default(),
        limits: IndexMap::new(),
        defaults: None,
        steps: Vec::new(),
        groups: Vec::new(),
        edges: Vec::new(),
    }
}

impl Review {
    /// Nothing to execute or reach.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
            && self.scripts.is_empty()
            && self.hosts.is_empty()
            && self.secrets.is_empty()
            && self.sub_workflows.is_empty()
    }

    /// The review as plain text, one item a line, for a terminal.
    pub fn to_text(&self) -> String {
        let mut lines = Vec::new();
        let mut section = |title: &str, items: Vec<String>| {
            if !items.is_empty() {
                lines.push(format!("  {title}:"));
                lines.extend(items.into_iter().map(|i| format!("    {i}")));
            }
        };
        section(
            "commands",
            self.commands
                .iter()
                .map(|c| {
                    let argv = serde_json::to_string(&c.argv).expect("strings serialise");
                    let mut line = format!("{}: {argv}", c.step);
                    if let Some(cwd) = &c.cwd {
                        line.push_str(&format!(" (in {cwd})"));
                    }
                    for (k, v) in &c.env {
                        line.push_str(&format!(" {k}={v}"));
                    }
                    line
                })
                .collect(),
        );
        section(
            "scripts",
            self.scripts
                .iter()
                .map(|s| {
                    let script = s.script.replace('\n', "\n      ");
                    format!("{}: {script}", s.step)
                })
                .collect(),
        );
        section(
            "hosts",
            self.hosts
                .iter()
                .map(|h| format!("{}: {} ({}: {})", h.step, h.origin, h.agent, h.request))
                .collect(),
        );
        section(
            "secrets",
            self.secrets
                .iter()
                .map(|s| format!("{} (read by {})", s.name, s.steps.join(", ")))
                .collect(),
        );
        section(
            "sub-workflows",
            self.sub_workflows
                .iter()
                .map(|w| format!("{}: {}", w.step, w.path))
                .collect(),
        );
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_commands_scripts_hosts_secrets_and_sub_workflows() {
        let doc = br#"{
          "format": "braid/1", "id": "mixed",
          "steps": [
            { "id": "a", "agent": { "kind": "sim", "duration_ms": 1 } },
            { "id": "b", "agent": { "kind": "shell", "command": ["./x.sh", "--go"], "env": { "M": "1" } } },
            { "id": "c", "agent": { "kind": "shell", "script": "rm -rf /tmp/x" } },
            { "id": "d", "agent": { "kind": "http", "url": "https://api.example.com:8443/v1/{{k}}",
              "headers": { "Authorization": "Bearer {{secret:API_TOKEN}}" } }, "requires": ["k"] },
            { "id": "e", "agent": { "kind": "llm", "base_url": "http://127.0.0.1:11434/v1", "model": "m",
              "api_key": "{{secret:API_TOKEN}}", "prompt": "hi" } },
            { "id": "f", "agent": { "kind": "workflow", "path": "sub/other.json" } }
          ]
        }"#;
        let workflow = braid_model::parse::parse_workflow(doc).unwrap();
        assert!(needs_approval(&workflow));
        let review = review(&workflow);
        assert_eq!(review.commands[0].argv, ["./x.sh", "--go"]);
        assert_eq!(review.scripts[0].script, "rm -rf /tmp/x");
        assert_eq!(review.hosts[0].origin, "https://api.example.com:8443");
        assert_eq!(
            review.hosts[0].request,
            "GET https://api.example.com:8443/v1/{{k}}"
        );
        assert_eq!(review.hosts[1].origin, "http://127.0.0.1:11434");
        assert_eq!(review.secrets.len(), 1);
        assert_eq!(review.secrets[0].name, "API_TOKEN");
        assert_eq!(review.secrets[0].steps, ["d", "e"]);
        assert_eq!(review.sub_workflows[0].path, "sub/other.json");
        let text = review.to_text();
        for needle in [
            "./x.sh",
            "rm -rf",
            "api.example.com:8443",
            "API_TOKEN",
            "sub/other.json",
        ] {
            assert!(text.contains(needle), "{needle} missing from\n{text}");
        }
        let json = serde_json::to_value(&review).unwrap();
        assert_eq!(json["hosts"][1]["agent"], "llm");
    }

    #[test]
    fn sim_only_workflows_need_no_approval() {
        let doc = br#"{ "format": "braid/1", "id": "s", "steps": [
            { "id": "a", "agent": { "kind": "sim", "duration_ms": 1 } } ] }"#;
        let workflow = braid_model::parse::parse_workflow(doc).unwrap();
        assert!(!needs_approval(&workflow));
        assert!(review(&workflow).is_empty());
    }
}
