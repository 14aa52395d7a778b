//! HTTP plumbing shared by the service agents (`http`, `llm`): one client
//! (rustls, no proxies, no cross-origin redirects), URL templates whose
//! placeholders can never move a request to another machine, capped body
//! reads, `Retry-After`, and how a response status becomes an outcome.

use std::sync::OnceLock;
use std::time::Duration;

use reqwest::header::HeaderMap;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::agents::result::AttemptOutcome;

/// Largest response body read; a bigger one fails the attempt.
pub const MAX_BODY_BYTES: usize = 4 << 20;
/// How much of a failed response's body the error message quotes.
pub const EXCERPT_BYTES: usize = 512;
/// The longest `Retry-After` honoured; longer waits are cut to this.
pub const RETRY_AFTER_CAP_MS: u64 = 600_000;
/// Redirects followed (same origin only) before giving up.
pub const MAX_REDIRECTS: usize = 10;

/// The process-wide client (connection pool shared by every attempt).
pub fn client() -> Result<reqwest::Client, String> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            // reqwest is built without a bundled crypto provider: use ring.
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::builder()
                .redirect(same_origin_redirects())
                // The host in the file is the host reached: no proxy relays it.
                .no_proxy()
                .user_agent(concat!("braid/", env!("CARGO_PKG_VERSION")))
                .connect_timeout(Duration::from_secs(30))
                .build()
                .map_err(|e| format!("cannot set up the HTTP client: {}", describe_error(&e)))
        })
        .clone()
}

/// Follows a redirect only within the origin (scheme, host, port) of the
/// request: a service cannot send the request, and its headers, elsewhere.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first().map(Url::origin);
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
        } else if first.as_ref() == Some(&attempt.url().origin()) {
            attempt.follow()
        } else {
            let to = attempt.url().origin().ascii_serialization();
            attempt.error(format!("redirect to another host ({to}) refused"))
        }
    })
}

/// A reqwest error as one line, with its causes (`error sending request:
/// connection refused`).
pub fn describe_error(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

/// A connection failure as one short line: `cannot connect to
/// http://127.0.0.1:11434: Connection refused (os error 111); is the service
/// running?`
pub fn connect_error(error: &reqwest::Error) -> String {
    let mut root: &(dyn std::error::Error + 'static) = error;
    while let Some(cause) = root.source() {
        root = cause;
    }
    let origin = error.url().map_or_else(
        || "the service".to_string(),
        |u| u.origin().ascii_serialization(),
    );
    format!("cannot connect to {origin}: {root}; is the service running?")
}

// --- responses --------------------------------------------------------------

/// A response body read whole (up to [`MAX_BODY_BYTES`]).
pub async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, String> {
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BODY_BYTES as u64)
    {
        return Err(format!(
            "the response body is larger than {} MiB; refused",
            MAX_BODY_BYTES >> 20
        ));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading the response failed: {}", describe_error(&e)))?
    {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(format!(
                "the response body is larger than {} MiB; refused",
                MAX_BODY_BYTES >> 20
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The first [`EXCERPT_BYTES`] of a body, on one line.
pub fn excerpt(body: &str) -> String {
    let mut end = body.len().min(EXCERPT_BYTES);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    let mut text: String = body[..end]
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if end < body.len() {
        text.push('…');
    }
    text
}

/// The last `limit` bytes of a text (what an attempt keeps as its tail).
pub fn tail(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let mut start = text.len() - limit;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    text[start..].to_string()
}

/// Statuses worth another attempt: timeouts, rate limits, server errors.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 425 | 429) || status >= 500
}

/// `Retry-After` in milliseconds (capped at [`RETRY_AFTER_CAP_MS`]):
/// delta-seconds, or an HTTP date relative to `now_ms`.
pub fn retry_after_ms(headers: &HeaderMap, now_ms: u64) -> Option<u64> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let ms = match value.parse::<u64>() {
        Ok(seconds) => seconds.saturating_mul(1000),
        Err(_) => http_date_ms(value)?.saturating_sub(now_ms),
    };
    Some(ms.min(RETRY_AFTER_CAP_MS))
}

/// Parses an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) to milliseconds
/// since the Unix epoch.
pub fn http_date_ms(text: &str) -> Option<u64> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let day: u64 = day.parse().ok()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as u64
        + 1;
    let year: i64 = year.parse().ok()?;
    let hms: Vec<u64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + (*h * 3600 + *m * 60 + *s) as i64;
    u64::try_from(secs).ok().map(|s| s * 1000)
}

/// A non-2xx response as an outcome: the status and an excerpt of the body,
/// retryable per [`retryable_status`], honouring `Retry-After`.
pub fn status_failure(
    status: reqwest::StatusCode,
    headers: &HeaderMap,
    body: &str,
) -> AttemptOutcome {
    let reason = status.canonical_reason().unwrap_or("");
    let excerpt = excerpt(body);
    let error = match (reason.is_empty(), excerpt.is_empty()) {
        (_, true) => format!("HTTP {} {reason}", status.as_u16())
            .trim_end()
            .to_string(),
        (true, false) => format!("HTTP {}: {excerpt}", status.as_u16()),
        (false, false) => format!("HTTP {} {reason}: {excerpt}", status.as_u16()),
    };
    AttemptOutcome::ServiceFailed {
        error,
        retry_after_ms: retry_after_ms(headers, crate::events::now_ms()),
        retryable: retryable_status(status.as_u16()),
    }
}

/// How a limited piece of work ended.
pub enum Limited<T> {
    Done(T),
    TimedOut,
    Cancelled,
}

/// Runs `work` until it finishes, the attempt's timeout passes or it is
/// cancelled (dropping the request closes its connection).
pub async fn limited<T>(
    work: impl std::future::Future<Output = T>,
    timeout: Option<Duration>,
    cancel: &CancellationToken,
) -> Limited<T> {
    let timed = async {
        match timeout {
            Some(limit) => tokio::time::timeout(limit, work).await.ok(),
            None => Some(work.await),
        }
    };
    tokio::select! {
        () = cancel.cancelled() => Limited::Cancelled,
        done = timed => match done {
            Some(value) => Limited::Done(value),
            None => Limited::TimedOut,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "2".parse().unwrap());
        assert_eq!(retry_after_ms(&headers, 0), Some(2000));
        headers.insert("retry-after", "999999".parse().unwrap());
        assert_eq!(retry_after_ms(&headers, 0), Some(RETRY_AFTER_CAP_MS));
        let date = http_date_ms("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(date, 784_111_777_000);
        headers.insert(
            "retry-after",
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after_ms(&headers, date - 3000), Some(3000));
        assert_eq!(retry_after_ms(&headers, date + 3000), Some(0));
        headers.insert("retry-after", "soon".parse().unwrap());
        assert_eq!(retry_after_ms(&headers, 0), None);
    }

    #[test]
    fn excerpts_and_tails_respect_char_boundaries() {
        let long = "é".repeat(EXCERPT_BYTES);
        let e = excerpt(&long);
        assert!(e.ends_with('…'));
        assert_eq!(tail("abcdé", 2), "é");
        assert_eq!(excerpt("a\n  b"), "a b");
    }
}
