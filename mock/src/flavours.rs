//! Error bodies shaped like other OpenAI-compatible servers' (vLLM, Ollama, Azure OpenAI).

use serde_json::{json, Value};

use super::body::{error_response, json_response, Resp};

/// `mock/error-vllm` and `mock/error-ollama` (`name` is the part after `error-`); `None` for
/// any other name.
///
/// * `vllm`: 400 with vLLM's top-level shape, `{"object":"error","message",...,"code":400}`;
/// * `ollama`: 404 with Ollama's OpenAI-compatible shape, `type: "api_error"` and `code: null`.
pub(super) fn provider_error(name: &str) -> Option<Resp> {
    match name {
        "vllm" => Some(json_response(
            400,
            &json!({
                "object": "error",
                "message": "This model's maximum context length is 4096 tokens.",
                "type": "BadRequestError",
                "param": null,
                "code": 400,
            }),
        )),
        "ollama" => Some(error_response(
            404,
            "model \"llama9\" not found, try pulling it first",
            json!("api_error"),
            Value::Null,
            Value::Null,
        )),
        _ => None,
    }
}

/// Azure OpenAI's 404: `{"error":{"code":"404","message":"Resource not found"}}`.
pub(super) fn azure_not_found() -> Resp {
    json_response(404, &json!({"error": {"code": "404", "message": "Resource not found"}}))
}
