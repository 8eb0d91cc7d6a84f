//! Routing of recorded requests to the OpenAI routes (with or without `/v1`) and the Azure ones.

use std::sync::Arc;

use http::request::Parts;
use http::Method;
use serde_json::{json, Value};

use super::azure;
use super::body::{error_response, json_response, Resp};
use super::handlers::{chat, embed, models};
use super::state::Shared;

/// Answers a request that has been read and recorded. `body` is the body parsed as JSON.
pub(super) async fn route(
    shared: Arc<Shared>,
    parts: &Parts,
    body: Result<Value, serde_json::Error>,
    authorization: Option<String>,
) -> Resp {
    let path = parts.uri.path();
    match (&parts.method, path) {
        (&Method::GET, "/health") => json_response(200, &json!({"status": "ok"})),
        (&Method::POST, "/v1/chat/completions" | "/chat/completions") => chat(shared, body, authorization, None).await,
        (&Method::POST, "/v1/embeddings" | "/embeddings") => embed(body, None),
        (&Method::GET, "/v1/models" | "/models") => models(authorization.as_deref()),
        _ if path.starts_with("/openai/") => azure::route(shared, parts, body, authorization).await,
        (method, path) => error_response(
            404,
            &format!("no route for {method} {path}"),
            json!("invalid_request_error"),
            Value::Null,
            json!("not_found"),
        ),
    }
}
