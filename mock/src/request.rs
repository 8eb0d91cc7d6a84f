//! The checks every JSON route makes of a request body before it becomes an answer.

use serde_json::{json, Value};

use super::body::{bad_request, Resp};

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
pub(super) fn checked(
    body: Result<Value, serde_json::Error>,
    deployment: Option<String>,
) -> Result<(Value, Models), Invalid> {
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
