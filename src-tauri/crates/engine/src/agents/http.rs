//! The `http` agent: one request to a service, its response body read as
//! the JSON result object.
//!
//! Safety, by construction:
//! - the scheme, host and port are the file's own (validation refuses a
//!   placeholder there; [`url_template::build_url`] checks the filled-in URL again),
//!   and path and query values are percent-encoded so they stay values;
//! - a redirect to another origin is refused (the client's policy);
//! - `{{secret:NAME}}` is allowed only in headers, substituted here at the
//!   last moment, and such headers are marked sensitive;
//! - the body read is capped ([`net::MAX_BODY_BYTES`]).
//!
//! A 2xx response is a success; any other status fails the attempt with
//! the status and an excerpt of the body, retried by the step's policy when
//! the status is worth retrying (408, 425, 429, 5xx), no sooner than a
//! `Retry-After` asks. The HTTP status is recorded as the attempt's exit
//! code, the body as its stdout tail, the request line as its stderr tail.

use std::time::Instant;

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::net::{self, Limited};
use super::result::parse_body;
use super::{Agent, AgentFuture, Attempt, AttemptReport, fill_json};
use crate::agents::result::AttemptOutcome;
use crate::model;
use crate::model::method_of;
use crate::template;
use crate::template::secret_name;
use crate::url_template;

/// Bytes of the response body kept with the attempt.
const TAIL_BYTES: usize = 64 * 1024;

pub struct HttpAgent {
    config: model::HttpAgent,
}

impl HttpAgent {
    pub fn new(config: model::HttpAgent) -> Self {
        Self { config }
    }
}

/// Everything needed to send one request.
pub struct PreparedRequest {
    pub method: Method,
    pub url: url::Url,
    pub headers: HeaderMap,
    pub body: Option<Vec<u8>>,
}

