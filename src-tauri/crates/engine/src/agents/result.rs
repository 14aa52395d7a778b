//! The agent result protocol: how a program's stdout (or, later, an HTTP
//! body or a model's reply) becomes a step's outputs and verdict.
//!
//! From the spec (`shell` agent): if stdout, or its last non-empty line, is a
//! JSON object with any of `outputs`, `score`, `approved`, `status`,
//! `recommendations`, `errors`, it is the result; `"status": "blocked"` blocks
//! the run. Otherwise, when the step produces exactly one key, the trimmed
//! stdout becomes that key's value.
//!
//! Parsing never fails. Agents are arbitrary programs, and a program that
//! prints `"score": "high"` has still done its work: a member of the wrong
//! type is ignored (and reported in [`ParsedResult::warnings`], so the attempt
//! can show why a score is missing) rather than turning a finished step into a
//! failure. Validation of what a step *must* produce happens later, against
//! its `produces` list, where the message can name the missing key.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The members that mark a JSON object as a result object. An object with
/// none of them is ordinary output (e.g. a program that prints a JSON
/// document as its single produced value).
pub const RESULT_KEYS: [&str; 6] = [
    "outputs",
    "score",
    "approved",
    "status",
    "recommendations",
    "errors",
];

/// How an attempt ended, as the driver reports it to the machine.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptOutcome {
    /// The agent succeeded; `result.blocked` still stops the run.
    Succeeded(AgentResult),
    Failed {
        error: String,
    },
    TimedOut {
        error: String,
    },
    Cancelled,
    /// A failure that carries a service's advice on retrying (the `http`
    /// and `llm` agents): `retryable: false` ends the step at once whatever
    /// its retry policy (a 401 will not get better); `retry_after_ms` (a
    /// `Retry-After` header) is a minimum wait, so the next attempt starts
    /// after `max(policy delay, retry_after_ms)`.
    ServiceFailed {
        error: String,
        retry_after_ms: Option<u64>,
        retryable: bool,
    },
}

/// What an agent returned.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentResult {
    /// Values for the context keys the step produces (and possibly others,
    /// which the engine may reject against `produces`).
    pub outputs: Map<String, Value>,
    /// A numeric score, e.g. 0–100 for a review. Not range-checked here.
    pub score: Option<f64>,
    /// A reviewer's verdict, when the agent gives one.
    pub approved: Option<bool>,
    /// `"status": "blocked"`: stop the run (unless the step is optional) and
    /// report it as blocked rather than failed.
    pub blocked: bool,
    /// Free-form advice, kept as given (strings or objects).
    pub recommendations: Vec<Value>,
    /// Errors the agent reports about its input or work, kept as given.
    pub errors: Vec<Value>,
}

/// Where the result came from; useful in an attempt's log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultSource {
    /// The whole trimmed stdout was a result object.
    WholeOutput,
    /// The last non-empty line was a result object (lines before it are logs).
    LastLine,
    /// No result object; the trimmed stdout became the single produced key.
    SingleProduce,
    /// No result object and no single produced key (or empty stdout).
    Empty,
}

/// [`AgentResult`] plus how it was found and what was ignored on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedResult {
    pub result: AgentResult,
    pub source: ResultSource,
    /// One sentence per ignored member, e.g. ``"`score` is a string, not a
    /// number; ignored"``. Empty for a well-formed result.
    pub warnings: Vec<String>,
}

/// Reads a `shell` agent's stdout as a result; see the module docs.
/// Wrong-typed members are silently ignored; use [`parse_stdout_detailed`]
/// to see them.
pub fn parse_stdout(stdout: &str, produces: &[String]) -> AgentResult {
    parse_stdout_detailed(stdout, produces).result
}

/// [`parse_stdout`] with the result's source and the warnings about ignored
/// members.
///
/// Rules, in order:
/// 1. the whole trimmed stdout is a JSON object with a [`RESULT_KEYS`] member;
/// 2. else its last non-empty line (trimmed) is such an object;
/// 3. else, if `produces` has exactly one key and the trimmed stdout is not
///    empty, that key gets the trimmed stdout as a JSON string (empty stdout
///    produces nothing, so the engine reports the key as missing instead of
///    silently storing `""`);
/// 4. else an empty result.
pub fn parse_stdout_detailed(stdout: &str, produces: &[String]) -> ParsedResult {
    let trimmed = stdout.trim();
    if let Some((result, warnings)) = result_from_json_text(trimmed) {
        return ParsedResult {
            result,
            source: ResultSource::WholeOutput,
            warnings,
        };
    }
    if let Some(last) = trimmed.lines().map(str::trim).rfind(|l| !l.is_empty()) {
        // A one-line stdout was already tried whole.
        if last.len() != trimmed.len() {
            if let Some((result, warnings)) = result_from_json_text(last) {
                return ParsedResult {
                    result,
                    source: ResultSource::LastLine,
                    warnings,
                };
            }
        }
    }
    if let [key] = produces {
        if !trimmed.is_empty() {
            let mut result = AgentResult::default();
            result
                .outputs
                .insert(key.clone(), Value::String(trimmed.to_owned()));
            return ParsedResult {
                result,
                source: ResultSource::SingleProduce,
                warnings: Vec::new(),
            };
        }
    }
    ParsedResult {
        result: AgentResult::default(),
        source: ResultSource::Empty,
        warnings: Vec::new(),
    }
}

