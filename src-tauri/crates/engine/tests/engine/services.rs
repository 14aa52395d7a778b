//! Service agents (`http`, `llm`) against real HTTP servers.
//!
//! The servers are small axum apps bound to 127.0.0.1:0 inside each test:
//! a review service and an OpenAI-compatible chat endpoint. They stand in
//! for services that cannot run here (no network beyond package registries,
//! no model server); the agent under test talks real HTTP to them over real
//! sockets, through the same client, redirect policy, body cap and retry
//! path a deployed workflow uses.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use braid_engine::bus::EventBus;
use braid_engine::events::{Event, EventKind, RunStatus};
use braid_engine::run::driver::{RunOutcome, RunRequest, RunServices, run};
use braid_engine::secrets::{RunSecrets, StaticSecrets};
use braid_model::model::JsonMap;
use braid_model::validate::{Validation, load};
use braid_model::{Code, Diagnostic};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// One request as the stand-in service saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub uri: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

/// How a stand-in answers its n-th request (0-based).
type Reply = dyn Fn(usize, &Seen) -> Response + Send + Sync;

/// A scripted service: the n-th request (0-based) gets `reply(n, &seen)`.
#[derive(Clone)]
pub struct Service {
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub hits: Arc<AtomicUsize>,
    reply: Arc<Reply>,
}

async fn handle(
    State(service): State<Service>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = Seen {
        method: method.to_string(),
        uri: uri.to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let n = service.hits.fetch_add(1, Ordering::SeqCst);
    service.seen.lock().unwrap().push(seen.clone());
    (service.reply)(n, &seen)
}

/// Starts a stand-in service on 127.0.0.1 with an OS-chosen port.
pub async fn serve(
    reply: impl Fn(usize, &Seen) -> Response + Send + Sync + 'static,
) -> (SocketAddr, Service) {
    let service = Service {
        seen: Arc::default(),
        hits: Arc::default(),
        reply: Arc::new(reply),
    };
    let app = Router::new()
        .route("/", any(handle))
        .route("/{*path}", any(handle))
        .with_state(service.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, service)
}

pub fn json_reply(status: u16, body: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap(),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

pub fn text_reply(status: u16, body: &str) -> Response {
    (StatusCode::from_u16(status).unwrap(), body.to_string()).into_response()
}

/// An OpenAI-compatible chat completion whose reply is `content`.
pub fn completion(content: &str) -> Response {
    json_reply(
        200,
        json!({
            "id": "chatcmpl-1", "object": "chat.completion", "model": "stand-in",
            "choices": [{ "index": 0, "message": { "role": "assistant", "content": content },
                          "finish_reason": "stop" }],
            "usage": { "prompt_tokens": 31, "completion_tokens": 12, "total_tokens": 43 }
        }),
    )
}

pub fn workflow(steps: Value) -> Value {
    json!({
        "format": "braid/1", "id": "services",
        "inputs": { "page_id": { "default": "post-1" } },
        "limits": { "concurrency": 4 },
        "steps": steps
    })
}

pub async fn execute(doc: &Value, secrets: &[(&str, &str)]) -> (RunOutcome, Vec<Event>) {
    let valid = match load(&serde_json::to_vec(doc).unwrap()) {
        Validation::Valid(v) => Arc::new(*v),
        Validation::Invalid(d) => panic!("invalid: {d:#?}"),
    };
    let source = StaticSecrets(
        secrets
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    let bus = EventBus::new();
    let mut rx = bus.subscribe();
    let request = RunRequest {
        default_concurrency: Some(4),
        services: RunServices {
            secrets: Some(RunSecrets::new(Arc::new(source))),
            ..RunServices::default()
        },
        ..RunRequest::new(valid, "svc".into(), std::env::temp_dir(), JsonMap::new())
    };
    let outcome = tokio::spawn(run(request, bus.clone(), CancellationToken::new()))
        .await
        .unwrap()
        .expect("inputs accepted");
    drop(bus);
    let mut events = Vec::new();
    while let Ok(batch) = rx.try_recv() {
        events.extend(batch.iter().cloned());
    }
    (outcome, events)
}

fn diagnostics(doc: &Value) -> Vec<Diagnostic> {
    load(&serde_json::to_vec(doc).unwrap())
        .diagnostics()
        .to_vec()
}

pub fn step_error(events: &[Event], step: &str) -> String {
    events
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::StepFailed { at, error }
            | EventKind::StepTimedOut { at, error }
            | EventKind::AttemptFailed { at, error, .. }
                if at.step == step =>
            {
                Some(error.clone())
            }
            _ => None,
        })
        .unwrap_or_default()
}

fn retry_delays(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::StepRetrying { delay_ms, .. } => Some(*delay_ms),
            _ => None,
        })
        .collect()
}

