//! The Azure OpenAI routes.

use serde_json::json;

use super::*;

#[tokio::test]
async fn serves_azure_chat() {
    let server = MockServer::start().await.unwrap();
    let path = "/openai/deployments/my-gpt/chat/completions?api-version=2024-10-21";
    let body = user("gpt-4o", "hello").to_string();
    let reply = request(server.addr(), "POST", path, &[("api-key", "azure-key-1")], &body).await;
    assert_eq!(reply.status, 200);
    let v = reply.json();
    assert_eq!((&v["model"], &v["choices"][0]["message"]["content"]), (&json!("my-gpt"), &json!("You said: hello")));
    let recorded = &server.requests()[0];
    assert_eq!((recorded.path.as_str(), recorded.header("api-key")), (path, Some("azure-key-1")));

    // Without a body `model`, the deployment picks the scenario; a body `model` wins over it.
    let no_model = json!({"messages": [{"role": "user", "content": "x"}]});
    let path = "/openai/deployments/mock%2Ferror-503/chat/completions?api-version=v";
    assert_eq!(post(&server, path, no_model.clone()).await.status, 503);
    let path = "/openai/deployments/mock/error-vllm/chat/completions?api-version=v";
    let v = post(&server, path, user("mock/echo", "hi")).await.json();
    assert_eq!(
        (&v["model"], &v["choices"][0]["message"]["content"]),
        (&json!("mock/error-vllm"), &json!("You said: hi"))
    );

    let azure_404 = json!({"error": {"code": "404", "message": "Resource not found"}});
    for path in [
        "/openai/deployments/my-gpt/chat/completions",
        "/openai/deployments/my-gpt/chat/completions?api-version=",
        "/openai/deployments/my-gpt/completions?api-version=v",
    ] {
        let reply = post(&server, path, user("gpt-4o", "x")).await;
        assert_eq!((reply.status, reply.json()), (404, azure_404.clone()), "{path}");
    }
    assert_eq!(get(&server, "/openai/models", &[]).await.json(), azure_404);
    let v = get(&server, "/openai/models?api-version=v", &[]).await.json();
    assert_eq!(v["data"][1]["id"], "text-embedding-3-small");
    let reply = get(&server, "/openai/models?api-version=v", &[("Authorization", "Bearer sk-bad-key")]).await;
    assert_eq!(reply.status, 401);
}

#[tokio::test]
async fn serves_azure_embeddings_by_deployment() {
    let server = MockServer::start().await.unwrap();
    let path = "/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21";
    let v = post(&server, path, json!({"input": ["a b", "c"]})).await.json();
    assert_eq!(v["model"], "text-embedding-3-small");
    assert_eq!(floats(&v["data"][1]["embedding"])[..2], [1.0, 1.0]);
    assert_eq!(v["usage"], json!({"prompt_tokens": 3, "total_tokens": 3}));

    let path = "/openai/deployments/mock%2Fembed-no-usage/embeddings?api-version=v";
    let v = post(&server, path, json!({"input": "a"})).await.json();
    assert_eq!(v["model"], "mock/embed-no-usage");
    assert!(v.get("usage").is_none(), "{v}");

    let path = "/openai/deployments/emb/embeddings?api-version=v";
    let v = post(&server, path, json!({"model": "mock/embed-base64", "input": "abc"})).await.json();
    assert_eq!(v["model"], "emb");
    assert_eq!(base64_floats(v["data"][0]["embedding"].as_str().unwrap())[0], 3.0);

    let reply = post(&server, "/openai/deployments/emb/embeddings", json!({"input": "a"})).await;
    assert_eq!(reply.status, 404);
    let reply = post(&server, path, json!({"model": "emb"})).await;
    assert_eq!(reply.status, 400);
}