/// Reads an `http` agent's response body as a result: the whole body as a
/// result object; else, when the step produces exactly one key, the body
/// as that key's value (parsed as JSON when it is JSON, else the trimmed
/// text); else an empty result.
pub fn parse_body(body: &str, produces: &[String]) -> AgentResult {
    let trimmed = body.trim();
    if let Some((result, _)) = result_from_json_text(trimmed) {
        return result;
    }
    let mut result = AgentResult::default();
    if let ([key], false) = (produces, trimmed.is_empty()) {
        let value = serde_json::from_str::<Value>(trimmed)
            .unwrap_or_else(|_| Value::String(trimmed.to_owned()));
        result.outputs.insert(key.clone(), value);
    }
    result
}

/// Reads a model's reply (`llm` agent) as a result object, tolerating what
/// models wrap around JSON: a fenced code block (```` ```json … ``` ````),
/// or prose before and after the object. When no result object is found
/// and the step produces exactly one key, the trimmed reply becomes its
/// value. `None`: neither (the reply is unusable).
pub fn parse_reply(reply: &str, produces: &[String]) -> Option<AgentResult> {
    let trimmed = reply.trim();
    let mut candidates: Vec<&str> = vec![trimmed];
    if let Some(fenced) = fenced_block(trimmed) {
        candidates.push(fenced);
    }
    if let (Some(open), Some(close)) = (trimmed.find('{'), trimmed.rfind('}')) {
        if open < close {
            candidates.push(&trimmed[open..=close]);
        }
    }
    for text in candidates {
        if let Some((result, _)) = result_from_json_text(text.trim()) {
            return Some(result);
        }
    }
    match (produces, trimmed.is_empty()) {
        ([key], false) => {
            let mut result = AgentResult::default();
            result
                .outputs
                .insert(key.clone(), Value::String(trimmed.to_owned()));
            Some(result)
        }
        _ => None,
    }
}

/// The contents of the first ```` ``` ```` fenced block (its info string,
/// such as `json`, dropped).
fn fenced_block(text: &str) -> Option<&str> {
    let start = text.find("```")?;
    let after = &text[start + 3..];
    let body_start = after.find('\n').map_or(0, |i| i + 1);
    let body = &after[body_start..];
    let end = body.find("```")?;
    Some(&body[..end])
}

/// Parses `text` as a JSON object and reads it as a result object, if it is
/// one. Cheap rejection first: only text that looks like an object is handed
/// to the JSON parser.
fn result_from_json_text(text: &str) -> Option<(AgentResult, Vec<String>)> {
    if !(text.starts_with('{') && text.ends_with('}')) {
        return None;
    }
    match serde_json::from_str::<Value>(text).ok()? {
        Value::Object(object) => result_from_object(&object),
        _ => None,
    }
}

/// Reads a JSON object as a result object: `None` if it has none of the
/// [`RESULT_KEYS`], else the result and a warning per ignored member.
///
/// Also meant for the `http` and `llm` agents, which receive the same object
/// in a response body or a reply.
///
/// Tolerance, member by member (`null` always means "not given"):
/// - `outputs`: an object; anything else is ignored.
/// - `score`: a number; anything else is ignored.
/// - `approved`: a boolean; anything else is ignored.
/// - `status`: a string; `"blocked"` (any case, surrounding spaces ignored)
///   sets [`AgentResult::blocked`], other strings are accepted and mean
///   nothing further; a non-string is ignored.
/// - `recommendations`, `errors`: an array, kept as is; a single non-array
///   value is kept as a one-item list (a program that reports one error as
///   a string meant exactly that).
///
/// Members outside [`RESULT_KEYS`] are ignored without a warning: programs may
/// print extra diagnostics.
pub fn result_from_object(object: &Map<String, Value>) -> Option<(AgentResult, Vec<String>)> {
    if !RESULT_KEYS.iter().any(|k| object.contains_key(*k)) {
        return None;
    }
    let mut result = AgentResult::default();
    let mut warnings = Vec::new();
    let mut ignore = |key: &str, value: &Value, wanted: &str| {
        warnings.push(format!(
            "`{key}` is {}, not {wanted}; ignored",
            describe(value)
        ));
    };

    match object.get("outputs") {
        None | Some(Value::Null) => {}
        Some(Value::Object(outputs)) => result.outputs = outputs.clone(),
        Some(other) => ignore("outputs", other, "an object"),
    }
    match object.get("score") {
        None | Some(Value::Null) => {}
        Some(Value::Number(n)) => result.score = n.as_f64(),
        Some(other) => ignore("score", other, "a number"),
    }
    match object.get("approved") {
        None | Some(Value::Null) => {}
        Some(Value::Bool(b)) => result.approved = Some(*b),
        Some(other) => ignore("approved", other, "a boolean"),
    }
    match object.get("status") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => result.blocked = s.trim().eq_ignore_ascii_case("blocked"),
        Some(other) => ignore("status", other, "a string"),
    }
    result.recommendations = list(object.get("recommendations"));
    result.errors = list(object.get("errors"));
    Some((result, warnings))
}