fn exit_codes(events: &[Event]) -> Vec<Option<i32>> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::AttemptEnded { exit_code, .. } => Some(*exit_code),
            _ => None,
        })
        .collect()
}

// --- http -------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_success_reads_the_result_object_and_encodes_placeholders() {
    let (addr, service) = serve(|_, _| {
        json_reply(
            200,
            json!({ "approved": true, "score": 88, "outputs": { "review_note": "fine" } }),
        )
    })
    .await;
    let doc = workflow(json!([{
        "id": "review",
        "agent": { "kind": "http", "method": "POST",
                   "url": format!("http://{addr}/review/{{{{page_id}}}}?lang={{{{lang}}}}"),
                   "headers": { "X-Page": "{{page_id}}", "Authorization": "Bearer {{secret:REVIEW_TOKEN}}" },
                   "body": { "page": "{{page_id}}", "count": "{{count}}", "note": "page {{page_id}}" } },
        "requires": ["page_id", "lang", "count"],
        "produces": ["review_note"]
    }]));
    let mut doc = doc;
    doc["inputs"]["page_id"]["default"] = json!("evil.com/x?admin=1");
    doc["inputs"]["lang"] = json!({ "default": "en&debug=1" });
    doc["inputs"]["count"] = json!({ "default": 3 });
    let (outcome, events) = execute(&doc, &[("REVIEW_TOKEN", "tok-123")]).await;
    assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.error);
    assert_eq!(outcome.context["review_note"], "fine");
    let seen = service.seen.lock().unwrap()[0].clone();
    assert_eq!(seen.method, "POST");
    // The value stays one path segment and one query value.
    assert_eq!(
        seen.uri,
        "/review/evil.com%2Fx%3Fadmin=1?lang=en%26debug%3D1"
    );
    assert_eq!(seen.headers["x-page"], "evil.com/x?admin=1");
    assert_eq!(seen.headers["authorization"], "Bearer tok-123");
    assert_eq!(seen.headers["content-type"], "application/json");
    let body: Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(
        body,
        json!({ "page": "evil.com/x?admin=1", "count": 3, "note": "page evil.com/x?admin=1" })
    );
    assert_eq!(exit_codes(&events), [Some(200)]);
    let succeeded = events.iter().find_map(|e| match &e.kind {
        EventKind::StepSucceeded {
            score, approved, ..
        } => Some((*score, *approved)),
        _ => None,
    });
    assert_eq!(succeeded, Some((Some(88.0), Some(true))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_4xx_fails_at_once_with_status_and_body_excerpt() {
    let (addr, service) = serve(|_, _| text_reply(404, "no such page: post-1")).await;
    let doc = workflow(json!([{
        "id": "review", "agent": { "kind": "http", "url": format!("http://{addr}/review/{{{{page_id}}}}") },
        "requires": ["page_id"],
        "retry": { "max_attempts": 3, "backoff_ms": 10 }
    }]));
    let (outcome, events) = execute(&doc, &[]).await;
    assert_eq!(outcome.status, RunStatus::Failed);
    let error = step_error(&events, "review");
    assert!(
        error.contains("HTTP 404 Not Found: no such page: post-1"),
        "{error}"
    );
    // A 404 will not get better: one attempt despite max_attempts 3.
    assert_eq!(service.hits.load(Ordering::SeqCst), 1);
    assert_eq!(exit_codes(&events), [Some(404)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_5xx_is_retried_per_the_policy() {
    let (addr, service) = serve(|n, _| match n {
        0 | 1 => text_reply(503, "overloaded"),
        _ => json_reply(200, json!({ "score": 70 })),
    })
    .await;
    let doc = workflow(json!([{
        "id": "review", "agent": { "kind": "http", "url": format!("http://{addr}/review") },
        "retry": { "max_attempts": 3, "backoff_ms": 20 }
    }]));
    let (outcome, events) = execute(&doc, &[]).await;
    assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.error);
    assert_eq!(service.hits.load(Ordering::SeqCst), 3);
    assert_eq!(retry_delays(&events), [20, 40]);
    assert_eq!(exit_codes(&events), [Some(503), Some(503), Some(200)]);
    let failed = step_error(&events, "review");
    assert!(
        failed.contains("HTTP 503 Service Unavailable: overloaded"),
        "{failed}"
    );

    // Exhausted: the last failure is the step's.
    let (addr, _) = serve(|_, _| text_reply(500, "boom")).await;
    let doc = workflow(json!([{
        "id": "review", "agent": { "kind": "http", "url": format!("http://{addr}/") },
        "retry": { "max_attempts": 2, "backoff_ms": 5 }
    }]));
    let (outcome, events) = execute(&doc, &[]).await;
    assert_eq!(outcome.status, RunStatus::Failed);
    assert!(step_error(&events, "review").contains("HTTP 500"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_timeouts_end_the_attempt() {
    // A service that answers after 3 s (asleep without blocking a thread).
    let app = Router::new().route(
        "/slow",
        any(|| async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            "late"
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let doc = workflow(json!([{
        "id": "slow", "agent": { "kind": "http", "url": format!("http://{addr}/slow") },
        "timeout_s": 0.3
    }]));
    let started = std::time::Instant::now();
    let (outcome, events) = execute(&doc, &[]).await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(outcome.status, RunStatus::Failed);
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::StepTimedOut { at, .. } if at.step == "slow")),
        "{events:#?}"
    );
    assert!(step_error(&events, "slow").contains("no response within 0.3s"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_429_waits_as_long_as_retry_after_asks() {
    let (addr, service) = serve(|n, _| match n {
        0 => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "slow down",
        )
            .into_response(),
        _ => json_reply(200, json!({ "approved": true })),
    })
    .await;
    let doc = workflow(json!([{
        "id": "review", "agent": { "kind": "http", "url": format!("http://{addr}/") },
        "retry": { "max_attempts": 2, "backoff_ms": 10 }
    }]));
    let started = std::time::Instant::now();
    let (outcome, events) = execute(&doc, &[]).await;
    assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.error);
    assert_eq!(
        retry_delays(&events),
        [1000],
        "Retry-After beats the 10 ms policy"
    );
    assert!(started.elapsed() >= Duration::from_millis(1000));
    assert_eq!(service.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_malformed_and_oversized_bodies() {
    // Not a result object: with one produced key the body is its value.
    let (addr, _) = serve(|_, _| text_reply(200, "{\"score\": 9,")).await;
    let doc = workflow(json!([{
        "id": "fetch", "agent": { "kind": "http", "url": format!("http://{addr}/") },
        "produces": ["raw"]
    }]));
    let (outcome, _) = execute(&doc, &[]).await;
    assert_eq!(outcome.status, RunStatus::Succeeded);
    assert_eq!(outcome.context["raw"], "{\"score\": 9,");

    // Over the cap: refused, not retried.
    let (addr, service) = serve(|_, _| text_reply(200, &"x".repeat(5 << 20))).await;
    let doc = workflow(json!([{
        "id": "fetch", "agent": { "kind": "http", "url": format!("http://{addr}/") },
        "retry": { "max_attempts": 3 }
    }]));
    let (outcome, events) = execute(&doc, &[]).await;
    assert_eq!(outcome.status, RunStatus::Failed);
    assert!(step_error(&events, "fetch").contains("larger than 4 MiB"));
    assert_eq!(service.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redirect_to_another_host_is_refused() {
    // Two servers on different ports are different origins.
    let (elsewhere, stolen) = serve(|_, _| text_reply(200, "{\"approved\": true}")).await;
    let (addr, _) = serve(move |_, seen| {
        let to = if seen.uri == "/same" {
            "/final".to_string()
        } else if seen.uri == "/final" {
            return json_reply(200, json!({ "score": 50 }));
        } else {
            format!("http://{elsewhere}/steal")
        };
        (StatusCode::FOUND, [("location", to)]).into_response()
    })
    .await;
    let doc = workflow(json!([{
        "id": "review", "agent": { "kind": "http", "url": format!("http://{addr}/away"),
                                   "headers": { "Authorization": "Bearer {{secret:T}}" } },
        "retry": { "max_attempts": 3 }
    }]));
    let (outcome, events) = execute(&doc, &[("T", "secret-value")]).await;
    assert_eq!(outcome.status, RunStatus::Failed);
    let error = step_error(&events, "review");
    assert!(error.contains("redirect to another host"), "{error}");
    assert_eq!(
        stolen.hits.load(Ordering::SeqCst),
        0,
        "the other host was never contacted"
    );

    // Within the same origin a redirect is followed.
    let doc = workflow(json!([{
        "id": "review", "agent": { "kind": "http", "url": format!("http://{addr}/same") }
    }]));
    let (outcome, _) = execute(&doc, &[]).await;
    assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.error);
}

#[test]
fn a_placeholder_in_the_host_scheme_or_port_is_rejected_by_validation() {
    for url in [
        "http://{{page_id}}/review",
        "http://127.0.0.1:{{page_id}}/review",
        "{{page_id}}://127.0.0.1/review",
        "http://127.0.0.1{{page_id}}/review",
    ] {
        let doc = workflow(json!([{
            "id": "review", "agent": { "kind": "http", "url": url }, "requires": ["page_id"]
        }]));
        let d = diagnostics(&doc);
        assert!(
            d.iter()
                .any(|d| d.code == Code::BadUrl && d.path == "$.steps[0].agent.url"),
            "{url}: {d:?}"
        );
    }
}

#[test]
fn secrets_are_allowed_only_in_headers_and_api_key() {
    let bad = [
        json!({ "kind": "http", "url": "http://a.example/{{secret:T}}" }),
        json!({ "kind": "http", "url": "http://a.example/", "body": { "k": "{{secret:T}}" } }),
        json!({ "kind": "llm", "base_url": "http://a.example/v1", "model": "m", "prompt": "{{secret:T}}" }),
        json!({ "kind": "llm", "base_url": "http://a.example/v1", "model": "m", "prompt": "p",
                "api_key": "sk-literal-key" }),
        json!({ "kind": "shell", "command": ["echo", "{{secret:T}}"] }),
        json!({ "kind": "workflow", "path": "x.json", "inputs": { "a": "{{secret:T}}" } }),
    ];
    for agent in bad {
        let doc = workflow(json!([{ "id": "s", "agent": agent }]));
        let d = diagnostics(&doc);
        assert!(d.iter().any(|d| d.code == Code::BadAgent), "{agent}: {d:?}");
    }
    let good = json!([
        { "id": "h", "agent": { "kind": "http", "url": "http://a.example/",
          "headers": { "Authorization": "Bearer {{secret:T}}" } } },
        { "id": "l", "agent": { "kind": "llm", "base_url": "http://a.example/v1", "model": "m",
          "prompt": "p", "api_key": "{{secret:OPENAI_API_KEY}}" } }
    ]);
    let d = diagnostics(&workflow(good));
    assert!(d.is_empty(), "{d:?}");
    // Placeholders must name required keys, as for shell.
    let doc = workflow(
        json!([{ "id": "h", "agent": { "kind": "http", "url": "http://a.example/{{nope}}" } }]),
    );
    assert!(
        diagnostics(&doc)
            .iter()
            .any(|d| d.code == Code::UnknownPlaceholder)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_echoed_secret_is_masked_in_events_outputs_and_context() {
    // The service echoes the Authorization header back into the result.
    let (addr, _) = serve(|_, seen| {
        let auth = seen
            .headers
            .get("authorization")
            .cloned()
            .unwrap_or_default();
        json_reply(
            200,
            json!({ "outputs": { "echo": auth.clone() }, "recommendations": [auth] }),
        )
    })
    .await;
    let canary = "canary-7f3a9c1e5b";
    let doc = workflow(json!([
        { "id": "call", "agent": { "kind": "http", "url": format!("http://{addr}/echo"),
          "headers": { "Authorization": "Bearer {{secret:CANARY}}" } }, "produces": ["echo"] },
        { "id": "fail", "agent": { "kind": "http", "url": format!("http://{addr}/echo"),
          "headers": { "Authorization": "{{secret:MISSING_ONE}}" } }, "required": false }
    ]));
    let (outcome, events) = execute(&doc, &[("CANARY", canary)]).await;
    assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.error);
    assert_eq!(outcome.context["echo"], "Bearer [secret:CANARY]");
    let all = serde_json::to_string(&events).unwrap();
    assert!(!all.contains(canary), "the canary leaked into events");
    assert!(all.contains("[secret:CANARY]"));
    assert!(
        all.contains("secret `MISSING_ONE` is not set"),
        "a missing secret fails its step"
    );
}

// --- llm --------------------------------------------------------------------

fn llm_step(addr: SocketAddr, extra: Value) -> Value {
    let mut step = json!({
        "id": "legal",
        "agent": { "kind": "llm", "base_url": format!("http://{addr}/v1"), "model": "stand-in",
                   "api_key": "{{secret:OPENAI_API_KEY}}",
                   "system": "You are a legal reviewer.",
                   "prompt": "Review {{page_id}}. Answer as JSON.",
                   "temperature": 0.2, "max_tokens": 200 },
        "requires": ["page_id"],
        "produces": ["legal_notes"]
    });
    if let (Value::Object(step), Value::Object(extra)) = (&mut step, extra) {
        step.extend(extra);
    }
    step
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_success_parses_a_fenced_reply_and_records_tokens() {
    let (addr, service) = serve(|_, _| {
        completion(
            "Here is my review:\n```json\n{\"approved\": true, \"score\": 91, \"outputs\": {\"legal_notes\": \"ok\"}}\n```",
        )
    })
    .await;
    let doc = workflow(json!([llm_step(addr, json!({}))]));
    let (outcome, events) = execute(&doc, &[("OPENAI_API_KEY", "sk-test-1")]).await;
    assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.error);
    assert_eq!(outcome.context["legal_notes"], "ok");
    let seen = service.seen.lock().unwrap()[0].clone();
    assert_eq!(
        (seen.method.as_str(), seen.uri.as_str()),
        ("POST", "/v1/chat/completions")
    );
    assert_eq!(seen.headers["authorization"], "Bearer sk-test-1");
    let body: Value = serde_json::from_str(&seen.body).unwrap();
    assert_eq!(body["model"], "stand-in");
    assert_eq!(body["temperature"], 0.2);
    assert_eq!(body["max_tokens"], 200);
    assert_eq!(
        body["messages"][0],
        json!({ "role": "system", "content": "You are a legal reviewer." })
    );
    assert_eq!(
        body["messages"][1]["content"],
        "Review post-1. Answer as JSON."
    );
    let metrics = events.iter().find_map(|e| match &e.kind {
        EventKind::StepMetrics { at, metrics } if at.step == "legal" => Some(metrics.clone()),
        _ => None,
    });
    let metrics = metrics.expect("token usage recorded");
    assert_eq!(metrics["prompt_tokens"], 31);
    assert_eq!(metrics["completion_tokens"], 12);
    assert_eq!(metrics["total_tokens"], 43);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_429_with_retry_after_and_5xx_are_retried_other_4xx_are_not() {
    let (addr, service) = serve(|n, _| match n {
        0 => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "1")],
            "{\"error\":\"rate\"}",
        )
            .into_response(),
        1 => text_reply(502, "bad gateway"),
        _ => completion("{\"approved\": true}"),
    })
    .await;
    let doc = workflow(json!([llm_step(
        addr,
        json!({ "retry": { "max_attempts": 3, "backoff_ms": 10 } })
    )]));
    let (outcome, events) = execute(&doc, &[("OPENAI_API_KEY", "k")]).await;
    assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.error);
    assert_eq!(retry_delays(&events), [1000, 20]);
    assert_eq!(service.hits.load(Ordering::SeqCst), 3);

    let (addr, service) = serve(|_, _| text_reply(401, "{\"error\": \"invalid api key\"}")).await;
    let doc = workflow(json!([llm_step(
        addr,
        json!({ "retry": { "max_attempts": 3, "backoff_ms": 10 } })
    )]));
    let (outcome, events) = execute(&doc, &[("OPENAI_API_KEY", "k")]).await;
    assert_eq!(outcome.status, RunStatus::Failed);
    assert_eq!(service.hits.load(Ordering::SeqCst), 1);
    assert!(step_error(&events, "legal").contains("HTTP 401 Unauthorized"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_malformed_replies_fail_the_attempt() {
    for (reply, expected) in [
        (
            text_reply(200, "<html>gateway</html>"),
            "not a chat completion",
        ),
        (
            json_reply(200, json!({ "choices": [] })),
            "no choices[0].message.content",
        ),
        (
            completion("I would rather not answer in JSON."),
            "not a JSON result object",
        ),
        (completion("{\"approved\": tru"), "not a JSON result object"),
    ] {
        let reply = Arc::new(Mutex::new(Some(reply)));
        let (addr, _) = serve(move |_, _| {
            reply
                .lock()
                .unwrap()
                .take()
                .unwrap_or_else(|| text_reply(500, "only once"))
        })
        .await;
        let mut step = llm_step(addr, json!({}));
        step["produces"] = json!(["a", "b"]);
        let (outcome, events) = execute(&workflow(json!([step])), &[("OPENAI_API_KEY", "k")]).await;
        assert_eq!(outcome.status, RunStatus::Failed, "{expected}");
        let error = step_error(&events, "legal");
        assert!(error.contains(expected), "{expected}: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_without_a_server_fails_with_a_connection_error() {
    // Port 9 (discard) on localhost: nothing listens there.
    let doc = workflow(json!([{
        "id": "legal",
        "agent": { "kind": "llm", "base_url": "http://127.0.0.1:9/v1", "model": "m", "prompt": "hi" }
    }]));
    let (outcome, events) = execute(&doc, &[]).await;
    assert_eq!(outcome.status, RunStatus::Failed);
    let error = step_error(&events, "legal");
    assert!(
        error.starts_with("cannot connect to http://127.0.0.1:9: ")
            && error.ends_with("is the service running?"),
        "{error}"
    );
}

// --- workflow (sub-workflows) -------------------------------------------------

mod sub_workflows {
    use std::path::{Path, PathBuf};
    use std::sync::{Arc, Mutex};

    use braid_engine::bus::EventBus;
    use braid_engine::events::{Event, EventKind, RunStatus};
    use braid_engine::run::driver::{RunOutcome, RunRequest, RunServices, run};
    use braid_engine::services::{SubRunAttached, SubRunInfo, SubRuns};
    use braid_model::model::JsonMap;
    use braid_model::validate::{Validation, load};
    use serde_json::{Value, json};
    use tokio_util::sync::CancellationToken;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("braid-sub-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir.canonicalize().unwrap()
    }

    fn write(dir: &Path, name: &str, doc: &Value) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
        path
    }

    /// Records attach calls and keeps each child's events.
    #[derive(Default)]
    struct Recorder {
        attached: Mutex<Vec<(String, SubRunInfo)>>,
        children: Mutex<Vec<tokio::sync::mpsc::UnboundedReceiver<braid_engine::bus::EventBatch>>>,
    }

    impl SubRuns for Recorder {
        fn attach(&self, info: &SubRunInfo, bus: &Arc<EventBus>) -> Result<SubRunAttached, String> {
            let mut attached = self.attached.lock().unwrap();
            let run_id = format!("child-{}", attached.len() + 1);
            attached.push((run_id.clone(), info.clone()));
            self.children.lock().unwrap().push(bus.subscribe());
            Ok(SubRunAttached {
                run_id,
                durability: None,
            })
        }
    }

    async fn execute(
        file: &Path,
        hook: Option<Arc<Recorder>>,
        timeout: Option<f64>,
    ) -> (RunOutcome, Vec<Event>) {
        let bytes = std::fs::read(file).unwrap();
        let mut doc: Value = serde_json::from_slice(&bytes).unwrap();
        if let Some(t) = timeout {
            doc["steps"][0]["timeout_s"] = json!(t);
        }
        let valid = match load(&serde_json::to_vec(&doc).unwrap()) {
            Validation::Valid(v) => Arc::new(*v),
            Validation::Invalid(d) => panic!("invalid: {d:#?}"),
        };
        let bus = EventBus::new();
        let mut rx = bus.subscribe();
        let request = RunRequest {
            default_concurrency: Some(4),
            time_scale: 0.01,
            services: RunServices {
                sub_runs: hook.map(|h| h as Arc<dyn SubRuns>),
                stack: vec![file.to_path_buf()],
                ..RunServices::default()
            },
            ..RunRequest::new(
                valid,
                "parent".into(),
                file.parent().unwrap().to_path_buf(),
                JsonMap::new(),
            )
        };
        let outcome = tokio::spawn(run(request, bus.clone(), CancellationToken::new()))
            .await
            .unwrap()
            .unwrap();
        drop(bus);
        let mut events = Vec::new();
        while let Ok(batch) = rx.try_recv() {
            events.extend(batch.iter().cloned());
        }
        (outcome, events)
    }

    fn child(outcome: &str) -> Value {
        // A review group whose verdict depends on `score`.
        json!({
            "format": "braid/1", "id": "review-branch",
            "inputs": { "page_id": { "required": true }, "score": { "default": 90 } },
            "limits": { "concurrency": 2 },
            "steps": [
                { "id": "echo", "agent": { "kind": "shell", "command": ["echo", "checked {{page_id}}"] },
                  "requires": ["page_id"], "produces": ["note"] },
                { "id": "tokens", "agent": { "kind": "sim", "duration_ms": 10, "score": 90, "outputs": { "extra": 1 } },
                  "group": "gate", "produces": ["extra"] },
                { "id": "judge", "agent": { "kind": "sim", "duration_ms": 10,
                  "score": if outcome == "approved" { 95 } else { 0 } }, "group": "gate" }
            ],
            "groups": [{ "id": "gate", "aggregate": { "strategy": "threshold", "approve_at": 80 } }],
            "edges": [{ "from": "echo", "to": "gate" }]
        })
    }

    fn parent(path: &str) -> Value {
        json!({
            "format": "braid/1", "id": "parent",
            "inputs": { "page_id": { "default": "post-9" } },
            "limits": { "concurrency": 2 },
            "steps": [{ "id": "review", "agent": { "kind": "workflow", "path": path,
                        "inputs": { "page_id": "{{page_id}}" } },
                        "requires": ["page_id"], "produces": ["note", "extra"] }]
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_sub_workflow_runs_as_one_step_and_is_recorded_with_its_parent() {
        let dir = scratch("ok");
        write(&dir, "branches/review.json", &child("approved"));
        let top = write(&dir, "top.json", &parent("branches/review.json"));
        let hook = Arc::new(Recorder::default());
        let (outcome, events) = execute(&top, Some(hook.clone()), None).await;
        assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.error);
        assert_eq!(outcome.context["note"], "checked post-9");
        assert_eq!(outcome.context["extra"], 1);
        let attached = hook.attached.lock().unwrap();
        assert_eq!(attached.len(), 1);
        let (run_id, info) = &attached[0];
        assert_eq!(info.parent_run_id, "parent");
        assert_eq!(info.step.step, "review");
        assert_eq!(info.path, dir.join("branches/review.json"));
        assert_eq!(info.inputs["page_id"], "post-9");
        assert!(events.iter().any(|e| matches!(&e.kind,
            EventKind::SubRunStarted { run_id: r, workflow_id, .. } if r == run_id && workflow_id == "review-branch")));
        // The child's events went to the hook's subscriber, under its own run.
        let mut rx = hook.children.lock().unwrap().remove(0);
        let mut child_events = Vec::new();
        while let Ok(batch) = rx.try_recv() {
            child_events.extend(batch.iter().cloned());
        }
        assert!(
            matches!(&child_events[0].kind, EventKind::RunStarted { run_id: r, .. } if r == run_id)
        );
        assert!(matches!(
            &child_events.last().unwrap().kind,
            EventKind::RunFinished {
                status: RunStatus::Succeeded,
                ..
            }
        ));
        // The group's score is the step's verdict.
        let score = events.iter().find_map(|e| match &e.kind {
            EventKind::StepSucceeded { at, score, .. } if at.step == "review" => Some(*score),
            _ => None,
        });
        assert_eq!(score, Some(Some(92.5)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn outcome_becomes_verdict_and_runs_without_a_hook() {
        let dir = scratch("rejected");
        write(&dir, "review.json", &child("rejected"));
        let top = write(&dir, "top.json", &parent("review.json"));
        let (outcome, events) = execute(&top, None, None).await;
        assert_eq!(outcome.status, RunStatus::Succeeded, "{:?}", outcome.error);
        let verdict = events.iter().find_map(|e| match &e.kind {
            EventKind::StepSucceeded { at, approved, .. } if at.step == "review" => Some(*approved),
            _ => None,
        });
        assert_eq!(
            verdict,
            Some(Some(false)),
            "a rejected sub-workflow is a rejecting verdict"
        );
        let child_id = events.iter().find_map(|e| match &e.kind {
            EventKind::SubRunStarted { run_id, .. } => Some(run_id.clone()),
            _ => None,
        });
        assert_eq!(child_id.as_deref(), Some("parent.review.1"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_sub_workflow_fails_the_step_and_a_timeout_cancels_it() {
        let dir = scratch("fail");
        write(
            &dir,
            "boom.json",
            &json!({ "format": "braid/1", "id": "boom",
                     "steps": [{ "id": "x", "agent": { "kind": "shell", "script": "echo broke >&2; exit 4" } }] }),
        );
        let top = write(
            &dir,
            "top.json",
            &json!({ "format": "braid/1", "id": "top",
                     "steps": [{ "id": "sub", "agent": { "kind": "workflow", "path": "boom.json" } }] }),
        );
        let (outcome, events) = execute(&top, None, None).await;
        assert_eq!(outcome.status, RunStatus::Failed);
        let error = super::step_error(&events, "sub");
        assert!(error.contains("ended failed"), "{error}");

        write(
            &dir,
            "slow.json",
            &json!({ "format": "braid/1", "id": "slow",
                     "steps": [{ "id": "x", "agent": { "kind": "shell", "command": ["sleep", "30"] } }] }),
        );
        let top = write(
            &dir,
            "top2.json",
            &json!({ "format": "braid/1", "id": "top2",
                     "steps": [{ "id": "sub", "agent": { "kind": "workflow", "path": "slow.json" } }] }),
        );
        let started = std::time::Instant::now();
        let (outcome, events) = execute(&top, None, Some(0.5)).await;
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
        assert_eq!(outcome.status, RunStatus::Failed);
        assert!(
            events
                .iter()
                .any(|e| matches!(&e.kind, EventKind::StepTimedOut { at, .. } if at.step == "sub"))
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn recursion_at_run_time_is_refused_as_a_backstop() {
        let dir = scratch("loop");
        let me = write(
            &dir,
            "me.json",
            &json!({ "format": "braid/1", "id": "me",
                     "steps": [{ "id": "again", "agent": { "kind": "workflow", "path": "me.json" } }] }),
        );
        let (outcome, events) = execute(&me, None, None).await;
        assert_eq!(outcome.status, RunStatus::Failed);
        assert!(super::step_error(&events, "again").contains("recursion"));
    }
}
