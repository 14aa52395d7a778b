//! The `llm` agent: one chat completion against an OpenAI-compatible API
//! (`POST {base_url}/chat/completions`: OpenAI, Ollama, llama.cpp's server,
//! vLLM, LM Studio, …), the reply read as the JSON result object.
//!
//! - `system` and `prompt` take `{{key}}` placeholders (values as text);
//!   `api_key` is a `{{secret:NAME}}` sent as `Authorization: Bearer …`.
//! - The reply may wrap its JSON in a fenced block or prose
//!   ([`parse_reply`]); a reply with no result object fails the attempt
//!   (retried per the step's policy: another sample may do better), unless
//!   the step produces exactly one key, which then gets the reply's text.
//! - Token usage (`usage.prompt_tokens`, `completion_tokens`,
//!   `total_tokens`) is emitted as a `step_metrics` event.
//! - 429 and 5xx are retried per the step's retry policy, no sooner than a
//!   `Retry-After` asks; other 4xx are final.

use std::time::Instant;

use indexmap::IndexMap;
use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use super::http::{PreparedRequest, exchange, refused};
use super::net;
use super::result::parse_reply;
use super::{Agent, AgentFuture, Attempt, AttemptReport};
use crate::agents::result::AttemptOutcome;
use crate::events::EventKind;
use crate::model;
use crate::template;
use crate::template::secret_name;
use crate::url_template;

const TAIL_BYTES: usize = 64 * 1024;

pub struct LlmAgent {
    config: model::LlmAgent,
}

impl LlmAgent {
    pub fn new(config: model::LlmAgent) -> Self {
        Self { config }
    }
}

/// `{base_url}/chat/completions`.
pub fn endpoint(base_url: &str) -> String {
    format!("{}/chat/completions", base_url.trim_end_matches('/'))
}

/// The chat-completion request body.
pub fn request_body(config: &model::LlmAgent, attempt: &Attempt) -> Value {
    let fill = |text: &str| template::substitute(text, |name| attempt.text(name));
    let mut messages = Vec::new();
    if let Some(system) = &config.system {
        messages.push(json!({ "role": "system", "content": fill(system) }));
    }
    messages.push(json!({ "role": "user", "content": fill(&config.prompt) }));
    let mut body = json!({ "model": config.model, "messages": messages, "stream": false });
    if let Some(t) = config.temperature {
        body["temperature"] = json!(t);
    }
    if let Some(n) = config.max_tokens {
        body["max_tokens"] = json!(n);
    }
    body
}

fn prepare(config: &model::LlmAgent, attempt: &Attempt) -> Result<PreparedRequest, String> {
    let url = url_template::build_url(&endpoint(&config.base_url), |_| None)?;
    let mut headers = HeaderMap::new();
    headers.insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(key) = &config.api_key {
        let mut failure = None;
        let text = template::substitute(key, |placeholder| {
            let name = secret_name(placeholder)?;
            match attempt.run.secrets.get(name) {
                Ok(v) => Some(v),
                Err(e) => {
                    failure.get_or_insert(e);
                    None
                }
            }
        });
        if let Some(e) = failure {
            return Err(e);
        }
        let mut value = HeaderValue::from_str(&format!("Bearer {text}"))
            .map_err(|_| "the api_key is not valid in a header".to_string())?;
        value.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    let body = request_body(config, attempt);
    Ok(PreparedRequest {
        method: Method::POST,
        url,
        headers,
        body: Some(serde_json::to_vec(&body).expect("JSON values serialise")),
    })
}

/// Token counts from a completion's `usage`, when it has any.
pub fn usage(completion: &Value) -> IndexMap<String, u64> {
    let mut metrics = IndexMap::new();
    for key in ["prompt_tokens", "completion_tokens", "total_tokens"] {
        if let Some(n) = completion["usage"][key].as_u64() {
            metrics.insert(key.to_string(), n);
        }
    }
    metrics
}

/// The reply text of the first choice.
fn reply_text(completion: &Value) -> Option<&str> {
    completion["choices"][0]["message"]["content"].as_str()
}

impl Agent for LlmAgent {
    fn run(&self, attempt: Attempt) -> AgentFuture {
        let config = self.config.clone();
        Box::pin(async move {
            let started = Instant::now();
            let request = match prepare(&config, &attempt) {
                Ok(request) => request,
                Err(error) => return refused(error, started),
            };
            let line = format!("POST {} (model {})", request.url, config.model);
            let response = match exchange(request, &attempt, &line, started).await {
                Ok(response) => response,
                Err(report) => return report,
            };
            let status = response.status;
            let mut stdout = response.body.clone();
            let outcome = if !status.is_success() {
                net::status_failure(status, &response.headers, &response.body)
            } else {
                match serde_json::from_str::<Value>(&response.body) {
                    Err(_) => malformed(format!(
                        "the reply is not a chat completion (not JSON): {}",
                        net::excerpt(&response.body)
                    )),
                    Ok(completion) => {
                        let metrics = usage(&completion);
                        if !metrics.is_empty() {
                            attempt.emit(EventKind::StepMetrics {
                                at: attempt.at.clone(),
                                metrics,
                            });
                        }
                        match reply_text(&completion) {
                            None => malformed(format!(
                                "the reply has no choices[0].message.content: {}",
                                net::excerpt(&response.body)
                            )),
                            Some(reply) => {
                                stdout = reply.to_string();
                                match parse_reply(reply, &attempt.step.produces) {
                                    Some(result) => AttemptOutcome::Succeeded(result),
                                    None => malformed(format!(
                                        "the model's reply is not a JSON result object: {}",
                                        net::excerpt(reply)
                                    )),
                                }
                            }
                        }
                    }
                }
            };
            AttemptReport {
                outcome,
                exit_code: Some(i32::from(status.as_u16())),
                stdout_tail: net::tail(&stdout, TAIL_BYTES),
                stderr_tail: format!("{line} → {status}"),
                duration: started.elapsed(),
            }
        })
    }
}

/// An unusable reply: worth another attempt (models are not deterministic).
fn malformed(error: String) -> AttemptOutcome {
    AttemptOutcome::ServiceFailed {
        error,
        retry_after_ms: None,
        retryable: true,
    }
}
