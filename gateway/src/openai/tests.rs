//! Unit tests of the OpenAI conversions, natively (the generated types need no WASI).

use super::*;
use litellm_client::{
    ApiError, ContentPart, Error, Failure, FilePart, ImageUrl, InputAudio, ModelInfo, ReasoningEffort, Response,
    ResponseFormat, Role, StopReason, StreamEnd, StreamEvent, ToolCall, ToolChoice, Usage,
};
use serde_json::json;
use serde_json::Value;

fn call(body: Value) -> ChatCall {
    chat_call(body.to_string().as_bytes(), &[]).unwrap_or_else(|e| panic!("{body}: {e}"))
}

fn refused(body: Value) -> String {
    chat_call(body.to_string().as_bytes(), &[]).expect_err("the body must be refused").message
}

fn answer(content: &str, tool_calls: Vec<ToolCall>, stop: StopReason) -> Response {
    Response {
        content: content.into(),
        tool_calls,
        usage: Some(Usage::new(3, 4)),
        model: "gpt-4o".into(),
        stop_reason: stop,
        reasoning: None,
        refusal: None,
    }
}

fn api(status: u16, code: Option<&str>, retry_after_ms: Option<u64>) -> ApiError {
    ApiError {
        status,
        message: format!("upstream says {status}"),
        code: code.map(str::to_owned),
        retry_after_ms,
        attempts: 1,
    }
}

#[test]
fn a_minimal_body_is_the_contracts_request() {
    let c = call(json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}));
    assert!(!c.stream && !c.include_usage);
    assert_eq!(c.request.model, "gpt-4o");
    assert_eq!(c.request.messages.len(), 1);
    assert_eq!(c.request.messages[0].role, Role::User);
    assert_eq!(c.request.messages[0].content, "Hi");
    assert!(c.request.tools.is_empty() && c.request.stop.is_empty());
    assert_eq!(c.request.extra_body, None);
    assert_eq!(c.request.max_tokens, None);
}

