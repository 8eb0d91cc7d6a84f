//! The provider's errors: an endpoint's error answer as a typed error (the status, the server's
//! own message in the OpenAI, LiteLLM, vLLM and Ollama shapes, capped and scrubbed of the key),
//! the constructors of failures without an answer (whether retrying may help decided where they
//! are made: `http/codes.rs` maps the host's error codes with them), malformed answers, and the
//! sanitizing every error gets before it leaves (`client.rs` applies it to every result).

use crate::domain::{ApiError, Error, Failure, Secrets};
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// The longest server message kept in an error, in characters.
pub const MAX_MESSAGE_CHARS: usize = 1000;
/// The most of an error body read to find its message.
pub const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

const REDACTED: &str = "[redacted]";

/// Removes every secret (the key, long header values) from a text that came from outside, in
/// every spelling a reader would still recognise: in any letter case, and written with JSON
/// escapes (`\u0073k-…`, `\/`) or URL percent-escapes (`%73k-…`), also mixed. Written by hand:
/// no crate matches a needle against a text decoded on the fly while keeping the original's
/// positions, and this runs on error texts only (capped at `MAX_ERROR_BODY_BYTES`).
pub fn scrub(text: &str, key: &Secrets) -> String {
    let secrets: Vec<Vec<char>> =
        key.secrets().map(|s| s.chars().map(fold).collect::<Vec<_>>()).filter(|s| !s.is_empty()).collect();
    if secrets.is_empty() {
        return text.to_string();
    }
    let mut hidden: Vec<(usize, usize)> = Vec::new();
    // As written, and as a reader of escapes reads it (a secret may itself hold a backslash).
    for units in [decoded(text, false), decoded(text, true)] {
        for secret in &secrets {
            let mut i = 0;
            while i + secret.len() <= units.len() {
                if units[i..i + secret.len()].iter().zip(secret).all(|((c, _, _), s)| c == s) {
                    hidden.push((units[i].1, units[i + secret.len() - 1].2));
                    i += secret.len();
                } else {
                    i += 1;
                }
            }
        }
    }
    if hidden.is_empty() {
        return text.to_string();
    }
    hidden.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in hidden {
        if end <= at {
            continue;
        }
        if start >= at {
            out.push_str(&text[at..start]);
            out.push_str(REDACTED);
        }
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// A character as compared: lower case (its first character when lowering gives several).
fn fold(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

/// The text's characters, folded, each with the byte range it was written in; with `escapes`, as
/// a reader of JSON or of a URL reads it (one character for `\uXXXX`, `\/`, `\\`, `\"` and `%XX`
/// of ASCII).
fn decoded(text: &str, escapes: bool) -> Vec<(char, usize, usize)> {
    let bytes = text.as_bytes();
    let hex = |at: usize, len: usize| {
        text.get(at..at + len)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    let mut units = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        let (c, len) = match bytes[i] {
            _ if !escapes => {
                let c = text[i..].chars().next().unwrap_or('\u{fffd}');
                (c, c.len_utf8())
            }
            b'\\' => match bytes.get(i + 1) {
                Some(b'u') => match hex(i + 2, 4).and_then(char::from_u32) {
                    Some(c) => (c, 6),
                    None => ('\\', 1),
                },
                Some(&b @ (b'/' | b'\\' | b'"')) => (b as char, 2),
                _ => ('\\', 1),
            },
            b'%' => match hex(i + 1, 2).filter(|b| *b < 0x80) {
                Some(b) => (b as u8 as char, 3),
                None => ('%', 1),
            },
            _ => {
                let c = text[i..].chars().next().unwrap_or('\u{fffd}');
                (c, c.len_utf8())
            }
        };
        units.push((fold(c), i, i + len));
        i += len;
    }
    units
}

/// What a JSON parse error says, without the value serde's message would quote: the kind, what
/// was expected (the reading type's own words), and where.
pub fn json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Eof => "it ends early".to_string(),
        Category::Syntax => "it is not valid JSON".to_string(),
        Category::Io => "it could not be read".to_string(),
        Category::Data => {
            let text = e.to_string();
            let text = text.rfind(" at line ").map_or(text.as_str(), |at| &text[..at]);
            // The expectation is last; anything before it may quote the value.
            match text.rsplit_once(", expected ") {
                Some((_, expected)) => format!("a value of the wrong type (expected {expected})"),
                None => "a value of the wrong type or a missing field".to_string(),
            }
        }
    };
    format!("{what} at line {}, column {}", e.line(), e.column())
}

/// A failure that trying again may mend: a refused or reset connection, a stalled read.
pub fn transient(message: impl Into<String>) -> Failure {
    Failure { message: message.into(), attempts: 1, retryable: true }
}

/// A failure that trying again will not mend: a host's denial, a rejected certificate, a
/// deadline that has passed.
pub fn lasting(message: impl Into<String>) -> Failure {
    Failure { message: message.into(), attempts: 1, retryable: false }
}

/// `what` timed out; once the call's total deadline has passed, no attempt is left.
pub fn timeout(what: &str, total_deadline_passed: bool) -> Error {
    let message = format!("{what} timed out");
    Error::Timeout(if total_deadline_passed { lasting(message) } else { transient(message) })
}

/// The caller's input is wrong: found before any network use.
pub fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidRequest(message.into())
}

