//! Reading workflow and layout files strictly.
//!
//! Two passes over the bytes, both streaming (nothing is built in the first):
//! 1. a *scan* that checks the JSON syntax (reporting line and column),
//!    rejects a key repeated within one object (serde_json would silently
//!    keep the last one, which is how a hostile file hides a second
//!    `command`), and picks up the top-level `format` so a file of a future
//!    version gets a `format_version` diagnostic instead of a pile of
//!    unknown-field errors;
//! 2. the typed deserialisation through `serde_path_to_error`, so every
//!    schema error names its JSON path (`$.steps[3].retry.max_atempts`).
//!
//! Files over [`MAX_FILE_BYTES`] are refused before either pass. Nesting is
//! bounded by serde_json's recursion limit (128), reported as a `parse` error.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use crate::diagnostic::{Code, Diagnostic};
use crate::model::{FORMAT_V1, Layout, Workflow};

/// Largest file the loader accepts; anything bigger is refused unread.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// Parses a workflow file. On failure, returns the diagnostics that explain
/// why (one for a syntax or schema error; the typed pass stops at the first).
pub fn parse_workflow(bytes: &[u8]) -> Result<Workflow, Vec<Diagnostic>> {
    let format = scan(bytes).map_err(|d| vec![d])?;
    match format {
        Some(Some(f)) if f == FORMAT_V1 => {}
        Some(found) => {
            let shown =
                found.map_or_else(|| "a non-string value".to_string(), |f| format!("\"{f}\""));
            return Err(vec![Diagnostic::error(
                Code::FormatVersion,
                "$.format",
                format!("unsupported format {shown}; this version of Braid reads \"{FORMAT_V1}\""),
            )]);
        }
        None => {
            return Err(vec![Diagnostic::error(
                Code::FormatVersion,
                "$",
                format!("missing \"format\"; expected \"{FORMAT_V1}\""),
            )]);
        }
    }
    typed(bytes).map_err(|d| vec![d])
}

/// Parses a `NAME.layout.json` sidecar.
pub fn parse_layout(bytes: &[u8]) -> Result<Layout, Vec<Diagnostic>> {
    scan(bytes).map_err(|d| vec![d])?;
    typed(bytes).map_err(|d| vec![d])
}

/// Pass 2: typed deserialisation with JSON paths.
fn typed<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Diagnostic> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(schema_diagnostic)?;
    Ok(value)
}

fn schema_diagnostic(err: serde_path_to_error::Error<serde_json::Error>) -> Diagnostic {
    let mut path = json_path(&err.path().to_string());
    let inner = err.inner();
    let (line, column) = (inner.line(), inner.column());
    let full = inner.to_string();
    let message = full
        .strip_suffix(&format!(" at line {line} column {column}"))
        .unwrap_or(&full)
        .to_string();

    let code = if let Some(field) = backticked(&message, "unknown field `") {
        // Name the field itself, whether or not the path already ends at it
        // (it does for structs, not inside an internally tagged enum).
        if !path.ends_with(&format!(".{field}")) {
            path = format!("{path}.{field}");
        }
        Code::UnknownField
    } else if message.starts_with("unknown variant") && path.ends_with(".strategy") {
        Code::BadAggregate
    } else if message.starts_with("unknown variant") && path.ends_with(".agent") {
        Code::BadAgent
    } else if inner.is_syntax() || inner.is_eof() {
        Code::Parse
    } else {
        Code::BadValue
    };
    let diagnostic = Diagnostic::error(code, path, message);
    if line > 0 {
        diagnostic.at(line, column)
    } else {
        diagnostic
    }
}

/// `steps[3].retry` → `$.steps[3].retry`; serde_path_to_error's root `.` → `$`.
fn json_path(serde_path: &str) -> String {
    if serde_path == "." || serde_path.is_empty() {
        "$".to_string()
    } else {
        format!("$.{serde_path}")
    }
}

fn backticked<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next()
}

// ---------------------------------------------------------------------------
// Pass 1: the scan.