#[test]
fn every_field_is_carried_over() {
    let passthrough = ["top_k".to_owned(), "metadata".to_owned()];
    let c = chat_call(json!({
        "model": "litellm:m",
        "messages": [
            {"role": "developer", "content": "Be brief"},
            {"role": "user", "content": [
                {"type": "text", "text": "What is this?"},
                {"type": "image_url", "image_url": {"url": "https://x/cat.png", "detail": "low"}}
            ]},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}
            ]},
            {"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "42"}]}
        ],
        "tools": [{"type": "function", "function": {"name": "f", "description": "F", "parameters": {"type": "object"}}},
                  {"type": "function", "function": {"name": "g"}}],
        "tool_choice": {"type": "function", "function": {"name": "f"}},
        "parallel_tool_calls": false,
        "max_tokens": 10, "max_completion_tokens": 20,
        "temperature": 0.5, "top_p": 0.25, "stop": "END", "seed": -3, "user": "u1",
        "presence_penalty": 1.0, "frequency_penalty": -1.0,
        "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {"type": "object"}, "strict": true}},
        "n": 1, "stream": true, "stream_options": {"include_usage": true},
        "top_k": 40, "metadata": {"k": "v"}
    }).to_string().as_bytes(), &passthrough).unwrap();
    assert!(c.stream && c.include_usage);
    let r = &c.request;
    assert_eq!(r.model, "litellm:m", "the provider strips the prefix itself");
    assert_eq!(r.messages[0].role, Role::System);
    assert_eq!(r.messages[1].content, "What is this?");
    assert_eq!(
        r.messages[1].parts,
        vec![ContentPart::Image(ImageUrl { url: "https://x/cat.png".into(), detail: Some("low".into()) })]
    );
    assert_eq!(r.messages[2].content, "");
    assert_eq!(
        r.messages[2].tool_calls,
        vec![ToolCall { id: "c1".into(), name: "f".into(), arguments: "{\"a\":1}".into() }]
    );
    assert_eq!((r.messages[3].role, r.messages[3].content.as_str()), (Role::Tool, "42"));
    assert_eq!(r.messages[3].tool_call_id.as_deref(), Some("c1"));
    assert!(r.messages[3].parts.is_empty(), "a tool result carries text only");
    assert_eq!(r.tools[0].parameters, r#"{"type":"object"}"#);
    assert_eq!(r.tools[0].description.as_deref(), Some("F"));
    assert_eq!(r.tools[1].parameters, EMPTY_SCHEMA);
    assert_eq!(r.tool_choice, Some(ToolChoice::Named("f".into())));
    assert_eq!(r.parallel_tool_calls, Some(false));
    assert_eq!(r.max_tokens, Some(20), "max_completion_tokens wins, as on OpenAI");
    assert_eq!((r.temperature, r.top_p), (Some(0.5), Some(0.25)));
    assert_eq!(r.stop, vec!["END".to_owned()]);
    assert_eq!((r.seed, r.user.as_deref()), (Some(-3), Some("u1")));
    assert_eq!((r.presence_penalty, r.frequency_penalty), (Some(1.0), Some(-1.0)));
    match &r.response_format {
        Some(ResponseFormat::JsonSchema(s)) => {
            assert_eq!((s.name.as_str(), s.schema.as_str(), s.strict), ("s", r#"{"type":"object"}"#, Some(true)))
        }
        other => panic!("{other:?}"),
    }
    // The fields the operator passes through go on to the upstream; the ones read here do not.
    let extra: Value = serde_json::from_str(r.extra_body.as_deref().unwrap()).unwrap();
    assert_eq!(extra, json!({"top_k": 40, "metadata": {"k": "v"}}));
}

#[test]
fn tool_choice_strings_and_stop_lists() {
    for (choice, want) in [("auto", ToolChoice::Auto), ("none", ToolChoice::None), ("required", ToolChoice::Required)] {
        let c = call(json!({"model": "m", "messages": [], "tool_choice": choice, "stop": ["a", "b"]}));
        assert_eq!(c.request.tool_choice, Some(want));
        assert_eq!(c.request.stop, vec!["a".to_owned(), "b".to_owned()]);
    }
    let c = call(json!({"model": "m", "messages": [], "response_format": {"type": "json_object"}}));
    assert!(matches!(c.request.response_format, Some(ResponseFormat::JsonObject)));
}

#[test]
fn bad_bodies_are_refused_with_a_reason() {
    assert!(chat_call(b"{not json", &[]).unwrap_err().message.contains("not JSON"));
    assert!(refused(json!([1])).contains("object"));
    assert!(refused(json!({"messages": []})).contains("`model`"));
    assert!(refused(json!({"model": "m"})).contains("`messages` is required"));
    assert!(refused(json!({"model": "m", "messages": [], "n": 2})).contains("`n` must be 1"));
    assert!(refused(json!({"model": "m", "messages": [{"role": "robot", "content": "x"}]})).contains("messages[0]"));
    assert!(refused(json!({"model": "m", "messages": [], "temperature": "hot"})).contains("`temperature`"));
    assert!(refused(json!({"model": "m", "messages": [], "max_tokens": -1})).contains("`max_tokens`"));
    assert!(refused(json!({"model": "m", "messages": [], "stream": "yes"})).contains("`stream`"));
    assert!(refused(json!({"model": "m", "messages": [], "tools": [{"type": "web_search"}]})).contains("tools[0]"));
    assert!(refused(json!({"model": "m", "messages": [], "tool_choice": "sometimes"})).contains("tool_choice"));
    let audio = json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "input_audio"}]}]});
    assert!(refused(audio).contains("input_audio"));
}