/// An answer that is not what was asked for.
pub fn malformed(why: impl std::fmt::Display) -> Error {
    Error::MalformedResponse(format!("the endpoint's answer is not a chat completion: {why}"))
}

/// A body past its cap.
pub fn too_large(cap: u64) -> Error {
    Error::MalformedResponse(format!("the response is larger than max-response-bytes ({cap} bytes)"))
}

/// Every text of an error scrubbed of the secrets and capped at `MAX_MESSAGE_CHARS`: applied to
/// whatever leaves the client, whatever built it.
pub fn sanitize(error: Error, key: &Secrets) -> Error {
    error.map_texts(|text| cap(scrub(&text, key)))
}

/// Cuts a message to `MAX_MESSAGE_CHARS` characters, marking the cut.
fn cap(mut text: String) -> String {
    if let Some((at, _)) = text.char_indices().nth(MAX_MESSAGE_CHARS) {
        text.truncate(at);
        text.push('…');
    }
    text
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The message and code of an error body: `{"error":{"message","code","type"}}`, `{"error":"…"}`,
/// `{"message":…}`, `{"detail":…}`, else the body's text itself.
pub fn message_and_code(body: &[u8]) -> (String, Option<String>) {
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        if let Some(found) = from_json(&json) {
            return found;
        }
    }
    let text = String::from_utf8_lossy(body).trim().to_string();
    (if text.is_empty() { "(empty body)".to_string() } else { text }, None)
}

/// The message and code of an error JSON value (also used for an error met mid-stream).
pub fn from_json(json: &Value) -> Option<(String, Option<String>)> {
    let error = json.get("error").unwrap_or(json);
    if let Some(message) = error.as_str() {
        return Some((message.to_string(), None));
    }
    let message = ["message", "detail", "msg"]
        .iter()
        .find_map(|k| error.get(k))
        .map(|m| text_of(m).unwrap_or_else(|| m.to_string()))?;
    // A word (`context_length_exceeded`) says more than a number (llama.cpp's `"code": 400`).
    let word = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_string);
    let code = error
        .get("code")
        .and_then(word)
        .or_else(|| error.get("type").and_then(word))
        .or_else(|| error.get("code").and_then(text_of));
    Some((message, code))
}

