//! One JSON line per request on stderr, which `wasmtime serve` and the platforms collect as the
//! component's log: when, who (the client key's name, never the key), what, and how it ended.

use litellm_client::Usage;
use serde_json::{json, Value};

/// What one request came to, filled in as it is served.
#[derive(Debug, Default)]
pub struct Entry {
    /// The route, e.g. `/v1/chat/completions`.
    pub route: String,
    /// The HTTP method.
    pub method: &'static str,
    /// The client key's name; `None` before authentication or on an open gateway.
    pub client: Option<String>,
    /// Whether the gateway is open to anyone (`LITELLM_GATEWAY_AUTH=none`).
    pub open: bool,
    /// The model the client asked for.
    pub model: Option<String>,
    /// The status sent.
    pub status: u16,
    /// The upstream's token counts, when it sent them.
    pub usage: Option<Usage>,
    /// Why the request failed: OpenAI's error `type`, or the gateway's own reason.
    pub error: Option<String>,
    /// Whether the answer was streamed.
    pub stream: bool,
    /// What of the request was accepted but not served (field names and tool types, never
    /// values): the Responses and Messages fields a stateless gateway cannot honour.
    pub left_out: Vec<String>,
    /// The deployment that answered (its name in the routes document, never its address).
    pub deployment: Option<String>,
    /// The deployments tried before it, which failed with a fallback error, in order.
    pub tried: Vec<String>,
    /// The key's limit that refused the request (`rpm`, `tpm`, `max_concurrent`, `token_budget`).
    pub limit: Option<&'static str>,
    /// Why the shared store failed, when it did (the request was then refused, or served
    /// uncounted under `on_store_error: open`).
    pub store_error: Option<String>,
}

impl Entry {
    /// The log line, with the time (Unix ms) and the duration (ms) given.
    pub fn line(&self, time_ms: u64, duration_ms: u64) -> Value {
        let usage = self.usage.as_ref();
        let mut line = json!({
            "time_ms": time_ms,
            "client": self.client,
            "method": self.method,
            "route": self.route,
            "model": self.model,
            "status": self.status,
            "stream": self.stream,
            "input_tokens": usage.map(|u| u.input_tokens),
            "output_tokens": usage.map(|u| u.output_tokens),
            "cached_tokens": usage.and_then(|u| u.cached_input_tokens),
            "reasoning_tokens": usage.and_then(|u| u.reasoning_tokens),
            "duration_ms": duration_ms,
            "error": self.error,
        });
        if !self.left_out.is_empty() {
            line["left_out"] = json!(self.left_out);
        }
        if self.deployment.is_some() || !self.tried.is_empty() {
            line["deployment"] = json!(self.deployment);
            line["tried"] = json!(self.tried);
        }
        if let Some(limit) = self.limit {
            line["limit"] = json!(limit);
        }
        if let Some(why) = &self.store_error {
            line["store_error"] = json!(why);
        }
        if self.open {
            // Said on every line, so that an open gateway cannot go unnoticed in the log.
            line["auth"] = json!("none: LITELLM_GATEWAY_AUTH=none, every client is accepted");
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_names_the_client_never_a_key_and_says_when_open() {
        let entry = Entry {
            route: "/v1/chat/completions".into(),
            method: "POST",
            client: Some("team-a".into()),
            model: Some("gpt-4o".into()),
            status: 200,
            usage: Some(Usage { cached_input_tokens: Some(3), ..Usage::new(10, 4) }),
            ..Entry::default()
        };
        let line = entry.line(1_700_000_000_000, 12);
        assert_eq!(line["client"], "team-a");
        assert_eq!((line["input_tokens"].clone(), line["cached_tokens"].clone()), (json!(10), json!(3)));
        assert_eq!(line["reasoning_tokens"], Value::Null);
        assert!(line.get("auth").is_none());
        let open = Entry { open: true, ..Entry::default() }.line(0, 0);
        assert!(open["auth"].as_str().unwrap().starts_with("none"));
    }
}
