//! The answers of the OpenAI routes (chat completions, embeddings, the model list), shared by
//! the plain and the Azure routes.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use serde_json::{json, Value};

use super::body::{error_response, json_response, response, with_header, MockBody, Resp};
use super::call::Call;
use super::completion::CREATED;
use super::request::checked;
use super::scenarios;
use super::state::{lock, Shared};
use super::{embeddings, streaming};

/// The ids listed by `GET /v1/models`, `created` counting up from [`CREATED`].
const MODELS: [&str; 3] = ["gpt-4o", "text-embedding-3-small", "mock/echo"];

/// The `Authorization` header value that `GET /v1/models` rejects with a 401.
const BAD_KEY: &str = "Bearer sk-bad-key";

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
    if let Some(scripted) = lock(&shared.scripts).get(&models.scenario).cloned() {
        let resp = response(scripted.status, "application/json", MockBody::full(scripted.body));
        return with_header(resp, "content-type", &scripted.content_type);
    }
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let call = Call {
        model: models.answer,
        scenario_model: models.scenario,
        body,
        authorization,
        id: format!("chatcmpl-mock-{id}"),
        shared,
    };
    if let Some(resp) = scenarios::prelude(&call).await {
        return resp;
    }
    if call.stream() && call.scenario() != "stream-not-sse" {
        streaming::respond(call)
    } else {
        scenarios::respond(&call)
    }
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
