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
    let mut chars = name.chars();
    name != INDEX_ACCOUNT
        && matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The secret named by a placeholder name (`secret:NAME` → `NAME`).
pub fn secret_name(placeholder: &str) -> Option<&str> {
    placeholder.strip_prefix(SECRET_PREFIX).map(str::trim)
}

/// Every secret a workflow file names, sorted.
pub fn secret_names(workflow: &Workflow) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut scan = |text: &str| {
        for p in placeholders(text) {
            if let Some(name) = secret_name(p.name) {
                names.insert(name.to_string());
            }
        }
    };
    for step in &workflow.steps {
        match &step.agent {
            Agent::Http(http) => http.headers.values().for_each(|v| scan(v)),
            Agent::Llm(llm) => llm.api_key.iter().for_each(|v| scan(v)),
            _ => {}
        }
    }
    names
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
}
