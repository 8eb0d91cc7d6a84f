//! The chat-completions request being answered, and what its scenarios derive from it.

use std::sync::Arc;

use serde_json::Value;

use super::state::Shared;
use super::text;

/// One chat-completions request being answered.
#[derive(Debug)]
pub(super) struct Call {
    /// The model the answer reports: the request's `model`, or the Azure deployment name.
    pub(super) model: String,
    /// The model that picks the scenario, e.g. `mock/tool-call`: the request's `model` (on
    /// Azure routes, the deployment name when the body has no `model`).
    pub(super) scenario_model: String,
    /// The request body.
    pub(super) body: Value,
    /// The `Authorization` header, if any.
    pub(super) authorization: Option<String>,
    /// The answer id, `chatcmpl-mock-N`.
    pub(super) id: String,
    /// The server state (flaky counters, gate).
    pub(super) shared: Arc<Shared>,
}

impl Call {
    /// The scenario name (the model without `mock/`), or `""` for a non-mock model.
    pub(super) fn scenario(&self) -> &str {
        self.scenario_model.strip_prefix("mock/").unwrap_or("")
    }

    /// Whether the request has `"stream": true`.
    pub(super) fn stream(&self) -> bool {
        self.body.get("stream").and_then(Value::as_bool) == Some(true)
    }

    /// Whether the request has `stream_options.include_usage == true`.
    pub(super) fn include_usage(&self) -> bool {
        self.body.pointer("/stream_options/include_usage").and_then(Value::as_bool) == Some(true)
    }

    /// The request's `messages` (empty if missing or not an array).
    pub(super) fn messages(&self) -> &[Value] {
        self.body.get("messages").and_then(Value::as_array).map_or(&[], Vec::as_slice)
    }

    /// `"You said: " + <last user message>`.
    pub(super) fn echo_text(&self) -> String {
        let last_user = self.messages().iter().rev().find(|m| m.get("role").and_then(Value::as_str) == Some("user"));
        let said = last_user.map(|m| text::content_text(&m["content"])).unwrap_or_default();
        format!("You said: {said}")
    }

    /// `"key:" + <bearer token or "none">`.
    pub(super) fn key_text(&self) -> String {
        format!("key:{}", text::bearer(self.authorization.as_deref()).unwrap_or("none"))
    }

    /// The text of a successful answer: the key text for `mock/echo-key`, else the echo text.
    pub(super) fn default_text(&self) -> String {
        if self.scenario() == "echo-key" {
            self.key_text()
        } else {
            self.echo_text()
        }
    }
}