#[test]
fn a_whole_answer_is_a_chat_completion() {
    let value = completion(&answer("Hello", vec![], StopReason::EndTurn), "chatcmpl-1", 7);
    assert_eq!(value["object"], "chat.completion");
    assert_eq!((&value["id"], &value["created"], &value["model"]), (&json!("chatcmpl-1"), &json!(7), &json!("gpt-4o")));
    let choice = &value["choices"][0];
    assert_eq!(choice["message"], json!({"role": "assistant", "content": "Hello", "refusal": null}));
    assert_eq!(choice["finish_reason"], "stop");
    assert_eq!(value["usage"], json!({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}));

    let call = ToolCall { id: "call_1".into(), name: "get_weather".into(), arguments: r#"{"city":"Paris"}"#.into() };
    let mut tools = answer("", vec![call], StopReason::ToolUse);
    tools.usage = None;
    tools.reasoning = Some("thinking".into());
    let value = completion(&tools, "id", 0);
    let message = &value["choices"][0]["message"];
    assert_eq!(message["content"], Value::Null, "OpenAI's null beside tool calls");
    assert_eq!(message["tool_calls"][0]["function"]["arguments"], r#"{"city":"Paris"}"#);
    assert_eq!(message["tool_calls"][0]["type"], "function");
    assert_eq!(message["reasoning_content"], "thinking");
    assert_eq!(value["choices"][0]["finish_reason"], "tool_calls");
    assert!(value.get("usage").is_none());
}

#[test]
fn finish_reasons_are_openais() {
    let pairs = [
        (StopReason::EndTurn, "stop"),
        (StopReason::StopSequence, "stop"),
        (StopReason::ToolUse, "tool_calls"),
        (StopReason::MaxTokens, "length"),
        (StopReason::ContentFilter, "content_filter"),
    ];
    for (reason, name) in pairs {
        assert_eq!(finish_reason(reason), name);
    }
}

#[test]
fn stream_events_become_chunks() {
    let mut chunks = Chunks::new("chatcmpl-s", 9, "asked", true);
    let start = chunks.start();
    assert_eq!(start["object"], "chat.completion.chunk");
    assert_eq!(start["choices"][0]["delta"], json!({"role": "assistant", "content": ""}));
    let text = chunks.event(&StreamEvent::Text("Hel".into()));
    assert_eq!(text.len(), 1);
    assert_eq!(text[0]["choices"][0]["delta"], json!({"content": "Hel"}));
    assert_eq!(text[0]["model"], "asked");
    let reasoning = chunks.event(&StreamEvent::Reasoning("hmm".into()));
    assert_eq!(reasoning[0]["choices"][0]["delta"], json!({"reasoning_content": "hmm"}));
    let refusal = chunks.event(&StreamEvent::Refusal("no".into()));
    assert_eq!(refusal[0]["choices"][0]["delta"], json!({"refusal": "no"}));
    for (i, id) in ["a", "b"].iter().enumerate() {
        let call = ToolCall { id: (*id).into(), name: "f".into(), arguments: "{}".into() };
        let chunk = &chunks.event(&StreamEvent::ToolCall(call))[0];
        let delta = &chunk["choices"][0]["delta"]["tool_calls"][0];
        assert_eq!(delta["index"], i, "calls are numbered from 0");
        assert_eq!((&delta["id"], &delta["function"]["name"]), (&json!(id), &json!("f")));
    }
    let details = Usage { cached_input_tokens: Some(0), reasoning_tokens: Some(2), ..Usage::new(1, 2) };
    let end = StreamEnd { stop_reason: StopReason::MaxTokens, usage: Some(details), model: "answered".into() };
    let last = chunks.event(&StreamEvent::Finish(end));
    assert_eq!(last.len(), 2, "finish, then usage");
    assert_eq!(last[0]["choices"][0]["finish_reason"], "length");
    assert_eq!(last[0]["choices"][0]["delta"], json!({}));
    assert_eq!(last[0]["model"], "answered");
    assert_eq!(last[1]["choices"], json!([]));
    assert_eq!(last[1]["usage"]["total_tokens"], 3);
    assert_eq!(last[1]["usage"]["prompt_tokens_details"], json!({"cached_tokens": 0}), "a 0 the upstream sent stays");
    assert_eq!(last[1]["usage"]["completion_tokens_details"], json!({"reasoning_tokens": 2}));
    assert!(last[1]["usage"].get("cache_creation_input_tokens").is_none(), "absent stays absent");
    assert!([&start, &text[0], &last[1]].iter().all(|c| c["id"] == "chatcmpl-s" && c["created"] == 9));

    let mut quiet = Chunks::new("x", 0, "m", false);
    let end = StreamEnd { stop_reason: StopReason::EndTurn, usage: None, model: "m".into() };
    assert_eq!(quiet.event(&StreamEvent::Finish(end)).len(), 1, "no usage chunk unless asked");
}

#[test]
fn the_model_list_is_openais() {
    let list = models(&[
        ModelInfo { id: "a".into(), owned_by: Some("me".into()), created: Some(5) },
        ModelInfo { id: "b".into(), owned_by: None, created: None },
    ]);
    assert_eq!(list["object"], "list");
    assert_eq!(list["data"][0], json!({"id": "a", "object": "model", "created": 5, "owned_by": "me"}));
    assert_eq!(list["data"][1], json!({"id": "b", "object": "model", "created": 0, "owned_by": "unknown"}));
}

#[test]
fn upstream_errors_keep_their_status_and_message() {
    let cases = [
        (Error::Unauthorized(api(401, Some("invalid_api_key"), None)), 401, "authentication_error", "invalid_api_key"),
        (Error::Unauthorized(api(403, None, None)), 403, "permission_error", ""),
        (Error::RateLimited(api(429, Some("mock_429"), Some(1500))), 429, "rate_limit_error", "mock_429"),
        (
            Error::ContextLengthExceeded(api(400, Some("400"), None)),
            400,
            "invalid_request_error",
            "context_length_exceeded",
        ),
        (Error::ContentFiltered(api(400, None, None)), 400, "invalid_request_error", "content_filter"),
        (Error::QuotaExceeded(api(429, None, None)), 429, "insufficient_quota", "insufficient_quota"),
        (Error::BadRequest(api(404, Some("model_not_found"), None)), 404, "invalid_request_error", "model_not_found"),
        (Error::BadRequest(api(302, None, None)), 502, "api_error", "upstream_redirect"),
        (Error::Upstream(api(503, None, None)), 503, "api_error", ""),
    ];
    for (error, status, kind, code) in cases {
        let reply = error_reply(&error);
        assert_eq!(reply.status, status, "{error:?}");
        let body = &reply.body["error"];
        assert_eq!(body["type"], kind, "{error:?}");
        assert_eq!(body["code"], if code.is_empty() { Value::Null } else { json!(code) }, "{error:?}");
        let upstream = match &error {
            Error::BadRequest(a) | Error::Unauthorized(a) | Error::RateLimited(a) => a.status,
            Error::ContextLengthExceeded(a)
            | Error::ContentFiltered(a)
            | Error::QuotaExceeded(a)
            | Error::Upstream(a) => a.status,
            _ => unreachable!(),
        };
        assert_eq!(body["message"], format!("upstream says {upstream}"));
        assert!(body.as_object().unwrap().contains_key("param"));
    }
    assert_eq!(error_reply(&Error::RateLimited(api(429, None, Some(1500)))).retry_after_ms, Some(1500));
}

#[test]
fn failures_without_an_answer_are_the_gateways_5xx() {
    let failure = |message: &str| Failure { message: message.into(), attempts: 3 };
    let timeout = error_reply(&Error::Timeout(failure("first byte")));
    assert_eq!((timeout.status, &timeout.body["error"]["code"]), (504, &json!("timeout")));
    // The provider's own words name the upstream's address: the client gets none of them.
    let transport = error_reply(&Error::Transport(failure("connection refused by 10.1.2.3:4000")));
    assert_eq!((transport.status, &transport.body["error"]["type"]), (502, &json!("api_connection_error")));
    assert_eq!(transport.body["error"]["message"], "the upstream could not be reached");
    assert_eq!(timeout.body["error"]["message"], "the upstream did not answer in time");
    let malformed = error_reply(&Error::MalformedResponse("invalid type: string \"sk-x\"".into()));
    assert_eq!((malformed.status, &malformed.body["error"]["code"]), (502, &json!("malformed_response")));
    assert!(!malformed.body.to_string().contains("sk-x"));
    // A status that is no HTTP error status is never relayed.
    let odd = error_reply(&Error::Upstream(api(999, None, None)));
    assert_eq!(odd.status, 502);
    let invalid = error_reply(&Error::InvalidRequest("temperature must be 0 to 2".into()));
    assert_eq!((invalid.status, &invalid.body["error"]["type"]), (400, &json!("invalid_request_error")));
    assert_eq!(
        error_chunk(&Error::Transport(failure("reset"))),
        json!({"error": {"message": "the upstream could not be reached", "type": "api_connection_error",
                         "param": null, "code": "upstream_unreachable"}})
    );
}

#[test]
fn unknown_fields_are_refused_by_name_unless_passed_through() {
    let body = json!({"model": "m", "messages": [], "api_base": "http://evil", "top_k": 3}).to_string();
    let refused = chat_call(body.as_bytes(), &[]).unwrap_err();
    assert_eq!(refused.message, "Unrecognized request argument supplied: api_base");
    assert_eq!(refused.param.as_deref(), Some("api_base"));
    let body = json!({"model": "m", "messages": [], "top_k": 3}).to_string();
    let call = chat_call(body.as_bytes(), &["top_k".to_owned()]).unwrap();
    assert_eq!(call.request.extra_body.as_deref(), Some(r#"{"top_k":3}"#));
}

#[test]
fn the_2026_fields_are_carried_over() {
    let c = call(json!({
        "model": "deepseek-v4",
        "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "Read these"},
                {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"}},
                {"type": "file", "file": {"file_id": "file-abc"}},
                {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}
            ]},
            {"role": "assistant", "content": null, "reasoning_content": "I need the weather.", "tool_calls": [
                {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ]},
            {"role": "assistant", "content": "ok", "reasoning": "as Groq names it"}
        ],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}, "strict": true}}],
        "reasoning_effort": "xhigh",
        "max_completion_tokens": 300
    }));
    let r = &c.request;
    assert_eq!(
        r.messages[0].parts,
        vec![
            ContentPart::File(FilePart {
                data: Some("data:application/pdf;base64,JVBERi0=".into()),
                file_id: None,
                filename: Some("a.pdf".into())
            }),
            ContentPart::File(FilePart { data: None, file_id: Some("file-abc".into()), filename: None }),
            ContentPart::InputAudio(InputAudio { data: "UklGRg==".into(), format: "wav".into() }),
        ]
    );
    assert_eq!(r.messages[1].reasoning.as_deref(), Some("I need the weather."));
    assert_eq!(r.messages[2].reasoning.as_deref(), Some("as Groq names it"));
    assert_eq!(r.tools[0].strict, Some(true));
    assert_eq!(r.reasoning_effort, Some(ReasoningEffort::Xhigh));
    assert_eq!((r.max_tokens, r.max_tokens_field), (Some(300), None), "the upstream's profile picks the field");
    assert_eq!(r.extra_body, None, "none of them is an unknown field");
    assert!(refused(json!({"model": "m", "messages": [], "reasoning_effort": "ultra"})).contains("reasoning_effort"));
    let no_format = json!({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "input_audio", "input_audio": {"data": "UklGRg=="}}]}]});
    assert!(refused(no_format).contains("format"));
}

