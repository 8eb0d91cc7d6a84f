//! Routing of recorded requests: the OpenAI routes, the model list and the shared request checks.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use http::request::Parts;
use http::Method;
use serde_json::{json, Value};

use super::body::{bad_request, error_response, json_response, Resp};
use super::call::Call;
use super::scenarios::CREATED;
use super::{azure, embeddings, Shared};

/// The ids listed by `GET /v1/models`, `created` counting up from [`CREATED`].
const MODELS: [&str; 3] = ["gpt-4o", "text-embedding-3-small", "mock/echo"];

/// The `Authorization` header value that `GET /v1/models` rejects with a 401.
const BAD_KEY: &str = "Bearer sk-bad-key";

/// The models of one request.
#[derive(Debug)]
pub(super) struct Models {
    /// The model the answer reports: the request's `model`, or the Azure deployment name.
    pub(super) answer: String,
    /// The model that picks the scenario: the request's `model`, else the Azure deployment.
    pub(super) scenario: String,
}

impl Models {
    /// The scenario name (the scenario model without `mock/`), or `""` for a non-mock model.
    pub(super) fn scenario_name(&self) -> &str {
        self.scenario.strip_prefix("mock/").unwrap_or("")
    }
}

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

/// A 400 `invalid_request_error` about the request itself, before it becomes a response.
#[derive(Debug)]
pub(super) struct Invalid {
    /// The error message.
    pub(super) message: String,
    /// The offending request parameter, if any.
    pub(super) param: Option<&'static str>,
    /// The error code, e.g. `invalid_json`.
    pub(super) code: &'static str,
}

impl Invalid {
    /// The 400 response.
    pub(super) fn into_resp(self) -> Resp {
        let param = self.param.map_or(Value::Null, |p| json!(p));
        bad_request(&self.message, param, self.code)
    }
}

/// The JSON body of a request and its models: its string `model`, else the Azure `deployment`;
/// the answer reports the deployment when there is one. Rejects a body that is not JSON, and
/// one without a `model` outside Azure.
fn checked(body: Result<Value, serde_json::Error>, deployment: Option<String>) -> Result<(Value, Models), Invalid> {
    let body = body.map_err(|error| Invalid {
        message: format!("request body is not valid JSON: {error}"),
        param: None,
        code: "invalid_json",
    })?;
    let model = body.get("model").and_then(Value::as_str).map(str::to_owned);
    let models = match (model, deployment) {
        (Some(model), None) => Models { answer: model.clone(), scenario: model },
        (model, Some(deployment)) => {
            Models { scenario: model.unwrap_or_else(|| deployment.clone()), answer: deployment }
        }
        (None, None) => {
            return Err(Invalid {
                message: "request body needs a string `model`".to_owned(),
                param: Some("model"),
                code: "invalid_model",
            })
        }
    };
    Ok((body, models))
}

/// Answers a chat-completions request; `deployment` is the Azure deployment, if any.
pub(super) async fn chat(
    shared: Arc<Shared>,
    body: Result<Value, serde_json::Error>,
    authorization: Option<String>,
    deployment: Option<String>,
) -> Resp {
    let (body, models) = match checked(body, deployment) {
        Ok(checked) => checked,
        Err(invalid) => return invalid.into_resp(),
    };
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let call = Call {
        model: models.answer,
        scenario_model: models.scenario,
        body,
        authorization,
        id: format!("chatcmpl-mock-{id}"),
        shared,
    };
    super::chat(call).await
}

/// Answers an embeddings request; `deployment` is the Azure deployment, if any.
pub(super) fn embed(body: Result<Value, serde_json::Error>, deployment: Option<String>) -> Resp {
    match checked(body, deployment) {
        Ok((body, models)) => embeddings::respond(&body, &models),
        Err(invalid) => invalid.into_resp(),
    }
}

/// The model list, or a 401 when `authorization` is exactly [`BAD_KEY`].
pub(super) fn models(authorization: Option<&str>) -> Resp {
    if authorization == Some(BAD_KEY) {
        return error_response(
            401,
            "Incorrect API key provided: sk-bad-key. You can find your API key at https://platform.openai.com/account/api-keys.",
            json!("invalid_request_error"),
            Value::Null,
            json!("invalid_api_key"),
        );
    }
    let data: Vec<Value> = (CREATED..)
        .zip(MODELS)
        .map(|(created, id)| json!({"id": id, "object": "model", "created": created, "owned_by": "mock"}))
        .collect();
    json_response(200, &json!({"object": "list", "data": data}))
}