/// Builds the request for one attempt, substituting placeholders (and
/// secrets, in headers only). Errors are final: retrying cannot fix them.
pub fn prepare(config: &model::HttpAgent, attempt: &Attempt) -> Result<PreparedRequest, String> {
    let method = Method::from_bytes(method_of(config).as_bytes())
        .map_err(|_| format!("`{}` is not an HTTP method", method_of(config)))?;
    let url = url_template::build_url(&config.url, |name| attempt.text(name))?;
    let mut headers = HeaderMap::new();
    for (name, value) in &config.headers {
        let mut secret = false;
        let mut failure = None;
        let text = template::substitute(value, |placeholder| match secret_name(placeholder) {
            Some(secret_name) => {
                secret = true;
                match attempt.run.secrets.get(secret_name) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        failure.get_or_insert(e);
                        None
                    }
                }
            }
            None => attempt.text(placeholder),
        });
        if let Some(e) = failure {
            return Err(e);
        }
        let header = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| format!("`{name}` is not a valid header name"))?;
        let mut header_value = HeaderValue::from_str(&text).map_err(|_| {
            format!("the value of header `{name}` is not valid in a header (line breaks or control characters)")
        })?;
        header_value.set_sensitive(secret);
        headers.append(header, header_value);
    }
    let body = match &config.body {
        Some(template) => {
            let filled = fill_json(template, &|name| attempt.value(name));
            if !headers.contains_key(reqwest::header::CONTENT_TYPE) {
                headers.insert(
                    reqwest::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
            Some(serde_json::to_vec(&filled).expect("JSON values serialise"))
        }
        None => None,
    };
    if !headers.contains_key(reqwest::header::ACCEPT) {
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
    }
    Ok(PreparedRequest {
        method,
        url,
        headers,
        body,
    })
}

/// A response read whole.
pub struct Response {
    pub status: reqwest::StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

/// Sends a request and reads its (capped) body. `Err` for transport
/// failures: connection refused, a refused redirect, an oversized body.
pub async fn send(request: PreparedRequest) -> Result<Response, SendError> {
    let client = net::client().map_err(SendError::Final)?;
    let mut builder = client
        .request(request.method, request.url)
        .headers(request.headers);
    if let Some(body) = request.body {
        builder = builder.body(body);
    }
    let response = builder.send().await.map_err(|e| {
        if e.is_redirect() {
            SendError::Final(net::describe_error(&e))
        } else if e.is_connect() {
            SendError::Transport(net::connect_error(&e))
        } else {
            SendError::Transport(net::describe_error(&e))
        }
    })?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = net::read_body(response).await.map_err(SendError::Final)?;
    Ok(Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Why a request got no response.
#[derive(Debug)]
pub enum SendError {
    /// Network trouble: worth another attempt.
    Transport(String),
    /// Refused (redirect to another host, body too large): not retried.
    Final(String),
}

impl SendError {
    pub fn into_outcome(self) -> AttemptOutcome {
        match self {
            SendError::Transport(error) => AttemptOutcome::ServiceFailed {
                error,
                retry_after_ms: None,
                retryable: true,
            },
            SendError::Final(error) => AttemptOutcome::ServiceFailed {
                error,
                retry_after_ms: None,
                retryable: false,
            },
        }
    }
}

/// A final failure before anything was sent.
pub fn refused(error: String, started: Instant) -> AttemptReport {
    AttemptReport::outcome_only(
        AttemptOutcome::ServiceFailed {
            error,
            retry_after_ms: None,
            retryable: false,
        },
        started.elapsed(),
    )
}

/// The outcome of a limited request that did not finish.
pub fn unfinished<T>(limited: &Limited<T>, attempt: &Attempt) -> Option<AttemptOutcome> {
    match limited {
        Limited::Done(_) => None,
        Limited::Cancelled => Some(AttemptOutcome::Cancelled),
        Limited::TimedOut => Some(AttemptOutcome::TimedOut {
            error: format!(
                "no response within {:.1}s",
                attempt.timeout.unwrap_or_default().as_secs_f64()
            ),
        }),
    }
}

/// Sends a prepared request within the attempt's timeout and cancellation.
/// `Err` is the attempt's report when no response came back (cancelled,
/// timed out, or the connection failed); `line` (method and URL, never a
/// secret) goes into its stderr tail so the attempt says what it tried.
pub async fn exchange(
    request: PreparedRequest,
    attempt: &Attempt,
    line: &str,
    started: Instant,
) -> Result<Response, AttemptReport> {
    let limited = net::limited(send(request), attempt.timeout, &attempt.cancel).await;
    let failed = |outcome| {
        let mut report = AttemptReport::outcome_only(outcome, started.elapsed());
        report.stderr_tail = line.to_string();
        report
    };
    if let Some(outcome) = unfinished(&limited, attempt) {
        return Err(failed(outcome));
    }
    let Limited::Done(sent) = limited else {
        unreachable!("unfinished covers the rest")
    };
    sent.map_err(|e| failed(e.into_outcome()))
}

impl Agent for HttpAgent {
    fn run(&self, attempt: Attempt) -> AgentFuture {
        let config = self.config.clone();
        Box::pin(async move {
            let started = Instant::now();
            let request = match prepare(&config, &attempt) {
                Ok(request) => request,
                Err(error) => return refused(error, started),
            };
            let line = format!("{} {}", request.method, request.url);
            tracing::debug!(request = %line, "http request");
            let response = match exchange(request, &attempt, &line, started).await {
                Ok(response) => response,
                Err(report) => return report,
            };
            let status = response.status;
            let outcome = if status.is_success() {
                AttemptOutcome::Succeeded(parse_body(&response.body, &attempt.step.produces))
            } else {
                net::status_failure(status, &response.headers, &response.body)
            };
            AttemptReport {
                outcome,
                exit_code: Some(i32::from(status.as_u16())),
                stdout_tail: net::tail(&response.body, TAIL_BYTES),
                stderr_tail: format!("{line} → {status}"),
                duration: started.elapsed(),
            }
        })
    }
}

/// Placeholder-free check used by validation and review: whether a header
/// value names a secret.
pub fn header_secrets(value: &str) -> Vec<&str> {
    template::placeholders(value)
        .into_iter()
        .filter_map(|p| secret_name(p.name))
        .collect()
}