#[test]
fn usage_details_and_reasoning_reach_the_client_in_openais_shape() {
    let mut reply = answer("hi", vec![], StopReason::EndTurn);
    reply.reasoning = Some("thought".into());
    reply.usage = Some(Usage {
        cached_input_tokens: Some(2),
        cache_write_input_tokens: Some(1),
        reasoning_tokens: Some(3),
        ..Usage::new(3, 4)
    });
    let body = completion(&reply, "chatcmpl-1", 7);
    assert_eq!(body["choices"][0]["message"]["reasoning_content"], "thought");
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7,
               "prompt_tokens_details": {"cached_tokens": 2},
               "completion_tokens_details": {"reasoning_tokens": 3},
               "cache_creation_input_tokens": 1})
    );
    let plain = completion(&answer("hi", vec![], StopReason::EndTurn), "chatcmpl-1", 7);
    assert_eq!(plain["usage"], json!({"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}));
}

/// The fields `chat_call` reads, from its source: every `"name"` handed to a reader of the body's
/// object (`array`, `string`, `number_u32`, `number_f32`, `boolean` with `&object` or
/// `&mut object`, `object.get`, `object.remove`).
fn fields_read_by_chat_call() -> std::collections::BTreeSet<String> {
    let source = include_str!("chat.rs");
    let start = source.find("pub fn chat_call(").expect("chat_call is in chat.rs");
    let body = &source[start..];
    let body = &body[..body.find("\n}\n").expect("chat_call ends")];
    let mut fields = std::collections::BTreeSet::new();
    for marker in ["object, \"", "object.get(\"", "object.remove(\""] {
        for (at, _) in body.match_indices(marker) {
            let rest = &body[at + marker.len()..];
            fields.insert(rest[..rest.find('"').unwrap()].to_string());
        }
    }
    fields
}

#[test]
fn known_fields_are_the_fields_the_parser_reads() {
    let known: std::collections::BTreeSet<String> = KNOWN_FIELDS.iter().map(|f| f.to_string()).collect();
    let mut read = fields_read_by_chat_call();
    // `model` is read by its own helper (`model(&mut object)`), which names it.
    read.insert("model".to_string());
    assert_eq!(known, read, "KNOWN_FIELDS and chat_call must name the same fields");
}
