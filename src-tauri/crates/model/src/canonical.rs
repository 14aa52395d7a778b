//! The canonical writer: the one way Braid formats a workflow or layout file,
//! so that a saved file diffs cleanly and load→save is byte-identical.
//!
//! Rules: keys in model order (struct field order; maps keep the file's
//! order), two-space indent, a trailing newline. An array or object whose
//! members are all scalars is written on one line when that line stays
//! within [`MAX_INLINE_WIDTH`] columns (`"requires": ["a", "b"]`, an edge
//! `{ "from": "a", "to": "b" }`); anything else is written one member per
//! line. Integral floats are written without a fraction (`80`, not `80.0`).

use serde::Serialize;
use serde_json::{Number, Value};

use crate::model::{Layout, Workflow};

/// Longest line (indent included) an inline array/object may produce.
pub const MAX_INLINE_WIDTH: usize = 100;

pub fn workflow_to_string(workflow: &Workflow) -> String {
    to_canonical_string(workflow)
}

pub fn layout_to_string(layout: &Layout) -> String {
    to_canonical_string(layout)
}

/// Formats any serialisable value by the canonical rules.
pub fn to_canonical_string<T: Serialize>(value: &T) -> String {
    // Serialising our own model types into a Value cannot fail: every map
    // key is a string and every float comes from parsed JSON.
    let value = serde_json::to_value(value).expect("model types serialise to JSON");
    let mut out = String::with_capacity(4096);
    write_value(&mut out, &value, 0, 0);
    out.push('\n');
    out
}

fn write_value(out: &mut String, value: &Value, indent: usize, prefix_width: usize) {
    match value {
        Value::Array(items) if !items.is_empty() => {
            if let Some(inline) = inline_form(value) {
                if indent + prefix_width + inline.len() <= MAX_INLINE_WIDTH {
                    out.push_str(&inline);
                    return;
                }
            }
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                push_indent(out, indent + 1);
                write_value(out, item, indent + 1, 0);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            push_indent(out, indent);
            out.push(']');
        }
        Value::Object(map) if !map.is_empty() => {
            if let Some(inline) = inline_form(value) {
                if indent + prefix_width + inline.len() <= MAX_INLINE_WIDTH {
                    out.push_str(&inline);
                    return;
                }
            }
            out.push_str("{\n");
            for (i, (key, item)) in map.iter().enumerate() {
                push_indent(out, indent + 1);
                let key_json = string_literal(key);
                out.push_str(&key_json);
                out.push_str(": ");
                write_value(out, item, indent + 1, key_json.len() + 2);
                if i + 1 < map.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            push_indent(out, indent);
            out.push('}');
        }
        scalar => out.push_str(&scalar_form(scalar)),
    }
}

/// The one-line form of an array/object whose members are all scalars.
fn inline_form(value: &Value) -> Option<String> {
    match value {
        Value::Array(items) => {
            let parts: Option<Vec<String>> = items.iter().map(scalar_only).collect();
            Some(format!("[{}]", parts?.join(", ")))
        }
        Value::Object(map) => {
            let parts: Option<Vec<String>> = map
                .iter()
                .map(|(k, v)| scalar_only(v).map(|s| format!("{}: {s}", string_literal(k))))
                .collect();
            Some(format!("{{ {} }}", parts?.join(", ")))
        }
        _ => None,
    }
}

fn scalar_only(value: &Value) -> Option<String> {
    match value {
        Value::Array(a) if a.is_empty() => Some("[]".into()),
        Value::Object(o) if o.is_empty() => Some("{}".into()),
        Value::Array(_) | Value::Object(_) => None,
        scalar => Some(scalar_form(scalar)),
    }
}

fn scalar_form(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_form(n),
        Value::String(s) => string_literal(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

fn number_form(n: &Number) -> String {
    if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
        // Exactly representable integers print without ".0".
        if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
            return format!("{}", f as i64);
        }
    }
    n.to_string()
}

fn string_literal(s: &str) -> String {
    serde_json::to_string(s).expect("strings always serialise")
}

fn push_indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}
