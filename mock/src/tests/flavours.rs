//! Embeddings, the model list and provider-flavoured error shapes.

use serde_json::{json, Value};

use super::*;

#[tokio::test]
async fn embeds_strings_and_lists() {
    let server = MockServer::start().await.unwrap();
    let body = json!({"model": "text-embedding-3-small", "input": "hello big world"});
    let reply = post(&server, "/v1/embeddings", body).await;
    assert_eq!(reply.status, 200);
    let v = reply.json();
    assert_eq!((&v["object"], &v["model"]), (&json!("list"), &json!("text-embedding-3-small")));
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    assert_eq!((&v["data"][0]["object"], &v["data"][0]["index"]), (&json!("embedding"), &json!(0)));
    let expected = [15.0, 0.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
    assert_eq!(floats(&v["data"][0]["embedding"]), expected);
    assert_eq!(v["usage"], json!({"prompt_tokens": 3, "total_tokens": 3}));

    let body = json!({"model": "m", "input": ["a b", "héllo", ""], "dimensions": 3,
        "encoding_format": "float", "user": "u-1"});
    let v = post(&server, "/embeddings", body).await.json();
    let data = v["data"].as_array().unwrap();
    let indices: Vec<&Value> = data.iter().map(|d| &d["index"]).collect();
    assert_eq!(indices, [&json!(0), &json!(1), &json!(2)]);
    let vectors: Vec<Vec<f64>> = data.iter().map(|d| floats(&d["embedding"])).collect();
    assert_eq!(vectors, [[3.0, 0.0, 0.5], [5.0, 1.0, 0.5], [0.0, 2.0, 0.5]]);
    assert_eq!(v["usage"], json!({"prompt_tokens": 3, "total_tokens": 3}));
    assert_eq!(server.requests_for("m")[0].path, "/embeddings");
}

#[tokio::test]
async fn rejects_bad_embedding_requests() {
    let server = MockServer::start().await.unwrap();
    let cases = [
        (json!({"model": "m"}), "input"),
        (json!({"model": "m", "input": 5}), "input"),
        (json!({"model": "m", "input": []}), "input"),
        (json!({"model": "m", "input": ["a", 1]}), "input"),
        (json!({"model": "m", "input": "a", "dimensions": 0}), "dimensions"),
        (json!({"model": "m", "input": "a", "dimensions": "8"}), "dimensions"),
        (json!({"model": "m", "input": "a", "dimensions": 1e9}), "dimensions"),
        (json!({"input": "a"}), "model"),
    ];
    for (body, param) in cases {
        let reply = post(&server, "/v1/embeddings", body.clone()).await;
        assert_eq!(reply.status, 400, "{body}");
        let error = &reply.json()["error"];
        assert_eq!((&error["type"], &error["param"]), (&json!("invalid_request_error"), &json!(param)), "{body}");
    }
    let reply = request(server.addr(), "POST", "/v1/embeddings", &[], "not json").await;
    assert_eq!((reply.status, &reply.json()["error"]["code"]), (400, &json!("invalid_json")));
}

#[tokio::test]
async fn embedding_scenarios() {
    let server = MockServer::start().await.unwrap();
    let reply = post(&server, "/v1/embeddings", json!({"model": "mock/error-429", "input": "a"})).await;
    assert_eq!((reply.status, reply.header("retry-after")), (429, Some("1")));
    let expected =
        json!({"error": {"message": "mock error 429", "type": "mock_error", "param": null, "code": "mock_429"}});
    assert_eq!(reply.json(), expected);
    let reply = post(&server, "/v1/embeddings", json!({"model": "mock/error-503", "input": "a"})).await;
    assert_eq!(reply.status, 503);

    let body = json!({"model": "mock/embed-no-usage", "input": ["a", "b"]});
    let v = post(&server, "/v1/embeddings", body).await.json();
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    assert!(v.get("usage").is_none(), "{v}");

    let body =
        json!({"model": "mock/embed-base64", "input": ["hi", "a b c"], "dimensions": 4, "encoding_format": "float"});
    let v = post(&server, "/v1/embeddings", body).await.json();
    let decoded: Vec<Vec<f32>> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| base64_floats(d["embedding"].as_str().expect("a base64 string")))
        .collect();
    assert_eq!(decoded, [[2.0, 0.0, 0.5, 0.5], [5.0, 1.0, 0.5, 0.5]]);
    assert_eq!(v["data"][0]["embedding"], "AAAAQAAAAAAAAAA/AAAAPw==");
    assert_eq!(v["usage"], json!({"prompt_tokens": 4, "total_tokens": 4}));
}

#[tokio::test]
async fn lists_models_or_rejects_the_bad_key() {
    let server = MockServer::start().await.unwrap();
    let expected = json!({"object": "list", "data": [
        {"id": "gpt-4o", "object": "model", "created": 1_700_000_000, "owned_by": "mock"},
        {"id": "text-embedding-3-small", "object": "model", "created": 1_700_000_001, "owned_by": "mock"},
        {"id": "mock/echo", "object": "model", "created": 1_700_000_002, "owned_by": "mock"}]});
    let reply = get(&server, "/v1/models", &[("Authorization", "Bearer sk-good")]).await;
    assert_eq!((reply.status, reply.json()), (200, expected.clone()));
    assert_eq!(get(&server, "/models", &[]).await.json(), expected);

    let reply = get(&server, "/v1/models", &[("Authorization", "Bearer sk-bad-key")]).await;
    assert_eq!(reply.status, 401);
    let error = &reply.json()["error"];
    assert_eq!((&error["type"], &error["code"]), (&json!("invalid_request_error"), &json!("invalid_api_key")));
    assert!(error["message"].as_str().unwrap().contains("sk-bad-key"));
    assert_eq!(server.requests()[2].method, "GET");
}

#[tokio::test]
async fn answers_provider_error_shapes() {
    let server = MockServer::start().await.unwrap();
    let vllm = json!({"object": "error", "message": "This model's maximum context length is 4096 tokens.",
        "type": "BadRequestError", "param": null, "code": 400});
    for body in [user("mock/error-vllm", "x"), streaming("mock/error-vllm", "x", true)] {
        let reply = chat(&server, body).await;
        assert_eq!((reply.status, reply.json()), (400, vllm.clone()));
    }
    let ollama = json!({"error": {"message": "model \"llama9\" not found, try pulling it first",
        "type": "api_error", "param": null, "code": null}});
    let reply = chat(&server, user("mock/error-ollama", "x")).await;
    assert_eq!((reply.status, reply.json()), (404, ollama));
    assert_eq!(reply.header("content-type"), Some("application/json"));
}