/// The HTTP status an error object names for itself (`status_code`, `status`, or a numeric
/// `code`), for errors met inside a 2xx answer.
fn embedded_status(json: &Value) -> Option<u16> {
    let error = json.get("error").unwrap_or(json);
    let number = |v: &Value| v.as_u64().or_else(|| v.as_str()?.parse().ok());
    ["status_code", "status", "code"]
        .iter()
        .filter_map(|k| error.get(k).and_then(number))
        .find(|s| (400..=599).contains(s))
        .map(|s| s as u16)
}

/// The wait an answer asks for: `retry-after-ms`, else `Retry-After` in seconds or as an HTTP date.
pub fn retry_after_ms(retry_after_ms: Option<&str>, retry_after: Option<&str>, now: SystemTime) -> Option<u64> {
    if let Some(ms) = retry_after_ms.and_then(|v| v.trim().parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(ms.min(u64::MAX as f64) as u64);
        }
    }
    let value = retry_after?.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).min(u64::MAX as f64) as u64);
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO).as_millis().min(u64::MAX as u128) as u64)
}

fn mentions(haystack: &str, needles: &[&str]) -> bool {
    let lower = haystack.to_ascii_lowercase();
    needles.iter().any(|n| lower.contains(n))
}

/// The typed error for an error status (or a `200` whose body is an error).
pub fn classify(
    status: u16,
    message: String,
    code: Option<String>,
    retry_after_ms: Option<u64>,
    key: &Secrets,
) -> Error {
    let code_and_message = format!("{} {message}", code.as_deref().unwrap_or(""));
    let error = ApiError {
        status,
        message: cap(scrub(&message, key)),
        code: code.map(|c| cap(scrub(&c, key))),
        retry_after_ms,
        attempts: 1,
    };
    let context = [
        "context_length_exceeded",
        "contextwindowexceeded",
        "maximum context length",
        "exceed_context_size",
        "exceeds the available context size",
        "context window",
    ];
    if mentions(&code_and_message, &context) {
        return Error::ContextLengthExceeded(error);
    }
    if mentions(&code_and_message, &["content_filter", "content_policy_violation", "contentpolicyviolation"]) {
        return Error::ContentFiltered(error);
    }
    if status == 402 || mentions(&code_and_message, &["insufficient_quota", "budgetexceeded", "budget_exceeded"]) {
        return Error::QuotaExceeded(error);
    }
    match status {
        401 | 403 => Error::Unauthorized(error),
        429 => Error::RateLimited(error),
        400..=499 => Error::BadRequest(error),
        _ => Error::Upstream(error),
    }
}

/// The typed error for an error answer's status, headers and (capped) body.
pub fn from_answer(status: u16, body: &[u8], retry_after_ms: Option<u64>, key: &Secrets) -> Error {
    let (message, code) = message_and_code(body);
    classify(status, message, code, retry_after_ms, key)
}

/// The error for a redirect, which is never followed: it names the status and the target's
/// origin (never its path or query, which may carry tokens).
pub fn redirect(status: u16, location: Option<&str>) -> Error {
    let target = location.map(str::trim).filter(|l| !l.is_empty());
    let origin = match target.and_then(|l| l.split_once("://")) {
        Some((scheme, rest)) => {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            // Userinfo (`user:pass@`) is not part of an origin.
            let host = authority.rsplit('@').next().unwrap_or(authority);
            format!("{}://{host}", scheme.to_ascii_lowercase())
        }
        None if target.is_some() => "the same origin".to_string(),
        None => "nowhere (no Location)".to_string(),
    };
    let message = format!("the endpoint redirected ({status}) to {origin}; redirects are not followed");
    Error::BadRequest(ApiError { status, message: cap(message), code: None, retry_after_ms: None, attempts: 1 })
}

