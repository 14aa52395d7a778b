//! Problems found in a workflow file. Diagnostics are data, not `Err`: a
//! loader or validator returns all of them at once so the editor can pin
//! every one on its node.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// Stable diagnostic codes. The first block is the contract of
/// `docs/spec/cli.md`; the second holds Braid's documented extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Code {
    Parse,
    UnknownField,
    FormatVersion,
    DuplicateId,
    BadId,
    DanglingEdge,
    Cycle,
    MissingInput,
    WriteConflict,
    GroupEdge,
    UnknownGroup,
    BadAggregate,
    BadLimit,
    UnknownResource,
    PlaceholderInScript,
    Unreachable,
    UnusedOutput,
    // --- extensions (documented in docs/diagnostics.md) ---
    /// The file is larger than the 5 MB the loader accepts.
    TooLarge,
    /// The same key appears twice in one JSON object.
    DuplicateKey,
    /// A value has the wrong type or is outside its allowed range.
    BadValue,
    /// An agent's settings are incomplete or contradictory.
    BadAgent,
    /// An edge's `when` does not fit its source (a step cannot be `approved`).
    BadCondition,
    /// A group with no branch, or a map group without exactly one branch.
    BadGroup,
    /// A `{{key}}` placeholder names a key the step does not `require`.
    UnknownPlaceholder,
    /// An agent kind this build cannot run. No longer reported: every
    /// agent kind of `braid/1` runs. Kept so stored diagnostics still read.
    UnsupportedAgent,
    /// An `http` URL or `llm` base_url that is not an absolute http(s) URL
    /// with a literal scheme, host and port.
    BadUrl,
    /// `workflow` steps that run each other, across files (found by
    /// `validate::references`, which reads the sub-workflow files).
    WorkflowCycle,
    // --- format revision 2 ---
    /// A loop edge that points forward, has no `when`, an out-of-range
    /// `max_rounds`, or a body that leaks, overlaps another or touches a branch.
    BadLoop,
    /// A `reads` key that no input, context key, step or group can provide (warning).
    UnknownRead,
    /// A `reads` key written by a step that may run at the same time as the reader (warning).
    RacyRead,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Parse => "parse",
            Code::UnknownField => "unknown_field",
            Code::FormatVersion => "format_version",
            Code::DuplicateId => "duplicate_id",
            Code::BadId => "bad_id",
            Code::DanglingEdge => "dangling_edge",
            Code::Cycle => "cycle",
            Code::MissingInput => "missing_input",
            Code::WriteConflict => "write_conflict",
            Code::GroupEdge => "group_edge",
            Code::UnknownGroup => "unknown_group",
            Code::BadAggregate => "bad_aggregate",
            Code::BadLimit => "bad_limit",
            Code::UnknownResource => "unknown_resource",
            Code::PlaceholderInScript => "placeholder_in_script",
            Code::Unreachable => "unreachable",
            Code::UnusedOutput => "unused_output",
            Code::TooLarge => "too_large",
            Code::DuplicateKey => "duplicate_key",
            Code::BadValue => "bad_value",
            Code::BadAgent => "bad_agent",
            Code::BadCondition => "bad_condition",
            Code::BadGroup => "bad_group",
            Code::UnknownPlaceholder => "unknown_placeholder",
            Code::UnsupportedAgent => "unsupported_agent",
            Code::BadUrl => "bad_url",
            Code::WorkflowCycle => "workflow_cycle",
            Code::BadLoop => "bad_loop",
            Code::UnknownRead => "unknown_read",
            Code::RacyRead => "racy_read",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    /// JSON path of the offending value, e.g. `$.steps[3].retry.max_atempts`.
    pub path: String,
    /// Ids of the steps/groups involved (for the editor's badges).
    pub nodes: Vec<String>,
    /// 1-based line and column, when the problem is in the JSON text itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Diagnostic {
    pub fn error(code: Code, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code,
            message: message.into(),
            path: path.into(),
            nodes: Vec::new(),
            line: None,
            column: None,
        }
    }
    pub fn warning(code: Code, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, path, message)
        }
    }
    pub fn with_nodes<I, S>(mut self, nodes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.nodes = nodes.into_iter().map(Into::into).collect();
        self
    }
    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.line = u32::try_from(line).ok();
        self.column = u32::try_from(column).ok();
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// True when any diagnostic is an error (warnings do not make a file invalid).
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}
