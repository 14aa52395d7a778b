//! URL templates of `http` and `llm` agents: which templates are allowed
//! (validation) and how one becomes the URL of a request (the agents).
//! Placeholders may stand only in the path and query, where their values are
//! percent-encoded so they can never change scheme, host or port.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use url::Url;

use crate::template;

/// Characters escaped in a path placeholder's value: everything that could
/// end the segment or start a query (`/`, `?`, `#`), `%` itself, and
/// anything not plain ASCII.
const PATH_VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'@')
    .add(b':');
/// In a query value additionally `&`, `=`, `+` and `;`.
const QUERY_VALUE: &AsciiSet = &PATH_VALUE.add(b'&').add(b'=').add(b'+').add(b';');

/// A URL template split at the end of its authority: `origin` is
/// `scheme://host[:port]` exactly as written, `rest` the path and query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTemplate<'a> {
    pub origin: &'a str,
    pub rest: &'a str,
    /// The origin, parsed.
    pub base: Url,
}

/// Splits and checks a URL template: an absolute `http`/`https` URL whose
/// scheme, host and port are literal (no placeholder), without user info
/// or fragment. The message says what is wrong.
pub fn parse_template(url: &str) -> Result<UrlTemplate<'_>, String> {
    let Some(scheme_end) = url.find("://") else {
        return Err(format!(
            "`{url}` is not an absolute URL; write it as http://host[:port]/path"
        ));
    };
    let after = scheme_end + 3;
    let authority_end = url[after..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| i + after);
    let origin = &url[..authority_end];
    let rest = &url[authority_end..];
    if template::has_placeholder_syntax(origin) {
        return Err(format!(
            "the scheme, host and port of `{url}` must be written literally: placeholders may only stand in the path and query"
        ));
    }
    let base = Url::parse(origin).map_err(|e| format!("`{url}` is not a valid URL: {e}"))?;
    if !matches!(base.scheme(), "http" | "https") {
        return Err(format!(
            "`{url}` uses scheme `{}`; only http and https are allowed",
            base.scheme()
        ));
    }
    if base.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{url}` names no host"));
    }
    if !base.username().is_empty() || base.password().is_some() {
        return Err(format!(
            "`{url}` carries credentials; send them in a header with a {{{{secret:NAME}}}} instead"
        ));
    }
    // The literal text, each placeholder standing as a harmless `x`.
    let literal = template::substitute(rest, |_| Some("x".into()));
    if literal.contains('#') {
        return Err(format!("`{url}` has a fragment; fragments are never sent"));
    }
    if has_dot_segment(&literal) {
        return Err(format!("`{url}` has a `.` or `..` path segment"));
    }
    Ok(UrlTemplate { origin, rest, base })
}

/// Whether a path (up to its query) has a `.` or `..` segment, which URL
/// parsing would resolve away, in any of its spellings (`%2e`).
fn has_dot_segment(rest: &str) -> bool {
    let path = rest.split('?').next().unwrap_or("");
    path.split('/').any(|segment| {
        let s = segment.to_ascii_lowercase().replace("%2e", ".");
        s == "." || s == ".."
    })
}

/// Builds the URL of one request: placeholders in the path and query are
/// replaced by their values, percent-encoded so a value stays inside its
/// segment or query value (`evil.com/x` becomes `evil.com%2Fx`). The result
/// is checked to have exactly the template's scheme, host and port.
pub fn build_url(url: &str, mut lookup: impl FnMut(&str) -> Option<String>) -> Result<Url, String> {
    let template = parse_template(url)?;
    let rest = template.rest;
    // The query starts at the first `?` outside a placeholder.
    let placeholders = template::placeholders(rest);
    let query_at = rest.char_indices().find_map(|(i, c)| {
        (c == '?' && !placeholders.iter().any(|p| p.range.contains(&i))).then_some(i)
    });
    let (path, query) = match query_at {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut missing = None;
    let mut fill = |text: &str, set: &'static AsciiSet| {
        template::substitute(text, |name| match lookup(name) {
            Some(value) => Some(utf8_percent_encode(&value, set).to_string()),
            None => {
                missing.get_or_insert_with(|| name.to_string());
                None
            }
        })
    };
    let path = fill(path, PATH_VALUE);
    let query = fill(query, QUERY_VALUE);
    if let Some(name) = missing {
        return Err(format!("no value for `{{{{{name}}}}}` in the URL"));
    }
    if has_dot_segment(&path) {
        return Err("a value made a `.` or `..` path segment in the URL; refused".into());
    }
    let built = Url::parse(&format!("{}{path}{query}", template.origin))
        .map_err(|e| format!("the URL is not valid once filled in: {e}"))?;
    let same = built.scheme() == template.base.scheme()
        && built.host_str() == template.base.host_str()
        && built.port_or_known_default() == template.base.port_or_known_default()
        && built.username().is_empty()
        && built.password().is_none();
    if !same {
        return Err(format!(
            "filling in the URL changed its host ({}); refused",
            built.origin().ascii_serialization()
        ));
    }
    Ok(built)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(name: &str) -> Option<String> {
        match name {
            "page" => Some("evil.com/x?y=1#z".into()),
            "q" => Some("a&b=c d".into()),
            "dots" => Some("..".into()),
            _ => None,
        }
    }

    #[test]
    fn placeholders_are_percent_encoded_inside_path_and_query() {
        let url = build_url("http://127.0.0.1:8080/review/{{page}}?q={{q}}&n=1", values).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:8080/review/evil.com%2Fx%3Fy=1%23z?q=a%26b%3Dc%20d&n=1"
        );
        assert_eq!(url.host_str(), Some("127.0.0.1"));
    }

    #[test]
    fn the_origin_must_be_literal_http() {
        for bad in [
            "http://{{host}}/x",
            "http://127.0.0.1:{{port}}/x",
            "{{scheme}}://a.example/x",
            "ftp://a.example/x",
            "/relative/path",
            "http://user:pw@a.example/",
            "http://a.example/x#frag",
            "http://a.example/a/../b",
        ] {
            assert!(parse_template(bad).is_err(), "{bad} accepted");
        }
        let t = parse_template("https://api.example.com/v1/{{x}}?a=1").unwrap();
        assert_eq!(t.origin, "https://api.example.com");
        assert_eq!(t.rest, "/v1/{{x}}?a=1");
    }

    #[test]
    fn a_value_cannot_make_a_dot_segment_or_go_unfilled() {
        assert!(build_url("http://a.example/x/{{dots}}/y", values).is_err());
        assert!(build_url("http://a.example/x/{{missing}}", values).is_err());
        // Inside a segment dots are harmless.
        assert!(build_url("http://a.example/x/v{{dots}}", values).is_ok());
    }
}