/// An array as is, `null`/absent as empty, any other value as a one-item list.
fn list(value: Option<&Value>) -> Vec<Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(other) => vec![other.clone()],
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn whole_stdout_result_object() {
        let out = r#"  {"outputs": {"brand_score": 91}, "score": 91, "approved": true,
            "recommendations": ["shorter title"], "errors": []}
        "#;
        let parsed = parse_stdout_detailed(out, &keys(&["brand_score"]));
        assert_eq!(parsed.source, ResultSource::WholeOutput);
        assert!(parsed.warnings.is_empty());
        assert_eq!(
            parsed.result,
            AgentResult {
                outputs: object(json!({"brand_score": 91})),
                score: Some(91.0),
                approved: Some(true),
                blocked: false,
                recommendations: vec![json!("shorter title")],
                errors: vec![],
            }
        );
    }

    #[test]
    fn last_non_empty_line_after_logs() {
        let out =
            "loading model…\nchecking 3 pages\n{\"approved\": false, \"score\": 12.5}\n\n  \n";
        let parsed = parse_stdout_detailed(out, &[]);
        assert_eq!(parsed.source, ResultSource::LastLine);
        assert_eq!(parsed.result.approved, Some(false));
        assert_eq!(parsed.result.score, Some(12.5));
    }

    #[test]
    fn status_blocked_sets_blocked() {
        let r = parse_stdout(r#"{"status": "blocked", "errors": ["legal hold"]}"#, &[]);
        assert!(r.blocked);
        assert_eq!(r.errors, vec![json!("legal hold")]);
        assert!(parse_stdout(r#"{"status": " Blocked "}"#, &[]).blocked);
        assert!(!parse_stdout(r#"{"status": "ok"}"#, &[]).blocked);
    }

    #[test]
    fn any_single_result_key_is_enough() {
        for key in RESULT_KEYS {
            let text = format!("{{\"{key}\": null}}");
            let parsed = parse_stdout_detailed(&text, &keys(&["x"]));
            assert_eq!(parsed.source, ResultSource::WholeOutput, "{key}");
            assert_eq!(parsed.result, AgentResult::default(), "{key}");
        }
    }

    #[test]
    fn object_without_result_keys_is_plain_output() {
        // A program whose single product is a JSON document.
        let parsed = parse_stdout_detailed("{\"title\": \"Hi\"}\n", &keys(&["doc"]));
        assert_eq!(parsed.source, ResultSource::SingleProduce);
        assert_eq!(
            parsed.result.outputs,
            object(json!({"doc": "{\"title\": \"Hi\"}"}))
        );
        // …and with no single key, nothing.
        let parsed = parse_stdout_detailed("{\"title\": \"Hi\"}", &keys(&["a", "b"]));
        assert_eq!(parsed.source, ResultSource::Empty);
    }

    #[test]
    fn single_produce_gets_trimmed_stdout_as_string() {
        let r = parse_stdout("\n  page-42  \n", &keys(&["page_id"]));
        assert_eq!(r.outputs, object(json!({"page_id": "page-42"})));
        // Numbers are not re-typed: the value is the text the program printed.
        let r = parse_stdout("42\n", &keys(&["n"]));
        assert_eq!(r.outputs, object(json!({"n": "42"})));
        // Multi-line output is kept whole.
        let r = parse_stdout("line one\nline two\n", &keys(&["text"]));
        assert_eq!(r.outputs, object(json!({"text": "line one\nline two"})));
    }

    #[test]
    fn empty_or_unusable_stdout_gives_empty_result() {
        assert_eq!(parse_stdout("", &keys(&["k"])), AgentResult::default());
        assert_eq!(
            parse_stdout(" \n\t\n", &keys(&["k"])),
            AgentResult::default()
        );
        assert_eq!(parse_stdout("hello", &[]), AgentResult::default());
        assert_eq!(
            parse_stdout("hello", &keys(&["a", "b"])),
            AgentResult::default()
        );
    }

    #[test]
    fn wrong_typed_members_are_ignored_with_warnings() {
        let out = r#"{"outputs": [1], "score": "high", "approved": "yes", "status": 3,
            "recommendations": "use fewer adverbs", "errors": {"code": 7}, "extra": 1}"#;
        let parsed = parse_stdout_detailed(out, &keys(&["k"]));
        assert_eq!(parsed.source, ResultSource::WholeOutput);
        assert_eq!(
            parsed.result,
            AgentResult {
                recommendations: vec![json!("use fewer adverbs")],
                errors: vec![json!({"code": 7})],
                ..AgentResult::default()
            }
        );
        assert_eq!(
            parsed.warnings,
            vec![
                "`outputs` is an array, not an object; ignored",
                "`score` is a string, not a number; ignored",
                "`approved` is a string, not a boolean; ignored",
                "`status` is a number, not a string; ignored",
            ]
        );
    }

    #[test]
    fn invalid_json_and_non_objects_fall_through() {
        // Broken JSON on the last line: not a result; single key gets all of stdout.
        let out = "log\n{\"score\": 5,}";
        let r = parse_stdout(out, &keys(&["k"]));
        assert_eq!(r.outputs, object(json!({"k": out})));
        // A JSON array or string is not a result object.
        assert_eq!(
            parse_stdout("[{\"score\": 1}]", &[]),
            AgentResult::default()
        );
        assert_eq!(parse_stdout("\"score\"", &[]), AgentResult::default());
    }

    #[test]
    fn whole_output_wins_over_last_line() {
        // Pretty-printed result: the last line alone (`}`) is not an object.
        let out = "{\n  \"score\": 70,\n  \"outputs\": {\"a\": 1}\n}\n";
        let parsed = parse_stdout_detailed(out, &[]);
        assert_eq!(parsed.source, ResultSource::WholeOutput);
        assert_eq!(parsed.result.score, Some(70.0));
    }

    #[test]
    fn crlf_and_unicode() {
        let r = parse_stdout("note: é\r\n{\"outputs\": {\"t\": \"ünï\"}}\r\n", &[]);
        assert_eq!(r.outputs, object(json!({"t": "ünï"})));
    }

    #[test]
    fn result_from_object_requires_a_result_key() {
        assert!(result_from_object(&object(json!({"foo": 1}))).is_none());
        let (r, w) = result_from_object(&object(json!({"score": 1e3}))).unwrap();
        assert_eq!(r.score, Some(1000.0));
        assert!(w.is_empty());
    }

    #[test]
    fn bodies_are_result_objects_or_the_single_product() {
        let r = parse_body(r#"{"approved": true, "score": 90}"#, &[]);
        assert_eq!((r.approved, r.score), (Some(true), Some(90.0)));
        let r = parse_body(r#"{"title": "Hi"}"#, &keys(&["doc"]));
        assert_eq!(r.outputs, object(json!({"doc": {"title": "Hi"}})));
        let r = parse_body("plain text\n", &keys(&["doc"]));
        assert_eq!(r.outputs, object(json!({"doc": "plain text"})));
        assert_eq!(parse_body("<html>", &[]), AgentResult::default());
    }

    #[test]
    fn replies_tolerate_fences_and_prose() {
        let fenced = "Here you go:\n```json\n{\"approved\": false, \"score\": 40}\n```\nThanks";
        let r = parse_reply(fenced, &[]).unwrap();
        assert_eq!((r.approved, r.score), (Some(false), Some(40.0)));
        let prose = "Verdict: {\"approved\": true} as asked.";
        assert_eq!(parse_reply(prose, &[]).unwrap().approved, Some(true));
        assert!(parse_reply("I cannot do that.", &[]).is_none());
        assert!(parse_reply("{\"approved\": tru", &[]).is_none());
        let r = parse_reply("A short summary.", &keys(&["summary"])).unwrap();
        assert_eq!(r.outputs, object(json!({"summary": "A short summary."})));
    }

    #[test]
    fn serde_round_trip() {
        let r = AgentResult {
            outputs: object(json!({"a": [1, 2]})),
            score: Some(3.5),
            approved: None,
            blocked: true,
            recommendations: vec![json!({"text": "x"})],
            errors: vec![],
        };
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<AgentResult>(&text).unwrap(), r);
        // Missing members default.
        assert_eq!(
            serde_json::from_str::<AgentResult>("{}").unwrap(),
            AgentResult::default()
        );
    }
}
