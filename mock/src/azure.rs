//! The Azure OpenAI flavour of the routes, under `/openai/`:
//!
//! * `POST /openai/deployments/{deployment}/chat/completions?api-version=V`;
//! * `POST /openai/deployments/{deployment}/embeddings?api-version=V`;
//! * `GET /openai/models?api-version=V`.
//!
//! They behave like their OpenAI counterparts, except that the scenario model is the body's
//! `model` if present, else the deployment, and the answer's `model` is the deployment. The
//! deployment is everything between `/openai/deployments/` and the operation, percent-decoded,
//! so `mock/echo` and `mock%2Fecho` both name `mock/echo`. Requests without a non-empty
//! `api-version` query parameter, and unknown paths under `/openai/`, get Azure's 404.

use std::sync::Arc;

use http::request::Parts;
use http::Method;
use percent_encoding::percent_decode_str;
use serde_json::Value;

use super::body::Resp;
use super::flavours::azure_not_found;
use super::handlers;
use super::state::Shared;

/// The operations on a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    /// `.../chat/completions`.
    Chat,
    /// `.../embeddings`.
    Embeddings,
}

/// Answers a request whose path starts with `/openai/`.
pub(super) async fn route(
    shared: Arc<Shared>,
    parts: &Parts,
    body: Result<Value, serde_json::Error>,
    authorization: Option<String>,
) -> Resp {
    if !has_api_version(parts.uri.query()) {
        return azure_not_found();
    }
    let path = parts.uri.path();
    match (&parts.method, path) {
        (&Method::GET, "/openai/models") => handlers::models(authorization.as_deref()),
        (&Method::POST, _) => match deployment_route(path) {
            Some((deployment, Operation::Chat)) => handlers::chat(shared, body, authorization, Some(deployment)).await,
            Some((deployment, Operation::Embeddings)) => handlers::embed(body, Some(deployment)),
            None => azure_not_found(),
        },
        _ => azure_not_found(),
    }
}

/// Whether `query` has an `api-version` parameter with a non-empty value.
fn has_api_version(query: Option<&str>) -> bool {
    query
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .any(|(name, value)| name == "api-version" && !value.is_empty())
}

/// The (percent-decoded) deployment and the operation of a deployment path.
fn deployment_route(path: &str) -> Option<(String, Operation)> {
    let rest = path.strip_prefix("/openai/deployments/")?;
    let (deployment, operation) = if let Some(d) = rest.strip_suffix("/chat/completions") {
        (d, Operation::Chat)
    } else {
        (rest.strip_suffix("/embeddings")?, Operation::Embeddings)
    };
    // Invalid escapes are kept as they are; invalid UTF-8 is replaced.
    let decoded = || percent_decode_str(deployment).decode_utf8_lossy().into_owned();
    (!deployment.is_empty()).then(|| (decoded(), operation))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_api_version() {
        assert!(has_api_version(Some("api-version=2024-10-21")));
        assert!(has_api_version(Some("x=1&api-version=v")));
        assert!(!has_api_version(Some("api-version=")));
        assert!(!has_api_version(Some("api-version")));
        assert!(!has_api_version(Some("x-api-version=1")));
        assert!(!has_api_version(None));
    }

    #[test]
    fn parses_deployment_paths() {
        let chat = deployment_route("/openai/deployments/gpt-4o/chat/completions");
        assert_eq!(chat, Some(("gpt-4o".to_owned(), Operation::Chat)));
        let embed = deployment_route("/openai/deployments/mock%2Fembed-base64/embeddings");
        assert_eq!(embed, Some(("mock/embed-base64".to_owned(), Operation::Embeddings)));
        let slash = deployment_route("/openai/deployments/mock/echo/chat/completions");
        assert_eq!(slash, Some(("mock/echo".to_owned(), Operation::Chat)));
        assert_eq!(deployment_route("/openai/deployments//embeddings"), None);
        assert_eq!(deployment_route("/openai/deployments/x/completions"), None);
        assert_eq!(deployment_route("/openai/models"), None);
    }

    #[test]
    fn percent_decodes_leniently() {
        let deployment = |path: &str| deployment_route(&format!("/openai/deployments/{path}/embeddings")).unwrap().0;
        assert_eq!(deployment("a%2Fb%2f"), "a/b/");
        assert_eq!(deployment("100%"), "100%");
        assert_eq!(deployment("%+f%zz%4"), "%+f%zz%4");
        assert_eq!(deployment("%C3%A9%FF"), "é\u{fffd}");
    }
}