/// The typed error for an error object inside a 2xx body or a stream: its numeric code, when it
/// has one, stands for the status.
pub fn from_embedded(json: &Value, key: &Secrets) -> Error {
    let (message, code) = from_json(json).unwrap_or_else(|| (json.to_string(), None));
    let status = embedded_status(json).unwrap_or(500);
    classify(status, message, code, None, key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Secrets {
        Secrets::new("sk-secret-123")
    }

    fn api(e: &Error) -> &ApiError {
        e.api_error().unwrap_or_else(|| panic!("{e:?}"))
    }

    #[test]
    fn statuses_map_to_cases() {
        let body = br#"{"error":{"message":"nope","type":"x","code":"c"}}"#;
        for (status, kind) in [
            (400, "bad-request"),
            (401, "unauthorized"),
            (402, "quota-exceeded"),
            (403, "unauthorized"),
            (404, "bad-request"),
            (422, "bad-request"),
            (429, "rate-limited"),
            (500, "upstream"),
            (503, "upstream"),
        ] {
            let e = from_answer(status, body, None, &key());
            assert_eq!(e.kind(), kind, "{status}");
            assert_eq!(api(&e).message, "nope");
            assert_eq!(api(&e).code.as_deref(), Some("c"));
        }
    }

    #[test]
    fn special_errors_by_code_or_message() {
        let openai =
            br#"{"error":{"message":"This model's maximum context length is 8192","code":"context_length_exceeded"}}"#;
        assert_eq!(from_answer(400, openai, None, &key()).kind(), "context-length-exceeded");
        let litellm =
            br#"{"error":{"message":"litellm.ContextWindowExceededError: too long","type":null,"code":"400"}}"#;
        assert_eq!(from_answer(400, litellm, None, &key()).kind(), "context-length-exceeded");
        let quota = br#"{"error":{"message":"You exceeded your quota","type":"insufficient_quota"}}"#;
        assert_eq!(from_answer(429, quota, None, &key()).kind(), "quota-exceeded");
        let filter = br#"{"error":{"message":"blocked","code":"content_filter"}}"#;
        assert_eq!(from_answer(400, filter, None, &key()).kind(), "content-filtered");
    }

    #[test]
    fn other_shapes_cap_and_scrub() {
        assert_eq!(message_and_code(br#"{"error":"model not found"}"#).0, "model not found");
        assert_eq!(message_and_code(br#"{"detail":"Not Found"}"#).0, "Not Found");
        assert_eq!(message_and_code(b"plain failure").0, "plain failure");
        assert_eq!(message_and_code(b"").0, "(empty body)");
        assert_eq!(message_and_code(&[0xff, 0xfe]).0, "\u{fffd}\u{fffd}");
        let long = format!(r#"{{"error":{{"message":"{}"}}}}"#, "x".repeat(5000));
        let e = from_answer(400, long.as_bytes(), None, &key());
        assert_eq!(api(&e).message.chars().count(), MAX_MESSAGE_CHARS + 1);
        let hiding = Secrets::new("sk-secret-123").hiding(["gateway-token-456", "short"]);
        let echoed = br#"{"error":{"message":"token gateway-token-456 and short words stay"}}"#;
        let e = from_answer(403, echoed, None, &hiding);
        assert_eq!(api(&e).message, "token [redacted] and short words stay");
        let echo = br#"{"error":{"message":"bad key Bearer sk-secret-123","code":"sk-secret-123"}}"#;
        let e = from_answer(401, echo, None, &key());
        assert!(!format!("{e:?}").contains("sk-secret-123"));
        assert_eq!(api(&e).message, "bad key Bearer [redacted]");
    }

    #[test]
    fn secrets_are_scrubbed_in_every_spelling() {
        let key = Secrets::new("sk-Test-123");
        for echoed in [
            "bad key sk-Test-123.",
            "bad key SK-TEST-123.",
            "bad key sk-test-123.",
            r"bad key \u0073k-Test-123.",
            r"bad key sk\u002dTEST\u002d123.",
            "bad key sk%2dtest-123.",
            "https://sk-test-123.evil.example/ then sk-Test-123",
        ] {
            let clean = scrub(echoed, &key);
            assert!(!clean.to_lowercase().contains("test-123") && clean.contains(REDACTED), "{echoed} -> {clean}");
            assert!(clean.starts_with(&echoed[..4]), "the rest is kept: {clean}");
        }
        assert_eq!(scrub("naïve Ünïcode stays", &key), "naïve Ünïcode stays");
        assert_eq!(scrub(r"a \u00zz and %zz stay", &key), r"a \u00zz and %zz stay");
    }

    #[test]
    fn parse_errors_describe_the_shape_never_the_value() {
        let e = serde_json::from_str::<Vec<u8>>(r#""sk-Test-123, expected sk-Test-123""#).unwrap_err();
        let said = json_error(&e);
        assert!(!said.contains("sk-"), "{said}");
        assert!(said.contains("expected a sequence") && said.contains("line 1"), "{said}");
        let e = serde_json::from_str::<Vec<u8>>("[1,").unwrap_err();
        assert!(json_error(&e).starts_with("it ends early"), "{}", json_error(&e));
        let e = serde_json::from_str::<Vec<u8>>("[sk-x]").unwrap_err();
        assert!(json_error(&e).starts_with("it is not valid JSON"));
    }

    #[test]
    fn sanitize_scrubs_and_caps_every_case() {
        let key = Secrets::new("sk-Test-123");
        let long = format!("SK-TEST-123 {}", "x".repeat(5000));
        for error in [
            Error::MalformedResponse(long.clone()),
            Error::Transport(transient(long.clone())),
            Error::Upstream(ApiError {
                status: 500,
                message: long.clone(),
                code: None,
                retry_after_ms: None,
                attempts: 1,
            }),
        ] {
            let clean = sanitize(error, &key);
            let shown = format!("{clean:?}");
            assert!(!shown.to_lowercase().contains("test-123"), "{shown}");
            let text = match &clean {
                Error::MalformedResponse(m) => m.clone(),
                Error::Transport(f) => f.message.clone(),
                other => other.api_error().unwrap().message.clone(),
            };
            assert_eq!(text.chars().count(), MAX_MESSAGE_CHARS + 1);
        }
    }

    #[test]
    fn embedded_errors_take_their_status_from_the_code() {
        let v: Value = serde_json::from_str(r#"{"error":{"message":"slow down","code":"429"}}"#).unwrap();
        assert_eq!(from_embedded(&v, &key()).kind(), "rate-limited");
        let v: Value = serde_json::from_str(r#"{"error":{"message":"boom"}}"#).unwrap();
        assert_eq!(from_embedded(&v, &key()).kind(), "upstream");
    }

    #[test]
    fn redirects_name_the_origin_only() {
        let e = redirect(302, Some("https://User:pw@Login.example.com:8443/path?token=abc#x"));
        assert_eq!(e.kind(), "bad-request");
        let message = &api(&e).message;
        assert!(message.contains("302") && message.contains("https://Login.example.com:8443"), "{message}");
        assert!(!message.contains("token") && !message.contains("pw") && !message.contains("/path"), "{message}");
        assert!(api(&redirect(301, Some("/v2/chat"))).message.contains("the same origin"));
        assert!(api(&redirect(307, None)).message.contains("no Location"));
    }

    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(retry_after_ms(Some("150"), Some("9"), now), Some(150));
        assert_eq!(retry_after_ms(None, Some("2"), now), Some(2000));
        assert_eq!(retry_after_ms(None, Some("0.5"), now), Some(500));
        assert_eq!(retry_after_ms(None, Some("Sun, 06 Nov 1994 08:49:40 GMT"), now), Some(3000));
        assert_eq!(retry_after_ms(None, Some("Sun, 06 Nov 1994 08:49:00 GMT"), now), Some(0));
        assert_eq!(retry_after_ms(Some("x"), Some("soon"), now), None);
        assert_eq!(retry_after_ms(None, Some("-1"), now), None);
    }
}