/// Outcome of the scan: `None` when there is no top-level `format` key,
/// `Some(None)` when it is not a string.
type FormatSeen = Option<Option<String>>;

fn scan(bytes: &[u8]) -> Result<FormatSeen, Diagnostic> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Diagnostic::error(
            Code::TooLarge,
            "$",
            format!(
                "file is {} bytes; workflow files are limited to {} bytes (5 MB)",
                bytes.len(),
                MAX_FILE_BYTES
            ),
        ));
    }
    let mut state = ScanState::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = Scan {
        state: &mut state,
        depth: 0,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match result {
        Ok(()) => Ok(state.format),
        Err(err) => {
            let (line, column) = (err.line(), err.column());
            let full = err.to_string();
            let message = full
                .strip_suffix(&format!(" at line {line} column {column}"))
                .unwrap_or(&full)
                .to_string();
            let path = state.error_path_string();
            let code = if state.duplicate {
                Code::DuplicateKey
            } else {
                Code::Parse
            };
            let message = if code == Code::Parse {
                format!("malformed JSON: {message} (line {line}, column {column})")
            } else {
                format!("{message} (line {line}, column {column})")
            };
            Err(Diagnostic::error(code, path, message).at(line, column))
        }
    }
}

enum Segment {
    Key(String),
    Index(usize),
}

#[derive(Default)]
struct ScanState {
    format: FormatSeen,
    /// Filled while an error unwinds: innermost segment first.
    error_path: Vec<Segment>,
    duplicate: bool,
}

impl ScanState {
    fn error_path_string(&self) -> String {
        let mut out = String::from("$");
        for segment in self.error_path.iter().rev() {
            match segment {
                Segment::Key(k) => {
                    out.push('.');
                    out.push_str(k);
                }
                Segment::Index(i) => {
                    out.push('[');
                    out.push_str(&i.to_string());
                    out.push(']');
                }
            }
        }
        out
    }
}

/// A JSON value walked without being built.
struct Scan<'s> {
    state: &'s mut ScanState,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Scan<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Keys seen in one object: a short list scanned linearly (objects are
/// small), switching to a hash set once an object grows large.
enum SeenKeys<'de> {
    Few(Vec<Cow<'de, str>>),
    Many(HashSet<Cow<'de, str>>),
}

impl<'de> SeenKeys<'de> {
    /// Records `key`; false if it was already there.
    fn insert(&mut self, key: Cow<'de, str>) -> bool {
        match self {
            SeenKeys::Few(list) => {
                if list.contains(&key) {
                    return false;
                }
                list.push(key);
                if list.len() > 16 {
                    *self = SeenKeys::Many(std::mem::take(list).into_iter().collect());
                }
                true
            }
            SeenKeys::Many(set) => set.insert(key),
        }
    }
}

impl<'de> Visitor<'de> for Scan<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            let element = Scan {
                state: &mut *self.state,
                depth: self.depth + 1,
            };
            match seq.next_element_seed(element) {
                Ok(Some(())) => index += 1,
                Ok(None) => return Ok(()),
                Err(err) => {
                    self.state.error_path.push(Segment::Index(index));
                    return Err(err);
                }
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = SeenKeys::Few(Vec::new());
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            if self.depth == 0 && key == "format" {
                let value: serde_json::Value = map.next_value()?;
                self.state.format = Some(value.as_str().map(str::to_owned));
                if !seen.insert(key.clone()) {
                    return Err(self.duplicate(&key));
                }
                continue;
            }
            if !seen.insert(key.clone()) {
                return Err(self.duplicate(&key));
            }
            let value = Scan {
                state: &mut *self.state,
                depth: self.depth + 1,
            };
            if let Err(err) = map.next_value_seed(value) {
                self.state.error_path.push(Segment::Key(key.into_owned()));
                return Err(err);
            }
        }
        Ok(())
    }
}

impl Scan<'_> {
    fn duplicate<E: de::Error>(self, key: &str) -> E {
        self.state.duplicate = true;
        self.state.error_path.push(Segment::Key(key.to_owned()));
        E::custom(format_args!("duplicate key `{key}` in one object"))
    }
}
