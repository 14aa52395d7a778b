//! `{{key}}` placeholders in agent settings.
//!
//! Placeholders name context keys (`{{page_id}}`), the map element
//! (`{{item}}`, `{{index}}`) or a secret (`{{secret:NAME}}`). This module only
//! finds them; substitution happens per agent, because each agent has its
//! own rule for what a value may become (one argv element, a percent-encoded
//! path segment, …).

use std::collections::BTreeSet;

use crate::model::{Agent, Workflow};

/// A placeholder found in a string: the trimmed name between `{{` and `}}`
/// and the byte range of the whole `{{…}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder<'a> {
    pub name: &'a str,
    pub range: std::ops::Range<usize>,
}

/// Names bound inside a map group's branch in addition to its `requires`.
pub const MAP_ITEM: &str = "item";
pub const MAP_INDEX: &str = "index";
/// Inside a loop body: the innermost loop's round (from 1).
pub const LOOP_ROUND: &str = "round";
/// Prefix of a secret reference: `{{secret:NAME}}`.
pub const SECRET_PREFIX: &str = "secret:";

/// Every `{{…}}` in `text`, left to right. An unclosed `{{` is not a placeholder.
pub fn placeholders(text: &str) -> Vec<Placeholder<'_>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| i + from) {
        let Some(close) = text[open + 2..].find("}}").map(|i| i + open + 2) else {
            break;
        };
        found.push(Placeholder {
            name: text[open + 2..close].trim(),
            range: open..close + 2,
        });
        from = close + 2;
    }
    found
}

/// True when `text` contains `{{` at all (scripts may not, closed or not).
pub fn has_placeholder_syntax(text: &str) -> bool {
    text.contains("{{")
}

/// Replaces each placeholder by `value(name)`; names without a value are left as written.
pub fn substitute(text: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for placeholder in placeholders(text) {
        out.push_str(&text[last..placeholder.range.start]);
        match value(placeholder.name) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&text[placeholder.range.clone()]),
        }
        last = placeholder.range.end;
    }
    out.push_str(&text[last..]);
    out
}

// --- secrets ------------------------------------------------------------------

/// Keychain account holding the JSON list of secret names.
pub const INDEX_ACCOUNT: &str = "__braid_secret_names__";
/// A secret name: like an environment variable, `[A-Za-z_][A-Za-z0-9_]*`,
/// except the keychain entry that lists the names ([`INDEX_ACCOUNT`]) —
/// setting it would overwrite the list, reading it would leak the names.
pub fn is_valid_name(name: &str) -> bool {
    secret_name_problem(name).is_none()
}

/// Why `name` cannot name a secret, in words for the secrets screen; `None`
/// when it can.
pub fn secret_name_problem(name: &str) -> Option<&'static str> {
    let mut chars = name.chars();
    match chars.next() {
        None => Some("Enter a name."),
        Some(c) if c.is_ascii_digit() => Some("A name cannot start with a digit."),
        Some(c)
            if !(c.is_ascii_alphabetic() || c == '_')
                || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') =>
        {
            Some("Use only letters, digits and _ (like an environment variable).")
        }
        _ if name == INDEX_ACCOUNT => Some("This name is reserved by Braid."),
        _ => None,
    }
}

/// The secret named by a placeholder name (`secret:NAME` → `NAME`).
pub fn secret_name(placeholder: &str) -> Option<&str> {
    placeholder.strip_prefix(SECRET_PREFIX).map(str::trim)
}

/// A secret a workflow reads, and the steps that read it (file order).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SecretReference {
    pub name: String,
    pub steps: Vec<String>,
}

/// The secrets a workflow reads, sorted by name: `{{secret:NAME}}` in an
/// `http` step's header values or an `llm` step's `api_key` (the only places
/// the format allows them).
pub fn secret_references(workflow: &Workflow) -> Vec<SecretReference> {
    let mut by_name: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for step in &workflow.steps {
        let texts: Vec<&String> = match &step.agent {
            Agent::Http(http) => http.headers.values().collect(),
            Agent::Llm(llm) => llm.api_key.iter().collect(),
            _ => Vec::new(),
        };
        for text in texts {
            for p in placeholders(text) {
                if let Some(name) = secret_name(p.name) {
                    let steps = by_name.entry(name.to_string()).or_default();
                    if !steps.contains(&step.id) {
                        steps.push(step.id.clone());
                    }
                }
            }
        }
    }
    by_name
        .into_iter()
        .map(|(name, steps)| SecretReference { name, steps })
        .collect()
}

/// Every secret a workflow file names, sorted.
pub fn secret_names(workflow: &Workflow) -> BTreeSet<String> {
    secret_references(workflow)
        .into_iter()
        .map(|r| r.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_trimmed_names_and_ignores_unclosed() {
        let names: Vec<_> = placeholders("a {{ x }} b {{y}}{{secret:T}} {{open")
            .iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["x", "y", "secret:T"]);
    }

    #[test]
    fn substitutes_known_and_keeps_unknown() {
        let out = substitute("--page={{id}} {{other}}", |n| {
            (n == "id").then(|| "a b;c".into())
        });
        assert_eq!(out, "--page=a b;c {{other}}");
    }
    #[test]
    fn secret_names_are_checked_with_reasons() {
        for ok in ["REVIEW_TOKEN", "_x", "a1", "A"] {
            assert_eq!(secret_name_problem(ok), None, "{ok}");
        }
        assert_eq!(secret_name_problem(""), Some("Enter a name."));
        assert_eq!(
            secret_name_problem("1TOKEN"),
            Some("A name cannot start with a digit.")
        );
        for bad in ["MY-TOKEN", "MY TOKEN", "tök", "a.b", "secret:X"] {
            assert!(
                secret_name_problem(bad)
                    .unwrap()
                    .contains("letters, digits and _"),
                "{bad}"
            );
        }
        assert_eq!(
            secret_name_problem(INDEX_ACCOUNT),
            Some("This name is reserved by Braid.")
        );
    }

    #[test]
    fn secret_references_list_readers_in_file_order_only_where_secrets_may_stand() {
        let workflow: Workflow = serde_json::from_value(serde_json::json!({
            "format": "braid/1", "id": "w",
            "steps": [
                {"id": "fetch", "agent": {"kind": "http", "url": "https://h/x",
                    "headers": {"Authorization": "Bearer {{secret:REVIEW_TOKEN}}", "X-Page": "{{page_id}}"}}},
                {"id": "ask", "agent": {"kind": "llm", "base_url": "http://127.0.0.1:11434/v1",
                    "model": "m", "prompt": "p", "api_key": "{{ secret: API_KEY }}"}},
                {"id": "again", "agent": {"kind": "http", "url": "https://h/y",
                    "headers": {"A": "{{secret:REVIEW_TOKEN}}", "B": "{{secret:REVIEW_TOKEN}}"}}},
                {"id": "s", "agent": {"kind": "shell", "command": ["echo", "{{secret:NOPE}}"]}},
                {"id": "h", "agent": {"kind": "http", "url": "https://h/{{secret:ALSO_NOT}}",
                    "body": {"k": "{{secret:NOR_THIS}}"}}}
            ]
        }))
        .expect("a workflow");
        let refs = secret_references(&workflow);
        let got: Vec<(&str, Vec<&str>)> = refs
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.steps.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("API_KEY", vec!["ask"]),
                ("REVIEW_TOKEN", vec!["fetch", "again"])
            ]
        );
    }
}
